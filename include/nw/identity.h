/*
 * identity.h - who had which address when.
 *
 * A table of bindings over time: IP <-> MAC <-> account <-> calling number
 * <-> hostname, each with the source that taught it (radius, pppoe, dhcp,
 * static) and the interval it was in force. Fed by the DHCP, RADIUS and PPPoE
 * parsers and a static CSV map; read whenever a record is emitted so that the
 * record carries the `user` in force at the record's time. Ending a binding
 * (RADIUS Stop, PPPoE PADT, DHCP release/expiry) emits a `session` record.
 *
 * Bounded by a memcap; when full, the oldest ended bindings go first.
 * Not thread-safe.
 */
#ifndef NW_IDENTITY_H
#define NW_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "nw/core.h"
#include "nw/json.h"

struct nw_identity;
struct nw_output;

enum nw_ident_source {
    NW_IDSRC_STATIC = 0,
    NW_IDSRC_DHCP,
    NW_IDSRC_RADIUS,
    NW_IDSRC_PPPOE
};

/* What a source learned. Empty strings / has_mac=0 mean "unknown". */
struct nw_ident_info {
    int source;              /* enum nw_ident_source */
    int family;              /* 4 or 6 */
    uint8_t ip[16];
    int has_mac;
    uint8_t mac[6];
    char account[128];
    char calling_station[64];
    char hostname[128];
    char session_id[64];     /* Acct-Session-Id, PPPoE session id, DHCP xid */
    uint64_t lease_us;       /* DHCP lease length, 0 if none */
};

/* out receives session records; may be NULL (no session records). */
struct nw_identity *nw_identity_new(size_t memcap, struct nw_output *out);
void nw_identity_free(struct nw_identity *id); /* NULL is fine */

/* A binding starts (or is refreshed) at ts. Returns 0 or NW_ENOMEM. */
int nw_identity_login(struct nw_identity *id, const struct nw_ident_info *info, uint64_t ts_us);
/* The binding for info->ip from info->source ends at ts (logout). */
int nw_identity_logout(struct nw_identity *id, const struct nw_ident_info *info, uint64_t ts_us,
                       const char *reason);
/* End leases that expired before now; emits their session records. */
void nw_identity_expire(struct nw_identity *id, uint64_t now_us);
/* At the end of input: emit session records for bindings still open. */
void nw_identity_finish(struct nw_identity *id, uint64_t now_us);

/* Load "ip,mac,account,calling_station,hostname" lines; # comments. */
int nw_identity_load_static(struct nw_identity *id, const char *path, struct nw_err *err);

/*
 * Write "user":{...} into b for the binding in force for addr at ts.
 * Returns 1 if one was written, 0 if no binding applies.
 */
int nw_identity_write_user(struct nw_identity *id, struct nw_buf *b, int family,
                           const uint8_t *addr, uint64_t ts_us);

#endif /* NW_IDENTITY_H */
