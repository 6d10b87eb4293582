/*
 * proto_radius.c - RADIUS (RFC 2865 authentication, RFC 2866 accounting,
 * RFC 5176 CoA/Disconnect) over UDP: one `radius` record per packet, and
 * accounting feeds the identity table.
 *
 * Parsed: code, identifier, and the attributes User-Name, Calling- and
 * Called-Station-Id, NAS-IP-Address, NAS-IPv6-Address, NAS-Identifier,
 * NAS-Port, Framed-IP-Address, Framed-IPv6-Address, Framed-IPv6-Prefix,
 * Acct-Status-Type, Acct-Session-Id, Acct-Input/Output-Octets with their
 * Gigawords, Acct-Session-Time, Acct-Terminate-Cause. User-Password and
 * CHAP-Password are never copied anywhere: the record only says
 * "password_seen": true.
 *
 * Identity: Accounting-Request Start and Interim-Update bind Framed-IP-Address
 * (or Framed-IPv6-Address) to User-Name, Calling-Station-Id and
 * Acct-Session-Id; an Interim for a session whose Start we missed dates the
 * login back by Acct-Session-Time. Stop ends the binding ("stop"), and a Stop
 * whose Start we never saw still enters the history. Accounting-On/Off from a
 * NAS ends every open binding that NAS taught ("accounting_on"/"_off"); a NAS
 * is named by NAS-IP-Address, else NAS-IPv6-Address, else NAS-Identifier,
 * else the packet's source address, the same rule for every packet, so On/Off
 * finds the sessions of the NAS that reported them. Framed-IPv6-Prefix is
 * logged but not bound (a prefix is not one address).
 *
 * Invariants: a packet is RADIUS only if its code is known, its Length field
 * is between 20 and 4096 and within the datagram, and its attributes tile the
 * packet exactly (each at least 2 bytes long); anything else is malformed
 * (and probe() says no, which keeps look-alike UDP traffic out). The walk is
 * bounded by the packet length.
 */
#include "nw/identity.h"
#include "nw/proto.h"

#include <stdio.h>
#include <string.h>

#define RADIUS_HDR 20u
#define RADIUS_MAX 4096u

enum {
    RAD_ACCESS_REQUEST = 1, RAD_ACCESS_ACCEPT = 2, RAD_ACCESS_REJECT = 3, RAD_ACCT_REQUEST = 4,
    RAD_ACCT_RESPONSE = 5, RAD_ACCESS_CHALLENGE = 11
};
enum { ACCT_START = 1, ACCT_STOP = 2, ACCT_INTERIM = 3, ACCT_ON = 7, ACCT_OFF = 8 };

struct slice {
    const uint8_t *p;
    size_t n; /* p == NULL: absent */
};

struct radius_msg {
    uint8_t code, id;
    struct slice user, calling, called, nas_id, session_id;
    const uint8_t *nas_ip, *nas_ip6, *framed_ip, *framed_ip6;
    uint8_t framed6_prefix[16];
    int framed6_plen;            /* -1 = absent */
    int password_seen, eap_seen;
    int has_status, has_in, has_out, has_in_gw, has_out_gw, has_time, has_cause, has_port;
    uint32_t status, in, out, in_gw, out_gw, time, cause, port;
};

static const char *code_name(int c)
{
    switch (c) {
    case 1: return "Access-Request";
    case 2: return "Access-Accept";
    case 3: return "Access-Reject";
    case 4: return "Accounting-Request";
    case 5: return "Accounting-Response";
    case 11: return "Access-Challenge";
    case 12: return "Status-Server";
    case 13: return "Status-Client";
    case 40: return "Disconnect-Request";
    case 41: return "Disconnect-ACK";
    case 42: return "Disconnect-NAK";
    case 43: return "CoA-Request";
    case 44: return "CoA-ACK";
    case 45: return "CoA-NAK";
    default: return NULL;
    }
}

static const char *status_name(uint32_t s)
{
    switch (s) {
    case ACCT_START: return "Start";
    case ACCT_STOP: return "Stop";
    case ACCT_INTERIM: return "Interim-Update";
    case ACCT_ON: return "Accounting-On";
    case ACCT_OFF: return "Accounting-Off";
    default: return NULL;
    }
}

static const char *const cause_names[] = {
    NULL, "User-Request", "Lost-Carrier", "Lost-Service", "Idle-Timeout", "Session-Timeout",
    "Admin-Reset", "Admin-Reboot", "Port-Error", "NAS-Error", "NAS-Request", "NAS-Reboot",
    "Port-Unneeded", "Port-Preempted", "Port-Suspended", "Service-Unavailable", "Callback",
    "User-Error", "Host-Request"};

/* Header and attribute framing only. Returns the packet length or -1. */
static int radius_frame_ok(const uint8_t *p, size_t len)
{
    size_t plen, off;

    if (len < RADIUS_HDR || code_name(p[0]) == NULL) return -1;
    plen = nw_be16(p + 2);
    if (plen < RADIUS_HDR || plen > RADIUS_MAX || plen > len) return -1;
    for (off = RADIUS_HDR; off < plen;) {
        if (plen - off < 2 || p[off + 1] < 2 || p[off + 1] > plen - off) return -1;
        off += p[off + 1];
    }
    return (int)plen;
}

static int u32_attr(const uint8_t *v, size_t n, int *has, uint32_t *out)
{
    if (n != 4 || *has) return 0;
    *has = 1;
    *out = nw_be32(v);
    return 1;
}

static void take(struct slice *s, const uint8_t *v, size_t n)
{
    if (s->p == NULL) {
        s->p = v;
        s->n = n;
    }
}

static int radius_decode(struct radius_msg *m, const uint8_t *p, size_t len)
{
    int plen = radius_frame_ok(p, len);

    memset(m, 0, sizeof *m);
    m->framed6_plen = -1;
    if (plen < 0) return -1;
    m->code = p[0];
    m->id = p[1];
    for (size_t off = RADIUS_HDR; off < (size_t)plen; off += p[off + 1]) {
        uint8_t type = p[off];
        size_t n = (size_t)p[off + 1] - 2;
        const uint8_t *v = p + off + 2;

        switch (type) {
        case 1: take(&m->user, v, n); break;
        case 2: /* User-Password */
        case 3: /* CHAP-Password */ m->password_seen = 1; break;
        case 4:
            if (n == 4 && !m->nas_ip) m->nas_ip = v;
            break;
        case 5: u32_attr(v, n, &m->has_port, &m->port); break;
        case 8:
            if (n == 4 && !m->framed_ip) m->framed_ip = v;
            break;
        case 30: take(&m->called, v, n); break;
        case 31: take(&m->calling, v, n); break;
        case 32: take(&m->nas_id, v, n); break;
        case 40: u32_attr(v, n, &m->has_status, &m->status); break;
        case 42: u32_attr(v, n, &m->has_in, &m->in); break;
        case 43: u32_attr(v, n, &m->has_out, &m->out); break;
        case 44: take(&m->session_id, v, n); break;
        case 46: u32_attr(v, n, &m->has_time, &m->time); break;
        case 49: u32_attr(v, n, &m->has_cause, &m->cause); break;
        case 52: u32_attr(v, n, &m->has_in_gw, &m->in_gw); break;
        case 53: u32_attr(v, n, &m->has_out_gw, &m->out_gw); break;
        case 79: m->eap_seen = 1; break;
        case 95:
            if (n == 16 && !m->nas_ip6) m->nas_ip6 = v;
            break;
        case 97: /* reserved, prefix length, prefix (only the bytes it needs) */
            if (n >= 2 && n <= 18 && m->framed6_plen < 0 && v[1] <= 128 &&
                (size_t)(v[1] + 7) / 8 <= n - 2) {
                m->framed6_plen = v[1];
                memset(m->framed6_prefix, 0, 16);
                memcpy(m->framed6_prefix, v + 2, n - 2);
            }
            break;
        case 168:
            if (n == 16 && !m->framed_ip6) m->framed_ip6 = v;
            break;
        default: break;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ record */

static void kslice(struct nw_buf *b, const char *key, struct slice s)
{
    if (s.p != NULL) nw_json_kstr(b, key, s.p, s.n);
}

static uint64_t octets(uint32_t lo, int has_gw, uint32_t gw)
{
    return ((uint64_t)(has_gw ? gw : 0) << 32) | lo;
}

static void write_record(struct nw_proto_ctx *ctx, const struct radius_msg *m)
{
    struct nw_buf *b = nw_record_begin(ctx, "radius", NW_REC_PACKET);

    nw_json_kobj_open(b, "radius");
    nw_json_kuint(b, "code", m->code);
    nw_json_kcstr(b, "code_name", code_name(m->code));
    nw_json_kuint(b, "id", m->id);
    kslice(b, "user_name", m->user);
    if (m->password_seen) nw_json_kbool(b, "password_seen", 1);
    if (m->eap_seen) nw_json_kbool(b, "eap", 1);
    kslice(b, "calling_station_id", m->calling);
    kslice(b, "called_station_id", m->called);
    if (m->framed_ip) nw_json_kip(b, "framed_ip", 4, m->framed_ip);
    if (m->framed_ip6) nw_json_kip(b, "framed_ipv6", 6, m->framed_ip6);
    if (m->framed6_plen >= 0) {
        char tmp[64];
        size_t n = nw_fmt_ip(tmp, 6, m->framed6_prefix);
        snprintf(tmp + n, sizeof tmp - n, "/%d", m->framed6_plen);
        nw_json_kcstr(b, "framed_ipv6_prefix", tmp);
    }
    if (m->nas_ip) nw_json_kip(b, "nas_ip", 4, m->nas_ip);
    if (m->nas_ip6) nw_json_kip(b, "nas_ipv6", 6, m->nas_ip6);
    kslice(b, "nas_identifier", m->nas_id);
    if (m->has_port) nw_json_kuint(b, "nas_port", m->port);
    if (m->has_status) {
        nw_json_kuint(b, "acct_status_type", m->status);
        if (status_name(m->status)) nw_json_kcstr(b, "acct_status_name", status_name(m->status));
    }
    kslice(b, "acct_session_id", m->session_id);
    if (m->has_in || m->has_in_gw)
        nw_json_kuint(b, "acct_input_octets", octets(m->in, m->has_in_gw, m->in_gw));
    if (m->has_out || m->has_out_gw)
        nw_json_kuint(b, "acct_output_octets", octets(m->out, m->has_out_gw, m->out_gw));
    if (m->has_time) nw_json_kuint(b, "acct_session_time", m->time);
    if (m->has_cause) {
        nw_json_kuint(b, "acct_terminate_cause", m->cause);
        if (m->cause < NW_ARRAY_LEN(cause_names) && cause_names[m->cause])
            nw_json_kcstr(b, "acct_terminate_cause_name", cause_names[m->cause]);
    }
    nw_json_obj_close(b);
    nw_record_end(ctx);
}

/* ------------------------------------------------------------------ identity */

static void copy_text(char *dst, size_t cap, struct slice s)
{
    size_t n = s.p ? NW_MIN(s.n, cap - 1) : 0;
    if (n) memcpy(dst, s.p, n);
    dst[n] = '\0';
    dst[strnlen(dst, n)] = '\0'; /* text ends at an embedded NUL */
}

/* The NAS's name, by the rule in the file comment. */
static void nas_name(struct nw_proto_ctx *ctx, const struct radius_msg *m, char *out, size_t cap)
{
    const struct nw_tuple *t = ctx->tuple;

    if (m->nas_ip) nw_fmt_ip(out, 4, m->nas_ip);
    else if (m->nas_ip6) nw_fmt_ip(out, 6, m->nas_ip6);
    else if (m->nas_id.p && m->nas_id.n) copy_text(out, cap, m->nas_id);
    else if (t != NULL) nw_fmt_ip(out, t->family, ctx->dir == NW_DIR_TOSERVER ? t->src : t->dst);
    else out[0] = '\0';
}

static void feed_identity(struct nw_proto_ctx *ctx, const struct radius_msg *m)
{
    struct nw_ident_info in;
    uint64_t time_us;

    if (ctx->ident == NULL || m->code != RAD_ACCT_REQUEST || !m->has_status) return;
    memset(&in, 0, sizeof in);
    in.source = NW_IDSRC_RADIUS;
    nas_name(ctx, m, in.nas, sizeof in.nas);
    if (m->status == ACCT_ON || m->status == ACCT_OFF) {
        nw_identity_logout_nas(ctx->ident, in.nas, ctx->ts_us,
                               m->status == ACCT_ON ? "accounting_on" : "accounting_off");
        return;
    }
    if (m->framed_ip) {
        in.family = 4;
        memcpy(in.ip, m->framed_ip, 4);
    } else if (m->framed_ip6) {
        in.family = 6;
        memcpy(in.ip, m->framed_ip6, 16);
    } else {
        return; /* nothing to bind */
    }
    copy_text(in.account, sizeof in.account, m->user);
    copy_text(in.calling_station, sizeof in.calling_station, m->calling);
    copy_text(in.session_id, sizeof in.session_id, m->session_id);
    time_us = (uint64_t)m->time * 1000000u;
    if (m->has_time && m->time > 0 && time_us < ctx->ts_us) in.since_us = ctx->ts_us - time_us;
    if (m->status == ACCT_START || m->status == ACCT_INTERIM) {
        if (m->status == ACCT_START) in.since_us = 0; /* a Start is the login itself */
        if (nw_identity_login(ctx->ident, &in, ctx->ts_us) == NW_ENOMEM)
            nw_proto_anomaly(ctx, "identity_full");
    } else if (m->status == ACCT_STOP) {
        nw_identity_logout(ctx->ident, &in, ctx->ts_us, "stop");
    }
}

static int radius_parse(struct nw_proto_ctx *ctx, void *state, const uint8_t *p, size_t len)
{
    struct radius_msg m;

    (void)state;
    if (radius_decode(&m, p, len) != 0) return -1;
    write_record(ctx, &m);
    feed_identity(ctx, &m); /* after the record: it may write session records */
    return (int)len;
}

static int radius_probe(const uint8_t *p, size_t len, int dir)
{
    (void)dir; /* both directions frame the same way; a datagram is whole or not RADIUS */
    return radius_frame_ok(p, len) > 0;
}

static int radius_selftest(void)
{
    /* Accounting-Request, Start, Framed-IP 10.0.0.1, User-Name "a" */
    static const uint8_t pkt[] = {4, 1, 0, 35, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                  40, 6, 0, 0, 0, 1, 8, 6, 10, 0, 0, 1, 1, 3, 'a'};
    struct radius_msg m;

    if (radius_decode(&m, pkt, sizeof pkt) != 0) return -1;
    return m.status == ACCT_START && m.framed_ip != NULL && m.user.n == 1 ? 0 : -1;
}

const struct nw_proto_parser nw_proto_radius = {
    .name = "radius",
    .transports = NW_T_UDP,
    .ports = {1812, 1813, 1645, 1646, 3799},
    .probe = radius_probe,
    .parse = radius_parse,
    .selftest = radius_selftest,
};
