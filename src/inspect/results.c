/*
 * results.c - the results document (schema "netwarden-inspect/1", see
 * docs/inspect.md) and the history kept in <state>/inspect/<run-id>.json.
 *
 * A run is compared with the latest earlier run of the same selection
 * (profile, modes, root and targets: the `run.selection` string): each fail
 * is `new` or `still_open`, and each earlier fail that now passes is listed
 * as `fixed`. A finding's identity is check id + target. History files are
 * read with the bounded reader (jsonscan); a damaged or foreign file is
 * skipped, never trusted. At most 500 history files are looked at.
 */
#include "nw/inspect.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nw/jsonscan.h"

#define SCHEMA "netwarden-inspect/1"
#define HIST_MAX_FILES 500
#define HIST_MAX_BYTES (256u * 1024 * 1024)

static void selection(const struct nw_inspect_run *r, struct nw_buf *b)
{
    nw_buf_printf(b, "profile=%s;modes=%d;root=%s;targets=", r->profile ? r->profile : "*",
                  r->modes, r->set.root ? r->set.root : "/");
    for (size_t i = 0; i < r->ntargets; i++)
        nw_buf_printf(b, "%s%s", i ? "," : "", r->targets[i].host);
    if (r->only) nw_buf_printf(b, ";only=%s", r->only);
}

static void write_str_list(struct nw_buf *b, const char *key, const char *const *l)
{
    nw_json_karr_open(b, key);
    for (size_t i = 0; l && l[i]; i++) nw_json_cstr(b, l[i]);
    nw_json_arr_close(b);
}

static void write_refs(struct nw_buf *b, const struct nw_check *c)
{
    nw_json_kobj_open(b, "references");
    write_str_list(b, "mlps2", c->mlps2);
    write_str_list(b, "order82", c->order82);
    nw_json_karr_open(b, "csl");
    for (size_t i = 0; i < c->ncsl; i++) {
        nw_json_obj_open(b);
        nw_json_kcstr(b, "article", c->csl[i].article);
        nw_json_kcstr(b, "effective", c->csl[i].effective);
        nw_json_obj_close(b);
    }
    nw_json_arr_close(b);
    nw_json_obj_close(b);
}

static const char *cmp_name(int c)
{
    return c == NW_CMP_NEW ? "new" : c == NW_CMP_STILL_OPEN ? "still_open" : NULL;
}

void nw_inspect_results_json(const struct nw_inspect_run *r, struct nw_buf *b)
{
    char host[256];
    size_t sev[5] = {0};

    if (gethostname(host, sizeof host) != 0) host[0] = '\0';
    host[sizeof host - 1] = '\0';
    nw_json_obj_open(b);
    nw_json_kcstr(b, "schema", SCHEMA);
    nw_json_kobj_open(b, "run");
    nw_json_kcstr(b, "id", r->id);
    nw_json_ktime(b, "started", r->started_us);
    nw_json_ktime(b, "finished", r->finished_us);
    if (r->profile) nw_json_kcstr(b, "profile", r->profile);
    else {
        nw_json_key(b, "profile");
        nw_json_null(b);
    }
    nw_json_karr_open(b, "modes");
    if (r->modes & NW_CHK_LOCAL) nw_json_cstr(b, "local");
    if (r->modes & NW_CHK_NETWORK) nw_json_cstr(b, "network");
    if (r->modes & NW_CHK_AUDIT_SELF) nw_json_cstr(b, "audit-self");
    nw_json_arr_close(b);
    nw_json_kcstr(b, "root", r->set.root ? r->set.root : "/");
    nw_json_karr_open(b, "targets");
    for (size_t i = 0; i < r->ntargets; i++) {
        const struct nw_inspect_target *t = &r->targets[i];
        nw_json_obj_open(b);
        nw_json_kcstr(b, "host", t->host);
        nw_json_kcstr(b, "address", t->addr_text);
        nw_json_kbool(b, "scanned", t->scanned);
        if (t->scanned) {
            nw_json_karr_open(b, "open_ports");
            for (size_t k = 0; k < t->nopen; k++) nw_json_uint(b, t->open_ports[k]);
            nw_json_arr_close(b);
        } else if (t->scan_error[0]) {
            nw_json_kcstr(b, "error", t->scan_error);
        }
        nw_json_obj_close(b);
    }
    nw_json_arr_close(b);
    nw_json_karr_open(b, "refused_targets");
    for (size_t i = 0; i < r->nrefused; i++) nw_json_cstr(b, r->refused[i]);
    nw_json_arr_close(b);
    {
        struct nw_buf s;
        nw_buf_init(&s, 65536);
        selection(r, &s);
        nw_json_kstr(b, "selection", s.data ? s.data : "", s.len);
        nw_buf_fini(&s);
    }
    nw_json_kcstr(b, "netwarden_version", NW_VERSION);
    nw_json_kcstr(b, "host", host);
    nw_json_obj_close(b);

    nw_json_kobj_open(b, "summary");
    nw_json_kuint(b, "checks", r->nresults);
    for (int v = 0; v < 4; v++) nw_json_kuint(b, nw_verdict_name(v), r->counts[v]);
    for (size_t i = 0; i < r->nresults; i++)
        if (r->results[i].verdict == NW_VERDICT_FAIL) sev[r->results[i].check->severity]++;
    nw_json_kobj_open(b, "failed_by_severity");
    for (int s = NW_SEV_CRITICAL; s >= NW_SEV_INFO; s--) nw_json_kuint(b, nw_severity_name(s),
                                                                        sev[s]);
    nw_json_obj_close(b);
    nw_json_obj_close(b);

    nw_json_karr_open(b, "results");
    for (size_t i = 0; i < r->nresults; i++) {
        const struct nw_inspect_result *x = &r->results[i];
        const struct nw_check *c = x->check;
        nw_json_obj_open(b);
        nw_json_kcstr(b, "id", c->id);
        nw_json_kobj_open(b, "title");
        nw_json_kcstr(b, "zh", c->title_zh);
        nw_json_kcstr(b, "en", c->title_en);
        nw_json_obj_close(b);
        nw_json_kcstr(b, "severity", nw_severity_name(c->severity));
        nw_json_kcstr(b, "category", c->category);
        nw_json_kcstr(b, "mode", nw_chk_mode_name(c->mode));
        nw_json_kcstr(b, "probe", c->probe->name);
        if (x->target) nw_json_kcstr(b, "target", x->target);
        else {
            nw_json_key(b, "target");
            nw_json_null(b);
        }
        nw_json_kcstr(b, "verdict", nw_verdict_name(x->verdict));
        if (cmp_name(x->cmp)) nw_json_kcstr(b, "status", cmp_name(x->cmp));
        if (x->reason[0]) nw_json_kcstr(b, "reason", x->reason);
        nw_json_kcstr(b, "pass", c->pass);
        nw_json_key(b, "facts");
        nw_json_raw(b, x->facts, x->facts_len);
        nw_json_kcstr(b, "evidence", x->evidence);
        nw_json_kobj_open(b, "remediation");
        nw_json_kcstr(b, "zh", c->remed_zh);
        nw_json_kcstr(b, "en", c->remed_en);
        nw_json_obj_close(b);
        write_refs(b, c);
        nw_json_kuint(b, "duration_us", x->duration_us);
        nw_json_obj_close(b);
    }
    nw_json_arr_close(b);

    nw_json_kobj_open(b, "comparison");
    if (r->previous[0]) nw_json_kcstr(b, "previous", r->previous);
    else {
        nw_json_key(b, "previous");
        nw_json_null(b);
    }
    {
        size_t nn = 0, so = 0;
        for (size_t i = 0; i < r->nresults; i++) {
            nn += r->results[i].cmp == NW_CMP_NEW;
            so += r->results[i].cmp == NW_CMP_STILL_OPEN;
        }
        nw_json_kuint(b, "new", nn);
        nw_json_kuint(b, "still_open", so);
        nw_json_kuint(b, "fixed", r->nfixed);
    }
    nw_json_karr_open(b, "fixed_findings");
    for (size_t i = 0; i < r->nfixed; i++) {
        const struct nw_inspect_fixed *f = &r->fixed[i];
        nw_json_obj_open(b);
        nw_json_kcstr(b, "id", f->id);
        if (f->target[0]) nw_json_kcstr(b, "target", f->target);
        else {
            nw_json_key(b, "target");
            nw_json_null(b);
        }
        nw_json_kobj_open(b, "title");
        nw_json_kcstr(b, "zh", f->title_zh);
        nw_json_kcstr(b, "en", f->title_en);
        nw_json_obj_close(b);
        nw_json_kcstr(b, "severity", f->severity);
        nw_json_obj_close(b);
    }
    nw_json_arr_close(b);
    nw_json_obj_close(b);
    nw_json_obj_close(b);
    nw_buf_putc(b, '\n');
}

/* ---------------------------------------------------------------- history -- */

static int read_all(const char *path, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *buf = NULL;
    size_t n = 0;

    if (fd < 0) return NW_EIO;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > HIST_MAX_BYTES) {
        close(fd);
        return NW_EFORMAT;
    }
    buf = nw_alloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        close(fd);
        return NW_ENOMEM;
    }
    while (n < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

static int cmp_desc(const void *a, const void *b)
{
    return strcmp(*(char *const *)b, *(char *const *)a);
}

static void jcopy(const char *doc, size_t len, const struct nw_json_val *obj, const char *path,
                  char *out, size_t outsz)
{
    struct nw_json_val v;
    out[0] = '\0';
    if (nw_json_getn(obj->p, obj->len, path, strlen(path), &v) == 1 &&
        (v.type == NW_JSON_STRING) && nw_json_val_str(&v, out, outsz) < 0)
        out[0] = '\0';
    (void)doc;
    (void)len;
}

/* Compare with the previous document doc (already matched on selection). */
static int compare(struct nw_inspect_run *r, const char *doc, size_t len)
{
    struct nw_json_val res, k, el;
    struct nw_json_iter it;
    int rc;

    if (nw_json_get(doc, len, "results", &res) != 1 || res.type != NW_JSON_ARRAY) return 0;
    for (size_t i = 0; i < r->nresults; i++)
        if (r->results[i].verdict == NW_VERDICT_FAIL) r->results[i].cmp = NW_CMP_NEW;
    nw_json_iter_init(&it, &res);
    while ((rc = nw_json_iter_next(&it, &k, &el)) == 1) {
        char id[72], target[256], verdict[16];
        if (el.type != NW_JSON_OBJECT) continue;
        jcopy(doc, len, &el, "id", id, sizeof id);
        jcopy(doc, len, &el, "target", target, sizeof target);
        jcopy(doc, len, &el, "verdict", verdict, sizeof verdict);
        if (strcmp(verdict, "fail") != 0) continue;
        for (size_t i = 0; i < r->nresults; i++) {
            struct nw_inspect_result *x = &r->results[i];
            if (strcmp(x->check->id, id) != 0 || strcmp(x->target ? x->target : "", target) != 0)
                continue;
            if (x->verdict == NW_VERDICT_FAIL) x->cmp = NW_CMP_STILL_OPEN;
            else if (x->verdict == NW_VERDICT_PASS) {
                struct nw_inspect_fixed *f;
                if (r->nfixed % 16 == 0) {
                    void *nf = nw_realloc(r->fixed, (r->nfixed + 16) * sizeof *r->fixed);
                    if (nf == NULL) return NW_ENOMEM;
                    r->fixed = nf;
                }
                f = &r->fixed[r->nfixed++];
                memset(f, 0, sizeof *f);
                snprintf(f->id, sizeof f->id, "%s", id);
                snprintf(f->target, sizeof f->target, "%s", target);
                jcopy(doc, len, &el, "title.en", f->title_en, sizeof f->title_en);
                jcopy(doc, len, &el, "title.zh", f->title_zh, sizeof f->title_zh);
                jcopy(doc, len, &el, "severity", f->severity, sizeof f->severity);
            }
            break;
        }
    }
    return 0;
}

static int mkdir_p(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);

    if (n >= sizeof tmp) return -1;
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i < n; i++) {
        if (tmp[i] != '/') continue;
        tmp[i] = '\0';
        if (mkdir(tmp, 0750) != 0 && errno != EEXIST) return -1;
        tmp[i] = '/';
    }
    return mkdir(tmp, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

int nw_inspect_history(struct nw_inspect_run *r, const char *state_dir, int save,
                       struct nw_err *err)
{
    char dir[4096], path[4200];
    struct nw_buf sel, out;
    char **names = NULL;
    size_t nnames = 0;
    DIR *d;
    struct dirent *de;
    int rc = 0;

    if (snprintf(dir, sizeof dir, "%s/inspect", state_dir) >= (int)sizeof dir)
        return nw_err_set(err, NW_EINVAL, "state directory path too long");
    nw_buf_init(&sel, 65536);
    nw_buf_init(&out, 0);
    selection(r, &sel);
    d = opendir(dir);
    if (d) {
        names = nw_calloc(HIST_MAX_FILES, sizeof *names);
        while (names && (de = readdir(d)) != NULL) {
            size_t nl = strlen(de->d_name);
            if (nl < 6 || strcmp(de->d_name + nl - 5, ".json") != 0 || de->d_name[0] == '.')
                continue;
            if (nnames == HIST_MAX_FILES) { /* keep the newest names */
                qsort(names, nnames, sizeof *names, cmp_desc);
                if (strcmp(de->d_name, names[nnames - 1]) < 0) continue;
                nw_free(names[--nnames]);
            }
            names[nnames] = nw_strndup(de->d_name, nl);
            if (names[nnames]) nnames++;
        }
        closedir(d);
        if (names) qsort(names, nnames, sizeof *names, cmp_desc);
    }
    for (size_t i = 0; i < nnames; i++) {
        char *doc = NULL;
        size_t len = 0;
        struct nw_json_val v;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (read_all(path, &doc, &len) != 0) continue;
        if (nw_json_get(doc, len, "schema", &v) == 1 && nw_json_str_eq(&v, SCHEMA, strlen(SCHEMA))
            && nw_json_get(doc, len, "run.selection", &v) == 1 &&
            nw_json_str_eq(&v, sel.data ? sel.data : "", sel.len)) {
            struct nw_json_val idv;
            if (nw_json_get(doc, len, "run.id", &idv) == 1)
                nw_json_val_str(&idv, r->previous, sizeof r->previous);
            rc = compare(r, doc, len);
            nw_free(doc);
            if (rc == NW_ENOMEM) {
                nw_err_set(err, rc, "out of memory comparing with %s", path);
                goto out;
            }
            break;
        }
        nw_free(doc);
    }
    if (r->previous[0] == '\0')
        for (size_t i = 0; i < r->nresults; i++)
            if (r->results[i].verdict == NW_VERDICT_FAIL) r->results[i].cmp = NW_CMP_NEW;
    if (!save) goto out;
    if (mkdir_p(dir) != 0) {
        rc = nw_err_set(err, NW_EIO, "cannot create %s: %s; give a writable --data-dir", dir,
                        strerror(errno));
        goto out;
    }
    /* Ids carry microseconds; a clash (clock step) gets -002, -003, ... */
    for (int n = 1; n < 1000; n++) {
        int fd;
        char id[40];
        if (n == 1) snprintf(id, sizeof id, "%.24s", r->id);
        else snprintf(id, sizeof id, "%.24s-%03d", r->id, n);
        snprintf(path, sizeof path, "%s/%s.json", dir, id);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        if (fd < 0 && errno == EEXIST) continue;
        if (fd < 0) {
            rc = nw_err_set(err, NW_EIO, "cannot write %s: %s", path, strerror(errno));
            goto out;
        }
        snprintf(r->id, sizeof r->id, "%s", id);
        nw_inspect_results_json(r, &out);
        {
            size_t off = 0;
            while (nw_buf_ok(&out) && off < out.len) {
                ssize_t w = write(fd, out.data + off, out.len - off);
                if (w < 0 && errno == EINTR) continue;
                if (w <= 0) break;
                off += (size_t)w;
            }
            if (!nw_buf_ok(&out) || off < out.len || fsync(fd) != 0) {
                if (!nw_buf_ok(&out))
                    rc = nw_err_set(err, NW_ENOMEM, "out of memory writing %s", path);
                else
                    rc = nw_err_set(err, NW_EIO, "cannot write %s: %s", path, strerror(errno));
                close(fd);
                unlink(path);
                goto out;
            }
        }
        close(fd);
        break;
    }
out:
    for (size_t i = 0; i < nnames; i++) nw_free(names[i]);
    nw_free(names);
    nw_buf_fini(&sel);
    nw_buf_fini(&out);
    return rc;
}
