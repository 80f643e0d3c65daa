//! ICMP errors about segments we sent, in TCP terms: what kind of error it is
//! ([`IcmpErrorKind`], hard or soft) and what the connection did about it
//! ([`IcmpOutcome`]).
//!
//! Heads up! The rules, and where they are applied
//! ([`crate::Connection::handle_icmp_error`], [`crate::Endpoint::icmp_error`]):
//! - RFC 1122 §4.2.3.9: destination unreachable codes 0, 1 and 5, time exceeded and
//!   parameter problem are *soft* errors: TCP "MUST NOT abort the connection, and it
//!   SHOULD make the information available to the application". Codes 2 to 4 are
//!   *hard*: TCP "SHOULD abort the connection".
//! - RFC 5461 §4: abort on a hard error only during the handshake; an established
//!   connection treats hard errors as soft (a forged port unreachable must not kill
//!   it, and a real one is transient or will time out anyway). Linux does the same.
//! - RFC 5927 §4.1: act only on an error whose quoted sequence number lies in
//!   SND.UNA..SND.NXT (the quote must be of a segment in flight); blind attackers
//!   rarely guess one.
//! - RFC 1191: code 4, "fragmentation needed and DF set", carries the next-hop MTU;
//!   the connection lowers its segment size (never raises it, never below
//!   [`MIN_PMTU_MSS`]) and sends again at once what no longer fits.
//! - RFC 6633: source quench is ignored (the stack never hands it here).

use core::fmt;

use tundra_ip::{pmtu, Icmpv4DstUnreachable, Icmpv4Repr, IPV4_HEADER_LEN};

/// The smallest segment size (SMSS, before options) a "fragmentation needed" message
/// can lower a connection to: RFC 9293 §3.7.1's default of 536, so the IPv4 datagram
/// stays at the 576 octets every host must accept (RFC 1122 §3.3.3). A forged message
/// then cannot shrink a connection to tiny segments (RFC 5927 §7.2); a path whose MTU
/// is really below 576 is not served (Linux's floor, `min_pmtu`, is 552).
pub const MIN_PMTU_MSS: usize = 536;

/// What an ICMP error says about a segment we sent, as TCP needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IcmpErrorKind {
    /// Destination unreachable, code 0 (and 6, 11): no route to the network. Soft.
    NetUnreachable,
    /// Destination unreachable, code 1 (and 5, 7, 8, 12): the host cannot be reached.
    /// Soft.
    HostUnreachable,
    /// Destination unreachable, code 2: the host does not speak TCP. Hard.
    ProtoUnreachable,
    /// Destination unreachable, code 3: nobody listens on the port. Hard.
    PortUnreachable,
    /// Destination unreachable, code 4: fragmentation needed and DF set, with the path
    /// MTU to use (the next-hop MTU field, or RFC 1191's plateau guess when the router
    /// gave none or an impossible one).
    FragRequired {
        /// The MTU of the link that refused our datagram, in octets.
        mtu: u16,
    },
    /// Destination unreachable, codes 9, 10, 13: administratively prohibited. Soft.
    Prohibited,
    /// Time exceeded (TTL or reassembly). Soft.
    TimeExceeded,
    /// Parameter problem. Soft.
    ParamProblem,
    /// Another destination unreachable code. Soft.
    Other {
        /// The ICMP code.
        code: u8,
    },
}

impl IcmpErrorKind {
    /// The kind of an ICMP error message, or `None` for messages that are not errors a
    /// connection should see (echo, redirect, source quench). For "fragmentation
    /// needed" the MTU is resolved here against the quoted datagram's length
    /// ([`tundra_ip::pmtu::next_hop_mtu`]).
    pub fn from_icmp(repr: &Icmpv4Repr<'_>) -> Option<IcmpErrorKind> {
        use Icmpv4DstUnreachable as U;
        Some(match *repr {
            Icmpv4Repr::DstUnreachable { reason, header, .. } => match reason {
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
                    // The quoted header's payload length is the original datagram's.
                    let total = (header.payload_len + IPV4_HEADER_LEN).min(0xffff) as u16;
                    IcmpErrorKind::FragRequired {
                        mtu: pmtu::next_hop_mtu(next_hop_mtu, total),
                    }
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
            IcmpErrorKind::FragRequired { mtu } => write!(f, "message too long (path mtu {mtu})"),
            IcmpErrorKind::Prohibited => write!(f, "administratively prohibited"),
            IcmpErrorKind::TimeExceeded => write!(f, "time exceeded"),
            IcmpErrorKind::ParamProblem => write!(f, "parameter problem"),
            IcmpErrorKind::Other { code } => write!(f, "destination unreachable, code {code}"),
        }
    }
}

/// What an ICMP error did, for the endpoint's counters and for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IcmpOutcome {
    /// No connection has the quoted 4-tuple.
    NoConnection,
    /// The connection is in a state ICMP errors do not concern (CLOSED, LISTEN,
    /// TIME-WAIT).
    Ignored,
    /// The quoted sequence number is outside SND.UNA..SND.NXT (RFC 5927 §4.1): not a
    /// segment in flight, so most likely forged. Dropped.
    OutOfWindow,
    /// A soft error (or a hard one on a synchronized connection, RFC 5461): remembered,
    /// and reported if the connection later times out.
    Soft,
    /// A hard error during the handshake: the connection was aborted.
    Aborted,
    /// Path MTU Discovery lowered the segment size to `mss` (SMSS, before options) and
    /// marked `resent` outstanding segments that no longer fit for retransmission.
    MtuLowered {
        /// The new SMSS.
        mss: usize,
        /// Outstanding segments to be sent again in smaller pieces.
        resent: usize,
    },
    /// A "fragmentation needed" that would not lower the segment size (an increase, or
    /// no change after the floor): ignored (RFC 1191 §3).
    MtuNotLowered,
}
