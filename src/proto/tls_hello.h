/*
 * tls_hello.h - ClientHello/ServerHello body parsing and the JA3/JA3S/JA4
 * fingerprints, shared by the TLS-over-TCP parser (proto_tls.c) and the QUIC
 * Initial parser (proto_quic.c). Internal to src/proto.
 *
 * A parsed hello is a set of validated slices into the caller's message
 * bytes: nothing is copied, so a struct nw_tls_hello is valid only while
 * those bytes live. Every list slice has been length-checked at parse time,
 * so the iterators and writers below never need to check again.
 */
#ifndef NW_PROTO_TLS_HELLO_H
#define NW_PROTO_TLS_HELLO_H

#include <stddef.h>
#include <stdint.h>

#include "nw/json.h"

/* A bounded view of message bytes. */
struct nw_tls_slice {
    const uint8_t *p;
    size_t len;
};

struct nw_tls_hello {
    uint8_t is_client;          /* 1 ClientHello, 0 ServerHello */
    uint8_t sslv2;              /* SSLv2 (compatible) CLIENT-HELLO: no extensions */
    uint8_t hrr;                /* ServerHello is a HelloRetryRequest (RFC 8446 4.1.3) */
    uint8_t has_sni;            /* server_name extension present (JA4 "d") */
    uint16_t version;           /* legacy_version (client_version / server_version) */
    uint16_t selected_version;  /* ServerHello supported_versions, 0 if absent */
    uint16_t cipher;            /* ServerHello cipher_suite */
    struct nw_tls_slice ciphers;  /* ClientHello: 2-byte suites (SSLv2: 3-byte kinds) */
    struct nw_tls_slice exts;     /* whole extensions block, validated */
    struct nw_tls_slice sni;      /* first host_name of server_name, may be empty */
    struct nw_tls_slice alpn;     /* ALPN protocol_name_list (1-byte length-prefixed names) */
    struct nw_tls_slice groups;   /* supported_groups list, 2-byte entries */
    struct nw_tls_slice ecpf;     /* ec_point_formats list, 1-byte entries */
    struct nw_tls_slice sigalgs;  /* signature_algorithms list, 2-byte entries */
    struct nw_tls_slice versions; /* ClientHello supported_versions list, 2-byte entries */
};

/* GREASE values (RFC 8701): 0x?a?a with both bytes equal. */
static inline int nw_tls_is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/*
 * Parse a handshake message body (after the 4-byte handshake header) of a
 * ClientHello (is_client=1) or ServerHello (is_client=0) into h. Returns 0,
 * or NW_EFORMAT/NW_ETRUNC when the body is not a well-formed hello; h is then
 * unspecified. Thread-safe; reads only body[0..len).
 */
int nw_tls_hello_parse(const uint8_t *body, size_t len, int is_client, struct nw_tls_hello *h);

/*
 * Parse an SSLv2 (or SSLv2-compatible) CLIENT-HELLO message starting at its
 * msg_type byte (after the 2-byte record header). Returns 0 or NW_E*.
 */
int nw_tls_hello_parse_sslv2(const uint8_t *msg, size_t len, struct nw_tls_hello *h);

/*
 * JA3 (ClientHello) or JA3S (ServerHello): writes the canonical string into
 * str (appended, not NUL-terminated) and the lower-case MD5 hex, NUL-
 * terminated, into md5hex[33]. GREASE values are left out as the JA3 spec
 * says. Returns 0, or NW_ENOMEM if str ran out of memory, or NW_ENOTSUP for
 * SSLv2 hellos (JA3 is undefined for them).
 */
int nw_tls_ja3(const struct nw_tls_hello *h, struct nw_buf *str, char md5hex[33]);

/*
 * JA4 (FoxIO) of a ClientHello into out[37] (NUL-terminated), proto 't' for
 * TLS over TCP or 'q' for QUIC. Returns 0, NW_ENOMEM, or NW_ENOTSUP (SSLv2).
 */
int nw_tls_ja4(const struct nw_tls_hello *h, char proto, char out[40]);

#define NW_TLS_VNAME 24
/* Suricata's name of a TLS version ("TLS 1.2", "TLSv1", "SSLv3", ...) into
 * out[NW_TLS_VNAME] ("TLS 1.3 draft-28" is the longest). Returns out. */
const char *nw_tls_version_name(uint16_t v, char out[NW_TLS_VNAME]);

/* Write the ALPN names of h as a JSON array value under key. */
void nw_tls_write_alpns(struct nw_buf *b, const char *key, const struct nw_tls_hello *h);

/* The first ALPN name of h, or an empty slice. */
struct nw_tls_slice nw_tls_first_alpn(const struct nw_tls_hello *h);

/*
 * Write the ClientHello fields shared by the tls and quic records: "sni",
 * "client_alpns", "ja3" {hash,string}, "ja4" and the "client_handshake"
 * object. proto is 't' or 'q' (for JA4).
 */
void nw_tls_write_client(struct nw_buf *b, const struct nw_tls_hello *h, char proto);

#endif /* NW_PROTO_TLS_HELLO_H */
