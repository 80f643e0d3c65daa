#!/usr/bin/env python3
"""A small WebSocket echo exchange on Python `websockets` (13.1, pinned in .ci/run), the
same on both sides of scripts/compare.sh and in the ws-echo replay golden
(scripts/record-golden.sh).

  ws-echo.py client URL        # one text and one binary message, each echoed; close 1000
  ws-echo.py serve HOST PORT   # the kernel side of compare.sh: echo every message on /echo

The client prints one line, `text=... binary=ok close=1000`, for the caller to judge.
The sync API of websockets 13 sends no keepalive pings, so a capture holds the exchange
and nothing else.
"""

import sys


def client(url):
    from websockets.sync.client import connect

    with connect(url, open_timeout=5, close_timeout=5) as ws:
        ws.send("hello, tundra")
        text = ws.recv(timeout=5)
        ws.send(bytes(range(16)))
        binary = ws.recv(timeout=5)
    rcvd = ws.protocol.close_rcvd
    print(
        "text=%s binary=%s close=%s"
        % (text, "ok" if binary == bytes(range(16)) else repr(binary), rcvd.code if rcvd else None)
    )


def serve(host, port):
    from websockets.sync.server import serve as ws_serve

    def handler(ws):
        for message in ws:
            ws.send(message)

    with ws_serve(handler, host, port) as server:
        print("serving on %s:%d" % (host, port), flush=True)
        server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "client":
        client(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
