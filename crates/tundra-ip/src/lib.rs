//! Layer 3 for Tundra: IPv4 (RFC 791), the Internet checksum (RFC 1071) and ICMPv4
//! (RFC 792), with the host requirements of RFC 1122 §3.2.
//!
//! Each protocol has a zero-copy wire view and a plain `Repr` struct that is parsed
//! from and emitted into a view (the style of smoltcp's `wire` module):
//!
//! - [`ipv4`]: [`Ipv4Packet`] and [`Ipv4Repr`]; Total Length bounds the payload, options
//!   are skipped, fragments are recognised.
//! - [`fragment`]: [`Reassembler`] (RFC 791/815 reassembly with bounded memory, a
//!   timeout, and overlaps refused RFC 5722 style) and [`fragments`], which cuts our
//!   own datagrams to an MTU.
//! - [`icmp`]: [`Icmpv4Packet`] and [`Icmpv4Repr`]: echo request and reply (the data is
//!   borrowed, so a reply echoes it byte for byte) and the error messages with their
//!   quoted datagram.
//! - [`checksum`]: the RFC 1071 sum, the TCP/UDP pseudo-header, [`ChecksumMode`] and
//!   [`ChecksumFill`].
//! - [`cidr`]: [`Ipv4Cidr`], an interface address with its prefix (`10.0.0.2/24`).
//! - [`pmtu`]: what a "fragmentation needed" message says the path MTU is (RFC 1191).
//! - [`protocol`]: [`IpProtocol`], the protocol numbers.
//!
//! # Untrusted bytes
//! `new_checked` validates the lengths a view relies on, so after it succeeds no
//! accessor can panic; `Repr::parse` runs those checks itself and adds the semantic
//! ones (version, checksum, codes). Every rejection is one [`Error`] variant, small and
//! `Copy`, for the stack to count. `new_unchecked` and `emit` are for buffers Tundra
//! sizes itself (`buffer_len()`).
//!
//! ```
//! use tundra_ip::{ChecksumMode, Icmpv4Packet, Icmpv4Repr, Ipv4Packet, Ipv4Repr};
//!
//! # fn main() -> Result<(), tundra_ip::Error> {
//! // Build an echo request from 10.0.0.1 to 10.0.0.2 ...
//! let icmp = Icmpv4Repr::EchoRequest { ident: 0x1234, seq_no: 1, data: b"ping" };
//! let ip = Ipv4Repr {
//!     src_addr: [10, 0, 0, 1].into(),
//!     dst_addr: [10, 0, 0, 2].into(),
//!     protocol: tundra_ip::IpProtocol::Icmp,
//!     payload_len: icmp.buffer_len(),
//!     ttl: 64,
//!     ident: 0,
//!     dont_frag: true,
//!     more_frags: false,
//!     frag_offset: 0,
//!     dscp_ecn: 0,
//! };
//! let mut buf = vec![0u8; ip.buffer_len() + icmp.buffer_len()];
//! let mut packet = Ipv4Packet::new_unchecked(&mut buf[..]);
//! ip.emit(&mut packet);
//! icmp.emit(&mut Icmpv4Packet::new_unchecked(packet.payload_mut()));
//!
//! // ... and read it back as the receiver would.
//! let packet = Ipv4Packet::new_checked(&buf[..])?;
//! assert_eq!(Ipv4Repr::parse(&packet, ChecksumMode::Verify)?, ip);
//! let message = Icmpv4Packet::new_checked(packet.payload())?;
//! let parsed = Icmpv4Repr::parse(&message, ChecksumMode::Verify)?;
//! assert_eq!(parsed.to_string(), "ICMP echo request, id 4660, seq 1, length 12");
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

pub mod checksum;
pub mod cidr;
pub mod error;
pub mod fragment;
pub mod icmp;
pub mod icmp_error;
pub mod ipv4;
pub mod pmtu;
pub mod protocol;

pub use checksum::{ChecksumFill, ChecksumMode};
pub use cidr::{CidrError, Ipv4Cidr};
pub use core::net::Ipv4Addr;
pub use error::Error;
pub use fragment::{
    fragments, Expired, FragmentError, FragmentKey, FragmentationError, Reassembled, Reassembler,
    ReassemblyConfig,
};
pub use icmp::{
    Icmpv4DstUnreachable, Icmpv4Message, Icmpv4Packet, Icmpv4ParamProblem, Icmpv4Redirect,
    Icmpv4Repr, Icmpv4TimeExceeded, ICMPV4_HEADER_LEN,
};
pub use icmp_error::IcmpErrorKind;
pub use ipv4::{Ipv4Packet, Ipv4Repr, IPV4_HEADER_LEN};
pub use protocol::IpProtocol;
