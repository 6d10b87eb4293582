/* test_applayer.c - the app-layer driver contract, with the template parser:
 * the consume loop, bytes kept across feeds, the pending bound, gaps and the
 * STARTTLS-style switch. */
#include "nw/proto.h"

#include <netinet/in.h>
#include <string.h>

#include "nw/testctx.h"
#include "nwtest.h"

extern const struct nw_proto_parser nw_proto_template;

static int setup(struct nw_testctx *t)
{
    if (nw_testctx_init(t, NULL, IPPROTO_TCP, "10.0.0.1", 40000, "10.0.0.2", 7) != 0) return -1;
    return nw_applayer_attach(&t->al, &nw_proto_template, 1);
}

static const char *recs(struct nw_testctx *t)
{
    nw_buf_putc(&t->records, '\0');
    t->records.len--;
    return t->records.data ? t->records.data : "";
}

TEST(several_messages_in_one_feed)
{
    struct nw_testctx t;
    static const char in[] = "HELLO a\r\nHELLO b\r\nHELLO c\r\n";

    CHECK(setup(&t) == 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, in, sizeof in - 1), 0);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"template\""), 3);
    CHECK_HAS(recs(&t), "\"name\":\"c\"");
    nw_testctx_fini(&t);
}

TEST(partial_message_kept_across_feeds)
{
    struct nw_testctx t;
    static const char in[] = "HELLO split-name\r\n";

    CHECK(setup(&t) == 0);
    CHECK_EQ(nw_testctx_feed_chunked(&t, NW_DIR_TOSERVER, in, sizeof in - 1, 1), 0);
    CHECK_EQ(nw_testctx_count(&t, "\"name\":\"split-name\""), 1);
    nw_testctx_fini(&t);
}

TEST(pending_bound_detaches)
{
    struct nw_testctx t;
    char big[4096];

    memset(big, 'x', sizeof big);
    memcpy(big, "HELLO ", 6);
    CHECK(setup(&t) == 0);
    /* a line that never ends: the template gives up at 1 KiB (its own limit) */
    for (int i = 0; i < 10 && t.al.parser != NULL; i++)
        nw_testctx_feed(&t, NW_DIR_TOSERVER, big, sizeof big);
    CHECK(t.al.parser == NULL);
    CHECK(t.al.failed);
    nw_testctx_fini(&t);
}

/* A parser that always wants more: only the driver's bound stops it. */
static int greedy_parse(struct nw_proto_ctx *ctx, void *state, const uint8_t *p, size_t len)
{
    (void)ctx, (void)state, (void)p, (void)len;
    return 0;
}
static const struct nw_proto_parser greedy = {.name = "greedy", .parse = greedy_parse};

TEST(driver_pending_limit)
{
    struct nw_testctx t;
    static char chunk[1000];
    int fed = 0;

    CHECK(nw_testctx_init(&t, NULL, IPPROTO_TCP, "10.0.0.1", 1, "10.0.0.2", 2) == 0);
    CHECK(nw_applayer_attach(&t.al, &greedy, 1) == 0);
    while (t.al.parser != NULL && fed < 1000) {
        nw_testctx_feed(&t, NW_DIR_TOSERVER, chunk, sizeof chunk);
        fed++;
    }
    CHECK(t.al.parser == NULL);
    CHECK_EQ(fed, NW_PROTO_MAX_PENDING / sizeof chunk + 1); /* bounded at 64 KiB */
    nw_testctx_fini(&t);
}

TEST(gap_without_handler_detaches)
{
    struct nw_testctx t;

    CHECK(setup(&t) == 0);
    nw_testctx_feed(&t, NW_DIR_TOSERVER, "HELLO x", 7);
    nw_testctx_gap(&t, NW_DIR_TOSERVER, 100);
    CHECK(t.al.parser == NULL);
    CHECK_EQ(nw_testctx_count(&t, "template"), 0);
    nw_testctx_fini(&t);
}

NW_TEST_MAIN(NWT_ENTRY(several_messages_in_one_feed) NWT_ENTRY(partial_message_kept_across_feeds)
                 NWT_ENTRY(pending_bound_detaches) NWT_ENTRY(driver_pending_limit)
                 NWT_ENTRY(gap_without_handler_detaches))
