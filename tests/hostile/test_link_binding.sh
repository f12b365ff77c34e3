#!/bin/bash
# SPDX-License-Identifier: MIT
# test_link_binding.sh - state is bound to the link instance, not to
# (namespace, ifindex). Issue 21 item 3: a tap of uid 65534 with pinned
# steering is deleted with `ip link del` (its state stays); a tap of uid
# 12345 made in another namespace is moved in (as vtap-switchd's `netns =`
# does) and keeps its ifindex, the old tap's; root's `rss set` must not
# reuse the old pins: the old owner cannot open or rewrite the new
# tenant's configuration, the new owner can open its own. The stale run
# state is not reused either. docs/security.md, "State bound to the link".
. "$VTAP_SRCDIR/tests/lib.sh"
require_root
command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
# Private network and mount namespaces: a fresh netns (ifindexes from 1),
# bpffs and /run/vtap, nothing of the host's touched.
if [ -z "${HOSTILE_PRIVATE:-}" ]; then
	command -v unshare >/dev/null || skip "needs unshare (util-linux)"
	exec env HOSTILE_PRIVATE=1 unshare --mount --net --propagation private \
		bash "$0" "$@"
fi
mkdir -p /run/vtap /run/netns
mount -t tmpfs -o mode=0755 tmpfs /run/vtap || skip "cannot mount a private /run/vtap"
mount -t tmpfs -o mode=0755 tmpfs /run/netns || skip "cannot mount a private /run/netns"
mount -t sysfs sysfs /sys || skip "cannot mount sysfs for the private namespace"
mount -t bpf -o mode=0755 bpf /sys/fs/bpf || skip "cannot mount a private bpffs"
ip link set lo up
as() { local u=$1; shift; setpriv --reuid "$u" --regid "$u" --clear-groups "$@"; }
OLD=65534
NEW=12345
A=$(uname_ lba)
B=$(uname_ lbb)
M=$(uname_ lbm)
cleanup_add ip netns del "$M"
cleanup_add ip link del "$A"
cleanup_add ip link del "$B"
ifindex() { ip -o link show dev "$1" | cut -d: -f1; }

# The old tenant's tap, steering pinned for it.
check ip tuntap add dev "$A" mode tap multi_queue user $OLD
check "$VTAPCTL" rss set dev "$A" table equal 2 queues 2
P_OLD=$(pins_of "$A")
IDX=$(ifindex "$A")
check test "$(stat -c %u "$P_OLD/cfg")" = $OLD
check test -L "$P_OLD/link"
RUN_OLD=$(rundir_of "$A")
check test -f "$RUN_OLD/link"
# Deleted another way than vtapctl: the state stays (no vtapctl ran yet).
check ip link del "$A"
check test -e "$P_OLD/cfg"

# The new tenant's tap, made elsewhere and moved in: same ifindex.
check ip netns add "$M"
for _ in $(seq 8); do
	ip -n "$M" tuntap add dev "$B" mode tap multi_queue user $NEW || break
	[ "$(ip -n "$M" -o link show dev "$B" | cut -d: -f1)" = "$IDX" ] && break
	ip -n "$M" link del "$B"
done
check ip -n "$M" link set "$B" netns $$
check test "$(ifindex "$B")" = "$IDX"
[ "$(ifindex "$B")" = "$IDX" ] || skip "the moved tap did not get ifindex $IDX"
check test -e "$P_OLD/cfg"

# Root configures the new tap: fresh pins, the new tenant's.
check "$VTAPCTL" rss set dev "$B" table equal 2 queues 2
P_NEW=$(pins_of "$B")
# (The same place: the namespace and ifindex are the old tap's.)
check test "$(stat -c %u "$P_NEW/cfg")" = $NEW
check test "$(stat -c %u "$P_NEW/prog")" = 0
check test "$(readlink "$P_NEW/link")" = "$(ip -o link show dev "$B" | grep -o 'vtap-[0-9a-f]\{16\}')"
got=$("$VTAPCTL" -j rss show dev "$B")
check python3 -c 'import json,sys; d = json.loads(sys.argv[1])[0]; assert d["equal"] == 2, d' "$got"
# The old owner can neither open nor rewrite the new tenant's config.
check_exit 1 as $OLD "$VTAPCTL" rss set dev "$B" table 1,0
check_exit 1 as $OLD "$VTAPCTL" rss show dev "$B"
# The new owner can open and change its own.
check as $NEW "$VTAPCTL" rss set dev "$B" table 1,0
check as $NEW "$VTAPCTL" rss show dev "$B"
# The run state is the new link's too (its token), not the old one's.
RUN_NEW=$(rundir_of "$B")
check test "$(cat "$RUN_NEW/link")" = "$(ip -o link show dev "$B" | grep -o 'vtap-[0-9a-f]\{16\}')"
check "$VTAPCTL" dev del "$B"
check test ! -e "$P_NEW"
finish
