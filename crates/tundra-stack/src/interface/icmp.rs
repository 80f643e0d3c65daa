//! ICMPv4 (RFC 792) on the interface: echo replies for the kernel's ping, echo
//! requests for our own (`tundra ping`), the error messages we send (port and protocol
//! unreachable, reassembly time exceeded) and the ones we receive, handed to the
//! socket whose datagram they quote.
//!
//! RFCs to read first: RFC 792; RFC 1122 §3.2.2 (when a host must not send an error:
//! never about an error, a broadcast, a non-initial fragment, or a datagram whose
//! source is not one host); RFC 1812 §4.3.2.8 (rate limits); RFC 5927 (checking a
//! received error against the socket it claims to concern); RFC 6633 (source quench
//! is ignored).

use core::net::SocketAddrV4;

use tundra_core::Instant;
use tundra_ip::{
    ChecksumMode, Icmpv4DstUnreachable, Icmpv4Message, Icmpv4Packet, Icmpv4Repr,
    Icmpv4TimeExceeded, IpProtocol, Ipv4Addr, Ipv4Repr,
};
use tundra_tcp::{IcmpOutcome, SeqNumber};
use tundra_udp::{IcmpError, IcmpErrorKind};

use super::{Interface, SendError};

/// How much of the offending datagram's data an error quotes: RFC 792's "Internet
/// Header + 64 bits of Original Data Datagram", all a host needs to find the socket.
const QUOTED_DATA_LEN: usize = 8;

/// Why we send an ICMP error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ErrorReason {
    /// Destination unreachable, code 3: UDP to a port nobody listens on.
    PortUnreachable,
    /// Destination unreachable, code 2: an IP protocol we do not speak.
    ProtoUnreachable,
    /// Time exceeded, code 1: fragments that never all arrived.
    ReassemblyTimeout,
}

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

impl Interface {
    pub(super) fn receive_icmp(
        &mut self,
        now: Instant,
        ip: &Ipv4Repr,
        payload: &[u8],
        to_broadcast: bool,
    ) {
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
            Icmpv4Repr::DstUnreachable { .. }
            | Icmpv4Repr::TimeExceeded { .. }
            | Icmpv4Repr::ParamProblem { .. } => {
                self.receive_icmp_error(now, ip, &icmp, to_broadcast)
            }
            // Redirects (one gateway, nothing to update) and source quench (RFC 6633:
            // MUST be ignored) are counted and dropped.
            _ => self.counters.icmp_other += 1,
        }
    }

    /// An error about a datagram we sent: find the socket it concerns and tell it.
    fn receive_icmp_error(
        &mut self,
        now: Instant,
        ip: &Ipv4Repr,
        icmp: &Icmpv4Repr,
        to_broadcast: bool,
    ) {
        self.counters.icmp_errors_rx += 1;
        let (header, data) = match *icmp {
            Icmpv4Repr::DstUnreachable { header, data, .. }
            | Icmpv4Repr::TimeExceeded { header, data, .. }
            | Icmpv4Repr::ParamProblem { header, data, .. } => (header, data),
            _ => return,
        };
        let Some(kind) = IcmpErrorKind::from_repr(icmp) else {
            return;
        };
        // An error is about one datagram we sent to one host: to a broadcast address it
        // is bogus (Linux drops it too), and the quote must show us as the source.
        if to_broadcast || header.src_addr != self.address() {
            self.counters.icmp_errors_unmatched += 1;
            return;
        }
        match (header.protocol, data) {
            (IpProtocol::Udp, [sp0, sp1, dp0, dp1, ..]) => {
                let local_port = u16::from_be_bytes([*sp0, *sp1]);
                let remote = SocketAddrV4::new(header.dst_addr, u16::from_be_bytes([*dp0, *dp1]));
                let error = IcmpError {
                    kind,
                    reporter: ip.src_addr,
                    remote,
                    at: now,
                };
                // RFC 5927 §4 for UDP: the quoted 4-tuple must name one of our sockets.
                match self.udp.deliver_error(local_port, error) {
                    Some(handle) => {
                        log::debug!("icmp: {error} for {handle}");
                        self.counters.icmp_errors_delivered += 1;
                    }
                    None => self.counters.icmp_errors_unmatched += 1,
                }
            }
            (IpProtocol::Tcp, _) => self.receive_icmp_error_tcp(now, icmp, &header, data),
            (IpProtocol::Udp, _) => self.counters.icmp_errors_short_quote += 1,
            // Errors about our echo requests, or other protocols: no socket to tell.
            _ => self.counters.icmp_errors_unmatched += 1,
        }
    }

    /// An error quoting one of our TCP segments: the quote's first 8 octets are the
    /// source and destination ports and the sequence number (RFC 9293 §3.1), all the
    /// endpoint needs to find the connection and check the error against its window
    /// (RFC 5927 §4.1). Fewer than 8 octets is a malformed quote (RFC 792 promises 64
    /// bits), counted and dropped.
    fn receive_icmp_error_tcp(
        &mut self,
        now: Instant,
        icmp: &Icmpv4Repr,
        header: &Ipv4Repr,
        data: &[u8],
    ) {
        let Some(&[sp0, sp1, dp0, dp1, s0, s1, s2, s3]) = data.first_chunk::<8>() else {
            self.counters.icmp_errors_short_quote += 1;
            return;
        };
        let Some(kind) = tundra_tcp::IcmpErrorKind::for_pmtud(icmp) else {
            self.counters.icmp_errors_unmatched += 1;
            return;
        };
        // The quoted segment is one we sent: its source is us, its destination the peer.
        let local = SocketAddrV4::new(header.src_addr, u16::from_be_bytes([sp0, sp1]));
        let remote = SocketAddrV4::new(header.dst_addr, u16::from_be_bytes([dp0, dp1]));
        let seq = SeqNumber(u32::from_be_bytes([s0, s1, s2, s3]));
        let outcome = self.tcp.icmp_error(now, local, remote, seq, kind);
        log::debug!(
            "icmp: {kind} for tcp {local} > {remote} seq {}: {outcome:?}",
            seq.0
        );
        match outcome {
            IcmpOutcome::NoConnection | IcmpOutcome::OutOfWindow => {
                self.counters.icmp_errors_unmatched += 1
            }
            _ => self.counters.icmp_errors_delivered += 1,
        }
    }

    /// Sends an ICMP error about a datagram we received, unless RFC 1122 §3.2.2 or the
    /// rate limit forbids it; every reason not to send is counted. `original` is the
    /// datagram's header, `data` its data (only the first 8 bytes are quoted) and
    /// `link_broadcast` whether it came in a link-layer broadcast frame.
    pub(super) fn send_icmp_error(
        &mut self,
        now: Instant,
        original: &Ipv4Repr,
        data: &[u8],
        link_broadcast: bool,
        reason: ErrorReason,
    ) -> bool {
        let c = &mut self.counters;
        // RFC 1122 §3.2.2: "An ICMP error message MUST NOT be sent as the result of
        // receiving: * an ICMP error message". A message too short to tell, or of a
        // type we do not know, counts as one (Linux does the same, icmp_send).
        if original.protocol == IpProtocol::Icmp {
            let is_error = data.first().is_none_or(|&t| {
                let msg = Icmpv4Message::from(t);
                msg.is_error() || matches!(msg, Icmpv4Message::Unknown(_))
            });
            if is_error {
                c.icmp_error_about_error += 1;
                return false;
            }
        }
        // "* a datagram destined to an IP broadcast or IP multicast address, * a
        // datagram sent as a link-layer broadcast".
        let dst = original.dst_addr;
        if link_broadcast
            || dst.is_multicast()
            || dst.is_broadcast()
            || Some(dst) == self.config.address.broadcast()
        {
            c.icmp_error_to_broadcast += 1;
            return false;
        }
        // "* a non-initial fragment".
        if original.frag_offset != 0 {
            c.icmp_error_about_fragment += 1;
            return false;
        }
        // "* a datagram whose source address does not define a single host -- e.g., a
        // zero address, a loopback address, a broadcast address, a multicast address,
        // or a Class E address."
        let src = original.src_addr;
        let class_e = src.octets()[0] >= 0xf0;
        if src.octets()[0] == 0
            || src.is_loopback()
            || src.is_multicast()
            || class_e
            || Some(src) == self.config.address.broadcast()
        {
            c.icmp_error_bad_source += 1;
            return false;
        }
        // RFC 1812 §4.3.2.8: limit the rate of errors, so a flood of datagrams to closed
        // ports cannot turn us into an amplifier.
        if !self.icmp_errors.try_take(now) {
            c.icmp_error_rate_limited += 1;
            return false;
        }
        let quoted = &data[..data.len().min(QUOTED_DATA_LEN)];
        let message = match reason {
            ErrorReason::PortUnreachable => Icmpv4Repr::DstUnreachable {
                reason: Icmpv4DstUnreachable::PortUnreachable,
                header: *original,
                data: quoted,
            },
            ErrorReason::ProtoUnreachable => Icmpv4Repr::DstUnreachable {
                reason: Icmpv4DstUnreachable::ProtoUnreachable,
                header: *original,
                data: quoted,
            },
            ErrorReason::ReassemblyTimeout => Icmpv4Repr::TimeExceeded {
                reason: Icmpv4TimeExceeded::FragReassembly,
                header: *original,
                data: quoted,
            },
        };
        if self.send_icmp(now, src, &message).is_err() {
            return false;
        }
        let c = &mut self.counters;
        match reason {
            ErrorReason::PortUnreachable => c.icmp_port_unreach_sent += 1,
            ErrorReason::ProtoUnreachable => c.icmp_proto_unreach_sent += 1,
            ErrorReason::ReassemblyTimeout => c.icmp_reasm_timeout_sent += 1,
        }
        true
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

    pub(super) fn send_icmp(
        &mut self,
        now: Instant,
        dst: Ipv4Addr,
        icmp: &Icmpv4Repr,
    ) -> Result<(), SendError> {
        log::trace!("tx {icmp}");
        // DF clear, fragmented if need be: an echo reply is as long as the request,
        // and a request may have come in fragments (`ping -s 8000`).
        self.send_ip_fragmenting(now, dst, IpProtocol::Icmp, icmp.buffer_len(), |buf| {
            icmp.emit(&mut Icmpv4Packet::new_unchecked(buf));
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interface::tests::stack;

    const KERNEL: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);

    fn header(protocol: IpProtocol, frag_offset: u16) -> Ipv4Repr {
        Ipv4Repr {
            src_addr: KERNEL,
            dst_addr: Ipv4Addr::new(10, 0, 0, 2),
            protocol,
            payload_len: 16,
            ttl: 64,
            ident: 1,
            dont_frag: false,
            more_frags: frag_offset != 0,
            frag_offset,
            dscp_ecn: 0,
        }
    }

    /// Tries to send a port unreachable about `header` + `data`; returns whether a
    /// packet went out.
    fn try_error(s: &mut Interface, header: &Ipv4Repr, data: &[u8]) -> bool {
        let sent = s.send_icmp_error(
            Instant::ZERO,
            header,
            data,
            false,
            ErrorReason::PortUnreachable,
        );
        assert_eq!(sent, s.dequeue().is_some());
        sent
    }

    /// RFC 1122 §3.2.2: "a non-initial fragment" never gets an error. (The stack only
    /// asks about whole datagrams and fragment zero; this rule is the safety net.)
    #[test]
    fn never_about_a_non_initial_fragment() {
        let mut s = stack();
        assert!(!try_error(&mut s, &header(IpProtocol::Udp, 1480), &[0; 16]));
        assert_eq!(s.counters.icmp_error_about_fragment, 1);
        assert!(try_error(&mut s, &header(IpProtocol::Udp, 0), &[0; 16]));
    }

    /// RFC 1122 §3.2.2: never about an ICMP error, of any error type; an unknown type
    /// or a message too short to have a type counts as an error (as in Linux).
    #[test]
    fn never_about_an_icmp_error() {
        let mut s = stack();
        let icmp = header(IpProtocol::Icmp, 0);
        for error_type in [0x03u8, 0x04, 0x05, 0x0b, 0x0c, 0x2a] {
            assert!(
                !try_error(&mut s, &icmp, &[error_type, 0, 0, 0, 0, 0, 0, 0]),
                "type {error_type}"
            );
        }
        assert!(!try_error(&mut s, &icmp, &[]), "no type at all");
        assert_eq!(s.counters.icmp_error_about_error, 7);
        // Informational messages (echo request and reply, timestamp) may get one.
        for info_type in [0x08u8, 0x00, 0x0d] {
            assert!(
                try_error(&mut s, &icmp, &[info_type, 0, 0, 0, 0, 0, 0, 0]),
                "type {info_type}"
            );
        }
    }

    #[test]
    fn the_quote_is_at_most_8_bytes_of_data() {
        let mut s = stack();
        let data: Vec<u8> = (0..16).collect();
        let h = header(IpProtocol::Udp, 0);
        assert!(s.send_icmp_error(
            Instant::ZERO,
            &h,
            &data,
            false,
            ErrorReason::PortUnreachable
        ));
        let frame = s.dequeue().unwrap();
        // 20 (our header) + 8 (ICMP header) + 20 (quoted header) + 8 (quoted data).
        assert_eq!(frame.len(), 56);
        assert_eq!(&frame[48..], &data[..8]);
        // Shorter data is quoted whole.
        assert!(s.send_icmp_error(
            Instant::ZERO,
            &h,
            &data[..3],
            false,
            ErrorReason::PortUnreachable
        ));
        assert_eq!(s.dequeue().unwrap().len(), 51);
    }
}
