//! [`IcmpErrorKind`]: what an ICMP error message says about a datagram we sent, in
//! the terms a transport needs (RFC 1122 §4.2.3.9 for TCP, §4.1.3.3 for UDP). TCP and
//! UDP both classify with it and each adds its own meaning on top: TCP whether the
//! error is hard or soft and the path MTU to use, UDP the errno Linux would give.

use core::fmt;

use crate::icmp::{Icmpv4DstUnreachable, Icmpv4Repr};
use crate::ipv4::IPV4_HEADER_LEN;
use crate::pmtu;

/// The kind of an ICMP error about a datagram we sent. The errno Linux would give a
/// socket is in each variant's doc; hard and soft are RFC 1122 §4.2.3.9's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IcmpErrorKind {
    /// Destination unreachable, code 0 (and 6, 11): no route to the network
    /// (`ENETUNREACH`). Soft.
    NetUnreachable,
    /// Destination unreachable, code 1 (and 5, 7, 8, 12): the host cannot be reached
    /// (`EHOSTUNREACH`). Soft.
    HostUnreachable,
    /// Destination unreachable, code 2: the host does not speak the protocol
    /// (`ENOPROTOOPT`). Hard.
    ProtoUnreachable,
    /// Destination unreachable, code 3: nobody listens on the port (`ECONNREFUSED`).
    /// Hard.
    PortUnreachable,
    /// Destination unreachable, code 4: fragmentation needed and DF set (`EMSGSIZE`),
    /// with an MTU (RFC 1191): the router's next-hop MTU ([`IcmpErrorKind::from_repr`],
    /// 0 if it gave none) or the path MTU to use ([`IcmpErrorKind::for_pmtud`]).
    FragRequired {
        /// The MTU, in octets.
        mtu: u16,
    },
    /// Destination unreachable, codes 9, 10, 13: administratively prohibited
    /// (`EHOSTUNREACH`; RFC 1812). Soft.
    Prohibited,
    /// Time to live exceeded in transit, or reassembly time exceeded
    /// (`EHOSTUNREACH`). Soft.
    TimeExceeded,
    /// A parameter problem (`EPROTO`). Soft.
    ParamProblem,
    /// Another destination unreachable code. Soft.
    Other {
        /// The ICMP code.
        code: u8,
    },
}

impl IcmpErrorKind {
    /// The kind of an ICMP error message, or `None` for messages that are not errors a
    /// transport should see: echo, redirect (a routing matter, RFC 1122 §3.2.2.2) and
    /// source quench (RFC 6633: to be ignored). "Fragmentation needed" carries the
    /// router's next-hop MTU as sent (0 if it gave none).
    pub fn from_repr(repr: &Icmpv4Repr<'_>) -> Option<IcmpErrorKind> {
        use Icmpv4DstUnreachable as U;
        Some(match *repr {
            Icmpv4Repr::DstUnreachable { reason, .. } => match reason {
                U::PortUnreachable => IcmpErrorKind::PortUnreachable,
                U::ProtoUnreachable => IcmpErrorKind::ProtoUnreachable,
                U::HostUnreachable
                | U::DstHostUnknown
                | U::SrcHostIsolated
                | U::HostUnreachToS
                | U::SrcRouteFailed => IcmpErrorKind::HostUnreachable,
                U::NetUnreachable | U::DstNetUnknown | U::NetUnreachToS => {
                    IcmpErrorKind::NetUnreachable
                }
                U::FragRequired { next_hop_mtu } => {
                    IcmpErrorKind::FragRequired { mtu: next_hop_mtu }
                }
                U::NetProhibited | U::HostProhibited | U::CommProhibited => {
                    IcmpErrorKind::Prohibited
                }
                other => IcmpErrorKind::Other { code: other.code() },
            },
            Icmpv4Repr::TimeExceeded { .. } => IcmpErrorKind::TimeExceeded,
            Icmpv4Repr::ParamProblem { .. } => IcmpErrorKind::ParamProblem,
            _ => return None,
        })
    }

    /// Like [`IcmpErrorKind::from_repr`], for Path MTU Discovery: "fragmentation
    /// needed" names the path MTU to use, the next-hop MTU or RFC 1191's plateau guess
    /// when the router gave none or an impossible one, resolved against the quoted
    /// datagram's length ([`pmtu::next_hop_mtu`]).
    pub fn for_pmtud(repr: &Icmpv4Repr<'_>) -> Option<IcmpErrorKind> {
        match *repr {
            Icmpv4Repr::DstUnreachable {
                reason: Icmpv4DstUnreachable::FragRequired { next_hop_mtu },
                header,
                ..
            } => {
                // The quoted header's payload length is the original datagram's.
                let total = (header.payload_len + IPV4_HEADER_LEN).min(0xffff) as u16;
                Some(IcmpErrorKind::FragRequired {
                    mtu: pmtu::next_hop_mtu(next_hop_mtu, total),
                })
            }
            _ => IcmpErrorKind::from_repr(repr),
        }
    }

    /// Whether RFC 1122 §4.2.3.9 calls it a hard error (destination unreachable codes
    /// 2 and 3; code 4 is left to Path MTU Discovery, RFC 1191).
    pub const fn is_hard(self) -> bool {
        matches!(
            self,
            IcmpErrorKind::ProtoUnreachable | IcmpErrorKind::PortUnreachable
        )
    }
}

impl fmt::Display for IcmpErrorKind {
    /// What the application is told, like the `strerror` of the errno Linux picks.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IcmpErrorKind::NetUnreachable => write!(f, "network unreachable"),
            IcmpErrorKind::HostUnreachable => write!(f, "host unreachable"),
            IcmpErrorKind::ProtoUnreachable => write!(f, "protocol unreachable"),
            IcmpErrorKind::PortUnreachable => write!(f, "connection refused (port unreachable)"),
            IcmpErrorKind::FragRequired { mtu } => write!(f, "message too long (mtu {mtu})"),
            IcmpErrorKind::Prohibited => write!(f, "administratively prohibited"),
            IcmpErrorKind::TimeExceeded => write!(f, "time exceeded"),
            IcmpErrorKind::ParamProblem => write!(f, "parameter problem"),
            IcmpErrorKind::Other { code } => write!(f, "destination unreachable, code {code}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{IpProtocol, Ipv4Addr, Ipv4Repr};

    fn quoted(payload_len: usize) -> Ipv4Repr {
        Ipv4Repr {
            src_addr: Ipv4Addr::new(10, 0, 0, 2),
            dst_addr: Ipv4Addr::new(10, 0, 0, 1),
            protocol: IpProtocol::Udp,
            payload_len,
            ttl: 64,
            ident: 1,
            dont_frag: true,
            more_frags: false,
            frag_offset: 0,
            dscp_ecn: 0,
        }
    }

    /// RFC 1122 §4.2.3.9 and RFC 1812 §5.2.7.1: the codes map onto the kinds; source
    /// quench (RFC 6633) and echo are not errors a transport sees.
    #[test]
    fn kinds_follow_the_codes() {
        let data = [0u8; 8];
        let unreachable = |reason| Icmpv4Repr::DstUnreachable {
            reason,
            header: quoted(8),
            data: &data,
        };
        let kind = |reason| IcmpErrorKind::from_repr(&unreachable(reason));
        use Icmpv4DstUnreachable as U;
        assert_eq!(
            kind(U::PortUnreachable),
            Some(IcmpErrorKind::PortUnreachable)
        );
        assert_eq!(
            kind(U::ProtoUnreachable),
            Some(IcmpErrorKind::ProtoUnreachable)
        );
        assert_eq!(
            kind(U::SrcHostIsolated),
            Some(IcmpErrorKind::HostUnreachable)
        );
        assert_eq!(kind(U::DstNetUnknown), Some(IcmpErrorKind::NetUnreachable));
        assert_eq!(
            kind(U::FragRequired { next_hop_mtu: 1280 }),
            Some(IcmpErrorKind::FragRequired { mtu: 1280 })
        );
        assert_eq!(kind(U::CommProhibited), Some(IcmpErrorKind::Prohibited));
        assert_eq!(
            kind(U::Unknown(0x20)),
            Some(IcmpErrorKind::Other { code: 0x20 })
        );
        let quench = Icmpv4Repr::SourceQuench {
            header: quoted(8),
            data: &data,
        };
        assert_eq!(IcmpErrorKind::from_repr(&quench), None, "RFC 6633: ignored");
        let echo = Icmpv4Repr::EchoReply {
            ident: 1,
            seq_no: 1,
            data: &[],
        };
        assert_eq!(IcmpErrorKind::from_repr(&echo), None);
        assert!(IcmpErrorKind::PortUnreachable.is_hard());
        assert!(!IcmpErrorKind::FragRequired { mtu: 1280 }.is_hard());
    }

    /// RFC 1191 §5: for Path MTU Discovery a router's zero (or an MTU not below the
    /// quoted datagram) becomes the next plateau below the datagram's length; the raw
    /// classification keeps what the router sent.
    #[test]
    fn rfc1191_5_pmtud_resolves_the_mtu_against_the_quote() {
        let data = [0u8; 8];
        let frag = |next_hop_mtu| Icmpv4Repr::DstUnreachable {
            reason: Icmpv4DstUnreachable::FragRequired { next_hop_mtu },
            header: quoted(1480),
            data: &data,
        };
        assert_eq!(
            IcmpErrorKind::for_pmtud(&frag(0)),
            Some(IcmpErrorKind::FragRequired { mtu: 1492 })
        );
        assert_eq!(
            IcmpErrorKind::from_repr(&frag(0)),
            Some(IcmpErrorKind::FragRequired { mtu: 0 })
        );
        assert_eq!(
            IcmpErrorKind::for_pmtud(&frag(1400)),
            Some(IcmpErrorKind::FragRequired { mtu: 1400 })
        );
        assert_eq!(
            IcmpErrorKind::for_pmtud(&frag(9000)),
            Some(IcmpErrorKind::FragRequired { mtu: 1492 })
        );
        let port = Icmpv4Repr::DstUnreachable {
            reason: Icmpv4DstUnreachable::PortUnreachable,
            header: quoted(8),
            data: &data,
        };
        assert_eq!(
            IcmpErrorKind::for_pmtud(&port),
            Some(IcmpErrorKind::PortUnreachable)
        );
    }
}
