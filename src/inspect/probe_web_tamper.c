/*
 * probe_web_tamper.c - "web_tamper": page-tamper detection (Order 82 art.
 * 9(3)) against a stored baseline.
 *
 * `netwarden inspect --web-baseline --web URL` records, for every crawled
 * page, the hash of its normalised content (web_html.c: text and URL-
 * bearing elements one per line; dates, times, time stamps, tokens and
 * nonces masked; hidden inputs and csrf meta dropped), the normalised
 * lines themselves (for the diff; 256 KiB per page) and its link set, in
 * DATA-DIR/web-baseline/<host>_<port>-<hash of URL>.txt. A later run
 * crawls again, fetches baseline pages the crawl no longer reaches, and
 * reports each page whose hash changed: lines added/removed (multiset
 * difference), the first three added and removed lines, new and removed
 * links, status changes. Pages new since the baseline are listed apart
 * (new_pages) and are not themselves a finding: the page that links to
 * them changed.
 *
 * Facts: mode ("baseline"|"compare"), baseline_recorded (bool), baseline
 *   (file), recorded_at, pages, changed [{url, status, baseline_status,
 *   added_lines, removed_lines, first_added [...], first_removed [...],
 *   new_links [...], removed_links [...]}], changed_count, new_pages [...],
 *   notes. No baseline yet (compare mode): skip with how to record one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "web_int.h"

#define PAGE_LINES_MAX (256 * 1024)
#define BASE_FILE_MAX (64u * 1024 * 1024)

struct snap {
    char *url;
    long status;
    char hash[65];
    char **lines;
    size_t nlines;
    char **links;
    size_t nlinks;
    char *text; /* owns the line storage (current pages) */
};

static void snap_free(struct snap *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++) {
        nw_free(s[i].lines);
        nw_free(s[i].links);
        nw_free(s[i].text);
    }
    nw_free(s);
}

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Split text (owned by caller) into lines; returns 0 or NW_ENOMEM. */
static int split(char *text, size_t len, char ***out, size_t *n)
{
    size_t k = 0, cap = 0;
    char **v = NULL;
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && text[e] != '\n') e++;
        if (e < len) text[e] = '\0'; /* the last line ends at text[len] == '\0' */
        if (e > i) {
            if (k == cap) {
                cap = cap ? cap * 2 : 64;
                char **nv = nw_realloc(v, cap * sizeof *nv);
                if (nv == NULL) {
                    nw_free(v);
                    return NW_ENOMEM;
                }
                v = nv;
            }
            v[k++] = text + i;
        }
        i = e + 1;
    }
    *out = v;
    *n = k;
    return 0;
}

/* The page's snapshot: status line + normalised content, links. */
static int snap_page(struct snap *sp, const char *url, long status, const struct nw_html_doc *d,
                     const char *body, size_t blen, int html)
{
    struct nw_buf b;
    nw_buf_init(&b, PAGE_LINES_MAX + 64);
    sp->url = (char *)url;
    sp->status = status;
    if (html && d->norm) nw_buf_append(&b, d->norm, NW_MIN(d->normlen, (size_t)PAGE_LINES_MAX));
    else if (!html && body) nw_buf_append(&b, body, NW_MIN(blen, (size_t)PAGE_LINES_MAX));
    if (!nw_buf_ok(&b)) {
        nw_buf_fini(&b);
        return NW_ENOMEM;
    }
    char st[32];
    int k = snprintf(st, sizeof st, "status %ld\n", status);
    struct nw_buf h;
    nw_buf_init(&h, 0);
    nw_buf_append(&h, st, (size_t)k);
    if (b.len) nw_buf_append(&h, b.data, b.len);
    nw__web_hash(h.data, h.len, sp->hash);
    nw_buf_fini(&h);
    sp->text = nw_alloc(b.len + 1);
    if (sp->text == NULL) {
        nw_buf_fini(&b);
        return NW_ENOMEM;
    }
    if (b.len) memcpy(sp->text, b.data, b.len);
    sp->text[b.len] = '\0';
    size_t tl = b.len;
    nw_buf_fini(&b);
    /* no newline inside a line can exist: norm lines end at '\n'; raw text lines too */
    if (tl && split(sp->text, tl, &sp->lines, &sp->nlines) != 0) return NW_ENOMEM;
    if (d && d->nlinks) {
        sp->links = nw_calloc(d->nlinks, sizeof *sp->links);
        if (sp->links == NULL) return NW_ENOMEM;
        for (size_t i = 0; i < d->nlinks; i++) {
            const char *u = d->links[i].url ? d->links[i].url : d->links[i].href;
            int dup = 0;
            for (size_t j = 0; j < sp->nlinks && !dup; j++) dup = strcmp(sp->links[j], u) == 0;
            if (!dup) sp->links[sp->nlinks++] = (char *)u;
        }
    }
    return 0;
}

static void file_name(const struct nw_probe_req *req, const struct nw__web_site *s, char *out,
                      size_t cap)
{
    char h[65], host[NW_URL_HOST_MAX];
    size_t i;
    nw__web_hash(s->start, strlen(s->start), h);
    for (i = 0; s->u.host[i] && i + 1 < sizeof host; i++)
        host[i] = (s->u.host[i] == ':' || s->u.host[i] == '/') ? '_' : s->u.host[i];
    host[i] = '\0';
    snprintf(out, cap, "%s/web-baseline/%s_%u-%.12s.txt",
             req->set && req->set->data_dir ? req->set->data_dir : ".", host, s->u.port, h);
}

static int write_baseline(const char *path, const struct nw__web_site *s, const struct snap *sp,
                          size_t n, uint64_t now_us, char *why, size_t whysz)
{
    char dir[1400], tmp[1408]; /* path comes from a 1400-byte buffer: nothing is cut */
    FILE *f;
    int bad;
    snprintf(dir, sizeof dir, "%s", path);
    char *sl = strrchr(dir, '/');
    if (sl) *sl = '\0';
    {
        char parent[1400];
        snprintf(parent, sizeof parent, "%s", dir);
        char *p2 = strrchr(parent, '/');
        if (p2) {
            *p2 = '\0';
            mkdir(parent, 0750);
        }
    }
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        snprintf(why, whysz, "cannot create %.300s: %s", dir, strerror(errno));
        return NW_EIO;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = fopen(tmp, "w");
    if (f == NULL) {
        snprintf(why, whysz, "cannot write %.300s: %s", tmp, strerror(errno));
        return NW_EIO;
    }
    fprintf(f, "netwarden-web-baseline 1\nsite %s\nrecorded %llu\n", s->start,
            (unsigned long long)now_us);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "page %s\nstatus %ld\nhash %s\n", sp[i].url, sp[i].status, sp[i].hash);
        for (size_t k = 0; k < sp[i].nlinks; k++) fprintf(f, "link %s\n", sp[i].links[k]);
        for (size_t k = 0; k < sp[i].nlines; k++) fprintf(f, "line %s\n", sp[i].lines[k]);
        fprintf(f, "end\n");
    }
    /* close whatever happened (no FILE leak), and fsync: the baseline is what later runs
     * compare the site with */
    bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
    if (fclose(f) != 0) bad = 1;
    if (bad || rename(tmp, path) != 0) {
        snprintf(why, whysz, "cannot write %.300s: %s", path, strerror(errno));
        unlink(tmp);
        return NW_EIO;
    }
    return 0;
}

struct base {
    char *data;
    struct snap *pages;
    size_t n;
    uint64_t recorded;
};

static int add_ptr(char ***v, size_t *n, char *p)
{
    if ((*n & (*n - 1)) == 0 || *n == 0) {
        size_t cap = *n ? *n * 2 : 16;
        char **nv = nw_realloc(*v, cap * sizeof *nv);
        if (nv == NULL) return NW_ENOMEM;
        *v = nv;
    }
    (*v)[(*n)++] = p;
    return 0;
}

/* Load a baseline file. 0, NW_ENOENT (none), NW_EFORMAT (damaged: why), NW_ENOMEM. */
static int load_baseline(const char *path, struct base *bs, char *why, size_t whysz)
{
    FILE *f = fopen(path, "r");
    size_t len = 0, cap = 1 << 16;
    size_t pcap = 0;
    if (f == NULL) return errno == ENOENT ? NW_ENOENT : (snprintf(why, whysz, "%.300s: %s", path,
                                                                  strerror(errno)), NW_EIO);
    bs->data = nw_alloc(cap);
    if (bs->data == NULL) {
        fclose(f);
        return NW_ENOMEM;
    }
    for (;;) {
        if (len + 1 >= cap) {
            if (cap >= BASE_FILE_MAX) break;
            char *nd = nw_realloc(bs->data, cap * 2);
            if (nd == NULL) {
                fclose(f);
                return NW_ENOMEM;
            }
            bs->data = nd;
            cap *= 2;
        }
        size_t r = fread(bs->data + len, 1, cap - 1 - len, f);
        if (r == 0) break;
        len += r;
    }
    fclose(f);
    bs->data[len] = '\0';
    if (strncmp(bs->data, "netwarden-web-baseline 1\n", 25) != 0) {
        snprintf(why, whysz, "%.300s is not a netwarden web baseline", path);
        return NW_EFORMAT;
    }
    struct snap *cur = NULL;
    for (char *p = bs->data; p < bs->data + len;) {
        char *e = strchr(p, '\n');
        if (e == NULL) e = bs->data + len;
        *e = '\0';
        if (strncmp(p, "recorded ", 9) == 0) {
            bs->recorded = strtoull(p + 9, NULL, 10);
        } else if (strncmp(p, "page ", 5) == 0) {
            if (bs->n == pcap) {
                pcap = pcap ? pcap * 2 : 16;
                struct snap *np = nw_realloc(bs->pages, pcap * sizeof *np);
                if (np == NULL) return NW_ENOMEM;
                bs->pages = np;
            }
            cur = &bs->pages[bs->n++];
            memset(cur, 0, sizeof *cur);
            cur->url = p + 5;
        } else if (cur && strncmp(p, "status ", 7) == 0) {
            cur->status = strtol(p + 7, NULL, 10);
        } else if (cur && strncmp(p, "hash ", 5) == 0) {
            snprintf(cur->hash, sizeof cur->hash, "%.64s", p + 5);
        } else if (cur && strncmp(p, "link ", 5) == 0) {
            if (add_ptr(&cur->links, &cur->nlinks, p + 5) != 0) return NW_ENOMEM;
        } else if (cur && strncmp(p, "line ", 5) == 0) {
            if (add_ptr(&cur->lines, &cur->nlines, p + 5) != 0) return NW_ENOMEM;
        } else if (strcmp(p, "end") == 0) {
            cur = NULL;
        }
        p = e + 1;
    }
    return 0;
}

static int in_sorted(char *const *v, size_t n, const char *s)
{
    return n && bsearch(&s, v, n, sizeof *v, cmpstr) != NULL;
}

/* Diff of two pages into facts. */
static int diff_json(struct nw_buf *b, const struct snap *old, const struct snap *now)
{
    char **a = NULL, **c = NULL;
    size_t added = 0, removed = 0, i = 0, j = 0;
    if (old->nlines) a = nw_calloc(old->nlines, sizeof *a);
    if (now->nlines) c = nw_calloc(now->nlines, sizeof *c);
    if ((old->nlines && a == NULL) || (now->nlines && c == NULL)) {
        nw_free(a);
        nw_free(c);
        return NW_ENOMEM;
    }
    if (old->nlines) memcpy(a, old->lines, old->nlines * sizeof *a);
    if (now->nlines) memcpy(c, now->lines, now->nlines * sizeof *c);
    if (old->nlines > 1) qsort(a, old->nlines, sizeof *a, cmpstr);
    if (now->nlines > 1) qsort(c, now->nlines, sizeof *c, cmpstr);
    while (i < old->nlines || j < now->nlines) {
        int d = i == old->nlines ? 1 : j == now->nlines ? -1 : strcmp(a[i], c[j]);
        if (d == 0) i++, j++;
        else if (d < 0) removed++, i++;
        else added++, j++;
    }
    nw_json_kcstr(b, "url", now->url ? now->url : old->url);
    nw_json_kint(b, "status", now->status);
    nw_json_kint(b, "baseline_status", old->status);
    nw_json_kuint(b, "added_lines", added);
    nw_json_kuint(b, "removed_lines", removed);
    size_t k = 0;
    nw_json_karr_open(b, "first_added");
    for (size_t x = 0; x < now->nlines && k < 3; x++)
        if (!in_sorted(a, old->nlines, now->lines[x])) {
            nw_json_str(b, now->lines[x], NW_MIN(strlen(now->lines[x]), (size_t)200));
            k++;
        }
    nw_json_arr_close(b);
    k = 0;
    nw_json_karr_open(b, "first_removed");
    for (size_t x = 0; x < old->nlines && k < 3; x++)
        if (!in_sorted(c, now->nlines, old->lines[x])) {
            nw_json_str(b, old->lines[x], NW_MIN(strlen(old->lines[x]), (size_t)200));
            k++;
        }
    nw_json_arr_close(b);
    nw_json_karr_open(b, "new_links");
    for (size_t x = 0, m = 0; x < now->nlinks && m < 20; x++) {
        int f = 0;
        for (size_t y = 0; y < old->nlinks && !f; y++) f = strcmp(old->links[y], now->links[x]) == 0;
        if (!f) nw_json_cstr(b, now->links[x]), m++;
    }
    nw_json_arr_close(b);
    nw_json_karr_open(b, "removed_links");
    for (size_t x = 0, m = 0; x < old->nlinks && m < 20; x++) {
        int f = 0;
        for (size_t y = 0; y < now->nlinks && !f; y++) f = strcmp(old->links[x], now->links[y]) == 0;
        if (!f) nw_json_cstr(b, old->links[x]), m++;
    }
    nw_json_arr_close(b);
    nw_free(a);
    nw_free(c);
    return 0;
}

static int tamper_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    const struct nw__web_site *s;
    struct nw_buf *b = &res->facts;
    struct snap *cur = NULL, *extra = NULL;
    struct nw_html_doc *extra_docs = NULL;
    struct base bs;
    size_t ncur = 0, nextra = 0, nchanged = 0, o = 0;
    char path[1400], why[400], ev[800];
    int rc = 0, have_client = 0;
    struct nw__web_client c;
    uint64_t now = req->set && req->set->now_us ? req->set->now_us : nw_time_now_us();

    memset(&bs, 0, sizeof bs);
    s = nw__web_site_get(req, res, &rc);
    if (s == NULL) return rc;
    cur = nw_calloc(s->npages + 1, sizeof *cur);
    if (cur == NULL) return NW_ENOMEM;
    for (size_t i = 0; i < s->npages; i++) {
        const struct nw__web_page *p = &s->pages[i];
        if ((rc = snap_page(&cur[ncur++], p->url, p->status, &p->doc, p->body, p->len,
                            p->html)) != 0)
            goto out;
    }
    file_name(req, s, path, sizeof path);
    nw_json_kcstr(b, "baseline", path);
    if (nw_web_options_get()->baseline) {
        if (write_baseline(path, s, cur, ncur, now, why, sizeof why) != 0) {
            rc = nw_probe_error(res, "%s", why);
            goto out;
        }
        nw_json_kcstr(b, "mode", "baseline");
        nw_json_kbool(b, "baseline_recorded", 1);
        nw_json_kuint(b, "pages", ncur);
        nw_json_karr_open(b, "changed");
        nw_json_arr_close(b);
        nw_json_kuint(b, "changed_count", 0);
        nw__web_notes_json(s, b, NULL);
        nw_probe_evidence(res, "baseline of %zu page(s) recorded in %s", ncur, path);
        goto out;
    }
    rc = load_baseline(path, &bs, why, sizeof why);
    if (rc == NW_ENOENT) {
        rc = nw_probe_skip(res, "no baseline for %s yet; record one with 'netwarden inspect "
                           "--web-baseline --web %s'", s->start, s->start);
        goto out;
    }
    if (rc == NW_ENOMEM) goto out;
    if (rc != 0) {
        rc = nw_probe_error(res, "%s", why);
        goto out;
    }
    /* baseline pages the crawl did not reach: fetch them directly */
    extra = nw_calloc(bs.n + 1, sizeof *extra);
    extra_docs = nw_calloc(bs.n + 1, sizeof *extra_docs);
    if (extra == NULL || extra_docs == NULL) {
        rc = NW_ENOMEM;
        goto out;
    }
    nw_json_kcstr(b, "mode", "compare");
    nw_json_kbool(b, "baseline_recorded", 0);
    nw_json_kuint(b, "recorded_at", bs.recorded);
    nw_json_kuint(b, "pages", ncur);
    nw_json_karr_open(b, "changed");
    ev[0] = '\0';
    for (size_t i = 0; i < bs.n; i++) {
        const struct snap *old = &bs.pages[i], *now_p = NULL;
        for (size_t k = 0; k < ncur && !now_p; k++)
            if (strcmp(cur[k].url, old->url) == 0) now_p = &cur[k];
        if (now_p == NULL) {
            struct nw__web_resp r;
            if (!have_client) {
                if ((rc = nw__web_client_init(&c, req, 10, why, sizeof why)) != 0) {
                    if (rc != NW_ENOMEM) rc = nw_probe_error(res, "%s", why);
                    goto out;
                }
                have_client = 1;
            }
            int g = nw__web_get(&c, old->url, NW_WEB_BODY_CAP, 1, &r);
            int html = r.ctype[0] == '\0' || strcasestr(r.ctype, "html") != NULL;
            struct nw_html_doc *d = &extra_docs[nextra];
            if (g == 0 && html && r.status < 400)
                nw_html_extract(r.body ? r.body : "", r.len, old->url, d);
            rc = snap_page(&extra[nextra], old->url, g == 0 ? r.status : 0, d, r.body, r.len, html);
            nw__web_resp_free(&r);
            if (rc != 0) goto out;
            now_p = &extra[nextra++];
        }
        if (strcmp(old->hash, now_p->hash) == 0) continue;
        nchanged++;
        nw_json_obj_open(b);
        if ((rc = diff_json(b, old, now_p)) != 0) goto out;
        nw_json_obj_close(b);
        int k = snprintf(ev + o, sizeof ev - o, "%s%s", o ? ", " : "", old->url);
        if (k > 0) o = NW_MIN(o + (size_t)k, sizeof ev - 1);
    }
    nw_json_arr_close(b);
    nw_json_kuint(b, "changed_count", nchanged);
    nw_json_karr_open(b, "new_pages");
    for (size_t k = 0; k < ncur; k++) {
        int f = 0;
        for (size_t i = 0; i < bs.n && !f; i++) f = strcmp(bs.pages[i].url, cur[k].url) == 0;
        if (!f) nw_json_cstr(b, cur[k].url);
    }
    nw_json_arr_close(b);
    nw__web_notes_json(s, b, NULL);
    if (nchanged) nw_probe_evidence(res, "%zu page(s) changed since the baseline: %s", nchanged, ev);
    else nw_probe_evidence(res, "%zu baseline page(s) unchanged", bs.n);
out:
    if (have_client) nw__web_client_fini(&c);
    snap_free(cur, ncur);
    snap_free(extra, nextra);
    for (size_t i = 0; extra_docs && i <= bs.n; i++) nw_html_doc_free(&extra_docs[i]);
    nw_free(extra_docs);
    for (size_t i = 0; i < bs.n; i++) {
        nw_free(bs.pages[i].lines);
        nw_free(bs.pages[i].links);
    }
    nw_free(bs.pages);
    nw_free(bs.data);
    return rc;
}

static const char *const tamper_params[] = {NULL};
const struct nw_probe nw_probe_web_tamper = {
    "web_tamper", NW_CHK_NETWORK, tamper_params, tamper_run,
    "website: pages changed since the --web-baseline record (normalised hash, diff summary)"};
