/*
 * store_format.c - encode/decode of the on-disk structures of a segment
 * (header, block header, trailer), the block bloom filter, block
 * decompression and an in-memory segment walker shared by recovery, verify,
 * scan and the fuzz harness (fuzz/fuzz_segment.c).
 *
 * Invariant: nothing read from disk is trusted before its hash is checked
 * and its lengths are bounded (BLOCK_MAX_*, FOOTER_MAX); a bad structure is
 * NW_EFORMAT, never an assert.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "store_int.h"

#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "nw/jsonscan.h"

/* ------------------------------------------------------------- hashing -- */

static inline uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8); /* little-endian hosts only (x86-64, aarch64); see store.md */
    return v;
}

static inline uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return k;
}

/* Hash of a run's bytes for the run table: the first and last 16 bytes and the
 * length tell users apart (their address comes first); memcmp decides. */
static inline uint64_t run_hash(const uint8_t *p, size_t n)
{
    uint64_t a = 0, b = 0, c = 0, d = 0;

    if (n < 16) return nw__store_hash64(p, n, 7);
    memcpy(&a, p, 8);
    memcpy(&b, p + 8, 8);
    memcpy(&c, p + n - 16, 8);
    memcpy(&d, p + n - 8, 8);
    return fmix64((a * 0x9e3779b97f4a7c15ull + b) * 0xc2b2ae3d27d4eb4full ^
                  (c * 0x165667b19e3779f9ull + d + n) * 0x27d4eb2f165667c5ull);
}

static inline int eq6(const uint8_t *a, const uint8_t *b) /* no call, unlike memcmp(, , 6) */
{
    uint32_t a0, b0;
    uint16_t a1, b1;
    memcpy(&a0, a, 4), memcpy(&a1, a + 4, 2), memcpy(&b0, b, 4), memcpy(&b1, b + 4, 2);
    return a0 == b0 && a1 == b1;
}

static inline int dig2(const uint8_t *v)
{
    return (unsigned)(v[0] - '0') < 10 && (unsigned)(v[1] - '0') < 10;
}

/* A fast 64-bit non-cryptographic hash (4 lanes, murmur3 finalizer). Used
 * for bloom keys and torn-write detection; SHA-256 is the tamper check. */
uint64_t nw__store_hash64(const void *vp, size_t len, uint64_t seed)
{
    const uint8_t *p = vp;
    const uint64_t K = 0x9e3779b97f4a7c15ull;
    uint64_t a = seed ^ K, b = seed + len, c = ~seed, d = seed * K + 1;
    size_t i = 0;

    for (; i + 32 <= len; i += 32) {
        a = (a ^ rd64(p + i)) * K;
        b = (b ^ rd64(p + i + 8)) * K;
        c = (c ^ rd64(p + i + 16)) * K;
        d = (d ^ rd64(p + i + 24)) * K;
        a = (a << 31) | (a >> 33);
        b = (b << 29) | (b >> 35);
        c = (c << 27) | (c >> 37);
        d = (d << 25) | (d >> 39);
    }
    for (; i + 8 <= len; i += 8) a = fmix64(a ^ rd64(p + i)) + b;
    if (i < len) {
        uint8_t t[8] = {0};
        memcpy(t, p + i, len - i);
        b = fmix64(b ^ rd64(t) ^ ((uint64_t)(len - i) << 56));
    }
    return fmix64(a ^ fmix64(b) ^ (c * 3) ^ (d * 5) ^ len);
}

uint64_t nw__key_hash(const char *key, size_t len)
{
    /* keys are short ("ip:10.1.2.3"): one multiply-mix over two words */
    if (len <= 16) {
        uint64_t a = 0, b = 0;
        if (len >= 8) {
            memcpy(&a, key, 8);
            memcpy(&b, key + len - 8, 8);
        } else if (len > 0) {
            memcpy(&a, key, len);
        }
        return fmix64(a * 0x9e3779b97f4a7c15ull ^ (b + len) * 0xc2b2ae3d27d4eb4full ^ 0x6e776b6579ull);
    }
    if (len <= 32) {
        uint64_t a, b, c, d;
        memcpy(&a, key, 8);
        memcpy(&b, key + 8, 8);
        memcpy(&c, key + len - 16, 8);
        memcpy(&d, key + len - 8, 8);
        return fmix64((a * 0x9e3779b97f4a7c15ull + b) * 0xc2b2ae3d27d4eb4full ^
                      (c * 0x165667b19e3779f9ull + d + len) * 0x27d4eb2f165667c5ull);
    }
    return nw__store_hash64(key, len, 0x6e776b6579ull);
}

/* -------------------------------------------------------------- bloom -- */

/*
 * Blocked by nothing fancy: m bits (a multiple of 64, any size), k = 5
 * probes by double hashing, each reduced to [0, m) by a multiply-shift.
 * At BLOOM_BITS_PER_KEY = 7 the false-positive rate is about 3.5 %.
 * Key hashes are salted per block (nw__bloom_salt with the block's min_ts):
 * blocks hold many of the same keys, and without a salt an absent key would
 * hit the same set bits in every block (correlated false positives).
 */
uint32_t nw__bloom_bits_for(size_t nkeys)
{
    uint64_t bits = (uint64_t)nkeys * BLOOM_BITS_PER_KEY;

    bits = (bits + 63) & ~63ull;
    if (bits < BLOOM_MIN_BITS) bits = BLOOM_MIN_BITS;
    if (bits > BLOOM_MAX_BITS) bits = BLOOM_MAX_BITS;
    return (uint32_t)bits;
}

static inline uint32_t reduce(uint32_t x, uint32_t m) { return (uint32_t)(((uint64_t)x * m) >> 32); }

uint64_t nw__bloom_salt(uint64_t h, uint64_t salt)
{
    return fmix64(h ^ (salt * 0x9e3779b97f4a7c15ull));
}

void nw__bloom_add(uint8_t *f, uint32_t bits, uint64_t h)
{
    uint32_t h1 = (uint32_t)h, h2 = (uint32_t)(h >> 32) | 1;

    for (uint32_t i = 0; i < BLOOM_K; i++) {
        uint32_t b = reduce(h1 + i * h2, bits);
        f[b >> 3] |= (uint8_t)(1u << (b & 7));
    }
}

int nw__bloom_may(const uint8_t *f, uint32_t bits, uint64_t h)
{
    uint32_t h1 = (uint32_t)h, h2 = (uint32_t)(h >> 32) | 1;

    for (uint32_t i = 0; i < BLOOM_K; i++) {
        uint32_t b = reduce(h1 + i * h2, bits);
        if (!(f[b >> 3] & (1u << (b & 7)))) return 0;
    }
    return 1;
}

/* ---------------------------------------------------------- structures -- */

void nw__seg_hdr_encode(uint8_t o[SEG_HDR_LEN], const struct seg_hdr *h)
{
    memset(o, 0, SEG_HDR_LEN);
    memcpy(o, SEG_MAGIC, 8);
    le64_put(o + 8, h->seq);
    le32_put(o + 16, h->day);
    le32_put(o + 20, h->version);
    le64_put(o + 24, h->created_us);
    memcpy(o + 32, h->store_id, STORE_ID_LEN);
    le64_put(o + 56, nw__store_hash64(o, 56, 1));
}

int nw__seg_hdr_decode(const uint8_t in[SEG_HDR_LEN], struct seg_hdr *h)
{
    if (memcmp(in, SEG_MAGIC, 8) != 0 || !NW_HASH_OK(le64_get(in + 56), nw__store_hash64(in, 56, 1)))
        return NW_EFORMAT;
    h->seq = le64_get(in + 8);
    h->day = le32_get(in + 16);
    h->version = le32_get(in + 20);
    h->created_us = le64_get(in + 24);
    memcpy(h->store_id, in + 32, STORE_ID_LEN);
    return h->version == SEG_VERSION ? 0 : NW_EFORMAT;
}

void nw__blk_hdr_encode(uint8_t o[BLK_HDR_LEN], const struct blk_hdr *h)
{
    memset(o, 0, BLK_HDR_LEN);
    le32_put(o, BLK_MAGIC);
    le32_put(o + 4, h->comp_len);
    le32_put(o + 8, h->raw_len);
    le32_put(o + 12, h->nrec);
    le32_put(o + 16, h->filter_len);
    le32_put(o + 20, h->recs_len);
    le64_put(o + 24, h->min_ts);
    le64_put(o + 32, h->max_ts);
    le64_put(o + 40, h->first_rec);
    le32_put(o + 48, h->xlen);
    le32_put(o + 52, h->enc);
    le64_put(o + 56, h->hash);
}

int nw__blk_hdr_decode(const uint8_t in[BLK_HDR_LEN], struct blk_hdr *h)
{
    if (le32_get(in) != BLK_MAGIC) return NW_EFORMAT;
    h->comp_len = le32_get(in + 4);
    h->raw_len = le32_get(in + 8);
    h->nrec = le32_get(in + 12);
    h->filter_len = le32_get(in + 16);
    h->recs_len = le32_get(in + 20);
    h->min_ts = le64_get(in + 24);
    h->max_ts = le64_get(in + 32);
    h->first_rec = le64_get(in + 40);
    h->xlen = le32_get(in + 48);
    h->enc = le32_get(in + 52);
    h->hash = le64_get(in + 56);
    if (h->enc == BLK_ENC_PLAIN ? h->xlen != 0
        : (h->enc != BLK_ENC_TMPL && !BLK_ENC_HAS_IDENT(h->enc)) || h->xlen == 0 ||
              h->xlen > BLOCK_MAX_RAW)
        return NW_EFORMAT;
    if (BLK_ENC_HAS_IDENT(h->enc) && h->comp_len <= IDENT_DIR_LEN) return NW_EFORMAT;
    if (h->nrec == 0 || h->nrec > BLOCK_MAX_RECS || h->raw_len > BLOCK_MAX_RAW ||
        h->comp_len == 0 || h->comp_len > BLOCK_MAX_COMP ||
        h->min_ts > h->max_ts)
        return NW_EFORMAT;
    if (h->filter_len < BLOOM_MIN_BITS / 8 || h->filter_len > BLOOM_MAX_BITS / 8 ||
        h->filter_len % 8 != 0 || h->recs_len > h->raw_len || h->recs_len < h->nrec ||
        h->raw_len - h->recs_len < h->nrec)
        return NW_EFORMAT;
    return 0;
}

uint64_t nw__blk_hash(const uint8_t hdr[BLK_HDR_LEN], const uint8_t *filter, size_t flen,
                      const uint8_t *comp, size_t clen)
{
    uint64_t h = nw__store_hash64(hdr, 56, 2);

    h = nw__store_hash64(filter, flen, h);
    return nw__store_hash64(comp, clen, h);
}

void nw__trailer_encode(uint8_t o[TRAILER_LEN], const struct trailer *t)
{
    memset(o, 0, TRAILER_LEN);
    memcpy(o, SEAL_MAGIC, 8);
    le64_put(o + 8, t->footer_off);
    le32_put(o + 16, t->nblocks);
    le32_put(o + 20, t->kdir_len); /* zero before the key directory: readers then ignore it */
    le64_put(o + 24, t->footer_hash);
    le64_put(o + 32, t->nrec);
    le64_put(o + 40, t->min_ts);
    le64_put(o + 48, t->max_ts);
    le64_put(o + 56, nw__store_hash64(o, 56, 3));
}

int nw__trailer_decode(const uint8_t in[TRAILER_LEN], struct trailer *t)
{
    if (memcmp(in, SEAL_MAGIC, 8) != 0 || !NW_HASH_OK(le64_get(in + 56), nw__store_hash64(in, 56, 3)))
        return NW_EFORMAT;
    t->footer_off = le64_get(in + 8);
    t->nblocks = le32_get(in + 16);
    t->kdir_len = le32_get(in + 20);
    t->footer_hash = le64_get(in + 24);
    t->nrec = le64_get(in + 32);
    t->min_ts = le64_get(in + 40);
    t->max_ts = le64_get(in + 48);
    return 0;
}

int nw__kdir_decode(const uint8_t *p, size_t len, uint32_t nblocks, struct kdir *kd,
                    const char **why)
{
    const char *w = NULL;
    uint32_t n;

    if (len < KDIR_HDR_LEN || memcmp(p, KDIR_MAGIC, 4) != 0) {
        w = "no key directory header";
        goto bad;
    }
    n = le32_get(p + 8);
    if (n > KDIR_MAX_ENTS || len != KDIR_HDR_LEN + (size_t)n * KDIR_ENT_LEN) {
        w = "its length does not match its entry count";
        goto bad;
    }
    kd->ent = p + KDIR_HDR_LEN;
    kd->n = n;
    kd->classes = le32_get(p + 4);
    /* a lookup binary-searches it: strictly increasing (hash, block), or it is not used */
    for (uint32_t i = 0; i < n; i++) {
        uint64_t h = nw__kdir_hash(kd, i);
        uint32_t b = nw__kdir_block(kd, i);
        if (b >= nblocks) {
            w = "an entry names a block past the segment's last";
            goto bad;
        }
        if (i && (h < nw__kdir_hash(kd, i - 1) ||
                  (h == nw__kdir_hash(kd, i - 1) && b <= nw__kdir_block(kd, i - 1)))) {
            w = "its entries are not in order";
            goto bad;
        }
    }
    return 0;
bad:
    if (why) *why = w;
    return NW_EFORMAT;
}

uint32_t nw__kdir_find(const struct kdir *kd, uint64_t h)
{
    uint32_t lo = 0, hi = kd->n;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (nw__kdir_hash(kd, mid) < h) lo = mid + 1;
        else hi = mid;
    }
    return lo < kd->n && nw__kdir_hash(kd, lo) == h ? lo : kd->n;
}

/* The identity records being put back into the bulk stream (ident_block). */
struct merge {
    const uint32_t *pos; /* their ordinals in the block, increasing */
    size_t k, n;         /* next one, how many */
    const uint8_t *ip, *ie; /* their records, '\n'-terminated, in order */
};

static int tmpl_decode(const uint8_t *x, size_t xlen, uint8_t *out, size_t recs_len,
                       size_t raw_len, size_t nrec, struct merge *m);
static int tmpl3_decode(const uint8_t *x, size_t xlen, uint8_t *out, size_t recs_len,
                        size_t raw_len, size_t nrec, struct merge *m, uint64_t base);
static int tmpl4_decode(const uint8_t *x, size_t xlen, uint8_t *out, size_t recs_len,
                        size_t raw_len, size_t nrec, struct merge *m, uint64_t base);
static int ident_decompress(ZSTD_DCtx *dctx, const struct blk_hdr *h, const uint8_t *area,
                            const struct blk_ident *d, uint8_t *out, uint8_t *cls, uint32_t *pos);

/*
 * An IDENT block whole: the identity frame first (its records, their
 * ordinals), then the bulk stream, into which the identity records are put
 * back at their ordinals while it is expanded. The identity frame's own
 * timestamps must agree with the block's, so that a scan reading only that
 * frame sees what a full scan sees (verify and recovery come through here).
 * xpre: the bulk frame already decompressed (h->xlen bytes), or NULL.
 */
static int ident_block(ZSTD_DCtx *dctx, const struct blk_hdr *h, const uint8_t *comp,
                       const uint8_t *xpre, uint8_t *out)
{
    struct blk_ident d;
    struct merge m;
    uint8_t *ir = NULL, *cls = NULL, *xa = NULL;
    const uint8_t *x = xpre;
    uint32_t *pos = NULL;
    uint64_t *ts = NULL, *its = NULL;
    size_t n;
    int rc = NW_ENOMEM;

    if (nw__ident_dir_decode(comp, h, &d) != 0) return NW_EFORMAT;
    ir = nw_alloc((size_t)d.recs + d.tslen + 1);
    cls = nw_alloc((size_t)d.nrec + 1);
    pos = nw_alloc(((size_t)d.nrec + 1) * sizeof *pos);
    its = nw_alloc(((size_t)d.nrec + 1) * sizeof *its);
    ts = d.nrec ? nw_alloc((size_t)h->nrec * sizeof *ts) : NULL;
    if (x == NULL) x = xa = nw_alloc(h->xlen);
    if (ir == NULL || cls == NULL || pos == NULL || its == NULL || (d.nrec && ts == NULL) ||
        x == NULL)
        goto out;
    if ((rc = ident_decompress(dctx, h, comp, &d, ir, cls, pos)) != 0) goto out;
    rc = NW_EFORMAT;
    if (xa != NULL) {
        n = ZSTD_decompressDCtx(dctx, xa, h->xlen, comp + IDENT_DIR_LEN + d.comp,
                                h->comp_len - IDENT_DIR_LEN - d.comp);
        if (ZSTD_isError(n) || n != h->xlen) goto out;
    }
    m.pos = pos;
    m.n = d.nrec;
    m.k = 0;
    m.ip = ir;
    m.ie = ir + d.recs;
    rc = h->enc == BLK_ENC_IDENT4
             ? tmpl4_decode(x, h->xlen, out, h->recs_len, h->raw_len, h->nrec, &m, h->min_ts)
         : h->enc == BLK_ENC_IDENT3
             ? tmpl3_decode(x, h->xlen, out, h->recs_len, h->raw_len, h->nrec, &m, h->min_ts)
             : tmpl_decode(x, h->xlen, out, h->recs_len, h->raw_len, h->nrec, &m);
    if (rc != 0) goto out;
    rc = NW_EFORMAT;
    if (d.nrec && /* most blocks hold no identity record: nothing to compare */
        (nw__ts_decode(out + h->recs_len, h->raw_len - h->recs_len, ts, h->nrec, h->min_ts) != 0 ||
         nw__ts_decode(ir + d.recs, d.tslen, its, d.nrec, h->min_ts) != 0))
        goto out;
    for (size_t k = 0; k < d.nrec; k++)
        if (its[k] != ts[pos[k]]) goto out;
    rc = 0;
out:
    nw_free(ir);
    nw_free(cls);
    nw_free(pos);
    nw_free(its);
    nw_free(ts);
    nw_free(xa);
    return rc;
}

int nw__blk_decompress(ZSTD_DCtx *dctx, const struct blk_hdr *h, const uint8_t *comp,
                       uint8_t *out)
{
    return nw__blk_decompress_x(dctx, h, comp, NULL, out);
}

int nw__blk_decompress_x(ZSTD_DCtx *dctx, const struct blk_hdr *h, const uint8_t *comp,
                         const uint8_t *xpre, uint8_t *out)
{
    size_t n;

    if (BLK_ENC_HAS_IDENT(h->enc)) {
        int rc = ident_block(dctx, h, comp, xpre, out);
        if (rc != 0) return rc;
        n = h->raw_len;
    } else if (h->enc == BLK_ENC_TMPL) {
        /* malloc, not a cache: glibc keeps a freed block of this size in the
         * heap after the first (dynamic mmap threshold), so this stays cheap */
        uint8_t *x = nw_alloc(h->xlen);
        int rc;
        if (x == NULL) return NW_ENOMEM;
        n = ZSTD_decompressDCtx(dctx, x, h->xlen, comp, h->comp_len);
        rc = ZSTD_isError(n) || n != h->xlen
                 ? NW_EFORMAT
                 : nw__tmpl_decode(x, h->xlen, out, h->recs_len, h->raw_len, h->nrec);
        nw_free(x);
        if (rc != 0) return rc;
        n = h->raw_len;
    } else {
        n = ZSTD_decompressDCtx(dctx, out, h->raw_len, comp, h->comp_len);
    }
    if (ZSTD_isError(n) || n != h->raw_len) return NW_EFORMAT;
    /* records ('\n'-terminated), then the timestamps (nw__ts_decode) */
    if (out[h->recs_len - 1] != '\n') return NW_EFORMAT;
    return 0;
}

/* ------------------------------------------------------- identity frame -- */

/*
 * The rare event types whose records go to the identity frame, so that
 * `who` and `query --type session` decompress only those: `session` (who
 * held an address) and the store's own `alarm` and `maintenance` records
 * (a handful a day). Not radius, dhcp, pppoe: all users log in within the
 * same hour, so in the bench they fill whole blocks and made `who`
 * decompress 2.5-3.3x more (docs/internals/store.md); not `login`
 * (~1 % of the traffic). Order = class number; never reorder (on disk).
 */
static const char *const ident_types[IDENT_CLASS_MAX] = {
    "session", "alarm", "maintenance",
};

int nw__ident_class(const char *type, size_t n)
{
    if (memchr(type, '\\', n) != NULL) return IDENT_CLASS_ANY; /* escaped: may be any name */
    for (int c = 0; c < IDENT_CLASS_MAX; c++)
        if (strlen(ident_types[c]) == n && memcmp(ident_types[c], type, n) == 0) return c + 1;
    return -1;
}

void nw__ident_dir_encode(uint8_t o[IDENT_DIR_LEN], const struct blk_ident *d)
{
    le32_put(o, d->comp);
    le32_put(o + 4, d->xlen);
    le32_put(o + 8, d->nrec);
    le32_put(o + 12, d->recs);
    le32_put(o + 16, d->tslen);
    le32_put(o + 20, d->poslen);
    le64_put(o + 24, d->hash);
}

int nw__ident_dir_decode(const uint8_t in[IDENT_DIR_LEN], const struct blk_hdr *h,
                         struct blk_ident *d)
{
    uint64_t n;

    d->comp = le32_get(in);
    d->xlen = le32_get(in + 4);
    d->nrec = le32_get(in + 8);
    d->recs = le32_get(in + 12);
    d->tslen = le32_get(in + 16);
    d->poslen = le32_get(in + 20);
    d->hash = le64_get(in + 24);
    n = d->nrec;
    /* the bulk frame follows and is not empty; bulk records need a byte each */
    if (h->comp_len <= IDENT_DIR_LEN || d->comp >= h->comp_len - IDENT_DIR_LEN ||
        n > h->nrec || d->recs > h->recs_len || d->recs < n ||
        h->recs_len - d->recs < h->nrec - n)
        return NW_EFORMAT;
    if (n == 0)
        return d->comp || d->xlen || d->recs || d->tslen || d->poslen ? NW_EFORMAT : 0;
    if (d->comp == 0 || d->xlen > BLOCK_MAX_RAW || d->tslen < n || d->tslen > 10 * n ||
        d->poslen < n || d->poslen > 5 * n ||
        (uint64_t)d->xlen < 2 * n + (uint64_t)d->tslen + d->poslen)
        return NW_EFORMAT; /* each record: an id byte and its class byte at least */
    return 0;
}

uint64_t nw__ident_hash(const struct blk_hdr *h, const uint8_t dir[IDENT_DIR_LEN],
                        const uint8_t *frame, size_t n)
{
    uint8_t hb[BLK_HDR_LEN];

    nw__blk_hdr_encode(hb, h);
    return nw__store_hash64(frame, n, nw__store_hash64(dir, 24, nw__store_hash64(hb, 56, 6)));
}

static int ident_decompress(ZSTD_DCtx *dctx, const struct blk_hdr *h, const uint8_t *area,
                            const struct blk_ident *d, uint8_t *out, uint8_t *cls, uint32_t *pos)
{
    const uint8_t *p, *pe;
    uint8_t *x;
    uint64_t prev = 0;
    size_t n, sl;
    int rc = NW_EFORMAT;

    if (!NW_HASH_OK(d->hash, nw__ident_hash(h, area, area + IDENT_DIR_LEN, d->comp)))
        return NW_EFORMAT;
    if (d->nrec == 0) return 0;
    if ((x = nw_alloc(d->xlen)) == NULL) return NW_ENOMEM;
    n = ZSTD_decompressDCtx(dctx, x, d->xlen, area + IDENT_DIR_LEN, d->comp);
    if (ZSTD_isError(n) || n != d->xlen) goto out;
    sl = (size_t)d->xlen - d->tslen - d->poslen - d->nrec; /* dir_decode: no underflow */
    memcpy(cls, x + d->xlen - d->nrec, d->nrec);
    for (size_t k = 0; k < d->nrec; k++)
        if (cls[k] > IDENT_CLASS_MAX) goto out;
    /* ordinals: strictly increasing, inside the block, exactly poslen bytes */
    p = x + sl + d->tslen;
    pe = p + d->poslen;
    for (size_t k = 0; k < d->nrec; k++) {
        uint64_t g = 0;
        for (int shift = 0;; shift += 7) {
            if (p >= pe || shift > 28) goto out;
            g |= (uint64_t)(*p & 0x7f) << shift;
            if (!(*p++ & 0x80)) break;
        }
        g += k ? prev + 1 : 0;
        if (g >= h->nrec) goto out;
        prev = g;
        if (pos) pos[k] = (uint32_t)g;
    }
    if (p != pe) goto out;
    rc = BLK_ENC_CODED(h->enc) ? tmpl3_decode(x, sl + d->tslen, out, d->recs,
                                                  (size_t)d->recs + d->tslen, d->nrec, NULL,
                                                  h->min_ts)
                                    : tmpl_decode(x, sl + d->tslen, out, d->recs,
                                                  (size_t)d->recs + d->tslen, d->nrec, NULL);
out:
    nw_free(x);
    return rc;
}

int nw__blk_ident_decompress(ZSTD_DCtx *dctx, const struct blk_hdr *h, const uint8_t *area,
                             const struct blk_ident *d, uint8_t *out, uint8_t *cls)
{
    return ident_decompress(dctx, h, area, d, out, cls, NULL);
}

/* ------------------------------------------------------ timestamp text -- */

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d);

static inline void put2(uint8_t *o, unsigned v)
{
    o[0] = (uint8_t)('0' + v / 10), o[1] = (uint8_t)('0' + v % 10);
}

int nw__ts_fmt(uint64_t ts, const uint8_t *suf, size_t sn, uint8_t out[26])
{
    int64_t off, local, day;
    uint64_t r;
    unsigned hh, mm, mo, dd, f;
    int y;

    if (sn == 1 && suf[0] == 'Z') {
        off = 0;
    } else if (sn == 6 && (suf[0] == '+' || suf[0] == '-') && dig2(suf + 1) && suf[3] == ':' &&
               dig2(suf + 4)) {
        hh = (unsigned)(suf[1] - '0') * 10 + (unsigned)(suf[2] - '0');
        mm = (unsigned)(suf[4] - '0') * 10 + (unsigned)(suf[5] - '0');
        if (hh > 23 || mm > 59) return -1;
        off = (int64_t)(hh * 60 + mm) * 60000000;
        if (suf[0] == '-') off = -off;
    } else {
        return -1;
    }
    if (ts > (uint64_t)INT64_MAX / 2) return -1;
    local = (int64_t)ts + off;
    if (local < 0) return -1;
    day = local / 86400000000ll;
    r = (uint64_t)(local % 86400000000ll);
    civil_from_days(day, &y, &mo, &dd);
    if (y > 9999) return -1;
    put2(out, (unsigned)y / 100);
    put2(out + 2, (unsigned)y % 100);
    out[4] = '-';
    put2(out + 5, mo);
    out[7] = '-';
    put2(out + 8, dd);
    out[10] = 'T';
    put2(out + 11, (unsigned)(r / 3600000000u));
    out[13] = ':';
    put2(out + 14, (unsigned)(r / 60000000u % 60));
    out[16] = ':';
    put2(out + 17, (unsigned)(r / 1000000u % 60));
    out[19] = '.';
    f = (unsigned)(r % 1000000u);
    for (int k = 25; k >= 20; k--, f /= 10) out[k] = (uint8_t)('0' + f % 10);
    return 0;
}

/* ----------------------------------------------------------- templates -- */

/*
 * Records of one event type repeat the same member names and punctuation;
 * only the values change. Splitting each record into its template (shared,
 * stored once per block) and its values halves what zstd has to look at:
 * compression is faster and the frame smaller. The split is lossless for any
 * bytes: a record that holds 0x00, 0x01, a raw control byte or an unfinished
 * string, or whose template is too long or does not fit the table, is kept
 * verbatim.
 */

/* The IDENT3 run table of a stream: open addressing on the hash of a run's bytes. */
#define RUN_SLOTS (2 * TMPL_RUN_MAX)
struct tmpl_run {
    uint64_t h;
    uint32_t off;  /* the run's values in out (each 0x00-terminated) */
    uint16_t len;  /* their bytes; 0 = empty slot */
    uint16_t idx;
};

void nw__tmpl_reset(struct tmpl_enc *te)
{
    struct tmpl_run *rt = te->rt;
    unsigned nrun = te->nrun;

    memset(te, 0, sizeof *te);
    te->rt = rt;
    if (rt && nrun) memset(rt, 0, RUN_SLOTS * sizeof *rt);
}

void nw__tmpl_fini(struct tmpl_enc *te)
{
    nw_free(te->rt);
    te->rt = NULL;
    te->nrun = 0;
    nw__tmpl_reset(te);
}

/* Copy n bytes of rec at b (rec has len bytes) to d, which has 16 bytes of slack. */
static inline void rec_copy(uint8_t *d, const char *rec, size_t b, size_t n, size_t len)
{
#ifdef __SSE2__
    if (b + n + 16 <= len) { /* the common short piece: whole 16-byte chunks, no call */
        _mm_storeu_si128((__m128i *)(void *)d, /* most values: this one piece */
                         _mm_loadu_si128((const __m128i *)(const void *)(rec + b)));
        for (size_t k = 16; k < n; k += 16)
            _mm_storeu_si128((__m128i *)(void *)(d + k),
                             _mm_loadu_si128((const __m128i *)(const void *)(rec + b + k)));
        return;
    }
#endif
    (void)len;
    memcpy(d, rec + b, n);
}

/* rec stored as is: byte 0, the record, '\n'. */
static size_t tmpl_verbatim(uint8_t *out, size_t o, const char *rec, size_t len)
{
    out[o] = 0;
    memcpy(out + o + 1, rec, len);
    out[o + 1 + len] = '\n';
    return o + len + 2;
}

/*
 * The record's values (v bytes) are at out + o + 1; its template is sk/s with
 * hash h. Refer to the block's template of these bytes, or add it (0xff, u16
 * length, the template, then the values slid up), or, the table being full,
 * store rec verbatim. Returns the new end.
 */
static size_t tmpl_put(struct tmpl_enc *te, uint8_t *out, size_t o, const char *rec, size_t len,
                       const uint8_t *sk, size_t s, uint64_t h, size_t v)
{
    size_t slot;

    for (slot = h & 511; te->tab[slot].id; slot = (slot + 1) & 511)
        if (te->tab[slot].h == h && te->tab[slot].len == s &&
            memcmp(out + te->tab[slot].off, sk, s) == 0) {
            out[o] = te->tab[slot].id;
            return o + 1 + v;
        }
    if (te->ntmpl >= TMPL_MAX) return tmpl_verbatim(out, o, rec, len);
    memmove(out + o + 3 + s, out + o + 1, v);
    out[o] = 0xff;
    out[o + 1] = (uint8_t)s;
    out[o + 2] = (uint8_t)(s >> 8);
    memcpy(out + o + 3, sk, s);
    te->tab[slot].h = h;
    te->tab[slot].off = (uint32_t)(o + 3);
    te->tab[slot].len = (uint16_t)s;
    te->tab[slot].id = (uint8_t)++te->ntmpl;
    return o + 3 + s + v;
}

size_t nw__tmpl_add(struct tmpl_enc *te, uint8_t *out, size_t o, const char *rec, size_t len,
                    const struct nw__spans *sp)
{
    uint8_t sk[TMPL_MAX_LEN + 16];
    uint8_t *val = out + o + 1; /* values go after the id byte: a known template, the common case */
    size_t s = 0, v = 0, prev = 0, n;

    if (sp == NULL || sp->over) return tmpl_verbatim(out, o, rec, len);
    for (size_t i = 0; i + 1 < sp->n; i += 2) {
        size_t b = sp->v[i], e = sp->v[i + 1];
        if (b < prev || e < b || e > len) return tmpl_verbatim(out, o, rec, len);
        n = b - prev;
        if (s + n + 1 > TMPL_MAX_LEN || v + (e - b) + 1 > len)
            return tmpl_verbatim(out, o, rec, len);
        rec_copy(sk + s, rec, prev, n, len);
        s += n;
        sk[s++] = 1;
        rec_copy(val + v, rec, b, e - b, len);
        v += e - b;
        val[v++] = 0;
        prev = e;
    }
    n = len - prev;
    if (s + n > TMPL_MAX_LEN) return tmpl_verbatim(out, o, rec, len);
    memcpy(sk + s, rec + prev, n);
    s += n;
    return tmpl_put(te, out, o, rec, len, sk, s, nw__store_hash64(sk, s, 5), v);
}

size_t nw__tmpl_add_known(struct tmpl_enc *te, uint8_t *out, size_t o, const char *rec,
                          size_t len, const struct nw__spans *sp, const uint8_t *sk, size_t s,
                          uint64_t h)
{
    uint8_t *val = out + o + 1;
    size_t v = 0, prev = 0;

    /* the same conditions as nw__tmpl_add (its checks are on running totals) */
    if (sp->over || s > TMPL_MAX_LEN) return tmpl_verbatim(out, o, rec, len);
    for (size_t i = 0; i + 1 < sp->n; i += 2) {
        size_t b = sp->v[i], e = sp->v[i + 1];
        if (b < prev || e < b || e > len || v + (e - b) + 1 > len)
            return tmpl_verbatim(out, o, rec, len);
        rec_copy(val + v, rec, b, e - b, len);
        v += e - b;
        val[v++] = 0;
        prev = e;
    }
    return tmpl_put(te, out, o, rec, len, sk, s, h, v);
}

int nw__tmpl_user_obj(const uint8_t *sk, size_t s, struct nw__uobj *u)
{
    size_t slot = 0;
    int depth = 0, instr = 0;

    for (size_t i = 0; i < s; i++) { /* bounded: i only grows */
        uint8_t c = sk[i];
        if (c == 1) {
            slot++;
        } else if (instr) {
            if (c == '\\') i++;
            else if (c == '"') instr = 0;
        } else if (c == '"') {
            if (depth == 1 && s - i >= 8 && memcmp(sk + i, "\"user\":{", 8) == 0) {
                int d = 2, ins = 0;
                u->b = slot;
                u->obj = i + 7;
                u->first = SIZE_MAX;
                for (i += 8; i < s && d > 1; i++) {
                    c = sk[i];
                    if (c == 1) {
                        if (u->first == SIZE_MAX) u->first = i;
                        slot++;
                    } else if (ins) {
                        if (c == '\\') i++;
                        else if (c == '"') ins = 0;
                    } else if (c == '"') ins = 1;
                    else if (c == '{' || c == '[') d++;
                    else if (c == '}' || c == ']') d--;
                }
                u->e = slot;
                return d == 1;
            }
            instr = 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 0;
}

/*
 * IDENT3's run of a template: the values of the root member "user" when it
 * is an object (a user's identity repeats in every record of theirs, and its
 * 7 values are ~70 bytes: a reference is 4). 2..255 values. *rk = 0: none.
 */
static void tmpl_run_of(const uint8_t *sk, size_t s, uint16_t *rb, uint8_t *rk)
{
    struct nw__uobj u;

    *rb = 0, *rk = 0;
    if (nw__tmpl_user_obj(sk, s, &u) && u.e - u.b >= 2 && u.e - u.b <= 255 && u.b <= UINT16_MAX)
        *rb = (uint16_t)u.b, *rk = (uint8_t)(u.e - u.b);
}

/*
 * May value v/n (27 or 32 bytes) be stored as 0x02 + suffix, i.e. is it
 * exactly nw__ts_fmt(ts, its suffix)? The minute last found so is cached:
 * within it only the seconds and fraction are compared (the formatting of
 * base + x for x < 60 s is that minute's text plus x's digits).
 */
static int ts_elide(struct tmpl_enc *te, const uint8_t *v, size_t n, uint64_t ts)
{
    uint64_t x;
    uint8_t f[26];

    if (v[4] != '-' || v[16] != ':' || v[19] != '.' || !dig2(v + 17) || !dig2(v + 20) ||
        !dig2(v + 22) || !dig2(v + 24))
        return 0;
    x = ((uint64_t)(v[17] - '0') * 10 + (uint64_t)(v[18] - '0')) * 1000000u +
        (uint64_t)(v[20] - '0') * 100000u + (uint64_t)(v[21] - '0') * 10000u +
        (uint64_t)(v[22] - '0') * 1000u + (uint64_t)(v[23] - '0') * 100u +
        (uint64_t)(v[24] - '0') * 10u + (uint64_t)(v[25] - '0');
    if (x >= 60000000u) return 0;
    if (te->tc.n == n) {
        uint64_t a0, a1, b0, b1;
        memcpy(&a0, v, 8), memcpy(&a1, v + 8, 8);
        memcpy(&b0, te->tc.pre, 8), memcpy(&b1, te->tc.pre + 8, 8);
        if (a0 == b0 && a1 == b1 &&
            (n == 27 ? v[26] == te->tc.suf[0] : eq6(v + 26, te->tc.suf)))
            return te->tc.base + x == ts;
    }
    if (ts < x || nw__ts_fmt(ts, v + 26, n - 26, f) != 0 || memcmp(f, v, 26) != 0) return 0;
    memcpy(te->tc.pre, v, 16);
    memcpy(te->tc.suf, v + 26, n - 26);
    te->tc.n = n;
    te->tc.base = ts - x;
    return 1;
}

/*
 * Values [kb, ke) of rec (spans sv) to val at *v, each + 0x00; with te, a
 * value that is the record's timestamp text as 0x02 + suffix. -1 when a
 * span is out of order or the values outgrow room (then stored verbatim).
 */
static inline int put_vals(struct tmpl_enc *te, uint8_t *val, size_t *vp, size_t room,
                           const char *rec, size_t len, const uint32_t *sv, size_t kb, size_t ke,
                           size_t *prevp, uint64_t ts)
{
    const uint8_t *r = (const uint8_t *)rec;
    size_t v = *vp, prev = *prevp;

    for (size_t k = kb; k < ke; k++) {
        size_t b = sv[2 * k], e = sv[2 * k + 1], n = e - b;
        if (b < prev || e < b || e > len || v + n + 8 > room) return -1;
        prev = e;
        if (te && (n == 27 || n == 32) && r[b + 4] == '-' && ts_elide(te, r + b, n, ts)) {
            val[v] = 2;
            memcpy(val + v + 1, r + b + 26, n - 26);
            v += n - 25;
            val[v++] = 0;
            continue;
        }
        rec_copy(val + v, rec, b, n, len);
        v += n;
        val[v++] = 0;
    }
    *vp = v;
    *prevp = prev;
    return 0;
}

size_t nw__tmpl3_add(struct tmpl_enc *te, uint8_t *out, size_t o, const char *rec, size_t len,
                     const struct nw__spans *sp, const struct nw__shape_tmpl *known, uint64_t ts)
{
    const uint8_t *sk = known ? known->sk : NULL;
    size_t s = sk ? known->len : 0;
    uint64_t h = sk ? known->h : 0, key = sk ? known->key : 0;
    uint8_t skb[TMPL_MAX_LEN + 16];
    uint8_t *val = out + o + 1; /* values after the id byte; slid up for a new template */
    size_t slot, v = 0, prev = 0, nv, rb = SIZE_MAX, mpos = 0;
    size_t rslot = SIZE_MAX, roff = 0, rlen = 0; /* a run defined by this record */
    size_t room = len + 16; /* the values' bytes never exceed the record's, + a run marker */
    uint64_t rh = 0;
    int found = 0;
    unsigned rk = 0;
    uint8_t id;

    if (sp == NULL || sp->over) return tmpl_verbatim(out, o, rec, len);
    if (sk == NULL) { /* the template from the spans, as nw__tmpl_add builds it */
        s = 0;
        for (size_t i = 0; i + 1 < sp->n; i += 2) {
            size_t b = sp->v[i], e = sp->v[i + 1], n = b - prev;
            if (b < prev || e < b || e > len || s + n + 1 > TMPL_MAX_LEN)
                return tmpl_verbatim(out, o, rec, len);
            memcpy(skb + s, rec + prev, n);
            s += n;
            skb[s++] = 1;
            prev = e;
        }
        if (s + (len - prev) > TMPL_MAX_LEN) return tmpl_verbatim(out, o, rec, len);
        memcpy(skb + s, rec + prev, len - prev);
        s += len - prev;
        sk = skb;
        h = nw__store_hash64(sk, s, 5);
        prev = 0;
    } else if (s > TMPL_MAX_LEN) {
        return tmpl_verbatim(out, o, rec, len);
    }
    for (slot = h & 511; te->tab[slot].id; slot = (slot + 1) & 511)
        if (te->tab[slot].h == h && te->tab[slot].len == s &&
            ((key && te->tab[slot].key == key) || memcmp(out + te->tab[slot].off, sk, s) == 0)) {
            found = 1; /* the same key: the same trie node, so the same bytes */
            te->tab[slot].key = key;
            break;
        }
    if (found) {
        rk = te->tab[slot].rk;
        rb = te->tab[slot].rb;
    } else {
        uint16_t b16;
        uint8_t k8;
        if (te->ntmpl >= TMPL_MAX) return tmpl_verbatim(out, o, rec, len);
        tmpl_run_of(sk, s, &b16, &k8);
        rk = k8, rb = b16;
    }
    if (rk == 0 || (te->rt == NULL && (te->rt = nw_calloc(RUN_SLOTS, sizeof *te->rt)) == NULL))
        rb = SIZE_MAX; /* no run table (out of memory): the values as they are */
    nv = sp->n / 2;
    if (rb >= nv || nv - rb < rk) rb = nv, rk = 0; /* the run must be whole */
    if (put_vals(te, val, &v, room, rec, len, sp->v, 0, rb, &prev, ts) != 0)
        return tmpl_verbatim(out, o, rec, len);
    if (rk) { /* room for its marker, then its values as they are */
        size_t rl, j;
        const uint8_t *rv;
        mpos = v;
        v += 3;
        if (put_vals(NULL, val, &v, room, rec, len, sp->v, rb, rb + rk, &prev, ts) != 0)
            return tmpl_verbatim(out, o, rec, len);
        rl = v - mpos - 3;
        rv = val + mpos + 3;
        rh = run_hash(rv, rl);
        for (j = rh & (RUN_SLOTS - 1); te->rt[j].len; j = (j + 1) & (RUN_SLOTS - 1))
            if (te->rt[j].h == rh && te->rt[j].len == rl && memcmp(out + te->rt[j].off, rv, rl) == 0)
                break;
        if (te->rt[j].len) { /* seen before in this block: 0x03 and two digits 1..255 */
            unsigned idx = te->rt[j].idx;
            val[mpos] = 3;
            val[mpos + 1] = (uint8_t)(idx / 255 + 1);
            val[mpos + 2] = (uint8_t)(idx % 255 + 1);
            val[mpos + 3] = 0;
            v = mpos + 4;
        } else if (te->nrun < TMPL_RUN_MAX && rl <= UINT16_MAX) { /* defined: 0x04 k, values */
            val[mpos] = 4;
            val[mpos + 1] = (uint8_t)rk;
            val[mpos + 2] = 0;
            rslot = j; /* entered once the record is surely stored so */
            roff = mpos + 3;
            rlen = rl;
        } else {
            memmove(val + mpos, rv, rl); /* not kept: no marker */
            v -= 3;
        }
        if (put_vals(te, val, &v, room, rec, len, sp->v, rb + rk, nv, &prev, ts) != 0)
            return tmpl_verbatim(out, o, rec, len);
    }
    if (found) {
        id = te->tab[slot].id;
        out[o] = id;
        o += 1;
    } else {
        memmove(out + o + 3 + s, out + o + 1, v);
        out[o] = 0xff;
        out[o + 1] = (uint8_t)s;
        out[o + 2] = (uint8_t)(s >> 8);
        memcpy(out + o + 3, sk, s);
        te->tab[slot].h = h;
        te->tab[slot].off = (uint32_t)(o + 3);
        te->tab[slot].len = (uint16_t)s;
        te->tab[slot].id = (uint8_t)++te->ntmpl;
        te->tab[slot].rk = (uint8_t)rk;
        te->tab[slot].rb = (uint16_t)(rk ? rb : 0);
        te->tab[slot].key = key;
        o += 3 + s;
    }
    if (rslot != SIZE_MAX) {
        te->rt[rslot].h = rh;
        te->rt[rslot].len = (uint16_t)rlen;
        te->rt[rslot].idx = (uint16_t)te->nrun++;
        te->rt[rslot].off = (uint32_t)(o + roff);
    }
    return o + v;
}

/*
 * Copy s[0..) to o until byte b or send; *n gets the bytes copied. Returns 1
 * when b ended it, 0 at send, -1 when that needs more than room bytes. Reads
 * stay below smem, writes below omem; up to 15 bytes past o + *n may be
 * written (16-byte chunks), which the following output overwrites.
 */
static inline int copy_until(uint8_t *o, const uint8_t *omem, size_t room, const uint8_t *s,
                             const uint8_t *send, const uint8_t *smem, uint8_t b, size_t *n)
{
    size_t k = 0;
#ifdef __SSE2__
    const __m128i bb = _mm_set1_epi8((char)b);
    while (s + k + 16 <= smem && o + k + 16 <= omem) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + k));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, bb));
        _mm_storeu_si128((__m128i *)(void *)(o + k), v);
        if (m) {
            k += (unsigned)__builtin_ctz(m);
            if (s + k >= send) break;
            if (k > room) return -1;
            *n = k;
            return 1;
        }
        k += 16;
        if (s + k >= send) break;
        if (k > room) return -1;
    }
    if (s + k >= send) {
        k = (size_t)(send - s);
        if (k > room) return -1;
        *n = k;
        return 0;
    }
#endif
    while (s + k < send && s[k] != b) {
        if (k >= room || o + k >= omem) return -1;
        o[k] = s[k];
        k++;
    }
    *n = k;
    return s + k < send;
}

#define TMPL_PIECES 128 /* templates with more values take the byte-search path */

#ifdef __SSE2__
/* Bit k set when p[k] == 0, k < 64. */
static inline uint64_t zmask64(const uint8_t *p)
{
    const __m128i z = _mm_setzero_si128();
    uint64_t m0 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), z));
    uint64_t m1 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16)), z));
    uint64_t m2 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 32)), z));
    uint64_t m3 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 48)), z));
    return m0 | m1 << 16 | m2 << 32 | m3 << 48;
}
#endif

/* Copy n bytes; 16-byte chunks when both sides have 16 bytes of slack past n. */
static inline void copy_n(uint8_t *d, const uint8_t *dmem, const uint8_t *s, const uint8_t *smem,
                          size_t n)
{
#ifdef __SSE2__
    if (d + n + 16 <= dmem && s + n + 16 <= smem) {
        _mm_storeu_si128((__m128i *)(void *)d, _mm_loadu_si128((const __m128i *)(const void *)s));
        for (size_t k = 16; k < n; k += 16)
            _mm_storeu_si128((__m128i *)(void *)(d + k),
                             _mm_loadu_si128((const __m128i *)(const void *)(s + k)));
        return;
    }
#else
    (void)dmem, (void)smem;
#endif
    memcpy(d, s, n);
}

int nw__tmpl_decode(const uint8_t *x, size_t xlen, uint8_t *out, size_t recs_len, size_t raw_len,
                    size_t nrec)
{
    return tmpl_decode(x, xlen, out, recs_len, raw_len, nrec, NULL);
}

/* With m: record r = m->pos[m->k] is the next record of m->ip (identity frame, IDENT). */
/* Copy one line (through its '\n') from p[*i, end) to out + *o, both
 * advanced; -1 when there is no '\n' or out has no room below cap. */
static inline int copy_line(const uint8_t *p, size_t *i, size_t end, uint8_t *out, size_t *o,
                            size_t cap)
{
    const uint8_t *nl = memchr(p + *i, '\n', end - *i);
    size_t n;

    if (nl == NULL) return -1;
    n = (size_t)(nl - (p + *i)) + 1;
    if (n > cap - *o) return -1;
    memcpy(out + *o, p + *i, n);
    *o += n, *i += n;
    return 0;
}

/* The next identity record of m into out + *o (a decoder's merge step). */
static inline int merge_next(struct merge *m, uint8_t *out, size_t *o, size_t cap)
{
    size_t k = 0;

    if (copy_line(m->ip, &k, (size_t)(m->ie - m->ip), out, o, cap) != 0) return -1;
    m->ip += k, m->k++;
    return 0;
}

static int tmpl_decode(const uint8_t *x, size_t xlen, uint8_t *out, size_t recs_len,
                       size_t raw_len, size_t nrec, struct merge *m)
{
    const uint8_t *xe = x + xlen, *omem = out + raw_len;
    const uint8_t *tp[TMPL_MAX + 1];
    uint16_t tl[TMPL_MAX + 1], np[TMPL_MAX + 1]; /* np: pieces (values + 1), 0 = too many */
    uint16_t *pl = nw_alloc((size_t)(TMPL_MAX + 1) * TMPL_PIECES * sizeof *pl); /* piece lengths */
    size_t i = 0, o = 0, ntmpl = 0;
    int rc = NW_EFORMAT;

    if (pl == NULL) return NW_ENOMEM;
    for (size_t r = 0; r < nrec; r++) {
        const uint8_t *t, *te;
        unsigned id;
        if (m != NULL && m->k < m->n && m->pos[m->k] == r) { /* an identity record */
            if (merge_next(m, out, &o, recs_len) != 0) goto out;
            continue;
        }
        if (i >= xlen) goto out;
        id = x[i++];
        if (id == 0) { /* verbatim through '\n' */
            if (copy_line(x, &i, xlen, out, &o, recs_len) != 0) goto out;
            continue;
        }
        if (id == 0xff) {
            size_t n, k = 0, last = 0;
            uint16_t *L;
            if (ntmpl >= TMPL_MAX || xlen - i < 2) goto out;
            n = (size_t)x[i] | (size_t)x[i + 1] << 8;
            i += 2;
            if (n > TMPL_MAX_LEN || n > xlen - i) goto out;
            tp[++ntmpl] = x + i;
            tl[ntmpl] = (uint16_t)n;
            L = pl + ntmpl * TMPL_PIECES;
            for (size_t j = 0; j < n && k < TMPL_PIECES; j++)
                if (x[i + j] == 1) L[k++] = (uint16_t)(j - last), last = j + 1;
            if (k < TMPL_PIECES) L[k++] = (uint16_t)(n - last), np[ntmpl] = (uint16_t)k;
            else np[ntmpl] = 0;
            i += n;
            id = (unsigned)ntmpl;
        } else if (id > ntmpl) {
            goto out;
        }
        t = tp[id];
        te = t + tl[id];
        if (np[id]) { /* the pieces are known: only the value ends are searched */
            const uint16_t *L = pl + id * TMPL_PIECES;
            size_t vb = i, last = (size_t)np[id] - 1;
            uint64_t wm = 0;
            int win = 0;
#ifdef __SSE2__
            if (i + 64 <= xlen) wm = zmask64(x + i), win = 1;
#endif
            for (size_t j = 0;; j++) {
                size_t n = L[j], e;
                if (n > recs_len - o) goto out;
                copy_n(out + o, omem, t, xe, n);
                o += n;
                if (j == last) break;
                t += n + 1;
#ifdef __SSE2__
                while (win && wm == 0) {
                    vb += 64;
                    if (vb + 64 > xlen) win = 0;
                    else wm = zmask64(x + vb);
                }
#endif
                if (win) {
                    e = vb + (size_t)__builtin_ctzll(wm);
                    wm &= wm - 1;
                } else {
                    const uint8_t *z = memchr(x + i, 0, xlen - i);
                    if (z == NULL) goto out;
                    e = (size_t)(z - x);
                }
                n = e - i;
                if (n > recs_len - o) goto out;
                copy_n(out + o, omem, x + i, xe, n);
                o += n;
                i = e + 1;
            }
        } else {
            for (;;) {
                size_t n;
                int c = copy_until(out + o, omem, recs_len - o, t, te, xe, 1, &n);
                if (c < 0) goto out;
                o += n;
                if (c == 0) break; /* end of the template */
                t += n + 1;
                if (copy_until(out + o, omem, recs_len - o, x + i, xe, xe, 0, &n) != 1)
                    goto out; /* values end with 0x00 */
                o += n;
                i += n + 1;
            }
        }
        if (o >= recs_len) goto out;
        out[o++] = '\n';
    }
    if (o != recs_len || xlen - i != raw_len - recs_len) goto out;
    if (m != NULL && (m->k != m->n || m->ip != m->ie)) goto out;
    memcpy(out + o, x + i, xlen - i);
    rc = 0;
out:
    nw_free(pl);
    return rc;
}

/* The first 0x00 in [p, end), or NULL; run values are short: no call. */
static inline const uint8_t *find0(const uint8_t *p, const uint8_t *end)
{
#ifdef __SSE2__
    for (; p + 16 <= end; p += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), _mm_setzero_si128()));
        if (m) return p + __builtin_ctz(m);
    }
#endif
    for (; p < end; p++)
        if (*p == 0) return p;
    return NULL;
}

/*
 * A timestamp code's text: nw__ts_fmt once per minute and suffix, then only
 * the seconds and fraction (the records of a block share their minutes).
 */
static const char digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

struct ts_text {
    uint64_t base; /* µs of the cached minute's start; UINT64_MAX: none */
    uint8_t pre[17], suf[6];
    size_t sn;
};

static inline int ts_text(struct ts_text *c, uint64_t ts, const uint8_t *suf, size_t sn,
                          uint8_t *out)
{
    uint64_t d;
    unsigned sec, f;

    if (ts >= c->base && ts - c->base < 60000000u && sn == c->sn && sn <= 6 &&
        memcmp(suf, c->suf, sn) == 0) {
        d = ts - c->base;
        memcpy(out, c->pre, 17);
        sec = (unsigned)(d / 1000000u);
        f = (unsigned)(d % 1000000u);
        memcpy(out + 17, digits2 + 2 * sec, 2);
        out[19] = '.';
        memcpy(out + 20, digits2 + 2 * (f / 10000u), 2);
        memcpy(out + 22, digits2 + 2 * (f / 100u % 100u), 2);
        memcpy(out + 24, digits2 + 2 * (f % 100u), 2);
        return 0;
    }
    if (nw__ts_fmt(ts, suf, sn, out) != 0) return -1;
    d = (uint64_t)((out[17] - '0') * 10 + (out[18] - '0'));
    for (int k = 20; k < 26; k++) d = d * 10 + (uint64_t)(out[k] - '0'); /* µs in the minute */
    c->base = ts - d;
    memcpy(c->pre, out, 17);
    memcpy(c->suf, suf, sn);
    c->sn = sn;
    return 0;
}

/*
 * The 0x00 ends of a stream's values, in order: a 64-byte window of zero
 * bits over the stream (every 0x00 from a record's first value on ends a
 * value or a code), memchr near the stream's end.
 */
struct zfind {
    const uint8_t *x;
    size_t xe, vb; /* the stream's end; the window's start */
    uint64_t wm;   /* zero bits of x[vb..vb+64) not consumed yet */
    int win;
};

static inline void zf_init(struct zfind *z, const uint8_t *x, size_t xe, size_t i)
{
    z->x = x, z->xe = xe, z->vb = i, z->wm = 0, z->win = 0;
#ifdef __SSE2__
    if (i + 64 <= xe) z->wm = zmask64(x + i), z->win = 1;
#endif
}

/* The next 0x00 at or after i (the last one consumed was before i): 0, or -1 if none. */
static inline int zf_next(struct zfind *z, size_t i, size_t *e)
{
    const uint8_t *p;
#ifdef __SSE2__
    if (__builtin_expect(z->wm == 0, 0)) { /* (wm is never set without a window) */
        while (z->win && z->wm == 0) { /* bounded: vb grows to xe */
            z->vb += 64;
            if (z->vb + 64 > z->xe) z->win = 0;
            else z->wm = zmask64(z->x + z->vb);
        }
    }
    if (z->wm != 0) { /* a window, and a 0x00 left in it */
        *e = z->vb + (size_t)__builtin_ctzll(z->wm);
        z->wm &= z->wm - 1;
        return *e >= i ? 0 : -1;
    }
#endif
    if (i >= z->xe || (p = memchr(z->x + i, 0, z->xe - i)) == NULL) return -1;
    *e = (size_t)(p - z->x);
    return 0;
}

/*
 * IDENT3 stream (docs/internals/store.md): as tmpl_decode, but a value may
 * be a code (its first byte < 0x20, which no JSON value starts with):
 * 0x02 + suffix = the record's timestamp formatted with that offset; 0x03 d1
 * d2 = the values of run (d1 - 1) * 255 + d2 - 1; 0x04 k = the next k plain
 * values define the next run. The timestamps are x's last raw_len - recs_len
 * bytes (deltas from base); a record's is ts[r], r its ordinal in them.
 */
/* ------------------------------------------------------ enc 4: columns -- */

/*
 * IDENT4 bulk stream (docs/internals/store.md): the IDENT3 stream R of the
 * bulk records (without its timestamp bytes) with its tokens transposed
 * into columns, so that zstd sees the values of one field together instead
 * of interleaved with the other fields' random ones. C = the skeleton's
 * length (u32), the skeleton (per record its id byte, its 0xff definition or
 * its verbatim line, in record order), the column directory (varint count,
 * varint byte length of each), the columns. A column holds the tokens
 * (0x00-terminated values or codes) at one token ordinal of the records of
 * one template, in record order; columns are numbered by first use. How
 * many tokens a record has follows from its template and its codes exactly
 * as tmpl3_decode walks them (e4_step), so writer and reader agree.
 */
struct e4_walk {
    size_t left;              /* value slots of the record still to fill */
    unsigned def;             /* values of a run definition still to come */
    unsigned nruns;
    uint8_t rk[TMPL_RUN_MAX]; /* each run's value count */
};

/* Account for one token t[0..n) of a record: 0, or -1 where tmpl3_decode would refuse it. */
static inline int e4_step(struct e4_walk *w, const uint8_t *t, size_t n)
{
    if (n == 0 || t[0] >= 0x20) { /* a plain value: one slot */
        if (w->def) w->def--;
        w->left--;
        return 0;
    }
    if (w->def) return -1; /* a run's values are plain */
    if (t[0] == 2) {
        w->left--;
        return 0;
    }
    if (t[0] == 3 && n == 3) { /* t[1], t[2] are not 0: n is up to the first 0 */
        size_t idx = (size_t)(t[1] - 1) * 255 + (size_t)(t[2] - 1);
        if (idx >= w->nruns || w->rk[idx] > w->left) return -1;
        w->left -= w->rk[idx];
        return 0;
    }
    if (t[0] == 4 && n == 2) { /* defines a run: no slot itself, its k values one each */
        if (t[1] > w->left || w->nruns >= TMPL_RUN_MAX) return -1;
        w->rk[w->nruns++] = t[1];
        w->def = t[1];
        return 0;
    }
    return -1;
}

/*
 * The (template, token ordinal) -> column + 1 map of a walk (0: not used
 * yet). A record of a template with S slots has at most 2 S tokens (a run
 * definition is followed by at least one value), so each template gets 2 S
 * entries, from base[id].
 */
struct e4_map {
    uint16_t *m;
    size_t n, cap;
    uint32_t base[TMPL_MAX + 1], slots[TMPL_MAX + 1];
    unsigned ntmpl;
};

/* Room for k more zeroed entries after the n used in the ordinal map *m (writer and reader). */
static int e4_map_room(uint16_t **m, size_t *cap, size_t n, size_t k)
{
    if (n + k > *cap) {
        size_t nc = NW_MAX(*cap * 2, n + k + 256);
        uint16_t *nm = nw_realloc(*m, nc * sizeof *nm);
        if (nm == NULL) return NW_ENOMEM;
        *m = nm, *cap = nc;
    }
    if (k) memset(*m + n, 0, k * sizeof **m); /* *m may be NULL yet */
    return 0;
}

/* Define the next template t[0..n): 0, -1 (too many) or NW_ENOMEM. */
static int e4_define(struct e4_map *mp, const uint8_t *t, size_t n)
{
    size_t s = 0;

    if (mp->ntmpl >= TMPL_MAX) return -1;
    for (size_t j = 0; j < n; j++) s += t[j] == 1;
    if (e4_map_room(&mp->m, &mp->cap, mp->n, 2 * s) != 0) return NW_ENOMEM;
    mp->ntmpl++;
    mp->base[mp->ntmpl] = (uint32_t)mp->n;
    mp->slots[mp->ntmpl] = (uint32_t)s;
    mp->n += 2 * s;
    return 0;
}

/* One record's skeleton at sk[*i, se): its template id (0: verbatim), *i past it. <0: bad. */
static inline int e4_skel(struct e4_map *mp, const uint8_t *sk, size_t *i, size_t se)
{
    unsigned id;
    size_t n;
    int rc;

    if (*i >= se) return -1;
    id = sk[(*i)++];
    if (id == 0) {
        const uint8_t *nl = memchr(sk + *i, '\n', se - *i);
        if (nl == NULL) return -1;
        *i = (size_t)(nl - sk) + 1;
        return 0;
    }
    if (id == 0xff) {
        if (se - *i < 2) return -1;
        n = (size_t)sk[*i] | (size_t)sk[*i + 1] << 8;
        *i += 2;
        if (n > TMPL_MAX_LEN || n > se - *i) return -1;
        if ((rc = e4_define(mp, sk + *i, n)) != 0) return rc;
        *i += n;
        return (int)mp->ntmpl;
    }
    return id <= mp->ntmpl ? (int)id : -1;
}

static inline size_t e4_varint(uint8_t *o, uint32_t v)
{
    size_t n = 0;

    for (; v >= 0x80; v >>= 7) o[n++] = (uint8_t)(v | 0x80);
    o[n++] = (uint8_t)v;
    return n;
}

static inline int e4_varint_get(const uint8_t *p, size_t *i, size_t end, uint32_t *v)
{
    uint64_t x = 0;

    for (int shift = 0;; shift += 7) {
        if (*i >= end || shift > 28) return -1;
        x |= (uint64_t)(p[*i] & 0x7f) << shift;
        if (!(p[(*i)++] & 0x80)) break;
    }
    if (x > UINT32_MAX) return -1;
    *v = (uint32_t)x;
    return 0;
}

/*
 * The writer's columns while R is walked: chunks in one arena (ENC4_CHUNK0
 * bytes first, doubling to ENC4_CHUNK1), each with a 16-byte margin so that
 * a token is copied in 16-byte pieces; chunk = next chunk's offset (u32, 0:
 * none), bytes used (u32, set when the next one is started), the bytes.
 */
#define ENC4_CHUNK0 256u
#define ENC4_CHUNK1 (64u << 10)
struct e4_col {
    uint32_t cur, end;   /* where the next token goes; the current chunk's end - 16 */
    uint32_t head, tail; /* first and current chunk */
    uint32_t len, csz;   /* the column's bytes; the next chunk's size */
};

/* A new chunk of at least need bytes for column c: 0, or -1 when the arena is full. */
static int e4_chunk(struct e4_col *c, uint8_t *ar, size_t *aused, size_t acap, size_t need)
{
    size_t sz = NW_MAX((size_t)c->csz, need + 8 + 16), q = *aused;

    if (sz > acap - q) return -1;
    le32_put(ar + q, 0);
    if (c->head == 0) {
        c->head = (uint32_t)q;
    } else {
        le32_put(ar + c->tail, (uint32_t)q);
        le32_put(ar + c->tail + 4, c->cur - c->tail - 8);
    }
    c->tail = (uint32_t)q;
    c->cur = (uint32_t)q + 8;
    c->end = (uint32_t)(q + sz - 16);
    c->csz = (uint32_t)NW_MIN(2 * (size_t)c->csz, (size_t)ENC4_CHUNK1);
    *aused = q + sz;
    return 0;
}

/* The writer's scratch, kept from block to block: warm, and no page faults. */
struct nw__enc4 {
    struct e4_walk w;
    struct e4_map mp;
    struct e4_col col[ENC4_COL_MAX];
    uint8_t *ar; /* the chunks */
    size_t acap;
};

struct nw__enc4 *nw__enc4_new(void)
{
    struct nw__enc4 *e = nw_alloc(sizeof *e);

    if (e != NULL) e->mp.m = NULL, e->mp.cap = 0, e->ar = NULL, e->acap = 0;
    return e;
}

void nw__enc4_free(struct nw__enc4 *e)
{
    if (e == NULL) return;
    nw_free(e->mp.m);
    nw_free(e->ar);
    nw_free(e);
}

size_t nw__enc4_encode(struct nw__enc4 *sc, const uint8_t *r, size_t rn, size_t nrec,
                       uint8_t *out, size_t cap)
{
    struct e4_walk *w;
    struct e4_map *mp;
    struct e4_col *col;
    size_t acap = rn + rn / 2 + (1u << 20), aused = 8; /* offset 0 means "none" */
    uint8_t *ar;
    size_t i = 0, sk = 4, ncol = 0, o, res = 0;
    struct zfind zf;

    if (sc == NULL) { /* one-off (tests) */
        if ((sc = nw__enc4_new()) == NULL) return 0;
        res = nw__enc4_encode(sc, r, rn, nrec, out, cap);
        nw__enc4_free(sc);
        return res;
    }
    if (cap < 4 || rn > UINT32_MAX / 2) return 0;
    if (sc->acap < acap) { /* free first: the old bytes are not needed */
        nw_free(sc->ar);
        sc->acap = 0;
        if ((sc->ar = nw_alloc(acap)) == NULL) return 0;
        sc->acap = acap;
    }
    w = &sc->w, mp = &sc->mp, col = sc->col;
    ar = sc->ar;
    acap = sc->acap;
    w->nruns = 0;
    mp->n = 0, mp->ntmpl = 0;
    for (size_t rec = 0; rec < nrec; rec++) {
        size_t s0 = i, lim, left, def = 0;
        uint16_t *mb;
        int id = e4_skel(mp, r, &i, rn);
        if (id < 0) goto out;
        if (i - s0 > cap - sk) goto out;
        memcpy(out + sk, r + s0, i - s0);
        sk += i - s0;
        if (id == 0) continue;
        /* every 0x00 from here to the record's end ends a token (a template
         * definition's length may hold one: a window per record) */
        zf_init(&zf, r, rn, i);
        /* locals, not w->: the byte stores below could alias them */
        left = mp->slots[id];
        lim = 2 * left;
        mb = mp->m ? mp->m + mp->base[id] : NULL; /* NULL: no slot yet (left 0) */
        for (size_t ord = 0; left; ord++) { /* bounded: a slot at least every second token */
            struct e4_col *c;
            size_t n, e, k;
            if (ord >= lim || zf_next(&zf, i, &e) != 0) goto out;
            n = e - i;
            if (__builtin_expect(r[i] < 0x20 || def != 0, 0)) {
                w->left = left, w->def = (unsigned)def;
                if (e4_step(w, r + i, n) != 0) goto out;
                left = w->left, def = w->def;
            } else {
                left--; /* a plain value, the common case */
            }
            if (__builtin_expect(mb[ord] == 0, 0)) {
                if (ncol >= ENC4_COL_MAX) goto out; /* too many columns: enc 3 */
                memset(&col[ncol], 0, sizeof col[ncol]);
                col[ncol].csz = ENC4_CHUNK0;
                mb[ord] = (uint16_t)++ncol;
            }
            c = &col[mb[ord] - 1];
            k = c->cur;
            if (__builtin_expect(n + 1 > c->end - k, 0)) { /* also the first time: 0 - 0 */
                if (e4_chunk(c, ar, &aused, acap, n + 1) != 0) goto out; /* arena full: enc 3 */
                k = c->cur;
            }
#ifdef __SSE2__
            if (e + 16 < rn) { /* the chunk keeps 16 bytes of margin; most tokens: one piece */
                _mm_storeu_si128((__m128i *)(void *)(ar + k),
                                 _mm_loadu_si128((const __m128i *)(const void *)(r + i)));
                for (size_t j = 16; j <= n; j += 16)
                    _mm_storeu_si128((__m128i *)(void *)(ar + k + j),
                                     _mm_loadu_si128((const __m128i *)(const void *)(r + i + j)));
            } else
#endif
                memcpy(ar + k, r + i, n + 1);
            c->cur = (uint32_t)(k + n + 1); /* (its length is summed from its chunks below) */
            __builtin_prefetch(ar + k + 128, 1); /* hundreds of streams: see tmpl3_walk */
            i = e + 1;
        }
    }
    if (i != rn) goto out;
    le32_put(out, (uint32_t)(sk - 4));
    /* the directory, then the columns: rn - (sk - 4) bytes in all */
    if (cap - sk < 5 * (ncol + 1) || cap - sk - 5 * (ncol + 1) < rn - (sk - 4)) goto out;
    o = sk + e4_varint(out + sk, (uint32_t)ncol);
    for (size_t c = 0; c < ncol; c++) { /* a column's length: its chunks' bytes */
        size_t l = 0;
        for (uint32_t q = col[c].head; q != 0; q = le32_get(ar + q))
            l += q == col[c].tail ? col[c].cur - q - 8 : le32_get(ar + q + 4);
        if (l > rn) goto out; /* NW_NEVER: they add up to rn - (sk - 4) */
        col[c].len = (uint32_t)l;
        o += e4_varint(out + o, col[c].len);
    }
    res = o + rn - (sk - 4);
    for (size_t c = 0; c < ncol; c++) {
        for (uint32_t q = col[c].head; q != 0; q = le32_get(ar + q)) {
            size_t u = q == col[c].tail ? col[c].cur - q - 8 : le32_get(ar + q + 4);
            memcpy(out + o, ar + q + 8, u);
            o += u;
        }
    }
    if (o != res) res = 0; /* NW_NEVER */
out:
    return res;
}


/* ------------------------------------------- needle without expanding -- */

/* A needle (or a backslash) in text p[0..n)? */
static int text_may(const uint8_t *p, size_t n, const uint8_t *nd, size_t nlen)
{
    return memchr(p, '\\', n) != NULL || memmem(p, n, nd, nlen) != NULL;
}

/*
 * The same over an enc 4 bulk stream C (x[0..xe), its timestamp bytes
 * excluded): the skeleton is walked record by record (its ids and lengths
 * are binary: only template texts and verbatim lines are text), the
 * columns are searched whole. A column token is a value (JSON text: no
 * byte below 0x20) or a code (0x02 + suffix, 0x03 a b, 0x04 k, a and b
 * and k 1..255), so a 0x5c right after 0x03 or 0x04, or two after 0x03
 * with no 0x00 between, is a code's byte, and any other is a value's
 * backslash. 1 = may, 0 = surely not.
 */
static int e4_may(const uint8_t *x, size_t xe, const uint8_t *nd, size_t nlen)
{
    size_t i = 4, se, d;
    uint32_t sl, ncol, l;
    uint64_t sum = 0;
    const uint8_t *q, *cs, *end = x + xe;

    if (xe < 4 || (sl = le32_get(x)) > xe - 4) return 1;
    se = 4 + (size_t)sl;
    while (i < se) { /* bounded: each turn moves i on */
        unsigned id = x[i++];
        if (id == 0) {
            const uint8_t *nl = memchr(x + i, '\n', se - i);
            if (nl == NULL || text_may(x + i, (size_t)(nl - x) - i, nd, nlen)) return 1;
            i = (size_t)(nl - x) + 1;
        } else if (id == 0xff) {
            size_t n;
            if (se - i < 2) return 1;
            n = (size_t)x[i] | (size_t)x[i + 1] << 8;
            i += 2;
            if (n > se - i || text_may(x + i, n, nd, nlen)) return 1;
            i += n;
        }
    }
    d = se;
    if (e4_varint_get(x, &d, xe, &ncol) != 0) return 1;
    for (size_t k = 0; k < ncol; k++) {
        if (e4_varint_get(x, &d, xe, &l) != 0) return 1;
        sum += l;
    }
    if (sum != xe - d) return 1;
    cs = x + d;
    if (memmem(cs, (size_t)(end - cs), nd, nlen) != NULL) return 1;
    for (q = cs; (q = memchr(q, '\\', (size_t)(end - q))) != NULL; q++) {
        if (q - cs >= 1 && (q[-1] == 3 || q[-1] == 4)) continue;
        if (q - cs >= 2 && q[-2] == 3 && q[-1] != 0) continue;
        return 1;
    }
    return 0;
}

int nw__blk_may_hold(ZSTD_DCtx *dctx, const struct blk_hdr *h, const uint8_t *comp,
                     const uint8_t *nd, size_t nlen, uint8_t **buf, size_t *cap)
{
    struct blk_ident d;
    size_t n, tsb, need;
    uint8_t *ix;

    if (!BLK_ENC_HAS_IDENT(h->enc) || nw__ident_dir_decode(comp, h, &d) != 0 ||
        h->raw_len < h->recs_len || h->xlen < (tsb = (size_t)h->raw_len - h->recs_len))
        return 2;
    need = (size_t)h->xlen + d.xlen; /* the bulk stream, then the identity frame's */
    if (need > *cap) {
        uint8_t *nb = nw_realloc(*buf, need ? need : 1);
        if (nb == NULL) return NW_ENOMEM;
        *buf = nb;
        *cap = need;
    }
    n = ZSTD_decompressDCtx(dctx, *buf, h->xlen, comp + IDENT_DIR_LEN + d.comp,
                            h->comp_len - IDENT_DIR_LEN - d.comp);
    if (ZSTD_isError(n) || n != h->xlen) return 2;
    if (h->enc == BLK_ENC_IDENT4 ? e4_may(*buf, h->xlen - tsb, nd, nlen)
                                 : text_may(*buf, h->xlen - tsb, nd, nlen))
        return 1;
    if (d.nrec == 0) return 0;
    ix = *buf + h->xlen;
    n = ZSTD_decompressDCtx(dctx, ix, d.xlen, comp + IDENT_DIR_LEN, d.comp);
    if (ZSTD_isError(n) || n != d.xlen) return 2;
    /* records, then timestamps, ordinals, classes (dir_decode: no underflow); a stream,
     * not columns: its binary bytes count as text (false "may"s only; rare frames) */
    return text_may(ix, (size_t)d.xlen - d.tslen - d.poslen - d.nrec, nd, nlen);
}

/* The IDENT4 bulk stream's columns while tmpl3_walk reads them. */
struct e4_col_rd {
    const uint8_t *cur, *end; /* the column's next token; its end */
    const uint8_t *vb;        /* a 64-byte window of it (as struct zfind) */
    uint64_t wm;              /* the window's 0x00 bits not consumed yet */
};
struct e4_cols {
    struct e4_col_rd *col;
    uint32_t ncol, used;        /* columns; those met so far (numbered by first use) */
    uint16_t *map;              /* (template, token ordinal) -> column + 1, 0: not met yet */
    size_t nmap, cmap;
    uint32_t mbase[TMPL_MAX + 1]; /* a template's first entry in map (2 per value slot) */
    uint32_t *rv;               /* the run values' offsets in x, runs[].off indexes them */
    size_t nrv, crv;
};

/*
 * Parse C's skeleton length and column directory (x[0..xe), the columns
 * filling the rest exactly): the skeleton is then x[4..*se). 0, NW_EFORMAT
 * or NW_ENOMEM.
 */
static int e4_cols_open(struct e4_cols *c, const uint8_t *x, size_t xe, size_t *se)
{
    size_t d;
    uint32_t sl, ncol;
    uint64_t sum = 0;

    if (xe < 4 || (sl = le32_get(x)) > xe - 4) return NW_EFORMAT;
    d = *se = 4 + (size_t)sl;
    if (e4_varint_get(x, &d, xe, &ncol) != 0 || ncol > ENC4_COL_MAX || ncol > xe - d)
        return NW_EFORMAT; /* a column holds a token at least: a byte */
    c->ncol = ncol;
    if ((c->col = nw_alloc(((size_t)ncol + 1) * sizeof *c->col)) == NULL) return NW_ENOMEM;
    for (size_t k = 0; k < ncol; k++) {
        uint32_t l;
        if (e4_varint_get(x, &d, xe, &l) != 0) return NW_EFORMAT;
        c->col[k].end = x + l; /* the length for now */
        sum += l;
    }
    if (sum != xe - d) return NW_EFORMAT; /* the columns fill the rest exactly */
    for (size_t k = 0, at = d; k < ncol; k++) {
        struct e4_col_rd *q = &c->col[k];
        size_t l = (size_t)(q->end - x);
        q->cur = q->vb = x + at;
        q->end = x + at + l;
        q->wm = 0;
#ifdef __SSE2__
        if (l >= 64) {
            q->wm = zmask64(q->vb);
            __builtin_prefetch(q->vb + 64);
            __builtin_prefetch(q->vb + 128);
        } else
#endif
            q->vb = NULL; /* no window: find0 */
        at += l;
    }
    return 0;
}

/* 2 * slots map entries for the template just defined as id. 0 or NW_ENOMEM. */
static int e4_cols_tmpl(struct e4_cols *c, unsigned id, size_t slots)
{
    if (e4_map_room(&c->map, &c->cmap, c->nmap, 2 * slots) != 0) return NW_ENOMEM;
    c->mbase[id] = (uint32_t)c->nmap;
    c->nmap += 2 * slots;
    return 0;
}

/* Note a run value's offset. 0 or NW_ENOMEM. */
static inline int e4_cols_rv(struct e4_cols *c, size_t off)
{
    if (c->nrv == c->crv) {
        size_t nc = c->crv ? 2 * c->crv : 1024;
        uint32_t *nr = nw_realloc(c->rv, nc * sizeof *nr);
        if (nr == NULL) return NW_ENOMEM;
        c->rv = nr, c->crv = nc;
    }
    c->rv[c->nrv++] = (uint32_t)off;
    return 0;
}

/*
 * tmpl3_decode's walk; with cols (a constant at each call: the compiler
 * makes two functions), x is an IDENT4 bulk stream: the skeleton gives the
 * records' ids and definitions, the tokens come from the columns (the token
 * at ordinal j of a record of template t from column map(t, j)), and a run
 * is its values' offsets (c->rv) instead of one offset. Every column must
 * be used up exactly, every token end inside its column.
 */
static inline __attribute__((always_inline)) int
tmpl3_walk(const uint8_t *x, size_t xlen, uint8_t *out, size_t recs_len, size_t raw_len,
           size_t nrec, struct merge *m, uint64_t base, const int cols)
{
    const uint8_t *tp[TMPL_MAX + 1], *omem = out + raw_len, *xmem = x + xlen;
    struct e4_cols cs;
    size_t se = 0; /* cols: the skeleton's end */
    uint16_t tl[TMPL_MAX + 1], ns[TMPL_MAX + 1]; /* ns: the template's values */
    uint16_t np[TMPL_MAX + 1];                   /* pieces known (values + 1), 0 = too many */
    uint16_t *pl = NULL;                         /* piece lengths, TMPL_PIECES per template */
    struct {
        uint32_t off, k;
    } *runs = NULL;
    uint64_t *ts = NULL;
    size_t tsl = raw_len - recs_len, xe, i = 0, o = 0, ntmpl = 0, nruns = 0;
    struct ts_text tt;
    int rc = NW_EFORMAT;

    if (raw_len < recs_len || xlen < tsl) return NW_EFORMAT;
    xe = xlen - tsl; /* the stream ends here; the timestamps follow */
    if (cols) {
        memset(&cs, 0, sizeof cs);
        if ((rc = e4_cols_open(&cs, x, xe, &se)) != 0) goto out;
        rc = NW_EFORMAT;
        i = 4;
    } else {
        se = xe;
    }
    tt.base = UINT64_MAX;
    tt.sn = 7; /* no suffix is that long: the cache is empty */
    ts = nw_alloc((nrec + 1) * sizeof *ts);
    pl = nw_alloc((size_t)(TMPL_MAX + 1) * TMPL_PIECES * sizeof *pl);
    if (ts == NULL || pl == NULL) {
        rc = NW_ENOMEM;
        goto out;
    }
    if (nw__ts_decode(x + xe, tsl, ts, nrec, base) != 0) goto out;
    for (size_t r = 0; r < nrec; r++) {
        const uint8_t *t, *te;
        const uint16_t *L;
        size_t left, j, rp = 0, rleft = 0, defleft = 0, ord = 0, lim = 0, si = 0;
        uint16_t *mb = NULL;
        struct zfind zf;
        unsigned id;
        if (m != NULL && m->k < m->n && m->pos[m->k] == r) { /* an identity record */
            if (merge_next(m, out, &o, recs_len) != 0) goto out;
            continue;
        }
        if (i >= se) goto out;
        id = x[i++];
        if (id == 0) { /* verbatim through '\n' */
            if (copy_line(x, &i, se, out, &o, recs_len) != 0) goto out;
            continue;
        }
        if (id == 0xff) {
            size_t n, k = 0, last = 0;
            uint16_t *P;
            if (ntmpl >= TMPL_MAX || se - i < 2) goto out;
            n = (size_t)x[i] | (size_t)x[i + 1] << 8;
            i += 2;
            if (n > TMPL_MAX_LEN || n > se - i) goto out;
            tp[++ntmpl] = x + i;
            tl[ntmpl] = (uint16_t)n;
            P = pl + ntmpl * TMPL_PIECES;
            for (j = 0; j < n; j++)
                if (x[i + j] == 1) {
                    if (k + 1 < TMPL_PIECES) P[k] = (uint16_t)(j - last);
                    k++, last = j + 1;
                }
            ns[ntmpl] = (uint16_t)k;
            np[ntmpl] = k + 1 < TMPL_PIECES ? (uint16_t)(k + 1) : 0;
            if (np[ntmpl]) P[k] = (uint16_t)(n - last);
            if (cols && e4_cols_tmpl(&cs, (unsigned)ntmpl, k) != 0) {
                rc = NW_ENOMEM;
                goto out;
            }
            i += n;
            id = (unsigned)ntmpl;
        } else if (id > ntmpl) {
            goto out;
        }
        t = tp[id];
        te = t + tl[id];
        left = ns[id];
        L = np[id] ? pl + id * TMPL_PIECES : NULL;
        if (cols) {
            mb = cs.map ? cs.map + cs.mbase[id] : NULL; /* NULL: no slot yet (lim 0) */
            lim = 2 * (size_t)left;
            si = i; /* i is the token's start below, as in enc 3 */
        } else {
            zf_init(&zf, x, xe, i);
        }
        for (j = 0;; j++) { /* bounded: each turn consumes a piece of the template */
            const uint8_t *q;
            size_t n, e;
            if (L != NULL) { /* the pieces are known */
                n = L[j];
                q = j + 1 < np[id] ? t + n : NULL;
            } else {
                q = memchr(t, 1, (size_t)(te - t));
                n = (size_t)((q ? q : te) - t);
            }
            if (n > recs_len - o) goto out;
            copy_n(out + o, omem, t, xmem, n);
            o += n;
            if (q == NULL) break;
            t = q + 1;
            for (;;) { /* this slot's value: at most a run code, then the value */
                if (__builtin_expect(rleft != 0, 0)) { /* from a run defined before (checked then) */
                    size_t at = cols ? cs.rv[rp] : rp;
                    const uint8_t *z = find0(x + at, x + xe);
                    if (z == NULL) goto out;
                    n = (size_t)(z - (x + at));
                    if (n > recs_len - o) goto out;
                    copy_n(out + o, omem, x + at, xmem, n);
                    o += n, rp += cols ? 1 : n + 1, rleft--;
                    break;
                }
                if (cols) { /* the next token is in its column */
                    uint16_t *mc;
                    const uint8_t *z;
                    struct e4_col_rd *cq;
                    size_t c;
                    if (ord >= lim) goto out;
                    mc = mb + ord++;
                    if (*mc == 0) {
                        if (cs.used >= cs.ncol) goto out;
                        *mc = (uint16_t)++cs.used;
                    }
                    c = *mc - 1u;
                    cq = &cs.col[c];
#ifdef __SSE2__
                    /* the column's 0x00 ends from its window, as zf_next: no
                     * branch on the token's length */
                    while (cq->vb != NULL && cq->wm == 0) { /* bounded: vb grows to end */
                        cq->vb += 64;
                        if (cq->end - cq->vb < 64) {
                            cq->vb = NULL;
                        } else {
                            cq->wm = zmask64(cq->vb);
                            /* hundreds of columns are read at once, more streams
                             * than the hardware prefetcher follows */
                            __builtin_prefetch(cq->vb + 128);
                        }
                    }
                    if (cq->vb != NULL) {
                        z = cq->vb + __builtin_ctzll(cq->wm);
                        cq->wm &= cq->wm - 1;
                    } else
#endif
                    if ((z = find0(cq->cur, cq->end)) == NULL) {
                        goto out; /* used up */
                    }
                    i = (size_t)(cq->cur - x); /* i, e: the token, as in enc 3 */
                    e = (size_t)(z - x);
                    cq->cur = z + 1;
                } else if (zf_next(&zf, i, &e) != 0) {
                    goto out;
                }
                n = e - i;
                if (__builtin_expect(n == 0 || x[i] >= 0x20, 1)) { /* a value as it is */
                    if (n > recs_len - o) goto out;
                    copy_n(out + o, omem, x + i, xmem, n);
                    if (defleft) {
                        if (cols && e4_cols_rv(&cs, i) != 0) {
                            rc = NW_ENOMEM;
                            goto out;
                        }
                        defleft--;
                    }
                    o += n, i = e + 1;
                    break;
                }
                if (defleft) goto out; /* a run's values are plain */
                if (x[i] == 2) {
                    if (25 + n > recs_len - o || ts_text(&tt, ts[r], x + i + 1, n - 1, out + o) != 0)
                        goto out;
                    memcpy(out + o + 26, x + i + 1, n - 1);
                    o += 25 + n, i = e + 1;
                    break;
                }
                if (x[i] == 3 && n == 3) { /* its digits are not 0: e is the first 0 */
                    size_t idx = (size_t)(x[i + 1] - 1) * 255 + (size_t)(x[i + 2] - 1);
                    if (idx >= nruns || runs[idx].k > left) goto out;
                    rp = runs[idx].off;
                    rleft = runs[idx].k;
                    i = e + 1;
                    continue;
                }
                if (x[i] == 4 && n == 2) {
                    if (x[i + 1] > left || nruns >= TMPL_RUN_MAX) goto out;
                    if (runs == NULL && (runs = nw_alloc(TMPL_RUN_MAX * sizeof *runs)) == NULL) {
                        rc = NW_ENOMEM;
                        goto out;
                    }
                    runs[nruns].off = (uint32_t)(cols ? cs.nrv : e + 1);
                    runs[nruns++].k = x[i + 1];
                    defleft = x[i + 1];
                    i = e + 1;
                    continue;
                }
                goto out;
            }
            left--;
        }
        if (rleft || defleft || o >= recs_len) goto out;
        out[o++] = '\n';
        if (cols) i = si;
    }
    if (o != recs_len || i != (cols ? se : xe)) goto out;
    if (cols) {
        if (cs.used != cs.ncol) goto out;
        for (size_t c = 0; c < cs.ncol; c++)
            if (cs.col[c].cur != cs.col[c].end) goto out;
    }
    if (m != NULL && (m->k != m->n || m->ip != m->ie)) goto out;
    memcpy(out + o, x + xe, tsl);
    rc = 0;
out:
    if (cols) {
        nw_free(cs.col);
        nw_free(cs.map);
        nw_free(cs.rv);
    }
    nw_free(runs);
    nw_free(pl);
    nw_free(ts);
    return rc;
}

static int tmpl3_decode(const uint8_t *x, size_t xlen, uint8_t *out, size_t recs_len,
                        size_t raw_len, size_t nrec, struct merge *m, uint64_t base)
{
    return tmpl3_walk(x, xlen, out, recs_len, raw_len, nrec, m, base, 0);
}

/* IDENT4's bulk stream (x: C, then the timestamp bytes), as tmpl3_decode. */
static int tmpl4_decode(const uint8_t *x, size_t xlen, uint8_t *out, size_t recs_len,
                        size_t raw_len, size_t nrec, struct merge *m, uint64_t base)
{
    return tmpl3_walk(x, xlen, out, recs_len, raw_len, nrec, m, base, 1);
}

int nw__tmpl3_decode(const uint8_t *x, size_t xlen, uint8_t *out, size_t recs_len,
                     size_t raw_len, size_t nrec, uint64_t base)
{
    return tmpl3_decode(x, xlen, out, recs_len, raw_len, nrec, NULL, base);
}

int nw__tmpl4_decode(const uint8_t *x, size_t xlen, uint8_t *out, size_t recs_len,
                     size_t raw_len, size_t nrec, uint64_t base)
{
    return tmpl4_decode(x, xlen, out, recs_len, raw_len, nrec, NULL, base);
}

/* ---------------------------------------------------------- timestamps -- */

size_t nw__ts_encode(uint8_t *out, const uint64_t *ts, size_t n, uint64_t base)
{
    uint8_t *o = out;
    uint64_t prev = base;

    for (size_t i = 0; i < n; i++) {
        int64_t d = (int64_t)(ts[i] - prev);
        uint64_t z = ((uint64_t)d << 1) ^ (0 - ((uint64_t)d >> 63)); /* zigzag: late records */
        prev = ts[i];
        while (z >= 0x80) {
            *o++ = (uint8_t)(z | 0x80);
            z >>= 7;
        }
        *o++ = (uint8_t)z;
    }
    return (size_t)(o - out);
}

int nw__ts_decode(const uint8_t *p, size_t len, uint64_t *ts, size_t n, uint64_t base)
{
    size_t i = 0, k;
    uint64_t prev = base;

    for (k = 0; k < n; k++) {
        uint64_t z = 0;
        int shift = 0;
        for (;;) {
            if (i >= len || shift > 63) return NW_EFORMAT;
            z |= (uint64_t)(p[i] & 0x7f) << shift;
            shift += 7;
            if (!(p[i++] & 0x80)) break;
        }
        prev += (uint64_t)((int64_t)(z >> 1) ^ -(int64_t)(z & 1));
        ts[k] = prev;
    }
    return i == len ? 0 : NW_EFORMAT;
}

/* ---------------------------------------------------------------- walk -- */

/* Check one block at img[off..end). Returns its total length or 0 if bad. */
static size_t check_block(const uint8_t *img, size_t off, size_t end, struct blk_hdr *h)
{
    size_t total;

    if (end - off < BLK_HDR_LEN || nw__blk_hdr_decode(img + off, h) != 0) return 0;
    total = (size_t)BLK_HDR_LEN + h->filter_len + h->comp_len;
    if (end - off < total) return 0;
    if (!NW_HASH_OK(h->hash, nw__blk_hash(img + off, img + off + BLK_HDR_LEN, h->filter_len,
                                          img + off + BLK_HDR_LEN + h->filter_len, h->comp_len)))
        return 0;
    return total;
}

/*
 * Writes not yet synced can reach the disk out of order (XFS extends the size
 * when a later write completes; the earlier one then reads as zeros), so a
 * power loss can leave zeros where a block should be and valid blocks after
 * them. Zeros are not what an editor leaves who wants records gone (cutting
 * the file, which a crash does too, is simpler), nor what a failing disk
 * leaves in one byte: a run of 512 (a sector), or all of [from, to) when
 * shorter, counts as a crash's gap.
 */
int nw__seg_zero_gap(const uint8_t *img, size_t from, size_t to)
{
    size_t run = 0, need = to - from < 512 ? to - from : 512;

    if (to <= from) return 0;
    for (size_t p = from; p < to; p++) {
        run = img[p] ? 0 : run + 1;
        if (run >= need) return 1;
    }
    return 0;
}

size_t nw__seg_next_block(const uint8_t *img, size_t from, size_t end)
{
    static const uint8_t magic[4] = {BLK_MAGIC & 0xff, (BLK_MAGIC >> 8) & 0xff,
                                     (BLK_MAGIC >> 16) & 0xff, BLK_MAGIC >> 24};

    for (size_t p = from + 1; p + BLK_HDR_LEN <= end; p++) {
        const uint8_t *m = memmem(img + p, end - p, magic, 4);
        struct blk_hdr h;
        if (m == NULL) break;
        p = (size_t)(m - img);
        if (check_block(img, p, end, &h)) return p;
    }
    return 0;
}

int nw__seg_walk_mem(const uint8_t *img, size_t len, ZSTD_DCtx *dctx, struct seg_walk *w,
                     int (*on_block)(void *arg, const struct blk_hdr *h, const uint8_t *raw),
                     void *arg)
{
    size_t off = SEG_HDR_LEN, end = len;
    struct trailer t;
    uint8_t *raw = NULL;
    size_t rawcap = 0;
    int rc = 0;

    memset(w, 0, sizeof *w);
    w->min_ts = UINT64_MAX;
    if (len < SEG_HDR_LEN || nw__seg_hdr_decode(img, &w->hdr) != 0) return NW_EFORMAT;
    w->good_end = SEG_HDR_LEN;
    if (len >= SEG_HDR_LEN + TRAILER_LEN && nw__trailer_decode(img + len - TRAILER_LEN, &t) == 0 &&
        t.footer_off >= SEG_HDR_LEN && t.footer_off <= len - TRAILER_LEN &&
        NW_HASH_OK(t.footer_hash,
                   nw__store_hash64(img + t.footer_off, len - TRAILER_LEN - t.footer_off, 4))) {
        w->sealed = 1;
        end = (size_t)t.footer_off;
    }
    while (off < end) {
        struct blk_hdr h;
        size_t n = check_block(img, off, end, &h);
        if (n == 0) break;
        if (dctx) {
            if (h.raw_len > rawcap) {
                uint8_t *nr = nw_realloc(raw, h.raw_len);
                if (nr == NULL) {
                    rc = NW_ENOMEM;
                    goto out;
                }
                raw = nr;
                rawcap = h.raw_len;
            }
            int dr = nw__blk_decompress(dctx, &h, img + off + BLK_HDR_LEN + h.filter_len, raw);
            if (dr == NW_ENOMEM) { /* not damage: recovery must not cut good blocks for it */
                rc = NW_ENOMEM;
                goto out;
            }
            if (dr != 0) break;
        }
        if (on_block && on_block(arg, &h, dctx ? raw : NULL) != 0) break;
        w->nblocks++;
        w->nrec += h.nrec;
        if (h.min_ts < w->min_ts) w->min_ts = h.min_ts;
        if (h.max_ts > w->max_ts) w->max_ts = h.max_ts;
        off += n;
        w->good_end = off;
    }
    if (w->sealed && (off != end || w->nblocks != t.nblocks || w->nrec != t.nrec)) w->damaged = 1;
    /* Unsealed, a crash leaves a prefix of what was written, or zeros before
     * writes that landed out of order: a valid block after a bad one that is
     * not such a gap means damage, not a torn tail. */
    if (!w->sealed && off < end) {
        size_t nx = nw__seg_next_block(img, off, end);
        if (nx && !nw__seg_zero_gap(img, off, nx)) w->damaged = 1;
        w->after_gap = nx ? end - nx : 0;
    }
    if (w->damaged) w->damage_off = off;
    if (w->sealed && !w->damaged) { /* the footer: key directory, then one header per block */
        struct kdir kd;
        size_t flen = len - TRAILER_LEN - end;
        if (flen != (size_t)t.kdir_len + (size_t)t.nblocks * BLK_HDR_LEN ||
            (t.kdir_len && nw__kdir_decode(img + end, t.kdir_len, t.nblocks, &kd, NULL) != 0))
            w->damaged = 1;
    }
out:
    nw_free(raw);
    return rc;
}

/* ---------------------------------------------------------------- days -- */

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

void nw__day_name(uint32_t day, char out[16])
{
    int y;
    unsigned m, d;

    civil_from_days(day, &y, &m, &d);
    snprintf(out, 16, "%04u-%02u-%02u", (unsigned)y % 10000u, m % 100u, d % 100u);
}

int nw__day_parse(const char *s, uint32_t *day)
{
    uint64_t us;
    char buf[32];

    if (strlen(s) != 10) return NW_EFORMAT;
    snprintf(buf, sizeof buf, "%sT00:00:00Z", s);
    if (nw_json_parse_time(buf, strlen(buf), &us) != 0) return NW_EFORMAT;
    *day = (uint32_t)(us / 86400000000ull);
    return 0;
}
