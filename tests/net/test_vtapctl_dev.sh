#!/bin/bash
# SPDX-License-Identifier: MIT
# test_vtapctl_dev.sh - vtapctl dev add/del/show and offload show/set on
# real taps: text and JSON output, errors (one line, exit codes 1 and 2).
. "$VTAP_SRCDIR/tests/lib.sh"
require_root

T=$(uname_ d)
cleanup_add ip link del "$T"

json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

check "$VTAPCTL" dev add "$T" queues 4 vnet-hdr 12 offload csum,tso4 owner 1000 mtu 9000
# Run state: RUN/NSID/IFINDEX, never by name.
RUN=$(json 'd[0]["run_dir"]' <<<"$("$VTAPCTL" -j dev show "$T")")
cleanup_add rm -rf "$RUN"
check [ "$RUN" = "/run/vtap/$(basename "$(dirname "$RUN")")/$(cat /sys/class/net/$T/ifindex)" ]
check test -e "/sys/class/net/$T"
check [ "$(cat /sys/class/net/$T/tun_flags)" = 0x5902 ]
check [ "$(cat /sys/class/net/$T/owner)" = 1000 ]
check [ "$(cat /sys/class/net/$T/mtu)" = 9000 ]
check [ "$(cat "$RUN/queues")" = 4 ]
check [ "$(stat -c %U "$RUN")" = root ]
check [ "$(stat -c %u "$RUN/stats")" = 1000 ]

out=$("$VTAPCTL" dev show "$T")
check grep -q "^$T: tap multi_queue vnet_hdr no_pi persist" <<<"$out"
check grep -q "4 intended" <<<"$out"
check grep -q "owner 1000" <<<"$out"
check grep -q "offloads csum,tso4" <<<"$out"
check grep -q "kernel tun features:" <<<"$out"

j=$("$VTAPCTL" -j dev show "$T")
check [ "$(json 'd[0]["intended_queues"]' <<<"$j")" = 4 ]
check [ "$(json 'd[0]["owner"]' <<<"$j")" = 1000 ]
check [ "$(json 'd[0]["mtu"]' <<<"$j")" = 9000 ]
check [ "$(json '",".join(d[0]["offloads"])' <<<"$j")" = csum,tso4 ]
check [ "$(json '"csum" in d[0]["offloads"]' <<<"$("$VTAPCTL" -j dev features)")" = True ]
# Nobody has it open yet: 0 queues attached (sysfs keeps rx-0 regardless).
check [ "$(json 'd[0]["attached_queues"]' <<<"$j")" = 0 ]
# A VMM that does not use libvtap opens all 4 queues with the usual flags;
# while it holds them, dev show counts them.
vmm=$(python3 - "$T" "$VTAPCTL" <<'PY'
import fcntl, json, os, struct, subprocess, sys
IFF_TAP, IFF_NO_PI, IFF_MULTI_QUEUE, IFF_VNET_HDR = 0x2, 0x1000, 0x100, 0x4000
fds = []
for _ in range(4):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH22x", sys.argv[1].encode(),
                IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_VNET_HDR))
    fds.append(fd)
out = subprocess.run([sys.argv[2], "-j", "dev", "show", sys.argv[1]],
                     capture_output=True, check=True).stdout
print(json.loads(out)[0]["attached_queues"])
PY
)
check [ "$vmm" = 4 ]
# Listing every tap includes ours, and parses.
check [ "$("$VTAPCTL" -j dev show | json "'$T' in [x['ifname'] for x in d]")" = True ]
check [ "$("$VTAPCTL" -j dev | json "'$T' in [x['ifname'] for x in d]")" = True ]

# offload show / set
out=$("$VTAPCTL" offload show dev "$T")
check grep -Eq "^  tso4 +kernel" <<<"$out"
check grep -Eq "^  tso6 +off" <<<"$out"
check "$VTAPCTL" offload set dev "$T" csum,tso4,tso6
j=$("$VTAPCTL" -j offload show dev "$T")
check [ "$(json '[o["name"] for o in d[0]["offloads"] if o["state"] == "kernel"]' <<<"$j")" = "['csum', 'tso4', 'tso6']" ]
check "$VTAPCTL" offload set dev "$T" all
check python3 -c 'import json, sys; assert json.loads(sys.argv[1])[0]["offloads"] == json.loads(sys.argv[2])[0]["offloads"]' \
	"$("$VTAPCTL" -j dev show "$T")" "$("$VTAPCTL" -j dev features)"
check "$VTAPCTL" -j offload set dev "$T" none
check [ "$(json 'd[0]["offloads"]' <<<"$("$VTAPCTL" -j dev show "$T")")" = "[]" ]
# The queue count is kept and other settings untouched by offload set.
check [ "$(cat /sys/class/net/$T/tun_flags)" = 0x5902 ]

# Errors: one line on stderr, nothing on stdout, exit 1.
err=$("$VTAPCTL" offload set dev "$T" tso4 2>&1 >/dev/null); rc=$?
check [ "$rc" = 1 ]
check [ "$(wc -l <<<"$err")" = 1 ]
check grep -q "offload tso4 needs csum" <<<"$err"
err=$("$VTAPCTL" dev add "$T" 2>&1); rc=$?
check [ "$rc" = 1 ]
check grep -q "^vtapctl: create '$T': File exists" <<<"$err"
err=$("$VTAPCTL" -j dev add "$T" 2>&1 >/dev/null)
check [ "$(json '"File exists" in d["error"]' <<<"$err")" = True ]
# A tap of that name with other flags: the error names each difference.
err=$("$VTAPCTL" dev add "$T" vnet-hdr 0 2>&1); rc=$?
check [ "$rc" = 1 ]
check grep -q "exists with vnet_hdr on, asked for off" <<<"$err"
err=$("$VTAPCTL" dev add "$T" tun 2>&1)
check grep -q "exists as a TAP device, asked for TUN" <<<"$err"
check_exit 1 "$VTAPCTL" dev show nosuchdev0
check_exit 1 "$VTAPCTL" dev show lo
check_exit 1 "$VTAPCTL" offload show dev nosuchdev0
err=$("$VTAPCTL" dev show nosuchdev0 2>&1)
check grep -q "No such device (no such tap; create it with 'vtapctl dev add')" <<<"$err"
# An unprivileged user gets the hint (setpriv drops every capability).
if command -v setpriv >/dev/null; then
	err=$(setpriv --reuid=1001 --regid=1001 --clear-groups "$VTAPCTL" dev add "${T}x" 2>&1); rc=$?
	check [ "$rc" = 1 ]
	check grep -q "needs CAP_NET_ADMIN" <<<"$err"
fi

# Usage errors: exit 2.
check_exit 2 "$VTAPCTL" dev add
check_exit 2 "$VTAPCTL" dev add "${T}y" queues 0
check_exit 2 "$VTAPCTL" dev add "${T}y" queues 257
check_exit 2 "$VTAPCTL" dev add "${T}y" vnet-hdr 11
check_exit 2 "$VTAPCTL" dev add "${T}y" offload bogus
check_exit 2 "$VTAPCTL" dev add "${T}y" mtu
check_exit 2 "$VTAPCTL" dev add "${T}y" vnet-hdr 0 offload csum
check_exit 2 "$VTAPCTL" dev frobnicate
check_exit 2 "$VTAPCTL" offload set dev "$T"
check_exit 2 "$VTAPCTL" offload show
check test ! -e "/sys/class/net/${T}y"

# Prefixes, TUN mode, delete.
T2=$(uname_ u)
cleanup_add ip link del "$T2"
check "$VTAPCTL" d a "$T2" q 2 vnet 0 tun
check [ "$(json 'd[0]["mode"]' <<<"$("$VTAPCTL" -j dev show "$T2")")" = tun ]
check "$VTAPCTL" dev del "$T2"

check "$VTAPCTL" rss set dev "$T" types all table equal 4
PINS=$(json 'd[0]["pins"]' <<<"$("$VTAPCTL" -j steer show dev "$T")")
cleanup_add rm -rf "$PINS"
check test -e "$PINS/cfg"
check "$VTAPCTL" -j dev del "$T"
check test ! -e "/sys/class/net/$T"
check test ! -e "$RUN"
check test ! -e "$PINS"
check_exit 1 "$VTAPCTL" dev del "$T"
finish
