/*
 * probe_weak_redis.c - weak_redis: does a Redis server run commands without
 * authentication, and does AUTH accept a password from the built-in
 * dictionary?
 *
 * Parameter `test`: "noauth" (PING, then INFO server when PING works) or
 * "dictionary" (AUTH through the cred.c engine; skipped when no password
 * is needed at all: the noauth check reports that). Accounts: "default"
 * is tried as `AUTH <password>` (every Redis version), others as
 * `AUTH <user> <password>` (Redis 6 ACL users).
 *
 * Facts: port, auth_required, protected_mode (the server refuses remote
 * clients: -DENIED), redis_version (when INFO was readable), and the
 * cred.c facts (zero attempts when no password is needed).
 *
 * Invariants: commands are RESP arrays of bulk strings (binary-safe, so a
 * dictionary entry cannot inject a command); replies are parsed with
 * nw__resp_parse in a 64 KiB buffer, each read bounded by the socket
 * timeout; the AUTH command buffer is wiped after sending. Only PING, INFO
 * server, AUTH and QUIT are ever sent: nothing that changes server state.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cred.h"
#include "weak_wire.h"

struct redis_conn {
    const struct nw_inspect_target *t;
    uint16_t port;
    uint64_t conn_ms, io_ms;
    int fd;
    uint8_t buf[65536];
    size_t have;
};

static int parse_resp(void *arg, const uint8_t *p, size_t len)
{
    return nw__resp_parse(p, len, arg);
}

/* Send argv as a RESP array and read one reply into *r (valid until the next call). */
static int redis_cmd(struct redis_conn *c, const char *const *argv, int argc, struct nw_resp *r,
                     char *why, size_t whysz)
{
    char out[4 * NW_CRED_MAX_LEN + 128];
    struct nw_wire_parser wp = {parse_resp, r};
    size_t n = 0;
    int w, rc;

    w = snprintf(out, sizeof out, "*%d\r\n", argc);
    n = (size_t)w;
    for (int i = 0; i < argc; i++) {
        size_t al = strlen(argv[i]);

        w = snprintf(out + n, sizeof out - n, "$%zu\r\n", al);
        if (w < 0 || n + (size_t)w + al + 2 > sizeof out) {
            nw__cred_wipe(out, sizeof out);
            snprintf(why, whysz, "command too long");
            return -2;
        }
        n += (size_t)w;
        memcpy(out + n, argv[i], al);
        n += al;
        out[n++] = '\r';
        out[n++] = '\n';
    }
    rc = nw__wire_write(c->fd, out, n, why, whysz);
    nw__cred_wipe(out, sizeof out);
    if (rc < 0) return -1;
    c->have = 0;
    rc = nw__wire_read(c->fd, c->buf, sizeof c->buf, &c->have, &wp, why, whysz);
    if (rc == 0)
        snprintf(why, whysz, "%s:%u: the server closed the connection", c->t->addr_text, c->port);
    if (rc == NW_EFORMAT || rc == NW_ELIMIT)
        snprintf(why, whysz, "%s:%u: the reply is not Redis (RESP)", c->t->addr_text, c->port);
    return rc > 0 ? 0 : -1;
}

static int redis_open(struct redis_conn *c, char *why, size_t whysz)
{
    c->have = 0;
    c->fd = nw__cred_connect(c->t, c->port, c->conn_ms, c->io_ms, why, whysz);
    return c->fd < 0 ? -1 : 0;
}

static void redis_close(struct redis_conn *c)
{
    if (c->fd >= 0) {
        char why[64];

        (void)nw__wire_write(c->fd, "*1\r\n$4\r\nQUIT\r\n", 14, why, sizeof why);
        close(c->fd);
    }
    c->fd = -1;
}

static int starts(const struct nw_resp *r, const char *w)
{
    size_t n = strlen(w);

    return r->len >= n && memcmp(r->data, w, n) == 0;
}

static int redis_attempt(void *ctx, const char *user, const char *pass, char *why, size_t whysz)
{
    struct redis_conn *c = ctx;
    struct nw_resp r = {0};
    const char *argv[3];
    int argc, rc;

    if (c->fd < 0 && redis_open(c, why, whysz) < 0) return NW_CRED_STOP;
    argv[0] = "AUTH";
    if (strcmp(user, "default") == 0) {
        argv[1] = pass;
        argc = 2;
    } else {
        argv[1] = user;
        argv[2] = pass;
        argc = 3;
    }
    rc = redis_cmd(c, argv, argc, &r, why, whysz);
    if (rc == -2) return NW_CRED_REJECT;
    if (rc < 0) {
        redis_close(c); /* counted; reconnect for the next attempt */
        return NW_CRED_REJECT;
    }
    if (r.type == '+') return NW_CRED_ACCEPT;
    /* Redis < 6 has no ACL users: "-ERR wrong number of arguments" */
    if (argc == 3 && starts(&r, "ERR wrong number")) return NW_CRED_NOUSER;
    return NW_CRED_REJECT;
}

static int weak_redis_body(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    static const struct nw_cred_ops ops = {redis_attempt, NULL};
    static const char *const ping[] = {"PING"};
    static const char *const info[] = {"INFO", "server"};
    const char *test = nw_probe_param_str(req, "test", "noauth");
    struct redis_conn *c;
    struct nw_cred_dict d;
    struct nw_cred_run run;
    char realm[32];
    struct nw_resp r = {0};
    struct nw_err err = {""};
    char why[256] = "", svc[96], version[64] = "";
    int auth_required = 0, protected_mode = 0, rc = 0;

    memset(&d, 0, sizeof d);
    if (req->target == NULL) return nw_probe_error(res, "weak_redis needs a network target");
    c = nw_calloc(1, sizeof *c);
    if (c == NULL) return NW_ENOMEM;
    c->fd = -1;
    c->t = req->target;
    c->port = nw__cred_port(req, 6379);
    nw__cred_timeouts(req, &c->conn_ms, &c->io_ms);
    nw__cred_run_init(&run, req);
    snprintf(realm, sizeof realm, "redis:%u", c->port);
    run.realm = realm;
    snprintf(svc, sizeof svc, "redis %s:%u", c->t->addr_text, c->port);
    if (!nw__cred_port_open(c->t, c->port)) {
        rc = nw_probe_skip(res, "%s: port closed, no Redis service to test", svc);
        goto out;
    }
    if (redis_open(c, why, sizeof why) < 0 || redis_cmd(c, ping, 1, &r, why, sizeof why) < 0) {
        rc = nw_probe_error(res, "%s", why);
        goto out;
    }
    if (r.type == '-') {
        if (starts(&r, "DENIED")) protected_mode = 1;
        auth_required = 1; /* NOAUTH, or DENIED: either way no anonymous commands */
    } else if (r.type == '+' || r.type == '$') {
        if (redis_cmd(c, info, 2, &r, why, sizeof why) == 0 && r.type == '$') {
            const uint8_t *v = memmem(r.data, r.len, "redis_version:", 14);

            if (v != NULL) {
                size_t i = 0, off = (size_t)(v - r.data) + 14;

                while (off + i < r.len && i + 1 < sizeof version && r.data[off + i] != '\r' &&
                       r.data[off + i] != '\n')
                    i++;
                memcpy(version, r.data + off, i);
                version[i] = '\0';
            }
        }
    } else {
        rc = nw_probe_error(res, "%s: unexpected reply to PING (type '%c')", svc, r.type);
        goto out;
    }
    nw_json_kuint(&res->facts, "port", c->port);
    nw_json_kbool(&res->facts, "auth_required", auth_required);
    nw_json_kbool(&res->facts, "protected_mode", protected_mode);
    if (version[0]) nw_json_kstr(&res->facts, "redis_version", version, strlen(version));

    if (strcmp(test, "dictionary") == 0 && auth_required && !protected_mode) {
        if (nw__cred_dict_for(&d, req, &err) < 0) {
            rc = nw_probe_error(res, "%s", err.msg);
            goto out;
        }
        nw__cred_run(&run, &d, &ops, c);
        nw__cred_evidence(&run, svc, res->evidence, sizeof res->evidence);
    } else if (!auth_required) {
        nw_probe_evidence(res, "%s: commands run without authentication (PING answered)%s%s",
                          svc, version[0] ? "; redis_version " : "", version);
    } else {
        nw_probe_evidence(res, "%s: authentication required%s", svc,
                          protected_mode ? " (protected mode refuses remote clients)" : "");
    }
    nw__cred_facts(&run, &res->facts);
out:
    redis_close(c);
    nw_free(c);
    nw__cred_dict_fini(&d);
    return rc;
}

/* The probe entry: SIGPIPE is held off while it talks to the peer. */
static int weak_redis_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    return nw__cred_run_guarded(weak_redis_body, req, res);
}

static const char *const weak_redis_params[] = {"port?", "test?", "users?", "builtin_users?",
                                                "max_attempts?", "max_accounts?", NULL};

const struct nw_probe nw_probe_weak_redis = {
    .name = "weak_redis",
    .mode = NW_CHK_NETWORK,
    .params = weak_redis_params,
    .run = weak_redis_run,
    .doc = "Redis: commands without authentication, AUTH with the built-in dictionary",
};
