/*
 * output.c - builds one record at a time and fans it out to the sinks.
 * A record that runs out of memory or exceeds NW_RECORD_MAX is dropped
 * whole (never written half) and counted.
 *
 * With a batch sink (the EVE file) records are built one after another in
 * the same buffer and handed over NW_OUTPUT_BATCH bytes at a time, so the
 * bytes are written where they were formatted: no copy into a stdio buffer.
 */
#include "nw/output.h"

#include <string.h>

void nw_output_init(struct nw_output *o)
{
    memset(o, 0, sizeof *o);
    nw_buf_init(&o->buf, NW_OUTPUT_BATCH + NW_RECORD_MAX);
}

/* Give the finished records to the batch sinks; a record being built (a
 * flush from inside a parser) moves to the front of the buffer. */
static void push_batch(struct nw_output *o)
{
    struct nw_buf *b = &o->buf;
    size_t tail;

    if (o->batch_recs == 0) return;
    for (int i = 0; i < o->nsinks; i++)
        if (o->sinks[i].write_batch &&
            o->sinks[i].write_batch(o->sinks[i].self, b->data, o->rec_start) != 0)
            o->write_errors += o->batch_recs;
    o->batch_recs = 0;
    tail = b->len - o->rec_start;
    if (tail) memmove(b->data, b->data + o->rec_start, tail);
    b->len = tail;
    o->rec_start = 0;
}

void nw_output_fini(struct nw_output *o)
{
    push_batch(o);
    for (int i = 0; i < o->nsinks; i++)
        if (o->sinks[i].close) o->sinks[i].close(o->sinks[i].self);
    o->nsinks = 0;
    nw_buf_fini(&o->buf);
}

int nw_output_add_sink(struct nw_output *o, const struct nw_sink *s)
{
    if (o->nsinks == NW_OUTPUT_MAX_SINKS) return NW_ELIMIT;
    if ((s->write == NULL) == (s->write_batch == NULL)) return NW_EINVAL;
    push_batch(o);
    o->sinks[o->nsinks++] = *s;
    if (s->write_batch) o->nbatch++;
    return 0;
}

struct nw_buf *nw_output_begin(struct nw_output *o, const char *event_type, uint64_t ts_us,
                               uint64_t flow_id)
{
    struct nw_buf *b = &o->buf;
    char ts[NW_TIME_BUFSZ], id[20];
    size_t tl, il = 0, el = strlen(event_type), n;
    char *p;

    /* the records before this one stay while batch sinks wait for them */
    if (o->nbatch == 0) nw_buf_reset(b);
    o->rec_start = b->len;
    o->cur_type = event_type;
    if (!nw_json_plain(event_type, el)) { /* event types are literals: never so far */
        nw_buf_putc(b, '{');
        nw_json_ktime(b, "timestamp", ts_us);
        if (flow_id) nw_json_kuint(b, "flow_id", flow_id);
        nw_json_kcstr(b, "event_type", event_type);
        return b;
    }
    /* {"timestamp":"T","flow_id":N,"event_type":"E" sized exactly and
     * written with one reservation (the bytes of the keyed writers) */
    tl = nw_time_rfc3339(ts_us, ts);
    if (flow_id) il = nw_fmt_uint(id, flow_id);
    n = sizeof "{\"timestamp\":\"" - 1 + tl + sizeof "\",\"event_type\":\"" - 1 + el + 1;
    if (flow_id) n += sizeof ",\"flow_id\":" - 1 + il;
    if (nw_buf_reserve(b, n) != 0) return b;
    p = nw_put_bytes(NW_PUT_LIT(b->data + b->len, "{\"timestamp\":\""), ts, tl);
    *p++ = '"';
    if (flow_id) p = nw_put_bytes(NW_PUT_LIT(p, ",\"flow_id\":"), id, il);
    p = nw_put_bytes(NW_PUT_LIT(p, ",\"event_type\":\""), event_type, el);
    *p++ = '"';
    b->len = (size_t)(p - b->data);
    return b;
}

static void count_type(struct nw_output *o, const char *t)
{
    /* types are nearly always the same literals: match pointers over all
     * slots before comparing text (a strcmp per slot passed was ~1 % of
     * the instructions) */
    for (int i = 0; i < o->ntypes; i++)
        if (o->types[i] == t) {
            o->counts[i]++;
            return;
        }
    for (int i = 0; i < o->ntypes; i++)
        if (strcmp(o->types[i], t) == 0) {
            o->counts[i]++;
            return;
        }
    if (o->ntypes < NW_OUTPUT_MAX_TYPES) {
        o->types[o->ntypes] = t;
        o->counts[o->ntypes++] = 1;
    }
}

void nw_output_end(struct nw_output *o)
{
    struct nw_buf *b = &o->buf;

    nw_buf_append(b, "}\n", 2);
    if (!nw_buf_ok(b) || b->len - o->rec_start > NW_RECORD_MAX) {
        if (b->oom == NW_BUF_NOMEM) o->nomem++; /* not the record's size: memory ran out */
        else o->too_large++;
        nw_buf_truncate(b, o->rec_start); /* the batch before it stays whole */
        return;
    }
    count_type(o, o->cur_type);
    for (int i = 0; i < o->nsinks; i++)
        if (o->sinks[i].write && o->sinks[i].write(o->sinks[i].self, o->cur_type,
                                                   b->data + o->rec_start,
                                                   b->len - o->rec_start) != 0)
            o->write_errors++;
    if (o->nbatch == 0) return;
    o->batch_recs++;
    o->rec_start = b->len;
    if (b->len >= NW_OUTPUT_BATCH) push_batch(o);
}

int nw_output_flush(struct nw_output *o)
{
    int rc = 0;

    push_batch(o);
    for (int i = 0; i < o->nsinks; i++)
        if (o->sinks[i].flush && o->sinks[i].flush(o->sinks[i].self) != 0) rc = NW_EIO;
    return rc;
}

void nw_output_reopen(struct nw_output *o)
{
    push_batch(o); /* the records so far belong in the file being rotated away */
    for (int i = 0; i < o->nsinks; i++)
        if (o->sinks[i].reopen) o->sinks[i].reopen(o->sinks[i].self);
}
