/*
 * query_parse.c - filters of `netwarden query` from text: time expressions,
 * IP/CIDR, MAC, event types, and the store index keys a query implies.
 *
 * Input is whatever a user (or a fuzzer) typed: every parser here is bounded
 * by the string's length, rejects rather than guesses, and says in its error
 * which forms are accepted. Nothing allocates except nw_query_keys_build.
 */
#include "nw/query.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define TIME_FORMS                                                                              \
    "RFC 3339 (2026-09-03T14:05:00+08:00), '2026-09-03 14:05[:07]', 2026-09-03, "             \
    "-90s/-30m/-2h/-7d/-1w, now, today, yesterday or @EPOCH_SECONDS"

void nw_query_init(struct nw_query *q)
{
    memset(q, 0, sizeof *q);
    q->until_us = UINT64_MAX;
    q->format = NW_QUERY_FMT_JSON;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Read exactly n digits at s; returns -1 if any is not a digit. */
static long digits(const char *s, int n)
{
    long v = 0;

    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static unsigned days_in_month(long y, long m)
{
    static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : dm[m - 1];
}

/* Local midnight of now's day shifted by day_delta days. */
static int local_midnight(uint64_t now_us, int day_delta, uint64_t *out)
{
    time_t t = (time_t)(now_us / 1000000u), r;
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL) return -1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_mday += day_delta;
    tm.tm_isdst = -1;
    r = mktime(&tm);
    if (r == (time_t)-1 || r < 0) return -1;
    *out = (uint64_t)r * 1000000u;
    return 0;
}

int nw_query_parse_time(const char *s, uint64_t now_us, uint64_t *out, struct nw_err *err)
{
    size_t n = strlen(s);
    long y, mo, d, h = 0, mi = 0, sec = 0;
    uint64_t frac_us = 0;
    size_t i;
    int has_off = 0;
    long off_min = 0;

    if (strcmp(s, "now") == 0) {
        *out = now_us;
        return 0;
    }
    if (strcmp(s, "today") == 0 || strcmp(s, "yesterday") == 0) {
        if (local_midnight(now_us, s[0] == 't' ? 0 : -1, out) == 0) return 0;
        goto bad;
    }
    if (n >= 3 && s[0] == '-' && n <= 12) { /* -2h */
        uint64_t v = 0, mul;
        for (i = 1; i + 1 < n; i++) {
            if (!is_digit(s[i])) goto bad;
            v = v * 10 + (uint64_t)(s[i] - '0'); /* <= 10 digits: no overflow */
        }
        switch (s[n - 1]) {
        case 's': mul = 1; break;
        case 'm': mul = 60; break;
        case 'h': mul = 3600; break;
        case 'd': mul = 86400; break;
        case 'w': mul = 7 * 86400; break;
        default: goto bad;
        }
        mul *= 1000000u;
        *out = v > now_us / mul ? 0 : now_us - v * mul; /* before the epoch: the epoch */
        return 0;
    }
    if (n >= 2 && n <= 13 && s[0] == '@') { /* @EPOCH */
        uint64_t v = 0;
        for (i = 1; i < n; i++) {
            if (!is_digit(s[i])) goto bad;
            v = v * 10 + (uint64_t)(s[i] - '0');
        }
        if (v > 253402300799u) goto bad; /* 9999-12-31T23:59:59Z */
        *out = v * 1000000u;
        return 0;
    }

    /* YYYY-MM-DD[(T|t| )HH:MM[:SS[.frac]]][Z|z|+HH:MM|-HH:MM] */
    if (n < 10 || s[4] != '-' || s[7] != '-') goto bad;
    y = digits(s, 4);
    mo = digits(s + 5, 2);
    d = digits(s + 8, 2);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > (long)days_in_month(y, mo)) goto bad;
    i = 10;
    if (i < n) {
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') goto bad;
        if (n - i < 6 || s[i + 3] != ':') goto bad;
        h = digits(s + i + 1, 2);
        mi = digits(s + i + 4, 2);
        if (h < 0 || h > 23 || mi < 0 || mi > 59) goto bad;
        i += 6;
        if (i < n && s[i] == ':') {
            if (n - i < 3) goto bad;
            sec = digits(s + i + 1, 2);
            if (sec < 0 || sec > 60) goto bad;
            if (sec == 60) sec = 59; /* leap second: the record clock cannot say it either */
            i += 3;
            if (i < n && s[i] == '.') {
                uint64_t scale = 100000;
                size_t k = i + 1;
                for (; k < n && is_digit(s[k]) && k - i <= 9; k++) {
                    frac_us += (uint64_t)(s[k] - '0') * scale;
                    scale /= 10;
                }
                if (k == i + 1 || (k < n && is_digit(s[k]))) goto bad;
                i = k;
            }
        }
        if (i < n) {
            if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
                has_off = 1;
                i++;
            } else if ((s[i] == '+' || s[i] == '-') && n - i == 6 && s[i + 3] == ':') {
                long oh = digits(s + i + 1, 2), om = digits(s + i + 4, 2);
                if (oh < 0 || oh > 23 || om < 0 || om > 59) goto bad;
                off_min = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
                has_off = 1;
                i += 6;
            } else {
                goto bad;
            }
        }
    }
    if (i != n) goto bad;
    if (has_off) {
        int64_t secs = nw_time_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
                       mi * 60 + sec - off_min * 60;
        if (secs < 0) goto bad;
        *out = (uint64_t)secs * 1000000u + frac_us;
    } else {
        struct tm tm;
        time_t r;
        memset(&tm, 0, sizeof tm);
        tm.tm_year = (int)y - 1900;
        tm.tm_mon = (int)mo - 1;
        tm.tm_mday = (int)d;
        tm.tm_hour = (int)h;
        tm.tm_min = (int)mi;
        tm.tm_sec = (int)sec;
        tm.tm_isdst = -1;
        r = mktime(&tm);
        if (r == (time_t)-1 || r < 0) goto bad;
        *out = (uint64_t)r * 1000000u + frac_us;
    }
    return 0;
bad:
    return nw_err_set(err, NW_EINVAL, "bad time '%.64s'; accepted: " TIME_FORMS, s);
}

int nw_query_parse_net(const char *s, struct nw_query_net *out, struct nw_err *err)
{
    char buf[64], txt[INET6_ADDRSTRLEN];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    unsigned maxp, prefix;

    memset(out, 0, sizeof *out);
    if (alen == 0 || alen >= sizeof buf) goto bad;
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->family = 4;
        maxp = 32;
    } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        out->family = 6;
        maxp = 128;
    } else {
        goto bad;
    }
    prefix = maxp;
    if (slash) {
        const char *p = slash + 1;
        size_t k, pl = strlen(p);
        if (pl == 0 || pl > 3) goto bad;
        prefix = 0;
        for (k = 0; k < pl; k++) {
            if (!is_digit(p[k])) goto bad;
            prefix = prefix * 10 + (unsigned)(p[k] - '0');
        }
        if (prefix > maxp) goto bad;
        /* host bits must be zero: 10.1.2.3/16 is more likely a typo than a network */
        for (unsigned b = prefix; b < maxp; b++)
            if (out->addr[b / 8] & (0x80u >> (b % 8))) {
                memset(out, 0, sizeof *out);
                return nw_err_set(err, NW_EINVAL,
                                  "'%.64s' has host bits set after /%u; write the network "
                                  "address (for example 10.1.0.0/16)", s, prefix);
            }
    }
    out->prefix = prefix;
    if (inet_ntop(out->family == 4 ? AF_INET : AF_INET6, out->addr, txt, sizeof txt) == NULL)
        goto bad;
    if (prefix == maxp)
        snprintf(out->text, sizeof out->text, "%s", txt);
    else
        snprintf(out->text, sizeof out->text, "%s/%u", txt, prefix);
    return 0;
bad:
    memset(out, 0, sizeof *out);
    return nw_err_set(err, NW_EINVAL,
                      "bad address '%.64s'; accepted: an IPv4 or IPv6 address (10.1.2.3, "
                      "2001:db8::1) or a CIDR network (10.1.0.0/16, 2001:db8::/32)", s);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int nw_query_parse_mac(const char *s, char out[18], struct nw_err *err)
{
    static const char hx[] = "0123456789abcdef";
    size_t n = strlen(s);

    if (n != 17) goto bad;
    for (int k = 0; k < 6; k++) {
        int a = hexval(s[k * 3]), b = hexval(s[k * 3 + 1]);
        if (a < 0 || b < 0) goto bad;
        if (k < 5 && s[k * 3 + 2] != ':' && s[k * 3 + 2] != '-') goto bad;
        if (k < 5 && s[k * 3 + 2] != s[2]) goto bad; /* one separator throughout */
        out[k * 3] = hx[a];
        out[k * 3 + 1] = hx[b];
        out[k * 3 + 2] = k < 5 ? ':' : '\0';
    }
    return 0;
bad:
    out[0] = '\0';
    return nw_err_set(err, NW_EINVAL,
                      "bad MAC address '%.64s'; accepted: six hex pairs separated by ':' or '-' "
                      "(aa:bb:cc:dd:ee:ff)", s);
}

static int add_types(struct nw_query *q, const char *v, struct nw_err *err)
{
    const char *p = v;

    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p), k;
        int dup = 0;
        if (len == 0 || len >= NW_QUERY_TYPE_LEN) goto bad;
        for (k = 0; k < len; k++)
            if (!((p[k] >= 'a' && p[k] <= 'z') || is_digit(p[k]) || p[k] == '_')) goto bad;
        for (k = 0; k < q->ntypes; k++)
            if (strlen(q->types[k]) == len && memcmp(q->types[k], p, len) == 0) dup = 1;
        if (!dup) {
            if (q->ntypes >= NW_QUERY_MAX_TYPES)
                return nw_err_set(err, NW_EINVAL, "--type: at most %d event types",
                                  NW_QUERY_MAX_TYPES);
            memcpy(q->types[q->ntypes], p, len);
            q->types[q->ntypes][len] = '\0';
            q->ntypes++;
        }
        if (e == NULL) return 0;
        p = e + 1;
    }
bad:
    return nw_err_set(err, NW_EINVAL,
                      "--type '%.64s': event types are lower-case names separated by commas "
                      "(dns,http,tls,quic,flow,dhcp,radius,pppoe,login,smtp,session,...)", v);
}

static int set_str(char *dst, size_t cap, const char *name, const char *v, struct nw_err *err)
{
    size_t n = strlen(v);

    if (n == 0) return nw_err_set(err, NW_EINVAL, "--%s: the value is empty", name);
    if (n >= cap)
        return nw_err_set(err, NW_EINVAL, "--%s: the value is longer than %zu bytes", name,
                          cap - 1);
    memcpy(dst, v, n + 1);
    return 0;
}

static int set_domain(struct nw_query *q, const char *v, struct nw_err *err)
{
    size_t n = strlen(v);

    while (n > 0 && v[n - 1] == '.') n--; /* "example.com." is the same name */
    if (n > 2 && v[0] == '*' && v[1] == '.') { /* "*.example.com" means the suffix too */
        v += 2;
        n -= 2;
    }
    while (n > 0 && v[0] == '.') {
        v++;
        n--;
    }
    if (n == 0 || n >= sizeof q->domain)
        return nw_err_set(err, NW_EINVAL,
                          "--domain '%.64s': give a domain name such as example.com "
                          "(matches it and every name under it)", v);
    for (size_t k = 0; k < n; k++) {
        char c = v[k];
        if (c == ' ' || c == '\t' || c == '/')
            return nw_err_set(err, NW_EINVAL,
                              "--domain '%.64s': a domain has no spaces or '/'; to search "
                              "URLs use --url", v);
        q->domain[k] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    q->domain[n] = '\0';
    return 0;
}

int nw_query_set(struct nw_query *q, const char *name, const char *value, uint64_t now_us,
                 struct nw_err *err)
{
    struct nw_err e2;
    int rc;

    if (value == NULL) value = "";
    if (strcmp(name, "since") == 0 || strcmp(name, "until") == 0) {
        uint64_t t;
        rc = nw_query_parse_time(value, now_us, &t, &e2);
        if (rc != 0) return nw_err_set(err, rc, "--%s: %s", name, e2.msg);
        if (name[0] == 's')
            q->since_us = t;
        else
            q->until_us = t;
        return 0;
    }
    if (strcmp(name, "type") == 0) return add_types(q, value, err);
    if (strcmp(name, "ip") == 0) {
        rc = nw_query_parse_net(value, &q->ip, &e2);
        return rc ? nw_err_set(err, rc, "--ip: %s", e2.msg) : 0;
    }
    if (strcmp(name, "mac") == 0) {
        rc = nw_query_parse_mac(value, q->mac, &e2);
        return rc ? nw_err_set(err, rc, "--mac: %s", e2.msg) : 0;
    }
    if (strcmp(name, "user") == 0) return set_str(q->user, sizeof q->user, name, value, err);
    if (strcmp(name, "calling") == 0)
        return set_str(q->calling, sizeof q->calling, name, value, err);
    if (strcmp(name, "url") == 0) return set_str(q->url, sizeof q->url, name, value, err);
    if (strcmp(name, "domain") == 0) return set_domain(q, value, err);
    if (strcmp(name, "limit") == 0) {
        uint64_t v = 0;
        size_t n = strlen(value);
        if (n == 0 || n > 15) goto badlimit;
        for (size_t k = 0; k < n; k++) {
            if (!is_digit(value[k])) goto badlimit;
            v = v * 10 + (uint64_t)(value[k] - '0');
        }
        if (v == 0) goto badlimit;
        q->limit = v;
        return 0;
    badlimit:
        return nw_err_set(err, NW_EINVAL,
                          "--limit '%.32s': give a positive whole number of records", value);
    }
    if (strcmp(name, "format") == 0) {
        if (strcmp(value, "json") == 0)
            q->format = NW_QUERY_FMT_JSON;
        else if (strcmp(value, "table") == 0)
            q->format = NW_QUERY_FMT_TABLE;
        else if (strcmp(value, "csv") == 0)
            q->format = NW_QUERY_FMT_CSV;
        else
            return nw_err_set(err, NW_EINVAL, "--format '%.32s': use json, table or csv",
                              value);
        return 0;
    }
    return NW_ENOENT;
}

int nw_query_check(const struct nw_query *q, struct nw_err *err)
{
    if (q->since_us >= q->until_us) {
        char a[NW_TIME_BUFSZ], b[NW_TIME_BUFSZ];
        nw_time_rfc3339(q->since_us, a);
        nw_time_rfc3339(q->until_us, b);
        return nw_err_set(err, NW_EINVAL,
                          "--since %s is not before --until %s; the range is [since, until)",
                          a, b);
    }
    return 0;
}

int nw_query_parse_args(struct nw_query *q, int argc, char **argv, uint64_t now_us,
                        struct nw_err *err)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *eq, *val;
        char name[32];
        size_t n;
        int rc;
        if (a == NULL || strncmp(a, "--", 2) != 0)
            return nw_err_set(err, NW_EINVAL, "unexpected argument '%.64s'; filters are "
                              "--name value", a ? a : "(null)");
        eq = strchr(a + 2, '=');
        n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (n == 0 || n >= sizeof name)
            return nw_err_set(err, NW_EINVAL, "unknown filter '%.64s'", a);
        memcpy(name, a + 2, n);
        name[n] = '\0';
        if (eq) {
            val = eq + 1;
        } else {
            if (i + 1 >= argc)
                return nw_err_set(err, NW_EINVAL, "filter '--%s' needs a value", name);
            val = argv[++i];
        }
        rc = nw_query_set(q, name, val, now_us, err);
        if (rc == NW_ENOENT)
            return nw_err_set(err, NW_EINVAL,
                              "unknown filter '--%s'; filters: --since --until --type --ip "
                              "--mac --user --calling --domain --url --limit --format", name);
        if (rc != 0) return rc;
    }
    return nw_query_check(q, err);
}

/* ---- index keys ---- */

struct keymem {
    char **strs;       /* every key string */
    size_t nstrs, capstrs;
    const char ***groups;
    size_t ngroups;
};

/* Start a new group. The group arrays are built at the end from strs. */
struct keybuild {
    struct keymem *m;
    size_t group_start[16]; /* index into strs where group g starts */
    size_t ngroups;
    int oom;
};

static void kb_group(struct keybuild *kb)
{
    if (kb->ngroups < NW_ARRAY_LEN(kb->group_start))
        kb->group_start[kb->ngroups++] = kb->m->nstrs;
    else
        kb->oom = 1; /* cannot happen: at most 8 filters */
}

static void kb_add(struct keybuild *kb, const char *prefix, const char *val)
{
    struct keymem *m = kb->m;
    size_t pl = strlen(prefix), vl = strlen(val);
    char *s;

    if (kb->oom) return;
    if (m->nstrs == m->capstrs) {
        size_t nc = m->capstrs ? m->capstrs * 2 : 16;
        char **ns = nw_realloc(m->strs, nc * sizeof *ns);
        if (ns == NULL) {
            kb->oom = 1;
            return;
        }
        m->strs = ns;
        m->capstrs = nc;
    }
    s = nw_alloc(pl + vl + 1);
    if (s == NULL) {
        kb->oom = 1;
        return;
    }
    memcpy(s, prefix, pl);
    memcpy(s + pl, val, vl + 1);
    m->strs[m->nstrs++] = s;
}

/* The first ngroups 16-bit groups of an IPv6 address, RFC 5952 digits, no compression. */
static void v6_groups(const uint8_t *a, int ngroups, char *out, size_t cap)
{
    size_t off = 0;

    out[0] = '\0';
    for (int g = 0; g < ngroups && off < cap; g++) {
        int w = snprintf(out + off, cap - off, "%s%x", g ? ":" : "",
                         (unsigned)((a[2 * g] << 8) | a[2 * g + 1]));
        if (w < 0) return;
        off += (size_t)w;
    }
}

static void kb_ip(struct keybuild *kb, const struct nw_query_net *n)
{
    char buf[64];

    if (n->family == 4) {
        const uint8_t *a = n->addr;
        if (n->prefix == 32) {
            kb_group(kb);
            kb_add(kb, "ip:", n->text);
        } else if (n->prefix >= 16) { /* at most 256 /24 keys */
            unsigned cnt = 1u << (24 - NW_MIN(n->prefix, 24u));
            kb_group(kb);
            for (unsigned k = 0; k < cnt; k++) {
                snprintf(buf, sizeof buf, "%u.%u.%u", a[0], a[1], a[2] + k);
                kb_add(kb, "ip4/24:", buf);
            }
        } else if (n->prefix >= 8) { /* at most 256 /16 keys */
            unsigned cnt = 1u << (16 - n->prefix);
            kb_group(kb);
            for (unsigned k = 0; k < cnt; k++) {
                snprintf(buf, sizeof buf, "%u.%u", a[0], a[1] + k);
                kb_add(kb, "ip4/16:", buf);
            }
        }
    } else if (n->family == 6) {
        uint8_t a[16];
        memcpy(a, n->addr, 16);
        if (n->prefix == 128) {
            kb_group(kb);
            kb_add(kb, "ip:", n->text);
        } else if (n->prefix >= 56) { /* /64 keys: at most 256 */
            unsigned cnt = n->prefix >= 64 ? 1 : 1u << (64 - n->prefix);
            kb_group(kb);
            for (unsigned k = 0; k < cnt; k++) {
                a[7] = (uint8_t)(n->addr[7] + k); /* prefix >= 56: only byte 7 varies */
                v6_groups(a, 4, buf, sizeof buf);
                kb_add(kb, "ip6/64:", buf);
            }
        } else if (n->prefix >= 40) { /* /48 keys: at most 256 */
            unsigned cnt = n->prefix >= 48 ? 1 : 1u << (48 - n->prefix);
            kb_group(kb);
            for (unsigned k = 0; k < cnt; k++) {
                a[5] = (uint8_t)(n->addr[5] + k);
                v6_groups(a, 3, buf, sizeof buf);
                kb_add(kb, "ip6/48:", buf);
            }
        }
    }
}

int nw_query_keys_build(const struct nw_query *q, struct nw_query_keys *out)
{
    struct keymem *m;
    struct keybuild kb;
    size_t g;

    memset(out, 0, sizeof *out);
    m = nw_calloc(1, sizeof *m);
    if (m == NULL) return NW_ENOMEM;
    memset(&kb, 0, sizeof kb);
    kb.m = m;
    if (q->ntypes > 0) {
        kb_group(&kb);
        for (size_t k = 0; k < q->ntypes; k++) kb_add(&kb, "type:", q->types[k]);
    }
    kb_ip(&kb, &q->ip);
    if (q->mac[0]) {
        kb_group(&kb);
        kb_add(&kb, "mac:", q->mac);
    }
    if (q->user[0]) {
        kb_group(&kb);
        kb_add(&kb, "user:", q->user);
    }
    if (q->calling[0]) {
        kb_group(&kb);
        kb_add(&kb, "calling:", q->calling);
    }
    if (q->domain[0] && strchr(q->domain, '.') != NULL) { /* dom:com is not indexed */
        kb_group(&kb);
        kb_add(&kb, "dom:", q->domain);
    }
    if (q->url[0]) { /* only http records have http.url */
        kb_group(&kb);
        kb_add(&kb, "type:", "http");
    }
    if (kb.oom) goto oom;
    m->ngroups = kb.ngroups;
    if (kb.ngroups > 0) {
        m->groups = nw_calloc(kb.ngroups, sizeof *m->groups);
        if (m->groups == NULL) goto oom;
    }
    for (g = 0; g < kb.ngroups; g++) {
        size_t a = kb.group_start[g], b = g + 1 < kb.ngroups ? kb.group_start[g + 1] : m->nstrs;
        const char **arr = nw_calloc(b - a + 1, sizeof *arr);
        if (arr == NULL) goto oom;
        for (size_t k = a; k < b; k++) arr[k - a] = m->strs[k];
        m->groups[g] = arr;
    }
    out->groups = (const char *const *const *)m->groups;
    out->ngroups = m->ngroups;
    out->mem = m;
    return 0;
oom:
    out->mem = m;
    nw_query_keys_free(out);
    return NW_ENOMEM;
}

void nw_query_keys_free(struct nw_query_keys *k)
{
    struct keymem *m = k->mem;

    if (m != NULL) {
        for (size_t i = 0; i < m->nstrs; i++) nw_free(m->strs[i]);
        nw_free(m->strs);
        if (m->groups)
            for (size_t g = 0; g < m->ngroups; g++) nw_free((void *)m->groups[g]);
        nw_free(m->groups);
        nw_free(m);
    }
    memset(k, 0, sizeof *k);
}
