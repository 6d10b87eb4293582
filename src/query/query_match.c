/*
 * query_match.c - the exact filter: does one stored record line satisfy a
 * struct nw_query? The store's index keys only skip blocks that cannot
 * match; every record read is decided here, so this file IS the meaning of
 * each filter (written out in include/nw/query.h).
 *
 * Workload: day-wide scans run every record of a day through this, so the
 * common case is cheap: when a line has no backslash, its raw bytes are its
 * string values, and a literal filter value that does not occur anywhere in
 * the line (memmem) rejects it without parsing. Otherwise one pass over the
 * top-level members collects what the filters need (nw_json_iter), then
 * each filter looks only inside the members it names.
 *
 * Hostile input: lines come from a store that validated them, but a damaged
 * or imported line must still not crash: jsonscan is bounded, and any
 * malformed line simply does not match.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "query_int.h"

#include <arpa/inet.h>
#include <string.h>

#include "nw/jsonscan.h"

/* Top-level members a filter may look at. */
struct recview {
    struct nw_json_val ts, type, src_ip, dest_ip, src_mac, dest_mac;
    struct nw_json_val user, dhcp, radius, pppoe, login, dns, http, tls, quic;
};

static void collect(struct recview *r, const struct nw_json_val *root, int *bad)
{
    static const struct {
        const char *name;
        size_t off;
    } want[] = {
        {"timestamp", offsetof(struct recview, ts)},
        {"event_type", offsetof(struct recview, type)},
        {"src_ip", offsetof(struct recview, src_ip)},
        {"dest_ip", offsetof(struct recview, dest_ip)},
        {"src_mac", offsetof(struct recview, src_mac)},
        {"dest_mac", offsetof(struct recview, dest_mac)},
        {"user", offsetof(struct recview, user)},
        {"dhcp", offsetof(struct recview, dhcp)},
        {"radius", offsetof(struct recview, radius)},
        {"pppoe", offsetof(struct recview, pppoe)},
        {"login", offsetof(struct recview, login)},
        {"dns", offsetof(struct recview, dns)},
        {"http", offsetof(struct recview, http)},
        {"tls", offsetof(struct recview, tls)},
        {"quic", offsetof(struct recview, quic)},
    };
    struct nw_json_iter it;
    struct nw_json_val k, v;
    int rc;

    memset(r, 0, sizeof *r);
    if (nw_json_iter_init(&it, root) != 0) {
        *bad = 1;
        return;
    }
    while ((rc = nw_json_iter_next(&it, &k, &v)) == 1) {
        for (size_t i = 0; i < NW_ARRAY_LEN(want); i++) {
            struct nw_json_val *slot = (struct nw_json_val *)((char *)r + want[i].off);
            if (slot->type == NW_JSON_NONE && nw_json_str_eq(&k, want[i].name,
                                                             strlen(want[i].name))) {
                *slot = v; /* first occurrence wins, as in nw_json_get */
                break;
            }
        }
    }
    if (rc < 0) *bad = 1;
}

/* v.member as a string value into out; 1 if present and a string. */
static int member(const struct nw_json_val *obj, const char *name, struct nw_json_val *out)
{
    if (obj->type != NW_JSON_OBJECT) return 0;
    return nw_json_member(obj, name, strlen(name), out) == 1 && out->type == NW_JSON_STRING;
}

/*
 * Values longer than this as stored (escaped) are not indexed by the store
 * (KEY_MAX in src/store/store_int.h), so the indexed filters (ip, mac, user,
 * calling, domain) never match them either: the index may then skip blocks
 * and the answer stays the same with or without it. No real name is that long.
 */
#define INDEXED_MAX 600

/* Unescaped string into buf; -1 if not a string or too long. */
static int unesc(const struct nw_json_val *v, char *buf, size_t cap)
{
    if (v->type != NW_JSON_STRING || v->len > INDEXED_MAX) return -1;
    return nw_json_val_str(v, buf, cap);
}

static int ip_in(const struct nw_query_net *n, const struct nw_json_val *v)
{
    char buf[80];
    uint8_t a[16];
    int len = unesc(v, buf, sizeof buf);
    unsigned full, rem;

    if (len <= 0 || (size_t)len != strlen(buf)) return 0;
    if (inet_pton(n->family == 4 ? AF_INET : AF_INET6, buf, a) != 1) return 0;
    full = n->prefix / 8;
    rem = n->prefix % 8;
    if (memcmp(a, n->addr, full) != 0) return 0;
    if (rem) {
        uint8_t mask = (uint8_t)(0xffu << (8 - rem));
        if ((a[full] & mask) != n->addr[full]) return 0;
    }
    return 1;
}

static int match_ip(const struct nw_query *q, const struct recview *r)
{
    static const struct {
        int obj; /* 0 top level, else index below */
        const char *name;
    } f[] = {{0, "src_ip"}, {0, "dest_ip"}, {1, "ip"}, {2, "assigned_ip"},
             {3, "framed_ip"}, {3, "framed_ipv6"}, {4, "ip"}};
    const struct nw_json_val *objs[5] = {NULL, &r->user, &r->dhcp, &r->radius, &r->pppoe};
    struct nw_json_val v;

    if (ip_in(&q->ip, &r->src_ip) || ip_in(&q->ip, &r->dest_ip)) return 1;
    for (size_t i = 2; i < NW_ARRAY_LEN(f); i++)
        if (member(objs[f[i].obj], f[i].name, &v) && ip_in(&q->ip, &v)) return 1;
    return 0;
}

static int mac_eq(const char *want, const struct nw_json_val *v)
{
    char buf[32];
    int len = unesc(v, buf, sizeof buf);

    if (len != 17) return 0;
    for (int i = 0; i < 17; i++) {
        char c = buf[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
        if (c != want[i]) return 0;
    }
    return 1;
}

static int match_mac(const struct nw_query *q, const struct recview *r)
{
    struct nw_json_val v;

    return mac_eq(q->mac, &r->src_mac) || mac_eq(q->mac, &r->dest_mac) ||
           (member(&r->user, "mac", &v) && mac_eq(q->mac, &v)) ||
           (member(&r->dhcp, "client_mac", &v) && mac_eq(q->mac, &v)) ||
           (member(&r->pppoe, "for_mac", &v) && mac_eq(q->mac, &v));
}

static int str_is(const struct nw_json_val *obj, const char *name, const char *want)
{
    struct nw_json_val v;

    return member(obj, name, &v) && v.len <= INDEXED_MAX &&
           nw_json_str_eq(&v, want, strlen(want));
}

/* name equals d or ends with "." + d, ASCII case-insensitive, trailing dots ignored. */
static int dom_match(const char *d, size_t dl, const struct nw_json_val *v)
{
    char buf[1024];
    int len = unesc(v, buf, sizeof buf);
    size_t n;

    if (len <= 0) return 0;
    n = (size_t)len;
    while (n > 0 && buf[n - 1] == '.') n--;
    if (n < dl) return 0;
    for (size_t i = 0; i < dl; i++) {
        char c = buf[n - dl + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
        if (c != d[i]) return 0;
    }
    return n == dl || buf[n - dl - 1] == '.';
}

static int dom_in_array(const char *d, size_t dl, const struct nw_json_val *arr)
{
    struct nw_json_iter it;
    struct nw_json_val e, v;

    if (arr->type != NW_JSON_ARRAY || nw_json_iter_init(&it, arr) != 0) return 0;
    while (nw_json_iter_next(&it, NULL, &e) == 1)
        if (member(&e, "rrname", &v) && dom_match(d, dl, &v)) return 1;
    return 0;
}

static int match_domain(const struct nw_query *q, const struct recview *r)
{
    const char *d = q->domain;
    size_t dl = strlen(d);
    struct nw_json_val v;

    if (member(&r->http, "hostname", &v) && dom_match(d, dl, &v)) return 1;
    if (member(&r->tls, "sni", &v) && dom_match(d, dl, &v)) return 1;
    if (member(&r->quic, "sni", &v) && dom_match(d, dl, &v)) return 1;
    if (r->dns.type == NW_JSON_OBJECT) {
        if (nw_json_member(&r->dns, "queries", 7, &v) == 1 && dom_in_array(d, dl, &v)) return 1;
        if (nw_json_member(&r->dns, "answers", 7, &v) == 1 && dom_in_array(d, dl, &v)) return 1;
        if (member(&r->dns, "rrname", &v) && dom_match(d, dl, &v)) return 1; /* Suricata v1/v2 */
    }
    return 0;
}

static int match_url(const struct nw_query *q, const struct recview *r)
{
    struct nw_json_val v;
    char buf[8192];
    int len;

    if (!member(&r->http, "url", &v)) return 0;
    if (memchr(v.p, '\\', v.len) == NULL) /* no escapes: the raw bytes are the value */
        return memmem(v.p, v.len, q->url, strlen(q->url)) != NULL;
    len = nw_json_val_str(&v, buf, sizeof buf); /* not indexed: no length rule */
    return len > 0 && memmem(buf, (size_t)len, q->url, strlen(q->url)) != NULL;
}

int nw__query_match_ts(const struct nw_query *q, const char *line, size_t len, int have_ts,
                       uint64_t ts_us)
{
    struct nw_json_val root;
    struct recview r;
    int bad = 0;

    /* Literal prefilter: without escapes, a value that is not in the line cannot match. */
    if (memchr(line, '\\', len) == NULL) {
        if (q->url[0] && memmem(line, len, q->url, strlen(q->url)) == NULL) return 0;
        if (q->user[0] && memmem(line, len, q->user, strlen(q->user)) == NULL) return 0;
        if (q->calling[0] && memmem(line, len, q->calling, strlen(q->calling)) == NULL)
            return 0;
        if (q->ip.family == 4 && q->ip.prefix == 32 &&
            memmem(line, len, q->ip.text, strlen(q->ip.text)) == NULL)
            return 0; /* inet_pton accepts one text per IPv4 address */
    }
    if (nw_json_root(line, len, &root) != 0 || root.type != NW_JSON_OBJECT) return 0;
    collect(&r, &root, &bad);
    if (bad) return 0;
    if (q->since_us > 0 || q->until_us != UINT64_MAX) {
        if (!have_ts) {
            if (r.ts.type != NW_JSON_STRING || memchr(r.ts.p, '\\', r.ts.len) != NULL ||
                nw_json_parse_time(r.ts.p, r.ts.len, &ts_us) != 0)
                return 0;
        }
        if (ts_us < q->since_us || ts_us >= q->until_us) return 0;
    }
    if (q->ntypes > 0) {
        size_t k;
        for (k = 0; k < q->ntypes; k++)
            if (nw_json_str_eq(&r.type, q->types[k], strlen(q->types[k]))) break;
        if (k == q->ntypes) return 0;
    }
    if (q->ip.family != 0 && !match_ip(q, &r)) return 0;
    if (q->mac[0] && !match_mac(q, &r)) return 0;
    if (q->user[0] && !(str_is(&r.user, "account", q->user) ||
                        str_is(&r.login, "username", q->user) ||
                        str_is(&r.radius, "user_name", q->user) ||
                        str_is(&r.pppoe, "username", q->user)))
        return 0;
    if (q->calling[0] && !(str_is(&r.user, "calling_station", q->calling) ||
                           str_is(&r.radius, "calling_station_id", q->calling)))
        return 0;
    if (q->domain[0] && !match_domain(q, &r)) return 0;
    if (q->url[0] && !match_url(q, &r)) return 0;
    return 1;
}

/*
 * Same literals and the same reasoning as the per-record prefilter above: in
 * a line without '\\' every string value is its raw bytes, and the store
 * scan always hands over lines that hold a backslash.
 */
const char *nw__query_needle(const struct nw_query *q)
{
    const char *n = q->url[0] ? q->url : q->user[0] ? q->user : q->calling[0] ? q->calling
                  : q->ip.family == 4 && q->ip.prefix == 32 ? q->ip.text : NULL;

    return n && n[0] && strchr(n, '\n') == NULL ? n : NULL;
}

int nw_query_match(const struct nw_query *q, const char *line, size_t len)
{
    return nw__query_match_ts(q, line, len, 0, 0);
}

int nw__qget(const char *line, size_t len, const char *path, char *buf, size_t cap)
{
    struct nw_json_val v;
    int n;

    if (cap == 0) return -1;
    buf[0] = '\0';
    if (nw_json_get(line, len, path, &v) != 1) return -1;
    if (v.type == NW_JSON_NULL) return -1;
    n = nw_json_val_str(&v, buf, cap);
    if (n < 0) {
        buf[0] = '\0';
        return -1;
    }
    return n;
}
