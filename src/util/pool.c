/*
 * pool.c - fixed-size objects carved from large chunks.
 *
 * A flow or identity entry allocated by malloc lands anywhere in a heap of
 * tens of MB, so touching it on a packet costs a TLB miss and a page walk
 * (twice as deep in a VM) besides the cache miss; prefetching cannot hide
 * that well. A pool packs the objects into chunks whose 2 MiB-aligned
 * interior is advised for transparent huge pages: a handful of TLB entries
 * then cover the whole table.
 *
 * Chunks come from nw_alloc (accounted, fault-injectable), double from
 * 64 KiB up to 8 MiB, and are kept until nw_pool_fini: the owner's memcap
 * bounds its live objects, so the chunks stay bounded by the peak. Under
 * AddressSanitizer every object is its own nw_alloc by default (each_alone),
 * so that a use after free still trips it; unit tests clear the flag to
 * check the chunk path too.
 */
#include "nw/pool.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "nw/core.h"

/* sanitizer builds (CMake defines NW_POOL_PASSTHROUGH for them) allocate
 * objects one by one (each_alone) by default */
#if !defined(NW_POOL_PASSTHROUGH) && defined(__SANITIZE_ADDRESS__)
#define NW_POOL_PASSTHROUGH 1
#endif

#define FIRST_CHUNK (64u << 10)
#define MAX_CHUNK (8u << 20)
#define HUGE_PAGE (2u << 20)

struct nw_pool_chunk {
    struct nw_pool_chunk *next;
};

/* the chunk header keeps objects 16-byte aligned (nw_alloc's are) */
#define CHUNK_HDR ((sizeof(struct nw_pool_chunk) + 15) & ~(size_t)15)

void nw_hugepage_hint(void *ptr, size_t n)
{
#ifdef MADV_HUGEPAGE
    uintptr_t a = ((uintptr_t)ptr + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    uintptr_t e = ((uintptr_t)ptr + n) & ~(uintptr_t)(HUGE_PAGE - 1);

    if (ptr != NULL && e > a) (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)ptr;
    (void)n;
#endif
}

void nw_pool_init(struct nw_pool *p, size_t size)
{
    memset(p, 0, sizeof *p);
    p->size = (NW_MAX(size, sizeof(void *)) + 15) & ~(size_t)15;
    p->next_chunk = FIRST_CHUNK;
#ifdef NW_POOL_PASSTHROUGH
    p->each_alone = 1;
#endif
}

static int grow(struct nw_pool *p)
{
    size_t bytes = NW_MAX(p->next_chunk, CHUNK_HDR + p->size);
    struct nw_pool_chunk *c = nw_alloc(bytes);

    if (c == NULL) return NW_ENOMEM;
    c->next = p->chunks;
    p->chunks = c;
    p->chunk_bytes += bytes;
    p->cur = (char *)c + CHUNK_HDR;
    p->end = (char *)c + bytes;
    if (bytes >= 2 * HUGE_PAGE) nw_hugepage_hint(p->cur, (size_t)(p->end - p->cur));
    if (p->next_chunk < MAX_CHUNK) p->next_chunk *= 2;
    return 0;
}

void *nw_pool_alloc(struct nw_pool *p)
{
    void *obj;

    if (p->each_alone) return nw_calloc(1, p->size);
    if (p->free != NULL) {
        obj = p->free;
        memcpy(&p->free, obj, sizeof p->free);
    } else {
        if ((size_t)(p->end - p->cur) < p->size && grow(p) != 0) return NULL;
        obj = p->cur;
        p->cur += p->size;
    }
    memset(obj, 0, p->size);
    return obj;
}

void nw_pool_free(struct nw_pool *p, void *obj)
{
    if (obj == NULL) return;
    if (p->each_alone) {
        nw_free(obj);
        return;
    }
    memcpy(obj, &p->free, sizeof p->free);
    p->free = obj;
}

void nw_pool_fini(struct nw_pool *p)
{
    struct nw_pool_chunk *c, *next;

    for (c = p->chunks; c != NULL; c = next) {
        next = c->next;
        nw_free(c);
    }
    p->chunks = NULL;
    p->free = NULL;
    p->cur = p->end = NULL;
    p->chunk_bytes = 0;
    p->next_chunk = FIRST_CHUNK;
}
