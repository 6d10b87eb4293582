#!/usr/bin/env bash
# A split TAP: each direction of a link on an interface of its own. tcpprep
# and tcpreplay (tools nobody here wrote) replay corpus captures that way, the
# client's packets into one veth pair and the server's into another, and a
# live audit of both interfaces must give the same records as `audit -r` of
# the captures. The two interfaces hand their frames over in blocks, so
# taken as they come, replies would reach the parsers before the requests
# they answer (an SMTP login paired with the wrong reply, TLS server hellos
# without their clients'): the audit merges them by time.
# Compared: every record but flow, session and stats, without the fields that
# depend on the replay's timing (times, durations, the identity in force).
# Needs root (ip netns) and tcpreplay; skipped (exit 0 with a note) without root.
set -u
NW=$1
SRC=$2
T=$(mktemp -d)
. "$SRC/tests/e2e/live/lib.sh"
live_init nwt tcpreplay tcpprep
ca=${ha}c
cb=${hb}c
live_pair 10.86.0 "" || { echo "FAIL: cannot create the client-side pair"; exit 1; }
live_pair 10.87.0 "" "$ca" "$cb" || { echo "FAIL: cannot create the server-side pair"; exit 1; }
caps="smtp-auth-login.pcap mixed-alexa.pcapng http-pipelined.pcap imap-login.pcap
      pop3-user-pass.pcap ftp-ipv4.pcap tls-ch-split-segments.pcap dns-tcp.pcap"
reads=()
for c in $caps; do reads+=(-r "$SRC/tests/corpus/pcaps/$c"); done
"$NW" audit -q "${reads[@]}" --eve "$T/ref.json" || { echo "FAIL: audit -r"; exit 1; }

"$NW" audit -i "$ha" -i "$ca" --eve "$T/live.json" 2>"$T/nw.err" &
nwpid=$!
sleep 1
for c in $caps; do
    tcpprep --auto=bridge -i "$SRC/tests/corpus/pcaps/$c" -o "$T/$c.cache" >/dev/null 2>&1 ||
        { echo "FAIL: tcpprep $c"; exit 1; }
    ip netns exec "$ns" tcpreplay --topspeed -q -c "$T/$c.cache" -i "$hb" -I "$cb" \
        "$SRC/tests/corpus/pcaps/$c" >>"$T/replay.log" 2>&1 ||
        { echo "FAIL: tcpreplay $c"; exit 1; }
done
sleep 1
live_stop INT
python3 - "$T/ref.json" "$T/live.json" <<'PY'
import collections, json, re, sys
def records(path):
    out = collections.Counter()
    for line in open(path):
        r = json.loads(line)
        if r["event_type"] in ("flow", "session", "stats"):
            continue
        for k in ("timestamp", "flow_id", "user"):
            r.pop(k, None)
        t = re.sub(r'"\d{4}-\d\d-\d\dT[^"]*"', '"T"', json.dumps(r, sort_keys=True))
        out[re.sub(r'"(duration|age)": [0-9.]+', r'"\1": 0', t)] += 1
    return out
ref, live = records(sys.argv[1]), records(sys.argv[2])
missing, extra = ref - live, live - ref
for k in list(missing)[:5]:
    print("FAIL: not in the live audit:", k[:400])
for k in list(extra)[:5]:
    print("FAIL: only in the live audit:", k[:400])
if missing or extra or not ref:
    print(f"FAIL: {sum(ref.values())} records from the files, {sum(missing.values())} of them "
          f"missing live, {sum(extra.values())} only live")
    sys.exit(1)
types = collections.Counter(json.loads(k)["event_type"] for k in ref.elements())
print(f"ok   split TAP: the same {sum(ref.values())} records as audit -r "
      f"({', '.join(f'{t}={n}' for t, n in sorted(types.items()))})")
PY
rc=$?
[ $rc -eq 0 ] || { cat "$T/nw.err"; tail -5 "$T/replay.log"; }
exit $rc
