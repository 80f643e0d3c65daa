//! The chargen service's length request between two of our own stacks joined in
//! memory, on a virtual clock: the stream waits for the request (so one delayed by a
//! lost segment still counts), and a client that sends none gets RFC 864's endless
//! stream after the grace period. The real-peer version runs under 5% loss in
//! `scripts/bench.sh` (CI's bench smoke test), where a chargen that started at once
//! sent more than was asked whenever the request segment was lost.

use std::net::SocketAddrV4;

use tundra::services::tcp::{chargen_byte, TcpServices, REQUEST_GRACE};
use tundra_core::{Duration, Instant};
use tundra_stack::{Config, Interface, Medium};
use tundra_tcp::{ConnHandle, RecvError};

/// The server (with the TCP services) and a client stack, and the clock.
struct Pair {
    server: Interface,
    client: Interface,
    services: TcpServices,
    now: Instant,
}

impl Pair {
    fn new() -> Pair {
        let stack = |addr: &str, seed| {
            let mut c = Config::new(Medium::Ip, addr.parse().unwrap());
            c.seed = seed;
            Interface::new(c, 1500)
        };
        let mut server = stack("10.0.0.2/24", 1);
        let client = stack("10.0.0.1/24", 2);
        let services = TcpServices::start(&mut server);
        Pair {
            server,
            client,
            services,
            now: Instant::ZERO,
        }
    }

    /// Moves frames both ways and lets the services work until nothing moves.
    fn settle(&mut self) {
        for _ in 0..100_000 {
            let mut moved = false;
            self.server.poll(self.now);
            self.client.poll(self.now);
            while let Some(frame) = self.server.dequeue() {
                self.client.receive(self.now, &frame);
                moved = true;
            }
            while let Some(frame) = self.client.dequeue() {
                self.server.receive(self.now, &frame);
                moved = true;
            }
            moved |= self.services.poll(self.now, &mut self.server);
            if !moved {
                return;
            }
        }
        panic!("the pair never settled");
    }

    /// Jumps the clock by `by`, stopping at every timer on the way.
    fn wait(&mut self, by: Duration) {
        let end = self.now + by;
        loop {
            self.settle();
            let next = [
                self.server.poll_at(),
                self.client.poll_at(),
                self.services.poll_at(),
            ]
            .into_iter()
            .flatten()
            .filter(|&t| t > self.now && t <= end)
            .min();
            match next {
                Some(t) => self.now = t,
                None => break,
            }
        }
        self.now = end;
        self.settle();
    }

    fn connect_chargen(&mut self) -> ConnHandle {
        let local = self.client.address();
        let remote = SocketAddrV4::new(self.server.address(), 19);
        let h = self.client.tcp().connect(self.now, local, remote).unwrap();
        self.settle();
        h
    }

    /// Reads what the client has: (bytes, end of stream seen).
    fn read(&mut self, h: ConnHandle) -> (Vec<u8>, bool) {
        let mut got = Vec::new();
        let mut buf = vec![0; 65536];
        let conn = self.client.tcp().connection_mut(h).unwrap();
        loop {
            match conn.recv(&mut buf) {
                Ok(0) => return (got, true),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(RecvError::WouldBlock) => return (got, false),
                Err(e) => panic!("recv: {e}"),
            }
        }
    }
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n as u64).map(chargen_byte).collect()
}

/// A request that arrives late (its first copy lost), but within the grace period,
/// still gets exactly what it asked for, then FIN.
#[test]
fn a_late_length_request_still_gets_exactly_that_many_bytes() {
    let mut pair = Pair::new();
    let h = pair.connect_chargen();
    pair.wait(Duration::from_millis(600));
    assert_eq!(
        pair.read(h),
        (Vec::new(), false),
        "streamed before a request"
    );
    let conn = pair.client.tcp().connection_mut(h).unwrap();
    assert_eq!(conn.send(b"100000\n"), Ok(7));
    pair.wait(Duration::from_millis(100));
    let (got, eof) = pair.read(h);
    assert!(eof, "no FIN after {} bytes", got.len());
    assert_eq!(got.len(), 100_000);
    assert!(got == pattern(100_000), "not the RFC 864 pattern");
}

/// A request split over two segments is one request.
#[test]
fn a_request_in_two_pieces_counts_once() {
    let mut pair = Pair::new();
    let h = pair.connect_chargen();
    let conn = pair.client.tcp().connection_mut(h).unwrap();
    assert_eq!(conn.send(b"12"), Ok(2));
    pair.wait(Duration::from_millis(50));
    assert_eq!(pair.read(h), (Vec::new(), false));
    let conn = pair.client.tcp().connection_mut(h).unwrap();
    assert_eq!(conn.send(b"34\n"), Ok(3));
    pair.wait(Duration::from_millis(50));
    assert_eq!(pair.read(h), (pattern(1234), true));
}

/// RFC 864: a client that sends nothing gets the endless stream, once the grace
/// period is over (the service asks for a wake-up then).
#[test]
fn no_request_means_the_endless_stream_after_the_grace_period() {
    let mut pair = Pair::new();
    let h = pair.connect_chargen();
    let started = pair.now;
    assert_eq!(pair.services.poll_at(), Some(started + REQUEST_GRACE));
    pair.wait(REQUEST_GRACE - Duration::from_millis(1));
    assert_eq!(pair.read(h).0.len(), 0);
    pair.wait(Duration::from_millis(50));
    let (got, eof) = pair.read(h);
    assert!(!eof);
    assert!(got.len() >= 1000, "only {} bytes", got.len());
    assert!(got == pattern(got.len()));
}
