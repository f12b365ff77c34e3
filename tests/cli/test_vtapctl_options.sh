#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# vtapctl's options and keywords as ip(8) takes them: combined short
# options (-jp, -pj, -jn NETNS) work, an unknown letter in a combination is
# a usage error naming it; a keyword given twice (or two spellings of one
# setting: table and equal, proto and flow-type) is a usage error (exit 2)
# naming it, never the last value silently.
. "$VTAP_SRCDIR/tests/lib.sh"
out=$(mktemp); err=$(mktemp)
cleanup_add rm -f "$out" "$err"
pcap=$VTAP_DATA/sample.pcap

"$VTAPCTL" -j -p hash equal 2 "$pcap" >"$out"; want=$(cat "$out")
for o in -jp -pj; do
	"$VTAPCTL" $o hash equal 2 "$pcap" >"$out" 2>"$err"
	check test $? = 0
	check test "$(cat "$out")" = "$want"
done
check grep -q '^  {' "$out" # indented: -p took effect
"$VTAPCTL" -jv hash equal 2 "$pcap" >"$out" 2>/dev/null
check python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out"
for o in -jx -nj -jpz -; do
	"$VTAPCTL" $o hash equal 2 "$pcap" >"$out" 2>"$err"
	check test $? = 2
	check grep -q "unknown option '$o'" "$err"
done
# -n NETNS last in a combination takes the next word: a namespace that
# does not exist is named.
"$VTAPCTL" -jn vtap-no-such-ns dev show >"$out" 2>"$err"
check test $? = 1
check grep -q "vtap-no-such-ns" "$err"

# Repeated keywords: usage errors naming the keyword, nothing done.
repeated() { # WANT-IN-MESSAGE ARGS...
	local want=$1
	shift
	"$VTAPCTL" "$@" >"$out" 2>"$err"
	check test $? = 2
	check test ! -s "$out"
	if grep -qF -- "$want" "$err"; then ok "$*: $(cat "$err")"
	else fail "$*: want '$want' in: $(cat "$err")"; fi
}
repeated "'types' given twice" rss set vtnone0 types all types none
repeated "'key' given twice" hash key 00 key 11 "$pcap"
repeated "'table' and 'equal' both set the table" rss set vtnone0 table 2 equal 4
repeated "'dev' given twice" rss set dev vtnone0 dev vtnone1 equal 2
repeated "'dev' given twice" offload show vtnone0 dev vtnone1
repeated "'queues' given twice" dev add vtnone0 queues 2 queues 4
repeated "'owner' and 'user' both set the owner" dev add vtnone0 owner 1 user 2
repeated "'proto' and 'flow-type' both set the proto" flow add vtnone0 proto tcp flow-type tcp4 dport 1 queue 0
repeated "'watch' given twice" stats dev vtnone0 watch watch
# The JSON error says the same.
"$VTAPCTL" -j rss set vtnone0 types all types none >"$out" 2>"$err"
check test $? = 2
check python3 -c 'import json,sys; assert "given twice" in json.load(open(sys.argv[1]))["error"]' "$err"
# A keyword once is fine: hash runs.
"$VTAPCTL" hash key 6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa types all equal 2 "$pcap" >"$out"
check test $? = 0
finish
