//! IP protocol numbers (the IPv4 "Protocol" field, IANA "Assigned Internet Protocol
//! Numbers").

use core::fmt;

/// The upper-layer protocol carried by an IP datagram. Unknown numbers are kept, so a
/// datagram we do not handle can still be described (and answered with ICMP protocol
/// unreachable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IpProtocol {
    /// ICMP for IPv4 (RFC 792), protocol 1.
    Icmp,
    /// TCP (RFC 9293), protocol 6.
    Tcp,
    /// UDP (RFC 768), protocol 17.
    Udp,
    /// Any other protocol number.
    Unknown(u8),
}

impl From<u8> for IpProtocol {
    fn from(value: u8) -> Self {
        match value {
            0x01 => IpProtocol::Icmp,
            0x06 => IpProtocol::Tcp,
            0x11 => IpProtocol::Udp,
            other => IpProtocol::Unknown(other),
        }
    }
}

impl From<IpProtocol> for u8 {
    fn from(value: IpProtocol) -> Self {
        match value {
            IpProtocol::Icmp => 0x01,
            IpProtocol::Tcp => 0x06,
            IpProtocol::Udp => 0x11,
            IpProtocol::Unknown(other) => other,
        }
    }
}

impl fmt::Display for IpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpProtocol::Icmp => write!(f, "ICMP"),
            IpProtocol::Tcp => write!(f, "TCP"),
            IpProtocol::Udp => write!(f, "UDP"),
            IpProtocol::Unknown(n) => write!(f, "proto-{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for n in 0..=255u8 {
            assert_eq!(u8::from(IpProtocol::from(n)), n);
        }
        assert_eq!(IpProtocol::from(6), IpProtocol::Tcp);
    }
}
