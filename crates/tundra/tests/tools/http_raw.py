#!/usr/bin/env python3
"""One raw HTTP exchange over a plain socket, for what curl will not send: malformed
requests, 100 pipelined requests in one write, a slowloris head.

  http_raw.py HOST PORT [--drip SECS] [--wait SECS] < request-bytes

Connects, sends stdin's bytes (all at once, or one byte every SECS with --drip; the
sending stops early if the server closes), then reads until the server closes or
--wait seconds (default 10) pass without data. Prints one JSON object:
  {"response": <bytes as latin-1 text>, "end": "eof" | "reset" | "timeout",
   "elapsed": <seconds from connect to end>, "sent": <bytes sent>}
"""
import json
import socket
import sys
import time


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    drip = None
    wait = 10.0
    args = sys.argv[3:]
    while args:
        flag, value = args[0], float(args[1])
        args = args[2:]
        if flag == "--drip":
            drip = value
        elif flag == "--wait":
            wait = value
        else:
            sys.exit(f"unknown option {flag}")
    payload = sys.stdin.buffer.read()
    sock = socket.create_connection((host, port), timeout=5)
    start = time.monotonic()
    response = b""
    end = None
    sent = 0
    if drip is None:
        sock.sendall(payload)
        sent = len(payload)
    else:
        # One byte at a time; watch for the server's answer in between.
        for b in payload:
            try:
                sock.sendall(bytes([b]))
                sent += 1
            except (BrokenPipeError, ConnectionResetError):
                end = "reset"
                break
            sock.settimeout(drip)
            try:
                data = sock.recv(65536)
                if not data:
                    end = "eof"
                    break
                response += data
            except socket.timeout:
                pass
    sock.settimeout(wait)
    while end is None:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            end = "timeout"
            break
        except ConnectionResetError:
            end = "reset"
            break
        if not data:
            end = "eof"
            break
        response += data
    elapsed = time.monotonic() - start
    sock.close()
    print(json.dumps({
        "response": response.decode("latin-1"),
        "end": end,
        "elapsed": round(elapsed, 3),
        "sent": sent,
    }))


if __name__ == "__main__":
    main()
