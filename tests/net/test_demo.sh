#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_demo.sh - `vtap-switchd --demo` runs to completion, its checks pass,
# and it leaves nothing behind.
. "$VTAP_SRCDIR/tests/lib.sh"
require_root
need_built "$VTAP_SWITCHD"
OUT=$(mktemp)
cleanup_add rm -f "$OUT"
"$VTAP_SWITCHD" --demo --time 3 >"$OUT" 2>&1
rc=$?
cat "$OUT"
check test "$rc" = 0
check grep -Eq '^throughput: [0-9.]+ [GM]?bit/s' "$OUT"
check grep -Eq '^transfer check: [1-9][0-9]* bytes sent, [0-9]+ received: PASS$' "$OUT"
check grep -Eq '^hash/steering check: [1-9][0-9]* frames, 0 mismatches: PASS$' "$OUT"
check grep -Eq '^port vtdemo[0-9]+a: q0 rx [0-9]+ tx [0-9]+ q1 rx' "$OUT"
check grep -q '^demo: PASS$' "$OUT"
port=$(sed -n 's/^port \(vtdemo[0-9]*\)a:.*/\1/p' "$OUT")
check test -n "$port"
check_exit 1 sh -c "ip -o link | grep -q '$port'"
# Ctrl-C in the middle still cleans up and says so.
"$VTAP_SWITCHD" --demo --time 30 >"$OUT" 2>&1 &
pid=$!
sleep 2
kill -INT $pid
wait $pid
rc=$?
cat "$OUT"
check test "$rc" = 130
check grep -q '^interrupted: cleaning up' "$OUT"
# Cut short is not a failure: bytes in flight are not judged.
check grep -Eq '^transfer check: .*: not checked \(interrupted\)$' "$OUT"
check grep -q '^demo: interrupted$' "$OUT"
check_exit 1 grep -q 'FAIL' "$OUT"
# SIGTERM likewise, with the shell's status for it.
"$VTAP_SWITCHD" --demo --time 30 >"$OUT" 2>&1 &
pid=$!
sleep 2
kill -TERM $pid
wait $pid
rc=$?
check test "$rc" = 143
check grep -q '^demo: interrupted$' "$OUT"
check_exit 1 sh -c "ip -o link | grep -q 'vtdemo${pid}'"
check_exit 1 sh -c "ip -o link | grep -q 'vtdemo${pid}'"
finish
