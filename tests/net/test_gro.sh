#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_gro.sh - coalescing on send through vtap-switchd: port P1's tap has
# no offloads (offloads=none), so namespace N1's stack hands the switch
# MSS-sized segments; port P2's tap has TSO, so the switch coalesces what
# it writes there (gro on by default). TCP transfers N1 -> N2 over IPv4
# and IPv6 are compared byte for byte (sha256); N2's InCsumErrors (TCP,
# TCP6, IP) do not move while its stack receives the coalesced frames, and
# P2's counters (vtapctl stats) show merges. UDP datagrams sent in bursts
# (UDP_SEGMENT) are written to P2 as USO frames where the kernel has USO
# and reach N2's socket as the same datagrams. Then N2 routes the same
# transfer on to N3 over a veth without offloads, so the kernel segments
# the coalesced frames again (its tcp_gso_segment() and checksum code):
# N3 must get the same bytes with no checksum errors either. Last, with
# gro=no on P2 nothing is merged.
. "$VTAP_SRCDIR/tests/lib.sh"
require_root
need python3 python3
need ethtool ethtool
need_built "$VTAP_SWITCHD"

N1=$(uname_ g1); N2=$(uname_ g2); N3=$(uname_ g3)
P1=$(uname_ q1); P2=$(uname_ q2)
TMP=$(mktemp -d)
SOCK=$TMP/ctl.sock
cleanup_add rm -rf "$TMP"
netns_add "$N1" "$N2" "$N3"
cleanup_add ip link del "$P1"
cleanup_add ip link del "$P2"

start() { # extra P2 options
	"$VTAP_SWITCHD" --port "$P1,queues=1,netns=$N1,offloads=none" \
		--port "$P2,queues=1,netns=$N2$1" --workers 1 \
		--control "$SOCK" 2>"$TMP/log" &
	SW=$!
	cleanup_add "kill $SW; wait $SW"
	for i in $(seq 600); do [ -S "$SOCK" ] && break; sleep 0.1; done
	[ -S "$SOCK" ] || { cat "$TMP/log" >&2; fail "daemon did not start"; finish; }
	ip -n "$N1" addr add 10.198.0.1/24 dev "$P1"
	ip -n "$N1" addr add fd98::1/64 dev "$P1" nodad
	ip -n "$N2" addr add 10.198.0.2/24 dev "$P2"
	ip -n "$N2" addr add fd98::2/64 dev "$P2" nodad
	ip -n "$N1" link set "$P1" up
	ip -n "$N2" link set "$P2" up
	ip -n "$N1" route add 10.199.0.0/24 via 10.198.0.2
	ip -n "$N1" -6 route add fd99::/64 via fd98::2
}
stop() {
	kill "$SW"; wait "$SW"
	rm -f "$SOCK"
}

# N2 routes 10.199.0.0/24 and fd99::/64 to N3 over a veth pair whose
# offloads are off: GSO frames leaving N2 are segmented in software.
ip link add vg2$$ netns "$N2" type veth peer vg3$$ netns "$N3"
ip -n "$N2" addr add 10.199.0.1/24 dev vg2$$
ip -n "$N2" addr add fd99::1/64 dev vg2$$ nodad
ip -n "$N3" addr add 10.199.0.2/24 dev vg3$$
ip -n "$N3" addr add fd99::2/64 dev vg3$$ nodad
ip -n "$N2" link set vg2$$ up
ip -n "$N3" link set vg3$$ up
ip netns exec "$N2" ethtool -K vg2$$ tx off tso off gso off >/dev/null 2>&1
ip netns exec "$N3" ethtool -K vg3$$ gro off >/dev/null 2>&1
ip netns exec "$N2" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip -n "$N3" route add 10.198.0.0/24 via 10.199.0.1
ip -n "$N3" -6 route add fd98::/64 via fd99::1

# The sum of the checksum error counters of namespace $1.
csum_errors() {
	ip netns exec "$1" python3 -c '
n = 0
for path, keys in (("/proc/net/snmp", ("Tcp:", "Udp:", "Ip:")),):
    lines = open(path).read().split("\n")
    for i in range(0, len(lines) - 1, 2):
        h, v = lines[i].split(), lines[i + 1].split()
        if h and h[0] in keys:
            d = dict(zip(h[1:], map(int, v[1:])))
            n += d.get("InCsumErrors", 0)
for line in open("/proc/net/snmp6"):
    k, v = line.split()
    if k.endswith("InCsumErrors"):
        n += int(v)
print(n)'
}

# A total counter of P2's libvtap handles (vtapctl -j stats), read in
# the tap's namespace (its state is kept per namespace).
stat_of() { # FIELD
	"$VTAPCTL" -n "$N2" -j stats dev "$P2" | python3 -c '
import json, sys
print(json.load(sys.stdin)[0]["total"][sys.argv[1]])' "$1"
}

start ""
# N1 really sends MSS-sized segments: its tap has no TSO.
check test "$(ip netns exec "$N1" ethtool -k "$P1" | sed -n 's/^tcp-segmentation-offload: \([a-z]*\).*/\1/p')" = off

e2=$(csum_errors "$N2")
check tcp_ok "$N1" 10.198.0.2 8000000 "$N2"
check tcp_ok "$N1" fd98::2 8000000 "$N2"
check test "$(csum_errors "$N2")" = "$e2"
frames=$(stat_of gro_frames)
segs=$(stat_of gro_segments)
echo "P2: $frames coalesced frames of $segs segments"
check test "$frames" -gt 100
check test "$segs" -gt $((2 * frames))
check test "$(stat_of tx_gso)" -ge "$frames"

# UDP: N1 sends with UDP_SEGMENT (its stack cuts 20 datagrams of 1000
# bytes from each send, in software, as its tap has no USO), so they reach
# the switch back to back; written to P2 as USO frames where the kernel
# takes them, they must reach N2's socket as the same datagrams.
udp_ok() {
	rm -f "$TMP/urx"
	ip netns exec "$N2" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 24)
s.bind(("10.198.0.2", 5557)); s.settimeout(5)
n = bad = 0
try:
    while n < 4000:
        b = s.recv(65536)
        if len(b) != 1000 or b != (b[:4] * 250): bad += 1
        n += 1
except socket.timeout: pass
open(sys.argv[1], "w").write("%d %d" % (n, bad))
' "$TMP/urx" &
	local rx=$!
	sleep 0.3
	ip netns exec "$N1" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_UDP, 103, 1000)  # UDP_SEGMENT
s.connect(("10.198.0.2", 5557))
for burst in range(200):
    buf = b"".join((burst * 20 + i).to_bytes(4, "big") * 250 for i in range(20))
    s.send(buf)
    time.sleep(0.002)
'
	wait $rx
	echo "udp: received, bad: $(cat "$TMP/urx")"
	[ "$(cat "$TMP/urx")" = "4000 0" ]
}
if ip netns exec "$N2" ethtool -k "$P2" | grep -q '^tx-udp-segmentation: on'; then
	f0=$(stat_of gro_frames)
	check udp_ok
	check test "$(csum_errors "$N2")" = "$e2"
	echo "P2 after UDP: $(stat_of gro_frames) coalesced frames (was $f0)"
	check test "$(stat_of gro_frames)" -gt "$f0"
else
	echo "no USO on P2's tap: UDP coalescing not tested"
fi

# Routed on through a veth without offloads: the kernel segments again.
e3=$(csum_errors "$N3")
f0=$frames
check tcp_ok "$N1" 10.199.0.2 4000000 "$N3"
check tcp_ok "$N1" fd99::2 4000000 "$N3"
check test "$(csum_errors "$N3")" = "$e3"
check test "$(csum_errors "$N2")" = "$e2"
check test "$(stat_of gro_frames)" -gt "$f0"
stop

# gro=no: every segment written as it came.
start ",gro=no"
check tcp_ok "$N1" 10.198.0.2 2000000 "$N2"
check test "$(stat_of gro_frames)" = 0
check test "$(csum_errors "$N2")" = "$e2"
stop
finish
