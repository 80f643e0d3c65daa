//! Layer 2 on an Ethernet (TAP) medium: frames in, ARP (RFC 826), and next-hop
//! resolution for what we send.

use tundra_core::{Duration, Instant};
use tundra_ip::Ipv4Addr;
use tundra_link::{
    ArpOperation, ArpPacket, ArpRepr, EtherType, EthernetAddress, EthernetError, EthernetRepr,
    Frame,
};

use super::{Interface, SendError, ETH_HEADER_LEN};
use crate::RxChecksum;

/// RFC 5227 §1.1 ANNOUNCE_NUM: how many ARP Announcements we send on start.
const ANNOUNCE_NUM: u8 = 2;
/// RFC 5227 §1.1 ANNOUNCE_INTERVAL: the time between them.
const ANNOUNCE_INTERVAL: Duration = Duration::from_secs(2);
/// RFC 5227 §1.1 DEFEND_INTERVAL: at most one defending announcement this often.
const DEFEND_INTERVAL: Duration = Duration::from_secs(10);

/// The ARP Announcements of RFC 5227: two on start, 2 s apart (§2.3), and the
/// bookkeeping of address defence (§2.4 (b)).
#[derive(Debug, Default)]
pub(super) struct Announcer {
    /// Announcements sent so far.
    sent: u8,
    /// When the next one is due (`None` before the first `poll`: at once).
    next: Option<Instant>,
    /// When we last defended our address.
    defended: Option<Instant>,
}

impl Announcer {
    /// When the next announcement is due, if any is left.
    pub(super) fn poll_at(&self) -> Option<Instant> {
        if self.sent >= ANNOUNCE_NUM {
            return None;
        }
        Some(self.next.unwrap_or(Instant::ZERO))
    }
}

impl Interface {
    pub(super) fn receive_ethernet(&mut self, now: Instant, frame: &[u8]) {
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
            let broadcast = eth.dst_addr.is_broadcast();
            self.receive_ipv4_link(now, view.payload(), broadcast, RxChecksum::Unverified);
        }
    }

    /// RFC 826 "Packet Reception", for IPv4 over Ethernet only.
    pub(super) fn receive_arp(&mut self, now: Instant, payload: &[u8]) {
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
        // RFC 5227 §2.4: "any ARP packet (Request *or* Reply) ... where the 'sender IP
        // address' is (one of) the host's address(es) ... but the 'sender hardware
        // address' does not match" ours is a conflict. It teaches us nothing (never
        // a neighbor entry for our own address), and we defend the address.
        // Our own packet looped back (same MAC) teaches nothing either.
        if repr.source_protocol_addr == self.address() {
            if repr.source_hardware_addr != self.config.mac {
                self.address_conflict(now, &repr);
            }
            return;
        }
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

    /// RFC 5227 §2.4 (b): log and count the conflict, and answer it with one
    /// announcement of our own unless we already defended within DEFEND_INTERVAL
    /// (then we keep the address and stay quiet, so two defenders cannot loop).
    fn address_conflict(&mut self, now: Instant, repr: &ArpRepr) {
        self.counters.arp_conflicts += 1;
        log::warn!(
            "arp: address conflict: {} is also claimed by {}",
            repr.source_protocol_addr,
            repr.source_hardware_addr
        );
        let recent = self
            .announce
            .defended
            .is_some_and(|at| now < at + DEFEND_INTERVAL);
        if recent {
            return;
        }
        self.announce.defended = Some(now);
        self.counters.arp_defences_sent += 1;
        self.send_announcement();
    }

    /// RFC 5227 §2.3: the ARP Announcements on start, ANNOUNCE_NUM of them
    /// ANNOUNCE_INTERVAL apart, so neighbors' caches are right from the start (and
    /// one that missed the first still hears the second).
    pub(super) fn poll_announce(&mut self, now: Instant) {
        let Some(due) = self.announce.poll_at() else {
            return;
        };
        if now < due {
            return;
        }
        self.announce.sent += 1;
        self.announce.next = Some(now + ANNOUNCE_INTERVAL);
        self.send_announcement();
    }

    fn send_announcement(&mut self) {
        let arp = ArpRepr::gratuitous(self.config.mac, self.address());
        self.send_arp(&arp, EthernetAddress::BROADCAST);
        self.counters.arp_gratuitous_sent += 1;
    }

    pub(super) fn learn(&mut self, now: Instant, addr: Ipv4Addr, mac: EthernetAddress) {
        for mut frame in self.neighbors.fill(now, addr, mac) {
            // Packets that waited for this neighbor carry a reserved Ethernet header.
            self.write_ethernet_header(&mut frame, mac, EtherType::Ipv4);
            self.enqueue_frame(frame);
        }
    }

    pub(super) fn send_arp_request(&mut self, target: Ipv4Addr) {
        let arp = ArpRepr::request(self.config.mac, self.address(), target);
        self.send_arp(&arp, EthernetAddress::BROADCAST);
        self.counters.arp_requests_sent += 1;
    }

    pub(super) fn send_arp(&mut self, arp: &ArpRepr, dst: EthernetAddress) {
        log::trace!("tx {arp}");
        let mut frame = vec![0u8; ETH_HEADER_LEN + arp.buffer_len()];
        self.write_ethernet_header(&mut frame, dst, EtherType::Arp);
        let mut packet = ArpPacket::new_unchecked(&mut frame[ETH_HEADER_LEN..]);
        arp.emit(&mut packet);
        self.enqueue_frame(frame);
    }

    pub(super) fn write_ethernet_header(
        &self,
        frame: &mut [u8],
        dst: EthernetAddress,
        ethertype: EtherType,
    ) {
        let repr = EthernetRepr {
            src_addr: self.config.mac,
            dst_addr: dst,
            ethertype,
        };
        repr.emit(&mut Frame::new_unchecked(frame));
    }

    pub(super) fn send_via_neighbor(
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
