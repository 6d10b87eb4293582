#!/usr/bin/env python3
"""replay.py - power-loss crash states from an fsrec log, and their check.

A log made by fsrec.c (LD_PRELOAD) lists, in the order they took effect,
every change a run made below a directory: creates, writes with their data,
truncates, syncs, renames, unlinks, mkdir/rmdir. From the directory as it was
before the run (INITIAL) and the log, this builds the states a power loss may
leave, the way ALICE and CrashMonkey do it in user space:

  crash point k: the operations 0..k-1 were issued, then the power went.
  data:  a file's writes before its last fsync/fdatasync (before k) are
         persisted; later ones are absent or persisted in order up to any
         prefix, the write after it maybe torn at any byte ("prefix"), or,
         pessimistic ("zero"), the file grew to its final size but the
         unsynced bytes after the prefix read as zeros.
  names: a directory entry made or removed by creat, mkdir, rename, unlink or
         rmdir is persisted if its directory was fsynced after it ("posix");
         "ext4" also persists a new file's entry (and those of the new
         directories above it) when the file itself is fsynced or fdatasynced.
         Entries not persisted by the model are each kept or dropped.

The states are checked with netwarden (the `check` command): reopen (an import
of an empty file: recovery), `verify` must pass, every record that the synced
bytes held must be returned by `query` (the oracle: `query` on the "promise"
image: every name operation done, file data as of its last sync), no record
twice, each byte-identical to its input line; a segment the state's chain
has a "seg" line for is not changed by the reopen.

Which failures fail the test: every one in the --enforce models (default
all: posix/prefix,posix/zero,ext4/prefix,ext4/zero,ext4/reorder). A posix
failure outside --enforce is allowed only when its cause is a known missing
directory fsync: the state
is rebuilt with just the entries POSIX may lose under synced data persisted,
it must then pass, and each of those entries must match a line of --known
(tests/crash/powerloss_known.txt, which also lists "early PATH TEXT": a
failure saying TEXT at a crash before PATH was first synced).

Usage:
  replay.py info LOG INITIAL ROOT
  replay.py check NETWARDEN LOG INITIAL ROOT INPUTS WORKDIR [--states N] [--seed S]
                  [--keep-failed] [--drop-sync I|auto|interval] [--enforce MODELS]
                  [--known FILE] [--final-count N] [--reorder N]
ROOT is the directory fsrec recorded (NW_FSREC_DIR); INITIAL its copy from
before the run; INPUTS a file of every input JSON line; the store is
ROOT/store. --drop-sync treats the I-th sync of the log (auto: the segment
fdatasync that made the most writes durable; interval: the same among the
interval syncs, after which blocks follow) as not done while still promising
what it synced: the negative control. --reorder N adds N states of the
"reorder" data model (reported, enforced only when named in --enforce). --final-count N: the promise
at the end of the log must hold N records (the recorded store's count: checks
the model and the log). Python 3 standard library only; bounded: at most
--states states (default 60), chosen deterministically from --seed.
"""
import collections
import hashlib
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import time

OPS = {1: "start", 2: "open", 3: "write", 4: "truncate", 5: "fallocate", 6: "fsync",
       7: "fdatasync", 8: "rename", 9: "unlink", 10: "mkdir", 11: "rmdir", 12: "close",
       13: "unsupported"}
HDR = struct.Struct("<IBBHHHiixxxxQQ")  # fsrec.c's record header, 40 bytes
TIMEOUT = 60


def die(msg):
    print("replay: error: " + msg, file=sys.stderr)
    sys.exit(2)


# ------------------------------------------------------------------ the log --

def read_log(path):
    """The records of an fsrec log as dicts (op, pid, fd, a, b, p1, p2, data)."""
    with open(path, "rb") as f:
        buf = f.read()
    out, off = [], 0
    while off < len(buf):
        if off + HDR.size > len(buf):
            die("%s: torn record at byte %d" % (path, off))
        total, op, flags, l1, l2, _, pid, fd, a, b = HDR.unpack_from(buf, off)
        if total < HDR.size + l1 + l2 or off + total > len(buf) or op not in OPS:
            die("%s: bad record at byte %d" % (path, off))
        p = off + HDR.size
        out.append({"op": OPS[op], "flags": flags, "pid": pid, "fd": fd, "a": a, "b": b,
                    "p1": buf[p:p + l1].decode(), "p2": buf[p + l1:p + l1 + l2].decode(),
                    "data": buf[p + l1 + l2:off + total]})
        off += total
    return out


class Inode:
    def __init__(self, num, kind, path, base=b""):
        self.num, self.kind, self.first_path, self.base = num, kind, path, base


def parent(path):
    return os.path.dirname(path)


class Trace:
    """The log turned into events on inodes (files are followed across renames).

    events: ("mkdir"|"creat", path, ino, parent_ino), ("unlink"|"rmdir", path, ino,
    parent_ino), ("rename", src, dst, ino, src_parent, dst_parent),
    ("data", ino, kind, off, payload_or_len) with kind w(rite)/t(runcate)/a(llocate),
    ("sync", ino, "fsync"|"fdatasync")."""

    def __init__(self, records, initial, root):
        self.inodes, self.events, self.start = [], [], {}
        self.root = os.path.realpath(root)
        ns = {"": self.new_inode("d", "")}  # relative path -> inode number, as issued
        for dirpath, dirs, files in os.walk(initial):
            rel = os.path.relpath(dirpath, initial)
            rel = "" if rel == "." else rel
            for d in sorted(dirs):
                ns[os.path.join(rel, d)] = self.new_inode("d", os.path.join(rel, d))
            for fn in sorted(files):
                with open(os.path.join(dirpath, fn), "rb") as f:
                    ns[os.path.join(rel, fn)] = self.new_inode("f", os.path.join(rel, fn),
                                                               f.read())
        self.initial_ns = dict(ns)
        fds = collections.defaultdict(dict)
        for r in records:
            op = r["op"]
            if op == "unsupported":
                die("the log has a change replay cannot model: %s (fd %d)" % (r["p1"], r["fd"]))
            if op == "start":
                fds[r["pid"]] = {}
                self.start[len(self.events)] = r["pid"]
                continue
            p1 = self.rel(r["p1"]) if r["p1"] else None
            if op == "open":
                created, trunc, isdir = r["flags"] & 1, r["flags"] & 2, r["flags"] & 4
                if created:
                    ino = self.new_inode("d" if isdir else "f", p1)
                    self.events.append(("creat", p1, ino, ns.get(parent(p1))))
                    ns[p1] = ino
                elif p1 in ns:
                    ino = ns[p1]
                else:
                    die("open of %s, which the trace does not know" % p1)
                if trunc:
                    self.events.append(("data", ino, "t", 0, 0))
                fds[r["pid"]][r["fd"]] = ino
            elif op in ("write", "truncate", "fallocate", "fsync", "fdatasync", "close"):
                ino = fds[r["pid"]].get(r["fd"])
                if ino is None:
                    die("%s on fd %d of pid %d, never opened" % (op, r["fd"], r["pid"]))
                if op == "write":
                    self.events.append(("data", ino, "w", r["a"], r["data"]))
                elif op == "truncate":
                    self.events.append(("data", ino, "t", r["a"], 0))
                elif op == "fallocate":
                    self.events.append(("data", ino, "a", r["a"], r["b"]))
                elif op == "close":
                    del fds[r["pid"]][r["fd"]]
                else:
                    self.events.append(("sync", ino, op))
            elif op == "mkdir":
                ino = self.new_inode("d", p1)
                self.events.append(("mkdir", p1, ino, ns.get(parent(p1))))
                ns[p1] = ino
            elif op in ("unlink", "rmdir"):
                if p1 not in ns:
                    die("%s of %s, which the trace does not know" % (op, p1))
                self.events.append((op, p1, ns[p1], ns.get(parent(p1))))
                for q in [q for q in ns if q == p1 or q.startswith(p1 + "/")]:
                    del ns[q]
            elif op == "rename":
                p2 = self.rel(r["p2"])
                ino = ns.get(p1)
                if ino is None:
                    die("rename of %s, which the trace does not know" % p1)
                self.events.append(("rename", p1, p2, ino, ns.get(parent(p1)),
                                    ns.get(parent(p2))))
                moved = {q: v for q, v in ns.items() if q == p1 or q.startswith(p1 + "/")}
                for q in moved:
                    del ns[q]
                for q, v in moved.items():
                    ns[p2 + q[len(p1):]] = v
        self.syncs = [i for i, e in enumerate(self.events) if e[0] == "sync"]

    def new_inode(self, kind, path, base=b""):
        self.inodes.append(Inode(len(self.inodes), kind, path, base))
        return len(self.inodes) - 1

    def rel(self, path):
        if path == self.root:
            return ""
        if not path.startswith(self.root + "/"):
            die("path %s is not below %s" % (path, self.root))
        return path[len(self.root) + 1:]


# ------------------------------------------------------------- the model --

def durable_names(tr, k, model, dropped_syncs):
    """Indexes of name events before k that the model persists."""
    synced_after = collections.defaultdict(list)  # inode -> sync event indexes before k
    for i in tr.syncs:
        if i < k and i not in dropped_syncs:
            synced_after[tr.events[i][1]].append(i)

    def synced(ino, after):
        return ino is not None and any(j > after for j in synced_after[ino])

    made_by = {}  # inode -> index of the event that created it
    for i in range(k):
        e = tr.events[i]
        if e[0] in ("creat", "mkdir"):
            made_by[e[2]] = i
    out = set()
    for i in range(k):
        e = tr.events[i]
        if e[0] in ("creat", "mkdir", "unlink", "rmdir"):
            if synced(e[3], i):
                out.add(i)
        elif e[0] == "rename":
            if synced(e[4], i) and synced(e[5], i):
                out.add(i)
    if model == "ext4":
        # fsync/fdatasync of a new file persists its entry, and the entries of the new
        # directories above it (ext4_sync_parent); done to a fixed point
        for i in range(k):
            e = tr.events[i]
            if e[0] in ("creat", "mkdir") and synced(e[2], i):
                j = i
                while j is not None and j not in out:
                    out.add(j)
                    j = made_by.get(tr.events[j][3])
    return out


def file_ops(tr, k, dropped_syncs):
    """inode -> (its data events before k, how many of them are synced)."""
    ops = collections.defaultdict(list)
    nsync = {}
    for i in range(k):
        e = tr.events[i]
        if e[0] == "data":
            ops[e[1]].append(e)
        elif e[0] == "sync" and i not in dropped_syncs:
            nsync[e[1]] = len(ops[e[1]])
    return {ino: (lst, nsync.get(ino, 0)) for ino, lst in ops.items()}


def apply_data(content, e, zero):
    _, _, kind, off, arg = e
    if kind == "t":
        return content[:off] + bytes(max(0, off - len(content)))
    if kind == "a":
        end = off + arg
        return content + bytes(max(0, end - len(content)))
    end = off + len(arg)
    if len(content) < off:
        content += bytes(off - len(content))
    if zero:  # the size grew, the bytes did not reach the disk
        return content + bytes(max(0, end - len(content)))
    return content[:off] + arg + content[end:]


def build(tr, k, names, data_choice, zero_rest, dest, dropped_syncs):
    """Write the state into dest. names: the name events (before k) that persisted;
    data_choice: inode -> how many data events persisted (beyond: absent, or zeros when
    zero_rest)."""
    ns = dict(tr.initial_ns)
    for i in sorted(names):
        e = tr.events[i]
        if e[0] in ("creat", "mkdir"):
            if parent(e[1]) in ns and e[1] not in ns:
                ns[e[1]] = e[2]
        elif e[0] in ("unlink", "rmdir"):
            if ns.get(e[1]) == e[2]:
                for q in [q for q in ns if q == e[1] or q.startswith(e[1] + "/")]:
                    del ns[q]
        elif e[0] == "rename":
            src, dst = e[1], e[2]
            if ns.get(src) == e[3] and parent(dst) in ns:
                moved = {q: v for q, v in ns.items() if q == src or q.startswith(src + "/")}
                for q in [q for q in ns if q == dst or q.startswith(dst + "/")]:
                    del ns[q]
                for q in moved:
                    del ns[q]
                for q, v in moved.items():
                    ns[dst + q[len(src):]] = v
    ops = file_ops(tr, k, dropped_syncs)
    os.makedirs(dest)
    for path in sorted(ns, key=lambda p: (p.count("/"), p)):
        if path == "":
            continue
        ino = tr.inodes[ns[path]]
        full = os.path.join(dest, path)
        if ino.kind == "d":
            os.makedirs(full, exist_ok=True)
            continue
        content = ino.base
        lst, _ = ops.get(ino.num, ([], 0))
        upto = data_choice.get(ino.num, len(lst))
        for j, e in enumerate(lst):
            torn = 0
            if isinstance(upto, list):  # reorder: [synced count, kept flags of the rest]
                keep = j < upto[0] or upto[1][j - upto[0]]
            elif isinstance(upto, tuple):  # (kept count, bytes of the next write kept)
                keep, torn = j < upto[0], upto[1] if j == upto[0] else 0
            else:
                keep = j < upto
            if keep:
                content = apply_data(content, e, False)
            elif torn and e[2] == "w":  # a torn write: its first bytes reached the disk
                content = apply_data(content, e[:4] + (e[4][:torn],), False)
                if zero_rest:
                    content = apply_data(content, e, True)
            elif zero_rest:
                content = apply_data(content, e, True)
        with open(full, "wb") as f:
            f.write(content)


def all_names(tr, k):
    return {i for i in range(k) if tr.events[i][0] in ("creat", "mkdir", "unlink", "rmdir",
                                                       "rename")}


def state_spec(tr, k, model, rng, mode, dropped_syncs):
    """(names, data_choice, zero_rest) of one state at crash point k.
    mode: min (only what the model persists), rand (each unpersisted name kept or
    dropped, each file an unsynced prefix, its next write half the time torn at a
    random byte), zero (rand, and the rest of each file
    as zeros up to its final size), reorder (each unsynced write of a file kept or
    zeros on its own: not a prefix; the file grew to its final size)."""
    dur = durable_names(tr, k, model, dropped_syncs)
    ops = file_ops(tr, k, dropped_syncs)
    if mode == "min":
        return dur, {ino: s for ino, (lst, s) in ops.items()}, False
    names = set(dur)
    for i in sorted(all_names(tr, k) - dur):
        if rng.random() < 0.5:
            names.add(i)
    choice = {}
    for ino, (lst, s) in sorted(ops.items()):
        if mode == "reorder":
            choice[ino] = [s, [rng.random() < 0.5 for _ in range(len(lst) - s)]]
        else:
            upto = rng.randint(s, len(lst))
            choice[ino] = upto
            # half the time the next write is torn: a part of it reached the disk
            if upto < len(lst) and lst[upto][2] == "w" and len(lst[upto][4]) > 1 and \
                    rng.random() < 0.5:
                choice[ino] = (upto, rng.randint(1, len(lst[upto][4]) - 1))
    return names, choice, mode in ("zero", "reorder")


def unsafe_entries(tr, k, dropped_syncs):
    """Names the POSIX model may lose although data or lines under them were synced:
    (event index, op, path, index of the sync that the entry did not follow)."""
    dur = durable_names(tr, k, "posix", dropped_syncs)
    out = []
    for i in range(k):
        e = tr.events[i]
        if e[0] not in ("creat", "mkdir") or i in dur:
            continue
        for j in tr.syncs:
            if i < j < k and j not in dropped_syncs and (
                    tr.events[j][1] == e[2] or
                    tr.inodes[tr.events[j][1]].first_path.startswith(e[1] + "/")):
                out.append((i, e[0], e[1], j))
                break
    return out


# ------------------------------------------------------------- the check --

ID_RE = re.compile(rb'"id":"(c[0-9]+-[0-9]+)"')


def run(cmd, env=None):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIMEOUT, env=env)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return -1, b"", b"timeout after %d s" % TIMEOUT


def records(nw, store):
    """id -> list of lines query returns, or an error string."""
    rc, out, err = run([nw, "query", "--store", store])
    if rc != 0:
        return "query exit %d: %s" % (rc, err.decode(errors="replace").strip()[-400:])
    got = collections.defaultdict(list)
    for line in out.splitlines():
        m = ID_RE.search(line)
        if m:
            got[m.group(1).decode()].append(line)
    return got


def sealed_files(store):
    """path -> SHA-256 of every segment file the chain has a "seg" line for."""
    out = {}
    try:
        with open(os.path.join(store, "chain"), "rb") as f:
            for line in f:
                w = line.split()
                if len(w) >= 3 and w[0] == b"seg" and w[1].isdigit():
                    p = os.path.join(store, w[2].decode(errors="replace"),
                                     "%012d.nws" % int(w[1]))
                    if os.path.exists(p):
                        with open(p, "rb") as g:
                            out[p] = hashlib.sha256(g.read()).hexdigest()
    except OSError:
        pass
    return out


def expired_days(store):
    days = set()
    try:
        with open(os.path.join(store, "chain"), "rb") as f:
            for line in f:
                w = line.split()
                if w and w[0] == b"expire":
                    days.add(w[1].decode())
    except OSError:
        pass
    return days


def day_of(line):
    m = re.search(rb'"timestamp":"([0-9]{4}-[0-9]{2}-[0-9]{2})T', line)
    return m.group(1).decode() if m else ""


def choose_points(tr, nstates, rng):
    """Crash points: just before and just after every sync, the end, then a seeded
    sample between syncs."""
    n = len(tr.events)
    pts = {n}
    for i in tr.syncs:
        pts.add(i)
        pts.add(i + 1)
    pts = sorted(pts)
    others = sorted(set(range(1, n)) - set(pts))
    rng.shuffle(others)
    return pts, others


def parse_opts(opts):
    o = {"states": 60, "seed": 1, "keep": False, "drop": None, "final": None, "reorder": 0,
         "enforce": {"posix/prefix", "posix/zero", "ext4/prefix", "ext4/zero", "ext4/reorder"},
         "known": None}
    i = 0
    while i < len(opts):
        name = opts[i][2:]
        if opts[i] == "--keep-failed":
            o["keep"] = True
        elif name in ("states", "seed", "final-count", "reorder") and i + 1 < len(opts):
            o[name.replace("-count", "")] = int(opts[i + 1])
            i += 1
        elif name == "drop-sync" and i + 1 < len(opts):
            o["drop"] = opts[i + 1]
            i += 1
        elif name == "enforce" and i + 1 < len(opts):
            o["enforce"] = set(opts[i + 1].split(","))
            i += 1
        elif name == "known" and i + 1 < len(opts):
            o["known"] = opts[i + 1]
            i += 1
        else:
            die("unknown option " + opts[i])
        i += 1
    return o


def read_known(path):
    """Known missing directory fsyncs: (op, compiled path pattern, note) per line."""
    out = []
    if path is None:
        return out
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)
            w = line[0].split(None, 2)
            if len(w) >= 2:
                out.append((w[0], re.compile(w[1] + "$"), line[1].strip() if len(line) > 1
                            else "", w[2].strip() if len(w) > 2 else ""))
    return out


def plan(tr, o, rng, dropped):
    """The states to build: (k, name model, data mode)."""
    sync_pts, others = choose_points(tr, o["states"], rng)
    if dropped:  # the control: the crash points while only the dropped sync held the data
        si = min(dropped)
        nxt = next((j for j in tr.syncs if j > si and tr.events[j][1] == tr.events[si][1]),
                   len(tr.events))
        specs = [(k, "ext4", "min") for k in sync_pts if si < k <= nxt]
        extra = [(k, "ext4", "rand") for k in range(si + 1, nxt + 1)]
        rng.shuffle(extra)
        return (specs + extra)[:o["states"]]
    # half: each model's minimal state at sync points (where the promise changes),
    # thinned evenly, the end kept; half: random states anywhere, every model
    specs = [(k, m, "min") for k in sync_pts for m in ("posix", "ext4")]
    half = max(2, o["states"] // 2)
    if len(specs) > half:
        step = len(specs) / float(half)
        specs = [specs[int(x * step)] for x in range(half - 2)] + specs[-2:]
    pts = others + sync_pts
    rng.shuffle(pts)
    kinds = [(m, d) for d in ("rand", "zero") for m in ("posix", "ext4")]
    extra = [(k, kinds[j % 4][0], kinds[j % 4][1]) for j, k in enumerate(pts)]
    specs += extra[:max(0, o["states"] - len(specs))]
    # reorder states where a segment had two unsynced writes or more (else it is a prefix)
    multi = [k for k in sorted(set(others + sync_pts))
             if any(len(lst) - s >= 2 and tr.inodes[ino].first_path.endswith(".nws")
                    for ino, (lst, s) in file_ops(tr, k, dropped).items())]
    rng.shuffle(multi)
    return specs + [(k, "ext4", "reorder") for k in multi[:o["reorder"]]]


# the store's id file: written in place by older binaries, as STORE.tmp and renamed now
STORE_NAMES = ("store/STORE", "store/STORE.tmp")


def check(args):
    nw, logp, initial, root, inputs, work = args[:6]
    o = parse_opts(args[6:])
    t0 = time.time()
    tr = Trace(read_log(logp), initial, root)
    rng = random.Random(o["seed"])
    known = read_known(o["known"])
    dropped = set()
    if o["drop"] is not None:
        si = pick_sync(tr, o["drop"]) if o["drop"] in ("auto", "interval") \
            else tr.syncs[int(o["drop"])]
        dropped = {si}
        e = tr.events[si]
        print("replay: negative control: sync #%d (event %d, %s of %s) treated as not done"
              % (tr.syncs.index(si), si, e[2], tr.inodes[e[1]].first_path))
    want_line = {}
    with open(inputs, "rb") as f:
        for line in f:
            m = ID_RE.search(line)
            if m:
                want_line[m.group(1).decode()] = line.rstrip(b"\n")
    specs = plan(tr, o, rng, dropped)
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work)
    empty = os.path.join(work, "empty.json")
    open(empty, "wb").close()
    oracle_cache, outcome = {}, {}
    st = collections.Counter()

    def promise(k):
        """Record ids the synced bytes hold at k: every name operation done, each file
        as of its last sync, every sync done (the control's dropped one is promised)."""
        key = (sum(1 for j in tr.syncs if j < k),
               sum(1 for j in range(k) if tr.events[j][0] not in ("data", "sync")))
        if key not in oracle_cache and not any(
                j < k and tr.inodes[tr.events[j][1]].first_path in STORE_NAMES
                for j in tr.syncs):
            oracle_cache[key] = (key, set())  # the store's id was never synced: no store
        if key not in oracle_cache:
            odest = os.path.join(work, "promise")
            ops = file_ops(tr, k, set())
            build(tr, k, all_names(tr, k), {ino: s for ino, (_, s) in ops.items()}, False,
                  odest, set())
            # no STORE yet (a crash before STORE.tmp was renamed): no store to promise
            got = records(nw, os.path.join(odest, "store")) \
                if os.path.isfile(os.path.join(odest, "store", "STORE")) else {}
            shutil.rmtree(odest)
            if isinstance(got, str):
                die("query on the promise image at k=%d failed: %s" % (k, got))
            oracle_cache[key] = (key, set(got))
            st["promises"] += 1
        return oracle_cache[key]

    def verdict(k, names, choice, zero, dest):
        """Build and check one state; the outcome of equal states is reused."""
        build(tr, k, names, choice, zero, dest, dropped)
        st["built"] += 1
        key, must = promise(k)
        h = (tree_hash(dest), key)
        if h not in outcome:
            outcome[h] = check_state(nw, dest, empty, must, want_line)
            st["checked"] += 1
        else:
            st["same"] += 1
        return outcome[h]

    failures = []
    seen_entries = set()
    for n, (k, model, mode) in enumerate(specs):
        srng = random.Random("%d/%d/%s/%s" % (o["seed"], k, model, mode))
        names, choice, zero = state_spec(tr, k, model, srng, mode, dropped)
        dest = os.path.join(work, "s%03d" % n)
        why = verdict(k, names, choice, zero, dest)
        dmode = "reorder" if mode == "reorder" else "zero" if zero else "prefix"
        st["%s/%s" % (model, dmode)] += 1
        cause = ""
        if why and model == "posix":
            # the cause: is it the entries the POSIX model may lose under synced data?
            # persist them (and nothing else) and look again
            uns = [u for u in unsafe_entries(tr, k, dropped) if u[0] not in names]
            if uns:
                names2 = set(names) | {u[0] for u in uns}
                d2 = dest + "-entries"
                if not verdict(k, names2, choice, zero, d2):
                    unknown = [u for u in uns if not any(
                        u[1] == op and pat.match(u[2]) for op, pat, _, _ in known)]
                    cause = "explained" if not unknown else "unknown"
                    why += "; passes when these entries persist: " + ", ".join(
                        "%s %s (event %d, synced at %d)%s" % (u[1], u[2], u[0], u[3],
                                                               "" if u not in unknown else
                                                               " NOT IN THE KNOWN LIST")
                        for u in (unknown + [u for u in uns if u not in unknown])[:4]) + \
                        (" and %d more" % (len(uns) - 4) if len(uns) > 4 else "")
                    for u in uns:
                        seen_entries.add((u[1], u[2]))
                shutil.rmtree(d2, ignore_errors=True)
        label = "%s/%s" % (model, dmode)
        for op, pat, _, text in known:
            # "early PATH TEXT": a failure saying TEXT while PATH was never synced yet
            if why and op == "early" and text and text in why and not any(
                    j < k and pat.match(tr.inodes[tr.events[j][1]].first_path)
                    for j in tr.syncs):
                cause = "early " + pat.pattern[:-1]
        if why:
            failures.append((n, k, model, mode, label, why, cause))
        if not (why and o["keep"]):
            shutil.rmtree(dest, ignore_errors=True)
    if o["final"] is not None:  # the promise at the end must be the recorded store itself
        _, got = promise(len(tr.events))
        if len(got) != o["final"]:
            die("the promise image at the end of the trace holds %d records, the recorded "
                "store %d: the model or the log is wrong" % (len(got), o["final"]))
        print("replay: the promise at the end of the trace is the recorded store (%d records)"
              % o["final"])
    print("replay: %d events (%d syncs) in the log; %d crash states (%s), %d states built "
          "with the cause checks, %d distinct checked, %d promises queried; %.1f s" %
          (len(tr.events), len(tr.syncs), len(specs),
           ", ".join("%s %d" % (m, st[m]) for m in ("posix/prefix", "posix/zero",
                                                     "ext4/prefix", "ext4/zero",
                                                     "ext4/reorder")),
           st["built"], st["checked"], st["promises"], time.time() - t0))
    bad = nknown = 0
    for n, k, model, mode, label, why, cause in failures:
        if label.endswith("/reorder") and label not in o["enforce"] \
                and "all" not in o["enforce"]:
            verdict_s = "model limit (reorder is not enforced: the store assumes a crash " \
                "leaves a prefix of the unsynced appends)"
        elif cause.startswith("early "):
            verdict_s = "known (crash before %s was first synced)" % cause[6:]
        elif label in o["enforce"] or "all" in o["enforce"]:
            verdict_s = "FAIL"
        elif cause == "explained":
            verdict_s = "known (missing directory fsync)"
        else:
            verdict_s = "FAIL (not explained by a known missing directory fsync)"
        bad += verdict_s.startswith("FAIL")
        nknown += cause == "explained" and verdict_s.startswith("known")
        if cause != "explained" or not verdict_s.startswith("known") or nknown <= 5:
            print("replay: %s: state s%03d, %s state, crash before event %d (%s), model %s: %s"
                  % (verdict_s, n, mode, k, describe(tr, k), label, why))
    if nknown > 5:
        print("replay: ... and %d more known failures" % (nknown - 5))
    for op, pat, note, _ in known:
        if op == "early":
            n_e = sum(1 for f in failures if f[6] == "early " + pat.pattern[:-1])
            print("replay: known: a crash before %s was first synced: %d states (%s)" % (
                pat.pattern[:-1], n_e, note))
            continue
        hits = sorted(p for o2, p in seen_entries if o2 == op and pat.match(p))
        print("replay: known missing directory fsync %s %s: %s" % (
            op, pat.pattern[:-1], "lost synced data in %d entries (%s)" % (
                len(hits), ", ".join(hits[:3])) if hits else "NOT SEEN in these states: "
            "remove it from the list if the store syncs that directory now"))
    byk = collections.Counter(f[4] for f in failures)
    print("replay: failures per model: %s; %d not allowed" % (dict(byk) if byk else "none",
                                                                bad))
    return 1 if bad else 0


def pick_sync(tr, how):
    """The negative control's sync: the fdatasync of a segment that made the most new
    writes durable (the latest of equals), with the file synced again later; "interval":
    only those after which blocks are appended to the file (not a seal's or a close's)."""
    best, most = None, 0
    for n, i in enumerate(tr.syncs):
        ino = tr.events[i][1]
        if not tr.inodes[ino].first_path.endswith(".nws") or tr.events[i][2] != "fdatasync":
            continue
        nxt = next((j for j in tr.syncs[n + 1:] if tr.events[j][1] == ino), None)
        if nxt is None:
            continue
        # blocks follow (two writes at least: a seal's sync is followed by one, the footer)
        if how == "interval" and sum(1 for j in range(i + 1, nxt) if tr.events[j][0] == "data"
                                     and tr.events[j][1] == ino) < 2:
            continue
        prev = max([j for j in tr.syncs[:n] if tr.events[j][1] == ino] or [-1])
        w = sum(1 for j in range(prev + 1, i) if tr.events[j][0] == "data" and
                tr.events[j][1] == ino)
        if w >= most and w > 0:
            best, most = i, w
    if best is None:
        die("no sync fits the negative control")
    return best


def describe(tr, k):
    if k >= len(tr.events):
        return "end of the trace"
    e = tr.events[k]
    if e[0] == "data":
        return "data %s of %s" % (e[2], tr.inodes[e[1]].first_path)
    if e[0] == "sync":
        return "%s of %s" % (e[2], tr.inodes[e[1]].first_path)
    return "%s %s" % (e[0], e[1])


def tree_hash(d):
    h = hashlib.sha256()
    for dirpath, dirs, files in os.walk(d):
        dirs.sort()
        h.update(b"D" + os.path.relpath(dirpath, d).encode())
        for fn in sorted(files):
            h.update(b"F" + fn.encode())
            with open(os.path.join(dirpath, fn), "rb") as f:
                h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def check_state(nw, dest, empty, must, want_line):
    """'' if the state passes, else what went wrong."""
    store = os.path.join(dest, "store")
    if not os.path.isdir(store):
        return "" if not must else "the store directory is gone (%d records lost)" % len(must)
    sealed = sealed_files(store)
    rc, _, err = run([nw, "import", "-q", "--retention-days", "36500", "--store", store, empty])
    if rc != 0:
        return "reopen exit %d: %s" % (rc, err.decode(errors="replace").strip()[-300:])
    gone = expired_days(store)
    for path, h in sorted(sealed.items()):
        if os.path.basename(os.path.dirname(path)) in gone:
            continue
        if not os.path.exists(path):
            return "sealed segment %s was removed by the reopen" % path[len(store) + 1:]
        with open(path, "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() != h:
                return "sealed segment %s was changed by the reopen" % path[len(store) + 1:]
    rc, out, err = run([nw, "verify", "-q", "--store", store])
    if rc != 0:
        return "verify exit %d: %s" % (rc, (out + err).decode(errors="replace").strip()[-300:])
    got = records(nw, store)
    if isinstance(got, str):
        return got
    lost = sorted(r for r in must if r not in got and day_of(want_line.get(r, b"")) not in gone)
    if lost:
        return "%d synced records lost (e.g. %s)" % (len(lost), ", ".join(lost[:3]))
    for r, lines in got.items():
        if len(lines) > 1:
            return "record %s stored %d times" % (r, len(lines))
        if r not in want_line:
            return "record %s was never imported" % r
        if lines[0] != want_line[r]:
            return "record %s differs from its input line" % r
    return ""


def info(args):
    logp, initial, root = args[:3]
    tr = Trace(read_log(logp), initial, root)
    c = collections.Counter(e[0] if e[0] != "data" else "data-" + e[2] for e in tr.events)
    print("events: %d; %s" % (len(tr.events), dict(c)))
    for i, e in enumerate(tr.events):
        if e[0] != "data":
            print(i, e[0], *(x if isinstance(x, str) else
                             (tr.inodes[x].first_path if isinstance(x, int) and e[0] == "sync"
                              else x) for x in e[1:]))
    return 0


def main():
    if len(sys.argv) < 2:
        die("usage: see the comment at the top of " + sys.argv[0])
    if sys.argv[1] == "info" and len(sys.argv) >= 5:
        return info(sys.argv[2:])
    if sys.argv[1] == "check" and len(sys.argv) >= 8:
        return check(sys.argv[2:])
    die("usage: see the comment at the top of " + sys.argv[0])


if __name__ == "__main__":
    sys.exit(main())
