/*
 * store_write.c - the store's write side: append, block cutting, flush and
 * fsync policy, sealing and chaining, crash recovery, retention, disk full.
 *
 * Invariants:
 *  - One writer per directory (flock on DIR/LOCK).
 *  - A segment file only grows by whole blocks written with one pwrite at
 *    the known good end; a failed or partial write is truncated back, so a
 *    file is always header + whole blocks [+ footer + trailer once sealed],
 *    except for a torn last block after a crash, which the next open cuts.
 *  - The chain line "open" is written (and synced) before its segment file
 *    exists, "seg" after the sealed file is synced. So recovery knows every
 *    segment that may be unsealed, and verify knows every file that should
 *    exist.
 *  - Nothing younger than the retention is ever deleted; disk full stops
 *    writing, it never makes room by deleting.
 *
 * Policy ("flushed" / "synced"), see docs/internals/store.md:
 *  - A record is FLUSHED when the block holding it has been written to the
 *    segment file (write(2) returned): it then survives kill -9 of the
 *    process. Blocks are cut at block_bytes of raw JSON, or when the oldest
 *    pending record has waited flush_ms (checked on append and on tick).
 *  - It is SYNCED (survives power loss) after fdatasync: with fsync=interval
 *    at most flush_ms after it was flushed, always when a segment is sealed
 *    and on close.
 *
 * Workload: ~1 M records/s from one thread: per record one validating check
 * against a known record shape (the full JSON pass for a new shape), a few
 * cached key hashes into an open-addressing set, the template split, one
 * memcpy; per block (4 MiB) one zstd call and one pwrite.
 */
#include "store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include "nw/json.h"
#include "nw/jsonscan.h"
#include "nw/output.h"

#define MAX_ACTIVE 4          /* days written at once (late records around midnight) */
#define DAY_US 86400000000ull
#define MAX_REC_KEYS 256      /* keys kept per record; more are not indexed */
#define RESUME_CHECK_US 5000000ull
#define RECENT_KEYS 4096      /* per active day: keys surely in the block's set already */
#define GROUPS_SEEN 1024      /* per active day: key groups whose keys the block has */

struct active {
    int fd;
    uint32_t day;
    uint64_t seq;
    uint64_t size;            /* good end of the file */
    uint64_t created_us;      /* clock time, for segment_seconds */
    uint64_t nrec, nblocks, min_ts, max_ts;
    EVP_MD_CTX *sha;          /* SHA-256 of everything written, for the chain */
    struct nw_buf footer;     /* header + filter copies of every block */
    /* the pending block */
    char *data;               /* records, each + '\n'; timestamps appended at cut */
    size_t dlen, dcap;
    uint64_t *ts;
    size_t nts, tscap;
    uint64_t *set;            /* open-addressing set of key hashes (0 = empty) */
    size_t nset, setcap;      /* setcap a power of two */
    /* direct-mapped front of set: most keys repeat within a block (type:flow, the same
     * users), and set is too large for the cache; a hit here skips the probe */
    uint64_t recent[RECENT_KEYS];
    /* key groups (nw__shapes_on_group) whose keys are all in set: a record with one of
     * them skips those keys' probes (a user's identity object: ~6 keys a record) */
    uint64_t gseen[GROUPS_SEEN];
    uint64_t pmin, pmax;
    /* the pending block as BLK_ENC_TMPL (store.tmpl), built record by record */
    uint8_t *x;
    size_t xlen, xcap;
    int xbad;                 /* out of memory for x: this block is stored plain */
    struct tmpl_enc te;
    /* BLK_ENC_IDENT (store.ident): the identity records' own stream (x then
     * holds the others), their ordinals in the block, classes, timestamps */
    uint8_t *ix;
    size_t ixlen, ixcap;
    struct tmpl_enc ite;
    uint32_t *ipos;
    uint8_t *icls;
    uint64_t *its;
    size_t ni, nicap, irecs;
    /* the key directory's entries so far (KDIR_ENT_LEN bytes each, unsorted), noted per
     * session record while appending (kd_note); kdok: all of them, since the segment was
     * opened by this process (else, recovered or out of memory, seal reads the blocks
     * back: kdir_build) */
    uint8_t *kd;
    size_t kdn, kdcap;
    int kdok;
    uint64_t pending_since;   /* clock time of the first pending record */
    uint64_t last_use;
};

struct nw_store {
    char *dir;
    int lockfd, chainfd, reservefd;
    struct chain chain;
    uint8_t store_id[STORE_ID_LEN];
    uint8_t sk[64];
    int signing;
    struct nw_store_opts o;
    struct active act[MAX_ACTIVE];
    int nact;
    uint64_t next_seq;
    ZSTD_CCtx *cctx;
    uint8_t *cbuf;
    size_t ccap;
    int tmpl;                 /* encode blocks as templates (NW_STORE_TMPL=0 turns it off) */
    int ident;                /* identity frame, BLK_ENC_IDENT (needs tmpl; NW_STORE_IDENT=0) */
    int enc3;                 /* ... with value codes, BLK_ENC_IDENT3 (needs ident; NW_STORE_ENC=2) */
    int enc4;                 /* ... bulk tokens in columns, BLK_ENC_IDENT4 (NW_STORE_ENC=3: off) */
    uint8_t *t4;              /* the IDENT4 bulk stream of the block being cut */
    size_t t4cap;
    struct nw__enc4 *e4;      /* its scratch (NULL: not made yet, or no memory: enc 3) */
    uint32_t spanv[2 * 1024]; /* value spans of the record being appended */
    struct nw__spans spans;
    struct nw__shapes *shapes; /* record shapes seen (NULL: out of memory, full pass only) */
    uint8_t *filter;
    uint64_t rec_keys[MAX_REC_KEYS];
    size_t nrec_keys;
    size_t nkeys;             /* keys of the record, also those past MAX_REC_KEYS */
    uint64_t grp_id;          /* its key group (0: none): rec_keys[grp_at, + grp_n) */
    size_t grp_at, grp_n;
    int kgroups;              /* skip the probes of key groups (NW_STORE_KGROUP=0: off) */
    int kdir;                 /* seal with a key directory (NW_STORE_KDIR=0: off; 2: always
                                 built by reading the blocks back, as recovery does: tests) */
    struct nw_store_stats st;
    uint64_t last_sync, last_tick, last_retention, last_resume_try, stopped_since;
    uint64_t missed_at_stop;
    int stop_errno;
    uint64_t sim_limit, sim_used; /* NW_STORE_DISK_LIMIT: simulated device size (tests) */
    uint64_t appends;
    int in_alarm;
    int stopping, stop_failed;
    int nomem_said;           /* the sink logged a record missed for want of memory */
    char damage_msg[600];     /* recovery found damaged segments: the alarm, once open */
};

static uint64_t now_us(const struct nw_store *s)
{
    return s->o.clock ? s->o.clock(s->o.clock_arg) : nw_time_now_us();
}

void nw_store_opts_defaults(struct nw_store_opts *o)
{
    memset(o, 0, sizeof *o);
    o->block_bytes = 4u << 20;
    o->segment_bytes = 64u << 20;
    o->segment_seconds = 3600;
    o->flush_ms = 1000;
    o->fsync = NW_STORE_FSYNC_INTERVAL;
    o->level = 1; /* enc 3 streams: 1/14.9 of the JSON, ~7 % less store CPU than level 2 (1/15.5) */
    o->retention_days = NW_STORE_DEFAULT_RETENTION_DAYS;
    o->reserve_bytes = 1u << 20;
}

int nw_store_check_retention(uint64_t days, struct nw_err *err)
{
    if (days < NW_STORE_MIN_RETENTION_DAYS)
        return nw_err_set(err, NW_EINVAL, "retention_days = %llu is refused: MPS Order No. 82 "
                          "art. 13 requires at least %d days of record backup; set "
                          "retention_days to %d or more (default %d)", (unsigned long long)days,
                          NW_STORE_MIN_RETENTION_DAYS, NW_STORE_MIN_RETENTION_DAYS,
                          NW_STORE_DEFAULT_RETENTION_DAYS);
    return 0;
}

/* ------------------------------------------------------------ raw I/O -- */

/* pwrite all of it, honouring the simulated device size. -1 with errno. */
static int write_at(struct nw_store *s, int fd, const struct iovec *iov, int n, uint64_t off)
{
    size_t total = 0, done = 0;

    for (int i = 0; i < n; i++) total += iov[i].iov_len;
    if (s->sim_limit && s->sim_used + total > s->sim_limit) {
        errno = ENOSPC;
        return -1;
    }
    while (done < total) {
        struct iovec v[4];
        int k = 0;
        size_t skip = done;
        for (int i = 0; i < n && k < 4; i++) {
            if (skip >= iov[i].iov_len) {
                skip -= iov[i].iov_len;
                continue;
            }
            v[k].iov_base = (char *)iov[i].iov_base + skip;
            v[k++].iov_len = iov[i].iov_len - skip;
            skip = 0;
        }
        ssize_t w = pwritev(fd, v, k, (off_t)(off + done));
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (w == 0) {
            errno = ENOSPC;
            return -1;
        }
        done += (size_t)w;
    }
    s->sim_used += total;
    return 0;
}

static void seg_path(char *out, size_t cap, const char *dir, uint32_t day, uint64_t seq)
{
    char d[16];

    nw__day_name(day, d);
    snprintf(out, cap, "%s/%s/%012llu.nws", dir, d, (unsigned long long)seq);
}

/*
 * A file or directory created (or removed) survives a power loss only once
 * the directory holding its name is synced too (POSIX; ext4 happens to do it
 * with the file's own fsync, other file systems need not): after every
 * creation below, its directory is synced.
 */
static void fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);

    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Sync the directory that holds path's last component. */
static void fsync_parent(const char *path)
{
    char p[4200];
    size_t n = strlen(path);

    if (n == 0 || n >= sizeof p) return;
    memcpy(p, path, n + 1);
    while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
    while (n > 0 && p[n - 1] != '/') n--;
    if (n == 0) {
        fsync_dir(".");
        return;
    }
    while (n > 1 && p[n - 1] == '/') n--;
    p[n] = '\0';
    fsync_dir(p);
}

/* ------------------------------------------------------------ stopping -- */

static int append_internal(struct nw_store *s, const char *line, size_t len, struct nw_err *err);
static void collect_group(void *arg, uint64_t id, const uint64_t *h, unsigned n);

/* Write an alarm record (best effort; used when stopping and resuming). */
static void alarm_record(struct nw_store *s, const char *kind, const char *msg)
{
    struct nw_buf b;
    struct nw_err e;
    uint64_t t = now_us(s);

    nw_buf_init(&b, 1u << 16);
    nw_buf_putc(&b, '{');
    nw_json_ktime(&b, "timestamp", t);
    nw_json_kcstr(&b, "event_type", "alarm");
    nw_json_kobj_open(&b, "alarm");
    nw_json_kcstr(&b, "kind", kind);
    nw_json_kcstr(&b, "severity", "critical");
    nw_json_kcstr(&b, "store", s->dir);
    nw_json_kcstr(&b, "message", msg);
    if (strncmp(kind, "store_write_", 12) == 0) {
        nw_json_kuint(&b, "missed_records", s->st.missed);
        if (s->stopped_since) nw_json_ktime(&b, "stopped_since", s->stopped_since);
    }
    nw_json_obj_close(&b);
    nw_buf_putc(&b, '}');
    if (nw_buf_ok(&b)) {
        s->in_alarm = 1;
        append_internal(s, b.data, b.len, &e);
        s->in_alarm = 0;
    }
    nw_buf_fini(&b);
}

static int seal(struct nw_store *s, int idx, struct nw_err *err);
static int cut_block(struct nw_store *s, struct active *a, struct nw_err *err);
static size_t ident_finish(struct active *a, struct blk_ident *d);

/*
 * Writing failed (disk full, I/O error, or er == ENOMEM: no memory for the chain
 * or a footer). Stop cleanly: nothing on disk is deleted; the reserve file is
 * given back so the alarm record and the seals fit; every active segment is
 * sealed; later records are counted as missed until nw_store_tick resumes.
 */
static void stop_writing(struct nw_store *s, int er)
{
    char msg[512], path[4200];
    struct nw_err e;

    if (s->stopping) { /* a write failed again while stopping: give up */
        s->stop_failed = 1;
        return;
    }
    if (s->st.stopped) return;
    s->stopping = 1;
    s->stop_failed = 0;
    s->stop_errno = er;
    s->stopped_since = now_us(s);
    s->missed_at_stop = s->st.missed;
    if (er == ENOMEM) /* said "No space left on device" and to free disk space */
        nw_log(NW_LOG_ERROR, "store %s: writing stopped: out of memory. No stored record was "
               "deleted; records from now on are counted as missed until writing resumes (free "
               "memory or lower the memcaps)", s->dir);
    else
        nw_log(NW_LOG_ERROR, "store %s: writing stopped: %s. No stored record was deleted; "
               "records from now on are counted as missed until space is freed (move old "
               "partitions off this disk or grow it; retention never deletes records younger "
               "than %u days)", s->dir, strerror(er), s->o.retention_days);
    if (s->reservefd >= 0) {
        close(s->reservefd);
        s->reservefd = -1;
        snprintf(path, sizeof path, "%s/reserve", s->dir);
        if (unlink(path) == 0 && s->sim_used >= s->o.reserve_bytes)
            s->sim_used -= s->o.reserve_bytes;
    }
    /* with the reserve given back: the pending blocks, the alarm, the seals */
    snprintf(msg, sizeof msg, "store writing stopped: %s; no stored record was deleted; "
             "records are counted as missed until %s", er == ENOMEM ? "out of memory"
             : strerror(er), er == ENOMEM ? "writing resumes" : "space is freed");
    for (int i = 0; i < s->nact && !s->stop_failed; i++)
        if (s->act[i].nts) cut_block(s, &s->act[i], &e);
    if (!s->stop_failed) alarm_record(s, "store_write_stopped", msg);
    while (s->nact > 0 && !s->stop_failed)
        if (seal(s, 0, &e) != 0) break;
    s->stopping = 0;
    s->st.stopped = 1;
}

/* ------------------------------------------------------------ segments -- */

static int open_segment(struct nw_store *s, uint32_t day, struct active **out, struct nw_err *err)
{
    struct chain_entry ce;
    struct active *a;
    struct seg_hdr h;
    uint8_t hb[SEG_HDR_LEN];
    char path[4200], d[16];
    struct iovec iov;
    int rc;

    if (s->nact == MAX_ACTIVE) { /* seal the least recently used day */
        int lru = 0;
        for (int i = 1; i < s->nact; i++)
            if (s->act[i].last_use < s->act[lru].last_use) lru = i;
        if ((rc = seal(s, lru, err)) != 0) return rc;
    }
    nw__day_name(day, d);
    snprintf(path, sizeof path, "%s/%s", s->dir, d);
    if (mkdir(path, 0750) == 0) {
        if (s->o.fsync != NW_STORE_FSYNC_NEVER) fsync_dir(s->dir);
    } else if (errno != EEXIST) {
        return nw_err_set(err, NW_EIO, "cannot create partition %s: %s", path, strerror(errno));
    }
    memset(&ce, 0, sizeof ce);
    snprintf(ce.kind, sizeof ce.kind, "open");
    ce.seq = s->next_seq;
    ce.day = day;
    rc = nw__chain_append(s->chainfd, &s->chain, &ce, s->signing ? s->sk : NULL, 1, err);
    if (rc != 0) {
        stop_writing(s, rc == NW_ENOMEM ? ENOMEM : ENOSPC);
        return rc;
    }
    a = &s->act[s->nact];
    memset(a, 0, sizeof *a);
    a->day = day;
    a->seq = s->next_seq++;
    a->created_us = now_us(s);
    a->min_ts = UINT64_MAX;
    a->pmin = UINT64_MAX;
    a->kdok = s->kdir == 1; /* every record will pass kd_note */
    nw_buf_init(&a->footer, FOOTER_MAX);
    seg_path(path, sizeof path, s->dir, day, a->seq);
    a->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (a->fd >= 0 && s->o.fsync != NW_STORE_FSYNC_NEVER) fsync_parent(path);
    a->sha = EVP_MD_CTX_new();
    if (a->fd < 0 || a->sha == NULL || EVP_DigestInit_ex(a->sha, EVP_sha256(), NULL) != 1) {
        rc = nw_err_set(err, NW_EIO, "cannot create segment %s: %s", path, strerror(errno));
        if (a->fd >= 0) close(a->fd);
        EVP_MD_CTX_free(a->sha);
        nw_buf_fini(&a->footer);
        return rc;
    }
    memset(&h, 0, sizeof h);
    h.seq = a->seq;
    h.day = day;
    h.version = SEG_VERSION;
    h.created_us = a->created_us;
    memcpy(h.store_id, s->store_id, STORE_ID_LEN);
    nw__seg_hdr_encode(hb, &h);
    iov.iov_base = hb;
    iov.iov_len = sizeof hb;
    s->nact++;
    if (write_at(s, a->fd, &iov, 1, 0) != 0) {
        int er = errno;
        rc = nw_err_set(err, NW_EIO, "writing segment %s failed: %s", path, strerror(er));
        if (ftruncate(a->fd, 0) != 0) { /* recovery rewrites the header */
        }
        stop_writing(s, er);
        return rc;
    }
    EVP_DigestUpdate(a->sha, hb, sizeof hb);
    a->size = SEG_HDR_LEN;
    *out = a;
    return 0;
}

static void active_free(struct active *a)
{
    if (a->fd >= 0) close(a->fd);
    EVP_MD_CTX_free(a->sha);
    nw_buf_fini(&a->footer);
    nw_free(a->data);
    nw_free(a->x);
    nw_free(a->ix);
    nw_free(a->ipos);
    nw_free(a->icls);
    nw_free(a->its);
    nw_free(a->kd);
    nw_free(a->ts);
    nw_free(a->set);
    nw__tmpl_fini(&a->te);
    nw__tmpl_fini(&a->ite);
    memset(a, 0, sizeof *a);
    a->fd = -1;
}

static void set_clear(struct active *a)
{
    if (a->set) memset(a->set, 0, a->setcap * sizeof *a->set);
    a->nset = 0;
    memset(a->recent, 0, sizeof a->recent);
    memset(a->gseen, 0, sizeof a->gseen);
}

static int set_add(struct active *a, uint64_t h)
{
    size_t i;

    if (h == 0) h = 1;
    if ((a->nset + 1) * 2 > a->setcap) {
        size_t nc = a->setcap ? a->setcap * 2 : 1024;
        uint64_t *ns = nw_calloc(nc, sizeof *ns);
        if (ns == NULL) return NW_ENOMEM;
        for (size_t k = 0; k < a->setcap; k++) {
            uint64_t v = a->set[k];
            if (!v) continue;
            for (i = v & (nc - 1); ns[i]; i = (i + 1) & (nc - 1)) {
            }
            ns[i] = v;
        }
        nw_free(a->set);
        a->set = ns;
        a->setcap = nc;
    }
    for (i = h & (a->setcap - 1); a->set[i]; i = (i + 1) & (a->setcap - 1))
        if (a->set[i] == h) return 0;
    a->set[i] = h;
    a->nset++;
    return 0;
}

/* Compress and write the pending block of a. */
static int cut_block(struct nw_store *s, struct active *a, struct nw_err *err)
{
    struct blk_hdr h;
    struct blk_ident d;
    uint8_t hb[BLK_HDR_LEN];
    struct iovec iov[3];
    uint32_t bits;
    size_t flen, need, clen, xlen, ixl = 0, cneed;
    const uint8_t *bx;
    uint32_t enc;
    uint64_t t;

    if (a->nts == 0) return 0;
    if (s->st.stopped) return NW_EIO;
    /* timestamps after the records */
    need = a->dlen + 10 * a->nts;
    if (need > a->dcap) {
        char *nd = nw_realloc(a->data, need);
        if (nd == NULL) return nw_err_set(err, NW_ENOMEM, "out of memory cutting a block");
        a->data = nd;
        a->dcap = need;
    }
    need = a->dlen + nw__ts_encode((uint8_t *)a->data + a->dlen, a->ts, a->nts, a->pmin);
    bits = nw__bloom_bits_for(a->nset);
    flen = bits / 8;
    memset(s->filter, 0, flen);
    for (size_t i = 0; i < a->setcap; i++)
        if (a->set[i]) nw__bloom_add(s->filter, bits, nw__bloom_salt(a->set[i], a->pmin));
    memset(&d, 0, sizeof d);
    /* an IDENT block has two frames after the directory: room for both */
    cneed = ZSTD_compressBound(need) + (s->ident ? IDENT_DIR_LEN + 2 * ZSTD_compressBound(0) : 0);
    if (cneed > s->ccap) {
        uint8_t *nb = nw_realloc(s->cbuf, cneed);
        if (nb == NULL) return nw_err_set(err, NW_ENOMEM, "out of memory cutting a block");
        s->cbuf = nb;
        s->ccap = cneed;
    }
    xlen = 0;
    if (s->tmpl && !a->xbad) {
        size_t tsl = need - a->dlen;
        if (a->xlen + tsl > a->xcap) {
            uint8_t *nb = nw_realloc(a->x, a->xlen + tsl);
            if (nb != NULL) a->x = nb, a->xcap = a->xlen + tsl;
        }
        if (a->xlen + tsl <= a->xcap) {
            memcpy(a->x + a->xlen, a->data + a->dlen, tsl);
            xlen = a->xlen + tsl;
        }
        if (xlen && s->ident && a->ni && (ixl = ident_finish(a, &d)) == 0) xlen = 0; /* no memory */
        if (xlen + ixl >= need || xlen > BLOCK_MAX_RAW) xlen = 0; /* no gain: plain */
    }
    enc = !xlen ? BLK_ENC_PLAIN
          : !s->ident ? BLK_ENC_TMPL
          : s->enc3 ? BLK_ENC_IDENT3 : BLK_ENC_IDENT;
    bx = a->x;
    if (enc == BLK_ENC_IDENT3 && s->enc4) {
        /* the same stream with its tokens in columns; enc 3 if it does not fit */
        size_t tsl = need - a->dlen, rl = xlen - tsl, cap = ENC4_ROOM(rl), tn;
        if (cap + tsl > s->t4cap) {
            uint8_t *nb = nw_realloc(s->t4, cap + tsl);
            if (nb != NULL) s->t4 = nb, s->t4cap = cap + tsl;
        }
        if (s->e4 == NULL) s->e4 = nw__enc4_new();
        if (cap + tsl <= s->t4cap && s->e4 != NULL &&
            (tn = nw__enc4_encode(s->e4, a->x, rl, a->nts - a->ni, s->t4, cap)) != 0 &&
            tn + tsl + ixl < need && tn + tsl <= BLOCK_MAX_RAW) { /* cneed still holds */
            memcpy(s->t4 + tn, a->x + rl, tsl);
            bx = s->t4, xlen = tn + tsl, enc = BLK_ENC_IDENT4;
        }
    }
    if (xlen && s->ident) {
        /* directory, identity frame (none without identity records), bulk frame */
        size_t ic = 0, bc;
        if (ixl) {
            ic = ZSTD_compress2(s->cctx, s->cbuf + IDENT_DIR_LEN, s->ccap - IDENT_DIR_LEN, a->ix,
                                ixl);
            if (ZSTD_isError(ic)) return nw_err_set(err, NW_EIO, "zstd: %s", ZSTD_getErrorName(ic));
        }
        bc = ZSTD_compress2(s->cctx, s->cbuf + IDENT_DIR_LEN + ic, s->ccap - IDENT_DIR_LEN - ic,
                            bx, xlen);
        d.comp = (uint32_t)ic;
        clen = ZSTD_isError(bc) ? bc : IDENT_DIR_LEN + ic + bc;
    } else if (xlen) {
        clen = ZSTD_compress2(s->cctx, s->cbuf, s->ccap, a->x, xlen);
    } else {
        clen = ZSTD_compress2(s->cctx, s->cbuf, s->ccap, a->data, need);
    }
    if (ZSTD_isError(clen))
        return nw_err_set(err, NW_EIO, "zstd: %s", ZSTD_getErrorName(clen));
    memset(&h, 0, sizeof h);
    h.enc = enc;
    h.xlen = (uint32_t)xlen;
    h.comp_len = (uint32_t)clen;
    h.raw_len = (uint32_t)need;
    h.nrec = (uint32_t)a->nts;
    h.filter_len = (uint32_t)flen;
    h.recs_len = (uint32_t)a->dlen;
    h.min_ts = a->pmin;
    h.max_ts = a->pmax;
    h.first_rec = a->nrec;
    if (BLK_ENC_HAS_IDENT(h.enc)) { /* its own hash: a scan may read only this frame */
        nw__ident_dir_encode(s->cbuf, &d);
        d.hash = nw__ident_hash(&h, s->cbuf, s->cbuf + IDENT_DIR_LEN, d.comp);
        nw__ident_dir_encode(s->cbuf, &d);
    }
    nw__blk_hdr_encode(hb, &h);
    h.hash = nw__blk_hash(hb, s->filter, flen, s->cbuf, clen);
    nw__blk_hdr_encode(hb, &h);
    iov[0].iov_base = hb;
    iov[0].iov_len = BLK_HDR_LEN;
    iov[1].iov_base = s->filter;
    iov[1].iov_len = flen;
    iov[2].iov_base = s->cbuf;
    iov[2].iov_len = clen;
    if (write_at(s, a->fd, iov, 3, a->size) != 0) {
        int er = errno;
        char path[4200];
        seg_path(path, sizeof path, s->dir, a->day, a->seq);
        if (ftruncate(a->fd, (off_t)a->size) != 0) { /* recovery would cut it anyway */
        }
        nw_err_set(err, NW_EIO, "writing %s failed: %s", path, strerror(er));
        stop_writing(s, er);
        return NW_EIO;
    }
    EVP_DigestUpdate(a->sha, hb, BLK_HDR_LEN);
    EVP_DigestUpdate(a->sha, s->filter, flen);
    EVP_DigestUpdate(a->sha, s->cbuf, clen);
    nw_buf_append(&a->footer, hb, BLK_HDR_LEN);
    a->size += BLK_HDR_LEN + flen + clen;
    a->nblocks++;
    a->nrec += a->nts;
    if (a->pmin < a->min_ts) a->min_ts = a->pmin;
    if (a->pmax > a->max_ts || a->max_ts == UINT64_MAX) a->max_ts = a->pmax;
    s->st.flushed += a->nts;
    s->st.blocks++;
    s->st.bytes_written += BLK_HDR_LEN + flen + clen;
    a->dlen = 0;
    a->xlen = 0;
    a->xbad = 0;
    nw__tmpl_reset(&a->te);
    if (a->ni || a->ixlen) nw__tmpl_reset(&a->ite);
    a->ixlen = a->ni = a->irecs = 0;
    a->nts = 0;
    a->pmin = UINT64_MAX;
    a->pmax = 0;
    a->pending_since = 0;
    set_clear(a);
    t = now_us(s);
    if (s->o.fsync == NW_STORE_FSYNC_ALWAYS) {
        fdatasync(a->fd);
        s->last_sync = t;
    }
    return 0;
}

/* ------------------------------------------------------- key directory -- */

struct kd_build {
    uint8_t *e;  /* entries as on disk (KDIR_ENT_LEN bytes each), unsorted */
    size_t n, cap;
    uint32_t blk; /* the block being indexed */
    int full;     /* out of memory or over KDIR_MAX_ENTS: no directory */
};

/* Room for entry n of the key directory entries *e (capacity *cap, growing from
 * first): 0, or -1 (out of memory, or past KDIR_MAX_ENTS). */
static int kd_room(uint8_t **e, size_t *cap, size_t n, size_t first)
{
    if (n == *cap) {
        size_t nc = *cap ? *cap * 2 : first;
        uint8_t *ne = nc <= KDIR_MAX_ENTS ? nw_realloc(*e, nc * KDIR_ENT_LEN) : NULL;
        if (ne == NULL) return -1;
        *e = ne;
        *cap = nc;
    }
    return 0;
}

static void kd_on_key(void *arg, const char *key, size_t n)
{
    struct kd_build *k = arg;
    const size_t pl = sizeof KDIR_SESSION_PREFIX - 1;

    if (n <= pl || memcmp(key, KDIR_SESSION_PREFIX, pl) != 0 || k->full) return;
    if (kd_room(&k->e, &k->cap, k->n, 1024) != 0) {
        k->full = 1;
        return;
    }
    le64_put(k->e + k->n * KDIR_ENT_LEN, nw__key_hash(key, n));
    le32_put(k->e + k->n * KDIR_ENT_LEN + 8, k->blk);
    k->n++;
}

static int kd_cmp(const void *x, const void *y)
{
    const uint8_t *a = x, *b = y;
    uint64_t ha = le64_get(a), hb = le64_get(b);
    uint32_t ba = le32_get(a + 8), bb = le32_get(b + 8);

    return ha != hb ? (ha < hb ? -1 : 1) : ba != bb ? (ba < bb ? -1 : 1) : 0;
}

/*
 * Read back the identity frames of segment a's blocks and index their
 * session records again (nw__index_record: the pass the filter keys come
 * from) into k: the key directory of a segment that was not appended to
 * whole by this process (recovery; out of memory while noting). Every
 * record with a session.ip key is in its block's identity frame (a session
 * record is never bulk: append_internal). 0 or -1.
 */
static int kd_read_back(struct active *a, struct kd_build *k)
{
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    uint8_t *area = NULL, *raw = NULL, *cls = NULL;
    size_t acap = 0, rcap = 0, ccap = 0;
    uint64_t off = SEG_HDR_LEN;
    int rc = -1;

    if (dctx == NULL) goto out;
    for (k->blk = 0; k->blk < a->nblocks; k->blk++) {
        struct blk_hdr h;
        struct blk_ident d;
        const char *p, *end;
        uint64_t doff;
        if (nw__blk_hdr_decode((const uint8_t *)a->footer.data + (size_t)k->blk * BLK_HDR_LEN,
                               &h) != 0)
            goto out;
        doff = off + BLK_HDR_LEN + h.filter_len;
        off += BLK_HDR_LEN + (uint64_t)h.filter_len + h.comp_len;
        if (acap < IDENT_DIR_LEN) {
            if ((area = nw_realloc(area, IDENT_DIR_LEN)) == NULL) goto out;
            acap = IDENT_DIR_LEN;
        }
        if (pread(a->fd, area, IDENT_DIR_LEN, (off_t)doff) != IDENT_DIR_LEN ||
            nw__ident_dir_decode(area, &h, &d) != 0)
            goto out;
        if (d.nrec == 0) continue;
        if (IDENT_DIR_LEN + (size_t)d.comp > acap) {
            uint8_t *na = nw_realloc(area, IDENT_DIR_LEN + (size_t)d.comp);
            if (na == NULL) goto out;
            area = na;
            acap = IDENT_DIR_LEN + (size_t)d.comp;
        }
        if ((size_t)d.recs + d.tslen + 1 > rcap) {
            nw_free(raw);
            rcap = (size_t)d.recs + d.tslen + 1;
            if ((raw = nw_alloc(rcap)) == NULL) goto out;
        }
        if (d.nrec > ccap) {
            nw_free(cls);
            ccap = d.nrec;
            if ((cls = nw_alloc(ccap)) == NULL) goto out;
        }
        if (pread(a->fd, area + IDENT_DIR_LEN, d.comp, (off_t)(doff + IDENT_DIR_LEN)) !=
                (ssize_t)d.comp ||
            nw__blk_ident_decompress(dctx, &h, area, &d, raw, cls) != 0)
            goto out;
        p = (const char *)raw;
        end = p + d.recs;
        for (uint32_t i = 0; i < d.nrec && p < end; i++) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            uint64_t ts;
            if (nl == NULL) goto out;
            /* alarm and maintenance (classes 2, 3) name another type: no session key */
            if (cls[i] == IDENT_CLASS_ANY || cls[i] == IDENT_CLASS_SESSION)
                (void)nw__index_record(p, (size_t)(nl - p), &ts, kd_on_key, k, NULL);
            p = nl + 1;
        }
        if (k->full) goto out;
    }
    rc = 0;
out:
    ZSTD_freeDCtx(dctx);
    nw_free(area);
    nw_free(raw);
    nw_free(cls);
    return rc;
}

/*
 * The key directory of segment a (store_int.h KDIR_*) into out: the entries
 * noted while appending (kd_note), or read back from the blocks (recovery),
 * sorted, each (key, block) once. At seal rather than in the footer of
 * every block: a lookup then reads one small area per segment. A segment
 * with a block of another encoding (no identity frame: NW_STORE_IDENT=0,
 * NW_STORE_TMPL=0, a block stored plain) gets none: its readers use the
 * filters, as before. 0, or -1: no directory.
 */
static int kdir_build(struct active *a, struct nw_buf *out)
{
    struct kd_build k;
    uint8_t hb[KDIR_HDR_LEN];
    size_t j = 0;
    int rc = -1;

    memset(&k, 0, sizeof k);
    if (a->footer.len != a->nblocks * BLK_HDR_LEN) return -1;
    for (size_t b = 0; b < a->nblocks; b++) {
        struct blk_hdr h;
        if (nw__blk_hdr_decode((const uint8_t *)a->footer.data + b * BLK_HDR_LEN, &h) != 0 ||
            !BLK_ENC_HAS_IDENT(h.enc))
            return -1;
    }
    if (a->kdok) { /* k borrows a->kd */
        k.e = a->kd;
        k.n = a->kdn;
    } else if (kd_read_back(a, &k) != 0) {
        goto out;
    }
    if (k.n) qsort(k.e, k.n, KDIR_ENT_LEN, kd_cmp);
    for (size_t i = 0; i < k.n; i++) /* a key twice in a block (start and end record): once */
        if (j == 0 || kd_cmp(k.e + i * KDIR_ENT_LEN, k.e + (j - 1) * KDIR_ENT_LEN) != 0) {
            if (i != j) memmove(k.e + j * KDIR_ENT_LEN, k.e + i * KDIR_ENT_LEN, KDIR_ENT_LEN);
            j++;
        }
    memcpy(hb, KDIR_MAGIC, 4);
    le32_put(hb + 4, KDIR_SESSION_IP);
    le32_put(hb + 8, (uint32_t)j);
    le32_put(hb + 12, 0);
    nw_buf_append(out, hb, KDIR_HDR_LEN);
    if (j) nw_buf_append(out, k.e, j * KDIR_ENT_LEN);
    rc = nw_buf_ok(out) ? 0 : -1;
out:
    if (k.e != a->kd) nw_free(k.e);
    return rc;
}

/* Seal s->act[idx]: pending block, footer (key directory, block headers), trailer, sync,
 * chain "seg". */
static int seal(struct nw_store *s, int idx, struct nw_err *err)
{
    struct active *a = &s->act[idx];
    struct chain_entry ce;
    struct trailer t;
    uint8_t tb[TRAILER_LEN];
    struct iovec iov[2];
    struct nw_buf ft; /* the footer as written: key directory, then a->footer */
    unsigned n = 32;
    int rc = 0;

    nw_buf_init(&ft, FOOTER_MAX);
    if (a->nts && (rc = cut_block(s, a, err)) != 0) goto drop;
    if (!nw_buf_ok(&a->footer)) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory building a segment footer");
        goto drop;
    }
    memset(&t, 0, sizeof t);
    /* one buffer: the footer hash is one nw__store_hash64 over all of it (old readers check
     * it so too) */
    if (s->kdir && a->nblocks && kdir_build(a, &ft) == 0 && ft.len <= UINT32_MAX)
        t.kdir_len = (uint32_t)ft.len;
    else
        nw_buf_reset(&ft);
    if (a->footer.len) nw_buf_append(&ft, a->footer.data, a->footer.len);
    if (!nw_buf_ok(&ft)) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory building a segment footer");
        goto drop;
    }
    t.footer_off = a->size;
    t.nblocks = (uint32_t)a->nblocks;
    t.footer_hash = nw__store_hash64(ft.data ? ft.data : "", ft.len, 4);
    t.nrec = a->nrec;
    t.min_ts = a->nrec ? a->min_ts : 0;
    t.max_ts = a->nrec ? a->max_ts : 0;
    nw__trailer_encode(tb, &t);
    iov[0].iov_base = ft.data ? ft.data : (char *)tb;
    iov[0].iov_len = ft.len;
    iov[1].iov_base = tb;
    iov[1].iov_len = TRAILER_LEN;
    if (write_at(s, a->fd, iov, 2, a->size) != 0 || fdatasync(a->fd) != 0) {
        int er = errno;
        rc = nw_err_set(err, NW_EIO, "sealing a segment failed: %s", strerror(er));
        if (ftruncate(a->fd, (off_t)a->size) != 0) {
        }
        goto drop_stop;
    }
    if (ft.len) EVP_DigestUpdate(a->sha, ft.data, ft.len);
    EVP_DigestUpdate(a->sha, tb, TRAILER_LEN);
    a->size += ft.len + TRAILER_LEN;
    s->st.bytes_written += ft.len + TRAILER_LEN;
    memset(&ce, 0, sizeof ce);
    snprintf(ce.kind, sizeof ce.kind, "seg");
    ce.seq = a->seq;
    ce.day = a->day;
    ce.size = a->size;
    ce.nrec = a->nrec;
    ce.min_ts = t.min_ts;
    ce.max_ts = t.max_ts;
    EVP_DigestFinal_ex(a->sha, ce.sha, &n);
    rc = nw__chain_append(s->chainfd, &s->chain, &ce, s->signing ? s->sk : NULL, 1, err);
    if (rc != 0) goto drop_stop;
    s->st.segments_sealed++;
    goto drop;
drop_stop:
    /* the segment stays "open" in the chain: the next open recovers and seals it */
    nw_buf_fini(&ft);
    s->st.missed += a->nts;
    active_free(a);
    s->act[idx] = s->act[--s->nact];
    stop_writing(s, rc == NW_ENOMEM ? ENOMEM : ENOSPC);
    return rc;
drop:
    nw_buf_fini(&ft);
    s->st.missed += a->nts; /* pending records a failed cut could not write */
    active_free(a);
    s->act[idx] = s->act[--s->nact];
    return rc;
}

/* ------------------------------------------------------------ recovery -- */

struct rebuild {
    struct nw_buf footer;
    const uint8_t *img;
    size_t off;
};

static int on_recovered_block(void *arg, const struct blk_hdr *h, const uint8_t *raw)
{
    struct rebuild *r = arg;
    (void)raw;
    nw_buf_append(&r->footer, r->img + r->off, BLK_HDR_LEN);
    r->off += BLK_HDR_LEN + h->filter_len + h->comp_len;
    return 0;
}

/*
 * A segment recovery must not cut or seal: a block fails its check and a
 * valid block follows (or the header is wrong and blocks follow). A crash
 * does not do that; tampering or a failing disk does. The file stays as
 * found, a "bad" chain line records its size, SHA-256 and where the damage
 * starts, and verify fails on it from now on; queries read around it.
 */
static int keep_damaged(struct nw_store *s, const struct chain_entry *oe, int fd, uint64_t size,
                        uint64_t off, const char *why, struct nw_err *err)
{
    struct chain_entry ce;
    char d[16];
    int rc;

    memset(&ce, 0, sizeof ce);
    if ((rc = nw__sha256_file(fd, size, ce.sha)) != 0)
        return nw_err_set(err, rc, "hashing a damaged segment to keep it: %s",
                          rc == NW_ENOMEM ? "out of memory" : strerror(errno));
    snprintf(ce.kind, sizeof ce.kind, "bad");
    ce.seq = oe->seq;
    ce.day = oe->day;
    ce.size = size;
    ce.off = off;
    rc = nw__chain_append(s->chainfd, &s->chain, &ce, s->signing ? s->sk : NULL, 1, err);
    if (rc != 0) return rc;
    nw__day_name(oe->day, d);
    snprintf(s->damage_msg, sizeof s->damage_msg,
             "segment %s/%012llu.nws is damaged at byte %llu: %s, which an unclean stop does "
             "not cause (altered, or a failing disk). It is kept as found (%llu bytes, SHA-256 "
             "in the chain), not cut or sealed; verify fails on it. Copy the store as evidence "
             "before anything else",
             d, (unsigned long long)oe->seq, (unsigned long long)off, why,
             (unsigned long long)size);
    nw_log(NW_LOG_ERROR, "store %s: %s", s->dir, s->damage_msg);
    return 0;
}

/* Recover and seal one segment left open by a crash (chain "open", no "seg"). */
static int recover_segment(struct nw_store *s, const struct chain_entry *oe, ZSTD_DCtx *dctx,
                           struct nw_err *err)
{
    char path[4200], d[16];
    int fd = -1, rc = 0;
    struct stat sb;
    uint8_t *img = NULL;
    struct seg_walk w;
    struct rebuild rb;
    struct active *a;
    uint64_t torn = 0, size;

    nw_buf_init(&rb.footer, FOOTER_MAX);
    nw__day_name(oe->day, d);
    snprintf(path, sizeof path, "%s/%s", s->dir, d);
    if (mkdir(path, 0750) == 0) fsync_dir(s->dir); /* the crash came before the file */
    seg_path(path, sizeof path, s->dir, oe->day, oe->seq);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd >= 0) fsync_parent(path);
    if (fd < 0 || fstat(fd, &sb) != 0) {
        rc = nw_err_set(err, NW_EIO, "recovering %s: %s", path, strerror(errno));
        goto out;
    }
    size = (uint64_t)sb.st_size;
    img = nw_alloc(size + 1);
    if (img == NULL) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory recovering %s", path);
        goto out;
    }
    if (size && pread(fd, img, size, 0) != (ssize_t)size) {
        rc = nw_err_set(err, NW_EIO, "reading %s: %s", path, strerror(errno));
        goto out;
    }
    rb.img = img;
    rb.off = SEG_HDR_LEN;
    rc = nw__seg_walk_mem(img, size, dctx, &w, on_recovered_block, &rb);
    if (rc == NW_ENOMEM) { /* says nothing about the file: leave it as it is */
        rc = nw_err_set(err, NW_ENOMEM, "out of memory recovering %s", path);
        goto out;
    }
    if (rc != 0 || w.hdr.seq != oe->seq || w.hdr.day != oe->day) {
        /* zeros for a header: it never reached the disk, later writes did */
        if (size > SEG_HDR_LEN && nw__seg_next_block(img, SEG_HDR_LEN - 1, size) &&
            !nw__seg_zero_gap(img, 0, SEG_HDR_LEN)) {
            rc = keep_damaged(s, oe, fd, size, 0, "its header is wrong and valid blocks follow",
                              err);
            goto out;
        }
        /* no valid header: the crash hit before the header was written */
        struct seg_hdr h;
        memset(&w, 0, sizeof w);
        memset(&h, 0, sizeof h);
        h.seq = oe->seq;
        h.day = oe->day;
        h.version = SEG_VERSION;
        h.created_us = now_us(s);
        memcpy(h.store_id, s->store_id, STORE_ID_LEN);
        if (size < SEG_HDR_LEN) { /* a torn header: img is shorter than the new one */
            uint8_t *ni = nw_realloc(img, SEG_HDR_LEN);
            if (ni == NULL) {
                rc = nw_err_set(err, NW_ENOMEM, "out of memory recovering %s", path);
                goto out;
            }
            img = ni;
        }
        nw__seg_hdr_encode(img, &h); /* we rewrite the file below */
        if (pwrite(fd, img, SEG_HDR_LEN, 0) != SEG_HDR_LEN) {
            rc = nw_err_set(err, NW_EIO, "rewriting the header of %s: %s", path, strerror(errno));
            goto out;
        }
        w.good_end = SEG_HDR_LEN;
        torn = size;
        nw_buf_reset(&rb.footer);
    } else if (w.damaged) {
        rc = keep_damaged(s, oe, fd, size, w.damage_off,
                          "a block there fails its check and valid blocks follow", err);
        goto out;
    } else if (w.sealed) {
        /* sealed but the "seg" line never made it: keep the file as is */
        w.good_end = size;
    } else {
        torn = size - w.good_end;
    }
    rc = 0;
    if (!w.sealed && ftruncate(fd, (off_t)w.good_end) != 0) {
        rc = nw_err_set(err, NW_EIO, "truncating %s: %s", path, strerror(errno));
        goto out;
    }
    if (!nw_buf_ok(&rb.footer)) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory recovering %s", path);
        goto out;
    }
    /* adopt it as an active segment and seal it the normal way */
    a = &s->act[s->nact];
    memset(a, 0, sizeof *a);
    a->fd = fd;
    fd = -1;
    a->day = oe->day;
    a->seq = oe->seq;
    a->size = w.good_end;
    a->nrec = w.nrec;
    a->nblocks = w.nblocks;
    a->min_ts = w.nrec ? w.min_ts : UINT64_MAX;
    a->max_ts = w.max_ts;
    a->pmin = UINT64_MAX;
    a->footer = rb.footer;
    nw_buf_init(&rb.footer, 0);
    a->sha = EVP_MD_CTX_new();
    if (a->sha == NULL || EVP_DigestInit_ex(a->sha, EVP_sha256(), NULL) != 1) {
        active_free(a);
        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
        goto out;
    }
    s->nact++;
    if (w.sealed) {
        struct chain_entry ce;
        unsigned n = 32;
        memset(&ce, 0, sizeof ce);
        snprintf(ce.kind, sizeof ce.kind, "seg");
        ce.seq = a->seq;
        ce.day = a->day;
        ce.size = size;
        ce.nrec = w.nrec;
        ce.min_ts = w.nrec ? w.min_ts : 0;
        ce.max_ts = w.nrec ? w.max_ts : 0;
        EVP_DigestUpdate(a->sha, img, size);
        EVP_DigestFinal_ex(a->sha, ce.sha, &n);
        active_free(a);
        s->nact--;
        rc = nw__chain_append(s->chainfd, &s->chain, &ce, s->signing ? s->sk : NULL, 1, err);
        if (rc == 0) s->st.segments_sealed++;
    } else {
        EVP_DigestUpdate(a->sha, img, w.good_end);
        rc = seal(s, s->nact - 1, err);
    }
    if (rc == 0 && !s->o.quiet)
        fprintf(stderr, "netwarden: store %s: recovered segment %s/%012llu.nws after an unclean "
                "stop: %llu records in %llu blocks kept, %llu bytes of incomplete block "
                "dropped%s; sealed\n", s->dir, d, (unsigned long long)oe->seq,
                (unsigned long long)w.nrec, (unsigned long long)w.nblocks,
                (unsigned long long)torn, w.after_gap ? " (zeros, then blocks written out of "
                "order: a power loss; none of it had been synced)" : "");
out:
    if (fd >= 0) close(fd);
    nw_buf_fini(&rb.footer);
    nw_free(img);
    return rc;
}

static int recover(struct nw_store *s, struct nw_err *err)
{
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    int rc = 0;
    size_t n = s->chain.n;

    if (dctx == NULL) return nw_err_set(err, NW_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct chain_entry *e = &s->chain.e[i];
        if (e->kind[0] != 'o') continue;
        if (!nw__chain_closed(&s->chain, i)) {
            struct chain_entry copy = *e; /* the chain array may move while appending */
            rc = recover_segment(s, &copy, dctx, err);
        }
    }
    ZSTD_freeDCtx(dctx);
    return rc;
}

/* ---------------------------------------------------------------- open -- */

/* STORE, whole or not at all: written as STORE.tmp, synced, renamed (a crash
 * half way through a new store's creation must not leave a torn STORE that
 * every later open refuses). */
static int create_store_file(const char *dir, struct nw_err *err)
{
    char path[4200], tmp[4200], text[128], hex[40];
    uint8_t id[STORE_ID_LEN];
    int fd, n;

    snprintf(path, sizeof path, "%s/STORE", dir);
    if (access(path, F_OK) == 0) return 0;
    snprintf(tmp, sizeof tmp, "%s/STORE.tmp", dir);
    randombytes_buf(id, sizeof id);
    for (int i = 0; i < STORE_ID_LEN; i++) snprintf(hex + 2 * i, 3, "%02x", id[i]);
    n = snprintf(text, sizeof text, "netwarden-store 1\nid %s\n", hex);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0 || write(fd, text, (size_t)n) != n || fsync(fd) != 0 || rename(tmp, path) != 0) {
        int er = errno;
        if (fd >= 0) close(fd);
        unlink(tmp);
        return nw_err_set(err, NW_EIO, "cannot create %s: %s", path, strerror(er));
    }
    close(fd);
    fsync_dir(dir);
    return 0;
}

static uint64_t dir_usage(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    uint64_t total = 0;
    char path[4200];
    struct stat sb;

    while (d && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (stat(path, &sb) != 0) continue;
        if (S_ISDIR(sb.st_mode)) total += dir_usage(path);
        else total += (uint64_t)sb.st_size;
    }
    if (d) closedir(d);
    return total;
}

static int make_reserve(struct nw_store *s)
{
    char path[4200];
    int fd;

    snprintf(path, sizeof path, "%s/reserve", s->dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) return -1;
    if (s->sim_limit) {
        struct stat sb;
        uint64_t have = fstat(fd, &sb) == 0 ? (uint64_t)sb.st_size : 0;
        if (have < s->o.reserve_bytes &&
            s->sim_used + (s->o.reserve_bytes - have) > s->sim_limit) {
            close(fd);
            unlink(path);
            errno = ENOSPC;
            return -1;
        }
        s->sim_used += s->o.reserve_bytes - NW_MIN(have, s->o.reserve_bytes);
    }
    if (s->o.reserve_bytes && posix_fallocate(fd, 0, (off_t)s->o.reserve_bytes) != 0) {
        close(fd);
        unlink(path);
        errno = ENOSPC;
        return -1;
    }
    s->reservefd = fd;
    return 0;
}

int nw_store_open(struct nw_store **out, const char *dir, const struct nw_store_opts *opts,
                  struct nw_err *err)
{
    struct nw_store *s;
    char path[4200];
    const char *lim;
    int rc;

    *out = NULL;
    if (opts->retention_days && (rc = nw_store_check_retention(opts->retention_days, err)) != 0)
        return rc;
    if (opts->level < 1 || opts->level > 19 || opts->block_bytes < 4096 ||
        opts->block_bytes > (32u << 20) || opts->segment_bytes < opts->block_bytes)
        return nw_err_set(err, NW_EINVAL, "store options out of range: level 1..19, block 4 KiB"
                          "..32 MiB, segment >= block");
    s = nw_calloc(1, sizeof *s);
    if (s == NULL) return nw_err_set(err, NW_ENOMEM, "out of memory opening the store");
    s->lockfd = s->chainfd = s->reservefd = -1;
    for (int i = 0; i < MAX_ACTIVE; i++) s->act[i].fd = -1;
    s->o = *opts;
    s->o.sign_key = NULL;
    s->dir = nw_strndup(dir, 4000);
    s->filter = nw_alloc(BLOOM_MAX_BITS / 8);
    s->cctx = ZSTD_createCCtx();
    if (s->dir == NULL || s->filter == NULL || s->cctx == NULL) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory opening the store");
        goto fail;
    }
    {
        const char *e = getenv("NW_STORE_TMPL");
        s->tmpl = !(e && e[0] == '0');
        e = getenv("NW_STORE_IDENT");
        s->ident = s->tmpl && !(e && e[0] == '0');
        e = getenv("NW_STORE_ENC");
        s->enc3 = s->ident && !(e && e[0] == '2' && e[1] == '\0');
        s->enc4 = s->enc3 && !(e && e[0] == '3' && e[1] == '\0');
        s->spans.v = s->spanv;
        s->spans.cap = NW_ARRAY_LEN(s->spanv);
        s->shapes = nw__shapes_new(); /* an optimisation: without it, the full pass */
        if (s->shapes) nw__shapes_on_group(s->shapes, collect_group);
        e = getenv("NW_STORE_KGROUP"); /* 0: probe every key (tests compare the filters) */
        s->kgroups = !(e && e[0] == '0');
        e = getenv("NW_STORE_KDIR"); /* 0: seal without the key directory (tests, benchmarks) */
        s->kdir = !e || e[0] != '0' ? (e && e[0] == '2' ? 2 : 1) : 0;
    }
    ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_compressionLevel, opts->level);
    ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_checksumFlag, 0); /* the block hash covers it */
    /* JSON lines repeat long member names and values: matches shorter than 7
     * bytes cost more than they save. On the bench data at level 3 (4 MiB
     * blocks) this gave 9.19x -> 9.57x, the same compression speed and faster
     * decompression; levels 2-4 only (level 1 lost ratio, 5+ are other strategies). */
    if (opts->level >= 2 && opts->level <= 4) ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_minMatch, 7);
    if (sodium_init() < 0) {
        rc = nw_err_set(err, NW_EIO, "libsodium failed to initialise");
        goto fail;
    }
    if (opts->sign_key) {
        char rp[4096], rd[4096];
        if (realpath(opts->sign_key, rp) && realpath(dir, rd) && strncmp(rp, rd, strlen(rd)) == 0 &&
            rp[strlen(rd)] == '/') {
            rc = nw_err_set(err, NW_EINVAL, "the signing key %s is inside the store %s; keep it "
                            "outside (whoever can change the store must not hold the key)",
                            opts->sign_key, dir);
            goto fail;
        }
        if ((rc = nw__load_secret_key(opts->sign_key, s->sk, err)) != 0) goto fail;
        s->signing = 1;
    }
    if (mkdir(dir, 0750) == 0) {
        fsync_parent(dir);
    } else if (errno != EEXIST) {
        rc = nw_err_set(err, NW_EIO, "cannot create the store directory %s: %s; check the path "
                        "and permissions", dir, strerror(errno));
        goto fail;
    }
    snprintf(path, sizeof path, "%s/LOCK", dir);
    s->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (s->lockfd < 0) {
        rc = nw_err_set(err, NW_EIO, "cannot open %s: %s; check permissions", path, strerror(errno));
        goto fail;
    }
    if (flock(s->lockfd, LOCK_EX | LOCK_NB) != 0) {
        rc = nw_err_set(err, NW_EINVAL, "store %s is in use by another writer (audit or import); "
                        "one writer per store", dir);
        goto fail;
    }
    if ((rc = create_store_file(dir, err)) != 0) goto fail;
    if ((rc = nw__chain_load(dir, &s->chain, 0, err)) != 0) goto fail;
    {
        uint8_t g[32];
        nw__chain_genesis(dir, g, s->store_id, err);
    }
    snprintf(path, sizeof path, "%s/chain", dir);
    s->chainfd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (s->chainfd < 0) {
        rc = nw_err_set(err, NW_EIO, "cannot open %s: %s", path, strerror(errno));
        goto fail;
    }
    if (s->chain.n == 0) fsync_dir(dir); /* perhaps just created: its name must last */
    {
        struct stat sb;
        if (fstat(s->chainfd, &sb) == 0 && (uint64_t)sb.st_size > s->chain.good_len) {
            if (!opts->quiet)
                fprintf(stderr, "netwarden: store %s: dropped %llu bytes of an incomplete chain "
                        "line (unclean stop)\n", dir,
                        (unsigned long long)((uint64_t)sb.st_size - s->chain.good_len));
            if (ftruncate(s->chainfd, (off_t)s->chain.good_len) != 0) {
                rc = nw_err_set(err, NW_EIO, "cannot truncate %s: %s", path, strerror(errno));
                goto fail;
            }
        }
    }
    for (size_t i = 0; i < s->chain.n; i++)
        if (s->chain.e[i].kind[0] != 'e' && s->chain.e[i].seq >= s->next_seq)
            s->next_seq = s->chain.e[i].seq + 1;
    if (s->next_seq == 0) s->next_seq = 1;
    lim = getenv("NW_STORE_DISK_LIMIT");
    if (lim && *lim) {
        s->sim_limit = strtoull(lim, NULL, 10);
        s->sim_used = dir_usage(dir);
    }
    if ((rc = recover(s, err)) != 0) goto fail;
    if (make_reserve(s) != 0) {
        rc = nw_err_set(err, NW_EIO, "store %s: cannot set aside the %llu-byte reserve for the "
                        "disk-full alarm: %s; free space first", dir,
                        (unsigned long long)s->o.reserve_bytes, strerror(errno));
        goto fail;
    }
    s->last_sync = s->last_tick = now_us(s);
    if (s->damage_msg[0]) alarm_record(s, "store_segment_damaged", s->damage_msg);
    if (s->o.retention_days && (rc = nw_store_retention(s, now_us(s), err)) < 0) goto fail;
    *out = s;
    return 0;
fail:
    s->o.quiet = 1;
    nw_store_close(s, NULL);
    return rc;
}

/* -------------------------------------------------------------- append -- */

static void collect_key(void *arg, const char *key, size_t n)
{
    struct nw_store *s = arg;
    if (s->nrec_keys < MAX_REC_KEYS) s->rec_keys[s->nrec_keys++] = nw__key_hash(key, n);
}

/*
 * Put a record of an identity type into the block's identity stream, at
 * ordinal a->nts. 0, or NW_ENOMEM (the caller then stores the block plain).
 */
/*
 * Note the session.ip key of the identity record just indexed (class
 * IDENT_CLASS_SESSION or IDENT_CLASS_ANY) for the segment's key directory, with the
 * pending block's index. The index pass emits that key last, after the
 * root object (store_index.c: emit_session_ip), so it is the record's last
 * key hash; a record without one (no src_ip, not a session) adds its last
 * other key, which no session.ip lookup can match. A key past MAX_REC_KEYS
 * is in no filter and is not noted either. Reading the key off the hashes
 * costs nothing per record; re-indexing the frames at seal (kdir_build,
 * which recovery uses) cost 1.5 % of ingest on the bench data, and a test
 * checks that both give the same bytes.
 */
static void kd_note(struct nw_store *s, struct active *a)
{
    uint8_t *e;

    if (s->nkeys == 0 || s->nkeys > MAX_REC_KEYS || s->nrec_keys != s->nkeys || !a->kdok) return;
    if (kd_room(&a->kd, &a->kdcap, a->kdn, 256) != 0) {
        a->kdok = 0;
        return;
    }
    e = a->kd + a->kdn++ * KDIR_ENT_LEN;
    le64_put(e, s->rec_keys[s->nkeys - 1]);
    le32_put(e + 8, (uint32_t)a->nblocks);
}

static int ident_add(struct nw_store *s, struct active *a, const char *line, size_t len, int cls,
                     uint64_t ts, const struct nw__shape_tmpl *tk)
{
    size_t room = a->ixlen + len + TMPL_MAX_LEN + 32;

    if (room > a->ixcap) {
        size_t nc = NW_MAX(a->ixcap * 2, NW_MAX((size_t)64 << 10, room));
        uint8_t *nx = nw_realloc(a->ix, nc);
        if (nx == NULL) return NW_ENOMEM;
        a->ix = nx, a->ixcap = nc;
    }
    if (a->ni == a->nicap) {
        size_t nc = a->nicap ? a->nicap * 2 : 256;
        uint32_t *np = nw_realloc(a->ipos, nc * sizeof *np);
        uint8_t *ncl;
        uint64_t *nt;
        if (np == NULL) return NW_ENOMEM;
        a->ipos = np;
        if ((ncl = nw_realloc(a->icls, nc)) == NULL) return NW_ENOMEM;
        a->icls = ncl;
        if ((nt = nw_realloc(a->its, nc * sizeof *nt)) == NULL) return NW_ENOMEM;
        a->its = nt;
        a->nicap = nc;
    }
    a->ixlen = s->enc3 ? nw__tmpl3_add(&a->ite, a->ix, a->ixlen, line, len, &s->spans, tk, ts)
                       : nw__tmpl_add(&a->ite, a->ix, a->ixlen, line, len, &s->spans);
    a->ipos[a->ni] = (uint32_t)a->nts;
    a->icls[a->ni] = (uint8_t)cls;
    a->its[a->ni++] = ts;
    a->irecs += len + 1;
    if ((cls == IDENT_CLASS_SESSION || cls == IDENT_CLASS_ANY) && s->kdir == 1) kd_note(s, a);
    return 0;
}

/*
 * Finish the identity frame's raw bytes in a->ix: after the stream, the
 * timestamps, the ordinals, the classes (docs/internals/store.md). Returns
 * its length (d filled but for comp and hash), or 0 when out of memory.
 */
static size_t ident_finish(struct active *a, struct blk_ident *d)
{
    size_t need = a->ixlen + 16 * a->ni, o, tsl;
    uint32_t prev = 0;

    memset(d, 0, sizeof *d);
    if (a->ni == 0) return 0;
    if (need > a->ixcap) {
        uint8_t *nx = nw_realloc(a->ix, need);
        if (nx == NULL) return 0;
        a->ix = nx, a->ixcap = need;
    }
    tsl = nw__ts_encode(a->ix + a->ixlen, a->its, a->ni, a->pmin);
    o = a->ixlen + tsl;
    for (size_t k = 0; k < a->ni; k++) {
        uint32_t g = k ? a->ipos[k] - prev - 1 : a->ipos[k];
        prev = a->ipos[k];
        while (g >= 0x80) {
            a->ix[o++] = (uint8_t)(g | 0x80);
            g >>= 7;
        }
        a->ix[o++] = (uint8_t)g;
    }
    d->poslen = (uint32_t)(o - a->ixlen - tsl);
    memcpy(a->ix + o, a->icls, a->ni);
    o += a->ni;
    d->xlen = (uint32_t)o;
    d->nrec = (uint32_t)a->ni;
    d->recs = (uint32_t)a->irecs;
    d->tslen = (uint32_t)tsl;
    return o;
}

static void collect_hash(void *arg, uint64_t h)
{
    struct nw_store *s = arg;
    if (s->nrec_keys < MAX_REC_KEYS) s->rec_keys[s->nrec_keys++] = h;
    s->nkeys++;
}

/* Key group id: its n keys h, or (h NULL) the last n collected. Noted only whole within
 * MAX_REC_KEYS. */
static void collect_group(void *arg, uint64_t id, const uint64_t *h, unsigned n)
{
    struct nw_store *s = arg;
    if (h) {
        size_t k = NW_MIN((size_t)n, MAX_REC_KEYS - s->nrec_keys);
        memcpy(s->rec_keys + s->nrec_keys, h, k * sizeof *h);
        s->nrec_keys += k;
        s->nkeys += n;
    }
    if (s->nkeys > MAX_REC_KEYS || n == 0 || !s->kgroups) return;
    s->grp_id = id;
    s->grp_at = s->nkeys - n;
    s->grp_n = n;
}

static int append_internal(struct nw_store *s, const char *line, size_t len, struct nw_err *err)
{
    struct active *a = NULL;
    struct nw__shape_tmpl tk = {NULL, 0, 0, 0};
    uint64_t ts = 0, t;
    uint32_t day;
    int rc = 0;

    if (len && line[len - 1] == '\n') len--;
    s->nrec_keys = 0;
    s->nkeys = 0;
    s->grp_id = 0;
    /* the index pass also rejects a '\n' anywhere (not one line) */
    if (len == 0 || len > NW_RECORD_MAX ||
        (rc = s->shapes ? nw__index_record_shaped(s->shapes, line, len, &ts, collect_hash, s,
                                                  &s->spans, &tk)
                        : nw__index_record(line, len, &ts, collect_key, s,
                                           s->tmpl ? &s->spans : NULL)) != 0) {
        s->st.rejected++;
        return nw_err_set(err, NW_EFORMAT, "%s", len == 0 ? "empty line"
                          : len > NW_RECORD_MAX ? "record longer than 1 MiB"
                          : memchr(line, '\n', len) ? "record spans lines"
                          : rc == NW_ENOENT ? "no valid \"timestamp\" member (RFC 3339)"
                                            : "not a valid JSON object");
    }
    if (s->st.stopped && (++s->appends & 63) == 0 && !s->in_alarm)
        nw_store_tick(s); /* retries every few seconds whether space came back */
    if (s->st.stopped) {
        s->st.missed++;
        return nw_err_set(err, NW_EIO, "store writing is stopped (%s); record counted as missed",
                          strerror(s->stop_errno));
    }
    day = (uint32_t)(ts / DAY_US);
    for (int i = 0; i < s->nact; i++)
        if (s->act[i].day == day) {
            a = &s->act[i];
            if (a->size >= s->o.segment_bytes) { /* full: seal, start the next one */
                if ((rc = seal(s, i, err)) != 0) {
                    s->st.missed++;
                    return rc;
                }
                a = NULL;
            }
            break;
        }
    if (a == NULL && (rc = open_segment(s, day, &a, err)) != 0) {
        s->st.missed++;
        return rc;
    }
    if (a->nts && a->dlen + len + 1 > s->o.block_bytes && (rc = cut_block(s, a, err)) != 0) {
        s->st.missed++;
        return rc;
    }
    if (a->dlen + len + 1 > a->dcap) {
        size_t nc = NW_MAX(a->dcap * 2, NW_MAX(s->o.block_bytes + s->o.block_bytes / 8,
                                               a->dlen + len + 1));
        char *nd = nw_realloc(a->data, nc);
        if (nd == NULL) {
            s->st.missed++;
            return nw_err_set(err, NW_ENOMEM, "out of memory buffering a record");
        }
        a->data = nd;
        a->dcap = nc;
    }
    if (a->nts == a->tscap) {
        size_t nc = a->tscap ? a->tscap * 2 : 4096;
        uint64_t *nt = nw_realloc(a->ts, nc * sizeof *nt);
        if (nt == NULL) {
            s->st.missed++;
            return nw_err_set(err, NW_ENOMEM, "out of memory buffering a record");
        }
        a->ts = nt;
        a->tscap = nc;
    }
    {
        uint64_t *g = s->grp_id ? &a->gseen[s->grp_id & (GROUPS_SEEN - 1)] : NULL;
        size_t i;
        for (i = 0; i < s->nrec_keys; i++) {
            uint64_t h = s->rec_keys[i] ? s->rec_keys[i] : 1, *r; /* set_add's mapping of 0 */
            if (g && i == s->grp_at && *g == s->grp_id) { /* this block has them all */
                i += s->grp_n - 1;
                continue;
            }
            r = &a->recent[(h ^ (h >> 29)) & (RECENT_KEYS - 1)];
            if (*r == h) continue; /* added to this block's set already */
            if (set_add(a, h) != 0) break; /* a smaller filter only costs skips */
            *r = h;
        }
        if (g && i == s->nrec_keys) *g = s->grp_id;
    }
    /* one event_type that is not an identity type: bulk; else (identity, or
     * unknown here: escaped, repeated, absent) the identity frame */
    if (s->ident && (s->spans.ntype != 1 || s->spans.tcls >= 0) && !a->xbad) {
        if (ident_add(s, a, line, len, s->spans.ntype == 1 ? s->spans.tcls : IDENT_CLASS_ANY,
                      ts, &tk) != 0)
            a->xbad = 1; /* this block is stored plain */
    } else if (s->tmpl && !a->xbad) {
        size_t room = a->xlen + len + TMPL_MAX_LEN + 32;
        if (room > a->xcap) {
            size_t nc = NW_MAX(a->xcap * 2, NW_MAX(s->o.block_bytes + s->o.block_bytes / 8, room));
            uint8_t *nx = nw_realloc(a->x, nc);
            if (nx == NULL) a->xbad = 1; /* this block is stored plain */
            else a->x = nx, a->xcap = nc;
        }
        if (a->xbad) {
        } else if (s->enc3) {
            a->xlen = nw__tmpl3_add(&a->te, a->x, a->xlen, line, len, &s->spans, &tk, ts);
        } else if (tk.sk) {
            a->xlen = nw__tmpl_add_known(&a->te, a->x, a->xlen, line, len, &s->spans, tk.sk,
                                         tk.len, tk.h);
        } else {
            a->xlen = nw__tmpl_add(&a->te, a->x, a->xlen, line, len, &s->spans);
        }
    }
    memcpy(a->data + a->dlen, line, len);
    a->data[a->dlen + len] = '\n';
    a->dlen += len + 1;
    a->ts[a->nts++] = ts;
    if (ts < a->pmin) a->pmin = ts;
    if (ts > a->pmax) a->pmax = ts;
    s->st.records++;
    s->st.bytes_in += len + 1;
    if ((++s->appends & 63) == 0 || a->nts == 1) {
        t = now_us(s);
        a->last_use = t;
        if (a->nts == 1) a->pending_since = t;
    } else {
        t = 0;
    }
    if (a->dlen >= s->o.block_bytes && (rc = cut_block(s, a, err)) != 0) return rc;
    if (t && !s->in_alarm) nw_store_tick(s);
    return 0;
}

int nw_store_append(struct nw_store *s, const char *line, size_t len, struct nw_err *err)
{
    return append_internal(s, line, len, err);
}

int nw_store_flush(struct nw_store *s, int sync, struct nw_err *err)
{
    int rc = 0;

    for (int i = 0; i < s->nact; i++) {
        if (s->act[i].nts && cut_block(s, &s->act[i], err) != 0) rc = NW_EIO;
        if (sync && s->act[i].fd >= 0) fdatasync(s->act[i].fd);
    }
    if (sync) s->last_sync = now_us(s);
    return rc;
}

int nw_store_tick(struct nw_store *s)
{
    uint64_t t = now_us(s);
    struct nw_err e;

    if (s->st.stopped) {
        struct statvfs vf;
        uint64_t need = s->o.reserve_bytes + 2 * s->o.block_bytes;
        if (t - s->last_resume_try < RESUME_CHECK_US) return NW_EIO;
        s->last_resume_try = t;
        if (s->sim_limit) { /* tests grow the simulated device to free space */
            const char *lim = getenv("NW_STORE_DISK_LIMIT");
            if (lim && *lim) s->sim_limit = strtoull(lim, NULL, 10);
        }
        if (statvfs(s->dir, &vf) != 0 || (uint64_t)vf.f_bavail * vf.f_frsize < need) return NW_EIO;
        if (s->sim_limit && s->sim_used + need > s->sim_limit) return NW_EIO;
        if (make_reserve(s) != 0) return NW_EIO;
        s->st.stopped = 0;
        nw_log(NW_LOG_NOTICE, "store %s: writing resumed; %llu records were missed", s->dir,
               (unsigned long long)(s->st.missed - s->missed_at_stop));
        alarm_record(s, "store_write_resumed", "store writing resumed after space was freed; "
                     "records during the stop were not stored (see missed_records)");
        s->stopped_since = 0;
        return 0;
    }
    for (int i = 0; i < s->nact; i++) {
        struct active *a = &s->act[i];
        if (a->nts && t - a->pending_since >= s->o.flush_ms * 1000) cut_block(s, a, &e);
    }
    if (s->o.fsync == NW_STORE_FSYNC_INTERVAL && t - s->last_sync >= s->o.flush_ms * 1000) {
        for (int i = 0; i < s->nact; i++) fdatasync(s->act[i].fd);
        s->last_sync = t;
    }
    for (int i = 0; i < s->nact; i++)
        if (t - s->act[i].created_us >= s->o.segment_seconds * 1000000u) {
            seal(s, i, &e);
            i--;
        }
    if (s->o.retention_days && t - s->last_retention >= DAY_US / 24) nw_store_retention(s, t, &e);
    s->last_tick = t;
    return 0;
}

/* ----------------------------------------------------------- retention -- */

static int remove_partition(const char *dir, const char *dname)
{
    char path[4200], f[4500];
    DIR *d;
    struct dirent *de;
    int rc = 0;

    snprintf(path, sizeof path, "%s/%s", dir, dname);
    d = opendir(path);
    if (d == NULL) return errno == ENOENT ? 0 : -1;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        snprintf(f, sizeof f, "%s/%s", path, de->d_name);
        if (unlink(f) != 0) rc = -1;
    }
    closedir(d);
    if (rmdir(path) != 0) rc = -1;
    fsync_dir(dir);
    return rc;
}

int nw_store_retention(struct nw_store *s, uint64_t now, struct nw_err *err)
{
    DIR *d;
    struct dirent *de;
    uint32_t days[512];
    int nd = 0, deleted = 0, rc;

    if (s->o.retention_days == 0) return 0;
    if ((rc = nw_store_check_retention(s->o.retention_days, err)) != 0) return rc;
    s->last_retention = now;
    d = opendir(s->dir);
    if (d == NULL) return nw_err_set(err, NW_EIO, "cannot list %s: %s", s->dir, strerror(errno));
    while ((de = readdir(d)) != NULL && nd < (int)NW_ARRAY_LEN(days)) {
        uint32_t day;
        /* expired: the day's end is at least retention_days before now */
        if (nw__day_parse(de->d_name, &day) == 0 &&
            ((uint64_t)day + 1 + s->o.retention_days) * DAY_US <= now)
            days[nd++] = day;
    }
    closedir(d);
    for (int i = 0; i < nd; i++) {
        struct chain_entry ce;
        struct nw_buf b;
        char name[16];
        uint64_t segs = 0, recs = 0, bytes = 0, first = 0, last = 0;
        int already = 0;

        for (int k = 0; k < s->nact; k++)
            if (s->act[k].day == days[i]) {
                seal(s, k, err);
                k--;
            }
        for (size_t k = 0; k < s->chain.n; k++) {
            const struct chain_entry *e = &s->chain.e[k];
            if (e->day != days[i]) continue;
            if (e->kind[0] == 'e') already = 1;
            if (e->kind[0] == 'b') segs++;
            if (e->kind[0] == 's') {
                if (!first) first = e->seq;
                last = e->seq;
                segs++;
                recs += e->nrec;
                bytes += e->size;
            }
        }
        nw__day_name(days[i], name);
        if (!already) {
            memset(&ce, 0, sizeof ce);
            snprintf(ce.kind, sizeof ce.kind, "expire");
            ce.day = days[i];
            ce.nrec = segs;
            rc = nw__chain_append(s->chainfd, &s->chain, &ce, s->signing ? s->sk : NULL, 1, err);
            if (rc != 0) return rc;
        }
        if (remove_partition(s->dir, name) != 0) {
            nw_log(NW_LOG_ERROR, "store %s: could not delete all of expired partition %s: %s; "
                   "the next retention pass retries", s->dir, name, strerror(errno));
            continue;
        }
        if (already) continue; /* finishing a deletion a crash interrupted: recorded before */
        deleted++;
        s->st.partitions_expired++;
        if (!s->o.quiet)
            fprintf(stderr, "netwarden: store %s: retention: deleted partition %s (%llu segments, "
                    "%llu records), older than %u days\n", s->dir, name,
                    (unsigned long long)segs, (unsigned long long)recs, s->o.retention_days);
        /* the maintenance record of the deletion */
        nw_buf_init(&b, 1u << 16);
        nw_buf_putc(&b, '{');
        nw_json_ktime(&b, "timestamp", now);
        nw_json_kcstr(&b, "event_type", "maintenance");
        nw_json_kobj_open(&b, "maintenance");
        nw_json_kcstr(&b, "action", "retention_delete");
        nw_json_kcstr(&b, "store", s->dir);
        nw_json_kcstr(&b, "partition", name);
        nw_json_ktime(&b, "partition_start", (uint64_t)days[i] * DAY_US);
        nw_json_ktime(&b, "partition_end", ((uint64_t)days[i] + 1) * DAY_US);
        nw_json_kuint(&b, "segments", segs);
        if (segs) {
            nw_json_kuint(&b, "first_segment", first);
            nw_json_kuint(&b, "last_segment", last);
        }
        nw_json_kuint(&b, "records", recs);
        nw_json_kuint(&b, "bytes", bytes);
        nw_json_kuint(&b, "retention_days", s->o.retention_days);
        nw_json_kcstr(&b, "reason", "older than retention_days (MPS Order No. 82 art. 13 "
                      "requires at least 60 days)");
        nw_json_obj_close(&b);
        nw_buf_putc(&b, '}');
        if (nw_buf_ok(&b)) append_internal(s, b.data, b.len, err);
        nw_buf_fini(&b);
    }
    return deleted;
}

/* --------------------------------------------------------------- close -- */

int nw_store_close(struct nw_store *s, struct nw_err *err)
{
    struct nw_err e;
    int rc = 0;

    if (s == NULL) return 0;
    if (err == NULL) err = &e;
    while (s->nact > 0) {
        struct active *a = &s->act[0];
        if (s->st.stopped) {
            s->st.missed += a->nts; /* pending records that could not be written */
            a->nts = 0;
            a->dlen = 0;
        }
        if (s->st.stopped || seal(s, 0, err) != 0) {
            if (s->nact > 0 && s->act[0].fd == a->fd) {
                active_free(a);
                s->act[0] = s->act[--s->nact];
            }
            rc = NW_EIO;
        }
    }
    if (s->reservefd >= 0) close(s->reservefd);
    if (s->chainfd >= 0) {
        fdatasync(s->chainfd);
        close(s->chainfd);
    }
    if (s->lockfd >= 0) close(s->lockfd);
    nw__chain_free(&s->chain);
    nw__shapes_free(s->shapes);
    ZSTD_freeCCtx(s->cctx);
    nw_free(s->cbuf);
    nw_free(s->t4);
    nw__enc4_free(s->e4);
    nw_free(s->filter);
    sodium_memzero(s->sk, sizeof s->sk);
    nw_free(s->dir);
    nw_free(s);
    return rc;
}

void nw_store_get_stats(const struct nw_store *s, struct nw_store_stats *st) { *st = s->st; }

/* ---------------------------------------------------------------- sink -- */

static int sink_write(void *self, const char *type, const char *line, size_t len)
{
    struct nw_store *s = self;
    struct nw_err e;
    int rc = nw_store_append(s, line, len, &e);

    (void)type;
    /* once (a stop says so itself); audit -q used to exit 3 without a word */
    if (rc == NW_ENOMEM && !s->nomem_said) {
        s->nomem_said = 1;
        nw_log(NW_LOG_ERROR, "store %s: %s; the record was not stored (missed records are "
               "counted)", s->dir, e.msg);
    }
    return rc;
}

static int sink_flush(void *self)
{
    return nw_store_tick(self) == 0 ? 0 : NW_EIO;
}

static void sink_close(void *self)
{
    struct nw_store *s = self;
    struct nw_store_stats st;
    struct nw_err e;
    char dir[4096];
    int quiet = s->o.quiet;

    snprintf(dir, sizeof dir, "%s", s->dir);
    nw_store_flush(s, 0, &e);
    st = s->st;
    if (nw_store_close(s, &e) != 0 && e.msg[0]) nw_log(NW_LOG_ERROR, "store %s: %s", dir, e.msg);
    if (!quiet)
        fprintf(stderr, "netwarden: store %s: %llu records stored (%.1f MB of JSON in %.1f MB), "
                "%llu rejected, %llu missed\n", dir, (unsigned long long)st.flushed,
                st.bytes_in / 1e6, st.bytes_written / 1e6, (unsigned long long)st.rejected,
                (unsigned long long)st.missed);
}

int nw_store_sink_open(struct nw_sink *sink, const char *dir, const struct nw_store_opts *opts,
                       struct nw_err *err)
{
    struct nw_store *s;
    int rc = nw_store_open(&s, dir, opts, err);

    if (rc != 0) return rc;
    *sink = (struct nw_sink){.name = "store", .write = sink_write, .flush = sink_flush,
                             .close = sink_close, .self = s};
    return 0;
}
