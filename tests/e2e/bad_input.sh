#!/usr/bin/env bash
# Bad input to `netwarden audit`: each case must give one clear error line
# naming the file (and offset where there is one), the documented exit code,
# the records from before the fault, and no sanitizer report or crash.
set -u
NW=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
PCAP=$SRC/tests/corpus/pcaps/http-get.pcap

# run CASE EXPECTED_RC EXPECTED_STDERR_REGEX args...
run() {
    local name=$1 want_rc=$2 want_err=$3
    shift 3
    "$NW" audit -q "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ $rc -ne "$want_rc" ]; then
        echo "FAIL $name: exit $rc, expected $want_rc; stderr:"; cat "$T/err"; fail=1; return
    fi
    if ! grep -Eq -- "$want_err" "$T/err"; then
        echo "FAIL $name: stderr lacks /$want_err/:"; cat "$T/err"; fail=1; return
    fi
    if grep -q -E "AddressSanitizer|runtime error|LeakSanitizer" "$T/err"; then
        echo "FAIL $name: sanitizer report"; cat "$T/err"; fail=1; return
    fi
    if [ "$(grep -c 'netwarden audit: error' "$T/err")" -gt 1 ]; then
        echo "FAIL $name: more than one error line"; cat "$T/err"; fail=1; return
    fi
    echo "ok   $name"
}

# not a capture
printf 'this is a text file, not a capture\n%.0s' {1..10} > "$T/text.pcap"
run not_a_capture 2 "text.pcap: not a pcap or pcapng file .*tcpdump" -r "$T/text.pcap" --eve "$T/o.json"

# empty file and a header cut short
: > "$T/empty.pcap"
run empty_file 2 "empty.pcap: file too short for a pcap or pcapng header \(0 bytes" -r "$T/empty.pcap" --eve "$T/o.json"
head -c 10 "$PCAP" > "$T/short.pcap"
run short_header 2 "short.pcap: file too short" -r "$T/short.pcap" --eve "$T/o.json"

# missing file, directory
run missing_file 2 "cannot open capture $T/nope.pcap: No such file" -r "$T/nope.pcap" --eve "$T/o.json"
run directory 2 "is a directory" -r "$T" --eve "$T/o.json"

# truncated in the middle of packet 9 (http-get.pcap: 14 packets); the HTTP
# request in packet 4 must still be written, and the flow flushed
python3 - "$PCAP" "$T/trunc.pcap" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
off, n = 24, 0
while n < 8:
    incl = struct.unpack("<I", data[off + 8:off + 12])[0]
    off += 16 + incl
    n += 1
open(sys.argv[2], "wb").write(data[:off + 16 + 20])  # header of packet 9 + 20 bytes
print(off, file=open(sys.argv[2] + ".off", "w"))
PY
off=$(cat "$T/trunc.pcap.off")
run truncated 2 "trunc.pcap: capture damaged or cut off at byte $off, after packet 8 .*records of the packets before it were written" \
    -r "$T/trunc.pcap" --eve "$T/trunc.json"
if ! grep -q '"event_type":"http"' "$T/trunc.json" || ! grep -q '"event_type":"flow"' "$T/trunc.json"; then
    echo "FAIL truncated: records before the fault were not written"; fail=1
fi

# a truncated file among good ones: the others are still read, exit code 2
run truncated_then_good 2 "trunc.pcap: capture damaged" -r "$T/trunc.pcap" \
    -r "$SRC/tests/corpus/pcaps/http-post.pcap" --eve "$T/two.json"
[ "$(grep -c '"event_type":"http"' "$T/two.json")" -eq 2 ] || { echo "FAIL truncated_then_good: want 2 http records"; fail=1; }

# unknown link type (USER0 = 147)
python3 - "$T/user0.pcap" <<'PY'
import struct, sys
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 147))
    f.write(struct.pack("<IIII", 1, 0, 4, 4) + b"abcd")
PY
run unknown_linktype 2 "user0.pcap: link type 147 is not supported; supported link types: EN10MB" \
    -r "$T/user0.pcap" --eve "$T/o.json"

# snaplen cut every packet to 60 bytes: decodes what it can, exit 0, anomalies counted
python3 - "$PCAP" "$T/snap.pcap" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
hdr = bytearray(data[:24]); struct.pack_into("<I", hdr, 16, 60)
out, off = [bytes(hdr)], 24
while off + 16 <= len(data):
    ts, us, incl, orig = struct.unpack("<IIII", data[off:off + 16])
    body = data[off + 16:off + 16 + incl][:60]
    out.append(struct.pack("<IIII", ts, us, len(body), orig) + body)
    off += 16 + incl
open(sys.argv[2], "wb").write(b"".join(out))
PY
"$NW" audit -r "$T/snap.pcap" --eve "$T/snap.json" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ] || ! grep -q "SNAPLEN_CUT" "$T/err" || ! grep -q '"event_type":"flow"' "$T/snap.json"; then
    echo "FAIL snaplen: rc=$rc"; cat "$T/err"; fail=1
else echo "ok   snaplen"; fi

# classic pcap read by netwarden's own record reader: nanosecond timestamps give the
# same records as microseconds; a record longer than the snapshot length in the
# middle of the file is handed back to libpcap (which cuts it), and the rest is read
python3 - "$PCAP" "$T/ns.pcap" "$T/big.pcap" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
recs, off = [], 24
while off + 16 <= len(data):
    ts, us, incl, orig = struct.unpack("<IIII", data[off:off + 16])
    recs.append((ts, us, data[off + 16:off + 16 + incl], orig))
    off += 16 + incl
hdr = bytearray(data[:24]); hdr[0:4] = struct.pack("<I", 0xa1b23c4d)
open(sys.argv[2], "wb").write(bytes(hdr) + b"".join(
    struct.pack("<IIII", ts, us * 1000 + 999, len(b), o) + b for ts, us, b, o in recs))
big = max(len(b) for _, _, b, _ in recs)
hdr = bytearray(data[:24]); struct.pack_into("<I", hdr, 16, big - 1)
out = [bytes(hdr)]
for ts, us, b, o in recs:
    out.append(struct.pack("<IIII", ts, us, len(b), o) + b)
open(sys.argv[3], "wb").write(b"".join(out))
PY
"$NW" audit -r "$PCAP" --eve "$T/us.json" 2>/dev/null
"$NW" audit -r "$T/ns.pcap" --eve "$T/ns.json" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ] || ! cmp -s "$T/us.json" "$T/ns.json"; then
    echo "FAIL nanosecond_pcap: rc=$rc, records differ from the microsecond file"; cat "$T/err"; fail=1
else echo "ok   nanosecond_pcap"; fi
want=$(python3 -c "
import struct,sys; d=open('$PCAP','rb').read(); o=24; n=0
while o+16<=len(d): n+=1; o+=16+struct.unpack('<IIII',d[o:o+16])[2]
print(n)")
"$NW" audit -r "$T/big.pcap" --eve "$T/big.json" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ] || ! grep -q " $want packets" "$T/err" || grep -q "audit: error" "$T/err" ||
    ! grep -q "SNAPLEN_CUT" "$T/err"; then
    echo "FAIL record_over_snaplen: rc=$rc, want $want packets"; cat "$T/err"; fail=1
else echo "ok   record_over_snaplen"; fi

# usage errors
run no_source 2 "give either -r FILE" --eve "$T/o.json"
run both_sources 2 "give either -r FILE" -r "$PCAP" -i lo
run unknown_option 2 "unknown option '--bogus'; see 'netwarden audit --help'" --bogus
run missing_value 2 "option '-r' needs a value" -r
run unwritable_eve 2 "cannot open $T/no/such/dir/x.json for writing" -r "$PCAP" --eve "$T/no/such/dir/x.json"
# a device that is full: one error line naming it (the failed writes are
# counted, not repeated), exit code 3 (runtime failure)
if [ -w /dev/full ]; then
    run eve_device_full 3 "writing records to /dev/full failed: No space left on device; check free space" \
        -r "$PCAP" --eve /dev/full
    if [ "$(grep -c 'writing records to' "$T/err")" -ne 1 ]; then
        echo "FAIL eve_device_full: want one error line, not one per write:"; cat "$T/err"; fail=1
    fi
fi

# configuration: wrong key and bad value name file:line and the fix; a valid one passes
printf '[audit]\nflow_memcap = 1G\nudp_idle = 5m\n' > "$T/bad.conf"
run config_unknown_key 2 "bad.conf:3: unknown key 'udp_idle' in \[audit\]; did you mean 'udp_idle_timeout'\?" \
    --config "$T/bad.conf" --check-config
printf '[audit]\ntcp_idle_timeout = forever\n' > "$T/bad2.conf"
run config_bad_value 2 "bad2.conf:2: audit.tcp_idle_timeout: 'forever' is not a duration" \
    --config "$T/bad2.conf" -r "$PCAP"
run config_missing 2 "cannot read config $T/none.conf: No such file" --config "$T/none.conf" -r "$PCAP"
printf '[audit]\nudp_idle_timeout = 2m\n' > "$T/good.conf"
"$NW" audit --config "$T/good.conf" --check-config 2>/dev/null && echo "ok   config_valid" || { echo "FAIL config_valid"; fail=1; }

exit $fail
