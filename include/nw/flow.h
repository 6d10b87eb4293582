/*
 * flow.h - bidirectional flow table with TCP reassembly.
 *
 * Flows are keyed on the unordered 5-tuple (plus VLAN is deliberately not
 * part of the key: the same hosts on two VLANs are rare in an access network
 * and tshark, our oracle, does not split them either). Each flow keeps
 * per-direction packet/byte counters, TCP state, two reassembly streams and
 * the attached app-layer parser. A flow ends on FIN/RST (after a short
 * linger), on idle timeout, when it outlives the active timeout, when the
 * table is over its memcap (oldest flows are evicted first) or at the end
 * of input; each end emits one `flow` record.
 *
 * Memory: flow entries are charged to flow_memcap; out-of-order segments
 * and pending parser bytes to stream_memcap. Single-threaded.
 */
#ifndef NW_FLOW_H
#define NW_FLOW_H

#include <stdint.h>

#include "nw/decode.h"

struct nw_engine;
struct nw_flow_table;

/* Caller frees with nw_flow_table_free(). Returns NULL on ENOMEM. */
struct nw_flow_table *nw_flow_table_new(struct nw_engine *eng);
/* Ends every flow (reason "shutdown"), emitting records, and frees. */
void nw_flow_table_free(struct nw_flow_table *ft);
/* Account one decoded packet (pkt->l4 != NULL) and run its payload through
 * reassembly and the app-layer parser. */
void nw_flow_packet(struct nw_flow_table *ft, const struct nw_pkt *pkt);
/* The same, with h = nw_flow_hash(&pkt->t) already known (look-ahead). */
void nw_flow_packet_hashed(struct nw_flow_table *ft, const struct nw_pkt *pkt, uint32_t h);
/* End flows idle past their timeout at packet time now. */
void nw_flow_expire(struct nw_flow_table *ft, uint64_t now_us);
/* End every flow now (end of input). */
void nw_flow_flush(struct nw_flow_table *ft);
uint64_t nw_flow_active(const struct nw_flow_table *ft);
/* Prefetch hints for a packet a few packets ahead: stage 0 loads the slot of
 * tuple hash h (nw_flow_hash), stage 1, later, the flow that slot names.
 * Pure hints: no state changes. */
uint32_t nw_flow_hash(const struct nw_tuple *t);
void nw_flow_prefetch(const struct nw_flow_table *ft, uint32_t h, int stage);

#endif
