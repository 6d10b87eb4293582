#!/usr/bin/env python3
"""services.py ADDR PROFILE CERTDIR - the listeners of tests/e2e/inspect_scan.sh.

Runs inside the namespace the test creates and serves, on ADDR, the ports of
PROFILE ("weak" or "hardened"), one thread per connection. Small stand-ins
speak just enough of each protocol for netwarden's probes; TLS ports use the
ssl module with certificates from CERTDIR. Prints READY when all listen.
"""
import os, ssl, sys, threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from standin import serve  # noqa: E402

addr, profile, certs = sys.argv[1], sys.argv[2], sys.argv[3]


def speak_first(data, then=None):
    def h(c):
        c.sendall(data)
        if then:
            c.settimeout(3)
            try:
                req = c.recv(4096)
                if req:
                    c.sendall(then(req))
            except OSError:
                pass
    return h


def silent(c):
    c.settimeout(3)
    try:
        c.recv(4096)
    except OSError:
        pass


def http(body, server="web", status="200 OK"):
    def h(c):
        c.settimeout(3)
        try:
            c.recv(4096)
            c.sendall(f"HTTP/1.0 {status}\r\nServer: {server}\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n{body}".encode())
        except OSError:
            pass
    return h


def redis(auth):
    def h(c):
        c.settimeout(3)
        try:
            while True:
                req = c.recv(4096)
                if not req:
                    return
                if req.upper().startswith(b"PING"):
                    c.sendall(b"-NOAUTH Authentication required.\r\n" if auth else b"+PONG\r\n")
                else:
                    c.sendall(b"-ERR unknown command\r\n")
        except OSError:
            pass
    return h


def vnc(types):
    def h(c):
        c.settimeout(3)
        try:
            c.sendall(b"RFB 003.008\n")
            c.recv(12)
            c.sendall(bytes([len(types)] + types))
            c.recv(16)
        except OSError:
            pass
    return h


def rsync(c):
    c.settimeout(3)
    try:
        c.sendall(b"@RSYNCD: 31.0\n")
        c.recv(4096)
        c.sendall(b"www            \tpublic files\n@RSYNCD: EXIT\n")
    except OSError:
        pass


def mongo(c):
    c.settimeout(3)
    try:
        if c.recv(4096):
            body = b"\x04databases\x00" + b"\x00" * 8 + b"\x01ok\x00" + b"\x00" * 7 + b"\xf0\x3f"
            c.sendall(len(body).to_bytes(4, "little") + b"\x00" * 12 + body)
    except OSError:
        pass


def tls(certname, minver=None, ciphers=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(f"{certs}/{certname}.crt", f"{certs}/{certname}.key")
    if minver:
        ctx.minimum_version = minver
    if ciphers:
        ctx.set_ciphers(ciphers)

    def h(c):
        c.settimeout(3)
        try:
            s = ctx.wrap_socket(c, server_side=True)
            try:
                s.recv(4096)
                s.sendall(b"HTTP/1.0 200 OK\r\nServer: web\r\n\r\nok")
            finally:
                s.close()
        except (OSError, ssl.SSLError):
            pass
    return h


def closer(c):
    pass


WEAK = {
    1: closer,
    21: speak_first(b"220 (vsFTPd 3.0.3)\r\n", lambda r: b"211-Features:\r\n PASV\r\n211 End\r\n"),
    23: speak_first(b"\xff\xfd\x18\xff\xfd\x20\xff\xfb\x01Debian GNU/Linux 12\r\nlogin: "),
    80: http("<html>hi</html>", server="SimpleHTTP/0.6 Python/3.11.2"),
    443: tls("expired"),
    873: rsync,
    2375: http('{"Version":"24.0.7","ApiVersion":"1.43","Os":"linux"}'),
    5900: vnc([1]),
    6379: redis(False),
    9443: tls("old", minver=ssl.TLSVersion.TLSv1, ciphers="NULL-SHA:AES128-SHA:@SECLEVEL=0"),
    11211: silent,  # replaced below: memcached answers "version"
    27017: mongo,
    31337: silent,
    65535: closer,
}


def memcached(c):
    c.settimeout(3)
    try:
        while True:
            req = c.recv(4096)
            if not req:
                return
            if req.startswith(b"version"):
                c.sendall(b"VERSION 1.6.21\r\n")
            else:
                c.sendall(b"ERROR\r\n")
    except OSError:
        pass


WEAK[11211] = memcached

HARDENED = {
    80: http("<html>hi</html>"),
    5900: vnc([2]),
    6379: redis(True),
    8443: tls("valid"),
}

table = WEAK if profile == "weak" else HARDENED


for p, h in table.items():
    serve(addr, p, h)
print("READY " + ",".join(str(p) for p in sorted(table)), flush=True)
threading.Event().wait()
