#!/bin/bash
# SPDX-License-Identifier: MIT
# test_steer_guard_two.sh - one guard per tap, any number of taps per
# guard and of guards per namespace: two guards of different taps of one
# namespace (`steer guard dev A`, `steer guard dev B`) each repair and
# count their own tap's detaches; a second guard of a guarded tap (named,
# or every tap of the namespace) does not start, saying which guard has
# it and what to do; once the named guards stop, one guard of the whole
# namespace guards both taps and counts each tap's detach once.
. "$VTAP_SRCDIR/tests/lib.sh"
. "$VTAP_SRCDIR/tests/net/tap_reader.sh"
require_root
command -v python3 >/dev/null || skip "needs python3"
[ -e /proc/self/fdinfo ] || skip "needs /proc"

A=$(uname_ g2a)
B=$(uname_ g2b)
NS=$(uname_ g2n)
TMP=$(mktemp -d)
cleanup_add rm -rf "$TMP"
mkdir "$TMP/a" "$TMP/b"

vt() { "$VTAPCTL" -n "$NS" "$@"; }
sj() { vt -j steer show dev "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin)[0]; print(eval(sys.argv[1]))' "$2"; }
# reader TAP DIR: a 2-queue opener without libvtap; its pid in $RPID.
reader() {
	ip netns exec "$NS" python3 "$READER" "$1" 2 12 900 "$2/p" >"$2/log" 2>&1 &
	RPID=$!
	cleanup_add kill "$RPID"
	check eventually "grep -q ready '$2/log'"
}
# detach DIR: the opener in DIR detaches the program (as QEMU does).
detach() {
	: >"$2/DETACH"
	check eventually "[ \$(grep -c detached '$2/log') = $1 ]"
}

reader_tap "$NS" "$A" 2
cleanup_add "$VTAPCTL" -n "$NS" dev del "$B"
check vt dev add "$B" queues 2
check vt rss set dev "$B" types all table equal 2
reader "$A" "$TMP/a"
RA=$RPID
reader "$B" "$TMP/b"
RB=$RPID

# Two guards, one tap each, in one namespace (started directly: their
# pids are the guards', to name and to stop).
"$VTAPCTL" -n "$NS" steer guard dev "$A" >"$TMP/ga.log" 2>&1 &
GA=$!
cleanup_add kill "$GA"
"$VTAPCTL" -n "$NS" steer guard dev "$B" >"$TMP/gb.log" 2>&1 &
GB=$!
cleanup_add kill "$GB"
check eventually "grep -q 'attached through a queue of pid $RA' '$TMP/ga.log'"
check eventually "grep -q 'attached through a queue of pid $RB' '$TMP/gb.log'"
detach 1 "$TMP/a"
check eventually '[ "$(sj "$A" d[\"reattached\"])" = 1 ] && [ "$(sj "$A" d[\"attached\"])" = yes ]'
detach 1 "$TMP/b"
check eventually '[ "$(sj "$B" d[\"reattached\"])" = 1 ] && [ "$(sj "$B" d[\"attached\"])" = yes ]'
check test "$(grep -c "$B" "$TMP/ga.log")" = 0
check test "$(grep -c "$A" "$TMP/gb.log")" = 0

# A second guard of a guarded tap does not start: exit 1, the running
# guard named (its pid and command line), the fix given.
err=$(timeout 60 "$VTAPCTL" -n "$NS" steer guard dev "$A" 2>&1 >/dev/null)
rc=$?
echo "$err"
check test "$rc" = 1
check grep -q "'$A' is guarded already, by pid $GA: .*steer guard dev $A" <<<"$err"
check grep -q "stop that one, or guard other taps with 'steer guard dev NAME'" <<<"$err"
err=$(timeout 60 "$VTAPCTL" -n "$NS" steer guard 2>&1 >/dev/null)
rc=$?
check test "$rc" = 1
check grep -q "is guarded already, by pid \($GA\|$GB\)" <<<"$err"
# The running guards went on as before.
check kill -0 "$GA"
check kill -0 "$GB"
detach 2 "$TMP/a"
check eventually '[ "$(sj "$A" d[\"reattached\"])" = 2 ] && [ "$(sj "$A" d[\"attached\"])" = yes ]'

# One guard for the namespace, both taps: each detach counted once.
kill -TERM "$GA" "$GB"
wait "$GA" "$GB"
"$VTAPCTL" -n "$NS" steer guard >"$TMP/g.log" 2>&1 &
G=$!
cleanup_add kill "$G"
check eventually "grep -q '$A: guarding' '$TMP/g.log' && grep -q '$B: guarding' '$TMP/g.log'"
check eventually "[ \$(grep -c 'attached through a queue' '$TMP/g.log') = 2 ]"
detach 3 "$TMP/a"
detach 2 "$TMP/b"
check eventually '[ "$(sj "$A" d[\"reattached\"])" = 3 ] && [ "$(sj "$B" d[\"reattached\"])" = 2 ]'
check eventually '[ "$(sj "$A" d[\"attached\"])" = yes ] && [ "$(sj "$B" d[\"attached\"])" = yes ]'
# A guard of one of them cannot start beside it.
check_exit 1 timeout 60 "$VTAPCTL" -n "$NS" steer guard dev "$B"
kill -TERM "$G"
wait "$G"
check test "$?" = 0
[ "$_failed" = 0 ] || { echo "guards' logs:"; tail -n 20 "$TMP"/g*.log; } >&2
finish
