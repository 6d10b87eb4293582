/*
 * json.h - growable byte buffer and a streaming JSON writer over it.
 *
 * The writer is stateless: before a key or value it looks at the last byte
 * written and adds a comma unless that byte opens a container or ends a key.
 * So callers just write keys and values in order. Strings are bytes from the
 * wire: valid UTF-8 passes through, control characters and bytes that are not
 * valid UTF-8 are escaped as \u00XX, so output is always valid JSON.
 *
 * Out of memory sets b->oom; writes become no-ops and the caller checks oom
 * once at the end (nw_buf_ok). Not thread-safe per buffer.
 */
#ifndef NW_JSON_H
#define NW_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* why a buffer stopped growing (nw_buf.oom): past its max, or an allocation failed */
enum { NW_BUF_OVER_MAX = 1, NW_BUF_NOMEM = 2 };

struct nw_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* 0 = unbounded; else appending past max sets oom */
    int oom; /* 0, NW_BUF_OVER_MAX or NW_BUF_NOMEM (nw_buf_ok: 0) */
    int borrowed; /* data is the caller's storage (nw_buf_init_with), not ours to free */
};

void nw_buf_init(struct nw_buf *b, size_t max);
/* Start in the caller's storage (e.g. a stack array) and move to the heap
 * only if it outgrows it: per-record scratch buffers then cost no malloc. */
void nw_buf_init_with(struct nw_buf *b, char *storage, size_t size, size_t max);
void nw_buf_fini(struct nw_buf *b);
static inline void nw_buf_reset(struct nw_buf *b) { b->len = 0; b->oom = 0; }
/* Cut b back to its first len bytes (len <= b->len) and clear oom. */
static inline void nw_buf_truncate(struct nw_buf *b, size_t len) { b->len = len; b->oom = 0; }
static inline int nw_buf_ok(const struct nw_buf *b) { return !b->oom; }
int nw_buf_reserve(struct nw_buf *b, size_t extra);
void nw__buf_append_slow(struct nw_buf *b, const void *p, size_t n);
void nw__json_keyn(struct nw_buf *b, const char *key, size_t n);

/* Every record is built from many small appends: the common case (room in
 * the buffer) is inline; growth and out-of-memory go out of line. */
static inline void nw_buf_append(struct nw_buf *b, const void *p, size_t n)
{
    if (n <= b->cap - b->len && !b->oom) {
        if (n) memcpy(b->data + b->len, p, n);
        b->len += n;
        return;
    }
    nw__buf_append_slow(b, p, n);
}

static inline void nw_buf_putc(struct nw_buf *b, char c)
{
    if (b->len < b->cap && !b->oom) {
        b->data[b->len++] = c;
        return;
    }
    nw__buf_append_slow(b, &c, 1);
}
void nw_buf_puts(struct nw_buf *b, const char *s);
void nw_buf_printf(struct nw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hot-path appenders (no printf): decimal, and fixed-width lower-case hex. */
void nw_buf_put_uint(struct nw_buf *b, uint64_t v);
void nw_buf_put_hex(struct nw_buf *b, uint64_t v, int digits);

/* Containers. k variants write "key": first. */
void nw_json_obj_open(struct nw_buf *b);
void nw_json_obj_close(struct nw_buf *b);
void nw_json_arr_open(struct nw_buf *b);
void nw_json_arr_close(struct nw_buf *b);
void nw_json_kobj_open(struct nw_buf *b, const char *key);
void nw_json_karr_open(struct nw_buf *b, const char *key);

/* Inline so that strlen of a literal key is folded at compile time. */
static inline void nw_json_key(struct nw_buf *b, const char *key)
{
    nw__json_keyn(b, key, strlen(key));
}
void nw_json_str(struct nw_buf *b, const void *s, size_t len); /* wire bytes */
void nw_json_cstr(struct nw_buf *b, const char *s);
void nw_json_int(struct nw_buf *b, int64_t v);
void nw_json_uint(struct nw_buf *b, uint64_t v);
void nw_json_bool(struct nw_buf *b, int v);
void nw_json_null(struct nw_buf *b);
void nw_json_raw(struct nw_buf *b, const char *s, size_t len); /* pre-encoded value */
void nw_json_hex(struct nw_buf *b, const uint8_t *p, size_t len); /* "0a1b.." */
void nw_json_mac(struct nw_buf *b, const uint8_t mac[6]);        /* "aa:bb:..." */
void nw_json_ip(struct nw_buf *b, int family, const uint8_t *addr); /* family 4 or 6 */
void nw_json_time(struct nw_buf *b, uint64_t ts_us);              /* RFC 3339 */

/* Keyed writers. Inline so that strlen of a literal key is folded at
 * compile time; the nw__json_k*n workers write key and value in one go. */
void nw__json_kstrn(struct nw_buf *b, const char *key, size_t klen, const void *s, size_t len);
void nw__json_kintn(struct nw_buf *b, const char *key, size_t klen, int64_t v);
void nw__json_kuintn(struct nw_buf *b, const char *key, size_t klen, uint64_t v);
void nw__json_kipn(struct nw_buf *b, const char *key, size_t klen, int family, const uint8_t *addr);
void nw__json_ktimen(struct nw_buf *b, const char *key, size_t klen, uint64_t ts_us);

static inline void nw_json_kstr(struct nw_buf *b, const char *key, const void *s, size_t len)
{
    nw__json_kstrn(b, key, strlen(key), s, len);
}
static inline void nw_json_kcstr(struct nw_buf *b, const char *key, const char *s)
{
    nw__json_kstrn(b, key, strlen(key), s, strlen(s));
}
static inline void nw_json_kint(struct nw_buf *b, const char *key, int64_t v)
{
    nw__json_kintn(b, key, strlen(key), v);
}
static inline void nw_json_kuint(struct nw_buf *b, const char *key, uint64_t v)
{
    nw__json_kuintn(b, key, strlen(key), v);
}
static inline void nw_json_kbool(struct nw_buf *b, const char *key, int v)
{
    nw_json_key(b, key);
    nw_json_bool(b, v);
}
static inline void nw_json_kmac(struct nw_buf *b, const char *key, const uint8_t mac[6])
{
    nw_json_key(b, key);
    nw_json_mac(b, mac);
}
static inline void nw_json_kip(struct nw_buf *b, const char *key, int family, const uint8_t *addr)
{
    nw__json_kipn(b, key, strlen(key), family, addr);
}
static inline void nw_json_ktime(struct nw_buf *b, const char *key, uint64_t ts_us)
{
    nw__json_ktimen(b, key, strlen(key), ts_us);
}
/* A span of time as seconds with microseconds: "key":1.536000 */
void nw_json_kduration(struct nw_buf *b, const char *key, uint64_t us);
static inline void nw_json_khex(struct nw_buf *b, const char *key, const uint8_t *p, size_t len)
{
    nw_json_key(b, key);
    nw_json_hex(b, p, len);
}

/* Format helpers usable outside JSON. out must hold 46 / 18 bytes. */
size_t nw_fmt_ip(char *out, int family, const uint8_t *addr);
size_t nw_fmt_mac(char *out, const uint8_t mac[6]);
/* Decimal digits of v (no NUL); out must hold 20 bytes. Returns the count. */
size_t nw_fmt_uint(char *out, uint64_t v);

/* For callers that size a run of members exactly, reserve it once
 * (nw_buf_reserve) and then write it unchecked: copy n bytes to p and
 * return the end; NW_PUT_LIT copies a string literal without its NUL. */
static inline char *nw_put_bytes(char *p, const void *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}
#define NW_PUT_LIT(p, lit) nw_put_bytes((p), (lit), sizeof(lit) - 1)

/* 1 if s goes into a JSON string unescaped (printable ASCII, no '"' or '\\') */
int nw_json_plain(const void *s, size_t len);

/* 1 for the bytes after which a new member or element needs no comma
 * ('{', '[', ':', '\n'): the writer is stateless and looks at the last byte. */
extern const uint8_t nw_json_no_comma[256];

/* 1 if the next member or element needs a comma first (the writer's own
 * rule, for callers that write a run of members with one reservation). */
static inline int nw_json_comma_needed(const struct nw_buf *b)
{
    return b->len != 0 && !nw_json_no_comma[(uint8_t)b->data[b->len - 1]];
}

#endif /* NW_JSON_H */
