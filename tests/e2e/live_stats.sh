#!/usr/bin/env bash
# The live audit's `stats` records: a service that runs for months must put
# capture loss on record as it happens, not only in the summary at its stop.
# The audit is stopped (SIGSTOP) while tcpreplay floods its veth with a corpus
# capture, so the kernel's ring overflows; then it goes on. Checked:
#  - a stats record every stats_interval (1 s here), with uptime growing, in
#    the EVE file and the store;
#  - the last one counts the kernel's drops (> 0), per interface as in total,
#    the same number as the summary's "drops: capture=";
#  - its decoder packets are the kernel's packets less its drops;
#  - its records by type are exactly the records before it in the EVE file.
# Needs root (ip netns) and tcpreplay; skipped (exit 0 with a note) without root.
set -u
NW=$1
SRC=$2
T=$(mktemp -d)
. "$SRC/tests/e2e/live/lib.sh"
live_init nws tcpreplay
live_pair 10.85.0 "" || { echo "FAIL: cannot create the veth pair"; exit 1; }
printf '[audit]\nstats_interval = 1\n' > "$T/nw.conf"

"$NW" audit -c "$T/nw.conf" -i "$ha" --eve "$T/live.json" --store "$T/store" 2>"$T/nw.err" &
nwpid=$!
sleep 2.5
kill -STOP "$nwpid"
ip netns exec "$ns" tcpreplay --topspeed --loop 60 -q -i "$hb" \
    "$SRC/tests/corpus/pcaps/mixed-1kxun.pcap" >"$T/replay.log" 2>&1
kill -CONT "$nwpid"
sleep 3
live_stop TERM
stored=$("$NW" query --store "$T/store" --type stats | grep -c .)
python3 - "$T/live.json" "$T/nw.err" "$ha" "$stored" <<'PY'
import collections, json, re, sys
eve, err, iface, stored = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
recs = [json.loads(l) for l in open(eve)]
stats = [(i, r["stats"]) for i, r in enumerate(recs) if r["event_type"] == "stats"]
fails = []
if len(stats) < 4:
    fails.append(f"{len(stats)} stats records in ~6 s at stats_interval = 1")
ups = [s["uptime"] for _, s in stats]
if ups != sorted(ups):
    fails.append(f"uptime goes back: {ups}")
if stored != len(stats):
    fails.append(f"{len(stats)} stats records in the EVE file, {stored} in the store")
i, last = stats[-1]
cap = last["capture"]
if cap["kernel_drops"] <= 0:
    fails.append(f"the flood while stopped left no kernel drops: {cap}")
ifs = cap["interfaces"]
if (len(ifs) != 1 or ifs[0]["name"] != iface or ifs[0]["kernel_drops"] != cap["kernel_drops"]
        or not all(s["capture"]["interfaces"][0]["up"] for _, s in stats)):
    fails.append(f"per-interface counts: {ifs}")
m = re.search(r"drops: capture=(\d+)", open(err).read())
if not m or int(m.group(1)) != cap["kernel_drops"] + cap["kernel_ifdrops"]:
    fails.append(f"summary {m and m.group(0)} against the last stats {cap}")
seen = cap["kernel_packets"] - cap["kernel_drops"]
if abs(last["decoder"]["pkts"] - seen) > 20:
    fails.append(f"decoder pkts {last['decoder']['pkts']}, kernel packets less drops {seen}")
want = collections.Counter(r["event_type"] for r in recs[:i])
got = {k: v for k, v in last["records"].items() if k not in ("too_large", "write_errors")}
if got != dict(want):
    fails.append(f"records by type {got}, the EVE file before it {dict(want)}")
for f in fails:
    print("FAIL:", f)
if not fails:
    print(f"ok   {len(stats)} stats records; the last: {cap['kernel_packets']} kernel packets, "
          f"{cap['kernel_drops']} dropped while stopped, {last['decoder']['pkts']} decoded")
sys.exit(1 if fails else 0)
PY
rc=$?
[ $rc -eq 0 ] || { cat "$T/nw.err" "$T/replay.log"; grep '"stats"' "$T/live.json" | tail -2; }
[ -n "${NW_SHOW:-}" ] && grep "\"stats\"" "$T/live.json" | tail -1
exit $rc
