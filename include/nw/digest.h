/*
 * digest.h - MD5, SHA-256 and HMAC-SHA256 for the per-packet paths (JA3,
 * JA4, QUIC Initial keys): allocation-free, no per-call algorithm dispatch.
 * Not for secrets at rest: the store's chain and signatures use EVP and
 * libsodium (store_chain.c).
 */
#ifndef NW_DIGEST_H
#define NW_DIGEST_H

#include <stddef.h>
#include <stdint.h>

/* out = MD5(p[0..n)) */
void nw_md5(const void *p, size_t n, uint8_t out[16]);

/* out = SHA-256(p[0..n)) */
void nw_sha256(const void *p, size_t n, uint8_t out[32]);

/*
 * out = HMAC-SHA256(key, data) (RFC 2104), klen <= 64. The pad states of the
 * last few keys are cached per thread, so repeating a key (a QUIC version's
 * salt, a secret expanded into key, iv and hp) costs two compressions
 * instead of four. Returns -1 only if klen > 64.
 */
int nw_hmac_sha256(const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
                   uint8_t out[32]);

#endif
