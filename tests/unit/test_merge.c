/* test_merge.c - the time-ordered merge of live sources (src/capture/merge.c). */
#include "nw/capture.h"
#include "nwtest.h"

static uint8_t pat(uint64_t ts, size_t i) { return (uint8_t)(ts * 31 + i); }

static int push(struct nw_merge *m, int k, uint64_t ts, uint32_t len)
{
    static uint8_t b[4000];
    struct nw_frame f = {ts, b, len, len + 4};

    for (size_t i = 0; i < len; i++) b[i] = pat(ts, i);
    return nw_merge_push(m, k, &f);
}

/* f is the frame pushed with timestamp ts: its bytes came through intact */
static int intact(const struct nw_frame *f)
{
    for (size_t i = 0; i < f->caplen; i++)
        if (f->data[i] != pat(f->ts_us, i)) return 0;
    return f->wire_len == f->caplen + 4;
}

/* Three sources with interleaved times, frames of many sizes wrapping their
 * 64 KiB rings many times: out in timestamp order, bytes intact. */
TEST(order_and_wrap)
{
    struct nw_merge *m = nw_merge_new(3, 65536, 1000);
    int waiting[3] = {1, 1, 1}, src;
    uint64_t next[3] = {1, 2, 3}, last = 0, out = 0;
    struct nw_frame f;

    CHECK(m != NULL);
    for (int round = 0; round < 2000; round++) {
        for (int k = 0; k < 3; k++) { /* each source's frames in its own order */
            uint32_t len = (uint32_t)((next[k] * 7919) % 3000);
            if (push(m, k, next[k], len) == 0) next[k] += 3;
        }
        while (nw_merge_next(m, 0, waiting, &f, &src) == 1) {
            CHECK(f.ts_us > last);
            CHECK(f.ts_us % 3 == (uint64_t)(src + 1) % 3);
            CHECK(intact(&f));
            last = f.ts_us;
            out++;
        }
    }
    while (nw_merge_next(m, UINT64_MAX, waiting, &f, &src) == 1) { /* the end: all of it */
        CHECK(f.ts_us > last && intact(&f));
        last = f.ts_us;
        out++;
    }
    CHECK_EQ(out, (next[0] - 1) / 3 + (next[1] - 2) / 3 + (next[2] - 3) / 3);
    nw_merge_free(m);
}

/* An empty source that still captures holds the others until the delay;
 * one that stopped does not; a full queue goes out without waiting. */
TEST(waiting_delay_full)
{
    struct nw_merge *m = nw_merge_new(2, 65536, 1000);
    int waiting[2] = {1, 1}, src, n = 0;
    struct nw_frame f;

    CHECK(m != NULL);
    CHECK_EQ(push(m, 0, 5000, 100), 0);
    CHECK_EQ(nw_merge_next(m, 5999, waiting, &f, &src), 0); /* source 1 may bring older */
    CHECK_EQ(nw_merge_next(m, 6000, waiting, &f, &src), 1); /* 1 ms old: due */
    CHECK(f.ts_us == 5000 && src == 0);
    CHECK_EQ(push(m, 0, 7000, 100), 0);
    waiting[1] = 0; /* source 1 lost */
    CHECK_EQ(nw_merge_next(m, 0, waiting, &f, &src), 1);
    waiting[1] = 1;
    while (push(m, 0, 8000 + (uint64_t)n, 3000) == 0) n++; /* fill source 0 */
    CHECK(n > 10 && n < 22);
    CHECK_EQ(nw_merge_next(m, 0, waiting, &f, &src), 1); /* full: out without waiting */
    CHECK(f.ts_us == 8000 && intact(&f));
    CHECK_EQ(push(m, 0, 9000, 3000), 0); /* room again */
    CHECK(nw_merge_new(0, 65536, 1) == NULL && nw_merge_new(17, 65536, 1) == NULL);
    nw_merge_free(m);
}

NW_TEST_MAIN(NWT_ENTRY(order_and_wrap) NWT_ENTRY(waiting_delay_full))
