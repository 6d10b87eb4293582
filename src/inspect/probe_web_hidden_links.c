/*
 * probe_web_hidden_links.c - "web_hidden_links": hidden "dark links" (暗链)
 * on the crawled pages: links a visitor cannot see — hidden by CSS
 * (display:none, visibility:hidden, off-screen, zero size, tiny font,
 * colour on same-colour background, opacity 0), by attributes (hidden,
 * 1-pixel marquee/iframe), or written by script (document.write,
 * innerHTML, location redirects; inline scripts and up to 10 same-host
 * external scripts of 512 KiB each) — that point outside the allowlist or
 * carry a gambling/porn/scam keyword. Hidden links to the site itself
 * (menus, drop-downs) are normal and not reported.
 *
 * Allowlist: the site's host, the `allow` parameter (hosts; ".example.org"
 * allows subdomains) and data/web/allow-hosts.txt. Keywords:
 * data/web/keywords-zh.txt and keywords-en.txt (docs/inspect-web.md).
 *
 * Facts: pages, links_seen, hidden_seen, hidden_links [{page, url, text,
 *   hidden_by [reasons], why: "external" | "keyword:<k>"}], count, notes.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "web_int.h"

#define MAX_WORDS 256
#define MAX_FOUND 64

struct list {
    char w[MAX_WORDS][64];
    size_t n;
};

static void load_list(const char *path, struct list *l)
{
    FILE *f = fopen(path, "r");
    char line[256];
    if (f == NULL) return;
    while (l->n < MAX_WORDS && fgets(line, sizeof line, f)) {
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        size_t n = strcspn(p, "#\r\n");
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
        if (n == 0 || n >= sizeof l->w[0]) continue;
        memcpy(l->w[l->n], p, n);
        l->w[l->n][n] = '\0';
        l->n++;
    }
    fclose(f);
}

static const char *keyword(const struct list *kw, const char *a, const char *b)
{
    for (size_t i = 0; i < kw->n; i++)
        if ((a && strcasestr(a, kw->w[i])) || (b && strcasestr(b, kw->w[i]))) return kw->w[i];
    return NULL;
}

static int host_allowed(const struct list *allow, const char *site, const char *url)
{
    struct nw_url u;
    if (url == NULL || nw_web_url_parse(url, &u) != 0) return 1; /* not a web link */
    if (strcmp(u.host, site) == 0) return 1;
    for (size_t i = 0; i < allow->n; i++) {
        const char *a = allow->w[i];
        size_t al = strlen(a), hl = strlen(u.host);
        if (a[0] == '.') {
            if (hl > al && strcasecmp(u.host + hl - al, a) == 0) return 1;
            if (strcasecmp(u.host, a + 1) == 0) return 1;
        } else if (strcasecmp(u.host, a) == 0) {
            return 1;
        }
    }
    return 0;
}

static void reasons(struct nw_buf *b, unsigned h)
{
    static const char *const names[] = {"display:none", "visibility:hidden", "off-screen",
                                        "zero-size", "tiny-font", "same-colour", "opacity:0",
                                        "hidden-attribute", "script"};
    nw_json_karr_open(b, "hidden_by");
    for (unsigned i = 0; i < NW_ARRAY_LEN(names); i++)
        if (h & (1u << i)) nw_json_cstr(b, names[i]);
    nw_json_arr_close(b);
}

struct found {
    const char *page;
    char url[600];
    char text[200];
    unsigned hidden;
    char why[80];
};

static void consider(struct found *f, size_t *nf, const char *page, const struct nw_html_link *l,
                     const struct list *kw, const struct list *allow, const char *site,
                     size_t *hidden_seen)
{
    const char *k;
    char why[80];
    if (l->hidden == 0) return;
    (*hidden_seen)++;
    k = keyword(kw, l->url ? l->url : l->href, l->text);
    if (k) snprintf(why, sizeof why, "keyword:%s", k);
    else if (!host_allowed(allow, site, l->url)) snprintf(why, sizeof why, "external");
    else return;
    const char *u = l->url ? l->url : l->href;
    for (size_t i = 0; i < *nf; i++)
        if (strcmp(f[i].url, u) == 0) return;
    if (*nf >= MAX_FOUND) return;
    f[*nf].page = page;
    snprintf(f[*nf].url, sizeof f[*nf].url, "%s", u);
    snprintf(f[*nf].text, sizeof f[*nf].text, "%s", l->text ? l->text : "");
    f[*nf].hidden = l->hidden;
    snprintf(f[*nf].why, sizeof f[*nf].why, "%s", why);
    (*nf)++;
}

static int hidden_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    const struct nw__web_site *s;
    struct list *kw = NULL, *allow = NULL;
    struct found *f = NULL;
    struct nw_buf *b = &res->facts;
    char dir[1024], path[1200], why[300], ev[900];
    size_t nf = 0, links = 0, hidden_seen = 0, nscripts = 0, o = 0;
    int rc = 0;
    const struct nw_param *ap;
    struct nw__web_client c;
    int have_client = 0;

    s = nw__web_site_get(req, res, &rc);
    if (s == NULL) return rc;
    kw = nw_calloc(1, sizeof *kw);
    allow = nw_calloc(1, sizeof *allow);
    f = nw_calloc(MAX_FOUND, sizeof *f);
    if (kw == NULL || allow == NULL || f == NULL) {
        rc = NW_ENOMEM;
        goto out;
    }
    nw__web_data_dir(req, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/keywords-zh.txt", dir);
    load_list(path, kw);
    snprintf(path, sizeof path, "%s/keywords-en.txt", dir);
    load_list(path, kw);
    snprintf(path, sizeof path, "%s/allow-hosts.txt", dir);
    load_list(path, allow);
    if ((ap = nw_probe_param(req, "allow")) != NULL) {
        for (size_t i = 0; ap->list && i < ap->nlist && allow->n < MAX_WORDS; i++)
            snprintf(allow->w[allow->n++], sizeof allow->w[0], "%s", ap->list[i]);
        if (ap->value && allow->n < MAX_WORDS)
            snprintf(allow->w[allow->n++], sizeof allow->w[0], "%s", ap->value);
    }
    if (kw->n == 0) {
        rc = nw_probe_error(res, "no keyword list in %s (keywords-zh.txt, keywords-en.txt)", dir);
        goto out;
    }
    for (size_t i = 0; i < s->npages; i++) {
        const struct nw__web_page *p = &s->pages[i];
        links += p->doc.nlinks;
        for (size_t k = 0; k < p->doc.nlinks; k++)
            consider(f, &nf, p->url, &p->doc.links[k], kw, allow, s->u.host, &hidden_seen);
        /* external scripts on the site's host: links they write */
        for (size_t k = 0; k < p->doc.nscripts && nscripts < 10; k++) {
            struct nw_url su;
            struct nw__web_resp r;
            struct nw_html_doc d;
            if (nw_web_url_parse(p->doc.scripts[k], &su) != 0 || strcmp(su.host, s->u.host) != 0)
                continue;
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++)
                for (size_t m = 0; m < s->pages[j].doc.nscripts; m++)
                    seen |= strcmp(s->pages[j].doc.scripts[m], p->doc.scripts[k]) == 0;
            if (seen) continue;
            if (!have_client) {
                if ((rc = nw__web_client_init(&c, req, 10, why, sizeof why)) != 0) {
                    if (rc != NW_ENOMEM) rc = nw_probe_error(res, "%s", why);
                    goto out;
                }
                have_client = 1;
            }
            nscripts++;
            if (nw__web_get(&c, p->doc.scripts[k], 512 * 1024, 1, &r) == 0 && r.status < 300 &&
                r.body) {
                memset(&d, 0, sizeof d);
                nw_html_script_links(r.body, r.len, p->url, &d);
                for (size_t m = 0; m < d.nlinks; m++)
                    consider(f, &nf, p->doc.scripts[k], &d.links[m], kw, allow, s->u.host,
                             &hidden_seen);
                links += d.nlinks;
                nw_html_doc_free(&d);
            }
            nw__web_resp_free(&r);
        }
    }
    nw_json_kuint(b, "pages", s->npages);
    nw_json_kuint(b, "links_seen", links);
    nw_json_kuint(b, "hidden_seen", hidden_seen);
    nw_json_kuint(b, "scripts_read", nscripts);
    nw_json_karr_open(b, "hidden_links");
    ev[0] = '\0';
    for (size_t i = 0; i < nf; i++) {
        nw_json_obj_open(b);
        nw_json_kcstr(b, "page", f[i].page);
        nw_json_kcstr(b, "url", f[i].url);
        nw_json_kcstr(b, "text", f[i].text);
        reasons(b, f[i].hidden);
        nw_json_kcstr(b, "why", f[i].why);
        nw_json_obj_close(b);
        int k = snprintf(ev + o, sizeof ev - o, "%s%.120s [%s]", o ? "; " : "", f[i].url, f[i].why);
        if (k > 0) o = NW_MIN(o + (size_t)k, sizeof ev - 1);
    }
    nw_json_arr_close(b);
    nw_json_kuint(b, "count", nf);
    nw__web_notes_json(s, b, NULL);
    if (nf) nw_probe_evidence(res, "%zu hidden link(s): %s", nf, ev);
    else nw_probe_evidence(res, "%s: %zu pages, %zu links (%zu hidden, all to the site or allowed)",
                           s->start, s->npages, links, hidden_seen);
out:
    if (have_client) nw__web_client_fini(&c);
    nw_free(kw);
    nw_free(allow);
    nw_free(f);
    return rc;
}

static const char *const hidden_params[] = {"allow?", NULL};
const struct nw_probe nw_probe_web_hidden_links = {
    "web_hidden_links", NW_CHK_NETWORK, hidden_params, hidden_run,
    "website: links hidden by CSS or written by script to outside hosts or with bad keywords"};
