/*
 * fuzz_template.h - the common body of an app-layer parser harness.
 * Define NW_FUZZ_PARSER ("dns"), NW_FUZZ_PROTO (IPPROTO_TCP or IPPROTO_UDP;
 * may be a variable) and NW_FUZZ_PORT before including.
 *
 * The first input byte picks the chunk size (low 6 bits + 1) and the
 * direction pattern (bit 6: alternate directions per chunk; bit 7: start
 * toward the client), so the resumable "need more data" paths and both
 * directions get exercised; the rest is the payload, each chunk copied into
 * a buffer of exact size so ASan sees overreads. UDP input is one datagram.
 *
 * The test context (engine, tables) is made once per transport and only the
 * parser is re-attached per input: building an engine per input costs more
 * than most parsers' work. The identity table persists across inputs; it is
 * bounded by its memcap.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nw/testctx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct nw_testctx ctxs[2];
    static int ready[2];
    int tcp = NW_FUZZ_PROTO == IPPROTO_TCP;
    struct nw_testctx *t = &ctxs[tcp];
    size_t chunk, off = 1;
    uint8_t ctl;

    if (size < 1) return 0;
    if (!ready[tcp]) {
        if (nw_testctx_init(t, NULL, NW_FUZZ_PROTO, "10.0.0.1", 40000, "10.0.0.2",
                            NW_FUZZ_PORT) != 0)
            return 0;
        ready[tcp] = 1;
    }
    memset(&t->al, 0, sizeof t->al);
    if (nw_applayer_attach(&t->al, nw_proto_find(NW_FUZZ_PARSER), tcp) != 0) return 0;
    nw_buf_reset(&t->records);
    ctl = data[0];
    chunk = (size_t)(ctl & 0x3f) + 1;
    for (int i = 0; off < size; i++) {
        size_t n = tcp ? NW_MIN(chunk, size - off) : size - off;
        int dir = ((ctl >> 7) ^ ((ctl >> 6) & 1 ? (i & 1) : 0)) & 1;
        uint8_t *copy = malloc(n);
        if (copy == NULL) break;
        memcpy(copy, data + off, n);
        nw_testctx_feed(t, dir, copy, n);
        free(copy);
        off += n;
    }
    nw_testctx_end(t); /* the parser's end(), then its state and pending bytes freed */
    return 0;
}
