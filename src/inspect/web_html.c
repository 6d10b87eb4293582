/*
 * web_html.c - the HTML/link extractor of the web probes, on libxml2's
 * recovering HTML parser (htmlReadMemory, no network, no entities loaded).
 *
 * One walk over the tree gives: links (<a href>, <iframe src>, <meta
 * refresh>, <area href>) with the reasons they are not visible; forms and
 * their fields; external scripts and other resources; and the page's
 * normalised content for tamper detection. Hidden-ness is inherited: a
 * link inside a display:none block is hidden. Sources of style, OR-ed:
 *   - the style attribute of the element and its ancestors;
 *   - <style> rules whose selector is simple: compounds of tag, .class and
 *     #id, separated by descendant or child combinators (the last compound
 *     must match the element, the earlier ones some ancestors in order);
 *     @media/@supports blocks are read as if unconditional, other at-rules
 *     are skipped; pseudo-classes, attributes and :not() make a selector
 *     ignored (never over-matched);
 *   - attributes: hidden, <font color>, bgcolor, <marquee width/height>.
 * Links in inline scripts come from nw_html_script_links().
 *
 * Normalised content (tamper detection) is one item per line: text nodes
 * with whitespace collapsed, and a line per a/img/script/iframe/link/form/
 * meta/embed/object element naming its URL attribute; volatile parts are
 * masked: dates and times, digit runs of 9 or more (time stamps), runs of
 * 20+ letters/digits/+/=/_/- containing a digit (tokens, nonces, hashes);
 * hidden inputs' values, nonce attributes and csrf meta tags are dropped.
 *
 * Bounds: NW_HTML_MAX_* (web.h); recursion depth <= NW_HTML_MAX_DEPTH;
 * CSS text read is capped at 256 KiB per page; every string copied is cut
 * at its stated length.
 */
#include "nw/web.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "nw/core.h"
#include "nw/json.h"

#define CSS_MAX (256 * 1024)
#define TEXT_MAX 256
#define HREF_MAX 512

struct css_rule {
    char sel[160];   /* one selector of a list, lower case */
    unsigned bits;
    char color[24], bg[24];
};

struct walk {
    struct nw_html_doc *d;
    struct nw_url base;
    struct css_rule *rules;
    size_t nrules;
    struct nw_buf norm;
    char *css;       /* concatenated <style> text */
    size_t csslen;
    long form;       /* index of the open form, -1 */
    int oom;
};

/* ancestors for selector matching */
struct anc {
    const xmlNode *n;
    const struct anc *up;
};

/* ---------------------------------------------------------------- helpers -- */

static char *dup_cut(const char *s, size_t n, size_t max)
{
    return nw_strndup(s, n < max ? n : max);
}

/* Collapse whitespace into one space, trim; in place. Returns the length. */
static size_t collapse(char *s)
{
    size_t o = 0;
    int sp = 1;
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            if (!sp) s[o++] = ' ';
            sp = 1;
        } else {
            s[o++] = (char)c;
            sp = 0;
        }
    }
    while (o > 0 && s[o - 1] == ' ') o--;
    s[o] = '\0';
    return o;
}

static const char *attr(const xmlNode *n, const char *name)
{
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        if (a->name && strcasecmp((const char *)a->name, name) == 0) {
            if (a->children && a->children->type == XML_TEXT_NODE && a->children->content)
                return (const char *)a->children->content;
            return "";
        }
    }
    return NULL;
}

static int is_tag(const xmlNode *n, const char *t)
{
    return n->type == XML_ELEMENT_NODE && n->name && strcasecmp((const char *)n->name, t) == 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    while (nc < need) nc *= 2;
    void *np = nw_realloc(*p, nc * elem);
    if (np == NULL) return NW_ENOMEM;
    *p = np;
    *cap = nc;
    return 0;
}

static int push_str(char ***arr, size_t *n, size_t *cap, size_t max, const char *s, int *limited)
{
    if (*n >= max) {
        *limited = 1;
        return 0;
    }
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*arr)[i], s) == 0) return 0;
    if (grow((void **)arr, cap, *n + 1, sizeof **arr) != 0) return NW_ENOMEM;
    if (((*arr)[*n] = nw_strndup(s, strlen(s))) == NULL) return NW_ENOMEM;
    (*n)++;
    return 0;
}

static int resolve_text(const struct nw_url *base, const char *ref, char *out, size_t cap)
{
    struct nw_url u;
    if (ref == NULL || nw_web_url_resolve(base, ref, strnlen(ref, 4096), &u) != 0) return -1;
    nw_web_url_format(&u, out, cap);
    return 0;
}

static int add_link(struct nw_html_doc *d, const struct nw_url *base, const char *href,
                    size_t hlen, const char *text, size_t tlen, const char *tag, unsigned hidden)
{
    struct nw_html_link *l;
    struct nw_url u;
    char abs[NW_URL_PATH_MAX + NW_URL_HOST_MAX + 32];

    if (d->nlinks >= NW_HTML_MAX_LINKS) {
        d->limited = 1;
        return 0;
    }
    if (grow((void **)&d->links, &d->caplinks, d->nlinks + 1, sizeof *d->links) != 0)
        return NW_ENOMEM;
    l = &d->links[d->nlinks];
    memset(l, 0, sizeof *l);
    l->tag = tag;
    l->hidden = hidden;
    l->href = dup_cut(href, hlen, HREF_MAX);
    l->text = dup_cut(text ? text : "", text ? tlen : 0, TEXT_MAX);
    if (l->href == NULL || l->text == NULL) {
        nw_free(l->href);
        nw_free(l->text);
        return NW_ENOMEM;
    }
    collapse(l->text);
    if (nw_web_url_resolve(base, href, hlen, &u) == 0) {
        nw_web_url_format(&u, abs, sizeof abs);
        if ((l->url = nw_strndup(abs, strlen(abs))) == NULL) {
            nw_free(l->href);
            nw_free(l->text);
            return NW_ENOMEM;
        }
    }
    d->nlinks++;
    return 0;
}

/* ------------------------------------------------------------------- CSS -- */

/* Parse a CSS length into px-ish units; returns 1 and *v, or 0 when not a number. */
static int css_num(const char *v, double *out)
{
    char *end;
    double x;
    while (*v == ' ') v++;
    x = strtod(v, &end);
    if (end == v) return 0;
    while (*end == ' ') end++;
    if (strncmp(end, "em", 2) == 0 || strncmp(end, "rem", 3) == 0) x *= 16;
    else if (strncmp(end, "pt", 2) == 0) x *= 4.0 / 3.0;
    else if (strncmp(end, "in", 2) == 0) x *= 96;
    else if (strncmp(end, "cm", 2) == 0) x *= 37.8;
    else if (*end == '%') return strncmp(v, "0", 1) == 0 ? (*out = 0, 1) : 0;
    *out = x;
    return 1;
}

/* Canonical colour text: lower case, #rgb -> #rrggbb, a few names. */
static void css_color(const char *v, char *out, size_t cap)
{
    static const struct { const char *name, *hex; } names[] = {
        {"white", "#ffffff"}, {"black", "#000000"}, {"red", "#ff0000"}, {"blue", "#0000ff"},
        {"green", "#008000"}, {"yellow", "#ffff00"}, {"gray", "#808080"}, {"grey", "#808080"},
        {"silver", "#c0c0c0"},
    };
    char b[24];
    size_t o = 0;
    for (; *v && o + 1 < sizeof b; v++)
        if (*v != ' ') b[o++] = (char)tolower((unsigned char)*v);
    b[o] = '\0';
    for (size_t i = 0; i < NW_ARRAY_LEN(names); i++)
        if (strcmp(b, names[i].name) == 0) {
            snprintf(out, cap, "%s", names[i].hex);
            return;
        }
    if (o == 4 && b[0] == '#') {
        snprintf(out, cap, "#%c%c%c%c%c%c", b[1], b[1], b[2], b[2], b[3], b[3]);
        return;
    }
    if (strncmp(b, "rgb(", 4) == 0) {
        unsigned r, g, bl;
        if (sscanf(b + 4, "%u,%u,%u", &r, &g, &bl) == 3 && r < 256 && g < 256 && bl < 256) {
            snprintf(out, cap, "#%02x%02x%02x", r, g, bl);
            return;
        }
    }
    snprintf(out, cap, "%s", b);
}

/*
 * Hidden bits of one declaration block (len bytes), plus the colour and
 * background it sets ("" when none).
 */
static unsigned css_decls(const char *s, size_t len, char *color, char *bg, size_t ccap)
{
    unsigned bits = 0;
    int ovh = 0;
    double w = 1e9, h = 1e9;
    size_t i = 0;

    color[0] = bg[0] = '\0';
    while (i < len) {
        char prop[32], val[96];
        size_t ps = i, pl = 0, vl = 0;
        while (i < len && s[i] != ':' && s[i] != ';') i++;
        for (size_t k = ps; k < i && pl + 1 < sizeof prop; k++)
            if (!isspace((unsigned char)s[k])) prop[pl++] = (char)tolower((unsigned char)s[k]);
        prop[pl] = '\0';
        if (i < len && s[i] == ':') {
            i++;
            size_t vs = i;
            while (i < len && s[i] != ';') i++;
            for (size_t k = vs; k < i && vl + 1 < sizeof val; k++)
                val[vl++] = (char)tolower((unsigned char)s[k]);
        }
        val[vl] = '\0';
        if (i < len) i++; /* ';' */
        char *imp = strstr(val, "!important");
        if (imp) *imp = '\0';
        collapse(val);
        double x;
        if (strcmp(prop, "display") == 0 && strcmp(val, "none") == 0) bits |= NW_HIDE_DISPLAY;
        else if (strcmp(prop, "visibility") == 0 &&
                 (strcmp(val, "hidden") == 0 || strcmp(val, "collapse") == 0))
            bits |= NW_HIDE_VISIBILITY;
        else if (strcmp(prop, "opacity") == 0 && css_num(val, &x) && x <= 0.01)
            bits |= NW_HIDE_OPACITY;
        else if ((strcmp(prop, "left") == 0 || strcmp(prop, "top") == 0 ||
                  strcmp(prop, "right") == 0 || strcmp(prop, "margin-left") == 0 ||
                  strcmp(prop, "margin-top") == 0 || strcmp(prop, "text-indent") == 0) &&
                 css_num(val, &x) && x <= -500)
            bits |= NW_HIDE_OFFSCREEN;
        else if (strcmp(prop, "margin") == 0 && css_num(val, &x) && x <= -500)
            bits |= NW_HIDE_OFFSCREEN;
        else if (strcmp(prop, "width") == 0 && css_num(val, &x)) w = x;
        else if (strcmp(prop, "height") == 0 && css_num(val, &x)) h = x;
        else if (strcmp(prop, "overflow") == 0 && strcmp(val, "hidden") == 0) ovh = 1;
        else if (strcmp(prop, "font-size") == 0 && css_num(val, &x) && x <= 2) bits |= NW_HIDE_TINYFONT;
        else if (strcmp(prop, "color") == 0) css_color(val, color, ccap);
        else if (strcmp(prop, "background-color") == 0 ||
                 (strcmp(prop, "background") == 0 && strchr(val, ' ') == NULL))
            css_color(val, bg, ccap);
    }
    if ((w <= 1 && h <= 1) || ((w <= 1 || h <= 1) && ovh)) bits |= NW_HIDE_ZEROSIZE;
    return bits;
}

/* Read the collected <style> text into rules. */
static void css_rules(struct walk *w)
{
    const char *s = w->css;
    size_t n = w->csslen, i = 0;

    while (i < n && w->nrules < NW_HTML_MAX_RULES) {
        /* comments */
        if (i + 1 < n && s[i] == '/' && s[i + 1] == '*') {
            const char *e = NULL;
            for (size_t k = i + 2; k + 1 < n; k++)
                if (s[k] == '*' && s[k + 1] == '/') {
                    e = s + k;
                    break;
                }
            i = e ? (size_t)(e - s) + 2 : n;
            continue;
        }
        if (s[i] == '}' || isspace((unsigned char)s[i]) || s[i] == ';') {
            i++;
            continue;
        }
        size_t ss = i;
        while (i < n && s[i] != '{' && s[i] != '}' && s[i] != ';') i++;
        if (i >= n) break;
        if (s[i] != '{') { /* @import ...; or junk */
            i++;
            continue;
        }
        if (s[ss] == '@') {
            if (strncasecmp(s + ss, "@media", 6) == 0 || strncasecmp(s + ss, "@supports", 9) == 0) {
                i++; /* read the inner rules as if unconditional */
                continue;
            }
            int depth = 0; /* skip the whole block */
            for (; i < n; i++) {
                if (s[i] == '{') depth++;
                else if (s[i] == '}' && --depth == 0) break;
            }
            i++;
            continue;
        }
        size_t se = i, ds = ++i;
        while (i < n && s[i] != '}') i++;
        char color[24], bg[24];
        unsigned bits = css_decls(s + ds, i - ds, color, bg, sizeof color);
        if (i < n) i++;
        if (bits == 0 && !color[0] && !bg[0]) continue;
        /* split the selector list */
        size_t a = ss;
        while (a < se && w->nrules < NW_HTML_MAX_RULES) {
            size_t b = a;
            while (b < se && s[b] != ',') b++;
            struct css_rule *r = &w->rules[w->nrules];
            size_t o = 0;
            int bad = 0;
            for (size_t k = a; k < b; k++) {
                char c = (char)tolower((unsigned char)s[k]);
                if (c == ':' || c == '[' || c == '*' || c == '+' || c == '~') bad = 1;
                if (c == '>') c = ' ';
                if (isspace((unsigned char)c)) c = ' ';
                if (o + 1 < sizeof r->sel) r->sel[o++] = c;
                else bad = 1;
            }
            r->sel[o] = '\0';
            if (!bad && collapse(r->sel) > 0) {
                r->bits = bits;
                memcpy(r->color, color, sizeof r->color);
                memcpy(r->bg, bg, sizeof r->bg);
                w->nrules++;
            }
            a = b + 1;
        }
    }
}

/* Does the compound selector c (len bytes: tag, .class, #id) match node n? */
static int compound_match(const char *c, size_t len, const xmlNode *n)
{
    size_t i = 0;
    const char *cls = attr(n, "class"), *id = attr(n, "id");

    if (len == 0) return 0;
    if (c[0] != '.' && c[0] != '#') {
        size_t t = 0;
        while (t < len && c[t] != '.' && c[t] != '#') t++;
        if (strlen((const char *)n->name) != t || strncasecmp((const char *)n->name, c, t) != 0)
            return 0;
        i = t;
    }
    while (i < len) {
        char kind = c[i++];
        size_t s = i;
        while (i < len && c[i] != '.' && c[i] != '#') i++;
        size_t l = i - s;
        if (l == 0) return 0;
        if (kind == '#') {
            if (!id || strlen(id) != l || strncasecmp(id, c + s, l) != 0) return 0;
        } else {
            /* class list contains the name */
            const char *p = cls;
            int found = 0;
            while (p && *p && !found) {
                while (*p && isspace((unsigned char)*p)) p++;
                size_t wl = 0;
                while (p[wl] && !isspace((unsigned char)p[wl])) wl++;
                if (wl == l && strncasecmp(p, c + s, l) == 0) found = 1;
                p += wl;
            }
            if (!found) return 0;
        }
    }
    return 1;
}

static int selector_match(const char *sel, const xmlNode *n, const struct anc *up)
{
    size_t len = strlen(sel), e = len, s;

    s = e;
    while (s > 0 && sel[s - 1] != ' ') s--;
    if (!compound_match(sel + s, e - s, n)) return 0;
    /* earlier compounds: some ancestors, in order (bounded by the ancestor chain) */
    while (s > 0) {
        e = s - 1;
        s = e;
        while (s > 0 && sel[s - 1] != ' ') s--;
        while (up && !compound_match(sel + s, e - s, up->n)) up = up->up;
        if (up == NULL) return 0;
        up = up->up;
    }
    return 1;
}

/* ----------------------------------------------------------- normalising -- */

static int is_tokch(unsigned char c)
{
    return isalnum(c) || c == '+' || c == '/' || c == '=' || c == '_' || c == '-';
}

/* Append text to the normalised buffer with volatile parts masked, then a newline. */
static void norm_line(struct nw_buf *b, const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0) return;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        /* dates: 2024-01-31, 2024/1/31, 2024.01.31, 2024年1月31日 */
        if (isdigit(c) && i + 8 <= n && isdigit((unsigned char)s[i + 1]) &&
            isdigit((unsigned char)s[i + 2]) && isdigit((unsigned char)s[i + 3]) &&
            (s[i + 4] == '-' || s[i + 4] == '/' || s[i + 4] == '.' ||
             (i + 7 <= n && memcmp(s + i + 4, "年", 3) == 0))) {
            size_t j = i + (s[i + 4] == '-' || s[i + 4] == '/' || s[i + 4] == '.' ? 5 : 7);
            size_t d1 = j;
            while (j < n && isdigit((unsigned char)s[j]) && j - d1 < 2) j++;
            if (j > d1 && j < n && (s[j] == s[i + 4] || (j + 3 <= n && memcmp(s + j, "月", 3) == 0))) {
                j += s[j] == s[i + 4] ? 1 : 3;
                size_t d2 = j;
                while (j < n && isdigit((unsigned char)s[j]) && j - d2 < 2) j++;
                if (j > d2) {
                    if (j + 3 <= n && memcmp(s + j, "日", 3) == 0) j += 3;
                    nw_buf_puts(b, "<date>");
                    i = j;
                    continue;
                }
            }
        }
        /* times: 12:34 or 12:34:56 */
        if (isdigit(c) && i + 4 < n + 0 && (i == 0 || !isdigit((unsigned char)s[i - 1]))) {
            size_t j = i;
            while (j < n && isdigit((unsigned char)s[j]) && j - i < 2) j++;
            if (j < n && s[j] == ':' && j + 2 < n + 0 && isdigit((unsigned char)s[j + 1]) &&
                j + 2 < n && isdigit((unsigned char)s[j + 2])) {
                j += 3;
                if (j + 2 < n && s[j] == ':' && isdigit((unsigned char)s[j + 1]) &&
                    isdigit((unsigned char)s[j + 2]))
                    j += 3;
                nw_buf_puts(b, "<time>");
                i = j;
                continue;
            }
        }
        if (is_tokch(c) && (i == 0 || !is_tokch((unsigned char)s[i - 1]))) {
            size_t j = i;
            int digits = 0, alpha = 0;
            while (j < n && is_tokch((unsigned char)s[j])) {
                digits += isdigit((unsigned char)s[j]) != 0;
                alpha += isalpha((unsigned char)s[j]) != 0;
                j++;
            }
            if (digits >= 9 && alpha == 0 && j - i == (size_t)digits) {
                nw_buf_puts(b, "<num>");
                i = j;
                continue;
            }
            if (j - i >= 20 && digits > 0 && alpha > 0) {
                nw_buf_puts(b, "<tok>");
                i = j;
                continue;
            }
            nw_buf_append(b, s + i, j - i);
            i = j;
            continue;
        }
        nw_buf_putc(b, (char)c);
        i++;
    }
    nw_buf_putc(b, '\n');
}

static void norm_text(struct walk *w, const char *t)
{
    char buf[4096];
    size_t n = strlen(t);
    while (n > 0) { /* long text in pieces (a piece never splits a line mid-way badly) */
        size_t k = n < sizeof buf - 1 ? n : sizeof buf - 1;
        memcpy(buf, t, k);
        buf[k] = '\0';
        size_t l = collapse(buf);
        if (l) norm_line(&w->norm, buf, l);
        t += k;
        n -= k;
    }
}

static void norm_elem(struct walk *w, const xmlNode *n)
{
    static const char *const tags[] = {"a", "img", "script", "iframe", "link", "form", "meta",
                                       "embed", "object", "frame", "area", "input", "base"};
    static const char *const attrs[] = {"href", "src", "action", "data", "content", "name",
                                        "http-equiv", "type", "value"};
    char line[1200];
    size_t o = 0;
    int want = 0;

    for (size_t i = 0; i < NW_ARRAY_LEN(tags); i++) want |= is_tag(n, tags[i]);
    if (!want) return;
    const char *type = attr(n, "type"), *name = attr(n, "name");
    if (is_tag(n, "input") && type && strcasecmp(type, "hidden") == 0) return;
    if (is_tag(n, "meta") && name && (strcasestr(name, "csrf") || strcasestr(name, "token")))
        return;
    o += (size_t)snprintf(line + o, sizeof line - o, "<%s", (const char *)n->name);
    for (size_t i = 0; i < NW_ARRAY_LEN(attrs) && o < sizeof line - 1; i++) {
        const char *v = attr(n, attrs[i]);
        if (v == NULL) continue;
        if (strcmp(attrs[i], "value") == 0 && !is_tag(n, "input")) continue;
        int k = snprintf(line + o, sizeof line - o, " %s=%.400s", attrs[i], v);
        if (k < 0) break;
        o = NW_MIN(o + (size_t)k, sizeof line - 1);
    }
    if (o < sizeof line - 1) line[o++] = '>';
    line[o] = '\0';
    for (size_t i = 0; i < o; i++)
        if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
    norm_line(&w->norm, line, o);
}

/* ------------------------------------------------------------------ walk -- */

struct style_ctx {
    unsigned bits;
    char color[24], bg[24];
};

static void text_of(const xmlNode *n, char *out, size_t cap, size_t *o, int depth)
{
    for (const xmlNode *c = n->children; c && *o + 1 < cap && depth < 32; c = c->next) {
        if (c->type == XML_TEXT_NODE && c->content) {
            size_t l = strlen((const char *)c->content);
            if (l > cap - 1 - *o) l = cap - 1 - *o;
            memcpy(out + *o, c->content, l);
            *o += l;
            if (*o + 1 < cap) out[(*o)++] = ' ';
        } else if (c->type == XML_ELEMENT_NODE) {
            const char *alt = attr(c, "alt"), *title = attr(c, "title");
            if (alt || title) {
                int k = snprintf(out + *o, cap - *o, "%s ", alt ? alt : title);
                if (k > 0) *o = NW_MIN(*o + (size_t)k, cap - 1);
            }
            text_of(c, out, cap, o, depth + 1);
        }
    }
    out[*o] = '\0';
}

static void add_field(struct walk *w, const xmlNode *n)
{
    struct nw_html_form *f;
    const char *name = attr(n, "name"), *val = attr(n, "value"), *type = attr(n, "type");

    if (w->form < 0 || name == NULL || !*name) return;
    if (type && (strcasecmp(type, "file") == 0 || strcasecmp(type, "image") == 0 ||
                 strcasecmp(type, "reset") == 0))
        return;
    f = &w->d->forms[w->form];
    if (f->n >= NW_HTML_MAX_FIELDS) {
        w->d->limited = 1;
        return;
    }
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->names[i], name) == 0) return;
    if (f->n == 0) {
        f->names = nw_calloc(NW_HTML_MAX_FIELDS, sizeof *f->names);
        f->values = nw_calloc(NW_HTML_MAX_FIELDS, sizeof *f->values);
        if (f->names == NULL || f->values == NULL) {
            w->oom = 1;
            return;
        }
    }
    f->names[f->n] = dup_cut(name, strlen(name), 128);
    f->values[f->n] = dup_cut(val ? val : "", val ? strlen(val) : 0, 256);
    if (f->names[f->n] == NULL || f->values[f->n] == NULL) {
        nw_free(f->names[f->n]);
        nw_free(f->values[f->n]);
        w->oom = 1;
        return;
    }
    f->n++;
}

static void add_res(struct walk *w, const char *ref, int script)
{
    char abs[NW_URL_PATH_MAX + NW_URL_HOST_MAX + 32];
    if (ref == NULL || resolve_text(&w->base, ref, abs, sizeof abs) != 0) return;
    if (push_str(&w->d->res, &w->d->nres, &w->d->capres, NW_HTML_MAX_RES, abs, &w->d->limited))
        w->oom = 1;
    if (script &&
        push_str(&w->d->scripts, &w->d->nscripts, &w->d->capscripts, 64, abs, &w->d->limited))
        w->oom = 1;
}

static void walk(struct walk *w, const xmlNode *n, const struct style_ctx *ctx,
                 const struct anc *up, int depth)
{
    for (; n && !w->oom; n = n->next) {
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content) norm_text(w, (const char *)n->content);
            continue;
        }
        if (n->type != XML_ELEMENT_NODE || n->name == NULL) continue;
        if (depth >= NW_HTML_MAX_DEPTH) {
            w->d->limited = 1;
            continue;
        }
        struct style_ctx c = *ctx;
        struct anc me = {n, up};
        const char *st = attr(n, "style"), *v;
        char color[24], bg[24];

        for (size_t i = 0; i < w->nrules; i++)
            if (selector_match(w->rules[i].sel, n, up)) {
                c.bits |= w->rules[i].bits;
                if (w->rules[i].color[0]) memcpy(c.color, w->rules[i].color, sizeof c.color);
                if (w->rules[i].bg[0]) memcpy(c.bg, w->rules[i].bg, sizeof c.bg);
            }
        if (st) {
            c.bits |= css_decls(st, strlen(st), color, bg, sizeof color);
            if (color[0]) memcpy(c.color, color, sizeof c.color);
            if (bg[0]) memcpy(c.bg, bg, sizeof c.bg);
        }
        if (attr(n, "hidden")) c.bits |= NW_HIDE_ATTR;
        if ((v = attr(n, "bgcolor")) != NULL) css_color(v, c.bg, sizeof c.bg);
        if (is_tag(n, "font") && (v = attr(n, "color")) != NULL) css_color(v, c.color, sizeof c.color);
        if (is_tag(n, "marquee")) {
            const char *mw = attr(n, "width"), *mh = attr(n, "height");
            double x;
            if ((mw && css_num(mw, &x) && x <= 1) || (mh && css_num(mh, &x) && x <= 1))
                c.bits |= NW_HIDE_ATTR;
        }
        norm_elem(w, n);

        if (is_tag(n, "style") || is_tag(n, "noscript") || is_tag(n, "template")) {
            /* style text was read before the walk; noscript/template do not render links */
            if (is_tag(n, "style")) for (const xmlNode *t = n->children; t; t = t->next)
                if (t->content) norm_text(w, (const char *)t->content);
            continue;
        }
        if (is_tag(n, "script")) {
            if ((v = attr(n, "src")) != NULL) add_res(w, v, 1);
            for (const xmlNode *t = n->children; t; t = t->next)
                if (t->content) {
                    norm_text(w, (const char *)t->content);
                    nw_html_script_links((const char *)t->content, strlen((const char *)t->content),
                                         NULL, w->d);
                }
            continue;
        }
        if ((is_tag(n, "a") || is_tag(n, "area")) && (v = attr(n, "href")) != NULL) {
            char text[TEXT_MAX * 2];
            size_t o = 0;
            text_of(n, text, sizeof text, &o, 0);
            unsigned bits = c.bits;
            if (c.color[0] && c.bg[0] && strcmp(c.color, c.bg) == 0) bits |= NW_HIDE_COLOR;
            if (add_link(w->d, &w->base, v, strlen(v), text, o, "a", bits) != 0) w->oom = 1;
        } else if ((is_tag(n, "iframe") || is_tag(n, "frame")) && (v = attr(n, "src")) != NULL) {
            const char *fw = attr(n, "width"), *fh = attr(n, "height");
            double x;
            unsigned bits = c.bits;
            if ((fw && css_num(fw, &x) && x <= 1) || (fh && css_num(fh, &x) && x <= 1))
                bits |= NW_HIDE_ZEROSIZE;
            add_res(w, v, 0);
            if (add_link(w->d, &w->base, v, strlen(v), "", 0, "iframe", bits) != 0) w->oom = 1;
        } else if (is_tag(n, "meta") && (v = attr(n, "http-equiv")) != NULL &&
                   strcasecmp(v, "refresh") == 0 && (v = attr(n, "content")) != NULL) {
            const char *u = strcasestr(v, "url=");
            if (u) {
                u += 4;
                while (*u == '\'' || *u == '"' || *u == ' ') u++;
                size_t l = strcspn(u, "'\"");
                if (add_link(w->d, &w->base, u, l, "", 0, "meta-refresh", c.bits) != 0) w->oom = 1;
            }
        } else if (is_tag(n, "img") || is_tag(n, "embed") || is_tag(n, "source")) {
            add_res(w, attr(n, "src"), 0);
        } else if (is_tag(n, "link")) {
            add_res(w, attr(n, "href"), 0);
        } else if (is_tag(n, "title") && !w->d->title[0]) {
            char text[256];
            size_t o = 0;
            text_of(n, text, sizeof text, &o, 0);
            collapse(text);
            snprintf(w->d->title, sizeof w->d->title, "%s", text);
        } else if (is_tag(n, "input") || is_tag(n, "select") || is_tag(n, "textarea") ||
                   is_tag(n, "button")) {
            add_field(w, n);
        }
        if (is_tag(n, "form")) {
            long saved = w->form;
            struct nw_html_form *f;
            char abs[NW_URL_PATH_MAX + NW_URL_HOST_MAX + 32];
            const char *act = attr(n, "action"), *m = attr(n, "method");
            if (w->d->nforms >= NW_HTML_MAX_FORMS) {
                w->d->limited = 1;
            } else if (grow((void **)&w->d->forms, &w->d->capforms, w->d->nforms + 1,
                            sizeof *w->d->forms) != 0) {
                w->oom = 1;
                return;
            } else {
                f = &w->d->forms[w->d->nforms];
                memset(f, 0, sizeof *f);
                if (resolve_text(&w->base, act && *act ? act : "", abs, sizeof abs) != 0)
                    nw_web_url_format(&w->base, abs, sizeof abs);
                f->action = nw_strndup(abs, strlen(abs));
                f->get = m == NULL || strcasecmp(m, "get") == 0;
                if (f->action == NULL) {
                    w->oom = 1;
                    return;
                }
                w->form = (long)w->d->nforms++;
            }
            walk(w, n->children, &c, &me, depth + 1);
            w->form = saved;
            continue;
        }
        walk(w, n->children, &c, &me, depth + 1);
    }
}

/* Gather the text of every <style> element (before the walk, so rules apply everywhere). */
static void gather_css(struct walk *w, const xmlNode *n, int depth)
{
    for (; n && depth < NW_HTML_MAX_DEPTH; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) continue;
        if (is_tag(n, "style")) {
            for (const xmlNode *t = n->children; t; t = t->next) {
                if (!t->content) continue;
                size_t l = strlen((const char *)t->content);
                if (w->csslen + l + 2 > CSS_MAX) return;
                char *nc = nw_realloc(w->css, w->csslen + l + 2);
                if (nc == NULL) {
                    w->oom = 1;
                    return;
                }
                w->css = nc;
                memcpy(w->css + w->csslen, t->content, l);
                w->csslen += l;
                w->css[w->csslen++] = '\n';
                w->css[w->csslen] = '\0';
            }
            continue;
        }
        gather_css(w, n->children, depth + 1);
    }
}

static void silent(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

int nw_html_extract(const char *html, size_t len, const char *base_url, struct nw_html_doc *d)
{
    struct walk w;
    struct style_ctx root;
    htmlDocPtr doc = NULL;
    int rc = 0;

    memset(d, 0, sizeof *d);
    memset(&w, 0, sizeof w);
    memset(&root, 0, sizeof root);
    w.d = d;
    w.form = -1;
    if (nw_web_url_parse(base_url, &w.base) != 0) return NW_EFORMAT;
    nw_buf_init(&w.norm, NW_HTML_MAX_NORM);
    if (len > INT32_MAX) len = INT32_MAX;
    xmlSetGenericErrorFunc(NULL, silent);
    doc = htmlReadMemory(len ? html : " ", len ? (int)len : 1, base_url, NULL,
                         HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                             HTML_PARSE_NONET | HTML_PARSE_COMPACT | HTML_PARSE_NOBLANKS);
    if (doc == NULL) goto out; /* nothing parseable: an empty document */
    w.rules = nw_calloc(NW_HTML_MAX_RULES, sizeof *w.rules);
    if (w.rules == NULL) {
        rc = NW_ENOMEM;
        goto out;
    }
    gather_css(&w, xmlDocGetRootElement(doc), 0);
    if (w.css) css_rules(&w);
    walk(&w, xmlDocGetRootElement(doc), &root, NULL, 0);
    if (w.oom) rc = NW_ENOMEM;
out:
    if (!nw_buf_ok(&w.norm)) d->limited = 1; /* keep what fit */
    if (w.norm.len > 0) {
        d->norm = nw_strndup(w.norm.data, w.norm.len);
        if (d->norm == NULL) rc = NW_ENOMEM;
        else d->normlen = w.norm.len;
    }
    /* script links were added without a base: resolve them now */
    for (size_t i = 0; i < d->nlinks; i++) {
        struct nw_html_link *l = &d->links[i];
        struct nw_url u;
        char abs[NW_URL_PATH_MAX + NW_URL_HOST_MAX + 32];
        if (l->url || !(l->hidden & NW_HIDE_SCRIPT)) continue;
        if (nw_web_url_resolve(&w.base, l->href, strlen(l->href), &u) == 0) {
            nw_web_url_format(&u, abs, sizeof abs);
            l->url = nw_strndup(abs, strlen(abs));
        }
    }
    nw_buf_fini(&w.norm);
    nw_free(w.rules);
    nw_free(w.css);
    if (doc) xmlFreeDoc(doc);
    return rc;
}

/* ---------------------------------------------------------------- script -- */

/* Undo JS string escapes and string concatenation ("<a hr" + "ef=") into out. */
static size_t js_unescape(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 < cap; i++) {
        char c = s[i];
        if (c == '\\' && i + 1 < n) {
            char e = s[++i];
            if (e == 'x' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
                isxdigit((unsigned char)s[i + 2])) {
                char h[3] = {s[i + 1], s[i + 2], 0};
                out[o++] = (char)strtol(h, NULL, 16);
                i += 2;
            } else if (e == 'u' && i + 4 < n && isxdigit((unsigned char)s[i + 1]) &&
                       isxdigit((unsigned char)s[i + 2]) && isxdigit((unsigned char)s[i + 3]) &&
                       isxdigit((unsigned char)s[i + 4])) {
                char h[5] = {s[i + 1], s[i + 2], s[i + 3], s[i + 4], 0};
                unsigned long cp = strtoul(h, NULL, 16);
                if (cp < 0x80) {
                    out[o++] = (char)cp;
                } else if (cp < 0x800) {
                    out[o++] = (char)(0xc0 | (cp >> 6));
                    out[o++] = (char)(0x80 | (cp & 0x3f));
                } else if (cp >= 0xd800 && cp < 0xe000) {
                    out[o++] = '?'; /* a lone surrogate half */
                } else {
                    out[o++] = (char)(0xe0 | (cp >> 12));
                    out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
                    out[o++] = (char)(0x80 | (cp & 0x3f));
                }
                i += 4;
            } else if (e == 'n' || e == 't' || e == 'r') {
                out[o++] = ' ';
            } else {
                out[o++] = e;
            }
            continue;
        }
        /* '...' + '...' and "..." + "..." joins */
        if ((c == '\'' || c == '"') && i + 1 < n) {
            size_t j = i + 1;
            while (j < n && (s[j] == ' ' || s[j] == '\n' || s[j] == '\t' || s[j] == '\r')) j++;
            if (j < n && s[j] == '+') {
                j++;
                while (j < n && (s[j] == ' ' || s[j] == '\n' || s[j] == '\t' || s[j] == '\r')) j++;
                if (j < n && (s[j] == '\'' || s[j] == '"')) {
                    i = j;
                    continue;
                }
            }
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return o;
}

size_t nw_html_script_links(const char *js, size_t len, const char *base_url,
                            struct nw_html_doc *d)
{
    static const char *const sinks[] = {"document.write", "innerhtml", "outerhtml",
                                        "insertadjacenthtml", "location.href", "location.replace",
                                        "window.location", "location.assign", "window.open"};
    char *buf;
    size_t n, added = 0, before = d->nlinks;
    int writes = 0, locs = 0;
    struct nw_url base;
    int have_base = base_url && nw_web_url_parse(base_url, &base) == 0;
    struct nw_url dummy;

    nw_web_url_parse("http://unresolved.invalid/", &dummy);

    if (len > 512 * 1024) len = 512 * 1024;
    for (size_t k = 0; k < NW_ARRAY_LEN(sinks); k++) {
        const char *p = sinks[k];
        size_t pl = strlen(p);
        for (size_t i = 0; i + pl <= len; i++)
            if (strncasecmp(js + i, p, pl) == 0) {
                if (k < 4) writes = 1;
                else locs = 1;
                break;
            }
    }
    if (!writes && !locs) return 0;
    buf = nw_alloc(len + 8);
    if (buf == NULL) return 0;
    n = js_unescape(js, len, buf, len + 8);
    if (writes) {
        /* every <a ... href=X ...>TEXT</a> and <iframe src=X> in the unescaped text */
        for (size_t i = 0; i + 2 < n && d->nlinks < NW_HTML_MAX_LINKS; i++) {
            if (buf[i] != '<') continue;
            int a = (buf[i + 1] == 'a' || buf[i + 1] == 'A') && isspace((unsigned char)buf[i + 2]);
            int fr = i + 8 < n && strncasecmp(buf + i + 1, "iframe", 6) == 0;
            if (!a && !fr) continue;
            size_t e = i + 1;
            while (e < n && buf[e] != '>' && e - i < 2048) e++;
            const char *key = a ? "href" : "src";
            const char *h = NULL;
            for (size_t k = i; k + 4 < e; k++)
                if (strncasecmp(buf + k, key, strlen(key)) == 0 &&
                    isspace((unsigned char)buf[k - 1])) {
                    size_t q = k + strlen(key);
                    while (q < e && buf[q] == ' ') q++;
                    if (q < e && buf[q] == '=') {
                        h = buf + q + 1;
                        break;
                    }
                }
            if (h == NULL) continue;
            while (h < buf + e && (*h == ' ')) h++;
            char quote = (*h == '"' || *h == '\'') ? *h : 0;
            if (quote) h++;
            size_t hl = 0;
            while (h + hl < buf + e && (quote ? h[hl] != quote : !isspace((unsigned char)h[hl])))
                hl++;
            /* link text: up to </a> with tags dropped */
            char text[TEXT_MAX];
            size_t to = 0;
            int intag = 0;
            for (size_t k = e + 1; k < n && to + 1 < sizeof text && k - e < 1024; k++) {
                if (a && k + 3 < n && strncasecmp(buf + k, "</a", 3) == 0) break;
                if (buf[k] == '<') intag = 1;
                else if (buf[k] == '>') intag = 0;
                else if (!intag) text[to++] = buf[k];
            }
            text[to] = '\0';
            if (add_link(d, have_base ? &base : &dummy, h, hl, text, to, "script",
                         NW_HIDE_SCRIPT) != 0)
                break;
            if (!have_base) { /* resolved by the caller (nw_html_extract) */
                nw_free(d->links[d->nlinks - 1].url);
                d->links[d->nlinks - 1].url = NULL;
            }
            i = e;
        }
    }
    if (locs) {
        /* location.href = "X", location.replace("X"), window.open("X") */
        for (size_t i = 0; i + 8 < n && d->nlinks < NW_HTML_MAX_LINKS; i++) {
            size_t k = 0, pl = 0;
            for (k = 4; k < NW_ARRAY_LEN(sinks); k++) {
                pl = strlen(sinks[k]);
                if (i + pl <= n && strncasecmp(buf + i, sinks[k], pl) == 0) break;
            }
            if (k == NW_ARRAY_LEN(sinks)) continue;
            size_t q = i + pl;
            while (q < n && (buf[q] == ' ' || buf[q] == '=' || buf[q] == '(' ||
                             (buf[q] == '.' && q + 5 < n && strncasecmp(buf + q, ".href", 5) == 0 &&
                              (q += 4)))) q++;
            if (q >= n || (buf[q] != '"' && buf[q] != '\'')) continue;
            char quote = buf[q++];
            size_t hl = 0;
            while (q + hl < n && buf[q + hl] != quote && hl < HREF_MAX) hl++;
            if (hl == 0) continue;
            if (add_link(d, have_base ? &base : &dummy, buf + q, hl, "", 0, "script",
                         NW_HIDE_SCRIPT) != 0)
                break;
            if (!have_base) {
                nw_free(d->links[d->nlinks - 1].url);
                d->links[d->nlinks - 1].url = NULL;
            }
            i = q + hl;
        }
    }
    nw_free(buf);
    added = d->nlinks - before;
    return added;
}

void nw_html_doc_free(struct nw_html_doc *d)
{
    for (size_t i = 0; i < d->nlinks; i++) {
        nw_free(d->links[i].url);
        nw_free(d->links[i].href);
        nw_free(d->links[i].text);
    }
    for (size_t i = 0; i < d->nforms; i++) {
        for (size_t k = 0; k < d->forms[i].n; k++) {
            nw_free(d->forms[i].names[k]);
            nw_free(d->forms[i].values[k]);
        }
        nw_free(d->forms[i].names);
        nw_free(d->forms[i].values);
        nw_free(d->forms[i].action);
    }
    for (size_t i = 0; i < d->nscripts; i++) nw_free(d->scripts[i]);
    for (size_t i = 0; i < d->nres; i++) nw_free(d->res[i]);
    nw_free(d->links);
    nw_free(d->forms);
    nw_free(d->scripts);
    nw_free(d->res);
    nw_free(d->norm);
    memset(d, 0, sizeof *d);
}
