#!/usr/bin/env bash
# Every command's main paths, then the unit tests, under valgrind memcheck, on a
# build without sanitizers (make test: the -O0 debug build). ASan does not see reads of
# uninitialised memory; an unset function pointer in a sink once made
# `audit --store` store nothing at -O0 while every ASan and release test passed.
# Leaks are ASan's job here: --leak-check=no. Exit 1 on any memcheck error.
# Usage: memcheck.sh NETWARDEN SRCDIR
set -u
NW=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
n=0
if ! command -v valgrind >/dev/null; then echo "FAIL memcheck: valgrind missing (make deps)"; exit 1; fi

# run NAME EXPECTED_EXIT CMD...: under memcheck; the command's output goes to $T/NAME.out
run() {
    local name=$1 want=$2 rc
    shift 2
    valgrind -q --error-exitcode=99 --leak-check=no --log-file="$T/$name.vg" \
        "$NW" "$@" >"$T/$name.out" 2>"$T/$name.err"
    rc=$?
    n=$((n + 1))
    if [ -s "$T/$name.vg" ] || [ $rc -eq 99 ]; then
        echo "FAIL $name: memcheck errors"; head -n 40 "$T/$name.vg"; fail=1
    elif [ $rc -ne "$want" ]; then
        echo "FAIL $name: exit $rc, expected $want"; head -n 5 "$T/$name.err"; fail=1
    fi
}

P=$SRC/tests/corpus/pcaps
I=$SRC/tests/e2e/identity
S=$T/store
printf '[general]\ndata_dir = %s/data\n' "$T" >"$T/nw.conf"
C=(--config "$T/nw.conf")

# audit: every parser the bundled captures reach, to EVE and the store
run audit 0 audit "${C[@]}" -q -r "$P/mixed-1kxun.pcap" -r "$I/radius-browse.pcap" \
    -r "$I/dhcp-browse.pcap" -r "$I/pppoe-browse.pcap" --eve "$T/eve.json" --store "$S"
recs=$(wc -l <"$T/eve.json")
run query_all 0 query --store "$S"
if [ "$recs" -gt 0 ] && cmp -s <(sort "$T/eve.json") <(sort "$T/query_all.out"); then :; else
    echo "FAIL audit --store: $recs records to EVE, $(wc -l <"$T/query_all.out") back from the store"
    fail=1
fi
run query_ip 0 query --store "$S" --ip 10.1.2.0/24 --format table
run query_csv 0 query --store "$S" --type dns --domain com --format csv
run query_url 0 query --store "$S" --url /index --since 2000-01-01 --limit 5
run who 0 query who --store "$S" --ip 10.1.2.3 --at 2023-11-14T22:13:21Z
run who_none 1 query who --store "$S" --ip 192.0.2.1 --at 2023-11-14T22:13:21Z
run verify 0 verify --store "$S"
run import 0 import "${C[@]}" --store "$T/store2" "$T/eve.json"
run query_import 0 query --store "$T/store2"
cmp -s "$T/query_all.out" "$T/query_import.out" || { echo "FAIL import: differs"; fail=1; }
# ClickHouse sink with nothing listening (loopback port 9): the batches spool
run audit_ch 0 audit "${C[@]}" -q -r "$I/radius-browse.pcap" --output clickhouse://127.0.0.1:9/nw \
    --eve "$T/eve2.json"
# inspection of a prepared tree, and its report
run inspect 1 inspect "${C[@]}" -q --local --root "$SRC/tests/inspect/roots/weak" \
    --checks "$SRC/checks" --data-dir "$T/data" --now 2026-11-21T12:00:00Z --out "$T/i.json"
run report 0 report "${C[@]}" --data-dir "$T/data" --now 2026-11-21T12:00:00Z --lang en \
    --format html --out "$T/r.html"
# bad input takes the error paths
printf 'not a capture at all\n' >"$T/bad.pcap"
run audit_bad 2 audit "${C[@]}" -q -r "$T/bad.pcap" --eve "$T/eve3.json"
run query_badtime 2 query --store "$S" --since yesterday-ish

# the unit tests of the same build, two at a time (the scanner and ClickHouse
# tests time real network exchanges, which memcheck slows past their limits)
U=$(dirname "$NW")/tests
units=$(cd "$U" 2>/dev/null && ls test_* 2>/dev/null | grep -v -E '^test_(clickhouse|inspect_net|scan)$')
if [ -z "$units" ]; then echo "FAIL memcheck: no unit tests in $U"; fail=1; fi
for u in $units; do echo "$u"; done | xargs -P2 -I{} sh -c \
    'valgrind -q --error-exitcode=99 --leak-check=no --log-file="$1/{}.vg" "$2/{}" >"$1/{}.out" 2>&1' \
    _ "$T" "$U"
nu=0
for u in $units; do
    nu=$((nu + 1))
    if [ -s "$T/$u.vg" ]; then echo "FAIL $u: memcheck errors"; head -n 40 "$T/$u.vg"; fail=1
    elif ! grep -q -E "^[0-9]+/[0-9]+ passed" "$T/$u.out" || grep -q "^FAIL" "$T/$u.out"; then
        echo "FAIL $u under memcheck:"; tail -n 20 "$T/$u.out"; fail=1
    fi
done

if [ $fail -eq 0 ]; then
    echo "memcheck: $n commands clean ($recs records through audit, store, query, import)," \
        "$nu unit tests clean"
fi
exit $fail
