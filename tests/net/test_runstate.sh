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
# - the writers' lock cannot be taken by another user.
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
finish
