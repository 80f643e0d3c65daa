//! Ethernet II frames (RFC 894, IEEE 802.3 clause 3): MAC addresses, EtherTypes, the
//! zero-copy [`Frame`] view and the parsed header [`EthernetRepr`].
//!
//! ```text
//!  0                   6                   12      14
//! +-------------------+-------------------+-------+---------------------------+
//! | destination MAC   | source MAC        | type  | payload (46..1500 bytes)  |
//! +-------------------+-------------------+-------+---------------------------+
//! ```
//!
//! Contract: [`Frame::new_checked`] on untrusted bytes guarantees that no accessor can
//! panic; [`Frame::new_unchecked`] is for buffers we build. [`EthernetRepr::parse`]
//! checks the length itself and accepts only Ethernet II: 802.3 length-field frames
//! and VLAN-tagged frames get their own [`EthernetError`] variants so that the stack
//! can count and drop them.

use core::fmt;
use core::net::Ipv4Addr;
use core::str::FromStr;

use crate::{AddressParseError, EthernetError};

/// The length of an Ethernet II header: two addresses and the EtherType.
pub const HEADER_LEN: usize = 14;

/// The smallest Ethernet frame on the wire, without the 4-byte FCS (IEEE 802.3
/// §3.2.8, minFrameSize 64 bytes including FCS). A TAP device neither needs nor adds
/// this padding, but a driver for real hardware would pad up to it.
pub const MIN_FRAME_LEN: usize = 60;

/// The largest Ethernet II payload in a standard (non-jumbo) frame (RFC 894).
pub const MAX_PAYLOAD_LEN: usize = 1500;

mod field {
    use core::ops::Range;

    pub const DST: Range<usize> = 0..6;
    pub const SRC: Range<usize> = 6..12;
    pub const ETHERTYPE: Range<usize> = 12..14;
    pub const PAYLOAD: usize = 14;
}

/// A 48-bit IEEE 802 MAC address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EthernetAddress(pub [u8; 6]);

impl EthernetAddress {
    /// `ff:ff:ff:ff:ff:ff`: every station on the link.
    pub const BROADCAST: EthernetAddress = EthernetAddress([0xff; 6]);

    /// `00:00:00:00:00:00`: no address. ARP requests carry it as the target hardware
    /// address (RFC 5227 §2.1.1: "should be set to all zeroes").
    pub const UNSPECIFIED: EthernetAddress = EthernetAddress([0x00; 6]);

    /// The address in `bytes`, or `None` unless `bytes` is exactly 6 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Option<EthernetAddress> {
        <[u8; 6]>::try_from(bytes).ok().map(EthernetAddress)
    }

    /// The six octets, in transmission order.
    pub const fn as_bytes(&self) -> &[u8; 6] {
        &self.0
    }

    /// The multicast MAC address that carries the IPv4 multicast group `group`
    /// (RFC 1112 §6.4: `01:00:5e` followed by the low 23 bits of the group), or `None`
    /// if `group` is not a multicast address.
    pub fn from_ipv4_multicast(group: Ipv4Addr) -> Option<EthernetAddress> {
        if !group.is_multicast() {
            return None;
        }
        let [_, b, c, d] = group.octets();
        Some(EthernetAddress([0x01, 0x00, 0x5e, b & 0x7f, c, d]))
    }

    /// Is this `ff:ff:ff:ff:ff:ff`?
    pub fn is_broadcast(&self) -> bool {
        *self == Self::BROADCAST
    }

    /// Is the individual/group bit set (the least significant bit of the first octet,
    /// IEEE 802 §8.2)? Broadcast is a group address too.
    pub const fn is_multicast(&self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// Is this an individual (unicast) address? Note that the all-zero address counts as
    /// unicast by this bit test; see [`EthernetAddress::is_unspecified`].
    pub const fn is_unicast(&self) -> bool {
        !self.is_multicast()
    }

    /// Is the universal/local bit set (the second least significant bit of the first
    /// octet): an address assigned locally rather than by a manufacturer's OUI?
    pub const fn is_local_admin(&self) -> bool {
        self.0[0] & 0x02 != 0
    }

    /// Is this `00:00:00:00:00:00`?
    pub fn is_unspecified(&self) -> bool {
        *self == Self::UNSPECIFIED
    }
}

impl From<[u8; 6]> for EthernetAddress {
    fn from(octets: [u8; 6]) -> Self {
        EthernetAddress(octets)
    }
}

impl From<EthernetAddress> for [u8; 6] {
    fn from(addr: EthernetAddress) -> Self {
        addr.0
    }
}

impl fmt::Display for EthernetAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

impl fmt::Debug for EthernetAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EthernetAddress({self})")
    }
}

impl FromStr for EthernetAddress {
    type Err = AddressParseError;

    /// Parses `02:00:00:00:00:01` or `02-00-00-00-00-01` (one or two hex digits per
    /// octet, either case, one separator throughout), as `ip link` and Windows print.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let sep = if s.contains(':') { ':' } else { '-' };
        let mut octets = [0u8; 6];
        let mut parts = s.split(sep);
        for octet in octets.iter_mut() {
            let part = parts.next().ok_or(AddressParseError)?;
            if part.is_empty() || part.len() > 2 || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(AddressParseError);
            }
            *octet = u8::from_str_radix(part, 16).map_err(|_| AddressParseError)?;
        }
        if parts.next().is_some() {
            return Err(AddressParseError);
        }
        Ok(EthernetAddress(octets))
    }
}

/// The EtherType of an Ethernet II frame: which protocol its payload holds. Values we
/// do not handle are kept in [`EtherType::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum EtherType {
    /// 0x0800, IPv4 (RFC 894).
    Ipv4,
    /// 0x0806, ARP (RFC 826).
    Arp,
    /// 0x86dd, IPv6 (RFC 2464).
    Ipv6,
    /// Any other value of the type field, including 802.3 lengths and VLAN TPIDs.
    Unknown(u16),
}

impl EtherType {
    /// The tag protocol identifiers of IEEE 802.1Q (C-tag), 802.1ad (S-tag) and the
    /// pre-standard QinQ tag; a frame with one of these in its type field is tagged.
    pub const VLAN_TPIDS: [u16; 3] = [0x8100, 0x88a8, 0x9100];

    /// The smallest value that is an EtherType rather than an IEEE 802.3 length
    /// (IEEE 802.3 §3.2.6).
    pub const MIN_ETHERTYPE: u16 = 0x0600;

    /// Is this an IEEE 802.3 length (or reserved value), not an EtherType at all?
    pub fn is_length(self) -> bool {
        u16::from(self) < Self::MIN_ETHERTYPE
    }

    /// Is this a VLAN tag protocol identifier (see [`EtherType::VLAN_TPIDS`])?
    pub fn is_vlan_tpid(self) -> bool {
        Self::VLAN_TPIDS.contains(&u16::from(self))
    }

    /// The name tcpdump prints for this type ("IPv4", "ARP", "IPv6" or "Unknown").
    pub fn name(self) -> &'static str {
        match self {
            EtherType::Ipv4 => "IPv4",
            EtherType::Arp => "ARP",
            EtherType::Ipv6 => "IPv6",
            EtherType::Unknown(_) => "Unknown",
        }
    }
}

impl From<u16> for EtherType {
    fn from(value: u16) -> Self {
        match value {
            0x0800 => EtherType::Ipv4,
            0x0806 => EtherType::Arp,
            0x86dd => EtherType::Ipv6,
            other => EtherType::Unknown(other),
        }
    }
}

impl From<EtherType> for u16 {
    fn from(value: EtherType) -> Self {
        match value {
            EtherType::Ipv4 => 0x0800,
            EtherType::Arp => 0x0806,
            EtherType::Ipv6 => 0x86dd,
            EtherType::Unknown(other) => other,
        }
    }
}

impl fmt::Display for EtherType {
    /// As tcpdump prints it: `ARP (0x0806)`, `Unknown (0x88cc)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (0x{:04x})", self.name(), u16::from(*self))
    }
}

/// A zero-copy view of an Ethernet II frame in a byte buffer.
///
/// Build it with [`Frame::new_checked`] on received bytes; after that no accessor can
/// panic. The payload is everything after the header, including any padding the sender
/// added to reach the minimum frame size (the IP layer trims by its total length).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Frame<T> {
    /// Wraps `buffer` without checking its length; for buffers we build ourselves.
    pub const fn new_unchecked(buffer: T) -> Frame<T> {
        Frame { buffer }
    }

    /// Wraps untrusted `buffer`, checking that it holds at least a whole header so that
    /// no accessor can panic.
    pub fn new_checked(buffer: T) -> Result<Frame<T>, EthernetError> {
        let frame = Self::new_unchecked(buffer);
        frame.check_len()?;
        Ok(frame)
    }

    /// `Err(Truncated)` if the buffer is shorter than [`HEADER_LEN`].
    pub fn check_len(&self) -> Result<(), EthernetError> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            Err(EthernetError::Truncated)
        } else {
            Ok(())
        }
    }

    /// Gives back the underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The header length, [`HEADER_LEN`]; here for symmetry with views whose header
    /// length varies.
    pub const fn header_len() -> usize {
        HEADER_LEN
    }

    /// The length of a frame whose payload is `payload_len` bytes long.
    pub const fn buffer_len(payload_len: usize) -> usize {
        HEADER_LEN + payload_len
    }

    /// The destination address.
    pub fn dst_addr(&self) -> EthernetAddress {
        EthernetAddress(read_addr(&self.buffer.as_ref()[field::DST]))
    }

    /// The source address.
    pub fn src_addr(&self) -> EthernetAddress {
        EthernetAddress(read_addr(&self.buffer.as_ref()[field::SRC]))
    }

    /// The type field, as an [`EtherType`] (802.3 lengths and VLAN TPIDs come back as
    /// [`EtherType::Unknown`]).
    pub fn ethertype(&self) -> EtherType {
        let b = &self.buffer.as_ref()[field::ETHERTYPE];
        EtherType::from(u16::from_be_bytes([b[0], b[1]]))
    }

    /// Everything after the header.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[field::PAYLOAD..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Frame<T> {
    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, addr: EthernetAddress) {
        self.buffer.as_mut()[field::DST].copy_from_slice(&addr.0);
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, addr: EthernetAddress) {
        self.buffer.as_mut()[field::SRC].copy_from_slice(&addr.0);
    }

    /// Sets the type field.
    pub fn set_ethertype(&mut self, ethertype: EtherType) {
        self.buffer.as_mut()[field::ETHERTYPE].copy_from_slice(&u16::from(ethertype).to_be_bytes());
    }

    /// Everything after the header, writable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::PAYLOAD..]
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Frame<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

fn read_addr(bytes: &[u8]) -> [u8; 6] {
    let mut addr = [0u8; 6];
    addr.copy_from_slice(bytes);
    addr
}

/// The header of an Ethernet II frame as the stack sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EthernetRepr {
    /// Who sent the frame; always an individual address after `parse`.
    pub src_addr: EthernetAddress,
    /// Who the frame is for: one station, a multicast group, or broadcast.
    pub dst_addr: EthernetAddress,
    /// What the payload holds; never an 802.3 length or a VLAN TPID after `parse`.
    pub ethertype: EtherType,
}

impl EthernetRepr {
    /// Parses the header of `frame`, accepting only Ethernet II with an individual
    /// source address. Safe on a frame made with `new_unchecked`: the length is checked
    /// here too.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        frame: &Frame<&T>,
    ) -> Result<EthernetRepr, EthernetError> {
        frame.check_len()?;
        let ethertype = frame.ethertype();
        let raw = u16::from(ethertype);
        // IEEE 802.3 §3.2.6: a value below 0x0600 (1536) is a length (<= 1500) or
        // undefined; only values >= 0x0600 are EtherTypes, i.e. Ethernet II (RFC 894).
        if ethertype.is_length() {
            return Err(EthernetError::Ieee8023(raw));
        }
        // IEEE 802.1Q §9.5: a TPID in the type position means a 4-byte tag follows.
        if ethertype.is_vlan_tpid() {
            return Err(EthernetError::VlanTagged(raw));
        }
        let src_addr = frame.src_addr();
        // IEEE 802.3 §3.2.3: "In the Source Address field, the first bit is reserved and
        // set to 0"; a group source address is never legitimate.
        if src_addr.is_multicast() {
            return Err(EthernetError::GroupSource(src_addr));
        }
        Ok(EthernetRepr {
            src_addr,
            dst_addr: frame.dst_addr(),
            ethertype,
        })
    }

    /// The length of the header `emit` writes: [`HEADER_LEN`].
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes this header into the first [`HEADER_LEN`] bytes of `frame`; the payload
    /// is left untouched. Panics if the buffer is shorter than the header.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, frame: &mut Frame<T>) {
        frame.set_dst_addr(self.dst_addr);
        frame.set_src_addr(self.src_addr);
        frame.set_ethertype(self.ethertype);
    }
}

impl fmt::Display for EthernetRepr {
    /// Like `tcpdump -e`: `02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} > {}, ethertype {}",
            self.src_addr, self.dst_addr, self.ethertype
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A broadcast ARP request as a Linux host (MAC 52:54:00:12:34:56, 10.0.0.1) puts
    /// it on a TAP device: 42 bytes, no padding, no FCS.
    const ARP_REQUEST_FRAME: [u8; 42] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // dst: broadcast
        0x52, 0x54, 0x00, 0x12, 0x34, 0x56, // src
        0x08, 0x06, // ARP
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, // Ethernet, IPv4, 6, 4, request
        0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x0a, 0x00, 0x00, 0x01, // sha, spa
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02, // tha, tpa
    ];

    /// The start of an ICMP echo request from 10.0.0.1 to 10.0.0.2, unicast to
    /// 02:00:00:00:00:01, padded by the sender to the 60-byte minimum.
    fn ipv4_frame() -> Vec<u8> {
        let mut frame = vec![
            0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // dst
            0x52, 0x54, 0x00, 0x12, 0x34, 0x56, // src
            0x08, 0x00, // IPv4
            0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x01, 0x00, 0x00, 0x0a, 0x00,
            0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, // IPv4 header
            0x08, 0x00, 0xf7, 0xff, 0x00, 0x00, 0x00, 0x00, // ICMP echo request
        ];
        frame.resize(MIN_FRAME_LEN, 0x00);
        frame
    }

    fn with_type(raw: u16) -> [u8; 42] {
        let mut frame = ARP_REQUEST_FRAME;
        frame[12..14].copy_from_slice(&raw.to_be_bytes());
        frame
    }

    #[test]
    fn captured_arp_frame_reads_field_by_field() {
        let frame = Frame::new_checked(&ARP_REQUEST_FRAME[..]).unwrap();
        assert_eq!(frame.dst_addr(), EthernetAddress::BROADCAST);
        assert_eq!(
            frame.src_addr(),
            EthernetAddress([0x52, 0x54, 0x00, 0x12, 0x34, 0x56])
        );
        assert_eq!(frame.ethertype(), EtherType::Arp);
        assert_eq!(frame.payload(), &ARP_REQUEST_FRAME[14..]);
        assert_eq!(frame.payload().len(), 28);
    }

    #[test]
    fn round_trip_parse_emit_gives_the_same_bytes() {
        for bytes in [ARP_REQUEST_FRAME.to_vec(), ipv4_frame()] {
            let repr = EthernetRepr::parse(&Frame::new_checked(&bytes[..]).unwrap()).unwrap();
            assert_eq!(repr.buffer_len(), HEADER_LEN);

            let mut out = vec![0xaa; bytes.len()];
            let mut frame = Frame::new_unchecked(&mut out[..]);
            repr.emit(&mut frame);
            frame.payload_mut().copy_from_slice(&bytes[HEADER_LEN..]);
            assert_eq!(out, bytes);
        }
    }

    #[test]
    fn emit_writes_only_the_header() {
        let repr = EthernetRepr {
            src_addr: EthernetAddress([0x02, 0, 0, 0, 0, 0x01]),
            dst_addr: EthernetAddress::BROADCAST,
            ethertype: EtherType::Ipv6,
        };
        let mut buf = [0xaau8; 20];
        repr.emit(&mut Frame::new_unchecked(&mut buf[..]));
        assert_eq!(
            buf[..14],
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x01, 0x86, 0xdd]
        );
        assert_eq!(buf[14..], [0xaa; 6], "payload untouched");
    }

    #[test]
    fn every_truncated_length_is_a_typed_error() {
        for len in 0..HEADER_LEN {
            let bytes = &ARP_REQUEST_FRAME[..len];
            assert_eq!(
                Frame::new_checked(bytes).unwrap_err(),
                EthernetError::Truncated,
                "len {len}"
            );
            // parse checks too, even on an unchecked view.
            assert_eq!(
                EthernetRepr::parse(&Frame::new_unchecked(bytes)).unwrap_err(),
                EthernetError::Truncated,
                "len {len}"
            );
        }
        // A bare header with no payload is a valid (if useless) frame.
        let header = Frame::new_checked(&ARP_REQUEST_FRAME[..HEADER_LEN]).unwrap();
        assert!(header.payload().is_empty());
        assert!(EthernetRepr::parse(&header).is_ok());
    }

    #[test]
    fn ieee_802_3_length_frames_are_not_ethernet_ii() {
        // An STP BPDU is an 802.3 frame with length 0x0026; 0x05dc (1500) is the
        // largest length; 0x05dd..0x05ff are undefined.
        for raw in [0x0000, 0x0026, 0x05dc, 0x05dd, 0x05ff] {
            let bytes = with_type(raw);
            let frame = Frame::new_checked(&bytes[..]).unwrap();
            assert!(frame.ethertype().is_length());
            assert_eq!(
                EthernetRepr::parse(&frame),
                Err(EthernetError::Ieee8023(raw))
            );
        }
        // 0x0600 is the first EtherType (XNS IDP): Ethernet II, unknown protocol.
        let bytes = with_type(0x0600);
        let repr = EthernetRepr::parse(&Frame::new_checked(&bytes[..]).unwrap()).unwrap();
        assert_eq!(repr.ethertype, EtherType::Unknown(0x0600));
    }

    #[test]
    fn vlan_tagged_frames_are_reported() {
        for tpid in [0x8100, 0x88a8, 0x9100] {
            let bytes = with_type(tpid);
            assert_eq!(
                EthernetRepr::parse(&Frame::new_checked(&bytes[..]).unwrap()),
                Err(EthernetError::VlanTagged(tpid))
            );
        }
    }

    #[test]
    fn group_source_address_is_rejected() {
        let mut bytes = ARP_REQUEST_FRAME;
        bytes[6..12].copy_from_slice(&[0xff; 6]);
        assert_eq!(
            EthernetRepr::parse(&Frame::new_checked(&bytes[..]).unwrap()),
            Err(EthernetError::GroupSource(EthernetAddress::BROADCAST))
        );
        bytes[6..12].copy_from_slice(&[0x01, 0x00, 0x5e, 0x00, 0x00, 0x01]);
        assert!(matches!(
            EthernetRepr::parse(&Frame::new_checked(&bytes[..]).unwrap()),
            Err(EthernetError::GroupSource(_))
        ));
    }

    #[test]
    fn unknown_ethertype_is_kept() {
        let bytes = with_type(0x88cc); // LLDP
        let repr = EthernetRepr::parse(&Frame::new_checked(&bytes[..]).unwrap()).unwrap();
        assert_eq!(repr.ethertype, EtherType::Unknown(0x88cc));
        assert_eq!(u16::from(repr.ethertype), 0x88cc);
    }

    #[test]
    fn ethertype_numbers_round_trip() {
        for (ty, raw) in [
            (EtherType::Ipv4, 0x0800),
            (EtherType::Arp, 0x0806),
            (EtherType::Ipv6, 0x86dd),
            (EtherType::Unknown(0x88cc), 0x88cc),
        ] {
            assert_eq!(EtherType::from(raw), ty);
            assert_eq!(u16::from(ty), raw);
        }
        assert_eq!(EtherType::Arp.to_string(), "ARP (0x0806)");
        assert_eq!(EtherType::Unknown(0x88cc).to_string(), "Unknown (0x88cc)");
    }

    #[test]
    fn display_reads_like_tcpdump() {
        let repr =
            EthernetRepr::parse(&Frame::new_checked(&ARP_REQUEST_FRAME[..]).unwrap()).unwrap();
        assert_eq!(
            repr.to_string(),
            "52:54:00:12:34:56 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806)"
        );
        let bytes = ipv4_frame();
        let repr = EthernetRepr::parse(&Frame::new_checked(&bytes[..]).unwrap()).unwrap();
        assert_eq!(
            repr.to_string(),
            "52:54:00:12:34:56 > 02:00:00:00:00:01, ethertype IPv4 (0x0800)"
        );
    }

    #[test]
    fn address_classes() {
        let ours = EthernetAddress([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
        assert!(ours.is_unicast() && ours.is_local_admin());
        assert!(!ours.is_multicast() && !ours.is_broadcast());

        let qemu = EthernetAddress([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
        assert!(qemu.is_unicast() && qemu.is_local_admin());

        let intel = EthernetAddress([0x00, 0x1b, 0x21, 0x0a, 0x0b, 0x0c]);
        assert!(intel.is_unicast() && !intel.is_local_admin());

        assert!(EthernetAddress::BROADCAST.is_broadcast());
        assert!(EthernetAddress::BROADCAST.is_multicast());
        assert!(!EthernetAddress::BROADCAST.is_unicast());

        let ipv6_all_nodes = EthernetAddress([0x33, 0x33, 0x00, 0x00, 0x00, 0x01]);
        assert!(ipv6_all_nodes.is_multicast() && !ipv6_all_nodes.is_broadcast());

        assert!(EthernetAddress::UNSPECIFIED.is_unspecified());
        assert!(!ours.is_unspecified());
    }

    #[test]
    fn ipv4_multicast_mapping_rfc1112_section_6_4() {
        // 224.0.0.251 (mDNS) -> 01:00:5e:00:00:fb; the 24th bit of the group is dropped.
        assert_eq!(
            EthernetAddress::from_ipv4_multicast(Ipv4Addr::new(224, 0, 0, 251)),
            Some(EthernetAddress([0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb]))
        );
        assert_eq!(
            EthernetAddress::from_ipv4_multicast(Ipv4Addr::new(239, 128, 1, 2)),
            Some(EthernetAddress([0x01, 0x00, 0x5e, 0x00, 0x01, 0x02]))
        );
        assert_eq!(
            EthernetAddress::from_ipv4_multicast(Ipv4Addr::new(10, 0, 0, 1)),
            None
        );
    }

    #[test]
    fn address_text_round_trips() {
        let addr = EthernetAddress([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
        assert_eq!(addr.to_string(), "02:00:00:00:00:01");
        assert_eq!(format!("{addr:?}"), "EthernetAddress(02:00:00:00:00:01)");
        assert_eq!("02:00:00:00:00:01".parse(), Ok(addr));
        assert_eq!("02-00-00-00-00-01".parse(), Ok(addr));
        assert_eq!("2:0:0:0:0:1".parse(), Ok(addr));
        assert_eq!(
            "AA:bb:CC:dd:EE:ff".parse(),
            Ok(EthernetAddress([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]))
        );
    }

    #[test]
    fn bad_address_text_is_a_typed_error() {
        for bad in [
            "",
            "02:00:00:00:00",
            "02:00:00:00:00:01:02",
            "02:00:00:00:00:",
            "02:00:00:00::01",
            "002:00:00:00:00:01",
            "02:00:00:00:00:0g",
            "02:00-00:00:00:01",
            "+2:00:00:00:00:01",
            "02.00.00.00.00.01",
            "020000000001",
        ] {
            assert_eq!(
                bad.parse::<EthernetAddress>(),
                Err(AddressParseError),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn from_bytes_requires_exactly_six() {
        assert_eq!(
            EthernetAddress::from_bytes(&[1, 2, 3, 4, 5, 6]),
            Some(EthernetAddress([1, 2, 3, 4, 5, 6]))
        );
        assert_eq!(EthernetAddress::from_bytes(&[1, 2, 3, 4, 5]), None);
        assert_eq!(EthernetAddress::from_bytes(&[1, 2, 3, 4, 5, 6, 7]), None);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let unchecked = EthernetRepr::parse(&Frame::new_unchecked(&bytes[..]));
            match Frame::new_checked(&bytes[..]) {
                Ok(frame) => {
                    let _ = (frame.dst_addr(), frame.src_addr(), frame.ethertype());
                    prop_assert_eq!(frame.payload().len(), bytes.len() - HEADER_LEN);
                    prop_assert_eq!(EthernetRepr::parse(&frame), unchecked);
                    if let Ok(repr) = unchecked {
                        // What we accept, we re-emit bit for bit.
                        let mut out = [0u8; HEADER_LEN];
                        repr.emit(&mut Frame::new_unchecked(&mut out[..]));
                        prop_assert_eq!(&out[..], &bytes[..HEADER_LEN]);
                    }
                }
                Err(e) => {
                    prop_assert!(bytes.len() < HEADER_LEN);
                    prop_assert_eq!(e, EthernetError::Truncated);
                    prop_assert_eq!(unchecked, Err(EthernetError::Truncated));
                }
            }
        }

        #[test]
        fn address_display_parses_back(octets in any::<[u8; 6]>()) {
            let addr = EthernetAddress(octets);
            prop_assert_eq!(addr.to_string().parse::<EthernetAddress>(), Ok(addr));
        }
    }
}
