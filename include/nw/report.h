/*
 * report.h - the network security self-inspection report (网络安全自查报告):
 * `netwarden report`. A report model is built once from a recorded
 * inspection (the results document of docs/inspect.md, schema
 * netwarden-inspect/1), the inspection history and, when there is one, the
 * audit store; every output format renders that same model (src/report/:
 * model.c, strings.c, fmt_md.c, fmt_html.c, fmt_pdf.c). User guide:
 * docs/report.md.
 *
 * The model owns all its strings (one arena). Results documents are read
 * with the bounded reader (jsonscan); a damaged document is refused with a
 * message, never half-trusted. Not thread-safe per model; separate models
 * are independent.
 */
#ifndef NW_REPORT_H
#define NW_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "nw/core.h"
#include "nw/json.h"

enum nw_report_lang { NW_LANG_ZH = 0, NW_LANG_EN = 1 };

/* Kinds of assets counted in 二、自查工作开展情况. */
enum nw_asset_kind {
    NW_ASSET_SERVER = 0,
    NW_ASSET_CLIENT,
    NW_ASSET_NETDEV,
    NW_ASSET_WEBSITE,
    NW_ASSET_NKINDS
};

/* Severities as in inspect.h (enum nw_severity values 0..4: info..critical). */
#define NW_REPORT_NSEV 5

/* One check's outcome for one target (every verdict: the appendix lists all). */
struct nw_report_item {
    const char *id;
    const char *title[2];     /* [NW_LANG_ZH], [NW_LANG_EN] */
    const char *remed[2];
    const char *category;     /* as in the check file ("" if absent) */
    const char *mode;         /* local | network | audit-self | web | ... */
    const char *target;       /* NULL for local / audit-self */
    const char *evidence;     /* "" when none */
    const char *reason;       /* skip / error: why ("" when none) */
    const char *mlps2;        /* clauses joined with ", " ("" when none) */
    const char *order82;
    const char *csl;          /* "art. 21(2) (2017-06-01), ..." */
    int severity;             /* enum nw_severity (0 info .. 4 critical) */
    int verdict;              /* enum nw_verdict */
    int status;               /* enum nw_cmp_status for fails (0 = unknown) */
};

/* A finding of the compared inspection that this one no longer reports. */
struct nw_report_fixed {
    const char *id, *target; /* target NULL = local */
    const char *title[2];
    int severity;
};

struct nw_report_asset {
    int kind;                /* enum nw_asset_kind */
    const char *name;        /* host name (local checks), target as given, URL */
    const char *address;     /* "" when not applicable */
    const char *ports;       /* open ports "22, 443" ("" = none), NULL = not scanned */
    const char *error;       /* why it was not scanned, or NULL */
    const char *root;        /* local: the root examined ("/" = the host), else NULL */
    size_t findings;         /* fails that concern it */
};

struct nw_report_cat {
    const char *name;
    size_t checks, fail;
    size_t fail_sev[NW_REPORT_NSEV];
};

/* One inspection of the same selection, for the trend chart. */
struct nw_report_point {
    const char *id;
    uint64_t started_us;
    size_t fail;
    size_t fail_sev[NW_REPORT_NSEV];
};

struct nw_report_store {
    int present;             /* a store directory was found */
    const char *dir;
    int verify_rc;           /* 0 intact, 1 failed, <0 could not run */
    const char *verify_msg;  /* why it failed / could not run ("" when intact) */
    int signed_checked;      /* verified with a public key */
    uint64_t records;        /* records in sealed segments (from verify) */
    int records_known;
    uint64_t oldest_us;      /* oldest record's time (0 = no record) */
    uint64_t oldest_days;    /* whole days from the oldest record to the report time */
    uint64_t retention_days; /* configured [store] retention_days */
    size_t partitions;       /* day partitions held */
    const char *chain_head;  /* hex, "" if unknown */
};

struct nw_report {
    /* [unit] from the configuration ("" when not set) */
    const char *unit_name, *unit_code, *unit_leader, *unit_contact;
    /* the inspection */
    const char *run_id, *started, *finished; /* started/finished as recorded (RFC 3339) */
    uint64_t started_us, finished_us;
    const char *profile;      /* NULL = every check of the selected modes */
    const char *modes;        /* "local, audit-self" */
    int has_local, has_network, has_web, has_self;
    const char *root, *host, *version, *selection;
    const char **targets;     /* network/web targets as given */
    size_t ntargets;
    const char **refused;     /* refused targets ("host: reason") */
    size_t nrefused;
    /* outcomes */
    struct nw_report_item *items;
    size_t nitems;
    size_t counts[4];                 /* by enum nw_verdict */
    size_t fail_sev[NW_REPORT_NSEV];  /* fails by severity */
    struct nw_report_cat *cats;       /* sorted: most fails first, then name */
    size_t ncats;
    struct nw_report_asset *assets;
    size_t nassets;
    size_t asset_count[NW_ASSET_NKINDS];
    /* comparison with the previous inspection (history or --compare) */
    const char *prev_id;      /* NULL = none */
    size_t n_new, n_still, n_fixed;
    struct nw_report_fixed *fixed;
    /* trend: inspections of the same selection up to this one, oldest first */
    struct nw_report_point *trend;
    size_t ntrend;
    /* the audit store (store.present == 0: no section) */
    struct nw_report_store store;
    uint64_t generated_us;    /* the report's time */
    void *arena;              /* internal */
};

struct nw_report_opts {
    const char *data_dir;     /* state directory: DATA/inspect/<id>.json */
    const char *inspection;   /* "latest", a run id, or a path to a results file */
    const char *compare;      /* a run id / path to compare with, or NULL (history) */
    const char *store_dir;    /* audit store, or NULL (DATA/store); "" = none */
    const char *pubkey;       /* public key for verify, or NULL */
    const char *unit_name, *unit_code, *unit_leader, *unit_contact;
    uint64_t store_retention_days;
    uint64_t now_us;          /* report time (0 = now) */
    int max_trend;            /* points in the trend (0 = 12) */
};

/*
 * Build the model m from the options: find and read the inspection (latest
 * = newest run id in DATA/inspect), the one to compare with, the history
 * (trend), and examine the store. Returns 0; NW_ENOENT (no such inspection,
 * no inspections yet), NW_EFORMAT (a results file is damaged), NW_EIO,
 * NW_ENOMEM; err is one line saying what and what to do. Free with
 * nw_report_free() (also after failure).
 */
int nw_report_build(struct nw_report *m, const struct nw_report_opts *o, struct nw_err *err);

/*
 * Fill m from one results document held in memory (name is used in
 * messages): run, results, counts, categories, assets, the comparison the
 * document carries. Used by nw_report_build; exposed for tests and the
 * fuzzer. Returns 0, NW_EFORMAT (err), NW_ENOMEM. m must be zeroed first.
 */
int nw_report_load_buf(struct nw_report *m, const char *name, const char *text, size_t len,
                       struct nw_err *err);

/*
 * Recompute the comparison against another results document (--compare):
 * new / still open / fixed by check id + target. Returns 0, NW_EFORMAT, NW_ENOMEM.
 */
int nw_report_compare_buf(struct nw_report *m, const char *name, const char *text, size_t len,
                          struct nw_err *err);

void nw_report_free(struct nw_report *m);

/* Renderers: append the report in lang (enum nw_report_lang) to out. Return 0 or NW_ENOMEM. */
int nw_report_md(const struct nw_report *m, int lang, struct nw_buf *out);
int nw_report_html(const struct nw_report *m, int lang, struct nw_buf *out);
/* PDF (cairo + pango, A4). Returns 0, NW_ENOMEM, NW_EIO (cairo failed; err says why). */
int nw_report_pdf(const struct nw_report *m, int lang, struct nw_buf *out, struct nw_err *err);

#endif /* NW_REPORT_H */
