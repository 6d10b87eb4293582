/* test_pool.c - the fixed-size object pool (src/util/pool.c), both paths:
 * chunks (release builds) and one allocation per object (ASan's default);
 * and the accounted allocator under it (src/util/alloc.c) used by threads. */
#include "nw/pool.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "nw/core.h"
#include "nwtest.h"

enum { N = 20000, SIZE = 40 };

/* Random allocs and frees against a model: every live object keeps the
 * pattern written into it (no two overlap), comes zeroed and 16-aligned,
 * and freed objects are reused before the pool grows. */
static void churn(int each_alone)
{
    static unsigned char *live[N];
    static uint32_t tag[N];
    struct nw_pool p;
    size_t base = nw_alloc_in_use(), grown;
    uint64_t rng = 7;
    int bad = 0;

    memset(live, 0, sizeof live);
    nw_pool_init(&p, SIZE);
    p.each_alone = each_alone;
    for (int i = 0; i < N; i++) {
        live[i] = nw_pool_alloc(&p);
        CHECK(live[i] != NULL);
        CHECK(((uintptr_t)live[i] & 15) == 0);
        for (int k = 0; k < SIZE; k++) bad += live[i][k] != 0;
        tag[i] = (uint32_t)i * 2654435761u;
        memset(live[i], (int)(tag[i] >> 24), SIZE);
    }
    grown = p.chunk_bytes;
    if (!each_alone) CHECK(grown >= (size_t)N * 48 && grown < (size_t)N * 48 * 3);
    for (int round = 0; round < 5 * N; round++) {
        int i;
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        i = (int)((rng >> 33) % N);
        for (int k = 0; k < SIZE; k++) bad += live[i][k] != (unsigned char)(tag[i] >> 24);
        nw_pool_free(&p, live[i]);
        live[i] = nw_pool_alloc(&p);
        CHECK(live[i] != NULL);
        for (int k = 0; k < SIZE; k++) bad += live[i][k] != 0;
        tag[i] = (uint32_t)rng;
        memset(live[i], (int)(tag[i] >> 24), SIZE);
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(p.chunk_bytes, grown); /* reuse, no growth at a steady population */
    for (int i = 0; i < N; i++) nw_pool_free(&p, live[i]);
    nw_pool_fini(&p);
    CHECK_EQ(nw_alloc_in_use(), base);
}

TEST(chunks_reuse_and_keep_objects_apart) { churn(0); }
TEST(one_allocation_each) { churn(1); }

/* A chunk that cannot be had is a NULL, not a crash; the pool works after. */
TEST(failed_chunk_is_null_then_recovers)
{
    struct nw_pool p;
    void *a, *b;

    nw_pool_init(&p, 100);
    p.each_alone = 0;
    nw_alloc_fail_at(1);
    CHECK(nw_pool_alloc(&p) == NULL);
    a = nw_pool_alloc(&p);
    b = nw_pool_alloc(&p);
    CHECK(a != NULL && b != NULL && a != b);
    CHECK((char *)b - (char *)a == 112 || (char *)a - (char *)b == 112); /* 100 rounded to 16 */
    nw_pool_free(&p, a);
    CHECK(nw_pool_alloc(&p) == a); /* the freed object comes back first */
    nw_pool_fini(&p);
    nw_pool_fini(&p); /* twice is harmless */
}

/* One thread's share of allocator traffic: allocs, reallocs and frees of
 * varying sizes; counts the allocations that failed. */
static void *alloc_churn(void *arg)
{
    unsigned *nfailed = arg;
    void *keep[16] = {0};

    for (unsigned i = 0; i < 40000; i++) {
        unsigned k = i % 16;
        if (keep[k] != NULL) {
            void *q = nw_realloc(keep[k], 8 + (i * 7) % 300);
            if (q == NULL) ++*nfailed;
            else keep[k] = q;
            if (i % 3 == 0) {
                nw_free(keep[k]);
                keep[k] = NULL;
            }
        } else if ((keep[k] = nw_alloc(1 + i % 500)) == NULL) {
            ++*nfailed;
        }
    }
    for (unsigned k = 0; k < 16; k++) nw_free(keep[k]);
    return NULL;
}

/* The store scan's helpers, the ClickHouse sender and the scanner's workers
 * allocate while the calling thread does: the counters must not lose
 * updates (TSan found the plain `in_use += n` racing), and the Nth
 * allocation fails on exactly one thread. */
TEST(allocator_counts_exactly_across_threads)
{
    pthread_t th;
    unsigned fa = 0, fb = 0;
    size_t base = nw_alloc_in_use();

    CHECK_EQ(pthread_create(&th, NULL, alloc_churn, &fa), 0);
    alloc_churn(&fb);
    pthread_join(th, NULL);
    CHECK_EQ(fa + fb, 0);
    CHECK_EQ(nw_alloc_in_use(), base);
    CHECK(nw_alloc_peak() > base);
    nw_alloc_fail_at(30001);
    fa = fb = 0;
    CHECK_EQ(pthread_create(&th, NULL, alloc_churn, &fa), 0);
    alloc_churn(&fb);
    pthread_join(th, NULL);
    nw_alloc_fail_at(0);
    CHECK_EQ(fa + fb, 1);
    CHECK_EQ(nw_alloc_in_use(), base);
}

NW_TEST_MAIN(NWT_ENTRY(chunks_reuse_and_keep_objects_apart) NWT_ENTRY(one_allocation_each)
                 NWT_ENTRY(failed_chunk_is_null_then_recovers)
                     NWT_ENTRY(allocator_counts_exactly_across_threads))
