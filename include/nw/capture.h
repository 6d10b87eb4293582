/*
 * capture.h - packet sources: pcap/pcapng files and live interfaces, both
 * through libpcap. A source delivers frames with their link type; read
 * errors say which file and at which byte offset the input went bad.
 */
#ifndef NW_CAPTURE_H
#define NW_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "nw/core.h"

struct nw_capture;

struct nw_frame {
    uint64_t ts_us;
    const uint8_t *data;
    uint32_t caplen;
    uint32_t wire_len;
};

/* Open a capture file. Caller frees with nw_capture_close(). */
int nw_capture_open_file(struct nw_capture **cap, const char *path, struct nw_err *err);
/* Open a live interface (promiscuous, snaplen 262144). */
int nw_capture_open_live(struct nw_capture **cap, const char *iface, struct nw_err *err);
int nw_capture_linktype(const struct nw_capture *cap);
/*
 * Live: make the source non-blocking and return a descriptor to poll(2) for
 * it (POLLIN: frames may be ready), so that one thread serves several
 * interfaces; nw_capture_next then returns 2 at once when none is ready.
 * <0 with err set when the source cannot be waited on.
 */
int nw_capture_pollable(struct nw_capture *cap, struct nw_err *err);
/* Keep only the frames a BPF expression (tcpdump's syntax) accepts; NULL or
 * "" = all. 0, or NW_EINVAL with err naming the expression and the fault. */
int nw_capture_set_filter(struct nw_capture *cap, const char *expr, struct nw_err *err);
/*
 * Next frame: 1 = frame in *f (valid until the next call), 2 = live
 * timeout with no frame (run timers), 0 = end of input (or interrupted by
 * nw_capture_break), <0 = error, detail in err (names the file and byte
 * offset).
 */
int nw_capture_next(struct nw_capture *cap, struct nw_frame *f, struct nw_err *err);
/*
 * Up to max frames at once, all valid until the next call: returns n >= 1,
 * or 0 when there is no batch to give (end of file, an error to report, or
 * a source read one frame at a time): nw_capture_next then goes on from
 * there and says which. Only classic pcap files read directly batch.
 */
int nw_capture_next_batch(struct nw_capture *cap, struct nw_frame *f, int max);
/* Bytes consumed so far and the file size (0 for live). */
uint64_t nw_capture_offset(const struct nw_capture *cap);
uint64_t nw_capture_size(const struct nw_capture *cap);
/* Live: the kernel's counts since the source opened (all 0 for files). */
struct nw_capture_stats {
    uint64_t received;  /* frames that passed the filter */
    uint64_t dropped;   /* lost for want of buffer space (the audit fell behind) */
    uint64_t ifdropped; /* dropped by the interface or its driver */
};
void nw_capture_get_stats(const struct nw_capture *cap, struct nw_capture_stats *st);
/*
 * Frames of several live sources in timestamp order (src/capture/merge.c):
 * for a TAP that gives each direction of a link on its own interface. n
 * sources, each queued in `bytes` of copies; a frame is given out once no
 * source still capturing can bring an older one, or once it is delay_us
 * old. NULL: bad arguments or no memory.
 */
struct nw_merge;
struct nw_merge *nw_merge_new(int n, size_t bytes, uint64_t delay_us);
void nw_merge_free(struct nw_merge *m);
/* Copy frame f of source k in. 0, or NW_ELIMIT: k's queue is full (its
 * frames are then given out without waiting; read k again after). */
int nw_merge_push(struct nw_merge *m, int k, const struct nw_frame *f);
/*
 * The next frame due at now_us (UINT64_MAX: every frame is due, at the
 * end): 1 with *f (valid until the next push) and its source in *src, 0
 * when none is due. waiting[k] != 0: source k is capturing, so while its
 * queue is empty it may still bring an older frame.
 */
int nw_merge_next(struct nw_merge *m, uint64_t now_us, const int *waiting, struct nw_frame *f,
                  int *src);

/* Safe from a signal handler: makes the capture loop return 0 soon. */
void nw_capture_break(struct nw_capture *cap);
void nw_capture_close(struct nw_capture *cap);

#endif
