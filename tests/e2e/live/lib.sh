# live/lib.sh - the namespace and veth pairs of the live capture tests (sourced;
# the caller sets T, a temp dir removed at exit). Needs root and iproute2.
# live_init P [TOOL...]: names ns, ha (this side) and hb (the namespace's) from
# prefix P and the pid, skips the test (exit 0 with a note) without root,
# fails it without a TOOL it needs, creates the namespace and removes all of
# it, the pairs, a server and netwarden ($srv, $nwpid) at exit.
live_init() {
    ns=${1}ns$$; ha=${1}a$$; hb=${1}b$$
    if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null; then
        echo "skip: live capture needs root and iproute2"
        exit 0
    fi
    shift
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "FAIL: $tool missing (scripts/deps.sh)"; exit 1; }
    done
    trap live_cleanup EXIT
    ip netns add "$ns" || { echo "FAIL: ip netns add"; exit 1; }
    ip -n "$ns" link set lo up
}
live_cleanup() {
    [ -n "${srv:-}" ] && kill "$srv" 2>/dev/null
    [ -n "${nwpid:-}" ] && kill "$nwpid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    for l in "$ha" ${live_links:-}; do ip link del "$l" 2>/dev/null; done
    rm -rf "$T"
}
# live_pair NET WWW [A B]: the pair (ha and hb, or A here and B in the
# namespace) with NET.1 here and NET.2 in the namespace, and, unless WWW is
# empty, an HTTP server on NET.2:8080 serving WWW (started again on each call)
live_pair() {
    local a=${3:-$ha} b=${4:-$hb}
    ip link add "$a" type veth peer name "$b" || return 1
    [ "$a" = "$ha" ] || live_links="${live_links:-} $a"
    ip link set "$b" netns "$ns"
    ip addr add "$1.1/24" dev "$a"
    ip link set "$a" up
    ip -n "$ns" addr add "$1.2/24" dev "$b"
    ip -n "$ns" link set "$b" up
    [ -n "$2" ] || return 0
    if [ -n "${srv:-}" ]; then kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null; fi
    ip netns exec "$ns" python3 -m http.server 8080 --bind "$1.2" --directory "$2" \
        >"$T/srv.log" 2>&1 &
    srv=$!
}
# live_stop SIG: stop netwarden ($nwpid, its stderr in $T/nw.err) with SIG; the
# test fails here unless it exits 0
live_stop() {
    kill -"$1" "$nwpid"
    wait "$nwpid"
    local rc=$?
    nwpid=
    [ $rc -eq 0 ] || { echo "FAIL: netwarden exited $rc after SIG$1"; cat "$T/nw.err"; exit 1; }
}
