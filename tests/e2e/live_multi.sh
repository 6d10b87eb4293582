#!/usr/bin/env bash
# Several interfaces feeding one audit, as a box with a mirror port and a
# management port sees an access network: the subscribers' HTTP on one veth
# pair, the NAS's RADIUS accounting on another.
#  - the HTTP record of an address carries the account that RADIUS bound to it
#    on the other interface; after the Stop it does not;
#  - an outage of the RADIUS interface raises its alarms while the traffic on
#    the other is still audited;
#  - the list comes from [audit] interface as well; a mistyped name and a name
#    given twice are refused (exit 2, named).
# Needs root (ip netns); skipped (exit 0 with a note) otherwise.
set -u
NW=$1
SRC=$2
T=$(mktemp -d)
. "$SRC/tests/e2e/live/lib.sh"
live_init nwm
fail=0
bad() { echo "FAIL: $*"; fail=1; }
ra=${ha}r
rb=${hb}r

get() { # path: one HTTP GET over the traffic pair, retried while the server starts
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        python3 -c "import urllib.request
urllib.request.urlopen('http://10.83.0.2:8080/$1', timeout=2).read()" 2>/dev/null && return 0
        sleep 0.5
    done
    return 1
}
seen() { # pattern file: wait until the pattern is in file (records reach it within 1 s)
    for _ in $(seq 1 40); do grep -q -- "$1" "$2" && return 0; sleep 0.1; done
    return 1
}
acct() { # status user: an Accounting-Request for 10.83.0.1 from the namespace's NAS
    ip netns exec "$ns" python3 - "$1" "$2" <<'PY'
import os, socket, struct, sys
status, user = int(sys.argv[1]), sys.argv[2].encode()
def attr(t, v):
    return bytes([t, len(v) + 2]) + v
body = (attr(40, struct.pack(">I", status)) + attr(1, user) + attr(8, socket.inet_aton("10.83.0.1"))
        + attr(31, b"13800138000") + attr(44, b"multi-1") + attr(4, socket.inet_aton("10.84.0.2")))
pkt = struct.pack(">BBH", 4, status, 20 + len(body)) + os.urandom(16) + body
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(pkt, ("10.84.0.1", 1813))
PY
}
rec() { # path: the http record of GET path in the EVE file
    grep '"event_type":"http"' "$T/live.json" | grep "\"url\":\"/$1\""
}

mkdir -p "$T/www"
for f in before during after stopped; do echo "$f" > "$T/www/$f.txt"; done
live_pair 10.83.0 "$T/www" || { echo "FAIL: cannot create the traffic pair"; exit 1; }
live_pair 10.84.0 "" "$ra" "$rb" || { echo "FAIL: cannot create the RADIUS pair"; exit 1; }
printf '[audit]\ninterface = "%s, %s"\ncapture_retry = 1\nstats_interval = 1\n' "$ha" "$ra" \
    > "$T/nw.conf"

# the interfaces from the configuration file
"$NW" audit -c "$T/nw.conf" --eve "$T/live.json" 2>"$T/nw.err" &
nwpid=$!
sleep 1
acct 1 alice.multi
seen '"event_type":"radius"' "$T/live.json" || bad "no radius record from $ra"
get before.txt || bad "GET before.txt failed"
seen '"url":"/before.txt"' "$T/live.json" || bad "GET before.txt not audited on $ha"
# the RADIUS port goes away: the traffic on the other is still audited
ip link del "$ra"
seen "warning: capture on $ra" "$T/nw.err" || bad "no warning when $ra went away"
get during.txt || bad "GET during.txt failed"
seen '"url":"/during.txt"' "$T/live.json" || bad "traffic not audited while $ra was down"
live_pair 10.84.0 "" "$ra" "$rb" || bad "cannot create the RADIUS pair again"
seen "capture on $ra resumed" "$T/nw.err" || bad "capture on $ra did not resume"
get after.txt || bad "GET after.txt failed"
seen '"url":"/after.txt"' "$T/live.json" || bad "GET after.txt not audited"
acct 2 alice.multi
seen '"acct_status_name":"Stop"' "$T/live.json" || bad "no Stop record from $ra"
get stopped.txt || bad "GET stopped.txt failed"
seen '"url":"/stopped.txt"' "$T/live.json" || bad "GET stopped.txt not audited"
kill -TERM "$nwpid"
wait "$nwpid"
rc=$?
nwpid=
[ $rc -eq 0 ] || bad "netwarden exited $rc after SIGTERM"

for f in before during after; do
    rec $f.txt | grep -q '"user":{[^}]*"account":"alice.multi"[^}]*"calling_station":"138001' ||
        bad "$f.txt: the record does not carry the RADIUS account: $(rec $f.txt)"
done
rec stopped.txt | grep -q '"account":"alice.multi"' &&
    bad "stopped.txt: the account after its Stop: $(rec stopped.txt)"
alarms=$(grep '"event_type":"alarm"' "$T/live.json")
[ "$(printf '%s\n' "$alarms" | grep -c "\"interface\":\"$ra\"")" -eq 2 ] ||
    bad "want a capture_lost and a capture_resumed alarm for $ra, got: $alarms"
printf '%s\n' "$alarms" | grep -q "\"interface\":\"$ha\"" && bad "an alarm for $ha: $alarms"
grep -q "2 sources" "$T/nw.err" || bad "summary does not count 2 sources"
grep '"event_type":"stats"' "$T/live.json" | grep -q "{\"name\":\"$ra\",\"up\":false" ||
    bad "no stats record shows $ra down"
grep '"event_type":"stats"' "$T/live.json" | tail -1 | grep -q "\"up\":false" &&
    bad "the last stats record shows an interface down"
grep -q "capture: lost 1 time" "$T/nw.err" || bad "summary does not count the outage"
if grep -q -E "AddressSanitizer|LeakSanitizer|runtime error" "$T/nw.err"; then
    bad "sanitizer"
fi
[ $fail -eq 0 ] && echo "ok   two interfaces: RADIUS on $ra attributes HTTP on $ha, outage of one"
[ $fail -eq 0 ] || { cat "$T/nw.err"; cat "$T/live.json"; }

# refused at the start: a name that is not an interface, and one given twice
f0=$fail
"$NW" audit -i "$ha" -i nosuch0if --eve "$T/x.json" 2>"$T/bad.err"
rc=$?
[ $rc -eq 2 ] && grep -q "nosuch0if" "$T/bad.err" ||
    bad "a missing interface: exit $rc, $(cat "$T/bad.err")"
"$NW" audit -i "$ha" -i "$ha" --eve "$T/x.json" 2>"$T/bad.err"
rc=$?
[ $rc -eq 2 ] && grep -q "$ha is given twice" "$T/bad.err" ||
    bad "an interface twice: exit $rc, $(cat "$T/bad.err")"
[ $fail -eq "$f0" ] && echo "ok   a missing or repeated interface is refused"
exit $fail
