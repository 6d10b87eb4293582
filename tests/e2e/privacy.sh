#!/usr/bin/env bash
# privacy.sh NETWARDEN SRCDIR - passwords seen on the wire are never written
# anywhere. The secrets come from tools nobody here wrote: the corpus truth
# (tshark's FTP/POP3 PASS arguments, IMAP LOGIN passwords, POP3 SASL PLAIN
# blobs), tshark run now (SMTP AUTH LOGIN passwords, HTTP Basic credentials)
# and the Telnet annotations. Each capture is audited into an EVE file and a
# store; the EVE bytes and everything `query` returns must hold no secret, in
# clear or in the encoding it crossed the wire in (base64), while the login
# records that prove the password was seen are there.
set -u
NW=${1:?netwarden binary}; SRC=${2:?source dir}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
command -v tshark >/dev/null || { echo "FAIL: tshark missing (scripts/deps.sh)"; exit 1; }
exec python3 - "$NW" "$SRC" "$T" <<'PY'
import base64, glob, json, os, subprocess, sys

nw, src, tmp = sys.argv[1:4]
pcaps = os.path.join(src, "tests/corpus/pcaps")
truth = os.path.join(src, "tests/corpus/truth")

def b64(s):
    try:
        return base64.b64decode(s, validate=True).decode("utf-8", "replace")
    except Exception:
        return None

secrets = {}  # capture -> {secret: where it came from}
def add(cap, s, why):
    if s:
        secrets.setdefault(cap, {})[s] = why
        d = b64(s) if why.endswith("base64") else None
        if d:  # the clear form too; SASL PLAIN is authzid\0authcid\0password
            secrets[cap][d.split("\0")[-1]] = why + " decoded"

for f in glob.glob(os.path.join(truth, "*", "logins.jsonl")):
    cap = os.path.basename(os.path.dirname(f))
    for line in open(f):
        r = json.loads(line)
        if r.get("command") == "PASS":
            add(cap, r.get("arg"), "tshark %s PASS" % r["proto"])
        if r.get("password"):
            add(cap, r["password"], "tshark %s %s password" % (r["proto"], r["command"]))
        if r.get("command") == "AUTH-DATA" and r.get("arg"):
            add(cap, r["arg"], "tshark %s SASL base64" % r["proto"])
for line in open(os.path.join(src, "tests/corpus/annotations/telnet_logins.jsonl")):
    r = json.loads(line)
    add(r["capture"].rsplit(".", 1)[0], r["password"], "telnet annotation")
for p in sorted(glob.glob(os.path.join(pcaps, "*"))):
    cap = os.path.basename(p).rsplit(".", 1)[0]
    t = os.path.join(truth, cap)
    if not any(os.path.getsize(f)
               for f in glob.glob(t + "/http.jsonl") + glob.glob(t + "/logins.jsonl")):
        continue  # tshark only where the truth has HTTP or logins: one start is ~0.3 s
    out = subprocess.run(["tshark", "-r", p, "-Y", "smtp.auth.password or http.authorization",
                          "-T", "fields", "-E", "separator=/t", "-e", "smtp.auth.password",
                          "-e", "http.authbasic", "-e", "http.authorization"],
                         capture_output=True, text=True).stdout
    for row in out.split("\n"):
        smtp, basic, authz = (row.split("\t") + ["", "", ""])[:3]
        add(cap, smtp, "tshark SMTP AUTH base64")
        add(cap, basic, "tshark HTTP Basic")  # user:password
        if ":" in basic:
            add(cap, basic.split(":", 1)[1], "tshark HTTP Basic password")
        if authz.lower().startswith("basic "):
            add(cap, authz.split(None, 1)[1], "tshark HTTP Basic base64")

def strings(o):
    if isinstance(o, str):
        yield o
    elif isinstance(o, dict):
        for v in o.values():
            yield from strings(v)
    elif isinstance(o, list):
        for v in o:
            yield from strings(v)

fails = checked = logins = 0
for cap, sec in sorted(secrets.items()):
    pcap = next(iter(glob.glob(os.path.join(pcaps, cap + ".pcap*"))), None)
    if pcap is None:
        continue
    eve, store = os.path.join(tmp, cap + ".json"), os.path.join(tmp, cap + ".store")
    subprocess.run([nw, "audit", "-q", "--config", "/dev/null", "-r", pcap, "--eve", eve,
                    "--store", store], capture_output=True)
    q = subprocess.run([nw, "query", "--store", store], capture_output=True).stdout
    data = open(eve, "rb").read()
    if q != data:
        print("FAIL %s: query does not return the EVE records byte for byte" % cap)
        fails += 1
    recs = [json.loads(l) for l in data.decode().splitlines()]
    values = set(v for r in recs for v in strings(r))
    seen = sum(1 for r in recs if r.get("login", {}).get("password_seen"))
    logins += seen
    for s, why in sorted(sec.items()):
        checked += 1
        # long secrets: nowhere in the bytes; short ones ("1", "fre"): no value equals them
        leak = (s.encode() in data or s.encode() in q) if len(s) >= 5 else s in values
        if leak:
            print("FAIL %s: secret %r (%s) is in the records" % (cap, s, why))
            fails += 1
    # where a login parsed (not the fuzzed captures), its record says a secret was seen
    if seen == 0 and not cap.startswith("malformed") and \
            any("telnet" not in w and "HTTP" not in w for w in sec.values()):
        print("FAIL %s: no login record with password_seen" % cap)
        fails += 1
if checked < 10:
    print("FAIL: only %d secrets found in the corpus" % checked)
    fails += 1
if fails == 0:
    print("ok   privacy: %d secrets from %d captures (tshark, corpus truth, annotations) in "
          "none of the records, EVE or store; %d login records say password_seen"
          % (checked, len(secrets), logins))
sys.exit(1 if fails else 0)
PY
