/*
 * ch_row.c - one record line to one ClickHouse JSONEachRow row: the original
 * line (byte-identical) plus the columns queries filter on.
 *
 * The extracted columns follow nw/query.h's filter definitions exactly (the
 * same fields), so the SQL a query becomes selects a superset of what
 * nw_query_match accepts; the query path then applies nw_query_match to be
 * exact. Arrays hold every value a filter may look at:
 *   ips       32 hex digits of the address as IPv6 (IPv4 as ::ffff:a.b.c.d),
 *             so a CIDR is a range of fixed-width strings
 *   macs      lower case, ':' separated
 *   users, callings  the unescaped values
 *   domains   lower case (ASCII), trailing dots removed
 * Input is a record line from the pipeline or from `import` (validated
 * there, but treated as hostile here: jsonscan is bounded; any malformed
 * part only leaves columns empty). The line is never altered.
 */
#include "ch_int.h"

#include <arpa/inet.h>
#include <string.h>

#include "nw/jsonscan.h"

struct recview {
    struct nw_json_val ts, type, src_ip, dest_ip, src_port, dest_port, src_mac, dest_mac;
    struct nw_json_val user, dhcp, radius, pppoe, login, dns, http, tls, quic;
};

static const char hexd[] = "0123456789abcdef";

void nw__ch_json_bytes(struct nw_buf *b, const char *s, size_t n)
{
    char *o;
    size_t need = n + 2;

    /* size it exactly (a record may be close to the buffer's bound), then
     * write directly: this runs over every byte of every record */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20) need += c == '\n' ? 1 : 5;
        else if (c == '"' || c == '\\') need++;
    }
    if (n > SIZE_MAX / 8 || nw_buf_reserve(b, need) != 0) {
        b->oom = 1;
        return;
    }
    o = b->data + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
        } else if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else {
            memcpy(o, "\\u00", 4);
            o[4] = hexd[c >> 4];
            o[5] = hexd[c & 15];
            o += 6;
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
}

/* ",\"key\":" then a decimal number, without printf. */
static void kuint(struct nw_buf *b, const char *key, uint64_t v)
{
    char tmp[24];
    size_t n = sizeof tmp;

    nw_buf_putc(b, ',');
    nw_buf_putc(b, '"');
    nw_buf_puts(b, key);
    nw_buf_append(b, "\":", 2);
    do {
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    nw_buf_append(b, tmp + n, sizeof tmp - n);
}

void nw__ch_sql_str(struct nw_buf *b, const char *s, size_t n)
{
    nw_buf_putc(b, '\'');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\'' || c == '\\') {
            nw_buf_putc(b, '\\');
            nw_buf_putc(b, (char)c);
        } else if (c < 0x20 || c == 0x7f) {
            char e[4] = {'\\', 'x', hexd[c >> 4], hexd[c & 15]};
            nw_buf_append(b, e, 4);
        } else {
            nw_buf_putc(b, (char)c);
        }
    }
    nw_buf_putc(b, '\'');
}

void nw__ch_date(uint64_t ts_us, char out[11])
{
    /* days to civil (Howard Hinnant's algorithm), clamped to Date's range */
    uint64_t days = ts_us / 86400000000ull;
    if (days > 49709) days = 49709; /* 2106-02-06: last day ClickHouse's Date/DateTime hold */
    int64_t z = (int64_t)days + 719468;
    int64_t era = z / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) y++;
    out[0] = (char)('0' + y / 1000 % 10);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
}

static void collect(struct recview *r, const struct nw_json_val *root)
{
    static const struct {
        const char *name;
        size_t off;
    } want[] = {
        {"timestamp", offsetof(struct recview, ts)},
        {"event_type", offsetof(struct recview, type)},
        {"src_ip", offsetof(struct recview, src_ip)},
        {"dest_ip", offsetof(struct recview, dest_ip)},
        {"src_port", offsetof(struct recview, src_port)},
        {"dest_port", offsetof(struct recview, dest_port)},
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

    if (nw_json_iter_init(&it, root) != 0) return;
    while (nw_json_iter_next(&it, &k, &v) == 1) {
        for (size_t i = 0; i < NW_ARRAY_LEN(want); i++) {
            struct nw_json_val *slot = (struct nw_json_val *)((char *)r + want[i].off);
            if (slot->type == NW_JSON_NONE &&
                nw_json_str_eq(&k, want[i].name, strlen(want[i].name))) {
                *slot = v; /* first occurrence wins, as in nw_json_get */
                break;
            }
        }
    }
}

/* obj.name if it is a string, else an empty NONE value. */
static struct nw_json_val mem(const struct nw_json_val *obj, const char *name)
{
    struct nw_json_val v;

    memset(&v, 0, sizeof v);
    if (obj->type == NW_JSON_OBJECT && nw_json_member(obj, name, strlen(name), &v) == 1 &&
        v.type == NW_JSON_STRING)
        return v;
    memset(&v, 0, sizeof v);
    return v;
}

/*
 * Unescape a string value into scratch (cap bytes) or, if larger, a heap
 * buffer in *heap (caller frees). Returns the length, -1 when v is not a
 * string or is malformed. *out points at the bytes.
 */
static int val_bytes(const struct nw_json_val *v, char *scratch, size_t cap, char **heap,
                     const char **out)
{
    int n;

    if (v->type != NW_JSON_STRING) return -1;
    if (memchr(v->p, '\\', v->len) == NULL) { /* no escapes: raw bytes are the value */
        *out = v->p;
        return v->len > INT32_MAX ? -1 : (int)v->len;
    }
    if (v->len + 1 > cap) {
        *heap = nw_alloc(v->len + 1);
        if (*heap == NULL) return -1;
        scratch = *heap;
        cap = v->len + 1;
    }
    n = nw_json_val_str(v, scratch, cap);
    if (n < 0) return -1;
    *out = scratch;
    return n;
}

static void kstr_val(struct nw_buf *b, const char *key, const struct nw_json_val *v)
{
    char scratch[2048], *heap = NULL;
    const char *p = "";
    int n = val_bytes(v, scratch, sizeof scratch, &heap, &p);

    nw_buf_putc(b, ',');
    nw_buf_putc(b, '"');
    nw_buf_puts(b, key);
    nw_buf_append(b, "\":", 2);
    nw__ch_json_bytes(b, p, n < 0 ? 0 : (size_t)n);
    nw_free(heap);
}

static unsigned port_of(const struct nw_json_val *v)
{
    unsigned x = 0;

    if (v->type != NW_JSON_NUMBER || v->len == 0 || v->len > 5) return 0;
    for (size_t i = 0; i < v->len; i++) {
        if (v->p[i] < '0' || v->p[i] > '9') return 0;
        x = x * 10 + (unsigned)(v->p[i] - '0');
    }
    return x <= 65535 ? x : 0;
}

/* Array element helpers: *first tracks the comma. */
static void arr_elem(struct nw_buf *b, int *first, const char *p, size_t n)
{
    if (!*first) nw_buf_putc(b, ',');
    *first = 0;
    nw__ch_json_bytes(b, p, n);
}

static void add_ip(struct nw_buf *b, int *first, const struct nw_json_val *v)
{
    char buf[80], hex[32];
    const char *p;
    char *heap = NULL;
    uint8_t a[16];
    int n = val_bytes(v, buf, sizeof buf, &heap, &p);

    if (n > 0 && n < (int)sizeof buf) {
        char z[80];
        memcpy(z, p, (size_t)n);
        z[n] = '\0';
        if (inet_pton(AF_INET, z, a + 12) == 1) {
            memset(a, 0, 10);
            a[10] = a[11] = 0xff;
        } else if (inet_pton(AF_INET6, z, a) != 1) {
            n = -1;
        }
        if (n > 0) {
            for (int i = 0; i < 16; i++) {
                hex[2 * i] = hexd[a[i] >> 4];
                hex[2 * i + 1] = hexd[a[i] & 15];
            }
            arr_elem(b, first, hex, 32);
        }
    }
    nw_free(heap);
}

static void add_mac(struct nw_buf *b, int *first, const struct nw_json_val *v)
{
    char buf[32], m[17];
    const char *p;
    char *heap = NULL;
    int n = val_bytes(v, buf, sizeof buf, &heap, &p);

    if (n == 17) {
        for (int i = 0; i < 17; i++) {
            char c = p[i];
            if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
            if (c == '-') c = ':';
            m[i] = c;
        }
        arr_elem(b, first, m, 17);
    }
    nw_free(heap);
}

static void add_raw(struct nw_buf *b, int *first, const struct nw_json_val *v)
{
    char buf[1024];
    const char *p;
    char *heap = NULL;
    int n = val_bytes(v, buf, sizeof buf, &heap, &p);

    if (n >= 0) arr_elem(b, first, p, (size_t)n);
    nw_free(heap);
}

static void add_dom(struct nw_buf *b, int *first, const struct nw_json_val *v)
{
    char buf[1024], low[1024];
    const char *p;
    char *heap = NULL;
    int n = val_bytes(v, buf, sizeof buf, &heap, &p);

    while (n > 0 && p[n - 1] == '.') n--;
    if (n > 0 && n <= (int)sizeof low) {
        for (int i = 0; i < n; i++) {
            char c = p[i];
            low[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        }
        arr_elem(b, first, low, (size_t)n);
    }
    nw_free(heap);
}

/* rrname of every element of dns.<name>[] (bounded by the array's length). */
static void add_rrnames(struct nw_buf *b, int *first, const struct nw_json_val *dns,
                        const char *name, struct nw_json_val *first_seen)
{
    struct nw_json_val arr, e;
    struct nw_json_iter it;

    if (dns->type != NW_JSON_OBJECT ||
        nw_json_member(dns, name, strlen(name), &arr) != 1 || arr.type != NW_JSON_ARRAY ||
        nw_json_iter_init(&it, &arr) != 0)
        return;
    while (nw_json_iter_next(&it, NULL, &e) == 1) {
        struct nw_json_val rr = mem(&e, "rrname");
        if (rr.type != NW_JSON_STRING) continue;
        if (first_seen && first_seen->type == NW_JSON_NONE) *first_seen = rr;
        add_dom(b, first, &rr);
    }
}

int nw__ch_row_build(struct nw_buf *b, const char *line, size_t len, const char *sensor,
                     uint64_t seq, uint32_t idx, uint64_t *ts_us)
{
    struct recview r;
    struct nw_json_val root, v, dom;
    size_t start = b->len;
    uint64_t ts = 0;
    char date[11];
    int first, bad = 0;

    memset(&r, 0, sizeof r);
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
    if (nw_json_root(line, len, &root) == 0 && root.type == NW_JSON_OBJECT) collect(&r, &root);
    else bad = 1;
    if (r.ts.type != NW_JSON_STRING || nw_json_parse_time(r.ts.p, r.ts.len, &ts) != 0) {
        ts = 0;
        bad = 1;
    }
    *ts_us = ts;
    nw__ch_date(ts, date);
    nw_buf_append(b, "{\"date\":\"", 9);
    nw_buf_append(b, date, 10);
    nw_buf_putc(b, '"');
    kuint(b, "ts", NW_MIN(ts / 1000000u, 4294967295ull));
    kuint(b, "ts_us", ts);
    kstr_val(b, "event_type", &r.type);
    kstr_val(b, "src_ip", &r.src_ip);
    kuint(b, "src_port", port_of(&r.src_port));
    kstr_val(b, "dest_ip", &r.dest_ip);
    kuint(b, "dest_port", port_of(&r.dest_port));
    v = mem(&r.user, "account");
    kstr_val(b, "account", &v);
    v = mem(&r.user, "mac");
    kstr_val(b, "mac", &v);
    v = mem(&r.user, "calling_station");
    kstr_val(b, "calling", &v);
    v = mem(&r.http, "url");
    kstr_val(b, "url", &v);

    nw_buf_puts(b, ",\"ips\":[");
    first = 1;
    add_ip(b, &first, &r.src_ip);
    add_ip(b, &first, &r.dest_ip);
    v = mem(&r.user, "ip"), add_ip(b, &first, &v);
    v = mem(&r.dhcp, "assigned_ip"), add_ip(b, &first, &v);
    v = mem(&r.radius, "framed_ip"), add_ip(b, &first, &v);
    v = mem(&r.radius, "framed_ipv6"), add_ip(b, &first, &v);
    v = mem(&r.pppoe, "ip"), add_ip(b, &first, &v);
    nw_buf_puts(b, "],\"macs\":[");
    first = 1;
    add_mac(b, &first, &r.src_mac);
    add_mac(b, &first, &r.dest_mac);
    v = mem(&r.user, "mac"), add_mac(b, &first, &v);
    v = mem(&r.dhcp, "client_mac"), add_mac(b, &first, &v);
    v = mem(&r.pppoe, "for_mac"), add_mac(b, &first, &v);
    nw_buf_puts(b, "],\"users\":[");
    first = 1;
    v = mem(&r.user, "account"), add_raw(b, &first, &v);
    v = mem(&r.login, "username"), add_raw(b, &first, &v);
    v = mem(&r.radius, "user_name"), add_raw(b, &first, &v);
    v = mem(&r.pppoe, "username"), add_raw(b, &first, &v);
    nw_buf_puts(b, "],\"callings\":[");
    first = 1;
    v = mem(&r.user, "calling_station"), add_raw(b, &first, &v);
    v = mem(&r.radius, "calling_station_id"), add_raw(b, &first, &v);
    nw_buf_puts(b, "],\"domains\":[");
    first = 1;
    memset(&dom, 0, sizeof dom);
    v = mem(&r.http, "hostname"), add_dom(b, &first, &v);
    if (v.type == NW_JSON_STRING) dom = v;
    v = mem(&r.tls, "sni"), add_dom(b, &first, &v);
    if (dom.type == NW_JSON_NONE && v.type == NW_JSON_STRING) dom = v;
    v = mem(&r.quic, "sni"), add_dom(b, &first, &v);
    if (dom.type == NW_JSON_NONE && v.type == NW_JSON_STRING) dom = v;
    add_rrnames(b, &first, &r.dns, "queries", &dom);
    add_rrnames(b, &first, &r.dns, "answers", &dom);
    nw_buf_putc(b, ']');
    kstr_val(b, "domain", &dom);
    nw_buf_append(b, ",\"sensor\":\"", 11);
    nw_buf_puts(b, sensor);
    nw_buf_putc(b, '"');
    kuint(b, "batch_seq", seq);
    kuint(b, "batch_idx", idx);
    nw_buf_append(b, ",\"line\":", 8);
    nw__ch_json_bytes(b, line, len);
    nw_buf_append(b, "}\n", 2);
    if (!nw_buf_ok(b)) {
        b->len = start;
        b->oom = 0;
        return NW_ENOMEM;
    }
    return bad ? NW_EFORMAT : 0;
}
