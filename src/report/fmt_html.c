/*
 * fmt_html.c - the report as one self-contained HTML file: inline CSS,
 * inline SVG charts, no script, no external reference of any kind (fonts
 * by family name only), so it can be mailed, archived and printed as is.
 * Print CSS: A4, page breaks before the appendices, table headers repeated
 * on every page, rows kept whole. Every text from the model is escaped.
 */
#include "report_int.h"

#include <stdio.h>
#include <string.h>

#include "nw/inspect.h"

#define FONTS "\"Noto Sans CJK SC\",\"WenQuanYi Micro Hei\",\"Source Han Sans SC\"," \
              "\"Microsoft YaHei\",\"PingFang SC\",sans-serif"

static void esc(struct nw_buf *o, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': nw_buf_puts(o, "&amp;"); break;
        case '<': nw_buf_puts(o, "&lt;"); break;
        case '>': nw_buf_puts(o, "&gt;"); break;
        case '"': nw_buf_puts(o, "&quot;"); break;
        case '\'': nw_buf_puts(o, "&#39;"); break;
        case '\n': nw_buf_puts(o, "<br>"); break;
        case '\r': break;
        default: nw_buf_putc(o, *s);
        }
    }
}

static const char css[] =
    "body{font-family:" FONTS ";color:#222;max-width:980px;margin:0 auto;padding:24px;"
    "line-height:1.65;font-size:15px}\n"
    "h1{text-align:center;font-size:28px;margin:48px 0 12px;letter-spacing:2px}\n"
    ".sub{text-align:center;color:#444;margin-bottom:28px}\n"
    "h2{font-size:20px;border-bottom:2px solid #1f4e79;color:#1f4e79;padding-bottom:4px;"
    "margin-top:36px}\n"
    "h3{font-size:16px;color:#1f4e79;margin-top:24px}\n"
    "table{border-collapse:collapse;width:100%;margin:10px 0 18px;font-size:13px}\n"
    "th,td{border:1px solid #b8c4d0;padding:5px 7px;vertical-align:top;text-align:left;"
    "overflow-wrap:anywhere}\n"
    "th{background:#e8eef5}\n"
    "table.kv td:first-child{background:#f3f6f9;width:24%;font-weight:bold}\n"
    "td.s0{border-left:6px solid #7f8c8d}td.s1{border-left:6px solid #2e86c1}"
    "td.s2{border-left:6px solid #d4ac0d}td.s3{border-left:6px solid #e67e22}"
    "td.s4{border-left:6px solid #c0392b}\n"
    ".note{color:#666;font-size:12px}\n"
    "nav{border:1px solid #ddd;padding:8px 20px;background:#fafbfc;margin-bottom:20px}\n"
    "nav a{color:#1f4e79;text-decoration:none}\n"
    "figure{margin:12px 0 20px;text-align:center}figcaption{font-size:13px;color:#444}\n"
    "svg text{font-family:" FONTS "}\n"
    "@page{size:A4;margin:16mm 14mm 18mm}\n"
    "@media print{body{max-width:none;padding:0;font-size:11pt}nav{display:none}"
    ".pagebreak{break-before:page;page-break-before:always}"
    "thead{display:table-header-group}tr,figure{break-inside:avoid;page-break-inside:avoid}"
    "h2,h3{break-after:avoid;page-break-after:avoid}h1{margin-top:30mm}}\n";

static void svg_text(struct nw_buf *o, double x, double y, const char *anchor, int size,
                     const char *fill, const char *s)
{
    nw_buf_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\" "
                  "fill=\"%s\">", x, y, anchor, size, fill);
    esc(o, s);
    nw_buf_puts(o, "</text>");
}

static void chart(struct nw_buf *o, const struct nw__rdoc *d, const struct nw__rblock *b)
{
    const struct nw_report *m = d->m;
    const double W = 640, left = 170, right = 50;
    size_t max = 1;
    char v[32];

    nw_buf_puts(o, "<figure>");
    if (b->chart == CH_SEVERITY || b->chart == CH_CATEGORY) {
        size_t n = 0;
        if (b->chart == CH_SEVERITY) {
            n = NW_REPORT_NSEV;
            for (int s = 0; s < NW_REPORT_NSEV; s++) max = NW_MAX(max, m->fail_sev[s]);
        } else {
            for (size_t i = 0; i < m->ncats; i++)
                if (m->cats[i].fail) n++, max = NW_MAX(max, m->cats[i].fail);
        }
        double H = 16 + 28.0 * (double)n;
        nw_buf_printf(o, "<svg width=\"%.0f\" "
                      "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">", W, H, W, H);
        for (size_t r = 0, i = 0; r < n; i++) {
            double y = 8 + 28.0 * (double)r, x = left;
            const char *label;
            size_t total;
            if (b->chart == CH_SEVERITY) {
                int s = NW_REPORT_NSEV - 1 - (int)i;
                label = nw__rs_sev(d->lang, s);
                total = m->fail_sev[s];
                nw_buf_printf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"20\" "
                              "fill=\"#%06x\"/>", x, y,
                              (W - left - right) * (double)total / (double)max, nw__sev_rgb[s]);
            } else {
                const struct nw_report_cat *c = &m->cats[i];
                if (c->fail == 0) continue;
                label = nw__rs_cat(d->lang, c->name);
                total = c->fail;
                for (int s = NW_REPORT_NSEV - 1; s >= 0; s--) {
                    double w = (W - left - right) * (double)c->fail_sev[s] / (double)max;
                    if (w <= 0) continue;
                    nw_buf_printf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"20\" "
                                  "fill=\"#%06x\"/>", x, y, w, nw__sev_rgb[s]);
                    x += w;
                }
            }
            svg_text(o, left - 8, y + 15, "end", 13, "#222", label);
            snprintf(v, sizeof v, "%zu", total);
            svg_text(o, left + (W - left - right) * (double)total / (double)max + 6, y + 15,
                     "start", 13, "#222", v);
            r++;
        }
        nw_buf_puts(o, "</svg>");
    } else {
        const double H = 240, top = 20, bot = 50, l = 50, rr = 30;
        size_t n = m->ntrend;
        for (size_t i = 0; i < n; i++) max = NW_MAX(max, m->trend[i].fail);
        max = (max + max / 8 + 4) / 4 * 4; /* headroom, grid lines on whole numbers */
        nw_buf_printf(o, "<svg width=\"%.0f\" "
                      "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">", W, H, W, H);
        for (int g = 0; g <= 4; g++) {
            double y = top + (H - top - bot) * (1.0 - g / 4.0);
            nw_buf_printf(o, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" "
                          "stroke=\"#ddd\"/>", l, y, W - rr, y);
            snprintf(v, sizeof v, "%.0f", (double)max * g / 4.0);
            svg_text(o, l - 6, y + 4, "end", 11, "#666", v);
        }
        for (int line = 0; line < 2; line++) {
            nw_buf_printf(o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" "
                          "points=\"", line ? "#c0392b" : "#1f4e79");
            for (size_t i = 0; i < n; i++) {
                const struct nw_report_point *p = &m->trend[i];
                size_t val = line ? p->fail_sev[NW_SEV_CRITICAL] + p->fail_sev[NW_SEV_HIGH]
                                  : p->fail;
                double x = n > 1 ? l + (W - l - rr) * (double)i / (double)(n - 1) : W / 2;
                double y = top + (H - top - bot) * (1.0 - (double)val / (double)max);
                nw_buf_printf(o, "%.1f,%.1f ", x, y);
            }
            nw_buf_puts(o, "\"/>");
        }
        for (size_t i = 0; i < n; i++) {
            const struct nw_report_point *p = &m->trend[i];
            double x = n > 1 ? l + (W - l - rr) * (double)i / (double)(n - 1) : W / 2;
            double y = top + (H - top - bot) * (1.0 - (double)p->fail / (double)max);
            char day[16];
            nw_buf_printf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#1f4e79\"/>", x, y);
            snprintf(v, sizeof v, "%zu", p->fail);
            svg_text(o, x, y - 8, "middle", 12, "#1f4e79", v);
            nw__rfmt_day(p->started_us, day, sizeof day);
            svg_text(o, x, H - bot + 18, "middle", 11, "#444", day);
        }
        svg_text(o, l, H - 10, "start", 12, "#1f4e79",
                 d->lang == NW_LANG_EN ? "— findings" : "— 问题总数");
        svg_text(o, l + 160, H - 10, "start", 12, "#c0392b",
                 d->lang == NW_LANG_EN ? "— critical + high" : "— 严重+高危");
        nw_buf_puts(o, "</svg>");
    }
    nw_buf_puts(o, "<figcaption>");
    esc(o, b->text);
    nw_buf_puts(o, "</figcaption></figure>\n");
}

static void table(struct nw_buf *o, const struct nw__rblock *b)
{
    size_t body0 = b->type == RB_TABLE ? 1 : 0;
    if (b->nrows == 0) return;
    nw_buf_puts(o, b->type == RB_KV ? "<table class=\"kv\">" : "<table>");
    if (b->widths) {
        float sum = 0;
        nw_buf_puts(o, "<colgroup>");
        for (size_t c = 0; c < b->ncols; c++) sum += b->widths[c];
        for (size_t c = 0; c < b->ncols; c++)
            nw_buf_printf(o, "<col style=\"width:%.1f%%\">", 100.0 * b->widths[c] / sum);
        nw_buf_puts(o, "</colgroup>");
    }
    if (body0) {
        nw_buf_puts(o, "<thead><tr>");
        for (size_t c = 0; c < b->ncols; c++) {
            nw_buf_puts(o, "<th>");
            esc(o, b->cells[c]);
            nw_buf_puts(o, "</th>");
        }
        nw_buf_puts(o, "</tr></thead>");
    }
    nw_buf_puts(o, "<tbody>\n");
    for (size_t r = 0; r < b->nrows; r++) {
        nw_buf_puts(o, "<tr>");
        for (size_t c = 0; c < b->ncols; c++) {
            int s = b->row_sev ? b->row_sev[r] : -1;
            if (s >= 0 && (int)c == b->chart) nw_buf_printf(o, "<td class=\"s%d\">", s);
            else nw_buf_puts(o, "<td>");
            esc(o, b->cells[(r + body0) * b->ncols + c]);
            nw_buf_puts(o, "</td>");
        }
        nw_buf_puts(o, "</tr>\n");
    }
    nw_buf_puts(o, "</tbody></table>\n");
}

int nw_report_html(const struct nw_report *m, int lang, struct nw_buf *o)
{
    struct nw__rdoc d;
    int rc = nw__rdoc_build(&d, m, lang), h2 = 0, brk = 0;
    if (rc != 0) return rc;
    nw_buf_printf(o, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<meta name=\"generator\" content=\"netwarden %s\">\n<title>",
                  lang == NW_LANG_EN ? "en" : "zh-CN", NW_VERSION);
    if (m->unit_name[0]) {
        esc(o, m->unit_name);
        nw_buf_puts(o, " ");
    }
    esc(o, nw__rs(lang, RS_TITLE));
    nw_buf_printf(o, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
    for (size_t i = 0; i < d.n; i++) {
        const struct nw__rblock *b = &d.b[i];
        switch (b->type) {
        case RB_TITLE:
            nw_buf_puts(o, "<header><h1>");
            esc(o, b->text);
            nw_buf_puts(o, "</h1><div class=\"sub\">");
            esc(o, b->sub);
            nw_buf_puts(o, "</div></header>\n<nav><strong>");
            esc(o, nw__rs(lang, RS_CONTENTS));
            nw_buf_puts(o, "</strong><ol style=\"list-style:none;padding-left:0\">");
            for (size_t k = 0, n = 0; k < d.n; k++)
                if (d.b[k].type == RB_H2) {
                    nw_buf_printf(o, "<li><a href=\"#s%zu\">", ++n);
                    esc(o, d.b[k].text);
                    nw_buf_puts(o, "</a></li>");
                }
            nw_buf_puts(o, "</ol></nav>\n<main>\n");
            break;
        case RB_H2:
            nw_buf_printf(o, "<h2 id=\"s%d\"%s>", ++h2, brk ? " class=\"pagebreak\"" : "");
            brk = 0;
            esc(o, b->text);
            nw_buf_puts(o, "</h2>\n");
            break;
        case RB_H3:
            nw_buf_puts(o, "<h3>");
            esc(o, b->text);
            nw_buf_puts(o, "</h3>\n");
            break;
        case RB_PARA:
        case RB_NOTE:
            nw_buf_puts(o, b->type == RB_NOTE ? "<p class=\"note\">" : "<p>");
            esc(o, b->text);
            nw_buf_puts(o, "</p>\n");
            break;
        case RB_BULLETS:
            nw_buf_puts(o, "<ol>");
            for (size_t r = 0; r < b->nrows; r++) {
                nw_buf_puts(o, "<li>");
                esc(o, b->cells[r]);
                nw_buf_puts(o, "</li>");
            }
            nw_buf_puts(o, "</ol>\n");
            break;
        case RB_KV:
        case RB_TABLE:
            table(o, b);
            break;
        case RB_CHART:
            chart(o, &d, b);
            break;
        case RB_PAGEBREAK:
            brk = 1;
            break;
        default:
            break;
        }
    }
    nw_buf_puts(o, "</main>\n</body>\n</html>\n");
    nw__rdoc_free(&d);
    return nw_buf_ok(o) ? 0 : NW_ENOMEM;
}
