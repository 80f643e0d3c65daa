//! Differential tests of the TCP wire format: our parser against etherparse (0.16) and
//! smoltcp's `wire` module (0.14) on the same bytes.
//!
//! For every input, random or mutated from a valid segment:
//! - the three views accept or reject the same buffers, and agree on every header field;
//! - our `TcpRepr::parse` accepts exactly when smoltcp's `TcpRepr::parse` does, and when
//!   etherparse's slice, options iterator and checksum all say yes, except for the
//!   intended differences below; when they accept, ports, seq, ack, flags, window,
//!   options and payload agree;
//! - everything we emit, both parse with the same fields (and what smoltcp emits, we
//!   parse with the same fields).
//!
//! # Intended differences
//!
//! Each is filtered at exactly one place in the comparison (look for its tag) and shown
//! on its own by a named test at the bottom, so if a library changes its behaviour the
//! list has to change with it.
//!
//! - **D1, smoltcp: more than one of SYN, FIN, RST.** smoltcp's `Repr` has a single
//!   `Control` and rejects such segments. We accept them: they are well-formed on the
//!   wire, and RFC 9293 §3.10.7 says what to do with each bit in order (RST is checked
//!   before SYN; a SYN+FIN probe must still get its RST or challenge ACK), so the
//!   decision belongs to the state machine.
//! - **D2, smoltcp: a fourth SACK block.** smoltcp keeps at most 3 blocks. RFC 2018 §3
//!   allows 4 when no timestamps are present (2 + 4 * 8 = 34 <= 40 bytes); we keep all 4.
//! - **D3, smoltcp: a timestamps option whose length is not 10.** smoltcp files it as an
//!   unknown option and skips it. RFC 7323 §3.2 defines kind 8 as length 10; like
//!   etherparse, we reject it as malformed (RFC 9293 §3.1: an illegal option length is
//!   an error, not a different option).
//! - **D4, etherparse: checksum field 0xffff where the checksum computes to 0.** One's
//!   complement has two zeros; RFC 1071 §1 verifies by summing the segment *including*
//!   the checksum field and checking for all ones, which accepts both. etherparse
//!   recomputes and compares with `==`, so it only accepts 0x0000 (smoltcp sums, like
//!   us).
//! - **D5, etherparse: port 0.** etherparse's slice does not look at ports. We (and
//!   smoltcp) drop segments from or to port 0, which is reserved (RFC 6335 §6) and can
//!   never be a connection's endpoint.
//! - **D6, etherparse: window scale above 14.** etherparse reports the shift as sent;
//!   we (and smoltcp) use 14 (RFC 7323 §2.3 "MUST use 14 instead"). The comparison
//!   clamps etherparse's value.
//! - **D7, etherparse: an option kind it does not know.** etherparse's iterator stops
//!   with `UnknownId`. RFC 9293 §3.1 (and RFC 1122 §4.2.2.5) require unknown options to
//!   be skipped by their length, which we and smoltcp do; past that point we compare
//!   with smoltcp only.

use core::net::Ipv4Addr;

use etherparse::{TcpOptionElement, TcpOptionReadError, TcpSlice};
use proptest::prelude::*;
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    IpAddress, TcpControl, TcpPacket as SmolPacket, TcpRepr as SmolRepr, TcpSeqNumber,
    TcpTimestampRepr,
};
use tundra_tcp::options::kind;
use tundra_tcp::{
    emit_segment, ChecksumMode, OptionError, SeqNumber, TcpFlags, TcpOptions, TcpPacket, TcpRepr,
    TcpTimestamp, WireError,
};

const SRC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const DST: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 7);

/// The option kinds we parse; any other kind is skipped (D7).
const KNOWN_KINDS: [u8; 7] = [
    kind::END,
    kind::NOP,
    kind::MSS,
    kind::WINDOW_SCALE,
    kind::SACK_PERMITTED,
    kind::SACK,
    kind::TIMESTAMPS,
];

// --- the three parsers ---

fn ours(bytes: &[u8]) -> Result<TcpRepr<'_>, WireError> {
    let packet = TcpPacket::new_checked(bytes)?;
    TcpRepr::parse(&packet, SRC, DST, ChecksumMode::Verify)
}

fn smol(bytes: &[u8]) -> smoltcp::wire::Result<SmolRepr<'_>> {
    let packet = SmolPacket::new_checked(bytes)?;
    SmolRepr::parse(
        &packet,
        &IpAddress::Ipv4(SRC),
        &IpAddress::Ipv4(DST),
        &ChecksumCapabilities::default(),
    )
}

/// etherparse's options folded the way we fold ours (the later duplicate wins), with
/// the window scale clamped to 14 (D6).
fn ether_options(slice: &TcpSlice<'_>) -> Result<TcpOptions, TcpOptionReadError> {
    let mut out = TcpOptions::default();
    for element in slice.options_iterator() {
        match element? {
            TcpOptionElement::Noop => {}
            TcpOptionElement::MaximumSegmentSize(mss) => out.mss = Some(mss),
            // D6: RFC 7323 §2.3, a shift above 14 is used as 14.
            TcpOptionElement::WindowScale(shift) => out.window_scale = Some(shift.min(14)),
            TcpOptionElement::SelectiveAcknowledgementPermitted => out.sack_permitted = true,
            TcpOptionElement::SelectiveAcknowledgement(first, rest) => {
                let mut blocks = [None; 4];
                blocks[0] = Some(first);
                blocks[1..].copy_from_slice(&rest);
                out.sack_blocks = blocks.map(|b| b.map(|(l, r)| (SeqNumber(l), SeqNumber(r))));
            }
            TcpOptionElement::Timestamp(tsval, tsecr) => {
                out.timestamp = Some(TcpTimestamp { tsval, tsecr })
            }
        }
    }
    Ok(out)
}

/// etherparse's view of the checksum: recompute, compare with the field.
fn ether_checksum_ok(slice: &TcpSlice<'_>) -> bool {
    let computed = slice
        .calc_checksum_ipv4(SRC.octets(), DST.octets())
        .expect("segments here are far below 64 KiB");
    // D4: 0xffff is the other one's complement zero; RFC 1071 §1 accepts it.
    computed == slice.checksum() || (computed == 0 && slice.checksum() == 0xffff)
}

/// Fills the checksum with etherparse's arithmetic, not ours, so inputs that are meant
/// to verify do so by an independent calculation.
fn fill_checksum_independently(bytes: &mut [u8]) {
    if let Ok(slice) = TcpSlice::from_slice(bytes) {
        let sum = slice
            .calc_checksum_ipv4(SRC.octets(), DST.octets())
            .unwrap();
        bytes[16..18].copy_from_slice(&sum.to_be_bytes());
    }
}

// --- the comparison ---

/// Runs all three parsers on `bytes` and checks that they agree, up to D1..D7.
fn differential(bytes: &[u8]) -> Result<(), TestCaseError> {
    let view = TcpPacket::new_checked(bytes);
    let smol_view = SmolPacket::new_checked(bytes);
    let ether = TcpSlice::from_slice(bytes);
    prop_assert_eq!(
        view.is_ok(),
        smol_view.is_ok(),
        "view vs smoltcp: {:?}",
        view
    );
    prop_assert_eq!(
        view.is_ok(),
        ether.is_ok(),
        "view vs etherparse: {:?}",
        view
    );
    let (Ok(p), Ok(s), Ok(e)) = (view, smol_view, ether) else {
        return Ok(());
    };
    compare_views(&p, &s, &e)?;
    let repr = TcpRepr::parse(&p, SRC, DST, ChecksumMode::Verify);
    if let Ok(repr) = &repr {
        // Whatever we accept displays and re-emits without panicking.
        let _ = repr.to_string();
        let _ = emit_segment(repr, SRC, DST);
    }
    compare_with_smoltcp(&p, &repr, smol(bytes))?;
    compare_with_etherparse(&p, &repr, &e)?;
    Ok(())
}

fn compare_views(
    p: &TcpPacket<&[u8]>,
    s: &SmolPacket<&[u8]>,
    e: &TcpSlice<'_>,
) -> Result<(), TestCaseError> {
    let ours = (
        p.src_port(),
        p.dst_port(),
        p.seq_number().0,
        p.ack_number().0,
        p.header_len(),
        p.window_len(),
        p.checksum(),
        p.urgent_at(),
    );
    let smoltcp = (
        s.src_port(),
        s.dst_port(),
        s.seq_number().0 as u32,
        s.ack_number().0 as u32,
        usize::from(s.header_len()),
        s.window_len(),
        s.checksum(),
        s.urgent_at(),
    );
    let etherparse = (
        e.source_port(),
        e.destination_port(),
        e.sequence_number(),
        e.acknowledgment_number(),
        usize::from(e.data_offset()) * 4,
        e.window_size(),
        e.checksum(),
        e.urgent_pointer(),
    );
    prop_assert_eq!(ours, smoltcp);
    prop_assert_eq!(ours, etherparse);
    let flags = [
        p.fin(),
        p.syn(),
        p.rst(),
        p.psh(),
        p.ack(),
        p.urg(),
        p.ece(),
        p.cwr(),
        p.ns(),
    ];
    let smol_flags = [
        s.fin(),
        s.syn(),
        s.rst(),
        s.psh(),
        s.ack(),
        s.urg(),
        s.ece(),
        s.cwr(),
        s.ns(),
    ];
    let ether_flags = [
        e.fin(),
        e.syn(),
        e.rst(),
        e.psh(),
        e.ack(),
        e.urg(),
        e.ece(),
        e.cwr(),
        e.ns(),
    ];
    prop_assert_eq!(flags, smol_flags);
    prop_assert_eq!(flags, ether_flags);
    prop_assert_eq!(p.options(), s.options());
    prop_assert_eq!(p.options(), e.options());
    prop_assert_eq!(p.payload(), s.payload());
    prop_assert_eq!(p.payload(), e.payload());
    let ip = (IpAddress::Ipv4(SRC), IpAddress::Ipv4(DST));
    prop_assert_eq!(p.verify_checksum(SRC, DST), s.verify_checksum(&ip.0, &ip.1));
    Ok(())
}

fn compare_with_smoltcp(
    p: &TcpPacket<&[u8]>,
    ours: &Result<TcpRepr<'_>, WireError>,
    smol: smoltcp::wire::Result<SmolRepr<'_>>,
) -> Result<(), TestCaseError> {
    let controls = [p.syn(), p.fin(), p.rst()].iter().filter(|&&b| b).count();
    match (ours, smol) {
        (Ok(o), Ok(m)) => {
            let control = if o.flags.syn {
                TcpControl::Syn
            } else if o.flags.fin {
                TcpControl::Fin
            } else if o.flags.rst {
                TcpControl::Rst
            } else if o.flags.psh {
                TcpControl::Psh
            } else {
                TcpControl::None
            };
            prop_assert_eq!(m.control, control);
            prop_assert_eq!((o.src_port, o.dst_port), (m.src_port, m.dst_port));
            prop_assert_eq!(o.seq_number.0, m.seq_number.0 as u32);
            prop_assert_eq!(o.ack_number.map(|a| a.0), m.ack_number.map(|a| a.0 as u32));
            prop_assert_eq!(o.window_len, m.window_len);
            prop_assert_eq!(o.options.mss, m.max_seg_size);
            prop_assert_eq!(o.options.window_scale, m.window_scale);
            prop_assert_eq!(o.options.sack_permitted, m.sack_permitted);
            prop_assert_eq!(
                o.options.timestamp.map(|t| (t.tsval, t.tsecr)),
                m.timestamp.map(|t| (t.tsval, t.tsecr))
            );
            // D2: smoltcp keeps the first three SACK blocks only.
            let first_three: Vec<_> = o.options.sack_blocks[..3]
                .iter()
                .map(|b| b.map(|(l, r)| (l.0, r.0)))
                .collect();
            prop_assert_eq!(first_three, m.sack_ranges.to_vec());
            prop_assert_eq!(o.payload, m.payload);
        }
        (Err(_), Err(_)) => {}
        // D1: smoltcp rejects more than one of SYN, FIN, RST; we leave it to the
        // state machine.
        (Ok(_), Err(_)) => prop_assert!(controls > 1, "smoltcp rejects what we accept"),
        // D3: smoltcp skips a timestamps option of the wrong length as unknown.
        (Err(e), Ok(_)) => prop_assert!(
            matches!(
                e,
                WireError::BadOption(OptionError::WrongLength {
                    kind: kind::TIMESTAMPS,
                    ..
                })
            ),
            "we reject ({e}) what smoltcp accepts"
        ),
    }
    Ok(())
}

fn compare_with_etherparse(
    p: &TcpPacket<&[u8]>,
    ours: &Result<TcpRepr<'_>, WireError>,
    e: &TcpSlice<'_>,
) -> Result<(), TestCaseError> {
    // D5: etherparse does not judge ports; port 0 is ours to reject.
    if p.src_port() == 0 || p.dst_port() == 0 {
        prop_assert_eq!(ours, &Err(WireError::ZeroPort));
        return Ok(());
    }
    if !ether_checksum_ok(e) {
        prop_assert_eq!(ours, &Err(WireError::BadChecksum));
        return Ok(());
    }
    match ether_options(e) {
        Ok(options) => {
            let Ok(o) = ours else {
                return Err(TestCaseError::fail(format!(
                    "etherparse accepts, we reject: {ours:?}"
                )));
            };
            prop_assert_eq!(o.options, options);
            prop_assert_eq!(
                (o.src_port, o.dst_port),
                (e.source_port(), e.destination_port())
            );
            prop_assert_eq!(o.seq_number.0, e.sequence_number());
            prop_assert_eq!(
                o.ack_number.map(|a| a.0),
                e.ack().then(|| e.acknowledgment_number())
            );
            let flags = TcpFlags {
                syn: e.syn(),
                fin: e.fin(),
                rst: e.rst(),
                psh: e.psh(),
                urg: e.urg(),
                ece: e.ece(),
                cwr: e.cwr(),
            };
            prop_assert_eq!(o.flags, flags);
            prop_assert_eq!(o.window_len, e.window_size());
            prop_assert_eq!(o.urgent_pointer, e.urgent_pointer());
            prop_assert_eq!(o.payload, e.payload());
        }
        // D7: etherparse stops at an option kind it does not know; we skip it.
        Err(TcpOptionReadError::UnknownId(k)) => {
            prop_assert!(
                !KNOWN_KINDS.contains(&k),
                "etherparse calls kind {} unknown",
                k
            );
        }
        Err(err) => prop_assert!(
            matches!(ours, Err(WireError::BadOption(_))),
            "etherparse: {err}; ours: {ours:?}"
        ),
    }
    Ok(())
}

// --- inputs ---

prop_compose! {
    fn arb_flags()(b in any::<[bool; 7]>()) -> TcpFlags {
        TcpFlags { syn: b[0], fin: b[1], rst: b[2], psh: b[3], urg: b[4], ece: b[5], cwr: b[6] }
    }
}

prop_compose! {
    /// Options that fit in 40 bytes as we lay them out (MSS 4, timestamps 12 with
    /// SACK-permitted riding along, SACK-permitted alone 4, window scale 4, SACK 4 + 8n).
    fn arb_options()(
        mss in proptest::option::of(any::<u16>()),
        window_scale in proptest::option::of(0u8..=14),
        sack_permitted in any::<bool>(),
        timestamp in proptest::option::of(any::<(u32, u32)>()),
        blocks in proptest::collection::vec(any::<(u32, u32)>(), 0..=4),
    ) -> TcpOptions {
        let used = mss.map_or(0, |_| 4)
            + if timestamp.is_some() { 12 } else if sack_permitted { 4 } else { 0 }
            + window_scale.map_or(0, |_| 4);
        let fit = (40usize - used).saturating_sub(4) / 8;
        let mut sack_blocks = [None; 4];
        for (slot, (l, r)) in sack_blocks.iter_mut().zip(blocks.into_iter().take(fit)) {
            *slot = Some((SeqNumber(l), SeqNumber(r)));
        }
        TcpOptions {
            mss,
            window_scale,
            sack_permitted,
            sack_blocks,
            timestamp: timestamp.map(|(tsval, tsecr)| TcpTimestamp { tsval, tsecr }),
        }
    }
}

prop_compose! {
    /// A valid segment as bytes: what `emit_segment` makes of an arbitrary valid repr.
    fn arb_segment()(
        ports in (1u16.., 1u16..),
        seq in any::<u32>(),
        ack in proptest::option::of(any::<u32>()),
        flags in arb_flags(),
        window_len in any::<u16>(),
        urgent_pointer in any::<u16>(),
        options in arb_options(),
        payload in proptest::collection::vec(any::<u8>(), 0..48),
    ) -> Vec<u8> {
        let repr = TcpRepr {
            src_port: ports.0,
            dst_port: ports.1,
            seq_number: SeqNumber(seq),
            ack_number: ack.map(SeqNumber),
            flags,
            window_len,
            urgent_pointer,
            options,
            payload: &payload,
        };
        emit_segment(&repr, SRC, DST)
    }
}

/// One option, well-formed or not: the building block of arbitrary options areas.
fn option_token() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => Just(vec![kind::NOP]),
        1 => Just(vec![kind::END]),
        1 => any::<u16>().prop_map(|m| {
            let [a, b] = m.to_be_bytes();
            vec![kind::MSS, 4, a, b]
        }),
        1 => any::<u8>().prop_map(|s| vec![kind::WINDOW_SCALE, 3, s]),
        1 => Just(vec![kind::SACK_PERMITTED, 2]),
        1 => (1usize..=4, any::<[u8; 32]>()).prop_map(|(n, d)| {
            let mut v = vec![kind::SACK, (2 + 8 * n) as u8];
            v.extend_from_slice(&d[..8 * n]);
            v
        }),
        1 => any::<[u8; 8]>().prop_map(|d| {
            let mut v = vec![kind::TIMESTAMPS, 10];
            v.extend_from_slice(&d);
            v
        }),
        // A kind we don't know, with a valid length.
        1 => (any::<u8>(), proptest::collection::vec(any::<u8>(), 0..6)).prop_map(|(k, d)| {
            let k = if KNOWN_KINDS.contains(&k) { 0xfe } else { k };
            let mut v = vec![k, (2 + d.len()) as u8];
            v.extend_from_slice(&d);
            v
        }),
        // A known kind with an arbitrary length byte, usually followed by exactly that
        // many bytes so the rest of the area still frames.
        2 => (
            proptest::sample::select(&KNOWN_KINDS[2..]),
            prop_oneof![
                proptest::sample::select(vec![0u8, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 18, 26, 34]),
                0u8..48,
            ],
            any::<bool>(),
            any::<[u8; 46]>(),
            0usize..12,
        )
            .prop_map(|(k, len, framed, d, unframed_len)| {
                let data_len = if framed { usize::from(len).saturating_sub(2) } else { unframed_len };
                let mut v = vec![k, len];
                v.extend_from_slice(&d[..data_len]);
                v
            }),
        // Anything at all.
        1 => proptest::collection::vec(any::<u8>(), 1..4),
    ]
}

prop_compose! {
    /// A segment with a valid fixed header around an arbitrary options area, padded
    /// with EOL or with garbage, and (usually) a correct checksum.
    fn arb_segment_with_options_area()(
        tokens in proptest::collection::vec(option_token(), 0..8),
        garbage_padding in any::<[u8; 3]>(),
        pad_with_garbage in any::<bool>(),
        header in any::<[u8; 20]>(),
        zero_port in 0u8..16,
        payload in proptest::collection::vec(any::<u8>(), 0..16),
        good_checksum in proptest::bool::weighted(0.9),
    ) -> Vec<u8> {
        let mut area: Vec<u8> = tokens.concat();
        area.truncate(40);
        let mut i = 0;
        while !area.len().is_multiple_of(4) {
            area.push(if pad_with_garbage { garbage_padding[i] } else { 0 });
            i += 1;
        }
        let mut bytes = header.to_vec();
        bytes[12] = (((20 + area.len()) / 4) as u8) << 4 | (header[12] & 0x0f);
        match zero_port {
            0 => bytes[0..2].copy_from_slice(&[0, 0]),
            1 => bytes[2..4].copy_from_slice(&[0, 0]),
            _ => {}
        }
        bytes.extend_from_slice(&area);
        bytes.extend_from_slice(&payload);
        if good_checksum {
            fill_checksum_independently(&mut bytes);
        }
        bytes
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    /// XOR one byte (index taken modulo the length).
    Flip(usize, u8),
    /// Cut the buffer to this length (modulo the length + 1).
    Truncate(usize),
    /// Append bytes.
    Extend(Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 1u8..).prop_map(|(i, x)| Mutation::Flip(i, x)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => proptest::collection::vec(any::<u8>(), 1..8).prop_map(Mutation::Extend),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation], refill: bool) -> Vec<u8> {
    for m in mutations {
        match m {
            Mutation::Flip(i, x) if !bytes.is_empty() => {
                let at = i % bytes.len();
                bytes[at] ^= x;
            }
            Mutation::Flip(..) => {}
            Mutation::Truncate(n) => bytes.truncate(n % (bytes.len() + 1)),
            Mutation::Extend(more) => bytes.extend_from_slice(more),
        }
    }
    if refill {
        fill_checksum_independently(&mut bytes);
    }
    bytes
}

prop_compose! {
    /// A repr smoltcp can emit: one control, SACK ranges only on an ACK without
    /// SACK-permitted (the only case smoltcp writes them), and a header that fits.
    fn arb_smol_repr()(
        ports in (1u16.., 1u16..),
        control in proptest::sample::select(vec![
            TcpControl::None, TcpControl::Psh, TcpControl::Syn, TcpControl::Fin, TcpControl::Rst,
        ]),
        seq in any::<i32>(),
        ack in proptest::option::of(any::<i32>()),
        window_len in any::<u16>(),
        window_scale in proptest::option::of(0u8..=14),
        max_seg_size in proptest::option::of(any::<u16>()),
        sack_permitted in any::<bool>(),
        ranges in proptest::collection::vec(any::<(u32, u32)>(), 0..=3),
        timestamp in proptest::option::of(any::<(u32, u32)>()),
    ) -> SmolRepr<'static> {
        let mut sack_ranges = [None; 3];
        if ack.is_some() && !sack_permitted {
            let room = if timestamp.is_some() { 2 } else { 3 };
            for (slot, r) in sack_ranges.iter_mut().zip(ranges.into_iter().take(room)) {
                *slot = Some(r);
            }
        }
        SmolRepr {
            src_port: ports.0,
            dst_port: ports.1,
            control,
            seq_number: TcpSeqNumber(seq),
            ack_number: ack.map(TcpSeqNumber),
            window_len,
            window_scale,
            max_seg_size,
            sack_permitted,
            sack_ranges,
            timestamp: timestamp.map(|(tsval, tsecr)| TcpTimestampRepr::new(tsval, tsecr)),
            payload: b"abc",
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Random bytes: mostly rejected, and rejected by all three alike.
    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        differential(&bytes)?;
    }

    /// Random bytes behind a plausible data offset and a good checksum, so they reach
    /// the options parser.
    #[test]
    fn random_bytes_with_good_checksum(
        mut bytes in proptest::collection::vec(any::<u8>(), 20..80),
        data_offset in 5u8..=15,
    ) {
        bytes[12] = data_offset << 4 | (bytes[12] & 0x0f);
        fill_checksum_independently(&mut bytes);
        differential(&bytes)?;
    }

    /// Valid headers around arbitrary options areas: the options parsers are compared.
    #[test]
    fn arbitrary_options_areas(bytes in arb_segment_with_options_area()) {
        differential(&bytes)?;
    }

    /// Valid segments with a few bytes flipped, cut or added, checksum re-filled (so
    /// the damage reaches the field parsers) or left stale (so the checksum catches it).
    #[test]
    fn mutated_valid_segments(
        segment in arb_segment(),
        mutations in proptest::collection::vec(mutation(), 1..4),
        refill in any::<bool>(),
    ) {
        differential(&mutate(segment, &mutations, refill))?;
    }

    /// Everything we emit: both parse it with the same fields as we do.
    #[test]
    fn what_we_emit_both_parse(segment in arb_segment()) {
        let ours = ours(&segment).expect("we parse what we emit");
        let slice = TcpSlice::from_slice(&segment).expect("etherparse accepts our framing");
        prop_assert_eq!(ether_options(&slice), Ok(ours.options));
        prop_assert_eq!(
            slice.calc_checksum_ipv4(SRC.octets(), DST.octets()).unwrap(),
            slice.checksum(),
            "etherparse recomputes our checksum"
        );
        let controls = [ours.flags.syn, ours.flags.fin, ours.flags.rst];
        if controls.iter().filter(|&&b| b).count() <= 1 {
            prop_assert!(smol(&segment).is_ok(), "smoltcp rejects {}", ours);
        }
        differential(&segment)?;
    }

    /// Everything smoltcp emits, we parse with the same fields.
    #[test]
    fn what_smoltcp_emits_we_parse(repr in arb_smol_repr()) {
        let mut bytes = vec![0u8; repr.buffer_len()];
        repr.emit(
            &mut SmolPacket::new_unchecked(&mut bytes[..]),
            &IpAddress::Ipv4(SRC),
            &IpAddress::Ipv4(DST),
            &ChecksumCapabilities::default(),
        );
        let ours = ours(&bytes).expect("we parse what smoltcp emits");
        prop_assert_eq!(ours.options.mss, repr.max_seg_size);
        prop_assert_eq!(ours.options.window_scale, repr.window_scale);
        prop_assert_eq!(ours.options.sack_permitted, repr.sack_permitted);
        prop_assert_eq!(ours.payload, repr.payload);
        differential(&bytes)?;
    }
}

// --- the intended differences, one by one ---

/// A bare segment from SRC:40000 to DST:80 with `flags`, an options area and a
/// checksum filled by etherparse.
fn segment(flags: u8, options: &[u8]) -> Vec<u8> {
    assert_eq!(options.len() % 4, 0);
    let mut bytes = vec![0u8; 20];
    bytes[0..2].copy_from_slice(&40000u16.to_be_bytes());
    bytes[2..4].copy_from_slice(&80u16.to_be_bytes());
    bytes[4..8].copy_from_slice(&1000u32.to_be_bytes());
    bytes[12] = (((20 + options.len()) / 4) as u8) << 4;
    bytes[13] = flags;
    bytes[14..16].copy_from_slice(&1024u16.to_be_bytes());
    bytes.extend_from_slice(options);
    fill_checksum_independently(&mut bytes);
    bytes
}

#[test]
fn d1_syn_fin_is_ours_to_judge_smoltcp_rejects_it() {
    let bytes = segment(0x03, &[]);
    let repr = ours(&bytes).unwrap();
    assert!(repr.flags.syn && repr.flags.fin);
    assert!(smol(&bytes).is_err());
    assert!(TcpSlice::from_slice(&bytes).is_ok());
    differential(&bytes).unwrap();
}

#[test]
fn d2_four_sack_blocks_smoltcp_keeps_three() {
    let mut options = vec![kind::NOP, kind::NOP, kind::SACK, 34];
    for edge in 1u32..=8 {
        options.extend_from_slice(&(edge * 100).to_be_bytes());
    }
    let bytes = segment(0x10, &options);
    let repr = ours(&bytes).unwrap();
    assert_eq!(
        repr.options.sack_blocks[3],
        Some((SeqNumber(700), SeqNumber(800)))
    );
    assert_eq!(smol(&bytes).unwrap().sack_ranges[2], Some((500, 600)));
    let slice = TcpSlice::from_slice(&bytes).unwrap();
    assert_eq!(ether_options(&slice).unwrap(), repr.options);
    differential(&bytes).unwrap();
}

#[test]
fn d3_short_timestamps_option_smoltcp_skips_it() {
    // Kind 8 with length 8, then NOPs (so etherparse sees the length, not the end).
    let nop = kind::NOP;
    let bytes = segment(0x10, &[8, 8, 0, 0, 0, 1, 0, 0, nop, nop, nop, nop]);
    assert_eq!(
        ours(&bytes),
        Err(WireError::BadOption(OptionError::WrongLength {
            kind: kind::TIMESTAMPS,
            len: 8
        }))
    );
    assert_eq!(smol(&bytes).unwrap().timestamp, None);
    let slice = TcpSlice::from_slice(&bytes).unwrap();
    assert!(matches!(
        ether_options(&slice),
        Err(TcpOptionReadError::UnexpectedSize { .. })
    ));
    differential(&bytes).unwrap();
}

#[test]
fn d4_negative_zero_checksum_field() {
    // Make the segment's sum (checksum field zero) all ones by putting the complement
    // of its checksum into a payload word; the checksum then computes to 0x0000.
    let mut bytes = segment(0x18, &[]);
    bytes.extend_from_slice(&[0, 0]);
    fill_checksum_independently(&mut bytes);
    let filler = [bytes[16], bytes[17]];
    bytes[20..22].copy_from_slice(&filler);
    fill_checksum_independently(&mut bytes);
    assert_eq!(&bytes[16..18], &[0, 0], "checksum computes to zero");
    // Both zeros verify by RFC 1071 §1's sum-to-all-ones test, for us and smoltcp.
    for field in [0x0000u16, 0xffff] {
        bytes[16..18].copy_from_slice(&field.to_be_bytes());
        assert!(ours(&bytes).is_ok(), "field {field:#06x}");
        assert!(smol(&bytes).is_ok(), "field {field:#06x}");
        differential(&bytes).unwrap();
    }
    // etherparse's recompute-and-compare takes only one of them.
    let slice = TcpSlice::from_slice(&bytes).unwrap();
    assert_ne!(
        slice
            .calc_checksum_ipv4(SRC.octets(), DST.octets())
            .unwrap(),
        slice.checksum()
    );
}

#[test]
fn d5_port_zero_etherparse_does_not_judge_ports() {
    let mut bytes = segment(0x02, &[]);
    bytes[2..4].copy_from_slice(&[0, 0]);
    fill_checksum_independently(&mut bytes);
    assert_eq!(ours(&bytes), Err(WireError::ZeroPort));
    assert!(smol(&bytes).is_err());
    let slice = TcpSlice::from_slice(&bytes).unwrap();
    assert!(ether_checksum_ok(&slice) && ether_options(&slice).is_ok());
    differential(&bytes).unwrap();
}

#[test]
fn d6_window_scale_above_14_etherparse_reports_it_raw() {
    let bytes = segment(0x02, &[kind::NOP, kind::WINDOW_SCALE, 3, 15]);
    assert_eq!(ours(&bytes).unwrap().options.window_scale, Some(14));
    assert_eq!(smol(&bytes).unwrap().window_scale, Some(14));
    let slice = TcpSlice::from_slice(&bytes).unwrap();
    let raw: Vec<_> = slice.options_iterator().collect();
    assert_eq!(raw[1], Ok(TcpOptionElement::WindowScale(15)));
    differential(&bytes).unwrap();
}

#[test]
fn d7_unknown_option_etherparse_stops_we_skip() {
    // An experimental option (RFC 4727 kind 254) before an MSS option.
    let bytes = segment(0x02, &[0xfe, 0x04, 0xab, 0xcd, kind::MSS, 4, 0x05, 0xb4]);
    assert_eq!(ours(&bytes).unwrap().options.mss, Some(1460));
    assert_eq!(smol(&bytes).unwrap().max_seg_size, Some(1460));
    let slice = TcpSlice::from_slice(&bytes).unwrap();
    assert_eq!(
        ether_options(&slice),
        Err(TcpOptionReadError::UnknownId(0xfe))
    );
    differential(&bytes).unwrap();
}

/// And a case with no difference at all, so the comparison itself is seen to bite: a
/// segment all three reject for the same malformed MSS length.
#[test]
fn all_three_reject_a_bad_mss_length() {
    let bytes = segment(0x02, &[kind::MSS, 3, 0x05, kind::NOP]);
    assert!(ours(&bytes).is_err());
    assert!(smol(&bytes).is_err());
    let slice = TcpSlice::from_slice(&bytes).unwrap();
    assert!(ether_options(&slice).is_err());
    differential(&bytes).unwrap();
}

/// Every known option kind at every length byte from 0 to 42, framed by that length
/// (or cut short by the end of the area), in an otherwise valid SYN: all three agree,
/// up to D1..D7, on each.
#[test]
fn every_known_kind_at_every_length() {
    for &k in &KNOWN_KINDS[2..] {
        for len in 0u8..=42 {
            let mut area = vec![k, len];
            area.extend((0..usize::from(len).saturating_sub(2)).map(|i| (i as u8) ^ 0x5a));
            area.truncate(40);
            while !area.len().is_multiple_of(4) {
                area.push(kind::END);
            }
            let bytes = segment(0x02, &area);
            differential(&bytes).unwrap_or_else(|e| panic!("kind {k} len {len}: {e}"));
            let valid = match k {
                kind::MSS => len == 4,
                kind::WINDOW_SCALE => len == 3,
                kind::SACK_PERMITTED => len == 2,
                kind::SACK => [10, 18, 26, 34].contains(&len),
                kind::TIMESTAMPS => len == 10,
                _ => unreachable!(),
            };
            assert_eq!(ours(&bytes).is_ok(), valid, "kind {k} len {len}");
        }
    }
}
