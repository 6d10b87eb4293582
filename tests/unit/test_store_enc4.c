/*
 * test_store_enc4.c - block encoding 4 (BLK_ENC_IDENT4): the IDENT3 bulk
 * stream with its tokens in columns (nw__enc4_encode, read back by
 * nw__tmpl4_decode / nw__blk_decompress). Round trips of streams with many
 * templates (more than a block's table: verbatim records), user runs and
 * their references, timestamp codes, long values, records without values,
 * one record, exactly 254 templates; damaged columns, directories and
 * skeletons refused with NW_EFORMAT (or, for damage no check can see at this
 * level, decoded to exactly raw_len bytes), never read out of bounds (ASan);
 * a store written with NW_STORE_ENC=3 holds enc 3 blocks whose bulk streams
 * transpose to exactly the enc 4 store's; nw__blk_may_hold never misses.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "nw/store.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nw/core.h"
#include "nwtest.h"
#include "../../src/store/store_int.h"

static void no_key(void *arg, const char *key, size_t n) { (void)arg, (void)key, (void)n; }

/* One coded stream: x = the IDENT3 records (o bytes) then the timestamps (tl bytes). */
struct stream {
    uint8_t *x, *raw, *c, *out;
    size_t o, tl, rl, n, cn; /* cn: the IDENT4 stream (without the timestamps) */
    uint64_t base;
};

/* Record r of set: 0 mixed, 1 one template per record (r < 254), 2 no values. */
static size_t rec_of(char *rec, size_t cap, int set, int r)
{
    if (set == 1)
        return (size_t)snprintf(rec, cap, "{\"timestamp\":\"2026-01-10T00:00:%02d.000000Z\",\"k%d\":%d}",
                                r % 60, r, r);
    if (set == 2) return (size_t)snprintf(rec, cap, r % 2 ? "{}" : "{\"a\": { } }");
    switch (r % 9) {
    case 0: /* a user object: a run, then references to it */
    case 1:
        return (size_t)snprintf(rec, cap,
            "{\"timestamp\":\"2026-01-10T01:%02d:%02d.%06dZ\",\"event_type\":\"dns\",\"src_port\":%d,"
            "\"user\":{\"ip\":\"10.0.%d.%d\",\"account\":\"u%d\",\"mac\":\"02:00:00:00:00:%02x\"}}",
            r / 60 % 60, r % 60, r % 1000000, 1024 + r * 7 % 60000, r % 13, r % 7, r % 13,
            r % 13);
    case 2: /* long values: more than a 64-byte window */
        return (size_t)snprintf(rec, cap,
            "{\"timestamp\":\"2026-01-10T02:00:00.000000+08:00\",\"http\":{\"url\":\"/%0*d\","
            "\"ua\":\"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 %d\"}}",
            10 + r % 150, r, r);
    case 3: /* more templates than a block holds: past 254 they are verbatim */
        return (size_t)snprintf(rec, cap, "{\"timestamp\":\"2026-01-10T03:00:00Z\",\"t%d\":\"%d\"}",
                                r / 9, r);
    case 4: /* no values at all */
        return (size_t)snprintf(rec, cap, "{\"a\":{},\"b\":[]}");
    case 5: /* the timestamp a code, another timestamp not (leap second) */
        return (size_t)snprintf(rec, cap,
            "{\"timestamp\":\"2026-01-10T04:00:%02d.%06dZ\",\"x\":\"2026-01-10T23:59:60.000000Z\","
            "\"e\":\"\",\"n\":null,\"b\":true}", r % 60, r);
    case 6: /* user objects that are not runs (one value; nested) */
        return (size_t)snprintf(rec, cap,
            "{\"timestamp\":\"2026-01-10T05:00:00.000000Z\",\"user\":{\"ip\":\"%d\"},\"u\":{\"user\":"
            "{\"a\":\"1\",\"b\":\"2\"}}}", r);
    case 7: /* a run in another template than its definition */
        return (size_t)snprintf(rec, cap,
            "{\"timestamp\":\"2026-01-10T06:00:00.000000Z\",\"event_type\":\"tls\",\"user\":{\"ip\":"
            "\"10.0.%d.%d\",\"account\":\"u%d\",\"mac\":\"02:00:00:00:00:%02x\"},\"sni\":\"a%d.example\"}",
            r % 13, r % 7, r % 13, r % 13, r);
    default: /* escapes and numbers */
        return (size_t)snprintf(rec, cap, "{\"q\":\"a\\\"b\\\\c\\u00e9 %d\",\"f\":-1.5e%d,\"z\":[%d,%d]}",
                                r, r % 30, r, -r);
    }
}

static int build(struct stream *st, int set, int n)
{
    static char rec[8192];
    static uint32_t spanv[2 * 1024];
    static uint64_t tsv[20000];
    static struct tmpl_enc te;
    struct nw__spans sp = {.v = spanv, .cap = NW_ARRAY_LEN(spanv)};
    size_t cap = 8 << 20;

    memset(st, 0, sizeof *st);
    st->x = malloc(cap);
    st->raw = malloc(cap);
    st->out = malloc(cap);
    st->c = malloc(ENC4_ROOM(cap));
    if (!st->x || !st->raw || !st->out || !st->c || n > 20000) return -1;
    st->base = UINT64_MAX;
    nw__tmpl_reset(&te);
    for (int r = 0; r < n; r++) {
        size_t len = rec_of(rec, sizeof rec, set, r);
        uint64_t ts = 0;
        int rc = nw__index_record(rec, len, &ts, no_key, NULL, &sp);
        if (rc == NW_ENOENT) ts = 1768003200000000ull + (uint64_t)r; /* no timestamp member */
        else if (rc != 0) return -1;
        st->o = nw__tmpl3_add(&te, st->x, st->o, rec, len, &sp, NULL, ts);
        memcpy(st->raw + st->rl, rec, len);
        st->raw[st->rl + len] = '\n';
        st->rl += len + 1;
        tsv[st->n++] = ts;
        if (ts < st->base) st->base = ts;
    }
    nw__tmpl_fini(&te);
    st->tl = nw__ts_encode(st->x + st->o, tsv, st->n, st->base);
    memcpy(st->raw + st->rl, st->x + st->o, st->tl);
    st->cn = nw__enc4_encode(NULL, st->x, st->o, st->n, st->c, ENC4_ROOM(st->o));
    if (st->cn == 0) return -1;
    memcpy(st->c + st->cn, st->x + st->o, st->tl);
    return 0;
}

static void drop(struct stream *st)
{
    free(st->x);
    free(st->raw);
    free(st->out);
    free(st->c);
}

/* Decode y[0..yl) (an IDENT4 stream with the timestamps) as st's block. */
static int dec(struct stream *st, const uint8_t *y, size_t yl)
{
    memset(st->out, 0xee, st->rl + st->tl);
    return nw__tmpl4_decode(y, yl, st->out, st->rl, st->rl + st->tl, st->n, st->base);
}

static int exact(struct stream *st) { return memcmp(st->out, st->raw, st->rl + st->tl) == 0; }

/* C's parts: skeleton, then the directory (ncol, lengths), then the columns. */
struct parts {
    size_t sl, ncol, dir_end;
    uint32_t len[ENC4_COL_MAX];
    size_t off[ENC4_COL_MAX];
};

static size_t varint(uint8_t *o, uint32_t v)
{
    size_t n = 0;
    for (; v >= 0x80; v >>= 7) o[n++] = (uint8_t)(v | 0x80);
    o[n++] = (uint8_t)v;
    return n;
}

static uint32_t get_varint(const uint8_t *p, size_t *i)
{
    uint32_t v = 0;
    for (int sh = 0;; sh += 7) {
        v |= (uint32_t)(p[*i] & 0x7f) << sh;
        if (!(p[(*i)++] & 0x80)) return v;
    }
}

static void split(const struct stream *st, struct parts *p)
{
    size_t i, at;

    p->sl = le32_get(st->c);
    i = 4 + p->sl;
    p->ncol = get_varint(st->c, &i);
    for (size_t k = 0; k < p->ncol; k++) p->len[k] = get_varint(st->c, &i);
    p->dir_end = i;
    at = i;
    for (size_t k = 0; k < p->ncol; k++) p->off[k] = at, at += p->len[k];
}

/* Reassemble C (+ timestamps) into y from st's skeleton, the lengths len[] and
 * the columns' bytes taken from src[k] (its own len[k] bytes); returns its size. */
static size_t assemble(const struct stream *st, const struct parts *p, const uint32_t *len,
                       const uint8_t *const *src, size_t ncol, uint8_t *y)
{
    size_t o = 4 + p->sl;

    memcpy(y, st->c, o);
    o += varint(y + o, (uint32_t)ncol);
    for (size_t k = 0; k < ncol; k++) o += varint(y + o, len[k]);
    for (size_t k = 0; k < ncol; k++) memcpy(y + o, src[k], len[k]), o += len[k];
    memcpy(y + o, st->c + st->cn, st->tl);
    return o + st->tl;
}

TEST(enc4_round_trips)
{
    static const struct {
        int set, n;
    } cases[] = {{0, 4000}, {0, 1}, {0, 9}, {1, 254}, {1, 1}, {2, 50}, {0, 19999}};
    struct stream st;

    for (size_t k = 0; k < NW_ARRAY_LEN(cases); k++) {
        CHECK_EQ(build(&st, cases[k].set, cases[k].n), 0);
        CHECK_EQ(dec(&st, st.c, st.cn + st.tl), 0);
        CHECK(exact(&st));
        /* the enc 3 stream decodes to the same bytes */
        CHECK_EQ(nw__tmpl3_decode(st.x, st.o + st.tl, st.out, st.rl, st.rl + st.tl, st.n, st.base), 0);
        CHECK(exact(&st));
        if (cases[k].set == 1 && cases[k].n == 254) {
            struct parts *p = malloc(sizeof *p);
            split(&st, p);
            CHECK_EQ(p->ncol, 2 * 254); /* per template: the timestamp code, k<r> */
            free(p);
        }
        if (cases[k].set == 2) CHECK_EQ(st.cn, 4 + (st.o) + 1); /* a skeleton, no column */
        drop(&st);
    }
}

TEST(enc4_damaged_columns)
{
    struct stream st;
    struct parts *p = malloc(sizeof *p);
    uint32_t *len = malloc(sizeof(uint32_t) * ENC4_COL_MAX);
    const uint8_t **src = malloc(sizeof *src * ENC4_COL_MAX);
    uint8_t *y, *big;
    size_t yl, a, b;
    int decoded = 0, refused = 0;

    CHECK(p && len && src);
    CHECK_EQ(build(&st, 0, 4000), 0);
    split(&st, p);
    CHECK(p->ncol > 100);
    y = malloc(st.cn + st.tl + 4096);
    big = malloc(st.cn + st.tl + 4096);
    CHECK(y && big);
    for (size_t k = 0; k < p->ncol; k++) len[k] = p->len[k], src[k] = st.c + p->off[k];
    /* as it is, reassembled: exact */
    yl = assemble(&st, p, len, src, p->ncol, y);
    CHECK_EQ(yl, st.cn + st.tl);
    CHECK_EQ(dec(&st, y, yl), 0);
    CHECK(exact(&st));
    /* a column one byte longer, the next one shorter (the same total): the
     * first is not used up, so refused */
    a = 3;
    len[a]++, len[a + 1]--, src[a + 1]++;
    yl = assemble(&st, p, len, src, p->ncol, y);
    CHECK_EQ(dec(&st, y, yl), NW_EFORMAT);
    len[a]--, len[a + 1]++, src[a + 1]--;
    /* the last column one byte short (C one byte shorter): its last token has no end */
    len[p->ncol - 1]--;
    yl = assemble(&st, p, len, src, p->ncol, y);
    CHECK_EQ(dec(&st, y, yl), NW_EFORMAT);
    len[p->ncol - 1]++;
    /* a column with one token more than its records read: not used up */
    memcpy(big, src[a], len[a]);
    memcpy(big + len[a], "x", 2);
    src[a] = big;
    len[a] += 2;
    yl = assemble(&st, p, len, src, p->ncol, y);
    CHECK_EQ(dec(&st, y, yl), NW_EFORMAT);
    len[a] -= 2;
    src[a] = st.c + p->off[a];
    /* a column longer by the bytes after it; a length past C's end; the
     * directory's count one more, one less, none */
    len[0] += 1000;
    yl = assemble(&st, p, len, src, p->ncol, y);
    CHECK_EQ(dec(&st, y, yl), NW_EFORMAT);
    le32_put(y + 4 + p->sl + 1 + (len[0] >= 128) + (len[0] >= 16384), 0);
    CHECK_EQ(dec(&st, y, yl - 1000), NW_EFORMAT);
    len[0] -= 1000;
    len[p->ncol] = 0;
    src[p->ncol] = st.c;
    yl = assemble(&st, p, len, src, p->ncol + 1, y); /* an empty column nobody uses */
    CHECK_EQ(dec(&st, y, yl), NW_EFORMAT);
    yl = assemble(&st, p, len, src, p->ncol - 1, y);
    CHECK_EQ(dec(&st, y, yl), NW_EFORMAT);
    yl = assemble(&st, p, len, src, 0, y);
    CHECK_EQ(dec(&st, y, yl), NW_EFORMAT);
    /* two columns swapped (lengths and bytes): refused, or raw_len bytes of other values */
    for (a = 0; a + 1 < p->ncol; a += 7) {
        b = (a * 31 + 5) % p->ncol;
        if (a == b) continue;
        {
            uint32_t tl = len[a];
            const uint8_t *ts = src[a];
            len[a] = len[b], src[a] = src[b], len[b] = tl, src[b] = ts;
            yl = assemble(&st, p, len, src, p->ncol, y);
            if (dec(&st, y, yl) == NW_EFORMAT) {
                refused++;
            } else {
                decoded++;
                CHECK(!exact(&st) || memcmp(src[a], src[b], len[a]) == 0);
            }
            len[b] = len[a], src[b] = src[a], len[a] = tl, src[a] = ts;
        }
    }
    CHECK(refused > 0 && decoded > 0); /* plain columns of equal token counts read as others */
    free(y);
    free(big);
    free(p);
    free(len);
    free(src);
    drop(&st);
}

TEST(enc4_damaged_skeleton)
{
    struct stream st;
    uint8_t *y;
    size_t yl, sl;

    CHECK_EQ(build(&st, 0, 2000), 0);
    yl = st.cn + st.tl;
    y = malloc(yl);
    CHECK(y != NULL);
    sl = le32_get(st.c);
    /* the first record uses template 1 before its definition */
    memcpy(y, st.c, yl);
    CHECK_EQ(y[4], 0xff);
    y[4] = 1;
    CHECK_EQ(dec(&st, y, yl), NW_EFORMAT);
    /* a template id past those defined */
    memcpy(y, st.c, yl);
    for (size_t i = 4; i < 4 + sl; i++) /* the first id byte after the first definition */
        if (y[i] == 0xff) {
            i += 3 + ((size_t)y[i + 1] | (size_t)y[i + 2] << 8);
            if (y[i] != 0xff && y[i] != 0) {
                y[i] = 0xfe;
                break;
            }
        }
    CHECK_EQ(dec(&st, y, yl), NW_EFORMAT);
    /* the skeleton's length one short, one long, past the end */
    for (int d = -1; d <= 1; d += 2) {
        memcpy(y, st.c, yl);
        le32_put(y, (uint32_t)((long)sl + d));
        CHECK_EQ(dec(&st, y, yl), NW_EFORMAT);
    }
    memcpy(y, st.c, yl);
    le32_put(y, UINT32_MAX);
    CHECK_EQ(dec(&st, y, yl), NW_EFORMAT);
    /* one record more than the stream holds, one fewer */
    CHECK_EQ(nw__tmpl4_decode(st.c, yl, st.out, st.rl, st.rl + st.tl, st.n + 1, st.base), NW_EFORMAT);
    CHECK_EQ(nw__tmpl4_decode(st.c, yl, st.out, st.rl, st.rl + st.tl, st.n - 1, st.base), NW_EFORMAT);
    /* cut anywhere: refused */
    for (size_t cut = 0; cut < yl; cut += 1 + cut / 3)
        CHECK_EQ(nw__tmpl4_decode(st.c, cut, st.out, st.rl, st.rl + st.tl, st.n, st.base), NW_EFORMAT);
    free(y);
    drop(&st);
}

TEST(enc4_random_damage)
{
    struct stream st;
    size_t yl;
    int ok = 0, bad = 0;

    CHECK_EQ(build(&st, 0, 1500), 0);
    yl = st.cn + st.tl;
    srand(17);
    for (int k = 0; k < 3000; k++) {
        size_t l = yl;
        uint8_t *y = malloc(l); /* exact size: ASan sees overreads */
        int rc;
        CHECK(y != NULL);
        memcpy(y, st.c, l);
        for (int f = 0; f < 1 + k % 4; f++) y[(size_t)rand() % l] = (uint8_t)rand();
        if (k % 7 == 0) l = (size_t)rand() % l;
        rc = dec(&st, y, l);
        CHECK(rc == 0 || rc == NW_EFORMAT);
        if (rc == 0) ok++;
        else bad++;
        free(y);
    }
    CHECK(bad > ok);
    drop(&st);
}

/*
 * The store: default blocks are enc 4; NW_STORE_ENC=3 writes enc 3 blocks
 * whose bulk streams transpose to exactly the enc 4 ones (the rest of each
 * block, filter and identity frame, the same bytes), and both read back the
 * same records.
 */
static const char *mkdir_tmp(char *b, size_t cap)
{
    snprintf(b, cap, "/tmp/nwenc4XXXXXX");
    return mkdtemp(b);
}

static uint8_t *slurp(const char *path, size_t *n)
{
    struct stat sb;
    int fd = open(path, O_RDONLY);
    uint8_t *b;

    if (fd < 0 || fstat(fd, &sb) != 0) return NULL;
    b = malloc((size_t)sb.st_size + 1);
    if (b && pread(fd, b, (size_t)sb.st_size, 0) != sb.st_size) {
        free(b);
        b = NULL;
    }
    close(fd);
    *n = (size_t)sb.st_size;
    return b;
}

struct sum {
    int n;
    uint64_t h;
};

static int on_sum(void *arg, const char *line, size_t len, uint64_t ts)
{
    struct sum *c = arg;
    c->n++;
    c->h = nw__store_hash64(line, len, c->h ^ ts);
    return 0;
}

/* esc: records 3000..3039 are http records with escaped URLs (in the bulk columns) */
static int write_store(const char *dir, const char *enc, int n, int esc)
{
    struct nw_store *s;
    struct nw_store_opts o;
    struct nw_err err;
    char rec[8192];

    nw_store_opts_defaults(&o);
    o.block_bytes = 64 << 10;
    o.fsync = NW_STORE_FSYNC_NEVER;
    o.quiet = 1;
    if (enc) setenv("NW_STORE_ENC", enc, 1);
    else unsetenv("NW_STORE_ENC");
    if (nw_store_open(&s, dir, &o, &err) != 0) return -1;
    unsetenv("NW_STORE_ENC");
    for (int r = 0; r < n; r++) {
        size_t l = rec_of(rec, sizeof rec, 0, r);
        if (r % 9 == 4 || r % 9 == 8) { /* the store wants a timestamp */
            l = (size_t)snprintf(rec, sizeof rec, "{\"timestamp\":\"2026-01-10T07:00:00Z\","
                                 "\"event_type\":\"%s\",\"a\":{},\"n\":%d}",
                                 r % 18 == 4 ? "session" : "alarm", r);
        }
        if (esc && r >= 3000 && r < 3040) /* "/esc/" is not in their text */
            l = (size_t)snprintf(rec, sizeof rec, "{\"timestamp\":\"2026-01-10T08:00:00Z\","
                                 "\"event_type\":\"http\",\"http\":{\"url\":\"\\/esc\\/%d\"}}",
                                 r);
        if (nw_store_append(s, rec, l, &err) != 0) {
            fprintf(stderr, "append %d: %s\n", r, err.msg);
            return -1;
        }
    }
    return nw_store_close(s, &err);
}

TEST(enc4_store_and_enc3)
{
    char d3[64], d4[64], p3[128], p4[128];
    size_t n3, n4, o3 = SEG_HDR_LEN, o4 = SEG_HDR_LEN;
    uint8_t *i3, *i4, *x3 = malloc(BLOCK_MAX_RAW), *x4 = malloc(BLOCK_MAX_RAW);
    uint8_t *t = malloc(ENC4_ROOM(BLOCK_MAX_RAW));
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    struct nw_err err;
    struct trailer tr;
    size_t e3;
    int blocks = 0;

    CHECK(x3 && x4 && t && dctx);
    CHECK(mkdir_tmp(d3, sizeof d3) && mkdir_tmp(d4, sizeof d4));
    CHECK_EQ(write_store(d3, "3", 6000, 0), 0);
    CHECK_EQ(write_store(d4, NULL, 6000, 0), 0);
    {
        struct nw_store_scan q3, q4; /* both read back the same records */
        struct nw_store_scan_stats s3, s4;
        struct sum c3 = {0, 0}, c4 = {0, 0};
        memset(&q3, 0, sizeof q3);
        q3.until_us = UINT64_MAX;
        q3.on_record = on_sum;
        q4 = q3;
        q3.arg = &c3;
        q4.arg = &c4;
        CHECK_EQ(nw_store_scan(d3, &q3, &s3, &err), 0);
        CHECK_EQ(nw_store_scan(d4, &q4, &s4, &err), 0);
        CHECK(c3.n == 6000 && c4.n == 6000 && c3.h == c4.h && s4.damaged == 0);
    }
    CHECK_EQ(nw_store_verify(d4, NULL, NULL, &err), 0);
    snprintf(p3, sizeof p3, "%s/2026-01-10/000000000001.nws", d3);
    snprintf(p4, sizeof p4, "%s/2026-01-10/000000000001.nws", d4);
    CHECK((i3 = slurp(p3, &n3)) != NULL && (i4 = slurp(p4, &n4)) != NULL);
    CHECK(n4 < n3);
    CHECK(n3 > TRAILER_LEN && nw__trailer_decode(i3 + n3 - TRAILER_LEN, &tr) == 0);
    e3 = (size_t)tr.footer_off; /* the blocks end there (the footer copies their headers) */
    for (;;) {
        struct blk_hdr h3, h4;
        struct blk_ident d3i, d4i;
        const uint8_t *a3, *a4;
        size_t b3, b4, r;
        if (o3 + BLK_HDR_LEN > e3 || nw__blk_hdr_decode(i3 + o3, &h3) != 0) break;
        CHECK_EQ(nw__blk_hdr_decode(i4 + o4, &h4), 0);
        CHECK_EQ(h3.enc, BLK_ENC_IDENT3);
        CHECK_EQ(h4.enc, BLK_ENC_IDENT4);
        CHECK(h3.nrec == h4.nrec && h3.raw_len == h4.raw_len && h3.recs_len == h4.recs_len &&
              h3.filter_len == h4.filter_len && h3.min_ts == h4.min_ts);
        CHECK(memcmp(i3 + o3 + BLK_HDR_LEN, i4 + o4 + BLK_HDR_LEN, h3.filter_len) == 0);
        a3 = i3 + o3 + BLK_HDR_LEN + h3.filter_len;
        a4 = i4 + o4 + BLK_HDR_LEN + h4.filter_len;
        CHECK_EQ(nw__ident_dir_decode(a3, &h3, &d3i), 0);
        CHECK_EQ(nw__ident_dir_decode(a4, &h4, &d4i), 0);
        CHECK(d3i.comp == d4i.comp && d3i.nrec == d4i.nrec &&
              memcmp(a3 + IDENT_DIR_LEN, a4 + IDENT_DIR_LEN, d3i.comp) == 0);
        b3 = ZSTD_decompressDCtx(dctx, x3, BLOCK_MAX_RAW, a3 + IDENT_DIR_LEN + d3i.comp,
                                 h3.comp_len - IDENT_DIR_LEN - d3i.comp);
        b4 = ZSTD_decompressDCtx(dctx, x4, BLOCK_MAX_RAW, a4 + IDENT_DIR_LEN + d4i.comp,
                                 h4.comp_len - IDENT_DIR_LEN - d4i.comp);
        CHECK(b3 == h3.xlen && b4 == h4.xlen);
        r = nw__enc4_encode(NULL, x3, b3 - (h3.raw_len - h3.recs_len), h3.nrec - d3i.nrec, t,
                            ENC4_ROOM(b3));
        CHECK(r + (h3.raw_len - h3.recs_len) == b4 && memcmp(t, x4, r) == 0);
        CHECK(memcmp(x3 + b3 - (h3.raw_len - h3.recs_len), x4 + r, h3.raw_len - h3.recs_len) == 0);
        /* and the whole block reads back through nw__blk_decompress */
        CHECK_EQ(nw__blk_decompress(dctx, &h4, a4, x4), 0);
        CHECK_EQ(nw__blk_decompress(dctx, &h3, a3, x3), 0);
        CHECK(memcmp(x3, x4, h3.raw_len) == 0);
        /* a flipped byte in the bulk frame: the block hash refuses it */
        {
            uint8_t *f = (uint8_t *)a4 + IDENT_DIR_LEN + d4i.comp + 7;
            uint8_t hb[BLK_HDR_LEN];
            *f ^= 0x20;
            nw__blk_hdr_encode(hb, &h4);
            CHECK(nw__blk_hash(hb, i4 + o4 + BLK_HDR_LEN, h4.filter_len, a4, h4.comp_len) != h4.hash);
            *f ^= 0x20;
        }
        o3 += BLK_HDR_LEN + h3.filter_len + h3.comp_len;
        o4 += BLK_HDR_LEN + h4.filter_len + h4.comp_len;
        blocks++;
    }
    CHECK(blocks >= 8);
    free(i3);
    free(i4);
    free(x3);
    free(x4);
    free(t);
    ZSTD_freeDCtx(dctx);
    {
        char cmd[200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", d3, d4);
        if (system(cmd) != 0) {
        }
    }
}

/*
 * nw__blk_may_hold (a scan's needle looked for in a block's frames, not
 * expanded) never says "no" for a block whose records hold the needle or a
 * backslash: enc 2, 3 and 4 stores of write_store's records (runs,
 * timestamp codes, verbatim records past 254 templates, identity frames,
 * a stretch of records with escapes); needles are random pieces of the
 * blocks' own text that meet the contract (no JSON punctuation, white
 * space or control byte, not timestamp characters alone), and absent ones.
 * On enc 4 blocks without a backslash it must also say "no" for some.
 */
static int blockwise(const uint8_t *p, size_t n)
{
    int ts_only = 1;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f || memchr("\"\\,:{}[] ", p[i], 9) != NULL) return 0;
        if (!((p[i] >= '0' && p[i] <= '9') || memchr("-T.+Z", p[i], 5) != NULL)) ts_only = 0;
    }
    return n > 0 && !ts_only;
}

TEST(may_hold_never_misses)
{
    static const char *const encs[] = {NULL, "3", "2"};
    uint8_t *raw = malloc(BLOCK_MAX_RAW), *xb = NULL;
    size_t xcap = 0;
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    uint64_t seed = 7;

    CHECK(raw && dctx);
    for (size_t e = 0; e < NW_ARRAY_LEN(encs); e++) {
        char d[64], path[128], cmd[120];
        size_t n, o = SEG_HDR_LEN;
        uint8_t *img;
        struct trailer tr;
        int blocks = 0, nos = 0, checked = 0, esc_blocks = 0;

        CHECK(mkdir_tmp(d, sizeof d) != NULL);
        CHECK_EQ(write_store(d, encs[e], 6000, 1), 0);
        snprintf(path, sizeof path, "%s/2026-01-10/000000000001.nws", d);
        CHECK((img = slurp(path, &n)) != NULL);
        CHECK(n > TRAILER_LEN && nw__trailer_decode(img + n - TRAILER_LEN, &tr) == 0);
        while (o + BLK_HDR_LEN <= tr.footer_off) {
            struct blk_hdr h;
            const uint8_t *comp;
            int esc;
            CHECK_EQ(nw__blk_hdr_decode(img + o, &h), 0);
            CHECK_EQ(h.enc, e == 0 ? BLK_ENC_IDENT4 : e == 1 ? BLK_ENC_IDENT3 : BLK_ENC_IDENT);
            comp = img + o + BLK_HDR_LEN + h.filter_len;
            CHECK_EQ(nw__blk_decompress(dctx, &h, comp, raw), 0);
            esc = memchr(raw, '\\', h.recs_len) != NULL;
            esc_blocks += esc;
            for (int k = 0; k < 600; k++) {
                uint8_t nd[16];
                size_t nl, at;
                int truth, got;
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                nl = 1 + (size_t)(seed >> 60) % 12;
                at = (size_t)(seed >> 20) % (h.recs_len - nl);
                if (k % 5 == 4) { /* absent (most likely), or the escaped url's plain text */
                    nl = (size_t)snprintf((char *)nd, sizeof nd, k % 10 == 4 ? "zq%dx" : "/esc/",
                                          k);
                } else {
                    memcpy(nd, raw + at, nl);
                }
                if (!blockwise(nd, nl)) continue;
                truth = esc || memmem(raw, h.recs_len, nd, nl) != NULL;
                got = nw__blk_may_hold(dctx, &h, comp, nd, nl, &xb, &xcap);
                CHECK(got >= 0 && got <= 2);
                if (got == 1) { /* the bulk frame it kept expands to the same bytes */
                    static uint8_t again[BLOCK_MAX_RAW];
                    CHECK_EQ(nw__blk_decompress_x(dctx, &h, comp, xb, again), 0);
                    CHECK(memcmp(again, raw, h.raw_len) == 0);
                }
                if (truth && got == 0) {
                    fprintf(stderr, "enc %s block %d: missed '%.*s'\n", encs[e] ? encs[e] : "4",
                            blocks, (int)nl, nd);
                    CHECK(0);
                }
                nos += got == 0;
                checked++;
            }
            o += BLK_HDR_LEN + h.filter_len + h.comp_len;
            blocks++;
        }
        fprintf(stderr, "enc %s: %d blocks, %d needles, %d no, %d with escapes\n",
                encs[e] ? encs[e] : "4", blocks, checked, nos, esc_blocks);
        CHECK(blocks >= 8 && checked > 1000 && esc_blocks >= 1);
        if (e == 0) CHECK(nos > 100); /* enc 4: it does skip */
        free(img);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
        if (system(cmd) != 0) {
        }
    }
    free(raw);
    nw_free(xb);
    ZSTD_freeDCtx(dctx);
}

NW_TEST_MAIN(NWT_ENTRY(enc4_round_trips) NWT_ENTRY(enc4_damaged_columns)
             NWT_ENTRY(enc4_damaged_skeleton) NWT_ENTRY(enc4_random_damage)
             NWT_ENTRY(enc4_store_and_enc3) NWT_ENTRY(may_hold_never_misses))
