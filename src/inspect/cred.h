/*
 * cred.h - internal to src/inspect: the weak-credential engine shared by the
 * probe_weak_*.c probes. It owns the dictionary (built-in users and
 * passwords, the check's own user list, the operator's extra lists), the
 * order of attempts, the per-account attempt limit, the pause between
 * attempts, the time bound and the wording of evidence. A probe only knows
 * how to try one user/password pair on its protocol.
 *
 * Safety invariants (docs/inspect-credentials.md):
 *  - at most `max_attempts` passwords per account per run (hard cap
 *    NW_CRED_MAX_ATTEMPTS), so an account whose lockout threshold is above
 *    that number is never locked by one run;
 *  - at least `delay_ms` between two attempts of a run;
 *  - no attempt starts after the time bound or once *cancel is set;
 *  - a password that worked is never stored: results keep the account name
 *    and the attempt number only, and the candidate buffer is wiped after
 *    every attempt.
 */
#ifndef NW_INSPECT_CRED_H
#define NW_INSPECT_CRED_H

#include <stddef.h>
#include <stdint.h>

#include "nw/inspect.h"

#define NW_CRED_MAX_ATTEMPTS 10   /* hard cap per account, whatever the settings say */
#define NW_CRED_DEF_ATTEMPTS 3    /* default per account (below common lockout thresholds) */
#define NW_CRED_DEF_DELAY_MS 250  /* default pause between attempts */
#define NW_CRED_DEF_BUDGET_MS 60000 /* default time bound of one probe's attempts */
#define NW_CRED_MAX_ITEMS 1000    /* entries kept per list (files are cut there) */
#define NW_CRED_MAX_LEN 128       /* longest user name or password (longer lines skipped) */
#define NW_CRED_MAX_FOUND 16      /* weak accounts remembered per run */
#define NW_CRED_MAX_FILE ((size_t)256 * 1024)

/* A list of unique strings (user names or password templates). */
struct nw_cred_list {
    char **item;
    size_t n, cap;
};

/*
 * Append s[0..n) unless already present or too long. Returns 0 (also when
 * skipped), NW_ELIMIT when the list is full, NW_ENOMEM.
 */
int nw__cred_list_add(struct nw_cred_list *l, const char *s, size_t n);
/*
 * Parse dictionary text: one entry per line, '#' comments and blank lines
 * skipped, surrounding blanks and CR trimmed, "\#" at the start for a
 * literal '#'. Stops quietly at NW_CRED_MAX_ITEMS. Safe on any bytes.
 * Returns 0 or NW_ENOMEM.
 */
int nw__cred_list_parse(struct nw_cred_list *l, const char *text, size_t len);
/* Load a dictionary file (at most NW_CRED_MAX_FILE bytes). 0, NW_ENOENT, NW_EIO, NW_ENOMEM. */
int nw__cred_list_load(struct nw_cred_list *l, const char *path, struct nw_err *err);
void nw__cred_list_fini(struct nw_cred_list *l);

struct nw_cred_dict {
    struct nw_cred_list users;     /* accounts, in the order they are tried */
    struct nw_cred_list passwords; /* templates: "{user}", "{empty}" or literal */
};

/*
 * Build the dictionary for one probe run: accounts = the check's `users`
 * parameter (list, or comma-separated scalar) first, then (unless
 * `builtin_users: false`) <dict_dir>/users.txt and settings->user_list;
 * passwords = <dict_dir>/passwords.txt then settings->pass_list. A missing
 * built-in file is an error (NW_ENOENT, err says where it looked and how to
 * fix); the caller frees with nw__cred_dict_fini() in every case.
 */
int nw__cred_dict_for(struct nw_cred_dict *d, const struct nw_probe_req *req, struct nw_err *err);
void nw__cred_dict_fini(struct nw_cred_dict *d);

/* What one attempt found out. */
enum nw_cred_verdict {
    NW_CRED_REJECT = 0, /* wrong password: next password */
    NW_CRED_ACCEPT = 1, /* logged in: account is weak, next account */
    NW_CRED_NOUSER = 2, /* the service refuses this account outright: next account */
    NW_CRED_STOP = -1   /* the service cannot be tested further (why says so): stop */
};

struct nw_cred_ops {
    /*
     * Try user/pass once. pass is only valid during the call and must not
     * be copied anywhere that outlives it. On NW_CRED_STOP write one line
     * to why (unreachable, refused, TLS required...).
     */
    int (*attempt)(void *ctx, const char *user, const char *pass, char *why, size_t whysz);
    void (*account_end)(void *ctx); /* after the last attempt of an account; may be NULL */
};

/* Time source, replaceable by unit tests. */
struct nw_cred_clock {
    uint64_t (*now_ms)(void *arg);
    void (*sleep_ms)(void *arg, uint64_t ms); /* may return early when cancelled */
    void *arg;
};

enum nw_cred_stop {
    NW_CRED_DONE = 0,    /* every account had its attempts */
    NW_CRED_BUDGET,      /* time bound reached */
    NW_CRED_CANCELLED,   /* *cancel was set */
    NW_CRED_SERVICE      /* the probe said stop (stop_reason) */
};

struct nw_cred_found {
    char user[NW_CRED_MAX_LEN + 1];
    unsigned attempt; /* 1-based index of the accepted attempt for this account */
    unsigned of;      /* attempts this account was allowed */
};

struct nw_cred_run {
    /* limits (nw__cred_run_init fills them from the settings) */
    unsigned max_attempts;
    uint64_t delay_ms;
    uint64_t budget_ms;
    unsigned max_accounts;         /* 0 = all in the dictionary */
    const volatile int *cancel;
    const struct nw_cred_clock *clock; /* NULL = monotonic clock and nanosleep */
    const struct nw_inspect_target *target; /* for the ledger; NULL = no ledger */
    const char *realm;             /* account database the service checks against
                                      ("system" for SSH/FTP, "mysql:3306"...) */
    /* results */
    unsigned attempts;             /* attempts made, all accounts */
    unsigned accounts;             /* accounts with at least one attempt */
    unsigned found_total;          /* weak accounts (found[] keeps the first ones) */
    struct nw_cred_found found[NW_CRED_MAX_FOUND];
    unsigned nfound;
    int stop;                      /* enum nw_cred_stop */
    char stop_reason[256];
    uint64_t elapsed_ms;
    unsigned ledger_skipped;       /* accounts skipped: their budget was used recently */
};

/*
 * The attempt ledger: across probes and runs of this process, attempts per
 * (target address, realm, account) inside NW_CRED_WINDOW_MS never exceed
 * the per-account limit. Lockout counters work that way (pam_faillock
 * counts failures of an account in fail_interval, 15 min by default,
 * whichever service they came from), so two services sharing the system
 * accounts (SSH and FTP through PAM) or a second run soon after the first
 * share one budget. Attempts the service refused before any password was
 * sent (NW_CRED_NOUSER) are given back. Thread-safe (one mutex).
 */
#define NW_CRED_WINDOW_MS (15u * 60u * 1000u)
#define NW_CRED_LEDGER_MAX 1024
/* Forget every entry (tests). */
void nw__cred_ledger_reset(void);

/*
 * Limits from req->set and the check's parameters: attempts_per_account
 * (0 = NW_CRED_DEF_ATTEMPTS, capped at NW_CRED_MAX_ATTEMPTS; the check
 * may lower it with `max_attempts`), attempt_delay_ms (taken as is, 0 =
 * no pause), budget = probe_timeout_ms (0 = NW_CRED_DEF_BUDGET_MS), cancel
 * flag, the target (for the ledger). req or req->set may be NULL: then
 * every limit is its default. Probes set r->realm afterwards when the
 * service checks something other than its own account database.
 */
void nw__cred_run_init(struct nw_cred_run *r, const struct nw_probe_req *req);
/*
 * Try the dictionary against one service through ops. Accounts in order;
 * per account the password templates from the top, expanded ({user},
 * {empty}) and de-duplicated, at most max_attempts of them, stopping at
 * the first accepted one. Sleeps delay_ms between any two attempts. Never
 * starts an attempt once the budget would be exceeded or on cancel.
 * Returns 0 (r->stop says how it ended) or NW_EINVAL (no ops).
 */
int nw__cred_run(struct nw_cred_run *r, const struct nw_cred_dict *d,
                 const struct nw_cred_ops *ops, void *ctx);
/*
 * Facts for the condition language: dictionary_accepted (bool),
 * weak_accounts (array of names), weak_account_count, attempts,
 * accounts_tried, attempts_per_account, cred_stopped ("done", "time bound",
 * "cancelled", "service").
 */
void nw__cred_facts(const struct nw_cred_run *r, struct nw_buf *facts);
/*
 * One evidence line naming the service, e.g. "ssh 10.0.0.2:22: a password
 * from the built-in dictionary was accepted for account 'test' (attempt 2
 * of 3)"; or how many attempts were rejected. Never a password.
 */
void nw__cred_evidence(const struct nw_cred_run *r, const char *service, char *out, size_t cap);

/* Wipe a buffer so the compiler cannot drop the stores. */
void nw__cred_wipe(void *p, size_t n);

/* ----------------------------------------------- shared network helpers -- */

/*
 * TCP connect to addr:port with a timeout (ms), socket left blocking with
 * SO_RCVTIMEO/SO_SNDTIMEO = io_ms. Returns the fd, or -1 with why filled:
 * "connection refused", "timed out", "unreachable" ...
 */
int nw__cred_connect(const struct nw_inspect_target *t, uint16_t port, uint64_t timeout_ms,
                     uint64_t io_ms, char *why, size_t whysz);
/* Timeouts for one probe connection: connect, then each read/write (ms). */
void nw__cred_timeouts(const struct nw_probe_req *req, uint64_t *connect_ms, uint64_t *io_ms);
/*
 * Keep SIGPIPE from killing the process while a probe writes to peers that
 * may hang up (OpenSSL, libssh and plain writes): block it in this thread
 * for the probe's duration, then drop any that became pending and restore
 * the mask (curl's sigpipe_ignore idea). Pair every _block with _restore.
 */
struct nw_cred_sigpipe {
    unsigned char old[128]; /* sigset_t, kept opaque here */
    int pending_before;
};
void nw__cred_sigpipe_block(struct nw_cred_sigpipe *s);
void nw__cred_sigpipe_restore(struct nw_cred_sigpipe *s);
/* Run a probe body with SIGPIPE held off (a peer closing mid-write must not
 * kill the run); every credential probe's entry point is this. */
int nw__cred_run_guarded(int (*body)(const struct nw_probe_req *, struct nw_probe_res *),
                         const struct nw_probe_req *req, struct nw_probe_res *res);
/* Is port among the target's open ports (or was the target not scanned)? */
int nw__cred_port_open(const struct nw_inspect_target *t, uint16_t port);
/* The port to probe: the check's `port` parameter, or def. */
uint16_t nw__cred_port(const struct nw_probe_req *req, uint16_t def);

#endif /* NW_INSPECT_CRED_H */
