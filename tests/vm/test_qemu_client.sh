#!/bin/bash
# SPDX-License-Identifier: MIT
# test_qemu_client.sh - Debian's QEMU as a real client of a tap prepared
# with vtapctl, its Linux guest (Debian 12's 6.1 kernel, -smp 2) on the
# tap's two queues.
#
#  1. `vtapctl dev add T queues 2 vnet-hdr 12` and `vtapctl rss set dev T
#     types all key KEY table equal 2`;
#  2. QEMU opens T (-netdev tap,ifname=T,script=no,downscript=no,
#     vhost=off,queues=2; -device virtio-net-pci,mq=on); the guest loads
#     virtio_net, brings eth0 up with both queue pairs and puts a socket
#     filter (tests/vm/rxq.c) on it that records __sk_buff->queue_mapping
#     per UDP flow;
#  3. once the guest has sent its first frames (its driver has started,
#     and with it QEMU's TUNSETSTEERINGEBPF -1), `vtapctl steer attach dev
#     T` runs when vtapctl has that command, then T's netdev moves into a
#     namespace NS (10.77.0.1/24) and 64 UDP flows go from NS to the guest;
#  4. `vtapctl hash` predicts each flow's queue from a capture of the same
#     frames, with the key and table `rss show` reports.
# With `steer attach`: every flow reached the guest on the predicted queue
# and never moved. Without it (vtapctl before the namespaces issue) the
# test shows the detach: QEMU detached vtap's program, so not every flow
# is where vtap's RSS would put it (the chance that tun's own flow
# hashing agrees on all 64 by luck is 2^-64). Skips (77) without root,
# QEMU or the kernel image.
. "$VTAP_SRCDIR/tests/lib.sh"
. "$VTAP_SRCDIR/tests/vm/guestlib.sh"
vm_require

T=$(uname_ qc)
NS=$(uname_ qn)
NFLOWS=64 DPORT=20000 SPORT=40000 READY=19999
GUEST_MAC=52:54:00:77:00:02 TAP_MAC=02:77:00:00:00:01
KEY=6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa
vm_tmpdir
TMP=$VM_TMP
cleanup_add rm -rf "/sys/fs/bpf/vtap/$T" "/run/vtap/$T"
cleanup_add ip link del "$T"
cleanup_add "$VTAPCTL" dev del "$T"
cleanup_add ip -n "$NS" link set "$T" netns 1
cleanup_add ip netns del "$NS"
cleanup_add 'kill $qpid; wait $qpid'
qpid=

check "$VTAPCTL" dev add "$T" queues 2 vnet-hdr 12
check "$VTAPCTL" rss set dev "$T" types all key "$KEY" table equal 2
table=$("$VTAPCTL" -j rss show dev "$T" | python3 -c '
import json, sys
d = json.load(sys.stdin)
d = d[0] if isinstance(d, list) else d
print(",".join(str(q) for q in d["table"]))') || fail "rss show"
echo "table: $table"
ip link set "$T" address "$TAP_MAC" up

# The guest: virtio_net on both queue pairs, the filter, then frames to
# the host (they tell the host its driver runs) until every flow was seen.
guest_job="
set -u
ethtool -l eth0 | sed 's/^/guest: /'
ip link set eth0 up
ip addr add 10.77.0.2/24 dev eth0
ip neigh replace 10.77.0.1 lladdr $TAP_MAC dev eth0 nud permanent
$(vm_rxq_job eth0 $DPORT $NFLOWS 10.77.0.1 $READY)
"
rx0=$(cat "/sys/class/net/$T/statistics/rx_packets")
vm_guest "$TMP/guest.out" --timeout 900 --modules virtio_net \
	--qemu -netdev --qemu "tap,id=n0,ifname=$T,script=no,downscript=no,vhost=off,queues=2" \
	--qemu -device --qemu "virtio-net-pci,netdev=n0,mq=on,vectors=6,mac=$GUEST_MAC" \
	-- "$guest_job" &
qpid=$!

# Wait for the guest's first frames: its driver has started.
for ((i = 0; i < 6000; i++)); do
	[ "$(cat "/sys/class/net/$T/statistics/rx_packets")" -gt "$rx0" ] && break
	kill -0 $qpid 2>/dev/null || break
	sleep 0.1
done
if ! kill -0 $qpid 2>/dev/null; then
	cat "$TMP/guest.out"
	wait $qpid
	rc=$?
	[ "$rc" = 77 ] && skip "$(grep SKIP "$TMP/guest.out")"
	fail "the guest ended before its driver started (exit $rc)"
	finish
fi
echo "guest driver started"
attach=0
if "$VTAPCTL" steer help 2>&1 | grep -q 'steer attach'; then
	check "$VTAPCTL" steer attach dev "$T"
	attach=1
else
	echo "vtapctl has no 'steer attach' yet: showing the detach"
fi
"$VTAPCTL" steer show dev "$T"

check ip netns add "$NS"
check ip link set "$T" netns "$NS"
ip -n "$NS" link set lo up
check ip -n "$NS" link set "$T" up
check ip -n "$NS" addr add 10.77.0.1/24 dev "$T"
check ip -n "$NS" neigh replace 10.77.0.2 lladdr "$GUEST_MAC" dev "$T" nud permanent

# The flows, again and again until the guest is done; and their frames
# as a capture for vtapctl hash.
vm_flows_pcap $NFLOWS $SPORT $DPORT 10.77.0.1 10.77.0.2 "$TAP_MAC" \
	"$GUEST_MAC" "$TMP/flows.pcap"
vm_flows_send "$NS" $NFLOWS $SPORT $DPORT 10.77.0.1 10.77.0.2
wait $qpid
grc=$?
qpid=
vm_flows_stop
cat "$TMP/guest.out"
check [ "$grc" = 0 ]

"$VTAPCTL" hash key "$KEY" types all table "$table" "$TMP/flows.pcap" \
	>"$TMP/predicted" || fail "vtapctl hash"
read -r seen on_pred _ moved on_q0 on_q1 < <(vm_flows_check "$TMP/predicted" "$TMP/guest.out")
echo "flows on the predicted queue: $on_pred of $NFLOWS (queue 0: $on_q0, queue 1: $on_q1, moved: $moved)"
check [ "$seen" = $NFLOWS ]
check [ $((on_q0 + on_q1)) = $NFLOWS ]
if [ "$attach" = 1 ]; then
	check [ "$on_pred" = $NFLOWS ]
	check [ "$moved" = 0 ]
else
	# QEMU detached the program: tun's own queue choice, not vtap's RSS.
	check [ "$on_pred" -lt $NFLOWS ]
fi
finish
