/*
 * store.h - the embedded audit-record store: append-only, day-partitioned,
 * zstd-compressed, indexed, tamper-evident (SHA-256 chain, optional Ed25519
 * signatures). Format and policies: docs/internals/store.md; user guide:
 * docs/store.md.
 *
 * Layout of a store directory DIR:
 *   DIR/STORE                 identity (format version, random store id)
 *   DIR/LOCK                  flock()ed by the one writer
 *   DIR/chain                 the hash chain: one line per segment opened,
 *                             sealed, or day partition expired
 *   DIR/YYYY-MM-DD/NNNNNNNNNNNN.nws  segments of one UTC day (by record time)
 *   DIR/reserve               space kept back to write the disk-full alarm
 *
 * Records are EVE JSON lines. A record is stored byte-exact WITHOUT its
 * trailing '\n' and delivered by the scan the same way (no newline).
 *
 * Threads: one writer per directory (enforced with flock; a second writer
 * gets NW_EINVAL "in use"). A struct nw_store is not thread-safe. Scans and
 * verify may run from any process at any time, also while a writer runs;
 * they never block the writer.
 *
 * Stability: S2 (query) and S3 build on this header; the scan API is frozen
 * and changes are additive (see the change log at the bottom).
 */
#ifndef NW_STORE_H
#define NW_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nw/core.h"

struct nw_sink;

/* Legal floor: MPS Order No. 82 art. 13 (at least 60 days of record backup). */
#define NW_STORE_MIN_RETENTION_DAYS 60
#define NW_STORE_DEFAULT_RETENTION_DAYS 180

/* ---------------------------------------------------------------- scan -- */

/*
 * What to read. A block is decompressed only if its [min,max] time overlaps
 * [since_us, until_us) and, for every group, at least one key of the group
 * may be present in the block's filter (bloom: false positives possible,
 * never false negatives). Records of a read block are delivered after an
 * exact per-record time check (since <= ts < until); key filtering is only
 * a skip, so on_record must still apply the exact filter.
 */
struct nw_store_scan {
    uint64_t since_us, until_us;      /* [since, until); 0 / UINT64_MAX = open */
    const char *const *const *groups; /* AND of OR-groups of index keys; each group a
                                         NULL-terminated array; NULL/0 = no key filter */
    size_t ngroups;
    /* One record: line/len without the trailing '\n' (byte-identical to what was
     * appended), ts_us its `timestamp`. Return non-zero to stop the scan (the
     * scan then returns 0). line is valid only during the call. */
    int (*on_record)(void *arg, const char *line, size_t len, uint64_t ts_us);
    void *arg;
    /* v3, optional byte prefilter (NULL or "" = none). When set, a record of a
     * read block is delivered only if its line contains these bytes OR contains
     * a backslash anywhere. The backslash rule makes it safe for "a JSON string
     * value, unescaped, contains TEXT": a line without '\\' has every string
     * value as its raw bytes, so it can only match if it contains TEXT verbatim.
     * The block is searched once (not record by record); records without a
     * candidate are never handed to on_record (on_record still applies the
     * exact filter). Must not contain '\n' (NW_EINVAL). */
    const char *must_contain;
    /* v4, optional event-type hint: a NULL-terminated list of `event_type`
     * names (NULL or empty = all types). When every name is an identity type
     * (session, alarm, maintenance), blocks written with the identity frame
     * (docs/internals/store.md, enc 2) are read and decompressed only
     * through that small frame, and only its records of
     * those types are delivered — plus any record whose event_type the writer
     * could not name (escaped, repeated or missing), so the delivered set is
     * a SUPERSET: on_record must still check event_type exactly. Order stays
     * append order. Other blocks (enc 0/1, older stores) and lists naming
     * any other type are read whole, and then every record is delivered as
     * without only_types. */
    const char *const *only_types;
};

struct nw_store_scan_stats {
    uint64_t partitions;         /* day partitions overlapping the time range */
    uint64_t segments;           /* segments considered */
    uint64_t blocks;             /* blocks considered */
    uint64_t blocks_skipped_time;
    uint64_t blocks_skipped_keys; /* v4: also blocks holding no record of only_types */
    uint64_t blocks_read;        /* decompressed */
    uint64_t bytes_read;         /* compressed bytes read from disk (blocks + filters) */
    uint64_t bytes_decompressed; /* raw JSON bytes produced */
    uint64_t records;            /* delivered to on_record */
    uint64_t damaged;            /* blocks that failed their checks and were skipped */
    uint64_t records_prefiltered; /* v3: records of read blocks skipped by must_contain */
    uint64_t blocks_ident_only;   /* v4: read blocks of which only the identity frame was
                                     read (included in blocks_read; bytes_read and
                                     bytes_decompressed count that frame alone) */
};

/*
 * Scan the store in DIR. Order: partitions (UTC days) ascending; inside a
 * partition, segments in creation order, blocks and records in APPEND order
 * (audit appends in near-time order; flow records carry their start time, so
 * order within a day is not strictly by timestamp). Sees every flushed
 * record, including those of active (unsealed) segments. A damaged block is
 * skipped and counted in st->damaged (use `netwarden verify` to diagnose).
 * st may be NULL; it is zeroed first. Returns 0 (also when on_record stopped
 * the scan), NW_ENOENT if DIR is not a store, NW_EIO on read errors,
 * NW_ENOMEM; err says what and where. Thread-safe (no shared state).
 */
int nw_store_scan(const char *dir, const struct nw_store_scan *s, struct nw_store_scan_stats *st,
                  struct nw_err *err);

/*
 * The index keys of one record, as the writer derives them (so tests and S2
 * can check the contract in docs/notes/store_design.md): calls on_key for
 * each key (duplicates possible). Returns 0, or NW_EFORMAT for a line that
 * is not a valid JSON object (keys found before the fault may have been
 * reported).
 */
int nw_store_index_keys(const char *line, size_t len,
                        void (*on_key)(void *arg, const char *key, size_t keylen), void *arg);

/* -------------------------------------------------------------- writer -- */

enum nw_store_fsync {
    NW_STORE_FSYNC_NEVER = 0, /* leave it to the kernel (tests, bulk import) */
    NW_STORE_FSYNC_INTERVAL,  /* fdatasync at most once per flush interval (default) */
    NW_STORE_FSYNC_ALWAYS     /* fdatasync after every block written */
};

struct nw_store_opts {
    uint64_t block_bytes;     /* raw JSON bytes per block before it is cut (1 MiB) */
    uint64_t segment_bytes;   /* seal a segment once its file reaches this (64 MiB) */
    uint64_t segment_seconds; /* seal a segment this long after it was created (3600) */
    uint64_t flush_ms;        /* write a partial block when its oldest record is this
                                 old (wall clock), checked on append and tick (1000) */
    int fsync;                /* enum nw_store_fsync (INTERVAL) */
    int level;                /* zstd level 1..19 (1) */
    uint32_t retention_days;  /* 0 = no retention pass; else >= 60 (180) */
    uint64_t reserve_bytes;   /* kept free for the disk-full alarm (1 MiB) */
    const char *sign_key;     /* Ed25519 secret key file (outside DIR) or NULL */
    uint64_t (*clock)(void *arg); /* "now" in us for retention/seal age/flush; NULL = real */
    void *clock_arg;
    int quiet;                /* no notices on stderr (errors still printed) */
};

void nw_store_opts_defaults(struct nw_store_opts *o);

/* Refuse retention below the legal floor: 0 or NW_EINVAL with the reason in err. */
int nw_store_check_retention(uint64_t days, struct nw_err *err);

struct nw_store;

/*
 * Open (creating if needed) the store in dir for writing. Recovers after a
 * crash: torn block tails are truncated, open segments are sealed and
 * chained, and one line on stderr says what was recovered. Then runs the
 * retention pass (opts->retention_days), so NOTE for tests and benchmarks
 * with old timestamps: reopening a store deletes every day partition older
 * than retention_days before the clock (opts->clock, else the real time);
 * pass a clock near the data (`import --now`) to keep them. Records older
 * than the retention appended after open stay until the next pass (daily).
 * Caller frees with nw_store_close().
 * Returns 0, NW_EINVAL (bad options, store in use by another writer, not a
 * store), NW_EIO, NW_ENOMEM; err says what and what to do.
 */
int nw_store_open(struct nw_store **out, const char *dir, const struct nw_store_opts *opts,
                  struct nw_err *err);

/*
 * Append one record (a JSON object on one line; a trailing '\n' is dropped
 * and not stored). Its `timestamp` picks the day partition. Returns 0;
 * NW_EFORMAT (not one JSON object / no valid timestamp: nothing stored,
 * counted as rejected); NW_EIO when writing has stopped (disk full or I/O
 * error: the record is counted as missed; the error was reported once).
 */
int nw_store_append(struct nw_store *s, const char *line, size_t len, struct nw_err *err);

/* Write out pending records now (a partial block); sync also fdatasyncs. */
int nw_store_flush(struct nw_store *s, int sync, struct nw_err *err);

/*
 * Periodic housekeeping, call about once a second (audit's tick does):
 * flush by age, seal by age, retry after disk full, retention once a day.
 */
int nw_store_tick(struct nw_store *s);

/*
 * Retention pass with "now" = now_us: every day partition whose whole day
 * ended at least retention_days before now is deleted (never a younger
 * one), each deletion chained and recorded as a `maintenance` record.
 * Returns the number of partitions deleted, or NW_E*.
 */
int nw_store_retention(struct nw_store *s, uint64_t now_us, struct nw_err *err);

/* Flush, seal every active segment, release the lock, free. NULL is a no-op. */
int nw_store_close(struct nw_store *s, struct nw_err *err);

struct nw_store_stats {
    uint64_t records;          /* appended and accepted */
    uint64_t flushed;          /* records written to segment files (survive kill -9) */
    uint64_t rejected;         /* not a JSON object / no timestamp */
    uint64_t missed;           /* accepted but not stored (disk full, I/O error) */
    uint64_t bytes_in;         /* raw record bytes accepted */
    uint64_t bytes_written;    /* compressed bytes written (blocks, footers) */
    uint64_t blocks;
    uint64_t segments_sealed;
    uint64_t partitions_expired;
    int stopped;               /* 1 while writing is stopped (disk full / I/O error) */
};
void nw_store_get_stats(const struct nw_store *s, struct nw_store_stats *st);

/*
 * The store as a record sink for nw_output (audit --store). Caller frees with
 * s->close. write() returns NW_EIO while writing is stopped.
 */
int nw_store_sink_open(struct nw_sink *sink, const char *dir, const struct nw_store_opts *opts,
                       struct nw_err *err);

/* -------------------------------------------------------------- verify -- */

/*
 * Check DIR completely: the chain (every line's hash, and its signature when
 * pubkey_file is given — then every sealed segment must be signed), every
 * sealed segment's size and SHA-256, header, blocks and footer; active
 * segments' blocks. Progress/details go to report (may be NULL). Returns 0
 * intact, 1 with err naming the first segment (or chain line) altered,
 * removed, reordered or truncated, or NW_E* (err) when the check itself
 * could not run (no store, unreadable key).
 */
int nw_store_verify(const char *dir, const char *pubkey_file, FILE *report, struct nw_err *err);

/*
 * Generate an Ed25519 key pair: secret key to path (mode 0600, refuses to
 * overwrite), public key to path.pub. Returns 0 or NW_E* with err.
 */
int nw_store_keygen(const char *path, struct nw_err *err);

/*
 * Index keys: those of notes/store_design.md, plus (v2)
 *   session.ip:<canonical address>  the src_ip of `session` records only.
 * Use it for "who had IP X": the group {"session.ip:X"} skips every block
 * without a session record for X, where type:session AND ip:X cannot (a block
 * holds both keys, from different records). Canonical address text: IPv4
 * dotted quad, IPv6 RFC 5952 (as nw_fmt_ip writes it).
 *
 * Change log (additive only):
 *  v1  scan API, writer, sink, verify, keygen, index_keys.
 *  v2  index key session.ip:<addr>; block filters are salted per block (internal).
 *  v3  struct nw_store_scan.must_contain (byte prefilter run once over each
 *      decompressed block; records with a backslash always pass) and
 *      nw_store_scan_stats.records_prefiltered.
 *  v4  struct nw_store_scan.only_types (identity records have their own frame
 *      in each block; a scan for those types reads only it) and
 *      nw_store_scan_stats.blocks_ident_only. Blocks with no record of the
 *      wanted types are then counted in blocks_skipped_keys.
 */

#endif /* NW_STORE_H */
