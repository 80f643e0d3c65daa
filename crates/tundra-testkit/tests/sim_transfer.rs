//! Two sans-IO endpoints joined by a simulated link transfer data both ways, byte
//! exact, with and without loss, reordering and duplication: the whole TCP stack
//! proven end to end before it meets a TUN device.

use core::net::SocketAddrV4;

use tundra_core::{Duration, Instant};
use tundra_tcp::{ConnHandle, Endpoint, EndpointConfig, Event, RecvError, State};
use tundra_testkit::netsim::{LinkConfig, Pair};

/// The byte at offset `i` of the stream sent by side `side`.
fn pattern(side: u8, i: usize) -> u8 {
    (i.wrapping_mul(31) ^ (i >> 8) ^ side as usize) as u8
}

struct Side {
    handle: Option<ConnHandle>,
    sent: usize,
    received: usize,
    eof: bool,
    shut: bool,
}

impl Side {
    fn new() -> Side {
        Side {
            handle: None,
            sent: 0,
            received: 0,
            eof: false,
            shut: false,
        }
    }

    /// Writes as much of `total` bytes as the buffer takes, reads everything, checks
    /// each byte, and shuts down the write side once all is written.
    fn pump(&mut self, ep: &mut Endpoint, me: u8, total: usize) {
        let Some(h) = self.handle else { return };
        let conn = ep.connection_mut(h).expect("connection exists");
        let mut chunk = [0u8; 4096];
        while self.sent < total && !self.shut {
            let n = (total - self.sent).min(chunk.len());
            for (k, b) in chunk[..n].iter_mut().enumerate() {
                *b = pattern(me, self.sent + k);
            }
            match conn.send(&chunk[..n]) {
                Ok(k) => self.sent += k,
                Err(_) => break,
            }
        }
        if self.sent == total && !self.shut && conn.state() != State::SynSent {
            conn.shutdown();
            self.shut = true;
        }
        loop {
            match conn.recv(&mut chunk) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => {
                    for (k, b) in chunk[..n].iter().enumerate() {
                        assert_eq!(
                            *b,
                            pattern(1 - me, self.received + k),
                            "byte {}",
                            self.received + k
                        );
                    }
                    self.received += n;
                }
                Err(RecvError::WouldBlock) | Err(RecvError::NotConnected) => break,
                Err(e) => panic!("recv failed: {e}"),
            }
        }
        while conn.poll_event().is_some() {}
    }
}

/// Runs a full transfer of `total` bytes each way and returns the pair for checks.
fn transfer(link: LinkConfig, seed: u64, total: usize, limit: Duration) -> Pair {
    let a = Endpoint::new(EndpointConfig::default(), seed);
    let b = Endpoint::new(EndpointConfig::default(), seed + 1);
    let mut pair = Pair::new(a, b, link, seed + 2);
    let listener = pair
        .a
        .listen(SocketAddrV4::new(Pair::A_IP, 7000))
        .expect("listen");
    let mut server = Side::new();
    let mut client = Side::new();
    client.handle = Some(
        pair.b
            .connect(pair.now, Pair::B_IP, SocketAddrV4::new(Pair::A_IP, 7000))
            .expect("connect"),
    );
    let deadline = Instant::ZERO + limit;
    while pair.now < deadline {
        if server.handle.is_none() {
            server.handle = pair.a.accept(listener);
        }
        server.pump(&mut pair.a, 0, total);
        client.pump(&mut pair.b, 1, total);
        if server.eof && client.eof && server.shut && client.shut {
            let done = |ep: &Endpoint, h: Option<ConnHandle>| {
                ep.connection(h.unwrap())
                    .is_none_or(|c| matches!(c.state(), State::Closed | State::TimeWait))
            };
            if done(&pair.a, server.handle) && done(&pair.b, client.handle) {
                break;
            }
        }
        if !pair.step(deadline) {
            break;
        }
    }
    assert_eq!(server.received, total, "A received everything from B");
    assert_eq!(client.received, total, "B received everything from A");
    assert!(server.eof && client.eof, "both saw the FIN");
    while pair.a.poll_event().is_some() || pair.b.poll_event().is_some() {}
    let _ = Event::Connected;
    pair
}

#[test]
fn one_mib_each_way_over_a_clean_link() {
    let pair = transfer(LinkConfig::default(), 1, 1 << 20, Duration::from_secs(60));
    let (a, b) = pair.counters();
    eprintln!("clean: t={} a:\n{a}", pair.now);
    assert_eq!(
        a.conn.retransmits + b.conn.retransmits,
        0,
        "no loss, no retransmission"
    );
    assert_eq!(
        a.bad_checksum + b.bad_checksum + a.malformed + b.malformed,
        0
    );
}

#[test]
fn one_mib_each_way_with_loss_reordering_and_duplication() {
    let link = LinkConfig {
        loss: 0.03,
        duplicate: 0.02,
        reorder: 0.05,
        reorder_delay: Duration::from_millis(8),
        rate: Some(10_000_000),
        ..LinkConfig::default()
    };
    let pair = transfer(link, 7, 1 << 20, Duration::from_secs(600));
    let (a, b) = pair.counters();
    assert!(pair.dropped > 0 && pair.duplicated > 0 && pair.reordered > 0);
    assert!(a.conn.retransmits + b.conn.retransmits > 0);
    eprintln!(
        "lossy: t={} a:\n{a}\nb:\n{b}\nlink dropped {} dup {} reord {}",
        pair.now, pair.dropped, pair.duplicated, pair.reordered
    );
}

// Heavier loss, as the end-to-end test will see (5% each way): still byte exact.
#[test]
fn one_mib_each_way_with_five_percent_loss() {
    let link = LinkConfig {
        loss: 0.05,
        latency: Duration::from_millis(1),
        rate: Some(100_000_000),
        ..LinkConfig::default()
    };
    let pair = transfer(link, 21, 1 << 20, Duration::from_secs(600));
    let (a, b) = pair.counters();
    eprintln!("5% loss: t={} a:\n{a}\nb:\n{b}", pair.now);
    assert!(pair.dropped > 0);
}
