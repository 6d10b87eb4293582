/* test_dns.c - the DNS parser: queries, responses and rdata, TCP framing,
 * compression and its abuse, malformed messages, mDNS/LLMNR marking. */
#include <netinet/in.h>
#include <string.h>

#include "nw/testctx.h"

#include "nwtest.h"

static const char *recs(struct nw_testctx *t)
{
    nw_buf_putc(&t->records, '\0');
    t->records.len--;
    return t->records.data ? t->records.data : "";
}

/*
 * Query, id 0x1a2b, RD, one question www.example.com A IN:
 *   1a 2b 01 00 00 01 00 00 00 00 00 00
 *   03 'www' 07 'example' 03 'com' 00  00 01 00 01
 */
static const uint8_t q_www[] = {
    0x1a, 0x2b, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 'w',  'w',
    'w',  0x07, 'e',  'x',  'a',  'm',  'p',  'l',  'e',  0x03, 'c',  'o',  'm',  0x00, 0x00,
    0x01, 0x00, 0x01};

/*
 * Response to it, id 0x1a2b, flags 8180 (QR RD RA, NOERROR), 1 question,
 * 2 answers, 1 authority, 0 additional:
 *   question   www.example.com A IN                        (name at offset 12)
 *   answer 1   c0 0c CNAME IN ttl 300 -> "web" + ptr to "example.com" (offset 16)
 *   answer 2   ptr to answer 1's rdata (offset 43) A IN ttl 60 -> 93.184.216.34
 *   authority  c0 10 (example.com) NS IN ttl 3600 -> "ns1" + c0 10
 */
static const uint8_t r_www[] = {
    0x1a, 0x2b, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00,
    /* 12: question */
    0x03, 'w', 'w', 'w', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x03, 'c', 'o', 'm', 0x00,
    0x00, 0x01, 0x00, 0x01,
    /* 33: answer 1, CNAME; rdata at 45 */
    0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x06, 0x03, 'w', 'e', 'b',
    0xc0, 0x10,
    /* 51: answer 2, A */
    0xc0, 0x2d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 93, 184, 216, 34,
    /* 67: authority, NS */
    0xc0, 0x10, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x06, 0x03, 'n', 's', '1',
    0xc0, 0x10};

/* A tiny message builder for the cases where hex would hide the point. */
struct mb {
    uint8_t b[70000];
    size_t n;
};

static void mb_u8(struct mb *m, unsigned v) { m->b[m->n++] = (uint8_t)v; }
static void mb_u16(struct mb *m, unsigned v) { mb_u8(m, v >> 8), mb_u8(m, v & 0xff); }
static void mb_u32(struct mb *m, uint32_t v) { mb_u16(m, v >> 16), mb_u16(m, v & 0xffff); }
static void mb_bytes(struct mb *m, const void *p, size_t n)
{
    memcpy(m->b + m->n, p, n);
    m->n += n;
}
/* "a.b.c" as labels plus the root */
static void mb_name(struct mb *m, const char *s)
{
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t l = dot ? (size_t)(dot - s) : strlen(s);
        mb_u8(m, (unsigned)l);
        mb_bytes(m, s, l);
        s += l + (dot ? 1 : 0);
    }
    mb_u8(m, 0);
}
static void mb_hdr(struct mb *m, unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns,
                   unsigned ar)
{
    m->n = 0;
    mb_u16(m, id), mb_u16(m, flags), mb_u16(m, qd), mb_u16(m, an), mb_u16(m, ns), mb_u16(m, ar);
}
/* RR header with rdlength patched by mb_rr_end */
static size_t mb_rr(struct mb *m, const char *name, unsigned type, uint32_t ttl)
{
    mb_name(m, name);
    mb_u16(m, type), mb_u16(m, 1), mb_u32(m, ttl), mb_u16(m, 0);
    return m->n;
}
static void mb_rr_end(struct mb *m, size_t start)
{
    size_t l = m->n - start;
    m->b[start - 2] = (uint8_t)(l >> 8);
    m->b[start - 1] = (uint8_t)l;
}

static int udp(struct nw_testctx *t, uint16_t port)
{
    return nw_testctx_init(t, "dns", IPPROTO_UDP, "192.0.2.10", 40000, "192.0.2.53", port);
}

TEST(udp_query)
{
    struct nw_testctx t;
    CHECK_EQ(udp(&t, 53), 0);
    nw_testctx_feed(&t, NW_DIR_TOSERVER, q_www, sizeof q_www);
    const char *r = recs(&t);
    CHECK_HAS(r, "\"event_type\":\"dns\"");
    CHECK_HAS(r, "\"src_ip\":\"192.0.2.10\",\"src_port\":40000");
    CHECK_HAS(r, "\"app_proto\":\"dns\"");
    CHECK_HAS(r, "\"version\":3,\"type\":\"request\",\"tx_id\":0,\"id\":6699,\"flags\":\"100\","
                 "\"rd\":true,\"opcode\":0,\"rcode\":\"NOERROR\"");
    CHECK_HAS(r, "\"queries\":[{\"rrname\":\"www.example.com\",\"rrtype\":\"A\"}]");
    CHECK_LACKS(r, "answers");
    CHECK_LACKS(r, "malformed");
    nw_testctx_fini(&t);
}

TEST(udp_response_compressed)
{
    struct nw_testctx t;
    CHECK_EQ(udp(&t, 53), 0);
    nw_testctx_feed(&t, NW_DIR_TOCLIENT, r_www, sizeof r_www);
    const char *r = recs(&t);
    /* the responder is the record's source */
    CHECK_HAS(r, "\"src_ip\":\"192.0.2.53\",\"src_port\":53");
    CHECK_HAS(r, "\"type\":\"response\"");
    CHECK_HAS(r, "\"flags\":\"8180\",\"qr\":true,\"rd\":true,\"ra\":true");
    CHECK_HAS(r, "{\"rrname\":\"www.example.com\",\"rrtype\":\"CNAME\",\"ttl\":300,"
                 "\"rdata\":\"web.example.com\"}");
    CHECK_HAS(r, "{\"rrname\":\"web.example.com\",\"rrtype\":\"A\",\"ttl\":60,"
                 "\"rdata\":\"93.184.216.34\"}");
    CHECK_HAS(r, "\"authorities\":[{\"rrname\":\"example.com\",\"rrtype\":\"NS\",\"ttl\":3600,"
                 "\"rdata\":\"ns1.example.com\"}]");
    CHECK_LACKS(r, "additionals");
    nw_testctx_fini(&t);
}

TEST(every_question_and_rcode)
{
    struct nw_testctx t;
    struct mb m;
    /* NXDOMAIN response with two questions (a.test A, b.test AAAA) */
    mb_hdr(&m, 7, 0x8183, 2, 0, 0, 0);
    mb_name(&m, "a.test"), mb_u16(&m, 1), mb_u16(&m, 1);
    mb_name(&m, "b.test"), mb_u16(&m, 28), mb_u16(&m, 1);
    CHECK_EQ(udp(&t, 53), 0);
    nw_testctx_feed(&t, NW_DIR_TOCLIENT, m.b, m.n);
    const char *r = recs(&t);
    CHECK_HAS(r, "\"rcode\":\"NXDOMAIN\"");
    CHECK_HAS(r, "\"queries\":[{\"rrname\":\"a.test\",\"rrtype\":\"A\"},"
                 "{\"rrname\":\"b.test\",\"rrtype\":\"AAAA\"}]");
    nw_testctx_fini(&t);
}

TEST(rdata_types)
{
    struct nw_testctx t;
    struct mb m;
    size_t s;
    static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

    mb_hdr(&m, 9, 0x8400, 0, 8, 0, 0);
    s = mb_rr(&m, "x.test", 28, 10), mb_bytes(&m, v6, 16), mb_rr_end(&m, s);
    s = mb_rr(&m, "x.test", 15, 10), mb_u16(&m, 10), mb_name(&m, "mail.x.test"), mb_rr_end(&m, s);
    s = mb_rr(&m, "x.test", 16, 10);
    mb_u8(&m, 5), mb_bytes(&m, "hello", 5), mb_u8(&m, 5), mb_bytes(&m, "world", 5);
    mb_rr_end(&m, s);
    s = mb_rr(&m, "x.test", 6, 10);
    mb_name(&m, "ns.x.test"), mb_name(&m, "admin.x.test");
    mb_u32(&m, 2024010101), mb_u32(&m, 7200), mb_u32(&m, 900), mb_u32(&m, 1209600);
    mb_u32(&m, 300), mb_rr_end(&m, s);
    s = mb_rr(&m, "_sip._udp.x.test", 33, 10);
    mb_u16(&m, 1), mb_u16(&m, 5), mb_u16(&m, 5060), mb_name(&m, "sip.x.test"), mb_rr_end(&m, s);
    s = mb_rr(&m, "1.2.0.192.in-addr.arpa", 12, 10), mb_name(&m, "host.x.test"), mb_rr_end(&m, s);
    s = mb_rr(&m, "x.test", 65280, 10), mb_u8(&m, 1), mb_rr_end(&m, s); /* private type */
    s = mb_rr(&m, "", 2, 10), mb_name(&m, "a.root-servers.net"), mb_rr_end(&m, s);

    CHECK_EQ(udp(&t, 53), 0);
    nw_testctx_feed(&t, NW_DIR_TOCLIENT, m.b, m.n);
    const char *r = recs(&t);
    CHECK_HAS(r, "\"aa\":true");
    CHECK_HAS(r, "\"rrtype\":\"AAAA\",\"ttl\":10,\"rdata\":\"2001:db8::1\"");
    CHECK_HAS(r, "\"rrtype\":\"MX\",\"ttl\":10,\"rdata\":\"mail.x.test\"");
    CHECK_HAS(r, "\"rrtype\":\"TXT\",\"ttl\":10,\"rdata\":\"hello\"");
    CHECK_HAS(r, "\"rrtype\":\"TXT\",\"ttl\":10,\"rdata\":\"world\"");
    CHECK_HAS(r, "\"soa\":{\"mname\":\"ns.x.test\",\"rname\":\"admin.x.test\",\"serial\":2024010101,"
                 "\"refresh\":7200,\"retry\":900,\"expire\":1209600,\"minimum\":300}");
    CHECK_HAS(r, "\"srv\":{\"priority\":1,\"weight\":5,\"port\":5060,\"name\":\"sip.x.test\"}");
    CHECK_HAS(r, "\"rrtype\":\"PTR\",\"ttl\":10,\"rdata\":\"host.x.test\"");
    CHECK_HAS(r, "{\"rrname\":\"x.test\",\"rrtype\":\"65280\",\"ttl\":10}");
    CHECK_HAS(r, "{\"rrname\":\"\",\"rrtype\":\"NS\",\"ttl\":10,\"rdata\":\"a.root-servers.net\"}");
    CHECK_LACKS(r, "malformed");
    nw_testctx_fini(&t);
}

TEST(pointer_loop_is_bounded)
{
    struct nw_testctx t;
    struct mb m;
    /* question name "a" then a pointer to itself; answer name points at the question */
    mb_hdr(&m, 1, 0x8180, 1, 1, 0, 0);
    mb_u8(&m, 1), mb_u8(&m, 'a'), mb_u16(&m, 0xc00e); /* offset 14 = this very pointer */
    mb_u16(&m, 1), mb_u16(&m, 1);
    size_t s = mb_rr(&m, "b", 1, 5);
    mb_bytes(&m, "\x01\x02\x03\x04", 4), mb_rr_end(&m, s);
    CHECK_EQ(udp(&t, 53), 0);
    nw_testctx_feed(&t, NW_DIR_TOCLIENT, m.b, m.n);
    const char *r = recs(&t);
    CHECK_HAS(r, "\"rrname\":\"a\",\"rrname_truncated\":true,\"rrtype\":\"A\"");
    CHECK_HAS(r, "\"rdata\":\"1.2.3.4\"");
    CHECK_HAS(r, "\"name_truncated\":true");
    nw_testctx_fini(&t);
}

TEST(long_name_is_truncated)
{
    struct nw_testctx t;
    struct mb m;
    char lab[64];
    memset(lab, 'x', 63);
    lab[63] = 0;
    /* 5 labels of 63: 319 bytes on the wire, over the 255 limit */
    mb_hdr(&m, 2, 0x0100, 1, 0, 0, 0);
    for (int i = 0; i < 5; i++) mb_u8(&m, 63), mb_bytes(&m, lab, 63);
    mb_u8(&m, 0), mb_u16(&m, 1), mb_u16(&m, 1);
    CHECK_EQ(udp(&t, 53), 0);
    nw_testctx_feed(&t, NW_DIR_TOSERVER, m.b, m.n);
    const char *r = recs(&t);
    CHECK_HAS(r, "\"rrname_truncated\":true,\"rrtype\":\"A\"");
    CHECK_LACKS(r, "malformed");
    nw_testctx_fini(&t);
}

TEST(odd_bytes_escaped)
{
    struct nw_testctx t;
    struct mb m;
    /* label with a quote, a backslash, NUL, a control byte and invalid UTF-8 */
    static const uint8_t lab[] = {'a', '"', '\\', 0x00, 0x07, 0xff, '.'};
    mb_hdr(&m, 3, 0x0100, 1, 0, 0, 0);
    mb_u8(&m, sizeof lab), mb_bytes(&m, lab, sizeof lab), mb_u8(&m, 0);
    mb_u16(&m, 16), mb_u16(&m, 1);
    CHECK_EQ(udp(&t, 53), 0);
    nw_testctx_feed(&t, NW_DIR_TOSERVER, m.b, m.n);
    CHECK_HAS(recs(&t), "\"rrname\":\"a\\\"\\\\\\u0000\\u0007\\u00ff.\",\"rrtype\":\"TXT\"");
    nw_testctx_fini(&t);
}

TEST(malformed_keeps_what_parsed)
{
    struct nw_testctx t;
    struct mb m;
    CHECK_EQ(udp(&t, 53), 0);
    /* response claiming 3 answers, carrying one and a half */
    mb_hdr(&m, 4, 0x8180, 1, 3, 0, 0);
    mb_name(&m, "ok.test"), mb_u16(&m, 1), mb_u16(&m, 1);
    size_t s = mb_rr(&m, "ok.test", 1, 1);
    mb_bytes(&m, "\x0a\x00\x00\x01", 4), mb_rr_end(&m, s);
    mb_u16(&m, 0xc00c), mb_u16(&m, 1), mb_u16(&m, 1);
    nw_testctx_feed(&t, NW_DIR_TOCLIENT, m.b, m.n);
    const char *r = recs(&t);
    CHECK_HAS(r, "\"rrname\":\"ok.test\"");
    CHECK_HAS(r, "\"rdata\":\"10.0.0.1\"");
    CHECK_HAS(r, "\"malformed\":true");
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"dns\""), 1);

    /* 3 bytes: not even id and flags, nothing logged */
    nw_testctx_feed(&t, NW_DIR_TOSERVER, "\x01\x02\x03", 3);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"dns\""), 1);
    /* id and flags only: logged as far as it goes */
    nw_testctx_feed(&t, NW_DIR_TOSERVER, "\x00\x05\x01\x00\x00\x01", 6);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"dns\""), 2);
    CHECK_HAS(recs(&t), "\"id\":5,");
    /* reserved label type 0x80 */
    mb_hdr(&m, 6, 0x0100, 1, 0, 0, 0);
    mb_u8(&m, 0x80), mb_u8(&m, 0), mb_u16(&m, 1), mb_u16(&m, 1);
    nw_testctx_feed(&t, NW_DIR_TOSERVER, m.b, m.n);
    CHECK_HAS(recs(&t), "\"id\":6,\"flags\":\"100\",\"rd\":true,\"opcode\":0,\"rcode\":\"NOERROR\","
                        "\"queries\":[],\"malformed\":true");
    /* an A record whose rdata is not 4 bytes */
    mb_hdr(&m, 8, 0x8180, 0, 1, 0, 0);
    s = mb_rr(&m, "bad.test", 1, 1);
    mb_bytes(&m, "\x01\x02\x03", 3), mb_rr_end(&m, s);
    nw_testctx_feed(&t, NW_DIR_TOCLIENT, m.b, m.n);
    CHECK_HAS(recs(&t), "{\"rrname\":\"bad.test\",\"rrtype\":\"A\",\"ttl\":1}],\"malformed\":true");
    nw_testctx_fini(&t);
}

TEST(mdns_and_llmnr_marked)
{
    struct nw_testctx t;
    CHECK_EQ(nw_testctx_init(&t, "dns", IPPROTO_UDP, "fe80::1", 5353, "ff02::fb", 5353), 0);
    nw_testctx_feed(&t, NW_DIR_TOSERVER, q_www, sizeof q_www);
    CHECK_HAS(recs(&t), "\"app_proto\":\"mdns\"");
    nw_testctx_fini(&t);
    CHECK_EQ(nw_testctx_init(&t, "dns", IPPROTO_UDP, "10.0.0.5", 50000, "224.0.0.252", 5355), 0);
    nw_testctx_feed(&t, NW_DIR_TOSERVER, q_www, sizeof q_www);
    CHECK_HAS(recs(&t), "\"app_proto\":\"llmnr\"");
    nw_testctx_fini(&t);
}

/* TCP: query and response with their 2-byte length prefixes */
static size_t tcp_frame(uint8_t *out, const uint8_t *msg, size_t n)
{
    out[0] = (uint8_t)(n >> 8);
    out[1] = (uint8_t)n;
    memcpy(out + 2, msg, n);
    return n + 2;
}

TEST(tcp_framing)
{
    struct nw_testctx t;
    uint8_t seg[512];
    size_t n = 0;

    CHECK_EQ(nw_testctx_init(&t, "dns", IPPROTO_TCP, "192.0.2.10", 40001, "192.0.2.53", 53), 0);
    /* two queries in one segment */
    n += tcp_frame(seg + n, q_www, sizeof q_www);
    n += tcp_frame(seg + n, q_www, sizeof q_www);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, seg, n), 0);
    CHECK_EQ(nw_testctx_count(&t, "\"type\":\"request\""), 2);
    CHECK_HAS(recs(&t), "\"proto\":\"TCP\"");
    /* the response one byte at a time */
    n = tcp_frame(seg, r_www, sizeof r_www);
    CHECK_EQ(nw_testctx_feed_chunked(&t, NW_DIR_TOCLIENT, seg, n, 1), 0);
    CHECK_EQ(nw_testctx_count(&t, "\"type\":\"response\""), 1);
    CHECK_HAS(recs(&t), "\"rdata\":\"93.184.216.34\"");
    /* the response split inside the length prefix, then inside the body */
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT, seg, 1), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT, seg + 1, 30), 0);
    CHECK_EQ(nw_testctx_count(&t, "\"type\":\"response\""), 1);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT, seg + 31, n - 31), 0);
    CHECK_EQ(nw_testctx_count(&t, "\"type\":\"response\""), 2);
    nw_testctx_end(&t);
    nw_testctx_fini(&t);
}

TEST(tcp_oversized_message)
{
    struct nw_testctx t;
    static struct mb m;
    uint8_t pre[2];
    size_t s;

    /* a 40000-byte zone-transfer-like response: logged from its first 32 KiB+,
     * the rest skipped, and the next message still parsed */
    mb_hdr(&m, 11, 0x8480, 0, 1, 0, 0);
    s = mb_rr(&m, "big.test", 16, 1);
    while (m.n < 40000 - 256) mb_u8(&m, 200), memset(m.b + m.n, 'z', 200), m.n += 200;
    mb_rr_end(&m, s);
    while (m.n < 40000) mb_u8(&m, 0);
    m.b[7] = 1;
    CHECK_EQ(nw_testctx_init(&t, "dns", IPPROTO_TCP, "192.0.2.10", 40002, "192.0.2.53", 53), 0);
    pre[0] = (uint8_t)(m.n >> 8), pre[1] = (uint8_t)m.n;
    nw_testctx_feed(&t, NW_DIR_TOCLIENT, pre, 2);
    CHECK_EQ(nw_testctx_feed_chunked(&t, NW_DIR_TOCLIENT, m.b, m.n, 1460), 0);
    CHECK_EQ(nw_testctx_count(&t, "\"truncated\":true"), 1);
    uint8_t seg[256];
    size_t n = tcp_frame(seg, r_www, sizeof r_www);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT, seg, n), 0);
    CHECK_HAS(recs(&t), "\"rdata\":\"93.184.216.34\"");
    nw_testctx_fini(&t);
}

TEST(tcp_not_dns_detaches)
{
    struct nw_testctx t;
    /* length prefixes of garbage 3-byte messages: too short for a header */
    static const uint8_t junk[] = {0, 3, 'a', 'b', 'c', 0, 3, 'a', 'b', 'c', 0, 3, 'a', 'b', 'c',
                                   0, 3, 'a', 'b', 'c', 0, 3, 'a', 'b', 'c', 0, 3, 'a', 'b', 'c',
                                   0, 3, 'a', 'b', 'c', 0, 3, 'a', 'b', 'c', 0, 3, 'a', 'b', 'c'};
    CHECK_EQ(nw_testctx_init(&t, "dns", IPPROTO_TCP, "192.0.2.10", 40003, "192.0.2.53", 53), 0);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, junk, sizeof junk) < 0);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"dns\""), 0);
    nw_testctx_fini(&t);
}

TEST(tcp_gap_stops_direction)
{
    struct nw_testctx t;
    uint8_t seg[256];
    size_t n = tcp_frame(seg, q_www, sizeof q_www);
    CHECK_EQ(nw_testctx_init(&t, "dns", IPPROTO_TCP, "192.0.2.10", 40004, "192.0.2.53", 53), 0);
    nw_testctx_gap(&t, NW_DIR_TOSERVER, 100);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, seg, n), 0);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"dns\""), 0);
    /* the other direction is unaffected */
    n = tcp_frame(seg, r_www, sizeof r_www);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT, seg, n), 0);
    CHECK_EQ(nw_testctx_count(&t, "\"type\":\"response\""), 1);
    nw_testctx_fini(&t);
}

TEST(selftest)
{
    const struct nw_proto_parser *p = nw_proto_find("dns");
    CHECK(p != NULL && p->selftest != NULL);
    CHECK_EQ(p->selftest(), 0);
}

NW_TEST_MAIN(NWT_ENTRY(udp_query) NWT_ENTRY(udp_response_compressed)
                 NWT_ENTRY(every_question_and_rcode) NWT_ENTRY(rdata_types)
                 NWT_ENTRY(pointer_loop_is_bounded) NWT_ENTRY(long_name_is_truncated)
                 NWT_ENTRY(odd_bytes_escaped) NWT_ENTRY(malformed_keeps_what_parsed)
                 NWT_ENTRY(mdns_and_llmnr_marked) NWT_ENTRY(tcp_framing)
                 NWT_ENTRY(tcp_oversized_message) NWT_ENTRY(tcp_not_dns_detaches)
                 NWT_ENTRY(tcp_gap_stops_direction) NWT_ENTRY(selftest))
