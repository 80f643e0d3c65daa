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
use tundra_ip::{
    ChecksumMode, Icmpv4Packet, Icmpv4Repr, IpProtocol, Ipv4Addr, Ipv4Packet, Ipv4Repr,
};
use tundra_link::{
    ArpOperation, ArpPacket, ArpRepr, EtherType, EthernetAddress, EthernetError, EthernetRepr,
    Frame, NeighborAction, NeighborCache,
};

use crate::{Config, Counters, Device, Medium};

/// Length of an Ethernet II header, reserved in front of every outgoing IP packet on
/// an Ethernet medium.
const ETH_HEADER_LEN: usize = 14;
/// Size of an IPv4 header without options (we never send options).
const IPV4_HEADER_LEN: usize = 20;
/// Echo replies for `tundra ping` kept before the oldest are dropped.
const PING_QUEUE_LEN: usize = 64;

/// An echo reply received for one of our own echo requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EchoReply {
    /// Who answered.
    pub from: Ipv4Addr,
    /// The identifier we sent.
    pub ident: u16,
    /// The sequence number we sent.
    pub seq_no: u16,
    /// The TTL of the reply as it arrived.
    pub ttl: u8,
    /// The echoed data.
    pub data: Vec<u8>,
    /// When it arrived.
    pub at: Instant,
}

/// Why a packet could not be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The destination is off-link and no gateway is configured.
    #[error("no route to host")]
    NoRoute,
    /// The packet is larger than the device MTU and fragmentation is not implemented.
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
    ip_ident: u16,
    echo_replies: VecDeque<EchoReply>,
    announced: bool,
    rx_buf: Vec<u8>,
}

impl Interface {
    /// A new interface. `mtu` is the largest IP packet the device carries.
    pub fn new(config: Config, mtu: usize) -> Interface {
        let mut rng = Rng::from_seed(config.seed);
        let ip_ident = rng.next_u16();
        Interface {
            neighbors: NeighborCache::new(config.neighbor),
            config,
            mtu,
            rng,
            counters: Counters::default(),
            tx: VecDeque::new(),
            ip_ident,
            echo_replies: VecDeque::new(),
            announced: false,
            rx_buf: vec![0; 65_536 + ETH_HEADER_LEN],
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

    /// One full round with a device: every waiting frame in, timers, every queued
    /// frame out. Returns true if any frame moved.
    pub fn poll_device<D: Device + ?Sized>(&mut self, now: Instant, device: &mut D) -> bool {
        let mut moved = false;
        let mut buf = std::mem::take(&mut self.rx_buf);
        while let Some(n) = device.receive(now, &mut buf) {
            self.receive(now, &buf[..n]);
            moved = true;
        }
        self.rx_buf = buf;
        self.poll(now);
        while let Some(frame) = self.dequeue() {
            device.transmit(now, &frame);
            moved = true;
        }
        moved
    }

    /// The next frame to put on the wire, if any.
    pub fn dequeue(&mut self) -> Option<Vec<u8>> {
        self.tx.pop_front()
    }

    /// When [`Interface::poll`] next has timer work to do.
    pub fn poll_at(&self) -> Option<Instant> {
        if self.config.medium == Medium::Ethernet && !self.announced {
            return Some(Instant::ZERO);
        }
        self.neighbors.poll_at()
    }

    /// Fires every timer that is due at `now`.
    pub fn poll(&mut self, now: Instant) {
        if self.config.medium == Medium::Ethernet {
            if !self.announced {
                // RFC 5227 §3: announce our address (and MAC) once we are up, so the
                // neighbors' caches are right from the start.
                self.announced = true;
                let arp = ArpRepr::gratuitous(self.config.mac, self.address());
                self.send_arp(&arp, EthernetAddress::BROADCAST);
                self.counters.arp_gratuitous_sent += 1;
            }
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
    }

    /// Handles one frame from the device.
    pub fn receive(&mut self, now: Instant, frame: &[u8]) {
        self.counters.rx_frames += 1;
        match self.config.medium {
            Medium::Ip => self.receive_ip_frame(now, frame),
            Medium::Ethernet => self.receive_ethernet(now, frame),
        }
    }

    fn receive_ip_frame(&mut self, now: Instant, packet: &[u8]) {
        // A TUN device without packet information gives bare IP: tell the version by
        // the first nibble, skip IPv6.
        match packet.first().map(|b| b >> 4) {
            Some(4) => self.receive_ipv4(now, packet),
            Some(6) => self.counters.eth_ipv6_skipped += 1,
            _ => self.counters.ip_bad_version += 1,
        }
    }

    fn receive_ethernet(&mut self, now: Instant, frame: &[u8]) {
        let view = Frame::new_unchecked(frame);
        let eth = match EthernetRepr::parse(&view) {
            Ok(eth) => eth,
            Err(e) => {
                log::debug!("ethernet: dropped: {e}");
                match e {
                    EthernetError::Truncated => self.counters.eth_malformed += 1,
                    EthernetError::GroupSource(_) => self.counters.eth_bad_source += 1,
                    _ => self.counters.eth_unknown_type += 1,
                }
                return;
            }
        };
        // What we cannot handle is counted by kind first, whoever it was sent to: an
        // IPv6 neighbor solicitation goes to a multicast MAC, but it is the IPv6 we
        // skip that a user wants to see in the counters.
        match eth.ethertype {
            EtherType::Arp | EtherType::Ipv4 => {}
            EtherType::Ipv6 => {
                self.counters.eth_ipv6_skipped += 1;
                return;
            }
            _ => {
                self.counters.eth_unknown_type += 1;
                return;
            }
        }
        // We join no multicast groups: unicast to us and broadcast only.
        if eth.dst_addr != self.config.mac && !eth.dst_addr.is_broadcast() {
            self.counters.eth_not_for_us += 1;
            return;
        }
        if eth.ethertype == EtherType::Arp {
            self.receive_arp(now, view.payload());
        } else {
            self.receive_ipv4(now, view.payload());
        }
    }

    /// RFC 826 "Packet Reception", for IPv4 over Ethernet only.
    fn receive_arp(&mut self, now: Instant, payload: &[u8]) {
        self.counters.arp_rx += 1;
        // `parse` checks lengths itself and names the field that is wrong (a bad hlen
        // is BadHardwareLength, not Truncated), so the unchecked view is safe here.
        let repr = match ArpRepr::parse(&ArpPacket::new_unchecked(payload)) {
            Ok(repr) => repr,
            Err(e) => {
                log::debug!("arp: dropped: {e}");
                self.counters.arp_malformed += 1;
                return;
            }
        };
        log::trace!("rx {repr}");
        let sender_ok = !repr.source_hardware_addr.is_multicast()
            && !repr.source_protocol_addr.is_unspecified()
            && !repr.source_protocol_addr.is_broadcast();
        // RFC 826: "If the pair <protocol type, sender protocol address> is already in
        // my translation table, update the sender hardware address field" (merge_flag).
        let mut merged = false;
        if sender_ok && self.neighbors.contains(repr.source_protocol_addr) {
            self.learn(now, repr.source_protocol_addr, repr.source_hardware_addr);
            merged = true;
        }
        // RFC 826: "Am I the target protocol address?"
        if repr.target_protocol_addr != self.address() {
            return;
        }
        if sender_ok && !merged {
            self.learn(now, repr.source_protocol_addr, repr.source_hardware_addr);
        }
        if repr.operation == ArpOperation::Request {
            let reply = ArpRepr::reply_to(&repr, self.config.mac);
            self.send_arp(&reply, repr.source_hardware_addr);
            self.counters.arp_replies_sent += 1;
        }
    }

    fn learn(&mut self, now: Instant, addr: Ipv4Addr, mac: EthernetAddress) {
        for mut frame in self.neighbors.fill(now, addr, mac) {
            // Packets that waited for this neighbor carry a reserved Ethernet header.
            self.write_ethernet_header(&mut frame, mac, EtherType::Ipv4);
            self.enqueue_frame(frame);
        }
    }

    fn send_arp_request(&mut self, target: Ipv4Addr) {
        let arp = ArpRepr::request(self.config.mac, self.address(), target);
        self.send_arp(&arp, EthernetAddress::BROADCAST);
        self.counters.arp_requests_sent += 1;
    }

    fn send_arp(&mut self, arp: &ArpRepr, dst: EthernetAddress) {
        log::trace!("tx {arp}");
        let mut frame = vec![0u8; ETH_HEADER_LEN + arp.buffer_len()];
        self.write_ethernet_header(&mut frame, dst, EtherType::Arp);
        let mut packet = ArpPacket::new_unchecked(&mut frame[ETH_HEADER_LEN..]);
        arp.emit(&mut packet);
        self.enqueue_frame(frame);
    }

    fn write_ethernet_header(&self, frame: &mut [u8], dst: EthernetAddress, ethertype: EtherType) {
        let repr = EthernetRepr {
            src_addr: self.config.mac,
            dst_addr: dst,
            ethertype,
        };
        repr.emit(&mut Frame::new_unchecked(frame));
    }

    fn enqueue_frame(&mut self, frame: Vec<u8>) {
        if self.tx.len() >= self.config.tx_queue_len {
            self.counters.tx_queue_full += 1;
            return;
        }
        self.counters.tx_frames += 1;
        self.tx.push_back(frame);
    }

    fn receive_ipv4(&mut self, now: Instant, bytes: &[u8]) {
        self.counters.ip_rx += 1;
        let packet = match Ipv4Packet::new_checked(bytes) {
            Ok(p) => p,
            Err(e) => {
                self.count_ip_error(e);
                return;
            }
        };
        let ip = match Ipv4Repr::parse(&packet, ChecksumMode::Verify) {
            Ok(ip) => ip,
            Err(e) => {
                self.count_ip_error(e);
                return;
            }
        };
        log::trace!("rx {ip}");
        // RFC 1122 §3.2.1.3: a host must silently discard a datagram whose source is a
        // broadcast or multicast address.
        if self.is_broadcast(ip.src_addr) || ip.src_addr.is_multicast() {
            self.counters.ip_bad_source += 1;
            return;
        }
        let to_us = ip.dst_addr == self.address();
        let to_broadcast = self.is_broadcast(ip.dst_addr);
        if !to_us && !to_broadcast {
            // We are a host, not a router (RFC 1122 §3.3.1): no forwarding.
            self.counters.ip_not_for_us += 1;
            return;
        }
        if ip.more_frags || ip.frag_offset != 0 {
            self.counters.ip_fragments_dropped += 1;
            return;
        }
        let payload = packet.payload();
        match ip.protocol {
            IpProtocol::Icmp => {
                self.counters.ip_delivered += 1;
                self.receive_icmp(now, &ip, payload, to_broadcast);
            }
            _ => self.counters.ip_unknown_protocol += 1,
        }
    }

    /// The limited broadcast address or our subnet's directed broadcast.
    fn is_broadcast(&self, addr: Ipv4Addr) -> bool {
        addr.is_broadcast() || Some(addr) == self.config.address.broadcast()
    }

    fn count_ip_error(&mut self, e: tundra_ip::Error) {
        log::debug!("ipv4: dropped: {e}");
        match e {
            tundra_ip::Error::BadVersion => self.counters.ip_bad_version += 1,
            tundra_ip::Error::BadChecksum => self.counters.ip_bad_checksum += 1,
            _ => self.counters.ip_malformed += 1,
        }
    }

    fn receive_icmp(&mut self, now: Instant, ip: &Ipv4Repr, payload: &[u8], to_broadcast: bool) {
        self.counters.icmp_rx += 1;
        let icmp = match Icmpv4Packet::new_checked(payload)
            .and_then(|p| Icmpv4Repr::parse(&p, ChecksumMode::Verify))
        {
            Ok(icmp) => icmp,
            Err(e) => {
                log::debug!("icmp: dropped: {e}");
                self.counters.icmp_malformed += 1;
                return;
            }
        };
        log::trace!("rx {icmp}");
        match icmp {
            Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => {
                self.counters.icmp_echo_requests += 1;
                if to_broadcast && !self.config.echo_broadcast {
                    // RFC 1122 §3.2.2.6 lets a host ignore broadcast echo; Linux does.
                    self.counters.icmp_echo_broadcast_ignored += 1;
                    return;
                }
                // RFC 792 Echo: "the source and destination addresses are simply
                // reversed, the type code changed to 0, and the checksum recomputed";
                // identifier, sequence number and data are returned unchanged.
                let reply = Icmpv4Repr::EchoReply {
                    ident,
                    seq_no,
                    data,
                };
                if self.send_icmp(now, ip.src_addr, &reply).is_ok() {
                    self.counters.icmp_echo_replies_sent += 1;
                }
            }
            Icmpv4Repr::EchoReply {
                ident,
                seq_no,
                data,
            } => {
                self.counters.icmp_echo_replies += 1;
                if self.echo_replies.len() >= PING_QUEUE_LEN {
                    self.echo_replies.pop_front();
                    self.counters.icmp_echo_replies_unmatched += 1;
                }
                self.echo_replies.push_back(EchoReply {
                    from: ip.src_addr,
                    ident,
                    seq_no,
                    ttl: ip.ttl,
                    data: data.to_vec(),
                    at: now,
                });
            }
            _ => self.counters.icmp_other += 1,
        }
    }

    /// Sends an ICMP echo request (the `tundra ping` client).
    pub fn send_ping(
        &mut self,
        now: Instant,
        dst: Ipv4Addr,
        ident: u16,
        seq_no: u16,
        data: &[u8],
    ) -> Result<(), SendError> {
        let req = Icmpv4Repr::EchoRequest {
            ident,
            seq_no,
            data,
        };
        self.send_icmp(now, dst, &req)?;
        self.counters.icmp_echo_requests_sent += 1;
        Ok(())
    }

    /// The oldest echo reply received for our pings, if any.
    pub fn recv_ping(&mut self) -> Option<EchoReply> {
        self.echo_replies.pop_front()
    }

    fn send_icmp(
        &mut self,
        now: Instant,
        dst: Ipv4Addr,
        icmp: &Icmpv4Repr,
    ) -> Result<(), SendError> {
        log::trace!("tx {icmp}");
        self.send_ip(now, dst, IpProtocol::Icmp, icmp.buffer_len(), |buf| {
            icmp.emit(&mut Icmpv4Packet::new_unchecked(buf));
        })
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
        let next_hop = self.next_hop(dst).inspect_err(|_| {
            self.counters.ip_no_route += 1;
        })?;
        let link_len = match self.config.medium {
            Medium::Ip => 0,
            Medium::Ethernet => ETH_HEADER_LEN,
        };
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
        let mut frame = vec![0u8; link_len + IPV4_HEADER_LEN + payload_len];
        {
            let ip_bytes = &mut frame[link_len..];
            let mut packet = Ipv4Packet::new_unchecked(&mut *ip_bytes);
            repr.emit(&mut packet);
            fill(&mut ip_bytes[IPV4_HEADER_LEN..]);
        }
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

    fn send_via_neighbor(
        &mut self,
        now: Instant,
        next_hop: Ipv4Addr,
        mut frame: Vec<u8>,
    ) -> Result<(), SendError> {
        if self.is_broadcast(next_hop) {
            self.write_ethernet_header(&mut frame, EthernetAddress::BROADCAST, EtherType::Ipv4);
            self.enqueue_frame(frame);
            return Ok(());
        }
        if let Some(mac) = self.neighbors.lookup(now, next_hop) {
            self.write_ethernet_header(&mut frame, mac, EtherType::Ipv4);
            self.enqueue_frame(frame);
            return Ok(());
        }
        match self.neighbors.enqueue(now, next_hop, frame) {
            Ok(true) => {
                self.send_arp_request(next_hop);
                Ok(())
            }
            Ok(false) => Ok(()),
            Err(_) => {
                self.counters.arp_queue_full += 1;
                Err(SendError::QueueFull)
            }
        }
    }
}
