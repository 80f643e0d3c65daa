//! A deterministic simulated network between two TCP endpoints (smoltcp `netsim`,
//! quinn `Pair` style): virtual clock, one-way latency, and seeded loss, duplication
//! and reordering. Segments travel as bytes, so both ends parse and checksum them.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use core::net::Ipv4Addr;

use tundra_core::{Duration, Instant, Rng};
use tundra_tcp::{Endpoint, TcpCounters};

/// Impairments of the link, applied independently to each segment in each direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkConfig {
    /// One-way delay.
    pub latency: Duration,
    /// Probability of dropping a segment.
    pub loss: f64,
    /// Probability of delivering a segment twice.
    pub duplicate: f64,
    /// Probability of delaying a segment by up to `reorder_delay` more (so later
    /// segments overtake it).
    pub reorder: f64,
    /// The extra delay of a reordered segment (uniform in 0..this).
    pub reorder_delay: Duration,
    /// Link rate in bytes per second (serialization delay); `None` for infinite.
    pub rate: Option<u64>,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            latency: Duration::from_millis(5),
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_delay: Duration::from_millis(5),
            rate: None,
        }
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct InFlight {
    at: Instant,
    order: u64,
    to_b: bool,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    bytes: Vec<u8>,
}

/// One segment as the link saw it (see [`Pair::capture`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    /// When it was sent.
    pub at: Instant,
    /// Sent by A (towards B).
    pub from_a: bool,
    /// The link dropped it.
    pub dropped: bool,
    /// The TCP segment.
    pub bytes: Vec<u8>,
}

/// Two endpoints, A and B, and the link between them.
#[derive(Debug)]
pub struct Pair {
    /// The virtual clock.
    pub now: Instant,
    /// Endpoint A (address [`Pair::A_IP`]).
    pub a: Endpoint,
    /// Endpoint B (address [`Pair::B_IP`]).
    pub b: Endpoint,
    link: LinkConfig,
    rng: Rng,
    queue: BinaryHeap<Reverse<InFlight>>,
    order: u64,
    /// When each direction's link is free again (rate limiting): [A->B, B->A].
    busy_until: [Instant; 2],
    /// Segments dropped, duplicated, reordered by the link.
    pub dropped: u64,
    /// Segments duplicated by the link.
    pub duplicated: u64,
    /// Segments delayed out of order by the link.
    pub reordered: u64,
    /// Segments delivered.
    pub delivered: u64,
    /// When `Some`, every segment either side sends is recorded here (a capture, for
    /// tests that look at the conversation).
    pub capture: Option<Vec<Captured>>,
}

impl Pair {
    /// A's address.
    pub const A_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    /// B's address.
    pub const B_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

    /// Joins `a` and `b` with `link`; the link's randomness comes from `seed`.
    pub fn new(a: Endpoint, b: Endpoint, link: LinkConfig, seed: u64) -> Pair {
        Pair {
            now: Instant::ZERO,
            a,
            b,
            link,
            rng: Rng::from_seed(seed),
            queue: BinaryHeap::new(),
            order: 0,
            busy_until: [Instant::ZERO; 2],
            dropped: 0,
            duplicated: 0,
            reordered: 0,
            delivered: 0,
            capture: None,
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && (self.rng.next_u32() as f64) < p * (u32::MAX as f64)
    }

    fn send(&mut self, to_b: bool, src: Ipv4Addr, dst: Ipv4Addr, bytes: &[u8]) {
        let dir = if to_b { 0 } else { 1 };
        let mut depart = self.now;
        if let Some(rate) = self.link.rate {
            let start = self.busy_until[dir].max(self.now);
            let tx = Duration::from_micros(bytes.len() as u64 * 1_000_000 / rate.max(1));
            depart = start + tx;
            self.busy_until[dir] = depart;
        }
        let drop = self.chance(self.link.loss);
        if let Some(cap) = self.capture.as_mut() {
            cap.push(Captured {
                at: self.now,
                from_a: to_b,
                dropped: drop,
                bytes: bytes.to_vec(),
            });
        }
        if drop {
            self.dropped += 1;
            return;
        }
        let copies = if self.chance(self.link.duplicate) {
            self.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let mut at = depart + self.link.latency;
            if self.chance(self.link.reorder) {
                self.reordered += 1;
                let extra = self.link.reorder_delay.total_micros().max(1);
                at += Duration::from_micros(self.rng.next_u64() % extra);
            }
            self.order += 1;
            self.queue.push(Reverse(InFlight {
                at,
                order: self.order,
                to_b,
                src,
                dst,
                bytes: bytes.to_vec(),
            }));
        }
    }

    /// Lets both endpoints transmit whatever is ready now.
    pub fn flush(&mut self) {
        let now = self.now;
        let mut out = Vec::new();
        self.a
            .poll_transmit(now, |s, d, b| out.push((true, s, d, b.to_vec())));
        self.b
            .poll_transmit(now, |s, d, b| out.push((false, s, d, b.to_vec())));
        for (to_b, s, d, b) in out {
            self.send(to_b, s, d, &b);
        }
    }

    /// Advances the clock to the next event (a delivery or a timer) no later than
    /// `limit`, delivers what is due and lets both sides transmit. Returns false if
    /// nothing at all is scheduled (the network is idle for good).
    pub fn step(&mut self, limit: Instant) -> bool {
        self.flush();
        let next = [
            self.queue.peek().map(|Reverse(p)| p.at),
            self.a.poll_at(),
            self.b.poll_at(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else {
            return false;
        };
        self.now = self.now.max(next.min(limit));
        while self.queue.peek().is_some_and(|Reverse(p)| p.at <= self.now) {
            let Reverse(p) = self.queue.pop().expect("peeked");
            self.delivered += 1;
            if p.to_b {
                self.b.receive(self.now, p.src, p.dst, &p.bytes);
            } else {
                self.a.receive(self.now, p.src, p.dst, &p.bytes);
            }
        }
        self.flush();
        true
    }

    /// Both endpoints' counters.
    pub fn counters(&self) -> (TcpCounters, TcpCounters) {
        (self.a.counters(), self.b.counters())
    }
}
