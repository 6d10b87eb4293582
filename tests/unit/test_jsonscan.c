/* test_jsonscan.c - the bounded JSON reader: validation, paths, unescaping, time. */
#include "nw/jsonscan.h"

#include <string.h>

#include "nw/core.h"
#include "nwtest.h"

static const char rec[] =
    "{\"timestamp\":\"2023-11-14T22:13:20.501000+08:00\",\"event_type\":\"dns\","
    "\"src_ip\":\"10.1.2.3\",\"dns\":{\"version\":3,\"queries\":[{\"rrname\":\"a.example.com\","
    "\"rrtype\":\"A\"},{\"rrname\":\"b\\u00e9\\\"x\"}]},\"user\":{\"account\":\"al\\/ice\"},"
    "\"ok\":true,\"n\":null,\"f\":-1.5e3}\n";

TEST(validate_good)
{
    CHECK_EQ(nw_json_validate(rec, strlen(rec), NULL), 0);
    CHECK_EQ(nw_json_validate("{}", 2, NULL), 0);
    CHECK_EQ(nw_json_validate("  {\"a\":[1,2,{}]}\r\n", 18, NULL), 0);
}

TEST(validate_bad)
{
    static const char *bad[] = {
        "", "[]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":01}", "{\"a\":1.}",
        "{\"a\":\"\\x\"}", "{\"a\":\"\x01\"}", "{\"a\":tru}", "{} {}", "{\"a\":\"\\u12g4\"}",
        "{\"a\":-}", "{a:1}", "{\"a\":1e}", "\"str\"",
    };
    char deep[200];
    size_t pos;

    for (size_t i = 0; i < NW_ARRAY_LEN(bad); i++) CHECK(nw_json_validate(bad[i], strlen(bad[i]), NULL) != 0);
    /* nesting beyond the cap is refused, not recursed into */
    memset(deep, '[', sizeof deep);
    deep[0] = '{';
    CHECK(nw_json_validate(deep, sizeof deep, NULL) != 0);
    CHECK_EQ(nw_json_validate("{} x", 4, &pos), NW_EFORMAT);
    CHECK_EQ(pos, 3);
}

TEST(get_paths)
{
    struct nw_json_val v;
    char buf[64];

    CHECK_EQ(nw_json_get(rec, strlen(rec), "event_type", &v), 1);
    CHECK_EQ(v.type, NW_JSON_STRING);
    CHECK(v.len == 3 && memcmp(v.p, "dns", 3) == 0);
    CHECK_EQ(nw_json_get(rec, strlen(rec), "dns.queries.0.rrname", &v), 1);
    CHECK(nw_json_str_eq(&v, "a.example.com", 13));
    CHECK_EQ(nw_json_get(rec, strlen(rec), "dns.queries.1.rrname", &v), 1);
    CHECK_EQ(nw_json_val_str(&v, buf, sizeof buf), 5);
    CHECK_STR(buf, "b\xc3\xa9\"x");
    CHECK(nw_json_str_eq(&v, "b\xc3\xa9\"x", 5));
    CHECK_EQ(nw_json_get(rec, strlen(rec), "dns.queries.2.rrname", &v), 0);
    CHECK_EQ(nw_json_get(rec, strlen(rec), "dns.version", &v), 1);
    CHECK_EQ(v.type, NW_JSON_NUMBER);
    CHECK_EQ(nw_json_val_str(&v, buf, sizeof buf), 1);
    CHECK_EQ(nw_json_get(rec, strlen(rec), "user.account", &v), 1);
    CHECK_EQ(nw_json_val_str(&v, buf, sizeof buf), 6);
    CHECK_STR(buf, "al/ice");
    CHECK_EQ(nw_json_get(rec, strlen(rec), "user.account.x", &v), 0);
    CHECK_EQ(nw_json_get(rec, strlen(rec), "missing", &v), 0);
    CHECK_EQ(nw_json_get(rec, strlen(rec), "ok", &v), 1);
    CHECK_EQ(v.type, NW_JSON_TRUE);
    CHECK_EQ(nw_json_get(rec, strlen(rec), "f", &v), 1);
    CHECK_EQ(v.type, NW_JSON_NUMBER);
    CHECK(v.len == 6);
    CHECK_EQ(nw_json_get(rec, strlen(rec), "dns", &v), 1);
    CHECK_EQ(v.type, NW_JSON_OBJECT);
    CHECK_EQ(nw_json_get(rec, strlen(rec), "", &v), 1);
    CHECK_EQ(v.type, NW_JSON_OBJECT);
    /* malformed line: error, not a crash */
    CHECK_EQ(nw_json_get("{\"a\":[1,", 8, "a.1", &v), NW_EFORMAT);
    /* small buffer */
    CHECK_EQ(nw_json_get(rec, strlen(rec), "dns.queries.0.rrname", &v), 1);
    CHECK_EQ(nw_json_val_str(&v, buf, 5), NW_ETRUNC);
}

TEST(iterate)
{
    struct nw_json_val root, k, v;
    struct nw_json_iter it;
    int n = 0, rc;

    CHECK_EQ(nw_json_root(rec, strlen(rec), &root), 0);
    nw_json_iter_init(&it, &root);
    while ((rc = nw_json_iter_next(&it, &k, &v)) == 1) n++;
    CHECK_EQ(rc, 0);
    CHECK_EQ(n, 8);
    CHECK_EQ(nw_json_root("[1, \"a\" ,[]]", 12, &root), 0);
    nw_json_iter_init(&it, &root);
    n = 0;
    while ((rc = nw_json_iter_next(&it, &k, &v)) == 1) {
        CHECK_EQ(k.type, NW_JSON_NONE);
        n++;
    }
    CHECK_EQ(n, 3);
}

TEST(surrogates)
{
    struct nw_json_val v = {NW_JSON_STRING, "\\ud83d\\ude00\\ud800x", 19};
    char buf[16];

    CHECK_EQ(nw_json_val_str(&v, buf, sizeof buf), 8);
    CHECK(memcmp(buf, "\xf0\x9f\x98\x80\xef\xbf\xbdx", 8) == 0);
}

TEST(time_parse)
{
    uint64_t us;

    CHECK_EQ(nw_json_parse_time("1970-01-01T00:00:00Z", 20, &us), 0);
    CHECK_EQ(us, 0);
    CHECK_EQ(nw_json_parse_time("2023-11-14T22:13:20.501000+08:00", 32, &us), 0);
    CHECK_EQ(us, 1699971200501000ull);
    CHECK_EQ(nw_json_parse_time("2023-11-14T22:13:20.501000+0800", 31, &us), 0);
    CHECK_EQ(us, 1699971200501000ull);
    CHECK_EQ(nw_json_parse_time("2023-11-14T14:13:20.5Z", 22, &us), 0);
    CHECK_EQ(us, 1699971200500000ull);
    CHECK_EQ(nw_json_parse_time("2024-02-29 00:00:00-01:00", 25, &us), 0);
    CHECK(nw_json_parse_time("2023-02-30T00:00:00Z", 20, &us) != 0);
    CHECK(nw_json_parse_time("2023-11-14T22:13:20", 19, &us) != 0);
    CHECK(nw_json_parse_time("2023-11-14T22:13:20.+08:00", 26, &us) != 0);
    CHECK(nw_json_parse_time("1969-12-31T23:59:59Z", 20, &us) != 0);
}

NW_TEST_MAIN(NWT_ENTRY(validate_good) NWT_ENTRY(validate_bad) NWT_ENTRY(get_paths)
                 NWT_ENTRY(iterate) NWT_ENTRY(surrogates) NWT_ENTRY(time_parse))
