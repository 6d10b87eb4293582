/*
 * record.c - the common part of every traffic record: header, addresses,
 * VLANs, and the `user` object looked up in the identity table at the
 * record's own time (so a record after a RADIUS Stop no longer carries the
 * account, and one before it does).
 */
#include "nw/proto.h"

#include <netinet/in.h>
#include <string.h>

#include "engine_int.h"

static const char *proto_name(int p)
{
    switch (p) {
    case IPPROTO_TCP: return "TCP";
    case IPPROTO_UDP: return "UDP";
    case IPPROTO_ICMP: return "ICMP";
    case IPPROTO_ICMPV6: return "IPv6-ICMP";
    default: return "IP";
    }
}

struct nw_buf *nw_record_begin(struct nw_proto_ctx *ctx, const char *event_type, int orient)
{
    struct nw_engine *e = ctx->eng;
    struct nw_buf *b = nw_output_begin(e->out, event_type, ctx->ts_us, ctx->flow_id);
    const struct nw_tuple *t = ctx->tuple;

    e->rec_has_addr = 0;
    if (ctx->pkt != NULL && ctx->pkt->nvlan) {
        nw_json_karr_open(b, "vlan");
        for (int i = 0; i < ctx->pkt->nvlan; i++) nw_json_uint(b, ctx->pkt->vlan[i]);
        nw_json_arr_close(b);
    }
    if (t != NULL) {
        int swap = orient == NW_REC_PACKET && ctx->dir == NW_DIR_TOCLIENT;
        const uint8_t *s = swap ? t->dst : t->src, *d = swap ? t->src : t->dst;
        uint16_t sp = swap ? t->dport : t->sport, dp = swap ? t->sport : t->dport;
        int ports = t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP;

        nw_json_kip(b, "src_ip", t->family, s);
        if (ports) nw_json_kuint(b, "src_port", sp);
        nw_json_kip(b, "dest_ip", t->family, d);
        if (ports) nw_json_kuint(b, "dest_port", dp);
        nw_json_kcstr(b, "proto", proto_name(t->proto));
        e->rec_family = t->family;
        memcpy(e->rec_src, s, 16);
        memcpy(e->rec_dst, d, 16);
        e->rec_has_addr = 1;
    }
    return b;
}

void nw_record_end(struct nw_proto_ctx *ctx)
{
    struct nw_engine *e = ctx->eng;
    struct nw_buf *b = &e->out->buf;

    if (e->rec_has_addr && e->ident != NULL) {
        /* the user is the local side: try the source first */
        if (!nw_identity_write_user(e->ident, b, e->rec_family, e->rec_src, ctx->ts_us))
            nw_identity_write_user(e->ident, b, e->rec_family, e->rec_dst, ctx->ts_us);
    }
    nw_output_end(e->out);
}

void nw_proto_switch(struct nw_proto_ctx *ctx, const char *name) { ctx->switch_to = name; }

void nw_proto_anomaly(struct nw_proto_ctx *ctx, const char *what)
{
    if (ctx->eng == NULL) return;
    nw__engine_count2(ctx->eng, ctx->parser_name ? ctx->parser_name : "proto", what);
}
