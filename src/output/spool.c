/*
 * spool.c - a crash-safe FIFO of batch files on local disk, used by the
 * ClickHouse sink so that nothing is lost while ClickHouse is down or when
 * netwarden itself dies.
 *
 * Invariants:
 *  - A file named <seq>.batch is complete: it was written as <seq>.tmp,
 *    fsync'd, renamed, and the directory fsync'd before put() returned. A
 *    crash leaves at most a .tmp file, which open() deletes (its batch was
 *    never acknowledged to anyone, and the records are still in the
 *    producer's hands at that moment - see docs/clickhouse.md).
 *  - Sequence numbers are (epoch << 32 | n). The epoch is bumped and fsync'd
 *    at every open, and is at least one more than the epoch of any batch
 *    found, so numbers strictly increase across runs and crashes.
 *  - Batches leave only from the head (oldest first): consumers see them in
 *    sequence order.
 *  - The payload bytes held never exceed max_bytes.
 * Workload: one put per batch (thousands of records), one fsync of the file
 * and one of the directory each. The index is an array of pending batches;
 * producer and consumer threads share it under a mutex; file I/O of peek
 * happens outside the lock (the producer never touches existing files).
 */
#include "nw/clickhouse.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_LEN 32
#define MAGIC "NWSPOOL1"
#define MAX_PAYLOAD (256u << 20)
#define MAX_FILES_SCANNED 10000000u

struct entry {
    uint64_t seq;
    uint64_t len;   /* payload bytes */
};

struct nw_spool {
    char *dir;
    int dirfd;
    int lockfd;
    char id[33];
    uint64_t epoch;
    uint64_t next_n;
    uint64_t max_bytes;
    pthread_mutex_t mu;
    struct entry *ents; /* pending, ascending seq, [head, n) */
    size_t head, n, cap;
    uint64_t bytes;     /* payload bytes pending */
    uint64_t bad;       /* damaged files set aside */
};

/* CRC-32 (IEEE 802.3, reflected), slicing-by-8: every byte of every batch
 * is checksummed twice (put and peek), so this must run at memory speed.
 * The tables are built once (pthread_once: producer and sender threads). */
static uint32_t crc_tab[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
        crc_tab[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
}

static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
    pthread_once(&crc_once, crc_init);
    crc = ~crc;
    while (n >= 8) {
        uint32_t a = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                            (uint32_t)p[3] << 24);
        crc = crc_tab[7][a & 0xff] ^ crc_tab[6][(a >> 8) & 0xff] ^ crc_tab[5][(a >> 16) & 0xff] ^
              crc_tab[4][a >> 24] ^ crc_tab[3][p[4]] ^ crc_tab[2][p[5]] ^ crc_tab[1][p[6]] ^
              crc_tab[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n--) crc = (crc >> 8) ^ crc_tab[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;

    for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;

    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static ssize_t read_full(int fd, void *buf, size_t n)
{
    char *p = buf;
    size_t got = 0;

    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Write name in the spool atomically: tmp file, fsync, rename, fsync dir. */
static int write_file_atomic(struct nw_spool *s, const char *name, const void *a, size_t alen,
                             const void *b, size_t blen, struct nw_err *err)
{
    char tmp[64];
    int fd, rc = 0;

    snprintf(tmp, sizeof tmp, "%s.tmp", name);
    fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) goto fail;
    if (write_all(fd, a, alen) != 0 || (blen && write_all(fd, b, blen) != 0) || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlinkat(s->dirfd, tmp, 0);
        errno = e;
        goto fail;
    }
    if (close(fd) != 0 || renameat(s->dirfd, tmp, s->dirfd, name) != 0 || fsync(s->dirfd) != 0)
        goto fail;
    return 0;
fail:
    rc = nw_err_set(err, NW_EIO, "spool %s/%s: %s; check free space and permissions", s->dir,
                    name, strerror(errno));
    return rc;
}

/* Read a small decimal or text file; returns bytes read or -1. */
static ssize_t read_small(struct nw_spool *s, const char *name, char *buf, size_t sz)
{
    int fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC);
    ssize_t r;

    if (fd < 0) return -1;
    r = read_full(fd, buf, sz - 1);
    close(fd);
    if (r < 0) return -1;
    buf[r] = '\0';
    return r;
}

static int mkdirs(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);

    if (n == 0 || n >= sizeof tmp) return -1;
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == '\0') {
            char c = tmp[i];
            tmp[i] = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST) return -1;
            tmp[i] = c;
        }
    }
    return 0;
}

static int ent_cmp(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;

    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int ent_push(struct nw_spool *s, uint64_t seq, uint64_t len)
{
    if (s->n == s->cap) {
        /* compact the consumed prefix before growing */
        if (s->head > 0) {
            memmove(s->ents, s->ents + s->head, (s->n - s->head) * sizeof *s->ents);
            s->n -= s->head;
            s->head = 0;
        }
        if (s->n == s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 64;
            struct entry *ne = nw_realloc(s->ents, nc * sizeof *ne);
            if (ne == NULL) return NW_ENOMEM;
            s->ents = ne;
            s->cap = nc;
        }
    }
    s->ents[s->n].seq = seq;
    s->ents[s->n].len = len;
    s->n++;
    s->bytes += len;
    return 0;
}

static int parse_batch_name(const char *name, uint64_t *seq)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 16; i++) {
        char c = name[i];
        int d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else return -1;
        v = (v << 4) | (uint64_t)d;
    }
    if (strcmp(name + 16, ".batch") != 0) return -1;
    *seq = v;
    return 0;
}

static int scan_dir(struct nw_spool *s, uint64_t *max_epoch, struct nw_err *err)
{
    int fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;
    struct dirent *de;
    uint32_t seen = 0;
    int rc = 0;

    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0) close(fd);
        return nw_err_set(err, NW_EIO, "spool %s: cannot list: %s", s->dir, strerror(errno));
    }
    while ((de = readdir(d)) != NULL && seen++ < MAX_FILES_SCANNED) {
        const char *nm = de->d_name;
        size_t l = strlen(nm);
        uint64_t seq;
        struct stat st;

        if (l > 4 && strcmp(nm + l - 4, ".tmp") == 0) {
            unlinkat(s->dirfd, nm, 0); /* an unfinished put: never acknowledged */
            continue;
        }
        if (l > 4 && strcmp(nm + l - 4, ".bad") == 0) {
            s->bad++;
            continue;
        }
        if (parse_batch_name(nm, &seq) != 0) continue;
        if (fstatat(s->dirfd, nm, &st, 0) != 0) continue;
        if ((seq >> 32) > *max_epoch) *max_epoch = seq >> 32;
        rc = ent_push(s, seq, st.st_size > HDR_LEN ? (uint64_t)st.st_size - HDR_LEN : 0);
        if (rc != 0) {
            rc = nw_err_set(err, rc, "spool %s: out of memory indexing batches", s->dir);
            break;
        }
    }
    closedir(d);
    if (rc == 0 && s->n > 1) qsort(s->ents, s->n, sizeof *s->ents, ent_cmp);
    return rc;
}

int nw_spool_open(struct nw_spool **out, const char *dir, uint64_t max_bytes,
                  struct nw_err *err)
{
    struct nw_spool *s;
    char buf[64];
    uint64_t max_epoch = 0;
    int rc;

    *out = NULL;
    s = nw_calloc(1, sizeof *s);
    if (s == NULL) return nw_err_set(err, NW_ENOMEM, "out of memory opening spool %s", dir);
    s->dirfd = s->lockfd = -1;
    s->max_bytes = max_bytes;
    pthread_mutex_init(&s->mu, NULL);
    s->dir = nw_strndup(dir, 4096);
    if (s->dir == NULL) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory opening spool %s", dir);
        goto out;
    }
    if (mkdirs(dir) != 0 ||
        (s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        rc = nw_err_set(err, NW_EIO, "spool directory %s: %s; create it or choose another with "
                        "?spool=DIR", dir, strerror(errno));
        goto out;
    }
    s->lockfd = openat(s->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lockfd < 0) {
        rc = nw_err_set(err, NW_EIO, "spool %s/lock: %s", dir, strerror(errno));
        goto out;
    }
    if (flock(s->lockfd, LOCK_EX | LOCK_NB) != 0) {
        rc = nw_err_set(err, NW_EINVAL, "spool %s is in use by another netwarden process; give "
                        "each writer its own spool (?spool=DIR)", dir);
        goto out;
    }
    /* sensor id: random once per spool, identifies this writer's rows */
    if (read_small(s, "id", buf, sizeof buf) == 32) {
        memcpy(s->id, buf, 32);
    } else {
        unsigned char r[16];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
            rc = nw_err_set(err, NW_EIO, "spool %s: no random bytes for the id", dir);
            goto out;
        }
        for (int i = 0; i < 16; i++) snprintf(s->id + 2 * i, 3, "%02x", r[i]);
        rc = write_file_atomic(s, "id", s->id, 32, NULL, 0, err);
        if (rc != 0) goto out;
    }
    s->id[32] = '\0';
    rc = scan_dir(s, &max_epoch, err);
    if (rc != 0) goto out;
    if (read_small(s, "epoch", buf, sizeof buf) > 0) {
        uint64_t e = strtoull(buf, NULL, 10);
        if (e > max_epoch) max_epoch = e;
    }
    if (max_epoch >= 0x7fffffffu) {
        rc = nw_err_set(err, NW_ELIMIT, "spool %s: epoch counter exhausted; start a new spool",
                        dir);
        goto out;
    }
    s->epoch = max_epoch + 1;
    snprintf(buf, sizeof buf, "%" PRIu64 "\n", s->epoch);
    rc = write_file_atomic(s, "epoch", buf, strlen(buf), NULL, 0, err);
    if (rc != 0) goto out;
    *out = s;
    return 0;
out:
    nw_spool_close(s);
    return rc;
}

void nw_spool_close(struct nw_spool *s)
{
    if (s == NULL) return;
    if (s->lockfd >= 0) close(s->lockfd); /* releases the flock */
    if (s->dirfd >= 0) close(s->dirfd);
    pthread_mutex_destroy(&s->mu);
    nw_free(s->ents);
    nw_free(s->dir);
    nw_free(s);
}

const char *nw_spool_id(const struct nw_spool *s) { return s->id; }

uint64_t nw_spool_next_seq(struct nw_spool *s)
{
    uint64_t seq;

    pthread_mutex_lock(&s->mu);
    if (s->next_n > 0xffffffffu) { /* 4 G batches in one run: move to a fresh epoch */
        s->epoch++;
        s->next_n = 0;
    }
    seq = (s->epoch << 32) | s->next_n++;
    pthread_mutex_unlock(&s->mu);
    return seq;
}

int nw_spool_put(struct nw_spool *s, uint64_t seq, const char *data, size_t len, uint32_t nrec,
                 struct nw_err *err)
{
    unsigned char hdr[HDR_LEN];
    char name[32];
    int rc;

    if (len > MAX_PAYLOAD) return nw_err_set(err, NW_ELIMIT, "spool batch too large");
    pthread_mutex_lock(&s->mu);
    rc = s->bytes + len > s->max_bytes ? NW_ELIMIT : 0;
    pthread_mutex_unlock(&s->mu);
    if (rc != 0)
        return nw_err_set(err, rc, "spool %s is full (%" PRIu64 " bytes); raise ?spool_max= or "
                          "bring ClickHouse back", s->dir, s->max_bytes);
    memcpy(hdr, MAGIC, 8);
    put_le(hdr + 8, seq, 8);
    put_le(hdr + 16, nrec, 4);
    put_le(hdr + 20, crc32_update(0, (const unsigned char *)data, len), 4);
    put_le(hdr + 24, len, 8);
    snprintf(name, sizeof name, "%016" PRIx64 ".batch", seq);
    rc = write_file_atomic(s, name, hdr, sizeof hdr, data, len, err);
    if (rc != 0) return rc;
    pthread_mutex_lock(&s->mu);
    rc = ent_push(s, seq, len);
    pthread_mutex_unlock(&s->mu);
    if (rc != 0) {
        /* cannot index it in memory: it is on disk and the next open finds it */
        return nw_err_set(err, rc, "spool %s: out of memory indexing batch", s->dir);
    }
    return 0;
}

/* Remove the head entry (caller holds mu). */
static void pop_head(struct nw_spool *s)
{
    s->bytes -= s->ents[s->head].len;
    s->head++;
    if (s->head == s->n) s->head = s->n = 0;
}

int nw_spool_peek(struct nw_spool *s, struct nw_spool_batch *b, char *buf, size_t bufsz,
                  struct nw_err *err)
{
    /* bounded: each iteration removes one damaged entry or returns */
    for (;;) {
        unsigned char hdr[HDR_LEN];
        char name[32], bad[32];
        uint64_t seq, len;
        int fd;
        ssize_t r;
        const char *why = NULL;

        pthread_mutex_lock(&s->mu);
        if (s->head == s->n) {
            pthread_mutex_unlock(&s->mu);
            return NW_ENOENT;
        }
        seq = s->ents[s->head].seq;
        pthread_mutex_unlock(&s->mu);
        snprintf(name, sizeof name, "%016" PRIx64 ".batch", seq);
        fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            why = "cannot be opened";
        } else {
            r = read_full(fd, hdr, sizeof hdr);
            len = r == HDR_LEN ? get_le(hdr + 24, 8) : 0;
            if (r != HDR_LEN || memcmp(hdr, MAGIC, 8) != 0 || get_le(hdr + 8, 8) != seq)
                why = "has a bad header";
            else if (len > bufsz)
                why = "is larger than the batch buffer";
            else if (read_full(fd, buf, (size_t)len) != (ssize_t)len)
                why = "is truncated";
            else if (crc32_update(0, (unsigned char *)buf, (size_t)len) != get_le(hdr + 20, 4))
                why = "fails its CRC";
            else {
                char extra;
                if (read_full(fd, &extra, 1) != 0) why = "has trailing bytes";
            }
            close(fd);
        }
        if (why == NULL) {
            b->seq = seq;
            b->nrec = (uint32_t)get_le(hdr + 16, 4);
            b->data = buf;
            b->len = (size_t)len;
            return 0;
        }
        /* set it aside, loudly: never silently lose a batch */
        snprintf(bad, sizeof bad, "%016" PRIx64 ".bad", seq);
        renameat(s->dirfd, name, s->dirfd, bad);
        nw_err_set(err, NW_EFORMAT, "spool %s/%s %s; moved to %s", s->dir, name, why, bad);
        nw_log(NW_LOG_ERROR, "%s", err->msg);
        pthread_mutex_lock(&s->mu);
        if (s->head < s->n && s->ents[s->head].seq == seq) pop_head(s);
        s->bad++;
        pthread_mutex_unlock(&s->mu);
    }
}

int nw_spool_drop(struct nw_spool *s, uint64_t seq)
{
    char name[32];
    int rc = 0;

    snprintf(name, sizeof name, "%016" PRIx64 ".batch", seq);
    /* No directory fsync: if the unlink is lost in a power cut, the batch is
     * re-sent and reconciliation finds its rows already present. */
    if (unlinkat(s->dirfd, name, 0) != 0 && errno != ENOENT) rc = NW_EIO;
    pthread_mutex_lock(&s->mu);
    if (s->head < s->n && s->ents[s->head].seq == seq) pop_head(s);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void nw_spool_pending(struct nw_spool *s, uint64_t *batches, uint64_t *bytes, uint64_t *bad)
{
    pthread_mutex_lock(&s->mu);
    if (batches) *batches = s->n - s->head;
    if (bytes) *bytes = s->bytes;
    if (bad) *bad = s->bad;
    pthread_mutex_unlock(&s->mu);
}
