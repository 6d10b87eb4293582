/*
 * fuzz_decode.c - whole frames through the pipeline: decode (every link
 * type), defrag, flows, reassembly and all parsers. The input is a sequence
 * of frames: byte 0 picks the link type; then each frame is a 2-byte length
 * followed by that many bytes. Frames get increasing timestamps so that
 * timeouts and fragment expiry run too. Each frame also goes through the
 * side-effect-free tuple peek (the capture loop's prefetch), which must find
 * the same tuple as the decoder whenever both find one.
 */
#include <pcap/dlt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nw/decode.h"
#include "nw/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int null_write(void *self, const char *type, const char *line, size_t len)
{
    (void)self, (void)type, (void)line, (void)len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int links[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
                                DLT_IPV4,   DLT_IPV6,      DLT_NULL,       DLT_LOOP};
    struct nw_engine_config cfg;
    struct nw_output out;
    struct nw_sink sink = {.name = "null", .write = null_write};
    struct nw_engine *e;
    struct nw_decoder dec;
    uint64_t ts = 1700000000000000ull;
    size_t off = 1;

    if (size < 1 || nw_decoder_init(&dec, 64 * 1024) != 0) return 0;
    dec.linktype = links[data[0] % NW_ARRAY_LEN(links)];
    nw_output_init(&out);
    nw_output_add_sink(&out, &sink);
    nw_engine_config_defaults(&cfg);
    cfg.frag_memcap = 64 * 1024; /* small caps reach the eviction paths */
    cfg.stream_memcap = 64 * 1024;
    cfg.flow_memcap = 64 * 1024;
    e = nw_engine_new(&cfg, &out, NULL);
    if (e == NULL) goto out;
    nw_engine_set_linktype(e, links[data[0] % NW_ARRAY_LEN(links)]);
    while (off + 2 <= size) {
        size_t n = (size_t)(data[off] << 8 | data[off + 1]);
        uint8_t *frame;
        off += 2;
        if (n > size - off) n = size - off;
        frame = malloc(n ? n : 1); /* exact size: ASan sees overreads */
        if (frame == NULL) break;
        memcpy(frame, data + off, n);
        {
            struct nw_pkt pkt;
            struct nw_tuple t;
            memset(&pkt, 0, sizeof pkt);
            pkt.ts_us = ts;
            pkt.wire_len = pkt.cap_len = (uint32_t)n;
            /* a disagreement would only make the prefetch load the wrong
             * flow (slower, not wrong), but it means the two readers differ */
            if (nw_decode_peek_tuple(dec.linktype, frame, n, &t) == 1 &&
                nw_decode_packet(&dec, &pkt, frame, n) == 1 &&
                !(pkt.flags & (NW_PKT_REASSEMBLED | NW_PKT_ICMP_ERROR)) &&
                memcmp(&t, &pkt.t, sizeof t) != 0)
                abort();
        }
        nw_engine_packet(e, ts, frame, n, (uint32_t)n);
        free(frame);
        off += n;
        ts += 1000000u * (n & 7) + 17;
    }
    nw_engine_finish(e);
    nw_engine_free(e);
out:
    nw_decoder_fini(&dec);
    nw_output_fini(&out);
    return 0;
}
