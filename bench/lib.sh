# SPDX-License-Identifier: MIT
# bench/lib.sh - what bench/switch/run.sh and bench/gro/run.sh share: the
# iperf3 driver between two namespaces, medians and ratios, a process's
# CPU time, and a private Open vSwitch (userspace datapath, tests/ovs.sh).
#
# Sourced, not run. The caller sets A and B (the namespaces), ADDR_B (the
# server's address in B), TIME (seconds per run) and TMP (its own
# directory, removed by the caller).
. "$(dirname "${BASH_SOURCE[0]}")/../tests/ovs.sh"

# PIN=1: the switch's processes on the last CPU, the iperf3 endpoints on
# the others (a switch with a CPU of its own, as an operator would give
# it); unset: wherever the scheduler puts them. The same for every setup.
bench_ep() { [ -z "${PIN:-}" ] || echo "taskset -c 0-$(($(nproc) - 2))"; }
bench_pin() { # PID...
	[ -n "${PIN:-}" ] || return 0
	local p
	for p in "$@"; do taskset -a -p -c $(($(nproc) - 1)) $p >/dev/null; done
}

# One iperf3 run from A to B: prints "GBITS BYTES" received.
bench_iperf() { # CC STREAMS
	# Per namespace where the sysctl may be set; per socket (iperf3 -C)
	# always, as a container may not set a netns default outside
	# tcp_allowed_congestion_control.
	for ns in $A $B; do ip netns exec $ns sysctl -qw net.ipv4.tcp_congestion_control=$1 2>/dev/null; done
	ip netns exec $B $(bench_ep) iperf3 -s -1 -B $ADDR_B >/dev/null 2>&1 &
	local srv=$!
	for _ in $(seq 50); do
		ip netns exec $B ss -ltn 2>/dev/null | grep -q ':5201 ' && break
		sleep 0.1
	done
	ip netns exec $A $(bench_ep) iperf3 -c $ADDR_B -C $1 -t $TIME -P $2 -J 2>/dev/null |
		python3 -c 'import json,sys
try:
    s = json.load(sys.stdin)["end"]["sum_received"]
    print("%.2f %d" % (s["bits_per_second"] / 1e9, s["bytes"]))
except Exception: print("0 0")'
	wait $srv 2>/dev/null
}

# Median of the numbers on stdin (one or more per line).
bench_median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {if (!NR) print 0; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# A / B with FORMAT's precision, or "-".
bench_ratio() { # A B [DIGITS]
	awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (b > 0 && a > 0) printf "%.*fx", d, a / b; else print "-" }'
}

# CPU clock ticks (user + system, all threads) of the processes PID...
bench_ticks() { # PID...
	local t=0 p
	for p in "$@"; do
		[ -r /proc/$p/stat ] || continue
		# Fields 14 and 15 after the ")" that ends the command name.
		t=$((t + $(sed 's/.*) //' /proc/$p/stat | awk '{print $12 + $13}')))
	done
	echo $t
}

# CPU clock ticks the whole machine spent busy (all CPUs, every state but
# idle and iowait), from /proc/stat.
bench_machine_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# CPU seconds per GB: ticks used for BYTES delivered.
bench_cpu_per_gb() { # TICKS BYTES
	awk -v t="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { if (b > 0) printf "%.2f", t / hz / (b / 1e9); else print "-" }'
}

# Open vSwitch's userspace datapath, private to this run (tests/ovs.sh:
# its database and daemons in $TMP/ovs, children of this shell, no host
# state touched) and a netdev bridge, with userspace TSO when TSO is 1.
# Return: non-zero (the reason on stderr) when OVS cannot run.
bench_ovs_start() { # BRIDGE TSO
	# Not in $(...): the daemons are to be this shell's children.
	if ! ovs_private_start $TMP/ovs $2 2>$TMP/ovs.err; then
		echo "bench: OVS skipped: $(cat $TMP/ovs.err)" >&2
		return 1
	fi
	ovs-vsctl --timeout=30 add-br $1 -- set bridge $1 datapath_type=netdev
}

# The pid of ovs-vswitchd (the datapath), for its CPU time.
bench_ovs_pid() { echo $OVS_SWITCHD_PID; }

bench_ovs_stop() { # BRIDGE
	ovs_private_stop $1
	rm -rf $TMP/ovs
}

# Measure setup S (its switch's pids in $SW_PIDS) for every congestion
# control in $CCS and stream count in $STREAMS, $RUNS iperf3 runs each:
# the median Gbit/s into RES[S,CC,P], the switch's CPU seconds per GB
# into CPU[S,CC,P] and the whole machine's (endpoints, switch, kernel) into
# MCPU[S,CC,P] (callers declare all three with `declare -A`); a line per
# cell on stderr, the name padded to WIDTH.
bench_setup_cells() { # S WIDTH
	local s=$1 w=$2 cc p r vals bytes t0 t1 m0 m1
	bench_pin $SW_PIDS
	for cc in $CCS; do
		for p in $STREAMS; do
			vals="" bytes=0 t0=$(bench_ticks $SW_PIDS) m0=$(bench_machine_ticks)
			for r in $(seq $RUNS); do
				set -- $(bench_iperf $cc $p)
				vals="$vals $1" bytes=$((bytes + $2))
			done
			t1=$(bench_ticks $SW_PIDS) m1=$(bench_machine_ticks)
			MCPU[$s,$cc,$p]=$(bench_cpu_per_gb $((m1 - m0)) $bytes)
			RES[$s,$cc,$p]=$(echo $vals | bench_median)
			[ -n "$SW_PIDS" ] && CPU[$s,$cc,$p]=$(bench_cpu_per_gb $((t1 - t0)) $bytes)
			printf "%-${w}s %-6s %d stream(s): runs %s -> median %s Gbit/s, %s CPU s/GB, machine %s (load %s)\n" \
				$s $cc $p "$vals" "${RES[$s,$cc,$p]}" "${CPU[$s,$cc,$p]:--}" "${MCPU[$s,$cc,$p]}" \
				"$(cut -d' ' -f1 /proc/loadavg)" >&2
		done
	done
}
