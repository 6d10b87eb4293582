/*
 * probe_fswalk.c - bounded file-system walks: suid (set-uid/set-gid files
 * in system directories that no dpkg package ships), world_writable
 * (world-writable files, and world-writable directories without the
 * sticky bit) and backup_age (the newest file in the backup locations).
 *
 * Every walk is bounded: depth 16, 200000 entries, symlinks never followed,
 * other file systems entered (an image mounted below the root is the
 * point), /proc and /sys under the root skipped. Unknown SUID files are
 * found by comparing with var/lib/dpkg/info/ *.list (all packaged paths);
 * without a dpkg database every SUID file outside the allowlist counts.
 */
#include "probe_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WALK_MAX_DEPTH 16
#define WALK_MAX_ENTRIES 200000
#define MAX_HITS 32

struct walk {
    size_t rootlen;     /* strip to get the in-root path */
    size_t entries;
    int truncated;
    int (*on_entry)(struct walk *w, const char *full, const struct stat *st);
    void *arg;
};

static void walk_dir(struct walk *w, char *path, size_t plen, size_t cap, int depth)
{
    DIR *d;
    struct dirent *de;

    if (depth > WALK_MAX_DEPTH) return;
    d = opendir(path);
    if (d == NULL) return;
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        size_t nl = strlen(de->d_name);
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (++w->entries > WALK_MAX_ENTRIES) {
            w->truncated = 1;
            break;
        }
        if (plen + 1 + nl + 1 > cap) continue;
        path[plen] = '/';
        memcpy(path + plen + 1, de->d_name, nl + 1);
        if (lstat(path, &st) == 0) {
            w->on_entry(w, path, &st);
            if (S_ISDIR(st.st_mode)) {
                const char *rel = path + w->rootlen;
                if (strcmp(rel, "/proc") != 0 && strcmp(rel, "/sys") != 0 &&
                    strcmp(rel, "/dev") != 0 && strcmp(rel, "/run") != 0)
                    walk_dir(w, path, plen + 1 + nl, cap, depth + 1);
            }
        }
        path[plen] = '\0';
    }
    closedir(d);
}

/* Walk root/dir. */
static void walk(const struct nw_probe_req *req, struct walk *w, const char *dir)
{
    char path[4096];
    struct stat st;

    if (nw_probe_path(req, dir, path, sizeof path) != 0) return;
    {
        char rootp[4096];
        nw_probe_path(req, "/", rootp, sizeof rootp);
        w->rootlen = strlen(rootp) - 1; /* rootp ends with '/' */
    }
    while (strlen(path) > 1 && path[strlen(path) - 1] == '/') path[strlen(path) - 1] = '\0';
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) return;
    walk_dir(w, path, strlen(path), sizeof path, 0);
}

/* ------------------------------------------------------------------- suid -- */

struct suid_ctx {
    char *dpkg;         /* all dpkg .list contents, '\n'-separated, or NULL */
    size_t dpkg_len;
    const struct nw_param *allow;
    size_t found;
    size_t nunknown;
    char unknown[MAX_HITS][256];
};

static int in_dpkg(const struct suid_ctx *c, const char *rel)
{
    size_t n = strlen(rel);
    const char *p = c->dpkg, *end = c->dpkg + c->dpkg_len;
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (l == n && memcmp(p, rel, n) == 0) return 1;
        p = nl ? nl + 1 : NULL;
    }
    return 0;
}

static int suid_entry(struct walk *w, const char *full, const struct stat *st)
{
    struct suid_ctx *c = w->arg;
    const char *rel = full + w->rootlen;

    if (!S_ISREG(st->st_mode) || !(st->st_mode & (S_ISUID | S_ISGID))) return 0;
    c->found++;
    if (c->dpkg && in_dpkg(c, rel)) return 0;
    if (c->dpkg) { /* merged /usr: dpkg may list /bin/x for /usr/bin/x, or the reverse */
        char alias[300];
        if (strncmp(rel, "/usr/", 5) == 0) snprintf(alias, sizeof alias, "%.250s", rel + 4);
        else snprintf(alias, sizeof alias, "/usr%.250s", rel);
        if (in_dpkg(c, alias)) return 0;
    }
    for (size_t k = 0; c->allow && c->allow->list && k < c->allow->nlist; k++)
        if (strcmp(c->allow->list[k], rel) == 0) return 0;
    if (c->nunknown < MAX_HITS) snprintf(c->unknown[c->nunknown], sizeof c->unknown[0], "%s", rel);
    c->nunknown++;
    return 0;
}

struct cat_ctx {
    struct nw_buf *b;
};

static int cat_list(void *arg, const char *full, const char *rel)
{
    struct cat_ctx *c = arg;
    FILE *f = fopen(full, "r");
    char buf[8192];
    size_t n;

    (void)rel;
    if (f == NULL) return 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) nw_buf_append(c->b, buf, n);
    nw_buf_putc(c->b, '\n');
    fclose(f);
    return 0;
}

static int suid_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    const struct nw_param *dirs = nw_probe_param(req, "dirs");
    struct suid_ctx *c;
    struct walk w;
    struct nw_buf lists;
    struct cat_ctx cc = {&lists};
    struct nw_buf *b = &res->facts;
    char pat[4096];

    c = nw_calloc(1, sizeof *c);
    if (c == NULL) return NW_ENOMEM;
    c->allow = nw_probe_param(req, "allow");
    nw_buf_init(&lists, 256u << 20);
    /* glob is capped at 64 files; dpkg has thousands of .list files: read the dir */
    if (nw_probe_path(req, "/var/lib/dpkg/info", pat, sizeof pat) == 0) {
        DIR *d = opendir(pat);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
            size_t nl = strlen(de->d_name);
            char full[4400];
            if (nl < 6 || strcmp(de->d_name + nl - 5, ".list") != 0) continue;
            snprintf(full, sizeof full, "%s/%s", pat, de->d_name);
            cat_list(&cc, full, NULL);
        }
        if (d) closedir(d);
    }
    if (lists.len > 0 && nw_buf_ok(&lists)) {
        c->dpkg = lists.data;
        c->dpkg_len = lists.len;
    }
    memset(&w, 0, sizeof w);
    w.on_entry = suid_entry;
    w.arg = c;
    for (size_t i = 0; dirs && dirs->list && i < dirs->nlist; i++) walk(req, &w, dirs->list[i]);
    if (dirs && dirs->value) walk(req, &w, dirs->value);
    nw_json_kuint(b, "suid_files", c->found);
    nw_json_kbool(b, "dpkg_known", c->dpkg != NULL);
    nw_json_kuint(b, "unknown_count", c->nunknown);
    nw_json_karr_open(b, "unknown");
    for (size_t i = 0; i < c->nunknown && i < MAX_HITS; i++) nw_json_cstr(b, c->unknown[i]);
    nw_json_arr_close(b);
    nw_json_kbool(b, "truncated", w.truncated);
    if (c->nunknown) nw_probe_evidence(res, "%zu set-uid/set-gid files no package ships, e.g. %s",
                                       c->nunknown, c->unknown[0]);
    else nw_probe_evidence(res, "%zu set-uid/set-gid files, all from packages%s", c->found,
                           c->dpkg ? "" : " or the allowlist (no dpkg database)");
    nw_buf_fini(&lists);
    nw_free(c);
    return 0;
}

static const char *const suid_params[] = {"dirs", "allow?", NULL};
const struct nw_probe nw_probe_suid = {
    "suid", NW_CHK_LOCAL, suid_params, suid_run,
    "set-uid/set-gid files in system directories that no dpkg package ships"};

/* --------------------------------------------------------- world_writable -- */

struct ww_ctx {
    size_t n;
    char hits[MAX_HITS][256];
};

static int ww_entry(struct walk *w, const char *full, const struct stat *st)
{
    struct ww_ctx *c = w->arg;

    if (S_ISLNK(st->st_mode) || !(st->st_mode & S_IWOTH)) return 0;
    if (S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX)) return 0; /* /tmp-like: fine */
    if (!S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode)) return 0;   /* sockets, devices */
    if (c->n < MAX_HITS) snprintf(c->hits[c->n], sizeof c->hits[0], "%s", full + w->rootlen);
    c->n++;
    return 0;
}

static int world_writable_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    const struct nw_param *dirs = nw_probe_param(req, "dirs");
    struct ww_ctx *c = nw_calloc(1, sizeof *c);
    struct walk w;
    struct nw_buf *b = &res->facts;

    if (c == NULL) return NW_ENOMEM;
    memset(&w, 0, sizeof w);
    w.on_entry = ww_entry;
    w.arg = c;
    for (size_t i = 0; dirs && dirs->list && i < dirs->nlist; i++) walk(req, &w, dirs->list[i]);
    if (dirs && dirs->value) walk(req, &w, dirs->value);
    nw_json_kuint(b, "count", c->n);
    nw_json_karr_open(b, "paths");
    for (size_t i = 0; i < c->n && i < MAX_HITS; i++) nw_json_cstr(b, c->hits[i]);
    nw_json_arr_close(b);
    nw_json_kuint(b, "entries", w.entries);
    nw_json_kbool(b, "truncated", w.truncated);
    if (c->n) nw_probe_evidence(res, "%zu world-writable files or directories without the sticky "
                                "bit, e.g. %s", c->n, c->hits[0]);
    else nw_probe_evidence(res, "no world-writable file among %zu entries", w.entries);
    nw_free(c);
    return 0;
}

static const char *const ww_params[] = {"dirs", NULL};
const struct nw_probe nw_probe_world_writable = {
    "world_writable", NW_CHK_LOCAL, ww_params, world_writable_run,
    "world-writable files and non-sticky world-writable directories (bounded walk)"};

/* ------------------------------------------------------------ backup_age -- */

struct bk_ctx {
    int64_t newest;
    char newest_path[256];
    size_t files;
};

static int bk_entry(struct walk *w, const char *full, const struct stat *st)
{
    struct bk_ctx *c = w->arg;

    if (!S_ISREG(st->st_mode)) return 0;
    c->files++;
    if ((int64_t)st->st_mtime > c->newest) {
        c->newest = st->st_mtime;
        snprintf(c->newest_path, sizeof c->newest_path, "%s", full + w->rootlen);
    }
    return 0;
}

static int backup_age_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    const struct nw_param *dirs = nw_probe_param(req, "dirs");
    const char *set_dirs = req->set->backup_dirs;
    struct bk_ctx c;
    struct walk w;
    struct nw_buf *b = &res->facts;
    int64_t now = (int64_t)(req->set->now_us / 1000000);
    uint64_t max_age = req->set->backup_max_age_s;
    size_t nloc = 0;

    memset(&c, 0, sizeof c);
    memset(&w, 0, sizeof w);
    w.on_entry = bk_entry;
    w.arg = &c;
    if (set_dirs && set_dirs[0]) { /* configured locations win over the check's defaults */
        const char *p = set_dirs;
        while (*p && nloc < 32) {
            char one[1024];
            size_t l = strcspn(p, ":");
            if (l > 0 && l < sizeof one) {
                memcpy(one, p, l);
                one[l] = '\0';
                walk(req, &w, one);
                nloc++;
            }
            p += l + (p[l] == ':');
        }
    } else {
        for (size_t i = 0; dirs && dirs->list && i < dirs->nlist; i++, nloc++)
            walk(req, &w, dirs->list[i]);
        if (dirs && dirs->value) walk(req, &w, dirs->value), nloc++;
    }
    if (max_age == 0) max_age = 7 * 86400;
    nw_json_kbool(b, "found", c.files > 0);
    nw_json_kuint(b, "files", c.files);
    nw_json_key(b, "age_hours");
    if (c.files) nw_json_int(b, c.newest > now ? 0 : (now - c.newest) / 3600);
    else nw_json_null(b);
    nw_json_kuint(b, "max_age_hours", max_age / 3600);
    nw_json_kbool(b, "fresh", c.files > 0 && now - c.newest <= (int64_t)max_age);
    if (c.files)
        nw_probe_evidence(res, "newest backup %s is %lld hours old (limit %llu)", c.newest_path,
                          (long long)(c.newest > now ? 0 : (now - c.newest) / 3600),
                          (unsigned long long)(max_age / 3600));
    else
        nw_probe_evidence(res, "no backup file in %s",
                          set_dirs && set_dirs[0] ? set_dirs : "the check's default locations");
    return 0;
}

static const char *const bk_params[] = {"dirs", NULL};
const struct nw_probe nw_probe_backup_age = {
    "backup_age", NW_CHK_LOCAL, bk_params, backup_age_run,
    "age of the newest file in the backup locations ([inspect] backup_dirs) vs backup_max_age"};
