/*
 * clickhouse.c - the ClickHouse record sink: batches, the spool, the sender
 * thread, and exactly-once delivery.
 *
 * Two threads, one direction:
 *  - the pipeline thread (write/flush/close) turns each record into a
 *    JSONEachRow row of the open batch; a batch closes at `batch` records,
 *    `batch_bytes` bytes or `batch_ms` age (age is checked when a record
 *    arrives or at flush), and is then written to the spool (fsync'd) before
 *    write() returns. It never waits for ClickHouse.
 *  - the sender thread takes spooled batches oldest first, inserts each with
 *    one HTTP request, and deletes the file only after HTTP 200. It does not
 *    allocate through nw_alloc per batch (nothing to fail half-way through a
 *    send): its buffers are allocated at open.
 *
 * Exactly once. Every row carries (sensor, batch_seq, batch_idx); sensor is
 * the spool's random id, batch_seq strictly increases (spool.c). The
 * sender sends batches strictly in order and only moves on once the head is
 * acknowledged, so at any moment at most ONE batch - the head - can be in
 * ClickHouse without its file being deleted, in whole or (for a request
 * that died mid-way) in part. That head is marked uncertain after a failed
 * request that may have reached the server, and at startup (netwarden may
 * have died between ClickHouse's commit and the unlink). Before an
 * uncertain head is sent, the sender (1) checks that no query with its
 * query_id is still running on the server (so nothing can still commit
 * behind our back), (2) asks which batch_idx of it are present, and (3)
 * sends only the missing rows. The table is a ReplacingMergeTree keyed by
 * the same triple and `query` skips repeated triples, as a second line of
 * defence. docs/clickhouse.md has the whole argument and its limits.
 */
#include "nw/clickhouse.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ch_int.h"

#define ROW_SLACK (4u << 20) /* a row may exceed batch_bytes by one record */
#define BACKOFF_MIN_MS 200
#define BACKOFF_MAX_MS 5000

struct ch_sink {
    struct nw_ch_url u;
    struct nw_spool *spool;
    char sensor[33];
    char dir[1024];

    /* pipeline thread only */
    struct nw_buf batch;
    uint32_t nrec;
    uint64_t seq;
    uint64_t opened_ms;
    int full_reported;

    /* shared, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    uint64_t drain_deadline_ms;
    struct nw_ch_stats st;
    pthread_t th;
    int th_started;

    /* sender thread only */
    struct nw__ch_http http;
    char *sendbuf;
    size_t sendcap;
    uint8_t *present; /* bitmap of batch_idx already in ClickHouse */
    size_t present_bytes;
    int schema_ok;
    int head_uncertain;
    uint64_t head_seq;
    uint32_t backoff_ms;
    int down_reported;
    char last_err[512];
    /* reconcile response parsing */
    unsigned char part[4];
    size_t partlen;
    uint32_t nrec_head;
    uint64_t crash_after; /* tests: SIGKILL ourselves after the Nth acknowledged insert */
    uint64_t inserts;
};

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- URL ---------------------------------------------------------------- */

static int parse_num(const char *s, size_t n, uint64_t max, int allow_suffix, uint64_t *out)
{
    uint64_t v = 0, mul = 1;

    if (n == 0) return -1;
    if (allow_suffix) {
        char c = s[n - 1];
        if (c == 'K' || c == 'k') mul = 1024, n--;
        else if (c == 'M' || c == 'm') mul = 1024 * 1024, n--;
        else if (c == 'G' || c == 'g') mul = 1024ull * 1024 * 1024, n--;
        if (n == 0) return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10) return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max / mul) return -1;
    *out = v * mul;
    return 0;
}

int nw_ch_url_parse(const char *url, struct nw_ch_url *u, struct nw_err *err)
{
    static const char scheme[] = "clickhouse://";
    const char *p, *auth_end, *at, *hs, *he;
    size_t n;
    uint64_t v;

    memset(u, 0, sizeof *u);
    u->port = 8123;
    memcpy(u->db, "netwarden", 10);
    u->spool_max = 1ull << 30;
    u->batch = 10000;
    u->batch_bytes = 4u << 20;
    u->batch_ms = 1000;
    u->drain_s = 30;
    u->timeout_ms = 10000;
    if (strncmp(url, scheme, sizeof scheme - 1) != 0)
        return nw_err_set(err, NW_EINVAL, "'%s' is not a ClickHouse URL; write "
                          "clickhouse://HOST:PORT/DB (HTTP interface port, default 8123)", url);
    p = url + sizeof scheme - 1;
    auth_end = p + strcspn(p, "/?");
    at = memchr(p, '@', (size_t)(auth_end - p));
    if (at != NULL) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *ue = colon ? colon : at;
        if ((size_t)(ue - p) >= sizeof u->user ||
            (colon && (size_t)(at - colon - 1) >= sizeof u->password))
            return nw_err_set(err, NW_EINVAL, "ClickHouse URL: user or password too long");
        memcpy(u->user, p, (size_t)(ue - p));
        if (colon) memcpy(u->password, colon + 1, (size_t)(at - colon - 1));
        p = at + 1;
    }
    if (*p == '[') {
        hs = p + 1;
        he = memchr(hs, ']', (size_t)(auth_end - hs));
        if (he == NULL) return nw_err_set(err, NW_EINVAL, "ClickHouse URL: unclosed '[' in host");
        p = he + 1;
    } else {
        hs = p;
        he = p + strcspn(p, ":/?");
        if (he > auth_end) he = auth_end;
        p = he;
    }
    n = (size_t)(he - hs);
    if (n == 0 || n >= sizeof u->host)
        return nw_err_set(err, NW_EINVAL, "ClickHouse URL '%s': missing or too long host", url);
    for (size_t i = 0; i < n; i++) {
        char c = hs[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '_'))
            return nw_err_set(err, NW_EINVAL, "ClickHouse URL: bad character in host '%.*s'",
                              (int)n, hs);
    }
    memcpy(u->host, hs, n);
    if (*p == ':') {
        p++;
        n = (size_t)(auth_end - p);
        if (parse_num(p, n, 65535, 0, &v) != 0 || v == 0)
            return nw_err_set(err, NW_EINVAL, "ClickHouse URL: bad port '%.*s' (1..65535)",
                              (int)n, p);
        u->port = (unsigned)v;
        p = auth_end;
    }
    if (p != auth_end) return nw_err_set(err, NW_EINVAL, "ClickHouse URL '%s': bad host part", url);
    if (*p == '/') {
        p++;
        n = strcspn(p, "?");
        if (n > 0) {
            if (n >= sizeof u->db)
                return nw_err_set(err, NW_EINVAL, "ClickHouse URL: database name too long");
            for (size_t i = 0; i < n; i++) {
                char c = p[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9' && i > 0) || c == '_'))
                    return nw_err_set(err, NW_EINVAL, "ClickHouse URL: database '%.*s' must be "
                                      "letters, digits and '_'", (int)n, p);
            }
            memcpy(u->db, p, n);
            u->db[n] = '\0';
        }
        p += n;
    }
    if (*p == '?') p++;
    /* parameters: bounded by the string */
    while (*p) {
        const char *amp = p + strcspn(p, "&");
        const char *eq = memchr(p, '=', (size_t)(amp - p));
        size_t kl, vl;
        const char *val;
        int bad = 0;

        if (eq == NULL)
            return nw_err_set(err, NW_EINVAL, "ClickHouse URL: parameter '%.*s' needs =VALUE",
                              (int)(amp - p), p);
        kl = (size_t)(eq - p);
        val = eq + 1;
        vl = (size_t)(amp - val);
#define KEY(s) (kl == sizeof(s) - 1 && memcmp(p, s, kl) == 0)
        if (KEY("spool")) {
            if (vl == 0 || vl >= sizeof u->spool) bad = 1;
            else memcpy(u->spool, val, vl), u->spool[vl] = '\0';
        } else if (KEY("spool_max")) {
            bad = parse_num(val, vl, 1ull << 50, 1, &v) != 0 || v < 1024 * 1024;
            if (!bad) u->spool_max = v;
        } else if (KEY("batch")) {
            bad = parse_num(val, vl, 1000000, 0, &v) != 0 || v == 0;
            if (!bad) u->batch = (uint32_t)v;
        } else if (KEY("batch_bytes")) {
            bad = parse_num(val, vl, 64u << 20, 1, &v) != 0 || v < 4096;
            if (!bad) u->batch_bytes = (uint32_t)v;
        } else if (KEY("batch_ms")) {
            bad = parse_num(val, vl, 600000, 0, &v) != 0 || v == 0;
            if (!bad) u->batch_ms = (uint32_t)v;
        } else if (KEY("drain_s")) {
            bad = parse_num(val, vl, 86400, 0, &v) != 0;
            if (!bad) u->drain_s = (uint32_t)v;
        } else if (KEY("timeout_ms")) {
            bad = parse_num(val, vl, 3600000, 0, &v) != 0 || v < 100;
            if (!bad) u->timeout_ms = (uint32_t)v;
        } else {
            return nw_err_set(err, NW_EINVAL, "ClickHouse URL: unknown parameter '%.*s'; known: "
                              "spool, spool_max, batch, batch_bytes, batch_ms, drain_s, "
                              "timeout_ms", (int)kl, p);
        }
#undef KEY
        if (bad)
            return nw_err_set(err, NW_EINVAL, "ClickHouse URL: bad value '%.*s' for '%.*s' (see "
                              "docs/clickhouse.md for ranges)", (int)vl, val, (int)kl, p);
        p = *amp ? amp + 1 : amp;
    }
    return 0;
}

/* ---- sender thread ------------------------------------------------------ */

static void set_down(struct ch_sink *c, const char *why)
{
    pthread_mutex_lock(&c->mu);
    c->st.send_failures++;
    pthread_mutex_unlock(&c->mu);
    if (!c->down_reported || strcmp(c->last_err, why) != 0) {
        nw_log(NW_LOG_WARN, "%s; records are kept in the spool %s and sent when it is back",
               why, c->dir);
        c->down_reported = 1;
    }
    snprintf(c->last_err, sizeof c->last_err, "%s", why);
    c->backoff_ms = c->backoff_ms ? NW_MIN(c->backoff_ms * 2, BACKOFF_MAX_MS) : BACKOFF_MIN_MS;
}

static void set_up(struct ch_sink *c)
{
    if (c->down_reported) nw_log(NW_LOG_NOTICE, "ClickHouse at %s:%u is back; replaying the "
                                 "spool in order", c->u.host, c->u.port);
    c->down_reported = 0;
    c->backoff_ms = 0;
    c->last_err[0] = '\0';
}

static int ensure_schema(struct ch_sink *c)
{
    char sql[2048];
    int rc;

    snprintf(sql, sizeof sql, "CREATE DATABASE IF NOT EXISTS %s", c->u.db);
    rc = nw__ch_http_post(&c->http, NULL, NULL, sql, strlen(sql), NULL, NULL, c->u.timeout_ms);
    if (rc != 0) return rc;
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS %s." NW__CH_TABLE " ("
             "date Date, ts DateTime, ts_us UInt64, event_type String, "
             "src_ip String, src_port UInt16, dest_ip String, dest_port UInt16, "
             "account String, mac String, calling String, domain String, url String, "
             "ips Array(String), macs Array(String), users Array(String), "
             "callings Array(String), domains Array(String), "
             "sensor String, batch_seq UInt64, batch_idx UInt32, line String) "
             "ENGINE = ReplacingMergeTree PARTITION BY date "
             "ORDER BY (event_type, ts_us, sensor, batch_seq, batch_idx)",
             c->u.db);
    return nw__ch_http_post(&c->http, NULL, NULL, sql, strlen(sql), NULL, NULL, c->u.timeout_ms);
}

/* Min/max of date and ts_us over a payload's rows (each starts with
 * {"date":"YYYY-MM-DD","ts":N,"ts_us":N - written by nw__ch_row_build). */
static void payload_range(const char *p, size_t n, char dmin[11], char dmax[11], uint64_t *tmin,
                          uint64_t *tmax)
{
    size_t i = 0;

    memcpy(dmin, "9999-99-99", 11);
    memcpy(dmax, "0000-00-00", 11);
    *tmin = UINT64_MAX;
    *tmax = 0;
    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - p) : n;
        if (e - i > 20 && memcmp(p + i, "{\"date\":\"", 9) == 0) {
            const char *d = p + i + 9, *t;
            if (memcmp(d, dmin, 10) < 0) memcpy(dmin, d, 10);
            if (memcmp(d, dmax, 10) > 0) memcpy(dmax, d, 10);
            t = memchr(d, 'u', e - i - 9); /* "ts_us": */
            if (t != NULL && (size_t)(t - p) + 4 < e) {
                uint64_t v = 0;
                const char *q = t + 4;
                while (q < p + e && *q >= '0' && *q <= '9') v = v * 10 + (uint64_t)(*q++ - '0');
                if (v < *tmin) *tmin = v;
                if (v > *tmax) *tmax = v;
            }
        }
        i = e + 1;
    }
    if (*tmin == UINT64_MAX) *tmin = 0;
}

static int on_idx(void *arg, const char *p, size_t n)
{
    struct ch_sink *c = arg;

    for (size_t i = 0; i < n; i++) {
        c->part[c->partlen++] = (unsigned char)p[i];
        if (c->partlen == 4) {
            uint32_t idx = (uint32_t)c->part[0] | (uint32_t)c->part[1] << 8 |
                           (uint32_t)c->part[2] << 16 | (uint32_t)c->part[3] << 24;
            if (idx < c->nrec_head) c->present[idx >> 3] |= (uint8_t)(1u << (idx & 7));
            c->partlen = 0;
        }
    }
    return 0;
}

static int on_text(void *arg, const char *p, size_t n)
{
    char *out = arg;
    size_t l = strlen(out);

    n = NW_MIN(n, 63 - l);
    memcpy(out + l, p, n);
    out[l + n] = '\0';
    return 0;
}

/*
 * Make the head batch safe to (re)send: wait until its earlier insert is no
 * longer running, then find which rows are present and keep only the others
 * in the payload. Returns 0 (b->len may be 0: all present), 1 to retry
 * later, or an error (server down).
 */
static int reconcile(struct ch_sink *c, struct nw_spool_batch *b)
{
    char sql[1024], qid[96], dmin[11], dmax[11], txt[64];
    uint64_t tmin, tmax;
    size_t o = 0, i = 0;
    uint32_t idx = 0;
    int rc;

    snprintf(qid, sizeof qid, "nw-%s-%016" PRIx64, c->sensor, b->seq);
    snprintf(sql, sizeof sql, "SELECT count() FROM system.processes WHERE query_id = '%s'",
             qid);
    txt[0] = '\0';
    rc = nw__ch_http_post(&c->http, NULL, NULL, sql, strlen(sql), on_text, txt,
                          c->u.timeout_ms);
    if (rc != 0) return rc;
    if (txt[0] != '0') return 1; /* the earlier insert is still running */
    if (b->nrec > c->present_bytes * 8) return NW_ELIMIT;
    memset(c->present, 0, (b->nrec + 7) / 8);
    c->partlen = 0;
    c->nrec_head = b->nrec;
    payload_range(b->data, b->len, dmin, dmax, &tmin, &tmax);
    snprintf(sql, sizeof sql,
             "SELECT batch_idx FROM %s." NW__CH_TABLE " WHERE date >= '%s' AND date <= '%s' "
             "AND ts_us >= %" PRIu64 " AND ts_us <= %" PRIu64 " AND sensor = '%s' AND "
             "batch_seq = %" PRIu64 " FORMAT RowBinary",
             c->u.db, dmin, dmax, tmin, tmax, c->sensor, b->seq);
    rc = nw__ch_http_post(&c->http, NULL, NULL, sql, strlen(sql), on_idx, c, c->u.timeout_ms);
    if (rc != 0) return rc;
    /* keep the rows whose index is absent; rows are one per line, idx order */
    while (i < b->len) {
        const char *nl = memchr(b->data + i, '\n', b->len - i);
        size_t e = nl ? (size_t)(nl - b->data) + 1 : b->len;
        int have = idx < b->nrec && (c->present[idx >> 3] >> (idx & 7)) & 1;
        if (!have) {
            memmove(b->data + o, b->data + i, e - i);
            o += e - i;
        } else {
            pthread_mutex_lock(&c->mu);
            c->st.rows_reconciled++;
            pthread_mutex_unlock(&c->mu);
        }
        idx++;
        i = e;
    }
    if (o != b->len && o != 0)
        nw_log(NW_LOG_NOTICE, "ClickHouse sink: batch %016" PRIx64 " was partly in ClickHouse "
               "already (an earlier attempt reached it); sending only its missing rows", b->seq);
    else if (o == 0 && b->len != 0)
        nw_log(NW_LOG_NOTICE, "ClickHouse sink: batch %016" PRIx64 " was already in ClickHouse "
               "(committed before the last stop); not sending it again", b->seq);
    b->len = o;
    return 0;
}

static int insert(struct ch_sink *c, const struct nw_spool_batch *b)
{
    char q[256], params[160];

    snprintf(q, sizeof q, "INSERT INTO %s." NW__CH_TABLE " FORMAT JSONEachRow", c->u.db);
    snprintf(params, sizeof params, "query_id=nw-%s-%016" PRIx64, c->sensor, b->seq);
    return nw__ch_http_post(&c->http, q, params, b->data, b->len, NULL, NULL, c->u.timeout_ms);
}

/* Wait up to ms, or until stop; returns 1 if stopping and the deadline passed. */
static int nap(struct ch_sink *c, uint32_t ms)
{
    struct timespec ts;
    int past;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&c->mu);
    if (!c->stop) pthread_cond_timedwait(&c->cv, &c->mu, &ts);
    past = c->stop && now_ms() >= c->drain_deadline_ms;
    pthread_mutex_unlock(&c->mu);
    return past;
}

static void *sender(void *arg)
{
    struct ch_sink *c = arg;
    struct nw_err err;

    /* bounded by stop + drain deadline; each pass sends one batch or waits */
    for (;;) {
        struct nw_spool_batch b;
        int rc, stopping;
        uint32_t nrec;

        pthread_mutex_lock(&c->mu);
        stopping = c->stop;
        if (stopping && now_ms() >= c->drain_deadline_ms) {
            pthread_mutex_unlock(&c->mu);
            break;
        }
        pthread_mutex_unlock(&c->mu);
        if (c->backoff_ms) {
            if (nap(c, c->backoff_ms)) break;
        }
        rc = nw_spool_peek(c->spool, &b, c->sendbuf, c->sendcap, &err);
        if (rc == NW_ENOENT) {
            if (stopping) break;
            nap(c, 1000);
            continue;
        }
        if (rc != 0) continue; /* a damaged file was set aside (logged) */
        if (b.seq != c->head_seq) { /* a new head: never sent by this process */
            c->head_seq = b.seq;
            c->head_uncertain = 0;
        }
        if (!c->schema_ok) {
            if (ensure_schema(c) != 0) {
                set_down(c, c->http.err);
                continue;
            }
            c->schema_ok = 1;
        }
        nrec = b.nrec;
        if (c->head_uncertain) {
            rc = reconcile(c, &b);
            if (rc == 1) { /* still running there: ask again shortly */
                c->backoff_ms = BACKOFF_MIN_MS;
                continue;
            }
            if (rc != 0) {
                set_down(c, c->http.err[0] ? c->http.err : "reconciling with ClickHouse failed");
                continue;
            }
        }
        rc = b.len ? insert(c, &b) : 0;
        if (rc != 0) {
            if (c->http.maybe_delivered) c->head_uncertain = 1;
            if (strstr(c->http.err, "code 60:") || strstr(c->http.err, "code 81:"))
                c->schema_ok = 0; /* table or database dropped: recreate */
            set_down(c, c->http.err);
            continue;
        }
        if (c->crash_after && ++c->inserts == c->crash_after)
            raise(SIGKILL); /* the window between ClickHouse's commit and our unlink */
        nw_spool_drop(c->spool, b.seq);
        c->head_uncertain = 0;
        pthread_mutex_lock(&c->mu);
        c->st.batches_sent++;
        c->st.records_sent += nrec;
        pthread_mutex_unlock(&c->mu);
        set_up(c);
    }
    return NULL;
}

/* ---- pipeline side ------------------------------------------------------ */

static int close_batch(struct ch_sink *c)
{
    struct nw_err err;
    int rc;

    if (c->nrec == 0) return 0;
    rc = nw_spool_put(c->spool, c->seq, c->batch.data, c->batch.len, c->nrec, &err);
    pthread_mutex_lock(&c->mu);
    if (rc == 0) {
        c->st.batches_spooled++;
        c->full_reported = 0;
        pthread_cond_signal(&c->cv);
    } else {
        c->st.spool_full += c->nrec;
    }
    pthread_mutex_unlock(&c->mu);
    if (rc != 0 && !c->full_reported) {
        nw_log(NW_LOG_ERROR, "%s; %u records dropped (counted as write errors)", err.msg,
               c->nrec);
        c->full_reported = 1;
    }
    nw_buf_reset(&c->batch);
    c->nrec = 0;
    return rc;
}

static int ch_write(void *self, const char *type, const char *line, size_t len)
{
    struct ch_sink *c = self;
    uint64_t ts, t = now_ms();
    int rc, tries;

    (void)type;
    for (tries = 0; tries < 2; tries++) {
        if (c->nrec == 0) {
            c->seq = nw_spool_next_seq(c->spool);
            c->opened_ms = t;
        }
        rc = nw__ch_row_build(&c->batch, line, len, c->sensor, c->seq, c->nrec, &ts);
        if (rc != NW_ENOMEM) break;
        if (c->nrec == 0) break; /* one record larger than a whole batch */
        if (close_batch(c) != 0) return NW_EIO;
    }
    pthread_mutex_lock(&c->mu);
    c->st.records++;
    if (rc == NW_EFORMAT) c->st.bad_records++;
    pthread_mutex_unlock(&c->mu);
    if (rc == NW_ENOMEM) return NW_ENOMEM;
    c->nrec++;
    if (c->nrec >= c->u.batch || c->batch.len >= c->u.batch_bytes ||
        t - c->opened_ms >= c->u.batch_ms)
        return close_batch(c) == 0 ? 0 : NW_EIO;
    return 0;
}

static int ch_flush(void *self)
{
    return close_batch(self) == 0 ? 0 : NW_EIO;
}

static void ch_free(struct ch_sink *c)
{
    nw__ch_http_fini(&c->http);
    if (c->spool) nw_spool_close(c->spool);
    nw_buf_fini(&c->batch);
    nw_free(c->sendbuf);
    nw_free(c->present);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    nw_free(c);
}

static void ch_close(void *self)
{
    struct ch_sink *c = self;
    uint64_t pend = 0, bytes = 0, bad = 0;

    close_batch(c);
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    c->drain_deadline_ms = now_ms() + (uint64_t)c->u.drain_s * 1000u;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    if (c->th_started) pthread_join(c->th, NULL);
    nw_spool_pending(c->spool, &pend, &bytes, &bad);
    if (pend > 0)
        nw_log(NW_LOG_WARN, "ClickHouse sink: %" PRIu64 " batches (%" PRIu64 " bytes) remain in "
               "the spool %s (%s); the next run with this spool sends them first", pend, bytes,
               c->dir, c->last_err[0] ? c->last_err : "not yet sent");
    if (bad > 0)
        nw_log(NW_LOG_ERROR, "ClickHouse sink: %" PRIu64 " damaged batch files set aside as "
               "%s/*.bad", bad, c->dir);
    ch_free(c);
}

void nw_clickhouse_sink_stats(const struct nw_sink *s, struct nw_ch_stats *st)
{
    struct ch_sink *c = s->self;
    uint64_t pend = 0;

    nw_spool_pending(c->spool, &pend, NULL, NULL);
    pthread_mutex_lock(&c->mu);
    *st = c->st;
    pthread_mutex_unlock(&c->mu);
    st->pending_batches = pend;
}

int nw_clickhouse_sink_open(struct nw_sink *s, const char *url, const char *spool_dir,
                            const char *data_dir, struct nw_err *err)
{
    struct ch_sink *c;
    uint64_t pend = 0;
    int rc;

    c = nw_calloc(1, sizeof *c);
    if (c == NULL) return nw_err_set(err, NW_ENOMEM, "out of memory opening the ClickHouse sink");
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    rc = nw_ch_url_parse(url, &c->u, err);
    if (rc != 0) goto fail;
    if (spool_dir && spool_dir[0]) snprintf(c->dir, sizeof c->dir, "%s", spool_dir);
    else if (c->u.spool[0]) snprintf(c->dir, sizeof c->dir, "%s", c->u.spool);
    else {
        char host[256];
        size_t i;
        for (i = 0; c->u.host[i] && i + 1 < sizeof host; i++)
            host[i] = c->u.host[i] == ':' ? '_' : c->u.host[i];
        host[i] = '\0';
        snprintf(c->dir, sizeof c->dir, "%s/spool/clickhouse/%s_%u_%s",
                 data_dir && data_dir[0] ? data_dir : "/var/lib/netwarden", host, c->u.port,
                 c->u.db);
    }
    rc = nw_spool_open(&c->spool, c->dir, c->u.spool_max, err);
    if (rc != 0) goto fail;
    memcpy(c->sensor, nw_spool_id(c->spool), 33);
    nw_buf_init(&c->batch, (size_t)c->u.batch_bytes + ROW_SLACK);
    c->sendcap = (size_t)c->u.batch_bytes + ROW_SLACK;
    c->sendbuf = nw_alloc(c->sendcap);
    c->present_bytes = (1000000 + 7) / 8; /* the largest batch= any run may have spooled */
    c->present = nw_calloc(1, c->present_bytes);
    if (c->sendbuf == NULL || c->present == NULL || nw__ch_http_init(&c->http, &c->u) != 0) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory opening the ClickHouse sink");
        goto fail;
    }
    nw_spool_pending(c->spool, &pend, NULL, NULL);
    if (pend > 0) {
        nw_log(NW_LOG_NOTICE, "ClickHouse sink: %" PRIu64 " batches from an earlier run found "
               "in %s; they are sent first, in order", pend, c->dir);
    }
    /* The oldest batch from an earlier run may already be in ClickHouse
     * (crash between commit and unlink): reconcile it before sending. */
    c->head_uncertain = 1;
    c->head_seq = UINT64_MAX;
    {
        const char *ca = getenv("NW_CH_CRASH_AFTER_INSERT"); /* fault injection for tests */
        if (ca != NULL) c->crash_after = strtoull(ca, NULL, 10);
    }
    {
        struct nw_spool_batch b;
        if (nw_spool_peek(c->spool, &b, c->sendbuf, c->sendcap, err) == 0) c->head_seq = b.seq;
    }
    /* Signals stay with the pipeline thread: audit's SIGINT handler reads the capture
     * being run and breaks its loop, state the main thread owns and frees; run on
     * the sender it would race with that (and use a closed capture). The sender
     * blocks every signal (it inherits the mask at creation). */
    {
        sigset_t all, old;
        int prc;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        prc = pthread_create(&c->th, NULL, sender, c);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (prc != 0) {
            rc = nw_err_set(err, NW_ENOMEM, "cannot start the ClickHouse sender thread: %s",
                            strerror(prc));
            goto fail;
        }
    }
    c->th_started = 1;
    *s = (struct nw_sink){.name = "clickhouse", .write = ch_write, .flush = ch_flush,
                          .close = ch_close, .self = c};
    return 0;
fail:
    ch_free(c);
    return rc;
}
