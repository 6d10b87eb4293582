/*
 * web_site.c - the crawl shared by the web probes: one crawl per site per
 * run, kept in a one-entry cache (the run loop runs every check of one
 * target before the next target, so one entry serves them all).
 *
 * The crawl: breadth-first from the start URL, links and forms in document
 * order, same host only (any port/scheme of that host), depth <= 3, <= 60
 * pages, bodies cut at 5 MiB each and 64 MiB in all, 20 requests/s, one
 * request at a time. Skipped: links to binaries by extension, and a URL
 * whose path and parameter names were already seen with other values (a
 * calendar must not eat the page budget). Only text/html-ish answers are
 * parsed. What was cut, looped, timed out or left out is kept as notes.
 *
 * Also here: the soft-404 answer (a random path that cannot exist), the
 * injection points (parameters of same-host links and GET forms), and
 * small helpers shared by the probes.
 */
#include "web_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "nw/core.h"

#define CRAWL_DEPTH 3
#define CRAWL_PAGES 60
#define CRAWL_TOTAL (64u * 1024 * 1024)
#define CRAWL_RATE 20.0
#define MAX_POINTS 40
#define MAX_QUEUE 2000

static struct nw_web_options g_opts;
static struct nw__web_site *g_site;

void nw_web_configure(const struct nw_web_options *o)
{
    g_opts = *o;
}

const struct nw_web_options *nw_web_options_get(void)
{
    return &g_opts;
}

static void page_free(struct nw__web_page *p)
{
    nw_free(p->url);
    nw_free(p->body);
    nw_html_doc_free(&p->doc);
}

static void site_free(struct nw__web_site *s)
{
    if (s == NULL) return;
    for (size_t i = 0; i < s->npages; i++) page_free(&s->pages[i]);
    for (size_t i = 0; i < s->npoints; i++) {
        for (size_t k = 0; k < s->points[i].n; k++) {
            nw_free(s->points[i].names[k]);
            nw_free(s->points[i].values[k]);
        }
        nw_free(s->points[i].names);
        nw_free(s->points[i].values);
    }
    nw_free(s->points);
    nw_free(s->pages);
    nw_free(s->nf_body);
    nw_free(s);
}

char *nw_web_check_ids(const struct nw_checkset *cs)
{
    struct nw_buf b;
    char *out = NULL;

    nw_buf_init(&b, 0);
    for (size_t i = 0; i < cs->n; i++)
        if (cs->checks[i].probe && strncmp(cs->checks[i].probe->name, "web_", 4) == 0) {
            if (b.len) nw_buf_putc(&b, ',');
            nw_buf_puts(&b, cs->checks[i].id);
        }
    if (nw_buf_ok(&b) && b.len) out = nw_strndup(b.data, b.len);
    nw_buf_fini(&b);
    return out;
}

int nw_web_url_ports(const char *list, char *out, size_t cap)
{
    size_t o = 0;
    int n = 0;

    out[0] = '\0';
    for (const char *p = list; *p;) {
        char item[NW_WEB_URL_MAX];
        struct nw_url u;
        while (*p == ',' || *p == ' ') p++;
        size_t l = strcspn(p, ", ");
        if (l == 0) break;
        snprintf(item, sizeof item, "%.*s", (int)l, p);
        p += l;
        if (nw_web_url_parse(item, &u) != 0) continue;
        n++;
        int k = snprintf(out + o, cap - o, "%s%u", o ? "," : "", u.port);
        if (k < 0 || (size_t)k >= cap - o) break;
        o += (size_t)k;
    }
    return n;
}

void nw_web_fini(void)
{
    site_free(g_site);
    g_site = NULL;
}

/* Keep a crawl note: fmt is one of the fixed texts below, a the detail. */
static void note(struct nw__web_site *s, const char *fmt, const char *a)
    __attribute__((format(printf, 2, 0)));
static void note(struct nw__web_site *s, const char *fmt, const char *a)
{
    if (s->nnotes >= NW_ARRAY_LEN(s->notes)) return;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral" /* callers pass literals */
    snprintf(s->notes[s->nnotes++], sizeof s->notes[0], fmt, a);
#pragma GCC diagnostic pop
}

int nw__web_target_ok(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    if (req->target == NULL || !nw_web_is_url(req->target->host)) {
        nw_probe_skip(res, "not a website: web checks run on targets given with --web URL");
        return 0;
    }
    return 1;
}

void nw__web_hash(const char *p, size_t n, char out[65])
{
    unsigned char md[32];
    unsigned int ml = 0;
    static const char hex[] = "0123456789abcdef";

    if (EVP_Digest(p ? p : "", n, md, &ml, EVP_sha256(), NULL) != 1) memset(md, 0, sizeof md);
    for (int i = 0; i < 32; i++) {
        out[i * 2] = hex[md[i] >> 4];
        out[i * 2 + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

void nw__web_site_url(const struct nw__web_site *s, const char *path, char *out, size_t cap)
{
    struct nw_url u = s->u;
    snprintf(u.path, sizeof u.path, "%s", path);
    nw_web_url_format(&u, out, cap);
}

void nw__web_data_dir(const struct nw_probe_req *req, char *out, size_t cap)
{
    const char *d = req->set && req->set->dict_dir ? req->set->dict_dir : "data/dict";
    size_t l = strlen(d);
    struct stat st;

    while (l > 0 && d[l - 1] == '/') l--;
    if (l >= 5 && strncmp(d + l - 5, "/dict", 5) == 0)
        snprintf(out, cap, "%.*s/web", (int)(l - 5), d);
    else if (l == 4 && strncmp(d, "dict", 4) == 0)
        snprintf(out, cap, "web");
    else
        snprintf(out, cap, "%.*s/../web", (int)l, d);
    if (stat(out, &st) != 0 && stat("data/web", &st) == 0) snprintf(out, cap, "data/web");
}

void nw__web_notes_json(const struct nw__web_site *s, struct nw_buf *b, const char *extra)
{
    nw_json_karr_open(b, "notes");
    for (size_t i = 0; s && i < s->nnotes; i++) nw_json_cstr(b, s->notes[i]);
    if (extra && *extra) nw_json_cstr(b, extra);
    nw_json_arr_close(b);
}

/* ----------------------------------------------------------------- soft-404 -- */

int nw__web_soft404(const struct nw__web_site *s, long status, const char *body, size_t len)
{
    if (status == 404 || status == 410) return 1;
    if (s->nf_status / 100 != status / 100 || s->nf_body == NULL) return 0;
    /* same length within 10 % and the same first 64 bytes: the same template */
    size_t a = s->nf_len, b = len;
    if ((a > b ? a - b : b - a) * 10 > (a > b ? a : b) + 10) return 0;
    size_t k = NW_MIN(NW_MIN(a, b), (size_t)64);
    return memcmp(s->nf_body, body, k) == 0;
}

/* ------------------------------------------------------------------ crawl -- */

static int binary_ext(const char *path)
{
    static const char *const ext[] = {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".ico", ".svg",
                                      ".webp", ".css", ".js", ".pdf", ".zip", ".rar", ".gz",
                                      ".tgz", ".7z", ".doc", ".docx", ".xls", ".xlsx", ".ppt",
                                      ".pptx", ".mp3", ".mp4", ".avi", ".mov", ".wmv", ".flv",
                                      ".woff", ".woff2", ".ttf", ".eot", ".exe", ".apk", ".iso"};
    size_t l = strcspn(path, "?");
    for (size_t i = 0; i < NW_ARRAY_LEN(ext); i++) {
        size_t el = strlen(ext[i]);
        if (l >= el && strncasecmp(path + l - el, ext[i], el) == 0) return 1;
    }
    return 0;
}

/* "path?a&b" shape of a URL: path plus sorted-ish parameter names (first 8). */
static void shape(const char *url, char *out, size_t cap)
{
    const char *q = strchr(url, '?');
    size_t o = 0;
    if (q == NULL) {
        snprintf(out, cap, "%s", url);
        return;
    }
    o = (size_t)snprintf(out, cap, "%.*s?", (int)(q - url), url);
    for (const char *p = q + 1; *p && o + 2 < cap;) {
        size_t l = strcspn(p, "=&");
        if (o + l + 2 < cap) {
            memcpy(out + o, p, l);
            o += l;
            out[o++] = '&';
        }
        p += strcspn(p, "&");
        if (*p == '&') p++;
    }
    out[o < cap ? o : cap - 1] = '\0';
}

struct queue {
    char **url;
    unsigned *depth;
    char **shapes;
    size_t n, head, cap;
};

static int q_has(const struct queue *q, const char *shp)
{
    for (size_t i = 0; i < q->n; i++)
        if (strcmp(q->shapes[i], shp) == 0) return 1;
    return 0;
}

static int q_push(struct queue *q, const char *url, unsigned depth)
{
    char shp[NW_WEB_URL_MAX];
    shape(url, shp, sizeof shp);
    if (q_has(q, shp) || q->n >= MAX_QUEUE) return 0;
    if (q->n == q->cap) {
        size_t nc = q->cap ? q->cap * 2 : 64;
        char **nu = nw_realloc(q->url, nc * sizeof *nu);
        if (nu == NULL) return NW_ENOMEM;
        q->url = nu;
        char **ns = nw_realloc(q->shapes, nc * sizeof *ns);
        if (ns == NULL) return NW_ENOMEM;
        q->shapes = ns;
        unsigned *nd = nw_realloc(q->depth, nc * sizeof *nd);
        if (nd == NULL) return NW_ENOMEM;
        q->depth = nd;
        q->cap = nc;
    }
    q->url[q->n] = nw_strndup(url, strlen(url));
    q->shapes[q->n] = nw_strndup(shp, strlen(shp));
    if (q->url[q->n] == NULL || q->shapes[q->n] == NULL) {
        nw_free(q->url[q->n]);
        nw_free(q->shapes[q->n]);
        return NW_ENOMEM;
    }
    q->depth[q->n++] = depth;
    return 0;
}

static void q_free(struct queue *q)
{
    for (size_t i = 0; i < q->n; i++) {
        nw_free(q->url[i]);
        nw_free(q->shapes[i]);
    }
    nw_free(q->url);
    nw_free(q->shapes);
    nw_free(q->depth);
}

static int same_host(const struct nw__web_site *s, const char *url)
{
    struct nw_url u;
    return url && nw_web_url_parse(url, &u) == 0 && strcmp(u.host, s->u.host) == 0;
}

/* Split url's query into a new injection point per parameter. */
static int add_points(struct nw__web_site *s, const char *action, const char *query,
                      const struct nw_html_form *f)
{
    char *names[NW_HTML_MAX_FIELDS], *values[NW_HTML_MAX_FIELDS];
    size_t n = 0;
    char base[NW_WEB_URL_MAX];
    int rc = 0;

    snprintf(base, sizeof base, "%.*s", (int)strcspn(action, "?"), action);
    if (f) {
        for (size_t i = 0; i < f->n && n < NW_HTML_MAX_FIELDS; i++) {
            names[n] = nw_strndup(f->names[i], strlen(f->names[i]));
            values[n] = nw_strndup(f->values[i], strlen(f->values[i]));
            n++;
        }
    } else {
        for (const char *p = query; *p && n < NW_HTML_MAX_FIELDS;) {
            size_t l = strcspn(p, "&"), k = strcspn(p, "=&");
            if (k > 0) {
                names[n] = nw_strndup(p, k);
                values[n] = k < l ? nw_strndup(p + k + 1, l - k - 1) : nw_strndup("", 0);
                n++;
            }
            p += l;
            if (*p == '&') p++;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (names[i] == NULL || values[i] == NULL) rc = NW_ENOMEM;
    /* one point per parameter, unless that path + name is already known */
    for (size_t w = 0; rc == 0 && w < n && s->npoints < MAX_POINTS; w++) {
        int dup = 0;
        for (size_t i = 0; i < s->npoints && !dup; i++)
            dup = strcmp(s->points[i].url, base) == 0 &&
                  strcmp(s->points[i].names[s->points[i].which], names[w]) == 0;
        if (dup) continue;
        struct nw__web_point *np = nw_realloc(s->points, (s->npoints + 1) * sizeof *np);
        if (np == NULL) {
            rc = NW_ENOMEM;
            break;
        }
        s->points = np;
        struct nw__web_point *p = &s->points[s->npoints];
        memset(p, 0, sizeof *p);
        snprintf(p->url, sizeof p->url, "%s", base);
        p->names = nw_calloc(n, sizeof *p->names);
        p->values = nw_calloc(n, sizeof *p->values);
        if (p->names == NULL || p->values == NULL) {
            nw_free(p->names);
            nw_free(p->values);
            rc = NW_ENOMEM;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            p->names[i] = nw_strndup(names[i], strlen(names[i]));
            p->values[i] = nw_strndup(values[i], strlen(values[i]));
            if (p->names[i] == NULL || p->values[i] == NULL) rc = NW_ENOMEM;
        }
        if (rc != 0) { /* not kept: every user of a point reads all its names and values */
            for (size_t i = 0; i < n; i++) {
                nw_free(p->names[i]);
                nw_free(p->values[i]);
            }
            nw_free(p->names);
            nw_free(p->values);
            break;
        }
        p->n = n;
        p->which = w;
        s->npoints++;
    }
    for (size_t i = 0; i < n; i++) {
        nw_free(names[i]);
        nw_free(values[i]);
    }
    return rc;
}

static void url_escape(const char *s, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s && o + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '%') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

void nw__web_point_url(const struct nw__web_point *p, const char *value, char *out, size_t cap)
{
    size_t o = (size_t)snprintf(out, cap, "%s", p->url);
    for (size_t i = 0; i < p->n && o < cap; i++) {
        char n[512], v[1024];
        url_escape(p->names[i], n, sizeof n);
        /* a value from the page is already URL-encoded; ours is escaped here */
        if (i == p->which) url_escape(value, v, sizeof v);
        else snprintf(v, sizeof v, "%s", p->values[i][0] ? p->values[i] : "1");
        int k = snprintf(out + o, cap - o, "%c%s=%s", i == 0 ? '?' : '&', n, v);
        if (k < 0) break;
        o += (size_t)k;
    }
}

static int crawl(struct nw__web_site *s, const struct nw_probe_req *req, char *why, size_t whysz)
{
    struct nw__web_client c;
    struct queue q;
    size_t total = 0;
    int rc;
    char nf[NW_WEB_URL_MAX], tok[8];
    unsigned char rnd[6];

    memset(&q, 0, sizeof q);
    if ((rc = nw__web_client_init(&c, req, CRAWL_RATE, why, whysz)) != 0) return rc;
    s->pages = nw_calloc(CRAWL_PAGES, sizeof *s->pages);
    if (s->pages == NULL || q_push(&q, s->start, 0) != 0) {
        rc = NW_ENOMEM;
        goto out;
    }
    for (; q.head < q.n && s->npages < CRAWL_PAGES; q.head++) {
        struct nw__web_resp r;
        struct nw__web_page *pg = &s->pages[s->npages];
        unsigned depth = q.depth[q.head];
        size_t cap = NW_WEB_BODY_CAP;

        if (total >= CRAWL_TOTAL) {
            note(s, "crawl stopped: %s of page bodies read", "64 MiB");
            break;
        }
        if (cap > CRAWL_TOTAL - total) cap = CRAWL_TOTAL - total;
        rc = nw__web_get(&c, q.url[q.head], cap, 1, &r);
        if (rc == NW_ELIMIT) {
            note(s, "crawl stopped: %s", c.stop_note);
            nw__web_resp_free(&r);
            rc = 0;
            break;
        }
        if (q.head == 0) {
            s->reachable = rc == 0;
            s->start_status = r.status;
        }
        if (r.loop) note(s, "%s", r.note);
        if (r.cut) {
            char m[300];
            snprintf(m, sizeof m, "%.200s: cut at %zu bytes (size limit)", q.url[q.head], r.len);
            note(s, "%s", m);
        }
        if (rc != 0) {
            if (q.head == 0) {
                snprintf(why, whysz, "%s", r.note[0] ? r.note : "no HTTP answer");
                nw__web_resp_free(&r);
                rc = NW_EIO;
                goto out;
            }
            note(s, "%s", r.note);
            nw__web_resp_free(&r);
            rc = 0;
            continue;
        }
        pg->url = nw_strndup(r.url, strlen(r.url));
        if (pg->url == NULL) {
            nw__web_resp_free(&r);
            rc = NW_ENOMEM;
            goto out;
        }
        pg->status = r.status;
        pg->body = r.body;
        pg->len = r.len;
        pg->cut = r.cut;
        pg->depth = depth;
        snprintf(pg->note, sizeof pg->note, "%.199s", r.note);
        r.body = NULL;
        total += r.len;
        pg->html = r.ctype[0] == '\0' || strcasestr(r.ctype, "html") != NULL ||
                   strcasestr(r.ctype, "text/plain") != NULL;
        nw__web_resp_free(&r);
        s->npages++;
        if (!pg->html || pg->status >= 400) continue;
        rc = nw_html_extract(pg->body ? pg->body : "", pg->len, pg->url, &pg->doc);
        if (rc == NW_ENOMEM) goto out;
        rc = 0;
        if (pg->doc.limited) note(s, "%s: an extractor bound was hit (links/forms/size)", pg->url);
        /* links and forms: new pages and injection points */
        for (size_t i = 0; i < pg->doc.nlinks; i++) {
            const char *u = pg->doc.links[i].url;
            if (!same_host(s, u) || strcmp(pg->doc.links[i].tag, "a") != 0) continue;
            if (strchr(u, '?')) add_points(s, u, strchr(u, '?') + 1, NULL);
            if (depth + 1 <= CRAWL_DEPTH && !binary_ext(u) && q_push(&q, u, depth + 1) != 0) {
                rc = NW_ENOMEM;
                goto out;
            }
        }
        for (size_t i = 0; i < pg->doc.nforms; i++)
            if (pg->doc.forms[i].get && same_host(s, pg->doc.forms[i].action) &&
                pg->doc.forms[i].n > 0)
                add_points(s, pg->doc.forms[i].action, "", &pg->doc.forms[i]);
    }
    if (q.head < q.n && s->npages >= CRAWL_PAGES) note(s, "crawl stopped at %s pages", "60");
    /* the soft-404 answer */
    if (RAND_bytes(rnd, sizeof rnd) != 1) memset(rnd, 7, sizeof rnd);
    snprintf(tok, sizeof tok, "%02x%02x%02x", rnd[0], rnd[1], rnd[2]);
    {
        char path[64];
        struct nw__web_resp r;
        snprintf(path, sizeof path, "/nw-no-such-page-%s.html", tok);
        nw__web_site_url(s, path, nf, sizeof nf);
        if (nw__web_get(&c, nf, 65536, 1, &r) == 0) {
            s->nf_status = r.status;
            s->nf_body = r.body;
            s->nf_len = r.len;
            r.body = NULL;
        }
        nw__web_resp_free(&r);
    }
out:
    s->requests = c.requests;
    nw__web_client_fini(&c);
    q_free(&q);
    return rc;
}

const struct nw__web_site *nw__web_site_get(const struct nw_probe_req *req,
                                            struct nw_probe_res *res, int *rc)
{
    struct nw__web_site *s;
    char why[300];
    uint64_t now = req->set ? req->set->now_us : 0, t0;

    *rc = 0;
    if (!nw__web_target_ok(req, res)) return NULL;
    if (g_site && g_site->run_now == now && strcmp(g_site->start, req->target->host) == 0) {
        if (!g_site->reachable) {
            nw_probe_error(res, "%s", g_site->notes[0]);
            return NULL;
        }
        return g_site;
    }
    nw_web_fini();
    s = nw_calloc(1, sizeof *s);
    if (s == NULL) {
        *rc = NW_ENOMEM;
        return NULL;
    }
    snprintf(s->start, sizeof s->start, "%s", req->target->host);
    s->run_now = now;
    if (nw_web_url_parse(s->start, &s->u) != 0) {
        nw_probe_error(res, "%s is not an http(s) URL", s->start);
        nw_free(s);
        return NULL;
    }
    t0 = nw_time_now_us();
    why[0] = '\0';
    int r = crawl(s, req, why, sizeof why);
    s->crawl_ms = (nw_time_now_us() - t0) / 1000;
    if (r == NW_ENOMEM) {
        site_free(s);
        *rc = NW_ENOMEM;
        return NULL;
    }
    g_site = s;
    if (r != 0 || !s->reachable) {
        char m[300];
        snprintf(m, sizeof m, "site unreachable: %.270s", why[0] ? why : "no answer");
        s->reachable = 0;
        /* the first note carries the reason for the probes that come next */
        memmove(s->notes[1], s->notes[0], sizeof s->notes[0] * (NW_ARRAY_LEN(s->notes) - 1));
        snprintf(s->notes[0], sizeof s->notes[0], "%s", m);
        if (s->nnotes < NW_ARRAY_LEN(s->notes)) s->nnotes++;
        nw_probe_error(res, "%s", m);
        return NULL;
    }
    return s;
}
