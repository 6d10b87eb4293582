/*
 * proto_dns.c - DNS over UDP and TCP (RFC 1035, RFC 7766), plus mDNS
 * (RFC 6762, port 5353) and LLMNR (RFC 4795, port 5355), which share the
 * message format.
 *
 * One `dns` record per message, oriented on the sender (NW_REC_PACKET), in
 * Suricata 8's EVE "version 3" layout: requests and responses both carry a
 * `queries` array; responses add `answers`, `authorities` and `additionals`.
 * A top-level `app_proto` says dns, mdns or llmnr (chosen by port).
 *
 * Invariants and limits:
 *  - Every read is bounds-checked against the message slice; a message is
 *    never read past its own end, even when TCP delivered more.
 *  - Name decompression follows at most DNS_MAX_JUMPS pointers and writes at
 *    most DNS_MAX_NAME bytes of text, so a pointer loop or a name built from
 *    thousands of labels ends quickly. Once a pointer was followed the end of
 *    the name on the wire is known, so an over-long name is logged truncated
 *    (flagged) and parsing continues, as Suricata does.
 *  - At most DNS_MAX_RR resource records per section are logged (the rest
 *    are parsed and skipped), which bounds one record to well under the
 *    output layer's 1 MiB limit.
 *  - TCP: each message has a 2-byte length prefix; several messages may share
 *    a segment and one may span segments ("0 = need more"). A message larger
 *    than DNS_TCP_PARTIAL that has not fully arrived is logged from what is
 *    there (flagged "truncated") and the rest skipped, so a zone transfer
 *    never needs more than the driver's pending bound.
 *  - Malformed messages: once the id and flags are there, what parsed
 *    before the fault is logged with "malformed": true (as Wireshark shows
 *    it); a shorter message is not logged. Either way UDP returns <0
 *    (anomaly "dns.malformed"); TCP counts the anomaly itself and stays
 *    attached while the framing holds, but detaches after DNS_TCP_MAX_BAD
 *    consecutive bad messages (the flow is not DNS).
 *  - A name that hits an extended label type (0x40) ends there, flagged
 *    "rrname_bad_label"; the rest of the message is still parsed.
 *
 * Workload: one call per datagram or TCP message; the only allocation is the
 * scratch buffer the message's JSON is built in, freed before returning, so
 * the per-flow state stays a few bytes however many flows there are.
 */
#include "nw/proto.h"

#include <netinet/in.h>
#include <string.h>

#include "nw/core.h"

#define DNS_HDR_LEN 12
#define DNS_MAX_JUMPS 64                  /* compression pointers followed per name */
#define DNS_MAX_NAME 253                  /* text bytes kept per name: wire limit 255 */
#define DNS_MAX_RR 256                    /* records logged per section */
#define DNS_TCP_PARTIAL ((size_t)32 * 1024)  /* log a partial TCP message past this much */
#define DNS_TCP_MAX_BAD 8                 /* consecutive malformed TCP messages before detach */
#define DNS_SCRATCH_MAX ((size_t)512 * 1024) /* bound of one message's JSON */

/* Name parse outcome flags (message-wide). */
#define DNS_F_NAME_TRUNC 0x1 /* a name was longer than we keep, or looped */

enum dns_app { DNS_APP_DNS, DNS_APP_MDNS, DNS_APP_LLMNR };

struct dns_state {
    uint64_t messages;   /* messages seen in this flow: the record's tx_id */
    uint32_t skip[2];    /* TCP: bytes of an oversized message still to skip, per dir */
    unsigned bad_run;    /* consecutive malformed TCP messages */
};

/* A message being parsed: the whole message, for compression pointers. */
struct dns_msg {
    const uint8_t *m;
    size_t len;
    unsigned flags; /* DNS_F_* */
    int name_trunc;    /* the name get_name() just read was truncated */
    int name_badlabel; /* ... or stopped at an extended label type */
};

static const char *rrtype_name(uint16_t t)
{
    switch (t) {
    case 1: return "A";
    case 2: return "NS";
    case 3: return "MD";
    case 4: return "MF";
    case 5: return "CNAME";
    case 6: return "SOA";
    case 7: return "MB";
    case 8: return "MG";
    case 9: return "MR";
    case 10: return "NULL";
    case 11: return "WKS";
    case 12: return "PTR";
    case 13: return "HINFO";
    case 14: return "MINFO";
    case 15: return "MX";
    case 16: return "TXT";
    case 17: return "RP";
    case 18: return "AFSDB";
    case 24: return "SIG";
    case 25: return "KEY";
    case 28: return "AAAA";
    case 29: return "LOC";
    case 33: return "SRV";
    case 35: return "NAPTR";
    case 36: return "KX";
    case 37: return "CERT";
    case 39: return "DNAME";
    case 41: return "OPT";
    case 43: return "DS";
    case 44: return "SSHFP";
    case 45: return "IPSECKEY";
    case 46: return "RRSIG";
    case 47: return "NSEC";
    case 48: return "DNSKEY";
    case 49: return "DHCID";
    case 50: return "NSEC3";
    case 51: return "NSEC3PARAM";
    case 52: return "TLSA";
    case 53: return "SMIMEA";
    case 55: return "HIP";
    case 59: return "CDS";
    case 60: return "CDNSKEY";
    case 61: return "OPENPGPKEY";
    case 62: return "CSYNC";
    case 63: return "ZONEMD";
    case 64: return "SVCB";
    case 65: return "HTTPS";
    case 99: return "SPF";
    case 249: return "TKEY";
    case 250: return "TSIG";
    case 251: return "IXFR";
    case 252: return "AXFR";
    case 253: return "MAILB";
    case 254: return "MAILA";
    case 255: return "ANY";
    case 256: return "URI";
    case 257: return "CAA";
    default: return NULL;
    }
}

static const char *rcode_name(unsigned rc)
{
    static const char *const names[16] = {
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
        "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",  "NOTZONE", NULL,
        NULL,       NULL,      NULL,      NULL};
    return rc < 16 ? names[rc] : NULL;
}

/* Type as Suricata writes it: the mnemonic, or the number as a string. */
static void put_rrtype(struct nw_buf *b, uint16_t t)
{
    const char *n = rrtype_name(t);

    nw_json_key(b, "rrtype");
    if (n != NULL)
        nw_json_cstr(b, n);
    else
        nw_buf_printf(b, "\"%u\"", (unsigned)t);
}

/*
 * {"rrname":"N"[,"rrname_truncated":true][,"rrname_bad_label":true],"rrtype":"T"
 * then ,"ttl":N when ttl != NULL: the start of every query and RR object,
 * sized exactly and written with one reservation when the name needs no
 * escaping and the type has a mnemonic (else by the keyed writers; the
 * bytes are the same). The caller closes the object.
 */
static void put_rr_head(struct nw_buf *b, const char *name, size_t n, int trunc, int badlabel,
                        uint16_t type, const uint32_t *ttl)
{
    const char *tn = rrtype_name(type);
    size_t tl, comma, ttl_n = 0, need;
    char ttl_txt[20], *p;

    if (tn == NULL || !nw_json_plain(name, n)) {
        nw_json_obj_open(b);
        nw_json_kstr(b, "rrname", name, n);
        if (trunc) nw_json_kbool(b, "rrname_truncated", 1);
        if (badlabel) nw_json_kbool(b, "rrname_bad_label", 1);
        put_rrtype(b, type);
        if (ttl != NULL) nw_json_kuint(b, "ttl", *ttl);
        return;
    }
    tl = strlen(tn);
    comma = (size_t)nw_json_comma_needed(b);
    need = comma + sizeof "{\"rrname\":\"" - 1 + n + sizeof "\",\"rrtype\":\"" - 1 + tl + 1;
    if (ttl != NULL) {
        ttl_n = nw_fmt_uint(ttl_txt, *ttl);
        need += sizeof ",\"ttl\":" - 1 + ttl_n;
    }
    if (trunc) need += sizeof ",\"rrname_truncated\":true" - 1;
    if (badlabel) need += sizeof ",\"rrname_bad_label\":true" - 1;
    if (nw_buf_reserve(b, need) != 0) return;
    p = b->data + b->len;
    if (comma) *p++ = ',';
    p = nw_put_bytes(NW_PUT_LIT(p, "{\"rrname\":\""), name, n);
    *p++ = '"';
    if (trunc) p = NW_PUT_LIT(p, ",\"rrname_truncated\":true");
    if (badlabel) p = NW_PUT_LIT(p, ",\"rrname_bad_label\":true");
    p = nw_put_bytes(NW_PUT_LIT(p, ",\"rrtype\":\""), tn, tl);
    *p++ = '"';
    if (ttl != NULL) p = nw_put_bytes(NW_PUT_LIT(p, ",\"ttl\":"), ttl_txt, ttl_n);
    b->len = (size_t)(p - b->data);
}

/*
 * Decode the (possibly compressed) name at *off into out (text, labels joined
 * by '.', the root as ""). On success sets *off past the name as it sits on
 * the wire and returns the text length; returns <0 if the name runs off the
 * message, uses reserved label types, or loops before its end is known.
 */
static int get_name(struct dns_msg *d, size_t *off, char out[DNS_MAX_NAME + 1])
{
    size_t pos = *off, after = 0, olen = 0;
    int jumped = 0, full = 0;
    unsigned jumps = 0;

    d->name_trunc = 0;
    d->name_badlabel = 0;

    /* Each pass either moves pos forward by >= 1 byte or follows one of at
     * most DNS_MAX_JUMPS pointers, so the loop ends within len + jumps. */
    for (;;) {
        if (pos >= d->len) return NW_ETRUNC;
        uint8_t c = d->m[pos];
        if (c == 0) {
            pos++;
            break;
        }
        if ((c & 0xc0) == 0xc0) {
            if (pos + 1 >= d->len) return NW_ETRUNC;
            size_t ptr = ((size_t)(c & 0x3f) << 8) | d->m[pos + 1];
            if (!jumped) after = pos + 2;
            jumped = 1;
            if (++jumps > DNS_MAX_JUMPS || ptr >= d->len) {
                /* a loop or a wild pointer: keep what we have */
                d->flags |= DNS_F_NAME_TRUNC;
                d->name_trunc = 1;
                if (ptr >= d->len) return NW_EFORMAT;
                break;
            }
            pos = ptr;
            continue;
        }
        if ((c & 0xc0) == 0x80 || c == 0x41) return NW_EFORMAT; /* reserved; bit-string */
        if (c & 0x40) {
            /* RFC 6891 extended label (binary labels are obsolete): the name
             * cannot be read further, but it ends here on the wire, so the
             * rest of the message stays parseable (Wireshark does the same) */
            d->name_badlabel = 1;
            pos++;
            break;
        }
        if (pos + 1 + c > d->len) return NW_ETRUNC;
        if (!full) {
            size_t need = (olen ? 1u : 0u) + c;
            if (olen + need > DNS_MAX_NAME) {
                full = 1;
                d->flags |= DNS_F_NAME_TRUNC;
                d->name_trunc = 1;
                if (jumped) break; /* the wire end is known: stop here */
            } else {
                if (olen) out[olen++] = '.';
                memcpy(out + olen, d->m + pos + 1, c);
                olen += c;
            }
        }
        pos += 1u + c;
    }
    out[olen] = '\0';
    *off = jumped ? after : pos;
    return (int)olen;
}

/* Write "key":"<name at off>" and advance off; <0 on a bad name. */
static int put_name(struct nw_buf *b, struct dns_msg *d, const char *key, size_t *off)
{
    char name[DNS_MAX_NAME + 1];
    int n = get_name(d, off, name);

    if (n < 0) return n;
    nw_json_kstr(b, key, name, (size_t)n);
    return 0;
}

/* rdata of one RR (rd/rdlen inside d). Writes rdata, soa or srv as Suricata
 * names them; types we do not render get no rdata. <0 if the rdata is bad. */
static int put_rdata(struct nw_buf *b, struct dns_msg *d, uint16_t type, size_t rd, size_t rdlen)
{
    size_t off = rd, end = rd + rdlen;
    char name[DNS_MAX_NAME + 1];
    int n;

    switch (type) {
    case 1: /* A */
        if (rdlen != 4) return NW_EFORMAT;
        nw_json_kip(b, "rdata", 4, d->m + rd);
        return 0;
    case 28: /* AAAA */
        if (rdlen != 16) return NW_EFORMAT;
        nw_json_kip(b, "rdata", 6, d->m + rd);
        return 0;
    case 2: case 5: case 12: case 39: /* NS CNAME PTR DNAME */
        n = put_name(b, d, "rdata", &off);
        return n < 0 || off > end ? NW_EFORMAT : 0;
    case 15: /* MX: preference, exchange; Suricata logs the exchange */
        if (rdlen < 3) return NW_EFORMAT;
        off += 2;
        n = put_name(b, d, "rdata", &off);
        return n < 0 || off > end ? NW_EFORMAT : 0;
    case 6: { /* SOA */
        char rname[DNS_MAX_NAME + 1];
        int mn = get_name(d, &off, name), rn;
        if (mn < 0 || off > end) return NW_EFORMAT;
        rn = get_name(d, &off, rname);
        if (rn < 0 || off > end || end - off < 20) return NW_EFORMAT;
        nw_json_kstr(b, "rdata", name, (size_t)mn);
        nw_json_kobj_open(b, "soa");
        nw_json_kstr(b, "mname", name, (size_t)mn);
        nw_json_kstr(b, "rname", rname, (size_t)rn);
        nw_json_kuint(b, "serial", nw_be32(d->m + off));
        nw_json_kuint(b, "refresh", nw_be32(d->m + off + 4));
        nw_json_kuint(b, "retry", nw_be32(d->m + off + 8));
        nw_json_kuint(b, "expire", nw_be32(d->m + off + 12));
        nw_json_kuint(b, "minimum", nw_be32(d->m + off + 16));
        nw_json_obj_close(b);
        return 0;
    }
    case 33: { /* SRV */
        if (rdlen < 7) return NW_EFORMAT;
        off += 6;
        n = get_name(d, &off, name);
        if (n < 0 || off > end) return NW_EFORMAT;
        nw_json_kstr(b, "rdata", name, (size_t)n);
        nw_json_kobj_open(b, "srv");
        nw_json_kuint(b, "priority", nw_be16(d->m + rd));
        nw_json_kuint(b, "weight", nw_be16(d->m + rd + 2));
        nw_json_kuint(b, "port", nw_be16(d->m + rd + 4));
        nw_json_kstr(b, "name", name, (size_t)n);
        nw_json_obj_close(b);
        return 0;
    }
    default:
        return 0;
    }
}

/* One RR object (TXT gives one object per string, as Suricata does). */
static int put_rr(struct nw_buf *b, struct dns_msg *d, size_t *off, int log)
{
    char name[DNS_MAX_NAME + 1];
    int n = get_name(d, off, name);
    uint16_t type;
    uint32_t ttl;
    size_t rdlen, rd;

    int trunc = d->name_trunc, badlabel = d->name_badlabel;

    if (n < 0) return n;
    if (d->len - *off < 10) return NW_ETRUNC;
    type = nw_be16(d->m + *off);
    ttl = nw_be32(d->m + *off + 4);
    rdlen = nw_be16(d->m + *off + 8);
    rd = *off + 10;
    if (d->len - rd < rdlen) return NW_ETRUNC;
    *off = rd + rdlen;
    if (!log) return 0;

    if (type == 16) { /* TXT: <character-string>+ */
        size_t p = rd, end = rd + rdlen;
        int any = 0;
        while (p < end) { /* each string consumes >= 1 byte */
            size_t sl = d->m[p];
            if (end - p - 1 < sl) return NW_EFORMAT;
            nw_json_obj_open(b);
            nw_json_kstr(b, "rrname", name, (size_t)n);
            if (trunc) nw_json_kbool(b, "rrname_truncated", 1);
            if (badlabel) nw_json_kbool(b, "rrname_bad_label", 1);
            put_rrtype(b, type);
            nw_json_kuint(b, "ttl", ttl);
            nw_json_kstr(b, "rdata", d->m + p + 1, sl);
            nw_json_obj_close(b);
            p += 1 + sl;
            any = 1;
        }
        if (any) return 0;
    }
    put_rr_head(b, name, (size_t)n, trunc, badlabel, type, &ttl);
    int rc = type == 16 ? 0 : put_rdata(b, d, type, rd, rdlen);
    nw_json_obj_close(b);
    return rc;
}

/* A section of count RRs as array `key` (omitted when empty). */
static int put_section(struct nw_buf *b, struct dns_msg *d, const char *key, unsigned count,
                       size_t *off)
{
    int rc = 0;

    if (count == 0) return 0;
    nw_json_karr_open(b, key);
    for (unsigned i = 0; i < count; i++) {
        rc = put_rr(b, d, off, i < DNS_MAX_RR);
        if (rc < 0) break;
    }
    nw_json_arr_close(b);
    return rc;
}

static enum dns_app app_of(const struct nw_proto_ctx *ctx)
{
    const struct nw_tuple *t = ctx->tuple;

    if (t == NULL) return DNS_APP_DNS;
    if (t->dport == 53 || t->sport == 53) return DNS_APP_DNS;
    if (t->dport == 5353 || t->sport == 5353) return DNS_APP_MDNS;
    if (t->dport == 5355 || t->sport == 5355) return DNS_APP_LLMNR;
    return DNS_APP_DNS;
}

/*
 * Parse one message m/len and emit its record. truncated: the message was
 * cut short on purpose (oversized TCP message). Returns 0, or <0 if it was
 * malformed (a partial record may still have been emitted).
 */
static int dns_message(struct nw_proto_ctx *ctx, struct dns_state *st, const uint8_t *m,
                       size_t len, int truncated)
{
    static const char *const apps[] = {"dns", "mdns", "llmnr"};
    struct dns_msg d = {m, len, 0, 0, 0};
    struct nw_buf obj, *o = &obj;
    char store[2048];
    uint16_t id, flags, qd, an, ns, ar;
    size_t off = DNS_HDR_LEN;
    int rc = 0;
    const char *rcn;

    if (len < 4) return NW_ETRUNC;
    id = nw_be16(m);
    flags = nw_be16(m + 2);
    if (len < DNS_HDR_LEN) { /* id and flags only: log them, the counts are lost */
        qd = an = ns = ar = 0;
        rc = NW_ETRUNC;
    } else {
        qd = nw_be16(m + 4);
        an = nw_be16(m + 6);
        ns = nw_be16(m + 8);
        ar = nw_be16(m + 10);
    }

    /* The dns object is built aside first: a message that turns out
     * malformed half-way still gives a well-formed record. */
    nw_buf_init_with(o, store, sizeof store, DNS_SCRATCH_MAX);
    {
        /* the header members, as the keyed writers would write them, in
         * one go (under 200 bytes, straight into the empty 2 KiB scratch
         * buffer, so reserving 256 never fails): every message has them,
         * and a dozen keyed writes each checked room and comma */
        static const struct {
            uint16_t bit;
            uint8_t len;
            char text[11];
        } bits[] = {{0x8000, 10, ",\"qr\":true"}, {0x0400, 10, ",\"aa\":true"},
                    {0x0200, 10, ",\"tc\":true"}, {0x0100, 10, ",\"rd\":true"},
                    {0x0080, 10, ",\"ra\":true"}, {0x0040, 9, ",\"z\":true"},
                    {0x0020, 10, ",\"ad\":true"}, {0x0010, 10, ",\"cd\":true"}};
        char *p;
        int started = 0;
        uint64_t tx = st->messages++;

        if (nw_buf_reserve(o, 256) == 0) { /* cannot fail; if it did, oom is set */
            p = NW_PUT_LIT(o->data + o->len, "{\"version\":3,\"type\":\"");
            p = (flags & 0x8000) ? NW_PUT_LIT(p, "response") : NW_PUT_LIT(p, "request");
            p = NW_PUT_LIT(p, "\",\"tx_id\":");
            p += nw_fmt_uint(p, tx);
            p = NW_PUT_LIT(p, ",\"id\":");
            p += nw_fmt_uint(p, id);
            p = NW_PUT_LIT(p, ",\"flags\":\"");
            /* the flags in lower-case hex without leading zeros, as "%x" would */
            for (int sh = 12; sh >= 0; sh -= 4) {
                unsigned nib = (flags >> sh) & 15;
                if (nib || started || sh == 0) *p++ = "0123456789abcdef"[nib], started = 1;
            }
            *p++ = '"';
            for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
                if (flags & bits[i].bit) p = nw_put_bytes(p, bits[i].text, bits[i].len);
            p = NW_PUT_LIT(p, ",\"opcode\":");
            p += nw_fmt_uint(p, (flags >> 11) & 0xf);
            p = NW_PUT_LIT(p, ",\"rcode\":\"");
            rcn = rcode_name(flags & 0xf);
            if (rcn != NULL) p = nw_put_bytes(p, rcn, strlen(rcn));
            else p += nw_fmt_uint(p, flags & 0xf);
            *p++ = '"';
            o->len = (size_t)(p - o->data);
        }
    }

    if (qd) {
        nw_json_karr_open(o, "queries");
        for (unsigned i = 0; i < qd; i++) {
            char name[DNS_MAX_NAME + 1];
            int n = get_name(&d, &off, name);
            if (n < 0 || len - off < 4) {
                rc = n < 0 ? n : NW_ETRUNC;
                break;
            }
            if (i < DNS_MAX_RR) {
                put_rr_head(o, name, (size_t)n, d.name_trunc, d.name_badlabel,
                            nw_be16(m + off), NULL);
                nw_json_obj_close(o);
            }
            off += 4;
        }
        nw_json_arr_close(o);
    }
    if (rc == 0) rc = put_section(o, &d, "answers", an, &off);
    if (rc == 0) rc = put_section(o, &d, "authorities", ns, &off);
    if (rc == 0) rc = put_section(o, &d, "additionals", ar, &off);
    if (d.flags & DNS_F_NAME_TRUNC) nw_json_kbool(o, "name_truncated", 1);
    if (truncated) nw_json_kbool(o, "truncated", 1);
    if (rc < 0 && !truncated) nw_json_kbool(o, "malformed", 1);
    nw_json_obj_close(o);
    if (nw_buf_ok(o)) {
        struct nw_buf *b = nw_record_begin(ctx, "dns", NW_REC_PACKET);
        nw_json_kcstr(b, "app_proto", apps[app_of(ctx)]);
        nw_json_key(b, "dns");
        nw_json_raw(b, o->data, o->len);
        nw_record_end(ctx);
    } else {
        nw_proto_anomaly(ctx, o->oom == NW_BUF_NOMEM ? "record_nomem" : "record_too_large");
    }
    nw_buf_fini(o);
    return truncated ? 0 : rc;
}

static int dns_parse(struct nw_proto_ctx *ctx, void *state, const uint8_t *p, size_t len)
{
    struct dns_state *st = state;
    int dir = ctx->dir & 1;
    size_t mlen;

    if (ctx->tuple == NULL || ctx->tuple->proto != IPPROTO_TCP) {
        int rc = dns_message(ctx, st, p, len, 0);
        return rc < 0 ? rc : (int)NW_MIN(len, (size_t)NW_PROTO_MAX_PENDING);
    }

    if (st->skip[dir]) { /* rest of an oversized message already logged */
        size_t n = NW_MIN((size_t)st->skip[dir], len);
        st->skip[dir] -= (uint32_t)n;
        return (int)n;
    }
    if (len < 2) return 0;
    mlen = nw_be16(p);
    if (mlen == 0) {
        nw_proto_anomaly(ctx, "empty_message");
        return 2;
    }
    if (len - 2 < mlen) {
        if (len < DNS_TCP_PARTIAL) return 0;
        /* log what is there, skip the rest as it comes */
        (void)dns_message(ctx, st, p + 2, len - 2, 1);
        st->skip[dir] = (uint32_t)(mlen + 2 - len);
        return (int)len;
    }
    if (dns_message(ctx, st, p + 2, mlen, 0) < 0) {
        nw_proto_anomaly(ctx, "malformed");
        if (++st->bad_run >= DNS_TCP_MAX_BAD) return NW_EFORMAT; /* this is not DNS */
    } else {
        st->bad_run = 0;
    }
    return (int)(mlen + 2);
}

/* A hole in a TCP direction: the framing is lost for good. */
static void dns_gap(struct nw_proto_ctx *ctx, void *state, size_t len)
{
    struct dns_state *st = state;
    int dir = ctx->dir & 1;

    if (st->skip[dir] && len <= st->skip[dir]) { /* inside a message we skip anyway */
        st->skip[dir] -= (uint32_t)len;
        return;
    }
    /* Resynchronising on length prefixes after a hole is guesswork; stop
     * parsing this direction by skipping "forever" (bounded by the flow). */
    st->skip[dir] = UINT32_MAX;
    nw_proto_anomaly(ctx, "gap");
}

/* Parses a compressed response with a pointer loop in a scratch context. */
static int dns_selftest(void)
{
    /* id 1, response, 1 question "a." + answer whose name points at itself */
    static const uint8_t msg[] = {0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 1, 'a', 0, 0, 1,
                                  0, 1, 0xc0, 0x13, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4};
    struct dns_msg d = {msg, sizeof msg, 0, 0, 0};
    char name[DNS_MAX_NAME + 1];
    size_t off = 12;

    if (get_name(&d, &off, name) != 1 || off != 15 || strcmp(name, "a") != 0) return -1;
    off = 19;
    if (get_name(&d, &off, name) < 0 || !(d.flags & DNS_F_NAME_TRUNC)) return -1;
    return 0;
}

const struct nw_proto_parser nw_proto_dns = {
    .name = "dns",
    .transports = NW_T_UDP | NW_T_TCP,
    .ports = {53, 5353, 5355},
    .state_size = sizeof(struct dns_state),
    .parse = dns_parse,
    .gap = dns_gap,
    .selftest = dns_selftest,
};
