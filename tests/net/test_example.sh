#!/bin/bash
# SPDX-License-Identifier: MIT
# test_example.sh - examples/vmm_rx, built against the uninstalled
# pkg-config file, on a real tap in a namespace: the operator prepares the
# tap with vtapctl, the example opens its queues with hash reporting on,
# the namespace's stack sends UDP frames out of the tap, and every frame
# the example reads carries the hash `vtapctl hash` computes for the same
# frame (default key, all types) and the report udpv4.
. "$VTAP_SRCDIR/tests/lib.sh"
require_root
VMM_RX=$VTAP_BUILDDIR/examples/vmm_rx
# Built as an outside program: the uninstalled library by the loader path.
export LD_LIBRARY_PATH=$VTAP_BUILDDIR/src/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
[ -x "$VMM_RX" ] || { echo "FAIL: $VMM_RX not built" >&2; exit 1; }

NS=$(uname_ ex)
T=$(uname_ e)
work=$(mktemp -d)
cleanup_add rm -rf "$work"
cleanup_add ip netns del "$NS"
cleanup_add rm -rf "/run/vtap/$T"
ip netns add "$NS" || skip "cannot create a network namespace"
nsx() { ip netns exec "$NS" "$@"; }

check nsx "$VTAPCTL" dev add "$T" queues 2 vnet_hdr 20
cleanup_add ip netns exec "$NS" "$VTAPCTL" dev del "$T"
nsx sysctl -qw "net.ipv6.conf.$T.disable_ipv6=1"
check nsx ip addr add 10.77.0.1/24 dev "$T"
check nsx ip link set "$T" up
check nsx ip neigh replace 10.77.0.2 lladdr 02:00:00:00:00:02 dev "$T" nud permanent
mac=$(nsx cat "/sys/class/net/$T/address")

N=8
nsx "$VMM_RX" -c $N -t 30 "$T" 2 >"$work/out" 2>"$work/err" &
pid=$!
cleanup_add kill "$pid"
for _ in $(seq 100); do
	grep -q '^ready$' "$work/out" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
check grep -q '^ready$' "$work/out"

# Send N datagrams from distinct source ports, and write the frames the
# kernel will put on the tap to a capture for vtapctl hash.
check nsx python3 - "$work/frames.pcap" "$mac" "$N" <<'PY'
import socket, struct, sys
path, mac, n = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), int(sys.argv[3])
dst_mac = bytes.fromhex("020000000002")
with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(n):
        sport, dport, payload = 40000 + i, 5000 + i, b"vtap example %d" % i
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("10.77.0.1", sport))
        s.sendto(payload, ("10.77.0.2", dport))
        s.close()
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + len(payload), 0, 0,
                         64, 17, 0, socket.inet_aton("10.77.0.1"),
                         socket.inet_aton("10.77.0.2"))
        udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
        frame = dst_mac + mac + b"\x08\x00" + ip + udp + payload
        f.write(struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame)
PY
wait "$pid"
rc=$?
check [ "$rc" = 0 ]
[ "$rc" = 0 ] || cat "$work/err" >&2

got=$(awk '$1 == "queue" {print $8}' "$work/out" | sort)
reports=$(awk '$1 == "queue" {print $6}' "$work/out" | sort -u)
want=$("$VTAPCTL" hash "$work/frames.pcap" | awk '{print $2}' | sort)
check [ "$(echo "$got" | wc -l)" = $N ]
check [ "$reports" = udpv4 ]
check [ "$(echo "$want" | wc -l)" = $N ]
if [ "$got" = "$want" ]; then
	ok "reported hashes equal vtapctl hash of the same frames"
else
	fail "reported hashes differ: got $(echo $got) want $(echo $want)"
fi
finish
