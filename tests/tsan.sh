#!/usr/bin/env bash
# The threaded code under ThreadSanitizer (make test: the tsan preset's build-tsan).
# Three places start threads: the store scan's block loaders (src/store/store_scan.c),
# the ClickHouse sink's sender (src/output/clickhouse.c, spool.c) and the port scanner's
# workers (src/inspect/scan.c). ASan, UBSan and memcheck do not see data races; TSan does,
# on the interleavings a run happens to take, so each part runs where its threads work:
#  - the unit tests that start threads: test_store's cases that do (template3_encoding and
#    shaped_index_matches_full_pass, a minute under TSan, start none), test_query,
#    test_store_keydir, test_scan (two workers over 3000 ports), test_inspect_net (scans in
#    network namespaces), test_spool, test_clickhouse, and the two-thread cases of test_pool
#    (the allocator) and test_output (diagnostics);
#  - `query` on a store of 3 day segments in 64 KiB blocks, so every segment has the >= 4
#    wanted blocks that start a helper (NW_STORE_SCAN_THREADS=2), as a fresh process each
#    (a race on first use, like have_avx2's flag, shows only there), with early stops;
#  - `inspect` scanning all ports of three addresses, interrupted by SIGINT (as root: in a
#    network namespace it creates), so the handler's cancel flag meets the workers;
#  - the ClickHouse sink with nothing listening (sender backs off, batches spool), and
#    against a real clickhouse-server on loopback when it is installed.
# The e2e scripts (query_property, store_crash: minutes under TSan) are not run here;
# README "Development" says how to run them on the TSan binary. Exit 1 on any TSan report or
# failure. Usage: tsan.sh BUILDDIR SRCDIR    (BUILDDIR: configured with NW_TSAN=ON)
set -u
B=$1
SRC=$2
NW=$B/netwarden
T=$(mktemp -d /tmp/nw_tsan.XXXXXX)
mkdir -p "$T/seen"
CH_PID=
NS=
cleanup() {
    if [ -n "$CH_PID" ]; then kill "$CH_PID" 2>/dev/null; wait "$CH_PID" 2>/dev/null; fi
    [ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fail=0
n=0
t0=$(date +%s)
# second_deadlock_stack: lock-order reports name both acquisitions
export TSAN_OPTIONS="log_path=$T/tsan second_deadlock_stack=1 exitcode=66"

# reported: 1 (and the reports shown) if TSan wrote any since the last call
reported() {
    local f found=0
    for f in "$T"/tsan.*; do
        [ -e "$f" ] || continue
        echo "FAIL $1: ThreadSanitizer report:"; head -n 60 "$f"; found=1
        mv "$f" "$T/seen/"
    done
    return $((1 - found))
}

# unit NAME [CASE...]: one unit test (its listed cases) must pass without a report
unit() {
    local name=$1
    shift
    n=$((n + 1))
    "$B/tests/$name" "$@" >"$T/$name.out" 2>&1
    if reported "$name"; then fail=1
    elif ! grep -q -E "^[0-9]+/[0-9]+ passed" "$T/$name.out" || grep -q "^FAIL" "$T/$name.out"; then
        echo "FAIL $name under TSan:"; tail -n 20 "$T/$name.out"; fail=1
    fi
}

# run NAME EXPECTED_EXIT CMD...: a netwarden command; output to $T/NAME.out
run() {
    local name=$1 want=$2 rc
    shift 2
    n=$((n + 1))
    NW_STORE_SCAN_THREADS=2 "$NW" "$@" >"$T/$name.out" 2>"$T/$name.err"
    rc=$?
    if reported "$name"; then fail=1
    elif [ $rc -ne "$want" ]; then
        echo "FAIL $name: exit $rc, expected $want"; head -n 5 "$T/$name.err"; fail=1
    fi
}

for u in test_store test_scan test_query test_store_keydir test_spool test_clickhouse \
    test_inspect_net test_pool test_output; do
    [ -x "$B/tests/$u" ] || { echo "FAIL tsan: $B/tests/$u missing (cmake --preset tsan)"; exit 1; }
done
unit test_store round_trip_byte_exact key_and_time_skipping crash_recovery \
    damaged_active_segment_kept_as_found sealed_segment_without_its_chain_line \
    crash_recovery_torn_header disk_full must_contain_prefilter
unit test_query
unit test_store_keydir
unit test_scan
unit test_inspect_net
unit test_spool
unit test_clickhouse
unit test_pool allocator_counts_exactly_across_threads
unit test_output log_lines_from_two_threads_stay_whole

# the scanner's workers read inspect's cancel flag, which its SIGINT handler sets: a full
# scan of three loopback addresses in a network namespace of our own, interrupted at 1 s
if [ "$(id -u)" = 0 ] && ip netns add "nwtsan$$" 2>/dev/null; then
    NS=nwtsan$$
    ip netns exec "$NS" ip link set lo up
    printf '127.0.0.0/8\n' >"$T/scope"
    printf '[inspect]\nrate = 0\n' >"$T/insp.conf"
    n=$((n + 1))
    ip netns exec "$NS" "$NW" inspect --config "$T/insp.conf" \
        --targets 127.0.0.1,127.0.0.2,127.0.0.3 \
        --scope "$T/scope" --checks "$SRC/checks" --only NW-NET-HIGH-RISK-PORTS --ports 1-65535 \
        --data-dir "$T/insp" --out "$T/insp.json" -q >"$T/insp.out" 2>"$T/insp.err" &
    pid=$!
    sleep 1
    kill -INT "$pid" 2>/dev/null
    wait "$pid"
    ip netns del "$NS"
    NS=
    if reported inspect_cancel; then fail=1; fi
fi

# the store scan's helpers: 30000 generated records over 3 days, 64 KiB blocks
printf '[general]\ndata_dir = %s/data\n[store]\nblock_size = 64K\n' "$T" >"$T/nw.conf"
"$B/bench/nw_bench_store" gen --records 30000 --users 40 --days 3 --seed 1 >"$T/eve.json" ||
    { echo "FAIL tsan: nw_bench_store gen"; exit 1; }
S=$T/store
run import 0 import --config "$T/nw.conf" -q --store "$S" "$T/eve.json"
run q_url 0 query --store "$S" --url /index
run q_url_limit 0 query --store "$S" --url login --limit 3
run q_type_limit 0 query --store "$S" --type dns --limit 100
[ "$(wc -l <"$T/q_type_limit.out")" -eq 100 ] ||
    { echo "FAIL q_type_limit: not 100 lines"; fail=1; }
# a session's start: its address, and who had it then
sess=$(grep -m1 '"event_type":"session"' "$T/eve.json")
ip=$(grep -o '"src_ip":"[0-9.]*"' <<<"$sess" | cut -d'"' -f4)
at=$(grep -m1 -o '"timestamp":"[^"]*"' <<<"$sess" | cut -d'"' -f4)
run q_ip 0 query --store "$S" --ip "$ip" --limit 50
run who 0 query who --store "$S" --ip "$ip" --at "$at"
run verify 0 verify --store "$S"

# the ClickHouse sender: nothing on loopback port 9, so it backs off while batches spool
I=$SRC/tests/e2e/identity
run ch_down 0 audit --config "$T/nw.conf" -q -r "$I/radius-browse.pcap" --eve "$T/ch0.json" \
    --output "clickhouse://127.0.0.1:9/nw?batch=10&drain_s=1&spool=$T/sp0"
grep -q "remain in the spool" "$T/ch_down.err" || { echo "FAIL ch_down: no spool report"; fail=1; }

# and against a real clickhouse-server, when installed: small batches, sent while produced
CHS=/usr/sbin/clickhouse-server
if [ -x "$CHS" ]; then
    . "$SRC/tests/e2e/clickhouse/server.sh"
    ch_server_config "$T/ch"
    sql() {
        python3 -c 'import sys, urllib.request as u
sys.stdout.write(u.urlopen("http://127.0.0.1:%s/" % sys.argv[1], sys.argv[2].encode(),
                           timeout=30).read().decode().strip())' "$HP" "$1"
    }
    (unset TSAN_OPTIONS; exec "$CHS" --config-file="$T/ch/config.xml" >"$T/ch/stdout" 2>&1) &
    CH_PID=$!
    for _ in $(seq 1 300); do [ "$(sql 'SELECT 1' 2>/dev/null)" = 1 ] && break; sleep 0.1; done
    if [ "$(sql 'SELECT 1' 2>/dev/null)" != 1 ]; then
        echo "FAIL tsan: clickhouse-server did not answer on 127.0.0.1:$HP"; fail=1
    else
        head -n 3000 "$T/eve.json" >"$T/ch.json"
        run ch_import 0 import --config "$T/nw.conf" -q --store "$T/chst" \
            --output "clickhouse://127.0.0.1:$HP/nwtsan?batch=100&spool=$T/sp1" "$T/ch.json"
        rows=$(sql "SELECT count() FROM nwtsan.records")
        [ "$rows" = 3000 ] ||
            { echo "FAIL ch_import: $rows rows in ClickHouse, 3000 sent"; fail=1; }
        run ch_query 0 query --clickhouse "clickhouse://127.0.0.1:$HP/nwtsan" --limit 5
    fi
fi

if [ $fail -eq 0 ]; then
    real=$([ -n "$CH_PID" ] && echo ' with a real server')
    echo "tsan: $n runs clean (9 unit tests, scan cancel, store scan helpers, ClickHouse" \
        "sender$real)" \
        "in $(($(date +%s) - t0)) s"
fi
exit $fail
