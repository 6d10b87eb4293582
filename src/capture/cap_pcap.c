/*
 * cap_pcap.c - the libpcap packet source, for files (pcap and pcapng, any
 * timestamp precision; libpcap scales to microseconds) and live interfaces.
 *
 * For files we remember the byte offset before each record so that a
 * truncated or corrupt file is reported as "FILE: ... at byte N", which is
 * what an administrator needs to cut the good part out with editcap.
 *
 * Classic pcap files in host byte order (the common case: tcpdump, dumpcap
 * -P) are opened and validated by libpcap, then their records are read here
 * straight from a 384 KiB buffer: libpcap copies each record once more from
 * its stdio stream, which was ~10 % of `audit`'s time on a large file. Any
 * record this path does not take as is (bigger than the snapshot length,
 * cut off at the end of the file) is handed back to libpcap, which
 * continues from that record's offset and reports or fixes it its own way.
 */
#include "nw/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nw/decode.h"

/* Each refill copies a buffer's worth that the records are then read from:
 * 384 KiB stays in the 512 KiB L2 until read (of 1 MiB, the first half had
 * left it, and the header reads missed). It must hold the largest record. */
#define CAP_IOBUF (384u << 10)
#define PCAP_MAX_CAPLEN 262144u /* libpcap's limit for every link type we decode */
_Static_assert(CAP_IOBUF >= 16u + PCAP_MAX_CAPLEN, "the fast reader holds a whole record");

struct nw_capture {
    pcap_t *p;
    FILE *fp;               /* libpcap's stream, for offsets (files only) */
    char *iobuf;            /* fp's buffer, or the fast reader's; freed after pcap_close */
    int fast;               /* records read here from iobuf, not by libpcap */
    int nsec;               /* fast: nanosecond timestamps */
    uint32_t snap;          /* fast: libpcap's snapshot length */
    size_t rd, fill;        /* fast: iobuf[rd, fill) holds file bytes from offset */
    char name[256];
    uint64_t size;
    uint64_t offset;        /* start of the record being read */
    int pcapng;             /* pcapng: offsets come from ftell (block sizes are not exposed) */
    uint64_t packets;
    int live;
    int filtered;           /* prog is set: libpcap applies it, and fast_next too */
    struct bpf_program prog;
    volatile sig_atomic_t stop;
};

static const char *supported_links =
    "EN10MB (Ethernet), LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL, LOOP";

static int check_linktype(struct nw_capture *c, struct nw_err *err)
{
    int dlt = pcap_datalink(c->p);
    const char *name = pcap_datalink_val_to_name(dlt);

    if (nw_decode_linktype_supported(dlt)) return 0;
    return nw_err_set(err, NW_ENOTSUP,
                      "%s: link type %d%s%s%s is not supported; supported link types: %s",
                      c->name, dlt, name ? " (" : "", name ? name : "", name ? ")" : "",
                      supported_links);
}

int nw_capture_open_file(struct nw_capture **out, const char *path, struct nw_err *err)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    struct nw_capture *c;
    struct stat st;
    FILE *fp;
    int rc;

    *out = NULL;
    c = nw_calloc(1, sizeof *c);
    if (c == NULL) return nw_err_set(err, NW_ENOMEM, "out of memory opening %s", path);
    c->iobuf = nw_alloc(CAP_IOBUF);
    fp = fopen(path, "rb");
    if (fp == NULL) {
        rc = nw_err_set(err, errno == ENOENT ? NW_ENOENT : NW_EIO,
                        "cannot open capture %s: %s; check the path and permissions", path,
                        strerror(errno));
        goto fail;
    }
    if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(fp);
        rc = nw_err_set(err, NW_EINVAL, "%s is a directory; give a pcap or pcapng file", path);
        goto fail;
    }
    snprintf(c->name, sizeof c->name, "%s", path);
    c->size = (uint64_t)st.st_size;
    {
        uint8_t h[24] = {0};
        uint32_t magic;
        uint16_t major, minor;
        size_t got = fread(h, 1, sizeof h, fp);
        memcpy(&magic, h, 4);
        memcpy(&major, h + 4, 2);
        memcpy(&minor, h + 6, 2);
        c->pcapng = got >= 4 && memcmp(h, "\x0a\x0d\x0d\x0a", 4) == 0;
        c->fast = got == sizeof h && S_ISREG(st.st_mode) && c->iobuf != NULL &&
                  (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du) && major == 2 && minor == 4;
        c->nsec = magic == 0xa1b23c4du;
        rewind(fp);
    }
    /* libpcap reads through this stream a record at a time: without the fast
     * reader, a 384 KiB buffer instead of glibc's 4 KiB cuts the read() calls
     * 96-fold (glibc ignores the size unless it is given the buffer) */
    if (!c->fast && c->iobuf) setvbuf(fp, c->iobuf, _IOFBF, CAP_IOBUF);
    c->p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
    if (c->p == NULL) {
        fclose(fp);
        if (c->size < 24 || strstr(ebuf, "truncated") != NULL)
            rc = nw_err_set(err, NW_ETRUNC,
                            "%s: file too short for a pcap or pcapng header (%llu bytes; "
                            "libpcap: %s); the file is empty or was cut off",
                            path, (unsigned long long)c->size, ebuf);
        else
            rc = nw_err_set(err, NW_EFORMAT,
                            "%s: not a pcap or pcapng file (libpcap: %s); give a capture "
                            "written by tcpdump, tshark or dumpcap",
                            path, ebuf);
        goto fail;
    }
    c->fp = pcap_file(c->p);
    c->offset = c->fp ? (uint64_t)ftell(c->fp) : 0;
    if (c->fast && (pcap_is_swapped(c->p) || c->offset != 24 || pcap_snapshot(c->p) <= 0))
        c->fast = 0;
    c->snap = c->fast ? (uint32_t)pcap_snapshot(c->p) : 0;
    if ((rc = check_linktype(c, err)) != 0) {
        nw_capture_close(c);
        return rc;
    }
    *out = c;
    return 0;
fail:
    nw_free(c->iobuf);
    nw_free(c);
    return rc;
}

int nw_capture_open_live(struct nw_capture **out, const char *iface, struct nw_err *err)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    struct nw_capture *c;
    int rc;

    *out = NULL;
    c = nw_calloc(1, sizeof *c);
    if (c == NULL) return nw_err_set(err, NW_ENOMEM, "out of memory opening %s", iface);
    snprintf(c->name, sizeof c->name, "%s", iface);
    c->live = 1;
    c->p = pcap_create(iface, ebuf);
    if (c->p == NULL) {
        nw_free(c);
        return nw_err_set(err, NW_EIO, "cannot open interface %s: %s", iface, ebuf);
    }
    pcap_set_snaplen(c->p, 262144);
    pcap_set_promisc(c->p, 1);
    pcap_set_timeout(c->p, 200);
    pcap_set_buffer_size(c->p, 32 << 20);
    rc = pcap_activate(c->p);
    if (rc < 0) {
        rc = nw_err_set(err, NW_EIO,
                        "cannot capture on %s: %s; check the interface name (ip link) and that "
                        "netwarden runs as root or with CAP_NET_RAW",
                        iface, pcap_geterr(c->p));
        nw_capture_close(c);
        return rc;
    }
    if ((rc = check_linktype(c, err)) != 0) {
        nw_capture_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

int nw_capture_linktype(const struct nw_capture *c) { return pcap_datalink(c->p); }

int nw_capture_pollable(struct nw_capture *c, struct nw_err *err)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    int fd = pcap_get_selectable_fd(c->p);

    if (fd < 0 || pcap_setnonblock(c->p, 1, ebuf) != 0)
        return nw_err_set(err, NW_EIO, "cannot wait on %s with other interfaces: %s", c->name,
                          ebuf[0] ? ebuf : "no selectable descriptor");
    return fd;
}

int nw_capture_set_filter(struct nw_capture *c, const char *expr, struct nw_err *err)
{
    if (expr == NULL || expr[0] == '\0') return 0;
    if (pcap_compile(c->p, &c->prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0)
        return nw_err_set(err, NW_EINVAL, "capture filter '%s' on %s: %s; the syntax is "
                          "tcpdump's (man 7 pcap-filter)", expr, c->name, pcap_geterr(c->p));
    c->filtered = 1;
    if (pcap_setfilter(c->p, &c->prog) != 0) /* live: in the kernel; files read by libpcap */
        return nw_err_set(err, NW_EIO, "cannot set capture filter '%s' on %s: %s", expr,
                          c->name, pcap_geterr(c->p));
    return 0;
}

/*
 * The fast reader: 1 = a record in *f, 0 = end of file, -1 = hand over to
 * libpcap at c->offset (a record to fix or reject, or a read error), 2 = the
 * next record needs a refill, which !refill forbids (it would move the
 * frames already handed out).
 */
static int fast_next(struct nw_capture *c, struct nw_frame *f, int refill)
{
    for (;;) {
        size_t avail = c->fill - c->rd;
        uint32_t hdr[4];
        ssize_t n;

        if (avail >= 16) {
            memcpy(hdr, c->iobuf + c->rd, 16);
            if (hdr[2] > c->snap || hdr[2] > PCAP_MAX_CAPLEN) return -1;
            if (16u + hdr[2] <= avail) {
                f->ts_us = (uint64_t)hdr[0] * 1000000u + (c->nsec ? hdr[1] / 1000u : hdr[1]);
                f->data = (const uint8_t *)c->iobuf + c->rd + 16;
                f->caplen = hdr[2];
                f->wire_len = hdr[3] < hdr[2] ? hdr[2] : hdr[3];
                c->offset += 16u + hdr[2];
                c->rd += 16u + hdr[2];
                c->packets++;
                if (c->filtered) { /* what libpcap's pcap_next_ex would have skipped */
                    struct pcap_pkthdr ph;
                    ph.ts.tv_sec = (time_t)hdr[0];
                    ph.ts.tv_usec = (suseconds_t)(c->nsec ? hdr[1] / 1000u : hdr[1]);
                    ph.caplen = hdr[2];
                    ph.len = hdr[3];
                    if (pcap_offline_filter(&c->prog, &ph, f->data) == 0) continue;
                }
                return 1;
            }
        }
        /* refill: keep the partial record, read behind it */
        if (!refill) return 2;
        if (c->rd > 0) {
            memmove(c->iobuf, c->iobuf + c->rd, avail);
            c->rd = 0;
            c->fill = avail;
        }
        n = pread(fileno(c->fp), c->iobuf + c->fill, CAP_IOBUF - c->fill,
                  (off_t)(c->offset + c->fill));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return n == 0 && avail == 0 ? 0 : -1;
        c->fill += (size_t)n;
    }
}

int nw_capture_next(struct nw_capture *c, struct nw_frame *f, struct nw_err *err)
{
    struct pcap_pkthdr *h;
    const u_char *data;

    if (c->fast && !c->stop) {
        int rc = fast_next(c, f, 1);
        if (rc >= 0) return rc;
        /* libpcap takes over at this record, for the rest of the file */
        c->fast = 0;
        if (fseek(c->fp, (long)c->offset, SEEK_SET) != 0)
            return nw_err_set(err, NW_EIO,
                              "%s: cannot seek back to byte %llu to read the rest: %s; was the "
                              "file replaced or cut while being read?",
                              c->name, (unsigned long long)c->offset, strerror(errno));
    }
    for (;;) {
        int rc;
        if (c->stop) return 0;
        /* classic pcap records are a 16-byte header plus caplen bytes, so the
         * offset is tracked by arithmetic: ftell costs a system call per packet */
        if (c->fp && c->pcapng) c->offset = (uint64_t)ftell(c->fp);
        rc = pcap_next_ex(c->p, &h, &data);
        if (rc == 1) break;
        if (rc == 0) { /* live timeout: let the caller run timers */
            f->data = NULL;
            f->caplen = 0;
            return 2;
        }
        if (rc == PCAP_ERROR_BREAK) return 0;
        if (c->live)
            return nw_err_set(err, NW_EIO, "capture on %s failed: %s", c->name,
                              pcap_geterr(c->p));
        return nw_err_set(err, NW_ETRUNC,
                          "%s: capture damaged or cut off at byte %llu, after packet %llu "
                          "(libpcap: %s); the records of the packets before it were written",
                          c->name, (unsigned long long)c->offset,
                          (unsigned long long)c->packets, pcap_geterr(c->p));
    }
    c->packets++;
    if (c->fp && !c->pcapng) c->offset += 16u + h->caplen;
    f->ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
    f->data = data;
    f->caplen = h->caplen;
    f->wire_len = h->len < h->caplen ? h->caplen : h->len;
    return 1;
}

int nw_capture_next_batch(struct nw_capture *c, struct nw_frame *f, int max)
{
    int n = 0;

    if (!c->fast || c->stop || max < 1 || fast_next(c, &f[0], 1) != 1) return 0;
    for (n = 1; n < max && fast_next(c, &f[n], 0) == 1; n++) continue;
    return n;
}

uint64_t nw_capture_offset(const struct nw_capture *c)
{
    if (c->fast) return c->offset;
    return c->fp ? (uint64_t)ftell(c->fp) : 0;
}
uint64_t nw_capture_size(const struct nw_capture *c) { return c->size; }

void nw_capture_get_stats(const struct nw_capture *c, struct nw_capture_stats *st)
{
    struct pcap_stat ps;

    memset(st, 0, sizeof *st);
    if (!c->live || pcap_stats(c->p, &ps) != 0) return;
    st->received = ps.ps_recv;
    st->dropped = ps.ps_drop;
    st->ifdropped = ps.ps_ifdrop;
}

void nw_capture_break(struct nw_capture *c)
{
    c->stop = 1;
    pcap_breakloop(c->p);
}

void nw_capture_close(struct nw_capture *c)
{
    if (c == NULL) return;
    if (c->filtered) pcap_freecode(&c->prog);
    if (c->p) pcap_close(c->p); /* also closes the FILE */
    nw_free(c->iobuf);
    nw_free(c);
}
