//! [`Interface`]: one address on one device, and the dispatch of every frame in and
//! out of it.
//!
//! Inbound: `receive(now, frame)` -> Ethernet (TAP only) -> ARP or IPv4 -> ICMP (and,
//! as they land, UDP and TCP). Outbound: everything we send goes through
//! [`Interface::send_ip`], which picks the next hop, resolves it with ARP on Ethernet
//! (queueing the packet meanwhile) and appends the finished frame to the transmit
//! queue. The driver drains that queue with [`Interface::dequeue`] or lets
//! [`Interface::poll_device`] do the whole round.
//!
//! No I/O happens here: the interface is a state machine over `(now, bytes)`.

use std::collections::VecDeque;

use tundra_core::{Instant, Rng};
use tundra_ip::{IpProtocol, Ipv4Addr, Ipv4Packet, Ipv4Repr};
use tundra_link::{NeighborAction, NeighborCache};

use crate::{Config, Counters, Device, Medium, RxChecksum};

mod ethernet;
mod fragment;
mod icmp;
mod ipv4;
mod tcp;
mod udp;

pub use icmp::EchoReply;
pub use udp::UdpSendError;

/// Length of an Ethernet II header, reserved in front of every outgoing IP packet on
/// an Ethernet medium.
pub(crate) const ETH_HEADER_LEN: usize = 14;
/// Frames [`Interface::poll_device`] reads before it sends what they caused.
pub const RX_BUDGET: usize = 32;
/// Size of an IPv4 header without options (we never send options).
pub(crate) const IPV4_HEADER_LEN: usize = 20;
/// Transmitted frames kept for reuse ([`Interface::recycle`]).
const SPARE_FRAMES: usize = 64;
/// A frame buffer larger than this is not kept for reuse.
const SPARE_FRAME_MAX_CAPACITY: usize = 65_536 + ETH_HEADER_LEN;

/// Why a packet could not be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The destination is off-link and no gateway is configured.
    #[error("no route to host")]
    NoRoute,
    /// The packet is larger than the device MTU and may not be fragmented (`send_ip`
    /// sets DF), or the datagram is larger than 65535 bytes.
    #[error("message too long for the link MTU")]
    TooLong,
    /// The transmit or resolution queue is full.
    #[error("queue full")]
    QueueFull,
}

/// A network interface with one IPv4 address: the heart of the stack.
#[derive(Debug)]
pub struct Interface {
    config: Config,
    mtu: usize,
    rng: Rng,
    counters: Counters,
    neighbors: NeighborCache,
    tx: VecDeque<Vec<u8>>,
    /// Buffers of frames already transmitted, for the next ones ([`Interface::recycle`]).
    spare: Vec<Vec<u8>>,
    ip_ident: u16,
    echo_replies: VecDeque<EchoReply>,
    announce: ethernet::Announcer,
    rx_buf: Vec<u8>,
    tcp: tundra_tcp::Endpoint,
    tcp_out: tcp::TcpOutbox,
    reassembler: tundra_ip::Reassembler,
    udp: tundra_udp::UdpSockets,
    icmp_errors: crate::TokenBucket,
}
impl Interface {
    /// A new interface. `mtu` is the largest IP packet the device carries.
    pub fn new(config: Config, mtu: usize) -> Interface {
        let mut rng = Rng::from_seed(config.seed);
        let ip_ident = rng.next_u16();
        let tcp_seed = rng.next_u64();
        Interface {
            neighbors: NeighborCache::new(config.neighbor),
            reassembler: tundra_ip::Reassembler::new(config.reassembly),
            udp: tundra_udp::UdpSockets::new(config.udp.clone()),
            icmp_errors: crate::TokenBucket::new(config.icmp_error_limit),
            config,
            mtu,
            rng,
            counters: Counters::default(),
            tx: VecDeque::new(),
            spare: Vec::new(),
            ip_ident,
            echo_replies: VecDeque::new(),
            announce: ethernet::Announcer::default(),
            rx_buf: vec![0; 65_536 + ETH_HEADER_LEN],
            tcp: tcp::endpoint_for(mtu, tcp_seed),
            tcp_out: tcp::TcpOutbox::default(),
        }
    }

    /// The configuration the interface was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Our IPv4 address.
    pub fn address(&self) -> Ipv4Addr {
        self.config.address.address()
    }

    /// The counters, for `netstat -s`-like output.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The ARP cache (Ethernet medium).
    pub fn neighbors(&self) -> &NeighborCache {
        &self.neighbors
    }

    /// The stack's seeded RNG, for layers above that need randomness.
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// One round with a device: up to [`RX_BUDGET`] waiting frames in, timers, every
    /// queued frame out. Returns true if any frame moved; call again while it does.
    ///
    /// The budget keeps the stack responsive under a burst: without it a thousand
    /// frames from twenty senders are all read before the first ACK goes out, and a
    /// peer with a short tail-loss-probe timer (Linux: about 2*SRTT) retransmits
    /// segments we have long received (NAPI's budget does the same for a NIC).
    pub fn poll_device<D: Device + ?Sized>(&mut self, now: Instant, device: &mut D) -> bool {
        let mut moved = false;
        self.set_tx_checksum_offload(device.tx_checksum_offload());
        let mut buf = std::mem::take(&mut self.rx_buf);
        for _ in 0..RX_BUDGET {
            let Some((n, checksum)) = device.receive_vouched(now, &mut buf) else {
                break;
            };
            self.receive_with(now, &buf[..n], checksum);
            moved = true;
        }
        self.rx_buf = buf;
        self.poll(now);
        while let Some(frame) = self.dequeue() {
            device.transmit(now, &frame);
            self.recycle(frame);
            moved = true;
        }
        device.flush_transmit(now);
        moved
    }

    /// The next frame to put on the wire, if any.
    pub fn dequeue(&mut self) -> Option<Vec<u8>> {
        self.tx.pop_front()
    }

    /// Hands back a frame from [`Interface::dequeue`] once the device has it, so the
    /// next frame reuses its buffer instead of allocating one (a segment, an echo
    /// reply: every frame sent was a fresh `Vec` before). Optional: a dropped frame is
    /// simply freed.
    pub fn recycle(&mut self, frame: Vec<u8>) {
        if self.spare.len() < SPARE_FRAMES && frame.capacity() <= SPARE_FRAME_MAX_CAPACITY {
            self.spare.push(frame);
        }
    }

    /// A zeroed frame of `len` bytes, in a recycled buffer when there is one.
    pub(super) fn take_frame(&mut self, len: usize) -> Vec<u8> {
        let mut frame = self.spare.pop().unwrap_or_default();
        frame.clear();
        frame.resize(len, 0);
        frame
    }

    /// When [`Interface::poll`] next has timer work to do.
    pub fn poll_at(&self) -> Option<Instant> {
        let announce = match self.config.medium {
            Medium::Ethernet => self.announce.poll_at(),
            Medium::Ip => None,
        };
        [
            announce,
            self.neighbors.poll_at(),
            self.tcp.poll_at(),
            self.reassembler.poll_at(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Fires every timer that is due at `now`.
    pub fn poll(&mut self, now: Instant) {
        if self.config.medium == Medium::Ethernet {
            self.poll_announce(now);
            let mut actions = Vec::new();
            self.neighbors.poll(now, &mut actions);
            for action in actions {
                match action {
                    NeighborAction::SendRequest(addr) => self.send_arp_request(addr),
                    NeighborAction::GaveUp {
                        addr,
                        dropped_packets,
                    } => {
                        log::debug!(
                            "arp: {addr} did not answer, dropped {dropped_packets} packets"
                        );
                        self.counters.arp_resolution_failed += dropped_packets as u64;
                    }
                    #[allow(unreachable_patterns)]
                    _ => {}
                }
            }
        }
        self.expire_fragments(now);
        self.poll_tcp(now);
    }

    /// Handles one frame from the device.
    pub fn receive(&mut self, now: Instant, frame: &[u8]) {
        self.receive_with(now, frame, RxChecksum::Unverified);
    }

    /// Handles one frame from the device, which vouched for its TCP checksum as
    /// `checksum` says ([`Device::receive_vouched`]).
    pub fn receive_with(&mut self, now: Instant, frame: &[u8], checksum: RxChecksum) {
        self.counters.rx_frames += 1;
        match self.config.medium {
            Medium::Ip => self.receive_ip_frame(now, frame, checksum),
            // A TAP device has no virtio header, so nothing to vouch with.
            Medium::Ethernet => self.receive_ethernet(now, frame),
        }
    }
    fn receive_ip_frame(&mut self, now: Instant, packet: &[u8], checksum: RxChecksum) {
        // A TUN device without packet information gives bare IP: tell the version by
        // the first nibble, skip IPv6.
        match packet.first().map(|b| b >> 4) {
            Some(4) => self.receive_ipv4(now, packet, checksum),
            Some(6) => self.counters.eth_ipv6_skipped += 1,
            _ => self.counters.ip_bad_version += 1,
        }
    }
    pub(super) fn enqueue_frame(&mut self, frame: Vec<u8>) {
        if self.tx.len() >= self.config.tx_queue_len {
            self.counters.tx_queue_full += 1;
            return;
        }
        self.counters.tx_frames += 1;
        self.tx.push_back(frame);
    }
    /// Builds an IPv4 packet from us to `dst` whose payload of `payload_len` bytes is
    /// written by `fill`, and queues it for the next hop.
    pub fn send_ip(
        &mut self,
        now: Instant,
        dst: Ipv4Addr,
        protocol: IpProtocol,
        payload_len: usize,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<(), SendError> {
        if IPV4_HEADER_LEN + payload_len > self.mtu.min(65_535) {
            return Err(SendError::TooLong);
        }
        let next_hop = self.route(dst)?;
        let head = self.ip_headroom();
        let mut frame = self.take_frame(head + payload_len);
        fill(&mut frame[head..]);
        self.send_ip_frame(now, dst, next_hop, protocol, frame)
    }

    /// The next hop for `dst` ([`Interface::next_hop`]), counting a datagram that has
    /// none.
    pub(super) fn route(&mut self, dst: Ipv4Addr) -> Result<Ipv4Addr, SendError> {
        self.next_hop(dst).inspect_err(|_| {
            self.counters.ip_no_route += 1;
        })
    }

    /// The bytes in front of an IP payload in a frame: the link header (none on a TUN
    /// device, Ethernet's on a TAP device) and the IPv4 header we send (no options).
    pub(super) fn ip_headroom(&self) -> usize {
        self.link_len() + IPV4_HEADER_LEN
    }

    /// [`Interface::send_ip`] for a frame whose payload is already in place, behind
    /// [`Interface::ip_headroom`] bytes, routed ([`Interface::route`]) to `next_hop`:
    /// writes the IPv4 header (DF set) in front of it and queues it for the next hop.
    pub(super) fn send_ip_frame(
        &mut self,
        now: Instant,
        dst: Ipv4Addr,
        next_hop: Ipv4Addr,
        protocol: IpProtocol,
        mut frame: Vec<u8>,
    ) -> Result<(), SendError> {
        let head = self.ip_headroom();
        let payload_len = frame.len().saturating_sub(head);
        if frame.len() < head || IPV4_HEADER_LEN + payload_len > self.mtu.min(65_535) {
            return Err(SendError::TooLong);
        }
        self.ip_ident = self.ip_ident.wrapping_add(1);
        let repr = Ipv4Repr {
            src_addr: self.address(),
            dst_addr: dst,
            protocol,
            payload_len,
            ttl: self.config.ttl,
            ident: self.ip_ident,
            // RFC 1191: we do not fragment, so say so and let PMTUD work.
            dont_frag: true,
            more_frags: false,
            frag_offset: 0,
            dscp_ecn: 0,
        };
        log::trace!("tx {repr}");
        let link_len = head - IPV4_HEADER_LEN;
        repr.emit(&mut Ipv4Packet::new_unchecked(&mut frame[link_len..]));
        self.counters.ip_tx += 1;
        match self.config.medium {
            Medium::Ip => self.enqueue_frame(frame),
            Medium::Ethernet => self.send_via_neighbor(now, next_hop, frame)?,
        }
        Ok(())
    }

    fn next_hop(&self, dst: Ipv4Addr) -> Result<Ipv4Addr, SendError> {
        if self.config.address.contains_addr(dst) || dst.is_broadcast() {
            Ok(dst)
        } else {
            self.config.gateway.ok_or(SendError::NoRoute)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An interface on a TUN device (no link layer) at 10.0.0.2/24, MTU 1500: the
    /// unit tests' stack here and in the layer files.
    pub(super) fn stack() -> Interface {
        Interface::new(
            Config::new(Medium::Ip, "10.0.0.2/24".parse().unwrap()),
            1500,
        )
    }

    /// A recycled buffer is reused, and comes back zeroed: nothing of the frame it
    /// carried can leak into a field the next one does not write.
    #[test]
    fn recycled_frames_are_reused_and_zeroed() {
        let mut s = stack();
        let old = vec![0xAA; 1000];
        let at = old.as_ptr();
        s.recycle(old);
        let frame = s.take_frame(60);
        assert_eq!(frame.as_ptr(), at, "the recycled buffer");
        assert_eq!(frame, vec![0; 60]);
        assert!(s.take_frame(60).capacity() < 1000, "one spare only");
    }

    /// The pool is bounded in count and in the size of what it keeps.
    #[test]
    fn the_pool_is_bounded() {
        let mut s = stack();
        s.recycle(Vec::with_capacity(SPARE_FRAME_MAX_CAPACITY + 1));
        assert!(s.spare.is_empty(), "an oversized buffer is freed");
        for _ in 0..SPARE_FRAMES + 10 {
            s.recycle(vec![0; 10]);
        }
        assert_eq!(s.spare.len(), SPARE_FRAMES);
    }
}
