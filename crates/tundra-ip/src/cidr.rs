//! An interface address with its prefix, [`Ipv4Cidr`] (`10.0.0.2/24`): which addresses
//! are on-link, what the subnet broadcast address is (RFC 4632 for the notation, RFC
//! 1122 §3.2.1.3 for the special addresses, RFC 3021 for /31).

use core::fmt;
use core::net::Ipv4Addr;
use core::str::FromStr;

use thiserror::Error as ThisError;

/// An IPv4 address and a prefix length of at most 32, such as `10.0.0.2/24`. The
/// address keeps its host bits: it names an interface address as well as its subnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Cidr {
    address: Ipv4Addr,
    prefix_len: u8,
}

/// Why a string or a prefix length is not a valid [`Ipv4Cidr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ThisError)]
#[non_exhaustive]
pub enum CidrError {
    /// The prefix length is greater than 32.
    #[error("prefix length greater than 32")]
    PrefixTooLong,
    /// The string has no `/prefix` part.
    #[error("missing /prefix")]
    MissingPrefix,
    /// The part before `/` is not a dotted-quad IPv4 address.
    #[error("invalid IPv4 address")]
    BadAddress,
    /// The part after `/` is not a decimal number.
    #[error("invalid prefix length")]
    BadPrefix,
}

impl Ipv4Cidr {
    /// Pairs an address with a prefix length; [`CidrError::PrefixTooLong`] if the
    /// prefix is over 32.
    pub const fn new(address: Ipv4Addr, prefix_len: u8) -> Result<Self, CidrError> {
        if prefix_len > 32 {
            return Err(CidrError::PrefixTooLong);
        }
        Ok(Ipv4Cidr {
            address,
            prefix_len,
        })
    }

    /// The address, host bits included.
    pub const fn address(&self) -> Ipv4Addr {
        self.address
    }

    /// The prefix length, 0 to 32.
    pub const fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// The subnet mask: `prefix_len` one bits then zeros (`/24` is `255.255.255.0`).
    pub const fn netmask(&self) -> Ipv4Addr {
        Ipv4Addr::from_bits(self.mask_bits())
    }

    /// The network address: the address with its host bits cleared.
    pub const fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from_bits(self.address.to_bits() & self.mask_bits())
    }

    /// The directed broadcast address of the subnet: host bits all ones (RFC 1122
    /// §3.2.1.3 (d)). `None` for /31, whose two addresses are both hosts (RFC 3021
    /// §2.1), and for /32, a single host.
    pub const fn broadcast(&self) -> Option<Ipv4Addr> {
        if self.prefix_len >= 31 {
            return None;
        }
        Some(Ipv4Addr::from_bits(
            self.address.to_bits() | !self.mask_bits(),
        ))
    }

    /// Whether `addr` is in this subnet (its first `prefix_len` bits match), that is,
    /// reachable on-link without a router.
    pub const fn contains_addr(&self, addr: Ipv4Addr) -> bool {
        (addr.to_bits() ^ self.address.to_bits()) & self.mask_bits() == 0
    }

    const fn mask_bits(&self) -> u32 {
        // A shift by 32 would overflow: /0 is the empty mask.
        match self.prefix_len {
            0 => 0,
            n => u32::MAX << (32 - n),
        }
    }
}

impl FromStr for Ipv4Cidr {
    type Err = CidrError;

    /// Parses `a.b.c.d/n` (RFC 4632 §3.1 notation), with `n` a decimal from 0 to 32.
    fn from_str(s: &str) -> Result<Self, CidrError> {
        let (addr, prefix) = s.split_once('/').ok_or(CidrError::MissingPrefix)?;
        let address = Ipv4Addr::from_str(addr).map_err(|_| CidrError::BadAddress)?;
        // `u8::from_str` would accept "+24": a prefix length is decimal digits only.
        // Up to three are read, so that "33" and "999" are too long, not malformed.
        if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CidrError::BadPrefix);
        }
        let prefix_len = u16::from_str(prefix).map_err(|_| CidrError::BadPrefix)?;
        let prefix_len = u8::try_from(prefix_len).map_err(|_| CidrError::PrefixTooLong)?;
        Ipv4Cidr::new(address, prefix_len)
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(s: &str) -> Ipv4Cidr {
        s.parse().unwrap()
    }

    #[test]
    fn a_slash_24_interface_address() {
        let c = cidr("10.0.0.2/24");
        assert_eq!(c.address(), Ipv4Addr::new(10, 0, 0, 2));
        assert_eq!(c.prefix_len(), 24);
        assert_eq!(c.netmask(), Ipv4Addr::new(255, 255, 255, 0));
        assert_eq!(c.network(), Ipv4Addr::new(10, 0, 0, 0));
        assert_eq!(c.broadcast(), Some(Ipv4Addr::new(10, 0, 0, 255)));
        assert!(c.contains_addr(Ipv4Addr::new(10, 0, 0, 1)));
        assert!(c.contains_addr(Ipv4Addr::new(10, 0, 0, 255)));
        assert!(!c.contains_addr(Ipv4Addr::new(10, 0, 1, 1)));
        assert!(!c.contains_addr(Ipv4Addr::new(11, 0, 0, 2)));
        assert_eq!(c.to_string(), "10.0.0.2/24");
    }

    /// A prefix that is not a byte boundary: 172.16.5.9/20 is in 172.16.0.0 -
    /// 172.16.15.255.
    #[test]
    fn a_slash_20() {
        let c = cidr("172.16.5.9/20");
        assert_eq!(c.netmask(), Ipv4Addr::new(255, 255, 240, 0));
        assert_eq!(c.network(), Ipv4Addr::new(172, 16, 0, 0));
        assert_eq!(c.broadcast(), Some(Ipv4Addr::new(172, 16, 15, 255)));
        assert!(c.contains_addr(Ipv4Addr::new(172, 16, 15, 254)));
        assert!(!c.contains_addr(Ipv4Addr::new(172, 16, 16, 0)));
    }

    /// The edges: /0 holds everything, /32 one host, /31 two hosts and no broadcast
    /// (RFC 3021 §2.1).
    #[test]
    fn edge_prefixes() {
        let all = cidr("192.0.2.7/0");
        assert_eq!(all.netmask(), Ipv4Addr::new(0, 0, 0, 0));
        assert_eq!(all.network(), Ipv4Addr::UNSPECIFIED);
        assert_eq!(all.broadcast(), Some(Ipv4Addr::BROADCAST));
        assert!(all.contains_addr(Ipv4Addr::new(8, 8, 8, 8)));

        let host = cidr("192.0.2.7/32");
        assert_eq!(host.netmask(), Ipv4Addr::BROADCAST);
        assert_eq!(host.network(), Ipv4Addr::new(192, 0, 2, 7));
        assert_eq!(host.broadcast(), None);
        assert!(host.contains_addr(Ipv4Addr::new(192, 0, 2, 7)));
        assert!(!host.contains_addr(Ipv4Addr::new(192, 0, 2, 6)));

        let point_to_point = cidr("192.0.2.6/31");
        assert_eq!(point_to_point.broadcast(), None);
        assert!(point_to_point.contains_addr(Ipv4Addr::new(192, 0, 2, 7)));
        assert!(!point_to_point.contains_addr(Ipv4Addr::new(192, 0, 2, 8)));

        assert_eq!(
            cidr("192.0.2.6/30").broadcast(),
            Some(Ipv4Addr::new(192, 0, 2, 7))
        );
    }

    #[test]
    fn new_checks_the_prefix_length() {
        let addr = Ipv4Addr::new(10, 0, 0, 2);
        assert_eq!(Ipv4Cidr::new(addr, 32).map(|c| c.prefix_len()), Ok(32));
        assert_eq!(Ipv4Cidr::new(addr, 33), Err(CidrError::PrefixTooLong));
        assert_eq!(Ipv4Cidr::new(addr, 255), Err(CidrError::PrefixTooLong));
    }

    #[test]
    fn from_str_errors() {
        let err = |s: &str| s.parse::<Ipv4Cidr>().unwrap_err();
        assert_eq!(err("10.0.0.2"), CidrError::MissingPrefix);
        assert_eq!(err(""), CidrError::MissingPrefix);
        assert_eq!(err("10.0.0/24"), CidrError::BadAddress);
        assert_eq!(err("10.0.0.256/24"), CidrError::BadAddress);
        assert_eq!(err("/24"), CidrError::BadAddress);
        assert_eq!(err("10.0.0.2/"), CidrError::BadPrefix);
        assert_eq!(err("10.0.0.2/+24"), CidrError::BadPrefix);
        assert_eq!(err("10.0.0.2/-1"), CidrError::BadPrefix);
        assert_eq!(err("10.0.0.2/24/8"), CidrError::BadPrefix);
        assert_eq!(err("10.0.0.2/ 24"), CidrError::BadPrefix);
        assert_eq!(err("10.0.0.2/1000"), CidrError::BadPrefix);
        assert_eq!(err("10.0.0.2/33"), CidrError::PrefixTooLong);
        assert_eq!(err("10.0.0.2/999"), CidrError::PrefixTooLong);
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "0.0.0.0/0",
            "10.0.0.2/24",
            "255.255.255.255/32",
            "192.0.2.6/31",
        ] {
            assert_eq!(cidr(s).to_string(), s);
        }
    }
}
