/*
 * engine.h - the audit pipeline for one packet source:
 * decode -> flow -> app-layer parse -> identity -> records.
 *
 * The engine owns the decoder, the flow table, the identity table and the
 * named anomaly counters; it writes records into a caller-owned output.
 * Single-threaded; one engine per capture thread.
 */
#ifndef NW_ENGINE_H
#define NW_ENGINE_H

#include <stdint.h>
#include <stdio.h>

#include "nw/core.h"
#include "nw/decode.h"
#include "nw/output.h"

struct nw_engine_config {
    size_t flow_memcap;        /* bytes for flow entries */
    size_t stream_memcap;      /* bytes for TCP out-of-order segments and pending data */
    size_t stream_depth;       /* per-direction bytes handed to parsers; 0 = unlimited */
    size_t frag_memcap;        /* bytes held for IP reassembly */
    size_t ident_memcap;       /* bytes for identity bindings */
    uint32_t tcp_idle_s;       /* established TCP idle timeout */
    uint32_t tcp_closed_s;     /* after FIN/RST */
    uint32_t udp_idle_s;
    uint32_t active_s;         /* a flow older than this is reported and restarted */
    const char *static_map;    /* CSV of fixed assignments, or NULL */
};

void nw_engine_config_defaults(struct nw_engine_config *c);

struct nw_engine;

struct nw_engine_stats {
    uint64_t packets;
    uint64_t bytes;
    uint64_t flows;            /* flows created */
    uint64_t flows_memcap;     /* packets not tracked: flow memcap */
    uint64_t flows_nomem;      /* packets not tracked: out of memory below the memcap */
    uint64_t stream_gaps;
    uint64_t stream_memcap;    /* segments dropped at the stream memcap */
    uint64_t parser_errors;
};

/* Caller frees with nw_engine_free(). out must outlive the engine. */
struct nw_engine *nw_engine_new(const struct nw_engine_config *cfg, struct nw_output *out,
                                struct nw_err *err);
void nw_engine_free(struct nw_engine *e);

/* Set the link type (DLT_*) of the frames that follow. */
void nw_engine_set_linktype(struct nw_engine *e, int dlt);
/*
 * Look-ahead for a frame that will reach nw_engine_packet a few calls from
 * now (its bytes must stay valid until then). Stage 0 (nw_engine_prefetch)
 * reads its tuple into *a and prefetches the flow-table slot and the
 * identity buckets of its addresses; stages 1 and 2, a frame or two apart,
 * prefetch what those name (the flow, the address entries, their cached
 * user objects). Pure hints: the cache misses of the lookups overlap the
 * work on the frames in between; nothing else changes.
 */
struct nw_engine_ahead {
    int ok;
    uint32_t flow_hash;
    uint32_t ident_hash[2]; /* of t.src, t.dst: computed once for the three stages */
    struct nw_tuple t;
};
void nw_engine_prefetch(struct nw_engine *e, const uint8_t *frame, size_t caplen,
                        struct nw_engine_ahead *a);
void nw_engine_prefetch_more(struct nw_engine *e, const struct nw_engine_ahead *a, int stage);
/* nw_engine_packet for a frame whose look-ahead a is (its tuple's hash is
 * reused when the decoder finds the same tuple). */
void nw_engine_packet_ahead(struct nw_engine *e, uint64_t ts_us, const uint8_t *frame,
                            size_t caplen, uint32_t wire_len, const struct nw_engine_ahead *a);
/* Process one frame. Never fails on hostile input (counts anomalies). */
void nw_engine_packet(struct nw_engine *e, uint64_t ts_us, const uint8_t *frame, size_t caplen,
                      uint32_t wire_len);
/* No packet for a while (live capture): run timeouts at wall time now. */
void nw_engine_tick(struct nw_engine *e, uint64_t now_us);
/* End of input: flush every flow, fragment train and open session. */
void nw_engine_finish(struct nw_engine *e);

const struct nw_engine_stats *nw_engine_stats(const struct nw_engine *e);
const struct nw_decode_stats *nw_engine_decode_stats(const struct nw_engine *e);
struct nw_output *nw_engine_output(struct nw_engine *e);
struct nw_identity *nw_engine_identity(struct nw_engine *e);
/* Named anomaly counters: calls fn for each non-zero one. */
void nw_engine_anomalies(const struct nw_engine *e,
                         void (*fn)(void *arg, const char *name, uint64_t n), void *arg);
/* Count a named anomaly; name must outlive the engine (string literal). */
void nw_engine_count(struct nw_engine *e, const char *name);

#endif /* NW_ENGINE_H */
