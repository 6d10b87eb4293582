/*
 * weak_wire.c - reply parsers for the weak-credential probes: Redis RESP
 * (https://redis.io/docs/reference/protocol-spec/), FTP replies (RFC 959
 * 4.2) and HTTP/1.x response heads (RFC 9112), plus a bounded socket
 * reader.
 *
 * Invariants: every read is preceded by a length check; nested RESP arrays
 * are followed iteratively with an explicit stack of at most
 * NW_RESP_MAX_DEPTH levels and NW_RESP_MAX_ELEMS elements; every loop is
 * bounded by the input length. Parsers never allocate.
 *
 * Limits: RESP3 aggregate types (map '%', set '~', push '>', attribute '|')
 * are accepted as arrays (maps count two elements per entry); streamed
 * RESP3 strings ('$?') are rejected. Only what the probes need is decoded:
 * the top-level type and its scalar text.
 */
#include "weak_wire.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nw/core.h"

/* Find CRLF-terminated line at p; returns its length without CRLF, or -1 need more / -2 bad. */
static long resp_line(const uint8_t *p, size_t len)
{
    size_t lim = len < NW_RESP_MAX_LINE + 2 ? len : NW_RESP_MAX_LINE + 2;

    for (size_t i = 0; i + 1 < lim; i++) {
        if (p[i] == '\r') return p[i + 1] == '\n' ? (long)i : -2;
        if (p[i] == '\n') return -2;
    }
    return len >= NW_RESP_MAX_LINE + 2 ? -2 : -1;
}

/* Parse a decimal (optionally negative) integer of the whole slice. */
static int resp_int(const uint8_t *p, size_t n, int64_t *v)
{
    int neg = 0;
    int64_t x = 0;
    size_t i = 0;

    if (n > 0 && p[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == n || n - i > 18) return -1;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        x = x * 10 + (p[i] - '0');
    }
    *v = neg ? -x : x;
    return 0;
}

/*
 * One element at p: fills *e and *more (children to follow for aggregates).
 * Returns bytes of the element's own header/payload, 0 need more, < 0 bad.
 */
static long resp_elem(const uint8_t *p, size_t len, struct nw_resp *e, int64_t *more)
{
    long ln;
    int64_t v;

    *more = 0;
    if (len < 1) return 0;
    ln = resp_line(p + 1, len - 1);
    if (ln == -1) return 0;
    if (ln < 0) return NW_EFORMAT;
    e->type = (char)p[0];
    e->data = p + 1;
    e->len = (size_t)ln;
    e->count = 0;
    switch (p[0]) {
    case '+': case '-': case ':': case '_': case '#': case ',': case '(':
        return ln + 3;
    case '$': case '!': case '=': {
        size_t need;

        if (resp_int(p + 1, (size_t)ln, &v) < 0 || v < -1) return NW_EFORMAT;
        e->count = v;
        if (v == -1) {
            e->len = 0;
            return ln + 3;
        }
        if ((uint64_t)v > len) return 0; /* cannot be complete yet (cheap overflow guard) */
        need = (size_t)ln + 3 + (size_t)v + 2;
        if (len < need) return 0;
        if (p[need - 2] != '\r' || p[need - 1] != '\n') return NW_EFORMAT;
        e->data = p + ln + 3;
        e->len = (size_t)v;
        return (long)need;
    }
    case '*': case '%': case '~': case '>': case '|':
        if (resp_int(p + 1, (size_t)ln, &v) < 0 || v < -1) return NW_EFORMAT;
        if (v > NW_RESP_MAX_ELEMS) return NW_EFORMAT;
        e->count = v;
        *more = v <= 0 ? 0 : (p[0] == '%' || p[0] == '|') ? 2 * v : v;
        return ln + 3;
    default:
        return NW_EFORMAT;
    }
}

int nw__resp_parse(const uint8_t *p, size_t len, struct nw_resp *out)
{
    int64_t left[NW_RESP_MAX_DEPTH + 1]; /* children still expected per open level */
    int depth = 0;
    size_t pos = 0, elems = 0;
    struct nw_resp e;
    int64_t more;
    long n;

    n = resp_elem(p, len, out, &more);
    if (n <= 0) return (int)n;
    pos = (size_t)n;
    if (more == 0) return (int)pos;
    left[0] = more;
    while (depth >= 0) {
        if (left[depth] == 0) {
            depth--;
            continue;
        }
        if (++elems > NW_RESP_MAX_ELEMS) return NW_EFORMAT;
        n = resp_elem(p + pos, len - pos, &e, &more);
        if (n <= 0) return (int)n;
        pos += (size_t)n;
        left[depth]--;
        if (more > 0) {
            if (depth + 1 > NW_RESP_MAX_DEPTH) return NW_EFORMAT;
            left[++depth] = more;
        }
    }
    return pos > (size_t)0x7fffffff ? NW_EFORMAT : (int)pos;
}

/* ------------------------------------------------------------------- FTP -- */

static int ftp_code(const uint8_t *p, size_t n, int *sep)
{
    if (n < 3) return -1;
    for (int i = 0; i < 3; i++)
        if (p[i] < '0' || p[i] > '9') return -1;
    if (p[0] < '1' || p[0] > '5') return -1;
    *sep = n > 3 ? p[3] : ' ';
    return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

int nw__ftp_reply(const uint8_t *p, size_t len, int *code)
{
    size_t pos = 0;
    int first = -1, sep, lines = 0;

    /* bounded: every turn consumes one line of the input */
    for (;;) {
        const uint8_t *l = p + pos, *nl = pos < len ? memchr(l, '\n', len - pos) : NULL;
        size_t ln;
        int c;

        if (nl == NULL) return len - pos > 4096 ? NW_EFORMAT : 0;
        ln = (size_t)(nl - l);
        pos += ln + 1;
        if (ln > 0 && l[ln - 1] == '\r') ln--;
        if (++lines > 256 || ln > 4096) return NW_EFORMAT;
        c = ftp_code(l, ln, &sep);
        if (first < 0) {
            if (c < 0 || (sep != ' ' && sep != '-')) return NW_EFORMAT;
            first = c;
            if (sep == ' ') break;
        } else if (c == first && sep == ' ') {
            break; /* the last line of a multi-line reply */
        }
    }
    *code = first;
    return pos > (size_t)0x7fffffff ? NW_EFORMAT : (int)pos;
}

/* ------------------------------------------------------------------ HTTP -- */

static int ci_prefix(const uint8_t *p, size_t n, const char *w)
{
    size_t wl = strlen(w);

    if (n < wl) return 0;
    for (size_t i = 0; i < wl; i++) {
        uint8_t c = p[i];

        if (c >= 'A' && c <= 'Z') c = (uint8_t)(c + 32);
        if (c != (uint8_t)w[i]) return 0;
    }
    return 1;
}

int nw__http_head(const uint8_t *p, size_t len, int *status, int *basic)
{
    size_t pos = 0, lim = len < 16384 ? len : 16384;
    int line = 0;

    *basic = 0;
    *status = 0;
    while (pos < lim) {
        const uint8_t *l = p + pos, *nl = memchr(l, '\n', lim - pos);
        size_t n, ln;

        if (nl == NULL) return len >= 16384 ? NW_EFORMAT : 0;
        n = (size_t)(nl - l) + 1;
        ln = n - 1;
        if (ln > 0 && l[ln - 1] == '\r') ln--;
        pos += n;
        if (line++ == 0) {
            /* HTTP/1.x SP ddd */
            if (ln < 12 || !ci_prefix(l, ln, "http/1.") || l[8] != ' ') return NW_EFORMAT;
            for (int i = 9; i < 12; i++)
                if (l[i] < '0' || l[i] > '9') return NW_EFORMAT;
            *status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
            continue;
        }
        if (ln == 0) return (int)pos; /* end of head */
        if (ci_prefix(l, ln, "www-authenticate:")) {
            size_t i = 17;

            /* the header may list several challenges: look for a "basic" token */
            for (; i + 5 <= ln; i++) {
                if (ci_prefix(l + i, ln - i, "basic") &&
                    (i == 17 || l[i - 1] == ' ' || l[i - 1] == ',' || l[i - 1] == '\t') &&
                    (i + 5 == ln || l[i + 5] == ' ' || l[i + 5] == ','))
                    *basic = 1;
            }
        }
    }
    return len >= 16384 ? NW_EFORMAT : 0;
}

/* ------------------------------------------------------------- sockets -- */

int nw__wire_read(int fd, uint8_t *buf, size_t cap, size_t *have, const struct nw_wire_parser *wp,
                  char *why, size_t whysz)
{
    /* bounded: each read either fills buf further or ends the loop */
    for (;;) {
        ssize_t r;

        if (*have > 0) {
            int rc = wp->parse(wp->arg, buf, *have);

            if (rc != 0) return rc;
        }
        if (*have >= cap) return NW_ELIMIT;
        r = read(fd, buf + *have, cap - *have);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            snprintf(why, whysz, "%s", errno == EAGAIN || errno == EWOULDBLOCK
                                           ? "no reply before the read timeout"
                                           : strerror(errno));
            return -1;
        }
        if (r == 0) return 0;
        *have += (size_t)r;
    }
}

void nw__wire_consume(uint8_t *buf, size_t *have, size_t n)
{
    if (n >= *have) {
        *have = 0;
        return;
    }
    memmove(buf, buf + n, *have - n);
    *have -= n;
}

int nw__wire_write(int fd, const void *p, size_t len, char *why, size_t whysz)
{
    const uint8_t *b = p;

    while (len > 0) {
        ssize_t w = send(fd, b, len, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            snprintf(why, whysz, "send failed: %s",
                     w == 0 ? "connection closed" : errno == EAGAIN ? "write timed out"
                                                                    : strerror(errno));
            return -1;
        }
        b += w;
        len -= (size_t)w;
    }
    return 0;
}
