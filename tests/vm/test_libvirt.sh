#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_libvirt.sh - the domains of examples/libvirt as written, booted by
# Debian's libvirt 9.0 (QEMU 7.2 run as libvirt-qemu), their guest Debian
# 12's 6.1 kernel (-smp 2) with the VM harness's initramfs and shares
# (tests/vm/run.sh --prepare; tests/vm/libvirt_domain.py changes only the
# name, the boot, the shares, the console and, under TCG, the domain type
# and vectors=0 for vhost-user). virtlogd and libvirtd are started by
# hand when none runs (PID 1 need not be systemd) and stopped again.
#
#  1. ethernet.xml on a tap prepared with `vtapctl dev add T queues 2
#     vnet-hdr 12` and `rss set`, guarded by `vtapctl steer guard dev T`
#     (what vtap-steer-guard.service runs): the guest waits a second after
#     its driver started (QEMU detached vtap's program then), records the
#     rx queue of 64 UDP flows sent from the tap's side (tests/vm/rxq.c),
#     runs `ethtool -L eth0 combined 1` and `combined 2` (QEMU detaches
#     again at each), waits a second and records them again: every flow,
#     both times, on the queue `vtapctl hash` predicts from the same
#     frames with the tap's key and table, never moving;
#  2. vhostuser.xml on vtap-vhost (--tap on a tap prepared with vtapctl
#     in a namespace, --owner libvirt-qemu): the guest sees 2 queue pairs, every flow on the predicted
#     queue with the predicted hash (hash=on through <qemu:override>,
#     `ethtool -K eth0 rxhash on`).
# Without `vtapctl steer guard` part 1 fails ("needs vtapctl steer
# guard"), after checking that the domain boots and the flows arrive.
# The daemons are the machine's: two runs of this test at once share them,
# and the one that started them stops them when it ends (CI runs one); a
# vtapctl that removes state it takes for stale (another branch's rules)
# run meanwhile removes this test's taps' state.
# Skips (77) only where libvirt is not installed (scripts/setup.sh installs
# it with the other guest packages when it can) or the harness cannot run.
. "$VTAP_SRCDIR/tests/lib.sh"
. "$VTAP_SRCDIR/tests/vm/guestlib.sh"
VHOST=$VTAP_BUILDDIR/src/tools/vtap-vhost/vtap-vhost
EXAMPLES=$VTAP_SRCDIR/examples/libvirt
vm_require
need_built "$VHOST"
for t in virsh libvirtd virtlogd; do
	command -v $t >/dev/null ||
		skip "vm: libvirt is not installed (no $t; scripts/setup.sh installs libvirt-daemon-system and libvirt-clients when it can)"
done
QEMU_UID=$(id -u libvirt-qemu 2>/dev/null) ||
	skip "vm: libvirt is not installed (no user libvirt-qemu)"
VIRSH=(virsh -q -c qemu:///system)

T=$(uname_ le); T2=$(uname_ lv); NS=$(uname_ ln)
NFLOWS=64 DPORT=22000 SPORT=42000
KEY=6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa
vm_tmpdir
TMP=$VM_TMP
gpid= vpid=
cleanup_add 'kill $gpid $vpid 2>/dev/null; wait $gpid $vpid 2>/dev/null'

# The daemons, unless they run already (then they are left running).
if ! "${VIRSH[@]}" version >/dev/null 2>&1; then
	pgrep -x virtlogd >/dev/null || {
		virtlogd -d -p "$TMP/virtlogd.pid" || fail "virtlogd -d"
		cleanup_add 'kill $(cat '"$TMP"'/virtlogd.pid)'
	}
	libvirtd -d -p "$TMP/libvirtd.pid" || fail "libvirtd -d"
	cleanup_add 'kill $(cat '"$TMP"'/libvirtd.pid)'
	for ((i = 0; i < 600; i++)); do
		"${VIRSH[@]}" version >/dev/null 2>&1 && break
		sleep 0.1
	done
fi
check "${VIRSH[@]}" version

# boot EXAMPLE NAME OUT JOB KEY=VALUE...: the example as a transient
# domain running JOB in the guest; returns when the guest powered off (or
# after 900 s), its output in OUT; the job's exit status.
boot() {
	local example=$1 name=$2 out=$3 job=$4 run i
	shift 4
	run=$(mktemp -d "$TMP/run.XXXXXX")
	chmod 755 "$run"
	bash "$VM_RUN" --prepare "$run" --modules virtio_net -- bash -c "$job" ||
		return 77
	chown -R libvirt-qemu "$run/share"
	python3 "$VTAP_SRCDIR/tests/vm/libvirt_domain.py" "$example" \
		"$run/guest.env" "$name" serial="$run/console.log" "$@" \
		>"$run/domain.xml" || return 1
	cleanup_add "${VIRSH[*]}" destroy "$name"
	"${VIRSH[@]}" create "$run/domain.xml" || return 1
	for ((i = 0; i < 9000; i++)); do
		[ -s "$run/share/rc" ] && break
		"${VIRSH[@]}" domstate "$name" >/dev/null 2>&1 || break
		sleep 0.1
	done
	# The guest powered off: the transient domain goes.
	for ((i = 0; i < 300; i++)); do
		"${VIRSH[@]}" domstate "$name" >/dev/null 2>&1 || break
		sleep 0.1
	done
	"${VIRSH[@]}" destroy "$name" >/dev/null 2>&1
	cp "$run/share/job.log" "$out"
	if [ ! -s "$run/share/rc" ]; then
		echo "libvirt: $name ended without an exit status; its console:"
		tail -n 30 "$run/console.log"
		return 1
	fi
	return "$(cat "$run/share/rc")"
}

# table_of TAP [ARGS]: the tap's indirection table, as a comma list.
table_of() {
	"$VTAPCTL" "${@:2}" -j rss show dev "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
d = d[0] if isinstance(d, list) else d
print(",".join(str(q) for q in d["table"]))'
}

# ---- 1. ethernet.xml on a vtapctl tap, guarded ----
GUEST_MAC=52:54:00:78:00:02 TAP_MAC=02:78:00:00:00:01
cleanup_add rm -rf "/sys/fs/bpf/vtap/$T" "/run/vtap/$T"
cleanup_add ip link del "$T"
cleanup_add "$VTAPCTL" dev del "$T"
check "$VTAPCTL" dev add "$T" queues 2 vnet-hdr 12
check "$VTAPCTL" rss set dev "$T" types all key "$KEY" table equal 2
table=$(table_of "$T") || fail "rss show"
check ip link set "$T" address "$TAP_MAC" up
check ip addr add 10.78.0.1/24 dev "$T"
check ip neigh replace 10.78.0.2 lladdr "$GUEST_MAC" dev "$T" nud permanent
guard=0
if "$VTAPCTL" steer help 2>&1 | grep -qw guard; then
	"$VTAPCTL" steer guard dev "$T" >"$TMP/guard.log" 2>&1 &
	gpid=$!
	guard=1
else
	fail "needs vtapctl steer guard (vtap-steer-guard.service): QEMU's detach is not repaired"
fi

guest_job="
set -u
ip link set eth0 up
ip addr add 10.78.0.2/24 dev eth0
ip neigh replace 10.78.0.1 lladdr $TAP_MAC dev eth0 nud permanent
# The guard's second after the driver started (QEMU detached vtap's
# program then).
sleep 1
echo round 1
$(vm_rxq_job eth0 $DPORT $NFLOWS '' '' 'r1 ')
ethtool -L eth0 combined 1 && ethtool -L eth0 combined 2 && echo ETHTOOL-L-OK
ethtool -l eth0 | sed 's/^/guest: /'
sleep 1
echo round 2
$(vm_rxq_job eth0 $DPORT $NFLOWS '' '' 'r2 ')
"
vm_flows_pcap $NFLOWS $SPORT $DPORT 10.78.0.1 10.78.0.2 "$TAP_MAC" \
	"$GUEST_MAC" "$TMP/eth.pcap"
vm_flows_send "" $NFLOWS $SPORT $DPORT 10.78.0.1 10.78.0.2
start=$SECONDS
boot "$EXAMPLES/ethernet.xml" "vtap-eth-$$" "$TMP/eth.out" "$guest_job" \
	tap="$T" mac="$GUEST_MAC"
grc=$?
echo "ethernet domain: $((SECONDS - start)) s"
vm_flows_stop
cat "$TMP/eth.out"
[ "$grc" = 77 ] && skip "vm: the harness cannot prepare a guest"
check [ "$grc" = 0 ]
check grep -q ETHTOOL-L-OK "$TMP/eth.out"
"$VTAPCTL" hash key "$KEY" types all table "$table" "$TMP/eth.pcap" \
	>"$TMP/eth.predicted" || fail "vtapctl hash"
for r in r1 r2; do
	read -r seen on_q _ moved q0 q1 < <(vm_flows_check "$TMP/eth.predicted" "$TMP/eth.out" "$r ")
	echo "ethernet $r: flows seen $seen of $NFLOWS, on the predicted queue $on_q (queue 0: $q0, 1: $q1), moved $moved"
	check [ "$seen" = $NFLOWS ]
	if [ "$guard" = 1 ]; then
		check [ "$on_q" = $NFLOWS ]
		check [ "$moved" = 0 ]
	fi
done
if [ "$guard" = 1 ]; then
	"$VTAPCTL" steer show dev "$T"
	kill "$gpid"
	wait "$gpid"
	check test $? = 0
	gpid=
	cat "$TMP/guard.log"
fi

# ---- 2. vhostuser.xml on vtap-vhost ----
GUEST_MAC=52:54:00:96:00:02 TAP_MAC=02:96:00:00:00:01
S=$TMP/vhost.sock
cleanup_add ip netns del "$NS"
check ip netns add "$NS"
# The tap as docs/libvirt.md prepares it, then the daemon on it (what
# vtap-vhost@.service runs, with --owner from its conf file).
cleanup_add "$VTAPCTL" -n "$NS" dev del "$T2"
check "$VTAPCTL" -n "$NS" dev add "$T2" queues 2 vnet-hdr 12
check "$VTAPCTL" -n "$NS" rss set dev "$T2" types all key "$KEY" table equal 2
"$VHOST" --socket "$S" --tap "$T2" --netns "$NS" \
	--owner "$QEMU_UID" 2>"$TMP/vhost.log" &
vpid=$!
for ((i = 0; i < 600; i++)); do [ -S "$S" ] && break; sleep 0.1; done
check [ "$(stat -c %u "$S")" = "$QEMU_UID" ]
check ip -n "$NS" link set "$T2" address "$TAP_MAC" up
check ip -n "$NS" addr add 10.96.0.1/24 dev "$T2"
check ip -n "$NS" neigh replace 10.96.0.2 lladdr "$GUEST_MAC" dev "$T2" nud permanent
table=$(table_of "$T2" -n "$NS") || fail "rss show"

guest_job="
set -u
ethtool -L eth0 combined 2
ethtool -K eth0 rxhash on
ip link set eth0 up
ip addr add 10.96.0.2/24 dev eth0
ip neigh replace 10.96.0.1 lladdr $TAP_MAC dev eth0 nud permanent
echo queues: \$(ls /sys/class/net/eth0/queues | tr '\n' ' ')
ping -c 3 -W 5 10.96.0.1 && echo PING-OK
$(vm_rxq_job eth0 $DPORT $NFLOWS)
"
vm_flows_pcap $NFLOWS $SPORT $DPORT 10.96.0.1 10.96.0.2 "$TAP_MAC" \
	"$GUEST_MAC" "$TMP/vu.pcap"
vm_flows_send "$NS" $NFLOWS $SPORT $DPORT 10.96.0.1 10.96.0.2
start=$SECONDS
boot "$EXAMPLES/vhostuser.xml" "vtap-vu-$$" "$TMP/vu.out" "$guest_job" \
	socket="$S" mac="$GUEST_MAC"
grc=$?
echo "vhostuser domain: $((SECONDS - start)) s"
vm_flows_stop
cat "$TMP/vu.out"
check [ "$grc" = 0 ]
check grep -q "queues: rx-0 rx-1 tx-0 tx-1" "$TMP/vu.out"
check grep -q PING-OK "$TMP/vu.out"
"$VTAPCTL" hash key "$KEY" types all table "$table" "$TMP/vu.pcap" \
	>"$TMP/vu.predicted" || fail "vtapctl hash"
read -r seen on_q on_h moved _ < <(vm_flows_check "$TMP/vu.predicted" "$TMP/vu.out")
echo "vhostuser: flows seen $seen of $NFLOWS, on the predicted queue $on_q, hash as predicted $on_h, moved $moved"
check [ "$seen" = $NFLOWS ]
check [ "$on_q" = $NFLOWS ]
check [ "$on_h" = $NFLOWS ]
"$VTAPCTL" -n "$NS" steer show dev "$T2"
check kill -0 "$vpid"
kill "$vpid"
wait "$vpid"
check test $? = 0
vpid=
[ "$_failed" = 0 ] || cat "$TMP/vhost.log" >&2
finish
