#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/vhost/coalesce.sh - what coalescing on transmit buys vtap-vhost
#
# A guest without TSO: the minimal driver (vhost_floor vhost-tcp, the
# tests' frontend tests/vhost/fe.c) keeps vtap-vhost's transmit ring full
# of MSS-sized TCP segments (1448-byte payload) of FLOWS flows, in runs of
# 64 / FLOWS consecutive segments per flow, towards a one-queue tap in a
# namespace (a sink: nobody listens, the stack drops them after TCP's
# lookup). vtap-vhost runs with --coalesce on, then off, in one run. Per
# case: guest frames per second into the tap, frames the tap's netdev
# received per second (after coalescing), vtap-vhost's CPU seconds per GB
# of guest frames, and on/off ratios.
#
#   sudo bench/vhost/coalesce.sh [BUILDDIR]    (env: RUNS=3 TIME=4 FLOWS="1 4")
#
# Not part of the test suite. The machine is shared: the load is printed
# with the table; compare only the ratios of one run.
set -u
cd "$(dirname "$0")/../.."
. bench/lib.sh
BUILD=${1:-build}
RUNS=${RUNS:-3}
TIME=${TIME:-4}
FLOWS=${FLOWS:-"1 4"}
VHOST=$BUILD/src/tools/vtap-vhost/vtap-vhost
VTAPCTL=$BUILD/src/tools/vtapctl
FLOOR=$BUILD/bench/vhost_floor
[ "$(id -u)" = 0 ] || { echo "coalesce.sh: needs root" >&2; exit 1; }
for b in "$VHOST" "$VTAPCTL" "$FLOOR"; do
	[ -x "$b" ] || { echo "coalesce.sh: build first ($b missing)" >&2; exit 1; }
done

NS=vtbc$$; TAP=vtbct$$; SOCK=/tmp/vtbc$$.sock; TMP=$(mktemp -d)
VH=
cleanup() {
	[ -z "$VH" ] || { kill "$VH" 2>/dev/null; wait "$VH" 2>/dev/null; }
	ip netns exec "$NS" "$VTAPCTL" dev del "$TAP" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP" "$SOCK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$NS"
ip netns exec "$NS" "$VTAPCTL" dev add "$TAP" queues 1 vnet_hdr 20 >/dev/null
ip -n "$NS" link set lo up
ip -n "$NS" link set "$TAP" address 02:96:00:00:00:01 up
ip -n "$NS" addr add 10.96.0.1/24 dev "$TAP"
ip -n "$NS" neigh add 10.96.0.2 lladdr 02:96:00:00:00:02 dev "$TAP"
# No RST back for every segment: the sink drops them before TCP.
ip netns exec "$NS" iptables -A INPUT -p tcp --dport 9 -j DROP 2>/dev/null

tap_rx() {
	ip -n "$NS" -s -j link show "$TAP" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'
}

# One run: prints "GUEST_FPS TAP_FPS CPU_S_PER_GB".
run() { # on|off FLOWS
	local out t0 t1 a b frames secs
	rm -f "$SOCK"
	ip netns exec "$NS" "$VHOST" --socket "$SOCK" --tap "$TAP" \
		--hash-report off --coalesce "$1" 2>"$TMP/vh.log" &
	VH=$!
	for _ in $(seq 200); do [ -S "$SOCK" ] && break; sleep 0.05; done
	t0=$(bench_ticks "$VH")
	a=$(tap_rx)
	out=$("$FLOOR" vhost-tcp "$SOCK" "$2" "$TIME")
	b=$(tap_rx)
	t1=$(bench_ticks "$VH")
	kill "$VH"; wait "$VH" 2>/dev/null; VH=
	read -r frames _ secs <<<"$out"
	awk -v f="${frames:-0}" -v s="${secs:-1}" -v t=$((b - a)) \
		-v c="$(bench_cpu_per_gb $((t1 - t0)) $(( ${frames:-0} * 1502 )))" \
		'BEGIN { printf "%.0f %.0f %s\n", f / s, t / s, c }'
}

declare -A G T C
for fl in $FLOWS; do
	for mode in on off; do
		gs="" ts="" cs=""
		for _ in $(seq "$RUNS"); do
			set -- $(run $mode $fl)
			gs="$gs $1" ts="$ts $2" cs="$cs $3"
		done
		G[$fl,$mode]=$(echo $gs | bench_median)
		T[$fl,$mode]=$(echo $ts | bench_median)
		C[$fl,$mode]=$(echo $cs | bench_median)
		echo "flows $fl coalesce $mode: guest fps$gs; tap fps$ts; CPU s/GB$cs (load $(cut -d' ' -f1 /proc/loadavg))" >&2
	done
done

echo
echo "vtap-vhost transmit, MSS-sized TCP segments, median of $RUNS x ${TIME}s ($(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-6s %-9s %12s %12s %10s\n' flows coalesce guest-fps tap-fps "CPU s/GB"
for fl in $FLOWS; do
	for mode in on off; do
		printf '%-6s %-9s %12s %12s %10s\n' $fl $mode "${G[$fl,$mode]}" "${T[$fl,$mode]}" "${C[$fl,$mode]}"
	done
	printf '%-6s %-9s %12s %12s %10s\n' $fl on/off \
		"$(bench_ratio "${G[$fl,on]}" "${G[$fl,off]}")" \
		"$(bench_ratio "${T[$fl,on]}" "${T[$fl,off]}")" \
		"$(bench_ratio "${C[$fl,on]}" "${C[$fl,off]}")"
done
