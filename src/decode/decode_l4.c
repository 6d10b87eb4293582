/*
 * decode_l4.c - TCP, UDP, ICMP/ICMPv6, and the tunnels met at this layer:
 * IP-in-IP (4, 41), GRE (47), GTP-U (UDP 2152) and VXLAN (UDP 4789).
 * Flows are keyed on the innermost IP/L4 header, as tshark does.
 */
#include <netinet/in.h>
#include <string.h>

#include "decode_int.h"
#include "nw/core.h"

static int decode_tcp(struct nw_decoder *d, struct nw_pkt *pkt, const uint8_t *p, size_t len)
{
    size_t off;

    if (len < 20) {
        nw__anomaly(d, NW_ANOM_TCP_SHORT);
        return 0;
    }
    off = (size_t)(p[12] >> 4) * 4;
    if (off < 20) {
        nw__anomaly(d, NW_ANOM_TCP_BAD_OFF);
        return 0;
    }
    if (off > len) {
        /* options cut by snaplen: the packet still counts for its flow */
        if (!(pkt->flags & NW_PKT_TRUNCATED)) {
            nw__anomaly(d, NW_ANOM_TCP_SHORT);
            return 0;
        }
        nw__anomaly(d, NW_ANOM_SNAPLEN_CUT);
        off = len;
    }
    pkt->t.proto = IPPROTO_TCP;
    pkt->t.sport = nw_be16(p);
    pkt->t.dport = nw_be16(p + 2);
    pkt->tcp_seq = nw_be32(p + 4);
    pkt->tcp_ack = nw_be32(p + 8);
    pkt->tcp_flags = p[13];
    pkt->tcp_win = nw_be16(p + 14);
    pkt->l4 = p;
    pkt->payload = p + off;
    pkt->payload_len = len - off;
    return 1;
}

/* GTP-U v1 G-PDU: 8-byte header, optional 4 more, then extension headers. */
static int decode_gtpu(struct nw_decoder *d, struct nw_pkt *pkt, const uint8_t *p, size_t len,
                       int depth)
{
    size_t off = 8;

    if (len < 8 || (p[0] >> 5) != 1 || p[1] != 0xff) return -1; /* not a G-PDU */
    if (p[0] & 0x07) {
        uint8_t next;
        if (len < 12) return -1;
        next = p[11];
        off = 12;
        for (int i = 0; next != 0 && i < 8; i++) {
            size_t elen;
            if (off >= len) return -1;
            elen = (size_t)p[off] * 4;
            if (elen == 0 || off + elen > len) return -1;
            next = p[off + elen - 1];
            off += elen;
        }
    }
    if (off >= len) return -1;
    return nw__decode_ip(d, pkt, p + off, len - off, depth + 1);
}

static int decode_udp(struct nw_decoder *d, struct nw_pkt *pkt, const uint8_t *p, size_t len,
                      int depth)
{
    size_t ulen;
    uint16_t sp, dp;

    if (len < 8) {
        nw__anomaly(d, NW_ANOM_UDP_SHORT);
        return 0;
    }
    ulen = nw_be16(p + 4);
    if (ulen < 8) {
        /* 0 appears with IPv6 jumbograms and some offloads: use the IP length */
        if (ulen != 0) {
            nw__anomaly(d, NW_ANOM_UDP_BAD_LEN);
            return 0;
        }
        ulen = len;
    }
    if (ulen > len) {
        if (!(pkt->flags & NW_PKT_TRUNCATED)) nw__anomaly(d, NW_ANOM_UDP_BAD_LEN);
        ulen = len;
    }
    sp = nw_be16(p);
    dp = nw_be16(p + 2);
    if (depth < NW_MAX_TUNNEL_DEPTH) {
        if (dp == 2152 || sp == 2152) {
            int rc = decode_gtpu(d, pkt, p + 8, ulen - 8, depth);
            if (rc >= 0) return rc;
        } else if (dp == 4789 && ulen >= 16 && (p[8] & 0x08)) {
            /* VXLAN: 8-byte header, then Ethernet */
            return nw__decode_ether(d, pkt, p + 16, ulen - 16, depth + 1);
        }
    }
    pkt->t.proto = IPPROTO_UDP;
    pkt->t.sport = sp;
    pkt->t.dport = dp;
    pkt->l4 = p;
    pkt->payload = p + 8;
    pkt->payload_len = ulen - 8;
    return 1;
}

/* GRE (RFC 2784/2890): flags, protocol type, optional checksum/key/seq. */
static int decode_gre(struct nw_decoder *d, struct nw_pkt *pkt, const uint8_t *p, size_t len,
                      int depth)
{
    size_t off = 4;
    uint16_t flags, type;

    if (len < 4) {
        nw__anomaly(d, NW_ANOM_TUNNEL_SHORT);
        return 0;
    }
    flags = nw_be16(p);
    type = nw_be16(p + 2);
    if ((flags & 0x0007) != 0) return 0; /* version 1 (PPTP) is not tunnelled IP here */
    if (flags & 0x8000) off += 4; /* checksum + reserved */
    if (flags & 0x2000) off += 4; /* key */
    if (flags & 0x1000) off += 4; /* sequence */
    if (off > len) {
        nw__anomaly(d, NW_ANOM_TUNNEL_SHORT);
        return 0;
    }
    if (type == 0x6558) return nw__decode_ether(d, pkt, p + off, len - off, depth + 1);
    return nw__decode_ethertype(d, pkt, type, p + off, len - off, depth + 1);
}

/*
 * ICMP errors (unreachable, time exceeded, parameter problem, ...) quote the
 * IP header and first 8 bytes of the packet that caused them. Like
 * Suricata, we account such an error to the quoted TCP/UDP flow, in the
 * direction back toward the quoted packet's sender; pkt->icmp_t keeps the
 * ICMP message's own tuple for when that flow is unknown.
 */
static void icmp_error_quote(struct nw_pkt *pkt, int v6, const uint8_t *q, size_t len)
{
    struct nw_tuple qt;
    size_t hl;
    int proto;

    memset(&qt, 0, sizeof qt);
    if (!v6) {
        if (len < 20 || (q[0] >> 4) != 4) return;
        hl = (size_t)(q[0] & 15) * 4;
        if (hl < 20 || len < hl + 4 || (nw_be16(q + 6) & 0x1fff) != 0) return;
        proto = q[9];
        qt.family = 4;
        memcpy(qt.src, q + 16, 4); /* reversed: the error travels back */
        memcpy(qt.dst, q + 12, 4);
    } else {
        if (len < 44 || (q[0] >> 4) != 6) return;
        hl = 40;
        proto = q[6];
        qt.family = 6;
        memcpy(qt.src, q + 24, 16);
        memcpy(qt.dst, q + 8, 16);
    }
    if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) return;
    qt.proto = (uint8_t)proto;
    qt.sport = nw_be16(q + hl + 2);
    qt.dport = nw_be16(q + hl);
    pkt->icmp_t = pkt->t;
    pkt->t = qt;
    pkt->flags |= NW_PKT_ICMP_ERROR;
}

static int is_icmp_error(int proto, uint8_t type)
{
    /* redirects (5) advise a route; they are not about the flow */
    if (proto == IPPROTO_ICMP) return type == 3 || type == 4 || type == 11 || type == 12;
    return type >= 1 && type <= 4;
}

int nw__decode_l4(struct nw_decoder *d, struct nw_pkt *pkt, int proto, const uint8_t *p,
                  size_t len, int depth)
{
    if (depth > NW_MAX_TUNNEL_DEPTH) {
        nw__anomaly(d, NW_ANOM_TUNNEL_DEPTH);
        return 0;
    }
    switch (proto) {
    case IPPROTO_TCP: return decode_tcp(d, pkt, p, len);
    case IPPROTO_UDP: return decode_udp(d, pkt, p, len, depth);
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
        if (len < 4) {
            nw__anomaly(d, NW_ANOM_ICMP_SHORT);
            return 0;
        }
        pkt->t.proto = (uint8_t)proto;
        /* ICMP flows are keyed per host pair; type/code kept for the record */
        pkt->t.sport = 0;
        pkt->t.dport = 0;
        pkt->tcp_flags = 0;
        pkt->l4 = p;
        pkt->payload = p + 4;
        pkt->payload_len = len - 4;
        if (is_icmp_error(proto, p[0]) && len >= 8) {
            icmp_error_quote(pkt, proto == IPPROTO_ICMPV6, p + 8, len - 8);
            if (pkt->flags & NW_PKT_ICMP_ERROR) pkt->payload_len = 0;
        }
        return 1;
    case IPPROTO_IPIP: return nw__decode_ipv4(d, pkt, p, len, depth + 1);
    case IPPROTO_IPV6: return nw__decode_ipv6(d, pkt, p, len, depth + 1);
    case IPPROTO_GRE: return decode_gre(d, pkt, p, len, depth);
    default: return 0;
    }
}
