//! ARP, the Address Resolution Protocol (RFC 826): the zero-copy [`ArpPacket`] view and
//! [`ArpRepr`], which handles the one case Tundra speaks, IPv4 over Ethernet.
//!
//! ```text
//!  0        2        4    5    6        8
//! +--------+--------+----+----+--------+
//! | ar$hrd | ar$pro |hln |pln | ar$op  |   hrd 1 = Ethernet, pro 0x0800 = IPv4
//! +--------+--------+----+----+--------+
//! | ar$sha (hln) | ar$spa (pln) | ar$tha (hln) | ar$tpa (pln) |
//! +--------------+--------------+--------------+--------------+
//! ```
//!
//! The view honours the packet's own hln/pln, as RFC 826 defines the format for any
//! hardware and protocol; [`ArpPacket::check_len`] checks that all four addresses fit,
//! after which no accessor can panic. [`ArpRepr::parse`] accepts only hrd 1, pro
//! 0x0800, hln 6, pln 4 and op request/reply, reporting each violation as its own
//! [`ArpError`] variant; it validates the length itself, so it is safe (and gives the
//! most specific error) on a view made with `new_unchecked`.

use core::fmt;
use core::net::Ipv4Addr;

use crate::{ArpError, EtherType, EthernetAddress};

/// ar$hrd for Ethernet (RFC 826; IANA ARP parameters: "Ethernet (10Mb)").
pub const HARDWARE_ETHERNET: u16 = 0x0001;

/// The length of an ARP packet for IPv4 over Ethernet: 8 + 2 * (6 + 4) bytes.
pub const IPV4_OVER_ETHERNET_LEN: usize = 28;

mod field {
    use core::ops::Range;

    pub const HTYPE: Range<usize> = 0..2;
    pub const PTYPE: Range<usize> = 2..4;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: Range<usize> = 6..8;
    /// The fixed part, before the variable-length addresses.
    pub const FIXED_LEN: usize = 8;

    pub const fn sha(hlen: u8, _plen: u8) -> Range<usize> {
        FIXED_LEN..FIXED_LEN + hlen as usize
    }
    pub const fn spa(hlen: u8, plen: u8) -> Range<usize> {
        let start = sha(hlen, plen).end;
        start..start + plen as usize
    }
    pub const fn tha(hlen: u8, plen: u8) -> Range<usize> {
        let start = spa(hlen, plen).end;
        start..start + hlen as usize
    }
    pub const fn tpa(hlen: u8, plen: u8) -> Range<usize> {
        let start = tha(hlen, plen).end;
        start..start + plen as usize
    }
}

/// ar$op: what an ARP packet asks or answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArpOperation {
    /// 1, ares_op$REQUEST: "who has tpa? tell spa".
    Request,
    /// 2, ares_op$REPLY: "spa is at sha".
    Reply,
    /// Anything else (RARP 3/4, InARP 8/9, ...), kept so the view can show it.
    Unknown(u16),
}

impl From<u16> for ArpOperation {
    fn from(value: u16) -> Self {
        match value {
            0x0001 => ArpOperation::Request,
            0x0002 => ArpOperation::Reply,
            other => ArpOperation::Unknown(other),
        }
    }
}

impl From<ArpOperation> for u16 {
    fn from(value: ArpOperation) -> Self {
        match value {
            ArpOperation::Request => 0x0001,
            ArpOperation::Reply => 0x0002,
            ArpOperation::Unknown(other) => other,
        }
    }
}

impl fmt::Display for ArpOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArpOperation::Request => f.write_str("Request"),
            ArpOperation::Reply => f.write_str("Reply"),
            ArpOperation::Unknown(op) => write!(f, "Unknown operation ({op})"),
        }
    }
}

/// A zero-copy view of an ARP packet of any hardware and protocol type.
///
/// Build it with [`ArpPacket::new_checked`] on received bytes; after that no accessor
/// can panic. Setting hln or pln invalidates that check (the addresses move).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ArpPacket<T> {
    /// Wraps `buffer` without checking its length; for buffers we build ourselves.
    pub const fn new_unchecked(buffer: T) -> ArpPacket<T> {
        ArpPacket { buffer }
    }

    /// Wraps untrusted `buffer`, checking that it holds the fixed header and the four
    /// addresses its hln/pln announce, so that no accessor can panic.
    pub fn new_checked(buffer: T) -> Result<ArpPacket<T>, ArpError> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// `Err(Truncated)` if the buffer is shorter than 8 bytes or than
    /// `8 + 2 * (hln + pln)`. Trailing bytes (Ethernet padding) are allowed.
    pub fn check_len(&self) -> Result<(), ArpError> {
        let len = self.buffer.as_ref().len();
        if len < field::FIXED_LEN || len < self.total_len() {
            Err(ArpError::Truncated)
        } else {
            Ok(())
        }
    }

    /// Gives back the underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The length the header says the packet has: `8 + 2 * (hln + pln)`. Only the
    /// fixed header must be present for this to be safe to call.
    fn total_len(&self) -> usize {
        field::tpa(self.hardware_len(), self.protocol_len()).end
    }

    /// ar$hrd, the hardware type ([`HARDWARE_ETHERNET`] for Ethernet).
    pub fn hardware_type(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::HTYPE])
    }

    /// ar$pro, the protocol type, in EtherType space (RFC 826).
    pub fn protocol_type(&self) -> EtherType {
        EtherType::from(read_u16(&self.buffer.as_ref()[field::PTYPE]))
    }

    /// ar$hln, the length of each hardware address in bytes.
    pub fn hardware_len(&self) -> u8 {
        self.buffer.as_ref()[field::HLEN]
    }

    /// ar$pln, the length of each protocol address in bytes.
    pub fn protocol_len(&self) -> u8 {
        self.buffer.as_ref()[field::PLEN]
    }

    /// ar$op, the operation.
    pub fn operation(&self) -> ArpOperation {
        ArpOperation::from(read_u16(&self.buffer.as_ref()[field::OPER]))
    }

    /// ar$sha, the sender hardware address (hln bytes).
    pub fn source_hardware_addr(&self) -> &[u8] {
        &self.buffer.as_ref()[field::sha(self.hardware_len(), self.protocol_len())]
    }

    /// ar$spa, the sender protocol address (pln bytes).
    pub fn source_protocol_addr(&self) -> &[u8] {
        &self.buffer.as_ref()[field::spa(self.hardware_len(), self.protocol_len())]
    }

    /// ar$tha, the target hardware address (hln bytes).
    pub fn target_hardware_addr(&self) -> &[u8] {
        &self.buffer.as_ref()[field::tha(self.hardware_len(), self.protocol_len())]
    }

    /// ar$tpa, the target protocol address (pln bytes).
    pub fn target_protocol_addr(&self) -> &[u8] {
        &self.buffer.as_ref()[field::tpa(self.hardware_len(), self.protocol_len())]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> ArpPacket<T> {
    /// Sets ar$hrd.
    pub fn set_hardware_type(&mut self, value: u16) {
        self.buffer.as_mut()[field::HTYPE].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets ar$pro.
    pub fn set_protocol_type(&mut self, value: EtherType) {
        self.buffer.as_mut()[field::PTYPE].copy_from_slice(&u16::from(value).to_be_bytes());
    }

    /// Sets ar$hln; the address fields move accordingly.
    pub fn set_hardware_len(&mut self, value: u8) {
        self.buffer.as_mut()[field::HLEN] = value;
    }

    /// Sets ar$pln; the address fields move accordingly.
    pub fn set_protocol_len(&mut self, value: u8) {
        self.buffer.as_mut()[field::PLEN] = value;
    }

    /// Sets ar$op.
    pub fn set_operation(&mut self, value: ArpOperation) {
        self.buffer.as_mut()[field::OPER].copy_from_slice(&u16::from(value).to_be_bytes());
    }

    /// Sets ar$sha. Panics unless `value` is hln bytes long and fits the buffer.
    pub fn set_source_hardware_addr(&mut self, value: &[u8]) {
        let range = field::sha(self.hardware_len(), self.protocol_len());
        self.buffer.as_mut()[range].copy_from_slice(value);
    }

    /// Sets ar$spa. Panics unless `value` is pln bytes long and fits the buffer.
    pub fn set_source_protocol_addr(&mut self, value: &[u8]) {
        let range = field::spa(self.hardware_len(), self.protocol_len());
        self.buffer.as_mut()[range].copy_from_slice(value);
    }

    /// Sets ar$tha. Panics unless `value` is hln bytes long and fits the buffer.
    pub fn set_target_hardware_addr(&mut self, value: &[u8]) {
        let range = field::tha(self.hardware_len(), self.protocol_len());
        self.buffer.as_mut()[range].copy_from_slice(value);
    }

    /// Sets ar$tpa. Panics unless `value` is pln bytes long and fits the buffer.
    pub fn set_target_protocol_addr(&mut self, value: &[u8]) {
        let range = field::tpa(self.hardware_len(), self.protocol_len());
        self.buffer.as_mut()[range].copy_from_slice(value);
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for ArpPacket<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

fn read_u16(bytes: &[u8]) -> u16 {
    u16::from_be_bytes([bytes[0], bytes[1]])
}

/// An ARP packet for IPv4 over Ethernet, as the stack sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArpRepr {
    /// Request or reply (never `Unknown` after `parse`).
    pub operation: ArpOperation,
    /// ar$sha: the sender's MAC address.
    pub source_hardware_addr: EthernetAddress,
    /// ar$spa: the sender's IPv4 address (0.0.0.0 in an RFC 5227 probe).
    pub source_protocol_addr: Ipv4Addr,
    /// ar$tha: the target's MAC address (all zeroes in a request).
    pub target_hardware_addr: EthernetAddress,
    /// ar$tpa: the IPv4 address asked about, or the one answered.
    pub target_protocol_addr: Ipv4Addr,
}

impl ArpRepr {
    /// Parses `packet` as ARP for IPv4 over Ethernet. Safe on a view made with
    /// `new_unchecked`; each field that is not what IPv4 over Ethernet requires gets its
    /// own error, checked in header order.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &ArpPacket<&T>) -> Result<ArpRepr, ArpError> {
        if packet.buffer.as_ref().len() < field::FIXED_LEN {
            return Err(ArpError::Truncated);
        }
        // RFC 826, Packet Reception: "?Do I have the hardware type in ar$hrd? ... ?Do I
        // speak the protocol in ar$pro? [if not] discard the packet".
        let htype = packet.hardware_type();
        if htype != HARDWARE_ETHERNET {
            return Err(ArpError::BadHardwareType(htype));
        }
        let ptype = packet.protocol_type();
        if ptype != EtherType::Ipv4 {
            return Err(ArpError::BadProtocolType(u16::from(ptype)));
        }
        // RFC 826 lets a receiver check the lengths ("[optionally] check the hardware
        // length ar$hln"); for Ethernet/IPv4 they can only be 6 and 4.
        let hlen = packet.hardware_len();
        if hlen != 6 {
            return Err(ArpError::BadHardwareLength(hlen));
        }
        let plen = packet.protocol_len();
        if plen != 4 {
            return Err(ArpError::BadProtocolLength(plen));
        }
        packet.check_len()?;
        let operation = packet.operation();
        if let ArpOperation::Unknown(op) = operation {
            return Err(ArpError::UnknownOperation(op));
        }
        // With hln 6 and pln 4 verified and 28 bytes present, these conversions cannot
        // fail; map them to Truncated anyway rather than unwrap on network input.
        let mac = |b: &[u8]| EthernetAddress::from_bytes(b).ok_or(ArpError::Truncated);
        let ip = |b: &[u8]| {
            <[u8; 4]>::try_from(b)
                .map(Ipv4Addr::from)
                .map_err(|_| ArpError::Truncated)
        };
        Ok(ArpRepr {
            operation,
            source_hardware_addr: mac(packet.source_hardware_addr())?,
            source_protocol_addr: ip(packet.source_protocol_addr())?,
            target_hardware_addr: mac(packet.target_hardware_addr())?,
            target_protocol_addr: ip(packet.target_protocol_addr())?,
        })
    }

    /// The length `emit` writes: [`IPV4_OVER_ETHERNET_LEN`] (28). An Ethernet frame
    /// carrying it is 42 bytes, 60 once padded to the minimum.
    pub const fn buffer_len(&self) -> usize {
        IPV4_OVER_ETHERNET_LEN
    }

    /// Writes this packet into the first 28 bytes of `packet`. Panics if the buffer is
    /// shorter.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut ArpPacket<T>) {
        packet.set_hardware_type(HARDWARE_ETHERNET);
        packet.set_protocol_type(EtherType::Ipv4);
        packet.set_hardware_len(6);
        packet.set_protocol_len(4);
        packet.set_operation(self.operation);
        packet.set_source_hardware_addr(&self.source_hardware_addr.0);
        packet.set_source_protocol_addr(&self.source_protocol_addr.octets());
        packet.set_target_hardware_addr(&self.target_hardware_addr.0);
        packet.set_target_protocol_addr(&self.target_protocol_addr.octets());
    }

    /// A request asking who has `target_ip`, from us. The target hardware address is all
    /// zeroes (RFC 826 leaves it "don't care"; RFC 5227 §2.1.1 says zeroes). Send it to
    /// [`EthernetAddress::BROADCAST`].
    pub fn request(our_mac: EthernetAddress, our_ip: Ipv4Addr, target_ip: Ipv4Addr) -> ArpRepr {
        ArpRepr {
            operation: ArpOperation::Request,
            source_hardware_addr: our_mac,
            source_protocol_addr: our_ip,
            target_hardware_addr: EthernetAddress::UNSPECIFIED,
            target_protocol_addr: target_ip,
        }
    }

    /// Our reply to `request`, which asked for an address we own. Send it unicast to
    /// `request.source_hardware_addr`.
    ///
    /// RFC 826, Packet Reception: "Swap hardware and protocol fields, putting the local
    /// hardware and protocol addresses in the sender fields. Set the ar$op field to
    /// ares_op$REPLY".
    pub fn reply_to(request: &ArpRepr, our_mac: EthernetAddress) -> ArpRepr {
        ArpRepr {
            operation: ArpOperation::Reply,
            source_hardware_addr: our_mac,
            source_protocol_addr: request.target_protocol_addr,
            target_hardware_addr: request.source_hardware_addr,
            target_protocol_addr: request.source_protocol_addr,
        }
    }

    /// An ARP Announcement of `our_ip` (RFC 5227 §3; "gratuitous ARP"): a request whose
    /// sender and target protocol addresses are both ours, with a zero target hardware
    /// address, so that neighbors update their caches. Send it to broadcast.
    pub fn gratuitous(our_mac: EthernetAddress, our_ip: Ipv4Addr) -> ArpRepr {
        ArpRepr::request(our_mac, our_ip, our_ip)
    }

    /// An ARP Probe for `candidate_ip` (RFC 5227 §2.1.1): a request with sender protocol
    /// address 0.0.0.0, so that no neighbor caches it, asking whether anyone already
    /// uses the address. Send it to broadcast.
    pub fn probe(our_mac: EthernetAddress, candidate_ip: Ipv4Addr) -> ArpRepr {
        ArpRepr::request(our_mac, Ipv4Addr::UNSPECIFIED, candidate_ip)
    }

    /// Is this an announcement (sender and target protocol addresses equal, RFC 5227
    /// §3), whether sent as a request or as a reply?
    pub fn is_gratuitous(&self) -> bool {
        self.source_protocol_addr == self.target_protocol_addr
    }

    /// Is this an RFC 5227 probe (sender protocol address 0.0.0.0)? A probe must not be
    /// used to fill the neighbor cache.
    pub fn is_probe(&self) -> bool {
        self.operation == ArpOperation::Request && self.source_protocol_addr.is_unspecified()
    }
}

impl fmt::Display for ArpRepr {
    /// Like tcpdump: `ARP, Request who-has 10.0.0.2 tell 10.0.0.1`,
    /// `ARP, Reply 10.0.0.2 is-at 02:00:00:00:00:02`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.operation {
            ArpOperation::Request => {
                write!(f, "ARP, Request who-has {}", self.target_protocol_addr)?;
                // tcpdump shows a target hardware address only when it is not zero.
                if !self.target_hardware_addr.is_unspecified() {
                    write!(f, " ({})", self.target_hardware_addr)?;
                }
                write!(f, " tell {}", self.source_protocol_addr)
            }
            ArpOperation::Reply => write!(
                f,
                "ARP, Reply {} is-at {}",
                self.source_protocol_addr, self.source_hardware_addr
            ),
            ArpOperation::Unknown(_) => write!(
                f,
                "ARP, {} sha {} spa {} tha {} tpa {}",
                self.operation,
                self.source_hardware_addr,
                self.source_protocol_addr,
                self.target_hardware_addr,
                self.target_protocol_addr
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HOST_MAC: EthernetAddress = EthernetAddress([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    const OUR_MAC: EthernetAddress = EthernetAddress([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
    const HOST_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const OUR_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

    /// The ARP payload of a request from a Linux host (52:54:00:12:34:56, 10.0.0.1)
    /// asking for 10.0.0.2, as seen on a TAP device.
    const REQUEST: [u8; 28] = [
        0x00, 0x01, // Ethernet
        0x08, 0x00, // IPv4
        0x06, 0x04, // hln, pln
        0x00, 0x01, // request
        0x52, 0x54, 0x00, 0x12, 0x34, 0x56, // sha
        0x0a, 0x00, 0x00, 0x01, // spa
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // tha
        0x0a, 0x00, 0x00, 0x02, // tpa
    ];

    /// Our answer to it: 10.0.0.2 is at 02:00:00:00:00:01.
    const REPLY: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, // Ethernet, IPv4, 6, 4, reply
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // sha
        0x0a, 0x00, 0x00, 0x02, // spa
        0x52, 0x54, 0x00, 0x12, 0x34, 0x56, // tha
        0x0a, 0x00, 0x00, 0x01, // tpa
    ];

    fn parse(bytes: &[u8]) -> Result<ArpRepr, ArpError> {
        ArpRepr::parse(&ArpPacket::new_unchecked(bytes))
    }

    fn emit(repr: &ArpRepr) -> Vec<u8> {
        let mut buf = vec![0xaa; repr.buffer_len()];
        repr.emit(&mut ArpPacket::new_unchecked(&mut buf[..]));
        buf
    }

    #[test]
    fn captured_request_reads_field_by_field() {
        let packet = ArpPacket::new_checked(&REQUEST[..]).unwrap();
        assert_eq!(packet.hardware_type(), HARDWARE_ETHERNET);
        assert_eq!(packet.protocol_type(), EtherType::Ipv4);
        assert_eq!((packet.hardware_len(), packet.protocol_len()), (6, 4));
        assert_eq!(packet.operation(), ArpOperation::Request);
        assert_eq!(packet.source_hardware_addr(), &HOST_MAC.0);
        assert_eq!(packet.source_protocol_addr(), &[10, 0, 0, 1]);
        assert_eq!(packet.target_hardware_addr(), &[0; 6]);
        assert_eq!(packet.target_protocol_addr(), &[10, 0, 0, 2]);

        assert_eq!(
            ArpRepr::parse(&packet),
            Ok(ArpRepr {
                operation: ArpOperation::Request,
                source_hardware_addr: HOST_MAC,
                source_protocol_addr: HOST_IP,
                target_hardware_addr: EthernetAddress::UNSPECIFIED,
                target_protocol_addr: OUR_IP,
            })
        );
    }

    #[test]
    fn round_trip_parse_emit_gives_the_same_bytes() {
        for bytes in [REQUEST, REPLY] {
            let repr = parse(&bytes).unwrap();
            assert_eq!(repr.buffer_len(), 28);
            assert_eq!(emit(&repr), bytes);
        }
    }

    #[test]
    fn ethernet_padding_after_the_packet_is_ignored() {
        let mut padded = REQUEST.to_vec();
        padded.resize(46, 0x00); // the minimum Ethernet payload
        assert!(ArpPacket::new_checked(&padded[..]).is_ok());
        assert_eq!(parse(&padded), parse(&REQUEST));
    }

    /// RFC 826 conversation: the host asks who has our address; we swap the fields,
    /// put ours in the sender fields and answer — byte for byte what Linux expects.
    #[test]
    fn rfc826_reply_to_a_request() {
        let request = parse(&REQUEST).unwrap();
        let reply = ArpRepr::reply_to(&request, OUR_MAC);
        assert_eq!(emit(&reply), REPLY);
        assert_eq!(
            reply.to_string(),
            "ARP, Reply 10.0.0.2 is-at 02:00:00:00:00:01"
        );
    }

    #[test]
    fn request_helper_matches_a_linux_request() {
        let ours = ArpRepr::request(HOST_MAC, HOST_IP, OUR_IP);
        assert_eq!(emit(&ours), REQUEST);
        assert!(!ours.is_gratuitous() && !ours.is_probe());
    }

    #[test]
    fn rfc5227_announcement_and_probe() {
        let announce = ArpRepr::gratuitous(OUR_MAC, OUR_IP);
        assert_eq!(announce.operation, ArpOperation::Request);
        assert_eq!(announce.source_protocol_addr, OUR_IP);
        assert_eq!(announce.target_protocol_addr, OUR_IP);
        assert_eq!(announce.target_hardware_addr, EthernetAddress::UNSPECIFIED);
        assert!(announce.is_gratuitous() && !announce.is_probe());
        assert_eq!(
            announce.to_string(),
            "ARP, Request who-has 10.0.0.2 tell 10.0.0.2"
        );
        assert_eq!(parse(&emit(&announce)), Ok(announce));

        let probe = ArpRepr::probe(OUR_MAC, OUR_IP);
        assert_eq!(probe.source_protocol_addr, Ipv4Addr::UNSPECIFIED);
        assert_eq!(probe.target_protocol_addr, OUR_IP);
        assert!(probe.is_probe() && !probe.is_gratuitous());
    }

    #[test]
    fn display_reads_like_tcpdump() {
        assert_eq!(
            parse(&REQUEST).unwrap().to_string(),
            "ARP, Request who-has 10.0.0.2 tell 10.0.0.1"
        );
        // A unicast re-validation request names the target hardware address.
        let mut request = parse(&REQUEST).unwrap();
        request.target_hardware_addr = OUR_MAC;
        assert_eq!(
            request.to_string(),
            "ARP, Request who-has 10.0.0.2 (02:00:00:00:00:01) tell 10.0.0.1"
        );
        let rarp = ArpRepr {
            operation: ArpOperation::Unknown(3),
            ..request
        };
        assert_eq!(
            rarp.to_string(),
            "ARP, Unknown operation (3) sha 52:54:00:12:34:56 spa 10.0.0.1 \
             tha 02:00:00:00:00:01 tpa 10.0.0.2"
        );
    }

    #[test]
    fn every_truncated_length_is_a_typed_error() {
        for len in 0..REQUEST.len() {
            let bytes = &REQUEST[..len];
            assert_eq!(
                ArpPacket::new_checked(bytes).unwrap_err(),
                ArpError::Truncated,
                "len {len}"
            );
            assert_eq!(parse(bytes), Err(ArpError::Truncated), "len {len}");
        }
    }

    #[test]
    fn wrong_hardware_type_is_bad_hardware_type() {
        let mut bytes = REQUEST;
        bytes[0..2].copy_from_slice(&0x0006u16.to_be_bytes()); // IEEE 802 networks
        assert_eq!(parse(&bytes), Err(ArpError::BadHardwareType(0x0006)));
    }

    #[test]
    fn wrong_protocol_type_is_bad_protocol_type() {
        let mut bytes = REQUEST;
        bytes[2..4].copy_from_slice(&0x86ddu16.to_be_bytes());
        assert_eq!(parse(&bytes), Err(ArpError::BadProtocolType(0x86dd)));
    }

    #[test]
    fn wrong_hardware_length_is_bad_hardware_length() {
        let mut bytes = REQUEST;
        bytes[4] = 8;
        // parse names the field even though the packet is now too short for its header.
        assert_eq!(parse(&bytes), Err(ArpError::BadHardwareLength(8)));
        assert_eq!(
            ArpPacket::new_checked(&bytes[..]).unwrap_err(),
            ArpError::Truncated
        );
        bytes[4] = 0;
        assert_eq!(parse(&bytes), Err(ArpError::BadHardwareLength(0)));
    }

    #[test]
    fn wrong_protocol_length_is_bad_protocol_length() {
        let mut bytes = REQUEST;
        bytes[5] = 16;
        assert_eq!(parse(&bytes), Err(ArpError::BadProtocolLength(16)));
        bytes[5] = 2;
        assert_eq!(parse(&bytes), Err(ArpError::BadProtocolLength(2)));
    }

    #[test]
    fn unknown_operation_is_reported_with_its_number() {
        for op in [0x0000, 0x0003, 0x0004, 0x0008, 0xffff] {
            let mut bytes = REQUEST;
            bytes[6..8].copy_from_slice(&u16::to_be_bytes(op));
            assert_eq!(parse(&bytes), Err(ArpError::UnknownOperation(op)));
            // The view still shows it.
            let packet = ArpPacket::new_checked(&bytes[..]).unwrap();
            assert_eq!(packet.operation(), ArpOperation::Unknown(op));
        }
    }

    #[test]
    fn view_honours_other_address_lengths() {
        // A 32-byte ARP-like packet with hln 8, pln 4: new_checked needs 8 + 2*12 bytes.
        let mut bytes = [0u8; 32];
        bytes[0..8].copy_from_slice(&[0x00, 0x01, 0x08, 0x00, 0x08, 0x04, 0x00, 0x01]);
        bytes[8..16].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        bytes[28..32].copy_from_slice(&[10, 0, 0, 9]);
        let packet = ArpPacket::new_checked(&bytes[..]).unwrap();
        assert_eq!(packet.source_hardware_addr(), &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(packet.target_protocol_addr(), &[10, 0, 0, 9]);
        assert_eq!(
            ArpPacket::new_checked(&bytes[..31]).unwrap_err(),
            ArpError::Truncated
        );
        assert_eq!(ArpRepr::parse(&packet), Err(ArpError::BadHardwareLength(8)));
    }

    #[test]
    fn operation_numbers_round_trip() {
        for (op, raw) in [
            (ArpOperation::Request, 1),
            (ArpOperation::Reply, 2),
            (ArpOperation::Unknown(3), 3),
        ] {
            assert_eq!(ArpOperation::from(raw), op);
            assert_eq!(u16::from(op), raw);
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let parsed = parse(&bytes);
            if let Ok(packet) = ArpPacket::new_checked(&bytes[..]) {
                let _ = (packet.hardware_type(), packet.protocol_type(), packet.operation());
                let hln = packet.hardware_len() as usize;
                let pln = packet.protocol_len() as usize;
                prop_assert_eq!(packet.source_hardware_addr().len(), hln);
                prop_assert_eq!(packet.source_protocol_addr().len(), pln);
                prop_assert_eq!(packet.target_hardware_addr().len(), hln);
                prop_assert_eq!(packet.target_protocol_addr().len(), pln);
                prop_assert_eq!(ArpRepr::parse(&packet), parsed);
            }
            if let Ok(repr) = parsed {
                // What we accept, we re-emit bit for bit.
                prop_assert_eq!(&emit(&repr)[..], &bytes[..28]);
            }
        }

        #[test]
        fn valid_header_with_arbitrary_addresses_round_trips(
            op in 1u16..=2,
            body in any::<[u8; 20]>(),
        ) {
            let mut bytes = [0u8; 28];
            bytes[..8].copy_from_slice(&[0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, op as u8]);
            bytes[8..].copy_from_slice(&body);
            let repr = parse(&bytes).unwrap();
            prop_assert_eq!(emit(&repr), bytes.to_vec());
        }
    }
}
