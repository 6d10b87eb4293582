/*
 * decode_peek.c - the TCP/UDP 5-tuple of a frame, found without side effects
 * (no counters, no reassembly, no PPPoE callbacks), so that the capture loop
 * can look a few frames ahead and prefetch their flows before the full
 * decoder gets to them.
 *
 * Covers what carries the bulk of traffic: Ethernet with up to 4 VLAN tags,
 * PPPoE sessions, raw IP; IPv4 (not fragments) and IPv6 without extension
 * headers; not tunnels (their flow is the inner packet's). Anything else returns 0 and is simply not prefetched: the answer
 * is a hint, never used for a decision.
 */
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <string.h>

#include "nw/core.h"
#include "nw/decode.h"

static int peek_l4(const uint8_t *p, size_t len, uint8_t proto, struct nw_tuple *t)
{
    if ((proto != IPPROTO_TCP && proto != IPPROTO_UDP) || len < 4) return 0;
    t->proto = proto;
    t->sport = nw_be16(p);
    t->dport = nw_be16(p + 2);
    /* GTP-U and VXLAN: the decoder's flow is the inner packet's */
    if (proto == IPPROTO_UDP && (t->sport == 2152 || t->dport == 2152 || t->dport == 4789))
        return 0;
    return 1;
}

static int peek_ip(const uint8_t *p, size_t len, struct nw_tuple *t)
{
    if (len >= 20 && p[0] >> 4 == 4) {
        size_t hl = (size_t)(p[0] & 15) * 4;
        if (hl < 20 || hl > len || (nw_be16(p + 6) & 0x3fff) != 0) return 0; /* fragment */
        t->family = 4;
        memset(t->src, 0, 16);
        memset(t->dst, 0, 16);
        memcpy(t->src, p + 12, 4);
        memcpy(t->dst, p + 16, 4);
        return peek_l4(p + hl, len - hl, p[9], t);
    }
    if (len >= 40 && p[0] >> 4 == 6) {
        t->family = 6;
        memcpy(t->src, p + 8, 16);
        memcpy(t->dst, p + 24, 16);
        return peek_l4(p + 40, len - 40, p[6], t);
    }
    return 0;
}

int nw_decode_peek_tuple(int linktype, const uint8_t *p, size_t len, struct nw_tuple *t)
{
    uint16_t et;
    size_t off = 12;

    if (linktype == DLT_RAW || linktype == DLT_IPV4 || linktype == DLT_IPV6)
        return peek_ip(p, len, t);
    if (linktype != DLT_EN10MB || len < 14) return 0;
    et = nw_be16(p + off);
    for (int i = 0; i < NW_MAX_VLAN && (et == 0x8100 || et == 0x88a8 || et == 0x9100); i++) {
        off += 4;
        if (len < off + 2) return 0;
        et = nw_be16(p + off);
    }
    off += 2;
    if (et == 0x8864) { /* PPPoE session: 6-byte header, then the PPP protocol */
        if (len < off + 8) return 0;
        et = nw_be16(p + off + 6) == 0x0021 ? 0x0800 : nw_be16(p + off + 6) == 0x0057 ? 0x86dd : 0;
        off += 8;
    }
    if (et != 0x0800 && et != 0x86dd) return 0;
    return peek_ip(p + off, len - off, t);
}
