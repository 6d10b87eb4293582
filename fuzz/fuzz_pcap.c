/*
 * fuzz_pcap.c - capture files: the input is written to a temporary file and
 * read with the same code as `netwarden audit -r` (libpcap pcap/pcapng
 * reader, netwarden's classic-pcap reader and its batches, link-type check,
 * error offsets), then decoded by the engine with the look-ahead prefetch.
 * The file is read twice, a frame at a time and in batches: both must give
 * the same frames and end the same way.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "nw/capture.h"
#include "nw/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int null_write(void *self, const char *type, const char *line, size_t len)
{
    (void)self, (void)type, (void)line, (void)len;
    return 0;
}

static uint64_t mix(uint64_t h, const struct nw_frame *f)
{
    h = (h ^ f->ts_us) * 1099511628211ull;
    h = (h ^ ((uint64_t)f->caplen << 32 | f->wire_len)) * 1099511628211ull;
    for (uint32_t i = 0; i < f->caplen; i++) h = (h ^ f->data[i]) * 1099511628211ull;
    return h;
}

/* Read path one frame at a time, or (batch) as `audit` does; the frames'
 * digest, their count and the final return code. */
static uint64_t read_all(const char *path, struct nw_engine *e, int batch, long *n, int *end)
{
    struct nw_capture *cap;
    struct nw_frame f, fb[64];
    struct nw_err err;
    uint64_t h = 14695981039346656037ull;
    long limit = 100000; /* bounded even if a reader loops */
    int rc = 0, k;

    *n = 0;
    *end = nw_capture_open_file(&cap, path, &err);
    if (*end != 0) return h;
    if (e != NULL) nw_engine_set_linktype(e, nw_capture_linktype(cap));
    while (batch && limit > 0 && (k = nw_capture_next_batch(cap, fb, limit < 64 ? (int)limit : 64)) > 0) {
        struct nw_engine_ahead a[64];
        for (int i = 0; i < k; i++) {
            h = mix(h, &fb[i]);
            if (e != NULL) nw_engine_prefetch(e, fb[i].data, fb[i].caplen, &a[i]);
        }
        for (int i = 0; i < k; i++) {
            if (e == NULL) continue;
            nw_engine_prefetch_more(e, &a[i], 1);
            nw_engine_prefetch_more(e, &a[i], 2);
            nw_engine_packet(e, fb[i].ts_us, fb[i].data, fb[i].caplen, fb[i].wire_len);
        }
        *n += k;
        limit -= k;
    }
    while (limit-- > 0 && (rc = nw_capture_next(cap, &f, &err)) == 1) {
        h = mix(h, &f);
        if (e != NULL) nw_engine_packet(e, f.ts_us, f.data, f.caplen, f.wire_len);
        (*n)++;
    }
    *end = limit < 0 ? 1 : rc;
    nw_capture_close(cap);
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/nw-fuzz-pcap-XXXXXX";
    struct nw_engine_config cfg;
    struct nw_output out;
    struct nw_sink sink = {.name = "null", .write = null_write};
    struct nw_engine *e;
    int fd = mkstemp(path), end1, end2;
    long n1, n2;
    uint64_t h1, h2;

    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    nw_output_init(&out);
    nw_output_add_sink(&out, &sink);
    nw_engine_config_defaults(&cfg);
    e = nw_engine_new(&cfg, &out, NULL);
    h1 = read_all(path, NULL, 0, &n1, &end1);
    h2 = read_all(path, e, 1, &n2, &end2);
    if (h1 != h2 || n1 != n2 || end1 != end2) abort(); /* batches differ from single frames */
    if (e != NULL) {
        nw_engine_finish(e);
        nw_engine_free(e);
    }
    nw_output_fini(&out);
    unlink(path);
    return 0;
}
