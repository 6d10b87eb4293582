/*
 * check_load.c - reads check files and profile files (YAML, libyaml's
 * document API) into a check set, validating everything a run relies on:
 * known keys only, zh and en texts, severity and mode names, a registered
 * probe of the same mode, its required parameters present and no unknown
 * ones, a pass condition that compiles, well-formed references.
 *
 * Every problem is one line "FILE:LINE: what; what to do" (HAProxy style)
 * and rejects that file only. Input is hostile-safe: files over 64 KiB are
 * refused, the YAML tree is walked to a fixed depth (aliases resolve to
 * shared nodes, so a cycle or an alias bomb is never expanded), every list
 * is capped. Workload: ~100 small files at start-up.
 */
#include "nw/inspect.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#define MAX_FILE_BYTES (64 * 1024)
#define MAX_LIST 64
#define MAX_PARAMS 32
#define MAX_STR 4096
#define MAX_FILES 2048

/* ----------------------------------------------------------------- arena -- */

struct chunk {
    struct chunk *next;
    size_t used, cap;
    char data[];
};

static void *arena_alloc(struct nw_checkset *cs, size_t n)
{
    struct chunk *c = cs->arena;

    n = (n + 7) & ~(size_t)7;
    if (c == NULL || c->cap - c->used < n) {
        size_t cap = n > 16384 ? n : 16384;
        struct chunk *nc = nw_alloc(sizeof *nc + cap);
        if (nc == NULL) return NULL;
        nc->next = c;
        nc->used = 0;
        nc->cap = cap;
        cs->arena = c = nc;
    }
    c->used += n;
    memset(c->data + c->used - n, 0, n);
    return c->data + c->used - n;
}

static char *arena_strdup(struct nw_checkset *cs, const char *s, size_t n)
{
    char *d = arena_alloc(cs, n + 1);
    if (d == NULL) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void nw_checkset_free(struct nw_checkset *cs)
{
    struct chunk *c;

    if (cs == NULL) return;
    for (size_t i = 0; i < cs->n; i++) {
        nw_cond_free(cs->checks[i].cond);
        nw_cond_free(cs->checks[i].skip_cond);
    }
    nw_free(cs->checks);
    nw_free(cs->profiles);
    c = cs->arena;
    while (c) {
        struct chunk *next = c->next;
        nw_free(c);
        c = next;
    }
    memset(cs, 0, sizeof *cs);
}

/* ------------------------------------------------------------ yaml walk -- */

struct ld {
    struct nw_checkset *cs;
    yaml_document_t *doc;
    const char *name;
    struct nw_err *err;
};

static int line_of(const yaml_node_t *n) { return n ? (int)n->start_mark.line + 1 : 0; }

static int fail(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return nw_err_set(l->err, NW_EFORMAT, "%s:%d: %s", l->name, line_of(n), msg);
}

static yaml_node_t *node(struct ld *l, int id) { return yaml_document_get_node(l->doc, id); }

static const char *scalar(const yaml_node_t *n, size_t *len)
{
    if (n == NULL || n->type != YAML_SCALAR_NODE) return NULL;
    if (len) *len = n->data.scalar.length;
    return (const char *)n->data.scalar.value;
}

/* A scalar as an arena string. Refuses NUL bytes and over-long text. */
static int get_str(struct ld *l, yaml_node_t *n, const char *what, const char **out)
{
    size_t len;
    const char *s = scalar(n, &len);

    if (s == NULL) return fail(l, n, "%s must be text", what);
    if (len > MAX_STR || memchr(s, '\0', len)) return fail(l, n, "%s is too long or holds a NUL "
                                                           "byte", what);
    *out = arena_strdup(l->cs, s, len);
    return *out ? 0 : nw_err_set(l->err, NW_ENOMEM, "out of memory");
}

/* A sequence of scalars as a NULL-terminated arena array. */
static int get_list(struct ld *l, yaml_node_t *n, const char *what, const char *const **out,
                    size_t *count)
{
    const char **arr;
    size_t k = 0, cnt;
    int rc;

    if (n == NULL || n->type != YAML_SEQUENCE_NODE)
        return fail(l, n, "%s must be a list, e.g. [a, b]", what);
    cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (cnt > MAX_LIST) return fail(l, n, "%s has more than %d items", what, MAX_LIST);
    arr = arena_alloc(l->cs, (cnt + 1) * sizeof *arr);
    if (arr == NULL) return nw_err_set(l->err, NW_ENOMEM, "out of memory");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *e = node(l, *it);
        if ((rc = get_str(l, e, what, &arr[k])) != 0) return rc;
        k++;
    }
    arr[k] = NULL;
    *out = arr;
    if (count) *count = k;
    return 0;
}

/* {zh: ..., en: ...}: both required, nothing else. */
static int get_text2(struct ld *l, yaml_node_t *n, const char *what, const char **zh,
                     const char **en)
{
    int rc;

    *zh = *en = NULL;
    if (n == NULL || n->type != YAML_MAPPING_NODE)
        return fail(l, n, "%s must be {zh: \"...\", en: \"...\"}", what);
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(l, p->key), *v = node(l, p->value);
        const char *ks = scalar(k, NULL);
        const char **slot = ks == NULL ? NULL : strcmp(ks, "zh") == 0 ? zh
                                            : strcmp(ks, "en") == 0 ? en : NULL;
        if (slot == NULL) return fail(l, k, "%s: unknown language '%s'; use zh and en", what,
                                      ks ? ks : "?");
        if (*slot) return fail(l, k, "%s: '%s' given twice", what, ks);
        if ((rc = get_str(l, v, what, slot)) != 0) return rc;
        if (**slot == '\0') return fail(l, v, "%s.%s is empty", what, ks);
    }
    if (*zh == NULL) return fail(l, n, "%s has no zh text; add zh: \"...\"", what);
    if (*en == NULL) return fail(l, n, "%s has no en text; add en: \"...\"", what);
    return 0;
}

static int valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n > 64) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return s[0] >= 'A' && s[0] <= 'Z';
}

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

static int valid_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return 0;
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* Name in a probe's parameter list ("x" or optional "x?")? Returns 1 required, 2 optional. */
static int probe_param_kind(const struct nw_probe *pr, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; pr->params && pr->params[i]; i++) {
        const char *p = pr->params[i];
        size_t pl = strlen(p);
        int opt = pl > 0 && p[pl - 1] == '?';
        if (pl - (size_t)opt == n && memcmp(p, name, n) == 0) return opt ? 2 : 1;
    }
    return 0;
}

static void list_params(const struct nw_probe *pr, char *out, size_t outsz)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; pr->params && pr->params[i] && o + 2 < outsz; i++) {
        int n = snprintf(out + o, outsz - o, "%s%s", i ? ", " : "", pr->params[i]);
        if (n < 0) break;
        o += (size_t)n;
    }
    if (o == 0) snprintf(out, outsz, "none");
}

static int get_params(struct ld *l, yaml_node_t *n, const struct nw_probe *pr,
                      struct nw_check *c)
{
    struct nw_param *ps;
    size_t k = 0, cnt;
    char names[300];
    int rc;

    list_params(pr, names, sizeof names);
    if (n->type != YAML_MAPPING_NODE) return fail(l, n, "params must be a mapping {name: value}");
    cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    if (cnt > MAX_PARAMS) return fail(l, n, "more than %d params", MAX_PARAMS);
    ps = arena_alloc(l->cs, (cnt + 1) * sizeof *ps);
    if (ps == NULL) return nw_err_set(l->err, NW_ENOMEM, "out of memory");
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = node(l, p->key), *vn = node(l, p->value);
        const char *ks = scalar(kn, NULL);
        if (ks == NULL) return fail(l, kn, "a parameter name must be text");
        if (!probe_param_kind(pr, ks))
            return fail(l, kn, "probe '%s' has no parameter '%s'; it takes: %s", pr->name, ks,
                        names);
        for (size_t j = 0; j < k; j++)
            if (strcmp(ps[j].name, ks) == 0) return fail(l, kn, "parameter '%s' given twice", ks);
        if ((rc = get_str(l, kn, "parameter name", &ps[k].name)) != 0) return rc;
        ps[k].line = line_of(kn);
        if (vn && vn->type == YAML_SEQUENCE_NODE) {
            if ((rc = get_list(l, vn, ks, &ps[k].list, &ps[k].nlist)) != 0) return rc;
            if (ps[k].nlist == 0) /* every probe reads list[0] as "the" value */
                return fail(l, vn, "parameter '%s' is an empty list; give at least one item", ks);
        } else if ((rc = get_str(l, vn, ks, &ps[k].value)) != 0) {
            return rc;
        }
        k++;
    }
    c->params = ps;
    c->nparams = k;
    return 0;
}

static int check_required_params(struct ld *l, yaml_node_t *at, const struct nw_probe *pr,
                                 const struct nw_check *c)
{
    for (size_t i = 0; pr->params && pr->params[i]; i++) {
        const char *p = pr->params[i];
        size_t pl = strlen(p), j;
        if (pl > 0 && p[pl - 1] == '?') continue;
        for (j = 0; j < c->nparams; j++)
            if (strcmp(c->params[j].name, p) == 0) break;
        if (j == c->nparams)
            return fail(l, at, "probe '%s' needs parameter '%s'; add it under params", pr->name,
                        p);
    }
    return 0;
}

static int get_refs(struct ld *l, yaml_node_t *n, struct nw_check *c)
{
    int rc;

    if (n->type != YAML_MAPPING_NODE)
        return fail(l, n, "references must be a mapping with mlps2, order82 and csl");
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = node(l, p->key), *vn = node(l, p->value);
        const char *ks = scalar(kn, NULL);
        if (ks && strcmp(ks, "mlps2") == 0) {
            if (c->mlps2) return fail(l, kn, "references.mlps2 given twice");
            if ((rc = get_list(l, vn, "references.mlps2", &c->mlps2, NULL)) != 0) return rc;
        } else if (ks && strcmp(ks, "order82") == 0) {
            if (c->order82) return fail(l, kn, "references.order82 given twice");
            if ((rc = get_list(l, vn, "references.order82", &c->order82, NULL)) != 0) return rc;
        } else if (ks && strcmp(ks, "csl") == 0) {
            struct nw_law_ref *refs;
            size_t cnt, k = 0;
            if (c->csl) return fail(l, kn, "references.csl given twice");
            if (vn == NULL || vn->type != YAML_SEQUENCE_NODE)
                return fail(l, vn, "references.csl must be a list of {article, effective}");
            cnt = (size_t)(vn->data.sequence.items.top - vn->data.sequence.items.start);
            if (cnt > MAX_LIST) return fail(l, vn, "references.csl is too long");
            refs = arena_alloc(l->cs, (cnt + 1) * sizeof *refs);
            if (refs == NULL) return nw_err_set(l->err, NW_ENOMEM, "out of memory");
            for (yaml_node_item_t *it = vn->data.sequence.items.start;
                 it < vn->data.sequence.items.top; it++) {
                yaml_node_t *e = node(l, *it);
                if (e == NULL || e->type != YAML_MAPPING_NODE)
                    return fail(l, e, "a csl reference must be {article: \"art. 21\", effective: "
                                "\"2017-06-01\"}");
                for (yaml_node_pair_t *q = e->data.mapping.pairs.start;
                     q < e->data.mapping.pairs.top; q++) {
                    yaml_node_t *qk = node(l, q->key), *qv = node(l, q->value);
                    const char *qs = scalar(qk, NULL);
                    if (qs && strcmp(qs, "article") == 0 && refs[k].article == NULL) {
                        if ((rc = get_str(l, qv, "article", &refs[k].article)) != 0) return rc;
                    } else if (qs && strcmp(qs, "effective") == 0 && refs[k].effective == NULL) {
                        if ((rc = get_str(l, qv, "effective", &refs[k].effective)) != 0)
                            return rc;
                        if (!valid_date(refs[k].effective))
                            return fail(l, qv, "effective date '%s' is not YYYY-MM-DD",
                                        refs[k].effective);
                    } else {
                        return fail(l, qk, "unknown or repeated key '%s' in a csl reference; "
                                    "use article and effective", qs ? qs : "?");
                    }
                }
                if (refs[k].article == NULL || refs[k].effective == NULL)
                    return fail(l, e, "a csl reference needs both article and effective");
                k++;
            }
            c->csl = refs;
            c->ncsl = k;
        } else {
            return fail(l, kn, "unknown reference '%s'; use mlps2, order82 or csl",
                        ks ? ks : "?");
        }
    }
    return 0;
}

static const char *const check_keys[] = {"id", "title", "severity", "category", "mode", "probe",
                                         "params", "pass", "remediation", "references",
                                         "profiles", "tags", "description", "skip_if",
                                         NULL};

static int load_check(struct ld *l, yaml_node_t *root, struct nw_check *c)
{
    yaml_node_t *seen[16] = {0}, *params = NULL;
    struct nw_err ce;
    const char *tmp;
    int rc;

    if (root->type != YAML_MAPPING_NODE)
        return fail(l, root, "a check file is a mapping (id:, title:, ...); see docs/inspect.md");
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn = node(l, p->key), *vn = node(l, p->value);
        const char *ks = scalar(kn, NULL);
        int ki = -1;
        for (int i = 0; ks && check_keys[i]; i++)
            if (strcmp(ks, check_keys[i]) == 0) ki = i;
        if (ki < 0)
            return fail(l, kn, "unknown key '%s'; a check has id, title, severity, category, "
                        "mode, probe, params, pass, skip_if, remediation, references, profiles, "
                        "tags, description", ks ? ks : "?");
        if (seen[ki]) return fail(l, kn, "key '%s' given twice (first on line %d)", ks,
                                  line_of(seen[ki]));
        if (vn == NULL) return fail(l, kn, "key '%s' has no value", ks);
        seen[ki] = kn;
        switch (ki) {
        case 0:
            if ((rc = get_str(l, vn, "id", &c->id)) != 0) return rc;
            if (!valid_id(c->id))
                return fail(l, vn, "id '%s' must be 3-64 upper-case letters, digits and '-', "
                            "e.g. NW-LOCAL-SSH-ROOT-LOGIN", c->id);
            break;
        case 1:
            if ((rc = get_text2(l, vn, "title", &c->title_zh, &c->title_en)) != 0) return rc;
            break;
        case 2:
            if ((rc = get_str(l, vn, "severity", &tmp)) != 0) return rc;
            if ((c->severity = nw_severity_parse(tmp)) < 0)
                return fail(l, vn, "unknown severity '%s'; use critical, high, medium, low or "
                            "info", tmp);
            break;
        case 3:
            if ((rc = get_str(l, vn, "category", &c->category)) != 0) return rc;
            if (!valid_name(c->category))
                return fail(l, vn, "category '%s' must be lower-case letters, digits and '-'",
                            c->category);
            break;
        case 4:
            if ((rc = get_str(l, vn, "mode", &tmp)) != 0) return rc;
            if ((c->mode = nw_chk_mode_parse(tmp)) < 0)
                return fail(l, vn, "unknown mode '%s'; use local, network or audit-self", tmp);
            break;
        case 5:
            if ((rc = get_str(l, vn, "probe", &tmp)) != 0) return rc;
            if ((c->probe = nw_inspect_probe_find(tmp)) == NULL)
                return fail(l, vn, "unknown probe '%s'; 'netwarden inspect --list-probes' names "
                            "them", tmp);
            break;
        case 6: params = vn; break;
        case 7:
            if ((rc = get_str(l, vn, "pass", &c->pass)) != 0) return rc;
            break;
        case 8:
            if ((rc = get_text2(l, vn, "remediation", &c->remed_zh, &c->remed_en)) != 0)
                return rc;
            break;
        case 9:
            if ((rc = get_refs(l, vn, c)) != 0) return rc;
            break;
        case 10:
        case 11: {
            const char *const *lst;
            if ((rc = get_list(l, vn, ks, &lst, NULL)) != 0) return rc;
            for (size_t i = 0; lst[i]; i++)
                if (!valid_name(lst[i]))
                    return fail(l, vn, "%s: '%s' must be lower-case letters, digits and '-'", ks,
                                lst[i]);
            if (ki == 10) c->profiles = lst;
            break;
        }
        case 13:
            if ((rc = get_str(l, vn, "skip_if", &c->skip_if)) != 0) return rc;
            if (nw_cond_compile(c->skip_if, &c->skip_cond, &ce) != 0)
                return fail(l, vn, "skip_if: %s", ce.msg);
            break;
        case 12:
            if (vn->type == YAML_MAPPING_NODE) {
                const char *a, *b;
                if ((rc = get_text2(l, vn, "description", &a, &b)) != 0) return rc;
            } else if ((rc = get_str(l, vn, "description", &tmp)) != 0)
                return rc;
            break;
        }
    }
    {
        static const int required[] = {0, 1, 2, 3, 4, 5, 7, 8, 9};
        for (size_t i = 0; i < NW_ARRAY_LEN(required); i++)
            if (!seen[required[i]])
                return fail(l, root, "check has no '%s'; see docs/inspect.md for the schema",
                            check_keys[required[i]]);
    }
    if (c->probe->mode != c->mode)
        return fail(l, seen[5], "probe '%s' is a %s probe but the check's mode is %s",
                    c->probe->name, nw_chk_mode_name(c->probe->mode), nw_chk_mode_name(c->mode));
    if (params && (rc = get_params(l, params, c->probe, c)) != 0) return rc;
    if ((rc = check_required_params(l, params ? params : seen[5], c->probe, c)) != 0) return rc;
    if (nw_cond_compile(c->pass, &c->cond, &ce) != 0) return fail(l, seen[7], "pass: %s", ce.msg);
    if (c->mlps2 == NULL || c->mlps2[0] == NULL)
        return fail(l, seen[9], "references need at least one mlps2 clause");
    return 0;
}

static const char *const profile_keys[] = {"name", "title", "extends", "checks", "exclude",
                                           "description", NULL};

static int load_profile(struct ld *l, yaml_node_t *root, struct nw_profile *pf)
{
    yaml_node_t *seen[8] = {0};
    int rc;

    if (root->type != YAML_MAPPING_NODE)
        return fail(l, root, "a profile file is a mapping (name:, title:, ...)");
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn = node(l, p->key), *vn = node(l, p->value);
        const char *ks = scalar(kn, NULL);
        int ki = -1;
        for (int i = 0; ks && profile_keys[i]; i++)
            if (strcmp(ks, profile_keys[i]) == 0) ki = i;
        if (ki < 0) return fail(l, kn, "unknown key '%s'; a profile has name, title, extends, "
                                "checks, exclude, description", ks ? ks : "?");
        if (seen[ki]) return fail(l, kn, "key '%s' given twice", ks);
        if (vn == NULL) return fail(l, kn, "key '%s' has no value", ks);
        seen[ki] = kn;
        switch (ki) {
        case 0:
            if ((rc = get_str(l, vn, "name", &pf->name)) != 0) return rc;
            if (!valid_name(pf->name)) return fail(l, vn, "profile name '%s' must be lower-case "
                                                   "letters, digits and '-'", pf->name);
            break;
        case 1:
            if ((rc = get_text2(l, vn, "title", &pf->title_zh, &pf->title_en)) != 0) return rc;
            break;
        case 2:
            if ((rc = get_str(l, vn, "extends", &pf->extends)) != 0) return rc;
            break;
        case 3:
            if ((rc = get_list(l, vn, "checks", &pf->checks, NULL)) != 0) return rc;
            break;
        case 4:
            if ((rc = get_list(l, vn, "exclude", &pf->exclude, NULL)) != 0) return rc;
            break;
        default: {
            const char *a, *b;
            if (vn->type == YAML_MAPPING_NODE) rc = get_text2(l, vn, "description", &a, &b);
            else rc = get_str(l, vn, "description", &a);
            if (rc) return rc;
        }
        }
    }
    if (!seen[0] || !seen[1]) return fail(l, root, "a profile needs name and title");
    return 0;
}

/* Parse text, hand the root node to the check or profile loader. */
static int load_doc(struct nw_checkset *cs, const char *name, const char *text, size_t len,
                    int profile, struct nw_err *err)
{
    yaml_parser_t parser;
    yaml_document_t doc, doc2;
    struct ld l = {cs, &doc, NULL, err};
    yaml_node_t *root;
    int rc = 0, have_doc = 0;
    struct chunk *mark;
    size_t mark_used;

    if (len > MAX_FILE_BYTES)
        return nw_err_set(err, NW_EFORMAT, "%s:1: file larger than %d KiB; one check per file",
                          name, MAX_FILE_BYTES / 1024);
    if (!yaml_parser_initialize(&parser)) return nw_err_set(err, NW_ENOMEM, "out of memory");
    /* Remember the arena position so a rejected file gives its memory back. */
    mark = cs->arena;
    mark_used = mark ? mark->used : 0;
    l.name = arena_strdup(cs, name, strlen(name));
    if (l.name == NULL) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
        goto out;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = nw_err_set(err, NW_EFORMAT, "%s:%d: malformed YAML: %s%s%s", name,
                        (int)(parser.problem_mark.line + 1),
                        parser.problem ? parser.problem : "error",
                        parser.context ? " " : "", parser.context ? parser.context : "");
        goto out;
    }
    have_doc = 1;
    root = yaml_document_get_root_node(&doc);
    if (root == NULL) {
        rc = nw_err_set(err, NW_EFORMAT, "%s:1: the file is empty", name);
        goto out;
    }
    if (yaml_parser_load(&parser, &doc2)) {
        int extra = yaml_document_get_root_node(&doc2) != NULL;
        int line = extra ? (int)yaml_document_get_root_node(&doc2)->start_mark.line + 1 : 0;
        yaml_document_delete(&doc2);
        if (extra) {
            rc = nw_err_set(err, NW_EFORMAT, "%s:%d: a second YAML document; one check per file",
                            name, line);
            goto out;
        }
    } else {
        rc = nw_err_set(err, NW_EFORMAT, "%s:%d: malformed YAML: %s", name,
                        (int)(parser.problem_mark.line + 1),
                        parser.problem ? parser.problem : "error");
        goto out;
    }
    if (profile) {
        struct nw_profile pf;
        memset(&pf, 0, sizeof pf);
        pf.file = l.name;
        if ((rc = load_profile(&l, root, &pf)) != 0) goto out;
        if (nw_checkset_profile(cs, pf.name)) {
            rc = fail(&l, root, "profile '%s' is defined twice", pf.name);
            goto out;
        }
        if (cs->nprofiles == cs->pcap) {
            size_t nc = cs->pcap ? cs->pcap * 2 : 8;
            struct nw_profile *np = nw_realloc(cs->profiles, nc * sizeof *np);
            if (np == NULL) {
                rc = nw_err_set(err, NW_ENOMEM, "out of memory");
                goto out;
            }
            cs->profiles = np;
            cs->pcap = nc;
        }
        cs->profiles[cs->nprofiles++] = pf;
    } else {
        struct nw_check c;
        memset(&c, 0, sizeof c);
        c.file = l.name;
        if ((rc = load_check(&l, root, &c)) != 0) {
            nw_cond_free(c.cond);
            nw_cond_free(c.skip_cond);
            goto out;
        }
        if (nw_checkset_find(cs, c.id)) {
            nw_cond_free(c.cond);
            nw_cond_free(c.skip_cond);
            rc = fail(&l, root, "check id '%s' is already used by %s", c.id,
                      nw_checkset_find(cs, c.id)->file);
            goto out;
        }
        if (cs->n == cs->cap) {
            size_t nc = cs->cap ? cs->cap * 2 : 64;
            struct nw_check *np = nw_realloc(cs->checks, nc * sizeof *np);
            if (np == NULL) {
                nw_cond_free(c.cond);
                nw_cond_free(c.skip_cond);
                rc = nw_err_set(err, NW_ENOMEM, "out of memory");
                goto out;
            }
            cs->checks = np;
            cs->cap = nc;
        }
        cs->checks[cs->n++] = c;
    }
out:
    if (have_doc) yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc != 0) {
        /* drop chunks added for this file, rewind the one that was current */
        while (cs->arena && cs->arena != mark) {
            struct chunk *c = cs->arena;
            cs->arena = c->next;
            nw_free(c);
        }
        if (mark) mark->used = mark_used;
    }
    return rc;
}

int nw_checkset_load_buf(struct nw_checkset *cs, const char *name, const char *text, size_t len,
                         struct nw_err *err)
{
    return load_doc(cs, name, text, len, 0, err);
}

int nw_checkset_load_profile_buf(struct nw_checkset *cs, const char *name, const char *text,
                                 size_t len, struct nw_err *err)
{
    return load_doc(cs, name, text, len, 1, err);
}

const struct nw_check *nw_checkset_find(const struct nw_checkset *cs, const char *id)
{
    for (size_t i = 0; i < cs->n; i++)
        if (strcmp(cs->checks[i].id, id) == 0) return &cs->checks[i];
    return NULL;
}

const struct nw_profile *nw_checkset_profile(const struct nw_checkset *cs, const char *name)
{
    for (size_t i = 0; i < cs->nprofiles; i++)
        if (strcmp(cs->profiles[i].name, name) == 0) return &cs->profiles[i];
    return NULL;
}

static int in_list(const char *const *l, const char *s)
{
    for (size_t i = 0; l && l[i]; i++)
        if (strcmp(l[i], s) == 0) return 1;
    return 0;
}

int nw_checkset_in_profile(const struct nw_checkset *cs, const struct nw_check *c,
                           const char *name, struct nw_err *err)
{
    for (int depth = 0; name != NULL && depth < 8; depth++) {
        const struct nw_profile *pf = nw_checkset_profile(cs, name);
        if (pf == NULL) {
            char known[256];
            size_t o = 0;
            known[0] = '\0';
            for (size_t i = 0; i < cs->nprofiles && o + 2 < sizeof known; i++) {
                int n = snprintf(known + o, sizeof known - o, "%s%s", i ? ", " : "",
                                 cs->profiles[i].name);
                if (n < 0) break;
                o += (size_t)n;
            }
            return nw_err_set(err, NW_ENOENT, "no profile '%s'; known: %s", name,
                              o ? known : "none (no checks/profiles directory?)");
        }
        if (in_list(pf->exclude, c->id)) return 0;
        if (in_list(c->profiles, name) || in_list(pf->checks, c->id)) return 1;
        name = pf->extends;
    }
    return name == NULL ? 0 : 0;
}

/* -------------------------------------------------------------- directory -- */

struct pathlist {
    char **v;
    size_t n, cap;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int collect(struct pathlist *pl, const char *dir, int depth)
{
    DIR *d;
    struct dirent *de;
    int rc = 0;

    if (depth > 4) return 0;
    d = opendir(dir);
    if (d == NULL) return depth == 0 ? NW_ENOENT : 0;
    while ((de = readdir(d)) != NULL && pl->n < MAX_FILES) {
        char path[4096];
        struct stat st;
        size_t nl = strlen(de->d_name);
        if (de->d_name[0] == '.') continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= (int)sizeof path) continue;
        if (stat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            if ((rc = collect(pl, path, depth + 1)) != 0) break;
        } else if (S_ISREG(st.st_mode) && nl > 5 &&
                   (strcmp(de->d_name + nl - 5, ".yaml") == 0 ||
                    strcmp(de->d_name + nl - 4, ".yml") == 0)) {
            if (pl->n == pl->cap) {
                size_t nc = pl->cap ? pl->cap * 2 : 64;
                char **nv = nw_realloc(pl->v, nc * sizeof *nv);
                if (nv == NULL) {
                    rc = NW_ENOMEM;
                    break;
                }
                pl->v = nv;
                pl->cap = nc;
            }
            if ((pl->v[pl->n] = nw_strndup(path, sizeof path)) == NULL) {
                rc = NW_ENOMEM;
                break;
            }
            pl->n++;
        }
    }
    closedir(d);
    return rc;
}

static int is_profile_path(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash - path >= 9 && memcmp(slash - 9, "/profiles", 9) == 0;
}

int nw_checkset_load_dir(struct nw_checkset *cs, const char *dir,
                         void (*on_error)(void *arg, const char *msg), void *arg)
{
    struct pathlist pl = {NULL, 0, 0};
    int rc, failed = 0;

    rc = collect(&pl, dir, 0);
    if (rc != 0) goto out;
    if (pl.n > 1) qsort(pl.v, pl.n, sizeof *pl.v, cmp_str); /* pl.v is NULL when empty */
    for (size_t i = 0; i < pl.n; i++) {
        struct nw_err err;
        FILE *f = fopen(pl.v[i], "rb");
        char *buf = NULL;
        size_t n = 0;
        int lr;

        err.msg[0] = '\0';
        if (f == NULL) {
            nw_err_set(&err, NW_EIO, "%s: cannot open: %s", pl.v[i], strerror(errno));
            lr = NW_EIO;
        } else {
            buf = nw_alloc(MAX_FILE_BYTES + 2);
            if (buf == NULL) {
                fclose(f);
                rc = NW_ENOMEM;
                goto out;
            }
            n = fread(buf, 1, MAX_FILE_BYTES + 1, f);
            fclose(f);
            lr = is_profile_path(pl.v[i]) ? nw_checkset_load_profile_buf(cs, pl.v[i], buf, n, &err)
                                          : nw_checkset_load_buf(cs, pl.v[i], buf, n, &err);
            nw_free(buf);
        }
        if (lr == NW_ENOMEM) {
            rc = NW_ENOMEM;
            goto out;
        }
        if (lr != 0) {
            failed++;
            if (on_error) on_error(arg, err.msg);
        }
    }
    rc = failed;
out:
    for (size_t i = 0; i < pl.n; i++) nw_free(pl.v[i]);
    nw_free(pl.v);
    return rc;
}
