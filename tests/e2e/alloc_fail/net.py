#!/usr/bin/env python3
"""net.py - the network side of tests/e2e/alloc_fail.sh (inside its own netns).

net.py creds ADDR CERTDIR: weak-credential stand-ins on ADDR for the weak_*
    probes, so their dictionary engine runs to an accepted password:
    21 FTP (anonymous and admin/admin let in), 80 HTTP Basic (admin/admin),
    443 the same over TLS (CERTDIR/valid.crt from inspect_scan/certs.py),
    6379 Redis asking for AUTH (password 123456); 22 closes every connection at
    once, 3306 greets with MySQL error 1130 and 5432 answers the startup with a
    FATAL error (the SSH, MySQL and PostgreSQL probes load their dictionary,
    then stop there). Prints READY when all listen.
net.py traffic ADDR CREDS: a little traffic for the live capture: an HTTP GET
    to ADDR:80, a DNS query to ADDR:53, a TLS handshake with SNI to ADDR:443,
    an FTP login to CREDS:21. Every step has a 2 s timeout; errors are ignored
    (the capture sees the packets either way).
"""
import base64, os, socket, ssl, struct, sys, threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from standin import serve  # noqa: E402


def creds(addr, certs):
    good = "Basic " + base64.b64encode(b"admin:admin").decode()

    def ftp(c):
        f = c.makefile("rb")
        c.sendall(b"220 stand-in FTP\r\n")
        user = None
        for line in f:
            cmd, _, arg = line.decode("latin-1").strip().partition(" ")
            cmd = cmd.upper()
            if cmd == "USER":
                user = arg
                c.sendall(b"331 Password required\r\n")
            elif cmd == "PASS":
                ok = user == "anonymous" or (user == "admin" and arg == "admin")
                c.sendall(b"230 Login successful\r\n" if ok else b"530 Login incorrect\r\n")
            elif cmd == "QUIT":
                c.sendall(b"221 Goodbye\r\n")
                return
            else:
                c.sendall(b"500 Unknown command\r\n")

    def http(c):
        f = c.makefile("rb")
        while True:
            line = f.readline()
            if not line:
                return
            auth = None
            while True:
                h = f.readline()
                if h in (b"\r\n", b"\n", b""):
                    break
                k, _, v = h.decode("latin-1").partition(":")
                if k.strip().lower() == "authorization":
                    auth = v.strip()
            if auth == good:
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
            else:
                c.sendall(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"a\"\r\n"
                          b"Content-Length: 0\r\n\r\n")

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(f"{certs}/valid.crt", f"{certs}/valid.key")

    def https(c):
        http(ctx.wrap_socket(c, server_side=True))

    def redis(c):
        authed = False
        while True:
            req = c.recv(4096)
            if not req:
                return
            words = [w for w in req.split(b"\r\n") if w and w[:1] not in (b"*", b"$")]
            if not words:
                words = req.split()
            cmd = words[0].upper() if words else b""
            if cmd == b"AUTH":
                authed = words[-1] == b"123456"
                c.sendall(b"+OK\r\n" if authed else
                          b"-WRONGPASS invalid username-password pair\r\n")
            elif cmd == b"PING":
                c.sendall(b"+PONG\r\n" if authed else b"-NOAUTH Authentication required.\r\n")
            else:
                c.sendall(b"-NOAUTH Authentication required.\r\n")

    def closer(c):
        pass

    def mysql(c):  # greets with error 1130, which ends the probe's run
        msg = b"\xff" + (1130).to_bytes(2, "little") + b"Host is not allowed to connect"
        c.sendall(len(msg).to_bytes(3, "little") + b"\0" + msg)

    def postgres(c):  # refuses SSL, then the startup with a FATAL ErrorResponse
        while True:
            req = c.recv(4096)
            if len(req) == 8 and req[4:8] == (80877103).to_bytes(4, "big"):
                c.sendall(b"N")
                continue
            if req:
                e = b"SFATAL\0C28000\0Mno pg_hba.conf entry for this host\0\0"
                c.sendall(b"E" + (len(e) + 4).to_bytes(4, "big") + e)
            return

    for p, h in ((21, ftp), (80, http), (443, https), (6379, redis), (22, closer),
                 (3306, mysql), (5432, postgres)):
        serve(addr, p, h, timeout=3, ignore=(OSError, ssl.SSLError, UnicodeError))
    print("READY", flush=True)
    threading.Event().wait()


def traffic(addr, credaddr):
    def step(f):
        try:
            f()
        except (OSError, ssl.SSLError):
            pass

    def get():
        with socket.create_connection((addr, 80), timeout=2) as s:
            s.sendall(b"GET /index.html HTTP/1.0\r\nHost: live.test\r\nUser-Agent: oom\r\n\r\n")
            while s.recv(4096):
                pass

    def dns():
        q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
        q += b"".join(bytes([len(p)]) + p.encode() for p in "live.example.org".split("."))
        q += b"\0" + struct.pack(">HH", 1, 1)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(q, (addr, 53))

    def tls():
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with socket.create_connection((credaddr, 443), timeout=2) as s:
            with ctx.wrap_socket(s, server_hostname="live.example.org") as t:
                t.sendall(b"GET / HTTP/1.0\r\n\r\n")
                t.recv(4096)

    def ftp():
        with socket.create_connection((credaddr, 21), timeout=2) as s:
            f = s.makefile("rb")
            f.readline()
            for cmd in (b"USER admin", b"PASS admin", b"QUIT"):
                s.sendall(cmd + b"\r\n")
                f.readline()

    for f in (get, dns, tls, ftp):
        step(f)


if __name__ == "__main__":
    if sys.argv[1] == "creds":
        creds(sys.argv[2], sys.argv[3])
    else:
        traffic(sys.argv[2], sys.argv[3])
