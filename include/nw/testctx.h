/*
 * testctx.h - drive one parser directly, without packets, for unit tests and
 * fuzz harnesses. Uses the same app-layer driver (nw_applayer) as the flow
 * layer, so behaviour matches the pipeline. Every record emitted is kept in
 * t->records (JSON lines).
 */
#ifndef NW_TESTCTX_H
#define NW_TESTCTX_H

#include "nw/engine.h"
#include "nw/identity.h"
#include "nw/proto.h"

struct nw_testctx {
    struct nw_output out;
    struct nw_engine *eng;
    struct nw_tuple tuple;
    struct nw_pkt pkt;
    struct nw_proto_ctx ctx;
    struct nw_applayer al;
    struct nw_buf records; /* every record line, concatenated */
    uint64_t ts_us;        /* time given to the next feed; tests may set it */
};

/*
 * Set up a flow src:sport -> dst:dport (textual IPv4/IPv6) over ipproto
 * (IPPROTO_TCP/UDP) with parser `name` attached. Returns 0 or NW_E*.
 */
int nw_testctx_init(struct nw_testctx *t, const char *name, int ipproto, const char *src,
                    uint16_t sport, const char *dst, uint16_t dport);
/* Deliver bytes in direction dir (NW_DIR_*). Returns nw_applayer_feed's result. */
int nw_testctx_feed(struct nw_testctx *t, int dir, const void *p, size_t len);
/* Like feed, but split into chunks of at most `chunk` bytes. */
int nw_testctx_feed_chunked(struct nw_testctx *t, int dir, const void *p, size_t len,
                            size_t chunk);
void nw_testctx_gap(struct nw_testctx *t, int dir, size_t len);
/* End the flow (calls the parser's end()). */
void nw_testctx_end(struct nw_testctx *t);
void nw_testctx_fini(struct nw_testctx *t);
/* Number of times needle occurs in the records emitted so far. */
int nw_testctx_count(const struct nw_testctx *t, const char *needle);

#endif
