/*
 * probe_weak_ssh.c - weak_ssh (libssh): which user authentication methods
 * an SSH server offers, and whether a password from the built-in
 * dictionary is accepted (password method, or keyboard-interactive with a
 * single hidden prompt, which is how PAM asks for a password).
 *
 * Parameter `test`: "methods" (one connection, "none" authentication as
 * root to learn the offered methods, no password sent) or "dictionary".
 *
 * Facts: port, server_banner, auth_methods (array), password_auth_offered
 * (password or keyboard-interactive), root_dictionary_tried (root was among
 * the accounts tried with a password), and the cred.c facts. Whether the
 * server *permits* root login cannot be seen from outside (OpenSSH answers
 * root exactly like any wrong password); a root password in the dictionary
 * shows up as a weak account "root".
 *
 * Invariants: one SSH connection per account (so MaxAuthTries, default 6,
 * is never reached with attempts_per_account <= 5; with more the server
 * disconnects and the next attempt reconnects), host keys are not checked
 * and not stored (nothing is written to known_hosts), no ssh config file
 * is read, libssh logging is off, every blocking call has the connect
 * timeout.
 */
#include <stdio.h>
#include <string.h>

#include <libssh/libssh.h>

#include "cred.h"

struct ssh_ctx {
    const struct nw_inspect_target *t;
    uint16_t port;
    uint64_t conn_ms, io_ms;
    ssh_session s;
    const char *s_user;   /* account the open session belongs to */
    int methods;          /* SSH_AUTH_METHOD_* offered (after "none") */
    char banner[128];
    int connect_failures;
};

static void ssh_ctx_close(struct ssh_ctx *c)
{
    if (c->s != NULL) {
        ssh_disconnect(c->s);
        ssh_free(c->s);
    }
    c->s = NULL;
    c->s_user = NULL;
}

/* Connect as user and ask for the method list. 0, or -1 with why. */
static int ssh_ctx_open(struct ssh_ctx *c, const char *user, char *why, size_t whysz)
{
    long tsec = (long)((c->io_ms + 999) / 1000);
    int verbosity = SSH_LOG_NOLOG, no = 0;
    unsigned int port = c->port;
    const char *b;
    int rc;

    c->s = ssh_new();
    if (c->s == NULL) {
        snprintf(why, whysz, "out of memory (libssh)");
        return -1;
    }
    if (ssh_options_set(c->s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity) < 0 ||
        ssh_options_set(c->s, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
        ssh_options_set(c->s, SSH_OPTIONS_HOST, c->t->addr_text) < 0 ||
        ssh_options_set(c->s, SSH_OPTIONS_PORT, &port) < 0 ||
        ssh_options_set(c->s, SSH_OPTIONS_USER, user) < 0 ||
        ssh_options_set(c->s, SSH_OPTIONS_TIMEOUT, &tsec) < 0 ||
        ssh_options_set(c->s, SSH_OPTIONS_KNOWNHOSTS, "/dev/null") < 0 ||
        ssh_options_set(c->s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") < 0) {
        snprintf(why, whysz, "libssh rejected an option: %s", ssh_get_error(c->s));
        goto fail;
    }
    if (ssh_connect(c->s) != SSH_OK) {
        snprintf(why, whysz, "%s:%u: %s", c->t->addr_text, c->port, ssh_get_error(c->s));
        goto fail;
    }
    b = ssh_get_serverbanner(c->s);
    if (b != NULL && c->banner[0] == '\0') snprintf(c->banner, sizeof c->banner, "%s", b);
    rc = ssh_userauth_none(c->s, NULL);
    if (rc == SSH_AUTH_SUCCESS) {
        c->methods = -1; /* no authentication at all */
    } else if (rc == SSH_AUTH_ERROR) {
        snprintf(why, whysz, "%s:%u: %s", c->t->addr_text, c->port, ssh_get_error(c->s));
        goto fail;
    } else {
        c->methods = ssh_userauth_list(c->s, NULL);
    }
    c->s_user = user;
    return 0;
fail:
    ssh_free(c->s);
    c->s = NULL;
    return -1;
}

/* keyboard-interactive with one hidden prompt answered with pass */
static int ssh_kbdint(ssh_session s, const char *pass)
{
    int rc = ssh_userauth_kbdint(s, NULL, NULL);

    /* bounded: a server may send several info requests (banners, then the prompt) */
    for (int round = 0; rc == SSH_AUTH_INFO && round < 4; round++) {
        int n = ssh_userauth_kbdint_getnprompts(s);

        if (n == 1) {
            char echo = 1;

            ssh_userauth_kbdint_getprompt(s, 0, &echo);
            if (echo) return SSH_AUTH_DENIED; /* asks for something visible: not a password */
            if (ssh_userauth_kbdint_setanswer(s, 0, pass) < 0) return SSH_AUTH_ERROR;
        } else if (n != 0) {
            return SSH_AUTH_DENIED; /* several questions: OTP etc., not ours to answer */
        }
        rc = ssh_userauth_kbdint(s, NULL, NULL);
    }
    return rc;
}

static int ssh_attempt(void *ctx, const char *user, const char *pass, char *why, size_t whysz)
{
    struct ssh_ctx *c = ctx;
    int rc;

    if (c->s != NULL && c->s_user != user) ssh_ctx_close(c);
    if (c->s == NULL && ssh_ctx_open(c, user, why, whysz) < 0) {
        /* the service went away (or MaxStartups throttling): give up after two in a row */
        return ++c->connect_failures >= 2 ? NW_CRED_STOP : NW_CRED_REJECT;
    }
    c->connect_failures = 0;
    if (c->methods == -1) return NW_CRED_ACCEPT; /* "none" authentication succeeded */
    if (c->methods & SSH_AUTH_METHOD_PASSWORD)
        rc = ssh_userauth_password(c->s, NULL, pass);
    else if (c->methods & SSH_AUTH_METHOD_INTERACTIVE)
        rc = ssh_kbdint(c->s, pass);
    else
        return NW_CRED_NOUSER; /* no password method for this account */
    if (rc == SSH_AUTH_SUCCESS || rc == SSH_AUTH_PARTIAL) {
        /* PARTIAL: the password was right, a second factor is also required */
        ssh_ctx_close(c);
        return NW_CRED_ACCEPT;
    }
    if (rc == SSH_AUTH_ERROR) ssh_ctx_close(c); /* disconnected (MaxAuthTries): reconnect */
    return NW_CRED_REJECT;
}

static void ssh_account_end(void *ctx)
{
    ssh_ctx_close(ctx);
}

static void methods_facts(struct nw_buf *f, int m)
{
    nw_json_karr_open(f, "auth_methods");
    if (m == -1) nw_json_cstr(f, "none");
    if (m > 0 && (m & SSH_AUTH_METHOD_PUBLICKEY)) nw_json_cstr(f, "publickey");
    if (m > 0 && (m & SSH_AUTH_METHOD_PASSWORD)) nw_json_cstr(f, "password");
    if (m > 0 && (m & SSH_AUTH_METHOD_INTERACTIVE)) nw_json_cstr(f, "keyboard-interactive");
    if (m > 0 && (m & SSH_AUTH_METHOD_GSSAPI_MIC)) nw_json_cstr(f, "gssapi-with-mic");
    if (m > 0 && (m & SSH_AUTH_METHOD_HOSTBASED)) nw_json_cstr(f, "hostbased");
    nw_json_arr_close(f);
}

static int weak_ssh_body(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    static const struct nw_cred_ops ops = {ssh_attempt, ssh_account_end};
    const char *test = nw_probe_param_str(req, "test", "dictionary");
    struct ssh_ctx c;
    struct nw_cred_dict d;
    struct nw_cred_run run;
    struct nw_err err = {""};
    char why[256] = "", svc[96];
    int rc = 0, pw, root_tried = 0, offered = 0;

    memset(&c, 0, sizeof c);
    memset(&d, 0, sizeof d);
    c.t = req->target;
    if (c.t == NULL) return nw_probe_error(res, "weak_ssh needs a network target");
    c.port = nw__cred_port(req, 22);
    nw__cred_timeouts(req, &c.conn_ms, &c.io_ms);
    nw__cred_run_init(&run, req);
    run.realm = "system"; /* the host's accounts, shared with FTP */
    snprintf(svc, sizeof svc, "ssh %s:%u", c.t->addr_text, c.port);
    if (!nw__cred_port_open(c.t, c.port))
        return nw_probe_skip(res, "%s: port closed, no SSH service to test", svc);
    ssh_init();
    /* learn the methods once, as root (the account whose policy matters most) */
    if (ssh_ctx_open(&c, "root", why, sizeof why) < 0) {
        rc = nw_probe_error(res, "%s", why);
        goto out;
    }
    ssh_ctx_close(&c);
    offered = c.methods;
    pw = offered == -1 ||
         (offered > 0 && (offered & (SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_INTERACTIVE)));
    if (strcmp(test, "dictionary") == 0 && pw) {
        if (nw__cred_dict_for(&d, req, &err) < 0) {
            rc = nw_probe_error(res, "%s", err.msg);
            goto out;
        }
        nw__cred_run(&run, &d, &ops, &c);
        ssh_ctx_close(&c);
        if (run.stop == NW_CRED_SERVICE && run.attempts <= 2) {
            rc = nw_probe_error(res, "%s: %s", svc, run.stop_reason);
            goto out;
        }
        for (size_t i = 0; i < d.users.n && i < run.accounts; i++)
            root_tried |= strcmp(d.users.item[i], "root") == 0;
        nw__cred_evidence(&run, svc, res->evidence, sizeof res->evidence);
    } else {
        nw_probe_evidence(res, "%s: password authentication %s%s%s", svc,
                          pw ? "offered" : "not offered", c.banner[0] ? "; banner " : "",
                          c.banner);
    }
    nw_json_kuint(&res->facts, "port", c.port);
    nw_json_kstr(&res->facts, "server_banner", c.banner, strlen(c.banner));
    methods_facts(&res->facts, offered);
    nw_json_kbool(&res->facts, "password_auth_offered", pw);
    nw_json_kbool(&res->facts, "root_dictionary_tried", root_tried);
    nw__cred_facts(&run, &res->facts);
out:
    ssh_ctx_close(&c);
    nw__cred_dict_fini(&d);
    ssh_finalize();
    return rc;
}

/* The probe entry: SIGPIPE is held off while it talks to the peer. */
static int weak_ssh_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    return nw__cred_run_guarded(weak_ssh_body, req, res);
}

static const char *const weak_ssh_params[] = {"port?", "test?", "users?", "builtin_users?",
                                              "max_attempts?", "max_accounts?", NULL};

const struct nw_probe nw_probe_weak_ssh = {
    .name = "weak_ssh",
    .mode = NW_CHK_NETWORK,
    .params = weak_ssh_params,
    .run = weak_ssh_run,
    .doc = "SSH (libssh): offered authentication methods, passwords from the built-in dictionary",
};
