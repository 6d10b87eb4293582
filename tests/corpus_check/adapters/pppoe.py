"""PPPoE session agreement: one row per (session id, client MAC), with the
PAP/CHAP user name and the address of the IPCP Configure-Ack sent to the
client.

Truth rows whose client_mac is null are left out: tshark itself could not
tell the client (the capture has no PADI/PADR/PADS and no PAP/CHAP, only IP
data inside the session), so the key is undefined; our pppoe parser sees only
discovery and PPP control frames, and IP-in-PPPoE data is the decoder's
business (flows/DNS/HTTP records of those captures are checked by their own
adapters)."""

TRUTH_FILE = "pppoe_sessions.jsonl"
KEY = ["session_id", "client_mac", "username", "client_ip"]
THRESHOLD = 0.99


def truth_rows(rows):
    return [{"session_id": r.get("session_id"), "client_mac": r.get("client_mac"),
             "username": r.get("username"), "client_ip": r.get("client_ip")}
            for r in rows if r.get("client_mac")]


def our_rows(records):
    sess = {}

    def get(sid, mac):
        return sess.setdefault((sid, mac), {"session_id": sid, "client_mac": mac,
                                            "username": None, "client_ip": None})

    clients = set()
    for r in records:
        if r.get("event_type") != "pppoe":
            continue
        p = r.get("pppoe") or {}
        kind, sid = p.get("kind"), p.get("session_id")
        if kind == "discovery" and p.get("code") in ("PADI", "PADR"):
            clients.add(r.get("src_mac"))
        if kind == "discovery" and p.get("code") == "PADS":
            get(sid, r.get("dest_mac"))
        elif kind in ("pap", "chap"):
            get(sid, r.get("src_mac"))["username"] = p.get("username")
        elif kind == "ipcp_ack":
            s = sess.get((sid, p.get("for_mac")))
            if s is not None:
                s["client_ip"] = p.get("ip")
    return list(sess.values())
