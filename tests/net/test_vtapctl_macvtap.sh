#!/bin/bash
# SPDX-License-Identifier: MIT
# test_vtapctl_macvtap.sh - vtapctl on macvtap and ipvtap devices, in a
# namespace (-n): dev add type macvtap link LOWER (mode, mac, queues,
# vnet-hdr, owner), dev show in text and JSON (schema), the node given to
# the owner (who can open it; another uid cannot), offload show/set,
# dev set qlen, stats, a macvtap made by `ip link add` accepted, errors
# naming the fix, dev del; ipvtap where the kernel has it.
. "$VTAP_SRCDIR/tests/lib.sh"
require_root

NS=$(uname_ mn)
M=$(uname_ mv)
L=$(uname_ ml)
cleanup_add ip netns del "$NS"
ip netns add "$NS" || fail "ip netns add"
ip -n "$NS" link add "$L" type veth peer name "${L}p" || fail "veth"
ip -n "$NS" link set "$L" up
V() { "$VTAPCTL" -n "$NS" "$@"; }
cleanup_add "$VTAPCTL" -n "$NS" dev del "$M"
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

check V dev add "$M" type macvtap link "$L" mode bridge queues 2 vnet-hdr 12 \
	owner 65534 mac 02:7b:00:00:00:02
out=$(V dev show "$M")
check grep -q "^$M: tap multi_queue vnet_hdr no_pi persist type macvtap link $L mode bridge" <<<"$out"
check grep -q "2 intended owner 65534 group -" <<<"$out"
check grep -q "mac 02:7b:00:00:00:02" <<<"$out"
check grep -q "offloads csum,tso4,tso6,tso_ecn" <<<"$out"
j=$(V -j dev show "$M")
check [ "$(json 'd[0]["type"]' <<<"$j")" = macvtap ]
check [ "$(json 'd[0]["link"]' <<<"$j")" = "$L" ]
check [ "$(json 'd[0]["link_mode"]' <<<"$j")" = bridge ]
check [ "$(json 'd[0]["owner"]' <<<"$j")" = 65534 ]
IDX=$(json 'd[0]["ifindex"]' <<<"$j")
RUN=$(json 'd[0]["run_dir"]' <<<"$j")
check [ "$(cat "$RUN/queues")" = 2 ]
if python3 -c 'import jsonschema' 2>/dev/null; then
	check python3 -c '
import json, sys, jsonschema
s = json.load(open(sys.argv[1]))
jsonschema.validate(json.load(sys.stdin),
	{"$ref": "#/definitions/dev_show", "definitions": s["definitions"]})' \
		"$VTAP_SRCDIR/tests/data/vtapctl-json.schema.json" <<<"$j"
fi
# The listing holds it (a tun/tap listing grew the other types).
check [ "$(V -j dev show | json "'$M' in [x['ifname'] for x in d]")" = True ]

# The character device belongs to the owner: it opens queues, others not.
NODE=$(json 'd[0]["node"]' <<<"$j")
check [ -c "$NODE" ]
check test "$NODE" = "/dev/tap$IDX" -o "$NODE" = "$RUN/tap"
check grep -q " node $NODE" <<<"$out"
check [ "$(stat -c %u "$NODE")" = 65534 ]
check [ "$(stat -c %a "$NODE")" = 600 ]
open_as() { # UID: open one queue of the node
	setpriv --reuid "$1" --regid "$1" --clear-groups /usr/bin/python3 -c '
import os, sys
os.close(os.open(sys.argv[1], os.O_RDWR))' "$NODE" 2>/dev/null
}
check open_as 65534
check_exit 1 open_as 12345

# Offloads, queue depth, counters.
check V offload set "$M" csum,tso4,tso6
check [ "$(V -j dev show "$M" | json '",".join(d[0]["offloads"])')" = csum,tso4,tso6 ]
check V offload show "$M"
check V dev set "$M" qlen 300
check [ "$(ip -n "$NS" -j link show "$M" | json 'd[0]["txqlen"]')" = 300 ]
check V stats "$M"
check V -j stats "$M"

# Errors: one line naming the object and the fix.
err=$(V dev add "${M}x" type macvtap link nolower0 2>&1 >/dev/null)
check_exit 1 V dev add "${M}x" type macvtap link nolower0
check grep -q "no lower device 'nolower0' in this network namespace" <<<"$err"
check_exit 2 V dev add "${M}x" type macvtap
check_exit 2 V dev add "${M}x" type macvtap link "$L" mode l3
check_exit 2 V dev add "${M}x" type macvtap link "$L" vnet_hdr 0
check_exit 2 V dev add "${M}x" type macvtap link "$L" tun
check_exit 2 V dev add "${M}x" link "$L"
check_exit 1 V dev add "$M" type macvtap link "$L"
check_exit 1 ip -n "$NS" link show "${M}x"

# A macvtap made by ip is accepted by every command.
I=$(uname_ mi)
check ip -n "$NS" link add link "$L" name "$I" type macvtap mode vepa
out=$(V dev show "$I")
check grep -q "type macvtap link $L mode vepa" <<<"$out"
check V offload show "$I"
check V stats "$I"
check V dev del "$I"
check_exit 1 ip -n "$NS" link show "$I"

check V dev del "$M"
check_exit 1 ip -n "$NS" link show "$M"
check [ ! -e "$RUN" ]
# ipvtap: where the kernel has it (Debian's 6.1), else the fix is named.
# Its lower device may not carry a macvlan too (EBUSY): one of its own.
ip -n "$NS" link add "${L}i" type veth peer name "${L}j" || fail "veth"
L=${L}i
P=$(uname_ mp)
if modprobe ipvtap 2>/dev/null; then
	check V dev add "$P" type ipvtap link "$L" mode l2 vnet_hdr 12 queues 2
	check grep -q "type ipvtap link $L mode l2" <<<"$(V dev show "$P")"
	check_exit 2 V dev add "${P}x" type ipvtap link "$L" mode bridge
	check V dev del "$P"
else
	err=$(V dev add "$P" type ipvtap link "$L" 2>&1 >/dev/null)
	check grep -q "modprobe ipvtap" <<<"$err"
	echo "note: no ipvtap module here: the ipvtap part runs in the guest"
fi

finish
