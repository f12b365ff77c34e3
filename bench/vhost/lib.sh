# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# bench/vhost/lib.sh - what bench/vhost/floor.sh and coalesce.sh share: a
# namespace with a persistent one-queue tap (20-byte vnet header) that
# sinks the guest's frames, and its removal on exit.
#
# Sourced, not run. vhost_bench_setup TAG makes, with $$ in the names:
#   NS    the namespace vt${TAG}$$
#   TAP   the tap vt${TAG}t$$ in it, 02:96:00:00:00:01, 10.96.0.1/24, the
#         guest 10.96.0.2 at 02:96:00:00:00:02 as its neighbour
#   SOCK  a socket path for vtap-vhost, TMP a private directory
# Frames to port 9 (TCP and UDP) are dropped before the stack answers
# them. On exit the processes in PIDS and VH (the caller's) are killed
# and everything above removed. The caller sets VTAPCTL.

PIDS=()
VH=

vhost_bench_cleanup() {
	local p
	for p in "${PIDS[@]}" $VH; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ip netns exec "$NS" "$VTAPCTL" dev del "$TAP" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP" "$SOCK"
}

vhost_bench_setup() { # TAG
	NS=vt$1$$; TAP=vt$1t$$; SOCK=/tmp/vt$1$$.sock; TMP=$(mktemp -d)
	trap vhost_bench_cleanup EXIT
	trap 'exit 130' INT TERM
	ip netns add "$NS"
	ip netns exec "$NS" "$VTAPCTL" dev add "$TAP" queues 1 vnet_hdr 20 >/dev/null
	ip -n "$NS" link set lo up
	ip -n "$NS" link set "$TAP" address 02:96:00:00:00:01 up
	ip -n "$NS" addr add 10.96.0.1/24 dev "$TAP"
	ip -n "$NS" neigh add 10.96.0.2 lladdr 02:96:00:00:00:02 dev "$TAP"
	# The guest's frames go to the discard port: nobody answers them
	# (no ICMP or RST per frame).
	ip netns exec "$NS" iptables -A INPUT -p udp --dport 9 -j DROP 2>/dev/null
	ip netns exec "$NS" iptables -A INPUT -p tcp --dport 9 -j DROP 2>/dev/null
}

# Frames the tap's netdev received (from its queue: the guest's frames).
vhost_bench_tap_rx() {
	ip -n "$NS" -s -j link show "$TAP" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'
}
