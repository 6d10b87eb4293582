/*
 * store_index.c - derive a record's index keys (the S1/S2 contract in
 * notes/store_design.md and include/nw/query.h) while validating it.
 *
 * One pass: the root object's members are iterated (which validates every
 * value); only the members that carry keys are looked into. Values are
 * unescaped into a bounded stack buffer; a value longer than KEY_MAX is not
 * indexed (a scan for it then reads every block in the time range, which
 * is slower but still correct, because keys only skip).
 *
 * Keys (fields exactly as S2 matches them):
 *   type:<event_type>
 *   ip:<canonical text> + ip4/24, ip4/16 | ip6/64, ip6/48 for src_ip, dest_ip,
 *       user.ip, dhcp.assigned_ip, radius.framed_ip, radius.framed_ipv6, pppoe.ip
 *   mac:<lower case> for user.mac, dhcp.client_mac, src_mac, dest_mac, pppoe.for_mac
 *   user:<bytes> for user.account, login.username, radius.user_name, pppoe.username
 *   calling:<bytes> for user.calling_station, radius.calling_station_id
 *   dom:<suffix> (>= 2 labels, and the full name) for dns.queries[].rrname,
 *       dns.answers[].rrname, dns.rrname (Suricata v1), http.hostname, tls.sni, quic.sni
 *   session.ip:<canonical address> for the src_ip of `session` records only, so that
 *       "who had IP X" skips every block without a session record for X (the pair
 *       type:session AND ip:X cannot: blocks hold both, in different records)
 *
 * The writer (nw__index_record_shaped) first tries the record shapes it has
 * seen (a trie, "record shapes" below) and uses the full pass only for a new
 * shape; its keys come as hashes, from a cache of the keys of recent values
 * and, for the root member "user"'s object, of recent whole objects (key
 * groups, below).
 */
#include "store_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <string.h>

#include "nw/json.h"
#include "nw/jsonscan.h"

enum kind { K_NONE, K_IP, K_MAC, K_USER, K_CALLING, K_DOM };

/*
 * What a string value means for the index (its "action"): the first six are
 * the kinds of emit_val, the rest the root members root_str acts on. The
 * action of a value depends only on the member names and nesting above it,
 * never on values, which is what lets a record shape (below) carry them.
 */
enum act { A_NONE, A_IP, A_MAC, A_USER, A_CALLING, A_DOM, A_TS, A_TYPE, A_SRC_IP, A_SRC_MAC,
           A_DEST_IP, A_DEST_MAC };

struct kc_ent;

struct ctx {
    void (*on_key)(void *arg, const char *key, size_t keylen);
    void *arg;
    int nl_ws; /* '\n' accepted as whitespace (nw_store_index_keys) or not (append) */
    struct nw__spans *sp; /* where the values are (NULL: not wanted) */
    uint8_t *acts;        /* with sp: the action of each span (NULL: not wanted) */
    /* the writer: keys are delivered as nw__key_hash values, through the cache */
    void (*on_hash)(void *arg, uint64_t h); /* NULL: keys as text to on_key */
    struct nw__shapes *kc;                  /* owner of the key cache */
    struct kc_ent *rec;                     /* the cache entry being filled, or NULL */
    const char *end;                        /* the line's end (the cache's loads stop there) */
};

static void key_hash_out(struct ctx *c, uint64_t h);

/* Note the value at [b, e) of the line (a string's bytes inside its quotes). */
static inline void span(const struct ctx *c, size_t b, size_t e)
{
    struct nw__spans *sp = c->sp;
    if (sp == NULL) return;
    if (sp->n + 2 > sp->cap) {
        sp->over = 1;
        return;
    }
    if (c->acts) c->acts[sp->n / 2] = A_NONE;
    sp->v[sp->n++] = (uint32_t)b;
    sp->v[sp->n++] = (uint32_t)e;
}

/* The action of the span noted last. */
static inline void span_act(const struct ctx *c, enum act a)
{
    if (c->acts && !c->sp->over && c->sp->n) c->acts[c->sp->n / 2 - 1] = (uint8_t)a;
}

/*
 * Key buffer: a value is copied once to kb + KB_PRE; each key is then the
 * prefix written just before the value (or before a suffix of it), so no
 * key is assembled twice.
 */
#define KB_PRE 16

static inline void emit_at(struct ctx *c, char *v, size_t n, const char *prefix, size_t pl)
{
    memcpy(v - pl, prefix, pl);
    if (c->on_hash) key_hash_out(c, nw__key_hash(v - pl, pl + n));
    else c->on_key(c->arg, v - pl, pl + n);
}
#define EMIT(c, v, n, lit) emit_at((c), (v), (n), lit, sizeof lit - 1)

/* Strict dotted quad "a.b.c.d" (no leading zeros beyond "0"). */
static int parse_v4(const char *s, size_t n, uint8_t a[4])
{
    size_t i = 0;

    for (int k = 0; k < 4; k++) {
        unsigned v = 0, d = 0;
        if (k) {
            if (i >= n || s[i] != '.') return -1;
            i++;
        }
        while (i < n && s[i] >= '0' && s[i] <= '9' && d < 4) v = v * 10 + (unsigned)(s[i++] - '0'), d++;
        if (d == 0 || d > 3 || v > 255 || (d > 1 && s[i - d] == '0')) return -1;
        a[k] = (uint8_t)v;
    }
    return i == n ? 0 : -1;
}

/* v points into a key buffer with KB_PRE bytes of room before it. */
static void emit_ip(struct ctx *c, char *v, size_t n)
{
    char buf[64 + KB_PRE], *b = buf + KB_PRE;
    uint8_t a[16];
    int w;

    if (memchr(v, ':', n) == NULL) {
        if (parse_v4(v, n, a) != 0) {
            EMIT(c, v, n, "ip:");
            return;
        }
        /* the strict form is canonical, so the prefixes are prefixes of the text */
        const char *d3 = memchr(v, '.', n), *d2, *d1;
        d2 = memchr(d3 + 1, '.', n - (size_t)(d3 + 1 - v));
        d1 = memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - v));
        EMIT(c, v, n, "ip:");
        EMIT(c, v, (size_t)(d1 - v), "ip4/24:");
        EMIT(c, v, (size_t)(d2 - v), "ip4/16:");
        return;
    }
    if (n >= 64) return;
    memcpy(b, v, n);
    b[n] = '\0';
    if (inet_pton(AF_INET6, b, a) != 1) {
        EMIT(c, v, n, "ip:");
        return;
    }
    EMIT(c, b, nw_fmt_ip(b, 6, a), "ip:");
    w = snprintf(b, 64, "%x:%x:%x:%x", (a[0] << 8) | a[1], (a[2] << 8) | a[3],
                 (a[4] << 8) | a[5], (a[6] << 8) | a[7]);
    EMIT(c, b, (size_t)w, "ip6/64:");
    w = snprintf(b, 64, "%x:%x:%x", (a[0] << 8) | a[1], (a[2] << 8) | a[3],
                 (a[4] << 8) | a[5]);
    EMIT(c, b, (size_t)w, "ip6/48:");
}

/* "session.ip:<canonical address>" for the bound address of a session record. */
static void emit_session_ip(struct ctx *c, const char *p, size_t n)
{
    char buf[64 + KB_PRE], *b = buf + KB_PRE;
    uint8_t a[16];

    if (p == NULL || n == 0 || n >= 64) return;
    memcpy(b, p, n);
    b[n] = '\0';
    if (memchr(b, ':', n) == NULL) {
        EMIT(c, b, n, "session.ip:");
    } else if (inet_pton(AF_INET6, b, a) == 1) {
        EMIT(c, b, nw_fmt_ip(b, 6, a), "session.ip:");
    }
}

static void emit_dom(struct ctx *c, char *v, size_t n)
{
    size_t i, next;

    while (n > 0 && v[n - 1] == '.') n--;
    for (i = 0; i < n; i++)
        if (v[i] >= 'A' && v[i] <= 'Z') v[i] = (char)(v[i] - 'A' + 'a');
    if (n == 0) return;
    EMIT(c, v, n, "dom:"); /* the full name, even a single label */
    /* every suffix that starts after a dot and still has a dot in it; the
     * prefix overwrites bytes left of the suffix, which are done with */
    for (i = 0; i < n; i = next) {
        const char *d = memchr(v + i, '.', n - i);
        if (d == NULL) break;
        next = (size_t)(d - v) + 1;
        if (memchr(v + next, '.', n - next) == NULL) break;
        EMIT(c, v + next, n - next, "dom:");
    }
}

/* v/n: the raw string token (without quotes); esc: it holds a backslash. */
static void emit_val(struct ctx *c, enum kind k, const char *v, size_t n, int esc)
{
    char kb[KEY_MAX + 1 + KB_PRE], *buf = kb + KB_PRE;
    int m;

    if (n > KEY_MAX) return;
    if (!esc) {
        memcpy(buf, v, n);
        m = (int)n;
    } else {
        struct nw_json_val jv = {NW_JSON_STRING, v, n};
        m = nw_json_val_str(&jv, buf, KEY_MAX + 1);
        if (m < 0) return;
    }
    switch (k) {
    case K_IP: emit_ip(c, buf, (size_t)m); break;
    case K_MAC:
        for (int i = 0; i < m; i++)
            if (buf[i] >= 'A' && buf[i] <= 'Z') buf[i] = (char)(buf[i] - 'A' + 'a');
        EMIT(c, buf, (size_t)m, "mac:");
        break;
    case K_USER: EMIT(c, buf, (size_t)m, "user:"); break;
    case K_CALLING: EMIT(c, buf, (size_t)m, "calling:"); break;
    case K_DOM: emit_dom(c, buf, (size_t)m); break;
    default: break;
    }
}

/* ------------------------------------------------- the validating scanner -- */

/*
 * The same grammar as nw_json_skip (include/nw/jsonscan.h), written for this
 * one pass: positions are indexes into the line, strings are skipped 16
 * bytes at a time. Each function gets i at the token and returns the index
 * just past it, or -1.
 */

static inline long sk_ws(const struct ctx *c, const char *p, size_t i, size_t len)
{
    while (i < len) {
        char ch = p[i];
        if (ch == ' ' || ch == '\t' || ch == '\r' || (ch == '\n' && c->nl_ws)) i++;
        else break;
    }
    return (long)i;
}

static const unsigned char str_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1,
};

static inline int hexd(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
}

/* p[i] == '"'. *esc is set when the string holds an escape. */
static inline long sk_str(const char *p, size_t i, size_t len, int *esc)
{
    i++;
    for (;;) {
#ifdef __SSE2__
        const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), c1f = _mm_set1_epi8(0x1f);
        while (i + 16 <= len) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)),
                                     _mm_cmpeq_epi8(_mm_max_epu8(v, c1f), c1f));
            unsigned mask = (unsigned)_mm_movemask_epi8(m);
            if (mask) {
                i += (unsigned)__builtin_ctz(mask);
                goto stop;
            }
            i += 16;
        }
#endif
        while (i < len && !str_stop[(unsigned char)p[i]]) i++;
        if (i >= len) return -1;
#ifdef __SSE2__
    stop:
#endif
        if (p[i] == '"') return (long)(i + 1);
        if (p[i] != '\\' || i + 1 >= len) return -1; /* raw control character */
        *esc = 1;
        switch (p[i + 1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            i += 2;
            break;
        case 'u':
            if (i + 6 > len || !hexd((unsigned char)p[i + 2]) || !hexd((unsigned char)p[i + 3]) ||
                !hexd((unsigned char)p[i + 4]) || !hexd((unsigned char)p[i + 5]))
                return -1;
            i += 6;
            break;
        default:
            return -1;
        }
    }
}

/*
 * sk_str for the record-shape walk, where nearly every string is short and
 * plain: one 16-byte look finds its closing quote; anything else (longer,
 * escapes, the line's last 16 bytes) goes to sk_str.
 */
static inline __attribute__((always_inline)) long sk_str_short(const char *p, size_t i, size_t len,
                                                               int *esc)
{
#ifdef __SSE2__
    if (i + 17 <= len) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 1));
        __m128i m = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
            _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1f)), _mm_set1_epi8(0x1f)));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask) {
            size_t k = i + 1 + (unsigned)__builtin_ctz(mask);
            if (p[k] == '"') return (long)(k + 1);
        }
    }
#endif
    return sk_str(p, i, len, esc);
}

static inline long sk_num(const char *p, size_t i, size_t len)
{
    long n = nw_json_number_len(p + i, len - i);
    return n < 0 ? -1 : (long)i + n;
}

/* Any value at p[i] (i < len), validated; depth as in nw_json_skip. */
static long sk_val(const struct ctx *c, const char *p, size_t i, size_t len, int depth)
{
    int esc;
    long n;

    if (i >= len || depth > NW_JSON_MAX_DEPTH) return -1;
    switch (p[i]) {
    case '"':
        if ((n = sk_str(p, i, len, &esc)) > 0) span(c, i + 1, (size_t)n - 1);
        return n;
    case '{':
    case '[': {
        int obj = p[i] == '{';
        char close = obj ? '}' : ']';
        if ((n = sk_ws(c, p, i + 1, len)) < 0) return -1;
        i = (size_t)n;
        if (i < len && p[i] == close) return (long)i + 1;
        for (;;) {
            if (obj) {
                if (i >= len || p[i] != '"' || (n = sk_str(p, i, len, &esc)) < 0) return -1;
                i = (size_t)sk_ws(c, p, (size_t)n, len);
                if (i >= len || p[i] != ':') return -1;
                i = (size_t)sk_ws(c, p, i + 1, len);
            }
            if ((n = sk_val(c, p, i, len, depth + 1)) < 0) return -1;
            i = (size_t)sk_ws(c, p, (size_t)n, len);
            if (i >= len) return -1;
            if (p[i] == ',') {
                i = (size_t)sk_ws(c, p, i + 1, len);
                continue;
            }
            return p[i] == close ? (long)i + 1 : -1;
        }
    }
    case 't': n = len - i >= 4 && memcmp(p + i, "true", 4) == 0 ? (long)i + 4 : -1; break;
    case 'f': n = len - i >= 5 && memcmp(p + i, "false", 5) == 0 ? (long)i + 5 : -1; break;
    case 'n': n = len - i >= 4 && memcmp(p + i, "null", 4) == 0 ? (long)i + 4 : -1; break;
    default: n = sk_num(p, i, len); break;
    }
    if (n > 0) span(c, i, (size_t)n);
    return n;
}

/* ------------------------------------------------------ key-carrying walk -- */

struct field {
    const char *name;
    size_t len;
    enum kind kind;
};
#define F(s, k) {s, sizeof s - 1, k}

static const struct field f_none[] = {{NULL, 0, K_NONE}};
static const struct field f_rr[] = {F("rrname", K_DOM), {NULL, 0, K_NONE}};
static const struct field f_user[] = {F("ip", K_IP), F("mac", K_MAC), F("account", K_USER),
                                      F("calling_station", K_CALLING), {NULL, 0, K_NONE}};
static const struct field f_dhcp[] = {F("assigned_ip", K_IP), F("client_mac", K_MAC),
                                      {NULL, 0, K_NONE}};
static const struct field f_radius[] = {F("framed_ip", K_IP), F("framed_ipv6", K_IP),
                                        F("user_name", K_USER), F("calling_station_id", K_CALLING),
                                        {NULL, 0, K_NONE}};
static const struct field f_pppoe[] = {F("ip", K_IP), F("for_mac", K_MAC), F("username", K_USER),
                                       {NULL, 0, K_NONE}};
static const struct field f_login[] = {F("username", K_USER), {NULL, 0, K_NONE}};
static const struct field f_http[] = {F("hostname", K_DOM), {NULL, 0, K_NONE}};
static const struct field f_sni[] = {F("sni", K_DOM), {NULL, 0, K_NONE}};

#define KEQ(k, kl, lit) ((kl) == sizeof lit - 1 && memcmp((k), lit, sizeof lit - 1) == 0)

static long walk_obj(struct ctx *c, const char *p, size_t i, size_t len, int depth,
                     const struct field *f, int dns);

/* dns.queries / dns.answers: an array of objects with rrname. p[i] == '['. */
static long walk_rrlist(struct ctx *c, const char *p, size_t i, size_t len, int depth)
{
    long n;

    if (depth > NW_JSON_MAX_DEPTH) return -1;
    i = (size_t)sk_ws(c, p, i + 1, len);
    if (i < len && p[i] == ']') return (long)i + 1;
    for (;;) {
        if (i >= len) return -1;
        n = p[i] == '{' ? walk_obj(c, p, i, len, depth + 1, f_rr, 0)
                        : sk_val(c, p, i, len, depth + 1);
        if (n < 0) return -1;
        i = (size_t)sk_ws(c, p, (size_t)n, len);
        if (i >= len) return -1;
        if (p[i] == ',') {
            i = (size_t)sk_ws(c, p, i + 1, len);
            continue;
        }
        return p[i] == ']' ? (long)i + 1 : -1;
    }
}

/*
 * Walk (and validate) the object at p[i] == '{' once, emitting keys for the
 * string members named in f; with dns, also dns.rrname and the
 * queries/answers lists. Returns the index past it or -1.
 */
static long walk_obj(struct ctx *c, const char *p, size_t i, size_t len, int depth,
                     const struct field *f, int dns)
{
    long n;

    if (depth > NW_JSON_MAX_DEPTH) return -1;
    i = (size_t)sk_ws(c, p, i + 1, len);
    if (i < len && p[i] == '}') return (long)i + 1;
    for (;;) {
        const char *k;
        size_t kl;
        int esc = 0;
        if (i >= len || p[i] != '"' || (n = sk_str(p, i, len, &esc)) < 0) return -1;
        k = p + i + 1;
        kl = (size_t)n - i - 2;
        i = (size_t)sk_ws(c, p, (size_t)n, len);
        if (i >= len || p[i] != ':') return -1;
        i = (size_t)sk_ws(c, p, i + 1, len);
        if (i >= len) return -1;
        if (p[i] == '"') {
            size_t v = i + 1;
            esc = 0;
            if ((n = sk_str(p, i, len, &esc)) < 0) return -1;
            span(c, v, (size_t)n - 1);
            if (dns) {
                if (KEQ(k, kl, "rrname")) {
                    span_act(c, A_DOM);
                    emit_val(c, K_DOM, p + v, (size_t)n - v - 1, esc);
                }
            } else {
                for (const struct field *x = f; x->name; x++)
                    if (kl == x->len && memcmp(k, x->name, kl) == 0) {
                        span_act(c, (enum act)x->kind);
                        emit_val(c, x->kind, p + v, (size_t)n - v - 1, esc);
                        break;
                    }
            }
        } else if (dns && p[i] == '[' && (KEQ(k, kl, "queries") || KEQ(k, kl, "answers"))) {
            n = walk_rrlist(c, p, i, len, depth + 1);
        } else {
            n = sk_val(c, p, i, len, depth + 1);
        }
        if (n < 0) return -1;
        i = (size_t)sk_ws(c, p, (size_t)n, len);
        if (i >= len) return -1;
        if (p[i] == ',') {
            i = (size_t)sk_ws(c, p, i + 1, len);
            continue;
        }
        return p[i] == '}' ? (long)i + 1 : -1;
    }
}

/* Which nested object of the root carries keys (NULL: none). */
static const struct field *nested(const char *k, size_t kl, int *dns)
{
    *dns = 0;
    if (kl < 3) return NULL;
    switch (k[0]) {
    case 'u': return KEQ(k, kl, "user") ? f_user : NULL;
    case 'd':
        if (KEQ(k, kl, "dns")) {
            *dns = 1;
            return f_none; /* no plain fields: rrname and the lists are special */
        }
        return KEQ(k, kl, "dhcp") ? f_dhcp : NULL;
    case 'r': return KEQ(k, kl, "radius") ? f_radius : NULL;
    case 'p': return KEQ(k, kl, "pppoe") ? f_pppoe : NULL;
    case 'l': return KEQ(k, kl, "login") ? f_login : NULL;
    case 'h': return KEQ(k, kl, "http") ? f_http : NULL;
    case 't': return KEQ(k, kl, "tls") ? f_sni : NULL;
    case 'q': return KEQ(k, kl, "quic") ? f_sni : NULL;
    default: return NULL;
    }
}

struct root_state {
    uint64_t *ts_us;
    int have_ts;
    int is_session;
    const char *src_ip; /* raw token of src_ip (NULL: none) */
    size_t src_ip_len;
};

/* The action of a string member of the root named by the key token k/kl. */
static enum act root_act(const char *k, size_t kl)
{
    if (kl < 6) return A_NONE;
    switch (k[0]) {
    case 't': return KEQ(k, kl, "timestamp") ? A_TS : A_NONE;
    case 'e': return KEQ(k, kl, "event_type") ? A_TYPE : A_NONE;
    case 's': return KEQ(k, kl, "src_ip") ? A_SRC_IP : KEQ(k, kl, "src_mac") ? A_SRC_MAC : A_NONE;
    case 'd': return KEQ(k, kl, "dest_ip") ? A_DEST_IP : KEQ(k, kl, "dest_mac") ? A_DEST_MAC : A_NONE;
    default: return A_NONE;
    }
}

/*
 * Key cache of the writer: the keys a string value gives depend only on its
 * kind and its raw bytes, and the same values come back all the time (a
 * user's address, MAC and account in every record of theirs, the resolver,
 * popular names). Direct-mapped on (kind, bytes); an entry holds the hashes
 * of the keys, in emission order, so a hit replays them without unescaping,
 * parsing an address, lower-casing or hashing. The cache is only ever a
 * shortcut to what emit_val would deliver (tests compare the two).
 */
#define KC_SLOTS 8192 /* x 64 bytes: fits L2 with the rest of the writer's hot data */
#define KC_VMAX 32
#define KC_HMAX 3     /* an address gives 3 keys; names of 4+ labels are not cached */
enum { KC_TYPE = K_DOM + 1 }; /* the kinds: enum kind, plus the type: key */

struct kc_ent {            /* one cache line */
    uint8_t v[KC_VMAX];    /* the value's bytes, zero-padded */
    uint64_t h[KC_HMAX];
    uint32_t tag;          /* mix of kind and bytes; 0 = empty */
    uint8_t kind, vlen, nh, bad; /* bad: more than KC_HMAX keys (not stored) */
};
_Static_assert(sizeof(struct kc_ent) == 64, "a key cache entry is one cache line");

static void key_hash_out(struct ctx *c, uint64_t h)
{
    struct kc_ent *e = c->rec;
    if (e) {
        if (e->nh < KC_HMAX) e->h[e->nh++] = h;
        else e->bad = 1;
    }
    c->on_hash(c->arg, h);
}

static void emit_kind(struct ctx *c, int kind, const char *v, size_t n, int esc)
{
    if (kind == KC_TYPE) {
        char kb[64 + KB_PRE];
        memcpy(kb + KB_PRE, v, n);
        EMIT(c, kb + KB_PRE, n, "type:");
    } else {
        emit_val(c, (enum kind)kind, v, n, esc);
    }
}

#ifdef __SSE2__
static const uint8_t kc_ones[48] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};
#endif

#ifdef __SSE2__
/*
 * The cache slot of value v/n of this kind: values of up to 32 bytes with 32
 * readable bytes (the line goes on). Two loads masked to n bytes are the
 * tag's input and, in *a and *b, the comparison's. 0: not cacheable.
 */
static inline int kc_slot(const struct ctx *c, int kind, const char *v, size_t n, __m128i *a,
                          __m128i *b, uint64_t *t)
{
    __m128i x;
    uint64_t m;

    if (n > KC_VMAX || (size_t)(c->end - v) < 32) return 0;
    *a = _mm_and_si128(_mm_loadu_si128((const __m128i *)(const void *)v),
                       _mm_loadu_si128((const __m128i *)(const void *)(kc_ones + 32 - n)));
    *b = _mm_and_si128(_mm_loadu_si128((const __m128i *)(const void *)(v + 16)),
                       _mm_loadu_si128((const __m128i *)(const void *)
                                       (kc_ones + 32 - (n > 16 ? n - 16 : 0))));
    x = _mm_xor_si128(*a, _mm_slli_epi64(*b, 1));
    m = (uint64_t)_mm_cvtsi128_si64(x) * 0x9e3779b97f4a7c15ull ^
        (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(x, x)) * 0xc2b2ae3d27d4eb4full;
    m ^= m >> 31;
    m += n * 0x165667b19e3779f9ull + (uint64_t)kind;
    *t = m * 0x9e3779b97f4a7c15ull;
    return 1;
}
#endif

/* The keys of value v/n of this kind: from the cache when there is one. */
static void emit_cached(struct ctx *c, struct kc_ent *tab, int kind, const char *v, size_t n,
                        int esc)
{
#ifdef __SSE2__
    struct kc_ent *e;
    __m128i a, b;
    uint64_t t;
    uint32_t tag;

    if (tab == NULL || !kc_slot(c, kind, v, n, &a, &b, &t)) {
        emit_kind(c, kind, v, n, esc);
        return;
    }
    tag = (uint32_t)(t >> 32) | 1;
    e = &tab[(t >> 8) & (KC_SLOTS - 1)];
    if (e->tag == tag && e->kind == kind && e->vlen == n &&
        _mm_movemask_epi8(_mm_and_si128(
            _mm_cmpeq_epi8(a, _mm_load_si128((const __m128i *)(const void *)e->v)),
            _mm_cmpeq_epi8(b, _mm_load_si128((const __m128i *)(const void *)(e->v + 16))))) ==
            0xffff) {
        for (unsigned k = 0; k < e->nh; k++) c->on_hash(c->arg, e->h[k]);
        return;
    }
    e->tag = 0; /* refilled below; stays empty if it overflows */
    e->kind = (uint8_t)kind;
    e->vlen = (uint8_t)n;
    e->nh = 0;
    e->bad = 0;
    _mm_store_si128((__m128i *)(void *)e->v, a);
    _mm_store_si128((__m128i *)(void *)(e->v + 16), b);
    c->rec = e;
    emit_kind(c, kind, v, n, esc);
    c->rec = NULL;
    if (!e->bad) e->tag = tag;
#else
    (void)tab;
    emit_kind(c, kind, v, n, esc);
#endif
}

static struct kc_ent *kc_table(const struct nw__shapes *sh);

/*
 * Timestamps of one writer share their date, hour, minute and offset for
 * long runs. The last valid one of the form "YYYY-MM-DDTHH:MM:SS.ffffff"
 * plus "Z" or "+HH:MM" is remembered with its value less the seconds; a
 * timestamp with the same first 16 bytes and the same suffix then only needs
 * its seconds and fraction checked and added - the result nw_json_parse_time
 * gives, which fills the cache (so the date math is not repeated here).
 */
struct ts_cache {
    char pre[16], suf[6];
    size_t n;     /* 0: empty; 27 or 32 */
    int64_t base; /* seconds since the epoch of pre + suf with seconds 0 */
};

static struct ts_cache *ts_cache_of(const struct nw__shapes *sh);

static inline int dig(char ch) { return ch >= '0' && ch <= '9'; }

/* Fixed-size compares without a call (memcmp of a variable or odd size is one). */
static inline int eq16(const char *a, const char *b)
{
    uint64_t a0, a1, b0, b1;
    memcpy(&a0, a, 8), memcpy(&a1, a + 8, 8), memcpy(&b0, b, 8), memcpy(&b1, b + 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}
static inline int eq6(const char *a, const char *b)
{
    uint32_t a0, b0;
    uint16_t a1, b1;
    memcpy(&a0, a, 4), memcpy(&a1, a + 4, 2), memcpy(&b0, b, 4), memcpy(&b1, b + 4, 2);
    return a0 == b0 && a1 == b1;
}

static int parse_time_cached(struct ts_cache *tc, const char *v, size_t n, uint64_t *us)
{
    if (tc && n == tc->n && n != 0 && v[16] == ':' && v[19] == '.' && dig(v[17]) && dig(v[18]) &&
        eq16(v, tc->pre) && (n == 27 ? v[26] == tc->suf[0] : eq6(v + 26, tc->suf))) {
        unsigned sec = (unsigned)(v[17] - '0') * 10 + (unsigned)(v[18] - '0'), frac = 0;
        int ok = sec <= 60;
        for (int k = 20; k < 26; k++) {
            ok &= dig(v[k]);
            frac = frac * 10 + (unsigned)(v[k] - '0');
        }
        if (ok && tc->base + (sec == 60 ? 59 : sec) >= 0) { /* leap second: clamped */
            *us = (uint64_t)(tc->base + (sec == 60 ? 59 : sec)) * 1000000u + frac;
            return 0;
        }
    }
    if (nw_json_parse_time(v, n, us) != 0) return NW_EFORMAT;
    if (tc && (n == 27 || n == 32) && v[16] == ':' && v[19] == '.' && dig(v[17]) && dig(v[18]) &&
        (n == 27 ? v[26] == 'Z' : (v[26] == '+' || v[26] == '-') && v[29] == ':')) {
        unsigned sec = (unsigned)(v[17] - '0') * 10 + (unsigned)(v[18] - '0');
        int k;
        for (k = 20; k < 26 && dig(v[k]); k++) {
        }
        if (k == 26) {
            memcpy(tc->pre, v, 16);
            memcpy(tc->suf, v + 26, n - 26);
            tc->n = n;
            tc->base = (int64_t)(*us / 1000000u) - (sec == 60 ? 59 : sec);
        }
    }
    return 0;
}

/* Apply action a to the string value token v/n (esc: it holds a backslash). */
static void act_apply(struct ctx *c, enum act a, const char *v, size_t n, int esc,
                      struct root_state *rs)
{
    struct kc_ent *tab = c->on_hash ? kc_table(c->kc) : NULL;

    switch (a) {
    case A_NONE: break;
    case A_IP: case A_MAC: case A_USER: case A_CALLING: case A_DOM:
        emit_cached(c, tab, (int)a, v, n, esc);
        break;
    case A_TS:
        if (!rs->have_ts &&
            parse_time_cached(c->on_hash ? ts_cache_of(c->kc) : NULL, v, n, rs->ts_us) == 0)
            rs->have_ts = 1;
        break;
    case A_TYPE:
        if (n <= 64) {
            emit_cached(c, tab, KC_TYPE, v, n, esc);
            rs->is_session = n == 7 && memcmp(v, "session", 7) == 0;
            if (c->sp) { /* the writer's frame choice (store_write.c) */
                c->sp->ntype++;
                c->sp->tcls = esc ? IDENT_CLASS_ANY : nw__ident_class(v, n);
            }
        }
        break;
    case A_SRC_IP:
        emit_cached(c, tab, K_IP, v, n, esc);
        rs->src_ip = v;
        rs->src_ip_len = n;
        break;
    case A_SRC_MAC: emit_cached(c, tab, K_MAC, v, n, esc); break;
    case A_DEST_IP: emit_cached(c, tab, K_IP, v, n, esc); break;
    case A_DEST_MAC: emit_cached(c, tab, K_MAC, v, n, esc); break;
    }
}

/* The root object at line[0..len) (the whole line), validated; keys go to c->on_key. */
static int index_root(struct ctx *c, const char *line, size_t len, struct root_state *rs)
{
    size_t i = (size_t)sk_ws(c, line, 0, len);
    int dns;
    long n;

    if (i >= len || line[i] != '{') return NW_EFORMAT;
    i = (size_t)sk_ws(c, line, i + 1, len);
    if (i < len && line[i] == '}') {
        i++;
    } else {
        for (;;) {
            const struct field *f;
            const char *k;
            size_t kl;
            int esc = 0;
            if (i >= len || line[i] != '"' || (n = sk_str(line, i, len, &esc)) < 0)
                return NW_EFORMAT;
            k = line + i + 1;
            kl = (size_t)n - i - 2;
            i = (size_t)sk_ws(c, line, (size_t)n, len);
            if (i >= len || line[i] != ':') return NW_EFORMAT;
            i = (size_t)sk_ws(c, line, i + 1, len);
            if (i >= len) return NW_EFORMAT;
            if (line[i] == '"') {
                size_t v = i + 1;
                enum act a = root_act(k, kl);
                esc = 0;
                if ((n = sk_str(line, i, len, &esc)) < 0) return NW_EFORMAT;
                span(c, v, (size_t)n - 1);
                span_act(c, a);
                act_apply(c, a, line + v, (size_t)n - v - 1, esc, rs);
            } else if (line[i] == '{' && (f = nested(k, kl, &dns)) != NULL) {
                n = walk_obj(c, line, i, len, 1, f, dns);
            } else {
                n = sk_val(c, line, i, len, 1);
            }
            if (n < 0) return NW_EFORMAT;
            i = (size_t)sk_ws(c, line, (size_t)n, len);
            if (i >= len) return NW_EFORMAT;
            if (line[i] == ',') {
                i = (size_t)sk_ws(c, line, i + 1, len);
                continue;
            }
            if (line[i] != '}') return NW_EFORMAT;
            i++;
            break;
        }
    }
    if ((size_t)sk_ws(c, line, i, len) != len) return NW_EFORMAT;
    if (rs->is_session) emit_session_ip(c, rs->src_ip, rs->src_ip_len);
    return rs->have_ts ? 0 : NW_ENOENT;
}

static int index_record(const char *line, size_t len, uint64_t *ts_us, int nl_ws,
                        void (*on_key)(void *arg, const char *key, size_t keylen), void *arg,
                        struct nw__spans *sp)
{
    struct ctx c = {on_key, arg, nl_ws, sp, NULL, NULL, NULL, NULL, line + len};
    struct root_state rs = {ts_us, 0, 0, NULL, 0};

    return index_root(&c, line, len, &rs);
}

/*
 * One validating pass over the root object: every byte is looked at once;
 * the nested objects that carry keys are walked by walk_obj instead of
 * being skipped. A '\n' anywhere fails the record (a stored record is one
 * line). Returns 0, NW_EFORMAT (not exactly one JSON object on one line),
 * NW_ENOENT (no valid timestamp).
 */
int nw__index_record(const char *line, size_t len, uint64_t *ts_us,
                     void (*on_key)(void *arg, const char *key, size_t keylen), void *arg,
                     struct nw__spans *sp)
{
    if (sp) sp->n = 0, sp->over = 0, sp->ntype = 0, sp->tcls = -1;
    return index_record(line, len, ts_us, 0, on_key, arg, sp);
}

static void count_key(void *arg, const char *key, size_t n)
{
    (void)arg, (void)key, (void)n;
}

int nw_store_index_keys(const char *line, size_t len,
                        void (*on_key)(void *arg, const char *key, size_t keylen), void *arg)
{
    uint64_t ts;
    int rc = index_record(line, len, &ts, 1, on_key ? on_key : count_key, arg, NULL);

    return rc == NW_EFORMAT ? rc : 0;
}

/* ------------------------------------------------------- record shapes -- */

/*
 * A writer sees a few record shapes over and over: the same member names,
 * nesting, punctuation and whitespace; only the values differ (they are the
 * block templates of store_format.c). The shapes seen form a trie: an edge
 * is the literal text up to the next value plus that value's kind (string
 * body or bare scalar) and index action; an END edge is the text after the
 * last value. A record that follows a known path is checked against it:
 * every literal byte is compared and every value is validated as a JSON
 * string body or a scalar (number, true, false, null). That makes it exactly
 * as valid as the record the path was learnt from - the same structure with
 * other scalars in the same places - without the grammar, the member-name
 * matching or the template assembly. Paths are unambiguous: two edges out
 * of one node whose texts both match can only differ in where the value
 * starts, and only one of them then finds a value there, so the first edge
 * that matches is the only one that can. A record that leaves every path
 * gets the full pass, which adds its shape.
 *
 * Bounds: SHAPE_NODES nodes and SHAPE_ARENA bytes of text; when either is
 * full the trie is emptied and relearnt (a stream of ever-new shapes then
 * costs the full pass plus the learning, nothing worse).
 */
enum { S_STR, S_BARE, S_END };

struct shape_node {
    uint32_t piece, plen; /* the literal before the value (S_END: to the end), arena offset */
    uint32_t child, sib;  /* first child, next sibling; 0 = none (node 0 is the root) */
    uint8_t kind;         /* S_STR (piece ends with the opening '"'), S_BARE, S_END */
    uint8_t act;          /* enum act of the value */
    uint8_t tmpl_ok;      /* S_END: the template fits TMPL_MAX_LEN */
    uint32_t sk, sklen;   /* S_END: the block template, arena offset */
    uint64_t h;           /* S_END: its hash as nw__tmpl_add computes it */
    /* S_END: the key group (the root member "user"'s object, below): its values ub..ul
     * (ul < ub: none), the object's '{' uoff bytes before value ub */
    uint16_t ub, ul, uoff;
};

#define SHAPE_NODES 16384u
#define SHAPE_ARENA (1u << 20)
#define SHAPE_ACTS 128 /* values with an action per record; more: the full pass */
#define SHAPE_VALS 1024

/*
 * Key groups. Most records carry their user's identity object ("user":{"ip":
 * ..,"account":..,"mac":..,"calling_station":..}), byte-identical in every
 * record of that user; its values give ~6 keys. The keys of the object's
 * values depend only on its text (the members' names decide the actions,
 * the values the keys), so a group cache maps that text - from the object's
 * '{' to the end of its last value with an action - to the key hashes, in
 * emission order: one lookup instead of one per value. Each filling gets a
 * new id, handed to the writer (nw__shapes_on_group) after the group's keys,
 * so that a record whose group the block has already taken skips the key
 * set probes too. The keys delivered are the same, in the same order, either
 * way (shape_check, fuzz_jsonscan and test_store compare).
 */
#define GC_BITS 11
#define GC_SLOTS (1u << GC_BITS) /* x 256 bytes; a few thousand users */
#define GC_BMAX 128 /* longer objects: no group (the per-value cache still serves) */
#define GC_HMAX 14
struct gc_ent {
    uint64_t id;          /* 0 = empty */
    uint64_t h[GC_HMAX];
    uint16_t len;
    uint8_t nh, bad;
    uint8_t pad[4];
    uint8_t b[GC_BMAX];   /* the text */
};

struct nw__shapes {
    struct shape_node *node;
    uint32_t nnode;
    uint8_t *arena;             /* SHAPE_ARENA + 16: 16-byte loads past a piece stay inside */
    uint32_t alen;
    uint64_t hits, misses;      /* records that followed a known shape / did not */
    uint32_t gen;               /* times the trie started over (template keys) */
    uint8_t acts[SHAPE_VALS];   /* the full pass's action per value */
    struct kc_ent *kc;          /* KC_SLOTS entries, 64-byte aligned: the key cache (above) */
    void *kc_mem;               /* its allocation */
    struct ts_cache tc;         /* the last timestamp's date and offset */
    uint8_t sk[TMPL_MAX_LEN];   /* a template being learnt */
    struct gc_ent *gc;          /* GC_SLOTS key groups (NULL: none) */
    uint64_t gc_next;           /* the next group id */
    void (*on_group)(void *arg, uint64_t id, const uint64_t *h, unsigned n); /* or NULL */
};

struct nw__shapes *nw__shapes_new(void)
{
    struct nw__shapes *sh = nw_calloc(1, sizeof *sh);

    if (sh == NULL) return NULL;
    sh->node = nw_calloc(SHAPE_NODES, sizeof *sh->node);
    sh->arena = nw_calloc(1, SHAPE_ARENA + 16);
    sh->kc_mem = nw_calloc(KC_SLOTS + 1, sizeof *sh->kc);
    if (sh->kc_mem) sh->kc = (struct kc_ent *)(((uintptr_t)sh->kc_mem + 63) & ~(uintptr_t)63);
    sh->gc = nw_calloc(GC_SLOTS, sizeof *sh->gc);
    sh->gc_next = 1;
    if (sh->node == NULL || sh->arena == NULL || sh->kc == NULL || sh->gc == NULL) {
        nw__shapes_free(sh);
        return NULL;
    }
    sh->nnode = 1;
    return sh;
}

void nw__shapes_free(struct nw__shapes *sh)
{
    if (sh == NULL) return;

    nw_free(sh->node);
    nw_free(sh->arena);
    nw_free(sh->kc_mem);
    nw_free(sh->gc);
    nw_free(sh);
}

/* x[0..n) (arena, 16 bytes of slack) equals p[i..i+n), within len? */
static inline int lit_eq(const uint8_t *x, size_t n, const char *p, size_t i, size_t len)
{
    size_t k = 0;

    if (n > len - i) return 0;
#ifdef __SSE2__
    if (n <= 16 && i + 16 <= len) { /* most pieces: one compare */
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
            _mm_loadu_si128((const __m128i *)(const void *)x),
            _mm_loadu_si128((const __m128i *)(const void *)(p + i))));
        return ((m | (0xffffu << n)) & 0xffffu) == 0xffffu;
    }
    if (n > 16) { /* whole chunks, then the last 16 bytes (overlapping): no call */
        for (; k + 16 < n; k += 16) {
            unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
                _mm_loadu_si128((const __m128i *)(const void *)(x + k)),
                _mm_loadu_si128((const __m128i *)(const void *)(p + i + k))));
            if (m != 0xffffu) return 0;
        }
        return _mm_movemask_epi8(_mm_cmpeq_epi8(
                   _mm_loadu_si128((const __m128i *)(const void *)(x + n - 16)),
                   _mm_loadu_si128((const __m128i *)(const void *)(p + i + n - 16)))) == 0xffff;
    }
#endif
    return memcmp(x + k, p + i + k, n - k) == 0;
}

/* A bare scalar at p[i]: number, true, false, null. Index past it or -1. */
static inline long sk_scalar(const char *p, size_t i, size_t len)
{
    if (i >= len) return -1;
    switch (p[i]) {
    case 't': return len - i >= 4 && memcmp(p + i, "true", 4) == 0 ? (long)i + 4 : -1;
    case 'f': return len - i >= 5 && memcmp(p + i, "false", 5) == 0 ? (long)i + 5 : -1;
    case 'n': return len - i >= 4 && memcmp(p + i, "null", 4) == 0 ? (long)i + 4 : -1;
    case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9': {
        /* the common plain integer without a call; anything else: the full grammar */
        size_t k = i + 1;
#ifdef __SSE2__
        if (k + 16 <= len) { /* counters, ports, ids: the first non-digit in one look */
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + k));
            unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
                _mm_cmplt_epi8(v, _mm_set1_epi8('0')), _mm_cmpgt_epi8(v, _mm_set1_epi8('9'))));
            if (m) k += (unsigned)__builtin_ctz(m);
            else k += 16;
        }
#endif
        while (k < len && p[k] >= '0' && p[k] <= '9') k++;
        if (k >= len || (p[k] != '.' && p[k] != 'e' && p[k] != 'E')) return (long)k;
        return sk_num(p, i, len);
    }
    case '-': case '0':
        return sk_num(p, i, len);
    default: return -1;
    }
}

struct pend {      /* a value whose action waits for the whole path to match */
    uint32_t b, e;
    uint8_t act, esc;
    uint16_t idx;  /* its span number */
};

/* The writer's hashes while a group entry is being filled: recorded, then passed on. */
struct gc_fill {
    struct gc_ent *e;
    void (*on_hash)(void *arg, uint64_t h);
    void *arg;
};

static void gc_record(void *arg, uint64_t h)
{
    struct gc_fill *f = arg;
    if (f->e->nh < GC_HMAX) f->e->h[f->e->nh++] = h;
    else f->e->bad = 1;
    f->on_hash(f->arg, h);
}

/*
 * The group text of END node x in line p (spans sp): [*gb, *gb + *gl), and
 * the group cache entry for it, prefetched (the record's other keys are
 * found meanwhile). NULL: the text does not fit an entry.
 */
static struct gc_ent *group_slot(struct nw__shapes *sh, const char *p, size_t len,
                                 const struct nw__spans *sp, const struct shape_node *x,
                                 size_t *gb, size_t *gl)
{
    size_t b0 = sp->v[2u * x->ub], ge = sp->v[2u * x->ul + 1];
    uint64_t a, h;
    struct gc_ent *e;

    if (b0 < x->uoff || ge > len || ge < b0 - x->uoff || ge - (b0 - x->uoff) > GC_BMAX ||
        ge - (b0 - x->uoff) < 16)
        return NULL;
    *gb = b0 - x->uoff;
    *gl = ge - *gb;
    /* every 8 bytes (one user's sessions differ only in the address); the bytes decide */
    h = *gl * 0x165667b19e3779f9ull;
    for (size_t k = 0; k + 8 < *gl; k += 8) {
        memcpy(&a, p + *gb + k, 8);
        h = (h ^ a) * 0x9e3779b97f4a7c15ull;
    }
    memcpy(&a, p + ge - 8, 8);
    h = (h ^ a) * 0xc2b2ae3d27d4eb4full;
    h ^= h >> 29;
    e = &sh->gc[(h * 0x9e3779b97f4a7c15ull) >> (64 - GC_BITS)];
    for (size_t k = 0; k < sizeof *e; k += 64) __builtin_prefetch((const char *)e + k);
    return e;
}

/*
 * Apply the actions of the key group of END node x, whose first pending value
 * is pd[0] (n pending from there): from the group cache entry e (group_slot,
 * NULL: none), or applied and recorded there. Returns how many pending
 * values it took (at least 1).
 */
static unsigned group_apply(struct nw__shapes *sh, struct ctx *c, const char *p, size_t len,
                            const struct pend *pd, unsigned n, const struct shape_node *x,
                            struct root_state *rs, struct gc_ent *e, size_t gb, size_t gl)
{
    unsigned m = 0;
    int bad = e == NULL;
    struct gc_fill f;

    while (m < n && pd[m].idx <= x->ul) { /* only key emitters in a group (no ts, type) */
        bad |= pd[m].act < A_IP || pd[m].act > A_DOM;
        m++;
    }
    if (bad) {
        for (unsigned k = 0; k < m; k++)
            act_apply(c, (enum act)pd[k].act, p + pd[k].b, pd[k].e - pd[k].b, pd[k].esc, rs);
        return m;
    }
    if (e->id && e->len == gl && lit_eq(e->b, gl, p, gb, len)) {
        if (sh->on_group) { /* the writer takes them at once */
            sh->on_group(c->arg, e->id, e->h, e->nh);
            return m;
        }
        for (unsigned k = 0; k < e->nh; k++) c->on_hash(c->arg, e->h[k]);
        return m;
    } else {
        e->id = 0; /* refilled below; stays empty if it overflows */
        e->len = (uint16_t)gl;
        e->nh = 0;
        e->bad = 0;
        memcpy(e->b, p + gb, gl);
        f.e = e, f.on_hash = c->on_hash, f.arg = c->arg;
        c->on_hash = gc_record, c->arg = &f;
        for (unsigned k = 0; k < m; k++)
            act_apply(c, (enum act)pd[k].act, p + pd[k].b, pd[k].e - pd[k].b, pd[k].esc, rs);
        c->on_hash = f.on_hash, c->arg = f.arg;
        if (e->bad) return m;
        e->id = sh->gc_next++;
    }
    if (sh->on_group) sh->on_group(c->arg, e->id, NULL, e->nh);
    return m;
}

/*
 * Follow the trie along the line. On a full match: spans noted, actions
 * applied (only then, so a record that leaves the path half way has emitted
 * nothing), *end the END node; returns 0 or NW_ENOENT like index_root.
 * 1: no known shape fits.
 */
static int shape_match(struct nw__shapes *sh, struct ctx *c, const char *p, size_t len,
                       struct root_state *rs, uint32_t *end)
{
    struct nw__spans *sp = c->sp;
    struct pend pend[SHAPE_ACTS];
    unsigned np = 0;
    uint32_t cur = 0, ch;
    size_t i = 0, gb = 0, gl = 0;
    const struct shape_node *xe;
    struct gc_ent *ge = NULL;

    sp->n = 0;
    sp->over = 0;
    sp->ntype = 0;
    sp->tcls = -1;
    for (;;) { /* bounded: every step goes one node deeper in a finite trie */
        const struct shape_node *x = NULL;
        size_t b = 0, e = 0;
        int esc = 0;
        for (ch = sh->node[cur].child; ch; ch = sh->node[ch].sib) {
            long n;
            x = &sh->node[ch];
            if (!lit_eq(sh->arena + x->piece, x->plen, p, i, len)) continue;
            b = i + x->plen;
            if (x->kind == S_END) {
                if (b == len) goto done;
                continue;
            }
            if (x->kind == S_STR) {
                n = sk_str_short(p, b - 1, len, &esc); /* the piece ends with the opening quote */
                if (n < 0) continue;
                e = (size_t)n - 1;
            } else {
                if ((n = sk_scalar(p, b, len)) < 0) continue;
                e = (size_t)n;
            }
            break;
        }
        if (ch == 0 || sp->n + 2 > sp->cap) return 1;
        sp->v[sp->n++] = (uint32_t)b;
        sp->v[sp->n++] = (uint32_t)e;
        if (x->act != A_NONE) {
            if (np == SHAPE_ACTS) return 1;
            pend[np].b = (uint32_t)b;
            pend[np].e = (uint32_t)e;
            pend[np].act = x->act;
            pend[np].idx = (uint16_t)(sp->n / 2 - 1);
            pend[np++].esc = (uint8_t)esc;
        }
        i = e;
        cur = ch;
    }
done:
    *end = ch;
    xe = &sh->node[ch];
    if (xe->ul >= xe->ub && sh->gc) ge = group_slot(sh, p, len, sp, xe, &gb, &gl);
    for (unsigned k = 0; k < np; k++) {
        if (pend[k].idx >= xe->ub && pend[k].idx <= xe->ul && sh->gc) {
            k += group_apply(sh, c, p, len, pend + k, np - k, xe, rs, ge, gb, gl) - 1;
            continue;
        }
        act_apply(c, (enum act)pend[k].act, p + pend[k].b, pend[k].e - pend[k].b, pend[k].esc, rs);
    }
    if (rs->is_session) emit_session_ip(c, rs->src_ip, rs->src_ip_len);
    return rs->have_ts ? 0 : NW_ENOENT;
}

/* The child of node cur with this kind and literal; created when absent (0: no room). */
static uint32_t shape_child(struct nw__shapes *sh, uint32_t cur, int kind, const char *lit,
                            size_t n, int act)
{
    struct shape_node *x;
    uint32_t ch;

    for (ch = sh->node[cur].child; ch; ch = sh->node[ch].sib) {
        x = &sh->node[ch];
        if (x->kind == kind && x->plen == n && memcmp(sh->arena + x->piece, lit, n) == 0)
            return x->act == act ? ch : 0; /* a different action here would be a bug */
    }
    if (sh->nnode >= SHAPE_NODES || n > SHAPE_ARENA - sh->alen) return 0;
    ch = sh->nnode++;
    x = &sh->node[ch];
    memset(x, 0, sizeof *x);
    x->piece = sh->alen;
    x->plen = (uint32_t)n;
    x->kind = (uint8_t)kind;
    x->act = (uint8_t)act;
    memcpy(sh->arena + sh->alen, lit, n);
    sh->alen += (uint32_t)n;
    x->sib = sh->node[cur].child;
    sh->node[cur].child = ch;
    return ch;
}

void nw__shapes_reset(struct nw__shapes *sh)
{
    sh->gen++; /* END node numbers are reused: the old template keys must not match */
    if (sh->gc) memset(sh->gc, 0, GC_SLOTS * sizeof *sh->gc); /* (fuzz replays start alike) */
    sh->tc.n = 0;
    sh->nnode = 1;
    sh->alen = 0;
    memset(&sh->node[0], 0, sizeof sh->node[0]);
}

static struct kc_ent *kc_table(const struct nw__shapes *sh) { return sh ? sh->kc : NULL; }

static struct ts_cache *ts_cache_of(const struct nw__shapes *sh)
{
    return sh ? (struct ts_cache *)&sh->tc : NULL;
}

void nw__shapes_on_group(struct nw__shapes *sh,
                         void (*on_group)(void *arg, uint64_t id, const uint64_t *h, unsigned n))
{
    sh->on_group = on_group;
}

uint64_t nw__shapes_hits(const struct nw__shapes *sh, uint64_t *misses)
{
    if (misses) *misses = sh->misses;
    return sh->hits;
}

/*
 * The key group of template sk/s (its values' actions acts[0..nv)), in END
 * node x: the values of the root member "user" when it is an object written
 * compactly ("user":{ at depth 1), up to the last one with an action.
 */
static void group_of(const uint8_t *sk, size_t s, const uint8_t *acts, size_t nv,
                     struct shape_node *x)
{
    struct nw__uobj u;
    size_t last = SIZE_MAX;

    if (!nw__tmpl_user_obj(sk, s, &u)) return;
    for (size_t k = u.b; k < u.e && k < nv; k++)
        if (acts[k] != A_NONE) last = k;
    if (last != SIZE_MAX && last <= UINT16_MAX && u.first - u.obj <= GC_BMAX)
        x->ub = (uint16_t)u.b, x->ul = (uint16_t)last, x->uoff = (uint16_t)(u.first - u.obj);
}

/* Add the path of a record the full pass accepted (spans and sh->acts filled). 0: none. */
static uint32_t shape_learn(struct nw__shapes *sh, const char *p, size_t len,
                            const struct nw__spans *sp)
{
    size_t nv = sp->n / 2, prev = 0, s = 0;
    uint32_t cur = 0;
    int fits = 1;

    if (sp->over || nv > SHAPE_VALS) return 0;
    if (sh->nnode + nv + 1 > SHAPE_NODES || len + TMPL_MAX_LEN > SHAPE_ARENA - sh->alen)
        nw__shapes_reset(sh);
    if (sh->nnode + nv + 1 > SHAPE_NODES || len + TMPL_MAX_LEN > SHAPE_ARENA - sh->alen)
        return 0; /* one record larger than the trie */
    for (size_t k = 0; k < nv; k++) {
        size_t b = sp->v[2 * k], e = sp->v[2 * k + 1];
        int kind = b > prev && p[b - 1] == '"' ? S_STR : S_BARE;
        if (b < prev || e < b || e > len) return 0;
        if ((cur = shape_child(sh, cur, kind, p + prev, b - prev, sh->acts[k])) == 0) return 0;
        if (fits && s + (b - prev) + 1 <= TMPL_MAX_LEN) {
            memcpy(sh->sk + s, p + prev, b - prev);
            s += b - prev;
            sh->sk[s++] = 1;
        } else {
            fits = 0;
        }
        prev = e;
    }
    {
        uint32_t ch = shape_child(sh, cur, S_END, p + prev, len - prev, A_NONE);
        struct shape_node *x;
        if (ch == 0) return 0;
        x = &sh->node[ch];
        if (x->sk == 0 && x->sklen == 0 && !x->tmpl_ok) { /* new: its template */
            x->ub = 1, x->ul = 0; /* no key group */
            if (fits && s + (len - prev) <= TMPL_MAX_LEN) {
                memcpy(sh->sk + s, p + prev, len - prev);
                s += len - prev;
                x->tmpl_ok = 1;
                x->sk = sh->alen;
                x->sklen = (uint32_t)s;
                x->h = nw__store_hash64(sh->sk, s, 5);
                group_of(sh->sk, s, sh->acts, nv, x);
                memcpy(sh->arena + sh->alen, sh->sk, s);
                sh->alen += (uint32_t)s;
            }
        }
        return ch;
    }
}

int nw__index_record_shaped(struct nw__shapes *sh, const char *line, size_t len, uint64_t *ts_us,
                            void (*on_hash)(void *arg, uint64_t h), void *arg,
                            struct nw__spans *sp, struct nw__shape_tmpl *t)
{
    struct ctx c = {NULL, arg, 0, sp, NULL, on_hash, sh, NULL, line + len};
    struct root_state rs = {ts_us, 0, 0, NULL, 0};
    uint32_t end = 0;
    int rc;

    t->sk = NULL;
    t->len = 0;
    t->h = 0;
    t->key = 0;
    rc = shape_match(sh, &c, line, len, &rs, &end);
    if (rc != 1) sh->hits++;
    if (rc == 1) {
        sh->misses++;
        sp->n = 0;
        sp->over = 0;
        sp->ntype = 0;
        sp->tcls = -1;
        c.acts = sp->cap / 2 <= SHAPE_VALS ? sh->acts : NULL;
        rc = index_root(&c, line, len, &rs);
        end = rc == 0 && c.acts ? shape_learn(sh, line, len, sp) : 0;
    }
    if (end && sh->node[end].tmpl_ok) {
        t->sk = sh->arena + sh->node[end].sk;
        t->len = sh->node[end].sklen;
        t->h = sh->node[end].h;
        t->key = (uint64_t)(sh->gen + 1u) << 32 | end;
    }
    return rc;
}
