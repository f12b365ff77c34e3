#!/bin/bash
# SPDX-License-Identifier: MIT
# test_netns.sh - vtapctl from inside network namespaces, each call a new
# process: the README's tap tour under `ip netns exec NS`, `nsenter --net`
# and `vtapctl -n NS`, every call seeing what the previous one set and real
# traffic steered as `vtapctl hash` predicts; a tap of the same name in the
# caller's namespace never mixed in; `dev add` over a tap with other flags
# names each flag; two namespaces with a tap of the same name configured
# differently; a tap deleted with `ip link del` and made again starts clean.
. "$VTAP_SRCDIR/tests/lib.sh"
require_root
need python3 python3
need nsenter util-linux

READER=$VTAP_SRCDIR/tests/net/tap_reader.py
T=$(uname_ ns)
TMP=$(mktemp -d)
cleanup_add rm -rf "$TMP"

json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# vt MODE NS ARGS...: vtapctl in namespace NS, entered the MODE way.
vt() {
	local mode=$1 ns=$2; shift 2
	case $mode in
	exec) ip netns exec "$ns" "$VTAPCTL" "$@" ;;
	nsenter) nsenter --net="/run/netns/$ns" "$VTAPCTL" "$@" ;;
	n) "$VTAPCTL" -n "$ns" "$@" ;;
	esac
}
# vtj MODE NS ARGS...: the same with -j.
vtj() { local mode=$1 ns=$2; shift 2; vt "$mode" "$ns" -j "$@"; }

# traffic NS NAME OUT: a VMM-style reader of NAME's 4 queues in NS while
# NS sends 64 UDP flows and TCP connection attempts to port 5201.
traffic() {
	local ns=$1 name=$2 out=$3
	ip -n "$ns" addr add 10.78.0.1/24 dev "$name" 2>/dev/null
	ip -n "$ns" link set "$name" up
	ip -n "$ns" neigh replace 10.78.0.2 lladdr 02:00:00:00:00:02 dev "$name"
	ip netns exec "$ns" python3 "$READER" "$name" 4 12 120 "$out" >"$out.log" 2>&1 &
	local pid=$!
	for _ in $(seq 600); do grep -q ready "$out.log" && break; sleep 0.1; done
	ip netns exec "$ns" python3 -c '
import socket
for p in range(64):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.78.0.1", 20000 + p))
    s.sendto(b"x" * 10, ("10.78.0.2", 30000 + p))
ts = []
for p in range(4):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setblocking(False)
    t.connect_ex(("10.78.0.2", 5201))
    ts.append(t)
'
	touch "$(dirname "$out")/STOP"
	wait "$pid"
	rm -f "$(dirname "$out")/STOP"
}

# steered OUT TABLE: every UDP flow on the queue `vtapctl hash` predicts
# for an indirection table of TABLE, every TCP/5201 frame on queue 2.
steered() {
	local out=$1 table=$2 pred
	[ "$(wc -l <"$out.q")" = 64 ] || { echo "got $(wc -l <"$out.q") flows"; return 1; }
	pred=$("$VTAPCTL" hash types all table "$table" "$out.pcap" | awk '{print $4}')
	[ "$(paste -d' ' "$out.q" - <<<"$pred" | awk '$1 != $2' | wc -l)" = 0 ] ||
		{ echo "queues differ from the prediction"; return 1; }
	[ -s "$out.tcp" ] && [ "$(sort -u "$out.tcp")" = 2 ] ||
		{ echo "tcp/5201 on queues $(sort -u "$out.tcp" | tr '\n' ' ')"; return 1; }
}

for mode in exec nsenter n; do
	NS=$(uname_ "n$mode")
	cleanup_add ip netns del "$NS"
	cleanup_add "$VTAPCTL" -n "$NS" dev del "$T"
	check ip netns add "$NS"
	if [ "$mode" = nsenter ]; then
		# A tap of the same name in the caller's namespace, with other
		# flags: nothing of it may show through.
		cleanup_add ip link del "$T"
		check ip tuntap add dev "$T" mode tap
		check ip link set "$T" address 02:00:00:00:00:aa
	fi
	# The README's tour, one process per call.
	check vt $mode "$NS" dev add "$T" queues 4 vnet-hdr 12 offload csum,tso4,tso6 owner 1000
	check vt $mode "$NS" rss set dev "$T" types all table equal 4
	check vt $mode "$NS" flow add dev "$T" proto tcp dport 5201 queue 2
	got=$(vtj $mode "$NS" steer show dev "$T")
	check python3 -c '
import json, sys
d = json.loads(sys.argv[1])[0]
on = {s["step"]: s["on"] for s in d["steps"]}
assert on["rss"] and on["rules"] and d["queues"] == 4, d
' "$got"
	got=$(vtj $mode "$NS" rss show dev "$T")
	check python3 -c 'import json,sys; d = json.loads(sys.argv[1])[0]; assert d["equal"] == 4 and d["types"][:2] == ["ipv4", "tcpv4"], d' "$got"
	check grep -q "5201" <<<"$(vt $mode "$NS" flow show dev "$T")"
	check grep -q "csum" <<<"$(vt $mode "$NS" offload show dev "$T")"
	check vt $mode "$NS" stats dev "$T"
	got=$(vtj $mode "$NS" dev show "$T")
	mac=$(ip -n "$NS" -br link show "$T" | awk '{print $3}')
	check python3 -c '
import json, sys
d = json.loads(sys.argv[1])[0]
assert d["intended_queues"] == 4 and d["owner"] == 1000, d
assert d["multi_queue"] and d["vnet_hdr"] and d["mac"] == sys.argv[2], d
' "$got" "$mac"
	# dev add over it with other flags names each flag that differs.
	err=$(vt $mode "$NS" dev add "$T" vnet-hdr 0 2>&1); rc=$?
	check test "$rc" = 1
	check grep -q "vnet_hdr on, asked for off" <<<"$err"
	[ "$mode" = nsenter ] && check [ "$(cat /sys/class/net/$T/tun_flags)" = 0x1802 ]
	# Real traffic, read by a reader that does not use libvtap.
	traffic "$NS" "$T" "$TMP/$mode"
	out=$(steered "$TMP/$mode" 4) && ok "$mode: traffic steered as predicted" ||
		fail "$mode: traffic not steered as predicted: $out $(cat "$TMP/$mode.log")"
	pins=$(pins_of "$T" -n "$NS")
	run=$(rundir_of "$T" -n "$NS")
	check test -e "$pins/cfg" -a -e "$run/queues"
	check vt $mode "$NS" dev del "$T"
	check test ! -e "$pins" -a ! -e "$run"
	check_exit 1 ip -n "$NS" link show "$T"
	if [ "$mode" = nsenter ]; then
		check [ "$(cat /sys/class/net/$T/tun_flags)" = 0x1802 ]
		ip link del "$T"
	fi
done

# dev add over an existing tap with other flags: each flag named, under
# every way in.
NS=$(uname_ nclash)
cleanup_add ip netns del "$NS"
check ip netns add "$NS"
check ip -n "$NS" tuntap add dev "$T" mode tap
for mode in exec nsenter n; do
	err=$(vt $mode "$NS" dev add "$T" queues 2 owner 1000 2>&1); rc=$?
	check test "$rc" = 1
	check grep -q "multi_queue off, asked for on" <<<"$err"
	check grep -q "vnet_hdr off, asked for on" <<<"$err"
	check grep -q "no owner, asked for 1000" <<<"$err"
	check test "$(wc -l <<<"$err")" = 1
	err=$(vt $mode "$NS" dev add "$T" tun vnet-hdr 0 2>&1)
	check grep -q "exists as a TAP device, asked for TUN; multi_queue off, asked for on" <<<"$err"
done
check ip netns del "$NS"

# Two namespaces, a tap of the same name in each, configured differently.
NSA=$(uname_ nA)
NSB=$(uname_ nB)
cleanup_add ip netns del "$NSA"
cleanup_add ip netns del "$NSB"
cleanup_add "$VTAPCTL" -n "$NSA" dev del "$T"
cleanup_add "$VTAPCTL" -n "$NSB" dev del "$T"
check ip netns add "$NSA"
check ip netns add "$NSB"
check "$VTAPCTL" -n "$NSA" dev add "$T" queues 4
check "$VTAPCTL" -n "$NSB" dev add "$T" queues 4
check "$VTAPCTL" -n "$NSA" rss set dev "$T" table equal 4
check "$VTAPCTL" -n "$NSB" rss set dev "$T" table 1,3
check "$VTAPCTL" -n "$NSA" flow add dev "$T" proto tcp dport 5201 queue 2
check "$VTAPCTL" -n "$NSB" flow add dev "$T" proto tcp dport 5201 queue 2
check test "$(pins_of "$T" -n "$NSA")" != "$(pins_of "$T" -n "$NSB")"
traffic "$NSA" "$T" "$TMP/a"
out=$(steered "$TMP/a" 4) && ok "A steered as configured" || fail "A: $out"
traffic "$NSB" "$T" "$TMP/b"
out=$(steered "$TMP/b" 1,3) && ok "B steered as configured" || fail "B: $out"
check test "$(sort -u "$TMP/b.q" | tr '\n' ' ')" = "1 3 "
# Deleting B's leaves A's state and steering.
PA=$(pins_of "$T" -n "$NSA")
check "$VTAPCTL" -n "$NSB" dev del "$T"
check test -e "$PA/cfg"
got=$("$VTAPCTL" -n "$NSA" -j rss show dev "$T")
check python3 -c 'import json,sys; assert json.loads(sys.argv[1])[0]["equal"] == 4' "$got"
traffic "$NSA" "$T" "$TMP/a2"
out=$(steered "$TMP/a2" 4) && ok "A still steered after B's delete" || fail "A after B: $out"
# A tap deleted with ip link del and made again starts clean.
check ip -n "$NSA" link del "$T"
check ip -n "$NSA" tuntap add dev "$T" mode tap multi_queue
check_exit 1 "$VTAPCTL" -n "$NSA" rss show dev "$T"
check_exit 1 "$VTAPCTL" -n "$NSA" flow show dev "$T"
check_exit 1 "$VTAPCTL" -n "$NSA" steer show dev "$T"
check test "$("$VTAPCTL" -n "$NSA" -j dev show "$T" | json 'd[0]["intended_queues"]')" = None
check "$VTAPCTL" -n "$NSA" dev del "$T"
check test ! -e "$PA"
finish
