//! Property tests for the wire layer: no bytes from the network can make a view, a
//! parser or a `Display` panic, and whatever Tundra emits parses back to the same Repr.

use proptest::prelude::*;
use tundra_ip::{
    ChecksumMode, Icmpv4DstUnreachable, Icmpv4Packet, Icmpv4ParamProblem, Icmpv4Redirect,
    Icmpv4Repr, Icmpv4TimeExceeded, IpProtocol, Ipv4Addr, Ipv4Packet, Ipv4Repr,
};

/// Reads every field of a checked IPv4 view; any panic fails the property.
fn touch_ipv4(packet: &Ipv4Packet<&[u8]>) {
    let _ = (
        packet.version(),
        packet.header_len(),
        packet.dscp(),
        packet.ecn(),
        packet.total_len(),
        packet.ident(),
        packet.dont_frag(),
        packet.more_frags(),
        packet.frag_offset(),
        packet.is_fragment(),
        packet.ttl(),
        packet.protocol(),
        packet.checksum(),
        packet.src_addr(),
        packet.dst_addr(),
        packet.options(),
        packet.verify_checksum(),
        packet.payload(),
    );
}

/// Reads every field of a checked ICMPv4 view.
fn touch_icmp(packet: &Icmpv4Packet<&[u8]>) {
    let _ = (
        packet.msg_type(),
        packet.msg_code(),
        packet.checksum(),
        packet.rest_of_header(),
        packet.echo_ident(),
        packet.echo_seq_no(),
        packet.next_hop_mtu(),
        packet.param_problem_pointer(),
        packet.redirect_gateway(),
        packet.verify_checksum(),
        packet.data(),
    );
}

fn check_ipv4_bytes(bytes: &[u8]) {
    if let Ok(packet) = Ipv4Packet::new_checked(bytes) {
        touch_ipv4(&packet);
        assert!(packet.payload().len() <= bytes.len());
    }
    // parse runs its own length checks, so an unchecked view is fine too.
    let unchecked = Ipv4Packet::new_unchecked(bytes);
    for mode in [ChecksumMode::Verify, ChecksumMode::Ignore] {
        if let Ok(repr) = Ipv4Repr::parse(&unchecked, mode) {
            let _ = repr.to_string();
            assert!(repr.total_len() <= bytes.len());
        }
    }
}

fn check_icmp_bytes(bytes: &[u8]) {
    if let Ok(packet) = Icmpv4Packet::new_checked(bytes) {
        touch_icmp(&packet);
    }
    let unchecked = Icmpv4Packet::new_unchecked(bytes);
    for mode in [ChecksumMode::Verify, ChecksumMode::Ignore] {
        if let Ok(repr) = Icmpv4Repr::parse(&unchecked, mode) {
            let _ = repr.to_string();
            let _ = repr.msg_type();
            // Every Repr that parses can be emitted again.
            let mut out = vec![0u8; repr.buffer_len()];
            repr.emit(&mut Icmpv4Packet::new_unchecked(&mut out[..]));
        }
    }
}

fn addr() -> impl Strategy<Value = Ipv4Addr> {
    any::<u32>().prop_map(Ipv4Addr::from)
}

prop_compose! {
    /// Any header Tundra can emit: fragment offsets are multiples of 8 and the
    /// datagram fits Total Length.
    fn ipv4_repr(max_payload: usize)(
        src_addr in addr(),
        dst_addr in addr(),
        protocol in any::<u8>().prop_map(IpProtocol::from),
        payload_len in 0..=max_payload,
        ttl in any::<u8>(),
        ident in any::<u16>(),
        dont_frag in any::<bool>(),
        more_frags in any::<bool>(),
        frag_units in 0..=0x1fffu16,
        dscp_ecn in any::<u8>(),
    ) -> Ipv4Repr {
        Ipv4Repr {
            src_addr,
            dst_addr,
            protocol,
            payload_len,
            ttl,
            ident,
            dont_frag,
            more_frags,
            frag_offset: frag_units * 8,
            dscp_ecn,
        }
    }
}

/// An ICMP error message's parts: which variant (0..5), a code, extra fields, the quoted
/// header and the quoted data (at least 64 bits, or the whole original data if less).
fn icmp_error_parts() -> impl Strategy<Value = (u8, u8, u16, Ipv4Addr, Ipv4Repr, Vec<u8>)> {
    let code = prop_oneof![0..16u8, any::<u8>()];
    (0..5u8, code, any::<u16>(), addr(), ipv4_repr(65515)).prop_flat_map(
        |(kind, code, extra, gateway, header)| {
            let min = header.payload_len.min(8);
            let data = prop::collection::vec(any::<u8>(), min..=min + 548);
            (
                Just(kind),
                Just(code),
                Just(extra),
                Just(gateway),
                Just(header),
                data,
            )
        },
    )
}

fn build_error<'a>(
    kind: u8,
    code: u8,
    extra: u16,
    gateway: Ipv4Addr,
    header: Ipv4Repr,
    data: &'a [u8],
) -> Icmpv4Repr<'a> {
    match kind {
        0 => Icmpv4Repr::DstUnreachable {
            reason: Icmpv4DstUnreachable::from_wire(code, extra),
            header,
            data,
        },
        1 => Icmpv4Repr::TimeExceeded {
            reason: Icmpv4TimeExceeded::from(code),
            header,
            data,
        },
        2 => Icmpv4Repr::ParamProblem {
            reason: Icmpv4ParamProblem::from(code),
            pointer: extra as u8,
            header,
            data,
        },
        3 => Icmpv4Repr::Redirect {
            reason: Icmpv4Redirect::from(code),
            gateway,
            header,
            data,
        },
        _ => Icmpv4Repr::SourceQuench { header, data },
    }
}

/// An error message with an arbitrary quote: type 3/4/5/11/12, then a first quoted
/// byte that often says "IPv4, IHL 5..15", then anything.
fn icmp_error_bytes() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec![0x03u8, 0x04, 0x05, 0x0b, 0x0c]),
        any::<[u8; 7]>(),
        prop_oneof![0x40..=0x4fu8, any::<u8>()],
        prop::collection::vec(any::<u8>(), 0..80),
    )
        .prop_map(|(msg_type, rest, first, quote)| {
            let mut bytes = vec![msg_type];
            bytes.extend_from_slice(&rest);
            bytes.push(first);
            bytes.extend_from_slice(&quote);
            bytes
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn arbitrary_bytes_never_panic_ipv4(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        check_ipv4_bytes(&bytes);
    }

    /// Random bytes rarely say "version 4, IHL 5..15": start most of them that way so
    /// the deeper checks run.
    #[test]
    fn ipv4_looking_bytes_never_panic(
        first in 0x40..=0x4fu8,
        rest in prop::collection::vec(any::<u8>(), 0..120),
    ) {
        let mut bytes = vec![first];
        bytes.extend_from_slice(&rest);
        check_ipv4_bytes(&bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic_icmp(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        check_icmp_bytes(&bytes);
    }

    #[test]
    fn icmp_error_bytes_never_panic(bytes in icmp_error_bytes()) {
        check_icmp_bytes(&bytes);
    }

    /// A valid datagram with a few bytes changed: never a panic, and a change to the
    /// data alone does not affect the header.
    #[test]
    fn corrupted_datagrams_never_panic(
        repr in ipv4_repr(100),
        corruption in prop::collection::vec((any::<prop::sample::Index>(), 1..=255u8), 1..4),
    ) {
        let mut bytes = vec![0u8; repr.total_len()];
        repr.emit(&mut Ipv4Packet::new_unchecked(&mut bytes[..]));
        let mut header_changed = false;
        for (index, flip) in corruption {
            let i = index.index(bytes.len());
            bytes[i] ^= flip;
            header_changed |= i < 20;
        }
        check_ipv4_bytes(&bytes);
        let parsed = Ipv4Repr::parse(&Ipv4Packet::new_unchecked(&bytes[..]), ChecksumMode::Verify);
        if !header_changed {
            prop_assert_eq!(parsed, Ok(repr));
        }
    }

    /// Emit then parse gives back the same header, and the bytes carry every field.
    #[test]
    fn ipv4_repr_round_trips(repr in ipv4_repr(65515)) {
        let mut bytes = vec![0u8; repr.total_len()];
        let mut packet = Ipv4Packet::new_unchecked(&mut bytes[..]);
        repr.emit(&mut packet);
        let packet = Ipv4Packet::new_checked(&bytes[..]).unwrap();
        prop_assert!(packet.verify_checksum());
        prop_assert_eq!(packet.payload().len(), repr.payload_len);
        prop_assert_eq!(Ipv4Repr::parse(&packet, ChecksumMode::Verify), Ok(repr));
        let _ = repr.to_string();
    }

    #[test]
    fn icmp_echo_round_trips(
        request in any::<bool>(),
        ident in any::<u16>(),
        seq_no in any::<u16>(),
        data in prop::collection::vec(any::<u8>(), 0..1500),
    ) {
        let repr = if request {
            Icmpv4Repr::EchoRequest { ident, seq_no, data: &data }
        } else {
            Icmpv4Repr::EchoReply { ident, seq_no, data: &data }
        };
        let mut bytes = vec![0u8; repr.buffer_len()];
        repr.emit(&mut Icmpv4Packet::new_unchecked(&mut bytes[..]));
        let packet = Icmpv4Packet::new_checked(&bytes[..]).unwrap();
        prop_assert_eq!(Icmpv4Repr::parse(&packet, ChecksumMode::Verify), Ok(repr));
        prop_assert_eq!(packet.data(), &data[..]);
    }

    #[test]
    fn icmp_errors_round_trip(
        (kind, code, extra, gateway, header, data) in icmp_error_parts(),
    ) {
        let repr = build_error(kind, code, extra, gateway, header, &data);
        let mut bytes = vec![0u8; repr.buffer_len()];
        repr.emit(&mut Icmpv4Packet::new_unchecked(&mut bytes[..]));
        let packet = Icmpv4Packet::new_checked(&bytes[..]).unwrap();
        prop_assert_eq!(Icmpv4Repr::parse(&packet, ChecksumMode::Verify), Ok(repr));
        let _ = repr.to_string();
    }
}
