#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_ovs.sh - a vtap tap as a port of Open vSwitch's userspace datapath
# (docs/switch.md, "Open vSwitch"), vtap writing GSO frames into it:
#
#   NS A: TCP (10.97.0.1) -- tap PA == vtap-switchd == tap PO (root ns)
#                                                       |  OVS bridge, netdev
#   NS B: TCP (10.97.0.2) -- veth VB ------------- veth VO
#
# PA and PO are prepared with `vtapctl dev add ... queues 2 vnet_hdr 20
# offload ...` and `vtapctl rss set`; vtap-switchd (a libvtap program)
# forwards between them and writes NS A's TSO segments into PO as GSO
# frames; ovs-vswitchd reads PO's netdev side. With
# other_config:userspace-tso-enable=true 4 MiB of TCP go each way, compared
# by SHA-256, and OVS logs no "Too big" drop. ovsdb-server and ovs-vswitchd
# run as this script's children in a private run directory (tests/ovs.sh:
# no systemd, no host OVS state touched); once stopped, neither may be
# left, not even as a zombie, and everything is removed on exit.
. "$VTAP_SRCDIR/tests/lib.sh"
. "$VTAP_SRCDIR/tests/ovs.sh"
require_root
need python3 python3
need ovs-vswitchd openvswitch-switch
need ovsdb-tool openvswitch-switch
need_built "$VTAP_SWITCHD"
schema=/usr/share/openvswitch/vswitch.ovsschema
[ -r "$schema" ] ||
	skip "missing package openvswitch-common ($schema; scripts/setup.sh installs openvswitch-switch)"

NSA=$(uname_ oa); NSB=$(uname_ ob)
PA=$(uname_ pa); PO=$(uname_ po); VO=$(uname_ vo); VB=$(uname_ vb)
BR=$(uname_ br)
TMP=$(mktemp -d)
chmod 755 "$TMP"
cleanup_add rm -rf "$TMP"
spid= tpid=
cleanup_add 'kill $spid $tpid 2>/dev/null; wait $spid $tpid 2>/dev/null'
cleanup_add ovs_private_stop "$BR"
for ns in "$NSA" "$NSB"; do
	check ip netns add "$ns"
	cleanup_add ip netns del "$ns"
	ip -n "$ns" link set lo up
done
cleanup_add "$VTAPCTL" dev del "$PO"
cleanup_add "$VTAPCTL" -n "$NSA" dev del "$PA"
cleanup_add ip link del "$VO"

# The taps: vtap-switchd's port format (20-byte headers), TSO on, RSS.
for p in "$PA" "$PO"; do
	check "$VTAPCTL" dev add "$p" queues 2 vnet_hdr 20 offload csum,tso4,tso6
	check "$VTAPCTL" rss set dev "$p" types all equal 2
done
check ip link set "$PO" up
check ip link add "$VO" type veth peer name "$VB" netns "$NSB"
check ip link set "$VO" up
check ip -n "$NSB" addr add 10.97.0.2/24 dev "$VB"
check ip -n "$NSB" link set "$VB" up

# Open vSwitch, private: its database, its daemons, a netdev bridge.
ovs_private_start "$TMP" 1 2>"$TMP/ovs.err"
case $? in
0) ;;
2) cat "$TMP/ovs-vswitchd.log" >&2
	skip "Open vSwitch cannot run here ($(cat "$TMP/ovs.err"))" ;;
*) cat "$TMP/ovs.err" >&2
	fail "private Open vSwitch did not start"
	finish ;;
esac
ovs_pids="$OVS_DB_PID $OVS_SWITCHD_PID"
# The pid files name the processes started (no monitor forked in between).
check test "$(cat "$TMP/ovsdb-server.pid")" = "$OVS_DB_PID"
check test "$(cat "$TMP/ovs-vswitchd.pid")" = "$OVS_SWITCHD_PID"
check ovs-vsctl --timeout=30 add-br "$BR" -- set bridge "$BR" datapath_type=netdev
check ovs-vsctl --timeout=30 add-port "$BR" "$PO"
check ovs-vsctl --timeout=30 add-port "$BR" "$VO"
check grep -q "Userspace TCP Segmentation Offloading support enabled" "$TMP/ovs-vswitchd.log"

# The existing taps as the switch's ports; PA goes into NS A.
"$VTAP_SWITCHD" -q --control "$TMP/sw.sock" --port "$PA,queues=2,netns=$NSA" \
	--port "$PO,queues=2" 2>"$TMP/switchd.log" &
spid=$!
for ((i = 0; i < 600; i++)); do [ -S "$TMP/sw.sock" ] && break; sleep 0.1; done
check [ -S "$TMP/sw.sock" ]
# The switch moved PA into NS A (netns=).
check ip -n "$NSA" addr add 10.97.0.1/24 dev "$PA"
check ip -n "$NSA" link set "$PA" up

check ip netns exec "$NSA" ping -c 3 -W 5 10.97.0.2

# TCP: each side sends 4 MiB of a seeded stream; each receiver's SHA-256
# must be the sender's.
cat >"$TMP/tcp.py" <<'PY'
import hashlib, random, socket, sys
mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = random.Random(9).randbytes(4 << 20)
def recv_all(c):
    h, n = hashlib.sha256(), 0
    while n < len(data):
        b = c.recv(1 << 16)
        if not b: break
        h.update(b); n += len(b)
    return n, h.hexdigest()
if mode == "serve":
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((addr, port)); l.listen(1); l.settimeout(120)
    c, _ = l.accept(); c.settimeout(120)
    print("served-got", *recv_all(c))
    c.sendall(data); c.shutdown(socket.SHUT_WR); c.close()
else:
    c = socket.create_connection((addr, port), timeout=120)
    c.sendall(data)
    print("client-got", *recv_all(c))
print("sent", hashlib.sha256(data).hexdigest())
PY
ip netns exec "$NSB" python3 "$TMP/tcp.py" serve 10.97.0.2 5301 >"$TMP/server.out" 2>&1 &
tpid=$!
for ((i = 0; i < 100; i++)); do
	ip netns exec "$NSB" ss -ltn | grep -q ':5301 ' && break
	sleep 0.1
done
ip netns exec "$NSA" python3 "$TMP/tcp.py" client 10.97.0.2 5301 >"$TMP/client.out" 2>&1
check test $? = 0
wait "$tpid"
check test $? = 0
tpid=
cat "$TMP/client.out" "$TMP/server.out"
sent=$(awk '$1 == "sent" {print $2}' "$TMP/server.out")
check test -n "$sent"
check grep -q "served-got 4194304 $sent" "$TMP/server.out"
check grep -q "client-got 4194304 $sent" "$TMP/client.out"
if grep -q "Too big" "$TMP/ovs-vswitchd.log"; then
	fail "OVS dropped frames as too big: $(grep -m1 'Too big' "$TMP/ovs-vswitchd.log")"
else
	ok "OVS dropped no frame as too big"
fi
# vtap wrote GSO frames into PO (what OVS needed userspace TSO for).
"$VTAPCTL" stats dev "$PO"
ovs-vsctl --timeout=10 get Interface "$PO" status 2>/dev/null
ovs-appctl --timeout=10 dpctl/show 2>/dev/null | head -20

kill "$spid"
wait "$spid"
check test $? = 0
spid=
[ "$_failed" = 0 ] || tail -n 30 "$TMP/ovs-vswitchd.log" "$TMP/switchd.log" >&2

# Stopped, no daemon is left: neither pid exists (not even a zombie) and no
# process names the private directory.
ovs_private_stop "$BR"
for p in $ovs_pids; do
	check test ! -e "/proc/$p"
done
left=$(pgrep -af -- "$TMP/")
if [ -n "$left" ]; then fail "left running: $left"; else ok "no process names $TMP"; fi
finish
