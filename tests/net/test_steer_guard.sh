#!/bin/bash
# SPDX-License-Identifier: MIT
# test_steer_guard.sh - `vtapctl steer guard` keeps vtap's steering program
# on a tap whose opener does not link libvtap (open + TUNSETIFF per queue,
# as QEMU): when the opener detaches it (TUNSETSTEERINGEBPF -1 on its own
# queue, as QEMU does at guest driver start), the guard attaches it again,
# through the opener's queue (pidfd_getfd), with no queue of its own: the
# kernel's queue count stays 2, frames go to the predicted queues again,
# and the re-attachment is counted in `steer show` and `stats`. `steer
# detach` hands the tap back: the guard leaves it alone; `steer attach`
# takes it again. An operator's `steer attach` while the guard runs is
# not counted as a re-attachment.
. "$VTAP_SRCDIR/tests/lib.sh"
. "$VTAP_SRCDIR/tests/net/tap_reader.sh"
require_root
command -v python3 >/dev/null || skip "needs python3"
[ -e /proc/self/fdinfo ] || skip "needs /proc"

T=$(uname_ sg)
NS=$(uname_ sgn)
TMP=$(mktemp -d)
cleanup_add rm -rf "$TMP"

vt() { "$VTAPCTL" -n "$NS" "$@"; }
sj() { vt -j steer show dev "$T" | python3 -c 'import json,sys; d=json.load(sys.stdin)[0]; print(eval(sys.argv[1]))' "$1"; }
kq() { vt -j dev show "$T" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["attached_queues"])'; }

reader_tap "$NS" "$T" 2

# The opener: 2 queues, no libvtap; it detaches the program on request.
ip netns exec "$NS" python3 "$READER" "$T" 2 12 900 "$TMP/p1" >"$TMP/p1.log" 2>&1 &
RPID=$!
cleanup_add kill "$RPID"
check eventually 'grep -q ready "$TMP/p1.log"'
check test "$(kq)" = 2

# The guard, for this tap of this namespace.
"$VTAPCTL" -n "$NS" steer guard dev "$T" >"$TMP/guard.log" 2>&1 &
GPID=$!
cleanup_add kill "$GPID"
# It takes the tap over: its own instance, through the reader's queue.
check eventually 'grep -q "attached through a queue of pid $RPID" "$TMP/guard.log"'
check test "$(sj 'd["attached"]')" = yes
check test "$(sj 'd["prog_id"] is not None')" = True
check test "$(sj 'd["reattached"]')" = 0
check test "$(kq)" = 2

# An operator's `steer attach` while the guard runs replaces the guard's
# instance: the guard watches that one and counts nothing (it repaired
# nothing); then the opener's detach is counted once.
check vt steer attach dev "$T"
OP_ID=$(sj 'd["prog_id"]')
check eventually 'grep -q "vtap attached the program again itself" "$TMP/guard.log"'
# A few of the guard's rounds later: still the operator's instance.
sleep 1
check test "$(sj 'd["prog_id"]')" = "$OP_ID"
check test "$(sj 'd["attached"]')" = yes
check test "$(sj 'd["reattached"]')" = 0
check test "$(grep -c "attached again" "$TMP/guard.log")" = 0

# The opener detaches it, on its own queue, as QEMU does.
touch "$TMP/DETACH"
check eventually 'grep -q detached "$TMP/p1.log"'
check eventually 'grep -q "attached again" "$TMP/guard.log"'
check eventually '[ "$(sj d[\"reattached\"])" = 1 ] && [ "$(sj d[\"attached\"])" = yes ]'
# No queue of the guard's: the kernel saw 2 queues all along, the guard
# holds no tun fd.
check test "$(kq)" = 2
check test "$(ls -l /proc/$GPID/fd | grep -c /dev/net/tun)" = 0
reader_send "$NS"
touch "$TMP/STOP"
wait "$RPID"
rm -f "$TMP/STOP"
check reader_predicted "$TMP/p1" 2
check grep -q "reattached 1 times" <<<"$(vt steer show dev "$T")"
check grep -q "re-attached 1 times" <<<"$(vt stats dev "$T")"
check test "$(vt -j stats dev "$T" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["steering_program"]["reattached"])')" = 1

# steer detach: handed back for good; the guard stops guarding it.
ip netns exec "$NS" python3 "$READER" "$T" 2 12 900 "$TMP/p2" >"$TMP/p2.log" 2>&1 &
RPID=$!
cleanup_add kill "$RPID"
check eventually 'grep -q ready "$TMP/p2.log"'
check vt steer detach dev "$T"
check eventually 'grep -q "handed back" "$TMP/guard.log"'
check test "$(sj 'd["released"]')" = True
check test "$(sj 'd["attached"]')" = no
# A few of the guard's rounds later it is still detached.
sleep 1
check test "$(sj 'd["attached"]')" = no
check test "$(sj 'd["reattached"]')" = 1
check test "$(grep -c "attached again" "$TMP/guard.log")" = 1
# steer attach takes it again; the guard guards it again.
check vt steer attach dev "$T"
check test "$(sj 'd["released"]')" = False
check eventually 'grep -c "guarding (ifindex" "$TMP/guard.log" | grep -q 2'
# (Its own instance in place of steer attach's, before the next detach.)
check eventually 'grep -c "attached through" "$TMP/guard.log" | grep -q 2'
touch "$TMP/DETACH"
check eventually 'grep -q detached "$TMP/p2.log"'
check eventually '[ "$(sj d[\"reattached\"])" = 2 ] && [ "$(sj d[\"attached\"])" = yes ]'
check test "$(kq)" = 2
touch "$TMP/STOP"
wait "$RPID"
rm -f "$TMP/STOP"

# The guard stops on SIGTERM, exit 0.
kill -TERM "$GPID"
wait "$GPID"
rc=$?
check test "$rc" = 0
check grep -q "stopped" "$TMP/guard.log"
# Usage.
check_exit 2 vt steer detach
check_exit 2 vt steer guard dev "$T" extra
check_exit 1 vt steer detach dev nosuch0
[ "$_failed" = 0 ] || { echo "guard's log:"; cat "$TMP/guard.log"; tail -n 3 "$TMP"/p*.log; } >&2
finish
