#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# vtapctl's top-level grammar: help, version, unknown objects, exit codes.
. "$VTAP_SRCDIR/tests/lib.sh"
out=$(mktemp); err=$(mktemp)
cleanup_add rm -f "$out" "$err"

"$VTAPCTL" help >"$out"; check test $? = 0
check grep -q "Usage: vtapctl" "$out"
"$VTAPCTL" --version >"$out"; check grep -q "^vtapctl [0-9]" "$out"
"$VTAPCTL" >"$out" 2>"$err"; check test $? = 2
"$VTAPCTL" nosuchobject >"$out" 2>"$err"; check test $? = 2
check test ! -s "$out"
check grep -q "unknown object 'nosuchobject'" "$err"
"$VTAPCTL" --bogus >"$out" 2>"$err"; check test $? = 2
# With -j, usage errors are JSON too (one object on stderr, exit 2), also
# for an object given without its command; nothing on stdout.
for args in "" "rss" "flow" "steer" "hash" "nosuchobject" "rss bogus" \
	"rss set" "flow add" "steer ext" "dev add" "offload"; do
	# shellcheck disable=SC2086
	"$VTAPCTL" -j $args >"$out" 2>"$err"
	check test $? = 2
	check test ! -s "$out"
	check python3 -c 'import json,sys; assert "error" in json.load(open(sys.argv[1]))' "$err"
done
"$VTAPCTL" hash help >"$out"; check grep -q "INDEX 0xHASH REPORT QUEUE" "$out"
"$VTAPCTL" h help >"$out"; check grep -q "INDEX 0xHASH" "$out"
finish
