#!/bin/bash
# SPDX-License-Identifier: MIT
# test_steer_persist.sh - steering configured with vtapctl outlives vtapctl:
# it reads back with `rss show`, and a new reader that opens the tap's
# queues afterwards (as a VMM would, without libvtap) is steered by it.
# Exact 5-tuple rules keep their place in the priority order: a masked rule
# of a lower prio wins over a matching exact rule, and loses to one of a
# higher prio (`flow show` lists them in that order, and real traffic
# follows it). The pins go away with `vtapctl dev del`.
. "$VTAP_SRCDIR/tests/lib.sh"
require_root
need python3 python3

T=$(uname_ sp)
NS=$(uname_ spn)
cleanup_add "ip netns del $NS"
cleanup_add "ip link del $T"
cleanup_add "$VTAPCTL dev del $T"

check ip tuntap add dev "$T" mode tap multi_queue

# Configure while nobody has the tap open; queues validated against 4.
check "$VTAPCTL" rss set dev "$T" types ipv4,tcpv4,udpv4 table 3,3 unclassified 3 queues 4
check_exit 1 "$VTAPCTL" rss set dev "$T" table 0,4
err=$("$VTAPCTL" rss set dev "$T" table 0,4 2>&1)
case "$err" in
*"names queue 4"*"4 queues"*) ok "error names the queue: $err" ;;
*) fail "unhelpful error: $err" ;;
esac
id=$("$VTAPCTL" flow add dev "$T" proto udp dport 7777 queue 1)
check test -n "$id"
# 10.77.0.1:41000 > :7778: exact prio 20 -> 2 loses to masked prio 10 -> 0;
# 10.77.0.1:41001 > :7779: exact prio 10 -> 2 wins over masked prio 20 -> 0.
ex1=$("$VTAPCTL" flow add dev "$T" proto udp src 10.77.0.1 dst 10.77.0.2 sport 41000 dport 7778 queue 2 prio 20)
ma1=$("$VTAPCTL" flow add dev "$T" proto udp dport 7778 queue 0 prio 10)
ma2=$("$VTAPCTL" flow add dev "$T" proto udp dport 7779 queue 0 prio 20)
ex2=$("$VTAPCTL" flow add dev "$T" proto udp src 10.77.0.1 dst 10.77.0.2 sport 41001 dport 7779 queue 2 prio 10)
check test -n "$ex1" -a -n "$ma1" -a -n "$ma2" -a -n "$ex2"
rules=$("$VTAPCTL" -j flow show dev "$T")
check python3 -c '
import json, sys
d = json.loads(sys.argv[1])
want = [int(x) for x in sys.argv[2:]]
assert [r["id"] for r in d] == want, (d, want)  # the order they are tried
kind = {r["id"]: (r["prio"], r["exact"]) for r in d}
assert kind[want[2]] == (10, True) and kind[want[3]] == (20, True), d
assert kind[want[1]] == (10, False) and kind[want[4]] == (20, False), d
' "$rules" "$id" "$ma1" "$ex2" "$ex1" "$ma2"
# Usage errors of flow add: exit 2, one line saying why.
err=$("$VTAPCTL" flow add dev "$T" src 10.0.0.1 dst fe80::1 queue 1 2>&1); rc=$?
check test "$rc" = 2
check grep -q "both be IPv4 or both IPv6" <<<"$err"
for bad in "queue 256" "queue -1" "src 10.0.0.1/33 queue 1" "dst ::1/129 queue 1" \
	"sport 65536 queue 1" "prio 65536 queue 1" "proto icmp queue 1" \
	"proto tcp" "queue" "queue 1 bogus 2"; do
	# shellcheck disable=SC2086
	check_exit 2 "$VTAPCTL" flow add dev "$T" $bad
done
PT=$(pins_of "$T")
check test -e "$PT/cfg"

# Read back by a new vtapctl process.
show=$("$VTAPCTL" -j rss show dev "$T")
check python3 -c '
import json, sys
d = json.loads(sys.argv[1])[0]
assert d["types"] == ["ipv4", "tcpv4", "udpv4"], d
assert d["table"] == [3, 3], d
assert d["unclassified"] == 3 and d["queues"] == 4, d
' "$show"
check "$VTAPCTL" flow show dev "$T"
steps=$("$VTAPCTL" -j steer show dev "$T")
check python3 -c '
import json, sys
d = json.loads(sys.argv[1])[0]
on = {s["step"]: s["on"] for s in d["steps"]}
assert on["rss"] and on["rules"] and not on["ext"], on
' "$steps"

# A new reader: open 4 queues, move the tap into a namespace, send there.
check ip netns add "$NS"
python3 - "$T" "$NS" <<'PY'
import fcntl, os, select, socket, struct, subprocess, sys, time
name, ns = sys.argv[1], sys.argv[2]
TUNSETIFF = 0x400454ca
IFF_TAP, IFF_NO_PI, IFF_MULTI_QUEUE = 0x2, 0x1000, 0x100
fds = []
for _ in range(4):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(),
                IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE))
    fds.append(fd)
def sh(cmd):
    subprocess.run(cmd, shell=True, check=True)
sh(f"ip link set {name} netns {ns}")
sh(f"ip -n {ns} addr add 10.77.0.1/24 dev {name}")
sh(f"ip -n {ns} link set {name} up")
sh(f"ip -n {ns} neigh add 10.77.0.2 lladdr 02:00:00:00:00:02 dev {name}")
send = ("import socket\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "for p in range(40):\n"
        "    s.sendto(b'x', ('10.77.0.2', 20000 + p))\n"
        "    s.sendto(b'y', ('10.77.0.2', 7777))\n"
        "t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "t.bind(('10.77.0.1', 41000))\n"
        "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "u.bind(('10.77.0.1', 41001))\n"
        "for p in range(10):\n"
        "    t.sendto(b'z', ('10.77.0.2', 7778))\n"
        "    u.sendto(b'z', ('10.77.0.2', 7779))\n")
sh(f"ip netns exec {ns} python3 -c \"{send}\"")
counts = {q: {"rss": 0, "rule": 0, "7778": 0, "7779": 0} for q in range(4)}
end = time.time() + 1.0
while time.time() < end:
    r, _, _ = select.select(fds, [], [], 0.2)
    for fd in r:
        q = fds.index(fd)
        try:
            f = os.read(fd, 65536)
        except BlockingIOError:
            continue
        if len(f) < 42 or f[12:14] != b"\x08\x00" or f[23] != 17:
            continue
        dport = struct.unpack("!H", f[36:38])[0]
        if dport in (7778, 7779):
            counts[q][str(dport)] += 1
        else:
            counts[q]["rule" if dport == 7777 else "rss"] += 1
print("per queue:", counts)
assert counts[3]["rss"] == 40, counts      # the table sends all to 3
assert counts[1]["rule"] == 40, counts     # the flow rule wins over RSS
assert counts[0]["7778"] == 10, counts     # masked prio 10 over exact 20
assert counts[2]["7779"] == 10, counts     # exact prio 10 over masked 20
assert sum(sum(c.values()) for c in counts.values()) == 100, counts
PY
[ $? = 0 ] && ok "a new reader is steered by the pinned configuration" ||
	fail "steering of a new reader"

# `vtapctl dev del` removes the tap and its pins.
check ip -n "$NS" link set "$T" netns 1
check "$VTAPCTL" dev del "$T"
check test ! -e "$PT"

# The tap's owner updates RSS through the pins without privileges.
if command -v setpriv >/dev/null; then
	U=$(uname_ spu)
	cleanup_add "ip link del $U"
	cleanup_add "$VTAPCTL dev del $U"
	check ip tuntap add dev "$U" mode tap multi_queue user 65534
	# Before root made the pins, the owner cannot: one line, one hint.
	err=$(setpriv --reuid 65534 --regid 65534 --clear-groups \
		"$VTAPCTL" rss set dev "$U" table equal 4 queues 4 2>&1)
	check test "$(grep -o '(needs' <<<"$err" | wc -l)" = 1
	check test "$(wc -l <<<"$err")" = 1
	check "$VTAPCTL" rss set dev "$U" table equal 4 queues 4
	PU=$(pins_of "$U")
	# The owner gets the maps it may change, nothing else.
	check test "$(stat -c %u "$PU/cfg")" = 65534
	check test "$(stat -c %u "$PU/prog")" = 0
	check test "$(stat -c %u "$PU/jmp")" = 0
	check test "$(stat -c %a "$PU")" = 711
	check setpriv --reuid 65534 --regid 65534 --clear-groups \
		"$VTAPCTL" rss set dev "$U" table 1,0
	got=$("$VTAPCTL" -j rss show dev "$U")
	check python3 -c 'import json,sys; assert json.loads(sys.argv[1])[0]["table"] == [1, 0]' "$got"
	check_exit 1 setpriv --reuid 65533 --regid 65533 --clear-groups \
		"$VTAPCTL" rss set dev "$U" table 0,1
	check "$VTAPCTL" dev del "$U"
	check test ! -e "$PU"
fi

# A tap deleted another way (ip link del, its namespace deleted) leaves its
# pins; a new tap of the same name must not inherit them (they describe
# another device: here a TUN with 4 queues, the new one a TAP with 2): the
# new tap has another ifindex, so other pins, and the old ones go at the
# next vtapctl call that works in the namespace.
S=$(uname_ sps)
cleanup_add "ip link del $S"
cleanup_add "$VTAPCTL dev del $S"
check "$VTAPCTL" dev add "$S" tun queues 4
check "$VTAPCTL" rss set dev "$S" table equal 4
PS_OLD=$(pins_of "$S")
check ip link del "$S"
check test -e "$PS_OLD/cfg"
check "$VTAPCTL" dev add "$S" queues 2
check test ! -e "$PS_OLD"
check_exit 1 "$VTAPCTL" rss show dev "$S"
check "$VTAPCTL" rss set dev "$S" table equal 2
got=$("$VTAPCTL" -j rss show dev "$S")
check python3 -c 'import json,sys; assert json.loads(sys.argv[1])[0]["queues"] == 2' "$got"
# Weights: shares of the 128 entries in proportion; all zero is an error.
check "$VTAPCTL" rss set dev "$S" table weight 1,3
got=$("$VTAPCTL" -j rss show dev "$S")
check python3 -c 'import json,sys; t = json.loads(sys.argv[1])[0]["table"]; assert (t.count(0), t.count(1)) == (32, 96), t' "$got"
check "$VTAPCTL" rss set dev "$S" table weight 0,1
got=$("$VTAPCTL" -j rss show dev "$S")
check python3 -c 'import json,sys; assert set(json.loads(sys.argv[1])[0]["table"]) == {1}' "$got"
check_exit 1 "$VTAPCTL" rss set dev "$S" table weight 0,0
check_exit 1 "$VTAPCTL" rss set dev "$S" table weight 1,1,1
# bpffs not mounted in vtapctl's mount namespace (`ip netns exec` gives a
# fresh /sys): vtapctl uses pid 1's, where the state outlives it, and
# mounts nothing. In a private mount namespace, so the host is untouched.
if command -v unshare >/dev/null; then
	out=$(unshare -m --propagation private bash -c '
		umount /sys/fs/bpf 2>/dev/null
		grep -q " /sys/fs/bpf bpf " /proc/mounts && exit 3
		"$1" rss set dev "$2" table equal 2 || exit 4
		grep -q " /sys/fs/bpf bpf " /proc/mounts && exit 5
		"$1" -j rss show dev "$2"' _ "$VTAPCTL" "$S"); rc=$?
	check test "$rc" = 0
	check python3 -c 'import json,sys; assert json.loads(sys.argv[1])[0]["equal"] == 2' "$out"
	# ... and the host sees what was set there.
	out=$("$VTAPCTL" -j rss show dev "$S")
	check python3 -c 'import json,sys; assert json.loads(sys.argv[1])[0]["equal"] == 2' "$out"
	# When neither this mount namespace nor pid 1's has a bpffs, new
	# state would vanish with the namespace: refused, saying why.
	err=$(unshare -p -f -m --propagation private --mount-proc bash -c '
		umount /sys/fs/bpf 2>/dev/null
		unshare -m "$1" rss set dev "$2" table equal 2 2>&1; echo "rc=$?"' \
		_ "$VTAPCTL" "$S")
	check grep -q "rc=1" <<<"$err"
	check grep -q "no bpffs outlives this command" <<<"$err"
fi

# A TUN (L3) tap prepared with vtapctl: the steering program is in L3 mode
# (no Ethernet header), and a VMM-style reader of its 4 queues gets every
# UDP flow on the queue `vtapctl hash` predicts for the same packets.
N=$(uname_ spt)
NS2=$(uname_ spm)
cleanup_add "ip netns del $NS2"
cleanup_add "ip link del $N"
cleanup_add "$VTAPCTL dev del $N"
check "$VTAPCTL" dev add "$N" tun queues 4
check "$VTAPCTL" rss set dev "$N" table equal 4
check ip netns add "$NS2"
cap=$(mktemp); qs=$(mktemp)
cleanup_add rm -f "$cap" "$qs"
python3 - "$N" "$NS2" "$cap" "$qs" <<'PY'
import fcntl, os, struct, subprocess, sys, time
name, ns, cap, qs = sys.argv[1:5]
IFF_TUN, IFF_NO_PI, IFF_MULTI_QUEUE, IFF_VNET_HDR = 0x1, 0x1000, 0x100, 0x4000
fds = []
for _ in range(4):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH22x", name.encode(),
                IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_VNET_HDR))
    fds.append(fd)
def sh(*a): subprocess.run(a, check=True)
sh("ip", "link", "set", name, "netns", ns)
sh("ip", "-n", ns, "addr", "add", "10.77.0.1/24", "dev", name)
sh("ip", "-n", ns, "link", "set", name, "up")
send = ("import socket\n"
        "for p in range(64):\n"
        "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "    s.bind(('10.77.0.1', 20000 + p))\n"
        "    s.sendto(b'x' * 10, ('10.77.0.2', 30000 + p))\n")
sh("ip", "netns", "exec", ns, "python3", "-c", send)
time.sleep(0.3)
got = []
for q, fd in enumerate(fds):
    while True:
        try:
            b = os.read(fd, 65536)
        except BlockingIOError:
            break
        ip = b[12:]  # vtapctl dev add's 12-byte vnet header
        if ip[0] >> 4 == 4 and ip[9] == 17 and ip[16:20] == bytes([10, 77, 0, 2]):
            got.append((struct.unpack("!H", ip[20:22])[0], q, ip))
got.sort()
with open(cap, "wb") as f:  # DLT_RAW (101): bare IP, as TUN carries it
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
    for _, _, ip in got:
        f.write(struct.pack("<IIII", 0, 0, len(ip), len(ip)) + ip)
with open(qs, "w") as f:
    f.writelines("%d\n" % q for _, q, _ in got)
print("tun: %d flows on queues %s" % (len(got), sorted({q for _, q, _ in got})))
sys.exit(0 if len(got) == 64 and len({q for _, q, _ in got}) == 4 else 1)
PY
check test $? = 0
pred=$("$VTAPCTL" hash table equal 4 "$cap" | awk '{print $4}')
check test "$(paste -d' ' "$qs" - <<<"$pred" | awk '$1 != $2' | wc -l)" = 0
check test "$(wc -l <"$qs")" = 64

# The example extension: set, shown, refused when wrong, deleted.
ext=$VTAP_BUILDDIR/src/bpf/ext_icmp.bpf.o
check "$VTAPCTL" steer ext set dev "$S" obj "$ext"
got=$("$VTAPCTL" -j steer show dev "$S")
check python3 -c '
import json, sys
d = json.loads(sys.argv[1])[0]
on = {s["step"]: s["on"] for s in d["steps"]}
assert on["ext"] and d["ext"] == "vtap_ext_icmp", d
' "$got"
for bad in "obj $ext prog nosuch" "obj $VTAP_SRCDIR/README.md" \
	"obj $VTAP_BUILDDIR/src/bpf/steer.bpf.o" "obj /nonexistent.o"; do
	# shellcheck disable=SC2086
	err=$("$VTAPCTL" steer ext set dev "$S" $bad 2>&1 >/dev/null); rc=$?
	check test "$rc" = 1
	check test "$(wc -l <<<"$err")" = 1
	case "$err" in
	*"no steering state"*) fail "misleading hint: $err" ;;
	esac
done
check grep -q "not an extension" <<<"$("$VTAPCTL" steer ext set dev "$S" obj "$VTAP_BUILDDIR/src/bpf/steer.bpf.o" 2>&1)"
check "$VTAPCTL" steer ext del dev "$S"
got=$("$VTAPCTL" -j steer show dev "$S")
check python3 -c 'import json,sys; d = json.loads(sys.argv[1])[0]; assert d["ext"] is None, d' "$got"
PS=$(pins_of "$S")
check ip link del "$S"
check test -e "$PS"
# The tap is gone: dev del says so, and removes what it left.
check_exit 1 "$VTAPCTL" dev del "$S"
check test ! -e "$PS"
finish
