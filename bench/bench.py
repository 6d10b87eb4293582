#!/usr/bin/env python3
"""Measure netwarden against tcpdump, tshark and ndpiReader on one capture (driven by run.sh).

Each tool reads the same pcap RUNS times, pinned to one core with `taskset -c 1` when the machine
has a second core. Per run we record the wall time (perf_counter around the child), the CPU time
(user + sys from wait4) and the peak RSS (ru_maxrss from wait4, i.e. the child's VmHWM). We keep
the best wall time and the best CPU time: the best run is the one least disturbed by other load.
Throughput is packets (and wire bytes, i.e. the pcap records' original lengths) divided by time.

Not a test: prints a table and exits 0; exits 1 only if a tool that is installed fails to run.
"""
import argparse
import collections
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

TARGETS = {  # netwarden throughput / other tool's throughput must be at least this
    "tcpdump": 0.5,
    "ndpiReader": 4.0,
    "tshark": 40.0,
}
RSS_TARGET_MB = 256
TSHARK_BUDGET_S = 600  # run tshark on a prefix and scale if the whole file would take longer
TSHARK_PREFIX = 100000


def pcap_stats(path):
    """(packets, wire bytes) of a classic pcap, from its record headers."""
    n = wire = 0
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            raise SystemExit(f"bench: {path}: not a pcap file")
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            fmt = "<IIII"
        elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
            fmt = ">IIII"
        else:
            raise SystemExit(f"bench: {path}: not a classic pcap (magic {magic:#x})")
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            _, _, incl, orig = struct.unpack(fmt, rec)
            f.seek(incl, 1)
            n += 1
            wire += orig
    return n, wire


def can_pin():
    return shutil.which("taskset") and (os.cpu_count() or 1) > 1


def run_once(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE):
    """Run argv; return (rc, wall s, cpu s, maxrss KB, stderr text)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=stdout, stderr=stderr)
    err = p.stderr.read() if stderr == subprocess.PIPE else b""
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, err.decode("utf-8", "replace")


def measure(name, argv, runs, pin, log, fresh=None):
    """fresh: a file the tool writes, removed before each run (untimed), so that every run
    writes a new file as the first does instead of paying for truncating the last run's."""
    if pin:
        argv = ["taskset", "-c", "1"] + argv
    res = []
    last_err = ""
    for i in range(runs):
        if fresh and os.path.exists(fresh):
            os.unlink(fresh)
        rc, wall, cpu, rss, err = run_once(argv)
        last_err = err
        if rc != 0:
            print(f"  {name}: run {i + 1} failed (exit {rc}): {' '.join(argv)}", file=log)
            print("    " + "\n    ".join(err.strip().splitlines()[-8:]), file=log)
            return None, err
        res.append((wall, cpu, rss))
        print(f"  {name:<11} run {i + 1}/{runs}: wall {wall:7.2f} s  cpu {cpu:7.2f} s  "
              f"peak RSS {rss / 1024:7.1f} MB", file=log, flush=True)
    return {
        "wall": min(r[0] for r in res),
        "cpu": min(r[1] for r in res),
        "rss_kb": max(r[2] for r in res),
        "runs": runs,
    }, last_err


def fmt_rate(pkts, wire, secs):
    return pkts / secs, wire * 8 / secs / 1e9


def callgrind(nw, pcap, packets, workdir, baseline_path, update, sha, log):
    if not shutil.which("valgrind"):
        print("callgrind: valgrind not installed (make deps); skipped", file=log)
        return True
    prefix = os.path.join(workdir, f"prefix{packets}.pcap")
    if shutil.which("editcap"):
        subprocess.run(["editcap", "-r", pcap, prefix, f"1-{packets}"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:  # copy the first records by hand
        with open(pcap, "rb") as f, open(prefix, "wb") as o:
            o.write(f.read(24))
            for _ in range(packets):
                rec = f.read(16)
                if len(rec) < 16:
                    break
                incl = struct.unpack("<IIII", rec)[2]
                o.write(rec + f.read(incl))
    out = os.path.join(workdir, "callgrind.out")
    eve = os.path.join(workdir, "callgrind.eve.json")
    argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
            nw, "audit", "-r", prefix, "--eve", eve]
    r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0:
        print(f"callgrind: failed (exit {r.returncode})", file=log)
        print(r.stderr.decode("utf-8", "replace")[-2000:], file=log)
        return False
    ir = None
    with open(out) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                ir = int(line.split()[1])
    if ir is None:
        print("callgrind: no summary line in output", file=log)
        return False
    print(f"callgrind: {ir:,} instructions for {packets:,} packets "
          f"({ir / packets:,.0f} instr/packet); profile: {out}", file=log)
    base = None
    if os.path.exists(baseline_path):
        with open(baseline_path) as f:
            base = json.load(f)
    if base and base.get("callgrind_ir"):
        b = base["callgrind_ir"]
        same = base.get("pcap_sha256") == sha and base.get("packets") == packets
        print(f"callgrind: baseline {b:,} ({base.get('commit', '?')}); delta {ir - b:+,} "
              f"({(ir - b) * 100.0 / b:+.2f} %)"
              + ("" if same else "  [baseline was taken on a different capture]"), file=log)
    elif not update:
        print("callgrind: no baseline yet (bench/run.sh --update-baseline writes one)", file=log)
    if update:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip() or "?"
        version = subprocess.run([nw, "--version"], capture_output=True,
                                 text=True).stdout.strip() or "?"
        built = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(nw)))
        with open(baseline_path, "w") as f:
            json.dump({"callgrind_ir": ir, "packets": packets, "pcap_sha256": sha,
                       "commit": commit, "netwarden": version, "binary_built": built,
                       "tool": "valgrind --tool=callgrind",
                       "command": "netwarden audit -r <first %d packets> --eve <file>" % packets},
                      f, indent=2)
            f.write("\n")
        print(f"callgrind: baseline written to {baseline_path}", file=log)
    return True


def records_by_type(stderr_text, eve_path):
    m = re.search(r"records:\s*(.*)", stderr_text)
    if m:
        pairs = re.findall(r"([\w.-]+)=(\d+)", m.group(1))
        if pairs:
            return "netwarden summary", [(k, int(v)) for k, v in pairs]
    c = collections.Counter()
    try:
        with open(eve_path) as f:
            for line in f:
                try:
                    c[json.loads(line).get("event_type", "?")] += 1
                except ValueError:
                    c["<bad json>"] += 1
    except OSError:
        return "none", []
    return "counted in EVE output", sorted(c.items(), key=lambda kv: -kv[1])


def print_table(pkts, wire, results, notes):
    print()
    hdr = (f"{'tool':<11} {'wall s':>8} {'pkt/s':>11} {'Gbit/s':>7} | {'cpu s':>8} {'pkt/s':>11} "
           f"{'Gbit/s':>7} | {'peak RSS':>9}")
    print(hdr)
    print("-" * len(hdr))
    for name in ["netwarden", "tcpdump", "ndpiReader", "tshark"]:
        r = results.get(name)
        if r is None:
            if name in notes or name in results:
                print(f"{name:<11} {notes.get(name, 'failed')}")
            continue
        wp, wg = fmt_rate(pkts, wire, r["wall"])
        cp, cg = fmt_rate(pkts, wire, r["cpu"])
        print(f"{name:<11} {r['wall']:8.2f} {wp:11,.0f} {wg:7.3f} | {r['cpu']:8.2f} {cp:11,.0f} "
              f"{cg:7.3f} | {r['rss_kb'] / 1024:6.1f} MB" + ("  (scaled)" if r.get("scaled") else ""))
    for name, n in notes.items():
        if name in results and results[name] is not None:
            print(f"  note: {name}: {n}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--netwarden", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--sha256", default="")
    ap.add_argument("--callgrind-packets", type=int, default=50000)
    ap.add_argument("--update-baseline", action="store_true")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--only", default="",
                    help="comma list of netwarden,tcpdump,ndpiReader,tshark,callgrind (default all)")
    ap.add_argument("--json", default="", help="also write the results to this file")
    a = ap.parse_args()
    log = sys.stdout
    only = set(filter(None, a.only.split(",")))
    ok = True

    pkts, wire = pcap_stats(a.pcap)
    pin = can_pin()
    print(f"capture: {a.pcap}: {pkts:,} packets, {wire / 1e6:,.1f} MB on the wire")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} "
          f"{os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; "
          + ("pinned with taskset -c 1" if pin else "not pinned (one core or no taskset)"))
    print(f"runs: {a.runs} per tool; best wall time and best CPU time (user+sys) are kept")
    tmp = tempfile.mkdtemp(prefix="nwbench.", dir=a.workdir)
    eve = os.path.join(tmp, "netwarden.eve.json")

    results = {}
    notes = {}
    nw_err = ""

    def want(t):
        return not only or t in only

    if want("netwarden"):
        r, nw_err = measure("netwarden", [a.netwarden, "audit", "-r", a.pcap, "--eve", eve],
                            a.runs, pin, log, fresh=eve)
        ok &= r is not None
        results["netwarden"] = r
    if want("tcpdump"):
        if shutil.which("tcpdump"):
            r, _ = measure("tcpdump", ["tcpdump", "-r", a.pcap, "-w", "/dev/null"], a.runs, pin, log)
            ok &= r is not None
            results["tcpdump"] = r
        else:
            notes["tcpdump"] = "not installed (make deps)"
    if want("ndpiReader"):
        if shutil.which("ndpiReader"):
            r, _ = measure("ndpiReader", ["ndpiReader", "-i", a.pcap, "-q"], a.runs, pin, log)
            ok &= r is not None
            results["ndpiReader"] = r
        else:
            notes["ndpiReader"] = "not installed (make deps: libndpi-bin)"
    if want("tshark"):
        if shutil.which("tshark"):
            tsh = ["tshark", "-r", None, "-T", "fields", "-e", "dns.qry.name", "-e", "http.host",
                   "-e", "tls.handshake.extensions_server_name"]
            # probe on a prefix to decide whether the whole file fits the budget
            prefix = os.path.join(tmp, f"prefix{TSHARK_PREFIX}.pcap")
            scale = 1.0
            target = a.pcap
            if pkts > TSHARK_PREFIX and shutil.which("editcap"):
                subprocess.run(["editcap", "-r", a.pcap, prefix, f"1-{TSHARK_PREFIX}"], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                tsh[2] = prefix
                rc, wall, _, _, _ = run_once(tsh)
                est = wall * pkts / TSHARK_PREFIX * a.runs
                if est > TSHARK_BUDGET_S:
                    target = prefix
                    scale = pkts / TSHARK_PREFIX
                    notes["tshark"] = (f"run on the first {TSHARK_PREFIX:,} packets and scaled "
                                       f"x{scale:.1f} (whole file estimated at {est / a.runs:.0f} s/run)")
            tsh[2] = target
            r, _ = measure("tshark", tsh, a.runs, pin, log)
            ok &= r is not None
            if r is not None and scale != 1.0:
                r["wall"] *= scale
                r["cpu"] *= scale
                r["scaled"] = scale
            results["tshark"] = r
        else:
            notes["tshark"] = "not installed (make deps)"

    if results or notes:
        print_table(pkts, wire, results, notes)

    nw = results.get("netwarden")
    if nw:
        print()
        print("netwarden vs target        wall-time ratio   cpu-time ratio   target   verdict (wall / cpu)")
        for other, tgt in TARGETS.items():
            r = results.get(other)
            if not r:
                continue
            rw = r["wall"] / nw["wall"]
            rc = r["cpu"] / nw["cpu"]
            vw = "ok" if rw >= tgt else "below"
            vc = "ok" if rc >= tgt else "below"
            print(f"  netwarden/{other:<11}  {rw:15.2f}x {rc:15.2f}x   >= {tgt:<4}  {vw} / {vc}")
        mb = nw["rss_kb"] / 1024
        print(f"  peak RSS {mb:.1f} MB (target <= {RSS_TARGET_MB} MB): "
              f"{'ok' if mb <= RSS_TARGET_MB else 'ABOVE TARGET'}")
        src, recs = records_by_type(nw_err, eve)
        total = sum(v for _, v in recs)
        print()
        print(f"netwarden records by type ({src}), {total:,} in all:")
        print("  " + "  ".join(f"{k}={v:,}" for k, v in recs))
        try:
            sz = os.path.getsize(eve)
            print(f"  EVE output {sz / 1e6:,.1f} MB")
        except OSError:
            pass

    # skipped only if netwarden was run and failed
    if want("callgrind") and not a.no_callgrind and results.get("netwarden", True) is not None:
        print()
        ok &= callgrind(a.netwarden, a.pcap, a.callgrind_packets, a.workdir, a.baseline,
                        a.update_baseline, a.sha256, log)

    if a.json:
        with open(a.json, "w") as f:
            json.dump({"packets": pkts, "wire_bytes": wire, "results": results, "notes": notes,
                       "loadavg": os.getloadavg()}, f, indent=2)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
