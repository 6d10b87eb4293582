/*
 * digest.c - MD5, SHA-256 and HMAC-SHA256 through OpenSSL's low-level
 * functions. OpenSSL 3.0's EVP_DigestInit_ex2 frees and allocates the
 * provider context on every call, which cost ~4k instructions per JA3/JA4
 * hash and ~60k per QUIC key derivation (ten digests) against a few hundred
 * per SHA-NI compression. The low-level functions are deprecated in 3.0 but
 * present in every build Debian ships, use the same assembly, and keep their
 * state in a plain struct that HMAC can copy. This file is the only user.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "nw/digest.h"

#include <openssl/md5.h>
#include <openssl/sha.h>
#include <string.h>

void nw_md5(const void *p, size_t n, uint8_t out[16])
{
    MD5_CTX c;

    MD5_Init(&c);
    MD5_Update(&c, p, n);
    MD5_Final(out, &c);
}

void nw_sha256(const void *p, size_t n, uint8_t out[32])
{
    SHA256_CTX c;

    SHA256_Init(&c);
    SHA256_Update(&c, p, n);
    SHA256_Final(out, &c);
}

/* A key's inner and outer states after its padded block. */
struct hkey {
    uint8_t key[64];
    size_t klen; /* 65 = empty slot */
    uint64_t used; /* clock of the last use: the least recent is replaced */
    SHA256_CTX in, out;
};

#define HKEYS 4
static _Thread_local struct hkey hk[HKEYS] = {{.klen = 65}, {.klen = 65}, {.klen = 65}, {.klen = 65}};
static _Thread_local uint64_t hk_clock;

static const struct hkey *hkey_get(const uint8_t *key, size_t klen)
{
    uint8_t pad[64];
    struct hkey *h = &hk[0];

    for (int i = 0; i < HKEYS; i++) {
        if (hk[i].klen == klen && memcmp(hk[i].key, key, klen) == 0) {
            hk[i].used = ++hk_clock;
            return &hk[i];
        }
        if (hk[i].used < h->used) h = &hk[i];
    }
    h->used = ++hk_clock;
    memcpy(h->key, key, klen);
    h->klen = klen;
    memset(pad, 0x36, sizeof pad);
    for (size_t i = 0; i < klen; i++) pad[i] ^= key[i];
    SHA256_Init(&h->in);
    SHA256_Update(&h->in, pad, 64);
    for (size_t i = 0; i < 64; i++) pad[i] ^= 0x36 ^ 0x5c; /* ipad -> opad */
    SHA256_Init(&h->out);
    SHA256_Update(&h->out, pad, 64);
    return h;
}

int nw_hmac_sha256(const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
                   uint8_t out[32])
{
    const struct hkey *h;
    SHA256_CTX c;
    uint8_t inner[32];

    if (klen > 64) return -1;
    h = hkey_get(key, klen);
    c = h->in;
    SHA256_Update(&c, data, dlen);
    SHA256_Final(inner, &c);
    c = h->out;
    SHA256_Update(&c, inner, 32);
    SHA256_Final(out, &c);
    return 0;
}
