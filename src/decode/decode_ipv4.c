/*
 * decode_ipv4.c - IPv4 header, options skipped, fragments sent to defrag.c.
 * The datagram is bounded by the header's total length (Ethernet padding is
 * dropped); if the capture is shorter (snaplen), what was captured is used
 * and the packet is marked truncated.
 */
#include <string.h>

#include "decode_int.h"
#include "nw/core.h"

int nw__decode_ip(struct nw_decoder *d, struct nw_pkt *pkt, const uint8_t *p, size_t len,
                  int depth)
{
    if (len < 1) {
        nw__anomaly(d, NW_ANOM_IPV4_SHORT);
        return 0;
    }
    switch (p[0] >> 4) {
    case 4: return nw__decode_ipv4(d, pkt, p, len, depth);
    case 6: return nw__decode_ipv6(d, pkt, p, len, depth);
    default: nw__anomaly(d, NW_ANOM_LINK_UNKNOWN); return 0;
    }
}

int nw__decode_ipv4(struct nw_decoder *d, struct nw_pkt *pkt, const uint8_t *p, size_t len,
                    int depth)
{
    size_t hlen, tlen;
    uint16_t frag, id;
    uint32_t offset;
    int more, proto;

    if (len < 20) {
        nw__anomaly(d, NW_ANOM_IPV4_SHORT);
        return 0;
    }
    hlen = (size_t)(p[0] & 0x0f) * 4;
    if ((p[0] >> 4) != 4 || hlen < 20) {
        nw__anomaly(d, NW_ANOM_IPV4_BAD_HLEN);
        return 0;
    }
    if (hlen > len) {
        nw__anomaly(d, NW_ANOM_IPV4_SHORT);
        return 0;
    }
    tlen = nw_be16(p + 2);
    if (tlen < hlen) {
        /* TSO captures write 0 here; fall back to what we have */
        if (tlen != 0) {
            nw__anomaly(d, NW_ANOM_IPV4_BAD_LEN);
            return 0;
        }
        tlen = len;
    }
    if (tlen > len) {
        nw__anomaly(d, NW_ANOM_SNAPLEN_CUT);
        pkt->flags |= NW_PKT_TRUNCATED;
        tlen = len;
    }
    pkt->t.family = 4;
    memset(pkt->t.src, 0, 16);
    memset(pkt->t.dst, 0, 16);
    memcpy(pkt->t.src, p + 12, 4);
    memcpy(pkt->t.dst, p + 16, 4);

    frag = nw_be16(p + 6);
    id = nw_be16(p + 4);
    proto = p[9];
    offset = (uint32_t)(frag & 0x1fff) * 8;
    more = (frag & 0x2000) != 0;
    p += hlen;
    len = tlen - hlen;
    if (offset != 0 || more) {
        struct nw_frag_key k;
        const uint8_t *whole;
        size_t wlen;

        memset(&k, 0, sizeof k);
        k.family = 4;
        k.proto = (uint8_t)proto;
        k.id = id;
        memcpy(k.src, pkt->t.src, 4);
        memcpy(k.dst, pkt->t.dst, 4);
        d->stats.frags++;
        if (!nw__defrag_add(d, &k, pkt, offset, more, p, len, &whole, &wlen)) return 0;
        pkt->flags |= NW_PKT_REASSEMBLED;
        return nw__decode_l4(d, pkt, k.proto, whole, wlen, depth);
    }
    return nw__decode_l4(d, pkt, proto, p, len, depth);
}
