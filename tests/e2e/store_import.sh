#!/usr/bin/env bash
# store_import.sh NETWARDEN SRCDIR - import takes Suricata's eve.json as it
# is (+0000 offsets, alert records, Suricata v1 dns), reports every line that
# is not a JSON object with a timestamp as FILE:LINE (exit 2), stores the
# rest byte-exact, and skips blank lines.
set -u
NW=${1:?netwarden binary}; SRC=${2:?source dir}
. "$SRC/tests/e2e/store/lib.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cat > "$T/eve.json" <<'J'
{"timestamp":"2024-03-05T10:11:12.123456+0000","flow_id":1,"in_iface":"eth0","event_type":"alert","src_ip":"10.0.0.1","src_port":1,"dest_ip":"10.0.0.2","dest_port":80,"proto":"TCP","alert":{"action":"allowed","signature_id":1,"signature":"x \u00e9"}}
not json

{"no_timestamp":1}
{"timestamp":"2024-03-05T10:11:13.000000+0000","event_type":"dns","dns":{"type":"answer","rrname":"Www.Example.org"}}
{"a":1} trailing
J
"$NW" import --now 2024-03-06T00:00:00Z --store "$T/s" "$T/eve.json" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "exit $rc, want 2: $(cat "$T/err")"
grep -q "eve.json:2: not stored: not a valid JSON object" "$T/err" || fail "line 2: $(cat "$T/err")"
grep -q "eve.json:4: not stored: no valid \"timestamp\"" "$T/err" || fail "line 4: $(cat "$T/err")"
grep -q "eve.json:6: not stored" "$T/err" || fail "line 6: $(cat "$T/err")"
grep -q "eve.json:3" "$T/err" && fail "blank line reported"
grep -q "5 lines: 2 stored, 3 rejected" "$T/err" || fail "summary: $(cat "$T/err")"
"$NW" query --store "$T/s" > "$T/out" || fail query
grep '"timestamp"' "$T/eve.json" | grep -v no_timestamp > "$T/want"
cmp -s "$T/out" "$T/want" || fail "stored records differ: $(diff "$T/want" "$T/out")"
"$NW" query --store "$T/s" --domain example.org | grep -q Www.Example.org || fail "dns v1 rrname not indexed"
"$NW" import --store "$T/s" "$T/missing.json" 2> "$T/err"; [ $? -eq 2 ] || fail "missing file not exit 2"
grep -q "cannot open .*missing.json" "$T/err" || fail "missing file message: $(cat "$T/err")"
# A line of 9 MB (over two read buffers) is one rejected line: the lines after it
# keep their numbers, and 25 rejections list 20 and count the rest
python3 - "$T/long.json" <<'PY'
import sys
rec = '{"timestamp":"2024-03-05T10:00:0%d.000000+00:00","event_type":"flow","n":%d}'
lines = [rec % (1, 1), '{"timestamp":"2024-03-05T10:00:02.000000+00:00","pad":"' + "x" * (9 << 20) + '"}',
         rec % (3, 3)] + ["garbage %d" % i for i in range(24)] + [rec % (4, 4)]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
"$NW" import --now 2024-03-06T00:00:00Z --store "$T/long" "$T/long.json" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "long line: exit $rc, want 2: $(head -3 "$T/err")"
grep -q "long.json:2: not stored: line longer than" "$T/err" || fail "long line: $(head -3 "$T/err")"
[ "$(grep -c "line longer than" "$T/err")" = 1 ] || fail "long line reported more than once"
grep -q "long.json:4: not stored: not a valid JSON object" "$T/err" || fail "long line: the next numbers moved: $(head -3 "$T/err")"
grep -q "28 lines: 3 stored, 25 rejected" "$T/err" || fail "long line summary: $(tail -2 "$T/err")"
grep -q "(5 more rejected lines not listed)" "$T/err" || fail "long line: rejections past 20: $(tail -2 "$T/err")"
[ "$("$NW" query --store "$T/long" | wc -l)" = 3 ] || fail "long line: the 3 good records"
echo "store_import: all passed"
