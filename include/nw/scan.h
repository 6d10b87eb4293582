/*
 * scan.h - asynchronous TCP connect scanner and single-connection service
 * exchanges for `netwarden inspect --targets`.
 *
 * The scanner opens non-blocking connects to every (target, port) pair,
 * thousands at a time, watched by one epoll set per worker thread. An attempt
 * ends as open (the handshake completed), closed (RST: ECONNREFUSED),
 * unreachable (ICMP or neighbour failure) or timed out; a timed-out attempt is
 * retried `retries` times, then the port counts as filtered. A token bucket
 * bounds connection attempts per second, and max_total_ms bounds the run
 * (targets not finished in time are reported PARTIAL with what was found).
 *
 * Only the addresses in the target array are ever contacted, and when a scope
 * is given the scanner itself refuses targets outside it (defence in depth:
 * the inspect framework checks scope first). Nothing here resolves names
 * except nw_scan_target_set, which the caller uses before the run.
 *
 * Thread-safety: nw_scan_run uses worker threads internally but is not
 * reentrant on the same target array; distinct arrays may be scanned from
 * different threads. nw_scan_exchange is thread-safe.
 */
#ifndef NW_SCAN_H
#define NW_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "nw/core.h"

enum nw_scan_status {
    NW_SCAN_PENDING = 0,     /* not scanned yet */
    NW_SCAN_DONE = 1,        /* every port answered or was retried to the end */
    NW_SCAN_PARTIAL = 2,     /* stopped by max_total_ms or cancel: open list incomplete */
    NW_SCAN_UNREACHABLE = 3, /* host/network unreachable, or no answer at all */
    NW_SCAN_REFUSED = 4,     /* outside the scope: never contacted */
    NW_SCAN_ERROR = 5        /* local failure (resources); why says what */
};

#define NW_SCAN_BANNER_MAX 512

/* First bytes one open port sent: unprompted, or after our HTTP probe. */
struct nw_scan_banner {
    uint16_t port;
    uint16_t len;   /* bytes in data (0 = the service stayed silent) */
    uint8_t probed; /* 1 = answered our "GET / HTTP/1.0" probe, 0 = spoke first */
    uint8_t data[NW_SCAN_BANNER_MAX];
};

/* One address to scan and what was found. Initialise with nw_scan_target_set,
 * release with nw_scan_target_fini. */
struct nw_scan_target {
    /* input */
    char host[256];               /* as the user wrote it (for messages) */
    struct sockaddr_storage addr; /* port field ignored */
    socklen_t addrlen;
    int family;                   /* AF_INET or AF_INET6 */
    /* output of nw_scan_run */
    int status;                   /* enum nw_scan_status */
    char why[256];                /* reason for UNREACHABLE/REFUSED/ERROR/PARTIAL */
    uint16_t *open;               /* sorted open ports, owned (nw_free) */
    size_t n_open;
    struct nw_scan_banner *banners; /* one per open port when opts.banners, sorted by port */
    size_t n_banners;
    uint32_t n_closed;            /* ports that answered RST */
    uint32_t n_filtered;          /* ports with no answer after the retries */
    uint64_t attempts;            /* connect() calls, retries included */
    uint64_t elapsed_us;          /* wall time this target was being scanned */
};

/* An allowed network (scope entry). */
struct nw_scan_cidr {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    unsigned bits;
};

struct nw_scan_opts {
    const uint16_t *ports;   /* ports to try; NULL = 1-65535 */
    size_t n_ports;
    unsigned max_inflight;   /* connects in flight, all threads; 0 = from the fd limit */
    unsigned rate_pps;       /* connect attempts per second; 0 = unlimited */
    unsigned timeout_ms;     /* per attempt (default 1000) */
    unsigned retries;        /* extra attempts after a timeout (default 1) */
    unsigned max_total_ms;   /* whole run bound (default 600000) */
    unsigned threads;        /* worker threads; 0 = min(online CPUs, 4) */
    int banners;             /* 1 = grab a banner from every open port */
    unsigned banner_ms;      /* silence before the HTTP probe, and after it (default 600) */
    const struct nw_scan_cidr *scope; /* if n_scope > 0, targets outside are REFUSED */
    size_t n_scope;
    const volatile int *cancel; /* set non-zero to stop early (targets end PARTIAL); read
                                   by every worker: set it with __atomic_store_n */
    /* called from the calling thread about every 100 ms; may be NULL */
    void (*progress)(void *arg, uint64_t done, uint64_t total);
    void *progress_arg;
};

/* Defaults as documented in the fields above. */
void nw_scan_opts_init(struct nw_scan_opts *o);

/*
 * Fill t from text: an IPv4 or IPv6 literal ("10.0.0.1", "::1", "[::1]",
 * "fe80::1%eth0") or a host name resolved through the system resolver
 * (first address). Output fields are cleared. Returns 0, or NW_EINVAL with a
 * message in err naming the text. t needs no fini after a failure.
 */
int nw_scan_target_set(struct nw_scan_target *t, const char *text, struct nw_err *err);
/* Release the outputs of t (open ports, banners); t may be set again. */
void nw_scan_target_fini(struct nw_scan_target *t);

/*
 * Parse a port list "22,80,8000-8100" (or "all" / "1-65535") into a sorted,
 * duplicate-free array; caller frees *ports with nw_free. Returns 0 or
 * NW_EINVAL / NW_ENOMEM with a message naming the bad element.
 */
int nw_scan_ports_parse(const char *spec, uint16_t **ports, size_t *n, struct nw_err *err);

/* Parse "10.0.0.0/8", "::1", "192.168.1.5/32" into c. Returns 0 or NW_EINVAL. */
int nw_scan_cidr_parse(const char *text, struct nw_scan_cidr *c, struct nw_err *err);
/* 1 if t's address lies inside c. */
int nw_scan_cidr_contains(const struct nw_scan_cidr *c, const struct nw_scan_target *t);

/*
 * Scan every target in targets[0..n) on opts->ports. Targets outside
 * opts->scope end REFUSED without a packet sent; unreachable ones end
 * UNREACHABLE; the others DONE or PARTIAL. A problem with one target never
 * stops the others. Raises RLIMIT_NOFILE's soft limit to the hard limit.
 * Returns 0 when the run completed (whatever the per-target statuses), or a
 * negative NW_E* code when it could not run at all (no epoll, no memory,
 * bad options), with a message in err. Earlier outputs in targets are
 * replaced.
 */
int nw_scan_run(const struct nw_scan_opts *opts, struct nw_scan_target *targets, size_t n,
                struct nw_err *err);

/* 1 if port is in t->open (binary search). */
int nw_scan_is_open(const struct nw_scan_target *t, uint16_t port);
/* The banner grabbed from port, or NULL. */
const struct nw_scan_banner *nw_scan_banner_get(const struct nw_scan_target *t, uint16_t port);

/* Decides that a reply is complete (return 1) before the peer closes. */
typedef int (*nw_scan_complete_fn)(const uint8_t *p, size_t len);

/*
 * One blocking exchange with t's address on port: connect (bounded by
 * timeout_ms), send req[0..req_len) if req_len > 0, then read into
 * resp[0..resp_cap) until the peer closes, resp is full, complete() says
 * the reply is whole, or timeout_ms has passed since the connect finished.
 * *resp_len gets the bytes read. Returns 0 if connected (even with an empty
 * reply), NW_EIO with a message (host:port and the system error) if the
 * connect failed or timed out. Contacts only t's address. Thread-safe.
 */
int nw_scan_exchange(const struct nw_scan_target *t, uint16_t port, const void *req,
                     size_t req_len, uint8_t *resp, size_t resp_cap, size_t *resp_len,
                     unsigned timeout_ms, nw_scan_complete_fn complete, struct nw_err *err);

/*
 * Connect to t's address on port with a timeout and return the connected
 * blocking socket (for TLS handshakes), or -1 with err set. Sets SO_RCVTIMEO
 * and SO_SNDTIMEO to timeout_ms. Caller closes it.
 */
int nw_scan_connect(const struct nw_scan_target *t, uint16_t port, unsigned timeout_ms,
                    struct nw_err *err);

/* "10.0.0.1:22" or "[::1]:443" into out (>= 64 bytes). */
void nw_scan_fmt_endpoint(const struct nw_scan_target *t, uint16_t port, char *out, size_t cap);

const char *nw_scan_status_name(int status);

/*
 * A target that is not an address literal is looked up by the resolver;
 * refuse broken literals ("10.0.0.300") and strings that cannot be host
 * names first, so they never become DNS queries. Returns 0 when name may be
 * resolved, else NW_EINVAL with a one-line reason in err.
 */
int nw_scan_name_check(const char *name, struct nw_err *err);

#endif /* NW_SCAN_H */
