/*
 * fuzz_chain.c - the store's chain file (store_chain.c) on arbitrary bytes:
 * the input is written as <store>/chain and read the way the writer reads it
 * at open (torn tail allowed), the way verify reads it (strict), and by
 * nw_store_verify itself, which walks whatever entries parsed (their
 * segments do not exist here, so it reports them removed). A tampered chain
 * is what verify exists to catch: it must say so, never crash. Fuzz builds
 * accept any chain hash (NW_DIGEST_OK) so lines get past it to the kinds'
 * fields and to verify's walk.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/store/store_int.h"
#include "nw/store.h"
#include "store_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], chain_path[96];
static FILE *devnull;

static void setup(void)
{
    fuzz_store_dir(dir, sizeof dir, "chain");
    snprintf(chain_path, sizeof chain_path, "%s/chain", dir);
    devnull = fopen("/dev/null", "w");
    if (devnull == NULL) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct chain c;
    struct nw_err err;
    FILE *f;

    if (dir[0] == '\0') setup();
    if (size > (1u << 20)) return 0;
    f = fopen(chain_path, "w");
    if (f == NULL) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);
    for (int strict = 0; strict <= 1; strict++) {
        if (nw__chain_load(dir, &c, strict, &err) == 0) nw__chain_free(&c);
    }
    (void)nw_store_verify(dir, NULL, devnull, &err);
    return 0;
}
