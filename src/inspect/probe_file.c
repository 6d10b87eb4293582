/*
 * probe_file.c - generic file probes: file_regex (content, line by line,
 * POSIX extended regex) and file_stat (existence, mode, owner).
 *
 * file_regex reads every file named by `path` (a path or a list; shell
 * globs allowed; all under the root), skips '#' comment lines unless
 * comments: yes, and matches `pattern` against each line. Facts:
 *   exists   bool   at least one file was read
 *   files    list   the files read (root-relative), at most 32
 *   matched  bool   some line matched
 *   count    number matching lines
 *   value    string capture group 1 (or the whole match) of the first match
 *                   (which: last -> the last match), else the `default`
 *                   parameter, else null
 *   number   number value as an integer when it is one, else null
 *   values   list   capture group 1 of each match, at most 32
 * Bounds: 4 MiB per file, 64 files, 8192-byte lines. A file that is absent
 * everywhere gives exists=false (skip instead when skip_if_absent: yes).
 *
 * file_stat: facts exists, mode (number), perm (e.g. "0640"), uid, gid,
 * is_dir, other_write, other_read, group_write, and with max_mode (octal)
 * mode_ok = no permission bit beyond max_mode, with owner_uid owner_ok.
 */
#include "probe_int.h"

#include <errno.h>
#include <glob.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILE (4u * 1024 * 1024)
#define MAX_FILES 64
#define MAX_VALUES 32

int nw__truthy(const char *s) { return s && (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0); }
#define truthy nw__truthy


int nw__probe_glob(const struct nw_probe_req *req, const char *pattern,
                   int (*fn)(void *arg, const char *full, const char *rel), void *arg)
{
    char full[4096];
    glob_t g;
    size_t rootlen;
    int rc = 0;

    if (nw_probe_path(req, pattern, full, sizeof full) != 0) return 0;
    rootlen = strlen(full) - strlen(pattern[0] == '/' ? pattern + 1 : pattern) - 1;
    memset(&g, 0, sizeof g);
    if (glob(full, 0, NULL, &g) != 0) {
        globfree(&g);
        return 0;
    }
    for (size_t i = 0; i < g.gl_pathc && i < MAX_FILES && rc == 0; i++) {
        struct stat st;
        if (stat(g.gl_pathv[i], &st) != 0 || !S_ISREG(st.st_mode)) continue;
        rc = fn(arg, g.gl_pathv[i], g.gl_pathv[i] + rootlen);
    }
    globfree(&g);
    return rc;
}

struct rx_ctx {
    const struct nw_probe_req *req;
    struct nw_probe_res *res;
    regex_t re;
    int comments, last;
    size_t nfiles, count, nvalues;
    char value[512];
    char firstline[256];
    char files[MAX_FILES][128];
    char values[MAX_VALUES][128];
    int err;
    char errfile[256];
};

static int rx_file(void *arg, const char *full, const char *rel)
{
    struct rx_ctx *x = arg;
    FILE *f;
    char line[8192];
    size_t total = 0;

    if (x->nfiles >= MAX_FILES) return 0;
    f = fopen(full, "r");
    if (f == NULL) {
        x->err = errno;
        snprintf(x->errfile, sizeof x->errfile, "%s", rel);
        return 0;
    }
    snprintf(x->files[x->nfiles++], sizeof x->files[0], "%s", rel);
    while (total < MAX_FILE && fgets(line, sizeof line, f) != NULL) {
        size_t n = strlen(line);
        const char *p = line;
        regmatch_t m[2];
        total += n;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        while (*p == ' ' || *p == '\t') p++;
        if (!x->comments && *p == '#') continue;
        if (regexec(&x->re, line, 2, m, 0) != 0) continue;
        {
            regoff_t so = m[1].rm_so >= 0 ? m[1].rm_so : m[0].rm_so;
            regoff_t eo = m[1].rm_so >= 0 ? m[1].rm_eo : m[0].rm_eo;
            if (x->count == 0 || x->last)
                snprintf(x->value, sizeof x->value, "%.*s", (int)(eo - so), line + so);
            if (x->count == 0) snprintf(x->firstline, sizeof x->firstline, "%.120s: %.120s", rel, p);
            if (x->nvalues < MAX_VALUES)
                snprintf(x->values[x->nvalues++], sizeof x->values[0], "%.*s", (int)(eo - so),
                         line + so);
        }
        x->count++;
    }
    fclose(f);
    return 0;
}

static int is_int(const char *s, long long *v)
{
    char *end;
    if (*s == '\0') return 0;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return errno == 0 && *end == '\0';
}

static int file_regex_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    const struct nw_param *path = nw_probe_param(req, "path");
    const char *pattern = nw_probe_param_str(req, "pattern", NULL);
    const char *def = nw_probe_param_str(req, "default", NULL);
    struct rx_ctx *x;
    struct nw_buf *b = &res->facts;
    long long num;
    int rc;

    if (path == NULL || pattern == NULL) return nw_probe_error(res, "path and pattern needed");
    x = nw_calloc(1, sizeof *x);
    if (x == NULL) return NW_ENOMEM;
    x->req = req;
    x->res = res;
    x->comments = truthy(nw_probe_param_str(req, "comments", "no"));
    x->last = strcmp(nw_probe_param_str(req, "which", "first"), "last") == 0;
    rc = regcomp(&x->re, pattern, REG_EXTENDED | (truthy(nw_probe_param_str(req, "icase", "no"))
                                                  ? REG_ICASE : 0));
    if (rc != 0) {
        char m[128];
        regerror(rc, &x->re, m, sizeof m);
        nw_free(x);
        return nw_probe_error(res, "pattern does not compile: %s", m);
    }
    if (path->list) {
        for (size_t i = 0; i < path->nlist; i++) nw__probe_glob(req, path->list[i], rx_file, x);
    } else {
        nw__probe_glob(req, path->value, rx_file, x);
    }
    regfree(&x->re);
    if (x->nfiles == 0 && x->err) {
        nw_probe_error(res, "cannot read %s: %s", x->errfile, strerror(x->err));
        goto out;
    }
    if (x->nfiles == 0 && truthy(nw_probe_param_str(req, "skip_if_absent", "no"))) {
        nw_probe_skip(res, "%s not present", path->value ? path->value : path->list[0]);
        goto out;
    }
    nw_json_kbool(b, "exists", x->nfiles > 0);
    nw_json_karr_open(b, "files");
    for (size_t i = 0; i < x->nfiles; i++) nw_json_cstr(b, x->files[i]);
    nw_json_arr_close(b);
    nw_json_kbool(b, "matched", x->count > 0);
    nw_json_kuint(b, "count", x->count);
    if (x->count == 0 && def) snprintf(x->value, sizeof x->value, "%s", def);
    nw_json_key(b, "value");
    if (x->count > 0 || def) nw_json_cstr(b, x->value);
    else nw_json_null(b);
    nw_json_key(b, "number");
    if ((x->count > 0 || def) && is_int(x->value, &num)) nw_json_int(b, num);
    else nw_json_null(b);
    nw_json_karr_open(b, "values");
    for (size_t i = 0; i < x->nvalues; i++) nw_json_cstr(b, x->values[i]);
    nw_json_arr_close(b);
    if (x->count > 0) nw_probe_evidence(res, "%s", x->firstline);
    else if (x->nfiles > 0) nw_probe_evidence(res, "no line matches in %s%s%s%s", x->files[0],
                                              x->nfiles > 1 ? " and " : "",
                                              x->nfiles > 1 ? "others" : "",
                                              def ? " (default applies)" : "");
    else nw_probe_evidence(res, "%s not found", path->value ? path->value : path->list[0]);
out:
    nw_free(x);
    return 0;
}

static const char *const file_regex_params[] = {"path", "pattern", "default?", "which?",
                                                "comments?", "icase?", "skip_if_absent?", NULL};
const struct nw_probe nw_probe_file_regex = {
    "file_regex", NW_CHK_LOCAL, file_regex_params, file_regex_run,
    "lines of files (globs) matching an extended regex; value = capture group 1"};

static int file_stat_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    const char *path = nw_probe_param_str(req, "path", NULL);
    const char *maxm = nw_probe_param_str(req, "max_mode", NULL);
    char full[4096];
    struct stat st;
    struct nw_buf *b = &res->facts;
    char perm[8];

    if (path == NULL || nw_probe_path(req, path, full, sizeof full) != 0)
        return nw_probe_error(res, "bad path");
    if (lstat(full, &st) != 0) {
        if (errno != ENOENT) return nw_probe_error(res, "cannot stat %s: %s", path,
                                                   strerror(errno));
        if (truthy(nw_probe_param_str(req, "skip_if_absent", "no")))
            return nw_probe_skip(res, "%s not present", path);
        nw_json_kbool(b, "exists", 0);
        nw_probe_evidence(res, "%s not found", path);
        return 0;
    }
    snprintf(perm, sizeof perm, "%04o", (unsigned)(st.st_mode & 07777));
    nw_json_kbool(b, "exists", 1);
    nw_json_kuint(b, "mode", st.st_mode & 07777);
    nw_json_kcstr(b, "perm", perm);
    nw_json_kuint(b, "uid", st.st_uid);
    nw_json_kuint(b, "gid", st.st_gid);
    nw_json_kbool(b, "is_dir", S_ISDIR(st.st_mode));
    nw_json_kbool(b, "other_write", (st.st_mode & S_IWOTH) != 0);
    nw_json_kbool(b, "other_read", (st.st_mode & S_IROTH) != 0);
    nw_json_kbool(b, "group_write", (st.st_mode & S_IWGRP) != 0);
    if (maxm) {
        unsigned long m = strtoul(maxm, NULL, 8);
        nw_json_kbool(b, "mode_ok", ((st.st_mode & 07777) & ~m) == 0);
    }
    if (nw_probe_param(req, "owner_uid"))
        nw_json_kbool(b, "owner_ok", st.st_uid == nw_probe_param_uint(req, "owner_uid", 0));
    nw_probe_evidence(res, "%s mode %s uid %u gid %u", path, perm, (unsigned)st.st_uid,
                      (unsigned)st.st_gid);
    return 0;
}

static const char *const file_stat_params[] = {"path", "max_mode?", "owner_uid?",
                                               "skip_if_absent?", NULL};
const struct nw_probe nw_probe_file_stat = {
    "file_stat", NW_CHK_LOCAL, file_stat_params, file_stat_run,
    "existence, permission bits and owner of one path (not followed if a symlink)"};
