/*
 * proto_ftp.c - FTP control channel (RFC 959, RFC 4217 AUTH TLS): one
 * `login` record per USER/PASS[/ACCT] attempt, emitted when the server's
 * final reply to the credential arrives (230/202 success, 4xx/5xx failure)
 * or at flow end with result "unknown". AUTH TLS/SSL answered 234 hands the
 * flow to the TLS parser.
 *
 * Invariants: the PASS and ACCT arguments are never copied (only
 * password_seen is set); commands and replies are lines of at most
 * NW_LOGIN_MAX_LINE bytes, a longer one is a protocol error. Replies are
 * matched to commands through a bounded FIFO (RFC 959 replies come in
 * command order); 1xx preliminary replies do not consume a command and the
 * greeting, which answers no command, is skipped.
 *
 * Limits: the data channel is not followed; a client that pipelines more
 * than NW_CMDQ_MAX commands loses the oldest for matching (counted).
 */
#include "nw/proto.h"

#include <string.h>

#include "login_common.h"


enum ftp_cmd { C_OTHER = 0, C_USER, C_PASS, C_ACCT, C_AUTHTLS };

struct ftp_state {
    struct nw__login cur;      /* the attempt in progress */
    struct nw__login_flow lf;
    struct nw__cmdq q;         /* commands awaiting a final reply */
    int multi;                 /* code of a multi-line reply in progress, 0 = none */
    uint8_t resync[2];         /* after a gap: drop bytes up to the next LF */
    size_t scanned[2];         /* bytes already searched for LF (nw__line_next) */
};

static int ftp_probe(const uint8_t *p, size_t len, int dir)
{
    static const char *const cmds[] = {"USER ", "AUTH TLS", "AUTH SSL", "FEAT\r", "SYST\r",
                                       "OPTS UTF8", NULL};
    size_t n;
    int sep, r;

    if (dir == NW_DIR_TOSERVER) return nw__probe_words(p, len, cmds);
    if (len < 4) return len > 0 && p[0] == '2' ? -1 : 0;
    if (nw__reply_code(p, len, &sep) != 220 || (sep != ' ' && sep != '-')) return 0;
    r = nw__probe_line(p, len, &n);
    if (r != 1) return r;
    /* an SMTP greeting is also "220 ": leave it to the SMTP parser */
    return nw__contains_ci(p, n, "SMTP") ? 0 : 1;
}

static void client_line(struct nw_proto_ctx *ctx, struct ftp_state *st, const uint8_t *s,
                        size_t n)
{
    const uint8_t *cmd, *arg = s;
    size_t cn, an = n;

    if (!nw__token(&arg, &an, &cmd, &cn)) return;
    while (an > 0 && (arg[an - 1] == ' ' || arg[an - 1] == '\t')) an--;
    if (nw__equal_ci(cmd, cn, "USER")) {
        /* a second USER before any verdict: the first attempt was abandoned */
        if (st->cur.active) nw__login_emit(ctx, &st->lf, &st->cur, "ftp", "unknown", -1, NULL);
        nw__login_start(&st->cur, "USER/PASS", NULL, 0);
        nw__login_set_user(&st->cur, arg, an);
        nw__cmdq_push(ctx, &st->q, C_USER);
    } else if (nw__equal_ci(cmd, cn, "PASS")) {
        if (!st->cur.active) nw__login_start(&st->cur, "USER/PASS", NULL, 0);
        st->cur.password_seen = 1;
        nw__cmdq_push(ctx, &st->q, C_PASS);
    } else if (nw__equal_ci(cmd, cn, "ACCT")) {
        nw__cmdq_push(ctx, &st->q, C_ACCT);
    } else if (nw__equal_ci(cmd, cn, "AUTH") &&
               (nw__prefix_ci(arg, an, "TLS") || nw__prefix_ci(arg, an, "SSL"))) {
        nw__cmdq_push(ctx, &st->q, C_AUTHTLS);
    } else {
        nw__cmdq_push(ctx, &st->q, C_OTHER);
    }
}

static void final_reply(struct nw_proto_ctx *ctx, struct ftp_state *st, int code)
{
    int kind;

    if (code < 200) return; /* 1xx: preliminary, the final reply follows */
    kind = nw__cmdq_pop(&st->q);
    if (kind < 0) return;   /* greeting or unsolicited (421) */
    switch (kind) {
    case C_USER:
    case C_PASS:
    case C_ACCT:
        if (!st->cur.active) break;
        if (code == 331 || code == 332) break; /* needs PASS / ACCT: still open */
        if (code >= 200 && code < 300)
            nw__login_emit(ctx, &st->lf, &st->cur, "ftp", "success", code, NULL);
        else if (code >= 400)
            nw__login_emit(ctx, &st->lf, &st->cur, "ftp", "failure", code, NULL);
        break;
    case C_AUTHTLS:
        if (code == 234) nw_proto_switch(ctx, "tls");
        break;
    default: break;
    }
}

static void server_line(struct nw_proto_ctx *ctx, struct ftp_state *st, const uint8_t *s,
                        size_t n)
{
    int sep, code = nw__reply_code(s, n, &sep);

    if (st->multi) {
        /* RFC 959 4.2: a multi-line reply ends at "<same code><SP>" */
        if (code == st->multi && sep != '-') {
            st->multi = 0;
            final_reply(ctx, st, code);
        }
        return;
    }
    if (code < 0) return;
    if (sep == '-') {
        st->multi = code;
        return;
    }
    final_reply(ctx, st, code);
}

static int ftp_parse(struct nw_proto_ctx *ctx, void *state, const uint8_t *p, size_t len)
{
    struct ftp_state *st = state;
    int d = ctx->dir & 1;
    size_t n = 0;
    long k;

    if (st->resync[d]) {
        const uint8_t *lf = memchr(p, '\n', len);
        st->scanned[d] = 0;
        if (lf == NULL) return len > (1u << 30) ? 1 << 30 : (int)len;
        st->resync[d] = 0;
        return (int)(lf - p) + 1;
    }
    k = nw__line_next(p, len, &n, &st->scanned[d]);
    if (k < 0) {
        nw_proto_anomaly(ctx, "line_too_long");
        return -1;
    }
    if (k == 0) return 0;
    if (d == NW_DIR_TOSERVER)
        client_line(ctx, st, p, n);
    else
        server_line(ctx, st, p, n);
    return (int)k;
}

static void ftp_gap(struct nw_proto_ctx *ctx, void *state, size_t len)
{
    struct ftp_state *st = state;
    (void)ctx, (void)len;
    /* lost commands or replies: matching by order is no longer possible */
    st->resync[ctx->dir & 1] = 1;
    st->scanned[ctx->dir & 1] = 0;
    st->q.len = 0;
    st->multi = 0;
}

static void ftp_end(struct nw_proto_ctx *ctx, void *state)
{
    struct ftp_state *st = state;
    nw__login_emit(ctx, &st->lf, &st->cur, "ftp", "unknown", -1, NULL);
}

const struct nw_proto_parser nw_proto_ftp = {
    .name = "ftp",
    .transports = NW_T_TCP,
    .ports = {21},
    .probe = ftp_probe,
    .state_size = sizeof(struct ftp_state),
    .parse = ftp_parse,
    .gap = ftp_gap,
    .end = ftp_end,
};
