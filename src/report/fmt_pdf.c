/*
 * fmt_pdf.c - the report as a PDF, drawn natively with cairo and laid out
 * with pango: A4 pages, a cover, running header, "page N of M" footer,
 * headings kept with what follows, tables that break across pages (header
 * row repeated, rows never split unless taller than a page, then clipped),
 * charts drawn with cairo (findings by severity, by category, trend), and a
 * PDF outline (bookmarks) of the sections.
 *
 * Chinese text: fonts are asked for by fontconfig family names, Noto Sans
 * CJK SC first, then WenQuanYi Micro Hei, then any sans-serif (fontconfig
 * falls back per glyph). Text is laid out twice: a first pass counts the
 * pages (output discarded) so the footer can say "of M"; the second writes.
 * Every text is made valid UTF-8 before pango sees it (results files are
 * untrusted bytes).
 */
#include "report_int.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <string.h>

#include "nw/inspect.h"

#define PAGE_W 595.276 /* A4 in points */
#define PAGE_H 841.890
#define MARGIN_X 56.0
#define MARGIN_TOP 62.0
#define MARGIN_BOT 60.0
#define CONTENT_W (PAGE_W - 2 * MARGIN_X)
#define BOTTOM (PAGE_H - MARGIN_BOT)
#define FAMILY "Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif"
#define PAD 3.5

struct pdf {
    cairo_surface_t *surf;
    cairo_t *cr;
    PangoContext *pc;
    const struct nw__rdoc *d;
    int lang;
    int page;       /* current page, 1-based (0 = none yet) */
    int total;      /* pages, known in the second pass (0 in the first) */
    int draw_outline;
    double y;
};

static void rgb(cairo_t *cr, uint32_t c)
{
    cairo_set_source_rgb(cr, ((c >> 16) & 0xff) / 255.0, ((c >> 8) & 0xff) / 255.0,
                         (c & 0xff) / 255.0);
}

/* A layout of text (made valid UTF-8) at size pt, wrapped at width (<= 0: no wrap). */
static PangoLayout *lay(struct pdf *p, const char *text, double size, int bold, double width)
{
    PangoLayout *l = pango_layout_new(p->pc);
    PangoFontDescription *fd = pango_font_description_from_string(FAMILY);
    gchar *valid = g_utf8_make_valid(text ? text : "", -1);
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    if (bold) pango_font_description_set_weight(fd, PANGO_WEIGHT_BOLD);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    if (width > 0) {
        pango_layout_set_width(l, (int)(width * PANGO_SCALE));
        pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    }
    pango_layout_set_text(l, valid, -1);
    g_free(valid);
    return l;
}

static double lay_h(PangoLayout *l)
{
    int w, h;
    pango_layout_get_size(l, &w, &h);
    return (double)h / PANGO_SCALE;
}

static double lay_w(PangoLayout *l)
{
    int w, h;
    pango_layout_get_size(l, &w, &h);
    return (double)w / PANGO_SCALE;
}

static void show(struct pdf *p, PangoLayout *l, double x, double y)
{
    cairo_move_to(p->cr, x, y);
    pango_cairo_show_layout(p->cr, l);
}

/* One line of text; align 0 left, 1 centre, 2 right of x. Returns its height. */
static double text_at(struct pdf *p, const char *s, double x, double y, double size, int bold,
                      uint32_t colour, int align)
{
    PangoLayout *l = lay(p, s, size, bold, -1);
    double w = lay_w(l), h = lay_h(l);
    rgb(p->cr, colour);
    show(p, l, align == 1 ? x - w / 2 : align == 2 ? x - w : x, y);
    g_object_unref(l);
    return h;
}

static void footer(struct pdf *p)
{
    char n[16], t[16];
    struct nw_buf b;
    const char *tp = nw__rs(p->lang, RS_PAGE);
    if (p->page <= 1) return; /* not on the cover */
    snprintf(n, sizeof n, "%d", p->page);
    snprintf(t, sizeof t, "%d", p->total ? p->total : p->page);
    nw_buf_init(&b, 0);
    for (const char *s = tp; *s; s++) {
        if (s[0] == '{' && (s[1] == '0' || s[1] == '1') && s[2] == '}') {
            nw_buf_puts(&b, s[1] == '0' ? n : t);
            s += 2;
        } else {
            nw_buf_putc(&b, *s);
        }
    }
    nw_buf_putc(&b, '\0');
    if (b.data) text_at(p, b.data, PAGE_W / 2, PAGE_H - 40, 8.5, 0, 0x666666, 1);
    nw_buf_fini(&b);
}

static void header_line(struct pdf *p)
{
    const struct nw_report *m = p->d->m;
    char left[512];
    if (p->page <= 1) return;
    snprintf(left, sizeof left, "%s%s%s", m->unit_name, m->unit_name[0] ? "  " : "",
             nw__rs(p->lang, RS_TITLE));
    text_at(p, left, MARGIN_X, 30, 8, 0, 0x777777, 0);
    text_at(p, m->run_id, PAGE_W - MARGIN_X, 30, 8, 0, 0x777777, 2);
    cairo_set_line_width(p->cr, 0.5);
    rgb(p->cr, 0xbbbbbb);
    cairo_move_to(p->cr, MARGIN_X, 44);
    cairo_line_to(p->cr, PAGE_W - MARGIN_X, 44);
    cairo_stroke(p->cr);
}

static void new_page(struct pdf *p)
{
    if (p->page > 0) {
        footer(p);
        cairo_show_page(p->cr);
    }
    p->page++;
    p->y = MARGIN_TOP;
    header_line(p);
}

/* Room for h more points on this page, else a new page. */
static void ensure(struct pdf *p, double h)
{
    if (p->page == 0 || (p->y + h > BOTTOM && p->y > MARGIN_TOP + 1)) new_page(p);
}

/* ------------------------------------------------------------ blocks -- */

static void cover(struct pdf *p, const struct nw__rblock *b)
{
    const struct nw_report *m = p->d->m;
    PangoLayout *l;
    double y = 250;
    char line[256];

    ensure(p, 0);
    rgb(p->cr, 0x1f4e79);
    cairo_rectangle(p->cr, MARGIN_X, 200, CONTENT_W, 3);
    cairo_fill(p->cr);
    y += text_at(p, b->text, PAGE_W / 2, y, 26, 1, 0x1f4e79, 1) + 30;
    l = lay(p, b->sub, 13, 0, CONTENT_W);
    pango_layout_set_alignment(l, PANGO_ALIGN_CENTER);
    rgb(p->cr, 0x333333);
    show(p, l, MARGIN_X, y);
    y += lay_h(l) + 40;
    g_object_unref(l);
    /* the numbers that matter, in a row of boxes */
    {
        const char *lab[4] = {nw__rs(p->lang, RS_COL_CHECKS), nw__rs(p->lang, RS_COL_FAIL),
                              nw__rs(p->lang, RS_SEV_CRITICAL), nw__rs(p->lang, RS_SEV_HIGH)};
        size_t val[4] = {m->nitems, m->counts[NW_VERDICT_FAIL], m->fail_sev[NW_SEV_CRITICAL],
                         m->fail_sev[NW_SEV_HIGH]};
        uint32_t col[4] = {0x1f4e79, 0x1f4e79, nw__sev_rgb[4], nw__sev_rgb[3]};
        double bw = (CONTENT_W - 3 * 12) / 4;
        for (int i = 0; i < 4; i++) {
            double x = MARGIN_X + i * (bw + 12);
            cairo_set_line_width(p->cr, 1);
            rgb(p->cr, 0xb8c4d0);
            cairo_rectangle(p->cr, x, y, bw, 70);
            cairo_stroke(p->cr);
            snprintf(line, sizeof line, "%zu", val[i]);
            text_at(p, line, x + bw / 2, y + 10, 24, 1, col[i], 1);
            text_at(p, lab[i], x + bw / 2, y + 46, 10, 0, 0x444444, 1);
        }
    }
    text_at(p, "netwarden " NW_VERSION, PAGE_W / 2, PAGE_H - 90, 9, 0, 0x888888, 1);
    p->y = BOTTOM + 1; /* the content starts on the next page */
}

/* keep: the height of what must follow on the same page (a table header and
 * a row, or a whole chart) so that a heading is never left alone at a page's
 * foot. */
static void heading(struct pdf *p, const char *text, int level, double keep)
{
    double size = level == 2 ? 15 : 12;
    PangoLayout *l = lay(p, text, size, 1, CONTENT_W);
    double h = lay_h(l);
    ensure(p, h + keep);
    p->y += p->y > MARGIN_TOP + 1 ? (level == 2 ? 14 : 8) : 0;
    rgb(p->cr, 0x1f4e79);
    show(p, l, MARGIN_X, p->y);
    p->y += h + 3;
    if (level == 2) {
        cairo_set_line_width(p->cr, 1.2);
        cairo_move_to(p->cr, MARGIN_X, p->y);
        cairo_line_to(p->cr, PAGE_W - MARGIN_X, p->y);
        cairo_stroke(p->cr);
        p->y += 6;
        if (p->draw_outline) {
            char dest[96];
            snprintf(dest, sizeof dest, "page=%d pos=[%.0f %.0f]", p->page, MARGIN_X,
                     p->y - h - 20);
            gchar *valid = g_utf8_make_valid(text, -1);
            cairo_pdf_surface_add_outline(p->surf, CAIRO_PDF_OUTLINE_ROOT, valid, dest, 0);
            g_free(valid);
        }
    } else {
        p->y += 2;
    }
}

static void paragraph(struct pdf *p, const char *text, double size, uint32_t colour,
                      double indent, const char *bullet)
{
    PangoLayout *l = lay(p, text, size, 0, CONTENT_W - indent);
    double h = lay_h(l);
    pango_layout_set_spacing(l, (int)(2.5 * PANGO_SCALE));
    h = lay_h(l);
    if (h > BOTTOM - MARGIN_TOP) h = BOTTOM - MARGIN_TOP; /* never loops on a giant text */
    ensure(p, h);
    if (bullet) text_at(p, bullet, MARGIN_X + indent - 4, p->y, size, 0, colour, 2);
    rgb(p->cr, colour);
    cairo_save(p->cr);
    cairo_rectangle(p->cr, MARGIN_X, p->y, CONTENT_W, h + 1);
    cairo_clip(p->cr);
    show(p, l, MARGIN_X + indent, p->y);
    cairo_restore(p->cr);
    p->y += h + 7;
    g_object_unref(l);
}

/* Lay out one row; returns its height (clipped to a page). */
static double row_layouts(struct pdf *p, const struct nw__rblock *b, size_t r, const double *cw,
                          PangoLayout **ls, int bold, double size)
{
    double h = 0;
    for (size_t c = 0; c < b->ncols; c++) {
        ls[c] = lay(p, b->cells[r * b->ncols + c], size, bold || (b->type == RB_KV && c == 0),
                    cw[c] - 2 * PAD);
        h = NW_MAX(h, lay_h(ls[c]));
    }
    h += 2 * PAD;
    return NW_MIN(h, BOTTOM - MARGIN_TOP - 40);
}

static void draw_row(struct pdf *p, const struct nw__rblock *b, const double *cw,
                     PangoLayout **ls, double h, int head, int sev)
{
    double x = MARGIN_X;
    for (size_t c = 0; c < b->ncols; c++) {
        if (head || (b->type == RB_KV && c == 0)) {
            rgb(p->cr, head ? 0xe8eef5 : 0xf3f6f9);
            cairo_rectangle(p->cr, x, p->y, cw[c], h);
            cairo_fill(p->cr);
        }
        if (!head && sev >= 0 && (int)c == b->chart) {
            rgb(p->cr, nw__sev_rgb[sev]);
            cairo_rectangle(p->cr, x, p->y, 4, h);
            cairo_fill(p->cr);
        }
        cairo_save(p->cr);
        cairo_rectangle(p->cr, x, p->y, cw[c], h);
        cairo_clip(p->cr);
        rgb(p->cr, 0x222222);
        show(p, ls[c], x + PAD + ((!head && sev >= 0 && (int)c == b->chart) ? 3 : 0), p->y + PAD);
        cairo_restore(p->cr);
        cairo_set_line_width(p->cr, 0.5);
        rgb(p->cr, 0xb8c4d0);
        cairo_rectangle(p->cr, x, p->y, cw[c], h);
        cairo_stroke(p->cr);
        x += cw[c];
    }
    p->y += h;
}

static void free_row(PangoLayout **ls, size_t n)
{
    for (size_t c = 0; c < n; c++)
        if (ls[c]) g_object_unref(ls[c]);
}

static void table(struct pdf *p, const struct nw__rblock *b)
{
    double cw[16], sum = 0, hh = 0, size = b->type == RB_KV ? 9.5 : 8.5;
    PangoLayout *hl[16] = {0}, *ls[16] = {0};
    size_t body0 = b->type == RB_TABLE ? 1 : 0;
    if (b->nrows == 0 || b->ncols == 0 || b->ncols > 16) return;
    for (size_t c = 0; c < b->ncols; c++) sum += b->widths ? b->widths[c] : 1.0;
    for (size_t c = 0; c < b->ncols; c++)
        cw[c] = CONTENT_W * (b->widths ? b->widths[c] : 1.0) / sum;
    if (body0) hh = row_layouts(p, b, 0, cw, hl, 1, size);
    for (size_t r = 0; r < b->nrows; r++) {
        double h = row_layouts(p, b, r + body0, cw, ls, 0, size);
        int first = r == 0;
        if (p->page == 0 || p->y + h + (first ? hh : 0) > BOTTOM) {
            new_page(p);
            first = 1;
        }
        if (first && body0) draw_row(p, b, cw, hl, hh, 1, -1);
        draw_row(p, b, cw, ls, h, 0, b->row_sev ? b->row_sev[r] : -1);
        free_row(ls, b->ncols);
    }
    free_row(hl, b->ncols);
    p->y += 10;
}

static void bullets(struct pdf *p, const struct nw__rblock *b)
{
    char n[24];
    for (size_t r = 0; r < b->nrows; r++) {
        snprintf(n, sizeof n, "%zu.", r + 1);
        paragraph(p, b->cells[r], 10.5, 0x222222, 18, n);
    }
}

static void caption(struct pdf *p, const char *text)
{
    p->y += text_at(p, text, PAGE_W / 2, p->y, 9.5, 1, 0x333333, 1) + 4;
}

static void bars(struct pdf *p, const struct nw__rblock *b)
{
    const struct nw_report *m = p->d->m;
    size_t n = 0, max = 1;
    const double left = 150, right = 40, bh = 15, gap = 7;
    char v[24];
    if (b->chart == CH_SEVERITY) {
        n = NW_REPORT_NSEV;
        for (int s = 0; s < NW_REPORT_NSEV; s++) max = NW_MAX(max, m->fail_sev[s]);
    } else {
        for (size_t i = 0; i < m->ncats; i++)
            if (m->cats[i].fail) n++, max = NW_MAX(max, m->cats[i].fail);
    }
    double h = (double)n * (bh + gap) + 24, span = CONTENT_W - left - right;
    ensure(p, h + 10);
    caption(p, b->text);
    for (size_t r = 0, i = 0; r < n; i++) {
        double y = p->y + (double)r * (bh + gap), x = MARGIN_X + left;
        const char *label;
        size_t total;
        if (b->chart == CH_SEVERITY) {
            int s = NW_REPORT_NSEV - 1 - (int)i;
            label = nw__rs_sev(p->lang, s);
            total = m->fail_sev[s];
            rgb(p->cr, nw__sev_rgb[s]);
            cairo_rectangle(p->cr, x, y, span * (double)total / (double)max, bh);
            cairo_fill(p->cr);
        } else {
            const struct nw_report_cat *c = &m->cats[i];
            if (c->fail == 0) continue;
            label = nw__rs_cat(p->lang, c->name);
            total = c->fail;
            for (int s = NW_REPORT_NSEV - 1; s >= 0; s--) {
                double w = span * (double)c->fail_sev[s] / (double)max;
                if (w <= 0) continue;
                rgb(p->cr, nw__sev_rgb[s]);
                cairo_rectangle(p->cr, x, y, w, bh);
                cairo_fill(p->cr);
                x += w;
            }
        }
        text_at(p, label, MARGIN_X + left - 6, y + 1, 9, 0, 0x222222, 2);
        snprintf(v, sizeof v, "%zu", total);
        text_at(p, v, MARGIN_X + left + span * (double)total / (double)max + 4, y + 1, 9, 1,
                0x222222, 0);
        r++;
    }
    p->y += (double)n * (bh + gap);
    if (b->chart == CH_CATEGORY) { /* severity legend */
        double x = MARGIN_X + left;
        for (int s = NW_REPORT_NSEV - 1; s >= 0; s--) {
            rgb(p->cr, nw__sev_rgb[s]);
            cairo_rectangle(p->cr, x, p->y + 2, 9, 9);
            cairo_fill(p->cr);
            PangoLayout *l = lay(p, nw__rs_sev(p->lang, s), 8, 0, -1);
            rgb(p->cr, 0x444444);
            show(p, l, x + 12, p->y);
            x += 12 + lay_w(l) + 14;
            g_object_unref(l);
        }
        p->y += 14;
    }
    p->y += 12;
}

static void trend(struct pdf *p, const struct nw__rblock *b)
{
    const struct nw_report *m = p->d->m;
    const double H = 170, l = 40, r = 20, top = 10, bot = 34;
    size_t n = m->ntrend, max = 1;
    char v[24];
    for (size_t i = 0; i < n; i++) max = NW_MAX(max, m->trend[i].fail);
    max = (max + max / 8 + 4) / 4 * 4; /* headroom, and grid lines on whole numbers */
    ensure(p, H + 30);
    caption(p, b->text);
    double x0 = MARGIN_X + l, x1 = PAGE_W - MARGIN_X - r, y0 = p->y + top, y1 = p->y + H - bot;
    cairo_set_line_width(p->cr, 0.5);
    for (int g = 0; g <= 4; g++) {
        double y = y1 - (y1 - y0) * g / 4.0;
        rgb(p->cr, 0xdddddd);
        cairo_move_to(p->cr, x0, y);
        cairo_line_to(p->cr, x1, y);
        cairo_stroke(p->cr);
        snprintf(v, sizeof v, "%.0f", (double)max * g / 4.0);
        text_at(p, v, x0 - 5, y - 6, 8, 0, 0x666666, 2);
    }
    for (int line = 0; line < 2; line++) {
        rgb(p->cr, line ? nw__sev_rgb[4] : 0x1f4e79);
        cairo_set_line_width(p->cr, 2);
        for (size_t i = 0; i < n; i++) {
            const struct nw_report_point *pt = &m->trend[i];
            size_t val = line ? pt->fail_sev[NW_SEV_CRITICAL] + pt->fail_sev[NW_SEV_HIGH]
                              : pt->fail;
            double x = n > 1 ? x0 + (x1 - x0) * (double)i / (double)(n - 1) : (x0 + x1) / 2;
            double y = y1 - (y1 - y0) * (double)val / (double)max;
            if (i == 0) cairo_move_to(p->cr, x, y);
            else cairo_line_to(p->cr, x, y);
        }
        cairo_stroke(p->cr);
    }
    for (size_t i = 0; i < n; i++) {
        const struct nw_report_point *pt = &m->trend[i];
        double x = n > 1 ? x0 + (x1 - x0) * (double)i / (double)(n - 1) : (x0 + x1) / 2;
        double y = y1 - (y1 - y0) * (double)pt->fail / (double)max;
        char day[16];
        rgb(p->cr, 0x1f4e79);
        cairo_new_path(p->cr); /* else the arc joins the last line's end */
        cairo_arc(p->cr, x, y, 3.2, 0, 6.2832);
        cairo_fill(p->cr);
        snprintf(v, sizeof v, "%zu", pt->fail);
        text_at(p, v, x, y - 15, 8.5, 1, 0x1f4e79, 1);
        nw__rfmt_day(pt->started_us, day, sizeof day);
        text_at(p, day, x, y1 + 4, 7.5, 0, 0x444444, 1);
    }
    {
        double lx = x0, ly = y1 + 20;
        const char *lab[2] = {p->lang == NW_LANG_EN ? "findings" : "问题总数",
                              p->lang == NW_LANG_EN ? "critical + high" : "严重+高危"};
        for (int line = 0; line < 2; line++) {
            rgb(p->cr, line ? nw__sev_rgb[4] : 0x1f4e79);
            cairo_rectangle(p->cr, lx, ly + 5, 14, 2.5);
            cairo_fill(p->cr);
            PangoLayout *ll = lay(p, lab[line], 8, 0, -1);
            rgb(p->cr, 0x444444);
            show(p, ll, lx + 18, ly);
            lx += 18 + lay_w(ll) + 20;
            g_object_unref(ll);
        }
    }
    p->y += H + 6;
}

static void render(struct pdf *p)
{
    const struct nw__rdoc *d = p->d;
    for (size_t i = 0; i < d->n; i++) {
        const struct nw__rblock *b = &d->b[i];
        /* a chart after a heading is kept whole with it (the trend is the tallest) */
        int chart_next = i + 1 < d->n && d->b[i + 1].type == RB_CHART;
        switch (b->type) {
        case RB_TITLE: cover(p, b); break;
        case RB_H2: heading(p, b->text, 2, chart_next ? 240 : 130); break;
        case RB_H3: heading(p, b->text, 3, chart_next ? 240 : 100); break;
        case RB_PARA: paragraph(p, b->text, 10.5, 0x222222, 0, NULL); break;
        case RB_NOTE: paragraph(p, b->text, 8.5, 0x666666, 0, NULL); break;
        case RB_BULLETS: bullets(p, b); break;
        case RB_KV:
        case RB_TABLE: table(p, b); break;
        case RB_CHART:
            if (b->chart == CH_TREND) trend(p, b);
            else bars(p, b);
            break;
        case RB_PAGEBREAK:
            if (p->y > MARGIN_TOP + 1) new_page(p);
            break;
        default: break;
        }
    }
    if (p->page == 0) new_page(p);
    footer(p);
    cairo_show_page(p->cr);
}

static cairo_status_t to_buf(void *closure, const unsigned char *data, unsigned int len)
{
    struct nw_buf *b = closure;
    if (b == NULL) return CAIRO_STATUS_SUCCESS; /* first pass: discard */
    /* A write error taken back into cairo 1.16's PDF surface while it finishes asserts
     * in _cairo_array_index_const (report --format pdf aborted, NW_FAIL_ALLOC=292):
     * the buffer's failure is sticky and pass() reads it after the finish instead. */
    nw_buf_append(b, data, len);
    return CAIRO_STATUS_SUCCESS;
}

static int pass(struct pdf *p, struct nw_buf *out, struct nw_err *err)
{
    const struct nw_report *m = p->d->m;
    cairo_status_t st;
    p->surf = cairo_pdf_surface_create_for_stream(to_buf, out, PAGE_W, PAGE_H);
    p->cr = cairo_create(p->surf);
    p->pc = pango_cairo_create_context(p->cr);
    pango_cairo_context_set_resolution(p->pc, 72); /* 1 unit = 1 pt */
    p->page = 0;
    p->y = MARGIN_TOP;
    if (out) {
        char title[512];
        snprintf(title, sizeof title, "%s%s%s", m->unit_name, m->unit_name[0] ? " " : "",
                 nw__rs(p->lang, RS_TITLE));
        gchar *valid = g_utf8_make_valid(title, -1);
        cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_TITLE, valid);
        cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_CREATOR,
                                       "netwarden " NW_VERSION);
        g_free(valid);
    }
    render(p);
    g_object_unref(p->pc);
    cairo_destroy(p->cr);
    cairo_surface_finish(p->surf);
    st = cairo_surface_status(p->surf);
    cairo_surface_destroy(p->surf);
    if (st == CAIRO_STATUS_NO_MEMORY || (out && out->oom)) return NW_ENOMEM;
    if (st != CAIRO_STATUS_SUCCESS)
        return nw_err_set(err, NW_EIO, "cannot draw the PDF: %s", cairo_status_to_string(st));
    return 0;
}

int nw_report_pdf(const struct nw_report *m, int lang, struct nw_buf *out, struct nw_err *err)
{
    struct nw__rdoc d;
    struct pdf p;
    int rc = nw__rdoc_build(&d, m, lang);
    if (rc != 0) return rc;
    memset(&p, 0, sizeof p);
    p.d = &d;
    p.lang = d.lang;
    rc = pass(&p, NULL, err); /* count the pages */
    if (rc == 0) {
        p.total = p.page;
        p.draw_outline = 1;
        rc = pass(&p, out, err);
    }
    nw__rdoc_free(&d);
    return rc;
}
