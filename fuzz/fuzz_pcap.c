/*
 * fuzz_pcap.c - capture files: the input is written to a temporary file and
 * read with the same code as `netwarden audit -r` (libpcap pcap/pcapng
 * reader, link-type check, error offsets), then decoded by the engine.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/nw-fuzz-pcap-XXXXXX";
    struct nw_engine_config cfg;
    struct nw_output out;
    struct nw_sink sink = {"null", null_write, NULL, NULL, NULL};
    struct nw_capture *cap;
    struct nw_engine *e;
    struct nw_frame f;
    struct nw_err err;
    int fd = mkstemp(path), rc;

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
    if (e != NULL && nw_capture_open_file(&cap, path, &err) == 0) {
        int limit = 100000; /* bounded even if a reader loops */
        nw_engine_set_linktype(e, nw_capture_linktype(cap));
        while (limit-- > 0 && (rc = nw_capture_next(cap, &f, &err)) == 1)
            nw_engine_packet(e, f.ts_us, f.data, f.caplen, f.wire_len);
        nw_capture_close(cap);
    }
    if (e != NULL) {
        nw_engine_finish(e);
        nw_engine_free(e);
    }
    nw_output_fini(&out);
    unlink(path);
    return 0;
}
