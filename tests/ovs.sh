# SPDX-License-Identifier: MIT
# tests/ovs.sh - a private Open vSwitch (userspace datapath) for
# tests/net/test_ovs.sh and bench/lib.sh: its database, ovsdb-server and
# ovs-vswitchd in one directory (no systemd, no host OVS state touched).
#
# Sourced, not run. The daemons run as children of the sourcing shell, not
# --detach'ed: a detached daemon is re-parented to pid 1, and where pid 1
# does not reap orphans (a container's or a VM agent's init) each one
# stays as a zombie after it is killed. A child is reaped by our `wait`.
# OVS_DB_PID and OVS_SWITCHD_PID name the daemons while they run.
OVS_DB_PID= OVS_SWITCHD_PID=

# Why Open vSwitch cannot run here, or nothing.
ovs_private_why() {
	command -v ovs-vswitchd >/dev/null ||
		{ echo "missing tool ovs-vswitchd (apt-get install openvswitch-switch)"; return; }
	[ -r /usr/share/openvswitch/vswitch.ovsschema ] ||
		echo "missing /usr/share/openvswitch/vswitch.ovsschema (apt-get install openvswitch-common)"
}

# _ovs_alive PID: PID runs (it is neither gone nor a zombie waiting for us).
_ovs_alive() {
	local s
	s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$s" ] && [ "${s%% *}" != Z ]
}

# _ovs_wait_for PID CMD...: until CMD succeeds while PID runs (60 s).
_ovs_wait_for() {
	local pid=$1 end=$((SECONDS + 60))
	shift
	while ((SECONDS < end)); do
		_ovs_alive "$pid" || return 1
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# ovs_private_start DIR TSO: the database in DIR, both daemons started and
# answering; other_config:userspace-tso-enable=true when TSO is 1. Exports
# OVS_RUNDIR and friends, so ovs-vsctl and ovs-appctl talk to these.
# Return: 2 when ovs-vswitchd cannot run here, 1 on any other failure; the
# reason on stderr (with the daemon's last log line). ovs_private_stop
# cleans up after a failure too.
ovs_private_start() { # DIR TSO
	local d=$1 why
	why=$(ovs_private_why)
	[ -z "$why" ] || { echo "$why" >&2; return 1; }
	mkdir -p "$d" || return 1
	export OVS_RUNDIR=$d OVS_DBDIR=$d OVS_LOGDIR=$d OVS_SYSCONFDIR=$d
	ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema || return 1
	ovsdb-server --remote="punix:$d/db.sock" --pidfile="$d/ovsdb-server.pid" \
		-vconsole:off --log-file="$d/ovsdb-server.log" "$d/conf.db" \
		</dev/null >/dev/null 2>&1 &
	OVS_DB_PID=$!
	if ! _ovs_wait_for "$OVS_DB_PID" test -S "$d/db.sock" ||
		! ovs-vsctl --no-wait init; then
		echo "ovsdb-server did not start ($(tail -n 1 "$d/ovsdb-server.log" 2>/dev/null))" >&2
		return 1
	fi
	if [ "$2" = 1 ]; then
		ovs-vsctl --no-wait set Open_vSwitch . other_config:userspace-tso-enable=true || return 1
	fi
	ovs-vswitchd --pidfile="$d/ovs-vswitchd.pid" -vconsole:off \
		--log-file="$d/ovs-vswitchd.log" "unix:$d/db.sock" \
		</dev/null >/dev/null 2>&1 &
	OVS_SWITCHD_PID=$!
	if ! _ovs_wait_for "$OVS_SWITCHD_PID" \
		ovs-appctl --timeout=5 -t "$d/ovs-vswitchd.$OVS_SWITCHD_PID.ctl" version; then
		echo "ovs-vswitchd did not start ($(tail -n 1 "$d/ovs-vswitchd.log" 2>/dev/null))" >&2
		return 2
	fi
}

# _ovs_reap PID: SIGTERM, 10 s to exit, then SIGKILL; reaped either way.
_ovs_reap() {
	local n
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	for ((n = 0; n < 100; n++)); do
		_ovs_alive "$1" || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# ovs_private_stop [BRIDGE]: delete BRIDGE (its internal tap outlives
# ovs-vswitchd), then stop and reap ovs-vswitchd and ovsdb-server. Safe to
# call again, or when ovs_private_start failed half-way.
ovs_private_stop() { # [BRIDGE]
	if [ -n "${1:-}" ] && [ -n "$OVS_SWITCHD_PID" ]; then
		ovs-vsctl --timeout=10 --if-exists del-br "$1" 2>/dev/null
	fi
	_ovs_reap "$OVS_SWITCHD_PID"
	_ovs_reap "$OVS_DB_PID"
	OVS_DB_PID= OVS_SWITCHD_PID=
}
