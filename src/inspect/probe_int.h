/* probe_int.h - helpers shared by I1's local probes (src/inspect only). */
#ifndef NW_INSPECT_PROBE_INT_H
#define NW_INSPECT_PROBE_INT_H

#include "nw/inspect.h"

/*
 * Expand a path pattern (shell glob) under the root and call fn for each
 * existing regular file (at most 64): full = host path, rel = path as seen
 * inside the root. Stops early when fn returns non-zero (returned).
 */
int nw__probe_glob(const struct nw_probe_req *req, const char *pattern,
                   int (*fn)(void *arg, const char *full, const char *rel), void *arg);

/* "yes"/"true" */
int nw__truthy(const char *s);

/*
 * dpkg status database (var/lib/dpkg/status under the root), parsed once per
 * call. Returns 1 installed (version copied into ver), 0 not installed,
 * NW_ENOENT when there is no dpkg database, NW_EIO/NW_ENOMEM.
 */
int nw__dpkg_installed(const struct nw_probe_req *req, const char *pkg, char *ver,
                       size_t versz);
/* Debian version comparison (deb-version(7)): <0, 0, >0. */
int nw__dpkg_vercmp(const char *a, const char *b);

/* Is a process with this comm name running (proc under the root)? 1/0. */
int nw__proc_running(const struct nw_probe_req *req, const char *comm);

/* Does root/path exist (any type)? */
int nw__exists(const struct nw_probe_req *req, const char *path);

/*
 * Run argv (absolute path, no shell) with stdin /dev/null, stdout+stderr
 * captured into out (cap bytes, NUL-terminated; more is drained and
 * dropped), killed after timeout_s. Returns 0 with *exit_code, NW_ELIMIT on
 * timeout, NW_EIO when it cannot start.
 */
int nw__run_capture(char *const argv[], char *out, size_t cap, size_t *outlen, int timeout_s,
                    const volatile int *cancel, int *exit_code);

#endif
