"""TLS ClientHello agreement: one row per ClientHello over TCP, keyed on the
5-tuple, the SNI and the JA3 hash (GREASE removed, as tshark does). Ours: one
`tls` record per ClientHello/ServerHello exchange, so a HelloRetryRequest
connection gives two rows like tshark. SSLv2 hellos have no JA3 on either side."""

TRUTH_FILE = "tls_clienthello.jsonl"
KEY = ["src", "sport", "dst", "dport", "sni", "ja3"]
THRESHOLD = 0.99


def truth_rows(rows):
    return [{"src": r.get("src"), "sport": r.get("sport"), "dst": r.get("dst"),
             "dport": r.get("dport"), "sni": r.get("sni"), "ja3": r.get("ja3")} for r in rows]


def our_rows(records):
    out = []
    for r in records:
        if r.get("event_type") != "tls":
            continue
        t = r.get("tls") or {}
        if "client_handshake" not in t:
            continue  # a ServerHello without its ClientHello (capture started mid-flow)
        out.append({"src": r.get("src_ip"), "sport": r.get("src_port"), "dst": r.get("dest_ip"),
                    "dport": r.get("dest_port"), "sni": t.get("sni"),
                    "ja3": (t.get("ja3") or {}).get("hash")})
    return out
