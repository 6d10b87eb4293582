#!/usr/bin/env bash
# store_powerloss.sh NETWARDEN SRCDIR - power-loss crash consistency of the store.
#
# kill -9 (store_crash.sh) keeps the page cache, so it cannot see a missing
# fsync of a file or of a directory, or syncs in the wrong order. A power loss
# can. Without device-mapper we do it as ALICE/CrashMonkey do in user space:
# tests/crash/fsrec.c (LD_PRELOAD) records every file-system change of four
# imports (a new store, five days with an LRU seal, retention expiring two
# days, an import fed in bursts with interval fdatasyncs that is killed -9,
# then the reopen that recovers it and imports more); tests/crash/replay.py
# builds the crash states the persistence model allows at the syncs and
# between them and checks each: reopen (recovery) succeeds, verify passes,
# every record whose bytes were synced comes back from query, byte-exact,
# once. Models: directory entries "posix" (persisted only by an fsync of the
# directory) and "ext4" (also by an fsync of the new file); file data "prefix"
# (unsynced writes persist in order up to any prefix) and "zero" (the size grew,
# the unsynced bytes are zeros); "reorder" (each unsynced write kept or zeros
# on its own, as XFS may leave them: STORE_POWERLOSS_REORDER states, default 12).
# Enforced: STORE_POWERLOSS_ENFORCE (default all of them).
# tests/crash/powerloss_known.txt may list missing directory fsyncs that explain
# posix failures when posix is not enforced (none now).
# STORE_POWERLOSS_STATES=500 for more states (default 60), STORE_POWERLOSS_SEED
# to vary them, STORE_POWERLOSS_KEEP=DIR keeps the failed states and the log.
# Negative controls (a segment fdatasync treated as not done must be caught)
# run too.
set -u
NW=${1:?netwarden binary}; SRC=${2:?source dir}
. "$SRC/tests/e2e/store/lib.sh"
NW=$(cd "$(dirname "$NW")" && pwd)/$(basename "$NW")
T=$(mktemp -d); trap 'exec 3>&- 2>/dev/null; rm -rf "$T"' EXIT
STATES=${STORE_POWERLOSS_STATES:-60}; SEED=${STORE_POWERLOSS_SEED:-1}
ENFORCE=${STORE_POWERLOSS_ENFORCE:-}
command -v python3 > /dev/null || fail "python3 is needed"
cc -shared -fPIC -O1 -Wall -o "$T/fsrec.so" "$SRC/tests/crash/fsrec.c" -ldl -lpthread \
    || fail "cannot build tests/crash/fsrec.c"
# an ASan build: its runtime must come first among the preloaded libraries
ASAN=$(ldd "$NW" 2>/dev/null | awk '/libasan/ {print $3}')
PRE="${ASAN:+$ASAN }$T/fsrec.so"
REC=$T/rec; S=$REC/store
mkdir -p "$REC" "$T/initial"            # the initial directory: empty (a new store)
rec() { NW_FSREC_DIR=$REC NW_FSREC_LOG=$T/log LD_PRELOAD=$PRE timeout 120 "$NW" "$@"; }
: > "$T/empty"

# A: a new store, five days (the fifth open seals the least recently used day)
for d in 1 2 3 4 5; do gen 1000 $d 2026-01-0$d; done > "$T/a.json"
rec import -q --now 2026-01-06T00:00:00Z --block-size 64K --store "$S" "$T/a.json" \
    || fail "run A failed"
# B: at its open, retention (180 days) expires 2026-01-01 and 2026-01-02
gen 2000 6 2026-07-01 > "$T/b.json"
rec import -q --now 2026-07-02T00:00:00Z --block-size 64K --store "$S" "$T/b.json" \
    || fail "run B failed"
grep -c '^expire' "$S/chain" | grep -qx 2 || fail "run B expired no days: $(cat "$S/chain")"
# C: the real clock (interval fdatasync each second), fed in bursts, killed -9
gen 6000 7 2026-07-02 > "$T/c.json"
mkfifo "$T/fifo"
NW_FSREC_DIR=$REC NW_FSREC_LOG=$T/log LD_PRELOAD=$PRE "$NW" import -q --retention-days 36500 \
    --block-size 64K --store "$S" --report-flushed "$T/flushed" - < "$T/fifo" 2> "$T/c.err" &
pid=$!  # netwarden itself (no wrapper), so that kill -9 hits it
exec 3> "$T/fifo"
for part in 1 2 3 4; do
  sed -n "$(( (part - 1) * 1500 + 1 )),$(( part * 1500 ))p" "$T/c.json" >&3
  sleep 1.2
done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null; exec 3>&-
nflushed=$(grep -o '^flushed [0-9]*$' "$T/flushed" | tail -1 | cut -d' ' -f2)
# D: the reopen recovers C's segment, then imports another day
gen 500 8 2026-07-03 > "$T/d.json"
rec import -q --retention-days 36500 --block-size 64K --store "$S" "$T/d.json" \
    2> "$T/d.err" || fail "run D failed: $(cat "$T/d.err")"
grep -q "recovered segment" "$T/d.err" || fail "run D recovered nothing: $(cat "$T/d.err")"
"$NW" verify -q --store "$S" || fail "the recorded store does not verify"
"$NW" query --store "$S" > "$T/final.json" || fail "query on the recorded store"
nfinal=$(grep -c '"id":"c' "$T/final.json")
nc=$(grep -c '"id":"c7-' "$T/final.json")
[ "$nc" -ge "${nflushed:-1}" ] || fail "run C: $nflushed flushed before the kill, $nc stored"
cat "$T"/[abcd].json > "$T/inputs.json"

# the crash states
args=(--states "$STATES" --seed "$SEED" --final-count "$nfinal" \
      --reorder "${STORE_POWERLOSS_REORDER:-12}" \
      --known "$SRC/tests/crash/powerloss_known.txt")
[ -n "$ENFORCE" ] && args+=(--enforce "$ENFORCE")
[ -n "${STORE_POWERLOSS_KEEP:-}" ] && args+=(--keep-failed)
python3 "$SRC/tests/crash/replay.py" check "$NW" "$T/log" "$T/initial" "$REC" \
    "$T/inputs.json" "$T/work" "${args[@]}" > "$T/replay.out" 2>&1
rc=$?
cat "$T/replay.out"
if [ -n "${STORE_POWERLOSS_KEEP:-}" ]; then
  mkdir -p "$STORE_POWERLOSS_KEEP" && cp -r "$T/log" "$T/initial" "$T/inputs.json" "$T/work" \
      "$STORE_POWERLOSS_KEEP"/
fi
[ $rc -eq 0 ] || fail "crash states failed (above)"

# negative controls: one segment fdatasync treated as not done (auto: the one that made
# the most blocks durable, a seal's; interval: the same among the once-a-second syncs);
# the records it synced must be reported lost
for how in auto interval; do
  python3 "$SRC/tests/crash/replay.py" check "$NW" "$T/log" "$T/initial" "$REC" \
      "$T/inputs.json" "$T/work2" --states 30 --seed "$SEED" --drop-sync $how \
      > "$T/neg.out" 2>&1
  nrc=$?
  grep '^replay: negative control' "$T/neg.out"
  grep -m2 'synced records lost' "$T/neg.out"
  [ $nrc -ne 0 ] && grep -q 'synced records lost' "$T/neg.out" \
      || fail "negative control ($how): a sync treated as not done went unnoticed: " \
              "$(tail -5 "$T/neg.out")"
done
echo "store_powerloss: passed ($nfinal records in the recorded store, $nflushed of run C" \
    "flushed before its kill; both negative controls caught)"
