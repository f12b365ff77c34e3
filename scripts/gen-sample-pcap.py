#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gen-sample-pcap.py - write tests/data/sample.pcap, the README's capture.

The frames carry the flows of the public RSS verification vectors
(shared/vectors/toeplitz.txt) so their hashes are known independently of
vtap: for each vector line, a TCP frame and a UDP frame from src to dst,
in file order; then an ARP frame (no hash) and an IPv4 later fragment
(2-tuple only). Run: scripts/gen-sample-pcap.py VECTORS OUT.pcap
"""
import ipaddress
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(ethertype, payload):
    return (bytes.fromhex("020000000002") + bytes.fromhex("020000000001") +
            struct.pack("!H", ethertype) + payload)


def l4(proto, sport, dport, pseudo):
    if proto == 6:
        hdr = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x18,
                          65535, 0, 0)
        body = hdr + b"vtap"
        c = csum(pseudo(len(body)) + body)
        return body[:16] + struct.pack("!H", c) + body[18:]
    body = struct.pack("!HHHH", sport, dport, 8 + 4, 0) + b"vtap"
    c = csum(pseudo(len(body)) + body) or 0xFFFF
    return body[:6] + struct.pack("!H", c) + body[8:]


def ipv4(src, dst, proto, payload, frag=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, frag,
                      64, proto, 0, src.packed, dst.packed)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return eth(0x0800, hdr + payload)


def frame(src, sport, dst, dport, proto):
    if src.version == 4:
        def pseudo(n):
            return src.packed + dst.packed + struct.pack("!BBH", 0, proto, n)
        return ipv4(src, dst, proto, l4(proto, sport, dport, pseudo))

    def pseudo6(n):
        return src.packed + dst.packed + struct.pack("!I3xB", n, proto)
    seg = l4(proto, sport, dport, pseudo6)
    hdr = struct.pack("!IHBB16s16s", 6 << 28, len(seg), proto, 64,
                      src.packed, dst.packed)
    return eth(0x86DD, hdr + seg)


def main():
    vectors, out = sys.argv[1], sys.argv[2]
    frames = []
    for line in open(vectors):
        if not line.strip() or line.startswith("#"):
            continue
        f = line.split()
        src, sport = ipaddress.ip_address(f[0]), int(f[1])
        dst, dport = ipaddress.ip_address(f[2]), int(f[3])
        frames.append(frame(src, sport, dst, dport, 6))
        frames.append(frame(src, sport, dst, dport, 17))
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + bytes(20)
    frames.append(eth(0x0806, arp))
    frames.append(ipv4(ipaddress.ip_address("66.9.149.187"),
                       ipaddress.ip_address("161.142.100.80"), 6,
                       bytes(24), frag=100))
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)))
            f.write(fr)


if __name__ == "__main__":
    main()
