/*
 * fuzz_imap.c - libFuzzer harness for the imap login parser (proto_imap.c).
 *
 * Input as in fuzz_template.h: byte 0 picks the chunk size (low 6 bits + 1)
 * and the direction pattern (bit 6: alternate per chunk, bit 7: start
 * toward the client); the rest is the payload, fed in chunks copied to
 * exact-size buffers so ASan sees overreads. Seeds in fuzz/corpus/imap/ are
 * dialogues from the corpus captures packed as alternating chunks.
 *
 * Unlike the template, the test context (engine, 4 MiB flow table) is made
 * once and only the parser is re-attached per input: creating the engine
 * per input held libFuzzer to ~35 executions per second.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nw/testctx.h"

#define PARSER "imap"
#define PORT 143

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct nw_testctx t;
    static int ready;
    size_t chunk, off = 1;
    uint8_t ctl;

    if (!ready) {
        if (nw_testctx_init(&t, NULL, IPPROTO_TCP, "10.0.0.1", 40000, "10.0.0.2", PORT) != 0)
            return 0;
        ready = 1;
    }
    if (size < 1) return 0;
    memset(&t.al, 0, sizeof t.al);
    if (nw_applayer_attach(&t.al, nw_proto_find(PARSER), 1) != 0) return 0;
    nw_buf_reset(&t.records);
    ctl = data[0];
    chunk = (size_t)(ctl & 0x3f) + 1;
    for (int i = 0; off < size; i++) {
        size_t n = NW_MIN(chunk, size - off);
        int dir = ((ctl >> 7) ^ ((ctl >> 6) & 1 ? (i & 1) : 0)) & 1;
        uint8_t *copy = malloc(n);
        if (copy == NULL) break;
        memcpy(copy, data + off, n);
        nw_testctx_feed(&t, dir, copy, n);
        free(copy);
        off += n;
    }
    nw_testctx_end(&t); /* end() and free of the parser state and pending bytes */
    return 0;
}
