/*
 * output.h - the record sink layer. Every record is one JSON object on one
 * line (EVE style). Producers call nw_output_begin(), write their fields into
 * the returned buffer, and nw_output_end() hands the finished line to every
 * attached sink (EVE file today; the store and ClickHouse later).
 *
 * Records are built one at a time in a buffer owned by the output; begin/end
 * must pair and do not nest. Not thread-safe: one output per pipeline thread.
 */
#ifndef NW_OUTPUT_H
#define NW_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "nw/core.h"
#include "nw/json.h"

#define NW_OUTPUT_MAX_TYPES 32
#define NW_OUTPUT_MAX_SINKS 4
#define NW_RECORD_MAX (1u << 20) /* a record larger than 1 MiB is dropped and counted */
/* Records for write_batch sinks collect in the output's buffer up to this:
 * small enough that the kernel's copy of a write finds it in L2. */
#define NW_OUTPUT_BATCH (256u << 10)

/* A destination for finished record lines: it takes each record (write) or
 * whole batches of them (write_batch), one of the two. */
struct nw_sink {
    const char *name;
    /* line includes the trailing '\n'. Returns 0 or NW_E*; on error the sink
     * keeps counting failures and the pipeline continues. */
    int (*write)(void *self, const char *event_type, const char *line, size_t len);
    /* Whole lines, in order, straight from the output's buffer (no copy):
     * up to NW_OUTPUT_BATCH bytes and at least one record, or what is
     * pending at a flush. Returns 0 or NW_E*, as write. */
    int (*write_batch)(void *self, const char *data, size_t len);
    int (*flush)(void *self);
    /* Optional: open the sink's file again by its path (after log rotation
     * moved it); on failure the sink keeps writing where it did. */
    int (*reopen)(void *self);
    void (*close)(void *self);
    void *self;
};

struct nw_output {
    struct nw_buf buf;
    const char *cur_type;
    struct nw_sink sinks[NW_OUTPUT_MAX_SINKS];
    int nsinks;
    int nbatch;           /* sinks taking write_batch */
    size_t rec_start;     /* the current record's offset in buf */
    uint64_t batch_recs;  /* records in buf not yet given to batch sinks */
    uint64_t write_errors;
    uint64_t too_large;
    uint64_t nomem;       /* records dropped because their buffer could not grow */
    /* per event type counters, for the end-of-run summary */
    const char *types[NW_OUTPUT_MAX_TYPES];
    uint64_t counts[NW_OUTPUT_MAX_TYPES];
    int ntypes;
};

void nw_output_init(struct nw_output *o);
void nw_output_fini(struct nw_output *o); /* closes sinks */
int nw_output_add_sink(struct nw_output *o, const struct nw_sink *s);
/*
 * Start a record: writes {"timestamp":..,["flow_id":..,]"event_type":"..".
 * event_type must be a string literal or otherwise outlive the output.
 * flow_id 0 = none.
 */
struct nw_buf *nw_output_begin(struct nw_output *o, const char *event_type, uint64_t ts_us,
                               uint64_t flow_id);
/* Close the object, count it and pass it to the sinks. */
void nw_output_end(struct nw_output *o);
/* Hand pending batches over, then flush every sink. */
int nw_output_flush(struct nw_output *o);
/* Hand over what is pending, then reopen every sink that can (SIGHUP). */
void nw_output_reopen(struct nw_output *o);

/* The EVE JSON-lines file sink. path "-" = stdout. Caller frees with close. */
int nw_eve_sink_open(struct nw_sink *s, const char *path, int append, struct nw_err *err);

#endif /* NW_OUTPUT_H */
