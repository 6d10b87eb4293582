/*
 * netprobe.h - internal helpers shared by the network probes of
 * src/inspect (I2): the bridge from the framework's target to the
 * scanner's, banner classification, and small JSON fact helpers.
 */
#ifndef NW_SRC_INSPECT_NETPROBE_H
#define NW_SRC_INSPECT_NETPROBE_H

#include <signal.h>

#include "nw/inspect.h"
#include "nw/scan.h"

/*
 * Fill st from the framework's target (address bytes, no resolution).
 * Returns 0, or NW_EINVAL when it has no usable address.
 */
int nw__netprobe_target(const struct nw_inspect_target *it, struct nw_scan_target *st);

/* Index of port in it->open_ports, or -1. */
long nw__netprobe_open_idx(const struct nw_inspect_target *it, uint16_t port);

/* The banner text the scan grabbed for port ("" if none). */
const char *nw__netprobe_banner(const struct nw_inspect_target *it, uint16_t port);

/*
 * Printable copy of wire bytes into out (cap >= 4): printable ASCII kept,
 * CR/LF/TAB and everything else as \r \n \t \xNN, cut at cap-1 bytes with
 * "..." when it does not fit. Returns out.
 */
char *nw__netprobe_printable(const uint8_t *p, size_t len, char *out, size_t cap);

/* Connect timeout for one probe connection, from the settings (default 2000 ms). */
unsigned nw__netprobe_timeout(const struct nw_probe_req *req);

/*
 * Ports named by parameter `name` (a list of "22" / "8000-8100" items, or one
 * scalar "22,80,8000-8100") into bm (a 65536-bit bitmap the caller clears).
 * Returns how many ports, 0 when the parameter is absent, or NW_EINVAL with
 * res set to error naming the bad item.
 */
int nw__netprobe_ports_param(const struct nw_probe_req *req, const char *name, uint64_t bm[1024],
                             struct nw_probe_res *res);
static inline int nw__bm_has(const uint64_t *bm, uint16_t p)
{
    return (bm[p >> 6] >> (p & 63)) & 1;
}

/*
 * Hold SIGPIPE off the calling thread while a probe writes to peers that may
 * have closed (OpenSSL writes without MSG_NOSIGNAL); release drops a SIGPIPE
 * raised meanwhile and restores the mask. Pair them in the same thread.
 */
struct nw__sigpipe {
    sigset_t old;
    int pending_before;
};
void nw__netprobe_sigpipe_hold(struct nw__sigpipe *s);
void nw__netprobe_sigpipe_release(struct nw__sigpipe *s);

#endif
