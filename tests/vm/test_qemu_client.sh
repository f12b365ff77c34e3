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
require_root
command -v qemu-system-x86_64 >/dev/null ||
	skip "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
need python3 python3
RXQ=$VTAP_BUILDDIR/tests/vm/vm_rxq
need_built "$RXQ"

T=$(uname_ qc)
NS=$(uname_ qn)
NFLOWS=64 DPORT=20000 SPORT=40000 READY=19999
GUEST_MAC=52:54:00:77:00:02 TAP_MAC=02:77:00:00:00:01
KEY=6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa
TMP=$(mktemp -d)
chmod 755 "$TMP"
cleanup_add rm -rf "$TMP"
cleanup_add rm -rf "/sys/fs/bpf/vtap/$T" "/run/vtap/$T"
cleanup_add ip link del "$T"
cleanup_add "$VTAPCTL" dev del "$T"
cleanup_add ip -n "$NS" link set "$T" netns 1
cleanup_add ip netns del "$NS"
cleanup_add 'kill $qpid $spid; wait $qpid $spid'
qpid= spid=

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
$RXQ eth0 $DPORT $NFLOWS 300 /tmp/rxq.ready >/tmp/rxq.out &
rxq=\$!
while [ ! -e /tmp/rxq.ready ] && kill -0 \$rxq 2>/dev/null; do sleep 0.1; done
while kill -0 \$rxq 2>/dev/null; do
	echo ready >/dev/udp/10.77.0.1/$READY
	sleep 1
done
wait \$rxq
rc=\$?
cat /tmp/rxq.out
exit \$rc
"
rx0=$(cat "/sys/class/net/$T/statistics/rx_packets")
bash "$VTAP_SRCDIR/tests/vm/run.sh" --timeout 900 --modules virtio_net \
	--qemu -netdev --qemu "tap,id=n0,ifname=$T,script=no,downscript=no,vhost=off,queues=2" \
	--qemu -device --qemu "virtio-net-pci,netdev=n0,mq=on,vectors=6,mac=$GUEST_MAC" \
	-- bash -c "$guest_job" >"$TMP/guest.out" 2>&1 &
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
cat >"$TMP/flows.py" <<'EOF'
import socket, struct, sys, time
mode, n, sport, dport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
if mode == "pcap":
    gmac = bytes.fromhex(sys.argv[5].replace(":", ""))
    tmac = bytes.fromhex(sys.argv[6].replace(":", ""))
    out = open(sys.argv[7], "wb")
    out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(n):
        payload = b"flow"
        udp = struct.pack("!HHHH", sport + i, dport + i, 8 + len(payload), 0) + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000,
                         64, 17, 0, socket.inet_aton("10.77.0.1"),
                         socket.inet_aton("10.77.0.2"))
        frame = gmac + tmac + b"\x08\x00" + ip + udp
        out.write(struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame)
    sys.exit(0)
socks = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.77.0.1", sport + i))
    socks.append(s)
end = time.time() + 300
while time.time() < end:
    for i, s in enumerate(socks):
        s.sendto(b"flow", ("10.77.0.2", dport + i))
    time.sleep(0.5)
EOF
python3 "$TMP/flows.py" pcap $NFLOWS $SPORT $DPORT "$GUEST_MAC" "$TAP_MAC" \
	"$TMP/flows.pcap"
ip netns exec "$NS" python3 "$TMP/flows.py" send $NFLOWS $SPORT $DPORT &
spid=$!
wait $qpid
grc=$?
qpid=
kill $spid 2>/dev/null
wait $spid 2>/dev/null
spid=
cat "$TMP/guest.out"
check [ "$grc" = 0 ]

"$VTAPCTL" hash key "$KEY" types all table "$table" "$TMP/flows.pcap" \
	>"$TMP/predicted" || fail "vtapctl hash"
# flow I dport P queue Q hash H moved M  vs  INDEX HASH REPORT QUEUE
read -r on_pred on_q0 on_q1 moved < <(awk '
	FNR == NR { pred[$1] = $4; next }
	$1 == "flow" {
		if ($6 == pred[$2]) ok++
		if ($6 == 0) q0++
		if ($6 == 1) q1++
		mv += $10
	}
	END { print ok + 0, q0 + 0, q1 + 0, mv + 0 }' \
	"$TMP/predicted" <(grep '^flow ' "$TMP/guest.out"))
echo "flows on the predicted queue: $on_pred of $NFLOWS (queue 0: $on_q0, queue 1: $on_q1, moved: $moved)"
check [ $((on_q0 + on_q1)) = $NFLOWS ]
if [ "$attach" = 1 ]; then
	check [ "$on_pred" = $NFLOWS ]
	check [ "$moved" = 0 ]
else
	# QEMU detached the program: tun's own queue choice, not vtap's RSS.
	check [ "$on_pred" -lt $NFLOWS ]
fi
finish
