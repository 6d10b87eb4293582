/*
 * engine.c - one audit pipeline: frames in, records out.
 *
 * Packet time, not wall time, drives every timeout, so replaying a capture
 * gives the same records as seeing it live. The timeout sweep runs at most
 * once per second of packet time.
 */
#include "nw/engine.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "engine_int.h"
#include "nw/flow.h"

void nw_engine_config_defaults(struct nw_engine_config *c)
{
    memset(c, 0, sizeof *c);
    c->flow_memcap = 128u << 20;
    c->stream_memcap = 64u << 20;
    c->stream_depth = 0;
    c->frag_memcap = 16u << 20;
    c->ident_memcap = 32u << 20;
    c->tcp_idle_s = 600;
    c->tcp_closed_s = 10;
    c->udp_idle_s = 60;
    c->active_s = 3600;
}

static void on_pppoe(void *user, const struct nw_pkt *pkt, uint16_t ethertype, const uint8_t *p,
                     size_t len)
{
    struct nw_engine *e = user;
    struct nw_proto_ctx ctx;

    memset(&ctx, 0, sizeof ctx);
    ctx.ts_us = pkt->ts_us;
    ctx.pkt = pkt;
    ctx.ident = e->ident;
    ctx.eng = e;
    ctx.parser_name = "pppoe";
    nw_pppoe_frame(&ctx, ethertype, p, len);
}

struct nw_engine *nw_engine_new(const struct nw_engine_config *cfg, struct nw_output *out,
                                struct nw_err *err)
{
    struct nw_engine *e = nw_calloc(1, sizeof *e);

    if (e == NULL) goto nomem;
    e->cfg = *cfg;
    e->out = out;
    if (nw_decoder_init(&e->dec, cfg->frag_memcap) != 0) goto nomem;
    e->dec.on_pppoe = on_pppoe;
    e->dec.user = e;
    e->ident = nw_identity_new(cfg->ident_memcap, out);
    if (e->ident == NULL) goto nomem;
    if (cfg->static_map != NULL && nw_identity_load_static(e->ident, cfg->static_map, err) != 0)
        goto fail;
    e->flows = nw_flow_table_new(e);
    if (e->flows == NULL) goto nomem;
    return e;
nomem:
    nw_err_set(err, NW_ENOMEM, "out of memory creating the audit engine; lower the memcaps or "
               "free memory");
fail:
    if (e != NULL) {
        nw_identity_free(e->ident);
        nw_decoder_fini(&e->dec);
        nw_free(e);
    }
    return NULL;
}

void nw_engine_free(struct nw_engine *e)
{
    if (e == NULL) return;
    nw_flow_table_free(e->flows);
    nw_decoder_fini(&e->dec);
    nw_identity_free(e->ident);
    nw_free(e);
}

void nw_engine_set_linktype(struct nw_engine *e, int dlt) { e->dec.linktype = dlt; }

void nw_engine_packet(struct nw_engine *e, uint64_t ts_us, const uint8_t *frame, size_t caplen,
                      uint32_t wire_len)
{
    nw_engine_packet_ahead(e, ts_us, frame, caplen, wire_len, NULL);
}

void nw_engine_packet_ahead(struct nw_engine *e, uint64_t ts_us, const uint8_t *frame,
                            size_t caplen, uint32_t wire_len, const struct nw_engine_ahead *a)
{
    struct nw_pkt pkt;

    e->stats.packets++;
    e->stats.bytes += wire_len;
    if (ts_us > e->last_ts_us) e->last_ts_us = ts_us;
    if (e->last_ts_us >= e->next_expire_us) {
        nw_flow_expire(e->flows, e->last_ts_us);
        nw_decoder_expire(&e->dec, e->last_ts_us);
        nw_identity_expire(e->ident, e->last_ts_us);
        e->next_expire_us = e->last_ts_us + 1000000u;
    }
    memset(&pkt, 0, offsetof(struct nw_pkt, t));
    pkt.ts_us = ts_us;
    pkt.wire_len = wire_len;
    pkt.cap_len = (uint32_t)caplen;
    pkt.l4 = NULL;
    pkt.payload = NULL;
    pkt.payload_len = 0;
    if (nw_decode_packet(&e->dec, &pkt, frame, caplen) != 1) return;
    if (a != NULL && a->ok && !(pkt.flags & NW_PKT_ICMP_ERROR) &&
        memcmp(&a->t, &pkt.t, sizeof pkt.t) == 0)
        nw_flow_packet_hashed(e->flows, &pkt, a->flow_hash);
    else
        nw_flow_packet(e->flows, &pkt);
}

void nw_engine_prefetch(struct nw_engine *e, const uint8_t *frame, size_t caplen,
                        struct nw_engine_ahead *a)
{
    a->ok = nw_decode_peek_tuple(e->dec.linktype, frame, caplen, &a->t);
    if (!a->ok) return;
    a->flow_hash = nw_flow_hash(&a->t);
    nw_flow_prefetch(e->flows, a->flow_hash, 0);
    a->ident_hash[0] = nw_identity_hash(a->t.family, a->t.src);
    a->ident_hash[1] = nw_identity_hash(a->t.family, a->t.dst);
    nw_identity_prefetch(e->ident, a->ident_hash[0], 0);
    nw_identity_prefetch(e->ident, a->ident_hash[1], 0);
}

void nw_engine_prefetch_more(struct nw_engine *e, const struct nw_engine_ahead *a, int stage)
{
    if (!a->ok) return;
    if (stage == 1) nw_flow_prefetch(e->flows, a->flow_hash, 1);
    nw_identity_prefetch(e->ident, a->ident_hash[0], stage);
    nw_identity_prefetch(e->ident, a->ident_hash[1], stage);
}

void nw_engine_tick(struct nw_engine *e, uint64_t now_us)
{
    if (now_us <= e->last_ts_us || now_us < e->next_expire_us) return;
    nw_flow_expire(e->flows, now_us);
    nw_decoder_expire(&e->dec, now_us);
    nw_identity_expire(e->ident, now_us);
    e->next_expire_us = now_us + 1000000u;
}

void nw_engine_finish(struct nw_engine *e)
{
    nw_flow_flush(e->flows);
    nw_decoder_expire(&e->dec, UINT64_MAX);
    nw_identity_finish(e->ident, e->last_ts_us);
    nw_output_flush(e->out);
}

const struct nw_engine_stats *nw_engine_stats(const struct nw_engine *e) { return &e->stats; }
const struct nw_decode_stats *nw_engine_decode_stats(const struct nw_engine *e)
{
    return &e->dec.stats;
}
struct nw_output *nw_engine_output(struct nw_engine *e) { return e->out; }
struct nw_identity *nw_engine_identity(struct nw_engine *e) { return e->ident; }

void nw__engine_count2(struct nw_engine *e, const char *prefix, const char *name)
{
    /* names are literals: match pointers over all counters before text */
    for (int i = 0; i < e->ncounters; i++) {
        struct nw_named_counter *c = &e->counters[i];
        if (c->prefix == prefix && c->name == name) {
            c->n++;
            return;
        }
    }
    for (int i = 0; i < e->ncounters; i++) {
        struct nw_named_counter *c = &e->counters[i];
        if ((c->prefix == prefix || (c->prefix && prefix && strcmp(c->prefix, prefix) == 0)) &&
            (c->name == name || strcmp(c->name, name) == 0)) {
            c->n++;
            return;
        }
    }
    if (e->ncounters == NW_MAX_NAMED_COUNTERS) return;
    e->counters[e->ncounters++] = (struct nw_named_counter){prefix, name, 1};
}

void nw_engine_count(struct nw_engine *e, const char *name) { nw__engine_count2(e, NULL, name); }

void nw_engine_anomalies(const struct nw_engine *e,
                         void (*fn)(void *arg, const char *name, uint64_t n), void *arg)
{
    char tmp[128];

    for (int i = 0; i < NW_ANOM_MAX; i++)
        if (e->dec.stats.anomalies[i]) fn(arg, nw_anomaly_name(i), e->dec.stats.anomalies[i]);
    for (int i = 0; i < e->ncounters; i++) {
        const struct nw_named_counter *c = &e->counters[i];
        if (c->prefix) {
            snprintf(tmp, sizeof tmp, "%s.%s", c->prefix, c->name);
            fn(arg, tmp, c->n);
        } else {
            fn(arg, c->name, c->n);
        }
    }
}
