#!/usr/bin/env bash
# Property test of `netwarden query` (issue 3, point 1): random records of every
# event type imported into a store; no-filter round trip byte-identical; random
# filters give exactly what an independent brute-force scan (query_property.py)
# selects, with and without the store index. Seeds 1 and 2.
set -u
NW=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
rc=0
for seed in 1 2; do
    python3 "$SRC/tests/e2e/query_property.py" "$NW" "$T/s$seed" "$seed" 5000 120 || rc=1
done
exit $rc
