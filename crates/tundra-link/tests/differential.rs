//! Differential tests of the link layer: our Ethernet II and ARP parsers against
//! etherparse (0.16) and smoltcp's `wire` module (0.14) on the same bytes.
//!
//! For every input, random or mutated from a valid frame:
//! - the views (`Frame::new_checked`, `ArpPacket::new_checked`) accept exactly the
//!   buffers the reference views accept, and read the same value from every field;
//! - our `EthernetRepr::parse` and `ArpRepr::parse` accept exactly what the references
//!   accept, except for the intended differences below, and agree on every field;
//! - everything we emit, the references parse with the same fields; everything smoltcp
//!   emits, we parse with the same fields.
//!
//! etherparse 0.16 has no ARP parser (only the hardware type numbers), so ARP is
//! compared with smoltcp alone.
//!
//! # Intended differences
//!
//! The one list, with the RFC or IEEE reason for each, is `docs/differential.md`. Each
//! is filtered at exactly one place in the comparison (look for its tag) and shown on
//! its own by a named test at the bottom, so a change in either library shows up here.
//!
//! - **L1, both: an IEEE 802.3 length in the type field** (below 0x0600). Both read
//!   the header of any 14 bytes; we accept only Ethernet II (RFC 894, IEEE 802.3
//!   §3.2.6) and report `Ieee8023`.
//! - **L2, both: a VLAN tag protocol identifier in the type field** (0x8100, 0x88a8,
//!   0x9100). Our interface is untagged (IEEE 802.1Q §9.5) and reports `VlanTagged`.
//! - **L3, both: a group (multicast) source address.** IEEE 802.3 §3.2.3: the first
//!   bit of the source address is reserved and 0; we report `GroupSource`.
//! - **A1, smoltcp: an ARP operation other than request (1) or reply (2).** smoltcp
//!   keeps it as `Operation::Unknown`; RFC 826 defines only these two for ARP (RARP's
//!   3 and 4 are RFC 903, on EtherType 0x8035; InARP's 8 and 9 are RFC 2390), so we
//!   report `UnknownOperation`.

use etherparse::Ethernet2Header;
use proptest::prelude::*;
use smoltcp::wire::{
    ArpHardware, ArpOperation as SmolOperation, ArpPacket as SmolArpPacket, ArpRepr as SmolArpRepr,
    EthernetAddress as SmolMac, EthernetFrame as SmolFrame, EthernetProtocol,
    EthernetRepr as SmolEthRepr,
};
use tundra_link::{
    ArpError, ArpOperation, ArpPacket, ArpRepr, EtherType, EthernetAddress, EthernetError,
    EthernetRepr, Frame, Ipv4Addr,
};

/// Cases per property: at least 10,000 (the floor for CI), more with
/// `PROPTEST_CASES`.
fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 10_000;
    }
    config
}

// --- the parsers ---

fn ours_eth(bytes: &[u8]) -> Result<EthernetRepr, EthernetError> {
    EthernetRepr::parse(&Frame::new_checked(bytes)?)
}

fn smol_eth(bytes: &[u8]) -> smoltcp::wire::Result<SmolEthRepr> {
    SmolEthRepr::parse(&SmolFrame::new_checked(bytes)?)
}

fn ours_arp(bytes: &[u8]) -> Result<ArpRepr, ArpError> {
    ArpRepr::parse(&ArpPacket::new_unchecked(bytes))
}

fn smol_arp(bytes: &[u8]) -> smoltcp::wire::Result<SmolArpRepr> {
    SmolArpRepr::parse(&SmolArpPacket::new_checked(bytes)?)
}

/// The fields of smoltcp's ARP repr (its enum is non-exhaustive).
fn smol_fields(
    repr: &SmolArpRepr,
) -> Option<(SmolOperation, SmolMac, Ipv4Addr, SmolMac, Ipv4Addr)> {
    match *repr {
        SmolArpRepr::EthernetIpv4 {
            operation,
            source_hardware_addr,
            source_protocol_addr,
            target_hardware_addr,
            target_protocol_addr,
        } => Some((
            operation,
            source_hardware_addr,
            source_protocol_addr,
            target_hardware_addr,
            target_protocol_addr,
        )),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

// --- the comparisons ---

/// Runs the three Ethernet parsers on `bytes` and checks that they agree, up to L1..L3;
/// if the frame carries ARP, compares the ARP parsers on its payload too.
fn differential_eth(bytes: &[u8]) -> Result<(), TestCaseError> {
    let view = Frame::new_checked(bytes);
    let smol_view = SmolFrame::new_checked(bytes);
    let ether = Ethernet2Header::from_slice(bytes);
    prop_assert_eq!(view.is_ok(), smol_view.is_ok(), "view vs smoltcp");
    prop_assert_eq!(view.is_ok(), ether.is_ok(), "view vs etherparse");
    let (Ok(view), Ok(smol_view), Ok((ether, ether_payload))) = (view, smol_view, ether) else {
        prop_assert_eq!(ours_eth(bytes), Err(EthernetError::Truncated));
        return Ok(());
    };
    // Every field, read by the three views.
    let fields = (
        view.dst_addr().0,
        view.src_addr().0,
        u16::from(view.ethertype()),
    );
    prop_assert_eq!(
        fields,
        (
            smol_view.dst_addr().0,
            smol_view.src_addr().0,
            u16::from(smol_view.ethertype())
        )
    );
    prop_assert_eq!(
        fields,
        (ether.destination, ether.source, ether.ether_type.0)
    );
    prop_assert_eq!(view.payload(), smol_view.payload());
    prop_assert_eq!(view.payload(), ether_payload);

    // Both references accept any 14 bytes; we accept Ethernet II from a station.
    let smol = smol_eth(bytes).map_err(|e| TestCaseError::fail(format!("smoltcp: {e}")))?;
    let raw_type = u16::from(smol.ethertype);
    match ours_eth(bytes) {
        Ok(repr) => {
            prop_assert_eq!(repr.src_addr.0, smol.src_addr.0);
            prop_assert_eq!(repr.dst_addr.0, smol.dst_addr.0);
            prop_assert_eq!(u16::from(repr.ethertype), raw_type);
            prop_assert_eq!(u16::from(repr.ethertype), ether.ether_type.0);
            let _ = repr.to_string();
            if repr.ethertype == EtherType::Arp {
                differential_arp(view.payload())?;
            }
        }
        // L1: IEEE 802.3 §3.2.6, a value below 0x0600 is a length, not an EtherType.
        Err(EthernetError::Ieee8023(raw)) => {
            prop_assert!(raw < 0x0600 && raw == raw_type);
        }
        // L2: IEEE 802.1Q §9.5, a TPID in the type field means a tag follows.
        Err(EthernetError::VlanTagged(tpid)) => {
            prop_assert!(EtherType::VLAN_TPIDS.contains(&tpid) && tpid == raw_type);
        }
        // L3: IEEE 802.3 §3.2.3, the source address's first bit is reserved and 0.
        Err(EthernetError::GroupSource(src)) => {
            prop_assert!(src.is_multicast() && src.0 == smol.src_addr.0);
            prop_assert!(raw_type >= 0x0600 && !EtherType::VLAN_TPIDS.contains(&raw_type));
        }
        Err(e) => prop_assert!(false, "we reject ({}) what both accept", e),
    }
    Ok(())
}

/// Runs our ARP parser and smoltcp's on `bytes` and checks that they agree, up to A1.
fn differential_arp(bytes: &[u8]) -> Result<(), TestCaseError> {
    let view = ArpPacket::new_checked(bytes);
    let smol_view = SmolArpPacket::new_checked(bytes);
    prop_assert_eq!(view.is_ok(), smol_view.is_ok(), "view vs smoltcp");
    if let (Ok(p), Ok(s)) = (&view, &smol_view) {
        prop_assert_eq!(p.hardware_type(), u16::from(s.hardware_type()));
        prop_assert_eq!(u16::from(p.protocol_type()), u16::from(s.protocol_type()));
        prop_assert_eq!(p.hardware_len(), s.hardware_len());
        prop_assert_eq!(p.protocol_len(), s.protocol_len());
        prop_assert_eq!(u16::from(p.operation()), u16::from(s.operation()));
        prop_assert_eq!(p.source_hardware_addr(), s.source_hardware_addr());
        prop_assert_eq!(p.source_protocol_addr(), s.source_protocol_addr());
        prop_assert_eq!(p.target_hardware_addr(), s.target_hardware_addr());
        prop_assert_eq!(p.target_protocol_addr(), s.target_protocol_addr());
    }
    let smol = smol_arp(bytes).map(|r| smol_fields(&r));
    match (ours_arp(bytes), smol) {
        (Ok(o), Ok(Some((operation, sha, spa, tha, tpa)))) => {
            prop_assert_eq!(u16::from(o.operation), u16::from(operation));
            prop_assert_eq!(o.source_hardware_addr.0, sha.0);
            prop_assert_eq!(o.source_protocol_addr, spa);
            prop_assert_eq!(o.target_hardware_addr.0, tha.0);
            prop_assert_eq!(o.target_protocol_addr, tpa);
            let _ = o.to_string();
        }
        (Err(_), Err(_)) => {}
        // A1: RFC 826 defines request and reply only; smoltcp keeps any operation.
        (Err(ArpError::UnknownOperation(op)), Ok(Some((operation, ..)))) => {
            prop_assert!(op != 1 && op != 2 && op == u16::from(operation));
        }
        (Err(e), Ok(_)) => prop_assert!(false, "we reject ({}) what smoltcp accepts", e),
        (Ok(o), Err(e)) => prop_assert!(false, "smoltcp rejects ({}) what we accept: {}", e, o),
        (Ok(_), Ok(None)) => prop_assert!(false, "smoltcp parsed another kind of ARP"),
    }
    Ok(())
}

// --- inputs ---

fn arb_mac() -> impl Strategy<Value = EthernetAddress> {
    prop_oneof![
        3 => any::<[u8; 6]>().prop_map(|mut b| {
            b[0] &= 0xfe;
            EthernetAddress(b)
        }),
        1 => Just(EthernetAddress::BROADCAST),
        1 => any::<[u8; 6]>().prop_map(EthernetAddress),
    ]
}

fn arb_ipv4() -> impl Strategy<Value = Ipv4Addr> {
    any::<[u8; 4]>().prop_map(Ipv4Addr::from)
}

prop_compose! {
    /// A valid ARP packet for IPv4 over Ethernet.
    fn arb_arp_repr()(
        reply in any::<bool>(),
        sha in arb_mac(),
        spa in arb_ipv4(),
        tha in arb_mac(),
        tpa in arb_ipv4(),
    ) -> ArpRepr {
        ArpRepr {
            operation: if reply { ArpOperation::Reply } else { ArpOperation::Request },
            source_hardware_addr: sha,
            source_protocol_addr: spa,
            target_hardware_addr: tha,
            target_protocol_addr: tpa,
        }
    }
}

fn arb_ethertype() -> impl Strategy<Value = EtherType> {
    prop_oneof![
        3 => Just(EtherType::Ipv4),
        3 => Just(EtherType::Arp),
        1 => Just(EtherType::Ipv6),
        1 => (0x0600u16..).prop_map(EtherType::from),
    ]
}

prop_compose! {
    /// A valid Ethernet II header (individual source) with `payload`.
    fn arb_eth_repr()(
        mut src in arb_mac(),
        dst in arb_mac(),
        ethertype in arb_ethertype(),
    ) -> EthernetRepr {
        src.0[0] &= 0xfe;
        let ethertype = if ethertype.is_vlan_tpid() { EtherType::Ipv4 } else { ethertype };
        EthernetRepr { src_addr: src, dst_addr: dst, ethertype }
    }
}

fn emit_arp(repr: &ArpRepr) -> Vec<u8> {
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut ArpPacket::new_unchecked(&mut buf[..]));
    buf
}

fn emit_frame(eth: &EthernetRepr, payload: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; eth.buffer_len() + payload.len()];
    let mut frame = Frame::new_unchecked(&mut buf[..]);
    eth.emit(&mut frame);
    frame.payload_mut().copy_from_slice(payload);
    buf
}

prop_compose! {
    /// A valid frame: an ARP packet (padded or not to the 60-byte minimum), or an
    /// arbitrary payload behind another EtherType.
    fn arb_valid_frame()(
        mut eth in arb_eth_repr(),
        arp in arb_arp_repr(),
        pad in any::<bool>(),
        other in proptest::collection::vec(any::<u8>(), 0..64),
    ) -> Vec<u8> {
        let payload = if eth.ethertype == EtherType::Arp || other.is_empty() {
            eth.ethertype = EtherType::Arp;
            let mut p = emit_arp(&arp);
            if pad {
                p.resize(46, 0);
            }
            p
        } else {
            other
        };
        emit_frame(&eth, &payload)
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    /// XOR one byte (index taken modulo the length).
    Flip(usize, u8),
    /// Overwrite one of the interesting fields with an interesting value.
    Field(usize, u16),
    /// Cut the buffer to this length (modulo the length + 1).
    Truncate(usize),
    /// Append bytes.
    Extend(Vec<u8>),
}

/// Offsets of the 16-bit fields where the rules live: the EtherType, and in an ARP
/// payload ar$hrd, ar$pro, ar$hln/ar$pln and ar$op.
const FIELD_OFFSETS: [usize; 5] = [12, 14, 16, 18, 20];
/// Values that sit on the rules' edges.
const FIELD_VALUES: [u16; 14] = [
    0x0000, 0x0001, 0x0002, 0x0003, 0x0604, 0x0806, 0x0800, 0x05dc, 0x05dd, 0x0600, 0x8100, 0x88a8,
    0x9100, 0xffff,
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 1u8..).prop_map(|(i, x)| Mutation::Flip(i, x)),
        3 => (
            proptest::sample::select(FIELD_OFFSETS.to_vec()),
            proptest::sample::select(FIELD_VALUES.to_vec())
        )
            .prop_map(|(at, v)| Mutation::Field(at, v)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => proptest::collection::vec(any::<u8>(), 1..8).prop_map(Mutation::Extend),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        match m {
            Mutation::Flip(i, x) if !bytes.is_empty() => {
                let at = i % bytes.len();
                bytes[at] ^= x;
            }
            Mutation::Flip(..) => {}
            Mutation::Field(at, v) => {
                if let Some(field) = bytes.get_mut(*at..*at + 2) {
                    field.copy_from_slice(&v.to_be_bytes());
                }
            }
            Mutation::Truncate(n) => bytes.truncate(n % (bytes.len() + 1)),
            Mutation::Extend(more) => bytes.extend_from_slice(more),
        }
    }
    bytes
}

fn smol_arp_repr() -> impl Strategy<Value = SmolArpRepr> {
    (
        any::<u16>(),
        any::<[u8; 6]>(),
        any::<[u8; 4]>(),
        any::<[u8; 6]>(),
        any::<[u8; 4]>(),
    )
        .prop_map(|(op, sha, spa, tha, tpa)| SmolArpRepr::EthernetIpv4 {
            operation: SmolOperation::from(op),
            source_hardware_addr: SmolMac(sha),
            source_protocol_addr: spa.into(),
            target_hardware_addr: SmolMac(tha),
            target_protocol_addr: tpa.into(),
        })
}

proptest! {
    #![proptest_config(config())]

    /// Random bytes as an Ethernet frame: the three agree on every field, up to L1..L3.
    #[test]
    fn random_frames(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        differential_eth(&bytes)?;
    }

    /// Random bytes as an ARP packet: we and smoltcp agree, up to A1.
    #[test]
    fn random_arp_packets(bytes in proptest::collection::vec(any::<u8>(), 0..48)) {
        differential_arp(&bytes)?;
    }

    /// Random bytes behind a valid ARP header prefix (hrd 1, pro 0x0800, hln 6, pln 4)
    /// so the address fields and the operation are reached.
    #[test]
    fn random_arp_bodies(
        op in any::<u16>(),
        body in proptest::collection::vec(any::<u8>(), 0..32),
    ) {
        let mut bytes = vec![0x00, 0x01, 0x08, 0x00, 0x06, 0x04];
        bytes.extend_from_slice(&op.to_be_bytes());
        bytes.extend_from_slice(&body);
        differential_arp(&bytes)?;
    }

    /// Valid frames (ARP or other) with a few fields overwritten, bytes flipped, cut
    /// or added.
    #[test]
    fn mutated_valid_frames(
        frame in arb_valid_frame(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        differential_eth(&mutate(frame, &mutations))?;
    }

    /// Everything we emit, both parse with the same fields.
    #[test]
    fn what_we_emit_both_parse(eth in arb_eth_repr(), arp in arb_arp_repr()) {
        let eth = EthernetRepr { ethertype: EtherType::Arp, ..eth };
        let bytes = emit_frame(&eth, &emit_arp(&arp));
        prop_assert_eq!(ours_eth(&bytes), Ok(eth));
        let smol = smol_eth(&bytes).expect("smoltcp parses our frame");
        prop_assert_eq!(smol.ethertype, EthernetProtocol::Arp);
        let (ether, payload) = Ethernet2Header::from_slice(&bytes).expect("etherparse parses it");
        prop_assert_eq!(ether.ether_type, etherparse::EtherType::ARP);
        prop_assert_eq!(payload.len(), 28);
        let (operation, ..) = smol_fields(&smol_arp(payload).expect("smoltcp parses our ARP"))
            .expect("IPv4 over Ethernet");
        let expected = if arp.operation == ArpOperation::Request {
            SmolOperation::Request
        } else {
            SmolOperation::Reply
        };
        prop_assert_eq!(operation, expected);
        differential_eth(&bytes)?;
    }

    /// Everything smoltcp emits, we parse with the same fields (up to A1).
    #[test]
    fn what_smoltcp_emits_we_parse(
        src in any::<[u8; 6]>(),
        dst in any::<[u8; 6]>(),
        arp in smol_arp_repr(),
    ) {
        let mut bytes = vec![0u8; 14 + arp.buffer_len()];
        let mut frame = SmolFrame::new_unchecked(&mut bytes[..]);
        SmolEthRepr {
            src_addr: SmolMac(src),
            dst_addr: SmolMac(dst),
            ethertype: EthernetProtocol::Arp,
        }
        .emit(&mut frame);
        arp.emit(&mut SmolArpPacket::new_unchecked(frame.payload_mut()));
        let (operation, ..) = smol_fields(&arp).expect("IPv4 over Ethernet");
        if src[0] & 0x01 == 0 && matches!(operation, SmolOperation::Request | SmolOperation::Reply) {
            let repr = ours_arp(&bytes[14..]).expect("we parse smoltcp's ARP");
            prop_assert_eq!(u16::from(repr.operation), u16::from(operation));
            prop_assert!(ours_eth(&bytes).is_ok());
        }
        differential_eth(&bytes)?;
    }
}

// --- the intended differences, one by one ---

/// A broadcast ARP request from 52:54:00:12:34:56 (10.0.0.1) for 10.0.0.2, as Linux
/// puts it on a TAP device.
fn arp_request_frame() -> Vec<u8> {
    let eth = EthernetRepr {
        src_addr: EthernetAddress([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]),
        dst_addr: EthernetAddress::BROADCAST,
        ethertype: EtherType::Arp,
    };
    let arp = ArpRepr::request(
        eth.src_addr,
        Ipv4Addr::new(10, 0, 0, 1),
        Ipv4Addr::new(10, 0, 0, 2),
    );
    emit_frame(&eth, &emit_arp(&arp))
}

#[test]
fn the_comparison_bites_on_a_plain_arp_request() {
    let bytes = arp_request_frame();
    differential_eth(&bytes).unwrap();
    assert!(ours_eth(&bytes).is_ok() && ours_arp(&bytes[14..]).is_ok());
    assert!(smol_eth(&bytes).is_ok() && smol_arp(&bytes[14..]).is_ok());
}

#[test]
fn l1_ieee_802_3_length_field() {
    let mut bytes = arp_request_frame();
    bytes[12..14].copy_from_slice(&0x0026u16.to_be_bytes()); // an STP BPDU's length
    assert_eq!(ours_eth(&bytes), Err(EthernetError::Ieee8023(0x0026)));
    assert!(smol_eth(&bytes).is_ok());
    assert!(Ethernet2Header::from_slice(&bytes).is_ok());
    differential_eth(&bytes).unwrap();
}

#[test]
fn l2_vlan_tag() {
    let mut bytes = arp_request_frame();
    bytes[12..14].copy_from_slice(&0x8100u16.to_be_bytes());
    assert_eq!(ours_eth(&bytes), Err(EthernetError::VlanTagged(0x8100)));
    assert!(smol_eth(&bytes).is_ok());
    assert!(Ethernet2Header::from_slice(&bytes).is_ok());
    differential_eth(&bytes).unwrap();
}

#[test]
fn l3_group_source_address() {
    let mut bytes = arp_request_frame();
    bytes[6] |= 0x01;
    assert!(matches!(
        ours_eth(&bytes),
        Err(EthernetError::GroupSource(_))
    ));
    assert!(smol_eth(&bytes).is_ok());
    assert!(Ethernet2Header::from_slice(&bytes).is_ok());
    differential_eth(&bytes).unwrap();
}

#[test]
fn a1_rarp_operation() {
    let mut bytes = arp_request_frame();
    bytes[20..22].copy_from_slice(&0x0003u16.to_be_bytes()); // RARP request (RFC 903)
    assert_eq!(ours_arp(&bytes[14..]), Err(ArpError::UnknownOperation(3)));
    let (operation, ..) = smol_fields(&smol_arp(&bytes[14..]).expect("smoltcp keeps it"))
        .expect("IPv4 over Ethernet");
    assert_eq!(operation, SmolOperation::Unknown(3));
    differential_eth(&bytes).unwrap();
}

/// And rejections with no difference at all: both refuse a non-Ethernet hardware type
/// and a truncated packet, as we do.
#[test]
fn both_reject_a_wrong_hardware_type_and_a_short_packet() {
    let mut bytes = arp_request_frame();
    bytes[14..16].copy_from_slice(&0x0006u16.to_be_bytes());
    assert_eq!(ours_arp(&bytes[14..]), Err(ArpError::BadHardwareType(6)));
    assert!(smol_arp(&bytes[14..]).is_err());
    assert_eq!(
        SmolArpPacket::new_checked(&bytes[14..])
            .unwrap()
            .hardware_type(),
        ArpHardware::Unknown(6)
    );
    differential_eth(&bytes).unwrap();
    let short = &arp_request_frame()[..14 + 27];
    assert_eq!(ours_arp(&short[14..]), Err(ArpError::Truncated));
    assert!(smol_arp(&short[14..]).is_err());
    differential_eth(short).unwrap();
}
