"""Telnet logins: tshark has no Telnet login field, so the truth is the
hand-checked annotations/telnet_logins.jsonl (capture, client, server,
server_port, username, result), joined here to the capture's telnet.jsonl
connections on (client, server, server_port) to get the client port. One row
per attempt, keyed on the 4-tuple, the username and the result
(success/failure). Connections without an annotation (no login typed, e.g.
vlan-mpls-mixed) give no row. Ours: `login` records with protocol telnet."""

import json
import os

TRUTH_FILE = "telnet.jsonl"
KEY = ["src", "sport", "dst", "dport", "username", "result"]
THRESHOLD = 0.99

_ANN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "corpus",
                    "annotations", "telnet_logins.jsonl")


def _annotations():
    with open(_ANN) as f:
        return [json.loads(l) for l in f if l.strip()]


def truth_rows(rows):
    ann = _annotations()
    out = []
    for r in rows:
        for a in ann:
            if (a.get("client"), a.get("server"), a.get("server_port")) == \
                    (r.get("client"), r.get("server"), r.get("server_port")):
                out.append({"src": r.get("client"), "sport": r.get("client_port"),
                            "dst": r.get("server"), "dport": r.get("server_port"),
                            "username": a.get("username"), "result": a.get("result")})
    return out


def our_rows(records):
    out = []
    for r in records:
        if r.get("event_type") != "login":
            continue
        lg = r.get("login") or {}
        if lg.get("protocol") != "telnet":
            continue
        out.append({"src": r.get("src_ip"), "sport": r.get("src_port"), "dst": r.get("dest_ip"),
                    "dport": r.get("dest_port"), "username": lg.get("username"),
                    "result": lg.get("result")})
    return out
