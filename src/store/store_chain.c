/*
 * store_chain.c - the tamper-evidence chain, signing keys and `verify`.
 *
 * DIR/chain is a text file, one line per event, each chained to the one
 * before by SHA-256:  chain_i = SHA256(chain_{i-1} || body_i), where body_i
 * is the line up to the space before its chain hash, and chain_0 =
 * SHA256("netwarden-store-v1" || store id from DIR/STORE). Lines:
 *   open <seq> <day>                                        <chain> [sig=<hex>]
 *   seg <seq> <day> <bytes> <records> <min_us> <max_us> <sha256> <chain> [sig=<hex>]
 *   bad <seq> <day> <bytes> <offset> <sha256>               <chain> [sig=<hex>]
 *   expire <day> <segments>                                 <chain> [sig=<hex>]
 * "open" is written before a segment file is created, "seg" after it is
 * sealed (with the SHA-256 of the whole file), "expire" before a day
 * partition is deleted by retention. "bad" closes a segment that recovery
 * found damaged, not torn (a block fails its check and a valid one follows):
 * the file is kept as found, never cut or sealed, and verify fails on it.
 * With a signing key every line carries an Ed25519 signature of its chain
 * value.
 *
 * What this detects (docs/internals/store.md): any change to a sealed
 * segment (SHA-256), its removal, swapping or renaming segments, truncation,
 * changes to any chain line (the hashes after it no longer match), and with
 * signatures, a rewritten chain. Removing the newest lines together with
 * their segments is visible only against a copy of the head kept elsewhere
 * (`verify` prints it) or a signed external anchor.
 */
#include "store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nw/jsonscan.h"

#define CHAIN_LINE_MAX 512

static void hex_put(char *o, const uint8_t *p, size_t n)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        o[2 * i] = d[p[i] >> 4];
        o[2 * i + 1] = d[p[i] & 15];
    }
    o[2 * n] = '\0';
}

static int hex_get(const char *s, size_t slen, uint8_t *out, size_t n)
{
    if (slen != 2 * n) return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = -1, lo = -1;
        char a = s[2 * i], b = s[2 * i + 1];
        hi = a >= '0' && a <= '9' ? a - '0' : a >= 'a' && a <= 'f' ? a - 'a' + 10 : -1;
        lo = b >= '0' && b <= '9' ? b - '0' : b >= 'a' && b <= 'f' ? b - 'a' + 10 : -1;
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static void sha256_2(const uint8_t *a, size_t alen, const void *b, size_t blen, uint8_t out[32])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned n = 32;

    if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(c, a, alen) != 1 || EVP_DigestUpdate(c, b, blen) != 1 ||
        EVP_DigestFinal_ex(c, out, &n) != 1)
        memset(out, 0, 32); /* cannot happen short of OOM; the chain then fails to verify */
    EVP_MD_CTX_free(c);
}

int nw__sha256_file(int fd, uint64_t size, uint8_t out[32])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    uint8_t *buf = nw_alloc(1u << 20);
    uint64_t off = 0;
    unsigned n = 32;
    int rc = NW_ENOMEM;

    if (c == NULL || buf == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) goto out;
    rc = NW_EIO;
    while (off < size) {
        size_t want = (size_t)NW_MIN(size - off, (uint64_t)(1u << 20));
        ssize_t r = pread(fd, buf, want, (off_t)off);
        if (r <= 0) goto out;
        if (EVP_DigestUpdate(c, buf, (size_t)r) != 1) goto out;
        off += (uint64_t)r;
    }
    if (EVP_DigestFinal_ex(c, out, &n) == 1) rc = 0;
out:
    EVP_MD_CTX_free(c);
    nw_free(buf);
    return rc;
}

int nw__chain_genesis(const char *dir, uint8_t out[32], uint8_t id[STORE_ID_LEN],
                      struct nw_err *err)
{
    char path[4096], text[256];
    FILE *f;
    size_t n;
    const char *p;

    snprintf(path, sizeof path, "%s/STORE", dir);
    f = fopen(path, "r");
    if (f == NULL)
        return nw_err_set(err, NW_ENOENT, "%s is not a netwarden store (no STORE file): %s",
                          dir, strerror(errno));
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    p = strstr(text, "\nid ");
    if (strncmp(text, "netwarden-store 1\n", 18) != 0 || p == NULL ||
        hex_get(p + 4, strcspn(p + 4, "\n"), id, STORE_ID_LEN) != 0)
        return nw_err_set(err, NW_EFORMAT, "%s: STORE file is damaged or of another version; "
                          "expected 'netwarden-store 1' and an id line", path);
    sha256_2((const uint8_t *)"netwarden-store-v1", 18, id, STORE_ID_LEN, out);
    return 0;
}

void nw__chain_free(struct chain *c)
{
    nw_free(c->e);
    memset(c, 0, sizeof *c);
}

/* Split s on spaces into at most max tokens; returns the count. */
static int tokens(char *s, char **tok, int max)
{
    int n = 0;
    char *p = s;

    while (*p && n < max) {
        while (*p == ' ') p++;
        if (!*p) break;
        tok[n++] = p;
        while (*p && *p != ' ') p++;
        if (*p) *p++ = '\0';
    }
    return *p ? max + 1 : n;
}

static int parse_u64(const char *s, uint64_t *v)
{
    uint64_t x = 0;

    if (!*s) return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || x > (UINT64_MAX - 9) / 10) return -1;
        x = x * 10 + (uint64_t)(*s - '0');
    }
    *v = x;
    return 0;
}

/*
 * Parse one line (without '\n') into e, checking its chain value against
 * prev. Returns 0, or -1 malformed, -2 chain mismatch.
 */
static int parse_line(const char *line, size_t len, const uint8_t prev[32], struct chain_entry *e)
{
    char buf[CHAIN_LINE_MAX + 1], *t[12];
    int n, nb;
    size_t body;
    uint8_t want[32];

    if (len > CHAIN_LINE_MAX) return -1;
    memcpy(buf, line, len);
    buf[len] = '\0';
    memset(e, 0, sizeof *e);
    n = tokens(buf, t, 11);
    if (n < 2 || n > 11) return -1; /* tokens() says max + 1 for too many */
    if (strncmp(t[n - 1], "sig=", 4) == 0) {
        if (hex_get(t[n - 1] + 4, strlen(t[n - 1] + 4), e->sig, 64) != 0) return -1;
        e->has_sig = 1;
        n--;
    }
    nb = n - 1; /* tokens of the body */
    if (hex_get(t[nb], strlen(t[nb]), e->chain, 32) != 0) return -1;
    body = (size_t)(t[nb] - buf) - 1; /* up to the space before the chain hash */
    if (strcmp(t[0], "open") == 0 && nb == 3) {
        if (parse_u64(t[1], &e->seq) || nw__day_parse(t[2], &e->day)) return -1;
    } else if (strcmp(t[0], "seg") == 0 && nb == 8) {
        if (parse_u64(t[1], &e->seq) || nw__day_parse(t[2], &e->day) ||
            parse_u64(t[3], &e->size) || parse_u64(t[4], &e->nrec) ||
            parse_u64(t[5], &e->min_ts) || parse_u64(t[6], &e->max_ts) ||
            hex_get(t[7], strlen(t[7]), e->sha, 32))
            return -1;
    } else if (strcmp(t[0], "bad") == 0 && nb == 6) {
        if (parse_u64(t[1], &e->seq) || nw__day_parse(t[2], &e->day) ||
            parse_u64(t[3], &e->size) || parse_u64(t[4], &e->off) ||
            hex_get(t[5], strlen(t[5]), e->sha, 32))
            return -1;
    } else if (strcmp(t[0], "expire") == 0 && nb == 3) {
        if (nw__day_parse(t[1], &e->day) || parse_u64(t[2], &e->nrec)) return -1;
    } else {
        return -1;
    }
    snprintf(e->kind, sizeof e->kind, "%s", t[0]);
    sha256_2(prev, 32, line, body, want);
    return NW_DIGEST_OK(want, e->chain, 32) ? 0 : -2;
}

static int chain_grow(struct chain *c)
{
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        struct chain_entry *ne = nw_realloc(c->e, nc * sizeof *ne);
        if (ne == NULL) return NW_ENOMEM;
        c->e = ne;
        c->cap = nc;
    }
    return 0;
}

static int chain_push(struct chain *c, const struct chain_entry *e)
{
    if (chain_grow(c) != 0) return NW_ENOMEM;
    c->e[c->n++] = *e;
    memcpy(c->head, e->chain, 32);
    return 0;
}

int nw__chain_load(const char *dir, struct chain *c, int strict, struct nw_err *err)
{
    char path[4096];
    uint8_t id[STORE_ID_LEN];
    FILE *f;
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    int rc;

    memset(c, 0, sizeof *c);
    rc = nw__chain_genesis(dir, c->head, id, err);
    if (rc != 0) return rc;
    snprintf(path, sizeof path, "%s/chain", dir);
    f = fopen(path, "r");
    if (f == NULL) {
        if (errno == ENOENT && !strict) return 0;
        return nw_err_set(err, NW_ENOENT, "%s: cannot open the chain: %s%s", path,
                          strerror(errno), errno == ENOENT ? " (the chain file was removed)" : "");
    }
    while ((n = getline(&line, &cap, f)) > 0) {
        struct chain_entry e;
        int pr;
        lineno++;
        if (line[n - 1] != '\n') {
            if (strict) { /* NW_ETRUNC: a writer may be appending it right now */
                rc = nw_err_set(err, NW_ETRUNC, "%s:%zu: last line is incomplete (torn write "
                                "or truncation)", path, lineno);
                goto out;
            }
            break; /* torn tail: the writer truncates it */
        }
        pr = parse_line(line, (size_t)n - 1, c->head, &e);
        if (pr != 0) {
            rc = nw_err_set(err, NW_EFORMAT, "%s:%zu: chain line %s; the chain was altered "
                            "here (run 'netwarden verify --store %s')", path, lineno,
                            pr == -2 ? "does not match the hash of the lines before it"
                                     : "is malformed",
                            dir);
            goto out;
        }
        e.line_no = lineno;
        if ((rc = chain_push(c, &e)) != 0) {
            nw_err_set(err, rc, "out of memory reading %s", path);
            goto out;
        }
        c->good_len += (uint64_t)n;
    }
    rc = 0;
out:
    free(line); /* checksrc: getline allocates with libc */
    fclose(f);
    if (rc != 0) nw__chain_free(c);
    return rc;
}

int nw__chain_append(int fd, struct chain *c, struct chain_entry *e, const uint8_t *sk, int sync,
                     struct nw_err *err)
{
    char line[CHAIN_LINE_MAX + 200], day[16], hex[130];
    int n, w;

    /* room first: a line on disk that the memory chain lacked left the head behind, so
     * the next line was hashed from the wrong one and verify called the chain altered */
    if (chain_grow(c) != 0)
        return nw_err_set(err, NW_ENOMEM, "out of memory adding to the store chain");
    nw__day_name(e->day, day);
    if (strcmp(e->kind, "open") == 0) {
        n = snprintf(line, sizeof line, "open %llu %s", (unsigned long long)e->seq, day);
    } else if (strcmp(e->kind, "seg") == 0) {
        hex_put(hex, e->sha, 32);
        n = snprintf(line, sizeof line, "seg %llu %s %llu %llu %llu %llu %s",
                     (unsigned long long)e->seq, day, (unsigned long long)e->size,
                     (unsigned long long)e->nrec, (unsigned long long)e->min_ts,
                     (unsigned long long)e->max_ts, hex);
    } else if (strcmp(e->kind, "bad") == 0) {
        hex_put(hex, e->sha, 32);
        n = snprintf(line, sizeof line, "bad %llu %s %llu %llu %s", (unsigned long long)e->seq,
                     day, (unsigned long long)e->size, (unsigned long long)e->off, hex);
    } else {
        n = snprintf(line, sizeof line, "expire %s %llu", day, (unsigned long long)e->nrec);
    }
    sha256_2(c->head, 32, line, (size_t)n, e->chain);
    hex_put(hex, e->chain, 32);
    n += snprintf(line + n, sizeof line - (size_t)n, " %s", hex);
    if (sk) {
        crypto_sign_detached(e->sig, NULL, e->chain, 32, sk);
        e->has_sig = 1;
        hex_put(hex, e->sig, 64);
        n += snprintf(line + n, sizeof line - (size_t)n, " sig=%s", hex);
    }
    line[n++] = '\n';
    w = (int)write(fd, line, (size_t)n);
    if (w != n) {
        int er = w < 0 ? errno : ENOSPC;
        if (w > 0 && ftruncate(fd, (off_t)c->good_len) != 0) { /* undo a partial line */
        }
        return nw_err_set(err, NW_EIO, "writing the store chain failed: %s", strerror(er));
    }
    if (sync && fdatasync(fd) != 0)
        return nw_err_set(err, NW_EIO, "syncing the store chain failed: %s", strerror(errno));
    c->good_len += (uint64_t)n;
    e->line_no = c->n + 1;
    return chain_push(c, e);
}

/* ---------------------------------------------------------------- keys -- */

static int read_key_file(const char *path, const char *tag, uint8_t *out, size_t n,
                         struct nw_err *err)
{
    char text[512];
    FILE *f = fopen(path, "r");
    size_t len, tl = strlen(tag);

    if (f == NULL)
        return nw_err_set(err, NW_ENOENT, "cannot read key file %s: %s", path, strerror(errno));
    len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    len = strcspn(text, "\r\n");
    if (len < tl + 1 || strncmp(text, tag, tl) != 0 || text[tl] != ' ' ||
        hex_get(text + tl + 1, len - tl - 1, out, n) != 0)
        return nw_err_set(err, NW_EFORMAT, "%s is not a netwarden %s key file (expected a line "
                          "'%s <hex>'; make one with 'netwarden store-keygen')", path,
                          strstr(tag, "secret") ? "secret" : "public", tag);
    return 0;
}

int nw__load_secret_key(const char *path, uint8_t sk[64], struct nw_err *err)
{
    if (sodium_init() < 0) return nw_err_set(err, NW_EIO, "libsodium failed to initialise");
    return read_key_file(path, "netwarden-ed25519-secret-key", sk, 64, err);
}

int nw_store_keygen(const char *path, struct nw_err *err)
{
    uint8_t pk[32], sk[64];
    char hex[130], pubpath[4200], line[200];
    int fd, n, rc = 0;

    if (sodium_init() < 0) return nw_err_set(err, NW_EIO, "libsodium failed to initialise");
    crypto_sign_keypair(pk, sk);
    snprintf(pubpath, sizeof pubpath, "%s.pub", path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        rc = nw_err_set(err, errno == EEXIST ? NW_EINVAL : NW_EIO, "cannot create %s: %s%s", path,
                        strerror(errno), errno == EEXIST ? " (refusing to overwrite a key)" : "");
        goto out;
    }
    hex_put(hex, sk, 64);
    n = snprintf(line, sizeof line, "netwarden-ed25519-secret-key %s\n", hex);
    if (write(fd, line, (size_t)n) != n || fsync(fd) != 0) {
        rc = nw_err_set(err, NW_EIO, "writing %s failed: %s", path, strerror(errno));
        close(fd);
        goto out;
    }
    close(fd);
    fd = open(pubpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    hex_put(hex, pk, 32);
    n = snprintf(line, sizeof line, "netwarden-ed25519-public-key %s\n", hex);
    if (fd < 0 || write(fd, line, (size_t)n) != n) {
        rc = nw_err_set(err, NW_EIO, "writing %s failed: %s", pubpath, strerror(errno));
        if (fd >= 0) close(fd);
        goto out;
    }
    close(fd);
out:
    sodium_memzero(sk, sizeof sk);
    return rc;
}

/* -------------------------------------------------------------- verify -- */

static int seg_path(char *out, size_t cap, const char *dir, uint32_t day, uint64_t seq)
{
    char d[16];

    nw__day_name(day, d);
    return snprintf(out, cap, "%s/%s/%012llu.nws", dir, d, (unsigned long long)seq) < (int)cap
               ? 0 : -1;
}

/* Is day expired by an "expire" line after index i? */
static int expired_after(const struct chain *c, size_t i, uint32_t day)
{
    for (size_t k = i + 1; k < c->n; k++)
        if (c->e[k].kind[0] == 'e' && c->e[k].day == day) return 1;
    return 0;
}

int nw__chain_closed(const struct chain *c, size_t i)
{
    const struct chain_entry *e = &c->e[i];

    for (size_t k = i + 1; k < c->n; k++) {
        const struct chain_entry *f = &c->e[k];
        if (((f->kind[0] == 's' || f->kind[0] == 'b') && f->seq == e->seq) ||
            (f->kind[0] == 'e' && f->day == e->day))
            return 1;
    }
    return 0;
}

static void pause_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/*
 * verify runs while audit or import writes. What it reads at different
 * moments can disagree for a moment without anyone having touched the store:
 * a chain line half appended, a segment file whose "open" line is synced but
 * which is not created yet, a segment opened, or a day expired, after the
 * chain was read. These are looked at again before they count as tampering:
 * the line and the file for up to RECHECK_TRIES x RECHECK_MS, the rest
 * against the chain read anew (struct later).
 */
#ifdef NW_FUZZING /* a torn or missing input file is the fuzzer's everyday case */
#define RECHECK_TRIES 0
#else
#define RECHECK_TRIES 25
#endif
#define RECHECK_MS 20

struct later {
    struct chain c; /* the chain read again, when it extends the one checked */
    int state;      /* 0 not read yet, 1 read and extends, -1 unusable */
    int nomem;      /* it could not be read for memory: no verdict either way */
};

static const struct chain *chain_later(const char *dir, const struct chain *c, struct later *l)
{
    struct nw_err e;

    if (l->state == 0) {
        int rc = nw__chain_load(dir, &l->c, 1, &e);
        l->state = -1;
        l->nomem = rc == NW_ENOMEM;
        if (rc == 0) {
            /* a chain value vouches for every line before it */
            if (l->c.n >= c->n && (c->n == 0 || memcmp(l->c.e[c->n - 1].chain,
                                                       c->e[c->n - 1].chain, 32) == 0))
                l->state = 1;
            else
                nw__chain_free(&l->c);
        }
    }
    return l->state == 1 ? &l->c : NULL;
}

/* Check an active (unsealed) segment: header and every complete block. */
static int check_active(const char *path, const struct chain_entry *e, ZSTD_DCtx *dctx,
                        uint64_t *torn, struct nw_err *err, char *name)
{
    int fd = open(path, O_RDONLY);
    struct stat sb;
    uint8_t *img = NULL;
    struct seg_walk w;
    int rc = 1;

    /* its "open" line is synced before the file is created */
    for (int k = 0; fd < 0 && errno == ENOENT && k < RECHECK_TRIES; k++) {
        pause_ms(RECHECK_MS);
        fd = open(path, O_RDONLY);
    }
    if (fd < 0) {
        nw_err_set(err, NW_EFORMAT, "segment %s was removed (active segment, chain line %zu)",
                   name, e->line_no);
        return 1;
    }
    if (fstat(fd, &sb) != 0 || sb.st_size > (off_t)(2u << 30)) {
        nw_err_set(err, NW_EFORMAT, "segment %s cannot be read", name);
        goto out;
    }
    img = nw_alloc((size_t)sb.st_size + 1);
    if (img == NULL) { /* not evidence of tampering either */
        rc = nw_err_set(err, NW_ENOMEM, "out of memory checking segment %s", name);
        goto out;
    }
    if (pread(fd, img, (size_t)sb.st_size, 0) != sb.st_size) {
        nw_err_set(err, NW_EIO, "segment %s cannot be read", name);
        goto out;
    }
    if ((uint64_t)sb.st_size < SEG_HDR_LEN) { /* being created, or a crash before its header */
        *torn = (uint64_t)sb.st_size;
        rc = 0;
        goto out;
    }
    {
        int wr = nw__seg_walk_mem(img, (size_t)sb.st_size, dctx, &w, NULL, NULL);
        if (wr == NW_ENOMEM) { /* not evidence of tampering: was returned as 1, "FAILED" */
            rc = nw_err_set(err, NW_ENOMEM, "out of memory checking segment %s", name);
            goto out;
        }
        if (wr != 0 && nw__seg_zero_gap(img, 0, SEG_HDR_LEN)) { /* as recovery sees it */
            *torn = (uint64_t)sb.st_size; /* a crash before its header reached the disk */
            rc = 0;
            goto out;
        }
        if (wr != 0 || w.hdr.seq != e->seq || w.hdr.day != e->day) {
            nw_err_set(err, NW_EFORMAT, "segment %s was altered (its header does not match the "
                       "chain, line %zu)", name, e->line_no);
            goto out;
        }
        if (w.damaged) {
            nw_err_set(err, NW_EFORMAT, "active segment %s is damaged at byte %llu: a block "
                       "there fails its check and valid blocks follow, which an unclean stop "
                       "does not cause (altered, or a failing disk); the next open keeps the "
                       "file as found and records it in the chain", name,
                       (unsigned long long)w.damage_off);
            goto out;
        }
    }
    *torn = (uint64_t)sb.st_size - w.good_end;
    rc = 0;
out:
    nw_free(img);
    close(fd);
    return rc;
}

/*
 * The footer of a sealed segment whose SHA-256 matched: trailer, footer
 * hash, and the key directory's structure (length, order, block indexes),
 * since lookups binary-search it and skip every block it does not name. A
 * file the chain vouches for can still be wrong here only through a
 * writer's bug; old segments (no directory) pass as before. 0, or 1 or
 * NW_ENOMEM with err set.
 */
static int check_footer(int fd, uint64_t size, struct nw_err *err, const char *name)
{
    uint8_t tb[TRAILER_LEN], *fb = NULL;
    struct trailer t;
    struct kdir kd;
    const char *why = "its trailer is unreadable";
    uint64_t n;
    int rc = 1;

    if (size < SEG_HDR_LEN + TRAILER_LEN ||
        pread(fd, tb, TRAILER_LEN, (off_t)(size - TRAILER_LEN)) != TRAILER_LEN ||
        nw__trailer_decode(tb, &t) != 0 || t.footer_off < SEG_HDR_LEN ||
        t.footer_off > size - TRAILER_LEN)
        goto out;
    n = size - TRAILER_LEN - t.footer_off;
    why = "its footer's length does not match its block count and key directory";
    if (n > FOOTER_MAX || n != (uint64_t)t.kdir_len + (uint64_t)t.nblocks * BLK_HDR_LEN) goto out;
    if ((fb = nw_alloc(n ? (size_t)n : 1)) == NULL) { /* verify said FAILED for it */
        rc = nw_err_set(err, NW_ENOMEM, "out of memory checking segment %s", name);
        goto out_set;
    }
    why = "its footer does not match its hash";
    if (pread(fd, fb, (size_t)n, (off_t)t.footer_off) != (ssize_t)n ||
        nw__store_hash64(fb, (size_t)n, 4) != t.footer_hash)
        goto out;
    if (t.kdir_len && nw__kdir_decode(fb, t.kdir_len, t.nblocks, &kd, &why) != 0) {
        nw_err_set(err, NW_EFORMAT, "segment %s has a malformed key directory (%s) although its "
                   "SHA-256 matches the chain: written so by a faulty netwarden; lookups of "
                   "session addresses ignore it and read the block filters", name, why);
        goto out_set;
    }
    rc = 0;
out:
    if (rc) nw_err_set(err, NW_EFORMAT, "segment %s: %s although its SHA-256 matches the chain",
                       name, why);
out_set:
    nw_free(fb);
    return rc;
}

int nw_store_verify(const char *dir, const char *pubkey_file, FILE *rep, struct nw_err *err)
{
    struct chain c;
    uint8_t pk[32];
    char path[4200], name[64], hex[65];
    ZSTD_DCtx *dctx = NULL;
    uint64_t sealed = 0, active = 0, expired = 0, records = 0, bytes = 0, torn_total = 0;
    const struct chain_entry *bad = NULL; /* the first segment kept as found damaged */
    size_t nbad = 0;
    int bad_named = 0; /* err names it already */
    struct later lt = {.state = 0};
    int rc;

    if (pubkey_file) {
        if (sodium_init() < 0) return nw_err_set(err, NW_EIO, "libsodium failed to initialise");
        rc = read_key_file(pubkey_file, "netwarden-ed25519-public-key", pk, 32, err);
        if (rc != 0) return rc;
    }
    for (int k = 0; (rc = nw__chain_load(dir, &c, 1, err)) == NW_ETRUNC; k++) {
        if (k == RECHECK_TRIES) return 1; /* not a writer's append in progress */
        pause_ms(RECHECK_MS);
    }
    if (rc == NW_EFORMAT) return 1; /* the chain itself was altered or truncated */
    if (rc != 0) return rc == NW_ENOENT && strstr(err->msg, "chain") ? 1 : rc;
    dctx = ZSTD_createDCtx();
    if (dctx == NULL) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < c.n; i++) {
        const struct chain_entry *e = &c.e[i];
        char d[16];
        nw__day_name(e->day, d);
        snprintf(name, sizeof name, "%s/%012llu.nws", d, (unsigned long long)e->seq);
        if (pubkey_file &&
            (!e->has_sig || crypto_sign_verify_detached(e->sig, e->chain, 32, pk) != 0)) {
            rc = nw_err_set(err, NW_EFORMAT, "chain line %zu (%s %s) %s", e->line_no, e->kind,
                            e->kind[0] == 'e' ? d : name,
                            e->has_sig ? "has a signature that does not verify with this public "
                                         "key: altered, or signed with another key"
                                       : "is not signed");
            rc = 1;
            goto out;
        }
        if (e->kind[0] == 'e') {
            expired++;
            continue;
        }
        if (expired_after(&c, i, e->day)) continue;
        if (seg_path(path, sizeof path, dir, e->day, e->seq) != 0) continue;
        if (access(path, F_OK) != 0 && errno == ENOENT) { /* retention may just have run */
            const struct chain *l = chain_later(dir, &c, &lt);
            if (l && expired_after(l, i, e->day)) continue;
            if (lt.nomem) {
                rc = nw_err_set(err, NW_ENOMEM, "out of memory checking segment %s", name);
                goto out;
            }
        }
        if (e->kind[0] == 'b') { /* reported at the end; it must still be as found */
            int fd = open(path, O_RDONLY);
            struct stat sb;
            uint8_t sha[32];
            int hr = fd < 0 || fstat(fd, &sb) != 0 ? NW_EIO
                     : nw__sha256_file(fd, (uint64_t)sb.st_size, sha);
            if (hr == NW_ENOMEM) { /* "was altered since": a false alarm */
                close(fd);
                rc = nw_err_set(err, NW_ENOMEM, "out of memory checking segment %s", name);
                goto out;
            }
            if (hr != 0 || (uint64_t)sb.st_size != e->size || memcmp(sha, e->sha, 32) != 0) {
                nw_err_set(err, NW_EFORMAT, "segment %s, kept as found damaged at byte %llu "
                           "(chain line %zu), was %s since", name, (unsigned long long)e->off,
                           e->line_no, fd < 0 ? "removed" : "altered");
                if (fd >= 0) close(fd);
                rc = 1;
                goto out;
            }
            close(fd);
            if (nbad++ == 0) bad = e;
            continue;
        }
        if (e->kind[0] == 'o') {
            uint64_t torn = 0;
            if (nw__chain_closed(&c, i)) continue;
            if ((rc = check_active(path, e, dctx, &torn, err, name)) != 0) {
                if (rc != NW_ENOMEM) rc = 1;
                goto out;
            }
            active++;
            torn_total += torn;
            continue;
        }
        /* a sealed segment: size and SHA-256 */
        int fd = open(path, O_RDONLY);
        struct stat sb;
        uint8_t sha[32];
        if (fd < 0) {
            rc = nw_err_set(err, NW_EFORMAT, "segment %s was removed (sealed, chain line %zu)",
                            name, e->line_no);
            rc = 1;
            goto out;
        }
        if (fstat(fd, &sb) != 0 || (rc = nw__sha256_file(fd, (uint64_t)sb.st_size, sha)) != 0) {
            close(fd);
            if (rc == NW_ENOMEM) /* said "cannot be read: Success" */
                rc = nw_err_set(err, NW_ENOMEM, "out of memory checking segment %s", name);
            else
                rc = nw_err_set(err, NW_EIO, "segment %s cannot be read: %s", name,
                                strerror(errno));
            goto out;
        }
        if (memcmp(sha, e->sha, 32) == 0 &&
            (rc = check_footer(fd, (uint64_t)sb.st_size, err, name)) != 0) {
            close(fd);
            goto out;
        }
        close(fd);
        if (memcmp(sha, e->sha, 32) != 0) {
            const char *what = "was altered (its SHA-256 does not match the chain)";
            char other[96] = "";
            for (size_t k = 0; k < c.n; k++)
                if (k != i && c.e[k].kind[0] == 's' && memcmp(c.e[k].sha, sha, 32) == 0) {
                    char d2[16];
                    nw__day_name(c.e[k].day, d2);
                    snprintf(other, sizeof other, " (it holds the content of segment "
                             "%s/%012llu.nws)", d2, (unsigned long long)c.e[k].seq);
                    what = "was reordered or replaced";
                }
            if (!other[0] && (uint64_t)sb.st_size < e->size) what = "was truncated";
            rc = nw_err_set(err, NW_EFORMAT, "segment %s %s%s; %llu of %llu bytes, chain line %zu",
                            name, what, other, (unsigned long long)sb.st_size,
                            (unsigned long long)e->size, e->line_no);
            rc = 1;
            goto out;
        }
        sealed++;
        records += e->nrec;
        bytes += e->size;
    }
    /* files on disk that the chain does not name */
    {
        DIR *dd = opendir(dir);
        struct dirent *de;
        while (dd && (de = readdir(dd)) != NULL) {
            uint32_t day;
            DIR *sd;
            struct dirent *se;
            if (nw__day_parse(de->d_name, &day) != 0) continue;
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            sd = opendir(path);
            while (sd && (se = readdir(sd)) != NULL) {
                uint64_t seq = 0;
                char num[32];
                size_t l = strlen(se->d_name);
                int known = 0;
                if (l < 5 || strcmp(se->d_name + l - 4, ".nws") != 0 || l - 4 >= sizeof num)
                    continue;
                memcpy(num, se->d_name, l - 4);
                num[l - 4] = '\0';
                if (parse_u64(num, &seq) == 0) {
                    const struct chain *ch = &c;
                    for (int pass = 0; pass < 2 && !known && ch; pass++) {
                        /* not in the chain as read: opened since? */
                        if (pass == 1) ch = chain_later(dir, &c, &lt);
                        for (size_t k = 0; ch && k < ch->n && !known; k++)
                            known = ch->e[k].kind[0] != 'e' && ch->e[k].seq == seq &&
                                    ch->e[k].day == day;
                    }
                }
                if (!known && lt.nomem) {
                    rc = nw_err_set(err, NW_ENOMEM, "out of memory checking segment %s/%s",
                                    de->d_name, se->d_name);
                    closedir(sd);
                    closedir(dd);
                    goto out;
                }
                if (!known) {
                    nw_err_set(err, NW_EFORMAT, "segment %s/%s is not in the chain (added, "
                               "renamed or moved to another day)", de->d_name, se->d_name);
                    closedir(sd);
                    closedir(dd);
                    rc = 1;
                    goto out;
                }
            }
            if (sd) closedir(sd);
        }
        if (dd) closedir(dd);
    }
    hex_put(hex, c.head, 32);
    if (bad) {
        char d[16];
        nw__day_name(bad->day, d);
        nw_err_set(err, NW_EFORMAT, "segment %s/%012llu.nws is damaged at byte %llu: recovery "
                   "found it damaged, not torn (valid blocks follow the damage), and kept the "
                   "file as found (chain line %zu)%s. Every other segment and chain line "
                   "checks out; chain head %s", d, (unsigned long long)bad->seq,
                   (unsigned long long)bad->off, bad->line_no,
                   nbad > 1 ? "; more segments were found damaged after it" : "", hex);
        bad_named = 1;
        rc = 1;
        goto out;
    }
    if (rep) {
        fprintf(rep, "verify: %s: intact: %zu chain lines, %llu sealed segments (%llu records, "
                "%.1f MB), %llu active, %llu partitions expired%s\n", dir, c.n,
                (unsigned long long)sealed, (unsigned long long)records, bytes / 1e6,
                (unsigned long long)active, (unsigned long long)expired,
                pubkey_file ? ", every line signed" : "");
        if (torn_total)
            fprintf(rep, "verify: %llu bytes of incomplete block at the end of active segments "
                    "(a writer is running or crashed; the next open truncates it)\n",
                    (unsigned long long)torn_total);
        fprintf(rep, "verify: chain head %s (keep a copy elsewhere to detect removal of the "
                "newest segments)\n", hex);
    }
    rc = 0;
out:
    if (rc == 1 && bad && !bad_named) { /* a later failure: name the damage before it too */
        size_t l = strlen(err->msg);
        char d[16];
        nw__day_name(bad->day, d);
        if (l < sizeof err->msg)
            snprintf(err->msg + l, sizeof err->msg - l, " (before it, segment %s/%012llu.nws was "
                     "kept as found damaged at byte %llu, chain line %zu)", d,
                     (unsigned long long)bad->seq, (unsigned long long)bad->off, bad->line_no);
    }
    ZSTD_freeDCtx(dctx);
    nw__chain_free(&c);
    if (lt.state == 1) nw__chain_free(&lt.c);
    return rc;
}
