#!/usr/bin/python3
"""Hostile IPv4 fragment sets against the stack, sent with scapy (Debian's
python3-scapy, so run it with /usr/bin/python3) from inside the test's namespace.

  hostile_fragments.py incomplete DST   fragment zero of an echo request with nothing
                                         after it (time exceeded code 1 expected after
                                         the reassembly timeout), and a lone non-initial
                                         fragment (no time exceeded: no fragment zero)
  hostile_fragments.py hostile DST      overlapping fragments (teardrop style), a "ping
                                         of death" past 65535 bytes, a datagram in 70
                                         fragments, a fragment whose length is not a
                                         multiple of 8, and exact duplicates of a
                                         fragment; none may crash the stack or be
                                         answered, except the last, which completes

Prints one line per set sent and "done"; exits non-zero if scapy fails.
"""
import logging
import sys

# Scapy warns that a TUN device has no link layer; the IP layer is all we send.
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.all import ICMP, IP, Raw, conf, send  # noqa: E402

conf.verb = 0

SRC = "10.0.0.1"


def echo_request(ident, size):
    """The bytes of an ICMP echo request with `size` bytes of data (checksum filled)."""
    return bytes(ICMP(type=8, id=ident, seq=1) / Raw(bytes((i * 7) & 0xFF for i in range(size))))


def frag(dst, ident, offset, data, more, proto=1):
    """One fragment: `offset` in bytes (a multiple of 8), More Fragments as given."""
    flags = "MF" if more else 0
    return IP(src=SRC, dst=dst, id=ident, flags=flags, frag=offset // 8, proto=proto) / Raw(data)


def incomplete(dst):
    msg = echo_request(0x5101, 200)
    send(frag(dst, 0x5101, 0, msg[:64], True))
    print("sent fragment zero of id 0x5101 (208 bytes, 64 sent)")
    send(frag(dst, 0x5102, 64, msg[64:128], True))
    print("sent a lone non-initial fragment of id 0x5102")


def hostile(dst):
    # Overlap: bytes 56..64 arrive twice with different contents (RFC 5722).
    msg = echo_request(0x5201, 100)
    evil = bytes(b ^ 0xFF for b in msg)
    send(frag(dst, 0x5201, 0, msg[:64], True))
    send(frag(dst, 0x5201, 56, evil[56:], False))
    print("sent overlapping fragments of id 0x5201")

    # Ping of death: fragment zero, then a last fragment ending at 65000 + 1000 bytes.
    msg = echo_request(0x5202, 1400)
    send(frag(dst, 0x5202, 0, msg[:1400], True))
    send(frag(dst, 0x5202, 65000, bytes(1000), False))
    print("sent a 66000-byte datagram in fragments (id 0x5202)")

    # 70 fragments of 8 bytes: more than the stack's limit of 64 per datagram.
    msg = echo_request(0x5203, 552)
    pieces = [frag(dst, 0x5203, i, msg[i:i + 8], i + 8 < len(msg)) for i in range(0, len(msg), 8)]
    send(pieces)
    print(f"sent a datagram in {len(pieces)} fragments (id 0x5203)")

    # A non-last fragment of 12 bytes: not a multiple of 8 (RFC 791).
    msg = echo_request(0x5204, 100)
    send(frag(dst, 0x5204, 0, msg[:12], True))
    print("sent a 12-byte non-last fragment (id 0x5204)")

    # Exact duplicates: the same fragment three times, then the rest; the datagram is
    # whole and valid, so this one is answered.
    msg = echo_request(0x5205, 100)
    for _ in range(3):
        send(frag(dst, 0x5205, 0, msg[:64], True))
    send(frag(dst, 0x5205, 64, msg[64:], False))
    print("sent a fragmented echo request with duplicates (id 0x5205)")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("incomplete", "hostile"):
        sys.exit(__doc__)
    {"incomplete": incomplete, "hostile": hostile}[sys.argv[1]](sys.argv[2])
    print("done")


if __name__ == "__main__":
    main()
