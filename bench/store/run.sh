#!/usr/bin/env bash
# bench/store/run.sh — `make bench-store`: the store's figures (issue 3, point 4).
#
# 1. ingest: RECORDS generated records (default 100 M: ~2,000 users x 60 days, bench/store/gen.h)
#    streamed straight into a new store on one core (taskset), no JSON file written;
#    prints records/s and store size vs the same records as JSON lines (counted while generating)
# 2. baseline files: one day's JSON lines written out, and zstd -3 of it (size ratio)
# 3. "who had IP X at T": `netwarden query who`, warm (median of WHO_RUNS), cold (page cache
#    dropped before each run, when root) and data-cold (dropped, then `netwarden --version` run
#    once so only the store is cold), checked against the generator's answer;
#    baseline: grep -F over that day's JSON and zstdgrep over its .zst
# 4. day-wide URL substring search: `netwarden query --url`, warm (median of 5; wall and user+sys
#    CPU) and cold, in GB/s of JSON equivalent; baseline grep -F / zstdgrep -F over the same day
#
# Environment: RECORDS (default 100000000; e.g. RECORDS=5000000 for a quick run), NW_BUILD
# (default build, the release build of `make`), BENCH_DIR (default /work/bench-store, needs ~10 GB for
# 100 M records), WHO_RUNS (default 7), KEEP=1 keeps the store.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${NW_BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
RECORDS=${RECORDS:-100000000}
DIR=${BENCH_DIR:-/work/bench-store}
WHO_RUNS=${WHO_RUNS:-7}
NW=$BUILD/netwarden
B=$BUILD/bench/nw_bench_store
export TZ=Asia/Shanghai

if [ ! -x "$NW" ] || [ ! -x "$B" ]; then
    echo "bench-store: build first: cmake -S . -B $BUILD -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build $BUILD" >&2
    exit 1
fi
USERS=2000
# tiny runs: fewer users so that traffic still dominates the fixed login/logout records
if [ "$RECORDS" -lt 12000000 ]; then USERS=$(( RECORDS / 6000 > 10 ? RECORDS / 6000 : 10 )); fi
GEN="--records $RECORDS --users $USERS --days 60 --seed 1"
rm -rf "$DIR/store"
mkdir -p "$DIR"
echo "bench-store: $RECORDS records, $USERS users, 60 days -> $DIR/store"
echo "disk before: $(df -h "$DIR" | awk 'NR==2{print $4" free"}')"

CPU=$(( $(nproc) - 1 ))
PIN="taskset -c $CPU"
command -v taskset >/dev/null || PIN=""

# ---- 1. ingest ----
$PIN "$B" ingest --store "$DIR/store" $GEN >"$DIR/ingest.json"
cat "$DIR/ingest.json" | python3 -c '
import json,sys; r=json.load(sys.stdin)
print("ingest: %d records, %.1f s wall, %.1f s CPU on one core: %.0f records/s per CPU second end to end "
      "(generation alone %.0f/s); the store alone %.0f records/s (generation CPU subtracted); wall-clock rate %.0f/s"
      % (r["records"], r["seconds"], r["cpu_seconds"], r["rate_cpu"], r["gen_rate"], r["rate_store"], r["rate_end_to_end"]))'
STORE_BYTES=$(du -sb "$DIR/store" | cut -f1)
JSON_BYTES=$(python3 -c 'import json;print(json.load(open("'"$DIR"'/ingest.json"))["json_bytes"])')
python3 -c "print('size: store %.2f GB vs JSON lines %.2f GB: 1/%.1f' % ($STORE_BYTES/1e9, $JSON_BYTES/1e9, $JSON_BYTES/$STORE_BYTES))"

# ---- 2. one day as rotated JSON files (the baseline a unit has today) ----
DAY=30
"$B" gen $GEN --day $DAY >"$DIR/day.json"
rm -f "$DIR/day.json.zst"
zstd -q -3 -T1 "$DIR/day.json" -o "$DIR/day.json.zst"
DAYJ=$(stat -c %s "$DIR/day.json")
DAYZ=$(stat -c %s "$DIR/day.json.zst")
DAYS_STORE=$(python3 -c "import json;r=json.load(open('$DIR/ingest.json'));print(sum(r['day_bytes']))")
python3 -c "print('zstd -3 of day $DAY JSON: %.1f MB -> %.1f MB: 1/%.1f (store: 1/%.1f)' % ($DAYJ/1e6, $DAYZ/1e6, $DAYJ/$DAYZ, $JSON_BYTES/$STORE_BYTES))"

drop() { if [ "$(id -u)" = 0 ]; then sync; echo 3 >/proc/sys/vm/drop_caches; return 0; fi; return 1; }
ms() { python3 -c "import sys,time;print('%.1f'%((float(sys.argv[2])-float(sys.argv[1]))*1000))" "$1" "$2"; }
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

# ---- 3. who had IP X at T ----
read -r IP AT ACCT <<<"$("$B" pick $GEN --n 1 | head -1)"
# on the baseline day, for the grep comparison
read -r IPD ATD ACCTD <<<"$("$B" pick $GEN --n 400 | awk -v d=$DAY '{print}' | while read -r a t u; do
    day=$(( (t / 1000000 - 1783267200) / 86400 )); [ $day -eq $DAY ] && { echo "$a $t $u"; break; }; done)"
[ -n "${IPD:-}" ] || { IPD=$IP; ATD=$AT; ACCTD=$ACCT; }
who() { "$NW" query who --store "$DIR/store" --ip "$1" --at "@$(( $2 / 1000000 ))" --format json; }
out=$(who "$IPD" "$ATD")
case $out in *"\"account\":\"$ACCTD\""*) echo "who: $IPD at @$((ATD/1000000)) -> $ACCTD (correct)";;
    *) echo "who: WRONG answer for $IPD at $ATD: $out (expected $ACCTD)"; exit 1;; esac
warm=$(for i in $(seq "$WHO_RUNS"); do s=$(now); who "$IPD" "$ATD" >/dev/null; e=$(now); ms "$s" "$e"; done | median)
cold="n/a (not root)"
dcold="n/a"
if drop; then
    cold=$(for i in 1 2 3; do drop; s=$(now); who "$IPD" "$ATD" >/dev/null; e=$(now); ms "$s" "$e"; done | median)
    # data-cold: the binary is in the page cache (a unit runs netwarden all the time), the store is not
    dcold=$(for i in 1 2 3; do drop; "$NW" --version >/dev/null; s=$(now); who "$IPD" "$ATD" >/dev/null; e=$(now); ms "$s" "$e"; done | median)
fi
echo "who latency (whole command): warm ${warm} ms, cold ${cold} ms (binary and store), data-cold ${dcold} ms (store only)"
"$NW" query who --store "$DIR/store" --ip "$IPD" --at "@$((ATD/1000000))" --stats 2>&1 >/dev/null | sed 's/^/  /'
pat="\"event_type\":\"session\",\"src_ip\":\"$IPD\""
s=$(now); grep -F "$pat" "$DIR/day.json" >/dev/null || true; e=$(now); gw=$(ms "$s" "$e")
s=$(now); zstdgrep -F "$pat" "$DIR/day.json.zst" >/dev/null || true; e=$(now); zw=$(ms "$s" "$e")
echo "who baseline over ONE day of rotated JSON (warm): grep -F ${gw} ms, zstdgrep -F ${zw} ms (x8 for the 8-day window who searches)"

# ---- 4. day-wide URL substring search ----
DSTART=$(( 1783267200 + DAY * 86400 ))
DJSON=$(python3 -c "import json;print(json.load(open('$DIR/ingest.json'))['day_bytes'][$DAY])")
q() { "$NW" query --store "$DIR/store" --since "@$DSTART" --until "@$((DSTART + 86400))" --url report-7f3a9c "$@"; }
n=$(q 2>/dev/null | wc -l)
uw=$(for i in 1 2 3 4 5; do s=$(now); q >/dev/null 2>&1; e=$(now); ms "$s" "$e"; done | median)
# CPU ms (user + sys, all threads) of one run, from its rusage (wait4; ~3 ms of fork included)
cpums() { python3 -c 'import os, sys
pid = os.fork()
if pid == 0:
    fd = os.open(os.devnull, os.O_WRONLY); os.dup2(fd, 1); os.dup2(fd, 2); os.execvp(sys.argv[1], sys.argv[1:])
_, _, r = os.wait4(pid, 0); print("%.1f" % ((r.ru_utime + r.ru_stime) * 1000))' "$@"; }
ucpu=$(for i in 1 2 3 4 5; do cpums "$NW" query --store "$DIR/store" --since "@$DSTART" \
    --until "@$((DSTART + 86400))" --url report-7f3a9c; done | median)
uc="n/a"
if drop; then s=$(now); q >/dev/null 2>&1; e=$(now); uc=$(ms "$s" "$e"); fi
s=$(now); grep -F report-7f3a9c "$DIR/day.json" >/dev/null || true; e=$(now); gu=$(ms "$s" "$e")
s=$(now); zstdgrep -F report-7f3a9c "$DIR/day.json.zst" >/dev/null || true; e=$(now); zu=$(ms "$s" "$e")
gc="n/a"
if drop; then s=$(now); grep -F report-7f3a9c "$DIR/day.json" >/dev/null || true; e=$(now); gc=$(ms "$s" "$e"); fi
python3 - "$DJSON" "$uw" "$uc" "$gu" "$zu" "$gc" "$n" "$ucpu" <<'PY'
import sys
dj, uw, uc, gu, zu, gc, n, ucpu = sys.argv[1:]
dj = float(dj)
def gbs(ms):
    try: return "%.2f GB/s (%.0f ms)" % (dj / (float(ms) / 1e3) / 1e9, float(ms))
    except (ValueError, ZeroDivisionError): return ms
print("URL search over one day (%.0f MB of JSON, %s hits): netwarden warm %s (median of 5), cold %s; "
      "per CPU second %s" % (dj / 1e6, n, gbs(uw), gbs(uc), gbs(ucpu)))
print("  baseline: grep -F warm %s, cold %s; zstdgrep -F %s" % (gbs(gu), gbs(gc), gbs(zu)))
print("  ratio: netwarden / grep (warm) = %.2fx, netwarden / zstdgrep = %.2fx" % (float(gu) / float(uw), float(zu) / float(uw)))
PY
q --stats 2>&1 >/dev/null | sed 's/^/  /'
echo "disk after: $(df -h "$DIR" | awk 'NR==2{print $4" free"}')"
rm -f "$DIR/day.json" "$DIR/day.json.zst"
[ "${KEEP:-0}" = 1 ] || rm -rf "$DIR/store"
