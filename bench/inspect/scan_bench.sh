#!/usr/bin/env bash
# bench/inspect/scan_bench.sh - full TCP connect scan (ports 1-65535) of a host in a network
# namespace this script creates: netwarden's scanner (bench/inspect/nw_scan, the engine of
# `netwarden inspect`) against `nmap -sT -p- -T4`, side by side (issue 4, point 3).
#
# The namespace host 10.78.0.2 listens on a fixed set of ports (python3). Each round runs nmap
# and nw_scan alternately; the best wall time of each over BENCH_RUNS rounds is reported with
# the ratio, the CPU time (user+sys) of each, and the 1-minute load average (other work on the
# machine slows both). Both must find exactly the listening set, or the script fails.
#
# Usage: bash bench/inspect/scan_bench.sh      (root; `make bench` and `make bench-inspect`)
# Env:   NW_BUILD (default build), NW_SCAN (default $NW_BUILD/bench/nw_scan), BENCH_RUNS (3),
#        SCAN_ARGS (extra nw_scan options, e.g. "--threads 1").
# Traffic goes only to the namespace host, which is deleted at exit.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${NW_BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SCAN=${NW_SCAN:-$BUILD/bench/nw_scan}
RUNS=${BENCH_RUNS:-3}
PORTS="22,80,443,3306,8080,31337,65000"

if [ "$(id -u)" != 0 ]; then echo "scan_bench: needs root (network namespace); skipped"; exit 0; fi
command -v nmap >/dev/null || { echo "scan_bench: nmap not installed; skipped"; exit 0; }
if [ ! -x "$SCAN" ]; then
    cmake --build "$BUILD" --target nw_scan >/dev/null 2>&1 || true
fi
[ -x "$SCAN" ] || { echo "scan_bench: $SCAN not found (make release)" >&2; exit 1; }

NS=nwbench$$
VE=nwb$$
T=$(mktemp -d /tmp/nw-scan-bench.XXXXXX)
cleanup() {
    ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    ip link del "$VE" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
ip netns add "$NS" && ip link add "$VE" type veth peer name "${VE}p" && ip link set "${VE}p" netns "$NS" \
    && ip addr add 10.78.0.1/24 dev "$VE" && ip link set "$VE" up \
    && ip netns exec "$NS" ip addr add 10.78.0.2/24 dev "${VE}p" \
    && ip netns exec "$NS" ip link set "${VE}p" up && ip netns exec "$NS" ip link set lo up \
    || { echo "scan_bench: cannot create the namespace" >&2; exit 1; }
ip netns exec "$NS" python3 - "$PORTS" >"$T/srv.log" 2>&1 <<'PY' &
import socket, sys, threading
socks = []
for p in sys.argv[1].split(","):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.78.0.2", int(p))); s.listen(1024); socks.append(s)
def drain(s):
    while True:
        c, _ = s.accept(); c.close()
for s in socks: threading.Thread(target=drain, args=(s,), daemon=True).start()
print("READY", flush=True)
threading.Event().wait()
PY
for _ in $(seq 1 50); do grep -q READY "$T/srv.log" && break; sleep 0.1; done

now() { date +%s.%N; }
cpu() { awk '{print $14+$15+$16+$17}' "/proc/$1/stat" 2>/dev/null; }
best_nmap=999 best_nw=999 cpu_nmap=0 cpu_nw=0 bad=0
for r in $(seq 1 "$RUNS"); do
    t0=$(now)
    /usr/bin/time -f "%U %S" -o "$T/nmap.cpu" nmap -sT -p- -T4 -n -Pn 10.78.0.2 >"$T/nmap.out" 2>&1
    t1=$(now)
    /usr/bin/time -f "%U %S" -o "$T/nw.cpu" "$SCAN" ${SCAN_ARGS:-} --ports 1-65535 10.78.0.2 >"$T/nw.out" 2>&1
    t2=$(now)
    tn=$(echo "$t1 - $t0" | bc); tw=$(echo "$t2 - $t1" | bc)
    on=$(awk -F/ '/^[0-9]+\/tcp +open/{print $1}' "$T/nmap.out" | paste -sd,)
    ow=$(sed -n 's/^10.78.0.2 status=done open=\([0-9,]*\) .*/\1/p' "$T/nw.out")
    cn=$(awk '{print $1+$2}' "$T/nmap.cpu"); cw=$(awk '{print $1+$2}' "$T/nw.cpu")
    printf 'round %d: nmap %.3f s (cpu %.2f s)  nw_scan %.3f s (cpu %.2f s)  load %s\n' \
        "$r" "$tn" "$cn" "$tw" "$cw" "$(cut -d' ' -f1 /proc/loadavg)"
    [ "$on" = "$PORTS" ] || { echo "  nmap found '$on', expected '$PORTS'"; bad=1; }
    [ "$ow" = "$PORTS" ] || { echo "  nw_scan found '$ow', expected '$PORTS'"; cat "$T/nw.out"; bad=1; }
    if (( $(echo "$tn < $best_nmap" | bc) )); then best_nmap=$tn; cpu_nmap=$cn; fi
    if (( $(echo "$tw < $best_nw" | bc) )); then best_nw=$tw; cpu_nw=$cw; fi
done
# the same scan through `netwarden inspect` (one check that only reads the scan; no rate limit):
# scanner + framework, for reference
NWBIN=$BUILD/netwarden
if [ -x "$NWBIN" ]; then
    printf '[inspect]\nrate = 0\n' > "$T/nw.conf"
    printf '10.78.0.2/32\n' > "$T/scope"
    t0=$(now)
    "$NWBIN" inspect --config "$T/nw.conf" --targets 10.78.0.2 --scope "$T/scope" --checks "$ROOT/checks" \
        --only NW-NET-OPEN-PORTS --ports 1-65535 --no-history --data-dir "$T/state" --out "$T/r.json" -q \
        >/dev/null 2>"$T/inspect.err"
    t1=$(now)
    oi=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print(",".join(map(str, r["facts"]["open_ports"])))' "$T/r.json" 2>/dev/null)
    printf 'netwarden inspect (scan + NW-NET-OPEN-PORTS) %.3f s, open ports %s\n' "$(echo "$t1 - $t0" | bc)" "${oi:-?}"
    [ "$oi" = "$PORTS" ] || { echo "  inspect found '$oi', expected '$PORTS'"; cat "$T/inspect.err"; bad=1; }
fi
ratio=$(echo "scale=2; $best_nmap / $best_nw" | bc)
printf 'scan 1-65535 of a namespace host, best of %d: nmap -sT -p- -T4 %.3f s, netwarden %.3f s: %sx faster (open ports agree: %s)\n' \
    "$RUNS" "$best_nmap" "$best_nw" "$ratio" "$([ $bad = 0 ] && echo yes || echo NO)"
exit $bad
