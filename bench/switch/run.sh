#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/switch/run.sh - TCP throughput between two network namespaces
# through: a veth pair (the kernel's limit), a Linux bridge, vde_switch
# with two taps, and vtap-switchd with 1 and 2 queues per port; iperf3
# with 1 and 4 streams, RUNS runs each, under the machine's default
# congestion control and under cubic (set per namespace). Prints the
# medians and the ratios vtap-switchd / vde_switch and / bridge.
#
#   sudo bench/switch/run.sh [BUILDDIR]      (env: RUNS=3 TIME=5 CCS="bbr cubic")
#
# Not part of the test suite: it takes 5-10 minutes and needs iperf3 and
# vde2 (Debian packages). Everything it creates is removed on exit.
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
SWITCHD=$BUILD/src/tools/vtap-switchd/vtap-switchd
RUNS=${RUNS:-3}
TIME=${TIME:-5}
DEFCC=$(sysctl -n net.ipv4.tcp_congestion_control)
CCS=${CCS:-"$DEFCC cubic"}
SETUPS=${SETUPS:-"veth bridge vde vtap1q vtap2q"}
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root" >&2; exit 1; }
for p in iperf3 vde_switch vde_plug2tap; do
	command -v $p >/dev/null || { echo "run.sh: needs $p (apt-get install iperf3 vde2)" >&2; exit 1; }
done
[ -x "$SWITCHD" ] || { echo "run.sh: build first ($SWITCHD missing)" >&2; exit 1; }

A=vtbA$$; B=vtbB$$; BR=vtbR$$; TMP=$(mktemp -d)
PIDS=()
cleanup_setup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	PIDS=()
	for ns in $A $B $BR; do ip netns del $ns 2>/dev/null; done
	ip link del vtbta$$ 2>/dev/null; ip link del vtbtb$$ 2>/dev/null
}
trap 'cleanup_setup; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

mkns() { for ns in "$@"; do ip netns add $ns; ip -n $ns link set lo up; done; }
addrs() { # IFA IFB
	ip -n $A addr add 10.196.0.1/24 dev $1; ip -n $A link set $1 up
	ip -n $B addr add 10.196.0.2/24 dev $2; ip -n $B link set $2 up
}

setup() {
	mkns $A $B
	case $1 in
	veth)
		ip link add va netns $A type veth peer vb netns $B
		addrs va vb ;;
	bridge)
		mkns $BR
		ip -n $BR link add br0 type bridge; ip -n $BR link set br0 up
		ip link add va netns $A type veth peer pa netns $BR
		ip link add vb netns $B type veth peer pb netns $BR
		for p in pa pb; do ip -n $BR link set $p master br0 up; done
		addrs va vb ;;
	vde)
		vde_switch -s $TMP/vde -d -p $TMP/vde.pid >/dev/null 2>&1
		sleep 0.3; PIDS+=($(cat $TMP/vde.pid))
		local t
		for t in a b; do
			ip tuntap add vtbt$t$$ mode tap
			vde_plug2tap -s $TMP/vde vtbt$t$$ >/dev/null 2>&1 & PIDS+=($!)
		done
		sleep 0.3
		ip link set vtbta$$ netns $A; ip link set vtbtb$$ netns $B
		addrs vtbta$$ vtbtb$$ ;;
	vtap1q|vtap2q)
		local q=${1#vtap}; q=${q%q}
		"$SWITCHD" -q --workers $q --control $TMP/ctl \
			--port vtbta$$,queues=$q,netns=$A \
			--port vtbtb$$,queues=$q,netns=$B 2>$TMP/sw.log & PIDS+=($!)
		for i in $(seq 50); do [ -S $TMP/ctl ] && break; sleep 0.1; done
		addrs vtbta$$ vtbtb$$ ;;
	esac
	ip netns exec $A ping -c 1 -W 5 10.196.0.2 >/dev/null 2>&1 || echo "run.sh: $1: no connectivity" >&2
}

# One iperf3 run: prints Gbit/s received.
iperf() { # CC STREAMS
	# Per namespace where the sysctl may be set; per socket (iperf3 -C)
	# always, as a container may not set a netns default outside
	# tcp_allowed_congestion_control.
	for ns in $A $B; do ip netns exec $ns sysctl -qw net.ipv4.tcp_congestion_control=$1 2>/dev/null; done
	ip netns exec $B iperf3 -s -1 -B 10.196.0.2 >/dev/null 2>&1 &
	local srv=$!
	sleep 0.3
	ip netns exec $A iperf3 -c 10.196.0.2 -C $1 -t $TIME -P $2 -J 2>/dev/null |
		python3 -c 'import json,sys
try: print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception: print("0")'
	wait $srv 2>/dev/null
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -A RES
for s in $SETUPS; do
	setup $s
	for cc in $CCS; do
		for p in 1 4; do
			vals=""
			for r in $(seq $RUNS); do vals="$vals $(iperf $cc $p)"; done
			RES[$s,$cc,$p]=$(echo $vals | median)
			printf '%-8s %-6s %d stream(s): runs %s -> median %s Gbit/s\n' $s $cc $p "$vals" "${RES[$s,$cc,$p]}" >&2
		done
	done
	cleanup_setup
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'; }
echo
echo "TCP throughput, Gbit/s, median of $RUNS x ${TIME}s (iperf3, $(nproc) CPUs, $(uname -r))"
printf '%-7s %-7s' cc streams; for s in $SETUPS; do printf ' %8s' $s; done
printf ' %12s %12s\n' vtap2q/vde vtap2q/bridge
for cc in $CCS; do
	for p in 1 4; do
		printf '%-7s %-7s' $cc $p
		for s in $SETUPS; do printf ' %8s' "${RES[$s,$cc,$p]:--}"; done
		printf ' %12s %12s\n' "$(ratio "${RES[vtap2q,$cc,$p]:-0}" "${RES[vde,$cc,$p]:-0}")" \
			"$(ratio "${RES[vtap2q,$cc,$p]:-0}" "${RES[bridge,$cc,$p]:-0}")"
	done
done
