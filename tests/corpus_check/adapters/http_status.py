"""HTTP/1.x response pairing: for every request whose response tshark
decoded (status not null), our record for that request must carry the same
status. Requests tshark shows unanswered are left out: tshark shows a
response only once its whole body is in the capture, while we log the status
as soon as the response headers arrive."""

TRUTH_FILE = "http.jsonl"
KEY = ["src", "sport", "method", "uri", "status"]
THRESHOLD = 0.99


def truth_rows(rows):
    return [{"src": r.get("src"), "sport": r.get("sport"), "method": r.get("method"),
             "uri": r.get("uri"), "status": r.get("status")}
            for r in rows if r.get("status") is not None]


def our_rows(records):
    out = []
    for r in records:
        if r.get("event_type") != "http":
            continue
        h = r.get("http") or {}
        out.append({"src": r.get("src_ip"), "sport": r.get("src_port"),
                    "method": h.get("http_method"), "uri": h.get("url"),
                    "status": h.get("status")})
    return out
