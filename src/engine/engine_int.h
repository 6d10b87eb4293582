/* engine_int.h - the engine's insides, shared by the files of src/engine. */
#ifndef NW_ENGINE_ENGINE_INT_H
#define NW_ENGINE_ENGINE_INT_H

#include "nw/engine.h"
#include "nw/identity.h"
#include "nw/proto.h"

#define NW_MAX_NAMED_COUNTERS 256

struct nw_named_counter {
    const char *prefix; /* parser name or NULL */
    const char *name;
    uint64_t n;
};

struct nw_flow_table;

struct nw_engine {
    struct nw_engine_config cfg;
    struct nw_output *out;
    struct nw_identity *ident;
    struct nw_decoder dec;
    struct nw_flow_table *flows;
    struct nw_engine_stats stats;
    uint64_t last_ts_us;      /* newest packet time seen (drives timeouts) */
    uint64_t next_expire_us;  /* next time the timeout sweep runs */
    /* record currently being built: endpoints for the user lookup */
    int rec_family;
    uint8_t rec_src[16];
    uint8_t rec_dst[16];
    int rec_has_addr;
    struct nw_named_counter counters[NW_MAX_NAMED_COUNTERS];
    int ncounters;
};

void nw__engine_count2(struct nw_engine *e, const char *prefix, const char *name);

#endif
