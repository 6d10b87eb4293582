#!/usr/bin/env bash
# filter.sh NETWARDEN SRCDIR - `audit --filter EXPR` (and [audit] filter) keeps
# exactly the frames tcpdump keeps for the same expression: the packet counts
# must be equal, on classic pcap files (read by netwarden's own reader, which
# applies the filter itself) and on pcapng (read by libpcap). A bad expression
# is a usage error that names it.
set -u
NW=${1:?netwarden binary}; SRC=${2:?source dir}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
for t in tcpdump capinfos; do
    command -v $t >/dev/null || { echo "FAIL: $t missing (scripts/deps.sh)"; exit 1; }
done
P=$SRC/tests/corpus/pcaps
fail=0
bad() { echo "FAIL: $*"; fail=1; }
n=0
for cap in "$SRC/tests/e2e/identity/pppoe-browse.pcap" "$P/dns-qinq-pppoe.pcap" \
           "$P/http-ua-split-reasm.pcapng" "$P/ipfrag-v4-tcp-syn-vlan.pcap" \
           "$P/mixed-alexa.pcapng"; do
    for f in "udp port 53" "tcp" "not tcp" "vlan" "pppoes" "ip6" "tcp[tcpflags] & tcp-syn != 0"; do
        # count what tcpdump writes out (its text output has more lines than packets)
        tcpdump -r "$cap" -w "$T/want.pcap" "$f" 2>/dev/null
        want=$(capinfos -c -M "$T/want.pcap" | sed -n 's/^Number of packets: *//p')
        got=$("$NW" audit --config /dev/null -r "$cap" --filter "$f" --eve "$T/o.json" 2>&1 |
              sed -n 's/.* source, \([0-9]*\) packets.*/\1/p')
        [ "$got" = "$want" ] || bad "$(basename "$cap") '$f': netwarden $got packets, tcpdump $want"
        n=$((n + 1))
    done
done
# the expression from the configuration file, and a record check: only DNS is left
printf '[audit]\nfilter = udp port 53\n' > "$T/nw.conf"
"$NW" audit -q -c "$T/nw.conf" -r "$P/dns-qinq-pppoe.pcap" --eve "$T/c.json" 2>"$T/c.err" ||
    bad "audit with [audit] filter: $(cat "$T/c.err")"
grep -v -q -e '"event_type":"dns"' -e '"event_type":"flow"' "$T/c.json" &&
    bad "[audit] filter = udp port 53 left other records: $(grep -v '"dns"' "$T/c.json" | head -2)"
grep -q '"event_type":"dns"' "$T/c.json" || bad "[audit] filter = udp port 53 left no DNS record"
# a bad expression: exit 2, and the message names it and where the syntax is
"$NW" audit --config /dev/null -r "$P/dns-tcp.pcap" --filter "port nosuchport" --eve "$T/b.json" \
    2>"$T/b.err"
rc=$?
[ $rc -eq 2 ] || bad "bad filter: exit $rc, want 2"
grep -q "capture filter 'port nosuchport'.*pcap-filter" "$T/b.err" ||
    bad "bad filter: message $(head -1 "$T/b.err")"
[ $fail -eq 0 ] &&
    echo "ok   filter: $n captures x expressions agree with tcpdump; config key; bad expression"
exit $fail
