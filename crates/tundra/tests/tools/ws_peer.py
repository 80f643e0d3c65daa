#!/usr/bin/env python3
"""A WebSocket peer for the end-to-end tests, built on Python `websockets` (pinned in
.ci/run): `ws_peer.py echo URL` sends a text, a binary and a 10 MiB binary message to
an echo endpoint; `ws_peer.py chat URL` has two members talk in the room. Prints one
JSON object with what was received, so the Rust test judges it. `ws_peer.py serve
HOST PORT` is a kernel-side echo server for `tundra ws`."""

import hashlib
import json
import random
import sys
import time

from websockets.sync.client import connect


def echo(url):
    out = {}
    with connect(url, max_size=16 * 1024 * 1024, open_timeout=10, close_timeout=10) as ws:
        ws.send("hello, tundra \u2603")
        out["text"] = ws.recv(timeout=10)
        ws.send(bytes(range(256)))
        got = ws.recv(timeout=10)
        out["binary_ok"] = isinstance(got, bytes) and got == bytes(range(256))
        big = random.Random(6455).randbytes(10 * 1024 * 1024)
        ws.send(big)
        got = ws.recv(timeout=60)
        out["big_sent_sha256"] = hashlib.sha256(big).hexdigest()
        out["big_recv_sha256"] = hashlib.sha256(got).hexdigest() if isinstance(got, bytes) else None
        out["big_recv_len"] = len(got)
    out["close_code"] = ws.protocol.close_rcvd.code if ws.protocol.close_rcvd else None
    return out


def chat(url):
    out = {"alice": [], "bob": []}
    with connect(url, open_timeout=10) as a, connect(url, open_timeout=10) as b:
        out["alice"].append(a.recv(timeout=10))  # welcome
        out["bob"].append(b.recv(timeout=10))
        a.send("/nick alice")
        out["alice"].append(a.recv(timeout=10))  # * alice joined
        b.send("/nick bob")
        out["alice"].append(a.recv(timeout=10))  # * bob joined
        out["bob"].append(b.recv(timeout=10))
        a.send("hi bob")
        out["alice"].append(a.recv(timeout=10))
        out["bob"].append(b.recv(timeout=10))
        a.close()
        out["bob"].append(b.recv(timeout=10))  # * alice left
    return out


def slow(url):
    """Three members: `slow` stops reading (a 4 KiB socket receive buffer), `fast`
    says 2000 lines of 900 bytes, `watcher` reads everything."""
    import socket
    import threading
    from urllib.parse import urlsplit

    n, size = 2000, 900
    u = urlsplit(url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((u.hostname, u.port or 80))
    out = {"watcher": [], "fast_received": 0}
    # The slow member declines permessage-deflate: the test is about bytes piling up
    # behind a reader that stops, and 2000 lines of 900 repeated bytes deflate about
    # 100:1 (they would all fit in the buffers). The other two compress.
    s = connect(url, sock=sock, open_timeout=10, compression=None)
    s.recv(timeout=10)
    s.send("/nick slow")
    s.recv(timeout=10)
    f = connect(url, open_timeout=10)
    f.recv(timeout=10)
    f.send("/nick fast")
    f.recv(timeout=10)
    w = connect(url, open_timeout=10)
    w.recv(timeout=10)
    w.send("/nick watcher")
    w.recv(timeout=10)
    f.recv(timeout=10)  # * watcher joined

    def fast_reader():
        try:
            while True:
                f.recv(timeout=30)
                out["fast_received"] += 1
        except Exception:
            pass

    def watcher_reader():
        lines = out["watcher"]
        seen_left = False
        said = 0
        try:
            while not (seen_left and said == n):
                m = w.recv(timeout=30)
                if m == "* slow left":
                    seen_left = True
                    lines.append(m)
                elif m.startswith("fast: "):
                    if m != "fast: " + ("%04d " % said).ljust(size, "x"):
                        lines.append("out of order: " + m[:20])
                    said += 1
                else:
                    lines.append(m)
        except Exception as e:
            lines.append("watcher: " + str(e))
        out["watcher_said"] = said

    threading.Thread(target=fast_reader, daemon=True).start()
    watcher = threading.Thread(target=watcher_reader)
    watcher.start()
    # Paced (50 lines, then 20 ms) so that members that do read keep up; the slow one
    # falls behind whatever the pace.
    for i in range(n):
        f.send(("%04d " % i).ljust(size, "x"))
        if i % 50 == 49:
            time.sleep(0.02)
    watcher.join()
    # The slow member now reads: its backlog, then the server's Close.
    got = 0
    try:
        while True:
            s.recv(timeout=30)
            got += 1
    except Exception:
        pass
    out["slow_got"] = got
    rcvd = s.protocol.close_rcvd
    out["slow_close"] = [rcvd.code, rcvd.reason] if rcvd else None
    f.close()
    w.close()
    return out


def serve(host, port):
    from websockets.sync.server import serve as ws_serve

    def handler(ws):
        for message in ws:
            ws.send(message)

    with ws_serve(handler, host, port) as server:
        server.serve_forever()


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
        sys.exit(0)
    mode, url = sys.argv[1], sys.argv[2]
    print(json.dumps({"echo": echo, "chat": chat, "slow": slow}[mode](url)))
