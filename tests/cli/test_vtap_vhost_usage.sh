#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# vtap-vhost's command line: help, version, usage errors (exit 2, one line
# on stderr, nothing on stdout), and setup errors (exit 1).
. "$VTAP_SRCDIR/tests/lib.sh"
VHOST=$VTAP_BUILDDIR/src/tools/vtap-vhost/vtap-vhost
out=$(mktemp); err=$(mktemp)
cleanup_add rm -f "$out" "$err"

"$VHOST" --help >"$out"; check test $? = 0
check grep -q "Usage: vtap-vhost --socket PATH \[--client\] (--tap NAME | --create NAME)" "$out"
for o in --queues --netns --offload --hash-report --owner --client; do
	check grep -q -- "$o" "$out"
done
"$VHOST" --version >"$out"; check grep -q "^vtap-vhost [0-9]" "$out"

usage() { # ARGS... : exit 2, a message, nothing on stdout
	"$VHOST" "$@" >"$out" 2>"$err"
	local rc=$?
	if [ "$rc" = 2 ] && [ ! -s "$out" ] && [ "$(wc -l <"$err")" = 1 ]; then
		ok "usage error: $*: $(cat "$err")"
	else
		fail "usage error expected (rc $rc): $*: $(cat "$err" "$out")"
	fi
}
usage
usage --socket /tmp/x
usage --tap t0
usage --socket /tmp/x --tap t0 --create t1
usage --socket /tmp/x --tap t0 --queues 0
usage --socket /tmp/x --tap t0 --queues 65
usage --socket /tmp/x --tap t0 --queues two
usage --socket /tmp/x --tap t0 --hash-report maybe
usage --socket /tmp/x --tap t0 --coalesce maybe
usage --socket /tmp/x --tap t0 --offload tso9
usage --socket /tmp/x --tap t0 --offload udp_tunnel
usage --socket /tmp/x --tap t0 --owner -1
usage --socket /tmp/x --tap 0123456789abcdef
usage --socket /tmp/x --tap t0 --bogus
usage --socket /tmp/x --tap t0 extra
usage --socket
check grep -q "needs a value" "$err"

# A tap that does not exist: a setup error naming it, with a hint.
if [ "$(id -u)" = 0 ]; then
	"$VHOST" --socket "/tmp/vtap-vhost-cli.$$.sock" --tap "vtnx$$" \
		>"$out" 2>"$err"
	check test $? = 1
	check grep -q "tap 'vtnx$$'.*vtapctl dev add" "$err"
	"$VHOST" --socket "/tmp/vtap-vhost-cli.$$.sock" --create "vtnx$$" \
		--netns "vtnx-none-$$" >"$out" 2>"$err"
	check test $? = 1
	check grep -q "network namespace '/run/netns/vtnx-none-$$'" "$err"
fi
finish
