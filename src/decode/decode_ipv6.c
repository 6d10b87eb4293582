/*
 * decode_ipv6.c - IPv6 header and extension header chain (hop-by-hop,
 * routing, destination options, fragment, AH), at most 8 extension headers.
 * A fragment header sends the rest to defrag.c. ESP and "no next header"
 * end decoding without an L4 header.
 */
#include <string.h>

#include "decode_int.h"
#include "nw/core.h"

int nw__decode_ipv6(struct nw_decoder *d, struct nw_pkt *pkt, const uint8_t *p, size_t len,
                    int depth)
{
    size_t plen;
    int nh;

    if (len < 40) {
        nw__anomaly(d, NW_ANOM_IPV6_SHORT);
        return 0;
    }
    if ((p[0] >> 4) != 6) {
        nw__anomaly(d, NW_ANOM_IPV6_SHORT);
        return 0;
    }
    plen = nw_be16(p + 4);
    if (plen > len - 40) {
        nw__anomaly(d, NW_ANOM_SNAPLEN_CUT);
        pkt->flags |= NW_PKT_TRUNCATED;
        plen = len - 40;
    }
    /* jumbograms (plen 0 with a hop-by-hop option) are not expected on an
     * access network; treat the frame's remainder as payload */
    if (plen == 0) plen = len - 40;
    pkt->t.family = 6;
    memcpy(pkt->t.src, p + 8, 16);
    memcpy(pkt->t.dst, p + 24, 16);
    nh = p[6];
    p += 40;
    len = plen;
    for (int i = 0; i < 8; i++) {
        size_t elen;
        switch (nh) {
        case 0:  /* hop-by-hop */
        case 43: /* routing */
        case 60: /* destination options */
            if (len < 8) goto bad;
            elen = ((size_t)p[1] + 1) * 8;
            if (elen > len) goto bad;
            nh = p[0];
            p += elen, len -= elen;
            continue;
        case 51: /* AH: length in 4-byte units minus 2 */
            if (len < 8) goto bad;
            elen = ((size_t)p[1] + 2) * 4;
            if (elen > len) goto bad;
            nh = p[0];
            p += elen, len -= elen;
            continue;
        case 44: { /* fragment */
            struct nw_frag_key k;
            const uint8_t *whole;
            size_t wlen;
            uint16_t off;

            if (len < 8) goto bad;
            off = nw_be16(p + 2);
            memset(&k, 0, sizeof k);
            k.family = 6;
            k.proto = p[0];
            k.id = nw_be32(p + 4);
            memcpy(k.src, pkt->t.src, 16);
            memcpy(k.dst, pkt->t.dst, 16);
            if ((off & 0xfff8) == 0 && !(off & 1)) {
                /* atomic fragment (RFC 6946): not a fragment at all */
                nh = p[0];
                p += 8, len -= 8;
                continue;
            }
            d->stats.frags++;
            if (!nw__defrag_add(d, &k, pkt, off & 0xfff8, off & 1, p + 8, len - 8, &whole,
                                &wlen))
                return 0;
            pkt->flags |= NW_PKT_REASSEMBLED;
            /* headers after the fragment header are inside the datagram;
             * only L4 is expected there in practice */
            return nw__decode_l4(d, pkt, k.proto, whole, wlen, depth);
        }
        case 50: /* ESP: encrypted */
        case 59: /* no next header */
            return 0;
        default:
            return nw__decode_l4(d, pkt, nh, p, len, depth);
        }
    }
bad:
    nw__anomaly(d, NW_ANOM_IPV6_EXT_BAD);
    return 0;
}
