#!/bin/bash
# SPDX-License-Identifier: MIT
# test_steer_attach.sh - steering seen from an opener that does not use
# libvtap (open + TUNSETIFF, as QEMU or cloud-hypervisor do): the
# program's per-queue counts in `vtapctl stats` equal the frames it read
# per queue; when it detaches the program (TUNSETSTEERINGEBPF -1, as QEMU
# does when the guest driver starts) `steer show` says so, and `steer
# attach` or `rss set` put it back: traffic is steered as predicted again.
. "$VTAP_SRCDIR/tests/lib.sh"
. "$VTAP_SRCDIR/tests/net/tap_reader.sh"
require_root
need python3 python3

T=$(uname_ sa)
NS=$(uname_ san)
TMP=$(mktemp -d)
cleanup_add rm -rf "$TMP"

vt() { "$VTAPCTL" -n "$NS" "$@"; }
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

reader_tap "$NS" "$T" 4

# phase OUT [detach]: a reader of the 4 queues while 64 UDP flows go out
# (the reader first detaches the program when asked).
phase() {
	local out=$TMP/$1
	ip netns exec "$NS" python3 "$READER" "$T" "${NQ:-4}" 12 120 "$out" >"$out.log" 2>&1 &
	local pid=$!
	for _ in $(seq 600); do grep -q ready "$out.log" && break; sleep 0.1; done
	if [ "${2:-}" = detach ]; then
		touch "$TMP/DETACH"
		for _ in $(seq 600); do grep -q detached "$out.log" && break; sleep 0.1; done
	fi
	reader_send "$NS"
	touch "$(dirname "$out")/STOP"
	wait "$pid"
	rm -f "$(dirname "$out")/STOP"
}
# predicted OUT: every flow on the queue `vtapctl hash` predicts.
predicted() { reader_predicted "$TMP/$1" 4; }
steering() { vt -j stats dev "$T" | python3 -c '
import json, sys
d = json.load(sys.stdin)[0]
q = {e["queue"]: e["frames"] for e in d["steering"]}
print(" ".join(str(q.get(i, 0)) for i in range(4)))'; }
attached() { vt -j steer show dev "$T" | json 'd[0]["attached"]'; }

# 1. Attached: the program's counts are the frames read, queue by queue.
phase p1
check predicted p1
read_q=$(cat "$TMP/p1.all")
steer_q=$(steering)
echo "read per queue: $read_q; steered per queue: $steer_q"
check test "$read_q" = "$steer_q"
check test "$(python3 -c 'import sys; print(sum(map(int, sys.argv[1:])))' $steer_q)" -ge 64
got=$(vt -j stats dev "$T")
check python3 -c '
import json, sys
d = json.loads(sys.argv[1])[0]
assert d["link"]["to_vmm_packets"] >= 64, d["link"]
assert sum(e["rss"] for e in d["steering"]) >= 64, d["steering"]
assert sum(e["rule"] + e["automq"] for e in d["steering"]) == 0, d["steering"]
' "$got"
check grep -q "to the VMM" <<<"$(vt stats dev "$T")"
check test "$(attached)" = yes

# 2. The opener detaches the program: said so, and traffic is not steered.
phase p2 detach
check test "$(attached)" = no
check grep -q "attached no.*steer attach dev $T" <<<"$(vt steer show dev "$T" | tr '\n' ' ')"
check test "$(vt -j steer show dev "$T" | json 'd[0]["attached_queues"]')" = 0
# 3. steer attach puts it back: an instance of its own, so the answer is
# a fact before any frame passed.
check vt steer attach dev "$T"
check test "$(attached)" = yes
phase p3
check predicted p3
check test "$(attached)" = yes
# 4. Detached again; rss set (a writer) re-attaches by itself.
phase p4 detach
phase p4b
check test "$(attached)" = no
phase p4c
check vt rss set dev "$T" types all table equal 4
phase p5
check predicted p5
check test "$(attached)" = yes
# 5. One queue attached: frames pass, the kernel runs no program. Not a
# detach: "not run", the evidence, no hint.
NQ=1 phase p6
check test "$(attached)" = "not run"
out=$(vt steer show dev "$T")
echo "$out"
check grep -q "attached not run: one queue attached" <<<"$out"
check grep -q "only while two or more queues" <<<"$out"
check_exit 1 grep -q "steer attach dev" <<<"$out"
# Usage of steer attach.
check_exit 2 vt steer attach
check_exit 2 vt steer attach dev "$T" extra
check_exit 1 vt steer attach dev nosuch0
finish
