#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/vhost/floor.sh - what vtap-vhost adds over the tap itself
#
# One persistent one-queue tap in a namespace, the same sender for both
# sides, in one run:
#   rx (tap to guest): vhost_blast sends UDP out of the tap's netdev (its
#       frames land on the tap's queue); (a) libvtap's plain queue reader
#       (vhost_floor tap-rx) drains it, (b) vtap-vhost --tap drains it into
#       a minimal interrupt-driven driver (vhost_floor vhost-rx).
#   tx (guest to tap): (a) libvtap's plain queue writer (vhost_floor
#       tap-tx) writes UDP frames to the tap, (b) the minimal driver sends
#       them through vtap-vhost (vhost_floor vhost-tx); the rate is what
#       the tap's netdev received (its rx counter).
# 64- and 1500-byte frames. Per case: frames per second and CPU seconds
# per million frames of the side that moves frames between the tap and
# its consumer (the reader/writer for (a); vtap-vhost for (b), the
# driver's own CPU shown apart), and (b)/(a). vtap-vhost runs with
# --hash-report off, as the plain reader does no hashing (the cost of
# hash reporting is run.sh's second table).
#
#   sudo bench/vhost/floor.sh [BUILDDIR]      (env: RUNS=3 TIME=4 PERF=0)
#
# PERF=1 records `perf record -g` of vtap-vhost in the 64-byte rx and tx
# cases and prints the top of the report. The machine is shared: the load
# (uptime) is printed with every table; compare only ratios of one run.
set -u
cd "$(dirname "$0")/../.."
. bench/vhost/lib.sh
BUILD=${1:-build}
RUNS=${RUNS:-3}
TIME=${TIME:-4}
PERF=${PERF:-0}
VHOST=$BUILD/src/tools/vtap-vhost/vtap-vhost
VTAPCTL=$BUILD/src/tools/vtapctl
BLAST=$BUILD/bench/vhost_blast
FLOOR=$BUILD/bench/vhost_floor
[ "$(id -u)" = 0 ] || { echo "floor.sh: needs root" >&2; exit 1; }
for b in "$VHOST" "$VTAPCTL" "$BLAST" "$FLOOR"; do
	[ -x "$b" ] || { echo "floor.sh: build first ($b missing)" >&2; exit 1; }
done

vhost_bench_setup bf

median() { sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print 0}'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

vhost_start() {
	rm -f "$SOCK"
	ip netns exec "$NS" "$VHOST" --socket "$SOCK" --tap "$TAP" \
		--hash-report off 2>"$TMP/vh.log" &
	VH=$!
	PIDS+=("$VH")
	for _ in $(seq 200); do [ -S "$SOCK" ] && return 0; sleep 0.05; done
	echo "floor.sh: vtap-vhost did not come up" >&2
	cat "$TMP/vh.log" >&2
	return 1
}
vhost_stop() { kill "$VH" 2>/dev/null; wait "$VH" 2>/dev/null; VH=; }

# One run: prints "PPS CPU_S_PER_MFRAME DRIVER_CPU_S_PER_MFRAME".
run() { # a|b rx|tx SIZE
	local side=$1 dir=$2 size=$3 out t0 t1 a b frames cpu dcpu secs bl
	if [ "$side" = b ]; then vhost_start || return 1; t0=$(ticks "$VH"); fi
	if [ "$dir" = rx ]; then
		ip netns exec "$NS" "$BLAST" "$TAP" "$size" $((TIME + 2)) 16 \
			>/dev/null &
		bl=$!
		sleep 0.5
		if [ "$side" = a ]; then
			out=$(ip netns exec "$NS" "$FLOOR" tap-rx "$TAP" "$TIME")
		else
			out=$("$FLOOR" vhost-rx "$SOCK" "$TIME")
		fi
		wait "$bl"
		read -r frames dcpu secs <<<"$out"
	else
		a=$(vhost_bench_tap_rx)
		if [ "$side" = a ]; then
			out=$(ip netns exec "$NS" "$FLOOR" tap-tx "$TAP" "$size" "$TIME")
		else
			out=$("$FLOOR" vhost-tx "$SOCK" "$size" "$TIME")
		fi
		b=$(vhost_bench_tap_rx)
		read -r _ dcpu secs <<<"$out"
		frames=$((b - a))
	fi
	if [ "$side" = b ]; then
		t1=$(ticks "$VH")
		cpu=$(awk -v t="$((t1 - t0))" -v hz="$HZ" 'BEGIN {print t / hz}')
		vhost_stop
	else
		cpu=$dcpu; dcpu=0
	fi
	awk -v f="$frames" -v s="$secs" -v c="$cpu" -v d="$dcpu" 'BEGIN {
		m = f / 1e6; if (m <= 0) m = 1e-9
		printf "%.0f %.3f %.3f\n", f / s, c / m, d / m }'
}

declare -A P C D
echo "bench/vhost/floor.sh: RUNS=$RUNS TIME=${TIME}s, $(nproc) cores, kernel $(uname -r)"
echo "load before: $(uptime)"
for size in 64 1500; do
	for dir in rx tx; do
		for side in a b; do
			ps=(); cs=(); ds=()
			for _ in $(seq "$RUNS"); do
				read -r p c d <<<"$(run "$side" "$dir" "$size")"
				ps+=("$p"); cs+=("$c"); ds+=("$d")
			done
			P[$side,$dir,$size]=$(printf '%s\n' "${ps[@]}" | median)
			C[$side,$dir,$size]=$(printf '%s\n' "${cs[@]}" | median)
			D[$side,$dir,$size]=$(printf '%s\n' "${ds[@]}" | median)
			echo "  $side $dir ${size}B: pps ${ps[*]}; cpu s/Mframe ${cs[*]}"
		done
	done
done
echo "load after: $(uptime)"
echo
printf '%-4s %-5s %12s %10s %12s %10s %10s %7s\n' dir size "(a) tap pps" \
	"(a) cpu/M" "(b) vhost pps" "(b) cpu/M" "drv cpu/M" "(b)/(a)"
for size in 64 1500; do
	for dir in rx tx; do
		awk -v dir="$dir" -v size="$size" -v pa="${P[a,$dir,$size]}" \
			-v ca="${C[a,$dir,$size]}" -v pb="${P[b,$dir,$size]}" \
			-v cb="${C[b,$dir,$size]}" -v db="${D[b,$dir,$size]}" 'BEGIN {
			r = 0; if (pa > 0) r = pb / pa
			printf "%-4s %-5s %12d %10.3f %12d %10.3f %10.3f %7.2f\n",
				dir, size, pa, ca, pb, cb, db, r }'
	done
done
echo "(cpu/M: CPU seconds per million frames; (a) the libvtap reader or"
echo " writer, (b) vtap-vhost; drv: the minimal driver's own)"

if [ "$PERF" = 1 ] && command -v perf >/dev/null; then
	for dir in rx tx; do
		vhost_start || exit 1
		if [ "$dir" = rx ]; then
			ip netns exec "$NS" "$BLAST" "$TAP" 64 $((TIME + 2)) 16 >/dev/null &
			bl=$!
			sleep 0.3
			"$FLOOR" vhost-rx "$SOCK" "$TIME" >/dev/null &
		else
			"$FLOOR" vhost-tx "$SOCK" 64 "$TIME" >/dev/null &
		fi
		fl=$!
		sleep 0.5
		perf record -q -g -p "$VH" -o "$TMP/perf.$dir" -- sleep $((TIME - 1)) \
			>/dev/null 2>&1
		wait "$fl"
		[ "$dir" = rx ] && wait "$bl"
		vhost_stop
		echo
		echo "perf: vtap-vhost, 64-byte $dir (self time, top 15):"
		perf report -i "$TMP/perf.$dir" --no-children --stdio \
			--sort symbol 2>/dev/null | grep -E '^ +[0-9]' | head -15
	done
fi
