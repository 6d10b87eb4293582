/*
 * proto_http.c - HTTP/1.0 and HTTP/1.1 over TCP (RFC 9110, RFC 9112).
 *
 * Each direction runs its own message state machine over the in-order byte
 * stream: start line, header lines, then a body framed by Content-Length,
 * chunked transfer coding or (responses only) the end of the connection.
 * Every call handles one line or one slice of body and returns what it
 * consumed, 0 when a line is not complete yet (the driver presents the bytes
 * again with what follows), or <0 on a violation.
 *
 * Requests become transactions in a FIFO; each response is paired with the
 * oldest unanswered request (pipelining). One `http` record per transaction,
 * with Suricata's EVE field names, is emitted when its response is complete
 * (so "length" is known), when more than HTTP_MAX_TX requests wait (the
 * oldest goes out unanswered), or at the end of the flow.
 *
 * Invariants and limits:
 *  - Bodies are never buffered: they are counted and skipped as they arrive.
 *  - A start or header line longer than HTTP_MAX_LINE, or more than
 *    HTTP_MAX_HEADERS header lines in one message, is a violation (<0).
 *  - Stored strings are copies (the URL up to HTTP_MAX_LINE, header values up
 *    to HTTP_MAX_VALUE); at most HTTP_MAX_TX transactions are held, so a flow
 *    holds well under 1 MiB whatever it is sent.
 *  - Authorization / Proxy-Authorization: only the user name of a Basic
 *    credential is kept ("basic_auth_user"); the password and every other
 *    credential are dropped as soon as the header line is parsed.
 *  - Bytes that do not fit the machine (capture started mid-stream, a gap
 *    the framing cannot absorb, garbage) put that direction into resync: it
 *    drops whole lines until one starts like a request (a known method) or a
 *    status line ("HTTP/1.").
 *  - CONNECT answered with 2xx and 101 Switching Protocols end HTTP parsing
 *    of the flow (the rest is another protocol).
 */
#include "nw/proto.h"

#include <string.h>

#include "nw/core.h"

#define HTTP_MAX_LINE 8192u     /* longest start or header line accepted */
#define HTTP_MAX_HEADERS 256u   /* header lines per message */
#define HTTP_MAX_VALUE 2048u    /* header value bytes kept (the line may be longer) */
#define HTTP_MAX_TX 32u         /* requests waiting for their response */
#define HTTP_MAX_CHUNK_DIGITS 15 /* hex digits of a chunk size: < 2^60 */

enum http_st {
    H_START = 0,  /* expecting a start line (empty lines between messages skipped) */
    H_HEADERS,    /* header lines until the empty line */
    H_BODY_CL,    /* remaining bytes of a Content-Length body */
    H_CHUNK_SIZE, /* chunk-size line */
    H_CHUNK_DATA, /* remaining bytes of a chunk */
    H_CHUNK_CRLF, /* the line end after chunk data */
    H_TRAILERS,   /* trailer lines after the last chunk */
    H_BODY_CLOSE, /* response body delimited by the end of the connection */
    H_RESYNC,     /* dropping lines until a message start */
    H_DEAD        /* not HTTP any more (tunnel, upgrade) */
};

struct hstr {
    char *p;    /* owned copy, NUL-terminated, or NULL */
    uint32_t n; /* length without the NUL */
};

struct http_tx {
    struct hstr method, uri, protocol, host, ua, referer, req_ctype, xff, auth_user;
    struct hstr resp_ctype, location, status_str;
    int64_t req_clen;   /* request Content-Length, -1 if absent */
    uint64_t resp_len;  /* response body bytes seen (chunk framing removed) */
    uint64_t id;        /* tx_id: requests in this flow, from 0 */
    int status;         /* final status code, 0 if none yet */
    uint8_t resp_final; /* a final (non-1xx) status line was seen */
};

/* Per-direction framing state of the message being parsed. */
struct http_dir {
    uint8_t st;         /* enum http_st */
    uint8_t chunked;    /* Transfer-Encoding: chunked seen */
    uint8_t has_clen;   /* Content-Length seen */
    uint8_t interim;    /* response: current status is 1xx */
    unsigned nheaders;  /* header lines so far in this message */
    uint64_t clen;      /* Content-Length value */
    uint64_t remaining; /* bytes left in the body or chunk */
};

struct http_state {
    struct http_tx *q[HTTP_MAX_TX]; /* FIFO of transactions, oldest at q_head */
    unsigned q_head, q_len;
    struct http_tx *req;  /* transaction whose request is being parsed (in q) */
    struct http_tx *resp; /* transaction whose response is being parsed (q head) */
    struct http_dir d[2];
    uint64_t next_id;
};

/* ---- small helpers over wire bytes ------------------------------------ */

static int lc(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int ieq(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s);

    if (n != k) return 0;
    for (size_t i = 0; i < n; i++)
        if (lc(p[i]) != s[i]) return 0;
    return 1;
}

static int iprefix(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s);

    if (n < k) return 0;
    for (size_t i = 0; i < k; i++)
        if (lc(p[i]) != lc((unsigned char)s[i])) return 0;
    return 1;
}

/* Case-insensitive search of s in p/n. */
static int icontains(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s);

    for (size_t i = 0; i + k <= n; i++)
        if (iprefix(p + i, n - i, s)) return 1;
    return 0;
}

static void hstr_set(struct hstr *h, const void *p, size_t n)
{
    if (n > HTTP_MAX_LINE) n = HTTP_MAX_LINE;
    nw_free(h->p);
    h->p = nw_alloc(n + 1);
    h->n = 0;
    if (h->p == NULL) return; /* out of memory: the field is just absent */
    memcpy(h->p, p, n);
    h->p[n] = '\0';
    h->n = (uint32_t)n;
}

static void hstr_free(struct hstr *h)
{
    nw_free(h->p);
    h->p = NULL;
    h->n = 0;
}

static void tx_free(struct http_tx *tx)
{
    struct hstr *all[] = {&tx->method,   &tx->uri,        &tx->protocol,   &tx->host,
                          &tx->ua,       &tx->referer,    &tx->req_ctype,  &tx->xff,
                          &tx->auth_user, &tx->resp_ctype, &tx->location, &tx->status_str};
    for (size_t i = 0; i < NW_ARRAY_LEN(all); i++) hstr_free(all[i]);
    nw_free(tx);
}

/* Trim optional whitespace at both ends of p/n. */
static void trim(const uint8_t **p, size_t *n)
{
    while (*n && (**p == ' ' || **p == '\t')) (*p)++, (*n)--;
    while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t' || (*p)[*n - 1] == '\r')) (*n)--;
}

/* Decimal Content-Length; <0 if not a plain number that fits. */
static int parse_clen(const uint8_t *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;

    trim(&p, &n);
    if (n == 0 || n > 18) return NW_EFORMAT;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return NW_EFORMAT;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    *out = v;
    return 0;
}

static int b64val(uint8_t c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

/*
 * "Basic <base64 of user:password>": keep the user. The decoded bytes live
 * on the stack only and are wiped before returning, so the password never
 * reaches the heap or a record.
 */
static void basic_auth_user(struct http_tx *tx, const uint8_t *v, size_t n)
{
    uint8_t out[768];
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;

    trim(&v, &n);
    if (n < 6 || !iprefix(v, n, "basic ")) return;
    v += 6, n -= 6;
    trim(&v, &n);
    for (size_t i = 0; i < n && o < sizeof out; i++) {
        int x = b64val(v[i]);
        if (v[i] == '=') break;
        if (x < 0) continue; /* whitespace or junk: skip, as lenient decoders do */
        acc = (acc << 6) | (uint32_t)x;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    const uint8_t *colon = memchr(out, ':', o);
    if (colon != NULL) hstr_set(&tx->auth_user, out, (size_t)(colon - out));
    /* volatile: a plain memset of a dying buffer may be optimised away */
    for (volatile uint8_t *w = out; w < out + sizeof out; w++) *w = 0;
}

/* ---- transactions ------------------------------------------------------ */

static void emit(struct nw_proto_ctx *ctx, struct http_tx *tx)
{
    struct nw_buf *b = nw_record_begin(ctx, "http", NW_REC_FLOW);
    const uint8_t *h = (const uint8_t *)tx->host.p;
    size_t hn = tx->host.n, hlen = hn;
    long port = -1;

    nw_json_kuint(b, "tx_id", tx->id);
    nw_json_kobj_open(b, "http");
    if (h != NULL) {
        /* hostname without the port, lower-cased (as libhtp normalises it) */
        char name[256];
        size_t k = 0;
        const uint8_t *colon = NULL;
        if (hn && h[0] == '[') {
            const uint8_t *rb = memchr(h, ']', hn);
            if (rb != NULL && (size_t)(rb - h) + 1 < hn && rb[1] == ':') colon = rb + 1;
        } else {
            colon = memchr(h, ':', hn);
        }
        if (colon != NULL) {
            long v = 0;
            size_t i = (size_t)(colon - h) + 1;
            hlen = (size_t)(colon - h);
            for (; i < hn && h[i] >= '0' && h[i] <= '9' && v <= 65535; i++) v = v * 10 + (h[i] - '0');
            if (i == hn && i > (size_t)(colon - h) + 1 && v <= 65535) port = v;
        }
        for (k = 0; k < hlen && k < sizeof name; k++) name[k] = (char)lc(h[k]);
        nw_json_kstr(b, "hostname", name, k);
    }
    if (port >= 0) nw_json_kuint(b, "http_port", (uint64_t)port);
    if (tx->uri.p) nw_json_kstr(b, "url", tx->uri.p, tx->uri.n);
    if (tx->ua.p) nw_json_kstr(b, "http_user_agent", tx->ua.p, tx->ua.n);
    if (tx->xff.p) nw_json_kstr(b, "xff", tx->xff.p, tx->xff.n);
    if (tx->resp_ctype.p) {
        const char *semi = memchr(tx->resp_ctype.p, ';', tx->resp_ctype.n);
        size_t n = semi ? (size_t)(semi - tx->resp_ctype.p) : tx->resp_ctype.n;
        nw_json_kstr(b, "http_content_type", tx->resp_ctype.p, n);
    }
    if (tx->referer.p) nw_json_kstr(b, "http_refer", tx->referer.p, tx->referer.n);
    if (tx->method.p) nw_json_kstr(b, "http_method", tx->method.p, tx->method.n);
    if (tx->protocol.p) nw_json_kstr(b, "protocol", tx->protocol.p, tx->protocol.n);
    if (tx->status > 0)
        nw_json_kuint(b, "status", (uint64_t)tx->status);
    else if (tx->status_str.p)
        nw_json_kstr(b, "status_string", tx->status_str.p, tx->status_str.n);
    if (tx->location.p) nw_json_kstr(b, "redirect", tx->location.p, tx->location.n);
    nw_json_kuint(b, "length", tx->resp_len);
    if (tx->req_ctype.p) nw_json_kstr(b, "request_content_type", tx->req_ctype.p, tx->req_ctype.n);
    if (tx->req_clen >= 0) nw_json_kuint(b, "request_content_length", (uint64_t)tx->req_clen);
    if (tx->auth_user.p) nw_json_kstr(b, "basic_auth_user", tx->auth_user.p, tx->auth_user.n);
    nw_json_obj_close(b);
    nw_record_end(ctx);
}

/* Emit and free the oldest transaction. */
static void pop_emit(struct nw_proto_ctx *ctx, struct http_state *st)
{
    struct http_tx *tx;

    if (st->q_len == 0) return;
    tx = st->q[st->q_head];
    st->q[st->q_head] = NULL;
    st->q_head = (st->q_head + 1) % HTTP_MAX_TX;
    st->q_len--;
    if (st->req == tx) st->req = NULL;
    if (st->resp == tx) st->resp = NULL;
    emit(ctx, tx);
    tx_free(tx);
}

static struct http_tx *tx_new(struct nw_proto_ctx *ctx, struct http_state *st)
{
    struct http_tx *tx;

    if (st->q_len == HTTP_MAX_TX) {
        nw_proto_anomaly(ctx, "too_many_pending");
        pop_emit(ctx, st);
    }
    tx = nw_calloc(1, sizeof *tx);
    if (tx == NULL) {
        nw_proto_anomaly(ctx, "nomem");
        return NULL;
    }
    tx->req_clen = -1;
    tx->id = st->next_id++;
    st->q[(st->q_head + st->q_len) % HTTP_MAX_TX] = tx;
    st->q_len++;
    return tx;
}

/* The oldest transaction still waiting for a final response, or NULL. */
static struct http_tx *unanswered(struct http_state *st)
{
    for (unsigned i = 0; i < st->q_len; i++) {
        struct http_tx *tx = st->q[(st->q_head + i) % HTTP_MAX_TX];
        if (!tx->resp_final) return tx;
    }
    return NULL;
}

/* The response of st->resp is complete: emit every finished tx up to it. */
static void resp_done(struct nw_proto_ctx *ctx, struct http_state *st)
{
    struct http_tx *tx = st->resp;

    st->resp = NULL;
    if (tx == NULL) return;
    /* FIFO: everything before tx was answered or given up on; emit in order */
    while (st->q_len) {
        struct http_tx *h = st->q[st->q_head];
        pop_emit(ctx, st);
        if (h == tx) break;
    }
}

/*
 * The server sent bytes where a status line should start: the response to
 * the oldest waiting request was lost (capture started mid-response, or
 * loss). Give that request up, so the next status line pairs with the next
 * request instead of shifting every pairing by one.
 */
static void response_lost(struct nw_proto_ctx *ctx, struct http_state *st)
{
    struct http_tx *tx = unanswered(st);

    if (tx == NULL) return;
    tx->resp_final = 1;
    st->resp = tx;
    resp_done(ctx, st);
}

/* ---- lines and start lines --------------------------------------------- */

static const char *const methods[] = {
    "GET",   "POST",     "HEAD",      "PUT",    "DELETE", "OPTIONS", "CONNECT", "TRACE",
    "PATCH", "PROPFIND", "PROPPATCH", "MKCOL",  "COPY",   "MOVE",    "LOCK",    "UNLOCK",
    "SEARCH", "REPORT",  "MKACTIVITY", "CHECKOUT", "MERGE", "NOTIFY", "SUBSCRIBE",
    "UNSUBSCRIBE", "PURGE", "LINK", "UNLINK"};

/*
 * Does p/len start like a message of direction dir? 1 yes, 0 no, -1 cannot
 * tell yet (a prefix of a method or of "HTTP/1.").
 */
static int looks_like_start(const uint8_t *p, size_t len, int dir)
{
    if (dir == NW_DIR_TOCLIENT) {
        static const char sl[] = "HTTP/1.";
        size_t k = sizeof sl - 1;
        if (len < k) return memcmp(p, sl, len) == 0 ? -1 : 0;
        return memcmp(p, sl, k) == 0;
    }
    int partial = 0;
    for (size_t i = 0; i < NW_ARRAY_LEN(methods); i++) {
        size_t k = strlen(methods[i]);
        if (len > k) {
            if (memcmp(p, methods[i], k) == 0 && (p[k] == ' ' || p[k] == '\r' || p[k] == '\n'))
                return 1;
        } else if (memcmp(p, methods[i], len) == 0) {
            partial = 1; /* len <= k: "GET" without the space yet */
        }
    }
    return partial ? -1 : 0;
}

/*
 * Probe. Known methods and status lines say 1. An unknown method-like token
 * ("CCM_POST ", extension methods) says -1, "cannot tell": on an HTTP port
 * that is enough to attach, elsewhere it does not claim the flow (SMTP's
 * "EHLO x" looks just the same).
 */
static int http_probe(const uint8_t *p, size_t len, int dir)
{
    int r;
    size_t i = 0;

    if (len == 0) return -1;
    r = looks_like_start(p, len, dir);
    if (r != 0 || dir == NW_DIR_TOCLIENT) return r;
    while (i < len && i < 32 &&
           ((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '_' ||
            p[i] == '-'))
        i++;
    if (i == 0) return 0;
    if (i == len) return -1;
    return p[i] == ' ' || p[i] == '\r' || p[i] == '\n' ? -1 : 0;
}

/* Find the line at p: sets *n to its length without CRLF and returns the
 * bytes it occupies with the LF, 0 if incomplete. */
static size_t get_line(const uint8_t *p, size_t len, size_t *n)
{
    const uint8_t *lf = memchr(p, '\n', len);
    size_t k;

    if (lf == NULL) return 0;
    k = (size_t)(lf - p);
    *n = k && p[k - 1] == '\r' ? k - 1 : k;
    return k + 1;
}

static int is_tchar(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/*
 * "METHOD SP request-target SP HTTP/x.y" -> a new transaction; <0 if not.
 * Lenient like libhtp and Wireshark: a missing or cut version ("GET /",
 * "GET / HTTP/1.") still makes a request whose headers follow. Without an
 * "HTTP/" version the method must look like one (upper case, digits, '_',
 * '-'), so that stray text is not taken for a request.
 */
static int request_line(struct nw_proto_ctx *ctx, struct http_state *st, const uint8_t *l,
                        size_t n)
{
    size_t m = 0, u, e, us;
    int upper = 1;
    struct http_tx *tx;

    while (m < n && m < 32 && is_tchar(l[m])) {
        if (!((l[m] >= 'A' && l[m] <= 'Z') || (l[m] >= '0' && l[m] <= '9') || l[m] == '_' ||
              l[m] == '-'))
            upper = 0;
        m++;
    }
    if (m == 0 || (m < n && l[m] != ' ') || (m == n && !upper)) return NW_EFORMAT;
    e = n;
    while (e > m && (l[e - 1] == ' ' || l[e - 1] == '\t')) e--;
    us = m < n ? m + 1 : n;
    while (us < e && l[us] == ' ') us++; /* start of the request-target */
    u = e;
    while (u > us && l[u - 1] != ' ') u--; /* u: start of the last word */
    if (u > us && e - u >= 5 && memcmp(l + u, "HTTP/", 5) == 0) {
        /* target SP version */
    } else {
        if (!upper) return NW_EFORMAT;
        u = e; /* no version: all of it is the target */
    }
    tx = tx_new(ctx, st);
    st->req = tx;
    if (tx == NULL) return 0;
    const uint8_t *uri = l + us;
    size_t un = u > us ? u - us : 0;
    trim(&uri, &un);
    hstr_set(&tx->method, l, m);
    hstr_set(&tx->uri, uri, un);
    if (u < e) hstr_set(&tx->protocol, l + u, e - u);
    return 0;
}

/* "HTTP/x.y SP 3DIGIT [SP reason]"; <0 if not a status line. */
static int status_line(struct http_state *st, struct http_dir *d, const uint8_t *l, size_t n)
{
    size_t i = 0;
    int code = 0, digits = 0;

    if (n < 8 || memcmp(l, "HTTP/", 5) != 0) return NW_EFORMAT;
    while (i < n && l[i] != ' ') i++;
    while (i < n && l[i] == ' ') i++;
    size_t s = i;
    while (i < n && l[i] >= '0' && l[i] <= '9' && digits < 4) code = code * 10 + (l[i++] - '0'), digits++;
    d->interim = 0;
    st->resp = unanswered(st);
    if (st->resp == NULL) return 0; /* a response to nothing we saw: parse, do not log */
    if (digits != 3 || (i < n && l[i] != ' ' && l[i] != '\t')) {
        size_t e = s;
        while (e < n && l[e] != ' ') e++;
        hstr_set(&st->resp->status_str, l + s, e - s);
        st->resp->resp_final = 1;
        return 0;
    }
    if (code >= 100 && code < 200 && code != 101) {
        d->interim = 1; /* 100 Continue and friends: the final status follows */
        return 0;
    }
    st->resp->status = code;
    st->resp->resp_final = 1;
    return 0;
}

/* ---- header lines ------------------------------------------------------ */

static void header_line(struct nw_proto_ctx *ctx, struct http_state *st, int dir,
                        const uint8_t *l, size_t n)
{
    struct http_dir *d = &st->d[dir];
    const uint8_t *colon = memchr(l, ':', n), *v;
    size_t nn, vn;
    struct http_tx *tx = dir == NW_DIR_TOSERVER ? st->req : st->resp;

    if (l[0] == ' ' || l[0] == '\t') return; /* obsolete line folding: ignored */
    if (colon == NULL) {
        nw_proto_anomaly(ctx, "bad_header");
        return;
    }
    nn = (size_t)(colon - l);
    while (nn && (l[nn - 1] == ' ' || l[nn - 1] == '\t')) nn--;
    v = colon + 1;
    vn = n - (size_t)(v - l);
    trim(&v, &vn);
    if (vn > HTTP_MAX_VALUE && !ieq(l, nn, "authorization") && !ieq(l, nn, "proxy-authorization"))
        vn = HTTP_MAX_VALUE;

    /* framing headers matter whether or not we log this message */
    if (ieq(l, nn, "content-length")) {
        uint64_t cl;
        if (parse_clen(v, vn, &cl) == 0) {
            if (d->has_clen && cl != d->clen) nw_proto_anomaly(ctx, "conflicting_length");
            d->clen = cl;
            d->has_clen = 1;
            if (tx && dir == NW_DIR_TOSERVER) tx->req_clen = (int64_t)NW_MIN(cl, (uint64_t)INT64_MAX);
        } else {
            nw_proto_anomaly(ctx, "bad_content_length");
        }
        return;
    }
    if (ieq(l, nn, "transfer-encoding")) {
        if (icontains(v, vn, "chunked")) d->chunked = 1;
        return;
    }
    if (tx == NULL || (dir == NW_DIR_TOCLIENT && d->interim)) return;
    if (dir == NW_DIR_TOSERVER) {
        if (ieq(l, nn, "host")) {
            if (tx->host.p == NULL) hstr_set(&tx->host, v, vn);
        } else if (ieq(l, nn, "user-agent")) {
            hstr_set(&tx->ua, v, vn);
        } else if (ieq(l, nn, "referer")) {
            hstr_set(&tx->referer, v, vn);
        } else if (ieq(l, nn, "content-type")) {
            hstr_set(&tx->req_ctype, v, vn);
        } else if (ieq(l, nn, "x-forwarded-for")) {
            hstr_set(&tx->xff, v, vn);
        } else if (ieq(l, nn, "authorization") || ieq(l, nn, "proxy-authorization")) {
            basic_auth_user(tx, v, vn);
        }
    } else {
        if (ieq(l, nn, "content-type")) {
            hstr_set(&tx->resp_ctype, v, vn);
        } else if (ieq(l, nn, "location")) {
            hstr_set(&tx->location, v, vn);
        }
    }
}

/* The empty line ended the headers of direction dir: choose the body framing. */
static void headers_done(struct nw_proto_ctx *ctx, struct http_state *st, int dir)
{
    struct http_dir *d = &st->d[dir];

    if (dir == NW_DIR_TOSERVER) {
        st->req = NULL;
        if (d->chunked) {
            d->st = H_CHUNK_SIZE;
        } else if (d->has_clen && d->clen > 0) {
            d->st = H_BODY_CL;
            d->remaining = d->clen;
        } else {
            d->st = H_START;
        }
        return;
    }

    struct http_tx *tx = st->resp;
    int status = tx ? tx->status : 0;
    int head = tx && tx->method.p && strcmp(tx->method.p, "HEAD") == 0;
    int connect = tx && tx->method.p && strcmp(tx->method.p, "CONNECT") == 0;

    if (d->interim) { /* 1xx: another status line follows for the same request */
        d->st = H_START;
        return;
    }
    if (status == 101 || (connect && status >= 200 && status < 300)) {
        /* the connection now carries another protocol */
        resp_done(ctx, st);
        st->d[0].st = H_DEAD;
        st->d[1].st = H_DEAD;
        return;
    }
    if (head || status == 204 || status == 304) {
        d->st = H_START;
    } else if (d->chunked) {
        d->st = H_CHUNK_SIZE;
        return;
    } else if (d->has_clen) {
        d->st = d->clen ? H_BODY_CL : H_START;
        d->remaining = d->clen;
        if (d->clen) return;
    } else {
        d->st = H_BODY_CLOSE;
        return;
    }
    resp_done(ctx, st);
}

/* A message of direction dir is complete (body included). */
static void message_done(struct nw_proto_ctx *ctx, struct http_state *st, int dir)
{
    st->d[dir].st = H_START;
    if (dir == NW_DIR_TOCLIENT) resp_done(ctx, st);
}

static void count_body(struct http_state *st, int dir, uint64_t n)
{
    if (dir == NW_DIR_TOCLIENT && st->resp != NULL) st->resp->resp_len += n;
}

static void reset_dir(struct http_dir *d, uint8_t state)
{
    memset(d, 0, sizeof *d);
    d->st = state;
}

/* Chunk-size line: hex digits, optional extensions. <0 if not a size. */
static int chunk_size(const uint8_t *l, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;

    while (i < n && (l[i] == ' ' || l[i] == '\t')) i++;
    size_t s = i;
    for (; i < n; i++) {
        int x;
        if (l[i] >= '0' && l[i] <= '9') x = l[i] - '0';
        else if (lc(l[i]) >= 'a' && lc(l[i]) <= 'f') x = lc(l[i]) - 'a' + 10;
        else break;
        if (i - s >= HTTP_MAX_CHUNK_DIGITS) return NW_ELIMIT;
        v = v * 16 + (uint64_t)x;
    }
    if (i == s) return NW_EFORMAT;
    if (i < n && l[i] != ';' && l[i] != ' ' && l[i] != '\t') return NW_EFORMAT;
    *out = v;
    return 0;
}

/* ---- the parser --------------------------------------------------------- */

static int http_parse(struct nw_proto_ctx *ctx, void *state, const uint8_t *p, size_t len)
{
    struct http_state *st = state;
    int dir = ctx->dir & 1;
    struct http_dir *d = &st->d[dir];
    size_t used, n;

    if (len > (size_t)NW_PROTO_MAX_PENDING * 4) len = (size_t)NW_PROTO_MAX_PENDING * 4; /* int return */

    switch (d->st) {
    case H_DEAD:
        return (int)len;

    case H_BODY_CL:
    case H_CHUNK_DATA:
        n = (size_t)NW_MIN((uint64_t)len, d->remaining);
        d->remaining -= n;
        count_body(st, dir, n);
        if (d->remaining == 0) {
            if (d->st == H_CHUNK_DATA) d->st = H_CHUNK_CRLF;
            else message_done(ctx, st, dir);
        }
        return (int)n;

    case H_BODY_CLOSE:
        count_body(st, dir, len);
        return (int)len;

    case H_RESYNC: {
        int r = looks_like_start(p, len, dir);
        if (r == 1) {
            reset_dir(d, H_START);
            return http_parse(ctx, state, p, len); /* once: H_START never recurses */
        }
        if (r == -1 && len < 16) return 0; /* might be a start: wait for more */
        const uint8_t *lf = memchr(p, '\n', len);
        return lf ? (int)(lf - p) + 1 : (int)len;
    }
    default:
        break;
    }

    /* line-oriented states */
    used = get_line(p, len, &n);
    if (used == 0) {
        if (len <= HTTP_MAX_LINE) return 0;
        if (d->st == H_START && looks_like_start(p, len, dir) != 1) {
            nw_proto_anomaly(ctx, "resync");
            if (dir == NW_DIR_TOCLIENT) response_lost(ctx, st);
            reset_dir(d, H_RESYNC);
            return (int)len;
        }
        nw_proto_anomaly(ctx, "line_too_long");
        return NW_ELIMIT;
    }
    if (n > HTTP_MAX_LINE) {
        if (d->st == H_START) { /* not a message start we accept: drop the line */
            nw_proto_anomaly(ctx, "resync");
            if (dir == NW_DIR_TOCLIENT) response_lost(ctx, st);
            reset_dir(d, H_RESYNC);
            return (int)used;
        }
        nw_proto_anomaly(ctx, "line_too_long");
        return NW_ELIMIT;
    }

    switch (d->st) {
    case H_START:
        if (n == 0) return (int)used; /* stray CRLF between messages */
        reset_dir(d, H_HEADERS);
        if ((dir == NW_DIR_TOSERVER ? request_line(ctx, st, p, n) : status_line(st, d, p, n)) <
            0) {
            nw_proto_anomaly(ctx, dir == NW_DIR_TOSERVER ? "bad_request_line" : "bad_status_line");
            if (dir == NW_DIR_TOCLIENT) response_lost(ctx, st);
            d->st = H_RESYNC;
        }
        return (int)used;

    case H_HEADERS:
    case H_TRAILERS:
        if (n == 0) {
            if (d->st == H_TRAILERS) message_done(ctx, st, dir);
            else headers_done(ctx, st, dir);
            return (int)used;
        }
        if (++d->nheaders > HTTP_MAX_HEADERS) {
            nw_proto_anomaly(ctx, "too_many_headers");
            return NW_ELIMIT;
        }
        if (d->st == H_HEADERS) header_line(ctx, st, dir, p, n);
        return (int)used;

    case H_CHUNK_SIZE: {
        uint64_t sz;
        if (n == 0) return (int)used; /* tolerate a blank line before the size */
        if (chunk_size(p, n, &sz) < 0) {
            nw_proto_anomaly(ctx, "bad_chunk");
            if (dir == NW_DIR_TOCLIENT) resp_done(ctx, st);
            reset_dir(d, H_RESYNC);
            return (int)used;
        }
        if (sz == 0) {
            d->st = H_TRAILERS;
        } else {
            d->st = H_CHUNK_DATA;
            d->remaining = sz;
        }
        return (int)used;
    }
    case H_CHUNK_CRLF:
        if (n != 0) nw_proto_anomaly(ctx, "bad_chunk_end");
        d->st = H_CHUNK_SIZE;
        return (int)used;

    default:
        return (int)used;
    }
}

/* Bytes lost in ctx->dir: absorb them in a counted body, else resync. */
static void http_gap(struct nw_proto_ctx *ctx, void *state, size_t len)
{
    struct http_state *st = state;
    int dir = ctx->dir & 1;
    struct http_dir *d = &st->d[dir];

    nw_proto_anomaly(ctx, "gap");
    switch (d->st) {
    case H_DEAD:
        return;
    case H_BODY_CLOSE:
        count_body(st, dir, len);
        return;
    case H_BODY_CL:
    case H_CHUNK_DATA:
        if (len < d->remaining) {
            d->remaining -= len;
            count_body(st, dir, len);
            return;
        }
        if (len == d->remaining && d->st == H_BODY_CL) {
            d->remaining = 0;
            count_body(st, dir, len);
            message_done(ctx, st, dir);
            return;
        }
        break;
    default:
        break;
    }
    /* the framing is lost: the message in progress ends here */
    if (dir == NW_DIR_TOCLIENT) resp_done(ctx, st);
    else st->req = NULL;
    reset_dir(d, H_RESYNC);
}

static void http_end(struct nw_proto_ctx *ctx, void *state)
{
    struct http_state *st = state;

    while (st->q_len) pop_emit(ctx, st); /* bounded by HTTP_MAX_TX */
}

/* Basic-auth decoding keeps the user and nothing after the colon. */
static int http_selftest(void)
{
    struct http_tx tx;
    static const char v[] = "Basic YWxpY2U6czNjcjN0"; /* alice:s3cr3t */
    int ok;

    memset(&tx, 0, sizeof tx);
    basic_auth_user(&tx, (const uint8_t *)v, sizeof v - 1);
    ok = tx.auth_user.p != NULL && strcmp(tx.auth_user.p, "alice") == 0;
    hstr_free(&tx.auth_user);
    return ok ? 0 : -1;
}

const struct nw_proto_parser nw_proto_http = {
    .name = "http",
    .transports = NW_T_TCP,
    .ports = {80, 8080, 8000, 3128},
    .probe = http_probe,
    .state_size = sizeof(struct http_state),
    .parse = http_parse,
    .gap = http_gap,
    .end = http_end,
    .selftest = http_selftest,
};
