/*
 * cmd_who.c - `netwarden query who --ip IP --at TIME`: who held an address at
 * a moment — the police question. Answers from the store alone.
 *
 * Rule (docs/query.md): a binding is in force at T when a `session` record
 * for IP says it started at or before T (session.login) and no end record
 * of the same binding says it ended at or before T. Session records are read
 * from [T - 7 days, T + 1 day): a binding that began more than 7 days before
 * T is still found through its end record (which repeats the login time) or,
 * failing that, through the `user` objects below. A binding with no end
 * record before the window's end is reported as open.
 * When no session record gives a binding, the `user` objects of the IP's
 * own records within [T - 1 h, T + 1 h] are used: the closest one at or
 * before T (else after) names the identity the sensor attached then. This
 * covers static-map bindings (no session records) and stores without
 * session records (imported logs); when the window does hold session
 * records for the address, only `static` user objects are taken, since the
 * sessions already said nobody was logged in at T.
 * Several bindings can hold at once (RADIUS account + DHCP lease): all are
 * listed, primary first (radius = pppoe > dhcp > static, newest login).
 *
 * Exit codes: 0 a binding was found, 1 none is known (the answer "nobody"
 * is printed plainly, like grep's 1), 2 usage/input error, 3 runtime
 * failure (damaged store, I/O).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../cli/cli.h"
#include "nw/config.h"
#include "nw/json.h"
#include "nw/jsonscan.h"
#include "nw/query.h"
#include "nw/store.h"
#include "query_int.h"

#define DAY_US 86400000000ull
#define HOUR_US 3600000000ull
#define MAX_BINDINGS 4096 /* per address within 8 days: DHCP renewals are silent, so few */

enum { O_STORE, O_IP, O_AT, O_FORMAT, O_STATS, O_CONFIG, O_HELP };
static const struct nw_cli_opt who_opts[] = {
    [O_STORE] = {"store", 's', "DIR", "the store to read (default DATA_DIR/store)"},
    [O_IP] = {"ip", 0, "IP", "the address (IPv4 or IPv6)"},
    [O_AT] = {"at", 0, "TIME", "the moment (same forms as query --since; default now)"},
    [O_FORMAT] = {"format", 'f', "FMT", "text (default) or json"},
    [O_STATS] = {"stats", 0, NULL, "print scan statistics and the time taken to stderr"},
    [O_CONFIG] = {"config", 'c', "FILE", "configuration file (default " NW_CONFIG_DEFAULT_PATH
                                         " if it exists)"},
    [O_HELP] = {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

struct who_args {
    const char *store, *ip, *at, *format, *config;
    int stats, help;
};

static int on_opt(void *arg, int idx, const char *v)
{
    struct who_args *a = arg;

    switch (idx) {
    case O_STORE: a->store = v; break;
    case O_IP: a->ip = v; break;
    case O_AT: a->at = v; break;
    case O_FORMAT: a->format = v; break;
    case O_STATS: a->stats = 1; break;
    case O_CONFIG: a->config = v; break;
    case O_HELP: a->help = 1; break;
    default: return -1;
    }
    return 0;
}

/* One binding: its identity and its life as told by session records (or a user object). */
struct binding {
    char source[16], session_id[128], account[256], mac[32], calling[128], hostname[256];
    char nas[128], reason[32];
    char login_txt[48], logout_txt[48], evidence[96];
    uint64_t login_us, logout_us; /* logout_us 0 = no end seen */
    int from_user_obj;            /* 1: from a traffic record's `user` object */
    uint64_t seen_us;             /* user object: that record's time */
};

struct who {
    struct nw_query_net net;
    uint64_t at_us;
    struct binding *b;
    size_t nb, cap; /* b grows on demand up to MAX_BINDINGS (1.2 KB each) */
    size_t dropped;
    uint64_t sessions_seen; /* session records of the address in the window */
    /* user-object fallback */
    struct binding near;
    int have_near;
    uint64_t near_dist;
};

static void get(const char *line, size_t len, const char *path, char *buf, size_t cap)
{
    if (nw__qget(line, len, path, buf, cap) < 0) buf[0] = '\0';
}

static uint64_t parse_ts(const char *s)
{
    uint64_t us;
    return nw_json_parse_time(s, strlen(s), &us) == 0 ? us : 0;
}

/* Is the record's src_ip (session records: the bound address) our address? */
static int same_ip(const struct nw_query_net *n, const char *txt)
{
    struct nw_query_net m;
    struct nw_err e;

    return nw_query_parse_net(txt, &m, &e) == 0 && m.family == n->family &&
           memcmp(m.addr, n->addr, 16) == 0;
}

/*
 * Cheap necessary condition before parsing: a block holds every record of
 * its time slice, most of them other addresses'. Without escapes in the line
 * its raw bytes are its values, so the IPv4 text (inet_pton accepts one
 * text per address) and "session" must occur in it.
 */
static int maybe(const struct who *w, const char *line, size_t len, int session)
{
    if (memchr(line, '\\', len) != NULL) return 1;
    if (session && memmem(line, len, "\"session\"", 9) == NULL) return 0;
    if (w->net.family == 4 && memmem(line, len, w->net.text, strlen(w->net.text)) == NULL)
        return 0;
    return 1;
}

static void fill_user(struct binding *b, const char *line, size_t len)
{
    get(line, len, "user.account", b->account, sizeof b->account);
    get(line, len, "user.mac", b->mac, sizeof b->mac);
    get(line, len, "user.calling_station", b->calling, sizeof b->calling);
    get(line, len, "user.hostname", b->hostname, sizeof b->hostname);
    get(line, len, "user.session_id", b->session_id, sizeof b->session_id);
}

static int on_session(void *arg, const char *line, size_t len, uint64_t ts_us)
{
    struct who *w = arg;
    struct binding nb;
    char ip[80], state[16], type[32];
    size_t i;

    if (!maybe(w, line, len, 1)) return 0;
    get(line, len, "event_type", type, sizeof type);
    if (strcmp(type, "session") != 0) return 0;
    get(line, len, "src_ip", ip, sizeof ip);
    if (!same_ip(&w->net, ip)) return 0;
    w->sessions_seen++;
    memset(&nb, 0, sizeof nb);
    get(line, len, "session.state", state, sizeof state);
    get(line, len, "session.source", nb.source, sizeof nb.source);
    get(line, len, "session.login", nb.login_txt, sizeof nb.login_txt);
    get(line, len, "session.nas", nb.nas, sizeof nb.nas);
    fill_user(&nb, line, len);
    nb.login_us = parse_ts(nb.login_txt);
    if (nb.login_us == 0) return 0; /* a session record without a login time tells nothing */
    /* the same binding: same source, login time, session id, account and MAC */
    for (i = 0; i < w->nb; i++) {
        struct binding *b = &w->b[i];
        if (b->login_us == nb.login_us && strcmp(b->source, nb.source) == 0 &&
            strcmp(b->session_id, nb.session_id) == 0 && strcmp(b->account, nb.account) == 0 &&
            strcmp(b->mac, nb.mac) == 0)
            break;
    }
    if (i == w->nb) {
        if (w->nb == MAX_BINDINGS) {
            w->dropped++;
            return 0;
        }
        if (w->nb == w->cap) {
            size_t nc = w->cap * 2 > MAX_BINDINGS ? MAX_BINDINGS : w->cap * 2;
            struct binding *n2 = nw_realloc(w->b, nc * sizeof *n2);
            if (n2 == NULL) {
                w->dropped++;
                return 0;
            }
            w->b = n2;
            w->cap = nc;
        }
        snprintf(nb.evidence, sizeof nb.evidence, "session records");
        w->b[w->nb++] = nb;
    }
    if (strcmp(state, "end") == 0) {
        struct binding *b = &w->b[i];
        char tsbuf[48];
        get(line, len, "session.reason", b->reason, sizeof b->reason);
        get(line, len, "session.logout", b->logout_txt, sizeof b->logout_txt);
        b->logout_us = parse_ts(b->logout_txt);
        if (b->logout_us == 0) { /* end_of_input: logout null, the record's time is the end */
            b->logout_us = ts_us ? ts_us : 1;
            get(line, len, "timestamp", tsbuf, sizeof tsbuf);
            snprintf(b->logout_txt, sizeof b->logout_txt, "%s", tsbuf);
        }
        /* learned-later fields: keep what the start lacked */
        if (!b->hostname[0]) get(line, len, "user.hostname", b->hostname, sizeof b->hostname);
        if (!b->calling[0])
            get(line, len, "user.calling_station", b->calling, sizeof b->calling);
    }
    return 0;
}

static int on_traffic(void *arg, const char *line, size_t len, uint64_t ts_us)
{
    struct who *w = arg;
    char ip[80], tsbuf[48], type[32], src[16];
    uint64_t dist;

    if (!maybe(w, line, len, 0)) return 0;
    get(line, len, "user.ip", ip, sizeof ip);
    if (!same_ip(&w->net, ip)) return 0;
    /*
     * Session records, when there are any for the address, are the authority
     * for radius/pppoe/dhcp bindings: a traffic record of 14:05 must not name
     * a user whose session ended at 14:30 for a question about 14:45. Only
     * static-map bindings (always in force, no session records) are then
     * taken from user objects.
     */
    get(line, len, "user.source", src, sizeof src);
    if (w->sessions_seen > 0 && strcmp(src, "static") != 0) return 0;
    /* prefer records at or before T: the identity was in force then */
    dist = ts_us <= w->at_us ? w->at_us - ts_us : (ts_us - w->at_us) + HOUR_US;
    if (w->have_near && dist >= w->near_dist) return 0;
    memset(&w->near, 0, sizeof w->near);
    fill_user(&w->near, line, len);
    get(line, len, "user.source", w->near.source, sizeof w->near.source);
    get(line, len, "timestamp", tsbuf, sizeof tsbuf);
    get(line, len, "event_type", type, sizeof type);
    snprintf(w->near.evidence, sizeof w->near.evidence, "%.16s record at %.40s", type, tsbuf);
    w->near.from_user_obj = 1;
    w->near.seen_us = ts_us;
    w->have_near = 1;
    w->near_dist = dist;
    return 0;
}

static int rank(const char *source)
{
    if (strcmp(source, "radius") == 0 || strcmp(source, "pppoe") == 0) return 0;
    if (strcmp(source, "dhcp") == 0) return 1;
    return 2;
}

static int cmp_binding(const void *x, const void *y)
{
    const struct binding *a = x, *b = y;
    int ra = rank(a->source), rb = rank(b->source);

    if (ra != rb) return ra - rb;
    return a->login_us > b->login_us ? -1 : a->login_us < b->login_us;
}

static void print_text(const struct binding *b, int primary)
{
    printf("%s\n", primary ? "" : "  also in force:");
    if (b->account[0]) printf("  account          %s\n", b->account);
    if (b->mac[0]) printf("  MAC              %s\n", b->mac);
    if (b->calling[0]) printf("  calling station  %s\n", b->calling);
    if (b->hostname[0]) printf("  hostname         %s\n", b->hostname);
    printf("  source           %s%s%s%s%s\n", b->source[0] ? b->source : "unknown",
           b->session_id[0] ? ", session " : "", b->session_id,
           b->nas[0] ? ", NAS " : "", b->nas);
    if (b->from_user_obj) {
        printf("  evidence         the identity attached to a %s\n", b->evidence);
        return;
    }
    printf("  session start    %s\n", b->login_txt);
    if (b->logout_us)
        printf("  session end      %s (%s)\n", b->logout_txt, b->reason[0] ? b->reason : "end");
    else
        printf("  session end      none recorded up to the end of the search window\n");
}

static void print_json(struct nw_buf *o, const struct binding *b)
{
    nw_json_obj_open(o);
    if (b->account[0]) nw_json_kcstr(o, "account", b->account);
    if (b->mac[0]) nw_json_kcstr(o, "mac", b->mac);
    if (b->calling[0]) nw_json_kcstr(o, "calling_station", b->calling);
    if (b->hostname[0]) nw_json_kcstr(o, "hostname", b->hostname);
    if (b->source[0]) nw_json_kcstr(o, "source", b->source);
    if (b->session_id[0]) nw_json_kcstr(o, "session_id", b->session_id);
    if (b->nas[0]) nw_json_kcstr(o, "nas", b->nas);
    if (b->from_user_obj) {
        nw_json_kcstr(o, "evidence", b->evidence);
    } else {
        nw_json_kcstr(o, "evidence", "session");
        nw_json_kcstr(o, "login", b->login_txt);
        if (b->logout_us) {
            nw_json_kcstr(o, "logout", b->logout_txt);
            if (b->reason[0]) nw_json_kcstr(o, "reason", b->reason);
        } else {
            nw_json_key(o, "logout");
            nw_json_null(o);
        }
    }
    nw_json_obj_close(o);
}

static int scan(const char *dir, uint64_t since, uint64_t until, const char *const *const *g,
                size_t ng, int (*cb)(void *, const char *, size_t, uint64_t), struct who *w,
                const char *const *types, struct nw_store_scan_stats *acc)
{
    struct nw_store_scan s;
    struct nw_store_scan_stats st;
    struct nw_err err;
    int rc;

    memset(&s, 0, sizeof s);
    s.since_us = since;
    s.until_us = until;
    s.groups = g;
    s.ngroups = ng;
    s.on_record = cb;
    s.arg = w;
    s.only_types = types;
    /* maybe(): an IPv4 record of the address holds its text unless escaped;
     * the store then hands over only the few records that contain it */
    if (w->net.family == 4) s.must_contain = w->net.text;
    err.msg[0] = '\0';
    rc = nw_store_scan(dir, &s, &st, &err);
    acc->partitions += st.partitions;
    acc->segments += st.segments;
    acc->blocks += st.blocks;
    acc->blocks_skipped_time += st.blocks_skipped_time;
    acc->blocks_skipped_keys += st.blocks_skipped_keys;
    acc->blocks_read += st.blocks_read;
    acc->bytes_read += st.bytes_read;
    acc->bytes_decompressed += st.bytes_decompressed;
    acc->records += st.records;
    acc->damaged += st.damaged;
    acc->records_prefiltered += st.records_prefiltered;
    acc->blocks_ident_only += st.blocks_ident_only;
    if (rc < 0) {
        fprintf(stderr, "netwarden query who: %s\n", err.msg[0] ? err.msg : nw_strerror(rc));
        return rc == NW_ENOENT || rc == NW_EINVAL ? NW_EXIT_USAGE : NW_EXIT_RUNTIME;
    }
    return 0;
}

int nw_cmd_query_who(int argc, char **argv)
{
    struct who_args a;
    struct who w;
    struct nw_err err;
    struct nw_store_scan_stats st;
    char dirbuf[4096], key[96], skey[112], attxt[NW_TIME_BUFSZ];
    const char *dir, *g_ip[2], *g_sess[2];
    const char *const *groups[2];
    static const char *const session_type[] = {"session", NULL};
    struct stat sb;
    uint64_t t0 = nw_time_now_us();
    int json = 0, rc, i;

    memset(&a, 0, sizeof a);
    memset(&w, 0, sizeof w);
    memset(&st, 0, sizeof st);
    i = nw_cli_parse("query who", who_opts, argc, argv, on_opt, &a);
    if (i < 0) return NW_EXIT_USAGE;
    if (a.help) {
        printf("usage: netwarden query who --ip IP [--at TIME] [--store DIR] [--format json]\n\n"
               "Who held IP at TIME: account, MAC, calling station, hostname, session start\n"
               "and end, and the source (radius, pppoe, dhcp, static), from the session\n"
               "records in the store (TIME - 7 days .. TIME + 1 day) and, failing those, from\n"
               "the identity attached to the address's own records within an hour of TIME.\n\n");
        nw_cli_print_opts(who_opts);
        printf("\nTIME: RFC 3339, '2026-09-03 14:05[:07]', 2026-09-03, -2h, now, today,\n"
               "yesterday, @EPOCH_SECONDS (local time unless an offset is written).\n\n"
               "Exit codes: 0 a binding was found, 1 no user is known for IP at TIME,\n"
               "2 usage or input error, 3 runtime failure (damaged store, I/O).\n");
        return NW_EXIT_OK;
    }
    if (i < argc) {
        fprintf(stderr, "netwarden query who: unexpected argument '%s'; see 'netwarden query "
                "who --help'\n", argv[i]);
        return NW_EXIT_USAGE;
    }
    if (a.ip == NULL) {
        fprintf(stderr, "netwarden query who: give the address: --ip IP (and --at TIME)\n");
        return NW_EXIT_USAGE;
    }
    if (nw_query_parse_net(a.ip, &w.net, &err) != 0) {
        fprintf(stderr, "netwarden query who: --ip: %s\n", err.msg);
        return NW_EXIT_USAGE;
    }
    if (w.net.prefix != (w.net.family == 4 ? 32u : 128u)) {
        fprintf(stderr, "netwarden query who: --ip takes one address, not a network; for a "
                "network use 'netwarden query --ip %s --type session'\n", a.ip);
        return NW_EXIT_USAGE;
    }
    w.at_us = t0;
    if (a.at && nw_query_parse_time(a.at, t0, &w.at_us, &err) != 0) {
        fprintf(stderr, "netwarden query who: --at: %s\n", err.msg);
        return NW_EXIT_USAGE;
    }
    if (a.format && strcmp(a.format, "json") == 0)
        json = 1;
    else if (a.format && strcmp(a.format, "text") != 0) {
        fprintf(stderr, "netwarden query who: --format '%s': use text or json\n", a.format);
        return NW_EXIT_USAGE;
    }
    dir = a.store;
    if (dir == NULL) {
        struct nw_config conf;
        if ((rc = nw_cli_config("query who", &conf, a.config, NULL)) != 0) return rc;
        snprintf(dirbuf, sizeof dirbuf, "%s/store", conf.data_dir ? conf.data_dir : ".");
        nw_config_fini(&conf);
        dir = dirbuf;
    }
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "netwarden query who: no store at %s (%s); give the directory that "
                "'netwarden audit --store' wrote\n", dir,
                stat(dir, &sb) != 0 ? strerror(errno) : "not a directory");
        return NW_EXIT_USAGE;
    }
    w.cap = 16;
    w.b = nw_calloc(w.cap, sizeof *w.b);
    if (w.b == NULL) {
        fprintf(stderr, "netwarden query who: out of memory\n");
        return NW_EXIT_RUNTIME;
    }
    snprintf(key, sizeof key, "ip:%s", w.net.text);
    g_ip[0] = key;
    g_ip[1] = NULL;
    /* session records index their bound address apart (store.h, key v2): only
     * blocks holding a session for this address are read */
    snprintf(skey, sizeof skey, "session.ip:%s", w.net.text);
    g_sess[0] = skey;
    g_sess[1] = NULL;
    groups[0] = g_sess;
    /* AND ip:X, which the same session records index (their src_ip): it never
     * skips a block holding one, but a block must now pass two bloom filter
     * probes by chance to be read in vain — on the days nobody used the
     * address, false reads drop from ~3.5 % of the blocks to ~0.1 % */
    groups[1] = g_ip;
    /* session records sit in each block's identity frame (store.h v4): only
     * that small frame is read and decompressed, not the block's traffic */
    rc = scan(dir, w.at_us > 7 * DAY_US ? w.at_us - 7 * DAY_US : 0, w.at_us + DAY_US, groups, 2,
              on_session, &w, session_type, &st);
    if (rc != 0) goto out;
    {   /* keep the bindings in force at T */
        size_t k = 0;
        for (size_t j = 0; j < w.nb; j++) {
            struct binding *b = &w.b[j];
            if (b->login_us <= w.at_us && (b->logout_us == 0 || b->logout_us > w.at_us))
                w.b[k++] = *b;
        }
        w.nb = k;
    }
    if (w.nb == 0) {
        groups[0] = g_ip;
        rc = scan(dir, w.at_us > HOUR_US ? w.at_us - HOUR_US : 0, w.at_us + HOUR_US, groups, 1,
                  on_traffic, &w, NULL, &st);
        if (rc != 0) goto out;
        if (w.have_near) w.b[w.nb++] = w.near;
    }
    if (w.nb > 1) qsort(w.b, w.nb, sizeof *w.b, cmp_binding);
    nw_time_rfc3339(w.at_us, attxt);
    if (json) {
        struct nw_buf o;
        nw_buf_init(&o, 0);
        nw_json_obj_open(&o);
        nw_json_kcstr(&o, "ip", w.net.text);
        nw_json_kcstr(&o, "at", attxt);
        nw_json_karr_open(&o, "bindings");
        for (size_t j = 0; j < w.nb; j++) print_json(&o, &w.b[j]);
        nw_json_arr_close(&o);
        nw_json_obj_close(&o);
        nw_buf_putc(&o, '\n');
        if (nw_buf_ok(&o)) fwrite(o.data, 1, o.len, stdout);
        nw_buf_fini(&o);
    } else if (w.nb > 0) {
        printf("%s at %s was held by:", w.net.text, attxt);
        for (size_t j = 0; j < w.nb; j++) print_text(&w.b[j], j == 0);
    }
    if (w.nb == 0) {
        char span[128];
        nw__query_store_span(dir, span, sizeof span);
        fprintf(json ? stderr : stdout,
                "no user is known to have held %s at %s; the store %s holds %s\n", w.net.text,
                attxt, dir, span);
        rc = NW_EXIT_FINDINGS;
    }
    if (st.damaged > 0) {
        fprintf(stderr, "netwarden query who: %llu damaged block(s) were skipped, so the "
                "answer may be incomplete; run 'netwarden verify --store %s'\n",
                (unsigned long long)st.damaged, dir);
        rc = NW_EXIT_RUNTIME;
    }
    if (w.dropped)
        fprintf(stderr, "netwarden query who: more than %d bindings of %s in the window; "
                "%zu were not considered\n", MAX_BINDINGS, w.net.text, w.dropped);
out:
    if (a.stats) {
        nw__query_print_scan_stats(stderr, &st);
        fprintf(stderr, "who: %.1f ms\n", (double)(nw_time_now_us() - t0) / 1000.0);
    }
    nw_free(w.b);
    return rc;
}
