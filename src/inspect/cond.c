/*
 * cond.c - the pass-condition language of check files (docs/inspect.md).
 *
 *   expr    := or
 *   or      := and { "or" and }
 *   and     := not { "and" not }
 *   not     := "not" not | cmp
 *   cmp     := operand [ ("=="|"!="|"<"|"<="|">"|">=") operand
 *                      | ["not"] "in" operand ]
 *   operand := NUMBER | STRING | true | false | null | FACT | "(" expr ")"
 *            | "[" [ operand { "," operand } ] "]"
 *            | ("len"|"exists") "(" FACT ")"     (names of facts otherwise)
 *   FACT    := name { "." (name | digits) }   (a dotted path into the facts)
 *
 * It is deliberately small and safe: no assignment, no loops, no regex, no
 * calls beyond len() and exists(). Compiling is bounded (4096 bytes, 256
 * nodes, nesting 32) and evaluation visits each node at most once per
 * parent, so it costs O(nodes x facts size). A missing fact or a type
 * mismatch in an ordering comparison is an evaluation error (the check gets
 * verdict error: the probe and the condition disagree, which is a bug in the
 * check file, not a finding).
 */
#include "nw/inspect.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw/jsonscan.h"

#define COND_MAX_SRC 4096
#define COND_MAX_NODES 256
#define COND_MAX_DEPTH 32
#define COND_MAX_STR 1024

enum node_kind {
    N_OR, N_AND, N_NOT, N_CMP, N_IN, N_NOTIN, N_NUM, N_STR, N_TRUE, N_FALSE, N_NULL,
    N_FACT, N_LIST, N_LEN, N_EXISTS
};
enum cmp_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

struct node {
    int kind;
    int op;        /* N_CMP */
    int a, b;      /* children (indexes), -1 = none; N_LIST: first item; items chain by next */
    int next;      /* next sibling in a list */
    double num;
    char *str;     /* N_STR text (unescaped), N_FACT path */
    size_t slen;
};

struct nw_cond {
    struct node nodes[COND_MAX_NODES];
    int n;
    int root;
};

/* ----------------------------------------------------------------- lexer -- */

enum tok_kind { T_END, T_NUM, T_STR, T_IDENT, T_OP, T_LP, T_RP, T_LB, T_RB, T_COMMA, T_BAD };

struct lexer {
    const char *s;
    size_t len, pos;
    int kind;
    size_t tpos, tlen; /* current token span */
    double num;
    char str[COND_MAX_STR];
    size_t slen;
    int op;
    struct nw_err *err;
    int failed;
};

static int is_ident0(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int lex_fail(struct lexer *lx, size_t col, const char *what)
{
    if (!lx->failed)
        nw_err_set(lx->err, NW_EFORMAT, "condition column %zu: %s", col + 1, what);
    lx->failed = 1;
    lx->kind = T_BAD;
    return NW_EFORMAT;
}

static int lex_next(struct lexer *lx)
{
    const char *s = lx->s;
    size_t i = lx->pos;

    while (i < lx->len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    lx->tpos = i;
    if (i >= lx->len) {
        lx->kind = T_END;
        lx->pos = i;
        return 0;
    }
    if (is_digit(s[i]) || (s[i] == '-' && i + 1 < lx->len && is_digit(s[i + 1]))) {
        size_t st = i;
        char tmp[64];
        char *end;
        if (s[i] == '-') i++;
        while (i < lx->len && is_digit(s[i])) i++;
        if (i + 1 < lx->len && s[i] == '.' && is_digit(s[i + 1])) {
            i++;
            while (i < lx->len && is_digit(s[i])) i++;
        }
        if (i - st >= sizeof tmp) return lex_fail(lx, st, "number too long");
        memcpy(tmp, s + st, i - st);
        tmp[i - st] = '\0';
        lx->num = strtod(tmp, &end);
        lx->kind = T_NUM;
    } else if (s[i] == '\'' || s[i] == '"') {
        char q = s[i++];
        lx->slen = 0;
        for (;;) {
            char c;
            if (i >= lx->len) return lex_fail(lx, lx->tpos, "string is not closed");
            c = s[i++];
            if (c == q) break;
            if (c == '\\') {
                if (i >= lx->len) return lex_fail(lx, lx->tpos, "string is not closed");
                c = s[i++];
                if (c == 'n') c = '\n';
                else if (c == 't') c = '\t';
                else if (c != '\\' && c != '\'' && c != '"')
                    return lex_fail(lx, i - 2, "unknown escape (use \\\\, \\', \\\", \\n or \\t)");
            }
            if (lx->slen + 1 >= sizeof lx->str) return lex_fail(lx, lx->tpos, "string too long");
            lx->str[lx->slen++] = c;
        }
        lx->str[lx->slen] = '\0';
        lx->kind = T_STR;
    } else if (is_ident0(s[i])) {
        while (i < lx->len) {
            if (is_ident0(s[i]) || is_digit(s[i])) i++;
            else if (s[i] == '.' && i + 1 < lx->len && (is_ident0(s[i + 1]) || is_digit(s[i + 1])))
                i++;
            else break;
        }
        lx->kind = T_IDENT;
    } else {
        char c = s[i], d = i + 1 < lx->len ? s[i + 1] : '\0';
        lx->kind = T_OP;
        if (c == '=' && d == '=') lx->op = OP_EQ, i += 2;
        else if (c == '!' && d == '=') lx->op = OP_NE, i += 2;
        else if (c == '<' && d == '=') lx->op = OP_LE, i += 2;
        else if (c == '>' && d == '=') lx->op = OP_GE, i += 2;
        else if (c == '<') lx->op = OP_LT, i++;
        else if (c == '>') lx->op = OP_GT, i++;
        else if (c == '(') lx->kind = T_LP, i++;
        else if (c == ')') lx->kind = T_RP, i++;
        else if (c == '[') lx->kind = T_LB, i++;
        else if (c == ']') lx->kind = T_RB, i++;
        else if (c == ',') lx->kind = T_COMMA, i++;
        else if (c == '=') return lex_fail(lx, i, "'=' is not an operator; compare with '=='");
        else return lex_fail(lx, i, "unexpected character");
    }
    lx->tlen = i - lx->tpos;
    lx->pos = i;
    return 0;
}

static int tok_is(const struct lexer *lx, const char *word)
{
    size_t n = strlen(word);
    return lx->kind == T_IDENT && lx->tlen == n && memcmp(lx->s + lx->tpos, word, n) == 0;
}

/* ---------------------------------------------------------------- parser -- */

struct parser {
    struct lexer lx;
    struct nw_cond *c;
    int depth;
};

static int p_fail(struct parser *p, const char *what)
{
    char msg[160];
    if (p->lx.kind == T_END) snprintf(msg, sizeof msg, "%s at the end", what);
    else snprintf(msg, sizeof msg, "%s near '%.*s'", what, (int)NW_MIN(p->lx.tlen, 40),
                  p->lx.s + p->lx.tpos);
    return lex_fail(&p->lx, p->lx.tpos, msg);
}

static int new_node(struct parser *p, int kind)
{
    struct node *n;

    if (p->c->n >= COND_MAX_NODES) {
        p_fail(p, "condition too long (256 terms at most)");
        return -1;
    }
    n = &p->c->nodes[p->c->n];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->a = n->b = n->next = -1;
    return p->c->n++;
}

static int set_str(struct parser *p, int idx, const char *s, size_t len)
{
    char *d = nw_strndup(s, len);
    if (d == NULL) return nw_err_set(p->lx.err, NW_ENOMEM, "out of memory"), (p->lx.failed = 1),
                          -1;
    p->c->nodes[idx].str = d;
    p->c->nodes[idx].slen = len;
    return 0;
}

static int p_expr(struct parser *p);

static int is_keyword(const struct lexer *lx)
{
    static const char *const kw[] = {"and", "or", "not", "in", "true", "false", "null"};
    for (size_t i = 0; i < NW_ARRAY_LEN(kw); i++)
        if (tok_is(lx, kw[i])) return 1;
    return 0;
}

/* A function name only when "(" follows: facts may be called "exists" or "len". */
static int next_is_lparen(const struct lexer *lx)
{
    size_t i = lx->pos;
    while (i < lx->len && (lx->s[i] == ' ' || lx->s[i] == '\t')) i++;
    return i < lx->len && lx->s[i] == '(';
}

static int p_operand(struct parser *p)
{
    struct lexer *lx = &p->lx;
    int idx;

    if (++p->depth > COND_MAX_DEPTH) return p_fail(p, "condition nested too deeply"), -1;
    switch (lx->kind) {
    case T_NUM:
        if ((idx = new_node(p, N_NUM)) < 0) return -1;
        p->c->nodes[idx].num = lx->num;
        lex_next(lx);
        break;
    case T_STR:
        if ((idx = new_node(p, N_STR)) < 0 || set_str(p, idx, lx->str, lx->slen) < 0) return -1;
        lex_next(lx);
        break;
    case T_LP:
        lex_next(lx);
        if ((idx = p_expr(p)) < 0) return -1;
        if (lx->kind != T_RP) return p_fail(p, "expected ')'"), -1;
        lex_next(lx);
        break;
    case T_LB: {
        int last = -1;
        if ((idx = new_node(p, N_LIST)) < 0) return -1;
        lex_next(lx);
        while (lx->kind != T_RB) {
            int it;
            if (lx->kind == T_LB) return p_fail(p, "lists cannot nest"), -1;
            if ((it = p_operand(p)) < 0) return -1;
            if (last < 0) p->c->nodes[idx].a = it;
            else p->c->nodes[last].next = it;
            last = it;
            if (lx->kind == T_COMMA) lex_next(lx);
            else if (lx->kind != T_RB) return p_fail(p, "expected ',' or ']'"), -1;
        }
        lex_next(lx);
        break;
    }
    case T_IDENT:
        if (tok_is(lx, "true") || tok_is(lx, "false") || tok_is(lx, "null")) {
            idx = new_node(p, tok_is(lx, "true") ? N_TRUE : tok_is(lx, "false") ? N_FALSE : N_NULL);
            if (idx < 0) return -1;
            lex_next(lx);
            break;
        }
        if ((tok_is(lx, "len") || tok_is(lx, "exists")) && next_is_lparen(lx)) {
            int kind = tok_is(lx, "len") ? N_LEN : N_EXISTS, f;
            lex_next(lx);
            if (lx->kind != T_LP) return p_fail(p, "expected '(' after the function name"), -1;
            lex_next(lx);
            if (lx->kind != T_IDENT || is_keyword(lx))
                return p_fail(p, "expected a fact name"), -1;
            if ((idx = new_node(p, kind)) < 0 || (f = new_node(p, N_FACT)) < 0 ||
                set_str(p, f, lx->s + lx->tpos, lx->tlen) < 0)
                return -1;
            p->c->nodes[idx].a = f;
            lex_next(lx);
            if (lx->kind != T_RP) return p_fail(p, "expected ')'"), -1;
            lex_next(lx);
            break;
        }
        if (is_keyword(lx)) return p_fail(p, "expected a value"), -1;
        if (lx->tlen > 255) return p_fail(p, "fact name too long"), -1;
        if ((idx = new_node(p, N_FACT)) < 0 || set_str(p, idx, lx->s + lx->tpos, lx->tlen) < 0)
            return -1;
        lex_next(lx);
        break;
    default:
        return p_fail(p, "expected a value"), -1;
    }
    p->depth--;
    return lx->failed ? -1 : idx;
}

static int p_cmp(struct parser *p)
{
    struct lexer *lx = &p->lx;
    int l, r, idx, kind;

    if ((l = p_operand(p)) < 0) return -1;
    if (lx->kind == T_OP) {
        int op = lx->op;
        lex_next(lx);
        if ((r = p_operand(p)) < 0 || (idx = new_node(p, N_CMP)) < 0) return -1;
        p->c->nodes[idx].op = op;
    } else if (tok_is(lx, "in") || tok_is(lx, "not")) {
        kind = N_IN;
        if (tok_is(lx, "not")) {
            lex_next(lx);
            if (!tok_is(lx, "in")) return p_fail(p, "expected 'in' after 'not'"), -1;
            kind = N_NOTIN;
        }
        lex_next(lx);
        if ((r = p_operand(p)) < 0 || (idx = new_node(p, kind)) < 0) return -1;
    } else {
        return l;
    }
    p->c->nodes[idx].a = l;
    p->c->nodes[idx].b = r;
    return idx;
}

static int p_not(struct parser *p)
{
    int a, idx;

    if (!tok_is(&p->lx, "not")) return p_cmp(p);
    if (++p->depth > COND_MAX_DEPTH) return p_fail(p, "condition nested too deeply"), -1;
    lex_next(&p->lx);
    if ((a = p_not(p)) < 0 || (idx = new_node(p, N_NOT)) < 0) return -1;
    p->c->nodes[idx].a = a;
    p->depth--;
    return idx;
}

static int p_binary(struct parser *p, int kind)
{
    const char *word = kind == N_OR ? "or" : "and";
    int l = kind == N_OR ? p_binary(p, N_AND) : p_not(p);

    while (l >= 0 && tok_is(&p->lx, word)) {
        int r, idx;
        lex_next(&p->lx);
        r = kind == N_OR ? p_binary(p, N_AND) : p_not(p);
        if (r < 0 || (idx = new_node(p, kind)) < 0) return -1;
        p->c->nodes[idx].a = l;
        p->c->nodes[idx].b = r;
        l = idx;
    }
    return l;
}

static int p_expr(struct parser *p)
{
    int r;

    if (++p->depth > COND_MAX_DEPTH) return p_fail(p, "condition nested too deeply"), -1;
    r = p_binary(p, N_OR);
    p->depth--;
    return r;
}

void nw_cond_free(struct nw_cond *c)
{
    if (c == NULL) return;
    for (int i = 0; i < c->n; i++) nw_free(c->nodes[i].str);
    nw_free(c);
}

int nw_cond_compile(const char *src, struct nw_cond **out, struct nw_err *err)
{
    struct parser p;
    int root;

    *out = NULL;
    if (src == NULL) return nw_err_set(err, NW_EFORMAT, "condition is empty");
    memset(&p, 0, sizeof p);
    p.lx.s = src;
    p.lx.len = strlen(src);
    p.lx.err = err;
    if (p.lx.len > COND_MAX_SRC)
        return nw_err_set(err, NW_EFORMAT, "condition longer than %d bytes", COND_MAX_SRC);
    p.c = nw_calloc(1, sizeof *p.c);
    if (p.c == NULL) return nw_err_set(err, NW_ENOMEM, "out of memory");
    lex_next(&p.lx);
    if (p.lx.kind == T_END) {
        nw_err_set(err, NW_EFORMAT, "condition is empty");
        goto fail;
    }
    root = p_expr(&p);
    if (root < 0 || p.lx.failed) goto fail;
    if (p.lx.kind != T_END) {
        p_fail(&p, "expected 'and', 'or' or the end");
        goto fail;
    }
    p.c->root = root;
    *out = p.c;
    return 0;
fail:
    nw_cond_free(p.c);
    return NW_EFORMAT;
}

/* ------------------------------------------------------------- evaluator -- */

enum val_kind { V_NULL, V_BOOL, V_NUM, V_STR, V_LIST, V_JSONARR, V_OTHER };

struct val {
    int kind;
    int b;
    double num;
    const char *s;
    size_t slen;
    int list;                  /* V_LIST: node index of the list */
    struct nw_json_val json;   /* V_JSONARR */
    char buf[256];             /* unescaped fact strings */
};

struct evalctx {
    const struct nw_cond *c;
    const char *facts;
    size_t flen;
    struct nw_err *err;
};

static int from_json(struct evalctx *e, const struct nw_json_val *j, struct val *v,
                     const char *name)
{
    switch (j->type) {
    case NW_JSON_NULL: v->kind = V_NULL; return 0;
    case NW_JSON_TRUE: v->kind = V_BOOL, v->b = 1; return 0;
    case NW_JSON_FALSE: v->kind = V_BOOL, v->b = 0; return 0;
    case NW_JSON_NUMBER: {
        char tmp[64];
        if (j->len >= sizeof tmp) return nw_err_set(e->err, NW_EINVAL, "fact '%s' is a number "
                                                    "too long", name);
        memcpy(tmp, j->p, j->len);
        tmp[j->len] = '\0';
        v->kind = V_NUM;
        v->num = strtod(tmp, NULL);
        return 0;
    }
    case NW_JSON_STRING:
        v->kind = V_STR;
        if (memchr(j->p, '\\', j->len) == NULL) {
            v->s = j->p;
            v->slen = j->len;
        } else {
            int n = nw_json_val_str(j, v->buf, sizeof v->buf);
            if (n < 0) return nw_err_set(e->err, NW_EINVAL, "fact '%s' is a string too long to "
                                         "compare (255 bytes at most)", name);
            v->s = v->buf;
            v->slen = (size_t)n;
        }
        return 0;
    case NW_JSON_ARRAY: v->kind = V_JSONARR, v->json = *j; return 0;
    default: v->kind = V_OTHER; return 0;
    }
}

static int eval_val(struct evalctx *e, int idx, struct val *v);

static int eq_vals(const struct val *a, const struct val *b)
{
    if (a->kind != b->kind) return 0;
    switch (a->kind) {
    case V_NULL: return 1;
    case V_BOOL: return a->b == b->b;
    case V_NUM: return a->num == b->num;
    case V_STR: return a->slen == b->slen && memcmp(a->s, b->s, a->slen) == 0;
    default: return 0;
    }
}

static const char *kind_name(int k)
{
    static const char *const n[] = {"null", "boolean", "number", "string", "list", "list",
                                    "object"};
    return k >= 0 && k <= V_OTHER ? n[k] : "?";
}

/* Is x an element of the list value l? 1/0, or <0 error. */
static int member_of(struct evalctx *e, const struct val *x, const struct val *l)
{
    if (l->kind == V_LIST) {
        for (int it = e->c->nodes[l->list].a; it >= 0; it = e->c->nodes[it].next) {
            struct val iv;
            int rc = eval_val(e, it, &iv);
            if (rc < 0) return rc;
            if (eq_vals(x, &iv)) return 1;
        }
        return 0;
    }
    if (l->kind == V_JSONARR) {
        struct nw_json_iter it;
        struct nw_json_val k, jv;
        int rc;
        nw_json_iter_init(&it, &l->json);
        while ((rc = nw_json_iter_next(&it, &k, &jv)) == 1) {
            struct val iv;
            if (from_json(e, &jv, &iv, "list element") < 0) continue;
            if (eq_vals(x, &iv)) return 1;
        }
        return rc < 0 ? nw_err_set(e->err, NW_EINVAL, "facts are not valid JSON") : 0;
    }
    if (l->kind == V_STR && x->kind == V_STR) { /* substring test */
        if (x->slen == 0) return 1;
        for (size_t i = 0; i + x->slen <= l->slen; i++)
            if (memcmp(l->s + i, x->s, x->slen) == 0) return 1;
        return 0;
    }
    return nw_err_set(e->err, NW_EINVAL, "'in' needs a list or a string on its right, not a %s",
                      kind_name(l->kind));
}

static int eval_bool(struct evalctx *e, int idx);

static int eval_val(struct evalctx *e, int idx, struct val *v)
{
    const struct node *n = &e->c->nodes[idx];

    memset(v, 0, offsetof(struct val, buf));
    switch (n->kind) {
    case N_NUM: v->kind = V_NUM, v->num = n->num; return 0;
    case N_STR: v->kind = V_STR, v->s = n->str, v->slen = n->slen; return 0;
    case N_TRUE: v->kind = V_BOOL, v->b = 1; return 0;
    case N_FALSE: v->kind = V_BOOL, v->b = 0; return 0;
    case N_NULL: v->kind = V_NULL; return 0;
    case N_LIST: v->kind = V_LIST, v->list = idx; return 0;
    case N_FACT: {
        struct nw_json_val j;
        int rc = nw_json_get(e->facts, e->flen, n->str, &j);
        if (rc < 0) return nw_err_set(e->err, NW_EINVAL, "facts are not valid JSON");
        if (rc == 0) return nw_err_set(e->err, NW_EINVAL, "the probe gave no fact '%s'", n->str);
        return from_json(e, &j, v, n->str);
    }
    case N_LEN: {
        struct val f;
        int rc = eval_val(e, n->a, &f);
        if (rc < 0) return rc;
        v->kind = V_NUM;
        if (f.kind == V_STR) v->num = (double)f.slen;
        else if (f.kind == V_JSONARR) {
            struct nw_json_iter it;
            struct nw_json_val k, jv;
            size_t cnt = 0;
            nw_json_iter_init(&it, &f.json);
            while ((rc = nw_json_iter_next(&it, &k, &jv)) == 1) cnt++;
            if (rc < 0) return nw_err_set(e->err, NW_EINVAL, "facts are not valid JSON");
            v->num = (double)cnt;
        } else
            return nw_err_set(e->err, NW_EINVAL, "len() of a %s", kind_name(f.kind));
        return 0;
    }
    case N_EXISTS: {
        struct nw_json_val j;
        int rc = nw_json_get(e->facts, e->flen, e->c->nodes[n->a].str, &j);
        if (rc < 0) return nw_err_set(e->err, NW_EINVAL, "facts are not valid JSON");
        v->kind = V_BOOL;
        v->b = rc == 1 && j.type != NW_JSON_NULL;
        return 0;
    }
    default: {
        int b = eval_bool(e, idx);
        if (b < 0) return b;
        v->kind = V_BOOL;
        v->b = b;
        return 0;
    }
    }
}

static int eval_bool(struct evalctx *e, int idx)
{
    const struct node *n = &e->c->nodes[idx];
    struct val *a, *b;
    int r;

    switch (n->kind) {
    case N_OR:
    case N_AND:
        r = eval_bool(e, n->a);
        if (r < 0) return r;
        if (n->kind == N_OR ? r : !r) return r;
        return eval_bool(e, n->b);
    case N_NOT:
        r = eval_bool(e, n->a);
        return r < 0 ? r : !r;
    case N_CMP:
    case N_IN:
    case N_NOTIN:
        break;
    default: {
        struct val v;
        r = eval_val(e, idx, &v);
        if (r < 0) return r;
        if (v.kind != V_BOOL)
            return nw_err_set(e->err, NW_EINVAL, "a %s is not true or false%s%s",
                              kind_name(v.kind), n->kind == N_FACT ? ": fact " : "",
                              n->kind == N_FACT ? n->str : "");
        return v.b;
    }
    }
    /* Two values on the heap would cost an allocation per comparison; two on
     * the stack are ~600 bytes, bounded by the depth cap. */
    {
        struct val va, vb;
        a = &va;
        b = &vb;
        if ((r = eval_val(e, n->a, a)) < 0 || (r = eval_val(e, n->b, b)) < 0) return r;
        if (n->kind != N_CMP) {
            r = member_of(e, a, b);
            return r < 0 ? r : (n->kind == N_IN ? r : !r);
        }
        if (n->op == OP_EQ) return eq_vals(a, b);
        if (n->op == OP_NE) return !eq_vals(a, b);
        if (a->kind == V_NUM && b->kind == V_NUM) {
            switch (n->op) {
            case OP_LT: return a->num < b->num;
            case OP_LE: return a->num <= b->num;
            case OP_GT: return a->num > b->num;
            default: return a->num >= b->num;
            }
        }
        if (a->kind == V_STR && b->kind == V_STR) {
            int c = memcmp(a->s, b->s, NW_MIN(a->slen, b->slen));
            if (c == 0) c = a->slen < b->slen ? -1 : a->slen > b->slen;
            switch (n->op) {
            case OP_LT: return c < 0;
            case OP_LE: return c <= 0;
            case OP_GT: return c > 0;
            default: return c >= 0;
            }
        }
        return nw_err_set(e->err, NW_EINVAL, "cannot order a %s against a %s",
                          kind_name(a->kind), kind_name(b->kind));
    }
}

int nw_cond_eval(const struct nw_cond *c, const char *facts, size_t len, struct nw_err *err)
{
    struct evalctx e = {c, facts, len, err};

    if (c == NULL || c->n == 0) return nw_err_set(err, NW_EINVAL, "no condition");
    return eval_bool(&e, c->root);
}
