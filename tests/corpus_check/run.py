#!/usr/bin/env python3
"""Corpus agreement: run netwarden on every public capture in tests/corpus and
compare its records with the tshark-made truth, per adapter (one per truth
file and field set, in adapters/*.py).

An adapter module defines:
  TRUTH_FILE  name of the truth file under truth/<capture>/
  KEY         list of fields that must all match
  THRESHOLD   required agreement: matched truth rows / truth rows, over all captures
  truth_rows(rows)   -> list of dicts with the KEY fields
  our_rows(records)  -> same, from our EVE records (all event types)

Rows are matched as multisets. Every truth row we miss must be explained in
expected/<adapter>.txt, one line each: `<capture> <row as JSON> # reason`.
The test fails when an adapter is under its threshold or a miss is unexplained.
Rows we produce that tshark does not are counted and listed with --verbose.

usage: run.py NETWARDEN SOURCE_DIR [--only ADAPTER,...] [--verbose] [--write-expected]
"""
import argparse
import concurrent.futures
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter


def canon(row, key):
    return json.dumps({k: row.get(k) for k in key}, sort_keys=True, ensure_ascii=False)


def load_adapters(adir, only):
    out = []
    for fn in sorted(os.listdir(adir)):
        if not fn.endswith(".py") or fn.startswith("_"):
            continue
        name = fn[:-3]
        if only and name not in only:
            continue
        spec = importlib.util.spec_from_file_location("adapter_" + name, os.path.join(adir, fn))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        out.append((name, mod))
    return out


def load_expected(path):
    exp = {}
    if not os.path.exists(path):
        return exp
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cap, _, rest = line.partition(" ")
            row, sep, reason = rest.rpartition(" # ")
            if not sep or not reason.strip():
                sys.exit(f"{path}:{n}: expected '<capture> <json row> # reason'")
            try:
                key = json.dumps(json.loads(row), sort_keys=True, ensure_ascii=False)
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{n}: row is not JSON: {e}")
            exp[(cap, key)] = exp.get((cap, key), 0) + 1
    return exp


def run_one(binary, pcap, outdir):
    out = os.path.join(outdir, os.path.basename(pcap) + ".json")
    p = subprocess.run([binary, "audit", "-q", "-r", pcap, "--eve", out],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=600)
    recs = []
    if os.path.exists(out):
        with open(out) as f:
            for n, line in enumerate(f, 1):
                try:
                    recs.append(json.loads(line))
                except json.JSONDecodeError as e:
                    sys.exit(f"{pcap}: record {n} is not valid JSON: {e}: {line[:200]}")
    # a crash is a failure whatever the records say; exit 2 on damaged input is allowed
    err = None
    if p.returncode not in (0, 2):
        err = f"{os.path.basename(pcap)}: netwarden exited {p.returncode}: {p.stderr[-1500:]}"
    return os.path.basename(pcap), recs, err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("netwarden")
    ap.add_argument("srcdir")
    ap.add_argument("--only", default="")
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("--write-expected", action="store_true",
                    help="append unexplained misses to expected/*.txt with reason TODO")
    a = ap.parse_args()
    here = os.path.join(a.srcdir, "tests", "corpus_check")
    corpus = os.path.join(a.srcdir, "tests", "corpus")
    only = set(x for x in a.only.split(",") if x)
    adapters = load_adapters(os.path.join(here, "adapters"), only)
    pcaps = sorted(os.path.join(corpus, "pcaps", f) for f in os.listdir(os.path.join(corpus, "pcaps")))

    records = {}
    crashes = []
    with tempfile.TemporaryDirectory() as tmp, \
            concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        for name, recs, err in ex.map(lambda p: run_one(a.netwarden, p, tmp), pcaps):
            records[name] = recs
            if err:
                crashes.append(err)

    failed = bool(crashes)
    for c in crashes:
        print("CRASH " + c)
    print(f"{'adapter':<16} {'truth':>7} {'matched':>8} {'agree':>8} {'need':>6} {'extra':>6} {'unexpl':>6}")
    for name, mod in adapters:
        key = list(mod.KEY)
        expected = load_expected(os.path.join(here, "expected", name + ".txt"))
        used = Counter()
        total = matched = extra = 0
        unexplained = []
        for cap in sorted(records):
            base = cap.rsplit(".", 1)[0]
            tpath = os.path.join(corpus, "truth", base, mod.TRUTH_FILE)
            if not os.path.exists(tpath):
                continue
            with open(tpath) as f:
                truth = mod.truth_rows([json.loads(l) for l in f if l.strip()])
            ours = Counter(canon(r, key) for r in mod.our_rows(records[cap]))
            tcount = Counter(canon(r, key) for r in truth)
            total += sum(tcount.values())
            for k, n in tcount.items():
                m = min(n, ours.get(k, 0))
                matched += m
                for _ in range(n - m):
                    if used[(cap, k)] < expected.get((cap, k), 0):
                        used[(cap, k)] += 1
                    else:
                        unexplained.append((cap, k))
            for k, n in ours.items():
                e = n - tcount.get(k, 0)
                if e > 0:
                    extra += e
                    if a.verbose:
                        print(f"  extra  {name} {cap} {k}")
        agree = matched / total if total else 1.0
        ok = agree >= mod.THRESHOLD and not unexplained
        failed |= not ok
        print(f"{name:<16} {total:>7} {matched:>8} {agree*100:>7.2f}% {mod.THRESHOLD*100:>5.0f}% "
              f"{extra:>6} {len(unexplained):>6} {'ok' if ok else 'FAIL'}")
        for cap, k in unexplained:
            print(f"  missed {name} {cap} {k}")
        for (cap, k), n in expected.items():
            if used[(cap, k)] < n:
                print(f"  note: {name}: expectation no longer needed: {cap} {k}")
        if a.write_expected and unexplained:
            with open(os.path.join(here, "expected", name + ".txt"), "a") as f:
                for cap, k in unexplained:
                    f.write(f"{cap} {k} # TODO\n")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
