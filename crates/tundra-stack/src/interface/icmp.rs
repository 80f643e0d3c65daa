//! ICMPv4 (RFC 792): echo replies for the kernel's ping, and echo requests for our own
//! (`tundra ping`).

use tundra_core::Instant;
use tundra_ip::{ChecksumMode, Icmpv4Packet, Icmpv4Repr, IpProtocol, Ipv4Addr, Ipv4Repr};

use super::{Interface, SendError};

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

    pub(super) fn send_icmp(
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
}
