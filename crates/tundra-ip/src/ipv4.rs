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
        // RFC 1122 §3.2.1.1 (and Linux `ip_rcv_core`): fewer bytes than Total Length
        // means the datagram was cut short. This also proves header_len <= len.
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
        // RFC 791 §3.1: "The Version field indicates the format of the internet header."
        // Checked before the lengths so an IPv6 packet is reported as such.
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
