/*
 * proto_pop3.c - POP3 (RFC 1939, RFC 2449 CAPA, RFC 5034 SASL, RFC 2595
 * STLS): one `login` record per USER/PASS, APOP or AUTH attempt, emitted
 * on the server's +OK/-ERR to the credential, or at flow end as "unknown".
 * STLS answered +OK hands the flow to the TLS parser.
 *
 * Invariants: the PASS argument, the APOP digest and SASL secrets are never
 * copied. Client commands and status lines are at most NW_LOGIN_MAX_LINE
 * bytes (longer is an error); lines of a multi-line response body (RETR,
 * TOP, LIST, UIDL, CAPA, AUTH) may be longer and are skipped. Status lines
 * are matched to commands through a bounded FIFO, in order (RFC 2449
 * pipelining keeps order).
 *
 * Limits: commands past NW_CMDQ_MAX unanswered ones lose the oldest for
 * matching (counted as pipeline_overflow).
 */
#include "nw/proto.h"

#include <string.h>

#include "login_common.h"


enum pop3_cmd { C_OTHER = 0, C_MULTI, C_USER, C_PASS, C_APOP, C_AUTH, C_STLS };

struct pop3_state {
    struct nw__login cur;      /* the attempt in progress */
    struct nw__login_flow lf;
    struct nw__cmdq q;         /* commands awaiting a status line */
    uint8_t body;              /* server is sending a multi-line body */
    uint8_t midline;           /* inside an overlong body line */
    uint8_t sasl;              /* client lines are SASL responses */
    uint8_t resync[2];         /* after a gap: drop bytes up to the next LF */
    size_t scanned[2];         /* bytes already searched for LF (nw__line_next) */
};

static int pop3_probe(const uint8_t *p, size_t len, int dir)
{
    static const char *const cli[] = {"CAPA\r", "CAPA\n", "APOP ", "STLS\r", "AUTH ", NULL};
    static const char *const srv[] = {"+OK", NULL};
    return nw__probe_words(p, len, dir == NW_DIR_TOSERVER ? cli : srv);
}

static void client_line(struct nw_proto_ctx *ctx, struct pop3_state *st, const uint8_t *s,
                        size_t n)
{
    const uint8_t *cmd, *arg = s, *tok;
    size_t cn, an = n, tn;

    if (st->sasl) {
        /* RFC 5034: between AUTH and its status line the client sends responses */
        if (st->cur.active) nw__sasl_response(&st->cur, s, n);
        return;
    }
    if (!nw__token(&arg, &an, &cmd, &cn)) return;
    while (an > 0 && (arg[an - 1] == ' ' || arg[an - 1] == '\t')) an--;
    if (nw__equal_ci(cmd, cn, "USER")) {
        if (st->cur.active) nw__login_emit(ctx, &st->lf, &st->cur, "pop3", "unknown", -1, NULL);
        nw__login_start(&st->cur, "USER/PASS", NULL, 0);
        nw__login_set_user(&st->cur, arg, an);
        nw__cmdq_push(ctx, &st->q, C_USER);
    } else if (nw__equal_ci(cmd, cn, "PASS")) {
        if (!st->cur.active) nw__login_start(&st->cur, "USER/PASS", NULL, 0);
        st->cur.password_seen = 1;
        nw__cmdq_push(ctx, &st->q, C_PASS);
    } else if (nw__equal_ci(cmd, cn, "APOP")) {
        if (st->cur.active) nw__login_emit(ctx, &st->lf, &st->cur, "pop3", "unknown", -1, NULL);
        nw__login_start(&st->cur, "APOP", NULL, 0);
        if (nw__token(&arg, &an, &tok, &tn)) nw__login_set_user(&st->cur, tok, tn);
        st->cur.password_seen = an > 0; /* the digest: noted, dropped */
        nw__cmdq_push(ctx, &st->q, C_APOP);
    } else if (nw__equal_ci(cmd, cn, "AUTH")) {
        if (!nw__token(&arg, &an, &tok, &tn)) {
            nw__cmdq_push(ctx, &st->q, C_MULTI); /* bare AUTH lists the mechanisms */
            return;
        }
        if (st->cur.active) nw__login_emit(ctx, &st->lf, &st->cur, "pop3", "unknown", -1, NULL);
        nw__login_start(&st->cur, NULL, tok, tn);
        nw__sasl_begin(&st->cur, tok, tn);
        if (an > 0) nw__sasl_response(&st->cur, arg, an); /* initial response */
        st->sasl = 1;
        nw__cmdq_push(ctx, &st->q, C_AUTH);
    } else if (nw__equal_ci(cmd, cn, "STLS")) {
        nw__cmdq_push(ctx, &st->q, C_STLS);
    } else if (nw__equal_ci(cmd, cn, "CAPA") || nw__equal_ci(cmd, cn, "RETR") ||
               nw__equal_ci(cmd, cn, "TOP") ||
               ((nw__equal_ci(cmd, cn, "LIST") || nw__equal_ci(cmd, cn, "UIDL")) && an == 0)) {
        nw__cmdq_push(ctx, &st->q, C_MULTI);
    } else {
        nw__cmdq_push(ctx, &st->q, C_OTHER);
    }
}

static void server_status(struct nw_proto_ctx *ctx, struct pop3_state *st, int ok)
{
    int kind = nw__cmdq_pop(&st->q);
    const char *reply = ok ? "+OK" : "-ERR";

    switch (kind) {
    case C_MULTI:
        if (ok) st->body = 1;
        break;
    case C_USER:
        if (!ok) nw__login_emit(ctx, &st->lf, &st->cur, "pop3", "failure", -1, reply);
        break;
    case C_PASS:
    case C_APOP:
    case C_AUTH:
        st->sasl = 0;
        nw__login_emit(ctx, &st->lf, &st->cur, "pop3", ok ? "success" : "failure", -1, reply);
        break;
    case C_STLS:
        if (ok) nw_proto_switch(ctx, "tls");
        break;
    default: break; /* greeting (no command) or other commands */
    }
}

static void server_line(struct nw_proto_ctx *ctx, struct pop3_state *st, const uint8_t *s,
                        size_t n)
{
    if (st->body) {
        if (n == 1 && s[0] == '.') st->body = 0; /* end of the multi-line body */
        return;
    }
    if (nw__prefix_ci(s, n, "+OK"))
        server_status(ctx, st, 1);
    else if (nw__prefix_ci(s, n, "-ERR"))
        server_status(ctx, st, 0);
    else if (st->sasl && n >= 1 && s[0] == '+')
        st->cur.sasl_chal = 1; /* "+ ..." is a SASL challenge: the exchange goes on */
}

static int pop3_parse(struct nw_proto_ctx *ctx, void *state, const uint8_t *p, size_t len)
{
    struct pop3_state *st = state;
    int d = ctx->dir & 1;
    size_t n = 0;
    long k;

    if (st->resync[d] || (d == NW_DIR_TOCLIENT && st->midline)) {
        const uint8_t *lf = memchr(p, '\n', len);
        st->scanned[d] = 0;
        if (lf == NULL) return len > (1u << 30) ? 1 << 30 : (int)len;
        st->resync[d] = 0;
        if (d == NW_DIR_TOCLIENT) st->midline = 0;
        return (int)(lf - p) + 1;
    }
    k = nw__line_next(p, len, &n, &st->scanned[d]);
    if (k < 0) {
        if (d == NW_DIR_TOCLIENT && st->body) {
            st->midline = 1; /* a long line inside a message: skip it */
            st->scanned[d] = 0;
            return (int)NW_LOGIN_MAX_LINE;
        }
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

static void pop3_gap(struct nw_proto_ctx *ctx, void *state, size_t len)
{
    struct pop3_state *st = state;
    (void)len;
    st->resync[ctx->dir & 1] = 1;
    st->scanned[ctx->dir & 1] = 0;
    st->q.len = 0;
    st->body = 0;
    st->midline = 0;
    st->sasl = 0;
}

static void pop3_end(struct nw_proto_ctx *ctx, void *state)
{
    struct pop3_state *st = state;
    nw__login_emit(ctx, &st->lf, &st->cur, "pop3", "unknown", -1, NULL);
}

const struct nw_proto_parser nw_proto_pop3 = {
    .name = "pop3",
    .transports = NW_T_TCP,
    .ports = {110},
    .probe = pop3_probe,
    .state_size = sizeof(struct pop3_state),
    .parse = pop3_parse,
    .gap = pop3_gap,
    .end = pop3_end,
};
