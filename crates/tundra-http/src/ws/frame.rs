//! WebSocket frames (RFC 6455 §5): the header [`FrameHeader`] (parse, check, emit),
//! masking, and [`FrameDecoder`], an incremental decoder that streams payloads.
//!
//! Heads up! Read first: RFC 6455 §5.2 (base framing protocol), §5.3 (masking), §5.4
//! (fragmentation), §5.5 (control frames), §5.7 (examples).
//!
//! ```text
//!   0                   1                   2                   3
//!   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//!  +-+-+-+-+-------+-+-------------+-------------------------------+
//!  |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//!  |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//!  |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//!  | |1|2|3|       |K|             |                               |
//!  +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//!  |     Extended payload length continued, if payload len == 127  |
//!  + - - - - - - - - - - - - - - - +-------------------------------+
//!  |                               |Masking-key, if MASK set to 1  |
//!  +-------------------------------+-------------------------------+
//!  | Masking-key (continued)       |          Payload Data         |
//!  +-------------------------------- - - - - - - - - - - - - - - - +
//! ```
//!
//! The contract: [`FrameHeader::parse`] reads only the bytes it has (`Partial` when a
//! header is cut short, never an error, never a panic) and checks only the structure;
//! [`FrameHeader::check`] applies the role's rules (RSV, opcodes, masking, control
//! frames). [`FrameDecoder`] applies them as early as possible: a bad first byte fails
//! as soon as that byte arrives. A payload length is never trusted for an
//! allocation: the decoder hands payload bytes out as they arrive.

use core::fmt;

use crate::parse::Status;

use super::error::FrameError;

/// Which end of the connection we are: it decides the masking rules (RFC 6455 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Receives masked frames, sends unmasked ones.
    Server,
    /// Receives unmasked frames, sends masked ones.
    Client,
}

/// The frame opcode (RFC 6455 §5.2, §11.8). Unknown values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Opcode {
    /// 0x0: continues a fragmented message (§5.4).
    Continuation,
    /// 0x1: a text message (UTF-8).
    Text,
    /// 0x2: a binary message.
    Binary,
    /// 0x8: connection close (§5.5.1).
    Close,
    /// 0x9: ping (§5.5.2).
    Ping,
    /// 0xA: pong (§5.5.3).
    Pong,
    /// 0x3-0x7 (data) or 0xB-0xF (control): reserved, fail the connection (§5.2).
    Reserved(u8),
}

impl Opcode {
    /// The opcode for the low four bits of `bits`.
    pub const fn from_bits(bits: u8) -> Opcode {
        match bits & 0x0f {
            0x0 => Opcode::Continuation,
            0x1 => Opcode::Text,
            0x2 => Opcode::Binary,
            0x8 => Opcode::Close,
            0x9 => Opcode::Ping,
            0xa => Opcode::Pong,
            other => Opcode::Reserved(other),
        }
    }

    /// The 4-bit wire value.
    pub const fn bits(self) -> u8 {
        match self {
            Opcode::Continuation => 0x0,
            Opcode::Text => 0x1,
            Opcode::Binary => 0x2,
            Opcode::Close => 0x8,
            Opcode::Ping => 0x9,
            Opcode::Pong => 0xa,
            Opcode::Reserved(b) => b & 0x0f,
        }
    }

    /// Control opcodes have the high bit of the opcode set (§5.5).
    pub const fn is_control(self) -> bool {
        self.bits() & 0x8 != 0
    }
}

impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Opcode::Continuation => f.write_str("continuation"),
            Opcode::Text => f.write_str("text"),
            Opcode::Binary => f.write_str("binary"),
            Opcode::Close => f.write_str("close"),
            Opcode::Ping => f.write_str("ping"),
            Opcode::Pong => f.write_str("pong"),
            Opcode::Reserved(b) => write!(f, "reserved-{b:#x}"),
        }
    }
}

/// Most payload bytes a control frame may carry (§5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// Longest possible header: 2 + 8 (64-bit length) + 4 (masking key).
pub const MAX_HEADER_LEN: usize = 14;

mod field {
    pub const FIN: u8 = 0x80;
    pub const RSV_SHIFT: u8 = 4;
    pub const RSV_MASK: u8 = 0x07;
    /// RSV1 within the three RSV bits: permessage-deflate's bit (RFC 7692 §6).
    pub const RSV1: u8 = 0x04;
    pub const OPCODE: u8 = 0x0f;
    pub const MASK: u8 = 0x80;
    pub const LEN7: u8 = 0x7f;
    /// LEN7 values announcing a 16-bit and a 64-bit extended length (§5.2).
    pub const LEN_16: u8 = 126;
    pub const LEN_64: u8 = 127;
}

/// A parsed frame header (the `Repr` of a frame; the payload travels separately).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameHeader {
    /// FIN: this is the final fragment of a message (§5.2).
    pub fin: bool,
    /// RSV1, RSV2, RSV3 as the low three bits; zero unless an extension defines them.
    pub rsv: u8,
    /// The opcode.
    pub opcode: Opcode,
    /// The masking key, present iff the MASK bit is set (§5.3).
    pub mask: Option<[u8; 4]>,
    /// The payload length in bytes (7, 7+16 or 7+64 bits on the wire).
    pub payload_len: u64,
}

impl FrameHeader {
    /// A header for a whole message or control frame (FIN set, no RSV bits).
    pub const fn new(opcode: Opcode, mask: Option<[u8; 4]>, payload_len: u64) -> FrameHeader {
        FrameHeader {
            fin: true,
            rsv: 0,
            opcode,
            mask,
            payload_len,
        }
    }

    /// Parses a header from the start of `buf`: the header and its length in bytes, or
    /// `Partial` if `buf` ends before the header does. Checks only the structure
    /// (§5.2: the most significant bit of a 64-bit length MUST be 0); the role's rules
    /// are [`FrameHeader::check`]. Minimal length encoding is not required on receive.
    pub fn parse(buf: &[u8]) -> Result<Status<(FrameHeader, usize)>, FrameError> {
        let (Some(&b0), Some(&b1)) = (buf.first(), buf.get(1)) else {
            return Ok(Status::Partial);
        };
        let len7 = b1 & field::LEN7;
        let (payload_len, mut pos) = match len7 {
            field::LEN_16 => match buf.get(2..4) {
                Some(b) => (u16::from_be_bytes([b[0], b[1]]) as u64, 4),
                None => return Ok(Status::Partial),
            },
            field::LEN_64 => {
                // §5.2: "the most significant bit MUST be 0"; known from the first
                // extended byte, so fail before the other seven arrive.
                if buf.get(2).is_some_and(|b| b & 0x80 != 0) {
                    return Err(FrameError::LengthOverflow);
                }
                match buf.get(2..10) {
                    Some(b) => {
                        let mut n = [0u8; 8];
                        n.copy_from_slice(b);
                        (u64::from_be_bytes(n), 10)
                    }
                    None => return Ok(Status::Partial),
                }
            }
            n => (n as u64, 2),
        };
        let mask = if b1 & field::MASK != 0 {
            match buf.get(pos..pos + 4) {
                Some(k) => {
                    pos += 4;
                    Some([k[0], k[1], k[2], k[3]])
                }
                None => return Ok(Status::Partial),
            }
        } else {
            None
        };
        Ok(Status::Complete((
            FrameHeader {
                fin: b0 & field::FIN != 0,
                rsv: (b0 >> field::RSV_SHIFT) & field::RSV_MASK,
                opcode: Opcode::from_bits(b0 & field::OPCODE),
                mask,
                payload_len,
            },
            pos,
        )))
    }

    /// Checks the rules a receiver in `role` enforces (no extensions are negotiated):
    /// RSV bits, reserved opcodes, control frame limits and masking.
    pub fn check(&self, role: Role) -> Result<(), FrameError> {
        check_prefix(&[self.first_byte(), self.second_byte()], role, false)
    }

    /// True if RSV1, permessage-deflate's "Per-Message Compressed" bit (RFC 7692 §6),
    /// is set.
    pub const fn rsv1(&self) -> bool {
        self.rsv & 0x4 != 0
    }

    /// The header's length on the wire as [`FrameHeader::emit`] writes it.
    pub const fn header_len(&self) -> usize {
        let len = match self.payload_len {
            0..=125 => 2,
            126..=0xffff => 4,
            _ => 10,
        };
        if self.mask.is_some() {
            len + 4
        } else {
            len
        }
    }

    /// Appends the header, with the length in its minimal encoding (§5.2: "the minimal
    /// number of bytes MUST be used").
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.push(self.first_byte());
        out.push(self.second_byte());
        match self.payload_len {
            0..=125 => {}
            126..=0xffff => out.extend_from_slice(&(self.payload_len as u16).to_be_bytes()),
            // §5.2: the most significant bit MUST be 0.
            n => out.extend_from_slice(&(n & (u64::MAX >> 1)).to_be_bytes()),
        }
        if let Some(key) = self.mask {
            out.extend_from_slice(&key);
        }
    }

    fn first_byte(&self) -> u8 {
        (if self.fin { field::FIN } else { 0 })
            | (self.rsv & field::RSV_MASK) << field::RSV_SHIFT
            | self.opcode.bits()
    }

    fn second_byte(&self) -> u8 {
        let len7 = match self.payload_len {
            0..=125 => self.payload_len as u8,
            126..=0xffff => field::LEN_16,
            _ => field::LEN_64,
        };
        (if self.mask.is_some() { field::MASK } else { 0 }) | len7
    }
}

impl fmt::Display for FrameHeader {
    /// Like Wireshark's frame summary: `text FIN len 5 mask 0x37fa213d`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.opcode)?;
        if self.fin {
            f.write_str(" FIN")?;
        }
        if self.rsv != 0 {
            write!(f, " rsv {:#05b}", self.rsv)?;
        }
        write!(f, " len {}", self.payload_len)?;
        if let Some(k) = self.mask {
            write!(f, " mask 0x{:08x}", u32::from_be_bytes(k))?;
        }
        Ok(())
    }
}

/// The rules that the first one or two header bytes already decide, in a fixed order
/// so that any split of the input reports the same error.
/// `rsv1`: permessage-deflate was negotiated, so RSV1 may mark the first frame of a
/// compressed message.
fn check_prefix(buf: &[u8], role: Role, rsv1: bool) -> Result<(), FrameError> {
    let Some(&b0) = buf.first() else {
        return Ok(());
    };
    // §5.2: "If a nonzero value is received and none of the negotiated extensions
    // defines the meaning of such a nonzero value, the receiving endpoint MUST _Fail
    // the WebSocket Connection_."
    let rsv = (b0 >> field::RSV_SHIFT) & field::RSV_MASK;
    let allowed = if rsv1 { field::RSV1 } else { 0 };
    if rsv & !allowed != 0 {
        return Err(FrameError::ReservedBits(rsv));
    }
    // §5.2: opcodes 0x3-0x7 and 0xB-0xF are reserved; "If an unknown opcode is
    // received, the receiving endpoint MUST _Fail the WebSocket Connection_."
    let opcode = Opcode::from_bits(b0 & field::OPCODE);
    if let Opcode::Reserved(bits) = opcode {
        return Err(FrameError::ReservedOpcode(bits));
    }
    // RFC 7692 §6: "An endpoint MUST NOT set the "Per-Message Compressed" bit of
    // control frames and non-first fragments of a data message. An endpoint
    // receiving such a frame MUST _Fail the WebSocket Connection_."
    if rsv != 0 && (opcode == Opcode::Continuation || opcode.is_control()) {
        return Err(FrameError::MisplacedCompressedBit(opcode.bits()));
    }
    // §5.5: "Control frames themselves MUST NOT be fragmented."
    if opcode.is_control() && b0 & field::FIN == 0 {
        return Err(FrameError::FragmentedControl);
    }
    let Some(&b1) = buf.get(1) else {
        return Ok(());
    };
    // §5.1: a server MUST close on an unmasked frame; a client MUST close on a masked one.
    let masked = b1 & field::MASK != 0;
    match role {
        Role::Server if !masked => return Err(FrameError::UnmaskedFrame),
        Role::Client if masked => return Err(FrameError::MaskedFrame),
        _ => {}
    }
    // §5.5: "All control frames MUST have a payload length of 125 bytes or less";
    // 126 and 127 announce an extended length, so they already break the rule.
    if opcode.is_control() && (b1 & field::LEN7) as usize > MAX_CONTROL_PAYLOAD {
        return Err(FrameError::ControlTooLong);
    }
    Ok(())
}

/// XORs `data` with `key` (RFC 6455 §5.3: `transformed[i] = original[i] XOR key[j mod
/// 4]`), where `offset` is the position of `data[0]` in the payload. Masking and
/// unmasking are the same operation.
pub fn apply_mask(data: &mut [u8], key: [u8; 4], offset: u64) {
    let shift = (offset % 4) as usize;
    let rotated = [
        key[shift],
        key[(shift + 1) % 4],
        key[(shift + 2) % 4],
        key[(shift + 3) % 4],
    ];
    let mut chunks = data.chunks_exact_mut(4);
    let word = u32::from_ne_bytes(rotated);
    for chunk in &mut chunks {
        let mut w = [0u8; 4];
        w.copy_from_slice(chunk);
        chunk.copy_from_slice(&(u32::from_ne_bytes(w) ^ word).to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= rotated[i];
    }
}

/// Appends one whole frame: header, then the payload, masked with `mask` if given.
pub fn encode_frame(
    out: &mut Vec<u8>,
    fin: bool,
    opcode: Opcode,
    mask: Option<[u8; 4]>,
    payload: &[u8],
) {
    let header = FrameHeader {
        fin,
        ..FrameHeader::new(opcode, mask, payload.len() as u64)
    };
    out.reserve(header.header_len() + payload.len());
    header.emit(out);
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        apply_mask(&mut out[start..], key, 0);
    }
}

/// What [`FrameDecoder::decode`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    /// More input is needed (nothing was consumed).
    Partial,
    /// A header was read and passed [`FrameHeader::check`]; its payload follows.
    Header(FrameHeader),
    /// This many payload bytes at the start of the input were unmasked in place.
    Payload(usize),
    /// The current frame's payload is complete (reported once per frame, also for an
    /// empty payload).
    FrameEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DecoderState {
    Header,
    Payload {
        mask: Option<[u8; 4]>,
        remaining: u64,
        offset: u64,
    },
    Failed(FrameError),
}

/// An incremental frame decoder for one direction of a connection.
///
/// Call [`FrameDecoder::decode`] with the unconsumed input; it returns how many bytes
/// it used and what they were. Payload bytes are unmasked in place and handed out as
/// they arrive, so a frame announcing 2^62 bytes costs nothing until its bytes come,
/// and a text message can be validated before its frame ends. Splitting the input at
/// any byte gives the same headers, the same payload bytes (in possibly different
/// pieces) and the same error. An error is final: later calls repeat it.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    role: Role,
    state: DecoderState,
    /// RSV1 is allowed on the first frame of a data message (permessage-deflate).
    rsv1: bool,
}

impl FrameDecoder {
    /// A decoder for frames received by `role`.
    pub const fn new(role: Role) -> FrameDecoder {
        FrameDecoder {
            role,
            state: DecoderState::Header,
            rsv1: false,
        }
    }

    /// Accepts RSV1 on the first frame of a data message, as permessage-deflate
    /// defines it (RFC 7692 §6); it stays an error on control and continuation frames.
    pub fn allow_rsv1(&mut self) {
        self.rsv1 = true;
    }

    /// Decodes the next item from `input`, returning the bytes consumed with it.
    pub fn decode(&mut self, input: &mut [u8]) -> Result<(usize, Decoded), FrameError> {
        match self.state {
            DecoderState::Failed(e) => Err(e),
            DecoderState::Header => {
                let parsed = check_prefix(input, self.role, self.rsv1)
                    .and_then(|_| FrameHeader::parse(input));
                match parsed {
                    Err(e) => {
                        self.state = DecoderState::Failed(e);
                        Err(e)
                    }
                    Ok(Status::Partial) => Ok((0, Decoded::Partial)),
                    Ok(Status::Complete((header, len))) => {
                        self.state = DecoderState::Payload {
                            mask: header.mask,
                            remaining: header.payload_len,
                            offset: 0,
                        };
                        Ok((len, Decoded::Header(header)))
                    }
                }
            }
            DecoderState::Payload { remaining: 0, .. } => {
                self.state = DecoderState::Header;
                Ok((0, Decoded::FrameEnd))
            }
            DecoderState::Payload {
                mask,
                remaining,
                offset,
            } => {
                if input.is_empty() {
                    return Ok((0, Decoded::Partial));
                }
                let n = remaining.min(input.len() as u64) as usize;
                if let Some(key) = mask {
                    apply_mask(&mut input[..n], key, offset);
                }
                self.state = DecoderState::Payload {
                    mask,
                    remaining: remaining - n as u64,
                    offset: offset + n as u64,
                };
                Ok((n, Decoded::Payload(n)))
            }
        }
    }

    /// True between frames (no header or payload half read).
    pub fn is_between_frames(&self) -> bool {
        self.state == DecoderState::Header
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opcodes_round_trip_and_classify() {
        for bits in 0..16u8 {
            let op = Opcode::from_bits(bits);
            assert_eq!(op.bits(), bits);
            assert_eq!(op.is_control(), bits >= 8);
        }
        assert_eq!(Opcode::from_bits(0x3), Opcode::Reserved(0x3));
        assert_eq!(Opcode::Pong.to_string(), "pong");
    }

    #[test]
    fn header_len_follows_the_minimal_encoding() {
        let h = |len, mask| FrameHeader::new(Opcode::Binary, mask, len);
        assert_eq!(h(125, None).header_len(), 2);
        assert_eq!(h(126, None).header_len(), 4);
        assert_eq!(h(0xffff, None).header_len(), 4);
        assert_eq!(h(0x1_0000, None).header_len(), 10);
        assert_eq!(h(0, Some([1, 2, 3, 4])).header_len(), 6);
        for len in [0, 1, 125, 126, 0xffff, 0x1_0000, u64::MAX >> 1] {
            let header = h(len, Some([9, 8, 7, 6]));
            let mut out = Vec::new();
            header.emit(&mut out);
            assert_eq!(out.len(), header.header_len());
            assert_eq!(
                FrameHeader::parse(&out),
                Ok(Status::Complete((header, out.len())))
            );
        }
    }

    #[test]
    fn masking_twice_is_the_identity_at_any_offset() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let original: Vec<u8> = (0..=255).collect();
        let mut whole = original.clone();
        apply_mask(&mut whole, key, 0);
        // Masking in pieces with running offsets gives the same bytes.
        let mut pieces = original.clone();
        let (a, rest) = pieces.split_at_mut(3);
        let (b, c) = rest.split_at_mut(6);
        apply_mask(a, key, 0);
        apply_mask(b, key, 3);
        apply_mask(c, key, 9);
        assert_eq!(pieces, whole);
        for (i, (&m, &o)) in whole.iter().zip(&original).enumerate() {
            assert_eq!(m, o ^ key[i % 4]);
        }
        apply_mask(&mut whole, key, 0);
        assert_eq!(whole, original);
    }

    #[test]
    fn display_reads_like_a_capture() {
        let h = FrameHeader::new(Opcode::Text, Some([0x37, 0xfa, 0x21, 0x3d]), 5);
        assert_eq!(h.to_string(), "text FIN len 5 mask 0x37fa213d");
        let h = FrameHeader {
            fin: false,
            ..FrameHeader::new(Opcode::Continuation, None, 3)
        };
        assert_eq!(h.to_string(), "continuation len 3");
    }

    #[test]
    fn decoder_error_is_final() {
        let mut d = FrameDecoder::new(Role::Server);
        let mut bad = [0x83, 0x80];
        assert_eq!(d.decode(&mut bad), Err(FrameError::ReservedOpcode(3)));
        let mut good = [0x81, 0x80, 0, 0, 0, 0];
        assert_eq!(d.decode(&mut good), Err(FrameError::ReservedOpcode(3)));
    }
}
