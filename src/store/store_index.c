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

/* Index the members of obj named in fields (no escapes expected in these names). */
static void members(struct ctx *c, const struct nw_json_val *obj, const struct field *f)
{
    struct nw_json_iter it;
    struct nw_json_val k, v;

    if (obj->type != NW_JSON_OBJECT) return;
    nw_json_iter_init(&it, obj);
    while (nw_json_iter_next(&it, &k, &v) == 1)
        for (const struct field *x = f; x->name; x++)
            if (keq(&k, x->name)) {
                emit_val(c, x->kind, &v);
                break;
            }
}

static void dns_list(struct ctx *c, const struct nw_json_val *arr)
{
    static const struct field rr[] = {{"rrname", K_DOM}, {NULL, K_NONE}};
    struct nw_json_iter it;
    struct nw_json_val v;

    if (arr->type != NW_JSON_ARRAY) return;
    nw_json_iter_init(&it, arr);
    for (int i = 0; i < 4096 && nw_json_iter_next(&it, NULL, &v) == 1; i++) members(c, &v, rr);
}

static void dns(struct ctx *c, const struct nw_json_val *obj)
{
    struct nw_json_iter it;
    struct nw_json_val k, v;

    if (obj->type != NW_JSON_OBJECT) return;
    nw_json_iter_init(&it, obj);
    while (nw_json_iter_next(&it, &k, &v) == 1) {
        if (keq(&k, "queries") || keq(&k, "answers")) dns_list(c, &v);
        else if (keq(&k, "rrname")) emit_val(c, K_DOM, &v);
    }
}

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

static inline size_t ws(const char *p, size_t i, size_t len)
{
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) i++;
    return i;
}

static void member(struct ctx *c, const struct nw_json_val *k, const struct nw_json_val *v,
                   uint64_t *ts_us, int *have_ts)
{
    if (k->len < 2) return;
    switch (k->p[0]) {
    case 't':
        if (keq(k, "timestamp")) {
            if (v->type == NW_JSON_STRING && !*have_ts && nw_json_parse_time(v->p, v->len, ts_us) == 0)
                *have_ts = 1;
        } else if (keq(k, "tls")) {
            members(c, v, f_sni);
        }
        break;
    case 'e':
        if (keq(k, "event_type") && v->type == NW_JSON_STRING && v->len <= 64)
            emit(c, "type:", v->p, v->len);
        break;
    case 's':
        if (keq(k, "src_ip")) emit_val(c, K_IP, v);
        else if (keq(k, "src_mac")) emit_val(c, K_MAC, v);
        break;
    case 'd':
        if (keq(k, "dest_ip")) emit_val(c, K_IP, v);
        else if (keq(k, "dest_mac")) emit_val(c, K_MAC, v);
        else if (keq(k, "dns")) dns(c, v);
        else if (keq(k, "dhcp")) members(c, v, f_dhcp);
        break;
    case 'u':
        if (keq(k, "user")) members(c, v, f_user);
        break;
    case 'r':
        if (keq(k, "radius")) members(c, v, f_radius);
        break;
    case 'p':
        if (keq(k, "pppoe")) members(c, v, f_pppoe);
        break;
    case 'l':
        if (keq(k, "login")) members(c, v, f_login);
        break;
    case 'h':
        if (keq(k, "http")) members(c, v, f_http);
        break;
    case 'q':
        if (keq(k, "quic")) members(c, v, f_sni);
        break;
    default: break;
    }
}

/*
 * One validating pass over the root object: each member value is passed
 * over by nw_json_skip (which validates it); the few that carry keys are
 * walked again, which costs little because they are small. Returns 0,
 * NW_EFORMAT (not exactly one JSON object), NW_ENOENT (no valid timestamp).
 */
int nw__index_record(const char *line, size_t len, uint64_t *ts_us,
                     void (*on_key)(void *arg, const char *key, size_t keylen), void *arg)
{
    struct ctx c = {on_key, arg};
    struct nw_json_val k, v;
    size_t i = ws(line, 0, len);
    int have_ts = 0;
    long n;

    if (i >= len || line[i] != '{') return NW_EFORMAT;
    i = ws(line, i + 1, len);
    if (i < len && line[i] == '}') {
        i++;
    } else {
        for (;;) {
            if (i >= len || line[i] != '"') return NW_EFORMAT;
            n = nw_json_skip(line + i, len - i, 1, &k);
            if (n < 0) return NW_EFORMAT;
            i = ws(line, i + (size_t)n, len);
            if (i >= len || line[i] != ':') return NW_EFORMAT;
            i = ws(line, i + 1, len);
            if (i >= len) return NW_EFORMAT;
            n = nw_json_skip(line + i, len - i, 1, &v);
            if (n < 0) return NW_EFORMAT;
            member(&c, &k, &v, ts_us, &have_ts);
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
    return have_ts ? 0 : NW_ENOENT;
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
