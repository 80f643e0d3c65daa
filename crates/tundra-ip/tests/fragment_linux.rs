//! Reassembly of real Linux fragments, and properties of the reassembler under any
//! fragment set: it never panics, never holds more than its limits, and puts our own
//! fragments back together in any order.

use proptest::prelude::*;
use tundra_core::{Duration, Instant};
use tundra_ip::{
    fragments, ChecksumMode, FragmentError, Icmpv4Packet, Icmpv4Repr, IpProtocol, Ipv4Addr,
    Ipv4Packet, Ipv4Repr, Reassembler, ReassemblyConfig,
};

/// `ping -c 1 -s 3000 -p a5 10.0.0.2` from Linux, as three fragments (see
/// testdata/fragments/README.md).
const LINUX_PING_S3000: &str = include_str!("../../../testdata/fragments/linux-ping-s3000-tun.hex");

fn hex(line: &str) -> Vec<u8> {
    (0..line.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&line[i..i + 2], 16).unwrap())
        .collect()
}

fn linux_fragments() -> Vec<Vec<u8>> {
    LINUX_PING_S3000.lines().map(hex).collect()
}

#[test]
fn linux_ping_fragments_reassemble_in_every_order() {
    let frags = linux_fragments();
    assert_eq!(frags.len(), 3);
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    for order in orders {
        let mut r = Reassembler::new(ReassemblyConfig::default());
        let mut whole = None;
        for (n, &i) in order.iter().enumerate() {
            let packet = Ipv4Packet::new_checked(&frags[i][..]).unwrap();
            let header = Ipv4Repr::parse(&packet, ChecksumMode::Verify).unwrap();
            assert!(header.is_fragment());
            let out = r
                .accept(Instant::from_millis(n as i64), &header, packet.payload())
                .unwrap();
            assert_eq!(out.is_some(), n == 2, "order {order:?}");
            whole = out;
        }
        let whole = whole.unwrap();
        assert_eq!(whole.header.ident, 0x7613);
        assert_eq!(whole.header.protocol, IpProtocol::Icmp);
        assert_eq!(whole.data.len(), 3008);
        // The ICMP checksum covers the whole message: it verifies only if every byte
        // landed in its place.
        let icmp = Icmpv4Packet::new_checked(&whole.data[..]).unwrap();
        match Icmpv4Repr::parse(&icmp, ChecksumMode::Verify).unwrap() {
            Icmpv4Repr::EchoRequest { seq_no, data, .. } => {
                assert_eq!(seq_no, 1);
                // ping puts a 16-byte timestamp first, then the -p pattern.
                assert!(data[16..].iter().all(|&b| b == 0xa5));
            }
            other => panic!("not an echo request: {other}"),
        }
    }
}

#[test]
fn a_linux_fragment_arriving_twice_is_a_duplicate() {
    let frags = linux_fragments();
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let parse = |bytes: &[u8]| {
        let packet = Ipv4Packet::new_checked(bytes).unwrap();
        Ipv4Repr::parse(&packet, ChecksumMode::Verify).unwrap()
    };
    let payload = |bytes: &[u8]| Ipv4Packet::new_checked(bytes).unwrap().payload().to_vec();
    let now = Instant::ZERO;
    r.accept(now, &parse(&frags[1]), &payload(&frags[1]))
        .unwrap();
    assert_eq!(
        r.accept(now, &parse(&frags[1]), &payload(&frags[1])),
        Err(FragmentError::Duplicate)
    );
    r.accept(now, &parse(&frags[0]), &payload(&frags[0]))
        .unwrap();
    assert!(r
        .accept(now, &parse(&frags[2]), &payload(&frags[2]))
        .unwrap()
        .is_some());
}

fn header(ident: u16, offset: u16, len: usize, more: bool) -> Ipv4Repr {
    Ipv4Repr {
        src_addr: Ipv4Addr::new(10, 0, 0, 1),
        dst_addr: Ipv4Addr::new(10, 0, 0, 2),
        protocol: IpProtocol::Udp,
        payload_len: len,
        ttl: 64,
        ident,
        dont_frag: false,
        more_frags: more,
        frag_offset: offset,
        dscp_ecn: 0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any fragment set an attacker can send (offsets, lengths, flags, idents and
    /// arrival times at random): no panic, the memory limit always holds, every
    /// reassembled datagram is within 65515 bytes, and expiry empties everything.
    #[test]
    fn hostile_fragment_sets_stay_bounded(
        frags in proptest::collection::vec(
            (0u16..4, 0u16..8192, 0usize..2000, any::<bool>(), 0i64..40_000), 0..200)
    ) {
        let config = ReassemblyConfig {
            max_datagrams: 3,
            max_fragments: 16,
            max_bytes: 16 * 1024,
            timeout: Duration::from_secs(30),
        };
        let mut r = Reassembler::new(config);
        let data = vec![0x5au8; 2000];
        let mut now = Instant::ZERO;
        for (ident, block, len, more, dt) in frags {
            now += Duration::from_millis(dt as u64 / 100);
            let _ = r.expire(now);
            let h = header(ident, block * 8, len, more);
            if let Ok(Some(whole)) = r.accept(now, &h, &data[..len]) {
                prop_assert!(whole.data.len() <= 65_515);
                prop_assert_eq!(whole.header.payload_len, whole.data.len());
            }
            prop_assert!(r.bytes() <= config.max_bytes);
            prop_assert!(r.pending() <= config.max_datagrams);
        }
        let _ = r.expire(now + Duration::from_secs(31));
        prop_assert_eq!(r.pending(), 0);
        prop_assert_eq!(r.bytes(), 0);
    }

    /// Our own fragments, shuffled and with duplicates thrown in, come back whole.
    #[test]
    fn our_fragments_reassemble_in_any_order(
        len in 1usize..9000,
        mtu in 68usize..1500,
        seed in any::<u64>(),
        dups in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let original = header(42, 0, len, false);
        let mut pieces: Vec<_> = fragments(&original, mtu).unwrap().collect();
        for d in &dups {
            let copy = pieces[d.index(pieces.len())].clone();
            pieces.push(copy);
        }
        // A small deterministic shuffle (Fisher-Yates with an LCG from the seed).
        let mut state = seed;
        for i in (1..pieces.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            pieces.swap(i, (state >> 33) as usize % (i + 1));
        }
        let mut r = Reassembler::new(ReassemblyConfig {
            max_fragments: 1024,
            ..ReassemblyConfig::default()
        });
        let mut whole = None;
        for (h, range) in pieces {
            match r.accept(Instant::ZERO, &h, &data[range]) {
                Ok(Some(w)) => whole = Some(w),
                Ok(None) | Err(FragmentError::Duplicate) => {}
                Err(e) => prop_assert!(false, "{e}"),
            }
        }
        // A duplicate arriving after completion starts a new (harmless) buffer.
        let whole = whole.unwrap();
        prop_assert_eq!(whole.data, data);
        prop_assert_eq!(whole.header, original);
    }
}
