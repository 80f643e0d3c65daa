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
    print(json.dumps(echo(url) if mode == "echo" else chat(url)))
