#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tap_reader.py - a VMM-style opener of a tap that does not use libvtap:
open + TUNSETIFF per queue, read every queue for a while, and write what
arrived (frames of interest as a pcap, the queue of each, per-queue totals).

    tap_reader.py NAME QUEUES HDR_LEN SECONDS OUT_PREFIX [tun]

Prints "ready" on stdout once the queues are open, then reads until a STOP
file appears next to OUT_PREFIX (then drains what is queued and exits) or
SECONDS pass. Writes OUT_PREFIX.pcap
(IPv4 UDP/TCP frames to 10.78.0.2, Ethernet or raw IP for tun, in arrival
order per queue sorted by destination port), OUT_PREFIX.q (queue of each
frame of the pcap, one per line), OUT_PREFIX.tcp (queue of each TCP frame
to port 5201) and OUT_PREFIX.all (frames read per queue, all kinds).
A DETACH file next to OUT_PREFIX makes it detach the steering program
(TUNSETSTEERINGEBPF with fd -1, as QEMU does) and remove the file.
"""
import fcntl, os, select, struct, sys, time

TUNSETIFF = 0x400454ca
TUNSETSTEERINGEBPF = 0x800454e0
IFF_TUN, IFF_TAP, IFF_NO_PI, IFF_MULTI_QUEUE, IFF_VNET_HDR = 1, 2, 0x1000, 0x100, 0x4000

name, nq, hdr, secs, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
tun = len(sys.argv) > 6 and sys.argv[6] == "tun"
flags = (IFF_TUN if tun else IFF_TAP) | IFF_NO_PI | IFF_MULTI_QUEUE | (IFF_VNET_HDR if hdr else 0)
fds = []
for _ in range(nq):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name.encode(), flags))
    fds.append(fd)
print("ready", flush=True)
detach = os.path.join(os.path.dirname(out) or ".", "DETACH")
stop = os.path.join(os.path.dirname(out) or ".", "STOP")
got, tcp, allq = [], [], [0] * nq
end = time.time() + secs
idle = 0
while time.time() < end:
    if os.path.exists(detach):
        fcntl.ioctl(fds[0], TUNSETSTEERINGEBPF, struct.pack("i", -1))
        os.unlink(detach)
        print("detached", flush=True)
    r, _, _ = select.select(fds, [], [], 0.05)
    # Stopping: everything sent was queued before STOP; read until the
    # queues stay empty.
    if os.path.exists(stop):
        idle = 0 if r else idle + 1
        if idle >= 4:
            break
    for fd in r:
        q = fds.index(fd)
        while True:
            try:
                b = os.read(fd, 65536)
            except BlockingIOError:
                break
            allq[q] += 1
            f = b[hdr:]
            ip = f if tun else f[14:]
            if not tun and f[12:14] != b"\x08\x00":
                continue
            if len(ip) < 24 or ip[0] >> 4 != 4 or ip[16:20] != bytes([10, 78, 0, 2]):
                continue
            l4 = ip[(ip[0] & 15) * 4:]
            dport = struct.unpack("!H", l4[2:4])[0]
            if ip[9] == 6 and dport == 5201:
                tcp.append(q)
            elif ip[9] == 17:
                got.append((dport, q, f))
got.sort(key=lambda g: g[0])
with open(out + ".pcap", "wb") as p:
    p.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101 if tun else 1))
    for _, _, f in got:
        p.write(struct.pack("<IIII", 0, 0, len(f), len(f)) + f)
with open(out + ".q", "w") as p:
    p.writelines("%d\n" % q for _, q, _ in got)
with open(out + ".tcp", "w") as p:
    p.writelines("%d\n" % q for q in tcp)
with open(out + ".all", "w") as p:
    p.write(" ".join(map(str, allq)) + "\n")
