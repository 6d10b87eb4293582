#!/usr/bin/env python3
"""Deterministic captures for the identity end-to-end test (python3 standard
library only; pcap written directly with struct).

  radius-browse.pcap  RADIUS Accounting Start binds alice / 13800138000 to
                      10.1.2.3; 10.1.2.3 does DNS, HTTP, a TLS ClientHello with
                      SNI and a UDP flow; RADIUS Stop; 10.1.2.3 browses again.
  dhcp-browse.pcap    DORA with hostname for 02:00:00:00:00:01 -> 192.168.1.50,
                      browsing, DHCPRELEASE, browsing again.
  pppoe-browse.pcap   PADI/PADO/PADR/PADS, PAP user bob, IPCP address
                      100.64.0.9, browsing inside the PPPoE session, PADT, and
                      one more DNS query from the address after the PADT.

Each capture comes with <name>.expect.json: the bound address, the user
fields every record in the session must carry, and the exact login/logout
times (microseconds) that the session records must show.

usage: gen.py [OUTDIR]   (default: the directory of this script)
"""
import json
import os
import struct
import sys

BASE_US = 1700000000 * 1000000  # 2023-11-14T22:13:20Z


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def mac(m):
    return bytes(int(x, 16) for x in m.split(":"))


def ipv4(src, dst, proto, payload, ident=1):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0x4000, 64,
                      proto, 0, ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def l4_csum(src, dst, proto, seg):
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, len(seg))
    return csum(pseudo + seg)


def udp(src, sport, dst, dport, payload):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = l4_csum(src, dst, 17, seg) or 0xFFFF
    return ipv4(src, dst, 17, seg[:6] + struct.pack("!H", c) + seg[8:])


def tcp(src, sport, dst, dport, seq, ack, flags, payload=b""):
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    c = l4_csum(src, dst, 6, seg)
    return ipv4(src, dst, 6, seg[:16] + struct.pack("!H", c) + seg[18:])


def eth(dst, src, etype, payload):
    return mac(dst) + mac(src) + struct.pack("!H", etype) + payload


class Capture:
    """Frames with explicit times; written as a classic pcap (Ethernet)."""

    def __init__(self, t0_us):
        self.t = t0_us
        self.frames = []

    def add(self, frame, gap_us=1000):
        self.t += gap_us
        self.frames.append((self.t, frame))
        return self.t

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for t, fr in self.frames:
                f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(fr), len(fr)))
                f.write(fr)


# ---------------------------------------------------------------- app payloads

def dns_query(qid, name):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", 1, 1)


def dns_reply(qid, name, addr):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return (struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + q + struct.pack("!HH", 1, 1)
            + struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + ip4(addr))


def client_hello(sni):
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    sv_ext = struct.pack("!HHB", 43, 5, 4) + struct.pack("!HH", 0x0304, 0x0303)
    exts = sni_ext + sv_ext
    body = (struct.pack("!H", 0x0303) + bytes(range(32)) + b"\0"
            + struct.pack("!H", 4) + struct.pack("!HH", 0x1301, 0xC02F) + b"\x01\x00"
            + struct.pack("!H", len(exts)) + exts)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def radius_acct(status, ident, user, calling, framed, sid, extra=b""):
    def attr(t, v):
        return bytes([t, len(v) + 2]) + v
    attrs = (attr(40, struct.pack("!I", status)) + attr(1, user.encode())
             + attr(31, calling.encode()) + attr(30, b"00-AA-BB-CC-DD-EE:isp")
             + attr(8, ip4(framed)) + attr(4, ip4("10.0.0.1")) + attr(32, b"bras-e2e")
             + attr(44, sid.encode()) + extra)
    return struct.pack("!BBH", 4, ident, 20 + len(attrs)) + bytes(16) + attrs


def radius_resp(ident):
    return struct.pack("!BBH", 5, ident, 20) + bytes(16)


def dhcp(op, mtype, xid, chaddr, ciaddr="0.0.0.0", yiaddr="0.0.0.0", opts=b""):
    hdr = struct.pack("!BBBBIHH4s4s4s4s", op, 1, 6, 0, xid, 0, 0x8000, ip4(ciaddr), ip4(yiaddr),
                      ip4("0.0.0.0"), ip4("0.0.0.0"))
    hdr += mac(chaddr) + bytes(10) + bytes(64) + bytes(128)
    return hdr + b"\x63\x82\x53\x63" + bytes([53, 1, mtype]) + opts + b"\xff"


def opt(code, v):
    return bytes([code, len(v)]) + v


# ---------------------------------------------------------------- browsing

class Host:
    """A client at ip behind gateway MAC gw, framing its IP packets with wrap()."""

    def __init__(self, cap, ip, cmac, gw, wrap=None):
        self.cap, self.ip, self.cmac, self.gw = cap, ip, cmac, gw
        self.wrap = wrap or (lambda pkt, up: eth(gw, cmac, 0x0800, pkt) if up
                             else eth(cmac, gw, 0x0800, pkt))
        self.port = 50000

    def send(self, pkt, up, gap=1000):
        return self.cap.add(self.wrap(pkt, up), gap)

    def dns(self, qid, name, addr, server="10.0.0.53"):
        self.port += 1
        first = self.send(udp(self.ip, self.port, server, 53, dns_query(qid, name)), True, 100000)
        self.send(udp(server, 53, self.ip, self.port, dns_reply(qid, name, addr)), False, 2000)
        return first

    def tcp_session(self, server, dport, request, response):
        self.port += 1
        c, s = 1000, 5000
        sp = self.port
        first = self.send(tcp(self.ip, sp, server, dport, c, 0, 0x02), True, 100000)
        self.send(tcp(server, dport, self.ip, sp, s, c + 1, 0x12), False)
        self.send(tcp(self.ip, sp, server, dport, c + 1, s + 1, 0x10), True)
        self.send(tcp(self.ip, sp, server, dport, c + 1, s + 1, 0x18, request), True)
        c += len(request)
        if response:
            self.send(tcp(server, dport, self.ip, sp, s + 1, c + 1, 0x18, response), False)
            s += len(response)
        self.send(tcp(self.ip, sp, server, dport, c + 1, s + 1, 0x11), True)
        self.send(tcp(server, dport, self.ip, sp, s + 1, c + 2, 0x11), False)
        self.send(tcp(self.ip, sp, server, dport, c + 2, s + 2, 0x10), True)
        return first

    def http(self, host, path):
        req = ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: nw-e2e/1.0\r\n\r\n" % (path, host)).encode()
        resp = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
        return self.tcp_session("93.184.216.34", 80, req, resp)

    def tls(self, sni):
        return self.tcp_session("93.184.216.34", 443, client_hello(sni), b"")

    def udp_flow(self, server, dport, n=3):
        self.port += 1
        first = None
        for i in range(n):
            t = self.send(udp(self.ip, self.port, server, dport, b"ping %d" % i), True, 50000)
            first = first or t
            self.send(udp(server, dport, self.ip, self.port, b"pong %d" % i), False, 1000)
        return first

    def browse(self, tag):
        self.dns(0x1000 + len(self.cap.frames), "www.example.com", "93.184.216.34")
        self.http("www.example.com", "/" + tag)
        self.tls("secure.example.com")
        self.udp_flow("198.51.100.7", 9999)


# ---------------------------------------------------------------- captures

NAS, RADSRV = "10.0.0.1", "10.0.0.2"
NASMAC, SRVMAC, GWMAC = "02:00:00:00:0a:01", "02:00:00:00:0a:02", "02:00:00:00:00:fe"


def radius_browse():
    cap = Capture(BASE_US)
    ip, cmac = "10.1.2.3", "02:00:00:00:01:23"
    host = Host(cap, ip, cmac, GWMAC)
    sid = "SESS-0001"

    def rad(pkt_up, pkt_down, ident):
        t = cap.add(eth(SRVMAC, NASMAC, 0x0800, udp(NAS, 40000 + ident, RADSRV, 1813, pkt_up)),
                    500000)
        cap.add(eth(NASMAC, SRVMAC, 0x0800, udp(RADSRV, 1813, NAS, 40000 + ident, pkt_down)), 700)
        return t

    login = rad(radius_acct(1, 1, "alice", "13800138000", ip, sid), radius_resp(1), 1)
    host.browse("in-session")
    extra = (bytes([46, 6]) + struct.pack("!I", 2) + bytes([49, 6]) + struct.pack("!I", 1))
    logout = rad(radius_acct(2, 2, "alice", "13800138000", ip, sid, extra), radius_resp(2), 2)
    host.browse("after-logout")
    return cap, {"ip": ip, "source": "radius", "login_us": login, "logout_us": logout,
                 "reason": "stop",
                 "user": {"account": "alice", "calling_station": "13800138000",
                          "source": "radius", "session_id": sid}}


def dhcp_browse():
    cap = Capture(BASE_US + 3600 * 1000000)
    cmac, srvmac, ip, srv = "02:00:00:00:00:01", "02:00:00:00:00:02", "192.168.1.50", "192.168.1.1"
    host = Host(cap, ip, cmac, srvmac)
    bcast = "ff:ff:ff:ff:ff:ff"

    def c2s(payload, gap=200000):
        return cap.add(eth(bcast, cmac, 0x0800, udp("0.0.0.0", 68, "255.255.255.255", 67, payload)),
                       gap)

    def s2c(payload, gap=2000):
        return cap.add(eth(bcast, srvmac, 0x0800, udp(srv, 67, "255.255.255.255", 68, payload)),
                       gap)

    common = (opt(54, ip4(srv)) + opt(51, struct.pack("!I", 3600)) + opt(1, ip4("255.255.255.0"))
              + opt(3, ip4(srv)) + opt(6, ip4("10.0.0.53")))
    c2s(dhcp(1, 1, 0xABCD0001, cmac, opts=opt(12, b"alice-laptop") + opt(60, b"MSFT 5.0")))
    s2c(dhcp(2, 2, 0xABCD0001, cmac, yiaddr=ip, opts=common))
    c2s(dhcp(1, 3, 0xABCD0001, cmac, opts=opt(50, ip4(ip)) + opt(54, ip4(srv))
             + opt(12, b"alice-laptop")))
    login = s2c(dhcp(2, 5, 0xABCD0001, cmac, yiaddr=ip, opts=common))
    host.browse("in-lease")
    # RELEASE is unicast from the client's address to the server
    logout = cap.add(eth(srvmac, cmac, 0x0800,
                         udp(ip, 68, srv, 67, dhcp(1, 7, 0xABCD0002, cmac, ciaddr=ip,
                                                   opts=opt(54, ip4(srv))))), 300000)
    host.browse("after-release")
    return cap, {"ip": ip, "source": "dhcp", "login_us": login, "logout_us": logout,
                 "reason": "release",
                 "user": {"mac": cmac, "hostname": "alice-laptop", "source": "dhcp"}}


def pppoe_browse():
    cap = Capture(BASE_US + 7200 * 1000000)
    cmac, acmac, bcast, sidn = "02:00:00:00:0b:01", "02:00:00:00:0b:fe", "ff:ff:ff:ff:ff:ff", 0x0011
    ip, acip = "100.64.0.9", "100.64.0.1"

    def disc(code, sid, src, dst, tags, gap=100000):
        body = b"".join(struct.pack("!HH", t, len(v)) + v for t, v in tags)
        return cap.add(eth(dst, src, 0x8863, struct.pack("!BBHH", 0x11, code, sid, len(body)) + body),
                       gap)

    def ppp(src, dst, proto, payload, gap=20000):
        body = struct.pack("!H", proto) + payload
        return cap.add(eth(dst, src, 0x8864, struct.pack("!BBHH", 0x11, 0, sidn, len(body)) + body),
                       gap)

    def ctl(code, ident, data):
        return struct.pack("!BBH", code, ident, 4 + len(data)) + data

    uniq = (0x0103, b"\x00\x00\x12\x34")
    disc(0x09, 0, cmac, bcast, [(0x0101, b""), uniq])
    disc(0x07, 0, acmac, cmac, [(0x0101, b""), (0x0102, b"BRAS-E2E"), uniq])
    disc(0x19, 0, cmac, acmac, [(0x0101, b""), (0x0102, b"BRAS-E2E"), uniq])
    disc(0x65, sidn, acmac, cmac, [(0x0101, b""), (0x0102, b"BRAS-E2E"), uniq])
    lcp_opts = b"\x01\x04\x05\xd4"  # MRU 1492
    ppp(cmac, acmac, 0xC021, ctl(1, 1, lcp_opts))
    ppp(acmac, cmac, 0xC021, ctl(2, 1, lcp_opts))
    ppp(acmac, cmac, 0xC021, ctl(1, 1, lcp_opts + b"\x03\x04\xc0\x23"))
    ppp(cmac, acmac, 0xC021, ctl(2, 1, lcp_opts + b"\x03\x04\xc0\x23"))
    ppp(cmac, acmac, 0xC023, ctl(1, 1, b"\x03bob" + b"\x0as3cr3t-pw!"))
    ppp(acmac, cmac, 0xC023, ctl(2, 1, b"\x00"))
    ppp(acmac, cmac, 0x8021, ctl(1, 1, b"\x03\x06" + ip4(acip)))
    ppp(cmac, acmac, 0x8021, ctl(2, 1, b"\x03\x06" + ip4(acip)))
    ppp(cmac, acmac, 0x8021, ctl(1, 1, b"\x03\x06" + ip4("0.0.0.0")))
    ppp(acmac, cmac, 0x8021, ctl(3, 1, b"\x03\x06" + ip4(ip)))
    ppp(cmac, acmac, 0x8021, ctl(1, 2, b"\x03\x06" + ip4(ip)))
    login = ppp(acmac, cmac, 0x8021, ctl(2, 2, b"\x03\x06" + ip4(ip)))

    def wrap(pkt, up):
        body = struct.pack("!H", 0x0021) + pkt
        hdr = struct.pack("!BBHH", 0x11, 0, sidn, len(body))
        return eth(acmac, cmac, 0x8864, hdr + body) if up else eth(cmac, acmac, 0x8864, hdr + body)

    host = Host(cap, ip, cmac, acmac, wrap)
    host.browse("in-session")
    logout = disc(0xA7, sidn, cmac, acmac, [uniq], 300000)
    # after the PADT: the address shows up once more, outside any session
    after = Host(cap, ip, cmac, GWMAC)
    after.port = 60000  # a new 5-tuple: not the in-session DNS flow
    after.dns(0x7777, "late.example.com", "93.184.216.35")
    return cap, {"ip": ip, "source": "pppoe", "login_us": login, "logout_us": logout,
                 "reason": "padt",
                 "user": {"account": "bob", "mac": cmac, "source": "pppoe",
                          "session_id": str(sidn)}}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for name, fn in (("radius-browse", radius_browse), ("dhcp-browse", dhcp_browse),
                     ("pppoe-browse", pppoe_browse)):
        cap, exp = fn()
        cap.write(os.path.join(out, name + ".pcap"))
        with open(os.path.join(out, name + ".expect.json"), "w") as f:
            json.dump(exp, f, indent=1, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
