/*
 * query.h - what a query over stored audit records asks for, and how its
 * parts are parsed from the command line.
 *
 * struct nw_query is plain data with fixed-size fields (no ownership, copy it
 * freely). Every filter that is set must hold for a record to match (AND);
 * unset filters match everything. The same struct drives the embedded store
 * (`netwarden query --store`, src/query/) and ClickHouse (`query --clickhouse`,
 * src/output/ch_*.c translates it to SQL), so both must give the same answer.
 *
 * Filter semantics (the exact rule; the store's index keys only skip blocks):
 *  - since/until: the record's `timestamp` t satisfies since <= t < until.
 *  - types: `event_type` equals one of them.
 *  - ip: one of the record's addresses equals the address, or lies in the
 *    CIDR. Addresses of a record (NW_QUERY_IP_FIELDS): src_ip, dest_ip,
 *    user.ip, dhcp.assigned_ip, radius.framed_ip, radius.framed_ipv6,
 *    pppoe.ip. Compared as parsed addresses (any textual form).
 *  - mac: one of user.mac, dhcp.client_mac, src_mac, dest_mac, pppoe.for_mac
 *    equals it (case-insensitive; the filter may be written with '-', records
 *    are compared as written, "aa:bb:cc:dd:ee:ff").
 *  - user: one of user.account, login.username, radius.user_name,
 *    pppoe.username equals it exactly (bytes, case-sensitive).
 *  - calling: user.calling_station or radius.calling_station_id equals it.
 *  - domain: one of dns.queries[].rrname, dns.answers[].rrname, dns.rrname
 *    (Suricata's older layouts), http.hostname, tls.sni, quic.sni equals the
 *    domain or ends with "." + domain (label-aligned suffix; ASCII
 *    case-insensitive; trailing dots ignored).
 *  - url: http.url contains the text (case-sensitive substring).
 * String values are compared after JSON unescaping. Values longer than 600
 * bytes as stored (escaped) are never matched by ip, mac, user, calling or
 * domain (the store does not index them; no real name is that long).
 */
#ifndef NW_QUERY_H
#define NW_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "nw/core.h"

#define NW_QUERY_MAX_TYPES 16
#define NW_QUERY_TYPE_LEN 32     /* event type names: [a-z0-9_], < 32 bytes */
#define NW_QUERY_STR_LEN 512     /* user, calling, domain: < 512 bytes */
#define NW_QUERY_URL_LEN 2048    /* url substring: < 2048 bytes */

enum nw_query_format {
    NW_QUERY_FMT_JSON = 0, /* the stored record lines, byte-identical */
    NW_QUERY_FMT_TABLE,    /* aligned columns for people */
    NW_QUERY_FMT_CSV       /* RFC 4180 */
};

/* An address or network: family 4 or 6, prefix 0..32 / 0..128. */
struct nw_query_net {
    int family;       /* 0 = not set, 4 or 6 */
    uint8_t addr[16]; /* network byte order; host bits beyond prefix are zero */
    unsigned prefix;  /* 32 / 128 for a single address */
    char text[64];    /* canonical text: "10.1.2.3", "10.1.0.0/16", "2001:db8::/32" */
};

struct nw_query {
    uint64_t since_us;                               /* inclusive; 0 = open */
    uint64_t until_us;                               /* exclusive; UINT64_MAX = open */
    char types[NW_QUERY_MAX_TYPES][NW_QUERY_TYPE_LEN]; /* event_type names */
    size_t ntypes;                                   /* 0 = any type */
    struct nw_query_net ip;                          /* ip.family 0 = not set */
    char mac[18];          /* "aa:bb:cc:dd:ee:ff" lower case; "" = not set */
    char user[NW_QUERY_STR_LEN];    /* "" = not set */
    char calling[NW_QUERY_STR_LEN]; /* "" = not set */
    char domain[NW_QUERY_STR_LEN];  /* lower case, no trailing dot; "" = not set */
    char url[NW_QUERY_URL_LEN];     /* "" = not set */
    uint64_t limit;                 /* at most this many records; 0 = no limit */
    int format;                     /* enum nw_query_format */
};

/* Reset q to "everything, json, no limit". */
void nw_query_init(struct nw_query *q);

/*
 * Parse a time expression into microseconds since the epoch (UTC).
 * Accepted forms (local time zone unless an offset is written):
 *   RFC 3339        2026-09-03T14:05:00+08:00, 2026-09-03T14:05:00.5Z
 *   date and time   "2026-09-03 14:05", "2026-09-03 14:05:07", 2026-09-03T14:05
 *   date            2026-09-03 (its midnight)
 *   relative        -90s, -30m, -2h, -7d, -1w (before now)
 *   words           now, today (midnight), yesterday (midnight before today)
 *   epoch seconds   @1788415500
 * now_us is "now" (passed in so tests and fuzzers are deterministic).
 * Returns 0, or NW_EINVAL with err naming the text and listing these forms.
 * Thread-safe (uses localtime_r/mktime).
 */
int nw_query_parse_time(const char *s, uint64_t now_us, uint64_t *out, struct nw_err *err);

/*
 * Parse "10.1.2.3", "10.1.0.0/16", "2001:db8::1", "2001:db8::/32" into out
 * (host bits must be zero in a CIDR). Returns 0 or NW_EINVAL with err.
 */
int nw_query_parse_net(const char *s, struct nw_query_net *out, struct nw_err *err);

/* Parse a MAC (':' or '-' separated, any case) into "aa:bb:cc:dd:ee:ff". */
int nw_query_parse_mac(const char *s, char out[18], struct nw_err *err);

/*
 * Set one filter from its option name (without "--"): since, until, type
 * (comma-separated list, may repeat), ip, mac, user, calling, domain, url,
 * limit, format. Returns 0; NW_ENOENT when name is not a filter option (err
 * untouched); NW_EINVAL with err "--NAME VALUE: what is wrong; what is accepted".
 */
int nw_query_set(struct nw_query *q, const char *name, const char *value, uint64_t now_us,
                 struct nw_err *err);

/*
 * Parse every filter option in argv[0..argc) ("--name value" or
 * "--name=value"); options that are not filters are an error. For callers
 * that own no other options (the web console's query string, tests).
 * Returns 0, or NW_EINVAL with err. Afterwards checks since < until.
 */
int nw_query_parse_args(struct nw_query *q, int argc, char **argv, uint64_t now_us,
                        struct nw_err *err);

/* Check the combination (since < until ...). Returns 0 or NW_EINVAL with err. */
int nw_query_check(const struct nw_query *q, struct nw_err *err);

/*
 * Does one record line (a JSON object, len bytes, no NUL needed) satisfy
 * every filter of q? Returns 1 yes, 0 no (also for a line that is not valid
 * JSON). Time is checked from the record's own `timestamp`. Thread-safe.
 */
int nw_query_match(const struct nw_query *q, const char *line, size_t len);

/*
 * Index-key groups for the store scan (docs: notes/store_design.md): an AND
 * of OR-groups of keys such as "ip:10.1.2.3", "ip4/24:10.1.2",
 * "dom:example.com", "user:alice". A filter that no key can narrow (a /4
 * network, a one-label domain, url) adds no group. Caller frees with
 * nw_query_keys_free(). Returns 0 or NW_ENOMEM.
 */
struct nw_query_keys {
    const char *const *const *groups; /* ngroups NULL-terminated arrays of key strings */
    size_t ngroups;
    void *mem;                  /* owned storage */
};
int nw_query_keys_build(const struct nw_query *q, struct nw_query_keys *out);
void nw_query_keys_free(struct nw_query_keys *k);

#endif /* NW_QUERY_H */
