#!/usr/bin/env bash
# checksrc.sh - fail on banned calls in src/ (STYLE.md section 12):
# strcpy/strcat/sprintf/vsprintf/strtok/atoi/atol/gets, and raw malloc/calloc/
# realloc/free outside src/util/alloc.c (every allocation goes through
# nw_alloc so it is counted, capped and fault-injectable). A line may opt out
# with a reason in a comment: "checksrc: <why>" (e.g. a buffer libc allocated).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
banned=$(grep -rnE '(^|[^_A-Za-z0-9-])(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|gets)[[:space:]]*\(' \
    --include='*.c' --include='*.h' src include | grep -v 'checksrc:')
raw=$(grep -rnE '(^|[^_A-Za-z0-9.>-])(malloc|calloc|realloc|free)[[:space:]]*\(' \
    --include='*.c' --include='*.h' src include | grep -v '^src/util/alloc.c:' | grep -v 'checksrc:')
[ -n "$banned" ] && printf '%s\n' "$banned" | sed 's/^/checksrc: banned call (use snprintf, strtoul, nw_ helpers): /'
[ -n "$raw" ] && printf '%s\n' "$raw" | sed 's/^/checksrc: raw allocation (use nw_alloc and friends): /'
if [ -n "$banned$raw" ]; then exit 1; fi
echo "checksrc: clean"
