#!/bin/bash
# SPDX-License-Identifier: MIT
# test_steer_persist.sh - steering configured with vtapctl outlives vtapctl:
# it reads back with `rss show`, and a new reader that opens the tap's
# queues afterwards (as a VMM would, without libvtap) is steered by it.
# The pins go away with `vtapctl dev del` (or vtap_steer__unpin()).
. "$VTAP_SRCDIR/tests/lib.sh"
require_root
command -v python3 >/dev/null || skip "needs python3 for the queue reader"

T=$(uname_ sp)
NS=$(uname_ spn)
cleanup_add "ip netns del $NS"
cleanup_add "ip link del $T"
cleanup_add "rm -rf /sys/fs/bpf/vtap/$T"

check ip tuntap add dev "$T" mode tap multi_queue

# Configure while nobody has the tap open; queues validated against 4.
check "$VTAPCTL" rss set dev "$T" types ipv4,tcpv4,udpv4 table 3 unclassified 3 queues 4
check_exit 1 "$VTAPCTL" rss set dev "$T" table 0,4
err=$("$VTAPCTL" rss set dev "$T" table 0,4 2>&1)
case "$err" in
*"names queue 4"*"4 queues"*) ok "error names the queue: $err" ;;
*) fail "unhelpful error: $err" ;;
esac
id=$("$VTAPCTL" flow add dev "$T" proto udp dport 7777 queue 1)
check test -n "$id"
check test -e "/sys/fs/bpf/vtap/$T/cfg"

# Read back by a new vtapctl process.
show=$("$VTAPCTL" -j rss show dev "$T")
check python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["types"] == "ipv4,tcpv4,udpv4", d
assert d["table"] == [3], d
assert d["unclassified"] == 3 and d["queues"] == 4, d
' "$show"
check "$VTAPCTL" flow show dev "$T"
steps=$("$VTAPCTL" -j steer show dev "$T")
check python3 -c '
import json, sys
d = json.loads(sys.argv[1])
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
        "    s.sendto(b'y', ('10.77.0.2', 7777))\n")
sh(f"ip netns exec {ns} python3 -c \"{send}\"")
counts = {q: {"rss": 0, "rule": 0} for q in range(4)}
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
        counts[q]["rule" if dport == 7777 else "rss"] += 1
print("per queue:", counts)
assert counts[3]["rss"] == 40, counts      # the table sends all to 3
assert counts[1]["rule"] == 40, counts     # the flow rule wins over RSS
assert sum(c["rss"] + c["rule"] for c in counts.values()) == 80, counts
PY
[ $? = 0 ] && ok "a new reader is steered by the pinned configuration" ||
	fail "steering of a new reader"

# `vtapctl dev del` removes the tap and its pins.
check ip -n "$NS" link set "$T" netns 1
check "$VTAPCTL" dev del "$T"
check test ! -e "/sys/fs/bpf/vtap/$T"

# The tap's owner updates RSS through the pins without privileges.
if command -v setpriv >/dev/null; then
	U=$(uname_ spu)
	cleanup_add "rm -rf /sys/fs/bpf/vtap/$U"
	cleanup_add "ip link del $U"
	check ip tuntap add dev "$U" mode tap multi_queue user 65534
	# Before root made the pins, the owner cannot: one line, one hint.
	err=$(setpriv --reuid 65534 --regid 65534 --clear-groups \
		"$VTAPCTL" rss set dev "$U" table equal 4 queues 4 2>&1)
	check test "$(grep -o '(needs' <<<"$err" | wc -l)" = 1
	check test "$(wc -l <<<"$err")" = 1
	check "$VTAPCTL" rss set dev "$U" table equal 4 queues 4
	check setpriv --reuid 65534 --regid 65534 --clear-groups \
		"$VTAPCTL" rss set dev "$U" table 1,0
	got=$("$VTAPCTL" -j rss show dev "$U")
	check python3 -c 'import json,sys; assert json.loads(sys.argv[1])["table"] == [1, 0]' "$got"
	check_exit 1 setpriv --reuid 65533 --regid 65533 --clear-groups \
		"$VTAPCTL" rss set dev "$U" table 0,1
	check "$VTAPCTL" dev del "$U"
	check test ! -e "/sys/fs/bpf/vtap/$U"
fi

# A tap deleted another way (ip link del, its namespace deleted) leaves its
# pins; a new tap of the same name must not inherit them (they describe
# another device: here a TUN with 4 queues, the new one a TAP with 2), and
# `vtapctl dev del` still removes them.
S=$(uname_ sps)
cleanup_add "rm -rf /sys/fs/bpf/vtap/$S"
cleanup_add "ip link del $S"
check "$VTAPCTL" dev add "$S" tun queues 4
check "$VTAPCTL" rss set dev "$S" table equal 4
check ip link del "$S"
check "$VTAPCTL" dev add "$S" queues 2
check_exit 1 "$VTAPCTL" rss show dev "$S"
check "$VTAPCTL" rss set dev "$S" table equal 2
got=$("$VTAPCTL" -j rss show dev "$S")
check python3 -c 'import json,sys; assert json.loads(sys.argv[1])["queues"] == 2' "$got"
# Weights: shares of the 128 entries in proportion; all zero is an error.
check "$VTAPCTL" rss set dev "$S" table weight 1,3
got=$("$VTAPCTL" -j rss show dev "$S")
check python3 -c 'import json,sys; t = json.loads(sys.argv[1])["table"]; assert (t.count(0), t.count(1)) == (32, 96), t' "$got"
check "$VTAPCTL" rss set dev "$S" table weight 0,1
got=$("$VTAPCTL" -j rss show dev "$S")
check python3 -c 'import json,sys; assert set(json.loads(sys.argv[1])["table"]) == {1}' "$got"
check_exit 1 "$VTAPCTL" rss set dev "$S" table weight 0,0
check_exit 1 "$VTAPCTL" rss set dev "$S" table weight 1,1,1
# bpffs not mounted (a fresh machine; `ip netns exec` gives a fresh /sys):
# vtapctl mounts it at /sys/fs/bpf, as bpftool does. In a private mount
# namespace, so the host's pins are untouched.
if command -v unshare >/dev/null; then
	out=$(unshare -m --propagation private bash -c '
		umount /sys/fs/bpf 2>/dev/null
		grep -q " /sys/fs/bpf bpf " /proc/mounts && exit 3
		"$1" rss set dev "$2" table equal 2 || exit 4
		grep -q " /sys/fs/bpf bpf " /proc/mounts || exit 5
		"$1" -j rss show dev "$2"' _ "$VTAPCTL" "$S"); rc=$?
	check test "$rc" = 0
	check python3 -c 'import json,sys; assert json.loads(sys.argv[1])["equal"] == 2' "$out"
fi

# The example extension: set, shown, refused when wrong, deleted.
ext=$VTAP_BUILDDIR/src/bpf/ext_icmp.bpf.o
check "$VTAPCTL" steer ext set dev "$S" obj "$ext"
got=$("$VTAPCTL" -j steer show dev "$S")
check python3 -c '
import json, sys
d = json.loads(sys.argv[1])
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
check python3 -c 'import json,sys; d = json.loads(sys.argv[1]); assert d["ext"] is None, d' "$got"
check ip link del "$S"
check test -e "/sys/fs/bpf/vtap/$S"
check "$VTAPCTL" dev del "$S"
check test ! -e "/sys/fs/bpf/vtap/$S"
check_exit 1 "$VTAPCTL" dev del "$S"
finish
