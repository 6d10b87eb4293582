/*
 * doc.c - compose the self-inspection report from the model, in one
 * language, as a list of blocks (headings, paragraphs, tables, charts) that
 * every format renders the same way. The seed structure of the report units
 * file (一、基本情况 … 五、意见和建议), then the audit system when a store
 * exists, then the appendices (checklist, assets).
 *
 * All text comes from strings.c; the generated paragraphs (risk analysis,
 * suggestions) are built here from counts, so they say only what the
 * evidence supports. Out of memory is sticky (d->oom) and checked once.
 */
#include "report_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nw/inspect.h"

#define MAXCOL 8

/* ------------------------------------------------------------ helpers -- */

static struct nw__rblock *blk(struct nw__rdoc *d, int type)
{
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 64;
        struct nw__rblock *b = nw_realloc(d->b, nc * sizeof *b);
        if (b == NULL) {
            d->oom = 1;
            return NULL;
        }
        d->b = b;
        d->cap = nc;
    }
    struct nw__rblock *b = &d->b[d->n++];
    memset(b, 0, sizeof *b);
    b->type = type;
    b->text = "";
    b->sub = "";
    return b;
}

static const char *S(struct nw__rdoc *d, int key) { return nw__rs(d->lang, key); }

/* Fill {0}..{9} in a template with the NULL-terminated string arguments. */
static const char *vtpl(struct nw__rdoc *d, const char *t, va_list ap)
{
    const char *args[10];
    size_t na = 0;
    struct nw_buf b;
    const char *a, *out;
    while (na < 10 && (a = va_arg(ap, const char *)) != NULL) args[na++] = a;
    nw_buf_init(&b, 0);
    for (const char *p = t; *p; p++) {
        if (p[0] == '{' && p[1] >= '0' && p[1] <= '9' && p[2] == '}') {
            size_t i = (size_t)(p[1] - '0');
            if (i < na) nw_buf_puts(&b, args[i]);
            p += 2;
            continue;
        }
        nw_buf_putc(&b, *p);
    }
    out = b.oom ? NULL : nw__rarena_strn(&d->ar, b.data ? b.data : "", b.len);
    nw_buf_fini(&b);
    if (out == NULL) d->oom = 1;
    return out ? out : "";
}

static const char *tpl(struct nw__rdoc *d, int key, ...)
{
    va_list ap;
    const char *s;
    va_start(ap, key);
    s = vtpl(d, S(d, key), ap);
    va_end(ap);
    return s;
}

static const char *num(struct nw__rdoc *d, uint64_t v)
{
    char t[24];
    snprintf(t, sizeof t, "%llu", (unsigned long long)v);
    const char *s = nw__rarena_str(&d->ar, t);
    if (s == NULL) d->oom = 1;
    return s ? s : "";
}

static const char *dup(struct nw__rdoc *d, const char *s)
{
    const char *r = nw__rarena_str(&d->ar, s);
    if (r == NULL) d->oom = 1;
    return r ? r : "";
}

static void para(struct nw__rdoc *d, int type, const char *text)
{
    struct nw__rblock *b = blk(d, type);
    if (b) b->text = text;
}

static struct nw__rblock *table(struct nw__rdoc *d, int type, size_t ncols, size_t nrows,
                                const float *widths)
{
    struct nw__rblock *b = blk(d, type);
    size_t ncells = (nrows + (type == RB_TABLE)) * ncols;
    if (b == NULL) return NULL;
    b->ncols = ncols;
    b->nrows = nrows;
    b->widths = widths;
    b->cells = nw__rarena_alloc(&d->ar, (ncells ? ncells : 1) * sizeof *b->cells);
    b->row_sev = nw__rarena_alloc(&d->ar, (nrows ? nrows : 1) * sizeof *b->row_sev);
    if (b->cells == NULL || b->row_sev == NULL) {
        d->oom = 1;
        d->n--;
        return NULL;
    }
    for (size_t i = 0; i < ncells; i++) b->cells[i] = "";
    for (size_t i = 0; i < nrows; i++) ((int *)b->row_sev)[i] = -1;
    b->chart = -1; /* for tables: the column coloured by row_sev */
    return b;
}

/* cell (r, c); r = 0 is the header row of an RB_TABLE, the first row of an RB_KV */
static void cell(struct nw__rblock *b, size_t r, size_t c, const char *s)
{
    if (b && c < b->ncols) b->cells[r * b->ncols + c] = s ? s : "";
}

static void header(struct nw__rdoc *d, struct nw__rblock *b, ...)
{
    va_list ap;
    va_start(ap, b);
    for (size_t c = 0; b && c < b->ncols; c++) cell(b, 0, c, S(d, va_arg(ap, int)));
    va_end(ap);
}

/* Join up to max strings with sep, "…" after. */
static const char *join(struct nw__rdoc *d, const char *const *v, size_t n, size_t max,
                        const char *sep)
{
    struct nw_buf b;
    const char *out;
    nw_buf_init(&b, 0);
    for (size_t i = 0; i < n && i < max; i++) {
        if (i) nw_buf_puts(&b, sep);
        nw_buf_puts(&b, v[i]);
    }
    if (n > max) nw_buf_puts(&b, d->lang == NW_LANG_EN ? ", …" : "等");
    out = b.oom ? NULL : nw__rarena_strn(&d->ar, b.data ? b.data : "", b.len);
    nw_buf_fini(&b);
    if (out == NULL) d->oom = 1;
    return out ? out : "";
}

void nw__rfmt_when(const char *s, char *out, size_t outsz)
{
    /* "2026-11-21T20:00:00.123+08:00" -> "2026-11-21 20:00" */
    if (s == NULL || strlen(s) < 16) {
        snprintf(out, outsz, "%s", s ? s : "");
        return;
    }
    snprintf(out, outsz, "%.10s %.5s", s, s + 11);
}

void nw__rfmt_day(uint64_t us, char *out, size_t outsz)
{
    time_t t = (time_t)(us / 1000000u);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(out, outsz, "?");
        return;
    }
    strftime(out, outsz, "%Y-%m-%d", &tm);
}

static const char *unit_val(struct nw__rdoc *d, const char *v, const char *key)
{
    return v && v[0] ? v : tpl(d, RS_NOT_SET, key, NULL);
}

static const char *zh_num(int i)
{
    static const char *const n[] = {"一", "二", "三", "四", "五", "六", "七", "八", "九", "十"};
    return i >= 0 && i < 10 ? n[i] : "十";
}

/* The asset a finding concerns, in words. */
static const char *target_text(struct nw__rdoc *d, const char *target)
{
    return target ? target : S(d, RS_LOCAL_TARGET);
}

static const char *problem_text(struct nw__rdoc *d, const struct nw_report_item *x)
{
    struct nw_buf b;
    const char *out;
    nw_buf_init(&b, 0);
    nw_buf_printf(&b, "%s\n%s · %s", x->title[d->lang], x->id,
                  nw__rs_cat(d->lang, x->category));
    if (x->status == NW_CMP_NEW || x->status == NW_CMP_STILL_OPEN)
        nw_buf_printf(&b, " · %s", S(d, x->status == NW_CMP_NEW ? RS_ST_NEW : RS_ST_STILL));
    out = b.oom ? NULL : nw__rarena_strn(&d->ar, b.data ? b.data : "", b.len);
    nw_buf_fini(&b);
    if (out == NULL) d->oom = 1;
    return out ? out : "";
}

/* Fail items of one severity / category / status, in results order. */
static size_t collect(const struct nw_report *m, const char **titles, size_t max, int lang,
                      int sev_min, const char *cat)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nitems; i++) {
        const struct nw_report_item *x = &m->items[i];
        int dup_title = 0;
        if (x->verdict != NW_VERDICT_FAIL || x->severity < sev_min) continue;
        if (cat && strcmp(x->category, cat) != 0) continue;
        for (size_t k = 0; k < n && k < max; k++) dup_title |= strcmp(titles[k], x->title[lang]) == 0;
        if (dup_title) continue; /* the same check on several targets: name it once */
        if (n < max) titles[n] = x->title[lang];
        n++;
    }
    return n;
}

static const struct nw_report_point *trend_point(const struct nw_report *m, const char *id)
{
    for (size_t i = 0; id && i < m->ntrend; i++)
        if (strcmp(m->trend[i].id, id) == 0) return &m->trend[i];
    return NULL;
}

/* ----------------------------------------------------------- sections -- */

static void sec_title(struct nw__rdoc *d)
{
    const struct nw_report *m = d->m;
    char day[16], sub[1024];
    struct nw__rblock *b = blk(d, RB_TITLE);
    nw__rfmt_day(m->generated_us, day, sizeof day);
    if (b == NULL) return;
    b->text = S(d, RS_TITLE);
    snprintf(sub, sizeof sub, "%s%s%s%s%s\n%s%s%s", m->unit_name, m->unit_name[0] ? "\n" : "",
             S(d, RS_REPORT_DATE), d->lang == NW_LANG_EN ? ": " : "：", day,
             S(d, RS_INSPECTION_ID), d->lang == NW_LANG_EN ? ": " : "：", m->run_id);
    b->sub = dup(d, sub);
}

static const char *scope_text(struct nw__rdoc *d)
{
    const struct nw_report *m = d->m;
    const char *parts[3];
    size_t n = 0;
    if (m->has_local || m->has_self)
        parts[n++] = strcmp(m->root, "/") == 0 || !m->root[0]
                         ? tpl(d, RS_SCOPE_LOCAL, m->host, NULL)
                         : tpl(d, RS_SCOPE_IMAGE, m->root, NULL);
    if (m->ntargets)
        parts[n++] = tpl(d, RS_SCOPE_TARGETS, num(d, m->ntargets),
                         join(d, m->targets, m->ntargets, 20, ", "), NULL);
    if (n == 0) return S(d, RS_SCOPE_NONE);
    return join(d, parts, n, n, d->lang == NW_LANG_EN ? "; " : "；");
}

static void sec_basic(struct nw__rdoc *d)
{
    const struct nw_report *m = d->m;
    const char *modes[4];
    size_t nm = 0, rows = 8 + (m->nrefused ? 1 : 0);
    char a[32], z[32], when[80];
    static const float w[] = {1.0f, 3.2f};
    struct nw__rblock *b;

    para(d, RB_H2, S(d, RS_H_BASIC));
    if (m->has_local) modes[nm++] = S(d, RS_MODE_LOCAL);
    if (m->has_self) modes[nm++] = S(d, RS_MODE_SELF);
    if (m->has_network) modes[nm++] = S(d, RS_MODE_NETWORK);
    if (m->has_web) modes[nm++] = S(d, RS_MODE_WEB);
    nw__rfmt_when(m->started, a, sizeof a);
    nw__rfmt_when(m->finished, z, sizeof z);
    if (strncmp(a, z, 10) == 0) snprintf(when, sizeof when, "%s – %s", a, z + 11);
    else snprintf(when, sizeof when, "%s – %s", a, z);
    b = table(d, RB_KV, 2, rows, w);
    if (b == NULL) return;
    cell(b, 0, 0, S(d, RS_UNIT_NAME));
    cell(b, 0, 1, unit_val(d, m->unit_name, "name"));
    cell(b, 1, 0, S(d, RS_UNIT_CODE));
    cell(b, 1, 1, unit_val(d, m->unit_code, "code"));
    cell(b, 2, 0, S(d, RS_UNIT_LEADER));
    cell(b, 2, 1, unit_val(d, m->unit_leader, "leader"));
    cell(b, 3, 0, S(d, RS_UNIT_CONTACT));
    cell(b, 3, 1, unit_val(d, m->unit_contact, "contact"));
    cell(b, 4, 0, S(d, RS_SCOPE));
    cell(b, 4, 1, scope_text(d));
    cell(b, 5, 0, S(d, RS_DATE));
    cell(b, 5, 1, dup(d, when));
    cell(b, 6, 0, S(d, RS_METHOD));
    cell(b, 6, 1, tpl(d, RS_METHOD_INTRO, m->version,
                      join(d, modes, nm, nm, d->lang == NW_LANG_EN ? ", " : "、"), NULL));
    cell(b, 7, 0, S(d, RS_BASIS));
    cell(b, 7, 1, S(d, RS_BASIS_TEXT));
    if (m->nrefused) {
        cell(b, 8, 0, S(d, RS_REFUSED));
        cell(b, 8, 1, join(d, m->refused, m->nrefused, 20, "\n"));
    }
}

static void sec_work(struct nw__rdoc *d)
{
    const struct nw_report *m = d->m;
    const size_t *ac = m->asset_count;
    static const float wk[] = {2.0f, 1.0f};
    static const float wc[] = {2.4f, 1.0f, 1.0f, 1.0f, 1.4f};
    struct nw__rblock *b;

    para(d, RB_H2, S(d, RS_H_WORK));
    para(d, RB_PARA, tpl(d, RS_WORK_ASSETS, num(d, m->nassets), num(d, ac[NW_ASSET_SERVER]),
                         num(d, ac[NW_ASSET_CLIENT]), num(d, ac[NW_ASSET_NETDEV]),
                         num(d, ac[NW_ASSET_WEBSITE]), NULL));
    para(d, RB_PARA, tpl(d, RS_WORK_CHECKS, nw__rs_profile(d->lang, m->profile), num(d, m->nitems),
                         num(d, m->counts[NW_VERDICT_PASS]), num(d, m->counts[NW_VERDICT_FAIL]),
                         num(d, m->counts[NW_VERDICT_SKIP]), num(d, m->counts[NW_VERDICT_ERROR]),
                         NULL));
    b = table(d, RB_TABLE, 2, NW_ASSET_NKINDS, wk);
    header(d, b, RS_COL_KIND, RS_COL_COUNT);
    for (int k = 0; b && k < NW_ASSET_NKINDS; k++) {
        cell(b, (size_t)k + 1, 0, nw__rs_asset(d->lang, k));
        cell(b, (size_t)k + 1, 1, num(d, ac[k]));
    }
    b = table(d, RB_TABLE, 5, m->ncats, wc);
    header(d, b, RS_COL_CATEGORY, RS_COL_CHECKS, RS_COL_PASS, RS_COL_FAIL, RS_COL_OTHER);
    for (size_t i = 0; b && i < m->ncats; i++) {
        const struct nw_report_cat *c = &m->cats[i];
        size_t pass = 0;
        for (size_t k = 0; k < m->nitems; k++)
            pass += strcmp(m->items[k].category, c->name) == 0 &&
                    m->items[k].verdict == NW_VERDICT_PASS;
        cell(b, i + 1, 0, nw__rs_cat(d->lang, c->name));
        cell(b, i + 1, 1, num(d, c->checks));
        cell(b, i + 1, 2, num(d, pass));
        cell(b, i + 1, 3, num(d, c->fail));
        cell(b, i + 1, 4, num(d, c->checks - pass - c->fail));
    }
    para(d, RB_PARA, S(d, RS_WORK_SEE_APPX));
}

static void sec_problems(struct nw__rdoc *d)
{
    const struct nw_report *m = d->m;
    const size_t *fs = m->fail_sev;
    static const float wf[] = {0.4f, 2.4f, 0.8f, 2.4f, 2.6f};
    size_t nfail = m->counts[NW_VERDICT_FAIL];
    int sub = 0, level;

    para(d, RB_H2, S(d, RS_H_PROBLEMS));
    if (nfail == 0) {
        para(d, RB_PARA, S(d, RS_PROB_NONE));
    } else {
        para(d, RB_PARA, tpl(d, RS_PROB_SUMMARY, num(d, nfail), num(d, fs[NW_SEV_CRITICAL]),
                             num(d, fs[NW_SEV_HIGH]), num(d, fs[NW_SEV_MEDIUM]),
                             num(d, fs[NW_SEV_LOW]), num(d, fs[NW_SEV_INFO]), NULL));
        struct nw__rblock *c = blk(d, RB_CHART);
        if (c) c->chart = CH_SEVERITY, c->text = S(d, RS_CHART_SEV);
        c = blk(d, RB_CHART);
        if (c) c->chart = CH_CATEGORY, c->text = S(d, RS_CHART_CAT);
    }
    for (int s = NW_SEV_CRITICAL; s >= NW_SEV_INFO; s--) {
        struct nw__rblock *b;
        size_t r = 0;
        char idx[16];
        if (fs[s] == 0) continue;
        if (d->lang == NW_LANG_EN) snprintf(idx, sizeof idx, "3.%d", sub + 1);
        else snprintf(idx, sizeof idx, "%s", zh_num(sub));
        sub++;
        para(d, RB_H3, tpl(d, RS_H_FINDINGS_SEV, dup(d, idx), nw__rs_sev(d->lang, s),
                           num(d, fs[s]), NULL));
        b = table(d, RB_TABLE, 5, fs[s], wf);
        header(d, b, RS_COL_NO, RS_COL_PROBLEM, RS_COL_TARGET, RS_COL_EVIDENCE, RS_COL_REMED);
        if (b) b->chart = 0; /* colour the number column */
        for (size_t i = 0; b && i < m->nitems && r < fs[s]; i++) {
            const struct nw_report_item *x = &m->items[i];
            if (x->verdict != NW_VERDICT_FAIL || x->severity != s) continue;
            r++;
            cell(b, r, 0, num(d, r));
            cell(b, r, 1, problem_text(d, x));
            cell(b, r, 2, target_text(d, x->target));
            cell(b, r, 3, x->evidence[0] ? x->evidence : "-");
            cell(b, r, 4, x->remed[d->lang]);
            ((int *)b->row_sev)[r - 1] = s;
        }
    }
    /* risk analysis */
    if (d->lang == NW_LANG_EN) {
        char h[64];
        snprintf(h, sizeof h, "3.%d %s", sub + 1, S(d, RS_H_RISK));
        para(d, RB_H3, dup(d, h));
    } else {
        char h[64];
        snprintf(h, sizeof h, "（%s）%s", zh_num(sub), S(d, RS_H_RISK));
        para(d, RB_H3, dup(d, h));
    }
    if (nfail == 0) level = RS_RISK_NONE;
    else if (fs[NW_SEV_CRITICAL] > 0 || fs[NW_SEV_HIGH] >= 3) level = RS_RISK_HIGH;
    else if (fs[NW_SEV_HIGH] > 0 || fs[NW_SEV_MEDIUM] >= 3) level = RS_RISK_MED;
    else level = RS_RISK_LOW;
    para(d, RB_PARA, tpl(d, RS_RISK_LEVEL, S(d, level), NULL));
    for (size_t i = 0; i < m->ncats && i < 6; i++) {
        const struct nw_report_cat *c = &m->cats[i];
        if (c->fail == 0) break;
        para(d, RB_PARA, tpl(d, RS_RISK_CAT, nw__rs_cat(d->lang, c->name), num(d, c->fail),
                             num(d, c->fail_sev[NW_SEV_CRITICAL] + c->fail_sev[NW_SEV_HIGH]),
                             nw__rs_cat_risk(d->lang, c->name), NULL));
    }
    if (m->counts[NW_VERDICT_ERROR])
        para(d, RB_PARA, tpl(d, RS_RISK_ERRORS, num(d, m->counts[NW_VERDICT_ERROR]), NULL));
    if (m->prev_id && nfail)
        para(d, RB_PARA, tpl(d, RS_RISK_NEWOLD, num(d, m->n_new), num(d, m->n_still), NULL));
}

static void status_table(struct nw__rdoc *d, int status)
{
    const struct nw_report *m = d->m;
    static const float w[] = {0.45f, 4.0f, 0.9f, 1.6f};
    size_t n = status == NW_CMP_NEW ? m->n_new : m->n_still, r = 0;
    struct nw__rblock *b = table(d, RB_TABLE, 4, n, w);
    header(d, b, RS_COL_NO, RS_COL_PROBLEM, RS_COL_SEVERITY, RS_COL_TARGET);
    if (b) b->chart = 2;
    for (int s = NW_SEV_CRITICAL; b && s >= NW_SEV_INFO; s--)
        for (size_t i = 0; i < m->nitems && r < n; i++) {
            const struct nw_report_item *x = &m->items[i];
            int st = x->status == NW_CMP_STILL_OPEN ? NW_CMP_STILL_OPEN : NW_CMP_NEW;
            if (x->verdict != NW_VERDICT_FAIL || x->severity != s || st != status) continue;
            r++;
            cell(b, r, 0, num(d, r));
            cell(b, r, 1, x->title[d->lang]);
            cell(b, r, 2, nw__rs_sev(d->lang, s));
            cell(b, r, 3, target_text(d, x->target));
            ((int *)b->row_sev)[r - 1] = s;
        }
    if (b) b->nrows = r;
}

static void sec_rectify(struct nw__rdoc *d)
{
    const struct nw_report *m = d->m;
    size_t nfail = m->counts[NW_VERDICT_FAIL];

    para(d, RB_H2, S(d, RS_H_RECTIFY));
    if (m->prev_id == NULL) {
        para(d, RB_PARA, tpl(d, RS_RECT_FIRST, num(d, nfail), NULL));
    } else {
        const struct nw_report_point *p = trend_point(m, m->prev_id);
        char when[32] = "";
        static const float w[] = {0.45f, 4.0f, 0.9f, 1.6f};
        if (p) nw__rfmt_day(p->started_us, when, sizeof when);
        para(d, RB_PARA, tpl(d, RS_RECT_CMP, m->prev_id, dup(d, when), num(d, m->n_fixed),
                             num(d, m->n_new), num(d, m->n_still), NULL));
        if (p)
            para(d, RB_PARA, tpl(d, p->fail > nfail ? RS_RECT_EFFECT_GOOD : RS_RECT_EFFECT_BAD,
                                 num(d, p->fail), num(d, nfail), NULL));
        para(d, RB_H3, S(d, RS_H_FIXED));
        if (m->n_fixed == 0) {
            para(d, RB_PARA, S(d, RS_RECT_NOFIXED));
        } else {
            struct nw__rblock *b = table(d, RB_TABLE, 4, m->n_fixed, w);
            header(d, b, RS_COL_NO, RS_COL_PROBLEM, RS_COL_SEVERITY, RS_COL_TARGET);
            if (b) b->chart = 2;
            for (size_t i = 0; b && i < m->n_fixed; i++) {
                const struct nw_report_fixed *f = &m->fixed[i];
                cell(b, i + 1, 0, num(d, i + 1));
                cell(b, i + 1, 1, f->title[d->lang]);
                cell(b, i + 1, 2, nw__rs_sev(d->lang, f->severity));
                cell(b, i + 1, 3, target_text(d, f->target));
                ((int *)b->row_sev)[i] = f->severity;
            }
        }
        if (m->n_new) {
            para(d, RB_H3, S(d, RS_H_NEW));
            status_table(d, NW_CMP_NEW);
        }
        if (m->n_still) {
            para(d, RB_H3, S(d, RS_H_STILL));
            status_table(d, NW_CMP_STILL_OPEN);
        }
    }
    if (m->ntrend >= 2) {
        static const float w[] = {0.45f, 2.6f, 1.4f, 1.0f, 1.0f};
        struct nw__rblock *c, *b;
        para(d, RB_H3, S(d, RS_H_TREND));
        c = blk(d, RB_CHART);
        if (c) c->chart = CH_TREND, c->text = S(d, RS_CHART_TREND);
        b = table(d, RB_TABLE, 5, m->ntrend, w);
        header(d, b, RS_COL_NO, RS_COL_INSPECTION, RS_COL_DATE, RS_COL_FAIL, RS_SEV_HIGH);
        if (b) cell(b, 0, 4, d->lang == NW_LANG_EN ? "Critical + high" : "严重+高危");
        for (size_t i = 0; b && i < m->ntrend; i++) {
            const struct nw_report_point *p = &m->trend[i];
            char day[16];
            nw__rfmt_day(p->started_us, day, sizeof day);
            cell(b, i + 1, 0, num(d, i + 1));
            cell(b, i + 1, 1, p->id);
            cell(b, i + 1, 2, dup(d, day));
            cell(b, i + 1, 3, num(d, p->fail));
            cell(b, i + 1, 4, num(d, p->fail_sev[NW_SEV_CRITICAL] + p->fail_sev[NW_SEV_HIGH]));
        }
        para(d, RB_NOTE, tpl(d, RS_TREND_NOTE, num(d, m->ntrend), NULL));
    }
}

static void sec_suggest(struct nw__rdoc *d)
{
    const struct nw_report *m = d->m;
    const char *items[24], *titles[8];
    const char *sep = S(d, RS_SUG_INVOLVES);
    size_t n = 0, nt;
    struct nw__rblock *b;

    para(d, RB_H2, S(d, RS_H_SUGGEST));
    if (m->counts[NW_VERDICT_FAIL] == 0) items[n++] = S(d, RS_SUG_NONE);
    nt = collect(m, titles, 6, d->lang, NW_SEV_HIGH, NULL);
    if (nt) {
        size_t ch = m->fail_sev[NW_SEV_CRITICAL] + m->fail_sev[NW_SEV_HIGH];
        items[n++] = tpl(d, RS_SUG_URGENT, num(d, ch), join(d, titles, nt, 6, sep), NULL);
    }
    for (size_t i = 0; i < m->ncats && n < 20; i++) {
        const struct nw_report_cat *c = &m->cats[i];
        if (c->fail == 0) break;
        nt = collect(m, titles, 4, d->lang, NW_SEV_INFO, c->name);
        items[n++] = tpl(d, RS_SUG_CAT, nw__rs_cat(d->lang, c->name),
                         nw__rs_cat_advice(d->lang, c->name), num(d, c->fail),
                         join(d, titles, nt, 4, sep), NULL);
    }
    if (m->counts[NW_VERDICT_ERROR])
        items[n++] = tpl(d, RS_SUG_ERRORS, num(d, m->counts[NW_VERDICT_ERROR]), NULL);
    if (!m->store.present || m->store.oldest_days < 180) items[n++] = S(d, RS_SUG_STORE);
    items[n++] = S(d, RS_SUG_REGULAR);
    b = table(d, RB_BULLETS, 1, n, NULL);
    for (size_t i = 0; b && i < n; i++) cell(b, i, 0, items[i]);
}

static void sec_auditsys(struct nw__rdoc *d)
{
    const struct nw_report_store *s = &d->m->store;
    static const float w[] = {1.6f, 3.0f};
    struct nw__rblock *b;
    char day[16];
    const char *v;
    size_t r = 0;

    if (!s->present) return;
    para(d, RB_H2, S(d, RS_H_AUDITSYS));
    para(d, RB_PARA, S(d, RS_AS_INTRO));
    b = table(d, RB_KV, 2, 8 + (s->chain_head[0] ? 1 : 0), w);
    if (b == NULL) return;
    if (s->verify_rc == 0) {
        v = S(d, RS_AS_INTACT);
        if (s->signed_checked) v = join(d, (const char *[]){v, S(d, RS_AS_SIGNED)}, 2, 2, "");
    } else if (s->verify_rc == 1) {
        v = tpl(d, RS_AS_FAILED, s->verify_msg, NULL);
    } else {
        v = tpl(d, RS_AS_COULDNOT, s->verify_msg, NULL);
    }
    cell(b, r, 0, S(d, RS_AS_DIR)), cell(b, r++, 1, s->dir);
    cell(b, r, 0, S(d, RS_AS_VERIFY)), cell(b, r++, 1, v);
    cell(b, r, 0, S(d, RS_AS_RECORDS));
    cell(b, r++, 1, s->records_known ? tpl(d, RS_AS_RECORDS_SEALED, num(d, s->records), NULL) : "-");
    nw__rfmt_day(s->oldest_us, day, sizeof day);
    cell(b, r, 0, S(d, RS_AS_OLDEST));
    cell(b, r++, 1, s->oldest_us ? tpl(d, RS_AS_OLDEST_VAL, dup(d, day), num(d, s->oldest_days), NULL)
                                 : S(d, RS_AS_NONE));
    cell(b, r, 0, S(d, RS_AS_60));
    cell(b, r++, 1, s->oldest_us && s->oldest_days >= 60
                        ? S(d, RS_AS_MET) : tpl(d, RS_AS_NOTMET, num(d, s->oldest_days), NULL));
    cell(b, r, 0, S(d, RS_AS_180));
    cell(b, r++, 1, s->oldest_us && s->oldest_days >= 180
                        ? S(d, RS_AS_MET) : tpl(d, RS_AS_NOTMET, num(d, s->oldest_days), NULL));
    cell(b, r, 0, S(d, RS_AS_RETENTION));
    cell(b, r++, 1, tpl(d, RS_AS_DAYS, num(d, s->retention_days), NULL));
    cell(b, r, 0, S(d, RS_AS_PARTITIONS)), cell(b, r++, 1, num(d, s->partitions));
    if (s->chain_head[0]) cell(b, r, 0, S(d, RS_AS_HEAD)), cell(b, r++, 1, s->chain_head);
    b->nrows = r;
    /* row_sev marks the retention rows that are not met */
    ((int *)b->row_sev)[4] = s->oldest_days >= 60 && s->oldest_us ? -1 : NW_SEV_HIGH;
    ((int *)b->row_sev)[5] = s->oldest_days >= 180 && s->oldest_us ? -1 : NW_SEV_MEDIUM;
    ((int *)b->row_sev)[1] = s->verify_rc == 0 ? -1 : NW_SEV_CRITICAL;
    b->chart = 1;
}

static void sec_appendix(struct nw__rdoc *d)
{
    const struct nw_report *m = d->m;
    static const float wc[] = {0.5f, 2.5f, 0.55f, 1.25f, 2.4f, 0.7f};
    static const float wa[] = {0.45f, 1.0f, 1.8f, 1.2f, 2.4f, 0.7f};
    struct nw__rblock *b;

    blk(d, RB_PAGEBREAK);
    para(d, RB_H2, S(d, RS_H_APP_CHECKS));
    para(d, RB_PARA, S(d, RS_APPX_CHECKS_INTRO));
    b = table(d, RB_TABLE, 6, m->nitems, wc);
    header(d, b, RS_COL_NO, RS_COL_CHECK, RS_COL_SEVERITY, RS_COL_MLPS, RS_COL_LAWS,
           RS_COL_VERDICT);
    if (b) b->chart = 5;
    for (size_t i = 0; b && i < m->nitems; i++) {
        const struct nw_report_item *x = &m->items[i];
        struct nw_buf t;
        nw_buf_init(&t, 0);
        nw_buf_printf(&t, "%s\n%s", x->title[d->lang], x->id);
        if (x->target) nw_buf_printf(&t, " @ %s", x->target);
        cell(b, i + 1, 1, t.oom ? "" : dup(d, t.data ? t.data : ""));
        nw_buf_reset(&t);
        if (x->order82[0]) nw_buf_printf(&t, "%s: %s", S(d, RS_LAW_ORDER82), x->order82);
        if (x->csl[0]) nw_buf_printf(&t, "%s%s: %s", t.len ? "\n" : "", S(d, RS_LAW_CSL), x->csl);
        cell(b, i + 1, 4, t.oom ? "" : dup(d, t.data ? t.data : ""));
        nw_buf_fini(&t);
        cell(b, i + 1, 0, num(d, i + 1));
        cell(b, i + 1, 2, nw__rs_sev(d->lang, x->severity));
        cell(b, i + 1, 3, x->mlps2);
        cell(b, i + 1, 5, nw__rs_verdict(d->lang, x->verdict));
        ((int *)b->row_sev)[i] = x->verdict == NW_VERDICT_FAIL ? x->severity : -1;
    }
    para(d, RB_H2, S(d, RS_H_APP_ASSETS));
    para(d, RB_PARA, S(d, RS_APPX_ASSETS_INTRO));
    b = table(d, RB_TABLE, 6, m->nassets, wa);
    header(d, b, RS_COL_NO, RS_COL_KIND, RS_COL_NAME, RS_COL_ADDRESS, RS_COL_DETAIL,
           RS_COL_FINDINGS);
    for (size_t i = 0; b && i < m->nassets; i++) {
        const struct nw_report_asset *a = &m->assets[i];
        const char *detail = "";
        if (a->root) {
            detail = strcmp(a->root, "/") == 0
                         ? join(d, (const char *[]){S(d, RS_THIS_HOST), " (", S(d, RS_MODE_LOCAL),
                                                    ")"}, 4, 4, "")
                         : join(d, (const char *[]){S(d, RS_IMAGE), " ", a->root}, 3, 3, "");
        } else if (a->error) {
            detail = tpl(d, RS_NOT_SCANNED, a->error, NULL);
        } else if (a->ports) {
            detail = a->ports[0] ? tpl(d, RS_PORTS, a->ports, NULL) : S(d, RS_NO_OPEN_PORTS);
        }
        cell(b, i + 1, 0, num(d, i + 1));
        cell(b, i + 1, 1, nw__rs_asset(d->lang, a->kind));
        cell(b, i + 1, 2, a->name);
        cell(b, i + 1, 3, a->address[0] ? a->address : "-");
        cell(b, i + 1, 4, detail);
        cell(b, i + 1, 5, num(d, a->findings));
    }
}

int nw__rdoc_build(struct nw__rdoc *d, const struct nw_report *m, int lang)
{
    memset(d, 0, sizeof *d);
    d->m = m;
    d->lang = lang == NW_LANG_EN ? NW_LANG_EN : NW_LANG_ZH;
    sec_title(d);
    sec_basic(d);
    sec_work(d);
    sec_problems(d);
    sec_rectify(d);
    sec_suggest(d);
    sec_auditsys(d);
    sec_appendix(d);
    para(d, RB_NOTE, tpl(d, RS_GENERATED_BY, m->version[0] ? m->version : NW_VERSION, m->run_id,
                         NULL));
    if (d->oom || d->ar.oom) {
        nw__rdoc_free(d);
        return NW_ENOMEM;
    }
    return 0;
}

void nw__rdoc_free(struct nw__rdoc *d)
{
    nw_free(d->b);
    nw__rarena_free(&d->ar);
    d->b = NULL;
    d->n = d->cap = 0;
}
