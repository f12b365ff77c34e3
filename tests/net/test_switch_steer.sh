#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_switch_steer.sh - vtapctl sees vtap-switchd's ports (issue 21 item
# 7): the switch publishes each steered port's steering like any other
# tap's (pinned in the namespace the tap lives in), so `rss show`, `steer
# show` and `stats` work on a port moved into a namespace (`netns=`) and
# on one left in the switch's namespace; the guard leaves the switch's
# ports alone (libvtap attaches itself). After the switch stops, its ports
# (taps it made) are gone and so is their state.
. "$VTAP_SRCDIR/tests/lib.sh"
require_root
command -v python3 >/dev/null || skip "needs python3"
[ -x "$VTAP_SWITCHD" ] || skip "vtap-switchd not built"

N1=$(uname_ w1)
P1=$(uname_ q1); P2=$(uname_ q2)
TMP=$(mktemp -d)
SOCK=$TMP/ctl.sock
cleanup_add rm -rf "$TMP"
check ip netns add "$N1"
cleanup_add ip netns del "$N1"
cleanup_add ip link del "$P2"
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

"$VTAP_SWITCHD" --port "$P1,queues=2,netns=$N1" --port "$P2,queues=4" \
	--workers 2 --control "$SOCK" 2>"$TMP/log" &
SW=$!
cleanup_add "kill $SW; wait $SW"
for _ in $(seq 600); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { cat "$TMP/log" >&2; fail "daemon did not start"; finish; }
check_exit 1 grep -q "not published" "$TMP/log"

# The port in a namespace: the switch's RSS (all types, table over 2).
out=$("$VTAPCTL" -n "$N1" -j rss show dev "$P1")
check test "$(json 'd[0]["queues"]' <<<"$out")" = 2
check test "$(json 'len(d[0]["types"])' <<<"$out")" = 9
check test "$(json 'sorted(set(d[0]["table"]))' <<<"$out")" = "[0, 1]"
check grep -q "ipv4" <<<"$("$VTAPCTL" -n "$N1" rss show dev "$P1")"
out=$("$VTAPCTL" -n "$N1" -j steer show dev "$P1")
check test "$(json 'd[0]["steps"][2]["on"]' <<<"$out")" = True
check test "$(json 'd[0]["queues"]' <<<"$out")" = 2
check "$VTAPCTL" -n "$N1" stats dev "$P1"
# The port in the switch's namespace.
check test "$("$VTAPCTL" -j rss show dev "$P2" | json 'sorted(set(d[0]["table"]))')" = "[0, 1, 2, 3]"
check "$VTAPCTL" steer show dev "$P2"
# The guard leaves them alone: a libvtap user (the switch) has them open.
timeout -s INT 3 "$VTAPCTL" steer guard dev "$P2" >"$TMP/guard.log" 2>&1
check grep -q "guarding (ifindex" "$TMP/guard.log"
check_exit 1 grep -q "attached through\|attached again" "$TMP/guard.log"

PINS=$(pins_of "$P2")
check test -d "$PINS"
kill "$SW"
wait "$SW"
# The switch made these taps: they went with it, and their state goes
# with the next vtapctl run.
check_exit 1 ip link show "$P2"
check "$VTAPCTL" dev show
check test ! -e "$PINS"
finish
