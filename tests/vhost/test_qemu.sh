#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_qemu.sh - QEMU (Debian's 7.2) as vtap-vhost's frontend, its Linux
# guest (Debian 12's 6.1 kernel, -smp 2) booted by the VM harness
# (tests/vm/run.sh), the tap in a namespace NS (10.95.0.1/24):
#
#  1. the guest sees 2 queue pairs and pings the tap's address;
#  2. TCP both ways (the guest's TSO, the host's GSO into MRG buffers),
#     4 MiB each way, compared by SHA-256;
#  3. 64 UDP flows into the guest: a socket filter in the guest
#     (tests/vm/rxq.c) records each flow's rx queue and skb->hash, with
#     `ethtool -K eth0 rxhash on` (the hash the device reported); each
#     must equal `vtapctl hash` over the same frames with vtap's default
#     RSS (all types, the default key, table equal 2);
#  4. QEMU exits and starts again (a VMM restart / guest reboot): the same
#     daemon serves the new guest, which pings again.
#
# The same guest has a second virtio-net on a second vtap-vhost over a
# macvtap (`vtapctl dev add type macvtap`, mode bridge, 2 queues, the
# guest's MAC) on one end L of a veth pair in NS; its peer LP
# (10.96.0.1/24) is the lower side's host: the guest pings it (both
# boots), and 64 other UDP flows from LP must reach the guest on the queue
# and with the hash `vtapctl hash` predicts (3.), through the tc steering
# program vtap-vhost attaches with vtap's default RSS.
# Under TCG QEMU 7.2 needs vectors=0 (docs/vhost.md). Skips (77) without
# root, the harness, QEMU or the kernel image.
. "$VTAP_SRCDIR/tests/lib.sh"
. "$VTAP_SRCDIR/tests/vm/guestlib.sh"
VHOST=$VTAP_BUILDDIR/src/tools/vtap-vhost/vtap-vhost
vm_require
need_built "$VHOST"

T=$(uname_ qv); NS=$(uname_ qs); S=/tmp/vtap-vhost-qemu.$$.sock
M=$(uname_ qm); L=$(uname_ ql); LP=$(uname_ qp); S2=$S.mv
NFLOWS=64 DPORT=21000 SPORT=41000 MEM=1024 DPORT2=22000 SPORT2=42000
GUEST_MAC=52:54:00:95:00:02 TAP_MAC=02:95:00:00:00:01
GUEST_MAC2=52:54:00:96:00:02 LP_MAC=02:96:00:00:00:01
# The guest has its own /tmp: scratch files go where it sees them.
vm_tmpdir
TMP=$VM_TMP
cleanup_add rm -f "$S" "$S2"
cleanup_add ip netns del "$NS"
cleanup_add "$VTAPCTL" -n "$NS" dev del "$M"
cleanup_add 'kill $vpid 2>/dev/null; wait $vpid 2>/dev/null'
cleanup_add 'kill $vpid2 2>/dev/null; wait $vpid2 2>/dev/null'
cleanup_add 'kill $spid 2>/dev/null; wait $spid 2>/dev/null'
vpid=
vpid2=
spid=

check ip netns add "$NS"
"$VHOST" --socket "$S" --create "$T" --queues 2 --netns "$NS" \
	2>"$TMP/vhost.log" &
vpid=$!
for _ in $(seq 200); do [ -S "$S" ] && break; sleep 0.05; done
check ip -n "$NS" link set "$T" address "$TAP_MAC" up
check ip -n "$NS" addr add 10.95.0.1/24 dev "$T"
check ip -n "$NS" neigh replace 10.95.0.2 lladdr "$GUEST_MAC" dev "$T" nud permanent

# The macvtap on the veth end L; LP is the host on the lower side.
modprobe -q macvtap 2>/dev/null
check ip -n "$NS" link add "$L" type veth peer name "$LP"
check ip -n "$NS" link set "$L" up
check ip -n "$NS" link set "$LP" address "$LP_MAC" up
check ip -n "$NS" addr add 10.96.0.1/24 dev "$LP"
check ip -n "$NS" neigh replace 10.96.0.2 lladdr "$GUEST_MAC2" dev "$LP" nud permanent
check "$VTAPCTL" -n "$NS" dev add "$M" type macvtap link "$L" mode bridge \
	queues 2 mac "$GUEST_MAC2"
check ip -n "$NS" link set "$M" up
"$VHOST" --socket "$S2" --tap "$M" --queues 2 --netns "$NS" \
	2>"$TMP/vhost2.log" &
vpid2=$!
for _ in $(seq 200); do [ -S "$S2" ] && break; sleep 0.05; done

guest() { # JOB OUTPUT
	vm_guest "$2" --timeout 900 --mem "$MEM" --modules virtio_net \
		--qemu -object --qemu "memory-backend-memfd,id=mem,size=${MEM}M,share=on" \
		--qemu -machine --qemu "pc,memory-backend=mem" \
		--qemu -chardev --qemu "socket,id=c0,path=$S" \
		--qemu -netdev --qemu "vhost-user,id=n0,chardev=c0,queues=2" \
		--qemu -device --qemu "virtio-net-pci,netdev=n0,mq=on,hash=on,vectors=0,mac=$GUEST_MAC" \
		--qemu -chardev --qemu "socket,id=c1,path=$S2" \
		--qemu -netdev --qemu "vhost-user,id=n1,chardev=c1,queues=2" \
		--qemu -device --qemu "virtio-net-pci,netdev=n1,mq=on,hash=on,vectors=0,mac=$GUEST_MAC2" \
		-- "$1"
}

# TCP: each side sends 4 MiB of a seeded stream and prints its SHA-256;
# the receiver prints the SHA-256 of what it got.
cat >"$TMP/tcp.py" <<'PY'
import hashlib, random, socket, sys
mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = random.Random(7).randbytes(4 << 20)
if mode == "serve":  # receive, then send back our own stream
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((addr, port)); l.listen(1); l.settimeout(600)
    c, _ = l.accept(); c.settimeout(600)
    h, n = hashlib.sha256(), 0
    while n < len(data):
        b = c.recv(1 << 16)
        if not b: break
        h.update(b); n += len(b)
    print("served-got", n, h.hexdigest())
    c.sendall(data); c.shutdown(socket.SHUT_WR); c.close()
else:
    c = socket.create_connection((addr, port), timeout=600)
    c.sendall(data)
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(1 << 16)
        if not b: break
        h.update(b); n += len(b)
    print("client-got", n, h.hexdigest())
print("sent", hashlib.sha256(data).hexdigest())
PY

# The guest's interfaces by MAC: \$t on the tap, \$mv on the macvtap.
guest_ifs="
for i in /sys/class/net/*; do
	case \$(cat \$i/address) in
	$GUEST_MAC) t=\${i##*/} ;;
	$GUEST_MAC2) mv=\${i##*/} ;;
	esac
done
ip link set \$t up
ip addr add 10.95.0.2/24 dev \$t
ip link set \$mv up
ip addr add 10.96.0.2/24 dev \$mv
"
guest_job="
set -u
$guest_ifs
ethtool -l \$t | sed 's/^/guest: /'
for i in \$t \$mv; do
	ethtool -L \$i combined 2
	ethtool -K \$i rxhash on
done
ip neigh replace 10.95.0.1 lladdr $TAP_MAC dev \$t nud permanent
ip neigh replace 10.96.0.1 lladdr $LP_MAC dev \$mv nud permanent
echo queues: \$(ls /sys/class/net/\$t/queues | tr '\n' ' ')
echo mv-queues: \$(ls /sys/class/net/\$mv/queues | tr '\n' ' ')
ping -c 3 -W 5 10.95.0.1 && echo PING-OK
ping -c 3 -W 5 10.96.0.1 && echo MV-PING-OK
python3 $TMP/tcp.py client 10.95.0.1 5201 | sed 's/^/guest-tcp: /'
$(vm_rxq_job '$t' $DPORT $NFLOWS)
$(vm_rxq_job '$mv' $DPORT2 $NFLOWS '' '' 'mv: ')
"
ip netns exec "$NS" python3 "$TMP/tcp.py" serve 10.95.0.1 5201 \
	>"$TMP/host-tcp.out" 2>&1 &
tpid=$!
vm_flows_pcap $NFLOWS $SPORT $DPORT 10.95.0.1 10.95.0.2 "$TAP_MAC" \
	"$GUEST_MAC" "$TMP/flows.pcap"
vm_flows_pcap $NFLOWS $SPORT2 $DPORT2 10.96.0.1 10.96.0.2 "$LP_MAC" \
	"$GUEST_MAC2" "$TMP/flows2.pcap"
vm_flows_send "$NS" $NFLOWS $SPORT2 $DPORT2 10.96.0.1 10.96.0.2
spid=$VM_SPID
vm_flows_send "$NS" $NFLOWS $SPORT $DPORT 10.95.0.1 10.95.0.2
guest "$guest_job" "$TMP/guest1.out"
grc=$?
vm_flows_stop
kill "$spid"; wait "$spid"; spid=
wait $tpid
cat "$TMP/guest1.out" "$TMP/host-tcp.out"
[ "$grc" = 77 ] && skip "$(grep SKIP "$TMP/guest1.out")"
check [ "$grc" = 0 ]
check grep -q "queues: rx-0 rx-1 tx-0 tx-1" "$TMP/guest1.out"
check grep -q "mv-queues: rx-0 rx-1 tx-0 tx-1" "$TMP/guest1.out"
check grep -q PING-OK "$TMP/guest1.out"
check grep -q MV-PING-OK "$TMP/guest1.out"
sent=$(awk '$1 == "sent" {print $2}' "$TMP/host-tcp.out")
check grep -q "served-got 4194304 $sent" "$TMP/host-tcp.out"
check grep -q "guest-tcp: client-got 4194304 $sent" "$TMP/guest1.out"

# Queue and hash of every flow, as vtap's RSS predicts them.
"$VTAPCTL" hash types all table 2 "$TMP/flows.pcap" >"$TMP/predicted" ||
	fail "vtapctl hash"
read -r seen on_q on_h _ < <(vm_flows_check "$TMP/predicted" "$TMP/guest1.out")
echo "flows seen $seen of $NFLOWS; on the predicted queue: $on_q; hash as predicted: $on_h"
check [ "$seen" = $NFLOWS ]
check [ "$on_q" = $NFLOWS ]
check [ "$on_h" = $NFLOWS ]
"$VTAPCTL" hash types all table 2 "$TMP/flows2.pcap" >"$TMP/predicted2" ||
	fail "vtapctl hash"
read -r seen on_q on_h _ q0 q1 < <(vm_flows_check "$TMP/predicted2" \
	"$TMP/guest1.out" "mv: ")
echo "macvtap: flows seen $seen of $NFLOWS; on the predicted queue: $on_q;" \
	"hash as predicted: $on_h; on queue 0/1: $q0/$q1"
check [ "$seen" = $NFLOWS ]
check [ "$on_q" = $NFLOWS ]
check [ "$on_h" = $NFLOWS ]

# The VMM restarts: the same daemon serves the next guest.
guest "set -u; $guest_ifs
	ping -c 3 -W 5 10.95.0.1 && echo PING-OK
	ping -c 3 -W 5 10.96.0.1 && echo MV-PING-OK" "$TMP/guest2.out"
check grep -q PING-OK "$TMP/guest2.out"
check grep -q MV-PING-OK "$TMP/guest2.out"
check kill -0 "$vpid"
check kill -0 "$vpid2"
check grep -q "frontend disconnected" "$TMP/vhost.log"
check grep -q "frontend disconnected" "$TMP/vhost2.log"
kill "$vpid"; wait "$vpid"; check test $? = 0; vpid=
kill "$vpid2"; wait "$vpid2"; check test $? = 0; vpid2=
[ "$_failed" = 0 ] || cat "$TMP/vhost.log" "$TMP/vhost2.log" >&2
finish
