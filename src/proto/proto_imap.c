/*
 * proto_imap.c - IMAP4rev1/rev2 (RFC 3501, RFC 9051; RFC 7888 LITERAL+,
 * RFC 4959 SASL-IR): one `login` record per LOGIN or AUTHENTICATE command,
 * emitted when the tagged OK/NO/BAD for it arrives, or at flow end as
 * "unknown". STARTTLS answered OK hands the flow to the TLS parser.
 *
 * Commands are matched to replies by tag, so pipelined commands work. The
 * LOGIN username may be an atom, a quoted string or a literal ({n} or
 * {n+}); the password argument, whatever its form, is never copied.
 * Literals in any direction (APPEND messages, FETCH bodies) are skipped by
 * count, without a line bound.
 *
 * Invariants: client command lines are at most NW_LOGIN_MAX_LINE bytes
 * (longer is an error); server lines longer than that are skipped (a SEARCH
 * result can be long and carries nothing we need). At most IMAP_PENDING
 * login commands wait for their tagged reply; more push out the oldest
 * as "unknown" (counted).
 */
#include "nw/proto.h"

#include <string.h>

#include "login_common.h"

#define IMAP_PENDING 4
#define IMAP_TAG_MAX 32

enum imap_kind { K_NONE = 0, K_LOGIN, K_AUTH, K_STARTTLS };
enum lit_role { R_SKIP = 0, R_USER, R_PASS };

struct imap_pending {
    uint8_t kind;              /* enum imap_kind; K_NONE = free slot */
    uint8_t taglen;
    uint8_t tag[IMAP_TAG_MAX];
    struct nw__login a;
};

struct imap_state {
    struct imap_pending pend[IMAP_PENDING];
    struct nw__login_flow lf;
    uint64_t lit_left[2];      /* literal bytes still to come, per direction */
    uint8_t lit_role;          /* enum lit_role of the client literal */
    uint8_t lit_slot;          /* pending slot the client literal belongs to */
    uint8_t cont;              /* the client command goes on after a literal */
    uint8_t cont_slot;         /* LOGIN slot of that command, or 0xff */
    uint8_t cont_arg;          /* LOGIN argument index reached */
    uint8_t sasl_slot;         /* AUTHENTICATE exchange running in this slot, 0xff none */
    uint8_t srv_midline;       /* inside an overlong server line */
    uint8_t resync[2];         /* after a gap: drop bytes up to the next LF */
    size_t scanned[2];         /* bytes already searched for LF (nw__line_next) */
    uint8_t inited;            /* the 0xff "none" markers are set */
};

static int imap_probe(const uint8_t *p, size_t len, int dir)
{
    static const char *const srv[] = {"* OK", "* PREAUTH", NULL};
    static const char *const cmds[] = {"CAPABILITY", "LOGIN ", "STARTTLS", "AUTHENTICATE ",
                                       NULL};
    const uint8_t *sp;
    size_t scan = len < IMAP_TAG_MAX + 1 ? len : IMAP_TAG_MAX + 1;

    if (dir == NW_DIR_TOCLIENT) return nw__probe_words(p, len, srv);
    sp = memchr(p, ' ', scan);
    if (sp == NULL) return len <= IMAP_TAG_MAX ? -1 : 0;
    if (sp == p) return 0;
    return nw__probe_words(sp + 1, len - (size_t)(sp + 1 - p), cmds);
}

static void slot_free(struct imap_pending *s) { memset(s, 0, sizeof *s); }

static struct imap_pending *slot_new(struct nw_proto_ctx *ctx, struct imap_state *st,
                                     const uint8_t *tag, size_t tn, int kind, uint8_t *idx)
{
    uint8_t i;

    for (i = 0; i < IMAP_PENDING; i++)
        if (st->pend[i].kind == K_NONE) break;
    if (i == IMAP_PENDING) {
        /* full: the oldest never got an answer we could see */
        nw_proto_anomaly(ctx, "pending_overflow");
        i = 0;
        nw__login_emit(ctx, &st->lf, &st->pend[0].a, "imap", "unknown", -1, NULL);
        slot_free(&st->pend[0]);
        if (st->sasl_slot == 0) st->sasl_slot = 0xff;
        if (st->cont_slot == 0) st->cont_slot = 0xff;
    }
    if (tn > IMAP_TAG_MAX) tn = IMAP_TAG_MAX;
    memcpy(st->pend[i].tag, tag, tn);
    st->pend[i].taglen = (uint8_t)tn;
    st->pend[i].kind = (uint8_t)kind;
    *idx = i;
    return &st->pend[i];
}

/* Literal marker "{n}" or "{n+}" at the end of s/n: returns 1 and its size. */
static int trailing_literal(const uint8_t *s, size_t n, uint64_t *size, size_t *start)
{
    size_t i, e;
    uint64_t v = 0;

    if (n < 3 || s[n - 1] != '}') return 0;
    e = n - 1;
    if (s[e - 1] == '+') e--;
    i = e;
    while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9') i--;
    if (i == e || i == 0 || s[i - 1] != '{' || e - i > 18) return 0;
    for (size_t k = i; k < e; k++) v = v * 10 + (uint64_t)(s[k] - '0');
    *size = v;
    *start = i - 1;
    return 1;
}

static void user_append(struct nw__login *a, const uint8_t *s, size_t n)
{
    size_t room = NW_LOGIN_USER_MAX - a->user_len;
    if (n > room) {
        n = room;
        a->user_cut = 1;
    }
    memcpy(a->user + a->user_len, s, n);
    a->user_len = (uint16_t)(a->user_len + n);
    a->has_user = 1;
}

/* One LOGIN argument (atom or quoted) value for slot a at index arg. */
static void login_arg(struct nw__login *a, unsigned arg, const uint8_t *v, size_t vn, int quoted)
{
    if (arg == 0) {
        a->user_len = 0;
        if (!quoted) {
            user_append(a, v, vn);
            return;
        }
        for (size_t i = 0; i < vn; i++) { /* quoted: \" and \\ escapes */
            if (v[i] == '\\' && i + 1 < vn) i++;
            user_append(a, v + i, 1);
        }
        a->has_user = 1;
    } else if (arg == 1) {
        a->password_seen = 1; /* the password: noted, dropped */
    }
}

/*
 * Walk LOGIN arguments in s/n from index st->cont_arg on. A literal marker
 * at the end sets up the literal and leaves the command open.
 */
static void login_args(struct imap_state *st, struct nw__login *a, const uint8_t *s, size_t n)
{
    uint64_t lsz;
    size_t lstart, i = 0;

    if (trailing_literal(s, n, &lsz, &lstart)) n = lstart; /* handled after the args */
    else lstart = (size_t)-1;
    while (i < n) {
        size_t b;
        while (i < n && s[i] == ' ') i++;
        if (i >= n) break;
        if (s[i] == '"') {
            b = ++i;
            while (i < n && s[i] != '"') i += (s[i] == '\\' && i + 1 < n) ? 2 : 1;
            login_arg(a, st->cont_arg, s + b, (i < n ? i : n) - b, 1);
            if (i < n) i++;
        } else {
            b = i;
            while (i < n && s[i] != ' ') i++;
            login_arg(a, st->cont_arg, s + b, i - b, 0);
        }
        if (st->cont_arg < 255) st->cont_arg++;
    }
    if (lstart != (size_t)-1) {
        st->lit_left[NW_DIR_TOSERVER] = lsz;
        st->lit_role = st->cont_arg == 0 ? R_USER : st->cont_arg == 1 ? R_PASS : R_SKIP;
        if (st->lit_role == R_USER) a->user_len = 0;
        if (st->lit_role == R_PASS) a->password_seen = 1;
        st->cont = 1;
        if (st->cont_arg < 255) st->cont_arg++;
    }
}

static void client_line(struct nw_proto_ctx *ctx, struct imap_state *st, const uint8_t *s,
                        size_t n)
{
    const uint8_t *tag, *cmd, *rest = s, *mech;
    size_t tn, cn, rn = n, mn, lstart;
    uint64_t lsz;
    uint8_t idx;
    struct imap_pending *pd;

    if (st->cont) {
        st->cont = 0;
        if (st->cont_slot < IMAP_PENDING && st->pend[st->cont_slot].kind == K_LOGIN) {
            login_args(st, &st->pend[st->cont_slot].a, s, n);
            st->lit_slot = st->cont_slot;
        } else if (trailing_literal(s, n, &lsz, &lstart)) {
            st->lit_left[NW_DIR_TOSERVER] = lsz;
            st->lit_role = R_SKIP;
            st->cont = 1;
        }
        return;
    }
    if (st->sasl_slot < IMAP_PENDING) {
        /* RFC 3501 6.2.2: lines after AUTHENTICATE are SASL responses */
        nw__sasl_response(&st->pend[st->sasl_slot].a, s, n);
        return;
    }
    if (!nw__token(&rest, &rn, &tag, &tn) || !nw__token(&rest, &rn, &cmd, &cn)) return;
    if (nw__equal_ci(cmd, cn, "UID") && !nw__token(&rest, &rn, &cmd, &cn)) return;
    if (nw__equal_ci(cmd, cn, "LOGIN")) {
        pd = slot_new(ctx, st, tag, tn, K_LOGIN, &idx);
        nw__login_start(&pd->a, "LOGIN(IMAP)", NULL, 0);
        st->cont_slot = idx;
        st->lit_slot = idx;
        st->cont_arg = 0;
        login_args(st, &pd->a, rest, rn);
        if (!st->cont) st->cont_slot = 0xff;
    } else if (nw__equal_ci(cmd, cn, "AUTHENTICATE") && nw__token(&rest, &rn, &mech, &mn)) {
        pd = slot_new(ctx, st, tag, tn, K_AUTH, &idx);
        nw__login_start(&pd->a, NULL, mech, mn);
        nw__sasl_begin(&pd->a, mech, mn);
        while (rn > 0 && rest[rn - 1] == ' ') rn--;
        if (rn > 0) nw__sasl_response(&pd->a, rest, rn); /* SASL-IR */
        st->sasl_slot = idx;
    } else if (nw__equal_ci(cmd, cn, "STARTTLS")) {
        slot_new(ctx, st, tag, tn, K_STARTTLS, &idx);
    } else if (trailing_literal(s, n, &lsz, &lstart)) {
        st->lit_left[NW_DIR_TOSERVER] = lsz; /* APPEND and friends: skip the literal */
        st->lit_role = R_SKIP;
        st->cont = 1;
        st->cont_slot = 0xff;
    }
}

static void tagged_reply(struct nw_proto_ctx *ctx, struct imap_state *st, const uint8_t *tag,
                         size_t tn, const uint8_t *status, size_t sn)
{
    int ok = nw__equal_ci(status, sn, "OK");
    const char *reply = ok ? "OK" : nw__equal_ci(status, sn, "NO") ? "NO" : "BAD";

    if (tn > IMAP_TAG_MAX) tn = IMAP_TAG_MAX;
    for (uint8_t i = 0; i < IMAP_PENDING; i++) {
        struct imap_pending *pd = &st->pend[i];
        if (pd->kind == K_NONE || pd->taglen != tn || memcmp(pd->tag, tag, tn) != 0) continue;
        if (pd->kind == K_STARTTLS) {
            if (ok) nw_proto_switch(ctx, "tls");
        } else {
            nw__login_emit(ctx, &st->lf, &pd->a, "imap", ok ? "success" : "failure", -1, reply);
        }
        if (st->sasl_slot == i) st->sasl_slot = 0xff;
        if (st->cont_slot == i) st->cont_slot = 0xff;
        slot_free(pd);
        return;
    }
}

static void server_line(struct nw_proto_ctx *ctx, struct imap_state *st, const uint8_t *s,
                        size_t n)
{
    const uint8_t *tag, *status, *rest = s;
    size_t tn, sn, rn = n, lstart;
    uint64_t lsz;

    if (trailing_literal(s, n, &lsz, &lstart)) st->lit_left[NW_DIR_TOCLIENT] = lsz;
    if (n > 0 && s[0] == '+' && st->sasl_slot < IMAP_PENDING)
        st->pend[st->sasl_slot].a.sasl_chal = 1; /* a SASL challenge */
    if (n == 0 || s[0] == '*' || s[0] == '+') return; /* untagged data, continuation */
    if (!nw__token(&rest, &rn, &tag, &tn) || !nw__token(&rest, &rn, &status, &sn)) return;
    if (nw__equal_ci(status, sn, "OK") || nw__equal_ci(status, sn, "NO") ||
        nw__equal_ci(status, sn, "BAD"))
        tagged_reply(ctx, st, tag, tn, status, sn);
}

static int literal_bytes(struct imap_state *st, int d, const uint8_t *p, size_t len)
{
    uint64_t take = st->lit_left[d] < len ? st->lit_left[d] : len;

    if (take > (1u << 30)) take = 1u << 30;
    if (d == NW_DIR_TOSERVER && st->lit_role == R_USER && st->lit_slot < IMAP_PENDING)
        user_append(&st->pend[st->lit_slot].a, p, (size_t)take);
    st->lit_left[d] -= take;
    return (int)take;
}

static int imap_parse(struct nw_proto_ctx *ctx, void *state, const uint8_t *p, size_t len)
{
    struct imap_state *st = state;
    int d = ctx->dir & 1;
    size_t n = 0;
    long k;

    if (st->lit_left[d]) {
        st->scanned[d] = 0;
        return literal_bytes(st, d, p, len);
    }
    if (st->resync[d] || (d == NW_DIR_TOCLIENT && st->srv_midline)) {
        const uint8_t *lf = memchr(p, '\n', len);
        st->scanned[d] = 0;
        if (lf == NULL) return len > (1u << 30) ? 1 << 30 : (int)len;
        st->resync[d] = 0;
        if (d == NW_DIR_TOCLIENT) st->srv_midline = 0;
        return (int)(lf - p) + 1;
    }
    k = nw__line_next(p, len, &n, &st->scanned[d]);
    if (k < 0) {
        if (d == NW_DIR_TOCLIENT) {
            st->srv_midline = 1;
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

static void imap_gap(struct nw_proto_ctx *ctx, void *state, size_t len)
{
    struct imap_state *st = state;
    int d = ctx->dir & 1;

    st->scanned[d] = 0;
    if (st->lit_left[d] > len) { /* the hole fell inside a literal */
        st->lit_left[d] -= len;
        return;
    }
    st->lit_left[d] = 0;
    st->resync[d] = 1;
    if (d == NW_DIR_TOSERVER) {
        st->cont = 0;
        st->sasl_slot = 0xff;
    }
}

static void imap_end(struct nw_proto_ctx *ctx, void *state)
{
    struct imap_state *st = state;
    for (int i = 0; i < IMAP_PENDING; i++)
        if (st->pend[i].kind == K_LOGIN || st->pend[i].kind == K_AUTH)
            nw__login_emit(ctx, &st->lf, &st->pend[i].a, "imap", "unknown", -1, NULL);
}

/* The state starts zeroed; slot 0 is a real slot, so "none" is 0xff, set on first use. */
static int imap_parse_entry(struct nw_proto_ctx *ctx, void *state, const uint8_t *p, size_t len)
{
    struct imap_state *st = state;
    if (!st->inited) {
        st->sasl_slot = 0xff;
        st->cont_slot = 0xff;
        st->lit_slot = 0xff;
        st->inited = 1;
    }
    return imap_parse(ctx, state, p, len);
}

const struct nw_proto_parser nw_proto_imap = {
    .name = "imap",
    .transports = NW_T_TCP,
    .ports = {143},
    .probe = imap_probe,
    .state_size = sizeof(struct imap_state),
    .parse = imap_parse_entry,
    .gap = imap_gap,
    .end = imap_end,
};
