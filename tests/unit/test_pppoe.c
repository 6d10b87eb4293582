/* test_pppoe.c - PPPoE discovery and PPP control (PAP/CHAP/IPCP): records,
 * the per-session join into the identity table, hostile frames. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "nw/identity.h"
#include "nw/testctx.h"
#include "nwtest.h"

#define SEC 1000000ull

static const uint8_t CLIENT[6] = {0xcc, 0x05, 0x0e, 0x88, 0x00, 0x00};
static const uint8_t AC[6] = {0xca, 0x01, 0x0e, 0x88, 0x00, 0x06};

struct frame {
    uint8_t b[1500];
    size_t len;
};

static void hdr(struct frame *f, uint8_t code, uint16_t sid)
{
    memset(f, 0, sizeof *f);
    f->b[0] = 0x11;
    f->b[1] = code;
    f->b[2] = (uint8_t)(sid >> 8);
    f->b[3] = (uint8_t)sid;
    f->len = 6;
}

static void put(struct frame *f, const void *p, size_t n)
{
    memcpy(f->b + f->len, p, n);
    f->len += n;
}

static void tag(struct frame *f, uint16_t type, const char *v)
{
    uint8_t h[4] = {(uint8_t)(type >> 8), (uint8_t)type, 0, (uint8_t)strlen(v)};
    put(f, h, 4);
    put(f, v, strlen(v));
}

static void fin(struct frame *f)
{
    size_t n = f->len - 6;
    f->b[4] = (uint8_t)(n >> 8);
    f->b[5] = (uint8_t)n;
}

static void xmit(struct nw_testctx *t, uint16_t et, const uint8_t *from, const uint8_t *to,
                 struct frame *f)
{
    memcpy(t->pkt.mac_src, from, 6);
    memcpy(t->pkt.mac_dst, to, 6);
    t->pkt.ts_us = t->ts_us;
    t->ctx.ts_us = t->ts_us;
    nw_pppoe_frame(&t->ctx, et, f->b, f->len);
}

static int init(struct nw_testctx *t)
{
    if (nw_testctx_init(t, NULL, IPPROTO_UDP, "0.0.0.0", 0, "0.0.0.0", 0) != 0) return -1;
    t->ctx.tuple = NULL;
    t->ctx.flow_id = 0;
    t->ctx.parser_name = "pppoe";
    t->pkt.nvlan = 1;
    t->pkt.vlan[0] = 50;
    return 0;
}

static const char *recs(struct nw_testctx *t)
{
    nw_buf_putc(&t->records, '\0');
    t->records.len--;
    return t->records.data ? t->records.data : "";
}

/* PAP Authenticate-Request cisco/cisco, IPCP Configure-Ack 10.0.2.16, as in
 * the corpus capture pppoe-discovery-pap.pcap (session 17). */
static void pap_req(struct frame *f, uint16_t sid, const char *user, const char *pw)
{
    uint8_t h[6] = {0xc0, 0x23, 1, 1, 0, 0};
    size_t n = 4 + 1 + strlen(user) + 1 + strlen(pw);
    h[4] = (uint8_t)(n >> 8), h[5] = (uint8_t)n;
    hdr(f, 0, sid);
    put(f, h, 6);
    f->b[f->len++] = (uint8_t)strlen(user);
    put(f, user, strlen(user));
    f->b[f->len++] = (uint8_t)strlen(pw);
    put(f, pw, strlen(pw));
    fin(f);
}

static void ipcp_ack(struct frame *f, uint16_t sid, const char *ip)
{
    uint8_t h[12] = {0x80, 0x21, 2, 1, 0, 10, 3, 6, 0, 0, 0, 0};
    inet_pton(AF_INET, ip, h + 8);
    hdr(f, 0, sid);
    put(f, h, 12);
    fin(f);
}

TEST(discovery_pap_ipcp_padt)
{
    struct nw_testctx t;
    struct frame f;
    struct nw_ident_info w;
    uint8_t ip[16] = {10, 0, 2, 16};
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint64_t t0;
    CHECK_EQ(init(&t), 0);
    t0 = t.ts_us;
    hdr(&f, 0x09, 0);
    tag(&f, 0x0101, "");
    tag(&f, 0x0103, "\x01\x02");
    fin(&f);
    xmit(&t, 0x8863, CLIENT, bcast, &f);
    CHECK_HAS(recs(&t), "\"event_type\":\"pppoe\",\"vlan\":[50],\"src_mac\":\"cc:05:0e:88:00:00\","
                        "\"dest_mac\":\"ff:ff:ff:ff:ff:ff\",\"pppoe\":{\"kind\":\"discovery\","
                        "\"session_id\":0,\"code\":\"PADI\",\"service_name\":\"\",\"host_uniq\":"
                        "\"0102\"}");
    hdr(&f, 0x07, 0);
    tag(&f, 0x0102, "BRAS-1");
    tag(&f, 0x0101, "");
    fin(&f);
    xmit(&t, 0x8863, AC, CLIENT, &f);
    CHECK_HAS(recs(&t), "\"code\":\"PADO\",\"service_name\":\"\",\"ac_name\":\"BRAS-1\"");
    hdr(&f, 0x65, 17);
    tag(&f, 0x0101, "");
    fin(&f);
    xmit(&t, 0x8863, AC, CLIENT, &f);
    pap_req(&f, 17, "cisco", "topsecretpw");
    xmit(&t, 0x8864, CLIENT, AC, &f);
    CHECK_HAS(recs(&t), "\"kind\":\"pap\",\"session_id\":17,\"username\":\"cisco\","
                        "\"password_seen\":true");
    CHECK_LACKS(recs(&t), "topsecret");
    /* IPCP ack for the AC's own address (sent to the AC): logged, not bound */
    ipcp_ack(&f, 17, "10.0.0.1");
    xmit(&t, 0x8864, CLIENT, AC, &f);
    CHECK_LACKS(recs(&t), "\"event_type\":\"session\"");
    t.ts_us = t0 + SEC;
    ipcp_ack(&f, 17, "10.0.2.16");
    xmit(&t, 0x8864, AC, CLIENT, &f);
    CHECK_HAS(recs(&t), "\"kind\":\"ipcp_ack\",\"session_id\":17,\"ip\":\"10.0.2.16\","
                        "\"for_mac\":\"cc:05:0e:88:00:00\"");
    CHECK(nw_identity_lookup(t.ctx.ident, 4, ip, t0 + SEC, &w));
    CHECK_EQ(w.source, NW_IDSRC_PPPOE);
    CHECK_STR(w.account, "cisco");
    CHECK_STR(w.session_id, "17");
    CHECK(w.has_mac && memcmp(w.mac, CLIENT, 6) == 0);
    CHECK_HAS(recs(&t), "\"session\":{\"state\":\"start\",\"source\":\"pppoe\"");
    /* PADT from the AC */
    t.ts_us = t0 + 44 * SEC;
    hdr(&f, 0xa7, 17);
    fin(&f);
    xmit(&t, 0x8863, AC, CLIENT, &f);
    CHECK_HAS(recs(&t), "\"duration\":43.000000,\"reason\":\"padt\"");
    CHECK(!nw_identity_lookup(t.ctx.ident, 4, ip, t0 + 44 * SEC, &w));
    nw_testctx_fini(&t);
}

TEST(chap_without_discovery)
{
    struct nw_testctx t;
    struct frame f;
    struct nw_ident_info w;
    uint8_t ip[16] = {100, 64, 0, 9};
    /* CHAP Response: value size 4, value, name "dave" */
    static const uint8_t chap[] = {0xc2, 0x23, 2, 7, 0, 13, 4, 0xde, 0xad, 0xbe, 0xef,
                                   'd', 'a', 'v', 'e'};
    CHECK_EQ(init(&t), 0);
    hdr(&f, 0, 99);
    put(&f, chap, sizeof chap);
    fin(&f);
    f.b[6 + 5] = 13; /* CHAP length covers code..name: 4 + 1 + 4 + 4 */
    xmit(&t, 0x8864, CLIENT, AC, &f);
    CHECK_HAS(recs(&t), "\"kind\":\"chap\",\"session_id\":99,\"username\":\"dave\"");
    CHECK_LACKS(recs(&t), "deadbeef");
    ipcp_ack(&f, 99, "100.64.0.9");
    xmit(&t, 0x8864, AC, CLIENT, &f);
    CHECK(nw_identity_lookup(t.ctx.ident, 4, ip, t.ts_us, &w));
    CHECK_STR(w.account, "dave");
    nw_testctx_fini(&t);
}

static void anom_cb(void *arg, const char *name, uint64_t n)
{
    if (strncmp(name, "pppoe.", 6) == 0) *(uint64_t *)arg += n;
}

TEST(hostile_frames)
{
    struct nw_testctx t;
    struct frame f;
    uint64_t bad = 0;
    CHECK_EQ(init(&t), 0);
    /* short header */
    hdr(&f, 0x09, 0);
    f.len = 3;
    xmit(&t, 0x8863, CLIENT, AC, &f);
    /* bad version */
    hdr(&f, 0x09, 0);
    f.b[0] = 0x22;
    xmit(&t, 0x8863, CLIENT, AC, &f);
    /* length larger than the frame, and a tag that overruns */
    hdr(&f, 0x09, 0);
    put(&f, "\x01\x01\x00\x40xx", 6);
    f.b[4] = 0x05;
    xmit(&t, 0x8863, CLIENT, AC, &f);
    /* PAP with a peer-id length past the end */
    hdr(&f, 0, 5);
    put(&f, "\xc0\x23\x01\x01\x00\x08\xff\x61\x62", 9);
    fin(&f);
    xmit(&t, 0x8864, CLIENT, AC, &f);
    /* IPCP option of length 0 (would never advance) */
    hdr(&f, 0, 5);
    put(&f, "\x80\x21\x02\x01\x00\x0a\x03\x00\x00\x00\x00\x00", 12);
    fin(&f);
    xmit(&t, 0x8864, AC, CLIENT, &f);
    /* unknown discovery code; session frame with non-zero code */
    hdr(&f, 0x55, 0);
    fin(&f);
    xmit(&t, 0x8863, CLIENT, AC, &f);
    hdr(&f, 0x09, 0);
    fin(&f);
    xmit(&t, 0x8864, CLIENT, AC, &f);
    nw_engine_anomalies(t.eng, anom_cb, &bad);
    CHECK_EQ(bad, 8);
    CHECK_LACKS(recs(&t), "\"kind\":\"pap\"");
    CHECK_LACKS(recs(&t), "\"event_type\":\"session\"");
    nw_testctx_fini(&t);
}

TEST(table_bounded)
{
    struct nw_testctx t;
    struct frame f;
    uint8_t a[6] = {2, 0, 0, 0, 0, 0};
    CHECK_EQ(init(&t), 0);
    for (int i = 1; i <= 2000; i++) {
        a[4] = (uint8_t)(i >> 8);
        a[5] = (uint8_t)i;
        hdr(&f, 0x65, (uint16_t)i);
        fin(&f);
        xmit(&t, 0x8863, AC, a, &f);
        pap_req(&f, (uint16_t)i, "u", "p");
        xmit(&t, 0x8864, a, AC, &f);
    }
    /* the newest session still joins */
    ipcp_ack(&f, 2000, "10.9.0.1");
    xmit(&t, 0x8864, AC, a, &f);
    CHECK_HAS(recs(&t), "\"session_id\":\"2000\"");
    nw_testctx_fini(&t);
}

#define X NWT_ENTRY
NW_TEST_MAIN(X(discovery_pap_ipcp_padt) X(chap_without_discovery) X(hostile_frames)
                 X(table_bounded))
