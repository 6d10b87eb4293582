/*
 * netprobe.h - internal helpers shared by the network probes of
 * src/inspect (I2): the bridge from the framework's target to the
 * scanner's, banner classification, and small JSON fact helpers.
 */
#ifndef NW_SRC_INSPECT_NETPROBE_H
#define NW_SRC_INSPECT_NETPROBE_H

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

#endif
