#!/usr/bin/env bash
# clickhouse.sh NETWARDEN SRCDIR - the ClickHouse sink against a real server.
#
# Starts clickhouse-server (Debian package, 18.16+) on 127.0.0.1 with free
# ports and its data in a temp dir, then checks:
#  1. round trip: audit a corpus capture with --output (and import the EVE
#     lines with --output); `query --clickhouse`
#     gives back exactly the EVE lines of the same run (multiset), every
#     record once; filters agree with `query --eve` (brute force) and the SQL
#     alone already selects exactly the matches.
#  2. ClickHouse kill -9 (twice) while a long audit streams into it: every
#     record arrives exactly once.
#  3. netwarden kill -9 mid-ingest (while ClickHouse is also down): a restart
#     replays the spool; everything spooled or committed is there exactly once.
#  4. crash in the window between ClickHouse's commit and the spool unlink
#     (fault injection), with half of that batch removed server-side to
#     model a request that died part-way: the restart reconciles and sends
#     only the missing half.
# Stops the server and removes everything on exit. Prints measured numbers.
set -euo pipefail
NW=$1
SRC=$2
CHS=/usr/sbin/clickhouse-server
if [ ! -x "$CHS" ]; then
    echo "SKIP: $CHS not installed (scripts/deps.sh installs clickhouse-server)"
    exit 0
fi
T=$(mktemp -d /tmp/nw_e2e_ch.XXXXXX)
CH_PID=
NW_PID=
cleanup() {
    [ -n "$NW_PID" ] && kill -9 "$NW_PID" 2>/dev/null || true
    if [ -n "$CH_PID" ]; then kill "$CH_PID" 2>/dev/null || true; wait "$CH_PID" 2>/dev/null || true; fi
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$T/ch/log/err.log" ] && tail -5 "$T/ch/log/err.log" >&2; exit 1; }

. "$SRC/tests/e2e/clickhouse/server.sh"
ch_server_config "$T/ch"

# python helper: sql, lines/triples of a table, spool contents, comparisons
cat > "$T/h.py" <<'EOF'
import sys, json, os, glob, urllib.request, collections
port = os.environ["HP"]
def sql(q):
    r = urllib.request.urlopen("http://127.0.0.1:%s/" % port, q.encode(), timeout=60)
    return r.read().decode()
def rows(db):
    out = sql("SELECT sensor, batch_seq, batch_idx, line FROM %s.records FORMAT JSONEachRow" % db)
    return [json.loads(l) for l in out.splitlines() if l]
def spool(d):
    res = []
    for f in sorted(glob.glob(d + "/*.batch")):
        b = open(f, "rb").read()[32:]
        res += [json.loads(l) for l in b.decode().splitlines() if l]
    return res
def key(r): return (r["sensor"], int(r["batch_seq"]), int(r["batch_idx"]))
def lines(path): return [l.rstrip("\n") for l in open(path, encoding="utf-8") if l.strip()]
cmd = sys.argv[1]
if cmd == "sql":
    sys.stdout.write(sql(sys.argv[2]))
elif cmd == "exactly_once":          # db, eve files...: table == union of the files, once each
    t = rows(sys.argv[2])
    want = collections.Counter(l for f in sys.argv[3:] for l in lines(f))
    got = collections.Counter(r["line"] for r in t)
    keys = collections.Counter(key(r) for r in t)
    dup = sum(n - 1 for n in keys.values() if n > 1)
    missing = sum((want - got).values()); extra = sum((got - want).values())
    print("rows=%d expected=%d duplicate_keys=%d missing=%d extra=%d" % (len(t), sum(want.values()), dup, missing, extra))
    sys.exit(0 if dup == 0 and missing == 0 and extra == 0 else 1)
elif cmd == "snapshot":              # db, spool dir, out: union of committed + spooled rows
    t = rows(sys.argv[2]); s = spool(sys.argv[3])
    u = {key(r): r["line"] for r in t}
    both = sum(1 for r in s if key(r) in u)
    for r in s: u[key(r)] = r["line"]
    json.dump([[list(k), v] for k, v in u.items()], open(sys.argv[4], "w"))
    print("committed=%d spooled=%d overlap=%d union=%d" % (len(t), len(s), both, len(u)))
elif cmd == "after_restart":         # db, snapshot, new eve: snapshot + new records, once each
    t = rows(sys.argv[2]); snap = {tuple(k): v for k, v in json.load(open(sys.argv[3]))}
    new = collections.Counter(lines(sys.argv[4]))
    keys = collections.Counter(key(r) for r in t)
    dup = sum(n - 1 for n in keys.values() if n > 1)
    have = {key(r): r["line"] for r in t}
    lost = [k for k in snap if k not in have or have[k] != snap[k]]
    rest = collections.Counter(r["line"] for r in t if key(r) not in snap)
    print("rows=%d snapshot=%d new=%d duplicate_keys=%d lost=%d" % (len(t), len(snap), sum(new.values()), dup, len(lost)))
    sys.exit(0 if dup == 0 and not lost and rest == new else 1)
elif cmd == "head_seq":              # spool dir: batch_seq of the oldest batch
    print(int(sorted(glob.glob(sys.argv[2] + "/*.batch"))[0].rsplit("/", 1)[1][:16], 16))
elif cmd == "pick":                  # eve file: an IP, a domain, a URL piece, a time window
    rs = [json.loads(l) for l in lines(sys.argv[2])]
    ips = collections.Counter(r.get("src_ip") for r in rs if r.get("src_ip"))
    doms = collections.Counter(q["rrname"].rstrip(".").split(".", 1)[-1] for r in rs
                               for q in r.get("dns", {}).get("queries", []) if "." in q.get("rrname", ""))
    urls = [r["http"]["url"] for r in rs if r.get("http", {}).get("url")]
    ts = sorted(r["timestamp"] for r in rs)
    print(ips.most_common(1)[0][0], doms.most_common(1)[0][0], (urls[0][:4] if urls else "/"), ts[len(ts)//3], ts[2*len(ts)//3])
EOF
export HP
h() { python3 "$T/h.py" "$@"; }

start_ch() {
    "$CHS" --config-file="$T/ch/config.xml" >"$T/ch/stdout" 2>&1 &
    CH_PID=$!
    for _ in $(seq 1 300); do
        h sql "SELECT 1" >/dev/null 2>&1 && return 0
        kill -0 "$CH_PID" 2>/dev/null || fail "clickhouse-server exited: $(tail -3 "$T/ch/stdout")"
        sleep 0.1
    done
    fail "clickhouse-server did not answer on 127.0.0.1:$HP within 30 s"
}
kill9_ch() { kill -9 "$CH_PID"; wait "$CH_PID" 2>/dev/null || true; CH_PID=; }

t0=$(date +%s.%N)
start_ch
echo "clickhouse-server $(h sql 'SELECT version()' | tr -d '\n') on 127.0.0.1:$HP ($(python3 -c "print('%.1f' % ($(date +%s.%N)-$t0))") s to start)"
URLB="clickhouse://127.0.0.1:$HP"

# ---- 1. round trip and filters --------------------------------------------
CAP=$SRC/tests/corpus/pcaps/mixed-1kxun.pcap
U1="$URLB/e2e1?spool=$T/sp1&batch=100"
"$NW" audit -q -r "$CAP" --eve "$T/a.json" --output "$U1" 2>"$T/a.err" || fail "audit --output: $(cat "$T/a.err")"
h exactly_once e2e1 "$T/a.json" || fail "round trip"
"$NW" query --clickhouse "$U1" > "$T/q.json" || fail "query --clickhouse"
[ "$(sort "$T/q.json" | md5sum)" = "$(sort "$T/a.json" | md5sum)" ] || fail "query output differs from the EVE lines"
echo "1. round trip: $(wc -l < "$T/a.json") records, query --clickhouse == EVE (multiset)"
# import --output: the same EVE lines, stored and sent, arrive exactly once
U1I="$URLB/e2e1i?spool=$T/sp1i&batch=100"
"$NW" import -q --store "$T/imp" --output "$U1I" "$T/a.json" 2>"$T/i.err" || fail "import --output: $(cat "$T/i.err")"
h exactly_once e2e1i "$T/a.json" || fail "import round trip"
echo "1b. import --store --output: every line once in ClickHouse"
read -r IP DOM URLP T1 T2 < <(h pick "$T/a.json")
nf=0
while IFS= read -r f; do
    eval "set -- $f"
    "$NW" query --clickhouse "$U1" "$@" --stats > "$T/f_ch.json" 2> "$T/f_ch.err" || fail "query --clickhouse $f: $(cat "$T/f_ch.err")"
    "$NW" query --eve "$T/a.json" "$@" > "$T/f_eve.json" 2>/dev/null || true
    if [[ "$f" == *--limit* ]]; then
        [ "$(wc -l < "$T/f_ch.json")" = "$(wc -l < "$T/f_eve.json")" ] || fail "filter $f: counts differ"
    else
        [ "$(sort "$T/f_ch.json" | md5sum)" = "$(sort "$T/f_eve.json" | md5sum)" ] || fail "filter $f: ClickHouse and brute force differ"
    fi
    # the SQL alone is exact: every row ClickHouse returned matched
    grep -Eq "returned ([0-9]+) rows, \1 matched" "$T/f_ch.err" || fail "filter $f: SQL not exact: $(cat "$T/f_ch.err")"
    nf=$((nf + 1))
    printf '   %-58s %5s records\n' "$f" "$(wc -l < "$T/f_ch.json")"
done <<EOF
--type dns
--type http,tls
--ip $IP
--ip 10.0.0.0/8
--ip 2000::/3
--domain $DOM
--domain com
--url '$URLP'
--since '$T1' --until '$T2'
--since '$T1' --type dns --ip $IP
--user "x' OR 1=1 --"
--limit 7
EOF
echo "   $nf filters agree with the brute-force scan"
"$NW" query --clickhouse "$URLB/nosuchdb" >/dev/null 2>"$T/e.err" && fail "query of a missing database succeeded"
grep -q "Database nosuchdb doesn't exist" "$T/e.err" || fail "unclear error: $(cat "$T/e.err")"

# a long ingest: the bench generator if built, else corpus captures repeated
GEN=$(dirname "$NW")/bench/nw_gen_pcap
if [ -x "$GEN" ]; then
    "$GEN" -n 80000 "$T/long.pcap" >/dev/null 2>&1
    LONG=(-r "$T/long.pcap")
else
    LONG=(); for _ in $(seq 1 30); do LONG+=(-r "$CAP"); done
fi

# ---- 2. ClickHouse kill -9 mid-ingest -------------------------------------
U2="$URLB/e2e2?spool=$T/sp2&batch=1000&batch_ms=100&timeout_ms=3000&drain_s=120"
t0=$(date +%s.%N)
"$NW" audit -q "${LONG[@]}" --eve "$T/b.json" --output "$U2" 2>"$T/b.err" &
NW_PID=$!
sleep 1.5; kill9_ch; sleep 1; start_ch
sleep 1.5; kill9_ch; sleep 1; start_ch
wait "$NW_PID" || fail "audit during ClickHouse kills: $(tail -3 "$T/b.err")"
NW_PID=
t=$(python3 -c "print('%.1f' % ($(date +%s.%N)-$t0))")
h exactly_once e2e2 "$T/b.json" > "$T/b.res" || fail "after ClickHouse kill -9: $(cat "$T/b.res")"
echo "2. ClickHouse kill -9 x2 mid-ingest: $(cat "$T/b.res") in $t s; $(grep -c 'is back' "$T/b.err") recoveries"

# ---- 3. netwarden kill -9 mid-ingest --------------------------------------
U3="$URLB/e2e3?spool=$T/sp3&batch=500&batch_ms=50&drain_s=120"
"$NW" audit -q "${LONG[@]}" --eve "$T/c.json" --output "$U3" 2>"$T/c.err" &
NW_PID=$!
# ClickHouse also goes away for a moment first, so batches wait in the spool
sleep 1; kill9_ch; sleep 1
kill -9 "$NW_PID"; wait "$NW_PID" 2>/dev/null || true; NW_PID=
start_ch
h snapshot e2e3 "$T/sp3" "$T/snap3.json" > "$T/c.snap" || fail "snapshot"
SMALL=$SRC/tests/corpus/pcaps/dns-edns-many.pcap
"$NW" audit -q -r "$SMALL" --eve "$T/d.json" --output "$U3" 2>"$T/d.err" || fail "restart: $(cat "$T/d.err")"
h after_restart e2e3 "$T/snap3.json" "$T/d.json" > "$T/c.res" || fail "after netwarden kill -9: $(cat "$T/c.snap") $(cat "$T/c.res")"
[ -z "$(ls "$T/sp3"/*.batch 2>/dev/null)" ] || fail "spool not drained after restart"
echo "3. netwarden kill -9 mid-ingest: before restart $(cat "$T/c.snap"); after: $(cat "$T/c.res")"

# ---- 4. crash between commit and unlink, head batch half present ----------
U4="$URLB/e2e4?spool=$T/sp4&batch=100&drain_s=60"
# 4a: ClickHouse unreachable (wrong port): all batches stay in the spool;
# 4b: with ClickHouse, an input without records, and a SIGKILL right after
#     the 2nd acknowledged insert (before its spool file is deleted)
"$NW" audit -q -r "$CAP" --eve "$T/g.json" --output "clickhouse://127.0.0.1:$TP/e2e4?spool=$T/sp4&batch=100&drain_s=0" 2>"$T/g0.err" || fail "audit with ClickHouse down: $(cat "$T/g0.err")"
grep -q "remain in the spool" "$T/g0.err" || fail "no spool report: $(cat "$T/g0.err")"
python3 -c 'import struct,sys; open(sys.argv[1],"wb").write(struct.pack("<IHHiIII",0xa1b2c3d4,2,4,0,0,65535,1))' "$T/empty.pcap"
NW_CH_CRASH_AFTER_INSERT=2 "$NW" audit -q -r "$T/empty.pcap" --eve /dev/null --output "$U4" 2>"$T/g.err" &
NW_PID=$!
wait "$NW_PID" 2>/dev/null && fail "fault injection did not fire"
NW_PID=
HEAD=$(h head_seq "$T/sp4")
[ "$(h sql "SELECT count() FROM e2e4.records WHERE batch_seq = $HEAD")" = "100" ] || fail "head batch not committed before the crash"
h sql "ALTER TABLE e2e4.records DELETE WHERE batch_seq = $HEAD AND batch_idx % 2 = 1" >/dev/null
# a mutation is asynchronous (18.16 has no mutations_sync): up to 60 s on a loaded machine
for _ in $(seq 1 600); do
    [ "$(h sql "SELECT count() FROM e2e4.records WHERE batch_seq = $HEAD")" = "50" ] && break
    sleep 0.1
done
[ "$(h sql "SELECT count() FROM e2e4.records WHERE batch_seq = $HEAD")" = "50" ] || fail "could not remove half of the head batch"
"$NW" audit -q -r "$SMALL" --eve "$T/k.json" --output "$U4" 2>"$T/k.err" || fail "restart 4: $(cat "$T/k.err")"
h exactly_once e2e4 "$T/g.json" "$T/k.json" > "$T/g.res" || fail "after crash in the commit window: $(cat "$T/g.res")"
grep -q "was partly in ClickHouse already" "$T/k.err" || fail "the partial head batch was not reconciled: $(cat "$T/k.err")"
echo "4. crash between commit and unlink, half of that batch present: $(cat "$T/g.res")"

kill "$CH_PID"; wait "$CH_PID" 2>/dev/null || true; CH_PID=
echo "PASS clickhouse"
