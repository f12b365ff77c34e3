#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# vtapctl hash on tests/data/sample.pcap, checked against the public RSS
# vectors: the capture holds, for each line of shared/vectors/toeplitz.txt,
# a TCP then a UDP frame of that flow; then an ARP frame and a later IPv4
# fragment of the first flow (see scripts/gen-sample-pcap.py).
. "$VTAP_SRCDIR/tests/lib.sh"
pcap=$VTAP_DATA/sample.pcap
vectors=$VTAP_SHARED/vectors/toeplitz.txt
[ -r "$vectors" ] || skip "no $vectors"

expect=$(mktemp); got=$(mktemp); err=$(mktemp)
cleanup_add rm -f "$expect" "$got" "$err"

# Build the expected lines from the vectors: $1 = field for TCP/UDP hash
# (5 = 2-tuple, 6 = 4-tuple), $2 = table length (queue = hash & (len-1)),
# $3 = 1 when only the L3 types are on. With all types on, IPv6 TCP/UDP
# report the _EX types (vtap's _EX rule; no HAO/RH2, so the same hash).
expected() {
	awk -v col="$1" -v tl="$2" -v l3only="$3" '
	/^#/ || NF < 6 { next }
	{
		v6 = index($1, ":") > 0
		h = strtonum($col)
		for (p = 0; p < 2; p++) {
			if (l3only) rep = v6 ? "ipv6" : "ipv4"
			else rep = (p ? "udp" : "tcp") (v6 ? "v6_ex" : "v4")
			printf "%d 0x%08x %s %d\n", i++, h, rep, and(h, tl - 1)
		}
		if (!first) first = strtonum($5)
	}
	END {
		printf "%d 0x00000000 none 0\n", i++
		printf "%d 0x%08x ipv4 %d\n", i++, first, and(first, tl - 1)
	}' "$vectors"
}

expected 6 1 0 >"$expect"
"$VTAPCTL" hash "$pcap" >"$got" 2>"$err"
check diff -u "$expect" "$got"

expected 6 8 0 >"$expect"
"$VTAPCTL" hash table equal 8 "$pcap" >"$got"
check diff -u "$expect" "$got"

expected 5 4 1 >"$expect"
"$VTAPCTL" hash types ipv4,ipv6 table 0,1,2,3 "$pcap" >"$got"
check diff -u "$expect" "$got"

# `table` means what it means in `rss set`: a lone number N is a queue
# count (`table equal N`, ethtool -X's `equal N`, with or without
# `table`); two or more numbers are the entries themselves; `weight`.
"$VTAPCTL" hash table 3,3 "$pcap" >"$got"
check test "$(awk '$3 != "none" && $4 != 3' "$got" | wc -l)" = 0
check test "$(awk '$4 == 3' "$got" | wc -l)" -gt 0
expected 6 8 0 >"$expect"
"$VTAPCTL" hash table 8 "$pcap" >"$got"
check diff -u "$expect" "$got"
# weight 1,3: entries 0..31 queue 0, 32..127 queue 1.
"$VTAPCTL" hash table weight 1,3 "$pcap" >"$got"
check test "$(awk '$3 != "none" {h = strtonum($2) % 128; if ($4 != (h < 32 ? 0 : 1)) n++} END {print n + 0}' "$got")" = 0
expected 5 4 1 >"$expect"

# Prefixes of keywords are accepted.
"$VTAPCTL" hash ty ipv4,ipv6 ta 0,1,2,3 "$pcap" >"$got"
check diff -u "$expect" "$got"

# Unclassified queue and no types: every frame NONE on that queue.
"$VTAPCTL" hash types none unclassified 5 "$pcap" >"$got"
check test "$(awk '$2 != "0x00000000" || $3 != "none" || $4 != 5' "$got" | wc -l)" = 0
check test "$(wc -l <"$got")" = "$(wc -l <"$expect")"

# The default key spelled out gives the same result; another key differs.
key=$(awk '/^# key/ {print $3}' "$vectors")
expected 6 1 0 >"$expect"
"$VTAPCTL" hash key "$key" "$pcap" >"$got"
check diff -u "$expect" "$got"
"$VTAPCTL" hash key 0102030405060708 "$pcap" >"$got"
check test "$(head -1 "$got")" != "$(head -1 "$expect")"

# JSON: an array of {index, hash, report, queue} with the same values.
"$VTAPCTL" -j hash table equal 8 "$pcap" >"$got"
expected 6 8 0 >"$expect"
check python3 - "$got" "$expect" <<'PY'
import json, sys
arr = json.load(open(sys.argv[1]))
want = [l.split() for l in open(sys.argv[2])]
assert len(arr) == len(want), (len(arr), len(want))
for o, w in zip(arr, want):
    assert set(o) == {"index", "hash", "report", "queue"}, o
    assert (o["index"], o["hash"], o["report"], o["queue"]) == \
        (int(w[0]), int(w[1], 16), w[2], int(w[3])), (o, w)
PY

# pcapng input: the same frames rewritten as a pcapng file (section header,
# interface description, enhanced packet blocks) hash the same.
ng=$(mktemp --suffix=.pcapng)
cleanup_add rm -f "$ng"
check python3 - "$pcap" "$ng" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
assert struct.unpack("<I", data[:4])[0] == 0xA1B2C3D4
linktype = struct.unpack("<I", data[20:24])[0]
def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
out += block(1, struct.pack("<HHI", linktype, 0, 65535))
off, frames = 24, 0
while off < len(data):
    sec, usec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
    ts = sec * 1000000 + usec
    out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF,
                                incl, orig) + data[off + 16:off + 16 + incl])
    off += 16 + incl
    frames += 1
assert frames > 2
open(sys.argv[2], "wb").write(out)
PY
check test "$(head -c 4 "$ng" | od -An -tx1 | tr -d ' ')" = 0a0d0d0a
"$VTAPCTL" hash table equal 8 "$pcap" >"$expect"
"$VTAPCTL" hash table equal 8 "$ng" >"$got"
check test -s "$got"
check diff -u "$expect" "$got"

# Errors: one line on stderr, nothing on stdout, non-zero exit.
for args in "key zz $pcap" "types tcpv5 $pcap" "table 0,1,2 $pcap" \
	"table 257 $pcap" "unclassified 999 $pcap" "key $(printf '%0106d' 1) $pcap" \
	"$pcap key" "$pcap table" "types all $pcap $pcap"; do
	# shellcheck disable=SC2086
	"$VTAPCTL" hash $args >"$got" 2>"$err"
	rc=$?
	check test "$rc" = 2
	check test ! -s "$got"
	check test "$(wc -l <"$err")" = 1
done
"$VTAPCTL" hash /nonexistent.pcap >"$got" 2>"$err"
check test $? = 1
check test ! -s "$got"
check grep -q "cannot read '/nonexistent.pcap'" "$err"
"$VTAPCTL" -j hash /nonexistent.pcap 2>"$err" >"$got"
check python3 -c 'import json,sys; assert "error" in json.load(open(sys.argv[1]))' "$err"
"$VTAPCTL" hash "$VTAP_SRCDIR/README.md" >"$got" 2>"$err"
check test $? = 1
finish
