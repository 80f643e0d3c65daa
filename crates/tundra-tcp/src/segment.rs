//! The TCP segment on the wire (RFC 9293 §3.1): the zero-copy view [`TcpPacket`],
//! and [`TcpRepr::parse`] / [`TcpRepr::emit`] between it and the plain [`TcpRepr`].
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Source Port          |       Destination Port        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        Sequence Number                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Acknowledgment Number                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Data |       |C|E|U|A|P|R|S|F|                               |
//! | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
//! |       |       |R|E|G|K|H|T|N|N|                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Checksum            |         Urgent Pointer        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                           [Options]                           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                             data                              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! **The contract.** A [`TcpPacket`] wraps a buffer that holds exactly one segment: the
//! IP payload, no more and no less (TCP has no length field; the segment's length is
//! the buffer's, and the checksum covers all of it). [`TcpPacket::new_checked`] (or
//! [`TcpPacket::check_len`]) establishes that the buffer holds the fixed header and the
//! whole header that the data offset claims; after that no accessor can panic, whatever
//! the bytes say. [`TcpPacket::new_unchecked`] is for buffers we are about to fill
//! ourselves; its accessors panic on a buffer that is too short. Setters, including
//! [`TcpPacket::set_header_len`], can invalidate the check.
//!
//! [`TcpRepr::parse`] checks only wire validity: lengths, data offset, ports, checksum
//! and options. Combinations of flags that make no sense (SYN with RST, SYN with FIN,
//! no flags at all) are accepted here and left to the state machine, which knows what
//! to answer (RFC 9293 §3.10.7).

use core::fmt;
use core::net::Ipv4Addr;

use tundra_ip::checksum;
use tundra_ip::IpProtocol;

use crate::options::OptionError;
use crate::{SeqNumber, TcpFlags, TcpOptions, TcpRepr};

/// Byte positions of the header fields (RFC 9293 §3.1).
mod field {
    use core::ops::Range;

    pub const SRC_PORT: Range<usize> = 0..2;
    pub const DST_PORT: Range<usize> = 2..4;
    pub const SEQ_NUM: Range<usize> = 4..8;
    pub const ACK_NUM: Range<usize> = 8..12;
    /// Data offset (high nibble), reserved bits, and the historic NS bit (bit 0).
    pub const DATA_OFFSET: usize = 12;
    pub const FLAGS: usize = 13;
    pub const WINDOW: Range<usize> = 14..16;
    pub const CHECKSUM: Range<usize> = 16..18;
    pub const URGENT: Range<usize> = 18..20;

    pub const FLG_FIN: u8 = 0x01;
    pub const FLG_SYN: u8 = 0x02;
    pub const FLG_RST: u8 = 0x04;
    pub const FLG_PSH: u8 = 0x08;
    pub const FLG_ACK: u8 = 0x10;
    pub const FLG_URG: u8 = 0x20;
    pub const FLG_ECE: u8 = 0x40;
    pub const FLG_CWR: u8 = 0x80;
    /// In the data-offset byte (RFC 3540, historic since RFC 8311).
    pub const FLG_NS: u8 = 0x01;
}

/// The length of the fixed header: a data offset of 5 words (RFC 9293 §3.1).
pub const HEADER_LEN: usize = 20;

/// The longest header: a data offset of 15 words (RFC 9293 §3.1).
pub const MAX_HEADER_LEN: usize = 60;

/// Why a segment is malformed. Small and `Copy`, so the caller can count and drop it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The buffer is shorter than 20 bytes, or shorter than the header its data offset
    /// claims.
    #[error("segment truncated")]
    Truncated,
    /// The data offset is below 5 words (RFC 9293 §3.1: the header is at least 20
    /// bytes).
    #[error("data offset {data_offset} is below 5")]
    BadDataOffset {
        /// The data offset field as received, in 32-bit words.
        data_offset: u8,
    },
    /// The source or destination port is 0 (reserved, RFC 6335 §6); see
    /// [`TcpRepr::parse`].
    #[error("port 0")]
    ZeroPort,
    /// The checksum over the pseudo-header and segment does not verify (RFC 9293 §3.1).
    #[error("bad checksum")]
    BadChecksum,
    /// The options area is malformed (RFC 9293 §3.2).
    #[error("bad option: {0}")]
    BadOption(#[from] OptionError),
}

/// Whether [`TcpRepr::parse`] verifies the checksum: the one mode type shared by
/// every Tundra parser, from `tundra-ip`.
pub use tundra_ip::ChecksumMode;

/// How [`TcpRepr::emit_with`] fills the checksum: the one fill type shared by every
/// Tundra emitter, from `tundra-ip`.
pub use tundra_ip::ChecksumFill;

/// A zero-copy view of a TCP segment in a buffer. See the module doc for the contract
/// between [`TcpPacket::new_checked`] and the accessors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    /// Wraps a buffer without checking it. Accessors may panic until
    /// [`TcpPacket::check_len`] has passed; use it for buffers you fill yourself.
    pub const fn new_unchecked(buffer: T) -> TcpPacket<T> {
        TcpPacket { buffer }
    }

    /// Wraps untrusted bytes: [`TcpPacket::new_unchecked`] followed by
    /// [`TcpPacket::check_len`].
    pub fn new_checked(buffer: T) -> Result<TcpPacket<T>, WireError> {
        let packet = TcpPacket::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that every accessor can run without panicking: the buffer holds the
    /// fixed 20-byte header, the data offset is at least 5 words, and the buffer holds
    /// the whole header the data offset claims.
    pub fn check_len(&self) -> Result<(), WireError> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let header_len = self.header_len();
        // RFC 9293 §3.1: "Data Offset: 4 bits. The number of 32-bit words in the TCP
        // header." The fixed header alone is 5 words, so less is malformed.
        if header_len < HEADER_LEN {
            return Err(WireError::BadDataOffset {
                data_offset: (header_len / 4) as u8,
            });
        }
        if len < header_len {
            return Err(WireError::Truncated);
        }
        Ok(())
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn read_u16(&self, range: core::ops::Range<usize>) -> u16 {
        let b = &self.buffer.as_ref()[range];
        u16::from_be_bytes([b[0], b[1]])
    }

    fn read_u32(&self, range: core::ops::Range<usize>) -> u32 {
        let b = &self.buffer.as_ref()[range];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    fn flag(&self, bit: u8) -> bool {
        self.buffer.as_ref()[field::FLAGS] & bit != 0
    }

    /// The source port.
    pub fn src_port(&self) -> u16 {
        self.read_u16(field::SRC_PORT)
    }

    /// The destination port.
    pub fn dst_port(&self) -> u16 {
        self.read_u16(field::DST_PORT)
    }

    /// SEG.SEQ: the sequence number of the first octet (or of the SYN).
    pub fn seq_number(&self) -> SeqNumber {
        SeqNumber(self.read_u32(field::SEQ_NUM))
    }

    /// The acknowledgment number field, meaningful only when [`TcpPacket::ack`] is set.
    pub fn ack_number(&self) -> SeqNumber {
        SeqNumber(self.read_u32(field::ACK_NUM))
    }

    /// The header length in bytes: the data offset times 4 (RFC 9293 §3.1).
    pub fn header_len(&self) -> usize {
        ((self.buffer.as_ref()[field::DATA_OFFSET] >> 4) as usize) * 4
    }

    /// FIN: no more data from the sender.
    pub fn fin(&self) -> bool {
        self.flag(field::FLG_FIN)
    }

    /// SYN: synchronize sequence numbers.
    pub fn syn(&self) -> bool {
        self.flag(field::FLG_SYN)
    }

    /// RST: reset the connection.
    pub fn rst(&self) -> bool {
        self.flag(field::FLG_RST)
    }

    /// PSH: push function.
    pub fn psh(&self) -> bool {
        self.flag(field::FLG_PSH)
    }

    /// ACK: the acknowledgment number is significant.
    pub fn ack(&self) -> bool {
        self.flag(field::FLG_ACK)
    }

    /// URG: the urgent pointer is significant.
    pub fn urg(&self) -> bool {
        self.flag(field::FLG_URG)
    }

    /// ECE: ECN-Echo (RFC 3168 §6.1).
    pub fn ece(&self) -> bool {
        self.flag(field::FLG_ECE)
    }

    /// CWR: congestion window reduced (RFC 3168 §6.1).
    pub fn cwr(&self) -> bool {
        self.flag(field::FLG_CWR)
    }

    /// NS: the ECN nonce sum bit of RFC 3540, historic since RFC 8311 (now a reserved
    /// bit). Read for display only; Tundra never sets it.
    pub fn ns(&self) -> bool {
        self.buffer.as_ref()[field::DATA_OFFSET] & field::FLG_NS != 0
    }

    /// SEG.WND as on the wire, before any window scaling.
    pub fn window_len(&self) -> u16 {
        self.read_u16(field::WINDOW)
    }

    /// The checksum field.
    pub fn checksum(&self) -> u16 {
        self.read_u16(field::CHECKSUM)
    }

    /// The urgent pointer field.
    pub fn urgent_at(&self) -> u16 {
        self.read_u16(field::URGENT)
    }

    /// The options area: the bytes between the fixed header and the data offset.
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..self.header_len()]
    }

    /// The segment text: everything after the header.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }

    /// Verifies the checksum over the IPv4 pseudo-header and the whole buffer (RFC 9293
    /// §3.1): the one's complement sum including the checksum field must be all ones.
    pub fn verify_checksum(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        let data = self.buffer.as_ref();
        checksum::combine(&[
            checksum::pseudo_header(src, dst, IpProtocol::Tcp, data.len() as u32),
            checksum::data(data),
        ]) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TcpPacket<T> {
    fn write_u16(&mut self, range: core::ops::Range<usize>, value: u16) {
        self.buffer.as_mut()[range].copy_from_slice(&value.to_be_bytes());
    }

    fn write_u32(&mut self, range: core::ops::Range<usize>, value: u32) {
        self.buffer.as_mut()[range].copy_from_slice(&value.to_be_bytes());
    }

    fn set_flag(&mut self, bit: u8, on: bool) {
        let byte = &mut self.buffer.as_mut()[field::FLAGS];
        if on {
            *byte |= bit;
        } else {
            *byte &= !bit;
        }
    }

    /// Sets the source port.
    pub fn set_src_port(&mut self, port: u16) {
        self.write_u16(field::SRC_PORT, port);
    }

    /// Sets the destination port.
    pub fn set_dst_port(&mut self, port: u16) {
        self.write_u16(field::DST_PORT, port);
    }

    /// Sets the sequence number.
    pub fn set_seq_number(&mut self, seq: SeqNumber) {
        self.write_u32(field::SEQ_NUM, seq.0);
    }

    /// Sets the acknowledgment number field (the ACK bit is separate).
    pub fn set_ack_number(&mut self, ack: SeqNumber) {
        self.write_u32(field::ACK_NUM, ack.0);
    }

    /// Sets the data offset from a header length in bytes, which must be a multiple of 4
    /// in 20..=60, and clears the reserved bits and NS (RFC 9293 §3.1: reserved bits
    /// "must be zero in generated segments").
    ///
    /// # Panics
    /// If `len` is not a valid header length: a bug in the caller, not bad input.
    pub fn set_header_len(&mut self, len: usize) {
        assert!(
            len.is_multiple_of(4) && (HEADER_LEN..=MAX_HEADER_LEN).contains(&len),
            "invalid TCP header length {len}"
        );
        self.buffer.as_mut()[field::DATA_OFFSET] = ((len / 4) as u8) << 4;
    }

    /// Clears all nine control bits (CWR..FIN and NS).
    pub fn clear_flags(&mut self) {
        self.buffer.as_mut()[field::FLAGS] = 0;
        self.buffer.as_mut()[field::DATA_OFFSET] &= !field::FLG_NS;
    }

    /// Sets or clears FIN.
    pub fn set_fin(&mut self, on: bool) {
        self.set_flag(field::FLG_FIN, on);
    }

    /// Sets or clears SYN.
    pub fn set_syn(&mut self, on: bool) {
        self.set_flag(field::FLG_SYN, on);
    }

    /// Sets or clears RST.
    pub fn set_rst(&mut self, on: bool) {
        self.set_flag(field::FLG_RST, on);
    }

    /// Sets or clears PSH.
    pub fn set_psh(&mut self, on: bool) {
        self.set_flag(field::FLG_PSH, on);
    }

    /// Sets or clears ACK.
    pub fn set_ack(&mut self, on: bool) {
        self.set_flag(field::FLG_ACK, on);
    }

    /// Sets or clears URG.
    pub fn set_urg(&mut self, on: bool) {
        self.set_flag(field::FLG_URG, on);
    }

    /// Sets or clears ECE.
    pub fn set_ece(&mut self, on: bool) {
        self.set_flag(field::FLG_ECE, on);
    }

    /// Sets or clears CWR.
    pub fn set_cwr(&mut self, on: bool) {
        self.set_flag(field::FLG_CWR, on);
    }

    /// Sets or clears NS (historic, RFC 8311); only useful to build test input.
    pub fn set_ns(&mut self, on: bool) {
        let byte = &mut self.buffer.as_mut()[field::DATA_OFFSET];
        if on {
            *byte |= field::FLG_NS;
        } else {
            *byte &= !field::FLG_NS;
        }
    }

    /// Sets the window field.
    pub fn set_window_len(&mut self, window: u16) {
        self.write_u16(field::WINDOW, window);
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, value: u16) {
        self.write_u16(field::CHECKSUM, value);
    }

    /// Sets the urgent pointer.
    pub fn set_urgent_at(&mut self, value: u16) {
        self.write_u16(field::URGENT, value);
    }

    /// The options area, writable.
    pub fn options_mut(&mut self) -> &mut [u8] {
        let header_len = self.header_len();
        &mut self.buffer.as_mut()[HEADER_LEN..header_len]
    }

    /// The payload, writable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let header_len = self.header_len();
        &mut self.buffer.as_mut()[header_len..]
    }

    /// Computes and writes the checksum over the IPv4 pseudo-header and the whole
    /// buffer (RFC 9293 §3.1: the checksum field itself counts as zero while summing).
    pub fn fill_checksum(&mut self, src: Ipv4Addr, dst: Ipv4Addr) {
        self.set_checksum(0);
        let data = self.buffer.as_ref();
        let sum = checksum::combine(&[
            checksum::pseudo_header(src, dst, IpProtocol::Tcp, data.len() as u32),
            checksum::data(data),
        ]);
        self.set_checksum(!sum);
    }

    /// Writes only the pseudo-header sum into the checksum field, for a device that
    /// completes the checksum ([`ChecksumFill::PseudoHeader`]).
    pub fn fill_pseudo_header_checksum(&mut self, src: Ipv4Addr, dst: Ipv4Addr) {
        let len = self.buffer.as_ref().len() as u32;
        self.set_checksum(checksum::pseudo_header(src, dst, IpProtocol::Tcp, len));
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for TcpPacket<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

impl<'a> TcpRepr<'a> {
    /// Parses a segment that arrived from `src` to `dst` (the addresses enter the
    /// checksum through the pseudo-header).
    ///
    /// Rejects, in this order: a buffer that fails [`TcpPacket::check_len`]; source or
    /// destination port 0; a checksum that does not verify (unless `checksum` is
    /// [`ChecksumMode::Ignore`]); a malformed options area ([`TcpOptions::parse`]).
    ///
    /// Port 0 is reserved (RFC 6335 §6, IANA) and the sockets API uses it to mean "any",
    /// so no connection can have it as an endpoint; a segment from or to port 0 is a
    /// probe or garbage, and answering it with a RST (RFC 9293 §3.10.7.1) would put port
    /// 0 on the wire. smoltcp drops it the same way; Linux answers a SYN to port 0 with a
    /// RST. We drop it here so nothing above ever sees it.
    ///
    /// Flag combinations are not judged here (see the module doc). The NS bit and the
    /// reserved bits are ignored (RFC 9293 §3.1: "must be ignored in received segments
    /// if the corresponding future features are not implemented"). The acknowledgment
    /// number is kept only when ACK is set.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &TcpPacket<&'a T>,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        checksum: ChecksumMode,
    ) -> Result<TcpRepr<'a>, WireError> {
        packet.check_len()?;
        if packet.src_port() == 0 || packet.dst_port() == 0 {
            return Err(WireError::ZeroPort);
        }
        if checksum == ChecksumMode::Verify && !packet.verify_checksum(src, dst) {
            return Err(WireError::BadChecksum);
        }
        // Borrow from the underlying `&'a T` so the payload outlives `packet`.
        let bytes: &'a [u8] = packet.buffer.as_ref();
        let header_len = packet.header_len();
        let options = TcpOptions::parse(&bytes[HEADER_LEN..header_len])?;
        Ok(TcpRepr {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            seq_number: packet.seq_number(),
            ack_number: packet.ack().then(|| packet.ack_number()),
            flags: TcpFlags {
                syn: packet.syn(),
                fin: packet.fin(),
                rst: packet.rst(),
                psh: packet.psh(),
                urg: packet.urg(),
                ece: packet.ece(),
                cwr: packet.cwr(),
            },
            window_len: packet.window_len(),
            urgent_pointer: packet.urgent_at(),
            options,
            payload: &bytes[header_len..],
        })
    }

    /// The length of the header [`TcpRepr::emit`] writes: 20 bytes plus the options
    /// ([`TcpOptions::buffer_len`]), always a multiple of 4 and at most 60.
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.options.buffer_len()
    }

    /// The length of the whole segment [`TcpRepr::emit`] writes: header plus payload.
    pub fn buffer_len(&self) -> usize {
        self.header_len() + self.payload.len()
    }

    /// Writes the segment into `packet` and fills in the checksum for `src` -> `dst`.
    /// The ACK bit is set iff `ack_number` is `Some` (the field is zero otherwise);
    /// reserved bits and NS are zero (RFC 9293 §3.1). Options are laid out as
    /// [`TcpOptions::layout`] describes.
    ///
    /// # Panics
    /// If the buffer is not exactly [`TcpRepr::buffer_len`] bytes: the checksum covers
    /// the whole buffer, so a longer one would checksum bytes that are not the segment.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut TcpPacket<T>,
        src: Ipv4Addr,
        dst: Ipv4Addr,
    ) {
        self.emit_with(packet, src, dst, ChecksumFill::Full);
    }

    /// [`TcpRepr::emit`], with the checksum filled as `fill` says.
    ///
    /// # Panics
    /// As [`TcpRepr::emit`].
    pub fn emit_with<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut TcpPacket<T>,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        fill: ChecksumFill,
    ) {
        let header_len = self.header_len();
        assert_eq!(
            packet.buffer.as_ref().len(),
            header_len + self.payload.len(),
            "emit buffer must be exactly buffer_len() bytes"
        );
        packet.set_src_port(self.src_port);
        packet.set_dst_port(self.dst_port);
        packet.set_seq_number(self.seq_number);
        packet.set_ack_number(self.ack_number.unwrap_or(SeqNumber(0)));
        packet.set_header_len(header_len);
        packet.clear_flags();
        packet.set_fin(self.flags.fin);
        packet.set_syn(self.flags.syn);
        packet.set_rst(self.flags.rst);
        packet.set_psh(self.flags.psh);
        packet.set_ack(self.ack_number.is_some());
        packet.set_urg(self.flags.urg);
        packet.set_ece(self.flags.ece);
        packet.set_cwr(self.flags.cwr);
        packet.set_window_len(self.window_len);
        packet.set_urgent_at(self.urgent_pointer);
        let written = self.options.emit(packet.options_mut());
        debug_assert_eq!(written, header_len - HEADER_LEN);
        packet.payload_mut().copy_from_slice(self.payload);
        match fill {
            ChecksumFill::Full => packet.fill_checksum(src, dst),
            ChecksumFill::PseudoHeader => packet.fill_pseudo_header_checksum(src, dst),
        }
    }
}

/// Emits `repr` into a new buffer of exactly [`TcpRepr::buffer_len`] bytes, checksum
/// filled for `src` -> `dst`. Handy for tests and for building replies.
pub fn emit_segment(repr: &TcpRepr<'_>, src: Ipv4Addr, dst: Ipv4Addr) -> Vec<u8> {
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut TcpPacket::new_unchecked(&mut buf[..]), src, dst);
    buf
}

impl fmt::Display for TcpFlags {
    /// tcpdump's flag letters in tcpdump's order, without the ACK dot (which lives in
    /// [`TcpRepr::ack_number`]): `F S R P U E W`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (on, letter) in [
            (self.fin, "F"),
            (self.syn, "S"),
            (self.rst, "R"),
            (self.psh, "P"),
            (self.urg, "U"),
            (self.ece, "E"),
            (self.cwr, "W"),
        ] {
            if on {
                f.write_str(letter)?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for TcpRepr<'_> {
    /// One tcpdump-like line:
    /// `5000 > 80 [S] seq 100 win 64240 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7> len 0`,
    /// `80 > 5000 [S.] seq 300 ack 101 win 65160 <...> len 0`,
    /// `5000 > 80 [P.] seq 101:106 ack 301 win 502 len 5`.
    ///
    /// Flags use tcpdump's letters and order (`F S R P . U E W`, `none` for no flags).
    /// Unlike tcpdump, `seq` is printed on every segment (the state machine's
    /// acceptability test reads SEG.SEQ of a bare ACK too), as `start:end` when the
    /// segment carries data. Options are printed as [`TcpRepr::emit`] lays them out,
    /// NOPs included, so the line matches tcpdump's reading of what we send.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flags = self.flags;
        write!(f, "{} > {} [", self.src_port, self.dst_port)?;
        // tcpdump order: F S R P . U E W.
        let early = TcpFlags {
            urg: false,
            ece: false,
            cwr: false,
            ..flags
        };
        let late = TcpFlags {
            urg: flags.urg,
            ece: flags.ece,
            cwr: flags.cwr,
            ..TcpFlags::default()
        };
        write!(f, "{early}")?;
        if self.ack_number.is_some() {
            write!(f, ".")?;
        }
        write!(f, "{late}")?;
        if flags == TcpFlags::default() && self.ack_number.is_none() {
            write!(f, "none")?;
        }
        write!(f, "] seq {}", self.seq_number)?;
        if !self.payload.is_empty() {
            write!(
                f,
                ":{}",
                self.seq_number.0.wrapping_add(self.payload.len() as u32)
            )?;
        }
        if let Some(ack) = self.ack_number {
            write!(f, " ack {ack}")?;
        }
        write!(f, " win {}", self.window_len)?;
        if flags.urg {
            write!(f, " urg {}", self.urgent_pointer)?;
        }
        if self.options.buffer_len() > 0 {
            write!(f, " <{}>", self.options)?;
        }
        write!(f, " len {}", self.payload.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::kind;
    use crate::TcpTimestamp;
    use proptest::prelude::*;

    const CLIENT: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

    // Segments built byte by byte with an independent tool (a Python one's complement
    // sum), checksums included; `naive_checksum_ok` re-checks them in Rust below.

    /// A Linux SYN 10.0.0.1:5000 > 10.0.0.2:80, seq 0x5f3a1c2b, win 64240,
    /// `<mss 1460,sackOK,TS val 0x0a1b2c3d ecr 0,nop,wscale 7>`, checksum 0x7377.
    const SYN: [u8; 40] = [
        0x13, 0x88, 0x00, 0x50, 0x5f, 0x3a, 0x1c, 0x2b, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa,
        0xf0, 0x73, 0x77, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x0a, 0x1b,
        0x2c, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
    ];

    /// The SYN-ACK 10.0.0.2:80 > 10.0.0.1:5000, seq 0x12345678 ack 0x5f3a1c2c,
    /// win 65160, `<mss 1460,sackOK,TS val 0x7e6d5c4b ecr 0x0a1b2c3d,nop,wscale 7>`.
    const SYN_ACK: [u8; 40] = [
        0x00, 0x50, 0x13, 0x88, 0x12, 0x34, 0x56, 0x78, 0x5f, 0x3a, 0x1c, 0x2c, 0xa0, 0x12, 0xfe,
        0x88, 0x2c, 0x69, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x7e, 0x6d,
        0x5c, 0x4b, 0x0a, 0x1b, 0x2c, 0x3d, 0x01, 0x03, 0x03, 0x07,
    ];

    /// `[P.]` with "hello", win 502, `<nop,nop,TS val 0x0a1b2c41 ecr 0x7e6d5c4b>`.
    const DATA: [u8; 37] = [
        0x13, 0x88, 0x00, 0x50, 0x5f, 0x3a, 0x1c, 0x2c, 0x12, 0x34, 0x56, 0x79, 0x80, 0x18, 0x01,
        0xf6, 0x13, 0xe5, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x0a, 0x1b, 0x2c, 0x41, 0x7e, 0x6d,
        0x5c, 0x4b, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
    ];

    /// `[F.]` after the data, same timestamps.
    const FIN: [u8; 32] = [
        0x13, 0x88, 0x00, 0x50, 0x5f, 0x3a, 0x1c, 0x31, 0x12, 0x34, 0x56, 0x79, 0x80, 0x11, 0x01,
        0xf6, 0x57, 0xbe, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x0a, 0x1b, 0x2c, 0x41, 0x7e, 0x6d,
        0x5c, 0x4b,
    ];

    /// `[R.]` 10.0.0.2:80 > 10.0.0.1:5001, seq 0 ack 0x0badcafe, win 0, no options:
    /// the answer to a SYN for a closed port (RFC 9293 §3.10.7.1).
    const RST: [u8; 20] = [
        0x00, 0x50, 0x13, 0x89, 0x00, 0x00, 0x00, 0x00, 0x0b, 0xad, 0xca, 0xfe, 0x50, 0x14, 0x00,
        0x00, 0xb1, 0x49, 0x00, 0x00,
    ];

    /// One's complement sum done the slow, obvious way: 32-bit accumulator, fold at the
    /// end, pseudo-header written out field by field. Shares no code with `checksum`.
    fn naive_checksum_ok(src: Ipv4Addr, dst: Ipv4Addr, segment: &[u8]) -> bool {
        let mut words: Vec<u32> = Vec::new();
        let (s, d) = (src.octets(), dst.octets());
        words.push(u32::from(s[0]) << 8 | u32::from(s[1]));
        words.push(u32::from(s[2]) << 8 | u32::from(s[3]));
        words.push(u32::from(d[0]) << 8 | u32::from(d[1]));
        words.push(u32::from(d[2]) << 8 | u32::from(d[3]));
        words.push(6);
        words.push(segment.len() as u32);
        for pair in segment.chunks(2) {
            let hi = u32::from(pair[0]) << 8;
            words.push(hi | pair.get(1).map_or(0, |&b| u32::from(b)));
        }
        let mut sum: u32 = words.iter().sum();
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum == 0xffff
    }

    fn parse(bytes: &[u8], src: Ipv4Addr, dst: Ipv4Addr) -> Result<TcpRepr<'_>, WireError> {
        let packet = TcpPacket::new_checked(bytes)?;
        TcpRepr::parse(&packet, src, dst, ChecksumMode::Verify)
    }

    fn ts(tsval: u32, tsecr: u32) -> Option<TcpTimestamp> {
        Some(TcpTimestamp { tsval, tsecr })
    }

    fn syn_repr() -> TcpRepr<'static> {
        TcpRepr {
            src_port: 5000,
            dst_port: 80,
            seq_number: SeqNumber(0x5f3a_1c2b),
            ack_number: None,
            flags: TcpFlags {
                syn: true,
                ..TcpFlags::default()
            },
            window_len: 64240,
            urgent_pointer: 0,
            options: TcpOptions {
                mss: Some(1460),
                window_scale: Some(7),
                sack_permitted: true,
                timestamp: ts(0x0a1b_2c3d, 0),
                ..TcpOptions::default()
            },
            payload: &[],
        }
    }

    #[test]
    fn fixtures_have_independently_correct_checksums() {
        assert!(naive_checksum_ok(CLIENT, SERVER, &SYN));
        assert!(naive_checksum_ok(SERVER, CLIENT, &SYN_ACK));
        assert!(naive_checksum_ok(CLIENT, SERVER, &DATA));
        assert!(naive_checksum_ok(CLIENT, SERVER, &FIN));
        assert!(naive_checksum_ok(SERVER, CLIENT, &RST));
        // ...and the naive sum does catch a flipped bit, so the line above can fail.
        let mut bad = SYN;
        bad[5] ^= 0x10;
        assert!(!naive_checksum_ok(CLIENT, SERVER, &bad));
    }

    #[test]
    fn linux_syn_view_fields() {
        let p = TcpPacket::new_checked(&SYN[..]).unwrap();
        assert_eq!((p.src_port(), p.dst_port()), (5000, 80));
        assert_eq!(p.seq_number(), SeqNumber(0x5f3a_1c2b));
        assert_eq!(p.header_len(), 40);
        assert!(p.syn() && !p.ack() && !p.fin() && !p.rst() && !p.psh());
        assert!(!p.urg() && !p.ece() && !p.cwr() && !p.ns());
        assert_eq!(p.window_len(), 64240);
        assert_eq!(p.checksum(), 0x7377);
        assert_eq!(p.urgent_at(), 0);
        assert_eq!(p.options(), &SYN[20..40]);
        assert!(p.payload().is_empty());
        assert!(p.verify_checksum(CLIENT, SERVER));
        // The pseudo-header matters: the same bytes between other hosts do not verify.
        // (Swapping src and dst would: the sum is commutative, RFC 1071 §2(B).)
        assert!(!p.verify_checksum(CLIENT, Ipv4Addr::new(10, 0, 0, 3)));
    }

    #[test]
    fn linux_syn_parses_and_emits_byte_for_byte() {
        let repr = parse(&SYN, CLIENT, SERVER).unwrap();
        assert_eq!(repr, syn_repr());
        assert_eq!(repr.header_len(), 40);
        assert_eq!(repr.buffer_len(), 40);
        assert_eq!(emit_segment(&repr, CLIENT, SERVER), SYN);
        assert_eq!(
            repr.to_string(),
            "5000 > 80 [S] seq 1597643819 win 64240 \
             <mss 1460,sackOK,TS val 169552957 ecr 0,nop,wscale 7> len 0"
        );
    }

    #[test]
    fn syn_ack_round_trip() {
        let repr = parse(&SYN_ACK, SERVER, CLIENT).unwrap();
        assert_eq!(repr.ack_number, Some(SeqNumber(0x5f3a_1c2c)));
        assert!(repr.flags.syn && !repr.flags.fin);
        assert_eq!(repr.options.timestamp, ts(0x7e6d_5c4b, 0x0a1b_2c3d));
        assert_eq!(emit_segment(&repr, SERVER, CLIENT), SYN_ACK);
        assert!(repr
            .to_string()
            .starts_with("80 > 5000 [S.] seq 305419896 ack 1597643820 "));
    }

    #[test]
    fn data_segment_round_trip() {
        let repr = parse(&DATA, CLIENT, SERVER).unwrap();
        assert_eq!(repr.payload, b"hello");
        assert!(repr.flags.psh);
        assert_eq!(repr.segment_len(), 5);
        assert_eq!(emit_segment(&repr, CLIENT, SERVER), DATA);
        assert_eq!(
            repr.to_string(),
            "5000 > 80 [P.] seq 1597643820:1597643825 ack 305419897 win 502 \
             <nop,nop,TS val 169552961 ecr 2121096267> len 5"
        );
    }

    #[test]
    fn fin_round_trip() {
        let repr = parse(&FIN, CLIENT, SERVER).unwrap();
        assert!(repr.flags.fin && !repr.flags.psh);
        assert_eq!(repr.segment_len(), 1);
        assert_eq!(emit_segment(&repr, CLIENT, SERVER), FIN);
        assert!(repr
            .to_string()
            .starts_with("5000 > 80 [F.] seq 1597643825 ack"));
    }

    #[test]
    fn rst_round_trip() {
        let repr = parse(&RST, SERVER, CLIENT).unwrap();
        assert!(repr.flags.rst);
        assert_eq!(repr.options, TcpOptions::default());
        assert_eq!(emit_segment(&repr, SERVER, CLIENT), RST);
        assert_eq!(
            repr.to_string(),
            "80 > 5001 [R.] seq 0 ack 195939070 win 0 len 0"
        );
    }

    /// The three lines from the brief, built from Reprs.
    #[test]
    fn display_reads_like_tcpdump() {
        let syn = TcpRepr {
            seq_number: SeqNumber(100),
            options: TcpOptions {
                timestamp: ts(1, 0),
                ..syn_repr().options
            },
            ..syn_repr()
        };
        assert_eq!(
            syn.to_string(),
            "5000 > 80 [S] seq 100 win 64240 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7> len 0"
        );
        let data = TcpRepr {
            seq_number: SeqNumber(101),
            ack_number: Some(SeqNumber(301)),
            flags: TcpFlags {
                psh: true,
                ..TcpFlags::default()
            },
            window_len: 502,
            options: TcpOptions::default(),
            payload: b"hello",
            ..syn_repr()
        };
        assert_eq!(
            data.to_string(),
            "5000 > 80 [P.] seq 101:106 ack 301 win 502 len 5"
        );
        let odd = TcpRepr {
            flags: TcpFlags {
                syn: true,
                fin: true,
                urg: true,
                ece: true,
                cwr: true,
                ..TcpFlags::default()
            },
            urgent_pointer: 7,
            options: TcpOptions::default(),
            ..data
        };
        assert_eq!(
            odd.to_string(),
            "5000 > 80 [FS.UEW] seq 101:106 ack 301 win 502 urg 7 len 5"
        );
        let nothing = TcpRepr {
            flags: TcpFlags::default(),
            ack_number: None,
            ..odd
        };
        assert!(nothing
            .to_string()
            .starts_with("5000 > 80 [none] seq 101:106 win"));
    }

    #[test]
    fn sequence_range_in_display_wraps() {
        let repr = TcpRepr {
            seq_number: SeqNumber(u32::MAX - 1),
            payload: b"abcd",
            flags: TcpFlags::default(),
            options: TcpOptions::default(),
            ..syn_repr()
        };
        assert!(repr.to_string().contains("seq 4294967294:2 "));
    }

    #[test]
    fn truncated_at_every_length() {
        for fixture in [&SYN[..], &SYN_ACK, &DATA, &FIN, &RST] {
            let header_len = TcpPacket::new_checked(fixture).unwrap().header_len();
            for cut in 0..header_len {
                assert_eq!(
                    TcpPacket::new_checked(&fixture[..cut]),
                    Err(WireError::Truncated),
                    "cut at {cut}"
                );
            }
            // Cutting into the payload keeps the header whole: the view is fine, but the
            // checksum no longer covers the same bytes.
            for cut in header_len..fixture.len() {
                let p = TcpPacket::new_checked(&fixture[..cut]).unwrap();
                assert!(!p.verify_checksum(CLIENT, SERVER));
            }
        }
    }

    #[test]
    fn data_offset_below_five_is_rejected() {
        for offset in 0u8..5 {
            let mut bytes = RST;
            bytes[12] = offset << 4;
            assert_eq!(
                TcpPacket::new_checked(&bytes[..]),
                Err(WireError::BadDataOffset {
                    data_offset: offset
                })
            );
        }
    }

    #[test]
    fn data_offset_beyond_the_buffer_is_truncated() {
        // RST is 20 bytes; a data offset of 6..=15 words claims more.
        for offset in 6u8..=15 {
            let mut bytes = RST;
            bytes[12] = offset << 4;
            assert_eq!(
                TcpPacket::new_checked(&bytes[..]),
                Err(WireError::Truncated),
                "offset {offset}"
            );
        }
        // A data offset equal to the buffer is a header with no payload: fine.
        let p = TcpPacket::new_checked(&SYN[..]).unwrap();
        assert_eq!(p.header_len(), SYN.len());
    }

    #[test]
    fn bad_checksum_is_rejected_unless_ignored() {
        for byte in 0..DATA.len() {
            let mut bytes = DATA;
            bytes[byte] ^= 0x01;
            let packet = TcpPacket::new_checked(&bytes[..]).unwrap();
            assert_eq!(
                TcpRepr::parse(&packet, CLIENT, SERVER, ChecksumMode::Verify),
                Err(WireError::BadChecksum),
                "flipped byte {byte}"
            );
            let ignored = TcpRepr::parse(&packet, CLIENT, SERVER, ChecksumMode::Ignore);
            if (20..32).contains(&byte) {
                // A flipped options byte may break the options; never the checksum.
                assert!(
                    !matches!(ignored, Err(WireError::BadChecksum)),
                    "byte {byte}"
                );
            } else {
                assert!(ignored.is_ok(), "byte {byte}: {ignored:?}");
            }
        }
        // Same bytes, another destination address.
        let elsewhere = Ipv4Addr::new(10, 0, 1, 2);
        assert_eq!(parse(&DATA, CLIENT, elsewhere), Err(WireError::BadChecksum));
    }

    #[test]
    fn zero_ports_are_rejected() {
        for (at, name) in [(0, "src"), (2, "dst")] {
            let mut bytes = RST;
            bytes[at..at + 2].copy_from_slice(&[0, 0]);
            let packet = TcpPacket::new_checked(&bytes[..]).unwrap();
            assert_eq!(
                TcpRepr::parse(&packet, SERVER, CLIENT, ChecksumMode::Ignore),
                Err(WireError::ZeroPort),
                "{name} port 0"
            );
        }
    }

    /// Builds a segment around an options area (padded with EOL to 4 bytes), checksum
    /// filled, so only the options can be at fault.
    fn with_options(area: &[u8]) -> Vec<u8> {
        let padded = area.len().div_ceil(4) * 4;
        let mut bytes = vec![0u8; 20 + padded];
        let mut p = TcpPacket::new_unchecked(&mut bytes[..]);
        p.set_src_port(5000);
        p.set_dst_port(80);
        p.set_header_len(20 + padded);
        p.set_syn(true);
        p.options_mut()[..area.len()].copy_from_slice(area);
        p.fill_checksum(CLIENT, SERVER);
        bytes
    }

    #[test]
    fn malformed_options_fail_the_whole_segment() {
        let cases: &[(&[u8], OptionError)] = &[
            (
                &[0x01, 0x01, 0x01, 0x02],
                OptionError::MissingLength { kind: kind::MSS },
            ),
            (
                &[0x01, 0x01, 0x01, 0xfd],
                OptionError::MissingLength { kind: 0xfd },
            ),
            (
                &[0x02, 0x00],
                OptionError::LengthTooShort { kind: 2, len: 0 },
            ),
            (
                &[0xfd, 0x01],
                OptionError::LengthTooShort { kind: 0xfd, len: 1 },
            ),
            (
                &[0x02, 0x08, 0x05, 0xb4],
                OptionError::Overrun {
                    kind: 2,
                    len: 8,
                    left: 4,
                },
            ),
            (
                &[0x02, 0x03, 0x05],
                OptionError::WrongLength { kind: 2, len: 3 },
            ),
            (
                &[0x03, 0x04, 0x07, 0x00],
                OptionError::WrongLength { kind: 3, len: 4 },
            ),
            (
                &[0x04, 0x03, 0x00],
                OptionError::WrongLength { kind: 4, len: 3 },
            ),
            (
                &[0x05, 0x06, 0, 0, 0, 0],
                OptionError::WrongLength { kind: 5, len: 6 },
            ),
            (
                &[0x08, 0x06, 0, 0, 0, 0],
                OptionError::WrongLength { kind: 8, len: 6 },
            ),
        ];
        for &(area, error) in cases {
            let bytes = with_options(area);
            assert_eq!(
                parse(&bytes, CLIENT, SERVER),
                Err(WireError::BadOption(error)),
                "{area:02x?}"
            );
        }
        // The EOL padding of `with_options` itself is harmless.
        assert!(parse(&with_options(&[0x03, 0x03, 0x07]), CLIENT, SERVER).is_ok());
    }

    #[test]
    fn flag_combinations_are_the_state_machines_business() {
        let mut bytes = RST;
        bytes[13] = 0xff; // every flag at once
        bytes[12] |= 0x0f; // reserved bits and NS too
        let mut p = TcpPacket::new_unchecked(&mut bytes[..]);
        p.fill_checksum(SERVER, CLIENT);
        let repr = parse(&bytes, SERVER, CLIENT).unwrap();
        assert_eq!(
            repr.flags,
            TcpFlags {
                syn: true,
                fin: true,
                rst: true,
                psh: true,
                urg: true,
                ece: true,
                cwr: true
            }
        );
        // Reserved bits and NS are ignored on receipt and zero when we send.
        let out = emit_segment(&repr, SERVER, CLIENT);
        assert_eq!(out[12], 0x50);
        assert_eq!(out[13], 0xff);
    }

    #[test]
    fn ack_field_is_ignored_without_the_ack_bit() {
        let mut bytes = RST;
        bytes[13] = 0x04; // RST alone, ack field still 0x0badcafe
        TcpPacket::new_unchecked(&mut bytes[..]).fill_checksum(SERVER, CLIENT);
        let repr = parse(&bytes, SERVER, CLIENT).unwrap();
        assert_eq!(repr.ack_number, None);
        // And we write zero there when we don't ACK.
        assert_eq!(&emit_segment(&repr, SERVER, CLIENT)[8..12], &[0, 0, 0, 0]);
    }

    #[test]
    fn setters_and_getters_agree() {
        let mut buf = [0u8; 24];
        let mut p = TcpPacket::new_unchecked(&mut buf[..]);
        p.set_header_len(24);
        p.set_src_port(0xabcd);
        p.set_dst_port(0x1234);
        p.set_seq_number(SeqNumber(0xdead_beef));
        p.set_ack_number(SeqNumber(0x0102_0304));
        p.set_window_len(0xfffe);
        p.set_urgent_at(0x0bad);
        p.set_ns(true);
        p.set_cwr(true);
        p.set_urg(true);
        p.options_mut().copy_from_slice(&[0x01, 0x01, 0x01, 0x00]);
        assert!(p.check_len().is_ok());
        assert_eq!((p.src_port(), p.dst_port()), (0xabcd, 0x1234));
        assert_eq!(p.seq_number(), SeqNumber(0xdead_beef));
        assert_eq!(p.ack_number(), SeqNumber(0x0102_0304));
        assert_eq!((p.window_len(), p.urgent_at()), (0xfffe, 0x0bad));
        assert!(p.ns() && p.cwr() && p.urg() && !p.ece() && !p.syn());
        assert_eq!(p.options(), &[0x01, 0x01, 0x01, 0x00]);
        assert!(p.payload().is_empty());
        p.clear_flags();
        assert!(!p.ns() && !p.cwr() && !p.urg());
        assert_eq!(p.header_len(), 24, "clearing flags keeps the data offset");
        p.fill_checksum(CLIENT, SERVER);
        assert!(p.verify_checksum(CLIENT, SERVER));
        let bytes = p.into_inner();
        assert!(naive_checksum_ok(CLIENT, SERVER, bytes));
    }

    #[test]
    #[should_panic(expected = "exactly buffer_len")]
    fn emit_into_a_wrong_sized_buffer_is_a_bug() {
        let mut buf = [0u8; 41];
        syn_repr().emit(&mut TcpPacket::new_unchecked(&mut buf[..]), CLIENT, SERVER);
    }

    #[test]
    fn error_messages_name_the_problem() {
        let e = parse(&with_options(&[0x02, 0x03, 0x05]), CLIENT, SERVER).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad option: option kind 2 has wrong length 3"
        );
        assert_eq!(
            WireError::BadDataOffset { data_offset: 3 }.to_string(),
            "data offset 3 is below 5"
        );
    }

    // --- properties ---

    fn sack_blocks() -> impl Strategy<Value = Vec<(u32, u32)>> {
        proptest::collection::vec(any::<(u32, u32)>(), 0..=4)
    }

    prop_compose! {
        fn arb_options()(
            mss in proptest::option::of(any::<u16>()),
            window_scale in proptest::option::of(0u8..=14),
            sack_permitted in any::<bool>(),
            timestamp in proptest::option::of(any::<(u32, u32)>()),
            blocks in sack_blocks(),
        ) -> TcpOptions {
            // Room for SACK, counted here from the layout rules rather than by asking
            // the code under test: MSS 4, TS 12 (sackOK rides along), sackOK alone 4,
            // WS 4; a SACK option takes 4 + 8n.
            let used = mss.map_or(0, |_| 4)
                + if timestamp.is_some() { 12 } else if sack_permitted { 4 } else { 0 }
                + window_scale.map_or(0, |_| 4);
            let fit = (40usize - used).saturating_sub(4) / 8;
            let mut sack = [None; 4];
            for (slot, (l, r)) in sack.iter_mut().zip(blocks.into_iter().take(fit)) {
                *slot = Some((SeqNumber(l), SeqNumber(r)));
            }
            TcpOptions {
                mss,
                window_scale,
                sack_permitted,
                sack_blocks: sack,
                timestamp: timestamp.map(|(tsval, tsecr)| TcpTimestamp { tsval, tsecr }),
            }
        }
    }

    prop_compose! {
        fn arb_flags()(b in any::<[bool; 7]>()) -> TcpFlags {
            TcpFlags { syn: b[0], fin: b[1], rst: b[2], psh: b[3], urg: b[4], ece: b[5], cwr: b[6] }
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            if let Ok(p) = TcpPacket::new_checked(&bytes[..]) {
                let _ = (p.options(), p.payload(), p.verify_checksum(CLIENT, SERVER));
                for mode in [ChecksumMode::Verify, ChecksumMode::Ignore] {
                    if let Ok(repr) = TcpRepr::parse(&p, CLIENT, SERVER, mode) {
                        let _ = repr.to_string();
                        prop_assert!(repr.header_len() <= MAX_HEADER_LEN);
                    }
                }
            }
        }

        /// A valid header with an arbitrary options area: parse never panics, and when it
        /// succeeds, emitting and re-parsing keeps every field.
        #[test]
        fn arbitrary_options_areas(area in proptest::collection::vec(any::<u8>(), 0..=40)) {
            let bytes = with_options(&area);
            if let Ok(repr) = parse(&bytes, CLIENT, SERVER) {
                let _ = repr.to_string();
                let again = emit_segment(&repr, CLIENT, SERVER);
                let reparsed = parse(&again, CLIENT, SERVER).unwrap();
                // Four SACK blocks from a peer fit only without other options; we trim.
                prop_assert_eq!(reparsed.options.mss, repr.options.mss);
                prop_assert_eq!(reparsed.options.timestamp, repr.options.timestamp);
                prop_assert_eq!(reparsed.options.window_scale, repr.options.window_scale);
                prop_assert_eq!(reparsed.options.sack_permitted, repr.options.sack_permitted);
            }
        }

        #[test]
        fn valid_reprs_round_trip(
            src_port in 1u16..,
            dst_port in 1u16..,
            seq in any::<u32>(),
            ack in proptest::option::of(any::<u32>()),
            flags in arb_flags(),
            window_len in any::<u16>(),
            urgent_pointer in any::<u16>(),
            options in arb_options(),
            payload in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let repr = TcpRepr {
                src_port,
                dst_port,
                seq_number: SeqNumber(seq),
                ack_number: ack.map(SeqNumber),
                flags,
                window_len,
                urgent_pointer,
                options,
                payload: &payload,
            };
            let bytes = emit_segment(&repr, CLIENT, SERVER);
            prop_assert_eq!(bytes.len(), repr.buffer_len());
            prop_assert_eq!(repr.header_len() % 4, 0);
            prop_assert!(naive_checksum_ok(CLIENT, SERVER, &bytes));
            prop_assert_eq!(parse(&bytes, CLIENT, SERVER), Ok(repr));
        }
    }
}
