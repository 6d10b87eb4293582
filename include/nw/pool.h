/*
 * pool.h - fixed-size objects carved from large chunks (src/util/pool.c).
 *
 * For tables of many small objects touched in random order on every packet
 * (flows, identity entries): packed into chunks that the kernel may back
 * with huge pages, a few TLB entries cover them all.
 */
#ifndef NW_POOL_H
#define NW_POOL_H

#include <stddef.h>

struct nw_pool_chunk;

struct nw_pool {
    size_t size;                  /* object size, rounded up to 16 */
    void *free;                   /* freed objects, linked through their first word */
    char *cur, *end;              /* unused tail of the newest chunk */
    struct nw_pool_chunk *chunks; /* every chunk, newest first */
    size_t next_chunk;            /* bytes of the next chunk (doubles up to a bound) */
    size_t chunk_bytes;           /* bytes held in chunks */
    int each_alone;               /* 1: each object is its own nw_alloc (the
                                     default under AddressSanitizer) */
};

/* An empty pool of objects of size bytes (size > 0). Allocates nothing.
 * each_alone may be changed only while the pool holds no object. */
void nw_pool_init(struct nw_pool *p, size_t size);
/* A zeroed object, or NULL when no memory (nw_alloc failed). */
void *nw_pool_alloc(struct nw_pool *p);
/* Return obj (from this pool; NULL is ignored) for reuse. */
void nw_pool_free(struct nw_pool *p, void *obj);
/* Release every chunk: every object of the pool becomes invalid. */
void nw_pool_fini(struct nw_pool *p);

/* Advise the kernel to back the 2 MiB-aligned interior of [ptr, ptr+n) with
 * transparent huge pages (a hint: no effect when small or unsupported). */
void nw_hugepage_hint(void *ptr, size_t n);

#endif /* NW_POOL_H */
