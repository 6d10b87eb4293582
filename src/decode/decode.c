/*
 * decode.c - entry point: link types, anomaly names, decoder lifecycle.
 *
 * Supported link types: Ethernet, Linux cooked v1/v2 (SLL, SLL2), raw IP
 * (DLT_RAW, IPV4, IPV6), BSD loopback (NULL/LOOP). Everything past the
 * link header is handled by the ethertype dispatcher in decode_eth.c.
 */
#include "nw/decode.h"

#include <pcap/dlt.h>
#include <string.h>

#include "decode_int.h"
#include "nw/core.h"

static const char *const anom_names[] = {
#define NW_X_NAME(id, text) #id,
    NW_ANOMALIES(NW_X_NAME)
#undef NW_X_NAME
};
static const char *const anom_texts[] = {
#define NW_X_TEXT(id, text) text,
    NW_ANOMALIES(NW_X_TEXT)
#undef NW_X_TEXT
};

const char *nw_anomaly_name(int a) { return a >= 0 && a < NW_ANOM_MAX ? anom_names[a] : "?"; }
const char *nw_anomaly_text(int a) { return a >= 0 && a < NW_ANOM_MAX ? anom_texts[a] : "?"; }

int nw_decoder_init(struct nw_decoder *d, size_t frag_memcap)
{
    memset(d, 0, sizeof *d);
    d->linktype = DLT_EN10MB;
    d->defrag = nw__defrag_new(frag_memcap);
    return d->defrag ? 0 : NW_ENOMEM;
}

void nw_decoder_fini(struct nw_decoder *d)
{
    nw__defrag_free(d->defrag);
    d->defrag = NULL;
}

void nw_decoder_expire(struct nw_decoder *d, uint64_t now_us) { nw__defrag_expire(d, now_us); }

int nw_decode_linktype_supported(int dlt)
{
    switch (dlt) {
    case DLT_EN10MB:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
    case DLT_NULL:
    case DLT_LOOP:
        return 1;
    default:
        return 0;
    }
}

/* Linux cooked capture v1: 16-byte header, protocol in the last 2 bytes. */
static int decode_sll(struct nw_decoder *d, struct nw_pkt *pkt, const uint8_t *p, size_t len)
{
    if (len < 16) {
        nw__anomaly(d, NW_ANOM_LINK_SHORT);
        return 0;
    }
    /* hatype 1 = Ethernet: the address is the sender's MAC */
    if (nw_be16(p + 2) == 1 && nw_be16(p + 4) == 6) {
        memcpy(pkt->mac_src, p + 6, 6);
        pkt->flags |= NW_PKT_HAS_ETH;
    }
    return nw__decode_ethertype(d, pkt, nw_be16(p + 14), p + 16, len - 16, 0);
}

/* Linux cooked capture v2: 20-byte header, protocol first. */
static int decode_sll2(struct nw_decoder *d, struct nw_pkt *pkt, const uint8_t *p, size_t len)
{
    if (len < 20) {
        nw__anomaly(d, NW_ANOM_LINK_SHORT);
        return 0;
    }
    if (nw_be16(p + 8) == 1 && p[11] == 6) {
        memcpy(pkt->mac_src, p + 12, 6);
        pkt->flags |= NW_PKT_HAS_ETH;
    }
    return nw__decode_ethertype(d, pkt, nw_be16(p), p + 20, len - 20, 0);
}

/* BSD loopback: 4-byte address family, host order (NULL) or network (LOOP). */
static int decode_null(struct nw_decoder *d, struct nw_pkt *pkt, const uint8_t *p, size_t len,
                       int network_order)
{
    uint32_t af;

    if (len < 4) {
        nw__anomaly(d, NW_ANOM_LINK_SHORT);
        return 0;
    }
    af = network_order ? nw_be32(p) : (uint32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
    if (!network_order && af > 0xffff) af = nw_be32(p); /* written on a big-endian host */
    switch (af) {
    case 2: return nw__decode_ipv4(d, pkt, p + 4, len - 4, 0);
    case 10: case 24: case 28: case 30: return nw__decode_ipv6(d, pkt, p + 4, len - 4, 0);
    default: nw__anomaly(d, NW_ANOM_LINK_UNKNOWN); return 0;
    }
}

int nw_decode_packet(struct nw_decoder *d, struct nw_pkt *pkt, const uint8_t *frame, size_t caplen)
{
    if (caplen < pkt->wire_len) pkt->flags |= NW_PKT_TRUNCATED;
    switch (d->linktype) {
    case DLT_EN10MB: return nw__decode_ether(d, pkt, frame, caplen, 0);
    case DLT_LINUX_SLL: return decode_sll(d, pkt, frame, caplen);
    case DLT_LINUX_SLL2: return decode_sll2(d, pkt, frame, caplen);
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6: return nw__decode_ip(d, pkt, frame, caplen, 0);
    case DLT_NULL: return decode_null(d, pkt, frame, caplen, 0);
    case DLT_LOOP: return decode_null(d, pkt, frame, caplen, 1);
    default: nw__anomaly(d, NW_ANOM_LINK_UNKNOWN); return 0;
    }
}
