#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# vtapctl dev add/set qlen and budget: the grammar, help and usage errors
# (exit 2, one line on stderr naming the command and what it takes,
# nothing on stdout). No tap is touched: these fail before any is opened.
. "$VTAP_SRCDIR/tests/lib.sh"
out=$(mktemp); err=$(mktemp)
cleanup_add rm -f "$out" "$err"
T=vtnoqd$$

"$VTAPCTL" dev help >"$out"; check test $? = 0
check grep -q "dev add NAME .*\[qlen N | budget BYTES\]" <(tr -s ' \n' ' ' <"$out")
check grep -q "dev set NAME qlen N | budget BYTES | budget off" "$out"
check grep -q "never below 256" "$out"

# usage ARGS... MESSAGE: exit 2, nothing on stdout, one line naming it.
usage() {
	local msg=${*: -1}
	"$VTAPCTL" "${@:1:$#-1}" >"$out" 2>"$err"; local rc=$?
	if [ "$rc" = 2 ] && [ ! -s "$out" ] && [ "$(wc -l <"$err")" = 1 ] &&
		grep -q -- "$msg" "$err"; then
		ok "usage: ${*:1:$#-1}"
	else
		fail "usage: ${*:1:$#-1}: exit $rc, stderr: $(cat "$err")"
	fi
}
usage dev set "dev set: missing NAME"
usage dev set "$T" "dev set: expected NAME qlen N, budget BYTES or budget off"
usage dev set "$T" qlen "'qlen' needs a value"
usage dev set "$T" qlen 0 "qlen '0': frames per queue, 1..65536"
usage dev set "$T" qlen 65537 "qlen '65537'"
usage dev set "$T" qlen many "qlen 'many'"
usage dev set "$T" budget 0 "budget '0': bytes, at least 1"
usage dev set "$T" budget -5 "budget '-5'"
usage dev set "$T" budget 10X "budget '10X'"
usage dev set "$T" budget 1MB "budget '1MB'"
usage dev set "$T" budget 99999999999999999999 "budget '99999999999999999999'"
usage dev set "$T" budget 20000000000000000000G "budget '20000000000000000000G'"
usage dev set "$T" budget "dev set: 'budget' needs a value (BYTES or off)"
usage dev set "$T" qlen 5 budget 1M "qlen and budget exclude each other"
usage dev set "$T" budget off qlen 5 "qlen and budget exclude each other"
usage dev set "$T" budget 1M budget 2M "dev set: 'budget' given twice"
usage dev set "$T" mtu 9000 "dev set: unknown argument 'mtu'"
usage dev add "$T" qlen 5 budget 1M "dev add: qlen and budget exclude each other"
usage dev add "$T" budget off "dev add: budget 'off'"
usage dev add "$T" qlen 0 "dev add: qlen '0'"
usage dev add "$T" budget "dev add: 'budget' needs a value"

# With -j the usage error is a JSON object on stderr.
"$VTAPCTL" -j dev set "$T" qlen 0 >"$out" 2>"$err"
check test $? = 2
check test ! -s "$out"
check python3 -c 'import json,sys; assert "qlen" in json.load(open(sys.argv[1]))["error"]' "$err"
check test ! -e "/sys/class/net/$T"
finish
