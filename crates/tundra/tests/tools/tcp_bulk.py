#!/usr/bin/env python3
"""Bulk TCP transfers against Tundra's demo services, verified by SHA-256.

  tcp_bulk.py upload HOST PORT NBYTES     send NBYTES of a seeded pattern to discard,
                                          print "sent N sha256 H"
  tcp_bulk.py download HOST PORT NBYTES   ask chargen for NBYTES ("N\\n"), read to EOF,
                                          check the RFC 864 pattern, print "received N sha256 H ok"
Exits non-zero on any mismatch, short read or timeout.
"""
import hashlib
import socket
import sys
import time

CHUNK = 256 * 1024


def upload_pattern(i0, n):
    # A pattern that is not periodic at any small power of two, so a dropped or
    # duplicated segment changes the hash.
    return bytes(((i * 7 + (i >> 11)) & 0xFF) for i in range(i0, i0 + n))


def chargen_period():
    """RFC 864 chargen: lines of 72 printable characters rotating by one per line, CRLF.
    The pattern repeats every 95 lines."""
    return b"".join(bytes(32 + ((line + col) % 95) for col in range(72)) + b"\r\n" for line in range(95))


def chargen_sha256(n):
    period = chargen_period()
    h = hashlib.sha256()
    full, rest = divmod(n, len(period))
    for _ in range(full):
        h.update(period)
    h.update(period[:rest])
    return h.hexdigest()


def upload(host, port, total):
    s = socket.create_connection((host, port), timeout=30)
    h = hashlib.sha256()
    block = upload_pattern(0, CHUNK + 7)
    sent = 0
    t0 = time.time()
    while sent < total:
        n = min(CHUNK, total - sent)
        # Slide the pattern so consecutive blocks differ.
        off = (sent // CHUNK) % 7
        chunk = block[off:off + n]
        s.sendall(chunk)
        h.update(chunk)
        sent += n
    s.shutdown(socket.SHUT_WR)
    # Discard never answers; wait for its FIN so we know it read everything.
    while s.recv(65536):
        pass
    dt = time.time() - t0
    s.close()
    print(f"sent {sent} sha256 {h.hexdigest()} in {dt:.2f}s {sent / dt / 1e6:.1f} MB/s")


def download(host, port, total):
    s = socket.create_connection((host, port), timeout=30)
    s.sendall(f"{total}\n".encode())
    h = hashlib.sha256()
    got = 0
    t0 = time.time()
    while True:
        data = s.recv(1 << 20)
        if not data:
            break
        h.update(data)
        got += len(data)
    dt = time.time() - t0
    s.close()
    expect = chargen_sha256(total)
    ok = got == total and h.hexdigest() == expect
    print(f"received {got} sha256 {h.hexdigest()} in {dt:.2f}s {got / max(dt, 1e-9) / 1e6:.1f} MB/s {'ok' if ok else 'MISMATCH expected ' + expect}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    mode, host, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    {"upload": upload, "download": download}[mode](host, port, n)
