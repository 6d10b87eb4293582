/*
 * ch_resp.c - parsing what a ClickHouse server sends back: error bodies
 * (condensed to one line for the user) and RowBinary result rows.
 *
 * Both read untrusted network bytes: every read is bounds-checked, varints
 * are capped at 10 bytes, and a row must fit in the caller's buffer.
 * Fuzzed by fuzz/fuzz_chresp.c. No allocation.
 */
#include "nw/clickhouse.h"

#include <string.h>

static const char *find(const char *p, size_t n, const char *needle)
{
    size_t m = strlen(needle);

    if (m == 0 || n < m) return NULL;
    for (size_t i = 0; i + m <= n; i++)
        if (p[i] == needle[0] && memcmp(p + i, needle, m) == 0) return p + i;
    return NULL;
}

size_t nw_ch_error_line(const char *body, size_t len, char *out, size_t outsz)
{
    const char *msg = body, *end = body + len, *c, *x;
    size_t o = 0;
    int have_code = 0;
    unsigned long code = 0;

    if (outsz < 2) {
        if (outsz) out[0] = '\0';
        return 0;
    }
    c = find(body, len, "Code: ");
    if (c != NULL) {
        const char *d = c + 6;
        while (d < end && *d >= '0' && *d <= '9' && code < 100000000ul) {
            code = code * 10 + (unsigned long)(*d - '0');
            d++;
            have_code = 1;
        }
        msg = d;
        x = find(d, (size_t)(end - d), "DB::Exception: ");
        if (x != NULL) msg = x + 15;
        else {
            while (msg < end && (*msg == ',' || *msg == '.' || *msg == ' ')) msg++;
        }
    }
    /* the message ends at the first of these markers or line end */
    {
        static const char *const stops[] = {", e.what() = ", " (version ", "\n", "\r", "Stack trace"};
        for (size_t i = 0; i < NW_ARRAY_LEN(stops); i++) {
            const char *s = find(msg, (size_t)(end - msg), stops[i]);
            if (s != NULL && s < end) end = s;
        }
    }
    if (have_code) {
        char tmp[32];
        int k = 0;
        char digits[16];
        unsigned long v = code;
        do {
            digits[k++] = (char)('0' + v % 10);
            v /= 10;
        } while (v && k < (int)sizeof digits);
        memcpy(tmp, "code ", 5);
        int t = 5;
        while (k > 0) tmp[t++] = digits[--k];
        tmp[t++] = ':';
        tmp[t++] = ' ';
        for (int i = 0; i < t && o + 1 < outsz; i++) out[o++] = tmp[i];
    }
    while (msg < end && (*msg == ' ' || *msg == '\t')) msg++;
    while (end > msg && (end[-1] == ' ' || end[-1] == '.' || end[-1] == ',')) end--;
    if (msg == end && o + 1 < outsz) {
        const char *e = "(empty response)";
        for (; *e && o + 1 < outsz; e++) out[o++] = *e;
    }
    int cut = 0;
    for (const char *p = msg; p < end; p++) {
        unsigned char ch = (unsigned char)*p;
        if (o + 1 >= outsz) {
            cut = 1;
            break;
        }
        out[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    if (cut && outsz > 4) { /* cut: mark it */
        o = outsz - 4;
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return o;
}

/* Read a LEB128 varint at p[*i..n). Returns 1 ok, 0 need more, -1 malformed. */
static int varint(const unsigned char *p, size_t n, size_t *i, uint64_t *v)
{
    uint64_t r = 0;

    for (int k = 0; k < 10; k++) {
        if (*i + (size_t)k >= n) return 0;
        unsigned char b = p[*i + (size_t)k];
        if (k == 9 && b > 1) return -1;
        r |= (uint64_t)(b & 0x7f) << (7 * k);
        if ((b & 0x80) == 0) {
            *i += (size_t)k + 1;
            *v = r;
            return 1;
        }
    }
    return -1;
}

/* Parse one row from p[0..n). Returns bytes used, 0 need more, <0 error/stop. */
static long parse_row(struct nw_ch_rowbin *r, const unsigned char *p, size_t n, int *stop)
{
    size_t i = 0;
    uint64_t slen, llen, seq = 0, idx = 0;
    size_t s_off, l_off;
    int v;

    if ((v = varint(p, n, &i, &slen)) <= 0) return v == 0 ? 0 : NW_EFORMAT;
    if (slen > n - i) return slen > r->cap ? NW_EFORMAT : 0;
    s_off = i;
    i += (size_t)slen;
    if (n - i < 12) return 0;
    for (int k = 7; k >= 0; k--) seq = (seq << 8) | p[i + (size_t)k];
    for (int k = 3; k >= 0; k--) idx = (idx << 8) | p[i + 8 + (size_t)k];
    i += 12;
    if ((v = varint(p, n, &i, &llen)) <= 0) return v == 0 ? 0 : NW_EFORMAT;
    if (llen > n - i) return llen > r->cap ? NW_EFORMAT : 0;
    l_off = i;
    i += (size_t)llen;
    *stop = r->on_row(r->arg, (const char *)p + s_off, (size_t)slen, seq, (uint32_t)idx,
                      (const char *)p + l_off, (size_t)llen);
    return (long)i;
}

int nw_ch_rowbin_feed(struct nw_ch_rowbin *r, const char *data, size_t n)
{
    const unsigned char *p = (const unsigned char *)data;

    /* bounded: each pass consumes input or fails */
    while (n > 0) {
        size_t take = NW_MIN(n, r->cap - r->len);
        size_t off = 0;

        if (take == 0) return NW_EFORMAT; /* one row larger than the buffer */
        memcpy(r->buf + r->len, p, take);
        r->len += take;
        p += take;
        n -= take;
        for (;;) {
            int stop = 0;
            long used = parse_row(r, (const unsigned char *)r->buf + off, r->len - off, &stop);
            if (used < 0) return NW_EFORMAT;
            if (used == 0) break;
            off += (size_t)used;
            if (stop) {
                memmove(r->buf, r->buf + off, r->len - off);
                r->len -= off;
                return stop;
            }
        }
        if (off > 0) {
            memmove(r->buf, r->buf + off, r->len - off);
            r->len -= off;
        }
    }
    return 0;
}
