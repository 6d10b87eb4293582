/*
 * config.h - the one configuration file (/etc/netwarden/netwarden.conf).
 *
 * INI form: [section] headers, `key = value` lines, '#' or ';' comments.
 * One table (src/config/config.c, nw_config_defs[]) defines every setting:
 * section, name, type, default, bounds and a doc string; parsing, defaults,
 * --dump-config and docs/config.md all come from it. Every command runs on
 * the defaults when there is no file. Errors name file:line, the token and
 * the fix ("did you mean ...").
 */
#ifndef NW_CONFIG_H
#define NW_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nw/core.h"

#define NW_CONFIG_DEFAULT_PATH "/etc/netwarden/netwarden.conf"

enum nw_cfg_type {
    NW_CFG_STRING,   /* free text, may be empty */
    NW_CFG_UINT,     /* decimal integer */
    NW_CFG_SIZE,     /* bytes, with optional K/M/G suffix (powers of 1024) */
    NW_CFG_DURATION, /* seconds, with optional s/m/h/d suffix */
    NW_CFG_BOOL      /* yes/no, true/false, on/off, 1/0 */
};

struct nw_config {
    /* [unit] the organisation, used by reports */
    char *unit_name;
    char *unit_code;
    char *unit_leader;
    char *unit_contact;
    /* [audit] */
    char *interface;
    char *eve;
    char *static_map;
    char *filter;
    uint64_t flow_memcap;
    uint64_t stream_memcap;
    uint64_t stream_depth;
    uint64_t frag_memcap;
    uint64_t identity_memcap;
    uint64_t tcp_idle_timeout;
    uint64_t tcp_closed_timeout;
    uint64_t udp_idle_timeout;
    uint64_t active_timeout;
    uint64_t capture_retry;
    uint64_t stats_interval;
    /* [store] */
    uint64_t store_retention_days;
    char *store_sign_key;
    uint64_t store_level;
    uint64_t store_block_size;
    uint64_t store_flush_interval;
    uint64_t store_fsync;
    /* [general] */
    char *data_dir;
    /* [inspect] */
    char *inspect_checks_dir, *inspect_scope, *inspect_ports, *inspect_backup_dirs,
        *inspect_dict_dir;
    uint64_t inspect_backup_max_age, inspect_connect_timeout_ms, inspect_probe_timeout_ms,
        inspect_rate, inspect_attempts, inspect_attempt_delay_ms;
};

struct nw_config_def {
    const char *section;
    const char *name;
    int type;          /* enum nw_cfg_type */
    const char *def;   /* default, in file syntax */
    uint64_t min, max; /* numeric bounds (inclusive) */
    size_t offset;     /* into struct nw_config */
    const char *doc;
};

extern const struct nw_config_def nw_config_defs[];
extern const size_t nw_config_ndefs;

/* Fill c with the defaults. Caller frees with nw_config_fini(). */
int nw_config_init(struct nw_config *c);
void nw_config_fini(struct nw_config *c);
/*
 * Read path over the current values. When `required` is 0 a missing file is
 * not an error (the defaults stand). Returns 0, or NW_E* with err set to
 * "FILE:LINE: what; what to do".
 */
int nw_config_load(struct nw_config *c, const char *path, int required, struct nw_err *err);
/* Parse text held in memory (name is used in messages). */
int nw_config_load_buf(struct nw_config *c, const char *name, const char *text, size_t len,
                       struct nw_err *err);
/* Set one key ("section.name" or "name" when unique) from a command-line value. */
int nw_config_set(struct nw_config *c, const char *key, const char *value, struct nw_err *err);
/* Write docs/config.md (markdown table of every setting). */
void nw_config_reference(FILE *out);
/* Write the effective configuration in a form nw_config_load reads back. */
void nw_config_dump(const struct nw_config *c, FILE *out);

#endif
