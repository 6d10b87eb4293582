/*
 * fuzz_recover.c - the writer's crash recovery (store_write.c) on arbitrary
 * bytes: the input is the one active segment of a store whose chain says
 * "open 1 2026-01-10" and nothing more, as a crash leaves it. The store is
 * opened for writing (recovery: torn tails cut, damage kept as found, the
 * segment sealed and chained), one record is appended and the store closed.
 * Whatever the bytes, three things must hold, or the harness aborts:
 *  - the store opens again afterwards (recovery never leaves it unopenable);
 *  - the record appended after recovery comes back from a scan (recovery
 *    never costs a record written after it);
 *  - verify passes, unless recovery kept a damaged segment (a "bad" chain
 *    line), which verify must then report (exit 1).
 * Segment seeds are fuzz_segment's (sealed, active, every block encoding).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nw/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DAY0_US 1768003200000000ull /* 2026-01-10T00:00:00Z */
#define MARK "{\"timestamp\":\"2026-01-10T11:00:00.000000+0000\",\"event_type\":\"alert\"," \
             "\"src_ip\":\"10.9.9.9\",\"fuzz_recover\":1}"

static char dir[64], daydir[96], seg[160];
static char *tpl_store, *tpl_chain;
static size_t tpl_store_len, tpl_chain_len;
static FILE *devnull;

static uint64_t fixed_clock(void *arg)
{
    (void)arg;
    return DAY0_US + 12 * 3600 * 1000000ull;
}

static void opts(struct nw_store_opts *o)
{
    nw_store_opts_defaults(o);
    o->fsync = NW_STORE_FSYNC_NEVER;
    o->retention_days = 0;
    o->reserve_bytes = 0;
    o->clock = fixed_clock;
    o->quiet = 1;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b = malloc(1 << 16);
    if (f == NULL || b == NULL) abort();
    *len = fread(b, 1, (1 << 16) - 1, f);
    fclose(f);
    return b;
}

static void put(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) abort();
    if (n && fwrite(p, 1, n, f) != n) abort();
    fclose(f);
}

/* The template: a writer that appended one record and died before closing. */
static void setup(void)
{
    char p[128];
    pid_t pid;
    int st;

    snprintf(dir, sizeof dir, "/tmp/nwfuzzrecXXXXXX");
    if (mkdtemp(dir) == NULL) abort();
    snprintf(daydir, sizeof daydir, "%s/2026-01-10", dir);
    snprintf(seg, sizeof seg, "%s/000000000001.nws", daydir);
    pid = fork();
    if (pid == 0) {
        struct nw_store *s;
        struct nw_store_opts o;
        struct nw_err err;
        opts(&o);
        if (nw_store_open(&s, dir, &o, &err) != 0 || nw_store_append(s, MARK, strlen(MARK),
                                                                     &err) != 0 ||
            nw_store_flush(s, 0, &err) != 0)
            _exit(1);
        _exit(0); /* the crash */
    }
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) abort();
    snprintf(p, sizeof p, "%s/STORE", dir);
    tpl_store = slurp(p, &tpl_store_len);
    snprintf(p, sizeof p, "%s/chain", dir);
    tpl_chain = slurp(p, &tpl_chain_len);
    devnull = fopen("/dev/null", "w");
    if (devnull == NULL) abort();
}

static void rm_files(const char *path)
{
    char p[1024];
    DIR *d = opendir(path);
    struct dirent *de;

    if (d == NULL) return;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", path, de->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(path);
}

/* Back to the template: STORE, chain, the input as the segment, nothing else. */
static void reset(const uint8_t *data, size_t size)
{
    char p[512];
    DIR *d;
    struct dirent *de;

    if ((d = opendir(daydir)) != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.') continue;
            snprintf(p, sizeof p, "%s/%s", daydir, de->d_name);
            unlink(p);
        }
        closedir(d);
    }
    if ((d = opendir(dir)) != NULL) { /* other day partitions a record may have made */
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.' || strcmp(de->d_name, "2026-01-10") == 0) continue;
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            if (unlink(p) != 0) rm_files(p); /* a day partition: files only */
        }
        closedir(d);
    }
    mkdir(daydir, 0700);
    snprintf(p, sizeof p, "%s/STORE", dir);
    put(p, tpl_store, tpl_store_len);
    snprintf(p, sizeof p, "%s/chain", dir);
    put(p, tpl_chain, tpl_chain_len);
    put(seg, data, size);
}

static int on_rec(void *arg, const char *line, size_t len, uint64_t ts)
{
    (void)ts;
    if (len == strlen(MARK) && memcmp(line, MARK, len) == 0) ++*(int *)arg;
    return 0;
}

static int chain_has_bad(void)
{
    char p[128];
    size_t n;
    char *c;
    int bad;

    snprintf(p, sizeof p, "%s/chain", dir);
    c = slurp(p, &n);
    c[n] = '\0';
    bad = strncmp(c, "bad ", 4) == 0 || strstr(c, "\nbad ") != NULL;
    free(c);
    return bad;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nw_store *s;
    struct nw_store_opts o;
    struct nw_store_scan q;
    struct nw_err err;
    int found = 0, rc;

    if (size > (4u << 20)) return 0;
    if (tpl_store == NULL) setup();
    reset(data, size);
    opts(&o);
    if (nw_store_open(&s, dir, &o, &err) != 0) return 0; /* refused, with a reason */
    rc = nw_store_append(s, MARK, strlen(MARK), &err);
    if (nw_store_close(s, &err) != 0 || rc != 0) return 0;
    if (nw_store_open(&s, dir, &o, &err) != 0) {
        fprintf(stderr, "fuzz_recover: the store does not open after recovery: %s\n", err.msg);
        abort();
    }
    nw_store_close(s, &err);
    memset(&q, 0, sizeof q);
    q.until_us = UINT64_MAX;
    q.on_record = on_rec;
    q.arg = &found;
    nw_store_scan(dir, &q, NULL, &err);
    if (found < 1) {
        fprintf(stderr, "fuzz_recover: the record appended after recovery is lost\n");
        abort();
    }
    rc = nw_store_verify(dir, NULL, devnull, &err);
    if (rc != 0 && !(rc == 1 && chain_has_bad())) {
        fprintf(stderr, "fuzz_recover: verify says %d after recovery: %s\n", rc, err.msg);
        abort();
    }
    return 0;
}
