/* decode_int.h - the decoders' internal interface (src/decode only). */
#ifndef NW_DECODE_DECODE_INT_H
#define NW_DECODE_DECODE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "nw/decode.h"

#define NW_MAX_TUNNEL_DEPTH 4

/* Each returns 1 if an L4 header was decoded into pkt, else 0. depth counts
 * nested encapsulations; past NW_MAX_TUNNEL_DEPTH decoding stops. */
int nw__decode_ethertype(struct nw_decoder *d, struct nw_pkt *pkt, uint16_t type,
                         const uint8_t *p, size_t len, int depth);
int nw__decode_ether(struct nw_decoder *d, struct nw_pkt *pkt, const uint8_t *p, size_t len,
                     int depth);
int nw__decode_ip(struct nw_decoder *d, struct nw_pkt *pkt, const uint8_t *p, size_t len,
                  int depth);
int nw__decode_ipv4(struct nw_decoder *d, struct nw_pkt *pkt, const uint8_t *p, size_t len,
                    int depth);
int nw__decode_ipv6(struct nw_decoder *d, struct nw_pkt *pkt, const uint8_t *p, size_t len,
                    int depth);
/* L4 (and tunnels found at L4: IP-in-IP, GRE, GTP-U, VXLAN). p/len is the
 * IP payload; the tuple's family/addresses are already set. */
int nw__decode_l4(struct nw_decoder *d, struct nw_pkt *pkt, int proto, const uint8_t *p,
                  size_t len, int depth);

static inline void nw__anomaly(struct nw_decoder *d, int a) { d->stats.anomalies[a]++; }

/* Fragment reassembly (defrag.c). Adds one fragment of the packet pkt;
 * when the datagram is complete returns 1 with *out and *outlen set to the
 * reassembled L4 payload (valid until the next call) and pkt->wire_len set
 * to the sum of the fragments' frame lengths (what was on the wire for the
 * datagram, as tshark counts it), else 0. */
struct nw_frag_key {
    uint8_t family;
    uint8_t proto;
    uint32_t id;
    uint8_t src[16];
    uint8_t dst[16];
};
struct nw_defrag *nw__defrag_new(size_t memcap);
void nw__defrag_free(struct nw_defrag *df);
int nw__defrag_add(struct nw_decoder *d, const struct nw_frag_key *k, struct nw_pkt *pkt,
                   uint32_t offset, int more, const uint8_t *p, size_t len,
                   const uint8_t **out, size_t *outlen);
void nw__defrag_expire(struct nw_decoder *d, uint64_t now_us);

#endif
