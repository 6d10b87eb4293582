/*
 * store_scan.c - the read side: nw_store_scan() over day partitions,
 * segments and blocks, skipping by time and by the blocks' key filters.
 *
 * Readers take no lock and never write, so they never block the writer.
 * A sealed segment is read through its footer (one pread gives every
 * block's header and filter); an active one is walked block by block up to
 * the first incomplete block (the writer may be appending to it, or a crash
 * left a torn tail). Every block is checked against its hash before it is
 * decompressed; a bad block is counted (st->damaged) and skipped.
 * A partition deleted by retention during the scan simply disappears.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define DAY_US 86400000000ull
#define MAX_DAYS 100000
#define MAX_SEGS 1000000

/* One block's buffers: as read from disk, decompressed, its timestamps, and
 * where the must_contain prefilter found its first candidates. */
struct slot {
    uint8_t *buf, *raw;    /* inside bufbase/rawbase (bigbuf()) */
    uint8_t *bufbase, *rawbase;
    size_t bufcap, rawcap;
    uint64_t *ts;
    size_t tscap;
    struct blk_hdr h;
    uint64_t off;
    size_t hit, bs;        /* first needle / backslash offset in raw (recs_len = none) */
    size_t anc_a, anc_b;   /* find(): anchor positions in the needle, picked per block */
    /* what load_block made of the block: the records in raw (all of them, or
     * only those of the identity frame, with their classes in cls) */
    uint32_t vnrec;
    size_t vrecs;          /* bytes of those records in raw */
    uint8_t *cls;          /* ident: the records' classes (else unused) */
    size_t clscap;
    int ident;             /* 1: raw holds the identity frame only */
    int have_dir;          /* idir was read with the block's filter */
    uint8_t idir[IDENT_DIR_LEN];
    uint8_t *xb;           /* nw__blk_may_hold(): a frame decompressed, not expanded */
    size_t xcap;
    uint64_t nread, ndec;  /* bytes read from disk / record bytes produced */
    int state; /* parallel scan: SLOT_EMPTY, SLOT_BUSY, SLOT_READY */
    int rc;    /* load_block's result */
};

/* The must_contain literal (read-only once the scan starts: shared by threads). */
struct needle {
    const uint8_t *p;
    size_t len; /* 0 = no prefilter */
    int blockwise; /* look for it in the unexpanded frames first (nw__blk_may_hold) */
};

struct scan {
    const struct nw_store_scan *q;
    struct nw_store_scan_stats *st;
    uint64_t *hashes;   /* key hashes, group by group */
    size_t *gstart;     /* group g's hashes: [gstart[g], gstart[g+1]) */
    uint8_t *buf;       /* block filters as read from disk */
    size_t bufcap;
    struct slot one;    /* the sequential read's block */
    ZSTD_DCtx *dctx;
    struct slot *pool;     /* parallel read: npool slots, reused by every segment */
    size_t npool;
    struct needle nd;
    int nthreads;          /* decompression threads (scan_threads()) */
    int ident_only;        /* only_types all live in identity frames: read those alone */
    uint8_t want_cls[IDENT_CLASS_MAX + 1]; /* classes delivered from an identity frame */
    int prefetched;        /* prefetch() announced the filters' reads already */
    int kd_group;          /* a group of session.ip keys only (a key directory answers it), or -1 */
    int stop;
};

static int grow(uint8_t **p, size_t *cap, size_t need)
{
    uint8_t *n;

    if (need <= *cap) return 0;
    n = nw_realloc(*p, need);
    if (n == NULL) return NW_ENOMEM;
    *p = n;
    *cap = need;
    return 0;
}

/*
 * A block buffer of at least need bytes whose contents need not survive
 * growth. Fresh memory is most of a short scan's page faults (one per 4 KiB
 * of each 4 MiB block buffer, ~15 % of a `who`), so the buffer is placed on
 * a 2 MiB boundary and offered to transparent huge pages: one fault per
 * 2 MiB where the kernel allows it (THP "madvise" mode), else unchanged.
 */
#define BIG_ALIGN ((size_t)2 << 20)
static int bigbuf(uint8_t **base, uint8_t **p, size_t *cap, size_t need)
{
    size_t c;
    uint8_t *b;
    uintptr_t a;

    if (need <= *cap && *p != NULL) return 0;
    if (need < BIG_ALIGN / 2) {
        if (grow(base, cap, need) != 0) return NW_ENOMEM;
        *p = *base;
        return 0;
    }
    c = (need + BIG_ALIGN - 1) & ~(BIG_ALIGN - 1);
    nw_free(*base);
    *base = *p = NULL;
    *cap = 0;
    if ((b = nw_alloc(c + BIG_ALIGN)) == NULL) return NW_ENOMEM;
    a = ((uintptr_t)b + BIG_ALIGN - 1) & ~(uintptr_t)(BIG_ALIGN - 1);
#ifdef MADV_HUGEPAGE
    madvise((void *)a, c, MADV_HUGEPAGE); /* a hint: failure changes nothing */
#endif
    *base = b;
    *p = (uint8_t *)a;
    *cap = c;
    return 0;
}

static int keys_may(const struct scan *sc, const uint8_t *filter, uint32_t flen, uint64_t salt)
{
    uint32_t bits = flen * 8;

    for (size_t g = 0; g < sc->q->ngroups; g++) {
        int any = 0;
        for (size_t k = sc->gstart[g]; k < sc->gstart[g + 1] && !any; k++)
            any = nw__bloom_may(filter, bits, nw__bloom_salt(sc->hashes[k], salt));
        if (!any) return 0;
    }
    return 1;
}

/*
 * The blocks of a sealed segment that hold a key of the scan's session.ip
 * group (kd_group), from the key directory at the head of its footer (fb,
 * kdir_len bytes): cand[b] = 1 for those, 0 for the rest. Returns 1 when the
 * directory answers for this scan (no filter needs reading; the other
 * groups are not checked: keys only skip, and the blocks named are few), 0
 * when the filters must be read: no directory (older writer,
 * NW_STORE_KDIR=0), not this scan's keys, or a malformed one (the footer
 * hash matched, so a writer's bug: verify reports it).
 */
static int kd_select(const struct scan *sc, const uint8_t *fb, uint32_t kdir_len,
                     uint32_t nblocks, uint8_t *cand)
{
    struct kdir kd;
    size_t g = (size_t)sc->kd_group;

    if (sc->kd_group < 0 || kdir_len == 0 ||
        nw__kdir_decode(fb, kdir_len, nblocks, &kd, NULL) != 0 ||
        !(kd.classes & KDIR_SESSION_IP))
        return 0;
    memset(cand, 0, nblocks);
    for (size_t k = sc->gstart[g]; k < sc->gstart[g + 1]; k++)
        for (uint32_t i = nw__kdir_find(&kd, sc->hashes[k]);
             i < kd.n && nw__kdir_hash(&kd, i) == sc->hashes[k]; i++)
            cand[nw__kdir_block(&kd, i)] = 1; /* < nblocks: nw__kdir_decode */
    return 1;
}

/*
 * The needle's two anchor positions a < b for one block: its two rarest
 * bytes in a sample of that block (JSON is full of '"', ':' and letters;
 * digits and '-' are rarer), so that the SIMD pass below rarely stops to
 * compare. Per block, so that decompression threads share nothing.
 */
static void pick_anchors(const struct needle *nd, struct slot *sl, const uint8_t *sample,
                         size_t n)
{
    uint32_t freq[256] = {0};
    size_t a = 0, b;

    if (n > 8192) n = 8192;
    for (size_t i = 0; i < n; i++) freq[sample[i]]++;
    for (size_t i = 1; i < nd->len; i++)
        if (freq[nd->p[i]] < freq[nd->p[a]]) a = i;
    b = a == 0 ? 1 : 0;
    for (size_t i = 0; i < nd->len; i++)
        if (i != a && freq[nd->p[i]] < freq[nd->p[b]]) b = i;
    sl->anc_a = a < b ? a : b;
    sl->anc_b = a < b ? b : a;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/*
 * AVX2 form of the anchor search below (32 positions per step); chosen at
 * run time, the build targets baseline x86-64. Returns the first offset
 * < hl - nl - 32 where the needle starts, else the offset where the caller
 * continues.
 */
__attribute__((target("avx2"))) static size_t find_avx2(const uint8_t *h, size_t hl,
                                                        const uint8_t *n, size_t nl, size_t a,
                                                        size_t b, int *found, size_t *bs,
                                                        size_t *bs_end)
{
    const __m256i fa = _mm256_set1_epi8((char)n[a]), fb = _mm256_set1_epi8((char)n[b]);
    const __m256i bsl = _mm256_set1_epi8('\\');
    size_t i = 0;

    for (; i + nl + 32 <= hl; i += 32) { /* b < nl: both loads stay inside h */
        __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(h + i + a));
        __m256i y = _mm256_loadu_si256((const __m256i *)(const void *)(h + i + b));
        unsigned m = (unsigned)_mm256_movemask_epi8(
            _mm256_and_si256(_mm256_cmpeq_epi8(x, fa), _mm256_cmpeq_epi8(y, fb)));
        if (bs != NULL) { /* the first backslash at or after offset a, in the same pass */
            unsigned mb = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, bsl));
            if (mb) {
                *bs = i + a + (unsigned)__builtin_ctz(mb);
                bs = NULL;
            }
        }
        while (m) {
            unsigned k = (unsigned)__builtin_ctz(m);
            if (memcmp(h + i + k, n, nl) == 0) {
                *found = 1;
                if (bs != NULL) *bs_end = i + a + 32;
                return i + k;
            }
            m &= m - 1;
        }
    }
    if (bs != NULL) *bs_end = i + a;
    return i;
}

static int have_avx2(void)
{
    /* computed by whichever thread comes first (helpers too); every thread gets the same
     * value, so relaxed atomics suffice: they only make the concurrent first calls defined */
    static int v = -1;
    int a = __atomic_load_n(&v, __ATOMIC_RELAXED);

    if (a < 0) {
        a = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt") ? 1 : 0;
        __atomic_store_n(&v, a, __ATOMIC_RELAXED);
    }
    return a;
}
#endif

/*
 * First occurrence of the needle in h[0..hl) as an offset, or hl if none.
 * SIMD: compare the needle's two anchor bytes at 16 (SSE2) or 32 (AVX2)
 * positions at once and check the (rare) coincidences with memcmp; glibc
 * memmem for the tail and for other targets. Needles are short texts (a URL
 * piece, an account).
 */
static size_t find(const struct needle *nd, const struct slot *sl, const uint8_t *h, size_t hl)
{
    const uint8_t *n = nd->p, *p;
    size_t nl = nd->len, i = 0;

    if (nl == 0 || hl < nl) return hl;
    if (nl == 1) {
        p = memchr(h, n[0], hl);
        return p ? (size_t)(p - h) : hl;
    }
#if defined(__x86_64__) && defined(__GNUC__)
    if (have_avx2()) {
        int found = 0;
        i = find_avx2(h, hl, n, nl, sl->anc_a, sl->anc_b, &found, NULL, NULL);
        if (found) return i;
    }
#endif
#ifdef __SSE2__
    {
        size_t a = sl->anc_a, b = sl->anc_b;
        const __m128i fa = _mm_set1_epi8((char)n[a]), fb = _mm_set1_epi8((char)n[b]);
        for (; i + nl + 16 <= hl; i += 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(h + i + a));
            __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(h + i + b));
            unsigned m = (unsigned)_mm_movemask_epi8(
                _mm_and_si128(_mm_cmpeq_epi8(x, fa), _mm_cmpeq_epi8(y, fb)));
            while (m) {
                unsigned k = (unsigned)__builtin_ctz(m);
                if (memcmp(h + i + k, n, nl) == 0) return i + k;
                m &= m - 1;
            }
        }
    }
#endif
    p = memmem(h + i, hl - i, n, nl);
    return p ? (size_t)(p - h) : hl;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* count_nl() with AVX2 and the popcnt instruction (baseline x86-64 has neither). */
__attribute__((target("avx2,popcnt"))) static size_t count_nl_avx2(const uint8_t *p, size_t n,
                                                                  size_t *done)
{
    const __m256i nlv = _mm256_set1_epi8('\n');
    size_t i = 0, c = 0;

    for (; i + 32 <= n; i += 32)
        c += (size_t)__builtin_popcount((unsigned)_mm256_movemask_epi8(
            _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(p + i)), nlv)));
    *done = i;
    return c;
}
#endif

/* Number of '\n' in p[0..n). */
static size_t count_nl(const uint8_t *p, size_t n)
{
    size_t i = 0, c = 0;

#if defined(__x86_64__) && defined(__GNUC__)
    if (have_avx2()) {
        c = count_nl_avx2(p, n, &i);
        for (; i < n; i++) c += p[i] == '\n';
        return c;
    }
#endif

#ifdef __SSE2__
    const __m128i nlv = _mm_set1_epi8('\n');
    for (; i + 16 <= n; i += 16)
        c += (size_t)__builtin_popcount((unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), nlv)));
#endif
    for (; i < n; i++) c += p[i] == '\n';
    return c;
}

static size_t find_bs(const uint8_t *h, size_t hl)
{
    const uint8_t *p = memchr(h, '\\', hl);
    return p ? (size_t)(p - h) : hl;
}

/*
 * The first needle and first backslash offsets of a loaded block (sl->hit,
 * sl->bs; recs_len = none): one pass over the block with AVX2, else two.
 */
static void first_hits(const struct needle *nd, struct slot *sl, size_t recs_len)
{
    const uint8_t *raw = sl->raw;

#if defined(__x86_64__) && defined(__GNUC__)
    if (nd->len > 1 && recs_len >= nd->len && have_avx2()) {
        size_t a = sl->anc_a, bs = find_bs(raw, a), bs_end = a, i; /* a < nd->len <= recs_len */
        int found = 0, want = bs == a;
        i = find_avx2(raw, recs_len, nd->p, nd->len, a, sl->anc_b, &found,
                      want ? &bs : NULL, &bs_end);
        if (want && bs == a && (a == recs_len || raw[a] != '\\')) /* not found in the pass */
            bs = bs_end >= recs_len ? recs_len : bs_end + find_bs(raw + bs_end, recs_len - bs_end);
        if (!found) {
            const uint8_t *p = memmem(raw + i, recs_len - i, nd->p, nd->len);
            i = p ? (size_t)(p - raw) : recs_len;
        }
        sl->hit = i;
        sl->bs = bs;
        return;
    }
#endif
    sl->hit = find(nd, sl, raw, recs_len);
    sl->bs = find_bs(raw, recs_len);
}

/*
 * Deliver the records of one loaded block (load_block: decompressed, its
 * timestamps decoded, the first candidates found). With must_contain, a
 * record is handed over only if the needle or a backslash starts inside it
 * (hit, bs: the next candidate at or after the current record, recs_len =
 * none). The needle holds no '\n', so a hit that starts inside a record
 * ends inside it too.
 */
static int deliver(struct scan *sc, struct slot *sl)
{
    const uint8_t *raw = sl->raw;
    size_t recs_len = sl->vrecs, off = 0, nlen = sc->nd.len;
    size_t hit = sl->hit, bs = sl->bs;
    uint32_t nrec = sl->vnrec;

    for (uint32_t i = 0; i < nrec; i++) {
        const uint8_t *nl;
        if (nlen) {
            size_t c;
            if (hit < off) hit = off + find(&sc->nd, sl, raw + off, recs_len - off);
            if (bs < off) bs = off + find_bs(raw + off, recs_len - off);
            c = hit < bs ? hit : bs;
            if (c >= recs_len) { /* no candidate left in the block */
                sc->st->records_prefiltered += nrec - i;
                return 0;
            }
            if (c > off && (nl = memrchr(raw + off, '\n', c - off)) != NULL) {
                /* skip the records that end before the candidate */
                size_t skip = (size_t)(nl - raw) + 1 - off, k = count_nl(raw + off, skip);
                if (k >= nrec - i) {
                    sc->st->damaged++;
                    return 0;
                }
                sc->st->records_prefiltered += k;
                i += (uint32_t)k;
                off += skip;
            }
        }
        if (off >= recs_len || (nl = memchr(raw + off, '\n', recs_len - off)) == NULL) {
            sc->st->damaged++;
            return 0;
        }
        size_t len = (size_t)(nl - (raw + off));
        uint64_t ts = sl->ts[i];
        if (ts >= sc->q->since_us && ts < sc->q->until_us &&
            (!sl->ident || sc->want_cls[sl->cls[i]])) {
            sc->st->records++;
            if (sc->q->on_record(sc->q->arg, (const char *)raw + off, len, ts) != 0) {
                sc->stop = 1;
                return 0;
            }
        }
        off += len + 1;
    }
    return 0;
}

static int want_time(struct scan *sc, const struct blk_hdr *h)
{
    sc->st->blocks++;
    if (h->max_ts < sc->q->since_us || h->min_ts >= sc->q->until_us) {
        sc->st->blocks_skipped_time++;
        return 0;
    }
    return 1;
}

static int want_keys(struct scan *sc, const struct blk_hdr *h, const uint8_t *filter)
{
    if (sc->q->ngroups && !keys_may(sc, filter, h->filter_len, h->min_ts)) {
        sc->st->blocks_skipped_keys++;
        return 0;
    }
    return 1;
}

/* Bytes to read after a block's header for its filter: with the identity
 * directory too when only that frame will be read (same pages, one pread). */
static size_t dir_len(const struct scan *sc, const struct blk_hdr *h)
{
    return h->filter_len + (sc->ident_only && BLK_ENC_HAS_IDENT(h->enc) ? IDENT_DIR_LEN : 0);
}

/*
 * With the directory read (buf: filter then directory, rl bytes): keep it
 * for load_block, and skip a block whose directory says it holds no
 * identity record (counted as skipped by keys). 1 = read the block.
 */
static int want_dir(struct scan *sc, const struct blk_hdr *h, const uint8_t *buf, size_t rl,
                    struct slot *sl)
{
    const uint8_t *dir = buf + h->filter_len;
    struct blk_ident d;

    if (rl <= h->filter_len) return 1;
    memcpy(sl->idir, dir, IDENT_DIR_LEN);
    sl->have_dir = 1;
    if (nw__ident_dir_decode(dir, h, &d) == 0 && d.nrec == 0 &&
        NW_HASH_OK(d.hash, nw__ident_hash(h, dir, dir, 0))) {
        sc->st->blocks_skipped_keys++;
        return 0;
    }
    return 1;
}

/* must_contain: the first candidates of the records in raw */
static void prefilter(const struct needle *nd, struct slot *sl)
{
    sl->hit = sl->bs = 0;
    if (nd->len) {
        if (nd->len > 1) pick_anchors(nd, sl, sl->raw, sl->vrecs);
        first_hits(nd, sl, sl->vrecs);
    }
}

/*
 * Can the needle be looked for in a block's frames without expanding them
 * (enc 2-4: templates and values are kept as written, nw__tmpl3_add)? Yes
 * when it holds no JSON punctuation, white space or control byte: every
 * value of a record's text is bounded by such bytes ('"', ':', ',', '[',
 * ']', '}'), so an occurrence lies inside one value or inside one template
 * piece, and both are in the frame as they are. Except the values coded
 * away: a timestamp written as the record's own (0x02 + suffix) is absent,
 * so a needle made only of timestamp characters is not blockwise. Runs
 * (0x03) name values defined earlier in the same frame, which are there.
 */
static int needle_blockwise(const uint8_t *p, size_t n)
{
    int ts_only = 1;

    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c < 0x20 || c == 0x7f || strchr("\"\\,:{}[] ", c) != NULL) return 0;
        if (!((c >= '0' && c <= '9') || strchr("-T.+Z", c) != NULL)) ts_only = 0;
    }
    return !ts_only;
}

/*
 * load_block for a scan of identity types only, on a BLK_ENC_IDENT block:
 * read the directory (unless it came with the filter) and the identity
 * frame, check the frame against its own hash, decompress it. Returns as
 * load_block, and 3 when the block holds no identity record.
 */
static int load_ident(ZSTD_DCtx *dctx, const struct needle *nd, struct slot *sl, int fd)
{
    const struct blk_hdr *h = &sl->h;
    uint64_t doff = sl->off + BLK_HDR_LEN + h->filter_len;
    struct blk_ident d;
    int dr;

    sl->nread = 0;
    if (!sl->have_dir) {
        if (pread(fd, sl->idir, IDENT_DIR_LEN, (off_t)doff) != IDENT_DIR_LEN) return 1;
        sl->nread += IDENT_DIR_LEN;
    }
    sl->have_dir = 0;
    if (nw__ident_dir_decode(sl->idir, h, &d) != 0) return 2;
    if (d.nrec == 0) return NW_HASH_OK(d.hash, nw__ident_hash(h, sl->idir, sl->idir, 0)) ? 3 : 2;
    if (bigbuf(&sl->bufbase, &sl->buf, &sl->bufcap, IDENT_DIR_LEN + (size_t)d.comp) ||
        bigbuf(&sl->rawbase, &sl->raw, &sl->rawcap, (size_t)d.recs + d.tslen) ||
        grow(&sl->cls, &sl->clscap, d.nrec))
        return NW_ENOMEM;
    if (d.nrec > sl->tscap) {
        uint64_t *nt = nw_realloc(sl->ts, d.nrec * sizeof *nt);
        if (nt == NULL) return NW_ENOMEM;
        sl->ts = nt;
        sl->tscap = d.nrec;
    }
    memcpy(sl->buf, sl->idir, IDENT_DIR_LEN);
    if (pread(fd, sl->buf + IDENT_DIR_LEN, d.comp, (off_t)(doff + IDENT_DIR_LEN)) !=
        (ssize_t)d.comp)
        return 1;
    sl->nread += d.comp;
    dr = nw__blk_ident_decompress(dctx, h, sl->buf, &d, sl->raw, sl->cls);
    if (dr == NW_ENOMEM) return NW_ENOMEM;
    if (dr != 0 || nw__ts_decode(sl->raw + d.recs, d.tslen, sl->ts, d.nrec, h->min_ts) != 0)
        return 2;
    sl->ident = 1;
    sl->vnrec = d.nrec;
    sl->vrecs = sl->ndec = d.recs;
    prefilter(nd, sl);
    return 0;
}

/*
 * Load the block sl->h at sl->off: read it, check it against its hash,
 * decompress it, decode its timestamps and run the must_contain search for
 * the first candidates; with ident_only, an enc 2 block through its
 * identity frame alone (load_ident). Returns 0, 1 (unreadable), 2 (damaged:
 * hash, frame or timestamps), 3 (ident_only: no identity record in the
 * block), 4 (no record can hold the needle: nw__blk_may_hold) or
 * NW_ENOMEM. Touches nothing but sl (nd is read-only), so it runs on any
 * thread: the costly part of a scan.
 */
static int load_block(ZSTD_DCtx *dctx, const struct needle *nd, struct slot *sl, int fd,
                      int ident_only)
{
    const struct blk_hdr *h = &sl->h;
    size_t n = (size_t)BLK_HDR_LEN + h->filter_len + h->comp_len;
    const uint8_t *xpre = NULL;
    struct blk_hdr h2;
    int dr;

    sl->ident = 0;
    if (ident_only && BLK_ENC_HAS_IDENT(h->enc)) return load_ident(dctx, nd, sl, fd);
    sl->have_dir = 0;
    sl->nread = n;
    if (bigbuf(&sl->bufbase, &sl->buf, &sl->bufcap, n) ||
        bigbuf(&sl->rawbase, &sl->raw, &sl->rawcap, h->raw_len))
        return NW_ENOMEM;
    if (h->nrec > sl->tscap) {
        uint64_t *nt = nw_realloc(sl->ts, h->nrec * sizeof *nt);
        if (nt == NULL) return NW_ENOMEM;
        sl->ts = nt;
        sl->tscap = h->nrec;
    }
    if (pread(fd, sl->buf, n, (off_t)sl->off) != (ssize_t)n) return 1;
    if (nw__blk_hdr_decode(sl->buf, &h2) != 0 || !NW_HASH_OK(h2.hash, h->hash) ||
        !NW_HASH_OK(h->hash, nw__blk_hash(sl->buf, sl->buf + BLK_HDR_LEN, h->filter_len,
                                          sl->buf + BLK_HDR_LEN + h->filter_len, h->comp_len)))
        return 2;
    if (nd->blockwise && BLK_ENC_HAS_IDENT(h->enc)) {
        dr = nw__blk_may_hold(dctx, h, sl->buf + BLK_HDR_LEN + h->filter_len, nd->p, nd->len,
                              &sl->xb, &sl->xcap);
        if (dr == 0) return 4;
        if (dr < 0) return dr;
        if (dr == 1) xpre = sl->xb; /* not decompressed twice */
    }
    /* out of memory (template blocks need scratch) is an error, not damage */
    dr = nw__blk_decompress_x(dctx, h, sl->buf + BLK_HDR_LEN + h->filter_len, xpre, sl->raw);
    if (dr == NW_ENOMEM) return NW_ENOMEM;
    if (dr != 0 || nw__ts_decode(sl->raw + h->recs_len, h->raw_len - h->recs_len, sl->ts, h->nrec,
                                 h->min_ts) != 0)
        return 2;
    sl->vnrec = h->nrec;
    sl->vrecs = sl->ndec = h->recs_len;
    prefilter(nd, sl);
    return 0;
}

/* Account for a loaded block (rc of load_block) and deliver its records. */
static int finish_block(struct scan *sc, int rc, struct slot *sl)
{
    if (rc < 0) return rc;
    if (rc == 1) { /* unreadable */
        sc->st->damaged++;
        return 0;
    }
    sc->st->bytes_read += sl->nread;
    if (rc == 3) { /* identity frame wanted, and the block has none */
        sc->st->blocks_skipped_keys++;
        return 0;
    }
    if (rc == 4) { /* no record can hold the needle (nw__blk_may_hold) */
        sc->st->blocks_read++;
        sc->st->records_prefiltered += sl->h.nrec;
        return 0;
    }
    if (rc != 0) {
        sc->st->damaged++;
        return 0;
    }
    sc->st->blocks_read++;
    sc->st->blocks_ident_only += (uint64_t)sl->ident;
    sc->st->bytes_decompressed += sl->ndec;
    return deliver(sc, sl);
}

/* Read, check and deliver the block at off on this thread; dir: its identity
 * directory when already read (or NULL). */
static int read_block(struct scan *sc, int fd, uint64_t off, const struct blk_hdr *h,
                      const uint8_t *dir)
{
    sc->one.h = *h;
    sc->one.off = off;
    sc->one.have_dir = dir != NULL;
    if (dir) memcpy(sc->one.idir, dir, IDENT_DIR_LEN);
    return finish_block(sc, load_block(sc->dctx, &sc->nd, &sc->one, fd, sc->ident_only),
                        &sc->one);
}

/* --------------------------------------------------------- parallel read -- */

/*
 * The blocks of a sealed segment that passed the time and key checks are
 * loaded (read, checked, decompressed, prefiltered: load_block) by the
 * calling thread and up to MAX_HELPERS helper threads, and delivered by the
 * calling thread strictly in order, so the records come out exactly as from
 * a sequential scan. Block j goes to slot j % nslot; a slot is refilled only
 * after its block was delivered, which bounds memory to nslot blocks.
 * on_record runs on the calling thread only. The number of threads is
 * scan_threads(); helpers are started only for segments with >= 4 wanted
 * blocks: a key lookup (who, --ip) reads one to three blocks per segment,
 * and for it a helper's thread start and fresh buffers cost more CPU than
 * they save (bench-store who, measured on the loaded VM: warm 10-20 ms with
 * one thread vs 20-30 ms with two).
 */
#define MAX_HELPERS 3
#define SLOT_EMPTY 0
#define SLOT_BUSY 1
#define SLOT_READY 2

struct par {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct slot *slots;
    size_t nslot;
    const struct slot *want; /* the wanted blocks: off and h */
    const struct needle *nd;
    size_t n, next;          /* next: first block not yet claimed */
    int fd, quit;
    int ident_only;
};

static void par_load(struct par *pp, ZSTD_DCtx *dctx, size_t j)
{
    struct slot *sl = &pp->slots[j % pp->nslot];
    int rc;

    sl->h = pp->want[j].h;
    sl->off = pp->want[j].off;
    sl->have_dir = pp->want[j].have_dir;
    memcpy(sl->idir, pp->want[j].idir, IDENT_DIR_LEN);
    rc = load_block(dctx, pp->nd, sl, pp->fd, pp->ident_only);
    pthread_mutex_lock(&pp->mu);
    sl->rc = rc;
    sl->state = SLOT_READY;
    pthread_cond_broadcast(&pp->cv);
    pthread_mutex_unlock(&pp->mu);
}

static void *par_helper(void *arg)
{
    struct par *pp = arg;
    ZSTD_DCtx *dctx = ZSTD_createDCtx();

    pthread_mutex_lock(&pp->mu);
    while (!pp->quit && pp->next < pp->n) {
        size_t j = pp->next;
        struct slot *sl = &pp->slots[j % pp->nslot];
        if (dctx == NULL) break; /* the calling thread does the work */
        if (sl->state != SLOT_EMPTY) {
            pthread_cond_wait(&pp->cv, &pp->mu);
            continue;
        }
        pp->next++;
        sl->state = SLOT_BUSY;
        pthread_mutex_unlock(&pp->mu);
        par_load(pp, dctx, j);
        pthread_mutex_lock(&pp->mu);
    }
    pthread_mutex_unlock(&pp->mu);
    ZSTD_freeDCtx(dctx);
    return NULL;
}

/*
 * Threads for loading blocks: NW_STORE_SCAN_THREADS=N (1..9; 1 = no
 * helpers) if set, else 2; never more than the online CPUs nor
 * MAX_HELPERS + 1. Two by default because a scan is a short burst that is
 * mostly zstd decompression: a second thread nearly halves a day-wide
 * search on an idle box and costs little CPU on a busy one
 * (docs/query.md); more would take cores from a running capture.
 */
static int scan_threads(void)
{
    const char *e = getenv("NW_STORE_SCAN_THREADS");
    long n = sysconf(_SC_NPROCESSORS_ONLN), want = 2;

    if (e != NULL && *e >= '1' && *e <= '9' && e[1] == '\0') want = *e - '0';
    if (want < n) n = want;
    if (n < 1) n = 1;
    return n > MAX_HELPERS + 1 ? MAX_HELPERS + 1 : (int)n;
}

/* Deliver want[0..n) of the segment open on fd; helpers when it pays. */
static int read_blocks(struct scan *sc, int fd, const struct slot *want, size_t n)
{
    int nthr = n >= 4 ? sc->nthreads : 1, nh = 0, rc = 0; /* key lookups: 1-3 blocks */
    pthread_t th[MAX_HELPERS];
    struct par pp;

    for (size_t j = 0; j < n; j++) { /* start the disk reads of every wanted block (cold cache) */
        const struct blk_hdr *h = &want[j].h;
        uint64_t o = want[j].off, len = BLK_HDR_LEN + (uint64_t)h->filter_len + h->comp_len;
        struct blk_ident d;
        if (sc->ident_only && BLK_ENC_HAS_IDENT(h->enc)) { /* the directory and identity frame */
            o += BLK_HDR_LEN + h->filter_len;
            int known = want[j].have_dir && nw__ident_dir_decode(want[j].idir, h, &d) == 0;
            len = IDENT_DIR_LEN +
                  (known ? d.comp : NW_MIN(h->comp_len - IDENT_DIR_LEN, 256u << 10));
        }
        posix_fadvise(fd, (off_t)o, (off_t)len, POSIX_FADV_WILLNEED);
    }
    if (nthr <= 1) {
        for (size_t j = 0; j < n && !sc->stop && rc == 0; j++)
            rc = read_block(sc, fd, want[j].off, &want[j].h,
                            want[j].have_dir ? want[j].idir : NULL);
        return rc;
    }
    memset(&pp, 0, sizeof pp);
    pp.nslot = (size_t)nthr + 1; /* one being delivered, one per thread loading */
    if (sc->pool == NULL && (sc->pool = nw_calloc(pp.nslot, sizeof *sc->pool)) == NULL)
        return NW_ENOMEM;
    pp.slots = sc->pool; /* kept for the next segment: no fresh pages to fault in */
    sc->npool = pp.nslot;
    for (size_t k = 0; k < pp.nslot; k++) pp.slots[k].state = SLOT_EMPTY;
    pp.want = want;
    pp.nd = &sc->nd;
    pp.ident_only = sc->ident_only;
    pp.n = n;
    pp.fd = fd;
    pthread_mutex_init(&pp.mu, NULL);
    pthread_cond_init(&pp.cv, NULL);
    for (int t = 0; t < nthr - 1; t++)
        if (pthread_create(&th[nh], NULL, par_helper, &pp) == 0) nh++;
    for (size_t c = 0; c < n && !sc->stop && rc == 0; c++) {
        struct slot *sl = &pp.slots[c % pp.nslot];
        pthread_mutex_lock(&pp.mu);
        for (;;) {
            size_t j = pp.next;
            if (sl->state == SLOT_READY) break;
            /* while block c is being loaded elsewhere, load the next free one
             * here rather than wait: this thread is a worker too */
            if (j < pp.n && pp.slots[j % pp.nslot].state == SLOT_EMPTY) {
                pp.next++;
                pp.slots[j % pp.nslot].state = SLOT_BUSY;
                pthread_mutex_unlock(&pp.mu);
                par_load(&pp, sc->dctx, j);
                pthread_mutex_lock(&pp.mu);
                continue;
            }
            pthread_cond_wait(&pp.cv, &pp.mu);
        }
        pthread_mutex_unlock(&pp.mu);
        rc = finish_block(sc, sl->rc, sl);
        pthread_mutex_lock(&pp.mu);
        sl->state = SLOT_EMPTY;
        pthread_cond_broadcast(&pp.cv);
        pthread_mutex_unlock(&pp.mu);
    }
    pthread_mutex_lock(&pp.mu);
    pp.quit = 1;
    pthread_cond_broadcast(&pp.cv);
    pthread_mutex_unlock(&pp.mu);
    for (int t = 0; t < nh; t++) pthread_join(th[t], NULL);
    pthread_mutex_destroy(&pp.mu);
    pthread_cond_destroy(&pp.cv);
    return rc;
}

/*
 * A sealed segment's footer (trailer t, file size): the key directory
 * (t->kdir_len bytes, none before it existed) and then one header per
 * block, checked against the footer hash. 0 with *fb (caller frees), 1 when
 * it is not a sealed footer (walk the segment as active), NW_ENOMEM.
 */
static int read_footer(int fd, const struct trailer *t, uint64_t size, uint8_t **fb,
                       uint64_t *flen)
{
    uint64_t n = size - TRAILER_LEN - t->footer_off;

    *fb = NULL;
    if (n > FOOTER_MAX || n != (uint64_t)t->kdir_len + (uint64_t)t->nblocks * BLK_HDR_LEN)
        return 1;
    if ((*fb = nw_alloc(n ? (size_t)n : 1)) == NULL) return NW_ENOMEM;
    if (pread(fd, *fb, (size_t)n, (off_t)t->footer_off) != (ssize_t)n ||
        !NW_HASH_OK(t->footer_hash, nw__store_hash64(*fb, (size_t)n, 4))) {
        nw_free(*fb);
        *fb = NULL;
        return 1; /* not really sealed (being sealed now?) */
    }
    *flen = n;
    return 0;
}

static int scan_sealed(struct scan *sc, int fd, const struct trailer *t, uint64_t size)
{
    uint64_t flen = 0, off = SEG_HDR_LEN, p;
    uint8_t *fb = NULL, *cand = NULL;
    const uint8_t *footer;
    struct slot *want;
    size_t nwant = 0;
    int rc, kd = 0;

    if ((rc = read_footer(fd, t, size, &fb, &flen)) != 0) return rc;
    footer = fb + t->kdir_len;
    want = nw_calloc(t->nblocks ? t->nblocks : 1, sizeof *want);
    if (want == NULL || (sc->kd_group >= 0 && (cand = nw_alloc(t->nblocks + 1u)) == NULL)) {
        nw_free(fb);
        nw_free(want);
        return NW_ENOMEM;
    }
    sc->st->bytes_read += flen + TRAILER_LEN;
    if (cand) kd = kd_select(sc, fb, t->kdir_len, t->nblocks, cand);
    if (sc->q->ngroups && !kd && !sc->prefetched) { /* cold cache: queue the filter reads */
        uint64_t o = SEG_HDR_LEN;
        for (uint32_t b = 0; b < t->nblocks; b++) {
            struct blk_hdr h;
            if (nw__blk_hdr_decode(footer + (size_t)b * BLK_HDR_LEN, &h) != 0) break;
            if (!(h.max_ts < sc->q->since_us || h.min_ts >= sc->q->until_us))
                posix_fadvise(fd, (off_t)(o + BLK_HDR_LEN), (off_t)dir_len(sc, &h),
                              POSIX_FADV_WILLNEED);
            o += BLK_HDR_LEN + h.filter_len + h.comp_len;
        }
    }
    /* which blocks: by time, then by the key directory or the key filters (small preads) */
    p = 0;
    for (uint32_t b = 0; b < t->nblocks; b++, p += BLK_HDR_LEN) {
        struct blk_hdr h;
        if (nw__blk_hdr_decode(footer + p, &h) != 0) {
            sc->st->damaged++;
            break;
        }
        if (want_time(sc, &h)) {
            int w = 1;
            size_t rl = dir_len(sc, &h);
            want[nwant].have_dir = 0;
            if (kd && !cand[b]) {
                sc->st->blocks_skipped_keys++;
                w = 0;
            } else if (kd) {
                /* the identity directory alone (prefetched), so that read_blocks asks the
                 * disk for exactly the identity frame */
                if (rl > h.filter_len) {
                    if (pread(fd, want[nwant].idir, IDENT_DIR_LEN,
                              (off_t)(off + BLK_HDR_LEN + h.filter_len)) != IDENT_DIR_LEN) {
                        sc->st->damaged++;
                        break;
                    }
                    sc->st->bytes_read += IDENT_DIR_LEN;
                    want[nwant].have_dir = 1;
                }
            } else if (sc->q->ngroups) { /* the filter (and directory) after the block's header */
                if ((rc = grow(&sc->buf, &sc->bufcap, rl)) != 0) break;
                if (pread(fd, sc->buf, rl, (off_t)(off + BLK_HDR_LEN)) != (ssize_t)rl) {
                    sc->st->damaged++;
                    break;
                }
                sc->st->bytes_read += rl;
                w = want_keys(sc, &h, sc->buf) && want_dir(sc, &h, sc->buf, rl, &want[nwant]);
            }
            if (w) {
                want[nwant].h = h;
                want[nwant++].off = off;
            }
        }
        off += BLK_HDR_LEN + h.filter_len + h.comp_len;
    }
    if (rc == 0) rc = read_blocks(sc, fd, want, nwant);
    nw_free(fb);
    nw_free(cand);
    nw_free(want);
    return rc;
}

/* After a block that does not parse at off: where the next valid block
 * starts (damage, counted), or 0 at the tail (being written, or torn). */
#define RESYNC_MAX (256u << 20) /* a segment is 64 MiB unless configured larger */

static uint64_t resync(struct scan *sc, int fd, uint64_t off, uint64_t size)
{
    uint64_t next = 0;
    uint8_t *rest;

    if (size - off > RESYNC_MAX) { /* not read whole: the rest is reported lost */
        sc->st->damaged++;
        return 0;
    }
    rest = nw_alloc((size_t)(size - off));
    if (rest == NULL ||
        pread(fd, rest, (size_t)(size - off), (off_t)off) != (ssize_t)(size - off)) {
        nw_free(rest); /* cannot tell a tail from damage: say the answer may be incomplete */
        sc->st->damaged++;
        return 0;
    }
    next = nw__seg_next_block(rest, 0, (size_t)(size - off));
    sc->st->bytes_read += size - off;
    nw_free(rest);
    if (next) sc->st->damaged++;
    return next ? off + next : 0;
}

static int scan_active(struct scan *sc, int fd, uint64_t size)
{
    uint64_t off = SEG_HDR_LEN;
    int rc = 0;

    while (off + BLK_HDR_LEN <= size && !sc->stop) {
        uint8_t hb[BLK_HDR_LEN];
        struct blk_hdr h;
        uint64_t total;
        if (pread(fd, hb, BLK_HDR_LEN, (off_t)off) != BLK_HDR_LEN ||
            nw__blk_hdr_decode(hb, &h) != 0 ||
            off + (total = BLK_HDR_LEN + (uint64_t)h.filter_len + h.comp_len) > size) {
            /* the tail being written or torn; or damage, with blocks after it */
            if ((off = resync(sc, fd, off, size)) == 0) break;
            continue;
        }
        size_t rl = dir_len(sc, &h);
        if (grow(&sc->buf, &sc->bufcap, rl)) return NW_ENOMEM;
        if (pread(fd, sc->buf, rl, (off_t)(off + BLK_HDR_LEN)) != (ssize_t)rl) break;
        sc->st->bytes_read += BLK_HDR_LEN + rl;
        sc->one.have_dir = 0;
        if (want_time(sc, &h) && want_keys(sc, &h, sc->buf) &&
            want_dir(sc, &h, sc->buf, rl, &sc->one) &&
            (rc = read_block(sc, fd, off, &h,
                             rl > h.filter_len ? sc->buf + h.filter_len : NULL)) != 0)
            break;
        off += total;
    }
    return rc;
}

static int scan_segment(struct scan *sc, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    uint8_t hb[SEG_HDR_LEN], tb[TRAILER_LEN];
    struct seg_hdr h;
    struct trailer t;
    uint64_t size;
    int rc = 0;

    if (fd < 0) return 0; /* deleted by retention meanwhile */
    sc->st->segments++;
    if (fstat(fd, &sb) != 0) goto out;
    size = (uint64_t)sb.st_size;
    if (size < SEG_HDR_LEN || pread(fd, hb, SEG_HDR_LEN, 0) != SEG_HDR_LEN ||
        nw__seg_hdr_decode(hb, &h) != 0) {
        /* just created; or damaged (verify reports it), and its blocks are still read */
        if (size > SEG_HDR_LEN) {
            sc->st->damaged++;
            rc = scan_active(sc, fd, size);
        }
        goto out;
    }
    if (size >= SEG_HDR_LEN + TRAILER_LEN &&
        pread(fd, tb, TRAILER_LEN, (off_t)(size - TRAILER_LEN)) == TRAILER_LEN &&
        nw__trailer_decode(tb, &t) == 0 && t.footer_off >= SEG_HDR_LEN &&
        t.footer_off <= size - TRAILER_LEN) {
        if (t.nrec && (t.max_ts < sc->q->since_us || t.min_ts >= sc->q->until_us)) {
            sc->st->blocks += t.nblocks;
            sc->st->blocks_skipped_time += t.nblocks;
            goto out;
        }
        rc = scan_sealed(sc, fd, &t, size);
        if (rc != 1) goto out;
        rc = 0;
    }
    rc = scan_active(sc, fd, size);
out:
    close(fd);
    return rc;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) nw_free(names[i]);
    nw_free(names);
}

/* The segment file names of one day, in creation order. 0, 1 (no such
 * partition: deleted by retention meanwhile) or NW_ENOMEM. */
static int list_day(const char *dir, uint32_t day, char ***out, size_t *nout)
{
    char path[4200], d[16], **names = NULL;
    size_t n = 0, cap = 0;
    DIR *dd;
    struct dirent *de;
    int rc = 0;

    *out = NULL;
    *nout = 0;
    nw__day_name(day, d);
    snprintf(path, sizeof path, "%s/%s", dir, d);
    dd = opendir(path);
    if (dd == NULL) return 1;
    while ((de = readdir(dd)) != NULL && n < MAX_SEGS) {
        size_t l = strlen(de->d_name);
        if (l != 16 || strcmp(de->d_name + 12, ".nws") != 0) continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nn = nw_realloc(names, nc * sizeof *nn);
            if (nn == NULL) {
                rc = NW_ENOMEM;
                goto out;
            }
            names = nn;
            cap = nc;
        }
        if ((names[n] = nw_strndup(de->d_name, l)) == NULL) {
            rc = NW_ENOMEM;
            goto out;
        }
        n++;
    }
    if (n) qsort(names, n, sizeof *names, cmp_str); /* zero-padded: name order = creation order */
out:
    closedir(dd);
    if (rc != 0) {
        free_names(names, n);
        return rc;
    }
    *out = names;
    *nout = n;
    return 0;
}

static int scan_day(struct scan *sc, const char *dir, uint32_t day, char **names, size_t n)
{
    char path[4200], d[16];
    int rc = 0;

    nw__day_name(day, d);
    sc->st->partitions++;
    for (size_t i = 0; i < n && !sc->stop && rc == 0; i++) {
        snprintf(path, sizeof path, "%s/%s/%s", dir, d, names[i]);
        rc = scan_segment(sc, path);
    }
    return rc;
}

/*
 * Cold-cache help for key lookups (who, --ip over days): a lookup reads a
 * few bytes from every segment of the window (header, trailer, footer, then
 * the filter of every block in the time range, or, where the footer has a
 * key directory that answers the lookup, the few blocks it names) before
 * the few blocks it wants, and read one after the other those small reads
 * cost a disk round trip each. Here every one of them is announced to the
 * kernel first (POSIX_FADV_WILLNEED, asynchronous), in passes: the
 * segments' heads and tails; the footers that the tail guess did not cover
 * (a large key directory); then, footers in hand, the filters or the named
 * blocks' identity directories; then their identity frames, exactly (the
 * bench's frames are 10-70 KB, their blocks ~250 KB: a guess would read
 * either too little or the bulk frame). The scan that follows then mostly
 * finds them in the page cache. Advisory only: any failure just leaves the
 * scan to read on its own.
 */
#define PREFETCH_MAX 1024
#define PREFETCH_TAIL 65536
/* a named block's identity directory, read in the last pass for its frame's exact length */
struct pf_ident {
    int fd;
    uint64_t off;
    struct blk_hdr h;
};
static void prefetch(const struct scan *sc, const char *dir, const uint32_t *days,
                     char ***names, const size_t *cnt, size_t nd)
{
    int *fds = nw_calloc(PREFETCH_MAX, sizeof *fds);
    uint64_t *sizes = nw_calloc(PREFETCH_MAX, sizeof *sizes);
    struct trailer *tr = nw_calloc(PREFETCH_MAX, sizeof *tr);
    uint8_t *ok = nw_calloc(PREFETCH_MAX, 1);
    struct pf_ident *pi = NULL;
    size_t nf = 0, npi = 0, pcap = 0;

    if (fds == NULL || sizes == NULL || tr == NULL || ok == NULL) goto out;
    for (size_t i = 0; i < nd; i++) {
        char path[4200], d[16];
        nw__day_name(days[i], d);
        for (size_t j = 0; j < cnt[i] && nf < PREFETCH_MAX; j++) {
            struct stat sb;
            uint64_t tail;
            int fd;
            snprintf(path, sizeof path, "%s/%s/%s", dir, d, names[i][j]);
            if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) continue;
            if (fstat(fd, &sb) != 0 || (uint64_t)sb.st_size < SEG_HDR_LEN + TRAILER_LEN) {
                close(fd);
                continue;
            }
            tail = (uint64_t)sb.st_size < PREFETCH_TAIL ? (uint64_t)sb.st_size : PREFETCH_TAIL;
            posix_fadvise(fd, 0, SEG_HDR_LEN, POSIX_FADV_WILLNEED);
            posix_fadvise(fd, (off_t)((uint64_t)sb.st_size - tail), (off_t)tail,
                          POSIX_FADV_WILLNEED);
            sizes[nf] = (uint64_t)sb.st_size;
            fds[nf++] = fd;
        }
    }
    for (size_t k = 0; k < nf; k++) { /* the footers longer than the tail guess */
        uint8_t tb[TRAILER_LEN];
        struct trailer *t = &tr[k];
        uint64_t size = sizes[k];
        if (pread(fds[k], tb, TRAILER_LEN, (off_t)(size - TRAILER_LEN)) != TRAILER_LEN ||
            nw__trailer_decode(tb, t) != 0 || t->footer_off < SEG_HDR_LEN ||
            t->footer_off > size - TRAILER_LEN)
            continue; /* active segment: the scan walks it */
        if (t->nrec && (t->max_ts < sc->q->since_us || t->min_ts >= sc->q->until_us)) continue;
        ok[k] = 1;
        if (size - t->footer_off > PREFETCH_TAIL)
            posix_fadvise(fds[k], (off_t)t->footer_off, (off_t)(size - t->footer_off),
                          POSIX_FADV_WILLNEED);
    }
    for (size_t k = 0; k < nf; k++) {
        const struct trailer *t = &tr[k];
        uint8_t *fb = NULL, *cand = NULL;
        uint64_t flen, o = SEG_HDR_LEN;
        int kd = 0;
        if (!ok[k] || t->nblocks == 0 || read_footer(fds[k], t, sizes[k], &fb, &flen) != 0)
            continue;
        if (sc->kd_group >= 0 && (cand = nw_alloc(t->nblocks)) != NULL)
            kd = kd_select(sc, fb, t->kdir_len, t->nblocks, cand);
        for (uint32_t b = 0; b < t->nblocks; b++) {
            struct blk_hdr h;
            uint64_t fo = t->kdir_len + (uint64_t)b * BLK_HDR_LEN;
            if (nw__blk_hdr_decode(fb + fo, &h) != 0) break;
            if (!(h.max_ts < sc->q->since_us || h.min_ts >= sc->q->until_us)) {
                if (!kd) {
                    posix_fadvise(fds[k], (off_t)(o + BLK_HDR_LEN), (off_t)dir_len(sc, &h),
                                  POSIX_FADV_WILLNEED);
                } else if (cand[b] && sc->ident_only && BLK_ENC_HAS_IDENT(h.enc)) {
                    posix_fadvise(fds[k], (off_t)(o + BLK_HDR_LEN + h.filter_len),
                                  IDENT_DIR_LEN, POSIX_FADV_WILLNEED);
                    if (npi == pcap) {
                        size_t nc = pcap ? pcap * 2 : 64;
                        struct pf_ident *np = nw_realloc(pi, nc * sizeof *np);
                        if (np != NULL) pi = np, pcap = nc;
                    }
                    if (npi < pcap) {
                        pi[npi].fd = fds[k];
                        pi[npi].off = o + BLK_HDR_LEN + h.filter_len;
                        pi[npi++].h = h;
                    }
                } else if (cand[b]) {
                    posix_fadvise(fds[k], (off_t)o,
                                  (off_t)(BLK_HDR_LEN + (uint64_t)h.filter_len + h.comp_len),
                                  POSIX_FADV_WILLNEED);
                }
            }
            o += BLK_HDR_LEN + h.filter_len + h.comp_len;
        }
        nw_free(cand);
        nw_free(fb);
    }
    for (size_t k = 0; k < npi; k++) {
        uint8_t idir[IDENT_DIR_LEN];
        struct blk_ident d;
        if (pread(pi[k].fd, idir, IDENT_DIR_LEN, (off_t)pi[k].off) == IDENT_DIR_LEN &&
            nw__ident_dir_decode(idir, &pi[k].h, &d) == 0 && d.comp)
            posix_fadvise(pi[k].fd, (off_t)(pi[k].off + IDENT_DIR_LEN), (off_t)d.comp,
                          POSIX_FADV_WILLNEED);
    }
out:
    for (size_t k = 0; k < nf; k++) close(fds[k]);
    nw_free(fds);
    nw_free(sizes);
    nw_free(tr);
    nw_free(ok);
    nw_free(pi);
}

int nw_store_scan(const char *dir, const struct nw_store_scan *q, struct nw_store_scan_stats *st,
                  struct nw_err *err)
{
    struct nw_store_scan_stats local;
    struct scan sc;
    char path[4200];
    uint32_t *days = NULL;
    char ***dnames = NULL;
    size_t *dcnt = NULL;
    int *dok = NULL;
    size_t nd = 0, cap = 0, nkeys = 0;
    DIR *dd = NULL;
    struct dirent *de;
    int rc = 0;

    if (st == NULL) st = &local;
    memset(st, 0, sizeof *st);
    memset(&sc, 0, sizeof sc);
    sc.q = q;
    sc.st = st;
    if (q == NULL || q->on_record == NULL)
        return nw_err_set(err, NW_EINVAL, "scan: no record callback");
    if (q->must_contain && q->must_contain[0]) {
        if (strchr(q->must_contain, '\n') != NULL)
            return nw_err_set(err, NW_EINVAL, "scan: must_contain holds a newline");
        sc.nd.p = (const uint8_t *)q->must_contain;
        sc.nd.len = strlen(q->must_contain);
        /* blocks a key of the needle's own text picked (ip:X for the needle X) nearly
         * all hold it: searching their frames first would be work for nothing */
        sc.nd.blockwise = needle_blockwise(sc.nd.p, sc.nd.len);
        for (size_t g = 0; g < q->ngroups && sc.nd.blockwise; g++)
            for (size_t k = 0; q->groups[g][k]; k++)
                if (strstr(q->groups[g][k], q->must_contain) != NULL) sc.nd.blockwise = 0;
    }
    if (q->only_types && q->only_types[0]) {
        /* read identity frames alone only when every wanted type lives there */
        size_t k;
        sc.ident_only = 1;
        sc.want_cls[IDENT_CLASS_ANY] = 1;
        for (k = 0; k < 64 && q->only_types[k]; k++) {
            int c = nw__ident_class(q->only_types[k], strlen(q->only_types[k]));
            if (c <= 0) sc.ident_only = 0;
            else sc.want_cls[c] = 1;
        }
        if (k == 64) sc.ident_only = 0;
    }
    snprintf(path, sizeof path, "%s/STORE", dir);
    if (access(path, F_OK) != 0)
        return nw_err_set(err, NW_ENOENT, "%s is not a netwarden store (no STORE file): %s; "
                          "create one with 'netwarden audit --store %s' or 'netwarden import "
                          "--store %s FILE'", dir, strerror(errno), dir, dir);
    /* hash the keys once */
    for (size_t g = 0; g < q->ngroups; g++)
        for (size_t k = 0; q->groups[g][k]; k++) nkeys++;
    sc.hashes = nw_calloc(nkeys + 1, sizeof *sc.hashes);
    sc.gstart = nw_calloc(q->ngroups + 1, sizeof *sc.gstart);
    sc.dctx = ZSTD_createDCtx();
    if (sc.hashes == NULL || sc.gstart == NULL || sc.dctx == NULL) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory starting a scan");
        goto out;
    }
    nkeys = 0;
    for (size_t g = 0; g < q->ngroups; g++) {
        sc.gstart[g] = nkeys;
        for (size_t k = 0; q->groups[g][k]; k++)
            sc.hashes[nkeys++] = nw__key_hash(q->groups[g][k], strlen(q->groups[g][k]));
    }
    sc.gstart[q->ngroups] = nkeys;
    /* a group of session.ip keys alone (who's session pass) is answered by the key
     * directories of sealed segments that have one */
    sc.kd_group = -1;
    for (size_t g = 0; g < q->ngroups && sc.kd_group < 0; g++) {
        size_t k = 0;
        const size_t pl = sizeof KDIR_SESSION_PREFIX - 1;
        while (q->groups[g][k] && strncmp(q->groups[g][k], KDIR_SESSION_PREFIX, pl) == 0) k++;
        if (k > 0 && q->groups[g][k] == NULL) sc.kd_group = (int)g;
    }
    sc.nthreads = scan_threads();
    dd = opendir(dir);
    if (dd == NULL) {
        rc = nw_err_set(err, NW_EIO, "cannot list %s: %s", dir, strerror(errno));
        goto out;
    }
    while ((de = readdir(dd)) != NULL && nd < MAX_DAYS) {
        uint32_t day;
        if (nw__day_parse(de->d_name, &day) != 0) continue;
        if ((uint64_t)(day + 1ull) * DAY_US <= q->since_us || (uint64_t)day * DAY_US >= q->until_us)
            continue;
        if (nd == cap) {
            size_t nc = cap ? cap * 2 : 64;
            uint32_t *n2 = nw_realloc(days, nc * sizeof *n2);
            if (n2 == NULL) {
                rc = nw_err_set(err, NW_ENOMEM, "out of memory listing %s", dir);
                goto out;
            }
            days = n2;
            cap = nc;
        }
        days[nd++] = day;
    }
    if (nd) qsort(days, nd, sizeof *days, cmp_u32);
    dnames = nw_calloc(nd ? nd : 1, sizeof *dnames);
    dcnt = nw_calloc(nd ? nd : 1, sizeof *dcnt);
    dok = nw_calloc(nd ? nd : 1, sizeof *dok);
    if (dnames == NULL || dcnt == NULL || dok == NULL) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory listing %s", dir);
        goto out;
    }
    for (size_t i = 0; i < nd; i++) {
        int lr = list_day(dir, days[i], &dnames[i], &dcnt[i]);
        if (lr < 0) {
            rc = nw_err_set(err, lr, "out of memory listing %s", dir);
            goto out;
        }
        dok[i] = lr == 0;
    }
    if (q->ngroups) {
        prefetch(&sc, dir, days, dnames, dcnt, nd);
        sc.prefetched = 1;
    }
    for (size_t i = 0; i < nd && !sc.stop; i++) {
        if (!dok[i]) continue; /* deleted by retention meanwhile */
        rc = scan_day(&sc, dir, days[i], dnames[i], dcnt[i]);
        if (rc != 0) {
            nw_err_set(err, rc, "out of memory scanning %s", dir);
            break;
        }
    }
out:
    for (size_t i = 0; dnames && dcnt && i < nd; i++) free_names(dnames[i], dcnt[i]);
    nw_free(dnames);
    nw_free(dcnt);
    nw_free(dok);
    if (dd) closedir(dd);
    nw_free(days);
    nw_free(sc.hashes);
    nw_free(sc.gstart);
    nw_free(sc.buf);
    nw_free(sc.one.bufbase);
    nw_free(sc.one.rawbase);
    nw_free(sc.one.ts);
    nw_free(sc.one.cls);
    nw_free(sc.one.xb);
    for (size_t k = 0; k < sc.npool; k++) {
        nw_free(sc.pool[k].bufbase);
        nw_free(sc.pool[k].rawbase);
        nw_free(sc.pool[k].ts);
        nw_free(sc.pool[k].cls);
        nw_free(sc.pool[k].xb);
    }
    nw_free(sc.pool);
    ZSTD_freeDCtx(sc.dctx);
    return rc;
}
