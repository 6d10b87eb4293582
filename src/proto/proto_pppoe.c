/*
 * proto_pppoe.c - PPPoE discovery (RFC 2516, ethertype 0x8863) and the PPP
 * control traffic inside PPPoE sessions (0x8864) that tells who a subscriber
 * is: PAP (RFC 1334), CHAP (RFC 1994) and IPCP (RFC 1332).
 *
 * The decoder calls nw_pppoe_frame() with p at the PPPoE header; there is no
 * flow (ctx->tuple is NULL), so records name the Ethernet endpoints (src_mac,
 * dest_mac) and the VLANs instead of IP addresses.
 *
 * Records (`pppoe`): one per discovery frame (PADI, PADO, PADR, PADS, PADT,
 * with Service-Name, AC-Name, Host-Uniq and error tags), one per PAP
 * Authenticate-Request (peer id; the password is NEVER copied, only
 * "password_seen": true), CHAP Response (name), PAP/CHAP result, and IPCP
 * Configure-Ack/Nak carrying an address.
 *
 * Identity: a small table joins, per (session id, client MAC), the user from
 * PAP/CHAP and the address from the IPCP Configure-Ack sent to the client;
 * once the address is known the binding starts (source pppoe, session id,
 * MAC, account). PADT ends it ("padt"). The client is the sender of PADI/PADR,
 * the receiver of PADS, or, when discovery was not captured, the sender of
 * PAP/CHAP credentials; until one of these is seen an IPCP ack is logged but
 * not bound (we cannot tell which side the address belongs to).
 *
 * Limits: PPPOE_SESSIONS table entries (held by the identity table, since
 * frames have no flow), the least recently used replaced first; tags and PPP
 * options are walked within the PPPoE payload length, so every loop is
 * bounded by the frame; PPP in PPPoE never uses address/control bytes, and a
 * 1-byte (compressed) protocol field is accepted.
 */
#include "nw/identity.h"
#include "nw/proto.h"

#include <stdio.h>
#include <string.h>

#define PPPOE_HDR 6u
#define PPPOE_SESSIONS 256

enum {
    PADI = 0x09, PADO = 0x07, PADR = 0x19, PADS = 0x65, PADT = 0xa7
};
enum { PPP_LCP = 0xc021, PPP_PAP = 0xc023, PPP_CHAP = 0xc223, PPP_IPCP = 0x8021 };

struct pppoe_sess {
    uint64_t seen;        /* 0 = empty; LRU clock */
    uint16_t sid;
    uint8_t client_known;
    uint8_t bound;        /* a binding was made for ip */
    uint8_t client[6];
    uint8_t peer[6];      /* the access concentrator */
    uint8_t ip[4];
    uint8_t has_ip;
    char user[128];
};

struct pppoe_table {
    uint64_t clock;
    struct pppoe_sess s[PPPOE_SESSIONS];
};

struct slice {
    const uint8_t *p;
    size_t n;
};

static const char *code_name(int c)
{
    switch (c) {
    case PADI: return "PADI";
    case PADO: return "PADO";
    case PADR: return "PADR";
    case PADS: return "PADS";
    case PADT: return "PADT";
    default: return NULL;
    }
}

/* ------------------------------------------------------------------ session table */

static struct pppoe_table *table_get(struct nw_proto_ctx *ctx)
{
    return nw_identity_aux(ctx->ident, NW_IDAUX_PPPOE, sizeof(struct pppoe_table), NULL);
}

static int mac_pair(const struct pppoe_sess *s, const uint8_t *a, const uint8_t *b)
{
    return (memcmp(s->client, a, 6) == 0 && memcmp(s->peer, b, 6) == 0) ||
           (memcmp(s->client, b, 6) == 0 && memcmp(s->peer, a, 6) == 0);
}

/*
 * The entry for session sid between MACs a and b; created (client unknown,
 * client=a, peer=b) if create. NULL if absent or no table.
 */
static struct pppoe_sess *sess_find(struct pppoe_table *t, uint16_t sid, const uint8_t *a,
                                    const uint8_t *b, int create)
{
    struct pppoe_sess *lru = NULL;

    if (t == NULL) return NULL;
    for (int i = 0; i < PPPOE_SESSIONS; i++) {
        struct pppoe_sess *s = &t->s[i];
        if (s->seen && s->sid == sid && mac_pair(s, a, b)) {
            s->seen = ++t->clock;
            return s;
        }
        if (lru == NULL || s->seen < lru->seen) lru = s;
    }
    if (!create || lru == NULL) return NULL;
    memset(lru, 0, sizeof *lru);
    lru->seen = ++t->clock;
    lru->sid = sid;
    memcpy(lru->client, a, 6);
    memcpy(lru->peer, b, 6);
    return lru;
}

static void sess_set_client(struct pppoe_sess *s, const uint8_t *client, const uint8_t *peer)
{
    memcpy(s->client, client, 6);
    memcpy(s->peer, peer, 6);
    s->client_known = 1;
}

static void ident_info(struct nw_ident_info *in, const struct pppoe_sess *s)
{
    memset(in, 0, sizeof *in);
    in->source = NW_IDSRC_PPPOE;
    in->family = 4;
    memcpy(in->ip, s->ip, 4);
    in->has_mac = 1;
    memcpy(in->mac, s->client, 6);
    snprintf(in->account, sizeof in->account, "%s", s->user);
    snprintf(in->session_id, sizeof in->session_id, "%u", (unsigned)s->sid);
}

/* Bind (or refresh) once the address is known. */
static void sess_bind(struct nw_proto_ctx *ctx, struct pppoe_sess *s)
{
    struct nw_ident_info in;

    if (ctx->ident == NULL || !s->has_ip || !s->client_known) return;
    ident_info(&in, s);
    if (nw_identity_login(ctx->ident, &in, ctx->ts_us) == NW_ENOMEM)
        nw_proto_anomaly(ctx, "identity_full");
    else
        s->bound = 1;
}

static void sess_end(struct nw_proto_ctx *ctx, struct pppoe_sess *s)
{
    struct nw_ident_info in;

    if (s->bound && ctx->ident != NULL) {
        ident_info(&in, s);
        nw_identity_logout(ctx->ident, &in, ctx->ts_us, "padt");
    }
    memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------------ records */

static struct nw_buf *rec_begin(struct nw_proto_ctx *ctx, const char *kind, uint16_t sid)
{
    struct nw_buf *b = nw_record_begin(ctx, "pppoe", NW_REC_PACKET);

    if (ctx->pkt != NULL) {
        nw_json_kmac(b, "src_mac", ctx->pkt->mac_src);
        nw_json_kmac(b, "dest_mac", ctx->pkt->mac_dst);
    }
    nw_json_kobj_open(b, "pppoe");
    nw_json_kcstr(b, "kind", kind);
    nw_json_kuint(b, "session_id", sid);
    return b;
}

static void rec_end(struct nw_proto_ctx *ctx, struct nw_buf *b)
{
    nw_json_obj_close(b);
    nw_record_end(ctx);
}

/* ------------------------------------------------------------------ discovery */

static void discovery(struct nw_proto_ctx *ctx, int code, uint16_t sid, const uint8_t *p,
                      size_t n)
{
    const uint8_t *src = ctx->pkt->mac_src, *dst = ctx->pkt->mac_dst;
    struct slice svc = {0}, ac = {0}, uniq = {0}, err = {0};
    const char *errname = NULL;
    struct pppoe_table *t;
    struct nw_buf *b;
    size_t off = 0;
    int have_svc = 0;

    if (code_name(code) == NULL) {
        nw_proto_anomaly(ctx, "unknown_code");
        return;
    }
    while (off + 4 <= n) {
        uint16_t type = nw_be16(p + off), l = nw_be16(p + off + 2);
        const uint8_t *v = p + off + 4;
        if (l > n - off - 4) {
            nw_proto_anomaly(ctx, "tag_overrun");
            break;
        }
        off += 4u + l;
        if (type == 0x0000) break; /* End-Of-List */
        switch (type) {
        case 0x0101:
            if (!have_svc) svc = (struct slice){v, l}, have_svc = 1;
            break;
        case 0x0102:
            if (ac.p == NULL) ac = (struct slice){v, l};
            break;
        case 0x0103:
            if (uniq.p == NULL) uniq = (struct slice){v, l};
            break;
        case 0x0201: errname = "Service-Name-Error", err = (struct slice){v, l}; break;
        case 0x0202: errname = "AC-System-Error", err = (struct slice){v, l}; break;
        case 0x0203: errname = "Generic-Error", err = (struct slice){v, l}; break;
        default: break;
        }
    }
    b = rec_begin(ctx, "discovery", sid);
    nw_json_kcstr(b, "code", code_name(code));
    if (have_svc) nw_json_kstr(b, "service_name", svc.p, svc.n);
    if (ac.p) nw_json_kstr(b, "ac_name", ac.p, ac.n);
    if (uniq.p) nw_json_khex(b, "host_uniq", uniq.p, NW_MIN(uniq.n, 64u));
    if (errname) {
        nw_json_kcstr(b, "error", errname);
        if (err.n) nw_json_kstr(b, "error_message", err.p, err.n);
    }
    rec_end(ctx, b);

    t = ctx->ident ? table_get(ctx) : NULL;
    if (code == PADS && sid != 0) {
        struct pppoe_sess *s = sess_find(t, sid, dst, src, 1);
        if (s != NULL) sess_set_client(s, dst, src);
    } else if (code == PADT) {
        struct pppoe_sess *s = sess_find(t, sid, src, dst, 0);
        if (s != NULL) sess_end(ctx, s);
    }
}

/* ------------------------------------------------------------------ PPP control */

/* PAP: code 1 Authenticate-Request (peer id, password), 2 Ack, 3 Nak. */
static void pap(struct nw_proto_ctx *ctx, struct pppoe_sess *s, uint16_t sid, const uint8_t *p,
                size_t n)
{
    const uint8_t *src = ctx->pkt->mac_src, *dst = ctx->pkt->mac_dst;
    struct nw_buf *b;
    size_t plen;

    if (n < 4) goto bad;
    plen = NW_MIN((size_t)nw_be16(p + 2), n);
    if (plen < 4) goto bad;
    if (p[0] == 1) {
        uint8_t idl;
        if (plen < 5) goto bad;
        idl = p[4];
        if ((size_t)idl > plen - 5) goto bad;
        b = rec_begin(ctx, "pap", sid);
        nw_json_kstr(b, "username", p + 5, idl);
        /* the password (after the peer id) is never read */
        nw_json_kbool(b, "password_seen", plen > 5u + idl);
        rec_end(ctx, b);
        if (s != NULL) {
            if (!s->client_known) sess_set_client(s, src, dst);
            snprintf(s->user, sizeof s->user, "%.*s", (int)NW_MIN(idl, 127), (const char *)p + 5);
            if (s->bound) sess_bind(ctx, s);
        }
    } else if (p[0] == 2 || p[0] == 3) {
        b = rec_begin(ctx, "auth_result", sid);
        nw_json_kcstr(b, "protocol", "pap");
        nw_json_kcstr(b, "result", p[0] == 2 ? "success" : "failure");
        rec_end(ctx, b);
    }
    return;
bad:
    nw_proto_anomaly(ctx, "pap_short");
}

/* CHAP: code 2 Response (value size, value, name), 3 Success, 4 Failure. */
static void chap(struct nw_proto_ctx *ctx, struct pppoe_sess *s, uint16_t sid, const uint8_t *p,
                 size_t n)
{
    const uint8_t *src = ctx->pkt->mac_src, *dst = ctx->pkt->mac_dst;
    struct nw_buf *b;
    size_t plen;

    if (n < 4) goto bad;
    plen = NW_MIN((size_t)nw_be16(p + 2), n);
    if (plen < 4) goto bad;
    if (p[0] == 2) {
        size_t vl, nl;
        if (plen < 5) goto bad;
        vl = p[4];
        if (vl > plen - 5) goto bad;
        nl = plen - 5 - vl;
        b = rec_begin(ctx, "chap", sid);
        nw_json_kstr(b, "username", p + 5 + vl, nl); /* the hash value is not logged */
        rec_end(ctx, b);
        if (s != NULL) {
            if (!s->client_known) sess_set_client(s, src, dst);
            snprintf(s->user, sizeof s->user, "%.*s", (int)NW_MIN(nl, 127u),
                     (const char *)p + 5 + vl);
            if (s->bound) sess_bind(ctx, s);
        }
    } else if (p[0] == 3 || p[0] == 4) {
        b = rec_begin(ctx, "auth_result", sid);
        nw_json_kcstr(b, "protocol", "chap");
        nw_json_kcstr(b, "result", p[0] == 3 ? "success" : "failure");
        rec_end(ctx, b);
    }
    return;
bad:
    nw_proto_anomaly(ctx, "chap_short");
}

/* IPCP Configure-Ack (2) / Configure-Nak (3) with an IP-Address option (3). */
static void ipcp(struct nw_proto_ctx *ctx, struct pppoe_sess *s, uint16_t sid, const uint8_t *p,
                 size_t n)
{
    const uint8_t *dst = ctx->pkt->mac_dst;
    const uint8_t *addr = NULL;
    struct nw_buf *b;
    size_t plen, off = 4;

    if (n < 4) return;
    if (p[0] != 2 && p[0] != 3) return;
    plen = NW_MIN((size_t)nw_be16(p + 2), n);
    while (off + 2 <= plen) {
        uint8_t type = p[off], l = p[off + 1];
        if (l < 2 || l > plen - off) {
            nw_proto_anomaly(ctx, "ipcp_option_bad");
            break;
        }
        if (type == 3 && l == 6 && addr == NULL) addr = p + off + 2;
        off += l;
    }
    if (addr == NULL) return;
    b = rec_begin(ctx, p[0] == 2 ? "ipcp_ack" : "ipcp_nak", sid);
    nw_json_kip(b, "ip", 4, addr);
    nw_json_kmac(b, "for_mac", dst); /* the receiver uses (Ack) or is offered (Nak) it */
    rec_end(ctx, b);
    /* the Ack sent to the client fixes its address */
    if (p[0] == 2 && s != NULL && s->client_known && memcmp(s->client, dst, 6) == 0 &&
        nw_be32(addr) != 0) {
        if (s->bound && memcmp(s->ip, addr, 4) != 0) {
            struct nw_ident_info in;
            ident_info(&in, s);
            nw_identity_logout(ctx->ident, &in, ctx->ts_us, "readdressed");
            s->bound = 0;
        }
        memcpy(s->ip, addr, 4);
        s->has_ip = 1;
        sess_bind(ctx, s);
    }
}

static void session(struct nw_proto_ctx *ctx, uint16_t sid, const uint8_t *p, size_t n)
{
    const uint8_t *src = ctx->pkt->mac_src, *dst = ctx->pkt->mac_dst;
    struct pppoe_table *t = ctx->ident ? table_get(ctx) : NULL;
    struct pppoe_sess *s;
    uint16_t proto;
    size_t hl;

    if (n < 1) return;
    if (p[0] & 1) { /* compressed 1-byte protocol field */
        proto = p[0];
        hl = 1;
    } else {
        if (n < 2) return;
        proto = nw_be16(p);
        hl = 2;
    }
    if (proto != PPP_PAP && proto != PPP_CHAP && proto != PPP_IPCP) return;
    s = sess_find(t, sid, src, dst, 1);
    switch (proto) {
    case PPP_PAP: pap(ctx, s, sid, p + hl, n - hl); break;
    case PPP_CHAP: chap(ctx, s, sid, p + hl, n - hl); break;
    case PPP_IPCP: ipcp(ctx, s, sid, p + hl, n - hl); break;
    default: break;
    }
}

/*
 * Entry point from the decoder: ethertype 0x8863 (discovery) or 0x8864
 * (session frames carrying PPP control). p/len is the frame from the PPPoE
 * header on; ctx->pkt gives the MACs and VLANs. Never fails; malformed frames
 * count "pppoe.<what>" anomalies.
 */
void nw_pppoe_frame(struct nw_proto_ctx *ctx, uint16_t ethertype, const uint8_t *p, size_t len)
{
    uint16_t sid, plen;
    int code;

    if (ctx == NULL || ctx->pkt == NULL || p == NULL) return;
    if (len < PPPOE_HDR) {
        nw_proto_anomaly(ctx, "short");
        return;
    }
    if (p[0] != 0x11) {
        nw_proto_anomaly(ctx, "bad_version");
        return;
    }
    code = p[1];
    sid = nw_be16(p + 2);
    plen = nw_be16(p + 4);
    if (plen > len - PPPOE_HDR) {
        /* the PPPoE length must fit the frame; trailing Ethernet padding is fine */
        nw_proto_anomaly(ctx, "bad_length");
        plen = (uint16_t)(len - PPPOE_HDR);
    }
    if (ethertype == 0x8863) discovery(ctx, code, sid, p + PPPOE_HDR, plen);
    else if (ethertype == 0x8864 && code == 0) session(ctx, sid, p + PPPOE_HDR, plen);
    else nw_proto_anomaly(ctx, "bad_code");
}
