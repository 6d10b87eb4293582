/*
 * merge.c - frames of several live interfaces given out in timestamp order.
 *
 * A TAP that puts each direction of a link on its own port, read through
 * two interfaces, delivers each direction in blocks (TPACKET_V3 hands a
 * block over when it is full or 200 ms old): taken as they come, a server's
 * replies could reach the parsers before the requests they answer. Frames
 * are therefore copied into a queue per interface as they are read and
 * given out by timestamp: the oldest head goes once every interface still
 * capturing has a frame queued (each interface's own frames are in order,
 * so none can bring an older one), or once it is delay_us old by the wall
 * clock (a quiet interface must not hold the others), or when a queue is
 * full (memory is bounded; order may then suffer, never the frames).
 *
 * Each queue is a byte ring and a ring of entries; a frame never wraps (it
 * goes to the start when the end has no room), and an empty queue restarts
 * at offset 0.
 */
#include "nw/capture.h"

#include <string.h>

#define MERGE_MAX 16
#define MERGE_ENTS 16384u

struct ment {
    uint64_t ts_us;
    uint32_t off, caplen, wire_len;
};

struct mqueue {
    uint8_t *buf;
    size_t cap, head, tail; /* bytes: [head, tail), or [head, end) + [0, tail) */
    struct ment *ent;
    unsigned eh, en;        /* entries: first, count */
    int full;               /* a push failed: give out before more comes in */
};

struct nw_merge {
    int n;
    uint64_t delay_us;
    struct mqueue q[MERGE_MAX];
};

struct nw_merge *nw_merge_new(int n, size_t bytes, uint64_t delay_us)
{
    struct nw_merge *m;

    if (n < 1 || n > MERGE_MAX || bytes < 65536) return NULL;
    m = nw_calloc(1, sizeof *m);
    if (m == NULL) return NULL;
    m->n = n;
    m->delay_us = delay_us;
    for (int k = 0; k < n; k++) {
        m->q[k].cap = bytes;
        m->q[k].buf = nw_alloc(bytes);
        m->q[k].ent = nw_alloc(MERGE_ENTS * sizeof *m->q[k].ent);
        if (m->q[k].buf == NULL || m->q[k].ent == NULL) {
            nw_merge_free(m);
            return NULL;
        }
    }
    return m;
}

void nw_merge_free(struct nw_merge *m)
{
    if (m == NULL) return;
    for (int k = 0; k < m->n; k++) {
        nw_free(m->q[k].buf);
        nw_free(m->q[k].ent);
    }
    nw_free(m);
}

int nw_merge_push(struct nw_merge *m, int k, const struct nw_frame *f)
{
    struct mqueue *q = &m->q[k];
    size_t len = f->caplen ? f->caplen : 1, off;
    struct ment *e;

    if (q->en == MERGE_ENTS || len > q->cap) goto full;
    if (q->en == 0) {
        q->head = q->tail = 0;
        off = 0;
    } else if (q->tail > q->head) { /* not wrapped: the end, else the start */
        if (q->cap - q->tail >= len) off = q->tail;
        else if (len <= q->head) off = 0;
        else goto full;
    } else { /* wrapped: between the tail and the head */
        if (q->head - q->tail < len) goto full;
        off = q->tail;
    }
    memcpy(q->buf + off, f->data, f->caplen);
    q->tail = off + len;
    e = &q->ent[(q->eh + q->en++) % MERGE_ENTS];
    e->ts_us = f->ts_us;
    e->off = (uint32_t)off;
    e->caplen = f->caplen;
    e->wire_len = f->wire_len;
    return 0;
full:
    q->full = 1;
    return NW_ELIMIT;
}

int nw_merge_next(struct nw_merge *m, uint64_t now_us, const int *waiting, struct nw_frame *f,
                  int *src)
{
    int best = -1, due = now_us == UINT64_MAX;
    struct mqueue *q;
    struct ment *e;

    for (int k = 0; k < m->n; k++) {
        q = &m->q[k];
        if (q->en == 0) {
            if (waiting[k]) due |= 2; /* it may still bring an older frame */
            continue;
        }
        due |= q->full;
        if (best < 0 || q->ent[q->eh].ts_us < m->q[best].ent[m->q[best].eh].ts_us) best = k;
    }
    if (best < 0) return 0;
    q = &m->q[best];
    e = &q->ent[q->eh];
    if (due == 2 && e->ts_us + m->delay_us > now_us) return 0;
    f->ts_us = e->ts_us;
    f->data = q->buf + e->off;
    f->caplen = e->caplen;
    f->wire_len = e->wire_len;
    *src = best;
    q->eh = (q->eh + 1) % MERGE_ENTS;
    q->full = 0;
    if (--q->en == 0) q->head = q->tail = 0; /* the frame's bytes stay until the next push */
    else q->head = q->ent[q->eh].off;
    return 1;
}
