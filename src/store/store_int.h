/*
 * store_int.h - on-disk structures and helpers shared inside src/store.
 * The format is described in docs/internals/store.md; every multi-byte
 * integer on disk is little-endian; every structure carries a 64-bit hash
 * (nw__store_hash64) so a torn or flipped byte is detected before use.
 */
#ifndef NW_STORE_STORE_INT_H
#define NW_STORE_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <zstd.h>

#include "nw/core.h"
#include "nw/store.h"

#define SEG_MAGIC "NWSEG001"  /* segment header, 8 bytes */
#define SEAL_MAGIC "NWSEAL01" /* trailer, 8 bytes */
#define BLK_MAGIC 0x4b42574eu /* "NWBK" little-endian */
#define SEG_HDR_LEN 64
#define BLK_HDR_LEN 64
#define TRAILER_LEN 64
#define SEG_VERSION 1
#define BLOOM_K 5
#define BLOOM_BITS_PER_KEY 7
#define BLOOM_MIN_BITS 512u
#define BLOOM_MAX_BITS (1u << 23)
#define BLOCK_MAX_RAW (64u << 20)   /* reader's bound on one block's raw size */
#define BLOCK_MAX_COMP (80u << 20)
#define BLOCK_MAX_RECS (1u << 22)
#define FOOTER_MAX (256u << 20)
#define STORE_ID_LEN 16
#define KEY_MAX 600                 /* index keys longer than this are not indexed */

/* Segment header: 64 bytes at offset 0. */
struct seg_hdr {
    uint64_t seq;        /* store-wide sequence number, also the file name */
    uint32_t day;        /* UTC days since 1970-01-01 */
    uint32_t version;
    uint64_t created_us;
    uint8_t store_id[STORE_ID_LEN];
};

/*
 * Block header: 64 bytes, then filter_len bytes of bloom filter, then
 * comp_len bytes of zstd frame (raw = the records each followed by '\n'
 * (recs_len bytes), then nrec timestamps as zigzag varint deltas, the first
 * from min_ts). hash covers header bytes 0..55 + filter + frame.
 */
struct blk_hdr {
    uint32_t comp_len;
    uint32_t raw_len;
    uint32_t nrec;
    uint32_t filter_len; /* bytes; bits = 8 * filter_len, a multiple of 64 */
    uint32_t recs_len;   /* raw bytes of records; timestamps follow */
    uint64_t min_ts, max_ts;
    uint64_t first_rec;  /* ordinal of the first record in the segment */
    uint32_t xlen;       /* TMPL/IDENT: bytes the (bulk) frame decompresses to (else 0) */
    uint32_t enc;        /* BLK_ENC_PLAIN, _TMPL or _IDENT (header bytes 48..55) */
    uint64_t hash;       /* over the header (0..55), filter and frame */
};

/*
 * Frame encodings. PLAIN: the frame is the raw bytes. TMPL: the frame holds
 * the records split into templates (the record with every JSON value
 * replaced by 0x01, string quotes kept) and values; nw__blk_decompress
 * expands it back to the raw bytes, so readers see no difference. Stream:
 * per record one byte: 0 = the record verbatim through its '\n';
 * 0xff = a new template follows (u16 length, bytes; it gets the next id,
 * 1..254) and is used by this record; 1..254 = template id. A templated
 * record continues with its values, each followed by 0x00. After nrec
 * records: the timestamp bytes, verbatim.
 */
#define BLK_ENC_PLAIN 0u
#define BLK_ENC_TMPL 1u
#define BLK_ENC_IDENT 2u
#define BLK_ENC_IDENT3 3u /* as IDENT; both streams with value codes (below) */
#define BLK_ENC_IDENT4 4u /* as IDENT3; the bulk stream's tokens in columns (below) */
#define BLK_ENC_HAS_IDENT(e) ((e) == BLK_ENC_IDENT || (e) == BLK_ENC_IDENT3 || (e) == BLK_ENC_IDENT4)
#define BLK_ENC_CODED(e) ((e) == BLK_ENC_IDENT3 || (e) == BLK_ENC_IDENT4) /* value codes */
#define TMPL_MAX 254       /* templates per block */
#define TMPL_MAX_LEN 2048  /* longer skeletons: the record is kept verbatim */

/*
 * IDENT (docs/internals/store.md): the frame area (comp_len bytes) is a
 * 32-byte identity directory, the identity frame (ident.comp bytes, none
 * when the block holds no identity record), then the bulk frame. The bulk
 * frame is a TMPL stream of the other records followed by the timestamps of
 * ALL nrec records; the records of identity types (session, alarm, maintenance)
 * sit in the identity frame, which decompresses to: their TMPL stream, their
 * own timestamps (ident.tslen bytes, zigzag deltas from min_ts), their
 * ordinals in the block (ident.poslen bytes of varints: the first ordinal,
 * then each gap - 1) and one class byte each (IDENT_CLASS_*). Directory:
 * comp, xlen, nrec, recs (bytes of the identity records, '\n' included),
 * tslen, poslen (u32 each), hash u64 over header bytes 0..55, directory
 * bytes 0..23 and the identity frame, so the frame is checked on its own.
 */
#define IDENT_DIR_LEN 32
/* class 0: event_type not named (escaped, repeated, absent); every identity scan wants it */
#define IDENT_CLASS_ANY 0
#define IDENT_CLASS_MAX 3 /* classes 1..3: nw__ident_class() */
#define IDENT_CLASS_SESSION 1 /* session; a session.ip key comes only with it or class 0 */

struct blk_ident {
    uint32_t comp, xlen, nrec, recs, tslen, poslen;
    uint64_t hash;
};

/* Class 1..IDENT_CLASS_MAX of an identity event type (name without quotes, raw bytes), else 0. */
int nw__ident_class(const char *type, size_t n);
void nw__ident_dir_encode(uint8_t out[IDENT_DIR_LEN], const struct blk_ident *d);
/* Decode and bound a directory against its block header. 0 or NW_EFORMAT. */
int nw__ident_dir_decode(const uint8_t in[IDENT_DIR_LEN], const struct blk_hdr *h,
                         struct blk_ident *d);
uint64_t nw__ident_hash(const struct blk_hdr *h, const uint8_t dir[IDENT_DIR_LEN],
                        const uint8_t *frame, size_t n);
/*
 * Decode only the identity frame of an IDENT block: area = the directory
 * followed by the frame (IDENT_DIR_LEN + d->comp bytes, checked against
 * d->hash). out gets d->recs bytes of records ('\n'-terminated) then
 * d->tslen bytes of their timestamps; cls gets d->nrec class bytes.
 * 0, NW_EFORMAT or NW_ENOMEM.
 */
int nw__blk_ident_decompress(ZSTD_DCtx *dctx, const struct blk_hdr *h, const uint8_t *area,
                             const struct blk_ident *d, uint8_t *out, uint8_t *cls);

/*
 * Where a record's JSON values are: pairs [begin, end) of byte offsets, in
 * order (strings without their quotes; numbers and true/false/null). over is
 * set when cap was too small (the record is then stored verbatim).
 */
struct nw__spans {
    uint32_t *v;
    size_t n, cap;
    int over;
    /* the record's type keys (event_type members of at most 64 bytes; one
     * expected) and the identity class of the last (nw__ident_class) */
    unsigned ntype;
    int tcls;
};

/*
 * Per-block template table of the writer. nw__tmpl_add appends one
 * validated record (len bytes without '\n', its value spans) to out at
 * offset o and returns the new offset; out must have len + TMPL_MAX_LEN + 32
 * bytes of room there. nw__tmpl_reset starts a new block.
 */
struct tmpl_run;
struct nw__shape_tmpl;
struct tmpl_enc {
    struct {
        uint64_t h;
        uint32_t off; /* the template's bytes: out + off */
        uint16_t len;
        uint8_t id;   /* 0 = empty slot */
        uint8_t rk;   /* IDENT3: values in the template's run (0: none), from slot rb */
        uint16_t rb;
        uint64_t key; /* IDENT3: the nw__shape_tmpl key last found equal (0: none) */
    } tab[512];
    unsigned ntmpl;
    /* IDENT3 only (nw__tmpl3_add): the block's runs, allocated on first use */
    struct tmpl_run *rt;
    unsigned nrun;
    struct {                  /* the last timestamp elided: its minute, checked once */
        uint8_t pre[16], suf[6];
        size_t n;             /* 0: empty */
        uint64_t base;        /* µs of pre's minute (UTC) */
    } tc;
};
/*
 * The root member "user" of template sk/s when it is an object written
 * compactly ("user":{ at depth 1) and closed: its value slots [b, e), the
 * offset of its '{' (obj) and of its first value byte 0x01 (first; SIZE_MAX
 * when it has none). 1 if found. Both the IDENT3 runs and the writer's key
 * groups are this object.
 */
struct nw__uobj {
    size_t b, e, obj, first;
};
int nw__tmpl_user_obj(const uint8_t *sk, size_t s, struct nw__uobj *u);
void nw__tmpl_reset(struct tmpl_enc *te);
void nw__tmpl_fini(struct tmpl_enc *te); /* frees the run table; te is then reset */
size_t nw__tmpl_add(struct tmpl_enc *te, uint8_t *out, size_t o, const char *rec, size_t len,
                    const struct nw__spans *sp);
/* nw__tmpl_add for a record whose template sk[0..s) (hash h = nw__store_hash64(sk, s, 5))
 * is already known: the same output, without building it. */
size_t nw__tmpl_add_known(struct tmpl_enc *te, uint8_t *out, size_t o, const char *rec,
                          size_t len, const struct nw__spans *sp, const uint8_t *sk, size_t s,
                          uint64_t h);

/*
 * IDENT3 (docs/internals/store.md): the record with its timestamp ts (µs),
 * as nw__tmpl_add / nw__tmpl_add_known (known NULL or known->sk NULL: the
 * template is built from the spans) but with value codes: a value equal to the record's timestamp
 * as nw__ts_fmt writes it becomes 0x02 + its offset suffix; the values of
 * the template's run (the root member "user"'s object) a reference 0x03 d1
 * d2 to the same values earlier in the block, or 0x04 k before them the
 * first time. out needs len + TMPL_MAX_LEN + 32 bytes of room at o.
 */
size_t nw__tmpl3_add(struct tmpl_enc *te, uint8_t *out, size_t o, const char *rec, size_t len,
                     const struct nw__spans *sp, const struct nw__shape_tmpl *known, uint64_t ts);
#define TMPL_RUN_MAX 4096 /* runs per stream and block */

/*
 * Format ts (µs, UTC) as local time "YYYY-MM-DDTHH:MM:SS.ffffff" (26 bytes)
 * in the offset of suffix suf/sn ("Z" or "+HH:MM"/"-HH:MM"). 0, or -1 when
 * the suffix is not one of those or the local year is outside 0..9999.
 */
int nw__ts_fmt(uint64_t ts, const uint8_t *suf, size_t sn, uint8_t out[26]);

/* nw__tmpl_decode for an IDENT3 stream: x ends with the nrec timestamps (deltas from base). */
int nw__tmpl3_decode(const uint8_t *x, size_t xlen, uint8_t *out, size_t recs_len,
                     size_t raw_len, size_t nrec, uint64_t base);
/* The same for an IDENT4 bulk stream (nw__enc4_encode's output, then the timestamps). */
int nw__tmpl4_decode(const uint8_t *x, size_t xlen, uint8_t *out, size_t recs_len,
                     size_t raw_len, size_t nrec, uint64_t base);

/*
 * IDENT4 (docs/internals/store.md): the bulk frame is the IDENT3 bulk stream
 * with its tokens (0x00-terminated values and codes) transposed into
 * columns, one per template and token ordinal, then the timestamp bytes.
 * nw__enc4_encode transposes the IDENT3 stream r[0..rn) of nrec records
 * (no timestamp bytes) into out (cap bytes; ENC4_ROOM(rn) is enough) with
 * the scratch sc (nw__enc4_new; one per writer, not thread-safe; NULL: a
 * one-off scratch, slower) and returns
 * the bytes written, or 0 when it does not fit (more than ENC4_COL_MAX
 * columns, no memory, not a valid stream): the caller then writes IDENT3.
 * The reader is nw__blk_decompress (store_format.c: tmpl4_decode).
 */
#define ENC4_COL_MAX 65534 /* columns per bulk stream (ids + 1 fit 16 bits) */
#define ENC4_ROOM(rn) ((rn) + 5 * ((size_t)ENC4_COL_MAX + 1) + 4) /* out: enough */
struct nw__enc4;
struct nw__enc4 *nw__enc4_new(void); /* NULL: out of memory; free with nw__enc4_free */
void nw__enc4_free(struct nw__enc4 *sc);
size_t nw__enc4_encode(struct nw__enc4 *sc, const uint8_t *r, size_t rn, size_t nrec,
                       uint8_t *out, size_t cap);

/* Expand x[0..xlen) into out (exactly raw_len bytes, recs_len of records). 0 or NW_EFORMAT. */
int nw__tmpl_decode(const uint8_t *x, size_t xlen, uint8_t *out, size_t recs_len, size_t raw_len,
                    size_t nrec);

/* Trailer: the last 64 bytes of a sealed segment. */
struct trailer {
    uint64_t footer_off; /* footer = [key directory] + a copy of every block's 64-byte header */
    uint32_t nblocks;
    uint32_t kdir_len;   /* bytes 20..23: the key directory's length (0: none; older writers) */
    uint64_t footer_hash;
    uint64_t nrec;
    uint64_t min_ts, max_ts;
};

/*
 * Key directory (docs/internals/store.md): the first kdir_len bytes of a
 * sealed segment's footer, so covered by the footer hash and the file's
 * SHA-256. Every "session.ip:" key of the segment's blocks with the index
 * of each block holding it, so that a lookup of such a key reads this
 * instead of every block's filter. Layout: "NWKD", classes u32 (bit 0:
 * KDIR_SESSION_IP), n u32, reserved u32 (0), then n entries of key hash
 * u64 (nw__key_hash of the key text) and block u32, sorted by (hash,
 * block), no two equal. A reader uses it only for the classes it knows.
 */
#define KDIR_MAGIC "NWKD"
#define KDIR_HDR_LEN 16
#define KDIR_ENT_LEN 12
#define KDIR_SESSION_IP 1u
#define KDIR_SESSION_PREFIX "session.ip:"
#define KDIR_MAX_ENTS (FOOTER_MAX / KDIR_ENT_LEN)
struct kdir {
    const uint8_t *ent; /* n entries of KDIR_ENT_LEN bytes */
    uint32_t n, classes;
};
/* Check p[0..len) as the key directory of a segment of nblocks blocks:
 * length, magic, order, block indexes. 0 or NW_EFORMAT (what in *why). */
int nw__kdir_decode(const uint8_t *p, size_t len, uint32_t nblocks, struct kdir *kd,
                    const char **why);
/* The index of the first entry with key hash h (kd->n: none). */
uint32_t nw__kdir_find(const struct kdir *kd, uint64_t h);
/* entry i's key hash and block: nw__kdir_hash, nw__kdir_block (below the le*_get helpers) */

/*
 * Hash comparisons. Fuzz builds (NW_FUZZING) accept any stored hash so the
 * fuzzer reaches the decoding behind the checks instead of stopping at them.
 */
#ifdef NW_FUZZING
#define NW_HASH_OK(stored, computed) ((void)(stored), (void)(computed), 1)
#define NW_DIGEST_OK(a, b, n) ((void)(a), (void)(b), (void)(n), 1)
#else
#define NW_HASH_OK(stored, computed) ((stored) == (computed))
#define NW_DIGEST_OK(a, b, n) (memcmp((a), (b), (n)) == 0)
#endif

static inline void le32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}
static inline void le64_put(uint8_t *p, uint64_t v)
{
    le32_put(p, (uint32_t)v);
    le32_put(p + 4, (uint32_t)(v >> 32));
}
static inline uint32_t le32_get(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t le64_get(const uint8_t *p)
{
    return (uint64_t)le32_get(p) | (uint64_t)le32_get(p + 4) << 32;
}

static inline uint64_t nw__kdir_hash(const struct kdir *kd, uint32_t i)
{
    return le64_get(kd->ent + (size_t)i * KDIR_ENT_LEN);
}
static inline uint32_t nw__kdir_block(const struct kdir *kd, uint32_t i)
{
    return le32_get(kd->ent + (size_t)i * KDIR_ENT_LEN + 8);
}

/* store_format.c */
uint64_t nw__store_hash64(const void *p, size_t len, uint64_t seed);
void nw__seg_hdr_encode(uint8_t out[SEG_HDR_LEN], const struct seg_hdr *h);
int nw__seg_hdr_decode(const uint8_t in[SEG_HDR_LEN], struct seg_hdr *h);
/* Encode a block header; hash must already be computed with nw__blk_hash. */
void nw__blk_hdr_encode(uint8_t out[BLK_HDR_LEN], const struct blk_hdr *h);
/* Decode and sanity-check bounds (not the hash). 0 or NW_EFORMAT. */
int nw__blk_hdr_decode(const uint8_t in[BLK_HDR_LEN], struct blk_hdr *h);
uint64_t nw__blk_hash(const uint8_t hdr[BLK_HDR_LEN], const uint8_t *filter, size_t flen,
                      const uint8_t *comp, size_t clen);
void nw__trailer_encode(uint8_t out[TRAILER_LEN], const struct trailer *t);
int nw__trailer_decode(const uint8_t in[TRAILER_LEN], struct trailer *t);

/* Timestamps of a block: zigzag varint deltas. encode returns bytes (<= 10 n). */
size_t nw__ts_encode(uint8_t *out, const uint64_t *ts, size_t n, uint64_t base);
int nw__ts_decode(const uint8_t *p, size_t len, uint64_t *ts, size_t n, uint64_t base);

/* Bloom filter over 64-bit key hashes; bits is a multiple of 64. */
uint64_t nw__key_hash(const char *key, size_t len);
uint64_t nw__bloom_salt(uint64_t h, uint64_t salt); /* salt = the block's min_ts */
void nw__bloom_add(uint8_t *f, uint32_t bits, uint64_t h);
int nw__bloom_may(const uint8_t *f, uint32_t bits, uint64_t h);
uint32_t nw__bloom_bits_for(size_t nkeys);

/*
 * Decompress a block frame (either encoding) and check its layout: raw holds
 * nrec '\n'-terminated records (recs_len bytes), then the timestamps. out
 * must hold raw_len bytes. Returns 0, NW_EFORMAT, or NW_ENOMEM (template
 * blocks need a scratch buffer; not a sign of damage).
 */
int nw__blk_decompress(ZSTD_DCtx *dctx, const struct blk_hdr *h, const uint8_t *comp,
                       uint8_t *out);
/* The same with an identity block's bulk frame already decompressed (xpre: h->xlen bytes,
 * as nw__blk_may_hold leaves it; NULL: decompress it here). */
int nw__blk_decompress_x(ZSTD_DCtx *dctx, const struct blk_hdr *h, const uint8_t *comp,
                         const uint8_t *xpre, uint8_t *out);

/*
 * May a record of block h (hash already checked; comp: its frames) hold the
 * bytes nd[0..nlen) in its text, or a backslash (escaped text hides any
 * literal)? Only the frames are decompressed (into *buf, grown to fit), not
 * expanded to JSON lines. Valid for a needle with no JSON punctuation, white
 * space or control byte and not made of timestamp characters alone (the
 * caller's check): an occurrence then lies inside one value or one template
 * piece, both kept as written. 0 = no record does; 1 = one may, and *buf
 * holds the bulk frame decompressed (h->xlen bytes: nw__blk_decompress_x);
 * 2 = one may, nothing kept (not an identity-frame block, a frame that does
 * not decompress: the full decode says what is wrong); NW_ENOMEM.
 */
int nw__blk_may_hold(ZSTD_DCtx *dctx, const struct blk_hdr *h, const uint8_t *comp,
                     const uint8_t *nd, size_t nlen, uint8_t **buf, size_t *cap);

/*
 * Walk the blocks of a segment image in memory (fuzz harness, recovery,
 * verify). With dctx, every block is also decompressed and checked and
 * on_block (may be NULL) gets its raw bytes (NULL without dctx); it is called for every block that passes its checks, in order.
 * *good_end gets the offset just past the last good block (where a torn tail
 * starts); *sealed is set when a valid trailer/footer closes the image.
 * Returns 0 when the image is well-formed up to good_end (a torn tail is
 * not an error), NW_EFORMAT for a bad header.
 */
struct seg_walk {
    struct seg_hdr hdr;
    uint64_t good_end;
    uint64_t nblocks, nrec;
    uint64_t min_ts, max_ts;
    int sealed;
    /* sealed: a block or the footer fails; unsealed: a block fails and a valid
     * one follows (a crash tears only the tail), so it is not a torn write */
    int damaged;
    uint64_t damage_off; /* damaged: where the walk stopped */
    uint64_t after_gap;  /* unsealed, not damaged: bytes from the first valid block past
                          * a zero gap to the end (written out of order before a crash) */
};
/* The offset of the first valid block that starts after from, or 0. */
size_t nw__seg_next_block(const uint8_t *img, size_t from, size_t end);
/* 1: [from, to) holds the zeros a power loss leaves (512 in a row, or all). */
int nw__seg_zero_gap(const uint8_t *img, size_t from, size_t to);
int nw__seg_walk_mem(const uint8_t *img, size_t len, ZSTD_DCtx *dctx, struct seg_walk *w,
                     int (*on_block)(void *arg, const struct blk_hdr *h, const uint8_t *raw),
                     void *arg);

/*
 * store_index.c: validate a record (one line: a '\n' anywhere fails it),
 * derive its timestamp and keys (fed to on_key, see nw_store_index_keys)
 * and, with sp, note where its values are. 0, NW_EFORMAT or NW_ENOENT.
 */
int nw__index_record(const char *line, size_t len, uint64_t *ts_us,
                     void (*on_key)(void *arg, const char *key, size_t keylen), void *arg,
                     struct nw__spans *sp);

/*
 * The writer's form of nw__index_record: the same result, the same keys in
 * the same order (delivered as their nw__key_hash, from a cache of the keys
 * of recent values) and the same spans, but records of a shape seen before
 * (the trie sh, store_index.c) are checked against that shape instead of
 * parsed. t gets the record's block template (the bytes nw__tmpl_add would
 * build, and their hash) when its shape is known and the template fits;
 * t->sk is NULL otherwise. t->sk stays valid until the next call. sp is
 * required. Not thread-safe: one sh per writer.
 */
struct nw__shapes;
struct nw__shape_tmpl {
    const uint8_t *sk;
    size_t len;
    uint64_t h;
    uint64_t key; /* with sk: names this template until the trie starts over (never 0) */
};
struct nw__shapes *nw__shapes_new(void); /* NULL: out of memory; free with nw__shapes_free */
void nw__shapes_free(struct nw__shapes *sh);
void nw__shapes_reset(struct nw__shapes *sh); /* forget every shape (tests, fuzzing) */
/*
 * Key groups (store_index.c): the keys of the root member "user"'s object,
 * the same n hashes in every record with the same group id (an id names one
 * text and is never reused). With on_group set, the shape path delivers a
 * group either as its n hashes in h (instead of n on_hash calls), or, h
 * NULL, as a call right after the n on_hash calls that were the group; arg
 * is nw__index_record_shaped's. Without it: on_hash only (the same keys, the
 * same order).
 */
void nw__shapes_on_group(struct nw__shapes *sh,
                         void (*on_group)(void *arg, uint64_t id, const uint64_t *h, unsigned n));
/* Records that followed a known shape (and, in *misses, those that took the full pass). */
uint64_t nw__shapes_hits(const struct nw__shapes *sh, uint64_t *misses);
int nw__index_record_shaped(struct nw__shapes *sh, const char *line, size_t len, uint64_t *ts_us,
                            void (*on_hash)(void *arg, uint64_t h), void *arg,
                            struct nw__spans *sp, struct nw__shape_tmpl *t);

/* store_chain.c */
struct chain_entry {
    char kind[8];           /* "open", "seg", "bad", "expire" */
    uint64_t seq;           /* open/seg/bad */
    uint32_t day;
    uint64_t size;          /* seg/bad: file bytes */
    uint64_t nrec;          /* seg: records; expire: segments deleted */
    uint64_t min_ts, max_ts;
    uint64_t off;           /* bad: where the damage starts */
    uint8_t sha[32];        /* seg/bad: SHA-256 of the file */
    uint8_t chain[32];      /* hash of this line chained to the previous */
    int has_sig;
    uint8_t sig[64];
    size_t line_no;
};
struct chain {
    struct chain_entry *e;
    size_t n, cap;
    uint8_t head[32]; /* chain value after the last entry */
    uint64_t good_len; /* bytes of the file that parsed (torn tail beyond) */
};
int nw__chain_genesis(const char *dir, uint8_t out[32], uint8_t store_id[STORE_ID_LEN],
                      struct nw_err *err);
/* Read DIR/chain. strict: fail on any bad line (verify) vs stop at a torn tail (writer). */
int nw__chain_load(const char *dir, struct chain *c, int strict, struct nw_err *err);
void nw__chain_free(struct chain *c);
/* Append one entry (fills e->chain, signs with sk if not NULL), fsyncs when sync. */
/* Has the segment that chain entry i ("open") opened been sealed, kept as
 * found damaged ("bad") or expired with its day since? */
int nw__chain_closed(const struct chain *c, size_t i);
int nw__chain_append(int fd, struct chain *c, struct chain_entry *e, const uint8_t *sk, int sync,
                     struct nw_err *err);
/* SHA-256 of the first size bytes of fd: 0, NW_ENOMEM, or NW_EIO (errno set). */
int nw__sha256_file(int fd, uint64_t size, uint8_t out[32]);
int nw__load_secret_key(const char *path, uint8_t sk[64], struct nw_err *err);

/* day number <-> "YYYY-MM-DD" */
void nw__day_name(uint32_t day, char out[16]);
int nw__day_parse(const char *s, uint32_t *day);

#endif /* NW_STORE_STORE_INT_H */
