#!/bin/bash
# SPDX-License-Identifier: MIT
# test_vtapctl_qdepth.sh - vtapctl dev add/set qlen and budget on real
# taps: txqueuelen, the record in the run directory, dev show (text and JSON), the
# note when the floor wins, errors that name the tap, and vtapctl stats.
. "$VTAP_SRCDIR/tests/lib.sh"
require_root

T=$(uname_ q)
cleanup_add ip link del "$T"
cleanup_add "$VTAPCTL" dev del "$T"

json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
qlen() { cat "/sys/class/net/$T/tx_queue_len"; }
dev() { "$VTAPCTL" -j dev show "$T" | json "d[0]['$1']"; }

# 64 MiB over 4 queues of 1500-byte frames: 11184 frames each.
check "$VTAPCTL" dev add "$T" queues 4 budget 64M
RUN=$(rundir_of "$T")
check [ "$(qlen)" = 11184 ]
check [ "$(cat "$RUN/qdepth")" = "budget 67108864" ]
out=$("$VTAPCTL" dev show "$T")
check grep -q "qlen 11184 (from budget) budget 67108864 bytes, worst case 67104000 bytes = 4 queue(s) x 11184 x 1500-byte frames" <<<"$out"
check [ "$(dev qlen)" = 11184 ]
check [ "$(dev budget_bytes)" = 67108864 ]
check [ "$(dev worst_case_bytes)" = $((11184 * 4 * 1500)) ]
check [ "$(dev qdepth_mode)" = budget ]
check [ "$(dev over_budget)" = False ]

# offload set attaches the queues through libvtap: GSO on, 64 KiB frames,
# 64 MiB / (4 x 64 KiB) = 256, just within the budget.
check "$VTAPCTL" offload set dev "$T" csum,tso4
check [ "$(qlen)" = 256 ]
check [ "$(dev worst_case_bytes)" = 67108864 ]
check [ "$(dev over_budget)" = False ]

# A budget too small for the floor: accepted, the floor wins, a note on
# stderr says what it needs; nothing on stdout in text mode.
err=$("$VTAPCTL" dev set "$T" budget 1M 2>&1 >/dev/null); rc=$?
check [ "$rc" = 0 ]
check [ "$(wc -l <<<"$err")" = 1 ]
check grep -q "note: budget of '$T': 1048576 bytes is below the floor of 256 frames per queue" <<<"$err"
check grep -q "the floor wins, depth 256; give a budget of at least 67108864" <<<"$err"
check [ "$(qlen)" = 256 ]
check [ "$(dev over_budget)" = True ]
check grep -q ", over budget" <<<"$("$VTAPCTL" dev show "$T")"
qderr=$(mktemp)
cleanup_add rm -f "$qderr"
j=$("$VTAPCTL" -j dev set "$T" budget 512k 2>"$qderr")
check [ ! -s "$qderr" ]
check [ "$(json 'd[0]["budget_bytes"], d[0]["qlen"], d[0]["over_budget"]' <<<"$j")" = "(524288, 256, True)" ]

# Larger budgets: 2 GiB / (4 x 64 KiB) = 8192; never above 65536.
check "$VTAPCTL" dev set "$T" budget 2G
check [ "$(qlen)" = 8192 ]
# Kernels that refuse a txqueuelen of 32768 or more (6.1) get the deepest
# they take.
check "$VTAPCTL" dev set "$T" budget 1T
if [ "$(qlen)" = 32767 ]; then
	check_exit 2 ip link set "$T" txqueuelen 32768
else
	check [ "$(qlen)" = 65536 ]
fi

# A VMM that does not use libvtap attaches its queues: the depth stays
# where the budget was last applied.
check "$VTAPCTL" dev set "$T" budget 128M
check [ "$(qlen)" = 512 ]
python3 - "$T" <<'PY'
import fcntl, os, struct, sys
fds = []
for _ in range(2):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH22x", sys.argv[1].encode(),
                0x2 | 0x1000 | 0x100 | 0x4000))
    fds.append(fd)
PY
check [ "$(qlen)" = 512 ]

# A fixed depth, then off (the depth stays, the record goes).
check "$VTAPCTL" dev set "$T" qlen 300
check [ "$(qlen)" = 300 ]
check [ "$(cat "$RUN/qdepth")" = "qlen 300" ]
check grep -q "qlen 300 (fixed) budget off" <<<"$("$VTAPCTL" dev show "$T")"
check [ "$(dev qdepth_mode)" = qlen ]
check [ "$(dev budget_bytes)" = None ]
check "$VTAPCTL" offload set dev "$T" none
check [ "$(qlen)" = 300 ]
check "$VTAPCTL" d se "$T" b off
check [ "$(qlen)" = 300 ]
check test ! -e "$RUN/qdepth"
check [ "$(dev qdepth_mode)" = kernel ]
check grep -q "qlen 300 (kernel) budget off" <<<"$("$VTAPCTL" dev show "$T")"

# stats names the kernel's queue-full drops.
check [ "$("$VTAPCTL" -j stats dev "$T" | json 'd[0]["rx_queue_full_drops"]')" = 0 ]
check grep -q "rx_queue_full_drops 0 (frames for the reader dropped because their queue was full" <<<"$("$VTAPCTL" stats dev "$T")"

# Errors: exit 1, one line naming the tap and the fix.
err=$("$VTAPCTL" dev set nosuchdev0 qlen 5 2>&1 >/dev/null); rc=$?
check [ "$rc" = 1 ]
check [ "$(wc -l <<<"$err")" = 1 ]
check grep -q "set the queue depth of 'nosuchdev0': No such device (no such tap; create it with 'vtapctl dev add')" <<<"$err"
err=$("$VTAPCTL" dev set lo qlen 5 2>&1 >/dev/null); rc=$?
check [ "$rc" = 1 ]
check grep -q "set the queue depth of 'lo': not a tun/tap device" <<<"$err"
if command -v setpriv >/dev/null; then
	err=$(setpriv --reuid=1001 --regid=1001 --clear-groups "$VTAPCTL" dev set "$T" qlen 5 2>&1); rc=$?
	check [ "$rc" = 1 ]
	check grep -q "'$T'.*needs CAP_NET_ADMIN" <<<"$err"
	check [ "$(qlen)" = 300 ]
fi

# dev add with qlen, in JSON; dev del removes the record with the tap.
T2=$(uname_ r)
cleanup_add ip link del "$T2"
cleanup_add "$VTAPCTL" dev del "$T2"
j=$("$VTAPCTL" -j dev add "$T2" queues 2 qlen 4096)
RUN2=$(rundir_of "$T2")
check [ "$(json 'd[0]["qlen"], d[0]["qdepth_mode"]' <<<"$j")" = "(4096, 'qlen')" ]
check [ "$(cat "/sys/class/net/$T2/tx_queue_len")" = 4096 ]
check "$VTAPCTL" dev del "$T2"
check test ! -e "$RUN2"
# A plain dev add leaves the kernel's depth.
check "$VTAPCTL" dev add "$T2"
check [ "$(cat "/sys/class/net/$T2/tx_queue_len")" = 1000 ]
check [ "$("$VTAPCTL" -j dev show "$T2" | json "d[0]['qdepth_mode']")" = kernel ]
check "$VTAPCTL" dev del "$T2"

# A tap deleted another way leaves its record; a new tap of that name
# does not inherit it.
check "$VTAPCTL" dev add "$T2" queues 2 budget 1M
RUN2=$(rundir_of "$T2")
check test -e "$RUN2/qdepth"
check ip link del "$T2"
check "$VTAPCTL" dev add "$T2" queues 2
check test ! -e "$RUN2/qdepth"
check test ! -e "$(rundir_of "$T2")/qdepth"
check [ "$(cat "/sys/class/net/$T2/tx_queue_len")" = 1000 ]
check "$VTAPCTL" dev del "$T2"

check "$VTAPCTL" dev del "$T"
check test ! -e "$RUN"
finish
