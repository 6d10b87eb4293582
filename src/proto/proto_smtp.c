/*
 * proto_smtp.c - SMTP/ESMTP/submission (RFC 5321, RFC 2920 pipelining,
 * RFC 3030 BDAT, RFC 4954 AUTH, RFC 3207 STARTTLS). Emits:
 *  - one `smtp` record per mail transaction (Suricata's eve fields helo,
 *    mail_from, rcpt_to[]), when the reply to the end of DATA/BDAT LAST
 *    arrives, or when the transaction is dropped (RSET, a new MAIL, flow
 *    end, STARTTLS);
 *  - one `login` record per AUTH exchange, on the server's final reply
 *    (235 success, 4xx/5xx failure) or at flow end as "unknown".
 * STARTTLS answered 220 hands the flow to the TLS parser.
 *
 * Invariants: SASL secrets (PLAIN password part, LOGIN second response,
 * CRAM-MD5 digest) are never copied. Command and reply lines are at most
 * NW_LOGIN_MAX_LINE bytes (longer is an error); message content (DATA
 * body, BDAT chunks) is skipped without a line bound. Replies are matched
 * to commands through a bounded FIFO in order (RFC 2920 keeps order).
 *
 * Limits: helo/mail_from/each recipient are cut at 256 bytes; at most
 * SMTP_MAX_RCPT recipients are kept per transaction (rcpt_to_truncated).
 * The message content is not parsed (no MIME, no email object).
 */
#include "nw/proto.h"

#include <string.h>

#include "login_common.h"

#define SMTP_QMAX 32
#define SMTP_FIELD_MAX 256
#define SMTP_MAX_RCPT 64

enum smtp_cmd { C_OTHER = 0, C_DATA, C_DATAEND, C_BDATLAST, C_AUTH, C_STARTTLS };
enum smtp_mode { M_CMD = 0, M_BODY, M_BDAT };

struct smtp_state {
    struct nw__login cur;      /* the AUTH attempt in progress */
    struct nw__login_flow lf;
    uint8_t q[SMTP_QMAX];      /* commands awaiting a final reply, oldest at qhead */
    uint8_t qhead, qlen;
    uint8_t mode;              /* enum smtp_mode of the client direction */
    uint8_t midline;           /* inside an overlong body line */
    uint8_t sasl;              /* client lines are SASL responses */
    uint8_t resync[2];         /* after a gap: drop bytes up to the next LF */
    size_t scanned[2];         /* bytes already searched for LF (nw__line_next) */
    uint64_t bdat_left;        /* BDAT chunk bytes still to skip */
    /* the transaction */
    uint8_t tx_active;
    uint8_t rcpt_cut;
    uint16_t helo_len, from_len;
    uint8_t helo[SMTP_FIELD_MAX];
    uint8_t from[SMTP_FIELD_MAX];
    unsigned nrcpt;
    struct nw_buf rcpts;       /* recipients, each as 2-byte length + bytes */
};

static int smtp_probe(const uint8_t *p, size_t len, int dir)
{
    static const char *const cli[] = {"EHLO ", "HELO ", "LHLO ", NULL};
    size_t n;
    int sep, r;

    if (dir == NW_DIR_TOSERVER) return nw__probe_words(p, len, cli);
    if (len < 4) return len > 0 && p[0] == '2' ? -1 : 0;
    if (nw__reply_code(p, len, &sep) != 220 || (sep != ' ' && sep != '-')) return 0;
    r = nw__probe_line(p, len, &n);
    if (r != 1) return r;
    return nw__contains_ci(p, n, "SMTP") || nw__contains_ci(p, n, "LMTP") ||
           nw__contains_ci(p, n, " mail");
}

static void q_push(struct nw_proto_ctx *ctx, struct smtp_state *st, int kind)
{
    if (st->qlen == SMTP_QMAX) {
        nw_proto_anomaly(ctx, "pipeline_overflow");
        st->qhead = (uint8_t)((st->qhead + 1) % SMTP_QMAX);
        st->qlen--;
    }
    st->q[(st->qhead + st->qlen) % SMTP_QMAX] = (uint8_t)kind;
    st->qlen++;
}

static int q_pop(struct smtp_state *st)
{
    int k;
    if (st->qlen == 0) return -1;
    k = st->q[st->qhead];
    st->qhead = (uint8_t)((st->qhead + 1) % SMTP_QMAX);
    st->qlen--;
    return k;
}

static void tx_emit(struct nw_proto_ctx *ctx, struct smtp_state *st)
{
    struct nw_buf *b;
    size_t off = 0;

    if (!st->tx_active) return;
    b = nw_record_begin(ctx, "smtp", NW_REC_FLOW);
    nw_json_kobj_open(b, "smtp");
    if (st->helo_len) nw_json_kstr(b, "helo", st->helo, st->helo_len);
    nw_json_kstr(b, "mail_from", st->from, st->from_len);
    if (st->nrcpt) {
        nw_json_karr_open(b, "rcpt_to");
        while (off + 2 <= st->rcpts.len) {
            size_t l = (size_t)(uint8_t)st->rcpts.data[off] << 8 | (uint8_t)st->rcpts.data[off + 1];
            if (off + 2 + l > st->rcpts.len) break;
            nw_json_str(b, st->rcpts.data + off + 2, l);
            off += 2 + l;
        }
        nw_json_arr_close(b);
    }
    if (st->rcpt_cut) nw_json_kbool(b, "rcpt_to_truncated", 1);
    nw_json_obj_close(b);
    nw_record_end(ctx);
    st->tx_active = 0;
    st->from_len = 0;
    st->nrcpt = 0;
    st->rcpt_cut = 0;
    nw_buf_reset(&st->rcpts);
}

/* "MAIL FROM:<a@b> SIZE=1" -> "<a@b>": the path after the colon, without
 * ESMTP parameters (Suricata keeps the argument as sent). */
static void path_arg(const uint8_t *s, size_t n, const uint8_t **v, size_t *vn)
{
    const uint8_t *c = memchr(s, ':', n);
    size_t i, e;

    *v = s + n;
    *vn = 0;
    if (c == NULL) return;
    i = (size_t)(c - s) + 1;
    while (i < n && s[i] == ' ') i++;
    e = i;
    if (e < n && s[e] == '<') {
        while (e < n && s[e] != '>') e++;
        if (e < n) e++;
    } else {
        while (e < n && s[e] != ' ') e++;
    }
    *v = s + i;
    *vn = e - i;
}

static void add_rcpt(struct smtp_state *st, const uint8_t *v, size_t vn)
{
    uint8_t hdr[2];

    if (st->nrcpt >= SMTP_MAX_RCPT) {
        st->rcpt_cut = 1;
        return;
    }
    if (vn > SMTP_FIELD_MAX) vn = SMTP_FIELD_MAX;
    if (st->rcpts.max == 0) st->rcpts.max = SMTP_MAX_RCPT * (SMTP_FIELD_MAX + 2);
    hdr[0] = (uint8_t)(vn >> 8);
    hdr[1] = (uint8_t)vn;
    nw_buf_append(&st->rcpts, hdr, 2);
    nw_buf_append(&st->rcpts, v, vn);
    if (!nw_buf_ok(&st->rcpts)) { /* out of memory: keep what we have */
        st->rcpt_cut = 1;
        return;
    }
    st->nrcpt++;
}

/* BDAT <size> [LAST] */
static void cmd_bdat(struct nw_proto_ctx *ctx, struct smtp_state *st, const uint8_t *arg,
                     size_t an)
{
    const uint8_t *tok;
    size_t tn;
    uint64_t v = 0;

    if (!nw__token(&arg, &an, &tok, &tn) || tn > 18) {
        q_push(ctx, st, C_OTHER);
        return;
    }
    for (size_t i = 0; i < tn; i++) {
        if (tok[i] < '0' || tok[i] > '9') {
            q_push(ctx, st, C_OTHER);
            return;
        }
        v = v * 10 + (uint64_t)(tok[i] - '0');
    }
    st->bdat_left = v;
    if (v) st->mode = M_BDAT;
    q_push(ctx, st, nw__token(&arg, &an, &tok, &tn) && nw__equal_ci(tok, tn, "LAST") ? C_BDATLAST
                                                                                   : C_OTHER);
}

static void client_line(struct nw_proto_ctx *ctx, struct smtp_state *st, const uint8_t *s,
                        size_t n)
{
    const uint8_t *cmd, *arg = s, *tok, *v;
    size_t cn, an = n, tn, vn;

    if (st->sasl) {
        /* RFC 4954: after AUTH, lines are SASL responses until the final reply */
        if (st->cur.active) nw__sasl_response(&st->cur, s, n);
        return;
    }
    if (!nw__token(&arg, &an, &cmd, &cn)) return;
    while (an > 0 && (arg[an - 1] == ' ' || arg[an - 1] == '\t')) an--;
    if (nw__equal_ci(cmd, cn, "HELO") || nw__equal_ci(cmd, cn, "EHLO") ||
        nw__equal_ci(cmd, cn, "LHLO")) {
        if (an > SMTP_FIELD_MAX) an = SMTP_FIELD_MAX;
        memcpy(st->helo, arg, an);
        st->helo_len = (uint16_t)an;
        q_push(ctx, st, C_OTHER);
    } else if (nw__prefix_ci(s, n, "MAIL FROM:") || nw__prefix_ci(s, n, "MAIL FROM :")) {
        tx_emit(ctx, st); /* a transaction never finished */
        path_arg(s, n, &v, &vn);
        if (vn > SMTP_FIELD_MAX) vn = SMTP_FIELD_MAX;
        memcpy(st->from, v, vn);
        st->from_len = (uint16_t)vn;
        st->tx_active = 1;
        q_push(ctx, st, C_OTHER);
    } else if (nw__prefix_ci(s, n, "RCPT TO:") || nw__prefix_ci(s, n, "RCPT TO :")) {
        path_arg(s, n, &v, &vn);
        if (st->tx_active) add_rcpt(st, v, vn);
        q_push(ctx, st, C_OTHER);
    } else if (nw__equal_ci(cmd, cn, "DATA")) {
        q_push(ctx, st, C_DATA);
    } else if (nw__equal_ci(cmd, cn, "BDAT")) {
        cmd_bdat(ctx, st, arg, an);
    } else if (nw__equal_ci(cmd, cn, "RSET")) {
        tx_emit(ctx, st);
        q_push(ctx, st, C_OTHER);
    } else if (nw__equal_ci(cmd, cn, "AUTH") && nw__token(&arg, &an, &tok, &tn)) {
        if (st->cur.active) nw__login_emit(ctx, &st->lf, &st->cur, "smtp", "unknown", -1, NULL);
        nw__login_start(&st->cur, NULL, tok, tn);
        nw__sasl_begin(&st->cur, tok, tn);
        if (an > 0) nw__sasl_response(&st->cur, arg, an); /* initial response */
        st->sasl = 1;
        q_push(ctx, st, C_AUTH);
    } else if (nw__equal_ci(cmd, cn, "STARTTLS")) {
        q_push(ctx, st, C_STARTTLS);
    } else {
        q_push(ctx, st, C_OTHER);
    }
}

static void final_reply(struct nw_proto_ctx *ctx, struct smtp_state *st, int code)
{
    int kind;

    if (code == 334 && st->sasl) { /* SASL challenge: the exchange goes on */
        st->cur.sasl_chal = 1;
        return;
    }
    kind = q_pop(st);
    switch (kind) {
    case C_DATA:
        if (code == 354) st->mode = M_BODY;
        break;
    case C_DATAEND:
    case C_BDATLAST:
        tx_emit(ctx, st);
        break;
    case C_AUTH:
        st->sasl = 0;
        nw__login_emit(ctx, &st->lf, &st->cur, "smtp",
                       code >= 200 && code < 300 ? "success"
                       : code >= 400             ? "failure"
                                                 : "unknown",
                       code, NULL);
        break;
    case C_STARTTLS:
        if (code == 220) nw_proto_switch(ctx, "tls"); /* end() flushes what is open */
        break;
    default: break; /* the greeting (no command), or replies we do not need */
    }
}

static int body_bytes(struct nw_proto_ctx *ctx, struct smtp_state *st, const uint8_t *p,
                      size_t len)
{
    size_t n = 0;
    long k;

    if (st->mode == M_BDAT) {
        st->scanned[0] = 0;
        uint64_t take = st->bdat_left < len ? st->bdat_left : len;
        if (take > (1u << 30)) take = 1u << 30;
        st->bdat_left -= take;
        if (st->bdat_left == 0) st->mode = M_CMD;
        return (int)take;
    }
    if (st->midline) {
        const uint8_t *lf = memchr(p, '\n', len);
        st->scanned[0] = 0;
        if (lf == NULL) return len > (1u << 30) ? 1 << 30 : (int)len;
        st->midline = 0;
        return (int)(lf - p) + 1;
    }
    k = nw__line_next(p, len, &n, &st->scanned[0]);
    if (k < 0) {
        st->scanned[0] = 0;
        st->midline = 1; /* long content line: skip it, the message is not ours to bound */
        return (int)NW_LOGIN_MAX_LINE;
    }
    if (k == 0) return 0;
    if (n == 1 && p[0] == '.') { /* end of data (RFC 5321 4.1.1.4) */
        st->mode = M_CMD;
        q_push(ctx, st, C_DATAEND);
    }
    return (int)k;
}

static int smtp_parse(struct nw_proto_ctx *ctx, void *state, const uint8_t *p, size_t len)
{
    struct smtp_state *st = state;
    int d = ctx->dir & 1, sep, code;
    size_t n = 0;
    long k;

    if (st->resync[d]) {
        const uint8_t *lf = memchr(p, '\n', len);
        st->scanned[d] = 0;
        if (lf == NULL) return len > (1u << 30) ? 1 << 30 : (int)len;
        st->resync[d] = 0;
        return (int)(lf - p) + 1;
    }
    if (d == NW_DIR_TOSERVER && st->mode != M_CMD) return body_bytes(ctx, st, p, len);
    k = nw__line_next(p, len, &n, &st->scanned[d]);
    if (k < 0) {
        nw_proto_anomaly(ctx, "line_too_long");
        return -1;
    }
    if (k == 0) return 0;
    if (d == NW_DIR_TOSERVER) {
        client_line(ctx, st, p, n);
    } else {
        code = nw__reply_code(p, n, &sep);
        if (code >= 0 && sep != '-') final_reply(ctx, st, code); /* "250-" lines continue */
    }
    return (int)k;
}

static void smtp_gap(struct nw_proto_ctx *ctx, void *state, size_t len)
{
    struct smtp_state *st = state;

    st->qlen = 0; /* a lost command or reply breaks in-order matching */
    st->scanned[ctx->dir & 1] = 0;
    st->sasl = 0;
    if (ctx->dir != NW_DIR_TOSERVER || st->mode == M_CMD) {
        st->resync[ctx->dir & 1] = 1;
    } else if (st->mode == M_BDAT) {
        /* the hole was part of the chunk unless it ran past it */
        if (len >= st->bdat_left) {
            st->bdat_left = 0;
            st->mode = M_CMD;
            st->resync[0] = 1;
        } else {
            st->bdat_left -= len;
        }
    } else {
        st->midline = 1; /* inside DATA: keep looking for the "." line */
    }
}

static void smtp_end(struct nw_proto_ctx *ctx, void *state)
{
    struct smtp_state *st = state;
    tx_emit(ctx, st);
    nw__login_emit(ctx, &st->lf, &st->cur, "smtp", "unknown", -1, NULL);
    nw_buf_fini(&st->rcpts);
}

const struct nw_proto_parser nw_proto_smtp = {
    .name = "smtp",
    .transports = NW_T_TCP,
    .ports = {25, 587, 2525},
    .probe = smtp_probe,
    .state_size = sizeof(struct smtp_state),
    .parse = smtp_parse,
    .gap = smtp_gap,
    .end = smtp_end,
};
