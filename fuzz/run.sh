#!/usr/bin/env bash
# Run every libFuzzer harness for SECONDS each (make fuzz). New coverage goes
# to BUILD/fuzz-work/<name>/ (seeded from fuzz/corpus/<name>), crashes to
# BUILD/fuzz-crashes/; fuzz/dict/<name>.dict, where there is one, goes in as
# -dict. Exit 1 if any harness found a crash, leak or timeout.
# usage: fuzz/run.sh BUILD_DIR SECONDS [NAME...]
set -u
build=${1:?build dir}
secs=${2:-60}
shift 2 || true
src=$(cd "$(dirname "$0")" && pwd)
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for f in "$build"/fuzz/fuzz_*; do [ -x "$f" ] && names+=("$(basename "$f" | sed 's/^fuzz_//')"); done
fi
mkdir -p "$build/fuzz-crashes"
status=0
for n in "${names[@]}"; do
    work="$build/fuzz-work/$n"
    mkdir -p "$work"
    [ -d "$src/corpus/$n" ] && cp -rn "$src/corpus/$n/." "$work/" 2>/dev/null
    dict=()
    [ -f "$src/dict/$n.dict" ] && dict=(-dict="$src/dict/$n.dict")
    echo "== fuzz_$n for ${secs}s"
    if ! "$build/fuzz/fuzz_$n" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        ${dict[@]+"${dict[@]}"} \
        -artifact_prefix="$build/fuzz-crashes/$n-" -print_final_stats=1 "$work" \
        >"$build/fuzz-work/$n.log" 2>&1; then
        echo "   FAILED: see $build/fuzz-work/$n.log and $build/fuzz-crashes/"
        tail -n 30 "$build/fuzz-work/$n.log"
        status=1
    else
        grep -E "stat::number_of_executed_units|cov:" "$build/fuzz-work/$n.log" | tail -n 2
    fi
done
exit $status
