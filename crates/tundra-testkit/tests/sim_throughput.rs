//! Throughput under random loss, in virtual time: one endpoint sends 4 MiB to the other
//! over a 100 MB/s link with 0.5 ms one-way latency, dropping 0%, 1% and 5% of the
//! segments in each direction (data and ACKs alike). The table it prints is the
//! snapshot to compare in review; the assertions are loose floors so that a collapse
//! (every loss ending in a retransmission timeout) fails the test.
//!
//! Everything is deterministic (fixed seeds, virtual clock): the same code gives the
//! same table on every machine.

use core::net::SocketAddrV4;

use tundra_core::{Duration, Instant};
use tundra_tcp::{ConnHandle, Endpoint, EndpointConfig, RecvError, TcpConfig, TcpCounters};
use tundra_testkit::netsim::{LinkConfig, Pair};

const TOTAL: usize = 4 << 20;
const SEEDS: [u64; 3] = [1, 2, 3];

fn byte(i: usize) -> u8 {
    (i.wrapping_mul(31) ^ (i >> 10)) as u8
}

/// One bulk transfer: what it took.
struct Outcome {
    secs: f64,
    sender: TcpCounters,
    dropped: u64,
}

impl Outcome {
    fn goodput(&self) -> f64 {
        TOTAL as f64 / self.secs / 1e6
    }
}

/// Endpoint A (the server, like chargen) sends [`TOTAL`] bytes to B, which checks
/// them; returns when B has them all, timed from the moment A accepted.
fn bulk(loss: f64, seed: u64) -> Outcome {
    let link = LinkConfig {
        latency: Duration::from_micros(500),
        loss,
        rate: Some(100_000_000),
        ..LinkConfig::default()
    };
    // The sender turns Nagle off, as bulk senders do: otherwise its final short
    // segment waits for the ACK of the data before it, which a delayed-ACK receiver
    // holds 40 ms when that data is an odd number of segments (RFC 9293 §3.7.4 and
    // §3.8.6.3 together), and the clean run would measure that wait.
    let sender = EndpointConfig {
        connection: TcpConfig {
            nagle: false,
            ..TcpConfig::default()
        },
        ..EndpointConfig::default()
    };
    let a = Endpoint::new(sender, seed);
    let b = Endpoint::new(EndpointConfig::default(), seed + 100);
    let mut pair = Pair::new(a, b, link, seed + 200);
    let listener = pair.a.listen(SocketAddrV4::new(Pair::A_IP, 19)).unwrap();
    let client = pair
        .b
        .connect(pair.now, Pair::B_IP, SocketAddrV4::new(Pair::A_IP, 19))
        .unwrap();
    let mut server: Option<ConnHandle> = None;
    let (mut sent, mut received) = (0usize, 0usize);
    let mut chunk = vec![0u8; 64 * 1024];
    // Timed from the handshake's completion: a lost SYN costs the initial RTO (1 s),
    // which says nothing about throughput.
    let mut start = None;
    let deadline = Instant::ZERO + Duration::from_secs(600);
    while received < TOTAL {
        assert!(
            pair.now < deadline,
            "loss {loss} seed {seed}: stuck at {received} bytes"
        );
        if server.is_none() {
            server = pair.a.accept(listener);
            start = server.map(|_| pair.now);
        }
        if let Some(h) = server {
            let conn = pair.a.connection_mut(h).unwrap();
            while sent < TOTAL {
                let n = (TOTAL - sent).min(chunk.len());
                for (k, b) in chunk[..n].iter_mut().enumerate() {
                    *b = byte(sent + k);
                }
                match conn.send(&chunk[..n]) {
                    Ok(k) => sent += k,
                    Err(_) => break,
                }
            }
            while conn.poll_event().is_some() {}
        }
        let conn = pair.b.connection_mut(client).unwrap();
        loop {
            match conn.recv(&mut chunk) {
                Ok(0) | Err(RecvError::WouldBlock) | Err(RecvError::NotConnected) => break,
                Ok(n) => {
                    for (k, b) in chunk[..n].iter().enumerate() {
                        assert_eq!(*b, byte(received + k), "byte {}", received + k);
                    }
                    received += n;
                }
                Err(e) => panic!("recv: {e}"),
            }
        }
        while conn.poll_event().is_some() {}
        if !pair.step(deadline) {
            break;
        }
    }
    let secs = (pair.now - start.expect("connected")).total_micros() as f64 / 1e6;
    Outcome {
        secs,
        sender: pair.a.counters(),
        dropped: pair.dropped,
    }
}

#[test]
fn goodput_under_random_loss_snapshot() {
    println!(
        "{:>5} {:>4} {:>8} {:>8} {:>7} {:>6} {:>6} {:>5} {:>5} {:>5}",
        "loss", "seed", "time s", "MB/s", "dropped", "rexmit", "fast", "lostR", "TLP", "RTO"
    );
    let mut median = Vec::new();
    for loss in [0.0, 0.01, 0.05] {
        let mut rates = Vec::new();
        for seed in SEEDS {
            let o = bulk(loss, seed);
            let c = &o.sender.conn;
            println!(
                "{:>4}% {:>4} {:>8.3} {:>8.1} {:>7} {:>6} {:>6} {:>5} {:>5} {:>5}",
                loss * 100.0,
                seed,
                o.secs,
                o.goodput(),
                o.dropped,
                c.retransmits,
                c.fast_retransmits,
                c.lost_retransmits,
                c.tail_loss_probes,
                c.rto_expirations
            );
            if loss == 0.0 {
                assert_eq!(c.retransmits, 0, "no loss, no retransmission");
            }
            rates.push(o.goodput());
        }
        rates.sort_by(|x, y| x.total_cmp(y));
        median.push(rates[rates.len() / 2]);
    }
    let (clean, one, five) = (median[0], median[1], median[2]);
    println!(
        "median MB/s: 0% {clean:.1}, 1% {one:.1} (Mathis {:.1}), 5% {five:.1} (Mathis {:.1})",
        mathis(0.01),
        mathis(0.05)
    );
    // Loose floors. With loss, a window-halving sender cannot beat the Mathis bound;
    // reaching half of it means losses are repaired within a round trip or two. A
    // regression to "every loss waits for the RTO" lands far below (before RACK-TLP
    // the 5% median was 2.4 MB/s).
    assert!(clean > 80.0, "clean link: {clean:.1} MB/s of 100");
    assert!(one > mathis(0.01) / 2.0, "1% loss: {one:.1} MB/s");
    assert!(five > mathis(0.05) / 2.0, "5% loss: {five:.1} MB/s");
}

/// The Mathis et al. estimate of a Reno-style flow's throughput in MB/s at loss
/// probability `p` on this link (MSS 1448 bytes, RTT 1 ms): MSS / RTT * 1.22 / sqrt(p).
fn mathis(p: f64) -> f64 {
    1448.0 / 1e-3 * 1.22 / p.sqrt() / 1e6
}
