#!/usr/bin/env python3
"""N concurrent connections to an echo service, each sending SIZE bytes and reading
them back exactly.   tcp_concurrent.py HOST PORT N SIZE
Prints "N ok" or the failures, exits non-zero on any failure."""
import asyncio
import os
import sys


async def one(host, port, idx, size):
    payload = bytes((idx * 31 + i) & 0xFF for i in range(size))
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 30)
    writer.write(payload)
    await writer.drain()
    got = await asyncio.wait_for(reader.readexactly(size), 120)
    writer.write_eof()
    rest = await asyncio.wait_for(reader.read(), 30)
    writer.close()
    await writer.wait_closed()
    if got != payload or rest:
        return f"conn {idx}: echoed data differs"
    return None


async def main(host, port, n, size):
    results = await asyncio.gather(*(one(host, port, i, size) for i in range(n)), return_exceptions=True)
    failures = [r for r in results if r is not None]
    for f in failures[:10]:
        print("FAIL", repr(f))
    print(f"{n - len(failures)} ok, {len(failures)} failed")
    return 0 if not failures else 1


if __name__ == "__main__":
    host, port, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    sys.exit(asyncio.run(main(host, port, n, size)))
