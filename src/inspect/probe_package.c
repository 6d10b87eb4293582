/*
 * probe_package.c - package state from the dpkg database under the root:
 * package (installed or not), pending_updates (security lists vs installed
 * versions) and clamav (installed, signature age).
 *
 * pending_updates is best effort and documented as such (docs/inspect.md):
 * it reads the Packages indexes apt has already downloaded
 * (var/lib/apt/lists/ *security*_Packages, uncompressed) and counts installed
 * packages for which such a list holds a newer version (deb-version(7)
 * order). It never runs apt, so the answer is as fresh as the last
 * `apt-get update`; with no security lists it says so (skip).
 * Bounds: status and each list 64 MiB, 65536 packages, 16 lists.
 */
#include "probe_int.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define DB_MAX (64u * 1024 * 1024)
#define MAX_PKGS 65536

/* ------------------------------------------------------- deb-version(7) -- */

static int order(int c)
{
    if (isdigit(c)) return 0;
    if (isalpha(c)) return c;
    if (c == '~') return -1;
    if (c) return c + 256;
    return 0;
}

static int verrevcmp(const char *a, const char *b)
{
    while (*a || *b) {
        int first_diff = 0;
        while ((*a && !isdigit((unsigned char)*a)) || (*b && !isdigit((unsigned char)*b))) {
            int ac = order((unsigned char)*a), bc = order((unsigned char)*b);
            if (ac != bc) return ac - bc;
            a++;
            b++;
        }
        while (*a == '0') a++;
        while (*b == '0') b++;
        while (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            if (!first_diff) first_diff = *a - *b;
            a++;
            b++;
        }
        if (isdigit((unsigned char)*a)) return 1;
        if (isdigit((unsigned char)*b)) return -1;
        if (first_diff) return first_diff;
    }
    return 0;
}

int nw__dpkg_vercmp(const char *a, const char *b)
{
    char ua[256], ub[256];
    const char *ra = "", *rb = "";
    long ea = 0, eb = 0;
    const char *c;
    char *d;
    int r;

    if ((c = strchr(a, ':')) != NULL) ea = strtol(a, NULL, 10), a = c + 1;
    if ((c = strchr(b, ':')) != NULL) eb = strtol(b, NULL, 10), b = c + 1;
    if (ea != eb) return ea < eb ? -1 : 1;
    snprintf(ua, sizeof ua, "%s", a);
    snprintf(ub, sizeof ub, "%s", b);
    if ((d = strrchr(ua, '-')) != NULL) *d = '\0', ra = a + (d - ua) + 1;
    if ((d = strrchr(ub, '-')) != NULL) *d = '\0', rb = b + (d - ub) + 1;
    r = verrevcmp(ua, ub);
    if (r) return r;
    return verrevcmp(ra, rb);
}

/* ------------------------------------------------------------ dpkg status -- */

struct pkg {
    char name[96];
    char ver[96];
};

/*
 * Walk the paragraphs of a Packages/status text. For each paragraph calls
 * fn(name, version, installed) (installed: Status says "install ok
 * installed"; lists have no Status and pass 1).
 */
static void walk_paragraphs(char *text, int is_status,
                            void (*fn)(void *arg, const char *n, const char *v, int inst),
                            void *arg)
{
    char name[96] = "", ver[96] = "";
    int inst = !is_status;
    char *line = text;

    for (;;) {
        char *next = strchr(line, '\n');
        if (next) *next = '\0';
        if (*line == '\0') {
            if (name[0]) fn(arg, name, ver, inst);
            name[0] = ver[0] = '\0';
            inst = !is_status;
        } else if (strncmp(line, "Package: ", 9) == 0) {
            snprintf(name, sizeof name, "%s", line + 9);
        } else if (strncmp(line, "Version: ", 9) == 0) {
            snprintf(ver, sizeof ver, "%s", line + 9);
        } else if (is_status && strncmp(line, "Status: ", 8) == 0) {
            inst = strstr(line, " installed") != NULL && strstr(line, "install ") != NULL;
        }
        if (next == NULL) break;
        line = next + 1;
    }
    if (name[0]) fn(arg, name, ver, inst);
}

struct find_one {
    const char *want;
    char *ver;
    size_t versz;
    int found;
};

static void on_find(void *arg, const char *n, const char *v, int inst)
{
    struct find_one *f = arg;
    if (inst && strcmp(n, f->want) == 0) {
        f->found = 1;
        if (f->ver) snprintf(f->ver, f->versz, "%s", v);
    }
}

int nw__dpkg_installed(const struct nw_probe_req *req, const char *pkg, char *ver, size_t versz)
{
    char *buf;
    size_t len;
    struct find_one f = {pkg, ver, versz, 0};
    int rc = nw_probe_read_file(req, "/var/lib/dpkg/status", DB_MAX, &buf, &len, NULL);

    if (rc != 0) return rc;
    walk_paragraphs(buf, 1, on_find, &f);
    nw_free(buf);
    return f.found;
}

static int package_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    const struct nw_param *p = nw_probe_param(req, "names");
    struct nw_buf *b = &res->facts;
    const char *const *names = p->list;
    const char *one[2] = {p->value, NULL};
    size_t n = p->list ? p->nlist : 1, ninst = 0;
    char ev[512];
    size_t evl = 0;

    ev[0] = '\0';
    if (names == NULL) names = one;
    nw_json_karr_open(b, "installed_list");
    for (size_t i = 0; i < n; i++) {
        char ver[96];
        int rc = nw__dpkg_installed(req, names[i], ver, sizeof ver);
        if (rc == NW_ENOENT) {
            return nw_probe_skip(res, "no dpkg database (var/lib/dpkg/status); only Debian-family "
                                 "package state is examined");
        }
        if (rc < 0) return rc == NW_ENOMEM ? rc : nw_probe_error(res, "cannot read "
                                                                 "var/lib/dpkg/status");
        if (rc == 1) {
            int k = snprintf(ev + evl, sizeof ev - evl, "%s%s %s", evl ? ", " : "", names[i], ver);
            if (k > 0 && (size_t)k < sizeof ev - evl) evl += (size_t)k;
            nw_json_cstr(b, names[i]);
            ninst++;
        }
    }
    nw_json_arr_close(b);
    nw_json_kbool(b, "installed", ninst > 0);
    nw_json_kuint(b, "count", ninst);
    if (ninst) nw_probe_evidence(res, "installed: %s", ev);
    else nw_probe_evidence(res, "none of the %zu named packages is installed", n);
    return 0;
}

static const char *const package_params[] = {"names", NULL};
const struct nw_probe nw_probe_package = {
    "package", NW_CHK_LOCAL, package_params, package_run,
    "are any of the named packages installed (dpkg status under the root)"};

/* -------------------------------------------------------- pending_updates -- */

struct pkgset {
    struct pkg *v;
    size_t n, cap;
    int installed_only;
};

static void on_add(void *arg, const char *n, const char *v, int inst)
{
    struct pkgset *s = arg;
    if (!inst || s->n >= MAX_PKGS) return;
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 1024;
        struct pkg *nv = nw_realloc(s->v, nc * sizeof *nv);
        if (nv == NULL) return;
        s->v = nv;
        s->cap = nc;
    }
    snprintf(s->v[s->n].name, sizeof s->v[0].name, "%s", n);
    snprintf(s->v[s->n].ver, sizeof s->v[0].ver, "%s", v);
    s->n++;
}

static int cmp_pkg(const void *a, const void *b)
{
    return strcmp(((const struct pkg *)a)->name, ((const struct pkg *)b)->name);
}

struct upd_ctx {
    struct pkgset *inst;
    struct pkgset pending;
};

static void on_list(void *arg, const char *n, const char *v, int inst)
{
    struct upd_ctx *u = arg;
    struct pkg key, *hit;
    (void)inst;
    snprintf(key.name, sizeof key.name, "%s", n);
    hit = bsearch(&key, u->inst->v, u->inst->n, sizeof key, cmp_pkg);
    if (hit == NULL || nw__dpkg_vercmp(v, hit->ver) <= 0) return;
    for (size_t i = 0; i < u->pending.n; i++)
        if (strcmp(u->pending.v[i].name, n) == 0) return;
    on_add(&u->pending, n, v, 1);
}

static int pending_updates_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    struct pkgset inst = {NULL, 0, 0, 1};
    struct upd_ctx u;
    struct nw_buf *b = &res->facts;
    char pat[4096];
    glob_t g;
    size_t nlists = 0;
    char *buf = NULL;
    size_t len;
    int rc;

    memset(&u, 0, sizeof u);
    rc = nw_probe_read_file(req, "/var/lib/dpkg/status", DB_MAX, &buf, &len, NULL);
    if (rc == NW_ENOENT) return nw_probe_skip(res, "no dpkg database (var/lib/dpkg/status)");
    if (rc != 0) return rc == NW_ENOMEM ? rc : nw_probe_error(res, "cannot read dpkg status");
    walk_paragraphs(buf, 1, on_add, &inst);
    nw_free(buf);
    if (inst.n > 1) qsort(inst.v, inst.n, sizeof *inst.v, cmp_pkg); /* v is NULL when empty */
    u.inst = &inst;
    if (nw_probe_path(req, "/var/lib/apt/lists/*security*_Packages", pat, sizeof pat) != 0) {
        nw_free(inst.v);
        return nw_probe_error(res, "root path too long");
    }
    memset(&g, 0, sizeof g);
    if (glob(pat, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc && i < 16; i++) {
            FILE *f = fopen(g.gl_pathv[i], "rb");
            struct stat st;
            if (f == NULL) continue;
            if (fstat(fileno(f), &st) != 0 || st.st_size > DB_MAX) {
                fclose(f);
                continue;
            }
            buf = nw_alloc((size_t)st.st_size + 1);
            if (buf) {
                len = fread(buf, 1, (size_t)st.st_size, f);
                buf[len] = '\0';
                walk_paragraphs(buf, 0, on_list, &u);
                nw_free(buf);
                nlists++;
            }
            fclose(f);
        }
    }
    globfree(&g);
    if (nlists == 0) {
        nw_free(inst.v);
        nw_free(u.pending.v);
        return nw_probe_skip(res, "no security package lists under var/lib/apt/lists (run "
                             "apt-get update, or the host does not use apt)");
    }
    nw_json_kuint(b, "security_lists", nlists);
    nw_json_kuint(b, "installed", inst.n);
    nw_json_kuint(b, "pending", u.pending.n);
    nw_json_karr_open(b, "packages");
    for (size_t i = 0; i < u.pending.n && i < 32; i++) nw_json_cstr(b, u.pending.v[i].name);
    nw_json_arr_close(b);
    if (u.pending.n)
        nw_probe_evidence(res, "%zu installed packages have security updates, e.g. %s %s",
                          u.pending.n, u.pending.v[0].name, u.pending.v[0].ver);
    else
        nw_probe_evidence(res, "no security update pending against %zu security lists", nlists);
    nw_free(inst.v);
    nw_free(u.pending.v);
    return 0;
}

const struct nw_probe nw_probe_pending_updates = {
    "pending_updates", NW_CHK_LOCAL, NULL, pending_updates_run,
    "installed packages older than apt's downloaded security lists (best effort)"};

/* ------------------------------------------------------------------ clamav -- */

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* "ClamAV-VDB:14 Nov 2026 08-30 +0000:27455:..." -> seconds since the epoch, or 0. */
static int64_t cvd_time(const char *h)
{
    int d, y, hh, mm, mon = -1;
    char ms[4];
    struct tm tm;

    if (strncmp(h, "ClamAV-VDB:", 11) != 0) return 0;
    if (sscanf(h + 11, "%d %3s %d %d-%d", &d, ms, &y, &hh, &mm) != 5) return 0;
    for (int i = 0; i < 12; i++)
        if (strcmp(ms, months[i]) == 0) mon = i;
    if (mon < 0 || y < 1990 || y > 9999 || d < 1 || d > 31) return 0;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mon;
    tm.tm_mday = d;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    return (int64_t)timegm(&tm);
}

static int clamav_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    static const char *const pkgs[] = {"clamav", "clamav-daemon", "clamav-freshclam"};
    static const char *const dbs[] = {"/var/lib/clamav/daily.cvd", "/var/lib/clamav/daily.cld",
                                      "/var/lib/clamav/main.cvd", "/var/lib/clamav/main.cld"};
    struct nw_buf *b = &res->facts;
    int installed = 0, dpkg = 1;
    int64_t newest = 0;
    const char *newest_db = NULL;
    int64_t now = (int64_t)(req->set->now_us / 1000000);

    for (size_t i = 0; i < NW_ARRAY_LEN(pkgs) && !installed; i++) {
        int rc = nw__dpkg_installed(req, pkgs[i], NULL, 0);
        if (rc == NW_ENOENT) dpkg = 0;
        if (rc == 1) installed = 1;
    }
    if (!installed && (nw__exists(req, "/usr/bin/clamscan") || nw__exists(req, "/usr/sbin/clamd")))
        installed = 1;
    for (size_t i = 0; i < NW_ARRAY_LEN(dbs); i++) {
        char *buf = NULL, full[4096];
        size_t len;
        int64_t t = 0;
        if (nw_probe_read_file(req, dbs[i], 512, &buf, &len, NULL) != 0) continue;
        t = cvd_time(buf);
        nw_free(buf);
        if (t == 0) { /* no parsable header: the file's time */
            struct stat st;
            if (nw_probe_path(req, dbs[i], full, sizeof full) == 0 && stat(full, &st) == 0)
                t = st.st_mtime;
        }
        if (t > newest) newest = t, newest_db = dbs[i];
    }
    nw_json_kbool(b, "installed", installed);
    nw_json_kbool(b, "dpkg", dpkg);
    nw_json_kbool(b, "db_found", newest != 0);
    nw_json_key(b, "signature_age_days");
    if (newest) nw_json_int(b, newest > now ? 0 : (now - newest) / 86400);
    else nw_json_null(b);
    if (!installed) nw_probe_evidence(res, "ClamAV is not installed");
    else if (newest == 0) nw_probe_evidence(res, "ClamAV is installed but has no signature "
                                            "database in var/lib/clamav");
    else nw_probe_evidence(res, "newest signatures %s are %lld days old", newest_db,
                           (long long)(newest > now ? 0 : (now - newest) / 86400));
    return 0;
}

const struct nw_probe nw_probe_clamav = {
    "clamav", NW_CHK_LOCAL, NULL, clamav_run,
    "ClamAV installed (dpkg or binaries) and the age of its newest signature database"};
