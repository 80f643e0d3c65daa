//! Layer 2 for Tundra: Ethernet II frames, MAC addresses, ARP for IPv4 over Ethernet
//! (RFC 826) and the neighbor cache with its queue of packets awaiting resolution.
//!
//! Heads up! Read these first: RFC 826 (ARP, including its "Packet Reception"
//! algorithm with the merge flag), RFC 1122 §2.3.2 (ARP requirements for hosts: flood
//! protection, cache timeout, queueing), RFC 5227 (ARP probes and announcements), RFC
//! 894 (IP over Ethernet II), and IEEE 802.3 clause 3 (the MAC frame format).
//!
//! - [`ethernet`]: [`EthernetAddress`], [`EtherType`], the [`Frame`] view and
//!   [`EthernetRepr`].
//! - [`arp`]: the [`ArpPacket`] view and [`ArpRepr`] (IPv4 over Ethernet only).
//! - [`neighbor`]: the [`NeighborCache`], a bounded ARP table that also holds the
//!   outgoing IP packets waiting for an address to be resolved; sans-IO, driven by
//!   `now: tundra_core::Instant`.
//!
//! # The wire-view contract
//!
//! [`Frame`] and [`ArpPacket`] are zero-copy views over a byte buffer, in the style of
//! smoltcp's `wire` module:
//!
//! - `new_checked(buffer)` is for **untrusted** bytes. It runs `check_len`, and once it
//!   has returned `Ok` no accessor of the view can panic.
//! - `new_unchecked(buffer)` is for buffers we build ourselves (for example a transmit
//!   buffer of `repr.buffer_len()` bytes). Accessors and setters on a buffer that is too
//!   short panic; that is a bug in the caller, never something a peer can cause.
//! - `Repr::parse` validates everything it reads itself (it runs `check_len` first), so
//!   it is safe even on a view made with `new_unchecked`, and it reports the most
//!   specific error it can: a malformed packet gets a typed, `Copy` error that the stack
//!   can count and drop, never a panic.
//! - `Repr::emit` writes every header field; it panics only if the caller gave it a
//!   buffer shorter than `repr.buffer_len()`.
//!
//! Frames are as a TAP device delivers them: no preamble, no frame check sequence and
//! no minimum length (the kernel does not pad short frames it sends to a TAP device).

#![forbid(unsafe_code)]

pub mod arp;
pub mod ethernet;
pub mod neighbor;

pub use arp::{ArpOperation, ArpPacket, ArpRepr};
pub use core::net::Ipv4Addr;
pub use ethernet::{EtherType, EthernetAddress, EthernetRepr, Frame};
pub use neighbor::{
    EnqueueError, NeighborAction, NeighborCache, NeighborConfig, NeighborEntry, NeighborState,
};

/// Why an Ethernet frame was not accepted as an Ethernet II frame carrying something
/// the stack might understand. Each variant is a reason to count and drop the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum EthernetError {
    /// Shorter than the 14-byte header.
    #[error("truncated Ethernet frame")]
    Truncated,
    /// The type/length field is below 0x0600, so this is an IEEE 802.3 frame whose field
    /// is a length (LLC/SNAP, e.g. spanning tree), or a value that is neither a length
    /// nor an EtherType (0x05dd..=0x05ff); not Ethernet II (RFC 894).
    #[error("IEEE 802.3 length field 0x{0:04x}, not an Ethernet II frame")]
    Ieee8023(u16),
    /// The frame carries an IEEE 802.1Q/802.1ad VLAN tag (its type field is the tag
    /// protocol identifier); Tundra's interface is untagged.
    #[error("VLAN-tagged frame (TPID 0x{0:04x})")]
    VlanTagged(u16),
    /// The source address has the individual/group bit set (IEEE 802.3 §3.2.3: in the
    /// source address field the first bit is reserved and set to 0).
    #[error("group address {0} as Ethernet source")]
    GroupSource(EthernetAddress),
}

/// Why an ARP packet was not accepted as ARP for IPv4 over Ethernet (RFC 826). Each
/// variant is a distinct reason so that the stack can count them separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ArpError {
    /// Shorter than its fixed header, or than its own hlen/plen say it must be.
    #[error("truncated ARP packet")]
    Truncated,
    /// ar$hrd is not 1 (Ethernet).
    #[error("ARP hardware type {0} is not Ethernet (1)")]
    BadHardwareType(u16),
    /// ar$pro is not 0x0800 (IPv4).
    #[error("ARP protocol type 0x{0:04x} is not IPv4 (0x0800)")]
    BadProtocolType(u16),
    /// ar$hln is not 6 (the length of an Ethernet address).
    #[error("ARP hardware address length {0} is not 6")]
    BadHardwareLength(u8),
    /// ar$pln is not 4 (the length of an IPv4 address).
    #[error("ARP protocol address length {0} is not 4")]
    BadProtocolLength(u8),
    /// ar$op is neither request (1) nor reply (2); RARP and InARP are not supported.
    #[error("unknown ARP operation {0}")]
    UnknownOperation(u16),
}

/// A string that is not a MAC address of the form `02:00:00:00:00:01` (or with `-`
/// separators, one or two hex digits per octet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("invalid MAC address syntax")]
pub struct AddressParseError;
