/*
 * proto_dhcp.c - DHCPv4 (RFC 2131/2132) over UDP 67/68: one `dhcp` record per
 * message, and the leases it hands out feed the identity table.
 *
 * Parsed: the BOOTP header (op, xid, ciaddr, yiaddr, siaddr, giaddr, chaddr)
 * and the options: message type (53), requested address (50), hostname (12),
 * client FQDN (81, ASCII or DNS wire form), lease/renewal/rebinding times
 * (51/58/59), server id (54), vendor class (60), client id (61), subnet mask
 * (1), routers (3), DNS servers (6), and option overload (52), which moves
 * more options into the file and sname fields.
 *
 * Identity: a DHCPACK binds yiaddr (or ciaddr, for an ACK to an INFORM) to
 * chaddr and the hostname, from the ACK itself or else from the client's
 * last DISCOVER/REQUEST/INFORM with the same chaddr (and xid when it
 * matches; clients often change xid between DISCOVER and REQUEST). The lease
 * time sets the binding's expiry (nw_identity_expire ends it). DHCPRELEASE
 * ends the binding ("release"), DHCPDECLINE too ("decline").
 *
 * Invariants and limits: every read is bounds-checked against the datagram;
 * each option area is walked once, so the walk is bounded by its size; an
 * option that appears twice keeps its first value (RFC 3396 splitting of
 * long options is not reassembled). The hostname hints live in a table of
 * DHCP_HINTS entries held by the identity table (DHCP transactions span two
 * UDP flows: client->broadcast and server->client), oldest replaced first.
 */
#include "nw/identity.h"
#include "nw/proto.h"

#include <stdio.h>
#include <string.h>

#define DHCP_FIXED 236u  /* BOOTP header up to the options */
#define DHCP_MAGIC 0x63825363u
#define DHCP_HINTS 128
#define DHCP_MAX_ADDRS 8 /* routers/DNS servers listed per record */

enum {
    DHCP_DISCOVER = 1, DHCP_OFFER, DHCP_REQUEST, DHCP_DECLINE, DHCP_ACK, DHCP_NAK, DHCP_RELEASE,
    DHCP_INFORM
};

static const char *const dhcp_type_names[] = {
    "unknown", "discover", "offer", "request", "decline", "ack", "nak", "release", "inform",
    "forcerenew", "leasequery", "leaseunassigned", "leaseunknown", "leaseactive"};

struct slice {
    const uint8_t *p;
    size_t n; /* p == NULL: absent */
};

struct dhcp_msg {
    uint8_t op, htype, hlen;
    uint32_t xid;
    const uint8_t *ciaddr, *yiaddr, *siaddr, *giaddr, *chaddr;
    int has_cookie;
    int type;                      /* option 53, 0 if absent */
    struct slice hostname, fqdn_raw, vendor, client_id, requested, server_id, mask, routers, dns;
    int has_lease, has_renew, has_rebind;
    uint32_t lease, renew, rebind;
    char fqdn[128];                /* decoded client FQDN, "" if none (truncated to fit) */
    unsigned options;              /* options seen (for the walk bound check) */
};

/* One remembered client hostname (from DISCOVER/REQUEST/INFORM). */
struct dhcp_hint {
    uint64_t seq;         /* 0 = empty slot; larger = newer */
    uint32_t xid;
    uint8_t chaddr[16];
    char hostname[128];
    char fqdn[128];
};

struct dhcp_hints {
    uint64_t seq;
    struct dhcp_hint h[DHCP_HINTS];
};

/* ------------------------------------------------------------------ options */

static void take(struct slice *s, const uint8_t *p, size_t n)
{
    if (s->p == NULL) {
        s->p = p;
        s->n = n;
    }
}

/* Client FQDN (RFC 4702): flags, rcode1, rcode2, name. E bit: DNS wire form. */
static void decode_fqdn(struct dhcp_msg *m, const uint8_t *p, size_t n)
{
    size_t o = 0, off = 3;

    if (n < 3 || m->fqdn[0]) return;
    if (!(p[0] & 0x04)) {
        size_t k = NW_MIN(n - 3, sizeof m->fqdn - 1);
        memcpy(m->fqdn, p + 3, k);
        m->fqdn[k] = '\0';
        /* a NUL inside stops the name (it is text) */
        m->fqdn[strnlen(m->fqdn, k)] = '\0';
        return;
    }
    /* wire form: labels, no compression; at most n bytes so the loop is bounded */
    while (off < n) {
        uint8_t l = p[off++];
        if (l == 0 || l > 63 || off + l > n) break;
        if (o + l + 2 > sizeof m->fqdn) break;
        if (o) m->fqdn[o++] = '.';
        for (uint8_t i = 0; i < l; i++) {
            uint8_t c = p[off + i];
            m->fqdn[o++] = (char)(c == 0 ? '?' : c);
        }
        off += l;
    }
    m->fqdn[o] = '\0';
}

/* Walk one option area. Returns the overload value if option 52 was seen. */
static int walk_options(struct dhcp_msg *m, const uint8_t *p, size_t n)
{
    size_t off = 0;
    int overload = 0;

    while (off < n) {
        uint8_t code = p[off++], l;
        const uint8_t *v;

        if (code == 0) continue;
        if (code == 255) break;
        if (off >= n) break;
        l = p[off++];
        if (l > n - off) break; /* option runs past the area: stop here */
        v = p + off;
        off += l;
        m->options++;
        switch (code) {
        case 53:
            if (l >= 1 && m->type == 0) m->type = v[0];
            break;
        case 12: take(&m->hostname, v, l); break;
        case 81:
            take(&m->fqdn_raw, v, l);
            decode_fqdn(m, v, l);
            break;
        case 60: take(&m->vendor, v, l); break;
        case 61: take(&m->client_id, v, l); break;
        case 50:
            if (l == 4) take(&m->requested, v, l);
            break;
        case 54:
            if (l == 4) take(&m->server_id, v, l);
            break;
        case 1:
            if (l == 4) take(&m->mask, v, l);
            break;
        case 3:
            if (l >= 4) take(&m->routers, v, l);
            break;
        case 6:
            if (l >= 4) take(&m->dns, v, l);
            break;
        case 51:
            if (l == 4 && !m->has_lease) m->has_lease = 1, m->lease = nw_be32(v);
            break;
        case 58:
            if (l == 4 && !m->has_renew) m->has_renew = 1, m->renew = nw_be32(v);
            break;
        case 59:
            if (l == 4 && !m->has_rebind) m->has_rebind = 1, m->rebind = nw_be32(v);
            break;
        case 52:
            if (l == 1) overload = v[0];
            break;
        default: break;
        }
    }
    return overload;
}

/* 0 = parsed, <0 = not a DHCP/BOOTP message. */
static int dhcp_decode(struct dhcp_msg *m, const uint8_t *p, size_t len)
{
    memset(m, 0, sizeof *m);
    if (len < DHCP_FIXED) return -1;
    m->op = p[0];
    m->htype = p[1];
    m->hlen = p[2];
    if (m->op != 1 && m->op != 2) return -1;
    m->xid = nw_be32(p + 4);
    m->ciaddr = p + 12;
    m->yiaddr = p + 16;
    m->siaddr = p + 20;
    m->giaddr = p + 24;
    m->chaddr = p + 28;
    if (len >= DHCP_FIXED + 4 && nw_be32(p + DHCP_FIXED) == DHCP_MAGIC) {
        int ov;
        m->has_cookie = 1;
        ov = walk_options(m, p + DHCP_FIXED + 4, len - DHCP_FIXED - 4);
        /* RFC 2131 4.1: file is read before sname */
        if (ov == 1 || ov == 3) walk_options(m, p + 108, 128);
        if (ov == 2 || ov == 3) walk_options(m, p + 44, 64);
    }
    return 0;
}

static int is_zero4(const uint8_t *a) { return nw_be32(a) == 0; }

static int mac_ok(const struct dhcp_msg *m) { return m->htype == 1 && m->hlen == 6; }

/* ------------------------------------------------------------------ hints */

static struct dhcp_hints *hints_get(struct nw_proto_ctx *ctx)
{
    return nw_identity_aux(ctx->ident, NW_IDAUX_DHCP, sizeof(struct dhcp_hints), NULL);
}

static void copy_text(char *dst, size_t cap, struct slice s)
{
    size_t n = s.p ? NW_MIN(s.n, cap - 1) : 0;
    if (n) memcpy(dst, s.p, n);
    dst[n] = '\0';
    dst[strnlen(dst, n)] = '\0'; /* stop at an embedded NUL */
}

static void hint_remember(struct dhcp_hints *hs, const struct dhcp_msg *m)
{
    struct dhcp_hint *slot = NULL, *oldest;

    /* hs is NULL when the identity table had no memory for it: &hs->h[0] taken before
     * this test was undefined (UBSan stopped audit, alloc_fail.sh with --static-map) */
    if (hs == NULL || (m->hostname.p == NULL && !m->fqdn[0])) return;
    oldest = &hs->h[0];
    for (int i = 0; i < DHCP_HINTS; i++) {
        struct dhcp_hint *h = &hs->h[i];
        if (h->seq && h->xid == m->xid && memcmp(h->chaddr, m->chaddr, 16) == 0) {
            slot = h;
            break;
        }
        if (h->seq < oldest->seq) oldest = h;
    }
    if (slot == NULL) slot = oldest;
    slot->seq = ++hs->seq;
    slot->xid = m->xid;
    memcpy(slot->chaddr, m->chaddr, 16);
    copy_text(slot->hostname, sizeof slot->hostname, m->hostname);
    snprintf(slot->fqdn, sizeof slot->fqdn, "%s", m->fqdn);
}

/* Same chaddr and xid, else the newest for the chaddr. */
static const struct dhcp_hint *hint_find(const struct dhcp_hints *hs, const struct dhcp_msg *m)
{
    const struct dhcp_hint *best = NULL;

    if (hs == NULL) return NULL;
    for (int i = 0; i < DHCP_HINTS; i++) {
        const struct dhcp_hint *h = &hs->h[i];
        if (h->seq == 0 || memcmp(h->chaddr, m->chaddr, 16) != 0) continue;
        if (h->xid == m->xid) return h;
        if (best == NULL || h->seq > best->seq) best = h;
    }
    return best;
}

/* ------------------------------------------------------------------ record */

static void write_addrs(struct nw_buf *b, const char *key, struct slice s)
{
    nw_json_karr_open(b, key);
    for (size_t i = 0; i + 4 <= s.n && i / 4 < DHCP_MAX_ADDRS; i += 4) nw_json_ip(b, 4, s.p + i);
    nw_json_arr_close(b);
}

static void write_hex_colon(struct nw_buf *b, const char *key, const uint8_t *p, size_t n)
{
    char tmp[3 * 64];
    size_t o = 0;

    n = NW_MIN(n, 64u);
    for (size_t i = 0; i < n; i++) {
        if (i) tmp[o++] = ':';
        tmp[o++] = "0123456789abcdef"[p[i] >> 4];
        tmp[o++] = "0123456789abcdef"[p[i] & 15];
    }
    nw_json_kstr(b, key, tmp, o);
}

static void write_record(struct nw_proto_ctx *ctx, const struct dhcp_msg *m,
                         const char *client_hostname)
{
    struct nw_buf *b = nw_record_begin(ctx, "dhcp", NW_REC_PACKET);

    nw_json_kobj_open(b, "dhcp");
    nw_json_kcstr(b, "type", m->op == 1 ? "request" : "reply");
    nw_json_kuint(b, "id", m->xid);
    if (mac_ok(m)) nw_json_kmac(b, "client_mac", m->chaddr);
    else write_hex_colon(b, "client_mac", m->chaddr, NW_MIN(m->hlen, 16u));
    nw_json_kip(b, "assigned_ip", 4, m->yiaddr);
    nw_json_kip(b, "client_ip", 4, m->ciaddr);
    if (m->op == 2) {
        nw_json_kip(b, "relay_ip", 4, m->giaddr);
        nw_json_kip(b, "next_server_ip", 4, m->siaddr);
    } else if (!is_zero4(m->giaddr)) {
        nw_json_kip(b, "relay_ip", 4, m->giaddr);
    }
    if (m->type != 0)
        nw_json_kcstr(b, "dhcp_type",
                      m->type < (int)NW_ARRAY_LEN(dhcp_type_names) ? dhcp_type_names[m->type]
                                                                   : "unknown");
    if (m->client_id.p && m->client_id.n) write_hex_colon(b, "client_id", m->client_id.p,
                                                          m->client_id.n);
    if (m->hostname.p && m->hostname.n) nw_json_kstr(b, "hostname", m->hostname.p, m->hostname.n);
    if (m->fqdn[0]) nw_json_kcstr(b, "client_fqdn", m->fqdn);
    if (client_hostname[0]) nw_json_kcstr(b, "client_hostname", client_hostname);
    if (m->requested.p) nw_json_kip(b, "requested_ip", 4, m->requested.p);
    if (m->server_id.p) nw_json_kip(b, "server_id", 4, m->server_id.p);
    if (m->has_lease) nw_json_kuint(b, "lease_time", m->lease);
    if (m->has_renew) nw_json_kuint(b, "renewal_time", m->renew);
    if (m->has_rebind) nw_json_kuint(b, "rebinding_time", m->rebind);
    if (m->mask.p) nw_json_kip(b, "subnet_mask", 4, m->mask.p);
    if (m->routers.p) write_addrs(b, "routers", m->routers);
    if (m->dns.p) write_addrs(b, "dns_servers", m->dns);
    if (m->vendor.p && m->vendor.n) nw_json_kstr(b, "vendor_class", m->vendor.p, m->vendor.n);
    nw_json_obj_close(b);
    nw_record_end(ctx);
}

/* ------------------------------------------------------------------ identity */

static void base_info(struct nw_ident_info *in, const struct dhcp_msg *m, const uint8_t *ip)
{
    memset(in, 0, sizeof *in);
    in->source = NW_IDSRC_DHCP;
    in->family = 4;
    memcpy(in->ip, ip, 4);
    if (mac_ok(m)) {
        in->has_mac = 1;
        memcpy(in->mac, m->chaddr, 6);
    }
    snprintf(in->session_id, sizeof in->session_id, "0x%08x", (unsigned)m->xid);
}

static void feed_identity(struct nw_proto_ctx *ctx, const struct dhcp_msg *m,
                          const char *client_hostname)
{
    struct nw_ident_info in;

    if (ctx->ident == NULL) return;
    if (m->type == DHCP_ACK) {
        const uint8_t *ip = !is_zero4(m->yiaddr) ? m->yiaddr : m->ciaddr;
        if (is_zero4(ip)) return;
        base_info(&in, m, ip);
        snprintf(in.hostname, sizeof in.hostname, "%s", client_hostname);
        /* 0xffffffff = infinite: no expiry */
        if (m->has_lease && m->lease != 0xffffffffu) in.lease_us = (uint64_t)m->lease * 1000000u;
        if (nw_identity_login(ctx->ident, &in, ctx->ts_us) == NW_ENOMEM)
            nw_proto_anomaly(ctx, "identity_full");
    } else if (m->type == DHCP_RELEASE && !is_zero4(m->ciaddr)) {
        base_info(&in, m, m->ciaddr);
        nw_identity_logout(ctx->ident, &in, ctx->ts_us, "release");
    } else if (m->type == DHCP_DECLINE && m->requested.p != NULL) {
        base_info(&in, m, m->requested.p);
        nw_identity_logout(ctx->ident, &in, ctx->ts_us, "decline");
    }
}

static int dhcp_parse(struct nw_proto_ctx *ctx, void *state, const uint8_t *p, size_t len)
{
    struct dhcp_msg m;
    struct dhcp_hints *hs;
    char host[128] = "", fqdn[128] = "";

    (void)state;
    if (dhcp_decode(&m, p, len) != 0) return -1;
    hs = ctx->ident ? hints_get(ctx) : NULL;
    if (m.type == DHCP_DISCOVER || m.type == DHCP_REQUEST || m.type == DHCP_INFORM)
        hint_remember(hs, &m);
    if (m.type == DHCP_ACK) {
        /* what the ACK says, else what the client said in this transaction */
        const struct dhcp_hint *h = hint_find(hs, &m);
        if (m.hostname.p && m.hostname.n) copy_text(host, sizeof host, m.hostname);
        else if (h != NULL) snprintf(host, sizeof host, "%s", h->hostname);
        if (m.fqdn[0]) snprintf(fqdn, sizeof fqdn, "%s", m.fqdn);
        else if (h != NULL) snprintf(fqdn, sizeof fqdn, "%s", h->fqdn);
    }
    /* the record first: identity changes write session records of their own */
    write_record(ctx, &m, host);
    feed_identity(ctx, &m, host[0] ? host : fqdn);
    return (int)len;
}

static int dhcp_probe(const uint8_t *p, size_t len, int dir)
{
    (void)dir;
    if (len < 1) return -1;
    if (p[0] != 1 && p[0] != 2) return 0;
    if (len < DHCP_FIXED + 4) return len < DHCP_FIXED ? 0 : 1; /* BOOTP without options */
    return nw_be32(p + DHCP_FIXED) == DHCP_MAGIC;
}

static int dhcp_selftest(void)
{
    static uint8_t msg[300];
    struct dhcp_msg m;

    memset(msg, 0, sizeof msg);
    msg[0] = 2, msg[1] = 1, msg[2] = 6;
    msg[236] = 0x63, msg[237] = 0x82, msg[238] = 0x53, msg[239] = 0x63;
    msg[240] = 53, msg[241] = 1, msg[242] = DHCP_ACK;
    msg[243] = 51, msg[244] = 4, msg[248] = 60;
    msg[249] = 255;
    if (dhcp_decode(&m, msg, sizeof msg) != 0) return -1;
    return m.type == DHCP_ACK && m.has_lease && m.lease == 60 ? 0 : -1;
}

const struct nw_proto_parser nw_proto_dhcp = {
    .name = "dhcp",
    .transports = NW_T_UDP,
    .ports = {67, 68},
    .probe = dhcp_probe,
    .parse = dhcp_parse,
    .selftest = dhcp_selftest,
};
