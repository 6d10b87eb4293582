/*
 * probe_weak_http_basic.c - weak_http_basic: does a URL protected by HTTP
 * Basic authentication (RFC 7617) accept a user/password from the built-in
 * dictionary? Plain HTTP or HTTPS (OpenSSL).
 *
 * Parameters: path (the URL path, default "/"), port (default 80, or 443
 * with tls), tls ("true"/"false"; default true on 443), host (Host header
 * and SNI; default the target as the user wrote it).
 *
 * First a request without credentials: unless it answers 401 with a Basic
 * challenge there is nothing to guess (basic_auth_required false, no
 * attempts). Then one GET per attempt with an Authorization header; a 2xx
 * or 3xx answer means accepted; 401/403 rejected; 5xx or a broken
 * connection twice in a row stops the run.
 *
 * Facts: port, tls, path, status_without_credentials,
 * basic_auth_required, and the cred.c facts.
 *
 * Invariants: one connection per request (Connection: close); only the
 * response head is read (<= 16 KiB, parsed by nw__http_head); the request
 * buffer holding the encoded credentials is wiped after sending; the
 * certificate is not verified (tls_service checks certificates).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "cred.h"
#include "weak_wire.h"

struct hb_ctx {
    const struct nw_inspect_target *t;
    uint16_t port;
    uint64_t conn_ms, io_ms;
    int tls;
    SSL_CTX *ssl_ctx;
    const char *path, *host;
    int broken; /* consecutive failed exchanges */
};

/* One request; *status gets the code. 0, or -1 with why. */
static int hb_request(struct hb_ctx *c, const char *auth, int *status, int *basic, char *why,
                      size_t whysz)
{
    char req[2048];
    uint8_t head[16384];
    size_t have = 0;
    SSL *ssl = NULL;
    int fd, n, rc = -1;

    fd = nw__cred_connect(c->t, c->port, c->conn_ms, c->io_ms, why, whysz);
    if (fd < 0) return -1;
    n = snprintf(req, sizeof req,
                 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: netwarden-inspect\r\n"
                 "%s%s%sAccept: */*\r\nConnection: close\r\n\r\n",
                 c->path, c->host, auth ? "Authorization: Basic " : "", auth ? auth : "",
                 auth ? "\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof req) {
        snprintf(why, whysz, "request too long");
        goto out;
    }
    if (c->tls) {
        ssl = SSL_new(c->ssl_ctx);
        if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
            snprintf(why, whysz, "out of memory (OpenSSL)");
            goto out;
        }
        if (c->host[0] && strspn(c->host, "0123456789.:") != strlen(c->host))
            SSL_set_tlsext_host_name(ssl, c->host);
        if (SSL_connect(ssl) != 1) {
            unsigned long e = ERR_get_error();

            snprintf(why, whysz, "%s:%u: TLS handshake failed: %s", c->t->addr_text, c->port,
                     e ? ERR_reason_error_string(e) : "connection closed");
            goto out;
        }
        if (SSL_write(ssl, req, n) != n) {
            snprintf(why, whysz, "%s:%u: TLS write failed", c->t->addr_text, c->port);
            goto out;
        }
    } else if (nw__wire_write(fd, req, (size_t)n, why, whysz) < 0) {
        goto out;
    }
    /* bounded: each turn adds bytes to head or ends */
    for (;;) {
        int r, p;

        if (have > 0) {
            p = nw__http_head(head, have, status, basic);
            if (p > 0) {
                rc = 0;
                break;
            }
            if (p < 0) {
                snprintf(why, whysz, "%s:%u: the reply is not HTTP%s", c->t->addr_text, c->port,
                         c->tls ? "" : " (a TLS-only port? set tls: true)");
                break;
            }
        }
        if (have == sizeof head) break;
        r = ssl ? SSL_read(ssl, head + have, (int)(sizeof head - have))
                : (int)read(fd, head + have, sizeof head - have);
        if (r <= 0) {
            snprintf(why, whysz, "%s:%u: no complete HTTP reply", c->t->addr_text, c->port);
            break;
        }
        have += (size_t)r;
    }
out:
    nw__cred_wipe(req, sizeof req);
    if (ssl) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
    }
    close(fd);
    return rc;
}

static int hb_attempt(void *ctx, const char *user, const char *pass, char *why, size_t whysz)
{
    struct hb_ctx *c = ctx;
    unsigned char plain[2 * NW_CRED_MAX_LEN + 2];
    char enc[4 * (sizeof plain / 3 + 1) + 1];
    size_t ul = strlen(user), pl = strlen(pass);
    int status = 0, basic, r;

    if (strchr(user, ':') != NULL) return NW_CRED_NOUSER; /* RFC 7617: no colon in user-id */
    memcpy(plain, user, ul);
    plain[ul] = ':';
    memcpy(plain + ul + 1, pass, pl);
    EVP_EncodeBlock((unsigned char *)enc, plain, (int)(ul + 1 + pl));
    nw__cred_wipe(plain, sizeof plain);
    r = hb_request(c, enc, &status, &basic, why, whysz);
    nw__cred_wipe(enc, sizeof enc);
    if (r < 0 || status >= 500) {
        if (r == 0) snprintf(why, whysz, "%s:%u: server error %d", c->t->addr_text, c->port, status);
        return ++c->broken >= 2 ? NW_CRED_STOP : NW_CRED_REJECT;
    }
    c->broken = 0;
    return status >= 200 && status < 400 ? NW_CRED_ACCEPT : NW_CRED_REJECT;
}

static int weak_http_basic_body(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    static const struct nw_cred_ops ops = {hb_attempt, NULL};
    struct hb_ctx c;
    struct nw_cred_dict d;
    struct nw_cred_run run;
    struct nw_err err = {""};
    char why[256] = "", svc[160];
    const char *tls;
    int rc = 0, status = 0, basic = 0;

    memset(&c, 0, sizeof c);
    memset(&d, 0, sizeof d);
    c.t = req->target;
    if (c.t == NULL) return nw_probe_error(res, "weak_http_basic needs a network target");
    tls = nw_probe_param_str(req, "tls", NULL);
    c.port = nw__cred_port(req, tls && strcmp(tls, "true") == 0 ? 443 : 80);
    c.tls = tls ? strcmp(tls, "true") == 0 : c.port == 443;
    c.path = nw_probe_param_str(req, "path", "/");
    c.host = nw_probe_param_str(req, "host", c.t->host ? c.t->host : c.t->addr_text);
    nw__cred_timeouts(req, &c.conn_ms, &c.io_ms);
    nw__cred_run_init(&run, req);
    run.realm = "http"; /* one site on 80 and 443 usually has one user list */
    snprintf(svc, sizeof svc, "%s://%s:%u%s", c.tls ? "https" : "http", c.t->addr_text, c.port,
             c.path);
    if (c.path[0] != '/' || strpbrk(c.path, " \r\n") != NULL || strlen(c.path) > 1024 ||
        strpbrk(c.host, " \r\n/") != NULL || strlen(c.host) > 255)
        return nw_probe_error(res, "weak_http_basic: path must start with '/' and host must be "
                              "a plain name; fix the check's parameters");
    if (!nw__cred_port_open(c.t, c.port))
        return nw_probe_skip(res, "%s: port closed, no web service to test", svc);
    if (c.tls) {
        c.ssl_ctx = SSL_CTX_new(TLS_client_method());
        if (c.ssl_ctx == NULL) return NW_ENOMEM;
        SSL_CTX_set_verify(c.ssl_ctx, SSL_VERIFY_NONE, NULL);
    }
    if (hb_request(&c, NULL, &status, &basic, why, sizeof why) < 0) {
        rc = nw_probe_error(res, "%s", why);
        goto out;
    }
    nw_json_kuint(&res->facts, "port", c.port);
    nw_json_kbool(&res->facts, "tls", c.tls);
    nw_json_kcstr(&res->facts, "path", c.path);
    nw_json_kint(&res->facts, "status_without_credentials", status);
    nw_json_kbool(&res->facts, "basic_auth_required", status == 401 && basic);
    if (status == 401 && basic) {
        if (nw__cred_dict_for(&d, req, &err) < 0) {
            rc = nw_probe_error(res, "%s", err.msg);
            goto out;
        }
        nw__cred_run(&run, &d, &ops, &c);
        if (run.stop == NW_CRED_SERVICE && run.attempts <= 2) {
            rc = nw_probe_error(res, "%s: %s", svc, run.stop_reason);
            goto out;
        }
        nw__cred_evidence(&run, svc, res->evidence, sizeof res->evidence);
    } else {
        nw_probe_evidence(res, "%s: answers %d without credentials; no Basic authentication to "
                          "test", svc, status);
    }
    nw__cred_facts(&run, &res->facts);
out:
    SSL_CTX_free(c.ssl_ctx);
    nw__cred_dict_fini(&d);
    return rc;
}

/* The probe entry: SIGPIPE is held off while it talks to the peer. */
static int weak_http_basic_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    return nw__cred_run_guarded(weak_http_basic_body, req, res);
}

static const char *const weak_http_basic_params[] = {
    "path?", "port?", "tls?", "host?", "users?", "builtin_users?", "max_attempts?",
    "max_accounts?", NULL};

const struct nw_probe nw_probe_weak_http_basic = {
    .name = "weak_http_basic",
    .mode = NW_CHK_NETWORK,
    .params = weak_http_basic_params,
    .run = weak_http_basic_run,
    .doc = "HTTP(S) Basic authentication on a URL path: passwords from the built-in dictionary",
};
