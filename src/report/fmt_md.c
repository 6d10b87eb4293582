/*
 * fmt_md.c - the report as Markdown (CommonMark + GFM tables). Charts become
 * text bar charts in code blocks, so the file reads well as plain text too.
 * Cell text is escaped ('|', '<', '>', '&', line breaks as <br>) so evidence
 * from inspected systems cannot break the table or inject markup.
 */
#include "report_int.h"

#include <string.h>

#include "nw/inspect.h"

static void esc(struct nw_buf *o, const char *s, int in_table)
{
    for (; *s; s++) {
        switch (*s) {
        case '|': nw_buf_puts(o, in_table ? "\\|" : "|"); break;
        case '<': nw_buf_puts(o, "&lt;"); break;
        case '>': nw_buf_puts(o, "&gt;"); break;
        case '&': nw_buf_puts(o, "&amp;"); break;
        case '\r': break;
        case '\n': nw_buf_puts(o, in_table ? "<br>" : "  \n"); break;
        default: nw_buf_putc(o, *s);
        }
    }
}

static void row(struct nw_buf *o, const char *const *c, size_t n)
{
    nw_buf_puts(o, "|");
    for (size_t i = 0; i < n; i++) {
        nw_buf_putc(o, ' ');
        esc(o, c[i], 1);
        nw_buf_puts(o, " |");
    }
    nw_buf_putc(o, '\n');
}

static void rule(struct nw_buf *o, size_t n)
{
    nw_buf_puts(o, "|");
    for (size_t i = 0; i < n; i++) nw_buf_puts(o, " --- |");
    nw_buf_putc(o, '\n');
}

static void bar(struct nw_buf *o, const char *label, size_t v, size_t max, int labw)
{
    size_t w = max ? (v * 40 + max - 1) / max : 0;
    int pad = labw;
    /* pad by display columns: CJK characters are 3 UTF-8 bytes and 2 columns wide */
    for (const unsigned char *p = (const unsigned char *)label; *p; p++)
        if ((*p & 0xc0) != 0x80) pad -= *p >= 0xe0 ? 2 : 1;
    nw_buf_puts(o, label);
    for (int i = 0; i < pad; i++) nw_buf_putc(o, ' ');
    nw_buf_puts(o, " ");
    for (size_t i = 0; i < w; i++) nw_buf_puts(o, "\xe2\x96\x88"); /* U+2588 */
    nw_buf_printf(o, " %zu\n", v);
}

static void chart(struct nw_buf *o, const struct nw__rdoc *d, const struct nw__rblock *b)
{
    const struct nw_report *m = d->m;
    size_t max = 0;
    nw_buf_printf(o, "**%s**\n\n```text\n", b->text);
    if (b->chart == CH_SEVERITY) {
        for (int s = 0; s < NW_REPORT_NSEV; s++) max = NW_MAX(max, m->fail_sev[s]);
        for (int s = NW_REPORT_NSEV - 1; s >= 0; s--)
            bar(o, nw__rs_sev(d->lang, s), m->fail_sev[s], max, 10);
    } else if (b->chart == CH_CATEGORY) {
        for (size_t i = 0; i < m->ncats; i++) max = NW_MAX(max, m->cats[i].fail);
        for (size_t i = 0; i < m->ncats; i++)
            if (m->cats[i].fail) bar(o, nw__rs_cat(d->lang, m->cats[i].name), m->cats[i].fail, max, 34);
    } else {
        for (size_t i = 0; i < m->ntrend; i++) max = NW_MAX(max, m->trend[i].fail);
        for (size_t i = 0; i < m->ntrend; i++) {
            char day[16];
            nw__rfmt_day(m->trend[i].started_us, day, sizeof day);
            nw_buf_printf(o, "%s ", day);
            bar(o, m->trend[i].id, m->trend[i].fail, max, 26);
        }
    }
    nw_buf_puts(o, "```\n\n");
}

int nw_report_md(const struct nw_report *m, int lang, struct nw_buf *o)
{
    struct nw__rdoc d;
    int rc = nw__rdoc_build(&d, m, lang);
    if (rc != 0) return rc;
    for (size_t i = 0; i < d.n; i++) {
        const struct nw__rblock *b = &d.b[i];
        switch (b->type) {
        case RB_TITLE:
            nw_buf_puts(o, "# ");
            esc(o, b->text, 0);
            nw_buf_puts(o, "\n\n");
            esc(o, b->sub, 0);
            nw_buf_puts(o, "\n\n");
            break;
        case RB_H2:
        case RB_H3:
            nw_buf_puts(o, b->type == RB_H2 ? "## " : "### ");
            esc(o, b->text, 0);
            nw_buf_puts(o, "\n\n");
            break;
        case RB_PARA:
            esc(o, b->text, 0);
            nw_buf_puts(o, "\n\n");
            break;
        case RB_NOTE:
            nw_buf_puts(o, "> ");
            esc(o, b->text, 0);
            nw_buf_puts(o, "\n\n");
            break;
        case RB_BULLETS:
            for (size_t r = 0; r < b->nrows; r++) {
                nw_buf_printf(o, "%zu. ", r + 1);
                esc(o, b->cells[r], 0);
                nw_buf_putc(o, '\n');
            }
            nw_buf_putc(o, '\n');
            break;
        case RB_KV: {
            const char *h[2] = {nw__rs(lang, RS_COL_ITEM), nw__rs(lang, RS_COL_VALUE)};
            row(o, h, 2);
            rule(o, 2);
            for (size_t r = 0; r < b->nrows; r++) row(o, b->cells + r * 2, 2);
            nw_buf_putc(o, '\n');
            break;
        }
        case RB_TABLE:
            if (b->nrows == 0) break;
            for (size_t r = 0; r <= b->nrows; r++) {
                row(o, b->cells + r * b->ncols, b->ncols);
                if (r == 0) rule(o, b->ncols);
            }
            nw_buf_putc(o, '\n');
            break;
        case RB_CHART:
            chart(o, &d, b);
            break;
        default:
            break;
        }
    }
    nw__rdoc_free(&d);
    return nw_buf_ok(o) ? 0 : NW_ENOMEM;
}
