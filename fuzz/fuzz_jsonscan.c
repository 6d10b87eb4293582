/*
 * fuzz_jsonscan.c - the bounded JSON reader on arbitrary bytes: validation,
 * path lookups, iteration, unescaping and the store's index-key walker
 * (nw_store_index_keys) must never read out of bounds, recurse without
 * bound or disagree with each other. The input's lines, in order, also go
 * through the writer's shape path (shapes learnt from the earlier lines of
 * the same input), which must agree with the full pass (shape_check.h),
 * and through the IDENT3 value coding (timestamps, user runs), which must
 * give the line back byte-exact, from the built template and the shape
 * path's alike, and so must the same stream transposed into IDENT4 columns
 * (enc3_check); with key groups handed to the writer at once, the shape path
 * gives the same keys in the same order (group_check).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nw/jsonscan.h"
#include "nw/store.h"
#include "shape_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void no_hash(void *arg, uint64_t h) { (void)arg, (void)h; }
static void no_key(void *arg, const char *k, size_t n) { (void)arg, (void)k, (void)n; }

/* An accepted line, coded twice in one IDENT3 stream (the second time its
 * run is a reference), decodes to itself twice; 1 when so. */
static int enc3_check(struct nw__shapes *sh, const char *line, size_t len)
{
    static uint32_t v1[2 * 1024];
    static struct tmpl_enc te1, te2;
    struct nw__spans sp = {.v = v1, .cap = 2 * 1024};
    struct nw__shape_tmpl tk;
    uint64_t ts[2];
    size_t cap = 4 * (len + TMPL_MAX_LEN + 64), o1 = 0, o2 = 0, tl;
    uint8_t *x1, *x2, *out;
    int ok;

    if (nw__index_record(line, len, &ts[0], no_key, NULL, &sp) != 0) return 1;
    ts[1] = ts[0];
    x1 = malloc(cap), x2 = malloc(cap), out = malloc(2 * len + 40);
    if (x1 == NULL || x2 == NULL || out == NULL) abort();
    nw__tmpl_reset(&te1);
    nw__tmpl_reset(&te2);
    o1 = nw__tmpl3_add(&te1, x1, o1, line, len, &sp, NULL, ts[0]);
    o1 = nw__tmpl3_add(&te1, x1, o1, line, len, &sp, NULL, ts[0]);
    tl = nw__ts_encode(x1 + o1, ts, 2, ts[0]);
    ok = nw__tmpl3_decode(x1, o1 + tl, out, 2 * len + 2, 2 * len + 2 + tl, 2, ts[0]) == 0 &&
         memcmp(out, line, len) == 0 && out[len] == '\n' && memcmp(out + len + 1, line, len) == 0;
    if (ok) { /* the same stream in columns (IDENT4) gives the same bytes back */
        size_t c4cap = ENC4_ROOM(o1) + tl, n4;
        uint8_t *c4 = malloc(c4cap), *out4 = malloc(2 * len + 2 + tl);
        if (c4 == NULL || out4 == NULL) abort();
        n4 = nw__enc4_encode(NULL, x1, o1, 2, c4, ENC4_ROOM(o1));
        if (n4) {
            memcpy(c4 + n4, x1 + o1, tl);
            ok = nw__tmpl4_decode(c4, n4 + tl, out4, 2 * len + 2, 2 * len + 2 + tl, 2, ts[0]) == 0 &&
                 memcmp(out4, out, 2 * len + 2 + tl) == 0;
        }
        free(c4);
        free(out4);
    }
    if (ok && nw__index_record_shaped(sh, line, len, &ts[1], no_hash, NULL, &sp, &tk) == 0 &&
        tk.sk) { /* the template handed out by the shape path: the same stream */
        o2 = nw__tmpl3_add(&te2, x2, o2, line, len, &sp, &tk, ts[0]);
        o2 = nw__tmpl3_add(&te2, x2, o2, line, len, &sp, &tk, ts[0]);
        ok = o1 == o2 && memcmp(x1, x2, o1) == 0;
    }
    free(x1);
    free(x2);
    free(out);
    return ok;
}

/* Keys as the writer takes them with key groups (nw__shapes_on_group): hashes one by one,
 * or a group's at once; a group's n keys, either way, are the last n taken. */
struct gkeys {
    struct shape_keys k;
    int bad;
};

static void gk_group(void *arg, uint64_t id, const uint64_t *h, unsigned n)
{
    struct gkeys *g = arg;
    if (id == 0) g->bad = 1;
    if (h == NULL) {
        if (n > g->k.len) g->bad = 1;
        return;
    }
    for (unsigned i = 0; i < n; i++) shape_check_hash(&g->k, h[i]);
}

static void gk_hash(void *arg, uint64_t h)
{
    shape_check_hash(&((struct gkeys *)arg)->k, h);
}

/* With key groups delivered to the writer's callback, the same keys in the same order as the
 * full pass; 1 when so. */
static int group_check(struct nw__shapes *sh, const char *line, size_t len)
{
    static uint32_t v1[2 * 1024], v2[2 * 1024];
    static struct shape_keys k1;
    static struct gkeys k2;
    struct nw__spans s1 = {.v = v1, .cap = 2 * 1024}, s2 = {.v = v2, .cap = 2 * 1024};
    struct nw__shape_tmpl tk;
    uint64_t t1, t2;
    int r1, r2;

    k1.len = k2.k.len = 0;
    k1.over = k2.k.over = k2.bad = 0;
    r1 = nw__index_record(line, len, &t1, shape_check_key, &k1, &s1);
    r2 = nw__index_record_shaped(sh, line, len, &t2, gk_hash, &k2, &s2, &tk);
    return r1 == r2 && !k2.bad && k1.len == k2.k.len && k1.over == k2.k.over &&
           memcmp(k1.h, k2.k.h, k1.len * sizeof k1.h[0]) == 0;
}

static void on_key(void *arg, const char *key, size_t n)
{
    size_t *sum = arg;
    if (n) *sum += (unsigned char)key[0] + (unsigned char)key[n - 1]; /* touch both ends */
}

static void walk(const struct nw_json_val *c, int depth)
{
    struct nw_json_iter it;
    struct nw_json_val k, v;
    char buf[64];

    if (depth > 8 || nw_json_iter_init(&it, c) != 0) return;
    for (int n = 0; n < 1000 && nw_json_iter_next(&it, &k, &v) == 1; n++) {
        if (k.type == NW_JSON_STRING) nw_json_val_str(&k, buf, sizeof buf);
        nw_json_val_str(&v, buf, sizeof buf);
        if (v.type == NW_JSON_OBJECT || v.type == NW_JSON_ARRAY) walk(&v, depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *paths[] = {"timestamp", "user.account", "dns.queries.0.rrname", "a.0.b",
                                  "0", ""};
    char *line = malloc(size ? size : 1); /* exact size: ASan sees overreads */
    struct nw_json_val v, root;
    uint64_t us;

    if (line == NULL) return 0;
    memcpy(line, data, size);
    int valid = nw_json_validate(line, size, NULL) == 0;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        int rc = nw_json_get(line, size, paths[i], &v);
        if (valid && rc < 0) abort(); /* a valid line never fails a lookup */
        if (rc == 1 && v.type == NW_JSON_STRING) nw_json_parse_time(v.p, v.len, &us);
    }
    if (nw_json_root(line, size, &root) == 0) walk(&root, 0);
    nw_json_parse_time(line, size, &us);
    {   /* the store's one-pass indexer must agree with the validator */
        size_t sum = 0;
        int rc = nw_store_index_keys(line, size, on_key, &sum);
        if (valid != (rc == 0)) abort();
    }
    {   /* the shape path: each line of the input, exact size */
        static struct nw__shapes *sh, *shg;
        size_t b = 0;
        if (sh == NULL && (sh = nw__shapes_new()) == NULL) abort();
        if (shg == NULL && (shg = nw__shapes_new()) == NULL) abort();
        nw__shapes_on_group(shg, gk_group);
        nw__shapes_reset(sh);
        nw__shapes_reset(shg);
        while (b <= size) {
            const char *nl = b < size ? memchr(line + b, '\n', size - b) : NULL;
            size_t e = nl ? (size_t)(nl - line) : size;
            char *one = malloc(e - b ? e - b : 1);
            if (one == NULL) abort();
            memcpy(one, line + b, e - b);
            if (!shape_check(sh, one, e - b)) abort();
            if (!enc3_check(sh, one, e - b)) abort();
            if (!group_check(shg, one, e - b)) abort();
            free(one);
            b = e + 1;
        }
    }
    free(line);
    return 0;
}
