/*
 * test_store_keydir.c - the key directory of sealed segments (store_int.h
 * KDIR_*, docs/internals/store.md): a session.ip lookup (who's session
 * pass, with and without only_types) returns exactly the same records from
 * a store sealed with the directory as from one sealed without it
 * (NW_STORE_KDIR=0), for addresses present and absent, and reads no block
 * filter where the directory answers; the directory names only blocks that
 * hold the key; a damaged directory is reported by verify and the lookup
 * falls back to the filters (same records, never a crash); a malformed one
 * is refused by its decoder; recovery seals with a directory too.
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
#define NREC 3000
#define NIP 60

static char tmpl[2][64];

static const char *fresh_dir(int k)
{
    snprintf(tmpl[k], sizeof tmpl[k], "/tmp/nwkdirXXXXXX");
    if (mkdtemp(tmpl[k]) == NULL) return NULL;
    strncat(tmpl[k], "/st", sizeof tmpl[k] - strlen(tmpl[k]) - 1);
    return tmpl[k];
}

static void rm_rf(const char *d)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%.*s'", (int)(strrchr(d, '/') - d), d);
    if (system(cmd) != 0) {
    }
}

/* Record i: every 9th a session start or end of address 10.1.0.(i % NIP), the
 * others traffic from the same addresses (ip:X is in nearly every block). */
static size_t make_rec(char *buf, size_t cap, int i)
{
    uint64_t t = T0 + 3600 + (uint64_t)i * 7;
    int sec = (int)(t % 86400);
    char ts[64];

    snprintf(ts, sizeof ts, "2026-01-10T%02d:%02d:%02d.%06d+00:00", sec / 3600, sec / 60 % 60,
             sec % 60, i);
    if (i % 9 == 0)
        return (size_t)snprintf(buf, cap,
            "{\"timestamp\":\"%s\",\"event_type\":\"session\",\"src_ip\":\"10.1.0.%d\","
            "\"session\":{\"state\":\"%s\",\"source\":\"radius\",\"login\":\"%s\"},"
            "\"user\":{\"account\":\"u%d\"}}",
            ts, i % NIP, i % 18 ? "start" : "end", ts, i % NIP);
    return (size_t)snprintf(buf, cap,
        "{\"timestamp\":\"%s\",\"event_type\":\"dns\",\"src_ip\":\"10.1.0.%d\","
        "\"dest_ip\":\"10.9.9.9\",\"dns\":{\"rrname\":\"h%d.example.com\"}}",
        ts, i % NIP, i);
}

static uint64_t sim_clock(void *arg)
{
    (void)arg;
    return T0 * 1000000 + 10 * DAY_US; /* retention keeps the day */
}

static void opts_small(struct nw_store_opts *o)
{
    nw_store_opts_defaults(o);
    o->clock = sim_clock;
    o->block_bytes = 4096;
    o->segment_bytes = 12 << 10; /* several segments */
    o->fsync = NW_STORE_FSYNC_NEVER;
    o->quiet = 1;
}

/* kdir: the NW_STORE_KDIR value ("0" none, "2" read back at seal) or NULL (default) */
static int fill(const char *dir, const char *kdir)
{
    struct nw_store_opts o;
    struct nw_store *s;
    struct nw_err err;
    char rec[1024];
    int rc;

    opts_small(&o);
    if (kdir) setenv("NW_STORE_KDIR", kdir, 1);
    rc = nw_store_open(&s, dir, &o, &err);
    unsetenv("NW_STORE_KDIR");
    if (rc != 0) return -1;
    for (int i = 0; i < NREC; i++)
        if (nw_store_append(s, rec, make_rec(rec, sizeof rec, i), &err) != 0) {
            nw_store_close(s, &err);
            return -1;
        }
    return nw_store_close(s, &err);
}

struct collect {
    char *all;
    size_t len, cap;
    int n;
};

static int on_rec(void *arg, const char *line, size_t len, uint64_t ts)
{
    struct collect *c = arg;
    (void)ts;
    store_lines_add(&c->all, &c->len, &c->cap, line, len);
    c->n++;
    return 0;
}

/* who's session pass for ip: groups session.ip:IP AND ip:IP; only_types session or none. */
static int lookup(const char *dir, const char *ip, int ident, struct collect *c,
                  struct nw_store_scan_stats *st)
{
    static const char *const sess[] = {"session", NULL};
    char k1[64], k2[64];
    const char *g1[] = {k1, NULL}, *g2[] = {k2, NULL};
    const char *const *groups[] = {g1, g2};
    struct nw_store_scan q;
    struct nw_err err;

    snprintf(k1, sizeof k1, "session.ip:%s", ip);
    snprintf(k2, sizeof k2, "ip:%s", ip);
    memset(c, 0, sizeof *c);
    memset(&q, 0, sizeof q);
    q.until_us = UINT64_MAX;
    q.groups = groups;
    q.ngroups = 2;
    q.on_record = on_rec;
    q.arg = c;
    q.only_types = ident ? sess : NULL;
    return nw_store_scan(dir, &q, st, &err);
}

/* The session records of ip, in order, as on_rec collects them. */
static int count_sessions(const char *all, const char *ip)
{
    char pat[96];
    int n = 0;

    snprintf(pat, sizeof pat, "\"event_type\":\"session\",\"src_ip\":\"%s\"", ip);
    for (const char *p = all ? strstr(all, pat) : NULL; p; p = strstr(p + 1, pat)) n++;
    return n;
}

/* The lines of all that are session records of ip, in order (caller frees). */
static char *sessions_of(const char *all, const char *ip)
{
    char pat[96], *out = calloc(1, all ? strlen(all) + 1 : 1);
    size_t o = 0;

    snprintf(pat, sizeof pat, "\"event_type\":\"session\",\"src_ip\":\"%s\"", ip);
    for (const char *p = all; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
        char line[1024];
        if (n < sizeof line) {
            memcpy(line, p, n);
            line[n] = '\0';
            if (strstr(line, pat)) memcpy(out + o, p, n), o += n;
        }
        p += n;
    }
    out[o] = '\0';
    return out;
}

/* How many session records make_rec gives address 10.1.0.i. */
static int expected_sessions(int i)
{
    int n = 0;
    for (int k = 0; k < NREC; k += 9) n += k % NIP == i;
    return n;
}

static int seg_files(const char *dir, char paths[][512], int max)
{
    int n = 0;
    for (int k = 1; k < 100 && n < max; k++) {
        snprintf(paths[n], 512, "%s/2026-01-10/%012d.nws", dir, k);
        if (access(paths[n], F_OK) == 0) n++;
    }
    return n;
}

static int read_trailer(const char *path, struct trailer *t, uint64_t *size)
{
    uint8_t tb[TRAILER_LEN];
    struct stat sb;
    int fd = open(path, O_RDONLY), rc = -1;

    if (fd < 0) return -1;
    if (fstat(fd, &sb) == 0 && sb.st_size >= TRAILER_LEN &&
        pread(fd, tb, TRAILER_LEN, sb.st_size - TRAILER_LEN) == TRAILER_LEN &&
        nw__trailer_decode(tb, t) == 0)
        rc = 0;
    *size = (uint64_t)sb.st_size;
    close(fd);
    return rc;
}

/* The same records with and without the directory; no filter read where it answers. */
TEST(keydir_same_records)
{
    const char *with = fresh_dir(0), *without = fresh_dir(1);
    char paths[64][512];
    int nseg;

    CHECK_EQ(fill(with, NULL), 0);
    CHECK_EQ(fill(without, "0"), 0);
    nseg = seg_files(with, paths, 64);
    CHECK(nseg >= 3);
    if (getenv("NW_KEYDIR_SEED")) { /* fuzz/corpus/segment/sealed-keydir was made so */
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", paths[1], getenv("NW_KEYDIR_SEED"));
        CHECK_EQ(system(cmd), 0);
    }
    for (int k = 0; k < nseg; k++) { /* every sealed segment has one; none without */
        struct trailer t;
        uint64_t size;
        char other[512];
        CHECK_EQ(read_trailer(paths[k], &t, &size), 0);
        CHECK(t.kdir_len >= KDIR_HDR_LEN);
        snprintf(other, sizeof other, "%s%s", without, paths[k] + strlen(with));
        CHECK_EQ(read_trailer(other, &t, &size), 0);
        CHECK_EQ(t.kdir_len, 0);
    }
    for (int i = 0; i < NIP + 3; i++) { /* 3 addresses that no record holds */
        char ip[32];
        snprintf(ip, sizeof ip, "10.1.0.%d", i);
        for (int ident = 0; ident < 2; ident++) {
            struct collect a, b;
            struct nw_store_scan_stats sa, sb;
            char *fa, *fb;
            CHECK_EQ(lookup(with, ip, ident, &a, &sa), 0);
            CHECK_EQ(lookup(without, ip, ident, &b, &sb), 0);
            /* what the caller keeps (keys only skip: a filter's false positive delivers
             * a block's other records too) */
            fa = sessions_of(a.all, ip);
            fb = sessions_of(b.all, ip);
            CHECK_STR(fa, fb);
            CHECK_EQ(count_sessions(fa, ip), expected_sessions(i));
            CHECK_EQ(sa.damaged, 0);
            free(fa);
            free(fb);
            if (ident) {
                /* the directory names only blocks with the key: none read in vain, and
                 * only footers (no filters) read where nothing is found */
                CHECK(sa.blocks_read <= sb.blocks_read);
                CHECK(sa.bytes_read < sb.bytes_read);
            }
            free(a.all);
            free(b.all);
        }
    }
    {
        struct nw_err err;
        CHECK_EQ(nw_store_verify(with, NULL, NULL, &err), 0);
    }
    rm_rf(with);
    rm_rf(without);
}

static uint8_t *slurp(const char *path, size_t *n)
{
    struct stat sb;
    uint8_t *b = NULL;
    int fd = open(path, O_RDONLY);

    *n = 0;
    if (fd >= 0 && fstat(fd, &sb) == 0 && (b = malloc((size_t)sb.st_size + 1)) != NULL &&
        pread(fd, b, (size_t)sb.st_size, 0) == sb.st_size)
        *n = (size_t)sb.st_size;
    if (fd >= 0) close(fd);
    return b;
}

/*
 * The directory noted while appending (the session.ip key is a record's
 * last key: store_index.c) and the one recovery builds by reading the
 * blocks back and indexing them again (NW_STORE_KDIR=2) are the same
 * bytes: every segment identical past its 64-byte header (store id, time).
 */
TEST(keydir_noted_equals_read_back)
{
    const char *a = fresh_dir(0), *b = fresh_dir(1);
    char pa[64][512], pb[64][512];
    int na, nb;

    CHECK_EQ(fill(a, NULL), 0);
    CHECK_EQ(fill(b, "2"), 0);
    na = seg_files(a, pa, 64);
    nb = seg_files(b, pb, 64);
    CHECK_EQ(na, nb);
    CHECK(na >= 3);
    for (int k = 0; k < na; k++) {
        size_t la, lb;
        uint8_t *x = slurp(pa[k], &la), *y = slurp(pb[k], &lb);
        struct trailer t;
        CHECK(la > SEG_HDR_LEN + TRAILER_LEN && la == lb);
        CHECK(memcmp(x + SEG_HDR_LEN, y + SEG_HDR_LEN, la - SEG_HDR_LEN) == 0);
        CHECK_EQ(nw__trailer_decode(x + la - TRAILER_LEN, &t), 0);
        CHECK(t.kdir_len > KDIR_HDR_LEN);
        free(x);
        free(y);
    }
    rm_rf(a);
    rm_rf(b);
}

/* Recompute a sealed image's footer hash and trailer after editing its footer. */
static void reseal(uint8_t *img, size_t size, const struct trailer *t0)
{
    struct trailer t = *t0;
    t.footer_hash = nw__store_hash64(img + t.footer_off, size - TRAILER_LEN - t.footer_off, 4);
    nw__trailer_encode(img + size - TRAILER_LEN, &t);
}

/*
 * A flipped byte in a directory: verify reports the segment; the lookup
 * reads it as before the directory existed (footer hash wrong: the segment
 * is walked block by block) and gives the same records. A directory that is
 * malformed but hashed (a writer's bug): the lookup uses the filters.
 */
TEST(keydir_damaged)
{
    const char *dir = fresh_dir(0);
    char paths[64][512];
    struct collect ref[4], c;
    struct nw_store_scan_stats st;
    struct nw_err err;
    struct trailer t;
    uint64_t size;
    uint8_t *img;
    int fd, nseg;

    CHECK_EQ(fill(dir, NULL), 0);
    nseg = seg_files(dir, paths, 64);
    CHECK(nseg >= 2);
    for (int i = 0; i < 4; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "10.1.0.%d", i);
        CHECK_EQ(lookup(dir, ip, 1, &ref[i], &st), 0);
    }
    CHECK_EQ(read_trailer(paths[0], &t, &size), 0);
    CHECK(t.kdir_len > KDIR_HDR_LEN);
    img = malloc(size);
    fd = open(paths[0], O_RDWR);
    CHECK(fd >= 0 && pread(fd, img, size, 0) == (ssize_t)size);
    for (int round = 0; round < 3; round++) {
        uint8_t *e = img + t.footer_off + KDIR_HDR_LEN; /* the first entry */
        uint8_t *m = malloc(size);
        memcpy(m, img, size);
        if (round == 0) {
            m[t.footer_off + KDIR_HDR_LEN + 3] ^= 0x40; /* a hash byte, hashes left alone */
        } else if (round == 1) { /* a block index past the last, rehashed */
            le32_put(m + (e - img) + 8, t.nblocks);
            reseal(m, size, &t);
        } else { /* out of order, rehashed */
            memcpy(m + (e - img), e + KDIR_ENT_LEN, KDIR_ENT_LEN);
            memcpy(m + (e - img) + KDIR_ENT_LEN, e, KDIR_ENT_LEN);
            reseal(m, size, &t);
        }
        CHECK(pwrite(fd, m, size, 0) == (ssize_t)size);
        CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 1);
        CHECK_HAS(err.msg, "altered");
        for (int i = 0; i < 4; i++) {
            char ip[32];
            snprintf(ip, sizeof ip, "10.1.0.%d", i);
            CHECK_EQ(lookup(dir, ip, 1, &c, &st), 0);
            CHECK_EQ(st.damaged, 0);
            {
                char *fa = sessions_of(c.all, ip), *fb = sessions_of(ref[i].all, ip);
                CHECK_STR(fa, fb);
                CHECK_EQ(count_sessions(fa, ip), expected_sessions(i));
                free(fa);
                free(fb);
            }
            free(c.all);
        }
        free(m);
    }
    CHECK(pwrite(fd, img, size, 0) == (ssize_t)size);
    close(fd);
    CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 0);
    for (int i = 0; i < 4; i++) free(ref[i].all);
    free(img);
    rm_rf(dir);
}

/* The decoder refuses every malformed shape; lookups find every entry of a hash. */
TEST(keydir_decode)
{
    uint8_t d[KDIR_HDR_LEN + 4 * KDIR_ENT_LEN];
    struct kdir kd;
    const char *why = NULL;
    const uint64_t hs[4] = {5, 9, 9, 12};
    const uint32_t bs[4] = {0, 1, 3, 2};

    memcpy(d, KDIR_MAGIC, 4);
    le32_put(d + 4, KDIR_SESSION_IP);
    le32_put(d + 8, 4);
    le32_put(d + 12, 0);
    for (int i = 0; i < 4; i++) {
        le64_put(d + KDIR_HDR_LEN + i * KDIR_ENT_LEN, hs[i]);
        le32_put(d + KDIR_HDR_LEN + i * KDIR_ENT_LEN + 8, bs[i]);
    }
    CHECK_EQ(nw__kdir_decode(d, sizeof d, 4, &kd, &why), 0);
    CHECK_EQ(nw__kdir_find(&kd, 9), 1);
    CHECK_EQ(nw__kdir_block(&kd, 2), 3);
    CHECK_EQ(nw__kdir_find(&kd, 5), 0);
    CHECK_EQ(nw__kdir_find(&kd, 12), 3);
    CHECK_EQ(nw__kdir_find(&kd, 10), 4);
    CHECK_EQ(nw__kdir_find(&kd, 99), 4);
    CHECK_EQ(nw__kdir_decode(d, sizeof d, 3, &kd, &why), NW_EFORMAT); /* block 3 of 3 */
    CHECK_HAS(why, "block");
    CHECK_EQ(nw__kdir_decode(d, sizeof d - 1, 4, &kd, &why), NW_EFORMAT);
    CHECK_HAS(why, "length");
    CHECK_EQ(nw__kdir_decode(d, 3, 4, &kd, &why), NW_EFORMAT);
    le32_put(d + 8, 0xffffffffu); /* a count whose length overflows 32 bits */
    CHECK_EQ(nw__kdir_decode(d, sizeof d, 4, &kd, &why), NW_EFORMAT);
    le32_put(d + 8, 4);
    le32_put(d + KDIR_HDR_LEN + 2 * KDIR_ENT_LEN + 8, 1); /* (9, 1) twice */
    CHECK_EQ(nw__kdir_decode(d, sizeof d, 4, &kd, &why), NW_EFORMAT);
    CHECK_HAS(why, "order");
    le32_put(d + KDIR_HDR_LEN + 2 * KDIR_ENT_LEN + 8, 3);
    d[0] = 'X';
    CHECK_EQ(nw__kdir_decode(d, sizeof d, 4, &kd, &why), NW_EFORMAT);
    d[0] = 'N';
    le32_put(d + 8, 0);
    CHECK_EQ(nw__kdir_decode(d, KDIR_HDR_LEN, 0, &kd, &why), 0); /* empty: fine */
    CHECK_EQ(nw__kdir_find(&kd, 9), 0);
}

/* A crash leaves the segment open; recovery seals it with a directory that answers. */
TEST(keydir_crash_recovery)
{
    const char *dir = fresh_dir(0), *ref = fresh_dir(1);
    struct nw_store_opts o;
    struct nw_err err;
    char paths[64][512];
    pid_t pid;
    int status, nseg;

    CHECK_EQ(fill(ref, "0"), 0);
    opts_small(&o);
    o.segment_bytes = 64u << 20; /* one segment, left open */
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        struct nw_store *s;
        char rec[1024];
        if (nw_store_open(&s, dir, &o, &err) != 0) _exit(2);
        for (int i = 0; i < NREC; i++)
            if (nw_store_append(s, rec, make_rec(rec, sizeof rec, i), &err) != 0) _exit(3);
        nw_store_flush(s, 0, &err);
        _exit(0);
    }
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    {
        struct nw_store *s;
        CHECK_EQ(nw_store_open(&s, dir, &o, &err), 0);
        CHECK_EQ(nw_store_close(s, &err), 0);
    }
    CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 0);
    nseg = seg_files(dir, paths, 64);
    CHECK(nseg >= 1);
    {
        struct trailer t;
        uint64_t size;
        CHECK_EQ(read_trailer(paths[0], &t, &size), 0);
        CHECK(t.kdir_len > KDIR_HDR_LEN);
    }
    for (int i = 0; i < NIP; i += 7) {
        char ip[32];
        struct collect a, b;
        struct nw_store_scan_stats sa, sb;
        snprintf(ip, sizeof ip, "10.1.0.%d", i);
        CHECK_EQ(lookup(dir, ip, 1, &a, &sa), 0);
        CHECK_EQ(lookup(ref, ip, 1, &b, &sb), 0);
        {
            char *fa = sessions_of(a.all, ip), *fb = sessions_of(b.all, ip);
            CHECK_STR(fa, fb);
            CHECK_EQ(count_sessions(fa, ip), expected_sessions(i));
            free(fa);
            free(fb);
        }
        free(a.all);
        free(b.all);
    }
    rm_rf(dir);
    rm_rf(ref);
}

NW_TEST_MAIN(NWT_ENTRY(keydir_same_records) NWT_ENTRY(keydir_noted_equals_read_back)
                 NWT_ENTRY(keydir_damaged) NWT_ENTRY(keydir_decode)
                 NWT_ENTRY(keydir_crash_recovery))
