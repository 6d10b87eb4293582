#!/usr/bin/env python3
"""Property test for `netwarden query` (issue 3, point 1).

Generates random records of every event type (random addresses v4/v6, MACs,
accounts, calling numbers, domains, URLs, times over several days, some
strings with JSON escapes), imports them with `netwarden import`, then:
  1. round trip: `query` with no filter returns every line byte-identical;
  2. for many random filter combinations, `query --store` returns exactly the
     multiset of lines that a brute-force scan written here (independently of
     the C matcher) selects; `query --eve` (no index) must agree as well;
  3. --limit returns a subset of the right size; table and csv give one row
     per record.
Usage: query_property.py NETWARDEN WORKDIR [SEED] [RECORDS] [QUERIES]
"""
import csv
import io
import ipaddress
import json
import os
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone

NW, WORK = sys.argv[1], sys.argv[2]
SEED = int(sys.argv[3]) if len(sys.argv) > 3 else 1
NREC = int(sys.argv[4]) if len(sys.argv) > 4 else 6000
NQ = int(sys.argv[5]) if len(sys.argv) > 5 else 150
rnd = random.Random(SEED)
TZ8 = timezone(timedelta(hours=8))
BASE = datetime(2026, 9, 1, 0, 0, tzinfo=TZ8)
DAYS = 4
ENV = dict(os.environ, TZ="Asia/Shanghai")

V4 = [f"10.1.{a}.{b}" for a in range(4) for b in range(1, 12)] + \
     [f"192.168.{a}.{b}" for a in range(2) for b in range(1, 6)] + ["8.8.8.8", "10.0.0.53"]
V6 = [f"2001:db8:{a:x}::{b:x}" for a in (0, 1, 0x100) for b in (1, 2, 0x53)] + ["fe80::1"]
MACS = [f"02:00:00:00:{a:02x}:{b:02x}" for a in range(3) for b in range(8)]
USERS = ["alice", "bob", "carol", "Alice", "dave@example.org", "b\u00f6b\"x", "eve\\n", "mallory",
         "u10001", "u10002"]
CALLING = ["13800138000", "13800138001", "00-AA-BB-CC-DD-EE", "+86 10 1234"]
BASES = ["example.com", "Example.ORG", "a.b.example.net", "xn--fiqs8s.cn", "localhost",
         "qq.com", "weixin.qq.com", "evil.com", "example.com.evil.com"]
SUBS = ["", "www.", "API.", "x.y.", "cdn."]
PATHS = ["/", "/login", "/index.html?q=1", "/a/b/c?id=42&x=%2F", "/download/report.pdf",
         "/search?q=\u4e2d\u6587", "/x\"y", "/LOGIN"]


def ts():
    t = BASE + timedelta(microseconds=rnd.randrange(DAYS * 86400 * 1000000))
    s = t.isoformat(timespec="microseconds")
    if rnd.random() < 0.05:  # Suricata's "+0800" offset form
        s = s[:-3] + s[-2:]
    return s


def ip():
    return rnd.choice(V6) if rnd.random() < 0.2 else rnd.choice(V4)


def dom():
    d = rnd.choice(SUBS) + rnd.choice(BASES)
    return d + "." if rnd.random() < 0.1 else d


def user_obj():
    u = {"ip": ip()}
    if rnd.random() < 0.8:
        u["account"] = rnd.choice(USERS)
    if rnd.random() < 0.7:
        m = rnd.choice(MACS)
        u["mac"] = m.upper() if rnd.random() < 0.1 else m
    if rnd.random() < 0.5:
        u["calling_station"] = rnd.choice(CALLING)
    u["source"] = rnd.choice(["radius", "dhcp", "pppoe", "static"])
    return u


def record():
    t = rnd.choice(["flow", "dns", "http", "tls", "quic", "dhcp", "radius", "pppoe", "login",
                    "smtp", "session", "alert"])
    r = {"timestamp": ts()}
    if t not in ("session", "pppoe"):
        r["flow_id"] = rnd.randrange(1 << 51)
    r["event_type"] = t
    if t == "pppoe":
        r["src_mac"], r["dest_mac"] = rnd.choice(MACS), rnd.choice(MACS)
    else:
        r["src_ip"] = ip()
        if t != "session":
            r["src_port"], r["dest_ip"], r["dest_port"] = rnd.randrange(65536), ip(), 80
            r["proto"] = "TCP"
    if t == "dns":
        q = [{"rrname": dom(), "rrtype": "A"} for _ in range(rnd.randrange(0, 3))]
        d = {"version": 3, "type": rnd.choice(["request", "response"]), "queries": q}
        if rnd.random() < 0.5:
            d["answers"] = [{"rrname": dom(), "rrtype": "CNAME", "rdata": dom()}]
        r["dns"] = d
    elif t == "http":
        h = {"hostname": dom(), "url": rnd.choice(PATHS) + rnd.choice(["", "#frag", "?z=9"]),
             "http_method": "GET", "status": 200}
        r["http"] = h
    elif t in ("tls", "quic"):
        r[t] = {"sni": dom(), "version": "TLS 1.3"}
    elif t == "dhcp":
        r["dhcp"] = {"type": "reply", "client_mac": rnd.choice(MACS), "assigned_ip": ip(),
                     "dhcp_type": "ack", "client_ip": "0.0.0.0"}
    elif t == "radius":
        r["radius"] = {"code": 4, "user_name": rnd.choice(USERS),
                       "calling_station_id": rnd.choice(CALLING), "framed_ip": rnd.choice(V4)}
        if rnd.random() < 0.3:
            r["radius"]["framed_ipv6"] = rnd.choice(V6)
    elif t == "pppoe":
        r["pppoe"] = {"kind": "ipcp_ack", "session_id": 17, "ip": ip(),
                      "for_mac": rnd.choice(MACS), "username": rnd.choice(USERS)}
    elif t == "login":
        r["login"] = {"protocol": "imap", "username": rnd.choice(USERS), "result": "success"}
    elif t == "smtp":
        r["smtp"] = {"mail_from": "<a@b.c>", "rcpt_to": ["<d@e.f>"]}
    elif t == "session":
        r["session"] = {"state": "start", "source": "radius", "login": r["timestamp"]}
    elif t == "alert":
        r["alert"] = {"signature": "x"}
    if rnd.random() < 0.75:
        r["user"] = user_obj()
    return json.dumps(r, separators=(",", ":"), ensure_ascii=rnd.random() < 0.3)


# ---- the brute-force reference (independent of src/query) ----

def parse_ts(s):
    return int(round(datetime.fromisoformat(s).timestamp() * 1e6))


def sget(o, *path):
    for p in path:
        if not isinstance(o, dict) or p not in o:
            return None
        o = o[p]
    return o if isinstance(o, str) else None


def alower(s):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def matches(rec, f):
    if "since" in f or "until" in f:
        t = parse_ts(rec["timestamp"])
        if t < f.get("since", 0) or t >= f.get("until", 1 << 63):
            return False
    if "type" in f and rec.get("event_type") not in f["type"]:
        return False
    if "ip" in f:
        net = ipaddress.ip_network(f["ip"])
        vals = [sget(rec, "src_ip"), sget(rec, "dest_ip"), sget(rec, "user", "ip"),
                sget(rec, "dhcp", "assigned_ip"), sget(rec, "radius", "framed_ip"),
                sget(rec, "radius", "framed_ipv6"), sget(rec, "pppoe", "ip")]
        ok = False
        for v in vals:
            try:
                a = ipaddress.ip_address(v) if v else None
            except ValueError:
                a = None
            if a is not None and a.version == net.version and a in net:
                ok = True
        if not ok:
            return False
    if "mac" in f:
        vals = [sget(rec, "user", "mac"), sget(rec, "dhcp", "client_mac"), sget(rec, "src_mac"),
                sget(rec, "dest_mac"), sget(rec, "pppoe", "for_mac")]
        if not any(v is not None and alower(v) == f["mac"] for v in vals):
            return False
    if "user" in f:
        vals = [sget(rec, "user", "account"), sget(rec, "login", "username"),
                sget(rec, "radius", "user_name"), sget(rec, "pppoe", "username")]
        if f["user"] not in vals:
            return False
    if "calling" in f:
        vals = [sget(rec, "user", "calling_station"), sget(rec, "radius", "calling_station_id")]
        if f["calling"] not in vals:
            return False
    if "domain" in f:
        d = f["domain"]
        names = [sget(rec, "http", "hostname"), sget(rec, "tls", "sni"), sget(rec, "quic", "sni")]
        dns = rec.get("dns") if isinstance(rec.get("dns"), dict) else {}
        for sec in ("queries", "answers"):
            for e in dns.get(sec, []) if isinstance(dns.get(sec), list) else []:
                names.append(sget(e, "rrname"))
        ok = False
        for n in names:
            if n is None:
                continue
            n = alower(n.rstrip("."))
            if n == d or n.endswith("." + d):
                ok = True
        if not ok:
            return False
    if "url" in f:
        u = sget(rec, "http", "url")
        if u is None or f["url"] not in u:
            return False
    return True


def random_filter():
    f, args = {}, []
    kinds = rnd.sample(["time", "type", "ip", "mac", "user", "calling", "domain", "url"],
                       rnd.choice([1, 1, 2, 2, 3]))
    for k in kinds:
        if k == "time":
            a = BASE + timedelta(seconds=rnd.randrange(DAYS * 86400))
            b = a + timedelta(seconds=rnd.choice([60, 3600, 86400, 3 * 86400]))
            form = rnd.randrange(3)
            if form == 0:
                args += ["--since", a.isoformat(), "--until", b.isoformat()]
            elif form == 1:
                args += ["--since", a.strftime("%Y-%m-%d %H:%M"), "--until", "@%d" % b.timestamp()]
                a = a.replace(second=0)
            else:
                args += ["--since", a.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")]
                b = None
            f["since"] = int(a.timestamp() * 1e6)
            if b is not None:
                f["until"] = int(b.timestamp() * 1e6)
        elif k == "type":
            ts_ = rnd.sample(["flow", "dns", "http", "tls", "quic", "dhcp", "radius", "pppoe",
                              "login", "session"], rnd.choice([1, 2, 3]))
            f["type"] = ts_
            args += ["--type", ",".join(ts_)]
        elif k == "ip":
            a = ip()
            addr = ipaddress.ip_address(a)
            if addr.version == 4:
                p = rnd.choice([32, 32, 24, 20, 16, 12, 8, 4])
            else:
                p = rnd.choice([128, 128, 64, 60, 56, 48, 44, 32, 16])
            net = ipaddress.ip_network(f"{a}/{p}", strict=False)
            f["ip"] = str(net)
            args += ["--ip", str(net) if p != addr.max_prefixlen else a]
        elif k == "mac":
            m = rnd.choice(MACS)
            f["mac"] = m
            args += ["--mac", m.upper().replace(":", "-") if rnd.random() < 0.3 else m]
        elif k == "user":
            f["user"] = rnd.choice(USERS)
            args += ["--user", f["user"]]
        elif k == "calling":
            f["calling"] = rnd.choice(CALLING)
            args += ["--calling", f["calling"]]
        elif k == "domain":
            d = rnd.choice(["example.com", "EXAMPLE.com", "b.example.net", "com", "qq.com",
                            "weixin.qq.com", "example.org.", "evil.com", "localhost", "cn"])
            f["domain"] = alower(d.rstrip("."))
            args += ["--domain", d]
        elif k == "url":
            f["url"] = rnd.choice(["login", "/LOGIN", "?id=42", "\u4e2d", "x\"y", "report",
                                   "#frag", "/"])
            args += ["--url", f["url"]]
    return f, args


def run(args, check=True):
    p = subprocess.run([NW, "query"] + args, capture_output=True, env=ENV)
    if check and p.returncode != 0:
        sys.exit(f"FAIL: query {args} exited {p.returncode}: {p.stderr.decode(errors='replace')}")
    if b"runtime error" in p.stderr or b"AddressSanitizer" in p.stderr:
        sys.exit(f"FAIL: sanitizer report for {args}: {p.stderr.decode(errors='replace')}")
    return p


def main():
    os.makedirs(WORK, exist_ok=True)
    lines = [record() for _ in range(NREC)]
    src = os.path.join(WORK, "records.jsonl")
    with open(src, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    store = os.path.join(WORK, "store")
    imp = os.environ.get("NW_TEST_IMPORTER")  # a stand-in importer (bench tool) if set
    if imp:
        with open(src, "rb") as fin:
            p = subprocess.run([imp, "import", "--store", store], stdin=fin, capture_output=True)
    else:
        p = subprocess.run([NW, "import", "--store", store, src], capture_output=True, env=ENV)
    if p.returncode != 0:
        sys.exit(f"FAIL: import exited {p.returncode}: {p.stderr.decode(errors='replace')}")
    recs = [json.loads(l) for l in lines]
    enc = [l.encode("utf-8") for l in lines]

    # 1. round trip
    out = run(["--store", store]).stdout.split(b"\n")[:-1]
    if sorted(out) != sorted(enc):
        sys.exit(f"FAIL: round trip: {len(out)} lines back, {len(enc)} written, "
                 f"{len(set(enc) - set(out))} missing")
    # within one UTC day, the store returns records in append order
    byday = {}
    for l, r in zip(enc, recs):
        d = datetime.fromtimestamp(parse_ts(r["timestamp"]) / 1e6, timezone.utc).date()
        byday.setdefault(d, []).append(l)
    if out != [l for d in sorted(byday) for l in byday[d]]:
        sys.exit("FAIL: round trip order is not day ascending, append order within a day")
    print(f"round trip: {len(out)} records byte-identical, in order")

    # 2. random filters against the brute force
    nonempty = 0
    for qn in range(NQ):
        f, args = random_filter()
        want = sorted(l for l, r in zip(enc, recs) if matches(r, f))
        got = sorted(run(["--store", store] + args).stdout.split(b"\n")[:-1])
        if got != want:
            extra = set(got) - set(want)
            miss = set(want) - set(got)
            sys.exit(f"FAIL: query {args}: {len(got)} records, brute force {len(want)}; "
                     f"extra e.g. {list(extra)[:1]} missing e.g. {list(miss)[:1]}")
        got2 = sorted(run(["--eve", src] + args).stdout.split(b"\n")[:-1])
        if got2 != want:
            sys.exit(f"FAIL: query --eve {args}: {len(got2)} records, brute force {len(want)}")
        nonempty += bool(want)
        # 3. limit and formats on some of them
        if qn % 10 == 0 and want:
            lim = rnd.randrange(1, len(want) + 1)
            gl = run(["--store", store, "--limit", str(lim)] + args).stdout.split(b"\n")[:-1]
            if len(gl) != lim or not set(gl) <= set(want):
                sys.exit(f"FAIL: --limit {lim} {args}: {len(gl)} records")
            c = run(["--store", store, "--format", "csv"] + args).stdout.decode("utf-8")
            rows = list(csv.reader(io.StringIO(c, newline="")))
            if len(rows) != len(want) + 1 or rows[0][0] != "timestamp":
                sys.exit(f"FAIL: csv {args}: {len(rows)} rows for {len(want)} records")
            if sorted(r[0] for r in rows[1:]) != sorted(json.loads(l)["timestamp"] for l in want):
                sys.exit(f"FAIL: csv timestamps differ for {args}")
            t = run(["--store", store, "--format", "table"] + args).stdout.split(b"\n")[:-1]
            if len(t) != len(want) + 1:
                sys.exit(f"FAIL: table {args}: {len(t)} lines for {len(want)} records")
    print(f"filters: {NQ} random queries agree with the brute force ({nonempty} non-empty), "
          f"store and --eve")


main()
