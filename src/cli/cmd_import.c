/*
 * cmd_import.c - `netwarden import --store DIR FILE...`: EVE JSON lines
 * (ours, or Suricata's eve.json as it is) into the store, under the same
 * guarantees as audit's records.
 *
 * Lines that are not one valid JSON object with an RFC 3339 `timestamp`
 * are not stored: they are counted and the first 20 are reported as
 * FILE:LINE: reason. Blank lines are skipped. A line longer than 1 MiB is
 * rejected. Exit codes: 0 all stored; 2 usage, unreadable input or some
 * lines rejected (the rest is stored); 3 the store stopped writing (disk
 * full, I/O) — the count of missed records is printed.
 *
 * Input that is not a regular file (`tail -F eve.json | netwarden import -`,
 * a FIFO) can stay quiet for hours: while it does, the store's housekeeping
 * still runs every second, so what was read is written and synced within
 * the flush interval instead of waiting in memory for the next line.
 * SIGINT, SIGTERM and SIGHUP end the import cleanly: what was read is
 * stored, the segments are sealed, and the summary says where it stopped.
 *
 * Also holds nw_cli_store_opts(), the config -> store options mapping that
 * audit shares.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "nw/clickhouse.h"
#include "nw/config.h"
#include "nw/jsonscan.h"
#include "nw/store.h"

#define MAX_FILES 1024
#define CHUNK (4u << 20)
#define REPORT_MAX 20

void nw_cli_store_opts(const struct nw_config *c, struct nw_store_opts *o)
{
    nw_store_opts_defaults(o);
    o->retention_days = (uint32_t)c->store_retention_days;
    o->level = (int)c->store_level;
    o->block_bytes = c->store_block_size;
    o->flush_ms = c->store_flush_interval * 1000;
    o->fsync = c->store_fsync ? NW_STORE_FSYNC_INTERVAL : NW_STORE_FSYNC_NEVER;
    o->sign_key = c->store_sign_key && c->store_sign_key[0] ? c->store_sign_key : NULL;
}

enum { I_STORE, I_CONFIG, I_SIGN, I_RETENTION, I_LEVEL, I_BLOCK, I_NOW, I_NOFSYNC, I_FLUSHED,
       I_QUIET, I_OUTPUT, I_HELP };
static const struct nw_cli_opt import_opts[] = {
    [I_STORE] = {"store", 0, "DIR", "the store to write (created if missing)"},
    [I_CONFIG] = {"config", 'c', "FILE", "configuration file (default " NW_CONFIG_DEFAULT_PATH
                                         " if it exists)"},
    [I_SIGN] = {"sign-key", 0, "FILE", "sign the chain with this Ed25519 secret key"
                                       " (store.sign_key)"},
    [I_RETENTION] = {"retention-days", 0, "N", "keep records N days (>= 60; store.retention_days)"},
    [I_LEVEL] = {"level", 0, "N", "zstd level 1..19 (store.compression_level)"},
    [I_BLOCK] = {"block-size", 0, "BYTES", "raw bytes per block (store.block_size)"},
    [I_NOW] = {"now", 0, "TIME", "run retention as if it were TIME (RFC 3339 or @epoch; tests)"},
    [I_NOFSYNC] = {"no-fsync", 0, NULL, "do not fdatasync until the end (bulk loads)"},
    [I_FLUSHED] = {"report-flushed", 0, "FILE", "append 'flushed N' to FILE each time records "
                                                "reach the disk (crash tests)"},
    [I_QUIET] = {"quiet", 'q', NULL, "no summary"},
    [I_OUTPUT] = {"output", 0, "URL", "also send the stored records to clickhouse://HOST:PORT/DB"},
    [I_HELP] = {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

struct import_args {
    const char *files[MAX_FILES];
    int nfiles;
    const char *store, *config, *sign, *retention, *level, *block, *now, *flushed, *output;
    int nofsync, quiet, help;
};

static int on_opt(void *arg, int idx, const char *v)
{
    struct import_args *a = arg;

    switch (idx) {
    case I_STORE: a->store = v; break;
    case I_CONFIG: a->config = v; break;
    case I_SIGN: a->sign = v; break;
    case I_RETENTION: a->retention = v; break;
    case I_LEVEL: a->level = v; break;
    case I_BLOCK: a->block = v; break;
    case I_NOW: a->now = v; break;
    case I_NOFSYNC: a->nofsync = 1; break;
    case I_FLUSHED: a->flushed = v; break;
    case I_QUIET: a->quiet = 1; break;
    case I_OUTPUT: a->output = v; break;
    case I_HELP: a->help = 1; break;
    }
    return 0;
}

static uint64_t fixed_now;
static uint64_t sim_clock(void *arg)
{
    (void)arg;
    return fixed_now;
}

struct totals {
    uint64_t lines, stored, rejected, missed, reported;
    struct nw_sink *ch; /* ClickHouse, or NULL: gets exactly the records stored */
};

static void line_in(struct nw_store *s, const char *file, uint64_t lineno, const char *p,
                    size_t n, struct totals *t)
{
    struct nw_err err;
    int rc;
    size_t k = 0;

    while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r' || p[k] == '\n')) k++;
    if (k == n) return; /* blank */
    t->lines++;
    rc = nw_store_append(s, p, n, &err);
    if (rc == 0) {
        t->stored++;
        if (t->ch) t->ch->write(t->ch->self, "import", p, n); /* spooled: never lost */
    } else if (rc == NW_EFORMAT) {
        t->rejected++;
        if (t->reported++ < REPORT_MAX)
            fprintf(stderr, "netwarden import: %s:%llu: not stored: %s\n", file,
                    (unsigned long long)lineno, err.msg);
    } else if (t->missed++ == 0) { /* once: a store that stopped says why itself */
        fprintf(stderr, "netwarden import: error: %s:%llu: not stored: %s\n", file,
                (unsigned long long)lineno, err.msg);
    }
}

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Append "flushed N" to fd when more records reached the segment files. */
static void report_flushed(struct nw_store *s, int fd, uint64_t *last)
{
    struct nw_store_stats st;
    char msg[64];
    int m;

    nw_store_get_stats(s, &st);
    if (st.flushed == *last) return;
    m = snprintf(msg, sizeof msg, "flushed %llu\n", (unsigned long long)st.flushed);
    if (write(fd, msg, (size_t)m) != m) { /* best effort: the test then sees less */
    }
    *last = st.flushed;
}

/*
 * Wait until fd (a pipe, FIFO, socket or terminal) has input, running the
 * store's (and ClickHouse's) housekeeping every second meanwhile. 1: input
 * or its end is there; 0: a signal asked to stop.
 */
static int wait_input(struct nw_store *s, int fd, struct totals *t, int flushed_fd,
                      uint64_t *last_flushed)
{
    struct pollfd p = {fd, POLLIN, 0};

    while (!stop_requested) {
        int n = poll(&p, 1, 1000);
        if (n > 0) return 1;
        if (n < 0 && errno != EINTR) return 1; /* read says what is wrong */
        if (n == 0) {
            nw_store_tick(s);
            if (t->ch && t->ch->flush) t->ch->flush(t->ch->self);
            if (flushed_fd >= 0) report_flushed(s, flushed_fd, last_flushed);
        }
    }
    return 0;
}

/* Read one input; returns 0, NW_ENOMEM or NW_EIO (unreadable); the message is printed. */
static int import_file(struct nw_store *s, const char *path, struct totals *t, int flushed_fd)
{
    int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    char *buf;
    size_t have = 0, skip_long = 0;
    uint64_t lineno = 0, last_flushed = 0;
    ssize_t r;
    struct stat st;
    int stream;

    if (fd < 0) {
        fprintf(stderr, "netwarden import: error: cannot open %s: %s\n", path, strerror(errno));
        return NW_EIO;
    }
    stream = fstat(fd, &st) == 0 && !S_ISREG(st.st_mode);
    buf = nw_alloc(CHUNK + 1);
    if (buf == NULL) {
        fprintf(stderr, "netwarden import: error: out of memory reading %s\n", path);
        if (fd) close(fd);
        return NW_ENOMEM;
    }
    for (;;) {
        size_t off = 0;
        if (stop_requested || (stream && !wait_input(s, fd, t, flushed_fd, &last_flushed))) {
            fprintf(stderr, "netwarden import: stopped by a signal after line %llu of %s; the "
                    "lines read are stored%s\n", (unsigned long long)lineno, path,
                    have ? " (a last incomplete line is not)" : "");
            r = 0;
            break;
        }
        r = read(fd, buf + have, CHUNK - have);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            fprintf(stderr, "netwarden import: error: reading %s: %s\n", path, strerror(errno));
            break;
        }
        have += (size_t)r;
        for (;;) {
            char *nl = memchr(buf + off, '\n', have - off);
            if (nl == NULL) break;
            lineno++;
            if (skip_long) {
                skip_long = 0;
            } else {
                line_in(s, path, lineno, buf + off, (size_t)(nl - (buf + off)) + 1, t);
            }
            off = (size_t)(nl - buf) + 1;
            if (flushed_fd >= 0) report_flushed(s, flushed_fd, &last_flushed);
        }
        if (r == 0) { /* end: a last line without '\n' */
            if (have > off && !skip_long) line_in(s, path, ++lineno, buf + off, have - off, t);
            break;
        }
        if (off == 0 && have == CHUNK) {
            /* a line longer than the buffer: counted and reported once, however many
             * buffers it fills; its '\n', when it comes, advances lineno */
            if (!skip_long) {
                t->lines++;
                t->rejected++;
                if (t->reported++ < REPORT_MAX)
                    fprintf(stderr, "netwarden import: %s:%llu: not stored: line longer than %u "
                            "bytes\n", path, (unsigned long long)lineno + 1, CHUNK);
                skip_long = 1;
            }
            have = 0;
            continue;
        }
        memmove(buf, buf + off, have - off);
        have -= off;
    }
    nw_free(buf);
    if (fd) close(fd);
    return r < 0 ? NW_EIO : 0;
}

int nw_cmd_import(int argc, char **argv)
{
    struct import_args a;
    struct nw_config conf;
    struct nw_store_opts so;
    struct nw_store *s = NULL;
    struct nw_store_stats st;
    struct nw_err err;
    struct totals t;
    struct nw_sink ch;
    struct timespec t0, t1;
    int i, rc = NW_EXIT_OK, ffd = -1;

    memset(&a, 0, sizeof a);
    memset(&t, 0, sizeof t);
    i = nw_cli_parse("import", import_opts, argc, argv, on_opt, &a);
    if (i < 0) return NW_EXIT_USAGE;
    if (a.help) {
        printf("usage: netwarden import --store DIR [OPTIONS] FILE... ('-' = standard input)\n\n"
               "Store EVE JSON lines (netwarden's, or Suricata's eve.json as it is) with the\n"
               "same compression, index, chain and retention as audit --store. Lines that\n"
               "are not one JSON object with an RFC 3339 timestamp are reported as FILE:LINE\n"
               "and not stored. '-' also keeps a running feed (tail -F eve.json | ...):\n"
               "written within the flush interval, ended cleanly by SIGTERM.\n\nOptions:\n");
        nw_cli_print_opts(import_opts);
        printf("\nExit codes: 0 every line stored; 2 usage error, unreadable input, or some\n"
               "lines rejected (every other line is stored); 3 the store stopped writing\n"
               "(disk full, I/O error; the missed records are counted).\n");
        return NW_EXIT_OK;
    }
    for (; i < argc; i++) {
        if (a.nfiles == MAX_FILES) {
            fprintf(stderr, "netwarden import: more than %d files; use '-' with cat\n", MAX_FILES);
            return NW_EXIT_USAGE;
        }
        a.files[a.nfiles++] = argv[i];
    }
    if (a.store == NULL || a.nfiles == 0) {
        fprintf(stderr, "netwarden import: give --store DIR and at least one FILE; see "
                "'netwarden import --help'\n");
        return NW_EXIT_USAGE;
    }
    const struct nw_cli_set sets[] = {
        {"store.sign_key", a.sign}, {"store.retention_days", a.retention},
        {"store.compression_level", a.level}, {"store.block_size", a.block}, {NULL, NULL}};
    if ((rc = nw_cli_config("import", &conf, a.config, sets)) != 0) return rc;
    nw_cli_store_opts(&conf, &so);
    if (a.nofsync) so.fsync = NW_STORE_FSYNC_NEVER;
    if (a.now) {
        const char *n = a.now;
        char *end;
        if (n[0] == '@') {
            fixed_now = strtoull(n + 1, &end, 10) * 1000000ull;
            if (*end || end == n + 1) fixed_now = 0;
        } else if (nw_json_parse_time(n, strlen(n), &fixed_now) != 0) {
            fixed_now = 0;
        }
        if (fixed_now == 0) {
            fprintf(stderr, "netwarden import: --now '%s' is not a time: give RFC 3339 "
                    "(2026-09-03T14:05:00+08:00) or @EPOCH_SECONDS\n", n);
            nw_config_fini(&conf);
            return NW_EXIT_USAGE;
        }
        so.clock = sim_clock;
    }
    if (a.flushed) {
        ffd = open(a.flushed, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (ffd < 0) {
            fprintf(stderr, "netwarden import: error: cannot open %s: %s\n", a.flushed,
                    strerror(errno));
            nw_config_fini(&conf);
            return NW_EXIT_USAGE;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((rc = nw_store_open(&s, a.store, &so, &err)) != 0) {
        fprintf(stderr, "netwarden import: error: %s\n", err.msg);
        nw_config_fini(&conf);
        if (ffd >= 0) close(ffd);
        return nw_cli_exit_for(rc);
    }
    if (a.output) {
        if (nw_clickhouse_sink_open(&ch, a.output, NULL, conf.data_dir, &err) != 0) {
            fprintf(stderr, "netwarden import: error: %s\n", err.msg);
            nw_store_close(s, &err);
            nw_config_fini(&conf);
            if (ffd >= 0) close(ffd);
            return NW_EXIT_USAGE;
        }
        t.ch = &ch;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: a blocked read or poll returns */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    for (int k = 0; k < a.nfiles; k++) {
        int frc = import_file(s, a.files[k], &t, ffd); /* says where a signal stopped it */
        if (frc != 0 && rc != NW_EXIT_RUNTIME)
            rc = nw_cli_exit_for(frc);
        if (stop_requested) break;
    }
    if (t.ch) ch.close(ch.self); /* flushes the open batch, waits for the spool to drain */
    nw_store_flush(s, 1, &err);
    nw_store_get_stats(s, &st);
    if (ffd >= 0) {
        char msg[64];
        int m = snprintf(msg, sizeof msg, "flushed %llu\n", (unsigned long long)st.flushed);
        if (write(ffd, msg, (size_t)m) != m) { /* best effort */
        }
    }
    if (nw_store_close(s, &err) != 0) {
        fprintf(stderr, "netwarden import: error: %s\n", err.msg);
        rc = NW_EXIT_RUNTIME;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!a.quiet) {
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
        fprintf(stderr, "netwarden import: %llu lines: %llu stored, %llu rejected, %llu missed%s; "
                "%.1f MB JSON -> %.1f MB (%.1fx) in %.2f s (%.0f records/s)\n",
                (unsigned long long)t.lines, (unsigned long long)t.stored,
                (unsigned long long)t.rejected, (unsigned long long)st.missed,
                st.stopped ? " (the store stopped writing)" : "",
                st.bytes_in / 1e6, st.bytes_written / 1e6,
                st.bytes_written ? (double)st.bytes_in / (double)st.bytes_written : 0.0, secs,
                secs > 0 ? t.stored / secs : 0.0);
        if (t.reported > REPORT_MAX)
            fprintf(stderr, "netwarden import: (%llu more rejected lines not listed)\n",
                    (unsigned long long)(t.reported - REPORT_MAX));
    }
    if (ffd >= 0) close(ffd);
    nw_config_fini(&conf);
    if (rc == NW_EXIT_OK && (t.missed || st.missed || st.stopped)) rc = NW_EXIT_RUNTIME;
    if (rc == NW_EXIT_OK && t.rejected) rc = NW_EXIT_USAGE; /* input error; the rest is stored */
    return rc;
}
