/*
 * alloc.c - the accounted allocator behind nw_alloc()/nw_free().
 *
 * Each block carries a 16-byte header with its size so that usage and the
 * peak are exact. Fault injection: NW_FAIL_ALLOC=N in the environment (read
 * once) or nw_alloc_fail_at(N) makes the Nth allocation from then on fail,
 * which the tests use to walk every allocation failure path.
 * NW_ALLOC_COUNT=1 prints "nw_alloc: N allocations" to stderr at exit: the
 * number of allocations NW_FAIL_ALLOC can fail (tests/e2e/alloc_fail.sh).
 * Counters are plain (not atomic): netwarden's pipeline is single-threaded.
 */
#include "nw/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR 16u

static size_t in_use;
static size_t peak;
static uint64_t fail_countdown; /* 0 = off */
static uint64_t n_allocs;       /* allocations attempted (what NW_FAIL_ALLOC counts) */
static uint64_t n_failed;       /* allocations that returned NULL (injected or real) */
static int env_read;

static void print_count(void)
{
    fprintf(stderr, "nw_alloc: %llu allocations\n", (unsigned long long)n_allocs);
}

void nw_alloc_fail_at(uint64_t n)
{
    env_read = 1;
    fail_countdown = n;
}

static int should_fail(void)
{
    n_allocs++;
    if (!env_read) {
        const char *s = getenv("NW_FAIL_ALLOC");
        env_read = 1;
        if (s != NULL) fail_countdown = strtoull(s, NULL, 10);
        s = getenv("NW_ALLOC_COUNT");
        if (s != NULL && s[0] == '1') atexit(print_count);
    }
    if (fail_countdown == 0 || --fail_countdown != 0) return 0;
    n_failed++;
    return 1;
}

void *nw_alloc(size_t n)
{
    unsigned char *p;

    if (n > SIZE_MAX - HDR || should_fail()) return NULL;
    p = malloc(n + HDR);
    if (p == NULL) {
        n_failed++;
        return NULL;
    }
    memcpy(p, &n, sizeof n);
    in_use += n;
    if (in_use > peak) peak = in_use;
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
        n_failed++;
        return NULL;
    }
    memcpy(p, &n, sizeof n);
    in_use = in_use - oldn + n;
    if (in_use > peak) peak = in_use;
    return p + HDR;
}

void nw_free(void *q)
{
    unsigned char *p;
    size_t n;

    if (q == NULL) return;
    p = (unsigned char *)q - HDR;
    memcpy(&n, p, sizeof n);
    in_use -= n;
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

size_t nw_alloc_in_use(void) { return in_use; }
size_t nw_alloc_peak(void) { return peak; }
uint64_t nw_alloc_failures(void) { return n_failed; }
