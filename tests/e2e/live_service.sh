#!/usr/bin/env bash
# What a 24/7 live audit meets, on one end of a veth pair (the other end in a
# network namespace this test creates):
#  - an outage: the pair is deleted mid-run and created again; the audit must
#    go on, raise a capture_lost and a capture_resumed alarm record (EVE and
#    store) and audit the traffic after the return;
#  - log rotation: the EVE file is renamed and SIGHUP sent; later records go to
#    a new file at the path, none is lost;
#  - a restart: a second run appends to the EVE file, never truncates it (and
#    its --filter keeps DNS out);
#  - capture_retry = 0: the loss ends the run with exit 3 naming the interface.
# Needs root (ip netns); skipped (exit 0 with a note) otherwise.
set -u
NW=$1
SRC=$2
T=$(mktemp -d)
. "$SRC/tests/e2e/live/lib.sh"
live_init nwo logrotate
fail=0
bad() { echo "FAIL: $*"; fail=1; }

get() { # path: one HTTP GET through the pair, retried while the server starts
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        python3 -c "import urllib.request,sys
urllib.request.urlopen('http://10.78.0.2:8080/$1', timeout=2).read()" 2>/dev/null && return 0
        sleep 0.5
    done
    return 1
}
seen() { # path file: GET it until its record is in file (the capture may start late)
    for _ in $(seq 1 20); do
        get "$1" && sleep 0.5 && grep -q "\"url\":\"/$1\"" "$2" && return 0
    done
    return 1
}
wait_for() { # file pattern seconds
    for _ in $(seq 1 $(($3 * 10))); do grep -q -- "$2" "$1" && return 0; sleep 0.1; done
    return 1
}

mkdir -p "$T/www"
for f in one two three four; do echo "$f" > "$T/www/$f.txt"; done
live_pair 10.78.0 "$T/www" || { echo "FAIL: cannot create the veth pair"; exit 1; }
printf '[audit]\ncapture_retry = 1\n' > "$T/retry.conf"

"$NW" audit -c "$T/retry.conf" -i "$ha" --eve "$T/live.json" --store "$T/store" \
    2>"$T/nw.err" &
nwpid=$!
sleep 1
seen one.txt "$T/live.json" || bad "first GET not audited"
sleep 0.5
ip link del "$ha"
wait_for "$T/nw.err" "warning: capture on $ha" 10 || bad "no warning when the interface went away"
kill -0 "$nwpid" 2>/dev/null || bad "audit ended when the interface went away"
sleep 1.5
live_pair 10.78.0 "$T/www" || bad "cannot create the veth pair again"
wait_for "$T/nw.err" "capture on $ha resumed" 10 || bad "capture did not resume"
seen two.txt "$T/live.json" || bad "second GET not audited"
sleep 1
# the shipped logrotate file, run by logrotate itself, HUPs this process instead
sed -e "s|/var/log/netwarden/eve.json|$T/live.json|" \
    -e "s|systemctl reload netwarden-audit.service|kill -HUP $nwpid|" \
    "$SRC/contrib/logrotate.netwarden" > "$T/logrotate.conf"
logrotate -f -s "$T/logrotate.state" "$T/logrotate.conf" 2>"$T/logrotate.err" ||
    { bad "logrotate failed"; cat "$T/logrotate.err"; }
wait_for "$T/nw.err" "reopened $T/live.json" 5 || bad "no reopen after SIGHUP"
[ -f "$T/live.json.1" ] || bad "logrotate did not rotate (delaycompress keeps .1 plain)"
# records name people: the file is not for every local user (umask permitting)
[ "$(umask)" != 0022 ] || [ "$(stat -c %a "$T/live.json")" = 640 ] ||
    bad "the reopened EVE file has mode $(stat -c %a "$T/live.json"), want 640"
seen three.txt "$T/live.json" || bad "third GET not audited"
sleep 1
kill -INT "$nwpid"
wait "$nwpid"
rc=$?
nwpid=
[ $rc -eq 0 ] || bad "netwarden exited $rc after SIGINT"
grep -q '"url":"/one.txt"' "$T/live.json.1" || bad "no http record before the outage"
grep -q '"url":"/two.txt"' "$T/live.json.1" || bad "no http record after the outage"
grep -q '"url":"/three.txt"' "$T/live.json" || bad "no http record in the file after SIGHUP"
grep -q '"url":"/three.txt"' "$T/live.json.1" && bad "a record after SIGHUP in the rotated file"
lost=$(cat "$T/live.json.1" "$T/live.json" | grep '"event_type":"alarm"' |
       grep '"kind":"capture_lost"')
back=$(cat "$T/live.json.1" "$T/live.json" | grep '"event_type":"alarm"' |
       grep '"kind":"capture_resumed"')
[ "$(printf '%s\n' "$lost" | grep -c "\"interface\":\"$ha\"")" -eq 1 ] ||
    bad "want one capture_lost alarm for $ha, got: $lost"
printf '%s\n' "$back" | grep -q '"down_seconds":[1-9][0-9]*\.[0-9]\{6\}[,}]' ||
    bad "capture_resumed alarm without a down_seconds of 1 s or more: $back"
# the same alarms are kept in the store, which still verifies
q=$("$NW" query --store "$T/store" --type alarm 2>&1)
[ "$(printf '%s\n' "$q" | grep -c '"kind":"capture_')" -eq 2 ] || bad "store alarms: $q"
"$NW" verify --store "$T/store" >/dev/null 2>"$T/verify.err" ||
    { bad "verify"; cat "$T/verify.err"; }
grep -q "capture: lost 1 time" "$T/nw.err" || bad "summary does not count the outage"
if grep -q -E "AddressSanitizer|LeakSanitizer|runtime error" "$T/nw.err"; then
    bad "sanitizer"; cat "$T/nw.err"
fi
# every record of the run is in one of the two files, once: the store has them all
n_eve=$(cat "$T/live.json.1" "$T/live.json" | grep -c .)
n_store=$("$NW" query --store "$T/store" | grep -c .)
[ "$n_eve" -eq "$n_store" ] || bad "rotation: $n_eve records in the EVE files, $n_store stored"
[ $fail -eq 0 ] && echo "ok   outage and rotation: audit went on, alarms kept, $n_eve records"
[ $fail -eq 0 ] || { cat "$T/nw.err"; grep alarm "$T/live.json.1" "$T/live.json"; }
[ -n "${NW_SHOW:-}" ] && { cat "$T/nw.err"; grep alarm "$T/live.json.1" "$T/live.json"; }

# a restart appends to the EVE file (a truncation would destroy the records before)
f0=$fail
before=$(grep -c . "$T/live.json")
"$NW" audit -i "$ha" --filter "tcp port 8080" --eve "$T/live.json" 2>"$T/nw2.err" &
nwpid=$!
sleep 1
seen four.txt "$T/live.json" || bad "restart: GET not audited"
python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(
    b'\x12\x34\x01\x00\x00\x01' + bytes(6) + b'\x01x\x00\x00\x01\x00\x01', ('10.78.0.2', 53))"
sleep 1
kill -INT "$nwpid"
wait "$nwpid" || bad "restart: exit $?"
nwpid=
head -n "$before" "$T/live.json" | grep -q '"url":"/three.txt"' ||
    bad "restart: the records of the run before are gone"
grep -q '"url":"/four.txt"' "$T/live.json" || bad "restart: no record of the new run"
tail -n +$((before + 1)) "$T/live.json" | grep -q '"dest_port":53' &&
    bad "restart with --filter 'tcp port 8080': a DNS packet was audited"
[ $fail -eq "$f0" ] && echo "ok   restart: appended after $before records"
[ $fail -eq "$f0" ] || cat "$T/nw2.err"

# capture_retry = 0: the loss ends the run, as a runtime failure naming the interface
f0=$fail
printf '[audit]\ncapture_retry = 0\n' > "$T/noretry.conf"
"$NW" audit -c "$T/noretry.conf" -i "$ha" --eve "$T/live0.json" 2>"$T/nw0.err" &
nwpid=$!
sleep 1
ip link del "$ha"
for _ in $(seq 1 100); do kill -0 "$nwpid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$nwpid" 2>/dev/null; then
    bad "capture_retry = 0: still running 10 s after the interface went away"
else
    wait "$nwpid"
    rc=$?
    [ $rc -eq 3 ] || bad "capture_retry = 0: exit $rc, want 3"
    grep -q "error: capture on $ha failed" "$T/nw0.err" || bad "capture_retry = 0: no error line"
fi
nwpid=
[ $fail -eq "$f0" ] && echo "ok   capture_retry = 0: exit 3 naming the interface"
[ $fail -eq "$f0" ] || cat "$T/nw0.err"
exit $fail
