/*
 * output.c - builds one record at a time and fans it out to the sinks.
 * A record that runs out of memory or exceeds NW_RECORD_MAX is dropped
 * whole (never written half) and counted.
 */
#include "nw/output.h"

#include <string.h>

void nw_output_init(struct nw_output *o)
{
    memset(o, 0, sizeof *o);
    nw_buf_init(&o->buf, NW_RECORD_MAX);
}

void nw_output_fini(struct nw_output *o)
{
    for (int i = 0; i < o->nsinks; i++)
        if (o->sinks[i].close) o->sinks[i].close(o->sinks[i].self);
    o->nsinks = 0;
    nw_buf_fini(&o->buf);
}

int nw_output_add_sink(struct nw_output *o, const struct nw_sink *s)
{
    if (o->nsinks == NW_OUTPUT_MAX_SINKS) return NW_ELIMIT;
    o->sinks[o->nsinks++] = *s;
    return 0;
}

struct nw_buf *nw_output_begin(struct nw_output *o, const char *event_type, uint64_t ts_us,
                               uint64_t flow_id)
{
    struct nw_buf *b = &o->buf;

    nw_buf_reset(b);
    o->cur_type = event_type;
    nw_buf_putc(b, '{');
    nw_json_ktime(b, "timestamp", ts_us);
    if (flow_id) nw_json_kuint(b, "flow_id", flow_id);
    nw_json_kcstr(b, "event_type", event_type);
    return b;
}

static void count_type(struct nw_output *o, const char *t)
{
    for (int i = 0; i < o->ntypes; i++)
        if (o->types[i] == t || strcmp(o->types[i], t) == 0) {
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
    if (!nw_buf_ok(b)) {
        o->too_large++;
        return;
    }
    count_type(o, o->cur_type);
    for (int i = 0; i < o->nsinks; i++)
        if (o->sinks[i].write(o->sinks[i].self, o->cur_type, b->data, b->len) != 0)
            o->write_errors++;
}

int nw_output_flush(struct nw_output *o)
{
    int rc = 0;

    for (int i = 0; i < o->nsinks; i++)
        if (o->sinks[i].flush && o->sinks[i].flush(o->sinks[i].self) != 0) rc = NW_EIO;
    return rc;
}
