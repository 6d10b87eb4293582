/*
 * ch_http.c - the HTTP requests the ClickHouse sink and query make, over
 * libcurl (blocking, one easy handle per user, keep-alive between requests).
 *
 * Every request has a connect timeout and a stall bound (no byte for
 * timeout_ms aborts it); non-streamed response bodies are capped at 64 KiB
 * (only an error text is expected there). A non-200 status is turned into
 * one line with nw_ch_error_line. The password travels as HTTP basic auth
 * and is never printed.
 *
 * libcurl allocates with the C allocator: it is an external library, like
 * libpcap; our own buffers use nw_alloc. curl_global_init runs once
 * (pthread_once) before the first handle.
 */
#include "ch_int.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define BODY_CAP 65536

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void global_init(void) { curl_global_init(CURL_GLOBAL_NOTHING); }

struct sink_ctx {
    int (*on_data)(void *arg, const char *p, size_t n);
    void *arg;
    int cb_rc;           /* on_data's non-zero result */
    char body[BODY_CAP]; /* kept for errors (and when on_data is NULL) */
    size_t blen;
    long status;
    CURL *c;
};

int nw__ch_http_init(struct nw__ch_http *h, const struct nw_ch_url *u)
{
    memset(h, 0, sizeof *h);
    h->u = u;
    pthread_once(&once, global_init);
    h->ctx = nw_calloc(1, sizeof(struct sink_ctx));
    h->curl = curl_easy_init();
    if (h->curl == NULL || h->ctx == NULL) {
        nw__ch_http_fini(h);
        return NW_ENOMEM;
    }
    return 0;
}

void nw__ch_http_fini(struct nw__ch_http *h)
{
    if (h->curl) curl_easy_cleanup(h->curl);
    h->curl = NULL;
    nw_free(h->ctx);
    h->ctx = NULL;
}


static size_t on_write(char *p, size_t sz, size_t nm, void *arg)
{
    struct sink_ctx *s = arg;
    size_t n = sz * nm;

    if (s->status == 0) curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &s->status);
    if (s->status == 200 && s->on_data != NULL) {
        int rc = s->on_data(s->arg, p, n);
        if (rc != 0) {
            s->cb_rc = rc;
            return 0; /* aborts the transfer */
        }
        /* also keep the tail: ClickHouse appends an exception text to a 200
         * response when a query fails after it started streaming */
        if (n >= BODY_CAP) {
            memcpy(s->body, p + n - BODY_CAP, BODY_CAP);
            s->blen = BODY_CAP;
        } else {
            size_t keep = NW_MIN(s->blen, BODY_CAP - n);
            memmove(s->body, s->body + s->blen - keep, keep);
            memcpy(s->body + keep, p, n);
            s->blen = keep + n;
        }
        return n;
    }
    size_t take = NW_MIN(n, BODY_CAP - s->blen);
    memcpy(s->body + s->blen, p, take);
    s->blen += take;
    return n;
}

int nw__ch_http_post(struct nw__ch_http *h, const char *query, const char *params,
                     const char *body, size_t len,
                     int (*on_data)(void *arg, const char *p, size_t n), void *arg,
                     long timeout_ms)
{
    CURL *c = h->curl;
    struct sink_ctx *s = h->ctx;
    struct curl_slist *hdrs = NULL;
    char *esc = NULL;
    CURLcode cc;
    int rc = 0, n;

    /* no nw_alloc here (the sender allocates nothing per request; libcurl uses malloc) */
    h->err[0] = '\0';
    h->status = 0;
    h->maybe_delivered = 0;
    memset(s, 0, sizeof *s);
    s->on_data = on_data;
    s->arg = arg;
    s->c = c;
    if (query != NULL) {
        esc = curl_easy_escape(c, query, 0);
        if (esc == NULL) {
            snprintf(h->err, sizeof h->err, "out of memory");
            return NW_ENOMEM;
        }
    }
    n = snprintf(h->url, sizeof h->url, "http://%s%s%s:%u/?%s%s%s%s", strchr(h->u->host, ':') ? "[" : "",
                 h->u->host, strchr(h->u->host, ':') ? "]" : "", h->u->port, esc ? "query=" : "",
                 esc ? esc : "", esc && params && params[0] ? "&" : "", params ? params : "");
    if (n < 0 || (size_t)n >= sizeof h->url) {
        snprintf(h->err, sizeof h->err, "request URL too long");
        rc = NW_ELIMIT;
        goto out;
    }
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, h->url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, NW_MIN(timeout_ms, 5000L));
    /* stall bound: fewer than 1 byte/s for timeout_ms aborts */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, NW_MAX(1L, timeout_ms / 1000));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    hdrs = curl_slist_append(hdrs, "Content-Type: text/plain; charset=utf-8");
    hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    if (h->u->user[0]) {
        curl_easy_setopt(c, CURLOPT_USERNAME, h->u->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, h->u->password);
    }
    cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h->status);
    /* a refused or unresolved connection delivered nothing */
    h->maybe_delivered = !(cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST);
    h->tail_len = NW_MIN(s->blen, sizeof h->tail);
    memcpy(h->tail, s->body + s->blen - h->tail_len, h->tail_len);
    if (s->cb_rc != 0) {
        rc = s->cb_rc;
        goto out;
    }
    if (cc != CURLE_OK) {
        snprintf(h->err, sizeof h->err, "ClickHouse at %.100s:%u: %s; is the server running and "
                 "reachable?", h->u->host, h->u->port, curl_easy_strerror(cc));
        rc = NW_EIO;
        goto out;
    }
    if (h->status != 200) {
        char line[300];
        nw_ch_error_line(s->body, s->blen, line, sizeof line);
        snprintf(h->err, sizeof h->err, "ClickHouse at %.100s:%u (HTTP %ld): %s", h->u->host,
                 h->u->port, h->status, line);
        rc = NW_EFORMAT;
        goto out;
    }
    if (on_data == NULL && s->blen >= 6 && memcmp(s->body, "Code: ", 6) == 0) {
        char line[300];
        nw_ch_error_line(s->body, s->blen, line, sizeof line);
        snprintf(h->err, sizeof h->err, "ClickHouse at %.100s:%u: %s", h->u->host, h->u->port,
                 line);
        rc = NW_EFORMAT;
    }
out:
    if (rc == NW_ENOMEM && h->err[0] == '\0') snprintf(h->err, sizeof h->err, "out of memory");
    curl_slist_free_all(hdrs);
    curl_free(esc);
    return rc;
}
