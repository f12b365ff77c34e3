#!/bin/bash
# SPDX-License-Identifier: MIT
# test_tour.sh - the README's tap tour ("Preparing a tap for a VMM"), read
# from README.md and run line by line on a tap of this test's own name:
# every command succeeds, the tap has its steering pinned where `steer show`
# says while it exists, and `dev del` leaves no tap, pin or run state
# behind. In the guest stage
# this is the tour on Debian 12's 6.1 kernel.
. "$VTAP_SRCDIR/tests/lib.sh"
require_root

T=$(uname_ t)
cleanup_add ip link del "$T"
cleanup_add rm -rf "/sys/fs/bpf/vtap/$T" "/run/vtap/$T"

# The indented lines of the section's first code block.
mapfile -t tour < <(awk '
	/^## Preparing a tap for a VMM/ { s = 1; next }
	s && /^## / { exit }
	s && /^    vtapctl / { print; n++; next }
	s && n && /^[^ ]/ { exit }' "$VTAP_SRCDIR/README.md")
check [ "${#tour[@]}" -ge 5 ]
for line in "${tour[@]}"; do
	line=${line%%#*}
	# shellcheck disable=SC2206
	args=($line)
	args=("${args[@]/#tap0/$T}")
	[ "${args[-1]}" = watch ] && args+=(count 1)
	out=$("$VTAPCTL" "${args[@]:1}" 2>&1)
	rc=$?
	if [ "$rc" = 0 ]; then
		ok "${args[*]}"
	else
		fail "${args[*]}: exit $rc: $out"
	fi
	case "${args[*]}" in
	*"steer show"*)
		# Where the pins are (docs/steering.md): gone after dev del.
		pins=$(awk '$1 == "pins" {print $2}' <<<"$out")
		check test -d "${pins:-/nonexistent}"
		check grep -q "rules=yes" <<<"$out"
		;;
	*"dev add"*)
		check [ "$(cat "/sys/class/net/$T/owner")" = 1000 ]
		;;
	esac
done
check [ ! -e "/sys/class/net/$T" ]
check [ -n "${pins:-}" ] && check [ ! -e "$pins" ]
check [ ! -e "/run/vtap/$T" ]
finish
