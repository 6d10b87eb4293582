/* test_inspect.c - the inspection framework: pass conditions, the check-file
 * loader and its messages, profiles, dpkg version order, the results
 * document, and allocation failure at every step of loading. */
#include "nw/inspect.h"

#include <stdio.h>
#include <string.h>

#include "nw/jsonscan.h"
#include "nwtest.h"

int nw__dpkg_vercmp(const char *a, const char *b); /* probe_package.c (internal) */

static const char facts[] =
    "{\"value\":\"no\",\"number\":90,\"matched\":true,\"empty\":[],\"users\":[\"a\",\"b\"],"
    "\"esc\":\"x\\\"y\",\"nested\":{\"n\":3},\"nul\":null,\"exists\":true,\"len\":2}";

static int eval(const char *src)
{
    struct nw_cond *c;
    struct nw_err e;
    int r;

    if (nw_cond_compile(src, &c, &e) != 0) {
        fprintf(stderr, "compile '%s': %s\n", src, e.msg);
        return -100;
    }
    r = nw_cond_eval(c, facts, sizeof facts - 1, &e);
    nw_cond_free(c);
    return r;
}

TEST(cond_values)
{
    CHECK_EQ(eval("value == 'no'"), 1);
    CHECK_EQ(eval("value != \"no\""), 0);
    CHECK_EQ(eval("value in ['no', 'prohibit-password']"), 1);
    CHECK_EQ(eval("value not in ['yes']"), 1);
    CHECK_EQ(eval("number <= 90 and number > 0"), 1);
    CHECK_EQ(eval("number < 90 or not matched"), 0);
    CHECK_EQ(eval("not not matched"), 1);
    CHECK_EQ(eval("len(empty) == 0 and len(users) == 2"), 1);
    CHECK_EQ(eval("'b' in users and 'c' not in users"), 1);
    CHECK_EQ(eval("esc == 'x\"y'"), 1);
    CHECK_EQ(eval("nested.n == 3 and users.1 == 'b'"), 1);
    CHECK_EQ(eval("nul == null and exists(nested) and not exists(nul) and not exists(zz)"), 1);
    CHECK_EQ(eval("exists and len == 2"), 1); /* facts may be named like the functions */
    CHECK_EQ(eval("(number == 90 or number == 1) and (value == 'no')"), 1);
    CHECK_EQ(eval("-1 < 0 and 1.5 > 1"), 1);
    CHECK_EQ(eval("'no' in value"), 1); /* substring on strings */
    CHECK_EQ(eval("value < 'yes'"), 1);
}

TEST(cond_eval_errors)
{
    struct nw_cond *c;
    struct nw_err e;

    CHECK_EQ(nw_cond_compile("missing == 1", &c, &e), 0);
    CHECK_EQ(nw_cond_eval(c, facts, sizeof facts - 1, &e), NW_EINVAL);
    CHECK_HAS(e.msg, "no fact 'missing'");
    nw_cond_free(c);
    CHECK_EQ(nw_cond_compile("value < 3", &c, &e), 0);
    CHECK_EQ(nw_cond_eval(c, facts, sizeof facts - 1, &e), NW_EINVAL);
    CHECK_HAS(e.msg, "cannot order a string against a number");
    nw_cond_free(c);
    CHECK_EQ(nw_cond_compile("number", &c, &e), 0);
    CHECK_EQ(nw_cond_eval(c, facts, sizeof facts - 1, &e), NW_EINVAL);
    CHECK_HAS(e.msg, "is not true or false");
    nw_cond_free(c);
    CHECK_EQ(nw_cond_compile("a == 1", &c, &e), 0);
    CHECK_EQ(nw_cond_eval(c, "{\"a\":", 5, &e), NW_EINVAL); /* broken facts */
    nw_cond_free(c);
}

TEST(cond_compile_errors)
{
    static const struct {
        const char *src, *msg;
    } cases[] = {
        {"", "condition is empty"},
        {"a = 1", "column 3: '=' is not an operator; compare with '=='"},
        {"a == ", "column 6: expected a value at the end"},
        {"a == 'x", "column 6: string is not closed"},
        {"(a == 1", "expected ')' at the end"},
        {"a == 1 b", "column 8: expected 'and', 'or' or the end near 'b'"},
        {"a in [1, [2]]", "lists cannot nest"},
        {"a not b", "expected 'in' after 'not'"},
        {"len(1)", "expected a fact name"},
        {"a == 'x\\q'", "unknown escape"},
        {"a $ b", "unexpected character"},
    };
    for (size_t i = 0; i < NW_ARRAY_LEN(cases); i++) {
        struct nw_cond *c = NULL;
        struct nw_err e;
        e.msg[0] = '\0';
        CHECK_EQ(nw_cond_compile(cases[i].src, &c, &e), NW_EFORMAT);
        CHECK(c == NULL);
        CHECK_HAS(e.msg, cases[i].msg);
    }
}

TEST(cond_bounds)
{
    char big[5000];
    struct nw_cond *c;
    struct nw_err e;
    size_t n = 0;

    /* 40 nested parentheses exceed the depth cap of 32 */
    for (int i = 0; i < 40; i++) big[n++] = '(';
    big[n++] = 'a';
    for (int i = 0; i < 40; i++) big[n++] = ')';
    big[n] = '\0';
    CHECK_EQ(nw_cond_compile(big, &c, &e), NW_EFORMAT);
    CHECK_HAS(e.msg, "nested too deeply");
    /* 300 terms exceed the node cap */
    n = 0;
    for (int i = 0; i < 300 && n < sizeof big - 16; i++)
        n += (size_t)snprintf(big + n, 16, "%sa", i ? " or " : "");
    CHECK_EQ(nw_cond_compile(big, &c, &e), NW_EFORMAT);
    CHECK_HAS(e.msg, "too long");
}

static const char good_check[] =
    "id: NW-LOCAL-TEST\n"
    "title: {zh: \"测试\", en: \"Test\"}\n"
    "severity: high\n"
    "category: access-control\n"
    "mode: local\n"
    "probe: file_regex\n"
    "params:\n"
    "  path: [/etc/a, /etc/b]\n"
    "  pattern: \"^x ([0-9]+)\"\n"
    "skip_if: \"not exists\"\n"
    "pass: \"number <= 5\"\n"
    "remediation: {zh: \"改\", en: \"Fix\"}\n"
    "references:\n"
    "  mlps2: [\"8.1.4.1 a\"]\n"
    "  order82: [\"art. 7\"]\n"
    "  csl: [{article: \"art. 21\", effective: \"2017-06-01\"}]\n"
    "profiles: [baseline]\n";

TEST(loader_good)
{
    struct nw_checkset cs;
    struct nw_err e;
    const struct nw_check *c;

    memset(&cs, 0, sizeof cs);
    CHECK_EQ(nw_checkset_load_buf(&cs, "t.yaml", good_check, sizeof good_check - 1, &e), 0);
    CHECK_EQ(cs.n, 1);
    c = nw_checkset_find(&cs, "NW-LOCAL-TEST");
    CHECK(c != NULL);
    CHECK_STR(c->title_zh, "测试");
    CHECK_EQ(c->severity, NW_SEV_HIGH);
    CHECK_EQ(c->mode, NW_CHK_LOCAL);
    CHECK_STR(c->probe->name, "file_regex");
    CHECK_EQ(c->nparams, 2);
    CHECK_EQ(c->params[0].nlist, 2);
    CHECK_STR(c->params[0].list[1], "/etc/b");
    CHECK_STR(c->params[1].value, "^x ([0-9]+)");
    CHECK_STR(c->mlps2[0], "8.1.4.1 a");
    CHECK_EQ(c->ncsl, 1);
    CHECK_STR(c->csl[0].effective, "2017-06-01");
    CHECK(c->skip_cond != NULL);
    /* the same id twice is refused */
    CHECK_EQ(nw_checkset_load_buf(&cs, "u.yaml", good_check, sizeof good_check - 1, &e),
             NW_EFORMAT);
    CHECK_HAS(e.msg, "u.yaml:1: check id 'NW-LOCAL-TEST' is already used by t.yaml");
    CHECK_EQ(cs.n, 1);
    nw_checkset_free(&cs);
}

/* Replace the first occurrence of `from` in good_check by `to`, load, expect msg. */
static int load_variant(const char *from, const char *to, const char *msg)
{
    char buf[4096];
    const char *p = strstr(good_check, from);
    struct nw_checkset cs;
    struct nw_err e;
    int rc, ok;

    if (p == NULL) return 0;
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(p - good_check), good_check, to, p + strlen(from));
    memset(&cs, 0, sizeof cs);
    e.msg[0] = '\0';
    rc = nw_checkset_load_buf(&cs, "v.yaml", buf, strlen(buf), &e);
    ok = rc != 0 && strstr(e.msg, msg) != NULL && cs.n == 0;
    if (!ok) fprintf(stderr, "variant %s -> %s: rc %d msg '%s', wanted '%s'\n", from, to, rc,
                     e.msg, msg);
    nw_checkset_free(&cs);
    return ok;
}

TEST(loader_errors)
{
    CHECK(load_variant("severity: high", "severity: urgent", "v.yaml:3: unknown severity 'urgent'"));
    CHECK(load_variant("probe: file_regex", "probe: nope", "v.yaml:6: unknown probe 'nope'"));
    CHECK(load_variant("  pattern:", "  patern:", "v.yaml:9: probe 'file_regex' has no parameter "
                                                  "'patern'"));
    CHECK(load_variant("  pattern: \"^x ([0-9]+)\"\n", "", "needs parameter 'pattern'"));
    CHECK(load_variant("zh: \"测试\", ", "", "v.yaml:2: title has no zh text"));
    CHECK(load_variant("en: \"Fix\"", "en: \"\"", "remediation.en is empty"));
    CHECK(load_variant("category:", "categroy:", "v.yaml:4: unknown key 'categroy'"));
    CHECK(load_variant("mode: local", "mode: network", "probe 'file_regex' is a local probe but "
                                                       "the check's mode is network"));
    CHECK(load_variant("mode: local", "mode: remote", "unknown mode 'remote'"));
    CHECK(load_variant("id: NW-LOCAL-TEST", "id: nw-lower", "must be 3-64 upper-case"));
    CHECK(load_variant("pass: \"number <= 5\"", "pass: \"number <=\"", "v.yaml:11: pass: "
                                                                       "condition column"));
    CHECK(load_variant("\"2017-06-01\"", "\"2017-13-01\"", "not YYYY-MM-DD"));
    CHECK(load_variant("  order82:", "  order83:", "unknown reference 'order83'"));
    CHECK(load_variant("  mlps2: [\"8.1.4.1 a\"]\n", "", "at least one mlps2 clause"));
    CHECK(load_variant("severity: high\n", "severity: high\nseverity: low\n",
                       "key 'severity' given twice (first on line 3)"));
    CHECK(load_variant("title: {", "title: [", "malformed YAML"));
    CHECK(load_variant("id: NW-LOCAL-TEST\n", "id: NW-LOCAL-TEST\n---\nid: X\n",
                       "v.yaml:3: a second YAML document"));
    CHECK(load_variant("profiles: [baseline]", "profiles: [Base Line]", "must be lower-case"));
    CHECK(load_variant("pass:", "passs:", "unknown key 'passs'"));
    CHECK(load_variant("skip_if: \"not exists\"", "skip_if: \"not\"", "skip_if: condition"));
}

TEST(loader_multi_doc_and_empty)
{
    struct nw_checkset cs;
    struct nw_err e;
    char two[4096];

    memset(&cs, 0, sizeof cs);
    CHECK_EQ(nw_checkset_load_buf(&cs, "e.yaml", "", 0, &e), NW_EFORMAT);
    CHECK_HAS(e.msg, "e.yaml:1: the file is empty");
    snprintf(two, sizeof two, "%s---\na: 1\n", good_check);
    CHECK_EQ(nw_checkset_load_buf(&cs, "d.yaml", two, strlen(two), &e), NW_EFORMAT);
    CHECK_HAS(e.msg, "a second YAML document; one check per file");
    CHECK_EQ(nw_checkset_load_buf(&cs, "s.yaml", "- a\n- b\n", 8, &e), NW_EFORMAT);
    CHECK_HAS(e.msg, "s.yaml:1: a check file is a mapping");
    /* an alias loop is not expanded */
    CHECK_EQ(nw_checkset_load_buf(&cs, "a.yaml", "&x [*x]\n", 8, &e), NW_EFORMAT);
    nw_checkset_free(&cs);
}

TEST(profiles_extend)
{
    struct nw_checkset cs;
    struct nw_err e;
    static const char p1[] = "name: baseline\ntitle: {zh: \"基线\", en: \"Baseline\"}\n";
    static const char p2[] = "name: mlps2-level2\ntitle: {zh: \"二级\", en: \"L2\"}\n"
                             "extends: baseline\nexclude: [NW-LOCAL-TEST]\n";
    static const char p3[] = "name: mlps2-level3\ntitle: {zh: \"三级\", en: \"L3\"}\n"
                             "extends: baseline\n";
    const struct nw_check *c;

    memset(&cs, 0, sizeof cs);
    CHECK_EQ(nw_checkset_load_buf(&cs, "t.yaml", good_check, sizeof good_check - 1, &e), 0);
    CHECK_EQ(nw_checkset_load_profile_buf(&cs, "p1", p1, sizeof p1 - 1, &e), 0);
    CHECK_EQ(nw_checkset_load_profile_buf(&cs, "p2", p2, sizeof p2 - 1, &e), 0);
    CHECK_EQ(nw_checkset_load_profile_buf(&cs, "p3", p3, sizeof p3 - 1, &e), 0);
    CHECK_EQ(nw_checkset_load_profile_buf(&cs, "p4", p1, sizeof p1 - 1, &e), NW_EFORMAT);
    CHECK_HAS(e.msg, "profile 'baseline' is defined twice");
    c = &cs.checks[0];
    CHECK_EQ(nw_checkset_in_profile(&cs, c, "baseline", &e), 1);
    CHECK_EQ(nw_checkset_in_profile(&cs, c, "mlps2-level2", &e), 0); /* excluded */
    CHECK_EQ(nw_checkset_in_profile(&cs, c, "mlps2-level3", &e), 1); /* through extends */
    CHECK_EQ(nw_checkset_in_profile(&cs, c, "nope", &e), NW_ENOENT);
    CHECK_HAS(e.msg, "known: baseline, mlps2-level2, mlps2-level3");
    nw_checkset_free(&cs);
}

TEST(dpkg_version_order)
{
    static const struct {
        const char *a, *b;
        int sign;
    } cases[] = {
        {"1.0", "1.0", 0},          {"1.0", "1.1", -1},       {"1.10", "1.9", 1},
        {"1.0~rc1", "1.0", -1},     {"1:0.9", "2.0", 1},      {"3.0.9-1", "3.0.11-1~deb12u2", -1},
        {"3.0.11-1~deb12u2", "3.0.11-1", -1}, {"1.0-1", "1.0-1+b1", -1}, {"1.0a", "1.0", 1},
        {"2.4.57-2", "2.4.57-2", 0}, {"0:1.2", "1.2", 0},
    };
    for (size_t i = 0; i < NW_ARRAY_LEN(cases); i++) {
        int r = nw__dpkg_vercmp(cases[i].a, cases[i].b);
        int s = r < 0 ? -1 : r > 0;
        if (s != cases[i].sign) fprintf(stderr, "%s vs %s: %d\n", cases[i].a, cases[i].b, r);
        CHECK_EQ(s, cases[i].sign);
        r = nw__dpkg_vercmp(cases[i].b, cases[i].a); /* antisymmetric */
        CHECK_EQ(r < 0 ? -1 : r > 0, -cases[i].sign);
    }
}

static int fake_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    (void)req;
    nw_json_kint(&res->facts, "number", 7);
    nw_json_kbool(&res->facts, "exists", 1);
    nw_probe_evidence(res, "x 7 \"quoted\"");
    return 0;
}

TEST(results_document)
{
    struct nw_checkset cs;
    struct nw_inspect_run run;
    struct nw_err e;
    struct nw_buf b;
    struct nw_probe fake = {"file_regex", NW_CHK_LOCAL, NULL, fake_run, "test"};
    struct nw_json_val v;

    memset(&cs, 0, sizeof cs);
    memset(&run, 0, sizeof run);
    CHECK_EQ(nw_checkset_load_buf(&cs, "t.yaml", good_check, sizeof good_check - 1, &e), 0);
    cs.checks[0].probe = &fake; /* no file system involved */
    run.cs = &cs;
    run.modes = NW_CHK_LOCAL;
    run.set.root = "/nonexistent";
    CHECK_EQ(nw_inspect_run_checks(&run, &e), 0);
    CHECK_EQ(run.nresults, 1);
    CHECK_EQ(run.results[0].verdict, NW_VERDICT_FAIL); /* 7 <= 5 is false */
    CHECK_EQ(run.counts[NW_VERDICT_FAIL], 1);
    nw_buf_init(&b, 0);
    nw_inspect_results_json(&run, &b);
    CHECK(nw_buf_ok(&b));
    CHECK_EQ(nw_json_validate(b.data, b.len, NULL), 0);
    CHECK_EQ(nw_json_get(b.data, b.len, "results.0.facts.number", &v), 1);
    CHECK_EQ(nw_json_get(b.data, b.len, "summary.fail", &v), 1);
    CHECK(v.len == 1 && v.p[0] == '1');
    CHECK_EQ(nw_json_get(b.data, b.len, "schema", &v), 1);
    CHECK(nw_json_str_eq(&v, "netwarden-inspect/1", 19));
    nw_buf_fini(&b);
    nw_inspect_run_fini(&run);
    /* a profile that does not exist stops the run with a message */
    memset(&run, 0, sizeof run);
    run.cs = &cs;
    run.modes = NW_CHK_LOCAL;
    run.profile = "nope";
    CHECK_EQ(nw_inspect_run_checks(&run, &e), NW_ENOENT);
    nw_inspect_run_fini(&run);
    nw_checkset_free(&cs);
}

TEST(alloc_failure_every_step)
{
    /* Fail the Nth allocation for every N the load takes: never a crash or leak. */
    size_t before = nw_alloc_in_use();
    for (uint64_t n = 1; n < 400; n++) {
        struct nw_checkset cs;
        struct nw_err e;
        memset(&cs, 0, sizeof cs);
        nw_alloc_fail_at(n);
        nw_checkset_load_buf(&cs, "t.yaml", good_check, sizeof good_check - 1, &e);
        nw_alloc_fail_at(0);
        nw_checkset_free(&cs);
        CHECK_EQ(nw_alloc_in_use(), before);
    }
}

NW_TEST_MAIN(NWT_ENTRY(cond_values) NWT_ENTRY(cond_eval_errors) NWT_ENTRY(cond_compile_errors)
                 NWT_ENTRY(cond_bounds) NWT_ENTRY(loader_good) NWT_ENTRY(loader_errors)
                 NWT_ENTRY(loader_multi_doc_and_empty) NWT_ENTRY(profiles_extend)
                 NWT_ENTRY(dpkg_version_order) NWT_ENTRY(results_document)
                 NWT_ENTRY(alloc_failure_every_step))
