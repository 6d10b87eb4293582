#!/usr/bin/env bash
# identity.sh NETWARDEN SOURCE_DIR - the identity end-to-end test.
#
# Runs `netwarden audit` on the generated captures in tests/e2e/identity
# (RADIUS, DHCP and PPPoE logins followed by browsing, a logout, more
# browsing) and checks with python3 that:
#   - every dns/http/tls/flow record of the bound address timed between
#     login and logout carries the user (account, calling station, MAC,
#     hostname as the source provides them), and none timed after does;
#   - each kind of record occurs on both sides of the logout (so the check
#     is not vacuous);
#   - the session records show the exact login/logout microseconds and the
#     logout reason the generator wrote into <capture>.expect.json.
# `gen.py` regenerates the captures (deterministic, committed).
set -euo pipefail
nw=${1:?usage: identity.sh NETWARDEN SOURCE_DIR}
src=${2:?usage: identity.sh NETWARDEN SOURCE_DIR}
dir=$src/tests/e2e/identity
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for name in radius-browse dhcp-browse pppoe-browse; do
    "$nw" audit -q -r "$dir/$name.pcap" --eve "$tmp/$name.json"
done

python3 - "$dir" "$tmp" <<'PY'
import datetime, json, os, sys

src, tmp = sys.argv[1], sys.argv[2]
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
fails = []


def us(ts):
    return (datetime.datetime.fromisoformat(ts) - EPOCH) // datetime.timedelta(microseconds=1)


def fail(name, msg):
    fails.append(f"{name}: {msg}")


for name in ("radius-browse", "dhcp-browse", "pppoe-browse"):
    exp = json.load(open(os.path.join(src, name + ".expect.json")))
    recs = [json.loads(l) for l in open(os.path.join(tmp, name + ".json")) if l.strip()]
    ip, login, logout = exp["ip"], exp["login_us"], exp["logout_us"]
    inside, after = {}, {}
    for r in recs:
        et = r.get("event_type")
        if et not in ("dns", "http", "tls", "flow"):
            continue
        if ip not in (r.get("src_ip"), r.get("dest_ip")):
            continue
        t = us(r["timestamp"])
        u = r.get("user") or {}
        if login <= t < logout:
            inside[et] = inside.get(et, 0) + 1
            if u.get("ip") != ip:
                fail(name, f"{et} record at {r['timestamp']} inside the session lacks the user: {r}")
                continue
            for k, v in exp["user"].items():
                if u.get(k) != v:
                    fail(name, f"{et} record at {r['timestamp']}: user.{k} is {u.get(k)!r}, "
                               f"expected {v!r}")
        elif t >= logout:
            after[et] = after.get(et, 0) + 1
            if u.get("ip") == ip:
                fail(name, f"{et} record at {r['timestamp']} after the logout still has user {u}")
    want_in = ("dns", "http", "tls", "flow")
    want_after = ("dns", "flow") if name == "pppoe-browse" else want_in
    for et in want_in:
        if not inside.get(et):
            fail(name, f"no {et} record inside the session (check that the {et} parser works)")
    for et in want_after:
        if not after.get(et):
            fail(name, f"no {et} record after the logout")
    sess = [r for r in recs if r.get("event_type") == "session" and r.get("src_ip") == ip]
    starts = [r for r in sess if r["session"]["state"] == "start"]
    ends = [r for r in sess if r["session"]["state"] == "end"]
    if len(starts) != 1 or len(ends) != 1:
        fail(name, f"expected one start and one end session record, got {len(starts)}/{len(ends)}")
    else:
        s, e = starts[0]["session"], ends[0]["session"]
        if s["source"] != exp["source"] or us(s["login"]) != login:
            fail(name, f"start record {s}: expected source {exp['source']} login {login}")
        if us(e["login"]) != login or e.get("logout") is None or us(e["logout"]) != logout:
            fail(name, f"end record {e}: expected login {login} logout {logout}")
        if e.get("reason") != exp["reason"]:
            fail(name, f"end record reason {e.get('reason')!r}, expected {exp['reason']!r}")
        want = round((logout - login) / 1e6, 6)
        if abs(float(e.get("duration", -1)) - want) > 1e-6:
            fail(name, f"end record duration {e.get('duration')}, expected {want}")
        for k, v in exp["user"].items():
            if ends[0].get("user", {}).get(k) != v:
                fail(name, f"end record user.{k} is {ends[0].get('user', {}).get(k)!r}, "
                           f"expected {v!r}")
    print(f"{name}: {sum(inside.values())} records inside the session "
          f"({', '.join(f'{k}={v}' for k, v in sorted(inside.items()))}), "
          f"{sum(after.values())} after")

if fails:
    print("\n".join("FAIL " + f for f in fails))
    sys.exit(1)
print("identity e2e: ok")
PY
