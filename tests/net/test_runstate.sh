#!/bin/bash
# SPDX-License-Identifier: MIT
# test_runstate.sh - run state and pins a tap's owner cannot turn against
# root (the tap's owner is uid 65534 here, another user 12345):
# - symlinks sprayed where root's stats files go are not followed: root's
#   `offload set` (which opens the tap through libvtap) writes no victim;
# - a FIFO planted among the stats files or as `queues` hangs no reader;
# - the owner can write nothing but stats/; a run directory it kept is
#   removed by `dev del`, never reused;
# - after `ip link del` and a new tap for a new owner, root's `rss set`
#   makes new pins for the new owner and never reuses the old owner's;
# - the writers' lock cannot be taken by another user;
# - state made under a daemon's UMask=0077 has the designed modes: the
#   owner reads its counters and pins, writes nothing root made.
. "$VTAP_SRCDIR/tests/lib.sh"
require_root
need setpriv util-linux
need python3 python3

as() { local u=$1; shift; setpriv --reuid "$u" --regid "$u" --clear-groups "$@"; }
check_fails() { if "$@" >/dev/null 2>&1; then fail "succeeded: $*"; else ok "fails: $*"; fi; }
T=$(uname_ rs)
VICTIM=$(mktemp /tmp/vtap-victim.XXXXXX)
cleanup_add rm -f "$VICTIM"
cleanup_add ip link del "$T"
cleanup_add "$VTAPCTL" dev del "$T"
printf 'root data, 25 bytes long\n' >"$VICTIM"
chmod 644 "$VICTIM"
want=$(sha256sum <"$VICTIM")

check "$VTAPCTL" dev add "$T" queues 2 owner 65534
RUN=$(rundir_of "$T")
check test -d "$RUN"
check test "$(stat -c %U:%a "$RUN")" = root:755
check test "$(stat -c %u "$RUN/stats")" = 65534
# The owner writes nothing but stats/.
check_exit 1 as 65534 touch "$RUN/planted"
check_exit 1 as 65534 ln -s "$VICTIM" "$RUN/queues2"
check_exit 1 as 65534 rm -f "$RUN/queues"

# 1. A symlink for every stats file name root could pick.
as 65534 /usr/bin/python3 -c '
import os, sys
d, victim = sys.argv[1], sys.argv[2]
for pid in range(1, 32769):
    for n in range(2):
        os.symlink(victim, "%s/stats.%d.%d" % (d, pid, n))
' "$RUN/stats" "$VICTIM"
check test "$(ls "$RUN/stats" | wc -l)" -ge 65536
check "$VTAPCTL" offload set dev "$T" csum
check "$VTAPCTL" offload show dev "$T"
check test "$(sha256sum <"$VICTIM")" = "$want"
check test "$(stat -c %U "$VICTIM")" = root
# Readers skip what is not a regular file.
check timeout 20 "$VTAPCTL" stats dev "$T"
check test "$(sha256sum <"$VICTIM")" = "$want"
as 65534 find "$RUN/stats" -type l -delete

# 2. FIFOs: in stats/ (the owner's) and, planted by root itself, as queues.
check as 65534 mkfifo "$RUN/stats/stats.1.0"
check timeout 10 "$VTAPCTL" stats dev "$T"
check timeout 10 "$VTAPCTL" dev show "$T"
check timeout 10 "$VTAPCTL" dev show
rm -f "$RUN/queues" && mkfifo "$RUN/queues"
out=$(timeout 10 "$VTAPCTL" -j dev show "$T"); rc=$?
check test "$rc" = 0
check python3 -c 'import json,sys; assert json.loads(sys.argv[1])[0]["intended_queues"] is None' "$out"
check timeout 10 "$VTAPCTL" dev show

# 3. A run directory the owner tries to keep (a subdirectory makes a plain
# rmdir fail): dev del removes it all; the next tap of the name gets a
# directory of its own and writes nothing into the victim.
check as 65534 mkdir -p "$RUN/stats/keep/deeper"
check as 65534 ln -s "$VICTIM" "$RUN/stats/keep/queues"
check "$VTAPCTL" dev del "$T"
check test ! -e "$RUN"
check "$VTAPCTL" dev add "$T" queues 3 owner 65534
RUN2=$(rundir_of "$T")
check test "$RUN2" != "$RUN"
check test "$(cat "$RUN2/queues")" = 3
check test "$(sha256sum <"$VICTIM")" = "$want"
check "$VTAPCTL" dev del "$T"

# 4. Stale pins: the old owner's maps are never reused for a new tap.
check ip tuntap add dev "$T" mode tap multi_queue user 65534
check "$VTAPCTL" rss set dev "$T" table equal 2 queues 2
P_OLD=$(pins_of "$T")
check test "$(stat -c %u "$P_OLD/cfg")" = 65534
check as 65534 "$VTAPCTL" rss set dev "$T" table 1,0
# The writers' lock: only root can open the pin directory.
check_fails as 12345 flock -n "$P_OLD" true
check_fails as 65534 flock -n "$P_OLD" true
check ip link del "$T"
check ip tuntap add dev "$T" mode tap multi_queue user 12345
check "$VTAPCTL" rss set dev "$T" table equal 2 queues 2
P_NEW=$(pins_of "$T")
check test "$P_NEW" != "$P_OLD"
check test ! -e "$P_OLD"
check test "$(stat -c %u "$P_NEW/cfg")" = 12345
check test "$(stat -c %u "$P_NEW/prog")" = 0
got=$("$VTAPCTL" -j rss show dev "$T")
check python3 -c 'import json,sys; d = json.loads(sys.argv[1])[0]; assert d["equal"] == 2, d' "$got"
check_exit 1 as 65534 "$VTAPCTL" rss set dev "$T" table 1,0
check as 12345 "$VTAPCTL" rss set dev "$T" table 1,0
check "$VTAPCTL" dev del "$T"
check test ! -e "$P_NEW"

# 5. State a daemon made under its unit's UMask=0077 has the modes the
# design gives it, as if vtapctl had made it: the tap's owner reads the
# counters (and its pins) but can write nothing root made. A fresh run
# directory and a fresh namespace (fresh pin directories), so that every
# level is made under the umask.
VHOST=$VTAP_BUILDDIR/src/tools/vtap-vhost/vtap-vhost
need_built "$VHOST"
NS5=$(uname_ rsn)
T5=$(uname_ rsd)
T6=$(uname_ rsp)
RD=/run/vtap-rs$$
TMP5=$(mktemp -d)
cleanup_add rm -rf "$RD" "$TMP5"
cleanup_add ip netns del "$NS5"
check ip netns add "$NS5"
vt5() { VTAP_RUN_DIR=$RD ip netns exec "$NS5" "$VTAPCTL" "$@"; }
# (nsenter, not ip netns exec: the owner must see the host's bpffs.)
as5() { local u=$1; shift; VTAP_RUN_DIR=$RD nsenter --net="/run/netns/$NS5" setpriv --reuid "$u" --regid "$u" --clear-groups "$@"; }
cleanup_add env VTAP_RUN_DIR="$RD" "$VTAPCTL" -n "$NS5" dev del "$T6"
# The daemon: vtap-vhost makes the tap (for uid 65534) and its run state.
(umask 077; VTAP_RUN_DIR=$RD exec "$VHOST" --socket "$TMP5/s" --create "$T5" \
	--queues 2 --owner 65534 --netns "$NS5" >"$TMP5/log" 2>&1) &
VH=$!
cleanup_add kill "$VH"
for _ in $(seq 300); do [ -S "$TMP5/s" ] && break; sleep 0.1; done
check test -S "$TMP5/s"
R5=$(vt5 -j dev show "$T5" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["run_dir"])')
check test -d "$R5/stats"
SF=$(ls "$R5"/stats/stats.*)
# Modes as designed: directories 0755, files 0644, all root's.
for d in "$RD" "$(dirname "$R5")" "$R5" "$R5/stats"; do
	check test "$(stat -c %U:%a "$d")" = root:755
done
for f in "$R5/link" $SF; do
	check test "$(stat -c %U:%a "$f")" = root:644
done
# The owner reads the daemon's counters: its handle, both queues.
got=$(as5 65534 "$VTAPCTL" -j stats dev "$T5")
check python3 -c 'import json,sys; d = json.loads(sys.argv[1])[0]; assert d["handles"] == 1 and d["queues"] == 2, d' "$got"
# ... and writes nothing root made.
check_exit 1 as5 65534 touch "$R5/planted"
check_exit 1 as5 65534 touch "$R5/stats/planted"
check_fails as5 65534 sh -c "echo x >>'$SF'"
kill "$VH"
wait "$VH" 2>/dev/null
# vtapctl under the same umask (a prepared tap with pins): the owner
# reads and changes its steering, reads its counters.
(umask 077; check vt5 dev add "$T6" queues 2 owner 65534)
(umask 077; check vt5 rss set dev "$T6" table equal 2)
P6=$(VTAP_RUN_DIR=$RD pins_of "$T6" -n "$NS5")
check test "$(stat -c %U:%a "$(dirname "$P6")")" = root:755
check test "$(stat -c %U:%a "$P6")" = root:711
check test "$(stat -c %U:%a "$(vt5 -j dev show "$T6" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["run_dir"])')/queues")" = root:644
check as5 65534 "$VTAPCTL" rss show dev "$T6"
check as5 65534 "$VTAPCTL" rss set dev "$T6" table 1,0
check as5 65534 "$VTAPCTL" stats dev "$T6"
check_exit 1 as5 12345 "$VTAPCTL" rss set dev "$T6" table 0,1
check vt5 dev del "$T6"
finish
