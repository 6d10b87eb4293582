#!/usr/bin/env bash
# store_crash.sh NETWARDEN SRCDIR - kill -9 an import 20 times at random
# moments. After each kill: reopening the store succeeds (and says what it
# recovered), verify passes, and no flushed record is lost.
#
# How the test knows what was flushed: `import --report-flushed F` appends
# "flushed N" to F after the records have been written to the segment file
# (write(2) returned), so every N reported before the kill must be there.
# The store must hold, of each chunk, exactly a prefix c<i>-0 .. c<i>-(k-1)
# with k >= the last N reported: nothing lost, nothing duplicated or torn.
set -u
NW=${1:?netwarden binary}; SRC=${2:?source dir}
. "$SRC/tests/e2e/store/lib.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
S=$T/store; NOW=2026-02-01T00:00:00Z
RANDOM=${STORE_CRASH_SEED:-4242}
: > "$T/empty"
recovered=0
for i in $(seq 1 20); do
  gen 30000 $i 2026-01-$((10 + i % 5)) > "$T/in.json"
  : > "$T/flushed"
  # small blocks: many flushes per run, so kills land between and inside them
  "$NW" import -q --now $NOW --block-size 64K --store "$S" --report-flushed "$T/flushed" \
      "$T/in.json" 2> "$T/import.err" &
  pid=$!
  sleep "0.$(printf '%03d' $((RANDOM % 900 + 50)))"
  kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
  n=$(grep -o '^flushed [0-9]*$' "$T/flushed" | tail -1 | cut -d' ' -f2); n=${n:-0}
  # reopen (recovery), then verify
  "$NW" import -q --now $NOW --store "$S" "$T/empty" 2> "$T/reopen.err" \
      || fail "run $i: reopen failed: $(cat "$T/reopen.err")"
  grep -q "recovered segment" "$T/reopen.err" && recovered=$((recovered + 1))
  "$NW" verify -q --store "$S" 2> "$T/verify.err" || fail "run $i: verify failed: $(cat "$T/verify.err")"
  "$NW" query --store "$S" > "$T/all.json" 2> "$T/q.err" || fail "run $i: query failed: $(cat "$T/q.err")"
  k=$(grep -c "\"id\":\"c$i-" "$T/all.json")
  grep -o "\"id\":\"c$i-[0-9]*\"" "$T/all.json" | sed 's/.*-\([0-9]*\)"/\1/' | sort -n > "$T/ids"
  seq 0 $((k - 1)) > "$T/want" 2>/dev/null || : > "$T/want"
  [ $k -eq 0 ] && : > "$T/want"
  cmp -s "$T/ids" "$T/want" || fail "run $i: stored records of chunk $i are not a prefix (k=$k)"
  [ "$k" -ge "$n" ] || fail "run $i: $n records were reported flushed but only $k are stored"
  # byte-exact: the stored lines are the first k input lines
  grep "\"id\":\"c$i-" "$T/all.json" | sort > "$T/got"; head -n "$k" "$T/in.json" | sort > "$T/exp"
  cmp -s "$T/got" "$T/exp" || fail "run $i: stored records differ from the input"
  echo "run $i: killed after $n reported flushed; $k stored"
done
echo "store_crash: 20 kills, $recovered recoveries reported, all reopened and verified"
