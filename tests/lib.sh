# SPDX-License-Identifier: MIT
# tests/lib.sh - shared by the shell tests: tool paths, skips, cleanup.
#
# Source it, then register what you create with `cleanup_add CMD...`; the
# commands run in reverse order on exit, on failure and on signals.
set -u
VTAPCTL=${VTAPCTL:-$VTAP_BUILDDIR/src/tools/vtapctl}
VTAP_SWITCHD=${VTAP_SWITCHD:-$VTAP_BUILDDIR/src/tools/vtap-switchd/vtap-switchd}
VTAP_DATA=$VTAP_SRCDIR/tests/data
_cleanups=()
_failed=0

cleanup_add() { _cleanups+=("$*"); }
# A command runs in this function's scope: it may set any variable (a
# `for i ...` in it once reset a loop counter here and skipped the commands
# after it), so the next one is taken off the list's end, not indexed.
_run_cleanups() {
	local c
	while ((${#_cleanups[@]} > 0)); do
		c=${_cleanups[${#_cleanups[@]} - 1]}
		unset '_cleanups[${#_cleanups[@]} - 1]'
		eval "$c" >/dev/null 2>&1 || true
	done
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

# Skip reasons say why: `SKIP: missing ...` is something scripts/setup.sh
# or the build provides (a tool, a package, a built program): .ci/run
# fails such a skip, since CI runs as root on Debian 12 where nothing may
# be missing. Any other reason (no root, a kernel feature) is only
# reported.
skip() { echo "SKIP: $*" >&2; exit 77; }
# need CMD PACKAGE: skip unless CMD is on PATH.
need() {
	command -v "$1" >/dev/null ||
		skip "missing tool $1 (apt-get install $2; scripts/setup.sh installs it)"
}
# need_built PATH: skip unless the build made PATH.
need_built() { [ -x "$1" ] || skip "missing build: ${1#"$VTAP_BUILDDIR"/} not built"; }
require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -w /dev/net/tun ] || skip "no /dev/net/tun"
}
fail() { echo "FAIL: $*" >&2; _failed=1; }
ok() { echo "ok: $*"; }
# Assert that a command succeeds.
check() { if "$@"; then ok "$*"; else fail "$*"; fi; }
# Assert that a command fails with exit code $1.
check_exit() {
	local want=$1; shift
	"$@" >/dev/null 2>&1; local got=$?
	if [ "$got" = "$want" ]; then ok "exit $want: $*"; else fail "exit $got (want $want): $*"; fi
}
finish() { [ "$_failed" = 0 ] || exit 1; exit 0; }
# A unique short name for a netdev or namespace.
# eventually COMMAND: poll a shell condition until it holds, up to 60 s of
# wall time (a bound, no timing claim: a loaded machine runs daemons'
# rounds late, and a slow condition must not multiply the bound).
eventually() {
	local end=$((SECONDS + 60))
	while [ "$SECONDS" -lt "$end" ]; do
		eval "$1" && return 0
		sleep 0.1
	done
	return 1
}
uname_() { echo "vt$1$$" | cut -c1-15; }
# Where vtapctl keeps a tap's state (keyed by netns and ifindex, not name):
# `pins_of NAME` the steering pins, `rundir_of NAME` the run directory.
# Extra arguments go before the object (e.g. -n NETNS).
pins_of() { local n=$1; shift; "$VTAPCTL" "$@" -j steer show dev "$n" 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["pins"])'; }
rundir_of() { local n=$1; shift; "$VTAPCTL" "$@" -j dev show "$n" 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["run_dir"])'; }
# netns_add NS...: make each network namespace (lo up), removed on exit.
netns_add() {
	local ns
	for ns in "$@"; do
		ip netns add "$ns" || { fail "ip netns add $ns"; continue; }
		cleanup_add ip netns del "$ns"
		ip -n "$ns" link set lo up
	done
}
# tcp_ok FROM-NS ADDR BYTES TO-NS: BYTES random bytes over TCP (port 5556)
# from FROM-NS to ADDR (IPv4 or IPv6) in TO-NS; true when the receiver got
# them all, equal by length and SHA-256. Uses the test's $TMP.
tcp_ok() {
	local from=$1 to=$2 bytes=$3 tons=$4 rx
	rm -f "$TMP/rx" "$TMP/tx"
	ip netns exec "$tons" python3 -c '
import hashlib, socket, sys
a = sys.argv[2]
s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((a, 5556)); s.listen(1); s.settimeout(60)
c, _ = s.accept(); c.settimeout(60); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(1 << 16)
    if not b: break
    h.update(b); n += len(b)
open(sys.argv[1], "w").write("%d %s" % (n, h.hexdigest()))
' "$TMP/rx" "$to" &
	rx=$!
	# The sender retries until the receiver listens (60 s).
	ip netns exec "$from" python3 -c '
import hashlib, os, socket, sys, time
a = sys.argv[2]
data = os.urandom(int(sys.argv[3]))
end = time.monotonic() + 60
while True:
    try:
        s = socket.create_connection((a, 5556), timeout=5); break
    except OSError:
        if time.monotonic() > end: raise
        time.sleep(0.1)
s.sendall(data); s.close()
open(sys.argv[1], "w").write("%d %s" % (len(data), hashlib.sha256(data).hexdigest()))
' "$TMP/tx" "$to" "$bytes"
	wait $rx
	[ -s "$TMP/tx" ] && cmp -s "$TMP/tx" "$TMP/rx"
}
# switch_show SOCK PORT FIELD: FIELD of vtap-switchd port PORT (`vtapctl
# -j switch show`), summed over the port's queues for a queue field.
switch_show() {
	"$VTAPCTL" -j switch show control "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)[0]
for p in d["ports"]:
    if p["ifname"] != sys.argv[1]: continue
    if sys.argv[2] in p: v = p[sys.argv[2]]
    else: v = sum(int(q[sys.argv[2]]) for q in p["queue_stats"])
    print(str(v).lower())' "$2" "$3"
}
