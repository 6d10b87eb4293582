/*
 * jsonscan.h - a small, allocation-free, bounded JSON reader over one record
 * line (the read side of the store, import validation, query filters).
 *
 * It never copies or allocates: a value is a slice of the caller's line.
 * Every read is bounds-checked against len (the line need not be
 * NUL-terminated), nesting is capped at NW_JSON_MAX_DEPTH, and every loop is
 * bounded by the input length, so hostile input is safe (fuzz/fuzz_jsonscan.c).
 *
 * Grammar checked: RFC 8259 (objects, arrays, strings with valid escapes and
 * no raw control characters, numbers, true/false/null). Not checked: UTF-8
 * validity of string bytes >= 0x80, duplicate member names (the first wins
 * in nw_json_get). All functions are thread-safe (no state).
 *
 * Stability: S2 (query) builds on this header; changes are additive and are
 * listed in the change log at the bottom.
 */
#ifndef NW_JSONSCAN_H
#define NW_JSONSCAN_H

#include <stddef.h>
#include <stdint.h>

#define NW_JSON_MAX_DEPTH 64

enum nw_json_type {
    NW_JSON_NONE = 0, /* no value (iterator: array elements have no key) */
    NW_JSON_NULL,
    NW_JSON_FALSE,
    NW_JSON_TRUE,
    NW_JSON_NUMBER,
    NW_JSON_STRING,
    NW_JSON_OBJECT,
    NW_JSON_ARRAY
};

/*
 * A value inside a line. For NW_JSON_STRING, p/len is the content between
 * the quotes, still escaped (a string without '\\' is already its bytes). For
 * every other type it is the whole token: "123", "true", "{...}", "[...]".
 */
struct nw_json_val {
    int type;      /* enum nw_json_type */
    const char *p; /* into the caller's line; valid while the line is */
    size_t len;
};

/*
 * Is line[0..len) exactly one JSON object, optionally surrounded by
 * whitespace (so a trailing "\n" or "\r\n" is fine)? Returns 0 if so,
 * NW_EFORMAT if not; *errpos (may be NULL) gets the byte offset of the
 * first problem.
 */
int nw_json_validate(const char *line, size_t len, size_t *errpos);

/*
 * The root value of line (leading whitespace skipped). Returns 0 and fills
 * out, or NW_EFORMAT. Only the root value is validated, not trailing bytes.
 */
int nw_json_root(const char *line, size_t len, struct nw_json_val *out);

/*
 * Look up a dotted path from the root object: "user.account",
 * "dns.queries.0.rrname". A segment made only of digits indexes an array
 * when the value at that point is an array, and names a member otherwise.
 * Member names containing '.' cannot be addressed. The empty path "" is the
 * root. Returns 1 and fills out when found, 0 when absent (or a segment
 * crosses a scalar), NW_EFORMAT when the part of the line scanned is not
 * valid JSON, NW_EINVAL for a path longer than 255 bytes or with > 64
 * segments. Scans only as far as needed (cost: one pass, at most).
 */
int nw_json_get(const char *line, size_t len, const char *path, struct nw_json_val *out);

/* Same, with the path as a slice (not NUL-terminated). */
int nw_json_getn(const char *line, size_t len, const char *path, size_t pathlen,
                 struct nw_json_val *out);

/*
 * Look up one member of an object value (no dotted path). Returns 1 found,
 * 0 absent or v not an object, NW_EFORMAT malformed.
 */
int nw_json_member(const struct nw_json_val *obj, const char *name, size_t namelen,
                   struct nw_json_val *out);

/*
 * Unescape a value into buf (NUL-terminated). Strings are decoded (\uXXXX
 * to UTF-8, surrogate pairs joined, a lone surrogate becomes U+FFFD); any
 * other type is copied as its raw token. Returns the length written
 * (excluding the NUL; a "\u0000" in the string yields a 0 byte inside), or
 * NW_ETRUNC if bufsize is too small, NW_EFORMAT for a bad escape.
 */
int nw_json_val_str(const struct nw_json_val *v, char *buf, size_t bufsize);

/*
 * Does the string value v equal s[0..n) once unescaped? Fast path: memcmp
 * when v has no escapes. Returns 1 or 0 (0 also when v is not a string).
 */
int nw_json_str_eq(const struct nw_json_val *v, const char *s, size_t n);

/*
 * Iterate the members of an object or the elements of an array:
 *   struct nw_json_iter it; struct nw_json_val k, v;
 *   nw_json_iter_init(&it, &obj);
 *   while ((rc = nw_json_iter_next(&it, &k, &v)) == 1) ...
 * next returns 1 with key (type NW_JSON_STRING for members, NW_JSON_NONE for
 * array elements; key may be NULL) and value, 0 at the end, NW_EFORMAT on
 * malformed input (and keeps returning it). Values are validated as they
 * are passed over, so a full iteration validates the container.
 */
struct nw_json_iter {
    const char *p;   /* next byte to read */
    const char *end; /* one past the container's closing bracket */
    int is_obj;
    int state;       /* 0 first, 1 after an element, 2 done, <0 error */
};
int nw_json_iter_init(struct nw_json_iter *it, const struct nw_json_val *container);
int nw_json_iter_next(struct nw_json_iter *it, struct nw_json_val *key, struct nw_json_val *val);

/*
 * Parse one JSON value starting at p (no leading whitespace skipped) and
 * return the number of bytes it spans, or NW_EFORMAT. depth is the current
 * nesting (0 at the root). The building block of everything above; exposed
 * so scanners can skip values fast.
 */
long nw_json_skip(const char *p, size_t len, int depth, struct nw_json_val *out);

/* The length of the JSON number at p (RFC 8259 grammar), or -1 if p does not
 * start with one. Shared by every validating scanner. */
long nw_json_number_len(const char *p, size_t len);

/*
 * Parse an RFC 3339 time as found in records: "2024-05-01T12:00:00.123456+08:00",
 * also Suricata's "+0800" offset form, "Z", a space instead of 'T', and 0-9
 * fraction digits. Returns 0 and *us (microseconds since the epoch, UTC), or
 * NW_EFORMAT. Years 1970..9999 only.
 */
int nw_json_parse_time(const char *s, size_t len, uint64_t *us);

/*
 * Change log (additive only):
 *  v1  first version: validate, root, get/getn, member, val_str, str_eq,
 *      iter, skip, parse_time.
 */

#endif /* NW_JSONSCAN_H */
