/*
 * flow.c - the flow table: lookup, TCP state, timeouts, memcap, app-layer
 * detection and the `flow` record.
 *
 * Layout: an open-addressing hash (linear probing) of slots holding a flow
 * pointer and its 32-bit hash; a symmetric hash puts both directions of a
 * connection in the same slot. A lookup compares hashes in the slot array
 * and touches only the flow it finds: walking chains of finished flows that
 * linger until their timeout cost a cache miss each. Every flow also sits on one
 * of three age lists, one per timeout class (TCP closed, TCP open, other),
 * ordered by last activity, so the timeout sweep only touches flows that
 * actually expire. The flow's tuple is oriented client -> server, decided
 * from the SYN when there is one, else from well-known ports.
 *
 * Workload: every decoded packet does one lookup here; flows are created
 * once per connection. Memory is bounded by flow_memcap (the oldest idle
 * flow is ended to make room) and stream_memcap (out-of-order segments).
 */
#include "nw/flow.h"

#include <netinet/in.h>
#include <string.h>

#include "../engine/engine_int.h"
#include "flow_int.h"
#include "nw/core.h"
#include "nw/output.h"
#include "nw/pool.h"

enum { CLS_CLOSED, CLS_TCP, CLS_OTHER, NCLS };
enum { ST_NEW, ST_ESTABLISHED, ST_CLOSING, ST_CLOSED };
enum { APP_UNKNOWN, APP_ATTACHED, APP_NONE };

#define MAX_DETECT_TRIES 4
#define MAX_OOO_PER_DIR (1u << 20)

struct nw_flow {
    struct nw_flow *older, *newer; /* age list of class cls */
    struct nw_tuple t;             /* client -> server */
    uint64_t flow_id;
    uint64_t first_ts, last_ts;
    uint64_t list_ts;              /* last_ts when last moved in its age list */
    uint64_t pkts[2], bytes[2];
    uint8_t flags[2];              /* TCP flags seen per direction */
    uint8_t state;
    uint8_t cls;
    uint8_t app;
    uint8_t tries;
    uint8_t nvlan;
    uint8_t icmp_type, icmp_code;
    uint16_t vlan[NW_MAX_VLAN];
    const char *app_name;
    struct nw_stream st[2];
    struct nw_applayer al;
};

struct slot {
    uint32_t hash;
    struct nw_flow *f; /* NULL = empty */
};

struct nw_flow_table {
    struct nw_engine *eng;
    struct slot *slots;
    uint32_t mask;                 /* slots - 1; count stays under half the slots */
    uint64_t count;
    uint64_t max_flows;
    uint64_t next_id;
    struct nw_flow *oldest[NCLS], *newest[NCLS];
    uint64_t timeout_us[NCLS];
    size_t stream_used;
    struct nw_stream_limits lim;
    struct nw_pool flows;          /* every struct nw_flow (huge-page backed: TLB) */
};

/* --- hashing and lists --------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t endpoint_hash(const uint8_t *a, uint16_t port)
{
    uint64_t w0, w1;

    memcpy(&w0, a, 8);
    memcpy(&w1, a + 8, 8);
    return mix64(w0 ^ mix64(w1 ^ port));
}

/* Same value for both directions. */
static uint32_t tuple_hash(const struct nw_tuple *t)
{
    return (uint32_t)mix64(endpoint_hash(t->src, t->sport) ^ endpoint_hash(t->dst, t->dport) ^
                           t->proto);
}

static void list_unlink(struct nw_flow_table *ft, struct nw_flow *f)
{
    if (f->older) f->older->newer = f->newer;
    else ft->oldest[f->cls] = f->newer;
    if (f->newer) f->newer->older = f->older;
    else ft->newest[f->cls] = f->older;
    f->older = f->newer = NULL;
}

static void list_push(struct nw_flow_table *ft, struct nw_flow *f, int cls)
{
    f->cls = (uint8_t)cls;
    f->list_ts = f->last_ts;
    f->older = ft->newest[cls];
    f->newer = NULL;
    if (ft->newest[cls]) ft->newest[cls]->newer = f;
    else ft->oldest[cls] = f;
    ft->newest[cls] = f;
}

/* Take f out of the slot array; later entries of its probe run move back
 * into the hole (backward-shift deletion: no tombstones). */
static void slot_remove(struct nw_flow_table *ft, const struct nw_flow *f)
{
    uint32_t m = ft->mask, i = tuple_hash(&f->t) & m, j;

    for (uint32_t n = 0; ft->slots[i].f != f; i = (i + 1) & m)
        if (ft->slots[i].f == NULL || ++n > m) return; /* not in the table */
    for (j = (i + 1) & m; ft->slots[j].f != NULL; j = (j + 1) & m) {
        uint32_t home = ft->slots[j].hash & m;
        /* the entry at j may fill the hole at i unless its home lies in (i, j] */
        if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
            ft->slots[i] = ft->slots[j];
            i = j;
        }
    }
    ft->slots[i].f = NULL;
}

static int flow_class(const struct nw_flow *f)
{
    if (f->t.proto != IPPROTO_TCP) return CLS_OTHER;
    return f->state == ST_CLOSED ? CLS_CLOSED : CLS_TCP;
}

/* --- table lifecycle ----------------------------------------------------- */

struct nw_flow_table *nw_flow_table_new(struct nw_engine *eng)
{
    struct nw_flow_table *ft = nw_calloc(1, sizeof *ft);
    const struct nw_engine_config *c = &eng->cfg;
    uint32_t nb = 1u << 12;

    if (ft == NULL) return NULL;
    ft->eng = eng;
    ft->max_flows = c->flow_memcap / sizeof(struct nw_flow);
    if (ft->max_flows < 16) ft->max_flows = 16;
    ft->slots = nw_calloc(nb, sizeof *ft->slots);
    if (ft->slots == NULL) {
        nw_free(ft);
        return NULL;
    }
    ft->mask = nb - 1;
    ft->next_id = 1;
    ft->timeout_us[CLS_CLOSED] = (uint64_t)c->tcp_closed_s * 1000000u;
    ft->timeout_us[CLS_TCP] = (uint64_t)c->tcp_idle_s * 1000000u;
    ft->timeout_us[CLS_OTHER] = (uint64_t)c->udp_idle_s * 1000000u;
    ft->lim.max_ooo = MAX_OOO_PER_DIR;
    ft->lim.used = &ft->stream_used;
    ft->lim.memcap = c->stream_memcap;
    ft->lim.gaps = &eng->stats.stream_gaps;
    ft->lim.memcap_drops = &eng->stats.stream_memcap;
    nw_pool_init(&ft->flows, sizeof(struct nw_flow));
    return ft;
}

uint64_t nw_flow_active(const struct nw_flow_table *ft) { return ft->count; }

uint32_t nw_flow_hash(const struct nw_tuple *t) { return tuple_hash(t); }

void nw_flow_prefetch(const struct nw_flow_table *ft, uint32_t h, int stage)
{
    const struct slot *s = &ft->slots[h & ft->mask];

    if (stage == 0) {
        NW_PREFETCH(s);
        return;
    }
    /* the first flow with this hash in the probe run (4 slots per cache line) */
    for (uint32_t i = h & ft->mask, n = 0; ft->slots[i].f != NULL && n < 4;
         i = (i + 1) & ft->mask, n++) {
        if (ft->slots[i].hash == h) {
            const struct nw_flow *f = ft->slots[i].f;
            /* key and counters, then the stream and parser state TCP needs */
            NW_PREFETCH(f);
            NW_PREFETCH((const char *)f + 64);
            NW_PREFETCH(&f->st[0]);
            NW_PREFETCH(&f->st[1]);
            NW_PREFETCH(&f->al);
            return;
        }
    }
}

/* --- records ------------------------------------------------------------- */

static void ctx_init(struct nw_flow_table *ft, struct nw_flow *f, struct nw_proto_ctx *ctx,
                     const struct nw_pkt *pkt, int dir, uint64_t ts)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->ts_us = ts;
    ctx->flow_id = f->flow_id;
    ctx->tuple = &f->t;
    ctx->dir = dir;
    ctx->pkt = pkt;
    ctx->ident = ft->eng->ident;
    ctx->eng = ft->eng;
    ctx->flow = f;
}

static void flags_hex(struct nw_buf *b, const char *key, uint8_t fl)
{
    static const char hex[] = "0123456789abcdef";
    char s[2] = {hex[fl >> 4], hex[fl & 15]};

    nw_json_kstr(b, key, s, 2);
}

static const char *state_name(int st)
{
    switch (st) {
    case ST_NEW: return "new";
    case ST_ESTABLISHED: return "established";
    case ST_CLOSING: return "closing";
    default: return "closed";
    }
}

/*
 * "flow":{"pkts_toserver":N,..,"alerted":false}: every flow has one, so it
 * is sized exactly and written with one reservation instead of twelve
 * keyed writes (the same bytes). state and reason are this file's own
 * literals ("timeout", "memcap", ...), which need no escaping.
 */
static void put_flow_obj(struct nw_buf *b, const struct nw_flow *f, const char *reason)
{
    const char *state = f->t.proto == IPPROTO_TCP ? state_name(f->state) : "closed";
    char num[5][20], start[NW_TIME_BUFSZ], end[NW_TIME_BUFSZ];
    size_t nl[5], sl, el, stl = strlen(state), rl = strlen(reason), comma, n;
    char *p;

    nl[0] = nw_fmt_uint(num[0], f->pkts[0]);
    nl[1] = nw_fmt_uint(num[1], f->pkts[1]);
    nl[2] = nw_fmt_uint(num[2], f->bytes[0]);
    nl[3] = nw_fmt_uint(num[3], f->bytes[1]);
    nl[4] = nw_fmt_uint(num[4], (f->last_ts - f->first_ts) / 1000000u);
    sl = nw_time_rfc3339(f->first_ts, start);
    el = nw_time_rfc3339(f->last_ts, end);
    comma = (size_t)nw_json_comma_needed(b);
    n = comma + sizeof "\"flow\":{\"pkts_toserver\":" - 1 + nl[0] +
        sizeof ",\"pkts_toclient\":" - 1 + nl[1] + sizeof ",\"bytes_toserver\":" - 1 + nl[2] +
        sizeof ",\"bytes_toclient\":" - 1 + nl[3] + sizeof ",\"start\":\"" - 1 + sl +
        sizeof "\",\"end\":\"" - 1 + el + sizeof "\",\"age\":" - 1 + nl[4] +
        sizeof ",\"state\":\"" - 1 + stl + sizeof "\",\"reason\":\"" - 1 + rl +
        sizeof "\",\"alerted\":false}" - 1;
    if (nw_buf_reserve(b, n) != 0) return;
    p = b->data + b->len;
    if (comma) *p++ = ',';
    p = nw_put_bytes(NW_PUT_LIT(p, "\"flow\":{\"pkts_toserver\":"), num[0], nl[0]);
    p = nw_put_bytes(NW_PUT_LIT(p, ",\"pkts_toclient\":"), num[1], nl[1]);
    p = nw_put_bytes(NW_PUT_LIT(p, ",\"bytes_toserver\":"), num[2], nl[2]);
    p = nw_put_bytes(NW_PUT_LIT(p, ",\"bytes_toclient\":"), num[3], nl[3]);
    p = nw_put_bytes(NW_PUT_LIT(p, ",\"start\":\""), start, sl);
    p = nw_put_bytes(NW_PUT_LIT(p, "\",\"end\":\""), end, el);
    p = nw_put_bytes(NW_PUT_LIT(p, "\",\"age\":"), num[4], nl[4]);
    p = nw_put_bytes(NW_PUT_LIT(p, ",\"state\":\""), state, stl);
    p = nw_put_bytes(NW_PUT_LIT(p, "\",\"reason\":\""), reason, rl);
    p = NW_PUT_LIT(p, "\",\"alerted\":false}");
    b->len = (size_t)(p - b->data);
}

static void emit_flow(struct nw_flow_table *ft, struct nw_flow *f, const char *reason)
{
    struct nw_proto_ctx ctx;
    struct nw_pkt vl; /* carries the flow's VLANs into the record header */
    struct nw_buf *b;

    memset(&vl, 0, offsetof(struct nw_pkt, t));
    vl.nvlan = f->nvlan;
    memcpy(vl.vlan, f->vlan, sizeof vl.vlan);
    ctx_init(ft, f, &ctx, &vl, NW_DIR_TOSERVER, f->first_ts);
    b = nw_record_begin(&ctx, "flow", NW_REC_FLOW);
    if (f->app_name) nw_json_kcstr(b, "app_proto", f->app_name);
    if (f->t.proto == IPPROTO_ICMP || f->t.proto == IPPROTO_ICMPV6) {
        nw_json_kuint(b, "icmp_type", f->icmp_type);
        nw_json_kuint(b, "icmp_code", f->icmp_code);
    }
    put_flow_obj(b, f, reason);
    if (f->t.proto == IPPROTO_TCP) {
        uint8_t all = f->flags[0] | f->flags[1];
        nw_json_kobj_open(b, "tcp");
        flags_hex(b, "tcp_flags", all);
        flags_hex(b, "tcp_flags_ts", f->flags[0]);
        flags_hex(b, "tcp_flags_tc", f->flags[1]);
        if (all & NW_TCP_SYN) nw_json_kbool(b, "syn", 1);
        if (all & NW_TCP_FIN) nw_json_kbool(b, "fin", 1);
        if (all & NW_TCP_RST) nw_json_kbool(b, "rst", 1);
        if (all & NW_TCP_PSH) nw_json_kbool(b, "psh", 1);
        if (all & NW_TCP_ACK) nw_json_kbool(b, "ack", 1);
        nw_json_kcstr(b, "state", state_name(f->state));
        nw_json_obj_close(b);
    }
    nw_record_end(&ctx);
}

/* --- stream delivery ----------------------------------------------------- */

struct deliver_arg {
    struct nw_flow_table *ft;
    struct nw_flow *f;
    struct nw_proto_ctx *ctx;
};

static void app_detect(struct nw_flow_table *ft, struct nw_flow *f, struct nw_proto_ctx *ctx,
                       const uint8_t *p, size_t len)
{
    unsigned tr = f->t.proto == IPPROTO_TCP ? NW_T_TCP : NW_T_UDP;
    const struct nw_proto_parser *pick = NULL;

    /* first: parsers registered for the server port, confirmed by their probe */
    for (size_t i = 0; i < nw_proto_nparsers && pick == NULL; i++) {
        const struct nw_proto_parser *pp = nw_proto_parsers[i];
        int port_match = 0;
        if (!(pp->transports & tr)) continue;
        for (int k = 0; k < 8 && pp->ports[k]; k++)
            if (pp->ports[k] == f->t.dport) port_match = 1;
        if (!port_match) continue;
        if (pp->probe == NULL || pp->probe(p, len, ctx->dir) != 0) pick = pp;
    }
    /* then: any parser whose probe recognises the bytes */
    for (size_t i = 0; i < nw_proto_nparsers && pick == NULL; i++) {
        const struct nw_proto_parser *pp = nw_proto_parsers[i];
        if ((pp->transports & tr) && pp->probe && pp->probe(p, len, ctx->dir) == 1) pick = pp;
    }
    if (pick == NULL) {
        if (++f->tries >= MAX_DETECT_TRIES) f->app = APP_NONE;
        return;
    }
    if (nw_applayer_attach(&f->al, pick, tr == NW_T_TCP) != 0) {
        nw_engine_count(ft->eng, "flow.app_nomem");
        f->app = APP_NONE;
        return;
    }
    f->app = APP_ATTACHED;
    f->app_name = pick->name;
}

static void app_data(struct nw_flow_table *ft, struct nw_flow *f, struct nw_proto_ctx *ctx,
                     const uint8_t *p, size_t len)
{
    if (f->app == APP_UNKNOWN) app_detect(ft, f, ctx, p, len);
    if (f->app != APP_ATTACHED || f->al.parser == NULL) return;
    if (nw_applayer_feed(&f->al, ctx, p, len) < 0) ft->eng->stats.parser_errors++;
    /* a STARTTLS switch changes which parser reports the flow */
    if (f->al.parser != NULL) f->app_name = f->al.parser->name;
}

static void on_stream(void *arg, const uint8_t *p, size_t len, size_t gap)
{
    struct deliver_arg *a = arg;

    if (gap) {
        if (a->f->app == APP_ATTACHED) nw_applayer_gap(&a->f->al, a->ctx, gap);
        else if (a->f->app == APP_UNKNOWN) a->f->app = APP_NONE; /* cannot detect mid-hole */
        return;
    }
    app_data(a->ft, a->f, a->ctx, p, len);
}

/* --- flow end ------------------------------------------------------------ */

static void flow_finish(struct nw_flow_table *ft, struct nw_flow *f, const char *reason)
{
    struct nw_proto_ctx ctx;

    ctx_init(ft, f, &ctx, NULL, NW_DIR_TOSERVER, f->last_ts);
    if (f->t.proto == IPPROTO_TCP) {
        struct deliver_arg a = {ft, f, &ctx};
        for (int d = 0; d < 2; d++) {
            ctx.dir = d;
            nw__stream_flush(&f->st[d], &ft->lim, on_stream, &a);
            nw__stream_free(&f->st[d], &ft->lim);
        }
    }
    ctx.dir = NW_DIR_TOSERVER;
    nw_applayer_end(&f->al, &ctx);
    emit_flow(ft, f, reason);
}

static void flow_end(struct nw_flow_table *ft, struct nw_flow *f, const char *reason)
{
    flow_finish(ft, f, reason);
    slot_remove(ft, f);
    list_unlink(ft, f);
    ft->count--;
    nw_pool_free(&ft->flows, f);
}

/*
 * Ending flows along an age list touches one cold flow after another: its
 * lines, its parser state, and the identity entries of its addresses for the
 * flow record. Each is a cache miss unless started a few flows ahead, one
 * dependent step per flow: the flow 4 ahead (all its lines), the identity
 * buckets and parser state of the one 3 ahead, the entries 2 ahead, their
 * cached user objects 1 ahead. The walk reads only flows loaded a step before.
 */
static void walk_ahead(const struct nw_flow_table *ft, const struct nw_flow *f)
{
    const struct nw_flow *n[4];
    struct nw_identity *id = ft->eng->ident;

    n[0] = f->newer;
    for (int k = 1; k < 4; k++) n[k] = n[k - 1] ? n[k - 1]->newer : NULL;
    if (n[3] != NULL)
        for (size_t off = 0; off < sizeof *n[3]; off += 64)
            NW_PREFETCH((const char *)n[3] + off);
    if (n[2] != NULL) {
        if (n[2]->al.state != NULL) NW_PREFETCH(n[2]->al.state);
        nw_identity_prefetch(id, nw_identity_hash(n[2]->t.family, n[2]->t.src), 0);
        nw_identity_prefetch(id, nw_identity_hash(n[2]->t.family, n[2]->t.dst), 0);
    }
    for (int k = 1; k >= 0; k--)
        if (n[k] != NULL) {
            nw_identity_prefetch(id, nw_identity_hash(n[k]->t.family, n[k]->t.src), 2 - k);
            nw_identity_prefetch(id, nw_identity_hash(n[k]->t.family, n[k]->t.dst), 2 - k);
        }
}

/*
 * Age lists are ordered by list_ts, which lags last_ts by under a second
 * (moving a flow on every packet costs cache misses on its neighbours). A
 * flow found at the old end that was active since is moved to the new end.
 */
void nw_flow_expire(struct nw_flow_table *ft, uint64_t now_us)
{
    for (int c = 0; c < NCLS; c++) {
        struct nw_flow *f;
        while ((f = ft->oldest[c]) != NULL && f->list_ts + ft->timeout_us[c] < now_us) {
            if (f->last_ts + ft->timeout_us[c] < now_us) {
                walk_ahead(ft, f);
                flow_end(ft, f, "timeout");
            } else {
                list_unlink(ft, f);
                list_push(ft, f, c);
            }
        }
    }
}

/*
 * Every flow ends: no slot is looked up meanwhile (no packet comes), so the
 * slots are not removed one by one (a cache miss and a probe-run shift
 * each) but cleared at once at the end.
 */
void nw_flow_flush(struct nw_flow_table *ft)
{
    for (int c = 0; c < NCLS; c++) {
        struct nw_flow *f = ft->oldest[c], *next;
        for (; f != NULL; f = next) {
            walk_ahead(ft, f);
            flow_finish(ft, f, "shutdown");
            next = f->newer;
            nw_pool_free(&ft->flows, f);
            ft->count--;
        }
        ft->oldest[c] = ft->newest[c] = NULL;
    }
    memset(ft->slots, 0, ((size_t)ft->mask + 1) * sizeof *ft->slots);
}

void nw_flow_table_free(struct nw_flow_table *ft)
{
    if (ft == NULL) return;
    nw_flow_flush(ft);
    nw_pool_fini(&ft->flows);
    nw_free(ft->slots);
    nw_free(ft);
}

/* --- per packet ---------------------------------------------------------- */

static int port_is_service(uint16_t port)
{
    if (port < 1024) return 1;
    for (size_t i = 0; i < nw_proto_nparsers; i++)
        for (int k = 0; k < 8 && nw_proto_parsers[i]->ports[k]; k++)
            if (nw_proto_parsers[i]->ports[k] == port) return 1;
    return 0;
}

/* Decide whether the sender of the first packet is the client. */
static int sender_is_client(const struct nw_pkt *pkt)
{
    const struct nw_tuple *t = &pkt->t;

    if (t->proto == IPPROTO_TCP && (pkt->tcp_flags & NW_TCP_SYN))
        return !(pkt->tcp_flags & NW_TCP_ACK);
    if (t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP) {
        int s = port_is_service(t->sport), d = port_is_service(t->dport);
        if (s != d) return d;
        if (s && d && t->sport < t->dport) return 0; /* both services: lower port serves */
    }
    return 1;
}

/*
 * Double the slot array when flows fill half of it, so that probe runs stay
 * short and the array stays as small as the live flows need (a large sparse
 * array costs cache misses on every lookup). On allocation failure the table
 * keeps working at a higher load; flow_new refuses flows only when full.
 */
static void table_grow(struct nw_flow_table *ft)
{
    uint32_t nb = (ft->mask + 1) * 2;
    struct slot *ns;

    if (nb > (1u << 24) || (ns = nw_calloc(nb, sizeof *ns)) == NULL) return;
    nw_hugepage_hint(ns, (size_t)nb * sizeof *ns);
    for (uint32_t i = 0; i <= ft->mask; i++) {
        uint32_t j;
        if (ft->slots[i].f == NULL) continue;
        for (j = ft->slots[i].hash & (nb - 1); ns[j].f != NULL; j = (j + 1) & (nb - 1)) continue;
        ns[j] = ft->slots[i];
    }
    nw_free(ft->slots);
    ft->slots = ns;
    ft->mask = nb - 1;
}

static struct nw_flow *flow_new(struct nw_flow_table *ft, const struct nw_pkt *pkt, uint32_t h,
                                int client)
{
    struct nw_flow *f;
    uint32_t i;

    if (ft->count >= ft->max_flows) {
        /* make room: end the least recently active flow of the biggest class */
        struct nw_flow *victim = NULL;
        for (int c = 0; c < NCLS && victim == NULL; c++) victim = ft->oldest[c];
        if (victim == NULL) goto memcap;
        nw_engine_count(ft->eng, "flow.memcap_evicted");
        flow_end(ft, victim, "memcap");
    }
    if (ft->count * 2 >= ft->mask + 1) table_grow(ft);
    if (ft->count >= ft->mask) goto memcap; /* full: keep one slot empty to end probes */
    f = nw_pool_alloc(&ft->flows);
    if (f == NULL) { /* not the memcap: raising it would not help */
        ft->eng->stats.flows_nomem++;
        return NULL;
    }
    if (client) {
        f->t = pkt->t;
    } else {
        f->t.family = pkt->t.family;
        f->t.proto = pkt->t.proto;
        f->t.sport = pkt->t.dport;
        f->t.dport = pkt->t.sport;
        memcpy(f->t.src, pkt->t.dst, 16);
        memcpy(f->t.dst, pkt->t.src, 16);
    }
    /* 51 bits: stays exact in JSON consumers that use doubles */
    f->flow_id = mix64(ft->next_id++ ^ mix64(pkt->ts_us)) & ((1ull << 51) - 1);
    if (f->flow_id == 0) f->flow_id = 1;
    f->first_ts = f->last_ts = pkt->ts_us;
    f->nvlan = pkt->nvlan;
    memcpy(f->vlan, pkt->vlan, sizeof f->vlan);
    if (f->t.proto == IPPROTO_ICMP || f->t.proto == IPPROTO_ICMPV6) {
        f->icmp_type = pkt->l4[0];
        f->icmp_code = pkt->l4[1];
    }
    for (i = h & ft->mask; ft->slots[i].f != NULL; i = (i + 1) & ft->mask) continue;
    ft->slots[i].hash = h;
    ft->slots[i].f = f;
    list_push(ft, f, flow_class(f));
    ft->count++;
    ft->eng->stats.flows++;
    return f;
memcap:
    ft->eng->stats.flows_memcap++;
    return NULL;
}

static struct nw_flow *flow_lookup(struct nw_flow_table *ft, const struct nw_tuple *t,
                                   uint32_t h, int *dir)
{
    for (uint32_t i = h & ft->mask; ft->slots[i].f != NULL; i = (i + 1) & ft->mask) {
        struct nw_flow *f = ft->slots[i].f;
        const struct nw_tuple *k;
        if (ft->slots[i].hash != h) continue; /* no need to touch f */
        k = &f->t;
        if (k->proto != t->proto || k->family != t->family) continue;
        if (k->sport == t->sport && k->dport == t->dport && memcmp(k->src, t->src, 16) == 0 &&
            memcmp(k->dst, t->dst, 16) == 0) {
            *dir = NW_DIR_TOSERVER;
            return f;
        }
        if (k->sport == t->dport && k->dport == t->sport && memcmp(k->src, t->dst, 16) == 0 &&
            memcmp(k->dst, t->src, 16) == 0) {
            *dir = NW_DIR_TOCLIENT;
            return f;
        }
    }
    return NULL;
}

static void tcp_state(struct nw_flow *f, int dir, uint8_t fl)
{
    if (fl & NW_TCP_RST) {
        f->state = ST_CLOSED;
        return;
    }
    if (f->state == ST_NEW && ((fl & (NW_TCP_SYN | NW_TCP_ACK)) == (NW_TCP_SYN | NW_TCP_ACK) ||
                               (f->pkts[0] && f->pkts[1])))
        f->state = ST_ESTABLISHED;
    if (fl & NW_TCP_FIN) {
        f->st[dir].fin = 1;
        f->state = (f->st[0].fin && f->st[1].fin) ? ST_CLOSED : ST_CLOSING;
    }
}

void nw_flow_packet(struct nw_flow_table *ft, const struct nw_pkt *pkt)
{
    nw_flow_packet_hashed(ft, pkt, tuple_hash(&pkt->t));
}

void nw_flow_packet_hashed(struct nw_flow_table *ft, const struct nw_pkt *pkt, uint32_t h)
{
    struct nw_proto_ctx ctx;
    struct nw_flow *f;
    int dir = NW_DIR_TOSERVER;
    int tcp = pkt->t.proto == IPPROTO_TCP;

    f = flow_lookup(ft, &pkt->t, h, &dir);
    if (pkt->flags & NW_PKT_ICMP_ERROR) {
        if (f != NULL) { /* counts for the quoted flow, carries nothing else */
            f->pkts[dir]++;
            f->bytes[dir] += pkt->wire_len;
            if (pkt->ts_us > f->last_ts) f->last_ts = pkt->ts_us;
            return;
        }
        struct nw_pkt own = *pkt; /* unknown flow: an ICMP flow of its own */
        own.t = pkt->icmp_t;
        own.flags &= ~(uint32_t)NW_PKT_ICMP_ERROR;
        nw_flow_packet(ft, &own);
        return;
    }
    /* a new SYN on a finished connection is a new connection (port reuse) */
    if (f != NULL && tcp && (pkt->tcp_flags & (NW_TCP_SYN | NW_TCP_ACK)) == NW_TCP_SYN &&
        f->state >= ST_CLOSING && f->pkts[dir] > 0) {
        flow_end(ft, f, "reuse");
        f = NULL;
    }
    if (f == NULL) {
        int client = sender_is_client(pkt);
        f = flow_new(ft, pkt, h, client);
        if (f == NULL) return; /* counted as memcap or nomem */
        dir = client ? NW_DIR_TOSERVER : NW_DIR_TOCLIENT;
    }
    /* active timeout: report long-lived flows periodically and start over */
    if (ft->eng->cfg.active_s &&
        pkt->ts_us > f->first_ts + (uint64_t)ft->eng->cfg.active_s * 1000000u) {
        emit_flow(ft, f, "active_timeout");
        f->first_ts = pkt->ts_us;
        memset(f->pkts, 0, sizeof f->pkts);
        memset(f->bytes, 0, sizeof f->bytes);
    }
    f->pkts[dir]++;
    f->bytes[dir] += pkt->wire_len;
    if (pkt->ts_us > f->last_ts) f->last_ts = pkt->ts_us;
    if (tcp) {
        f->flags[dir] |= pkt->tcp_flags;
        tcp_state(f, dir, pkt->tcp_flags);
    }
    {
        int cls = flow_class(f);
        if (cls != f->cls || f->last_ts >= f->list_ts + 1000000u) {
            list_unlink(ft, f);
            list_push(ft, f, cls);
        }
    }
    if (f->app == APP_NONE && f->al.parser == NULL) return;
    ctx_init(ft, f, &ctx, pkt, dir, pkt->ts_us);
    if (tcp) {
        struct deliver_arg a = {ft, f, &ctx};
        size_t depth = ft->eng->cfg.stream_depth;
        size_t len = pkt->payload_len;
        if (depth && f->st[dir].delivered + len > depth)
            len = f->st[dir].delivered >= depth ? 0 : depth - f->st[dir].delivered;
        if (pkt->tcp_flags & NW_TCP_RST) return;
        nw__stream_segment(&f->st[dir], &ft->lim, pkt->tcp_seq,
                           (pkt->tcp_flags & NW_TCP_SYN) != 0, pkt->payload, len, on_stream, &a);
    } else if (pkt->payload_len > 0 && f->t.proto == IPPROTO_UDP) {
        app_data(ft, f, &ctx, pkt->payload, pkt->payload_len);
    }
}
