/*
 * proto_quic.c - QUIC Initial packets: decrypt the client's Initial packets,
 * rebuild the CRYPTO stream and read the TLS ClientHello in it (SNI, ALPN,
 * JA3/JA4 via tls_hello.c).
 *
 * Versions: v1 (RFC 9001), v2 (RFC 9369: own salt, "quicv2 " labels and
 * packet type bits), drafts 22-34 and Facebook mvfst's draft-based versions,
 * as tshark decrypts them. Client Initial keys come from the DCID of the
 * client's first Initial; when a later client Initial does not decrypt with
 * them and carries another DCID (after a Retry, or a new connection on the
 * same 5-tuple), keys are derived again from that DCID and a new "epoch"
 * starts with an empty CRYPTO stream.
 *
 * CRYPTO frames are placed by offset into a buffer bounded by
 * QUIC_CRYPTO_MAX (64 KiB) with a bitmap of received bytes, so frames that
 * arrive split, reordered or repeated (Chrome's "chaos protection",
 * coalesced packets, several Initial packets) join up; handshake messages
 * are cut from the contiguous prefix.
 *
 * Records: one `quic` record per ClientHello, written as soon as it is
 * whole. A ClientHello sent again after a Retry (the same connection) is
 * not written twice: the connection's record is already out. A second
 * ClientHello after a HelloRetryRequest is a new hello and gets its own
 * record, like TLS over TCP.
 *
 * Limits: at most QUIC_MAX_PKTS client Initial packets are decrypted per
 * flow and QUIC_MAX_COALESCED packets are walked per datagram; parsing stops
 * once the server sends Handshake or 1-RTT packets (the Initial phase is
 * over). Every read is length-checked; nothing is trusted from the wire.
 */
#include "nw/proto.h"

#include <openssl/evp.h>
#include <string.h>

#include "nw/core.h"
#include "nw/digest.h"
#include "tls_hello.h"

#define QUIC_CRYPTO_MAX (64u * 1024u) /* CRYPTO stream bytes kept per epoch */
#define QUIC_MAX_PKTS 16              /* client Initial packets decrypted per flow */
#define QUIC_MAX_COALESCED 8          /* long-header packets walked per datagram */
#define QUIC_MAX_CID 20

enum quic_ptype { QP_INITIAL, QP_0RTT, QP_HANDSHAKE, QP_RETRY };

struct quic_ver {
    uint32_t v;
    const uint8_t *salt; /* 20 bytes */
    uint8_t v2;          /* RFC 9369 labels and type bits */
    const char *name;
};

static const uint8_t salt_v1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
static const uint8_t salt_v2[20] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
                                    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};
static const uint8_t salt_d29[20] = {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
                                     0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99};
static const uint8_t salt_d23[20] = {0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
                                     0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02};
static const uint8_t salt_d22[20] = {0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb, 0xe9, 0x19, 0x3a,
                                     0x96, 0xcd, 0x21, 0x51, 0x9e, 0xbd, 0x7a, 0x02, 0x64, 0x4a};

static const struct quic_ver quic_versions[] = {
    {0x00000001, salt_v1, 0, "v1"},        {0x6b3343cf, salt_v2, 1, "v2"},
    {0xff000022, salt_v1, 0, "draft-34"},  {0xff000021, salt_v1, 0, "draft-33"},
    {0xff000020, salt_d29, 0, "draft-32"}, {0xff00001f, salt_d29, 0, "draft-31"},
    {0xff00001e, salt_d29, 0, "draft-30"}, {0xff00001d, salt_d29, 0, "draft-29"},
    {0xff00001c, salt_d23, 0, "draft-28"}, {0xff00001b, salt_d23, 0, "draft-27"},
    {0xff00001a, salt_d23, 0, "draft-26"}, {0xff000019, salt_d23, 0, "draft-25"},
    {0xff000018, salt_d23, 0, "draft-24"}, {0xff000017, salt_d23, 0, "draft-23"},
    {0xff000016, salt_d22, 0, "draft-22"}, {0xfaceb001, salt_d22, 0, "mvfst-1"},
    {0xfaceb002, salt_d23, 0, "mvfst-2"},
};

static const struct quic_ver *find_version(uint32_t v)
{
    for (size_t i = 0; i < sizeof quic_versions / sizeof quic_versions[0]; i++)
        if (quic_versions[i].v == v) return &quic_versions[i];
    return NULL;
}

struct quic_keys {
    uint8_t key[16], iv[12], hp[16];
    uint8_t dcid[QUIC_MAX_CID];
    uint8_t dcid_len;
    uint8_t valid;
    int64_t largest_pn; /* for packet number decoding, -1 before the first */
};

struct quic_state {
    struct quic_keys k;            /* client Initial keys of the current epoch */
    const struct quic_ver *ver;    /* version of the current epoch */
    uint8_t *crypto;               /* CRYPTO stream of this epoch, offsets 0..cap */
    uint8_t *have;                 /* bitmap of received stream bytes */
    size_t cap;                    /* bytes allocated in crypto (have: cap/8) */
    size_t contig;                 /* stream bytes [0, contig) all received */
    size_t msg_off;                /* start of the next handshake message */
    uint8_t scid[QUIC_MAX_CID];    /* SCID of the epoch's first client Initial */
    uint8_t scid_len;
    uint8_t retry_seen;            /* the server sent a Retry */
    uint8_t epoch_after_retry;     /* this epoch started after a Retry */
    uint8_t hellos_in_epoch;       /* ClientHellos completed in this epoch */
    uint8_t emitted;               /* a record was written for this flow */
    uint8_t done;                  /* Initial phase over or limits hit */
    unsigned pkts;                 /* client Initial packets decrypted */
};

/* ---- crypto primitives ---- */

/*
 * OpenSSL 3 looks algorithms up by name on every one-shot call
 * (EVP_aes_128_gcm() inits), which cost more than the crypto itself here.
 * So each thread fetches AES-128-ECB and AES-128-GCM once and reuses one
 * context of each; they stay reachable until exit. HMAC-SHA256 is
 * nw_hmac_sha256 (util/digest.c: no allocation per digest, and the salt's
 * and a secret's pad states are reused).
 */
struct quic_crypto {
    EVP_CIPHER *ecb, *gcm;
    EVP_CIPHER_CTX *ecb_ctx, *gcm_ctx;
    int ready;
    /* the context holds its cipher: later inits pass NULL and only re-key.
     * Passing the cipher again makes OpenSSL 3 free and allocate (and
     * cleanse) the provider context on every packet. */
    const EVP_CIPHER *ecb_set, *gcm_set;
};
static _Thread_local struct quic_crypto qc;

static int crypto_ready(void)
{
    if (qc.ready) return qc.ready > 0;
    qc.ready = -1;
    qc.ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
    qc.gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    qc.ecb_ctx = EVP_CIPHER_CTX_new();
    qc.gcm_ctx = EVP_CIPHER_CTX_new();
    qc.ecb_set = qc.ecb;
    qc.gcm_set = qc.gcm;
    if (qc.ecb && qc.gcm && qc.ecb_ctx && qc.gcm_ctx) qc.ready = 1;
    return qc.ready > 0;
}

/* HKDF-Expand-Label (RFC 8446 7.1) with an empty context; out_len <= 32. */
static int hkdf_expand_label(const uint8_t secret[32], const char *label, uint8_t *out,
                             size_t out_len)
{
    uint8_t info[64], t[32];
    size_t ll = strlen(label), n = 0;

    if (ll + 6 > 255 || 4 + 6 + ll + 1 > sizeof info || out_len > 32) return -1;
    info[n++] = (uint8_t)(out_len >> 8);
    info[n++] = (uint8_t)out_len;
    info[n++] = (uint8_t)(6 + ll);
    memcpy(info + n, "tls13 ", 6);
    n += 6;
    memcpy(info + n, label, ll);
    n += ll;
    info[n++] = 0;    /* context length */
    info[n++] = 0x01; /* T(1) counter: one block is enough for <= 32 bytes */
    if (nw_hmac_sha256(secret, 32, info, n, t) != 0) return -1;
    memcpy(out, t, out_len);
    return 0;
}

static int derive_keys(const struct quic_ver *ver, const uint8_t *dcid, size_t dcid_len,
                       struct quic_keys *k)
{
    uint8_t prk[32], cs[32];
    static const uint8_t empty = 0;

    memset(k, 0, sizeof *k);
    if (nw_hmac_sha256(ver->salt, 20, dcid_len ? dcid : &empty, dcid_len, prk) != 0) return -1;
    if (hkdf_expand_label(prk, "client in", cs, 32) != 0 ||
        hkdf_expand_label(cs, ver->v2 ? "quicv2 key" : "quic key", k->key, 16) != 0 ||
        hkdf_expand_label(cs, ver->v2 ? "quicv2 iv" : "quic iv", k->iv, 12) != 0 ||
        hkdf_expand_label(cs, ver->v2 ? "quicv2 hp" : "quic hp", k->hp, 16) != 0)
        return -1;
    memcpy(k->dcid, dcid, dcid_len);
    k->dcid_len = (uint8_t)dcid_len;
    k->largest_pn = -1;
    k->valid = 1;
    return 0;
}

static int aes_ecb_block(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
    EVP_CIPHER_CTX *c;
    int ol = 0;

    if (!crypto_ready()) return -1;
    c = qc.ecb_ctx;
    if (EVP_EncryptInit_ex2(c, qc.ecb_set, key, NULL, NULL) != 1) {
        qc.ecb_set = qc.ecb; /* next time with the cipher again */
        return -1;
    }
    qc.ecb_set = NULL;
    if (EVP_CIPHER_CTX_set_padding(c, 0) != 1 || EVP_EncryptUpdate(c, out, &ol, in, 16) != 1 ||
        ol != 16)
        return -1;
    return 0;
}

static int aes_gcm_open(const struct quic_keys *k, uint64_t pn, const uint8_t *aad, size_t aad_len,
                        uint8_t *ct, size_t ct_len, const uint8_t tag[16])
{
    EVP_CIPHER_CTX *c;
    uint8_t nonce[12];
    int ol = 0;

    if (!crypto_ready() || aad_len > 0x7fffffff || ct_len > 0x7fffffff) return -1;
    c = qc.gcm_ctx;
    memcpy(nonce, k->iv, 12);
    for (int i = 0; i < 8; i++) nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
    /* the default GCM IV length is 12 bytes, as QUIC uses */
    if (EVP_DecryptInit_ex2(c, qc.gcm_set, k->key, nonce, NULL) != 1) {
        qc.gcm_set = qc.gcm;
        return -1;
    }
    qc.gcm_set = NULL;
    if (EVP_DecryptUpdate(c, NULL, &ol, aad, (int)aad_len) != 1 ||
        EVP_DecryptUpdate(c, ct, &ol, ct, (int)ct_len) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) != 1 ||
        EVP_DecryptFinal_ex(c, ct + ol, &ol) != 1)
        return -1;
    return 0;
}

/* ---- wire helpers ---- */

static int rd_varint(const uint8_t *p, size_t len, size_t *off, uint64_t *v)
{
    size_t n;
    if (*off >= len) return -1;
    n = (size_t)1 << (p[*off] >> 6);
    if (len - *off < n) return -1;
    *v = p[*off] & 0x3f;
    for (size_t i = 1; i < n; i++) *v = (*v << 8) | p[*off + i];
    *off += n;
    return 0;
}

/* RFC 9000 A.3: the full packet number closest to largest+1. */
static uint64_t decode_pn(int64_t largest, uint64_t truncated, unsigned nbits)
{
    uint64_t expected = (uint64_t)(largest + 1), win = (uint64_t)1 << nbits, hwin = win / 2;
    uint64_t mask = win - 1, cand = (expected & ~mask) | truncated;

    if (cand + hwin <= expected && cand < ((uint64_t)1 << 62) - win) return cand + win;
    if (cand > expected + hwin && cand >= win) return cand - win;
    return cand;
}

static enum quic_ptype ptype(const struct quic_ver *ver, uint8_t b0)
{
    unsigned t = (b0 >> 4) & 3;
    if (ver->v2) {
        static const enum quic_ptype m[4] = {QP_RETRY, QP_INITIAL, QP_0RTT, QP_HANDSHAKE};
        return m[t];
    }
    return (enum quic_ptype)t;
}

/* ---- CRYPTO stream ---- */

static void crypto_reset(struct quic_state *st)
{
    nw_free(st->crypto);
    nw_free(st->have);
    st->crypto = st->have = NULL;
    st->cap = st->contig = st->msg_off = 0;
    st->hellos_in_epoch = 0;
}

static void emit(struct nw_proto_ctx *ctx, struct quic_state *st, const struct nw_tls_hello *h)
{
    struct nw_buf *b = nw_record_begin(ctx, "quic", NW_REC_FLOW);
    char vh[9];
    static const char hx[] = "0123456789abcdef";
    uint32_t v = st->ver->v;
    int i = 0, j;

    /* Suricata writes the version as lower-case hex without leading zeros */
    for (j = 28; j > 0 && ((v >> j) & 15) == 0; j -= 4) {}
    for (; j >= 0; j -= 4) vh[i++] = hx[(v >> j) & 15];
    vh[i] = '\0';
    nw_json_kobj_open(b, "quic");
    nw_json_kcstr(b, "version", vh);
    nw_json_kcstr(b, "version_name", st->ver->name);
    nw_tls_write_client(b, h, 'q');
    nw_json_khex(b, "dcid", st->k.dcid, st->k.dcid_len);
    nw_json_khex(b, "scid", st->scid, st->scid_len);
    if (st->epoch_after_retry) nw_json_kbool(b, "retry", 1);
    nw_json_obj_close(b);
    nw_record_end(ctx);
    st->emitted = 1;
}

/* Cut whole handshake messages from the contiguous prefix. */
static void crypto_messages(struct nw_proto_ctx *ctx, struct quic_state *st)
{
    /* each pass advances msg_off by >= 4, so this ends */
    while (st->contig - st->msg_off >= 4) {
        const uint8_t *m = st->crypto + st->msg_off;
        size_t ml = ((size_t)m[1] << 16) | ((size_t)m[2] << 8) | m[3];
        if (ml > QUIC_CRYPTO_MAX) {
            nw_proto_anomaly(ctx, "crypto_too_big");
            st->msg_off = st->contig = QUIC_CRYPTO_MAX; /* nothing more from this epoch */
            return;
        }
        if (st->contig - st->msg_off < 4 + ml) return;
        if (m[0] == 1) {
            struct nw_tls_hello h;
            if (nw_tls_hello_parse(m + 4, ml, 1, &h) != 0) {
                nw_proto_anomaly(ctx, "bad_client_hello");
            } else if (!(st->epoch_after_retry && st->hellos_in_epoch == 0 && st->emitted)) {
                /* (the first hello after a Retry repeats the one already written) */
                emit(ctx, st, &h);
            }
            if (st->hellos_in_epoch < 255) st->hellos_in_epoch++;
        }
        st->msg_off += 4 + ml;
    }
}

/* Mark bits [from, to) of bm: the whole bytes between the ends by memset. */
static void bits_set(uint8_t *bm, size_t from, size_t to)
{
    for (; from < to && (from & 7); from++) bm[from >> 3] |= (uint8_t)(1u << (from & 7));
    if (from < to && to - from >= 8) {
        memset(bm + (from >> 3), 0xff, (to - from) >> 3);
        from += (to - from) & ~(size_t)7;
    }
    for (; from < to; from++) bm[from >> 3] |= (uint8_t)(1u << (from & 7));
}

static void crypto_add(struct nw_proto_ctx *ctx, struct quic_state *st, uint64_t off,
                       const uint8_t *p, size_t n)
{
    if (off > QUIC_CRYPTO_MAX || n > QUIC_CRYPTO_MAX - off) {
        nw_proto_anomaly(ctx, "crypto_too_big");
        return;
    }
    if (n == 0) return;
    if (off + n > st->cap) {
        size_t cap = NW_MAX(st->cap * 2, (size_t)4096);
        while (cap < off + n) cap *= 2;
        if (cap > QUIC_CRYPTO_MAX) cap = QUIC_CRYPTO_MAX;
        uint8_t *nc = nw_realloc(st->crypto, cap);
        if (nc == NULL) goto nomem;
        st->crypto = nc;
        uint8_t *nh = nw_realloc(st->have, cap / 8);
        if (nh == NULL) goto nomem;
        memset(nh + st->cap / 8, 0, (cap - st->cap) / 8);
        st->have = nh;
        st->cap = cap;
    }
    memcpy(st->crypto + off, p, n);
    bits_set(st->have, (size_t)off, (size_t)off + n);
    /* whole received bytes of the bitmap at a time, then bit by bit */
    while (st->contig < st->cap) {
        if ((st->contig & 7) == 0 && st->contig + 8 <= st->cap && st->have[st->contig >> 3] == 0xff)
            st->contig += 8;
        else if ((st->have[st->contig >> 3] >> (st->contig & 7)) & 1)
            st->contig++;
        else
            break;
    }
    crypto_messages(ctx, st);
    return;
nomem:
    nw_proto_anomaly(ctx, "nomem");
}

/* Walk the frames of a decrypted Initial payload. */
static void frames(struct nw_proto_ctx *ctx, struct quic_state *st, const uint8_t *p, size_t len)
{
    size_t off = 0;
    uint64_t v, a, b;

    /* each frame consumes >= 1 byte */
    while (off < len) {
        uint8_t t = p[off++];
        switch (t) {
        case 0x00: /* PADDING: most of a 1200-byte Initial; skip the run 8 bytes at a time */
            for (uint64_t w = 0; off + 8 <= len && (memcpy(&w, p + off, 8), w == 0);) off += 8;
            while (off < len && p[off] == 0) off++;
            break;
        case 0x01: /* PING */
            break;
        case 0x02: /* ACK */
        case 0x03: {
            uint64_t cnt;
            if (rd_varint(p, len, &off, &v) || rd_varint(p, len, &off, &v) ||
                rd_varint(p, len, &off, &cnt) || rd_varint(p, len, &off, &v))
                return;
            if (cnt > len) return; /* each range needs >= 2 bytes */
            for (uint64_t i = 0; i < cnt; i++)
                if (rd_varint(p, len, &off, &a) || rd_varint(p, len, &off, &b)) return;
            if (t == 0x03 && (rd_varint(p, len, &off, &a) || rd_varint(p, len, &off, &a) ||
                              rd_varint(p, len, &off, &a)))
                return;
            break;
        }
        case 0x06: /* CRYPTO */
            if (rd_varint(p, len, &off, &a) || rd_varint(p, len, &off, &b) || b > len - off) return;
            crypto_add(ctx, st, a, p + off, (size_t)b);
            off += (size_t)b;
            break;
        default: return; /* CONNECTION_CLOSE or a frame not allowed in Initial: stop */
        }
    }
}

/*
 * Remove header protection from the Initial packet in pkt[0..plen) (a
 * private copy) and decrypt it in place with k. Returns the plaintext
 * length (payload at pkt + *hdr_len) or -1.
 */
static long open_packet(struct quic_keys *k, uint8_t *pkt, size_t plen, size_t pn_off,
                        size_t *hdr_len)
{
    uint8_t mask[16];
    unsigned pnl;
    uint64_t tpn = 0, pn;

    if (pn_off + 4 + 16 > plen) return -1;
    if (aes_ecb_block(k->hp, pkt + pn_off + 4, mask) != 0) return -1;
    pkt[0] ^= mask[0] & 0x0f;
    pnl = (pkt[0] & 3) + 1u;
    for (unsigned i = 0; i < pnl; i++) {
        pkt[pn_off + i] ^= mask[1 + i];
        tpn = (tpn << 8) | pkt[pn_off + i];
    }
    *hdr_len = pn_off + pnl;
    if (plen < *hdr_len + 16) return -1;
    pn = decode_pn(k->largest_pn, tpn, 8 * pnl);
    if (aes_gcm_open(k, pn, pkt, *hdr_len, pkt + *hdr_len, plen - *hdr_len - 16,
                     pkt + plen - 16) != 0)
        return -1;
    if ((int64_t)pn > k->largest_pn) k->largest_pn = (int64_t)pn;
    return (long)(plen - *hdr_len - 16);
}

/* A client Initial packet p[0..plen); pn_off is where its packet number starts. */
static void client_initial(struct nw_proto_ctx *ctx, struct quic_state *st,
                           const struct quic_ver *ver, const uint8_t *p, size_t plen,
                           size_t pn_off, const uint8_t *dcid, size_t dcl, const uint8_t *scid,
                           size_t scl)
{
    uint8_t stackbuf[1536], *buf = stackbuf; /* an Initial is 1200-1500 bytes, rarely more */
    size_t hl = 0;
    long n = -1;
    int new_epoch = 0;

    if (st->pkts >= QUIC_MAX_PKTS) {
        st->done = 1;
        return;
    }
    st->pkts++;
    if (plen > sizeof stackbuf) buf = nw_alloc(plen);
    if (buf == NULL) {
        nw_proto_anomaly(ctx, "nomem");
        return;
    }
    if (st->k.valid && st->ver == ver) {
        memcpy(buf, p, plen);
        n = open_packet(&st->k, buf, plen, pn_off, &hl);
    }
    if (n < 0 && (!st->k.valid || st->ver != ver || dcl != st->k.dcid_len ||
                  memcmp(dcid, st->k.dcid, dcl) != 0)) {
        struct quic_keys nk;
        if (derive_keys(ver, dcid, dcl, &nk) == 0) {
            memcpy(buf, p, plen);
            n = open_packet(&nk, buf, plen, pn_off, &hl);
            if (n >= 0) {
                new_epoch = 1;
                st->k = nk;
            }
        }
    }
    if (n < 0) {
        nw_proto_anomaly(ctx, "decrypt_failed");
        goto out;
    }
    if (new_epoch) {
        crypto_reset(st);
        st->epoch_after_retry = st->retry_seen; /* one Retry explains one new DCID */
        st->retry_seen = 0;
        st->ver = ver;
        memcpy(st->scid, scid, scl);
        st->scid_len = (uint8_t)scl;
    }
    frames(ctx, st, buf + hl, (size_t)n);
out:
    if (buf != stackbuf) nw_free(buf);
}

static int quic_parse(struct nw_proto_ctx *ctx, void *state, const uint8_t *p, size_t len)
{
    struct quic_state *st = state;
    size_t off = 0;

    if (st->done) return 0;
    for (int i = 0; i < QUIC_MAX_COALESCED && off < len && !st->done; i++) {
        const uint8_t *q = p + off;
        size_t ql = len - off, o = 5, dcl, scl, pn_off, plen;
        const uint8_t *dcid, *scid;
        const struct quic_ver *ver;
        uint64_t tok = 0, plen64;
        enum quic_ptype t;

        if (!(q[0] & 0x80)) {
            /* short header: 1-RTT from the server means the handshake went on */
            if (ctx->dir == NW_DIR_TOCLIENT) st->done = 1;
            break;
        }
        if (ql < 7) return i == 0 ? -1 : 0;
        uint32_t v = ((uint32_t)q[1] << 24) | ((uint32_t)q[2] << 16) | ((uint32_t)q[3] << 8) | q[4];
        if (v == 0) break; /* Version Negotiation */
        ver = find_version(v);
        if (ver == NULL) {
            nw_proto_anomaly(ctx, "unknown_version");
            break;
        }
        dcl = q[o++];
        if (dcl > QUIC_MAX_CID || o + dcl + 1 > ql) return -1;
        dcid = q + o;
        o += dcl;
        scl = q[o++];
        if (scl > QUIC_MAX_CID || o + scl > ql) return -1;
        scid = q + o;
        o += scl;
        t = ptype(ver, q[0]);
        if (t == QP_RETRY) {
            if (ctx->dir == NW_DIR_TOCLIENT) st->retry_seen = 1;
            break; /* a Retry fills the rest of the datagram */
        }
        if (t == QP_INITIAL && (rd_varint(q, ql, &o, &tok) || tok > ql - o)) return -1;
        o += (size_t)tok;
        if (rd_varint(q, ql, &o, &plen64) || plen64 > ql - o) return -1;
        pn_off = o;
        plen = o + (size_t)plen64;
        if (t == QP_INITIAL && ctx->dir == NW_DIR_TOSERVER)
            client_initial(ctx, st, ver, q, plen, pn_off, dcid, dcl, scid, scl);
        else if (t == QP_HANDSHAKE && ctx->dir == NW_DIR_TOCLIENT)
            st->done = 1; /* ServerHello accepted: no further ClientHello can come */
        off += plen;
    }
    if (st->done) crypto_reset(st);
    return 0;
}

static void quic_end(struct nw_proto_ctx *ctx, void *state)
{
    (void)ctx;
    crypto_reset(state);
}

/* A client long-header Initial of a version we can decrypt. */
static int quic_probe(const uint8_t *p, size_t len, int dir)
{
    const struct quic_ver *ver;

    if (dir != NW_DIR_TOSERVER || len < 7 || (p[0] & 0xc0) != 0xc0) return 0;
    ver = find_version(((uint32_t)p[1] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 8) |
                       p[4]);
    return ver != NULL && ptype(ver, p[0]) == QP_INITIAL;
}

/* RFC 9001 A.1: the client Initial key derived from DCID 0x8394c8f03e515708. */
static int quic_selftest(void)
{
    static const uint8_t dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
    static const uint8_t key[16] = {0x1f, 0x36, 0x96, 0x13, 0xdd, 0x76, 0xd5, 0x46,
                                    0x77, 0x30, 0xef, 0xcb, 0xe3, 0xb1, 0xa2, 0x2d};
    struct quic_keys k;

    if (derive_keys(&quic_versions[0], dcid, sizeof dcid, &k) != 0) return -1;
    return memcmp(k.key, key, 16) == 0 ? 0 : -1;
}

const struct nw_proto_parser nw_proto_quic = {
    .name = "quic",
    .transports = NW_T_UDP,
    .ports = {443},
    .probe = quic_probe,
    .state_size = sizeof(struct quic_state),
    .parse = quic_parse,
    .end = quic_end,
    .selftest = quic_selftest,
};
