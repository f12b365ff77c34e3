#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/gro/run.sh - what coalescing on send (vtap_queue__set_gro()) buys:
# TCP throughput (iperf3, 1 and 4 streams, bbr and cubic) between two
# network namespaces through vtap-switchd where the sending port has
# offloads off (offloads=none: its stack hands the switch MSS-sized
# segments) and the receiving port writes:
#   (a) seg      each segment as it came (gro=no)
#   (b) gro      coalesced by vtap into GSO frames (the default)
#   (c) napi     each segment, into a tap opened with IFF_NAPI (the
#                kernel's own GRO on tun writes; gro=no,napi=yes)
# with two references: a Linux bridge over veths, and vtap-switchd with
# every offload on both ports (allofl: GSO frames end to end). Prints the
# medians and the ratios gro/seg (goal: at least 2x) and gro/napi (goal:
# at least 1x).
#
#   sudo bench/gro/run.sh [BUILDDIR]     (env: RUNS=1 TIME=5 CCS="bbr cubic")
#
# Not part of the test suite; needs iperf3. Everything it creates is
# removed on exit.
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
SWITCHD=$BUILD/src/tools/vtap-switchd/vtap-switchd
RUNS=${RUNS:-1}
TIME=${TIME:-5}
CCS=${CCS:-"bbr cubic"}
SETUPS=${SETUPS:-"seg gro napi bridge allofl"}
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root" >&2; exit 1; }
command -v iperf3 >/dev/null || { echo "run.sh: needs iperf3 (apt-get install iperf3)" >&2; exit 1; }
[ -x "$SWITCHD" ] || { echo "run.sh: build first ($SWITCHD missing)" >&2; exit 1; }

A=vtgA$$; B=vtgB$$; BR=vtgR$$; TMP=$(mktemp -d)
PIDS=()
cleanup_setup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	PIDS=()
	for ns in $A $B $BR; do ip netns del $ns 2>/dev/null; done
	ip link del vtgta$$ 2>/dev/null; ip link del vtgtb$$ 2>/dev/null
	rm -f $TMP/ctl
}
trap 'cleanup_setup; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

mkns() { for ns in "$@"; do ip netns add $ns; ip -n $ns link set lo up; done; }
addrs() { # IFA IFB
	ip -n $A addr add 10.195.0.1/24 dev $1; ip -n $A link set $1 up
	ip -n $B addr add 10.195.0.2/24 dev $2; ip -n $B link set $2 up
}

switchd() { # OPTIONS-OF-A OPTIONS-OF-B
	"$SWITCHD" -q --workers 1 --control $TMP/ctl \
		--port vtgta$$,queues=1,netns=$A$1 \
		--port vtgtb$$,queues=1,netns=$B$2 2>$TMP/sw.log & PIDS+=($!)
	for i in $(seq 50); do [ -S $TMP/ctl ] && break; sleep 0.1; done
	addrs vtgta$$ vtgtb$$
}

setup() {
	mkns $A $B
	case $1 in
	seg) switchd ,offloads=none ,gro=no ;;
	gro) switchd ,offloads=none "" ;;
	napi) switchd ,offloads=none ,gro=no,napi=yes ;;
	allofl) switchd "" "" ;;
	bridge)
		mkns $BR
		ip -n $BR link add br0 type bridge; ip -n $BR link set br0 up
		ip link add va netns $A type veth peer pa netns $BR
		ip link add vb netns $B type veth peer pb netns $BR
		for p in pa pb; do ip -n $BR link set $p master br0 up; done
		addrs va vb ;;
	esac
	ip netns exec $A ping -c 1 -W 5 10.195.0.2 >/dev/null 2>&1 || echo "run.sh: $1: no connectivity" >&2
}

# One iperf3 run: prints Gbit/s received.
iperf() { # CC STREAMS
	for ns in $A $B; do ip netns exec $ns sysctl -qw net.ipv4.tcp_congestion_control=$1 2>/dev/null; done
	ip netns exec $B iperf3 -s -1 -B 10.195.0.2 >/dev/null 2>&1 &
	local srv=$!
	sleep 0.3
	ip netns exec $A iperf3 -c 10.195.0.2 -C $1 -t $TIME -P $2 -J 2>/dev/null |
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
			printf '%-7s %-6s %d stream(s): runs %s -> median %s Gbit/s\n' $s $cc $p "$vals" "${RES[$s,$cc,$p]}" >&2
		done
	done
	if [ "$s" = gro ] && [ -x "$BUILD/src/tools/vtapctl" ]; then
		"$BUILD/src/tools/vtapctl" stats dev vtgtb$$ | sed -n "/^total/,\$p" | grep -E "coalesced|not merged" >&2
	fi
	cleanup_setup
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }
echo
echo "TCP throughput, Gbit/s, median of $RUNS x ${TIME}s (iperf3, $(nproc) CPUs, $(uname -r))"
printf '%-7s %-7s' cc streams; for s in $SETUPS; do printf ' %7s' $s; done
printf ' %9s %9s\n' gro/seg gro/napi
for cc in $CCS; do
	for p in 1 4; do
		printf '%-7s %-7s' $cc $p
		for s in $SETUPS; do printf ' %7s' "${RES[$s,$cc,$p]:--}"; done
		printf ' %9s %9s\n' "$(ratio "${RES[gro,$cc,$p]:-0}" "${RES[seg,$cc,$p]:-0}")" \
			"$(ratio "${RES[gro,$cc,$p]:-0}" "${RES[napi,$cc,$p]:-0}")"
	done
done
