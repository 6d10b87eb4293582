/*
 * login_common.c - see login_common.h. Line splitting, base64, SASL
 * username extraction and the `login` record for the login parsers.
 *
 * Invariants: every read is bounded by the caller's length; decoded SASL
 * messages live only in a stack buffer that is wiped before return, so the
 * password part of PLAIN/LOGIN and any digest or token never reach a
 * struct, a record or a log.
 */
#include "login_common.h"

#include <string.h>

#define SASL_DECODE_MAX 2048u /* client responses beyond this are not decoded */

long nw__line_next(const uint8_t *p, size_t len, size_t *n, size_t *scanned)
{
    size_t from = *scanned <= len ? *scanned : 0;
    size_t scan = len < NW_LOGIN_MAX_LINE + 1 ? len : NW_LOGIN_MAX_LINE + 1;
    const uint8_t *lf = from < scan ? memchr(p + from, '\n', scan - from) : NULL;
    size_t k;

    if (lf == NULL) {
        *scanned = scan;
        return len > NW_LOGIN_MAX_LINE ? -1 : 0;
    }
    *scanned = 0;
    k = (size_t)(lf - p);
    *n = k;
    if (k > 0 && p[k - 1] == '\r') *n = k - 1;
    return (long)k + 1;
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

int nw__prefix_ci(const uint8_t *p, size_t n, const char *word)
{
    size_t wl = strlen(word);
    if (n < wl) return 0;
    for (size_t i = 0; i < wl; i++)
        if (lower(p[i]) != lower((unsigned char)word[i])) return 0;
    return 1;
}

int nw__equal_ci(const uint8_t *p, size_t n, const char *word)
{
    return n == strlen(word) && nw__prefix_ci(p, n, word);
}

int nw__contains_ci(const uint8_t *p, size_t n, const char *word)
{
    size_t wl = strlen(word);
    if (wl == 0) return 1;
    for (size_t i = 0; i + wl <= n; i++)
        if (nw__prefix_ci(p + i, n - i, word)) return 1;
    return 0;
}

int nw__token(const uint8_t **p, size_t *n, const uint8_t **tok, size_t *tn)
{
    const uint8_t *s = *p;
    size_t len = *n, i = 0, j;

    while (i < len && (s[i] == ' ' || s[i] == '\t')) i++;
    if (i == len) {
        *p = s + len;
        *n = 0;
        return 0;
    }
    j = i;
    while (j < len && s[j] != ' ' && s[j] != '\t') j++;
    *tok = s + i;
    *tn = j - i;
    while (j < len && (s[j] == ' ' || s[j] == '\t')) j++;
    *p = s + j;
    *n = len - j;
    return 1;
}

static int b64val(uint8_t c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

long nw__b64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t outmax)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    int pad = 0;

    for (size_t i = 0; i < n; i++) {
        uint8_t c = in[i];
        int v;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad) return -1; /* data after padding */
        v = b64val(c);
        if (v < 0) return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= outmax) return -1;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    if (pad > 2) return -1;
    return (long)o;
}

void nw__wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--) *v++ = 0;
}

static void copy_upper(char *dst, size_t cap, const uint8_t *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        uint8_t c = s[i];
        if (c < 0x21 || c > 0x7e) continue; /* mechanism names are printable ASCII */
        dst[k++] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
    }
    dst[k] = '\0';
}

void nw__login_start(struct nw__login *a, const char *mech, const uint8_t *m, size_t mlen)
{
    memset(a, 0, sizeof *a);
    a->active = 1;
    if (m != NULL)
        copy_upper(a->mech, sizeof a->mech, m, mlen);
    else
        copy_upper(a->mech, sizeof a->mech, (const uint8_t *)mech, strlen(mech));
}

static void set_field(uint8_t *dst, uint16_t *dlen, const uint8_t *u, size_t n, uint8_t *cut)
{
    if (n > NW_LOGIN_USER_MAX) {
        n = NW_LOGIN_USER_MAX;
        if (cut) *cut = 1;
    }
    memcpy(dst, u, n);
    *dlen = (uint16_t)n;
}

void nw__login_set_user(struct nw__login *a, const uint8_t *u, size_t n)
{
    a->user_cut = 0;
    set_field(a->user, &a->user_len, u, n, &a->user_cut);
    a->has_user = 1;
}

int nw__sasl_begin(struct nw__login *a, const uint8_t *m, size_t mlen)
{
    int k = NW_SASL_OTHER;

    if (nw__equal_ci(m, mlen, "PLAIN"))
        k = NW_SASL_PLAIN;
    else if (nw__equal_ci(m, mlen, "LOGIN"))
        k = NW_SASL_LOGIN;
    else if (nw__equal_ci(m, mlen, "CRAM-MD5"))
        k = NW_SASL_CRAMMD5;
    else if (nw__prefix_ci(m, mlen, "SCRAM-"))
        k = NW_SASL_SCRAM;
    else if (nw__equal_ci(m, mlen, "XOAUTH2"))
        k = NW_SASL_XOAUTH2;
    a->sasl = (uint8_t)k;
    a->sasl_step = 0;
    return k;
}

/* PLAIN: authzid NUL authcid NUL passwd. */
static void sasl_plain(struct nw__login *a, const uint8_t *d, size_t n)
{
    const uint8_t *z1 = memchr(d, 0, n), *z2;
    if (z1 == NULL) return;
    z2 = memchr(z1 + 1, 0, n - (size_t)(z1 + 1 - d));
    if (z2 == NULL) return;
    nw__login_set_user(a, z1 + 1, (size_t)(z2 - z1 - 1));
    if (z1 > d && !((size_t)(z1 - d) == a->user_len && memcmp(d, a->user, a->user_len) == 0))
        set_field(a->authzid, &a->authzid_len, d, (size_t)(z1 - d), NULL);
    a->password_seen = 1;
}

/* SCRAM client-first: gs2-header "n=" saslname ",r=" nonce. */
static void sasl_scram_first(struct nw__login *a, const uint8_t *d, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++) {
        if ((i == 0 || d[i - 1] == ',') && d[i] == 'n' && d[i + 1] == '=') {
            size_t s = i + 2, e = s;
            while (e < n && d[e] != ',') e++;
            nw__login_set_user(a, d + s, e - s);
            return;
        }
    }
}

/* XOAUTH2: "user=" U 0x01 "auth=Bearer " T 0x01 0x01. */
static void sasl_xoauth2(struct nw__login *a, const uint8_t *d, size_t n)
{
    if (n > 5 && memcmp(d, "user=", 5) == 0) {
        const uint8_t *e = memchr(d + 5, 0x01, n - 5);
        nw__login_set_user(a, d + 5, e ? (size_t)(e - d - 5) : n - 5);
    }
    a->password_seen = 1;
}

int nw__sasl_response(struct nw__login *a, const uint8_t *r, size_t n)
{
    uint8_t buf[SASL_DECODE_MAX];
    long dn;
    size_t i;

    if (n == 0 && !a->sasl_chal) return 0;
    a->sasl_chal = 0;
    if (n == 1 && r[0] == '*') return 1;
    dn = nw__b64_decode(r, n, buf, sizeof buf);
    switch (a->sasl) {
    case NW_SASL_PLAIN:
        if (dn > 0) sasl_plain(a, buf, (size_t)dn);
        if (dn != 0) a->password_seen = 1; /* "=" (empty) sends nothing */
        break;
    case NW_SASL_LOGIN:
        if (a->sasl_step == 0) {
            if (dn >= 0) nw__login_set_user(a, buf, (size_t)dn);
        } else {
            a->password_seen = 1;
        }
        break;
    case NW_SASL_CRAMMD5:
        if (dn > 0) {
            for (i = (size_t)dn; i > 0 && buf[i - 1] != ' '; i--) {}
            if (i > 1) nw__login_set_user(a, buf, i - 1);
        }
        a->password_seen = 1;
        break;
    case NW_SASL_SCRAM:
        if (a->sasl_step == 0 && dn > 0)
            sasl_scram_first(a, buf, (size_t)dn);
        else if (a->sasl_step > 0)
            a->password_seen = 1;
        break;
    case NW_SASL_XOAUTH2:
        if (dn > 0) sasl_xoauth2(a, buf, (size_t)dn);
        break;
    default:
        if (n > 0) a->password_seen = 1;
        break;
    }
    if (a->sasl_step < 255) a->sasl_step++;
    nw__wipe(buf, sizeof buf);
    return 0;
}

void nw__login_emit(struct nw_proto_ctx *ctx, struct nw__login_flow *f, struct nw__login *a,
                    const char *proto, const char *result, int reply_code, const char *reply)
{
    struct nw_buf *b;

    if (!a->active) return;
    if (f->emitted >= NW_LOGIN_MAX_RECORDS) {
        nw_proto_anomaly(ctx, "login_limit");
        goto out;
    }
    f->emitted++;
    b = nw_record_begin(ctx, "login", NW_REC_FLOW);
    nw_json_kobj_open(b, "login");
    nw_json_kcstr(b, "protocol", proto);
    if (a->has_user) nw_json_kstr(b, "username", a->user, a->user_len);
    if (a->user_cut) nw_json_kbool(b, "username_truncated", 1);
    if (a->authzid_len) nw_json_kstr(b, "authzid", a->authzid, a->authzid_len);
    if (a->mech[0]) nw_json_kcstr(b, "mechanism", a->mech);
    nw_json_kcstr(b, "result", result);
    if (reply_code >= 0) nw_json_kint(b, "reply_code", reply_code);
    if (reply != NULL) nw_json_kcstr(b, "reply", reply);
    nw_json_kbool(b, "password_seen", a->password_seen);
    nw_json_obj_close(b);
    nw_record_end(ctx);
out:
    memset(a, 0, sizeof *a);
}

int nw__probe_words(const uint8_t *p, size_t len, const char *const *words)
{
    int more = 0;
    for (size_t i = 0; words[i] != NULL; i++) {
        size_t wl = strlen(words[i]);
        if (len >= wl) {
            if (nw__prefix_ci(p, len, words[i])) return 1;
        } else if (len > 0) {
            size_t k = 0; /* p shorter than the word: a match so far means "need more" */
            while (k < len && lower(p[k]) == lower((unsigned char)words[i][k])) k++;
            if (k == len) more = 1;
        }
    }
    return more ? -1 : 0;
}

int nw__probe_line(const uint8_t *p, size_t len, size_t *n)
{
    size_t scan = len < 512 ? len : 512;
    const uint8_t *lf = memchr(p, '\n', scan);
    if (lf == NULL) return len < 512 ? -1 : 0;
    *n = (size_t)(lf - p);
    return 1;
}

int nw__reply_code(const uint8_t *p, size_t n, int *sep)
{
    if (n < 3) return -1;
    for (int i = 0; i < 3; i++)
        if (p[i] < '0' || p[i] > '9') return -1;
    *sep = n > 3 ? p[3] : 0;
    if (*sep != 0 && *sep != ' ' && *sep != '-') return -1;
    return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

void nw__cmdq_push(struct nw_proto_ctx *ctx, struct nw__cmdq *q, int kind)
{
    if (q->len == NW_CMDQ_MAX) {
        nw_proto_anomaly(ctx, "pipeline_overflow");
        q->head = (uint8_t)((q->head + 1) % NW_CMDQ_MAX);
        q->len--;
    }
    q->q[(q->head + q->len) % NW_CMDQ_MAX] = (uint8_t)kind;
    q->len++;
}

int nw__cmdq_pop(struct nw__cmdq *q)
{
    int k;

    if (q->len == 0) return -1;
    k = q->q[q->head];
    q->head = (uint8_t)((q->head + 1) % NW_CMDQ_MAX);
    q->len--;
    return k;
}
