//! IPv4 datagrams (RFC 791 §3.1): the zero-copy wire view [`Ipv4Packet`] and the
//! parsed header [`Ipv4Repr`].
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version|  IHL  |    DSCP   |ECN|          Total Length         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Identification        |Flags|      Fragment Offset    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Time to Live |    Protocol   |         Header Checksum       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       Source Address                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Destination Address                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Options (IHL > 5)                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//! (The second byte, "Type of Service" in RFC 791, is DSCP and ECN since RFC 2474 and
//! RFC 3168.)
//!
//! # The length contract
//! [`Ipv4Packet::new_checked`] (equivalently [`Ipv4Packet::check_len`]) proves that the
//! buffer holds the fixed header, that the Internet Header Length is at least 5 words,
//! and that the whole datagram announced by Total Length is present. After it succeeds
//! **no accessor can panic**. [`Ipv4Packet::new_unchecked`] is for buffers Tundra fills
//! itself: there an accessor panics if the buffer is too short, which is a bug in
//! Tundra, never something the network can cause.
//!
//! Bytes after Total Length (Ethernet pads frames to 60 bytes) are not part of the
//! datagram: [`Ipv4Packet::payload`] ends at Total Length.
//!
//! # What is checked where
//! - lengths: [`Ipv4Packet::check_len`];
//! - version and header checksum: [`Ipv4Repr::parse`];
//! - options: never interpreted. They are skipped as an opaque block of
//!   `header_len - 20` bytes (RFC 1122 §3.2.1.8: unknown options MUST be ignored), so a
//!   malformed option cannot make anything fail;
//! - addresses: not judged here. Dropping a datagram whose source is broadcast or
//!   multicast (RFC 1122 §3.2.1.3) or whose destination is not ours is the stack's job,
//!   because only the stack knows its interfaces.
//!
//! Fragments are parsed like any datagram ([`Ipv4Repr::is_fragment`] tells them apart);
//! reassembly (RFC 815, RFC 791 §3.2) is not done here.

use core::fmt;
use core::net::Ipv4Addr;
use core::ops::Range;

use crate::checksum::{self, ChecksumMode};
use crate::{Error, IpProtocol};

/// The length of an IPv4 header without options: 5 words (RFC 791 §3.1). Tundra never
/// emits options, so this is also the length of every header it writes.
pub const IPV4_HEADER_LEN: usize = 20;

mod field {
    use core::ops::Range;

    pub const VER_IHL: usize = 0;
    pub const DSCP_ECN: usize = 1;
    pub const LENGTH: Range<usize> = 2..4;
    pub const IDENT: Range<usize> = 4..6;
    pub const FLG_OFF: Range<usize> = 6..8;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: Range<usize> = 10..12;
    pub const SRC_ADDR: Range<usize> = 12..16;
    pub const DST_ADDR: Range<usize> = 16..20;
}

/// Bit 1 of the flags: Don't Fragment.
const FLAG_DF: u16 = 0x4000;
/// Bit 2 of the flags: More Fragments.
const FLAG_MF: u16 = 0x2000;
/// The 13-bit fragment offset, in units of 8 octets.
const OFFSET_MASK: u16 = 0x1fff;

/// A read/write view of an IPv4 datagram in a byte buffer, without copying.
///
/// Use [`Ipv4Packet::new_checked`] on bytes from the network; see the module
/// documentation for the length contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Wraps a buffer without checking it. Accessors may panic if the buffer is shorter
    /// than its length fields say: use this only for buffers Tundra fills itself.
    pub const fn new_unchecked(buffer: T) -> Self {
        Ipv4Packet { buffer }
    }

    /// Wraps a buffer after [`Ipv4Packet::check_len`] proves that no accessor can
    /// panic. This is the constructor for bytes from the network.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the buffer holds the fixed header and the whole datagram.
    ///
    /// Errors: [`Error::Truncated`] if the buffer is shorter than 20 bytes or than Total
    /// Length; [`Error::BadHeaderLength`] if IHL < 5; [`Error::BadTotalLength`] if Total
    /// Length is smaller than the header.
    pub fn check_len(&self) -> Result<(), Error> {
        let len = self.buffer.as_ref().len();
        if len < IPV4_HEADER_LEN {
            return Err(Error::Truncated);
        }
        let header_len = usize::from(self.header_len());
        // RFC 791 §3.1: "the minimum value for a correct header is 5" (words).
        if header_len < IPV4_HEADER_LEN {
            return Err(Error::BadHeaderLength);
        }
        let total_len = usize::from(self.total_len());
        // RFC 791 §3.1: Total Length is "the length of the datagram ... including
        // internet header and data", so it can't be less than the header.
        if total_len < header_len {
            return Err(Error::BadTotalLength);
        }
        // Fewer bytes than Total Length: the datagram was cut short on the way (Linux
        // `ip_rcv_core` counts it in InTruncatedPkts). This also proves header_len <= len.
        if total_len > len {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// The lenient check used for the datagram quoted inside an ICMP error: the header
    /// must be whole, but the quote holds only its first bytes, so Total Length may
    /// exceed the buffer (RFC 792: "Internet Header + 64 bits of Original Data").
    /// After it succeeds, every header accessor and `options()` are safe; `payload()`
    /// is not.
    pub(crate) fn check_header_len(&self) -> Result<(), Error> {
        let len = self.buffer.as_ref().len();
        if len < IPV4_HEADER_LEN {
            return Err(Error::Truncated);
        }
        let header_len = usize::from(self.header_len());
        if header_len < IPV4_HEADER_LEN {
            return Err(Error::BadHeaderLength);
        }
        if header_len > len {
            return Err(Error::Truncated);
        }
        if usize::from(self.total_len()) < header_len {
            return Err(Error::BadTotalLength);
        }
        Ok(())
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The version field: 4 for IPv4 (RFC 791 §3.1).
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_IHL] >> 4
    }

    /// The header length in bytes (IHL × 4), options included: 20 to 60.
    pub fn header_len(&self) -> u8 {
        (self.buffer.as_ref()[field::VER_IHL] & 0x0f) * 4
    }

    /// The Differentiated Services Code Point, the upper six bits of the old Type of
    /// Service byte (RFC 2474 §3).
    pub fn dscp(&self) -> u8 {
        self.buffer.as_ref()[field::DSCP_ECN] >> 2
    }

    /// The Explicit Congestion Notification codepoint, the lower two bits of the old
    /// Type of Service byte (RFC 3168 §5).
    pub fn ecn(&self) -> u8 {
        self.buffer.as_ref()[field::DSCP_ECN] & 0x03
    }

    /// Total Length: header plus data, in bytes (RFC 791 §3.1).
    pub fn total_len(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::LENGTH)
    }

    /// Identification: groups the fragments of one datagram (RFC 791 §3.1, RFC 6864).
    pub fn ident(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::IDENT)
    }

    /// The Don't Fragment flag (RFC 791 §3.1; set by Linux for path MTU discovery, RFC
    /// 1191).
    pub fn dont_frag(&self) -> bool {
        read_u16(self.buffer.as_ref(), field::FLG_OFF) & FLAG_DF != 0
    }

    /// The More Fragments flag: this is not the last fragment (RFC 791 §3.1).
    pub fn more_frags(&self) -> bool {
        read_u16(self.buffer.as_ref(), field::FLG_OFF) & FLAG_MF != 0
    }

    /// Where this fragment's data starts in the original datagram, **in bytes** (the
    /// field counts units of 8 octets, RFC 791 §3.1).
    pub fn frag_offset(&self) -> u16 {
        (read_u16(self.buffer.as_ref(), field::FLG_OFF) & OFFSET_MASK) * 8
    }

    /// Whether this datagram is a fragment of a larger one: More Fragments is set or
    /// the offset is not zero (RFC 791 §3.2, "Fragmentation and Reassembly").
    pub fn is_fragment(&self) -> bool {
        self.more_frags() || self.frag_offset() != 0
    }

    /// Time to Live: the hop limit (RFC 791 §3.1).
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[field::TTL]
    }

    /// The upper-layer protocol of the data.
    pub fn protocol(&self) -> IpProtocol {
        IpProtocol::from(self.buffer.as_ref()[field::PROTOCOL])
    }

    /// The header checksum as found on the wire.
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// The source address.
    pub fn src_addr(&self) -> Ipv4Addr {
        read_addr(self.buffer.as_ref(), field::SRC_ADDR)
    }

    /// The destination address.
    pub fn dst_addr(&self) -> Ipv4Addr {
        read_addr(self.buffer.as_ref(), field::DST_ADDR)
    }

    /// The raw options, `header_len - 20` bytes, uninterpreted.
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[IPV4_HEADER_LEN..usize::from(self.header_len())]
    }

    /// Whether the header checksum verifies: the one's complement sum of the whole
    /// header, options and checksum field included, is all ones (RFC 791 §3.1, RFC
    /// 1071 §1).
    pub fn verify_checksum(&self) -> bool {
        let header = &self.buffer.as_ref()[..usize::from(self.header_len())];
        checksum::data(header) == 0xffff
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Ipv4Packet<&'a T> {
    /// The data of the datagram: from the end of the header to Total Length. Bytes past
    /// Total Length (link-layer padding) are left out. The slice borrows from the
    /// underlying buffer, so it outlives this view.
    pub fn payload(&self) -> &'a [u8] {
        let range = usize::from(self.header_len())..usize::from(self.total_len());
        &self.buffer.as_ref()[range]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    /// Sets the version field (4 for IPv4).
    pub fn set_version(&mut self, version: u8) {
        let b = &mut self.buffer.as_mut()[field::VER_IHL];
        *b = (*b & 0x0f) | (version << 4);
    }

    /// Sets the header length in bytes; it is stored as `len / 4` words, so `len`
    /// should be a multiple of 4 between 20 and 60.
    pub fn set_header_len(&mut self, len: u8) {
        let b = &mut self.buffer.as_mut()[field::VER_IHL];
        *b = (*b & 0xf0) | ((len / 4) & 0x0f);
    }

    /// Sets the DSCP (six bits, RFC 2474), keeping the ECN bits.
    pub fn set_dscp(&mut self, dscp: u8) {
        let b = &mut self.buffer.as_mut()[field::DSCP_ECN];
        *b = (*b & 0x03) | (dscp << 2);
    }

    /// Sets the ECN codepoint (two bits, RFC 3168), keeping the DSCP.
    pub fn set_ecn(&mut self, ecn: u8) {
        let b = &mut self.buffer.as_mut()[field::DSCP_ECN];
        *b = (*b & 0xfc) | (ecn & 0x03);
    }

    /// Sets Total Length: header plus data, in bytes.
    pub fn set_total_len(&mut self, len: u16) {
        write_u16(self.buffer.as_mut(), field::LENGTH, len);
    }

    /// Sets Identification.
    pub fn set_ident(&mut self, ident: u16) {
        write_u16(self.buffer.as_mut(), field::IDENT, ident);
    }

    /// Clears the three flag bits (the reserved bit included), keeping the offset.
    pub fn clear_flags(&mut self) {
        let raw = read_u16(self.buffer.as_ref(), field::FLG_OFF) & OFFSET_MASK;
        write_u16(self.buffer.as_mut(), field::FLG_OFF, raw);
    }

    /// Sets or clears Don't Fragment.
    pub fn set_dont_frag(&mut self, value: bool) {
        self.set_flag(FLAG_DF, value);
    }

    /// Sets or clears More Fragments.
    pub fn set_more_frags(&mut self, value: bool) {
        self.set_flag(FLAG_MF, value);
    }

    /// Sets the fragment offset, given **in bytes**; it is stored in units of 8
    /// octets, so `offset` should be a multiple of 8 (RFC 791 §3.1).
    pub fn set_frag_offset(&mut self, offset: u16) {
        let flags = read_u16(self.buffer.as_ref(), field::FLG_OFF) & !OFFSET_MASK;
        write_u16(self.buffer.as_mut(), field::FLG_OFF, flags | (offset / 8));
    }

    /// Sets Time to Live.
    pub fn set_ttl(&mut self, ttl: u8) {
        self.buffer.as_mut()[field::TTL] = ttl;
    }

    /// Sets the protocol field.
    pub fn set_protocol(&mut self, protocol: IpProtocol) {
        self.buffer.as_mut()[field::PROTOCOL] = u8::from(protocol);
    }

    /// Sets the checksum field to a given value (see [`Ipv4Packet::fill_checksum`]).
    pub fn set_checksum(&mut self, value: u16) {
        write_u16(self.buffer.as_mut(), field::CHECKSUM, value);
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, addr: Ipv4Addr) {
        self.buffer.as_mut()[field::SRC_ADDR].copy_from_slice(&addr.octets());
    }

    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, addr: Ipv4Addr) {
        self.buffer.as_mut()[field::DST_ADDR].copy_from_slice(&addr.octets());
    }

    /// Computes the header checksum and writes it (RFC 791 §3.1: "the 16 bit one's
    /// complement of the one's complement sum of all 16 bit words in the header. For
    /// purposes of computing the checksum, the value of the checksum field is zero").
    /// Call it last, after every other header field is set.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let header_len = usize::from(self.header_len());
        let sum = checksum::data(&self.buffer.as_ref()[..header_len]);
        self.set_checksum(!sum);
    }

    /// The raw options, mutable.
    pub fn options_mut(&mut self) -> &mut [u8] {
        let header_len = usize::from(self.header_len());
        &mut self.buffer.as_mut()[IPV4_HEADER_LEN..header_len]
    }

    /// The data of the datagram, from the end of the header to Total Length, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let range = usize::from(self.header_len())..usize::from(self.total_len());
        &mut self.buffer.as_mut()[range]
    }

    fn set_flag(&mut self, flag: u16, value: bool) {
        let raw = read_u16(self.buffer.as_ref(), field::FLG_OFF);
        let raw = if value { raw | flag } else { raw & !flag };
        write_u16(self.buffer.as_mut(), field::FLG_OFF, raw);
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Ipv4Packet<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

/// An IPv4 header as the stack sees it: the fields it reads or sets, without options.
///
/// `payload_len` is the length of the data after the header; on emit, Total Length is
/// `20 + payload_len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Repr {
    /// The source address.
    pub src_addr: Ipv4Addr,
    /// The destination address.
    pub dst_addr: Ipv4Addr,
    /// The upper-layer protocol of the data.
    pub protocol: IpProtocol,
    /// The length of the data after the header, in bytes (at most 65515 on emit).
    pub payload_len: usize,
    /// Time to Live.
    pub ttl: u8,
    /// Identification (RFC 6864: only meaningful for fragments, but Linux fills it).
    pub ident: u16,
    /// Don't Fragment.
    pub dont_frag: bool,
    /// More Fragments.
    pub more_frags: bool,
    /// The fragment offset **in bytes**, a multiple of 8.
    pub frag_offset: u16,
    /// The second header byte as a whole: DSCP in the upper six bits (RFC 2474), ECN in
    /// the lower two (RFC 3168).
    pub dscp_ecn: u8,
}

impl Ipv4Repr {
    /// Parses and validates a datagram's header.
    ///
    /// Checks, in order: the fixed header is present ([`Error::Truncated`]), the version
    /// is 4 ([`Error::BadVersion`]), the lengths ([`Ipv4Packet::check_len`]), and, with
    /// [`ChecksumMode::Verify`], the header checksum ([`Error::BadChecksum`]). Options
    /// are skipped. Works on an unchecked view too: it runs the length checks itself.
    pub fn parse<T: AsRef<[u8]>>(
        packet: &Ipv4Packet<T>,
        checksum: ChecksumMode,
    ) -> Result<Ipv4Repr, Error> {
        if packet.buffer.as_ref().len() < IPV4_HEADER_LEN {
            return Err(Error::Truncated);
        }
        // RFC 1122 §3.2.1.1: a datagram whose version number is not 4 MUST be silently
        // discarded. Checked before the lengths so an IPv6 packet is reported as such.
        if packet.version() != 4 {
            return Err(Error::BadVersion);
        }
        packet.check_len()?;
        // RFC 1122 §3.2.1.2: a host MUST verify the header checksum and silently
        // discard a datagram whose checksum is bad.
        if checksum == ChecksumMode::Verify && !packet.verify_checksum() {
            return Err(Error::BadChecksum);
        }
        Ok(Self::from_header(packet))
    }

    /// Reads the header fields of a view whose header is known to be whole
    /// (`check_len` or `check_header_len` passed), taking the payload length from Total
    /// Length.
    pub(crate) fn from_header<T: AsRef<[u8]>>(packet: &Ipv4Packet<T>) -> Ipv4Repr {
        Ipv4Repr {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            protocol: packet.protocol(),
            payload_len: usize::from(packet.total_len()) - usize::from(packet.header_len()),
            ttl: packet.ttl(),
            ident: packet.ident(),
            dont_frag: packet.dont_frag(),
            more_frags: packet.more_frags(),
            frag_offset: packet.frag_offset(),
            dscp_ecn: packet.buffer.as_ref()[field::DSCP_ECN],
        }
    }

    /// The length of the header this Repr emits: always 20, as Tundra sends no options.
    pub const fn buffer_len(&self) -> usize {
        IPV4_HEADER_LEN
    }

    /// Header plus data: the Total Length this Repr emits.
    pub const fn total_len(&self) -> usize {
        IPV4_HEADER_LEN + self.payload_len
    }

    /// Whether this datagram is a fragment: More Fragments is set or the offset is not
    /// zero (RFC 791 §3.2).
    pub const fn is_fragment(&self) -> bool {
        self.more_frags || self.frag_offset != 0
    }

    /// Writes this header into the first 20 bytes of `packet`, checksum included. The
    /// data is the caller's to write, into `packet.payload_mut()`, before or after.
    ///
    /// # Panics
    /// If the buffer is shorter than 20 bytes, or if `payload_len` exceeds 65515 (debug
    /// builds): both are bugs in the caller, who sized the buffer from
    /// [`Ipv4Repr::buffer_len`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Ipv4Packet<T>) {
        debug_assert!(
            self.total_len() <= usize::from(u16::MAX),
            "datagram too long"
        );
        debug_assert!(
            self.frag_offset & 0x7 == 0,
            "fragment offset not a multiple of 8"
        );
        packet.set_version(4);
        packet.set_header_len(IPV4_HEADER_LEN as u8);
        packet.buffer.as_mut()[field::DSCP_ECN] = self.dscp_ecn;
        packet.set_total_len(self.total_len() as u16);
        packet.set_ident(self.ident);
        // RFC 791 §3.1: bit 0 of the flags is "Reserved, must be zero".
        packet.clear_flags();
        packet.set_dont_frag(self.dont_frag);
        packet.set_more_frags(self.more_frags);
        packet.set_frag_offset(self.frag_offset);
        packet.set_ttl(self.ttl);
        packet.set_protocol(self.protocol);
        packet.set_src_addr(self.src_addr);
        packet.set_dst_addr(self.dst_addr);
        packet.fill_checksum();
    }
}

impl fmt::Display for Ipv4Repr {
    /// One line like tcpdump's: `IP 10.0.0.1 > 10.0.0.2: ICMP, ttl 64, id 1234, flags
    /// [DF], length 84`. The TOS byte, flags and fragment offset appear only when set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IP {} > {}: {}",
            self.src_addr, self.dst_addr, self.protocol
        )?;
        if self.dscp_ecn != 0 {
            write!(f, ", tos 0x{:x}", self.dscp_ecn)?;
        }
        write!(f, ", ttl {}, id {}", self.ttl, self.ident)?;
        if self.dont_frag || self.more_frags {
            // tcpdump's spelling: "+" for More Fragments, "DF" for Don't Fragment.
            let mf = if self.more_frags { "+" } else { "" };
            let df = if self.dont_frag { "DF" } else { "" };
            write!(f, ", flags [{mf}{df}]")?;
        }
        if self.frag_offset != 0 {
            write!(f, ", offset {}", self.frag_offset)?;
        }
        write!(f, ", length {}", self.total_len())
    }
}

fn read_u16(buf: &[u8], range: Range<usize>) -> u16 {
    let b = &buf[range];
    u16::from_be_bytes([b[0], b[1]])
}

fn write_u16(buf: &mut [u8], range: Range<usize>, value: u16) {
    buf[range].copy_from_slice(&value.to_be_bytes());
}

fn read_addr(buf: &[u8], range: Range<usize>) -> Ipv4Addr {
    let b = &buf[range];
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ping -c1 127.0.0.1` from Linux, captured on `lo` with tcpdump: IPv4 header
    /// (id 32380, DF, ttl 64, checksum 0xbe2a) and an ICMP echo request with 56 bytes
    /// of data.
    const LINUX_PING: [u8; 84] = [
        0x45, 0x00, 0x00, 0x54, 0x7e, 0x7c, 0x40, 0x00, 0x40, 0x01, 0xbe, 0x2a, 0x7f, 0x00, 0x00,
        0x01, 0x7f, 0x00, 0x00, 0x01, 0x08, 0x00, 0x20, 0xa2, 0x24, 0x04, 0x00, 0x01, 0x69, 0xe8,
        0x08, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x73, 0x32, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
        0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
        0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e,
        0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
    ];

    /// An IGMPv2 report for 224.0.0.251 with the Router Alert option (RFC 2113, as RFC
    /// 2236 §2 requires): IHL 6. Checksum 0xf9db computed outside Tundra.
    const IGMP_WITH_ROUTER_ALERT: [u8; 32] = [
        0x46, 0x00, 0x00, 0x20, 0x00, 0x00, 0x40, 0x00, 0x01, 0x02, 0xf9, 0xdb, //
        0x0a, 0x00, 0x00, 0x01, 0xe0, 0x00, 0x00, 0xfb, 0x94, 0x04, 0x00, 0x00, //
        0x16, 0x00, 0x09, 0x04, 0xe0, 0x00, 0x00, 0xfb,
    ];

    /// IHL 15, the largest header: 40 bytes of options that are malformed (a timestamp
    /// option claiming 255 bytes, then junk), then the 8 data bytes "tundra!!".
    /// Checksum 0x613a computed outside Tundra.
    const IHL15_MALFORMED_OPTIONS: [u8; 68] = [
        0x4f, 0x00, 0x00, 0x44, 0xab, 0xcd, 0x00, 0x00, 0x11, 0x11, 0x61, 0x3a, //
        0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0x02, 0x44, 0xff, 0x05, 0x00, //
        0x07, 0x00, 0x01, 0x01, 0x83, 0x02, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, //
        0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, //
        0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, //
        0x74, 0x75, 0x6e, 0x64, 0x72, 0x61, 0x21, 0x21,
    ];

    fn parse(bytes: &[u8]) -> Result<Ipv4Repr, Error> {
        Ipv4Repr::parse(&Ipv4Packet::new_unchecked(bytes), ChecksumMode::Verify)
    }

    /// Rewrites one header field of the ping, then fixes the checksum so that only the
    /// field under test is wrong.
    fn ping_with(edit: impl FnOnce(&mut Ipv4Packet<&mut [u8]>)) -> [u8; 84] {
        let mut bytes = LINUX_PING;
        let mut packet = Ipv4Packet::new_unchecked(&mut bytes[..]);
        edit(&mut packet);
        packet.set_checksum(0);
        let sum = checksum::data(&packet.as_ref()[..IPV4_HEADER_LEN]);
        packet.set_checksum(!sum);
        bytes
    }

    #[test]
    fn linux_ping_header_fields() {
        let packet = Ipv4Packet::new_checked(&LINUX_PING[..]).unwrap();
        assert_eq!(packet.version(), 4);
        assert_eq!(packet.header_len(), 20);
        assert_eq!((packet.dscp(), packet.ecn()), (0, 0));
        assert_eq!(packet.total_len(), 84);
        assert_eq!(packet.ident(), 32380);
        assert!(packet.dont_frag());
        assert!(!packet.more_frags());
        assert_eq!(packet.frag_offset(), 0);
        assert!(!packet.is_fragment());
        assert_eq!(packet.ttl(), 64);
        assert_eq!(packet.protocol(), IpProtocol::Icmp);
        assert_eq!(packet.checksum(), 0xbe2a);
        assert!(packet.verify_checksum());
        assert_eq!(packet.src_addr(), Ipv4Addr::new(127, 0, 0, 1));
        assert_eq!(packet.dst_addr(), Ipv4Addr::new(127, 0, 0, 1));
        assert_eq!(packet.options(), &[] as &[u8]);
        assert_eq!(packet.payload(), &LINUX_PING[20..]);
    }

    /// Parse -> emit -> the very bytes Linux sent, checksum 0xbe2a included.
    #[test]
    fn linux_ping_round_trips_byte_for_byte() {
        let repr = parse(&LINUX_PING).unwrap();
        assert_eq!(
            repr,
            Ipv4Repr {
                src_addr: Ipv4Addr::new(127, 0, 0, 1),
                dst_addr: Ipv4Addr::new(127, 0, 0, 1),
                protocol: IpProtocol::Icmp,
                payload_len: 64,
                ttl: 64,
                ident: 32380,
                dont_frag: true,
                more_frags: false,
                frag_offset: 0,
                dscp_ecn: 0,
            }
        );
        let mut out = [0u8; 84];
        out[20..].copy_from_slice(&LINUX_PING[20..]);
        repr.emit(&mut Ipv4Packet::new_unchecked(&mut out[..]));
        assert_eq!(out, LINUX_PING);
    }

    /// Emit writes every header bit: a buffer full of ones gives the same header as a
    /// zeroed one (the reserved flag included, RFC 791 §3.1 "must be zero").
    #[test]
    fn emit_overwrites_a_dirty_buffer() {
        let repr = parse(&LINUX_PING).unwrap();
        let mut clean = [0x00u8; 20];
        let mut dirty = [0xffu8; 20];
        repr.emit(&mut Ipv4Packet::new_unchecked(&mut clean[..]));
        repr.emit(&mut Ipv4Packet::new_unchecked(&mut dirty[..]));
        assert_eq!(clean, dirty);
        assert_eq!(clean, LINUX_PING[..20]);
    }

    /// RFC 1122 §3.2.1.8: options are passed over. Router Alert (IHL 6) is skipped, and
    /// the payload starts after it.
    #[test]
    fn header_with_router_alert_option_is_skipped() {
        let packet = Ipv4Packet::new_checked(&IGMP_WITH_ROUTER_ALERT[..]).unwrap();
        assert_eq!(packet.header_len(), 24);
        assert_eq!(packet.options(), &[0x94, 0x04, 0x00, 0x00]);
        assert_eq!(packet.payload(), &IGMP_WITH_ROUTER_ALERT[24..]);
        let repr = Ipv4Repr::parse(&packet, ChecksumMode::Verify).unwrap();
        assert_eq!(repr.protocol, IpProtocol::Unknown(0x02));
        assert_eq!(repr.dst_addr, Ipv4Addr::new(224, 0, 0, 251));
        assert_eq!(repr.payload_len, 8);
        assert_eq!(repr.ttl, 1);
    }

    /// IHL 15 with options that would trip an option parser: nothing looks at them.
    #[test]
    fn malformed_options_in_a_60_byte_header_are_skipped() {
        let packet = Ipv4Packet::new_checked(&IHL15_MALFORMED_OPTIONS[..]).unwrap();
        assert_eq!(packet.header_len(), 60);
        assert_eq!(packet.options().len(), 40);
        assert_eq!(packet.payload(), b"tundra!!");
        let repr = Ipv4Repr::parse(&packet, ChecksumMode::Verify).unwrap();
        assert_eq!(repr.payload_len, 8);
        assert_eq!(repr.ident, 0xabcd);
        // The Repr drops the options; its header is the 20-byte one.
        assert_eq!(repr.buffer_len(), 20);
        assert_eq!(repr.total_len(), 28);
    }

    /// Ethernet pads short frames to 60 bytes: the padding is not part of the datagram.
    #[test]
    fn payload_ends_at_total_length_not_at_the_buffer_end() {
        let mut frame = [0u8; 46];
        frame[..32].copy_from_slice(&IGMP_WITH_ROUTER_ALERT);
        frame[32..].fill(0xee);
        let packet = Ipv4Packet::new_checked(&frame[..]).unwrap();
        assert_eq!(packet.payload(), &IGMP_WITH_ROUTER_ALERT[24..]);
        assert_eq!(parse(&frame).unwrap().payload_len, 8);
    }

    /// A datagram cut short at any length is `Truncated`: below 20 bytes the header is
    /// missing, above it Total Length promises more than arrived.
    #[test]
    fn truncated_at_every_length() {
        for len in 0..LINUX_PING.len() {
            let cut = &LINUX_PING[..len];
            assert_eq!(
                Ipv4Packet::new_checked(cut).err(),
                Some(Error::Truncated),
                "len {len}"
            );
            assert_eq!(parse(cut), Err(Error::Truncated), "len {len}");
        }
        assert!(parse(&LINUX_PING).is_ok());
    }

    /// RFC 791 §3.1: version 4 only. An IPv6 packet is named as such, before its
    /// lengths (read as IPv4) could confuse the report.
    #[test]
    fn version_6_is_bad_version() {
        let v6 = ping_with(|p| p.set_version(6));
        assert_eq!(parse(&v6), Err(Error::BadVersion));
        // The view itself does not judge the version.
        assert!(Ipv4Packet::new_checked(&v6[..]).is_ok());
        // A real IPv6 header start: 0x60, traffic class, flow label.
        let mut ipv6 = [0u8; 40];
        ipv6[0] = 0x60;
        assert_eq!(parse(&ipv6), Err(Error::BadVersion));
    }

    /// RFC 791 §3.1: "the minimum value for a correct header is 5".
    #[test]
    fn ihl_below_5_is_bad_header_length() {
        for words in 0..5u8 {
            let bad = ping_with(|p| p.set_header_len(words * 4));
            assert_eq!(parse(&bad), Err(Error::BadHeaderLength), "IHL {words}");
            assert_eq!(
                Ipv4Packet::new_checked(&bad[..]).err(),
                Some(Error::BadHeaderLength)
            );
        }
    }

    /// A header longer than the buffer: with Total Length inside the buffer the two
    /// length fields contradict each other (BadTotalLength); with Total Length beyond
    /// the buffer the datagram is cut short (Truncated). Either way no read past the
    /// end.
    #[test]
    fn ihl_beyond_the_buffer() {
        let mut bytes = [0u8; 20];
        bytes.copy_from_slice(&LINUX_PING[..20]);
        let mut packet = Ipv4Packet::new_unchecked(&mut bytes[..]);
        packet.set_header_len(24);
        packet.set_total_len(20);
        assert_eq!(
            Ipv4Packet::new_checked(&bytes[..]).err(),
            Some(Error::BadTotalLength)
        );
        let mut packet = Ipv4Packet::new_unchecked(&mut bytes[..]);
        packet.set_header_len(60);
        packet.set_total_len(60);
        assert_eq!(
            Ipv4Packet::new_checked(&bytes[..]).err(),
            Some(Error::Truncated)
        );
    }

    /// RFC 791 §3.1: Total Length counts the header, so it can't be smaller than it.
    #[test]
    fn total_length_below_header_is_bad_total_length() {
        for total in [0, 1, 19] {
            let bad = ping_with(|p| p.set_total_len(total));
            assert_eq!(parse(&bad), Err(Error::BadTotalLength), "total {total}");
        }
        // The 24-byte header of the IGMP report with Total Length 23.
        let mut igmp = IGMP_WITH_ROUTER_ALERT;
        Ipv4Packet::new_unchecked(&mut igmp[..]).set_total_len(23);
        assert_eq!(
            Ipv4Packet::new_checked(&igmp[..]).err(),
            Some(Error::BadTotalLength)
        );
        // Exactly the header: a datagram with no data is fine.
        let empty = ping_with(|p| p.set_total_len(20));
        assert_eq!(parse(&empty).unwrap().payload_len, 0);
    }

    #[test]
    fn total_length_beyond_the_buffer_is_truncated() {
        let long = ping_with(|p| p.set_total_len(85));
        assert_eq!(parse(&long), Err(Error::Truncated));
        let huge = ping_with(|p| p.set_total_len(0xffff));
        assert_eq!(parse(&huge), Err(Error::Truncated));
    }

    /// RFC 1122 §3.2.1.2: a bad header checksum is rejected; any single flipped bit of
    /// the header is caught. `Ignore` lets it through (offloaded captures).
    #[test]
    fn bad_checksum_is_rejected_unless_ignored() {
        let mut checked = 0;
        for bit in 0..(20 * 8) {
            let mut bad = LINUX_PING;
            bad[bit / 8] ^= 0x80 >> (bit % 8);
            let packet = Ipv4Packet::new_unchecked(&bad[..]);
            if packet.version() != 4 || packet.check_len().is_err() {
                continue; // this bit broke a field that is checked first
            }
            assert!(!packet.verify_checksum(), "bit {bit}");
            assert_eq!(
                Ipv4Repr::parse(&packet, ChecksumMode::Verify),
                Err(Error::BadChecksum),
                "bit {bit}"
            );
            assert!(Ipv4Repr::parse(&packet, ChecksumMode::Ignore).is_ok());
            checked += 1;
        }
        // Only version, IHL and the upper bits of Total Length are skipped.
        assert!(checked >= 140, "only {checked} bits reached the checksum");
        // Flipping a data byte does not touch the header checksum.
        let mut data_changed = LINUX_PING;
        data_changed[50] ^= 0xff;
        assert!(parse(&data_changed).is_ok());
    }

    /// Fragment offset is counted in 8-octet units on the wire and in bytes here.
    #[test]
    fn fragments_are_recognised() {
        let first = ping_with(|p| {
            p.set_dont_frag(false);
            p.set_more_frags(true);
        });
        let repr = parse(&first).unwrap();
        assert!(repr.more_frags && repr.is_fragment());
        assert_eq!(repr.frag_offset, 0);

        let last = ping_with(|p| {
            p.set_dont_frag(false);
            p.set_frag_offset(1480);
        });
        let packet = Ipv4Packet::new_checked(&last[..]).unwrap();
        assert_eq!(&last[6..8], &[0x00, 0xb9], "1480 / 8 = 185 = 0xb9");
        assert_eq!(packet.frag_offset(), 1480);
        assert!(packet.is_fragment());
        assert!(!packet.more_frags());
        assert!(parse(&last).unwrap().is_fragment());

        assert!(!parse(&LINUX_PING).unwrap().is_fragment());
    }

    /// The highest fragment offset, 8191 units, is 65528 bytes: fits in a u16.
    #[test]
    fn largest_fragment_offset() {
        let last = ping_with(|p| p.set_frag_offset(65528));
        assert_eq!(&last[6..8], &[0x5f, 0xff], "DF kept, offset all ones");
        assert_eq!(parse(&last).unwrap().frag_offset, 65528);
    }

    /// Each setter changes only its own bits.
    #[test]
    fn setters_keep_neighbouring_bits() {
        let mut bytes = LINUX_PING;
        let mut packet = Ipv4Packet::new_unchecked(&mut bytes[..]);
        packet.set_dscp(0x2e); // Expedited Forwarding (RFC 3246)
        packet.set_ecn(0x02); // ECT(0) (RFC 3168)
        assert_eq!(packet.as_ref()[1], 0xba);
        assert_eq!((packet.dscp(), packet.ecn()), (0x2e, 0x02));
        packet.set_ecn(0x03);
        assert_eq!(packet.dscp(), 0x2e);

        packet.set_frag_offset(8);
        packet.set_more_frags(true);
        assert!(packet.dont_frag() && packet.more_frags());
        packet.set_dont_frag(false);
        assert_eq!((packet.frag_offset(), packet.more_frags()), (8, true));
        packet.clear_flags();
        assert_eq!(&packet.as_ref()[6..8], &[0x00, 0x01]);

        packet.set_header_len(24);
        assert_eq!((packet.version(), packet.header_len()), (4, 24));
        packet.set_version(4);
        assert_eq!(packet.as_ref()[0], 0x46);
    }

    #[test]
    fn fill_checksum_matches_linux() {
        let mut bytes = LINUX_PING;
        let mut packet = Ipv4Packet::new_unchecked(&mut bytes[..]);
        packet.set_checksum(0x1234);
        packet.fill_checksum();
        assert_eq!(packet.checksum(), 0xbe2a);
        // Options are part of the header sum.
        let mut igmp = IGMP_WITH_ROUTER_ALERT;
        let mut packet = Ipv4Packet::new_unchecked(&mut igmp[..]);
        packet.fill_checksum();
        assert_eq!(packet.checksum(), 0xf9db);
    }

    #[test]
    fn payload_mut_writes_between_header_and_total_length() {
        let mut frame = [0u8; 46];
        frame[..32].copy_from_slice(&IGMP_WITH_ROUTER_ALERT);
        let mut packet = Ipv4Packet::new_unchecked(&mut frame[..]);
        assert_eq!(packet.payload_mut().len(), 8);
        packet.payload_mut().fill(0xaa);
        packet.options_mut()[0] = 0x01;
        assert_eq!(frame[20], 0x01);
        assert_eq!(&frame[24..32], &[0xaa; 8]);
        assert_eq!(&frame[32..], &[0u8; 14]);
    }

    /// Display reads like `tcpdump -n`.
    #[test]
    fn display_reads_like_tcpdump() {
        let repr = parse(&LINUX_PING).unwrap();
        assert_eq!(
            repr.to_string(),
            "IP 127.0.0.1 > 127.0.0.1: ICMP, ttl 64, id 32380, flags [DF], length 84"
        );
        let fragment = Ipv4Repr {
            dont_frag: false,
            more_frags: true,
            frag_offset: 1480,
            dscp_ecn: 0xb8,
            protocol: IpProtocol::Udp,
            ..repr
        };
        assert_eq!(
            fragment.to_string(),
            "IP 127.0.0.1 > 127.0.0.1: UDP, tos 0xb8, ttl 64, id 32380, flags [+], \
             offset 1480, length 84"
        );
        let plain = Ipv4Repr {
            dont_frag: false,
            protocol: IpProtocol::Unknown(0xfd),
            ..repr
        };
        assert_eq!(
            plain.to_string(),
            "IP 127.0.0.1 > 127.0.0.1: proto-253, ttl 64, id 32380, length 84"
        );
    }
}
