/* test_radius.c - the RADIUS parser: records, secrets never logged, framing
 * checks, and accounting feeding the identity table. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "nw/identity.h"
#include "nw/testctx.h"
#include "nwtest.h"

#define SEC 1000000ull

struct pkt {
    uint8_t b[4096];
    size_t len;
};

static void pkt_init(struct pkt *p, uint8_t code, uint8_t id)
{
    memset(p, 0, sizeof *p);
    p->b[0] = code;
    p->b[1] = id;
    p->len = 20;
}

static void attr(struct pkt *p, uint8_t type, const void *v, size_t n)
{
    p->b[p->len++] = type;
    p->b[p->len++] = (uint8_t)(n + 2);
    memcpy(p->b + p->len, v, n);
    p->len += n;
}

static void attr_s(struct pkt *p, uint8_t type, const char *s) { attr(p, type, s, strlen(s)); }

static void attr_u32(struct pkt *p, uint8_t type, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    attr(p, type, x, 4);
}

static void attr_ip(struct pkt *p, uint8_t type, const char *ip)
{
    uint8_t a[4];
    inet_pton(AF_INET, ip, a);
    attr(p, type, a, 4);
}

static void fin(struct pkt *p)
{
    p->b[2] = (uint8_t)(p->len >> 8);
    p->b[3] = (uint8_t)p->len;
}

static const char *recs(struct nw_testctx *t)
{
    nw_buf_putc(&t->records, '\0');
    t->records.len--;
    return t->records.data ? t->records.data : "";
}

static int who(struct nw_testctx *t, const char *ip, uint64_t ts, struct nw_ident_info *out)
{
    uint8_t a[16] = {0};
    inet_pton(AF_INET, ip, a);
    return nw_identity_lookup(t->ctx.ident, 4, a, ts, out);
}

/* Accounting-Request with the usual attributes. */
static void acct(struct pkt *p, uint32_t status, const char *user, const char *ip, const char *sid)
{
    pkt_init(p, 4, (uint8_t)status);
    attr_u32(p, 40, status);
    attr_s(p, 1, user);
    attr_s(p, 31, "13800138000");
    attr_s(p, 30, "AA-BB-CC-DD-EE-FF:corp");
    attr_ip(p, 8, ip);
    attr_ip(p, 4, "10.255.0.1");
    attr_s(p, 32, "bras-1");
    attr_s(p, 44, sid);
}

TEST(access_request_never_logs_password)
{
    struct nw_testctx t;
    struct pkt p;
    CHECK_EQ(nw_testctx_init(&t, "radius", IPPROTO_UDP, "127.0.0.1", 43586, "127.0.0.1", 1812), 0);
    /* Access-Request: User-Name alice, User-Password "s3cret-hidden", CHAP-Password */
    pkt_init(&p, 1, 214);
    attr_s(&p, 1, "alice");
    attr_s(&p, 2, "s3cret-hidden-pw");
    attr_s(&p, 3, "Xchap-secret-val");
    attr_s(&p, 31, "00-11-22-33-44-55");
    attr_ip(&p, 4, "127.0.0.1");
    fin(&p);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, p.b, p.len), 0);
    CHECK_HAS(recs(&t), "\"radius\":{\"code\":1,\"code_name\":\"Access-Request\",\"id\":214,"
                        "\"user_name\":\"alice\",\"password_seen\":true,\"calling_station_id\":"
                        "\"00-11-22-33-44-55\",\"nas_ip\":\"127.0.0.1\"}");
    CHECK_LACKS(recs(&t), "s3cret");
    CHECK_LACKS(recs(&t), "chap-secret");
    CHECK_LACKS(recs(&t), "\"event_type\":\"session\"");
    /* Access-Accept with a Framed-IP: a record, no binding (accounting binds) */
    pkt_init(&p, 2, 214);
    attr_ip(&p, 8, "10.20.30.41");
    fin(&p);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT, p.b, p.len), 0);
    CHECK_HAS(recs(&t), "\"src_ip\":\"127.0.0.1\",\"src_port\":1812");
    CHECK_HAS(recs(&t), "\"code_name\":\"Access-Accept\",\"id\":214,\"framed_ip\":\"10.20.30.41\"");
    nw_testctx_fini(&t);
}

TEST(accounting_start_interim_stop)
{
    struct nw_testctx t;
    struct pkt p;
    struct nw_ident_info w;
    uint64_t t0;
    CHECK_EQ(nw_testctx_init(&t, "radius", IPPROTO_UDP, "10.255.0.1", 37469, "10.255.0.2", 1813),
             0);
    t0 = t.ts_us;
    acct(&p, 1, "alice", "10.1.2.3", "A1B2-0001");
    fin(&p);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, p.b, p.len), 0);
    CHECK_HAS(recs(&t), "\"acct_status_type\":1,\"acct_status_name\":\"Start\","
                        "\"acct_session_id\":\"A1B2-0001\"");
    CHECK(who(&t, "10.1.2.3", t0, &w));
    CHECK_STR(w.account, "alice");
    CHECK_STR(w.calling_station, "13800138000");
    CHECK_STR(w.session_id, "A1B2-0001");
    CHECK_HAS(recs(&t), "\"session\":{\"state\":\"start\",\"source\":\"radius\"");
    /* Interim with counters (gigawords) */
    t.ts_us = t0 + 300 * SEC;
    acct(&p, 3, "alice", "10.1.2.3", "A1B2-0001");
    attr_u32(&p, 42, 5);
    attr_u32(&p, 52, 1);
    attr_u32(&p, 43, 7);
    attr_u32(&p, 46, 300);
    fin(&p);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, p.b, p.len), 0);
    CHECK_HAS(recs(&t), "\"acct_input_octets\":4294967301,\"acct_output_octets\":7,"
                        "\"acct_session_time\":300");
    CHECK_EQ(nw_testctx_count(&t, "\"state\":\"start\""), 1);
    /* Stop */
    t.ts_us = t0 + 611 * SEC;
    acct(&p, 2, "alice", "10.1.2.3", "A1B2-0001");
    attr_u32(&p, 46, 611);
    attr_u32(&p, 49, 1);
    fin(&p);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, p.b, p.len), 0);
    CHECK_HAS(recs(&t), "\"acct_terminate_cause\":1,\"acct_terminate_cause_name\":\"User-Request\"");
    CHECK_HAS(recs(&t), "\"duration\":611.000000,\"reason\":\"stop\"");
    CHECK(!who(&t, "10.1.2.3", t0 + 611 * SEC, &w));
    CHECK(who(&t, "10.1.2.3", t0 + 610 * SEC, &w));
    nw_testctx_fini(&t);
}

TEST(interim_without_start_dates_back)
{
    struct nw_testctx t;
    struct pkt p;
    struct nw_ident_info w;
    uint64_t t0;
    CHECK_EQ(nw_testctx_init(&t, "radius", IPPROTO_UDP, "10.0.0.1", 45210, "10.0.0.2", 1813), 0);
    t0 = t.ts_us;
    acct(&p, 3, "bob", "10.0.0.3", "S-9");
    attr_u32(&p, 46, 100);
    fin(&p);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, p.b, p.len), 0);
    CHECK(who(&t, "10.0.0.3", t0 - 50 * SEC, &w));
    CHECK_STR(w.account, "bob");
    CHECK_HAS(recs(&t), "\"login_estimated\":true");
    nw_testctx_fini(&t);
}

TEST(accounting_on_ends_nas_sessions)
{
    struct nw_testctx t;
    struct pkt p;
    struct nw_ident_info w;
    CHECK_EQ(nw_testctx_init(&t, "radius", IPPROTO_UDP, "10.255.0.1", 1000, "10.255.0.2", 1813),
             0);
    acct(&p, 1, "u1", "10.1.0.1", "s1");
    fin(&p);
    nw_testctx_feed(&t, NW_DIR_TOSERVER, p.b, p.len);
    acct(&p, 1, "u2", "10.1.0.2", "s2");
    fin(&p);
    nw_testctx_feed(&t, NW_DIR_TOSERVER, p.b, p.len);
    t.ts_us += SEC;
    pkt_init(&p, 4, 9);
    attr_u32(&p, 40, 7);
    attr_ip(&p, 4, "10.255.0.1");
    fin(&p);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, p.b, p.len), 0);
    CHECK_EQ(nw_testctx_count(&t, "\"reason\":\"accounting_on\""), 2);
    CHECK(!who(&t, "10.1.0.2", t.ts_us, &w));
    nw_testctx_fini(&t);
}

static void anom_cb(void *arg, const char *name, uint64_t n)
{
    if (strcmp(name, "radius.malformed") == 0) *(uint64_t *)arg = n;
}

TEST(framing_rejects_lookalikes)
{
    const struct nw_proto_parser *pp = nw_proto_find("radius");
    struct nw_testctx t;
    struct pkt p;
    uint64_t bad = 0;
    /* bytes from radius-false-positive.pcapng frame 1 (QUIC-like, code 8) */
    static const uint8_t fp1[] = {0x08, 0xf5, 0x04, 0xce, 0xe7, 0xfe, 0xa6, 0xa0, 0xca, 0x01,
                                  0x7c, 0xa7, 0x38, 0x7e, 0xbc, 0x69, 0xad, 0x57, 0xc1, 0xb3,
                                  0x17, 0x5a, 0x40, 0x01};
    static const uint8_t fp3[] = {0x00, 0x03, 0xbd, 0x99, 0xae, 0x46, 0x29, 0xca, 0xfa, 0x8b,
                                  0x4b, 0x84, 0xc8, 0xa7, 0x76, 0xe2, 0xbe, 0xbd, 0xf3, 0xab,
                                  0xf3, 0xc5, 0xb8};
    CHECK(pp != NULL && pp->probe != NULL);
    CHECK_EQ(pp->selftest(), 0);
    CHECK_EQ(pp->probe(fp1, sizeof fp1, NW_DIR_TOSERVER), 0);
    CHECK_EQ(pp->probe(fp3, sizeof fp3, NW_DIR_TOSERVER), 0);
    CHECK_EQ(nw_testctx_init(&t, "radius", IPPROTO_UDP, "10.0.0.1", 1, "10.0.0.2", 1812), 0);
    nw_testctx_feed(&t, NW_DIR_TOSERVER, fp1, sizeof fp1);
    nw_testctx_feed(&t, NW_DIR_TOSERVER, fp3, sizeof fp3);
    /* an attribute that runs past Length */
    acct(&p, 1, "x", "10.0.0.9", "s");
    fin(&p);
    p.b[p.len - 2] = 200; /* the last attribute (Acct-Session-Id) claims 200 bytes */
    CHECK_EQ(pp->probe(p.b, p.len, NW_DIR_TOSERVER), 0);
    nw_testctx_feed(&t, NW_DIR_TOSERVER, p.b, p.len);
    /* an attribute of length 1 (would loop forever if trusted) */
    pkt_init(&p, 4, 1);
    p.b[20] = 1, p.b[21] = 1, p.b[22] = 0, p.b[23] = 0;
    p.len = 24;
    fin(&p);
    nw_testctx_feed(&t, NW_DIR_TOSERVER, p.b, p.len);
    /* Length larger than the datagram */
    pkt_init(&p, 1, 1);
    fin(&p);
    p.b[3] = 200;
    nw_testctx_feed(&t, NW_DIR_TOSERVER, p.b, p.len);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"radius\""), 0);
    nw_engine_anomalies(t.eng, anom_cb, &bad);
    CHECK_EQ(bad, 5);
    /* trailing padding after Length is allowed (RFC 2865 3) */
    pkt_init(&p, 5, 3);
    fin(&p);
    p.len += 4;
    CHECK_EQ(pp->probe(p.b, p.len, NW_DIR_TOCLIENT), 1);
    nw_testctx_fini(&t);
}

TEST(ipv6_prefix_and_address)
{
    struct nw_testctx t;
    struct pkt p;
    struct nw_ident_info w;
    uint8_t a6[16];
    static const uint8_t pfx[] = {0, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0};
    CHECK_EQ(nw_testctx_init(&t, "radius", IPPROTO_UDP, "2001:db8::1", 1, "2001:db8::2", 1813),
             0);
    pkt_init(&p, 4, 1);
    attr_u32(&p, 40, 1);
    attr_s(&p, 1, "v6user");
    attr(&p, 97, pfx, sizeof pfx);
    inet_pton(AF_INET6, "2001:db8:0:1::42", a6);
    attr(&p, 168, a6, 16);
    fin(&p);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, p.b, p.len), 0);
    CHECK_HAS(recs(&t), "\"framed_ipv6\":\"2001:db8:0:1::42\",\"framed_ipv6_prefix\":"
                        "\"2001:db8:1::/64\"");
    CHECK(nw_identity_lookup(t.ctx.ident, 6, a6, t.ts_us, &w));
    CHECK_STR(w.account, "v6user");
    /* the NAS is the packet's sender when no NAS attribute names it */
    CHECK_STR(w.nas, "2001:db8::1");
    nw_testctx_fini(&t);
}

#define X NWT_ENTRY
NW_TEST_MAIN(X(access_request_never_logs_password) X(accounting_start_interim_stop)
                 X(interim_without_start_dates_back) X(accounting_on_ends_nas_sessions)
                     X(framing_rejects_lookalikes) X(ipv6_prefix_and_address))
