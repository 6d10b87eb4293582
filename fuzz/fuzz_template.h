/*
 * fuzz_template.h - the common body of an app-layer parser harness.
 * Define NW_FUZZ_PARSER ("dns") and NW_FUZZ_PROTO (6 or 17) before including.
 * The first input byte picks the chunk size and the direction pattern, so the
 * resumable "need more data" paths and both directions get exercised; the
 * rest is the payload.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nw/testctx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nw_testctx t;
    size_t chunk, off = 1;
    uint8_t ctl;

    if (size < 1) return 0;
    ctl = data[0];
    chunk = (size_t)(ctl & 0x3f) + 1;
    if (nw_testctx_init(&t, NW_FUZZ_PARSER, NW_FUZZ_PROTO, "10.0.0.1", 40000, "10.0.0.2",
                        NW_FUZZ_PORT) != 0)
        return 0;
    for (int i = 0; off < size; i++) {
        size_t n = NW_FUZZ_PROTO == IPPROTO_UDP ? size - off : NW_MIN(chunk, size - off);
        /* bit 6: alternate directions per chunk; bit 7: start toward the client */
        int dir = ((ctl >> 7) ^ ((ctl >> 6) & 1 ? (i & 1) : 0)) & 1;
        uint8_t *copy = malloc(n); /* exact size: ASan sees overreads */
        if (copy == NULL) break;
        memcpy(copy, data + off, n);
        nw_testctx_feed(&t, dir, copy, n);
        free(copy);
        off += n;
    }
    nw_testctx_end(&t);
    nw_testctx_fini(&t);
    return 0;
}
