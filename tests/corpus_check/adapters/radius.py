"""RADIUS accounting agreement: every Accounting-Request (code 4), on every
accounting field tshark extracts (status type, session id, user, calling and
called station, framed IP, NAS address and identifier, octet counters,
session time, terminate cause), from our `radius` records."""

TRUTH_FILE = "radius.jsonl"
KEY = ["acct_status_type", "acct_session_id", "user_name", "calling_station_id", "framed_ip",
       "called_station_id", "nas_ip", "nas_identifier", "acct_input_octets",
       "acct_output_octets", "acct_session_time", "acct_terminate_cause"]
THRESHOLD = 0.99


def _row(r):
    return {k: r.get(k) for k in KEY}


def truth_rows(rows):
    return [_row(r) for r in rows if r.get("code") == 4]


def our_rows(records):
    return [_row(r.get("radius") or {}) for r in records
            if r.get("event_type") == "radius" and (r.get("radius") or {}).get("code") == 4]
