#!/usr/bin/env bash
# store_diskfull.sh NETWARDEN SRCDIR - the disk fills during an import: the
# store stops writing cleanly (exit 3, a clear error), writes an `alarm`
# record with the space it kept in reserve, counts what it missed, deletes
# nothing, and everything it had stored is intact (verify, query).
# Uses a real 2 MiB tmpfs when we may mount one (root), else the store's
# simulated device size (NW_STORE_DISK_LIMIT).
set -u
NW=${1:?netwarden binary}; SRC=${2:?source dir}
. "$SRC/tests/e2e/store/lib.sh"
T=$(mktemp -d); M=$T/mnt; mkdir "$M"
cleanup() { mountpoint -q "$M" && umount "$M"; rm -rf "$T"; }
trap cleanup EXIT
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=2m tmpfs "$M" 2>/dev/null; then
  mode="tmpfs 2 MiB"; unset NW_STORE_DISK_LIMIT
else
  mode="simulated 2 MiB"; export NW_STORE_DISK_LIMIT=2097152
fi
S=$M/store; NOW=2026-04-02T00:00:00Z
NOISE=1 gen 40000 1 2026-04-01 > "$T/in.json"
"$NW" import --now $NOW --block-size 64K --store "$S" "$T/in.json" 2> "$T/err"; rc=$?
[ $rc -eq 3 ] || fail "disk full: exit $rc, want 3: $(cat "$T/err")"
grep -q "writing stopped: No space left on device" "$T/err" || fail "no clear error: $(cat "$T/err")"
grep -q "No stored record was deleted" "$T/err" || fail "error does not say nothing was deleted"
missed=$(sed -n 's/.* \([0-9]*\) missed.*/\1/p' "$T/err" | tail -1)
[ "${missed:-0}" -gt 0 ] || fail "missed records not counted: $(cat "$T/err")"
unset NW_STORE_DISK_LIMIT
"$NW" verify -q --store "$S" 2> "$T/verr" || fail "verify after disk full: $(cat "$T/verr")"
"$NW" query --store "$S" > "$T/all.json" || fail query
grep -q '"event_type":"alarm".*"kind":"store_write_stopped"' "$T/all.json" || fail "no alarm record"
k=$(grep -c '"id":"c1-' "$T/all.json")
head -n "$k" "$T/in.json" | sort > "$T/exp"; grep '"id":"c1-' "$T/all.json" | sort > "$T/got"
cmp -s "$T/exp" "$T/got" || fail "stored records are not the first $k input lines"
[ $((k + missed)) -eq 40000 ] || fail "stored $k + missed $missed != 40000"
echo "store_diskfull ($mode): stopped cleanly; $k stored, $missed missed, alarm written, verify ok"
