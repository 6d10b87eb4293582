/*
 * fuzz_chresp.c - everything the ClickHouse sink and query parse from the
 * network or from users: error bodies (nw_ch_error_line), RowBinary result
 * streams fed in chunks (nw_ch_rowbin_feed), ClickHouse URLs
 * (nw_ch_url_parse), and record lines turned into rows (nw__ch_row_build,
 * which reads imported, possibly hostile JSON).
 * The first byte picks the target (low 2 bits) and the chunk size (the
 * rest + 1), so the resumable path of the RowBinary reader is exercised.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/output/ch_int.h"
#include "nw/clickhouse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_row(void *arg, const char *s, size_t sl, uint64_t seq, uint32_t idx,
                  const char *l, size_t ll)
{
    size_t *sum = arg;

    (void)seq;
    (void)idx;
    /* touch every byte so ASan checks the slices */
    for (size_t i = 0; i < sl; i++) *sum += (unsigned char)s[i];
    for (size_t i = 0; i < ll; i++) *sum += (unsigned char)l[i];
    return *sum == 0xdeadbeef; /* sometimes asks to stop */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy;
    uint8_t ctl;

    if (size < 1) return 0;
    ctl = data[0];
    data++;
    size--;
    copy = malloc(size ? size : 1); /* exact size: ASan sees overreads */
    if (copy == NULL) return 0;
    memcpy(copy, data, size);
    switch (ctl & 3) {
    case 0: {
        char out[300];
        size_t n = nw_ch_error_line(copy, size, out, sizeof out);
        if (n >= sizeof out || out[n] != '\0') abort();
        char tiny[2];
        nw_ch_error_line(copy, size, tiny, sizeof tiny);
        break;
    }
    case 1: {
        size_t chunk = (size_t)(ctl >> 2) + 1, sum = 0;
        struct nw_ch_rowbin r;
        memset(&r, 0, sizeof r);
        r.cap = 4096;
        r.buf = malloc(r.cap);
        r.on_row = on_row;
        r.arg = &sum;
        if (r.buf == NULL) break;
        for (size_t off = 0; off < size; off += chunk) {
            size_t n = size - off < chunk ? size - off : chunk;
            char *piece = malloc(n);
            if (piece == NULL) break;
            memcpy(piece, copy + off, n);
            int rc = nw_ch_rowbin_feed(&r, piece, n);
            free(piece);
            if (rc != 0) break;
        }
        free(r.buf);
        break;
    }
    case 2: {
        struct nw_ch_url u;
        struct nw_err e;
        char *s = malloc(size + 1);
        if (s == NULL) break;
        memcpy(s, copy, size);
        s[size] = '\0';
        nw_ch_url_parse(s, &u, &e);
        free(s);
        break;
    }
    default: {
        struct nw_buf b;
        uint64_t ts;
        nw_buf_init(&b, 1u << 22);
        nw__ch_row_build(&b, copy, size, "0123456789abcdef0123456789abcdef", 1, 2, &ts);
        nw_buf_fini(&b);
        break;
    }
    }
    free(copy);
    return 0;
}
