//! TCP options (RFC 9293 §3.2, RFC 7323, RFC 2018): parsing the options area of a
//! header into [`TcpOptions`], and emitting [`TcpOptions`] back in the order Linux uses.
//!
//! The options area is the bytes between the fixed 20-byte header and the data offset:
//! at most 40 bytes. Each option is either a single kind byte (EOL = 0, NOP = 1) or
//! `kind, length, data...` where `length` counts the kind and length bytes too
//! (RFC 9293 §3.2). [`TcpOptionIter`] walks the area one [`TcpOption`] at a time and
//! never reads past it; [`TcpOptions::parse`] folds the walk into the struct the state
//! machine reads.
//!
//! | kind | len | option | RFC |
//! |---|---|---|---|
//! | 0 | 1 | End of option list | RFC 9293 §3.2 |
//! | 1 | 1 | No-operation | RFC 9293 §3.2 |
//! | 2 | 4 | Maximum segment size | RFC 9293 §3.2, §3.7.1 |
//! | 3 | 3 | Window scale | RFC 7323 §2.2 |
//! | 4 | 2 | SACK permitted | RFC 2018 §2 |
//! | 5 | 2 + 8n | SACK, n = 1..=4 blocks | RFC 2018 §3 |
//! | 8 | 10 | Timestamps | RFC 7323 §3.2 |
//!
//! Parsing rules, in the order they are checked for each option:
//! 1. EOL ends the walk; whatever follows it is padding and is not read.
//! 2. NOP is skipped.
//! 3. Any other kind must have a length byte ([`OptionError::MissingLength`]), a length
//!    of at least 2 ([`OptionError::LengthTooShort`]: a shorter one could never advance
//!    the walk), and must fit in what is left of the area ([`OptionError::Overrun`]).
//! 4. A kind we know must have its defined length ([`OptionError::WrongLength`]);
//!    a kind we don't know is skipped by its length (RFC 9293 §3.2: "a TCP implementation
//!    MUST be able to receive a TCP Option in any segment"; RFC 9293 §3.1 / RFC 1122
//!    §4.2.2.5: unknown options MUST be ignored).
//! 5. An option that appears twice: the later one wins (Linux does the same).
//!
//! A malformed option makes the whole segment malformed: RFC 9293 §3.1 "A TCP
//! implementation MUST be prepared to handle an illegal option length (e.g., zero);
//! a suggested procedure is to reset the connection and log the error cause". We
//! return the error and let the caller drop the segment (and count it).

use core::fmt;

use crate::{SeqNumber, TcpOptions, TcpTimestamp};

/// The largest options area a header can carry: a data offset of 15 words is 60 bytes,
/// minus the 20-byte fixed header (RFC 9293 §3.1).
pub const MAX_OPTIONS_LEN: usize = 40;

/// The largest window scale shift count (RFC 7323 §2.3).
pub const MAX_WINDOW_SCALE: u8 = 14;

/// The timestamps option's 8 data bytes (RFC 7323 §3.2): TSval then TSecr, big-endian.
fn timestamp_from(data: &[u8; 8]) -> TcpTimestamp {
    let [a, b, c, d, e, f, g, h] = *data;
    TcpTimestamp {
        tsval: u32::from_be_bytes([a, b, c, d]),
        tsecr: u32::from_be_bytes([e, f, g, h]),
    }
}

/// The inverse of [`timestamp_from`].
fn timestamp_bytes(ts: TcpTimestamp) -> [u8; 8] {
    let mut data = [0; 8];
    data[..4].copy_from_slice(&ts.tsval.to_be_bytes());
    data[4..].copy_from_slice(&ts.tsecr.to_be_bytes());
    data
}

/// Option kinds (IANA "TCP Option Kind Numbers").
pub mod kind {
    /// End of option list (RFC 9293 §3.2).
    pub const END: u8 = 0x00;
    /// No-operation (RFC 9293 §3.2).
    pub const NOP: u8 = 0x01;
    /// Maximum segment size (RFC 9293 §3.2).
    pub const MSS: u8 = 0x02;
    /// Window scale (RFC 7323 §2.2).
    pub const WINDOW_SCALE: u8 = 0x03;
    /// SACK permitted (RFC 2018 §2).
    pub const SACK_PERMITTED: u8 = 0x04;
    /// SACK (RFC 2018 §3).
    pub const SACK: u8 = 0x05;
    /// Timestamps (RFC 7323 §3.2).
    pub const TIMESTAMPS: u8 = 0x08;
}

/// Why an options area is malformed. Every variant names the option kind at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum OptionError {
    /// The kind byte is the last byte of the area: its length byte is missing.
    #[error("option kind {kind} has no length byte")]
    MissingLength {
        /// The option kind.
        kind: u8,
    },
    /// The length byte is 0 or 1; it must count at least the kind and length bytes.
    #[error("option kind {kind} has length {len}, less than 2")]
    LengthTooShort {
        /// The option kind.
        kind: u8,
        /// The length byte as received.
        len: u8,
    },
    /// The option's length runs past the end of the options area.
    #[error("option kind {kind} of length {len} runs past the options area ({left} bytes left)")]
    Overrun {
        /// The option kind.
        kind: u8,
        /// The length byte as received.
        len: u8,
        /// How many bytes of the area were left, counting the kind byte.
        left: u8,
    },
    /// A known option with a length other than its defined one (MSS 4, window scale 3,
    /// SACK-permitted 2, SACK 2 + 8n with n in 1..=4, timestamps 10).
    #[error("option kind {kind} has wrong length {len}")]
    WrongLength {
        /// The option kind.
        kind: u8,
        /// The length byte as received.
        len: u8,
    },
}

/// SACK blocks as carried by one SACK option: `[left, right)` edges, filled from the
/// front; RFC 2018 §3 allows at most 4 in a 40-byte options area.
pub type SackBlocks = [Option<(SeqNumber, SeqNumber)>; 4];

/// One option as it appears on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TcpOption<'a> {
    /// End of option list, kind 0.
    EndOfList,
    /// No-operation, kind 1 (padding between options).
    NoOperation,
    /// Maximum segment size, kind 2.
    MaxSegmentSize(u16),
    /// Window scale shift count, kind 3, exactly as received (not clamped; see
    /// [`TcpOptions::parse`] for the clamp to 14).
    WindowScale(u8),
    /// SACK permitted, kind 4.
    SackPermitted,
    /// SACK, kind 5: the blocks, filled from the front.
    Sack(SackBlocks),
    /// Timestamps, kind 8.
    Timestamps(TcpTimestamp),
    /// Any other kind, with its data (the bytes after the length byte).
    Unknown {
        /// The option kind.
        kind: u8,
        /// The option data, `length - 2` bytes.
        data: &'a [u8],
    },
}

impl TcpOption<'_> {
    /// The option's length on the wire, kind and length bytes included.
    pub fn buffer_len(&self) -> usize {
        match self {
            TcpOption::EndOfList | TcpOption::NoOperation => 1,
            TcpOption::MaxSegmentSize(_) => 4,
            TcpOption::WindowScale(_) => 3,
            TcpOption::SackPermitted => 2,
            TcpOption::Sack(blocks) => 2 + 8 * blocks.iter().flatten().count(),
            TcpOption::Timestamps(_) => 10,
            TcpOption::Unknown { data, .. } => 2 + data.len(),
        }
    }

    /// Writes the option at the start of `buf` and returns how many bytes it took
    /// ([`TcpOption::buffer_len`]).
    ///
    /// # Panics
    /// If `buf` is shorter than [`TcpOption::buffer_len`], or an `Unknown` option's data
    /// is longer than 253 bytes (its length would not fit the length byte). Both are
    /// mistakes of the caller building its own segment, never of received input.
    pub fn emit(&self, buf: &mut [u8]) -> usize {
        let len = self.buffer_len();
        let buf = &mut buf[..len];
        match *self {
            TcpOption::EndOfList => buf[0] = kind::END,
            TcpOption::NoOperation => buf[0] = kind::NOP,
            TcpOption::MaxSegmentSize(mss) => {
                buf[0] = kind::MSS;
                buf[2..4].copy_from_slice(&mss.to_be_bytes());
            }
            TcpOption::WindowScale(shift) => {
                buf[0] = kind::WINDOW_SCALE;
                buf[2] = shift;
            }
            TcpOption::SackPermitted => buf[0] = kind::SACK_PERMITTED,
            TcpOption::Sack(blocks) => {
                buf[0] = kind::SACK;
                for (i, (left, right)) in blocks.iter().flatten().enumerate() {
                    let at = 2 + 8 * i;
                    buf[at..at + 4].copy_from_slice(&left.0.to_be_bytes());
                    buf[at + 4..at + 8].copy_from_slice(&right.0.to_be_bytes());
                }
            }
            TcpOption::Timestamps(ts) => {
                buf[0] = kind::TIMESTAMPS;
                buf[2..10].copy_from_slice(&timestamp_bytes(ts));
            }
            TcpOption::Unknown { kind, data } => {
                assert!(data.len() <= 253, "option data of {} bytes", data.len());
                buf[0] = kind;
                buf[2..].copy_from_slice(data);
            }
        }
        if len > 1 {
            buf[1] = len as u8;
        }
        len
    }
}

impl fmt::Display for TcpOption<'_> {
    /// tcpdump's spelling: `mss 1460`, `sackOK`, `TS val 1 ecr 0`, `nop`, `wscale 7`,
    /// `sack 1 {101:201}`, `eol`, `unknown-254 len 2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TcpOption::EndOfList => write!(f, "eol"),
            TcpOption::NoOperation => write!(f, "nop"),
            TcpOption::MaxSegmentSize(mss) => write!(f, "mss {mss}"),
            TcpOption::WindowScale(shift) => write!(f, "wscale {shift}"),
            TcpOption::SackPermitted => write!(f, "sackOK"),
            TcpOption::Sack(blocks) => {
                write!(f, "sack {} ", blocks.iter().flatten().count())?;
                for (left, right) in blocks.iter().flatten() {
                    write!(f, "{{{left}:{right}}}")?;
                }
                Ok(())
            }
            TcpOption::Timestamps(ts) => write!(f, "TS val {} ecr {}", ts.tsval, ts.tsecr),
            TcpOption::Unknown { kind, data } => write!(f, "unknown-{kind} len {}", data.len()),
        }
    }
}

/// Walks an options area one option at a time. Yields `Err` at the first malformed
/// option and then stops; stops after yielding [`TcpOption::EndOfList`] (what follows
/// EOL is padding, RFC 9293 §3.2). Never reads outside the area it was given.
#[derive(Debug, Clone)]
pub struct TcpOptionIter<'a> {
    rest: &'a [u8],
}

impl<'a> TcpOptionIter<'a> {
    /// Starts a walk over `area`, the bytes between the fixed header and the data offset.
    pub fn new(area: &'a [u8]) -> Self {
        TcpOptionIter { rest: area }
    }

    /// Reads the option at the start of `rest`, whose first byte is `k`.
    fn next_option(&mut self, rest: &'a [u8], k: u8) -> Result<TcpOption<'a>, OptionError> {
        let after_kind = &rest[1..];
        match k {
            // RFC 9293 §3.2: EOL ends the list; it is a single byte with no length.
            kind::END => {
                self.rest = &[];
                return Ok(TcpOption::EndOfList);
            }
            // RFC 9293 §3.2: NOP is a single byte, used to align the next option.
            kind::NOP => {
                self.rest = after_kind;
                return Ok(TcpOption::NoOperation);
            }
            _ => {}
        }
        let &len = after_kind
            .first()
            .ok_or(OptionError::MissingLength { kind: k })?;
        // RFC 9293 §3.2: "the option-length counts the two octets of option-kind and
        // option-length as well as the option-data octets"; RFC 9293 §3.1 asks us to
        // be prepared for an illegal length such as zero.
        if len < 2 {
            return Err(OptionError::LengthTooShort { kind: k, len });
        }
        let Some(data) = rest.get(2..len as usize) else {
            return Err(OptionError::Overrun {
                kind: k,
                len,
                left: rest.len().min(u8::MAX as usize) as u8,
            });
        };
        self.rest = &rest[len as usize..];
        let wrong = OptionError::WrongLength { kind: k, len };
        let option = match k {
            // RFC 9293 §3.2: MSS is kind 2, length 4, a 16-bit value.
            kind::MSS => match data {
                &[a, b] => TcpOption::MaxSegmentSize(u16::from_be_bytes([a, b])),
                _ => return Err(wrong),
            },
            // RFC 7323 §2.2: window scale is kind 3, length 3, a one-byte shift count.
            kind::WINDOW_SCALE => match data {
                &[shift] => TcpOption::WindowScale(shift),
                _ => return Err(wrong),
            },
            // RFC 2018 §2: SACK-permitted is kind 4, length 2.
            kind::SACK_PERMITTED => match data {
                [] => TcpOption::SackPermitted,
                _ => return Err(wrong),
            },
            // RFC 2018 §3: "A SACK option that specifies n blocks will have a length of
            // 8*n+2 bytes". n = 0 carries nothing and is rejected; n > 4 cannot fit in
            // 40 bytes and was already caught as an overrun.
            kind::SACK => {
                if data.is_empty() || !data.len().is_multiple_of(8) || data.len() > 32 {
                    return Err(wrong);
                }
                let mut blocks: SackBlocks = [None; 4];
                for (slot, edges) in blocks.iter_mut().zip(data.chunks_exact(8)) {
                    let left = u32::from_be_bytes([edges[0], edges[1], edges[2], edges[3]]);
                    let right = u32::from_be_bytes([edges[4], edges[5], edges[6], edges[7]]);
                    *slot = Some((SeqNumber(left), SeqNumber(right)));
                }
                TcpOption::Sack(blocks)
            }
            // RFC 7323 §3.2: timestamps is kind 8, length 10, TSval then TSecr.
            kind::TIMESTAMPS => match <&[u8; 8]>::try_from(data) {
                Ok(data) => TcpOption::Timestamps(timestamp_from(data)),
                Err(_) => return Err(wrong),
            },
            // RFC 9293 §3.1: options we don't implement are skipped by their length.
            _ => TcpOption::Unknown { kind: k, data },
        };
        Ok(option)
    }
}

impl<'a> Iterator for TcpOptionIter<'a> {
    type Item = Result<TcpOption<'a>, OptionError>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.rest;
        let &k = rest.first()?;
        let item = self.next_option(rest, k);
        if item.is_err() {
            // Stop after the first error: the rest cannot be framed.
            self.rest = &[];
        }
        Some(item)
    }
}

impl core::iter::FusedIterator for TcpOptionIter<'_> {}

/// The most options [`TcpOptions::layout`] can produce: MSS, SACK-permitted, TS,
/// NOP, NOP, SACK-permitted, NOP, WS, NOP, NOP, SACK, with room to spare.
const LAYOUT_CAP: usize = 16;

/// The options exactly as [`TcpOptions::emit`] writes them, in order, NOPs included.
#[derive(Debug, Clone)]
pub struct Layout {
    items: [TcpOption<'static>; LAYOUT_CAP],
    len: usize,
}

impl Layout {
    fn push(&mut self, option: TcpOption<'static>) {
        self.items[self.len] = option;
        self.len += 1;
    }

    /// The options in wire order.
    pub fn as_slice(&self) -> &[TcpOption<'static>] {
        &self.items[..self.len]
    }

    /// The total length on the wire: always a multiple of 4, at most 40.
    pub fn buffer_len(&self) -> usize {
        self.as_slice().iter().map(TcpOption::buffer_len).sum()
    }
}

impl TcpOptions {
    /// Parses an options area (RFC 9293 §3.2) into the options Tundra understands.
    ///
    /// Unknown kinds with a valid length are skipped. A window scale shift above 14 is
    /// accepted and clamped to 14: RFC 7323 §2.3 "If a Window Scale option is received
    /// with a shift.cnt value larger than 14, the TCP SHOULD log the error but MUST
    /// use 14 instead of the specified value." (logged at debug level here).
    pub fn parse(area: &[u8]) -> Result<TcpOptions, OptionError> {
        let mut options = TcpOptions::default();
        // RFC 7323 Appendix A: the layout every data segment and ACK of a timestamp
        // connection without SACK blocks carries, NOP, NOP, TS; read at once (Linux's
        // `tcp_parse_aligned_timestamp`), the same result as the general loop below.
        if let [kind::NOP, kind::NOP, kind::TIMESTAMPS, 10, data @ ..] = area {
            if let Ok(data) = <&[u8; 8]>::try_from(data) {
                options.timestamp = Some(timestamp_from(data));
                return Ok(options);
            }
        }
        for option in TcpOptionIter::new(area) {
            match option? {
                TcpOption::EndOfList | TcpOption::NoOperation | TcpOption::Unknown { .. } => {}
                TcpOption::MaxSegmentSize(mss) => options.mss = Some(mss),
                TcpOption::WindowScale(shift) => {
                    if shift > MAX_WINDOW_SCALE {
                        log::debug!("window scale {shift} > 14, using 14 (RFC 7323 §2.3)");
                    }
                    options.window_scale = Some(shift.min(MAX_WINDOW_SCALE));
                }
                TcpOption::SackPermitted => options.sack_permitted = true,
                TcpOption::Sack(blocks) => options.sack_blocks = blocks,
                TcpOption::Timestamps(ts) => options.timestamp = Some(ts),
            }
        }
        Ok(options)
    }

    /// The options as [`TcpOptions::emit`] lays them out, in the order Linux's
    /// `tcp_options_write` uses, each group padded with NOPs to 4 bytes:
    ///
    /// 1. MSS (4 bytes);
    /// 2. timestamps, preceded by SACK-permitted if that is set, else by NOP, NOP (12);
    /// 3. NOP, NOP, SACK-permitted, if set without timestamps (4);
    /// 4. NOP, window scale (4);
    /// 5. NOP, NOP, SACK with as many blocks as still fit in 40 bytes (4 + 8n).
    ///
    /// So a Linux SYN reads `mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7` and an ACK
    /// `nop,nop,TS val 5 ecr 9,nop,nop,sack 1 {101:201}`. Options are written whether or
    /// not the segment is a SYN; which options belong on which segment is the state
    /// machine's business. SACK blocks are written in array order, skipping `None`;
    /// blocks that don't fit are dropped from the end (RFC 2018 §4: the first block
    /// is the most recent, and "at most 3" fit together with timestamps). A window
    /// scale above 14 is written as 14 (RFC 7323 §2.3).
    pub fn layout(&self) -> Layout {
        use TcpOption::NoOperation as Nop;
        let mut out = Layout {
            items: [TcpOption::EndOfList; LAYOUT_CAP],
            len: 0,
        };
        if let Some(mss) = self.mss {
            out.push(TcpOption::MaxSegmentSize(mss));
        }
        if let Some(ts) = self.timestamp {
            if self.sack_permitted {
                out.push(TcpOption::SackPermitted);
            } else {
                out.push(Nop);
                out.push(Nop);
            }
            out.push(TcpOption::Timestamps(ts));
        } else if self.sack_permitted {
            out.push(Nop);
            out.push(Nop);
            out.push(TcpOption::SackPermitted);
        }
        if let Some(shift) = self.window_scale {
            out.push(Nop);
            out.push(TcpOption::WindowScale(shift.min(MAX_WINDOW_SCALE)));
        }
        let room = MAX_OPTIONS_LEN - out.buffer_len();
        let fit = room.saturating_sub(4) / 8;
        let mut blocks: SackBlocks = [None; 4];
        for (slot, block) in blocks
            .iter_mut()
            .zip(self.sack_blocks.iter().flatten().take(fit))
        {
            *slot = Some(*block);
        }
        if blocks[0].is_some() {
            out.push(Nop);
            out.push(Nop);
            out.push(TcpOption::Sack(blocks));
        }
        out
    }

    /// The length of the options area [`TcpOptions::emit`] writes: a multiple of 4, at
    /// most 40.
    pub fn buffer_len(&self) -> usize {
        // The sum of what `layout` pushes, without building it: this runs for every
        // segment sent, and a `Layout` is a few hundred bytes to fill.
        let mut len = 0;
        if self.mss.is_some() {
            len += 4;
        }
        len += match (self.timestamp.is_some(), self.sack_permitted) {
            (true, _) => 2 + 10,
            (false, true) => 2 + 2,
            (false, false) => 0,
        };
        if self.window_scale.is_some() {
            len += 1 + 3;
        }
        let fit = (MAX_OPTIONS_LEN - len).saturating_sub(4) / 8;
        let blocks = self.sack_blocks.iter().flatten().count().min(fit);
        if blocks > 0 {
            len += 2 + 2 + 8 * blocks;
        }
        len
    }

    /// Writes the options at the start of `buf` (see [`TcpOptions::layout`] for the
    /// order) and returns the number of bytes written, [`TcpOptions::buffer_len`].
    ///
    /// # Panics
    /// If `buf` is shorter than [`TcpOptions::buffer_len`].
    pub fn emit(&self, buf: &mut [u8]) -> usize {
        // The options of every ACK and data segment of a timestamp connection with
        // nothing to SACK: NOP, NOP, TS (what `layout` gives), written directly.
        if let TcpOptions {
            mss: None,
            window_scale: None,
            sack_permitted: false,
            sack_blocks: [None, None, None, None],
            timestamp: Some(ts),
        } = *self
        {
            buf[..2].copy_from_slice(&[kind::NOP, kind::NOP]);
            return 2 + TcpOption::Timestamps(ts).emit(&mut buf[2..]);
        }
        let mut at = 0;
        for option in self.layout().as_slice() {
            at += option.emit(&mut buf[at..]);
        }
        at
    }
}

impl fmt::Display for TcpOptions {
    /// The options as tcpdump would print the area [`TcpOptions::emit`] writes, without
    /// the angle brackets: `mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, option) in self.layout().as_slice().iter().enumerate() {
            if i > 0 {
                write!(f, ",")?;
            }
            write!(f, "{option}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The options of a Linux SYN: mss 1460, sackOK, TS val 1 ecr 0, nop, wscale 7.
    const LINUX_SYN_OPTIONS: [u8; 20] = [
        0x02, 0x04, 0x05, 0xb4, // mss 1460
        0x04, 0x02, // sackOK
        0x08, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, // TS val 1 ecr 0
        0x01, // nop
        0x03, 0x03, 0x07, // wscale 7
    ];

    fn syn_options() -> TcpOptions {
        TcpOptions {
            mss: Some(1460),
            window_scale: Some(7),
            sack_permitted: true,
            timestamp: Some(TcpTimestamp { tsval: 1, tsecr: 0 }),
            ..TcpOptions::default()
        }
    }

    /// `buffer_len` adds up what `layout` would push, for every combination of
    /// options and every pattern of SACK blocks (holes included), and `emit` writes
    /// exactly that many bytes.
    #[test]
    fn buffer_len_is_the_layouts_length_for_every_combination() {
        let mut buf = [0u8; MAX_OPTIONS_LEN];
        for bits in 0u32..(1 << 8) {
            let on = |b: u32| bits & (1 << b) != 0;
            let mut sack_blocks = [None; 4];
            for (k, slot) in sack_blocks.iter_mut().enumerate() {
                if on(4 + k as u32) {
                    *slot = block(100 * k as u32, 100 * k as u32 + 50);
                }
            }
            let options = TcpOptions {
                mss: on(0).then_some(1460),
                window_scale: on(1).then_some(7),
                sack_permitted: on(2),
                timestamp: on(3).then_some(TcpTimestamp { tsval: 7, tsecr: 8 }),
                sack_blocks,
            };
            let expected = options.layout().buffer_len();
            assert_eq!(options.buffer_len(), expected, "{options:?}");
            assert_eq!(options.emit(&mut buf), expected, "{options:?}");
            assert!(
                expected.is_multiple_of(4) && expected <= MAX_OPTIONS_LEN,
                "{options:?}"
            );
        }
    }

    fn block(left: u32, right: u32) -> Option<(SeqNumber, SeqNumber)> {
        Some((SeqNumber(left), SeqNumber(right)))
    }

    #[test]
    fn linux_syn_options_parse() {
        assert_eq!(TcpOptions::parse(&LINUX_SYN_OPTIONS), Ok(syn_options()));
    }

    #[test]
    fn linux_syn_options_emit_byte_for_byte() {
        let mut buf = [0u8; 40];
        let n = syn_options().emit(&mut buf);
        assert_eq!(&buf[..n], &LINUX_SYN_OPTIONS[..]);
        assert_eq!(syn_options().buffer_len(), 20);
        assert_eq!(
            syn_options().to_string(),
            "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7"
        );
    }

    /// Linux with timestamps off: `mss 1460,nop,nop,sackOK,nop,wscale 7`.
    #[test]
    fn syn_without_timestamps_uses_nop_nop_sack_permitted() {
        let opts = TcpOptions {
            timestamp: None,
            ..syn_options()
        };
        assert_eq!(opts.to_string(), "mss 1460,nop,nop,sackOK,nop,wscale 7");
        let mut buf = [0u8; 40];
        let n = opts.emit(&mut buf);
        assert_eq!(
            &buf[..n],
            &[0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02, 0x01, 0x03, 0x03, 0x07]
        );
        assert_eq!(TcpOptions::parse(&buf[..n]), Ok(opts));
    }

    /// An established-state ACK carrying a timestamp and one SACK block.
    #[test]
    fn ack_options_are_nop_nop_ts_nop_nop_sack() {
        let opts = TcpOptions {
            timestamp: Some(TcpTimestamp { tsval: 5, tsecr: 9 }),
            sack_blocks: [block(101, 201), None, None, None],
            ..TcpOptions::default()
        };
        assert_eq!(
            opts.to_string(),
            "nop,nop,TS val 5 ecr 9,nop,nop,sack 1 {101:201}"
        );
        let mut buf = [0u8; 40];
        let n = opts.emit(&mut buf);
        assert_eq!(n, 24);
        assert_eq!(
            &buf[..n],
            &[
                0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 5, 0, 0, 0, 9, //
                0x01, 0x01, 0x05, 0x0a, 0, 0, 0, 101, 0, 0, 0, 201,
            ]
        );
        assert_eq!(TcpOptions::parse(&buf[..n]), Ok(opts));
    }

    #[test]
    fn four_sack_blocks_fit_without_timestamps_three_with() {
        let four = [block(1, 2), block(3, 4), block(5, 6), block(7, 8)];
        let without_ts = TcpOptions {
            sack_blocks: four,
            ..TcpOptions::default()
        };
        assert_eq!(without_ts.buffer_len(), 36);
        let mut buf = [0u8; 40];
        let n = without_ts.emit(&mut buf);
        assert_eq!(TcpOptions::parse(&buf[..n]), Ok(without_ts));

        // RFC 2018 §3: with timestamps (12 bytes) only 3 blocks fit; the last is dropped.
        let with_ts = TcpOptions {
            timestamp: Some(TcpTimestamp { tsval: 1, tsecr: 2 }),
            ..without_ts
        };
        assert_eq!(with_ts.buffer_len(), 40);
        let n = with_ts.emit(&mut buf);
        let parsed = TcpOptions::parse(&buf[..n]).unwrap();
        assert_eq!(
            parsed.sack_blocks,
            [block(1, 2), block(3, 4), block(5, 6), None]
        );
    }

    #[test]
    fn nothing_set_emits_nothing() {
        assert_eq!(TcpOptions::default().buffer_len(), 0);
        assert_eq!(TcpOptions::default().to_string(), "");
        assert_eq!(TcpOptions::parse(&[]), Ok(TcpOptions::default()));
    }

    #[test]
    fn eol_stops_the_walk_and_padding_after_it_is_not_read() {
        // mss, EOL, then garbage that would be malformed if it were read.
        let area = [0x02, 0x04, 0x05, 0xb4, 0x00, 0x02, 0x00, 0xff];
        let parsed = TcpOptions::parse(&area).unwrap();
        assert_eq!(parsed.mss, Some(1460));
        let kinds: Vec<_> = TcpOptionIter::new(&area).collect();
        assert_eq!(
            kinds,
            vec![
                Ok(TcpOption::MaxSegmentSize(1460)),
                Ok(TcpOption::EndOfList)
            ]
        );
    }

    #[test]
    fn nops_are_skipped_anywhere() {
        let area = [0x01, 0x01, 0x01, 0x03, 0x03, 0x02, 0x01, 0x01];
        assert_eq!(
            TcpOptions::parse(&area),
            Ok(TcpOptions {
                window_scale: Some(2),
                ..TcpOptions::default()
            })
        );
    }

    #[test]
    fn unknown_kinds_with_valid_length_are_skipped() {
        // kind 0xfe (experimental, RFC 4727) length 4, kind 0x1e (MPTCP) length 2, mss.
        let area = [0xfe, 0x04, 0xaa, 0xbb, 0x1e, 0x02, 0x02, 0x04, 0x02, 0x18];
        assert_eq!(TcpOptions::parse(&area).map(|o| o.mss), Ok(Some(536)));
        let first = TcpOptionIter::new(&area).next();
        assert_eq!(
            first,
            Some(Ok(TcpOption::Unknown {
                kind: 0xfe,
                data: &[0xaa, 0xbb]
            }))
        );
    }

    #[test]
    fn later_duplicate_wins() {
        let area = [0x02, 0x04, 0x05, 0xb4, 0x02, 0x04, 0x02, 0x18];
        assert_eq!(TcpOptions::parse(&area).map(|o| o.mss), Ok(Some(536)));
    }

    /// RFC 7323 §2.3: a shift above 14 is used as 14.
    #[test]
    fn rfc7323_window_scale_above_14_is_clamped() {
        for shift in [15u8, 0x80, 0xff] {
            let area = [0x01, 0x03, 0x03, shift];
            assert_eq!(
                TcpOptions::parse(&area).map(|o| o.window_scale),
                Ok(Some(14))
            );
            // The raw walk keeps the received value.
            assert_eq!(
                TcpOptionIter::new(&area).nth(1),
                Some(Ok(TcpOption::WindowScale(shift)))
            );
        }
        assert_eq!(
            TcpOptions::parse(&[0x01, 0x03, 0x03, 14]).map(|o| o.window_scale),
            Ok(Some(14))
        );
        // And we never write more than 14 either.
        let opts = TcpOptions {
            window_scale: Some(20),
            ..TcpOptions::default()
        };
        let mut buf = [0u8; 40];
        let n = opts.emit(&mut buf);
        assert_eq!(&buf[..n], &[0x01, 0x03, 0x03, 0x0e]);
    }

    #[test]
    fn missing_length_byte() {
        assert_eq!(
            TcpOptions::parse(&[0x01, 0x02]),
            Err(OptionError::MissingLength { kind: 2 })
        );
        assert_eq!(
            TcpOptions::parse(&[0xfe]),
            Err(OptionError::MissingLength { kind: 0xfe })
        );
    }

    #[test]
    fn length_below_two_for_any_kind() {
        for k in [0x02, 0x03, 0x04, 0x05, 0x08, 0xfe] {
            for len in [0u8, 1] {
                assert_eq!(
                    TcpOptions::parse(&[k, len, 0, 0]),
                    Err(OptionError::LengthTooShort { kind: k, len }),
                    "kind {k} len {len}"
                );
            }
        }
    }

    #[test]
    fn length_running_past_the_area() {
        // MSS claims 4 bytes, only 3 are left.
        assert_eq!(
            TcpOptions::parse(&[0x01, 0x02, 0x04, 0x05]),
            Err(OptionError::Overrun {
                kind: 2,
                len: 4,
                left: 3
            })
        );
        // An unknown kind is skipped only if its length fits.
        assert_eq!(
            TcpOptions::parse(&[0xfe, 0x05, 0x00, 0x00]),
            Err(OptionError::Overrun {
                kind: 0xfe,
                len: 5,
                left: 4
            })
        );
        // Five SACK blocks (len 42) can never fit in 40 bytes.
        let mut area = [0u8; 40];
        area[0] = 0x05;
        area[1] = 42;
        assert_eq!(
            TcpOptions::parse(&area),
            Err(OptionError::Overrun {
                kind: 5,
                len: 42,
                left: 40
            })
        );
    }

    #[test]
    fn known_kinds_with_the_wrong_length() {
        let cases: &[(u8, &[u8])] = &[
            (kind::MSS, &[0x02, 0x03, 0x05]),
            (kind::MSS, &[0x02, 0x05, 0x05, 0xb4, 0x00]),
            (kind::WINDOW_SCALE, &[0x03, 0x02]),
            (kind::WINDOW_SCALE, &[0x03, 0x04, 0x07, 0x00]),
            (kind::SACK_PERMITTED, &[0x04, 0x03, 0x00]),
            (kind::SACK, &[0x05, 0x02]),
            (kind::SACK, &[0x05, 0x09, 0, 0, 0, 0, 0, 0, 0]),
            (kind::SACK, &[0x05, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            (kind::TIMESTAMPS, &[0x08, 0x08, 0, 0, 0, 0, 0, 0]),
            (
                kind::TIMESTAMPS,
                &[0x08, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            ),
        ];
        for &(k, area) in cases {
            assert_eq!(
                TcpOptions::parse(area),
                Err(OptionError::WrongLength {
                    kind: k,
                    len: area[1]
                }),
                "{area:02x?}"
            );
        }
    }

    #[test]
    fn iterator_stops_after_the_first_error() {
        let mut it = TcpOptionIter::new(&[0x02, 0x00, 0x01, 0x01]);
        assert!(matches!(it.next(), Some(Err(_))));
        assert_eq!(it.next(), None);
    }

    #[test]
    fn sack_edges_are_read_big_endian() {
        let area = [
            0x01, 0x01, 0x05, 0x12, //
            0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, //
            0xff, 0xff, 0xff, 0xf0, 0x00, 0x00, 0x00, 0x10,
        ];
        assert_eq!(
            TcpOptions::parse(&area).map(|o| o.sack_blocks),
            Ok([
                block(0x1234_5678, 0x9abc_def0),
                block(0xffff_fff0, 0x10),
                None,
                None
            ])
        );
    }

    #[test]
    fn unknown_option_emits_and_displays() {
        let opt = TcpOption::Unknown {
            kind: 0xfe,
            data: &[0xaa, 0xbb],
        };
        let mut buf = [0u8; 4];
        assert_eq!(opt.emit(&mut buf), 4);
        assert_eq!(buf, [0xfe, 0x04, 0xaa, 0xbb]);
        assert_eq!(opt.to_string(), "unknown-254 len 2");
    }

    /// The aligned-timestamp fast path in `TcpOptions::parse` gives what the general
    /// loop gives, and only takes exactly NOP, NOP, TS: followed by anything (a SACK),
    /// or with another length byte, the loop decides.
    #[test]
    fn aligned_timestamps_parse_like_the_general_loop() {
        let general = |area: &[u8]| -> Result<TcpOptions, OptionError> {
            let mut o = TcpOptions::default();
            for option in TcpOptionIter::new(area) {
                match option? {
                    TcpOption::Timestamps(ts) => o.timestamp = Some(ts),
                    TcpOption::Sack(blocks) => o.sack_blocks = blocks,
                    _ => {}
                }
            }
            Ok(o)
        };
        let aligned = [1, 1, 8, 10, 0, 0, 0, 5, 0xff, 0, 0, 9];
        let parsed = TcpOptions::parse(&aligned).unwrap();
        assert_eq!(
            parsed.timestamp,
            Some(TcpTimestamp {
                tsval: 5,
                tsecr: 0xff00_0009
            })
        );
        assert_eq!(parsed, general(&aligned).unwrap());
        let mut with_sack = aligned.to_vec();
        with_sack.extend_from_slice(&[1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2]);
        let parsed = TcpOptions::parse(&with_sack).unwrap();
        assert!(parsed.sack_blocks[0].is_some(), "the SACK after it is read");
        assert_eq!(parsed, general(&with_sack).unwrap());
        let mut bad_len = aligned;
        bad_len[3] = 9;
        assert_eq!(TcpOptions::parse(&bad_len), general(&bad_len));
        assert!(TcpOptions::parse(&bad_len).is_err());
    }

    /// The NOP, NOP, TS shortcut in `TcpOptions::emit` writes what the layout does.
    #[test]
    fn timestamps_alone_emit_like_the_layout() {
        let options = TcpOptions {
            timestamp: Some(TcpTimestamp {
                tsval: 0x0102_0304,
                tsecr: 0xa0b0_c0d0,
            }),
            ..TcpOptions::default()
        };
        let mut fast = [0u8; 40];
        let n = options.emit(&mut fast);
        let mut slow = [0u8; 40];
        let mut at = 0;
        for option in options.layout().as_slice() {
            at += option.emit(&mut slow[at..]);
        }
        assert_eq!((n, &fast[..n]), (at, &slow[..at]));
        assert_eq!(n, options.buffer_len());
        assert_eq!(TcpOptions::parse(&fast[..n]).unwrap(), options);
    }
}
