#!/usr/bin/env bash
# bench/run.sh — `make bench`: netwarden's throughput against tcpdump, tshark and ndpiReader.
#
# Generates the synthetic access-network capture once (bench/gen_pcap.c; cached in
# $BUILD/bench/ and regenerated when the generator's source or options change), prints its
# sha256, then runs every tool on it (bench/bench.py: best of RUNS, pinned to one core) and a
# callgrind instruction count of netwarden on a 50k-packet prefix, compared with
# bench/baseline.json.
#
# Usage: bash bench/run.sh [--update-baseline] [--no-callgrind] [--only netwarden,tcpdump,...]
# Environment: NW_BUILD (build dir, default build), NW_BIN (default $NW_BUILD/netwarden),
#              BENCH_RUNS (default 3), BENCH_PACKETS (default 1000000).
# Not a test: exits 0 after printing; 1 only if a tool fails to run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${NW_BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
NW=${NW_BIN:-$BUILD/netwarden}
RUNS=${BENCH_RUNS:-3}
PACKETS=${BENCH_PACKETS:-1000000}
CACHE=$BUILD/bench
GEN=$CACHE/nw_gen_pcap
PCAP=$CACHE/access-${PACKETS}.pcap
STAMP=$PCAP.stamp

if [ ! -x "$NW" ]; then
    echo "bench: $NW not found: run 'make release' (or set NW_BIN)" >&2
    exit 1
fi
mkdir -p "$CACHE"
# the generator is a normal target of the build tree (bench/CMakeLists.txt); it is one file, so
# if the tree does not configure right now, compile it directly
if ! cmake --build "$BUILD" --target nw_gen_pcap >/dev/null 2>&1; then
    echo "bench: cmake --build $BUILD --target nw_gen_pcap failed; compiling the generator directly"
    if ! ${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE -o "$GEN" "$ROOT/bench/gen_pcap.c" -lcrypto; then
        echo "bench: cannot build bench/gen_pcap.c (needs libssl-dev: make deps)" >&2
        exit 1
    fi
fi

# regenerate when the generator's source or the options changed
want="$(sha256sum "$ROOT/bench/gen_pcap.c" | cut -d' ' -f1) -n $PACKETS"
if [ ! -s "$PCAP" ] || [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
    echo "bench: generating $PCAP"
    rm -f "$STAMP"
    "$GEN" -n "$PACKETS" "$PCAP"
    echo "$want" > "$STAMP"
else
    echo "bench: using cached $PCAP"
fi
SHA=$(sha256sum "$PCAP" | cut -d' ' -f1)
echo "capture sha256: $SHA"
echo "netwarden: $NW ($("$NW" --version 2>/dev/null | head -1), built $(date -r "$NW" '+%F %T'); tree at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo

exec python3 "$ROOT/bench/bench.py" --pcap "$PCAP" --netwarden "$NW" --runs "$RUNS" \
    --workdir "$CACHE" --baseline "$ROOT/bench/baseline.json" --sha256 "$SHA" \
    --json "$CACHE/last.json" "$@"
