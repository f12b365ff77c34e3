#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_switch.sh - vtap-switchd in network namespaces: two then three
# ports (the third with one queue, so queues of different counts share
# the workers), ping and TCP between every pair, MAC learning seen in
# per-port counters, ports added and removed at run time, a tap deleted
# under the daemon, the ports' libvtap counters (vtapctl stats), hashes
# reported by libvtap agreeing with the steering, GSO frames crossing
# whole, a TCP transfer compared byte for byte (sha256), VLAN access and
# trunk ports, an existing persistent tap as a port (left in place), and
# bad flags and config files (one line, exit 2).
. "$VTAP_SRCDIR/tests/lib.sh"
require_root
need python3 python3
need_built "$VTAP_SWITCHD"

N1=$(uname_ s1); N2=$(uname_ s2); N3=$(uname_ s3)
P1=$(uname_ p1); P2=$(uname_ p2); P3=$(uname_ p3)
TMP=$(mktemp -d)
SOCK=$TMP/ctl.sock
cleanup_add rm -rf "$TMP"
netns_add "$N1" "$N2" "$N3"
cleanup_add ip link del "$P1"
cleanup_add ip link del "$P2"
cleanup_add ip link del "$P3"

# Bad flags and config: exit 2 and one line on stderr naming the culprit,
# before anything is created.
bad() { # WANT-IN-MESSAGE ARGS...
	local want=$1 rc
	shift
	timeout 10 "$VTAP_SWITCHD" --control "$TMP/never.sock" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	check test "$rc" = 2
	check test "$(wc -l <"$TMP/err")" = 1
	check grep -qF -- "$want" "$TMP/err"
	check test ! -s "$TMP/out"
	check test ! -e "$TMP/never.sock"
}
bad "unknown option '--bogus'" --bogus
bad "unknown option '-x'" -x
bad "option '--pin' takes no value" --pin=1
bad "option '--workers' needs a value" --workers
bad "workers must be 1..64, not '-1'" --workers -1
bad "workers must be 1..64, not '99999999999999999999'" --workers 99999999999999999999
bad "aging must be" --aging 0
bad "--io-uring: io_uring must be auto, yes or no, not 'maybe'" --io-uring maybe
bad "queues must be 1..256, not '-1'" --port "$P1,queues=-1"
bad "empty port spec" --port ""
bad "unexpected argument 'extra'" extra
bad "--time must be 1..3600, not '-1'" --demo --time -1
bad "--queues must be 2..64, not '1'" --demo --queues 1
bad "--conns must be 1..64, not ''" --demo --conns ""
# A path longer than a unix socket address takes is refused, not cut.
bad "--control: control path must be 1..107 bytes" --control "$TMP/$(printf '%0120d' 0)"
bad "--control: control path must be 1..107 bytes" --control ""
# A flag's value is one value: a newline in it adds no config line.
bad "--workers: workers must be 1..64" --workers "$(printf '2\nport=%s' "$P1")"
printf '[port %s]\nqueues = 2\nbogus = 1\n' "$P1" >"$TMP/bad.conf"
bad "config $TMP/bad.conf: line 3: unknown port option 'bogus'" -c "$TMP/bad.conf"
bad "config $TMP/none.conf: No such file" -c "$TMP/none.conf"
printf 'cpus = 4000\n' >"$TMP/cpus.conf"
bad "cpus: CPU 4000 is not one this process may run on" -c "$TMP/cpus.conf"
check_exit 1 ip link show "$P1"

# --pin: every worker on one CPU, also with more workers than CPUs.
"$VTAP_SWITCHD" -q --pin --workers 3 --control "$TMP/pin.sock" &
pin=$!
for i in $(seq 600); do [ -S "$TMP/pin.sock" ] && break; sleep 0.1; done
pinned=$(for t in /proc/$pin/task/*; do
	[ "${t##*/}" = "$pin" ] || sed -n 's/^Cpus_allowed_list:[[:space:]]*\([0-9]*\)$/\1/p' "$t/status"
done | wc -l)
kill $pin; wait $pin
check test "$pinned" = 3

# The file's settings, with flags overriding it (workers, the port's queues).
# Aging is long enough that no entry ages out while the test runs, even
# in a slow (TCG) guest: the MAC learning checks below need them.
printf 'workers = 1\naging = 600\n[port %s]\nqueues = 1\nnetns = %s\n' \
	"$P1" "$N1" >"$TMP/sw.conf"
# No coalescing on port 1: the GSO frames written to it are compared one
# for one with those read from port 2 below (a slow machine's TCP sends
# small GSO frames that coalescing would merge).
"$VTAP_SWITCHD" -c "$TMP/sw.conf" --port "$P1,queues=2,netns=$N1,gro=no" --port "$P2,queues=2,netns=$N2" \
	--workers 2 --control "$SOCK" 2>"$TMP/log" &
SW=$!
cleanup_add "kill $SW; wait $SW"
for i in $(seq 600); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { cat "$TMP/log" >&2; fail "daemon did not start"; finish; }
check test "$(stat -c %a "$SOCK")" = 600

addr() { # NS PORT N
	ip -n "$1" addr add "10.197.0.$3/24" dev "$2" && ip -n "$1" link set "$2" up
}
addr "$N1" "$P1" 1; addr "$N2" "$P2" 2

ping_ok() { ip netns exec "$1" ping -c 3 -i 0.2 -W 2 "10.197.0.$2" >/dev/null; }

check ping_ok "$N1" 2
check ping_ok "$N2" 1
check tcp_ok "$N1" 10.197.0.2 2000000 "$N2"

# The ports' JSON: FIELD of port PORT (summed over queues for queue fields).
show() { switch_show "$SOCK" "$@"; }
# Config file and flags merged: workers and queues from the flags, aging
# and the namespace from the file.
top() { "$VTAPCTL" -j switch show control "$SOCK" | python3 -c '
import json, sys; print(json.load(sys.stdin)[0][sys.argv[1]])' "$1"; }
check test "$(top workers)" = 2
check test "$(top aging_s)" = 600
check test "$(show "$P1" queues)" = 2
check test "$(show "$P1" netns)" = "$N1"
# Equal queue counts: each worker alone sends on the queues it reads.
check test "$(show "$P1" shared_queues)" = false
check test "$(show "$P1" hash_source)" = libvtap-steer
check test "$(show "$P1" hash_checked)" -gt 0
check test "$(show "$P1" hash_mismatch)" = 0
check test "$(show "$P2" hash_mismatch)" = 0
# The library's per-queue counters are the switch's: vtapctl stats agrees.
# The counters follow the tap into its namespace (state is keyed by
# namespace and ifindex): vtapctl finds them there, entered with `ip netns
# exec` (NS) or with -n (NS "-n:NS"); from the host, where the netdev is
# not, there is no such tap.
stats_rx() { # NS PORT -> rx_packets summed over queues, from vtapctl stats
	case $1 in
	-n:*) "$VTAPCTL" -n "${1#-n:}" -j stats dev "$2" ;;
	*) ip netns exec "$1" "$VTAPCTL" -j stats dev "$2" ;;
	esac | python3 -c '
import json, sys
d = json.load(sys.stdin)[0]
print(sum(q["rx_packets"] for q in d["stats"]))'
}
sw_rx=$(show "$P1" rx_packets); st_rx=$(stats_rx "$N1" "$P1")
echo "port 1 rx: switch $sw_rx, vtapctl stats $st_rx"
check test "$st_rx" -ge "$sw_rx"
check test "$sw_rx" -gt 0
check test "$(stats_rx "-n:$N1" "$P1")" -ge "$sw_rx"
check_exit 1 "$VTAPCTL" stats dev "$P1"

# Third port at run time, with one queue: now some frames leave by a
# queue another worker reads, so the ports' queues take their locks.
check "$VTAPCTL" switch port add "$P3" queues 1 netns "$N3" control "$SOCK"
check test "$(show "$P3" hash_source)" = libvtap-config
check test "$(show "$P1" shared_queues)" = true
addr "$N3" "$P3" 3
check_exit 1 "$VTAPCTL" switch port add "$P3" control "$SOCK"
for a in "$N1:1" "$N2:2" "$N3:3"; do
	for b in 1 2 3; do
		[ "${a#*:}" = "$b" ] || check ping_ok "${a%:*}" "$b"
	done
done
check tcp_ok "$N1" 10.197.0.3 1000000 "$N3"
check tcp_ok "$N3" 10.197.0.2 1000000 "$N2"
check tcp_ok "$N2" 10.197.0.1 1000000 "$N1"

# MAC learning: unicast 1 -> 2 must not reach port 3.
txof() { # PORT -> sum of tx_packets
	"$VTAPCTL" -j switch show control "$SOCK" | python3 -c '
import json, sys
d = json.load(sys.stdin)[0]
print(sum(q["tx_packets"] for p in d["ports"] if p["ifname"] == sys.argv[1] for q in p["queue_stats"]))' "$1"
}
macs=$("$VTAPCTL" -j switch show control "$SOCK" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[0]["mac"]))')
check test "$macs" -ge 3
before2=$(txof "$P2"); before3=$(txof "$P3")
ip netns exec "$N1" ping -c 100 -i 0.01 -W 1 10.197.0.2 >/dev/null
after2=$(txof "$P2"); after3=$(txof "$P3")
echo "port 2 tx +$((after2 - before2)), port 3 tx +$((after3 - before3))"
check test $((after2 - before2)) -ge 100
check test $((after3 - before3)) -le 2
check "$VTAPCTL" switch show control "$SOCK"

# Remove port 3 at run time: its tap goes, the others keep working.
check "$VTAPCTL" switch port del "$P3" control "$SOCK"
check_exit 1 "$VTAPCTL" switch port del "$P3" control "$SOCK"
check_exit 1 ip -n "$N3" link show "$P3"
check test "$(show "$P1" shared_queues)" = false
check ping_ok "$N1" 2

# A tap deleted under the daemon: reported, dropped, the daemon lives.
ip -n "$N2" link del "$P2"
sleep 0.5
check kill -0 $SW
check grep -q "port '$P2': tap disappeared" "$TMP/log"
check_exit 1 sh -c "'$VTAPCTL' switch show control '$SOCK' | grep -q 'port $P2'"
check "$VTAPCTL" switch port add "$P2" queues 2 netns "$N2" control "$SOCK"
addr "$N2" "$P2" 2
# The new tap has a new MAC address: forget the old one's neighbour entry.
ip -n "$N1" neigh flush all
check ping_ok "$N1" 2

# Data integrity of a larger transfer; its GSO frames cross whole and keep
# their queue index: the GSO frames read from queue q of port 2 are the
# GSO frames written to queue q of port 1 (equal queue counts).
perq() { # PORT FIELD -> per-queue values, space separated
	"$VTAPCTL" -j switch show control "$SOCK" | python3 -c '
import json, sys
d = json.load(sys.stdin)[0]
print(" ".join(str(q[sys.argv[2]]) for p in d["ports"] if p["ifname"] == sys.argv[1] for q in p["queue_stats"]))' "$1" "$2"
}
minus() { python3 -c 'import sys; a, b = sys.argv[1].split(), sys.argv[2].split(); print(" ".join(str(int(x) - int(y)) for x, y in zip(a, b)))' "$1" "$2"; }
gso_rx=$(perq "$P2" rx_gso); gso_tx=$(perq "$P1" tx_gso)
check tcp_ok "$N2" 10.197.0.1 50000000 "$N1"
gso_rx=$(minus "$(perq "$P2" rx_gso)" "$gso_rx"); gso_tx=$(minus "$(perq "$P1" tx_gso)" "$gso_tx")
echo "GSO frames per queue: read from port 2: $gso_rx; written to port 1: $gso_tx"
check test $(( $(echo $gso_rx | tr ' ' '+') )) -gt 0
check test "$gso_tx" = "$gso_rx"
check test "$(show "$P1" hash_mismatch)" = 0
check test "$(show "$P2" hash_mismatch)" = 0

# VLANs: access ports on 10 and 20, a trunk carrying both (no native);
# ports added at run time with their VLAN options, all in namespace 3.
PA=$(uname_ va); PB=$(uname_ vb); PC=$(uname_ vc)
cleanup_add ip -n "$N3" link del "$PA"
cleanup_add ip -n "$N3" link del "$PB"
cleanup_add ip -n "$N3" link del "$PC"
check "$VTAPCTL" switch port add "$PA" queues 1 netns "$N3" vlan 10 control "$SOCK"
check "$VTAPCTL" switch port add "$PB" queues 1 netns "$N3" trunk 10+20 control "$SOCK"
check "$VTAPCTL" switch port add "$PC" queues 1 netns "$N3" vlan 20 control "$SOCK"
check_exit 2 "$VTAPCTL" switch port add "$(uname_ vd)" queues 1 trunk control "$SOCK"
check_exit 2 "$VTAPCTL" switch port add "$(uname_ vd)" queues control "$SOCK"
check sh -c "'$VTAPCTL' switch port add '$(uname_ vd)' queues 2>&1 | grep -q \"'queues' needs a value\""
# A trunk list with commas, as in the usage: the same as with '+'.
VD=$(uname_ vd)
cleanup_add ip link del "$VD"
check "$VTAPCTL" switch port add "$VD" trunk 10,20-22 native 5 control "$SOCK"
check sh -c "'$VTAPCTL' switch show control '$SOCK' | grep -q '^port $VD: [0-9]* queues, trunk vlans 10,20-22, native 5'"
check "$VTAPCTL" switch port del "$VD" control "$SOCK"
check sh -c "'$VTAPCTL' switch show control '$SOCK' | grep -q '^port $PB: 1 queues, netns $N3, trunk vlans 10,20, no native'"
check sh -c "'$VTAPCTL' switch show control '$SOCK' | grep -q '^port $PA: 1 queues, netns $N3, access vlan 10'"
for p in "$PA" "$PB" "$PC"; do ip -n "$N3" link set "$p" up; done
# Broadcast frames (EtherType 0x88b5) from one port, tagged or not; which
# ports get them, and with which tag (None: untagged).
cat >"$TMP/vlan.py" <<'PY'
import socket, struct, sys, time
ports = {}
for n in "abc":
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((sys.argv["abc".index(n) + 1], 0))
    s.setsockopt(263, 8, 1)  # PACKET_AUXDATA: the tag the kernel took off
    s.setblocking(False)
    ports[n] = s
def recv(marker):
    time.sleep(0.3)
    res = {}
    for n, s in ports.items():
        try:
            while True:
                data, anc, _, addr = s.recvmsg(65536, 256)
                if marker not in data or addr[2] == socket.PACKET_OUTGOING:
                    continue
                vid = None
                for lvl, typ, d in anc:
                    st, _, _, _, _, tci, _ = struct.unpack("IIIHHHH", d[:20])
                    if lvl == 263 and typ == 8 and st & 0x10:
                        vid = tci & 0xfff
                if data[12:14] == b"\x81\x00":
                    vid = struct.unpack("!H", data[14:16])[0] & 0xfff
                res[n] = vid
        except BlockingIOError:
            pass
    return res
cases = [("b", 10, {"a": None}), ("b", 20, {"c": None}), ("b", 30, {}),
         ("b", 0, {}), ("a", 0, {"b": 10}), ("c", 0, {"b": 20}),
         ("a", 20, {})]
bad = 0
for i, (src, tag, want) in enumerate(cases):
    recv(b"-")  # drain
    m = b"VLANTEST-%d-" % i
    t = struct.pack("!HH", 0x8100, tag) if tag else b""
    ports[src].send(b"\xff" * 6 + b"\x02\0\0\0\x5a\x01" + t +
                    b"\x88\xb5" + m + bytes(40))
    got = recv(m)
    bad += got != want
    print("from %s tag %s: got %s, want %s" % (src, tag, got, want))
sys.exit(1 if bad else 0)
PY
check ip netns exec "$N3" python3 "$TMP/vlan.py" "$PA" "$PB" "$PC"
check test "$(show "$PB" vlan_drops)" -ge 2
for p in "$PA" "$PB" "$PC"; do check "$VTAPCTL" switch port del "$p" control "$SOCK"; done

# An existing persistent tap becomes a port and stays when it goes.
PP=$(uname_ pp)
cleanup_add "$VTAPCTL" dev del "$PP"
check "$VTAPCTL" dev add "$PP" queues 2
check "$VTAPCTL" switch port add "$PP" queues 2 control "$SOCK"
check test "$(show "$PP" persistent)" = true
check test "$(show "$P1" persistent)" = false
check "$VTAPCTL" switch port del "$PP" control "$SOCK"
check ip link show "$PP"
check "$VTAPCTL" switch port add "$PP" queues 2 control "$SOCK"

# Clean stop: SIGTERM, exit 0, socket and taps gone.
kill -TERM $SW
wait $SW
check test $? = 0
check test ! -e "$SOCK"
check_exit 1 ip -n "$N1" link show "$P1"
# ...but the persistent tap stays.
check ip link show "$PP"
finish
