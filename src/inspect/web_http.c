/*
 * web_http.c - the HTTP(S) client of the web probes, on libcurl's easy
 * interface.
 *
 * Invariants (why each matters):
 *  - every connection goes to the target's address only (CURLOPT_CONNECT_TO
 *    "::ADDR:"), whatever a page or a redirect names: the scope was checked
 *    for that address;
 *  - no proxy from the environment, http and https only, no credentials;
 *  - connect timeout = [inspect] connect_timeout_ms, whole request <=
 *    NW_WEB_REQ_MS, a stall of 5 s without a byte ends it, and the probe's
 *    whole budget ends it earlier; after NW_WEB_SLOW_STOP timeouts in a row
 *    the client stops (a slow site costs bounded time);
 *  - a body is cut at the caller's cap (5 MiB at most) and noted, never
 *    read whole; headers at 32 KiB;
 *  - redirects are followed by hand, same host only, at most 5; a loop is
 *    named as such;
 *  - requests are paced at the client's rate (the injection probes run
 *    slowly on purpose).
 * Certificates are not verified here (web_tls examines them).
 */
#include "web_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nw/core.h"

struct sink {
    char *p;
    size_t len, cap, limit;
    int cut;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct sink *s = ud;
    size_t n = size * nmemb, take = n;

    if (s->len + take > s->limit) {
        take = s->limit - s->len;
        s->cut = 1;
    }
    if (take > 0) {
        if (s->len + take + 1 > s->cap) {
            size_t nc = s->cap ? s->cap : 16384;
            while (nc < s->len + take + 1) nc *= 2;
            if (nc > s->limit + 1) nc = s->limit + 1;
            char *np = nw_realloc(s->p, nc);
            if (np == NULL) return 0;
            s->p = np;
            s->cap = nc;
        }
        memcpy(s->p + s->len, ptr, take);
        s->len += take;
        s->p[s->len] = '\0';
    }
    return s->cut ? 0 : n; /* 0 makes curl stop: we have all we read */
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct sink *s = ud;
    size_t n = size * nmemb;

    if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0) s->len = 0; /* a new response (100, redirect) */
    if (s->len + n + 1 <= s->limit) {
        if (s->len + n + 1 > s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 4096;
            while (nc < s->len + n + 1) nc *= 2;
            char *np = nw_realloc(s->p, nc);
            if (np == NULL) return 0;
            s->p = np;
            s->cap = nc;
        }
        memcpy(s->p + s->len, ptr, n);
        s->len += n;
        s->p[s->len] = '\0';
    }
    return n;
}

int nw__web_client_init(struct nw__web_client *c, const struct nw_probe_req *req, double rate,
                        char *why, size_t whysz)
{
    static int global_done;
    const struct nw_inspect_target *t = req->target;
    char pin[128];

    memset(c, 0, sizeof *c);
    if (t == NULL || nw_web_url_parse(t->host, &c->origin) != 0) {
        snprintf(why, whysz, "%s is not an http(s) URL", t ? t->host : "(none)");
        return NW_EINVAL;
    }
    if (!global_done) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        global_done = 1;
    }
    c->h = curl_easy_init();
    if (c->h == NULL) {
        snprintf(why, whysz, "out of memory (libcurl)");
        return NW_ENOMEM;
    }
    snprintf(pin, sizeof pin, t->family == 6 ? "::[%s]:" : "::%s:", t->addr_text);
    c->pin = curl_slist_append(NULL, pin);
    if (c->pin == NULL) {
        curl_easy_cleanup(c->h);
        c->h = NULL;
        snprintf(why, whysz, "out of memory");
        return NW_ENOMEM;
    }
    c->conn_ms = req->set && req->set->connect_timeout_ms ? (unsigned)req->set->connect_timeout_ms
                                                          : 3000;
    c->req_ms = NW_WEB_REQ_MS;
    c->interval_us = rate > 0 ? (uint64_t)(1e6 / rate) : 0;
    c->cancel = req->cancel;
    c->deadline_us = nw_time_now_us() + (uint64_t)NW_WEB_BUDGET_MS * 1000;
    return 0;
}

void nw__web_client_fini(struct nw__web_client *c)
{
    if (c->h) curl_easy_cleanup(c->h);
    curl_slist_free_all(c->pin);
    c->h = NULL;
    c->pin = NULL;
}

void nw__web_resp_free(struct nw__web_resp *r)
{
    nw_free(r->body);
    nw_free(r->hdr);
    r->body = r->hdr = NULL;
    r->len = r->hlen = 0;
}

int nw__web_header(const struct nw__web_resp *r, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *p = r->hdr;

    if (p == NULL) return 0;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            size_t vl = l - nl - 1;
            while (vl > 0 && (*v == ' ' || *v == '\t')) v++, vl--;
            while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == ' ')) vl--;
            snprintf(out, cap, "%.*s", (int)vl, v);
            return 1;
        }
        if (e == NULL) break;
        p = e + 1;
    }
    return 0;
}

static void pace(struct nw__web_client *c)
{
    uint64_t now = nw_time_now_us();
    /* bounded: sleeps at most interval_us, in 50 ms steps that look at cancel */
    while (c->interval_us && c->last_us && now < c->last_us + c->interval_us) {
        if (c->cancel && *c->cancel) return;
        uint64_t d = c->last_us + c->interval_us - now;
        if (d > 50000) d = 50000;
        struct timespec ts = {0, (long)d * 1000};
        nanosleep(&ts, NULL);
        now = nw_time_now_us();
    }
}

/* One request, no redirect following. */
static int one(struct nw__web_client *c, const char *url, size_t cap, struct nw__web_resp *r,
               char *location, size_t loccap)
{
    struct sink body = {0}, hdr = {0};
    CURLcode cc;
    char errbuf[CURL_ERROR_SIZE];
    uint64_t now, t0;
    long left_ms;

    location[0] = '\0';
    if (c->cancel && *c->cancel) {
        c->stopped = 1;
        snprintf(c->stop_note, sizeof c->stop_note, "interrupted");
    }
    now = nw_time_now_us();
    if (!c->stopped && c->deadline_us && now >= c->deadline_us) {
        c->stopped = 1;
        snprintf(c->stop_note, sizeof c->stop_note, "time budget of %d s for this site used up",
                 NW_WEB_BUDGET_MS / 1000);
    }
    if (c->stopped) {
        snprintf(r->note, sizeof r->note, "not fetched: %s", c->stop_note);
        return NW_ELIMIT;
    }
    pace(c);
    t0 = nw_time_now_us();
    left_ms = c->deadline_us ? (long)((c->deadline_us - t0) / 1000) : (long)c->req_ms;
    if (left_ms > (long)c->req_ms) left_ms = (long)c->req_ms;
    if (left_ms < 100) left_ms = 100;
    body.limit = cap;
    hdr.limit = NW_WEB_HDR_CAP;
    errbuf[0] = '\0';
    curl_easy_reset(c->h);
    curl_easy_setopt(c->h, CURLOPT_URL, url);
    curl_easy_setopt(c->h, CURLOPT_CONNECT_TO, c->pin);
    curl_easy_setopt(c->h, CURLOPT_PROXY, "");
    curl_easy_setopt(c->h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c->h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->conn_ms);
    curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, left_ms);
    curl_easy_setopt(c->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c->h, CURLOPT_LOW_SPEED_TIME, 5L);
    curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(c->h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c->h, CURLOPT_USERAGENT, "netwarden-inspect/1 (website self-inspection)");
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c->h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c->h, CURLOPT_HEADERDATA, &hdr);
    curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)0);
    cc = curl_easy_perform(c->h);
    c->requests++;
    c->last_us = nw_time_now_us();
    r->ms = (c->last_us - t0) / 1000;
    nw__web_resp_free(r);
    r->body = body.p;
    r->len = body.len;
    r->cut = body.cut;
    r->hdr = hdr.p;
    r->hlen = hdr.len;
    r->status = 0;
    r->timed_out = 0;
    {
        size_t ul = strnlen(url, sizeof r->url - 1); /* url is one of nw__web_get's */
        memcpy(r->url, url, ul);
        r->url[ul] = '\0';
    }
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &r->status);
    if (cc == CURLE_WRITE_ERROR && body.cut) {
        snprintf(r->note, sizeof r->note, "response cut at %zu bytes (size limit)", cap);
        cc = CURLE_OK;
    }
    if (cc == CURLE_OPERATION_TIMEDOUT) {
        r->timed_out = 1;
        if (++c->timeouts_in_row >= NW_WEB_SLOW_STOP) {
            c->stopped = 1;
            snprintf(c->stop_note, sizeof c->stop_note,
                     "site too slow: %d requests in a row timed out (%u ms each at most)",
                     NW_WEB_SLOW_STOP, c->req_ms);
        }
    } else {
        c->timeouts_in_row = 0;
    }
    if (cc != CURLE_OK) {
        snprintf(r->note, sizeof r->note, "%.100s: %.120s after %llu ms%s", url,
                 errbuf[0] ? errbuf : curl_easy_strerror(cc), (unsigned long long)r->ms,
                 r->len ? " (partial body kept)" : "");
        if (r->status == 0 || r->len == 0) return NW_EIO;
    }
    {
        char *ct = NULL, *loc = NULL;
        curl_easy_getinfo(c->h, CURLINFO_CONTENT_TYPE, &ct);
        snprintf(r->ctype, sizeof r->ctype, "%s", ct ? ct : "");
        if (r->status >= 300 && r->status < 400 &&
            curl_easy_getinfo(c->h, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc)
            snprintf(location, loccap, "%s", loc);
    }
    return r->status > 0 ? 0 : NW_EIO;
}

int nw__web_get(struct nw__web_client *c, const char *url, size_t cap, int follow,
                struct nw__web_resp *r)
{
    char chain[NW_WEB_MAX_REDIRECTS + 1][NW_WEB_URL_MAX];
    char loc[NW_WEB_URL_MAX];
    int rc;

    memset(r, 0, sizeof *r);
    if (cap > NW_WEB_BODY_CAP) cap = NW_WEB_BODY_CAP;
    snprintf(chain[0], sizeof chain[0], "%s", url);
    for (unsigned hop = 0;; hop++) {
        struct nw_url u;
        rc = one(c, chain[hop], cap, r, loc, sizeof loc);
        if (rc != 0 || !follow || loc[0] == '\0') return rc;
        if (nw_web_url_parse(loc, &u) != 0 || strcasecmp(u.host, c->origin.host) != 0) {
            r->offsite = 1;
            snprintf(r->note, sizeof r->note, "redirects off the site to %.200s (not followed)",
                     loc);
            return 0;
        }
        for (unsigned k = 0; k <= hop; k++)
            if (strcmp(chain[k], loc) == 0) {
                r->loop = 1;
                snprintf(r->note, sizeof r->note, "redirect loop: %.120s -> %.120s", chain[hop],
                         loc);
                return 0;
            }
        if (hop + 1 > NW_WEB_MAX_REDIRECTS) {
            r->loop = 1;
            snprintf(r->note, sizeof r->note, "more than %d redirects from %.200s",
                     NW_WEB_MAX_REDIRECTS, url);
            return 0;
        }
        r->redirects = hop + 1;
        snprintf(chain[hop + 1], sizeof chain[hop + 1], "%s", loc);
    }
}
