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
 */
#include "store_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "nw/json.h"
#include "nw/jsonscan.h"

enum kind { K_NONE, K_IP, K_MAC, K_USER, K_CALLING, K_DOM };

struct ctx {
    void (*on_key)(void *arg, const char *key, size_t keylen);
    void *arg;
};

static void emit(struct ctx *c, const char *prefix, const char *v, size_t n)
{
    char key[KEY_MAX + 16];
    size_t pl = strlen(prefix);

    if (n > KEY_MAX) return;
    memcpy(key, prefix, pl);
    memcpy(key + pl, v, n);
    c->on_key(c->arg, key, pl + n);
}

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

static void emit_ip(struct ctx *c, const char *v, size_t n)
{
    char buf[64];
    uint8_t a[16];
    int w;

    if (memchr(v, ':', n) == NULL) {
        if (parse_v4(v, n, a) != 0) {
            emit(c, "ip:", v, n);
            return;
        }
        /* the strict form is canonical, so the prefixes are prefixes of the text */
        const char *d3 = memchr(v, '.', n), *d2, *d1;
        emit(c, "ip:", v, n);
        d2 = memchr(d3 + 1, '.', n - (size_t)(d3 + 1 - v));
        d1 = memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - v));
        emit(c, "ip4/24:", v, (size_t)(d1 - v));
        emit(c, "ip4/16:", v, (size_t)(d2 - v));
        return;
    }
    if (n >= sizeof buf) return;
    memcpy(buf, v, n);
    buf[n] = '\0';
    if (inet_pton(AF_INET6, buf, a) != 1) {
        emit(c, "ip:", v, n);
        return;
    }
    emit(c, "ip:", buf, nw_fmt_ip(buf, 6, a));
    w = snprintf(buf, sizeof buf, "%x:%x:%x:%x", (a[0] << 8) | a[1], (a[2] << 8) | a[3],
                 (a[4] << 8) | a[5], (a[6] << 8) | a[7]);
    emit(c, "ip6/64:", buf, (size_t)w);
    w = snprintf(buf, sizeof buf, "%x:%x:%x", (a[0] << 8) | a[1], (a[2] << 8) | a[3],
                 (a[4] << 8) | a[5]);
    emit(c, "ip6/48:", buf, (size_t)w);
}

/* "session.ip:<canonical address>" for the bound address of a session record. */
static void emit_session_ip(struct ctx *c, const struct nw_json_val *jv)
{
    char buf[64];
    uint8_t a[16];

    if (jv->type != NW_JSON_STRING || jv->len == 0 || jv->len >= sizeof buf) return;
    memcpy(buf, jv->p, jv->len);
    buf[jv->len] = '\0';
    if (memchr(buf, ':', jv->len) == NULL) {
        emit(c, "session.ip:", buf, jv->len);
    } else if (inet_pton(AF_INET6, buf, a) == 1) {
        emit(c, "session.ip:", buf, nw_fmt_ip(buf, 6, a));
    }
}

static void emit_dom(struct ctx *c, char *v, size_t n)
{
    size_t i;

    while (n > 0 && v[n - 1] == '.') n--;
    for (i = 0; i < n; i++)
        if (v[i] >= 'A' && v[i] <= 'Z') v[i] = (char)(v[i] - 'A' + 'a');
    if (n == 0) return;
    emit(c, "dom:", v, n); /* the full name, even a single label */
    /* every suffix that starts after a dot and still has a dot in it */
    for (i = 0; i < n; i++) {
        if (v[i] != '.') continue;
        if (memchr(v + i + 1, '.', n - i - 1) == NULL) break;
        emit(c, "dom:", v + i + 1, n - i - 1);
    }
}

static void emit_val(struct ctx *c, enum kind k, const struct nw_json_val *jv)
{
    char buf[KEY_MAX + 1];
    int n;

    if (jv->type != NW_JSON_STRING || jv->len > KEY_MAX) return;
    if (memchr(jv->p, '\\', jv->len) == NULL) {
        memcpy(buf, jv->p, jv->len);
        n = (int)jv->len;
    } else {
        n = nw_json_val_str(jv, buf, sizeof buf);
        if (n < 0) return;
    }
    switch (k) {
    case K_IP: emit_ip(c, buf, (size_t)n); break;
    case K_MAC:
        for (int i = 0; i < n; i++)
            if (buf[i] >= 'A' && buf[i] <= 'Z') buf[i] = (char)(buf[i] - 'A' + 'a');
        emit(c, "mac:", buf, (size_t)n);
        break;
    case K_USER: emit(c, "user:", buf, (size_t)n); break;
    case K_CALLING: emit(c, "calling:", buf, (size_t)n); break;
    case K_DOM: emit_dom(c, buf, (size_t)n); break;
    default: break;
    }
}

struct field {
    const char *name;
    enum kind kind;
};

static int keq(const struct nw_json_val *k, const char *s)
{
    size_t n = strlen(s);
    return k->len == n && memcmp(k->p, s, n) == 0;
}

static inline size_t ws(const char *p, size_t i, size_t len)
{
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) i++;
    return i;
}

static const struct field f_rr[] = {{"rrname", K_DOM}, {NULL, K_NONE}};
static const struct field f_user[] = {{"ip", K_IP}, {"mac", K_MAC}, {"account", K_USER},
                                      {"calling_station", K_CALLING}, {NULL, K_NONE}};
static const struct field f_dhcp[] = {{"assigned_ip", K_IP}, {"client_mac", K_MAC}, {NULL, K_NONE}};
static const struct field f_radius[] = {{"framed_ip", K_IP}, {"framed_ipv6", K_IP},
                                        {"user_name", K_USER}, {"calling_station_id", K_CALLING},
                                        {NULL, K_NONE}};
static const struct field f_pppoe[] = {{"ip", K_IP}, {"for_mac", K_MAC}, {"username", K_USER},
                                       {NULL, K_NONE}};
static const struct field f_login[] = {{"username", K_USER}, {NULL, K_NONE}};
static const struct field f_http[] = {{"hostname", K_DOM}, {NULL, K_NONE}};
static const struct field f_sni[] = {{"sni", K_DOM}, {NULL, K_NONE}};

static long walk_obj(struct ctx *c, const char *p, size_t len, int depth, const struct field *f,
                     int dns);

/* dns.queries / dns.answers: an array of objects with rrname. p[0] == '['. */
static long walk_rrlist(struct ctx *c, const char *p, size_t len, int depth)
{
    size_t i = ws(p, 1, len);
    long n;

    if (depth > NW_JSON_MAX_DEPTH) return NW_EFORMAT;
    if (i < len && p[i] == ']') return (long)i + 1;
    for (;;) {
        if (i >= len) return NW_EFORMAT;
        n = p[i] == '{' ? walk_obj(c, p + i, len - i, depth + 1, f_rr, 0)
                        : nw_json_skip(p + i, len - i, depth + 1, NULL);
        if (n < 0) return NW_EFORMAT;
        i = ws(p, i + (size_t)n, len);
        if (i >= len) return NW_EFORMAT;
        if (p[i] == ',') {
            i = ws(p, i + 1, len);
            continue;
        }
        return p[i] == ']' ? (long)i + 1 : NW_EFORMAT;
    }
}

/*
 * Walk (and validate) the object at p (p[0] == '{') once, emitting keys for
 * the string members named in f; with dns, also dns.rrname and the
 * queries/answers lists. Returns bytes consumed or NW_EFORMAT.
 */
static long walk_obj(struct ctx *c, const char *p, size_t len, int depth, const struct field *f,
                     int dns)
{
    struct nw_json_val k, v;
    size_t i = ws(p, 1, len);
    long n;

    if (depth > NW_JSON_MAX_DEPTH) return NW_EFORMAT;
    if (i < len && p[i] == '}') return (long)i + 1;
    for (;;) {
        if (i >= len || p[i] != '"') return NW_EFORMAT;
        n = nw_json_skip(p + i, len - i, depth + 1, &k);
        if (n < 0) return NW_EFORMAT;
        i = ws(p, i + (size_t)n, len);
        if (i >= len || p[i] != ':') return NW_EFORMAT;
        i = ws(p, i + 1, len);
        if (i >= len) return NW_EFORMAT;
        if (dns && p[i] == '[' && (keq(&k, "queries") || keq(&k, "answers"))) {
            n = walk_rrlist(c, p + i, len - i, depth + 1);
        } else {
            n = nw_json_skip(p + i, len - i, depth + 1, &v);
            if (n >= 0 && v.type == NW_JSON_STRING) {
                if (dns && keq(&k, "rrname")) {
                    emit_val(c, K_DOM, &v);
                } else {
                    for (const struct field *x = f; x && x->name; x++)
                        if (keq(&k, x->name)) {
                            emit_val(c, x->kind, &v);
                            break;
                        }
                }
            }
        }
        if (n < 0) return NW_EFORMAT;
        i = ws(p, i + (size_t)n, len);
        if (i >= len) return NW_EFORMAT;
        if (p[i] == ',') {
            i = ws(p, i + 1, len);
            continue;
        }
        return p[i] == '}' ? (long)i + 1 : NW_EFORMAT;
    }
}

/* Which nested object of the root carries keys (NULL: none). */
static const struct field *nested(const struct nw_json_val *k, int *dns)
{
    *dns = 0;
    if (k->len < 3) return NULL;
    switch (k->p[0]) {
    case 'u': return keq(k, "user") ? f_user : NULL;
    case 'd':
        if (keq(k, "dns")) {
            *dns = 1;
            return f_rr + 1; /* no plain fields: rrname and the lists are special */
        }
        return keq(k, "dhcp") ? f_dhcp : NULL;
    case 'r': return keq(k, "radius") ? f_radius : NULL;
    case 'p': return keq(k, "pppoe") ? f_pppoe : NULL;
    case 'l': return keq(k, "login") ? f_login : NULL;
    case 'h': return keq(k, "http") ? f_http : NULL;
    case 't': return keq(k, "tls") ? f_sni : NULL;
    case 'q': return keq(k, "quic") ? f_sni : NULL;
    default: return NULL;
    }
}

struct root_state {
    uint64_t *ts_us;
    int have_ts;
    int is_session;
    struct nw_json_val src_ip;
};

/* A scalar member of the root. */
static void root_scalar(struct ctx *c, const struct nw_json_val *k, const struct nw_json_val *v,
                        struct root_state *rs)
{
    uint64_t *ts_us = rs->ts_us;
    int *have_ts = &rs->have_ts;

    if (v->type != NW_JSON_STRING || k->len < 6) return;
    switch (k->p[0]) {
    case 't':
        if (keq(k, "timestamp") && !*have_ts && nw_json_parse_time(v->p, v->len, ts_us) == 0)
            *have_ts = 1;
        break;
    case 'e':
        if (keq(k, "event_type") && v->len <= 64) {
            emit(c, "type:", v->p, v->len);
            rs->is_session = v->len == 7 && memcmp(v->p, "session", 7) == 0;
        }
        break;
    case 's':
        if (keq(k, "src_ip")) {
            emit_val(c, K_IP, v);
            rs->src_ip = *v;
        } else if (keq(k, "src_mac")) {
            emit_val(c, K_MAC, v);
        }
        break;
    case 'd':
        if (keq(k, "dest_ip")) emit_val(c, K_IP, v);
        else if (keq(k, "dest_mac")) emit_val(c, K_MAC, v);
        break;
    default: break;
    }
}

/*
 * One validating pass over the root object: every byte is looked at once;
 * the nested objects that carry keys are walked by walk_obj instead of
 * being skipped. Returns 0, NW_EFORMAT (not exactly one JSON object),
 * NW_ENOENT (no valid timestamp).
 */
int nw__index_record(const char *line, size_t len, uint64_t *ts_us,
                     void (*on_key)(void *arg, const char *key, size_t keylen), void *arg)
{
    struct ctx c = {on_key, arg};
    struct nw_json_val k, v;
    struct root_state rs = {ts_us, 0, 0, {NW_JSON_NONE, NULL, 0}};
    size_t i = ws(line, 0, len);
    int dns;
    long n;

    if (i >= len || line[i] != '{') return NW_EFORMAT;
    i = ws(line, i + 1, len);
    if (i < len && line[i] == '}') {
        i++;
    } else {
        for (;;) {
            const struct field *f;
            if (i >= len || line[i] != '"') return NW_EFORMAT;
            n = nw_json_skip(line + i, len - i, 1, &k);
            if (n < 0) return NW_EFORMAT;
            i = ws(line, i + (size_t)n, len);
            if (i >= len || line[i] != ':') return NW_EFORMAT;
            i = ws(line, i + 1, len);
            if (i >= len) return NW_EFORMAT;
            if (line[i] == '{' && (f = nested(&k, &dns)) != NULL) {
                n = walk_obj(&c, line + i, len - i, 1, f, dns);
            } else {
                n = nw_json_skip(line + i, len - i, 1, &v);
                if (n >= 0) root_scalar(&c, &k, &v, &rs);
            }
            if (n < 0) return NW_EFORMAT;
            i = ws(line, i + (size_t)n, len);
            if (i >= len) return NW_EFORMAT;
            if (line[i] == ',') {
                i = ws(line, i + 1, len);
                continue;
            }
            if (line[i] != '}') return NW_EFORMAT;
            i++;
            break;
        }
    }
    if (ws(line, i, len) != len) return NW_EFORMAT;
    if (rs.is_session) emit_session_ip(&c, &rs.src_ip);
    return rs.have_ts ? 0 : NW_ENOENT;
}

static void count_key(void *arg, const char *key, size_t n)
{
    (void)arg, (void)key, (void)n;
}

int nw_store_index_keys(const char *line, size_t len,
                        void (*on_key)(void *arg, const char *key, size_t keylen), void *arg)
{
    uint64_t ts;
    int rc = nw__index_record(line, len, &ts, on_key ? on_key : count_key, arg);

    return rc == NW_EFORMAT ? rc : 0;
}
