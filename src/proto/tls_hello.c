/*
 * tls_hello.c - ClientHello/ServerHello body parser and JA3/JA3S/JA4, shared
 * by proto_tls.c (TLS over TCP) and proto_quic.c (CRYPTO frames of QUIC
 * Initial packets).
 *
 * Invariants: the parser only records slices into the caller's bytes after
 * checking that they lie inside the message, and every list slice it keeps
 * has a length that is a whole number of entries; the fingerprint code relies
 * on that and does no further checks. Extensions are tolerated when their
 * inner structure is malformed (the slice stays empty), as tshark does,
 * because one odd extension should not cost us the SNI.
 *
 * Limits: the message is at most what the callers buffer (64 KiB), so every
 * loop is bounded by its length. JA4 sorts copies of the cipher and
 * extension lists (at most 32 Ki entries each), allocated per call.
 */
#include "tls_hello.h"

#include <stdlib.h>
#include <string.h>

#include "nw/core.h"
#include "nw/digest.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

/* The ServerHello.random that marks a HelloRetryRequest: SHA-256("HelloRetryRequest"). */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

/* A 2-byte-length-prefixed list of 2-byte entries filling the whole extension. */
static struct nw_tls_slice list16(const uint8_t *d, size_t n)
{
    struct nw_tls_slice s = {NULL, 0};
    if (n < 2) return s;
    size_t l = rd16(d);
    if (l + 2 != n || (l & 1)) return s;
    s.p = d + 2;
    s.len = l;
    return s;
}

static void parse_sni(const uint8_t *d, size_t n, struct nw_tls_hello *h)
{
    size_t off = 2, l;

    h->has_sni = 1; /* JA4 counts presence, even of an empty or odd list */
    if (n < 2) return;
    l = rd16(d);
    if (l + 2 > n) return;
    n = l + 2;
    while (off + 3 <= n) {
        uint8_t type = d[off];
        size_t nl = rd16(d + off + 1);
        if (off + 3 + nl > n) return;
        if (type == 0) {
            h->sni.p = d + off + 3;
            h->sni.len = nl;
            return;
        }
        off += 3 + nl;
    }
}

static void parse_alpn(const uint8_t *d, size_t n, struct nw_tls_hello *h)
{
    size_t l, off;

    if (n < 2) return;
    l = rd16(d);
    if (l + 2 != n) return;
    /* every name must fit, so the writers can walk the list blindly */
    for (off = 2; off < n; off += 1 + (size_t)d[off])
        if (off + 1 + d[off] > n) return;
    h->alpn.p = d + 2;
    h->alpn.len = l;
}

static void parse_ext(uint16_t type, const uint8_t *d, size_t n, struct nw_tls_hello *h)
{
    switch (type) {
    case 0: parse_sni(d, n, h); break;
    case 10: h->groups = list16(d, n); break;
    case 11:
        if (n >= 1 && (size_t)d[0] + 1 == n) {
            h->ecpf.p = d + 1;
            h->ecpf.len = d[0];
        }
        break;
    case 13: h->sigalgs = list16(d, n); break;
    case 16: parse_alpn(d, n, h); break;
    case 43:
        if (!h->is_client) {
            if (n == 2) h->selected_version = rd16(d);
        } else if (n >= 1 && (size_t)d[0] + 1 == n && !(d[0] & 1)) {
            h->versions.p = d + 1;
            h->versions.len = d[0];
        }
        break;
    default: break;
    }
}

int nw_tls_hello_parse(const uint8_t *body, size_t len, int is_client, struct nw_tls_hello *h)
{
    size_t off = 0, l;

    memset(h, 0, sizeof *h);
    h->is_client = (uint8_t)(is_client != 0);
    if (len < 2 + 32 + 1) return NW_ETRUNC;
    h->version = rd16(body);
    if (!is_client && memcmp(body + 2, hrr_random, 32) == 0) h->hrr = 1;
    off = 34;
    if (!is_client && (h->version >> 8) == 0x7f) {
        /* TLS 1.3 drafts before 22: no session id echo, no compression method */
        if (off + 2 > len) return NW_ETRUNC;
        h->cipher = rd16(body + off);
        off += 2;
        goto extensions;
    }
    l = body[off]; /* session id */
    if (l > 32 || off + 1 + l > len) return NW_EFORMAT;
    off += 1 + l;
    if (is_client) {
        if (off + 2 > len) return NW_ETRUNC;
        l = rd16(body + off);
        if ((l & 1) || off + 2 + l > len) return NW_EFORMAT;
        h->ciphers.p = body + off + 2;
        h->ciphers.len = l;
        off += 2 + l;
        if (off + 1 > len) return NW_ETRUNC;
        l = body[off]; /* compression methods */
        if (off + 1 + l > len) return NW_EFORMAT;
        off += 1 + l;
    } else {
        if (off + 3 > len) return NW_ETRUNC;
        h->cipher = rd16(body + off);
        off += 3; /* cipher + compression method */
    }
extensions:
    if (off + 2 > len) return 0; /* no extensions: valid before TLS 1.2 */
    l = rd16(body + off);
    off += 2;
    if (l > len - off) l = len - off; /* tolerate a short block: keep what is whole */
    {
        const uint8_t *e = body + off;
        size_t eo = 0;
        while (eo + 4 <= l) {
            uint16_t type = rd16(e + eo);
            size_t el = rd16(e + eo + 2);
            if (eo + 4 + el > l) break;
            parse_ext(type, e + eo + 4, el, h);
            eo += 4 + el;
        }
        h->exts.p = e;
        h->exts.len = eo; /* only whole extensions */
    }
    return 0;
}

int nw_tls_hello_parse_sslv2(const uint8_t *msg, size_t len, struct nw_tls_hello *h)
{
    size_t cl, sl, chl;

    memset(h, 0, sizeof *h);
    h->is_client = 1;
    h->sslv2 = 1;
    if (len < 9) return NW_ETRUNC;
    if (msg[0] != 1) return NW_EFORMAT;
    h->version = rd16(msg + 1);
    cl = rd16(msg + 3);
    sl = rd16(msg + 5);
    chl = rd16(msg + 7);
    if (cl % 3 != 0 || 9 + cl + sl + chl > len) return NW_EFORMAT;
    h->ciphers.p = msg + 9;
    h->ciphers.len = cl;
    return 0;
}

/* ---- fingerprints ---- */

static void hex_lower(const uint8_t *in, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* The hex of MD5 (sha256 = 0) or SHA-256 of p, cut to nhex digits. */
static void digest_hex(int sha256, const void *p, size_t n, char *out, size_t nhex)
{
    uint8_t d[32];
    char full[2 * sizeof d + 1];
    size_t dl = sha256 ? 32 : 16;

    if (sha256) nw_sha256(p, n, d);
    else nw_md5(p, n, d);
    hex_lower(d, dl, full);
    if (nhex > 2 * dl) nhex = 2 * dl;
    memcpy(out, full, nhex);
    out[nhex] = '\0';
}

/* Append the 2-byte entries of s as decimal, '-' separated, GREASE left out. */
static void ja3_list16(struct nw_buf *b, struct nw_tls_slice s)
{
    int first = 1;
    for (size_t i = 0; i + 2 <= s.len; i += 2) {
        uint16_t v = rd16(s.p + i);
        if (nw_tls_is_grease(v)) continue;
        if (!first) nw_buf_putc(b, '-');
        nw_buf_put_uint(b, v);
        first = 0;
    }
}

/* Append the extension types of h (wire order, GREASE left out). */
static void ja3_exts(struct nw_buf *b, const struct nw_tls_hello *h)
{
    int first = 1;
    for (size_t i = 0; i + 4 <= h->exts.len; i += 4 + rd16(h->exts.p + i + 2)) {
        uint16_t v = rd16(h->exts.p + i);
        if (nw_tls_is_grease(v)) continue;
        if (!first) nw_buf_putc(b, '-');
        nw_buf_put_uint(b, v);
        first = 0;
    }
}

int nw_tls_ja3(const struct nw_tls_hello *h, struct nw_buf *str, char md5hex[33])
{
    size_t start = str->len;

    md5hex[0] = '\0';
    if (h->sslv2) return NW_ENOTSUP;
    nw_buf_put_uint(str, h->version);
    nw_buf_putc(str, ',');
    if (h->is_client) {
        ja3_list16(str, h->ciphers);
        nw_buf_putc(str, ',');
        ja3_exts(str, h);
        nw_buf_putc(str, ',');
        ja3_list16(str, h->groups);
        nw_buf_putc(str, ',');
        for (size_t i = 0; i < h->ecpf.len; i++) {
            if (i) nw_buf_putc(str, '-');
            nw_buf_put_uint(str, h->ecpf.p[i]);
        }
    } else {
        nw_buf_put_uint(str, h->cipher);
        nw_buf_putc(str, ',');
        ja3_exts(str, h);
    }
    if (!nw_buf_ok(str)) return NW_ENOMEM;
    digest_hex(0, str->data + start, str->len - start, md5hex, 32);
    return 0;
}

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

/* Real lists have a few dozen entries, where insertion sort beats qsort's
 * indirect compares ~5x; a hostile hello with thousands gets qsort. */
static void sort_u16(uint16_t *v, size_t n)
{
    if (n > 64) {
        qsort(v, n, sizeof *v, cmp_u16);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        uint16_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--) v[j] = v[j - 1];
        v[j] = x;
    }
}

static const char *ja4_version(uint16_t v)
{
    switch (v) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0002: return "s2";
    case 0xfeff: return "d1";
    case 0xfefd: return "d2";
    case 0xfefc: return "d3";
    default: return "00";
    }
}

static int is_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Hash of a sorted, comma-joined hex list (+ optional "_" + sigalgs), 12 hex. */
static int ja4_hash(const uint16_t *v, size_t n, struct nw_tls_slice sig, char out[13])
{
    struct nw_buf b;
    char store[512];
    int rc;

    if (n == 0) {
        memcpy(out, "000000000000", 13);
        return 0;
    }
    nw_buf_init_with(&b, store, sizeof store, 0);
    for (size_t i = 0; i < n; i++) {
        if (i) nw_buf_putc(&b, ',');
        nw_buf_put_hex(&b, v[i], 4);
    }
    for (size_t i = 0, first = 1; i + 2 <= sig.len; i += 2) {
        uint16_t s = rd16(sig.p + i);
        if (nw_tls_is_grease(s)) continue;
        nw_buf_putc(&b, first ? '_' : ','); /* '_' only if any */
        nw_buf_put_hex(&b, s, 4);
        first = 0;
    }
    rc = nw_buf_ok(&b) ? 0 : NW_ENOMEM;
    if (rc == 0) digest_hex(1, b.data, b.len, out, 12);
    nw_buf_fini(&b);
    return rc;
}

int nw_tls_ja4(const struct nw_tls_hello *h, char proto, char out[40])
{
    /* the lists of a usual hello fit on the stack (no malloc per hello) */
    uint16_t cs_st[128], es_st[64];
    uint16_t *cs = cs_st, *es = es_st, ver = h->version, best = 0;
    size_t nc = 0, ne = 0, ne_all = 0;
    char alpn[3] = "00", hc[13], he[13];
    struct nw_tls_slice a = nw_tls_first_alpn(h), nosig = {NULL, 0};
    int rc = NW_ENOMEM;

    out[0] = '\0';
    if (h->sslv2 || !h->is_client) return NW_ENOTSUP;
    if (h->ciphers.len + 2 > sizeof cs_st) cs = nw_alloc(h->ciphers.len + 2);
    /* at most exts.len/4 entries */
    if (h->exts.len / 2 + 2 > sizeof es_st) es = nw_alloc(h->exts.len / 2 + 2);
    if (cs == NULL || es == NULL) goto out;
    for (size_t i = 0; i + 2 <= h->ciphers.len; i += 2) {
        uint16_t v = rd16(h->ciphers.p + i);
        if (!nw_tls_is_grease(v)) cs[nc++] = v;
    }
    for (size_t i = 0; i + 4 <= h->exts.len; i += 4 + rd16(h->exts.p + i + 2)) {
        uint16_t v = rd16(h->exts.p + i);
        if (nw_tls_is_grease(v)) continue;
        ne_all++;
        if (v != 0x0000 && v != 0x0010) es[ne++] = v; /* SNI and ALPN are in part a */
    }
    for (size_t i = 0; i + 2 <= h->versions.len; i += 2) {
        uint16_t v = rd16(h->versions.p + i);
        if (!nw_tls_is_grease(v) && v > best) best = v;
    }
    if (h->versions.len) ver = best;
    if (a.len > 0) {
        uint8_t f = a.p[0], l = a.p[a.len - 1];
        if (is_alnum(f) && is_alnum(l)) {
            alpn[0] = (char)f;
            alpn[1] = (char)l;
        } else {
            static const char hx[] = "0123456789abcdef";
            alpn[0] = hx[f >> 4];
            alpn[1] = hx[l & 15];
        }
    }
    sort_u16(cs, nc);
    sort_u16(es, ne);
    if (ja4_hash(cs, nc, nosig, hc) != 0 || ja4_hash(es, ne, h->sigalgs, he) != 0) goto out;
    /* 1+2+1+2+2+2 + '_' + 12 + '_' + 12 = 36 characters */
    {
        char a_part[11];
        const char *vs = ja4_version(ver);
        a_part[0] = proto;
        a_part[1] = vs[0];
        a_part[2] = vs[1];
        a_part[3] = h->has_sni ? 'd' : 'i';
        a_part[4] = (char)('0' + NW_MIN(nc, 99) / 10);
        a_part[5] = (char)('0' + NW_MIN(nc, 99) % 10);
        a_part[6] = (char)('0' + NW_MIN(ne_all, 99) / 10);
        a_part[7] = (char)('0' + NW_MIN(ne_all, 99) % 10);
        a_part[8] = alpn[0];
        a_part[9] = alpn[1];
        a_part[10] = '\0';
        memcpy(out, a_part, 10);
        out[10] = '_';
        memcpy(out + 11, hc, 12);
        out[23] = '_';
        memcpy(out + 24, he, 12);
        out[36] = '\0';
    }
    rc = 0;
out:
    if (cs != cs_st) nw_free(cs);
    if (es != es_st) nw_free(es);
    return rc;
}

const char *nw_tls_version_name(uint16_t v, char out[NW_TLS_VNAME])
{
    const char *s = NULL;
    switch (v) {
    case 0x0002: s = "SSLv2"; break;
    case 0x0300: s = "SSLv3"; break;
    case 0x0301: s = "TLSv1"; break;
    case 0x0302: s = "TLS 1.1"; break;
    case 0x0303: s = "TLS 1.2"; break;
    case 0x0304: s = "TLS 1.3"; break;
    default: break;
    }
    if (s != NULL) {
        size_t n = strlen(s);
        memcpy(out, s, n + 1);
    } else if ((v >> 8) == 0x7f) {
        static const char dr[] = "TLS 1.3 draft-";
        memcpy(out, dr, sizeof dr - 1);
        out[sizeof dr - 1] = (char)('0' + (v & 0xff) / 10 % 10);
        out[sizeof dr] = (char)('0' + (v & 0xff) % 10);
        out[sizeof dr + 1] = '\0';
    } else {
        static const char hx[] = "0123456789abcdef";
        out[0] = '0';
        out[1] = 'x';
        for (int i = 0; i < 4; i++) out[2 + i] = hx[(v >> (12 - 4 * i)) & 15];
        out[6] = '\0';
    }
    return out;
}

struct nw_tls_slice nw_tls_first_alpn(const struct nw_tls_hello *h)
{
    struct nw_tls_slice s = {NULL, 0};
    if (h->alpn.len >= 1 && (size_t)h->alpn.p[0] + 1 <= h->alpn.len) {
        s.p = h->alpn.p + 1;
        s.len = h->alpn.p[0];
    }
    return s;
}

void nw_tls_write_alpns(struct nw_buf *b, const char *key, const struct nw_tls_hello *h)
{
    nw_json_karr_open(b, key);
    for (size_t off = 0; off < h->alpn.len; off += 1 + (size_t)h->alpn.p[off])
        nw_json_str(b, h->alpn.p + off + 1, h->alpn.p[off]);
    nw_json_arr_close(b);
}

/* "key":[v,v,..]: the numbers are formatted into a stack buffer and
 * appended once (a hello has ~100 of them; one keyed write each checked
 * room and comma). Longer lists go one number at a time. */
#define LIST_MAX 128
static void write_u16s(struct nw_buf *b, const char *key, const uint16_t *v, size_t n)
{
    char tmp[LIST_MAX * 6], *p = tmp;

    nw_json_karr_open(b, key);
    if (n > LIST_MAX) {
        for (size_t i = 0; i < n; i++) nw_json_uint(b, v[i]);
    } else {
        for (size_t i = 0; i < n; i++) {
            if (i) *p++ = ',';
            p += nw_fmt_uint(p, v[i]);
        }
        nw_buf_append(b, tmp, (size_t)(p - tmp));
    }
    nw_json_arr_close(b);
}

static void write_list16(struct nw_buf *b, const char *key, struct nw_tls_slice s)
{
    uint16_t v[LIST_MAX];
    size_t n = 0;

    if (s.len / 2 > LIST_MAX) {
        nw_json_karr_open(b, key);
        for (size_t i = 0; i + 2 <= s.len; i += 2) nw_json_uint(b, rd16(s.p + i));
        nw_json_arr_close(b);
        return;
    }
    for (size_t i = 0; i + 2 <= s.len; i += 2) v[n++] = rd16(s.p + i);
    write_u16s(b, key, v, n);
}

void nw_tls_write_client(struct nw_buf *b, const struct nw_tls_hello *h, char proto)
{
    char vn[NW_TLS_VNAME], md5[33], ja4[40], store[512];
    struct nw_buf s;

    if (h->sni.len > 0) nw_json_kstr(b, "sni", h->sni.p, h->sni.len);
    if (h->alpn.len > 0) nw_tls_write_alpns(b, "client_alpns", h);
    nw_buf_init_with(&s, store, sizeof store, 0);
    if (nw_tls_ja3(h, &s, md5) == 0) {
        nw_json_kobj_open(b, "ja3");
        nw_json_kcstr(b, "hash", md5);
        nw_json_kstr(b, "string", s.data, s.len);
        nw_json_obj_close(b);
    }
    nw_buf_fini(&s);
    if (nw_tls_ja4(h, proto, ja4) == 0) nw_json_kcstr(b, "ja4", ja4);
    nw_json_kobj_open(b, "client_handshake");
    nw_json_kcstr(b, "version", nw_tls_version_name(h->version, vn));
    if (h->sslv2) {
        /* SSLv2 cipher kinds are 3 bytes */
        nw_json_karr_open(b, "ciphers");
        for (size_t i = 0; i + 3 <= h->ciphers.len; i += 3)
            nw_json_uint(b, ((uint32_t)h->ciphers.p[i] << 16) | rd16(h->ciphers.p + i + 1));
        nw_json_arr_close(b);
    } else {
        write_list16(b, "ciphers", h->ciphers);
        {
            uint16_t v[LIST_MAX];
            size_t n = 0, i = 0;
            for (; i + 4 <= h->exts.len && n < LIST_MAX; i += 4 + rd16(h->exts.p + i + 2))
                v[n++] = rd16(h->exts.p + i);
            if (i + 4 <= h->exts.len) { /* more than LIST_MAX: one at a time */
                nw_json_karr_open(b, "exts");
                for (i = 0; i + 4 <= h->exts.len; i += 4 + rd16(h->exts.p + i + 2))
                    nw_json_uint(b, rd16(h->exts.p + i));
                nw_json_arr_close(b);
            } else {
                write_u16s(b, "exts", v, n);
            }
        }
        if (h->sigalgs.len) write_list16(b, "sig_algs", h->sigalgs);
        if (h->versions.len) write_list16(b, "supported_versions", h->versions);
        if (h->groups.len) write_list16(b, "groups", h->groups);
        if (h->ecpf.len) {
            nw_json_karr_open(b, "ec_point_formats");
            for (size_t i = 0; i < h->ecpf.len; i++) nw_json_uint(b, h->ecpf.p[i]);
            nw_json_arr_close(b);
        }
    }
    nw_json_obj_close(b);
}
