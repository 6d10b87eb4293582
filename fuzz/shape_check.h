/*
 * shape_check.h - the property the writer's shape path must keep (shared by
 * tests/unit/test_store.c and fuzz/fuzz_jsonscan.c): for any line,
 * nw__index_record_shaped (with whatever shapes it has learnt) gives what
 * the full pass nw__index_record gives - the same result code, the same keys
 * (as hashes, through its key cache) in the same order, the same timestamp
 * and value spans - and, when it hands
 * out a known template, nw__tmpl_add_known writes the same bytes as
 * nw__tmpl_add.
 */
#ifndef NW_FUZZ_SHAPE_CHECK_H
#define NW_FUZZ_SHAPE_CHECK_H

#include <stdlib.h>
#include <string.h>

#include "../src/store/store_int.h"

struct shape_keys {
    uint64_t h[4096];
    size_t len;
    int over;
};

static void shape_check_hash(void *arg, uint64_t h)
{
    struct shape_keys *k = arg;
    if (k->len == sizeof k->h / sizeof k->h[0]) {
        k->over = 1;
        return;
    }
    k->h[k->len++] = h;
}

static void shape_check_key(void *arg, const char *key, size_t n)
{
    shape_check_hash(arg, nw__key_hash(key, n));
}

/* 1 when both paths agree on line[0..len), 0 when they differ. */
static int shape_check(struct nw__shapes *sh, const char *line, size_t len)
{
    static uint32_t v1[2 * 1024], v2[2 * 1024];
    static struct shape_keys k1, k2;
    static struct tmpl_enc te1, te2;
    struct nw__spans s1 = {.v = v1, .cap = 2 * 1024}, s2 = {.v = v2, .cap = 2 * 1024};
    struct nw__shape_tmpl tk;
    uint64_t t1 = 0, t2 = 0;
    int r1, r2, ok = 1;

    k1.len = k2.len = 0;
    k1.over = k2.over = 0;
    r1 = nw__index_record(line, len, &t1, shape_check_key, &k1, &s1);
    r2 = nw__index_record_shaped(sh, line, len, &t2, shape_check_hash, &k2, &s2, &tk);
    if (r1 != r2 || k1.len != k2.len || k1.over != k2.over ||
        memcmp(k1.h, k2.h, k1.len * sizeof k1.h[0]) != 0)
        return 0;
    if (r1 == NW_EFORMAT) return 1; /* spans of a refused record mean nothing */
    if (r1 == 0 && t1 != t2) return 0;
    if (s1.over != s2.over || s1.n != s2.n || memcmp(v1, v2, s1.n * sizeof v1[0]) != 0) return 0;
    if (r1 == 0 && (s1.ntype != s2.ntype || s1.tcls != s2.tcls)) return 0; /* the frame choice */
    if (tk.sk) {
        size_t cap = 2 * (len + TMPL_MAX_LEN + 64), o1, o2;
        uint8_t *x1 = malloc(cap), *x2 = malloc(cap);
        if (x1 == NULL || x2 == NULL) abort();
        nw__tmpl_reset(&te1);
        nw__tmpl_reset(&te2);
        /* twice: the first adds the template, the second refers to it */
        o1 = nw__tmpl_add(&te1, x1, 0, line, len, &s1);
        o2 = nw__tmpl_add_known(&te2, x2, 0, line, len, &s2, tk.sk, tk.len, tk.h);
        ok = o1 == o2 && memcmp(x1, x2, o1) == 0;
        o1 = nw__tmpl_add(&te1, x1, o1, line, len, &s1);
        o2 = nw__tmpl_add_known(&te2, x2, o2, line, len, &s2, tk.sk, tk.len, tk.h);
        ok = ok && o1 == o2 && memcmp(x1, x2, o1) == 0;
        free(x1);
        free(x2);
    }
    return ok;
}

#endif /* NW_FUZZ_SHAPE_CHECK_H */
