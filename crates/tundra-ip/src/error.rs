//! The one error type of the wire layer: why a received IPv4 datagram or ICMPv4
//! message was rejected. Small and `Copy`, so the stack can count each reason in a
//! named counter and drop the packet (house style §4).

use thiserror::Error as ThisError;

/// Why bytes from the network were not accepted as an IPv4 datagram or an ICMPv4
/// message. Each variant names one rule; the stack drops the packet and counts it.
///
/// Length errors are split the way Linux counts them (`ip_rcv_core`): a datagram that
/// is shorter than what its own length fields promise was cut short on the way
/// ([`Error::Truncated`], `InTruncatedPkts`); length fields that contradict each other
/// are a bad header ([`Error::BadHeaderLength`], [`Error::BadTotalLength`],
/// `InHdrErrors`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// Fewer bytes than the fixed header, or than the header length or total length
    /// fields say the datagram holds.
    #[error("truncated packet")]
    Truncated,
    /// The IP version field is not 4 (RFC 791 §3.1).
    #[error("IP version is not 4")]
    BadVersion,
    /// The Internet Header Length is below 5 words, the minimum header (RFC 791 §3.1).
    #[error("bad IPv4 header length")]
    BadHeaderLength,
    /// The total length is smaller than the header length (RFC 791 §3.1).
    #[error("bad IPv4 total length")]
    BadTotalLength,
    /// The Internet checksum over the header (IPv4) or the message (ICMPv4) does not
    /// verify (RFC 791 §3.1, RFC 792, RFC 1071).
    #[error("bad checksum")]
    BadChecksum,
    /// An ICMPv4 error message whose quoted datagram is not an IPv4 header followed by
    /// at least 64 bits of its data (RFC 792, RFC 1122 §3.2.2).
    #[error("ICMP error quotes a malformed datagram")]
    BadQuotedPacket,
    /// An ICMPv4 type or code that Tundra does not model (RFC 1122 §3.2.2: unknown
    /// types MUST be silently discarded).
    #[error("unrecognized ICMP message")]
    Unrecognized,
}
