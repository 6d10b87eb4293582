/*
 * fuzz_pppoe.c - PPPoE discovery / PPP control harness. The input is a
 * sequence of frames: [ctl][len_hi][len_lo][len bytes] ... where ctl bit 0
 * picks the ethertype (0x8863 / 0x8864), bit 1 swaps the two MACs (client
 * and AC) and bits 2-3 pick one of four client MACs, so the per-session
 * table sees several sessions and both directions. Each frame is copied into
 * a buffer of exact size so ASan catches overreads. The identity table is
 * finished at the end (session records for what is still open).
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nw/testctx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t ac[6] = {0xca, 0x01, 0x0e, 0x88, 0x00, 0x06};
    struct nw_testctx t;
    size_t off = 0;

    if (nw_testctx_init(&t, NULL, IPPROTO_UDP, "0.0.0.0", 0, "0.0.0.0", 0) != 0) return 0;
    t.ctx.tuple = NULL;
    t.ctx.flow_id = 0;
    t.ctx.parser_name = "pppoe";
    for (int i = 0; i < 10000 && off + 3 <= size; i++) {
        uint8_t ctl = data[off], client[6] = {0xcc, 0x05, 0x0e, 0x88, 0x00, 0x00};
        size_t n = NW_MIN(((size_t)data[off + 1] << 8) | data[off + 2], size - off - 3);
        uint8_t *copy = malloc(n ? n : 1);
        if (copy == NULL) break;
        memcpy(copy, data + off + 3, n);
        client[5] = (uint8_t)((ctl >> 2) & 3);
        memcpy(t.pkt.mac_src, ctl & 2 ? ac : client, 6);
        memcpy(t.pkt.mac_dst, ctl & 2 ? client : ac, 6);
        t.ts_us += 1000;
        t.pkt.ts_us = t.ctx.ts_us = t.ts_us;
        nw_pppoe_frame(&t.ctx, ctl & 1 ? 0x8864 : 0x8863, copy, n);
        free(copy);
        off += 3 + n;
    }
    nw_identity_finish(t.ctx.ident, t.ts_us);
    nw_testctx_fini(&t);
    return 0;
}
