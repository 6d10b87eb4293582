"""HTTP/1.x agreement: one row per request, keyed on the client address and
port, method, Host (lower-cased; ours is hostname plus ":port" when the Host
header carried one), the request-target as sent and the User-Agent.
The status of the paired response is compared in http_status.py: tshark
shows a response only once its whole body is in the capture, so "no status"
in the truth often means "body cut off", not "no response"."""

TRUTH_FILE = "http.jsonl"
KEY = ["src", "sport", "method", "host", "uri", "user_agent"]
THRESHOLD = 0.99


def truth_rows(rows):
    out = []
    for r in rows:
        host = r.get("host")
        out.append({"src": r.get("src"), "sport": r.get("sport"), "method": r.get("method"),
                    "host": host.lower() if isinstance(host, str) else host,
                    "uri": r.get("uri"), "user_agent": r.get("user_agent"),
                    "status": r.get("status")})
    return out


def our_rows(records):
    out = []
    for r in records:
        if r.get("event_type") != "http":
            continue
        h = r.get("http") or {}
        host = h.get("hostname")
        if host is not None and h.get("http_port") is not None:
            host = "%s:%d" % (host, h["http_port"])
        out.append({"src": r.get("src_ip"), "sport": r.get("src_port"),
                    "method": h.get("http_method"), "host": host, "uri": h.get("url"),
                    "user_agent": h.get("http_user_agent"), "status": h.get("status")})
    return out
