#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_units.sh - the systemd units of both daemons are locked down:
#  - `systemd-analyze security --offline=true` scores vtap-vhost@.service
#    and vtap-switchd.service below 4.0 (without that command: the unit
#    files carry every setting the score depends on);
#  - each daemon's main job runs under its unit's capability bounding set
#    (setpriv: as root, the bounding set is what the process gets), so a
#    capability the unit lacks shows as a failure: vtap-vhost through the
#    frontend tests (a pinned tap given to another user, --netns, --create
#    with its own steering program, --owner, attach/detach, a shrinking
#    memory file), vtap-switchd with ports in namespaces on taps with and
#    without an owner, pinging across the switch;
#  - with systemd as PID 1, the same jobs under `systemd-run` with the
#    unit's other restrictions (system call filter, address families,
#    namespaces, devices); without it that part is skipped, with the reason.
. "$VTAP_SRCDIR/tests/lib.sh"
require_root
command -v python3 >/dev/null || skip "needs python3"
command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
VHOST=$VTAP_BUILDDIR/src/tools/vtap-vhost/vtap-vhost
FRONTEND=$VTAP_BUILDDIR/tests/vhost/vhost_frontend
[ -x "$VHOST" ] || skip "vtap-vhost not built"
[ -x "$VTAP_SWITCHD" ] || skip "vtap-switchd not built"
TMP=$(mktemp -d)
chmod 755 "$TMP"
cleanup_add rm -rf "$TMP"

# The value of setting $2 in unit file $1 (all lines, space-joined).
setting() { sed -n "s/^$2=//p" "$1" | tr '\n' ' ' | sed 's/ $//'; }

# CapabilityBoundingSet=CAP_A CAP_B -> setpriv's -all,+a,+b
bounding() {
	local caps out=-all
	caps=$(setting "$1" CapabilityBoundingSet)
	[ -n "$caps" ] || { echo "none"; return; }
	for c in $caps; do
		c=${c#CAP_}
		out="$out,+${c,,}"
	done
	echo "$out"
}

# ---- the scores ----
for u in vtap-vhost@.service vtap-switchd.service; do
	unit=$VTAP_BUILDDIR/systemd/$u
	check test -f "$unit"
	inst=${u/@./@vt0.}
	sed "s|^ExecStart=[^ ]*/vtap-vhost |ExecStart=$VHOST |; s|^ExecStart=[^ ]*/vtap-switchd |ExecStart=$VTAP_SWITCHD |" \
		"$unit" >"$TMP/$inst"
	for s in CapabilityBoundingSet SystemCallFilter RestrictAddressFamilies \
		ProtectKernelModules ProtectKernelLogs ProtectKernelTunables \
		ProtectControlGroups RestrictNamespaces LockPersonality \
		MemoryDenyWriteExecute UMask RestrictRealtime DevicePolicy \
		DeviceAllow NoNewPrivileges ProtectSystem ReadWritePaths; do
		check test -n "$(setting "$unit" "$s")"
	done
	check grep -qx 'DeviceAllow=/dev/net/tun rw' "$unit"
	check grep -qx 'UMask=0077' "$unit"
	check grep -qx 'ReadWritePaths=/sys/fs/bpf' "$unit"
	# PrivateDevices=yes would hide /dev/net/tun: no only with DeviceAllow.
	check grep -qx 'PrivateDevices=no' "$unit"
	check grep -qx 'DevicePolicy=closed' "$unit"
	if out=$(systemd-analyze security --offline=true "$TMP/$inst" 2>&1); then
		score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
		echo "$inst: exposure $score"
		check python3 -c "import sys; sys.exit(not float('$score') < 4.0)"
	else
		echo "note: systemd-analyze security --offline unavailable ($out);" \
			"the settings above stand for the score"
	fi
done

# ---- vtap-vhost's main job under its bounding set ----
VUNIT=$VTAP_BUILDDIR/systemd/vtap-vhost@.service
vcaps=$(bounding "$VUNIT")
echo "vtap-vhost bounding set: $vcaps"
check test "$vcaps" != none
if [ -x "$FRONTEND" ]; then
	for t in test_multiqueue_hash test_reconnect test_shrink test_hostile; do
		VHOST_DAEMON_WRAP="setpriv --bounding-set=$vcaps --inh-caps=-all --no-new-privs --" \
			VHOST_TEST=$t "$FRONTEND" >"$TMP/fe.log" 2>&1
		rc=$?
		if [ "$rc" = 0 ]; then ok "vhost_frontend $t under the unit's capabilities"
		else cat "$TMP/fe.log" >&2; fail "vhost_frontend $t under $vcaps (exit $rc)"; fi
	done
	# And one capability fewer fails (the test sees a missing one).
	VHOST_DAEMON_WRAP="setpriv --bounding-set=${vcaps/,+chown/} --inh-caps=-all --no-new-privs --" \
		VHOST_TEST=test_reconnect "$FRONTEND" >"$TMP/fe.log" 2>&1
	check test "$?" != 0
	# The failure was wanted: not the directory (socket, daemon log) the
	# frontend keeps for a failed run.
	kept=$(sed -n 's/^daemon log kept in //p' "$TMP/fe.log")
	[ -z "$kept" ] || rm -rf "$(dirname "$kept")"
else
	echo "note: vhost_frontend not built; vtap-vhost not run under the unit"
fi

# ---- vtap-switchd's main job under its bounding set ----
SUNIT=$VTAP_BUILDDIR/systemd/vtap-switchd.service
scaps=$(bounding "$SUNIT")
echo "vtap-switchd bounding set: $scaps"
check test "$scaps" != none
N1=$(uname_ u1); N2=$(uname_ u2); P1=$(uname_ ua); P2=$(uname_ ub)
for ns in $N1 $N2; do
	ip netns add "$ns" || fail "ip netns add $ns"
	cleanup_add ip netns del "$ns"
	ip -n "$ns" link set lo up
done
# P2: a persistent tap given to uid 4242 (its pins and run state are that
# user's), prepared by the operator without the switch's limits; the
# switch moves it into its namespace.
"$VTAPCTL" dev add "$P2" queues 2 vnet_hdr 20 owner 4242 ||
	fail "vtapctl dev add $P2"
"$VTAPCTL" rss set dev "$P2" weight 1,1 || fail "vtapctl rss set $P2"
cleanup_add "ip netns exec $N2 $VTAPCTL dev del $P2 2>/dev/null; $VTAPCTL dev del $P2 2>/dev/null"
cat >"$TMP/sw.conf" <<CONF
[switch]
workers = 2
[port $P1]
queues = 2
netns = $N1
[port $P2]
queues = 2
netns = $N2
CONF
SOCK=$TMP/ctl.sock
setpriv --bounding-set="$scaps" --inh-caps=-all --no-new-privs -- \
	"$VTAP_SWITCHD" -c "$TMP/sw.conf" --control "$SOCK" 2>"$TMP/sw.log" &
SW=$!
cleanup_add "kill $SW 2>/dev/null; wait $SW"
for _ in $(seq 300); do [ -S "$SOCK" ] && break; sleep 0.1; done
check test -S "$SOCK"
ip -n "$N1" addr add 10.199.0.1/24 dev "$P1"
ip -n "$N2" addr add 10.199.0.2/24 dev "$P2"
ip -n "$N2" link set "$P2" up
check ip netns exec "$N1" ping -c 3 -i 0.2 -W 2 10.199.0.2
check kill -0 "$SW"
check_exit 1 grep -qiE 'not permitted|permission denied' "$TMP/sw.log"
cat "$TMP/sw.log"
kill "$SW"; wait "$SW"
check test "$?" = 0

# ---- the other restrictions need systemd as PID 1 ----
if [ "$(ps -p 1 -o comm=)" = systemd ] && command -v systemd-run >/dev/null; then
	props=""
	while IFS= read -r l; do
		case "$l" in
		CapabilityBoundingSet=* | SystemCallFilter=* | SystemCallErrorNumber=* | \
			SystemCallArchitectures=* | RestrictAddressFamilies=* | \
			RestrictNamespaces=* | DevicePolicy=* | DeviceAllow=* | \
			ProtectKernel*=* | ProtectControlGroups=* | LockPersonality=* | \
			MemoryDenyWriteExecute=* | RestrictRealtime=* | NoNewPrivileges=* | \
			UMask=* | LimitMEMLOCK=*)
			props="$props -p '$l'" ;;
		esac
	done <"$VUNIT"
	VHOST_DAEMON_WRAP="systemd-run --quiet --wait --pipe --collect $props --" \
		VHOST_TEST=test_reconnect "$FRONTEND" >"$TMP/fe.log" 2>&1
	check test "$?" = 0
else
	echo "SKIP (part): PID 1 is $(ps -p 1 -o comm=), not systemd: the system" \
		"call filter, address families, namespace and device restrictions" \
		"are not run here (systemd-run needs a running systemd)"
fi
finish
