//! Layer 2 on an Ethernet (TAP) medium: frames in, ARP (RFC 826), and next-hop
//! resolution for what we send.

use tundra_core::Instant;
use tundra_ip::Ipv4Addr;
use tundra_link::{
    ArpOperation, ArpPacket, ArpRepr, EtherType, EthernetAddress, EthernetError, EthernetRepr,
    Frame,
};

use super::{Interface, SendError, ETH_HEADER_LEN};

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
            self.receive_ipv4_link(now, view.payload(), eth.dst_addr.is_broadcast());
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
