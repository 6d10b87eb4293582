/*
 * jsonscan.c - allocation-free, bounded JSON reader (see nw/jsonscan.h).
 *
 * Everything is built on nw_json_skip(), a recursive-descent pass over one
 * value that validates as it goes. Recursion is capped at NW_JSON_MAX_DEPTH
 * and every loop advances through the input, so work is O(len) and stack
 * use is bounded. Workload: the store's indexer and import validate every
 * record once, so the string and number loops are kept tight.
 */
#include "nw/jsonscan.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "nw/core.h"

static inline int is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static inline int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Bytes that end the fast string loop: '"', '\\' and control characters. */
static const unsigned char str_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1,
};

/* p[0] is '"'. Returns bytes spanned including both quotes, or -1. */
static long skip_string(const char *p, size_t len)
{
    size_t i = 1;

    for (;;) {
#ifdef __SSE2__
        /* 16 bytes at a time while none is '"', '\\' or a control byte */
        const __m128i vq = _mm_set1_epi8('"'), vbs = _mm_set1_epi8('\\'), c1f = _mm_set1_epi8(0x1f);
        while (i + 16 <= len) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, vq), _mm_cmpeq_epi8(v, vbs)),
                                     _mm_cmpeq_epi8(_mm_max_epu8(v, c1f), c1f));
            unsigned mask = (unsigned)_mm_movemask_epi8(m);
            if (mask) {
                i += (unsigned)__builtin_ctz(mask);
                break;
            }
            i += 16;
        }
#endif
        /* 8 bytes at a time while none is '"', '\\' or a control byte (SWAR) */
        while (i + 8 <= len) {
            uint64_t w, q, b, c;
            memcpy(&w, p + i, 8);
            q = w ^ 0x2222222222222222ull; /* zero byte where '"' */
            b = w ^ 0x5c5c5c5c5c5c5c5cull; /* zero byte where '\\' */
            c = ((q - 0x0101010101010101ull) & ~q) | ((b - 0x0101010101010101ull) & ~b) |
                ((w - 0x2020202020202020ull) & ~w); /* < 0x20 */
            if (c & 0x8080808080808080ull) break;
            i += 8;
        }
        while (i < len && !str_stop[(unsigned char)p[i]]) i++;
        if (i >= len) return -1;
        if (p[i] == '"') return (long)(i + 1);
        if (p[i] != '\\') return -1; /* raw control character */
        if (i + 1 >= len) return -1;
        switch (p[i + 1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            i += 2;
            break;
        case 'u':
            if (i + 6 > len) return -1;
            for (int k = 2; k < 6; k++)
                if (hexval((unsigned char)p[i + k]) < 0) return -1;
            i += 6;
            break;
        default:
            return -1;
        }
    }
}

long nw_json_number_len(const char *p, size_t len)
{
    size_t i = 0;

    if (i < len && p[i] == '-') i++;
    if (i >= len) return -1;
    if (p[i] == '0') {
        i++;
    } else if (p[i] >= '1' && p[i] <= '9') {
        while (i < len && p[i] >= '0' && p[i] <= '9') i++;
    } else {
        return -1;
    }
    if (i < len && p[i] == '.') {
        size_t d = ++i;
        while (i < len && p[i] >= '0' && p[i] <= '9') i++;
        if (i == d) return -1;
    }
    if (i < len && (p[i] == 'e' || p[i] == 'E')) {
        size_t d;
        i++;
        if (i < len && (p[i] == '+' || p[i] == '-')) i++;
        d = i;
        while (i < len && p[i] >= '0' && p[i] <= '9') i++;
        if (i == d) return -1;
    }
    return (long)i;
}

static inline size_t skip_ws(const char *p, size_t i, size_t len)
{
    while (i < len && is_ws((unsigned char)p[i])) i++;
    return i;
}

long nw_json_skip(const char *p, size_t len, int depth, struct nw_json_val *out)
{
    size_t i;
    long n;
    int type;

    if (len == 0 || depth > NW_JSON_MAX_DEPTH) return NW_EFORMAT;
    switch (p[0]) {
    case '"':
        n = skip_string(p, len);
        if (n < 0) return NW_EFORMAT;
        if (out) {
            out->type = NW_JSON_STRING;
            out->p = p + 1;
            out->len = (size_t)n - 2;
        }
        return n;
    case '{':
    case '[': {
        int obj = p[0] == '{';
        char close = obj ? '}' : ']';
        type = obj ? NW_JSON_OBJECT : NW_JSON_ARRAY;
        i = skip_ws(p, 1, len);
        if (i < len && p[i] == close) {
            i++;
            break;
        }
        for (;;) {
            if (obj) {
                if (i >= len || p[i] != '"') return NW_EFORMAT;
                n = skip_string(p + i, len - i);
                if (n < 0) return NW_EFORMAT;
                i = skip_ws(p, i + (size_t)n, len);
                if (i >= len || p[i] != ':') return NW_EFORMAT;
                i = skip_ws(p, i + 1, len);
            }
            if (i >= len) return NW_EFORMAT;
            n = nw_json_skip(p + i, len - i, depth + 1, NULL);
            if (n < 0) return NW_EFORMAT;
            i = skip_ws(p, i + (size_t)n, len);
            if (i >= len) return NW_EFORMAT;
            if (p[i] == ',') {
                i = skip_ws(p, i + 1, len);
                continue;
            }
            if (p[i] != close) return NW_EFORMAT;
            i++;
            break;
        }
        break;
    }
    case 't':
        if (len < 4 || memcmp(p, "true", 4) != 0) return NW_EFORMAT;
        i = 4, type = NW_JSON_TRUE;
        break;
    case 'f':
        if (len < 5 || memcmp(p, "false", 5) != 0) return NW_EFORMAT;
        i = 5, type = NW_JSON_FALSE;
        break;
    case 'n':
        if (len < 4 || memcmp(p, "null", 4) != 0) return NW_EFORMAT;
        i = 4, type = NW_JSON_NULL;
        break;
    default:
        n = nw_json_number_len(p, len);
        if (n < 0) return NW_EFORMAT;
        i = (size_t)n, type = NW_JSON_NUMBER;
        break;
    }
    if (out) {
        out->type = type;
        out->p = p;
        out->len = i;
    }
    return (long)i;
}

int nw_json_validate(const char *line, size_t len, size_t *errpos)
{
    size_t i = skip_ws(line, 0, len);
    long n;

    if (errpos) *errpos = i;
    if (i >= len || line[i] != '{') return NW_EFORMAT;
    n = nw_json_skip(line + i, len - i, 0, NULL);
    if (n < 0) {
        /* find roughly where it broke: the first byte a fresh pass rejects is
         * not tracked; report the object's start, which names the line */
        return NW_EFORMAT;
    }
    i = skip_ws(line, i + (size_t)n, len);
    if (i != len) {
        if (errpos) *errpos = i;
        return NW_EFORMAT;
    }
    return 0;
}

int nw_json_root(const char *line, size_t len, struct nw_json_val *out)
{
    size_t i = skip_ws(line, 0, len);

    if (i >= len) return NW_EFORMAT;
    return nw_json_skip(line + i, len - i, 0, out) < 0 ? NW_EFORMAT : 0;
}

int nw_json_iter_init(struct nw_json_iter *it, const struct nw_json_val *c)
{
    memset(it, 0, sizeof *it);
    if (c == NULL || (c->type != NW_JSON_OBJECT && c->type != NW_JSON_ARRAY) || c->len < 2) {
        it->state = 2;
        return NW_EINVAL;
    }
    it->is_obj = c->type == NW_JSON_OBJECT;
    it->p = c->p + 1;
    it->end = c->p + c->len - 1; /* the closing bracket */
    return 0;
}

int nw_json_iter_next(struct nw_json_iter *it, struct nw_json_val *key, struct nw_json_val *val)
{
    const char *p = it->p, *end = it->end;
    size_t len, i;
    long n;
    struct nw_json_val k = {NW_JSON_NONE, NULL, 0};

    if (it->state == 2) return 0;
    if (it->state < 0) return NW_EFORMAT;
    len = (size_t)(end - p);
    i = skip_ws(p, 0, len);
    if (it->state == 1) {
        if (i >= len) goto done;
        if (p[i] != ',') goto bad;
        i = skip_ws(p, i + 1, len);
    } else if (i >= len) {
        goto done;
    }
    if (it->is_obj) {
        if (i >= len || p[i] != '"') goto bad;
        n = nw_json_skip(p + i, len - i, 1, &k);
        if (n < 0) goto bad;
        i = skip_ws(p, i + (size_t)n, len);
        if (i >= len || p[i] != ':') goto bad;
        i = skip_ws(p, i + 1, len);
    }
    if (i >= len) goto bad;
    n = nw_json_skip(p + i, len - i, 1, val);
    if (n < 0) goto bad;
    it->p = p + i + (size_t)n;
    it->state = 1;
    if (key) *key = k;
    return 1;
done:
    it->state = 2;
    return 0;
bad:
    it->state = -1;
    return NW_EFORMAT;
}

int nw_json_str_eq(const struct nw_json_val *v, const char *s, size_t n)
{
    char buf[512];
    int r;

    if (v->type != NW_JSON_STRING) return 0;
    if (memchr(v->p, '\\', v->len) == NULL) return v->len == n && memcmp(v->p, s, n) == 0;
    if (n >= sizeof buf) return 0; /* escaped strings this long are not compared */
    r = nw_json_val_str(v, buf, sizeof buf);
    return r >= 0 && (size_t)r == n && memcmp(buf, s, n) == 0;
}

int nw_json_member(const struct nw_json_val *obj, const char *name, size_t namelen,
                   struct nw_json_val *out)
{
    struct nw_json_iter it;
    struct nw_json_val k, v;
    int rc;

    if (obj->type != NW_JSON_OBJECT) return 0;
    nw_json_iter_init(&it, obj);
    while ((rc = nw_json_iter_next(&it, &k, &v)) == 1) {
        if (nw_json_str_eq(&k, name, namelen)) {
            if (out) *out = v;
            return 1;
        }
    }
    return rc;
}

int nw_json_getn(const char *line, size_t len, const char *path, size_t pathlen,
                 struct nw_json_val *out)
{
    struct nw_json_val cur;
    size_t s = 0;
    int segs = 0;

    if (pathlen > 255) return NW_EINVAL;
    if (nw_json_root(line, len, &cur) != 0) return NW_EFORMAT;
    while (s < pathlen) {
        size_t e = s;
        int rc;
        while (e < pathlen && path[e] != '.') e++;
        if (++segs > 64) return NW_EINVAL;
        if (cur.type == NW_JSON_ARRAY) {
            uint64_t idx = 0;
            size_t k;
            struct nw_json_iter it;
            struct nw_json_val v;
            if (e == s) return 0;
            for (k = s; k < e; k++) {
                if (path[k] < '0' || path[k] > '9' || idx > 100000000u) return 0;
                idx = idx * 10 + (uint64_t)(path[k] - '0');
            }
            nw_json_iter_init(&it, &cur);
            for (;;) {
                rc = nw_json_iter_next(&it, NULL, &v);
                if (rc != 1) return rc;
                if (idx-- == 0) break;
            }
            cur = v;
        } else if (cur.type == NW_JSON_OBJECT) {
            rc = nw_json_member(&cur, path + s, e - s, &cur);
            if (rc != 1) return rc;
        } else {
            return 0;
        }
        s = e + 1;
    }
    if (out) *out = cur;
    return 1;
}

int nw_json_get(const char *line, size_t len, const char *path, struct nw_json_val *out)
{
    size_t n = strnlen(path, 256);

    return nw_json_getn(line, len, path, n, out);
}

/* Append code point cp as UTF-8; returns bytes or 0 if it does not fit. */
static size_t put_utf8(char *o, size_t room, uint32_t cp)
{
    if (cp < 0x80) {
        if (room < 1) return 0;
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        if (room < 2) return 0;
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        if (room < 3) return 0;
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    if (room < 4) return 0;
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static int hex4(const char *p, size_t len, size_t i, uint32_t *cp)
{
    uint32_t v = 0;

    if (i + 4 > len) return -1;
    for (int k = 0; k < 4; k++) {
        int h = hexval((unsigned char)p[i + k]);
        if (h < 0) return -1;
        v = (v << 4) | (uint32_t)h;
    }
    *cp = v;
    return 0;
}

int nw_json_val_str(const struct nw_json_val *v, char *buf, size_t bufsize)
{
    const char *p = v->p;
    size_t len = v->len, i = 0, o = 0;

    if (bufsize == 0 || len > 0x7fffffffu) return NW_ETRUNC;
    if (v->type != NW_JSON_STRING) {
        if (len >= bufsize) return NW_ETRUNC;
        if (len) memcpy(buf, p, len);
        buf[len] = '\0';
        return (int)len;
    }
    while (i < len) {
        unsigned char c = (unsigned char)p[i];
        if (c != '\\') {
            if (o + 1 >= bufsize) return NW_ETRUNC;
            buf[o++] = (char)c;
            i++;
            continue;
        }
        if (i + 1 >= len) return NW_EFORMAT;
        c = (unsigned char)p[i + 1];
        i += 2;
        if (c == 'u') {
            uint32_t cp, lo;
            size_t w;
            if (hex4(p, len, i, &cp) != 0) return NW_EFORMAT;
            i += 4;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (i + 6 <= len && p[i] == '\\' && p[i + 1] == 'u' &&
                    hex4(p, len, i + 2, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    i += 6;
                } else {
                    cp = 0xfffd;
                }
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                cp = 0xfffd;
            }
            w = put_utf8(buf + o, bufsize - 1 - o, cp);
            if (w == 0) return NW_ETRUNC;
            o += w;
            continue;
        }
        if (o + 1 >= bufsize) return NW_ETRUNC;
        switch (c) {
        case '"': buf[o++] = '"'; break;
        case '\\': buf[o++] = '\\'; break;
        case '/': buf[o++] = '/'; break;
        case 'b': buf[o++] = '\b'; break;
        case 'f': buf[o++] = '\f'; break;
        case 'n': buf[o++] = '\n'; break;
        case 'r': buf[o++] = '\r'; break;
        case 't': buf[o++] = '\t'; break;
        default: return NW_EFORMAT;
        }
    }
    buf[o] = '\0';
    return (int)o;
}

static int digits(const char *s, size_t len, size_t at, size_t n, unsigned *out)
{
    unsigned v = 0;

    if (at + n > len) return -1;
    for (size_t i = at; i < at + n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

int nw_json_parse_time(const char *s, size_t len, uint64_t *us)
{
    unsigned Y, M, D, h, m, sec, frac = 0, oh = 0, om = 0;
    size_t i = 19;
    int64_t days, t, off = 0;
    static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (digits(s, len, 0, 4, &Y) || len < 19 || s[4] != '-' || digits(s, len, 5, 2, &M) ||
        s[7] != '-' || digits(s, len, 8, 2, &D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        digits(s, len, 11, 2, &h) || s[13] != ':' || digits(s, len, 14, 2, &m) || s[16] != ':' ||
        digits(s, len, 17, 2, &sec))
        return NW_EFORMAT;
    if (Y < 1970 || M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || m > 59 || sec > 60)
        return NW_EFORMAT;
    if (i < len && s[i] == '.') {
        unsigned scale = 100000;
        size_t d0 = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9' && i - d0 < 9) {
            frac += (unsigned)(s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == d0) return NW_EFORMAT;
    }
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int neg = s[i] == '-';
        if (digits(s, len, i + 1, 2, &oh)) return NW_EFORMAT;
        i += 3;
        if (i < len && s[i] == ':') i++;
        if (digits(s, len, i, 2, &om)) return NW_EFORMAT;
        i += 2;
        if (oh > 23 || om > 59) return NW_EFORMAT;
        off = (int64_t)(oh * 3600 + om * 60) * (neg ? -1 : 1);
    } else {
        return NW_EFORMAT;
    }
    if (i != len) return NW_EFORMAT;
    if (sec == 60) sec = 59; /* leap second: clamp, keeps order */
    days = nw_time_days_from_civil(Y, M, D);
    t = days * 86400 + (int64_t)(h * 3600 + m * 60 + sec) - off;
    if (t < 0) return NW_EFORMAT;
    *us = (uint64_t)t * 1000000u + frac;
    return 0;
}
