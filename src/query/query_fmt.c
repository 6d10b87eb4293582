/*
 * query_fmt.c - how `netwarden query` prints records: json (the stored
 * lines, byte for byte), table (columns for people) and csv (RFC 4180).
 *
 * json never re-encodes: what was stored is what is printed, so a query
 * with no filter reproduces the audit output exactly. table and csv pick a
 * few fields per event type; values come from the record, unescaped. The
 * table escapes control bytes (a hostile hostname must not drive the
 * terminal); csv quotes every field that needs it and keeps the bytes.
 */
#include "query_int.h"

#include <string.h>

#define CELL 1024 /* longest value shown in one column */

void nw__qfmt_init(struct nw__qfmt *f, int format, FILE *out)
{
    memset(f, 0, sizeof *f);
    f->format = format;
    f->out = out;
    nw_buf_init(&f->b, 0);
}

void nw__qfmt_fini(struct nw__qfmt *f) { nw_buf_fini(&f->b); }

static const char *const csv_cols[] = {"timestamp", "event_type", "src_ip", "src_port",
                                       "dest_ip", "dest_port", "proto", "account", "mac",
                                       "calling_station", "hostname", "name", "detail"};

int nw__qfmt_begin(struct nw__qfmt *f)
{
    if (f->format == NW_QUERY_FMT_CSV) {
        for (size_t i = 0; i < NW_ARRAY_LEN(csv_cols); i++)
            fprintf(f->out, "%s%s", i ? "," : "", csv_cols[i]);
        fputs("\r\n", f->out);
    } else if (f->format == NW_QUERY_FMT_TABLE) {
        fprintf(f->out, "%-25s %-7s %-22s %-22s %-16s %s\n", "TIME", "TYPE", "SRC", "DEST",
                "USER", "WHAT");
    }
    return ferror(f->out) ? NW_EIO : 0;
}

int nw__qfmt_end(struct nw__qfmt *f)
{
    fflush(f->out);
    return ferror(f->out) ? NW_EIO : 0;
}

/* Append "key=value " built from a path when present. */
static void kv(struct nw_buf *b, const char *line, size_t len, const char *label,
               const char *path)
{
    char v[CELL];

    if (nw__qget(line, len, path, v, sizeof v) < 0 || v[0] == '\0') return;
    if (b->len && b->data[b->len - 1] != ' ') nw_buf_putc(b, ' ');
    if (label) nw_buf_printf(b, "%s=", label);
    nw_buf_puts(b, v);
}

/* The "most useful" summary of a record, per event type. */
static void detail(struct nw_buf *b, const char *line, size_t len, const char *type)
{
    char v[CELL], w[CELL];

    if (strcmp(type, "dns") == 0) {
        kv(b, line, len, NULL, "dns.type");
        kv(b, line, len, NULL, "dns.queries.0.rrname");
        kv(b, line, len, NULL, "dns.queries.0.rrtype");
        if (nw__qget(line, len, "dns.rcode", v, sizeof v) > 0 && strcmp(v, "NOERROR") != 0)
            kv(b, line, len, NULL, "dns.rcode");
        if (nw__qget(line, len, "dns.answers.0.rdata", v, sizeof v) > 0)
            nw_buf_printf(b, " -> %s", v);
    } else if (strcmp(type, "http") == 0) {
        kv(b, line, len, NULL, "http.http_method");
        if (nw__qget(line, len, "http.hostname", v, sizeof v) < 0) v[0] = '\0';
        if (nw__qget(line, len, "http.url", w, sizeof w) < 0) w[0] = '\0';
        if (v[0] || w[0]) nw_buf_printf(b, "%s%s%s", b->len ? " " : "", v, w);
        kv(b, line, len, NULL, "http.status");
    } else if (strcmp(type, "tls") == 0 || strcmp(type, "quic") == 0) {
        char path[32];
        snprintf(path, sizeof path, "%s.sni", type);
        kv(b, line, len, "sni", path);
        snprintf(path, sizeof path, "%s.version", type);
        kv(b, line, len, NULL, path);
    } else if (strcmp(type, "flow") == 0) {
        kv(b, line, len, NULL, "app_proto");
        kv(b, line, len, "pkts", "flow.pkts_toserver");
        kv(b, line, len, "/", "flow.pkts_toclient");
        kv(b, line, len, "bytes", "flow.bytes_toserver");
        kv(b, line, len, "/", "flow.bytes_toclient");
        kv(b, line, len, NULL, "flow.reason");
    } else if (strcmp(type, "dhcp") == 0) {
        kv(b, line, len, NULL, "dhcp.dhcp_type");
        kv(b, line, len, "mac", "dhcp.client_mac");
        kv(b, line, len, "ip", "dhcp.assigned_ip");
        kv(b, line, len, "host", "dhcp.client_hostname");
    } else if (strcmp(type, "radius") == 0) {
        kv(b, line, len, NULL, "radius.code_name");
        kv(b, line, len, NULL, "radius.acct_status_name");
        kv(b, line, len, "user", "radius.user_name");
        kv(b, line, len, "calling", "radius.calling_station_id");
        kv(b, line, len, "ip", "radius.framed_ip");
    } else if (strcmp(type, "pppoe") == 0) {
        kv(b, line, len, NULL, "pppoe.kind");
        kv(b, line, len, NULL, "pppoe.code");
        kv(b, line, len, "user", "pppoe.username");
        kv(b, line, len, "ip", "pppoe.ip");
    } else if (strcmp(type, "login") == 0) {
        kv(b, line, len, NULL, "login.protocol");
        kv(b, line, len, "user", "login.username");
        kv(b, line, len, NULL, "login.result");
    } else if (strcmp(type, "smtp") == 0) {
        kv(b, line, len, "from", "smtp.mail_from");
        kv(b, line, len, "to", "smtp.rcpt_to.0");
    } else if (strcmp(type, "session") == 0) {
        kv(b, line, len, NULL, "session.state");
        kv(b, line, len, NULL, "session.source");
        kv(b, line, len, "login", "session.login");
        kv(b, line, len, "logout", "session.logout");
        kv(b, line, len, NULL, "session.reason");
    } else if (strcmp(type, "alert") == 0) {
        kv(b, line, len, NULL, "alert.signature");
    }
}

/* The record's main name: dns query, http host, tls/quic sni, dhcp hostname. */
static void main_name(const char *line, size_t len, const char *type, char *v, size_t cap)
{
    v[0] = '\0';
    if (strcmp(type, "dns") == 0)
        nw__qget(line, len, "dns.queries.0.rrname", v, cap);
    else if (strcmp(type, "http") == 0)
        nw__qget(line, len, "http.hostname", v, cap);
    else if (strcmp(type, "tls") == 0)
        nw__qget(line, len, "tls.sni", v, cap);
    else if (strcmp(type, "quic") == 0)
        nw__qget(line, len, "quic.sni", v, cap);
    else if (strcmp(type, "dhcp") == 0)
        nw__qget(line, len, "dhcp.client_hostname", v, cap);
}

/* Write s as a table cell of at least width columns; control bytes become \xNN. */
static void cell(struct nw_buf *b, const char *s, int width)
{
    size_t start = b->len;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            nw_buf_printf(b, "\\x%02x", *p);
        else
            nw_buf_putc(b, (char)*p);
    }
    /* a failed buffer no longer grows: padding it looped forever (alloc_fail.sh) */
    while ((int)(b->len - start) < width && nw_buf_ok(b)) nw_buf_putc(b, ' ');
}

static void csv_field(struct nw_buf *b, const char *s, int first)
{
    if (!first) nw_buf_putc(b, ',');
    if (strpbrk(s, ",\"\r\n") == NULL) {
        nw_buf_puts(b, s);
        return;
    }
    nw_buf_putc(b, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"') nw_buf_putc(b, '"');
        nw_buf_putc(b, *p);
    }
    nw_buf_putc(b, '"');
}

/* "addr:port", "[v6]:port", or the MAC for records without IP. */
static void endpoint(const char *line, size_t len, const char *which, char *out, size_t cap)
{
    char ip[128], port[16], path[16];

    snprintf(path, sizeof path, "%s_ip", which);
    if (nw__qget(line, len, path, ip, sizeof ip) < 0) {
        snprintf(path, sizeof path, "%s_mac", which);
        if (nw__qget(line, len, path, ip, sizeof ip) < 0) ip[0] = '\0';
        snprintf(out, cap, "%s", ip);
        return;
    }
    snprintf(path, sizeof path, "%s_port", which);
    if (nw__qget(line, len, path, port, sizeof port) < 0)
        snprintf(out, cap, "%s", ip);
    else if (strchr(ip, ':'))
        snprintf(out, cap, "[%s]:%s", ip, port);
    else
        snprintf(out, cap, "%s:%s", ip, port);
}

int nw__qfmt_row(struct nw__qfmt *f, const char *line, size_t len)
{
    char ts[64], type[64], v[CELL];
    struct nw_buf *b = &f->b;

    f->rows++;
    if (f->format == NW_QUERY_FMT_JSON) {
        if (len > 0 && line[len - 1] == '\n') len--;
        if (fwrite(line, 1, len, f->out) != len || putc('\n', f->out) == EOF) return NW_EIO;
        return 0;
    }
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
    nw_buf_reset(b);
    if (nw__qget(line, len, "timestamp", ts, sizeof ts) < 0) ts[0] = '\0';
    if (nw__qget(line, len, "event_type", type, sizeof type) < 0) type[0] = '\0';
    if (f->format == NW_QUERY_FMT_CSV) {
        static const char *const paths[] = {"src_ip", "src_port", "dest_ip", "dest_port",
                                            "proto", "user.account", "user.mac",
                                            "user.calling_station", "user.hostname"};
        struct nw_buf d;
        csv_field(b, ts, 1);
        csv_field(b, type, 0);
        for (size_t i = 0; i < NW_ARRAY_LEN(paths); i++) {
            if (nw__qget(line, len, paths[i], v, sizeof v) < 0) v[0] = '\0';
            csv_field(b, v, 0);
        }
        main_name(line, len, type, v, sizeof v);
        csv_field(b, v, 0);
        nw_buf_init(&d, 0);
        detail(&d, line, len, type);
        nw_buf_putc(&d, '\0');
        csv_field(b, nw_buf_ok(&d) ? d.data : "", 0);
        nw_buf_fini(&d);
        nw_buf_puts(b, "\r\n");
    } else {
        char src[160], dst[160];
        /* "2026-09-03T14:05:07.123456+08:00" -> "2026-09-03 14:05:07+08:00" */
        if (strlen(ts) >= 26 && ts[10] == 'T' && ts[19] == '.') {
            char *off = ts + 19;
            while (*off && *off != '+' && *off != '-' && *off != 'Z') off++;
            memmove(ts + 19, off, strlen(off) + 1);
            ts[10] = ' ';
        }
        cell(b, ts, 25);
        nw_buf_putc(b, ' ');
        cell(b, type, 7);
        nw_buf_putc(b, ' ');
        endpoint(line, len, "src", src, sizeof src);
        endpoint(line, len, "dest", dst, sizeof dst);
        cell(b, src, 22);
        nw_buf_putc(b, ' ');
        cell(b, dst, 22);
        nw_buf_putc(b, ' ');
        if (nw__qget(line, len, "user.account", v, sizeof v) <= 0 &&
            nw__qget(line, len, "user.mac", v, sizeof v) <= 0)
            snprintf(v, sizeof v, "-");
        cell(b, v, 16);
        nw_buf_putc(b, ' ');
        {
            struct nw_buf d;
            nw_buf_init(&d, 0);
            detail(&d, line, len, type);
            nw_buf_putc(&d, '\0');
            if (nw_buf_ok(&d)) cell(b, d.data, 0);
            nw_buf_fini(&d);
        }
        while (b->len > 0 && b->data[b->len - 1] == ' ') b->len--;
        nw_buf_putc(b, '\n');
    }
    if (!nw_buf_ok(b)) return NW_ENOMEM;
    if (fwrite(b->data, 1, b->len, f->out) != b->len) return NW_EIO;
    return 0;
}
