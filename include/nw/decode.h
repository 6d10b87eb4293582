/*
 * decode.h - link, network and transport decoding of one captured frame.
 *
 * nw_decode_packet() peels Ethernet / Linux SLL / SLL2 / raw IP, 802.1Q and
 * QinQ tags, MPLS, PPPoE sessions, IPv4 and IPv6 (with extension headers and
 * fragment reassembly) down to TCP, UDP or ICMP, and fills struct nw_pkt with
 * slices into the frame (or into a reassembly buffer). Malformed input never
 * asserts: it bumps an anomaly counter and the packet is handled as far as it
 * could be decoded.
 */
#ifndef NW_DECODE_H
#define NW_DECODE_H

#include <stddef.h>
#include <stdint.h>

#define NW_MAX_VLAN 3

/* A flow's addresses. v4 addresses live in the first 4 bytes of src/dst. */
struct nw_tuple {
    uint8_t family;  /* 4 or 6 */
    uint8_t proto;   /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6 */
    uint16_t sport;  /* host order; ICMP: type */
    uint16_t dport;  /* host order; ICMP: code */
    uint8_t src[16];
    uint8_t dst[16];
};

enum nw_pkt_flags {
    NW_PKT_HAS_ETH = 1 << 0,   /* mac_src/mac_dst valid */
    NW_PKT_REASSEMBLED = 1 << 1, /* IP datagram rebuilt from fragments */
    NW_PKT_TRUNCATED = 1 << 2, /* snaplen cut the L4 payload */
    NW_PKT_ICMP_ERROR = 1 << 3 /* ICMP error: t is the quoted flow's tuple (reply
                                  direction), icmp_t the ICMP message's own */
};

/* TCP flag bits as on the wire. */
#define NW_TCP_FIN 0x01
#define NW_TCP_SYN 0x02
#define NW_TCP_RST 0x04
#define NW_TCP_PSH 0x08
#define NW_TCP_ACK 0x10

struct nw_pkt {
    uint64_t ts_us;          /* capture time, microseconds since epoch */
    uint32_t wire_len;       /* original frame length */
    uint32_t cap_len;        /* bytes captured */
    uint32_t flags;          /* enum nw_pkt_flags */
    uint8_t mac_src[6];
    uint8_t mac_dst[6];
    uint16_t vlan[NW_MAX_VLAN]; /* outer to inner */
    uint8_t nvlan;
    uint8_t tcp_flags;
    uint16_t pppoe_session;  /* 0 when not inside PPPoE */
    uint32_t tcp_seq;
    uint32_t tcp_ack;
    uint16_t tcp_win;
    struct nw_tuple t;       /* valid when l4 != NULL */
    struct nw_tuple icmp_t;  /* with NW_PKT_ICMP_ERROR: the ICMP packet's tuple */
    const uint8_t *l4;       /* transport header, NULL if none decoded */
    const uint8_t *payload;  /* L4 payload */
    size_t payload_len;
};

/* Anomaly counters, one per kind of malformed input. */
#define NW_ANOMALIES(X)                                                                           \
    X(LINK_SHORT, "link header shorter than its fixed size")                                     \
    X(LINK_UNKNOWN, "unsupported link or ethertype")                                             \
    X(VLAN_TOO_DEEP, "more VLAN tags than supported")                                            \
    X(MPLS_SHORT, "MPLS label stack truncated")                                                  \
    X(PPPOE_SHORT, "PPPoE header truncated or bad length")                                       \
    X(IPV4_SHORT, "IPv4 header truncated")                                                       \
    X(IPV4_BAD_HLEN, "IPv4 header length invalid")                                               \
    X(IPV4_BAD_LEN, "IPv4 total length invalid")                                                 \
    X(IPV6_SHORT, "IPv6 header truncated")                                                       \
    X(IPV6_EXT_BAD, "IPv6 extension header invalid")                                             \
    X(FRAG_OVERLAP, "IP fragments overlap with different data")                                  \
    X(FRAG_BAD, "IP fragment invalid (length, offset)")                                          \
    X(FRAG_MEMCAP, "IP reassembly memcap reached")                                               \
    X(FRAG_TIMEOUT, "IP datagram incomplete at timeout")                                         \
    X(TCP_SHORT, "TCP header truncated")                                                         \
    X(TCP_BAD_OFF, "TCP data offset invalid")                                                    \
    X(UDP_SHORT, "UDP header truncated")                                                         \
    X(UDP_BAD_LEN, "UDP length invalid")                                                         \
    X(ICMP_SHORT, "ICMP header truncated")                                                       \
    X(SNAPLEN_CUT, "packet cut by snaplen")                                                      \
    X(TUNNEL_DEPTH, "too many nested tunnels")                                                   \
    X(TUNNEL_SHORT, "tunnel header (GRE, GTP-U, VXLAN) truncated")

enum nw_anomaly {
#define NW_X_ENUM(id, text) NW_ANOM_##id,
    NW_ANOMALIES(NW_X_ENUM)
#undef NW_X_ENUM
    NW_ANOM_MAX
};

struct nw_decode_stats {
    uint64_t anomalies[NW_ANOM_MAX];
    uint64_t frags;          /* fragments seen */
    uint64_t reassembled;    /* datagrams rebuilt */
};

const char *nw_anomaly_name(int a);
const char *nw_anomaly_text(int a);

struct nw_defrag; /* opaque, decode/defrag.c */
struct nw_proto_ctx;

/*
 * The decoder: link type, reassembly state and counters. Caller allocates
 * and keeps it for the life of a capture; nw_decoder_fini releases memory.
 */
struct nw_decoder {
    int linktype;            /* DLT_* of the current capture */
    struct nw_defrag *defrag;
    struct nw_decode_stats stats;
    /* Called for PPPoE discovery and PPP control frames (identity sources). */
    void (*on_pppoe)(void *user, const struct nw_pkt *pkt, uint16_t ethertype,
                     const uint8_t *p, size_t len);
    void *user;
};

int nw_decoder_init(struct nw_decoder *d, size_t frag_memcap);
void nw_decoder_fini(struct nw_decoder *d);
/* Drop fragment trains older than now - timeout. */
void nw_decoder_expire(struct nw_decoder *d, uint64_t now_us);

/* 1 if the DLT_* link type can be decoded. */
int nw_decode_linktype_supported(int dlt);

/*
 * Decode one frame. frame/caplen are the captured bytes. Returns 1 if pkt
 * has an L4 header (pkt->l4 != NULL), 0 if not (non-IP, fragment held for
 * reassembly, or malformed; counters say which). Slices in pkt stay valid
 * until the next call.
 */
int nw_decode_packet(struct nw_decoder *d, struct nw_pkt *pkt, const uint8_t *frame,
                     size_t caplen);

/*
 * The TCP/UDP tuple of a frame of link type linktype, read without any side
 * effect, for prefetching. 1 and *t filled as nw_decode_packet would (IPv4,
 * IPv6 without extension headers, Ethernet/VLAN/PPPoE/raw IP), or 0.
 */
int nw_decode_peek_tuple(int linktype, const uint8_t *frame, size_t caplen, struct nw_tuple *t);

#endif /* NW_DECODE_H */
