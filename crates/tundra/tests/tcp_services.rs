//! The chargen service's length request between two of our own stacks joined in
//! memory, on a virtual clock: the stream waits for the request (so one delayed by a
//! lost segment still counts), and a client that sends none gets RFC 864's endless
//! stream after the grace period. The real-peer version runs under 5% loss in
//! `scripts/bench.sh` (CI's bench smoke test), where a chargen that started at once
//! sent more than was asked whenever the request segment was lost.

use std::net::SocketAddrV4;

use tundra::services::tcp::{chargen_byte, TcpServices, REQUEST_GRACE};
use tundra_core::Duration;
use tundra_tcp::ConnHandle;

mod pair;

use pair::Pair;

impl Pair<TcpServices> {
    fn connect_chargen(&mut self) -> ConnHandle {
        let local = self.client.address();
        let remote = SocketAddrV4::new(self.server.address(), 19);
        let h = self.client.tcp().connect(self.now, local, remote).unwrap();
        self.settle();
        h
    }
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n as u64).map(chargen_byte).collect()
}

/// A request that arrives late (its first copy lost), but within the grace period,
/// still gets exactly what it asked for, then FIN.
#[test]
fn a_late_length_request_still_gets_exactly_that_many_bytes() {
    let mut pair = Pair::new(TcpServices::start);
    let h = pair.connect_chargen();
    pair.wait(Duration::from_millis(600));
    assert_eq!(
        pair.read_all(h),
        (Vec::new(), false),
        "streamed before a request"
    );
    let conn = pair.client.tcp().connection_mut(h).unwrap();
    assert_eq!(conn.send(b"100000\n"), Ok(7));
    pair.wait(Duration::from_millis(100));
    let (got, eof) = pair.read_all(h);
    assert!(eof, "no FIN after {} bytes", got.len());
    assert_eq!(got.len(), 100_000);
    assert!(got == pattern(100_000), "not the RFC 864 pattern");
}

/// A request split over two segments is one request.
#[test]
fn a_request_in_two_pieces_counts_once() {
    let mut pair = Pair::new(TcpServices::start);
    let h = pair.connect_chargen();
    let conn = pair.client.tcp().connection_mut(h).unwrap();
    assert_eq!(conn.send(b"12"), Ok(2));
    pair.wait(Duration::from_millis(50));
    assert_eq!(pair.read_all(h), (Vec::new(), false));
    let conn = pair.client.tcp().connection_mut(h).unwrap();
    assert_eq!(conn.send(b"34\n"), Ok(3));
    pair.wait(Duration::from_millis(50));
    assert_eq!(pair.read_all(h), (pattern(1234), true));
}

/// RFC 864: a client that sends nothing gets the endless stream, once the grace
/// period is over (the service asks for a wake-up then).
#[test]
fn no_request_means_the_endless_stream_after_the_grace_period() {
    let mut pair = Pair::new(TcpServices::start);
    let h = pair.connect_chargen();
    let started = pair.now;
    assert_eq!(pair.service.poll_at(), Some(started + REQUEST_GRACE));
    pair.wait(REQUEST_GRACE - Duration::from_millis(1));
    assert_eq!(pair.read_all(h).0.len(), 0);
    pair.wait(Duration::from_millis(50));
    let (got, eof) = pair.read_all(h);
    assert!(!eof);
    assert!(got.len() >= 1000, "only {} bytes", got.len());
    assert!(got == pattern(got.len()));
}
