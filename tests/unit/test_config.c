/* test_config.c - the settings table, INI reader errors and the dump round trip. */
#include "nw/config.h"

#include <stdio.h>
#include <string.h>

#include "nwtest.h"

static int load(struct nw_config *c, const char *text, struct nw_err *e)
{
    return nw_config_load_buf(c, "t.conf", text, strlen(text), e);
}

TEST(defaults_without_file)
{
    struct nw_config c;
    struct nw_err e;
    CHECK(nw_config_init(&c) == 0);
    CHECK(nw_config_load(&c, "/nonexistent/netwarden.conf", 0, &e) == 0);
    CHECK_EQ(c.flow_memcap, 128ull << 20);
    CHECK_EQ(c.tcp_idle_timeout, 600);
    CHECK_STR(c.eve, "-");
    CHECK(nw_config_load(&c, "/nonexistent/netwarden.conf", 1, &e) == NW_ENOENT);
    CHECK_HAS(e.msg, "cannot read config /nonexistent/netwarden.conf");
    nw_config_fini(&c);
}

TEST(values_units_and_quotes)
{
    struct nw_config c;
    struct nw_err e;
    CHECK(nw_config_init(&c) == 0);
    CHECK(load(&c, "# comment\n[unit]\nname = \"  Lincoln High # School \"\n"
                   "[audit]\r\nflow_memcap = 1G\nudp_idle_timeout = 2m  # two minutes\n"
                   "active_timeout = 0\n", &e) == 0);
    CHECK_STR(c.unit_name, "  Lincoln High # School ");
    CHECK_EQ(c.flow_memcap, 1ull << 30);
    CHECK_EQ(c.udp_idle_timeout, 120);
    CHECK_EQ(c.active_timeout, 0);
    nw_config_fini(&c);
}

TEST(errors_name_file_line_and_fix)
{
    struct nw_config c;
    struct nw_err e;
    CHECK(nw_config_init(&c) == 0);
    CHECK(load(&c, "[audit]\n\nflow_memcapp = 1G\n", &e) == NW_EINVAL);
    CHECK_STR(e.msg, "t.conf:3: unknown key 'flow_memcapp' in [audit]; did you mean "
                     "'flow_memcap'?");
    CHECK(load(&c, "[audit]\nflow_memcap = 1k\n", &e) == NW_EINVAL);
    CHECK_STR(e.msg, "t.conf:2: audit.flow_memcap: 1k is out of range: allowed 65536 to "
                     "68719476736 bytes");
    CHECK(load(&c, "[audit]\ntcp_idle_timeout = soon\n", &e) == NW_EINVAL);
    CHECK_HAS(e.msg, "t.conf:2: audit.tcp_idle_timeout: 'soon' is not a duration");
    CHECK(load(&c, "[auditt]\n", &e) == NW_EINVAL);
    CHECK_HAS(e.msg, "t.conf:1: unknown section [auditt]");
    CHECK(load(&c, "eve = x\n", &e) == NW_EINVAL);
    CHECK_HAS(e.msg, "comes before any [section]");
    CHECK(load(&c, "[audit]\neve = a\neve = b\n", &e) == NW_EINVAL);
    CHECK_HAS(e.msg, "t.conf:3: 'eve' is set twice");
    CHECK(load(&c, "[audit]\nflow_memcap = 99999999999999999999999\n", &e) == NW_EINVAL);
    CHECK(load(&c, "[audit]\nflow_memcap = -5\n", &e) == NW_EINVAL);
    CHECK(load(&c, "[audit\n", &e) == NW_EINVAL);
    CHECK(load(&c, "[audit]\nname \"x\"\n", &e) == NW_EINVAL);
    nw_config_fini(&c);
}

TEST(dump_reads_back)
{
    struct nw_config a, b;
    struct nw_err e;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    CHECK(f != NULL);
    CHECK(nw_config_init(&a) == 0 && nw_config_init(&b) == 0);
    CHECK(load(&a, "[unit]\nname = Clinic\n[audit]\nstream_depth = 1M\n", &e) == 0);
    nw_config_dump(&a, f);
    fclose(f);
    CHECK(nw_config_load_buf(&b, "dump", text, len, &e) == 0);
    CHECK_STR(b.unit_name, "Clinic");
    CHECK_EQ(b.stream_depth, 1u << 20);
    free(text);
    nw_config_fini(&a);
    nw_config_fini(&b);
}

NW_TEST_MAIN(NWT_ENTRY(defaults_without_file) NWT_ENTRY(values_units_and_quotes)
                 NWT_ENTRY(errors_name_file_line_and_fix) NWT_ENTRY(dump_reads_back))
