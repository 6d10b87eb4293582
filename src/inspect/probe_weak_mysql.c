/*
 * probe_weak_mysql.c - weak_mysql (MariaDB Connector/C): does a MySQL or
 * MariaDB server accept a password from the built-in dictionary?
 *
 * Each attempt is one connection (mysql_real_connect with no default
 * database). Error 1045 (access denied) is a wrong password; 1130 (host not
 * allowed), 1129 (host blocked), 1040 (too many connections) and network
 * errors (2002/2003/2013) stop the run: the service cannot be tested from
 * here. A server that demands TLS is retried over TLS (without certificate
 * checks: this probe is about passwords; certificates are tls_service's).
 *
 * Facts: port, server_version (from the first successful handshake or
 * NULL), and the cred.c facts. Never reads option files (my.cnf) or the
 * MYSQL_PWD environment.
 *
 * Limits: MySQL 8 caching_sha2_password accounts whose hash is not yet
 * cached on the server need TLS or the server's RSA key for the first
 * login; such an account may be reported as rejected although its
 * password is in the dictionary.
 */
#include <stdio.h>
#include <string.h>

#include <mysql.h>
#include <errmsg.h>

#include "cred.h"

struct my_ctx {
    const struct nw_inspect_target *t;
    uint16_t port;
    unsigned tmo_s;
    int use_tls;
    char version[64];
};

static int my_attempt(void *ctx, const char *user, const char *pass, char *why, size_t whysz)
{
    struct my_ctx *c = ctx;
    MYSQL *m;
    unsigned err;
    int v = NW_CRED_REJECT;

    for (int round = 0; round < 2; round++) {
        my_bool yes = 1, no = 0;

        m = mysql_init(NULL);
        if (m == NULL) {
            snprintf(why, whysz, "out of memory (libmariadb)");
            return NW_CRED_STOP;
        }
        mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &c->tmo_s);
        mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &c->tmo_s);
        mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &c->tmo_s);
        mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &no);
        if (c->use_tls) mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &yes);
        if (mysql_real_connect(m, c->t->addr_text, user, pass, NULL, c->port, NULL, 0) != NULL) {
            const char *sv = mysql_get_server_info(m);

            if (sv != NULL && c->version[0] == '\0')
                snprintf(c->version, sizeof c->version, "%s", sv);
            mysql_close(m);
            return NW_CRED_ACCEPT;
        }
        err = mysql_errno(m);
        if (err == 1045 || err == 1698) { /* access denied (1698: unix_socket-only account) */
            v = NW_CRED_REJECT;
        } else if (!c->use_tls && strstr(mysql_error(m), "secure transport") != NULL) {
            c->use_tls = 1; /* require_secure_transport: same attempt again over TLS */
            mysql_close(m);
            continue;
        } else if (err == 1130 || err == 1129 || err == 1040 || err == CR_CONN_HOST_ERROR ||
                   err == CR_CONNECTION_ERROR || err == CR_SERVER_LOST ||
                   err == CR_SERVER_GONE_ERROR || err == CR_UNKNOWN_HOST) {
            snprintf(why, whysz, "%s:%u: %s (MySQL error %u)", c->t->addr_text, c->port,
                     mysql_error(m), err);
            v = NW_CRED_STOP;
        } else {
            /* unknown auth plugin, account locked (4151), expired... : not this password */
            v = err == 4151 ? NW_CRED_NOUSER : NW_CRED_REJECT;
        }
        mysql_close(m);
        break;
    }
    return v;
}

static int weak_mysql_body(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    static const struct nw_cred_ops ops = {my_attempt, NULL};
    struct my_ctx c;
    struct nw_cred_dict d;
    struct nw_cred_run run;
    char realm[32];
    struct nw_err err = {""};
    char svc[96];
    uint64_t cms, ioms;
    int rc = 0;

    memset(&c, 0, sizeof c);
    memset(&d, 0, sizeof d);
    c.t = req->target;
    if (c.t == NULL) return nw_probe_error(res, "weak_mysql needs a network target");
    c.port = nw__cred_port(req, 3306);
    nw__cred_timeouts(req, &cms, &ioms);
    c.tmo_s = (unsigned)((ioms + 999) / 1000);
    snprintf(svc, sizeof svc, "mysql %s:%u", c.t->addr_text, c.port);
    if (!nw__cred_port_open(c.t, c.port))
        return nw_probe_skip(res, "%s: port closed, no MySQL/MariaDB service to test", svc);
    if (nw__cred_dict_for(&d, req, &err) < 0) {
        rc = nw_probe_error(res, "%s", err.msg);
        goto out;
    }
    nw__cred_run_init(&run, req);
    snprintf(realm, sizeof realm, "mysql:%u", c.port);
    run.realm = realm;
    nw__cred_run(&run, &d, &ops, &c);
    if (run.stop == NW_CRED_SERVICE && run.attempts <= 1) {
        rc = nw_probe_error(res, "%s: %s", svc, run.stop_reason);
        goto out;
    }
    nw_json_kuint(&res->facts, "port", c.port);
    if (c.version[0]) nw_json_kcstr(&res->facts, "server_version", c.version);
    nw_json_kbool(&res->facts, "tls_required", c.use_tls);
    nw__cred_facts(&run, &res->facts);
    nw__cred_evidence(&run, svc, res->evidence, sizeof res->evidence);
out:
    nw__cred_dict_fini(&d);
    return rc;
}

/* The probe entry: SIGPIPE is held off while it talks to the peer. */
static int weak_mysql_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    return nw__cred_run_guarded(weak_mysql_body, req, res);
}

static const char *const weak_mysql_params[] = {"port?", "users?", "builtin_users?",
                                                "max_attempts?", "max_accounts?", NULL};

const struct nw_probe nw_probe_weak_mysql = {
    .name = "weak_mysql",
    .mode = NW_CHK_NETWORK,
    .params = weak_mysql_params,
    .run = weak_mysql_run,
    .doc = "MySQL/MariaDB (libmariadb): passwords from the built-in dictionary (limited attempts)",
};
