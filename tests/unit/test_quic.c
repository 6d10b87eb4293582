/*
 * test_quic.c - QUIC Initial decryption and ClientHello extraction: the
 * RFC 9001 and RFC 9369 Appendix A client Initials (known keys), CRYPTO data
 * split and reordered across frames, packets and coalesced datagrams
 * (Chrome's "chaos protection"), Retry, and hostile input.
 *
 * Synthetic packets are sealed here with OpenSSL from the RFC 9001 A.1
 * derivation, written independently of proto_quic.c.
 */
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>

#include "nw/testctx.h"
#include "nwtest.h"

/* RFC 9001 A.2: the client Initial, DCID 8394c8f03e515708, PN 2, 1200 bytes;
 * one CRYPTO frame with a ClientHello for "example.com" (ALPN "alpn"). */
static const char rfc9001_a2[] =
    "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
    "d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
    "1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
    "8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
    "30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
    "457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
    "4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
    "4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
    "485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
    "059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
    "7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
    "9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
    "be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
    "68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
    "c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
    "f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
    "291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
    "25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
    "14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
    "ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
    "e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
    "c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
    "203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
    "cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
    "fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
    "a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
    "90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
    "162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
    "40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
    "6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
    "8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
    "be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
    "54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
    "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
    "f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
    "056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
    "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
    "e221af44860018ab0856972e194cd934";

/* RFC 9369 A.2: the same ClientHello in a QUIC v2 Initial. */
static const char rfc9369_a2[] =
    "d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485"
    "dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04"
    "9f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d"
    "250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a"
    "12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500"
    "cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68"
    "18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff33"
    "12ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3"
    "d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd"
    "6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520"
    "bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045"
    "636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f"
    "ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c12"
    "16ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e5"
    "4df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4"
    "fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b"
    "8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de7"
    "14d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9"
    "9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91"
    "abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd"
    "80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db"
    "848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18"
    "d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15"
    "c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc"
    "7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61"
    "f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e70710"
    "10d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b"
    "3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e"
    "06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce"
    "8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1"
    "34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1"
    "e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd"
    "5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3"
    "8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89"
    "d5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b53"
    "6f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19"
    "9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96b"
    "a18b2faa745b6fe189cf772a9f84cbfc";

/* The handshake message of those packets: ClientHello (type 1, 237 bytes). */
static const char rfc_ch_hex[] =
    "010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e86804fe3a47"
    "f06a2b69484c00000413011302010000c000000010000e00000b6578616d706c"
    "652e636f6dff01000100000a00080006001d0017001800100007000504616c70"
    "6e000500050100000000003300260024001d00209370b2c9caa47fbabaf4559f"
    "edba753de171fa71f50f1ce15d43e994ec74d748002b0003020304000d001000"
    "0e0403050306030203080408050806002d00020101001c000240010039003204"
    "08ffffffffffffffff05048000ffff07048000ffff0801100104800075300901"
    "100f088394c8f03e51570806048000ffff";

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2) {
        char t[3] = {h[0], h[1], 0};
        out[n++] = (uint8_t)strtoul(t, NULL, 16);
    }
    return n;
}

static const char *recs(struct nw_testctx *t)
{
    nw_buf_putc(&t->records, '\0');
    t->records.len--;
    return t->records.data;
}

static int start(struct nw_testctx *t)
{
    return nw_testctx_init(t, "quic", IPPROTO_UDP, "10.0.0.1", 50000, "10.0.0.2", 443);
}

/* ---- an independent sealer for v1 client Initials ---- */

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

/*
 * Build a v1 client Initial: long header with 4-byte packet number pn, DCID
 * dcid (keys derive from key_dcid), frames payload; appended to out.
 */
static size_t seal(uint8_t *out, const uint8_t *key_dcid, const uint8_t *dcid, size_t dcl,
                   uint32_t pn, const uint8_t *payload, size_t plen)
{
    static const uint8_t salt[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                     0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
    uint8_t prk[32], cs[32], key[16], iv[12], hp[16], mask[16], nonce[12];
    unsigned int l = 0;
    size_t h = 0, pn_off;
    int ol = 0;
    EVP_CIPHER_CTX *c;

    HMAC(EVP_sha256(), salt, 20, key_dcid, 8, prk, &l);
    expand_label(prk, "client in", cs, 32);
    expand_label(cs, "quic key", key, 16);
    expand_label(cs, "quic iv", iv, 12);
    expand_label(cs, "quic hp", hp, 16);
    out[h++] = 0xc3; /* Initial, 4-byte packet number */
    out[h++] = 0;
    out[h++] = 0;
    out[h++] = 0;
    out[h++] = 1;
    out[h++] = (uint8_t)dcl;
    memcpy(out + h, dcid, dcl);
    h += dcl;
    out[h++] = 3; /* SCID */
    out[h++] = 0xaa;
    out[h++] = 0xbb;
    out[h++] = 0xcc;
    out[h++] = 0; /* token length */
    out[h++] = (uint8_t)(0x40 | ((plen + 4 + 16) >> 8));
    out[h++] = (uint8_t)(plen + 4 + 16);
    pn_off = h;
    for (int i = 3; i >= 0; i--) out[h++] = (uint8_t)(pn >> (8 * i));
    memcpy(nonce, iv, 12);
    for (int i = 0; i < 4; i++) nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
    c = EVP_CIPHER_CTX_new();
    EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL);
    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL);
    EVP_EncryptInit_ex(c, NULL, NULL, key, nonce);
    EVP_EncryptUpdate(c, NULL, &ol, out, (int)h);
    EVP_EncryptUpdate(c, out + h, &ol, payload, (int)plen);
    EVP_EncryptFinal_ex(c, out + h + plen, &ol);
    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + h + plen);
    EVP_CIPHER_CTX_free(c);
    c = EVP_CIPHER_CTX_new();
    EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, hp, NULL);
    EVP_CIPHER_CTX_set_padding(c, 0);
    EVP_EncryptUpdate(c, mask, &ol, out + pn_off + 4, 16);
    EVP_CIPHER_CTX_free(c);
    out[0] ^= mask[0] & 0x0f;
    for (int i = 0; i < 4; i++) out[pn_off + i] ^= mask[1 + i];
    return h + plen + 16;
}

/* Append a CRYPTO frame for ch[off, off+n) to f. */
static size_t crypto_frame(uint8_t *f, const uint8_t *ch, size_t off, size_t n)
{
    size_t k = 0;
    f[k++] = 0x06;
    f[k++] = (uint8_t)(0x40 | (off >> 8));
    f[k++] = (uint8_t)off;
    f[k++] = (uint8_t)(0x40 | (n >> 8));
    f[k++] = (uint8_t)n;
    memcpy(f + k, ch + off, n);
    return k + n;
}

static const uint8_t dcid_a[8] = {0x8a, 0x8a, 1, 2, 3, 4, 5, 6};
static const uint8_t dcid_b[8] = {0x8b, 0x8b, 1, 2, 3, 4, 5, 6};

TEST(rfc9001_client_initial)
{
    struct nw_testctx t;
    uint8_t pkt[1200];
    const char *r;

    CHECK(unhex(rfc9001_a2, pkt) == 1200);
    CHECK(start(&t) == 0);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, pkt, sizeof pkt) == 0);
    r = recs(&t);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"quic\""), 1);
    CHECK_HAS(r, "\"version\":\"1\"");
    CHECK_HAS(r, "\"sni\":\"example.com\"");
    CHECK_HAS(r, "\"client_alpns\":[\"alpn\"]");
    /* JA3 string checked against Python's MD5; JA4 against an independent script */
    CHECK_HAS(r, "\"ja3\":{\"hash\":\"41bc9ae914d6cb3bd0bd0a5453ab7d7f\",\"string\":\"771,4865-"
                 "4866,0-65281-10-16-5-51-43-13-45-28-57,29-23-24,\"}");
    CHECK_HAS(r, "\"ja4\":\"q13d0211an_62ed6f6ca7ad_4d634acda6c0\"");
    CHECK_HAS(r, "\"dcid\":\"8394c8f03e515708\"");
    nw_testctx_end(&t);
    nw_testctx_fini(&t);
}

TEST(rfc9369_v2_client_initial)
{
    struct nw_testctx t;
    uint8_t pkt[1200];
    const char *r;

    CHECK(unhex(rfc9369_a2, pkt) == 1200);
    CHECK(start(&t) == 0);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, pkt, sizeof pkt) == 0);
    r = recs(&t);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"quic\""), 1);
    CHECK_HAS(r, "\"version\":\"6b3343cf\"");
    CHECK_HAS(r, "\"version_name\":\"v2\"");
    CHECK_HAS(r, "\"sni\":\"example.com\"");
    nw_testctx_end(&t);
    nw_testctx_fini(&t);
}

/* A damaged tag or a cut packet decrypts to nothing, without a crash. */
TEST(damaged_and_truncated)
{
    uint8_t pkt[1200];

    CHECK(unhex(rfc9001_a2, pkt) == 1200);
    for (size_t n = 0; n < sizeof pkt; n += 7) {
        struct nw_testctx t;
        uint8_t *cut = malloc(n ? n : 1); /* exact size: ASan sees overreads */
        CHECK(cut != NULL);
        memcpy(cut, pkt, n);
        CHECK(start(&t) == 0);
        nw_testctx_feed(&t, NW_DIR_TOSERVER, cut, n);
        nw_testctx_end(&t);
        CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"quic\""), 0);
        nw_testctx_fini(&t);
        free(cut);
    }
    {
        struct nw_testctx t;
        pkt[600] ^= 1;
        CHECK(start(&t) == 0);
        CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, pkt, sizeof pkt) == 0);
        nw_testctx_end(&t);
        CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"quic\""), 0);
        nw_testctx_fini(&t);
    }
}

/* A hello split over packets a then b: no record after a (nothing from bytes
 * not yet received), exactly one with the SNI after b. */
static void hello_after_second(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    struct nw_testctx t;

    CHECK(start(&t) == 0);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, a, al) == 0);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"quic\""), 0);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, b, bl) == 0);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"quic\""), 1);
    CHECK_HAS(recs(&t), "\"sni\":\"example.com\"");
    nw_testctx_end(&t);
    nw_testctx_fini(&t);
}

/*
 * Chaos protection: the ClientHello in five CRYPTO frames, out of order,
 * with PING and PADDING between them, spread over two packets, the second
 * packet arriving first.
 */
TEST(crypto_reordered_across_packets)
{
    uint8_t ch[300], f1[600], f2[600], p1[700], p2[700];
    size_t chn = unhex(rfc_ch_hex, ch), n1 = 0, n2 = 0, l1, l2;

    n1 += crypto_frame(f1 + n1, ch, 200, chn - 200);
    f1[n1++] = 0x01; /* PING */
    n1 += crypto_frame(f1 + n1, ch, 0, 30);
    memset(f1 + n1, 0, 20); /* PADDING */
    n1 += 20;
    n2 += crypto_frame(f2 + n2, ch, 100, 100);
    f2[n2++] = 0x01;
    n2 += crypto_frame(f2 + n2, ch, 30, 70);
    n2 += crypto_frame(f2 + n2, ch, 10, 50); /* overlaps what packet 1 brought */
    l1 = seal(p1, dcid_a, dcid_a, 8, 0, f1, n1);
    l2 = seal(p2, dcid_a, dcid_a, 8, 1, f2, n2);
    hello_after_second(p2, l2, p1, l1);
}

/*
 * A hole of 1..9 bytes at every offset across a bitmap byte: the hello must
 * wait for it (no record, no SNI from bytes not yet received), then come out
 * once. PADDING runs of 0..19 bytes sit before the second frame, so the run
 * skipper must stop exactly at the next frame type.
 */
TEST(crypto_small_holes_and_padding_runs)
{
    uint8_t ch[300], f1[700], f2[200], p1[800], p2[300];
    size_t chn = unhex(rfc_ch_hex, ch);

    for (size_t hole = 1; hole <= 9; hole++) {
        for (size_t at = 40; at < 57; at++) {
            size_t pad = (hole * 7 + at) % 20, n1 = 0, n2, l1, l2;
            n1 += crypto_frame(f1 + n1, ch, 0, at);
            memset(f1 + n1, 0, pad);
            n1 += pad;
            n1 += crypto_frame(f1 + n1, ch, at + hole, chn - at - hole);
            n2 = crypto_frame(f2, ch, at, hole);
            l1 = seal(p1, dcid_a, dcid_a, 8, 0, f1, n1);
            l2 = seal(p2, dcid_a, dcid_a, 8, 1, f2, n2);
            hello_after_second(p1, l1, p2, l2);
        }
    }
}

/* Two Initial packets coalesced in one datagram, followed by zero padding. */
TEST(coalesced_packets)
{
    struct nw_testctx t;
    uint8_t ch[300], f1[600], f2[600], d[1400];
    size_t chn = unhex(rfc_ch_hex, ch), n1, n2, l;

    n1 = crypto_frame(f1, ch, 0, 120);
    n2 = crypto_frame(f2, ch, 120, chn - 120);
    l = seal(d, dcid_a, dcid_a, 8, 0, f1, n1);
    l += seal(d + l, dcid_a, dcid_a, 8, 1, f2, n2);
    memset(d + l, 0, sizeof d - l);
    CHECK(start(&t) == 0);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, d, sizeof d) == 0);
    CHECK_EQ(nw_testctx_count(&t, "\"sni\":\"example.com\""), 1);
    nw_testctx_end(&t);
    nw_testctx_fini(&t);
}

/*
 * Retry: the client's hello under DCID A, a server Retry, the same hello
 * under the DCID the Retry chose (new keys): one record for the connection.
 * Then a hello under a third DCID without a Retry is a new connection.
 */
TEST(retry_then_new_connection)
{
    struct nw_testctx t;
    static const uint8_t dcid_c[8] = {0x8c, 0x8c, 1, 2, 3, 4, 5, 6};
    /* Retry (v1 type 3): DCID = client SCID aabbcc, SCID = dcid_b, token, tag */
    uint8_t retry[64] = {0xf0, 0, 0, 0, 1, 3, 0xaa, 0xbb, 0xcc, 8};
    uint8_t ch[300], f[600], p[700];
    size_t chn = unhex(rfc_ch_hex, ch), n = crypto_frame(f, ch, 0, chn), l;

    memcpy(retry + 10, dcid_b, 8);
    CHECK(start(&t) == 0);
    l = seal(p, dcid_a, dcid_a, 8, 0, f, n);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, p, l) == 0);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOCLIENT, retry, sizeof retry) == 0);
    l = seal(p, dcid_b, dcid_b, 8, 1, f, n);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, p, l) == 0);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"quic\""), 1);
    l = seal(p, dcid_c, dcid_c, 8, 0, f, n);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, p, l) == 0);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"quic\""), 2);
    CHECK_HAS(recs(&t), "\"dcid\":\"8c8c010203040506\"");
    nw_testctx_end(&t);
    nw_testctx_fini(&t);
}

/* The client keeps its Initial keys when it switches to the server's CID. */
TEST(keys_kept_after_dcid_change)
{
    struct nw_testctx t;
    uint8_t ch[300], f1[600], f2[600], p[700];
    size_t chn = unhex(rfc_ch_hex, ch), n1, n2, l;

    n1 = crypto_frame(f1, ch, 0, 100);
    n2 = crypto_frame(f2, ch, 100, chn - 100);
    CHECK(start(&t) == 0);
    l = seal(p, dcid_a, dcid_a, 8, 0, f1, n1);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, p, l) == 0);
    l = seal(p, dcid_a, dcid_b, 8, 1, f2, n2); /* new DCID, keys of DCID A */
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, p, l) == 0);
    CHECK_EQ(nw_testctx_count(&t, "\"sni\":\"example.com\""), 1);
    nw_testctx_end(&t);
    nw_testctx_fini(&t);
}

/* CRYPTO frames far beyond 64 KiB, and frames whose length overruns. */
TEST(hostile_crypto_frames)
{
    struct nw_testctx t;
    uint8_t f[64], p[200];
    size_t n = 0, l;

    f[n++] = 0x06;
    f[n++] = 0x80; /* offset 0x00ffffff, 4-byte varint */
    f[n++] = 0xff;
    f[n++] = 0xff;
    f[n++] = 0xff;
    f[n++] = 0x04;
    memcpy(f + n, "abcd", 4);
    n += 4;
    f[n++] = 0x06; /* empty CRYPTO frame (found by the fuzzer: UBSan) */
    f[n++] = 0x00;
    f[n++] = 0x00;
    f[n++] = 0x06;
    f[n++] = 0x00;
    f[n++] = 0x3f; /* length 63 > what remains */
    f[n++] = 0x01;
    CHECK(start(&t) == 0);
    l = seal(p, dcid_a, dcid_a, 8, 0, f, n);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, p, l) == 0);
    nw_testctx_end(&t);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"quic\""), 0);
    nw_testctx_fini(&t);
}

TEST(garbage_datagrams)
{
    struct nw_testctx t;
    uint8_t d[256];
    uint32_t x = 12345;

    CHECK(start(&t) == 0);
    for (int i = 0; i < 2000; i++) {
        size_t n = (size_t)(i % 256);
        for (size_t j = 0; j < n; j++) {
            x = x * 1103515245u + 12345u;
            d[j] = (uint8_t)(x >> 16);
        }
        if (n > 5 && (i & 1)) {
            d[0] |= 0xc0;
            d[1] = d[2] = d[3] = 0;
            d[4] = 1;
        }
        nw_testctx_feed(&t, i % 3 == 0 ? NW_DIR_TOCLIENT : NW_DIR_TOSERVER, d, n);
    }
    nw_testctx_end(&t);
    nw_testctx_fini(&t);
}

TEST(probe)
{
    const struct nw_proto_parser *p = nw_proto_find("quic");
    uint8_t pkt[1200];

    CHECK(unhex(rfc9001_a2, pkt) == 1200);
    CHECK(p != NULL && p->probe != NULL);
    CHECK_EQ(p->probe(pkt, sizeof pkt, NW_DIR_TOSERVER), 1);
    CHECK_EQ(p->probe(pkt, sizeof pkt, NW_DIR_TOCLIENT), 0);
    pkt[4] = 7; /* unknown version */
    CHECK_EQ(p->probe(pkt, sizeof pkt, NW_DIR_TOSERVER), 0);
    CHECK(p->selftest != NULL && p->selftest() == 0);
}

NW_TEST_MAIN(NWT_ENTRY(rfc9001_client_initial) NWT_ENTRY(rfc9369_v2_client_initial)
                 NWT_ENTRY(damaged_and_truncated) NWT_ENTRY(crypto_reordered_across_packets)
                 NWT_ENTRY(crypto_small_holes_and_padding_runs)
                     NWT_ENTRY(coalesced_packets) NWT_ENTRY(retry_then_new_connection)
                         NWT_ENTRY(keys_kept_after_dcid_change) NWT_ENTRY(hostile_crypto_frames)
                             NWT_ENTRY(garbage_datagrams) NWT_ENTRY(probe))
