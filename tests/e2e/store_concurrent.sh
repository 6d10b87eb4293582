#!/usr/bin/env bash
# store_concurrent.sh NETWARDEN SRCDIR - readers while the writer works, as on
# a box where audit writes all day and the administrator queries: an import fed
# over ~6 s through a pipe (12 days in time order, so days are opened, and
# sealed as the least recently used of 5, while the readers run), and meanwhile,
# over and over, `query` and `query who` in one loop and `verify` in another.
# Every reader run must succeed; what a query returns must only grow, be whole
# records, each once; verify must pass each time; at the end every record is
# there once. Then verify runs again in a loop while imports with a clock that
# moves a day at a time make retention delete every partition.
set -u
NW=${1:?netwarden binary}; SRC=${2:?source dir}
. "$SRC/tests/e2e/store/lib.sh"
T=$(mktemp -d)
trap 'kill ${fpid:-} ${wpid:-} ${vpid:-} 2>/dev/null; rm -rf "$T"' EXIT
S=$T/store; NOW=2026-02-01T00:00:00Z
DAYS=12; PER=5000
alive() { kill -0 "$1" 2>/dev/null; }
# verify_loop TAG CMD...: verify over and over while CMD succeeds (bounded); the
# first failure goes to $T/TAG.fail, the number of runs to $T/TAG.count
verify_loop() {
    local tag=$1 v=0
    shift
    for _ in $(seq 1 2000); do
        "$@" || break
        "$NW" verify -q --store "$S" 2> "$T/$tag.err" ||
            { echo "verify failed ($tag): $(cat "$T/$tag.err")" > "$T/$tag.fail"; break; }
        v=$((v + 1))
    done
    echo $v > "$T/$tag.count"
}
for d in $(seq 1 $DAYS); do gen $PER "$d" "2026-01-$(printf %02d $((10 + d)))" > "$T/d$d.json"; done

mkfifo "$T/feed"
( for d in $(seq 1 $DAYS); do cat "$T/d$d.json"; sleep 0.5; done ) > "$T/feed" &
fpid=$!
"$NW" import -q --now $NOW --block-size 64K --store "$S" - < "$T/feed" 2> "$T/import.err" &
wpid=$!
# readers start once the store exists (before, "no store" is the right answer)
for _ in $(seq 1 100); do [ -s "$S/chain" ] && break; sleep 0.05; done
# verify in a loop of its own: a new segment or chain line between its reads
# must never look like tampering
verify_loop v alive "$wpid" &
vpid=$!
prev=0; runs=0; whos=0
for _ in $(seq 1 400); do # bounded; ends with the writer
    kill -0 "$wpid" 2>/dev/null || break
    "$NW" query --store "$S" > "$T/q.json" 2> "$T/q.err"; rc=$?
    n=$(grep -c . "$T/q.json")
    if [ $rc -ne 0 ] && ! { [ $rc -eq 1 ] && [ "$n" -eq 0 ]; }; then
        fail "query exit $rc with $n records: $(cat "$T/q.err")"
    fi
    [ "$n" -ge "$prev" ] || fail "query returned $n records after $prev: stored records vanished"
    whole=$(grep -c '^{"timestamp":.*"id":"c[0-9]*-[0-9]*".*}$' "$T/q.json")
    [ "$whole" -eq "$n" ] || fail "$((n - whole)) of $n lines are not whole records"
    dup=$(grep -o '"id":"c[0-9]*-[0-9]*"' "$T/q.json" | sort | uniq -d | head -3)
    [ -z "$dup" ] || fail "records returned twice: $dup"
    prev=$n; runs=$((runs + 1))
    "$NW" query who --store "$S" --ip 10.3.0.1 --at 2026-01-13T00:00:00Z > /dev/null \
        2> "$T/w.err"
    rc=$?
    [ $rc -le 1 ] || fail "query who exit $rc: $(cat "$T/w.err")"
    whos=$((whos + 1))
done
wait "$wpid"; rc=$?; wpid=; fpid=
wait "$vpid"; vpid=
[ -f "$T/v.fail" ] && fail "$(cat "$T/v.fail")"
verifies=$(cat "$T/v.count")
[ $rc -eq 0 ] || fail "import exit $rc: $(cat "$T/import.err")"
[ "$runs" -ge 5 ] && [ "$verifies" -ge 5 ] ||
    fail "only $runs queries and $verifies verify runs overlapped the writer"
"$NW" query --store "$S" > "$T/q.json" 2> "$T/q.err" || fail "final query: $(cat "$T/q.err")"
n=$(grep -o '"id":"c[0-9]*-[0-9]*"' "$T/q.json" | sort -u | wc -l)
[ "$(grep -c . "$T/q.json")" -eq $((DAYS * PER)) ] && [ "$n" -eq $((DAYS * PER)) ] ||
    fail "final: $(grep -c . "$T/q.json") records, $n distinct, want $((DAYS * PER))"
"$NW" verify -q --store "$S" 2> "$T/v.err" || fail "final verify: $(cat "$T/v.err")"
sealed=$(grep -c '^seg ' "$S/chain")

# retention beside verify: imports whose clock moves a day at a time delete the
# partitions one by one (the expire line first, then the files) and add a day each
verify_loop v2 test ! -f "$T/ret.done" &
vpid=$!
for k in $(seq 0 $((DAYS - 1))); do # day 2026-01-11 + k expires at 2026-03-13 + k
    day=$(date -u -d "2026-03-13 + $k days" +%F)
    gen 200 $((100 + k)) "$day" > "$T/r.json"
    "$NW" import -q --retention-days 60 --now "${day}T00:00:00Z" --store "$S" "$T/r.json" \
        2> "$T/r.err" || fail "retention import $k: $(cat "$T/r.err")"
done
touch "$T/ret.done"
wait "$vpid"; vpid=
[ -f "$T/v2.fail" ] && fail "$(cat "$T/v2.fail")"
"$NW" verify --store "$S" > "$T/v2" 2>&1 || fail "verify after retention: $(cat "$T/v2")"
grep -q "$DAYS partitions expired" "$T/v2" || fail "retention: $(cat "$T/v2")"
echo "ok   store_concurrent: $runs queries, $whos who and $verifies verify runs during the import" \
     "(last saw $prev of $((DAYS * PER)) records), $sealed segments sealed;" \
     "$(cat "$T/v2.count") verify runs while retention deleted $DAYS days"
