/*
 * login_common.h - shared pieces of the line-based login parsers (SMTP,
 * POP3, IMAP, FTP, Telnet): line splitting with a length bound, base64,
 * SASL client-response decoding, and the `login` record.
 *
 * Internal to src/proto (double-underscore names). The one rule every user
 * of this header keeps: a secret (password, SASL password part, digest,
 * token) is looked at only long enough to know it was sent; it is never
 * copied into a struct that outlives the call, never emitted, and scratch
 * buffers that held it are wiped before return.
 */
#ifndef NW_PROTO_LOGIN_COMMON_H
#define NW_PROTO_LOGIN_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "nw/proto.h"

#define NW_LOGIN_MAX_LINE 8192u   /* a command/reply line longer than this is an error */
#define NW_LOGIN_USER_MAX 256u    /* usernames kept (longer ones are cut, flagged) */
#define NW_LOGIN_MAX_RECORDS 1024u /* login records per flow; more are counted, not logged */

/*
 * Find the next line in p/len. Returns the bytes to consume (line plus its
 * LF) and sets *n to the content length without CR/LF; returns 0 when no
 * LF is present yet and len <= NW_LOGIN_MAX_LINE; returns -1 when len
 * exceeds the bound without a LF (the caller treats that as an error, or
 * skips the bytes when it is inside a message body).
 * *scanned (per direction, kept by the caller, starts 0) remembers how many
 * bytes were already searched when 0 was returned: the flow layer presents
 * the same bytes again with more appended, so a line fed one byte at a time
 * costs linear, not quadratic, time.
 */
long nw__line_next(const uint8_t *p, size_t len, size_t *n, size_t *scanned);

/* ASCII case-insensitive: does the n-byte p start with the C string word? */
int nw__prefix_ci(const uint8_t *p, size_t n, const char *word);
/* Is p/n, case-insensitively, exactly the C string word? */
int nw__equal_ci(const uint8_t *p, size_t n, const char *word);
/* Does p/n contain the C string word (case-insensitive)? */
int nw__contains_ci(const uint8_t *p, size_t n, const char *word);

/*
 * Split the next space-separated token off (*p, *n): sets tok/tn and advances
 * past it and the spaces after. Returns 0 when nothing is left.
 */
int nw__token(const uint8_t **p, size_t *n, const uint8_t **tok, size_t *tn);

/*
 * Decode base64 in/n (whitespace ignored, padding optional) into out
 * (outmax bytes). Returns the decoded length, or -1 if the input is not
 * base64 or does not fit. The caller wipes out if it may hold a secret.
 */
long nw__b64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t outmax);

/* Zero n bytes in a way the compiler keeps (for buffers that held secrets). */
void nw__wipe(void *p, size_t n);

/* SASL mechanisms we decode usernames from. */
enum nw_sasl_mech {
    NW_SASL_NONE = 0,
    NW_SASL_PLAIN,    /* authzid NUL authcid NUL passwd */
    NW_SASL_LOGIN,    /* username, then password, one message each */
    NW_SASL_CRAMMD5,  /* "user SP hexdigest" after the challenge */
    NW_SASL_SCRAM,    /* client-first "n,,n=user,r=..." */
    NW_SASL_XOAUTH2,  /* "user=U^Aauth=Bearer T^A^A" */
    NW_SASL_OTHER     /* NTLM, GSSAPI, ...: mechanism only */
};

/* One authentication attempt in progress. Holds no secret. */
struct nw__login {
    uint8_t user[NW_LOGIN_USER_MAX];
    uint8_t authzid[NW_LOGIN_USER_MAX]; /* SASL PLAIN authzid when it differs */
    uint16_t user_len;
    uint16_t authzid_len;
    uint8_t active;        /* an attempt is open */
    uint8_t has_user;
    uint8_t user_cut;      /* username longer than NW_LOGIN_USER_MAX */
    uint8_t password_seen; /* a secret (password, digest, token) was sent */
    uint8_t sasl;          /* enum nw_sasl_mech while a SASL exchange runs */
    uint8_t sasl_step;     /* client responses seen in the exchange */
    uint8_t sasl_chal;     /* a server challenge awaits the client's response */
    char mech[24];         /* mechanism name as sent, upper case, NUL-terminated */
};

/* Per-flow login bookkeeping shared by every parser. */
struct nw__login_flow {
    unsigned emitted; /* login records written for this flow */
};

/* Open attempt a with mechanism text mech/mlen (copied, upper-cased, cut at 23). */
void nw__login_start(struct nw__login *a, const char *mech, const uint8_t *m, size_t mlen);
/* Set the username (copied, bounded). */
void nw__login_set_user(struct nw__login *a, const uint8_t *u, size_t n);

/*
 * Start a SASL exchange for mechanism name m/mlen on a (already started).
 * Returns the enum nw_sasl_mech recognised.
 */
int nw__sasl_begin(struct nw__login *a, const uint8_t *m, size_t mlen);
/*
 * One client response (base64 text r/n, as on the wire) of the exchange
 * in a. Extracts the username where the mechanism carries one and notes
 * that a secret was sent; the secret itself is wiped. "*" is a client
 * cancel: returns 1; otherwise 0. An empty line with no challenge
 * outstanding is not a response (ignored, returns 0).
 */
int nw__sasl_response(struct nw__login *a, const uint8_t *r, size_t n);

/*
 * Write one `login` record for a and close the attempt. result is
 * "success", "failure" or "unknown"; reply_code >= 0 adds "reply_code",
 * reply (may be NULL) adds "reply". proto is the protocol name. Counts
 * "<parser>.login_limit" instead of writing once f->emitted reaches
 * NW_LOGIN_MAX_RECORDS.
 */
void nw__login_emit(struct nw_proto_ctx *ctx, struct nw__login_flow *f, struct nw__login *a,
                    const char *proto, const char *result, int reply_code, const char *reply);

/*
 * Probe helper: 1 if p/len starts (case-insensitively) with one of the
 * NULL-terminated words, -1 if it is a strict prefix of one (need more),
 * else 0.
 */
int nw__probe_words(const uint8_t *p, size_t len, const char *const *words);

/*
 * Probe helper for a server greeting that must be a whole first line:
 * returns -1 while no LF has arrived (up to 512 bytes), 0 past that, else
 * 1 and the line length in *n.
 */
int nw__probe_line(const uint8_t *p, size_t len, size_t *n);

/* Parse a 3-digit reply code at p/n; returns it or -1. *sep gets the 4th byte (' ', '-', 0). */
int nw__reply_code(const uint8_t *p, size_t n, int *sep);

/*
 * Commands awaiting their reply, oldest first, for protocols whose replies
 * come in command order (FTP, POP3). Bounded: pushing onto a full queue drops
 * the oldest command and counts "<parser>.pipeline_overflow".
 */
#define NW_CMDQ_MAX 16
struct nw__cmdq {
    uint8_t q[NW_CMDQ_MAX];
    uint8_t head, len;
};
void nw__cmdq_push(struct nw_proto_ctx *ctx, struct nw__cmdq *q, int kind);
/* The oldest command's kind, removed from the queue, or -1 when empty. */
int nw__cmdq_pop(struct nw__cmdq *q);

#endif /* NW_PROTO_LOGIN_COMMON_H */
