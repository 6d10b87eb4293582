/* test_dhcp.c - the DHCPv4 parser: records, options, hostile lengths, and the
 * leases it feeds to the identity table. */
#include <netinet/in.h>

#include "nw/identity.h"
#include "nw/testctx.h"
#include "nwtest.h"

#define SEC 1000000ull

static const uint8_t MAC[6] = {0x00, 0x0b, 0x82, 0x01, 0xfc, 0x42};

struct msg {
    uint8_t b[600];
    size_t len;
};

/* BOOTP header: op, xid, ciaddr, yiaddr, chaddr; magic cookie; no options yet. */
static void msg_init(struct msg *m, int op, uint32_t xid, const char *ci, const char *yi)
{
    unsigned a, b, c, d;
    memset(m, 0, sizeof *m);
    m->b[0] = (uint8_t)op;
    m->b[1] = 1;
    m->b[2] = 6;
    m->b[4] = (uint8_t)(xid >> 24), m->b[5] = (uint8_t)(xid >> 16);
    m->b[6] = (uint8_t)(xid >> 8), m->b[7] = (uint8_t)xid;
    if (ci && sscanf(ci, "%u.%u.%u.%u", &a, &b, &c, &d) == 4)
        m->b[12] = (uint8_t)a, m->b[13] = (uint8_t)b, m->b[14] = (uint8_t)c, m->b[15] = (uint8_t)d;
    if (yi && sscanf(yi, "%u.%u.%u.%u", &a, &b, &c, &d) == 4)
        m->b[16] = (uint8_t)a, m->b[17] = (uint8_t)b, m->b[18] = (uint8_t)c, m->b[19] = (uint8_t)d;
    memcpy(m->b + 28, MAC, 6);
    m->b[236] = 0x63, m->b[237] = 0x82, m->b[238] = 0x53, m->b[239] = 0x63;
    m->len = 240;
}

static void opt(struct msg *m, uint8_t code, const void *v, uint8_t l)
{
    m->b[m->len++] = code;
    m->b[m->len++] = l;
    memcpy(m->b + m->len, v, l);
    m->len += l;
}

static void opt_type(struct msg *m, uint8_t t) { opt(m, 53, &t, 1); }

static void opt_u32(struct msg *m, uint8_t code, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    opt(m, code, x, 4);
}

static void end(struct msg *m) { m->b[m->len++] = 255; }

static const char *recs(struct nw_testctx *t)
{
    nw_buf_putc(&t->records, '\0');
    t->records.len--;
    return t->records.data ? t->records.data : "";
}

static void anom_cb(void *arg, const char *name, uint64_t n)
{
    if (strcmp(name, "dhcp.malformed") == 0) *(uint64_t *)arg = n;
}

/* "dhcp.malformed" so far: UDP parse errors are counted, not returned. */
static uint64_t malformed(struct nw_testctx *t)
{
    uint64_t n = 0;
    nw_engine_anomalies(t->eng, anom_cb, &n);
    return n;
}

static int lookup(struct nw_testctx *t, const char *ip, uint64_t ts, struct nw_ident_info *out)
{
    uint8_t a[16] = {0};
    unsigned x[4];
    sscanf(ip, "%u.%u.%u.%u", &x[0], &x[1], &x[2], &x[3]);
    for (int i = 0; i < 4; i++) a[i] = (uint8_t)x[i];
    return nw_identity_lookup(t->ctx.ident, 4, a, ts, out);
}

TEST(dora_binds_lease_with_hostname)
{
    struct nw_testctx t;
    struct msg m;
    struct nw_ident_info who;
    uint64_t t0;
    CHECK_EQ(nw_testctx_init(&t, "dhcp", IPPROTO_UDP, "0.0.0.0", 68, "255.255.255.255", 67), 0);
    t0 = t.ts_us;
    /* DISCOVER xid 0x3d1d, hostname "laptop" */
    msg_init(&m, 1, 0x3d1d, NULL, NULL);
    opt_type(&m, 1);
    opt(&m, 12, "laptop", 6);
    end(&m);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, m.b, m.len), 0);
    /* OFFER */
    msg_init(&m, 2, 0x3d1d, NULL, "192.168.0.10");
    opt_type(&m, 2);
    opt_u32(&m, 51, 3600);
    end(&m);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT, m.b, m.len), 0);
    /* REQUEST with a new xid (as real clients do), no hostname */
    msg_init(&m, 1, 0x3d1e, NULL, NULL);
    opt_type(&m, 3);
    opt_u32(&m, 50, 0xc0a8000a);
    opt_u32(&m, 54, 0xc0a80001);
    end(&m);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, m.b, m.len), 0);
    /* ACK */
    t.ts_us = t0 + SEC;
    msg_init(&m, 2, 0x3d1e, NULL, "192.168.0.10");
    opt_type(&m, 5);
    opt_u32(&m, 51, 3600);
    opt_u32(&m, 54, 0xc0a80001);
    opt_u32(&m, 1, 0xffffff00);
    opt(&m, 3, "\xc0\xa8\x00\x01", 4);
    opt(&m, 6, "\x08\x08\x08\x08\x01\x01\x01\x01", 8);
    end(&m);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT, m.b, m.len), 0);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"dhcp\""), 4);
    CHECK_HAS(recs(&t), "\"dhcp\":{\"type\":\"request\",\"id\":15645,\"client_mac\":"
                        "\"00:0b:82:01:fc:42\",\"assigned_ip\":\"0.0.0.0\",\"client_ip\":"
                        "\"0.0.0.0\",\"dhcp_type\":\"discover\",\"hostname\":\"laptop\"}");
    CHECK_HAS(recs(&t), "\"dhcp_type\":\"ack\",\"client_hostname\":\"laptop\","
                        "\"server_id\":\"192.168.0.1\",\"lease_time\":3600,\"subnet_mask\":"
                        "\"255.255.255.0\",\"routers\":[\"192.168.0.1\"],\"dns_servers\":"
                        "[\"8.8.8.8\",\"1.1.1.1\"]}");
    CHECK_HAS(recs(&t), "\"requested_ip\":\"192.168.0.10\"");
    /* the lease: mac + hostname, from the ACK's time, and a session start record */
    CHECK(!lookup(&t, "192.168.0.10", t0, &who));
    CHECK(lookup(&t, "192.168.0.10", t0 + SEC, &who));
    CHECK_EQ(who.source, NW_IDSRC_DHCP);
    CHECK_STR(who.hostname, "laptop");
    CHECK(who.has_mac && memcmp(who.mac, MAC, 6) == 0);
    CHECK_STR(who.session_id, "0x00003d1e");
    CHECK_HAS(recs(&t), "\"event_type\":\"session\",\"src_ip\":\"192.168.0.10\",\"session\":"
                        "{\"state\":\"start\",\"source\":\"dhcp\"");
    /* RELEASE ends it */
    t.ts_us = t0 + 10 * SEC;
    msg_init(&m, 1, 0x77, "192.168.0.10", NULL);
    opt_type(&m, 7);
    end(&m);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, m.b, m.len), 0);
    CHECK_HAS(recs(&t), "\"duration\":9.000000,\"reason\":\"release\"");
    CHECK(!lookup(&t, "192.168.0.10", t0 + 10 * SEC, &who));
    CHECK(lookup(&t, "192.168.0.10", t0 + 5 * SEC, &who)); /* history */
    nw_testctx_fini(&t);
}

TEST(lease_expires)
{
    struct nw_testctx t;
    struct msg m;
    struct nw_ident_info who;
    uint64_t t0;
    CHECK_EQ(nw_testctx_init(&t, "dhcp", IPPROTO_UDP, "192.168.0.1", 67, "192.168.0.20", 68), 0);
    t0 = t.ts_us;
    msg_init(&m, 2, 1, NULL, "192.168.0.20");
    opt_type(&m, 5);
    opt_u32(&m, 51, 60);
    opt(&m, 12, "phone", 5);
    end(&m);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, m.b, m.len), 0);
    CHECK(lookup(&t, "192.168.0.20", t0 + 59 * SEC, &who));
    CHECK_STR(who.hostname, "phone");
    nw_identity_expire(t.ctx.ident, t0 + 61 * SEC);
    CHECK_HAS(recs(&t), "\"duration\":60.000000,\"reason\":\"expiry\"");
    CHECK(!lookup(&t, "192.168.0.20", t0 + 60 * SEC, &who));
    nw_testctx_fini(&t);
}

TEST(inform_ack_and_fqdn_and_overload)
{
    struct nw_testctx t;
    struct msg m;
    struct nw_ident_info who;
    /* FQDN in DNS wire form: flags E|S, rcodes, "ws1.example.org" */
    static const uint8_t fqdn[] = {0x05, 0, 0, 3, 'w', 's', '1', 7, 'e', 'x', 'a', 'm',
                                   'p', 'l', 'e', 3, 'o', 'r', 'g', 0};
    CHECK_EQ(nw_testctx_init(&t, "dhcp", IPPROTO_UDP, "128.2.6.122", 68, "128.2.6.152", 67), 0);
    msg_init(&m, 1, 0xa42cec51, "128.2.6.122", NULL);
    opt_type(&m, 8);
    opt(&m, 81, fqdn, sizeof fqdn);
    end(&m);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, m.b, m.len), 0);
    CHECK_HAS(recs(&t), "\"client_fqdn\":\"ws1.example.org\"");
    /* ACK to the INFORM: yiaddr 0, ciaddr is the address; options overloaded into file */
    msg_init(&m, 2, 0xa42cec51, "128.2.6.122", NULL);
    {
        uint8_t ov = 1;
        opt_type(&m, 5);
        opt(&m, 52, &ov, 1);
        end(&m);
        /* file field (offset 108): vendor class + end */
        memcpy(m.b + 108, "\x3c\x04MSFT\xff", 7);
    }
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT, m.b, m.len), 0);
    CHECK_HAS(recs(&t), "\"vendor_class\":\"MSFT\"");
    CHECK(lookup(&t, "128.2.6.122", t.ts_us, &who));
    CHECK_STR(who.hostname, "ws1.example.org");
    nw_testctx_fini(&t);
}

TEST(hostile_lengths)
{
    struct nw_testctx t;
    struct msg m;
    uint8_t shortmsg[100] = {1};
    CHECK_EQ(nw_testctx_init(&t, "dhcp", IPPROTO_UDP, "0.0.0.0", 68, "255.255.255.255", 67), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, shortmsg, sizeof shortmsg), 0);
    CHECK_EQ(malformed(&t), 1);
    /* an option whose length runs past the datagram: record, no overread */
    msg_init(&m, 1, 9, NULL, NULL);
    opt_type(&m, 1);
    m.b[m.len++] = 12;
    m.b[m.len++] = 200; /* claims 200 bytes, none follow */
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, m.b, m.len), 0);
    CHECK_LACKS(recs(&t), "\"hostname\"");
    /* code with no length byte at the very end */
    msg_init(&m, 1, 10, NULL, NULL);
    m.b[m.len++] = 12;
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, m.b, m.len), 0);
    /* bad op */
    msg_init(&m, 1, 11, NULL, NULL);
    m.b[0] = 7;
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, m.b, m.len), 0);
    CHECK_EQ(malformed(&t), 2);
    /* ACK without addresses binds nothing */
    msg_init(&m, 2, 12, NULL, NULL);
    opt_type(&m, 5);
    end(&m);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT, m.b, m.len), 0);
    CHECK_LACKS(recs(&t), "\"event_type\":\"session\"");
    /* hostname with control bytes and a NUL is escaped / cut */
    msg_init(&m, 1, 13, NULL, NULL);
    opt_type(&m, 1);
    opt(&m, 12, "a\"b\x01", 4);
    end(&m);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, m.b, m.len), 0);
    CHECK_HAS(recs(&t), "\"hostname\":\"a\\\"b\\u0001\"");
    nw_testctx_fini(&t);
}

TEST(probe)
{
    const struct nw_proto_parser *p = nw_proto_find("dhcp");
    struct msg m;
    CHECK(p != NULL && p->probe != NULL && p->selftest != NULL);
    CHECK_EQ(p->selftest(), 0);
    msg_init(&m, 1, 1, NULL, NULL);
    CHECK_EQ(p->probe(m.b, m.len, NW_DIR_TOSERVER), 1);
    m.b[236] = 0;
    CHECK_EQ(p->probe(m.b, m.len, NW_DIR_TOSERVER), 0);
    CHECK_EQ(p->probe((const uint8_t *)"GET /", 5, NW_DIR_TOSERVER), 0);
}

#define X NWT_ENTRY
NW_TEST_MAIN(X(dora_binds_lease_with_hostname) X(lease_expires) X(inform_ack_and_fqdn_and_overload)
                 X(hostile_lengths) X(probe))
