/*
 * alloc.c - the accounted allocator behind nw_alloc()/nw_free().
 *
 * Each block carries a 16-byte header with its size so that usage and the
 * peak are exact. Fault injection: NW_FAIL_ALLOC=N in the environment (read
 * once) or nw_alloc_fail_at(N) makes the Nth allocation from then on fail,
 * which the tests use to walk every allocation failure path.
 * NW_ALLOC_COUNT=1 prints "nw_alloc: N allocations" to stderr at exit: the
 * number of allocations NW_FAIL_ALLOC can fail (tests/e2e/alloc_fail.sh).
 * Thread-safe: the store scan's helpers, the ClickHouse sender and the port
 * scanner's workers allocate too, so the counters and the countdown are
 * updated with relaxed atomics (an uncontended locked add; they order
 * nothing else). The environment is read once (pthread_once: the first
 * allocations may come from two threads at once).
 */
#include "nw/core.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR 16u

static size_t in_use;
static size_t peak;
static uint64_t fail_countdown; /* 0 = off */
static uint64_t n_allocs;       /* allocations attempted (NW_ALLOC_COUNT=1 only) */
static uint64_t n_failed;       /* allocations that returned NULL (injected or real) */
static int count_on;            /* NW_ALLOC_COUNT=1 */
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static void print_count(void)
{
    fprintf(stderr, "nw_alloc: %llu allocations\n",
            (unsigned long long)__atomic_load_n(&n_allocs, __ATOMIC_RELAXED));
}

static void env_read(void)
{
    const char *s = getenv("NW_FAIL_ALLOC");

    if (s != NULL) __atomic_store_n(&fail_countdown, strtoull(s, NULL, 10), __ATOMIC_RELAXED);
    s = getenv("NW_ALLOC_COUNT");
    if (s != NULL && s[0] == '1') {
        count_on = 1;
        atexit(print_count);
    }
}

void nw_alloc_fail_at(uint64_t n)
{
    pthread_once(&env_once, env_read); /* the environment no longer overrides n */
    __atomic_store_n(&fail_countdown, n, __ATOMIC_RELAXED);
}

static int should_fail(void)
{
    pthread_once(&env_once, env_read);
    if (count_on) __atomic_add_fetch(&n_allocs, 1, __ATOMIC_RELAXED);
    /* one thread, not two or none, takes the Nth allocation */
    uint64_t c = __atomic_load_n(&fail_countdown, __ATOMIC_RELAXED);
    do {
        if (c == 0) return 0;
    } while (!__atomic_compare_exchange_n(&fail_countdown, &c, c - 1, 1, __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    if (c != 1) return 0;
    __atomic_add_fetch(&n_failed, 1, __ATOMIC_RELAXED);
    return 1;
}

/* in_use += add - sub (modulo 2^N: exact), and raise the peak to it */
static void account(size_t add, size_t sub)
{
    size_t u = __atomic_add_fetch(&in_use, add - sub, __ATOMIC_RELAXED);
    size_t p = __atomic_load_n(&peak, __ATOMIC_RELAXED);

    while (u > p && !__atomic_compare_exchange_n(&peak, &p, u, 1, __ATOMIC_RELAXED,
                                                 __ATOMIC_RELAXED)) {
    }
}

void *nw_alloc(size_t n)
{
    unsigned char *p;

    if (n > SIZE_MAX - HDR || should_fail()) return NULL;
    p = malloc(n + HDR);
    if (p == NULL) {
        __atomic_add_fetch(&n_failed, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    memcpy(p, &n, sizeof n);
    account(n, 0);
    return p + HDR;
}

void *nw_calloc(size_t nmemb, size_t size)
{
    void *p;

    if (size != 0 && nmemb > SIZE_MAX / size) return NULL;
    p = nw_alloc(nmemb * size);
    if (p != NULL) memset(p, 0, nmemb * size);
    return p;
}

void *nw_realloc(void *old, size_t n)
{
    unsigned char *p;
    size_t oldn;

    if (old == NULL) return nw_alloc(n);
    if (n > SIZE_MAX - HDR || should_fail()) return NULL;
    p = (unsigned char *)old - HDR;
    memcpy(&oldn, p, sizeof oldn);
    p = realloc(p, n + HDR);
    if (p == NULL) {
        __atomic_add_fetch(&n_failed, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    memcpy(p, &n, sizeof n);
    account(n, oldn);
    return p + HDR;
}

void nw_free(void *q)
{
    unsigned char *p;
    size_t n;

    if (q == NULL) return;
    p = (unsigned char *)q - HDR;
    memcpy(&n, p, sizeof n);
    account(0, n);
    free(p);
}

char *nw_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = nw_alloc(len + 1);

    if (d == NULL) return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

size_t nw_alloc_in_use(void) { return __atomic_load_n(&in_use, __ATOMIC_RELAXED); }
size_t nw_alloc_peak(void) { return __atomic_load_n(&peak, __ATOMIC_RELAXED); }
/* reads the environment too: NW_ALLOC_COUNT=1 prints its line (0) for a command that
 * allocated nothing (store-keygen), since main's finish() asks this of every run */
uint64_t nw_alloc_failures(void)
{
    pthread_once(&env_once, env_read);
    return __atomic_load_n(&n_failed, __ATOMIC_RELAXED);
}
