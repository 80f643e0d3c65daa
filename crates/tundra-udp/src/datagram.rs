//! UDP datagrams (RFC 768): the zero-copy wire view [`UdpPacket`] and the parsed
//! datagram [`UdpRepr`].
//!
//! ```text
//!  0      7 8     15 16    23 24    31
//! +--------+--------+--------+--------+
//! |     Source      |   Destination   |
//! |      Port       |      Port       |
//! +--------+--------+--------+--------+
//! |                 |                 |
//! |     Length      |    Checksum     |
//! +--------+--------+--------+--------+
//! |
//! |          data octets ...
//! +---------------- ...
//! ```
//!
//! # The length contract
//! The buffer is the IPv4 payload. [`UdpPacket::new_checked`] (equivalently
//! [`UdpPacket::check_len`]) proves that the 8-byte header is present, that the Length
//! field is at least 8 and that the buffer holds all the bytes it announces. After it
//! succeeds **no accessor can panic**. [`UdpPacket::new_unchecked`] is for buffers
//! Tundra fills itself.
//!
//! Bytes after Length (an IP payload longer than the datagram) are not part of it:
//! [`UdpPacket::payload`] ends at Length and the checksum covers only that much, as
//! Linux does (`__udp4_lib_rcv` trims the buffer to Length).
//!
//! # The checksum
//! RFC 768: the one's complement of the one's complement sum of a pseudo-header
//! (source and destination address, zero, protocol 17, UDP length), the UDP header and
//! the data, padded with a zero byte to a multiple of 16 bits. A received checksum of
//! zero means the sender computed none, and the datagram is accepted (RFC 768: "An all
//! zero transmitted checksum value means that the transmitter generated no checksum";
//! RFC 1122 §4.1.3.4). A computed sum of zero is therefore sent as all ones.

use core::fmt;
use core::net::Ipv4Addr;
use core::ops::Range;

use tundra_ip::checksum;
use tundra_ip::{ChecksumMode, IpProtocol};

use crate::UdpError;

/// The length of the UDP header: source port, destination port, length, checksum.
pub const UDP_HEADER_LEN: usize = 8;

/// The most data one UDP datagram carries over IPv4: 65535 minus a 20-byte IPv4 header
/// and the 8-byte UDP header.
pub const UDP_MAX_PAYLOAD_V4: usize = 65_535 - 20 - UDP_HEADER_LEN;

mod field {
    use core::ops::Range;

    pub const SRC_PORT: Range<usize> = 0..2;
    pub const DST_PORT: Range<usize> = 2..4;
    pub const LENGTH: Range<usize> = 4..6;
    pub const CHECKSUM: Range<usize> = 6..8;
}

/// A read/write view of a UDP datagram in a byte buffer, without copying.
///
/// Use [`UdpPacket::new_checked`] on bytes from the network; see the module
/// documentation for the length contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> UdpPacket<T> {
    /// Wraps a buffer without checking it. Accessors may panic if the buffer is shorter
    /// than the header or than Length: use this only for buffers Tundra fills itself.
    pub const fn new_unchecked(buffer: T) -> Self {
        UdpPacket { buffer }
    }

    /// Wraps a buffer after [`UdpPacket::check_len`] proves that no accessor can panic.
    /// This is the constructor for bytes from the network.
    pub fn new_checked(buffer: T) -> Result<Self, UdpError> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the buffer holds the header and every byte Length announces.
    ///
    /// Errors: [`UdpError::Truncated`] if the buffer is shorter than 8 bytes or than
    /// Length; [`UdpError::BadLength`] if Length is below 8.
    pub fn check_len(&self) -> Result<(), UdpError> {
        let len = self.buffer.as_ref().len();
        if len < UDP_HEADER_LEN {
            return Err(UdpError::Truncated);
        }
        let declared = usize::from(self.len());
        // RFC 768: "Length is the length in octets of this user datagram including this
        // header and the data. (This means the minimum value of the length is eight.)"
        if declared < UDP_HEADER_LEN {
            return Err(UdpError::BadLength);
        }
        // Fewer bytes than Length: cut short on the way (Linux: "short packet").
        if declared > len {
            return Err(UdpError::Truncated);
        }
        Ok(())
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The source port: where a reply goes; zero if the sender expects none (RFC 768).
    pub fn src_port(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::SRC_PORT)
    }

    /// The destination port.
    pub fn dst_port(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::DST_PORT)
    }

    /// Length: header plus data, in bytes (RFC 768).
    pub fn len(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::LENGTH)
    }

    /// Whether Length says the datagram carries no data (Length is 8). Not "the
    /// buffer is empty": a checked view always holds at least the header.
    pub fn is_empty(&self) -> bool {
        usize::from(self.len()) <= UDP_HEADER_LEN
    }

    /// The checksum as found on the wire; zero means none was computed.
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// Whether the checksum verifies for a datagram from `src` to `dst`: it is zero (not
    /// computed, RFC 768), or the sum over the pseudo-header and the datagram (up to
    /// Length), checksum field included, is all ones (RFC 1071 §1).
    pub fn verify_checksum(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        if self.checksum() == 0 {
            return true;
        }
        let len = self.len();
        let bytes = &self.buffer.as_ref()[..usize::from(len)];
        let sum = checksum::combine(&[
            checksum::pseudo_header(src, dst, IpProtocol::Udp, u32::from(len)),
            checksum::data(bytes),
        ]);
        sum == 0xffff
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> UdpPacket<&'a T> {
    /// The data: from the end of the header to Length. The slice borrows from the
    /// underlying buffer, so it outlives this view.
    pub fn payload(&self) -> &'a [u8] {
        let range = UDP_HEADER_LEN..usize::from(self.len());
        &self.buffer.as_ref()[range]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> UdpPacket<T> {
    /// Sets the source port.
    pub fn set_src_port(&mut self, port: u16) {
        write_u16(self.buffer.as_mut(), field::SRC_PORT, port);
    }

    /// Sets the destination port.
    pub fn set_dst_port(&mut self, port: u16) {
        write_u16(self.buffer.as_mut(), field::DST_PORT, port);
    }

    /// Sets Length: header plus data, in bytes.
    pub fn set_len(&mut self, len: u16) {
        write_u16(self.buffer.as_mut(), field::LENGTH, len);
    }

    /// Sets the checksum field to a given value (see [`UdpPacket::fill_checksum`]).
    pub fn set_checksum(&mut self, value: u16) {
        write_u16(self.buffer.as_mut(), field::CHECKSUM, value);
    }

    /// The data, from the end of the header to Length, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let range = UDP_HEADER_LEN..usize::from(self.len());
        &mut self.buffer.as_mut()[range]
    }

    /// Computes the checksum over the pseudo-header and the datagram (up to Length)
    /// and writes it. Call it last, after the ports, Length and data are written.
    pub fn fill_checksum(&mut self, src: Ipv4Addr, dst: Ipv4Addr) {
        self.set_checksum(0);
        let len = self.len();
        let sum = checksum::combine(&[
            checksum::pseudo_header(src, dst, IpProtocol::Udp, u32::from(len)),
            checksum::data(&self.buffer.as_ref()[..usize::from(len)]),
        ]);
        // RFC 768: "If the computed checksum is zero, it is transmitted as all ones
        // (the equivalent in one's complement arithmetic)", because zero on the wire
        // means "no checksum".
        let value = match !sum {
            0x0000 => 0xffff,
            other => other,
        };
        self.set_checksum(value);
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for UdpPacket<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

/// A UDP datagram as the stack sees it: the ports and the data, borrowed from the
/// packet it was parsed from (or from the caller's buffer when sending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpRepr<'a> {
    /// The source port (zero: no reply expected, RFC 768).
    pub src_port: u16,
    /// The destination port.
    pub dst_port: u16,
    /// The data.
    pub payload: &'a [u8],
}

impl<'a> UdpRepr<'a> {
    /// Parses a datagram that travelled from `src` to `dst` (the checksum covers those
    /// addresses through the pseudo-header).
    ///
    /// Checks, in order: the lengths ([`UdpPacket::check_len`]: [`UdpError::Truncated`],
    /// [`UdpError::BadLength`]) and, with [`ChecksumMode::Verify`], the checksum unless
    /// it is zero ([`UdpError::BadChecksum`]). Works on an unchecked view too.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &UdpPacket<&'a T>,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        checksum: ChecksumMode,
    ) -> Result<UdpRepr<'a>, UdpError> {
        packet.check_len()?;
        // RFC 1122 §4.1.3.4: "If a UDP datagram is received with a checksum that is
        // non-zero and invalid, UDP MUST silently discard the datagram."
        if checksum == ChecksumMode::Verify && !packet.verify_checksum(src, dst) {
            return Err(UdpError::BadChecksum);
        }
        Ok(UdpRepr {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            payload: packet.payload(),
        })
    }

    /// Header plus data: the length this Repr emits (and its Length field).
    pub const fn buffer_len(&self) -> usize {
        UDP_HEADER_LEN + self.payload.len()
    }

    /// Writes this datagram into `packet`, checksum included (RFC 1122 §4.1.3.4: an
    /// application MAY turn checksums off, but "the default MUST be to" generate them,
    /// so Tundra always does).
    ///
    /// # Panics
    /// If the buffer is shorter than [`UdpRepr::buffer_len`], or if the data exceeds
    /// 65527 bytes (debug builds): bugs in the caller, who sized the buffer from
    /// `buffer_len()`.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut UdpPacket<T>,
        src: Ipv4Addr,
        dst: Ipv4Addr,
    ) {
        debug_assert!(
            self.buffer_len() <= usize::from(u16::MAX),
            "datagram too long"
        );
        packet.set_src_port(self.src_port);
        packet.set_dst_port(self.dst_port);
        packet.set_len(self.buffer_len() as u16);
        packet.payload_mut().copy_from_slice(self.payload);
        packet.fill_checksum(src, dst);
    }

    /// A [`Display`](fmt::Display) with the addresses, exactly like a tcpdump line
    /// without the `IP` prefix: `10.0.0.1.40000 > 10.0.0.2.7: UDP, length 6`.
    pub fn display_with(&self, src: Ipv4Addr, dst: Ipv4Addr) -> impl fmt::Display + '_ {
        WithAddrs {
            repr: self,
            src,
            dst,
        }
    }
}

impl fmt::Display for UdpRepr<'_> {
    /// One line like tcpdump's, for a datagram whose addresses are printed elsewhere:
    /// `UDP 40000 > 7, length 6`. The length is the data's, as tcpdump prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "UDP {} > {}, length {}",
            self.src_port,
            self.dst_port,
            self.payload.len()
        )
    }
}

struct WithAddrs<'r, 'a> {
    repr: &'r UdpRepr<'a>,
    src: Ipv4Addr,
    dst: Ipv4Addr,
}

impl fmt::Display for WithAddrs<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{} > {}.{}: UDP, length {}",
            self.src,
            self.repr.src_port,
            self.dst,
            self.repr.dst_port,
            self.repr.payload.len()
        )
    }
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

    const KERNEL: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const STACK: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

    /// `printf 'hello\n' | nc -u -p 40000 10.0.0.2 7` on Linux, read from a TUN device
    /// (no checksum offload there): the UDP part of the IPv4 datagram
    /// `4500002258fb40004011cdcd0a0000010a000002`.
    const LINUX_NC_HELLO: [u8; 14] = [
        0x9c, 0x40, 0x00, 0x07, 0x00, 0x0e, 0x0b, 0xac, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0a,
    ];

    /// A Linux socket with `SO_NO_CHECK` from 10.0.0.1:40001 to 10.0.0.2:9, read from a
    /// TUN device: the checksum field is zero, "no checksum" (RFC 768).
    const LINUX_NO_CHECKSUM: [u8; 19] = [
        0x9c, 0x41, 0x00, 0x09, 0x00, 0x13, 0x00, 0x00, 0x6e, 0x6f, 0x20, 0x63, 0x68, 0x65, 0x63,
        0x6b, 0x73, 0x75, 0x6d,
    ];

    #[test]
    fn linux_nc_datagram_parses_and_its_checksum_verifies() {
        let packet = UdpPacket::new_checked(&LINUX_NC_HELLO[..]).unwrap();
        assert_eq!(packet.src_port(), 40000);
        assert_eq!(packet.dst_port(), 7);
        assert_eq!(packet.len(), 14);
        assert_eq!(packet.checksum(), 0x0bac);
        assert!(packet.verify_checksum(KERNEL, STACK));
        let repr = UdpRepr::parse(&packet, KERNEL, STACK, ChecksumMode::Verify).unwrap();
        assert_eq!(repr.payload, b"hello\n");
        assert_eq!(repr.to_string(), "UDP 40000 > 7, length 6");
        assert_eq!(
            repr.display_with(KERNEL, STACK).to_string(),
            "10.0.0.1.40000 > 10.0.0.2.7: UDP, length 6"
        );
    }

    #[test]
    fn emit_reproduces_the_linux_datagram_byte_for_byte() {
        let repr = UdpRepr {
            src_port: 40000,
            dst_port: 7,
            payload: b"hello\n",
        };
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut UdpPacket::new_unchecked(&mut buf[..]), KERNEL, STACK);
        assert_eq!(buf, LINUX_NC_HELLO);
    }

    #[test]
    fn the_pseudo_header_binds_the_checksum_to_the_addresses() {
        // The same bytes between other hosts (or misdelivered) fail the checksum: the
        // reason RFC 768 includes the addresses at all.
        let packet = UdpPacket::new_checked(&LINUX_NC_HELLO[..]).unwrap();
        assert!(!packet.verify_checksum(KERNEL, Ipv4Addr::new(10, 0, 0, 3)));
        assert_eq!(
            UdpRepr::parse(&packet, STACK, KERNEL, ChecksumMode::Verify),
            Ok(UdpRepr::parse(&packet, KERNEL, STACK, ChecksumMode::Verify).unwrap()),
            "swapping source and destination leaves the sum unchanged (it is commutative)"
        );
        assert_eq!(
            UdpRepr::parse(
                &packet,
                KERNEL,
                Ipv4Addr::new(10, 0, 0, 3),
                ChecksumMode::Verify
            ),
            Err(UdpError::BadChecksum)
        );
    }

    #[test]
    fn rfc768_zero_checksum_means_none_and_is_accepted() {
        let packet = UdpPacket::new_checked(&LINUX_NO_CHECKSUM[..]).unwrap();
        assert_eq!(packet.checksum(), 0);
        // Any addresses: there is no checksum to disagree with them.
        assert!(packet.verify_checksum(Ipv4Addr::new(1, 2, 3, 4), STACK));
        let repr = UdpRepr::parse(&packet, KERNEL, STACK, ChecksumMode::Verify).unwrap();
        assert_eq!(repr.payload, b"no checksum");
        assert_eq!(repr.dst_port, 9);
    }

    #[test]
    fn rfc768_a_computed_zero_is_sent_as_all_ones() {
        // Find a payload whose checksum computes to zero: pick the last two data bytes
        // so that the sum of everything else plus them is 0xffff.
        let mut payload = [0u8; 4];
        let partial = UdpRepr {
            src_port: 1,
            dst_port: 2,
            payload: &payload,
        };
        let mut buf = vec![0u8; partial.buffer_len()];
        partial.emit(&mut UdpPacket::new_unchecked(&mut buf[..]), KERNEL, STACK);
        // The field holds !S, S being the sum of everything else; a data word W = !S
        // (same length, so the pseudo-header is unchanged) makes the sum S + !S = 0xffff,
        // whose complement is the zero that must not go on the wire.
        let field = u16::from_be_bytes([buf[6], buf[7]]);
        payload[2..4].copy_from_slice(&field.to_be_bytes());
        let repr = UdpRepr {
            src_port: 1,
            dst_port: 2,
            payload: &payload,
        };
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut UdpPacket::new_unchecked(&mut buf[..]), KERNEL, STACK);
        let packet = UdpPacket::new_checked(&buf[..]).unwrap();
        assert_eq!(packet.checksum(), 0xffff, "0 would mean 'no checksum'");
        assert!(packet.verify_checksum(KERNEL, STACK));
    }

    #[test]
    fn a_flipped_bit_anywhere_fails_the_checksum() {
        for byte in 0..LINUX_NC_HELLO.len() {
            for bit in 0..8 {
                let mut bytes = LINUX_NC_HELLO;
                bytes[byte] ^= 1 << bit;
                let result = UdpPacket::new_checked(&bytes[..])
                    .and_then(|p| UdpRepr::parse(&p, KERNEL, STACK, ChecksumMode::Verify));
                // A flipped Length bit is a length error instead; the checksum field
                // turned to zero would be "no checksum", which one flip cannot reach
                // from 0x0bac.
                assert!(result.is_err(), "byte {byte} bit {bit} went unnoticed");
                if !(4..6).contains(&byte) {
                    assert_eq!(result, Err(UdpError::BadChecksum), "byte {byte} bit {bit}");
                }
            }
        }
    }

    #[test]
    fn ignore_mode_accepts_a_bad_checksum() {
        let mut bytes = LINUX_NC_HELLO;
        bytes[8] = b'j';
        let packet = UdpPacket::new_checked(&bytes[..]).unwrap();
        assert!(UdpRepr::parse(&packet, KERNEL, STACK, ChecksumMode::Verify).is_err());
        let repr = UdpRepr::parse(&packet, KERNEL, STACK, ChecksumMode::Ignore).unwrap();
        assert_eq!(repr.payload, b"jello\n");
    }

    #[test]
    fn shorter_than_a_header_is_truncated() {
        for len in 0..UDP_HEADER_LEN {
            assert_eq!(
                UdpPacket::new_checked(&LINUX_NC_HELLO[..len]),
                Err(UdpError::Truncated),
                "{len} bytes"
            );
        }
    }

    #[test]
    fn length_below_eight_is_a_bad_length() {
        for declared in 0..8u8 {
            let mut bytes = LINUX_NC_HELLO;
            bytes[4..6].copy_from_slice(&[0, declared]);
            assert_eq!(
                UdpPacket::new_checked(&bytes[..]),
                Err(UdpError::BadLength),
                "length {declared}"
            );
        }
    }

    #[test]
    fn length_beyond_the_buffer_is_truncated() {
        // The whole datagram minus its last byte: Length promises one more.
        assert_eq!(
            UdpPacket::new_checked(&LINUX_NC_HELLO[..13]),
            Err(UdpError::Truncated)
        );
        let mut bytes = LINUX_NC_HELLO;
        bytes[4..6].copy_from_slice(&0xffffu16.to_be_bytes());
        assert_eq!(UdpPacket::new_checked(&bytes[..]), Err(UdpError::Truncated));
    }

    #[test]
    fn bytes_after_length_are_not_part_of_the_datagram() {
        // An IP payload longer than the UDP Length (padding): trimmed, checksum still
        // over Length bytes only.
        let mut bytes = LINUX_NC_HELLO.to_vec();
        bytes.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        let packet = UdpPacket::new_checked(&bytes[..]).unwrap();
        let repr = UdpRepr::parse(&packet, KERNEL, STACK, ChecksumMode::Verify).unwrap();
        assert_eq!(repr.payload, b"hello\n");
    }

    #[test]
    fn empty_datagram_round_trips() {
        let repr = UdpRepr {
            src_port: 0,
            dst_port: 53,
            payload: &[],
        };
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut UdpPacket::new_unchecked(&mut buf[..]), KERNEL, STACK);
        let packet = UdpPacket::new_checked(&buf[..]).unwrap();
        assert!(packet.is_empty());
        assert_eq!(
            UdpRepr::parse(&packet, KERNEL, STACK, ChecksumMode::Verify),
            Ok(repr)
        );
        assert_eq!(repr.to_string(), "UDP 0 > 53, length 0");
    }

    #[test]
    fn odd_length_data_is_padded_for_the_checksum_only() {
        let repr = UdpRepr {
            src_port: 5000,
            dst_port: 7,
            payload: b"odd",
        };
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut UdpPacket::new_unchecked(&mut buf[..]), KERNEL, STACK);
        assert_eq!(buf.len(), 11, "no padding byte is sent");
        let packet = UdpPacket::new_checked(&buf[..]).unwrap();
        assert!(packet.verify_checksum(KERNEL, STACK));
    }
}
