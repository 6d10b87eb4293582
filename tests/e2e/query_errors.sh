#!/usr/bin/env bash
# Bad input to `netwarden query` and `query who`: a bad time expression, a bad
# CIDR, a wrong store path, an empty store, a damaged store. Each gives one clear
# line on stderr, the documented exit code, and no crash or sanitizer report.
set -u
NW=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
export TZ=Asia/Shanghai

# run NAME EXPECTED_RC STDERR_REGEX args...
run() {
    local name=$1 want_rc=$2 want_err=$3
    shift 3
    "$NW" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ $rc -ne "$want_rc" ]; then
        echo "FAIL $name: exit $rc, expected $want_rc; stderr:"; cat "$T/err"; fail=1; return
    fi
    if ! grep -Eq -- "$want_err" "$T/err" "$T/out"; then
        echo "FAIL $name: output lacks /$want_err/:"; cat "$T/err"; fail=1; return
    fi
    if grep -q -E "AddressSanitizer|runtime error|LeakSanitizer" "$T/err"; then
        echo "FAIL $name: sanitizer report"; cat "$T/err"; fail=1; return
    fi
    echo "ok   $name: $(head -c 300 "$T/err" | head -1)"
}

# a small store: one RADIUS login of alice on 10.1.2.3, traffic, logout
cat >"$T/rec.jsonl" <<'J'
{"timestamp":"2026-09-03T13:50:00.000000+08:00","event_type":"session","src_ip":"10.1.2.3","session":{"state":"start","source":"radius","login":"2026-09-03T13:50:00.000000+08:00","nas":"10.0.0.1"},"user":{"ip":"10.1.2.3","account":"alice","mac":"02:00:00:00:01:23","calling_station":"13800138000","source":"radius","session_id":"SESS-1"}}
{"timestamp":"2026-09-03T14:05:10.000000+08:00","flow_id":7,"event_type":"http","src_ip":"10.1.2.3","src_port":5000,"dest_ip":"93.184.216.34","dest_port":80,"proto":"TCP","http":{"hostname":"www.example.com","url":"/login","http_method":"GET","status":200},"user":{"ip":"10.1.2.3","account":"alice","mac":"02:00:00:00:01:23","calling_station":"13800138000","source":"radius","session_id":"SESS-1"}}
{"timestamp":"2026-09-03T15:10:00.000000+08:00","event_type":"session","src_ip":"10.1.2.3","session":{"state":"end","source":"radius","login":"2026-09-03T13:50:00.000000+08:00","logout":"2026-09-03T15:10:00.000000+08:00","duration":4800.000000,"reason":"stop","nas":"10.0.0.1"},"user":{"ip":"10.1.2.3","account":"alice","mac":"02:00:00:00:01:23","calling_station":"13800138000","source":"radius","session_id":"SESS-1"}}
{"timestamp":"2026-09-03T16:00:00.000000+08:00","flow_id":8,"event_type":"dns","src_ip":"10.9.9.9","src_port":5353,"dest_ip":"10.0.0.53","dest_port":53,"proto":"UDP","dns":{"type":"request","queries":[{"rrname":"static.example.org","rrtype":"A"}]},"user":{"ip":"10.9.9.9","account":"printer-admin","mac":"aa:bb:cc:dd:ee:ff","source":"static"}}
J
"$NW" import --store "$T/store" "$T/rec.jsonl" >/dev/null 2>"$T/imp" || { echo "FAIL import:"; cat "$T/imp"; exit 1; }

# Several bindings at once, and an address handed from one user to the next:
# on 10.2.0.7 alice (RADIUS) 13:00-14:00, bob (RADIUS) from 14:00, a DHCP lease
# from 13:55; on 10.2.0.8 carol, whose session ended with the input (logout null).
S='"event_type":"session","src_ip"'
cat >"$T/reuse.jsonl" <<J
{"timestamp":"2026-09-03T13:00:00.000000+08:00",$S:"10.2.0.7","session":{"state":"start","source":"radius","login":"2026-09-03T13:00:00.000000+08:00"},"user":{"ip":"10.2.0.7","account":"alice","source":"radius","session_id":"A1"}}
{"timestamp":"2026-09-03T13:55:00.000000+08:00",$S:"10.2.0.7","session":{"state":"start","source":"dhcp","login":"2026-09-03T13:55:00.000000+08:00"},"user":{"ip":"10.2.0.7","mac":"02:00:00:00:00:bb","hostname":"bob-laptop","source":"dhcp"}}
{"timestamp":"2026-09-03T14:00:00.000000+08:00",$S:"10.2.0.7","session":{"state":"end","source":"radius","login":"2026-09-03T13:00:00.000000+08:00","logout":"2026-09-03T14:00:00.000000+08:00","reason":"stop"},"user":{"ip":"10.2.0.7","account":"alice","source":"radius","session_id":"A1"}}
{"timestamp":"2026-09-03T14:00:00.000000+08:00",$S:"10.2.0.7","session":{"state":"start","source":"radius","login":"2026-09-03T14:00:00.000000+08:00"},"user":{"ip":"10.2.0.7","account":"bob","source":"radius","session_id":"B1"}}
{"timestamp":"2026-09-03T10:00:00.000000+08:00",$S:"10.2.0.8","session":{"state":"start","source":"pppoe","login":"2026-09-03T10:00:00.000000+08:00"},"user":{"ip":"10.2.0.8","account":"carol","source":"pppoe"}}
{"timestamp":"2026-09-03T11:00:00.000000+08:00",$S:"10.2.0.8","session":{"state":"end","source":"pppoe","login":"2026-09-03T10:00:00.000000+08:00","logout":null,"reason":"end_of_input"},"user":{"ip":"10.2.0.8","account":"carol","source":"pppoe"}}
J
"$NW" import --store "$T/reuse" "$T/reuse.jsonl" >/dev/null 2>"$T/imp" || { echo "FAIL import:"; cat "$T/imp"; exit 1; }
# who_order IP TIME EXPECTED: the bindings in force, in the order shown (account or MAC)
who_order() {
    local got
    got=$("$NW" query who --store "$T/reuse" --ip "$1" --at "$2" --format json 2>"$T/err" |
        python3 -c 'import json,sys
d = json.load(sys.stdin)
print(" ".join(b.get("account") or b.get("mac", "?") for b in d["bindings"]) or "none")')
    if [ "$got" = "$3" ]; then echo "ok   who $1 at $2: $got"
    else echo "FAIL who $1 at $2: '$got', expected '$3'"; cat "$T/err"; fail=1; fi
}
who_order 10.2.0.7 "2026-09-03 13:30" "alice"
who_order 10.2.0.7 "2026-09-03 13:59:59" "alice 02:00:00:00:00:bb"
who_order 10.2.0.7 "2026-09-03 14:00" "bob 02:00:00:00:00:bb"
who_order 10.2.0.7 "2026-09-03 12:59:59" "none"
who_order 10.2.0.8 "2026-09-03 10:30" "carol"
who_order 10.2.0.8 "2026-09-03 11:30" "none"

run bad_time 2 "bad time 'last tuesday'; accepted: RFC 3339" query --store "$T/store" --since "last tuesday"
run bad_time_until 2 "accepted: RFC 3339" query --store "$T/store" --until 2026-13-01
run bad_cidr 2 "--ip: bad address '10.1.2.0/33'" query --store "$T/store" --ip 10.1.2.0/33
run cidr_host_bits 2 "host bits set after /16" query --store "$T/store" --ip 10.1.2.3/16
run bad_mac 2 "bad MAC address" query --store "$T/store" --mac 02:00:00
run bad_format 2 "use json, table or csv" query --store "$T/store" --format xml
run bad_range 2 "is not before --until" query --store "$T/store" --since 2026-09-04 --until 2026-09-03
run unknown_opt 2 "unknown option '--colour'" query --store "$T/store" --colour red
run stray_arg 2 "unexpected argument 'alice'" query --store "$T/store" alice
run no_store 2 "no store at $T/nope" query --store "$T/nope"
run not_a_dir 2 "not a directory" query --store "$T/rec.jsonl"
mkdir -p "$T/emptydir"
run not_a_store 2 "$T/emptydir" query --store "$T/emptydir"
run no_match 0 "no record matches; the store .* holds records of 1 day" query --store "$T/store" --user nobody
run who_found 0 "account +alice" query who --store "$T/store" --ip 10.1.2.3 --at "2026-09-03 14:05"
run who_json 0 "\"account\":\"alice\"" query who --store "$T/store" --ip 10.1.2.3 --at "2026-09-03T14:05:00+08:00" --format json
run who_after_logout 1 "no user is known to have held 10.1.2.3 at 2026-09-03T15:10:00.000000\\+08:00; the store" query who --store "$T/store" --ip 10.1.2.3 --at "2026-09-03 15:10"
run who_before_login 1 "no user is known" query who --store "$T/store" --ip 10.1.2.3 --at "2026-09-03 13:49:59"
run who_static 0 "printer-admin" query who --store "$T/store" --ip 10.9.9.9 --at "2026-09-03 16:00:30"
run who_cidr 2 "takes one address, not a network" query who --store "$T/store" --ip 10.1.2.0/24 --at now
run who_bad_time 2 "--at: bad time" query who --store "$T/store" --ip 10.1.2.3 --at "3pm"
run who_no_ip 2 "give the address" query who --store "$T/store"
run who_no_store 2 "no store at" query who --store "$T/nope" --ip 10.1.2.3

# an empty store: created by importing nothing
: >"$T/empty.jsonl"
"$NW" import --store "$T/empty" "$T/empty.jsonl" >/dev/null 2>&1
if [ -d "$T/empty" ]; then
    run empty_store 0 "no record matches; the store .* holds no records yet" query --store "$T/empty"
    run empty_store_who 1 "no user is known .* holds no records yet" query who --store "$T/empty" --ip 10.1.2.3 --at now
fi

# a damaged store: flip bytes in the middle of every segment file
cp -r "$T/store" "$T/damaged"
for f in $(find "$T/damaged" -name '*.nws'); do
    sz=$(stat -c %s "$f")
    printf '\xff\xff\xff\xff\xff\xff\xff\xff' | dd of="$f" bs=1 seek=$((sz / 2)) conv=notrunc 2>/dev/null
done
run damaged 3 "damaged|netwarden verify|corrupt|checksum" query --store "$T/damaged"
# a truncated segment
cp -r "$T/store" "$T/trunc"
for f in $(find "$T/trunc" -name '*.nws'); do truncate -s 40 "$f"; done
"$NW" query --store "$T/trunc" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 0 ] || [ $rc -eq 3 ] || [ $rc -eq 2 ]; then
    if grep -q -E "AddressSanitizer|runtime error" "$T/err"; then echo "FAIL truncated: sanitizer"; fail=1;
    else echo "ok   truncated: exit $rc: $(head -1 "$T/err")"; fi
else
    echo "FAIL truncated: exit $rc"; cat "$T/err"; fail=1
fi
exit $fail
