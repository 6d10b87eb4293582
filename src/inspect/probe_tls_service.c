/*
 * probe_tls_service.c - "tls_service": the TLS configuration of a target's
 * services, through OpenSSL and one hand-built ClientHello.
 *
 * Which ports: the `ports` parameter (those of them that are open), else
 * every open port whose scan banner does not rule TLS out (a service that
 * spoke first in clear text, or answered our HTTP probe in clear text, is
 * not TLS), at most MAX_PORTS. Per port:
 *   1. one handshake accepting anything (security level 0, every protocol
 *      version and cipher OpenSSL has) to read the certificate: expired, not
 *      yet valid, self-signed (issued by itself and verifying with its own
 *      key), host name / IP mismatch against the target as the user wrote
 *      it, days to expiry (against the run's clock, set->now_us);
 *   2. one handshake per version TLS 1.0, 1.1, 1.2, 1.3 pinned min = max:
 *      the list of accepted versions (OpenSSL's security level is lowered
 *      to 0 on our side so old versions can be offered at all);
 *   3. a raw TLS 1.2 ClientHello offering only weak suites (NULL, anonymous,
 *      EXPORT, RC4, DES, 3DES): a ServerHello means the server accepted
 *      one. Raw, because our OpenSSL build cannot offer RC4/EXPORT itself.
 * Every connection is one socket with the connect timeout as I/O timeout;
 * the ServerHello parser checks each length before reading.
 *
 * Parameters: ports?, warn_days? (default 30).
 * Facts: tls_ports [n], cert_expired [n], cert_not_yet_valid [n],
 *   self_signed [n], hostname_mismatch [n], expiring_soon [n],
 *   min_days_left (number or null), old_protocols [n] (TLS 1.0/1.1
 *   accepted), weak_ciphers [n], ports [{port, protocol, cipher, protocols,
 *   subject, issuer, not_before, not_after, days_left, self_signed,
 *   hostname_ok, weak_cipher}]. No TLS port: skip.
 */
#include "netprobe.h"
#include "nw/web.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 16

struct weak_suite {
    uint16_t id;
    const char *name;
};

static const struct weak_suite weak_suites[] = {
    {0x0001, "NULL-MD5"},          {0x0002, "NULL-SHA"},          {0x003B, "NULL-SHA256"},
    {0xC006, "ECDHE-ECDSA-NULL-SHA"}, {0xC010, "ECDHE-RSA-NULL-SHA"}, {0xC015, "AECDH-NULL-SHA"},
    {0x0004, "RC4-MD5"},           {0x0005, "RC4-SHA"},           {0xC007, "ECDHE-ECDSA-RC4-SHA"},
    {0xC011, "ECDHE-RSA-RC4-SHA"}, {0x0018, "ADH-RC4-MD5"},       {0xC016, "AECDH-RC4-SHA"},
    {0x000A, "DES-CBC3-SHA"},      {0xC008, "ECDHE-ECDSA-DES-CBC3-SHA"},
    {0xC012, "ECDHE-RSA-DES-CBC3-SHA"}, {0x0016, "EDH-RSA-DES-CBC3-SHA"},
    {0x0013, "DHE-DSS-DES-CBC3-SHA"}, {0x001B, "ADH-DES-CBC3-SHA"}, {0xC017, "AECDH-DES-CBC3-SHA"},
    {0x0003, "EXP-RC4-MD5"},       {0x0006, "EXP-RC2-CBC-MD5"},   {0x0008, "EXP-DES-CBC-SHA"},
    {0x0014, "EXP-EDH-RSA-DES-CBC-SHA"}, {0x0011, "EXP-EDH-DSS-DES-CBC-SHA"},
    {0x0009, "DES-CBC-SHA"},       {0x0015, "EDH-RSA-DES-CBC-SHA"},
    {0x0034, "ADH-AES128-SHA"},    {0x003A, "ADH-AES256-SHA"},    {0x006C, "ADH-AES128-SHA256"},
    {0x006D, "ADH-AES256-SHA256"}, {0x00A6, "ADH-AES128-GCM-SHA256"},
    {0x00A7, "ADH-AES256-GCM-SHA384"}, {0xC018, "AECDH-AES128-SHA"}, {0xC019, "AECDH-AES256-SHA"},
};

struct port_res {
    uint16_t port;
    int tls;              /* a handshake completed */
    char protocol[16];
    char cipher[64];
    unsigned versions;    /* bit 0 = TLS 1.0 ... bit 3 = TLS 1.3 */
    int have_cert;
    char subject[256], issuer[256];
    char not_before[32], not_after[32];
    long days_left;
    int expired, not_yet_valid, self_signed, hostname_ok;
    const char *weak;     /* accepted weak suite, or NULL */
};

static int is_ip_literal(const char *h)
{
    uint8_t buf[16];
    return inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1;
}

static SSL_CTX *make_ctx(int minv, int maxv)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) return NULL;
    /* let us offer what the system policy forbids: we inspect, we do not trust */
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_NO_TICKET);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    (void)SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0");
    SSL_CTX_set_min_proto_version(ctx, minv);
    SSL_CTX_set_max_proto_version(ctx, maxv);
    return ctx;
}

/* One handshake; returns the SSL (caller frees with SSL_free and closes *fd) or NULL. */
static SSL *handshake(const struct nw_scan_target *st, uint16_t port, unsigned ms, SSL_CTX *ctx,
                      const char *sni, int *fd)
{
    struct nw_err e;
    SSL *ssl;
    *fd = nw_scan_connect(st, port, ms, &e);
    if (*fd < 0) return NULL;
    ssl = SSL_new(ctx);
    if (ssl == NULL) goto fail;
    SSL_set_fd(ssl, *fd);
    if (sni) SSL_set_tlsext_host_name(ssl, sni);
    if (SSL_connect(ssl) == 1) return ssl;
    SSL_free(ssl);
fail:
    ERR_clear_error();
    close(*fd);
    *fd = -1;
    return NULL;
}

static void fmt_time(const ASN1_TIME *t, char *out, size_t cap)
{
    struct tm tm;
    if (t && ASN1_TIME_to_tm(t, &tm) == 1)
        strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else
        snprintf(out, cap, "?");
}

static void examine_cert(X509 *c, time_t now, const char *host, struct port_res *pr)
{
    ASN1_TIME *at = ASN1_TIME_set(NULL, now);
    int days = 0, secs = 0;

    pr->have_cert = 1;
    X509_NAME_oneline(X509_get_subject_name(c), pr->subject, sizeof(pr->subject));
    X509_NAME_oneline(X509_get_issuer_name(c), pr->issuer, sizeof(pr->issuer));
    fmt_time(X509_get0_notBefore(c), pr->not_before, sizeof(pr->not_before));
    fmt_time(X509_get0_notAfter(c), pr->not_after, sizeof(pr->not_after));
    pr->expired = X509_cmp_time(X509_get0_notAfter(c), &now) < 0;
    pr->not_yet_valid = X509_cmp_time(X509_get0_notBefore(c), &now) > 0;
    if (at && ASN1_TIME_diff(&days, &secs, at, X509_get0_notAfter(c)) == 1)
        pr->days_left = days;
    ASN1_TIME_free(at);
    EVP_PKEY *pk = X509_get0_pubkey(c);
    pr->self_signed = X509_check_issued(c, c) == X509_V_OK && pk && X509_verify(c, pk) == 1;
    if (is_ip_literal(host))
        pr->hostname_ok = X509_check_ip_asc(c, host, 0) == 1;
    else
        pr->hostname_ok = X509_check_host(c, host, 0, 0, NULL) == 1;
    ERR_clear_error();
}

/* complete() for the raw hello: a whole alert, or a ServerHello up to its cipher suite. */
static int hello_done(const uint8_t *p, size_t n)
{
    if (n >= 7 && p[0] == 0x15) return 1;
    if (n < 6) return 0;
    if (p[0] != 0x16) return 1; /* not TLS: stop reading */
    if (p[5] != 0x02) return 1;
    if (n < 5 + 4 + 2 + 32 + 1) return 0;
    size_t sid = p[5 + 4 + 2 + 32];
    return n >= 5 + 4 + 2 + 32 + 1 + sid + 2;
}

/* Offer only weak suites; return the one the server chose, or NULL. */
static const char *weak_probe(const struct nw_scan_target *st, uint16_t port, unsigned ms,
                              const char *sni)
{
    uint8_t m[512], r[256];
    size_t k = 0, n;
    struct nw_err e;
    size_t sni_len = sni ? strlen(sni) : 0;

    if (sni_len > 200) sni_len = 0;
    m[k++] = 0x16; /* handshake record, TLS 1.0 record version for compatibility */
    m[k++] = 0x03;
    m[k++] = 0x01;
    k += 2; /* record length */
    size_t hs = k;
    m[k++] = 0x01; /* ClientHello */
    k += 3;
    m[k++] = 0x03; /* client_version TLS 1.2 */
    m[k++] = 0x03;
    if (RAND_bytes(m + k, 32) != 1) memset(m + k, 0x5a, 32);
    k += 32;
    m[k++] = 0; /* session id */
    size_t ncs = NW_ARRAY_LEN(weak_suites) + 1;
    m[k++] = (uint8_t)((ncs * 2) >> 8);
    m[k++] = (uint8_t)(ncs * 2);
    for (size_t i = 0; i < NW_ARRAY_LEN(weak_suites); i++) {
        m[k++] = (uint8_t)(weak_suites[i].id >> 8);
        m[k++] = (uint8_t)weak_suites[i].id;
    }
    m[k++] = 0x00; /* TLS_EMPTY_RENEGOTIATION_INFO_SCSV */
    m[k++] = 0xff;
    m[k++] = 1; /* compression: null */
    m[k++] = 0;
    size_t ext = k;
    k += 2;
    if (sni_len) {
        m[k++] = 0x00, m[k++] = 0x00;
        m[k++] = (uint8_t)((sni_len + 5) >> 8), m[k++] = (uint8_t)(sni_len + 5);
        m[k++] = (uint8_t)((sni_len + 3) >> 8), m[k++] = (uint8_t)(sni_len + 3);
        m[k++] = 0;
        m[k++] = (uint8_t)(sni_len >> 8), m[k++] = (uint8_t)sni_len;
        memcpy(m + k, sni, sni_len);
        k += sni_len;
    }
    static const uint8_t fixed_ext[] = {
        0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18, /* groups */
        0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,                                     /* points */
        0x00, 0x0d, 0x00, 0x0c, 0x00, 0x0a, 0x04, 0x01, 0x04, 0x03, 0x08, 0x04, /* sigalgs */
        0x02, 0x01, 0x02, 0x03,
    };
    memcpy(m + k, fixed_ext, sizeof(fixed_ext));
    k += sizeof(fixed_ext);
    size_t el = k - ext - 2, hl = k - hs - 4, rl = k - 5;
    m[ext] = (uint8_t)(el >> 8), m[ext + 1] = (uint8_t)el;
    m[hs + 1] = (uint8_t)(hl >> 16), m[hs + 2] = (uint8_t)(hl >> 8), m[hs + 3] = (uint8_t)hl;
    m[3] = (uint8_t)(rl >> 8), m[4] = (uint8_t)rl;

    if (nw_scan_exchange(st, port, m, k, r, sizeof(r), &n, ms, hello_done, &e) != 0) return NULL;
    if (n < 5 + 4 + 2 + 32 + 1 || r[0] != 0x16 || r[5] != 0x02) return NULL;
    size_t sid = r[5 + 4 + 2 + 32];
    size_t off = 5 + 4 + 2 + 32 + 1 + sid;
    if (off + 2 > n) return NULL;
    uint16_t cs = nw_be16(r + off);
    for (size_t i = 0; i < NW_ARRAY_LEN(weak_suites); i++)
        if (weak_suites[i].id == cs) return weak_suites[i].name;
    return NULL;
}

/* A banner rules TLS out when the service spoke clear text. */
static int maybe_tls(const char *banner)
{
    if (banner == NULL || *banner == '\0') return 1;
    if (strncmp(banner, "\\x15\\x03", 8) == 0 || strncmp(banner, "\\x16\\x03", 8) == 0) return 1;
    return 0;
}

static void examine_port(const struct nw_scan_target *st, uint16_t port, unsigned ms,
                         const char *host, time_t now, struct port_res *pr)
{
    static const int vers[4] = {TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION};
    const char *sni = is_ip_literal(host) ? NULL : host;
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;

    pr->port = port;
    ctx = make_ctx(TLS1_VERSION, TLS1_3_VERSION);
    if (ctx == NULL) return;
    ssl = handshake(st, port, ms, ctx, sni, &fd);
    if (ssl) {
        pr->tls = 1;
        snprintf(pr->protocol, sizeof(pr->protocol), "%s", SSL_get_version(ssl));
        snprintf(pr->cipher, sizeof(pr->cipher), "%s", SSL_get_cipher_name(ssl));
        X509 *c = SSL_get1_peer_certificate(ssl);
        if (c) {
            examine_cert(c, now, host, pr);
            X509_free(c);
        }
        SSL_shutdown(ssl);
        SSL_free(ssl);
        close(fd);
    }
    SSL_CTX_free(ctx);
    if (!pr->tls) return;
    for (int v = 0; v < 4; v++) {
        ctx = make_ctx(vers[v], vers[v]);
        if (ctx == NULL) continue;
        ssl = handshake(st, port, ms, ctx, sni, &fd);
        if (ssl) {
            pr->versions |= 1u << v;
            SSL_free(ssl);
            close(fd);
        }
        SSL_CTX_free(ctx);
    }
    pr->weak = weak_probe(st, port, ms, sni);
}

static void port_list(struct nw_buf *b, const char *key, const struct port_res *prs, size_t n,
                      int which)
{
    nw_json_karr_open(b, key);
    for (size_t i = 0; i < n; i++) {
        const struct port_res *p = &prs[i];
        int v = 0;
        if (!p->tls) continue;
        switch (which) {
        case 0: v = 1; break;
        case 1: v = p->have_cert && p->expired; break;
        case 2: v = p->have_cert && p->not_yet_valid; break;
        case 3: v = p->have_cert && p->self_signed; break;
        case 4: v = p->have_cert && !p->hostname_ok; break;
        case 5: v = (p->versions & 3u) != 0; break;
        case 6: v = p->weak != NULL; break;
        }
        if (v) nw_json_uint(b, p->port);
    }
    nw_json_arr_close(b);
}

static int tls_run_talk(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    static const char *const vname[4] = {"TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"};
    const struct nw_inspect_target *t = req->target;
    struct nw_scan_target st;
    struct nw_buf *b = &res->facts;
    struct port_res *prs = NULL;
    uint64_t *want = NULL;
    size_t n = 0, ntls = 0;
    int nwant, rc = 0;
    unsigned ms = nw__netprobe_timeout(req);
    long warn = (long)nw_probe_param_uint(req, "warn_days", 30);
    time_t now = req->set && req->set->now_us ? (time_t)(req->set->now_us / 1000000u)
                                              : time(NULL);
    const char *host;
    struct nw_url url;

    if (t == NULL) return nw_probe_error(res, "tls_service is a network probe: no target");
    if (!t->scanned)
        return nw_probe_error(res, "%s was not scanned: %s", t->host, t->scan_error);
    if (nw__netprobe_target(t, &st) != 0) return nw_probe_error(res, "%s: no address", t->host);
    host = t->host && *t->host ? t->host : t->addr_text;
    /* a website target is its URL: the certificate must name the URL's host */
    if (nw_web_is_url(host) && nw_web_url_parse(host, &url) == 0) host = url.host;
    want = nw_calloc(1024, sizeof(uint64_t));
    prs = nw_calloc(MAX_PORTS, sizeof(*prs));
    if (want == NULL || prs == NULL) {
        rc = NW_ENOMEM;
        goto out;
    }
    nwant = nw__netprobe_ports_param(req, "ports", want, res);
    if (nwant < 0) goto out;
    for (size_t i = 0; i < t->nopen && n < MAX_PORTS; i++) {
        uint16_t p = t->open_ports[i];
        if (nwant > 0 ? !nw__bm_has(want, p) : !maybe_tls(nw__netprobe_banner(t, p))) continue;
        if (req->cancel && *req->cancel) {
            rc = nw_probe_error(res, "cancelled");
            goto out;
        }
        examine_port(&st, p, ms, host, now, &prs[n]);
        if (prs[n].tls) ntls++;
        n++;
    }
    if (ntls == 0) {
        rc = nw_probe_skip(res, "%s: no TLS service among %zu candidate open port(s)",
                           t->addr_text, n);
        goto out;
    }
    port_list(b, "tls_ports", prs, n, 0);
    port_list(b, "cert_expired", prs, n, 1);
    port_list(b, "cert_not_yet_valid", prs, n, 2);
    port_list(b, "self_signed", prs, n, 3);
    port_list(b, "hostname_mismatch", prs, n, 4);
    port_list(b, "old_protocols", prs, n, 5);
    port_list(b, "weak_ciphers", prs, n, 6);
    long mind = 0;
    int have = 0;
    nw_json_karr_open(b, "expiring_soon");
    for (size_t i = 0; i < n; i++) {
        if (!prs[i].tls || !prs[i].have_cert) continue;
        if (!have || prs[i].days_left < mind) mind = prs[i].days_left;
        have = 1;
        if (!prs[i].expired && prs[i].days_left < warn) nw_json_uint(b, prs[i].port);
    }
    nw_json_arr_close(b);
    nw_json_key(b, "min_days_left");
    if (have)
        nw_json_int(b, mind);
    else
        nw_json_null(b);
    nw_json_karr_open(b, "ports");
    for (size_t i = 0; i < n; i++) {
        const struct port_res *p = &prs[i];
        if (!p->tls) continue;
        nw_json_obj_open(b);
        nw_json_kuint(b, "port", p->port);
        nw_json_kcstr(b, "protocol", p->protocol);
        nw_json_kcstr(b, "cipher", p->cipher);
        nw_json_karr_open(b, "protocols");
        for (int v = 0; v < 4; v++)
            if (p->versions & (1u << v)) nw_json_cstr(b, vname[v]);
        nw_json_arr_close(b);
        if (p->have_cert) {
            nw_json_kcstr(b, "subject", p->subject);
            nw_json_kcstr(b, "issuer", p->issuer);
            nw_json_kcstr(b, "not_before", p->not_before);
            nw_json_kcstr(b, "not_after", p->not_after);
            nw_json_kint(b, "days_left", p->days_left);
            nw_json_kbool(b, "self_signed", p->self_signed);
            nw_json_kbool(b, "hostname_ok", p->hostname_ok);
        }
        nw_json_key(b, "weak_cipher");
        if (p->weak)
            nw_json_cstr(b, p->weak);
        else
            nw_json_null(b);
        nw_json_obj_close(b);
    }
    nw_json_arr_close(b);

    /* evidence: the worst thing found on the first TLS port that has it */
    char ev[700];
    size_t o = 0;
    for (size_t i = 0; i < n && o + 120 < sizeof(ev); i++) {
        const struct port_res *p = &prs[i];
        if (!p->tls) continue;
        o += (size_t)snprintf(ev + o, sizeof(ev) - o, "%s%u: %s %s", o ? "; " : "", p->port,
                              p->protocol, p->cipher);
        if (p->have_cert)
            o += (size_t)snprintf(ev + o, sizeof(ev) - o, ", cert %s until %s (%ld days)%s%s",
                                  p->self_signed ? "self-signed" : "CA-issued", p->not_after,
                                  p->days_left, p->expired ? " EXPIRED" : "",
                                  p->hostname_ok ? "" : ", name mismatch");
        if (p->versions & 3u)
            o += (size_t)snprintf(ev + o, sizeof(ev) - o, ", accepts %s",
                                  (p->versions & 1u) ? "TLS 1.0" : "TLS 1.1");
        if (p->weak) o += (size_t)snprintf(ev + o, sizeof(ev) - o, ", accepts %s", p->weak);
        if (o >= sizeof(ev)) o = sizeof(ev) - 1;
    }
    nw_probe_evidence(res, "%s %.900s", t->addr_text, ev);
out:
    nw_free(want);
    nw_free(prs);
    return rc;
}

/* The probe entry: SIGPIPE is held off while it talks to the peer. */
static int tls_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    struct nw__sigpipe sp;
    nw__netprobe_sigpipe_hold(&sp);
    int rc = tls_run_talk(req, res);
    nw__netprobe_sigpipe_release(&sp);
    return rc;
}

static const char *const tls_params[] = {"ports?", "warn_days?", NULL};
const struct nw_probe nw_probe_tls_service = {
    "tls_service", NW_CHK_NETWORK, tls_params, tls_run,
    "TLS services: certificate validity, self-signed, name match, versions, weak ciphers"};
