/*
 * json.c - growable buffer and streaming JSON writer (see nw/json.h).
 * Hot path: every record passes through here, so strings are scanned for
 * the common all-printable-ASCII case and copied in one go.
 */
#include "nw/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nw/core.h"

void nw_buf_init(struct nw_buf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

void nw_buf_fini(struct nw_buf *b)
{
    nw_free(b->data);
    memset(b, 0, sizeof *b);
}

int nw_buf_reserve(struct nw_buf *b, size_t extra)
{
    size_t need, ncap;
    char *d;

    if (b->oom) return NW_ENOMEM;
    if (extra <= b->cap - b->len) return 0;
    if (extra > SIZE_MAX / 2 - b->len) goto fail;
    need = b->len + extra;
    if (b->max != 0 && need > b->max) goto fail;
    ncap = b->cap ? b->cap : 256;
    while (ncap < need) ncap *= 2;
    if (b->max != 0 && ncap > b->max) ncap = b->max;
    d = nw_realloc(b->data, ncap);
    if (d == NULL) goto fail;
    b->data = d;
    b->cap = ncap;
    return 0;
fail:
    b->oom = 1;
    return NW_ENOMEM;
}

void nw__buf_append_slow(struct nw_buf *b, const void *p, size_t n)
{
    if (nw_buf_reserve(b, n) != 0) return;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
}

void nw_buf_puts(struct nw_buf *b, const char *s) { nw_buf_append(b, s, strlen(s)); }

void nw_buf_printf(struct nw_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->oom) return;
    if (b->cap - b->len > 1) { /* usually fits: format in place once */
        va_start(ap, fmt);
        n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
    }
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || nw_buf_reserve(b, (size_t)n + 1) != 0) return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void nw_buf_put_uint(struct nw_buf *b, uint64_t v)
{
    char tmp[24];
    size_t n = sizeof tmp;

    do {
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    nw_buf_append(b, tmp + n, sizeof tmp - n);
}

void nw_buf_put_hex(struct nw_buf *b, uint64_t v, int digits)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[16];

    if (digits < 1 || digits > 16) return;
    for (int i = digits - 1; i >= 0; i--, v >>= 4) tmp[i] = hex[v & 15];
    nw_buf_append(b, tmp, (size_t)digits);
}

/* Comma needed before a new member/element unless we just opened a
 * container or wrote a key. */
static void sep(struct nw_buf *b)
{
    char c;

    if (b->len == 0) return;
    c = b->data[b->len - 1];
    if (c != '{' && c != '[' && c != ':' && c != '\n') nw_buf_putc(b, ',');
}

void nw_json_obj_open(struct nw_buf *b) { sep(b); nw_buf_putc(b, '{'); }
void nw_json_obj_close(struct nw_buf *b) { nw_buf_putc(b, '}'); }
void nw_json_arr_open(struct nw_buf *b) { sep(b); nw_buf_putc(b, '['); }
void nw_json_arr_close(struct nw_buf *b) { nw_buf_putc(b, ']'); }

void nw__json_keyn(struct nw_buf *b, const char *key, size_t n)
{
    sep(b);
    if (nw_buf_reserve(b, n + 3) != 0) return;
    b->data[b->len++] = '"';
    memcpy(b->data + b->len, key, n);
    b->len += n;
    b->data[b->len++] = '"';
    b->data[b->len++] = ':';
}

void nw_json_kobj_open(struct nw_buf *b, const char *key)
{
    nw_json_key(b, key);
    nw_buf_putc(b, '{');
}

void nw_json_karr_open(struct nw_buf *b, const char *key)
{
    nw_json_key(b, key);
    nw_buf_putc(b, '[');
}

/* Length of a valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];

    if (c < 0xc2 || c > 0xf4) return 0;
    if (c < 0xe0) return (n >= 2 && (p[1] & 0xc0) == 0x80) ? 2 : 0;
    if (c < 0xf0) {
        if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80) return 0;
        if (c == 0xe0 && p[1] < 0xa0) return 0;  /* overlong */
        if (c == 0xed && p[1] >= 0xa0) return 0; /* surrogates */
        return 3;
    }
    if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
        return 0;
    if (c == 0xf0 && p[1] < 0x90) return 0;
    if (c == 0xf4 && p[1] >= 0x90) return 0;
    return 4;
}

/* 1 for bytes that pass through a JSON string unescaped (printable ASCII
 * except '"' and '\\'). */
static const uint8_t plain[256] = {
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
    R16(0), R16(0),                               /* 0x00-0x1f control */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20-0x2f: '"' */
    R16(1), R16(1),                               /* 0x30-0x4f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50-0x5f: '\\' */
    R16(1),                                       /* 0x60-0x6f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, /* 0x70-0x7f: DEL */
    R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0) /* 0x80-0xff */
#undef R16
};

static void str_body(struct nw_buf *b, const uint8_t *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;

    while (i < len) {
        size_t run = i;
        while (run < len && plain[s[run]]) run++;
        if (run > i) {
            nw_buf_append(b, s + i, run - i);
            i = run;
            continue;
        }
        uint8_t c = s[i];
        if (c >= 0x80) {
            size_t n = utf8_seq(s + i, len - i);
            if (n) {
                nw_buf_append(b, s + i, n);
                i += n;
                continue;
            }
        }
        char esc[6];
        switch (c) {
        case '"': nw_buf_append(b, "\\\"", 2); break;
        case '\\': nw_buf_append(b, "\\\\", 2); break;
        case '\n': nw_buf_append(b, "\\n", 2); break;
        case '\r': nw_buf_append(b, "\\r", 2); break;
        case '\t': nw_buf_append(b, "\\t", 2); break;
        default:
            esc[0] = '\\', esc[1] = 'u', esc[2] = '0', esc[3] = '0';
            esc[4] = hex[c >> 4], esc[5] = hex[c & 15];
            nw_buf_append(b, esc, 6);
        }
        i++;
    }
}

void nw_json_str(struct nw_buf *b, const void *s, size_t len)
{
    sep(b);
    nw_buf_putc(b, '"');
    str_body(b, s, len);
    nw_buf_putc(b, '"');
}

void nw_json_cstr(struct nw_buf *b, const char *s) { nw_json_str(b, s, strlen(s)); }

/* Digits of v (with a leading '-' if neg) appended in one piece. */
static void put_num(struct nw_buf *b, uint64_t v, int neg)
{
    char tmp[24];
    size_t n = sizeof tmp;

    sep(b);
    do {
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (neg) tmp[--n] = '-';
    nw_buf_append(b, tmp + n, sizeof tmp - n);
}

void nw_json_uint(struct nw_buf *b, uint64_t v) { put_num(b, v, 0); }

void nw_json_int(struct nw_buf *b, int64_t v)
{
    /* -(v + 1) + 1 avoids overflow on INT64_MIN */
    if (v < 0) put_num(b, (uint64_t)(-(v + 1)) + 1, 1);
    else put_num(b, (uint64_t)v, 0);
}

void nw_json_bool(struct nw_buf *b, int v)
{
    sep(b);
    if (v) nw_buf_append(b, "true", 4);
    else nw_buf_append(b, "false", 5);
}

void nw_json_null(struct nw_buf *b)
{
    sep(b);
    nw_buf_append(b, "null", 4);
}

void nw_json_raw(struct nw_buf *b, const char *s, size_t len)
{
    sep(b);
    nw_buf_append(b, s, len);
}

void nw_json_hex(struct nw_buf *b, const uint8_t *p, size_t len)
{
    static const char hex[] = "0123456789abcdef";

    sep(b);
    if (nw_buf_reserve(b, len * 2 + 2) != 0) return;
    b->data[b->len++] = '"';
    for (size_t i = 0; i < len; i++) {
        b->data[b->len++] = hex[p[i] >> 4];
        b->data[b->len++] = hex[p[i] & 15];
    }
    b->data[b->len++] = '"';
}

size_t nw_fmt_mac(char *out, const uint8_t mac[6])
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;

    for (int i = 0; i < 6; i++) {
        if (i) out[n++] = ':';
        out[n++] = hex[mac[i] >> 4];
        out[n++] = hex[mac[i] & 15];
    }
    out[n] = '\0';
    return n;
}

size_t nw_fmt_ip(char *out, int family, const uint8_t *a)
{
    if (family == 4) { /* every record has two: no printf */
        size_t n = 0;
        for (int i = 0; i < 4; i++) {
            unsigned v = a[i];
            if (i) out[n++] = '.';
            if (v >= 100) out[n++] = (char)('0' + v / 100);
            if (v >= 10) out[n++] = (char)('0' + v / 10 % 10);
            out[n++] = (char)('0' + v % 10);
        }
        out[n] = '\0';
        return n;
    }
    /* RFC 5952: lower case, longest run of >= 2 zero groups compressed. */
    uint16_t g[8];
    int best = -1, bestlen = 0;
    for (int i = 0; i < 8; i++) g[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && g[j] == 0) j++;
        if (j - i > bestlen && j - i >= 2) best = i, bestlen = j - i;
        i = j > i ? j : i + 1;
    }
    size_t n = 0;
    /* IPv4-mapped ::ffff:a.b.c.d */
    if (best == 0 && bestlen == 5 && g[5] == 0xffff) {
        int k = snprintf(out, 46, "::ffff:%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
        return (size_t)k;
    }
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            out[n++] = ':';
            if (i == 0) out[n++] = ':';
            i += bestlen - 1;
            continue;
        }
        n += (size_t)snprintf(out + n, 46 - n, "%x", g[i]);
        if (i < 7) out[n++] = ':';
    }
    out[n] = '\0';
    return n;
}

void nw_json_mac(struct nw_buf *b, const uint8_t mac[6])
{
    char tmp[18];
    size_t n = nw_fmt_mac(tmp, mac);

    sep(b);
    nw_buf_putc(b, '"');
    nw_buf_append(b, tmp, n);
    nw_buf_putc(b, '"');
}

void nw_json_ip(struct nw_buf *b, int family, const uint8_t *addr)
{
    char tmp[48];
    size_t n = nw_fmt_ip(tmp, family, addr);

    sep(b);
    nw_buf_putc(b, '"');
    nw_buf_append(b, tmp, n);
    nw_buf_putc(b, '"');
}

void nw_json_time(struct nw_buf *b, uint64_t ts_us)
{
    char tmp[NW_TIME_BUFSZ];
    size_t n = nw_time_rfc3339(ts_us, tmp);

    sep(b);
    nw_buf_putc(b, '"');
    nw_buf_append(b, tmp, n);
    nw_buf_putc(b, '"');
}

void nw_json_kstr(struct nw_buf *b, const char *key, const void *s, size_t len)
{
    nw_json_key(b, key);
    nw_json_str(b, s, len);
}
void nw_json_kcstr(struct nw_buf *b, const char *key, const char *s)
{
    nw_json_key(b, key);
    nw_json_cstr(b, s);
}
void nw_json_kint(struct nw_buf *b, const char *key, int64_t v)
{
    nw_json_key(b, key);
    nw_json_int(b, v);
}
void nw_json_kuint(struct nw_buf *b, const char *key, uint64_t v)
{
    nw_json_key(b, key);
    nw_json_uint(b, v);
}
void nw_json_kbool(struct nw_buf *b, const char *key, int v)
{
    nw_json_key(b, key);
    nw_json_bool(b, v);
}
void nw_json_kmac(struct nw_buf *b, const char *key, const uint8_t mac[6])
{
    nw_json_key(b, key);
    nw_json_mac(b, mac);
}
void nw_json_kip(struct nw_buf *b, const char *key, int family, const uint8_t *addr)
{
    nw_json_key(b, key);
    nw_json_ip(b, family, addr);
}
void nw_json_ktime(struct nw_buf *b, const char *key, uint64_t ts_us)
{
    nw_json_key(b, key);
    nw_json_time(b, ts_us);
}
void nw_json_khex(struct nw_buf *b, const char *key, const uint8_t *p, size_t len)
{
    nw_json_key(b, key);
    nw_json_hex(b, p, len);
}
