/*
 * proto_tls.c - TLS over TCP: the cleartext start of the handshake
 * (ClientHello, ServerHello) for SNI, ALPN, versions and JA3/JA3S/JA4.
 *
 * Framing: the parser reads one TLS record per call (5-byte header plus at
 * most 16 KiB + 2 KiB of fragment) and asks the flow layer for more (returns
 * 0) until the record is whole. Handshake messages may span records and
 * records may span segments, so each direction keeps its own handshake
 * buffer, bounded by TLS_HS_MAX (64 KiB; a larger message is counted as
 * "tls.handshake_too_big" and that direction is no longer parsed). An
 * SSLv2-compatible CLIENT-HELLO (2-byte header, high bit set) is accepted as
 * the first record of the client direction.
 *
 * Records: one `tls` record per ClientHello/ServerHello exchange, emitted
 * when the ServerHello arrives, or at flow end with the ClientHello alone.
 * A TLS 1.3 HelloRetryRequest closes the first exchange (record with
 * server_handshake.hello_retry_request) and the second ClientHello gets its
 * own record. After the ServerHello, or once both directions turned opaque
 * (ChangeCipherSpec in TLS <= 1.2, application data, a gap), the rest of the
 * flow is consumed without parsing.
 *
 * STARTTLS: mail parsers hand over with nw_proto_switch(ctx, "tls"); the
 * state starts zeroed and the first client bytes are the ClientHello, which
 * is all this parser needs.
 *
 * Memory per flow: the state below plus the handshake buffers (freed as
 * soon as parsing stops) and one saved ClientHello body until its record is
 * written.
 */
#include "nw/proto.h"

#include <string.h>

#include "nw/core.h"
#include "tls_hello.h"

#define TLS_HS_MAX (64u * 1024u)      /* handshake bytes buffered per direction */
#define TLS_REC_MAX (16384u + 2048u)  /* largest legal TLSCiphertext fragment */

enum { TLS_CCS = 20, TLS_ALERT = 21, TLS_HANDSHAKE = 22, TLS_APPDATA = 23, TLS_HEARTBEAT = 24 };

struct tls_dir {
    uint8_t *hs;       /* handshake bytes not yet cut into messages */
    size_t hs_len;
    size_t hs_cap;
    uint8_t started;   /* first record seen (SSLv2 is only accepted there) */
    uint8_t opaque;    /* encrypted or lost: handshake records are skipped */
};

struct tls_state {
    struct tls_dir d[2];
    uint8_t *ch;       /* saved ClientHello body (owned), NULL if none pending */
    size_t ch_len;
    uint8_t ch_sslv2;  /* ch holds an SSLv2 CLIENT-HELLO message */
    uint8_t offers13;  /* the ClientHello offered TLS 1.3: its CCS is a dummy */
    uint8_t hrr;       /* HelloRetryRequest seen, second ClientHello expected */
    uint8_t done;      /* nothing more to learn: consume everything */
    unsigned records;  /* tls records written for this flow */
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static void dir_free(struct tls_dir *d)
{
    nw_free(d->hs);
    d->hs = NULL;
    d->hs_len = d->hs_cap = 0;
}

static void stop(struct tls_state *st)
{
    st->done = 1;
    dir_free(&st->d[0]);
    dir_free(&st->d[1]);
}

/* Write one tls record: the pending ClientHello (if any) and the server's
 * hello (sh, or an SSLv2 SERVER-HELLO when sh2 is set, or nothing). */
static void emit(struct nw_proto_ctx *ctx, struct tls_state *st, const struct nw_tls_hello *sh,
                 int sh2)
{
    struct nw_tls_hello ch;
    struct nw_buf *b;
    char vn[NW_TLS_VNAME];
    int have_ch = 0;

    if (st->ch != NULL)
        have_ch = (st->ch_sslv2 ? nw_tls_hello_parse_sslv2(st->ch, st->ch_len, &ch)
                                : nw_tls_hello_parse(st->ch, st->ch_len, 1, &ch)) == 0;
    b = nw_record_begin(ctx, "tls", NW_REC_FLOW);
    nw_json_kobj_open(b, "tls");
    if (have_ch) nw_tls_write_client(b, &ch, 't');
    if (sh != NULL) {
        char md5[33], store[256];
        struct nw_buf s;
        uint16_t v = sh->selected_version ? sh->selected_version : sh->version;

        nw_json_kcstr(b, "version", nw_tls_version_name(v, vn));
        nw_buf_init_with(&s, store, sizeof store, 0);
        if (nw_tls_ja3(sh, &s, md5) == 0) {
            nw_json_kobj_open(b, "ja3s");
            nw_json_kcstr(b, "hash", md5);
            nw_json_kstr(b, "string", s.data, s.len);
            nw_json_obj_close(b);
        }
        nw_buf_fini(&s);
        if (sh->alpn.len) nw_tls_write_alpns(b, "server_alpns", sh);
        nw_json_kobj_open(b, "server_handshake");
        nw_json_kcstr(b, "version", nw_tls_version_name(sh->version, vn));
        nw_json_kuint(b, "chosen_cipher", sh->cipher);
        if (sh->selected_version)
            nw_json_kcstr(b, "selected_version", nw_tls_version_name(sh->selected_version, vn));
        if (sh->hrr) nw_json_kbool(b, "hello_retry_request", 1);
        nw_json_obj_close(b);
    } else {
        nw_json_kcstr(b, "version", sh2 ? "SSLv2" : "UNDETERMINED");
    }
    nw_json_obj_close(b);
    nw_record_end(ctx);
    st->records++;
    nw_free(st->ch);
    st->ch = NULL;
    st->ch_len = 0;
}

static void save_client_hello(struct nw_proto_ctx *ctx, struct tls_state *st, const uint8_t *body,
                              size_t len, int sslv2)
{
    struct nw_tls_hello h;
    int rc = sslv2 ? nw_tls_hello_parse_sslv2(body, len, &h) : nw_tls_hello_parse(body, len, 1, &h);

    if (rc != 0) {
        nw_proto_anomaly(ctx, "bad_client_hello");
        return;
    }
    if (st->ch != NULL) return; /* a second hello with no answer in between: keep the first */
    st->ch = nw_alloc(len ? len : 1);
    if (st->ch == NULL) {
        nw_proto_anomaly(ctx, "nomem");
        return;
    }
    memcpy(st->ch, body, len);
    st->ch_len = len;
    st->ch_sslv2 = (uint8_t)sslv2;
    st->offers13 = 0;
    for (size_t i = 0; i + 2 <= h.versions.len; i += 2)
        if (rd16(h.versions.p + i) == 0x0304) st->offers13 = 1;
    st->hrr = 0;
}

static void on_server_hello(struct nw_proto_ctx *ctx, struct tls_state *st, const uint8_t *body,
                            size_t len)
{
    struct nw_tls_hello sh;

    if (nw_tls_hello_parse(body, len, 0, &sh) != 0) {
        nw_proto_anomaly(ctx, "bad_server_hello");
        stop(st); /* the ClientHello, if any, is written at flow end */
        return;
    }
    emit(ctx, st, &sh, 0);
    if (sh.hrr) {
        st->hrr = 1;
        st->d[NW_DIR_TOSERVER].opaque = 0; /* early data was refused; CH2 follows */
    } else {
        stop(st);
    }
}

/* Append one handshake fragment of direction dir and handle whole messages. */
static void on_handshake(struct nw_proto_ctx *ctx, struct tls_state *st, int dir,
                         const uint8_t *p, size_t n)
{
    struct tls_dir *d = &st->d[dir];
    size_t off = 0;

    if (n == 0) return; /* an empty handshake record carries nothing */
    if (n > TLS_HS_MAX - d->hs_len) {
        nw_proto_anomaly(ctx, "handshake_too_big");
        d->opaque = 1;
        dir_free(d);
        return;
    }
    if (d->hs_len + n > d->hs_cap) {
        size_t cap = NW_MAX(d->hs_cap * 2, (size_t)4096);
        while (cap < d->hs_len + n) cap *= 2;
        if (cap > TLS_HS_MAX) cap = TLS_HS_MAX;
        uint8_t *nb = nw_realloc(d->hs, cap);
        if (nb == NULL) {
            nw_proto_anomaly(ctx, "nomem");
            d->opaque = 1;
            dir_free(d);
            return;
        }
        d->hs = nb;
        d->hs_cap = cap;
    }
    memcpy(d->hs + d->hs_len, p, n);
    d->hs_len += n;

    /* each pass consumes >= 4 bytes, so this ends within hs_len/4 passes */
    while (!st->done && !d->opaque && d->hs_len - off >= 4) {
        const uint8_t *m = d->hs + off;
        uint8_t type = m[0];
        size_t ml = ((size_t)m[1] << 16) | ((size_t)m[2] << 8) | m[3];

        if (ml > TLS_HS_MAX - 4) {
            nw_proto_anomaly(ctx, "handshake_too_big");
            d->opaque = 1;
            break;
        }
        if (d->hs_len - off < 4 + ml) break; /* rest comes in later records */
        if (dir == NW_DIR_TOSERVER && type == 1)
            save_client_hello(ctx, st, m + 4, ml, 0);
        else if (dir == NW_DIR_TOCLIENT && type == 2)
            on_server_hello(ctx, st, m + 4, ml); /* may stop(): buffers freed */
        off += 4 + ml;
    }
    if (st->done) return;
    if (d->opaque) {
        dir_free(d);
        return;
    }
    if (off > 0) {
        memmove(d->hs, d->hs + off, d->hs_len - off);
        d->hs_len -= off;
    }
}

/* SSLv2 record header with the high bit set: 2-byte length, no padding. */
static int is_sslv2_hello(const uint8_t *p, size_t len, uint8_t msg)
{
    if (len < 5 || !(p[0] & 0x80) || p[2] != msg) return 0;
    if (msg == 1) return (p[3] == 0 && p[4] == 2) || (p[3] == 3 && p[4] <= 4);
    return 1;
}

static int tls_parse(struct nw_proto_ctx *ctx, void *state, const uint8_t *p, size_t len)
{
    struct tls_state *st = state;
    int dir = ctx->dir & 1;
    struct tls_dir *d = &st->d[dir];
    size_t rlen;

    if (st->done) return (int)NW_MIN(len, (size_t)NW_PROTO_MAX_PENDING);
    if (!d->started) {
        if (len < 5) return 0;
        d->started = 1;
        if (is_sslv2_hello(p, len, dir == NW_DIR_TOSERVER ? 1 : 4)) {
            rlen = ((size_t)(p[0] & 0x7f) << 8) | p[1];
            if (len < 2 + rlen) {
                d->started = 0;
                return 0;
            }
            if (dir == NW_DIR_TOSERVER) {
                save_client_hello(ctx, st, p + 2, rlen, 1);
                d->opaque = 1; /* the rest of SSLv2 is not parsed */
                return (int)(2 + rlen);
            }
            emit(ctx, st, NULL, 1); /* SSLv2 SERVER-HELLO */
            stop(st);
            return (int)(2 + rlen);
        }
    }
    if (len < 5) return 0;
    if (p[0] < TLS_CCS || p[0] > TLS_HEARTBEAT || p[1] != 3) {
        nw_proto_anomaly(ctx, "not_tls");
        return -1;
    }
    rlen = rd16(p + 3);
    if (rlen > TLS_REC_MAX) {
        nw_proto_anomaly(ctx, "record_too_big");
        return -1;
    }
    if (len < 5 + rlen) return 0;
    switch (p[0]) {
    case TLS_HANDSHAKE:
        if (!d->opaque) on_handshake(ctx, st, dir, p + 5, rlen);
        break;
    case TLS_CCS:
        /* TLS 1.3 sends a dummy CCS (RFC 8446 D.4); before 1.3 what follows is encrypted */
        if (!(st->offers13 || st->hrr)) d->opaque = 1;
        break;
    case TLS_APPDATA: d->opaque = 1; break;
    default: break; /* alerts, heartbeats */
    }
    if (!st->done && st->d[NW_DIR_TOCLIENT].opaque) stop(st); /* no ServerHello will come */
    if (d->opaque) dir_free(d);
    return (int)(5 + rlen);
}

static void tls_gap(struct nw_proto_ctx *ctx, void *state, size_t len)
{
    struct tls_state *st = state;
    (void)len;
    st->d[ctx->dir & 1].opaque = 1; /* record framing is lost in this direction */
    dir_free(&st->d[ctx->dir & 1]);
    if (st->d[NW_DIR_TOCLIENT].opaque) stop(st);
}

static void tls_end(struct nw_proto_ctx *ctx, void *state)
{
    struct tls_state *st = state;
    if (st->ch != NULL) emit(ctx, st, NULL, 0);
    nw_free(st->ch);
    st->ch = NULL;
    dir_free(&st->d[0]);
    dir_free(&st->d[1]);
}

/* Record type 22 with version 3.x carrying a ClientHello (or, toward the
 * client, a ServerHello), or an SSLv2-compatible CLIENT-HELLO. */
static int tls_probe(const uint8_t *p, size_t len, int dir)
{
    if (len < 1) return -1;
    if (p[0] == TLS_HANDSHAKE) {
        if (len >= 2 && p[1] != 3) return 0;
        if (len < 6) return -1;
        return p[5] == (dir == NW_DIR_TOSERVER ? 1 : 2);
    }
    if ((p[0] & 0x80) && dir == NW_DIR_TOSERVER) {
        if (len < 5) return -1;
        return is_sslv2_hello(p, len, 1);
    }
    return 0;
}

static int tls_selftest(void)
{
    /* a minimal ClientHello body: TLS 1.2, no session id, one suite, no extensions */
    static const uint8_t body[] = {0x03, 0x03, [34] = 0x00, 0x00, 0x02, 0x00, 0x2f, 0x01, 0x00};
    struct nw_tls_hello h;
    struct nw_buf s;
    char md5[33];
    int ok;

    if (nw_tls_hello_parse(body, sizeof body, 1, &h) != 0) return -1;
    nw_buf_init(&s, 0);
    ok = nw_tls_ja3(&h, &s, md5) == 0 && s.len == 9 && memcmp(s.data, "771,47,,,", 9) == 0;
    nw_buf_fini(&s);
    return ok ? 0 : -1;
}

const struct nw_proto_parser nw_proto_tls = {
    .name = "tls",
    .transports = NW_T_TCP,
    .ports = {443, 465, 993, 995, 8443, 636, 853},
    .probe = tls_probe,
    .state_size = sizeof(struct tls_state),
    .parse = tls_parse,
    .gap = tls_gap,
    .end = tls_end,
    .selftest = tls_selftest,
};
