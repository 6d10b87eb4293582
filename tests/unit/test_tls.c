/*
 * test_tls.c - TLS over TCP: ClientHello/ServerHello extraction, JA3/JA3S/JA4,
 * record and segment reassembly, HelloRetryRequest, SSLv2, hostile lengths.
 * Expected fingerprints come from tshark (JA3) and an independent Python
 * implementation of the FoxIO JA4 spec.
 */
#include <netinet/in.h>
#include <stdlib.h>

#include "nw/testctx.h"
#include "nwtest.h"

/*
 * tls12-sni.pcap frame 4 (from tests/corpus): TLS 1.0 record, ClientHello
 * TLS 1.2, 20 suites (c02c c02b ... 002f), extensions renegotiation_info,
 * server_name "www.ntop.org", extended_master_secret, signature_algorithms,
 * status_request, 13172 (NPN), SCT (18), ALPN h2,h2-16,h2-15,h2-14,spdy/3.1,
 * spdy/3,http/1.1, ec_point_formats [0], supported_groups x25519,secp256r1,
 * secp384r1,secp521r1.
 */
static const char ch_hex[] =
    "16030100e4010000e00303b753d483c3a76617db4892f2b8b36ccbbc8cdeb8b7"
    "bae52cd1940597423292be000028c02cc02bc024c023c00ac009cca9c030c02f"
    "c028c027c014c013cca8009d009c003d003c0035002f0100008fff0100010000"
    "000011000f00000c7777772e6e746f702e6f726700170000000d001400120403"
    "0804040105030805050108060601020100050005010000000033740000001200"
    "0000100030002e0268320568322d31360568322d31350568322d313408737064"
    "792f332e3106737064792f3308687474702f312e31000b00020100000a000a00"
    "08001d001700180019";
/* frame 6, first record: ServerHello TLS 1.2, cipher 0xcca8, ALPN h2 */
static const char sh_hex[] =
    "160303006a0200006603038aa6c89ca6e7772e6938d81aefc7e10e6f353bb1ef"
    "4c122d1444c8cd4f3156092082a5418993b6431f479ce7c5cb61eef4bf60b53f"
    "dd7c3dac11c280a6fe55ee60cca800001eff0100010000000000000b00040300"
    "010200100005000302683200170000";

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2) {
        char t[3] = {h[0], h[1], 0};
        out[n++] = (uint8_t)strtoul(t, NULL, 16);
    }
    return n;
}

static const char *recs(struct nw_testctx *t)
{
    nw_buf_putc(&t->records, '\0');
    t->records.len--;
    return t->records.data;
}

static int start(struct nw_testctx *t)
{
    return nw_testctx_init(t, "tls", IPPROTO_TCP, "192.168.1.13", 53031, "178.62.197.130", 443);
}

/* ---- a small ClientHello builder for synthetic cases ---- */
struct hb {
    uint8_t b[140000];
    size_t n;
};
static void put(struct hb *h, const void *p, size_t n)
{
    memcpy(h->b + h->n, p, n);
    h->n += n;
}
static void put8(struct hb *h, unsigned v) { h->b[h->n++] = (uint8_t)v; }
static void put16(struct hb *h, unsigned v)
{
    put8(h, v >> 8);
    put8(h, v & 0xff);
}
static void put24(struct hb *h, unsigned v)
{
    put8(h, v >> 16);
    put16(h, v & 0xffff);
}

/* Handshake message type+body -> records of at most frag bytes each, into out. */
static void frame(struct hb *out, uint8_t type, const struct hb *body, size_t frag)
{
    static struct hb msg;
    msg.n = 0;
    put8(&msg, type);
    put24(&msg, (unsigned)body->n);
    put(&msg, body->b, body->n);
    for (size_t off = 0; off < msg.n; off += frag) {
        size_t n = msg.n - off < frag ? msg.n - off : frag;
        put8(out, 22);
        put16(out, 0x0301);
        put16(out, (unsigned)n);
        put(out, msg.b + off, n);
    }
}

/* ClientHello body: TLS 1.2, GREASE suite 0x0a0a + 1301 + c02f, SNI, ALPN
 * alpn_name, supported_groups (GREASE 2a2a, x25519), supported_versions
 * (GREASE 3a3a, 1.3, 1.2), signature_algorithms 0403, optional padding. */
static void client_body(struct hb *h, const char *sni, const char *alpn_name, size_t pad)
{
    size_t ext_len_at, sl = strlen(sni), al = strlen(alpn_name);
    h->n = 0;
    put16(h, 0x0303);
    for (int i = 0; i < 32; i++) put8(h, i);
    put8(h, 0);
    put16(h, 6);
    put16(h, 0x0a0a);
    put16(h, 0x1301);
    put16(h, 0xc02f);
    put8(h, 1);
    put8(h, 0);
    ext_len_at = h->n;
    put16(h, 0);
    put16(h, 0x1a1a); /* GREASE extension, empty */
    put16(h, 0);
    put16(h, 0); /* server_name */
    put16(h, (unsigned)(sl + 5));
    put16(h, (unsigned)(sl + 3));
    put8(h, 0);
    put16(h, (unsigned)sl);
    put(h, sni, sl);
    put16(h, 16); /* ALPN */
    put16(h, (unsigned)(al + 3));
    put16(h, (unsigned)(al + 1));
    put8(h, (unsigned)al);
    put(h, alpn_name, al);
    put16(h, 10); /* supported_groups */
    put16(h, 6);
    put16(h, 4);
    put16(h, 0x2a2a);
    put16(h, 0x001d);
    put16(h, 43); /* supported_versions */
    put16(h, 7);
    put8(h, 6);
    put16(h, 0x3a3a);
    put16(h, 0x0304);
    put16(h, 0x0303);
    put16(h, 13); /* signature_algorithms */
    put16(h, 4);
    put16(h, 2);
    put16(h, 0x0403);
    if (pad) {
        put16(h, 21); /* padding */
        put16(h, (unsigned)pad);
        memset(h->b + h->n, 0, pad);
        h->n += pad;
    }
    h->b[ext_len_at] = (uint8_t)((h->n - ext_len_at - 2) >> 8);
    h->b[ext_len_at + 1] = (uint8_t)(h->n - ext_len_at - 2);
}

/* ServerHello body: 1.3 via supported_versions, or the HelloRetryRequest random. */
static void server_body(struct hb *h, int hrr)
{
    static const uint8_t hrr_random[32] = {
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
        0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
        0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
    h->n = 0;
    put16(h, 0x0303);
    if (hrr)
        put(h, hrr_random, 32);
    else
        for (int i = 0; i < 32; i++) put8(h, 0x40 + i);
    put8(h, 0);
    put16(h, 0x1301);
    put8(h, 0);
    put16(h, 6);
    put16(h, 43);
    put16(h, 2);
    put16(h, 0x0304);
}

TEST(tls12_hellos_sni_ja3_ja3s_ja4)
{
    struct nw_testctx t;
    uint8_t ch[512], sh[256];
    size_t chn = unhex(ch_hex, ch), shn = unhex(sh_hex, sh);
    const char *r;

    CHECK(start(&t) == 0);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, ch, chn) == 0);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"tls\""), 0); /* waits for the ServerHello */
    CHECK(nw_testctx_feed(&t, NW_DIR_TOCLIENT, sh, shn) == 0);
    r = recs(&t);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"tls\""), 1);
    CHECK_HAS(r, "\"sni\":\"www.ntop.org\"");
    CHECK_HAS(r, "\"ja3\":{\"hash\":\"a69708a64f853c3bcc214c2c5faf84f3\",\"string\":\"771,49196-"
                 "49195-49188-49187-49162-49161-52393-49200-49199-49192-49191-49172-49171-52392-"
                 "157-156-61-60-53-47,65281-0-23-13-5-13172-18-16-11-10,29-23-24-25,0\"}");
    CHECK_HAS(r, "\"ja3s\":{\"hash\":\"f9fcb52580329fb6a9b61d7542087b90\"");
    CHECK_HAS(r, "\"ja4\":\"t12d2010h2_2a284e3b0c56_f05fdf8c38a9\"");
    CHECK_HAS(r, "\"client_alpns\":[\"h2\",\"h2-16\",\"h2-15\",\"h2-14\",\"spdy/3.1\",\"spdy/3\","
                 "\"http/1.1\"]");
    CHECK_HAS(r, "\"server_alpns\":[\"h2\"]");
    CHECK_HAS(r, "\"version\":\"TLS 1.2\"");
    CHECK_HAS(r, "\"chosen_cipher\":52392");
    CHECK_HAS(r, "\"src_ip\":\"192.168.1.13\"");
    nw_testctx_end(&t);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"tls\""), 1); /* nothing more at end */
    nw_testctx_fini(&t);
}

/* Split the ClientHello and the ServerHello at every byte boundary. */
TEST(split_at_every_byte)
{
    uint8_t ch[512], sh[256];
    size_t chn = unhex(ch_hex, ch), shn = unhex(sh_hex, sh);

    for (size_t i = 1; i < chn + shn; i++) {
        struct nw_testctx t;
        CHECK(start(&t) == 0);
        if (i < chn) {
            CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, ch, i) == 0);
            CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, ch + i, chn - i) == 0);
            CHECK(nw_testctx_feed(&t, NW_DIR_TOCLIENT, sh, shn) == 0);
        } else {
            size_t j = i - chn + 1 < shn ? i - chn + 1 : shn - 1;
            CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, ch, chn) == 0);
            CHECK(nw_testctx_feed(&t, NW_DIR_TOCLIENT, sh, j) == 0);
            CHECK(nw_testctx_feed(&t, NW_DIR_TOCLIENT, sh + j, shn - j) == 0);
        }
        nw_testctx_end(&t);
        CHECK_EQ(nw_testctx_count(&t, "a69708a64f853c3bcc214c2c5faf84f3"), 1);
        CHECK_EQ(nw_testctx_count(&t, "f9fcb52580329fb6a9b61d7542087b90"), 1);
        nw_testctx_fini(&t);
    }
}

TEST(byte_by_byte_interleaved)
{
    struct nw_testctx t;
    uint8_t ch[512], sh[256];
    size_t chn = unhex(ch_hex, ch), shn = unhex(sh_hex, sh);

    CHECK(start(&t) == 0);
    CHECK(nw_testctx_feed_chunked(&t, NW_DIR_TOSERVER, ch, chn, 1) == 0);
    CHECK(nw_testctx_feed_chunked(&t, NW_DIR_TOCLIENT, sh, shn, 1) == 0);
    CHECK_EQ(nw_testctx_count(&t, "a69708a64f853c3bcc214c2c5faf84f3"), 1);
    nw_testctx_end(&t);
    nw_testctx_fini(&t);
}

/* One ClientHello cut into 7-byte records, the records cut into 3-byte segments. */
TEST(handshake_spans_records)
{
    static struct hb body, wire;
    struct nw_testctx t;
    const char *r;

    client_body(&body, "split.example", "h2", 0);
    wire.n = 0;
    frame(&wire, 1, &body, 7);
    CHECK(start(&t) == 0);
    CHECK(nw_testctx_feed_chunked(&t, NW_DIR_TOSERVER, wire.b, wire.n, 3) == 0);
    nw_testctx_end(&t);
    r = recs(&t);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"tls\""), 1);
    CHECK_HAS(r, "\"sni\":\"split.example\"");
    CHECK_HAS(r, "\"version\":\"UNDETERMINED\"");
    nw_testctx_fini(&t);
}

/* GREASE is sent and logged as sent, but left out of JA3 and JA4. */
TEST(grease_excluded_from_fingerprints)
{
    static struct hb body, wire;
    struct nw_testctx t;
    const char *r;

    client_body(&body, "g.example", "h2", 0);
    wire.n = 0;
    frame(&wire, 1, &body, 16384);
    CHECK(start(&t) == 0);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, wire.b, wire.n) == 0);
    nw_testctx_end(&t);
    r = recs(&t);
    CHECK_HAS(r, "\"string\":\"771,4865-49199,0-16-10-43-13,29,\"");
    CHECK_HAS(r, "\"supported_versions\":[14906,772,771]");
    CHECK_HAS(r, "\"ciphers\":[2570,4865,49199]");
    CHECK_HAS(r, "\"ja4\":\"t13d0205h2_");
    nw_testctx_fini(&t);
}

/* JA4 ALPN part: non-alphanumeric first/last byte -> first/last hex digit. */
TEST(ja4_alpn_non_alnum)
{
    static struct hb body, wire;
    struct nw_testctx t;

    client_body(&body, "x.example", "\x30\xab", 0);
    wire.n = 0;
    frame(&wire, 1, &body, 16384);
    CHECK(start(&t) == 0);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, wire.b, wire.n) == 0);
    nw_testctx_end(&t);
    CHECK_HAS(recs(&t), "\"ja4\":\"t13d02053b_");
    nw_testctx_fini(&t);
}

/* A 40 KiB ClientHello (padding extension) in three records. */
TEST(huge_client_hello)
{
    static struct hb body, wire;
    struct nw_testctx t;
    const char *r;

    client_body(&body, "huge.example", "http/1.1", 40000);
    wire.n = 0;
    frame(&wire, 1, &body, 16384);
    CHECK(start(&t) == 0);
    CHECK(nw_testctx_feed_chunked(&t, NW_DIR_TOSERVER, wire.b, wire.n, 1460) == 0);
    nw_testctx_end(&t);
    r = recs(&t);
    CHECK_HAS(r, "\"sni\":\"huge.example\"");
    CHECK_HAS(r, "0-16-10-43-13-21,29,");
    nw_testctx_fini(&t);
}

/* A handshake message over 64 KiB is refused without buffering it all. */
TEST(handshake_too_big)
{
    static struct hb body, wire;
    struct nw_testctx t;

    client_body(&body, "big.example", "h2", 66000);
    wire.n = 0;
    frame(&wire, 1, &body, 16384);
    CHECK(start(&t) == 0);
    nw_testctx_feed_chunked(&t, NW_DIR_TOSERVER, wire.b, wire.n, 1000);
    nw_testctx_end(&t);
    CHECK_EQ(nw_testctx_count(&t, "big.example"), 0);
    nw_testctx_fini(&t);
}

TEST(hostile_lengths)
{
    struct nw_testctx t;
    /* record length 0xffff > 2^14 + 2048 */
    static const uint8_t big_rec[] = {0x16, 0x03, 0x01, 0xff, 0xff, 0x01, 0, 0, 0};
    /* handshake length 0xffffff inside a small record */
    static const uint8_t big_hs[] = {0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0xff, 0xff, 0xff};
    /* ClientHello whose cipher list length runs past its body */
    static const uint8_t bad_ch[] = {0x16, 0x03, 0x01, 0x00, 0x29, 0x01, 0x00, 0x00, 0x25,
                                     0x03, 0x03, [43] = 0x00, 0xff, 0xff};

    CHECK(start(&t) == 0);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, big_rec, sizeof big_rec) < 0);
    nw_testctx_fini(&t);

    CHECK(start(&t) == 0);
    nw_testctx_feed(&t, NW_DIR_TOSERVER, big_hs, sizeof big_hs);
    nw_testctx_end(&t);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"tls\""), 0);
    nw_testctx_fini(&t);

    CHECK(start(&t) == 0);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, bad_ch, sizeof bad_ch) == 0);
    nw_testctx_end(&t);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"tls\""), 0);
    nw_testctx_fini(&t);

    CHECK(start(&t) == 0);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, "GET / HTTP/1.1\r\n\r\n", 18) < 0);
    nw_testctx_fini(&t);

    /* an empty handshake record before the ClientHello (found by the fuzzer: UBSan) */
    {
        static const uint8_t empty[] = {0x16, 0x03, 0x01, 0x00, 0x00};
        uint8_t ch[512];
        size_t chn = unhex(ch_hex, ch);
        CHECK(start(&t) == 0);
        CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, empty, sizeof empty) == 0);
        CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, ch, chn) == 0);
        nw_testctx_end(&t);
        CHECK_EQ(nw_testctx_count(&t, "www.ntop.org"), 1);
        nw_testctx_fini(&t);
    }
}

/*
 * SSLv2-compatible CLIENT-HELLO: 2-byte header 0x802e (46 bytes), msg 1,
 * version 0x0002, 21 bytes of cipher kinds (7), no session id, 16-byte
 * challenge; the server answers with an SSLv2 SERVER-HELLO (msg 4).
 */
TEST(sslv2_client_hello)
{
    struct nw_testctx t;
    uint8_t m[48] = {0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10,
                     0x01, 0x00, 0x80, 0x07, 0x00, 0xc0};
    static const uint8_t srv[] = {0x80, 0x05, 0x04, 0x00, 0x01, 0x00, 0x02};
    const char *r;

    CHECK(start(&t) == 0);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, m, sizeof m) == 0);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOCLIENT, srv, sizeof srv) == 0);
    r = recs(&t);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"tls\""), 1);
    CHECK_HAS(r, "\"client_handshake\":{\"version\":\"SSLv2\",\"ciphers\":[65664,458944");
    CHECK_HAS(r, "\"version\":\"SSLv2\"}");
    CHECK_LACKS(r, "ja3");
    nw_testctx_end(&t);
    nw_testctx_fini(&t);
}

/* CH1, HelloRetryRequest, client dummy CCS, CH2, ServerHello: two records. */
TEST(hello_retry_request)
{
    static struct hb body, wire;
    static const uint8_t ccs[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
    struct nw_testctx t;
    const char *r;

    CHECK(start(&t) == 0);
    client_body(&body, "first.example", "h2", 0);
    wire.n = 0;
    frame(&wire, 1, &body, 16384);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, wire.b, wire.n) == 0);
    server_body(&body, 1);
    wire.n = 0;
    frame(&wire, 2, &body, 16384);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOCLIENT, wire.b, wire.n) == 0);
    /* tls13-hrr.pcap: the server's dummy CCS follows the HRR; parsing goes on */
    CHECK(nw_testctx_feed(&t, NW_DIR_TOCLIENT, ccs, sizeof ccs) == 0);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, ccs, sizeof ccs) == 0);
    client_body(&body, "second.example", "h2", 0);
    wire.n = 0;
    frame(&wire, 1, &body, 16384);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, wire.b, wire.n) == 0);
    server_body(&body, 0);
    wire.n = 0;
    frame(&wire, 2, &body, 16384);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOCLIENT, wire.b, wire.n) == 0);
    nw_testctx_end(&t);
    r = recs(&t);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"tls\""), 2);
    CHECK_EQ(nw_testctx_count(&t, "\"hello_retry_request\":true"), 1);
    CHECK_HAS(r, "\"sni\":\"second.example\"");
    CHECK_HAS(r, "\"version\":\"TLS 1.3\"");
    nw_testctx_fini(&t);
}

/*
 * TLS 1.3 draft-18 ServerHello (tls13-ipv6.pcap): version 0x7f12, random,
 * cipher 0x1301 directly (no session id, no compression), extensions.
 */
TEST(draft18_server_hello)
{
    static struct hb body, wire;
    struct nw_testctx t;
    const char *r;

    CHECK(start(&t) == 0);
    client_body(&body, "draft.example", "h2", 0);
    wire.n = 0;
    frame(&wire, 1, &body, 16384);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, wire.b, wire.n) == 0);
    body.n = 0;
    put16(&body, 0x7f12);
    for (int i = 0; i < 32; i++) put8(&body, i);
    put16(&body, 0x1301);
    put16(&body, 0);
    wire.n = 0;
    frame(&wire, 2, &body, 16384);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOCLIENT, wire.b, wire.n) == 0);
    r = recs(&t);
    CHECK_HAS(r, "\"version\":\"TLS 1.3 draft-18\"");
    CHECK_HAS(r, "\"chosen_cipher\":4865");
    CHECK_HAS(r, "\"string\":\"32530,4865,\"");
    nw_testctx_end(&t);
    nw_testctx_fini(&t);
}

/* After application data both ways, later records are not parsed. */
TEST(stops_after_encryption)
{
    static struct hb body, wire;
    static const uint8_t app[] = {0x17, 0x03, 0x03, 0x00, 0x02, 0xaa, 0xbb};
    struct nw_testctx t;

    CHECK(start(&t) == 0);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, app, sizeof app) == 0);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOCLIENT, app, sizeof app) == 0);
    client_body(&body, "late.example", "h2", 0);
    wire.n = 0;
    frame(&wire, 1, &body, 16384);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, wire.b, wire.n) == 0);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, "garbage", 7) == 0); /* consumed, not parsed */
    nw_testctx_end(&t);
    CHECK_EQ(nw_testctx_count(&t, "late.example"), 0);
    nw_testctx_fini(&t);
}

TEST(probe)
{
    const struct nw_proto_parser *p = nw_proto_find("tls");
    uint8_t ch[512];
    size_t chn = unhex(ch_hex, ch);
    static const uint8_t v2[] = {0x80, 0x2e, 0x01, 0x03, 0x01};

    CHECK(p != NULL && p->probe != NULL);
    CHECK_EQ(p->probe(ch, chn, NW_DIR_TOSERVER), 1);
    CHECK_EQ(p->probe(ch, 3, NW_DIR_TOSERVER), -1);
    CHECK_EQ(p->probe((const uint8_t *)"GET /", 5, NW_DIR_TOSERVER), 0);
    CHECK_EQ(p->probe(v2, sizeof v2, NW_DIR_TOSERVER), 1);
    CHECK_EQ(p->probe(ch, chn, NW_DIR_TOCLIENT), 0);
    CHECK(p->selftest != NULL && p->selftest() == 0);
}

NW_TEST_MAIN(NWT_ENTRY(tls12_hellos_sni_ja3_ja3s_ja4) NWT_ENTRY(split_at_every_byte)
                 NWT_ENTRY(byte_by_byte_interleaved) NWT_ENTRY(handshake_spans_records)
                     NWT_ENTRY(grease_excluded_from_fingerprints) NWT_ENTRY(ja4_alpn_non_alnum)
                         NWT_ENTRY(huge_client_hello) NWT_ENTRY(handshake_too_big)
                             NWT_ENTRY(hostile_lengths) NWT_ENTRY(sslv2_client_hello)
                                 NWT_ENTRY(hello_retry_request) NWT_ENTRY(draft18_server_hello)
                                     NWT_ENTRY(stops_after_encryption)
                                     NWT_ENTRY(probe))
