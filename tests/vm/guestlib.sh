# SPDX-License-Identifier: MIT
# tests/vm/guestlib.sh - sourced (after tests/lib.sh) by every test that
# starts a guest: the harness (tests/vm/run.sh), the guest's rx queue
# reader (tests/vm/rxq.c), UDP flows from the tap's side and their
# prediction by `vtapctl hash`.
#
#   vm_require             skip unless root, the harness (QEMU, the 6.1
#                          kernel), python3 and vm_rxq are there
#   vm_tmpdir              a scratch directory the guest sees too (under
#                          the build directory, which the harness shares),
#                          removed on exit; sets VM_TMP
#   vm_guest OUT ARGS... -- JOB
#                          boot a guest with the harness (ARGS are its
#                          options) running `bash -c JOB`, its output in
#                          OUT; returns the job's exit status
#   vm_rxq_job IFACE DPORT NFLOWS [NOTIFY_ADDR NOTIFY_PORT [TAG]]
#                          guest shell that records every flow's rx queue
#                          with vm_rxq on IFACE (ports DPORT..), then
#                          prints its lines ("flow I dport P queue Q hash H
#                          moved M", after TAG when given); with
#                          NOTIFY_ADDR it sends "ready" there once a second
#                          while it waits, so the host knows the guest's
#                          driver runs
#   vm_flows_pcap NFLOWS SPORT DPORT SRC DST SRCMAC DSTMAC OUT
#                          the flows' frames as a pcap for vtapctl hash
#   vm_flows_send [NETNS] NFLOWS SPORT DPORT SRC DST
#                          send the flows every half second (in NETNS when
#                          not empty) until killed; the pid is in VM_SPID
#   vm_flows_check PREDICTED GUEST_OUT [TAG]
#                          compare the guest's lines (after TAG) with `vtapctl hash`'s
#                          "INDEX HASH REPORT QUEUE"; prints "seen Q H
#                          MOVED Q0 Q1": flows seen, on the predicted
#                          queue, with the predicted hash, packets that
#                          changed queue, flows on queue 0 and 1
VM_RUN=$VTAP_SRCDIR/tests/vm/run.sh
VM_RXQ=$VTAP_BUILDDIR/tests/vm/vm_rxq
VM_SPID=

vm_require() {
	require_root
	need python3 python3
	need_built "$VM_RXQ"
	local why
	why=$(bash "$VM_RUN" --check 2>&1) || skip "${why#SKIP: }"
}

vm_tmpdir() {
	VM_TMP=$(mktemp -d "$VTAP_BUILDDIR/vm-test.XXXXXX") || fail "mktemp"
	chmod 755 "$VM_TMP"
	cleanup_add rm -rf "$VM_TMP"
	cleanup_add 'kill $VM_SPID 2>/dev/null; wait $VM_SPID 2>/dev/null'
	cat >"$VM_TMP/flows.py" <<'PY'
import socket, struct, sys, time
mode, n, sport, dport, src, dst = sys.argv[1:7]
n, sport, dport = int(n), int(sport), int(dport)
if mode == "pcap":
    smac = bytes.fromhex(sys.argv[7].replace(":", ""))
    dmac = bytes.fromhex(sys.argv[8].replace(":", ""))
    out = open(sys.argv[9], "wb")
    out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(n):
        udp = struct.pack("!HHHH", sport + i, dport + i, 12, 0) + b"flow"
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000,
                         64, 17, 0, socket.inet_aton(src), socket.inet_aton(dst))
        frame = dmac + smac + b"\x08\x00" + ip + udp
        out.write(struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame)
    sys.exit(0)
socks = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, sport + i))
    socks.append(s)
end = time.time() + 600
while time.time() < end:
    for i, s in enumerate(socks):
        s.sendto(b"flow", (dst, dport + i))
    time.sleep(0.5)
PY
}

vm_guest() {
	local out=$1
	shift
	local args=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	shift
	bash "$VM_RUN" "${args[@]}" -- bash -c "$1" >"$out" 2>&1
}

vm_rxq_job() {
	local ifc=$1 dport=$2 n=$3 addr=${4:-} port=${5:-} tag=${6:-}
	cat <<EOF
rm -f /tmp/rxq.ready
$VM_RXQ $ifc $dport $n 300 /tmp/rxq.ready >/tmp/rxq.out &
rxq=\$!
while [ ! -e /tmp/rxq.ready ] && kill -0 \$rxq 2>/dev/null; do sleep 0.1; done
EOF
	if [ -n "$addr" ]; then
		cat <<EOF
while kill -0 \$rxq 2>/dev/null; do
	echo ready >/dev/udp/$addr/$port
	sleep 1
done
EOF
	fi
	cat <<EOF
wait \$rxq
rxq_rc=\$?
sed 's/^/$tag/' /tmp/rxq.out
[ \$rxq_rc = 0 ] || exit \$rxq_rc
EOF
}

vm_flows_pcap() {
	python3 "$VM_TMP/flows.py" pcap "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8"
}

vm_flows_send() {
	local ns=$1
	shift
	if [ -n "$ns" ]; then
		ip netns exec "$ns" python3 "$VM_TMP/flows.py" send "$@" &
	else
		python3 "$VM_TMP/flows.py" send "$@" &
	fi
	VM_SPID=$!
}

vm_flows_stop() {
	[ -n "$VM_SPID" ] || return 0
	kill "$VM_SPID" 2>/dev/null
	wait "$VM_SPID" 2>/dev/null
	VM_SPID=
}

vm_flows_check() {
	awk '
	FNR == NR { q[$1] = $4; h[$1] = tolower($2); next }
	$1 == "flow" && $6 >= 0 {
		seen++
		if ($6 == q[$2]) okq++
		if (tolower($8) == h[$2]) okh++
		if ($6 == 0) q0++
		if ($6 == 1) q1++
		mv += $10
	}
	END { print seen + 0, okq + 0, okh + 0, mv + 0, q0 + 0, q1 + 0 }' \
		"$1" <(grep "^${3:-}flow " "$2" | sed "s/^${3:-}//")
}
