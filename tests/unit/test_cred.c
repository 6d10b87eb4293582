/*
 * test_cred.c - the weak-credential engine (src/inspect/cred.c): attempt
 * limits per account, pauses between attempts, the time bound, cancel,
 * dictionary parsing and expansion, and that no password reaches facts or
 * evidence; plus the hand-written reply parsers (src/inspect/weak_wire.c:
 * RESP, FTP replies, HTTP heads). Time is simulated: the engine gets a fake
 * clock, so the tests are exact and fast. The weak_ftp and weak_redis probes
 * also run against fake servers on loopback that count attempts per account.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../src/inspect/cred.h"
#include "../../src/inspect/weak_wire.h"
#include "nw/json.h"
#include "nwtest.h"

/* ------------------------------------------------------------ fake world -- */

struct world {
    uint64_t now;              /* fake ms clock */
    uint64_t attempt_cost;     /* ms each attempt takes */
    unsigned n;                /* attempts seen */
    char user[64][32];
    char pass[64][32];
    uint64_t at[64];           /* start time of each attempt */
    const char *good_user, *good_pass; /* accepted pair */
    const char *nouser;        /* account refused outright */
    int stop_after;            /* return STOP at this attempt number (1-based), 0 = never */
    int cancel_after;          /* set cancel at this attempt number */
    volatile int cancel;
    unsigned account_ends;
};

static uint64_t fake_now(void *arg) { return ((struct world *)arg)->now; }
static void fake_sleep(void *arg, uint64_t ms) { ((struct world *)arg)->now += ms; }

static int fake_attempt(void *ctx, const char *user, const char *pass, char *why, size_t whysz)
{
    struct world *w = ctx;
    unsigned i = w->n++;

    if (i < 64) {
        snprintf(w->user[i], sizeof w->user[i], "%s", user);
        snprintf(w->pass[i], sizeof w->pass[i], "%s", pass);
        w->at[i] = w->now;
    }
    w->now += w->attempt_cost;
    if (w->cancel_after && (int)w->n == w->cancel_after) w->cancel = 1;
    if (w->stop_after && (int)w->n == w->stop_after) {
        snprintf(why, whysz, "connection refused");
        return NW_CRED_STOP;
    }
    if (w->nouser && strcmp(user, w->nouser) == 0) return NW_CRED_NOUSER;
    if (w->good_user && strcmp(user, w->good_user) == 0 && strcmp(pass, w->good_pass) == 0)
        return NW_CRED_ACCEPT;
    return NW_CRED_REJECT;
}

static void fake_end(void *ctx) { ((struct world *)ctx)->account_ends++; }

static const struct nw_cred_ops fake_ops = {fake_attempt, fake_end};

static void dict_init(struct nw_cred_dict *d, const char *users, const char *pw)
{
    memset(d, 0, sizeof *d);
    nw__cred_list_parse(&d->users, users, strlen(users));
    nw__cred_list_parse(&d->passwords, pw, strlen(pw));
}

static void run_init(struct nw_cred_run *r, struct world *w, struct nw_cred_clock *clk,
                     unsigned max, uint64_t delay, uint64_t budget)
{
    nw__cred_run_init(r, NULL);
    clk->now_ms = fake_now;
    clk->sleep_ms = fake_sleep;
    clk->arg = w;
    r->clock = clk;
    r->max_attempts = max;
    r->delay_ms = delay;
    r->budget_ms = budget;
    r->cancel = &w->cancel;
}

static const char *PW = "{empty}\n{user}\n123456\npassword\nadmin\nqwerty\n";

/* data/dict of this source tree, found from this file's path. */
static const char *src_dict(void)
{
    static char dir[1024];
    const char *f = __FILE__, *t = strstr(f, "tests/unit/test_cred.c");
    size_t n = t ? (size_t)(t - f) : 0;

    snprintf(dir, sizeof dir, "%.*sdata/dict", (int)n, f);
    return dir;
}

/* ------------------------------------------------------------------ cases -- */

TEST(list_parse)
{
    struct nw_cred_list l = {0};
    const char *t = "# comment\n\n  root  \r\nadmin\r\nroot\n\\#hash\n\t\n"
                    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nlast";

    CHECK_EQ(nw__cred_list_parse(&l, t, strlen(t)), 0);
    CHECK_EQ(l.n, 4); /* root, admin, #hash, last: duplicate and over-long skipped */
    CHECK_STR(l.item[0], "root");
    CHECK_STR(l.item[1], "admin");
    CHECK_STR(l.item[2], "#hash");
    CHECK_STR(l.item[3], "last");
    nw__cred_list_fini(&l);
}

TEST(list_nul_and_limit)
{
    struct nw_cred_list l = {0};
    char big[NW_CRED_MAX_ITEMS * 8 + 64];
    size_t n = 0;

    CHECK_EQ(nw__cred_list_parse(&l, "a\0b\nc\n", 6), 0);
    CHECK_EQ(l.n, 1); /* "a\0b" has a NUL: skipped */
    CHECK_STR(l.item[0], "c");
    nw__cred_list_fini(&l);
    for (unsigned i = 0; i < NW_CRED_MAX_ITEMS + 5; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "u%u\n", i);
    CHECK_EQ(nw__cred_list_parse(&l, big, n), 0);
    CHECK_EQ(l.n, NW_CRED_MAX_ITEMS);
    nw__cred_list_fini(&l);
}

TEST(attempt_limit_per_account)
{
    struct world w = {0};
    struct nw_cred_dict d;
    struct nw_cred_run r;
    struct nw_cred_clock clk;

    dict_init(&d, "root\nadmin\ntest\n", PW);
    run_init(&r, &w, &clk, 3, 0, 1000000);
    CHECK_EQ(nw__cred_run(&r, &d, &fake_ops, &w), 0);
    CHECK_EQ(r.stop, NW_CRED_DONE);
    CHECK_EQ(w.n, 9); /* 3 accounts x 3 */
    CHECK_EQ(r.attempts, 9);
    CHECK_EQ(r.accounts, 3);
    CHECK_EQ(w.account_ends, 3);
    for (unsigned a = 0; a < 3; a++) {
        unsigned per = 0;

        for (unsigned i = 0; i < w.n; i++) per += strcmp(w.user[i], w.user[a * 3]) == 0;
        CHECK_EQ(per, 3);
    }
    /* order and expansion: {empty}, {user}, then the list */
    CHECK_STR(w.pass[0], "");
    CHECK_STR(w.pass[1], "root");
    CHECK_STR(w.pass[2], "123456");
    CHECK_EQ(r.found_total, 0);
    nw__cred_dict_fini(&d);
}

TEST(expansion_dedup)
{
    struct world w = {0};
    struct nw_cred_dict d;
    struct nw_cred_run r;
    struct nw_cred_clock clk;

    /* for "admin", {user} and the literal "admin" are the same password: tried once */
    dict_init(&d, "admin\n", "{user}\nadmin\n{empty}\n\\#x\n");
    run_init(&r, &w, &clk, 10, 0, 1000000);
    nw__cred_run(&r, &d, &fake_ops, &w);
    CHECK_EQ(w.n, 3);
    CHECK_STR(w.pass[0], "admin");
    CHECK_STR(w.pass[1], "");
    CHECK_STR(w.pass[2], "#x");
    nw__cred_dict_fini(&d);
}

TEST(hard_cap)
{
    struct nw_cred_run r;
    struct nw_inspect_settings set;
    struct nw_probe_req req;

    memset(&set, 0, sizeof set);
    memset(&req, 0, sizeof req);
    req.set = &set;
    set.attempts_per_account = 1000;
    nw__cred_run_init(&r, &req);
    CHECK_EQ(r.max_attempts, NW_CRED_MAX_ATTEMPTS);
    set.attempts_per_account = 0;
    nw__cred_run_init(&r, &req);
    CHECK_EQ(r.max_attempts, NW_CRED_DEF_ATTEMPTS);
    CHECK_EQ(r.delay_ms, 0); /* an explicit 0 pause is honoured */
    CHECK_EQ(r.budget_ms, NW_CRED_DEF_BUDGET_MS);
    nw__cred_run_init(&r, NULL);
    CHECK_EQ(r.max_attempts, NW_CRED_DEF_ATTEMPTS);
    CHECK_EQ(r.delay_ms, NW_CRED_DEF_DELAY_MS);
    set.attempts_per_account = 2;
    set.attempt_delay_ms = 40;
    set.probe_timeout_ms = 5000;
    nw__cred_run_init(&r, &req);
    CHECK_EQ(r.max_attempts, 2);
    CHECK_EQ(r.delay_ms, 40);
    CHECK_EQ(r.budget_ms, 5000);
}

TEST(check_lowers_limit)
{
    struct nw_param params[2] = {{"max_attempts", "1", NULL, 0, 3}, {"users", "a, b ,,c", NULL, 0, 4}};
    struct nw_check chk;
    struct nw_inspect_settings set;
    struct nw_probe_req req;
    struct nw_cred_run r;
    struct nw_cred_dict d;
    struct nw_err err = {""};

    memset(&chk, 0, sizeof chk);
    memset(&set, 0, sizeof set);
    memset(&req, 0, sizeof req);
    chk.params = params;
    chk.nparams = 2;
    req.check = &chk;
    req.set = &set;
    set.attempts_per_account = 5;
    nw__cred_run_init(&r, &req);
    CHECK_EQ(r.max_attempts, 1);
    params[0].value = "9"; /* a check cannot raise the operator's limit */
    nw__cred_run_init(&r, &req);
    CHECK_EQ(r.max_attempts, 5);
    /* users from the scalar param first, then the built-in list */
    set.dict_dir = src_dict();
    CHECK_EQ(nw__cred_dict_for(&d, &req, &err), 0);
    CHECK(d.users.n > 10);
    CHECK_STR(d.users.item[0], "a");
    CHECK_STR(d.users.item[1], "b");
    CHECK_STR(d.users.item[2], "c");
    CHECK_STR(d.users.item[3], "root");
    CHECK(d.passwords.n >= 30);
    nw__cred_dict_fini(&d);
    /* a missing dictionary says where it looked and what to do */
    set.dict_dir = "/nonexistent/dict";
    CHECK_EQ(nw__cred_dict_for(&d, &req, &err), NW_ENOENT);
    CHECK_HAS(err.msg, "/nonexistent/dict/users.txt");
    CHECK_HAS(err.msg, "dict_dir");
    nw__cred_dict_fini(&d);
}

TEST(builtin_users_off)
{
    static const char *const users[] = {"default", NULL};
    struct nw_param params[2] = {{"users", NULL, users, 1, 3}, {"builtin_users", "false", NULL, 0, 4}};
    struct nw_check chk;
    struct nw_inspect_settings set;
    struct nw_probe_req req;
    struct nw_cred_dict d;
    struct nw_err err = {""};

    memset(&chk, 0, sizeof chk);
    memset(&set, 0, sizeof set);
    memset(&req, 0, sizeof req);
    chk.params = params;
    chk.nparams = 2;
    req.check = &chk;
    req.set = &set;
    set.dict_dir = src_dict();
    CHECK_EQ(nw__cred_dict_for(&d, &req, &err), 0);
    CHECK_EQ(d.users.n, 1);
    CHECK_STR(d.users.item[0], "default");
    nw__cred_dict_fini(&d);
}

TEST(delay_between_attempts)
{
    struct world w = {0};
    struct nw_cred_dict d;
    struct nw_cred_run r;
    struct nw_cred_clock clk;

    w.attempt_cost = 7;
    dict_init(&d, "root\nadmin\n", PW);
    run_init(&r, &w, &clk, 4, 250, 1000000);
    nw__cred_run(&r, &d, &fake_ops, &w);
    CHECK_EQ(w.n, 8);
    for (unsigned i = 1; i < w.n; i++) CHECK(w.at[i] - w.at[i - 1] >= 250 + 0);
    /* an attempt slower than the delay needs no extra pause: gap = end-to-start >= delay */
    CHECK(w.at[1] - (w.at[0] + 7) >= 250);
    nw__cred_dict_fini(&d);
}

TEST(time_bound)
{
    struct world w = {0};
    struct nw_cred_dict d;
    struct nw_cred_run r;
    struct nw_cred_clock clk;

    w.attempt_cost = 10;
    dict_init(&d, "root\nadmin\ntest\nuser\n", PW);
    run_init(&r, &w, &clk, 5, 100, 1000); /* ~110 ms per attempt: at most 10 fit in 1 s */
    nw__cred_run(&r, &d, &fake_ops, &w);
    CHECK_EQ(r.stop, NW_CRED_BUDGET);
    CHECK(w.n <= 10);
    CHECK(w.n >= 8);
    for (unsigned i = 0; i < w.n; i++) CHECK(w.at[i] < 1000);
    CHECK(r.elapsed_ms <= 1000 + w.attempt_cost);
    nw__cred_dict_fini(&d);
}

TEST(accept_stops_account_and_masks)
{
    struct world w = {0};
    struct nw_cred_dict d;
    struct nw_cred_run r;
    struct nw_cred_clock clk;
    struct nw_buf facts;
    char ev[512];

    w.good_user = "test";
    w.good_pass = "123456";
    dict_init(&d, "root\ntest\nadmin\n", PW);
    run_init(&r, &w, &clk, 5, 0, 1000000);
    nw__cred_run(&r, &d, &fake_ops, &w);
    /* root: 5, test: 3 (accepted at the third), admin: 5 */
    CHECK_EQ(w.n, 13);
    CHECK_EQ(r.found_total, 1);
    CHECK_STR(r.found[0].user, "test");
    CHECK_EQ(r.found[0].attempt, 3);
    CHECK_EQ(r.found[0].of, 5);
    nw__cred_evidence(&r, "ssh 10.0.0.2:22", ev, sizeof ev);
    CHECK_STR(ev, "ssh 10.0.0.2:22: a password from the built-in dictionary was accepted for "
                  "account 'test' (attempt 3 of 5)");
    CHECK_LACKS(ev, "123456");
    nw_buf_init(&facts, 0);
    nw_json_obj_open(&facts);
    nw__cred_facts(&r, &facts);
    nw_json_obj_close(&facts);
    nw_buf_putc(&facts, '\0');
    CHECK_HAS(facts.data, "\"dictionary_accepted\":true");
    CHECK_HAS(facts.data, "\"weak_accounts\":[\"test\"]");
    CHECK_HAS(facts.data, "\"attempts\":13");
    CHECK_LACKS(facts.data, "123456");
    /* the result struct itself holds no copy of the password anywhere */
    CHECK(memmem(&r, sizeof r, "123456", 6) == NULL);
    nw_buf_fini(&facts);
    nw__cred_dict_fini(&d);
}

TEST(nouser_and_stop)
{
    struct world w = {0};
    struct nw_cred_dict d;
    struct nw_cred_run r;
    struct nw_cred_clock clk;
    char ev[512];

    w.nouser = "root";
    dict_init(&d, "root\nadmin\ntest\n", PW);
    run_init(&r, &w, &clk, 3, 0, 1000000);
    nw__cred_run(&r, &d, &fake_ops, &w);
    CHECK_EQ(w.n, 1 + 3 + 3); /* root refused at once */
    nw__cred_dict_fini(&d);

    memset(&w, 0, sizeof w);
    w.stop_after = 4;
    dict_init(&d, "root\nadmin\ntest\n", PW);
    run_init(&r, &w, &clk, 3, 0, 1000000);
    nw__cred_run(&r, &d, &fake_ops, &w);
    CHECK_EQ(w.n, 4);
    CHECK_EQ(r.stop, NW_CRED_SERVICE);
    CHECK_STR(r.stop_reason, "connection refused");
    nw__cred_evidence(&r, "ftp 10.0.0.2:21", ev, sizeof ev);
    CHECK_HAS(ev, "stopped early: service: connection refused");
    nw__cred_dict_fini(&d);
}

TEST(cancel)
{
    struct world w = {0};
    struct nw_cred_dict d;
    struct nw_cred_run r;
    struct nw_cred_clock clk;

    w.cancel_after = 2;
    dict_init(&d, "root\nadmin\n", PW);
    run_init(&r, &w, &clk, 5, 10, 1000000);
    nw__cred_run(&r, &d, &fake_ops, &w);
    CHECK_EQ(w.n, 2);
    CHECK_EQ(r.stop, NW_CRED_CANCELLED);
    nw__cred_dict_fini(&d);
}

TEST(max_accounts)
{
    struct world w = {0};
    struct nw_cred_dict d;
    struct nw_cred_run r;
    struct nw_cred_clock clk;

    dict_init(&d, "a\nb\nc\nd\n", PW);
    run_init(&r, &w, &clk, 2, 0, 1000000);
    r.max_accounts = 2;
    nw__cred_run(&r, &d, &fake_ops, &w);
    CHECK_EQ(w.n, 4);
    CHECK_EQ(r.accounts, 2);
    nw__cred_dict_fini(&d);
}

TEST(real_clock_delay)
{
    struct world w = {0};
    struct nw_cred_dict d;
    struct nw_cred_run r;
    uint64_t t0 = nw_time_now_us();

    dict_init(&d, "a\n", "1\n2\n3\n");
    nw__cred_run_init(&r, NULL);
    r.delay_ms = 30;
    nw__cred_run(&r, &d, &fake_ops, &w);
    CHECK_EQ(w.n, 3);
    CHECK(nw_time_now_us() - t0 >= 60000); /* two pauses of 30 ms */
    nw__cred_dict_fini(&d);
}

TEST(ledger_shared_budget)
{
    struct world w = {0};
    struct nw_cred_dict d;
    struct nw_cred_run r;
    struct nw_cred_clock clk;
    struct nw_inspect_target t, t2;

    memset(&t, 0, sizeof t);
    t.family = 4;
    t.addr[0] = 10;
    t.addr[3] = 9;
    t2 = t;
    t2.addr[3] = 10;
    nw__cred_ledger_reset();
    dict_init(&d, "root\nadmin\n", PW);
    /* SSH uses the system accounts: 3 each */
    run_init(&r, &w, &clk, 3, 0, 1000000);
    r.target = &t;
    r.realm = "system";
    nw__cred_run(&r, &d, &fake_ops, &w);
    CHECK_EQ(w.n, 6);
    /* FTP (also "system") right after: nothing left for these accounts */
    run_init(&r, &w, &clk, 3, 0, 1000000);
    r.target = &t;
    r.realm = "system";
    nw__cred_run(&r, &d, &fake_ops, &w);
    CHECK_EQ(w.n, 6);
    CHECK_EQ(r.ledger_skipped, 2);
    /* another account database on the same host, and another host: full budgets */
    run_init(&r, &w, &clk, 3, 0, 1000000);
    r.target = &t;
    r.realm = "mysql:3306";
    nw__cred_run(&r, &d, &fake_ops, &w);
    CHECK_EQ(w.n, 12);
    run_init(&r, &w, &clk, 3, 0, 1000000);
    r.target = &t2;
    r.realm = "system";
    nw__cred_run(&r, &d, &fake_ops, &w);
    CHECK_EQ(w.n, 18);
    /* once the window has passed, the budget is back */
    w.now += NW_CRED_WINDOW_MS;
    run_init(&r, &w, &clk, 3, 0, 1000000);
    r.target = &t;
    r.realm = "system";
    nw__cred_run(&r, &d, &fake_ops, &w);
    CHECK_EQ(w.n, 24);
    /* refused accounts (no password sent) give their attempt back */
    nw__cred_ledger_reset();
    w.nouser = "root";
    run_init(&r, &w, &clk, 3, 0, 1000000);
    r.target = &t;
    r.realm = "system";
    nw__cred_run(&r, &d, &fake_ops, &w);
    run_init(&r, &w, &clk, 3, 0, 1000000);
    r.target = &t;
    r.realm = "system";
    w.n = 0;
    nw__cred_run(&r, &d, &fake_ops, &w);
    CHECK_EQ(w.n, 1); /* root asked again (refused at once), admin's budget is spent */
    nw__cred_ledger_reset();
    nw__cred_dict_fini(&d);
}

/* ------------------------------------------------------------------ RESP -- */

static int resp(const char *s, struct nw_resp *r) { return nw__resp_parse((const uint8_t *)s, strlen(s), r); }

TEST(resp_scalars)
{
    struct nw_resp r;

    CHECK_EQ(resp("+PONG\r\n", &r), 7);
    CHECK_EQ(r.type, '+');
    CHECK_EQ(r.len, 4);
    CHECK(memcmp(r.data, "PONG", 4) == 0);
    CHECK_EQ(resp("-NOAUTH Authentication required.\r\n", &r), 34);
    CHECK_EQ(r.type, '-');
    CHECK_EQ(resp(":42\r\n", &r), 5);
    CHECK_EQ(resp("$5\r\nhello\r\n", &r), 11);
    CHECK_EQ(r.count, 5);
    CHECK(memcmp(r.data, "hello", 5) == 0);
    CHECK_EQ(resp("$-1\r\n", &r), 5);
    CHECK_EQ(r.count, -1);
    CHECK_EQ(resp("$0\r\n\r\n", &r), 6);
}

TEST(resp_partial_and_bad)
{
    struct nw_resp r;

    CHECK_EQ(resp("", &r), 0);
    CHECK_EQ(resp("+PON", &r), 0);
    CHECK_EQ(resp("+PONG\r", &r), 0);
    CHECK_EQ(resp("$5\r\nhel", &r), 0);
    CHECK_EQ(resp("$5\r\nhello", &r), 0);
    CHECK_EQ(resp("$99999999999999999999\r\n", &r), NW_EFORMAT);
    CHECK_EQ(resp("$5\r\nhelloXY", &r), NW_EFORMAT);
    CHECK_EQ(resp("$-2\r\n", &r), NW_EFORMAT);
    CHECK_EQ(resp("+a\nb\r\n", &r), NW_EFORMAT);
    CHECK_EQ(resp("SSH-2.0-OpenSSH\r\n", &r), NW_EFORMAT);
    CHECK_EQ(resp("HTTP/1.1 400\r\n", &r), NW_EFORMAT);
    CHECK_EQ(resp("*2\r\n$1\r\na\r\n", &r), 0);
    CHECK_EQ(resp("*99999\r\n", &r), NW_EFORMAT);
}

TEST(resp_arrays)
{
    struct nw_resp r;
    char deep[256];
    size_t n = 0;

    CHECK_EQ(resp("*2\r\n$1\r\na\r\n:1\r\n", &r), 15);
    CHECK_EQ(r.type, '*');
    CHECK_EQ(r.count, 2);
    CHECK_EQ(resp("*2\r\n*1\r\n+x\r\n*0\r\n", &r), 16);
    CHECK_EQ(resp("*-1\r\n", &r), 5);
    CHECK_EQ(resp("%1\r\n+k\r\n+v\r\n", &r), 12);
    for (int i = 0; i < NW_RESP_MAX_DEPTH; i++) n += (size_t)snprintf(deep + n, sizeof deep - n, "*1\r\n");
    n += (size_t)snprintf(deep + n, sizeof deep - n, "+x\r\n");
    CHECK_EQ(resp(deep, &r), (int)n);
    n = 0;
    for (int i = 0; i < NW_RESP_MAX_DEPTH + 2; i++)
        n += (size_t)snprintf(deep + n, sizeof deep - n, "*1\r\n");
    n += (size_t)snprintf(deep + n, sizeof deep - n, "+x\r\n");
    CHECK_EQ(resp(deep, &r), NW_EFORMAT);
}

/* ------------------------------------------------------------------- FTP -- */

static int ftp(const char *s, int *code) { return nw__ftp_reply((const uint8_t *)s, strlen(s), code); }

TEST(ftp_replies)
{
    int code = 0;

    CHECK_EQ(ftp("220 (vsFTPd 3.0.3)\r\n", &code), 20);
    CHECK_EQ(code, 220);
    CHECK_EQ(ftp("331 Please specify the password.\r\n230 x\r\n", &code), 34);
    CHECK_EQ(code, 331);
    /* multi-line: ends at "230 " with the same code; inner lines may look like codes */
    CHECK_EQ(ftp("230-Welcome\r\n 230 not the end\r\n200 nor this\r\n230 Login ok.\r\n", &code),
             60);
    CHECK_EQ(code, 230);
    CHECK_EQ(ftp("230-Welcome\r\nmore\r\n", &code), 0);
    CHECK_EQ(ftp("220 partial", &code), 0);
    CHECK_EQ(ftp("530\n", &code), 4);
    CHECK_EQ(code, 530);
    CHECK_EQ(ftp("SSH-2.0-x\r\n", &code), NW_EFORMAT);
    CHECK_EQ(ftp("220x\r\n", &code), NW_EFORMAT);
    CHECK_EQ(ftp("620 no\r\n", &code), NW_EFORMAT);
}

/* ------------------------------------------------------------------ HTTP -- */

static int head(const char *s, int *st, int *b) { return nw__http_head((const uint8_t *)s, strlen(s), st, b); }

TEST(http_heads)
{
    int st, b;
    const char *h401 = "HTTP/1.1 401 Unauthorized\r\nServer: x\r\n"
                       "WWW-Authenticate: Digest realm=\"a\", Basic realm=\"admin\"\r\n\r\nbody";

    CHECK_EQ(head(h401, &st, &b), (int)(strlen(h401) - 4));
    CHECK_EQ(st, 401);
    CHECK_EQ(b, 1);
    CHECK(head("HTTP/1.0 200 OK\r\n\r\n", &st, &b) > 0);
    CHECK_EQ(st, 200);
    CHECK_EQ(b, 0);
    CHECK(head("HTTP/1.1 401 x\r\nwww-authenticate: Bearer, Basicish\r\n\r\n", &st, &b) > 0);
    CHECK_EQ(b, 0);
    CHECK_EQ(head("HTTP/1.1 200 OK\r\nA: b\r\n", &st, &b), 0);
    CHECK_EQ(head("SSH-2.0-OpenSSH_9.2\r\n", &st, &b), NW_EFORMAT);
    CHECK_EQ(head("HTTP/1.1 2x0 OK\r\n\r\n", &st, &b), NW_EFORMAT);
}

/* ------------------------------------------- probes against fake servers -- */
/*
 * A loopback server thread speaks just enough FTP or Redis for the real
 * probes to run end to end without root; it counts password attempts per
 * account and timestamps them, so the limits are checked from the server's
 * side (the e2e test does the same against real servers as root).
 */
struct fake {
    int kind;                 /* 'f' FTP, 'r' Redis */
    int lfd;
    uint16_t port;
    pthread_t th;
    volatile int stop;
    int allow_anon;           /* FTP */
    const char *good_user, *good_pass; /* accepted pair (Redis: password of "default") */
    char users[16][32];       /* accounts seen with a password */
    unsigned count[16];
    uint64_t when_us[64];     /* arrival of every password attempt */
    unsigned nwhen;
};

static void fake_count(struct fake *f, const char *user)
{
    unsigned i;

    for (i = 0; i < 16 && f->users[i][0]; i++)
        if (strcmp(f->users[i], user) == 0) break;
    if (i == 16) return;
    if (!f->users[i][0]) snprintf(f->users[i], sizeof f->users[i], "%s", user);
    f->count[i]++;
    if (f->nwhen < 64) f->when_us[f->nwhen++] = nw_time_now_us();
}

static unsigned fake_max(const struct fake *f)
{
    unsigned m = 0;

    for (unsigned i = 0; i < 16; i++) m = f->count[i] > m ? f->count[i] : m;
    return m;
}

static unsigned fake_accounts(const struct fake *f)
{
    unsigned n = 0;

    while (n < 16 && f->users[n][0]) n++;
    return n;
}

static void sendz(int fd, const char *s) { (void)!send(fd, s, strlen(s), MSG_NOSIGNAL); }

static void serve_ftp(struct fake *f, int c)
{
    char buf[512], user[64] = "";
    size_t have = 0;

    sendz(c, "220 fake ftp\r\n");
    for (;;) {
        char *nl;
        ssize_t r;

        while ((nl = memchr(buf, '\n', have)) == NULL) {
            if (have == sizeof buf) return;
            r = recv(c, buf + have, sizeof buf - have, 0);
            if (r <= 0) return;
            have += (size_t)r;
        }
        *nl = '\0';
        if (nl > buf && nl[-1] == '\r') nl[-1] = '\0';
        if (strncmp(buf, "USER ", 5) == 0) {
            snprintf(user, sizeof user, "%.63s", buf + 5);
            sendz(c, "331 password please\r\n");
        } else if (strncmp(buf, "PASS", 4) == 0) {
            const char *p = buf[4] ? buf + 5 : "";
            int ok = (strcmp(user, "anonymous") == 0 && f->allow_anon) ||
                     (f->good_user && strcmp(user, f->good_user) == 0 &&
                      strcmp(p, f->good_pass) == 0);

            if (strcmp(user, "anonymous") != 0) fake_count(f, user);
            sendz(c, ok ? "230 welcome\r\n" : "530 Login incorrect.\r\n");
        } else if (strcmp(buf, "QUIT") == 0) {
            sendz(c, "221 bye\r\n");
            return;
        } else {
            sendz(c, "502 not here\r\n");
        }
        have -= (size_t)(nl + 1 - buf);
        memmove(buf, nl + 1, have);
    }
}

/* The bulk strings of a complete RESP command array (test input: trusted). */
static int resp_argv(const uint8_t *p, size_t n, char store[4][160], int *argc)
{
    size_t pos;
    long cnt;

    if (n < 4 || p[0] != '*') return -1;
    cnt = strtol((const char *)p + 1, NULL, 10);
    pos = (size_t)((const uint8_t *)memchr(p, '\n', n) - p) + 1;
    for (long i = 0; i < cnt && i < 4; i++) {
        long l = strtol((const char *)p + pos + 1, NULL, 10);
        const uint8_t *nl = memchr(p + pos, '\n', n - pos);

        pos = (size_t)(nl - p) + 1;
        snprintf(store[i], 160, "%.*s", (int)l, (const char *)p + pos);
        pos += (size_t)l + 2;
    }
    *argc = (int)cnt;
    return 0;
}

static void serve_redis(struct fake *f, int c)
{
    uint8_t buf[2048];
    size_t have = 0;
    int authed = f->good_pass == NULL;

    for (;;) {
        struct nw_resp r;
        char argv[4][160];
        int n, argc = 0;
        ssize_t got;

        while ((n = nw__resp_parse(buf, have, &r)) == 0) {
            if (have == sizeof buf) return;
            got = recv(c, buf + have, sizeof buf - have, 0);
            if (got <= 0) return;
            have += (size_t)got;
        }
        if (n < 0 || resp_argv(buf, (size_t)n, argv, &argc) < 0) return;
        if (strcmp(argv[0], "PING") == 0) {
            sendz(c, authed ? "+PONG\r\n" : "-NOAUTH Authentication required.\r\n");
        } else if (strcmp(argv[0], "INFO") == 0) {
            sendz(c, authed ? "$31\r\n# Server\r\nredis_version:9.9.9\r\n\r\n"
                            : "-NOAUTH Authentication required.\r\n");
        } else if (strcmp(argv[0], "AUTH") == 0) {
            const char *u = argc == 3 ? argv[1] : "default", *p = argv[argc == 3 ? 2 : 1];

            fake_count(f, u);
            authed = f->good_pass && strcmp(u, "default") == 0 && strcmp(p, f->good_pass) == 0;
            sendz(c, authed ? "+OK\r\n"
                            : "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
        } else if (strcmp(argv[0], "QUIT") == 0) {
            sendz(c, "+OK\r\n");
            return;
        } else {
            sendz(c, "-ERR unknown command\r\n");
        }
        have -= (size_t)n;
        memmove(buf, buf + n, have);
    }
}

static void *fake_main(void *arg)
{
    struct fake *f = arg;

    while (!f->stop) {
        struct pollfd pf = {f->lfd, POLLIN, 0};
        int c;

        if (poll(&pf, 1, 50) <= 0) continue;
        c = accept(f->lfd, NULL, NULL);
        if (c < 0) continue;
        if (f->kind == 'f') serve_ftp(f, c);
        else serve_redis(f, c);
        close(c);
    }
    return NULL;
}

static int fake_start(struct fake *f, int kind)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;

    f->kind = kind;
    f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(f->lfd, 16) < 0 || getsockname(f->lfd, (struct sockaddr *)&sa, &sl) < 0)
        return -1;
    f->port = ntohs(sa.sin_port);
    return pthread_create(&f->th, NULL, fake_main, f);
}

static void fake_stop(struct fake *f)
{
    f->stop = 1;
    pthread_join(f->th, NULL);
    close(f->lfd);
}

/* Everything one probe run needs. */
struct probe_env {
    struct nw_inspect_target t;
    uint16_t open[1];
    struct nw_inspect_settings set;
    struct nw_param params[8];
    char portstr[8];
    struct nw_check chk;
    struct nw_probe_req req;
    struct nw_probe_res res;
    volatile int cancel;
};

static void env_init(struct probe_env *e, uint16_t port, int open)
{
    memset(e, 0, sizeof *e);
    e->t.host = "127.0.0.1";
    e->t.family = 4;
    e->t.addr[0] = 127;
    e->t.addr[3] = 1;
    snprintf(e->t.addr_text, sizeof e->t.addr_text, "127.0.0.1");
    e->open[0] = port;
    e->t.open_ports = e->open;
    e->t.nopen = open ? 1 : 0;
    e->t.scanned = 1;
    e->set.dict_dir = src_dict();
    e->set.connect_timeout_ms = 1000;
    e->set.attempts_per_account = 3;
    e->set.attempt_delay_ms = 1;
    snprintf(e->portstr, sizeof e->portstr, "%u", port);
    e->params[0].name = "port";
    e->params[0].value = e->portstr;
    e->chk.id = "TEST";
    e->chk.params = e->params;
    e->chk.nparams = 1;
    e->req.check = &e->chk;
    e->req.target = &e->t;
    e->req.set = &e->set;
    e->req.cancel = &e->cancel;
}

static void env_param(struct probe_env *e, const char *name, const char *value)
{
    e->params[e->chk.nparams].name = name;
    e->params[e->chk.nparams].value = value;
    e->chk.nparams++;
}

/* Run the named probe; facts end up NUL-terminated in e->res.facts.data. */
static int env_run(struct probe_env *e, const char *probe)
{
    const struct nw_probe *p = nw_inspect_probe_find(probe);
    int rc;

    if (p == NULL) return -100;
    nw_buf_init(&e->res.facts, 0);
    nw_json_obj_open(&e->res.facts);
    rc = p->run(&e->req, &e->res);
    nw_json_obj_close(&e->res.facts);
    nw_buf_putc(&e->res.facts, '\0');
    return rc;
}

TEST(ftp_probe_anonymous)
{
    struct fake f = {0};
    struct probe_env e;
    int rc;

    f.allow_anon = 1;
    CHECK_EQ(fake_start(&f, 'f'), 0);
    env_init(&e, f.port, 1);
    env_param(&e, "test", "anonymous");
    rc = env_run(&e, "weak_ftp");
    fake_stop(&f);
    CHECK_EQ(rc, 0);
    CHECK_EQ(e.res.status, NW_PROBE_OK);
    CHECK_HAS(e.res.facts.data, "\"anonymous_login\":true");
    CHECK_HAS(e.res.evidence, "anonymous login accepted");
    CHECK_EQ(f.nwhen, 0); /* no dictionary attempts in anonymous mode */
    nw_buf_fini(&e.res.facts);
}

TEST(ftp_probe_dictionary_limits)
{
    struct fake f = {0};
    struct probe_env e;
    int rc;

    nw__cred_ledger_reset();
    f.good_user = "test";
    f.good_pass = "123456";
    CHECK_EQ(fake_start(&f, 'f'), 0);
    env_init(&e, f.port, 1);
    env_param(&e, "test", "dictionary");
    env_param(&e, "users", "admin, test, root");
    env_param(&e, "builtin_users", "false");
    e.set.attempt_delay_ms = 40;
    rc = env_run(&e, "weak_ftp");
    fake_stop(&f);
    CHECK_EQ(rc, 0);
    CHECK_EQ(e.res.status, NW_PROBE_OK);
    CHECK_HAS(e.res.facts.data, "\"dictionary_accepted\":true");
    CHECK_HAS(e.res.facts.data, "\"weak_accounts\":[\"test\"]");
    CHECK_HAS(e.res.evidence, "accepted for account 'test' (attempt 3 of 3)");
    CHECK_LACKS(e.res.evidence, "123456");
    CHECK_LACKS(e.res.facts.data, "123456");
    /* the server saw 3 accounts x 3 passwords, never more per account */
    CHECK_EQ(fake_accounts(&f), 3);
    CHECK_EQ(fake_max(&f), 3);
    CHECK_EQ(f.nwhen, 9);
    for (unsigned i = 1; i < f.nwhen; i++) CHECK(f.when_us[i] - f.when_us[i - 1] >= 39000);
    nw_buf_fini(&e.res.facts);
}

TEST(redis_probe_noauth)
{
    struct fake f = {0};
    struct probe_env e;
    int rc;

    CHECK_EQ(fake_start(&f, 'r'), 0);
    env_init(&e, f.port, 1);
    env_param(&e, "test", "noauth");
    rc = env_run(&e, "weak_redis");
    fake_stop(&f);
    CHECK_EQ(rc, 0);
    CHECK_HAS(e.res.facts.data, "\"auth_required\":false");
    CHECK_HAS(e.res.facts.data, "\"redis_version\":\"9.9.9\"");
    CHECK_HAS(e.res.evidence, "without authentication");
    nw_buf_fini(&e.res.facts);
}

TEST(redis_probe_dictionary)
{
    struct fake f = {0};
    struct probe_env e;
    int rc;

    /* "password" is the 4th candidate ({empty}, {user}, 123456, password) */
    nw__cred_ledger_reset();
    f.good_pass = "password";
    CHECK_EQ(fake_start(&f, 'r'), 0);
    env_init(&e, f.port, 1);
    env_param(&e, "test", "dictionary");
    env_param(&e, "users", "default");
    env_param(&e, "builtin_users", "false");
    rc = env_run(&e, "weak_redis");
    CHECK_EQ(rc, 0);
    CHECK_HAS(e.res.facts.data, "\"auth_required\":true");
    CHECK_HAS(e.res.facts.data, "\"dictionary_accepted\":false");
    CHECK_EQ(fake_max(&f), 3); /* three attempts: not found */
    nw_buf_fini(&e.res.facts);

    /* a second run within the window, now allowed 5: the ledger leaves it 5 - 3 = 2 */
    env_init(&e, f.port, 1);
    env_param(&e, "test", "dictionary");
    env_param(&e, "users", "default");
    env_param(&e, "builtin_users", "false");
    e.set.attempts_per_account = 5;
    rc = env_run(&e, "weak_redis");
    CHECK_EQ(rc, 0);
    CHECK_HAS(e.res.facts.data, "\"attempts\":2");
    CHECK_HAS(e.res.facts.data, "\"dictionary_accepted\":false");
    CHECK_EQ(fake_max(&f), 5); /* the server never saw more than 5 for "default" */
    nw_buf_fini(&e.res.facts);

    /* a fresh window (ledger reset): found at the 4th password */
    nw__cred_ledger_reset();
    memset(f.count, 0, sizeof f.count);
    f.nwhen = 0;
    env_init(&e, f.port, 1);
    env_param(&e, "test", "dictionary");
    env_param(&e, "users", "default");
    env_param(&e, "builtin_users", "false");
    e.set.attempts_per_account = 5;
    rc = env_run(&e, "weak_redis");
    fake_stop(&f);
    CHECK_EQ(rc, 0);
    CHECK_HAS(e.res.facts.data, "\"dictionary_accepted\":true");
    CHECK_HAS(e.res.evidence, "account 'default' (attempt 4 of 5)");
    CHECK_LACKS(e.res.evidence, "password\"");
    CHECK_LACKS(e.res.facts.data, "\"password\"");
    CHECK_EQ(fake_max(&f), 4);
    nw_buf_fini(&e.res.facts);
}

TEST(probe_closed_and_refused)
{
    struct fake f = {0};
    struct probe_env e;
    uint16_t port;

    CHECK_EQ(fake_start(&f, 'f'), 0);
    port = f.port;
    fake_stop(&f); /* nothing listens there any more */
    env_init(&e, port, 0);
    CHECK_EQ(env_run(&e, "weak_ftp"), 0);
    CHECK_EQ(e.res.status, NW_PROBE_SKIP);
    CHECK_HAS(e.res.reason, "port closed");
    nw_buf_fini(&e.res.facts);
    env_init(&e, port, 1); /* the scan said open, but it is not (any more) */
    CHECK_EQ(env_run(&e, "weak_redis"), 0);
    CHECK_EQ(e.res.status, NW_PROBE_ERROR);
    CHECK_HAS(e.res.reason, "connection refused");
    nw_buf_fini(&e.res.facts);
}

NW_TEST_MAIN(NWT_ENTRY(list_parse) NWT_ENTRY(list_nul_and_limit)
             NWT_ENTRY(attempt_limit_per_account) NWT_ENTRY(expansion_dedup) NWT_ENTRY(hard_cap)
             NWT_ENTRY(check_lowers_limit) NWT_ENTRY(builtin_users_off)
             NWT_ENTRY(delay_between_attempts) NWT_ENTRY(time_bound)
             NWT_ENTRY(accept_stops_account_and_masks) NWT_ENTRY(nouser_and_stop)
             NWT_ENTRY(cancel) NWT_ENTRY(max_accounts) NWT_ENTRY(real_clock_delay)
             NWT_ENTRY(ledger_shared_budget) NWT_ENTRY(resp_scalars)
             NWT_ENTRY(resp_partial_and_bad) NWT_ENTRY(resp_arrays) NWT_ENTRY(ftp_replies)
             NWT_ENTRY(http_heads) NWT_ENTRY(ftp_probe_anonymous)
             NWT_ENTRY(ftp_probe_dictionary_limits) NWT_ENTRY(redis_probe_noauth)
             NWT_ENTRY(redis_probe_dictionary) NWT_ENTRY(probe_closed_and_refused))
