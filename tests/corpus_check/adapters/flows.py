"""Flows: every tshark TCP/UDP conversation is a flow of ours, on the
unordered 5-tuple (tshark splits a reused port pair after FIN/RST + SYN,
and so do we, so multiplicity is compared too)."""

TRUTH_FILE = "flows.jsonl"
KEY = ["proto", "a", "b"]
THRESHOLD = 0.99


def _ends(src, sport, dst, dport):
    x, y = f"{src}/{sport}", f"{dst}/{dport}"
    return (x, y) if x <= y else (y, x)


def truth_rows(rows):
    out = []
    for r in rows:
        a, b = _ends(r["src"], r["sport"], r["dst"], r["dport"])
        out.append({"proto": r["proto"], "a": a, "b": b})
    return out


def our_rows(records):
    out = []
    for r in records:
        if r.get("event_type") != "flow" or r.get("proto") not in ("TCP", "UDP"):
            continue
        if (r.get("flow") or {}).get("reason") == "active_timeout":
            continue
        a, b = _ends(r["src_ip"], r["src_port"], r["dest_ip"], r["dest_port"])
        out.append({"proto": r["proto"].lower(), "a": a, "b": b})
    return out
