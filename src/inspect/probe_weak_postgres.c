/*
 * probe_weak_postgres.c - weak_postgres (libpq): does a PostgreSQL server
 * accept a password from the built-in dictionary?
 *
 * Each attempt is one connection to database "postgres" with
 * sslmode=prefer (TLS when the server offers it, no certificate checks:
 * this probe is about passwords) and gssencmode=disable. A login that
 * reaches "database does not exist" has passed authentication, so it
 * counts as accepted. "password authentication failed" is a wrong
 * password; "no pg_hba.conf entry" refuses the account from here (next
 * account); refused/timed out/too many clients stop the run.
 *
 * Facts: port, server_version (after a successful login), trust_auth
 * (a login succeeded with the empty password: pg_hba "trust" or an empty
 * password), and the cred.c facts.
 *
 * Invariants: libpq never reads ~/.pgpass or a service file here
 * (passfile names a path that does not exist; explicit parameters only), so {empty} really sends
 * no password; connect_timeout bounds each attempt.
 */
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "cred.h"

struct pg_ctx {
    const struct nw_inspect_target *t;
    uint16_t port;
    char tmo[24];
    char portstr[8];
    int version;
    int trust;
};

static int pg_attempt(void *ctx, const char *user, const char *pass, char *why, size_t whysz)
{
    struct pg_ctx *c = ctx;
    const char *const keys[] = {"hostaddr", "port", "user", "password", "dbname",
                                "connect_timeout", "sslmode", "gssencmode", "passfile",
                                "application_name", NULL};
    const char *vals[] = {c->t->addr_text, c->portstr, user, pass, "postgres", c->tmo,
                          "prefer", "disable", "/nonexistent/netwarden-no-pgpass",
                          "netwarden-inspect", NULL};
    PGconn *pg = PQconnectdbParams(keys, vals, 0);
    const char *msg;
    int v;

    if (pg == NULL) {
        snprintf(why, whysz, "out of memory (libpq)");
        return NW_CRED_STOP;
    }
    msg = PQerrorMessage(pg);
    if (PQstatus(pg) == CONNECTION_OK || strstr(msg, "database \"postgres\" does not exist")) {
        if (PQstatus(pg) == CONNECTION_OK && c->version == 0) c->version = PQserverVersion(pg);
        if (pass[0] == '\0') c->trust = 1;
        v = NW_CRED_ACCEPT;
    } else if (strstr(msg, "password authentication failed") != NULL ||
               strstr(msg, "no password supplied") != NULL ||
               strstr(msg, "authentication failed") != NULL) {
        v = NW_CRED_REJECT;
    } else if (strstr(msg, "no pg_hba.conf entry") != NULL ||
               strstr(msg, "not permitted to log in") != NULL ||
               strstr(msg, "role \"") != NULL) { /* role "x" does not exist (trust) */
        v = NW_CRED_NOUSER;
    } else {
        size_t n;

        snprintf(why, whysz, "%s:%u: %s", c->t->addr_text, c->port, msg);
        n = strlen(why);
        while (n > 0 && (why[n - 1] == '\n' || why[n - 1] == ' ')) why[--n] = '\0';
        for (size_t i = 0; i < n; i++)
            if (why[i] == '\n') why[i] = ' ';
        v = NW_CRED_STOP;
    }
    PQfinish(pg);
    return v;
}

static int weak_postgres_body(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    static const struct nw_cred_ops ops = {pg_attempt, NULL};
    struct pg_ctx c;
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
    if (c.t == NULL) return nw_probe_error(res, "weak_postgres needs a network target");
    c.port = nw__cred_port(req, 5432);
    nw__cred_timeouts(req, &cms, &ioms);
    /* libpq: whole seconds, and values below 2 are raised to 2 */
    snprintf(c.tmo, sizeof c.tmo, "%llu", (unsigned long long)((ioms + 999) / 1000));
    snprintf(c.portstr, sizeof c.portstr, "%u", c.port);
    snprintf(svc, sizeof svc, "postgresql %s:%u", c.t->addr_text, c.port);
    if (!nw__cred_port_open(c.t, c.port))
        return nw_probe_skip(res, "%s: port closed, no PostgreSQL service to test", svc);
    if (nw__cred_dict_for(&d, req, &err) < 0) {
        rc = nw_probe_error(res, "%s", err.msg);
        goto out;
    }
    nw__cred_run_init(&run, req);
    snprintf(realm, sizeof realm, "postgres:%u", c.port);
    run.realm = realm;
    nw__cred_run(&run, &d, &ops, &c);
    if (run.stop == NW_CRED_SERVICE && run.attempts <= 1) {
        rc = nw_probe_error(res, "%s: %s", svc, run.stop_reason);
        goto out;
    }
    nw_json_kuint(&res->facts, "port", c.port);
    if (c.version) nw_json_kint(&res->facts, "server_version", c.version);
    nw_json_kbool(&res->facts, "trust_auth", c.trust);
    nw__cred_facts(&run, &res->facts);
    nw__cred_evidence(&run, svc, res->evidence, sizeof res->evidence);
out:
    nw__cred_dict_fini(&d);
    return rc;
}

/* The probe entry: SIGPIPE is held off while it talks to the peer. */
static int weak_postgres_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    return nw__cred_run_guarded(weak_postgres_body, req, res);
}

static const char *const weak_postgres_params[] = {"port?", "users?", "builtin_users?",
                                                   "max_attempts?", "max_accounts?", NULL};

const struct nw_probe nw_probe_weak_postgres = {
    .name = "weak_postgres",
    .mode = NW_CHK_NETWORK,
    .params = weak_postgres_params,
    .run = weak_postgres_run,
    .doc = "PostgreSQL (libpq): passwords from the built-in dictionary (limited attempts)",
};
