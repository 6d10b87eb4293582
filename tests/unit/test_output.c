/* test_output.c - the record fan-out (src/output/output.c): per-record and
 * batch sinks see the same bytes, a record too large is dropped alone, and
 * batch write errors are counted per record; and diagnostics (src/util/log.c)
 * written by two threads stay whole lines. */
#include "nw/output.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nw/json.h"
#include "nwtest.h"

struct cap {
    struct nw_buf got;
    size_t calls, max_call;
    int fail;
};

static int rec_write(void *self, const char *type, const char *line, size_t len)
{
    struct cap *c = self;
    (void)type;
    nw_buf_append(&c->got, line, len);
    c->calls++;
    return 0;
}

static int batch_write(void *self, const char *data, size_t len)
{
    struct cap *c = self;
    nw_buf_append(&c->got, data, len);
    c->calls++;
    if (len > c->max_call) c->max_call = len;
    return c->fail ? NW_EIO : 0;
}

static char big[NW_RECORD_MAX];

/* Record i: a string of a size that walks across batch boundaries; every
 * 997th (i = 5, 1002, 1999, 2996) is over NW_RECORD_MAX and must vanish whole. */
static void emit(struct nw_output *o, int i)
{
    struct nw_buf *b = nw_output_begin(o, "t", 1700000000000000ull + (uint64_t)i, 0);
    size_t n = i % 997 == 5 ? NW_RECORD_MAX : (size_t)(i * 7919) % 3000;
    nw_json_kuint(b, "i", (uint64_t)i);
    nw_json_kstr(b, "s", big, n);
    nw_output_end(o);
}

TEST(batch_and_record_sinks_agree)
{
    struct nw_output o;
    struct cap r = {0}, bt = {0};
    struct nw_sink rs = {.name = "rec", .write = rec_write, .self = &r};
    struct nw_sink bs = {.name = "batch", .write_batch = batch_write, .self = &bt};

    memset(big, 'x', sizeof big);
    nw_buf_init(&r.got, 0);
    nw_buf_init(&bt.got, 0);
    nw_output_init(&o);
    CHECK(nw_output_add_sink(&o, &rs) == 0);
    CHECK(nw_output_add_sink(&o, &bs) == 0);
    for (int i = 0; i < 3000; i++) {
        emit(&o, i);
        if (i == 1500) nw_output_flush(&o); /* a flush mid-stream hands over what is there */
    }
    nw_output_flush(&o);
    CHECK(r.got.len > 4 * NW_OUTPUT_BATCH);
    CHECK_EQ(bt.got.len, r.got.len);
    CHECK(memcmp(bt.got.data, r.got.data, r.got.len) == 0);
    CHECK_EQ(o.too_large, 4);
    CHECK(bt.calls > 4 && bt.calls < 3000);
    CHECK(bt.max_call < NW_OUTPUT_BATCH + 4096);
    /* got is not NUL-terminated (memcheck saw strstr read past it) */
    CHECK(memmem(r.got.data, r.got.len, "\"i\":5,", 6) == NULL);
    CHECK(memmem(r.got.data, r.got.len, "\"i\":6,", 6) != NULL);
    nw_output_fini(&o);
    nw_buf_fini(&r.got);
    nw_buf_fini(&bt.got);
}

TEST(batch_errors_count_each_record)
{
    struct nw_output o;
    struct cap bt = {0};
    struct nw_sink bs = {.name = "batch", .write_batch = batch_write, .self = &bt};

    memset(big, 'x', sizeof big);
    nw_buf_init(&bt.got, 0);
    bt.fail = 1;
    nw_output_init(&o);
    CHECK(nw_output_add_sink(&o, &bs) == 0);
    for (int i = 0; i < 10; i++) emit(&o, i);
    CHECK_EQ(o.write_errors, 0); /* nothing handed over yet */
    CHECK(nw_output_flush(&o) == 0);
    CHECK_EQ(o.write_errors, 9); /* record 5 was too large, not an error */
    CHECK_EQ(bt.calls, 1);
    nw_output_fini(&o);
    nw_buf_fini(&bt.got);
}

TEST(sink_takes_one_kind_of_write)
{
    struct nw_output o;
    struct nw_sink both = {.name = "x", .write = rec_write, .write_batch = batch_write};
    struct nw_sink none = {.name = "y"};

    nw_output_init(&o);
    CHECK(nw_output_add_sink(&o, &both) == NW_EINVAL);
    CHECK(nw_output_add_sink(&o, &none) == NW_EINVAL);
    nw_output_fini(&o);
}

static void *log_lines(void *who)
{
    for (int i = 0; i < 10000; i++)
        nw_log(NW_LOG_WARN, "%s line %d of a diagnostic", (const char *)who, i);
    return NULL;
}

/* The ClickHouse sender logs while the pipeline does: each nw_log is three
 * stdio writes, and without stderr's lock held across them two threads' lines
 * came out mixed ("netwarden: error: netwarden: warning: ..."). */
TEST(log_lines_from_two_threads_stay_whole)
{
    char path[] = "/tmp/nwtest_logXXXXXX", line[256];
    int fd = mkstemp(path), saved = dup(2), n = 0, bad = 0;
    pthread_t th;
    FILE *f;

    CHECK(fd >= 0 && saved >= 0);
    fflush(stderr);
    dup2(fd, 2);
    CHECK_EQ(pthread_create(&th, NULL, log_lines, "sender"), 0);
    log_lines("pipeline");
    pthread_join(th, NULL);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    f = fdopen(fd, "r");
    CHECK(f != NULL);
    rewind(f);
    while (fgets(line, sizeof line, f) != NULL) {
        n++;
        if (strncmp(line, "netwarden: warning: ", 20) != 0 || strstr(line + 1, "netwarden:") ||
            (strncmp(line + 20, "sender line ", 12) != 0 &&
             strncmp(line + 20, "pipeline line ", 14) != 0) ||
            strstr(line, " of a diagnostic\n") == NULL)
            bad++;
    }
    fclose(f);
    unlink(path);
    CHECK_EQ(n, 20000);
    CHECK_EQ(bad, 0);
}

NW_TEST_MAIN(NWT_ENTRY(batch_and_record_sinks_agree) NWT_ENTRY(batch_errors_count_each_record)
                 NWT_ENTRY(sink_takes_one_kind_of_write)
                     NWT_ENTRY(log_lines_from_two_threads_stay_whole))
