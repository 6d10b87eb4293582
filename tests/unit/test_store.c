/*
 * test_store.c - the store: byte-exact round trip, index keys and block
 * skipping, chain and verify (alter, remove, swap, truncate), crash
 * recovery, retention with a simulated clock, the legal floor, disk full.
 */
#include "nw/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nw/core.h"
#include "nw/jsonscan.h"
#include "nwtest.h"
#include "store_lines.h"
#include "../../src/store/store_int.h"
#include "../../fuzz/shape_check.h"

#define DAY_US 86400000000ull

static char tmpl[64];

static const char *fresh_dir(void)
{
    snprintf(tmpl, sizeof tmpl, "/tmp/nwstoreXXXXXX");
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

/* Record i: day 0 = 2026-01-10 UTC, spread over `days` days; varied content. */
static size_t make_rec(char *buf, size_t cap, int i, int days)
{
    uint64_t t = 1768003200ull + (uint64_t)(i % days) * 86400 + (uint64_t)i * 7 % 86000;
    int d = (int)(t / 86400 - 20463), sec = (int)(t % 86400);
    return (size_t)snprintf(buf, cap,
        "{\"timestamp\":\"2026-01-%02dT%02d:%02d:%02d.%06d+00:00\",\"flow_id\":%d,"
        "\"event_type\":\"%s\",\"src_ip\":\"10.%d.%d.%d\",\"dest_ip\":\"2001:db8:0:%x::1\","
        "\"dns\":{\"queries\":[{\"rrname\":\"Host%d.Example.COM.\"}]},"
        "\"user\":{\"account\":\"u\\u00e9%d\",\"mac\":\"AA:BB:CC:00:00:%02X\"},\"n\":%d}",
        10 + d, sec / 3600, sec / 60 % 60, sec % 60, i % 1000000, i, i % 3 ? "dns" : "flow",
        i % 7, i % 13, i % 250, i % 5, i % 17, i % 11, i % 256, i);
}

struct collect {
    char *all;
    size_t len, cap;
    int n;
    uint64_t last_ts;
};

static int on_rec(void *arg, const char *line, size_t len, uint64_t ts)
{
    struct collect *c = arg;
    store_lines_add(&c->all, &c->len, &c->cap, line, len);
    c->n++;
    c->last_ts = ts;
    return 0;
}

/* Every record of the store into c, in scan order. */
static int scan_all(const char *dir, struct collect *c, struct nw_store_scan_stats *st)
{
    struct nw_store_scan q;
    struct nw_err err;

    memset(&q, 0, sizeof q);
    q.until_us = UINT64_MAX;
    q.on_record = on_rec;
    q.arg = c;
    return nw_store_scan(dir, &q, st, &err);
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
    sim_now = 1768003200ull * 1000000 + 10 * DAY_US; /* 10 days after the data starts */
}

static int fill(const char *dir, int n, int days, struct nw_store_opts *o, char **expect,
                size_t *elen)
{
    struct nw_store *s;
    struct nw_err err;
    char rec[1024];
    size_t cap = 1 << 16, len = 0;
    char *all = malloc(cap);

    if (nw_store_open(&s, dir, o, &err) != 0) {
        fprintf(stderr, "open: %s\n", err.msg);
        free(all);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        size_t l = make_rec(rec, sizeof rec - 1, i, days);
        rec[l] = '\n';
        if (nw_store_append(s, rec, l + 1, &err) != 0) {
            fprintf(stderr, "append: %s\n", err.msg);
            nw_store_close(s, &err);
            free(all);
            return -1;
        }
        if (len + l + 1 > cap) all = realloc(all, cap *= 2);
        memcpy(all + len, rec, l + 1);
        len += l + 1;
    }
    nw_store_close(s, &err);
    if (expect) {
        *expect = all;
        *elen = len;
    } else {
        free(all);
    }
    return 0;
}

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Same multiset of lines? (day partitions reorder records across days) */
static int same_lines(char *a, size_t alen, char *b, size_t blen)
{
    char **la = malloc(sizeof(char *) * (alen + 1)), **lb = malloc(sizeof(char *) * (blen + 1));
    size_t na = 0, nb = 0;
    int ok = 1;

    if (alen != blen) ok = 0;
    for (char *p = a; ok && p < a + alen; p = strchr(p, '\n') + 1) la[na++] = p;
    for (char *p = b; ok && p < b + blen; p = strchr(p, '\n') + 1) lb[nb++] = p;
    for (size_t i = 0; ok && i < alen; i++) if (a[i] == '\n') a[i] = '\0';
    for (size_t i = 0; ok && i < blen; i++) if (b[i] == '\n') b[i] = '\0';
    if (ok && na != nb) ok = 0;
    if (ok) {
        qsort(la, na, sizeof *la, cmp_lines);
        qsort(lb, nb, sizeof *lb, cmp_lines);
        for (size_t i = 0; i < na && ok; i++) ok = strcmp(la[i], lb[i]) == 0;
    }
    free(la);
    free(lb);
    return ok;
}

TEST(round_trip_byte_exact)
{
    struct nw_store_opts o;
    struct nw_store_scan q;
    struct nw_store_scan_stats st;
    struct collect c = {0};
    struct nw_err err;
    char *expect = NULL;
    size_t elen = 0;
    const char *dir = fresh_dir();
    int ok;

    opts_small(&o);
    CHECK(fill(dir, 3000, 3, &o, &expect, &elen) == 0);
    memset(&q, 0, sizeof q);
    q.until_us = UINT64_MAX;
    q.on_record = on_rec;
    q.arg = &c;
    CHECK_EQ(nw_store_scan(dir, &q, &st, &err), 0);
    CHECK_EQ(c.n, 3000);
    CHECK(st.blocks > 10);
    CHECK_EQ(st.damaged, 0);
    ok = same_lines(expect, elen, c.all, c.len);
    free(expect);
    free(c.all);
    CHECK(ok);
    CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 0);
    rm_rf(dir);
}

struct keys {
    char buf[4096];
    size_t len;
};
static void on_key(void *arg, const char *k, size_t n)
{
    struct keys *ks = arg;
    if (ks->len + n + 2 < sizeof ks->buf) {
        memcpy(ks->buf + ks->len, k, n);
        ks->len += n;
        ks->buf[ks->len++] = '|';
        ks->buf[ks->len] = '\0';
    }
}

TEST(index_keys)
{
    static const char rec[] =
        "{\"timestamp\":\"2026-01-10T00:00:00.000000+08:00\",\"event_type\":\"dns\","
        "\"src_ip\":\"10.1.2.3\",\"dest_ip\":\"2001:DB8:0:1::53\",\"src_mac\":\"AA:bb:CC:dd:EE:ff\","
        "\"dns\":{\"queries\":[{\"rrname\":\"A.B.Example.COM.\"}],\"answers\":[{\"rrname\":\"x\"}]},"
        "\"user\":{\"ip\":\"10.1.2.3\",\"account\":\"al\\u00e9\",\"calling_station\":\"1380\"},"
        "\"radius\":{\"user_name\":\"bob\",\"framed_ip\":\"10.9.9.9\",\"calling_station_id\":\"139\"},"
        "\"dhcp\":{\"assigned_ip\":\"192.168.1.5\",\"client_mac\":\"00:11:22:33:44:55\"},"
        "\"pppoe\":{\"username\":\"carol\",\"for_mac\":\"66:77:88:99:AA:BB\",\"ip\":\"100.64.0.1\"},"
        "\"login\":{\"username\":\"dave\"},\"http\":{\"hostname\":\"www.foo.org\"},"
        "\"tls\":{\"sni\":\"sni.bar.net\"},\"quic\":{\"sni\":\"q.baz.io\"}}";
    static const char *want[] = {
        "type:dns", "ip:10.1.2.3", "ip4/24:10.1.2", "ip4/16:10.1", "ip:2001:db8:0:1::53",
        "ip6/64:2001:db8:0:1", "ip6/48:2001:db8:0", "mac:aa:bb:cc:dd:ee:ff",
        "dom:a.b.example.com", "dom:b.example.com", "dom:example.com", "dom:x",
        "user:al\xc3\xa9", "calling:1380", "user:bob", "ip:10.9.9.9", "calling:139",
        "ip:192.168.1.5", "mac:00:11:22:33:44:55", "user:carol", "mac:66:77:88:99:aa:bb",
        "ip:100.64.0.1", "user:dave", "dom:www.foo.org", "dom:foo.org", "dom:sni.bar.net",
        "dom:bar.net", "dom:q.baz.io", "dom:baz.io",
    };
    struct keys ks = {{0}, 0};
    char pat[256];

    CHECK_EQ(nw_store_index_keys(rec, sizeof rec - 1, on_key, &ks), 0);
    for (size_t i = 0; i < NW_ARRAY_LEN(want); i++) {
        snprintf(pat, sizeof pat, "%s|", want[i]);
        CHECK_HAS(ks.buf, pat);
    }
    CHECK_LACKS(ks.buf, "dom:com|");
    CHECK_LACKS(ks.buf, "session.ip:");
    ks.len = 0;
    ks.buf[0] = '\0';
    CHECK_EQ(nw_store_index_keys("{\"timestamp\":\"2026-01-10T00:00:00Z\",\"src_ip\":\"2001:DB8::1\","
                                 "\"event_type\":\"session\"}", 82, on_key, &ks), 0);
    CHECK_HAS(ks.buf, "session.ip:2001:db8::1|");
    CHECK_LACKS(ks.buf, "dom:net|");
    CHECK_EQ(nw_store_index_keys("{\"a\":", 5, on_key, &ks), NW_EFORMAT);
}

TEST(key_and_time_skipping)
{
    struct nw_store_opts o;
    struct nw_store_scan q;
    struct nw_store_scan_stats st;
    struct collect c = {0};
    struct nw_err err;
    const char *dir = fresh_dir();
    const char *g1[] = {"user:u\xc3\xa9" "7", NULL}, *g2[] = {"type:flow", "type:nothing", NULL};
    const char *const *groups[] = {g1, g2};

    opts_small(&o);
    CHECK(fill(dir, 3000, 1, &o, NULL, NULL) == 0);
    memset(&q, 0, sizeof q);
    q.until_us = UINT64_MAX;
    q.groups = groups;
    q.ngroups = 2;
    q.on_record = on_rec;
    q.arg = &c;
    CHECK_EQ(nw_store_scan(dir, &q, &st, &err), 0);
    /* i % 11 == 7 and i % 3 == 0 are in every block: keys cannot skip here, but a key
     * absent from the store must skip every block */
    CHECK(c.n >= 3000 / 33);
    g1[0] = "user:nobody";
    free(c.all);
    memset(&c, 0, sizeof c);
    CHECK_EQ(nw_store_scan(dir, &q, &st, &err), 0);
    /* blocks only skip: what passes the bloom filter (a few % false positives) is read */
    CHECK(st.blocks_skipped_keys >= st.blocks * 9 / 10);
    CHECK(st.blocks_read + st.blocks_skipped_keys == st.blocks);
    /* time: one hour of the day reads few blocks, delivers only that hour */
    q.ngroups = 0;
    q.since_us = 1768003200ull * 1000000 + 3600 * 1000000ull;
    q.until_us = q.since_us + 3600 * 1000000ull;
    free(c.all);
    memset(&c, 0, sizeof c);
    CHECK_EQ(nw_store_scan(dir, &q, &st, &err), 0);
    {
        int want = 0;
        for (int i = 0; i < 3000; i++) want += i * 7 % 86000 >= 3600 && i * 7 % 86000 < 7200;
        CHECK_EQ(c.n, want);
        CHECK(st.blocks_read * 2 < st.blocks);
    }
    CHECK(c.last_ts >= q.since_us && c.last_ts < q.until_us);
    free(c.all);
    rm_rf(dir);
}

static int copy_file(const char *from, const char *to)
{
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
    return system(cmd);
}

/* The n-th segment file (sorted by name across partitions) into out. */
static int nth_segment(const char *dir, int n, char *out, size_t cap)
{
    char cmd[512];
    FILE *p;
    snprintf(cmd, sizeof cmd, "ls %s/20*/*.nws | sort -t/ -k6 | sed -n %dp", dir, n);
    p = popen(cmd, "r");
    if (p == NULL || fgets(out, (int)cap, p) == NULL) {
        if (p) pclose(p);
        return -1;
    }
    pclose(p);
    out[strcspn(out, "\n")] = '\0';
    return 0;
}

TEST(verify_detects_tampering)
{
    struct nw_store_opts o;
    struct nw_err err;
    char a[512], b[512], tmp[600];
    const char *dir = fresh_dir();
    int fd;
    uint8_t byte;

    opts_small(&o);
    o.segment_bytes = 8192; /* many segments */
    CHECK(fill(dir, 2000, 2, &o, NULL, NULL) == 0);
    CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 0);
    CHECK(nth_segment(dir, 3, a, sizeof a) == 0);
    CHECK(nth_segment(dir, 4, b, sizeof b) == 0);
    /* flip one byte */
    fd = open(a, O_RDWR);
    CHECK(fd >= 0);
    CHECK(pread(fd, &byte, 1, 200) == 1);
    byte ^= 0x20;
    CHECK(pwrite(fd, &byte, 1, 200) == 1);
    CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 1);
    CHECK_HAS(err.msg, strrchr(a, '/') + 1);
    CHECK_HAS(err.msg, "altered");
    byte ^= 0x20;
    CHECK(pwrite(fd, &byte, 1, 200) == 1);
    close(fd);
    CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 0);
    /* swap two */
    snprintf(tmp, sizeof tmp, "%s.tmp", a);
    CHECK(rename(a, tmp) == 0 && rename(b, a) == 0 && rename(tmp, b) == 0);
    CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 1);
    CHECK_HAS(err.msg, "reordered");
    CHECK(rename(a, tmp) == 0 && rename(b, a) == 0 && rename(tmp, b) == 0);
    CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 0);
    /* remove one */
    CHECK(copy_file(a, tmp) == 0 && unlink(a) == 0);
    CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 1);
    CHECK_HAS(err.msg, "removed");
    CHECK(rename(tmp, a) == 0);
    /* truncate */
    CHECK(copy_file(a, tmp) == 0 && truncate(a, 300) == 0);
    CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 1);
    CHECK_HAS(err.msg, "truncated");
    CHECK(rename(tmp, a) == 0);
    CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 0);
    rm_rf(dir);
}

TEST(signed_chain)
{
    struct nw_store_opts o;
    struct nw_err err;
    char key[128], pub[160], other[128];
    const char *dir = fresh_dir();

    snprintf(key, sizeof key, "%.*s/key", (int)(strrchr(dir, '/') - dir), dir);
    snprintf(pub, sizeof pub, "%s.pub", key);
    snprintf(other, sizeof other, "%.*s/other", (int)(strrchr(dir, '/') - dir), dir);
    CHECK_EQ(nw_store_keygen(key, &err), 0);
    CHECK(nw_store_keygen(key, &err) != 0); /* never overwrites */
    CHECK_EQ(nw_store_keygen(other, &err), 0);
    opts_small(&o);
    o.sign_key = key;
    CHECK(fill(dir, 500, 1, &o, NULL, NULL) == 0);
    CHECK_EQ(nw_store_verify(dir, pub, NULL, &err), 0);
    snprintf(pub, sizeof pub, "%s.pub", other);
    CHECK_EQ(nw_store_verify(dir, pub, NULL, &err), 1);
    CHECK_HAS(err.msg, "signature");
    rm_rf(dir);
}

TEST(crash_recovery)
{
    struct nw_store_opts o;
    struct collect c = {0};
    struct nw_err err;
    char seg[512];
    const char *dir = fresh_dir();
    pid_t pid;
    int status, fd;

    opts_small(&o);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) { /* write 1000 records, flush, die without closing */
        struct nw_store *s;
        char rec[1024];
        if (nw_store_open(&s, dir, &o, &err) != 0) _exit(2);
        for (int i = 0; i < 1000; i++) {
            size_t l = make_rec(rec, sizeof rec, i, 1);
            if (nw_store_append(s, rec, l, &err) != 0) _exit(3);
        }
        nw_store_flush(s, 0, &err);
        _exit(0);
    }
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* a torn block at the tail of the active segment */
    CHECK(nth_segment(dir, 1, seg, sizeof seg) == 0);
    fd = open(seg, O_WRONLY | O_APPEND);
    CHECK(fd >= 0);
    CHECK(write(fd, "NWBK\x10\x00\x00\x00garbage", 15) == 15);
    close(fd);
    {
        struct nw_store *s;
        CHECK_EQ(nw_store_open(&s, dir, &o, &err), 0);
        CHECK_EQ(nw_store_close(s, &err), 0);
    }
    CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 0);
    CHECK_EQ(scan_all(dir, &c, NULL), 0);
    CHECK_EQ(c.n, 1000);
    free(c.all);
    rm_rf(dir);
}

/* A crashed writer's segment: 1000 records in small blocks, flushed, never closed. */
static int crashed_store(const char *dir, struct nw_store_opts *o)
{
    struct nw_err err;
    pid_t pid = fork();
    int status;

    if (pid == 0) {
        struct nw_store *s;
        char rec[1024];
        if (nw_store_open(&s, dir, o, &err) != 0) _exit(2);
        for (int i = 0; i < 1000; i++) {
            size_t l = make_rec(rec, sizeof rec, i, 1);
            if (nw_store_append(s, rec, l, &err) != 0) _exit(3);
        }
        nw_store_flush(s, 0, &err);
        _exit(0);
    }
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                   WEXITSTATUS(status) == 0 ? 0 : -1;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    struct stat sb;
    int fd = open(path, O_RDONLY);
    uint8_t *b = NULL;

    if (fd >= 0 && fstat(fd, &sb) == 0 && (b = malloc((size_t)sb.st_size + 1)) != NULL &&
        read(fd, b, (size_t)sb.st_size) != sb.st_size) {
        free(b);
        b = NULL;
    }
    if (fd >= 0) close(fd);
    *len = b ? (size_t)sb.st_size : 0;
    return b;
}

/* The offset of block k (0-based) of a segment image, and its record count. */
static size_t block_at(const uint8_t *img, size_t len, int k, uint32_t *nrec)
{
    size_t off = SEG_HDR_LEN;
    for (int i = 0; off + BLK_HDR_LEN <= len; i++) {
        struct blk_hdr h;
        if (nw__blk_hdr_decode(img + off, &h) != 0) return 0;
        if (i == k) {
            *nrec = h.nrec;
            return off;
        }
        off += BLK_HDR_LEN + h.filter_len + h.comp_len;
    }
    return 0;
}

static int poke(const char *path, size_t off, uint8_t x)
{
    int fd = open(path, O_WRONLY);
    int ok = fd >= 0 && pwrite(fd, &x, 1, (off_t)off) == 1;
    if (fd >= 0) close(fd);
    return ok ? 0 : -1;
}

static int count_bad_lines(const char *dir)
{
    char path[512];
    size_t len;
    uint8_t *b;
    int n = 0;

    snprintf(path, sizeof path, "%s/chain", dir);
    b = slurp(path, &len);
    for (size_t i = 0; b && i + 4 <= len; i++)
        n += (i == 0 || b[i - 1] == '\n') && memcmp(b + i, "bad ", 4) == 0;
    free(b);
    return n;
}

/* A block of a crashed writer's segment fails its check and valid blocks
 * follow: not a torn tail. Recovery must keep every byte (it once cut the
 * file there, dropping the flushed records after it, and verify passed). */
TEST(damaged_active_segment_kept_as_found)
{
    struct nw_store_opts o;
    struct nw_store_scan_stats st;
    struct nw_err err;
    char seg[512];
    uint8_t *before, *after;
    size_t blen, alen, off;
    uint32_t nrec = 0;
    int alarms = 0;

    /* a byte inside block 2; block 2's magic; the segment header (once cut to nothing) */
    for (int where = 0; where < 3; where++) {
        const char *dir = fresh_dir();
        struct collect c = {0};
        opts_small(&o);
        CHECK_EQ(crashed_store(dir, &o), 0);
        CHECK(nth_segment(dir, 1, seg, sizeof seg) == 0);
        before = slurp(seg, &blen);
        CHECK(before != NULL);
        off = block_at(before, blen, 2, &nrec);
        CHECK(off > 0 && nrec > 0 && nrec < 1000);
        if (where == 0) off += BLK_HDR_LEN + 8; /* 1: the magic's first byte */
        if (where == 2) off = 3, nrec = 0;        /* every block still reads */
        CHECK_EQ(poke(seg, off, (uint8_t)~before[off]), 0);
        free(before);
        before = slurp(seg, &blen);
        /* before recovery: verify names the damage; the store is not cut */
        CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 1);
        CHECK(strstr(err.msg, where == 2 ? "header does not match" : "is damaged at byte") !=
              NULL);
        for (int reopen = 0; reopen < 2; reopen++) {
            struct nw_store *s;
            CHECK_EQ(nw_store_open(&s, dir, &o, &err), 0);
            CHECK_EQ(nw_store_close(s, &err), 0);
        }
        after = slurp(seg, &alen);
        CHECK(after != NULL && alen == blen && memcmp(before, after, blen) == 0);
        free(before);
        free(after);
        CHECK_EQ(count_bad_lines(dir), 1); /* recorded once, not at every open */
        CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 1);
        CHECK(strstr(err.msg, "kept the file as found") != NULL);
        /* every record but the damaged block's, and the alarm */
        memset(&st, 0, sizeof st);
        CHECK_EQ(scan_all(dir, &c, &st), 0);
        alarms = 0;
        for (char *p = c.all; p && (p = strstr(p, "store_segment_damaged")) != NULL; p++) alarms++;
        CHECK_EQ(alarms, 1);
        CHECK_EQ(c.n, 1000 - (int)nrec + 1);
        CHECK_EQ(st.damaged, 1);
        free(c.all);
        /* the damaged file must stay as recorded */
        CHECK_EQ(poke(seg, 10, 0x55), 0);
        CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 1);
        CHECK(strstr(err.msg, "was altered since") != NULL);
        rm_rf(dir);
    }
}

/* Unsynced writes that reached the disk out of order (XFS): zeros where
 * block 2 (or the header) should be, valid blocks after them. A power loss,
 * not an edit: verify calls it a torn tail, recovery cuts it and seals what
 * precedes; no bad line, no alarm. (One flipped byte stays damage, above.) */
TEST(zeros_before_later_blocks_are_a_torn_tail)
{
    struct nw_store_opts o;
    struct nw_store_scan_stats st;
    struct nw_err err;
    char seg[512];
    uint8_t *img;
    size_t len, from, to;
    uint32_t n0 = 0, n1 = 0, n3 = 0;

    for (int where = 0; where < 2; where++) { /* block 2; the segment header */
        const char *dir = fresh_dir();
        struct collect c = {0};
        struct nw_store *s;
        opts_small(&o);
        CHECK_EQ(crashed_store(dir, &o), 0);
        CHECK(nth_segment(dir, 1, seg, sizeof seg) == 0);
        img = slurp(seg, &len);
        CHECK(img != NULL);
        CHECK(block_at(img, len, 0, &n0) > 0 && block_at(img, len, 1, &n1) > 0);
        from = where == 0 ? block_at(img, len, 2, &n3) : 0;
        to = where == 0 ? block_at(img, len, 3, &n3) : SEG_HDR_LEN;
        CHECK(to > from && n3 > 0);
        free(img);
        for (size_t k = from; k < to; k++) CHECK_EQ(poke(seg, k, 0), 0);
        CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 0);
        CHECK_EQ(nw_store_open(&s, dir, &o, &err), 0);
        CHECK_EQ(nw_store_close(s, &err), 0);
        CHECK_EQ(count_bad_lines(dir), 0);
        CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 0);
        memset(&st, 0, sizeof st);
        CHECK_EQ(scan_all(dir, &c, &st), 0);
        CHECK_EQ(c.n, where == 0 ? (int)(n0 + n1) : 0); /* what preceded the gap */
        CHECK(c.all == NULL || strstr(c.all, "store_segment_damaged") == NULL);
        free(c.all);
        rm_rf(dir);
    }
}

/* A crash after a segment was sealed and synced but before its "seg" chain
 * line: recovery hashes the sealed file as it is and writes that line, the
 * same line the writer would have written. */
TEST(sealed_segment_without_its_chain_line)
{
    struct nw_store_opts o;
    struct collect c = {0};
    struct nw_err err;
    struct nw_store *s;
    char path[512];
    uint8_t *chain, *again;
    size_t len, len2, cut;
    const char *dir = fresh_dir();

    opts_small(&o);
    CHECK_EQ(fill(dir, 300, 1, &o, NULL, NULL), 0);
    snprintf(path, sizeof path, "%s/chain", dir);
    chain = slurp(path, &len);
    CHECK(chain != NULL && len > 2 && chain[len - 1] == '\n');
    for (cut = len - 1; cut > 0 && chain[cut - 1] != '\n'; cut--) continue;
    CHECK(memcmp(chain + cut, "seg ", 4) == 0);
    CHECK_EQ(truncate(path, (off_t)cut), 0); /* the last line never made it */
    CHECK_EQ(nw_store_open(&s, dir, &o, &err), 0);
    CHECK_EQ(nw_store_close(s, &err), 0);
    again = slurp(path, &len2);
    CHECK(again != NULL && len2 == len && memcmp(chain, again, len) == 0);
    CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 0);
    CHECK_EQ(scan_all(dir, &c, NULL), 0);
    CHECK_EQ(c.n, 300);
    free(c.all);
    free(chain);
    free(again);
    rm_rf(dir);
}

/* One writer per store: a second open is refused while the first holds it. */
TEST(second_writer_refused)
{
    struct nw_store_opts o;
    struct nw_store *a, *b;
    struct nw_err err;
    const char *dir = fresh_dir();

    opts_small(&o);
    CHECK_EQ(nw_store_open(&a, dir, &o, &err), 0);
    CHECK(nw_store_open(&b, dir, &o, &err) != 0);
    CHECK(strstr(err.msg, "in use by another writer") != NULL);
    CHECK_EQ(nw_store_close(a, &err), 0);
    CHECK_EQ(nw_store_open(&b, dir, &o, &err), 0);
    CHECK_EQ(nw_store_close(b, &err), 0);
    rm_rf(dir);
}

/* A crash while the segment header was being written: recovery rewrites a
 * header longer than the torn bytes it read (it once wrote past them). */
TEST(crash_recovery_torn_header)
{
    struct nw_store_opts o;
    struct nw_err err;
    char seg[512];
    const char *dir = fresh_dir();
    pid_t pid;
    int status;

    opts_small(&o);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) { /* one pending record: the segment has its header, no block */
        struct nw_store *s;
        char rec[1024];
        size_t l = make_rec(rec, sizeof rec, 0, 1);
        if (nw_store_open(&s, dir, &o, &err) != 0) _exit(2);
        if (nw_store_append(s, rec, l, &err) != 0) _exit(3);
        _exit(0);
    }
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(nth_segment(dir, 1, seg, sizeof seg) == 0);
    CHECK(truncate(seg, 16) == 0);
    {
        struct nw_store *s;
        CHECK_EQ(nw_store_open(&s, dir, &o, &err), 0);
        CHECK_EQ(nw_store_close(s, &err), 0);
    }
    CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 0);
    rm_rf(dir);
}

static int count_days(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    while (d && (de = readdir(d)) != NULL) n += de->d_name[0] == '2';
    if (d) closedir(d);
    return n;
}

TEST(retention_simulated_clock)
{
    struct nw_store_opts o;
    struct nw_store *s;
    struct nw_store_scan q;
    struct collect c = {0};
    struct nw_err err;
    const char *dir = fresh_dir();
    const char *g[] = {"type:maintenance", NULL};
    const char *const *groups[] = {g};

    opts_small(&o);
    CHECK(fill(dir, 1000, 10, &o, NULL, NULL) == 0); /* 2026-01-10 .. 2026-01-19 */
    CHECK_EQ(count_days(dir), 10);
    o.retention_days = 60;
    /* 2026-03-15 00:00 UTC: days ending <= 2026-01-14 00:00 expire: 01-10..01-13 */
    sim_now = (1768003200ull + (4 + 60) * 86400) * 1000000;
    CHECK_EQ(nw_store_open(&s, dir, &o, &err), 0);
    CHECK_EQ(nw_store_close(s, &err), 0);
    CHECK_EQ(count_days(dir), 6 + 1); /* + the day holding the maintenance records */
    /* a moment earlier nothing more goes */
    sim_now -= 1;
    CHECK_EQ(nw_store_open(&s, dir, &o, &err), 0);
    CHECK_EQ(nw_store_retention(s, sim_now, &err), 0);
    CHECK_EQ(nw_store_close(s, &err), 0);
    CHECK_EQ(count_days(dir), 7);
    memset(&q, 0, sizeof q);
    q.until_us = UINT64_MAX;
    q.groups = groups;
    q.ngroups = 1;
    q.on_record = on_rec;
    q.arg = &c;
    CHECK_EQ(nw_store_scan(dir, &q, NULL, &err), 0);
    CHECK_EQ(c.n, 4);
    CHECK_HAS(c.all, "\"action\":\"retention_delete\"");
    CHECK_HAS(c.all, "\"partition\":\"2026-01-10\"");
    CHECK_HAS(c.all, "\"partition\":\"2026-01-13\"");
    CHECK_LACKS(c.all, "\"partition\":\"2026-01-14\"");
    free(c.all);
    CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 0);
    rm_rf(dir);
}

TEST(retention_legal_floor)
{
    struct nw_store_opts o;
    struct nw_store *s = NULL;
    struct nw_err err;
    const char *dir = fresh_dir();

    opts_small(&o);
    o.retention_days = 30;
    CHECK_EQ(nw_store_open(&s, dir, &o, &err), NW_EINVAL);
    CHECK(s == NULL);
    CHECK_HAS(err.msg, "MPS Order No. 82 art. 13");
    CHECK_HAS(err.msg, "60");
    CHECK_EQ(nw_store_check_retention(60, &err), 0);
    rm_rf(dir);
}

TEST(disk_full)
{
    struct nw_store_opts o;
    struct nw_store *s;
    struct nw_store_stats st;
    struct collect c = {0};
    struct nw_err err;
    char rec[1024];
    const char *dir = fresh_dir();
    int i, stored = 0;

    opts_small(&o);
    o.reserve_bytes = 64 * 1024;
    setenv("NW_STORE_DISK_LIMIT", "200000", 1);
    CHECK_EQ(nw_store_open(&s, dir, &o, &err), 0);
    for (i = 0; i < 20000; i++) {
        size_t l = make_rec(rec, sizeof rec, i, 1);
        if (nw_store_append(s, rec, l, &err) == 0) stored++;
    }
    nw_store_get_stats(s, &st);
    CHECK(st.stopped);
    CHECK(st.missed > 0);
    CHECK_EQ(st.missed + (uint64_t)stored, 20000);
    /* space comes back: within the retry interval the store resumes and says so */
    setenv("NW_STORE_DISK_LIMIT", "100000000", 1);
    sim_now += 6000000;
    for (i = 0; i < 200; i++) {
        size_t l = make_rec(rec, sizeof rec, i, 1);
        if (nw_store_append(s, rec, l, &err) == 0) stored++;
    }
    nw_store_get_stats(s, &st);
    CHECK(!st.stopped);
    CHECK(stored > 20000 - (int)st.missed);
    nw_store_close(s, &err);
    unsetenv("NW_STORE_DISK_LIMIT");
    CHECK_EQ(nw_store_verify(dir, NULL, NULL, &err), 0);
    CHECK_EQ(scan_all(dir, &c, NULL), 0);
    CHECK_HAS(c.all, "\"event_type\":\"alarm\"");
    CHECK_HAS(c.all, "store_write_stopped");
    CHECK_HAS(c.all, "store_write_resumed");
    /* every accepted record is there, plus the two alarms; nothing else */
    free(c.all);
    CHECK_EQ(c.n, stored + 2);
    rm_rf(dir);
}

/* must_contain is a prefilter: it may pass extra records, never drop one that
 * holds the text, and any record with an escape (a backslash) always passes
 * because its raw bytes need not show the text. Model: the lines themselves. */
TEST(must_contain_prefilter)
{
    struct nw_store_opts o;
    struct nw_store *s;
    struct nw_store_scan q;
    struct nw_store_scan_stats st;
    struct collect c = {0};
    struct nw_err err;
    const char *dir = fresh_dir();
    char rec[512];
    int want = 0, escaped = 0;

    opts_small(&o);
    CHECK(nw_store_open(&s, dir, &o, &err) == 0);
    for (int i = 0; i < 4000; i++) {
        const char *url = i % 97 == 0 ? "/a/needle/b" : i % 89 == 0 ? "/a/nee\\u0064le" : "/a/hay";
        int n = snprintf(rec, sizeof rec,
                         "{\"timestamp\":\"2026-01-10T00:%02d:%02d.%06d+00:00\",\"event_type\":"
                         "\"http\",\"src_ip\":\"10.0.0.%d\",\"http\":{\"url\":\"%s\"},\"n\":%d}",
                         i / 60 % 60, i % 60, i, i % 250, url, i);
        want += i % 97 == 0;
        escaped += i % 97 != 0 && i % 89 == 0;
        CHECK(nw_store_append(s, rec, (size_t)n, &err) == 0);
    }
    CHECK(nw_store_close(s, &err) == 0);
    memset(&q, 0, sizeof q);
    q.until_us = UINT64_MAX;
    q.must_contain = "needle";
    q.on_record = on_rec;
    q.arg = &c;
    CHECK_EQ(nw_store_scan(dir, &q, &st, &err), 0);
    static const char k_raw[] = "\"url\":\"/a/needle/b\"", k_esc[] = "\"url\":\"/a/nee\\u0064le\"";
    int raw = 0, esc = 0;
    for (const char *p = c.all; p && (p = strstr(p, "\"url\":")) != NULL; p++) {
        raw += strncmp(p, k_raw, sizeof k_raw - 1) == 0;
        esc += strncmp(p, k_esc, sizeof k_esc - 1) == 0;
    }
    free(c.all);
    CHECK_EQ(raw, want);     /* no record holding the text was dropped */
    CHECK_EQ(esc, escaped);  /* escaped records always pass */
    CHECK(st.records_prefiltered > 0);
    CHECK(c.n < 4000 / 2);   /* and the prefilter did skip the hay */
    rm_rf(dir);
}

/*
 * BLK_ENC_TMPL (store_format.c): records split into templates and values
 * come back byte-exact, whatever their shape, and a damaged stream is
 * refused without reading or writing out of bounds.
 */
static void no_key(void *arg, const char *key, size_t n) { (void)arg, (void)key, (void)n; }

TEST(template_encoding)
{
    static const char *recs[] = {
        "{\"timestamp\":\"2026-01-10T00:00:00Z\",\"event_type\":\"dns\",\"dns\":{\"rrname\":\"a.b\"}}",
        "{\"timestamp\":\"2026-01-10T00:00:01Z\",\"event_type\":\"dns\",\"dns\":{\"rrname\":\"c.d\"}}",
        " { \"timestamp\" : \"2026-01-10T00:00:02Z\" ,\t\"x\":[1,-2.5e3,true,false,null,\"\",{}] }\r",
        "{\"timestamp\":\"2026-01-10T00:00:03Z\",\"s\":\"q\\\"\\\\\\u00e9\\n\",\"\\u0041\":0}",
        "{\"timestamp\":\"2026-01-10T00:00:04Z\",\"e\":[],\"o\":{\"a\":{\"b\":[[]]}},\"u\":\"\xe4\xb8\xad\"}",
        "{\"timestamp\":\"2026-01-10T00:00:05Z\"}",
    };
    static char rec[40000];
    static uint32_t spanv[2 * 1024];
    struct nw__spans sp = {.v = spanv, .cap = NW_ARRAY_LEN(spanv)};
    static struct tmpl_enc te;
    size_t cap = 8 << 20, o = 0, rl = 0, n = 0;
    uint8_t *x = malloc(cap), *raw = malloc(cap), *out = malloc(cap);
    uint64_t ts;

    CHECK(x && raw && out);
    nw__tmpl_reset(&te);
    for (int round = 0; round < 400; round++) {
        size_t len;
        if (round < (int)NW_ARRAY_LEN(recs)) {
            len = strlen(recs[round]);
            memcpy(rec, recs[round], len);
        } else if (round < 300) { /* more distinct templates than the table holds */
            len = (size_t)snprintf(rec, sizeof rec, "{\"timestamp\":\"2026-01-10T00:00:06Z\",\"k%d\":%d}",
                                   round, round);
        } else if (round == 300) { /* more values than spans: verbatim */
            len = (size_t)snprintf(rec, sizeof rec, "{\"timestamp\":\"2026-01-10T00:00:07Z\",\"a\":[");
            for (int k = 0; k < 3000; k++) len += (size_t)snprintf(rec + len, sizeof rec - len, "%s%d", k ? "," : "", k);
            len += (size_t)snprintf(rec + len, sizeof rec - len, "]}");
        } else if (round == 301) { /* a template longer than TMPL_MAX_LEN: verbatim */
            len = (size_t)snprintf(rec, sizeof rec, "{\"timestamp\":\"2026-01-10T00:00:08Z\",\"");
            memset(rec + len, 'k', 3000);
            len += 3000;
            len += (size_t)snprintf(rec + len, sizeof rec - len, "\":1}");
        } else {
            len = strlen(recs[round % NW_ARRAY_LEN(recs)]);
            memcpy(rec, recs[round % NW_ARRAY_LEN(recs)], len);
        }
        CHECK_EQ(nw__index_record(rec, len, &ts, no_key, NULL, &sp), 0);
        CHECK(o + len + TMPL_MAX_LEN + 32 <= cap);
        o = nw__tmpl_add(&te, x, o, rec, len, &sp);
        memcpy(raw + rl, rec, len);
        raw[rl + len] = '\n';
        rl += len + 1;
        n++;
    }
    memcpy(x + o, "\x01\x02\x03", 3); /* the timestamps: copied as they are */
    memcpy(raw + rl, "\x01\x02\x03", 3);
    CHECK_EQ(nw__tmpl_decode(x, o + 3, out, rl, rl + 3, n), 0);
    CHECK(memcmp(out, raw, rl + 3) == 0);
    /* damaged streams: refused or decoded, never out of bounds (ASan) */
    srand(7);
    for (int k = 0; k < 3000; k++) {
        uint8_t *y = malloc(o + 3);
        size_t yl = o + 3;
        CHECK(y != NULL);
        memcpy(y, x, yl);
        for (int f = 0; f < 1 + k % 4; f++) y[(size_t)rand() % yl] = (uint8_t)rand();
        if (k % 5 == 0) yl = (size_t)rand() % yl;
        (void)nw__tmpl_decode(y, yl, out, rl, rl + 3, n);
        free(y);
    }
    free(x);
    free(raw);
    free(out);
}

/*
 * BLK_ENC_IDENT3 streams (nw__tmpl3_add / nw__tmpl3_decode): timestamp text
 * elided only when it is exactly what the decoder rebuilds (not for a leap
 * second, a short fraction, another offset, a foreign suffix); user objects
 * as references, also across templates and past the run table's limit
 * (then stored as they are); user objects that are no run (one value, not
 * compact, not an object); verbatim records; and damaged codes and counts
 * refused with NW_EFORMAT, never read out of bounds.
 */
static size_t rec3(char *rec, size_t cap, int r)
{
    static const char *fixed[] = {
        "{\"timestamp\":\"2026-01-10T08:00:00.000001+08:00\",\"event_type\":\"flow\",\"flow\":"
        "{\"start\":\"2026-01-10T08:00:00.000001+08:00\",\"end\":\"2026-01-10T08:01:00.000000+08:00\"},"
        "\"user\":{\"ip\":\"10.0.0.1\",\"account\":\"u1\",\"mac\":\"02:00:00:00:00:01\"}}",
        "{\"timestamp\":\"2026-01-10T08:00:03.500000+08:00\",\"event_type\":\"flow\",\"flow\":"
        "{\"start\":\"2026-01-10T08:00:02.000001+08:00\",\"end\":\"2026-01-10T08:01:00.000000+08:00\"},"
        "\"user\":{\"ip\":\"10.0.0.1\",\"account\":\"u1\",\"mac\":\"02:00:00:00:00:01\"}}",
        "{\"timestamp\":\"2026-01-10T00:00:59.999999Z\",\"user\":{\"ip\":\"10.0.0.1\",\"account\":"
        "\"u1\",\"mac\":\"02:00:00:00:00:01\"}}",
        "{\"timestamp\":\"2026-01-10T23:59:60.000000Z\",\"x\":1}",
        "{\"timestamp\":\"2026-01-10T00:00:00Z\",\"x\":\"2026-01-10T00:00:00.000000Z\"}",
        "{\"timestamp\":\"2026-01-09T18:30:00.123456-05:30\"}",
        "{\"timestamp\":\"2026-01-10T00:00:00.5Z\"}",
        "{\"timestamp\":\"2026-01-10T00:00:00.000000Z\", \"user\" : {\"ip\":\"1\",\"a\":\"2\"}}",
        "{\"timestamp\":\"2026-01-10T00:00:00.000000Z\",\"user\":{\"a\":{\"b\":\"c\"},\"d\":[1,2],"
        "\"e\":\"\"}}",
        "{\"timestamp\":\"2026-01-10T00:00:00.000000Z\",\"user\":\"x\"}",
        "{\"timestamp\":\"2026-01-10T00:00:00.000000Z\",\"user\":{\"ip\":\"1\"}}",
        "{\"timestamp\":\"2026-01-10T00:00:00.000000Z\",\"user\":{\"a\":\"\",\"b\":\"\"}}",
        "{\"timestamp\":\"2026-01-10T00:00:00.000000Z\",\"user\":{\"a\":\"q\\\"x\",\"b\":\"\\u0041\"}}",
        "{\"timestamp\":\"2026-01-10T00:00:00.000000+08:00\",\"x\":\"2026-01-10T00:00:00.000000+08:00\","
        "\"y\":\"2026-01-10T00:00:00.000000+09:00\",\"z\":\"2026-01-10T00:00:00.000000+24:00\"}",
        "{\"timestamp\":\"2026-01-10T00:00:00.000000Z\",\"user\":{\"a\":\"\",\"b\":\"\"}}",
        "{\"timestamp\":\"2026-01-10T00:00:00.000000Z\",\"user\":{\"a\":{\"b\":\"c\"},\"d\":[1,2],"
        "\"e\":\"\"},\"n\":1}",
    };
    int nf = (int)NW_ARRAY_LEN(fixed);

    if (r < nf) return (size_t)snprintf(rec, cap, "%s", fixed[r]);
    r -= nf;
    if (r < 5000) /* more users than the run table holds */
        return (size_t)snprintf(rec, cap,
            "{\"timestamp\":\"2026-01-10T01:%02d:%02d.%06dZ\",\"event_type\":\"dns\",\"user\":"
            "{\"ip\":\"10.%d.%d.%d\",\"account\":\"u%d\"}}", r / 60 % 60, r % 60, r * 7 % 1000000,
            r >> 16, (r >> 8) & 255, r & 255, r);
    if (r < 5300) /* more templates than the table holds */
        return (size_t)snprintf(rec, cap, "{\"timestamp\":\"2026-01-10T02:00:00.000000Z\",\"k%d\":%d,"
                                "\"user\":{\"a\":\"%d\",\"b\":\"x\"}}", r, r, r % 7);
    if (r < 5310) { /* more values than the decoder's piece table: its byte-search path */
        size_t n = (size_t)snprintf(rec, cap, "{\"timestamp\":\"2026-01-10T03:00:00.000000Z\",\"a\":[");
        for (int k = 0; k < 200 + r % 3; k++) n += (size_t)snprintf(rec + n, cap - n, "%s%d", k ? "," : "", k * r);
        return n + (size_t)snprintf(rec + n, cap - n, "],\"user\":{\"a\":\"%d\",\"b\":\"y\"}}", r % 2);
    }
    return rec3(rec, cap, nf + (r * 7919) % 5000); /* users again, in another order */
}

static void no_hash(void *arg, uint64_t h) { (void)arg, (void)h; }

static int find3(const uint8_t *x, size_t n, const char *pat, size_t pl)
{
    for (size_t i = 0; i + pl <= n; i++)
        if (memcmp(x + i, pat, pl) == 0) return (int)i;
    return -1;
}

TEST(template3_encoding)
{
    static char rec[40000];
    static uint32_t spanv[2 * 1024];
    static uint64_t tsv[8000];
    struct nw__spans sp = {.v = spanv, .cap = NW_ARRAY_LEN(spanv)};
    static struct tmpl_enc te;
    struct nw__shapes *sh = nw__shapes_new();
    size_t cap = 16 << 20, o = 0, rl = 0, n = 0, tl;
    uint8_t *x = malloc(cap), *raw = malloc(cap), *out = malloc(cap);
    uint64_t base = UINT64_MAX;
    uint8_t b4;
    int i;

    CHECK(x && raw && out && sh);
    nw__tmpl_reset(&te);
    for (int r = 0; r < 5600; r++) {
        size_t len = rec3(rec, sizeof rec, r);
        struct nw__shape_tmpl tk;
        uint64_t ts;
        if (r % 2) {
            CHECK_EQ(nw__index_record(rec, len, &ts, no_key, NULL, &sp), 0);
            o = nw__tmpl3_add(&te, x, o, rec, len, &sp, NULL, ts);
        } else { /* the writer's path: the template from the shape trie */
            CHECK_EQ(nw__index_record_shaped(sh, rec, len, &ts, no_hash, NULL, &sp, &tk), 0);
            o = nw__tmpl3_add(&te, x, o, rec, len, &sp, &tk, ts);
        }
        CHECK(o + sizeof rec + TMPL_MAX_LEN + 32 <= cap);
        memcpy(raw + rl, rec, len);
        raw[rl + len] = '\n';
        rl += len + 1;
        tsv[n++] = ts;
        if (ts < base) base = ts;
    }
    CHECK_EQ(te.nrun, TMPL_RUN_MAX);
    CHECK(o < rl / 2); /* timestamps and users mostly coded */
    tl = nw__ts_encode(x + o, tsv, n, base);
    memcpy(raw + rl, x + o, tl);
    memset(out, 0, rl + tl);
    CHECK_EQ(nw__tmpl3_decode(x, o + tl, out, rl, rl + tl, n, base), 0);
    CHECK(memcmp(out, raw, rl + tl) == 0);
    /* codes that are not what the writer would have written */
    CHECK((i = find3(x, o, "\0\2Z\0", 4)) > 0); /* a timestamp with its suffix */
    x[i + 2] = 'Q';
    CHECK_EQ(nw__tmpl3_decode(x, o + tl, out, rl, rl + tl, n, base), NW_EFORMAT);
    x[i + 2] = 'Z';
    CHECK((i = find3(x, o, "\0\3\1", 3)) > 0); /* a reference: past the runs defined */
    x[i + 2] = 0xff;
    CHECK_EQ(nw__tmpl3_decode(x, o + tl, out, rl, rl + tl, n, base), NW_EFORMAT);
    x[i + 2] = 1;
    CHECK((i = find3(x, o, "\0\4\2\0", 4)) > 0); /* a run longer than its template's rest */
    x[i + 2] = 0xfe;
    CHECK_EQ(nw__tmpl3_decode(x, o + tl, out, rl, rl + tl, n, base), NW_EFORMAT);
    x[i + 2] = 2;
    b4 = x[i + 4];
    x[i + 4] = 2; /* a code inside a run's definition */
    CHECK_EQ(nw__tmpl3_decode(x, o + tl, out, rl, rl + tl, n, base), NW_EFORMAT);
    x[i + 4] = b4;
    CHECK_EQ(nw__tmpl3_decode(x, o + tl, out, rl, rl + tl, n, base), 0);
    CHECK_EQ(nw__tmpl3_decode(x, o + tl - 1, out, rl, rl + tl - 1, n, base), NW_EFORMAT);
    CHECK_EQ(nw__tmpl3_decode(x, o + tl, out, rl, rl + tl, n + 1, base), NW_EFORMAT);
    /* random damage: refused or decoded, never out of bounds (ASan) */
    srand(11);
    for (int k = 0; k < 1500; k++) {
        size_t yl = o + tl;
        uint8_t *y = malloc(yl);
        CHECK(y != NULL);
        memcpy(y, x, yl);
        for (int f = 0; f < 1 + k % 4; f++) y[(size_t)rand() % yl] = (uint8_t)rand();
        if (k % 5 == 0) yl = (size_t)rand() % yl;
        (void)nw__tmpl3_decode(y, yl, out, rl, rl + tl, n, base);
        free(y);
    }
    nw__tmpl_fini(&te);
    nw__shapes_free(sh);
    free(x);
    free(raw);
    free(out);
}

/* nw__ts_fmt: the text nw_json_parse_time reads back, offsets and limits. */
TEST(timestamp_text)
{
    static const char *ok[] = {"1970-01-01T00:00:00.000000Z", "2026-01-10T08:00:00.000001+08:00",
                               "2026-12-31T23:59:59.999999-11:45", "2024-02-29T12:00:00.500000Z",
                               "9999-12-31T23:59:59.999999Z"};
    uint8_t f[26];
    uint64_t us;

    for (size_t k = 0; k < NW_ARRAY_LEN(ok); k++) {
        size_t n = strlen(ok[k]);
        CHECK_EQ(nw_json_parse_time(ok[k], n, &us), 0);
        CHECK_EQ(nw__ts_fmt(us, (const uint8_t *)ok[k] + 26, n - 26, f), 0);
        CHECK(memcmp(f, ok[k], 26) == 0);
    }
    CHECK_EQ(nw__ts_fmt(0, (const uint8_t *)"-01:00", 6, f), -1); /* before the epoch, local */
    CHECK_EQ(nw__ts_fmt(0, (const uint8_t *)"+24:00", 6, f), -1);
    CHECK_EQ(nw__ts_fmt(0, (const uint8_t *)"+01:60", 6, f), -1);
    CHECK_EQ(nw__ts_fmt(0, (const uint8_t *)"z", 1, f), -1);
    CHECK_EQ(nw__ts_fmt(0, (const uint8_t *)"+0100", 5, f), -1);
    CHECK_EQ(nw__ts_fmt(253402300800000000ull, (const uint8_t *)"Z", 1, f), -1); /* year 10000 */
}

/*
 * The writer's shape path (nw__index_record_shaped) against the full pass:
 * learnt shapes, then every value of every shape replaced by valid and
 * invalid alternatives, then every byte of every line replaced, deleted,
 * doubled and cut: the same result, keys, timestamp, spans and template
 * bytes each time (shape_check). Also that most valid variants did follow a
 * known shape, so the fast path is what was tested.
 */
TEST(shaped_index_matches_full_pass)
{
    static const char *base[] = {
        "{\"timestamp\":\"2026-07-06T04:13:02.940108+08:00\",\"flow_id\":1225255811799667,"
        "\"event_type\":\"tls\",\"src_ip\":\"10.20.68.63\",\"src_port\":38823,\"dest_ip\":"
        "\"5.72.211.13\",\"dest_port\":443,\"proto\":\"TCP\",\"tls\":{\"sni\":\"video.baidu.com\","
        "\"version\":\"TLS 1.3\",\"client_alpns\":[\"h2\",\"http/1.1\"],\"ja3\":{\"hash\":"
        "\"cd08e31494f9531f560d64c695473da9\"}},\"user\":{\"ip\":\"10.20.68.63\",\"account\":"
        "\"u10031\",\"mac\":\"02:4E:57:00:00:1f\",\"calling_station\":\"13800131031\"}}",
        "{\"timestamp\":\"2026-07-06T14:11:57.604355+08:00\",\"event_type\":\"dns\",\"src_ip\":"
        "\"10.0.0.53\",\"dest_ip\":\"2001:DB8:0:1::53\",\"dns\":{\"version\":3,\"type\":\"response\","
        "\"qr\":true,\"rd\":false,\"z\":null,\"queries\":[{\"rrname\":\"s1.taobao.com\",\"rrtype\":"
        "\"A\"}],\"answers\":[{\"rrname\":\"S1.Taobao.COM.\",\"ttl\":252,\"rdata\":\"81.122.107.12\"}]}}",
        "{\"timestamp\":\"2026-07-12T00:00:00.002Z\",\"event_type\":\"session\",\"src_ip\":"
        "\"2001:db8::1\",\"session\":{\"state\":\"start\"},\"user\":{\"ip\":\"10.20.127.16\","
        "\"account\":\"al\\u00e9\\\"x\",\"calling_station\":\"1380\"},\"radius\":{\"user_name\":"
        "\"bob\",\"framed_ip\":\"10.9.9.9\",\"calling_station_id\":\"139\"},\"dhcp\":{"
        "\"assigned_ip\":\"192.168.1.5\",\"client_mac\":\"00:11:22:33:44:55\"},\"pppoe\":{"
        "\"username\":\"carol\",\"for_mac\":\"66:77:88:99:AA:BB\",\"ip\":\"100.64.0.1\"},"
        "\"login\":{\"username\":\"dave\"},\"http\":{\"hostname\":\"www.foo.org\"},\"quic\":{"
        "\"sni\":\"q.baz.io\"},\"src_mac\":\"AA:bb:CC:dd:EE:ff\",\"dest_mac\":\"x\"}",
        " { \"timestamp\" : \"2026-01-10T00:00:02+00:00\" ,\t\"x\":[1,-2.5e3,0,-0,1E+2,true,false,"
        "null,\"\",{},[],[[{}]]], \"n\":{\"a\":{\"b\":[\"\xe4\xb8\xad\\ud83d\\ude00\"]}} }\r",
        "{\"timestamp\":\"2026-01-10T00:00:03Z\",\"s\":\"q\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\","
        "\"\\u0041\":0,\"a15\":\"aaaaaaaaaaaaaaa\",\"a16\":\"aaaaaaaaaaaaaaaa\",\"a17\":"
        "\"aaaaaaaaaaaaaaaaa\",\"a31\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"a32\":"
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"a33\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
        "{\"timestamp\":\"2026-01-10T00:00:05Z\"}",
        "{\"timestamp\":\"bad\",\"timestamp\":\"2026-01-10T00:00:05Z\",\"event_type\":\"a\","
        "\"event_type\":\"session\",\"src_ip\":\"1.2.3.4\",\"src_ip\":\"5.6.7.8\"}",
        "{\"timestamp\":\"2026-01-10T00:00:05Z\",\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\":1,"
        "\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\":\"v\",\"kkkkkkkkkkkkkkkkkkkkkkkkkk"
        "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\":[]}",
    };
    static const char *strs[] = {
        "", "a", "\\\"", "\\\\", "\\u00e9", "\\uD83D\\uDE00", "\xe4\xb8\xad", "\\/", "\\x", "\\u12",
        "\\u12g4", "\\", "\x01", "\x1f", "\n", "\t", "\x7f", "\xff", "aaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa",
        "aaaaaaaaaaaaaaa\\n", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", "10.1.2.3", "1.2.3", "01.2.3.4",
        "2001:DB8::1", "::ffff:1.2.3.4", "x.y.", "AA:BB", "session", "2026-01-10T00:00:00Z",
        "2026-13-10T00:00:00Z", "\",\"x\":\"", "\"}", "a.b.c.d.e.f.g.h.i.j.k",
        "A.b.C.d.e.f.g.h.i.j.k.", "a.b.c.d.e.f.g.h.i", "a\\u002eb.c",
        /* timestamps next to the learnt ones: the cached date must not let these through */
        "2026-07-06T04:13:59.940108+08:00", "2026-07-06T04:13:60.000000+08:00",
        "2026-07-06T04:13:61.940108+08:00", "2026-07-06T04:13:0a.940108+08:00",
        "2026-07-06T04:13:02.94010a+08:00", "2026-07-06T04:13:02.9401080+08:00",
        "2026-07-06T04:13:02,940108+08:00", "2026-07-06T04:13:02.940108+08:01",
        "2026-07-06T04:13:02.940108-08:00", "2026-07-06T04:13:02.940108+0800",
        "2026-07-06T04:13:02.940108Z", "2026-07-06T04:13:03.940108Z", "2026-07-06T04:13:02.94010Z",
        "2026-07-06T04:14:02.940108Z", "2026-07-06t04:13:02.940108Z", "2026-07-06 04:13:02.940108Z",
        "1970-01-01T00:00:00.000000+00:01", "1970-01-01T00:00:59.000000+00:01",
        "1970-01-01T00:01:00.000000+00:01",
    };
    static const char *bares[] = {
        "0", "-0", "7", "-12", "1.5", "1.5e+10", "-2E-3", "1e5", "01", "1.", ".5", "-", "+1", "1e",
        "1e+", "tru", "true", "false", "null", "nul", "truex", "\"s\"", "{}", "[]", "[1]", "0x1",
        "1234567890123456789012345678901234567890", "1 ", " 1", "NaN",
    };
    static const char muts[] = "\"\\{}[],: \n\t\r\x01\x00a0-.eE+tnu";
    static char line[8192];
    static uint32_t spv[2 * 1024];
    struct nw__shapes *sh = nw__shapes_new();
    uint64_t hits, misses, checks = 0, bad = 0;
    uint64_t ts;

    CHECK(sh != NULL);
    for (size_t b = 0; b < NW_ARRAY_LEN(base); b++) { /* learn, then follow */
        size_t len = strlen(base[b]);
        CHECK(shape_check(sh, base[b], len));
        CHECK(shape_check(sh, base[b], len));
    }
    hits = nw__shapes_hits(sh, &misses);
    CHECK_EQ(hits, NW_ARRAY_LEN(base)); /* each second time */
    for (size_t b = 0; b < NW_ARRAY_LEN(base); b++) {
        const char *r = base[b];
        size_t len = strlen(r);
        struct nw__spans sp = {.v = spv, .cap = NW_ARRAY_LEN(spv)};
        CHECK(nw__index_record(r, len, &ts, no_key, NULL, &sp) >= 0);
        /* every value replaced */
        for (size_t k = 0; k < sp.n; k += 2) {
            size_t vb = sp.v[k], ve = sp.v[k + 1];
            int str = vb > 0 && r[vb - 1] == '"';
            const char *const *alt = str ? strs : bares;
            size_t nalt = str ? NW_ARRAY_LEN(strs) : NW_ARRAY_LEN(bares);
            for (size_t a = 0; a < nalt; a++) {
                size_t al = strlen(alt[a]), n = 0;
                memcpy(line, r, vb);
                n = vb;
                memcpy(line + n, alt[a], al);
                n += al;
                memcpy(line + n, r + ve, len - ve);
                n += len - ve;
                checks++;
                if (!shape_check(sh, line, n) && bad++ < 5)
                    fprintf(stderr, "shape path differs on [%.*s]\n", (int)n, line);
            }
        }
        /* every byte replaced, deleted, doubled; every prefix */
        for (size_t i = 0; i < len; i++) {
            for (size_t m = 0; m < sizeof muts; m++) {
                memcpy(line, r, len);
                line[i] = muts[m];
                checks++;
                if (!shape_check(sh, line, len)) bad++;
            }
            memcpy(line, r, i);
            memcpy(line + i, r + i + 1, len - i - 1);
            checks++;
            if (!shape_check(sh, line, len - 1)) bad++;
            memcpy(line, r, i + 1);
            memcpy(line + i + 1, r + i, len - i);
            checks++;
            if (!shape_check(sh, line, len + 1)) bad++;
            checks++;
            if (!shape_check(sh, r, i)) bad++;
        }
    }
    CHECK_EQ(bad, 0);
    hits = nw__shapes_hits(sh, &misses) - hits;
    CHECK(checks > 20000);
    CHECK(hits > 1000); /* the variants that keep a shape went the fast way */
    /* a trie that is full starts over and still agrees: more shapes than SHAPE_ARENA holds */
    for (int k = 0; k < 6000; k++) {
        size_t n = (size_t)snprintf(line, sizeof line, "{\"timestamp\":\"2026-01-10T00:00:06Z\","
                                    "\"%0200d\":", k);
        for (int d = 0; d < k % 40; d++) line[n++] = '[';
        line[n++] = '1';
        for (int d = 0; d < k % 40; d++) line[n++] = ']';
        line[n++] = '}';
        CHECK(shape_check(sh, line, n));
        CHECK(shape_check(sh, line, n));
    }
    nw__shapes_free(sh);
}

/* The one segment file under dir (one day); its bytes from offset 64 in *buf (caller frees). */
static size_t seg_body(const char *dir, char **buf)
{
    char path[1024], sub[512];
    DIR *d = opendir(dir), *e;
    struct dirent *de;
    size_t n = 0;

    *buf = NULL;
    sub[0] = path[0] = '\0';
    while (d && (de = readdir(d)) != NULL)
        if (de->d_name[0] == '2') snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name);
    if (d) closedir(d);
    e = sub[0] ? opendir(sub) : NULL;
    while (e && (de = readdir(e)) != NULL)
        if (strstr(de->d_name, ".nws")) snprintf(path, sizeof path, "%s/%s", sub, de->d_name);
    if (e) closedir(e);
    FILE *f = path[0] ? fopen(path, "rb") : NULL;
    if (f == NULL) return 0;
    fseek(f, 0, SEEK_END);
    n = (size_t)ftell(f);
    *buf = malloc(n + 1);
    fseek(f, 64, SEEK_SET); /* the header holds the store id and creation time */
    n = n > 64 ? fread(*buf, 1, n - 64, f) : 0;
    fclose(f);
    return n;
}

/*
 * Key groups (the user object's keys taken at once, their probes skipped
 * when the block has them): the segment written with them is byte for byte
 * the one written without (NW_STORE_KGROUP=0), filters included. A few users
 * that repeat in every block, then more users than the group cache holds,
 * with addresses that change (sessions), escapes, and other shapes.
 */
TEST(key_groups_same_blocks)
{
    char *body[2] = {NULL, NULL};
    size_t blen[2] = {0, 0};

    for (int run = 0; run < 2; run++) {
        struct nw_store_opts o;
        struct nw_store *s;
        struct nw_err err;
        const char *dir = fresh_dir();
        char rec[1024];
        CHECK(dir != NULL);
        opts_small(&o);
        o.block_bytes = 16384;
        if (run == 1) setenv("NW_STORE_KGROUP", "0", 1);
        CHECK_EQ(nw_store_open(&s, dir, &o, &err), 0);
        unsetenv("NW_STORE_KGROUP");
        for (int i = 0; i < 30000; i++) {
            int u = i < 6000 ? i % 5 : (i * 7919) % 5000, l;
            const char *acc = u % 97 == 0 ? "\\u00e9x" : "u";
            l = snprintf(rec, sizeof rec,
                         "{\"timestamp\":\"2026-01-10T%02d:%02d:%02d.%06dZ\",\"event_type\":\"%s\","
                         "\"src_ip\":\"10.1.%d.%d\",\"dest_ip\":\"8.8.%d.8\",%s\"user\":{"
                         "\"ip\":\"10.%d.%d.%d\",\"account\":\"%s%d\",\"mac\":\"02:AA:00:00:%02x:%02X\","
                         "%s\"calling_station\":\"1380%d\",\"hostname\":\"pc-%d\"}}",
                         i / 3600 % 24, i / 60 % 60, i % 60, i, i % 4 ? "dns" : "flow", u % 256,
                         i % 200, i % 50, i % 3 ? "" : "\"dns\":{\"rrname\":\"a.b.example.com\"},",
                         u / 256, u % 256, i / 7000, acc, u, u / 256, u % 256,
                         u % 11 == 0 ? "\"mac\":\"x\"," : "", u, u);
            CHECK_EQ(nw_store_append(s, rec, (size_t)l, &err), 0);
        }
        CHECK_EQ(nw_store_close(s, &err), 0);
        blen[run] = seg_body(dir, &body[run]);
        rm_rf(dir);
    }
    {
        int same = body[0] && body[1] && blen[0] == blen[1] &&
                   memcmp(body[0], body[1], blen[0]) == 0;
        free(body[0]);
        free(body[1]);
        CHECK(blen[0] > 100000);
        CHECK(same);
    }
}

/* Out of memory is not evidence of tampering: verify returns NW_ENOMEM, never 1,
 * whichever allocation fails, on sealed and on active segments (it said "FAILED: ...
 * out of memory although its SHA-256 matches the chain", found by alloc_fail.sh). */
TEST(verify_out_of_memory)
{
    struct nw_store_opts o;
    struct nw_err err;
    const char *dir = fresh_dir();
    char active[600];
    int nomem = 0;

    opts_small(&o);
    o.segment_bytes = 8192;
    CHECK(fill(dir, 300, 2, &o, NULL, NULL) == 0);
    snprintf(active, sizeof active, "%s/crashed", dir);
    CHECK(crashed_store(active, &o) == 0);
    for (int k = 0; k < 2; k++) {
        const char *d = k ? active : dir;
        for (uint64_t n = 1; n <= 64; n++) {
            int rc;
            nw_alloc_fail_at(n);
            rc = nw_store_verify(d, NULL, NULL, &err);
            nw_alloc_fail_at(0);
            CHECK(rc == 0 || rc == NW_ENOMEM);
            nomem += rc == NW_ENOMEM;
        }
        CHECK_EQ(nw_store_verify(d, NULL, NULL, &err), 0);
    }
    CHECK(nomem > 2);
    rm_rf(dir);
}

NW_TEST_MAIN(NWT_ENTRY(shaped_index_matches_full_pass) NWT_ENTRY(key_groups_same_blocks) NWT_ENTRY(template_encoding)
                 NWT_ENTRY(template3_encoding) NWT_ENTRY(timestamp_text) NWT_ENTRY(must_contain_prefilter) NWT_ENTRY(round_trip_byte_exact) NWT_ENTRY(index_keys) NWT_ENTRY(key_and_time_skipping)
                 NWT_ENTRY(verify_detects_tampering) NWT_ENTRY(verify_out_of_memory) NWT_ENTRY(signed_chain)
                 NWT_ENTRY(crash_recovery) NWT_ENTRY(crash_recovery_torn_header)
                 NWT_ENTRY(damaged_active_segment_kept_as_found)
                 NWT_ENTRY(zeros_before_later_blocks_are_a_torn_tail)
                 NWT_ENTRY(sealed_segment_without_its_chain_line) NWT_ENTRY(second_writer_refused) NWT_ENTRY(retention_simulated_clock)
                 NWT_ENTRY(retention_legal_floor) NWT_ENTRY(disk_full))
