/* test_digest.c - MD5, SHA-256 and HMAC-SHA256 (util/digest.c) against the
 * published vectors, and the HMAC pad-state cache against fresh keys. */
#include "nw/digest.h"

#include <stdio.h>
#include <string.h>

#include "nwtest.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
}

TEST(md5_and_sha256_vectors)
{
    uint8_t d[32];
    char h[65];

    nw_md5("", 0, d);
    hex(d, 16, h);
    CHECK_STR(h, "d41d8cd98f00b204e9800998ecf8427e"); /* RFC 1321 A.5 */
    nw_md5("message digest", 14, d);
    hex(d, 16, h);
    CHECK_STR(h, "f96b697d7cb7938d525a2f31aaf161d0");
    nw_sha256("abc", 3, d);
    hex(d, 32, h);
    CHECK_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"); /* FIPS 180-2 */
    nw_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
    hex(d, 32, h);
    CHECK_STR(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* RFC 4231 test cases 1, 2 and 4 (keys <= 64 bytes), interleaved so that
 * each is computed both from a fresh pad state and from the cached one. */
TEST(hmac_sha256_rfc4231)
{
    uint8_t k1[20], k4[25], d4[50], out[32];
    char h[65];

    memset(k1, 0x0b, sizeof k1);
    for (int i = 0; i < 25; i++) k4[i] = (uint8_t)(i + 1);
    memset(d4, 0xcd, sizeof d4);
    for (int round = 0; round < 3; round++) {
        CHECK_EQ(nw_hmac_sha256(k1, sizeof k1, (const uint8_t *)"Hi There", 8, out), 0);
        hex(out, 32, h);
        CHECK_STR(h, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
        CHECK_EQ(nw_hmac_sha256((const uint8_t *)"Jefe", 4,
                                (const uint8_t *)"what do ya want for nothing?", 28, out), 0);
        hex(out, 32, h);
        CHECK_STR(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        CHECK_EQ(nw_hmac_sha256(k4, sizeof k4, d4, sizeof d4, out), 0);
        hex(out, 32, h);
        CHECK_STR(h, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    }
}

/* RFC 2104 from nw_sha256 alone, no cache: the reference. */
static void ref_hmac(const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
                     uint8_t out[32])
{
    uint8_t buf[64 + 256];

    memset(buf, 0x36, 64);
    for (size_t i = 0; i < klen; i++) buf[i] ^= key[i];
    memcpy(buf + 64, data, dlen);
    nw_sha256(buf, 64 + dlen, out);
    memset(buf, 0x5c, 64);
    for (size_t i = 0; i < klen; i++) buf[i] ^= key[i];
    memcpy(buf + 64, out, 32);
    nw_sha256(buf, 96, out);
}

/* More keys than cache slots, reused in a shifting order: every result
 * must equal the uncached reference; a key that differs from a cached one
 * in its last byte, or only in length, is a new key. */
TEST(hmac_cache_never_mixes_keys)
{
    uint8_t keys[9][33], ref[9][32], out[32];
    static const uint8_t data[] = "tls13 quic key";

    for (int k = 0; k < 9; k++) {
        memset(keys[k], 0x5a, 33);
        keys[k][31] = (uint8_t)k; /* differ in the last byte of 32 */
        ref_hmac(keys[k], k == 8 ? 33 : 32, data, sizeof data - 1, ref[k]);
    }
    for (int i = 0; i < 200; i++) {
        int k = (i * 7 + i / 9) % 9;
        CHECK_EQ(nw_hmac_sha256(keys[k], k == 8 ? 33 : 32, data, sizeof data - 1, out), 0);
        CHECK(memcmp(out, ref[k], 32) == 0);
    }
    /* same first 32 bytes as keys[0] is not keys[0] with 33 bytes */
    keys[0][32] = 0x5a;
    CHECK_EQ(nw_hmac_sha256(keys[0], 33, data, sizeof data - 1, out), 0);
    CHECK(memcmp(out, ref[0], 32) != 0);
    CHECK_EQ(nw_hmac_sha256(keys[0], 65, data, 1, out), -1);
}

NW_TEST_MAIN(NWT_ENTRY(md5_and_sha256_vectors) NWT_ENTRY(hmac_sha256_rfc4231)
                 NWT_ENTRY(hmac_cache_never_mixes_keys))
