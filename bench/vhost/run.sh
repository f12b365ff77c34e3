#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/vhost/run.sh - vtap-vhost against DPDK's own vhost backend, with
# the same frontend: DPDK's virtio-user in testpmd.
#
#   (a) vtap-vhost over a tap (one queue pair)
#   (b) testpmd with net_vhost + net_tap and io forwarding (DPDK's vhost
#       backend bridged to a tap)
#
# For 64- and 1500-byte UDP frames, in both directions:
#   tx: the frontend sends (testpmd txonly) to a sink in the tap's
#       namespace; rate = frames the tap's netdev received (its counters)
#   rx: a sender in the namespace (vhost_blast, AF_PACKET) to the
#       frontend (testpmd rxonly); rate = testpmd's Rx-pps
# RUNS runs of TIME seconds each, medians, and the ratios (a)/(b). Then
# the cost of hash reporting: vtap-vhost's receive rate into a minimal
# driver (vhost_hashcost) with VIRTIO_NET_F_HASH_REPORT negotiated and not.
#
#   sudo bench/vhost/run.sh [BUILDDIR]        (env: RUNS=3 TIME=4)
#
# Not part of the test suite. Needs root, dpdk-testpmd (dpdk-dev) and the
# DPDK net_vhost, net_tap and net_virtio PMDs. Everything it creates is
# removed on exit. The machine's cores are shared: the numbers are what
# this machine gave in this run, compare only ratios from the same run.
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
RUNS=${RUNS:-3}
TIME=${TIME:-4}
VHOST=$BUILD/src/tools/vtap-vhost/vtap-vhost
BLAST=$BUILD/bench/vhost_blast
HASHCOST=$BUILD/bench/vhost_hashcost
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root" >&2; exit 1; }
command -v dpdk-testpmd >/dev/null ||
	{ echo "run.sh: needs dpdk-testpmd (apt-get install dpdk-dev)" >&2; exit 1; }
for b in "$VHOST" "$BLAST" "$HASHCOST"; do
	[ -x "$b" ] || { echo "run.sh: build first ($b missing)" >&2; exit 1; }
done

NS=vtbv$$; TAP=vtbt$$; SOCK=/tmp/vtbv$$.sock; TMP=$(mktemp -d)
FEP=vtbvf$$; BEP=vtbvb$$
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "/var/run/dpdk/$FEP" "/var/run/dpdk/$BEP" "$TMP" "$SOCK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$NS"

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print 0}'; }

tap_rx() {
	ip -n "$NS" -s -j link show "$TAP" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'
}

wait_tap() {
	for _ in $(seq 200); do
		ip -n "$NS" link show "$TAP" >/dev/null 2>&1 && [ -S "$SOCK" ] && return 0
		sleep 0.05
	done
	echo "run.sh: backend did not come up" >&2
	return 1
}

link_up() {
	ip -n "$NS" link set "$TAP" address 02:96:00:00:00:01 up
	ip -n "$NS" addr add 10.96.0.1/24 dev "$TAP"
	ip -n "$NS" neigh add 10.96.0.2 lladdr 02:96:00:00:00:02 dev "$TAP"
}

BE=
start_backend() { # vtap [hash on|off] | dpdk
	rm -f "$SOCK"
	if [ "$1" = vtap ]; then
		taskset -c 0 "$VHOST" --socket "$SOCK" --create "$TAP" \
			--queues 1 --netns "$NS" --hash-report "${2:-on}" \
			2>"$TMP/be.log" &
	else
		ip netns exec "$NS" dpdk-testpmd -l 1,0 --no-huge \
			-m 512 --no-pci --file-prefix "$BEP" \
			--vdev "net_vhost0,iface=$SOCK,queues=1" \
			--vdev "net_tap0,iface=$TAP" -- --forward-mode=io --total-num-mbufs=16384 \
			--nb-cores=1 --stats-period 1 --no-lsc-interrupt \
			</dev/null >"$TMP/be.log" 2>&1 &
	fi
	BE=$!
	PIDS+=("$BE")
	wait_tap && link_up
}

stop_pid() { kill -INT "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

FE=
start_frontend() { # MODE SIZE
	dpdk-testpmd -l 0,1 --no-huge -m 512 --no-pci --file-prefix "$FEP" \
		--vdev "net_virtio_user0,path=$SOCK,queues=1,mac=02:96:00:00:00:02" \
		-- --forward-mode="$1" --txpkts="$2" --stats-period 1 \
		--total-num-mbufs=16384 \
		--eth-peer=0,02:96:00:00:00:01 --tx-ip=10.96.0.2,10.96.0.1 \
		</dev/null >"$TMP/fe.log" 2>&1 &
	FE=$!
	PIDS+=("$FE")
	for _ in $(seq 300); do
		grep -q "NIC statistics for port 0" "$TMP/fe.log" && return 0
		sleep 0.1
	done
	echo "run.sh: frontend did not start:" >&2
	tail -5 "$TMP/fe.log" >&2
	return 1
}

# One measurement: prints frames per second.
measure() { # BACKEND DIR SIZE
	local be=$1 dir=$2 size=$3 a b pps
	if [ "$be" = dpdk ]; then
		# net_vhost needs its frontend to start forwarding.
		start_backend dpdk
	fi
	if [ "$dir" = tx ]; then
		start_frontend txonly "$size" || return 1
		sleep 1
		a=$(tap_rx); sleep "$TIME"; b=$(tap_rx)
		pps=$(( (b - a) / TIME ))
	else
		start_frontend rxonly "$size" || return 1
		: >"$TMP/fe.log.mark"
		ip netns exec "$NS" "$BLAST" "$TAP" "$size" $((TIME + 1)) 16 \
			>/dev/null &
		local bl=$!
		sleep 1
		local lines0
		lines0=$(grep -c "Rx-pps:" "$TMP/fe.log")
		wait "$bl"
		pps=$(grep -o "Rx-pps: *[0-9]*" "$TMP/fe.log" | tail -n +$((lines0 + 1)) |
			awk '{print $2}' | median)
	fi
	stop_pid "$FE"
	[ "$be" = dpdk ] && stop_pid "$BE"
	echo "$pps"
}

declare -A R H
echo "bench/vhost: RUNS=$RUNS TIME=${TIME}s, $(nproc) cores, kernel $(uname -r)"
for be in vtap dpdk; do
	[ "$be" = vtap ] && start_backend vtap on
	for size in 64 1500; do
		for dir in tx rx; do
			vals=()
			for _ in $(seq "$RUNS"); do
				vals+=("$(measure "$be" "$dir" "$size")")
			done
			R[$be,$size,$dir]=$(printf '%s\n' "${vals[@]}" | median)
			echo "  $be $dir ${size}B: ${vals[*]} -> ${R[$be,$size,$dir]} pps"
		done
	done
	[ "$be" = vtap ] && stop_pid "$BE"
done

echo
printf '%-6s %-5s %12s %9s %12s %9s %7s\n' dir size "vtap pps" "Gbit/s" \
	"dpdk pps" "Gbit/s" ratio
for size in 64 1500; do
	for dir in tx rx; do
		v=${R[vtap,$size,$dir]}; d=${R[dpdk,$size,$dir]}
		awk -v dir="$dir" -v size="$size" -v v="$v" -v d="$d" 'BEGIN {
			r = 0; if (d > 0) r = v / d
			printf "%-6s %-5s %12d %9.3f %12d %9.3f %7.2f\n", dir, size,
				v, v * size * 8 / 1e9, d, d * size * 8 / 1e9, r }'
	done
done

echo
echo "hash reporting (vtap-vhost -> minimal driver, 64-byte UDP, 16 flows):"
start_backend vtap on
for mode in off on; do
	vals=()
	for _ in $(seq "$RUNS"); do
		ip netns exec "$NS" "$BLAST" "$TAP" 64 $((TIME + 1)) 16 >/dev/null &
		bl=$!
		sleep 0.5
		vals+=("$("$HASHCOST" "$SOCK" "$TIME" "$mode" | awk '{print $1}')")
		wait "$bl"
	done
	H[$mode]=$(printf '%s\n' "${vals[@]}" | median)
	echo "  hash report $mode: ${vals[*]} -> ${H[$mode]} pps"
done
stop_pid "$BE"
awk -v on="${H[on]}" -v off="${H[off]}" 'BEGIN {
	c = 0; if (off > 0) c = (1 - on / off) * 100
	printf "  cost of hash reporting: %.1f%% of the rate\n", c }'
