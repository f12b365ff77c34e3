#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/switch/run.sh - TCP throughput between two network namespaces
# through: a veth pair (the kernel's limit), a Linux bridge, vde_switch
# with two taps, Open vSwitch's userspace datapath (datapath_type=netdev)
# with tap ports and userspace TSO (the anchor an operator would pick
# instead of vtap-switchd; "ovsdef": the same without userspace TSO), and
# vtap-switchd with 1 and 2 queues per port, and "bare" (switch_bare: a
# forwarder that only reads each frame from one tap and writes it to the
# other, a blocking thread per direction: the copy limit of any switch on
# tun's read/write interface, vtap's included); iperf3 with 1 and 4 streams,
# RUNS runs each, under the machine's default congestion control and under
# cubic (set per namespace). Prints the medians, the switch process's CPU
# seconds per GB delivered (user + system time of vde_switch and its
# plugs, ovs-vswitchd, vtap-switchd, from /proc/PID/stat before and after
# the runs; the bridge is the kernel's: "-"), the whole machine's CPU
# seconds per GB (from /proc/stat: endpoints, switch and kernel, and
# anything else running, so only a quiet machine gives a clean figure),
# and the ratios vtap / OVS and vtap / bridge.
#
#   sudo bench/switch/run.sh [BUILDDIR]
#     env: RUNS=3 TIME=5 CCS="bbr cubic" STREAMS="1 4"
#          SETUPS="veth bridge vde ovs vtap1q vtap2q bare"
#          BASE=OTHER-BUILDDIR  adds base1q/base2q: that build's switch,
#                               side by side (before/after ratios)
#          SWITCHD_ARGS=...     extra options for vtap-switchd
#          BUSY=USEC            adds busy1q/busy2q: vtap-switchd with
#                               --busy-poll USEC, side by side
#          PIN=1                the switch on the last CPU, iperf3 on the
#                               others (every setup alike)
#
# Not part of the test suite: it takes 5-15 minutes and needs iperf3,
# vde2 and openvswitch-switch (Debian packages; a missing one skips its
# column with the reason). Everything it creates is removed on exit, OVS
# runs in a private directory (no systemd, no host state touched).
set -u
cd "$(dirname "$0")/../.."
. bench/lib.sh
BUILD=${1:-build}
SWITCHD=$BUILD/src/tools/vtap-switchd/vtap-switchd
BARE=$BUILD/bench/switch_bare
BASE=${BASE:-}
BASE_SWITCHD=${BASE:+$BASE/src/tools/vtap-switchd/vtap-switchd}
RUNS=${RUNS:-3}
TIME=${TIME:-5}
DEFCC=$(sysctl -n net.ipv4.tcp_congestion_control)
CCS=${CCS:-"$DEFCC cubic"}
STREAMS=${STREAMS:-"1 4"}
BUSY=${BUSY:-}
SETUPS=${SETUPS:-"veth bridge vde ovs vtap1q vtap2q bare${BASE:+ base1q base2q}${BUSY:+ busy1q busy2q}"}
SWITCHD_ARGS=${SWITCHD_ARGS:-}
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root" >&2; exit 1; }
command -v iperf3 >/dev/null || { echo "run.sh: needs iperf3 (apt-get install iperf3)" >&2; exit 1; }
[ -x "$SWITCHD" ] || { echo "run.sh: build first ($SWITCHD missing)" >&2; exit 1; }
[ -z "$BASE" ] || [ -x "$BASE_SWITCHD" ] || { echo "run.sh: $BASE_SWITCHD missing" >&2; exit 1; }

A=vtbA$$; B=vtbB$$; BR=vtbR$$; OBR=vtbo$$; TMP=$(mktemp -d); ADDR_B=10.196.0.2
PIDS=() SW_PIDS=""
cleanup_setup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	PIDS=() SW_PIDS=""
	bench_ovs_stop $OBR
	for ns in $A $B $BR; do ip netns del $ns 2>/dev/null; done
	ip link del vtbta$$ 2>/dev/null; ip link del vtbtb$$ 2>/dev/null
	rm -f $TMP/ctl
}
trap 'cleanup_setup; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

mkns() { for ns in "$@"; do ip netns add $ns; ip -n $ns link set lo up; done; }
addrs() { # IFA IFB
	ip -n $A addr add 10.196.0.1/24 dev $1; ip -n $A link set $1 up
	ip -n $B addr add $ADDR_B/24 dev $2; ip -n $B link set $2 up
}

# Set up switch $1; return non-zero (reason on stderr) to skip it.
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
		command -v vde_plug2tap >/dev/null || { echo "run.sh: vde skipped: no vde_plug2tap (apt-get install vde2)" >&2; return 1; }
		vde_switch -s $TMP/vde -d -p $TMP/vde.pid >/dev/null 2>&1
		sleep 0.3; PIDS+=($(cat $TMP/vde.pid)); SW_PIDS=${PIDS[*]}
		local t
		for t in a b; do
			ip tuntap add vtbt$t$$ mode tap
			vde_plug2tap -s $TMP/vde vtbt$t$$ >/dev/null 2>&1 & PIDS+=($!)
		done
		SW_PIDS=${PIDS[*]}
		sleep 0.3
		ip link set vtbta$$ netns $A; ip link set vtbtb$$ netns $B
		addrs vtbta$$ vtbtb$$ ;;
	ovs|ovsdef)
		# Tap ports (type=tap: OVS opens them with vnet headers and,
		# with userspace TSO, takes and gives 64 KiB frames), moved
		# into the namespaces; OVS keeps its fds.
		bench_ovs_start $OBR $([ $1 = ovs ] && echo 1 || echo 0) || return 1
		local t
		for t in a b; do
			ovs-vsctl --timeout=30 add-port $OBR vtbt$t$$ -- set interface vtbt$t$$ type=tap || return 1
		done
		ip link set vtbta$$ netns $A; ip link set vtbtb$$ netns $B
		SW_PIDS=$(bench_ovs_pid)
		addrs vtbta$$ vtbtb$$ ;;
	bare)
		[ -x "$BARE" ] || { echo "run.sh: bare skipped: $BARE missing (build it)" >&2; return 1; }
		"$BARE" vtbta$$ vtbtb$$ 2>$TMP/sw.log & PIDS+=($!)
		SW_PIDS=$!
		for i in $(seq 100); do ip link show vtbtb$$ >/dev/null 2>&1 && break; sleep 0.1; done
		ip link set vtbta$$ netns $A; ip link set vtbtb$$ netns $B
		addrs vtbta$$ vtbtb$$ ;;
	vtap1q|vtap2q|base1q|base2q|busy1q|busy2q)
		local q=${1:4:1} bin=$SWITCHD extra=
		[ "${1:0:4}" = base ] && bin=$BASE_SWITCHD
		[ "${1:0:4}" = busy ] && extra="--busy-poll $BUSY"
		"$bin" -q --workers $q --control $TMP/ctl $SWITCHD_ARGS $extra \
			--port vtbta$$,queues=$q,netns=$A \
			--port vtbtb$$,queues=$q,netns=$B 2>$TMP/sw.log & PIDS+=($!)
		SW_PIDS=$!
		for i in $(seq 100); do [ -S $TMP/ctl ] && break; sleep 0.1; done
		addrs vtbta$$ vtbtb$$ ;;
	esac
	ip netns exec $A ping -c 1 -W 5 $ADDR_B >/dev/null 2>&1 || echo "run.sh: $1: no connectivity" >&2
}

declare -A RES CPU MCPU
for s in $SETUPS; do
	if ! setup $s; then
		cleanup_setup
		continue
	fi
	bench_setup_cells $s 8
	cleanup_setup
done

# The best vtap (this build's switch: vtap*, busy*) and OVS columns: the
# highest throughput (best) and the lowest CPU per GB (least_cpu) of the
# setups whose first four letters are among PREFIXES.
pick() { # RES|CPU max|min PREFIXES CC STREAMS
	local -n tab=$1
	local s b=0
	for s in $SETUPS; do
		case " $3 " in *" ${s:0:4} "*) ;; *) continue ;; esac
		b=$(awk -v a="${tab[$s,$4,$5]:-0}" -v b=$b -v m=$2 'BEGIN {
			if (m == "max") print (a > b ? a : b)
			else print (a > 0 && (b == 0 || a < b) ? a : b) }')
	done
	echo $b
}
best() { pick RES max "$@"; }
least_cpu() { pick CPU min "$@"; }

echo
echo "TCP throughput, Gbit/s, median of $RUNS x ${TIME}s (iperf3, $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg))"
[ -z "${PIN:-}" ] || echo "PIN: switches on CPU $(($(nproc) - 1)), iperf3 on CPU 0-$(($(nproc) - 2))"
[ -z "$BUSY" ] || echo "busy1q/busy2q: vtap-switchd --busy-poll $BUSY"
printf '%-7s %-7s' cc streams; for s in $SETUPS; do printf ' %8s' $s; done
printf ' %10s %10s %10s %10s\n' vtap/ovs vtap/bridge vtap/bare bare/ovs
for cc in $CCS; do
	for p in $STREAMS; do
		printf '%-7s %-7s' $cc $p
		for s in $SETUPS; do printf ' %8s' "${RES[$s,$cc,$p]:--}"; done
		printf ' %10s %10s %10s %10s\n' "$(bench_ratio "$(best "vtap busy" $cc $p)" "$(best ovs $cc $p)")" \
			"$(bench_ratio "$(best "vtap busy" $cc $p)" "${RES[bridge,$cc,$p]:-0}")" \
			"$(bench_ratio "$(best "vtap busy" $cc $p)" "${RES[bare,$cc,$p]:-0}")" \
			"$(bench_ratio "${RES[bare,$cc,$p]:-0}" "$(best ovs $cc $p)")"
	done
done
echo "(bare: the copy limit of a tap forwarder, switch_bare; bare/ovs bounds what any tun switch can show against OVS here)"
echo
echo "Switch process CPU seconds per GB delivered (user + system)"
printf '%-7s %-7s' cc streams; for s in $SETUPS; do printf ' %8s' $s; done
printf ' %10s\n' vtap/ovs
for cc in $CCS; do
	for p in $STREAMS; do
		printf '%-7s %-7s' $cc $p
		for s in $SETUPS; do printf ' %8s' "${CPU[$s,$cc,$p]:--}"; done
		printf ' %10s\n' "$(bench_ratio "$(least_cpu "vtap busy" $cc $p)" "$(least_cpu ovs $cc $p)")"
	done
done
echo
echo "Whole machine CPU seconds per GB delivered (endpoints, switch, kernel; the bridge's too)"
printf '%-7s %-7s' cc streams; for s in $SETUPS; do printf ' %8s' $s; done; echo
for cc in $CCS; do
	for p in $STREAMS; do
		printf '%-7s %-7s' $cc $p
		for s in $SETUPS; do printf ' %8s' "${MCPU[$s,$cc,$p]:--}"; done; echo
	done
done
if [ -n "$BASE" ]; then
	echo
	echo "This build / $BASE (throughput):"
	for cc in $CCS; do
		for p in $STREAMS; do
			printf '%-7s %-7s 1q %s  2q %s\n' $cc $p \
				"$(bench_ratio "${RES[vtap1q,$cc,$p]:-0}" "${RES[base1q,$cc,$p]:-0}")" \
				"$(bench_ratio "${RES[vtap2q,$cc,$p]:-0}" "${RES[base2q,$cc,$p]:-0}")"
		done
	done
fi
