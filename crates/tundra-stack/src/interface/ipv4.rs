//! IPv4 in: validation (RFC 791, RFC 1122 §3.2.1), reassembly of fragments (RFC 791
//! §3.2, RFC 815; see `fragment.rs`) and dispatch to ICMP and the transports, with
//! protocol unreachable for the protocols we do not speak.

use tundra_core::Instant;
use tundra_ip::{ChecksumMode, IpProtocol, Ipv4Addr, Ipv4Packet, Ipv4Repr};

use super::icmp::ErrorReason;
use super::Interface;
use crate::RxChecksum;

impl Interface {
    /// An IPv4 packet from a TUN device (no link layer, so no link broadcast).
    pub(super) fn receive_ipv4(&mut self, now: Instant, bytes: &[u8], checksum: RxChecksum) {
        self.receive_ipv4_link(now, bytes, false, checksum);
    }

    /// An IPv4 packet; `link_broadcast` says it came in a link-layer broadcast frame,
    /// which matters for ICMP errors (RFC 1122 §3.2.2); `checksum` what the device
    /// vouched for.
    pub(super) fn receive_ipv4_link(
        &mut self,
        now: Instant,
        bytes: &[u8],
        link_broadcast: bool,
        checksum: RxChecksum,
    ) {
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
        if ip.is_fragment() {
            // RFC 1122 §3.3.2: a host MUST reassemble. The transports see the whole
            // datagram or nothing.
            // The kernel never leaves the checksum of a fragment to the device, and a
            // reassembled datagram is verified whatever its parts were.
            if let Some(whole) = self.receive_fragment(now, &ip, packet.payload()) {
                let (header, data) = (&whole.header, &whole.data);
                self.deliver_ipv4(
                    now,
                    header,
                    data,
                    to_us,
                    link_broadcast,
                    RxChecksum::Unverified,
                );
            }
            return;
        }
        self.deliver_ipv4(now, &ip, packet.payload(), to_us, link_broadcast, checksum);
    }

    /// Hands a whole datagram addressed to us (or broadcast) to its protocol.
    fn deliver_ipv4(
        &mut self,
        now: Instant,
        ip: &Ipv4Repr,
        payload: &[u8],
        to_us: bool,
        link_broadcast: bool,
        checksum: RxChecksum,
    ) {
        let to_broadcast = !to_us;
        match ip.protocol {
            IpProtocol::Icmp => {
                self.counters.ip_delivered += 1;
                self.receive_icmp(now, ip, payload, to_broadcast);
            }
            IpProtocol::Udp => {
                self.counters.ip_delivered += 1;
                self.receive_udp(now, ip, payload, link_broadcast);
            }
            IpProtocol::Tcp => self.receive_tcp(now, ip, payload, to_us, checksum),
            _ => {
                self.counters.ip_unknown_protocol += 1;
                // RFC 1122 §3.2.2.1: a host SHOULD generate Destination Unreachable
                // messages with code 2 (Protocol Unreachable) "when the designated
                // transport protocol is not supported".
                self.send_icmp_error(
                    now,
                    ip,
                    payload,
                    link_broadcast,
                    ErrorReason::ProtoUnreachable,
                );
            }
        }
    }

    /// The limited broadcast address or our subnet's directed broadcast.
    pub(super) fn is_broadcast(&self, addr: Ipv4Addr) -> bool {
        addr.is_broadcast() || Some(addr) == self.config.address.broadcast()
    }

    pub(super) fn count_ip_error(&mut self, e: tundra_ip::Error) {
        log::debug!("ipv4: dropped: {e}");
        match e {
            tundra_ip::Error::BadVersion => self.counters.ip_bad_version += 1,
            tundra_ip::Error::BadChecksum => self.counters.ip_bad_checksum += 1,
            _ => self.counters.ip_malformed += 1,
        }
    }
}
