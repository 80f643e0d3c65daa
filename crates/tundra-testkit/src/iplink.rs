//! A deterministic simulated IP link between Tundra's whole stack and smoltcp's
//! (smoltcp `tests/netsim.rs` style), for behaviour-level interop tests.
//!
//! One side is a [`tundra_stack::Interface`] on a raw-IP device, the other a
//! `smoltcp::iface::Interface` (medium IP) whose `phy::Device` is a queue of this
//! module. Whole IPv4 packets travel as bytes between them, so each stack parses,
//! checksums and answers what the other one really sent. Both read the same virtual
//! clock ([`IpSim::now`], microseconds from zero; smoltcp's `time::Instant` is built
//! from the same count), and each direction of the link has its own seeded
//! [`Impairments`]: one-way latency, a rate, and random loss, duplication,
//! reordering and corruption (one byte of the packet flipped, which both stacks must
//! drop by checksum and recover from by retransmission).
//!
//! Nothing here reads the wall clock or iterates a hash map: the same seeds give the
//! same packets at the same virtual instants, run after run, so completion times can
//! be kept as a snapshot.
//!
//! The harness moves packets and time only; what the sockets do (listen, connect,
//! send, read, close) is up to the test, between calls to [`IpSim::poll`] and
//! [`IpSim::advance`].

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use core::net::Ipv4Addr;

use smoltcp::iface::{Config as SmolConfig, Interface as SmolInterface, SocketSet};
use smoltcp::phy::{self, DeviceCapabilities};
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr};
use tundra_core::{Duration, Instant, Rng};
use tundra_ip::Ipv4Cidr;
use tundra_stack::{Config as TundraConfig, Device, Interface as TundraInterface, Medium};

/// What one direction of the link does to the packets it carries. Each random
/// impairment is drawn independently per packet from the direction's seeded RNG.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Impairments {
    /// One-way propagation delay.
    pub latency: Duration,
    /// Link rate in bytes per second (serialization delay, unbounded queue); `None`
    /// for infinitely fast.
    pub rate: Option<u64>,
    /// Probability of dropping a packet.
    pub loss: f64,
    /// Probability of delivering a packet twice.
    pub duplicate: f64,
    /// Probability of holding a packet back by up to `reorder_delay` (uniform), so
    /// that later packets overtake it.
    pub reorder: f64,
    /// The most a reordered packet is held back.
    pub reorder_delay: Duration,
    /// Probability of flipping one byte of a delivered copy (any byte: IP header,
    /// TCP header or payload). Every such packet fails a checksum.
    pub corrupt: f64,
}

impl Default for Impairments {
    /// A clean link: 5 ms one way, 100 Mbit/s, nothing lost, duplicated, reordered or
    /// corrupted.
    fn default() -> Self {
        Impairments {
            latency: Duration::from_millis(5),
            rate: Some(12_500_000),
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_delay: Duration::from_millis(8),
            corrupt: 0.0,
        }
    }
}

/// What one direction of the link did, packet by packet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WireStats {
    /// Packets handed to the link by the sending stack.
    pub sent: u64,
    /// Packets the link dropped.
    pub dropped: u64,
    /// Packets the link delivered twice.
    pub duplicated: u64,
    /// Copies the link held back out of order.
    pub reordered: u64,
    /// Copies with a byte flipped (counted when queued).
    pub corrupted: u64,
    /// Copies handed to the receiving stack.
    pub delivered: u64,
    /// Corrupted copies handed to the receiving stack.
    pub corrupted_delivered: u64,
}

/// One packet as a wire handled it, kept in the wire's log (see [`Wire::keep_log`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// When the sending stack handed it over.
    pub at: Instant,
    /// Copies queued for delivery: 0 (lost), 1, or 2 (duplicated).
    pub copies: u8,
    /// How many of those copies had a byte flipped.
    pub corrupted: u8,
    /// The packet as sent.
    pub bytes: Vec<u8>,
}

impl core::fmt::Display for Logged {
    /// One line: time, fate, then smoltcp's pretty printer's view of the packet.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let fate = match (self.copies, self.corrupted) {
            (0, _) => "LOST",
            (_, 0) if self.copies == 2 => "DUP",
            (_, 0) => "ok",
            _ => "CORRUPTED",
        };
        let printer =
            smoltcp::wire::PrettyPrinter::<smoltcp::wire::Ipv4Packet<&[u8]>>::new("", &self.bytes);
        let text = printer.to_string().replace('\n', " ");
        write!(f, "{} {fate:<9} {}", self.at, text.trim_end())
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct InFlight {
    at: Instant,
    order: u64,
    corrupted: bool,
    bytes: Vec<u8>,
}

/// One direction of the link: a seeded impairment model in front of a queue of
/// packets ordered by arrival time (ties in sending order).
#[derive(Debug)]
pub struct Wire {
    config: Impairments,
    rng: Rng,
    queue: BinaryHeap<Reverse<InFlight>>,
    order: u64,
    busy_until: Instant,
    stats: WireStats,
    log: VecDeque<Logged>,
    log_limit: usize,
}

impl Wire {
    /// A wire with `config`, drawing its randomness from `seed`.
    pub fn new(config: Impairments, seed: u64) -> Wire {
        Wire {
            config,
            rng: Rng::from_seed(seed),
            queue: BinaryHeap::new(),
            order: 0,
            busy_until: Instant::ZERO,
            stats: WireStats::default(),
            log: VecDeque::new(),
            log_limit: 0,
        }
    }

    /// Keeps the last `limit` packets sent on this wire, with their fate, for a test
    /// to print when something goes wrong (0, the default, keeps none).
    pub fn keep_log(&mut self, limit: usize) {
        self.log_limit = limit;
        while self.log.len() > limit {
            self.log.pop_front();
        }
    }

    /// The packets kept by [`Wire::keep_log`], oldest first.
    pub fn log(&self) -> impl Iterator<Item = &Logged> {
        self.log.iter()
    }

    /// The impairments of this wire.
    pub fn config(&self) -> &Impairments {
        &self.config
    }

    /// What the wire has done so far.
    pub fn stats(&self) -> WireStats {
        self.stats
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && (self.rng.next_u32() as f64) < p * (u32::MAX as f64)
    }

    /// Puts `packet` on the wire at `now`: it leaves once the link is free and has
    /// serialized it, and arrives `latency` later, unless lost; a copy may be
    /// duplicated, held back or corrupted on the way.
    pub fn send(&mut self, now: Instant, packet: &[u8]) {
        self.stats.sent += 1;
        let mut depart = now;
        if let Some(rate) = self.config.rate {
            let start = self.busy_until.max(now);
            let tx = Duration::from_micros(packet.len() as u64 * 1_000_000 / rate.max(1));
            depart = start + tx;
            self.busy_until = depart;
        }
        let mut logged = Logged {
            at: now,
            copies: 0,
            corrupted: 0,
            bytes: Vec::new(),
        };
        if self.chance(self.config.loss) {
            self.stats.dropped += 1;
            self.record(logged, packet);
            return;
        }
        let copies = if self.chance(self.config.duplicate) {
            self.stats.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let mut at = depart + self.config.latency;
            if self.chance(self.config.reorder) {
                self.stats.reordered += 1;
                let extra = self.config.reorder_delay.total_micros().max(1);
                at += Duration::from_micros(self.rng.next_u64() % extra);
            }
            let mut bytes = packet.to_vec();
            let corrupted = !bytes.is_empty() && self.chance(self.config.corrupt);
            logged.copies += 1;
            if corrupted {
                logged.corrupted += 1;
                self.stats.corrupted += 1;
                let i = (self.rng.next_u64() % bytes.len() as u64) as usize;
                // A non-zero mask: the byte always changes.
                let mask = (self.rng.next_u32() % 0xff) as u8 + 1;
                bytes[i] ^= mask;
            }
            self.order += 1;
            self.queue.push(Reverse(InFlight {
                at,
                order: self.order,
                corrupted,
                bytes,
            }));
        }
        self.record(logged, packet);
    }

    fn record(&mut self, mut logged: Logged, packet: &[u8]) {
        if self.log_limit == 0 {
            return;
        }
        if self.log.len() == self.log_limit {
            self.log.pop_front();
        }
        logged.bytes = packet.to_vec();
        self.log.push_back(logged);
    }

    /// When the next packet arrives, if any is in flight.
    pub fn next_arrival(&self) -> Option<Instant> {
        self.queue.peek().map(|Reverse(p)| p.at)
    }

    /// The next packet that has arrived by `now`, if any.
    pub fn receive(&mut self, now: Instant) -> Option<Vec<u8>> {
        if self.next_arrival()? > now {
            return None;
        }
        let Reverse(p) = self.queue.pop()?;
        self.stats.delivered += 1;
        if p.corrupted {
            self.stats.corrupted_delivered += 1;
        }
        Some(p.bytes)
    }

    /// Packets still in flight.
    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }
}

/// Tundra's end of the link: a [`Device`] reading one wire and writing the other.
#[derive(Debug)]
pub struct TundraPort<'a> {
    rx: &'a mut Wire,
    tx: &'a mut Wire,
    mtu: usize,
}

impl Device for TundraPort<'_> {
    fn medium(&self) -> Medium {
        Medium::Ip
    }
    fn mtu(&self) -> usize {
        self.mtu
    }
    fn receive(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        let packet = self.rx.receive(now)?;
        let n = packet.len().min(buf.len());
        buf[..n].copy_from_slice(&packet[..n]);
        Some(n)
    }
    fn transmit(&mut self, now: Instant, frame: &[u8]) {
        self.tx.send(now, frame);
    }
}

/// smoltcp's end of the link: a `phy::Device` (medium IP) reading one wire and
/// writing the other, in the virtual time smoltcp passes in.
#[derive(Debug)]
pub struct SmolPort<'a> {
    rx: &'a mut Wire,
    tx: &'a mut Wire,
    mtu: usize,
}

/// A packet smoltcp receives.
#[derive(Debug)]
pub struct SmolRxToken(Vec<u8>);

/// Room for one packet smoltcp sends.
#[derive(Debug)]
pub struct SmolTxToken<'a> {
    wire: &'a mut Wire,
    now: Instant,
}

/// smoltcp's clock reading for our virtual instant (same microseconds).
pub fn to_smol(now: Instant) -> smoltcp::time::Instant {
    smoltcp::time::Instant::from_micros(now.total_micros())
}

/// Our virtual instant for smoltcp's clock reading.
pub fn from_smol(now: smoltcp::time::Instant) -> Instant {
    Instant::from_micros(now.total_micros())
}

impl phy::RxToken for SmolRxToken {
    fn consume<R, F>(self, f: F) -> R
    where
        F: FnOnce(&[u8]) -> R,
    {
        f(&self.0)
    }
}

impl phy::TxToken for SmolTxToken<'_> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        let mut buf = vec![0u8; len];
        let r = f(&mut buf);
        self.wire.send(self.now, &buf);
        r
    }
}

impl phy::Device for SmolPort<'_> {
    type RxToken<'b>
        = SmolRxToken
    where
        Self: 'b;
    type TxToken<'b>
        = SmolTxToken<'b>
    where
        Self: 'b;

    fn receive(
        &mut self,
        timestamp: smoltcp::time::Instant,
    ) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let now = from_smol(timestamp);
        let packet = self.rx.receive(now)?;
        Some((
            SmolRxToken(packet),
            SmolTxToken {
                wire: &mut *self.tx,
                now,
            },
        ))
    }

    fn transmit(&mut self, timestamp: smoltcp::time::Instant) -> Option<Self::TxToken<'_>> {
        Some(SmolTxToken {
            wire: &mut *self.tx,
            now: from_smol(timestamp),
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = phy::Medium::Ip;
        caps.max_transmission_unit = self.mtu;
        // The default checksum capabilities: smoltcp computes and verifies every
        // checksum itself, so a corrupted packet is dropped, not accepted.
        caps
    }
}

/// How to build an [`IpSim`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IpSimConfig {
    /// The direction from Tundra to smoltcp.
    pub to_smoltcp: Impairments,
    /// The direction from smoltcp to Tundra.
    pub to_tundra: Impairments,
    /// The largest IP packet either device carries.
    pub mtu: usize,
    /// Seeds the two wires and both stacks (ISNs, ports, IP identification).
    pub seed: u64,
}

impl IpSimConfig {
    /// Both directions impaired alike, 1500-byte MTU.
    pub fn symmetric(link: Impairments, seed: u64) -> IpSimConfig {
        IpSimConfig {
            to_smoltcp: link,
            to_tundra: link,
            mtu: 1500,
            seed,
        }
    }
}

/// Tundra's interface and smoltcp's, joined by a simulated link, in virtual time.
pub struct IpSim {
    /// The virtual clock both stacks read.
    pub now: Instant,
    /// Tundra's stack, at [`IpSim::TUNDRA_IP`].
    pub tundra: TundraInterface,
    /// smoltcp's interface, at [`IpSim::SMOLTCP_IP`].
    pub smol: SmolInterface,
    /// smoltcp's sockets (the test adds its own).
    pub sockets: SocketSet<'static>,
    to_smoltcp: Wire,
    to_tundra: Wire,
    mtu: usize,
}

impl core::fmt::Debug for IpSim {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IpSim")
            .field("now", &self.now)
            .field("to_smoltcp", &self.to_smoltcp.stats)
            .field("to_tundra", &self.to_tundra.stats)
            .finish_non_exhaustive()
    }
}

impl IpSim {
    /// Tundra's address.
    pub const TUNDRA_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
    /// smoltcp's address.
    pub const SMOLTCP_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);

    /// Both stacks up on a /24 at time zero, no sockets yet.
    pub fn new(config: IpSimConfig) -> IpSim {
        let mut rng = Rng::from_seed(config.seed);
        let mut to_smoltcp = Wire::new(config.to_smoltcp, rng.next_u64());
        let mut to_tundra = Wire::new(config.to_tundra, rng.next_u64());

        let cidr = Ipv4Cidr::new(Self::TUNDRA_IP, 24).expect("valid prefix");
        let mut tconfig = TundraConfig::new(Medium::Ip, cidr);
        tconfig.seed = rng.next_u64();
        let tundra = TundraInterface::new(tconfig, config.mtu);

        let mut sconfig = SmolConfig::new(HardwareAddress::Ip);
        sconfig.random_seed = rng.next_u64();
        let mut port = SmolPort {
            rx: &mut to_smoltcp,
            tx: &mut to_tundra,
            mtu: config.mtu,
        };
        let mut smol = SmolInterface::new(sconfig, &mut port, to_smol(Instant::ZERO));
        let [a, b, c, d] = Self::SMOLTCP_IP.octets();
        smol.update_ip_addrs(|addrs| {
            addrs
                .push(IpCidr::new(IpAddress::v4(a, b, c, d), 24))
                .expect("room for one address");
        });
        IpSim {
            now: Instant::ZERO,
            tundra,
            smol,
            sockets: SocketSet::new(Vec::new()),
            to_smoltcp,
            to_tundra,
            mtu: config.mtu,
        }
    }

    /// smoltcp's reading of the virtual clock.
    pub fn smol_now(&self) -> smoltcp::time::Instant {
        to_smol(self.now)
    }

    /// What the link did from Tundra to smoltcp.
    pub fn to_smoltcp_stats(&self) -> WireStats {
        self.to_smoltcp.stats()
    }

    /// What the link did from smoltcp to Tundra.
    pub fn to_tundra_stats(&self) -> WireStats {
        self.to_tundra.stats()
    }

    /// Keeps the last `limit` packets of each direction (see [`Wire::keep_log`]).
    pub fn keep_log(&mut self, limit: usize) {
        self.to_smoltcp.keep_log(limit);
        self.to_tundra.keep_log(limit);
    }

    /// Both directions' kept packets merged in sending order, one line each,
    /// prefixed `t>s` (Tundra to smoltcp) or `s>t`.
    pub fn log_text(&self) -> String {
        let mut lines: Vec<(Instant, u8, String)> = self
            .to_smoltcp
            .log()
            .map(|l| (l.at, 0, format!("t>s {l}")))
            .chain(self.to_tundra.log().map(|l| (l.at, 1, format!("s>t {l}"))))
            .collect();
        // Stable: within one instant and direction, sending order stays.
        lines.sort_by_key(|(at, dir, _)| (*at, *dir));
        lines.into_iter().map(|(_, _, l)| l + "\n").collect()
    }

    /// Packets in flight either way.
    pub fn in_flight(&self) -> usize {
        self.to_smoltcp.in_flight() + self.to_tundra.in_flight()
    }

    /// Lets both stacks take in every packet that has arrived by now, fire their due
    /// timers and put everything they have ready on the link. Call it after the test
    /// has touched the sockets, so what they queued goes out at this instant.
    pub fn poll(&mut self) {
        let now = self.now;
        let mut tport = TundraPort {
            rx: &mut self.to_tundra,
            tx: &mut self.to_smoltcp,
            mtu: self.mtu,
        };
        while self.tundra.poll_device(now, &mut tport) {}
        let mut sport = SmolPort {
            rx: &mut self.to_smoltcp,
            tx: &mut self.to_tundra,
            mtu: self.mtu,
        };
        self.smol.poll(to_smol(now), &mut sport, &mut self.sockets);
    }

    /// The next instant something happens: a packet arrives or a stack has a timer
    /// (or, for smoltcp, something to send right away: then it is `now`).
    pub fn next_event(&mut self) -> Option<Instant> {
        let smol = self
            .smol
            .poll_at(to_smol(self.now), &self.sockets)
            .map(from_smol);
        [
            self.to_smoltcp.next_arrival(),
            self.to_tundra.next_arrival(),
            self.tundra.poll_at(),
            smol,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Moves the clock to the next event, but never past `limit` and never back.
    /// Returns false when nothing at all is scheduled (the simulation is idle for
    /// good).
    pub fn advance(&mut self, limit: Instant) -> bool {
        let Some(next) = self.next_event() else {
            return false;
        };
        self.now = self.now.max(next.min(limit));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(n: u8) -> Vec<u8> {
        (0..100).map(|i| i ^ n).collect()
    }

    fn drain(wire: &mut Wire) -> Vec<(Instant, Vec<u8>)> {
        let mut out = Vec::new();
        while let Some(at) = wire.next_arrival() {
            let p = wire.receive(at).expect("due");
            out.push((at, p));
        }
        out
    }

    #[test]
    fn a_clean_wire_delivers_in_order_after_latency_and_serialization() {
        let mut wire = Wire::new(
            Impairments {
                rate: Some(100_000), // 100 bytes take 1 ms
                ..Impairments::default()
            },
            1,
        );
        wire.send(Instant::ZERO, &packet(1));
        wire.send(Instant::ZERO, &packet(2));
        assert_eq!(
            wire.receive(Instant::from_millis(5)),
            None,
            "still in flight"
        );
        let got = drain(&mut wire);
        assert_eq!(
            got,
            vec![
                (Instant::from_millis(6), packet(1)),
                (Instant::from_millis(7), packet(2)),
            ]
        );
        assert_eq!(wire.stats().delivered, 2);
    }

    #[test]
    fn the_same_seed_gives_the_same_impairments() {
        let config = Impairments {
            loss: 0.2,
            duplicate: 0.2,
            reorder: 0.2,
            corrupt: 0.2,
            ..Impairments::default()
        };
        let run = |seed| {
            let mut wire = Wire::new(config, seed);
            for i in 0..200u8 {
                wire.send(Instant::from_micros(i64::from(i) * 10), &packet(i));
            }
            (drain(&mut wire), wire.stats())
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7).0, run(8).0);
        let (_, stats) = run(7);
        assert!(stats.dropped > 0 && stats.duplicated > 0 && stats.reordered > 0);
        assert!(stats.corrupted > 0);
    }

    #[test]
    fn a_corrupted_copy_differs_in_exactly_one_byte() {
        let mut wire = Wire::new(
            Impairments {
                corrupt: 1.0,
                ..Impairments::default()
            },
            3,
        );
        for i in 0..50u8 {
            wire.send(Instant::ZERO, &packet(i));
        }
        let got = drain(&mut wire);
        assert_eq!(got.len(), 50);
        for (i, (_, p)) in got.iter().enumerate() {
            let sent = packet(i as u8);
            let differing = sent.iter().zip(p).filter(|(a, b)| a != b).count();
            assert_eq!(differing, 1, "packet {i}");
        }
        assert_eq!(wire.stats().corrupted_delivered, 50);
    }

    #[test]
    fn a_lossy_wire_drops_everything_at_probability_one_and_logs_it() {
        let mut wire = Wire::new(
            Impairments {
                loss: 1.0,
                ..Impairments::default()
            },
            4,
        );
        wire.keep_log(2);
        for i in 0..5u8 {
            wire.send(Instant::ZERO, &packet(i));
        }
        assert_eq!(wire.next_arrival(), None);
        assert_eq!(wire.stats().dropped, 5);
        let log: Vec<_> = wire.log().collect();
        assert_eq!(log.len(), 2, "only the last two kept");
        assert_eq!(log[1].bytes, packet(4));
        assert_eq!(log[1].copies, 0);
    }
}
