"""TLS ServerHello agreement: one row per ServerHello over TCP (truth src is
the server), keyed on the 5-tuple, JA3S and the chosen cipher suite. Ours come
from the server part of each `tls` record."""

TRUTH_FILE = "tls_serverhello.jsonl"
KEY = ["src", "sport", "dst", "dport", "ja3s", "cipher_suite"]
THRESHOLD = 0.95


def truth_rows(rows):
    return [{"src": r.get("src"), "sport": r.get("sport"), "dst": r.get("dst"),
             "dport": r.get("dport"), "ja3s": r.get("ja3s"),
             "cipher_suite": r.get("cipher_suite")} for r in rows]


def our_rows(records):
    out = []
    for r in records:
        if r.get("event_type") != "tls":
            continue
        t = r.get("tls") or {}
        sh = t.get("server_handshake")
        if sh is None and t.get("version") != "SSLv2":
            continue
        cs = sh.get("chosen_cipher") if sh else None
        out.append({"src": r.get("dest_ip"), "sport": r.get("dest_port"), "dst": r.get("src_ip"),
                    "dport": r.get("src_port"), "ja3s": (t.get("ja3s") or {}).get("hash"),
                    "cipher_suite": "0x%04x" % cs if cs is not None else None})
    return out
