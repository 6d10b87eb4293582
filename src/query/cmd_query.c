/*
 * cmd_query.c - `netwarden query`: find stored audit records by time, type,
 * address, MAC, account, calling number, domain and URL; print them as the
 * original JSON lines, a table, or CSV. `netwarden query who` is cmd_who.c.
 *
 * The filters become (1) a time window and index-key groups handed to the
 * store scan, which skips every block that cannot match, and (2) the exact
 * per-record test nw__query_match_ts() — the index only ever narrows, the
 * exact test decides. Records come out in time order (partitions ascending,
 * time order inside each) and --limit stops the scan early.
 *
 * --eve FILE queries EVE JSON-lines files instead of a store, with the same
 * filters and formats (logs a unit already has; also the reference the
 * tests compare the store against).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "nw/config.h"
#include "nw/query.h"
#include "nw/store.h"
#include "nw/clickhouse.h"
#include "query_int.h"

#define MAX_EVE 256

enum {
    O_STORE, O_EVE, O_SINCE, O_UNTIL, O_TYPE, O_IP, O_MAC, O_USER, O_CALLING, O_DOMAIN, O_URL,
    O_LIMIT, O_FORMAT, O_STATS, O_CONFIG, O_HELP, O_CLICKHOUSE
};
static const struct nw_cli_opt query_opts[] = {
    [O_STORE] = {"store", 's', "DIR", "the store to read (default DATA_DIR/store)"},
    [O_EVE] = {"eve", 0, "FILE", "read EVE JSON lines from FILE instead of a store (repeatable)"},
    [O_SINCE] = {"since", 0, "TIME", "records at or after TIME (see TIME below)"},
    [O_UNTIL] = {"until", 0, "TIME", "records before TIME"},
    [O_TYPE] = {"type", 't', "TYPES", "event types, comma-separated (dns,http,session,...)"},
    [O_IP] = {"ip", 0, "IP|CIDR", "any address of the record (src, dest, user, assigned)"},
    [O_MAC] = {"mac", 0, "MAC", "user, DHCP client or PPPoE MAC"},
    [O_USER] = {"user", 'u', "ACCOUNT", "account (user, login, RADIUS, PPPoE), exact"},
    [O_CALLING] = {"calling", 0, "NUMBER", "calling station id, exact"},
    [O_DOMAIN] = {"domain", 'd', "NAME", "DNS name, HTTP host, TLS/QUIC SNI: NAME or under it"},
    [O_URL] = {"url", 0, "TEXT", "HTTP URL contains TEXT (case-sensitive)"},
    [O_LIMIT] = {"limit", 'n', "N", "print at most N records"},
    [O_FORMAT] = {"format", 'f', "FMT", "json (the stored lines, default), table or csv"},
    [O_STATS] = {"stats", 0, NULL, "print scan statistics to stderr"},
    [O_CONFIG] = {"config", 'c', "FILE", "configuration file (default " NW_CONFIG_DEFAULT_PATH
                                         " if it exists)"},
    [O_HELP] = {"help", 'h', NULL, "show this help"},
    [O_CLICKHOUSE] = {"clickhouse", 0, "URL", "query ClickHouse (clickhouse://HOST:PORT/DB) instead of a store"},
    {NULL, 0, NULL, NULL},
};

struct query_args {
    struct nw_query q;
    uint64_t now_us;
    const char *store;
    const char *clickhouse;
    const char *eve[MAX_EVE];
    int neve;
    const char *config;
    int stats;
    int help;
};

static int on_opt(void *arg, int idx, const char *v)
{
    struct query_args *a = arg;
    struct nw_err err;

    switch (idx) {
    case O_STORE: a->store = v; return 0;
    case O_CLICKHOUSE: a->clickhouse = v; return 0;
    case O_EVE:
        if (a->neve == MAX_EVE) {
            fprintf(stderr, "netwarden query: more than %d --eve files; cat them together\n",
                    MAX_EVE);
            return -1;
        }
        a->eve[a->neve++] = v;
        return 0;
    case O_STATS: a->stats = 1; return 0;
    case O_CONFIG: a->config = v; return 0;
    case O_HELP: a->help = 1; return 0;
    default:
        if (nw_query_set(&a->q, query_opts[idx].name, v, a->now_us, &err) != 0) {
            fprintf(stderr, "netwarden query: %s\n", err.msg);
            return -1;
        }
        return 0;
    }
}

static void usage(void)
{
    printf("usage: netwarden query [--store DIR | --eve FILE...] [FILTERS] [--format FMT]\n"
           "       netwarden query who --ip IP --at TIME [--store DIR]\n\n"
           "Print the stored audit records that match every filter given, oldest first.\n\n");
    nw_cli_print_opts(query_opts);
    printf("\nTIME: RFC 3339 (2026-09-03T14:05:00+08:00), '2026-09-03 14:05[:07]' or\n"
           "2026-09-03 (local time), -90s/-30m/-2h/-7d/-1w (before now), now, today,\n"
           "yesterday (midnights), @EPOCH_SECONDS. --since is inclusive, --until exclusive.\n\n"
           "Examples:\n"
           "  netwarden query --store /var/lib/netwarden/store --ip 10.1.2.3 --since -2h -f table\n"
           "  netwarden query --user alice --type http,tls --since yesterday --until today\n"
           "  netwarden query --domain example.com --format csv > example.csv\n"
           "  netwarden query who --ip 10.1.2.3 --at '2026-09-03 14:05'\n\n"
           "Exit codes: 0 success (also when nothing matched; a note goes to stderr),\n"
           "2 usage or input error (bad filter, no such store), 3 runtime failure\n"
           "(damaged store, I/O). See docs/query.md.\n");
}

void nw__query_print_scan_stats(FILE *out, const struct nw_store_scan_stats *st)
{
    char ident[64] = "";

    if (st->blocks_ident_only) /* store.h v4: only their identity frame was read */
        snprintf(ident, sizeof ident, " (%llu of them identity frame only)",
                 (unsigned long long)st->blocks_ident_only);
    fprintf(out,
            "scan: %llu partitions, %llu segments, %llu blocks (%llu skipped by time, %llu by "
            "index keys, %llu read%s, %llu damaged), %llu bytes read, %llu bytes decompressed, "
            "%llu records delivered\n",
            (unsigned long long)st->partitions, (unsigned long long)st->segments,
            (unsigned long long)st->blocks, (unsigned long long)st->blocks_skipped_time,
            (unsigned long long)st->blocks_skipped_keys, (unsigned long long)st->blocks_read,
            ident, (unsigned long long)st->damaged, (unsigned long long)st->bytes_read,
            (unsigned long long)st->bytes_decompressed, (unsigned long long)st->records);
}

struct run {
    const struct nw_query *q;
    struct nw__qfmt fmt;
    uint64_t seen, matched;
    int out_err; /* the first error writing a row: NW_ENOMEM or NW_EIO */
};

static int on_line(struct run *r, const char *line, size_t len, int have_ts, uint64_t ts)
{
    r->seen++;
    if (!nw__query_match_ts(r->q, line, len, have_ts, ts)) return 0;
    r->matched++;
    if ((r->out_err = nw__qfmt_row(&r->fmt, line, len)) != 0) return 1;
    return r->q->limit && r->matched >= r->q->limit;
}

static int on_record(void *arg, const char *line, size_t len, uint64_t ts_us)
{
    return on_line(arg, line, len, 1, ts_us);
}

/* Query JSON-lines files: the same filters without an index. */
static int run_eve(struct query_args *a, struct run *r)
{
    char *line = NULL;
    size_t cap = 0;
    int rc = NW_EXIT_OK;

    for (int i = 0; i < a->neve && rc == NW_EXIT_OK; i++) {
        FILE *f = strcmp(a->eve[i], "-") == 0 ? stdin : fopen(a->eve[i], "r");
        ssize_t n;
        int stop = 0;
        if (f == NULL) {
            fprintf(stderr, "netwarden query: cannot open %s: %s\n", a->eve[i], strerror(errno));
            rc = NW_EXIT_USAGE;
            break;
        }
        while (!stop && (n = getline(&line, &cap, f)) > 0) {
            size_t len = (size_t)n;
            if (line[len - 1] == '\n') len--;
            if (len == 0) continue;
            stop = on_line(r, line, len, 0, 0);
        }
        if (ferror(f)) {
            fprintf(stderr, "netwarden query: reading %s: %s\n", a->eve[i], strerror(errno));
            rc = NW_EXIT_RUNTIME;
        }
        if (f != stdin) fclose(f);
        if (stop) break;
    }
    free(line); /* checksrc: getline allocates with libc */
    return rc;
}

static int run_store(struct query_args *a, struct run *r, const char *dir)
{
    struct nw_query_keys keys;
    struct nw_store_scan s;
    struct nw_store_scan_stats st;
    struct nw_err err;
    struct stat sb;
    const char *types[NW_QUERY_MAX_TYPES + 1];
    int rc;

    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "netwarden query: no store at %s (%s); give the directory that "
                "'netwarden audit --store' or 'netwarden import --store' wrote\n", dir,
                stat(dir, &sb) != 0 ? strerror(errno) : "not a directory");
        return NW_EXIT_USAGE;
    }
    if (nw_query_keys_build(&a->q, &keys) != 0) {
        fprintf(stderr, "netwarden query: out of memory\n");
        return NW_EXIT_RUNTIME;
    }
    memset(&s, 0, sizeof s);
    memset(&st, 0, sizeof st);
    s.since_us = a->q.since_us;
    s.until_us = a->q.until_us;
    s.groups = keys.groups;
    s.ngroups = keys.ngroups;
    s.on_record = on_record;
    s.arg = r;
    s.must_contain = nw__query_needle(&a->q);
    /* --type: a scan for identity types reads only blocks' identity frames
     * (store.h v4; the types are still matched exactly per record) */
    for (size_t k = 0; k < a->q.ntypes && k < NW_QUERY_MAX_TYPES; k++) types[k] = a->q.types[k];
    types[a->q.ntypes < NW_QUERY_MAX_TYPES ? a->q.ntypes : NW_QUERY_MAX_TYPES] = NULL;
    if (a->q.ntypes) s.only_types = types;
    err.msg[0] = '\0';
    rc = nw_store_scan(dir, &s, &st, &err);
    nw_query_keys_free(&keys);
    if (a->stats) nw__query_print_scan_stats(stderr, &st);
    if (rc < 0) {
        fprintf(stderr, "netwarden query: %s\n", err.msg[0] ? err.msg : nw_strerror(rc));
        return rc == NW_ENOENT || rc == NW_EINVAL ? NW_EXIT_USAGE : NW_EXIT_RUNTIME;
    }
    if (st.damaged > 0) {
        fprintf(stderr, "netwarden query: %llu damaged block(s) in %s were skipped, so the "
                "answer may be incomplete; run 'netwarden verify --store %s'\n",
                (unsigned long long)st.damaged, dir, dir);
        return NW_EXIT_RUNTIME;
    }
    if (r->matched == 0) {
        char span[128];
        nw__query_store_span(dir, span, sizeof span);
        fprintf(stderr, "netwarden query: no record matches; the store %s holds %s\n", dir,
                span);
    }
    return NW_EXIT_OK;
}

void nw__query_store_span(const char *dir, char *out, size_t cap)
{
    char lo[11] = "", hi[11] = "";
    unsigned long n = 0;
    DIR *d = opendir(dir);
    struct dirent *de;

    if (d == NULL) {
        snprintf(out, cap, "nothing readable");
        return;
    }
    while ((de = readdir(d)) != NULL) {
        const char *s = de->d_name;
        int ok = strlen(s) == 10 && s[4] == '-' && s[7] == '-';
        for (int k = 0; ok && k < 10; k++)
            if (k != 4 && k != 7 && (s[k] < '0' || s[k] > '9')) ok = 0;
        if (!ok) continue;
        n++;
        if (lo[0] == '\0' || strcmp(s, lo) < 0) memcpy(lo, s, 11);
        if (hi[0] == '\0' || strcmp(s, hi) > 0) memcpy(hi, s, 11);
    }
    closedir(d);
    if (n == 0)
        snprintf(out, cap, "no records yet");
    else
        snprintf(out, cap, "records of %lu day(s), %s .. %s (UTC)", n, lo, hi);
}

int nw_cmd_query(int argc, char **argv)
{
    struct query_args a;
    struct run r;
    struct nw_err err;
    char dirbuf[4096];
    const char *dir;
    struct timespec t0, t1;
    int i, rc;

    if (argc >= 2 && strcmp(argv[1], "who") == 0) return nw_cmd_query_who(argc - 1, argv + 1);
    memset(&a, 0, sizeof a);
    nw_query_init(&a.q);
    a.now_us = nw_time_now_us();
    i = nw_cli_parse("query", query_opts, argc, argv, on_opt, &a);
    if (i < 0) return NW_EXIT_USAGE;
    if (a.help) {
        usage();
        return NW_EXIT_OK;
    }
    if (i < argc) {
        fprintf(stderr, "netwarden query: unexpected argument '%s'; filters are options "
                "(--ip, --user, ...); see 'netwarden query --help'\n", argv[i]);
        return NW_EXIT_USAGE;
    }
    if (nw_query_check(&a.q, &err) != 0) {
        fprintf(stderr, "netwarden query: %s\n", err.msg);
        return NW_EXIT_USAGE;
    }
    if (a.clickhouse) return nw_clickhouse_query_print(a.clickhouse, &a.q, stdout, a.stats);
    if (a.store && a.neve) {
        fprintf(stderr, "netwarden query: give --store or --eve, not both\n");
        return NW_EXIT_USAGE;
    }
    dir = a.store;
    if (dir == NULL && a.neve == 0) {
        struct nw_config conf;
        if ((rc = nw_cli_config("query", &conf, a.config, NULL)) != 0) return rc;
        snprintf(dirbuf, sizeof dirbuf, "%s/store", conf.data_dir ? conf.data_dir : ".");
        nw_config_fini(&conf);
        dir = dirbuf;
    }
    memset(&r, 0, sizeof r);
    r.q = &a.q;
    nw__qfmt_init(&r.fmt, a.q.format, stdout);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = nw__qfmt_begin(&r.fmt);
    if (rc == 0) rc = a.neve ? run_eve(&a, &r) : run_store(&a, &r, dir);
    else rc = NW_EXIT_RUNTIME;
    if (r.out_err == NW_ENOMEM) { /* said "cannot write the output" with a stray errno */
        fprintf(stderr, "netwarden query: out of memory formatting a record\n");
        if (rc == NW_EXIT_OK) rc = NW_EXIT_RUNTIME;
    } else if (nw__qfmt_end(&r.fmt) != 0 || r.out_err) {
        fprintf(stderr, "netwarden query: cannot write the output: %s\n", strerror(errno));
        if (rc == NW_EXIT_OK) rc = NW_EXIT_RUNTIME;
    }
    nw__qfmt_fini(&r.fmt);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (a.stats)
        fprintf(stderr, "query: %llu records examined, %llu matched, %.3f s\n",
                (unsigned long long)r.seen, (unsigned long long)r.matched,
                (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    if (rc == NW_EXIT_OK && r.matched == 0 && a.neve)
        fprintf(stderr, "netwarden query: no record matches (%llu examined)\n",
                (unsigned long long)r.seen);
    return rc;
}
