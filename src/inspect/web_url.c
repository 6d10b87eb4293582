/*
 * web_url.c - http(s) URLs for the web probes: parse, resolve a reference
 * against a base (RFC 3986 section 5.2, path dot-segments removed), format.
 *
 * Invariants: every output fits its fixed buffer or the call fails; no
 * allocation; input is any bytes (attributes from hostile pages).
 */
#include "nw/web.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "nw/core.h"

int nw_web_is_url(const char *s)
{
    return s && (strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0);
}

/* Remove "." and ".." segments from an absolute path (in place, query kept). */
static void remove_dots(char *path)
{
    char out[NW_URL_PATH_MAX];
    size_t o = 0, i = 0, qpos = strcspn(path, "?");
    char q[NW_URL_PATH_MAX];

    snprintf(q, sizeof q, "%s", path + qpos);
    path[qpos] = '\0';
    while (path[i]) {
        /* path[i] == '/' always here */
        size_t j = i + 1, seg;
        while (path[j] && path[j] != '/') j++;
        seg = j - i - 1;
        if (seg == 1 && path[i + 1] == '.') {
            if (!path[j]) out[o++] = '/';
        } else if (seg == 2 && path[i + 1] == '.' && path[i + 2] == '.') {
            while (o > 0 && out[o - 1] != '/') o--; /* drop the last "/segment" */
            if (o > 0) o--;
            if (!path[j]) out[o++] = '/';
        } else if (o + (j - i) < sizeof out) {
            memcpy(out + o, path + i, j - i);
            o += j - i;
        }
        i = j;
    }
    if (o == 0) out[o++] = '/';
    out[o] = '\0';
    if (strlen(out) + strlen(q) < NW_URL_PATH_MAX) {
        memcpy(path, out, strlen(out));
        memcpy(path + strlen(out), q, strlen(q) + 1);
    } else {
        memcpy(path, out, strlen(out) + 1); /* the query does not fit: dropped */
    }
}

static int parse_authority(const char *p, size_t n, struct nw_url *u)
{
    const char *at = memchr(p, '@', n), *colon = NULL;
    size_t hl;

    if (at) return NW_EFORMAT; /* user info: never send credentials in URLs */
    if (n > 0 && p[0] == '[') {
        const char *rb = memchr(p, ']', n);
        if (rb == NULL) return NW_EFORMAT;
        hl = (size_t)(rb - p - 1);
        if (hl == 0 || hl >= sizeof u->host) return NW_EFORMAT;
        memcpy(u->host, p + 1, hl);
        u->host[hl] = '\0';
        if ((size_t)(rb + 1 - p) < n) {
            if (rb[1] != ':') return NW_EFORMAT;
            colon = rb + 1;
        }
    } else {
        colon = memchr(p, ':', n);
        hl = colon ? (size_t)(colon - p) : n;
        if (hl == 0 || hl >= sizeof u->host) return NW_EFORMAT;
        for (size_t i = 0; i < hl; i++) {
            unsigned char c = (unsigned char)p[i];
            if (c <= ' ' || c == '/' || c == '\\' || c == '?' || c == '#') return NW_EFORMAT;
            u->host[i] = (char)tolower(c);
        }
        u->host[hl] = '\0';
    }
    if (colon) {
        const char *e = p + n;
        unsigned long v = 0;
        const char *d = colon + 1;
        if (d == e) goto defport;
        for (; d < e; d++) {
            if (*d < '0' || *d > '9') return NW_EFORMAT;
            v = v * 10 + (unsigned long)(*d - '0');
            if (v > 65535) return NW_EFORMAT;
        }
        if (v == 0) return NW_EFORMAT;
        u->port = (uint16_t)v;
        return 0;
    }
defport:
    u->port = strcmp(u->scheme, "https") == 0 ? 443 : 80;
    return 0;
}

/* Copy a path/query, dropping the fragment and percent-encoding spaces and controls. */
static int copy_path(const char *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    static const char hex[] = "0123456789ABCDEF";

    for (size_t i = 0; i < n && p[i] != '#'; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\') {
            if (c == '\\') c = '/'; /* as browsers do */
            else {
                if (o + 3 >= cap) return NW_EFORMAT;
                out[o++] = '%';
                out[o++] = hex[c >> 4];
                out[o++] = hex[c & 15];
                continue;
            }
        }
        if (o + 1 >= cap) return NW_EFORMAT;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

int nw_web_url_parse(const char *s, struct nw_url *u)
{
    size_t n, sl, al;
    const char *a;

    memset(u, 0, sizeof *u);
    if (s == NULL) return NW_EFORMAT;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    n = strnlen(s, 8192);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t'))
        n--;
    if (n >= 7 && strncasecmp(s, "http://", 7) == 0) sl = 7, memcpy(u->scheme, "http", 5);
    else if (n >= 8 && strncasecmp(s, "https://", 8) == 0) sl = 8, memcpy(u->scheme, "https", 6);
    else return NW_EFORMAT;
    a = s + sl;
    al = strcspn(a, "/?#");
    if (al > n - sl) al = n - sl;
    if (parse_authority(a, al, u) != 0) return NW_EFORMAT;
    u->path[0] = '/';
    if (a[al] == '/') {
        if (copy_path(a + al, n - sl - al, u->path, sizeof u->path) != 0) return NW_EFORMAT;
    } else if (a[al] == '?') {
        if (copy_path(a + al, n - sl - al, u->path + 1, sizeof u->path - 1) != 0)
            return NW_EFORMAT;
    } else {
        u->path[1] = '\0';
    }
    remove_dots(u->path);
    return 0;
}

int nw_web_url_resolve(const struct nw_url *base, const char *ref, size_t n, struct nw_url *out)
{
    char tmp[NW_URL_PATH_MAX * 2];
    size_t i = 0;

    while (i < n && (ref[i] == ' ' || ref[i] == '\t' || ref[i] == '\n' || ref[i] == '\r')) i++;
    ref += i;
    n -= i;
    while (n > 0 && (ref[n - 1] == ' ' || ref[n - 1] == '\n' || ref[n - 1] == '\r' ||
                     ref[n - 1] == '\t'))
        n--;
    if (n >= sizeof tmp - 16) return NW_EFORMAT;
    /* a scheme? */
    for (i = 0; i < n && i < 16; i++) {
        char c = ref[i];
        if (c == ':') {
            memcpy(tmp, ref, n);
            tmp[n] = '\0';
            return nw_web_url_parse(tmp, out);
        }
        if (!isalnum((unsigned char)c) && c != '+' && c != '-' && c != '.') break;
    }
    if (n >= 2 && (ref[0] == '/' || ref[0] == '\\') && (ref[1] == '/' || ref[1] == '\\')) {
        int k = snprintf(tmp, sizeof tmp, "%s:%.*s", base->scheme, (int)n, ref);
        if (k < 0 || (size_t)k >= sizeof tmp) return NW_EFORMAT;
        return nw_web_url_parse(tmp, out);
    }
    *out = *base;
    if (n == 0 || ref[0] == '#') return 0;
    if (ref[0] == '/') {
        if (copy_path(ref, n, out->path, sizeof out->path) != 0) return NW_EFORMAT;
    } else if (ref[0] == '?') {
        size_t pl = strcspn(base->path, "?");
        if (pl >= sizeof tmp) return NW_EFORMAT;
        memcpy(tmp, base->path, pl);
        if (copy_path(ref, n, tmp + pl, sizeof tmp - pl) != 0) return NW_EFORMAT;
        if (strlen(tmp) >= sizeof out->path) return NW_EFORMAT;
        memcpy(out->path, tmp, strlen(tmp) + 1);
    } else {
        size_t pl = strcspn(base->path, "?");
        while (pl > 0 && base->path[pl - 1] != '/') pl--;
        memcpy(tmp, base->path, pl);
        if (copy_path(ref, n, tmp + pl, sizeof tmp - pl) != 0) return NW_EFORMAT;
        if (strlen(tmp) >= sizeof out->path) return NW_EFORMAT;
        memcpy(out->path, tmp, strlen(tmp) + 1);
    }
    remove_dots(out->path);
    return 0;
}

void nw_web_url_format(const struct nw_url *u, char *out, size_t cap)
{
    int def = (strcmp(u->scheme, "https") == 0 && u->port == 443) ||
              (strcmp(u->scheme, "http") == 0 && u->port == 80);
    int v6 = strchr(u->host, ':') != NULL;
    char port[8] = "";

    if (!def) snprintf(port, sizeof port, ":%u", u->port);
    snprintf(out, cap, "%s://%s%s%s%s%s", u->scheme, v6 ? "[" : "", u->host, v6 ? "]" : "", port,
             u->path);
}
