//! The wire error of the UDP layer: why bytes from the network were not accepted as a
//! UDP datagram. Small and `Copy`, so the stack counts each reason in a named counter
//! and drops the datagram (house style §4).

use thiserror::Error as ThisError;

/// Why bytes were not accepted as a UDP datagram. Each variant names one rule.
///
/// Split the way Linux counts them (`__udp4_lib_rcv`): length problems are "short
/// packets" counted in `InErrors`; checksum failures are `InCsumErrors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ThisError)]
#[non_exhaustive]
pub enum UdpError {
    /// Fewer bytes than the 8-byte header, or than the Length field announces.
    #[error("truncated UDP datagram")]
    Truncated,
    /// The Length field is below 8, the size of the header itself (RFC 768).
    #[error("bad UDP length")]
    BadLength,
    /// The checksum is not zero and does not verify over the pseudo-header, header and
    /// data (RFC 768, RFC 1122 §4.1.3.4).
    #[error("bad UDP checksum")]
    BadChecksum,
}
