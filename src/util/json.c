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

void nw_buf_init_with(struct nw_buf *b, char *storage, size_t size, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
    b->data = storage;
    b->cap = max != 0 && size > max ? max : size;
    b->borrowed = 1;
}

void nw_buf_fini(struct nw_buf *b)
{
    if (!b->borrowed) nw_free(b->data);
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
    if (b->borrowed) { /* leave the caller's storage for the heap */
        d = nw_alloc(ncap);
        if (d == NULL) goto nomem;
        if (b->len) memcpy(d, b->data, b->len);
        b->borrowed = 0;
    } else {
        d = nw_realloc(b->data, ncap);
        if (d == NULL) goto nomem;
    }
    b->data = d;
    b->cap = ncap;
    return 0;
fail:
    b->oom = NW_BUF_OVER_MAX;
    return NW_ENOMEM;
nomem:
    b->oom = NW_BUF_NOMEM;
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

/*
 * Hot-path helpers. A record is ~40 small writes (key, value, separators),
 * so each JSON writer below reserves the exact size of everything it
 * writes once and then stores bytes without further checks. Exact, never
 * an upper bound: a buffer with a max sets oom only when the bytes really
 * written would exceed it, as if they had been appended one by one.
 */

/* Room for n more bytes at the returned pointer, or NULL (oom set). The
 * caller writes there and then calls commit(). */
static inline char *room(struct nw_buf *b, size_t n)
{
    if (n <= b->cap - b->len && !b->oom) return b->data + b->len;
    if (nw_buf_reserve(b, n) != 0) return NULL;
    return b->data + b->len;
}

static inline void commit(struct nw_buf *b, const char *end) { b->len = (size_t)(end - b->data); }

const uint8_t nw_json_no_comma[256] = {['{'] = 1, ['['] = 1, [':'] = 1, ['\n'] = 1};

/* 1 if a comma goes before the next member/element (json.h: the rule, which the
 * one-reservation writers outside this file use too). */
static inline size_t need_comma(const struct nw_buf *b) { return (size_t)nw_json_comma_needed(b); }

/* "00".."99": numbers are written two digits per division. */
static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

static inline size_t count_digits(uint64_t v)
{
    size_t n = 1;

    for (;;) { /* at most 5 rounds for 20 digits */
        if (v < 10) return n;
        if (v < 100) return n + 1;
        if (v < 1000) return n + 2;
        if (v < 10000) return n + 3;
        v /= 10000;
        n += 4;
    }
}

/* Writes the decimal digits of v so that they end just before end. */
static inline void put_digits(char *end, uint64_t v)
{
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        end -= 2;
        memcpy(end, digit_pairs + 2 * r, 2);
    }
    if (v >= 10) memcpy(end - 2, digit_pairs + 2 * v, 2);
    else end[-1] = (char)('0' + v);
}

size_t nw_fmt_uint(char *out, uint64_t v)
{
    size_t n = count_digits(v);

    put_digits(out + n, v);
    return n;
}

void nw_buf_put_uint(struct nw_buf *b, uint64_t v)
{
    size_t n = count_digits(v);
    char *p = room(b, n);

    if (p == NULL) return;
    put_digits(p + n, v);
    commit(b, p + n);
}

void nw_buf_put_hex(struct nw_buf *b, uint64_t v, int digits)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[16];

    if (digits < 1 || digits > 16) return;
    for (int i = digits - 1; i >= 0; i--, v >>= 4) tmp[i] = hex[v & 15];
    nw_buf_append(b, tmp, (size_t)digits);
}

/* Copies n bytes for the short keys and values of a record. A libc memcpy
 * call per key and per value was ~1 M calls per 50k packets; two
 * overlapping fixed-size moves cost less than the call (always_inline: GCC
 * otherwise keeps one out-of-line copy, a call again). Reads and writes
 * stay inside [s, s + n) and [d, d + n). */
__attribute__((always_inline)) static inline void copy_short(char *d, const void *src,
                                                            size_t n)
{
    const char *s = src;

    if (n >= 8) {
        if (n > 32) {
            memcpy(d, s, n);
        } else if (n > 16) {
            char a[16], z[16];
            memcpy(a, s, 16);
            memcpy(z, s + n - 16, 16);
            memcpy(d, a, 16);
            memcpy(d + n - 16, z, 16);
        } else {
            uint64_t a, z;
            memcpy(&a, s, 8);
            memcpy(&z, s + n - 8, 8);
            memcpy(d, &a, 8);
            memcpy(d + n - 8, &z, 8);
        }
    } else if (n >= 4) {
        uint32_t a, z;
        memcpy(&a, s, 4);
        memcpy(&z, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &z, 4);
    } else if (n) { /* 1..3: first, middle, last */
        char a = s[0], m = s[n / 2], z = s[n - 1];
        d[0] = a;
        d[n / 2] = m;
        d[n - 1] = z;
    }
}

/* Comma needed before a new member/element unless we just opened a
 * container or wrote a key. */
static inline void sep(struct nw_buf *b)
{
    if (need_comma(b)) nw_buf_putc(b, ',');
}

void nw_json_obj_open(struct nw_buf *b) { sep(b); nw_buf_putc(b, '{'); }
void nw_json_obj_close(struct nw_buf *b) { nw_buf_putc(b, '}'); }
void nw_json_arr_open(struct nw_buf *b) { sep(b); nw_buf_putc(b, '['); }
void nw_json_arr_close(struct nw_buf *b) { nw_buf_putc(b, ']'); }

/* Writes [,]"key": at p (room for comma + n + 3 reserved); returns the end. */
/* always_inline: it is a few stores around copy_short, and a call would cost more */
__attribute__((always_inline)) static inline char *put_key(char *p, size_t comma, const char *key,
                                                          size_t n)
{
    if (comma) *p++ = ',';
    *p++ = '"';
    copy_short(p, key, n);
    p += n;
    *p++ = '"';
    *p++ = ':';
    return p;
}

void nw__json_keyn(struct nw_buf *b, const char *key, size_t n)
{
    size_t comma = need_comma(b);
    char *p = room(b, comma + n + 3);

    if (p == NULL) return;
    commit(b, put_key(p, comma, key, n));
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

/* Length of the leading run of plain bytes of s. Eight bytes at a time:
 * a word is all plain iff it has no byte < 0x20, none >= 0x7f, no '"' and
 * no '\\' (the classic "has a byte less than / equal to" bit tests; they
 * are exact about whether such a byte exists). */
static inline size_t plain_run(const uint8_t *s, size_t len)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    size_t i = 0;

    for (; len - i >= 8; i += 8) {
        uint64_t x, q, bs, del;
        memcpy(&x, s + i, 8);
        q = x ^ (ones * '"');
        bs = x ^ (ones * '\\');
        del = x ^ (ones * 0x7f);
        if ((((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((bs - ones) & ~bs) |
             ((del - ones) & ~del) | x) & highs)
            break;
    }
    while (i < len && plain[s[i]]) i++;
    return i;
}

int nw_json_plain(const void *s, size_t len) { return plain_run(s, len) == len; }

static void str_body(struct nw_buf *b, const uint8_t *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;

    while (i < len) {
        size_t run = i + plain_run(s + i, len - i);
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

/* [,]["key":]"s" with s escaped. The usual string (all plain: host names,
 * tokens) is sized exactly and written in one piece; anything else goes
 * through str_body. klen == 0 with key == NULL writes no key. */
static void put_str(struct nw_buf *b, const char *key, size_t klen, const uint8_t *s, size_t len)
{
    size_t comma = need_comma(b), kn = key ? klen + 3 : 0;
    char *p;

    if (plain_run(s, len) == len) {
        p = room(b, comma + kn + len + 2);
        if (p == NULL) return;
        if (key) p = put_key(p, comma, key, klen);
        else if (comma) *p++ = ',';
        *p++ = '"';
        copy_short(p, s, len);
        p += len;
        *p++ = '"';
        commit(b, p);
        return;
    }
    p = room(b, comma + kn + 1);
    if (p == NULL) return;
    if (key) p = put_key(p, comma, key, klen);
    else if (comma) *p++ = ',';
    *p++ = '"';
    commit(b, p);
    str_body(b, s, len);
    nw_buf_putc(b, '"');
}

void nw_json_str(struct nw_buf *b, const void *s, size_t len) { put_str(b, NULL, 0, s, len); }

void nw_json_cstr(struct nw_buf *b, const char *s) { put_str(b, NULL, 0, (const uint8_t *)s, strlen(s)); }

/* [,]["key":][-]digits */
static void put_num(struct nw_buf *b, const char *key, size_t klen, uint64_t v, int neg)
{
    size_t comma = need_comma(b), nd = count_digits(v);
    size_t kn = key ? klen + 3 : 0;
    char *p = room(b, comma + kn + (neg != 0) + nd);

    if (p == NULL) return;
    if (key) p = put_key(p, comma, key, klen);
    else if (comma) *p++ = ',';
    if (neg) *p++ = '-';
    put_digits(p + nd, v);
    commit(b, p + nd);
}

void nw_json_uint(struct nw_buf *b, uint64_t v) { put_num(b, NULL, 0, v, 0); }

void nw_json_int(struct nw_buf *b, int64_t v)
{
    /* -(v + 1) + 1 avoids overflow on INT64_MIN */
    if (v < 0) put_num(b, NULL, 0, (uint64_t)(-(v + 1)) + 1, 1);
    else put_num(b, NULL, 0, (uint64_t)v, 0);
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

/* "0".."255" padded to 3 bytes, the length in the 4th: an IPv4 octet is one
 * 4-byte copy and one add (the padding and length bytes are overwritten by
 * the next '.' or octet, or lie past the final NUL) */
static const char octet_txt[256][4] = {
    "0\0\0\1", "1\0\0\1", "2\0\0\1", "3\0\0\1", "4\0\0\1", "5\0\0\1", "6\0\0\1", "7\0\0\1",
    "8\0\0\1", "9\0\0\1", "10\0\2", "11\0\2", "12\0\2", "13\0\2", "14\0\2", "15\0\2",
    "16\0\2", "17\0\2", "18\0\2", "19\0\2", "20\0\2", "21\0\2", "22\0\2", "23\0\2",
    "24\0\2", "25\0\2", "26\0\2", "27\0\2", "28\0\2", "29\0\2", "30\0\2", "31\0\2",
    "32\0\2", "33\0\2", "34\0\2", "35\0\2", "36\0\2", "37\0\2", "38\0\2", "39\0\2",
    "40\0\2", "41\0\2", "42\0\2", "43\0\2", "44\0\2", "45\0\2", "46\0\2", "47\0\2",
    "48\0\2", "49\0\2", "50\0\2", "51\0\2", "52\0\2", "53\0\2", "54\0\2", "55\0\2",
    "56\0\2", "57\0\2", "58\0\2", "59\0\2", "60\0\2", "61\0\2", "62\0\2", "63\0\2",
    "64\0\2", "65\0\2", "66\0\2", "67\0\2", "68\0\2", "69\0\2", "70\0\2", "71\0\2",
    "72\0\2", "73\0\2", "74\0\2", "75\0\2", "76\0\2", "77\0\2", "78\0\2", "79\0\2",
    "80\0\2", "81\0\2", "82\0\2", "83\0\2", "84\0\2", "85\0\2", "86\0\2", "87\0\2",
    "88\0\2", "89\0\2", "90\0\2", "91\0\2", "92\0\2", "93\0\2", "94\0\2", "95\0\2",
    "96\0\2", "97\0\2", "98\0\2", "99\0\2", "100\3", "101\3", "102\3", "103\3",
    "104\3", "105\3", "106\3", "107\3", "108\3", "109\3", "110\3", "111\3",
    "112\3", "113\3", "114\3", "115\3", "116\3", "117\3", "118\3", "119\3",
    "120\3", "121\3", "122\3", "123\3", "124\3", "125\3", "126\3", "127\3",
    "128\3", "129\3", "130\3", "131\3", "132\3", "133\3", "134\3", "135\3",
    "136\3", "137\3", "138\3", "139\3", "140\3", "141\3", "142\3", "143\3",
    "144\3", "145\3", "146\3", "147\3", "148\3", "149\3", "150\3", "151\3",
    "152\3", "153\3", "154\3", "155\3", "156\3", "157\3", "158\3", "159\3",
    "160\3", "161\3", "162\3", "163\3", "164\3", "165\3", "166\3", "167\3",
    "168\3", "169\3", "170\3", "171\3", "172\3", "173\3", "174\3", "175\3",
    "176\3", "177\3", "178\3", "179\3", "180\3", "181\3", "182\3", "183\3",
    "184\3", "185\3", "186\3", "187\3", "188\3", "189\3", "190\3", "191\3",
    "192\3", "193\3", "194\3", "195\3", "196\3", "197\3", "198\3", "199\3",
    "200\3", "201\3", "202\3", "203\3", "204\3", "205\3", "206\3", "207\3",
    "208\3", "209\3", "210\3", "211\3", "212\3", "213\3", "214\3", "215\3",
    "216\3", "217\3", "218\3", "219\3", "220\3", "221\3", "222\3", "223\3",
    "224\3", "225\3", "226\3", "227\3", "228\3", "229\3", "230\3", "231\3",
    "232\3", "233\3", "234\3", "235\3", "236\3", "237\3", "238\3", "239\3",
    "240\3", "241\3", "242\3", "243\3", "244\3", "245\3", "246\3", "247\3",
    "248\3", "249\3", "250\3", "251\3", "252\3", "253\3", "254\3", "255\3",
};

size_t nw_fmt_ip(char *out, int family, const uint8_t *a)
{
    if (family == 4) { /* every record has two: no printf, no division */
        size_t n;
        memcpy(out, octet_txt[a[0]], 4);
        n = (size_t)octet_txt[a[0]][3];
        out[n++] = '.';
        memcpy(out + n, octet_txt[a[1]], 4);
        n += (size_t)octet_txt[a[1]][3];
        out[n++] = '.';
        memcpy(out + n, octet_txt[a[2]], 4);
        n += (size_t)octet_txt[a[2]][3];
        out[n++] = '.';
        memcpy(out + n, octet_txt[a[3]], 4);
        n += (size_t)octet_txt[a[3]][3];
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
        memcpy(out, "::ffff:", 7);
        return 7 + nw_fmt_ip(out + 7, 4, a + 12);
    }
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            out[n++] = ':';
            if (i == 0) out[n++] = ':';
            i += bestlen - 1;
            continue;
        }
        /* %x: no leading zeros */
        for (int sh = g[i] >= 0x1000 ? 12 : g[i] >= 0x100 ? 8 : g[i] >= 0x10 ? 4 : 0; sh >= 0; sh -= 4)
            out[n++] = "0123456789abcdef"[g[i] >> sh & 15];
        if (i < 7) out[n++] = ':';
    }
    out[n] = '\0';
    return n;
}

/* [,]["key":]"t" for short text t known to need no escaping. */
static void put_quoted(struct nw_buf *b, const char *key, size_t klen, const char *t, size_t n)
{
    size_t comma = need_comma(b), kn = key ? klen + 3 : 0;
    char *p = room(b, comma + kn + n + 2);

    if (p == NULL) return;
    if (key) p = put_key(p, comma, key, klen);
    else if (comma) *p++ = ',';
    *p++ = '"';
    copy_short(p, t, n);
    p += n;
    *p++ = '"';
    commit(b, p);
}

void nw_json_mac(struct nw_buf *b, const uint8_t mac[6])
{
    char tmp[18];
    size_t n = nw_fmt_mac(tmp, mac);

    put_quoted(b, NULL, 0, tmp, n);
}

void nw_json_ip(struct nw_buf *b, int family, const uint8_t *addr)
{
    char tmp[48];
    size_t n = nw_fmt_ip(tmp, family, addr);

    put_quoted(b, NULL, 0, tmp, n);
}

void nw_json_time(struct nw_buf *b, uint64_t ts_us)
{
    char tmp[NW_TIME_BUFSZ];
    size_t n = nw_time_rfc3339(ts_us, tmp);

    put_quoted(b, NULL, 0, tmp, n);
}

/* Keyed writers: the key's length comes from the inline wrappers in json.h,
 * folded at compile time for literal keys, and the key and value are
 * written with one reservation. */
void nw__json_kstrn(struct nw_buf *b, const char *key, size_t klen, const void *s, size_t len)
{
    put_str(b, key, klen, s, len);
}

void nw__json_kintn(struct nw_buf *b, const char *key, size_t klen, int64_t v)
{
    if (v < 0) put_num(b, key, klen, (uint64_t)(-(v + 1)) + 1, 1);
    else put_num(b, key, klen, (uint64_t)v, 0);
}

void nw__json_kuintn(struct nw_buf *b, const char *key, size_t klen, uint64_t v)
{
    put_num(b, key, klen, v, 0);
}

void nw__json_kipn(struct nw_buf *b, const char *key, size_t klen, int family,
                   const uint8_t *addr)
{
    char tmp[48];
    size_t n = nw_fmt_ip(tmp, family, addr);

    put_quoted(b, key, klen, tmp, n);
}

void nw_json_kduration(struct nw_buf *b, const char *key, uint64_t us)
{
    char tmp[48];
    int n = snprintf(tmp, sizeof tmp, "%llu.%06llu", (unsigned long long)(us / 1000000u),
                     (unsigned long long)(us % 1000000u));

    nw_json_key(b, key);
    nw_json_raw(b, tmp, (size_t)n);
}

void nw__json_ktimen(struct nw_buf *b, const char *key, size_t klen, uint64_t ts_us)
{
    char tmp[NW_TIME_BUFSZ];
    size_t n = nw_time_rfc3339(ts_us, tmp);

    put_quoted(b, key, klen, tmp, n);
}
