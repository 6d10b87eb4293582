/* ch_int.h - shared inside the ClickHouse sink (src/output/ch_*.c, clickhouse.c). */
#ifndef NW_OUTPUT_CH_INT_H
#define NW_OUTPUT_CH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "nw/clickhouse.h"
#include "nw/json.h"

/* The table every sink writes; its DDL (ClickHouse 18.16 syntax). */
#define NW__CH_TABLE "records"

/*
 * Append to b the JSONEachRow row for one record line (len bytes, no
 * newline needed) with its bookkeeping columns, followed by '\n'. Extracted
 * columns follow nw/query.h's field lists. A line that is not a JSON object
 * or has no parsable `timestamp` is still stored (time 0) and returns
 * NW_EFORMAT after appending; NW_ENOMEM when b is full (row not appended:
 * b->len is restored). *ts_us gets the record time (0 if unknown).
 */
int nw__ch_row_build(struct nw_buf *b, const char *line, size_t len, const char *sensor,
                     uint64_t seq, uint32_t idx, uint64_t *ts_us);

/* Append s[0..n) as a JSON string that ClickHouse decodes back to the same
 * bytes (only '"', '\\' and control bytes are escaped; bytes >= 0x80 raw). */
void nw__ch_json_bytes(struct nw_buf *b, const char *s, size_t n);

/* Append s[0..n) as a ClickHouse SQL string literal '...' (all bytes safe). */
void nw__ch_sql_str(struct nw_buf *b, const char *s, size_t n);

/* UTC calendar date of ts_us as "YYYY-MM-DD" (out >= 11 bytes), clamped to
 * ClickHouse's Date range. */
void nw__ch_date(uint64_t ts_us, char out[11]);

/* HTTP over libcurl (ch_http.c). */
struct nw__ch_http {
    const struct nw_ch_url *u;
    void *curl;               /* CURL *, reused between requests (keep-alive) */
    void *ctx;                /* response state, allocated once by init */
    char url[8192];
    char err[512];            /* one line: what failed, where */
    long status;              /* HTTP status of the last request, 0 = no response */
    int maybe_delivered;      /* the request may have reached the server */
    char tail[1024];          /* last bytes of the response body (errors mid-stream) */
    size_t tail_len;
};
int nw__ch_http_init(struct nw__ch_http *h, const struct nw_ch_url *u);
void nw__ch_http_fini(struct nw__ch_http *h);
/*
 * POST body to /?query=<query>&<params> (query NULL: the body is the SQL).
 * Response bytes go to on_data (may be NULL: the body is kept, at most
 * 64 KiB, for the error line). Returns 0 on HTTP 200; NW_EIO on a transport
 * failure (h->err says where), NW_EFORMAT on a ClickHouse error (h->err has
 * its condensed line), or on_data's non-zero result.
 */
int nw__ch_http_post(struct nw__ch_http *h, const char *query, const char *params,
                     const char *body, size_t len,
                     int (*on_data)(void *arg, const char *p, size_t n), void *arg,
                     long timeout_ms);

#endif
