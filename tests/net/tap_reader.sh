# SPDX-License-Identifier: MIT
# tests/net/tap_reader.sh - for shell tests whose tap is read by
# tap_reader.py (an opener without libvtap): the tap in its namespace,
# the 64 UDP flows sent through it, the check that each went to the queue
# `vtapctl hash` predicts. Sourced after tests/lib.sh.
READER=$VTAP_SRCDIR/tests/net/tap_reader.py

# reader_tap NS TAP QUEUES: namespace NS with tap TAP (QUEUES queues, RSS
# over all types, table equal over QUEUES), 10.78.0.1/24, no IPv6, and
# the neighbour 10.78.0.2 at 02:00:00:00:00:02: frames to it leave
# through the tap (tap_reader.py keeps those). Both removed on exit.
reader_tap() {
	local ns=$1 tap=$2 nq=$3
	cleanup_add ip netns del "$ns"
	cleanup_add "$VTAPCTL" -n "$ns" dev del "$tap"
	check ip netns add "$ns"
	check "$VTAPCTL" -n "$ns" dev add "$tap" queues "$nq"
	check "$VTAPCTL" -n "$ns" rss set dev "$tap" types all table equal "$nq"
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$tap.disable_ipv6=1"
	check ip -n "$ns" addr add 10.78.0.1/24 dev "$tap"
	check ip -n "$ns" link set "$tap" up
	check ip -n "$ns" neigh replace 10.78.0.2 lladdr 02:00:00:00:00:02 dev "$tap"
}

# reader_send NS: 64 UDP flows from 10.78.0.1 to 10.78.0.2, a frame each.
reader_send() {
	ip netns exec "$1" python3 -c '
import socket
for p in range(64):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.78.0.1", 20000 + p))
    s.sendto(b"x" * 10, ("10.78.0.2", 30000 + p))
'
}

# reader_predicted OUT QUEUES: the reader's output OUT (its OUT_PREFIX)
# has the 64 flows, each on the queue `vtapctl hash` predicts for QUEUES.
reader_predicted() {
	local out=$1 pred
	[ "$(wc -l <"$out.q")" = 64 ] || return 1
	pred=$("$VTAPCTL" hash types all table "$2" "$out.pcap" | awk '{print $4}')
	[ "$(paste -d' ' "$out.q" - <<<"$pred" | awk '$1 != $2' | wc -l)" = 0 ]
}
