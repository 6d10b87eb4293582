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

/*
 * The address members of every record,
 * ,"src_ip":"A","src_port":N,"dest_ip":"B","dest_port":N,"proto":"P"
 * (no ports unless TCP or UDP), sized exactly and written with one
 * reservation: as five keyed writes each checked room and separator.
 * The bytes are the same as nw_json_kip/kuint/kcstr would write.
 */
static void put_addrs(struct nw_buf *b, const struct nw_tuple *t, const uint8_t *s, unsigned sp,
                      const uint8_t *d, unsigned dp, int ports)
{
    char sa[48], da[48], spt[20], dpt[20];
    const char *pn = proto_name(t->proto);
    size_t sl = nw_fmt_ip(sa, t->family, s), dl = nw_fmt_ip(da, t->family, d);
    size_t pl = strlen(pn), spl = 0, dpl = 0, comma = (size_t)nw_json_comma_needed(b), n;
    char *p;

    if (ports) {
        spl = nw_fmt_uint(spt, sp);
        dpl = nw_fmt_uint(dpt, dp);
    }
    n = comma + sizeof "\"src_ip\":\"" - 1 + sl + sizeof "\",\"dest_ip\":\"" - 1 + dl +
        sizeof "\",\"proto\":\"" - 1 + pl + 1;
    if (ports) n += sizeof ",\"src_port\":" - 1 + spl + sizeof ",\"dest_port\":" - 1 + dpl;
    if (nw_buf_reserve(b, n) != 0) return;
    p = b->data + b->len;
    if (comma) *p++ = ',';
    p = nw_put_bytes(NW_PUT_LIT(p, "\"src_ip\":\""), sa, sl);
    *p++ = '"';
    if (ports) p = nw_put_bytes(NW_PUT_LIT(p, ",\"src_port\":"), spt, spl);
    p = nw_put_bytes(NW_PUT_LIT(p, ",\"dest_ip\":\""), da, dl);
    *p++ = '"';
    if (ports) p = nw_put_bytes(NW_PUT_LIT(p, ",\"dest_port\":"), dpt, dpl);
    p = nw_put_bytes(NW_PUT_LIT(p, ",\"proto\":\""), pn, pl);
    *p++ = '"';
    b->len = (size_t)(p - b->data);
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

        put_addrs(b, t, s, sp, d, dp, ports);
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
