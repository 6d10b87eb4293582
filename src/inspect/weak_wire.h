/*
 * weak_wire.h - internal to src/inspect: the reply parsers the hand-written
 * weak-credential probes need (Redis RESP, FTP replies, an HTTP response
 * head) and a bounded socket reader that drives them. All parsers take
 * (const uint8_t *p, size_t len) slices of untrusted bytes and return the
 * stream tri-state: > 0 bytes consumed by one complete reply, 0 need more,
 * < 0 (NW_EFORMAT) not this protocol. Safe on any input (fuzz/fuzz_resp.c).
 */
#ifndef NW_INSPECT_WEAK_WIRE_H
#define NW_INSPECT_WEAK_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define NW_RESP_MAX_DEPTH 8     /* nested arrays followed at most this deep */
#define NW_RESP_MAX_ELEMS 4096  /* elements in one reply, all levels */
#define NW_RESP_MAX_LINE 4096   /* a simple string, error or length line */

/* One RESP2/RESP3 reply: its top-level type and, for scalars, its text. */
struct nw_resp {
    char type;            /* '+', '-', ':', '$', '*', or a RESP3 type byte */
    const uint8_t *data;  /* simple string / error / integer / bulk payload (into the input) */
    size_t len;           /* its length */
    int64_t count;        /* array: element count; bulk: length; -1 = null */
};

/* Parse one complete reply at p. */
int nw__resp_parse(const uint8_t *p, size_t len, struct nw_resp *out);

/*
 * Parse one complete FTP reply (RFC 959 4.2: "ddd text" or a multi-line
 * "ddd-" ... "ddd " block), lines ending in LF (CR optional). *code gets
 * the reply code. Multi-line replies may hold at most 256 lines.
 */
int nw__ftp_reply(const uint8_t *p, size_t len, int *code);

/*
 * Parse an HTTP/1.x response head (status line and headers up to the
 * empty line). *status gets the code; *basic is set when a
 * WWW-Authenticate header offers the Basic scheme. Head at most 16 KiB.
 */
int nw__http_head(const uint8_t *p, size_t len, int *status, int *basic);

/*
 * Read from fd into buf (cap bytes) until parse() accepts a complete
 * message; *have holds bytes already in buf and is updated. Returns the
 * parser's consumed count (> 0), 0 on EOF before a complete message,
 * -1 on timeout or read error (why filled), NW_EFORMAT on garbage, NW_ELIMIT
 * when the message does not fit. Reads are bounded by the socket timeouts.
 */
struct nw_wire_parser {
    int (*parse)(void *arg, const uint8_t *p, size_t len);
    void *arg;
};
int nw__wire_read(int fd, uint8_t *buf, size_t cap, size_t *have, const struct nw_wire_parser *wp,
                  char *why, size_t whysz);
/* Drop the first n bytes of buf (a consumed reply). */
void nw__wire_consume(uint8_t *buf, size_t *have, size_t n);
/* Write all of p; 0 or -1 with why filled. */
int nw__wire_write(int fd, const void *p, size_t len, char *why, size_t whysz);

#endif /* NW_INSPECT_WEAK_WIRE_H */
