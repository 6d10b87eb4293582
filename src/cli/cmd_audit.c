/*
 * cmd_audit.c - `netwarden audit`: capture files or a live interface in,
 * EVE JSON lines out, with a progress line and an end-of-run summary.
 *
 * Files are read in the order given, through one engine, so a session that
 * starts in one file and ends in the next is joined. A damaged file is
 * reported (file and byte offset) and the next file is still read; the exit
 * code is then 2. SIGINT/SIGTERM end the run cleanly (live or files): every
 * open flow and session is flushed to the records before exit. Live
 * interfaces (one or more, served by one thread through poll) feed the same
 * engine, so a RADIUS feed on one port attributes the traffic mirrored to
 * another; an interface that goes away is reopened until it returns
 * (run_live) while the others go on.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "nw/capture.h"
#include "nw/clickhouse.h"
#include "nw/config.h"
#include "nw/engine.h"
#include "nw/identity.h"
#include "nw/json.h"
#include "nw/output.h"
#include "nw/store.h"

#define MAX_FILES 256
#define MAX_IFACES 16

enum {
    O_READ, O_IFACE, O_EVE, O_STORE, O_STATIC, O_PROGRESS, O_QUIET, O_DEPTH, O_CONFIG, O_CHECK,
    O_DUMP, O_OUTPUT, O_FILTER, O_HELP
};
static const struct nw_cli_opt audit_opts[] = {
    [O_READ] = {"read", 'r', "FILE", "read a pcap or pcapng file (repeatable)"},
    [O_IFACE] = {"interface", 'i', "IFACE", "capture live on an interface (root or CAP_NET_RAW;"
                                         " repeatable: all feed one audit)"},
    [O_EVE] = {"eve", 0, "PATH", "write records as JSON lines to PATH ('-' = stdout, default);"
                                 " -i appends to it, SIGHUP reopens it (logrotate)"},
    [O_STORE] = {"store", 0, "DIR", "keep records in the store DIR (docs/store.md); with no --eve,"
                                    " only there"},
    [O_STATIC] = {"static-map", 0, "CSV", "fixed assignments: ip,mac,account,calling,hostname"},
    [O_PROGRESS] = {"progress", 0, NULL, "show the progress line even when not on a terminal"},
    [O_QUIET] = {"quiet", 'q', NULL, "no progress line and no summary"},
    [O_DEPTH] = {"stream-depth", 0, "BYTES", "bytes per TCP direction given to parsers (0 = all)"},
    [O_CONFIG] = {"config", 'c', "FILE", "configuration file (default " NW_CONFIG_DEFAULT_PATH
                                         " if it exists)"},
    [O_CHECK] = {"check-config", 0, NULL, "validate the configuration and exit (0 = valid)"},
    [O_DUMP] = {"dump-config", 0, NULL, "print the effective configuration and exit"},
    [O_OUTPUT] = {"output", 0, "URL", "also send records to clickhouse://HOST:PORT/DB"
                                      " (docs/clickhouse.md)"},
    [O_FILTER] = {"filter", 0, "EXPR", "keep only frames this tcpdump-style filter accepts "
                                     "(audit.filter)"},
    [O_HELP] = {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

struct audit_args {
    const char *files[MAX_FILES];
    int nfiles;
    const char *ifaces[MAX_IFACES];
    int nifaces;
    const char *eve;
    const char *store;
    const char *static_map;
    int progress;
    int quiet;
    int help;
    int check;
    int dump;
    const char *config;
    const char *depth;
    const char *output;
    const char *filter;
};

static int on_opt(void *arg, int idx, const char *v)
{
    struct audit_args *a = arg;

    switch (idx) {
    case O_READ:
        if (a->nfiles == MAX_FILES) {
            fprintf(stderr, "netwarden audit: more than %d files; merge them with mergecap\n",
                    MAX_FILES);
            return -1;
        }
        a->files[a->nfiles++] = v;
        break;
    case O_IFACE:
        for (int k = 0; k < a->nifaces; k++) {
            if (strcmp(a->ifaces[k], v) == 0) {
                fprintf(stderr, "netwarden audit: interface %s is given twice\n", v);
                return -1;
            }
        }
        if (a->nifaces == MAX_IFACES) {
            fprintf(stderr, "netwarden audit: more than %d interfaces; use -i any with --filter\n",
                    MAX_IFACES);
            return -1;
        }
        a->ifaces[a->nifaces++] = v;
        break;
    case O_EVE: a->eve = v; break;
    case O_STORE: a->store = v; break;
    case O_STATIC: a->static_map = v; break;
    case O_PROGRESS: a->progress = 1; break;
    case O_QUIET: a->quiet = 1; break;
    case O_DEPTH: a->depth = v; break;
    case O_CONFIG: a->config = v; break;
    case O_CHECK: a->check = 1; break;
    case O_DUMP: a->dump = 1; break;
    case O_OUTPUT: a->output = v; break;
    case O_FILTER: a->filter = v; break;
    case O_HELP: a->help = 1; break;
    }
    return 0;
}

static void help(void)
{
    printf("usage: netwarden audit (-r FILE [-r FILE ...] | -i IFACE [-i IFACE ...]) [--eve PATH]"
           " [OPTIONS]\n\n"
           "Decode traffic into audit records (flows, DNS, HTTP, TLS/QUIC, DHCP, RADIUS,\n"
           "PPPoE, mail/FTP/Telnet logins), each tied to the user identity in force.\n\n"
           "Options:\n");
    nw_cli_print_opts(audit_opts);
    printf("\nExit codes: 0 success; 2 usage error, unreadable, damaged or unsupported input\n"
           "(records before the damage are still written); 3 runtime failure (writing records,\n"
           "memory).\n");
}

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reopen_requested; /* SIGHUP: logrotate moved the EVE file */
static struct nw_capture *cur_cap; /* the file a signal interrupts (live: poll returns) */

static void on_signal(int sig)
{
    if (sig == SIGHUP) {
        reopen_requested = 1;
        return;
    }
    stop_requested = 1;
    if (cur_cap) nw_capture_break(cur_cap);
}

/* Between packets: act on a SIGHUP that came in meanwhile. */
static void maybe_reopen(struct nw_engine *e)
{
    if (!reopen_requested) return;
    reopen_requested = 0;
    nw_output_reopen(nw_engine_output(e));
}

static double wall(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct progress {
    int on;
    double start, last;
    uint64_t total_bytes, done_bytes; /* over all files */
    uint64_t packets;                 /* over all sources */
};

static void progress_show(struct progress *pg, struct nw_capture *cap, const char *name, int final)
{
    uint64_t packets = pg->packets;
    double now = wall(), el;
    uint64_t done;

    if (!pg->on || (!final && now - pg->last < 0.25)) return;
    pg->last = now;
    el = now - pg->start;
    done = pg->done_bytes + (cap ? nw_capture_offset(cap) : 0);
    if (pg->total_bytes) {
        double frac = (double)done / (double)pg->total_bytes;
        double eta = frac > 0 ? el / frac - el : 0;
        fprintf(stderr, "\r%s: %5.1f%%  %.1f/%.1f MB  %.0f pkt/s  ETA %.0fs   ", name,
                100.0 * frac, done / 1e6, pg->total_bytes / 1e6, el > 0 ? packets / el : 0.0,
                eta < 0 ? 0 : eta);
    } else {
        fprintf(stderr, "\r%s: %llu packets  %.0f pkt/s   ", name, (unsigned long long)packets,
                el > 0 ? packets / el : 0.0);
    }
    if (final) fputc('\n', stderr);
}

static void print_anomaly(void *arg, const char *name, uint64_t n)
{
    int *first = arg;

    fprintf(stderr, "%s%s=%llu", *first ? "" : " ", name, (unsigned long long)n);
    *first = 0;
}

struct outages {
    uint64_t n;       /* times the live capture was lost */
    uint64_t down_us; /* time without capture, all of them */
};

static void summary(struct nw_engine *e, struct nw_output *o, double secs, uint64_t drops,
                    int nfiles, const struct outages *ou)
{
    const struct nw_engine_stats *s = nw_engine_stats(e);
    struct nw_identity_stats is;
    int first = 1;

    fprintf(stderr, "netwarden audit: %d source%s, %llu packets, %.1f MB in %.2f s "
            "(%.0f pkt/s); %llu flows\n", nfiles, nfiles == 1 ? "" : "s",
            (unsigned long long)s->packets, s->bytes / 1e6, secs,
            secs > 0 ? s->packets / secs : 0.0, (unsigned long long)s->flows);
    fprintf(stderr, "  records:");
    for (int i = 0; i < o->ntypes; i++)
        fprintf(stderr, " %s=%llu", o->types[i], (unsigned long long)o->counts[i]);
    if (o->ntypes == 0) fprintf(stderr, " none");
    nw_identity_get_stats(nw_engine_identity(e), &is);
    fprintf(stderr, "\n  identity: %llu logins, %llu sessions, %llu bindings held, %llu dropped "
            "at memcap, %llu refused", (unsigned long long)is.logins,
            (unsigned long long)is.sessions, (unsigned long long)is.bindings,
            (unsigned long long)is.dropped, (unsigned long long)is.refused);
    fprintf(stderr, "\n  anomalies: ");
    nw_engine_anomalies(e, print_anomaly, &first);
    if (first) fprintf(stderr, "none");
    fprintf(stderr, "\n  drops: capture=%llu flow_memcap=%llu stream_memcap=%llu "
            "stream_gaps=%llu record_too_large=%llu record_write_errors=%llu",
            (unsigned long long)drops, (unsigned long long)s->flows_memcap,
            (unsigned long long)s->stream_memcap, (unsigned long long)s->stream_gaps,
            (unsigned long long)o->too_large, (unsigned long long)o->write_errors);
    if (s->flows_nomem || o->nomem) /* out of memory below the memcaps: raising them won't help */
        fprintf(stderr, " flow_nomem=%llu record_nomem=%llu", (unsigned long long)s->flows_nomem,
                (unsigned long long)o->nomem);
    fputc('\n', stderr);
    if (ou->n)
        fprintf(stderr, "  capture: lost %llu time%s, %.1f s without capture (alarm records)\n",
                (unsigned long long)ou->n, ou->n == 1 ? "" : "s", (double)ou->down_us / 1e6);
}

#define BATCH 64
#define STEP 2          /* frames between two prefetch stages */
#define AHEAD (3 * STEP) /* frames between a frame's first prefetch and its processing */

/*
 * A batch of frames, all valid at once: each frame's lookups (flow slot and
 * flow, identity bucket, entry and cached user object) are prefetched in
 * three stages, STEP frames apart, before the engine gets to it, so their
 * cache misses overlap the work on the frames in between. The frames are
 * processed in order, exactly as one by one.
 */
static void run_batch(struct nw_engine *e, const struct nw_frame *f, int n)
{
    struct nw_engine_ahead a[BATCH];

    for (int k = 0; k < n + AHEAD; k++) {
        if (k < n) nw_engine_prefetch(e, f[k].data, f[k].caplen, &a[k]);
        if (k >= STEP && k - STEP < n) nw_engine_prefetch_more(e, &a[k - STEP], 1);
        if (k >= 2 * STEP && k - 2 * STEP < n) nw_engine_prefetch_more(e, &a[k - 2 * STEP], 2);
        if (k >= AHEAD)
            nw_engine_packet_ahead(e, f[k - AHEAD].ts_us, f[k - AHEAD].data, f[k - AHEAD].caplen,
                                   f[k - AHEAD].wire_len, &a[k - AHEAD]);
    }
}

/* Feed one capture file to the engine. Returns 0, or the error code (err says why). */
static int run_source(struct nw_engine *e, struct nw_capture *cap, const char *name,
                      struct progress *pg, struct nw_err *err)
{
    struct nw_frame f, batch[BATCH];
    int rc, n;

    nw_engine_set_linktype(e, nw_capture_linktype(cap));
    while ((n = nw_capture_next_batch(cap, batch, BATCH)) > 0) {
        run_batch(e, batch, n);
        if ((pg->packets & ~1023ull) != ((pg->packets + (uint64_t)n) & ~1023ull)) {
            progress_show(pg, cap, name, 0);
            maybe_reopen(e);
        }
        pg->packets += (uint64_t)n;
    }
    /* the rest one frame at a time: pcapng, or what libpcap took over */
    while ((rc = nw_capture_next(cap, &f, err)) == 1) {
        nw_engine_packet(e, f.ts_us, f.data, f.caplen, f.wire_len);
        maybe_reopen(e);
        if ((++pg->packets & 1023) == 0) progress_show(pg, cap, name, 0);
    }
    progress_show(pg, cap, name, 1);
    return rc < 0 ? rc : 0;
}

/*
 * An alarm record about the live capture (the store's alarms have the same
 * shape): kind capture_lost with the time it stopped, or capture_resumed
 * with how long it was down. Best effort, like every record.
 */
static void capture_alarm(struct nw_output *o, const char *kind, const char *iface,
                          const char *msg, uint64_t since_us, uint64_t now_us)
{
    struct nw_buf *b = nw_output_begin(o, "alarm", now_us, 0);

    nw_json_kobj_open(b, "alarm");
    nw_json_kcstr(b, "kind", kind);
    nw_json_kcstr(b, "severity", "critical");
    nw_json_kcstr(b, "interface", iface);
    nw_json_kcstr(b, "message", msg);
    nw_json_ktime(b, "stopped_since", since_us);
    if (now_us > since_us && strcmp(kind, "capture_resumed") == 0)
        nw_json_kduration(b, "down_seconds", now_us - since_us);
    nw_json_obj_close(b);
    nw_output_end(o);
    nw_output_flush(o);
}

/* One live interface; cap is NULL while it is lost and being reopened. */
struct live_src {
    const char *iface;
    struct nw_capture *cap;
    int fd;           /* cap's descriptor to poll */
    int dlt;          /* cap's link type */
    uint64_t lost_us; /* when it was lost */
    double retry_at;  /* wall(): the next reopen attempt */
    struct nw_capture_stats closed; /* the kernel's counts of the handles closed so far */
};

#define LIVE_BURST 512 /* frames from one interface before the next one's turn */
/* Several interfaces: frames are merged by time (src/capture/merge.c); a
 * quiet one holds the others at most MERGE_DELAY_US, past the 200 ms after
 * which the kernel hands a block over (nw_capture_open_live). */
#define MERGE_BYTES (16u << 20)
#define MERGE_DELAY_US 300000u

/* The live loop's state shared by its helpers. */
struct live_ctx {
    struct nw_engine *e;
    struct live_src *src;
    int n;
    struct nw_merge *mg; /* several interfaces; NULL: one, taken as it comes */
    int dlt;             /* the engine's link type now */
    struct progress *pg;
};

/* Open s live with the capture filter, ready to poll (a reopen after a loss too). */
static int open_live(struct live_src *s, const char *filter, struct nw_err *err)
{
    struct nw_capture *cap;
    int fd, rc = nw_capture_open_live(&cap, s->iface, err);

    if (rc != 0) return rc;
    if ((rc = nw_capture_set_filter(cap, filter, err)) != 0 ||
        (fd = nw_capture_pollable(cap, err)) < 0) {
        nw_capture_close(cap);
        return rc ? rc : NW_EIO;
    }
    s->cap = cap;
    s->fd = fd;
    s->dlt = nw_capture_linktype(cap);
    return 0;
}

static void live_frame(struct live_ctx *c, int k, const struct nw_frame *f)
{
    if (c->dlt != c->src[k].dlt) nw_engine_set_linktype(c->e, c->dlt = c->src[k].dlt);
    nw_engine_packet(c->e, f->ts_us, f->data, f->caplen, f->wire_len);
}

/* The merged frames due at now_us (UINT64_MAX: all), or only the next one. */
static void merge_out(struct live_ctx *c, uint64_t now_us, int one)
{
    int waiting[MAX_IFACES], k;
    struct nw_frame f;

    for (k = 0; k < c->n; k++) waiting[k] = c->src[k].cap != NULL;
    while (nw_merge_next(c->mg, now_us, waiting, &f, &k) == 1) {
        live_frame(c, k, &f);
        if (one) break;
    }
}

/* The frames ready on interface k, at most LIVE_BURST: to the engine, or
 * into the merge. Returns how many, or -1 when the capture failed (err). */
static int live_pump(struct live_ctx *c, int k, struct nw_err *err)
{
    struct nw_frame f;
    int n = 0, rc = 1;

    while (n < LIVE_BURST && (rc = nw_capture_next(c->src[k].cap, &f, err)) == 1) {
        if (c->mg == NULL) live_frame(c, k, &f);
        else while (nw_merge_push(c->mg, k, &f) != 0) merge_out(c, 0, 1); /* full: make room */
        n++;
    }
    c->pg->packets += (uint64_t)n;
    return rc < 0 ? -1 : n;
}

/* s's kernel counts over the run: the closed handles' and the open one's. */
static void live_counts(const struct live_src *s, struct nw_capture_stats *st)
{
    struct nw_capture_stats c;

    *st = s->closed;
    if (s->cap == NULL) return;
    nw_capture_get_stats(s->cap, &c);
    st->received += c.received;
    st->dropped += c.dropped;
    st->ifdropped += c.ifdropped;
}

/* Close s's handle, keeping its counts. */
static void live_close(struct live_src *s)
{
    live_counts(s, &s->closed);
    nw_capture_close(s->cap);
    s->cap = NULL;
}

static void put_count(void *arg, const char *name, uint64_t n) { nw_json_kuint(arg, name, n); }

/*
 * A `stats` record (docs/records/maintenance.md): counts since the run
 * started, as Suricata's, so a reader takes differences. The kernel's drops
 * per interface say when the audit fell behind or a link lost frames: gaps
 * in the evidence that a service running for months must not keep to the
 * summary printed at its stop.
 */
static void stats_record(struct nw_engine *e, const struct live_src *src, int n, double start)
{
    struct nw_output *o = nw_engine_output(e);
    const struct nw_engine_stats *es = nw_engine_stats(e);
    struct nw_capture_stats st[MAX_IFACES], tot = {0, 0, 0};
    struct nw_identity_stats is;
    struct nw_buf *b = nw_output_begin(o, "stats", nw_time_now_us(), 0);

    nw_json_kobj_open(b, "stats");
    nw_json_kuint(b, "uptime", (uint64_t)(wall() - start));
    nw_json_kobj_open(b, "capture");
    for (int k = 0; k < n; k++) {
        live_counts(&src[k], &st[k]);
        tot.received += st[k].received;
        tot.dropped += st[k].dropped;
        tot.ifdropped += st[k].ifdropped;
    }
    nw_json_kuint(b, "kernel_packets", tot.received);
    nw_json_kuint(b, "kernel_drops", tot.dropped);
    nw_json_kuint(b, "kernel_ifdrops", tot.ifdropped);
    nw_json_karr_open(b, "interfaces");
    for (int k = 0; k < n; k++) {
        nw_json_obj_open(b);
        nw_json_kcstr(b, "name", src[k].iface);
        nw_json_kbool(b, "up", src[k].cap != NULL || src[k].lost_us == 0); /* or closed at stop */
        nw_json_kuint(b, "kernel_packets", st[k].received);
        nw_json_kuint(b, "kernel_drops", st[k].dropped);
        nw_json_kuint(b, "kernel_ifdrops", st[k].ifdropped);
        nw_json_obj_close(b);
    }
    nw_json_arr_close(b);
    nw_json_obj_close(b);
    nw_json_kobj_open(b, "decoder");
    nw_json_kuint(b, "pkts", es->packets);
    nw_json_kuint(b, "bytes", es->bytes);
    nw_json_obj_close(b);
    nw_json_kobj_open(b, "flow");
    nw_json_kuint(b, "total", es->flows);
    nw_json_kuint(b, "memcap_drops", es->flows_memcap + es->flows_nomem);
    nw_json_kuint(b, "stream_memcap_drops", es->stream_memcap);
    nw_json_kuint(b, "stream_gaps", es->stream_gaps);
    nw_json_obj_close(b);
    nw_identity_get_stats(nw_engine_identity(e), &is);
    nw_json_kobj_open(b, "identity");
    nw_json_kuint(b, "logins", is.logins);
    nw_json_kuint(b, "sessions", is.sessions);
    nw_json_kuint(b, "bindings", is.bindings);
    nw_json_kuint(b, "open", is.open);
    nw_json_kuint(b, "memcap_drops", is.dropped);
    nw_json_kuint(b, "refused", is.refused);
    nw_json_obj_close(b);
    nw_json_kobj_open(b, "records");
    for (int i = 0; i < o->ntypes; i++) nw_json_kuint(b, o->types[i], o->counts[i]);
    nw_json_kuint(b, "too_large", o->too_large);
    nw_json_kuint(b, "write_errors", o->write_errors);
    nw_json_obj_close(b);
    nw_json_kobj_open(b, "anomalies");
    nw_engine_anomalies(e, put_count, b);
    nw_json_obj_close(b);
    nw_json_obj_close(b);
    nw_output_end(o);
}

/* s's capture failed (err): close it, keeping its counts, and raise the alarm. */
static void live_lost(struct nw_output *o, struct live_src *s, const struct nw_err *err,
                      uint64_t retry_s, struct outages *ou)
{
    char msg[sizeof err->msg + 160];

    live_close(s);
    s->lost_us = nw_time_now_us();
    s->retry_at = wall() + (double)retry_s;
    ou->n++;
    snprintf(msg, sizeof msg, "%s; no traffic on %s is audited until it returns (reopened every "
             "%llu s)", err->msg, s->iface, (unsigned long long)retry_s);
    fprintf(stderr, "netwarden audit: warning: %s\n", msg);
    capture_alarm(o, "capture_lost", s->iface, msg, s->lost_us, s->lost_us);
}

/* s is back (open_live succeeded): the alarm that closes the gap. */
static void live_resumed(struct nw_output *o, struct live_src *s, struct outages *ou)
{
    uint64_t now = nw_time_now_us();
    char msg[320];

    ou->down_us += now - s->lost_us;
    snprintf(msg, sizeof msg, "capture on %s resumed after %.1f s without it", s->iface,
             (double)(now - s->lost_us) / 1e6);
    fprintf(stderr, "netwarden audit: %s\n", msg);
    capture_alarm(o, "capture_resumed", s->iface, msg, s->lost_us, now);
    s->lost_us = 0;
}

/*
 * Capture live on the n open interfaces src until a signal, in one thread:
 * poll waits for any of them, and each ready one gives a burst in turn.
 * A lost interface (unplugged, removed, a driver reload) is reopened every
 * retry_s seconds while the engine keeps its flows and identities and the
 * others go on: a 24/7 audit must not end on a link flap, and the gap is
 * kept as evidence by the two alarm records. capture_retry 0: a loss ends
 * the run (exit 3). Records reach the outputs at least once a second: a
 * steady trickle would otherwise wait for a whole batch, minutes at a few
 * packets a second. A stats record every stats_interval. Returns an exit
 * code; every interface is closed, its counts kept in src.
 */
static int run_live(struct nw_engine *e, struct live_src *src, int n,
                    const struct nw_config *conf, const char *name, struct progress *pg,
                    struct outages *ou)
{
    struct nw_output *o = nw_engine_output(e);
    struct pollfd pfd[MAX_IFACES];
    int who[MAX_IFACES];
    struct nw_err err;
    const char *filter = conf->filter;
    uint64_t retry_s = conf->capture_retry;
    double start = wall(), flushed = start, stats_at = start + (double)conf->stats_interval;
    struct live_ctx c = {e, src, n, NULL, -1, pg};
    int rc = NW_EXIT_OK;

    if (n > 1 && (c.mg = nw_merge_new(n, MERGE_BYTES, MERGE_DELAY_US)) == NULL) {
        fprintf(stderr, "netwarden audit: error: out of memory for the queues of %d interfaces\n",
                n);
        rc = NW_EXIT_RUNTIME;
        goto out;
    }

    while (!stop_requested) {
        int np = 0, got = 0;
        double now;

        for (int k = 0; k < n; k++) {
            if (src[k].cap == NULL) continue;
            pfd[np].fd = src[k].fd;
            pfd[np].events = POLLIN;
            pfd[np].revents = 0;
            who[np++] = k;
        }
        if (poll(pfd, (nfds_t)np, 100) < 0 && errno != EINTR) {
            fprintf(stderr, "netwarden audit: error: cannot wait for the capture: %s\n",
                    strerror(errno));
            rc = NW_EXIT_RUNTIME;
            break;
        }
        for (int j = 0; j < np && !stop_requested; j++) {
            struct live_src *s = &src[who[j]];
            int m;
            /* every round, ready or not: an interface going away may first show as
             * "down", which libpcap takes as an error only once the device is gone,
             * and only when read again; no event would come to say so */
            if ((m = live_pump(&c, who[j], &err)) >= 0) {
                got += m;
                continue;
            }
            if (retry_s == 0) {
                fprintf(stderr, "netwarden audit: error: %s\n", err.msg);
                rc = NW_EXIT_RUNTIME;
                goto out;
            }
            live_lost(o, s, &err, retry_s, ou);
        }
        if (c.mg) merge_out(&c, nw_time_now_us(), 0);
        maybe_reopen(e);
        now = wall();
        if (conf->stats_interval && now >= stats_at) {
            stats_record(e, src, n, start);
            stats_at = now + (double)conf->stats_interval;
        }
        if (got == 0 || now - flushed >= 1.0) {
            if (got == 0) nw_engine_tick(e, nw_time_now_us()); /* idle: timeouts by the clock */
            nw_output_flush(o);
            flushed = now;
        }
        progress_show(pg, NULL, name, 0);
        for (int k = 0; k < n && !stop_requested; k++) {
            if (src[k].cap || now < src[k].retry_at) continue;
            if (open_live(&src[k], filter, &err) == 0) live_resumed(o, &src[k], ou);
            else src[k].retry_at = now + (double)retry_s;
        }
    }
out:
    if (c.mg) { /* what is queued goes to the engine before it finishes */
        merge_out(&c, UINT64_MAX, 0);
        nw_merge_free(c.mg);
    }
    for (int k = 0; k < n; k++) {
        if (src[k].cap) {
            live_close(&src[k]);
        } else if (src[k].lost_us) { /* the loss alarm stands for the gap */
            ou->down_us += nw_time_now_us() - src[k].lost_us;
            fprintf(stderr, "netwarden audit: stopped while the capture on %s was down\n",
                    src[k].iface);
        }
    }
    progress_show(pg, NULL, name, 1);
    return rc;
}

/* A sink that is opened must also be added, or closed here: the output
 * closes only the sinks it holds. */
static int add_sink(struct nw_output *out, struct nw_sink *s, struct nw_err *err)
{
    int rc = nw_output_add_sink(out, s);

    if (rc == 0) return 0;
    s->close(s->self);
    return nw_err_set(err, rc, "cannot add the %s output (error %d); this is a bug, please "
                      "report it", s->name, rc);
}

/* The store (--store), EVE (without --store, or with --eve as well) and
 * ClickHouse (--output) sinks, in that order. */
static int open_sinks(const struct audit_args *a, const struct nw_config *conf,
                      struct nw_output *out, struct nw_err *err)
{
    struct nw_sink s;

    if (a->store) {
        struct nw_store_opts so;
        nw_cli_store_opts(conf, &so);
        so.quiet = a->quiet;
        if (nw_store_sink_open(&s, a->store, &so, err) != 0 || add_sink(out, &s, err) != 0)
            return -1;
    }
    if (a->store == NULL || a->eve) {
        if (nw_eve_sink_open(&s, conf->eve, a->nifaces > 0, err) != 0 ||
            add_sink(out, &s, err) != 0)
            return -1;
    }
    if (a->output) {
        if (nw_clickhouse_sink_open(&s, a->output, NULL, conf->data_dir, err) != 0 ||
            add_sink(out, &s, err) != 0)
            return -1;
    }
    return 0;
}

/*
 * The interfaces of [audit] interface ("eth1" or "eth1, eth2"), for a run
 * given neither -r nor -i; split into buf. 0, or an exit code.
 */
static int conf_ifaces(struct audit_args *a, const char *list, char *buf, size_t cap)
{
    size_t n = strlen(list);

    if (n >= cap) {
        fprintf(stderr, "netwarden audit: [audit] interface is longer than %zu characters\n",
                cap - 1);
        return NW_EXIT_USAGE;
    }
    memcpy(buf, list, n + 1);
    for (size_t i = 0; i < n;) {
        size_t w = strcspn(buf + i, ", \t");
        buf[i + w] = '\0';
        if (w && on_opt(a, O_IFACE, buf + i) != 0) return NW_EXIT_USAGE;
        i += w + 1;
    }
    return 0;
}

int nw_cmd_audit(int argc, char **argv)
{
    struct audit_args a;
    struct nw_engine_config cfg;
    struct nw_output out;
    struct nw_engine *e = NULL;
    struct nw_err err;
    struct progress pg;
    uint64_t drops = 0;
    struct outages ou = {0, 0};
    double t0;
    int rc = NW_EXIT_OK, i;

    memset(&a, 0, sizeof a);
    memset(&pg, 0, sizeof pg);
    i = nw_cli_parse("audit", audit_opts, argc, argv, on_opt, &a);
    if (i < 0) return NW_EXIT_USAGE;
    if (a.help) {
        help();
        return NW_EXIT_OK;
    }
    if (i < argc) {
        fprintf(stderr, "netwarden audit: unexpected argument '%s'; captures are given with -r "
                "FILE; see 'netwarden audit --help'\n", argv[i]);
        return NW_EXIT_USAGE;
    }
    /* defaults, then the file, then the command line */
    struct nw_config conf;
    const struct nw_cli_set sets[] = {
        {"audit.eve", a.eve}, {"audit.static_map", a.static_map},
        {"audit.stream_depth", a.depth}, {"audit.filter", a.filter}, {NULL, NULL}};
    if ((rc = nw_cli_config("audit", &conf, a.config, sets)) != 0) return rc;
    if (a.check || a.dump) {
        if (a.dump) nw_config_dump(&conf, stdout);
        else fprintf(stderr, "netwarden audit: configuration %s is valid\n",
                     a.config ? a.config : "(defaults)");
        nw_config_fini(&conf);
        return NW_EXIT_OK;
    }
    char ifbuf[256];
    if (a.nfiles == 0 && a.nifaces == 0 && conf.interface[0] &&
        (rc = conf_ifaces(&a, conf.interface, ifbuf, sizeof ifbuf)) != 0) {
        nw_config_fini(&conf);
        return rc;
    }
    if ((a.nfiles == 0) == (a.nifaces == 0)) {
        nw_config_fini(&conf);
        fprintf(stderr, "netwarden audit: give either -r FILE (one or more) or -i IFACE (one or "
                "more); see 'netwarden audit --help'\n");
        return NW_EXIT_USAGE;
    }
    nw_engine_config_defaults(&cfg);
    cfg.static_map = conf.static_map[0] ? conf.static_map : NULL;
    cfg.stream_depth = (size_t)conf.stream_depth;
    cfg.flow_memcap = (size_t)conf.flow_memcap;
    cfg.stream_memcap = (size_t)conf.stream_memcap;
    cfg.frag_memcap = (size_t)conf.frag_memcap;
    cfg.ident_memcap = (size_t)conf.identity_memcap;
    cfg.tcp_idle_s = (uint32_t)conf.tcp_idle_timeout;
    cfg.tcp_closed_s = (uint32_t)conf.tcp_closed_timeout;
    cfg.udp_idle_s = (uint32_t)conf.udp_idle_timeout;
    cfg.active_s = (uint32_t)conf.active_timeout;

    nw_output_init(&out);
    if (open_sinks(&a, &conf, &out, &err) != 0) {
        fprintf(stderr, "netwarden audit: error: %s\n", err.msg);
        nw_output_fini(&out);
        nw_config_fini(&conf);
        return NW_EXIT_USAGE;
    }
    e = nw_engine_new(&cfg, &out, &err);
    if (e == NULL) {
        fprintf(stderr, "netwarden audit: error: %s\n", err.msg);
        nw_output_fini(&out);
        nw_config_fini(&conf);
        return err.msg[0] && strstr(err.msg, "memory") ? NW_EXIT_RUNTIME : NW_EXIT_USAGE;
    }
    pg.on = !a.quiet && (a.progress || isatty(STDERR_FILENO));
    pg.start = t0 = wall();

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    struct live_src src[MAX_IFACES];
    int live_ran = 0;
    if (a.nifaces) {
        char name[256] = "";
        int k;
        /* all must open: a mistyped name is an error now, not an outage later */
        for (k = 0; k < a.nifaces; k++) {
            memset(&src[k], 0, sizeof src[k]);
            src[k].iface = a.ifaces[k];
            if (open_live(&src[k], conf.filter, &err) != 0) break;
            snprintf(name + strlen(name), sizeof name - strlen(name), "%s%s", k ? "+" : "",
                     a.ifaces[k]);
        }
        if (k < a.nifaces) {
            fprintf(stderr, "netwarden audit: error: %s\n", err.msg);
            while (k-- > 0) nw_capture_close(src[k].cap);
            rc = NW_EXIT_USAGE;
        } else {
            if (!a.quiet) /* the service's journal: what it does from now on */
                fprintf(stderr, "netwarden audit: capturing on %s%s%s%s; SIGTERM stops, SIGHUP "
                        "reopens the EVE file\n", name, conf.filter[0] ? " (filter: " : "",
                        conf.filter, conf.filter[0] ? ")" : "");
            rc = run_live(e, src, a.nifaces, &conf, name, &pg, &ou);
            for (k = 0; k < a.nifaces; k++)
                drops += src[k].closed.dropped + src[k].closed.ifdropped;
            live_ran = 1;
        }
    } else {
        struct nw_capture *caps[MAX_FILES] = {0};
        /* open all first: sizes for the progress line, and bad names fail early */
        for (int k = 0; k < a.nfiles; k++) {
            if (nw_capture_open_file(&caps[k], a.files[k], &err) != 0 ||
                nw_capture_set_filter(caps[k], conf.filter, &err) != 0) {
                fprintf(stderr, "netwarden audit: error: %s\n", err.msg);
                nw_capture_close(caps[k]);
                caps[k] = NULL;
                rc = NW_EXIT_USAGE;
                continue;
            }
            pg.total_bytes += nw_capture_size(caps[k]);
        }
        for (int k = 0; k < a.nfiles && !stop_requested; k++) {
            if (caps[k] == NULL) continue;
            cur_cap = caps[k];
            if (stop_requested) nw_capture_break(cur_cap);
            if (run_source(e, caps[k], a.files[k], &pg, &err) != 0) {
                fprintf(stderr, "netwarden audit: error: %s\n", err.msg);
                rc = NW_EXIT_USAGE;
            }
            cur_cap = NULL;
            pg.done_bytes += nw_capture_size(caps[k]);
        }
        for (int k = 0; k < a.nfiles; k++) nw_capture_close(caps[k]);
    }
    nw_engine_finish(e);
    if (live_ran && conf.stats_interval) /* the last counts, open flows' records included */
        stats_record(e, src, a.nifaces, t0);
    if (!a.quiet)
        summary(e, &out, wall() - t0, drops, a.nifaces ? a.nifaces : a.nfiles, &ou);
    if (out.write_errors && rc == NW_EXIT_OK) rc = NW_EXIT_RUNTIME;
    nw_engine_free(e);
    nw_output_fini(&out);
    nw_config_fini(&conf);
    return rc;
}
