//! A parsed TCP segment: [`TcpRepr`], the plain struct the state machine reads and
//! writes. The wire view, `TcpRepr::parse` and `TcpRepr::emit` live in `segment.rs`
//! and `options.rs`.

use crate::SeqNumber;

/// The TCP control bits other than ACK (RFC 9293 §3.1, RFC 3168 for ECE/CWR). ACK is
/// expressed by [`TcpRepr::ack_number`] being `Some`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TcpFlags {
    /// SYN: synchronize sequence numbers.
    pub syn: bool,
    /// FIN: no more data from sender.
    pub fin: bool,
    /// RST: reset the connection.
    pub rst: bool,
    /// PSH: push function.
    pub psh: bool,
    /// URG: urgent pointer field is significant.
    pub urg: bool,
    /// ECE: ECN-Echo (RFC 3168).
    pub ece: bool,
    /// CWR: congestion window reduced (RFC 3168).
    pub cwr: bool,
}

/// The timestamps option (RFC 7323 §3): TSval and TSecr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TcpTimestamp {
    /// TSval: the sender's timestamp clock when the segment was sent.
    pub tsval: u32,
    /// TSecr: the most recent TSval received from the peer (valid when ACK is set).
    pub tsecr: u32,
}

/// The options of a segment that Tundra understands. Unknown options are skipped on
/// parse and never emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TcpOptions {
    /// Maximum segment size (RFC 9293 §3.7.1), only meaningful on SYN.
    pub mss: Option<u16>,
    /// Window scale shift count (RFC 7323 §2), only meaningful on SYN.
    pub window_scale: Option<u8>,
    /// SACK-permitted (RFC 2018 §2), only meaningful on SYN.
    pub sack_permitted: bool,
    /// SACK blocks (RFC 2018 §3): `[left, right)` edges; at most 4 fit (3 with
    /// timestamps).
    pub sack_blocks: [Option<(SeqNumber, SeqNumber)>; 4],
    /// Timestamps (RFC 7323 §3).
    pub timestamp: Option<TcpTimestamp>,
}

/// A TCP segment as the state machine sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpRepr<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// SEG.SEQ.
    pub seq_number: SeqNumber,
    /// SEG.ACK when the ACK bit is set; `None` when it is clear.
    pub ack_number: Option<SeqNumber>,
    /// Control bits other than ACK.
    pub flags: TcpFlags,
    /// SEG.WND as on the wire (before window scaling is applied).
    pub window_len: u16,
    /// The urgent pointer (we never send urgent data; received urgent data is treated
    /// as ordinary data, RFC 9293 §3.8.5 / RFC 6093).
    pub urgent_pointer: u16,
    /// Options understood by Tundra.
    pub options: TcpOptions,
    /// The segment text.
    pub payload: &'a [u8],
}

impl TcpRepr<'_> {
    /// SEG.LEN: the payload length plus one for SYN and one for FIN (RFC 9293 §3.4).
    pub fn segment_len(&self) -> usize {
        self.payload.len() + self.flags.syn as usize + self.flags.fin as usize
    }
}
