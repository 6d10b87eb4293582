/*
 * probe_web_exposed.c - "web_exposed": files that must not be served —
 * version-control metadata, environment/config files, backup archives and
 * database dumps, debug pages, default admin consoles — confirmed by their
 * content, never by the status code alone: every candidate must answer 2xx,
 * carry its signature (below), and not look like the site's soft-404 page.
 *
 * Parameters: kinds? (list or comma text of: vcs, config, backup, debug,
 *   admin; default all).
 * Facts: tested (paths requested), exposed [{path, kind, what}], count,
 *   notes [...]. Bodies read: 64 KiB per path.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "web_int.h"

enum sig {
    SIG_GITHEAD, SIG_GITCONFIG, SIG_SVN, SIG_SQLITE, SIG_ENV, SIG_ZIP, SIG_GZIP, SIG_RAR,
    SIG_SQL, SIG_PHPINFO, SIG_PMA, SIG_ADMINER, SIG_TOMCAT, SIG_APSTATUS, SIG_NGSTATUS,
    SIG_WPLOGIN, SIG_DSSTORE, SIG_HTPASSWD
};

struct cand {
    const char *path, *kind, *what;
    enum sig sig;
};

static const struct cand cands[] = {
    {"/.git/HEAD", "vcs", "Git repository metadata", SIG_GITHEAD},
    {"/.git/config", "vcs", "Git repository configuration", SIG_GITCONFIG},
    {"/.svn/entries", "vcs", "Subversion working copy metadata", SIG_SVN},
    {"/.svn/wc.db", "vcs", "Subversion working copy database", SIG_SQLITE},
    {"/.DS_Store", "vcs", "macOS folder index (file names)", SIG_DSSTORE},
    {"/.env", "config", "environment file (secrets)", SIG_ENV},
    {"/.htpasswd", "config", "password file", SIG_HTPASSWD},
    {"/www.zip", "backup", "site backup archive", SIG_ZIP},
    {"/wwwroot.zip", "backup", "site backup archive", SIG_ZIP},
    {"/web.zip", "backup", "site backup archive", SIG_ZIP},
    {"/backup.zip", "backup", "backup archive", SIG_ZIP},
    {"/site.zip", "backup", "site backup archive", SIG_ZIP},
    {"/www.tar.gz", "backup", "site backup archive", SIG_GZIP},
    {"/backup.tar.gz", "backup", "backup archive", SIG_GZIP},
    {"/web.tar.gz", "backup", "site backup archive", SIG_GZIP},
    {"/www.rar", "backup", "site backup archive", SIG_RAR},
    {"/backup.rar", "backup", "backup archive", SIG_RAR},
    {"/db.sql", "backup", "database dump", SIG_SQL},
    {"/backup.sql", "backup", "database dump", SIG_SQL},
    {"/database.sql", "backup", "database dump", SIG_SQL},
    {"/dump.sql", "backup", "database dump", SIG_SQL},
    {"/phpinfo.php", "debug", "phpinfo() page", SIG_PHPINFO},
    {"/info.php", "debug", "phpinfo() page", SIG_PHPINFO},
    {"/server-status", "debug", "Apache server-status page", SIG_APSTATUS},
    {"/nginx_status", "debug", "nginx stub_status page", SIG_NGSTATUS},
    {"/phpmyadmin/", "admin", "phpMyAdmin console", SIG_PMA},
    {"/phpMyAdmin/", "admin", "phpMyAdmin console", SIG_PMA},
    {"/pma/", "admin", "phpMyAdmin console", SIG_PMA},
    {"/adminer.php", "admin", "Adminer database console", SIG_ADMINER},
    {"/manager/html", "admin", "Tomcat manager", SIG_TOMCAT},
    {"/wp-login.php", "admin", "WordPress login page", SIG_WPLOGIN},
};

static int has(const char *b, size_t n, const char *s)
{
    size_t l = strlen(s);
    for (size_t i = 0; i + l <= n; i++)
        if (strncasecmp(b + i, s, l) == 0) return 1;
    return 0;
}

static int looks_html(const char *b, size_t n)
{
    return has(b, NW_MIN(n, (size_t)1024), "<html") || has(b, NW_MIN(n, (size_t)1024), "<!doctype");
}

static int env_lines(const char *b, size_t n)
{
    int k = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && (isupper((unsigned char)b[j]) || isdigit((unsigned char)b[j]) || b[j] == '_'))
            j++;
        if (j > i && j < n && b[j] == '=' && isupper((unsigned char)b[i])) k++;
        while (i < n && b[i] != '\n') i++;
        i++;
    }
    return k;
}

static int confirm(enum sig s, long status, const char *b, size_t n, const char *hdr)
{
    if (s == SIG_TOMCAT)
        return (status == 401 && hdr && strcasestr(hdr, "Tomcat Manager")) ||
               (status == 200 && has(b, n, "Tomcat Web Application Manager"));
    if (status < 200 || status >= 300 || b == NULL) return 0;
    switch (s) {
    case SIG_GITHEAD: {
        if (n >= 16 && strncmp(b, "ref: refs/", 10) == 0) return 1;
        size_t h = 0;
        while (h < n && isxdigit((unsigned char)b[h])) h++;
        return h == 40;
    }
    case SIG_GITCONFIG: return !looks_html(b, n) && has(b, n, "[core]");
    case SIG_SVN: return (n >= 2 && isdigit((unsigned char)b[0]) && (b[1] == '\n' || (n > 2 && b[2] == '\n'))) ||
                         (has(b, n, "<wc-entries") && !looks_html(b, n));
    case SIG_SQLITE: return n >= 16 && memcmp(b, "SQLite format 3", 16) == 0;
    case SIG_DSSTORE: return n >= 8 && memcmp(b, "\0\0\0\1Bud1", 8) == 0;
    case SIG_ENV: return !looks_html(b, n) && env_lines(b, n) >= 2;
    case SIG_HTPASSWD: return !looks_html(b, n) && (has(b, n, ":$apr1$") || has(b, n, ":{SHA}") ||
                                                   has(b, n, ":$2y$"));
    case SIG_ZIP: return n >= 4 && memcmp(b, "PK\3\4", 4) == 0;
    case SIG_GZIP: return n >= 3 && (unsigned char)b[0] == 0x1f && (unsigned char)b[1] == 0x8b;
    case SIG_RAR: return n >= 6 && memcmp(b, "Rar!\x1a\x07", 6) == 0;
    case SIG_SQL: return !looks_html(b, n) && (has(b, n, "CREATE TABLE") || has(b, n, "INSERT INTO") ||
                                               has(b, n, "-- MySQL dump") ||
                                               has(b, n, "PostgreSQL database dump"));
    case SIG_PHPINFO: return has(b, n, "<title>phpinfo()") ||
                             (has(b, n, "PHP Version") && has(b, n, "php.ini"));
    case SIG_PMA: return has(b, n, "phpMyAdmin") && has(b, n, "<form");
    case SIG_ADMINER: return has(b, n, "Adminer") && has(b, n, "<form");
    case SIG_APSTATUS: return has(b, n, "Apache Server Status for");
    case SIG_NGSTATUS: return has(b, n, "Active connections:") && has(b, n, "server accepts");
    case SIG_WPLOGIN: return has(b, n, "wp-submit") && has(b, n, "user_login");
    default: return 0;
    }
}

static int kind_wanted(const struct nw_probe_req *req, const char *kind)
{
    const struct nw_param *p = nw_probe_param(req, "kinds");
    if (p == NULL) return 1;
    if (p->list) {
        for (size_t i = 0; i < p->nlist; i++)
            if (strcmp(p->list[i], kind) == 0) return 1;
        return 0;
    }
    const char *s = p->value ? p->value : "";
    size_t kl = strlen(kind);
    for (const char *q = s; *q;) {
        while (*q == ',' || *q == ' ') q++;
        size_t l = strcspn(q, ", ");
        if (l == kl && strncmp(q, kind, kl) == 0) return 1;
        q += l;
    }
    return 0;
}

static int exposed_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    const struct nw__web_site *s;
    struct nw__web_client c;
    struct nw_buf *b = &res->facts;
    char why[300], url[NW_WEB_URL_MAX], ev[800];
    int rc = 0;
    unsigned tested = 0, found = 0;
    size_t o = 0;
    unsigned char hit[NW_ARRAY_LEN(cands)];

    s = nw__web_site_get(req, res, &rc);
    if (s == NULL) return rc;
    if ((rc = nw__web_client_init(&c, req, 10, why, sizeof why)) != 0)
        return rc == NW_ENOMEM ? rc : nw_probe_error(res, "%s", why);
    memset(hit, 0, sizeof hit);
    ev[0] = '\0';
    for (size_t i = 0; i < NW_ARRAY_LEN(cands); i++) {
        struct nw__web_resp r;
        if (!kind_wanted(req, cands[i].kind)) continue;
        nw__web_site_url(s, cands[i].path, url, sizeof url);
        int g = nw__web_get(&c, url, 65536, 0, &r);
        if (g == NW_ELIMIT) {
            nw__web_resp_free(&r);
            break;
        }
        tested++;
        if (g == 0 && confirm(cands[i].sig, r.status, r.body, r.len, r.hdr) &&
            (cands[i].sig == SIG_TOMCAT || !nw__web_soft404(s, r.status, r.body, r.len) ||
             cands[i].sig == SIG_GITHEAD || cands[i].sig == SIG_ZIP || cands[i].sig == SIG_GZIP)) {
            hit[i] = 1;
            found++;
            int k = snprintf(ev + o, sizeof ev - o, "%s%s (%s)", o ? ", " : "", cands[i].path,
                             cands[i].what);
            if (k > 0) o = NW_MIN(o + (size_t)k, sizeof ev - 1);
        }
        nw__web_resp_free(&r);
    }
    nw_json_kuint(b, "tested", tested);
    nw_json_karr_open(b, "exposed");
    for (size_t i = 0; i < NW_ARRAY_LEN(cands); i++) {
        if (!hit[i]) continue;
        nw_json_obj_open(b);
        nw_json_kcstr(b, "path", cands[i].path);
        nw_json_kcstr(b, "kind", cands[i].kind);
        nw_json_kcstr(b, "what", cands[i].what);
        nw_json_obj_close(b);
    }
    nw_json_arr_close(b);
    nw_json_kuint(b, "count", found);
    nw__web_notes_json(NULL, b, c.stopped ? c.stop_note : "");
    if (found)
        nw_probe_evidence(res, "%s serves %s", s->start, ev);
    else
        nw_probe_evidence(res, "%s: none of %u known paths exposed", s->start, tested);
    nw__web_client_fini(&c);
    return 0;
}

static const char *const exposed_params[] = {"kinds?", NULL};
const struct nw_probe nw_probe_web_exposed = {
    "web_exposed", NW_CHK_NETWORK, exposed_params, exposed_run,
    "website: .git/.svn/.env, backups and dumps, phpinfo, status and admin pages, by content"};
