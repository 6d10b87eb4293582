/*
 * cred.c - the weak-credential engine behind every probe_weak_*.c: the
 * dictionary (built-in lists under data/dict plus the check's users and the
 * operator's extra files), the attempt plan, the limits that keep accounts
 * from being locked, and evidence that never holds a password.
 *
 * Invariants: see cred.h. In short: <= max_attempts per account, >= delay_ms
 * between attempts, nothing after the budget or cancel, passwords live only
 * in a stack buffer for the duration of one attempt and are wiped after it.
 *
 * Workload: a few dozen accounts x a few passwords per service per target;
 * lists are small (NW_CRED_MAX_ITEMS) so de-duplication is a linear scan.
 */
#include "cred.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

void nw__cred_wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;

    for (size_t i = 0; i < n; i++) v[i] = 0;
}

/* ------------------------------------------------------------------ lists -- */

int nw__cred_list_add(struct nw_cred_list *l, const char *s, size_t n)
{
    char *copy;

    if (n > NW_CRED_MAX_LEN || memchr(s, '\0', n) != NULL) return 0;
    for (size_t i = 0; i < l->n; i++)
        if (strlen(l->item[i]) == n && memcmp(l->item[i], s, n) == 0) return 0;
    if (l->n >= NW_CRED_MAX_ITEMS) return NW_ELIMIT;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        char **ni = nw_realloc(l->item, cap * sizeof *ni);

        if (ni == NULL) return NW_ENOMEM;
        l->item = ni;
        l->cap = cap;
    }
    copy = nw_strndup(s, n);
    if (copy == NULL) return NW_ENOMEM;
    l->item[l->n++] = copy;
    return 0;
}

int nw__cred_list_parse(struct nw_cred_list *l, const char *text, size_t len)
{
    size_t pos = 0;

    while (pos < len) {
        const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        int rc;

        pos += n + (nl != NULL);
        while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t')) n--;
        while (n > 0 && (line[0] == ' ' || line[0] == '\t')) {
            line++;
            n--;
        }
        if (n == 0 || line[0] == '#') continue;
        if (n >= 2 && line[0] == '\\' && line[1] == '#') {
            line++;
            n--;
        }
        rc = nw__cred_list_add(l, line, n);
        if (rc == NW_ELIMIT) return 0;
        if (rc < 0) return rc;
    }
    return 0;
}

int nw__cred_list_load(struct nw_cred_list *l, const char *path, struct nw_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    int fd, rc = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return nw_err_set(err, errno == ENOENT ? NW_ENOENT : NW_EIO, "%s: %s", path,
                          strerror(errno));
    buf = nw_alloc(NW_CRED_MAX_FILE);
    if (buf == NULL) {
        rc = NW_ENOMEM;
        goto out;
    }
    while (len < NW_CRED_MAX_FILE) {
        ssize_t r = read(fd, buf + len, NW_CRED_MAX_FILE - len);

        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            rc = nw_err_set(err, NW_EIO, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0) break;
        len += (size_t)r;
    }
    rc = nw__cred_list_parse(l, buf, len);
out:
    if (buf) {
        nw__cred_wipe(buf, len); /* the operator's own password list may be sensitive */
        nw_free(buf);
    }
    close(fd);
    return rc;
}

void nw__cred_list_fini(struct nw_cred_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        nw__cred_wipe(l->item[i], strlen(l->item[i]));
        nw_free(l->item[i]);
    }
    nw_free(l->item);
    memset(l, 0, sizeof *l);
}

/* ------------------------------------------------------------- dictionary -- */

/* Add the check's `users` parameter: a list, or a comma-separated scalar. */
static int add_param_users(struct nw_cred_list *l, const struct nw_probe_req *req)
{
    const struct nw_param *p = req->check ? nw_probe_param(req, "users") : NULL;
    int rc = 0;

    if (p == NULL) return 0;
    if (p->list != NULL) {
        for (size_t i = 0; i < p->nlist && p->list[i] != NULL && rc == 0; i++)
            rc = nw__cred_list_add(l, p->list[i], strlen(p->list[i]));
    } else if (p->value != NULL) {
        const char *s = p->value;

        while (*s != '\0' && rc == 0) {
            const char *c = strchr(s, ',');
            size_t n = c ? (size_t)(c - s) : strlen(s);
            const char *a = s;

            s += n + (c != NULL);
            while (n > 0 && (*a == ' ' || *a == '\t')) {
                a++;
                n--;
            }
            while (n > 0 && (a[n - 1] == ' ' || a[n - 1] == '\t')) n--;
            if (n > 0) rc = nw__cred_list_add(l, a, n);
        }
    }
    return rc == NW_ELIMIT ? 0 : rc;
}

static int load_builtin(struct nw_cred_list *l, const char *dir, const char *file,
                        struct nw_err *err)
{
    char path[1024];
    int rc;

    if (dir == NULL || *dir == '\0') dir = "data/dict";
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path)
        return nw_err_set(err, NW_ELIMIT, "dictionary directory name too long: %s", dir);
    rc = nw__cred_list_load(l, path, err);
    if (rc == NW_ENOENT)
        return nw_err_set(err, NW_ENOENT,
                          "built-in dictionary %s not found; point [inspect] dict_dir (or "
                          "--dict-dir) at netwarden's data/dict directory", path);
    return rc;
}

int nw__cred_dict_for(struct nw_cred_dict *d, const struct nw_probe_req *req, struct nw_err *err)
{
    const struct nw_inspect_settings *set = req ? req->set : NULL;
    const char *dir = set ? set->dict_dir : NULL;
    const char *bu = req && req->check ? nw_probe_param_str(req, "builtin_users", "true") : "true";
    int rc;

    memset(d, 0, sizeof *d);
    if (req != NULL && (rc = add_param_users(&d->users, req)) < 0) return rc;
    if (strcmp(bu, "false") != 0 && strcmp(bu, "no") != 0) {
        if ((rc = load_builtin(&d->users, dir, "users.txt", err)) < 0) return rc;
        if (set && set->user_list && (rc = nw__cred_list_load(&d->users, set->user_list, err)) < 0)
            return rc;
    }
    if ((rc = load_builtin(&d->passwords, dir, "passwords.txt", err)) < 0) return rc;
    if (set && set->pass_list && (rc = nw__cred_list_load(&d->passwords, set->pass_list, err)) < 0)
        return rc;
    if (d->users.n == 0)
        return nw_err_set(err, NW_EINVAL, "no accounts to try (users parameter empty and "
                          "builtin_users false)");
    return 0;
}

void nw__cred_dict_fini(struct nw_cred_dict *d)
{
    nw__cred_list_fini(&d->users);
    nw__cred_list_fini(&d->passwords);
}

/* ------------------------------------------------------------------- runs -- */

static uint64_t real_now_ms(void *arg)
{
    struct timespec ts;

    (void)arg;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Sleep in slices of <= 50 ms so a cancel is seen quickly. */
static void real_sleep_ms(void *arg, uint64_t ms)
{
    const volatile int *cancel = arg;

    while (ms > 0 && !(cancel && *cancel)) {
        uint64_t step = ms > 50 ? 50 : ms;
        struct timespec ts = {(time_t)(step / 1000), (long)(step % 1000) * 1000000L};

        nanosleep(&ts, NULL);
        ms -= step;
    }
}

void nw__cred_run_init(struct nw_cred_run *r, const struct nw_probe_req *req)
{
    const struct nw_inspect_settings *set = req ? req->set : NULL;
    uint64_t a = set && set->attempts_per_account ? set->attempts_per_account
                                                  : NW_CRED_DEF_ATTEMPTS;

    memset(r, 0, sizeof *r);
    if (req && req->check) {
        uint64_t ca = nw_probe_param_uint(req, "max_attempts", 0);

        if (ca > 0 && ca < a) a = ca; /* a check may lower the limit, never raise it */
        r->max_accounts = (unsigned)nw_probe_param_uint(req, "max_accounts", 0);
    }
    r->max_attempts = (unsigned)(a > NW_CRED_MAX_ATTEMPTS ? NW_CRED_MAX_ATTEMPTS : a);
    /* a configured 0 pause is honoured (the operator asked for it); no settings = default */
    r->delay_ms = set ? set->attempt_delay_ms : NW_CRED_DEF_DELAY_MS;
    r->budget_ms = set && set->probe_timeout_ms ? set->probe_timeout_ms : NW_CRED_DEF_BUDGET_MS;
    r->cancel = req ? req->cancel : NULL;
    r->target = req ? req->target : NULL;
}

/* ----------------------------------------------------------------- ledger -- */

struct ledger_entry {
    int family;                    /* 0 = free slot */
    uint8_t addr[16];
    char realm[32];
    char user[NW_CRED_MAX_LEN + 1];
    unsigned used;                 /* attempts in the current window */
    uint64_t start_ms;             /* first attempt of the window */
};

static pthread_mutex_t ledger_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ledger_entry ledger[NW_CRED_LEDGER_MAX];

void nw__cred_ledger_reset(void)
{
    pthread_mutex_lock(&ledger_mu);
    memset(ledger, 0, sizeof ledger);
    pthread_mutex_unlock(&ledger_mu);
}

static int ledger_match(const struct ledger_entry *e, const struct nw_inspect_target *t,
                        const char *realm, const char *user)
{
    size_t al = t->family == 6 ? 16 : 4;

    return e->family == t->family && memcmp(e->addr, t->addr, al) == 0 &&
           strcmp(e->realm, realm) == 0 && strcmp(e->user, user) == 0;
}

/*
 * Reserve one attempt for user (delta +1) or give one back (-1). Returns 1
 * when reserved, 0 when the account's budget in this window is spent, -1
 * when the ledger is full of live entries (the caller stops: safe side).
 */
static int ledger_take(const struct nw_cred_run *r, const char *user, uint64_t now, int delta)
{
    const struct nw_inspect_target *t = r->target;
    const char *realm = r->realm ? r->realm : "service";
    struct ledger_entry *hit = NULL, *spare = NULL;
    int rc = 1;

    pthread_mutex_lock(&ledger_mu);
    for (size_t i = 0; i < NW_CRED_LEDGER_MAX && hit == NULL; i++) {
        struct ledger_entry *e = &ledger[i];

        if (e->family != 0 && now - e->start_ms >= NW_CRED_WINDOW_MS) e->family = 0; /* expired */
        if (e->family == 0) {
            if (spare == NULL) spare = e;
        } else if (ledger_match(e, t, realm, user)) {
            hit = e;
        }
    }
    if (delta < 0) {
        if (hit != NULL && hit->used > 0) hit->used--;
    } else if (hit != NULL) {
        if (hit->used >= r->max_attempts) rc = 0;
        else hit->used++;
    } else if (spare != NULL) {
        memset(spare, 0, sizeof *spare);
        spare->family = t->family;
        memcpy(spare->addr, t->addr, 16);
        snprintf(spare->realm, sizeof spare->realm, "%s", realm);
        snprintf(spare->user, sizeof spare->user, "%s", user);
        spare->used = 1;
        spare->start_ms = now;
    } else {
        rc = -1;
    }
    pthread_mutex_unlock(&ledger_mu);
    return rc;
}

/* Expand template t for user into out; 0 if it does not fit. */
static size_t expand(const char *t, const char *user, char *out, size_t cap)
{
    size_t n;

    if (strcmp(t, "{empty}") == 0) {
        out[0] = '\0';
        return 1;
    }
    if (strcmp(t, "{user}") == 0) t = user;
    n = strlen(t);
    if (n + 1 > cap) return 0;
    memcpy(out, t, n + 1);
    return n + 1;
}

int nw__cred_run(struct nw_cred_run *r, const struct nw_cred_dict *d,
                 const struct nw_cred_ops *ops, void *ctx)
{
    struct nw_cred_clock real = {real_now_ms, real_sleep_ms, (void *)(uintptr_t)r->cancel};
    const struct nw_cred_clock *clk = r->clock ? r->clock : &real;
    uint64_t start, last = 0;
    size_t nacc;
    int any = 0;

    if (ops == NULL || ops->attempt == NULL || d == NULL) return NW_EINVAL;
    if (r->clock == NULL) real.arg = (void *)(uintptr_t)r->cancel;
    start = clk->now_ms(clk->arg);
    nacc = d->users.n;
    if (r->max_accounts > 0 && r->max_accounts < nacc) nacc = r->max_accounts;
    r->stop = NW_CRED_DONE;

    for (size_t u = 0; u < nacc && r->stop == NW_CRED_DONE; u++) {
        const char *user = d->users.item[u];
        /* candidates tried for this account, to skip duplicates after expansion */
        char tried[NW_CRED_MAX_ATTEMPTS][NW_CRED_MAX_LEN + 1];
        unsigned k = 0;
        int counted = 0;

        for (size_t p = 0; p < d->passwords.n && k < r->max_attempts; p++) {
            char cand[NW_CRED_MAX_LEN + 1], why[256] = "";
            uint64_t now;
            int dup = 0, v;

            if (expand(d->passwords.item[p], user, cand, sizeof cand) == 0) continue;
            for (unsigned j = 0; j < k && !dup; j++) dup = strcmp(tried[j], cand) == 0;
            if (dup) {
                nw__cred_wipe(cand, sizeof cand);
                continue;
            }
            if (r->cancel && *r->cancel) {
                r->stop = NW_CRED_CANCELLED;
                nw__cred_wipe(cand, sizeof cand);
                break;
            }
            now = clk->now_ms(clk->arg);
            if (any && now - last < r->delay_ms) {
                if (now - start + (r->delay_ms - (now - last)) >= r->budget_ms) {
                    r->stop = NW_CRED_BUDGET;
                    nw__cred_wipe(cand, sizeof cand);
                    break;
                }
                clk->sleep_ms(clk->arg, r->delay_ms - (now - last));
                if (r->cancel && *r->cancel) {
                    r->stop = NW_CRED_CANCELLED;
                    nw__cred_wipe(cand, sizeof cand);
                    break;
                }
                now = clk->now_ms(clk->arg);
            }
            if (now - start >= r->budget_ms) {
                r->stop = NW_CRED_BUDGET;
                nw__cred_wipe(cand, sizeof cand);
                break;
            }
            if (r->target != NULL) {
                int lt = ledger_take(r, user, now, +1);

                if (lt < 0) {
                    r->stop = NW_CRED_SERVICE;
                    snprintf(r->stop_reason, sizeof r->stop_reason,
                             "attempt ledger full (%u accounts in %u minutes)",
                             (unsigned)NW_CRED_LEDGER_MAX, (unsigned)(NW_CRED_WINDOW_MS / 60000u));
                    nw__cred_wipe(cand, sizeof cand);
                    break;
                }
                if (lt == 0) { /* earlier probes or runs used this account's budget */
                    if (k == 0) r->ledger_skipped++;
                    nw__cred_wipe(cand, sizeof cand);
                    break;
                }
            }
            memcpy(tried[k], cand, sizeof cand);
            k++;
            r->attempts++;
            if (!counted) {
                r->accounts++;
                counted = 1;
            }
            v = ops->attempt(ctx, user, cand, why, sizeof why);
            nw__cred_wipe(cand, sizeof cand);
            last = clk->now_ms(clk->arg);
            any = 1;
            if (v == NW_CRED_NOUSER && r->target != NULL) ledger_take(r, user, last, -1);
            if (v == NW_CRED_ACCEPT) {
                if (r->nfound < NW_CRED_MAX_FOUND) {
                    struct nw_cred_found *f = &r->found[r->nfound++];

                    snprintf(f->user, sizeof f->user, "%s", user);
                    f->attempt = k;
                    f->of = r->max_attempts;
                }
                r->found_total++;
                break;
            }
            if (v == NW_CRED_NOUSER) break;
            if (v == NW_CRED_STOP) {
                r->stop = NW_CRED_SERVICE;
                snprintf(r->stop_reason, sizeof r->stop_reason, "%s",
                         why[0] ? why : "the service stopped answering");
                break;
            }
        }
        nw__cred_wipe(tried, sizeof tried);
        if (counted && ops->account_end) ops->account_end(ctx);
    }
    r->elapsed_ms = clk->now_ms(clk->arg) - start;
    return 0;
}

static const char *stop_name(int s)
{
    switch (s) {
    case NW_CRED_DONE: return "done";
    case NW_CRED_BUDGET: return "time bound";
    case NW_CRED_CANCELLED: return "cancelled";
    default: return "service";
    }
}

void nw__cred_facts(const struct nw_cred_run *r, struct nw_buf *facts)
{
    nw_json_kbool(facts, "dictionary_accepted", r->found_total > 0);
    nw_json_karr_open(facts, "weak_accounts");
    for (unsigned i = 0; i < r->nfound; i++) nw_json_cstr(facts, r->found[i].user);
    nw_json_arr_close(facts);
    nw_json_kuint(facts, "weak_account_count", r->found_total);
    nw_json_kuint(facts, "attempts", r->attempts);
    nw_json_kuint(facts, "accounts_tried", r->accounts);
    nw_json_kuint(facts, "attempts_per_account", r->max_attempts);
    nw_json_kcstr(facts, "cred_stopped", stop_name(r->stop));
    nw_json_kuint(facts, "accounts_skipped_recent", r->ledger_skipped);
}

void nw__cred_evidence(const struct nw_cred_run *r, const char *service, char *out, size_t cap)
{
    int n;

    if (cap == 0) return;
    if (r->nfound > 0) {
        n = snprintf(out, cap,
                     "%s: a password from the built-in dictionary was accepted for account "
                     "'%s' (attempt %u of %u)", service, r->found[0].user, r->found[0].attempt,
                     r->found[0].of);
        if (r->found_total > 1 && n > 0 && (size_t)n < cap)
            snprintf(out + n, cap - (size_t)n, "; %u weak accounts in all", r->found_total);
        return;
    }
    n = snprintf(out, cap, "%s: %u attempts on %u accounts, none accepted (at most %u per "
                 "account)", service, r->attempts, r->accounts, r->max_attempts);
    if (r->ledger_skipped > 0 && n > 0 && (size_t)n < cap)
        n += snprintf(out + n, cap - (size_t)n, "; %u accounts skipped (their attempts were "
                      "used in the last %u minutes)", r->ledger_skipped,
                      NW_CRED_WINDOW_MS / 60000u);
    if (r->stop != NW_CRED_DONE && n > 0 && (size_t)n < cap)
        snprintf(out + n, cap - (size_t)n, "; stopped early: %s%s%s", stop_name(r->stop),
                 r->stop_reason[0] ? ": " : "", r->stop_reason);
}

/* ------------------------------------------------------------ networking -- */

void nw__cred_sigpipe_block(struct nw_cred_sigpipe *s)
{
    sigset_t block, pend;

    _Static_assert(sizeof(sigset_t) <= sizeof s->old, "sigset_t fits");
    sigemptyset(&pend);
    sigpending(&pend);
    s->pending_before = sigismember(&pend, SIGPIPE) == 1;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, (sigset_t *)(void *)s->old);
}

void nw__cred_sigpipe_restore(struct nw_cred_sigpipe *s)
{
    sigset_t pend, only;
    struct timespec zero = {0, 0};

    sigemptyset(&pend);
    sigpending(&pend);
    if (!s->pending_before && sigismember(&pend, SIGPIPE) == 1) {
        sigemptyset(&only);
        sigaddset(&only, SIGPIPE);
        /* bounded: at most one pending instance of a standard signal */
        while (sigtimedwait(&only, NULL, &zero) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, (sigset_t *)(void *)s->old, NULL);
}

int nw__cred_port_open(const struct nw_inspect_target *t, uint16_t port)
{
    if (t == NULL) return 0;
    if (!t->scanned) return 1; /* no scan information: let the probe find out */
    for (size_t i = 0; i < t->nopen; i++)
        if (t->open_ports[i] == port) return 1;
    return 0;
}

void nw__cred_timeouts(const struct nw_probe_req *req, uint64_t *connect_ms, uint64_t *io_ms)
{
    uint64_t c = req && req->set && req->set->connect_timeout_ms ? req->set->connect_timeout_ms
                                                                  : 3000;

    *connect_ms = c;
    *io_ms = c * 2 < 5000 ? 5000 : c * 2; /* a login (key exchange, hashing) takes longer */
}

uint16_t nw__cred_port(const struct nw_probe_req *req, uint16_t def)
{
    uint64_t p = nw_probe_param_uint(req, "port", def);

    return p > 0 && p <= 65535 ? (uint16_t)p : def;
}

int nw__cred_connect(const struct nw_inspect_target *t, uint16_t port, uint64_t timeout_ms,
                     uint64_t io_ms, char *why, size_t whysz)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    struct pollfd pfd;
    struct timeval tv;
    int fd, fl, soerr = 0, r;
    socklen_t el = sizeof soerr;

    memset(&ss, 0, sizeof ss);
    if (t->family == 6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

        s6->sin6_family = AF_INET6;
        memcpy(&s6->sin6_addr, t->addr, 16);
        s6->sin6_port = htons(port);
        sl = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

        s4->sin_family = AF_INET;
        memcpy(&s4->sin_addr, t->addr, 4);
        s4->sin_port = htons(port);
        sl = sizeof *s4;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(why, whysz, "socket: %s", strerror(errno));
        return -1;
    }
    fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) goto fail_errno;
    r = connect(fd, (struct sockaddr *)&ss, sl);
    if (r < 0 && errno != EINPROGRESS) goto fail_errno;
    if (r < 0) {
        pfd.fd = fd;
        pfd.events = POLLOUT;
        do {
            r = poll(&pfd, 1, (int)(timeout_ms > 600000 ? 600000 : timeout_ms));
        } while (r < 0 && errno == EINTR);
        if (r == 0) {
            snprintf(why, whysz, "%s:%u: connection timed out after %llu ms", t->addr_text,
                     port, (unsigned long long)timeout_ms);
            close(fd);
            return -1;
        }
        if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el) < 0) goto fail_errno;
        if (soerr != 0) {
            errno = soerr;
            goto fail_errno;
        }
    }
    if (fcntl(fd, F_SETFL, fl) < 0) goto fail_errno;
    tv.tv_sec = (time_t)(io_ms / 1000);
    tv.tv_usec = (suseconds_t)(io_ms % 1000) * 1000;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
fail_errno:
    snprintf(why, whysz, "%s:%u: %s", t->addr_text, port,
             errno == ECONNREFUSED ? "connection refused"
             : errno == EHOSTUNREACH || errno == ENETUNREACH ? "host unreachable"
             : errno == ETIMEDOUT ? "connection timed out"
                                  : strerror(errno));
    close(fd);
    return -1;
}

int nw__cred_run_guarded(int (*body)(const struct nw_probe_req *, struct nw_probe_res *),
                         const struct nw_probe_req *req, struct nw_probe_res *res)
{
    struct nw_cred_sigpipe sp;
    int rc;

    nw__cred_sigpipe_block(&sp);
    rc = body(req, res);
    nw__cred_sigpipe_restore(&sp);
    return rc;
}
