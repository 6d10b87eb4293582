/* test_json.c - the JSON writer: separators, escaping, numbers, addresses, times. */
#include "nw/core.h"
#include "nw/json.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* Every IPv6 text against inet_ntop (RFC 5952 form, glibc agrees), on
 * addresses built to hit every zero-run position and group width. */
TEST(ipv6_text_matches_inet_ntop)
{
    static const uint16_t vals[] = {0, 1, 0xa, 0x10, 0xab, 0x100, 0xabc, 0x1000, 0xffff};
    uint64_t x = 88172645463325252ull;
    char out[64], ref[64];

    for (int k = 0; k < 20000; k++) {
        uint8_t a[16];
        for (int i = 0; i < 8; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            uint16_t v = (x >> 8) % 3 == 0 ? 0 : vals[x % (sizeof vals / sizeof vals[0])];
            a[2 * i] = (uint8_t)(v >> 8);
            a[2 * i + 1] = (uint8_t)v;
        }
        if (k % 7 == 0) { /* IPv4-mapped */
            memset(a, 0, 10);
            a[10] = a[11] = 0xff;
        }
        static const uint8_t zero12[12];
        size_t n = nw_fmt_ip(out, 6, a);
        /* glibc writes the deprecated IPv4-compatible ::a.b.c.d; RFC 5952 hex */
        if (memcmp(a, zero12, 12) == 0) continue;
        CHECK(inet_ntop(AF_INET6, a, ref, sizeof ref) != NULL);
        CHECK_STR(out, ref);
        CHECK_EQ(n, strlen(ref));
    }
}

/* The reference: localtime_r and strftime for every timestamp, no cache. */
static void ref_rfc3339(uint64_t ts_us, char *out, size_t size)
{
    time_t t = (time_t)(ts_us / 1000000u);
    struct tm tm;
    char d[32];
    long off;

    localtime_r(&t, &tm);
    strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm);
    off = tm.tm_gmtoff < 0 ? -tm.tm_gmtoff : tm.tm_gmtoff;
    snprintf(out, size, "%s.%06u%c%02d:%02d", d, (unsigned)(ts_us % 1000000u),
             tm.tm_gmtoff < 0 ? '-' : '+', (int)(off / 3600 % 100), (int)(off % 3600 / 60));
}

/*
 * 20,000 timestamps in zone tz against the reference. around >= 0: within 2 h
 * of that second (an offset change), a third of them up to 10 min early, in
 * the interleaved order records have (now, then a flow's start); around < 0:
 * anywhere up to year ~11000 (347e9 s), a fifth at the end of a day.
 */
static void check_zone(const char *tz, int64_t around, uint64_t seed)
{
    char out[NW_TIME_BUFSZ], ref[64];
    uint64_t x = seed;

    setenv("TZ", tz, 1);
    tzset();
    /* evict what the caches hold from the previous zone: 8 fresh hours */
    for (int i = 0; i < 8; i++)
        nw_time_rfc3339((uint64_t)(315532800 + seed % 97 * 86400 + (uint64_t)i * 3600) * 1000000u, out);
    for (int i = 0; i < 20000; i++) {
        uint64_t sec, us;
        size_t n;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        if (around >= 0) {
            sec = (uint64_t)(around + (int64_t)(x % 14400) - 7200);
            if (i % 3 == 0) sec -= (x >> 20) % 600;
        } else {
            sec = x % 347000000000ull;
            if (i % 5 == 0) sec = sec / 86400 * 86400 + 86399 - (x >> 40) % 3;
        }
        us = sec * 1000000u + (x >> 32) % 1000000u;
        n = nw_time_rfc3339(us, out);
        ref_rfc3339(us, ref, sizeof ref);
        CHECK_STR(out, ref);
        CHECK_EQ(n, strlen(ref));
    }
}

static char *tz_save(void) { return getenv("TZ") ? strdup(getenv("TZ")) : NULL; }

static void tz_restore(char *old)
{
    if (old) setenv("TZ", old, 1);
    else unsetenv("TZ");
    tzset();
    free(old);
}

/* Zones with DST changes (whole and half hours; a POSIX rule changing in
 * mid-minute) and an offset with seconds, at and around each change. */
TEST(rfc3339_matches_localtime_across_offset_changes)
{
    static const struct {
        const char *tz;
        int64_t around; /* an offset change, UTC seconds */
    } z[] = {
        {"Europe/Berlin", 1774746000},      /* 2026-03-29 01:00 UTC, +01 -> +02 */
        {"Europe/Berlin", 1792890000},      /* 2026-10-25 01:00 UTC, +02 -> +01 */
        {"Australia/Lord_Howe", 1775314800}, /* 2026-04-05, +11 -> +10:30 */
        {"Africa/Monrovia", 63593070},       /* 1972-01-07, -00:44:30 -> +00 */
        {"AAA-1BBB,M3.5.0/2:00:30,M10.5.0/3:00:30", 1774746030}, /* mid-minute, by 1 h */
        {"Asia/Shanghai", 1783267200},
        {"UTC", 1783267200},
    };
    char *old = tz_save();

    for (size_t k = 0; k < sizeof z / sizeof z[0]; k++)
        check_zone(z[k].tz, z[k].around, 2463534242ull + k);
    tz_restore(old);
}

/* The civil-date arithmetic over the whole range localtime can express from
 * uint64 microseconds: 1970 to year 9999 and beyond (five-digit years take
 * the C library path). */
TEST(rfc3339_matches_localtime_over_centuries)
{
    static const char *zones[] = {"Europe/Berlin", "America/St_Johns", "Asia/Kathmandu", "UTC"};
    char *old = tz_save();

    for (size_t k = 0; k < sizeof zones / sizeof zones[0]; k++)
        check_zone(zones[k], -1, 0x9e3779b97f4a7c15ull + k);
    tz_restore(old);
}

TEST(max_sets_oom_not_partial)
{
    struct nw_buf b;
    nw_buf_init(&b, 16);
    nw_json_cstr(&b, "0123456789abcdefghij");
    CHECK(!nw_buf_ok(&b));
    nw_buf_fini(&b);
}

/* Reference escaper, byte by byte, for the word-at-a-time fast path. */
static size_t ref_escape(char *out, const uint8_t *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') out[n++] = (char)c;
        else if (c == '"' || c == '\\') out[n++] = '\\', out[n++] = (char)c;
        else if (c == '\n') out[n++] = '\\', out[n++] = 'n';
        else if (c == '\r') out[n++] = '\\', out[n++] = 'r';
        else if (c == '\t') out[n++] = '\\', out[n++] = 't';
        else {
            memcpy(out + n, "\\u00", 4);
            n += 4;
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        }
    }
    return n;
}

TEST(escape_every_byte_at_every_offset)
{
    /* each byte value (bar valid UTF-8 starts, tested above) at each offset
     * of a 19-byte plain string: the fast path must stop at it */
    for (int c = 0; c < 256; c++) {
        if (c >= 0x80) continue; /* >= 0x80 alone is invalid UTF-8: \u00XX, same as ref */
        for (size_t off = 0; off < 19; off++) {
            uint8_t in[19];
            char want[19 * 6 + 3];
            struct nw_buf b;
            size_t n = 0;
            for (size_t i = 0; i < sizeof in; i++) in[i] = (uint8_t)('a' + i);
            in[off] = (uint8_t)c;
            want[n++] = '"';
            n += ref_escape(want + n, in, sizeof in);
            want[n++] = '"';
            want[n] = '\0';
            nw_buf_init(&b, 0);
            nw_json_str(&b, in, sizeof in);
            CHECK_STR(fin(&b), want);
            nw_buf_fini(&b);
        }
    }
    for (int c = 0x80; c < 256; c++) { /* lone high bytes: escaped wherever they are */
        uint8_t in[12];
        char want[12 * 6 + 3];
        struct nw_buf b;
        size_t n = 0;
        memset(in, 'x', sizeof in);
        in[9] = (uint8_t)c;
        want[n++] = '"';
        n += ref_escape(want + n, in, sizeof in);
        want[n++] = '"';
        want[n] = '\0';
        nw_buf_init(&b, 0);
        nw_json_str(&b, in, sizeof in);
        CHECK_STR(fin(&b), want);
        nw_buf_fini(&b);
    }
}

/* IPv4 text from the octet table: every value in every position, against
 * inet_ntop, into a 16-byte buffer (INET_ADDRSTRLEN: ASan sees any byte
 * written past it) */
TEST(ipv4_text_every_octet)
{
    for (int pos = 0; pos < 4; pos++) {
        for (int v = 0; v < 256; v++) {
            uint8_t a[4] = {1, 22, 255, 100};
            char got[INET_ADDRSTRLEN], want[INET_ADDRSTRLEN];
            size_t n;
            a[pos] = (uint8_t)v;
            n = nw_fmt_ip(got, 4, a);
            CHECK(inet_ntop(AF_INET, a, want, sizeof want) != NULL);
            CHECK_STR(got, want);
            CHECK_EQ(n, strlen(want));
        }
    }
}

TEST(numbers_and_keyed_writers)
{
    static const uint64_t v[] = {0, 9, 10, 99, 100, 999, 1000, 9999, 10000, 99999, 100000,
                                 4294967295u, 10000000000000000000ull, 18446744073709551615ull};
    static const uint8_t ip4[4] = {10, 0, 100, 255};
    struct nw_buf b;
    char want[64];

    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        nw_buf_init(&b, 0);
        nw_json_obj_open(&b);
        nw_json_kuint(&b, "k", v[i]);
        nw_json_obj_close(&b);
        snprintf(want, sizeof want, "{\"k\":%llu}", (unsigned long long)v[i]);
        CHECK_STR(fin(&b), want);
        nw_buf_fini(&b);
    }
    nw_buf_init(&b, 0);
    nw_json_obj_open(&b);
    nw_json_kint(&b, "n", -10);
    nw_json_kip(&b, "ip", 4, ip4);
    nw_json_kcstr(&b, "s", "");
    nw_json_kstr(&b, "e", "a\"", 2);
    nw_json_kbool(&b, "f", 0);
    nw_json_obj_close(&b);
    CHECK_STR(fin(&b), "{\"n\":-10,\"ip\":\"10.0.100.255\",\"s\":\"\",\"e\":\"a\\\"\",\"f\":false}");
    nw_buf_fini(&b);
}

TEST(max_is_exact)
{
    /* {"k":"0123456789"} is 18 bytes: fits a max of 18, not 17 */
    struct nw_buf b;
    nw_buf_init(&b, 18);
    nw_json_obj_open(&b);
    nw_json_kcstr(&b, "k", "0123456789");
    nw_json_obj_close(&b);
    CHECK(nw_buf_ok(&b) && b.len == 18);
    nw_buf_fini(&b);
    nw_buf_init(&b, 17);
    nw_json_obj_open(&b);
    nw_json_kcstr(&b, "k", "0123456789");
    nw_json_obj_close(&b);
    CHECK(!nw_buf_ok(&b));
    nw_buf_fini(&b);
}

/* Keys and plain values of every length 0..40 (the short-copy classes 1-3,
 * 4-7, 8-16, 17-32 and the memcpy above), written at the exact end of a
 * buffer so that ASan sees any byte copied past it. */
TEST(short_copies_every_length)
{
    char src[41], want[128];

    for (size_t i = 0; i < sizeof src; i++) src[i] = (char)('a' + i % 26);
    for (size_t kl = 1; kl <= 40; kl++) {
        for (size_t vl = 0; vl <= 40; vl++) {
            char key[41];
            struct nw_buf b;
            int n;
            memcpy(key, src, kl);
            key[kl] = '\0';
            n = snprintf(want, sizeof want, "\"%s\":\"%.*s\"", key, (int)vl, src + 1);
            nw_buf_init(&b, (size_t)n);
            nw_json_kstr(&b, key, src + 1, vl);
            CHECK(nw_buf_ok(&b));
            CHECK_EQ(b.len, (size_t)n);
            CHECK(memcmp(b.data, want, (size_t)n) == 0);
            nw_buf_fini(&b);
        }
    }
}

/* A buffer started in caller storage moves to the heap intact when it
 * outgrows it, frees only what it allocated, and keeps its max. */
TEST(borrowed_storage_grows_to_heap)
{
    char store[16], big[64];
    struct nw_buf b;

    nw_buf_init_with(&b, store, sizeof store, 0);
    nw_json_obj_open(&b);
    nw_json_kuint(&b, "a", 1);
    CHECK(b.data == store);
    nw_json_kcstr(&b, "long_key", "a value that does not fit in sixteen bytes");
    nw_json_obj_close(&b);
    CHECK(b.data != store);
    CHECK(nw_buf_ok(&b));
    CHECK_EQ(b.len, strlen("{\"a\":1,\"long_key\":\"a value that does not fit in sixteen bytes\"}"));
    CHECK(memcmp(b.data, "{\"a\":1,\"long_key\":\"a value", 23) == 0);
    nw_buf_fini(&b);

    nw_buf_init_with(&b, big, sizeof big, 10); /* max below the storage: max wins */
    nw_buf_append(&b, "0123456789", 10);
    CHECK(nw_buf_ok(&b));
    nw_buf_putc(&b, 'x');
    CHECK(!nw_buf_ok(&b));
    CHECK(b.data == big);
    nw_buf_fini(&b);
}

NW_TEST_MAIN(NWT_ENTRY(separators) NWT_ENTRY(escapes_hostile_bytes) NWT_ENTRY(int64_min)
                 NWT_ENTRY(ipv6_text_rfc5952) NWT_ENTRY(ipv6_text_matches_inet_ntop)
                 NWT_ENTRY(rfc3339_matches_localtime_across_offset_changes)
                 NWT_ENTRY(rfc3339_matches_localtime_over_centuries)
                 NWT_ENTRY(max_sets_oom_not_partial)
                 NWT_ENTRY(escape_every_byte_at_every_offset) NWT_ENTRY(ipv4_text_every_octet)
                 NWT_ENTRY(numbers_and_keyed_writers)
                 NWT_ENTRY(max_is_exact) NWT_ENTRY(short_copies_every_length)
                 NWT_ENTRY(borrowed_storage_grows_to_heap))
