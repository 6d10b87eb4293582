/*
 * probe_weak_ftp.c - weak_ftp: does an FTP server (RFC 959) let anonymous
 * users in, and does it accept a password from the built-in dictionary?
 *
 * Parameter `test`: "anonymous" (USER anonymous / PASS with an e-mail-like
 * string, the convention of RFC 1635), "dictionary" (the cred.c engine), or
 * "both". Two checks name this probe with different `test` values so each
 * account is still tried at most attempts_per_account times per run.
 *
 * Facts: port, greeting_code, anonymous_login (bool), tls_required (bool:
 * the server demanded AUTH TLS), plus the cred.c facts in dictionary mode.
 *
 * Invariants: plain TCP only (an FTPS-only server is reported through
 * tls_required, not logged into); every read is bounded by the socket
 * timeout and a 8 KiB reply buffer; a PASS command is built in a stack
 * buffer that is wiped after it is sent.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cred.h"
#include "weak_wire.h"

struct ftp_conn {
    const struct nw_inspect_target *t;
    uint16_t port;
    uint64_t conn_ms, io_ms;
    int fd;
    uint8_t buf[8192];
    size_t have;
    int greeting;     /* code of the greeting */
    int tls_required; /* a 530/534/550 mentioning TLS/SSL/encryption was seen */
};

static int parse_ftp(void *arg, const uint8_t *p, size_t len)
{
    return nw__ftp_reply(p, len, arg);
}

static int mentions_tls(const uint8_t *p, size_t n)
{
    static const char *const words[] = {"TLS", "SSL", "ncrypt", NULL};

    for (int w = 0; words[w]; w++) {
        size_t wl = strlen(words[w]);

        for (size_t i = 0; i + wl <= n; i++)
            if (memcmp(p + i, words[w], wl) == 0) return 1;
    }
    return 0;
}

/* Read one reply; returns its code, or -1 (why filled). */
static int ftp_reply(struct ftp_conn *c, char *why, size_t whysz)
{
    struct nw_wire_parser wp;
    int code = 0, n;

    wp.parse = parse_ftp;
    wp.arg = &code;
    n = nw__wire_read(c->fd, c->buf, sizeof c->buf, &c->have, &wp, why, whysz);
    if (n == 0) snprintf(why, whysz, "%s:%u: the server closed the connection", c->t->addr_text,
                         c->port);
    if (n == NW_EFORMAT || n == NW_ELIMIT)
        snprintf(why, whysz, "%s:%u: the reply is not FTP", c->t->addr_text, c->port);
    if (n <= 0) return -1;
    if ((code == 530 || code == 534 || code == 550 || code == 421) &&
        mentions_tls(c->buf, (size_t)n))
        c->tls_required = 1;
    nw__wire_consume(c->buf, &c->have, (size_t)n);
    return code;
}

static int ftp_cmd(struct ftp_conn *c, const char *cmd, const char *arg, char *why, size_t whysz)
{
    char line[NW_CRED_MAX_LEN + 32];
    int n = snprintf(line, sizeof line, "%s%s%s\r\n", cmd, arg ? " " : "", arg ? arg : "");
    int rc;

    if (n < 0 || (size_t)n >= sizeof line || (arg && strpbrk(arg, "\r\n"))) {
        nw__cred_wipe(line, sizeof line);
        snprintf(why, whysz, "argument cannot be sent over FTP");
        return -2;
    }
    rc = nw__wire_write(c->fd, line, (size_t)n, why, whysz);
    nw__cred_wipe(line, sizeof line);
    return rc < 0 ? -1 : ftp_reply(c, why, whysz);
}

static void ftp_close(struct ftp_conn *c)
{
    if (c->fd >= 0) {
        char why[64];

        /* polite QUIT; its reply is not needed */
        (void)nw__wire_write(c->fd, "QUIT\r\n", 6, why, sizeof why);
        close(c->fd);
    }
    c->fd = -1;
    c->have = 0;
}

/* Connect and read the greeting. 0, or -1 with why. */
static int ftp_open(struct ftp_conn *c, char *why, size_t whysz)
{
    int code;

    c->fd = nw__cred_connect(c->t, c->port, c->conn_ms, c->io_ms, why, whysz);
    if (c->fd < 0) return -1;
    c->have = 0;
    code = ftp_reply(c, why, whysz);
    if (code < 0) goto fail;
    /* 120 "service ready in nnn minutes" precedes the real greeting */
    if (code == 120) code = ftp_reply(c, why, whysz);
    c->greeting = code;
    if (code == 220) return 0;
    snprintf(why, whysz, "%s:%u: the server refused the session (reply %d)", c->t->addr_text,
             c->port, code);
fail:
    ftp_close(c);
    return -1;
}

static int ftp_attempt(void *ctx, const char *user, const char *pass, char *why, size_t whysz)
{
    struct ftp_conn *c = ctx;
    int code;
    int fresh = c->fd < 0;

    if (c->fd < 0 && ftp_open(c, why, whysz) < 0) return NW_CRED_STOP;
    code = ftp_cmd(c, "USER", user, why, whysz);
    if (code == -2) return NW_CRED_NOUSER;
    if (code < 0 && !fresh) {
        /* the server hung up after the previous reply (vsftpd does after a refused USER):
           no password was sent yet, so reconnecting is still the same attempt */
        ftp_close(c);
        if (ftp_open(c, why, whysz) < 0) return NW_CRED_STOP;
        code = ftp_cmd(c, "USER", user, why, whysz);
    }
    if (code < 0) goto lost;
    if (code == 230) return NW_CRED_ACCEPT; /* no password needed at all */
    if (code != 331 && code != 332) {
        if (code == 421) ftp_close(c);
        return NW_CRED_NOUSER; /* "anonymous only", "permission denied", TLS required... */
    }
    code = ftp_cmd(c, "PASS", pass, why, whysz);
    if (code == -2) return NW_CRED_REJECT;
    if (code < 0) goto lost;
    if (code == 230 || code == 202) {
        ftp_close(c); /* fresh session for the next account */
        return NW_CRED_ACCEPT;
    }
    if (code == 421) ftp_close(c);
    return NW_CRED_REJECT;
lost:
    /* the attempt counts (the server may have seen it); reconnect next time */
    ftp_close(c);
    return NW_CRED_REJECT;
}

static void ftp_account_end(void *ctx)
{
    (void)ctx; /* the session is reused across accounts; vsftpd allows USER again */
}

static int weak_ftp_body(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    static const struct nw_cred_ops ops = {ftp_attempt, ftp_account_end};
    const char *test = nw_probe_param_str(req, "test", "both");
    int do_anon = strcmp(test, "dictionary") != 0, do_dict = strcmp(test, "anonymous") != 0;
    struct ftp_conn c;
    struct nw_cred_dict d;
    struct nw_cred_run run;
    struct nw_err err = {""};
    char why[256] = "", svc[96];
    int anon = 0, rc = 0, code;

    memset(&c, 0, sizeof c);
    memset(&d, 0, sizeof d);
    c.fd = -1;
    c.t = req->target;
    if (c.t == NULL) return nw_probe_error(res, "weak_ftp needs a network target");
    c.port = nw__cred_port(req, 21);
    nw__cred_timeouts(req, &c.conn_ms, &c.io_ms);
    snprintf(svc, sizeof svc, "ftp %s:%u", c.t->addr_text, c.port);
    if (!nw__cred_port_open(c.t, c.port))
        return nw_probe_skip(res, "%s: port closed, no FTP service to test", svc);
    if (ftp_open(&c, why, sizeof why) < 0) return nw_probe_error(res, "%s", why);

    if (do_anon) {
        code = ftp_cmd(&c, "USER", "anonymous", why, sizeof why);
        if (code == 331) code = ftp_cmd(&c, "PASS", "netwarden@example.invalid", why, sizeof why);
        if (code < 0) {
            rc = nw_probe_error(res, "%s", why);
            goto out;
        }
        anon = code == 230;
        ftp_close(&c);
    }
    nw_json_kuint(&res->facts, "port", c.port);
    nw_json_kint(&res->facts, "greeting_code", c.greeting);
    if (do_anon) nw_json_kbool(&res->facts, "anonymous_login", anon);

    if (do_dict) {
        if (nw__cred_dict_for(&d, req, &err) < 0) {
            rc = nw_probe_error(res, "%s", err.msg);
            goto out;
        }
        nw__cred_run_init(&run, req);
        run.realm = "system"; /* FTP servers log local users in through PAM */
        nw__cred_run(&run, &d, &ops, &c);
        if (run.stop == NW_CRED_SERVICE && run.attempts <= 1) {
            rc = nw_probe_error(res, "%s: %s", svc, run.stop_reason);
            goto out;
        }
        nw__cred_facts(&run, &res->facts);
        nw__cred_evidence(&run, svc, res->evidence, sizeof res->evidence);
    }
    nw_json_kbool(&res->facts, "tls_required", c.tls_required);
    if (do_anon && anon)
        nw_probe_evidence(res, "%s: anonymous login accepted (USER anonymous, reply 230)", svc);
    else if (do_anon && !do_dict)
        nw_probe_evidence(res, "%s: anonymous login refused%s", svc,
                          c.tls_required ? " (the server requires TLS)" : "");
out:
    ftp_close(&c);
    nw__cred_dict_fini(&d);
    return rc;
}

/* The probe entry: SIGPIPE is held off while it talks to the peer. */
static int weak_ftp_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    return nw__cred_run_guarded(weak_ftp_body, req, res);
}

static const char *const weak_ftp_params[] = {"port?", "test?", "users?", "builtin_users?",
                                              "max_attempts?", "max_accounts?", NULL};

const struct nw_probe nw_probe_weak_ftp = {
    .name = "weak_ftp",
    .mode = NW_CHK_NETWORK,
    .params = weak_ftp_params,
    .run = weak_ftp_run,
    .doc = "FTP: anonymous login and passwords from the built-in dictionary (limited attempts)",
};
