/*
 * test_report.c - the report model (src/report/model.c) and the renderers
 * built on it: loading a results document, recomputed counts, categories,
 * asset kinds from open ports and web targets, the comparison (--compare),
 * damaged documents refused with a message, the Markdown and HTML outputs
 * carrying the section headings in both languages and escaping hostile
 * evidence, and allocation failure at every step.
 */
#include "nw/report.h"

#include <stdio.h>
#include <string.h>

#include "nw/inspect.h"
#include "nwtest.h"

/* A small results document: a local host, three network targets, a website. */
static const char doc1[] =
    "{\"schema\":\"netwarden-inspect/1\",\"run\":{\"id\":\"20261101T000000.000000Z\","
    "\"started\":\"2026-11-01T08:00:00.000000+08:00\",\"finished\":\"2026-11-01T08:01:00.000000+08:00\","
    "\"profile\":\"mlps2-level3\",\"modes\":[\"local\",\"network\",\"audit-self\"],\"root\":\"/\","
    "\"targets\":[{\"host\":\"10.0.0.5\",\"address\":\"10.0.0.5\",\"scanned\":true,\"open_ports\":[22,80,3306]},"
    "{\"host\":\"sw1\",\"address\":\"10.0.0.1\",\"scanned\":true,\"open_ports\":[23,80]},"
    "{\"host\":\"pc7\",\"address\":\"10.0.0.7\",\"scanned\":true,\"open_ports\":[135,445,3389]},"
    "{\"host\":\"10.0.0.9\",\"address\":\"10.0.0.9\",\"scanned\":false,\"error\":\"no route\"}],"
    "\"refused_targets\":[\"192.0.2.1: outside the scope\"],\"selection\":\"s1\",\"host\":\"gw\","
    "\"netwarden_version\":\"0.1.0\"},"
    "\"summary\":{\"checks\":99,\"fail\":99},"
    "\"results\":["
    "{\"id\":\"NW-A\",\"title\":{\"zh\":\"甲\",\"en\":\"A <b>\"},\"severity\":\"critical\",\"category\":\"identification\","
    "\"mode\":\"local\",\"target\":null,\"verdict\":\"fail\",\"status\":\"new\",\"evidence\":\"x | <script>\","
    "\"remediation\":{\"zh\":\"改\",\"en\":\"fix\"},\"references\":{\"mlps2\":[\"8.1.4.1 a\"],\"order82\":[\"art. 7\"],"
    "\"csl\":[{\"article\":\"art. 21(2)\",\"effective\":\"2017-06-01\"}]}},"
    "{\"id\":\"NW-B\",\"title\":{\"zh\":\"乙\",\"en\":\"B\"},\"severity\":\"high\",\"category\":\"audit\","
    "\"mode\":\"local\",\"target\":null,\"verdict\":\"pass\",\"evidence\":\"\",\"remediation\":{\"zh\":\"\",\"en\":\"\"},"
    "\"references\":{\"mlps2\":[\"8.1.4.3 a\"]}},"
    "{\"id\":\"NW-N\",\"title\":{\"zh\":\"丙\",\"en\":\"C\"},\"severity\":\"medium\",\"category\":\"confidentiality\","
    "\"mode\":\"network\",\"target\":\"10.0.0.5\",\"verdict\":\"fail\",\"status\":\"still_open\",\"evidence\":\"tls1.0\","
    "\"remediation\":{\"zh\":\"改\",\"en\":\"fix\"},\"references\":{\"mlps2\":[\"8.1.4.7 a\"]}},"
    "{\"id\":\"NW-N\",\"title\":{\"zh\":\"丙\",\"en\":\"C\"},\"severity\":\"medium\",\"category\":\"confidentiality\","
    "\"mode\":\"network\",\"target\":\"sw1\",\"verdict\":\"error\",\"reason\":\"timeout\",\"evidence\":\"\","
    "\"remediation\":{\"zh\":\"改\",\"en\":\"fix\"},\"references\":{\"mlps2\":[\"8.1.4.7 a\"]}},"
    "{\"id\":\"NW-W\",\"title\":{\"zh\":\"网\",\"en\":\"W\"},\"severity\":\"high\",\"category\":\"web\","
    "\"mode\":\"web\",\"target\":\"https://www.example.test/\",\"verdict\":\"fail\",\"evidence\":\"hidden link\","
    "\"remediation\":{\"zh\":\"改\",\"en\":\"fix\"},\"references\":{\"mlps2\":[\"8.1.4.4 a\"]}},"
    "{\"id\":\"NW-S\",\"title\":{\"zh\":\"丁\",\"en\":\"D\"},\"severity\":\"low\",\"category\":\"audit\","
    "\"mode\":\"audit-self\",\"target\":null,\"verdict\":\"skip\",\"reason\":\"no store\",\"evidence\":\"\","
    "\"remediation\":{\"zh\":\"改\",\"en\":\"fix\"},\"references\":{\"mlps2\":[\"8.1.4.3 c\"]}}"
    "],\"comparison\":{\"previous\":\"20261001T000000.000000Z\",\"new\":1,\"still_open\":1,\"fixed\":1,"
    "\"fixed_findings\":[{\"id\":\"NW-B\",\"target\":null,\"title\":{\"zh\":\"乙\",\"en\":\"B\"},\"severity\":\"high\"}]}}\n";

/* An earlier run: NW-B failed (now passes: fixed), NW-N on 10.0.0.5 failed (still open). */
static const char doc0[] =
    "{\"schema\":\"netwarden-inspect/1\",\"run\":{\"id\":\"20261001T000000.000000Z\",\"selection\":\"s1\"},"
    "\"results\":["
    "{\"id\":\"NW-B\",\"title\":{\"zh\":\"乙\",\"en\":\"B\"},\"severity\":\"high\",\"category\":\"audit\","
    "\"mode\":\"local\",\"target\":null,\"verdict\":\"fail\"},"
    "{\"id\":\"NW-N\",\"title\":{\"zh\":\"丙\",\"en\":\"C\"},\"severity\":\"medium\",\"category\":\"x\","
    "\"mode\":\"network\",\"target\":\"10.0.0.5\",\"verdict\":\"fail\"},"
    "{\"id\":\"NW-S\",\"title\":{\"zh\":\"丁\",\"en\":\"D\"},\"severity\":\"low\",\"category\":\"audit\","
    "\"mode\":\"audit-self\",\"target\":null,\"verdict\":\"fail\"}]}";

static int load(struct nw_report *m, const char *text, struct nw_err *err)
{
    memset(m, 0, sizeof *m);
    err->msg[0] = '\0';
    return nw_report_load_buf(m, "t.json", text, strlen(text), err);
}

TEST(counts_recomputed)
{
    struct nw_report m;
    struct nw_err err;
    CHECK_EQ(load(&m, doc1, &err), 0);
    CHECK_EQ(m.nitems, 6);
    CHECK_EQ(m.counts[NW_VERDICT_FAIL], 3); /* not the summary's 99 */
    CHECK_EQ(m.counts[NW_VERDICT_PASS], 1);
    CHECK_EQ(m.counts[NW_VERDICT_SKIP], 1);
    CHECK_EQ(m.counts[NW_VERDICT_ERROR], 1);
    CHECK_EQ(m.fail_sev[NW_SEV_CRITICAL], 1);
    CHECK_EQ(m.fail_sev[NW_SEV_HIGH], 1);
    CHECK_EQ(m.fail_sev[NW_SEV_MEDIUM], 1);
    CHECK_STR(m.profile, "mlps2-level3");
    CHECK(m.has_local && m.has_network && m.has_self && m.has_web);
    CHECK_EQ(m.nrefused, 1);
    CHECK_STR(m.items[0].csl, "art. 21(2) [2017-06-01]");
    CHECK_STR(m.items[0].title[NW_LANG_EN], "A <b>");
    CHECK(m.items[0].target == NULL);
    CHECK_STR(m.items[2].target, "10.0.0.5");
    /* categories: most fails (and worst) first */
    CHECK_STR(m.cats[0].name, "identification");
    CHECK_EQ(m.cats[0].fail_sev[NW_SEV_CRITICAL], 1);
    nw_report_free(&m);
}

TEST(assets_by_kind)
{
    struct nw_report m;
    struct nw_err err;
    CHECK_EQ(load(&m, doc1, &err), 0);
    /* gw (local), 10.0.0.5 server, sw1 netdev (telnet+web only), pc7 client, 10.0.0.9 server
     * (not scanned), the website from the web result */
    CHECK_EQ(m.nassets, 6);
    CHECK_EQ(m.asset_count[NW_ASSET_SERVER], 3);
    CHECK_EQ(m.asset_count[NW_ASSET_NETDEV], 1);
    CHECK_EQ(m.asset_count[NW_ASSET_CLIENT], 1);
    CHECK_EQ(m.asset_count[NW_ASSET_WEBSITE], 1);
    CHECK_STR(m.assets[0].name, "gw");
    CHECK_STR(m.assets[0].root, "/");
    CHECK_EQ(m.assets[0].findings, 1);
    CHECK_STR(m.assets[1].ports, "22, 80, 3306");
    CHECK_EQ(m.assets[1].findings, 1);
    CHECK_STR(m.assets[4].error, "no route");
    CHECK_STR(m.assets[5].name, "https://www.example.test/");
    CHECK_EQ(m.assets[5].findings, 1);
    nw_report_free(&m);
}

TEST(comparison_carried_and_recomputed)
{
    struct nw_report m;
    struct nw_err err;
    CHECK_EQ(load(&m, doc1, &err), 0);
    CHECK_STR(m.prev_id, "20261001T000000.000000Z");
    CHECK_EQ(m.n_fixed, 1);
    CHECK_EQ(m.n_new, 2);   /* NW-A new, NW-W has no status: counted new */
    CHECK_EQ(m.n_still, 1);
    CHECK_EQ(nw_report_compare_buf(&m, "p.json", doc0, strlen(doc0), &err), 0);
    CHECK_STR(m.prev_id, "20261001T000000.000000Z");
    CHECK_EQ(m.n_fixed, 1); /* NW-B passes now; NW-S is skipped now: not fixed */
    CHECK_STR(m.fixed[0].id, "NW-B");
    CHECK_EQ(m.n_still, 1); /* NW-N @ 10.0.0.5 */
    CHECK_EQ(m.n_new, 2);
    CHECK_EQ(m.items[2].status, NW_CMP_STILL_OPEN);
    CHECK_EQ(m.items[0].status, NW_CMP_NEW);
    nw_report_free(&m);
}

TEST(damaged_documents_refused)
{
    static const char *const bad[] = {
        "", "{", "[]", "{\"schema\":\"other/1\",\"run\":{\"id\":\"x\"},\"results\":[]}",
        "{\"schema\":\"netwarden-inspect/1\",\"results\":[]}",
        "{\"schema\":\"netwarden-inspect/1\",\"run\":{\"id\":\"x\"}}",
        "{\"schema\":\"netwarden-inspect/1\",\"run\":{\"id\":\"x\"},\"results\":[1]}",
        "{\"schema\":\"netwarden-inspect/1\",\"run\":{\"id\":\"x\"},\"results\":[{\"id\":\"A\",\"verdict\":\"maybe\"}]}",
        "{\"schema\":\"netwarden-inspect/1\",\"run\":{\"id\":\"x\"},\"results\":[{\"verdict\":\"fail\"}]}",
        "{\"schema\":\"netwarden-inspect/1\",\"run\":{\"id\":\"\"},\"results\":[]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct nw_report m;
        struct nw_err err;
        int rc = load(&m, bad[i], &err);
        if (rc != NW_EFORMAT) fprintf(stderr, "case %zu: rc %d\n", i, rc);
        CHECK_EQ(rc, NW_EFORMAT);
        CHECK_HAS(err.msg, "t.json: not a usable netwarden inspection results document");
        nw_report_free(&m);
    }
    {
        struct nw_report m;
        struct nw_err err;
        char trunc[sizeof doc1];
        memcpy(trunc, doc1, sizeof doc1);
        trunc[sizeof doc1 / 2] = '\0';
        CHECK_EQ(load(&m, trunc, &err), NW_EFORMAT);
        CHECK_HAS(err.msg, "not valid JSON (byte");
        nw_report_free(&m);
    }
}

TEST(markdown_and_html)
{
    struct nw_report m;
    struct nw_err err;
    struct nw_buf b;
    CHECK_EQ(load(&m, doc1, &err), 0);
    m.unit_name = "测试单位";
    m.unit_code = m.unit_leader = m.unit_contact = "";
    nw_buf_init(&b, 0);
    CHECK_EQ(nw_report_md(&m, NW_LANG_ZH, &b), 0);
    nw_buf_putc(&b, '\0');
    CHECK_HAS(b.data, "## 一、基本情况");
    CHECK_HAS(b.data, "## 二、自查工作开展情况");
    CHECK_HAS(b.data, "## 三、发现的主要问题和风险分析");
    CHECK_HAS(b.data, "## 四、整改措施及成效");
    CHECK_HAS(b.data, "## 五、意见和建议");
    CHECK_HAS(b.data, "## 附录一  检查清单");
    CHECK_HAS(b.data, "本次自查共发现问题 3 项，其中严重 1 项、高危 1 项、中危 1 项");
    CHECK_HAS(b.data, "服务器 3 台、终端 1 台、网络设备 1 台、网站 1 个");
    CHECK_HAS(b.data, "x \\| &lt;script&gt;"); /* evidence escaped in a table cell */
    CHECK_HAS(b.data, "测试单位");
    CHECK(strstr(b.data, "六、审计系统运行情况") == NULL); /* no store in the model */
    nw_buf_reset(&b);
    CHECK_EQ(nw_report_md(&m, NW_LANG_EN, &b), 0);
    nw_buf_putc(&b, '\0');
    CHECK_HAS(b.data, "## 1. Basic information");
    CHECK_HAS(b.data, "## 5. Opinions and suggestions");
    CHECK_HAS(b.data, "The inspection found 3 problems: 1 critical, 1 high, 1 medium");
    CHECK_HAS(b.data, "Compared with the previous inspection (20261001T000000.000000Z");
    nw_buf_reset(&b);
    CHECK_EQ(nw_report_html(&m, NW_LANG_EN, &b), 0);
    nw_buf_putc(&b, '\0');
    CHECK_HAS(b.data, "<!DOCTYPE html>");
    CHECK_HAS(b.data, "A &lt;b&gt;");
    CHECK(strstr(b.data, "<script>") == NULL);
    CHECK(strstr(b.data, "http://") == NULL && strstr(b.data, "<link") == NULL);
    CHECK_HAS(b.data, "<svg ");
    nw_buf_fini(&b);
    nw_report_free(&m);
}

TEST(alloc_failure_every_step)
{
    /* fail the nth allocation for every n: never a crash or a leak (ASan) */
    for (uint64_t n = 1; n < 400; n++) {
        struct nw_report m;
        struct nw_err err;
        struct nw_buf b;
        int rc;
        memset(&m, 0, sizeof m);
        nw_buf_init(&b, 0);
        nw_alloc_fail_at(n);
        rc = nw_report_load_buf(&m, "t.json", doc1, strlen(doc1), &err);
        if (rc == 0) rc = nw_report_compare_buf(&m, "p.json", doc0, strlen(doc0), &err);
        if (rc == 0) {
            m.unit_name = m.unit_code = m.unit_leader = m.unit_contact = "";
            rc = nw_report_md(&m, NW_LANG_ZH, &b);
        }
        if (rc == 0) rc = nw_report_html(&m, NW_LANG_EN, &b);
        nw_alloc_fail_at(0);
        CHECK(rc == 0 || rc == NW_ENOMEM);
        nw_buf_fini(&b);
        nw_report_free(&m);
    }
}

/* A PDF whose output buffer fills up: NW_ENOMEM, not an abort. The write error
 * handed back to cairo made its PDF surface assert while finishing (report --format
 * pdf under NW_FAIL_ALLOC=292, tests/e2e/alloc_fail.sh). */
TEST(pdf_output_fails)
{
    struct nw_report m;
    struct nw_err err;
    struct nw_buf all;

    memset(&m, 0, sizeof m);
    CHECK_EQ(nw_report_load_buf(&m, "t.json", doc1, strlen(doc1), &err), 0);
    m.unit_name = m.unit_code = m.unit_leader = m.unit_contact = "";
    nw_buf_init(&all, 0);
    CHECK_EQ(nw_report_pdf(&m, NW_LANG_ZH, &all, &err), 0);
    /* each size the buffer grows through, short of the whole PDF */
    for (size_t cap = 256; cap < all.len; cap *= 2) {
        struct nw_buf b;
        int rc;
        nw_buf_init(&b, cap); /* past max the buffer fails, as when realloc does */
        rc = nw_report_pdf(&m, NW_LANG_ZH, &b, &err);
        nw_buf_fini(&b);
        CHECK_EQ(rc, NW_ENOMEM);
    }
    nw_buf_fini(&all);
    nw_report_free(&m);
}

NW_TEST_MAIN(NWT_ENTRY(counts_recomputed) NWT_ENTRY(assets_by_kind) NWT_ENTRY(comparison_carried_and_recomputed)
             NWT_ENTRY(damaged_documents_refused) NWT_ENTRY(markdown_and_html) NWT_ENTRY(alloc_failure_every_step)
             NWT_ENTRY(pdf_output_fails))
