/* test_json.c - the JSON writer: separators, escaping, numbers, addresses. */
#include "nw/json.h"

#include "nwtest.h"

static const char *fin(struct nw_buf *b)
{
    nw_buf_putc(b, '\0');
    b->len--;
    return b->data;
}

TEST(separators)
{
    struct nw_buf b;
    nw_buf_init(&b, 0);
    nw_json_obj_open(&b);
    nw_json_kint(&b, "a", -5);
    nw_json_karr_open(&b, "l");
    nw_json_uint(&b, 1);
    nw_json_uint(&b, 18446744073709551615ull);
    nw_json_arr_close(&b);
    nw_json_kobj_open(&b, "o");
    nw_json_obj_close(&b);
    nw_json_kbool(&b, "t", 1);
    nw_json_obj_close(&b);
    CHECK_STR(fin(&b), "{\"a\":-5,\"l\":[1,18446744073709551615],\"o\":{},\"t\":true}");
    nw_buf_fini(&b);
}

TEST(escapes_hostile_bytes)
{
    struct nw_buf b;
    /* quote, backslash, control, invalid UTF-8 (0xff), valid 2-byte (é), overlong (c0 80) */
    static const char in[] = "a\"b\\c\x01\xff\xc3\xa9\xc0\x80";
    nw_buf_init(&b, 0);
    nw_json_str(&b, in, sizeof in - 1);
    CHECK_STR(fin(&b), "\"a\\\"b\\\\c\\u0001\\u00ff\xc3\xa9\\u00c0\\u0080\"");
    nw_buf_fini(&b);
}

TEST(int64_min)
{
    struct nw_buf b;
    nw_buf_init(&b, 0);
    nw_json_int(&b, INT64_MIN);
    CHECK_STR(fin(&b), "-9223372036854775808");
    nw_buf_fini(&b);
}

TEST(ipv6_text_rfc5952)
{
    char out[64];
    static const uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static const uint8_t m[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
    static const uint8_t z[16] = {0};
    static const uint8_t g[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0};
    nw_fmt_ip(out, 6, a);
    CHECK_STR(out, "2001:db8::1");
    nw_fmt_ip(out, 6, m);
    CHECK_STR(out, "::ffff:10.0.0.1");
    nw_fmt_ip(out, 6, z);
    CHECK_STR(out, "::");
    nw_fmt_ip(out, 6, g);
    CHECK_STR(out, "2001:db8:0:1::1:0");
}

TEST(max_sets_oom_not_partial)
{
    struct nw_buf b;
    nw_buf_init(&b, 16);
    nw_json_cstr(&b, "0123456789abcdefghij");
    CHECK(!nw_buf_ok(&b));
    nw_buf_fini(&b);
}

NW_TEST_MAIN(NWT_ENTRY(separators) NWT_ENTRY(escapes_hostile_bytes) NWT_ENTRY(int64_min)
                 NWT_ENTRY(ipv6_text_rfc5952) NWT_ENTRY(max_sets_oom_not_partial))
