"""Second opinion on logins: tshark's `-z credentials` tap (credentials.jsonl),
an independent list of the usernames tshark recognises, one per credential
(FTP PASS, POP3 PASS, IMAP LOGIN, SMTP AUTH). It has no addresses, so rows
are keyed on protocol and username per capture. tshark 4.0 leaves SMTP AUTH
usernames base64-encoded: they are decoded here. Protocols we do not log
logins for (HTTP basic/NTLM, ...) are left out. Ours: `login` records of
FTP/POP3/IMAP/SMTP with a username."""

import base64
import binascii

TRUTH_FILE = "credentials.jsonl"
KEY = ["proto", "username"]
THRESHOLD = 0.99

_MAP = {"FTP": "ftp", "POP3": "pop3", "POP": "pop3", "IMAP": "imap", "SMTP": "smtp"}


def _b64(v):
    try:
        txt = base64.b64decode(v.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return v
    if "\0" in txt:
        parts = txt.split("\0")
        return parts[1] if len(parts) >= 3 else v
    return txt


def truth_rows(rows):
    out = []
    for r in rows:
        proto = _MAP.get((r.get("proto") or "").upper())
        if proto is None:
            continue
        u = r.get("username")
        if proto == "smtp" and u:
            u = _b64(u)
        out.append({"proto": proto, "username": u})
    return out


def our_rows(records):
    out = []
    for r in records:
        if r.get("event_type") != "login":
            continue
        lg = r.get("login") or {}
        if lg.get("protocol") in _MAP.values() and lg.get("username") is not None:
            out.append({"proto": lg.get("protocol"), "username": lg.get("username")})
    return out
