/*
 * ch_query.c - `netwarden query --clickhouse URL`: struct nw_query to one
 * SELECT, results streamed back as RowBinary.
 *
 * The SQL narrows on the extracted columns (ch_row.c) and is meant to be
 * exact; every returned line is still checked with nw_query_match, the
 * definition of each filter, so ClickHouse and the embedded store give the
 * same answer even where a column is coarser than the rule. Because rows
 * can be rejected after the SQL LIMIT, a limited query pages (LIMIT n
 * OFFSET k) until it has n matches or ClickHouse runs out.
 * User text only ever enters SQL through nw__ch_sql_str (quoted, every
 * quote, backslash and control byte escaped); the database name is checked
 * to be [A-Za-z0-9_] by the URL parser; numbers are formatted by us.
 * Rows are ordered by (ts_us, sensor, batch_seq, batch_idx), so a duplicate
 * triple (only possible in the residual case described in
 * docs/clickhouse.md, before ReplacingMergeTree merges it) is adjacent and
 * skipped.
 */
#include "nw/clickhouse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ch_int.h"
#include "nw/query.h"
#include "query/query_int.h"

static const char hexd[] = "0123456789abcdef";

static void hex16(const uint8_t a[16], char out[33])
{
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hexd[a[i] >> 4];
        out[2 * i + 1] = hexd[a[i] & 15];
    }
    out[32] = '\0';
}

/* The ips column holds addresses as IPv6 (IPv4 mapped): the network's range. */
static void net_range(const struct nw_query_net *n, char lo[33], char hi[33])
{
    uint8_t a[16], b[16];
    unsigned prefix = n->prefix;

    memset(a, 0, sizeof a);
    if (n->family == 4) {
        a[10] = a[11] = 0xff;
        memcpy(a + 12, n->addr, 4);
        prefix = 96 + NW_MIN(prefix, 32u);
    } else {
        memcpy(a, n->addr, 16);
        prefix = NW_MIN(prefix, 128u);
    }
    memcpy(b, a, 16);
    for (unsigned bit = prefix; bit < 128; bit++) {
        a[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
        b[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
    }
    hex16(a, lo);
    hex16(b, hi);
}

static void build_sql(struct nw_buf *b, const struct nw_ch_url *u, const struct nw_query *q,
                      uint64_t limit, uint64_t offset)
{
    char d[11];

    nw_buf_printf(b, "SELECT sensor, batch_seq, batch_idx, line FROM %s." NW__CH_TABLE
                  " WHERE 1", u->db);
    if (q->since_us > 0) {
        nw__ch_date(q->since_us, d);
        nw_buf_printf(b, " AND date >= '%s' AND ts_us >= %" PRIu64, d, q->since_us);
    }
    if (q->until_us != UINT64_MAX) {
        nw__ch_date(q->until_us ? q->until_us - 1 : 0, d);
        nw_buf_printf(b, " AND date <= '%s' AND ts_us < %" PRIu64, d, q->until_us);
    }
    if (q->ntypes > 0) {
        nw_buf_puts(b, " AND event_type IN (");
        for (size_t i = 0; i < q->ntypes && i < NW_QUERY_MAX_TYPES; i++) {
            if (i) nw_buf_putc(b, ',');
            nw__ch_sql_str(b, q->types[i], strnlen(q->types[i], NW_QUERY_TYPE_LEN));
        }
        nw_buf_putc(b, ')');
    }
    if (q->ip.family == 4 || q->ip.family == 6) {
        char lo[33], hi[33];
        net_range(&q->ip, lo, hi);
        nw_buf_printf(b, " AND arrayExists(x -> x >= '%s' AND x <= '%s', ips)", lo, hi);
    }
    if (q->mac[0]) {
        nw_buf_puts(b, " AND has(macs, ");
        nw__ch_sql_str(b, q->mac, strnlen(q->mac, sizeof q->mac));
        nw_buf_putc(b, ')');
    }
    if (q->user[0]) {
        nw_buf_puts(b, " AND has(users, ");
        nw__ch_sql_str(b, q->user, strnlen(q->user, sizeof q->user));
        nw_buf_putc(b, ')');
    }
    if (q->calling[0]) {
        nw_buf_puts(b, " AND has(callings, ");
        nw__ch_sql_str(b, q->calling, strnlen(q->calling, sizeof q->calling));
        nw_buf_putc(b, ')');
    }
    if (q->domain[0]) {
        size_t dl = strnlen(q->domain, sizeof q->domain);
        nw_buf_puts(b, " AND arrayExists(x -> x = ");
        nw__ch_sql_str(b, q->domain, dl);
        nw_buf_puts(b, " OR endsWith(x, concat('.', ");
        nw__ch_sql_str(b, q->domain, dl);
        nw_buf_puts(b, ")), domains)");
    }
    if (q->url[0]) {
        nw_buf_puts(b, " AND position(url, ");
        nw__ch_sql_str(b, q->url, strnlen(q->url, sizeof q->url));
        nw_buf_puts(b, ") > 0");
    }
    nw_buf_puts(b, " ORDER BY ts_us, sensor, batch_seq, batch_idx");
    if (limit) nw_buf_printf(b, " LIMIT %" PRIu64 ", %" PRIu64, offset, limit);
    nw_buf_puts(b, " FORMAT RowBinary");
}

int nw_ch_query_sql(const struct nw_ch_url *u, const struct nw_query *q, char *out,
                    size_t outsz)
{
    struct nw_buf b;
    int rc;

    nw_buf_init(&b, 1u << 20);
    build_sql(&b, u, q, q->limit, 0);
    if (!nw_buf_ok(&b) || b.len + 1 > outsz || b.len > INT32_MAX) {
        rc = NW_ELIMIT;
    } else {
        memcpy(out, b.data, b.len);
        out[b.len] = '\0';
        rc = (int)b.len;
    }
    nw_buf_fini(&b);
    return rc;
}

struct qrun {
    const struct nw_query *q;
    int (*on_record)(void *arg, const char *line, size_t len);
    void *arg;
    struct nw_ch_query_stats *st;
    char last_sensor[64];
    size_t last_sensor_len;
    uint64_t last_seq;
    uint32_t last_idx;
    int have_last;
    uint64_t page_rows;
    int stopped;        /* on_record asked to stop, or the limit was reached */
    struct nw_ch_rowbin rb;
};

#define STOP 1

static int on_row(void *arg, const char *sensor, size_t sl, uint64_t seq, uint32_t idx,
                  const char *line, size_t ll)
{
    struct qrun *r = arg;
    int rc;

    r->st->rows_read++;
    r->page_rows++;
    if (r->have_last && seq == r->last_seq && idx == r->last_idx && sl == r->last_sensor_len &&
        memcmp(sensor, r->last_sensor, sl) == 0) {
        r->st->duplicates++;
        return 0;
    }
    r->have_last = 1;
    r->last_seq = seq;
    r->last_idx = idx;
    r->last_sensor_len = NW_MIN(sl, sizeof r->last_sensor);
    memcpy(r->last_sensor, sensor, r->last_sensor_len);
    if (!nw_query_match(r->q, line, ll)) return 0;
    r->st->rows_matched++;
    rc = r->on_record(r->arg, line, ll);
    if (rc != 0 || (r->q->limit && r->st->rows_matched >= r->q->limit)) {
        r->stopped = 1;
        return STOP;
    }
    return 0;
}

static int feed(void *arg, const char *p, size_t n)
{
    struct qrun *r = arg;

    return nw_ch_rowbin_feed(&r->rb, p, n);
}

int nw_clickhouse_query(const char *url, const struct nw_query *q,
                        int (*on_record)(void *arg, const char *line, size_t len), void *arg,
                        struct nw_ch_query_stats *st, struct nw_err *err)
{
    struct nw_ch_url u;
    struct nw__ch_http h;
    struct nw_ch_query_stats dummy;
    struct qrun r;
    struct nw_buf sql;
    uint64_t offset = 0;
    int rc;

    if (st == NULL) st = &dummy;
    memset(st, 0, sizeof *st);
    rc = nw_ch_url_parse(url, &u, err);
    if (rc != 0) return rc;
    if (nw__ch_http_init(&h, &u) != 0) return nw_err_set(err, NW_ENOMEM, "out of memory");
    memset(&r, 0, sizeof r);
    r.q = q;
    r.on_record = on_record;
    r.arg = arg;
    r.st = st;
    r.rb.cap = NW_RECORD_MAX + 4096;
    r.rb.buf = nw_alloc(r.rb.cap);
    r.rb.on_row = on_row;
    r.rb.arg = &r;
    nw_buf_init(&sql, 1u << 20);
    if (r.rb.buf == NULL) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
        goto out;
    }
    /* bounded: each page either ends the query or advances offset by a full page */
    for (;;) {
        nw_buf_reset(&sql);
        build_sql(&sql, &u, q, q->limit, offset);
        if (!nw_buf_ok(&sql)) {
            rc = nw_err_set(err, NW_ENOMEM, "out of memory building the query");
            goto out;
        }
        r.page_rows = 0;
        r.rb.len = 0;
        rc = nw__ch_http_post(&h, NULL, "max_bytes_before_external_sort=1000000000", sql.data,
                              sql.len, feed, &r, u.timeout_ms);
        if (rc == STOP && r.stopped) {
            rc = 0;
            break;
        }
        if (rc != 0) {
            if (rc == NW_EFORMAT && h.err[0] == '\0') {
                char line[400];
                nw_ch_error_line(h.tail, h.tail_len, line, sizeof line);
                rc = nw_err_set(err, NW_EFORMAT, "ClickHouse at %s:%u sent a malformed result "
                                "(%s)", u.host, u.port, line);
            } else if (strstr(h.err, "code 60:") || strstr(h.err, "code 81:")) {
                rc = nw_err_set(err, NW_ENOENT, "%s; nothing has been written to database '%s' "
                                "yet, or the URL names another database", h.err, u.db);
            } else {
                rc = nw_err_set(err, rc == NW_EFORMAT ? NW_EFORMAT : NW_EIO, "%s", h.err);
            }
            goto out;
        }
        if (r.rb.len != 0) {
            char line[400];
            nw_ch_error_line(h.tail, h.tail_len, line, sizeof line);
            rc = nw_err_set(err, NW_EFORMAT, "ClickHouse at %s:%u: result cut short (%s)",
                            u.host, u.port, line);
            goto out;
        }
        if (q->limit == 0 || r.page_rows < q->limit) break;
        offset += q->limit;
    }
out:
    nw_buf_fini(&sql);
    nw_free(r.rb.buf);
    nw__ch_http_fini(&h);
    return rc;
}

/* ---- the CLI side of `netwarden query --clickhouse URL` ----------------- */

struct printer {
    struct nw__qfmt fmt;
    int out_err;
};

static int print_row(void *arg, const char *line, size_t len)
{
    struct printer *p = arg;

    if (nw__qfmt_row(&p->fmt, line, len) != 0) {
        p->out_err = 1;
        return 1;
    }
    return 0;
}

int nw_clickhouse_query_print(const char *url, const struct nw_query *q, FILE *out, int stats)
{
    struct printer p;
    struct nw_ch_query_stats st;
    struct nw_err err;
    struct timespec t0, t1;
    int rc, exit_rc = NW_EXIT_OK;

    memset(&p, 0, sizeof p);
    memset(&st, 0, sizeof st); /* --stats prints it even when the query never ran */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    nw__qfmt_init(&p.fmt, q->format, out);
    if (nw__qfmt_begin(&p.fmt) != 0) p.out_err = 1;
    rc = p.out_err ? 0 : nw_clickhouse_query(url, q, print_row, &p, &st, &err);
    if (nw__qfmt_end(&p.fmt) != 0) p.out_err = 1;
    nw__qfmt_fini(&p.fmt);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != 0 && !(p.out_err && rc == 1)) {
        fprintf(stderr, "netwarden query: %s\n", err.msg);
        exit_rc = rc == NW_EINVAL || rc == NW_ENOENT ? NW_EXIT_USAGE : NW_EXIT_RUNTIME;
    } else if (p.out_err) {
        fprintf(stderr, "netwarden query: cannot write the output: %s\n", strerror(errno));
        exit_rc = NW_EXIT_RUNTIME;
    }
    if (stats)
        fprintf(stderr, "query: ClickHouse returned %llu rows, %llu matched, %llu duplicates "
                "skipped, %.3f s\n", (unsigned long long)st.rows_read,
                (unsigned long long)st.rows_matched, (unsigned long long)st.duplicates,
                (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return exit_rc;
}
