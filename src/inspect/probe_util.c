/*
 * probe_util.c - helpers every probe uses: parameters, status and evidence,
 * paths under the inspected root, bounded file reads; and the names of
 * severities, verdicts and modes.
 *
 * Invariant: a path under the root is always root + an absolute path; it is
 * never resolved through the host's own symlinks above the root (a root
 * that is a mounted image may hold absolute symlinks pointing at the
 * host: reads follow them, as `chroot` tools do; documented in inspect.md).
 */
#include "nw/inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const struct nw_param *nw_probe_param(const struct nw_probe_req *req, const char *name)
{
    const struct nw_check *c = req->check;

    if (c == NULL) return NULL;
    for (size_t i = 0; i < c->nparams; i++)
        if (strcmp(c->params[i].name, name) == 0) return &c->params[i];
    return NULL;
}

const char *nw_probe_param_str(const struct nw_probe_req *req, const char *name, const char *def)
{
    const struct nw_param *p = nw_probe_param(req, name);

    return p && p->value ? p->value : def;
}

uint64_t nw_probe_param_uint(const struct nw_probe_req *req, const char *name, uint64_t def)
{
    const char *s = nw_probe_param_str(req, name, NULL);
    char *end;
    unsigned long long v;

    if (s == NULL || *s < '0' || *s > '9') return def;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end != '\0') return def;
    return v;
}

static int set_reason(struct nw_probe_res *res, int status, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static int set_reason(struct nw_probe_res *res, int status, const char *fmt, va_list ap)
{
    res->status = status;
    vsnprintf(res->reason, sizeof res->reason, fmt, ap);
    return 0;
}

int nw_probe_skip(struct nw_probe_res *res, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    set_reason(res, NW_PROBE_SKIP, fmt, ap);
    va_end(ap);
    return 0;
}

int nw_probe_error(struct nw_probe_res *res, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    set_reason(res, NW_PROBE_ERROR, fmt, ap);
    va_end(ap);
    return 0;
}

void nw_probe_evidence(struct nw_probe_res *res, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(res->evidence, sizeof res->evidence, fmt, ap);
    va_end(ap);
}

int nw_probe_path(const struct nw_probe_req *req, const char *path, char *out, size_t outsz)
{
    const char *root = req->root ? req->root : "/";
    size_t rl = strlen(root);
    int n;

    while (rl > 0 && root[rl - 1] == '/') rl--; /* "/" and "dir/" both end without '/' */
    while (*path == '/') path++;
    n = snprintf(out, outsz, "%.*s/%s", (int)rl, root, path);
    if (n < 0 || (size_t)n >= outsz) return NW_ELIMIT;
    return 0;
}

int nw_probe_read_file(const struct nw_probe_req *req, const char *path, size_t max,
                       char **out, size_t *len, int *truncated)
{
    char full[4096];
    char *buf = NULL;
    size_t n = 0;
    int fd = -1, rc;

    *out = NULL;
    *len = 0;
    if (truncated) *truncated = 0;
    if (nw_probe_path(req, path, full, sizeof full) != 0) return NW_ELIMIT;
    fd = open(full, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not hang the run */
    if (fd < 0) return errno == ENOENT || errno == ENOTDIR ? NW_ENOENT : NW_EIO;
    {
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            rc = NW_EIO;
            errno = EISDIR;
            goto out;
        }
    }
    buf = nw_alloc(max + 1);
    if (buf == NULL) {
        rc = NW_ENOMEM;
        goto out;
    }
    while (n < max) {
        ssize_t r = read(fd, buf + n, max - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            rc = NW_EIO;
            goto out;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    if (n == max && truncated) {
        char c;
        if (read(fd, &c, 1) == 1) *truncated = 1;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
    rc = 0;
out:
    if (fd >= 0) close(fd);
    nw_free(buf);
    return rc;
}

static const char *const sev_names[] = {"info", "low", "medium", "high", "critical"};

const char *nw_severity_name(int sev)
{
    return sev >= 0 && sev < (int)NW_ARRAY_LEN(sev_names) ? sev_names[sev] : "?";
}

int nw_severity_parse(const char *s)
{
    for (int i = 0; i < (int)NW_ARRAY_LEN(sev_names); i++)
        if (strcmp(s, sev_names[i]) == 0) return i;
    return -1;
}

const char *nw_verdict_name(int v)
{
    static const char *const names[] = {"pass", "fail", "skip", "error"};

    return v >= 0 && v < 4 ? names[v] : "?";
}

const char *nw_chk_mode_name(int mode)
{
    switch (mode) {
    case NW_CHK_LOCAL: return "local";
    case NW_CHK_NETWORK: return "network";
    case NW_CHK_AUDIT_SELF: return "audit-self";
    default: return "?";
    }
}

int nw_chk_mode_parse(const char *s)
{
    if (strcmp(s, "local") == 0) return NW_CHK_LOCAL;
    if (strcmp(s, "network") == 0) return NW_CHK_NETWORK;
    if (strcmp(s, "audit-self") == 0) return NW_CHK_AUDIT_SELF;
    return -1;
}
