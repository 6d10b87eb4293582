/*
 * fuzz_identity_csv.c - the static identity map parser (CSV) plus lookups:
 * the input is the map file; after loading (whatever succeeded before the
 * first bad line stays loaded) a few addresses are looked up and written
 * as "user" objects, and the table is freed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nw/identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t addrs[][16] = {
        {10, 0, 0, 1}, {10, 0, 0, 5}, {0x20, 0x01, 0x0d, 0xb8, [15] = 5}, {0}};
    struct nw_identity *id = nw_identity_new(1u << 20, NULL);
    struct nw_err err;
    struct nw_buf b;
    char *copy;

    if (id == NULL) return 0;
    copy = malloc(size ? size : 1); /* exact size: ASan sees overreads */
    if (copy == NULL) goto out;
    memcpy(copy, data, size);
    nw_identity_load_static_buf(id, "fuzz.csv", copy, size, &err);
    nw_buf_init(&b, 0);
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        nw_identity_write_user(id, &b, i == 2 ? 6 : 4, addrs[i], 1);
        nw_buf_reset(&b);
    }
    nw_buf_fini(&b);
    free(copy);
out:
    nw_identity_free(id);
    return 0;
}
