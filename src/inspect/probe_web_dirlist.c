/*
 * probe_web_dirlist.c - "web_dir_listing": directories whose index is an
 * automatic listing (Apache/nginx "Index of /", Python "Directory listing
 * for", IIS "[To Parent Directory]", Tomcat "Directory Listing For").
 *
 * Candidates: every directory on the path of a crawled page or of a
 * resource the pages name (images, scripts, styles), plus a few usual ones
 * (/uploads/, /upload/, /files/, /images/, /static/, /backup/, /data/);
 * at most 40, each read up to 64 KiB. Crawled pages that are listings
 * count too. A listing must also differ from the soft-404 page.
 *
 * Facts: tested, listings [urls], count, notes. Parameters: none.
 */
#include <stdio.h>
#include <string.h>

#include "web_int.h"

#define MAX_DIRS 40

static int is_listing(const char *b, size_t n)
{
    static const char *const sigs[] = {"<title>Index of /", "<h1>Index of /",
                                       "Directory listing for /", "[To Parent Directory]",
                                       "<title>Directory Listing For", "<h1>Directory Listing For"};
    if (b == NULL) return 0;
    for (size_t k = 0; k < NW_ARRAY_LEN(sigs); k++) {
        size_t l = strlen(sigs[k]);
        for (size_t i = 0; i + l <= n && i < 8192; i++)
            if (strncasecmp(b + i, sigs[k], l) == 0) return 1;
    }
    return 0;
}

static void add_dir(char dirs[][NW_WEB_URL_MAX], size_t *n, const char *path)
{
    if (*n >= MAX_DIRS) return;
    for (size_t i = 0; i < *n; i++)
        if (strcmp(dirs[i], path) == 0) return;
    snprintf(dirs[(*n)++], NW_WEB_URL_MAX, "%s", path);
}

/* every parent directory of an absolute URL's path on the site */
static void parents(const struct nw__web_site *s, char dirs[][NW_WEB_URL_MAX], size_t *n,
                    const char *url)
{
    struct nw_url u;
    if (url == NULL || nw_web_url_parse(url, &u) != 0 || strcmp(u.host, s->u.host) != 0) return;
    u.path[strcspn(u.path, "?")] = '\0';
    for (size_t i = strlen(u.path); i > 1; i--) {
        if (u.path[i - 1] != '/') continue;
        char p[NW_URL_PATH_MAX];
        snprintf(p, sizeof p, "%.*s", (int)i, u.path);
        add_dir(dirs, n, p);
    }
}

static int dirlist_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    static const char *const usual[] = {"/uploads/", "/upload/", "/files/", "/images/",
                                        "/static/", "/backup/", "/data/"};
    const struct nw__web_site *s;
    struct nw__web_client c;
    struct nw_buf *b = &res->facts;
    char (*dirs)[NW_WEB_URL_MAX] = NULL, why[300], url[NW_WEB_URL_MAX], ev[800];
    char (*hits)[NW_WEB_URL_MAX] = NULL;
    size_t nd = 0, nh = 0, o = 0;
    unsigned tested = 0;
    int rc = 0;

    s = nw__web_site_get(req, res, &rc);
    if (s == NULL) return rc;
    dirs = nw_calloc(MAX_DIRS, sizeof *dirs);
    hits = nw_calloc(MAX_DIRS + 60, sizeof *hits);
    if (dirs == NULL || hits == NULL) {
        nw_free(dirs);
        nw_free(hits);
        return NW_ENOMEM;
    }
    for (size_t i = 0; i < s->npages; i++) {
        const struct nw__web_page *p = &s->pages[i];
        if (p->status < 300 && is_listing(p->body, p->len) && nh < MAX_DIRS + 60)
            snprintf(hits[nh++], NW_WEB_URL_MAX, "%s", p->url);
        parents(s, dirs, &nd, p->url);
        for (size_t k = 0; k < p->doc.nres; k++) parents(s, dirs, &nd, p->doc.res[k]);
    }
    for (size_t i = 0; i < NW_ARRAY_LEN(usual); i++) add_dir(dirs, &nd, usual[i]);
    if ((rc = nw__web_client_init(&c, req, 10, why, sizeof why)) != 0) {
        nw_free(dirs);
        nw_free(hits);
        return rc == NW_ENOMEM ? rc : nw_probe_error(res, "%s", why);
    }
    for (size_t i = 0; i < nd; i++) {
        struct nw__web_resp r;
        int known = 0;
        nw__web_site_url(s, dirs[i], url, sizeof url);
        for (size_t k = 0; k < nh; k++) known |= strcmp(hits[k], url) == 0;
        if (known) continue;
        int g = nw__web_get(&c, url, 65536, 1, &r);
        if (g == NW_ELIMIT) {
            nw__web_resp_free(&r);
            break;
        }
        tested++;
        if (g == 0 && r.status >= 200 && r.status < 300 && is_listing(r.body, r.len) &&
            !nw__web_soft404(s, r.status, r.body, r.len) && nh < MAX_DIRS + 60) {
            snprintf(hits[nh++], NW_WEB_URL_MAX, "%s", r.url);
        }
        nw__web_resp_free(&r);
    }
    nw_json_kuint(b, "tested", tested);
    nw_json_karr_open(b, "listings");
    for (size_t i = 0; i < nh; i++) {
        int dup = 0;
        for (size_t k = 0; k < i; k++) dup |= strcmp(hits[k], hits[i]) == 0;
        if (dup) continue;
        nw_json_cstr(b, hits[i]);
        int k = snprintf(ev + o, sizeof ev - o, "%s%s", o ? ", " : "", hits[i]);
        if (k > 0) o = NW_MIN(o + (size_t)k, sizeof ev - 1);
    }
    nw_json_arr_close(b);
    nw_json_kuint(b, "count", nh);
    nw__web_notes_json(NULL, b, c.stopped ? c.stop_note : "");
    if (nh) nw_probe_evidence(res, "directory listing at %s", ev);
    else nw_probe_evidence(res, "%s: no listing among %u directories", s->start, tested);
    nw__web_client_fini(&c);
    nw_free(dirs);
    nw_free(hits);
    return 0;
}

static const char *const dirlist_params[] = {NULL};
const struct nw_probe nw_probe_web_dir_listing = {
    "web_dir_listing", NW_CHK_NETWORK, dirlist_params, dirlist_run,
    "website: directories served as automatic listings (Index of /...)"};
