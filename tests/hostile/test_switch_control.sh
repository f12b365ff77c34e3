#!/bin/bash
# SPDX-License-Identifier: MIT
# test_switch_control.sh - hostile control-socket clients and a hostile
# control path against vtap-switchd (issue 11, items 8 and 9, and the
# suspected MAC dump cap and missing per-port MAC limit):
# - a control path naming a regular file, a link or a live daemon's socket
#   is refused and left as it was; a dead daemon's socket is replaced; at
#   exit only the daemon's own socket is removed;
# - a client sending one byte every 1.5 s, and 40 idle clients, do not keep
#   `vtapctl switch show` from being answered (within a generous 10 s), and
#   are dropped after their deadline;
# - a guest sending from thousands of source addresses: the whole MAC table
#   comes back (more than the old silent cap of 4096 entries), and a port
#   with mac_limit=50 learns 50 and counts the rest as refused.
. "$VTAP_SRCDIR/tests/lib.sh"
require_root
need python3 python3
need_built "$VTAP_SWITCHD"

TMP=$(mktemp -d)
SOCK=$TMP/ctl.sock
cleanup_add rm -rf "$TMP"
NA=$(uname_ ca); NB=$(uname_ cb); PA=$(uname_ qa); PB=$(uname_ qb)
for ns in $NA $NB; do
	ip netns add "$ns" || fail "ip netns add $ns"
	cleanup_add ip netns del "$ns"
done
cleanup_add ip link del "$PA"
cleanup_add ip link del "$PB"

wait_sock() { for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.1; done; return 1; }
# Until a daemon answers there (a stale socket exists before it does).
wait_answer() {
	for _ in $(seq 100); do
		timeout 5 "$VTAPCTL" switch show control "$1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# Item 9: what is at the control path is not the daemon's to delete.
echo "precious" >"$TMP/file"
ln -s "$TMP/file" "$TMP/link"
mkdir "$TMP/dir"
for p in "$TMP/file" "$TMP/link" "$TMP/dir"; do
	timeout 10 "$VTAP_SWITCHD" -q --control "$p" 2>"$TMP/err"
	rc=$?
	check test "$rc" != 0 -a "$rc" != 124
	check grep -q "control socket" "$TMP/err"
	check test -e "$p"
done
check test "$(cat "$TMP/file")" = precious
check test -L "$TMP/link"
# A dead daemon's socket is replaced.
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$TMP/stale.sock"
check test -S "$TMP/stale.sock"
"$VTAP_SWITCHD" -q --control "$TMP/stale.sock" &
spid=$!
cleanup_add "kill $spid"
check wait_answer "$TMP/stale.sock"
check timeout 10 "$VTAPCTL" switch show control "$TMP/stale.sock"
# A live one is not: the second daemon exits, the first keeps answering.
timeout 10 "$VTAP_SWITCHD" -q --control "$TMP/stale.sock" 2>"$TMP/err"
check test $? = 1
check grep -q "another vtap-switchd" "$TMP/err"
check timeout 10 "$VTAPCTL" switch show control "$TMP/stale.sock"
# At exit the daemon removes its own socket, and only that: a file put in
# its place while it runs stays.
mv "$TMP/stale.sock" "$TMP/moved.sock"
echo "mine" >"$TMP/stale.sock"
kill "$spid"
wait "$spid"
check test "$(cat "$TMP/stale.sock")" = mine
check test -S "$TMP/moved.sock"

# The switch for the rest: port A unlimited, port B at most 50 addresses.
"$VTAP_SWITCHD" -q --control "$SOCK" --port "$PA,queues=2,netns=$NA" \
	--port "$PB,queues=2,netns=$NB,mac_limit=50" 2>"$TMP/sw.err" &
swpid=$!
cleanup_add "kill $swpid"
check wait_sock "$SOCK"
ip -n "$NA" link set "$PA" up
ip -n "$NB" link set "$PB" up

# Item 8: one slow client, then 40 idle ones, while `switch show` runs.
python3 - "$SOCK" >"$TMP/slow.out" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
t0 = time.time()
try:
    for b in b"show\n":
        s.send(bytes([b]))
        time.sleep(1.5)
    data = s.recv(65536)
    print("answered" if data else "closed", round(time.time() - t0, 1))
except OSError as e:
    print("closed", e, round(time.time() - t0, 1))
EOF
slowpid=$!
cleanup_add "kill $slowpid"
python3 - "$SOCK" <<'EOF' &
import socket, sys, time
conns = []
for i in range(40):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    conns.append(s)
time.sleep(12)
EOF
idlepid=$!
cleanup_add "kill $idlepid"
sleep 0.5
for i in 1 2 3 4; do
	check timeout 10 "$VTAPCTL" switch show control "$SOCK"
	sleep 1
done
wait "$slowpid"
# The slow client was cut off at its deadline, not served after 7.5 s.
check grep -q "^closed" "$TMP/slow.out"
kill "$idlepid" 2>/dev/null
check timeout 10 "$VTAPCTL" switch show control "$SOCK"

# A guest with many source addresses; and one over its port's limit.
send_macs() { # NS IFNAME COUNT FIRST-BYTE
	ip netns exec "$1" python3 - "$2" "$3" "$4" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
n, first = int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    src = bytes([first, 0x10, 0, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff])
    s.send(b"\xff" * 6 + src + b"\x88\xb5" + b"\0" * 46)
    if i % 200 == 199:
        time.sleep(0.05)  # the tap's queue is 1000 frames
EOF
}
send_macs "$NA" "$PA" 6000 2
send_macs "$NB" "$PB" 200 6
sleep 1
timeout 10 "$VTAPCTL" -j switch show control "$SOCK" >"$TMP/show.json"
check python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d = d[0] if isinstance(d, list) else d  # vtapctl prints a list of objects
ports = {p.get("ifname", p.get("name")): p for p in d["ports"]}
a, b = ports[sys.argv[2]], ports[sys.argv[3]]
print("mac table", len(d["mac"]), "A", a["mac_entries"], "B", b["mac_entries"], b["mac_refused"])
assert len(d["mac"]) > 4096, len(d["mac"])
assert a["mac_limit"] == 0 and a["mac_entries"] > 4096, a
assert b["mac_limit"] == 50 and b["mac_entries"] == 50, b
assert b["mac_refused"] >= 150, b
on_b = [e for e in d["mac"] if e["port"] == sys.argv[3]]
assert len(on_b) == 50, len(on_b)
' "$TMP/show.json" "$PA" "$PB"
check "$VTAPCTL" switch show control "$SOCK"
"$VTAPCTL" switch show control "$SOCK" | grep "mac:"
check kill -0 "$swpid"
finish
