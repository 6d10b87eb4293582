/* test_query.c - query filters: time expressions, CIDR, MAC, options, exact match, index keys. */
#include "nw/query.h"
#include "nw/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/query/query_int.h"
#include "nwtest.h"

/* 2026-09-03T06:05:00Z, a Thursday */
#define T0 1788415500000000ull

static void utc8(void)
{
    setenv("TZ", "Asia/Shanghai", 1);
}

TEST(time_forms)
{
    struct nw_err e;
    uint64_t t;
    utc8();
    CHECK_EQ(nw_query_parse_time("2026-09-03T14:05:00+08:00", 0, &t, &e), 0);
    CHECK_EQ(t, T0);
    CHECK_EQ(nw_query_parse_time("2026-09-03T06:05:00Z", 0, &t, &e), 0);
    CHECK_EQ(t, T0);
    CHECK_EQ(nw_query_parse_time("2026-09-03t06:05:00.25z", 0, &t, &e), 0);
    CHECK_EQ(t, T0 + 250000);
    CHECK_EQ(nw_query_parse_time("2026-09-03T06:05:00.1234567-00:00", 0, &t, &e), 0);
    CHECK_EQ(t, T0 + 123456);
    CHECK_EQ(nw_query_parse_time("2026-09-03 14:05", 0, &t, &e), 0); /* local, +08:00 */
    CHECK_EQ(t, T0);
    CHECK_EQ(nw_query_parse_time("2026-09-03 14:05:07", 0, &t, &e), 0);
    CHECK_EQ(t, T0 + 7000000);
    CHECK_EQ(nw_query_parse_time("2026-09-03T14:05", 0, &t, &e), 0);
    CHECK_EQ(t, T0);
    CHECK_EQ(nw_query_parse_time("2026-09-03", 0, &t, &e), 0);
    CHECK_EQ(t, T0 - (14 * 3600 + 5 * 60) * 1000000ull);
    CHECK_EQ(nw_query_parse_time("now", T0, &t, &e), 0);
    CHECK_EQ(t, T0);
    CHECK_EQ(nw_query_parse_time("-2h", T0, &t, &e), 0);
    CHECK_EQ(t, T0 - 7200000000ull);
    CHECK_EQ(nw_query_parse_time("-90s", T0, &t, &e), 0);
    CHECK_EQ(t, T0 - 90000000ull);
    CHECK_EQ(nw_query_parse_time("-1w", T0, &t, &e), 0);
    CHECK_EQ(t, T0 - 7 * 86400000000ull);
    CHECK_EQ(nw_query_parse_time("today", T0, &t, &e), 0);
    CHECK_EQ(t, T0 - (14 * 3600 + 5 * 60) * 1000000ull);
    CHECK_EQ(nw_query_parse_time("yesterday", T0, &t, &e), 0);
    CHECK_EQ(t, T0 - (14 * 3600 + 5 * 60 + 86400) * 1000000ull);
    CHECK_EQ(nw_query_parse_time("@1788415500", 0, &t, &e), 0);
    CHECK_EQ(t, T0);
    CHECK_EQ(nw_query_parse_time("-9999999999d", T0, &t, &e), 0); /* clamps at the epoch */
    CHECK_EQ(t, 0);
}

TEST(time_rejects)
{
    static const char *const bad[] = {"", "2026-9-3", "2026-02-30", "2026-09-03 25:00",
                                      "2026-09-03T14:05:00+8", "2026-09-03 14", "yesterday ",
                                      "-2x", "-h", "2h", "@", "@99999999999999", "1969-12-31",
                                      "2026-09-03T14:05:00.Z", "2026-09-03T14:05:00+08:00x",
                                      "tomorrow", "2026-09-03T14:05:00.1234567890Z"};
    struct nw_err e;
    uint64_t t;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e.msg[0] = '\0';
        if (nw_query_parse_time(bad[i], T0, &t, &e) != NW_EINVAL) {
            fprintf(stderr, "accepted '%s'\n", bad[i]);
            CHECK(0);
        }
        CHECK_HAS(e.msg, "accepted: RFC 3339");
    }
}

TEST(nets)
{
    struct nw_query_net n;
    struct nw_err e;
    CHECK_EQ(nw_query_parse_net("10.1.2.3", &n, &e), 0);
    CHECK_EQ(n.family, 4);
    CHECK_EQ(n.prefix, 32);
    CHECK_STR(n.text, "10.1.2.3");
    CHECK_EQ(nw_query_parse_net("10.1.0.0/16", &n, &e), 0);
    CHECK_EQ(n.prefix, 16);
    CHECK_STR(n.text, "10.1.0.0/16");
    CHECK_EQ(nw_query_parse_net("2001:DB8:0::1", &n, &e), 0);
    CHECK_STR(n.text, "2001:db8::1");
    CHECK_EQ(nw_query_parse_net("2001:db8::/32", &n, &e), 0);
    CHECK_EQ(n.family, 6);
    CHECK_EQ(nw_query_parse_net("10.1.2.3/16", &n, &e), NW_EINVAL);
    CHECK_HAS(e.msg, "host bits");
    CHECK_EQ(nw_query_parse_net("10.1.2.3/33", &n, &e), NW_EINVAL);
    CHECK_HAS(e.msg, "CIDR");
    CHECK_EQ(nw_query_parse_net("10.1.2", &n, &e), NW_EINVAL);
    CHECK_EQ(nw_query_parse_net("10.1.2.3/", &n, &e), NW_EINVAL);
    CHECK_EQ(nw_query_parse_net("/8", &n, &e), NW_EINVAL);
    CHECK_EQ(nw_query_parse_net("0.0.0.0/0", &n, &e), 0);
    CHECK_EQ(n.prefix, 0);
}

TEST(macs)
{
    char m[18];
    struct nw_err e;
    CHECK_EQ(nw_query_parse_mac("AA-bb-CC-dd-EE-01", m, &e), 0);
    CHECK_STR(m, "aa:bb:cc:dd:ee:01");
    CHECK_EQ(nw_query_parse_mac("aa:bb-cc:dd:ee:01", m, &e), NW_EINVAL);
    CHECK_EQ(nw_query_parse_mac("aa:bb:cc:dd:ee", m, &e), NW_EINVAL);
    CHECK_HAS(e.msg, "aa:bb:cc:dd:ee:ff");
}

TEST(options)
{
    struct nw_query q;
    struct nw_err e;
    char *argv[] = {"--type", "dns,http", "--type=dns", "--domain", "*.Example.COM.",
                    "--limit", "5", "--format=csv", "--since", "2026-09-03",
                    "--until", "2026-09-04"};
    nw_query_init(&q);
    CHECK_EQ(nw_query_parse_args(&q, 12, argv, T0, &e), 0);
    CHECK_EQ(q.ntypes, 2);
    CHECK_STR(q.domain, "example.com");
    CHECK_EQ(q.limit, 5);
    CHECK_EQ(q.format, NW_QUERY_FMT_CSV);
    CHECK_EQ(q.until_us - q.since_us, 86400000000ull);
    {
        char *bad[] = {"--since", "2026-09-04", "--until", "2026-09-03"};
        nw_query_init(&q);
        CHECK_EQ(nw_query_parse_args(&q, 4, bad, T0, &e), NW_EINVAL);
        CHECK_HAS(e.msg, "is not before");
    }
    {
        char *bad[] = {"--colour", "red"};
        nw_query_init(&q);
        CHECK_EQ(nw_query_parse_args(&q, 2, bad, T0, &e), NW_EINVAL);
        CHECK_HAS(e.msg, "unknown filter '--colour'");
    }
    nw_query_init(&q);
    CHECK_EQ(nw_query_set(&q, "limit", "0", T0, &e), NW_EINVAL);
    CHECK_EQ(nw_query_set(&q, "type", "DNS", T0, &e), NW_EINVAL);
    CHECK_EQ(nw_query_set(&q, "format", "xml", T0, &e), NW_EINVAL);
    CHECK_HAS(e.msg, "json, table or csv");
    CHECK_EQ(nw_query_set(&q, "since", "last tuesday", T0, &e), NW_EINVAL);
    CHECK_HAS(e.msg, "--since: bad time 'last tuesday'; accepted:");
    CHECK_EQ(nw_query_set(&q, "store", "x", T0, &e), NW_ENOENT);
    CHECK_EQ(nw_query_set(&q, "user", "", T0, &e), NW_EINVAL);
}

#define LINE(s) s, sizeof(s) - 1

static const char rec_http[] =
    "{\"timestamp\":\"2026-09-03T14:05:00.000000+08:00\",\"flow_id\":1,\"event_type\":\"http\","
    "\"src_ip\":\"10.1.2.3\",\"src_port\":5000,\"dest_ip\":\"2001:db8::80\",\"dest_port\":80,"
    "\"proto\":\"TCP\",\"http\":{\"hostname\":\"www.Example.com\",\"url\":\"/login?next=%2F\","
    "\"http_method\":\"GET\",\"status\":200},"
    "\"user\":{\"ip\":\"10.1.2.3\",\"account\":\"alice\",\"mac\":\"02:00:00:00:01:23\","
    "\"calling_station\":\"13800138000\",\"source\":\"radius\"}}";
static const char rec_dns[] =
    "{\"timestamp\":\"2026-09-03T14:06:00.000000+08:00\",\"event_type\":\"dns\","
    "\"src_ip\":\"10.9.9.9\",\"dest_ip\":\"10.0.0.53\",\"dns\":{\"type\":\"response\","
    "\"queries\":[{\"rrname\":\"a.b.example.org.\",\"rrtype\":\"A\"}],"
    "\"answers\":[{\"rrname\":\"cdn.example.net\",\"rrtype\":\"A\",\"rdata\":\"1.2.3.4\"}]}}";
static const char rec_esc[] =
    "{\"timestamp\":\"2026-09-03T14:07:00.000000+08:00\",\"event_type\":\"login\","
    "\"src_ip\":\"10.1.2.4\",\"dest_ip\":\"10.0.0.25\",\"login\":{\"username\":\"b\\u00f6b\\\"x\"}}";

static int m(const char *opt, const char *val, const char *line, size_t len)
{
    struct nw_query q;
    struct nw_err e;
    nw_query_init(&q);
    if (nw_query_set(&q, opt, val, T0, &e) != 0) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    return nw_query_match(&q, line, len);
}

TEST(match_filters)
{
    utc8();
    CHECK_EQ(m("ip", "10.1.2.3", LINE(rec_http)), 1);
    CHECK_EQ(m("ip", "10.1.0.0/16", LINE(rec_http)), 1);
    CHECK_EQ(m("ip", "10.2.0.0/16", LINE(rec_http)), 0);
    CHECK_EQ(m("ip", "2001:db8:0:0:0:0:0:80", LINE(rec_http)), 1);
    CHECK_EQ(m("ip", "2001:db8::/127", LINE(rec_http)), 0);
    CHECK_EQ(m("ip", "2001:db8::80/128", LINE(rec_http)), 1);
    CHECK_EQ(m("mac", "02-00-00-00-01-23", LINE(rec_http)), 1);
    CHECK_EQ(m("user", "alice", LINE(rec_http)), 1);
    CHECK_EQ(m("user", "Alice", LINE(rec_http)), 0);
    CHECK_EQ(m("calling", "13800138000", LINE(rec_http)), 1);
    CHECK_EQ(m("domain", "example.com", LINE(rec_http)), 1);
    CHECK_EQ(m("domain", "ample.com", LINE(rec_http)), 0);
    CHECK_EQ(m("domain", "www.example.com", LINE(rec_http)), 1);
    CHECK_EQ(m("url", "login?next", LINE(rec_http)), 1);
    CHECK_EQ(m("url", "Login", LINE(rec_http)), 0);
    CHECK_EQ(m("type", "dns,http", LINE(rec_http)), 1);
    CHECK_EQ(m("type", "dns", LINE(rec_http)), 0);
    CHECK_EQ(m("since", "2026-09-03 14:05", LINE(rec_http)), 1);
    CHECK_EQ(m("until", "2026-09-03 14:05", LINE(rec_http)), 0);
    CHECK_EQ(m("domain", "b.example.org", LINE(rec_dns)), 1);
    CHECK_EQ(m("domain", "example.net", LINE(rec_dns)), 1);
    CHECK_EQ(m("domain", "org", LINE(rec_dns)), 1);
    CHECK_EQ(m("domain", "example.com", LINE(rec_dns)), 0);
    CHECK_EQ(m("user", "b\xc3\xb6" "b\"x", LINE(rec_esc)), 1);
    CHECK_EQ(m("user", "b\xc3\xb6" "b", LINE(rec_esc)), 0);
    CHECK_EQ(m("ip", "10.1.2.3", LINE("{\"src_ip\":\"10.1.2.3\"")), 0); /* broken line */
    CHECK_EQ(m("type", "dns", LINE("")), 0);
}

TEST(keys)
{
    struct nw_query q;
    struct nw_query_keys k;
    struct nw_err e;
    nw_query_init(&q);
    CHECK_EQ(nw_query_set(&q, "ip", "10.1.16.0/20", T0, &e), 0);
    CHECK_EQ(nw_query_set(&q, "domain", "Example.com", T0, &e), 0);
    CHECK_EQ(nw_query_set(&q, "url", "/x", T0, &e), 0);
    CHECK_EQ(nw_query_set(&q, "type", "http,dns", T0, &e), 0);
    CHECK_EQ(nw_query_keys_build(&q, &k), 0);
    CHECK_EQ(k.ngroups, 4);
    CHECK_STR(k.groups[0][0], "type:http");
    CHECK_STR(k.groups[0][1], "type:dns");
    CHECK(k.groups[0][2] == NULL);
    CHECK_STR(k.groups[1][0], "ip4/24:10.1.16");
    CHECK_STR(k.groups[1][15], "ip4/24:10.1.31");
    CHECK(k.groups[1][16] == NULL);
    CHECK_STR(k.groups[2][0], "dom:example.com");
    CHECK_STR(k.groups[3][0], "type:http");
    nw_query_keys_free(&k);

    nw_query_init(&q);
    CHECK_EQ(nw_query_set(&q, "ip", "2001:db8:0:100::/56", T0, &e), 0);
    CHECK_EQ(nw_query_set(&q, "domain", "com", T0, &e), 0);
    CHECK_EQ(nw_query_keys_build(&q, &k), 0);
    CHECK_EQ(k.ngroups, 1);
    CHECK_STR(k.groups[0][0], "ip6/64:2001:db8:0:100");
    CHECK_STR(k.groups[0][255], "ip6/64:2001:db8:0:1ff");
    nw_query_keys_free(&k);

    nw_query_init(&q);
    CHECK_EQ(nw_query_set(&q, "ip", "10.0.0.0/4", T0, &e), NW_EINVAL); /* host bits */
    CHECK_EQ(nw_query_set(&q, "ip", "0.0.0.0/4", T0, &e), 0);
    CHECK_EQ(nw_query_set(&q, "user", "alice", T0, &e), 0);
    CHECK_EQ(nw_query_keys_build(&q, &k), 0);
    CHECK_EQ(k.ngroups, 1);
    CHECK_STR(k.groups[0][0], "user:alice");
    nw_query_keys_free(&k);
}


/* ----------------------------------------------- store scan prefilter -- */

static uint64_t pf_clock(void *arg)
{
    (void)arg;
    return 1768003200ull * 1000000 + 5 * 86400000000ull; /* 5 days after the records */
}

struct pf_collect {
    int n, bad;
    unsigned char seen[3000];
};

static int pf_on_rec(void *arg, const char *line, size_t len, uint64_t ts)
{
    struct pf_collect *c = arg;
    const char *p = memmem(line, len, "\"n\":", 4);
    int i = p ? atoi(p + 4) : -1; /* checksrc: test */

    (void)ts;
    if (i < 0 || i >= 3000 || c->seen[i]) c->bad++;
    else c->seen[i] = 1;
    c->n++;
    return 0;
}

/*
 * must_contain over the scan's parallel loading and SIMD search: random
 * records (3,000, small blocks, 1 and 2 threads) with the needle and
 * backslashes at random places — at a record's start and end, right after a
 * block boundary, overlapping the anchor positions — must hand over every
 * record that holds the needle or a backslash, in order, once each.
 */
TEST(scan_prefilter_random)
{
    static const char *needles[] = {"report-7f3a9c", "ab", "zq9", "/x/y.pdf?id=1"};
    char tmpl[64], dir[80], rec[700], cmd[128];
    unsigned seed = 12345;
    unsigned char want[3000];

    snprintf(tmpl, sizeof tmpl, "/tmp/nwqpfXXXXXX");
    CHECK(mkdtemp(tmpl) != NULL);
    for (size_t ni = 0; ni < sizeof needles / sizeof *needles; ni++) {
        const char *nd = needles[ni];
        struct nw_store_opts o;
        struct nw_store *s;
        struct nw_err err;
        snprintf(dir, sizeof dir, "%s/s%zu", tmpl, ni);
        nw_store_opts_defaults(&o);
        o.block_bytes = 4096 + 1024 * (uint32_t)ni;
        o.fsync = NW_STORE_FSYNC_NEVER;
        o.quiet = 1;
        o.clock = pf_clock;
        CHECK_EQ(nw_store_open(&s, dir, &o, &err), 0);
        memset(want, 0, sizeof want);
        for (int i = 0; i < 3000; i++) {
            char pad[400];
            size_t pl = (seed = seed * 1103515245u + 12345u) >> 16 & 255, k;
            int kind = (int)((seed >> 8) % 9), n;
            for (k = 0; k < pl; k++) pad[k] = (char)('a' + (seed = seed * 1103515245u + 12345u) % 26);
            pad[pl] = '\0';
            switch (kind) {
            case 0: n = snprintf(rec, sizeof rec, "{\"timestamp\":\"2026-01-10T00:00:%02d.%06d+00:00\",\"u\":\"%s%s\",\"n\":%d}", i % 60, i, nd, pad, i); want[i] = 1; break;
            case 1: n = snprintf(rec, sizeof rec, "{\"timestamp\":\"2026-01-10T00:00:%02d.%06d+00:00\",\"u\":\"%s%s\",\"n\":%d}", i % 60, i, pad, nd, i); want[i] = 1; break;
            case 2: n = snprintf(rec, sizeof rec, "{\"timestamp\":\"2026-01-10T00:00:%02d.%06d+00:00\",\"u\":\"\\\\%s\",\"n\":%d}", i % 60, i, pad, i); want[i] = 1; break;
            case 3: n = snprintf(rec, sizeof rec, "{\"timestamp\":\"2026-01-10T00:00:%02d.%06d+00:00\",\"u\":\"%s\\\"\",\"n\":%d}", i % 60, i, pad, i); want[i] = 1; break;
            case 4: n = snprintf(rec, sizeof rec, "{\"timestamp\":\"2026-01-10T00:00:%02d.%06d+00:00\",\"u\":\"%.*s\",\"n\":%d}", i % 60, i, (int)strlen(nd) - 1, nd, i); break; /* a prefix only */
            default: n = snprintf(rec, sizeof rec, "{\"timestamp\":\"2026-01-10T00:00:%02d.%06d+00:00\",\"u\":\"%s\",\"n\":%d}", i % 60, i, pad, i); break;
            }
            if (!want[i] && strstr(rec, nd) != NULL) want[i] = 1; /* random pad made it */
            CHECK_EQ(nw_store_append(s, rec, (size_t)n, &err), 0);
        }
        CHECK_EQ(nw_store_close(s, &err), 0);
        for (int thr = 1; thr <= 2; thr++) {
            struct nw_store_scan q;
            struct nw_store_scan_stats st;
            struct pf_collect *c = calloc(1, sizeof *c); /* checksrc: test */
            int missing = 0;
            CHECK(c != NULL);
            setenv("NW_STORE_SCAN_THREADS", thr == 1 ? "1" : "2", 1);
            memset(&q, 0, sizeof q);
            q.until_us = UINT64_MAX;
            q.must_contain = nd;
            q.on_record = pf_on_rec;
            q.arg = c;
            CHECK_EQ(nw_store_scan(dir, &q, &st, &err), 0);
            for (int i = 0; i < 3000; i++) missing += want[i] && !c->seen[i];
            CHECK_EQ(missing, 0);
            CHECK_EQ(c->bad, 0);
            CHECK_EQ(st.damaged, 0);
            CHECK(st.blocks_read > 20);
            CHECK(c->n < 3000 * 2 / 3); /* and it skipped the rest */
            free(c);                     /* checksrc: test */
        }
    }
    unsetenv("NW_STORE_SCAN_THREADS");
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    CHECK_EQ(system(cmd), 0);
}

/* A table row whose buffer cannot grow: NW_ENOMEM, at every allocation (a cell's
 * padding looped forever on the failed buffer, tests/e2e/alloc_fail.sh). */
TEST(table_row_nomem)
{
    static const char rec[] = "{\"timestamp\":\"2026-09-03T14:05:07.123456+08:00\","
                              "\"event_type\":\"dns\",\"src_ip\":\"10.1.2.3\",\"src_port\":5353,"
                              "\"dest_ip\":\"10.0.0.53\",\"dest_port\":53,"
                              "\"dns\":{\"queries\":[{\"rrname\":\"example.com\"}]}}";
    FILE *out = fopen("/dev/null", "w");
    int failed = 0;

    CHECK(out != NULL);
    for (uint64_t n = 1; n <= 8 && out; n++) {
        struct nw__qfmt f;
        int rc;
        nw__qfmt_init(&f, NW_QUERY_FMT_TABLE, out);
        nw_alloc_fail_at(n);
        rc = nw__qfmt_row(&f, rec, sizeof rec - 1);
        nw_alloc_fail_at(0);
        CHECK(rc == 0 || rc == NW_ENOMEM);
        failed += rc == NW_ENOMEM;
        nw__qfmt_fini(&f);
    }
    CHECK(failed > 0);
    if (out) fclose(out);
}

NW_TEST_MAIN(NWT_ENTRY(table_row_nomem) NWT_ENTRY(scan_prefilter_random) NWT_ENTRY(time_forms) NWT_ENTRY(time_rejects) NWT_ENTRY(nets) NWT_ENTRY(macs)
                 NWT_ENTRY(options) NWT_ENTRY(match_filters) NWT_ENTRY(keys))
