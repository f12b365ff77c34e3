#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_steer_macvtap.sh - steering on a macvtap (and an ipvtap where the
# kernel has ipvlan) made with `ip link add`, through vtapctl: the tc
# ingress program sets the hash the kernel picks the queue with.
#
# Namespaces: LOW holds a veth end (the lower device), the macvtap on it
# (mode bridge) and nothing else; PEER the other veth end; NEIGH a
# bridge-mode macvlan on the same lower device. Frames reach the macvtap
# from the lower side (PEER: UDP and TCP flows, broadcast) and from the
# neighbour (UDP flows). N = 2 and 4 queues are opened on /dev/tapIFINDEX
# the way a VMM does (TUNSETIFF IFF_TAP|IFF_NO_PI|IFF_VNET_HDR|
# IFF_MULTI_QUEUE), `vtapctl rss set NAME types all table equal N queues N`
# and a flow rule (udp dport 7777 -> queue 1) configure the state, and
# every frame read is checked: the queue it came from must be the one the
# configuration chose. RSS's choice is `vtapctl hash` on the frames (a
# pcap of what was read), the rule's is queue 1; the program asks for
# queue q with the hash vtap_steer_tc_hash(q, N) (q, or 720720 * N for
# queue 0), and the kernel takes hash % attached queues. Then a queue is
# detached (TUNSETQUEUE IFF_DETACH_QUEUE: the last one moves into its
# place) and attached again (it goes last), and the frames are checked
# again against that renumbering; an extension's tc entry (ext_icmp) sends
# ICMP to queue 1. Finally `vtapctl steer detach` (hand the steering back)
# removes the filter, and the clsact qdisc when vtap created it; a clsact
# qdisc that was there before, with someone else's filter, stays; `steer
# attach` puts the filter back. With RSS off, frames no step decides go
# where the kernel's own flow hash says, and `vtapctl stats` must count
# them as "kernel" on exactly the queues they were read from.
#
# ipvtap: the same with `type ipvtap mode l2` and an ipvlan neighbour. The
# modules are loaded with modprobe; this 6.18 host has no ipvlan, so that
# part skips there (with the reason) and runs in the guest stage
# (tests/vm, Debian 12's 6.1 has ipvlan and ipvtap).
. "$VTAP_SRCDIR/tests/lib.sh"
require_root
command -v python3 >/dev/null || skip "needs python3"
command -v tc >/dev/null || skip "needs tc (iproute2)"
for m in macvlan macvtap sch_ingress cls_bpf; do
	modprobe -q "$m" 2>/dev/null
done
# probe KIND: whether this kernel makes a KIND on a veth (in a namespace).
probe() {
	local ns rc
	ns=$(uname_ "mq$1")
	ip netns add "$ns" || return 1
	ip -n "$ns" link add p0 type veth peer name p1 &&
		ip -n "$ns" link add link p0 name p2 type "$1" 2>/dev/null
	rc=$?
	ip netns del "$ns"
	return "$rc"
}
probe macvtap || skip "no macvtap in kernel $(uname -r)"

# run_case KIND N: one full check of a device of KIND (macvtap, ipvtap)
# with N queues. Everything it makes lives in its namespaces.
# Someone else's filters on the ingress, beside vtap's: a cls_bpf filter
# of protocol all at priority 1 (the only kind the kernel takes there; a
# new one goes to the head of the list: it runs before vtap's) and a
# u32 at priority 2 (never runs; tc makes its key 800::800, 0x80000800, in
# hash table 800:, which is no filter). `steer show` names both, text and
# JSON, and neither once deleted.
check_foreign_filters() {
	local ns=$1 tap=$2 what=$3 out
	check ip netns exec "$ns" tc filter add dev "$tap" ingress prio 1 \
		protocol all handle 0x1 bpf bytecode "1,6 0 0 4294967295,"
	check ip netns exec "$ns" tc filter add dev "$tap" ingress prio 2 \
		protocol all u32 match u32 0 0
	out=$(ip netns exec "$ns" "$VTAPCTL" steer show dev "$tap")
	if grep -q "prio 1 handle 0x1 bpf: runs before vtap's" <<<"$out" &&
	   grep -q "prio 2 handle 0x80000800 u32: never runs" <<<"$out" &&
	   grep -q "warning: 1 filter(s) run before vtap's" <<<"$out" &&
	   grep -q "later priorities never run" <<<"$out"; then
		ok "$what: steer show names the foreign filters"
	else
		fail "$what: steer show does not name the foreign filters: $out"
	fi
	ip netns exec "$ns" "$VTAPCTL" -j steer show dev "$tap" | python3 -c '
import json, sys
f = json.load(sys.stdin)[0]["other_filters"]
want = [dict(prio=1, handle=1, chain=0, kind="bpf", bpf_name=None,
             bpf_id=None, before=True, never_runs=False),
        dict(prio=2, handle=0x80000800, chain=0, kind="u32", before=False,
             never_runs=True)]
sys.exit(0 if f == want else f"other_filters {f}, want {want}")
' && ok "$what: JSON other_filters" || fail "$what: JSON other_filters"
	check ip netns exec "$ns" tc filter del dev "$tap" ingress prio 1 \
		protocol all handle 0x1 bpf
	check ip netns exec "$ns" tc filter del dev "$tap" ingress prio 2
	out=$(ip netns exec "$ns" "$VTAPCTL" steer show dev "$tap")
	check grep -q "^other filters none" <<<"$out"
	check test -z "$(grep -E 'prio [12] handle|warning' <<<"$out")"
	check grep -q '"other_filters":\[\]' \
		<<<"$(ip netns exec "$ns" "$VTAPCTL" -j steer show dev "$tap")"
}

run_case() {
	local kind=$1 n=$2 sfx=${1:0:1}$2
	local low peer neigh tap
	low=$(uname_ "ml$sfx") peer=$(uname_ "mp$sfx") neigh=$(uname_ "mn$sfx")
	tap=mvt$sfx
	cleanup_add "ip netns del $low"
	cleanup_add "ip netns del $peer"
	cleanup_add "ip netns del $neigh"
	# Pins live per namespace: the link goes, then gc removes its pins,
	# before the namespace goes.
	cleanup_add "ip netns exec $low $VTAPCTL gc"
	cleanup_add "ip -n $low link del $tap"
	for ns in "$low" "$peer" "$neigh"; do
		ip netns add "$ns" || { fail "ip netns add $ns"; return; }
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
		ip -n "$ns" link set lo up
	done
	check ip -n "$low" link add low0 type veth peer name peer0 netns "$peer"
	ip -n "$low" link set low0 up
	ip -n "$peer" addr add 10.93.0.1/24 dev peer0
	ip -n "$peer" link set peer0 up
	# A /dev/tapIFINDEX of its own: an index no other test's macvtap has.
	local idx=$((2000 + $$ % 20000 + n))
	if [ "$kind" = macvtap ]; then
		check ip -n "$low" link add link low0 name "$tap" index "$idx" \
			type macvtap mode bridge
		check ip -n "$low" link add link low0 name nb0 type macvlan \
			mode bridge
	else
		check ip -n "$low" link add link low0 name "$tap" index "$idx" \
			type ipvtap mode l2
		check ip -n "$low" link add link low0 name nb0 type ipvlan mode l2
		# ipvlan delivers unicast by destination address.
		ip -n "$low" addr add 10.93.0.2/24 dev "$tap"
	fi
	check ip -n "$low" link set nb0 netns "$neigh"
	ip -n "$neigh" addr add 10.93.0.3/24 dev nb0
	ip -n "$neigh" link set nb0 up
	ip -n "$low" link set "$tap" up
	local mac
	mac=$(ip -n "$low" -br link show "$tap" | awk '{print $3}')
	ip -n "$peer" neigh replace 10.93.0.2 lladdr "$mac" dev peer0
	ip -n "$neigh" neigh replace 10.93.0.2 lladdr "$mac" dev nb0
	ip -n "$peer" neigh replace 10.93.0.3 lladdr \
		"$(ip -n "$neigh" -br link show nb0 | awk '{print $3}')" dev peer0

	# Someone else's clsact qdisc with a filter (classic BPF, egress)
	# on the N=2 macvtap: vtap shares it and leaves it.
	local shared=0
	if [ "$n" = 2 ]; then
		shared=1
		check ip netns exec "$low" tc qdisc add dev "$tap" clsact
		check ip netns exec "$low" tc filter add dev "$tap" egress \
			prio 7 bpf bytecode "1,6 0 0 4294967295,"
	fi

	ip netns exec "$low" python3 - "$tap" "$n" "$peer" "$neigh" \
		"$VTAPCTL" "$kind" <<'PY'
import fcntl, os, select, socket, struct, subprocess, sys, tempfile, time

tap, n, peer, neigh, vtapctl, kind = sys.argv[1:7]
n = int(n)
TUNSETIFF, TUNSETQUEUE = 0x400454CA, 0x400454D9
IFF_TAP, IFF_NO_PI, IFF_VNET_HDR, IFF_MULTI_QUEUE = 0x2, 0x1000, 0x4000, 0x100
IFF_ATTACH_QUEUE, IFF_DETACH_QUEUE = 0x200, 0x400
VNET_HDR = 10
failed = []


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    failed.append(msg)


def sh(*cmd, ok_rc=(0,)):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in ok_rc:
        fail(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


# The character device of the tap: /dev/tapIFINDEX (made from sysfs if
# the system lacks the node).
ifindex = socket.if_nametoindex(tap)
node = f"/dev/tap{ifindex}"
if not os.path.exists(node):
    major, minor = open(f"/sys/class/net/{tap}/{kind}/tap{ifindex}/dev"
                        ).read().strip().split(":")
    node = tempfile.mktemp(prefix="vtaptap")
    os.mknod(node, 0o600 | 0o020000, os.makedev(int(major), int(minor)))


def open_queue():
    fd = os.open(node, os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack(
        "16sH", b"", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE))
    return fd


# kmap[i] is the fd at kernel queue index i.
kmap = [open_queue() for _ in range(n)]
fd_name = {fd: f"fd{i}" for i, fd in enumerate(kmap)}

# The configuration, as a user sets it on a device vtap did not make.
sh(vtapctl, "rss", "set", "dev", tap, "types", "all", "table", "equal",
   str(n), "queues", str(n))
sh(vtapctl, "flow", "add", "dev", tap, "proto", "udp", "dport", "7777",
   "queue", "1")
show = sh(vtapctl, "-j", "steer", "show", "dev", tap).stdout
if '"attach":"tc"' not in show:
    fail(f"steer show does not say tc: {show}")
filters = sh("tc", "filter", "show", "dev", tap, "ingress").stdout
if "vtap_steer" not in filters or "direct-action" not in filters:
    fail(f"no vtap_steer filter on the ingress: {filters}")

SENDER = r'''
import socket, sys, time
src, base, count, tcp, bcast = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5] == "1"
for i in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.bind((src, base + i))
    s.sendto(b"vtap-mv %d" % (base + i), ("10.93.0.255" if bcast else "10.93.0.2", 7000 + i % 5 if i % 7 else 7777))
    s.close()
if tcp:
    socks = []
    for i in range(16):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setblocking(False)
        t.bind((src, base + 500 + i))
        try:
            t.connect(("10.93.0.2", 8000 + i))
        except BlockingIOError:
            pass
        socks.append(t)
    time.sleep(0.2)  # the SYNs are out; nobody answers
    for t in socks:
        t.close()
'''


def send_all(tag):
    """Flows from the lower side, the neighbour and broadcast; return the
    UDP source ports sent (each one frame)."""
    runs = [(peer, "10.93.0.1", 20000, 48, "1", "0"),
            (neigh, "10.93.0.3", 30000, 32, "0", "0"),
            (peer, "10.93.0.1", 40000, 16, "0", "1")]
    ports = set()
    for ns, src, base, count, tcp, bcast in runs:
        sh("ip", "netns", "exec", ns, "python3", "-c", SENDER, src,
           str(base), str(count), tcp, bcast)
        ports.update(range(base, base + count))
    return ports


def collect(want_ports, deadline_s=30):
    """Read every queue until each UDP datagram sent arrived (any frame
    read is kept). Return [(kernel index, frame)]."""
    got, seen = [], set()
    end = time.monotonic() + deadline_s
    while seen < want_ports and time.monotonic() < end:
        r, _, _ = select.select(kmap, [], [], 0.5)
        for fd in r:
            while True:
                try:
                    buf = os.read(fd, 65536 + VNET_HDR)
                except BlockingIOError:
                    break
                frame = buf[VNET_HDR:]
                got.append((kmap.index(fd), frame))
                if (len(frame) >= 42 and frame[12:14] == b"\x08\x00"
                        and frame[23] == 17):
                    ihl = (frame[14] & 15) * 4
                    seen.add(struct.unpack("!H", frame[14 + ihl:16 + ihl])[0])
    if not seen >= want_ports:
        fail(f"{len(want_ports - seen)} of {len(want_ports)} datagrams "
             "never arrived")
    # What is still queued (TCP retransmits) is checked too.
    for i, fd in enumerate(kmap):
        while True:
            try:
                got.append((i, os.read(fd, 65536 + VNET_HDR)[VNET_HDR:]))
            except BlockingIOError:
                break
    return got


def rss_queues(frames):
    """`vtapctl hash` on the frames: RSS's queue for each one."""
    with tempfile.NamedTemporaryFile(suffix=".pcap", delete=False) as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for fr in frames:
            f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)) + fr)
        path = f.name
    r = sh(vtapctl, "-j", "hash", "types", "all", "table", "equal", str(n),
           path)
    os.unlink(path)
    import json
    return [e["queue"] for e in json.loads(r.stdout or "[]")]


def tc_hash(q):
    return q if q else 720720 * n


def is_rule_frame(fr):
    if len(fr) < 42 or fr[12:14] != b"\x08\x00" or fr[23] != 17:
        return False
    ihl = (fr[14] & 15) * 4
    return struct.unpack("!H", fr[16 + ihl:18 + ihl])[0] == 7777


def check(tag):
    m = len(kmap)
    got = collect(send_all(tag))
    qs = rss_queues([fr for _, fr in got])
    if len(qs) != len(got):
        fail(f"{tag}: vtapctl hash gave {len(qs)} answers for {len(got)}")
        return
    per_q, bad = [0] * m, 0
    for (k, fr), q in zip(got, qs):
        if is_rule_frame(fr):
            q = 1
        want = tc_hash(q) % m
        per_q[k] += 1
        if k != want:
            bad += 1
            if bad <= 5:
                fail(f"{tag}: frame on kernel queue {k}, want {want} "
                     f"(chain queue {q}, {m} attached): {fr[:48].hex()}")
    print(f"{kind} N={n} {tag}: {len(got)} frames on {m} queues {per_q}, "
          f"{bad} misplaced")
    if bad:
        fail(f"{tag}: {bad} of {len(got)} frames on the wrong queue")
    if 0 in per_q:
        fail(f"{tag}: a queue got nothing: {per_q}")


check("all attached")
# Detach kernel queue 1: the last queue moves into its place.
fd = kmap[1]
fcntl.ioctl(fd, TUNSETQUEUE, struct.pack("16sH", b"", IFF_DETACH_QUEUE))
kmap[1] = kmap[-1]
kmap.pop()
check("queue 1 detached")
fcntl.ioctl(fd, TUNSETQUEUE, struct.pack("16sH", b"", IFF_ATTACH_QUEUE))
kmap.append(fd)
check("re-attached")

# The extension (ICMP to queue 1, else no opinion) through its tc entry.
ext = os.path.join(os.environ["VTAP_BUILDDIR"], "src/bpf/ext_icmp.bpf.o")
sh(vtapctl, "steer", "ext", "set", "dev", tap, "obj", ext)
show = sh(vtapctl, "-j", "steer", "show", "dev", tap).stdout
if '"ext":"vtap_ext_icmp"' not in show:
    fail(f"steer show does not name the extension: {show}")
sh("ip", "netns", "exec", peer, "ping", "-c", "4", "-i", "0.2", "-W", "1",
   "10.93.0.2", ok_rc=(0, 1))
icmp, end = [], time.monotonic() + 30
while len(icmp) < 4 and time.monotonic() < end:
    r, _, _ = select.select(kmap, [], [], 0.5)
    for fd in r:
        while True:
            try:
                fr = os.read(fd, 65536 + VNET_HDR)[VNET_HDR:]
            except BlockingIOError:
                break
            if len(fr) > 23 and fr[12:14] == b"\x08\x00" and fr[23] == 1:
                icmp.append(kmap.index(fd))
want = tc_hash(1) % len(kmap)
print(f"{kind} N={n} extension: ICMP frames on kernel queues {icmp}")
if len(icmp) < 4 or any(k != want for k in icmp):
    fail(f"extension: ICMP frames on {icmp}, want 4 on {want}")
sh(vtapctl, "steer", "ext", "del", "dev", tap)

# RSS off: no step decides for a frame the rule does not take, the hash
# stays and the kernel's flow hash picks the queue. The program counts
# such a frame as "kernel" on the queue that hash selects: per queue, the
# counts must be the frames read there (nothing else reaches the macvtap:
# UDP only, static neighbours, no IPv6), and none is "none".
import json


def counts():
    d = json.loads(sh(vtapctl, "-j", "stats", "dev", tap).stdout)[0]
    return {e["queue"]: e for e in d["steering"] or []}


def drain():
    for fd in kmap:
        while True:
            try:
                os.read(fd, 65536 + VNET_HDR)
            except BlockingIOError:
                break


KSENDER = r'''
import socket, sys
src, base, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, base + i))
    s.sendto(b"vtap-kernel", ("10.93.0.2", 6000 + i % 3))
    s.close()
'''
sh(vtapctl, "rss", "off", "dev", tap)
drain()
before = counts()
want = set()
for ns, src, base, count in [(peer, "10.93.0.1", 21000, 64),
                             (neigh, "10.93.0.3", 31000, 32)]:
    sh("ip", "netns", "exec", ns, "python3", "-c", KSENDER, src, str(base),
       str(count))
    want.update(range(base, base + count))
got = collect(want)
after = counts()
read = [0] * len(kmap)
for k, _ in got:
    read[k] += 1
kernel = [0] * len(kmap)
for q in set(before) | set(after):
    a, b = after.get(q, {}), before.get(q, {})
    for col in ("rule", "ext", "rss", "unclassified", "automq", "none",
                "kernel"):
        d = a.get(col, 0) - b.get(col, 0)
        if col == "kernel" and q < len(kmap):
            kernel[q] = d
        elif d:
            fail(f"kernel's choice: {d} frames counted as {col} on queue "
                 f"{q}")
print(f"{kind} N={n} kernel's choice: read per queue {read}, counted "
      f"{kernel}")
if kernel != read:
    fail(f"kernel's choice: counted {kernel} per queue, read {read}")
if sum(1 for x in read if x) < 2:
    fail(f"kernel's choice: frames on one queue only: {read}")
for fd in kmap:
    os.close(fd)
if node.startswith("/tmp"):
    os.unlink(node)
sys.exit(1 if failed else 0)
PY
	[ $? = 0 ] && ok "$kind N=$n: every frame on the queue the configuration chose" ||
		fail "$kind N=$n: frames misplaced (see above)"

	check ip netns exec "$low" "$VTAPCTL" steer detach dev "$tap"
	local qd
	qd=$(ip netns exec "$low" tc qdisc show dev "$tap")
	if [ "$shared" = 1 ]; then
		# Someone else's qdisc and filter stay; vtap's filter goes.
		check grep -q clsact <<<"$qd"
		check test -n "$(ip netns exec "$low" tc filter show dev "$tap" egress)"
		check test -z "$(ip netns exec "$low" tc filter show dev "$tap" ingress)"
	else
		check test -z "$(grep clsact <<<"$qd")"
		# vtap made the qdisc, then someone else put a filter on it:
		# it stays for them.
		check ip netns exec "$low" "$VTAPCTL" steer attach dev "$tap"
		check ip netns exec "$low" tc filter add dev "$tap" egress \
			prio 7 bpf bytecode "1,6 0 0 4294967295,"
		check ip netns exec "$low" "$VTAPCTL" steer detach dev "$tap"
		check grep -q clsact <<<"$(ip netns exec "$low" tc qdisc show dev "$tap")"
		check test -z "$(ip netns exec "$low" tc filter show dev "$tap" ingress)"
	fi
	# Handed back: the configuration stays, and `steer attach` takes the
	# device again.
	check grep -q '"released":true' <<<"$(ip netns exec "$low" "$VTAPCTL" -j steer show dev "$tap")"
	check ip netns exec "$low" "$VTAPCTL" steer attach dev "$tap"
	check grep -q vtap_steer <<<"$(ip netns exec "$low" tc filter show dev "$tap" ingress)"
	check_foreign_filters "$low" "$tap" "$kind N=$n"
	check ip netns exec "$low" "$VTAPCTL" steer detach dev "$tap"
	# The link goes, gc takes its pins: nothing is left.
	local pins
	pins=$(ip netns exec "$low" "$VTAPCTL" -j steer show dev "$tap" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["pins"])')
	check test -d "$pins"
	check ip -n "$low" link del "$tap"
	check ip netns exec "$low" "$VTAPCTL" gc
	check test ! -e "$pins"
	_run_cleanups
}

run_case macvtap 2
run_case macvtap 4

# ipvtap: modules from the guest kernel's tree; none on this 6.18 host.
modprobe -q ipvtap 2>/dev/null
if probe ipvtap; then
	run_case ipvtap 2
	run_case ipvtap 4
else
	echo "SKIP (part): ipvtap: no ipvlan/ipvtap in kernel $(uname -r) (CONFIG_IPVLAN); the guest stage (tests/vm, 6.1) runs it" >&2
fi
finish
