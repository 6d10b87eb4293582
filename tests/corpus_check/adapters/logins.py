"""Login agreement (FTP, POP3, IMAP, SMTP): one row per credential a client
sent, keyed on protocol, the client->server 5-tuple and the username.

Truth (tshark's logins.jsonl, one row per login-related command or reply):
FTP USER, POP3 USER and APOP (first argument), IMAP LOGIN (tshark's
username), and the SASL usernames: POP3 AUTH-DATA and SMTP AUTH carry
`username_decoded` (the extractor's base64 decode: PLAIN authcid or the LOGIN
username); a POP3 AUTH with an initial response is decoded here the same way.
Replies, PASS, STARTTLS/STLS and bare AUTH rows name no account and are left
out. Ours: `login` records of those protocols that carry a username; a
credential we saw but whose username we could not read does not count."""

import base64
import binascii

TRUTH_FILE = "logins.jsonl"
KEY = ["proto", "src", "sport", "dst", "dport", "username"]
THRESHOLD = 0.99

_PROTOS = ("ftp", "pop3", "imap", "smtp")


def _b64_user(v):
    """Same rule as tools/truth_extract.py b64_user."""
    if not v:
        return None
    try:
        txt = base64.b64decode(v.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if "\0" in txt:
        parts = txt.split("\0")
        return parts[1] if len(parts) >= 3 else None
    return txt if txt.isprintable() else None


def _user(r):
    proto, cmd, arg = r.get("proto"), (r.get("command") or "").upper(), r.get("arg")
    if proto in ("ftp", "pop3") and cmd == "USER":
        return arg
    if proto == "pop3" and cmd == "APOP":
        return (arg or "").split(" ")[0] or None
    if proto == "pop3" and cmd == "AUTH-DATA":
        return r.get("username_decoded")
    if proto == "pop3" and cmd == "AUTH":
        prm = (arg or "").split()
        return _b64_user(prm[1]) if len(prm) >= 2 else None
    if proto == "imap" and cmd == "LOGIN":
        return r.get("username")
    if proto == "smtp" and cmd == "AUTH":
        return r.get("username_decoded")
    return None


def truth_rows(rows):
    out = []
    for r in rows:
        u = _user(r)
        if u is None:
            continue
        out.append({"proto": r.get("proto"), "src": r.get("src"), "sport": r.get("sport"),
                    "dst": r.get("dst"), "dport": r.get("dport"), "username": u})
    return out


def our_rows(records):
    out = []
    for r in records:
        if r.get("event_type") != "login":
            continue
        lg = r.get("login") or {}
        if lg.get("protocol") not in _PROTOS or lg.get("username") is None:
            continue
        out.append({"proto": lg.get("protocol"), "src": r.get("src_ip"),
                    "sport": r.get("src_port"), "dst": r.get("dest_ip"),
                    "dport": r.get("dest_port"), "username": lg.get("username")})
    return out
