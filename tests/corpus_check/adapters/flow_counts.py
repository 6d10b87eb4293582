"""Flow counters: packets and bytes (frame.len) per unordered 5-tuple, summed
over all conversations on it, must equal tshark's. This checks the decoder
(every frame attributed to the right flow) and reassembled fragments
counting once."""

from collections import defaultdict

TRUTH_FILE = "flows.jsonl"
KEY = ["proto", "a", "b", "pkts", "bytes"]
THRESHOLD = 0.99


def _ends(src, sport, dst, dport):
    x, y = f"{src}/{sport}", f"{dst}/{dport}"
    return (x, y) if x <= y else (y, x)


def _rows(acc):
    return [{"proto": k[0], "a": k[1], "b": k[2], "pkts": v[0], "bytes": v[1]}
            for k, v in acc.items()]


def truth_rows(rows):
    acc = defaultdict(lambda: [0, 0])
    for r in rows:
        a, b = _ends(r["src"], r["sport"], r["dst"], r["dport"])
        v = acc[(r["proto"], a, b)]
        v[0] += r["pkts_fwd"] + r["pkts_rev"]
        v[1] += r["bytes_fwd"] + r["bytes_rev"]
    return _rows(acc)


def our_rows(records):
    acc = defaultdict(lambda: [0, 0])
    for r in records:
        if r.get("event_type") != "flow" or r.get("proto") not in ("TCP", "UDP"):
            continue
        a, b = _ends(r["src_ip"], r["src_port"], r["dest_ip"], r["dest_port"])
        f = r["flow"]
        v = acc[(r["proto"].lower(), a, b)]
        v[0] += f["pkts_toserver"] + f["pkts_toclient"]
        v[1] += f["bytes_toserver"] + f["bytes_toclient"]
    return _rows(acc)
