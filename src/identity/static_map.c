/*
 * static_map.c - the static identity map: a CSV file of addresses whose owner
 * is known in advance (servers, printers, fixed-address users).
 *
 * Format, one entry per line:  ip,mac,account,calling_station,hostname
 * Only ip is required; empty or missing trailing fields mean "unknown", but
 * an entry must name at least one of the other fields. '#' starts a comment
 * (whole line or after the fields); blank lines are skipped; spaces around
 * fields are trimmed; CRLF line ends are accepted. A later line for the same
 * address refines the earlier one. Any bad line stops the load with
 * "FILE:LINE: what is wrong; expected ..." so the operator can fix it.
 *
 * Entries go in through nw_identity_login() with source static and time 0,
 * so they apply at every time and never produce session records.
 */
#include "nw/identity.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define STATIC_MAX_FILE (64u << 20)  /* refuse absurd files instead of exhausting memory */
#define STATIC_MAX_LINE 4096u
#define STATIC_FORMAT "expected ip,mac,account,calling_station,hostname"

struct field {
    const char *p;
    size_t n;
};

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static struct field trim(const char *p, size_t n)
{
    while (n && is_space(p[0])) p++, n--;
    while (n && is_space(p[n - 1])) n--;
    return (struct field){p, n};
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* "aa:bb:cc:dd:ee:ff" or with '-' separators. */
static int parse_mac(struct field f, uint8_t mac[6])
{
    if (f.n != 17) return -1;
    for (int i = 0; i < 6; i++) {
        int hi = hexval(f.p[i * 3]), lo = hexval(f.p[i * 3 + 1]);
        if (hi < 0 || lo < 0) return -1;
        if (i < 5 && f.p[i * 3 + 2] != ':' && f.p[i * 3 + 2] != '-') return -1;
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static int parse_ip(struct field f, struct nw_ident_info *in)
{
    char tmp[64];

    if (f.n == 0 || f.n >= sizeof tmp) return -1;
    memcpy(tmp, f.p, f.n);
    tmp[f.n] = '\0';
    memset(in->ip, 0, sizeof in->ip);
    if (inet_pton(AF_INET, tmp, in->ip) == 1) {
        in->family = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, tmp, in->ip) == 1) {
        in->family = 6;
        return 0;
    }
    return -1;
}

static int put_text(char *dst, size_t cap, struct field f)
{
    if (f.n >= cap) return -1;
    for (size_t i = 0; i < f.n; i++)
        if ((unsigned char)f.p[i] < 0x20 || f.p[i] == '"') return -1;
    memcpy(dst, f.p, f.n);
    dst[f.n] = '\0';
    return 0;
}

/* One line (without its '\n'). 0 = entry or nothing, else NW_EFORMAT with err set. */
static int parse_line(struct nw_identity *id, const char *name, unsigned lineno, const char *p,
                      size_t n, struct nw_err *err)
{
    static const char *const what[] = {"IP address", "MAC address", "account",
                                       "calling station", "hostname"};
    struct field f[5];
    struct nw_ident_info in;
    const char *hash = memchr(p, '#', n);
    size_t nf = 0, start = 0;
    int rc;

    if (hash != NULL) n = (size_t)(hash - p);
    if (trim(p, n).n == 0) return 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] != ',') continue;
        if (nf == NW_ARRAY_LEN(f))
            return nw_err_set(err, NW_EFORMAT, "%s:%u: more than 5 fields; " STATIC_FORMAT,
                              name, lineno);
        f[nf++] = trim(p + start, i - start);
        start = i + 1;
    }
    memset(&in, 0, sizeof in);
    in.source = NW_IDSRC_STATIC;
    if (parse_ip(f[0], &in) != 0)
        return nw_err_set(err, NW_EFORMAT, "%s:%u: bad %s \"%.*s\"; " STATIC_FORMAT, name, lineno,
                          what[0], (int)NW_MIN(f[0].n, 64u), f[0].p);
    if (nf > 1 && f[1].n) {
        if (parse_mac(f[1], in.mac) != 0)
            return nw_err_set(err, NW_EFORMAT,
                              "%s:%u: bad %s \"%.*s\" (write it as aa:bb:cc:dd:ee:ff); "
                              STATIC_FORMAT, name, lineno, what[1], (int)NW_MIN(f[1].n, 64u),
                              f[1].p);
        in.has_mac = 1;
    }
    for (size_t i = 2; i < nf; i++) {
        char *dst = i == 2 ? in.account : i == 3 ? in.calling_station : in.hostname;
        size_t cap = i == 2 ? sizeof in.account
                            : i == 3 ? sizeof in.calling_station : sizeof in.hostname;
        if (put_text(dst, cap, f[i]) != 0)
            return nw_err_set(err, NW_EFORMAT,
                              "%s:%u: %s is longer than %zu bytes or holds control characters "
                              "or quotes; " STATIC_FORMAT, name, lineno, what[i], cap - 1);
    }
    if (!in.has_mac && !in.account[0] && !in.calling_station[0] && !in.hostname[0])
        return nw_err_set(err, NW_EFORMAT,
                          "%s:%u: entry names only an address; " STATIC_FORMAT
                          " with at least one field after the address", name, lineno);
    rc = nw_identity_login(id, &in, 0);
    if (rc != 0)
        return nw_err_set(err, rc, "%s:%u: cannot add the entry (%s); raise the identity memcap",
                          name, lineno, nw_strerror(rc));
    return 0;
}

int nw_identity_load_static_buf(struct nw_identity *id, const char *name, const char *data,
                                size_t len, struct nw_err *err)
{
    unsigned lineno = 0;
    size_t off = 0;

    if (id == NULL || (data == NULL && len)) return nw_err_set(err, NW_EINVAL, "no table");
    while (off < len) {
        const char *nl = memchr(data + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (data + off)) : len - off;
        int rc;

        lineno++;
        if (n > STATIC_MAX_LINE)
            return nw_err_set(err, NW_EFORMAT, "%s:%u: line longer than %u bytes; " STATIC_FORMAT,
                              name, lineno, STATIC_MAX_LINE);
        if (memchr(data + off, '\0', n) != NULL)
            return nw_err_set(err, NW_EFORMAT, "%s:%u: NUL byte; is this a text file?", name,
                              lineno);
        rc = parse_line(id, name, lineno, data + off, n, err);
        if (rc != 0) return rc;
        off += n + 1;
    }
    return 0;
}

int nw_identity_load_static(struct nw_identity *id, const char *path, struct nw_err *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;

    if (f == NULL)
        return nw_err_set(err, NW_EIO, "cannot open static map %s: %s; check the path given to "
                          "the static map option", path, strerror(errno));
    for (;;) {
        size_t got;
        if (len == cap) {
            char *nb;
            if (cap >= STATIC_MAX_FILE) {
                rc = nw_err_set(err, NW_ELIMIT, "%s: static map larger than %u MiB; split it or "
                                "trim it", path, STATIC_MAX_FILE >> 20);
                goto out;
            }
            cap = cap ? cap * 2 : 65536;
            nb = nw_realloc(buf, cap);
            if (nb == NULL) {
                rc = nw_err_set(err, NW_ENOMEM, "%s: out of memory reading the static map", path);
                goto out;
            }
            buf = nb;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        rc = nw_err_set(err, NW_EIO, "cannot read static map %s: %s", path, strerror(errno));
        goto out;
    }
    rc = nw_identity_load_static_buf(id, path, buf, len, err);
out:
    nw_free(buf);
    fclose(f);
    return rc;
}
