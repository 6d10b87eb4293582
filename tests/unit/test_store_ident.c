/*
 * test_store_ident.c - the identity frame (BLK_ENC_IDENT, store.h v4
 * only_types): identity records interleaved with traffic come back
 * byte-exact and in append order from a full scan; a scan for identity types
 * reads only the identity frames and delivers exactly those records with
 * their timestamps; blocks with only identity records and with none; the
 * old encodings (NW_STORE_ENC=2, NW_STORE_IDENT=0, NW_STORE_TMPL=0) stay
 * readable; a damaged
 * identity frame is reported; recovery after a torn write.
 */
#include "nw/store.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nw/core.h"
#include "nwtest.h"
#include "store_lines.h"
#include "../../src/store/store_int.h"

#define DAY_US 86400000000ull
#define T0 1768003200ull /* 2026-01-10T00:00:00Z */
#define NREC 400

static char tmpl[64];

static const char *fresh_dir(void)
{
    snprintf(tmpl, sizeof tmpl, "/tmp/nwidentXXXXXX");
    if (mkdtemp(tmpl) == NULL) return NULL;
    strncat(tmpl, "/st", sizeof tmpl - strlen(tmpl) - 1);
    return tmpl;
}

static void rm_rf(const char *d)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%.*s'", (int)(strrchr(d, '/') - d), d);
    if (system(cmd) != 0) {
    }
}

/* What record i is: 0 traffic (radius included: not an identity type),
 * 1 session, 2 alarm, 3 an event_type only a parser could name (escaped /
 * repeated / absent: IDENT_CLASS_ANY). */
static int kind_of(int i, int weird)
{
    if (weird && (i == 50 || i == 51 || i == 52)) return 3;
    if (i >= 200 && i < 260) return 1;   /* blocks holding only identity records */
    if (i >= 260) return 0;              /* blocks holding none */
    return i % 10 == 0 ? 1 : i % 30 == 1 ? 2 : 0;
}

/* Record i of one day; every 7th is 5 s late (zigzag timestamps). */
static size_t make_rec(char *buf, size_t cap, int i, int weird, uint64_t *ts_us)
{
    uint64_t t = T0 + 3600 + (uint64_t)i * 3 - (i % 7 == 3 ? 5 : 0);
    int sec = (int)(t % 86400), k = kind_of(i, weird);
    char ts[64];

    *ts_us = (t * 1000000ull) + (uint64_t)i;
    snprintf(ts, sizeof ts, "2026-01-10T%02d:%02d:%02d.%06d+00:00", sec / 3600, sec / 60 % 60,
             sec % 60, i);
    if (k == 1)
        return (size_t)snprintf(buf, cap,
            "{\"timestamp\":\"%s\",\"event_type\":\"session\",\"src_ip\":\"10.1.%d.%d\","
            "\"session\":{\"state\":\"%s\",\"source\":\"radius\",\"login\":\"%s\"},"
            "\"user\":{\"account\":\"u%d\",\"mac\":\"02:00:00:00:%02x:%02x\"}}",
            ts, i / 250, i % 250, i % 20 ? "start" : "end", ts, i, i / 256, i % 256);
    if (k == 2)
        return (size_t)snprintf(buf, cap,
            "{\"timestamp\":\"%s\",\"event_type\":\"alarm\",\"alarm\":{\"kind\":\"k%d\","
            "\"severity\":\"critical\"}}", ts, i);
    if (k == 0 && i % 10 == 1)
        return (size_t)snprintf(buf, cap,
            "{\"timestamp\":\"%s\",\"event_type\":\"radius\",\"src_ip\":\"10.0.0.1\","
            "\"radius\":{\"code\":4,\"user_name\":\"u%d\",\"framed_ip\":\"10.1.%d.%d\"}}",
            ts, i, i / 250, i % 250);
    if (k == 3 && i == 50)
        return (size_t)snprintf(buf, cap,
            "{\"timestamp\":\"%s\",\"event_type\":\"sess\\u0069on\",\"src_ip\":\"10.9.9.9\"}", ts);
    if (k == 3 && i == 51)
        return (size_t)snprintf(buf, cap,
            "{\"timestamp\":\"%s\",\"event_type\":\"session\",\"event_type\":\"dns\"}", ts);
    if (k == 3)
        return (size_t)snprintf(buf, cap, "{\"timestamp\":\"%s\",\"src_ip\":\"10.9.9.8\"}", ts);
    return (size_t)snprintf(buf, cap,
        "{\"timestamp\":\"%s\",\"flow_id\":%d,\"event_type\":\"%s\",\"src_ip\":\"10.%d.%d.%d\","
        "\"dest_ip\":\"2001:db8::%x\",\"dns\":{\"queries\":[{\"rrname\":\"host%d.example.com\"}]},"
        "\"user\":{\"account\":\"u%d\"},\"n\":%d}",
        ts, i, i % 3 ? "dns" : "flow", i % 7, i % 13, i % 250, i % 5, i % 17, i % 11, i);
}

static uint64_t sim_now;
static uint64_t sim_clock(void *arg)
{
    (void)arg;
    return sim_now;
}

static void opts_small(struct nw_store_opts *o)
{
    nw_store_opts_defaults(o);
    o->block_bytes = 4096;
    o->fsync = NW_STORE_FSYNC_NEVER;
    o->quiet = 1;
    o->clock = sim_clock;
    sim_now = T0 * 1000000 + 10 * DAY_US;
}

struct collect {
    char *all;
    size_t len, cap;
    int n;
    uint64_t ts[NREC];
    int bad_ts;
};

static int on_rec(void *arg, const char *line, size_t len, uint64_t ts)
{
    struct collect *c = arg;
    store_lines_add(&c->all, &c->len, &c->cap, line, len);
    if (c->n < NREC) c->ts[c->n] = ts;
    c->n++;
    return 0;
}

/* The expected output of a scan: the records with kind in mask, in order. */
static char *expected(int mask, int weird, int *n, uint64_t *ts)
{
    char *all = malloc(NREC * 1024), rec[1024];
    size_t len = 0;

    *n = 0;
    for (int i = 0; i < NREC; i++) {
        uint64_t t;
        size_t l = make_rec(rec, sizeof rec, i, weird, &t);
        if (!(mask & (1 << kind_of(i, weird)))) continue;
        memcpy(all + len, rec, l);
        all[len + l] = '\n';
        len += l + 1;
        ts[(*n)++] = t;
    }
    all[len] = '\0';
    return all;
}

static int fill(const char *dir, int weird, struct nw_store_opts *o)
{
    struct nw_store *s;
    struct nw_err err;
    char rec[1024];

    if (nw_store_open(&s, dir, o, &err) != 0) return -1;
    for (int i = 0; i < NREC; i++) {
        uint64_t t;
        size_t l = make_rec(rec, sizeof rec, i, weird, &t);
        if (nw_store_append(s, rec, l, &err) != 0) {
            fprintf(stderr, "append %d: %s\n", i, err.msg);
            nw_store_close(s, &err);
            return -1;
        }
    }
    return nw_store_close(s, &err);
}

static int scan(const char *dir, const char *const *types, const char *needle,
                struct collect *c, struct nw_store_scan_stats *st)
{
    struct nw_store_scan q;
    struct nw_err err;

    memset(c, 0, sizeof *c);
    memset(&q, 0, sizeof q);
    q.until_us = UINT64_MAX;
    q.on_record = on_rec;
    q.arg = c;
    q.only_types = types;
    q.must_contain = needle;
    return nw_store_scan(dir, &q, st, &err);
}

/* The one segment's file name (one day, closed once: one sealed segment). */
static int seg_path(const char *dir, char *out, size_t cap)
{
    snprintf(out, cap, "%s/2026-01-10/000000000001.nws", dir);
    return access(out, F_OK);
}

/* Where a sealed segment's blocks end: its footer. */
static size_t blocks_end(const uint8_t *img, size_t size)
{
    struct trailer t;

    if (size < SEG_HDR_LEN + TRAILER_LEN || nw__trailer_decode(img + size - TRAILER_LEN, &t) != 0)
        return size;
    return (size_t)t.footer_off;
}

/* Per-encoding block counts of a segment; blocks with no / only identity records. */
struct census {
    int enc[5], none, only, mixed;
    long ident_off; /* file offset of the first non-empty identity frame */
};

static int census(const char *path, struct census *cs)
{
    int fd = open(path, O_RDONLY);
    struct stat sb;
    uint8_t *img;
    size_t off = SEG_HDR_LEN;

    memset(cs, 0, sizeof *cs);
    cs->ident_off = -1;
    if (fd < 0 || fstat(fd, &sb) != 0) return -1;
    img = malloc((size_t)sb.st_size);
    if (pread(fd, img, (size_t)sb.st_size, 0) != sb.st_size) return -1;
    close(fd);
    for (int b = 0; b < 10000; b++) {
        struct blk_hdr h;
        struct blk_ident d;
        if (off + BLK_HDR_LEN > blocks_end(img, (size_t)sb.st_size) ||
            nw__blk_hdr_decode(img + off, &h) != 0)
            break;
        if (h.enc <= 4) cs->enc[h.enc]++;
        if (BLK_ENC_HAS_IDENT(h.enc) &&
            nw__ident_dir_decode(img + off + BLK_HDR_LEN + h.filter_len, &h, &d) == 0) {
            if (d.nrec == 0) cs->none++;
            else if (d.nrec == h.nrec) cs->only++;
            else cs->mixed++;
            if (d.nrec && cs->ident_off < 0)
                cs->ident_off = (long)(off + BLK_HDR_LEN + h.filter_len + IDENT_DIR_LEN);
        }
        off += BLK_HDR_LEN + h.filter_len + h.comp_len;
    }
    free(img);
    return 0;
}

/* enc 4 (the default) or, with NW_STORE_ENC=3 or 2, enc 3 or 2: the same behaviour */
static void round_trip(int enc)
{
    static const char *const sess[] = {"session", NULL};
    static const char *const idents[] = {"session", "alarm", NULL};
    static const char *const mixed[] = {"session", "radius", NULL};
    static uint64_t ets[NREC];
    struct nw_store_opts o;
    struct nw_store_scan_stats st, full;
    struct collect c;
    struct census cs;
    struct nw_err err;
    char path[512], *exp;
    const char *dir = fresh_dir();
    int n;

    opts_small(&o);
    if (enc == 2) setenv("NW_STORE_ENC", "2", 1);
    if (enc == 3) setenv("NW_STORE_ENC", "3", 1);
    CHECK_EQ(fill(dir, 0, &o), 0);
    unsetenv("NW_STORE_ENC");
    CHECK_EQ(seg_path(dir, path, sizeof path), 0);
    CHECK_EQ(census(path, &cs), 0);
    CHECK(cs.enc[enc] > 5 && cs.enc[0] == 0 && cs.enc[1] == 0);
    for (int e = 2; e <= 4; e++) CHECK(e == enc || cs.enc[e] == 0);
    CHECK(cs.none >= 2 && cs.only >= 2 && cs.mixed >= 2);
    CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 0);
    /* full scan: every record, byte-exact, in append order, right timestamps */
    exp = expected(0xf, 0, &n, ets);
    CHECK_EQ(scan(dir, NULL, NULL, &c, &full), 0);
    CHECK_EQ(c.n, NREC);
    CHECK_STR(c.all, exp);
    CHECK(memcmp(c.ts, ets, sizeof(uint64_t) * NREC) == 0);
    CHECK_EQ(full.blocks_ident_only, 0);
    free(exp);
    free(c.all);
    /* session only: exactly the session records, through the identity frames */
    exp = expected(1 << 1, 0, &n, ets);
    CHECK_EQ(scan(dir, sess, NULL, &c, &st), 0);
    CHECK_EQ(c.n, n);
    CHECK_STR(c.all, exp);
    CHECK(memcmp(c.ts, ets, sizeof(uint64_t) * (size_t)n) == 0);
    CHECK_EQ(st.damaged, 0);
    CHECK_EQ(st.blocks_ident_only, st.blocks_read);
    CHECK_EQ(st.blocks_skipped_keys, (uint64_t)cs.none); /* no identity record: not read */
    CHECK(st.bytes_decompressed * 2 < full.bytes_decompressed);
    CHECK(st.bytes_read * 2 < full.bytes_read);
    free(exp);
    free(c.all);
    /* two identity types; and a needle on top */
    exp = expected((1 << 1) | (1 << 2), 0, &n, ets);
    CHECK_EQ(scan(dir, idents, NULL, &c, &st), 0);
    CHECK_EQ(c.n, n);
    CHECK_STR(c.all, exp);
    free(exp);
    free(c.all);
    CHECK_EQ(scan(dir, sess, "\"u230\"", &c, &st), 0);
    CHECK_EQ(c.n, 1);
    CHECK_HAS(c.all, "\"account\":\"u230\"");
    free(c.all);
    /* a type outside the identity frame: whole blocks, every record */
    CHECK_EQ(scan(dir, mixed, NULL, &c, &st), 0);
    CHECK_EQ(c.n, NREC);
    CHECK_EQ(st.blocks_ident_only, 0);
    free(c.all);
    rm_rf(dir);
}

TEST(ident_round_trip) { round_trip(4); }
TEST(ident_round_trip_enc3) { round_trip(3); }
TEST(ident_round_trip_enc2) { round_trip(2); }

/* Records whose event_type the writer cannot name go to the identity frame
 * and reach every only_types scan (the caller's exact filter decides). */
TEST(ident_unknown_types_superset)
{
    static const char *const sess[] = {"session", NULL};
    static uint64_t ets[NREC];
    struct nw_store_opts o;
    struct nw_store_scan_stats st;
    struct collect c;
    char *exp;
    const char *dir = fresh_dir();
    int n;

    opts_small(&o);
    CHECK_EQ(fill(dir, 1, &o), 0);
    exp = expected((1 << 1) | (1 << 3), 1, &n, ets);
    CHECK_EQ(scan(dir, sess, NULL, &c, &st), 0);
    CHECK_EQ(c.n, n);
    CHECK_STR(c.all, exp);
    CHECK_HAS(c.all, "sess\\u0069on");
    CHECK(memcmp(c.ts, ets, sizeof(uint64_t) * (size_t)n) == 0);
    free(exp);
    free(c.all);
    exp = expected(0xf, 1, &n, ets);
    CHECK_EQ(scan(dir, NULL, NULL, &c, &st), 0);
    CHECK_STR(c.all, exp);
    free(exp);
    free(c.all);
    rm_rf(dir);
}

/* NW_STORE_IDENT=0 writes enc 1, NW_STORE_TMPL=0 enc 0: both read whole, as before. */
TEST(ident_old_encodings)
{
    static const char *const sess[] = {"session", NULL};
    static uint64_t ets[NREC];
    static const char *const env[2] = {"NW_STORE_IDENT", "NW_STORE_TMPL"};
    struct nw_store_opts o;
    struct nw_store_scan_stats st;
    struct collect c;
    struct census cs;
    char path[512], *exp;
    int n;

    exp = expected(0xf, 1, &n, ets);
    for (int k = 0; k < 2; k++) {
        const char *dir = fresh_dir();
        opts_small(&o);
        setenv(env[k], "0", 1);
        CHECK_EQ(fill(dir, 1, &o), 0);
        unsetenv(env[k]);
        CHECK_EQ(seg_path(dir, path, sizeof path), 0);
        CHECK_EQ(census(path, &cs), 0);
        CHECK(cs.enc[k == 0 ? 1 : 0] > 5 && cs.enc[2] == 0 && cs.enc[3] == 0 && cs.enc[4] == 0);
        CHECK_EQ(scan(dir, NULL, NULL, &c, &st), 0);
        CHECK_STR(c.all, exp);
        free(c.all);
        CHECK_EQ(scan(dir, sess, NULL, &c, &st), 0); /* read whole: every record */
        CHECK_STR(c.all, exp);
        CHECK_EQ(st.blocks_ident_only, 0);
        free(c.all);
        rm_rf(dir);
    }
    free(exp);
}

/* A flipped byte in an identity frame: the block is damaged for both kinds of scan and verify. */
TEST(ident_damaged_frame)
{
    static const char *const sess[] = {"session", NULL};
    struct nw_store_opts o;
    struct nw_store_scan_stats st;
    struct collect c;
    struct census cs;
    struct nw_err err;
    char path[512];
    const char *dir = fresh_dir();
    uint8_t b;
    int fd;

    opts_small(&o);
    CHECK_EQ(fill(dir, 0, &o), 0);
    CHECK_EQ(seg_path(dir, path, sizeof path), 0);
    CHECK_EQ(census(path, &cs), 0);
    CHECK(cs.ident_off > 0);
    fd = open(path, O_RDWR);
    CHECK(fd >= 0);
    CHECK_EQ(pread(fd, &b, 1, cs.ident_off + 5), 1);
    b ^= 0x10;
    CHECK_EQ(pwrite(fd, &b, 1, cs.ident_off + 5), 1);
    close(fd);
    CHECK_EQ(scan(dir, sess, NULL, &c, &st), 0);
    CHECK_EQ(st.damaged, 1);
    free(c.all);
    CHECK_EQ(scan(dir, NULL, NULL, &c, &st), 0);
    CHECK_EQ(st.damaged, 1);
    free(c.all);
    CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 1);
    rm_rf(dir);
}

/*
 * The full decoder checks the identity frame's own hash too: a block whose
 * block hash is right but whose identity hash is not (a writer bug, a
 * partial rewrite) is refused, so a full scan, verify and recovery never
 * accept what an identity-only scan would call damaged.
 */
TEST(ident_hash_checked_by_full_decode)
{
    struct nw_store_opts o;
    struct census cs;
    struct stat sb;
    char path[512];
    const char *dir = fresh_dir();
    uint8_t *img, *raw;
    size_t off = SEG_HDR_LEN;
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    int fd, checked = 0;

    opts_small(&o);
    CHECK_EQ(fill(dir, 0, &o), 0);
    CHECK_EQ(seg_path(dir, path, sizeof path), 0);
    CHECK_EQ(census(path, &cs), 0);
    fd = open(path, O_RDONLY);
    CHECK(fd >= 0 && fstat(fd, &sb) == 0);
    img = malloc((size_t)sb.st_size);
    raw = malloc(BLOCK_MAX_RAW / 16);
    CHECK(pread(fd, img, (size_t)sb.st_size, 0) == sb.st_size);
    close(fd);
    for (int k = 0; k < 1000; k++) {
        struct blk_hdr h;
        uint8_t *comp;
        if (off + BLK_HDR_LEN > blocks_end(img, (size_t)sb.st_size) ||
            nw__blk_hdr_decode(img + off, &h) != 0)
            break;
        comp = img + off + BLK_HDR_LEN + h.filter_len;
        CHECK_EQ(nw__blk_decompress(dctx, &h, comp, raw), 0);
        comp[24] ^= 1; /* the directory's hash */
        CHECK_EQ(nw__blk_decompress(dctx, &h, comp, raw), NW_EFORMAT);
        comp[24] ^= 1;
        comp[8] ^= 1; /* its record count */
        CHECK_EQ(nw__blk_decompress(dctx, &h, comp, raw), NW_EFORMAT);
        comp[8] ^= 1;
        checked++;
        off += BLK_HDR_LEN + h.filter_len + h.comp_len;
    }
    CHECK(checked > 5);
    ZSTD_freeDCtx(dctx);
    free(img);
    free(raw);
    rm_rf(dir);
}

/*
 * Rebuild an IDENT block's frame area with its identity frame re-encoded
 * (flip: one timestamp delta changed by 1 us), hashes made consistent, and
 * decode it whole: the identity frame's timestamps must agree with the
 * block's, else a frame-only scan would report other times than a full one.
 */
static int reencode_ident(ZSTD_DCtx *dctx, const struct blk_hdr *h, const uint8_t *comp,
                          int flip, uint8_t *raw)
{
    struct blk_ident d;
    struct blk_hdr h2 = *h;
    uint8_t *x, *area;
    size_t bulk, cap, nc, sl;
    int rc;

    if (nw__ident_dir_decode(comp, h, &d) != 0 || d.nrec == 0) return 1;
    x = malloc(d.xlen);
    bulk = h->comp_len - IDENT_DIR_LEN - d.comp;
    cap = ZSTD_compressBound(d.xlen);
    area = malloc(IDENT_DIR_LEN + cap + bulk);
    if (ZSTD_decompressDCtx(dctx, x, d.xlen, comp + IDENT_DIR_LEN, d.comp) != d.xlen) return 2;
    sl = (size_t)d.xlen - d.tslen - d.poslen - d.nrec;
    if (flip) x[sl] ^= 0x02; /* the first delta's low bits: still one varint byte or more */
    nc = ZSTD_compress(area + IDENT_DIR_LEN, cap, x, d.xlen, 3);
    memcpy(area + IDENT_DIR_LEN + nc, comp + IDENT_DIR_LEN + d.comp, bulk);
    d.comp = (uint32_t)nc;
    h2.comp_len = (uint32_t)(IDENT_DIR_LEN + nc + bulk);
    nw__ident_dir_encode(area, &d);
    d.hash = nw__ident_hash(&h2, area, area + IDENT_DIR_LEN, d.comp);
    nw__ident_dir_encode(area, &d);
    rc = nw__blk_decompress(dctx, &h2, area, raw);
    free(x);
    free(area);
    return rc;
}

TEST(ident_timestamps_must_agree)
{
    struct nw_store_opts o;
    struct stat sb;
    char path[512];
    const char *dir = fresh_dir();
    uint8_t *img, *raw;
    size_t off = SEG_HDR_LEN;
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    int fd, checked = 0;

    opts_small(&o);
    CHECK_EQ(fill(dir, 0, &o), 0);
    CHECK_EQ(seg_path(dir, path, sizeof path), 0);
    fd = open(path, O_RDONLY);
    CHECK(fd >= 0 && fstat(fd, &sb) == 0);
    img = malloc((size_t)sb.st_size);
    raw = malloc(1 << 20);
    CHECK(pread(fd, img, (size_t)sb.st_size, 0) == sb.st_size);
    close(fd);
    for (int k = 0; k < 1000; k++) {
        struct blk_hdr h;
        struct blk_ident d;
        const uint8_t *comp;
        if (off + BLK_HDR_LEN > blocks_end(img, (size_t)sb.st_size) ||
            nw__blk_hdr_decode(img + off, &h) != 0)
            break;
        comp = img + off + BLK_HDR_LEN + h.filter_len;
        if (nw__ident_dir_decode(comp, &h, &d) == 0 && d.nrec > 0) {
            CHECK_EQ(reencode_ident(dctx, &h, comp, 0, raw), 0); /* control */
            CHECK_EQ(reencode_ident(dctx, &h, comp, 1, raw), NW_EFORMAT);
            checked++;
        }
        off += BLK_HDR_LEN + h.filter_len + h.comp_len;
    }
    CHECK(checked >= 4);
    ZSTD_freeDCtx(dctx);
    free(img);
    free(raw);
    rm_rf(dir);
}

/* A crash with identity frames in the active segment, then a torn block: recovered. */
TEST(ident_crash_recovery)
{
    static const char *const sess[] = {"session", NULL};
    static uint64_t ets[NREC];
    struct nw_store_opts o;
    struct nw_store_scan_stats st;
    struct collect c;
    struct nw_err err;
    char path[512], *exp;
    const char *dir = fresh_dir();
    pid_t pid;
    int status, fd, n;

    opts_small(&o);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) { /* write, flush, die without closing */
        struct nw_store *s;
        char rec[1024];
        if (nw_store_open(&s, dir, &o, &err) != 0) _exit(2);
        for (int i = 0; i < NREC; i++) {
            uint64_t t;
            size_t l = make_rec(rec, sizeof rec, i, 0, &t);
            if (nw_store_append(s, rec, l, &err) != 0) _exit(3);
        }
        nw_store_flush(s, 0, &err);
        _exit(0);
    }
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ(seg_path(dir, path, sizeof path), 0);
    /* the active segment is scanned block by block: identity frames alone */
    exp = expected(1 << 1, 0, &n, ets);
    CHECK_EQ(scan(dir, sess, NULL, &c, &st), 0);
    CHECK_STR(c.all, exp);
    CHECK(st.blocks_ident_only > 0);
    free(c.all);
    fd = open(path, O_WRONLY | O_APPEND);
    CHECK(fd >= 0);
    CHECK(write(fd, "NWBK\x10\x00\x00\x00garbage", 15) == 15);
    close(fd);
    {
        struct nw_store *s;
        CHECK_EQ(nw_store_open(&s, dir, &o, &err), 0);
        CHECK_EQ(nw_store_close(s, &err), 0);
    }
    CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 0);
    CHECK_EQ(scan(dir, NULL, NULL, &c, &st), 0);
    CHECK_EQ(c.n, NREC);
    free(c.all);
    CHECK_EQ(scan(dir, sess, NULL, &c, &st), 0);
    CHECK_STR(c.all, exp);
    free(c.all);
    free(exp);
    rm_rf(dir);
}

NW_TEST_MAIN(NWT_ENTRY(ident_round_trip) NWT_ENTRY(ident_round_trip_enc3) NWT_ENTRY(ident_round_trip_enc2)
                 NWT_ENTRY(ident_unknown_types_superset)
                 NWT_ENTRY(ident_old_encodings) NWT_ENTRY(ident_damaged_frame)
                 NWT_ENTRY(ident_hash_checked_by_full_decode)
                 NWT_ENTRY(ident_timestamps_must_agree) NWT_ENTRY(ident_crash_recovery))
