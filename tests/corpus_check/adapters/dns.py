"""DNS agreement: every question of every DNS/mDNS/LLMNR message, keyed on
transport, message id, sender, application (by port), query name and type,
and direction (query/response). A message without questions gives one row
with qname/qtype None."""

TRUTH_FILE = "dns.jsonl"
KEY = ["transport", "app", "id", "src", "sport", "qname", "qtype", "qr"]
THRESHOLD = 0.99

# rrtype mnemonics we write -> numbers tshark writes (unknown types we write as numbers)
_TYPES = {
    "A": 1, "NS": 2, "MD": 3, "MF": 4, "CNAME": 5, "SOA": 6, "MB": 7, "MG": 8, "MR": 9,
    "NULL": 10, "WKS": 11, "PTR": 12, "HINFO": 13, "MINFO": 14, "MX": 15, "TXT": 16,
    "RP": 17, "AFSDB": 18, "SIG": 24, "KEY": 25, "AAAA": 28, "LOC": 29, "SRV": 33,
    "NAPTR": 35, "KX": 36, "CERT": 37, "DNAME": 39, "OPT": 41, "DS": 43, "SSHFP": 44,
    "IPSECKEY": 45, "RRSIG": 46, "NSEC": 47, "DNSKEY": 48, "DHCID": 49, "NSEC3": 50,
    "NSEC3PARAM": 51, "TLSA": 52, "SMIMEA": 53, "HIP": 55, "CDS": 59, "CDNSKEY": 60,
    "OPENPGPKEY": 61, "CSYNC": 62, "ZONEMD": 63, "SVCB": 64, "HTTPS": 65, "SPF": 99,
    "TKEY": 249, "TSIG": 250, "IXFR": 251, "AXFR": 252, "MAILB": 253, "MAILA": 254,
    "ANY": 255, "URI": 256, "CAA": 257,
}


def _qtype(t):
    if t is None:
        return None
    if isinstance(t, int):
        return t
    if t in _TYPES:
        return _TYPES[t]
    try:
        return int(t)
    except ValueError:
        return t


def _norm(n):
    """Non-ASCII bytes compare as a class: each run of non-ASCII characters
    becomes one U+FFFD. tshark decodes names as UTF-8 with replacement (one
    U+FFFD per maximal invalid subsequence); our JSON writer escapes each
    invalid byte as \\u00XX and passes valid UTF-8 through."""
    if not isinstance(n, str):
        return n
    out = []
    for c in n:
        if ord(c) < 0x80:
            out.append(c)
        elif not out or out[-1] != "\ufffd":
            out.append("\ufffd")
    return "".join(out)


def _tname(n):
    # tshark spells the root "<Root>"; we write "" as Suricata does
    return "" if n == "<Root>" else _norm(n)


_ESC = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r",
}


def _oname(q):
    """Our name as tshark prints it: its markers for names it cannot show,
    and C-style escapes for control bytes (octal for the rest)."""
    if q.get("rrname_truncated"):
        return "<Name too long>"
    if q.get("rrname_bad_label"):
        return "<Unknown extended label>"
    n = q.get("rrname")
    if not isinstance(n, str):
        return n
    n = "".join(_ESC.get(ord(c), "\\%03o" % ord(c)) if ord(c) < 0x20 or ord(c) == 127
                else c for c in n)
    return _norm(n)


def truth_rows(rows):
    out = []
    for r in rows:
        base = {"transport": r.get("transport"), "app": r.get("app"), "id": r.get("id"),
                "src": r.get("src"), "sport": r.get("sport"), "qr": r.get("qr")}
        qs = r.get("queries") or []
        if not qs:
            out.append(dict(base, qname=None, qtype=None))
        for q in qs:
            out.append(dict(base, qname=_tname(q.get("name")), qtype=q.get("type")))
    return out


def our_rows(records):
    out = []
    for r in records:
        if r.get("event_type") != "dns":
            continue
        d = r.get("dns") or {}
        base = {"transport": (r.get("proto") or "").lower(), "app": r.get("app_proto"),
                "id": d.get("id"), "src": r.get("src_ip"), "sport": r.get("src_port"),
                "qr": "response" if d.get("type") == "response" else "query"}
        qs = d.get("queries") or []
        if not qs:
            out.append(dict(base, qname=None, qtype=None))
        for q in qs:
            out.append(dict(base, qname=_oname(q), qtype=_qtype(q.get("rrtype"))))
    return out
