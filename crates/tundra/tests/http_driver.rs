//! The web server's driver (`services/http.rs`) between two of our own stacks joined
//! in memory, on a virtual clock: what happens at the TCP level when an HTTP client
//! misbehaves, deterministically and without root. The real-peer versions of these
//! conversations are in `e2e_http.rs`.

use std::net::SocketAddrV4;

use tundra::services::http::{HttpConfig, HttpService, HTTP_PORT};
use tundra_core::{Duration, Instant};
use tundra_tcp::{CloseReason, ConnHandle, RecvError, State};

mod common;
mod pair;

use common::stat;
use pair::Pair;

/// A pair with the web server configured by `config`.
fn http_pair(config: HttpConfig) -> Pair<HttpService> {
    Pair::new(|server| HttpService::start(server, config))
}

impl Pair<HttpService> {
    /// A client connection to port 80, established, with `request` sent.
    fn connect_and_send(&mut self, request: &[u8]) -> ConnHandle {
        let local = self.client.address();
        let remote = SocketAddrV4::new(self.server.address(), HTTP_PORT);
        let h = self.client.tcp().connect(self.now, local, remote).unwrap();
        self.settle();
        let conn = self.client.tcp().connection_mut(h).unwrap();
        assert_eq!(conn.state(), State::Established);
        assert_eq!(conn.send(request), Ok(request.len()));
        self.settle();
        h
    }

    /// The server's TCP connections that are neither listeners nor in TIME-WAIT.
    fn server_connections(&self) -> Vec<String> {
        self.server
            .tcp_ref()
            .sockets()
            .into_iter()
            .filter(|s| s.handle.is_some() && s.state != State::TimeWait)
            .map(|s| s.to_string())
            .collect()
    }
}

/// A client that asks for 100 MiB and stops reading (a slow-read attack) fills its
/// window and our send buffer. After the idle timeout without a byte taken, the server
/// resets and forgets the connection: a FIN would only queue behind the full buffer
/// and keep it alive. The reset goes at SND.UNA + SND.WND, the edge of the client's
/// closed window, not at the SND.NXT our zero-window probes moved past it, so the
/// client accepts it (RFC 9293 §3.10.7.4); what it had already received stays
/// readable, and its reads end with the reset.
#[test]
fn a_client_that_stops_reading_is_reset_after_the_idle_timeout() {
    let idle = Duration::from_secs(5);
    let mut pair = http_pair(HttpConfig {
        idle_timeout: idle,
        ..HttpConfig::default()
    });
    let h = pair.connect_and_send(b"GET /big?size=100M HTTP/1.1\r\nHost: x\r\n\r\n");
    let stalled_at = pair.now;
    while !pair.server_connections().is_empty() {
        assert!(
            pair.now < stalled_at + Duration::from_secs(60),
            "never given up: {:?}",
            pair.server_connections()
        );
        pair.advance(Duration::from_secs(1));
    }
    let waited = pair.now - stalled_at;
    assert!(
        waited >= idle && waited < idle + Duration::from_secs(2),
        "given up after {waited}, the idle timeout is {idle}"
    );

    // The client wakes up and reads: the head and a prefix of the pattern, then the
    // reset.
    let mut got = Vec::new();
    let mut buf = vec![0; 65536];
    let reason = loop {
        match pair.client.tcp().connection_mut(h).unwrap().recv(&mut buf) {
            Ok(0) => panic!("a clean end of stream after {} bytes", got.len()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(RecvError::WouldBlock) => pair.advance(Duration::from_secs(1)),
            Err(RecvError::Closed(reason)) => break reason,
            Err(e) => panic!("recv: {e}"),
        }
        assert!(
            pair.now < stalled_at + Duration::from_secs(60),
            "never reset"
        );
    };
    assert_eq!(reason, CloseReason::Reset);
    let head_end = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"));
    let body = &got[head_end..];
    let pattern: Vec<u8> = (0..body.len() as u64)
        .map(tundra::services::tcp::chargen_byte)
        .collect();
    assert!(
        body == pattern.as_slice(),
        "the bytes before the reset are in order"
    );
    assert!(
        body.len() < 1 << 20,
        "only what the buffers held: {}",
        body.len()
    );
}

/// RFC 9112 §9.6 lingering close: the client asks for 1 MiB with `Connection: close`
/// and, while the answer is still on its way, sends more requests that the server will
/// never read. Closing over unread data would make TCP reset, and the reset would
/// destroy the end of the answer; the driver reads and drops that input first, so the
/// client gets all 1 MiB and then a FIN.
#[test]
fn a_close_after_the_last_response_is_a_fin_despite_unread_input() {
    let mut pair = http_pair(HttpConfig::default());
    let h =
        pair.connect_and_send(b"GET /big?size=1M HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    // The client has not read yet: the answer waits in its window and our buffers.
    let more = b"GET /big?size=1 HTTP/1.1\r\nHost: x\r\n\r\n".repeat(200);
    let conn = pair.client.tcp().connection_mut(h).unwrap();
    assert_eq!(conn.send(&more), Ok(more.len()));
    pair.settle();

    let mut got = Vec::new();
    let mut buf = vec![0; 65536];
    loop {
        match pair.client.tcp().connection_mut(h).unwrap().recv(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(RecvError::WouldBlock) => pair.advance(Duration::from_secs(1)),
            Err(e) => panic!("recv after {} bytes: {e}", got.len()),
        }
        assert!(pair.now < Instant::from_secs(30), "stuck");
    }
    let head_end = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert_eq!(
        got.len() - head_end,
        1 << 20,
        "the whole body, then the FIN"
    );
    pair.client.tcp().connection_mut(h).unwrap().close();
    for _ in 0..5 {
        pair.advance(Duration::from_secs(1));
    }
    assert!(
        pair.server_connections().is_empty(),
        "{:?}",
        pair.server_connections()
    );
}

/// The header timeout reaches the driver through `Services::poll_at`: a head that
/// never finishes gets 408 when the timer fires, with nothing else happening.
#[test]
fn an_unfinished_head_gets_408_when_the_header_timeout_fires() {
    let timeout = Duration::from_secs(3);
    let mut pair = http_pair(HttpConfig {
        header_timeout: timeout,
        ..HttpConfig::default()
    });
    let started = pair.now;
    let h = pair.connect_and_send(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: a");
    assert_eq!(
        pair.service.poll_at(),
        Some(started + timeout),
        "the service asks to be woken when the head's time is up"
    );
    pair.advance(Duration::from_secs(10));
    assert_eq!(pair.now, started + timeout, "woken exactly then");
    let (got, eof) = pair.read_all(h);
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{text}"
    );
    assert!(eof);
}

/// `GET /stats` on `h` (keep-alive), the whole response read at the same instant.
fn get_stats(pair: &mut Pair<HttpService>, h: ConnHandle) -> String {
    let request = b"GET /stats HTTP/1.1\r\nHost: x\r\n\r\n";
    let conn = pair.client.tcp().connection_mut(h).unwrap();
    assert_eq!(conn.send(request), Ok(request.len()));
    pair.settle();
    let (got, eof) = pair.read_all(h);
    assert!(!eof, "keep-alive");
    let text = String::from_utf8(got).expect("a text page");
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    text
}

/// The live pages' snapshot is copied once per instant (a busy turn serves many
/// requests at one `now`, and the socket table is O(connections) to copy), yet a page
/// always lists the connection that asks for it: a connection accepted since the copy
/// refreshes it, and so does the next instant.
#[test]
fn the_live_snapshot_is_copied_once_per_instant_and_lists_new_connections() {
    let mut pair = http_pair(HttpConfig::default());
    let a = pair.connect_and_send(b"");
    let first = get_stats(&mut pair, a);
    assert_eq!(stat(&first, "connections accepted"), 1);
    assert_eq!(stat(&first, "responses"), 0);

    // Same instant, same connections: the same snapshot, not another copy.
    let again = get_stats(&mut pair, a);
    assert_eq!(stat(&again, "responses"), 0, "copied again:\n{again}");

    // Same instant, a new connection: its own page shows it, in the table too.
    let b = pair.connect_and_send(b"");
    let port = pair.client.tcp_ref().connection(b).unwrap().local().port();
    let with_b = get_stats(&mut pair, b);
    assert_eq!(stat(&with_b, "connections accepted"), 2);
    assert_eq!(stat(&with_b, "responses"), 2);
    assert!(
        with_b.contains(&format!("10.0.0.1:{port}")),
        "the asking connection is in the socket table:\n{with_b}"
    );

    // The next instant: a fresh copy.
    pair.now += Duration::from_millis(1);
    let later = get_stats(&mut pair, a);
    assert_eq!(stat(&later, "responses"), 3);
}

/// TCP's per-connection version (what lets the web server skip idle connections
/// without reading them) moves with everything that touches the connection: a segment
/// in, a call through `connection_mut`, a poll that sends; it stays put while nothing
/// happens, and is gone with the connection.
#[test]
fn a_connections_version_moves_whenever_tcp_touches_it() {
    let mut pair = http_pair(HttpConfig::default());
    let h = pair.connect_and_send(b"");
    let version = |pair: &Pair<HttpService>| pair.client.tcp_ref().version(h);
    let idle = version(&pair);
    assert!(idle.is_some());
    pair.settle();
    pair.client.poll(pair.now);
    assert_eq!(version(&pair), idle, "nothing happened, nothing moved");

    // A call through connection_mut (here: the request), then the poll that sends it.
    let request = b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
    let conn = pair.client.tcp().connection_mut(h).unwrap();
    assert_eq!(conn.send(request), Ok(request.len()));
    let called = version(&pair);
    assert_ne!(called, idle, "a user call moves it");
    pair.client.poll(pair.now);
    let sent = version(&pair);
    assert_ne!(sent, called, "a poll that looked at it moves it");

    // The response arriving (the server's segments, nothing done on the client).
    let request_out: Vec<_> = std::iter::from_fn(|| pair.client.dequeue()).collect();
    for frame in &request_out {
        pair.server.receive(pair.now, frame);
    }
    pair.server.poll(pair.now);
    pair.service.poll(pair.now, &mut pair.server);
    pair.server.poll(pair.now);
    let mut segments = 0;
    while let Some(frame) = pair.server.dequeue() {
        pair.client.receive(pair.now, &frame);
        segments += 1;
    }
    assert!(segments > 0, "the server answered");
    assert_ne!(version(&pair), sent, "a segment in moves it");
    assert!(pair.client.tcp_ref().connection(h).unwrap().recv_queue() > 0);

    // Closed and gone: the handle has no version any more.
    pair.settle();
    pair.read_all(h);
    pair.client.tcp().close(h);
    pair.wait(Duration::from_secs(120));
    assert_eq!(version(&pair), None, "a stale handle");
}
