/*
 * fuzz_tls.c - libFuzzer harness for the TLS parser (proto_tls.c) and the
 * shared hello parser and fingerprints (tls_hello.c). Input: byte 0 picks
 * the chunk size (bits 0-5) and the direction pattern (bit 6: alternate per
 * chunk, bit 7: start toward the client), as in fuzz_template.h; the rest is
 * the TCP payload. Seeds in fuzz/corpus/tls/ are ClientHello and ServerHello
 * records from the corpus captures.
 *
 * Unlike fuzz_template.h, the test context (engine, flow table) is made once
 * and only the parser is re-attached per input: creating an engine per input
 * held libFuzzer to ~20 runs/s.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nw/core.h"
#include "nw/testctx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct nw_testctx t;
    static int ready;
    size_t chunk, off = 1;
    uint8_t ctl;

    if (size < 1) return 0;
    if (!ready) {
        if (nw_testctx_init(&t, NULL, IPPROTO_TCP, "10.0.0.1", 40000, "10.0.0.2", 443) != 0)
            return 0;
        ready = 1;
    }
    memset(&t.al, 0, sizeof t.al);
    if (nw_applayer_attach(&t.al, nw_proto_find("tls"), 1) != 0) return 0;
    t.records.len = 0;
    ctl = data[0];
    chunk = (size_t)(ctl & 0x3f) + 1;
    for (int i = 0; off < size; i++) {
        size_t n = NW_MIN(chunk, size - off);
        int dir = ((ctl >> 7) ^ ((ctl >> 6) & 1 ? (i & 1) : 0)) & 1;
        uint8_t *copy = malloc(n); /* exact size: ASan sees overreads */
        if (copy == NULL) break;
        memcpy(copy, data + off, n);
        nw_testctx_feed(&t, dir, copy, n);
        free(copy);
        off += n;
    }
    nw_testctx_end(&t); /* ends the parser and frees its state and buffers */
    return 0;
}
