//! ICMPv4 messages (RFC 792, with the host rules of RFC 1122 §3.2.2): the zero-copy
//! wire view [`Icmpv4Packet`] and the parsed message [`Icmpv4Repr`].
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |     Code      |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   rest of header: echo identifier + sequence number, next-hop |
//! |   MTU (RFC 1191), pointer, or gateway address, per type       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   data: echo data, or the quoted IPv4 header + >= 64 bits     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! # The length contract
//! The ICMP message is the whole buffer (the IPv4 payload). [`Icmpv4Packet::new_checked`]
//! proves the 8-byte header is present; after it succeeds **no accessor can panic**.
//! [`Icmpv4Packet::new_unchecked`] is for buffers Tundra fills itself.
//!
//! # Errors and their quotes
//! An error message (Destination Unreachable, Time Exceeded, Parameter Problem,
//! Redirect, Source Quench) quotes the datagram that caused it: "Internet Header + 64
//! bits of Original Data Datagram" (RFC 792). Routers may quote more (RFC 1812
//! §4.3.2.3), so any quote with at least 64 bits after the header is accepted, and the
//! quoted header's Total Length (which describes the original datagram, not the quote)
//! is kept as [`Ipv4Repr::payload_len`] rather than checked against the quote. The
//! quoted header's checksum is not verified: it is the sender's datagram as a router
//! saw it, and NATs rewrite quoted addresses. Quoted options are skipped.
//!
//! Types Tundra does not model (Timestamp, RFC 1122 §3.2.2.8 MAY; Information Request,
//! obsolete; anything unknown) parse to [`Error::Unrecognized`], which RFC 1122
//! §3.2.2 says to drop silently.

use core::fmt;
use core::net::Ipv4Addr;
use core::ops::Range;

use crate::checksum::{self, ChecksumMode};
use crate::ipv4::{Ipv4Packet, Ipv4Repr, IPV4_HEADER_LEN};
use crate::{Error, IpProtocol};

/// The length of the ICMPv4 header: type, code, checksum and the 4-byte rest of header.
pub const ICMPV4_HEADER_LEN: usize = 8;

/// How much of the original datagram's data an error message must quote: 64 bits
/// (RFC 792).
const QUOTED_DATA_MIN: usize = 8;

mod field {
    use core::ops::Range;

    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: Range<usize> = 2..4;
    pub const REST: Range<usize> = 4..8;
    pub const ECHO_IDENT: Range<usize> = 4..6;
    pub const ECHO_SEQNO: Range<usize> = 6..8;
    pub const POINTER: usize = 4;
    pub const GATEWAY: Range<usize> = 4..8;
    pub const NEXT_HOP_MTU: Range<usize> = 6..8;
}

/// The ICMPv4 message type (RFC 792; IANA "ICMP Type Numbers"). Unknown values are
/// kept, so a message Tundra ignores can still be logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Icmpv4Message {
    /// Echo Reply, type 0.
    EchoReply,
    /// Destination Unreachable, type 3.
    DstUnreachable,
    /// Source Quench, type 4. Deprecated by RFC 6633 (hosts MUST NOT send it, and a
    /// received one is discarded); parsed so it can be counted.
    SourceQuench,
    /// Redirect, type 5.
    Redirect,
    /// Echo Request, type 8.
    EchoRequest,
    /// Time Exceeded, type 11.
    TimeExceeded,
    /// Parameter Problem, type 12.
    ParamProblem,
    /// Timestamp, type 13 (not modelled by [`Icmpv4Repr`]).
    Timestamp,
    /// Timestamp Reply, type 14 (not modelled by [`Icmpv4Repr`]).
    TimestampReply,
    /// Any other type.
    Unknown(u8),
}

impl Icmpv4Message {
    /// Whether this is an ICMP error message (RFC 1122 §3.2.2). An ICMP error MUST NOT
    /// be sent in answer to one of these (RFC 1122 §3.2.2), which is why the stack asks.
    pub const fn is_error(self) -> bool {
        matches!(
            self,
            Icmpv4Message::DstUnreachable
                | Icmpv4Message::SourceQuench
                | Icmpv4Message::Redirect
                | Icmpv4Message::TimeExceeded
                | Icmpv4Message::ParamProblem
        )
    }
}

impl From<u8> for Icmpv4Message {
    fn from(value: u8) -> Self {
        match value {
            0x00 => Icmpv4Message::EchoReply,
            0x03 => Icmpv4Message::DstUnreachable,
            0x04 => Icmpv4Message::SourceQuench,
            0x05 => Icmpv4Message::Redirect,
            0x08 => Icmpv4Message::EchoRequest,
            0x0b => Icmpv4Message::TimeExceeded,
            0x0c => Icmpv4Message::ParamProblem,
            0x0d => Icmpv4Message::Timestamp,
            0x0e => Icmpv4Message::TimestampReply,
            other => Icmpv4Message::Unknown(other),
        }
    }
}

impl From<Icmpv4Message> for u8 {
    fn from(value: Icmpv4Message) -> Self {
        match value {
            Icmpv4Message::EchoReply => 0x00,
            Icmpv4Message::DstUnreachable => 0x03,
            Icmpv4Message::SourceQuench => 0x04,
            Icmpv4Message::Redirect => 0x05,
            Icmpv4Message::EchoRequest => 0x08,
            Icmpv4Message::TimeExceeded => 0x0b,
            Icmpv4Message::ParamProblem => 0x0c,
            Icmpv4Message::Timestamp => 0x0d,
            Icmpv4Message::TimestampReply => 0x0e,
            Icmpv4Message::Unknown(other) => other,
        }
    }
}

impl fmt::Display for Icmpv4Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Icmpv4Message::EchoReply => write!(f, "echo reply"),
            Icmpv4Message::DstUnreachable => write!(f, "destination unreachable"),
            Icmpv4Message::SourceQuench => write!(f, "source quench"),
            Icmpv4Message::Redirect => write!(f, "redirect"),
            Icmpv4Message::EchoRequest => write!(f, "echo request"),
            Icmpv4Message::TimeExceeded => write!(f, "time exceeded"),
            Icmpv4Message::ParamProblem => write!(f, "parameter problem"),
            Icmpv4Message::Timestamp => write!(f, "time stamp request"),
            Icmpv4Message::TimestampReply => write!(f, "time stamp reply"),
            Icmpv4Message::Unknown(n) => write!(f, "type-#{n}"),
        }
    }
}

/// Why a destination is unreachable: the code of a type 3 message (RFC 792, RFC 1122
/// §3.2.2.1, RFC 1812 §5.2.7.1). "Fragmentation needed" carries the next-hop MTU of
/// RFC 1191 §4, which lives in the header's otherwise unused bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Icmpv4DstUnreachable {
    /// Code 0: net unreachable.
    NetUnreachable,
    /// Code 1: host unreachable.
    HostUnreachable,
    /// Code 2: protocol unreachable (what Tundra sends for a protocol it doesn't speak).
    ProtoUnreachable,
    /// Code 3: port unreachable (what Tundra sends for a UDP port nobody listens on).
    PortUnreachable,
    /// Code 4: fragmentation needed and DF set. `next_hop_mtu` is the MTU of the link
    /// that refused the datagram (RFC 1191 §4), or 0 from a router that predates it.
    FragRequired {
        /// The next-hop MTU in bytes; 0 if the router did not say.
        next_hop_mtu: u16,
    },
    /// Code 5: source route failed.
    SrcRouteFailed,
    /// Code 6: destination network unknown (RFC 1122).
    DstNetUnknown,
    /// Code 7: destination host unknown (RFC 1122).
    DstHostUnknown,
    /// Code 8: source host isolated (RFC 1122).
    SrcHostIsolated,
    /// Code 9: communication with the destination network administratively prohibited.
    NetProhibited,
    /// Code 10: communication with the destination host administratively prohibited.
    HostProhibited,
    /// Code 11: network unreachable for the type of service.
    NetUnreachToS,
    /// Code 12: host unreachable for the type of service.
    HostUnreachToS,
    /// Code 13: communication administratively prohibited (RFC 1812).
    CommProhibited,
    /// Code 14: host precedence violation (RFC 1812).
    HostPrecedenceViolation,
    /// Code 15: precedence cutoff in effect (RFC 1812).
    PrecedenceCutoff,
    /// Any other code.
    Unknown(u8),
}

impl Icmpv4DstUnreachable {
    /// Builds the reason from the wire: the code, and the next-hop MTU field (read only
    /// for code 4).
    pub const fn from_wire(code: u8, next_hop_mtu: u16) -> Self {
        match code {
            0x00 => Icmpv4DstUnreachable::NetUnreachable,
            0x01 => Icmpv4DstUnreachable::HostUnreachable,
            0x02 => Icmpv4DstUnreachable::ProtoUnreachable,
            0x03 => Icmpv4DstUnreachable::PortUnreachable,
            0x04 => Icmpv4DstUnreachable::FragRequired { next_hop_mtu },
            0x05 => Icmpv4DstUnreachable::SrcRouteFailed,
            0x06 => Icmpv4DstUnreachable::DstNetUnknown,
            0x07 => Icmpv4DstUnreachable::DstHostUnknown,
            0x08 => Icmpv4DstUnreachable::SrcHostIsolated,
            0x09 => Icmpv4DstUnreachable::NetProhibited,
            0x0a => Icmpv4DstUnreachable::HostProhibited,
            0x0b => Icmpv4DstUnreachable::NetUnreachToS,
            0x0c => Icmpv4DstUnreachable::HostUnreachToS,
            0x0d => Icmpv4DstUnreachable::CommProhibited,
            0x0e => Icmpv4DstUnreachable::HostPrecedenceViolation,
            0x0f => Icmpv4DstUnreachable::PrecedenceCutoff,
            other => Icmpv4DstUnreachable::Unknown(other),
        }
    }

    /// The code byte on the wire.
    pub const fn code(self) -> u8 {
        match self {
            Icmpv4DstUnreachable::NetUnreachable => 0x00,
            Icmpv4DstUnreachable::HostUnreachable => 0x01,
            Icmpv4DstUnreachable::ProtoUnreachable => 0x02,
            Icmpv4DstUnreachable::PortUnreachable => 0x03,
            Icmpv4DstUnreachable::FragRequired { .. } => 0x04,
            Icmpv4DstUnreachable::SrcRouteFailed => 0x05,
            Icmpv4DstUnreachable::DstNetUnknown => 0x06,
            Icmpv4DstUnreachable::DstHostUnknown => 0x07,
            Icmpv4DstUnreachable::SrcHostIsolated => 0x08,
            Icmpv4DstUnreachable::NetProhibited => 0x09,
            Icmpv4DstUnreachable::HostProhibited => 0x0a,
            Icmpv4DstUnreachable::NetUnreachToS => 0x0b,
            Icmpv4DstUnreachable::HostUnreachToS => 0x0c,
            Icmpv4DstUnreachable::CommProhibited => 0x0d,
            Icmpv4DstUnreachable::HostPrecedenceViolation => 0x0e,
            Icmpv4DstUnreachable::PrecedenceCutoff => 0x0f,
            Icmpv4DstUnreachable::Unknown(other) => other,
        }
    }

    /// The next-hop MTU field to write: the MTU for code 4, zero ("unused") otherwise.
    const fn next_hop_mtu(self) -> u16 {
        match self {
            Icmpv4DstUnreachable::FragRequired { next_hop_mtu } => next_hop_mtu,
            _ => 0,
        }
    }
}

impl fmt::Display for Icmpv4DstUnreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Icmpv4DstUnreachable::NetUnreachable => write!(f, "net unreachable"),
            Icmpv4DstUnreachable::HostUnreachable => write!(f, "host unreachable"),
            Icmpv4DstUnreachable::ProtoUnreachable => write!(f, "protocol unreachable"),
            Icmpv4DstUnreachable::PortUnreachable => write!(f, "port unreachable"),
            Icmpv4DstUnreachable::FragRequired { next_hop_mtu: 0 } => write!(f, "need to frag"),
            Icmpv4DstUnreachable::FragRequired { next_hop_mtu } => {
                write!(f, "need to frag (mtu {next_hop_mtu})")
            }
            Icmpv4DstUnreachable::SrcRouteFailed => write!(f, "source route failed"),
            Icmpv4DstUnreachable::DstNetUnknown => write!(f, "net unknown"),
            Icmpv4DstUnreachable::DstHostUnknown => write!(f, "host unknown"),
            Icmpv4DstUnreachable::SrcHostIsolated => write!(f, "source host isolated"),
            Icmpv4DstUnreachable::NetProhibited => write!(f, "net prohibited"),
            Icmpv4DstUnreachable::HostProhibited => write!(f, "host prohibited"),
            Icmpv4DstUnreachable::NetUnreachToS => write!(f, "tos net unreachable"),
            Icmpv4DstUnreachable::HostUnreachToS => write!(f, "tos host unreachable"),
            Icmpv4DstUnreachable::CommProhibited => write!(f, "admin prohibited"),
            Icmpv4DstUnreachable::HostPrecedenceViolation => {
                write!(f, "host precedence violation")
            }
            Icmpv4DstUnreachable::PrecedenceCutoff => write!(f, "precedence cutoff"),
            Icmpv4DstUnreachable::Unknown(code) => write!(f, "code {code}"),
        }
    }
}

/// Why a datagram's time ran out: the code of a type 11 message (RFC 792).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Icmpv4TimeExceeded {
    /// Code 0: time to live exceeded in transit (what `traceroute` counts on).
    TtlExpired,
    /// Code 1: fragment reassembly time exceeded (RFC 1122 §3.3.2).
    FragReassembly,
    /// Any other code.
    Unknown(u8),
}

impl From<u8> for Icmpv4TimeExceeded {
    fn from(value: u8) -> Self {
        match value {
            0x00 => Icmpv4TimeExceeded::TtlExpired,
            0x01 => Icmpv4TimeExceeded::FragReassembly,
            other => Icmpv4TimeExceeded::Unknown(other),
        }
    }
}

impl From<Icmpv4TimeExceeded> for u8 {
    fn from(value: Icmpv4TimeExceeded) -> Self {
        match value {
            Icmpv4TimeExceeded::TtlExpired => 0x00,
            Icmpv4TimeExceeded::FragReassembly => 0x01,
            Icmpv4TimeExceeded::Unknown(other) => other,
        }
    }
}

/// What is wrong with a datagram's parameters: the code of a type 12 message (RFC 792;
/// codes 1 and 2 from the IANA "ICMP Type Numbers" registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Icmpv4ParamProblem {
    /// Code 0: the pointer indicates the octet in error.
    AtPointer,
    /// Code 1: a required option is missing (RFC 1108).
    MissingOption,
    /// Code 2: bad length.
    BadLength,
    /// Any other code.
    Unknown(u8),
}

impl From<u8> for Icmpv4ParamProblem {
    fn from(value: u8) -> Self {
        match value {
            0x00 => Icmpv4ParamProblem::AtPointer,
            0x01 => Icmpv4ParamProblem::MissingOption,
            0x02 => Icmpv4ParamProblem::BadLength,
            other => Icmpv4ParamProblem::Unknown(other),
        }
    }
}

impl From<Icmpv4ParamProblem> for u8 {
    fn from(value: Icmpv4ParamProblem) -> Self {
        match value {
            Icmpv4ParamProblem::AtPointer => 0x00,
            Icmpv4ParamProblem::MissingOption => 0x01,
            Icmpv4ParamProblem::BadLength => 0x02,
            Icmpv4ParamProblem::Unknown(other) => other,
        }
    }
}

/// What a redirect applies to: the code of a type 5 message (RFC 792; RFC 1122
/// §3.2.2.2 says a host SHOULD update its route cache, RFC 1812 says treat codes 2 and 3
/// like 0 and 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Icmpv4Redirect {
    /// Code 0: redirect datagrams for the network.
    Net,
    /// Code 1: redirect datagrams for the host.
    Host,
    /// Code 2: redirect datagrams for the type of service and network.
    TosNet,
    /// Code 3: redirect datagrams for the type of service and host.
    TosHost,
    /// Any other code.
    Unknown(u8),
}

impl From<u8> for Icmpv4Redirect {
    fn from(value: u8) -> Self {
        match value {
            0x00 => Icmpv4Redirect::Net,
            0x01 => Icmpv4Redirect::Host,
            0x02 => Icmpv4Redirect::TosNet,
            0x03 => Icmpv4Redirect::TosHost,
            other => Icmpv4Redirect::Unknown(other),
        }
    }
}

impl From<Icmpv4Redirect> for u8 {
    fn from(value: Icmpv4Redirect) -> Self {
        match value {
            Icmpv4Redirect::Net => 0x00,
            Icmpv4Redirect::Host => 0x01,
            Icmpv4Redirect::TosNet => 0x02,
            Icmpv4Redirect::TosHost => 0x03,
            Icmpv4Redirect::Unknown(other) => other,
        }
    }
}

/// A read/write view of an ICMPv4 message in a byte buffer, without copying. The
/// message is the whole buffer; see the module documentation for the length contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Icmpv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv4Packet<T> {
    /// Wraps a buffer without checking it: for buffers Tundra fills itself.
    pub const fn new_unchecked(buffer: T) -> Self {
        Icmpv4Packet { buffer }
    }

    /// Wraps a buffer after [`Icmpv4Packet::check_len`] proves that no accessor can
    /// panic. This is the constructor for bytes from the network.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the 8-byte header is present ([`Error::Truncated`] otherwise).
    pub fn check_len(&self) -> Result<(), Error> {
        if self.buffer.as_ref().len() < ICMPV4_HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The message type.
    pub fn msg_type(&self) -> Icmpv4Message {
        Icmpv4Message::from(self.buffer.as_ref()[field::TYPE])
    }

    /// The message code, whose meaning depends on the type.
    pub fn msg_code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }

    /// The checksum as found on the wire.
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// The four bytes after the checksum, whose meaning depends on the type.
    pub fn rest_of_header(&self) -> [u8; 4] {
        let b = &self.buffer.as_ref()[field::REST];
        [b[0], b[1], b[2], b[3]]
    }

    /// The identifier of an echo request or reply (RFC 792: "to aid in matching echos
    /// and replies").
    pub fn echo_ident(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ECHO_IDENT)
    }

    /// The sequence number of an echo request or reply.
    pub fn echo_seq_no(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ECHO_SEQNO)
    }

    /// The next-hop MTU of a "fragmentation needed" message (RFC 1191 §4).
    pub fn next_hop_mtu(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::NEXT_HOP_MTU)
    }

    /// The pointer of a parameter problem message: the octet of the quoted header that
    /// is in error (RFC 792).
    pub fn param_problem_pointer(&self) -> u8 {
        self.buffer.as_ref()[field::POINTER]
    }

    /// The gateway address of a redirect message (RFC 792).
    pub fn redirect_gateway(&self) -> Ipv4Addr {
        let b = &self.buffer.as_ref()[field::GATEWAY];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }

    /// Whether the checksum over the whole message verifies (RFC 792: "the 16-bit ones's
    /// complement of the one's complement sum of the ICMP message starting with the ICMP
    /// Type").
    pub fn verify_checksum(&self) -> bool {
        checksum::data(self.buffer.as_ref()) == 0xffff
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Icmpv4Packet<&'a T> {
    /// Everything after the 8-byte header: echo data, or the quoted datagram of an
    /// error. Borrows from the underlying buffer, so it outlives this view.
    pub fn data(&self) -> &'a [u8] {
        &self.buffer.as_ref()[ICMPV4_HEADER_LEN..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv4Packet<T> {
    /// Sets the message type.
    pub fn set_msg_type(&mut self, msg_type: Icmpv4Message) {
        self.buffer.as_mut()[field::TYPE] = u8::from(msg_type);
    }

    /// Sets the message code.
    pub fn set_msg_code(&mut self, code: u8) {
        self.buffer.as_mut()[field::CODE] = code;
    }

    /// Sets the checksum field to a given value (see [`Icmpv4Packet::fill_checksum`]).
    pub fn set_checksum(&mut self, value: u16) {
        write_u16(self.buffer.as_mut(), field::CHECKSUM, value);
    }

    /// Sets the four bytes after the checksum.
    pub fn set_rest_of_header(&mut self, rest: [u8; 4]) {
        self.buffer.as_mut()[field::REST].copy_from_slice(&rest);
    }

    /// Sets the echo identifier.
    pub fn set_echo_ident(&mut self, ident: u16) {
        write_u16(self.buffer.as_mut(), field::ECHO_IDENT, ident);
    }

    /// Sets the echo sequence number.
    pub fn set_echo_seq_no(&mut self, seq_no: u16) {
        write_u16(self.buffer.as_mut(), field::ECHO_SEQNO, seq_no);
    }

    /// Sets the next-hop MTU (RFC 1191 §4).
    pub fn set_next_hop_mtu(&mut self, mtu: u16) {
        write_u16(self.buffer.as_mut(), field::NEXT_HOP_MTU, mtu);
    }

    /// Sets the parameter problem pointer.
    pub fn set_param_problem_pointer(&mut self, pointer: u8) {
        self.buffer.as_mut()[field::POINTER] = pointer;
    }

    /// Sets the redirect gateway address.
    pub fn set_redirect_gateway(&mut self, gateway: Ipv4Addr) {
        self.buffer.as_mut()[field::GATEWAY].copy_from_slice(&gateway.octets());
    }

    /// Everything after the 8-byte header, mutable.
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[ICMPV4_HEADER_LEN..]
    }

    /// Computes the checksum over the whole buffer and writes it (RFC 792: "For
    /// computing the checksum, the checksum field should be zero"). Call it last.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let sum = checksum::data(self.buffer.as_ref());
        self.set_checksum(!sum);
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Icmpv4Packet<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

/// An ICMPv4 message as the stack sees it. Data is borrowed from the packet, so an
/// echo reply carries the request's data byte for byte (RFC 792; RFC 1122 §3.2.2.6:
/// "The data received in the ICMP Echo Request MUST be entirely included in the
/// resulting Echo Reply").
///
/// In the error variants, `header` is the quoted IPv4 header of the datagram that
/// caused the error (its `payload_len` is the original datagram's, from the quoted
/// Total Length) and `data` is what was quoted of its data: at least 64 bits (RFC 792),
/// unless the original datagram had fewer. The stack decides how much to quote when it
/// sends one (RFC 1812 §4.3.2.3: the whole message at most 576 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Icmpv4Repr<'a> {
    /// Echo Request, type 8 (what `ping` sends).
    EchoRequest {
        /// Identifier (Linux `ping` uses its socket's port or process id).
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// The data, to be echoed back unchanged.
        data: &'a [u8],
    },
    /// Echo Reply, type 0.
    EchoReply {
        /// Identifier, copied from the request.
        ident: u16,
        /// Sequence number, copied from the request.
        seq_no: u16,
        /// The data, copied from the request.
        data: &'a [u8],
    },
    /// Destination Unreachable, type 3.
    DstUnreachable {
        /// The code (and, for "fragmentation needed", the next-hop MTU).
        reason: Icmpv4DstUnreachable,
        /// The quoted IPv4 header.
        header: Ipv4Repr,
        /// The quoted data of the original datagram.
        data: &'a [u8],
    },
    /// Time Exceeded, type 11.
    TimeExceeded {
        /// The code.
        reason: Icmpv4TimeExceeded,
        /// The quoted IPv4 header.
        header: Ipv4Repr,
        /// The quoted data of the original datagram.
        data: &'a [u8],
    },
    /// Parameter Problem, type 12.
    ParamProblem {
        /// The code.
        reason: Icmpv4ParamProblem,
        /// The octet of the quoted header in error (meaningful for code 0).
        pointer: u8,
        /// The quoted IPv4 header.
        header: Ipv4Repr,
        /// The quoted data of the original datagram.
        data: &'a [u8],
    },
    /// Redirect, type 5.
    Redirect {
        /// The code.
        reason: Icmpv4Redirect,
        /// The better first hop for the quoted datagram's destination.
        gateway: Ipv4Addr,
        /// The quoted IPv4 header.
        header: Ipv4Repr,
        /// The quoted data of the original datagram.
        data: &'a [u8],
    },
    /// Source Quench, type 4 (deprecated by RFC 6633: parsed so it can be counted and
    /// ignored, never sent by Tundra).
    SourceQuench {
        /// The quoted IPv4 header.
        header: Ipv4Repr,
        /// The quoted data of the original datagram.
        data: &'a [u8],
    },
}

impl<'a> Icmpv4Repr<'a> {
    /// Parses a message, checking its checksum first when `checksum` is
    /// [`ChecksumMode::Verify`] (RFC 1122 §3.2.2: a message with a bad checksum is
    /// discarded).
    ///
    /// Errors: [`Error::Truncated`] (no full header), [`Error::BadChecksum`],
    /// [`Error::Unrecognized`] (a type Tundra does not model, or a code other than 0 on
    /// a type that has only code 0), [`Error::BadQuotedPacket`] (an error message whose
    /// quote is not an IPv4 header plus 64 bits). Works on an unchecked view too.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &Icmpv4Packet<&'a T>,
        checksum: ChecksumMode,
    ) -> Result<Icmpv4Repr<'a>, Error> {
        packet.check_len()?;
        if checksum == ChecksumMode::Verify && !packet.verify_checksum() {
            return Err(Error::BadChecksum);
        }
        let code = packet.msg_code();
        let data = packet.data();
        match (packet.msg_type(), code) {
            // RFC 792, Echo or Echo Reply Message: code 0.
            (Icmpv4Message::EchoRequest, 0) => Ok(Icmpv4Repr::EchoRequest {
                ident: packet.echo_ident(),
                seq_no: packet.echo_seq_no(),
                data,
            }),
            (Icmpv4Message::EchoReply, 0) => Ok(Icmpv4Repr::EchoReply {
                ident: packet.echo_ident(),
                seq_no: packet.echo_seq_no(),
                data,
            }),
            (Icmpv4Message::DstUnreachable, code) => {
                let (header, data) = parse_quoted(data)?;
                let reason = Icmpv4DstUnreachable::from_wire(code, packet.next_hop_mtu());
                Ok(Icmpv4Repr::DstUnreachable {
                    reason,
                    header,
                    data,
                })
            }
            (Icmpv4Message::TimeExceeded, code) => {
                let (header, data) = parse_quoted(data)?;
                Ok(Icmpv4Repr::TimeExceeded {
                    reason: Icmpv4TimeExceeded::from(code),
                    header,
                    data,
                })
            }
            (Icmpv4Message::ParamProblem, code) => {
                let (header, data) = parse_quoted(data)?;
                Ok(Icmpv4Repr::ParamProblem {
                    reason: Icmpv4ParamProblem::from(code),
                    pointer: packet.param_problem_pointer(),
                    header,
                    data,
                })
            }
            (Icmpv4Message::Redirect, code) => {
                let (header, data) = parse_quoted(data)?;
                Ok(Icmpv4Repr::Redirect {
                    reason: Icmpv4Redirect::from(code),
                    gateway: packet.redirect_gateway(),
                    header,
                    data,
                })
            }
            // RFC 792, Source Quench Message: code 0.
            (Icmpv4Message::SourceQuench, 0) => {
                let (header, data) = parse_quoted(data)?;
                Ok(Icmpv4Repr::SourceQuench { header, data })
            }
            // RFC 1122 §3.2.2: "If an ICMP message of unknown type is received, it MUST
            // be silently discarded." Timestamps (§3.2.2.8, MAY) are not implemented.
            _ => Err(Error::Unrecognized),
        }
    }

    /// The message type of this Repr.
    pub const fn msg_type(&self) -> Icmpv4Message {
        match self {
            Icmpv4Repr::EchoRequest { .. } => Icmpv4Message::EchoRequest,
            Icmpv4Repr::EchoReply { .. } => Icmpv4Message::EchoReply,
            Icmpv4Repr::DstUnreachable { .. } => Icmpv4Message::DstUnreachable,
            Icmpv4Repr::TimeExceeded { .. } => Icmpv4Message::TimeExceeded,
            Icmpv4Repr::ParamProblem { .. } => Icmpv4Message::ParamProblem,
            Icmpv4Repr::Redirect { .. } => Icmpv4Message::Redirect,
            Icmpv4Repr::SourceQuench { .. } => Icmpv4Message::SourceQuench,
        }
    }

    /// The length of the message this Repr emits: 8 bytes of header, then the echo data,
    /// or a 20-byte quoted header (options are not re-emitted) and the quoted data.
    pub const fn buffer_len(&self) -> usize {
        match self {
            Icmpv4Repr::EchoRequest { data, .. } | Icmpv4Repr::EchoReply { data, .. } => {
                ICMPV4_HEADER_LEN + data.len()
            }
            Icmpv4Repr::DstUnreachable { data, .. }
            | Icmpv4Repr::TimeExceeded { data, .. }
            | Icmpv4Repr::ParamProblem { data, .. }
            | Icmpv4Repr::Redirect { data, .. }
            | Icmpv4Repr::SourceQuench { data, .. } => {
                ICMPV4_HEADER_LEN + IPV4_HEADER_LEN + data.len()
            }
        }
    }

    /// Writes this message into `packet`, checksum included.
    ///
    /// The checksum covers the whole buffer, so it must be exactly
    /// [`Icmpv4Repr::buffer_len`] bytes long: the `payload_mut()` of an IPv4 packet
    /// emitted with `payload_len = buffer_len()` is.
    ///
    /// # Panics
    /// If the buffer is shorter than `buffer_len()` (or, in debug builds, longer): a bug
    /// in the caller, never something the network can cause.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Icmpv4Packet<T>) {
        debug_assert_eq!(packet.as_ref().len(), self.buffer_len(), "buffer size");
        packet.set_msg_type(self.msg_type());
        match *self {
            Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data,
            }
            | Icmpv4Repr::EchoReply {
                ident,
                seq_no,
                data,
            } => {
                packet.set_msg_code(0);
                packet.set_echo_ident(ident);
                packet.set_echo_seq_no(seq_no);
                packet.data_mut()[..data.len()].copy_from_slice(data);
            }
            Icmpv4Repr::DstUnreachable {
                reason,
                header,
                data,
            } => {
                packet.set_msg_code(reason.code());
                // RFC 792: the 32 bits after the checksum are unused (zero), except
                // for the next-hop MTU of code 4 in the low 16 (RFC 1191 §4).
                packet.set_rest_of_header([0; 4]);
                packet.set_next_hop_mtu(reason.next_hop_mtu());
                emit_quoted(packet, &header, data);
            }
            Icmpv4Repr::TimeExceeded {
                reason,
                header,
                data,
            } => {
                packet.set_msg_code(u8::from(reason));
                packet.set_rest_of_header([0; 4]);
                emit_quoted(packet, &header, data);
            }
            Icmpv4Repr::ParamProblem {
                reason,
                pointer,
                header,
                data,
            } => {
                packet.set_msg_code(u8::from(reason));
                packet.set_rest_of_header([pointer, 0, 0, 0]);
                emit_quoted(packet, &header, data);
            }
            Icmpv4Repr::Redirect {
                reason,
                gateway,
                header,
                data,
            } => {
                packet.set_msg_code(u8::from(reason));
                packet.set_redirect_gateway(gateway);
                emit_quoted(packet, &header, data);
            }
            Icmpv4Repr::SourceQuench { header, data } => {
                packet.set_msg_code(0);
                packet.set_rest_of_header([0; 4]);
                emit_quoted(packet, &header, data);
            }
        }
        packet.fill_checksum();
    }
}

impl fmt::Display for Icmpv4Repr<'_> {
    /// One line like tcpdump's: `ICMP echo request, id 1, seq 2, length 64` or `ICMP
    /// 10.0.0.2 udp port 53 unreachable, length 36`. The length is the ICMP message's.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ICMP ")?;
        match *self {
            Icmpv4Repr::EchoRequest { ident, seq_no, .. } => {
                write!(f, "echo request, id {ident}, seq {seq_no}")?;
            }
            Icmpv4Repr::EchoReply { ident, seq_no, .. } => {
                write!(f, "echo reply, id {ident}, seq {seq_no}")?;
            }
            Icmpv4Repr::DstUnreachable {
                reason,
                header,
                data,
            } => {
                let dst = header.dst_addr;
                match reason {
                    Icmpv4DstUnreachable::NetUnreachable => write!(f, "net {dst} unreachable")?,
                    Icmpv4DstUnreachable::HostUnreachable => {
                        write!(f, "host {dst} unreachable")?;
                    }
                    Icmpv4DstUnreachable::ProtoUnreachable => {
                        let proto = u8::from(header.protocol);
                        write!(f, "{dst} protocol {proto} unreachable")?;
                    }
                    Icmpv4DstUnreachable::PortUnreachable => {
                        // The quoted UDP or TCP header starts with the source then the
                        // destination port; the latter is the one nobody listens on.
                        let name = match header.protocol {
                            IpProtocol::Udp => "udp ",
                            IpProtocol::Tcp => "tcp ",
                            _ => "",
                        };
                        match data.get(2..4) {
                            Some(&[hi, lo]) if !name.is_empty() => {
                                let port = u16::from_be_bytes([hi, lo]);
                                write!(f, "{dst} {name}port {port} unreachable")?;
                            }
                            _ => write!(f, "{dst} port unreachable")?,
                        }
                    }
                    other => write!(f, "{dst} unreachable - {other}")?,
                }
            }
            Icmpv4Repr::TimeExceeded { reason, .. } => match reason {
                Icmpv4TimeExceeded::TtlExpired => write!(f, "time exceeded in-transit")?,
                Icmpv4TimeExceeded::FragReassembly => write!(f, "ip reassembly time exceeded")?,
                Icmpv4TimeExceeded::Unknown(code) => write!(f, "time exceeded, code {code}")?,
            },
            Icmpv4Repr::ParamProblem {
                reason, pointer, ..
            } => match reason {
                Icmpv4ParamProblem::AtPointer => write!(f, "parameter problem - octet {pointer}")?,
                other => write!(f, "parameter problem, code {}", u8::from(other))?,
            },
            Icmpv4Repr::Redirect {
                reason,
                gateway,
                header,
                ..
            } => {
                let what = match reason {
                    Icmpv4Redirect::Net => "net",
                    Icmpv4Redirect::Host => "host",
                    Icmpv4Redirect::TosNet => "tos net",
                    Icmpv4Redirect::TosHost => "tos host",
                    Icmpv4Redirect::Unknown(_) => "code",
                };
                write!(f, "redirect {} to {what} {gateway}", header.dst_addr)?;
            }
            Icmpv4Repr::SourceQuench { .. } => write!(f, "source quench")?,
        }
        write!(f, ", length {}", self.buffer_len())
    }
}

/// Splits the data of an error message into the quoted IPv4 header and the quoted data
/// of the original datagram, leniently (see the module documentation).
fn parse_quoted(data: &[u8]) -> Result<(Ipv4Repr, &[u8]), Error> {
    let quoted = Ipv4Packet::new_unchecked(data);
    // Total Length describes the original datagram, of which only the start is quoted:
    // check only that the header is whole.
    quoted
        .check_header_len()
        .map_err(|_| Error::BadQuotedPacket)?;
    if quoted.version() != 4 {
        return Err(Error::BadQuotedPacket);
    }
    let header = Ipv4Repr::from_header(&quoted);
    let rest = &data[usize::from(quoted.header_len())..];
    // RFC 792: "Internet Header + 64 bits of Original Data Datagram". A datagram with
    // less data than that is quoted whole; more is allowed (RFC 1812 §4.3.2.3).
    if rest.len() < QUOTED_DATA_MIN.min(header.payload_len) {
        return Err(Error::BadQuotedPacket);
    }
    Ok((header, rest))
}

/// Writes the quoted header (without options, with its own checksum) and the quoted
/// data after the 8-byte ICMP header.
fn emit_quoted<T: AsRef<[u8]> + AsMut<[u8]>>(
    packet: &mut Icmpv4Packet<T>,
    header: &Ipv4Repr,
    data: &[u8],
) {
    let quote = packet.data_mut();
    let (ip, rest) = quote.split_at_mut(IPV4_HEADER_LEN);
    header.emit(&mut Ipv4Packet::new_unchecked(ip));
    rest[..data.len()].copy_from_slice(data);
}

fn read_u16(buf: &[u8], range: Range<usize>) -> u16 {
    let b = &buf[range];
    u16::from_be_bytes([b[0], b[1]])
}

fn write_u16(buf: &mut [u8], range: Range<usize>, value: u16) {
    buf[range].copy_from_slice(&value.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST_A: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const HOST_B: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

    fn emit(repr: &Icmpv4Repr<'_>) -> Vec<u8> {
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut Icmpv4Packet::new_unchecked(&mut buf[..]));
        buf
    }

    fn parse(bytes: &[u8]) -> Result<Icmpv4Repr<'_>, Error> {
        Icmpv4Repr::parse(&Icmpv4Packet::new_unchecked(bytes), ChecksumMode::Verify)
    }

    /// Wraps an ICMP message in an IPv4 datagram from `src` to `dst`.
    fn in_ipv4(src: Ipv4Addr, dst: Ipv4Addr, icmp: &Icmpv4Repr<'_>) -> Vec<u8> {
        let ip = Ipv4Repr {
            src_addr: src,
            dst_addr: dst,
            protocol: IpProtocol::Icmp,
            payload_len: icmp.buffer_len(),
            ttl: 64,
            ident: 0x0001,
            dont_frag: false,
            more_frags: false,
            frag_offset: 0,
            dscp_ecn: 0,
        };
        let mut buf = vec![0u8; ip.total_len()];
        let mut packet = Ipv4Packet::new_unchecked(&mut buf[..]);
        ip.emit(&mut packet);
        icmp.emit(&mut Icmpv4Packet::new_unchecked(packet.payload_mut()));
        buf
    }

    /// A DNS query from A:40000 to B:53 with 12 bytes of data: the datagram that a
    /// port unreachable will quote.
    fn udp_datagram() -> (Ipv4Repr, Vec<u8>) {
        let header = Ipv4Repr {
            src_addr: HOST_A,
            dst_addr: HOST_B,
            protocol: IpProtocol::Udp,
            payload_len: 20,
            ttl: 64,
            ident: 0x4242,
            dont_frag: true,
            more_frags: false,
            frag_offset: 0,
            dscp_ecn: 0,
        };
        let mut udp = vec![0x9c, 0x40, 0x00, 0x35, 0x00, 0x14, 0x12, 0x34];
        udp.extend_from_slice(b"query bytes!");
        (header, udp)
    }

    /// The request's data pattern, different for every byte position.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + 3) as u8).collect()
    }

    /// RFC 792 and RFC 1122 §3.2.2.6: the reply carries the request's identifier,
    /// sequence number and data unchanged; sizes 0, `ping`'s default 56, and 1472 (a
    /// full 1500-byte Ethernet MTU).
    #[test]
    fn echo_request_becomes_a_reply_with_the_same_ident_seq_and_data() {
        for size in [0, 56, 1472] {
            let data = pattern(size);
            let request = Icmpv4Repr::EchoRequest {
                ident: 0x1234,
                seq_no: 0xbeef,
                data: &data,
            };
            let wire = in_ipv4(HOST_A, HOST_B, &request);
            assert_eq!(wire.len(), 20 + 8 + size);

            // The receiver's side: IPv4, then ICMP.
            let ip = Ipv4Packet::new_checked(&wire[..]).unwrap();
            let ip_repr = Ipv4Repr::parse(&ip, ChecksumMode::Verify).unwrap();
            let icmp = Icmpv4Packet::new_checked(ip.payload()).unwrap();
            let Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data: echoed,
            } = Icmpv4Repr::parse(&icmp, ChecksumMode::Verify).unwrap()
            else {
                panic!("not an echo request");
            };
            let reply = Icmpv4Repr::EchoReply {
                ident,
                seq_no,
                data: echoed,
            };
            let reply_wire = in_ipv4(ip_repr.dst_addr, ip_repr.src_addr, &reply);

            // The pinger's side.
            let ip = Ipv4Packet::new_checked(&reply_wire[..]).unwrap();
            assert_eq!(ip.src_addr(), HOST_B);
            let icmp = Icmpv4Packet::new_checked(ip.payload()).unwrap();
            assert_eq!(icmp.msg_type(), Icmpv4Message::EchoReply);
            assert!(icmp.verify_checksum());
            assert_eq!(
                Icmpv4Repr::parse(&icmp, ChecksumMode::Verify),
                Ok(Icmpv4Repr::EchoReply {
                    ident: 0x1234,
                    seq_no: 0xbeef,
                    data: &data,
                }),
                "size {size}"
            );
        }
    }

    #[test]
    fn echo_accessors_read_the_header() {
        let data = pattern(3);
        let wire = emit(&Icmpv4Repr::EchoRequest {
            ident: 0xabcd,
            seq_no: 0x0102,
            data: &data,
        });
        assert_eq!(&wire[..2], &[0x08, 0x00]);
        assert_eq!(&wire[4..8], &[0xab, 0xcd, 0x01, 0x02]);
        let packet = Icmpv4Packet::new_checked(&wire[..]).unwrap();
        assert_eq!(packet.echo_ident(), 0xabcd);
        assert_eq!(packet.echo_seq_no(), 0x0102);
        assert_eq!(packet.rest_of_header(), [0xab, 0xcd, 0x01, 0x02]);
        assert_eq!(packet.data(), &data[..]);
        // An odd length is summed with a zero pad byte (RFC 1071 §4.1).
        assert!(packet.verify_checksum());
    }

    #[test]
    fn shorter_than_the_header_is_truncated() {
        let wire = emit(&Icmpv4Repr::EchoRequest {
            ident: 1,
            seq_no: 1,
            data: &[],
        });
        for len in 0..ICMPV4_HEADER_LEN {
            assert_eq!(parse(&wire[..len]), Err(Error::Truncated), "len {len}");
            assert_eq!(
                Icmpv4Packet::new_checked(&wire[..len]).err(),
                Some(Error::Truncated)
            );
        }
        assert!(parse(&wire).is_ok());
    }

    /// RFC 792: the checksum covers the whole message, data included.
    #[test]
    fn bad_checksum_is_rejected_unless_ignored() {
        let data = pattern(56);
        let mut wire = emit(&Icmpv4Repr::EchoRequest {
            ident: 7,
            seq_no: 9,
            data: &data,
        });
        wire[40] ^= 0x01;
        assert_eq!(parse(&wire), Err(Error::BadChecksum));
        let packet = Icmpv4Packet::new_checked(&wire[..]).unwrap();
        let repr = Icmpv4Repr::parse(&packet, ChecksumMode::Ignore).unwrap();
        assert!(matches!(repr, Icmpv4Repr::EchoRequest { ident: 7, .. }));
    }

    /// RFC 792: echo messages have code 0; anything else is not modelled.
    #[test]
    fn echo_with_nonzero_code_is_unrecognized() {
        let mut wire = emit(&Icmpv4Repr::EchoRequest {
            ident: 1,
            seq_no: 2,
            data: b"x",
        });
        let mut packet = Icmpv4Packet::new_unchecked(&mut wire[..]);
        packet.set_msg_code(1);
        packet.fill_checksum();
        assert_eq!(parse(&wire), Err(Error::Unrecognized));
    }

    /// RFC 1122 §3.2.2: unknown types are dropped; Timestamp is not implemented.
    #[test]
    fn unknown_and_timestamp_types_are_unrecognized() {
        for msg_type in [0x0d, 0x0e, 0x0f, 0x09, 0x2a, 0xff] {
            let mut wire = vec![msg_type, 0x00, 0x00, 0x00, 0, 0, 0, 0];
            wire.extend_from_slice(&[0u8; 12]);
            Icmpv4Packet::new_unchecked(&mut wire[..]).fill_checksum();
            assert_eq!(parse(&wire), Err(Error::Unrecognized), "type {msg_type}");
        }
    }

    /// What Tundra sends for a UDP port nobody listens on (RFC 1122 §3.2.2.1): the
    /// quoted header and the first 64 bits of the datagram, which hold the UDP ports.
    #[test]
    fn port_unreachable_quotes_header_and_64_bits() {
        let (header, udp) = udp_datagram();
        let repr = Icmpv4Repr::DstUnreachable {
            reason: Icmpv4DstUnreachable::PortUnreachable,
            header,
            data: &udp[..8],
        };
        assert_eq!(repr.buffer_len(), 8 + 20 + 8);
        let wire = emit(&repr);
        assert_eq!(&wire[..2], &[0x03, 0x03]);
        assert_eq!(&wire[4..8], &[0; 4], "unused");
        // The quote is a valid IPv4 header with the original Total Length.
        let quoted = Ipv4Packet::new_unchecked(&wire[8..28]);
        assert_eq!(quoted.total_len(), 40);
        assert!(quoted.verify_checksum());
        assert_eq!(parse(&wire), Ok(repr));
        assert_eq!(
            repr.to_string(),
            "ICMP 10.0.0.2 udp port 53 unreachable, length 36"
        );
    }

    /// RFC 1191 §4: "fragmentation needed" carries the next-hop MTU in the low 16 bits
    /// of the otherwise unused word.
    #[test]
    fn frag_required_carries_the_next_hop_mtu() {
        let (header, udp) = udp_datagram();
        let repr = Icmpv4Repr::DstUnreachable {
            reason: Icmpv4DstUnreachable::FragRequired { next_hop_mtu: 1400 },
            header,
            data: &udp[..8],
        };
        let wire = emit(&repr);
        assert_eq!(&wire[..2], &[0x03, 0x04]);
        assert_eq!(&wire[4..8], &[0x00, 0x00, 0x05, 0x78]);
        let packet = Icmpv4Packet::new_checked(&wire[..]).unwrap();
        assert_eq!(packet.next_hop_mtu(), 1400);
        assert_eq!(parse(&wire), Ok(repr));
        assert_eq!(
            repr.to_string(),
            "ICMP 10.0.0.2 unreachable - need to frag (mtu 1400), length 36"
        );
    }

    /// RFC 1812 §4.3.2.3: routers quote as much as fits in 576 bytes. More than 64 bits
    /// is accepted and kept whole.
    #[test]
    fn a_longer_quote_is_accepted() {
        let (header, udp) = udp_datagram();
        let repr = Icmpv4Repr::TimeExceeded {
            reason: Icmpv4TimeExceeded::TtlExpired,
            header,
            data: &udp,
        };
        let wire = emit(&repr);
        let Ok(Icmpv4Repr::TimeExceeded {
            data, header: h, ..
        }) = parse(&wire)
        else {
            panic!("not parsed");
        };
        assert_eq!(data, &udp[..]);
        assert_eq!(h, header);
        assert_eq!(repr.to_string(), "ICMP time exceeded in-transit, length 48");
    }

    /// RFC 792: "Internet Header + 64 bits of Original Data Datagram". Fewer is
    /// malformed, unless the original datagram had fewer to give.
    #[test]
    fn a_quote_shorter_than_64_bits_is_rejected() {
        let (header, udp) = udp_datagram();
        for quoted in 0..8 {
            let wire = emit(&Icmpv4Repr::DstUnreachable {
                reason: Icmpv4DstUnreachable::PortUnreachable,
                header,
                data: &udp[..quoted],
            });
            assert_eq!(parse(&wire), Err(Error::BadQuotedPacket), "{quoted} bytes");
        }
        // A datagram with 4 bytes of data, quoted whole.
        let tiny = Ipv4Repr {
            payload_len: 4,
            protocol: IpProtocol::Unknown(0xfd),
            ..header
        };
        let repr = Icmpv4Repr::DstUnreachable {
            reason: Icmpv4DstUnreachable::ProtoUnreachable,
            header: tiny,
            data: &udp[..4],
        };
        let wire = emit(&repr);
        assert_eq!(parse(&wire), Ok(repr));
        assert_eq!(
            repr.to_string(),
            "ICMP 10.0.0.2 protocol 253 unreachable, length 32"
        );
    }

    /// Builds a Destination Unreachable (host) around arbitrary quoted bytes.
    fn unreachable_quoting(quote: &[u8]) -> Vec<u8> {
        let mut wire = vec![0x03, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        wire.extend_from_slice(quote);
        Icmpv4Packet::new_unchecked(&mut wire[..]).fill_checksum();
        wire
    }

    fn quoted_udp() -> Vec<u8> {
        let (header, udp) = udp_datagram();
        let mut quote = vec![0u8; 20];
        header.emit(&mut Ipv4Packet::new_unchecked(&mut quote[..]));
        quote.extend_from_slice(&udp[..8]);
        quote
    }

    #[test]
    fn a_malformed_quoted_header_is_rejected() {
        let good = quoted_udp();
        assert!(parse(&unreachable_quoting(&good)).is_ok());

        let mut version6 = good.clone();
        version6[0] = 0x65;
        let mut ihl4 = good.clone();
        ihl4[0] = 0x44;
        let mut ihl15 = good.clone();
        ihl15[0] = 0x4f; // a 60-byte header in a 28-byte quote
        let mut total_below_header = good.clone();
        total_below_header[2..4].copy_from_slice(&[0x00, 0x13]);
        let short = good[..19].to_vec();

        for (what, quote) in [
            ("version 6", version6),
            ("IHL 4", ihl4),
            ("IHL beyond the quote", ihl15),
            ("total length 19", total_below_header),
            ("19-byte header", short),
        ] {
            assert_eq!(
                parse(&unreachable_quoting(&quote)),
                Err(Error::BadQuotedPacket),
                "{what}"
            );
        }
    }

    /// The quoted header is the sender's as a router saw it; NATs rewrite it, so its
    /// checksum is not held against the message (the outer checksum still is).
    #[test]
    fn the_quoted_header_checksum_is_not_verified() {
        let mut quote = quoted_udp();
        quote[10] ^= 0xff;
        let Ok(Icmpv4Repr::DstUnreachable { reason, header, .. }) =
            parse(&unreachable_quoting(&quote))
        else {
            panic!("rejected");
        };
        assert_eq!(reason, Icmpv4DstUnreachable::HostUnreachable);
        assert_eq!(header.dst_addr, HOST_B);
    }

    /// Quoted options are skipped: the quoted data starts after them.
    #[test]
    fn quoted_options_are_skipped() {
        let (header, udp) = udp_datagram();
        let mut quote = vec![0u8; 24];
        header.emit(&mut Ipv4Packet::new_unchecked(&mut quote[..]));
        let mut quoted = Ipv4Packet::new_unchecked(&mut quote[..]);
        quoted.set_header_len(24);
        quoted.set_total_len(44);
        quoted
            .options_mut()
            .copy_from_slice(&[0x94, 0x04, 0x00, 0x00]);
        quote.extend_from_slice(&udp[..8]);
        let wire = unreachable_quoting(&quote);
        let Ok(Icmpv4Repr::DstUnreachable {
            header: h, data, ..
        }) = parse(&wire)
        else {
            panic!("rejected");
        };
        assert_eq!(data, &udp[..8]);
        assert_eq!(h.payload_len, 20, "Total Length minus the 24-byte header");
        assert_eq!(h.src_addr, HOST_A);
    }

    #[test]
    fn time_exceeded_in_reassembly() {
        let (header, udp) = udp_datagram();
        let repr = Icmpv4Repr::TimeExceeded {
            reason: Icmpv4TimeExceeded::FragReassembly,
            header: Ipv4Repr {
                more_frags: true,
                ..header
            },
            data: &udp[..8],
        };
        let wire = emit(&repr);
        assert_eq!(&wire[..2], &[0x0b, 0x01]);
        assert_eq!(parse(&wire), Ok(repr));
        assert_eq!(
            repr.to_string(),
            "ICMP ip reassembly time exceeded, length 36"
        );
    }

    /// RFC 792: the pointer names the octet in error, here the quoted TTL (octet 8).
    #[test]
    fn parameter_problem_points_at_the_octet() {
        let (header, udp) = udp_datagram();
        let repr = Icmpv4Repr::ParamProblem {
            reason: Icmpv4ParamProblem::AtPointer,
            pointer: 8,
            header,
            data: &udp[..8],
        };
        let wire = emit(&repr);
        assert_eq!(&wire[..2], &[0x0c, 0x00]);
        assert_eq!(&wire[4..8], &[0x08, 0x00, 0x00, 0x00]);
        assert_eq!(
            Icmpv4Packet::new_unchecked(&wire[..]).param_problem_pointer(),
            8
        );
        assert_eq!(parse(&wire), Ok(repr));
        assert_eq!(
            repr.to_string(),
            "ICMP parameter problem - octet 8, length 36"
        );
    }

    #[test]
    fn redirect_names_the_gateway() {
        let (header, udp) = udp_datagram();
        let gateway = Ipv4Addr::new(10, 0, 0, 254);
        let repr = Icmpv4Repr::Redirect {
            reason: Icmpv4Redirect::Host,
            gateway,
            header,
            data: &udp[..8],
        };
        let wire = emit(&repr);
        assert_eq!(&wire[..2], &[0x05, 0x01]);
        assert_eq!(&wire[4..8], &[10, 0, 0, 254]);
        assert_eq!(
            Icmpv4Packet::new_unchecked(&wire[..]).redirect_gateway(),
            gateway
        );
        assert_eq!(parse(&wire), Ok(repr));
        assert_eq!(
            repr.to_string(),
            "ICMP redirect 10.0.0.2 to host 10.0.0.254, length 36"
        );
    }

    /// RFC 6633: Source Quench is parsed (to be counted and ignored).
    #[test]
    fn source_quench_is_parsed() {
        let mut wire = vec![0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        wire.extend_from_slice(&quoted_udp());
        Icmpv4Packet::new_unchecked(&mut wire[..]).fill_checksum();
        let repr = parse(&wire).unwrap();
        assert!(matches!(repr, Icmpv4Repr::SourceQuench { .. }));
        assert!(repr.msg_type().is_error());
        assert_eq!(repr.to_string(), "ICMP source quench, length 36");
        assert_eq!(emit(&repr), wire);
    }

    /// RFC 1122 §3.2.2: these five types are the error messages.
    #[test]
    fn error_types() {
        let errors: Vec<u8> = (0..=255u8)
            .filter(|&t| Icmpv4Message::from(t).is_error())
            .collect();
        assert_eq!(errors, [0x03, 0x04, 0x05, 0x0b, 0x0c]);
    }

    #[test]
    fn type_and_code_numbers_round_trip() {
        for n in 0..=255u8 {
            assert_eq!(u8::from(Icmpv4Message::from(n)), n);
            assert_eq!(u8::from(Icmpv4TimeExceeded::from(n)), n);
            assert_eq!(u8::from(Icmpv4ParamProblem::from(n)), n);
            assert_eq!(u8::from(Icmpv4Redirect::from(n)), n);
            assert_eq!(Icmpv4DstUnreachable::from_wire(n, 0).code(), n);
        }
        assert_eq!(Icmpv4Message::from(8), Icmpv4Message::EchoRequest);
        assert_eq!(Icmpv4Message::from(0x2a), Icmpv4Message::Unknown(0x2a));
        assert_eq!(
            Icmpv4DstUnreachable::from_wire(3, 1400),
            Icmpv4DstUnreachable::PortUnreachable,
            "the MTU field is only read for code 4"
        );
    }

    #[test]
    fn display_of_other_unreachable_codes() {
        let (header, udp) = udp_datagram();
        let show = |reason| {
            Icmpv4Repr::DstUnreachable {
                reason,
                header,
                data: &udp[..8],
            }
            .to_string()
        };
        assert_eq!(
            show(Icmpv4DstUnreachable::NetUnreachable),
            "ICMP net 10.0.0.2 unreachable, length 36"
        );
        assert_eq!(
            show(Icmpv4DstUnreachable::HostUnreachable),
            "ICMP host 10.0.0.2 unreachable, length 36"
        );
        assert_eq!(
            show(Icmpv4DstUnreachable::CommProhibited),
            "ICMP 10.0.0.2 unreachable - admin prohibited, length 36"
        );
        assert_eq!(
            show(Icmpv4DstUnreachable::Unknown(0x20)),
            "ICMP 10.0.0.2 unreachable - code 32, length 36"
        );
    }
}
