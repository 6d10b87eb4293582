/*
 * proto_telnet.c - Telnet (RFC 854/855, RFC 1572 NEW-ENVIRON) logins, best
 * effort. Telnet has no login protocol: the server prints a prompt and the
 * client types. So we strip IAC option negotiation in both directions,
 * watch the server text for a login prompt ("login:", "username:"), take
 * the line the client types next as the username, note (and drop) the line
 * typed after the password prompt, and judge the result from what the
 * server prints next:
 *   success: "Last login", or a shell prompt ("$ ", "# ", "> ", "% ") at
 *            the end of server output after the password;
 *   failure: "Login incorrect", "Login failed", "Authentication failed",
 *            "Access denied", ... or the login prompt coming back.
 * One `login` record per attempt; "unknown" at flow end if no verdict.
 * A NEW-ENVIRON USER variable (telnet -l user) is used as the username
 * when the server asks only for a password.
 *
 * Invariants: every byte is consumed as it comes (no pending data, no line
 * bound needed); the password keystrokes are never stored, only the line
 * end is noticed; the server text window is 64 bytes and only matched
 * against fixed strings. Backspace/DEL edit the typed username.
 *
 * Limits: heuristics on English prompts; a login inside an encrypted or
 * Kerberos-authenticated session (AUTHENTICATION option) is not seen; after
 * one success the flow is no longer watched.
 */
#include "nw/proto.h"

#include <string.h>

#include "login_common.h"

#define TN_IAC 255
#define TN_SB 250
#define TN_SE 240
#define TN_WILL 251
#define TN_DONT 254
#define TN_NEW_ENVIRON 39
#define WIN 64
#define SB_MAX 300

enum tn_iac { I_DATA = 0, I_IAC, I_OPT, I_SB, I_SB_IAC };
enum tn_phase { P_INIT = 0, P_USER, P_PASSPROMPT, P_PASS, P_RESULT, P_DONE };

struct telnet_state {
    struct nw__login cur;      /* the attempt in progress */
    struct nw__login_flow lf;
    uint8_t iac[2];            /* enum tn_iac per direction */
    uint8_t phase;             /* enum tn_phase */
    uint8_t after_cr;          /* client: last data byte was CR (skip LF/NUL) */
    uint8_t line_cut;
    uint16_t line_len;
    uint8_t line[NW_LOGIN_USER_MAX]; /* username being typed */
    uint8_t win_len;
    uint8_t win[WIN];          /* recent server text, lower case */
    uint16_t sb_len;
    uint8_t sb[SB_MAX];        /* client subnegotiation being read */
    uint8_t env_user_len;
    uint8_t env_user[64];      /* NEW-ENVIRON USER */
};

static int telnet_probe(const uint8_t *p, size_t len, int dir)
{
    (void)dir;
    if (len < 2) return len == 1 && p[0] == TN_IAC ? -1 : 0;
    return p[0] == TN_IAC && p[1] >= TN_WILL && p[1] <= TN_DONT;
}

static int win_ends(const struct telnet_state *st, const char *s)
{
    size_t n = strlen(s);
    return st->win_len >= n && memcmp(st->win + st->win_len - n, s, n) == 0;
}

static void verdict(struct nw_proto_ctx *ctx, struct telnet_state *st, const char *result,
                    const char *reply)
{
    nw__login_emit(ctx, &st->lf, &st->cur, "telnet", result, -1, reply);
    st->phase = strcmp(result, "success") == 0 ? P_DONE : P_INIT;
}

static void user_prompt(struct nw_proto_ctx *ctx, struct telnet_state *st)
{
    if (st->phase == P_RESULT || st->phase == P_PASSPROMPT || st->phase == P_PASS)
        verdict(ctx, st, "failure", "login prompt again");
    st->phase = P_USER;
    st->line_len = 0;
    st->line_cut = 0;
}

static void pass_prompt(struct telnet_state *st)
{
    if (st->phase == P_PASSPROMPT) {
        st->phase = P_PASS;
    } else if (st->phase == P_INIT || st->phase == P_USER) {
        /* password-only login (or telnet -l user): no typed username */
        nw__login_start(&st->cur, "login-prompt", NULL, 0);
        if (st->env_user_len) nw__login_set_user(&st->cur, st->env_user, st->env_user_len);
        st->phase = P_PASS;
    }
}

static void server_byte(struct nw_proto_ctx *ctx, struct telnet_state *st, uint8_t c)
{
    static const char *const fails[] = {"login incorrect", "login failed",
                                        "authentication failed", "access denied",
                                        "incorrect password", "invalid login",
                                        "login invalid", "bad password", NULL};
    static const char *const shells[] = {"$ ", "# ", "> ", "% ", NULL};

    if (c == 0 || st->phase == P_DONE) return; /* after a success nothing is watched */
    if (st->win_len == WIN) {
        memmove(st->win, st->win + 1, WIN - 1);
        st->win_len--;
    }
    st->win[st->win_len++] = (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (win_ends(st, "last login")) {
        if (st->phase == P_RESULT) verdict(ctx, st, "success", "last login");
        return;
    }
    if (st->phase == P_RESULT || st->phase == P_PASS) {
        for (int i = 0; fails[i]; i++)
            if (win_ends(st, fails[i])) {
                verdict(ctx, st, "failure", fails[i]);
                return;
            }
    }
    if (st->phase == P_RESULT) {
        for (int i = 0; shells[i]; i++)
            if (win_ends(st, shells[i])) {
                verdict(ctx, st, "success", "shell prompt");
                return;
            }
    }
    if (win_ends(st, "login:") || win_ends(st, "username:") || win_ends(st, "user name:"))
        user_prompt(ctx, st);
    else if (win_ends(st, "password:") || win_ends(st, "passcode:"))
        pass_prompt(st);
}

static void client_line_end(struct telnet_state *st)
{
    if (st->phase == P_USER && st->line_len > 0) {
        nw__login_start(&st->cur, "login-prompt", NULL, 0);
        nw__login_set_user(&st->cur, st->line, st->line_len);
        st->cur.user_cut = st->line_cut;
        st->phase = P_PASSPROMPT;
    } else if (st->phase == P_PASS) {
        st->cur.password_seen = 1; /* the typed secret itself was never kept */
        st->phase = P_RESULT;
    }
}

static void client_byte(struct telnet_state *st, uint8_t c)
{
    int was_cr = st->after_cr;

    st->after_cr = c == '\r';
    if (c == '\r' || (c == '\n' && !was_cr)) {
        client_line_end(st);
        return;
    }
    if (c == '\n' || c == 0) return; /* CR LF / CR NUL: one line end */
    if (st->phase != P_USER) return; /* the password and shell input are not looked at */
    if (c == 8 || c == 127) {
        if (st->line_len) st->line_len--;
        return;
    }
    if (c < 0x20) return;
    if (st->line_len < NW_LOGIN_USER_MAX)
        st->line[st->line_len++] = c;
    else
        st->line_cut = 1;
}

/* RFC 1572: SB NEW-ENVIRON IS { VAR|USERVAR name VALUE value } SE */
static void client_sb(struct telnet_state *st)
{
    size_t i = 2, n = st->sb_len;

    if (n < 2 || st->sb[0] != TN_NEW_ENVIRON || st->sb[1] != 0) return;
    while (i < n) {
        size_t ns, ne, vs, ve;
        if (st->sb[i] != 0 && st->sb[i] != 3) {
            i++;
            continue;
        }
        ns = ++i;
        while (i < n && st->sb[i] > 3) i++;
        ne = i;
        if (i < n && st->sb[i] == 1) {
            vs = ++i;
            while (i < n && st->sb[i] > 3) i++;
            ve = i;
            if (ne - ns == 4 && memcmp(st->sb + ns, "USER", 4) == 0) {
                size_t l = ve - vs < sizeof st->env_user ? ve - vs : sizeof st->env_user;
                memcpy(st->env_user, st->sb + vs, l);
                st->env_user_len = (uint8_t)l;
            }
        }
    }
}

static void data_byte(struct nw_proto_ctx *ctx, struct telnet_state *st, int d, uint8_t c)
{
    if (d == NW_DIR_TOCLIENT)
        server_byte(ctx, st, c);
    else
        client_byte(st, c);
}

static void sb_byte(struct telnet_state *st, int d, uint8_t c)
{
    if (d == NW_DIR_TOSERVER && st->sb_len < SB_MAX) st->sb[st->sb_len++] = c;
}

static int telnet_parse(struct nw_proto_ctx *ctx, void *state, const uint8_t *p, size_t len)
{
    struct telnet_state *st = state;
    int d = ctx->dir & 1;
    size_t i;

    if (len > (1u << 30)) len = 1u << 30;
    for (i = 0; i < len; i++) {
        uint8_t c = p[i];
        switch (st->iac[d]) {
        case I_DATA:
            if (c == TN_IAC)
                st->iac[d] = I_IAC;
            else
                data_byte(ctx, st, d, c);
            break;
        case I_IAC:
            if (c == TN_IAC) {
                data_byte(ctx, st, d, c);
                st->iac[d] = I_DATA;
            } else if (c >= TN_WILL && c <= TN_DONT) {
                st->iac[d] = I_OPT;
            } else if (c == TN_SB) {
                st->iac[d] = I_SB;
                if (d == NW_DIR_TOSERVER) st->sb_len = 0;
            } else {
                st->iac[d] = I_DATA; /* NOP, GA, AYT...: two bytes */
            }
            break;
        case I_OPT: st->iac[d] = I_DATA; break;
        case I_SB:
            if (c == TN_IAC)
                st->iac[d] = I_SB_IAC;
            else
                sb_byte(st, d, c);
            break;
        default: /* I_SB_IAC */
            if (c == TN_SE) {
                st->iac[d] = I_DATA;
                if (d == NW_DIR_TOSERVER) client_sb(st);
            } else {
                if (c == TN_IAC) sb_byte(st, d, c);
                st->iac[d] = I_SB;
            }
            break;
        }
    }
    return (int)len;
}

static void telnet_gap(struct nw_proto_ctx *ctx, void *state, size_t len)
{
    struct telnet_state *st = state;
    (void)len;
    st->iac[ctx->dir & 1] = I_DATA;
    if (ctx->dir == NW_DIR_TOSERVER) st->line_len = 0;
}

static void telnet_end(struct nw_proto_ctx *ctx, void *state)
{
    struct telnet_state *st = state;
    nw__login_emit(ctx, &st->lf, &st->cur, "telnet", "unknown", -1, NULL);
}

const struct nw_proto_parser nw_proto_telnet = {
    .name = "telnet",
    .transports = NW_T_TCP,
    .ports = {23},
    .probe = telnet_probe,
    .state_size = sizeof(struct telnet_state),
    .parse = telnet_parse,
    .gap = telnet_gap,
    .end = telnet_end,
};
