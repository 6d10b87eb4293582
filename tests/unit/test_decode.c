/* test_decode.c - link/network/transport decoding and IP reassembly. */
#include "nw/decode.h"

#include <netinet/in.h>
#include <pcap/dlt.h>
#include <string.h>

#include "nwtest.h"

/* Frame builder: appends bytes to a fixed buffer. */
struct fb {
    uint8_t b[2048];
    size_t n;
};
static void put(struct fb *f, const void *p, size_t n)
{
    memcpy(f->b + f->n, p, n);
    f->n += n;
}
static void put16(struct fb *f, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put(f, x, 2);
}
static void eth(struct fb *f, uint16_t type)
{
    static const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
    put(f, macs, 12);
    put16(f, type);
}
/* IPv4 header 10.0.0.1 -> 10.0.0.2 */
static void ipv4(struct fb *f, uint8_t proto, uint16_t total, uint16_t id, uint16_t frag)
{
    uint8_t h[20] = {0x45, 0, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
    h[2] = (uint8_t)(total >> 8), h[3] = (uint8_t)total;
    h[4] = (uint8_t)(id >> 8), h[5] = (uint8_t)id;
    h[6] = (uint8_t)(frag >> 8), h[7] = (uint8_t)frag;
    put(f, h, 20);
}
static void udp(struct fb *f, uint16_t sp, uint16_t dp, uint16_t len)
{
    put16(f, sp);
    put16(f, dp);
    put16(f, len);
    put16(f, 0);
}

static int decode(struct nw_decoder *d, struct nw_pkt *pkt, struct fb *f)
{
    memset(pkt, 0, sizeof *pkt);
    pkt->ts_us = 1;
    pkt->wire_len = (uint32_t)f->n;
    pkt->cap_len = (uint32_t)f->n;
    return nw_decode_packet(d, pkt, f->b, f->n);
}

TEST(qinq_udp)
{
    struct nw_decoder d;
    struct nw_pkt pkt;
    struct fb f = {.n = 0};

    /* Ethernet / 802.1ad VLAN 100 / 802.1Q VLAN 200 / IPv4 / UDP 5000->53 "abcd" */
    eth(&f, 0x88a8);
    put16(&f, 100), put16(&f, 0x8100);
    put16(&f, 200), put16(&f, 0x0800);
    ipv4(&f, IPPROTO_UDP, 20 + 8 + 4, 1, 0);
    udp(&f, 5000, 53, 12);
    put(&f, "abcd", 4);
    put(&f, "\0\0\0\0\0\0", 6); /* Ethernet padding must not become payload */
    CHECK(nw_decoder_init(&d, 1 << 20) == 0);
    CHECK_EQ(decode(&d, &pkt, &f), 1);
    CHECK_EQ(pkt.nvlan, 2);
    CHECK_EQ(pkt.vlan[0], 100);
    CHECK_EQ(pkt.vlan[1], 200);
    CHECK_EQ(pkt.t.proto, IPPROTO_UDP);
    CHECK_EQ(pkt.t.dport, 53);
    CHECK_EQ(pkt.payload_len, 4);
    CHECK(memcmp(pkt.payload, "abcd", 4) == 0);
    nw_decoder_fini(&d);
}

TEST(pppoe_session_ipv4)
{
    struct nw_decoder d;
    struct nw_pkt pkt;
    struct fb f = {.n = 0};
    static const uint8_t pppoe[8] = {0x11, 0, 0x12, 0x34, 0, 2 + 28, 0x00, 0x21};

    eth(&f, 0x8864);
    put(&f, pppoe, 8);
    ipv4(&f, IPPROTO_UDP, 28, 1, 0);
    udp(&f, 1000, 2000, 8);
    CHECK(nw_decoder_init(&d, 1 << 20) == 0);
    CHECK_EQ(decode(&d, &pkt, &f), 1);
    CHECK_EQ(pkt.pppoe_session, 0x1234);
    CHECK_EQ(pkt.t.sport, 1000);
    nw_decoder_fini(&d);
}

/* One UDP datagram of 8 + 24 bytes split into fragments at 16 and 24. */
static void frag(struct fb *f, uint16_t off, int more, const uint8_t *data, size_t n)
{
    f->n = 0;
    eth(f, 0x0800);
    ipv4(f, IPPROTO_UDP, (uint16_t)(20 + n), 77, (uint16_t)((off / 8) | (more ? 0x2000 : 0)));
    put(f, data, n);
}

TEST(ipv4_fragments_out_of_order_and_overlap)
{
    struct nw_decoder d;
    struct nw_pkt pkt;
    struct fb f;
    uint8_t dgram[32], evil[8];

    memset(dgram, 'x', sizeof dgram);
    dgram[0] = 0x13, dgram[1] = 0x88; /* sport 5000 */
    dgram[2] = 0, dgram[3] = 53;
    dgram[4] = 0, dgram[5] = 32;
    dgram[6] = dgram[7] = 0;
    memset(evil, 'E', sizeof evil);
    CHECK(nw_decoder_init(&d, 1 << 20) == 0);
    frag(&f, 24, 0, dgram + 24, 8); /* last first */
    CHECK_EQ(decode(&d, &pkt, &f), 0);
    frag(&f, 16, 1, dgram + 16, 8);
    CHECK_EQ(decode(&d, &pkt, &f), 0);
    frag(&f, 16, 1, evil, 8); /* overlapping, different bytes: first data wins */
    CHECK_EQ(decode(&d, &pkt, &f), 0);
    CHECK_EQ(d.stats.anomalies[NW_ANOM_FRAG_OVERLAP], 1);
    frag(&f, 0, 1, dgram, 16);
    CHECK_EQ(decode(&d, &pkt, &f), 1);
    CHECK(pkt.flags & NW_PKT_REASSEMBLED);
    CHECK_EQ(pkt.t.dport, 53);
    CHECK_EQ(pkt.payload_len, 24);
    CHECK(memcmp(pkt.payload, dgram + 8, 24) == 0);
    CHECK_EQ(pkt.wire_len, 4 * (14 + 20) + 8 + 8 + 8 + 16); /* all four frames */
    nw_decoder_fini(&d);
}

TEST(fragment_memcap_and_timeout)
{
    struct nw_decoder d;
    struct nw_pkt pkt;
    struct fb f;
    uint8_t data[1024];

    memset(data, 0, sizeof data);
    CHECK(nw_decoder_init(&d, 4096) == 0);
    for (int id = 0; id < 20; id++) {
        f.n = 0;
        eth(&f, 0x0800);
        ipv4(&f, IPPROTO_UDP, 20 + 1024, (uint16_t)id, 0x2000);
        put(&f, data, 1024);
        CHECK_EQ(decode(&d, &pkt, &f), 0);
    }
    CHECK(d.stats.anomalies[NW_ANOM_FRAG_MEMCAP] > 0); /* oldest evicted, never over cap */
    nw_decoder_expire(&d, 1 + 31u * 1000000u);
    CHECK(d.stats.anomalies[NW_ANOM_FRAG_TIMEOUT] > 0);
    nw_decoder_fini(&d);
}

TEST(ipv6_extension_headers)
{
    struct nw_decoder d;
    struct nw_pkt pkt;
    struct fb f = {.n = 0};
    uint8_t ip6[40] = {0x60, 0, 0, 0, 0, 8 + 8 + 8, 0 /* hop-by-hop */, 64};
    static const uint8_t hbh[8] = {60 /* next: dest opts */, 0, 1, 4, 0, 0, 0, 0};
    static const uint8_t dst[8] = {17 /* UDP */, 0, 1, 4, 0, 0, 0, 0};

    ip6[8] = 0x20, ip6[9] = 0x01, ip6[23] = 1;
    ip6[24] = 0x20, ip6[25] = 0x01, ip6[39] = 2;
    eth(&f, 0x86dd);
    put(&f, ip6, 40);
    put(&f, hbh, 8);
    put(&f, dst, 8);
    udp(&f, 547, 546, 8);
    CHECK(nw_decoder_init(&d, 1 << 20) == 0);
    CHECK_EQ(decode(&d, &pkt, &f), 1);
    CHECK_EQ(pkt.t.family, 6);
    CHECK_EQ(pkt.t.sport, 547);
    CHECK_EQ(pkt.t.src[15], 1);
    nw_decoder_fini(&d);
}

TEST(truncated_headers_are_anomalies)
{
    struct nw_decoder d;
    struct nw_pkt pkt;
    struct fb f = {.n = 0};

    CHECK(nw_decoder_init(&d, 1 << 20) == 0);
    eth(&f, 0x0800);
    put(&f, "\x45\x00\x00", 3); /* IPv4 header cut after 3 bytes */
    CHECK_EQ(decode(&d, &pkt, &f), 0);
    CHECK_EQ(d.stats.anomalies[NW_ANOM_IPV4_SHORT], 1);
    f.n = 5; /* Ethernet header cut */
    CHECK_EQ(decode(&d, &pkt, &f), 0);
    CHECK_EQ(d.stats.anomalies[NW_ANOM_LINK_SHORT], 1);
    /* IPv4 header claiming 60 bytes of options in a 24-byte packet */
    f.n = 0;
    eth(&f, 0x0800);
    put(&f, "\x4f\x00\x00\x18\x00\x00\x00\x00\x40\x06\x00\x00\x0a\x00\x00\x01\x0a\x00\x00\x02"
            "\x00\x00\x00\x00", 24);
    CHECK_EQ(decode(&d, &pkt, &f), 0);
    CHECK_EQ(d.stats.anomalies[NW_ANOM_IPV4_SHORT], 2);
    nw_decoder_fini(&d);
}

TEST(linux_sll2)
{
    struct nw_decoder d;
    struct nw_pkt pkt;
    struct fb f = {.n = 0};
    /* SLL2: protocol 0x0800, reserved, ifindex 1, hatype 1, pkttype 0, halen 6, addr */
    static const uint8_t sll2[20] = {8, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6,
                                     0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0, 0};
    put(&f, sll2, 20);
    ipv4(&f, IPPROTO_UDP, 28, 1, 0);
    udp(&f, 68, 67, 8);
    CHECK(nw_decoder_init(&d, 1 << 20) == 0);
    d.linktype = DLT_LINUX_SLL2;
    CHECK_EQ(decode(&d, &pkt, &f), 1);
    CHECK(pkt.flags & NW_PKT_HAS_ETH);
    CHECK_EQ(pkt.mac_src[0], 0xaa);
    CHECK_EQ(pkt.t.dport, 67);
    nw_decoder_fini(&d);
}

TEST(icmp_error_maps_to_quoted_flow)
{
    struct nw_decoder d;
    struct nw_pkt pkt;
    struct fb f = {.n = 0};
    /* router 10.0.0.2 -> 10.0.0.1: port unreachable quoting 10.0.0.1:4000 -> 10.0.0.2:53 */
    eth(&f, 0x0800);
    ipv4(&f, IPPROTO_ICMP, 20 + 8 + 28, 1, 0);
    put(&f, "\x03\x03\x00\x00\x00\x00\x00\x00", 8);
    ipv4(&f, IPPROTO_UDP, 28, 9, 0);
    udp(&f, 4000, 53, 8);
    CHECK(nw_decoder_init(&d, 1 << 20) == 0);
    CHECK_EQ(decode(&d, &pkt, &f), 1);
    CHECK(pkt.flags & NW_PKT_ICMP_ERROR);
    CHECK_EQ(pkt.t.proto, IPPROTO_UDP);
    CHECK_EQ(pkt.t.sport, 53); /* reply direction */
    CHECK_EQ(pkt.t.dport, 4000);
    CHECK_EQ(pkt.t.src[3], 2);
    CHECK_EQ(pkt.icmp_t.proto, IPPROTO_ICMP);
    nw_decoder_fini(&d);
}

/* The last IPv4 header put: addresses 10.0.0.SRC -> 10.0.0.DST, to tell inner from outer */
static void ipv4_ends(struct fb *f, uint8_t src, uint8_t dst)
{
    f->b[f->n - 5] = src;
    f->b[f->n - 1] = dst;
}

/* the innermost packet of every tunnel below: 10.0.0.7:1111 -> 10.0.0.8:53 "abcd" */
static void inner_udp(struct fb *f)
{
    ipv4(f, IPPROTO_UDP, 20 + 8 + 4, 5, 0);
    ipv4_ends(f, 7, 8);
    udp(f, 1111, 53, 12);
    put(f, "abcd", 4);
}

static uint64_t anomalies(const struct nw_decoder *d)
{
    uint64_t n = 0;
    for (int i = 0; i < NW_ANOM_MAX; i++) n += d->stats.anomalies[i];
    return n;
}

static void check_inner(struct nw_pkt *pkt)
{
    CHECK_EQ(pkt->t.proto, IPPROTO_UDP);
    CHECK_EQ(pkt->t.src[3], 7);
    CHECK_EQ(pkt->t.dst[3], 8);
    CHECK_EQ(pkt->t.sport, 1111);
    CHECK_EQ(pkt->t.dport, 53);
    CHECK_EQ(pkt->payload_len, 4);
    CHECK(pkt->payload && memcmp(pkt->payload, "abcd", 4) == 0);
}

TEST(gre_ipip_vxlan_gtpu_tunnels)
{
    struct nw_decoder d;
    struct nw_pkt pkt;
    struct fb f = {.n = 0};

    CHECK(nw_decoder_init(&d, 1 << 20) == 0);
    /* GRE with a key (RFC 2890) carrying IPv4 */
    eth(&f, 0x0800);
    ipv4(&f, IPPROTO_GRE, 20 + 8 + 32, 1, 0);
    put16(&f, 0x2000), put16(&f, 0x0800), put(&f, "KEY!", 4);
    inner_udp(&f);
    CHECK_EQ(decode(&d, &pkt, &f), 1);
    check_inner(&pkt);
    /* GRE with checksum, key and sequence carrying Ethernet (0x6558) */
    f.n = 0;
    eth(&f, 0x0800);
    ipv4(&f, IPPROTO_GRE, 20 + 16 + 14 + 32, 1, 0);
    put16(&f, 0xb000), put16(&f, 0x6558), put(&f, "ck..key.seq.", 12);
    eth(&f, 0x0800);
    inner_udp(&f);
    CHECK_EQ(decode(&d, &pkt, &f), 1);
    check_inner(&pkt);
    /* IPv4 in IPv4 */
    f.n = 0;
    eth(&f, 0x0800);
    ipv4(&f, IPPROTO_IPIP, 20 + 32, 1, 0);
    inner_udp(&f);
    CHECK_EQ(decode(&d, &pkt, &f), 1);
    check_inner(&pkt);
    /* VXLAN: UDP 4789, flags with the VNI bit, then Ethernet */
    f.n = 0;
    eth(&f, 0x0800);
    ipv4(&f, IPPROTO_UDP, 20 + 8 + 8 + 14 + 32, 1, 0);
    udp(&f, 40000, 4789, 8 + 8 + 14 + 32);
    put(&f, "\x08\0\0\0\0\x01\x02\0", 8);
    eth(&f, 0x0800);
    inner_udp(&f);
    CHECK_EQ(decode(&d, &pkt, &f), 1);
    check_inner(&pkt);
    /* GTP-U G-PDU with a sequence number and one extension header (PDU session) */
    f.n = 0;
    eth(&f, 0x0800);
    ipv4(&f, IPPROTO_UDP, 20 + 8 + 16 + 32, 1, 0);
    udp(&f, 2152, 2152, 8 + 16 + 32);
    put(&f, "\x36\xff\x00\x28" "TEID" "\x00\x01\x00\x85", 12);
    put(&f, "\x01\x00\x01\x00", 4); /* 4-byte extension, next type 0: the end */
    inner_udp(&f);
    CHECK_EQ(decode(&d, &pkt, &f), 1);
    check_inner(&pkt);
    /* GTP-U echo request (type 1, not a G-PDU) stays a UDP packet on port 2152 */
    f.n = 0;
    eth(&f, 0x0800);
    ipv4(&f, IPPROTO_UDP, 20 + 8 + 8, 1, 0);
    udp(&f, 2152, 2152, 16);
    put(&f, "\x32\x01\x00\x04\0\0\0\0", 8);
    CHECK_EQ(decode(&d, &pkt, &f), 1);
    CHECK_EQ(pkt.t.dport, 2152);
    CHECK_EQ(pkt.t.src[3], 1);
    CHECK_EQ(pkt.payload_len, 8);
    CHECK_EQ(anomalies(&d), 0);
    /* GRE version 1 (PPTP) is not followed */
    f.n = 0;
    eth(&f, 0x0800);
    ipv4(&f, IPPROTO_GRE, 20 + 8, 1, 0);
    put16(&f, 0x3001), put16(&f, 0x880b), put(&f, "\0\0\0\0", 4);
    CHECK_EQ(decode(&d, &pkt, &f), 0);
    CHECK(pkt.l4 == NULL);
    /* GRE header that announces a key and checksum it does not have */
    f.n = 0;
    eth(&f, 0x0800);
    ipv4(&f, IPPROTO_GRE, 20 + 6, 1, 0);
    put16(&f, 0xa000), put16(&f, 0x0800), put16(&f, 0);
    CHECK_EQ(decode(&d, &pkt, &f), 0);
    CHECK_EQ(d.stats.anomalies[NW_ANOM_TUNNEL_SHORT], 1);
    nw_decoder_fini(&d);
}

TEST(tunnel_nesting_is_bounded)
{
    struct nw_decoder d;
    struct nw_pkt pkt;
    struct fb f = {.n = 0};
    int depth = 8; /* deeper than the decoder follows */

    eth(&f, 0x0800);
    for (int i = 0; i < depth; i++)
        ipv4(&f, IPPROTO_GRE, (uint16_t)((depth - i) * 24 + 32), 1, 0), put16(&f, 0),
            put16(&f, 0x0800);
    inner_udp(&f);
    CHECK(nw_decoder_init(&d, 1 << 20) == 0);
    CHECK_EQ(decode(&d, &pkt, &f), 0);
    CHECK_EQ(d.stats.anomalies[NW_ANOM_TUNNEL_DEPTH], 1);
    /* two levels are followed to the inner packet */
    f.n = 0;
    eth(&f, 0x0800);
    ipv4(&f, IPPROTO_GRE, 24 + 20 + 32, 1, 0), put16(&f, 0), put16(&f, 0x0800);
    ipv4(&f, IPPROTO_IPIP, 20 + 32, 1, 0);
    inner_udp(&f);
    CHECK_EQ(decode(&d, &pkt, &f), 1);
    check_inner(&pkt);
    CHECK_EQ(anomalies(&d), 1);
    nw_decoder_fini(&d);
}

NW_TEST_MAIN(NWT_ENTRY(qinq_udp) NWT_ENTRY(pppoe_session_ipv4)
                 NWT_ENTRY(ipv4_fragments_out_of_order_and_overlap)
                 NWT_ENTRY(fragment_memcap_and_timeout) NWT_ENTRY(ipv6_extension_headers)
                 NWT_ENTRY(truncated_headers_are_anomalies) NWT_ENTRY(linux_sll2)
                 NWT_ENTRY(icmp_error_maps_to_quoted_flow)
                 NWT_ENTRY(gre_ipip_vxlan_gtpu_tunnels) NWT_ENTRY(tunnel_nesting_is_bounded))
