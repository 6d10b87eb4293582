/*
 * clickhouse.h - the ClickHouse record sink, its crash-safe local spool, and
 * queries against ClickHouse (`netwarden query --clickhouse URL`).
 *
 * Data path: records are batched in memory (bounded by count, bytes and age),
 * each closed batch is written to the spool as one fsync'd file named by its
 * sequence number, and a sender thread inserts spooled batches into
 * ClickHouse strictly in sequence order over HTTP (JSONEachRow), deleting a
 * file only after ClickHouse acknowledged it. Every row carries
 * (sensor, batch_seq, batch_idx), so a batch whose outcome is uncertain
 * (timeout, crash) is reconciled against the table before it is re-sent:
 * no loss, no duplicates. docs/clickhouse.md gives the full argument.
 *
 * Compatible with ClickHouse 18.16 and later (no DateTime64: time is kept as
 * UInt64 microseconds next to a DateTime in seconds).
 */
#ifndef NW_CLICKHOUSE_H
#define NW_CLICKHOUSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nw/core.h"
#include "nw/output.h"

struct nw_query; /* nw/query.h */

/* ---- URL --------------------------------------------------------------- */

/*
 * clickhouse://[USER[:PASSWORD]@]HOST[:PORT][/DB][?k=v&k=v]
 * PORT defaults to 8123 (the HTTP interface), DB to "netwarden". Parameters:
 *   spool=DIR        spool directory (default DATA_DIR/spool/clickhouse)
 *   spool_max=BYTES  spool bound, K/M/G suffixes (default 1G)
 *   batch=N          records per batch (default 10000, 1..1000000)
 *   batch_bytes=B    bytes per batch (default 4M, 4K..64M)
 *   batch_ms=MS      batch age bound (default 1000, 1..600000)
 *   drain_s=S        at close, how long to wait for the spool to drain (default 30)
 *   timeout_ms=MS    connect/read timeout per request (default 10000)
 */
struct nw_ch_url {
    char host[256];
    unsigned port;
    char db[64];      /* [A-Za-z0-9_] only, so it is safe inside SQL */
    char user[64];
    char password[128];
    char spool[1024]; /* "" = not given */
    uint64_t spool_max;
    uint32_t batch;
    uint32_t batch_bytes;
    uint32_t batch_ms;
    uint32_t drain_s;
    uint32_t timeout_ms;
};

/* Parse url into u. Returns 0 or NW_EINVAL with err naming the bad part. */
int nw_ch_url_parse(const char *url, struct nw_ch_url *u, struct nw_err *err);

/* ---- the record sink --------------------------------------------------- */

/*
 * Attach a ClickHouse sink. spool_dir overrides the URL's spool= parameter;
 * when both are absent data_dir/spool/clickhouse is used (data_dir NULL =
 * /var/lib/netwarden). Opens (and recovers) the spool, starts the sender
 * thread; ClickHouse need not be up (batches wait in the spool). The tables
 * are created on the first successful connection. Batches left in the spool
 * by an earlier run are replayed first, in order.
 * Returns 0, or NW_E* with err (bad URL, spool unusable or locked by another
 * process). Caller releases with s->close(s->self) (nw_output_fini does):
 * that flushes the open batch and waits up to drain_s for the spool to drain;
 * what is left stays in the spool for the next run (reported on stderr).
 * write() must be called from one thread.
 */
int nw_clickhouse_sink_open(struct nw_sink *s, const char *url, const char *spool_dir,
                            const char *data_dir, struct nw_err *err);

/* Counters of one sink (for summaries and tests). */
struct nw_ch_stats {
    uint64_t records;        /* given to the sink */
    uint64_t batches_spooled;
    uint64_t batches_sent;   /* acknowledged by ClickHouse */
    uint64_t records_sent;
    uint64_t rows_reconciled; /* found already present when re-sending */
    uint64_t send_failures;
    uint64_t spool_full;     /* records dropped because the spool was full */
    uint64_t bad_records;    /* lines that are not a JSON object with a timestamp */
    uint64_t pending_batches; /* still in the spool */
};
/* Snapshot of the sink's counters (s from nw_clickhouse_sink_open). Thread-safe. */
void nw_clickhouse_sink_stats(const struct nw_sink *s, struct nw_ch_stats *st);

/* ---- queries ----------------------------------------------------------- */

struct nw_ch_query_stats {
    uint64_t rows_read;     /* rows ClickHouse returned */
    uint64_t rows_matched;  /* after the exact filter (nw_query_match) */
    uint64_t duplicates;    /* identical (sensor, batch_seq, batch_idx) skipped */
};

/*
 * Translate q into one SELECT (all user text escaped) and append it to out
 * (NUL-terminated, at most outsz bytes). Returns the length or NW_ELIMIT.
 */
int nw_ch_query_sql(const struct nw_ch_url *u, const struct nw_query *q, char *out,
                    size_t outsz);

/*
 * Run q against url; call on_record(arg, line, len) for each matching record
 * (the original JSON line, without newline) in time order, at most q->limit
 * of them. on_record returns non-zero to stop. Returns 0, or NW_E* with err
 * (unreachable server, ClickHouse error in one line, bad response).
 */
int nw_clickhouse_query(const char *url, const struct nw_query *q,
                        int (*on_record)(void *arg, const char *line, size_t len), void *arg,
                        struct nw_ch_query_stats *st, struct nw_err *err);

/*
 * `netwarden query --clickhouse URL`: run q and print the records to out in
 * q->format (json = the original lines), errors as one line on stderr, and
 * with stats a summary line. Returns the command's exit code (0; 2 bad URL
 * or no such table; 3 server unreachable, server error, output failure).
 */
int nw_clickhouse_query_print(const char *url, const struct nw_query *q, FILE *out, int stats);

/* ---- the spool (crash-safe FIFO of batch files) ------------------------ */

/*
 * One directory. Files: "id" (random sensor id, 32 hex), "epoch" (bumped and
 * fsync'd at every open), "lock" (flock), and "<seq:016x>.batch": a 32-byte
 * header (magic "NWSPOOL1", seq, record count, payload length, CRC-32) and the
 * payload. A batch is written as a .tmp file, fsync'd, renamed and the
 * directory fsync'd, so after a crash at any moment each batch is either
 * whole or absent. Sequence numbers are epoch << 32 | n: strictly increasing
 * across runs without an fsync per number. Producer (put) and consumer
 * (peek/drop) may be different threads.
 */
struct nw_spool;

struct nw_spool_batch {
    uint64_t seq;
    uint32_t nrec;
    char *data;  /* payload; owned by the caller's buffer (see peek) */
    size_t len;
};

/*
 * Open or create dir (parents too), take its lock, bump the epoch, delete
 * leftover .tmp files, and index the batches present. max_bytes bounds the
 * payload bytes held. Caller frees with nw_spool_close(). Returns 0 or NW_E*.
 */
int nw_spool_open(struct nw_spool **out, const char *dir, uint64_t max_bytes,
                  struct nw_err *err);
void nw_spool_close(struct nw_spool *s);
const char *nw_spool_id(const struct nw_spool *s);   /* 32 hex characters */
/* Reserve the next sequence number (producer). */
uint64_t nw_spool_next_seq(struct nw_spool *s);
/*
 * Durably store a batch with a sequence reserved by nw_spool_next_seq (in
 * increasing order). Returns 0; NW_ELIMIT when it would exceed max_bytes
 * (nothing written); NW_EIO with err.
 */
int nw_spool_put(struct nw_spool *s, uint64_t seq, const char *data, size_t len, uint32_t nrec,
                 struct nw_err *err);
/*
 * Read the oldest batch into buf (bufsz bytes, must hold the largest payload
 * put). b->data points into buf. Returns 0; NW_ENOENT when empty. A damaged
 * file (bad magic/CRC/length) is renamed to .bad, counted, and skipped.
 * Allocation-free, so it can run on a thread other than the pipeline's.
 */
int nw_spool_peek(struct nw_spool *s, struct nw_spool_batch *b, char *buf, size_t bufsz,
                  struct nw_err *err);
/* Delete batch seq (the oldest, after ClickHouse acknowledged it). */
int nw_spool_drop(struct nw_spool *s, uint64_t seq);
/* Batches and payload bytes currently held; damaged files set aside. */
void nw_spool_pending(struct nw_spool *s, uint64_t *batches, uint64_t *bytes, uint64_t *bad);

/* ---- response parsing (fuzzed: fuzz/fuzz_chresp.c) --------------------- */

/*
 * Condense a ClickHouse error body ("Code: 62, e.displayText() =
 * DB::Exception: Syntax error: ..., e.what() = DB::Exception\n" and newer
 * forms) into one printable line in out (outsz >= 2): "code 62: Syntax
 * error: ...". Non-printable bytes become '?'; long text is cut with "...".
 * Returns the length written.
 */
size_t nw_ch_error_line(const char *body, size_t len, char *out, size_t outsz);

/*
 * Incremental RowBinary reader for rows of (sensor String, batch_seq UInt64,
 * batch_idx UInt32, line String). Feed bytes as they arrive; complete rows
 * are passed to on_row. Strings longer than max_str fail with NW_EFORMAT.
 */
struct nw_ch_rowbin {
    char *buf;        /* pending bytes of an incomplete row (caller allocates cap) */
    size_t len, cap;
    int (*on_row)(void *arg, const char *sensor, size_t sensor_len, uint64_t seq,
                  uint32_t idx, const char *line, size_t line_len);
    void *arg;
};
/* Returns 0; the on_row result if non-zero; NW_EFORMAT for a malformed stream
 * or a row that does not fit in cap. */
int nw_ch_rowbin_feed(struct nw_ch_rowbin *r, const char *p, size_t n);

#endif /* NW_CLICKHOUSE_H */
