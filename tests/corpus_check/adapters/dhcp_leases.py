"""DHCP lease agreement: one row per DHCPACK, keyed on the leased address
(yiaddr, or ciaddr for an ACK to an INFORM), the client MAC and the client's
hostname (from the ACK, else from the client's DISCOVER/REQUEST/INFORM of the
same chaddr and xid, else the newest of that chaddr). Our side: `dhcp`
records with dhcp_type "ack"; their `client_hostname` carries that join.
The lease time (option 51) must agree too."""

TRUTH_FILE = "dhcp_leases.jsonl"
KEY = ["ip", "mac", "hostname", "lease_time"]
THRESHOLD = 0.99


def truth_rows(rows):
    return [{"ip": r.get("ip"), "mac": (r.get("mac") or "").lower() or None,
             "hostname": r.get("hostname") or None, "lease_time": r.get("lease_time")}
            for r in rows]


def our_rows(records):
    out = []
    for r in records:
        if r.get("event_type") != "dhcp":
            continue
        d = r.get("dhcp") or {}
        if d.get("dhcp_type") != "ack":
            continue
        ip = d.get("assigned_ip")
        if not ip or ip == "0.0.0.0":
            ip = d.get("client_ip")
        out.append({"ip": ip, "mac": (d.get("client_mac") or "").lower() or None,
                    "hostname": d.get("client_hostname") or None,
                    "lease_time": d.get("lease_time")})
    return out
