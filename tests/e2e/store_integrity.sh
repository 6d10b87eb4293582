#!/usr/bin/env bash
# store_integrity.sh NETWARDEN SRCDIR - verify passes on an intact store and
# names the segment when one is altered (one byte), removed, swapped with
# another, or truncated; a changed chain line; signatures with the right and
# a wrong key; usage errors exit 2.
set -u
NW=${1:?netwarden binary}; SRC=${2:?source dir}
. "$SRC/tests/e2e/store/lib.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
S=$T/store; NOW=2026-01-12T00:00:00Z
for c in 1 2 3 4 5; do   # five imports = five sealed segments of one day
  gen 400 $c 2026-01-10 > "$T/in$c.json"
  "$NW" import -q --now $NOW --store "$S" "$T/in$c.json" || fail "import $c"
done
"$NW" verify --store "$S" > "$T/out" || fail "intact store does not verify: $(cat "$T/out")"
grep -q "intact: 10 chain lines, 5 sealed segments (2000 records" "$T/out" || fail "summary: $(cat "$T/out")"
D=$S/2026-01-10
segs=($(ls "$D" | sort)); [ ${#segs[@]} -eq 5 ] || fail "expected 5 segments, got ${segs[*]}"
cp -a "$S" "$T/backup"
restore() { rm -rf "$S"; cp -a "$T/backup" "$S"; }
expect_fail() { # WHAT NAME: verify exits 1 and names NAME and WHAT
  "$NW" verify --store "$S" > /dev/null 2> "$T/err"; rc=$?
  [ $rc -eq 1 ] || fail "$1: verify exit $rc, want 1: $(cat "$T/err")"
  grep -q "$2" "$T/err" || fail "$1: message does not name $2: $(cat "$T/err")"
  grep -q "$1" "$T/err" || fail "$1: message does not say '$1': $(cat "$T/err")"
  echo "ok: $1 -> $(cat "$T/err")"
}
# one byte flipped in the middle of segment 3
f=$D/${segs[2]}; sz=$(stat -c %s "$f")
printf '\x5a' | dd of="$f" bs=1 seek=$((sz / 2)) conv=notrunc status=none
expect_fail altered "${segs[2]}"; restore
# segment 2 removed
rm "$D/${segs[1]}"; expect_fail removed "${segs[1]}"; restore
# segments 2 and 4 swapped
mv "$D/${segs[1]}" "$T/x"; mv "$D/${segs[3]}" "$D/${segs[1]}"; mv "$T/x" "$D/${segs[3]}"
expect_fail reordered "${segs[1]}"; restore
# the newest truncated
truncate -s -100 "$D/${segs[4]}"; expect_fail truncated "${segs[4]}"; restore
# a chain line edited (record count of segment 1)
sed -i '2s/ 400 / 401 /' "$S/chain"; expect_fail "chain" "chain:2"; restore
# a chain line with more fields than any kind has (verify read a pointer it never set: SIGSEGV)
sed -i '3s/$/ x x x x x x x x x/' "$S/chain"; expect_fail "malformed" "chain:3"; restore
# an extra segment file
cp "$D/${segs[0]}" "$D/000000000099.nws"; expect_fail "not in the chain" "000000000099.nws"; restore
"$NW" verify -q --store "$S" || fail "restored store does not verify"
# signatures
"$NW" store-keygen --out "$T/k" 2>/dev/null || fail keygen
"$NW" store-keygen --out "$T/k" 2>/dev/null && fail "keygen overwrote a key"
"$NW" store-keygen --out "$T/other" 2>/dev/null || fail keygen2
gen 300 9 2026-01-10 > "$T/in9.json"
"$NW" import -q --now $NOW --sign-key "$T/k" --store "$T/signed" "$T/in9.json" || fail "signed import"
"$NW" verify -q --store "$T/signed" --pubkey "$T/k.pub" || fail "signed store does not verify"
"$NW" verify -q --store "$T/signed" --pubkey "$T/other.pub" 2> "$T/err"; [ $? -eq 1 ] || fail "wrong key accepted"
grep -q "signature" "$T/err" || fail "wrong key message: $(cat "$T/err")"
"$NW" verify -q --store "$S" --pubkey "$T/k.pub" 2> "$T/err"; [ $? -eq 1 ] || fail "unsigned store passed --pubkey"
grep -q "not signed" "$T/err" || fail "unsigned message: $(cat "$T/err")"
mkdir "$T/signed/inner"; cp "$T/k" "$T/signed/inner/k"
"$NW" import -q --now $NOW --sign-key "$T/signed/inner/k" --store "$T/signed" "$T/in9.json" 2> "$T/err" && fail "key inside the store accepted"
grep -q "inside the store" "$T/err" || fail "key-inside message: $(cat "$T/err")"
# usage and input errors: exit 2
"$NW" verify > /dev/null 2>&1; [ $? -eq 2 ] || fail "verify without --store"
"$NW" verify --store "$T/nothing" > /dev/null 2> "$T/err"; [ $? -eq 2 ] || fail "verify of a non-store"
grep -q "not a netwarden store" "$T/err" || fail "non-store message: $(cat "$T/err")"
echo "store_integrity: all passed"
