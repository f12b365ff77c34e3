#!/bin/bash
# SPDX-License-Identifier: MIT
# test_vtapctl_grammar.sh - vtapctl's one grammar (tools/common/grammar.c)
# on real taps: a bare NAME or `dev NAME` everywhere, iproute2's verb
# aliases, vnet_hdr/vnet-hdr and user, ethtool's flow words and equal,
# -p, rss show in ethtool -x layout, stray words and bad hash types
# refused with the object's help, dev del of a missing tap, and the bash
# completion answering from the same grammar.
. "$VTAP_SRCDIR/tests/lib.sh"
require_root
T=$(uname_ g)
U=$(uname_ h)
TMP=$(mktemp -d)
cleanup_add rm -rf "$TMP"
for d in $T $U; do
	cleanup_add ip link del "$d"
	cleanup_add rm -rf "/run/vtap/$d" "/sys/fs/bpf/vtap/$d"
done
same() { # description, then two commands separated by --
	local what=$1 a=() b=()
	shift
	while [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	b=("$@")
	"$VTAPCTL" "${a[@]}" >"$TMP/a" 2>&1
	"$VTAPCTL" "${b[@]}" >"$TMP/b" 2>&1
	if [ -s "$TMP/a" ] && cmp -s "$TMP/a" "$TMP/b"; then ok "$what"
	else fail "$what: '${a[*]}' and '${b[*]}' differ"; diff "$TMP/a" "$TMP/b" | head -5; fi
}
usage() { # WANT-IN-ERROR ARGS...: exit 2, one line, nothing on stdout
	local want=$1
	shift
	"$VTAPCTL" "$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	if [ "$rc" = 2 ] && [ ! -s "$TMP/out" ] && [ "$(wc -l <"$TMP/err")" = 1 ] &&
		grep -qF -- "$want" "$TMP/err"; then ok "usage error: $*"
	else fail "usage error for '$*': exit $rc, stderr $(cat "$TMP/err")"; fi
}

# dev add: vnet_hdr (documented) and vnet-hdr, user for owner, a hyphen
# in an offload name, `dev NAME` for the name.
check "$VTAPCTL" dev add "$T" queues 4 vnet_hdr 12 user 1000 offload csum,tso4,tso-ecn
check "$VTAPCTL" dev add dev "$U" queues 2 vnet-hdr 20
check test "$(cat "/sys/class/net/$T/owner")" = 1000
check grep -q 'offloads csum,tso4,tso_ecn' <<<"$("$VTAPCTL" dev show "$T")"

# A bare name or dev NAME; show, list, ls, lst.
same "dev show NAME = dev show dev NAME" dev show "$T" -- dev show dev "$T"
same "dev list NAME = dev show NAME" dev list "$T" -- dev show "$T"
same "dev ls NAME = dev show NAME" dev ls "$T" -- dev show "$T"
same "dev lst dev NAME = dev show NAME" dev lst dev "$T" -- dev show "$T"
check grep -q "^$T: " <<<"$("$VTAPCTL" dev ls)"
same "offload show NAME = offload show dev NAME" offload show "$T" -- offload show dev "$T"
same "offload ls NAME" offload ls "$T" -- offload show dev "$T"
check "$VTAPCTL" offload set "$T" csum,tso4,tso-ecn
check grep -Eq '^  tso_ecn +kernel' <<<"$("$VTAPCTL" offload show "$T")"
same "stats NAME = stats dev NAME" stats "$T" -- stats dev "$T"
same "stats show NAME" stats show "$T" -- stats dev "$T"

# rss: equal (ethtool -X), a bare name; show in ethtool -x layout.
check "$VTAPCTL" rss set "$T" types ipv4,tcpv4,ipv6-ex equal 4
out=$("$VTAPCTL" rss show "$T")
echo "$out" | head -8
check grep -qx 'hash types: ipv4,tcpv4,ipv6_ex' <<<"$out"
check grep -qx 'table: equal 4 over 4 queues' <<<"$out"
check grep -qx 'RX flow hash indirection table for '"$T"' with 4 RX ring(s):' <<<"$out"
check grep -qx '    0:      0     1     2     3     0     1     2     3' <<<"$out"
check grep -qx '  120:      0     1     2     3     0     1     2     3' <<<"$out"
check grep -qx '6d:5a:56:da:25:5b:0e:c2:41:67:25:3d:43:a3:8f:b0:d0:ca:2b:cb:ae:7b:30:b4:77:cb:2d:a3:80:30:f2:0c:6a:42:b7:3b:be:ac:01:fa' <<<"$out"
same "rss list dev NAME" rss list dev "$T" -- rss show "$T"
# No table given: "default", never "table equal 0".
check "$VTAPCTL" rss set "$U" types all
out=$("$VTAPCTL" rss show "$U")
check grep -Eqx 'table: default over [0-9]+ queues?' <<<"$out"
check_exit 1 grep -q 'equal 0' <<<"$out"
# table means the same in rss set as in hash: a lone number is a queue
# count (table equal N), two or more numbers are the entries.
check "$VTAPCTL" rss set "$U" table 2
check grep -Eqx 'table: equal 2 over [0-9]+ queues?' <<<"$("$VTAPCTL" rss show "$U")"
check "$VTAPCTL" rss set "$U" table 1,1
check grep -qx '    0:      1     1' <<<"$("$VTAPCTL" rss show "$U")"

# flow: ethtool's words are vtap's.
id=$("$VTAPCTL" flow add "$T" flow-type tcp4 dst-port 5201 action 2 loc 7)
check test -n "$id"
id6=$("$VTAPCTL" flow add dev "$T" flow-type udp6 src-ip fd00::1 src-port 53 action 1)
check test -n "$id6"
j=$("$VTAPCTL" -j flow ls "$T")
check python3 -c '
import json, sys
rules = {r["id"]: r for r in json.loads(sys.argv[1])}
r = rules[int(sys.argv[2])]
assert (r["proto"], r["dport"], r["queue"], r["prio"]) == ("tcp", 5201, 2, 7), r
assert r.get("family") in (4, "ipv4") or "ipv4" in json.dumps(r), r
r = rules[int(sys.argv[3])]
assert (r["proto"], r["sport"], r["queue"]) == ("udp", 53, 1), r
' "$j" "$id" "$id6"
same "flow list = flow show" flow list "$T" -- flow show dev "$T"
check "$VTAPCTL" flow delete "$T" id "$id"
check_exit 1 grep -q "dport 5201" <<<"$("$VTAPCTL" flow show "$T")"
usage "flow-type is tcp4, udp4, tcp6 or udp6, not 'icmp4'" flow add "$T" flow-type icmp4 action 1

# -p: pretty JSON, several lines, the same document as -j.
check test "$("$VTAPCTL" -p rss show "$T" | wc -l)" -gt 5
check python3 -c '
import json, subprocess, sys
a = subprocess.run([sys.argv[1], "-p", "rss", "show", sys.argv[2]], capture_output=True, check=True).stdout
b = subprocess.run([sys.argv[1], "-j", "rss", "show", sys.argv[2]], capture_output=True, check=True).stdout
assert json.loads(a) == json.loads(b)' "$VTAPCTL" "$T"

# Errors: stray words, unknown types (naming the valid ones), the
# object's help, and no "dev add" hint for a delete.
usage "rss show: unexpected argument 'extra'; see 'vtapctl rss help'" rss show dev "$T" extra
usage "unexpected argument 'extra'" rss show "$T" extra
usage "flow show: unexpected argument 'x'" flow show "$T" x
usage "steer show: unexpected argument 'x'" steer show "$T" x
usage "offload show: unexpected argument 'x'" offload show "$T" x
usage "dev del: unexpected argument 'x'" dev del "$T" x
usage "unknown hash type 'tcp4' (all, none, or a comma list of ipv4, tcpv4" rss set "$T" types tcp4
usage "see 'vtapctl hash help'" hash types tcp4 "$VTAP_DATA/sample.pcap"
usage "see 'vtapctl dev help'" dev add "$T" queues 0
usage "see 'vtapctl flow help'" flow add "$T" queue
usage "see 'vtapctl help'" nosuchobject
"$VTAPCTL" dev del "nx$$" >"$TMP/out" 2>"$TMP/err"
check test $? = 1
check_exit 1 grep -q 'dev add' "$TMP/err"
check grep -q "delete 'nx$$': no such tun/tap device" "$TMP/err"

# Completion: from the grammar, through the installed bash function.
comp() { # WORDS... (the last one is being completed)
	# shellcheck disable=SC1091
	bash -c '. "$1/completion/vtapctl.bash"; shift
		vtapctl() { "$VTAPCTL" "$@"; }
		COMP_WORDS=(vtapctl "$@"); COMP_CWORD=$#; _vtapctl
		printf "%s\n" "${COMPREPLY[@]}"' _ "$VTAP_SRCDIR" "$@"
}
export VTAPCTL
check grep -qx rss <<<"$(comp r)"
check test "$(comp rss s | sort | tr '\n' ' ')" = "set show "
check grep -qx ipv6_ex <<<"$(comp rss set dev "$T" types i)"
check grep -qx "$T" <<<"$(comp rss show "")"
check grep -qx flow-type <<<"$(comp flow add "$T" fl)"
check grep -qx tcp6 <<<"$(comp flow add "$T" flow-type t)"
check grep -qx vnet_hdr <<<"$(comp dev add x v)"
check grep -qx ipv6_ex <<<"$(comp -j rss set "$T" types i)"
check grep -qx flow <<<"$(comp -p -n somens f)"
check "$VTAPCTL" dev delete "$U"
check "$VTAPCTL" dev del dev "$T"
finish
