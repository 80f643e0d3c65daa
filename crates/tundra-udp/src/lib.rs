//! UDP for Tundra (RFC 768, with the host rules of RFC 1122 §4.1): the datagram and
//! the sockets, sans-IO.
//!
//! - [`datagram`]: the zero-copy wire view [`UdpPacket`] and the parsed [`UdpRepr`],
//!   with the checksum over the IPv4 pseudo-header (a zero checksum means "none" and is
//!   accepted, RFC 768).
//! - [`socket`]: [`UdpSockets`], the table of bound ports with bounded receive queues,
//!   demultiplexing, and ICMP errors delivered to the socket they concern (RFC 1122
//!   §4.1.3.3, with the RFC 5927 4-tuple check).
//!
//! The stack (`tundra-stack`) does the IP part: it parses the datagram out of an IPv4
//! packet, asks the table which socket takes it, and sends what sockets send.
//!
//! # Untrusted bytes
//! `new_checked` validates the lengths a view relies on, so after it succeeds no
//! accessor can panic; [`UdpRepr::parse`] runs those checks itself and verifies the
//! checksum. Every rejection is one [`UdpError`] variant, small and `Copy`, for the
//! stack to count. `new_unchecked` and `emit` are for buffers Tundra sizes itself.
//!
//! ```
//! use tundra_ip::{ChecksumMode, Ipv4Addr};
//! use tundra_udp::{UdpPacket, UdpRepr};
//!
//! # fn main() -> Result<(), tundra_udp::UdpError> {
//! let (src, dst) = (Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2));
//! let repr = UdpRepr { src_port: 40000, dst_port: 7, payload: b"hello\n" };
//! let mut buf = vec![0u8; repr.buffer_len()];
//! repr.emit(&mut UdpPacket::new_unchecked(&mut buf[..]), src, dst);
//!
//! let packet = UdpPacket::new_checked(&buf[..])?;
//! let parsed = UdpRepr::parse(&packet, src, dst, ChecksumMode::Verify)?;
//! assert_eq!(parsed, repr);
//! assert_eq!(parsed.display_with(src, dst).to_string(),
//!            "10.0.0.1.40000 > 10.0.0.2.7: UDP, length 6");
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

pub mod datagram;
pub mod error;
pub mod socket;

pub use datagram::{UdpPacket, UdpRepr, UDP_HEADER_LEN, UDP_MAX_PAYLOAD_V4};
pub use error::UdpError;
pub use socket::{
    BindError, ConnectError, Datagram, DeliverError, IcmpError, IcmpErrorKind, RecvError,
    UdpConfig, UdpHandle, UdpSocket, UdpSocketStats, UdpSockets,
};
