/*
 * stream.c - TCP reassembly for one direction.
 *
 * Bytes are delivered in sequence order as soon as they are contiguous;
 * retransmitted bytes are delivered once (first copy wins). Segments that
 * arrive ahead of a hole wait in a sorted list bounded per direction
 * (max_ooo) and globally (memcap). When a bound is hit, or at the end of the
 * connection, the hole is declared lost: the parser is told how many bytes
 * are missing (a gap) and delivery resumes after it. Sequence numbers are
 * compared modulo 2^32.
 */
#include <string.h>

#include "flow_int.h"
#include "nw/core.h"

static inline int32_t seqdiff(uint32_t a, uint32_t b) { return (int32_t)(a - b); }

static void seg_drop(struct nw_stream *s, const struct nw_stream_limits *lim)
{
    struct nw_seg *g = s->ooo;

    s->ooo = g->next;
    s->ooo_bytes -= g->len;
    *lim->used -= g->len + sizeof *g;
    nw_free(g);
}

/* Deliver p/len starting at seq, skipping any part already delivered. */
static void deliver_from(struct nw_stream *s, uint32_t seq, const uint8_t *p, size_t len,
                         nw_stream_deliver_fn fn, void *arg)
{
    int32_t d = seqdiff(s->next_seq, seq);

    if (d > 0) {
        if ((size_t)d >= len) return;
        p += d, len -= (size_t)d;
    }
    s->next_seq += (uint32_t)len;
    s->delivered += len;
    fn(arg, p, len, 0);
}

/* Deliver queued segments that are now contiguous. */
static void drain(struct nw_stream *s, const struct nw_stream_limits *lim, nw_stream_deliver_fn fn,
                  void *arg)
{
    while (s->ooo != NULL && seqdiff(s->ooo->seq, s->next_seq) <= 0) {
        struct nw_seg *g = s->ooo;
        deliver_from(s, g->seq, g->data, g->len, fn, arg);
        seg_drop(s, lim);
    }
}

/* Declare the hole before the first queued segment lost. */
static void skip_hole(struct nw_stream *s, const struct nw_stream_limits *lim,
                      nw_stream_deliver_fn fn, void *arg)
{
    uint32_t gap;

    if (s->ooo == NULL) return;
    gap = s->ooo->seq - s->next_seq;
    (*lim->gaps)++;
    fn(arg, NULL, 0, gap);
    s->next_seq = s->ooo->seq;
    drain(s, lim, fn, arg);
}

static void enqueue(struct nw_stream *s, const struct nw_stream_limits *lim, uint32_t seq,
                    const uint8_t *p, size_t len, nw_stream_deliver_fn fn, void *arg)
{
    struct nw_seg **pp, *g;
    size_t sz = sizeof *g + len;

    /* bounds: make room by giving up on the oldest hole */
    while (s->ooo != NULL && (s->ooo_bytes + len > lim->max_ooo || *lim->used + sz > lim->memcap))
        skip_hole(s, lim, fn, arg);
    if (seqdiff(seq, s->next_seq) <= 0) { /* the skip made it in-order */
        deliver_from(s, seq, p, len, fn, arg);
        drain(s, lim, fn, arg);
        return;
    }
    if (len > lim->max_ooo || *lim->used + sz > lim->memcap || (g = nw_alloc(sz)) == NULL) {
        (*lim->memcap_drops)++;
        return;
    }
    g->seq = seq;
    g->len = (uint32_t)len;
    memcpy(g->data, p, len);
    for (pp = &s->ooo; *pp != NULL && seqdiff((*pp)->seq, seq) <= 0; pp = &(*pp)->next)
        ;
    g->next = *pp;
    *pp = g;
    s->ooo_bytes += (uint32_t)len;
    *lim->used += sz;
}

void nw__stream_segment(struct nw_stream *s, const struct nw_stream_limits *lim, uint32_t seq,
                        int syn, const uint8_t *p, size_t len, nw_stream_deliver_fn fn,
                        void *arg)
{
    if (syn) seq++;
    if (!s->init) {
        /* first segment of this direction; without a SYN we pick up mid-stream */
        s->next_seq = seq;
        s->init = 1;
    }
    if (len == 0) return;
    if (seqdiff(seq, s->next_seq) <= 0) {
        deliver_from(s, seq, p, len, fn, arg);
        drain(s, lim, fn, arg);
    } else {
        enqueue(s, lim, seq, p, len, fn, arg);
    }
}

void nw__stream_flush(struct nw_stream *s, const struct nw_stream_limits *lim,
                      nw_stream_deliver_fn fn, void *arg)
{
    while (s->ooo != NULL) skip_hole(s, lim, fn, arg);
}

void nw__stream_free(struct nw_stream *s, const struct nw_stream_limits *lim)
{
    while (s->ooo != NULL) seg_drop(s, lim);
}
