#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_switch_rx.sh - vtap-switchd's receive modes (--io-uring no, yes,
# auto, and auto with io_uring absent: VTAP_NO_IO_URING=1) moving a TCP
# transfer whose sender hands the switch MSS-sized segments (offloads=none
# on its port), so batches fill and end in the middle (EAGAIN) and runs
# of segments are coalesced across the receive batches' edges: every
# byte arrives (sha256), the hash checks see no mismatch, the coalescing
# counters move, and the daemon holds io_uring instances exactly when the
# mode says so. --io-uring yes without io_uring fails the port (exit 1).
# Busy polling (--busy-poll 200, mode "busy"): the same transfer, the
# workers poll (busy_polls grows) and, once idle, sleep again (polls stop
# growing while nothing arrives); every other mode never polls.
. "$VTAP_SRCDIR/tests/lib.sh"
require_root
need python3 python3
need_built "$VTAP_SWITCHD"

N1=$(uname_ r1); N2=$(uname_ r2)
P1=$(uname_ q1); P2=$(uname_ q2)
TMP=$(mktemp -d)
SOCK=$TMP/ctl.sock
SW=
cleanup_add rm -rf "$TMP"
cleanup_add '[ -z "$SW" ] || { kill $SW; wait $SW; }'
netns_add "$N1" "$N2"
# No IPv6 chatter (router solicitations, MLD): idle means idle.
for ns in $N1 $N2; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
done
cleanup_add ip link del "$P1"
cleanup_add ip link del "$P2"

# The number of io_uring instances the daemon holds.
rings() { ls -l /proc/$SW/fd 2>/dev/null | grep -c 'anon_inode:\[io_uring\]'; }

show() { switch_show "$SOCK" "$@"; }

# FIELD (sleeps or busy_polls) summed over the workers.
workers() { # FIELD
	"$VTAPCTL" -j switch show control "$SOCK" | python3 -c '
import json, sys
print(sum(int(w[sys.argv[1]]) for w in json.load(sys.stdin)[0]["worker_stats"]))' "$1"
}

start() { # MODE [ENV...] [-- SWITCHD-ARGS...]
	local mode=$1 envs=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	[ "${1:-}" != -- ] || shift
	env "${envs[@]}" "$VTAP_SWITCHD" -q --io-uring "$mode" "$@" --workers 2 --control "$SOCK" \
		--port "$P1,queues=2,netns=$N1,offloads=none" \
		--port "$P2,queues=2,netns=$N2" 2>"$TMP/log" &
	SW=$!
	for i in $(seq 600); do [ -S "$SOCK" ] && break; sleep 0.1; done
	[ -S "$SOCK" ] || { cat "$TMP/log" >&2; fail "$mode: daemon did not start"; return 1; }
	ip -n "$N1" addr add 10.191.0.1/24 dev "$P1" && ip -n "$N1" link set "$P1" up &&
		ip -n "$N2" addr add 10.191.0.2/24 dev "$P2" && ip -n "$N2" link set "$P2" up
}

stop() {
	kill $SW
	wait $SW
	check test $? = 0
	SW=
	rm -f "$SOCK"
}

for mode in no yes auto auto-absent busy; do
	case $mode in
	auto-absent) start auto VTAP_NO_IO_URING=1 || continue ;;
	busy) start auto -- --busy-poll 200 || continue ;;
	*) start $mode || continue ;;
	esac
	echo "mode $mode: $(rings) io_uring instance(s)"
	# Before traffic: a kernel whose tun refuses the ring's reads (6.1)
	# turns a queue back to read() at its first round.
	case $mode in
	no | auto-absent)
		check test "$(rings)" = 0
		check test "$(show "$P1" io_uring)" = 0
		;;
	# One ring per queue: 2 ports x 2 queues.
	*)
		check test "$(rings)" = 4
		check test "$(show "$P1" io_uring)" = 2
		;;
	esac
	check tcp_ok "$N1" 10.191.0.2 4194304 "$N2"
	polls=$(workers busy_polls)
	echo "mode $mode: $(workers sleeps) sleeps, $polls busy polls"
	if [ $mode = busy ]; then
		check test "$polls" -gt 0
		check test "$("$VTAPCTL" -j switch show control "$SOCK" |
			python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["busy_poll_us"])')" = 200
		"$VTAPCTL" switch show control "$SOCK" >"$TMP/show"
		check grep -q "busy polling: 200 us after the last frame" "$TMP/show"
		# Idle: after one window the workers sleep; a worker
		# still spinning would poll ~10^5 times in 2 s.
		sleep 0.5
		p0=$(workers busy_polls) s0=$(workers sleeps)
		sleep 2
		p1=$(workers busy_polls) s1=$(workers sleeps)
		echo "mode $mode: idle 2 s: $((p1 - p0)) busy polls, $((s1 - s0)) sleeps"
		check test $((p1 - p0)) -lt 1000
	else
		check test "$polls" = 0
	fi
	echo "mode $mode: queues of $P1 on io_uring after the transfer: $(show "$P1" io_uring)"
	check test "$(show "$P2" gro_frames)" -gt 0
	check test "$(show "$P1" hash_checked)" -gt 0
	check test "$(show "$P1" hash_mismatch)" = 0
	check test "$(show "$P2" hash_mismatch)" = 0
	stop
done

# io_uring required but absent: the port fails, the daemon exits 1.
VTAP_NO_IO_URING=1 timeout 60 "$VTAP_SWITCHD" -q --io-uring yes --control "$SOCK" \
	--port "$P1,queues=1" >"$TMP/out" 2>"$TMP/err"
check test $? = 1
cat "$TMP/err"
check grep -q "io_uring on queue 0: Operation not supported" "$TMP/err"
check_exit 1 ip link show "$P1"

finish
