"""QUIC ClientHello agreement: one row per ClientHello rebuilt from decrypted
client Initial packets, keyed on the 5-tuple and the SNI. Ours: one `quic`
record per ClientHello (a hello re-sent after a Retry is not written twice,
as tshark does not report it twice either)."""

TRUTH_FILE = "quic_clienthello.jsonl"
KEY = ["src", "sport", "dst", "dport", "sni"]
THRESHOLD = 0.95


def truth_rows(rows):
    return [{"src": r.get("src"), "sport": r.get("sport"), "dst": r.get("dst"),
             "dport": r.get("dport"), "sni": r.get("sni")} for r in rows]


def our_rows(records):
    out = []
    for r in records:
        if r.get("event_type") != "quic":
            continue
        q = r.get("quic") or {}
        out.append({"src": r.get("src_ip"), "sport": r.get("src_port"), "dst": r.get("dest_ip"),
                    "dport": r.get("dest_port"), "sni": q.get("sni")})
    return out
