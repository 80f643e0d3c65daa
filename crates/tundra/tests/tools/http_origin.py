#!/usr/bin/env python3
"""A tiny HTTP/1.1 origin server for `tundra get`, with the framings python's
http.server does not use:

  http_origin.py ADDR PORT DIR

  GET /chunked/NAME   DIR/NAME as a chunked body (chunk sizes 1, 2, 3, ... up to 4096
                      bytes, a chunk extension on each, and a trailer field)
  GET /close/NAME     DIR/NAME with neither Content-Length nor chunked: the body ends
                      when the server closes (RFC 9112 §6.3 rule 8)
  anything else       404 with Content-Length

One connection at a time, one request per connection; runs until killed.
"""
import os
import socket
import sys


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    return data.split(b"\r\n", 1)[0].decode("latin-1")


def serve(conn, root):
    line = read_head(conn)
    if line is None:
        return
    parts = line.split(" ")
    path = parts[1] if len(parts) == 3 else ""
    kind, _, name = path.lstrip("/").partition("/")
    file = os.path.join(root, os.path.basename(name)) if name else ""
    if kind not in ("chunked", "close") or not os.path.isfile(file):
        body = b"not found\n"
        conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: %d\r\n"
                     b"Connection: close\r\n\r\n%s" % (len(body), body))
        return
    with open(file, "rb") as f:
        data = f.read()
    if kind == "chunked":
        out = [b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
               b"Transfer-Encoding: chunked\r\nTrailer: X-Origin-Check\r\n\r\n"]
        pos, size = 0, 1
        while pos < len(data):
            piece = data[pos:pos + size]
            out.append(b"%x;ext=%d\r\n%s\r\n" % (len(piece), size, piece))
            pos += len(piece)
            size = min(size + 1, 4096) if size < 64 else min(size * 2, 4096)
        out.append(b"0\r\nX-Origin-Check: done\r\n\r\n")
        conn.sendall(b"".join(out))
    else:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                     b"Connection: close\r\n\r\n" + data)
    # Close after everything is sent; shutdown first so the FIN follows the data.
    conn.shutdown(socket.SHUT_WR)
    try:
        while conn.recv(4096):
            pass
    except OSError:
        pass


def main():
    addr, port, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(8)
    print(f"listening on {addr}:{port}", flush=True)
    while True:
        conn, _ = srv.accept()
        conn.settimeout(10)
        try:
            serve(conn, root)
        except OSError as e:
            print(f"connection error: {e}", flush=True)
        finally:
            conn.close()


if __name__ == "__main__":
    main()
