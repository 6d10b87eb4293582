/*
 * fuzz_quic.c - libFuzzer harness for the QUIC Initial parser (proto_quic.c).
 *
 * Random bytes never pass AES-GCM, so the harness seals fuzzer-chosen frame
 * payloads into valid v1 client Initial packets itself; that way the frame
 * walker, the CRYPTO reassembly and the ClientHello parser see fuzzer-
 * controlled plaintext. Input: a sequence of chunks
 *   ctl(1) len(2, big endian) bytes(len)
 * ctl bit 0: 1 = feed the bytes raw as one datagram (headers fuzzed),
 *            0 = seal them as the frames of a client Initial;
 * ctl bit 1: raw datagrams go toward the client;
 * ctl bits 2-3: which of three DCIDs the sealed packet uses (new keys).
 */
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nw/testctx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void expand_label(const uint8_t *secret, const char *label, uint8_t *out, size_t n)
{
    uint8_t info[64], t[32];
    size_t ll = strlen(label), k = 0;
    unsigned int tl = 0;
    info[k++] = 0;
    info[k++] = (uint8_t)n;
    info[k++] = (uint8_t)(6 + ll);
    memcpy(info + k, "tls13 ", 6);
    k += 6;
    memcpy(info + k, label, ll);
    k += ll;
    info[k++] = 0;
    info[k++] = 1;
    HMAC(EVP_sha256(), secret, 32, info, k, t, &tl);
    memcpy(out, t, n);
}

/* Seal frames p[0..n) (n <= 1400) as a v1 client Initial into out; returns its length. */
static size_t seal(uint8_t *out, const uint8_t dcid[8], uint32_t pn, const uint8_t *p, size_t n)
{
    static const uint8_t salt[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                     0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
    uint8_t prk[32], cs[32], key[16], iv[12], hp[16], mask[16], nonce[12];
    unsigned int l = 0;
    size_t h = 0, pn_off;
    int ol = 0;
    EVP_CIPHER_CTX *c;

    HMAC(EVP_sha256(), salt, 20, dcid, 8, prk, &l);
    expand_label(prk, "client in", cs, 32);
    expand_label(cs, "quic key", key, 16);
    expand_label(cs, "quic iv", iv, 12);
    expand_label(cs, "quic hp", hp, 16);
    out[h++] = 0xc3;
    out[h++] = 0;
    out[h++] = 0;
    out[h++] = 0;
    out[h++] = 1;
    out[h++] = 8;
    memcpy(out + h, dcid, 8);
    h += 8;
    out[h++] = 0;
    out[h++] = 0;
    out[h++] = (uint8_t)(0x40 | ((n + 20) >> 8));
    out[h++] = (uint8_t)(n + 20);
    pn_off = h;
    for (int i = 3; i >= 0; i--) out[h++] = (uint8_t)(pn >> (8 * i));
    memcpy(nonce, iv, 12);
    for (int i = 0; i < 4; i++) nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
    c = EVP_CIPHER_CTX_new();
    if (c == NULL) return 0;
    EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL);
    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL);
    EVP_EncryptInit_ex(c, NULL, NULL, key, nonce);
    EVP_EncryptUpdate(c, NULL, &ol, out, (int)h);
    if (n) EVP_EncryptUpdate(c, out + h, &ol, p, (int)n);
    EVP_EncryptFinal_ex(c, out + h + n, &ol);
    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + h + n);
    EVP_CIPHER_CTX_free(c);
    /* header protection needs 4 + 16 bytes after the packet number */
    if (n + 16 < 20) {
        memset(out + h + n + 16, 0, 4);
    }
    c = EVP_CIPHER_CTX_new();
    if (c == NULL) return 0;
    EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, hp, NULL);
    EVP_CIPHER_CTX_set_padding(c, 0);
    EVP_EncryptUpdate(c, mask, &ol, out + pn_off + 4, 16);
    EVP_CIPHER_CTX_free(c);
    out[0] ^= mask[0] & 0x0f;
    for (int i = 0; i < 4; i++) out[pn_off + i] ^= mask[1 + i];
    return h + n + 16;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t dcids[3][8] = {
        {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08}, {1, 2, 3, 4, 5, 6, 7, 8}, {9, 9, 9, 9, 9, 9, 9, 9}};
    static struct nw_testctx t; /* made once: an engine per input is slow */
    static int ready;
    size_t off = 0;
    uint32_t pn = 0;

    if (!ready) {
        if (nw_testctx_init(&t, NULL, IPPROTO_UDP, "10.0.0.1", 40000, "10.0.0.2", 443) != 0)
            return 0;
        ready = 1;
    }
    memset(&t.al, 0, sizeof t.al);
    if (nw_applayer_attach(&t.al, nw_proto_find("quic"), 0) != 0) return 0;
    t.records.len = 0;
    for (int i = 0; i < 64 && off + 3 <= size; i++) {
        uint8_t ctl = data[off];
        size_t n = ((size_t)data[off + 1] << 8) | data[off + 2];
        off += 3;
        if (n > size - off) n = size - off;
        if (ctl & 1) {
            uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees overreads */
            if (copy == NULL) break;
            memcpy(copy, data + off, n);
            nw_testctx_feed(&t, (ctl >> 1) & 1, copy, n);
            free(copy);
        } else if (n <= 1400) {
            uint8_t pkt[1500];
            size_t l = seal(pkt, dcids[((ctl >> 2) & 3) % 3], pn++, data + off, n);
            uint8_t *copy = malloc(l ? l : 1);
            if (copy == NULL) break;
            memcpy(copy, pkt, l);
            nw_testctx_feed(&t, NW_DIR_TOSERVER, copy, l);
            free(copy);
        }
        off += n;
    }
    nw_testctx_end(&t); /* ends the parser and frees its state */
    return 0;
}
