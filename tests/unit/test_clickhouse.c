/*
 * test_clickhouse.c - the ClickHouse sink's pure parts: URL parsing, error
 * lines, RowBinary reading (whole and byte by byte), record-to-row
 * extraction, and the SQL a query becomes (escaping of hostile text).
 * The parts that need a server are in tests/e2e/clickhouse.sh.
 */
#include <stdint.h>

#include "../../src/output/ch_int.h"
#include "nw/clickhouse.h"
#include "nw/query.h"
#include "nwtest.h"

TEST(url_forms)
{
    struct nw_ch_url u;
    struct nw_err e;

    CHECK_EQ(nw_ch_url_parse("clickhouse://127.0.0.1", &u, &e), 0);
    CHECK_STR(u.host, "127.0.0.1");
    CHECK_EQ(u.port, 8123);
    CHECK_STR(u.db, "netwarden");
    CHECK_EQ(nw_ch_url_parse("clickhouse://bob:s3cret@[::1]:18123/audit_1?batch=50&spool_max=2G"
                             "&spool=/tmp/sp&batch_ms=20", &u, &e), 0);
    CHECK_STR(u.host, "::1");
    CHECK_EQ(u.port, 18123);
    CHECK_STR(u.db, "audit_1");
    CHECK_STR(u.user, "bob");
    CHECK_STR(u.password, "s3cret");
    CHECK_EQ(u.batch, 50);
    CHECK_EQ(u.batch_ms, 20);
    CHECK(u.spool_max == 2ull << 30);
    CHECK_STR(u.spool, "/tmp/sp");
    CHECK_EQ(nw_ch_url_parse("http://127.0.0.1:8123/", &u, &e), NW_EINVAL);
    CHECK_HAS(e.msg, "clickhouse://HOST:PORT/DB");
    CHECK_EQ(nw_ch_url_parse("clickhouse://h:99999/x", &u, &e), NW_EINVAL);
    CHECK_HAS(e.msg, "bad port");
    CHECK_EQ(nw_ch_url_parse("clickhouse://h/x;DROP", &u, &e), NW_EINVAL);
    CHECK_HAS(e.msg, "letters, digits");
    CHECK_EQ(nw_ch_url_parse("clickhouse://h/x?bach=1", &u, &e), NW_EINVAL);
    CHECK_HAS(e.msg, "unknown parameter 'bach'");
    CHECK_EQ(nw_ch_url_parse("clickhouse://h/x?batch=0", &u, &e), NW_EINVAL);
    CHECK_EQ(nw_ch_url_parse("clickhouse://h o/x", &u, &e), NW_EINVAL);
}

TEST(error_lines)
{
    char out[200];
    const char *old = "Code: 62, e.displayText() = DB::Exception: Syntax error: failed at "
                      "position 1: SELEC 1, e.what() = DB::Exception\n";
    const char *neu = "Code: 60. DB::Exception: Table nw.records doesn't exist. (UNKNOWN_TABLE) "
                      "(version 23.8.1.1)\n";

    nw_ch_error_line(old, strlen(old), out, sizeof out);
    CHECK_STR(out, "code 62: Syntax error: failed at position 1: SELEC 1");
    nw_ch_error_line(neu, strlen(neu), out, sizeof out);
    CHECK_STR(out, "code 60: Table nw.records doesn't exist. (UNKNOWN_TABLE)");
    nw_ch_error_line("", 0, out, sizeof out);
    CHECK_STR(out, "(empty response)");
    nw_ch_error_line("bad\x01gateway\nmore", 16, out, sizeof out);
    CHECK_STR(out, "bad?gateway");
    char small[12];
    nw_ch_error_line("0123456789abcdefghij", 20, small, sizeof small);
    CHECK_STR(small, "01234567...");
}

struct rows {
    int n;
    uint64_t seq[4];
    uint32_t idx[4];
    char line[4][64];
};

static int on_row(void *arg, const char *s, size_t sl, uint64_t seq, uint32_t idx,
                  const char *l, size_t ll)
{
    struct rows *r = arg;

    (void)s;
    if (sl != 3 || r->n == 4 || ll >= 64) return -1;
    r->seq[r->n] = seq;
    r->idx[r->n] = idx;
    memcpy(r->line[r->n], l, ll);
    r->line[r->n][ll] = '\0';
    r->n++;
    return 0;
}

TEST(rowbinary_any_split)
{
    /* rows (sensor "abc", seq, idx, line) as ClickHouse sends them */
    static const char stream[] =
        "\x03" "abc" "\x07\0\0\0\0\0\0\0" "\x01\0\0\0" "\x02" "{}"
        "\x03" "abc" "\x00\0\0\0\0\0\0\x01" "\xff\xff\xff\xff" "\x05" "hello";
    size_t len = sizeof stream - 1;
    char buf[256];

    for (size_t step = 1; step <= len; step++) {
        struct rows r;
        struct nw_ch_rowbin rb = {buf, 0, sizeof buf, on_row, &r};
        memset(&r, 0, sizeof r);
        for (size_t off = 0; off < len; off += step)
            CHECK_EQ(nw_ch_rowbin_feed(&rb, stream + off, NW_MIN(step, len - off)), 0);
        CHECK_EQ(r.n, 2);
        CHECK_EQ(rb.len, 0);
        CHECK(r.seq[0] == 7 && r.idx[0] == 1);
        CHECK_STR(r.line[0], "{}");
        CHECK(r.seq[1] == 1ull << 56 && r.idx[1] == 0xffffffffu);
        CHECK_STR(r.line[1], "hello");
    }
    /* a length larger than the buffer, and an overlong varint, are errors */
    {
        struct rows r;
        struct nw_ch_rowbin rb = {buf, 0, 16, on_row, &r};
        memset(&r, 0, sizeof r);
        CHECK_EQ(nw_ch_rowbin_feed(&rb, "\xff\x01", 2), NW_EFORMAT);
        rb.len = 0;
        CHECK_EQ(nw_ch_rowbin_feed(&rb, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10),
                 NW_EFORMAT);
    }
}

TEST(row_extracts_filter_columns)
{
    struct nw_buf b;
    uint64_t ts;
    const char *line =
        "{\"timestamp\":\"2013-03-07T21:42:07.009775+08:00\",\"event_type\":\"dns\","
        "\"src_ip\":\"10.0.0.1\",\"src_port\":53,\"dest_ip\":\"2001:db8::1\",\"dest_port\":5353,"
        "\"user\":{\"account\":\"al\\u00e9\",\"mac\":\"AA-BB-CC-DD-EE-FF\"},"
        "\"dns\":{\"queries\":[{\"rrname\":\"WWW.Example.com.\"}]},"
        "\"http\":{\"url\":\"/a\\\"b\\u0001\xff\"}}";

    nw_buf_init(&b, 1 << 20);
    CHECK_EQ(nw__ch_row_build(&b, line, strlen(line), "s1", 5, 9, &ts), 0);
    nw_buf_putc(&b, '\0');
    CHECK(ts == 1362663727009775ull);
    CHECK_HAS(b.data, "{\"date\":\"2013-03-07\",\"ts\":1362663727,\"ts_us\":1362663727009775,");
    CHECK_HAS(b.data, "\"ips\":[\"00000000000000000000ffff0a000001\","
                      "\"20010db8000000000000000000000001\"]");
    CHECK_HAS(b.data, "\"macs\":[\"aa:bb:cc:dd:ee:ff\"]");
    CHECK_HAS(b.data, "\"users\":[\"al\xc3\xa9\"]");
    CHECK_HAS(b.data, "\"domains\":[\"www.example.com\"]");
    CHECK_HAS(b.data, "\"url\":\"/a\\\"b\\u0001\xff\"");
    CHECK_HAS(b.data, "\"batch_seq\":5,\"batch_idx\":9,");
    /* the original line, escaped once, raw bytes kept */
    CHECK_HAS(b.data, "\"line\":\"{\\\"timestamp\\\":");
    CHECK(b.data[b.len - 2] == '\n');
    /* not JSON: still stored (time 0), flagged */
    nw_buf_reset(&b);
    CHECK_EQ(nw__ch_row_build(&b, "garbage", 7, "s1", 5, 10, &ts), NW_EFORMAT);
    nw_buf_putc(&b, '\0');
    CHECK_HAS(b.data, "\"date\":\"1970-01-01\"");
    CHECK_HAS(b.data, "\"line\":\"garbage\"");
    nw_buf_fini(&b);
}

TEST(sql_escapes_user_text)
{
    struct nw_ch_url u;
    struct nw_query q;
    struct nw_err e;
    char sql[16384];

    CHECK_EQ(nw_ch_url_parse("clickhouse://h/db", &u, &e), 0);
    nw_query_init(&q);
    CHECK_EQ(nw_query_set(&q, "user", "x' OR 1=1 --\\", 0, &e), 0);
    CHECK_EQ(nw_query_set(&q, "url", "a\nb'", 0, &e), 0);
    CHECK_EQ(nw_query_set(&q, "ip", "10.1.0.0/16", 0, &e), 0);
    CHECK_EQ(nw_query_set(&q, "domain", "Example.COM", 0, &e), 0);
    CHECK_EQ(nw_query_set(&q, "type", "dns,http", 0, &e), 0);
    CHECK_EQ(nw_query_set(&q, "since", "@1362663727", 0, &e), 0);
    CHECK_EQ(nw_query_set(&q, "limit", "5", 0, &e), 0);
    CHECK(nw_ch_query_sql(&u, &q, sql, sizeof sql) > 0);
    CHECK_HAS(sql, "has(users, 'x\\' OR 1=1 --\\\\')");
    CHECK_HAS(sql, "position(url, 'a\\x0ab\\'') > 0");
    CHECK_HAS(sql, "x >= '00000000000000000000ffff0a010000' AND x <= "
                   "'00000000000000000000ffff0a01ffff'");
    CHECK_HAS(sql, "x = 'example.com' OR endsWith(x, concat('.', 'example.com'))");
    CHECK_HAS(sql, "event_type IN ('dns','http')");
    CHECK_HAS(sql, "date >= '2013-03-07' AND ts_us >= 1362663727000000");
    CHECK_HAS(sql, "FROM db.records");
    CHECK_HAS(sql, "LIMIT 0, 5 FORMAT RowBinary");
    CHECK_EQ(nw_ch_query_sql(&u, &q, sql, 10), NW_ELIMIT);
}

NW_TEST_MAIN(NWT_ENTRY(url_forms) NWT_ENTRY(error_lines) NWT_ENTRY(rowbinary_any_split)
                 NWT_ENTRY(row_extracts_filter_columns) NWT_ENTRY(sql_escapes_user_text))
