#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/vhost/coalesce.sh - what coalescing on transmit buys vtap-vhost
#
# A guest without TSO or USO: the minimal driver (vhost_floor vhost-tcp or
# vhost-udp, the tests' frontend tests/vhost/fe.c) keeps vtap-vhost's
# transmit ring full of MSS-sized TCP segments (1448-byte payload) or UDP
# datagrams (1472-byte payload) of FLOWS flows, in runs of 64 / FLOWS
# consecutive frames per flow, towards a one-queue tap in a namespace (a
# sink: nobody listens, an iptables rule drops them). vtap-vhost runs with
# --coalesce on, then off, in one run. Per case: guest frames per second
# into the tap, frames the tap's netdev received per second (after
# coalescing), vtap-vhost's CPU seconds per GB of guest frames, and on/off
# ratios. UDP is coalesced only where the kernel's tap takes USO frames
# (Linux 6.2 and later); before, its on and off rows are the same path.
#
#   sudo bench/vhost/coalesce.sh [BUILDDIR]
#        (env: RUNS=3 TIME=4 FLOWS="1 4" PROTOS="tcp udp")
#
# Not part of the test suite. The machine is shared: the load is printed
# with the table; compare only the ratios of one run.
set -u
cd "$(dirname "$0")/../.."
. bench/lib.sh
. bench/vhost/lib.sh
BUILD=${1:-build}
RUNS=${RUNS:-3}
TIME=${TIME:-4}
FLOWS=${FLOWS:-"1 4"}
PROTOS=${PROTOS:-"tcp udp"}
VHOST=$BUILD/src/tools/vtap-vhost/vtap-vhost
VTAPCTL=$BUILD/src/tools/vtapctl
FLOOR=$BUILD/bench/vhost_floor
[ "$(id -u)" = 0 ] || { echo "coalesce.sh: needs root" >&2; exit 1; }
for b in "$VHOST" "$VTAPCTL" "$FLOOR"; do
	[ -x "$b" ] || { echo "coalesce.sh: build first ($b missing)" >&2; exit 1; }
done

vhost_bench_setup bc

# One run: prints "GUEST_FPS TAP_FPS CPU_S_PER_GB".
run() { # on|off FLOWS tcp|udp
	local out t0 t1 a b frames secs
	rm -f "$SOCK"
	ip netns exec "$NS" "$VHOST" --socket "$SOCK" --tap "$TAP" \
		--hash-report off --coalesce "$1" 2>"$TMP/vh.log" &
	VH=$!
	for _ in $(seq 200); do [ -S "$SOCK" ] && break; sleep 0.05; done
	t0=$(bench_ticks "$VH")
	a=$(vhost_bench_tap_rx)
	out=$("$FLOOR" vhost-$3 "$SOCK" "$2" "$TIME")
	b=$(vhost_bench_tap_rx)
	t1=$(bench_ticks "$VH")
	kill "$VH"; wait "$VH" 2>/dev/null; VH=
	read -r frames _ secs <<<"$out"
	awk -v f="${frames:-0}" -v s="${secs:-1}" -v t=$((b - a)) \
		-v c="$(bench_cpu_per_gb $((t1 - t0)) $(( ${frames:-0} * 1502 )))" \
		'BEGIN { printf "%.0f %.0f %s\n", f / s, t / s, c }'
}

declare -A G T C
for pr in $PROTOS; do
	for fl in $FLOWS; do
		for mode in on off; do
			gs="" ts="" cs=""
			for _ in $(seq "$RUNS"); do
				set -- $(run $mode $fl $pr)
				gs="$gs $1" ts="$ts $2" cs="$cs $3"
			done
			G[$pr,$fl,$mode]=$(echo $gs | bench_median)
			T[$pr,$fl,$mode]=$(echo $ts | bench_median)
			C[$pr,$fl,$mode]=$(echo $cs | bench_median)
			echo "$pr flows $fl coalesce $mode: guest fps$gs; tap fps$ts; CPU s/GB$cs (load $(cut -d' ' -f1 /proc/loadavg))" >&2
		done
	done
done

echo
echo "vtap-vhost transmit, MSS-sized segments (tcp) or datagrams (udp), median of $RUNS x ${TIME}s ($(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-5s %-6s %-9s %12s %12s %10s\n' proto flows coalesce guest-fps tap-fps "CPU s/GB"
for pr in $PROTOS; do
	for fl in $FLOWS; do
		for mode in on off; do
			printf '%-5s %-6s %-9s %12s %12s %10s\n' $pr $fl $mode "${G[$pr,$fl,$mode]}" "${T[$pr,$fl,$mode]}" "${C[$pr,$fl,$mode]}"
		done
		printf '%-5s %-6s %-9s %12s %12s %10s\n' $pr $fl on/off \
			"$(bench_ratio "${G[$pr,$fl,on]}" "${G[$pr,$fl,off]}")" \
			"$(bench_ratio "${T[$pr,$fl,on]}" "${T[$pr,$fl,off]}")" \
			"$(bench_ratio "${C[$pr,$fl,on]}" "${C[$pr,$fl,off]}")"
	done
done
