/*
 * model.c - the report model: one recorded inspection (results document,
 * schema netwarden-inspect/1), the comparison with an earlier one, the trend
 * over the history of the same selection, the assets and the audit store.
 * Built once; every format renders it.
 *
 * Invariants: every string in the model is owned by its arena and
 * NUL-terminated; missing optional fields become "" (never NULL, except
 * where report.h says NULL means "none"). Results documents are untrusted
 * bytes: the whole document is validated (jsonscan) before any field is
 * used, and counts are recomputed from the results rather than trusted from
 * the summary. Bounds: 256 MiB per results file, 100 000 results, 500
 * history files (as inspect's history), trend of at most 64 points.
 */
#include "nw/report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nw/inspect.h"
#include "nw/jsonscan.h"
#include "nw/store.h"
#include "report_int.h"

#define MAX_FILE (256u * 1024 * 1024)
#define MAX_ITEMS 100000
#define MAX_HIST 500
#define MAX_TREND 64
#define SCHEMA_PREFIX "netwarden-inspect/"

/* ------------------------------------------------------------- arena -- */

struct nw__rblk {
    struct nw__rblk *next;
    size_t used, cap;
    char data[];
};

void *nw__rarena_alloc(struct nw__rarena *a, size_t n)
{
    struct nw__rblk *b = a->head;
    n = (n + 7) & ~(size_t)7;
    if (b == NULL || b->cap - b->used < n) {
        size_t cap = n > 16384 ? n : 16384;
        b = nw_alloc(sizeof *b + cap);
        if (b == NULL) {
            a->oom = 1;
            return NULL;
        }
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

char *nw__rarena_strn(struct nw__rarena *a, const char *s, size_t n)
{
    char *p = nw__rarena_alloc(a, n + 1);
    if (p == NULL) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *nw__rarena_str(struct nw__rarena *a, const char *s)
{
    return nw__rarena_strn(a, s ? s : "", s ? strlen(s) : 0);
}

void nw__rarena_free(struct nw__rarena *a)
{
    struct nw__rblk *b = a->head;
    while (b) {
        struct nw__rblk *n = b->next;
        nw_free(b);
        b = n;
    }
    a->head = NULL;
}

/* ----------------------------------------------------------- helpers -- */

struct ld {
    struct nw_report *m;
    struct nw__rarena *ar;
    const char *name;
    struct nw_err *err;
};

/* The unescaped text of a string value (other types: raw token; absent: ""). */
static const char *jtext(struct nw__rarena *ar, const struct nw_json_val *v)
{
    char *p;
    int n;
    if (v == NULL || v->type == NW_JSON_NONE || v->type == NW_JSON_NULL) return "";
    p = nw__rarena_alloc(ar, v->len + 1);
    if (p == NULL) return NULL;
    n = nw_json_val_str(v, p, v->len + 1);
    if (n < 0) return "";
    return p;
}

static int member(const struct nw_json_val *obj, const char *name, struct nw_json_val *out)
{
    if (obj->type != NW_JSON_OBJECT) {
        out->type = NW_JSON_NONE;
        return 0;
    }
    if (nw_json_member(obj, name, strlen(name), out) != 1) {
        out->type = NW_JSON_NONE;
        return 0;
    }
    return 1;
}

static const char *mtext(struct ld *l, const struct nw_json_val *obj, const char *name)
{
    struct nw_json_val v;
    member(obj, name, &v);
    return jtext(l->ar, &v);
}

static uint64_t mnum(const struct nw_json_val *obj, const char *name)
{
    struct nw_json_val v;
    char buf[32];
    if (!member(obj, name, &v) || v.type != NW_JSON_NUMBER || v.len >= sizeof buf) return 0;
    memcpy(buf, v.p, v.len);
    buf[v.len] = '\0';
    if (buf[0] == '-') return 0;
    return strtoull(buf, NULL, 10);
}

/* A string list joined with sep; objects in it contribute their `article`
 * (and effective date): the CSL references. */
static const char *mjoin(struct ld *l, const struct nw_json_val *obj, const char *name)
{
    struct nw_json_val arr, k, v;
    struct nw_json_iter it;
    struct nw_buf b;
    const char *out;
    int n = 0;
    if (!member(obj, name, &arr) || arr.type != NW_JSON_ARRAY) return "";
    nw_buf_init(&b, 0);
    nw_json_iter_init(&it, &arr);
    while (n < 64 && nw_json_iter_next(&it, &k, &v) == 1) {
        const char *t;
        if (v.type == NW_JSON_OBJECT) {
            const char *art = mtext(l, &v, "article"), *eff = mtext(l, &v, "effective");
            if (art == NULL || eff == NULL) break;
            if (b.len) nw_buf_puts(&b, ", ");
            nw_buf_puts(&b, art);
            if (eff[0]) nw_buf_printf(&b, " [%s]", eff);
        } else if ((t = jtext(l->ar, &v)) != NULL && t[0]) {
            if (b.len) nw_buf_puts(&b, ", ");
            nw_buf_puts(&b, t);
        }
        n++;
    }
    out = b.oom ? NULL : nw__rarena_strn(l->ar, b.data ? b.data : "", b.len);
    nw_buf_fini(&b);
    return out;
}

static int sev_parse(const char *s)
{
    int v = nw_severity_parse(s);
    return v < 0 ? NW_SEV_INFO : v;
}

static int verdict_parse(const char *s)
{
    for (int v = 0; v < 4; v++)
        if (strcmp(s, nw_verdict_name(v)) == 0) return v;
    return -1;
}

static int read_file(const char *path, char **out, size_t *len, struct nw_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
    struct stat sb;
    char *buf = NULL;
    size_t got = 0;

    *out = NULL;
    if (fd < 0)
        return nw_err_set(err, errno == ENOENT ? NW_ENOENT : NW_EIO, "cannot read %s: %s", path,
                          strerror(errno));
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        rc = nw_err_set(err, NW_EIO, "cannot read %s: not a regular file", path);
        goto out;
    }
    if ((uint64_t)sb.st_size > MAX_FILE) {
        rc = nw_err_set(err, NW_ELIMIT, "%s is larger than %u MiB; not a results file", path,
                        MAX_FILE >> 20);
        goto out;
    }
    buf = nw_alloc((size_t)sb.st_size + 1);
    if (buf == NULL) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory reading %s", path);
        goto out;
    }
    while (got < (size_t)sb.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = nw_err_set(err, NW_EIO, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    buf = NULL;
    rc = 0;
out:
    nw_free(buf);
    close(fd);
    return rc;
}

/* ------------------------------------------------------------ assets -- */

static int has_port(const uint16_t *p, size_t n, unsigned port)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == port) return 1;
    return 0;
}

/*
 * Kind of a scanned network target from its open TCP ports (we see no more):
 * routing/management protocols of network gear -> network device; telnet
 * with nothing beyond web/ssh management -> network device; nothing open, or
 * only Windows desktop / remote-desktop ports -> client; otherwise server.
 */
static int classify(const uint16_t *p, size_t n)
{
    static const unsigned netdev[] = {179, 830, 4786, 8291, 8728, 8729};
    static const unsigned desktop[] = {135, 139, 445, 3389, 5900, 5357};
    size_t other = 0, desk = 0;
    for (size_t i = 0; i < NW_ARRAY_LEN(netdev); i++)
        if (has_port(p, n, netdev[i])) return NW_ASSET_NETDEV;
    if (has_port(p, n, 23)) {
        int only_mgmt = 1;
        for (size_t i = 0; i < n; i++)
            if (p[i] != 22 && p[i] != 23 && p[i] != 80 && p[i] != 443) only_mgmt = 0;
        if (only_mgmt) return NW_ASSET_NETDEV;
    }
    for (size_t i = 0; i < n; i++) {
        int d = 0;
        for (size_t k = 0; k < NW_ARRAY_LEN(desktop); k++) d |= p[i] == desktop[k];
        if (d) desk++;
        else other++;
    }
    if (n == 0 || (desk > 0 && other == 0)) return NW_ASSET_CLIENT;
    return NW_ASSET_SERVER;
}

static int is_url(const char *s)
{
    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

static struct nw_report_asset *asset_add(struct nw_report *m, size_t *cap)
{
    if (m->nassets == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        struct nw_report_asset *a = nw_realloc(m->assets, nc * sizeof *a);
        if (a == NULL) return NULL;
        m->assets = a;
        *cap = nc;
    }
    struct nw_report_asset *a = &m->assets[m->nassets++];
    memset(a, 0, sizeof *a);
    a->address = "";
    return a;
}

static struct nw_report_asset *asset_find(struct nw_report *m, const char *name)
{
    for (size_t i = 0; i < m->nassets; i++)
        if (m->assets[i].root == NULL && strcmp(m->assets[i].name, name) == 0) return &m->assets[i];
    return NULL;
}

static int load_assets(struct ld *l, const struct nw_json_val *run, size_t *cap)
{
    struct nw_report *m = l->m;
    struct nw_json_val arr, k, v;
    struct nw_json_iter it;
    size_t ntg = 0;

    if (m->has_local || m->has_self) {
        struct nw_report_asset *a = asset_add(m, cap);
        if (a == NULL) return NW_ENOMEM;
        a->kind = NW_ASSET_SERVER;
        a->name = m->host[0] ? m->host : "localhost";
        a->root = m->root[0] ? m->root : "/";
        a->ports = NULL;
    }
    if (member(run, "targets", &arr) && arr.type == NW_JSON_ARRAY) {
        nw_json_iter_init(&it, &arr);
        while (ntg < 65536 && nw_json_iter_next(&it, &k, &v) == 1) ntg++;
        m->targets = nw__rarena_alloc(l->ar, (ntg + 1) * sizeof *m->targets);
        if (m->targets == NULL) return NW_ENOMEM;
        nw_json_iter_init(&it, &arr);
        while (m->ntargets < ntg && nw_json_iter_next(&it, &k, &v) == 1) {
            struct nw_json_val ports, pk, pv, sc;
            struct nw_json_iter pit;
            uint16_t pl[1024];
            size_t np = 0;
            const char *host = v.type == NW_JSON_STRING ? jtext(l->ar, &v)
                             : mtext(l, &v, "host");
            const char *url = v.type == NW_JSON_OBJECT ? mtext(l, &v, "url") : "";
            struct nw_report_asset *a;
            if (host == NULL || url == NULL) return NW_ENOMEM;
            if (!host[0]) host = url;
            if (!host[0]) continue;
            m->targets[m->ntargets++] = host;
            if (asset_find(m, host)) continue;
            if ((a = asset_add(m, cap)) == NULL) return NW_ENOMEM;
            a->name = host;
            a->address = v.type == NW_JSON_OBJECT ? mtext(l, &v, "address") : "";
            if (a->address == NULL) return NW_ENOMEM;
            if (is_url(host) || url[0]) { /* inspect --web: one target per URL */
                a->kind = NW_ASSET_WEBSITE;
                m->has_web = 1;
                continue;
            }
            if (member(&v, "scanned", &sc) && sc.type == NW_JSON_FALSE) {
                a->error = mtext(l, &v, "error");
                if (a->error == NULL) return NW_ENOMEM;
                a->kind = NW_ASSET_SERVER;
                continue;
            }
            if (member(&v, "open_ports", &ports) && ports.type == NW_JSON_ARRAY) {
                struct nw_buf b;
                nw_json_iter_init(&pit, &ports);
                while (np < NW_ARRAY_LEN(pl) && nw_json_iter_next(&pit, &pk, &pv) == 1) {
                    char t[8];
                    if (pv.type != NW_JSON_NUMBER || pv.len >= sizeof t) continue;
                    memcpy(t, pv.p, pv.len);
                    t[pv.len] = '\0';
                    unsigned long port = strtoul(t, NULL, 10);
                    if (port > 0 && port < 65536) pl[np++] = (uint16_t)port;
                }
                nw_buf_init(&b, 0);
                for (size_t i = 0; i < np; i++) nw_buf_printf(&b, "%s%u", i ? ", " : "", pl[i]);
                a->ports = b.oom ? NULL : nw__rarena_strn(l->ar, b.data ? b.data : "", b.len);
                nw_buf_fini(&b);
                if (a->ports == NULL) return NW_ENOMEM;
            } else {
                a->ports = "";
            }
            a->kind = classify(pl, np);
        }
    }
    /* websites named only by the web checks' results (W1 may not list them in targets) */
    for (size_t i = 0; i < m->nitems; i++) {
        const struct nw_report_item *x = &m->items[i];
        struct nw_report_asset *a;
        if (x->target == NULL || asset_find(m, x->target)) continue;
        if (!is_url(x->target) && strcmp(x->mode, "web") != 0) continue;
        if ((a = asset_add(m, cap)) == NULL) return NW_ENOMEM;
        a->kind = NW_ASSET_WEBSITE;
        a->name = x->target;
    }
    return 0;
}

/* ------------------------------------------------------------ loading -- */

static int fmt_err(struct ld *l, const char *what)
{
    return nw_err_set(l->err, NW_EFORMAT, "%s: not a usable netwarden inspection results "
                      "document: %s; re-run 'netwarden inspect' or name another inspection",
                      l->name, what);
}

static int load_items(struct ld *l, const struct nw_json_val *results)
{
    struct nw_report *m = l->m;
    struct nw_json_iter it;
    struct nw_json_val k, v;
    size_t n = 0;
    int rc;

    nw_json_iter_init(&it, results);
    while ((rc = nw_json_iter_next(&it, &k, &v)) == 1) {
        if (++n > MAX_ITEMS) return fmt_err(l, "more than 100000 results");
    }
    if (rc < 0) return fmt_err(l, "malformed results list");
    m->items = nw_calloc(n ? n : 1, sizeof *m->items);
    if (m->items == NULL) return NW_ENOMEM;
    nw_json_iter_init(&it, results);
    while (m->nitems < n && nw_json_iter_next(&it, &k, &v) == 1) {
        struct nw_report_item *x = &m->items[m->nitems];
        struct nw_json_val t, refs, rem, tg;
        const char *verdict, *sev, *status;
        char what[96];
        if (v.type != NW_JSON_OBJECT) {
            snprintf(what, sizeof what, "result %zu is not an object", m->nitems + 1);
            return fmt_err(l, what);
        }
        x->id = mtext(l, &v, "id");
        verdict = mtext(l, &v, "verdict");
        sev = mtext(l, &v, "severity");
        status = mtext(l, &v, "status");
        x->category = mtext(l, &v, "category");
        x->mode = mtext(l, &v, "mode");
        x->evidence = mtext(l, &v, "evidence");
        x->reason = mtext(l, &v, "reason");
        member(&v, "title", &t);
        x->title[0] = mtext(l, &t, "zh");
        x->title[1] = mtext(l, &t, "en");
        member(&v, "remediation", &rem);
        x->remed[0] = mtext(l, &rem, "zh");
        x->remed[1] = mtext(l, &rem, "en");
        member(&v, "references", &refs);
        x->mlps2 = mjoin(l, &refs, "mlps2");
        x->order82 = mjoin(l, &refs, "order82");
        x->csl = mjoin(l, &refs, "csl");
        if (!x->id || !verdict || !sev || !status || !x->category || !x->mode || !x->evidence ||
            !x->reason || !x->title[0] || !x->title[1] || !x->remed[0] || !x->remed[1] ||
            !x->mlps2 || !x->order82 || !x->csl)
            return NW_ENOMEM;
        if (!x->id[0]) {
            snprintf(what, sizeof what, "result %zu has no id", m->nitems + 1);
            return fmt_err(l, what);
        }
        x->verdict = verdict_parse(verdict);
        if (x->verdict < 0) {
            snprintf(what, sizeof what, "result %zu (%.40s) has no valid verdict", m->nitems + 1,
                     x->id);
            return fmt_err(l, what);
        }
        if (!x->title[0][0]) x->title[0] = x->title[1][0] ? x->title[1] : x->id;
        if (!x->title[1][0]) x->title[1] = x->title[0];
        if (!x->remed[0][0]) x->remed[0] = x->remed[1];
        if (!x->remed[1][0]) x->remed[1] = x->remed[0];
        x->severity = sev_parse(sev);
        x->status = strcmp(status, "new") == 0 ? NW_CMP_NEW
                  : strcmp(status, "still_open") == 0 ? NW_CMP_STILL_OPEN : NW_CMP_NONE;
        x->target = NULL;
        if (member(&v, "target", &tg) && tg.type == NW_JSON_STRING) {
            x->target = jtext(l->ar, &tg);
            if (x->target == NULL) return NW_ENOMEM;
        }
        m->nitems++;
    }
    return 0;
}

static int cat_add(struct nw_report *m, size_t *cap, const struct nw_report_item *x)
{
    struct nw_report_cat *c = NULL;
    for (size_t i = 0; i < m->ncats && c == NULL; i++)
        if (strcmp(m->cats[i].name, x->category) == 0) c = &m->cats[i];
    if (c == NULL) {
        if (m->ncats == *cap) {
            size_t nc = *cap ? *cap * 2 : 16;
            struct nw_report_cat *n = nw_realloc(m->cats, nc * sizeof *n);
            if (n == NULL) return NW_ENOMEM;
            m->cats = n;
            *cap = nc;
        }
        c = &m->cats[m->ncats++];
        memset(c, 0, sizeof *c);
        c->name = x->category;
    }
    c->checks++;
    if (x->verdict == NW_VERDICT_FAIL) {
        c->fail++;
        c->fail_sev[x->severity]++;
    }
    return 0;
}

static int cat_cmp(const void *a, const void *b)
{
    const struct nw_report_cat *x = a, *y = b;
    for (int s = NW_REPORT_NSEV - 1; s >= 0 && x->fail == y->fail; s--)
        if (x->fail_sev[s] != y->fail_sev[s]) return x->fail_sev[s] > y->fail_sev[s] ? -1 : 1;
    if (x->fail != y->fail) return x->fail > y->fail ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int load_fixed(struct ld *l, const struct nw_json_val *cmp)
{
    struct nw_report *m = l->m;
    struct nw_json_val arr, k, v, t, tg;
    struct nw_json_iter it;
    size_t n = 0;
    if (!member(cmp, "fixed_findings", &arr) || arr.type != NW_JSON_ARRAY) return 0;
    nw_json_iter_init(&it, &arr);
    while (n < MAX_ITEMS && nw_json_iter_next(&it, &k, &v) == 1) n++;
    m->fixed = nw_calloc(n ? n : 1, sizeof *m->fixed);
    if (m->fixed == NULL) return NW_ENOMEM;
    nw_json_iter_init(&it, &arr);
    while (m->n_fixed < n && nw_json_iter_next(&it, &k, &v) == 1) {
        struct nw_report_fixed *f = &m->fixed[m->n_fixed];
        const char *sev;
        if (v.type != NW_JSON_OBJECT) continue;
        f->id = mtext(l, &v, "id");
        member(&v, "title", &t);
        f->title[0] = mtext(l, &t, "zh");
        f->title[1] = mtext(l, &t, "en");
        sev = mtext(l, &v, "severity");
        if (!f->id || !f->title[0] || !f->title[1] || !sev) return NW_ENOMEM;
        if (!f->title[0][0]) f->title[0] = f->title[1][0] ? f->title[1] : f->id;
        if (!f->title[1][0]) f->title[1] = f->title[0];
        f->severity = sev_parse(sev);
        f->target = NULL;
        if (member(&v, "target", &tg) && tg.type == NW_JSON_STRING &&
            (f->target = jtext(l->ar, &tg)) == NULL)
            return NW_ENOMEM;
        m->n_fixed++;
    }
    return 0;
}

static struct nw__rarena *arena_of(struct nw_report *m)
{
    if (m->arena == NULL) m->arena = nw_calloc(1, sizeof(struct nw__rarena));
    return m->arena;
}

int nw_report_load_buf(struct nw_report *m, const char *name, const char *text, size_t len,
                       struct nw_err *err)
{
    struct ld l = {m, arena_of(m), name, err};
    struct nw_json_val root, run, sum, results, cmp, modes, k, v, rf;
    struct nw_json_iter it;
    size_t errpos = 0, catcap = 0, acap = 0;
    const char *schema, *prev;
    int rc;

    if (l.ar == NULL) return nw_err_set(err, NW_ENOMEM, "out of memory");
    if (nw_json_validate(text, len, &errpos) != 0) {
        char what[64];
        snprintf(what, sizeof what, "not valid JSON (byte %zu)", errpos);
        return fmt_err(&l, what);
    }
    if (nw_json_root(text, len, &root) != 0) return fmt_err(&l, "not valid JSON");
    schema = mtext(&l, &root, "schema");
    if (schema == NULL) goto oom;
    if (strncmp(schema, SCHEMA_PREFIX, strlen(SCHEMA_PREFIX)) != 0)
        return fmt_err(&l, "no \"schema\": \"netwarden-inspect/1\"");
    if (!member(&root, "run", &run) || run.type != NW_JSON_OBJECT)
        return fmt_err(&l, "no \"run\" object");
    if (!member(&root, "results", &results) || results.type != NW_JSON_ARRAY)
        return fmt_err(&l, "no \"results\" list");
    m->run_id = mtext(&l, &run, "id");
    m->started = mtext(&l, &run, "started");
    m->finished = mtext(&l, &run, "finished");
    m->profile = mtext(&l, &run, "profile");
    m->root = mtext(&l, &run, "root");
    m->host = mtext(&l, &run, "host");
    m->version = mtext(&l, &run, "netwarden_version");
    m->selection = mtext(&l, &run, "selection");
    if (!m->run_id || !m->started || !m->finished || !m->profile || !m->root || !m->host ||
        !m->version || !m->selection)
        goto oom;
    if (!m->run_id[0]) return fmt_err(&l, "the run has no id");
    if (!m->profile[0]) m->profile = NULL;
    if (nw_json_parse_time(m->started, strlen(m->started), &m->started_us) != 0)
        m->started_us = 0;
    if (nw_json_parse_time(m->finished, strlen(m->finished), &m->finished_us) != 0)
        m->finished_us = 0;
    {
        struct nw_buf b;
        nw_buf_init(&b, 0);
        if (member(&run, "modes", &modes) && modes.type == NW_JSON_ARRAY) {
            nw_json_iter_init(&it, &modes);
            for (int n = 0; n < 16 && nw_json_iter_next(&it, &k, &v) == 1; n++) {
                const char *md = jtext(l.ar, &v);
                if (md == NULL) break;
                if (b.len) nw_buf_puts(&b, ", ");
                nw_buf_puts(&b, md);
                if (strcmp(md, "local") == 0) m->has_local = 1;
                else if (strcmp(md, "network") == 0) m->has_network = 1;
                else if (strcmp(md, "audit-self") == 0) m->has_self = 1;
                else if (strncmp(md, "web", 3) == 0) m->has_web = 1;
            }
        }
        m->modes = b.oom ? NULL : nw__rarena_strn(l.ar, b.data ? b.data : "", b.len);
        nw_buf_fini(&b);
        if (m->modes == NULL) goto oom;
    }
    if (member(&run, "refused_targets", &rf) && rf.type == NW_JSON_ARRAY) {
        size_t n = 0;
        nw_json_iter_init(&it, &rf);
        while (n < 4096 && nw_json_iter_next(&it, &k, &v) == 1) n++;
        m->refused = nw__rarena_alloc(l.ar, (n + 1) * sizeof *m->refused);
        if (m->refused == NULL) goto oom;
        nw_json_iter_init(&it, &rf);
        while (m->nrefused < n && nw_json_iter_next(&it, &k, &v) == 1)
            if ((m->refused[m->nrefused++] = jtext(l.ar, &v)) == NULL) goto oom;
    }
    rc = load_items(&l, &results);
    if (rc != 0) goto fail;
    /* counts are recomputed, not trusted from "summary" */
    memset(m->counts, 0, sizeof m->counts);
    memset(m->fail_sev, 0, sizeof m->fail_sev);
    for (size_t i = 0; i < m->nitems; i++) {
        const struct nw_report_item *x = &m->items[i];
        m->counts[x->verdict]++;
        if (x->verdict == NW_VERDICT_FAIL) m->fail_sev[x->severity]++;
        if (strncmp(x->mode, "web", 3) == 0) m->has_web = 1;
        if ((rc = cat_add(m, &catcap, x)) != 0) goto fail;
    }
    if (m->ncats) qsort(m->cats, m->ncats, sizeof *m->cats, cat_cmp);
    (void)sum;
    if ((rc = load_assets(&l, &run, &acap)) != 0) goto fail;
    for (size_t i = 0; i < m->nitems; i++) {
        const struct nw_report_item *x = &m->items[i];
        struct nw_report_asset *a = NULL;
        if (x->verdict != NW_VERDICT_FAIL) continue;
        if (x->target == NULL) {
            for (size_t j = 0; j < m->nassets && a == NULL; j++)
                if (m->assets[j].root) a = &m->assets[j];
        } else {
            a = asset_find(m, x->target);
        }
        if (a) a->findings++;
    }
    for (size_t j = 0; j < m->nassets; j++) m->asset_count[m->assets[j].kind]++;
    /* the comparison the run carries */
    m->prev_id = NULL;
    if (member(&root, "comparison", &cmp) && cmp.type == NW_JSON_OBJECT) {
        prev = mtext(&l, &cmp, "previous");
        if (prev == NULL) goto oom;
        if (prev[0]) m->prev_id = prev;
        if ((rc = load_fixed(&l, &cmp)) != 0) goto fail;
    }
    for (size_t i = 0; i < m->nitems; i++) {
        if (m->items[i].verdict != NW_VERDICT_FAIL) continue;
        if (m->items[i].status == NW_CMP_STILL_OPEN) m->n_still++;
        else m->n_new++;
    }
    if (l.ar->oom) goto oom;
    return 0;
oom:
    return nw_err_set(err, NW_ENOMEM, "out of memory reading %s", name);
fail:
    if (rc == NW_ENOMEM) return nw_err_set(err, NW_ENOMEM, "out of memory reading %s", name);
    return rc;
}

/* ---------------------------------------------------------- compare -- */

static int same_key(const char *id1, const char *t1, const char *id2, const char *t2)
{
    if (strcmp(id1, id2) != 0) return 0;
    if (t1 == NULL || t2 == NULL) return t1 == t2;
    return strcmp(t1, t2) == 0;
}

int nw_report_compare_buf(struct nw_report *m, const char *name, const char *text, size_t len,
                          struct nw_err *err)
{
    struct nw_report p;
    struct nw__rarena *ar = arena_of(m);
    size_t nf = 0;
    int rc;

    memset(&p, 0, sizeof p);
    if (ar == NULL) return nw_err_set(err, NW_ENOMEM, "out of memory");
    rc = nw_report_load_buf(&p, name, text, len, err);
    if (rc != 0) goto out;
    nw_free(m->fixed);
    m->fixed = nw_calloc(p.nitems ? p.nitems : 1, sizeof *m->fixed);
    if (m->fixed == NULL) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
        goto out;
    }
    m->n_new = m->n_still = 0;
    for (size_t i = 0; i < m->nitems; i++) {
        struct nw_report_item *x = &m->items[i];
        int was = 0;
        if (x->verdict != NW_VERDICT_FAIL) continue;
        for (size_t j = 0; j < p.nitems && !was; j++)
            was = p.items[j].verdict == NW_VERDICT_FAIL &&
                  same_key(x->id, x->target, p.items[j].id, p.items[j].target);
        x->status = was ? NW_CMP_STILL_OPEN : NW_CMP_NEW;
        if (was) m->n_still++;
        else m->n_new++;
    }
    /* fixed: failed then, passes now (an error or skip now is not "fixed") */
    for (size_t j = 0; j < p.nitems; j++) {
        const struct nw_report_item *y = &p.items[j];
        int now_pass = 0;
        if (y->verdict != NW_VERDICT_FAIL) continue;
        for (size_t i = 0; i < m->nitems && !now_pass; i++)
            now_pass = m->items[i].verdict == NW_VERDICT_PASS &&
                       same_key(y->id, y->target, m->items[i].id, m->items[i].target);
        if (!now_pass) continue;
        struct nw_report_fixed *f = &m->fixed[nf];
        f->id = nw__rarena_str(ar, y->id);
        f->target = y->target ? nw__rarena_str(ar, y->target) : NULL;
        f->title[0] = nw__rarena_str(ar, y->title[0]);
        f->title[1] = nw__rarena_str(ar, y->title[1]);
        f->severity = y->severity;
        nf++;
    }
    m->n_fixed = nf;
    m->prev_id = nw__rarena_str(ar, p.run_id);
    if (ar->oom) rc = nw_err_set(err, NW_ENOMEM, "out of memory");
out:
    nw_report_free(&p);
    return rc;
}

void nw_report_free(struct nw_report *m)
{
    if (m == NULL) return;
    nw_free(m->items);
    nw_free(m->cats);
    nw_free(m->assets);
    nw_free(m->fixed);
    nw_free(m->trend);
    if (m->arena) {
        nw__rarena_free(m->arena);
        nw_free(m->arena);
    }
    memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------ history / ids -- */

/* A run id names a file in DATA/inspect: letters, digits, '.', '-', '_' only. */
static int id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 64) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '.' || c == '-' || c == '_'))
            return 0;
    }
    return id[0] != '.';
}

struct idlist {
    char (*ids)[72];
    size_t n;
};

static int idcmp(const void *a, const void *b) { return strcmp(a, b); }

/* Run ids in DATA/inspect (sorted ascending, at most MAX_HIST newest). */
static int list_ids(const char *dir, struct idlist *out)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t cap = 0;
    out->ids = NULL;
    out->n = 0;
    if (d == NULL) return errno == ENOENT || errno == ENOTDIR ? NW_ENOENT : NW_EIO;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l < 6 || l - 5 >= 72 || strcmp(de->d_name + l - 5, ".json") != 0) continue;
        if (out->n == cap) {
            size_t nc = cap ? cap * 2 : 32;
            void *p;
            if (nc > 100000) break;
            p = nw_realloc(out->ids, nc * sizeof *out->ids);
            if (p == NULL) {
                closedir(d);
                return NW_ENOMEM;
            }
            out->ids = p;
            cap = nc;
        }
        memcpy(out->ids[out->n], de->d_name, l - 5);
        out->ids[out->n][l - 5] = '\0';
        if (id_ok(out->ids[out->n])) out->n++;
    }
    closedir(d);
    if (out->n) qsort(out->ids, out->n, sizeof *out->ids, idcmp);
    return 0;
}

/* Read a results document named by id, "latest" or a path. */
static int locate(const char *data_dir, const char *what, const struct idlist *ids, char *path,
                  size_t pathsz, struct nw_err *err)
{
    if (strchr(what, '/') || (strlen(what) > 5 && strcmp(what + strlen(what) - 5, ".json") == 0 &&
                              !id_ok(what))) {
        snprintf(path, pathsz, "%s", what);
        return 0;
    }
    if (strcmp(what, "latest") == 0) {
        if (ids->n == 0)
            return nw_err_set(err, NW_ENOENT, "no inspection recorded in %s/inspect yet; run "
                              "'netwarden inspect --data-dir %s' first", data_dir, data_dir);
        snprintf(path, pathsz, "%s/inspect/%s.json", data_dir, ids->ids[ids->n - 1]);
        return 0;
    }
    if (!id_ok(what))
        return nw_err_set(err, NW_ENOENT, "'%.80s' is not an inspection id (like "
                          "20261121T120000.123456Z) nor 'latest'", what);
    for (size_t i = 0; i < ids->n; i++)
        if (strcmp(ids->ids[i], what) == 0) {
            snprintf(path, pathsz, "%s/inspect/%s.json", data_dir, what);
            return 0;
        }
    if (ids->n == 0)
        return nw_err_set(err, NW_ENOENT, "no inspection '%.80s': none recorded in %s/inspect "
                          "yet; run 'netwarden inspect' first", what, data_dir);
    return nw_err_set(err, NW_ENOENT, "no inspection '%.80s' in %s/inspect; the latest is %s "
                      "('netwarden report --inspection latest')", what, data_dir,
                      ids->ids[ids->n - 1]);
}

static int load_path(struct nw_report *m, const char *path, int compare, struct nw_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = read_file(path, &buf, &len, err);
    if (rc == NW_ENOENT)
        return nw_err_set(err, NW_ENOENT, "no inspection results at %s", path);
    if (rc != 0) return rc;
    rc = compare ? nw_report_compare_buf(m, path, buf, len, err)
                 : nw_report_load_buf(m, path, buf, len, err);
    nw_free(buf);
    return rc;
}

static int point_cmp(const void *a, const void *b)
{
    return strcmp(((const struct nw_report_point *)a)->id, ((const struct nw_report_point *)b)->id);
}

/* Trend: the inspections of the same selection up to this one. */
static int load_trend(struct nw_report *m, const char *data_dir, const struct idlist *ids, int max)
{
    struct nw__rarena *ar = arena_of(m);
    char path[4200];
    size_t first = ids->n > MAX_HIST ? ids->n - MAX_HIST : 0, have_self = 0;
    struct nw_err e;

    m->trend = nw_calloc(ids->n + 1, sizeof *m->trend);
    if (m->trend == NULL || ar == NULL) return NW_ENOMEM;
    for (size_t i = first; i < ids->n; i++) {
        char *buf = NULL;
        size_t len = 0;
        struct nw_json_val root, sel, sev, id, st, sum, v;
        char tmp[1024];
        if (strcmp(ids->ids[i], m->run_id) > 0) continue;
        snprintf(path, sizeof path, "%s/inspect/%s.json", data_dir, ids->ids[i]);
        if (read_file(path, &buf, &len, &e) != 0) continue;
        if (nw_json_validate(buf, len, NULL) != 0 || nw_json_get(buf, len, "run.selection", &sel) != 1 ||
            nw_json_val_str(&sel, tmp, sizeof tmp) < 0 || strcmp(tmp, m->selection) != 0 ||
            nw_json_get(buf, len, "run.id", &id) != 1 || nw_json_get(buf, len, "summary", &sum) != 1) {
            nw_free(buf);
            continue;
        }
        (void)root;
        struct nw_report_point *pt = &m->trend[m->ntrend];
        memset(pt, 0, sizeof *pt);
        if (nw_json_val_str(&id, tmp, sizeof tmp) < 0) {
            nw_free(buf);
            continue;
        }
        pt->id = nw__rarena_str(ar, tmp);
        if (nw_json_get(buf, len, "run.started", &st) == 1 && nw_json_val_str(&st, tmp, sizeof tmp) >= 0)
            nw_json_parse_time(tmp, strlen(tmp), &pt->started_us);
        pt->fail = mnum(&sum, "fail");
        if (member(&sum, "failed_by_severity", &sev))
            for (int s = 0; s < NW_REPORT_NSEV; s++) pt->fail_sev[s] = mnum(&sev, nw_severity_name(s));
        (void)v;
        if (pt->id && strcmp(pt->id, m->run_id) == 0) {
            /* this run: the counts as the model computed them */
            pt->fail = m->counts[NW_VERDICT_FAIL];
            memcpy(pt->fail_sev, m->fail_sev, sizeof pt->fail_sev);
            have_self = 1;
        }
        if (pt->id) m->ntrend++;
        nw_free(buf);
    }
    if (!have_self) { /* a results file outside the history (--no-history, a path) */
        struct nw_report_point *pt = &m->trend[m->ntrend++];
        pt->id = m->run_id;
        pt->started_us = m->started_us;
        pt->fail = m->counts[NW_VERDICT_FAIL];
        memcpy(pt->fail_sev, m->fail_sev, sizeof pt->fail_sev);
    }
    qsort(m->trend, m->ntrend, sizeof *m->trend, point_cmp);
    if (max <= 0) max = 12;
    if (max > MAX_TREND) max = MAX_TREND;
    if (m->ntrend > (size_t)max) {
        memmove(m->trend, m->trend + (m->ntrend - (size_t)max), (size_t)max * sizeof *m->trend);
        m->ntrend = (size_t)max;
    }
    return ar->oom ? NW_ENOMEM : 0;
}

/* ------------------------------------------------------------ store -- */

static int oldest_cb(void *arg, const char *line, size_t len, uint64_t ts)
{
    uint64_t *o = arg;
    (void)line;
    (void)len;
    if (*o == 0 || ts < *o) *o = ts;
    return 0;
}

static void load_store(struct nw_report *m, const struct nw_report_opts *o, const char *dir)
{
    struct nw_report_store *s = &m->store;
    struct nw__rarena *ar = arena_of(m);
    char path[4200], oldest[16] = "", *text = NULL;
    size_t tlen = 0;
    struct nw_err e;
    struct stat sb;
    DIR *d;
    struct dirent *de;
    FILE *rep;
    const char *pub = o->pubkey;

    snprintf(path, sizeof path, "%s/STORE", dir);
    if (stat(path, &sb) != 0 || ar == NULL) return;
    s->present = 1;
    s->dir = nw__rarena_str(ar, dir);
    s->retention_days = o->store_retention_days;
    d = opendir(dir);
    while (d && (de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (strlen(n) != 10 || n[4] != '-' || n[7] != '-') continue;
        s->partitions++;
        if (oldest[0] == '\0' || strcmp(n, oldest) < 0) snprintf(oldest, sizeof oldest, "%.10s", n);
    }
    if (d) closedir(d);
    if (oldest[0]) { /* the oldest record: scan only the oldest day */
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        if (sscanf(oldest, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) == 3) {
            struct nw_store_scan sc;
            tm.tm_year -= 1900;
            tm.tm_mon -= 1;
            memset(&sc, 0, sizeof sc);
            sc.since_us = (uint64_t)timegm(&tm) * 1000000u;
            sc.until_us = sc.since_us + 86400ull * 1000000u;
            sc.on_record = oldest_cb;
            sc.arg = &s->oldest_us;
            if (nw_store_scan(dir, &sc, NULL, &e) != 0) s->oldest_us = 0;
        }
    }
    if (s->oldest_us && m->generated_us > s->oldest_us)
        s->oldest_days = (m->generated_us - s->oldest_us) / (86400ull * 1000000u);
    /* verify, keeping its report for the record count and the chain head */
    rep = open_memstream(&text, &tlen);
    e.msg[0] = '\0';
    if (pub && access(pub, R_OK) != 0) pub = NULL;
    s->verify_rc = nw_store_verify(dir, pub, rep, &e);
    s->signed_checked = pub != NULL;
    if (rep) fclose(rep);
    s->verify_msg = nw__rarena_str(ar, s->verify_rc == 0 ? "" : e.msg);
    s->chain_head = "";
    if (text) {
        const char *p = strstr(text, "sealed segments (");
        const char *h = strstr(text, "chain head ");
        if (p) {
            s->records = strtoull(p + strlen("sealed segments ("), NULL, 10);
            s->records_known = 1;
        }
        if (h) {
            h += strlen("chain head ");
            size_t n = strspn(h, "0123456789abcdef");
            if (n == 64) s->chain_head = nw__rarena_strn(ar, h, n);
        }
        free(text); /* checksrc: open_memstream allocates with libc */
    }
}

/* ------------------------------------------------------------- build -- */

int nw_report_build(struct nw_report *m, const struct nw_report_opts *o, struct nw_err *err)
{
    struct idlist ids = {NULL, 0};
    char dir[4200], path[4200];
    struct nw__rarena *ar;
    int rc;

    memset(m, 0, sizeof *m);
    ar = arena_of(m);
    if (ar == NULL) return nw_err_set(err, NW_ENOMEM, "out of memory");
    m->generated_us = o->now_us ? o->now_us : nw_time_now_us();
    snprintf(dir, sizeof dir, "%s/inspect", o->data_dir);
    rc = list_ids(dir, &ids);
    if (rc == NW_ENOMEM) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
        goto out;
    }
    rc = locate(o->data_dir, o->inspection ? o->inspection : "latest", &ids, path, sizeof path, err);
    if (rc != 0) goto out;
    if ((rc = load_path(m, path, 0, err)) != 0) goto out;
    if (o->compare) {
        if ((rc = locate(o->data_dir, o->compare, &ids, path, sizeof path, err)) != 0) goto out;
        if ((rc = load_path(m, path, 1, err)) != 0) goto out;
    }
    if ((rc = load_trend(m, o->data_dir, &ids, o->max_trend)) != 0) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
        goto out;
    }
    m->unit_name = nw__rarena_str(ar, o->unit_name);
    m->unit_code = nw__rarena_str(ar, o->unit_code);
    m->unit_leader = nw__rarena_str(ar, o->unit_leader);
    m->unit_contact = nw__rarena_str(ar, o->unit_contact);
    if (o->store_dir == NULL) {
        snprintf(dir, sizeof dir, "%s/store", o->data_dir);
        load_store(m, o, dir);
    } else if (o->store_dir[0]) {
        load_store(m, o, o->store_dir);
    }
    if (ar->oom) rc = nw_err_set(err, NW_ENOMEM, "out of memory");
out:
    nw_free(ids.ids);
    return rc;
}
