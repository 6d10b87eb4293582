/*
 * probe_accounts.c - accounts and password policy: passwd (etc/passwd +
 * etc/shadow), pam_pwquality (length and character classes required by
 * pam_pwquality/pam_cracklib) and pam_lockout (pam_faillock/pam_tally2).
 *
 * Passwords are never copied into facts or evidence: the shadow field is
 * only classified (empty, locked, usable). Bounds: 4 MiB per file, 65536
 * accounts; PAM files are read line by line (8 KiB lines).
 */
#include "probe_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACC_MAX (4u * 1024 * 1024)

/* Field i (0-based) of a ':'-separated line, as a slice. */
static int field(const char *line, int i, const char **s, size_t *n)
{
    const char *p = line;
    for (int k = 0; k < i; k++) {
        p = strchr(p, ':');
        if (p == NULL) return 0;
        p++;
    }
    *s = p;
    *n = strcspn(p, ":\n");
    return 1;
}

static int no_login_shell(const char *sh, size_t n)
{
    static const char *const nologin[] = {"nologin", "false", "sync", "shutdown", "halt"};
    const char *base = sh;
    for (size_t i = 0; i < n; i++)
        if (sh[i] == '/') base = sh + i + 1;
    for (size_t k = 0; k < NW_ARRAY_LEN(nologin); k++) {
        size_t l = strlen(nologin[k]);
        if ((size_t)(sh + n - base) == l && memcmp(base, nologin[k], l) == 0) return 1;
    }
    return n == 0 ? 0 : 0;
}

/* Shadow state of an account: 0 absent, 1 empty, 2 locked (!,*), 3 usable hash. */
static int shadow_state(const char *shadow, const char *name, size_t nlen)
{
    const char *p = shadow;
    while (p && *p) {
        const char *pw;
        size_t pn;
        if (strncmp(p, name, nlen) == 0 && p[nlen] == ':' && field(p, 1, &pw, &pn)) {
            if (pn == 0) return 1;
            if (pw[0] == '!' || pw[0] == '*') return 2;
            return 3;
        }
        p = strchr(p, '\n');
        if (p) p++;
    }
    return 0;
}

/* "\"a\",\"b\"]" -> "a, b" (names are plain: passwd field bytes up to ':') */
static void names_of(const struct nw_buf *b, char *out, size_t outsz)
{
    size_t o = 0;
    for (size_t i = 0; b->data && i < b->len && o + 3 < outsz; i++) {
        char c = b->data[i];
        if (c == '"' || c == ']') continue;
        if (c == ',') {
            out[o++] = ',';
            out[o++] = ' ';
            continue;
        }
        out[o++] = c;
    }
    out[o] = '\0';
}

static int passwd_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    const struct nw_param *defs = nw_probe_param(req, "default_accounts");
    char *pw = NULL, *sh = NULL;
    size_t pl, sl;
    struct nw_buf *b = &res->facts;
    struct nw_buf uid0, empty, deflt;
    size_t n0 = 0, ne = 0, nd = 0, naccounts = 0;
    int rc, shadow_ok;
    char ev[600];
    size_t evl = 0;

    ev[0] = '\0';
    rc = nw_probe_read_file(req, "/etc/passwd", ACC_MAX, &pw, &pl, NULL);
    if (rc == NW_ENOMEM) return rc;
    if (rc != 0) return nw_probe_error(res, "cannot read etc/passwd");
    rc = nw_probe_read_file(req, "/etc/shadow", ACC_MAX, &sh, &sl, NULL);
    if (rc == NW_ENOMEM) {
        nw_free(pw);
        return rc;
    }
    shadow_ok = rc == 0;
    if (!shadow_ok && nw__truthy(nw_probe_param_str(req, "need_shadow", "no"))) {
        nw_free(pw);
        return nw_probe_error(res, "cannot read etc/shadow (%s); run as root",
                              rc == NW_ENOENT ? "absent" : "permission denied");
    }
    nw_buf_init(&uid0, 8192);
    nw_buf_init(&empty, 8192);
    nw_buf_init(&deflt, 8192);
    for (const char *line = pw; line && *line && naccounts < 65536;) {
        const char *next = strchr(line, '\n'), *name, *pwf, *uid, *shell;
        size_t nn, pn, un, shn;
        if (line[0] != '#' && field(line, 0, &name, &nn) && nn > 0 && nn < 64 &&
            field(line, 1, &pwf, &pn) && field(line, 2, &uid, &un) &&
            field(line, 6, &shell, &shn)) {
            char nm[64];
            int st;
            naccounts++;
            memcpy(nm, name, nn);
            nm[nn] = '\0';
            if (un == 1 && uid[0] == '0' && strcmp(nm, "root") != 0) {
                nw_json_cstr(&uid0, nm);
                n0++;
            }
            st = shadow_ok ? shadow_state(sh, name, nn) : 0;
            /* an empty passwd field means no password even without shadow */
            if ((pn == 0) || (pn == 1 && pwf[0] == 'x' && st == 1)) {
                nw_json_cstr(&empty, nm);
                ne++;
            }
            for (size_t k = 0; defs && defs->list && k < defs->nlist; k++) {
                if (strcmp(defs->list[k], nm) != 0) continue;
                if (!no_login_shell(shell, shn) && st != 2 && !(pn == 1 && pwf[0] == '*')) {
                    nw_json_cstr(&deflt, nm);
                    nd++;
                }
            }
        }
        line = next ? next + 1 : NULL;
    }
    nw_buf_putc(&uid0, ']');
    nw_buf_putc(&empty, ']');
    nw_buf_putc(&deflt, ']');
    nw_json_kuint(b, "accounts", naccounts);
    nw_json_kbool(b, "shadow_readable", shadow_ok);
    nw_json_key(b, "uid0_extra");
    nw_buf_putc(b, '[');
    nw_buf_append(b, uid0.data ? uid0.data : "]", uid0.data ? uid0.len : 1);
    nw_json_key(b, "empty_password");
    nw_buf_putc(b, '[');
    nw_buf_append(b, empty.data ? empty.data : "]", empty.data ? empty.len : 1);
    nw_json_key(b, "default_enabled");
    nw_buf_putc(b, '[');
    nw_buf_append(b, deflt.data ? deflt.data : "]", deflt.data ? deflt.len : 1);
    if (!nw_buf_ok(&uid0) || !nw_buf_ok(&empty) || !nw_buf_ok(&deflt)) res->facts.oom = 1;
    /* name the accounts (the JSON lists minus brackets and quotes) */
    {
        char l0[160], le[160], ld[160];
        names_of(&uid0, l0, sizeof l0);
        names_of(&empty, le, sizeof le);
        names_of(&deflt, ld, sizeof ld);
        int k = snprintf(ev, sizeof ev, "%zu accounts; extra uid 0: %s; empty password: %s%s; "
                         "default accounts able to log in: %s", naccounts, n0 ? l0 : "none",
                         ne ? le : "none", shadow_ok ? "" : " (shadow not readable)",
                         nd ? ld : "none");
        evl = k > 0 ? (size_t)k : 0;
    }
    (void)evl;
    nw_probe_evidence(res, "%s", ev);
    nw_buf_fini(&uid0);
    nw_buf_fini(&empty);
    nw_buf_fini(&deflt);
    nw_free(pw);
    nw_free(sh);
    return 0;
}

static const char *const passwd_params[] = {"default_accounts?", "need_shadow?", NULL};
const struct nw_probe nw_probe_passwd = {
    "passwd", NW_CHK_LOCAL, passwd_params, passwd_run,
    "accounts: extra uid 0, empty passwords, default accounts able to log in"};

/* ------------------------------------------------------------------- PAM -- */

struct pam_scan {
    const char *module;      /* "pam_pwquality.so" etc. */
    const char *const *alts;
    int found;
    char which[32];
    long opt[8];             /* values of the wanted options */
    int have[8];
    const char *const *opts; /* option names wanted (NULL-terminated) */
};

static void parse_opts(struct pam_scan *ps, const char *args, int kv_space)
{
    for (int i = 0; ps->opts[i]; i++) {
        size_t ol = strlen(ps->opts[i]);
        const char *p = args;
        while ((p = strstr(p, ps->opts[i])) != NULL) {
            const char *v = p + ol;
            int start_ok = p == args || p[-1] == ' ' || p[-1] == '\t';
            p = v;
            if (!start_ok) continue;
            while (kv_space && (*v == ' ' || *v == '\t')) v++;
            if (*v != '=') continue;
            v++;
            while (kv_space && (*v == ' ' || *v == '\t')) v++;
            if ((*v >= '0' && *v <= '9') || *v == '-') {
                ps->opt[i] = strtol(v, NULL, 10);
                ps->have[i] = 1;
            }
        }
    }
}

static int pam_file(void *arg, const char *full, const char *rel)
{
    struct pam_scan *ps = arg;
    FILE *f = fopen(full, "r");
    char line[8192];

    (void)rel;
    if (f == NULL) return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '#') continue;
        for (int k = 0; ps->alts[k]; k++) {
            char *m = strstr(p, ps->alts[k]);
            if (m == NULL) continue;
            ps->found = 1;
            snprintf(ps->which, sizeof ps->which, "%.*s", (int)(strlen(ps->alts[k]) - 3),
                     ps->alts[k]);
            parse_opts(ps, m + strlen(ps->alts[k]), 0);
        }
    }
    fclose(f);
    return 0;
}

static int conf_file(void *arg, const char *full, const char *rel)
{
    struct pam_scan *ps = arg;
    FILE *f = fopen(full, "r");
    char line[8192];

    (void)rel;
    if (f == NULL) return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '#') continue;
        parse_opts(ps, p, 1);
    }
    fclose(f);
    return 0;
}

static const char *const pam_stacks[] = {"/etc/pam.d/common-password", "/etc/pam.d/system-auth",
                                         "/etc/pam.d/password-auth", "/etc/pam.d/common-auth",
                                         "/etc/pam.d/login", "/etc/pam.d/sshd", NULL};

static int pam_pwquality_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    static const char *const alts[] = {"pam_pwquality.so", "pam_cracklib.so", NULL};
    static const char *const opts[] = {"minlen", "minclass", "dcredit", "ucredit", "lcredit",
                                       "ocredit", NULL};
    static const char *const unix_alts[] = {"pam_unix.so", NULL};
    static const char *const unix_opts[] = {"minlen", NULL};
    struct pam_scan conf, pam, ux;
    struct nw_buf *b = &res->facts;
    long minlen, minclass, neg = 0;

    memset(&conf, 0, sizeof conf);
    memset(&pam, 0, sizeof pam);
    memset(&ux, 0, sizeof ux);
    pam.alts = alts;
    pam.opts = opts;
    conf.alts = alts;
    conf.opts = opts;
    ux.alts = unix_alts;
    ux.opts = unix_opts;
    /* password rules live in the first three (the password stacks); the rest are auth */
    for (int i = 0; i < 3; i++) nw__probe_glob(req, pam_stacks[i], pam_file, &pam);
    for (int i = 0; i < 3; i++) nw__probe_glob(req, pam_stacks[i], pam_file, &ux);
    nw__probe_glob(req, "/etc/security/pwquality.conf", conf_file, &conf);
    nw__probe_glob(req, "/etc/security/pwquality.conf.d/*.conf", conf_file, &conf);
    if (pam.found) {
        /* PAM arguments override pwquality.conf; pwquality's defaults: minlen 8, minclass 0 */
        minlen = pam.have[0] ? pam.opt[0] : conf.have[0] ? conf.opt[0] : 8;
        minclass = pam.have[1] ? pam.opt[1] : conf.have[1] ? conf.opt[1] : 0;
        for (int i = 2; i < 6; i++) {
            long v = pam.have[i] ? pam.opt[i] : conf.have[i] ? conf.opt[i] : 0;
            if (v < 0) neg++; /* a negative credit makes that class mandatory */
        }
        if (neg > minclass) minclass = neg;
    } else {
        minlen = ux.have[0] ? ux.opt[0] : 6; /* pam_unix's own minimum */
        minclass = 0;
    }
    nw_json_kbool(b, "enabled", pam.found);
    nw_json_key(b, "module");
    if (pam.found) nw_json_cstr(b, pam.which);
    else nw_json_null(b);
    nw_json_kint(b, "minlen", minlen);
    nw_json_kint(b, "minclass", minclass);
    nw_probe_evidence(res, "%s: minimum length %ld, character classes %ld",
                      pam.found ? pam.which : "no pam_pwquality/pam_cracklib (pam_unix only)",
                      minlen, minclass);
    return 0;
}

const struct nw_probe nw_probe_pam_pwquality = {
    "pam_pwquality", NW_CHK_LOCAL, NULL, pam_pwquality_run,
    "password length and character classes enforced by PAM (pwquality/cracklib)"};

static int pam_lockout_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    static const char *const alts[] = {"pam_faillock.so", "pam_tally2.so", "pam_tally.so", NULL};
    static const char *const opts[] = {"deny", "unlock_time", NULL};
    struct pam_scan pam, conf;
    struct nw_buf *b = &res->facts;
    long deny = 0, unlock = 0;

    memset(&pam, 0, sizeof pam);
    memset(&conf, 0, sizeof conf);
    pam.alts = alts;
    pam.opts = opts;
    conf.alts = alts;
    conf.opts = opts;
    for (int i = 0; pam_stacks[i]; i++) nw__probe_glob(req, pam_stacks[i], pam_file, &pam);
    nw__probe_glob(req, "/etc/security/faillock.conf", conf_file, &conf);
    if (pam.found) {
        int fl = strcmp(pam.which, "pam_faillock") == 0;
        deny = pam.have[0] ? pam.opt[0] : conf.have[0] && fl ? conf.opt[0] : fl ? 3 : 0;
        unlock = pam.have[1] ? pam.opt[1] : conf.have[1] && fl ? conf.opt[1] : fl ? 600 : 0;
    }
    nw_json_kbool(b, "configured", pam.found && deny > 0);
    nw_json_key(b, "module");
    if (pam.found) nw_json_cstr(b, pam.which);
    else nw_json_null(b);
    nw_json_kint(b, "deny", deny);
    nw_json_kint(b, "unlock_time", unlock);
    if (pam.found) nw_probe_evidence(res, "%s: lock after %ld failures for %ld s", pam.which,
                                     deny, unlock);
    else nw_probe_evidence(res, "no pam_faillock/pam_tally2 in the PAM stacks");
    return 0;
}

const struct nw_probe nw_probe_pam_lockout = {
    "pam_lockout", NW_CHK_LOCAL, NULL, pam_lockout_run,
    "failed-login lockout by pam_faillock or pam_tally2 (deny, unlock_time)"};
