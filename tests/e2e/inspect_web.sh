#!/bin/bash
# inspect_web.sh NETWARDEN SRCDIR - website checks (issue 5, W1) against test
# sites served on loopback by tests/e2e/inspect_web/site.py:
#  1. the planted site gives exactly inspect_web/planted.expected (and the
#     facts name the planted problems: three kinds of hidden links, the
#     reflected parameter, error-based and boolean SQL injection, .git/HEAD
#     but not the soft-404 .env, the listing);
#  2. its clean twin (HTTPS with a test-CA certificate) gives no finding;
#  3. tamper: baseline, rerun (volatile time/token parts: no change), change
#     one page -> that page and only that page;
#  4. bad sites (30 s answer, redirect loop, 50 MB page, broken HTML): bounded
#     time and memory, a clear note each, no crash (run it with the ASan build);
#  5. a URL outside --scope is refused and never contacted.
# Traffic: 127.0.0.1 only.
NW=${1:?netwarden binary}
SRC=${2:?source dir}
HERE=$SRC/tests/e2e/inspect_web
cd "$SRC" || exit 1 # data/web (keyword lists) and data/dict are found from the source tree
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }
command -v openssl >/dev/null || { echo "SKIP: inspect_web needs openssl"; exit 0; }

T=$(mktemp -d /tmp/nw-inspect-web.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

# test CA and a certificate for 127.0.0.1 (the clean twin is HTTPS)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.crt" -days 30 \
    -subj "/CN=netwarden test CA" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -keyout "$T/srv.key" -out "$T/srv.csr" \
    -subj "/CN=127.0.0.1" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > "$T/ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
    -out "$T/srv.crt" -days 30 -extfile "$T/ext" >/dev/null 2>&1 || fail "test certificate"

read -r P1 P2 P3 < <(python3 -c '
import socket
s=[socket.socket() for _ in range(3)]
for x in s: x.bind(("127.0.0.1",0))
print(*[x.getsockname()[1] for x in s])')
for m in planted clean; do mkdir -p "$T/$m"; cp "$HERE"/docroot/*.html "$T/$m/"; done
python3 "$HERE/site.py" planted "$P1" "$T/planted" >"$T/p.log" 2>&1 & PIDS+=($!)
python3 "$HERE/site.py" clean "$P2" "$T/clean" "$T/srv.crt" "$T/srv.key" >"$T/c.log" 2>&1 & PIDS+=($!)
python3 "$HERE/site.py" bad "$P3" "$T/planted" >"$T/b.log" 2>&1 & PIDS+=($!)
for i in $(seq 50); do grep -q ready "$T/p.log" "$T/c.log" "$T/b.log" 2>/dev/null &&
    [ "$(grep -l ready "$T"/*.log | wc -l)" = 3 ] && break; sleep 0.1; done
echo 127.0.0.0/8 > "$T/scope"
PLANTED=http://127.0.0.1:$P1/
CLEAN=https://127.0.0.1:$P2/
INSPECT=("$NW" inspect --config /dev/null --checks "$SRC/checks" --scope "$T/scope" -q)

# ------------------------------------------------------------ 1. planted --
START=$(date +%s)
"${INSPECT[@]}" --web "$PLANTED" --data-dir "$T/state" --out "$T/planted.json"
RC=$?
echo "planted: exit $RC in $(( $(date +%s) - START )) s"
[ $RC = 1 ] || fail "planted: exit $RC, expected 1"
python3 - "$T/planted.json" "$HERE/planted.expected" <<'PY' || fail "planted findings differ"
import json, sys
res = json.load(open(sys.argv[1]))
rows = {r["id"]: r for r in res["results"]}
got = {i for i, r in rows.items() if r["verdict"] == "fail"}
want = {l.split("#")[0].strip() for l in open(sys.argv[2]) if l.split("#")[0].strip()}
ok = True
for i in sorted(want - got): print("MISSING", i, rows.get(i, {}).get("verdict"), rows.get(i, {}).get("reason")); ok = False
for i in sorted(got - want): print("EXTRA  ", i, rows[i].get("evidence")); ok = False
for i, r in rows.items():
    if r["verdict"] == "error": print("ERROR  ", i, r.get("reason")); ok = False
for i in sorted(got & want): print("ok     ", i, "|", (rows[i].get("evidence") or "")[:150])
f = rows["NW-WEB-HIDDEN-LINKS"]["facts"]
hb = sorted(tuple(h["hidden_by"]) for h in f["hidden_links"])
if sorted(h["url"] for h in f["hidden_links"]) != ["http://adult-example.test/", "http://casino-example.test/", "http://lottery-example.test/"] \
   or hb != [("display:none",), ("off-screen",), ("script",)]:
    print("hidden links facts:", json.dumps(f["hidden_links"], ensure_ascii=False)); ok = False
s = sorted((x["param"], x["kind"]) for x in rows["NW-WEB-SQLI"]["facts"]["sqli"])
if s != [("cat", "boolean"), ("id", "error")]: print("sqli facts:", s); ok = False
x = [(p["param"]) for p in rows["NW-WEB-XSS"]["facts"]["xss"]]
if x != ["q"]: print("xss facts:", x); ok = False
e = [p["path"] for p in rows["NW-WEB-EXPOSED-FILES"]["facts"]["exposed"]]
if e != ["/.git/HEAD"]: print("exposed facts:", e); ok = False
l = rows["NW-WEB-DIR-LISTING"]["facts"]["listings"]
if len(l) != 1 or not l[0].endswith("/files/"):
    print("listing facts:", l); ok = False
print("planted:", len(got), "findings, expected", len(want))
sys.exit(0 if ok else 1)
PY

# -------------------------------------------------------------- 2. clean --
START=$(date +%s)
"${INSPECT[@]}" --web "$CLEAN" --data-dir "$T/state" --out "$T/clean.json"
RC=$?
echo "clean: exit $RC in $(( $(date +%s) - START )) s"
[ $RC = 0 ] || fail "clean: exit $RC, expected 0"
python3 - "$T/clean.json" <<'PY' || fail "clean twin has findings"
import json, sys
res = json.load(open(sys.argv[1]))
ok = True
for r in res["results"]:
    v = r["verdict"]
    print(f"{v:5} {r['id']:24} {(r.get('evidence') or r.get('reason') or '')[:120]}")
    if v in ("fail", "error"): ok = False
    if v == "skip" and r["id"] != "NW-WEB-TAMPER": ok = False
sys.exit(0 if ok else 1)
PY

# ------------------------------------------------------------- 3. tamper --
"${INSPECT[@]}" --web "$CLEAN" --web-baseline --only NW-WEB-TAMPER --data-dir "$T/state" \
    --out "$T/base.json" || fail "baseline run failed"
"${INSPECT[@]}" --web "$CLEAN" --only NW-WEB-TAMPER --data-dir "$T/state" --out "$T/same.json" \
    || fail "unchanged site reported as changed: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["facts"])' "$T/same.json")"
sed -i 's/部署年度自查工作。/部署年度自查工作。<a href="http:\/\/casino-example.test\/">澳门赌场<\/a>/' "$T/clean/news.html"
"${INSPECT[@]}" --web "$CLEAN" --only NW-WEB-TAMPER --data-dir "$T/state" --out "$T/tampered.json"
[ $? = 1 ] || fail "tampered site: exit code, expected 1"
python3 - "$T/tampered.json" "$P2" <<'PY' || fail "tamper: not exactly news.html"
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
f = r["facts"]
ch = [c["url"] for c in f["changed"]]
print("tamper:", r["verdict"], "|", r["evidence"])
for c in f["changed"]:
    print("  ", c["url"], "+%d -%d" % (c["added_lines"], c["removed_lines"]), c["first_added"], c["new_links"])
ok = ch == ["https://127.0.0.1:%s/news.html" % sys.argv[2]] and f["changed"][0]["new_links"] == ["http://casino-example.test/"]
sys.exit(0 if ok else 1)
PY

# --------------------------------------------------------- 4. bad sites --
B=http://127.0.0.1:$P3
START=$(date +%s)
/usr/bin/time -f "%M" -o "$T/rss" "${INSPECT[@]}" --web "$B/slow/,$B/loop/,$B/big/,$B/broken/" \
    --data-dir "$T/state" --out "$T/bad.json"
RC=$?
SECS=$(( $(date +%s) - START ))
echo "bad sites: exit $RC in $SECS s, max RSS $(tail -1 "$T/rss") KiB"
[ $RC = 1 ] || fail "bad sites: exit $RC, expected 1 (no crash)"
[ "$SECS" -le 240 ] || fail "bad sites took $SECS s"
python3 - "$T/bad.json" <<'PY' || fail "bad sites: notes missing"
import json, sys
res = json.load(open(sys.argv[1]))
by = {}
for r in res["results"]:
    by.setdefault(r["target"].split("/")[3], []).append(r)
ok = True
def text(rs): return json.dumps(rs, ensure_ascii=False)
want = {"slow": "too slow", "loop": "redirect loop", "big": "cut at", "broken": "NW-WEB-HIDDEN-LINKS"}
for k, w in want.items():
    t = text(by.get(k, []))
    found = w in t
    print(f"{k:7} {'ok ' if found else 'BAD'} {w!r}:", [(r["id"][7:], r["verdict"]) for r in by.get(k, [])][:4])
    ok &= found
slow = [r for r in by["slow"] if r["verdict"] == "error"]
print("slow reason:", slow[0]["reason"] if slow else None)
print("loop note:", [n for r in by["loop"] for n in r["facts"].get("notes", [])][:1])
print("big note:", [n for r in by["big"] for n in r["facts"].get("notes", [])][:1])
sys.exit(0 if ok else 1)
PY

# -------------------------------------------------------------- 5. scope --
"${INSPECT[@]}" --web "http://192.0.2.10/" --data-dir "$T/state" --out "$T/scope.json" 2>"$T/scope.err"
grep -q "192.0.2.10.*outside the scope" "$T/scope.err" || fail "out-of-scope URL not refused: $(cat "$T/scope.err")"

if [ $FAILED = 0 ]; then echo "PASS inspect_web"; else exit 1; fi
