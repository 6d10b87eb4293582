#!/usr/bin/env bash
# Live capture: `netwarden audit -i` on one end of a veth pair whose other end
# is in a network namespace this test creates; real HTTP and DNS traffic
# crosses it; SIGINT must stop the capture cleanly and flush every open flow.
# Needs root (ip netns); skipped (exit 0 with a note) otherwise.
set -u
NW=$1
SRC=$2
T=$(mktemp -d)
. "$SRC/tests/e2e/live/lib.sh"
live_init nwl
mkdir -p "$T/www"
echo "hello from the namespace" > "$T/www/hello.txt"
live_pair 10.77.0 "$T/www" || { echo "FAIL: cannot create the veth pair"; exit 1; }

"$NW" audit -i "$ha" --eve "$T/live.json" 2>"$T/nw.err" &
nwpid=$!
sleep 1.5
for i in 1 2 3 4 5 6 7 8 9 10; do
    python3 - <<'PY' && break
import urllib.request
urllib.request.urlopen("http://10.77.0.2:8080/hello.txt", timeout=2).read()
PY
    sleep 0.5
done
python3 - <<'PY'
import socket, struct
q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in "live.example.org".split(".")) + b"\0"
q += struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(q, ("10.77.0.2", 53))
PY
sleep 1
kill -INT "$nwpid"
wait "$nwpid"
rc=$?
nwpid=
fail=0
[ $rc -eq 0 ] || { echo "FAIL: netwarden exited $rc after SIGINT"; cat "$T/nw.err"; fail=1; }
grep -q '"url":"/hello.txt"' "$T/live.json" || { echo "FAIL: no http record"; fail=1; }
grep -q '"rrname":"live.example.org"' "$T/live.json" || { echo "FAIL: no dns record"; fail=1; }
# the HTTP connection and the DNS flow were open or lingering at SIGINT: flushed
grep '"event_type":"flow"' "$T/live.json" | grep -q '"dest_port":8080' ||
    { echo "FAIL: open TCP flow not flushed at SIGINT"; fail=1; }
grep -q "netwarden audit: 1 source" "$T/nw.err" || { echo "FAIL: no summary"; cat "$T/nw.err"; fail=1; }
if grep -q -E "AddressSanitizer|runtime error" "$T/nw.err"; then echo "FAIL: sanitizer"; fail=1; fi
[ $fail -eq 0 ] && echo "ok   live capture: $(grep -c . "$T/live.json") records, clean stop on SIGINT"
[ $fail -eq 0 ] || cat "$T/live.json" | head -20
exit $fail
