/*
 * gen_pcap.c — deterministic synthetic capture of an access network, for `make bench`.
 *
 * What it writes: a classic pcap (microsecond timestamps, LINKTYPE_ETHERNET) seen at the
 * subscriber side of a BRAS serving ~2,000 users, plus the BRAS's RADIUS uplink:
 *   - identity: DHCP DORA/renew/release (IPoE users), PPPoE discovery + LCP + PAP/CHAP + IPCP +
 *     LCP echo + PADT (PPPoE users), RADIUS Access-Request/Accept and Accounting
 *     Start/Interim-Update/Stop with their responses;
 *   - traffic: DNS over UDP (A/AAAA/HTTPS, CNAME chains, EDNS, NXDOMAIN), HTTP/1.1 over TCP
 *     (handshake, keep-alive, multi-segment POST bodies, chunked and Content-Length bodies,
 *     FIN or RST close), TLS over TCP (Chrome/Firefox-like ClientHello with SNI, ALPN,
 *     supported_versions, GREASE, sometimes an X25519MLKEM768 key share large enough to span
 *     two segments; TLS 1.3 ServerHello or TLS 1.2 resumption), QUIC v1 (Initial packets really
 *     protected per RFC 9001 so a QUIC parser can decrypt them, ClientHello sometimes split over
 *     two Initials, server Initial with ServerHello, Handshake and 1-RTT packets as opaque
 *     bytes), some ICMP echo and NTP as noise;
 *   - 802.1Q tags on the frames of a share of the users; PPPoE users' IP rides in PPPoE session
 *     frames.
 *
 * Invariants: the output depends only on the command-line options (a fixed xorshift seed, no
 * clock, no addresses, no hash ordering), so the same binary on the same architecture writes
 * the same bytes every run; run.sh prints the sha256. Every length field (Ethernet/PPPoE/IP/
 * UDP/TCP/DNS/TLS/QUIC/RADIUS/DHCP) is consistent and IPv4/TCP/UDP checksums are correct.
 * TCP sequence and acknowledgement numbers are consistent within a flow.
 *
 * How: conversations (one DNS exchange, one TCP connection, one QUIC connection, one login ...)
 * are generated whole into a buffer of frames; a scheduler keeps NW_SLOTS of them open at once
 * and emits the next frame of a randomly chosen one, so flows interleave like on a real link
 * and the flow table of the sensor under test holds thousands of flows.
 *
 * This is a tool, not part of the sensor: it uses malloc/stdio directly and exits on internal
 * errors (a writer overflow is a bug in this file, never an input problem).
 *
 * Usage: nw_gen_pcap [-n PACKETS] [-u USERS] [-s SEED] [--selftest] OUT.pcap
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define NW_SLOTS 2048         /* conversations open at once */
#define NW_MAXFRAME 1600      /* largest frame we build (1500 MTU + VLAN + PPPoE) */
#define NW_SCRATCH (4u << 20) /* largest L7 message (HTTP response, TLS stream) */

/* ------------------------------------------------------------------------------------------ */
/* Errors, random numbers */

static void nw_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void nw_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("nw_gen_pcap: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static uint64_t g_rng = 0x6e657477617264ULL; /* "netward" */

/* xorshift64*: fast, fixed sequence for a fixed seed. */
static uint64_t nw_rand(void)
{
    g_rng ^= g_rng >> 12;
    g_rng ^= g_rng << 25;
    g_rng ^= g_rng >> 27;
    return g_rng * 0x2545F4914F6CDD1DULL;
}

/* Uniform in [0, n). */
static uint32_t nw_below(uint32_t n)
{
    return (uint32_t)(((nw_rand() >> 32) * (uint64_t)n) >> 32);
}

static uint32_t nw_range(uint32_t lo, uint32_t hi)
{
    return lo + nw_below(hi - lo + 1);
}

static int nw_chance(uint32_t pct)
{
    return nw_below(100) < pct;
}

/* Skewed towards small indexes (min of three uniforms): popular domains, short flows. */
static uint32_t nw_skew(uint32_t n)
{
    uint32_t a = nw_below(n), b = nw_below(n), c = nw_below(n);
    uint32_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Log-uniform in [lo, hi]: sizes spanning orders of magnitude. */
static uint32_t nw_logu(uint32_t lo, uint32_t hi)
{
    uint32_t v;
    uint32_t span = hi / lo;
    /* multiply by 2 a random number of times, then jitter inside the octave */
    uint32_t oct = 0;
    while ((1u << (oct + 1)) <= span)
        oct++;
    uint32_t k = nw_below(oct + 1);
    v = lo << k;
    v += nw_below(v);
    if (v > hi) /* the top octave is cut by hi: redraw inside it instead of piling on hi */
        v = (lo << k) + nw_below(hi - (lo << k) + 1);
    return v;
}

static void nw_fill(uint8_t *p, size_t n)
{
    while (n >= 8) {
        uint64_t v = nw_rand();
        for (int i = 0; i < 8; i++)
            p[i] = (uint8_t)(v >> (8 * i));
        p += 8;
        n -= 8;
    }
    uint64_t v = nw_rand();
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* ------------------------------------------------------------------------------------------ */
/* Bounded byte writer. Overflow is a bug in this generator, so it is fatal. */

struct nw_wr {
    uint8_t *p;
    size_t n;   /* bytes written */
    size_t cap; /* size of p */
};

static uint8_t *wr_room(struct nw_wr *w, size_t k)
{
    if (k > w->cap - w->n)
        nw_die("writer overflow (%zu + %zu > %zu)", w->n, k, w->cap);
    uint8_t *at = w->p + w->n;
    w->n += k;
    return at;
}

static void wr_u8(struct nw_wr *w, unsigned v)
{
    *wr_room(w, 1) = (uint8_t)v;
}

static void wr_u16(struct nw_wr *w, unsigned v)
{
    uint8_t *p = wr_room(w, 2);
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void wr_u32(struct nw_wr *w, uint32_t v)
{
    uint8_t *p = wr_room(w, 4);
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void wr_mem(struct nw_wr *w, const void *d, size_t k)
{
    if (k)
        memcpy(wr_room(w, k), d, k);
}

static void wr_str(struct nw_wr *w, const char *s)
{
    wr_mem(w, s, strlen(s));
}

static void wr_zero(struct nw_wr *w, size_t k)
{
    memset(wr_room(w, k), 0, k);
}

static void wr_rand(struct nw_wr *w, size_t k)
{
    nw_fill(wr_room(w, k), k);
}

/* printf into the writer (headers, names). */
static void wr_fmt(struct nw_wr *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wr_fmt(struct nw_wr *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf((char *)w->p + w->n, w->cap - w->n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= w->cap - w->n)
        nw_die("writer overflow in wr_fmt");
    w->n += (size_t)k;
}

/* QUIC variable-length integer (RFC 9000 §16). */
static void wr_varint(struct nw_wr *w, uint64_t v)
{
    if (v < 64) {
        wr_u8(w, (unsigned)v);
    } else if (v < 16384) {
        wr_u16(w, 0x4000u | (unsigned)v);
    } else if (v < (1u << 30)) {
        wr_u32(w, 0x80000000u | (uint32_t)v);
    } else {
        wr_u32(w, 0xc0000000u | (uint32_t)(v >> 32));
        wr_u32(w, (uint32_t)v);
    }
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
}

/* Open a length-prefixed vector of `width` bytes; close it with wr_close(). */
static size_t wr_open(struct nw_wr *w, int width)
{
    size_t at = w->n;
    wr_zero(w, (size_t)width);
    return at;
}

static void wr_close(struct nw_wr *w, size_t at, int width)
{
    size_t len = w->n - at - (size_t)width;
    if (width == 1)
        w->p[at] = (uint8_t)len;
    else if (width == 2)
        put16(w->p + at, (unsigned)len);
    else
        put24(w->p + at, (uint32_t)len);
}

/* ------------------------------------------------------------------------------------------ */
/* Conversations: a buffer of frames (u16 length + bytes) emitted later by the scheduler. */

enum nw_kind {
    K_DNS,
    K_HTTP,
    K_TLS,
    K_QUIC,
    K_NOISE,
    K_LOGIN_DHCP,
    K_LOGIN_PPPOE,
    K_LOGOUT,
    K_KEEPALIVE,
    K_NKINDS
};

static const char *const g_kind_name[K_NKINDS] = {
    "dns", "http", "tls", "quic", "icmp+ntp", "login-dhcp", "login-pppoe", "logout", "keepalive",
};

struct nw_conv {
    uint8_t *buf;  /* frames: u16 length (big endian) + frame bytes */
    size_t len;    /* bytes used in buf */
    size_t cap;    /* bytes allocated */
    size_t off;    /* next frame to emit */
    uint32_t npkt; /* frames in buf */
    uint32_t user; /* subscriber it belongs to */
    int kind;      /* enum nw_kind */
};

/* Counters for the summary printed at the end. */
static uint64_t g_kind_pkts[K_NKINDS], g_kind_bytes[K_NKINDS], g_kind_convs[K_NKINDS];
static uint64_t g_vlan_frames, g_pppoe_frames;

static void conv_frame(struct nw_conv *c, const uint8_t *f, size_t len)
{
    if (c->len + len + 2 > c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16384;
        while (ncap < c->len + len + 2)
            ncap *= 2;
        uint8_t *nb = realloc(c->buf, ncap);
        if (!nb)
            nw_die("out of memory");
        c->buf = nb;
        c->cap = ncap;
    }
    put16(c->buf + c->len, (unsigned)len);
    memcpy(c->buf + c->len + 2, f, len);
    c->len += len + 2;
    c->npkt++;
    g_kind_pkts[c->kind]++;
    g_kind_bytes[c->kind] += len;
}

/* ------------------------------------------------------------------------------------------ */
/* The network: BRAS, servers, users, domains. */

static const uint8_t g_bras_mac[6] = {0x00, 0x1b, 0x21, 0x5a, 0x00, 0x01};   /* access side */
static const uint8_t g_nas_mac[6] = {0x00, 0x1b, 0x21, 0x5a, 0x00, 0x02};    /* uplink */
static const uint8_t g_core_mac[6] = {0x28, 0x8a, 0x1c, 0x40, 0x11, 0x01};   /* core router */
static const uint8_t g_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

static const uint32_t g_gw_ip = IP4(100, 64, 0, 1);      /* BRAS, DHCP server, PPP peer */
static const uint32_t g_nas_ip = IP4(10, 255, 0, 1);     /* BRAS as RADIUS client */
static const uint32_t g_radius_ip = IP4(10, 255, 1, 10); /* RADIUS server */
static const uint32_t g_dns_ip[2] = {IP4(100, 127, 0, 53), IP4(100, 127, 1, 53)};

enum { U_OFF, U_JOINING, U_ON, U_LEAVING };

struct nw_user {
    uint8_t mac[6];
    uint32_t ip;        /* current address (fixed or from the dynamic pool) */
    uint16_t vlan;      /* 0 = untagged */
    uint16_t sid;       /* PPPoE session id while up */
    uint8_t pppoe;      /* 1 = PPPoE subscriber, 0 = IPoE (DHCP) */
    uint8_t chap;       /* PPPoE authenticates with CHAP (else PAP) */
    uint8_t state;      /* U_* */
    uint8_t os;         /* picks hostname / DHCP vendor class / user agent */
    char name[40];      /* RADIUS User-Name, PPP peer id */
    char host[24];      /* DHCP hostname */
    uint32_t acct_id;   /* current Acct-Session-Id */
    uint16_t ipid;      /* next IPv4 identification */
};

static struct nw_user *g_users;
static uint32_t g_nusers = 2000;
static uint32_t g_pool_next;   /* dynamic address pool 100.66.0.0/16 */
static uint32_t g_acct_next = 0x5a000001u;
static uint16_t g_sid_next = 0x0101;
static uint16_t g_radius_id;
static uint16_t g_srv_ipid = 1;
static uint64_t g_now_us;      /* capture clock */

#define NW_NDOMAINS 600

struct nw_domain {
    char name[64];
    uint32_t ip;
    uint8_t h3;   /* also reachable over QUIC */
    uint8_t http; /* plain HTTP site */
};

static struct nw_domain g_domains[NW_NDOMAINS];

static const char *const g_words[] = {
    "acme", "blue", "cloud", "delta", "echo", "fable", "giga", "harbor", "indigo", "jet",
    "kite", "lumen", "metro", "nova", "orbit", "pixel", "quartz", "river", "solar", "terra",
    "ultra", "vista", "wave", "xeno", "yonder", "zephyr", "amber", "birch", "cobalt", "dune",
    "ember", "fjord", "granite", "hazel", "iris", "juniper", "kelp", "lotus", "maple", "nimbus",
    "onyx", "prairie", "quill", "raven", "sage", "tundra", "umber", "velvet", "willow", "yarrow",
    "stream", "shop", "news", "play", "mail", "maps", "tube", "bank", "social", "games",
};
#define NW_NWORDS (sizeof g_words / sizeof g_words[0])

static const char *const g_prefixes[] = {
    "www", "api", "cdn", "static", "img", "m", "login", "mail", "news", "video",
    "edge", "assets", "app", "s", "media", "update", "telemetry", "push",
};
static const char *const g_tlds[] = {"com", "net", "org", "io", "tv", "de", "fr", "co.uk", "ru"};
static const uint8_t g_first_octets[] = {23, 31, 45, 52, 64, 77, 81, 87, 91, 93, 95, 104,
                                         128, 141, 142, 151, 157, 176, 185, 188, 193, 195,
                                         199, 205, 212, 213, 216};

static void nw_world_init(void)
{
    for (uint32_t i = 0; i < NW_NDOMAINS; i++) {
        struct nw_domain *d = &g_domains[i];
        const char *pre = g_prefixes[nw_below(sizeof g_prefixes / sizeof g_prefixes[0])];
        const char *w1 = g_words[nw_below(NW_NWORDS)];
        const char *tld = g_tlds[nw_below(sizeof g_tlds / sizeof g_tlds[0])];
        if (nw_chance(40))
            snprintf(d->name, sizeof d->name, "%s.%s%s.%s", pre, w1, g_words[nw_below(NW_NWORDS)],
                     tld);
        else
            snprintf(d->name, sizeof d->name, "%s.%s%u.%s", pre, w1, i, tld);
        d->ip = IP4(g_first_octets[nw_below(sizeof g_first_octets)], nw_below(256),
                    nw_below(256), nw_range(1, 254));
        d->h3 = (uint8_t)nw_chance(40);
        d->http = (uint8_t)nw_chance(25);
    }

    static const uint8_t ouis[][3] = {{0x3c, 0x84, 0x6a}, {0xf4, 0xf2, 0x6d}, {0xb0, 0xbe, 0x76},
                                      {0x18, 0xd6, 0xc7}, {0xe4, 0x5f, 0x01}, {0x9c, 0x53, 0x22}};
    static const char *const hostpre[] = {"DESKTOP-", "android-", "iPhone-", "LAPTOP-",
                                          "smart-tv-"};
    g_users = calloc(g_nusers, sizeof *g_users);
    if (!g_users)
        nw_die("out of memory");
    for (uint32_t i = 0; i < g_nusers; i++) {
        struct nw_user *u = &g_users[i];
        memcpy(u->mac, ouis[nw_below(6)], 3);
        u->mac[3] = (uint8_t)(i >> 8);
        u->mac[4] = (uint8_t)i;
        u->mac[5] = (uint8_t)nw_below(256);
        u->ip = IP4(100, 64, 4 + i / 250, 2 + i % 250);
        u->pppoe = (uint8_t)nw_chance(40);
        u->chap = (uint8_t)nw_chance(50);
        u->os = (uint8_t)nw_below(5);
        /* access nodes: users of some DSLAM/OLT groups arrive tagged */
        if ((i / 100) % 5 < 2)
            u->vlan = (uint16_t)(100 + i / 100);
        if (u->pppoe)
            snprintf(u->name, sizeof u->name, "cust%06u@isp.example", 100000 + i * 7);
        else
            snprintf(u->name, sizeof u->name, "%02x%02x%02x%02x%02x%02x", u->mac[0], u->mac[1],
                     u->mac[2], u->mac[3], u->mac[4], u->mac[5]);
        snprintf(u->host, sizeof u->host, "%s%04x", hostpre[u->os],
                 (unsigned)(i * 2654435761u >> 16));
        u->ipid = (uint16_t)nw_rand();
        /* most sessions started before the capture: their identity shows up in interims */
        if (nw_chance(70)) {
            u->state = U_ON;
            u->acct_id = g_acct_next++;
            if (u->pppoe)
                u->sid = g_sid_next++;
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* L2/L3/L4 framing */

/* A link: side a (subscriber / NAS) and side b (BRAS / core). dir 0 is a->b. */
struct nw_lk {
    const uint8_t *a_mac;
    const uint8_t *b_mac;
    uint16_t vlan; /* 802.1Q VID, 0 = untagged */
    uint16_t sid;  /* PPPoE session id, 0 = plain Ethernet/IPv4 */
    uint16_t *a_ipid;
};

static struct nw_lk user_link(struct nw_user *u)
{
    struct nw_lk lk = {u->mac, g_bras_mac, u->vlan, u->pppoe ? u->sid : 0, &u->ipid};
    return lk;
}

static struct nw_lk radius_link(void)
{
    static uint16_t nas_ipid = 0x1234;
    struct nw_lk lk = {g_nas_mac, g_core_mac, 0, 0, &nas_ipid};
    return lk;
}

/* One Ethernet frame (with the link's VLAN tag) around payload; dst overrides the peer MAC. */
static void emit_eth(struct nw_conv *c, const struct nw_lk *lk, int dir, const uint8_t *dst,
                     unsigned ethertype, const uint8_t *pl, size_t plen)
{
    uint8_t f[NW_MAXFRAME];
    struct nw_wr w = {f, 0, sizeof f};
    const uint8_t *src = dir ? lk->b_mac : lk->a_mac;
    if (!dst)
        dst = dir ? lk->a_mac : lk->b_mac;
    wr_mem(&w, dst, 6);
    wr_mem(&w, src, 6);
    if (lk->vlan) {
        wr_u16(&w, 0x8100);
        wr_u16(&w, lk->vlan & 0x0fff);
        g_vlan_frames++;
    }
    wr_u16(&w, ethertype);
    wr_mem(&w, pl, plen);
    /* pad to the 60-byte Ethernet minimum like a NIC would */
    if (w.n < 60)
        wr_zero(&w, 60 - w.n);
    conv_frame(c, f, w.n);
}

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
    while (n > 1) {
        s += (uint32_t)p[0] << 8 | p[1];
        p += 2;
        n -= 2;
    }
    if (n)
        s += (uint32_t)p[0] << 8;
    return s;
}

static unsigned csum_fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return ~s & 0xffff;
}

/* IPv4 packet around an L4 segment (checksums filled in); PPPoE session framing if the link
 * has a session id. */
static void emit_ip(struct nw_conv *c, const struct nw_lk *lk, int dir, const uint8_t *dst_mac,
                    uint32_t src, uint32_t dst, unsigned proto, uint8_t *l4, size_t l4len)
{
    uint8_t pkt[NW_MAXFRAME];
    struct nw_wr w = {pkt, 0, sizeof pkt};
    size_t ip_at = 0;
    if (lk->sid) {
        wr_u8(&w, 0x11);
        wr_u8(&w, 0x00);
        wr_u16(&w, lk->sid);
        wr_u16(&w, (unsigned)(2 + 20 + l4len));
        wr_u16(&w, 0x0021); /* PPP: IPv4 */
        ip_at = w.n;
        g_pppoe_frames++;
    }
    uint16_t id = dir ? g_srv_ipid++ : (*lk->a_ipid)++;
    wr_u8(&w, 0x45);
    wr_u8(&w, 0);
    wr_u16(&w, (unsigned)(20 + l4len));
    wr_u16(&w, id);
    wr_u16(&w, proto == 17 && dst == 0xffffffffu ? 0 : 0x4000); /* DF */
    wr_u8(&w, dir ? 57 : 64);
    wr_u8(&w, proto);
    wr_u16(&w, 0);
    wr_u32(&w, src);
    wr_u32(&w, dst);
    put16(pkt + ip_at + 10, csum_fold(csum_add(0, pkt + ip_at, 20)));

    if (proto == 6 || proto == 17) {
        uint8_t ph[12];
        for (int i = 0; i < 4; i++) {
            ph[i] = (uint8_t)(src >> (24 - 8 * i));
            ph[4 + i] = (uint8_t)(dst >> (24 - 8 * i));
        }
        ph[8] = 0;
        ph[9] = (uint8_t)proto;
        put16(ph + 10, (unsigned)l4len);
        size_t at = proto == 6 ? 16 : 6;
        put16(l4 + at, 0);
        unsigned cs = csum_fold(csum_add(csum_add(0, ph, 12), l4, l4len));
        if (proto == 17 && cs == 0)
            cs = 0xffff;
        put16(l4 + at, cs);
    } else if (proto == 1) {
        put16(l4 + 2, 0);
        put16(l4 + 2, csum_fold(csum_add(0, l4, l4len)));
    }
    wr_mem(&w, l4, l4len);
    emit_eth(c, lk, dir, dst_mac, lk->sid ? 0x8864 : 0x0800, pkt, w.n);
}

static void emit_udp(struct nw_conv *c, const struct nw_lk *lk, int dir, const uint8_t *dst_mac,
                     uint32_t sip, unsigned sport, uint32_t dip, unsigned dport,
                     const uint8_t *pl, size_t plen)
{
    uint8_t seg[NW_MAXFRAME];
    struct nw_wr w = {seg, 0, sizeof seg};
    wr_u16(&w, sport);
    wr_u16(&w, dport);
    wr_u16(&w, (unsigned)(8 + plen));
    wr_u16(&w, 0);
    wr_mem(&w, pl, plen);
    emit_ip(c, lk, dir, dst_mac, sip, dip, 17, seg, w.n);
}

/* A TCP connection between a user (dir 0 = client) and a server (dir 1). */
struct nw_tcp {
    struct nw_lk lk;
    uint32_t ip[2];
    uint16_t port[2];
    uint32_t seq[2]; /* next sequence number each side sends */
    uint16_t win[2];
    uint16_t mss;    /* payload per segment */
};

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

static void tcp_seg(struct nw_conv *c, struct nw_tcp *t, int dir, unsigned flags,
                    const uint8_t *data, size_t len)
{
    uint8_t seg[NW_MAXFRAME];
    struct nw_wr w = {seg, 0, sizeof seg};
    int syn = (flags & TH_SYN) != 0;
    wr_u16(&w, t->port[dir]);
    wr_u16(&w, t->port[!dir]);
    wr_u32(&w, t->seq[dir]);
    wr_u32(&w, (flags & TH_ACK) ? t->seq[!dir] : 0);
    wr_u8(&w, (syn ? 8u : 5u) << 4);
    wr_u8(&w, flags);
    wr_u16(&w, t->win[dir]);
    wr_u16(&w, 0);
    wr_u16(&w, 0);
    if (syn) {
        wr_u8(&w, 2);   /* MSS */
        wr_u8(&w, 4);
        wr_u16(&w, t->mss);
        wr_u8(&w, 1);   /* NOP */
        wr_u8(&w, 3);   /* window scale */
        wr_u8(&w, 3);
        wr_u8(&w, 8);
        wr_u8(&w, 4);   /* SACK permitted */
        wr_u8(&w, 2);
        wr_u8(&w, 1);
        wr_u8(&w, 1);
    }
    wr_mem(&w, data, len);
    t->seq[dir] += (uint32_t)len + (syn ? 1u : 0u) + ((flags & TH_FIN) ? 1u : 0u);
    emit_ip(c, &t->lk, dir, NULL, t->ip[dir], t->ip[!dir], 6, seg, w.n);
}

/* Send an application message: MSS-sized segments, PSH on the last, the peer ACKs every
 * second segment and the last one. */
static void tcp_send(struct nw_conv *c, struct nw_tcp *t, int dir, const uint8_t *data,
                     size_t len)
{
    size_t off = 0;
    unsigned n = 0;
    while (off < len) {
        size_t k = len - off < t->mss ? len - off : t->mss;
        int last = off + k == len;
        tcp_seg(c, t, dir, TH_ACK | (last ? TH_PSH : 0), data + off, k);
        off += k;
        n++;
        if (last || n % 2 == 0)
            tcp_seg(c, t, !dir, TH_ACK, NULL, 0);
    }
}

static void tcp_open(struct nw_conv *c, struct nw_tcp *t, struct nw_user *u, uint32_t sip,
                     unsigned sport)
{
    t->lk = user_link(u);
    t->ip[0] = u->ip;
    t->ip[1] = sip;
    t->port[0] = (uint16_t)nw_range(32768, 60999);
    t->port[1] = (uint16_t)sport;
    t->seq[0] = (uint32_t)nw_rand();
    t->seq[1] = (uint32_t)nw_rand();
    t->win[0] = (uint16_t)(nw_chance(50) ? 64240 : 65535);
    t->win[1] = (uint16_t)(nw_chance(50) ? 65160 : 28960);
    t->mss = u->pppoe ? 1452 : 1460;
    tcp_seg(c, t, 0, TH_SYN, NULL, 0);
    tcp_seg(c, t, 1, TH_SYN | TH_ACK, NULL, 0);
    tcp_seg(c, t, 0, TH_ACK, NULL, 0);
    t->win[0] = (uint16_t)nw_range(500, 2052); /* scaled windows after the handshake */
    t->win[1] = (uint16_t)nw_range(200, 1024);
}

static void tcp_close(struct nw_conv *c, struct nw_tcp *t)
{
    if (nw_chance(5)) { /* abortive close, as browsers do on tab close */
        tcp_seg(c, t, 0, TH_RST | TH_ACK, NULL, 0);
        return;
    }
    int first = nw_chance(70) ? 0 : 1;
    tcp_seg(c, t, first, TH_FIN | TH_ACK, NULL, 0);
    tcp_seg(c, t, !first, TH_FIN | TH_ACK, NULL, 0);
    tcp_seg(c, t, first, TH_ACK, NULL, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* DNS */

static void dns_name(struct nw_wr *w, const char *name)
{
    const char *p = name;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t k = dot ? (size_t)(dot - p) : strlen(p);
        wr_u8(w, (unsigned)k);
        wr_mem(w, p, k);
        p += k;
        if (*p == '.')
            p++;
    }
    wr_u8(w, 0);
}

/* One query and its answer between a user and one of the ISP resolvers. ip_hint is the A
 * record the answer must carry (so later flows go where DNS said). */
static void dns_exchange(struct nw_conv *c, struct nw_user *u, const char *name, unsigned qtype,
                         uint32_t ip_hint)
{
    uint8_t q[512], r[1024];
    struct nw_wr w = {q, 0, sizeof q};
    unsigned id = (unsigned)nw_below(65536);
    int edns = nw_chance(60);
    wr_u16(&w, id);
    wr_u16(&w, 0x0100); /* RD */
    wr_u16(&w, 1);
    wr_u16(&w, 0);
    wr_u16(&w, 0);
    wr_u16(&w, edns ? 1 : 0);
    dns_name(&w, name);
    wr_u16(&w, qtype);
    wr_u16(&w, 1);
    size_t qlen = w.n;
    if (edns) {
        wr_u8(&w, 0);
        wr_u16(&w, 41);
        wr_u16(&w, 1232);
        wr_u32(&w, 0);
        wr_u16(&w, 0);
    }
    struct nw_lk lk = user_link(u);
    uint32_t res = g_dns_ip[nw_below(2)];
    unsigned sport = nw_range(1024, 65535);
    emit_udp(c, &lk, 0, NULL, u->ip, sport, res, 53, q, w.n);

    struct nw_wr a = {r, 0, sizeof r};
    int nx = nw_chance(3);
    wr_mem(&a, q, qlen);
    put16(r + 2, nx ? 0x8183 : 0x8180);
    unsigned an = 0;
    size_t an_at = 6;
    unsigned owner = 0xc00c; /* pointer to the question name */
    if (!nx) {
        if ((qtype == 1 || qtype == 28) && nw_chance(25)) {
            wr_u16(&a, owner);
            wr_u16(&a, 5);
            wr_u16(&a, 1);
            wr_u32(&a, nw_range(60, 3600));
            size_t rd = wr_open(&a, 2);
            size_t cname_at = a.n;
            char cn[96];
            snprintf(cn, sizeof cn, "e%u.%s.edgecdn.net", nw_below(9000),
                     g_words[nw_below(NW_NWORDS)]);
            dns_name(&a, cn);
            wr_close(&a, rd, 2);
            owner = 0xc000u | (unsigned)cname_at;
            an++;
        }
        if (qtype == 1) {
            unsigned k = nw_chance(60) ? 1 : nw_range(2, 4);
            for (unsigned i = 0; i < k; i++) {
                wr_u16(&a, owner);
                wr_u16(&a, 1);
                wr_u16(&a, 1);
                wr_u32(&a, nw_range(20, 300));
                wr_u16(&a, 4);
                wr_u32(&a, ip_hint + i);
                an++;
            }
        } else if (qtype == 28) {
            unsigned k = nw_range(1, 2);
            for (unsigned i = 0; i < k; i++) {
                wr_u16(&a, owner);
                wr_u16(&a, 28);
                wr_u16(&a, 1);
                wr_u32(&a, nw_range(20, 300));
                wr_u16(&a, 16);
                wr_u16(&a, 0x2a00 + nw_below(16));
                wr_u16(&a, nw_below(65536));
                wr_u32(&a, ip_hint);
                wr_u32(&a, 0);
                wr_u32(&a, i + 1);
                an++;
            }
        } else if (qtype == 65) {
            wr_u16(&a, owner);
            wr_u16(&a, 65);
            wr_u16(&a, 1);
            wr_u32(&a, 300);
            size_t rd = wr_open(&a, 2);
            wr_u16(&a, 1); /* SvcPriority */
            wr_u8(&a, 0);  /* TargetName "." */
            wr_u16(&a, 1); /* alpn */
            wr_u16(&a, 6);
            wr_u8(&a, 2);
            wr_str(&a, "h3");
            wr_u8(&a, 2);
            wr_str(&a, "h2");
            wr_u16(&a, 4); /* ipv4hint */
            wr_u16(&a, 4);
            wr_u32(&a, ip_hint);
            wr_close(&a, rd, 2);
            an++;
        }
    } else {
        /* NXDOMAIN with an SOA in authority */
        /* owner: the parent of the question name, by pointer into the question */
        const char *dot = strchr(name, '.');
        wr_u16(&a, 0xc000u | (unsigned)(dot ? 12 + (size_t)(dot - name) + 1 : 12));
        wr_u16(&a, 6);
        wr_u16(&a, 1);
        wr_u32(&a, 900);
        size_t rd = wr_open(&a, 2);
        dns_name(&a, "ns1.registry.example");
        dns_name(&a, "hostmaster.registry.example");
        wr_u32(&a, 2026010101);
        wr_u32(&a, 1800);
        wr_u32(&a, 900);
        wr_u32(&a, 604800);
        wr_u32(&a, 86400);
        wr_close(&a, rd, 2);
        put16(r + 8, 1);
    }
    put16(r + an_at, an);
    if (edns) {
        wr_u8(&a, 0);
        wr_u16(&a, 41);
        wr_u16(&a, 1232);
        wr_u32(&a, 0);
        wr_u16(&a, 0);
        put16(r + 10, 1);
    } else {
        put16(r + 10, 0);
    }
    emit_udp(c, &lk, 1, NULL, res, 53, u->ip, sport, r, a.n);
}

/* ------------------------------------------------------------------------------------------ */
/* TLS handshake messages */

struct nw_chello {
    const char *sni;
    int quic;             /* no record layer, h3, transport parameters, TLS 1.3 only */
    int grease;           /* Chrome-like GREASE values */
    int pq;               /* X25519MLKEM768 key share */
    int firefox;          /* Firefox-like extension set */
    const uint8_t *scid;  /* QUIC initial_source_connection_id */
    size_t scid_len;
    uint8_t sid[32];      /* legacy session id (TCP) */
    size_t sid_len;
};

static unsigned grease(void)
{
    unsigned k = nw_below(16);
    return (k << 12) | 0x0a00 | (k << 4) | 0x0a;
}

/* Handshake message ClientHello (type 1 + u24 length + body) into w. */
static void tls_client_hello(struct nw_wr *w, const struct nw_chello *h)
{
    static const unsigned suites_tcp[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
                                          0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f,
                                          0x0035};
    static const unsigned sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806,
                                       0x0601};
    size_t start = w->n;
    wr_u8(w, 1);
    size_t hl = wr_open(w, 3);
    wr_u16(w, 0x0303);
    wr_rand(w, 32);
    wr_u8(w, (unsigned)h->sid_len);
    wr_mem(w, h->sid, h->sid_len);

    size_t cs = wr_open(w, 2);
    if (h->grease)
        wr_u16(w, grease());
    size_t nsuites = h->quic ? 3 : sizeof suites_tcp / sizeof suites_tcp[0];
    for (size_t i = 0; i < nsuites; i++)
        wr_u16(w, suites_tcp[i]);
    wr_close(w, cs, 2);
    wr_u8(w, 1);
    wr_u8(w, 0);

    size_t exts = wr_open(w, 2);
    size_t e;
    if (h->grease) {
        wr_u16(w, grease());
        wr_u16(w, 0);
    }
    /* server_name */
    wr_u16(w, 0x0000);
    e = wr_open(w, 2);
    size_t l = wr_open(w, 2);
    wr_u8(w, 0);
    size_t n = wr_open(w, 2);
    wr_str(w, h->sni);
    wr_close(w, n, 2);
    wr_close(w, l, 2);
    wr_close(w, e, 2);
    if (!h->quic) {
        wr_u16(w, 0x0017); /* extended_master_secret */
        wr_u16(w, 0);
        wr_u16(w, 0xff01); /* renegotiation_info */
        wr_u16(w, 1);
        wr_u8(w, 0);
    }
    /* supported_groups */
    wr_u16(w, 0x000a);
    e = wr_open(w, 2);
    l = wr_open(w, 2);
    if (h->grease)
        wr_u16(w, grease());
    if (h->pq)
        wr_u16(w, 0x11ec);
    wr_u16(w, 0x001d);
    wr_u16(w, 0x0017);
    wr_u16(w, 0x0018);
    if (h->firefox) {
        wr_u16(w, 0x0100);
        wr_u16(w, 0x0101);
    }
    wr_close(w, l, 2);
    wr_close(w, e, 2);
    if (!h->quic) {
        wr_u16(w, 0x000b); /* ec_point_formats */
        wr_u16(w, 2);
        wr_u8(w, 1);
        wr_u8(w, 0);
        wr_u16(w, 0x0023); /* session_ticket */
        wr_u16(w, 0);
    }
    /* ALPN */
    wr_u16(w, 0x0010);
    e = wr_open(w, 2);
    l = wr_open(w, 2);
    if (h->quic) {
        wr_u8(w, 2);
        wr_str(w, "h3");
    } else {
        wr_u8(w, 2);
        wr_str(w, "h2");
        wr_u8(w, 8);
        wr_str(w, "http/1.1");
    }
    wr_close(w, l, 2);
    wr_close(w, e, 2);
    /* status_request */
    wr_u16(w, 0x0005);
    wr_u16(w, 5);
    wr_u8(w, 1);
    wr_u16(w, 0);
    wr_u16(w, 0);
    if (h->firefox) {
        wr_u16(w, 0x0022); /* delegated_credentials */
        e = wr_open(w, 2);
        l = wr_open(w, 2);
        wr_u16(w, 0x0403);
        wr_u16(w, 0x0503);
        wr_u16(w, 0x0603);
        wr_u16(w, 0x0203);
        wr_close(w, l, 2);
        wr_close(w, e, 2);
    }
    /* signature_algorithms */
    wr_u16(w, 0x000d);
    e = wr_open(w, 2);
    l = wr_open(w, 2);
    for (size_t i = 0; i < sizeof sigalgs / sizeof sigalgs[0]; i++)
        wr_u16(w, sigalgs[i]);
    wr_close(w, l, 2);
    wr_close(w, e, 2);
    if (!h->quic && !h->firefox) {
        wr_u16(w, 0x0012); /* signed_certificate_timestamp */
        wr_u16(w, 0);
    }
    /* key_share */
    wr_u16(w, 0x0033);
    e = wr_open(w, 2);
    l = wr_open(w, 2);
    if (h->grease) {
        wr_u16(w, grease());
        wr_u16(w, 1);
        wr_u8(w, 0);
    }
    if (h->pq) {
        wr_u16(w, 0x11ec);
        wr_u16(w, 1216);
        wr_rand(w, 1216);
    }
    wr_u16(w, 0x001d);
    wr_u16(w, 32);
    wr_rand(w, 32);
    wr_close(w, l, 2);
    wr_close(w, e, 2);
    /* psk_key_exchange_modes */
    wr_u16(w, 0x002d);
    wr_u16(w, 2);
    wr_u8(w, 1);
    wr_u8(w, 1);
    /* supported_versions */
    wr_u16(w, 0x002b);
    e = wr_open(w, 2);
    l = wr_open(w, 1);
    if (h->grease)
        wr_u16(w, grease());
    wr_u16(w, 0x0304);
    if (!h->quic)
        wr_u16(w, 0x0303);
    wr_close(w, l, 1);
    wr_close(w, e, 2);
    if (!h->firefox) {
        wr_u16(w, 0x001b); /* compress_certificate: brotli */
        wr_u16(w, 3);
        wr_u8(w, 2);
        wr_u16(w, 2);
    } else {
        wr_u16(w, 0x001c); /* record_size_limit */
        wr_u16(w, 2);
        wr_u16(w, 0x4001);
    }
    if (h->quic) {
        /* quic_transport_parameters (RFC 9000 §18) */
        wr_u16(w, 0x0039);
        e = wr_open(w, 2);
        static const uint64_t tp[][2] = {{0x01, 30000},   {0x03, 1472},     {0x04, 15728640},
                                         {0x05, 6291456}, {0x06, 6291456},  {0x07, 6291456},
                                         {0x08, 100},     {0x09, 103}};
        for (size_t i = 0; i < sizeof tp / sizeof tp[0]; i++) {
            uint8_t tmp[8];
            struct nw_wr t = {tmp, 0, sizeof tmp};
            wr_varint(&t, tp[i][1]);
            wr_varint(w, tp[i][0]);
            wr_varint(w, t.n);
            wr_mem(w, tmp, t.n);
        }
        wr_varint(w, 0x0f); /* initial_source_connection_id */
        wr_varint(w, h->scid_len);
        wr_mem(w, h->scid, h->scid_len);
        wr_close(w, e, 2);
    }
    if (h->grease) {
        wr_u16(w, grease());
        wr_u16(w, 1);
        wr_u8(w, 0);
    }
    /* padding to 512 bytes like BoringSSL, against broken middleboxes */
    if (!h->quic && !h->pq) {
        size_t now = w->n - start + 4;
        if (now < 512) {
            size_t pad = 512 - now;
            wr_u16(w, 0x0015);
            wr_u16(w, (unsigned)pad);
            wr_zero(w, pad);
        }
    }
    wr_close(w, exts, 2);
    wr_close(w, hl, 3);
}

/* Handshake message ServerHello into w. tls13: supported_versions + key_share; otherwise a TLS
 * 1.2 resumption (session id echoed, renegotiation_info, ALPN). */
static void tls_server_hello(struct nw_wr *w, const uint8_t *sid, size_t sid_len, int tls13,
                             int pq_share)
{
    wr_u8(w, 2);
    size_t hl = wr_open(w, 3);
    wr_u16(w, 0x0303);
    wr_rand(w, 32);
    wr_u8(w, (unsigned)sid_len);
    wr_mem(w, sid, sid_len);
    wr_u16(w, tls13 ? (nw_chance(70) ? 0x1301 : 0x1302) : 0xc02f);
    wr_u8(w, 0);
    size_t exts = wr_open(w, 2);
    if (tls13) {
        wr_u16(w, 0x002b);
        wr_u16(w, 2);
        wr_u16(w, 0x0304);
        wr_u16(w, 0x0033);
        size_t e = wr_open(w, 2);
        if (pq_share) {
            wr_u16(w, 0x11ec);
            wr_u16(w, 1120);
            wr_rand(w, 1120);
        } else {
            wr_u16(w, 0x001d);
            wr_u16(w, 32);
            wr_rand(w, 32);
        }
        wr_close(w, e, 2);
    } else {
        wr_u16(w, 0xff01);
        wr_u16(w, 1);
        wr_u8(w, 0);
        wr_u16(w, 0x0010);
        wr_u16(w, 5);
        wr_u16(w, 3);
        wr_u8(w, 2);
        wr_str(w, "h2");
    }
    wr_close(w, exts, 2);
    wr_close(w, hl, 3);
}

/* A TLS record of `type` carrying msg (or len random bytes if msg is NULL). */
static void tls_record(struct nw_wr *w, unsigned type, unsigned ver, const uint8_t *msg,
                       size_t len)
{
    wr_u8(w, type);
    wr_u16(w, ver);
    wr_u16(w, (unsigned)len);
    if (msg)
        wr_mem(w, msg, len);
    else
        wr_rand(w, len);
}

/* Opaque application data of total length total, in records of at most 16 KiB + overhead. */
static void tls_appdata(struct nw_wr *w, size_t total)
{
    while (total > 0) {
        size_t k = total > 16401 ? 16401 : total;
        if (k < 22)
            k = 22;
        tls_record(w, 23, 0x0303, NULL, k);
        total = total > k ? total - k : 0;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* QUIC v1 Initial protection (RFC 9001 §5) */

struct nw_qkeys {
    uint8_t key[16];
    uint8_t iv[12];
    uint8_t hp[16];
};

static EVP_CIPHER_CTX *g_gcm, *g_ecb;

static void hkdf_extract(const uint8_t *salt, size_t slen, const uint8_t *ikm, size_t ilen,
                         uint8_t out[32])
{
    unsigned olen = 32;
    if (!HMAC(EVP_sha256(), salt, (int)slen, ikm, ilen, out, &olen))
        nw_die("HMAC failed");
}

/* HKDF-Expand-Label (RFC 8446 §7.1) with an empty context; outlen <= 32. */
static void hkdf_expand_label(const uint8_t secret[32], const char *label, uint8_t *out,
                              size_t outlen)
{
    uint8_t info[64], t[32];
    struct nw_wr w = {info, 0, sizeof info};
    wr_u16(&w, (unsigned)outlen);
    wr_u8(&w, (unsigned)(6 + strlen(label)));
    wr_str(&w, "tls13 ");
    wr_str(&w, label);
    wr_u8(&w, 0);
    wr_u8(&w, 1); /* T(1) counter */
    unsigned olen = 32;
    if (!HMAC(EVP_sha256(), secret, 32, info, w.n, t, &olen))
        nw_die("HMAC failed");
    memcpy(out, t, outlen);
}

static void quic_derive(const uint8_t *dcid, size_t dlen, int server, struct nw_qkeys *k)
{
    static const uint8_t salt[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                     0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
    uint8_t initial[32], secret[32];
    hkdf_extract(salt, sizeof salt, dcid, dlen, initial);
    hkdf_expand_label(initial, server ? "server in" : "client in", secret, 32);
    hkdf_expand_label(secret, "quic key", k->key, 16);
    hkdf_expand_label(secret, "quic iv", k->iv, 12);
    hkdf_expand_label(secret, "quic hp", k->hp, 16);
}

/* One protected Initial packet into w: frames (plaintext) padded with PADDING so the packet is
 * at least min_len bytes. Packet number is encoded on 2 bytes. */
static void quic_initial(struct nw_wr *w, const struct nw_qkeys *k, const uint8_t *dcid,
                         size_t dl, const uint8_t *scid, size_t sl, uint32_t pn,
                         const uint8_t *frames, size_t flen, size_t min_len)
{
    const size_t pnlen = 2;
    size_t start = w->n;
    wr_u8(w, 0xc0 | (unsigned)(pnlen - 1));
    wr_u32(w, 1);
    wr_u8(w, (unsigned)dl);
    wr_mem(w, dcid, dl);
    wr_u8(w, (unsigned)sl);
    wr_mem(w, scid, sl);
    wr_varint(w, 0); /* token length */
    size_t hdr = w->n - start + 2 + pnlen;
    size_t plen = flen < 4 ? 4 : flen;
    if (hdr + plen + 16 < min_len)
        plen = min_len - hdr - 16;
    wr_u16(w, 0x4000u | (unsigned)(pnlen + plen + 16));
    size_t pn_off = w->n;
    wr_u16(w, pn);

    uint8_t pt[1500], nonce[12];
    if (plen > sizeof pt)
        nw_die("QUIC Initial too large");
    memcpy(pt, frames, flen);
    memset(pt + flen, 0, plen - flen);
    memcpy(nonce, k->iv, 12);
    nonce[10] ^= (uint8_t)(pn >> 8);
    nonce[11] ^= (uint8_t)pn;

    uint8_t *ct = wr_room(w, plen + 16);
    int outl = 0;
    if (EVP_EncryptInit_ex(g_gcm, EVP_aes_128_gcm(), NULL, k->key, nonce) != 1 ||
        EVP_EncryptUpdate(g_gcm, NULL, &outl, w->p + start, (int)(pn_off + pnlen - start)) != 1 ||
        EVP_EncryptUpdate(g_gcm, ct, &outl, pt, (int)plen) != 1 ||
        EVP_EncryptFinal_ex(g_gcm, ct + outl, &outl) != 1 ||
        EVP_CIPHER_CTX_ctrl(g_gcm, EVP_CTRL_GCM_GET_TAG, 16, ct + plen) != 1)
        nw_die("AES-GCM failed");

    /* header protection: sample 16 bytes at pn offset + 4 */
    uint8_t mask[32];
    if (EVP_EncryptInit_ex(g_ecb, EVP_aes_128_ecb(), NULL, k->hp, NULL) != 1 ||
        EVP_EncryptUpdate(g_ecb, mask, &outl, w->p + pn_off + 4, 16) != 1)
        nw_die("AES-ECB failed");
    w->p[start] ^= mask[0] & 0x0f;
    for (size_t i = 0; i < pnlen; i++)
        w->p[pn_off + i] ^= mask[1 + i];
}

/* A long-header packet we cannot (and need not) make decryptable: Handshake (type 2). */
static void quic_long_opaque(struct nw_wr *w, unsigned type, const uint8_t *dcid, size_t dl,
                             const uint8_t *scid, size_t sl, size_t body)
{
    wr_u8(w, 0xc0 | (type << 4) | nw_below(16));
    wr_u32(w, 1);
    wr_u8(w, (unsigned)dl);
    wr_mem(w, dcid, dl);
    wr_u8(w, (unsigned)sl);
    wr_mem(w, scid, sl);
    wr_u16(w, 0x4000u | (unsigned)body);
    wr_rand(w, body);
}

static void quic_short(struct nw_wr *w, const uint8_t *dcid, size_t dl, size_t body)
{
    wr_u8(w, 0x40 | nw_below(64));
    wr_mem(w, dcid, dl);
    wr_rand(w, body);
}

/* RFC 9001 Appendix A key vectors; returns 0 when the derivation matches. */
static int quic_selftest(void)
{
    static const uint8_t dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
    static const uint8_t ckey[16] = {0x1f, 0x36, 0x96, 0x13, 0xdd, 0x76, 0xd5, 0x46,
                                     0x77, 0x30, 0xef, 0xcb, 0xe3, 0xb1, 0xa2, 0x2d};
    static const uint8_t civ[12] = {0xfa, 0x04, 0x4b, 0x2f, 0x42, 0xa3,
                                    0xfd, 0x3b, 0x46, 0xfb, 0x25, 0x5c};
    static const uint8_t chp[16] = {0x9f, 0x50, 0x44, 0x9e, 0x04, 0xa0, 0xe8, 0x10,
                                    0x28, 0x3a, 0x1e, 0x99, 0x33, 0xad, 0xed, 0xd2};
    static const uint8_t skey[16] = {0xcf, 0x3a, 0x53, 0x31, 0x65, 0x3c, 0x36, 0x4c,
                                     0x88, 0xf0, 0xf3, 0x79, 0xb6, 0x06, 0x7e, 0x37};
    static const uint8_t shp[16] = {0xc2, 0x06, 0xb8, 0xd9, 0xb9, 0xf0, 0xf3, 0x76,
                                    0x44, 0x43, 0x0b, 0x49, 0x0e, 0xea, 0xa3, 0x14};
    struct nw_qkeys c, s;
    quic_derive(dcid, sizeof dcid, 0, &c);
    quic_derive(dcid, sizeof dcid, 1, &s);
    int bad = memcmp(c.key, ckey, 16) || memcmp(c.iv, civ, 12) || memcmp(c.hp, chp, 16) ||
              memcmp(s.key, skey, 16) || memcmp(s.hp, shp, 16);
    fprintf(stderr, "nw_gen_pcap: QUIC Initial key derivation vs RFC 9001 A.1: %s\n",
            bad ? "MISMATCH" : "ok");
    return bad;
}

/* ------------------------------------------------------------------------------------------ */
/* Traffic conversations */

static uint8_t *g_scratch;  /* one L7 message at a time */
static uint8_t *g_scratch2;

static const struct nw_domain *pick_domain(int want_h3, int want_http)
{
    for (int tries = 0; tries < 64; tries++) {
        const struct nw_domain *d = &g_domains[nw_skew(NW_NDOMAINS)];
        if ((!want_h3 || d->h3) && (!want_http || d->http))
            return d;
    }
    return &g_domains[0];
}

static void maybe_resolve(struct nw_conv *c, struct nw_user *u, const struct nw_domain *d)
{
    if (nw_chance(55))
        dns_exchange(c, u, d->name, 1, d->ip);
    if (nw_chance(20))
        dns_exchange(c, u, d->name, nw_chance(60) ? 28 : 65, d->ip);
}

static void conv_dns(struct nw_conv *c, struct nw_user *u)
{
    const struct nw_domain *d = &g_domains[nw_skew(NW_NDOMAINS)];
    unsigned r = nw_below(100);
    unsigned qtype = r < 60 ? 1 : r < 85 ? 28 : 65;
    if (nw_chance(8)) { /* device telemetry, ad and tracker names: one-off lookups */
        char name[96];
        snprintf(name, sizeof name, "t%u.%s-%s.com", nw_below(100000),
                 g_words[nw_below(NW_NWORDS)], g_words[nw_below(NW_NWORDS)]);
        dns_exchange(c, u, name, qtype, d->ip);
        return;
    }
    dns_exchange(c, u, d->name, qtype, d->ip);
}

static const char *const g_uas[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.81 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Dalvik/2.1.0 (Linux; U; Android 11; SmartTV Build/RP1A)",
};

static void fill_text(uint8_t *p, size_t n)
{
    static const char lorem[] = "<div class=\"item\"><a href=\"/p/1234\">Lorem ipsum dolor sit "
                                "amet, consectetur adipiscing elit</a></div>\n";
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)lorem[i % (sizeof lorem - 1)];
}

/* One HTTP/1.1 request with its response on an open connection. */
static void http_transaction(struct nw_conv *c, struct nw_tcp *t, struct nw_user *u,
                             const struct nw_domain *d)
{
    struct nw_wr q = {g_scratch, 0, NW_SCRATCH};
    unsigned kind = nw_below(100);
    int post = nw_chance(12);
    const char *ctype;
    uint32_t body;
    int text = 0;
    char path[96];
    if (kind < 20) {
        snprintf(path, sizeof path, "/");
        ctype = "text/html; charset=utf-8";
        body = nw_logu(1000, 16000);
        text = 1;
    } else if (kind < 40) {
        snprintf(path, sizeof path, "/api/v1/items?id=%u&lang=en", nw_below(1000000));
        ctype = "application/json";
        body = nw_logu(100, 4000);
        text = 1;
    } else if (kind < 55) {
        snprintf(path, sizeof path, "/static/js/app.%08x.js", (unsigned)nw_rand());
        ctype = "application/javascript";
        body = nw_logu(1000, 20000);
        text = 1;
    } else if (kind < 85) {
        snprintf(path, sizeof path, "/images/%u/%u.jpg", nw_below(1000), nw_below(100000));
        ctype = "image/jpeg";
        body = nw_logu(500, 20000);
    } else if (kind < 93) {
        snprintf(path, sizeof path, "/update/check?v=%u.%u&os=%u", nw_below(20), nw_below(100),
                 u->os);
        ctype = "application/octet-stream";
        body = nw_logu(50, 400);
    } else {
        snprintf(path, sizeof path, "/video/seg-%u.m4s", nw_below(5000));
        ctype = "video/mp4";
        body = nw_logu(20000, 80000);
    }
    uint32_t pbody = post ? nw_logu(300, 6000) : 0;
    wr_fmt(&q, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n", post ? "POST" : "GET", path,
           d->name, g_uas[u->os]);
    wr_str(&q, "Accept: */*\r\nAccept-Encoding: gzip, deflate\r\nAccept-Language: en-US,en;q=0.9\r\n");
    if (nw_chance(40))
        wr_fmt(&q, "Cookie: sid=%08x%08x; theme=dark\r\n", (unsigned)nw_rand(), (unsigned)nw_rand());
    if (nw_chance(30))
        wr_fmt(&q, "Referer: http://%s/\r\n", d->name);
    if (post)
        wr_fmt(&q, "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %u\r\n",
               pbody);
    wr_str(&q, "Connection: keep-alive\r\n\r\n");
    if (post)
        fill_text(wr_room(&q, pbody), pbody);
    tcp_send(c, t, 0, q.p, q.n);

    struct nw_wr r = {g_scratch2, 0, NW_SCRATCH};
    unsigned st = nw_below(100);
    if (st < 6) {
        wr_fmt(&r, "HTTP/1.1 304 Not Modified\r\nDate: Sat, 21 Nov 2026 10:00:00 GMT\r\n"
                   "ETag: \"%08x\"\r\nConnection: keep-alive\r\n\r\n",
               (unsigned)nw_rand());
    } else if (st < 10) {
        wr_str(&r, "HTTP/1.1 404 Not Found\r\nServer: nginx\r\nContent-Type: text/html\r\n"
                   "Content-Length: 153\r\nConnection: keep-alive\r\n\r\n");
        fill_text(wr_room(&r, 153), 153);
    } else {
        int chunked = text && nw_chance(15);
        wr_fmt(&r, "HTTP/1.1 200 OK\r\nServer: %s\r\nDate: Sat, 21 Nov 2026 10:00:00 GMT\r\n"
                   "Content-Type: %s\r\nCache-Control: max-age=%u\r\n",
               nw_chance(50) ? "nginx" : "Apache", ctype, nw_below(86400));
        if (chunked)
            wr_str(&r, "Transfer-Encoding: chunked\r\n");
        else
            wr_fmt(&r, "Content-Length: %u\r\n", body);
        wr_str(&r, "Connection: keep-alive\r\n\r\n");
        if (chunked) {
            uint32_t left = body;
            while (left) {
                uint32_t k = left > 8192 ? 8192 : left;
                wr_fmt(&r, "%x\r\n", k);
                fill_text(wr_room(&r, k), k);
                wr_str(&r, "\r\n");
                left -= k;
            }
            wr_str(&r, "0\r\n\r\n");
        } else if (text) {
            fill_text(wr_room(&r, body), body);
        } else {
            wr_rand(&r, body);
        }
    }
    tcp_send(c, t, 1, r.p, r.n);
}

static void conv_http(struct nw_conv *c, struct nw_user *u)
{
    const struct nw_domain *d = pick_domain(0, 1);
    maybe_resolve(c, u, d);
    struct nw_tcp t;
    tcp_open(c, &t, u, d->ip, nw_chance(90) ? 80 : 8080);
    unsigned n = nw_chance(65) ? 1 : nw_range(2, 3);
    for (unsigned i = 0; i < n; i++)
        http_transaction(c, &t, u, d);
    tcp_close(c, &t);
}

static void conv_tls(struct nw_conv *c, struct nw_user *u)
{
    const struct nw_domain *d = pick_domain(0, 0);
    maybe_resolve(c, u, d);
    struct nw_tcp t;
    tcp_open(c, &t, u, d->ip, 443);

    struct nw_chello h;
    memset(&h, 0, sizeof h);
    h.sni = d->name;
    h.firefox = nw_chance(25);
    h.grease = !h.firefox && nw_chance(90);
    h.pq = nw_chance(12);
    int tls12 = nw_chance(15);
    h.sid_len = 32;
    nw_fill(h.sid, 32);

    uint8_t msg[4096];
    struct nw_wr m = {msg, 0, sizeof msg};
    tls_client_hello(&m, &h);
    struct nw_wr s = {g_scratch, 0, NW_SCRATCH};
    tls_record(&s, 22, 0x0301, msg, m.n);
    tcp_send(c, &t, 0, s.p, s.n);

    /* server flight */
    m.n = 0;
    tls_server_hello(&m, h.sid, h.sid_len, !tls12, h.pq && nw_chance(50));
    s.n = 0;
    tls_record(&s, 22, 0x0303, msg, m.n);
    tls_record(&s, 20, 0x0303, (const uint8_t *)"\x01", 1);
    if (tls12)
        tls_record(&s, 22, 0x0303, NULL, 40); /* encrypted Finished */
    else
        tls_appdata(&s, nw_range(2500, 5200)); /* EE, Certificate, CertificateVerify, Finished */
    tcp_send(c, &t, 1, s.p, s.n);

    /* client finish + first request */
    s.n = 0;
    tls_record(&s, 20, 0x0303, (const uint8_t *)"\x01", 1);
    if (tls12)
        tls_record(&s, 22, 0x0303, NULL, 40);
    else
        tls_record(&s, 23, 0x0303, NULL, 53);
    tls_appdata(&s, nw_range(100, 900));
    tcp_send(c, &t, 0, s.p, s.n);

    unsigned n = nw_chance(60) ? 1 : nw_range(2, 4);
    for (unsigned i = 0; i < n; i++) {
        if (i > 0) {
            s.n = 0;
            tls_appdata(&s, nw_range(60, 900));
            tcp_send(c, &t, 0, s.p, s.n);
        }
        s.n = 0;
        if (i == 0 && !tls12)
            tls_appdata(&s, nw_range(200, 300)); /* NewSessionTicket */
        tls_appdata(&s, nw_chance(2) ? nw_logu(20000, 100000) : nw_logu(150, 3000));
        tcp_send(c, &t, 1, s.p, s.n);
    }
    s.n = 0;
    tls_record(&s, 21, 0x0303, NULL, 26); /* close_notify */
    tcp_send(c, &t, 0, s.p, s.n);
    tcp_close(c, &t);
}

static void conv_quic(struct nw_conv *c, struct nw_user *u)
{
    const struct nw_domain *d = pick_domain(1, 0);
    maybe_resolve(c, u, d);
    struct nw_lk lk = user_link(u);
    /* IANA dynamic range: lower ephemeral ports hit tshark's port-registered UDP dissectors
     * (TZSP on 37008, HCrt on 47000) before its QUIC heuristics */
    unsigned cport = nw_range(49152, 65535);
    uint8_t odcid[8], ccid[8], scid[8];
    nw_fill(odcid, 8);
    nw_fill(ccid, 8);
    nw_fill(scid, 8);
    size_t ccl = nw_chance(60) ? 0 : 8; /* Chrome uses an empty client CID */
    struct nw_qkeys ck, sk;
    quic_derive(odcid, 8, 0, &ck);
    quic_derive(odcid, 8, 1, &sk);

    struct nw_chello h;
    memset(&h, 0, sizeof h);
    h.sni = d->name;
    h.quic = 1;
    h.grease = nw_chance(80);
    h.pq = nw_chance(15);
    h.scid = ccid;
    h.scid_len = ccl;
    uint8_t ch[4096];
    struct nw_wr m = {ch, 0, sizeof ch};
    tls_client_hello(&m, &h);

    /* client Initial(s): CRYPTO frames of at most 1100 bytes each, datagrams padded to 1250 */
    uint8_t fr[1400], dg[1500];
    uint32_t cpn = 0;
    size_t off = 0;
    while (off < m.n) {
        size_t k = m.n - off > 1100 ? 1100 : m.n - off;
        struct nw_wr f = {fr, 0, sizeof fr};
        wr_u8(&f, 0x06);
        wr_varint(&f, off);
        wr_varint(&f, k);
        wr_mem(&f, ch + off, k);
        struct nw_wr p = {dg, 0, sizeof dg};
        quic_initial(&p, &ck, odcid, 8, ccid, ccl, cpn++, fr, f.n, 1250);
        emit_udp(c, &lk, 0, NULL, u->ip, cport, d->ip, 443, p.p, p.n);
        off += k;
    }

    /* server Initial (ACK + ServerHello) coalesced with a Handshake packet */
    uint8_t sh[512];
    struct nw_wr sm = {sh, 0, sizeof sh};
    tls_server_hello(&sm, NULL, 0, 1, 0);
    struct nw_wr f = {fr, 0, sizeof fr};
    wr_u8(&f, 0x02); /* ACK */
    wr_varint(&f, cpn - 1);
    wr_varint(&f, 0);
    wr_varint(&f, 0);
    wr_varint(&f, cpn - 1);
    wr_u8(&f, 0x06); /* CRYPTO */
    wr_varint(&f, 0);
    wr_varint(&f, sm.n);
    wr_mem(&f, sh, sm.n);
    struct nw_wr p = {dg, 0, sizeof dg};
    quic_initial(&p, &sk, ccid, ccl, scid, 8, 0, fr, f.n, 0);
    quic_long_opaque(&p, 2, ccid, ccl, scid, 8, 1200 - p.n - 24 - ccl);
    emit_udp(c, &lk, 1, NULL, d->ip, 443, u->ip, cport, p.p, p.n);
    unsigned more = nw_range(1, 3); /* rest of the certificate chain */
    for (unsigned i = 0; i < more; i++) {
        p.n = 0;
        quic_long_opaque(&p, 2, ccid, ccl, scid, 8, nw_range(300, 1170));
        emit_udp(c, &lk, 1, NULL, d->ip, 443, u->ip, cport, p.p, p.n);
    }

    /* client: Initial ACK (to the server CID now) + Handshake Finished, padded datagram */
    f.n = 0;
    wr_u8(&f, 0x02);
    wr_varint(&f, 0);
    wr_varint(&f, 0);
    wr_varint(&f, 0);
    wr_varint(&f, 0);
    p.n = 0;
    quic_initial(&p, &ck, scid, 8, ccid, ccl, cpn++, fr, f.n, 1250 - 80);
    quic_long_opaque(&p, 2, scid, 8, ccid, ccl, 80 - 16 - ccl - 1);
    emit_udp(c, &lk, 0, NULL, u->ip, cport, d->ip, 443, p.p, p.n);

    /* 1-RTT: requests, server data, client ACKs */
    unsigned nreq = nw_chance(50) ? 1 : nw_range(2, 5);
    for (unsigned r = 0; r < nreq; r++) {
        p.n = 0;
        quic_short(&p, scid, 8, nw_range(40, 400));
        emit_udp(c, &lk, 0, NULL, u->ip, cport, d->ip, 443, p.p, p.n);
        uint32_t bytes = nw_chance(2) ? nw_logu(20000, 100000) : nw_logu(200, 3000);
        unsigned k = 0;
        while (bytes > 0) {
            uint32_t chunk = bytes > 1232 ? 1232 : bytes;
            if (chunk < 30)
                chunk = 30;
            p.n = 0;
            quic_short(&p, ccid, ccl, chunk);
            emit_udp(c, &lk, 1, NULL, d->ip, 443, u->ip, cport, p.p, p.n);
            bytes = bytes > chunk ? bytes - chunk : 0;
            if (++k % 3 == 0 || bytes == 0) {
                p.n = 0;
                quic_short(&p, scid, 8, nw_range(24, 40));
                emit_udp(c, &lk, 0, NULL, u->ip, cport, d->ip, 443, p.p, p.n);
            }
        }
    }
}

/* ICMP echo or an NTP exchange: traffic the L7 parsers must skip cheaply. */
static void conv_noise(struct nw_conv *c, struct nw_user *u)
{
    struct nw_lk lk = user_link(u);
    const struct nw_domain *d = &g_domains[nw_below(NW_NDOMAINS)];
    if (nw_chance(50)) {
        unsigned id = nw_below(65536), n = nw_range(1, 4);
        for (unsigned i = 0; i < n; i++) {
            for (int dir = 0; dir < 2; dir++) {
                uint8_t e[64];
                struct nw_wr w = {e, 0, sizeof e};
                wr_u8(&w, dir ? 0 : 8);
                wr_u8(&w, 0);
                wr_u16(&w, 0);
                wr_u16(&w, id);
                wr_u16(&w, i + 1);
                wr_rand(&w, 56);
                if (dir)
                    emit_ip(c, &lk, 1, NULL, d->ip, u->ip, 1, e, w.n);
                else
                    emit_ip(c, &lk, 0, NULL, u->ip, d->ip, 1, e, w.n);
            }
        }
    } else {
        uint8_t ntp[48];
        memset(ntp, 0, sizeof ntp);
        ntp[0] = 0x23; /* v4 client */
        nw_fill(ntp + 40, 8);
        unsigned sp = nw_chance(50) ? 123 : nw_range(32768, 60999);
        emit_udp(c, &lk, 0, NULL, u->ip, sp, d->ip, 123, ntp, 48);
        ntp[0] = 0x24; /* v4 server */
        ntp[1] = 2;
        nw_fill(ntp + 16, 24);
        emit_udp(c, &lk, 1, NULL, d->ip, 123, u->ip, sp, ntp, 48);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Identity: DHCP, PPPoE, RADIUS */

static void dhcp_msg(struct nw_conv *c, struct nw_user *u, unsigned type, uint32_t xid,
                     uint32_t ciaddr, int renew)
{
    static const char *const vendor[] = {"MSFT 5.0", "android-dhcp-14", "iPhone", "MSFT 5.0",
                                         "udhcp 1.36.1"};
    uint8_t m[600];
    struct nw_wr w = {m, 0, sizeof m};
    int server = type == 2 || type == 5 || type == 6;
    wr_u8(&w, server ? 2 : 1);
    wr_u8(&w, 1);
    wr_u8(&w, 6);
    wr_u8(&w, 0);
    wr_u32(&w, xid);
    wr_u16(&w, server ? 0 : nw_below(4));
    wr_u16(&w, 0);
    wr_u32(&w, ciaddr);
    wr_u32(&w, server ? u->ip : 0);
    wr_u32(&w, 0);
    wr_u32(&w, 0);
    wr_mem(&w, u->mac, 6);
    wr_zero(&w, 10 + 64 + 128);
    wr_u32(&w, 0x63825363);
    wr_u8(&w, 53);
    wr_u8(&w, 1);
    wr_u8(&w, type);
    if (server) {
        wr_u8(&w, 54);
        wr_u8(&w, 4);
        wr_u32(&w, g_gw_ip);
        wr_u8(&w, 51);
        wr_u8(&w, 4);
        wr_u32(&w, 3600);
        wr_u8(&w, 58);
        wr_u8(&w, 4);
        wr_u32(&w, 1800);
        wr_u8(&w, 59);
        wr_u8(&w, 4);
        wr_u32(&w, 3150);
        wr_u8(&w, 1);
        wr_u8(&w, 4);
        wr_u32(&w, 0xffff0000u);
        wr_u8(&w, 3);
        wr_u8(&w, 4);
        wr_u32(&w, g_gw_ip);
        wr_u8(&w, 6);
        wr_u8(&w, 8);
        wr_u32(&w, g_dns_ip[0]);
        wr_u32(&w, g_dns_ip[1]);
        wr_u8(&w, 15);
        wr_u8(&w, 11);
        wr_str(&w, "isp.example");
    } else {
        wr_u8(&w, 61);
        wr_u8(&w, 7);
        wr_u8(&w, 1);
        wr_mem(&w, u->mac, 6);
        if (type == 3 && !renew) {
            wr_u8(&w, 50);
            wr_u8(&w, 4);
            wr_u32(&w, u->ip);
            wr_u8(&w, 54);
            wr_u8(&w, 4);
            wr_u32(&w, g_gw_ip);
        } else if (type == 7) {
            wr_u8(&w, 54);
            wr_u8(&w, 4);
            wr_u32(&w, g_gw_ip);
        }
        if (type != 7) {
            wr_u8(&w, 12);
            wr_u8(&w, (unsigned)strlen(u->host));
            wr_str(&w, u->host);
            const char *vc = vendor[u->os];
            wr_u8(&w, 60);
            wr_u8(&w, (unsigned)strlen(vc));
            wr_str(&w, vc);
            static const uint8_t prl[] = {1, 3, 6, 15, 26, 28, 51, 58, 59, 43, 119, 121};
            wr_u8(&w, 55);
            wr_u8(&w, sizeof prl);
            wr_mem(&w, prl, sizeof prl);
            wr_u8(&w, 57);
            wr_u8(&w, 2);
            wr_u16(&w, 1500);
        }
    }
    wr_u8(&w, 255);
    if (w.n < 300)
        wr_zero(&w, 300 - w.n); /* BOOTP minimum */
    struct nw_lk lk = user_link(u);
    lk.sid = 0;
    if (server)
        emit_udp(c, &lk, 1, NULL, g_gw_ip, 67, u->ip, 68, m, w.n);
    else if (ciaddr)
        emit_udp(c, &lk, 0, NULL, ciaddr, 68, g_gw_ip, 67, m, w.n);
    else
        emit_udp(c, &lk, 0, g_bcast, 0, 68, 0xffffffffu, 67, m, w.n);
}

/* RADIUS attribute helpers. */
static void rad_str(struct nw_wr *w, unsigned type, const char *s)
{
    wr_u8(w, type);
    wr_u8(w, (unsigned)(2 + strlen(s)));
    wr_str(w, s);
}

static void rad_u32(struct nw_wr *w, unsigned type, uint32_t v)
{
    wr_u8(w, type);
    wr_u8(w, 6);
    wr_u32(w, v);
}

static void rad_raw(struct nw_wr *w, unsigned type, size_t n)
{
    wr_u8(w, type);
    wr_u8(w, (unsigned)(2 + n));
    wr_rand(w, n);
}

/* Request from the NAS and the server's response; `code` 1 = Access-Request (answered with
 * Access-Accept), 4 = Accounting-Request with Acct-Status-Type `status`. */
static void radius_exchange(struct nw_conv *c, struct nw_user *u, unsigned code, unsigned status)
{
    uint8_t m[800];
    struct nw_wr w = {m, 0, sizeof m};
    unsigned id = g_radius_id++ & 0xff;
    char buf[64];
    wr_u8(&w, code);
    wr_u8(&w, id);
    wr_u16(&w, 0);
    wr_rand(&w, 16); /* authenticator */
    rad_str(&w, 1, u->name);
    if (code == 1) {
        if (u->chap) {
            rad_raw(&w, 3, 17);  /* CHAP-Password: the secret never leaves as text */
            rad_raw(&w, 60, 16); /* CHAP-Challenge */
        } else {
            rad_raw(&w, 2, 16);  /* User-Password (obfuscated) */
        }
    } else {
        rad_u32(&w, 40, status);
    }
    rad_u32(&w, 4, g_nas_ip);
    rad_u32(&w, 5, (u->vlan << 16) | (unsigned)(u - g_users));
    rad_u32(&w, 61, 15); /* NAS-Port-Type: Ethernet */
    rad_u32(&w, 6, 2);   /* Service-Type: Framed */
    if (u->pppoe)
        rad_u32(&w, 7, 1); /* Framed-Protocol: PPP */
    snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", u->mac[0], u->mac[1], u->mac[2],
             u->mac[3], u->mac[4], u->mac[5]);
    rad_str(&w, 31, buf);
    snprintf(buf, sizeof buf, "bras01-eth0.%u", u->vlan);
    rad_str(&w, 30, buf);
    rad_str(&w, 32, "bras01.isp.example");
    if (code == 4) {
        snprintf(buf, sizeof buf, "%08X", u->acct_id);
        rad_str(&w, 44, buf);
        rad_u32(&w, 8, u->ip);
        rad_u32(&w, 45, 1);
        rad_u32(&w, 41, 0);
        rad_u32(&w, 55, (uint32_t)(g_now_us / 1000000));
        if (status != 1) {
            rad_u32(&w, 46, nw_range(60, 86400));
            rad_u32(&w, 42, (uint32_t)nw_rand());
            rad_u32(&w, 43, (uint32_t)nw_rand());
            rad_u32(&w, 47, nw_below(5000000));
            rad_u32(&w, 48, nw_below(5000000));
            rad_u32(&w, 52, nw_below(4));
            rad_u32(&w, 53, nw_below(4));
        }
        if (status == 2)
            rad_u32(&w, 49, nw_chance(60) ? 1 : nw_chance(50) ? 4 : 10);
    }
    put16(m + 2, (unsigned)w.n);
    struct nw_lk lk = radius_link();
    unsigned sport = nw_range(40000, 40255) + (code == 4 ? 256 : 0); /* NAS source ports */
    unsigned dport = code == 4 ? 1813 : 1812;
    emit_udp(c, &lk, 0, NULL, g_nas_ip, sport, g_radius_ip, dport, m, w.n);

    w.n = 0;
    wr_u8(&w, code == 4 ? 5 : 2);
    wr_u8(&w, id);
    wr_u16(&w, 0);
    wr_rand(&w, 16);
    if (code == 1) {
        rad_u32(&w, 6, 2);
        rad_u32(&w, 7, 1);
        rad_u32(&w, 8, u->ip);
        rad_u32(&w, 9, 0xffffffffu);
        rad_u32(&w, 27, 86400);
        rad_u32(&w, 85, 900);
        rad_raw(&w, 25, 16); /* Class */
    }
    put16(m + 2, (unsigned)w.n);
    emit_udp(c, &lk, 1, NULL, g_radius_ip, dport, g_nas_ip, sport, m, w.n);
}

/* PPPoE discovery frame (code PADI/PADO/PADR/PADS/PADT) with its tags. */
static void pppoe_disc(struct nw_conv *c, struct nw_user *u, unsigned code, uint16_t sid,
                       const uint8_t host_uniq[8], const uint8_t cookie[16])
{
    uint8_t m[200];
    struct nw_wr w = {m, 0, sizeof m};
    wr_u8(&w, 0x11);
    wr_u8(&w, code);
    wr_u16(&w, sid);
    size_t l = wr_open(&w, 2);
    if (code != 0xa7) {
        wr_u16(&w, 0x0101); /* Service-Name: any */
        wr_u16(&w, 0);
        wr_u16(&w, 0x0103); /* Host-Uniq */
        wr_u16(&w, 8);
        wr_mem(&w, host_uniq, 8);
    }
    if (code == 0x07) {
        wr_u16(&w, 0x0102); /* AC-Name */
        wr_u16(&w, 14);
        wr_str(&w, "bras01-central");
    }
    if (code == 0x07 || code == 0x19) {
        wr_u16(&w, 0x0104); /* AC-Cookie */
        wr_u16(&w, 16);
        wr_mem(&w, cookie, 16);
    }
    wr_close(&w, l, 2);
    struct nw_lk lk = user_link(u);
    int dir = code == 0x07 || code == 0x65 || (code == 0xa7 && nw_chance(50));
    emit_eth(c, &lk, dir, code == 0x09 ? g_bcast : NULL, 0x8863, m, w.n);
}

/* PPP frame (protocol + control packet) in a PPPoE session frame. */
static void ppp_ctl(struct nw_conv *c, struct nw_user *u, int dir, unsigned proto, unsigned code,
                    unsigned id, const uint8_t *data, size_t dlen)
{
    uint8_t m[300];
    struct nw_wr w = {m, 0, sizeof m};
    wr_u8(&w, 0x11);
    wr_u8(&w, 0);
    wr_u16(&w, u->sid);
    wr_u16(&w, (unsigned)(2 + 4 + dlen));
    wr_u16(&w, proto);
    wr_u8(&w, code);
    wr_u8(&w, id);
    wr_u16(&w, (unsigned)(4 + dlen));
    wr_mem(&w, data, dlen);
    struct nw_lk lk = user_link(u);
    emit_eth(c, &lk, dir, NULL, 0x8864, m, w.n);
}

static void ipcp_opts(struct nw_wr *w, uint32_t ip, uint32_t dns1, uint32_t dns2, int with_dns)
{
    wr_u8(w, 3);
    wr_u8(w, 6);
    wr_u32(w, ip);
    if (with_dns) {
        wr_u8(w, 129);
        wr_u8(w, 6);
        wr_u32(w, dns1);
        wr_u8(w, 131);
        wr_u8(w, 6);
        wr_u32(w, dns2);
    }
}

static void new_session_address(struct nw_user *u)
{
    u->acct_id = g_acct_next++;
    if (nw_chance(30)) { /* dynamic pool: identity must follow the address change */
        u->ip = IP4(100, 66, (g_pool_next / 250) & 0xff, 2 + g_pool_next % 250);
        g_pool_next++;
    }
}

static void conv_login_dhcp(struct nw_conv *c, struct nw_user *u)
{
    new_session_address(u);
    uint32_t xid = (uint32_t)nw_rand();
    dhcp_msg(c, u, 1, xid, 0, 0);
    dhcp_msg(c, u, 2, xid, 0, 0);
    dhcp_msg(c, u, 3, xid, 0, 0);
    dhcp_msg(c, u, 5, xid, 0, 0);
    radius_exchange(c, u, 4, 1);
}

static void conv_login_pppoe(struct nw_conv *c, struct nw_user *u)
{
    uint8_t hu[8], cookie[16], o[64];
    nw_fill(hu, 8);
    nw_fill(cookie, 16);
    new_session_address(u);
    u->sid = g_sid_next++;
    if (!g_sid_next)
        g_sid_next = 1;
    pppoe_disc(c, u, 0x09, 0, hu, cookie);
    pppoe_disc(c, u, 0x07, 0, hu, cookie);
    pppoe_disc(c, u, 0x19, 0, hu, cookie);
    pppoe_disc(c, u, 0x65, u->sid, hu, cookie);

    /* LCP: both sides configure, the server asks for PAP or CHAP-MD5 */
    struct nw_wr w = {o, 0, sizeof o};
    wr_u8(&w, 1);
    wr_u8(&w, 4);
    wr_u16(&w, 1492);
    wr_u8(&w, 5);
    wr_u8(&w, 6);
    wr_rand(&w, 4);
    size_t cl = w.n;
    ppp_ctl(c, u, 0, 0xc021, 1, 1, o, cl);
    uint8_t so[64];
    struct nw_wr s = {so, 0, sizeof so};
    wr_u8(&s, 1);
    wr_u8(&s, 4);
    wr_u16(&s, 1492);
    if (u->chap) {
        wr_u8(&s, 3);
        wr_u8(&s, 5);
        wr_u16(&s, 0xc223);
        wr_u8(&s, 5);
    } else {
        wr_u8(&s, 3);
        wr_u8(&s, 4);
        wr_u16(&s, 0xc023);
    }
    wr_u8(&s, 5);
    wr_u8(&s, 6);
    wr_rand(&s, 4);
    ppp_ctl(c, u, 1, 0xc021, 1, 1, so, s.n);
    ppp_ctl(c, u, 1, 0xc021, 2, 1, o, cl);
    ppp_ctl(c, u, 0, 0xc021, 2, 1, so, s.n);

    /* authentication; the BRAS asks RADIUS in between */
    uint8_t a[128];
    struct nw_wr aw = {a, 0, sizeof a};
    if (u->chap) {
        wr_u8(&aw, 16);
        wr_rand(&aw, 16);
        wr_str(&aw, "bras01");
        ppp_ctl(c, u, 1, 0xc223, 1, 1, a, aw.n);
        aw.n = 0;
        wr_u8(&aw, 16);
        wr_rand(&aw, 16);
        wr_str(&aw, u->name);
        ppp_ctl(c, u, 0, 0xc223, 2, 1, a, aw.n);
    } else {
        char pw[16];
        snprintf(pw, sizeof pw, "pw%08x", (unsigned)nw_rand());
        wr_u8(&aw, (unsigned)strlen(u->name));
        wr_str(&aw, u->name);
        wr_u8(&aw, (unsigned)strlen(pw));
        wr_str(&aw, pw);
        ppp_ctl(c, u, 0, 0xc023, 1, 1, a, aw.n);
    }
    radius_exchange(c, u, 1, 0);
    aw.n = 0;
    if (u->chap) {
        wr_str(&aw, "Welcome");
        ppp_ctl(c, u, 1, 0xc223, 3, 1, a, aw.n);
    } else {
        wr_u8(&aw, 8);
        wr_str(&aw, "Login ok");
        ppp_ctl(c, u, 1, 0xc023, 2, 1, a, aw.n);
    }

    /* IPCP: the client asks for 0.0.0.0, is NAKed with its address, then acked */
    w.n = 0;
    ipcp_opts(&w, g_gw_ip, 0, 0, 0);
    ppp_ctl(c, u, 1, 0x8021, 1, 1, o, w.n);
    s.n = 0;
    ipcp_opts(&s, 0, 0, 0, 1);
    ppp_ctl(c, u, 0, 0x8021, 1, 1, so, s.n);
    ppp_ctl(c, u, 0, 0x8021, 2, 1, o, w.n);
    s.n = 0;
    ipcp_opts(&s, u->ip, g_dns_ip[0], g_dns_ip[1], 1);
    ppp_ctl(c, u, 1, 0x8021, 3, 1, so, s.n);
    ppp_ctl(c, u, 0, 0x8021, 1, 2, so, s.n);
    ppp_ctl(c, u, 1, 0x8021, 2, 2, so, s.n);
    radius_exchange(c, u, 4, 1);
}

static void conv_logout(struct nw_conv *c, struct nw_user *u)
{
    if (u->pppoe) {
        uint8_t why[16];
        memcpy(why, "User request", 12);
        int srv = nw_chance(30);
        ppp_ctl(c, u, srv, 0xc021, 5, 2, why, 12);
        ppp_ctl(c, u, !srv, 0xc021, 6, 2, NULL, 0);
        pppoe_disc(c, u, 0xa7, u->sid, NULL, NULL);
    } else {
        dhcp_msg(c, u, 7, (uint32_t)nw_rand(), u->ip, 0);
    }
    radius_exchange(c, u, 4, 2);
}

static void conv_keepalive(struct nw_conv *c, struct nw_user *u)
{
    if (nw_chance(40)) {
        radius_exchange(c, u, 4, 3);
    } else if (u->pppoe) {
        uint8_t mg[4];
        nw_fill(mg, 4);
        unsigned id = nw_below(256);
        int dir = nw_chance(70);
        ppp_ctl(c, u, dir, 0xc021, 9, id, mg, 4);
        nw_fill(mg, 4);
        ppp_ctl(c, u, !dir, 0xc021, 10, id, mg, 4);
    } else {
        uint32_t xid = (uint32_t)nw_rand();
        dhcp_msg(c, u, 3, xid, u->ip, 1);
        dhcp_msg(c, u, 5, xid, u->ip, 1);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Scheduler and pcap output */

/* Fill c with the next conversation. */
static void conv_new(struct nw_conv *c)
{
    c->len = c->off = 0;
    c->npkt = 0;
    uint32_t ui = nw_below(g_nusers);
    for (uint32_t i = 0; i < g_nusers; i++) {
        uint8_t st = g_users[(ui + i) % g_nusers].state;
        if (st == U_ON || st == U_OFF) {
            ui = (ui + i) % g_nusers;
            break;
        }
    }
    struct nw_user *u = &g_users[ui];
    c->user = ui;
    if (u->state == U_OFF) {
        u->state = U_JOINING;
        c->kind = u->pppoe ? K_LOGIN_PPPOE : K_LOGIN_DHCP;
    } else {
        unsigned r = nw_below(1000);
        c->kind = r < 540 ? K_DNS
                : r < 600 ? K_HTTP
                : r < 780 ? K_TLS
                : r < 900 ? K_QUIC
                : r < 940 ? K_NOISE
                : r < 985 ? K_KEEPALIVE
                          : K_LOGOUT;
        if (c->kind == K_LOGOUT)
            u->state = U_LEAVING;
    }
    g_kind_convs[c->kind]++;
    switch (c->kind) {
    case K_DNS: conv_dns(c, u); break;
    case K_HTTP: conv_http(c, u); break;
    case K_TLS: conv_tls(c, u); break;
    case K_QUIC: conv_quic(c, u); break;
    case K_NOISE: conv_noise(c, u); break;
    case K_LOGIN_DHCP: conv_login_dhcp(c, u); break;
    case K_LOGIN_PPPOE: conv_login_pppoe(c, u); break;
    case K_LOGOUT: conv_logout(c, u); break;
    default: conv_keepalive(c, u); break;
    }
}

static void conv_done(struct nw_conv *c)
{
    struct nw_user *u = &g_users[c->user];
    if (c->kind == K_LOGIN_DHCP || c->kind == K_LOGIN_PPPOE)
        u->state = U_ON;
    else if (c->kind == K_LOGOUT)
        u->state = U_OFF;
}

static void put_le32(FILE *f, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fwrite(b, 1, 4, f);
}

static void usage(void)
{
    fputs("usage: nw_gen_pcap [-n PACKETS] [-u USERS] [-s SEED] [--selftest] OUT.pcap\n"
          "  Writes a deterministic synthetic access-network capture (default 1000000 packets,\n"
          "  2000 users). The same options always give the same bytes.\n",
          stderr);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t target = 1000000, seed = 0;
    const char *out = NULL;
    int selftest = 0;
    for (int i = 1; i < argc; i++) {
        uint64_t v;
        if (!strcmp(argv[i], "--selftest")) {
            selftest = 1;
        } else if ((!strcmp(argv[i], "-n") || !strcmp(argv[i], "-u") || !strcmp(argv[i], "-s")) &&
                   i + 1 < argc) {
            if (parse_u64(argv[i + 1], &v)) {
                usage();
                return 2;
            }
            if (argv[i][1] == 'n')
                target = v;
            else if (argv[i][1] == 'u')
                g_nusers = (uint32_t)(v ? v : 1);
            else
                seed = v;
            i++;
        } else if (argv[i][0] != '-' && !out) {
            out = argv[i];
        } else {
            usage();
            return 2;
        }
    }
    g_gcm = EVP_CIPHER_CTX_new();
    g_ecb = EVP_CIPHER_CTX_new();
    if (!g_gcm || !g_ecb)
        nw_die("EVP_CIPHER_CTX_new failed");
    if (quic_selftest())
        return 1;
    if (selftest && !out)
        return 0;
    if (!out) {
        usage();
        return 2;
    }
    if (g_nusers > 60000)
        nw_die("at most 60000 users (address plan)");
    g_rng ^= seed * 0x9E3779B97F4A7C15ULL;
    if (!g_rng)
        g_rng = 1;

    g_scratch = malloc(NW_SCRATCH);
    g_scratch2 = malloc(NW_SCRATCH);
    if (!g_scratch || !g_scratch2)
        nw_die("out of memory");
    nw_world_init();

    FILE *f = fopen(out, "wb");
    if (!f)
        nw_die("cannot open %s: %s", out, strerror(errno));
    static char obuf[1 << 20];
    setvbuf(f, obuf, _IOFBF, sizeof obuf);
    put_le32(f, 0xa1b2c3d4u);
    uint8_t vh[4] = {2, 0, 4, 0};
    fwrite(vh, 1, 4, f);
    put_le32(f, 0);
    put_le32(f, 0);
    put_le32(f, 65535);
    put_le32(f, 1);

    struct nw_conv *slots = calloc(NW_SLOTS, sizeof *slots);
    if (!slots)
        nw_die("out of memory");
    uint64_t generated = 0, written = 0, bytes = 0;
    size_t nact = 0;
    g_now_us = 1795000000ull * 1000000ull; /* 2026-11-18, fixed */
    for (size_t i = 0; i < NW_SLOTS && generated < target; i++) {
        conv_new(&slots[i]);
        generated += slots[i].npkt;
        nact++;
    }
    while (nact > 0) {
        size_t i = nw_below((uint32_t)nact);
        struct nw_conv *c = &slots[i];
        unsigned flen = (unsigned)c->buf[c->off] << 8 | c->buf[c->off + 1];
        g_now_us += 1 + nw_below(18); /* ~100k packets/s on the link */
        put_le32(f, (uint32_t)(g_now_us / 1000000));
        put_le32(f, (uint32_t)(g_now_us % 1000000));
        put_le32(f, flen);
        put_le32(f, flen);
        fwrite(c->buf + c->off + 2, 1, flen, f);
        c->off += 2 + flen;
        written++;
        bytes += flen;
        if (c->off >= c->len) {
            conv_done(c);
            if (generated < target) {
                conv_new(c);
                generated += c->npkt;
            } else {
                struct nw_conv tmp = slots[nact - 1];
                slots[nact - 1] = *c;
                *c = tmp;
                nact--;
            }
        }
    }
    if (fflush(f) || ferror(f) || fclose(f))
        nw_die("write to %s failed: %s", out, strerror(errno));

    fprintf(stderr, "nw_gen_pcap: %s: %llu packets, %llu wire bytes, %u users, %.1f s of traffic\n",
            out, (unsigned long long)written, (unsigned long long)bytes, g_nusers,
            (double)(g_now_us - 1795000000ull * 1000000ull) / 1e6);
    fprintf(stderr, "  %-12s %8s %9s %6s %12s %6s\n", "kind", "convs", "packets", "pkt%", "bytes",
            "byte%");
    for (int k = 0; k < K_NKINDS; k++)
        fprintf(stderr, "  %-12s %8llu %9llu %5.1f%% %12llu %5.1f%%\n", g_kind_name[k],
                (unsigned long long)g_kind_convs[k], (unsigned long long)g_kind_pkts[k],
                100.0 * (double)g_kind_pkts[k] / (double)(written ? written : 1),
                (unsigned long long)g_kind_bytes[k],
                100.0 * (double)g_kind_bytes[k] / (double)(bytes ? bytes : 1));
    fprintf(stderr, "  802.1Q-tagged frames %.1f%%, PPPoE session IPv4 frames %.1f%%\n",
            100.0 * (double)g_vlan_frames / (double)(written ? written : 1),
            100.0 * (double)g_pppoe_frames / (double)(written ? written : 1));
    for (size_t i = 0; i < NW_SLOTS; i++)
        free(slots[i].buf);
    free(slots);
    free(g_users);
    free(g_scratch);
    free(g_scratch2);
    EVP_CIPHER_CTX_free(g_gcm);
    EVP_CIPHER_CTX_free(g_ecb);
    return 0;
}
