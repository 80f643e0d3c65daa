//! Property tests for the UDP wire layer: no bytes from the network make the view, the
//! parser or `Display` panic; what Tundra emits parses back to the same Repr; and
//! etherparse (an independent implementation) agrees with us on what is a datagram
//! and on every checksum we compute.

use etherparse::{UdpHeader, UdpSlice};
use proptest::prelude::*;
use tundra_ip::{ChecksumMode, Ipv4Addr};
use tundra_udp::{UdpError, UdpPacket, UdpRepr, UDP_HEADER_LEN};

fn addr() -> impl Strategy<Value = Ipv4Addr> {
    any::<[u8; 4]>().prop_map(Ipv4Addr::from)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Arbitrary bytes: the checked view's accessors never panic, the payload stays
    /// inside the buffer, and parse returns a value or a typed error.
    #[test]
    fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80),
                             src in addr(), dst in addr()) {
        if let Ok(packet) = UdpPacket::new_checked(&bytes[..]) {
            let _ = (packet.src_port(), packet.dst_port(), packet.len(), packet.checksum(),
                     packet.is_empty(), packet.verify_checksum(src, dst));
            prop_assert!(packet.payload().len() + UDP_HEADER_LEN <= bytes.len());
        }
        for mode in [ChecksumMode::Verify, ChecksumMode::Ignore] {
            if let Ok(repr) = UdpRepr::parse(&UdpPacket::new_unchecked(&bytes[..]), src, dst, mode) {
                let _ = repr.to_string();
                let _ = repr.display_with(src, dst).to_string();
            }
        }
    }

    /// emit then parse gives the same Repr, and the checksum verifies.
    #[test]
    fn emit_parse_round_trip(src_port in any::<u16>(), dst_port in any::<u16>(),
                             payload in proptest::collection::vec(any::<u8>(), 0..1500),
                             src in addr(), dst in addr()) {
        let repr = UdpRepr { src_port, dst_port, payload: &payload };
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut UdpPacket::new_unchecked(&mut buf[..]), src, dst);
        let packet = UdpPacket::new_checked(&buf[..]).unwrap();
        prop_assert_ne!(packet.checksum(), 0, "we always send a checksum");
        prop_assert_eq!(UdpRepr::parse(&packet, src, dst, ChecksumMode::Verify), Ok(repr));
    }

    /// Our checksum is etherparse's, and etherparse reads our header fields back.
    #[test]
    fn checksum_agrees_with_etherparse(src_port in any::<u16>(), dst_port in any::<u16>(),
                                       payload in proptest::collection::vec(any::<u8>(), 0..600),
                                       src in addr(), dst in addr()) {
        let repr = UdpRepr { src_port, dst_port, payload: &payload };
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut UdpPacket::new_unchecked(&mut buf[..]), src, dst);
        let theirs = UdpHeader::with_ipv4_checksum(src_port, dst_port,
            &etherparse::Ipv4Header::new(0, 64, etherparse::IpNumber::UDP, src.octets(), dst.octets()).unwrap(),
            &payload).unwrap();
        let slice = UdpSlice::from_slice(&buf).unwrap();
        prop_assert_eq!(slice.to_header(), theirs);
        prop_assert_eq!(slice.payload(), &payload[..]);
    }

    /// Where etherparse and we disagree on accepting a datagram, it is only the one
    /// documented difference: a Length of zero, which etherparse reads as "use the
    /// buffer length" (RFC 2675 jumbograms, IPv6 only) and RFC 768 makes invalid.
    #[test]
    fn acceptance_agrees_with_etherparse(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        let ours = UdpPacket::new_checked(&bytes[..]);
        let theirs = UdpSlice::from_slice(&bytes);
        match (&ours, &theirs) {
            (Ok(p), Ok(s)) => {
                prop_assert_eq!(p.src_port(), s.source_port());
                prop_assert_eq!(p.dst_port(), s.destination_port());
                prop_assert_eq!(p.payload(), s.payload());
            }
            (Err(UdpError::BadLength), Ok(s)) => prop_assert_eq!(s.length(), 0),
            (Err(_), Err(_)) => {}
            (ours, theirs) => prop_assert!(false, "ours {:?} theirs {:?}", ours, theirs.is_ok()),
        }
    }
}
