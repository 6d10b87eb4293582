/* query_int.h - shared inside src/query: exact matching with a known time, output formats. */
#ifndef NW_QUERY_QUERY_INT_H
#define NW_QUERY_QUERY_INT_H

#include <stdio.h>

#include "nw/json.h"
#include "nw/query.h"

/*
 * nw_query_match with the record's time already known (the store scan hands
 * it over); have_ts 0 means read it from the line's `timestamp`.
 */
int nw__query_match_ts(const struct nw_query *q, const char *line, size_t len, int have_ts,
                       uint64_t ts_us);

/*
 * The store scan's byte prefilter for q (struct nw_store_scan.must_contain),
 * or NULL: a literal that every matching record without a backslash holds
 * verbatim (the url text, else the account, else the calling number, else
 * the text of a single IPv4 address). Never a case-insensitive value
 * (domain, MAC) and never a text with a newline.
 */
const char *nw__query_needle(const struct nw_query *q);

/*
 * Output writer for one format. begin writes the header (csv, table), row
 * one record (line without or with its trailing newline), end nothing yet.
 * Rows are built in b (reused) and written to out. Returns 0 or NW_EIO when
 * out fails (a closed pipe), NW_ENOMEM.
 */
struct nw__qfmt {
    int format;     /* enum nw_query_format */
    FILE *out;
    struct nw_buf b;
    uint64_t rows;
};
void nw__qfmt_init(struct nw__qfmt *f, int format, FILE *out);
int nw__qfmt_begin(struct nw__qfmt *f);
int nw__qfmt_row(struct nw__qfmt *f, const char *line, size_t len);
int nw__qfmt_end(struct nw__qfmt *f);
void nw__qfmt_fini(struct nw__qfmt *f);

/* Unescape a JSON string value at path of line into buf; returns length or -1 if absent/bad. */
int nw__qget(const char *line, size_t len, const char *path, char *buf, size_t cap);

/* The subcommands (cmd_who.c) and helpers shared by them (cmd_query.c). */
struct nw_store_scan_stats;
int nw_cmd_query_who(int argc, char **argv);
void nw__query_print_scan_stats(FILE *out, const struct nw_store_scan_stats *st);
/* "2026-07-05 .. 2026-09-03 (UTC days)" or "no records" into out. */
void nw__query_store_span(const char *dir, char *out, size_t cap);

#endif
