#!/bin/bash
# SPDX-License-Identifier: MIT
# test_owner_config.sh - the tap's owner (uid 65534) writes whatever it likes
# into the mmapped steering configuration, which its pin lets it map; root's
# tools and a root libvtap user (a VMM) must neither crash, hang, nor write
# past the map: a bad configuration is reported as corrupt, by the tap's
# name. Also: the owner cannot open the program array or the programs (no
# tail calls into programs the owner placed), a local user's lock on the pin
# directory does not stop root's writers, more than 128 queues with a
# 128-entry table, and random configurations.
# Issue 11 items 3, 4, 6 (jmp) and the suspected cases; docs/security.md.
. "$VTAP_SRCDIR/tests/lib.sh"
require_root
need setpriv util-linux
# Private network and mount namespaces: a fresh bpffs and /run/vtap, so
# nothing of the host's (or of tests running meanwhile) is seen or touched,
# and the taps go with the namespace.
if [ -z "${HOSTILE_PRIVATE:-}" ]; then
	need unshare util-linux
	exec env HOSTILE_PRIVATE=1 unshare --mount --net --propagation private \
		bash "$0" "$@"
fi
mkdir -p /run/vtap
mount -t tmpfs -o mode=0755 tmpfs /run/vtap || skip "cannot mount a private /run/vtap"
# sysfs shows the namespace it was mounted in: mount the new one's.
mount -t sysfs sysfs /sys || skip "cannot mount sysfs for the private namespace"
mount -t bpf -o mode=0755 bpf /sys/fs/bpf || skip "cannot mount a private bpffs"
ip link set lo up
H=${HOSTILE_HELPER:?}
OWNER=65534
T=$(uname_ ho)
cleanup_add "ip link del $T"
cleanup_add "$VTAPCTL dev del $T"

# A fresh tap owned by OWNER with RSS set up (pins made by root, chowned).
fresh() {
	"$VTAPCTL" dev del "$T" >/dev/null 2>&1
	ip link del "$T" >/dev/null 2>&1
	"$VTAPCTL" dev add "$T" queues 4 owner $OWNER vnet-hdr 20 >/dev/null &&
		"$VTAPCTL" rss set dev "$T" table equal 4 >/dev/null &&
		"$VTAPCTL" flow add dev "$T" proto udp dport 53 queue 1 >/dev/null
}

poke() { "$H" poke "$T" $OWNER $OWNER "$@"; }

# Run a root tool: it must finish within 30 s and not die of a signal.
# With "corrupt" as $1 it must also fail saying the config is corrupt.
ERR=$(mktemp)
cleanup_add "rm -f $ERR $ERR.hold"
safe() {
	local want=$1 rc
	shift
	timeout 30 "$@" >/dev/null 2>"$ERR"
	rc=$?
	if [ $rc = 124 ]; then
		fail "hung: $*"
	elif [ $rc -gt 128 ]; then
		fail "killed by signal $((rc - 128)): $* ($(head -c 300 "$ERR"))"
	elif [ "$want" = corrupt ] &&
		! { [ $rc = 1 ] && grep -q "'$T'.*corrupt\|corrupt.*$T" "$ERR"; }; then
		fail "exit $rc, not reported corrupt: $* ($(head -c 300 "$ERR"))"
	else
		ok "exit $rc: $*"
	fi
}

tools() {
	local want=$1
	safe "$want" "$VTAPCTL" rss show dev "$T"
	safe "$want" "$VTAPCTL" -j rss show dev "$T"
	safe "$want" "$VTAPCTL" flow show dev "$T"
	safe "$want" "$VTAPCTL" flow del dev "$T" id 7
	safe "$want" "$VTAPCTL" rss set dev "$T" key 0102030405060708
	safe "$want" "$VTAPCTL" flow add dev "$T" proto tcp dport 80 queue 2
	safe "$want" "$VTAPCTL" steer show dev "$T"
	safe "$want" "$VTAPCTL" rss off dev "$T"
}

# The root VMM: attach, report, predict, set_queues on the owner's config;
# with arguments, the owner pokes them while the VMM has it open.
victim() {
	local want=$1 out rc
	shift
	out=$(timeout 30 "$H" victim "$T" 4 "$@" 2>&1)
	rc=$?
	if [ $rc = 124 ] || [ $rc -gt 128 ]; then
		fail "root libvtap user: exit $rc: $out"
	elif [ "$want" = corrupt ] && grep -q "^\(attach\|set queues\|rss\|rules\|predict\): ok" <<<"$out"; then
		fail "root libvtap user used a corrupt config: $out"
	elif [ "$want" = corrupt ] && ! grep -q "Structure needs cleaning" <<<"$out"; then
		fail "root libvtap user not told the config is corrupt: $out"
	else
		ok "root libvtap user: $(tr '\n' ' ' <<<"$out")"
	fi
}

check fresh
tools any
victim ok

for c in "key_len 300" "key_len 0" "nrules 65535" "nrules 257" "weights 65535" \
	"table 65535" "table 3" "mask 1000" "mask 255" "queues 0" "queues 100000"; do
	echo "# owner writes $c"
	check fresh
	# shellcheck disable=SC2086
	check poke $c
	tools corrupt
	victim corrupt
	check fresh
	# shellcheck disable=SC2086
	victim corrupt $OWNER $OWNER $c
done

# Item 4: a flip time a year ahead must not make writers sleep.
check fresh
check poke flip_future
start=$(date +%s)
safe any "$VTAPCTL" rss set dev "$T" key 0102030405060708
safe any "$VTAPCTL" flow add dev "$T" proto tcp dport 81 queue 2
check test $(($(date +%s) - start)) -lt 50

# Item 4: another local user holding a lock on the pin directories.
check fresh
pids=()
while read -r d; do
	# One process holds the lock (flock(1) would leave a child behind).
	setpriv --reuid 12345 --regid 12345 --clear-groups python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
time.sleep(120)' "$d" >/dev/null 2>&1 &
	pids+=($!)
done < <(find /sys/fs/bpf/vtap -mindepth 1 -type d 2>/dev/null)
for p in "${pids[@]}"; do cleanup_add "kill $p"; done
sleep 0.5
safe any "$VTAPCTL" rss set dev "$T" key 0a0b0c0d
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done

# Item 6: the owner (or anyone else) cannot open the program array, the
# programs or the extension's packet map: tail calls go only where root
# put them.
check fresh
n=0
while read -r p; do
	n=$((n + 1))
	check "$H" objget "$p" $OWNER $OWNER
	check "$H" objget "$p" 12345 12345
done < <(find /sys/fs/bpf/vtap \( -name jmp -o -name prog -o -name cont -o -name pkt \) 2>/dev/null)
check test "$n" -ge 3

# Suspected: more than 128 queues with a 128-entry table: every entry is a
# queue the tap has, nothing past the table is read or written.
"$VTAPCTL" dev del "$T" >/dev/null 2>&1
ip link del "$T" >/dev/null 2>&1
check "$VTAPCTL" dev add "$T" queues 200 owner $OWNER
check "$VTAPCTL" rss set dev "$T" table equal 200
show=$("$VTAPCTL" -j rss show dev "$T")
check python3 -c '
import json, sys
d = json.loads(sys.argv[1])
d = d[0] if isinstance(d, list) else d  # vtapctl prints a list of objects
assert len(d["table"]) == 128, d
assert all(0 <= q < 200 for q in d["table"]), d
' "$show"
check "$VTAPCTL" rss set dev "$T" table weight 1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1
check "$VTAPCTL" rss show dev "$T"

# Suspected: the owner truncating a stats file a root process has mapped.
# Shown safe: the owner cannot truncate (or write) the run state root made,
# and root's readers and the root process live on.
check fresh
"$H" hold "$T" 4 6 >"$ERR.hold" 2>&1 &
hpid=$!
cleanup_add "kill $hpid"
for _ in $(seq 50); do grep -q holding "$ERR.hold" && break; sleep 0.1; done
n=0
while read -r f; do
	n=$((n + 1))
	if setpriv --reuid $OWNER --regid $OWNER --clear-groups truncate -s 0 "$f" 2>/dev/null; then
		fail "the owner truncated $f (owned by $(stat -c %U "$f"))"
	else
		ok "owner cannot truncate $f"
	fi
	if setpriv --reuid $OWNER --regid $OWNER --clear-groups sh -c 'echo x >>"$1"' sh "$f" 2>/dev/null; then
		fail "the owner wrote into $f"
	fi
done < <(find /run/vtap -type f -user root 2>/dev/null)
check test "$n" -ge 1
safe any "$VTAPCTL" stats show dev "$T"
safe any "$VTAPCTL" dev show "$T"
safe any "$VTAPCTL" dev show
check wait "$hpid"

# Suspected: a group set with `dev add`. A member of the tap's group (not
# its owner) gets no pin at all: the pins are the owner's alone (0600).
"$VTAPCTL" dev del "$T" >/dev/null 2>&1
ip link del "$T" >/dev/null 2>&1
check "$VTAPCTL" dev add "$T" queues 2 owner $OWNER group 12345
check "$VTAPCTL" rss set dev "$T" table equal 2
n=0
while read -r p; do
	n=$((n + 1))
	check "$H" objget "$p" 23456 12345
done < <(find /sys/fs/bpf/vtap -mindepth 1 ! -type d 2>/dev/null)
check test "$n" -ge 3

# Random configurations: whatever the bytes, nothing crashes or hangs.
for seed in $(seq 1 10); do
	check fresh
	check poke random "$seed"
	tools any
	victim any
	check fresh
	victim any $OWNER $OWNER random "$seed"
done
finish
