/* flow_int.h - flow and stream internals shared by flow.c and stream.c. */
#ifndef NW_FLOW_FLOW_INT_H
#define NW_FLOW_FLOW_INT_H

#include "nw/flow.h"
#include "nw/proto.h"

/* An out-of-order TCP segment waiting for the bytes before it. */
struct nw_seg {
    struct nw_seg *next;
    uint32_t seq;
    uint32_t len;
    uint8_t data[];
};

/* One direction of a TCP connection. */
struct nw_stream {
    uint32_t next_seq;     /* next in-order sequence number expected */
    uint8_t init;          /* next_seq is known */
    uint8_t fin;           /* FIN seen */
    struct nw_seg *ooo;    /* sorted by seq, may overlap */
    uint32_t ooo_bytes;
    uint64_t delivered;    /* bytes handed to the parser */
};

/* Receives in-order bytes (or a gap) of one direction. */
typedef void (*nw_stream_deliver_fn)(void *arg, const uint8_t *p, size_t len, size_t gap);

struct nw_stream_limits {
    uint32_t max_ooo;      /* per direction */
    size_t *used;          /* global bytes in out-of-order segments */
    size_t memcap;
    uint64_t *gaps;        /* counters */
    uint64_t *memcap_drops;
};

/* Feed one segment (seq of its first payload byte; syn=1 if the SYN flag is
 * set, so the SYN's sequence number is skipped). */
void nw__stream_segment(struct nw_stream *s, const struct nw_stream_limits *lim, uint32_t seq,
                        int syn, const uint8_t *p, size_t len, nw_stream_deliver_fn fn,
                        void *arg);
/* End of the connection: deliver what waits behind holes, with gaps. */
void nw__stream_flush(struct nw_stream *s, const struct nw_stream_limits *lim,
                      nw_stream_deliver_fn fn, void *arg);
/* Free segments without delivering. */
void nw__stream_free(struct nw_stream *s, const struct nw_stream_limits *lim);

#endif
