#!/usr/bin/env python3
"""Test websites for tests/e2e/inspect_web.sh (loopback only).

site.py planted|clean|bad PORT DOCROOT [CERT KEY]

planted: hidden links (inline CSS, <style> class, document.write), reflected
         parameter (/search?q=), MySQL-style error (/item?id=), boolean-blind
         parameter (/list?cat=), /.git/HEAD, directory listing (/files/),
         no security headers, a cookie without HttpOnly, soft-404 pages.
clean:   the same site done right (HTTPS when CERT/KEY are given).
bad:     /slow/ (answers after 30 s), /loop/ (redirect loop), /big/ (50 MB),
         /broken/ (broken HTML).
Pages come from DOCROOT/*.html so the test can change one (tamper), and
carry volatile parts (time, csrf token) the normaliser must ignore.
"""
import html, os, random, ssl, sys, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE, PORT, ROOT = sys.argv[1], int(sys.argv[2]), sys.argv[3]
CERT = sys.argv[4] if len(sys.argv) > 5 else None
KEY = sys.argv[5] if len(sys.argv) > 5 else None
ITEMS = {"1": "Red apple", "2": "Green pear", "3": "Blue plum"}
BOOKS = {"books": ["C Programming", "TCP/IP Illustrated"], "music": ["Goldberg Variations"]}

HIDDEN = """
<div style="display:none"><a href="http://casino-example.test/">在线博彩 娱乐城</a></div>
<style>.ft-x { position: absolute; left: -9999px; top: 0 }</style>
<p class="ft-x"><a href="http://adult-example.test/">成人视频</a></p>
<script>document.write('<a href="http://lottery-' + 'example.test/">六合彩</a>');</script>
"""


def page(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as f:
        body = f.read()
    tok = "%032x" % random.getrandbits(128)
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    body = body.replace("{{NOW}}", now).replace("{{TOKEN}}", tok)
    if MODE == "planted":
        body = body.replace("{{HIDDEN}}", HIDDEN)
    else:
        body = body.replace("{{HIDDEN}}", "")
    return body


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body, ctype="text/html; charset=utf-8", extra=()):
        b = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        if MODE == "clean":
            self.send_header("Strict-Transport-Security", "max-age=31536000")
            self.send_header("Content-Security-Policy", "default-src 'self'; frame-ancestors 'self'")
            self.send_header("X-Frame-Options", "SAMEORIGIN")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "strict-origin-when-cross-origin")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(b)

    def not_found(self):
        if MODE == "planted":  # soft 404: 200 with a friendly page
            self.send(200, "<html><head><title>Not here</title></head><body><h1>Sorry</h1>"
                           "<p>The page you asked for is not here.</p></body></html>")
        else:
            self.send(404, "<html><body><h1>404 Not Found</h1></body></html>")

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        p = u.path
        if MODE == "bad":
            return self.bad(p)
        if p in ("/", "/index.html"):
            ck = "sid=%08x; Path=/" % random.getrandbits(32)
            ck += "; Secure; HttpOnly" if MODE == "clean" else ""
            return self.send(200, page("index.html"), extra=[("Set-Cookie", ck)])
        if p.endswith(".html") and os.path.exists(os.path.join(ROOT, p.lstrip("/"))):
            return self.send(200, page(p.lstrip("/")))
        if p == "/search":
            s = q.get("q", [""])[0]
            shown = s if MODE == "planted" else html.escape(s)
            return self.send(200, "<html><body><h1>Search</h1><p>Results for %s: none</p>"
                                  "<a href='/'>home</a></body></html>" % shown)
        if p == "/item":
            return self.item(q.get("id", [""])[0])
        if p == "/list":
            return self.list(q.get("cat", [""])[0])
        if p == "/.git/HEAD" and MODE == "planted":
            return self.send(200, "ref: refs/heads/master\n", "text/plain")
        if p == "/files/":
            if MODE == "planted":
                return self.send(200, "<html><head><title>Directory listing for /files/</title>"
                                      "</head><body><h1>Directory listing for /files/</h1><ul>"
                                      "<li><a href='report.pdf'>report.pdf</a></li></ul></body></html>")
            return self.send(403, "<html><body>Forbidden</body></html>")
        return self.not_found()

    def item(self, v):
        # a naive "SELECT name FROM items WHERE id = <v>"
        if MODE == "clean":
            name = ITEMS.get(v) if v.isdigit() else None
            return self.send(200, "<html><body><h1>Item</h1><p>%s</p></body></html>"
                             % html.escape(name or "No such item"))
        if v.count("'") % 2 == 1:
            return self.send(500, "<html><body><b>Warning</b>: You have an error in your SQL syntax; "
                                  "check the manual that corresponds to your MySQL server version for "
                                  "the right syntax to use near '%s' at line 1</body></html>" % html.escape(v))
        name = ITEMS.get(v.split(" ")[0])
        cond = v.split(" AND ")
        if len(cond) == 2:
            a, _, b = cond[1].partition("=")
            if a.strip("' ") != b.strip("' "):
                name = None
        return self.send(200, "<html><body><h1>Item</h1><p>%s</p></body></html>"
                         % html.escape(name or "No such item"))

    def list(self, v):
        # "SELECT title FROM books WHERE cat = '<v>'" with errors swallowed (blind)
        if MODE == "clean":
            rows = BOOKS.get(v, [])
        else:
            base, sep, cond = v.partition("' AND '")
            rows = BOOKS.get(base if sep else v, [])
            if sep:
                a, _, b = cond.partition("'='")
                if a != b.rstrip("'"):
                    rows = []
        return self.send(200, "<html><body><h1>Books</h1><ul>%s</ul><p>%d found</p></body></html>"
                         % ("".join("<li>%s</li>" % html.escape(r) for r in rows), len(rows)))

    def bad(self, p):
        if p.startswith("/slow"):
            time.sleep(30)
            return self.send(200, "<html><body>late</body></html>")
        if p.startswith("/loop"):
            nxt = "/loop2/" if p.startswith("/loop/") else "/loop/"
            self.send_response(302)
            self.send_header("Location", nxt)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if p.startswith("/big"):
            n = 50 * 1024 * 1024
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            chunk = (b"<p>" + b"x" * 1017 + b"</p>\n")
            try:
                for _ in range(n // len(chunk)):
                    self.wfile.write(chunk)
                self.wfile.write(b"x" * (n % len(chunk)))
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        if p.startswith("/broken"):
            body = (b"<html><head><title>broken\x00</title><style>.a{display:none" +
                    b"<div>" * 20000 + b"<a href='http://x.test/' style='left:-99999px;position:" +
                    b"<table><tr><td><a href=\"javascript:alert(1)\">" + bytes(range(256)) * 50 +
                    b"<a href='" + b"A" * 300000 + b"'>long</a>" + b"</div>" * 5 +
                    b"<script>document.write('<a href=\"http://casino-example.test/\">" + b"\xff\xfe" * 10)
            return self.send(200, body, "text/html")
        return self.send(404, "no")


srv = ThreadingHTTPServer(("127.0.0.1", PORT), H)
srv.daemon_threads = True
if CERT:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(CERT, KEY)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("ready", flush=True)
srv.serve_forever()
