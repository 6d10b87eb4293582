/*
 * test_spool.c - the ClickHouse sink's crash-safe spool (src/output/spool.c),
 * checked against a simple model: batches come back whole, in sequence
 * order, exactly as put; sequence numbers grow across reopens; a SIGKILL at
 * a random moment of a writer leaves only whole batches; damage is set
 * aside, never returned.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nw/clickhouse.h"
#include "nwtest.h"

static char dir[256];
static char buf[1 << 20];

static void fresh_dir(const char *name)
{
    char cmd[600];

    snprintf(dir, sizeof dir, "/tmp/nw_test_spool_%d_%s", (int)getpid(), name);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "rm failed\n");
}

static void cleanup(void)
{
    char cmd[600];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "rm failed\n");
}

/* Deterministic payload of batch seq: its length and bytes follow from seq. */
static size_t payload(uint64_t seq, char *out)
{
    size_t n = 1 + (size_t)(seq * 2654435761u % 5000);

    for (size_t i = 0; i < n; i++) out[i] = (char)('a' + (seq + i) % 26);
    return n;
}

static int count_files(const char *suffix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    size_t sl = strlen(suffix);

    if (d == NULL) return -1;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l > sl && strcmp(de->d_name + l - sl, suffix) == 0) n++;
    }
    closedir(d);
    return n;
}

TEST(fifo_order_and_reopen)
{
    struct nw_spool *s;
    struct nw_spool_batch b;
    struct nw_err err;
    char p[8192];
    uint64_t seqs[10], batches, bytes, bad, s2;

    fresh_dir("fifo");
    CHECK_EQ(nw_spool_open(&s, dir, 1 << 30, &err), 0);
    CHECK_EQ(strlen(nw_spool_id(s)), 32);
    for (int i = 0; i < 10; i++) {
        seqs[i] = nw_spool_next_seq(s);
        if (i) CHECK(seqs[i] > seqs[i - 1]);
        size_t n = payload(seqs[i], p);
        CHECK_EQ(nw_spool_put(s, seqs[i], p, n, (uint32_t)i + 1, &err), 0);
    }
    /* take three, then "crash" (close without draining) */
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(nw_spool_peek(s, &b, buf, sizeof buf, &err), 0);
        CHECK(b.seq == seqs[i]);
        CHECK_EQ(b.nrec, i + 1);
        CHECK_EQ(b.len, payload(seqs[i], p));
        CHECK(memcmp(b.data, p, b.len) == 0);
        CHECK_EQ(nw_spool_drop(s, b.seq), 0);
    }
    char id[33];
    memcpy(id, nw_spool_id(s), 33);
    nw_spool_close(s);
    CHECK_EQ(nw_spool_open(&s, dir, 1 << 30, &err), 0);
    CHECK_STR(nw_spool_id(s), id); /* the sensor id is stable */
    nw_spool_pending(s, &batches, &bytes, &bad);
    CHECK_EQ(batches, 7);
    CHECK_EQ(bad, 0);
    s2 = nw_spool_next_seq(s);
    CHECK(s2 > seqs[9]); /* new epoch: numbers keep growing */
    CHECK_EQ(nw_spool_put(s, s2, "zz", 2, 1, &err), 0);
    for (int i = 3; i < 10; i++) {
        CHECK_EQ(nw_spool_peek(s, &b, buf, sizeof buf, &err), 0);
        CHECK(b.seq == seqs[i]);
        CHECK_EQ(nw_spool_drop(s, b.seq), 0);
    }
    CHECK_EQ(nw_spool_peek(s, &b, buf, sizeof buf, &err), 0);
    CHECK(b.seq == s2);
    CHECK_EQ(b.len, 2);
    CHECK_EQ(nw_spool_drop(s, b.seq), 0);
    CHECK_EQ(nw_spool_peek(s, &b, buf, sizeof buf, &err), NW_ENOENT);
    nw_spool_close(s);
    cleanup();
}

TEST(bound_lock_and_damage)
{
    struct nw_spool *s, *s2;
    struct nw_spool_batch b;
    struct nw_err err;
    char p[4096], path[512];
    uint64_t q1, q2, q3, bad;
    int fd;

    fresh_dir("bound");
    memset(p, 'x', sizeof p);
    CHECK_EQ(nw_spool_open(&s, dir, 10000, &err), 0);
    /* a second writer on the same spool is refused */
    CHECK_EQ(nw_spool_open(&s2, dir, 10000, &err), NW_EINVAL);
    CHECK_HAS(err.msg, "in use by another netwarden");
    q1 = nw_spool_next_seq(s);
    q2 = nw_spool_next_seq(s);
    q3 = nw_spool_next_seq(s);
    CHECK_EQ(nw_spool_put(s, q1, p, 4000, 1, &err), 0);
    CHECK_EQ(nw_spool_put(s, q2, p, 4000, 1, &err), 0);
    CHECK_EQ(nw_spool_put(s, q3, p, 4000, 1, &err), NW_ELIMIT); /* 12000 > 10000 */
    CHECK_HAS(err.msg, "is full");
    /* flip one payload byte of the oldest: it is set aside, the next comes */
    snprintf(path, sizeof path, "%s/%016" PRIx64 ".batch", dir, q1);
    fd = open(path, O_WRONLY);
    CHECK(fd >= 0);
    CHECK_EQ(pwrite(fd, "y", 1, 100), 1);
    close(fd);
    CHECK_EQ(nw_spool_peek(s, &b, buf, sizeof buf, &err), 0);
    CHECK(b.seq == q2);
    nw_spool_pending(s, NULL, NULL, &bad);
    CHECK_EQ(bad, 1);
    CHECK_EQ(count_files(".bad"), 1);
    /* a leftover .tmp (a put cut by a crash) is removed at open */
    nw_spool_close(s);
    snprintf(path, sizeof path, "%s/00000000deadbeef.batch.tmp", dir);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    CHECK(fd >= 0);
    close(fd);
    CHECK_EQ(nw_spool_open(&s, dir, 10000, &err), 0);
    CHECK_EQ(count_files(".tmp"), 0);
    nw_spool_close(s);
    cleanup();
}

/*
 * A writer process puts batches as fast as it can and is SIGKILLed at a
 * random moment, 20 times over the same spool. After each kill the spool
 * opens, holds no damaged file, and its batches are exactly the model's:
 * strictly increasing sequence numbers, each payload whole. The consumer
 * removes a random number of them between kills.
 */
TEST(kill9_writer_leaves_whole_batches)
{
    struct nw_err err;
    uint64_t last = 0;
    unsigned rnd = (unsigned)time(NULL);

    fresh_dir("kill");
    for (int round = 0; round < 20; round++) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            struct nw_spool *w;
            char p[8192];
            if (nw_spool_open(&w, dir, 1ull << 32, &err) != 0) _exit(3);
            for (int i = 0; i < 1000000; i++) {
                uint64_t q = nw_spool_next_seq(w);
                if (nw_spool_put(w, q, p, payload(q, p), 1, &err) != 0) _exit(4);
            }
            _exit(0);
        }
        rnd = rnd * 1103515245u + 12345u;
        usleep(2000 + (rnd >> 8) % 30000);
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        CHECK(WIFSIGNALED(st));

        struct nw_spool *s;
        struct nw_spool_batch b;
        char p[8192];
        uint64_t n, bad;
        CHECK_EQ(nw_spool_open(&s, dir, 1ull << 32, &err), 0);
        nw_spool_pending(s, &n, NULL, &bad);
        CHECK_EQ(bad, 0);
        CHECK_EQ(count_files(".tmp"), 0);
        /* consume a random share (dropping them); every batch seen is whole
         * and comes after everything dropped before */
        rnd = rnd * 1103515245u + 12345u;
        uint64_t take = n ? 1 + (rnd >> 8) % n : 0;
        for (uint64_t i = 0; i < n; i++) {
            CHECK_EQ(nw_spool_peek(s, &b, buf, sizeof buf, &err), 0);
            CHECK(b.seq > last);
            CHECK_EQ(b.len, payload(b.seq, p));
            CHECK(memcmp(b.data, p, b.len) == 0);
            if (i >= take) break;
            last = b.seq;
            CHECK_EQ(nw_spool_drop(s, b.seq), 0);
        }
        nw_spool_close(s);
    }
    cleanup();
}

NW_TEST_MAIN(NWT_ENTRY(fifo_order_and_reopen) NWT_ENTRY(bound_lock_and_damage)
                 NWT_ENTRY(kill9_writer_leaves_whole_batches))
