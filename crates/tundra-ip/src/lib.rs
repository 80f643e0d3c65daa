//! Layer 3 for Tundra: IPv4 (RFC 791), the Internet checksum (RFC 1071) and ICMPv4
//! (RFC 792).
//!
//! Each protocol has a zero-copy wire view (`Packet<T>`, checked with `new_checked`
//! before any accessor is used on untrusted bytes) and a plain `Repr` struct that is
//! parsed from and emitted into a view. Nothing here does I/O; addresses are
//! [`core::net::Ipv4Addr`].

#![forbid(unsafe_code)]

pub mod checksum;
pub mod protocol;

pub use core::net::Ipv4Addr;
pub use protocol::IpProtocol;
