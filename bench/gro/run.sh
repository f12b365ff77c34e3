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
#   BASE=OTHER-BUILDDIR adds "bgro" and "bseg": that build's switch in the
#   gro and seg setups, side by side (before/after ratios).
#
# Also prints the switch's CPU seconds per GB delivered (user + system,
# /proc/PID/stat). Not part of the test suite; needs iperf3. Everything it creates is
# removed on exit.
set -u
cd "$(dirname "$0")/../.."
. bench/lib.sh
BUILD=${1:-build}
SWITCHD=$BUILD/src/tools/vtap-switchd/vtap-switchd
RUNS=${RUNS:-1}
TIME=${TIME:-5}
CCS=${CCS:-"bbr cubic"}
STREAMS=${STREAMS:-"1 4"}
BASE=${BASE:-}
BASE_SWITCHD=${BASE:+$BASE/src/tools/vtap-switchd/vtap-switchd}
SETUPS=${SETUPS:-"seg gro napi bridge allofl${BASE:+ bseg bgro}"}
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root" >&2; exit 1; }
command -v iperf3 >/dev/null || { echo "run.sh: needs iperf3 (apt-get install iperf3)" >&2; exit 1; }
[ -x "$SWITCHD" ] || { echo "run.sh: build first ($SWITCHD missing)" >&2; exit 1; }

A=vtgA$$; B=vtgB$$; BR=vtgR$$; TMP=$(mktemp -d); ADDR_B=10.195.0.2
PIDS=() SW_PIDS=""
cleanup_setup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	PIDS=() SW_PIDS=""
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

switchd() { # OPTIONS-OF-A OPTIONS-OF-B [BINARY]
	"${3:-$SWITCHD}" -q --workers 1 --control $TMP/ctl \
		--port vtgta$$,queues=1,netns=$A$1 \
		--port vtgtb$$,queues=1,netns=$B$2 2>$TMP/sw.log & PIDS+=($!)
	SW_PIDS=$!
	for i in $(seq 100); do [ -S $TMP/ctl ] && break; sleep 0.1; done
	addrs vtgta$$ vtgtb$$
}

setup() {
	mkns $A $B
	case $1 in
	seg) switchd ,offloads=none ,gro=no ;;
	gro) switchd ,offloads=none "" ;;
	napi) switchd ,offloads=none ,gro=no,napi=yes ;;
	allofl) switchd "" "" ;;
	bseg) switchd ,offloads=none ,gro=no "$BASE_SWITCHD" ;;
	bgro) switchd ,offloads=none "" "$BASE_SWITCHD" ;;
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

declare -A RES CPU MCPU
for s in $SETUPS; do
	setup $s
	bench_setup_cells $s 7
	if [ "$s" = gro ] && [ -x "$BUILD/src/tools/vtapctl" ]; then
		"$BUILD/src/tools/vtapctl" -n $B stats dev vtgtb$$ | sed -n "/^total/,\$p" | grep -E "coalesced|not merged" >&2
	fi
	cleanup_setup
done

echo
echo "TCP throughput, Gbit/s, median of $RUNS x ${TIME}s (iperf3, $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-7s %-7s' cc streams; for s in $SETUPS; do printf ' %7s' $s; done
printf ' %9s %9s %9s%s\n' gro/seg gro/napi gro/allofl "${BASE:+   gro/bgro}"
for cc in $CCS; do
	for p in $STREAMS; do
		printf '%-7s %-7s' $cc $p
		for s in $SETUPS; do printf ' %7s' "${RES[$s,$cc,$p]:--}"; done
		printf ' %9s %9s %9s' "$(bench_ratio "${RES[gro,$cc,$p]:-0}" "${RES[seg,$cc,$p]:-0}")" \
			"$(bench_ratio "${RES[gro,$cc,$p]:-0}" "${RES[napi,$cc,$p]:-0}")" \
			"$(bench_ratio "${RES[gro,$cc,$p]:-0}" "${RES[allofl,$cc,$p]:-0}")"
		[ -z "$BASE" ] || printf ' %9s' "$(bench_ratio "${RES[gro,$cc,$p]:-0}" "${RES[bgro,$cc,$p]:-0}")"
		echo
	done
done
echo
echo "Switch process CPU seconds per GB delivered (user + system)"
printf '%-7s %-7s' cc streams; for s in $SETUPS; do printf ' %7s' $s; done; echo
for cc in $CCS; do
	for p in $STREAMS; do
		printf '%-7s %-7s' $cc $p
		for s in $SETUPS; do printf ' %7s' "${CPU[$s,$cc,$p]:--}"; done; echo
	done
done
