#!/usr/bin/env bash
# `netwarden inspect` local checks (issue 4):
#  1. the prepared trees tests/inspect/roots/{weak,hardened} give exactly the
#     verdicts in tests/inspect/expected/<tree>.txt (NW_UPDATE=1 rewrites them);
#  2. history: weak twice (all findings still open), then the same root made
#     hardened (every finding fixed, none new);
#  3. profiles nest (baseline < mlps2-level2 < mlps2-level3) and an unknown one
#     is refused;
#  4. malformed check files name file, line and problem; the good ones still run;
#  5. the audit-self checks on a real store: intact, then tampered;
#  6. `inspect --local` on this machine runs to the end (exit 0 or 1, valid
#     JSON, every local check has a verdict), verdicts not asserted.
# Usage: inspect_local.sh NETWARDEN SRCDIR
set -u
NW=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
NOW=2026-11-21T12:00:00Z
COMMON=(--config /dev/null --checks "$SRC/checks" --now "$NOW" -q)

san() { # no sanitizer report in a stderr file
    if grep -q -E "AddressSanitizer|runtime error|LeakSanitizer" "$1"; then
        echo "FAIL $2: sanitizer report"; cat "$1"; fail=1
    fi
}

# prepare TREE DEST: copy a tree and apply its .modes file (modes, times)
prepare() {
    rm -rf "$2"
    cp -r "$SRC/tests/inspect/roots/$1" "$2"
    grep -v '^#' "$SRC/tests/inspect/roots/$1.modes" | while read -r op a p; do
        [ -z "$op" ] && continue
        case $op in
            mode) chmod "$a" "$2/$p" ;;
            time) touch -d "$a" "$2/$p" ;;
        esac
    done
}

verdicts() { # JSON results -> "ID verdict" lines, sorted
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for r in sorted(d["results"], key=lambda r: r["id"]):
    print(r["id"], r["verdict"])' "$1"
}

# Owner checks need root: a copy made by another user is owned by that user.
owner_filter() {
    if [ "$(id -u)" = 0 ]; then cat; else grep -v -E "NW-LOCAL-(SHADOW|PASSWD|SUDOERS)-PERMS"; fi
}

# 1. exact verdicts
for tree in weak hardened; do
    prepare $tree "$T/$tree"
    "$NW" inspect "${COMMON[@]}" --local --root "$T/$tree" --data-dir "$T/data1" --no-history \
        --out "$T/$tree.json" 2>"$T/$tree.err"
    rc=$?
    san "$T/$tree.err" "$tree"
    want_rc=1; [ $tree = hardened ] && want_rc=0
    if [ $rc -ne $want_rc ]; then
        echo "FAIL $tree: exit $rc, expected $want_rc"; cat "$T/$tree.err"; fail=1
    fi
    verdicts "$T/$tree.json" >"$T/$tree.txt"
    if [ "${NW_UPDATE:-0}" = 1 ]; then cp "$T/$tree.txt" "$SRC/tests/inspect/expected/$tree.txt"; fi
    if diff -u <(owner_filter <"$SRC/tests/inspect/expected/$tree.txt") \
               <(owner_filter <"$T/$tree.txt") >"$T/$tree.diff"; then
        echo "ok   $tree: $(grep -c ' fail$' "$T/$tree.txt") fail, $(grep -c ' pass$' "$T/$tree.txt") pass, $(grep -c ' skip$' "$T/$tree.txt") skip, exactly as expected"
    else
        echo "FAIL $tree: verdicts differ from tests/inspect/expected/$tree.txt:"; cat "$T/$tree.diff"; fail=1
    fi
done

# 2. history: new -> still open -> fixed
prepare weak "$T/host"
"$NW" inspect "${COMMON[@]}" --local --root "$T/host" --data-dir "$T/hist" --out "$T/h1.json" 2>"$T/h1.err"
"$NW" inspect "${COMMON[@]}" --local --root "$T/host" --data-dir "$T/hist" --out "$T/h2.json" 2>"$T/h2.err"
prepare hardened "$T/host"
"$NW" inspect "${COMMON[@]}" --local --root "$T/host" --data-dir "$T/hist" --out "$T/h3.json" 2>"$T/h3.err"
rc=$?
san "$T/h3.err" history
if python3 - "$T" <<'PY'
import json, os, sys
t = sys.argv[1]
h1, h2, h3 = (json.load(open(f"{t}/h{i}.json")) for i in (1, 2, 3))
fails = lambda d: {r["id"] for r in d["results"] if r["verdict"] == "fail"}
assert h1["comparison"]["previous"] is None, h1["comparison"]
assert all(r.get("status") == "new" for r in h1["results"] if r["verdict"] == "fail")
assert h2["comparison"]["previous"] == h1["run"]["id"], (h2["comparison"], h1["run"]["id"])
assert h2["comparison"]["new"] == 0 and h2["comparison"]["still_open"] == len(fails(h1))
assert all(r.get("status") == "still_open" for r in h2["results"] if r["verdict"] == "fail")
assert h3["comparison"]["previous"] == h2["run"]["id"]
fixed = {f["id"] for f in h3["comparison"]["fixed_findings"]}
assert fixed == fails(h2), fixed ^ fails(h2)
assert h3["comparison"]["new"] == 0 and h3["comparison"]["still_open"] == 0
saved = sorted(os.listdir(f"{t}/hist/inspect"))
assert len(saved) == 3 and saved[-1] == h3["run"]["id"] + ".json", saved
print(f"ok   history: {len(fails(h1))} new, then {len(fails(h1))} still open, then {len(fixed)} fixed; 3 runs kept")
PY
then :; else echo "FAIL history"; fail=1; fi

# 3. profiles
count() { "$NW" inspect "${COMMON[@]}" --local --root "$T/weak" --data-dir "$T/p" --no-history "$@" --out - 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["checks"])'; }
nb=$(count --profile baseline); n2=$(count --profile mlps2-level2); n3=$(count --profile mlps2-level3); na=$(count)
if [ "$nb" -gt 0 ] && [ "$nb" -lt "$n2" ] && [ "$n2" -lt "$n3" ] && [ "$n3" -le "$na" ]; then
    echo "ok   profiles: baseline $nb < mlps2-level2 $n2 < mlps2-level3 $n3 <= all $na local checks"
else
    echo "FAIL profiles: baseline $nb, level2 $n2, level3 $n3, all $na"; fail=1
fi
"$NW" inspect "${COMMON[@]}" --local --root "$T/weak" --profile mlps9 >/dev/null 2>"$T/prof.err"
rc=$?
if [ $rc -eq 2 ] && grep -q "no profile 'mlps9'; known: baseline, mlps2-level2, mlps2-level3" "$T/prof.err"; then
    echo "ok   unknown profile: $(head -1 "$T/prof.err")"
else echo "FAIL unknown profile: exit $rc"; cat "$T/prof.err"; fail=1; fi
# --out on a full disk: the error surfaces only at fclose (/dev/full takes the buffered
# writes); exit 3 with the reason (the failed stream used to be closed a second time)
"$NW" inspect "${COMMON[@]}" --local --root "$T/weak" --no-history --data-dir "$T/full" \
    --out /dev/full 2>"$T/full.err"
rc=$?
san "$T/full.err" "out on a full disk"
if [ $rc -eq 3 ] && grep -q "cannot write /dev/full: No space left on device" "$T/full.err"; then
    echo "ok   --out /dev/full: exit 3, $(grep 'cannot write' "$T/full.err")"
else echo "FAIL --out /dev/full: exit $rc"; cat "$T/full.err"; fail=1; fi

# 4. malformed check files: each names file:line and the problem; the rest still load
mkdir -p "$T/bad/local"
cp "$SRC/checks/local/ssh-root-login.yaml" "$T/bad/local/ok.yaml"
good=$SRC/checks/local/pass-max-days.yaml
sed 's/^severity: medium/severity: urgent/' "$good" >"$T/bad/local/b1.yaml"
sed 's/^probe: file_regex/probe: file_regexp/' "$good" >"$T/bad/local/b2.yaml"
sed 's/^  pattern:/  patern:/' "$good" >"$T/bad/local/b3.yaml"
sed 's/^title: {zh: "[^"]*", /title: {/' "$good" >"$T/bad/local/b4.yaml"
sed 's/^category:/categroy:/' "$good" >"$T/bad/local/b5.yaml"
sed 's/^pass: .*/pass: "number <= "/' "$good" >"$T/bad/local/b6.yaml"
printf 'id: NW-X\ntitle: {zh: "a", en: "b"\nseverity: low\n' >"$T/bad/local/b7.yaml"
sed 's#^  path: .*#  path: []#' "$good" >"$T/bad/local/b8.yaml"
"$NW" inspect --config /dev/null --checks "$T/bad" --root "$T/weak" --local --no-history -q \
    --data-dir "$T/b" --out "$T/bad.json" 2>"$T/bad.err"
rc=$?
san "$T/bad.err" malformed
for want in \
    "b1.yaml:3: unknown severity 'urgent'; use critical, high, medium, low or info" \
    "b2.yaml:6: unknown probe 'file_regexp'; 'netwarden inspect --list-probes' names them" \
    "b3.yaml:9: probe 'file_regex' has no parameter 'patern'; it takes: path, pattern, default?" \
    "b4.yaml:2: title has no zh text; add zh: \"...\"" \
    "b5.yaml:4: unknown key 'categroy'" \
    "b6.yaml:11: pass: condition column 11: expected a value at the end" \
    "b7.yaml:3: malformed YAML: did not find expected ',' or '}' while parsing a flow mapping" \
    "b8.yaml:8: parameter 'path' is an empty list; give at least one item" \
    "8 check files were rejected (see above); the others ran"; do
    if grep -qF -- "$want" "$T/bad.err"; then echo "ok   malformed: ...$want"
    else echo "FAIL malformed: stderr lacks: $want"; fail=1; fi
done
if [ $rc -eq 2 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [r["id"] for r in d["results"]]==["NW-LOCAL-SSH-ROOT-LOGIN"]' "$T/bad.json"; then
    echo "ok   malformed: exit 2, the good check still ran"
else echo "FAIL malformed: exit $rc or the good check did not run"; cat "$T/bad.err"; fail=1; fi

# 5. audit-self on a real store
printf '{"timestamp":"2026-11-20T10:00:00.000000+00:00","event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2"}\n' >"$T/rec.json"
if "$NW" import --store "$T/store" --now "$NOW" "$T/rec.json" >"$T/imp.out" 2>&1; then
    "$NW" inspect "${COMMON[@]}" --self --store "$T/store" --data-dir "$T/s" --no-history --out "$T/self1.json" 2>"$T/self1.err"
    seg=$(find "$T/store" -name '*.nws' | head -1)
    printf 'X' | dd of="$seg" bs=1 seek=40 conv=notrunc 2>/dev/null
    "$NW" inspect "${COMMON[@]}" --self --store "$T/store" --data-dir "$T/s" --no-history --out "$T/self2.json" 2>"$T/self2.err"
    san "$T/self2.err" self
    if python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
v = lambda f: {r["id"]: r["verdict"] for r in json.load(open(f"{t}/{f}"))["results"]}
a, b = v("self1.json"), v("self2.json")
assert a == {"NW-SELF-STORE-VERIFY": "pass", "NW-SELF-STORE-RETENTION-60": "pass", "NW-SELF-STORE-RETENTION-180": "pass"}, a
assert b["NW-SELF-STORE-VERIFY"] == "fail", b
print("ok   audit-self: intact store passes verification, a flipped byte fails it")
PY
    then :; else echo "FAIL audit-self"; cat "$T/self1.err" "$T/self2.err"; fail=1; fi
else
    echo "FAIL audit-self: could not build a store:"; cat "$T/imp.out"; fail=1
fi

# 5b. the firewall probe's other sources: iptables (Debian and RHEL files), ufw, firewalld
fw() { # fw NAME EXPECTED_VERDICT: inspect the tree $T/fw-NAME for the firewall check alone
    "$NW" inspect "${COMMON[@]}" --local --root "$T/fw-$1" --data-dir "$T/data-fw" --no-history \
        --only NW-LOCAL-FIREWALL-DEFAULT-DENY --out "$T/fw-$1.json" 2>"$T/fw-$1.err"
    san "$T/fw-$1.err" "firewall $1"
    got=$(verdicts "$T/fw-$1.json" 2>/dev/null | cut -d' ' -f2)
    if [ "$got" = "$2" ]; then fwok="$fwok $1=$got"; else
        echo "FAIL firewall $1: verdict '$got', expected $2"; cat "$T/fw-$1.err"; fail=1; fi
}
fwok=""
mkdir -p "$T/fw-none/etc" "$T/fw-ipt/etc/iptables" "$T/fw-iptacc/etc/iptables" \
    "$T/fw-rhel/etc/sysconfig" "$T/fw-ufw/etc/ufw" "$T/fw-ufw/etc/default" \
    "$T/fw-ufwoff/etc/ufw" "$T/fw-firewalld/etc/systemd/system/multi-user.target.wants"
printf '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n' \
    >"$T/fw-ipt/etc/iptables/rules.v4"
printf '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n' >"$T/fw-iptacc/etc/iptables/rules.v4"
printf '*filter\n:INPUT DROP [0:0]\nCOMMIT\n' >"$T/fw-rhel/etc/sysconfig/iptables"
printf 'ENABLED=yes\nLOGLEVEL=low\n' >"$T/fw-ufw/etc/ufw/ufw.conf"
printf 'IPV6=yes\nDEFAULT_INPUT_POLICY="DROP"\n' >"$T/fw-ufw/etc/default/ufw"
printf 'ENABLED=no\n' >"$T/fw-ufwoff/etc/ufw/ufw.conf"
ln -s /usr/lib/systemd/system/firewalld.service \
    "$T/fw-firewalld/etc/systemd/system/multi-user.target.wants/firewalld.service"
fw none fail; fw ipt pass; fw iptacc fail; fw rhel pass; fw ufw pass; fw ufwoff fail
fw firewalld pass
[ "$fwok" = " none=fail ipt=pass iptacc=fail rhel=pass ufw=pass ufwoff=fail firewalld=pass" ] &&
    echo "ok   firewall probe:$fwok"

# 6. this machine: runs to the end, no check crashes
"$NW" inspect --config /dev/null --checks "$SRC/checks" --local --data-dir "$T/real" --no-history -q \
    --out "$T/real.json" 2>"$T/real.err"
rc=$?
san "$T/real.err" real
if { [ $rc -eq 0 ] || [ $rc -eq 1 ]; } && python3 - "$T/real.json" "$SRC/checks" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
ids = {r["id"] for r in d["results"]}
n = len([f for f in os.listdir(os.path.join(sys.argv[2], "local")) if f.endswith(".yaml")])
local = [r for r in d["results"] if r["mode"] == "local"]
assert len(local) == n, (len(local), n)
assert all(r["verdict"] in ("pass", "fail", "skip", "error") for r in d["results"])
s = d["summary"]
print(f"ok   this machine: {s['checks']} checks ran to the end: {s['pass']} pass, {s['fail']} fail, {s['skip']} skip, {s['error']} error")
PY
then :; else echo "FAIL this machine: exit $rc"; cat "$T/real.err"; fail=1; fi

exit $fail
