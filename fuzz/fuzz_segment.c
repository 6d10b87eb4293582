/*
 * fuzz_segment.c - the segment reader on arbitrary bytes: the in-memory
 * walker used by recovery and verify (every block decompressed), and the
 * file reader of nw_store_scan (sealed footer path and active block walk,
 * with and without key filters, whole blocks and identity frames alone:
 * only_types), over a store holding the input as its one segment. Neither
 * may read out of bounds, loop without bound or crash. Every block encoding
 * is reached through nw__blk_decompress; the enc 4 decoder (columns:
 * tmpl4_decode) from the seeds sealed-enc4 and active-enc4, whose frames the
 * fuzzer mutates behind disabled hash checks (NW_FUZZING). A lookup of a
 * session.ip key (who's session pass) goes through the sealed footer's key
 * directory (nw__kdir_decode, the binary search, the blocks it names) from
 * the seed sealed-keydir, and with an address it does not hold. A scan with
 * a must_contain needle looks in the frames first (nw__blk_may_hold: the
 * enc 4 skeleton walk and column search).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/store/store_int.h"
#include "nw/store.h"
#include "store_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], seg[160];
static ZSTD_DCtx *dctx;

static int on_rec(void *arg, const char *line, size_t len, uint64_t ts)
{
    size_t *n = arg;
    (void)ts;
    if (len) *n += (unsigned char)line[0] + (unsigned char)line[len - 1]; /* touch both ends */
    return 0;
}

static void setup(void)
{
    char p[128];

    fuzz_store_dir(dir, sizeof dir, "seg");
    snprintf(p, sizeof p, "%s/2026-01-10", dir);
    mkdir(p, 0700);
    snprintf(seg, sizeof seg, "%s/000000000001.nws", p);
    dctx = ZSTD_createDCtx();
}

/*
 * The enc 4 bulk stream decoder on its own too (behind zstd frames the
 * fuzzer rarely gets a mutated stream through): an input starting with
 * "NWC4" is nrec, recs_len and the timestamp bytes' count (u32 each, bounded
 * here), then the stream (seed stream-enc4, a real block's bulk frame).
 */
static void stream4(const uint8_t *d, size_t n)
{
    size_t nrec, recs, tsl;
    uint8_t *x, *out;

    if (n < 16 || memcmp(d, "NWC4", 4) != 0) return;
    nrec = le32_get(d + 4) % 65536 + 1;
    recs = le32_get(d + 8) % (4u << 20);
    tsl = le32_get(d + 12) % (4u << 20);
    x = malloc(n - 16 + 1);
    out = malloc(recs + tsl + 1);
    if (x != NULL && out != NULL) {
        memcpy(x, d + 16, n - 16); /* exact size: ASan sees overreads */
        (void)nw__tmpl4_decode(x, n - 16, out, recs, recs + tsl, nrec, 1768003200000000ull);
    }
    free(x);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *img = malloc(size ? size : 1); /* exact size: ASan sees overreads */
    struct seg_walk w;
    struct nw_store_scan q;
    struct nw_err err;
    const char *g[] = {"type:dns", "ip:10.0.0.1", NULL};
    const char *const *groups[] = {g};
    const char *s1[] = {"session.ip:10.1.0.3", "session.ip:10.1.0.250", NULL};
    const char *s2[] = {"ip:10.1.0.3", NULL};
    const char *const *sgroups[] = {s1, s2};
    static const char *const idents[] = {"session", "alarm", NULL};
    size_t sum = 0;
    int fd;

    if (img == NULL) return 0;
    if (dctx == NULL) setup();
    stream4(data, size);
    memcpy(img, data, size);
    nw__seg_walk_mem(img, size, dctx, &w, NULL, NULL);
    nw__seg_walk_mem(img, size, NULL, &w, NULL, NULL);
    fd = open(seg, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
        if (write(fd, img, size) != (ssize_t)size) { /* scan what was written */
        }
        close(fd);
        memset(&q, 0, sizeof q);
        q.until_us = UINT64_MAX;
        q.on_record = on_rec;
        q.arg = &sum;
        nw_store_scan(dir, &q, NULL, &err);
        q.must_contain = "/login"; /* looked for in the frames before any expansion */
        nw_store_scan(dir, &q, NULL, &err);
        q.must_contain = NULL;
        q.only_types = idents; /* enc 2: the identity frames alone */
        nw_store_scan(dir, &q, NULL, &err);
        q.groups = groups;
        q.ngroups = 1;
        q.since_us = 1768003200000000ull;
        nw_store_scan(dir, &q, NULL, &err);
        q.only_types = NULL;
        nw_store_scan(dir, &q, NULL, &err);
        q.groups = sgroups; /* the key directory: with and without only_types */
        q.ngroups = 2;
        nw_store_scan(dir, &q, NULL, &err);
        q.only_types = idents;
        nw_store_scan(dir, &q, NULL, &err);
    }
    free(img);
    return 0;
}
