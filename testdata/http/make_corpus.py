#!/usr/bin/env python3
"""Writes the HTTP request corpus: one raw file per case (cases/NAME.http) and
MANIFEST.tsv (name, what Tundra's parser is expected to do, description).

The expectation column reads `<requests> <outcome> [status]`:
  ok       every byte was used, the connection stays open and idle
  closed   a request ended the connection (Connection: close or HTTP/1.0); any later
           bytes are ignored (RFC 9112 §9.6)
  partial  the input stops inside a message
  reject   the stream is refused with the given status, then closed

Re-run after editing: python3 testdata/http/make_corpus.py
The differential test (scripts/http_differential.py) compares these cases with h11.
"""
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = []


def case(name, data, expect, desc):
    if isinstance(data, str):
        data = data.encode("latin-1")
    assert all(c[0] != name for c in CASES), name
    CASES.append((name, data, expect, desc))


def get(target="/", host="example.com", extra="", version="HTTP/1.1", method="GET"):
    h = f"Host: {host}\r\n" if host is not None else ""
    return f"{method} {target} {version}\r\n{h}{extra}\r\n"


# ---------------------------------------------------------------- valid requests
case("get-minimal", get(), "1 ok", "the smallest HTTP/1.1 request")
case("get-path-query", get("/a/b/c?x=1&y=%20z"), "1 ok", "origin-form with a query")
case("get-absolute-form", get("http://example.com/x?y"), "1 ok", "absolute-form target (RFC 9112 §3.2.2)")
case("get-absolute-form-https", get("https://example.com:8443/"), "1 ok", "absolute-form with another scheme")
case("connect-authority-form", get("example.com:443", "example.com:443", method="CONNECT"), "1 ok", "authority-form (RFC 9112 §3.2.3)")
case("options-asterisk", get("*", method="OPTIONS"), "1 ok", "asterisk-form (RFC 9112 §3.2.4)")
case("head", get(method="HEAD"), "1 ok", "HEAD")
case("delete", get("/item/7", method="DELETE"), "1 ok", "DELETE")
case("patch", get("/item/7", extra="Content-Length: 2\r\n", method="PATCH") + "{}", "1 ok", "PATCH with a body")
case("method-custom", get(method="PURGE"), "1 ok", "an extension method is a token")
case("method-lowercase", get(method="get"), "1 ok", "methods are case-sensitive tokens; 'get' is a different method")
case("method-tchars", get(method="X-!#$%&'*+.^_`|~Y"), "1 ok", "every tchar in a method")
case("post-content-length", get("/form", extra="Content-Type: text/plain\r\nContent-Length: 5\r\n", method="POST") + "hello", "1 ok", "POST with Content-Length")
case("post-content-length-zero", get("/", extra="Content-Length: 0\r\n", method="POST"), "1 ok", "Content-Length: 0")
case("post-no-length", get("/", method="POST"), "1 ok", "a request without CL or TE has no body (RFC 9112 §6.3 rule 7)")
case("put-binary-body", get("/bin", extra="Content-Length: 256\r\n", method="PUT").encode() + bytes(range(256)), "1 ok", "every byte value in a body")
case("get-with-body", get("/", extra="Content-Length: 3\r\n") + "abc", "1 ok", "GET may carry content framed by Content-Length")
case("cl-leading-zeros", get("/", extra="Content-Length: 005\r\n", method="POST") + "12345", "1 ok", "1*DIGIT allows leading zeros")
case("cl-ows", get("/", extra="Content-Length:   5   \r\n", method="POST") + "12345", "1 ok", "OWS around the value")
case("cl-identical-duplicates", get("/", extra="Content-Length: 5\r\nContent-Length: 5\r\n", method="POST") + "12345", "1 ok", "identical repeated Content-Length may be accepted (RFC 9110 §8.6)")
case("cl-identical-list", get("/", extra="Content-Length: 5, 5\r\n", method="POST") + "12345", "1 ok", "a list of identical values may be accepted (RFC 9110 §8.6)")
case("header-case-mixed", "GET / HTTP/1.1\r\nhOsT: example.com\r\nACCEPT: */*\r\n\r\n", "1 ok", "field names are case-insensitive")
case("header-no-space", "GET / HTTP/1.1\r\nHost:example.com\r\n\r\n", "1 ok", "OWS after the colon is optional")
case("header-tabs", get(extra="X-A:\t\tv\t\r\n"), "1 ok", "HTAB is OWS")
case("header-trailing-ws", get(extra="X-A: v   \r\n"), "1 ok", "trailing OWS is not part of the value")
case("header-inner-ws", get(extra="X-A: a  b\tc\r\n"), "1 ok", "inner SP and HTAB are kept")
case("header-empty-value", get(extra="X-Empty:\r\n"), "1 ok", "an empty value")
case("header-empty-value-ws", get(extra="X-Empty:   \r\n"), "1 ok", "a value of only whitespace is empty")
case("header-obs-text", get(extra="X-Latin: caf\xe9\r\n"), "1 ok", "obs-text is opaque data (RFC 9110 §5.5)")
case("header-utf8", get(extra="X-U: \xe2\x98\x83\r\n"), "1 ok", "UTF-8 bytes are obs-text")
case("header-quoted", get(extra='X-Q: "a, b" ; c="d"\r\n'), "1 ok", "quoted strings stay as they are")
case("header-colon-in-value", get(extra="X-T: 12:30:45\r\n"), "1 ok", "colons inside a value")
case("header-duplicates", get(extra="Accept: text/html\r\nAccept: */*\r\n"), "1 ok", "repeated fields keep their order")
case("header-name-tchars", get(extra="X-!#$%&'*+.^_`|~: v\r\n"), "1 ok", "every tchar in a field name")
case("header-many-50", get(extra="".join(f"X-H{i}: value {i}\r\n" for i in range(50))), "1 ok", "50 fields")
case("header-long-value-8k", get(extra="X-Long: " + "v" * 8000 + "\r\n"), "1 ok", "an 8000-byte value")
case("header-cookie", get(extra="Cookie: a=1; b=2; session=abc%3D%3D\r\n"), "1 ok", "a typical Cookie")
case("curl-request", "GET /index.html HTTP/1.1\r\nHost: 10.0.0.1:8000\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n", "1 ok", "what curl sends")
case("browser-request", get("/", extra=(
    "Connection: keep-alive\r\nUpgrade-Insecure-Requests: 1\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Encoding: gzip, deflate\r\nAccept-Language: en-US,en;q=0.9\r\n")), "1 ok", "what a browser sends")
case("wrk-request", "GET / HTTP/1.1\r\nHost: 10.0.0.1:80\r\n\r\n", "1 ok", "what wrk sends")
case("lf-line-endings", "GET / HTTP/1.1\nHost: a\nX: y\n\n", "1 ok", "a recipient MAY accept bare LF as a line terminator (RFC 9112 §2.2)")
case("mixed-line-endings", "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\n", "1 ok", "CRLF and LF mixed")
case("http10-no-host", "GET / HTTP/1.0\r\n\r\n", "1 closed", "HTTP/1.0 needs no Host and closes by default")
case("http10-keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "1 ok", "HTTP/1.0 persists with keep-alive (RFC 9112 Appendix C.2.2)")
case("http10-post", "POST /f HTTP/1.0\r\nContent-Length: 4\r\n\r\nabcd", "1 closed", "HTTP/1.0 with a body")
case("http11-close", get(extra="Connection: close\r\n"), "1 closed", "Connection: close")
case("connection-close-upper", get(extra="Connection: CLOSE\r\n"), "1 closed", "connection options are case-insensitive")
case("connection-list-close", get(extra="Connection: keep-alive, close\r\n"), "1 closed", "close anywhere in the list")
case("connection-two-fields", get(extra="Connection: keep-alive\r\nConnection: close\r\n"), "1 closed", "close in a second Connection line")
case("websocket-upgrade", get("/chat", extra=(
    "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n")), "1 ok", "the RFC 6455 opening handshake parses as a GET")
case("h2c-upgrade", get(extra="Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n"), "1 ok", "an h2c upgrade request")
case("expect-100", get("/up", extra="Expect: 100-continue\r\nContent-Length: 4\r\n", method="PUT") + "data", "1 ok", "Expect: 100-continue with its body")
case("expect-100-upper", get("/up", extra="Expect: 100-CONTINUE\r\nContent-Length: 4\r\n", method="PUT") + "data", "1 ok", "expectation tokens are case-insensitive")
case("expect-unknown", get(extra="Expect: something-else\r\n"), "1 ok", "an unknown expectation still parses")
case("version-1-2", get(version="HTTP/1.2"), "1 ok", "a higher minor version is served as 1.1 (RFC 9110 §2.5)")
case("target-percent", get("/%E2%98%83/%2F%20?q=%00"), "1 ok", "percent-encoding is opaque to the parser")
case("target-long-4k", get("/" + "a" * 4000), "1 ok", "a 4001-byte target")
case("target-fragment-char", get("/page#frag"), "1 ok", "'#' is a VCHAR; the parser does not judge URI syntax")
case("target-all-vchar", get("/" + "".join(chr(c) for c in range(0x21, 0x7f))), "1 ok", "every VCHAR in a target")
case("host-ipv6", get(host="[::1]:8080"), "1 ok", "IP-literal host")
case("host-ipv4-port", get(host="10.0.0.1:8000"), "1 ok", "IPv4 host and port")
case("host-empty", "GET / HTTP/1.1\r\nHost:\r\n\r\n", "1 ok", "an empty Host is allowed (RFC 9112 §3.2)")
case("empty-input", "", "0 ok", "nothing received yet")

# ---------------------------------------------------------------- chunked bodies
def chunked(body, extra="", method="POST"):
    return get("/up", extra="Transfer-Encoding: chunked\r\n" + extra, method=method) + body

case("chunked-simple", chunked("5\r\nhello\r\n0\r\n\r\n"), "1 ok", "one chunk")
case("chunked-multi", chunked("5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n"), "1 ok", "three chunks")
case("chunked-upper-hex", chunked("A\r\n0123456789\r\n0\r\n\r\n"), "1 ok", "HEXDIG is case-insensitive")
case("chunked-lower-hex", chunked("a\r\n0123456789\r\n0\r\n\r\n"), "1 ok", "lower-case hex")
case("chunked-leading-zeros", chunked("0005\r\nhello\r\n000\r\n\r\n"), "1 ok", "leading zeros in chunk-size and last-chunk")
case("chunked-extension", chunked("5;name=value\r\nhello\r\n0\r\n\r\n"), "1 ok", "chunk extensions are ignored (RFC 9112 §7.1.1)")
case("chunked-extension-quoted", chunked('5;a="b c";d\r\nhello\r\n0;last\r\n\r\n'), "1 ok", "quoted and valueless extensions")
case("chunked-extension-bws", chunked("5 ;a=b\r\nhello\r\n0\r\n\r\n"), "1 ok", "BWS before ';'")
case("chunked-size-trailing-ws", chunked("5 \r\nhello\r\n0\r\n\r\n"), "1 ok", "whitespace after the size")
case("chunked-trailers", chunked("5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n"), "1 ok", "trailer fields (RFC 9112 §7.1.2)")
case("chunked-te-case", get("/up", extra="Transfer-Encoding: Chunked\r\n", method="POST") + "3\r\nabc\r\n0\r\n\r\n", "1 ok", "transfer-coding names are case-insensitive")
case("chunked-te-ows", get("/up", extra="Transfer-Encoding:   chunked  \r\n", method="POST") + "3\r\nabc\r\n0\r\n\r\n", "1 ok", "OWS around the coding")
case("chunked-empty", chunked("0\r\n\r\n"), "1 ok", "an empty chunked body")
case("chunked-crlf-in-data", chunked("6\r\na\r\nb\r\n\r\n0\r\n\r\n"), "1 ok", "CRLF inside chunk data is data")
case("chunked-big", chunked("2710\r\n" + "x" * 10000 + "\r\n0\r\n\r\n"), "1 ok", "a 10000-byte chunk")
case("chunked-binary", get("/up", extra="Transfer-Encoding: chunked\r\n", method="POST").encode() + b"100\r\n" + bytes(range(256)) + b"\r\n0\r\n\r\n", "1 ok", "every byte value in chunk data")
case("chunked-get", chunked("3\r\nabc\r\n0\r\n\r\n", method="GET"), "1 ok", "chunked content on GET")

# ---------------------------------------------------------------- pipelining
case("pipeline-2-gets", get("/a") + get("/b"), "2 ok", "two requests in one segment")
case("pipeline-3-mixed", get("/a") + get("/f", extra="Content-Length: 3\r\n", method="POST") + "abc" + get("/c"), "3 ok", "GET, POST with body, GET")
case("pipeline-chunked-then-get", chunked("3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n") + get("/after"), "2 ok", "the trailer section ends exactly where the next request starts")
case("pipeline-10-gets", "".join(get(f"/{i}") for i in range(10)), "10 ok", "ten pipelined requests")
case("pipeline-head-then-get", get(method="HEAD") + get("/x"), "2 ok", "HEAD then GET")
case("pipeline-last-close", get("/a") + get("/b", extra="Connection: close\r\n"), "2 closed", "the last request closes")
case("pipeline-after-close", get("/a", extra="Connection: close\r\n") + get("/b"), "1 closed", "nothing after a close is processed (RFC 9112 §9.6)")
case("pipeline-partial-tail", get("/a") + "GET /b HT", "1 partial", "a complete request then a partial one")
case("pipeline-lf-requests", "GET /a HTTP/1.1\nHost: a\n\nGET /b HTTP/1.1\nHost: a\n\n", "2 ok", "pipelined requests with bare LF")

# ---------------------------------------------------------------- partial input
case("partial-request-line", "GET / HTTP/1.1", "0 partial", "no line end yet")
case("partial-method", "GE", "0 partial", "two bytes of a method")
case("partial-headers", "GET / HTTP/1.1\r\nHost: a\r\n", "0 partial", "no empty line yet")
case("partial-final-cr", "GET / HTTP/1.1\r\nHost: a\r\n\r", "0 partial", "the last LF is missing")
case("partial-body-cl", get("/", extra="Content-Length: 10\r\n", method="POST") + "12345", "0 partial", "half of a Content-Length body")
case("partial-chunked-no-last", chunked("5\r\nhello\r\n"), "0 partial", "no last-chunk yet")
case("partial-chunk-data", chunked("a\r\nhello"), "0 partial", "inside chunk data")
case("partial-trailer", chunked("0\r\nX-T: 1\r\n"), "0 partial", "inside the trailer section")

# ---------------------------------------------------------------- leading empty lines
case("leading-crlf", "\r\n" + get(), "1 ok", "a server SHOULD ignore at least one empty line before the request line (RFC 9112 §2.2)")
case("leading-lf", "\n" + get(), "1 ok", "a bare-LF empty line before the request line")
case("leading-crlf-too-many", "\r\n" * 10 + get(), "0 reject 400", "more than 8 empty lines")

# ---------------------------------------------------------------- smuggling: framing conflicts
case("cl-te-both", get("/", extra="Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", method="POST") + "0\r\n\r\n", "0 reject 400", "CL and TE together (RFC 9112 §6.3 rule 3, §11.2)")
case("te-cl-both", get("/", extra="Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", method="POST") + "0\r\n\r\n", "0 reject 400", "TE and CL together, other order")
case("te-cl-both-smuggle", get("/", extra="Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", method="POST") + "0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n", "0 reject 400", "the classic CL.TE smuggling shape")
case("cl-conflicting", get("/", extra="Content-Length: 5\r\nContent-Length: 6\r\n", method="POST") + "123456", "0 reject 400", "two different Content-Lengths")
case("cl-list-conflicting", get("/", extra="Content-Length: 5, 6\r\n", method="POST") + "123456", "0 reject 400", "a list of different values")
case("cl-negative", get("/", extra="Content-Length: -1\r\n", method="POST"), "0 reject 400", "not 1*DIGIT")
case("cl-plus", get("/", extra="Content-Length: +5\r\n", method="POST") + "12345", "0 reject 400", "not 1*DIGIT")
case("cl-hex", get("/", extra="Content-Length: 0x5\r\n", method="POST") + "12345", "0 reject 400", "not 1*DIGIT")
case("cl-inner-space", get("/", extra="Content-Length: 1 0\r\n", method="POST") + "1234567890", "0 reject 400", "digits with a space between")
case("cl-empty", get("/", extra="Content-Length:\r\n", method="POST"), "0 reject 400", "an empty Content-Length")
case("cl-letters", get("/", extra="Content-Length: abc\r\n", method="POST"), "0 reject 400", "letters")
case("cl-overflow", get("/", extra="Content-Length: 99999999999999999999999\r\n", method="POST"), "0 reject 400", "23 digits overflow")
case("cl-trailing-comma", get("/", extra="Content-Length: 5,\r\n", method="POST") + "12345", "0 reject 400", "an empty list member is not a length")
case("te-gzip", get("/", extra="Transfer-Encoding: gzip\r\n", method="POST"), "0 reject 501", "an unknown coding (RFC 9112 §6.1: 501)")
case("te-gzip-chunked", get("/", extra="Transfer-Encoding: gzip, chunked\r\n", method="POST") + "0\r\n\r\n", "0 reject 501", "gzip is not implemented")
case("te-chunked-gzip", get("/", extra="Transfer-Encoding: chunked, gzip\r\n", method="POST") + "0\r\n\r\n", "0 reject 501", "chunked not last, and gzip unknown")
case("te-identity", get("/", extra="Transfer-Encoding: identity\r\n", method="POST"), "0 reject 501", "identity is not a registered coding any more")
case("te-xchunked", get("/", extra="Transfer-Encoding: xchunked\r\n", method="POST"), "0 reject 501", "a coding that only resembles chunked")
case("te-chunked-param", get("/", extra="Transfer-Encoding: chunked;q=1\r\n", method="POST"), "0 reject 501", "chunked takes no parameters")
case("te-chunked-twice", get("/", extra="Transfer-Encoding: chunked, chunked\r\n", method="POST") + "0\r\n\r\n", "0 reject 400", "chunked applied twice (RFC 9112 §7)")
case("te-two-fields", get("/", extra="Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", method="POST") + "0\r\n\r\n", "0 reject 400", "chunked twice across two lines")
case("te-empty", get("/", extra="Transfer-Encoding:\r\n", method="POST"), "0 reject 400", "no coding at all: chunked is not final")
case("te-vtab", get("/", extra="Transfer-Encoding: \x0bchunked\r\n", method="POST") + "0\r\n\r\n", "0 reject 400", "a vertical tab is not OWS")
case("te-space-before-colon", get("/", extra="Transfer-Encoding : chunked\r\n", method="POST") + "0\r\n\r\n", "0 reject 400", "whitespace before the colon (RFC 9112 §5.1)")
case("te-http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "0 reject 400", "TE in HTTP/1.0 means faulty framing (RFC 9112 §6.1)")

# ---------------------------------------------------------------- malformed fields
case("obs-fold", get(extra="X-Folded: a\r\n b\r\n"), "0 reject 400", "obs-fold (RFC 9112 §5.2)")
case("obs-fold-tab", get(extra="X-Folded: a\r\n\tb\r\n"), "0 reject 400", "obs-fold with HTAB")
case("obs-fold-host", "GET / HTTP/1.1\r\nHost: a\r\n .evil\r\n\r\n", "0 reject 400", "obs-fold continuing Host")
case("ws-before-first-field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", "0 reject 400", "whitespace before the first field (RFC 9112 §2.2)")
case("space-before-colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", "0 reject 400", "RFC 9112 §5.1: MUST reject with 400")
case("tab-before-colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", "0 reject 400", "HTAB before the colon")
case("no-colon", get(extra="X-NoColon value\r\n"), "0 reject 400", "a field line without a colon")
case("empty-name", get(extra=": value\r\n"), "0 reject 400", "an empty field name")
case("name-paren", get(extra="X(A): v\r\n"), "0 reject 400", "'(' is a delimiter, not a tchar")
case("name-slash", get(extra="X/A: v\r\n"), "0 reject 400", "'/' is a delimiter")
case("name-non-ascii", get(extra="X\xe9: v\r\n"), "0 reject 400", "a non-ASCII byte in a name")
case("name-nul", get(extra="X\x00A: v\r\n"), "0 reject 400", "NUL in a name")
case("value-nul", get(extra="X-A: a\x00b\r\n"), "0 reject 400", "NUL in a value (RFC 9110 §5.5)")
case("value-bare-cr", get(extra="X-A: a\rb\r\n"), "0 reject 400", "a bare CR in a value (RFC 9110 §5.5, RFC 9112 §2.2)")
case("value-formfeed", get(extra="X-A: a\x0cb\r\n"), "0 reject 400", "a form feed in a value")
case("value-ctl-01", get(extra="X-A: a\x01b\r\n"), "0 reject 400", "a control character in a value")
case("value-ctl-1f", get(extra="X-A: a\x1fb\r\n"), "0 reject 400", "a control character in a value")
case("value-del", get(extra="X-A: a\x7fb\r\n"), "0 reject 400", "DEL in a value")
case("line-cr-cr-lf", "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", "0 reject 400", "CR CR LF after a field")
case("final-cr-without-lf", "GET / HTTP/1.1\r\nHost: a\r\n\rX", "0 reject 400", "CR on the last line not followed by LF")
case("bare-cr-lines", "GET / HTTP/1.1\rHost: a\r\r", "0 reject 400", "CR alone as line terminator")

# ---------------------------------------------------------------- malformed request line
case("rl-double-space", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", "0 reject 400", "two spaces after the method")
case("rl-double-space-2", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", "0 reject 400", "two spaces after the target")
case("rl-tab", "GET\t/\tHTTP/1.1\r\nHost: a\r\n\r\n", "0 reject 400", "HTAB as separator")
case("rl-leading-space", " GET / HTTP/1.1\r\nHost: a\r\n\r\n", "0 reject 400", "a space before the method")
case("rl-trailing-space", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", "0 reject 400", "a space after the version")
case("rl-no-version", "GET /\r\nHost: a\r\n\r\n", "0 reject 400", "HTTP/0.9 style, no version")
case("rl-no-target", "GET HTTP/1.1\r\nHost: a\r\n\r\n", "0 reject 400", "no target")
case("rl-empty-target", "GET  HTTP/1.1\r\nHost: a\r\n\r\n", "0 reject 400", "an empty target")
case("rl-only-method", "GET\r\n\r\n", "0 reject 400", "only a method")
case("rl-lowercase-http", "GET / http/1.1\r\nHost: a\r\n\r\n", "0 reject 400", "HTTP-name is case-sensitive (RFC 9112 §2.3)")
case("rl-version-1-10", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", "0 reject 400", "two-digit minor version")
case("rl-version-11", "GET / HTTP/11\r\nHost: a\r\n\r\n", "0 reject 400", "no dot")
case("rl-version-1", "GET / HTTP/1\r\nHost: a\r\n\r\n", "0 reject 400", "no minor version")
case("rl-version-letter", "GET / HTTP/1.x\r\nHost: a\r\n\r\n", "0 reject 400", "a letter as minor version")
case("rl-version-spaces", "GET / HTTP/ 1.1\r\nHost: a\r\n\r\n", "0 reject 400", "a space inside the version")
case("rl-method-paren", "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", "0 reject 400", "a delimiter in the method")
case("rl-method-nonascii", "G\xc9T / HTTP/1.1\r\nHost: a\r\n\r\n", "0 reject 400", "a non-ASCII byte in the method")
case("rl-target-space", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", "0 reject 400", "a space inside the target (RFC 9112 §3)")
case("rl-target-nul", "GET /a\x00b HTTP/1.1\r\nHost: a\r\n\r\n", "0 reject 400", "NUL in the target")
case("rl-target-del", "GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", "0 reject 400", "DEL in the target")
case("rl-target-nonascii", "GET /caf\xe9 HTTP/1.1\r\nHost: a\r\n\r\n", "0 reject 400", "a raw non-ASCII byte in the target")
case("rl-target-tab", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", "0 reject 400", "HTAB in the target")
case("version-2-0", get(version="HTTP/2.0"), "0 reject 505", "major version 2 over HTTP/1 syntax")
case("version-0-9", get(version="HTTP/0.9"), "0 reject 505", "HTTP/0.9 with a version token")
case("version-3-0", get(version="HTTP/3.0"), "0 reject 505", "major version 3")
case("h2-preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "0 reject 505", "the HTTP/2 connection preface")
case("tls-client-hello", bytes.fromhex("16030100a5010000a10303") + bytes(range(32)) + b"\x00\x20" + bytes(32), "0 reject 400", "a TLS ClientHello sent to the HTTP port")
case("nul-bytes", b"\x00" * 16, "0 reject 400", "NUL bytes")
case("ssh-banner", "SSH-2.0-OpenSSH_9.6\r\n", "0 reject 400", "an SSH banner")

# ---------------------------------------------------------------- Host
case("missing-host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", "0 reject 400", "HTTP/1.1 without Host (RFC 9112 §3.2)")
case("duplicate-host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "0 reject 400", "two Host lines (RFC 9112 §3.2)")
case("duplicate-host-same", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", "0 reject 400", "two identical Host lines are still two")
case("host-space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "0 reject 400", "an invalid Host value (RFC 9112 §3.2)")
case("host-slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", "0 reject 400", "a path inside Host")
case("host-userinfo", "GET / HTTP/1.1\r\nHost: user@evil\r\n\r\n", "0 reject 400", "userinfo inside Host")

# ---------------------------------------------------------------- malformed chunked bodies
case("chunked-bad-size", chunked("zz\r\nhello\r\n0\r\n\r\n"), "0 reject 400", "not hex")
case("chunked-size-0x", chunked("0x5\r\nhello\r\n0\r\n\r\n"), "0 reject 400", "a 0x prefix")
case("chunked-size-negative", chunked("-5\r\nhello\r\n0\r\n\r\n"), "0 reject 400", "a sign")
case("chunked-size-empty", chunked("\r\nhello\r\n0\r\n\r\n"), "0 reject 400", "an empty size line")
case("chunked-size-leading-space", chunked(" 5\r\nhello\r\n0\r\n\r\n"), "0 reject 400", "whitespace before the size")
case("chunked-missing-data-crlf", chunked("5\r\nhelloX0\r\n\r\n"), "0 reject 400", "chunk data not followed by CRLF")
case("chunked-data-too-long", chunked("3\r\nhello\r\n0\r\n\r\n"), "0 reject 400", "more data than the size said")
case("chunked-data-lf-only", chunked("5\r\nhello\n0\r\n\r\n"), "0 reject 400", "LF alone after chunk data")
case("chunked-size-lf-only", chunked("5\nhello\n0\n\n"), "0 reject 400", "LF alone after the size: chunk framing is CRLF (RFC 9112 §7.1)")
case("chunked-size-overflow", chunked("fffffffffffffffff\r\nx\r\n0\r\n\r\n"), "0 reject 400", "a size beyond 64 bits")
case("chunked-many-zeros", chunked("000000000000000000005\r\nhello\r\n0\r\n\r\n"), "1 ok", "21 digits, but only leading zeros")
case("chunked-ext-ctl", chunked("5;a\x01\r\nhello\r\n0\r\n\r\n"), "0 reject 400", "a control character in an extension")
case("chunked-trailer-obs-fold", chunked("0\r\nX-T: a\r\n b\r\n\r\n"), "0 reject 400", "obs-fold in the trailer section")
case("chunked-trailer-bad-name", chunked("0\r\nX T: a\r\n\r\n"), "0 reject 400", "an invalid trailer field")
case("chunked-trailer-no-colon", chunked("0\r\nnonsense\r\n\r\n"), "0 reject 400", "a trailer line without a colon")

# ---------------------------------------------------------------- limits
case("uri-too-long", get("/" + "a" * 20000), "0 reject 414", "a 20001-byte target (RFC 9112 §3: 414)")
case("header-too-large", get(extra="X-Big: " + "b" * 20000 + "\r\n"), "0 reject 431", "a 20 KB field (RFC 6585 §5)")
case("headers-total-too-large", get(extra="".join(f"X-H{i}: {'v' * 400}\r\n" for i in range(60))), "0 reject 431", "60 fields of 400 bytes")
case("headers-too-many", get(extra="".join(f"X-H{i}: v\r\n" for i in range(200))), "0 reject 431", "200 small fields (limit 100)")
case("body-too-large", get("/", extra="Content-Length: 100000000\r\n", method="POST"), "0 reject 413", "a declared 100 MB body (limit 8 MiB)")
case("chunk-too-large", chunked("10000000\r\n"), "0 reject 413", "a 256 MiB chunk")
case("method-too-long", get(method="X" * 40), "0 reject 501", "a 40-byte method (limit 32)")


def main():
    out = os.path.join(HERE, "cases")
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    lines = ["# name\texpect (requests outcome [status])\tdescription"]
    for name, data, expect, desc in CASES:
        with open(os.path.join(out, name + ".http"), "wb") as f:
            f.write(data)
        lines.append(f"{name}\t{expect}\t{desc}")
    with open(os.path.join(HERE, "MANIFEST.tsv"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{len(CASES)} cases written")


if __name__ == "__main__":
    main()
