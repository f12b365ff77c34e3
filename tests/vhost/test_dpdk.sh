#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# DPDK's virtio-user as a second, independent vhost-user driver: testpmd
# (5-tuple swap forwarding) echoes UDP datagrams that a socket in the tap's
# namespace sends, so every datagram crosses vtap-vhost and the tap in both
# directions; the payloads must come back byte for byte, over both queue
# pairs. Needs root and dpdk-testpmd (package dpdk-dev).
. "$VTAP_SRCDIR/tests/lib.sh"
VHOST=$VTAP_BUILDDIR/src/tools/vtap-vhost/vtap-vhost
require_root
need dpdk-testpmd dpdk
[ -e /usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0/librte_net_virtio.so ] ||
	ls /usr/lib/*/dpdk/pmds-*/librte_net_virtio.so* >/dev/null 2>&1 ||
	skip "missing package librte-net-virtio23 (the DPDK virtio PMD; scripts/setup.sh installs it)"

ns=$(uname_ vd); tap=$(uname_ vt); prefix=vtvhd$$
sock=/tmp/vtap-vhost-dpdk.$$.sock; log=/tmp/vtap-vhost-dpdk.$$.log
tplog=/tmp/vtap-vhost-dpdk.$$.testpmd
ip netns add "$ns" || skip "ip netns add failed"
cleanup_add ip netns del "$ns"
cleanup_add rm -rf "/var/run/dpdk/$prefix" "$sock" "$tplog"

run_round() { # QUEUES
	local q=$1 vp tp k
	"$VHOST" --socket "$sock" --create "$tap" --queues "$q" --netns "$ns" \
		2>>"$log" &
	vp=$!
	cleanup_add kill "$vp"
	for k in $(seq 100); do
		ip -n "$ns" link show "$tap" >/dev/null 2>&1 && [ -S "$sock" ] && break
		sleep 0.05
	done
	ip -n "$ns" link set "$tap" address 02:96:00:00:00:01 up
	ip -n "$ns" addr add 10.96.0.1/24 dev "$tap"
	ip -n "$ns" neigh add 10.96.0.2 lladdr 02:96:00:00:00:02 dev "$tap"
	dpdk-testpmd -l 0,1 --no-huge -m 512 --no-pci --file-prefix "$prefix" \
		--vdev "net_virtio_user0,path=$sock,queues=$q,mac=02:96:00:00:00:02" \
		-- --rxq="$q" --txq="$q" --forward-mode=5tswap --stats-period 1 \
		--total-num-mbufs=16384 \
		</dev/null >"$tplog" 2>&1 &
	tp=$!
	cleanup_add kill -INT "$tp"
	# Ready once forwarding started (the first periodic statistics).
	for k in $(seq 900); do
		grep -q "NIC statistics for port 0" "$tplog" && break
		sleep 0.1
	done
	check grep -q "NIC statistics for port 0" "$tplog"
	check ip netns exec "$ns" python3 - <<'PY'
import socket, sys
socks = []
for port in range(5000, 5016):  # 16 flows: both queue pairs get some
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.96.0.1", port))
    s.settimeout(2.0)
    socks.append(s)
bad = 0
for i in range(64):
    s = socks[i % len(socks)]
    msg = bytes((i * 7 + k) & 0xff for k in range(64 + i * 21))
    s.sendto(msg, ("10.96.0.2", 6000 + i))
    try:
        data, addr = s.recvfrom(4096)
    except socket.timeout:
        print("datagram", i, "not echoed"); bad += 1; continue
    if data != msg or addr != ("10.96.0.2", 6000 + i):
        print("datagram", i, "differs", len(data), addr); bad += 1
sys.exit(1 if bad else 0)
PY
	# The daemon's counters, as an operator reads them.
	ip netns exec "$ns" "$VTAPCTL" -j stats dev "$tap" >"$tplog.stats"
	check python3 - "$tplog.stats" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
def total(o, key):
    if isinstance(o, dict):
        return sum(total(v, key) if k != key else v for k, v in o.items()
                   if k == key or isinstance(v, (dict, list)))
    if isinstance(o, list):
        return sum(total(v, key) for v in o)
    return 0
rx, tx = total(s, "rx_packets"), total(s, "tx_packets")
print("vtapctl stats: rx_packets", rx, "tx_packets", tx)
sys.exit(0 if rx >= 64 and tx >= 64 else 1)
PY
	rm -f "$tplog.stats"
	kill -INT "$tp"; wait "$tp"
	if [ "$q" -gt 1 ]; then
		# Both queue pairs carried frames (testpmd's per-stream counts).
		check grep -A1 "RX Port= 0/Queue= 1" "$tplog"
		check sh -c "grep -A1 'RX Port= 0/Queue= 1' '$tplog' | grep -q 'RX-packets: [1-9]'"
		check sh -c "grep -A1 'RX Port= 0/Queue= 0' '$tplog' | grep -q 'RX-packets: [1-9]'"
	fi
	check grep -q "frontend connected" "$log"
	check grep -q "frontend disconnected" "$log"
	kill "$vp"; wait "$vp"
	check test $? = 0
	rm -rf "/var/run/dpdk/$prefix"
}

run_round 1
run_round 2
[ "$_failed" = 0 ] || { cat "$log" "$tplog" >&2; }
grep "memory region" "$log" | sort -u | head -3
rm -f "$log"
finish
