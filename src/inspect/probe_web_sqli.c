/*
 * probe_web_sqli.c - "web_sqli": SQL injection on the crawl's injection
 * points (parameters of same-host links and GET forms; POST forms are never
 * submitted), slowly (default 5 requests/s, one at a time).
 *
 * Per point, the original value v (or "1"):
 *  1. baseline: v twice; the page is "stable" when both give the same
 *     signature (SHA-256 of the normalised page with the sent value cut
 *     out, so pages that echo the input still compare);
 *  2. error-based: v' — a database error message (MySQL, MariaDB,
 *     PostgreSQL, SQLite, SQL Server, Oracle signatures) that the baseline
 *     does not show;
 *  3. boolean-based (stable pages only): numeric form "v AND 1=1" /
 *     "v AND 1=2" and string form "v' AND '1'='1" / "v' AND '1'='2": the
 *     true form gives the baseline page and the false form another page;
 *     confirmed by a second pair (2=2 / 2=3) before it is reported.
 * No payload changes data: only comparisons and a stray quote.
 *
 * Parameters: rate? (requests per second, default 5), max_points? (20).
 * Facts: tested, requests, sqli [{url, param, kind, dbms}], count, notes.
 */
#include <stdio.h>
#include <string.h>

#include "web_int.h"

struct dberr {
    const char *sig, *dbms;
};

static const struct dberr dberrs[] = {
    {"You have an error in your SQL syntax", "MySQL"},
    {"check the manual that corresponds to your MySQL", "MySQL"},
    {"check the manual that corresponds to your MariaDB", "MariaDB"},
    {"Warning: mysql_", "MySQL"},
    {"mysqli_sql_exception", "MySQL"},
    {"MySQLSyntaxErrorException", "MySQL"},
    {"com.mysql.jdbc", "MySQL"},
    {"Unclosed quotation mark after the character string", "SQL Server"},
    {"Microsoft OLE DB Provider for SQL Server", "SQL Server"},
    {"ODBC SQL Server Driver", "SQL Server"},
    {"SQLServerException", "SQL Server"},
    {"PG::SyntaxError", "PostgreSQL"},
    {"ERROR:  syntax error at or near", "PostgreSQL"},
    {"unterminated quoted string at or near", "PostgreSQL"},
    {"pg_query(): Query failed", "PostgreSQL"},
    {"org.postgresql.util.PSQLException", "PostgreSQL"},
    {"SQLITE_ERROR", "SQLite"},
    {"sqlite3.OperationalError", "SQLite"},
    {"unrecognized token:", "SQLite"},
    {"ORA-01756", "Oracle"},
    {"ORA-00933", "Oracle"},
    {"quoted string not properly terminated", "Oracle"},
    {"SQLSTATE[", "PDO"},
};

static const char *db_error(const char *b, size_t n)
{
    if (b == NULL) return NULL;
    for (size_t k = 0; k < NW_ARRAY_LEN(dberrs); k++)
        if (memmem(b, n, dberrs[k].sig, strlen(dberrs[k].sig))) return dberrs[k].dbms;
    return NULL;
}

/* Signature of a page with the sent value cut out of its normalised text. */
static int page_sig(const struct nw__web_resp *r, const char *sent, char out[65])
{
    struct nw_html_doc d;
    int rc = nw_html_extract(r->body ? r->body : "", r->len, r->url, &d);
    if (rc != 0) {
        nw_html_doc_free(&d);
        return rc;
    }
    size_t sl = strlen(sent);
    if (d.norm && sl > 0) {
        char *w = d.norm, *p = d.norm, *end = d.norm + d.normlen;
        while (p < end) {
            if ((size_t)(end - p) >= sl && memcmp(p, sent, sl) == 0) {
                p += sl;
                continue;
            }
            *w++ = *p++;
        }
        d.normlen = (size_t)(w - d.norm);
    }
    /* status is part of the page */
    char st[16];
    snprintf(st, sizeof st, "%ld\n", r->status);
    struct nw_buf b;
    nw_buf_init(&b, d.normlen + 32);
    nw_buf_puts(&b, st);
    if (d.norm) nw_buf_append(&b, d.norm, d.normlen);
    nw__web_hash(b.data, b.len, out);
    nw_buf_fini(&b);
    nw_html_doc_free(&d);
    return 0;
}

struct ctx {
    struct nw__web_client c;
    const struct nw__web_point *p;
};

/* GET the point with value; fills r. 0 ok, NW_ELIMIT stopped, NW_EIO no answer. */
static int get(struct ctx *x, const char *value, struct nw__web_resp *r)
{
    char url[NW_WEB_URL_MAX * 2];
    nw__web_point_url(x->p, value, url, sizeof url);
    return nw__web_get(&x->c, url, 1024 * 1024, 1, r);
}

/* sig of the page for value; 0 ok, <0 failed */
static int sig_of(struct ctx *x, const char *value, char out[65], int *stopped)
{
    struct nw__web_resp r;
    int g = get(x, value, &r);
    if (g == NW_ELIMIT) *stopped = 1;
    if (g == 0) g = page_sig(&r, value, out);
    nw__web_resp_free(&r);
    return g;
}

static int numeric(const char *v)
{
    if (*v == '\0') return 0;
    for (; *v; v++)
        if (*v < '0' || *v > '9') return 0;
    return 1;
}

static int sqli_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    const struct nw__web_site *s;
    struct ctx x;
    struct nw_buf *b = &res->facts;
    char why[300], ev[800];
    size_t maxp = nw_probe_param_uint(req, "max_points", 20), tested = 0, o = 0;
    double rate = (double)nw_probe_param_uint(req, "rate", 5);
    struct found {
        size_t point;
        const char *kind, *dbms;
    } *hits = NULL;
    size_t nh = 0;
    int rc = 0, stopped = 0;

    s = nw__web_site_get(req, res, &rc);
    if (s == NULL) return rc;
    memset(&x, 0, sizeof x);
    if ((rc = nw__web_client_init(&x.c, req, rate, why, sizeof why)) != 0)
        return rc == NW_ENOMEM ? rc : nw_probe_error(res, "%s", why);
    hits = nw_calloc(s->npoints + 1, sizeof *hits);
    if (hits == NULL) {
        nw__web_client_fini(&x.c);
        return NW_ENOMEM;
    }
    ev[0] = '\0';
    for (size_t i = 0; i < s->npoints && tested < maxp && !stopped; i++) {
        const struct nw__web_point *p = &s->points[i];
        const char *v0 = p->values[p->which][0] ? p->values[p->which] : "1";
        char v[300], h1[65], h2[65], ht[65], hf[65];
        struct nw__web_resp r;
        const char *base_err = NULL, *err = NULL, *kind = NULL;

        x.p = p;
        tested++;
        snprintf(v, sizeof v, "%.250s", v0);
        /* baseline */
        if (get(&x, v, &r) != 0) {
            stopped = x.c.stopped;
            nw__web_resp_free(&r);
            continue;
        }
        base_err = db_error(r.body, r.len);
        if (page_sig(&r, v, h1) != 0) {
            nw__web_resp_free(&r);
            continue;
        }
        nw__web_resp_free(&r);
        /* error-based */
        char q[320];
        snprintf(q, sizeof q, "%s'", v);
        if (get(&x, q, &r) == 0 && !base_err) err = db_error(r.body, r.len);
        stopped |= x.c.stopped;
        nw__web_resp_free(&r);
        if (err) {
            kind = "error";
        } else if (sig_of(&x, v, h2, &stopped) == 0 && strcmp(h1, h2) == 0) {
            /* boolean-based, numeric then string form */
            for (int form = 0; form < 2 && !kind && !stopped; form++) {
                if (form == 0 && !numeric(v)) continue;
                char t[400], f[400], t2[400], f2[400];
                if (form == 0) {
                    snprintf(t, sizeof t, "%s AND 1=1", v);
                    snprintf(f, sizeof f, "%s AND 1=2", v);
                    snprintf(t2, sizeof t2, "%s AND 2=2", v);
                    snprintf(f2, sizeof f2, "%s AND 2=3", v);
                } else {
                    snprintf(t, sizeof t, "%s' AND '1'='1", v);
                    snprintf(f, sizeof f, "%s' AND '1'='2", v);
                    snprintf(t2, sizeof t2, "%s' AND '2'='2", v);
                    snprintf(f2, sizeof f2, "%s' AND '2'='3", v);
                }
                if (sig_of(&x, t, ht, &stopped) != 0 || strcmp(ht, h1) != 0) continue;
                if (sig_of(&x, f, hf, &stopped) != 0 || strcmp(hf, h1) == 0) continue;
                if (sig_of(&x, t2, ht, &stopped) != 0 || strcmp(ht, h1) != 0) continue;
                if (sig_of(&x, f2, hf, &stopped) != 0 || strcmp(hf, h1) == 0) continue;
                kind = "boolean";
            }
        }
        if (kind) {
            hits[nh].point = i;
            hits[nh].kind = kind;
            hits[nh].dbms = err;
            nh++;
            int k = snprintf(ev + o, sizeof ev - o, "%s%s?%s= (%s%s%s)", o ? "; " : "", p->url,
                             p->names[p->which], kind, err ? ", " : "", err ? err : "");
            if (k > 0) o = NW_MIN(o + (size_t)k, sizeof ev - 1);
        }
    }
    nw_json_kuint(b, "tested", tested);
    nw_json_kuint(b, "requests", x.c.requests);
    nw_json_karr_open(b, "sqli");
    for (size_t k = 0; k < nh; k++) {
        const struct nw__web_point *p = &s->points[hits[k].point];
        nw_json_obj_open(b);
        nw_json_kcstr(b, "url", p->url);
        nw_json_kcstr(b, "param", p->names[p->which]);
        nw_json_kcstr(b, "kind", hits[k].kind);
        nw_json_key(b, "dbms");
        if (hits[k].dbms) nw_json_cstr(b, hits[k].dbms);
        else nw_json_null(b);
        nw_json_obj_close(b);
    }
    nw_json_arr_close(b);
    nw_json_kuint(b, "count", nh);
    nw__web_notes_json(NULL, b, x.c.stopped ? x.c.stop_note : "");
    if (nh) nw_probe_evidence(res, "SQL injection at %s", ev);
    else nw_probe_evidence(res, "%s: %zu parameter(s) tested, no SQL injection sign", s->start,
                           tested);
    nw_free(hits);
    nw__web_client_fini(&x.c);
    return 0;
}

static const char *const sqli_params[] = {"rate?", "max_points?", NULL};
const struct nw_probe nw_probe_web_sqli = {
    "web_sqli", NW_CHK_NETWORK, sqli_params, sqli_run,
    "website: error-based and boolean-based SQL injection on link/GET-form parameters, slowly"};
