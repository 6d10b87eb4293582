/*
 * decode_eth.c - Ethernet, 802.1Q / 802.1ad (QinQ) tags, MPLS and PPPoE.
 *
 * VLAN IDs are recorded outer to inner (up to NW_MAX_VLAN; deeper stacks are
 * still decoded, the extra IDs are counted as an anomaly). PPPoE discovery
 * and PPP control frames are handed to the decoder's on_pppoe callback,
 * which feeds the identity table; PPPoE session data continues as IP.
 */
#include <string.h>

#include "decode_int.h"
#include "nw/core.h"

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_QINQ_OLD 0x9100
#define ETH_PPPOE_DISC 0x8863
#define ETH_PPPOE_SESS 0x8864
#define ETH_MPLS 0x8847
#define ETH_MPLS_MC 0x8848
#define ETH_ARP 0x0806

int nw__decode_ether(struct nw_decoder *d, struct nw_pkt *pkt, const uint8_t *p, size_t len,
                     int depth)
{
    if (len < 14) {
        nw__anomaly(d, NW_ANOM_LINK_SHORT);
        return 0;
    }
    /* the outermost Ethernet header names the stations on this link */
    if (!(pkt->flags & NW_PKT_HAS_ETH)) {
        memcpy(pkt->mac_dst, p, 6);
        memcpy(pkt->mac_src, p + 6, 6);
        pkt->flags |= NW_PKT_HAS_ETH;
    }
    return nw__decode_ethertype(d, pkt, nw_be16(p + 12), p + 14, len - 14, depth);
}

static int decode_mpls(struct nw_decoder *d, struct nw_pkt *pkt, const uint8_t *p, size_t len,
                       int depth)
{
    for (int labels = 0; labels < 16; labels++) {
        if (len < 4) {
            nw__anomaly(d, NW_ANOM_MPLS_SHORT);
            return 0;
        }
        int bottom = p[2] & 1;
        p += 4, len -= 4;
        if (!bottom) continue;
        if (len < 1) return 0;
        switch (p[0] >> 4) {
        case 4: return nw__decode_ipv4(d, pkt, p, len, depth + 1);
        case 6: return nw__decode_ipv6(d, pkt, p, len, depth + 1);
        case 0: /* pseudowire control word, then Ethernet */
            if (len < 4) return 0;
            return nw__decode_ether(d, pkt, p + 4, len - 4, depth + 1);
        default: nw__anomaly(d, NW_ANOM_LINK_UNKNOWN); return 0;
        }
    }
    nw__anomaly(d, NW_ANOM_MPLS_SHORT);
    return 0;
}

/* PPPoE session stage (RFC 2516): 6-byte header, then a PPP protocol id. */
static int decode_pppoe_session(struct nw_decoder *d, struct nw_pkt *pkt, const uint8_t *p,
                                size_t len, int depth)
{
    size_t plen;
    uint16_t proto;
    const uint8_t *ppp;

    if (len < 8 || p[0] != 0x11 || p[1] != 0) {
        nw__anomaly(d, NW_ANOM_PPPOE_SHORT);
        return 0;
    }
    pkt->pppoe_session = nw_be16(p + 2);
    plen = nw_be16(p + 4);
    if (plen < 2 || plen > len - 6) {
        /* snaplen may cut the frame; trust what we have */
        if (plen < 2) {
            nw__anomaly(d, NW_ANOM_PPPOE_SHORT);
            return 0;
        }
        plen = len - 6;
    }
    ppp = p + 6;
    if (ppp[0] & 1) { /* protocol field compression: one byte */
        proto = ppp[0];
        ppp += 1, plen -= 1;
    } else {
        proto = nw_be16(ppp);
        ppp += 2, plen -= 2;
    }
    switch (proto) {
    case 0x0021: return nw__decode_ipv4(d, pkt, ppp, plen, depth + 1);
    case 0x0057: return nw__decode_ipv6(d, pkt, ppp, plen, depth + 1);
    case 0xc021: /* LCP */
    case 0xc023: /* PAP */
    case 0xc223: /* CHAP */
    case 0x8021: /* IPCP */
    case 0x8057: /* IPV6CP */
        if (d->on_pppoe) d->on_pppoe(d->user, pkt, ETH_PPPOE_SESS, p, len);
        return 0;
    default: return 0;
    }
}

int nw__decode_ethertype(struct nw_decoder *d, struct nw_pkt *pkt, uint16_t type,
                         const uint8_t *p, size_t len, int depth)
{
    /* VLAN tags may stack; each is 4 bytes: TCI then the next type */
    for (int tags = 0; type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD; tags++) {
        if (len < 4) {
            nw__anomaly(d, NW_ANOM_LINK_SHORT);
            return 0;
        }
        if (pkt->nvlan < NW_MAX_VLAN) pkt->vlan[pkt->nvlan++] = nw_be16(p) & 0x0fff;
        else nw__anomaly(d, NW_ANOM_VLAN_TOO_DEEP);
        type = nw_be16(p + 2);
        p += 4, len -= 4;
        if (tags > 8) {
            nw__anomaly(d, NW_ANOM_VLAN_TOO_DEEP);
            return 0;
        }
    }
    if (depth > NW_MAX_TUNNEL_DEPTH) {
        nw__anomaly(d, NW_ANOM_TUNNEL_DEPTH);
        return 0;
    }
    switch (type) {
    case ETH_IPV4: return nw__decode_ipv4(d, pkt, p, len, depth);
    case ETH_IPV6: return nw__decode_ipv6(d, pkt, p, len, depth);
    case ETH_PPPOE_SESS: return decode_pppoe_session(d, pkt, p, len, depth);
    case ETH_PPPOE_DISC:
        if (len < 6) {
            nw__anomaly(d, NW_ANOM_PPPOE_SHORT);
            return 0;
        }
        if (d->on_pppoe) d->on_pppoe(d->user, pkt, ETH_PPPOE_DISC, p, len);
        return 0;
    case ETH_MPLS:
    case ETH_MPLS_MC: return decode_mpls(d, pkt, p, len, depth);
    case ETH_ARP: return 0;
    default:
        if (type < 0x0600) return 0; /* 802.3 length field: LLC frames (STP, CDP...) */
        nw__anomaly(d, NW_ANOM_LINK_UNKNOWN);
        return 0;
    }
}
