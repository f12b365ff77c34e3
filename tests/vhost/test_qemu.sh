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
# Under TCG QEMU 7.2 needs vectors=0 (docs/vhost.md). Skips (77) without
# root, the harness, QEMU or the kernel image.
. "$VTAP_SRCDIR/tests/lib.sh"
. "$VTAP_SRCDIR/tests/vm/guestlib.sh"
VHOST=$VTAP_BUILDDIR/src/tools/vtap-vhost/vtap-vhost
vm_require
need_built "$VHOST"

T=$(uname_ qv); NS=$(uname_ qs); S=/tmp/vtap-vhost-qemu.$$.sock
NFLOWS=64 DPORT=21000 SPORT=41000 MEM=1024
GUEST_MAC=52:54:00:95:00:02 TAP_MAC=02:95:00:00:00:01
# The guest has its own /tmp: scratch files go where it sees them.
vm_tmpdir
TMP=$VM_TMP
cleanup_add rm -f "$S"
cleanup_add ip netns del "$NS"
cleanup_add 'kill $vpid 2>/dev/null; wait $vpid 2>/dev/null'
vpid=

check ip netns add "$NS"
"$VHOST" --socket "$S" --create "$T" --queues 2 --netns "$NS" \
	2>"$TMP/vhost.log" &
vpid=$!
for _ in $(seq 200); do [ -S "$S" ] && break; sleep 0.05; done
check ip -n "$NS" link set "$T" address "$TAP_MAC" up
check ip -n "$NS" addr add 10.95.0.1/24 dev "$T"
check ip -n "$NS" neigh replace 10.95.0.2 lladdr "$GUEST_MAC" dev "$T" nud permanent

guest() { # JOB OUTPUT
	vm_guest "$2" --timeout 900 --mem "$MEM" --modules virtio_net \
		--qemu -object --qemu "memory-backend-memfd,id=mem,size=${MEM}M,share=on" \
		--qemu -machine --qemu "pc,memory-backend=mem" \
		--qemu -chardev --qemu "socket,id=c0,path=$S" \
		--qemu -netdev --qemu "vhost-user,id=n0,chardev=c0,queues=2" \
		--qemu -device --qemu "virtio-net-pci,netdev=n0,mq=on,hash=on,vectors=0,mac=$GUEST_MAC" \
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

guest_job="
set -u
ethtool -l eth0 | sed 's/^/guest: /'
ethtool -L eth0 combined 2
ethtool -K eth0 rxhash on
ip link set eth0 up
ip addr add 10.95.0.2/24 dev eth0
ip neigh replace 10.95.0.1 lladdr $TAP_MAC dev eth0 nud permanent
echo queues: \$(ls /sys/class/net/eth0/queues | tr '\n' ' ')
ping -c 3 -W 5 10.95.0.1 && echo PING-OK
python3 $TMP/tcp.py client 10.95.0.1 5201 | sed 's/^/guest-tcp: /'
$(vm_rxq_job eth0 $DPORT $NFLOWS)
"
ip netns exec "$NS" python3 "$TMP/tcp.py" serve 10.95.0.1 5201 \
	>"$TMP/host-tcp.out" 2>&1 &
tpid=$!
vm_flows_pcap $NFLOWS $SPORT $DPORT 10.95.0.1 10.95.0.2 "$TAP_MAC" \
	"$GUEST_MAC" "$TMP/flows.pcap"
vm_flows_send "$NS" $NFLOWS $SPORT $DPORT 10.95.0.1 10.95.0.2
guest "$guest_job" "$TMP/guest1.out"
grc=$?
vm_flows_stop
wait $tpid
cat "$TMP/guest1.out" "$TMP/host-tcp.out"
[ "$grc" = 77 ] && skip "$(grep SKIP "$TMP/guest1.out")"
check [ "$grc" = 0 ]
check grep -q "queues: rx-0 rx-1 tx-0 tx-1" "$TMP/guest1.out"
check grep -q PING-OK "$TMP/guest1.out"
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

# The VMM restarts: the same daemon serves the next guest.
guest "set -u; ip link set eth0 up; ip addr add 10.95.0.2/24 dev eth0
	ping -c 3 -W 5 10.95.0.1 && echo PING-OK" "$TMP/guest2.out"
check grep -q PING-OK "$TMP/guest2.out"
check kill -0 "$vpid"
check grep -q "frontend disconnected" "$TMP/vhost.log"
kill "$vpid"; wait "$vpid"; check test $? = 0; vpid=
[ "$_failed" = 0 ] || cat "$TMP/vhost.log" >&2
finish
