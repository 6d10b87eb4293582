/*
 * report_int.h - shared inside src/report only.
 *
 * The report is composed once into a list of blocks (doc.c: headings,
 * paragraphs, tables, charts) from the model and a language; each format
 * (fmt_md.c, fmt_html.c, fmt_pdf.c) only renders blocks, so the three can
 * never disagree on content. Every user-visible string comes from the one
 * table in strings.c.
 */
#ifndef NW_REPORT_REPORT_INT_H
#define NW_REPORT_REPORT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "nw/json.h"
#include "nw/report.h"

/* ------------------------------------------------------------ arena -- */

/* Bump allocator for strings owned by a model or a document. */
struct nw__rarena {
    struct nw__rblk *head;
    int oom;
};
void *nw__rarena_alloc(struct nw__rarena *a, size_t n);
/* Copy s[0..n) NUL-terminated; NULL on out of memory (a->oom set). */
char *nw__rarena_strn(struct nw__rarena *a, const char *s, size_t n);
char *nw__rarena_str(struct nw__rarena *a, const char *s);
void nw__rarena_free(struct nw__rarena *a);

/* ---------------------------------------------------------- strings -- */

enum nw__rs {
    RS_TITLE, RS_REPORT_DATE, RS_INSPECTION_ID, RS_GENERATED_BY,
    RS_H_BASIC, RS_H_WORK, RS_H_PROBLEMS, RS_H_RECTIFY, RS_H_SUGGEST, RS_H_AUDITSYS,
    RS_H_APP_CHECKS, RS_H_APP_ASSETS,
    RS_H_FINDINGS_SEV, RS_H_RISK, RS_H_FIXED, RS_H_NEW, RS_H_STILL, RS_H_TREND,
    RS_UNIT_NAME, RS_UNIT_CODE, RS_UNIT_LEADER, RS_UNIT_CONTACT, RS_NOT_SET,
    RS_SCOPE, RS_DATE, RS_METHOD, RS_BASIS, RS_BASIS_TEXT, RS_REFUSED,
    RS_SCOPE_LOCAL, RS_SCOPE_IMAGE, RS_SCOPE_TARGETS, RS_SCOPE_NONE,
    RS_METHOD_INTRO, RS_MODE_LOCAL, RS_MODE_SELF, RS_MODE_NETWORK, RS_MODE_WEB,
    RS_WORK_ASSETS, RS_WORK_CHECKS, RS_WORK_PROFILE_ALL, RS_WORK_SEE_APPX,
    RS_COL_KIND, RS_COL_COUNT, RS_COL_CATEGORY, RS_COL_CHECKS, RS_COL_PASS, RS_COL_FAIL,
    RS_COL_OTHER, RS_COL_NO, RS_COL_PROBLEM, RS_COL_TARGET, RS_COL_EVIDENCE, RS_COL_REMED,
    RS_COL_SEVERITY, RS_COL_ID, RS_COL_CHECK, RS_COL_MLPS, RS_COL_LAWS, RS_COL_VERDICT,
    RS_COL_NAME, RS_COL_ADDRESS, RS_COL_DETAIL, RS_COL_FINDINGS, RS_COL_ITEM, RS_COL_VALUE,
    RS_COL_STATUS, RS_COL_INSPECTION, RS_COL_DATE,
    RS_ASSET_SERVER, RS_ASSET_CLIENT, RS_ASSET_NETDEV, RS_ASSET_WEBSITE,
    RS_SEV_INFO, RS_SEV_LOW, RS_SEV_MEDIUM, RS_SEV_HIGH, RS_SEV_CRITICAL,
    RS_V_PASS, RS_V_FAIL, RS_V_SKIP, RS_V_ERROR,
    RS_ST_NEW, RS_ST_STILL,
    RS_PROB_SUMMARY, RS_PROB_NONE, RS_CHART_SEV, RS_CHART_CAT, RS_CHART_TREND,
    RS_RISK_LEVEL, RS_RISK_HIGH, RS_RISK_MED, RS_RISK_LOW, RS_RISK_NONE,
    RS_RISK_CAT, RS_RISK_ERRORS, RS_RISK_NEWOLD,
    RS_RECT_CMP, RS_RECT_FIRST, RS_RECT_NOFIXED, RS_RECT_EFFECT_GOOD, RS_RECT_EFFECT_BAD,
    RS_SUG_URGENT, RS_SUG_CAT, RS_SUG_ERRORS, RS_SUG_REGULAR, RS_SUG_STORE, RS_SUG_NONE,
    RS_SUG_INVOLVES,
    RS_AS_DIR, RS_AS_VERIFY, RS_AS_INTACT, RS_AS_FAILED, RS_AS_COULDNOT, RS_AS_SIGNED,
    RS_AS_RECORDS, RS_AS_RECORDS_SEALED, RS_AS_OLDEST, RS_AS_OLDEST_VAL, RS_AS_NONE,
    RS_AS_60, RS_AS_180, RS_AS_MET, RS_AS_NOTMET, RS_AS_RETENTION, RS_AS_DAYS, RS_AS_HEAD,
    RS_AS_PARTITIONS, RS_AS_INTRO, RS_AS_NOSTORE,
    RS_THIS_HOST, RS_IMAGE, RS_PORTS, RS_NOT_SCANNED, RS_NO_OPEN_PORTS, RS_LOCAL_TARGET,
    RS_APPX_CHECKS_INTRO, RS_APPX_ASSETS_INTRO, RS_LAW_ORDER82, RS_LAW_CSL,
    RS_PAGE, RS_TREND_NOTE, RS_FIXED_LIST, RS_CONTENTS,
    RS__N
};

/* The text of key in lang (never NULL). */
const char *nw__rs(int lang, int key);
/* Severity / verdict / asset kind names. */
const char *nw__rs_sev(int lang, int sev);
const char *nw__rs_verdict(int lang, int verdict);
const char *nw__rs_asset(int lang, int kind);
/* A category's display name, the risk it brings, and the advice (generic when unknown). */
const char *nw__rs_cat(int lang, const char *cat);
const char *nw__rs_cat_risk(int lang, const char *cat);
const char *nw__rs_cat_advice(int lang, const char *cat);
/* A profile's title ("" = every check). */
const char *nw__rs_profile(int lang, const char *profile);

/* Colours per severity (0 info .. 4 critical), as 0xRRGGBB. */
extern const uint32_t nw__sev_rgb[NW_REPORT_NSEV];

/* --------------------------------------------------------- document -- */

enum nw__rb_type {
    RB_TITLE,     /* text: the report title; sub: subtitle lines joined by '\n' */
    RB_H2,        /* section heading */
    RB_H3,        /* sub-heading */
    RB_PARA,      /* paragraph */
    RB_BULLETS,   /* cells[0..nrows): one item each */
    RB_TABLE,     /* cells[(nrows + 1) * ncols], row 0 = header */
    RB_KV,        /* two-column table without header: cells[nrows * 2] */
    RB_CHART,     /* chart: enum nw__chart */
    RB_PAGEBREAK, /* start the next block on a new page (print formats) */
    RB_NOTE       /* small print */
};

enum nw__chart { CH_SEVERITY, CH_CATEGORY, CH_TREND };

struct nw__rblock {
    int type;
    const char *text;
    const char *sub;
    size_t ncols, nrows;
    const char **cells;
    const float *widths;   /* relative column widths (ncols), or NULL */
    const int *row_sev;    /* per body row: severity for colouring, -1 none, or NULL */
    int chart;             /* RB_CHART: enum nw__chart; tables: the column row_sev
                              colours (-1 none) */
};

struct nw__rdoc {
    const struct nw_report *m;
    int lang;
    struct nw__rblock *b;
    size_t n, cap;
    struct nw__rarena ar;
    int oom;
};

/* Compose the report's blocks. Returns 0 or NW_ENOMEM. Free with nw__rdoc_free. */
int nw__rdoc_build(struct nw__rdoc *d, const struct nw_report *m, int lang);
void nw__rdoc_free(struct nw__rdoc *d);

/* Date-time as "YYYY-MM-DD HH:MM" from a recorded RFC 3339 text (the recorded offset kept). */
void nw__rfmt_when(const char *rfc3339, char *out, size_t outsz);
/* "YYYY-MM-DD" (UTC) of a time in us. */
void nw__rfmt_day(uint64_t us, char *out, size_t outsz);

#endif /* NW_REPORT_REPORT_INT_H */
