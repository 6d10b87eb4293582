/*
 * web_int.h - shared by the web probes (src/inspect/probe_web_*.c): the
 * HTTP client (web_http.c, libcurl), the per-run site crawl and cache
 * (web_site.c) and small fact helpers.
 */
#ifndef NW_SRC_INSPECT_WEB_INT_H
#define NW_SRC_INSPECT_WEB_INT_H

#include <curl/curl.h>

#include "nw/inspect.h"
#include "nw/web.h"

#define NW_WEB_URL_MAX (NW_URL_PATH_MAX + NW_URL_HOST_MAX + 32)
#define NW_WEB_BODY_CAP (5u * 1024 * 1024)  /* a response body is cut here (noted) */
#define NW_WEB_HDR_CAP (32u * 1024)
#define NW_WEB_MAX_REDIRECTS 5
#define NW_WEB_REQ_MS 10000                 /* one request, whole */
#define NW_WEB_BUDGET_MS 120000             /* one probe (or the crawl) on one site */
#define NW_WEB_SLOW_STOP 3                  /* consecutive timeouts that stop a probe */

/*
 * One client per probe run: one curl handle (connections kept alive), every
 * connection pinned to the target's address (CURLOPT_CONNECT_TO), no proxy,
 * http/https only, redirects followed by hand and only on the same host.
 */
struct nw__web_client {
    CURL *h;
    struct curl_slist *pin;
    struct nw_url origin;        /* the site's start URL */
    unsigned conn_ms, req_ms;
    uint64_t interval_us, last_us;
    uint64_t deadline_us;        /* 0 = none */
    const volatile int *cancel;
    unsigned requests;
    unsigned timeouts_in_row;
    int stopped;                 /* budget, cancel or too many timeouts: no more requests */
    char stop_note[200];
};

struct nw__web_resp {
    long status;                 /* 0: no HTTP answer */
    char *body;                  /* NUL-terminated, nw_alloc'ed (may be NULL when empty) */
    size_t len;
    int cut;                     /* body cut at the cap */
    char *hdr;                   /* the final response's header block */
    size_t hlen;
    char url[NW_WEB_URL_MAX];    /* the final URL after redirects */
    char ctype[128];
    unsigned redirects;
    int loop;                    /* a redirect loop or too many redirects */
    int offsite;                 /* a redirect off the site (not followed) */
    int timed_out;
    char note[300];              /* what went wrong or was cut; "" = nothing */
    uint64_t ms;
};

/*
 * Set up a client for target t (t->host is the site URL), request rate
 * `rate` per second (0 = unlimited). Returns 0, or NW_EINVAL/NW_ENOMEM with
 * why filled. Caller frees with nw__web_client_fini.
 */
int nw__web_client_init(struct nw__web_client *c, const struct nw_probe_req *req, double rate,
                        char *why, size_t whysz);
void nw__web_client_fini(struct nw__web_client *c);
/*
 * GET url (must be on the site's host), body cut at cap bytes; follows
 * same-host redirects when follow (at most NW_WEB_MAX_REDIRECTS, loops
 * noted). Returns 0 when an HTTP answer came (r->status > 0), NW_EIO
 * otherwise (r->note says why), NW_ELIMIT when the client is stopped.
 * r is filled either way; free with nw__web_resp_free.
 */
int nw__web_get(struct nw__web_client *c, const char *url, size_t cap, int follow,
                struct nw__web_resp *r);
void nw__web_resp_free(struct nw__web_resp *r);
/* A response header's value (first occurrence, case-insensitive name) into out; 1 found. */
int nw__web_header(const struct nw__web_resp *r, const char *name, char *out, size_t cap);

/* ------------------------------------------------------------------ site -- */

struct nw__web_page {
    char *url;
    long status;
    char *body;
    size_t len;
    int cut;
    int html;
    unsigned depth;
    struct nw_html_doc doc;
    char note[200];
};

/* An injection point: a URL and a parameter to vary (the others kept). */
struct nw__web_point {
    char url[NW_WEB_URL_MAX];   /* action/path without the query */
    char **names, **values;     /* every parameter of the request */
    size_t n;
    size_t which;               /* the one to vary */
};

struct nw__web_site {
    char start[NW_WEB_URL_MAX];
    struct nw_url u;
    uint64_t run_now;           /* the run it belongs to (settings now_us) */
    struct nw__web_page *pages;
    size_t npages;
    char notes[8][300];         /* crawl notes: cuts, loops, budget, slow */
    size_t nnotes;
    int reachable;              /* the start page answered */
    long start_status;
    /* soft-404: what the site answers for a path that cannot exist */
    long nf_status;
    char *nf_body;
    size_t nf_len;
    struct nw__web_point *points;
    size_t npoints;
    unsigned requests;
    uint64_t crawl_ms;
};

/*
 * The crawl of req->target's site for this run, crawled on first use
 * (same host, depth <= 3, <= 60 pages, 5 MiB per page, 64 MiB in all) and
 * kept until the next site or nw_web_fini(). Returns NULL with res set to
 * skip (not a web target) or error (unreachable, out of memory).
 */
const struct nw__web_site *nw__web_site_get(const struct nw_probe_req *req,
                                            struct nw_probe_res *res, int *rc);
/* Does the body look like the site's soft-404 page (same status class and near-same body)? */
int nw__web_soft404(const struct nw__web_site *s, long status, const char *body, size_t len);
/* The URL of the site's path p ("/x"), into out. */
void nw__web_site_url(const struct nw__web_site *s, const char *path, char *out, size_t cap);
/* Build point's URL with parameter `which` set to value (others as found), into out. */
void nw__web_point_url(const struct nw__web_point *p, const char *value, char *out, size_t cap);
/* Is the target a website (host text is an http(s) URL)? Else res is set to skip. */
int nw__web_target_ok(const struct nw_probe_req *req, struct nw_probe_res *res);
/* SHA-256 of a normalised body (nw_html_extract's norm) as 64 hex digits + NUL. */
void nw__web_hash(const char *p, size_t n, char out[65]);
/* Append the crawl notes to facts as "notes": [...]. */
void nw__web_notes_json(const struct nw__web_site *s, struct nw_buf *b, const char *extra);
/* The data directory of the web lists (data/web next to data/dict), into out. */
void nw__web_data_dir(const struct nw_probe_req *req, char *out, size_t cap);

#endif
