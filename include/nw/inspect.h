/*
 * inspect.h - self-inspection: checks as data (checks/<mode>/<ID>.yaml),
 * probes as C (one const descriptor each, listed in src/inspect/registry.c),
 * a run loop, and results with history (docs/inspect.md).
 *
 * The flow of one run: the loader reads every check file, rejects malformed
 * ones with FILE:LINE, binds each check to its probe and compiles its pass
 * condition. The run loop selects checks by profile and mode; for each local
 * or audit-self check it calls probe->run() once with req.root; for network
 * checks it scans each in-scope target once (nw_inspect_scan, I2) and calls
 * probe->run() once per target with the open ports. The probe fills facts (a
 * JSON object); the check's pass condition over the facts gives the verdict:
 *
 *   probe status NW_PROBE_OK    -> condition true = pass, false = fail
 *   probe status NW_PROBE_SKIP  -> skip  (not applicable: no sshd installed)
 *   probe status NW_PROBE_ERROR -> error (could not run: unreadable, unreachable)
 *
 * Errors never abort the run. Probes are called from one thread, one at a
 * time (network probes may be run from worker threads later: they must not
 * keep static mutable state).
 *
 * Stability: I2/I3 (network probes, scanner) and the report (issue 5) build
 * on this header; changes are additive and listed in the change log below.
 */
#ifndef NW_INSPECT_H
#define NW_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#include "nw/core.h"
#include "nw/json.h"

/* Check modes (a check has exactly one; a run selects a set of them). */
enum nw_chk_mode {
    NW_CHK_LOCAL = 1,      /* examines the host (or an image) under req->root */
    NW_CHK_NETWORK = 2,    /* contacts req->target */
    NW_CHK_AUDIT_SELF = 4  /* examines netwarden's own store and settings */
};

enum nw_severity {
    NW_SEV_INFO = 0,
    NW_SEV_LOW,
    NW_SEV_MEDIUM,
    NW_SEV_HIGH,
    NW_SEV_CRITICAL
};

enum nw_verdict {
    NW_VERDICT_PASS = 0,
    NW_VERDICT_FAIL,
    NW_VERDICT_SKIP,
    NW_VERDICT_ERROR
};

/* What a probe says about its own run (before the condition). */
enum nw_probe_status {
    NW_PROBE_OK = 0, /* facts are filled; the condition decides */
    NW_PROBE_SKIP,   /* not applicable; reason says why */
    NW_PROBE_ERROR   /* could not run; reason says why and what to do */
};

/* One check parameter from the check file: a scalar or a list of scalars. */
struct nw_param {
    const char *name;
    const char *value;        /* scalar text, or NULL when it is a list */
    const char *const *list;  /* list items (NULL-terminated), or NULL for a scalar */
    size_t nlist;
    int line;                 /* line in the check file, for messages */
};

/* A reference to a law: article and the date it took effect (YYYY-MM-DD). */
struct nw_law_ref {
    const char *article;
    const char *effective;
};

struct nw_cond; /* compiled pass condition (src/inspect/cond.c) */
struct nw_probe;

/* One loaded check. All strings are owned by the check set. */
struct nw_check {
    const char *id;             /* NW-LOCAL-SSH-ROOT-LOGIN */
    const char *title_zh, *title_en;
    const char *remed_zh, *remed_en;
    int severity;               /* enum nw_severity */
    const char *category;       /* free text, for grouping in reports */
    int mode;                   /* enum nw_chk_mode */
    const struct nw_probe *probe;
    const struct nw_param *params;
    size_t nparams;
    const char *pass;           /* condition source text */
    struct nw_cond *cond;       /* compiled */
    const char *const *mlps2;   /* GB/T 22239-2019 clauses, NULL-terminated */
    const char *const *order82; /* MPS Order No. 82 articles */
    const struct nw_law_ref *csl; /* Cybersecurity Law articles */
    size_t ncsl;
    const char *const *profiles; /* profile names this check belongs to */
    const char *file;           /* the check file */
    const char *skip_if;        /* optional condition: true -> verdict skip (v2) */
    struct nw_cond *skip_cond;
};

/* Settings shared by every probe of a run ([inspect] config + CLI). */
struct nw_inspect_settings {
    const char *root;             /* local checks: inspect this tree ("/" = the host) */
    const char *data_dir;         /* netwarden state ([general] data_dir / --data-dir) */
    const char *store_dir;        /* the audit store to examine (audit-self), or NULL */
    uint64_t backup_max_age_s;    /* backups older than this fail */
    const char *backup_dirs;      /* colon-separated list of backup locations */
    uint64_t store_retention_days;/* configured store retention ([store] retention_days) */
    uint64_t connect_timeout_ms;  /* network: per connection */
    uint64_t probe_timeout_ms;    /* network: whole probe per target */
    uint64_t rate;                /* network: new connections per second (0 = unlimited) */
    uint64_t attempts_per_account;/* weak-credential probes: at most this many per account */
    uint64_t attempt_delay_ms;    /* weak-credential probes: pause between attempts */
    const char *dict_dir;         /* built-in dictionary directory (data/dict) */
    const char *user_list;        /* extra user names file, or NULL */
    const char *pass_list;        /* extra passwords file, or NULL */
    const uint16_t *ports;        /* ports to scan per target (sorted, unique) */
    size_t nports;
    uint64_t now_us;              /* the run's "now" (tests may fix it) */
};

/* One network target after scope checking and (for names) resolution. */
struct nw_inspect_target {
    const char *host;             /* as the user wrote it (name or address) */
    int family;                   /* 4 or 6 */
    uint8_t addr[16];
    char addr_text[46];           /* the address as text */
    uint16_t *open_ports;         /* filled by nw_inspect_scan: sorted; framework frees */
    size_t nopen;
    char **banners;               /* parallel to open_ports (NULL entries allowed), or NULL */
    int scanned;                  /* nw_inspect_scan succeeded */
    char scan_error[256];         /* why it did not, when scanned == 0 */
};

/* The request a probe gets. */
struct nw_probe_req {
    const struct nw_check *check;
    const char *root;                     /* local/audit-self: the root dir (no trailing '/') */
    const struct nw_inspect_target *target; /* network: the target; NULL otherwise */
    const struct nw_inspect_settings *set;
    const volatile int *cancel;           /* non-zero: stop soon, return NW_PROBE_ERROR */
};

/*
 * The result a probe fills. Before run() is called the framework has
 * written "{" into facts: the probe adds members with nw_json_k*() and must
 * not close the object (the framework does). Evidence is one short line for
 * humans; never a secret (say "a password from the built-in dictionary was
 * accepted for account 'test'", never the password).
 */
struct nw_probe_res {
    int status;             /* enum nw_probe_status */
    char reason[256];       /* for SKIP / ERROR */
    struct nw_buf facts;    /* a JSON object; the condition reads it by member name */
    char evidence[1024];
};

struct nw_probe {
    const char *name;             /* as in check files: probe: file_regex */
    int mode;                     /* enum nw_chk_mode: the only mode checks may use it with */
    const char *const *params;    /* accepted parameter names, NULL-terminated; a name
                                     ending in '?' is optional, others are required */
    /*
     * Examine and fill res. Returns 0 (whatever the status), or NW_ENOMEM
     * (the run records an error verdict and goes on). Must be bounded in
     * time and memory on any input (files, network peers).
     */
    int (*run)(const struct nw_probe_req *req, struct nw_probe_res *res);
    const char *doc;              /* one line: what it examines (docs/inspect.md) */
};

/* ---------------------------------------------------------------- registry -- */

/* The probe table (src/inspect/registry.c). NULL-terminated. */
extern const struct nw_probe *const nw_inspect_probes[];
/* Find a probe by name, or NULL. */
const struct nw_probe *nw_inspect_probe_find(const char *name);

/* --------------------------------------------------------- probe helpers -- */

/* A parameter by name, or NULL. */
const struct nw_param *nw_probe_param(const struct nw_probe_req *req, const char *name);
/* A scalar parameter's text, or def when absent (or a list). */
const char *nw_probe_param_str(const struct nw_probe_req *req, const char *name, const char *def);
/* A scalar parameter as an unsigned number, or def when absent or not a number. */
uint64_t nw_probe_param_uint(const struct nw_probe_req *req, const char *name, uint64_t def);
/* Set status and a formatted reason; returns 0 so probes can `return nw_probe_skip(...)`. */
int nw_probe_skip(struct nw_probe_res *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int nw_probe_error(struct nw_probe_res *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void nw_probe_evidence(struct nw_probe_res *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Join root and an absolute path ("/etc/passwd") into out. Returns 0, or
 * NW_ELIMIT when it does not fit. "/" root gives the path unchanged.
 */
int nw_probe_path(const struct nw_probe_req *req, const char *path, char *out, size_t outsz);
/*
 * Read a whole (small) file under the root into a NUL-terminated buffer the
 * caller frees with nw_free(). Files larger than max are cut at max bytes
 * (*truncated set). Returns 0, NW_ENOENT (absent), NW_EIO (unreadable:
 * errno kept), NW_ENOMEM.
 */
int nw_probe_read_file(const struct nw_probe_req *req, const char *path, size_t max,
                       char **out, size_t *len, int *truncated);

/* ------------------------------------------------------------- scanner -- */

/*
 * Scan one target for open TCP ports among set->ports (I2: src/inspect/scan.c;
 * which replaced the first stub). On success
 * fills t->open_ports / t->nopen (nw_alloc'ed, sorted; banners optional) and
 * returns 0; otherwise NW_E* with err saying why (the target's network checks
 * then get verdict error with that reason). Must honour *cancel, set->rate
 * and set->connect_timeout_ms, and contact only t->addr.
 */
int nw_inspect_scan(struct nw_inspect_target *t, const struct nw_inspect_settings *set,
                    const volatile int *cancel, struct nw_err *err);

/* ----------------------------------------------------------- check sets -- */

/*
 * A profile (checks/profiles/<name>.yaml): the checks whose own `profiles`
 * list names it, plus those of the profile it extends, plus `checks`, minus
 * `exclude`.
 */
struct nw_profile {
    const char *name;
    const char *title_zh, *title_en;
    const char *extends;          /* another profile's name, or NULL */
    const char *const *checks;    /* extra check ids, NULL-terminated */
    const char *const *exclude;   /* check ids left out */
    const char *file;
};

struct nw_checkset {
    struct nw_check *checks;
    size_t n, cap;
    struct nw_profile *profiles;  /* files under a directory named "profiles" */
    size_t nprofiles, pcap;
    void *arena; /* internal: owned strings */
};

/*
 * Load every *.yaml under dir (recursively, depth <= 4, sorted by path) into
 * cs. A file that fails to load is reported through on_error (one line,
 * "FILE:LINE: problem; fix") and skipped; the others still load. Duplicate
 * ids are errors. Returns the number of files that failed (0 = all good), or
 * NW_ENOENT when dir cannot be opened, NW_ENOMEM. Caller frees with
 * nw_checkset_free().
 */
int nw_checkset_load_dir(struct nw_checkset *cs, const char *dir,
                         void (*on_error)(void *arg, const char *msg), void *arg);
/*
 * Load one check file held in memory (name is used in messages) and append
 * it to cs. Returns 0, or NW_EFORMAT/NW_EINVAL with err "NAME:LINE: ...".
 * Safe on any bytes (fuzz/fuzz_checkfile.c).
 */
int nw_checkset_load_buf(struct nw_checkset *cs, const char *name, const char *text, size_t len,
                         struct nw_err *err);
void nw_checkset_free(struct nw_checkset *cs);
/* Load one profile file held in memory (fuzzed with check files). */
int nw_checkset_load_profile_buf(struct nw_checkset *cs, const char *name, const char *text,
                                 size_t len, struct nw_err *err);
/* A check by id, or NULL. */
const struct nw_check *nw_checkset_find(const struct nw_checkset *cs, const char *id);
const struct nw_profile *nw_checkset_profile(const struct nw_checkset *cs, const char *name);
/*
 * Does the check belong to profile name (NULL = every check)? Follows
 * `extends` (at most 8 levels). Returns 1/0, or NW_ENOENT for an unknown
 * profile (err names the known ones).
 */
int nw_checkset_in_profile(const struct nw_checkset *cs, const struct nw_check *c,
                           const char *name, struct nw_err *err);

/* ------------------------------------------------------------------ run -- */

enum nw_cmp_status { NW_CMP_NONE = 0, NW_CMP_NEW, NW_CMP_STILL_OPEN };

/* One check's outcome for one target (local checks: target NULL). */
struct nw_inspect_result {
    const struct nw_check *check;
    const char *target;   /* network: the target's host text; NULL for local/audit-self */
    int verdict;          /* enum nw_verdict */
    char *facts;          /* JSON object text (nw_alloc'ed), "{}" at least */
    size_t facts_len;
    char evidence[1024];
    char reason[256];     /* skip/error: why */
    int cmp;              /* enum nw_cmp_status, for fail verdicts after the comparison */
    uint64_t duration_us;
};

/* A finding of the previous run that this run no longer reports. */
struct nw_inspect_fixed {
    char id[72];
    char target[256]; /* "" = local */
    char title_en[256];
    char title_zh[256];
    char severity[16];
};

struct nw_inspect_run {
    /* inputs */
    const struct nw_checkset *cs;
    const char *profile;                 /* NULL = every check of the selected modes */
    int modes;                           /* OR of enum nw_chk_mode */
    const char *only;                    /* comma-separated check ids, or NULL */
    struct nw_inspect_settings set;
    struct nw_inspect_target *targets;   /* in scope; network checks run on each */
    size_t ntargets;
    const char *const *refused;          /* "host: reason" lines for the results, or NULL */
    size_t nrefused;
    const volatile int *cancel;
    void (*on_progress)(void *arg, size_t done, size_t total, const char *what);
    void *progress_arg;
    /* outputs */
    char id[40];                         /* run id: UTC time stamp 20261121T223636Z[-N] */
    uint64_t started_us, finished_us;
    struct nw_inspect_result *results;
    size_t nresults;
    size_t counts[4];                    /* by enum nw_verdict */
    char previous[40];                   /* id of the run compared with, "" = none */
    struct nw_inspect_fixed *fixed;
    size_t nfixed;
};

/*
 * Run the selected checks (profile, modes, only). Scans each target once
 * with nw_inspect_scan when any network check is selected. Fills results
 * and counts. Returns 0, NW_ENOENT (unknown profile; err), NW_EINVAL (no
 * check selected; err), NW_ENOMEM. Free with nw_inspect_run_fini().
 */
int nw_inspect_run_checks(struct nw_inspect_run *r, struct nw_err *err);
void nw_inspect_run_fini(struct nw_inspect_run *r);

/*
 * The results document (docs/inspect.md "Results"), one JSON object and a
 * newline, appended to out.
 */
void nw_inspect_results_json(const struct nw_inspect_run *r, struct nw_buf *out);
/*
 * History in <state_dir>/inspect/: find the latest earlier run with the same
 * selection (profile, modes, root, targets), mark each fail new/still_open
 * and list the fixed ones; then (save != 0) store this run as <id>.json.
 * Returns 0, or NW_EIO with err (the run's results are still valid).
 */
int nw_inspect_history(struct nw_inspect_run *r, const char *state_dir, int save,
                       struct nw_err *err);

/* ------------------------------------------------------------- conditions -- */

/*
 * Compile a pass condition (docs/inspect.md "Condition language"). Returns
 * 0 and *out (free with nw_cond_free), or NW_EFORMAT with err naming the
 * column and the problem. Bounded: at most 4096 bytes, 256 nodes, depth 32.
 */
int nw_cond_compile(const char *src, struct nw_cond **out, struct nw_err *err);
/*
 * Evaluate over a facts object (JSON text). Returns 1 true, 0 false, or
 * NW_EINVAL with err when a fact is missing or has the wrong type (the check
 * then gets verdict error).
 */
int nw_cond_eval(const struct nw_cond *c, const char *facts, size_t len, struct nw_err *err);
void nw_cond_free(struct nw_cond *c);

/* ---------------------------------------------------------------- names -- */

const char *nw_severity_name(int sev);
int nw_severity_parse(const char *s); /* -1 if unknown */
const char *nw_verdict_name(int v);
const char *nw_chk_mode_name(int mode);
int nw_chk_mode_parse(const char *s); /* -1 if unknown */

/*
 * Change log (additive only):
 *  v1  probe descriptor, request/result, settings, targets, scanner hook,
 *      check sets, conditions.
 *  v2  profiles in the check set; run loop, results and history; skip_if.
 */

#endif /* NW_INSPECT_H */
