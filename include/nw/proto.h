/*
 * proto.h - application-layer parsers and the contract they implement.
 *
 * Each parser lives in one file src/proto/proto_<name>.c and exports one
 * const struct nw_proto_parser, listed once in src/proto/registry.c.
 * Parsers never write output themselves: they emit typed records through
 * nw_record_begin()/nw_record_end(), which add the common header (time,
 * flow id, addresses, VLANs) and the `user` object from the identity table.
 *
 * Data delivery:
 *  - UDP: parse() gets each datagram whole. A negative return counts one
 *    "<name>.malformed" anomaly; the parser stays attached to the flow.
 *  - TCP: parse() gets reassembled, in-order bytes of one direction
 *    (ctx->dir), directions interleaved in arrival order. It returns the
 *    number of bytes consumed (>0), 0 when it needs more data (the flow layer
 *    keeps the unconsumed bytes, up to NW_PROTO_MAX_PENDING, and presents
 *    them again with what follows), or <0 on error (anomaly counted, parser
 *    detached from the flow). The flow layer calls parse() again while it
 *    consumes and bytes remain, so a parser may handle one message per call.
 *  - gap(): bytes lost in ctx->dir (capture loss, reassembly bound). NULL
 *    means the parser is detached at the first gap.
 *  - end(): the flow ended (FIN/RST, timeout, end of input). Emit what is
 *    pending (e.g. an HTTP request with no response) and free what the state
 *    owns. The state block itself (state_size bytes, zeroed at attach) is
 *    owned and freed by the flow layer.
 *
 * Parsers must treat every byte as hostile: check lengths before reads,
 * bound loops and recursion, never assert on input.
 */
#ifndef NW_PROTO_H
#define NW_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "nw/decode.h"
#include "nw/json.h"

#define NW_PROTO_MAX_PENDING (64u * 1024u)

enum nw_dir { NW_DIR_TOSERVER = 0, NW_DIR_TOCLIENT = 1 };
enum nw_transport { NW_T_TCP = 1, NW_T_UDP = 2 };
/* Which endpoint a record names as src: the flow's client, or the sender
 * of the current packet (per-message protocols such as DNS and DHCP). */
enum nw_orient { NW_REC_FLOW = 0, NW_REC_PACKET = 1 };

struct nw_engine;
struct nw_identity;
struct nw_flow;

struct nw_proto_ctx {
    uint64_t ts_us;               /* time of the packet that delivered these bytes */
    uint64_t flow_id;             /* 0 when not in a flow (L2 control frames) */
    const struct nw_tuple *tuple; /* oriented client -> server; NULL for L2 frames */
    int dir;                      /* enum nw_dir of the current bytes */
    const struct nw_pkt *pkt;     /* current packet (MACs, VLANs); NULL at flow end */
    struct nw_identity *ident;    /* identity table, for DHCP/RADIUS/PPPoE */
    struct nw_engine *eng;        /* opaque: output, counters */
    struct nw_flow *flow;         /* opaque */
    const char *switch_to;        /* set by nw_proto_switch(); read by the flow layer */
    const char *parser_name;      /* set by the driver before each call */
};

struct nw_proto_parser {
    const char *name;        /* lower case, also the anomaly counter prefix */
    unsigned transports;     /* NW_T_TCP | NW_T_UDP */
    uint16_t ports[8];       /* well-known server ports, 0-terminated */
    /* First bytes of a flow from dir: 1 = this protocol, 0 = not, -1 = need
     * more. NULL: a port match is enough. */
    int (*probe)(const uint8_t *p, size_t len, int dir);
    size_t state_size;
    int (*parse)(struct nw_proto_ctx *ctx, void *state, const uint8_t *p, size_t len);
    void (*gap)(struct nw_proto_ctx *ctx, void *state, size_t len);
    void (*end)(struct nw_proto_ctx *ctx, void *state);
    int (*selftest)(void); /* 0 = pass; run by --selftest. May be NULL. */
};

/* The registry (src/proto/registry.c). */
extern const struct nw_proto_parser *const nw_proto_parsers[];
extern const size_t nw_proto_nparsers;
const struct nw_proto_parser *nw_proto_find(const char *name);

/*
 * Start a record of event_type for the current context. Returns the buffer
 * to add the protocol object to, e.g. nw_json_kobj_open(b, "dns"); ...
 * nw_json_obj_close(b); then call nw_record_end(). event_type must be a
 * string literal.
 */
struct nw_buf *nw_record_begin(struct nw_proto_ctx *ctx, const char *event_type, int orient);
void nw_record_end(struct nw_proto_ctx *ctx);

/* Ask the flow layer to hand the rest of this TCP flow to parser `name`
 * after the current parse() returns (STARTTLS). */
void nw_proto_switch(struct nw_proto_ctx *ctx, const char *name);

/* Count one named anomaly for this parser ("<parser>.<what>"). what must be
 * a string literal. */
void nw_proto_anomaly(struct nw_proto_ctx *ctx, const char *what);

/*
 * PPPoE discovery (ethertype 0x8863) and PPP control inside PPPoE sessions
 * (LCP/PAP/CHAP/IPCP, ethertype 0x8864): called by the decoder with the
 * PPPoE header at p. Implemented in proto_pppoe.c.
 */
void nw_pppoe_frame(struct nw_proto_ctx *ctx, uint16_t ethertype, const uint8_t *p, size_t len);

#endif /* NW_PROTO_H */

#ifndef NW_PROTO_APPLAYER
#define NW_PROTO_APPLAYER
/*
 * The app-layer driver: one per flow with a parser attached. It owns the
 * parser state and the per-direction pending bytes, runs the consume loop
 * described above, and performs nw_proto_switch(). The flow layer and the
 * unit-test context both use it, so parsers see identical behaviour.
 */
struct nw_applayer {
    const struct nw_proto_parser *parser; /* NULL once detached */
    void *state;
    struct nw_buf pending[2];             /* unconsumed TCP bytes per direction */
    uint8_t is_tcp;
    uint8_t failed;                       /* detached after an error */
};

/* Attach parser p (state allocated zeroed). Returns 0 or NW_ENOMEM. */
int nw_applayer_attach(struct nw_applayer *al, const struct nw_proto_parser *p, int is_tcp);
/* Deliver bytes of ctx->dir. Returns 0, or <0 if the parser failed (then
 * detached and the anomaly counted). */
int nw_applayer_feed(struct nw_applayer *al, struct nw_proto_ctx *ctx, const uint8_t *p,
                     size_t len);
void nw_applayer_gap(struct nw_applayer *al, struct nw_proto_ctx *ctx, size_t len);
/* Flow ends: calls end(), frees state and buffers. Safe to call twice. */
void nw_applayer_end(struct nw_applayer *al, struct nw_proto_ctx *ctx);
#endif
