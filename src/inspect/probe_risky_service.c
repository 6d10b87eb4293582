/*
 * probe_risky_service.c - "risky_service": is a high-risk service exposed on
 * the target, and does it let anyone in without credentials?
 *
 * One table row per service: its usual ports and a small exchange that asks
 * the service one harmless question and classifies the answer. Questions
 * never change state and never send credentials:
 *   redis          PING                -> +PONG (no auth) | -NOAUTH
 *   elasticsearch  GET /               -> 200 with cluster_name | 401
 *   docker         GET /version        -> 200 with ApiVersion (API open to all)
 *   mongodb        OP_MSG listDatabases (admin, nameOnly) -> databases | Unauthorized
 *   memcached      version             -> VERSION x (text protocol has no auth)
 *   vnc            RFB version + security types -> type 1 "None" offered
 *   rsync          #list               -> module names listed to anyone
 *   ftp            FEAT                -> AUTH TLS offered or not
 *   postgresql     SSLRequest          -> 'S' (TLS offered) | 'N'
 *   telnet, smb, rdp, nfs, ldap, mysql, mssql, oracle: exposure only (the
 *                  scan's banner is the evidence)
 * Only ports the scan found open are contacted, only at the target's address,
 * each with one connection bounded by the connect timeout. Replies are read
 * into fixed buffers; parsing is substring search within the bytes read.
 *
 * Parameters: service (a table name), ports? (instead of the defaults).
 * Facts: service, open (bool), open_ports [n], unauthenticated (bool: true
 * only when proven), tls_offered (bool or null), version (string or null),
 * detail (printable excerpt of the answer).
 */
#include "netprobe.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define REPLY_MAX 4096

struct answer {
    int unauth;        /* 1 proven open to anyone, 0 not / unknown */
    int tls;           /* 1 offered, 0 not, -1 unknown */
    char version[64];
    char detail[256];
};

struct service {
    const char *name;
    uint16_t ports[4];
    /* ask one question on port; fill a (the framework's timeout applies) */
    void (*ask)(const struct nw_scan_target *t, uint16_t port, unsigned ms, const char *banner,
                struct answer *a);
};

static int contains(const uint8_t *p, size_t n, const char *needle)
{
    return memmem(p, n, needle, strlen(needle)) != NULL;
}

static void set_detail(struct answer *a, const uint8_t *p, size_t n)
{
    nw__netprobe_printable(p, NW_MIN(n, 160u), a->detail, sizeof(a->detail));
}

static int http_done(const uint8_t *p, size_t n)
{
    /* whole headers plus a little body is enough to classify */
    const uint8_t *h = memmem(p, n, "\r\n\r\n", 4);
    return h != NULL && (size_t)(p + n - h) > 200;
}

static int line_done(const uint8_t *p, size_t n) { return n > 0 && p[n - 1] == '\n'; }

/* Exposure only: the scan's banner (escaped text) is the evidence. */
static void ask_none(const struct nw_scan_target *t, uint16_t port, unsigned ms,
                     const char *banner, struct answer *a)
{
    (void)t;
    (void)port;
    (void)ms;
    snprintf(a->detail, sizeof(a->detail), "%.200s", banner && *banner ? banner : "(no banner)");
}

static void ask_redis(const struct nw_scan_target *t, uint16_t port, unsigned ms,
                      const char *banner, struct answer *a)
{
    uint8_t r[REPLY_MAX];
    size_t n;
    struct nw_err e;
    (void)banner;
    if (nw_scan_exchange(t, port, "PING\r\n", 6, r, sizeof(r), &n, ms, line_done, &e) != 0) {
        snprintf(a->detail, sizeof(a->detail), "%.255s", e.msg);
        return;
    }
    set_detail(a, r, n);
    a->unauth = n >= 5 && memcmp(r, "+PONG", 5) == 0;
}

static void ask_http(const struct nw_scan_target *t, uint16_t port, unsigned ms, const char *path,
                     const char *marker, struct answer *a)
{
    uint8_t r[REPLY_MAX];
    char req[160];
    size_t n;
    struct nw_err e;
    int len = snprintf(req, sizeof(req),
                       "GET %s HTTP/1.0\r\nUser-Agent: netwarden-inspect\r\nAccept: */*\r\n\r\n",
                       path);
    if (nw_scan_exchange(t, port, req, (size_t)len, r, sizeof(r), &n, ms, http_done, &e) != 0) {
        snprintf(a->detail, sizeof(a->detail), "%.255s", e.msg);
        return;
    }
    set_detail(a, r, n);
    a->unauth = n > 12 && memcmp(r, "HTTP/1.", 7) == 0 && memcmp(r + 8, " 200", 4) == 0 &&
                contains(r, n, marker);
    /* "number":"8.11.1" (Elasticsearch) or "Version":"24.0.7" (Docker) */
    static const char *const keys[] = {"\"number\"", "\"Version\""};
    for (size_t k = 0; k < NW_ARRAY_LEN(keys) && !a->version[0]; k++) {
        size_t kl = strlen(keys[k]);
        const uint8_t *v = memmem(r, n, keys[k], kl);
        if (v == NULL) continue;
        const uint8_t *end = r + n, *q = memchr(v + kl, '"', (size_t)(end - (v + kl)));
        if (q == NULL) continue;
        const uint8_t *qe = memchr(q + 1, '"', (size_t)(end - (q + 1)));
        if (qe && qe - q - 1 < (long)sizeof(a->version) && qe - q - 1 > 0)
            snprintf(a->version, sizeof(a->version), "%.*s", (int)(qe - q - 1), q + 1);
    }
}

static void ask_es(const struct nw_scan_target *t, uint16_t port, unsigned ms, const char *banner,
                   struct answer *a)
{
    (void)banner;
    ask_http(t, port, ms, "/", "cluster_name", a);
}

static void ask_docker(const struct nw_scan_target *t, uint16_t port, unsigned ms,
                       const char *banner, struct answer *a)
{
    (void)banner;
    ask_http(t, port, ms, "/version", "ApiVersion", a);
}

static void ask_memcached(const struct nw_scan_target *t, uint16_t port, unsigned ms,
                          const char *banner, struct answer *a)
{
    uint8_t r[512];
    size_t n;
    struct nw_err e;
    (void)banner;
    if (nw_scan_exchange(t, port, "version\r\n", 9, r, sizeof(r), &n, ms, line_done, &e) != 0) {
        snprintf(a->detail, sizeof(a->detail), "%.255s", e.msg);
        return;
    }
    set_detail(a, r, n);
    if (n > 8 && memcmp(r, "VERSION ", 8) == 0) {
        a->unauth = 1;
        size_t k = 8;
        while (k < n && k - 8 < sizeof(a->version) - 1 && r[k] > ' ') k++;
        snprintf(a->version, sizeof(a->version), "%.*s", (int)(k - 8), r + 8);
    }
}

/* MongoDB OP_MSG {listDatabases: 1, nameOnly: true, $db: "admin"}. */
static void ask_mongo(const struct nw_scan_target *t, uint16_t port, unsigned ms,
                      const char *banner, struct answer *a)
{
    uint8_t m[128], r[REPLY_MAX];
    size_t k = 0, n;
    struct nw_err e;
    (void)banner;
#define PUT32(v)                                                                                  \
    do {                                                                                          \
        uint32_t x_ = (uint32_t)(v);                                                              \
        m[k++] = (uint8_t)x_;                                                                     \
        m[k++] = (uint8_t)(x_ >> 8);                                                              \
        m[k++] = (uint8_t)(x_ >> 16);                                                             \
        m[k++] = (uint8_t)(x_ >> 24);                                                             \
    } while (0)
#define PUTS(s)                                                                                   \
    do {                                                                                          \
        memcpy(m + k, s, sizeof(s));                                                              \
        k += sizeof(s);                                                                           \
    } while (0)
    PUT32(0);    /* messageLength, patched below */
    PUT32(1);    /* requestID */
    PUT32(0);    /* responseTo */
    PUT32(2013); /* OP_MSG */
    PUT32(0);    /* flagBits */
    m[k++] = 0;  /* section kind 0: body */
    size_t doc = k;
    PUT32(0); /* document length, patched */
    m[k++] = 0x10;
    PUTS("listDatabases");
    PUT32(1);
    m[k++] = 0x08;
    PUTS("nameOnly");
    m[k++] = 1;
    m[k++] = 0x02;
    PUTS("$db");
    PUT32(6);
    PUTS("admin");
    m[k++] = 0; /* end of document */
    uint32_t dl = (uint32_t)(k - doc), ml = (uint32_t)k;
    for (int i = 0; i < 4; i++) {
        m[doc + (size_t)i] = (uint8_t)(dl >> (8 * i));
        m[i] = (uint8_t)(ml >> (8 * i));
    }
#undef PUT32
#undef PUTS
    if (nw_scan_exchange(t, port, m, k, r, sizeof(r), &n, ms, NULL, &e) != 0) {
        snprintf(a->detail, sizeof(a->detail), "%.255s", e.msg);
        return;
    }
    a->unauth = contains(r, n, "databases") && !contains(r, n, "nauthorized");
    if (a->unauth)
        snprintf(a->detail, sizeof(a->detail), "listDatabases answered without credentials");
    else
        set_detail(a, r, n);
}

/* RFB: version line, then the security types; type 1 is "None". */
static void ask_vnc(const struct nw_scan_target *t, uint16_t port, unsigned ms, const char *banner,
                    struct answer *a)
{
    struct nw_err e;
    uint8_t r[256];
    size_t n;
    int fd;
    (void)banner;
    fd = nw_scan_connect(t, port, ms, &e);
    if (fd < 0) {
        snprintf(a->detail, sizeof(a->detail), "%.255s", e.msg);
        return;
    }
    n = 0;
    while (n < 12) {
        ssize_t k = recv(fd, r + n, 12 - n, 0);
        if (k <= 0) break;
        n += (size_t)k;
    }
    if (n < 12 || memcmp(r, "RFB ", 4) != 0) {
        set_detail(a, r, n);
        goto out;
    }
    snprintf(a->version, sizeof(a->version), "%.7s", r + 4);
    int v33 = memcmp(r, "RFB 003.003", 11) == 0;
    if (send(fd, v33 ? "RFB 003.003\n" : "RFB 003.008\n", 12, MSG_NOSIGNAL) != 12) goto out;
    ssize_t k = recv(fd, r, sizeof(r), 0);
    if (k <= 0) goto out;
    if (v33) {
        a->unauth = k >= 4 && r[0] == 0 && r[1] == 0 && r[2] == 0 && r[3] == 1;
    } else {
        size_t cnt = r[0];
        for (size_t i = 1; i <= cnt && i < (size_t)k; i++)
            if (r[i] == 1) a->unauth = 1;
    }
    snprintf(a->detail, sizeof(a->detail), "RFB %s, security type None %s", a->version,
             a->unauth ? "offered: no password" : "not offered");
out:
    close(fd);
}

static void ask_rsync(const struct nw_scan_target *t, uint16_t port, unsigned ms,
                      const char *banner, struct answer *a)
{
    uint8_t r[REPLY_MAX];
    size_t n;
    struct nw_err e;
    (void)banner;
    /* greeting, then "#list": the daemon lists the modules it advertises */
    if (nw_scan_exchange(t, port, "@RSYNCD: 31.0\n#list\n", 20, r, sizeof(r), &n, ms, NULL,
                         &e) != 0) {
        snprintf(a->detail, sizeof(a->detail), "%.255s", e.msg);
        return;
    }
    set_detail(a, r, n);
    /* only an rsync daemon: it greets with "@RSYNCD: "; then a module line is
       any line not starting with '@' */
    if (n < 9 || memcmp(r, "@RSYNCD: ", 9) != 0) return;
    size_t i = 0, lines = 0;
    while (i < n && lines < 1000) {
        const uint8_t *nl = memchr(r + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - r) : n;
        if (end > i && r[i] != '@') a->unauth = 1;
        i = end + 1;
        lines++;
    }
}

static void ask_ftp(const struct nw_scan_target *t, uint16_t port, unsigned ms, const char *banner,
                    struct answer *a)
{
    uint8_t r[REPLY_MAX];
    size_t n;
    struct nw_err e;
    (void)banner;
    if (nw_scan_exchange(t, port, "FEAT\r\n", 6, r, sizeof(r), &n, ms, NULL, &e) != 0) {
        snprintf(a->detail, sizeof(a->detail), "%.255s", e.msg);
        return;
    }
    set_detail(a, r, n);
    a->tls = contains(r, n, "AUTH TLS") || contains(r, n, "AUTH SSL");
}

static void ask_pg(const struct nw_scan_target *t, uint16_t port, unsigned ms, const char *banner,
                   struct answer *a)
{
    static const uint8_t sslreq[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
    uint8_t r[8];
    size_t n;
    struct nw_err e;
    (void)banner;
    if (nw_scan_exchange(t, port, sslreq, 8, r, 1, &n, ms, NULL, &e) != 0) {
        snprintf(a->detail, sizeof(a->detail), "%.255s", e.msg);
        return;
    }
    if (n == 1 && (r[0] == 'S' || r[0] == 'N')) {
        a->tls = r[0] == 'S';
        snprintf(a->detail, sizeof(a->detail), "PostgreSQL; TLS %s",
                 a->tls ? "offered" : "not offered");
    } else {
        set_detail(a, r, n);
    }
}

static void ask_mysql(const struct nw_scan_target *t, uint16_t port, unsigned ms,
                      const char *banner, struct answer *a)
{
    (void)t;
    (void)port;
    (void)ms;
    /* greeting: 3-byte length, seq, protocol 10, NUL-terminated version; the
       banner arrives escaped (\x..), so look for the version after "\x0a" */
    snprintf(a->detail, sizeof(a->detail), "%.200s", banner && *banner ? banner : "(no banner)");
    const char *p = banner ? strstr(banner, "\\x0a") : NULL;
    if (p) {
        p += 4;
        size_t k = 0;
        while (p[k] && p[k] != '\\' && k < sizeof(a->version) - 1) k++;
        snprintf(a->version, sizeof(a->version), "%.*s", (int)k, p);
    }
}

static const struct service services[] = {
    {"docker", {2375}, ask_docker},
    {"elasticsearch", {9200}, ask_es},
    {"ftp", {21}, ask_ftp},
    {"ldap", {389}, ask_none},
    {"memcached", {11211}, ask_memcached},
    {"mongodb", {27017}, ask_mongo},
    {"mssql", {1433}, ask_none},
    {"mysql", {3306}, ask_mysql},
    {"nfs", {2049}, ask_none},
    {"oracle", {1521}, ask_none},
    {"postgresql", {5432}, ask_pg},
    {"rdp", {3389}, ask_none},
    {"redis", {6379}, ask_redis},
    {"rsync", {873}, ask_rsync},
    {"smb", {139, 445}, ask_none},
    {"telnet", {23}, ask_none},
    {"vnc", {5900, 5901}, ask_vnc},
};

static int risky_run_talk(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    const struct nw_inspect_target *t = req->target;
    const char *name = nw_probe_param_str(req, "service", NULL);
    const struct service *sv = NULL;
    struct nw_scan_target st;
    struct nw_buf *b = &res->facts;
    uint64_t *want = NULL;
    struct answer best;
    uint16_t opened[64];
    size_t nopened = 0;
    int rc = 0, nwant;
    unsigned ms = nw__netprobe_timeout(req);

    if (t == NULL) return nw_probe_error(res, "risky_service is a network probe: no target");
    for (size_t i = 0; name && i < NW_ARRAY_LEN(services); i++)
        if (strcmp(services[i].name, name) == 0) sv = &services[i];
    if (sv == NULL) {
        char names[400];
        size_t o = 0;
        for (size_t i = 0; i < NW_ARRAY_LEN(services) && o + 20 < sizeof(names); i++)
            o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", i ? ", " : "",
                                  services[i].name);
        return nw_probe_error(res, "risky_service: unknown service '%s' (known: %s)",
                              name ? name : "(none)", names);
    }
    if (!t->scanned)
        return nw_probe_error(res, "%s was not scanned: %s", t->host, t->scan_error);
    if (nw__netprobe_target(t, &st) != 0) return nw_probe_error(res, "%s: no address", t->host);
    want = nw_calloc(1024, sizeof(uint64_t));
    if (want == NULL) return NW_ENOMEM;
    nwant = nw__netprobe_ports_param(req, "ports", want, res);
    if (nwant < 0) goto out;
    if (nwant == 0)
        for (size_t i = 0; i < NW_ARRAY_LEN(sv->ports) && sv->ports[i]; i++)
            want[sv->ports[i] >> 6] |= (uint64_t)1 << (sv->ports[i] & 63);

    memset(&best, 0, sizeof(best));
    best.tls = -1;
    uint16_t best_port = 0;
    for (size_t i = 0; i < t->nopen && nopened < NW_ARRAY_LEN(opened); i++) {
        uint16_t p = t->open_ports[i];
        struct answer a;
        if (!nw__bm_has(want, p)) continue;
        if (req->cancel && *req->cancel) {
            rc = nw_probe_error(res, "cancelled");
            goto out;
        }
        opened[nopened++] = p;
        memset(&a, 0, sizeof(a));
        a.tls = -1;
        sv->ask(&st, p, ms, nw__netprobe_banner(t, p), &a);
        /* keep the worst answer: an unauthenticated port wins */
        if (nopened == 1 || (a.unauth && !best.unauth) || (best.tls == 1 && a.tls == 0)) {
            best = a;
            best_port = p;
        }
    }
    nw_json_kcstr(b, "service", sv->name);
    nw_json_kbool(b, "open", nopened > 0);
    nw_json_karr_open(b, "open_ports");
    for (size_t i = 0; i < nopened; i++) nw_json_uint(b, opened[i]);
    nw_json_arr_close(b);
    nw_json_kbool(b, "unauthenticated", best.unauth);
    nw_json_key(b, "tls_offered");
    if (best.tls < 0)
        nw_json_null(b);
    else
        nw_json_bool(b, best.tls);
    nw_json_key(b, "version");
    if (best.version[0])
        nw_json_cstr(b, best.version);
    else
        nw_json_null(b);
    nw_json_kcstr(b, "detail", best.detail);
    if (nopened == 0)
        nw_probe_evidence(res, "%s: %s not exposed (port%s closed)", t->addr_text, sv->name,
                          sv->ports[1] ? "s" : "");
    else
        nw_probe_evidence(res, "%s:%u %s%s: %.300s", t->addr_text, best_port, sv->name,
                          best.unauth ? " answers without credentials" : " exposed",
                          best.detail);
out:
    nw_free(want);
    return rc;
}

/* The probe entry: SIGPIPE is held off while it talks to the peer. */
static int risky_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    struct nw__sigpipe sp;
    nw__netprobe_sigpipe_hold(&sp);
    int rc = risky_run_talk(req, res);
    nw__netprobe_sigpipe_release(&sp);
    return rc;
}

static const char *const risky_params[] = {"service", "ports?", NULL};
const struct nw_probe nw_probe_risky_service = {
    "risky_service", NW_CHK_NETWORK, risky_params, risky_run,
    "a high-risk service (redis, docker, vnc, ...) exposed, and whether it needs credentials"};
