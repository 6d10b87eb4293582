#!/usr/bin/env bash
# store_retention.sh NETWARDEN SRCDIR - retention with a simulated clock
# (import --now): partitions older than retention_days are deleted whole and
# each deletion is a `maintenance` record; younger ones are never touched;
# retention_days below 60 is refused citing MPS Order No. 82 art. 13.
set -u
NW=${1:?netwarden binary}; SRC=${2:?source dir}
. "$SRC/tests/e2e/store/lib.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
S=$T/store
for d in 01 02 03 04 05 06 07 08 09 10; do gen 100 ${d#0} 2026-03-$d; done > "$T/in.json"
"$NW" import -q --now 2026-03-11T00:00:00Z --store "$S" "$T/in.json" || fail import
[ $(ls -d "$S"/2026-* | wc -l) -eq 10 ] || fail "expected 10 partitions"
: > "$T/empty"
# now = 2026-05-14T00:00Z, retention 60 days: days ending <= 2026-03-15T00:00Z
# expire, i.e. all ten; one second earlier, 2026-03-10 (ends 03-11T00:00) must stay
"$NW" import -q --retention-days 60 --now 2026-05-09T23:59:59Z --store "$S" "$T/empty" 2> "$T/err" \
    || fail "retention run: $(cat "$T/err")"
ls "$S" | grep -q 2026-03-09 && fail "2026-03-09 should be gone (ended 2026-03-10, 60 days before 2026-05-09)"
ls "$S" | grep -q 2026-03-10 || fail "2026-03-10 deleted one second early"
[ $(ls -d "$S"/2026-03-* | wc -l) -eq 1 ] || fail "expected only 2026-03-10 left: $(ls "$S")"
grep -c "retention: deleted partition" "$T/err" | grep -qx 9 || fail "expected 9 deletions reported: $(cat "$T/err")"
"$NW" import -q --retention-days 60 --now 2026-05-10T00:00:00Z --store "$S" "$T/empty" || fail "second pass"
[ $(ls -d "$S"/2026-03-* 2>/dev/null | wc -l) -eq 0 ] || fail "2026-03-10 should be gone now"
# the deletions are records, and the chain still verifies
"$NW" query --store "$S" --type maintenance > "$T/m.json" || fail "query maintenance"
[ $(grep -c '"action":"retention_delete"' "$T/m.json") -eq 10 ] || fail "expected 10 maintenance records: $(cat "$T/m.json")"
grep -q '"partition":"2026-03-01","partition_start"' "$T/m.json" || fail "maintenance record lacks the partition"
grep -q '"records":100' "$T/m.json" || fail "maintenance record lacks the record count"
"$NW" verify --store "$S" > "$T/v" || fail "verify after retention: $(cat "$T/v")"
grep -q "10 partitions expired" "$T/v" || fail "verify summary: $(cat "$T/v")"
# the legal floor
"$NW" import -q --retention-days 30 --store "$T/s2" "$T/empty" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "retention_days=30 accepted (exit $rc)"
grep -q "MPS Order No. 82 art. 13" "$T/err" || fail "no legal reason: $(cat "$T/err")"
printf '[store]\nretention_days = 30\n' > "$T/nw.conf"
"$NW" import -q --config "$T/nw.conf" --store "$T/s2" "$T/empty" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "config retention_days=30 accepted (exit $rc)"
grep -q "nw.conf:2: store.retention_days: 30 is refused: MPS Order No. 82 art. 13" "$T/err" || fail "config message: $(cat "$T/err")"
"$NW" audit --config "$T/nw.conf" --check-config 2> "$T/err"; [ $? -eq 2 ] || fail "--check-config accepted retention_days=30"
echo "store_retention: all passed"; cat "$T/err"
