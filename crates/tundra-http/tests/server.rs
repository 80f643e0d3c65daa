//! Server conversations: bytes in, exact bytes out, with the virtual clock. Each test
//! opens with what it proves.

use std::sync::Arc;

use tundra_core::{Duration, Instant};
use tundra_http::{
    BodyStream, ClientConnection, ClientEvent, ClientRequest, FileError, Limits, MemoryFiles,
    Method, Response, Router, Server, ServerConfig, ServerConnection, ServerEvent, StaticFiles,
    StatusCode, Url, WallClock,
};

const T0: Instant = Instant::ZERO;
/// Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110 §5.6.7's example) at T0.
const CLOCK: WallClock = WallClock {
    at: T0,
    unix_secs: 784_111_777,
};
const DATE: &str = "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n";

fn config() -> ServerConfig {
    ServerConfig {
        server_name: Some("tundra-test".into()),
        wall_clock: Some(CLOCK),
        ..ServerConfig::default()
    }
}

fn router() -> Router {
    Router::new()
        .get("/", |_, _| Response::text(StatusCode::OK, "hello"))
        .post("/echo", |r, _| {
            Response::new(StatusCode::OK).with_body(r.body.clone())
        })
        .get("/path", |r, _| {
            Response::text(StatusCode::OK, r.target.clone())
        })
        .get("/sneaky", |_, _| {
            Response::text(StatusCode::OK, "x")
                .header("Content-Length", "999")
                .header("Transfer-Encoding", "gzip")
                .header("X-Evil", "a\r\nSet-Cookie: pwned")
        })
}

fn connect_with(config: ServerConfig, router: Router) -> ServerConnection {
    ServerConnection::new(Arc::new(Server { config, router }), T0)
}

fn connect() -> ServerConnection {
    connect_with(config(), router())
}

/// Everything the connection wants to send at `now`, as the transport would take it.
fn drain(c: &mut ServerConnection, now: Instant) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(bytes) = c.poll_transmit(now) {
        out.extend_from_slice(bytes);
        let n = bytes.len();
        c.consume(n);
    }
    out
}

/// Sends `input` at `now` and returns the reply bytes.
fn exchange(c: &mut ServerConnection, now: Instant, input: &str) -> String {
    c.on_bytes(now, input.as_bytes());
    String::from_utf8(drain(c, now)).expect("ASCII responses")
}

fn ok_text(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\n{DATE}Server: tundra-test\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn access_entries(c: &mut ServerConnection) -> Vec<tundra_http::AccessLogEntry> {
    std::iter::from_fn(|| c.poll_event())
        .filter_map(|e| match e {
            ServerEvent::Access(a) => Some(a),
            _ => None,
        })
        .collect()
}

#[test]
fn get_is_answered_with_date_server_and_length_and_stays_open() {
    let mut c = connect();
    let out = exchange(&mut c, T0, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(out, ok_text("hello"));
    assert!(!c.wants_close(), "HTTP/1.1 persists (RFC 9112 §9.3)");
    assert_eq!(
        c.poll_at(),
        Some(T0 + Duration::from_secs(60)),
        "idle timer"
    );
}

#[test]
fn head_gets_the_get_headers_without_body() {
    // RFC 9110 §9.3.2.
    let mut c = connect();
    let out = exchange(&mut c, T0, "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(out, ok_text("hello").strip_suffix("hello").unwrap());
    let log = access_entries(&mut c);
    assert_eq!(
        (log[0].method.clone(), log[0].body_bytes),
        (Some(Method::Head), 0)
    );
}

#[test]
fn http10_request_is_answered_then_closed() {
    let mut c = connect();
    let out = exchange(&mut c, T0, "GET / HTTP/1.0\r\n\r\n");
    assert!(
        out.starts_with("HTTP/1.1 200 OK\r\n"),
        "RFC 9110 §2.5: we answer as 1.1"
    );
    assert!(out.contains("Connection: close\r\n"));
    assert!(c.wants_close());
}

#[test]
fn http10_keep_alive_is_echoed_and_honoured() {
    let mut c = connect();
    let out = exchange(
        &mut c,
        T0,
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    );
    assert!(out.contains("Connection: keep-alive\r\n"));
    assert!(!c.wants_close());
    let out = exchange(&mut c, T0, "GET / HTTP/1.0\r\n\r\n");
    assert!(out.contains("Connection: close\r\n"));
    assert!(c.wants_close());
}

#[test]
fn connection_close_is_answered_with_close_and_later_requests_ignored() {
    // RFC 9112 §9.6.
    let mut c = connect();
    let out = exchange(
        &mut c,
        T0,
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    );
    assert_eq!(out.matches("HTTP/1.1 200").count(), 1);
    assert!(out.contains("Connection: close\r\n"));
    assert!(c.wants_close());
    assert_eq!(c.poll_at(), None);
}

#[test]
fn post_bodies_arrive_by_length_or_chunked() {
    let mut c = connect();
    let out = exchange(
        &mut c,
        T0,
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nabcde",
    );
    assert!(out.ends_with("Content-Length: 5\r\n\r\nabcde"), "{out}");
    let out = exchange(
        &mut c,
        T0,
        "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n",
    );
    assert!(out.ends_with("Content-Length: 5\r\n\r\nabcde"), "{out}");
}

#[test]
fn expect_100_continue_gets_the_interim_response_first() {
    // RFC 9110 §10.1.1.
    let mut c = connect();
    let out = exchange(
        &mut c,
        T0,
        "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
    );
    assert_eq!(out, "HTTP/1.1 100 Continue\r\n\r\n");
    let out = exchange(&mut c, T0, "hi");
    assert!(
        out.starts_with("HTTP/1.1 200 OK\r\n") && out.ends_with("\r\n\r\nhi"),
        "{out}"
    );
}

#[test]
fn expect_100_continue_with_too_large_body_gets_413_instead() {
    let mut c = connect();
    let out = exchange(&mut c, T0, "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 999999999\r\n\r\n");
    assert!(
        out.starts_with("HTTP/1.1 413 Content Too Large\r\n"),
        "{out}"
    );
    assert!(c.wants_close());
}

#[test]
fn hundred_pipelined_requests_are_answered_in_order() {
    let mut c = connect();
    let input: String = (0..100)
        .map(|i| format!("GET /path?{i} HTTP/1.1\r\nHost: a\r\n\r\n"))
        .collect();
    let out = exchange(&mut c, T0, &input);
    // Read the answers back with the client side, one GET registered per response.
    let mut client = ClientConnection::new(Limits::client());
    for _ in 0..100 {
        client.send_request(&ClientRequest::get(&Url::parse("http://a/").unwrap()));
    }
    client.on_bytes(out.as_bytes()).unwrap();
    let bodies: Vec<String> = std::iter::from_fn(|| client.poll_event())
        .filter_map(|e| match e {
            ClientEvent::Data(d) => Some(String::from_utf8(d).unwrap()),
            _ => None,
        })
        .collect();
    let expected: Vec<String> = (0..100).map(|i| format!("/path?{i}")).collect();
    assert_eq!(bodies, expected);
    assert!(client.is_idle());
}

#[test]
fn pipelined_conversation_gives_the_same_bytes_when_fed_one_byte_at_a_time() {
    let input = "GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyzHEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET /nope HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    let mut whole = connect();
    let expected = exchange(&mut whole, T0, input);
    let mut bytewise = connect();
    let mut got = String::new();
    for b in input.as_bytes() {
        bytewise.on_bytes(T0, &[*b]);
        got.push_str(&String::from_utf8(drain(&mut bytewise, T0)).unwrap());
    }
    assert_eq!(got, expected);
    assert!(whole.wants_close() && bytewise.wants_close());
}

#[test]
fn every_rejection_sends_its_status_then_closes() {
    let cases: &[(&str, &str)] = &[
        ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", "400 Bad Request"),
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", "400 Bad Request"),
        (
            "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
            "400 Bad Request",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            "400 Bad Request",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "400 Bad Request",
        ),
        ("GET / HTTP/1.1\r\n\r\n", "400 Bad Request"),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
            "501 Not Implemented",
        ),
        (
            "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
            "505 HTTP Version Not Supported",
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000000\r\n\r\n",
            "413 Content Too Large",
        ),
    ];
    for (input, status) in cases {
        let mut c = connect();
        let out = exchange(&mut c, T0, input);
        assert!(
            out.starts_with(&format!("HTTP/1.1 {status}\r\n")),
            "{input:?} -> {out}"
        );
        assert!(out.contains("Connection: close\r\n"), "{input:?}");
        assert!(c.wants_close(), "{input:?}");
        assert_eq!(
            exchange(&mut c, T0, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
            "",
            "nothing more is answered"
        );
    }
    let mut c = connect();
    let out = exchange(
        &mut c,
        T0,
        &format!("GET /{} HTTP/1.1\r\n", "a".repeat(9000)),
    );
    assert!(out.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{out}");
    let mut c = connect();
    let out = exchange(
        &mut c,
        T0,
        &format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(17000)),
    );
    assert!(
        out.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
        "{out}"
    );
}

#[test]
fn slowloris_is_cut_off_with_408_by_the_header_timeout() {
    let mut c = connect();
    assert_eq!(exchange(&mut c, T0, "GET / HTTP/1.1\r\nHo"), "");
    let deadline = T0 + Duration::from_secs(10);
    assert_eq!(c.poll_at(), Some(deadline));
    // Trickling a byte a second does not move the deadline.
    for (i, b) in "st: a\r\nX-".bytes().take(9).enumerate() {
        let t = T0 + Duration::from_secs(1 + i as u64);
        c.on_bytes(t, &[b]);
        c.on_timeout(t);
        assert_eq!(drain(&mut c, t), b"");
        assert_eq!(c.poll_at(), Some(deadline));
    }
    c.on_timeout(deadline);
    let out = String::from_utf8(drain(&mut c, deadline)).unwrap();
    assert!(out.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{out}");
    assert!(out.contains("Connection: close\r\n"));
    assert!(c.wants_close());
}

#[test]
fn slow_body_is_cut_off_with_408_by_the_body_timeout() {
    let mut c = connect();
    let t1 = T0 + Duration::from_millis(5);
    exchange(
        &mut c,
        t1,
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab",
    );
    assert_eq!(c.poll_at(), Some(t1 + Duration::from_secs(30)));
    c.on_timeout(t1 + Duration::from_secs(30));
    assert!(String::from_utf8(drain(&mut c, t1))
        .unwrap()
        .starts_with("HTTP/1.1 408 "));
    assert!(c.wants_close());
}

#[test]
fn idle_keep_alive_connection_is_closed_silently() {
    // RFC 9112 §9.5: a server may close an idle connection.
    let mut c = connect();
    exchange(&mut c, T0, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    let t = T0 + Duration::from_secs(60);
    c.on_timeout(t - Duration::from_micros(1));
    assert!(!c.wants_close());
    c.on_timeout(t);
    assert_eq!(
        drain(&mut c, t),
        b"",
        "no 408 for a connection with no request in flight"
    );
    assert!(c.wants_close());
}

#[test]
fn peer_eof_after_pipelined_requests_answers_them_then_closes() {
    let mut c = connect();
    c.on_bytes(
        T0,
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTT",
    );
    c.on_eof(T0);
    let out = String::from_utf8(drain(&mut c, T0)).unwrap();
    assert_eq!(out.matches("HTTP/1.1 200 OK").count(), 2);
    assert!(c.wants_close(), "the unfinished third request is dropped");
}

#[test]
fn framing_and_unsafe_headers_from_a_handler_are_not_sent() {
    let mut c = connect();
    let out = exchange(&mut c, T0, "GET /sneaky HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(out, ok_text("x"));
}

#[test]
fn unknown_paths_and_methods_get_404_405_501() {
    let mut c = connect();
    assert!(
        exchange(&mut c, T0, "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n")
            .starts_with("HTTP/1.1 404 Not Found\r\n")
    );
    let out = exchange(&mut c, T0, "DELETE / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(
        out.starts_with("HTTP/1.1 405 Method Not Allowed\r\n")
            && out.contains("Allow: GET, HEAD\r\n"),
        "{out}"
    );
    assert!(exchange(&mut c, T0, "BREW / HTTP/1.1\r\nHost: a\r\n\r\n")
        .starts_with("HTTP/1.1 501 Not Implemented\r\n"));
    assert!(
        !c.wants_close(),
        "routing misses do not close the connection"
    );
}

#[test]
fn access_log_has_method_path_status_bytes_and_duration() {
    let mut c = connect();
    c.on_bytes(T0, b"GET /path?x HTTP/1.1\r\n");
    exchange(&mut c, T0 + Duration::from_millis(3), "Host: a\r\n\r\n");
    let log = access_entries(&mut c);
    assert_eq!(log.len(), 1);
    assert_eq!(
        log[0].to_string(),
        "\"GET /path?x HTTP/1.1\" 200 7 3.000ms",
        "method, target, version, status, body bytes, time from first byte"
    );
}

fn site() -> Router {
    let files = MemoryFiles::new()
        .with_file("index.html", &b"<h1>Tundra</h1>"[..], Some(784_111_777))
        .with_file("docs/a.txt", &b"doc"[..], Some(1));
    Router::new().static_files("/", StaticFiles::new(Arc::new(files)))
}

#[test]
fn static_files_with_validators_304_404_and_refused_traversal() {
    let mut c = connect_with(config(), site());
    let out = exchange(&mut c, T0, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(
        out,
        format!(
            "HTTP/1.1 200 OK\r\n{DATE}Server: tundra-test\r\nContent-Type: text/html; charset=utf-8\r\nETag: \"2ebc98a1-f\"\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 15\r\n\r\n<h1>Tundra</h1>"
        )
    );
    let out = exchange(
        &mut c,
        T0,
        "GET /index.html HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"2ebc98a1-f\"\r\n\r\n",
    );
    assert_eq!(
        out,
        format!("HTTP/1.1 304 Not Modified\r\n{DATE}Server: tundra-test\r\nETag: \"2ebc98a1-f\"\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n")
    );
    let out = exchange(&mut c, T0, "GET /docs/a.txt HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(
        out.contains("Content-Type: text/plain; charset=utf-8\r\n") && out.ends_with("\r\n\r\ndoc")
    );
    assert!(
        exchange(&mut c, T0, "GET /missing HTTP/1.1\r\nHost: a\r\n\r\n")
            .starts_with("HTTP/1.1 404 ")
    );
    for evil in [
        "/../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/docs/..%2f..%2fx",
        "//etc/passwd",
        "/docs\\..\\x",
        "/a%00",
    ] {
        let out = exchange(
            &mut c,
            T0,
            &format!("GET {evil} HTTP/1.1\r\nHost: a\r\n\r\n"),
        );
        assert!(out.starts_with("HTTP/1.1 400 "), "{evil}: {out}");
    }
    assert!(!c.wants_close());
}

/// A generated download: `len` bytes of a repeating pattern.
struct Pattern {
    sent: u64,
    len: Option<u64>,
    total: u64,
}

impl BodyStream for Pattern {
    fn content_length(&self) -> Option<u64> {
        self.len
    }
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, FileError> {
        let n = buf.len().min((self.total - self.sent) as usize);
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = ((self.sent + i as u64) % 251) as u8;
        }
        self.sent += n as u64;
        Ok(n)
    }
}

fn download_router(total: u64, known: bool) -> Router {
    Router::new().get("/big", move |_, _| {
        let len = known.then_some(total);
        Response::new(StatusCode::OK).with_stream(Box::new(Pattern {
            sent: 0,
            len,
            total,
        }))
    })
}

#[test]
fn large_body_streams_through_bounded_output() {
    let total = 8 * 1024 * 1024 + 17;
    let cfg = ServerConfig {
        stream_chunk: 16 * 1024,
        output_high_water: 32 * 1024,
        ..config()
    };
    let mut c = connect_with(cfg, download_router(total, true));
    c.on_bytes(T0, b"GET /big HTTP/1.1\r\nHost: a\r\n\r\n");
    let mut received = Vec::new();
    let mut max_pending = 0;
    // A transport that takes at most one MSS-sized segment per call.
    while let Some(bytes) = c.poll_transmit(T0) {
        max_pending = max_pending.max(bytes.len());
        let n = bytes.len().min(1460);
        received.extend_from_slice(&bytes[..n]);
        c.consume(n);
    }
    assert!(
        max_pending <= 32 * 1024 + 16 * 1024,
        "output buffer stayed bounded: {max_pending}"
    );
    let head_end = received.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&received[..head_end]);
    assert!(
        head.contains(&format!("Content-Length: {total}\r\n")),
        "{head}"
    );
    let body = &received[head_end..];
    assert_eq!(body.len() as u64, total);
    assert!(body.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
    assert_eq!(access_entries(&mut c)[0].body_bytes, total);
}

#[test]
fn unknown_length_stream_is_chunked_for_http11_and_close_delimited_for_http10() {
    let mut c = connect_with(config(), download_router(100_000, false));
    let out = {
        c.on_bytes(T0, b"GET /big HTTP/1.1\r\nHost: a\r\n\r\n");
        drain(&mut c, T0)
    };
    let mut client = ClientConnection::new(Limits::client());
    client.send_request(&ClientRequest::get(&Url::parse("http://a/big").unwrap()));
    client.on_bytes(&out).unwrap();
    let mut body = Vec::new();
    let mut done = false;
    while let Some(e) = client.poll_event() {
        match e {
            ClientEvent::Head(h) => {
                assert_eq!(h.headers.get_str("transfer-encoding"), Some("chunked"))
            }
            ClientEvent::Data(d) => body.extend(d),
            ClientEvent::Done { .. } => done = true,
            other => panic!("{other:?}"),
        }
    }
    assert!(done && body.len() == 100_000);
    assert!(!c.wants_close());

    let mut c = connect_with(config(), download_router(1000, false));
    c.on_bytes(T0, b"GET /big HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    let out = drain(&mut c, T0);
    let text = String::from_utf8_lossy(&out);
    assert!(!text.contains("Transfer-Encoding") && text.contains("Connection: close\r\n"));
    assert_eq!(
        out.len() - (out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4),
        1000
    );
    assert!(c.wants_close(), "the close delimits the body");
}

#[test]
fn upgrade_hands_the_byte_stream_over_after_the_101() {
    let router = Router::new().get("/chat", |r, _| {
        assert!(r.headers.has_token("connection", "upgrade"));
        Response::switching_protocols("websocket")
            .header("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    });
    let mut c = connect_with(config(), router);
    let out = exchange(
        &mut c,
        T0,
        "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n\u{1}frame",
    );
    assert_eq!(
        out,
        format!("HTTP/1.1 101 Switching Protocols\r\n{DATE}Server: tundra-test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
    );
    let events: Vec<ServerEvent> = std::iter::from_fn(|| c.poll_event()).collect();
    let Some(ServerEvent::Upgraded(up)) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(up.protocol, "websocket");
    assert_eq!(up.request.path(), "/chat");
    assert_eq!(up.leftover, b"\x01frame");
    assert!(c.is_upgraded() && !c.wants_close() && c.poll_at().is_none());
    c.on_bytes(T0, b"more");
    assert_eq!(c.take_upgraded_input(), b"more");
    assert_eq!(drain(&mut c, T0), b"", "HTTP is done on this connection");
}

#[test]
fn client_and_server_talk_in_memory() {
    let mut server = connect();
    let mut client = ClientConnection::new(Limits::client());
    let url = Url::parse("http://a/").unwrap();
    client.send_request(&ClientRequest::get(&url));
    let mut post = ClientRequest::get(&url);
    post.method = Method::Post;
    post.target = "/echo".into();
    post.body = b"ping".to_vec();
    client.send_request(&post);
    let bytes = client.poll_transmit().unwrap().to_vec();
    client.consume(bytes.len());
    server.on_bytes(T0, &bytes);
    client.on_bytes(&drain(&mut server, T0)).unwrap();
    let events: Vec<ClientEvent> = std::iter::from_fn(|| client.poll_event()).collect();
    let data: Vec<&[u8]> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Data(d) => Some(d.as_slice()),
            _ => None,
        })
        .collect();
    assert_eq!(data, vec![&b"hello"[..], b"ping"]);
    assert!(client.is_idle());
}

#[test]
fn a_peer_that_pipelines_without_reading_is_throttled_then_aborted() {
    let cfg = ServerConfig {
        output_high_water: 1024,
        max_buffered_input: 64 * 1024,
        ..config()
    };
    let mut c = connect_with(cfg, download_router(1_000_000, true));
    let request = b"GET /big HTTP/1.1\r\nHost: a\r\n\r\n";
    let mut sent = 0;
    while c.wants_input() {
        c.on_bytes(T0, request);
        sent += request.len();
    }
    assert!(
        (32 * 1024..64 * 1024).contains(&sent),
        "throttled after {sent} bytes: {c:?}"
    );
    assert!(!c.wants_close(), "a polite driver stops reading here");
    for _ in 0..2048 {
        c.on_bytes(T0, request);
    }
    assert!(
        c.wants_close(),
        "an impolite one gets the connection aborted"
    );
    assert_eq!(c.poll_transmit(T0), None);
}

/// `is_waiting_for_input` is true only between requests, with everything sent and
/// every event collected: a driver may skip such a connection until TCP has news.
#[test]
fn waiting_for_input_only_when_nothing_is_pending() {
    let mut c = connect();
    assert!(c.is_waiting_for_input(), "a fresh connection waits");
    c.on_bytes(T0, b"GET / HTTP/1.1\r\nHo");
    assert!(
        !c.is_waiting_for_input(),
        "half a head: the head timer runs"
    );
    c.on_bytes(T0, b"st: x\r\n\r\nGET / HTTP/1.1\r\n");
    assert!(!c.is_waiting_for_input(), "a response to send");
    assert_eq!(drain(&mut c, T0), ok_text("hello").into_bytes());
    assert!(!c.is_waiting_for_input(), "the next head is half there");
    c.on_bytes(T0, b"Host: x\r\n\r\n");
    assert_eq!(drain(&mut c, T0), ok_text("hello").into_bytes());
    assert!(
        !c.is_waiting_for_input(),
        "two access-log events to collect"
    );
    assert_eq!(access_entries(&mut c).len(), 2);
    assert!(c.is_waiting_for_input(), "all sent and collected");
    c.on_eof(T0);
    assert!(!c.is_waiting_for_input(), "after the peer's FIN it closes");
}
