/*
 * defrag.c - IPv4 and IPv6 fragment reassembly.
 *
 * Trains are keyed on (family, src, dst, id, protocol) and kept in a hash
 * with an age-ordered list for timeouts (30 s) and memcap eviction (oldest
 * first). Overlaps keep the first data received ("first" policy) and count an
 * anomaly when the overlapping bytes differ, which is the signature of
 * evasion attempts. A datagram is limited to 65535 bytes and 512 fragments.
 * The reassembled datagram lives in one buffer reused for the next one.
 */
#include <string.h>

#include "decode_int.h"
#include "nw/core.h"

#define NBUCKETS 1024
#define MAX_DGRAM 65535u
#define MAX_FRAGS 512
#define TIMEOUT_US (30u * 1000000u)

struct frag {
    struct frag *next;
    uint32_t off, len;
    uint8_t data[];
};

struct train {
    struct nw_frag_key key;
    struct train *hnext;           /* hash chain */
    struct train *older, *newer;   /* age list */
    struct frag *frags;            /* sorted by offset, non-overlapping */
    uint64_t first_ts;
    uint32_t total;                /* datagram length once the last fragment is seen */
    uint32_t nfrags;
    uint64_t wire;                 /* frame bytes of all fragments */
    size_t bytes;                  /* charged to the memcap */
};

struct nw_defrag {
    struct train *buckets[NBUCKETS];
    struct train *oldest, *newest;
    size_t memcap, used;
    uint8_t *out;                  /* reassembled datagram */
    size_t outcap;
};

struct nw_defrag *nw__defrag_new(size_t memcap)
{
    struct nw_defrag *df = nw_calloc(1, sizeof *df);

    if (df != NULL) df->memcap = memcap;
    return df;
}

static uint32_t key_hash(const struct nw_frag_key *k)
{
    uint32_t h = 2166136261u ^ k->id ^ ((uint32_t)k->proto << 24);
    const uint8_t *b = k->src;

    for (int i = 0; i < 16; i++) h = (h ^ b[i]) * 16777619u;
    b = k->dst;
    for (int i = 0; i < 16; i++) h = (h ^ b[i]) * 16777619u;
    return h & (NBUCKETS - 1);
}

static int key_eq(const struct nw_frag_key *a, const struct nw_frag_key *b)
{
    return a->family == b->family && a->proto == b->proto && a->id == b->id &&
           memcmp(a->src, b->src, 16) == 0 && memcmp(a->dst, b->dst, 16) == 0;
}

static void train_free(struct nw_defrag *df, struct train *t)
{
    struct train **pp = &df->buckets[key_hash(&t->key)];

    while (*pp != NULL && *pp != t) pp = &(*pp)->hnext;
    if (*pp == t) *pp = t->hnext;
    if (t->older) t->older->newer = t->newer;
    else df->oldest = t->newer;
    if (t->newer) t->newer->older = t->older;
    else df->newest = t->older;
    for (struct frag *f = t->frags, *n; f != NULL; f = n) {
        n = f->next;
        nw_free(f);
    }
    df->used -= t->bytes;
    nw_free(t);
}

void nw__defrag_free(struct nw_defrag *df)
{
    if (df == NULL) return;
    while (df->oldest) train_free(df, df->oldest);
    nw_free(df->out);
    nw_free(df);
}

void nw__defrag_expire(struct nw_decoder *d, uint64_t now_us)
{
    struct nw_defrag *df = d->defrag;

    while (df->oldest && (now_us == UINT64_MAX || df->oldest->first_ts + TIMEOUT_US < now_us)) {
        nw__anomaly(d, NW_ANOM_FRAG_TIMEOUT);
        train_free(df, df->oldest);
    }
}

/* Make room for n more bytes by evicting the oldest trains (not `keep`). */
static int reserve(struct nw_decoder *d, size_t n, struct train *keep)
{
    struct nw_defrag *df = d->defrag;

    while (df->used + n > df->memcap) {
        struct train *victim = df->oldest;
        if (victim != NULL && victim == keep) victim = victim->newer;
        if (victim == NULL) return 0;
        nw__anomaly(d, NW_ANOM_FRAG_MEMCAP);
        train_free(df, victim);
    }
    return 1;
}

static struct train *train_get(struct nw_decoder *d, const struct nw_frag_key *k, uint64_t ts)
{
    struct nw_defrag *df = d->defrag;
    uint32_t h = key_hash(k);
    struct train *t;

    for (t = df->buckets[h]; t != NULL; t = t->hnext)
        if (key_eq(&t->key, k)) return t;
    if (!reserve(d, sizeof *t, NULL)) return NULL;
    t = nw_calloc(1, sizeof *t);
    if (t == NULL) {
        nw__anomaly(d, NW_ANOM_FRAG_MEMCAP);
        return NULL;
    }
    t->key = *k;
    t->first_ts = ts;
    t->bytes = sizeof *t;
    df->used += t->bytes;
    t->hnext = df->buckets[h];
    df->buckets[h] = t;
    t->older = df->newest;
    if (df->newest) df->newest->newer = t;
    else df->oldest = t;
    df->newest = t;
    return t;
}

/* Insert data[from, to) of a fragment at offset base before *pp. */
static int insert_piece(struct nw_decoder *d, struct train *t, struct frag **pp, uint32_t base,
                        const uint8_t *data, uint32_t from, uint32_t to)
{
    size_t sz = sizeof(struct frag) + (to - from);
    struct frag *f;

    if (t->nfrags >= MAX_FRAGS) {
        nw__anomaly(d, NW_ANOM_FRAG_BAD);
        return 0;
    }
    if (!reserve(d, sz, t) || (f = nw_alloc(sz)) == NULL) {
        nw__anomaly(d, NW_ANOM_FRAG_MEMCAP);
        return 0;
    }
    f->off = from;
    f->len = to - from;
    memcpy(f->data, data + (from - base), to - from);
    f->next = *pp;
    *pp = f;
    t->nfrags++;
    t->bytes += sz;
    d->defrag->used += sz;
    return 1;
}

int nw__defrag_add(struct nw_decoder *d, const struct nw_frag_key *k, struct nw_pkt *pkt,
                   uint32_t offset, int more, const uint8_t *p, size_t len,
                   const uint8_t **out, size_t *outlen)
{
    struct nw_defrag *df = d->defrag;
    struct train *t;
    struct frag **pp;
    uint32_t end, cur;

    if (len == 0 && more) return 0;
    if (offset + len > MAX_DGRAM || (more && len % 8 != 0)) {
        nw__anomaly(d, NW_ANOM_FRAG_BAD);
        return 0;
    }
    t = train_get(d, k, pkt->ts_us);
    if (t == NULL) return 0;
    t->wire += pkt->wire_len;
    end = offset + (uint32_t)len;
    if (!more) {
        if ((t->total && t->total != end) || end < offset) {
            nw__anomaly(d, NW_ANOM_FRAG_BAD);
            train_free(df, t);
            return 0;
        }
        t->total = end;
    }
    /* fill only the holes this fragment covers; first data wins */
    cur = offset;
    for (pp = &t->frags; *pp != NULL && cur < end; pp = &(*pp)->next) {
        struct frag *e = *pp;
        uint32_t eend = e->off + e->len;
        if (eend <= cur) continue;
        if (e->off > cur) {
            uint32_t to = NW_MIN(e->off, end);
            if (!insert_piece(d, t, pp, offset, p, cur, to)) return 0;
            pp = &(*pp)->next; /* now at e again */
            cur = to;
        }
        if (cur < end && e->off < end) {
            uint32_t a = NW_MAX(cur, e->off), b = NW_MIN(end, eend);
            if (a < b && memcmp(e->data + (a - e->off), p + (a - offset), b - a) != 0)
                nw__anomaly(d, NW_ANOM_FRAG_OVERLAP);
            cur = NW_MAX(cur, eend);
        }
    }
    if (cur < end && !insert_piece(d, t, pp, offset, p, cur, end)) return 0;

    /* complete when the pieces cover [0, total) without a hole */
    if (t->total == 0) return 0;
    cur = 0;
    for (struct frag *f = t->frags; f != NULL; f = f->next) {
        if (f->off != cur) return 0;
        cur += f->len;
    }
    if (cur < t->total) return 0;
    if (cur > t->total) {
        nw__anomaly(d, NW_ANOM_FRAG_BAD);
        train_free(df, t);
        return 0;
    }
    if (df->outcap < t->total) {
        uint8_t *nb = nw_realloc(df->out, MAX_DGRAM);
        if (nb == NULL) {
            nw__anomaly(d, NW_ANOM_FRAG_MEMCAP);
            train_free(df, t);
            return 0;
        }
        df->out = nb;
        df->outcap = MAX_DGRAM;
    }
    for (struct frag *f = t->frags; f != NULL; f = f->next) memcpy(df->out + f->off, f->data, f->len);
    *out = df->out;
    *outlen = t->total;
    pkt->wire_len = (uint32_t)NW_MIN(t->wire, UINT32_MAX);
    train_free(df, t);
    d->stats.reassembled++;
    return 1;
}
