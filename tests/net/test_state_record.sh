#!/bin/bash
# SPDX-License-Identifier: MIT
# test_state_record.sh - no silent loss: a command that changes state and
# cannot record it fails, saying why and what to do, and leaves nothing
# half made. Issue 21's reproduction: /run/vtap on a fresh tmpfs (mode
# 1777, not root's 0755) made `vtapctl dev add NAME queues 2` exit 0
# having written nothing. Runs in a private mount namespace with its own
# tmpfs over /run/vtap.
. "$VTAP_SRCDIR/tests/lib.sh"
require_root
command -v unshare >/dev/null || skip "needs unshare (util-linux)"
if [ -z "${STATE_PRIVATE:-}" ]; then
	exec env STATE_PRIVATE=1 unshare --mount --propagation private bash "$0" "$@"
fi
T=$(uname_ sr)
cleanup_add ip link del "$T"
cleanup_add umount /run/vtap
mkdir -p /run/vtap
mount -t tmpfs tmpfs /run/vtap || skip "cannot mount a tmpfs over /run/vtap"
check test "$(stat -c %a /run/vtap)" = 1777

out=$("$VTAPCTL" dev add "$T" queues 2 2>&1); rc=$?
echo "$out"
check test "$rc" = 1
check grep -q "cannot record the state of $T in /run/vtap" <<<"$out"
check grep -q "chmod 0755" <<<"$out"
# Nothing half made: no tap without its state.
check_exit 1 ip link show "$T"
out=$("$VTAPCTL" -j dev add "$T" queues 2 2>&1); rc=$?
check test "$rc" = 1
check grep -q '"error"' <<<"$out"

# The fix the message gives works.
check chmod 0755 /run/vtap
check "$VTAPCTL" dev add "$T" queues 2
check test "$("$VTAPCTL" -j dev show "$T" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["intended_queues"])')" = 2
check "$VTAPCTL" rss set dev "$T" table equal 2
check "$VTAPCTL" dev del "$T"
finish
