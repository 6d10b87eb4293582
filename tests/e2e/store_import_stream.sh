#!/usr/bin/env bash
# store_import_stream.sh NETWARDEN SRCDIR - `import -` as a long-running feed
# (tail -F eve.json | netwarden import --store DIR -), through a FIFO the
# test holds open:
#  - lines that arrive and are followed by silence are written within the
#    flush interval (1 s), not held in memory until the next line: query sees
#    them while the import runs, and they survive a kill -9;
#  - SIGTERM ends the import cleanly: exit 0, what was read is stored, the
#    segment is sealed (the next open recovers nothing), verify passes.
set -u
NW=${1:?netwarden binary}; SRC=${2:?source dir}
. "$SRC/tests/e2e/store/lib.sh"
T=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; exec 3>&- 2>/dev/null; rm -rf "$T"' EXIT
S=$T/store
: > "$T/empty"
# recent days: the wall clock runs (--now would stop it), so retention must keep them
D1=$(date -u -d '2 days ago' +%F); D2=$(date -u -d yesterday +%F)
count() { "$NW" query --store "$S" 2>/dev/null | grep -c "\"id\":\"c$1-"; }
wait_count() { # chunk n seconds: until query returns n records of the chunk
  for _ in $(seq 1 $(($3 * 10))); do [ "$(count "$1")" -eq "$2" ] && return 0; sleep 0.1; done
  return 1
}

# 1. quiet input: written within the flush interval, kept after kill -9
mkfifo "$T/feed"
"$NW" import --store "$S" --report-flushed "$T/flushed" - < "$T/feed" 2> "$T/import1.err" &
pid=$!
exec 3> "$T/feed"
gen 50 1 $D1 >&3
wait_count 1 50 3 || fail "50 lines followed by silence: query sees $(count 1) after 3 s" \
  "(held in memory?) $(cat "$T/import1.err")"
grep -q '^flushed 50$' "$T/flushed" || fail "no 'flushed 50' reported: $(cat "$T/flushed")"
gen 20 2 $D1 >&3
wait_count 2 20 3 || fail "20 more lines: query sees $(count 2)"
kill -9 $pid; wait $pid 2>/dev/null; pid=
exec 3>&-
"$NW" import -q --store "$S" "$T/empty" 2> "$T/reopen.err" || fail "reopen: $(cat "$T/reopen.err")"
grep -q "recovered segment" "$T/reopen.err" || fail "kill -9 left nothing to recover?"
[ "$(count 1)" -eq 50 ] && [ "$(count 2)" -eq 20 ] ||
  fail "after kill -9: $(count 1) of 50 and $(count 2) of 20 records"
echo "ok   quiet input written within the flush interval; 70 records survived kill -9"

# 2. SIGTERM: a clean end
"$NW" import --store "$S" - < "$T/feed" 2> "$T/import2.err" &
pid=$!
exec 3> "$T/feed"
gen 30 3 $D2 >&3
printf '{"timestamp":"%sT00:00:00Z","id":"half' "$D2" >&3 # a line without its end
wait_count 3 30 3 || fail "30 lines: query sees $(count 3)"
kill -TERM $pid; wait $pid; rc=$?; pid=
exec 3>&-
[ $rc -eq 0 ] || fail "SIGTERM: exit $rc: $(cat "$T/import2.err")"
grep -q "stopped by a signal after line 30 of -" "$T/import2.err" ||
  fail "SIGTERM: no note of where it stopped: $(cat "$T/import2.err")"
grep -q "incomplete line is not" "$T/import2.err" || fail "the incomplete line is not mentioned"
"$NW" import -q --store "$S" "$T/empty" 2> "$T/reopen2.err" || fail "reopen after SIGTERM"
grep -q "recovered" "$T/reopen2.err" &&
  fail "SIGTERM left a segment to recover: $(cat "$T/reopen2.err")"
[ "$(count 3)" -eq 30 ] || fail "after SIGTERM: $(count 3) of 30 records"
"$NW" verify -q --store "$S" 2> "$T/verify.err" || fail "verify: $(cat "$T/verify.err")"
if grep -q -E "AddressSanitizer|LeakSanitizer|runtime error" "$T"/*.err; then
  fail "sanitizer: $(cat "$T"/*.err)"
fi
echo "ok   SIGTERM: exit 0, 30 records stored, sealed, verified"
