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
    char nas[64];            /* RADIUS NAS-IP-Address or NAS-Identifier ("" = unknown): lets
                                Accounting-On/Off end that NAS's sessions */
    uint64_t since_us;       /* when the session really began, if known to be earlier than the
                                login/logout time (RADIUS Acct-Session-Time); 0 = unknown */
};

/* Counters, for the end-of-run summary and tests. */
struct nw_identity_stats {
    uint64_t bindings;       /* bindings held now (open and ended) */
    uint64_t open;           /* of which still open */
    uint64_t bytes;          /* bytes counted against the memcap */
    uint64_t logins;         /* bindings created */
    uint64_t dropped;        /* ended bindings dropped to stay under the memcap */
    uint64_t refused;        /* logins refused: memcap full of open bindings */
    uint64_t sessions;       /* session records emitted */
};

/*
 * A table bounded by memcap bytes (0 = 32 MiB). out receives the session
 * records (docs/records/session.md); it may be NULL (no session records).
 * Returns NULL when out of memory. Caller frees with nw_identity_free().
 */
struct nw_identity *nw_identity_new(size_t memcap, struct nw_output *out);
void nw_identity_free(struct nw_identity *id); /* NULL is fine */

/*
 * A binding for info->ip from info->source starts at ts (or at
 * info->since_us when that is earlier: the session began before we saw it).
 * If the same source already holds the address for the same holder (same
 * MAC, account and session id where both sides know them; DHCP: same MAC),
 * the binding is refreshed instead: new fields are added, a DHCP lease is
 * extended, no record is written. A different holder ends the old binding
 * ("replaced") first. Writes a session start record (not for static).
 * Must not be called while a record is being built (it may write records).
 * Returns 0, NW_EINVAL (bad family/source) or NW_ENOMEM (memcap full of open
 * bindings, or out of memory; counted in stats.refused).
 */
int nw_identity_login(struct nw_identity *id, const struct nw_ident_info *info, uint64_t ts_us);
/*
 * The open binding for info->ip from info->source ends at ts with reason
 * (NULL = "stop"), if it belongs to the same holder; fields in info that it
 * lacked are kept in its history; an end record is written. With no open
 * binding but info->since_us set (a RADIUS Stop whose Start we missed), a
 * closed binding [since, ts] enters the history and gets its end record.
 * Returns 0, NW_ENOENT (nothing to end), NW_EINVAL or NW_ENOMEM.
 */
int nw_identity_logout(struct nw_identity *id, const struct nw_ident_info *info, uint64_t ts_us,
                       const char *reason);
/* End leases whose expiry is <= now (at their expiry time, reason "expiry");
 * cheap when nothing is due. Call as packet time advances. */
void nw_identity_expire(struct nw_identity *id, uint64_t now_us);
/* At the end of input: expire what is due, then write an end record with
 * reason end_of_input and a null logout for every binding still open (once). */
void nw_identity_finish(struct nw_identity *id, uint64_t now_us);

/*
 * Load the static map at path: "ip,mac,account,calling_station,hostname"
 * lines, '#' comments (static_map.c has the format). Returns 0, or NW_EIO /
 * NW_EFORMAT / NW_ELIMIT / NW_ENOMEM with "FILE:LINE: what; expected ..." in
 * err. Entries before a bad line stay loaded.
 */
int nw_identity_load_static(struct nw_identity *id, const char *path, struct nw_err *err);

/* Same, from a buffer; name is used in error messages (file name). */
int nw_identity_load_static_buf(struct nw_identity *id, const char *name, const char *data,
                                size_t len, struct nw_err *err);

/*
 * End every open RADIUS binding that nas (NAS-IP-Address or NAS-Identifier,
 * as in nw_ident_info.nas) taught, at ts, with reason (Accounting-On/Off:
 * the NAS restarted, so its sessions are gone). Returns how many ended.
 */
int nw_identity_logout_nas(struct nw_identity *id, const char *nas, uint64_t ts_us,
                           const char *reason);

/*
 * The merged identity in force for addr at ts (see identity.c for the merge
 * rule) into *out. Returns 1 if one applies, 0 if not. For tests and queries.
 */
int nw_identity_lookup(struct nw_identity *id, int family, const uint8_t *addr, uint64_t ts_us,
                       struct nw_ident_info *out);

/*
 * Parser side tables that must outlive a flow (DHCP transactions span two
 * flows; PPPoE frames have no flow): slot NW_IDAUX_* gets one zeroed block of
 * size bytes on first call, the same block afterwards. fini (may be NULL) is
 * called on it before nw_identity_free releases it. Returns NULL if id is
 * NULL, slot is out of range or memory runs out.
 */
enum nw_ident_aux { NW_IDAUX_DHCP = 0, NW_IDAUX_RADIUS, NW_IDAUX_PPPOE, NW_IDAUX_MAX };
void *nw_identity_aux(struct nw_identity *id, int slot, size_t size, void (*fini)(void *));

void nw_identity_get_stats(const struct nw_identity *id, struct nw_identity_stats *st);

/* The table's hash of addr (family 4 or 6; 0 for others), for the hints below. */
uint32_t nw_identity_hash(int family, const uint8_t *addr);
/* Prefetch hint for a lookup of the address of hash h soon: stage 0 its
 * bucket, 1 the entry the bucket names, 2 that entry's cached user object.
 * No effect on state; a NULL table is ignored. */
void nw_identity_prefetch(const struct nw_identity *id, uint32_t h, int stage);
/*
 * Write "user":{...} into b for the binding in force for addr at ts.
 * Returns 1 if one was written, 0 if no binding applies.
 */
int nw_identity_write_user(struct nw_identity *id, struct nw_buf *b, int family,
                           const uint8_t *addr, uint64_t ts_us);

#endif /* NW_IDENTITY_H */
