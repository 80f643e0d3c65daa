//! WebSocket framing (RFC 6455 §5), one test per rule. Every input is decoded three
//! ways: all at once, one byte at a time, and split in two at every byte boundary; the
//! frames (header and payload bytes) and the error must be identical. Incomplete
//! input is `Partial`, never an error.

use tundra_http::ws::{
    apply_mask, encode_frame, Decoded, FrameDecoder, FrameError, FrameHeader, Opcode, Role,
};
use tundra_http::Status;

/// A decoded frame: its header and its unmasked payload.
type Frame = (FrameHeader, Vec<u8>);

/// The RFC 6455 §5.7 masking key.
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Decodes `chunks` in order as received by `role`: the complete frames, then the
/// error that ended the stream (if any).
fn decode_chunks(role: Role, chunks: &[&[u8]]) -> (Vec<Frame>, Option<FrameError>) {
    let mut decoder = FrameDecoder::new(role);
    let mut buf: Vec<u8> = Vec::new();
    let mut frames = Vec::new();
    let mut current: Option<Frame> = None;
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match decoder.decode(&mut buf) {
                Err(e) => return (frames, Some(e)),
                Ok((_, Decoded::Partial)) => break,
                Ok((n, Decoded::Header(h))) => {
                    assert!(current.is_none(), "header inside a frame");
                    current = Some((h, Vec::new()));
                    buf.drain(..n);
                }
                Ok((n, Decoded::Payload(len))) => {
                    assert_eq!(n, len);
                    let (_, payload) = current.as_mut().expect("payload outside a frame");
                    payload.extend_from_slice(&buf[..n]);
                    buf.drain(..n);
                }
                Ok((n, Decoded::FrameEnd)) => {
                    assert_eq!(n, 0);
                    frames.push(current.take().expect("end outside a frame"));
                }
            }
        }
    }
    (frames, None)
}

/// Decodes `input` whole, byte by byte and at every split; asserts all agree.
#[track_caller]
fn decode_every_way(role: Role, input: &[u8]) -> (Vec<Frame>, Option<FrameError>) {
    let whole = decode_chunks(role, &[input]);
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(decode_chunks(role, &bytes), whole, "one byte at a time");
    for i in 0..=input.len() {
        let (a, b) = input.split_at(i);
        assert_eq!(decode_chunks(role, &[a, b]), whole, "split at {i}");
    }
    whole
}

#[track_caller]
fn accepts(role: Role, input: &[u8]) -> Vec<Frame> {
    let (frames, err) = decode_every_way(role, input);
    assert_eq!(err, None, "unexpected rejection");
    frames
}

/// Asserts that `input` is refused with `expected`, and that the refusal comes as soon
/// as the first `decisive` bytes are in, not later.
#[track_caller]
fn rejects(role: Role, input: &[u8], expected: FrameError, decisive: usize) {
    let (frames, err) = decode_every_way(role, input);
    assert_eq!(err, Some(expected));
    let (early_frames, early) = decode_chunks(role, &[&input[..decisive]]);
    assert_eq!(
        early,
        Some(expected),
        "fails with the first {decisive} bytes"
    );
    assert_eq!(early_frames, frames);
    let (_, before) = decode_chunks(role, &[&input[..decisive - 1]]);
    assert_eq!(before, None, "one byte earlier it cannot know");
}

fn frame(fin: bool, opcode: Opcode, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_frame(&mut out, fin, opcode, mask, payload);
    out
}

fn header(fin: bool, opcode: Opcode, masked: bool, len: u64) -> FrameHeader {
    FrameHeader {
        fin,
        rsv: 0,
        opcode,
        mask: masked.then_some(KEY),
        payload_len: len,
    }
}

// ------------------------------------------------------------ RFC 6455 §5.7 examples

#[test]
fn rfc6455_5_7_single_frame_unmasked_text() {
    let wire = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    assert_eq!(
        accepts(Role::Client, &wire),
        [(header(true, Opcode::Text, false, 5), b"Hello".to_vec())]
    );
    assert_eq!(frame(true, Opcode::Text, None, b"Hello"), wire);
}

#[test]
fn rfc6455_5_7_single_frame_masked_text() {
    let wire = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    assert_eq!(
        accepts(Role::Server, &wire),
        [(header(true, Opcode::Text, true, 5), b"Hello".to_vec())]
    );
    assert_eq!(frame(true, Opcode::Text, Some(KEY), b"Hello"), wire);
}

#[test]
fn rfc6455_5_7_fragmented_unmasked_text() {
    let wire = [
        0x01, 0x03, 0x48, 0x65, 0x6c, // "Hel", FIN clear
        0x80, 0x02, 0x6c, 0x6f, // "lo", continuation, FIN set
    ];
    assert_eq!(
        accepts(Role::Client, &wire),
        [
            (header(false, Opcode::Text, false, 3), b"Hel".to_vec()),
            (header(true, Opcode::Continuation, false, 2), b"lo".to_vec()),
        ]
    );
    let mut encoded = frame(false, Opcode::Text, None, b"Hel");
    encoded.extend(frame(true, Opcode::Continuation, None, b"lo"));
    assert_eq!(encoded, wire);
}

#[test]
fn rfc6455_5_7_unmasked_ping_and_masked_pong() {
    let ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    assert_eq!(
        accepts(Role::Client, &ping),
        [(header(true, Opcode::Ping, false, 5), b"Hello".to_vec())]
    );
    let pong = [
        0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    assert_eq!(
        accepts(Role::Server, &pong),
        [(header(true, Opcode::Pong, true, 5), b"Hello".to_vec())]
    );
    assert_eq!(frame(true, Opcode::Ping, None, b"Hello"), ping);
    assert_eq!(frame(true, Opcode::Pong, Some(KEY), b"Hello"), pong);
}

#[test]
fn rfc6455_5_7_256_byte_binary_uses_a_16_bit_length() {
    let payload: Vec<u8> = (0..=255).collect();
    let wire = frame(true, Opcode::Binary, None, &payload);
    assert_eq!(wire[..4], [0x82, 0x7e, 0x01, 0x00]);
    assert_eq!(wire.len(), 4 + 256);
    assert_eq!(
        accepts(Role::Client, &wire),
        [(header(true, Opcode::Binary, false, 256), payload)]
    );
}

#[test]
fn rfc6455_5_7_64_kib_binary_uses_a_64_bit_length() {
    let payload: Vec<u8> = (0..65536u32).map(|i| (i * 7) as u8).collect();
    let wire = frame(true, Opcode::Binary, None, &payload);
    assert_eq!(
        wire[..10],
        [0x82, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00]
    );
    // Every split of 64 KiB would take long; whole, in MSS-sized pieces and split
    // around the header are enough here (the header splits are tested above).
    let whole = decode_chunks(Role::Client, &[&wire]);
    assert_eq!(
        whole,
        (
            vec![(header(true, Opcode::Binary, false, 65536), payload)],
            None
        )
    );
    let pieces: Vec<&[u8]> = wire.chunks(1460).collect();
    assert_eq!(decode_chunks(Role::Client, &pieces), whole);
    for i in 0..=12 {
        let (a, b) = wire.split_at(i);
        assert_eq!(decode_chunks(Role::Client, &[a, b]), whole, "split at {i}");
    }
}

// ------------------------------------------------------------ §5.2 lengths

#[test]
fn non_minimal_lengths_are_accepted_on_receive() {
    // §5.2 requires the minimal encoding of the sender; a receiver that refused
    // others would gain nothing, so 5 in 16 and in 64 bits is 5.
    let sixteen = [0x82, 0x7e, 0x00, 0x05, 1, 2, 3, 4, 5];
    let sixty_four = [0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0x05, 1, 2, 3, 4, 5];
    for wire in [&sixteen[..], &sixty_four[..]] {
        assert_eq!(
            accepts(Role::Client, wire),
            [(header(true, Opcode::Binary, false, 5), vec![1, 2, 3, 4, 5])]
        );
    }
}

#[test]
fn length_boundaries_125_126_65535_65536() {
    for len in [0usize, 1, 125, 126, 127, 65535, 65536] {
        let payload = vec![0x5a; len];
        let wire = frame(true, Opcode::Binary, Some(KEY), &payload);
        let expected_header_len = match len {
            0..=125 => 6,
            126..=65535 => 8,
            _ => 14,
        };
        assert_eq!(wire.len(), expected_header_len + len, "length {len}");
        let (frames, err) = decode_chunks(Role::Server, &[&wire]);
        assert_eq!(err, None);
        assert_eq!(
            frames,
            [(header(true, Opcode::Binary, true, len as u64), payload)]
        );
    }
}

#[test]
fn rfc6455_5_2_64_bit_length_with_msb_set_fails_at_its_first_byte() {
    let wire = [0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0x05, 0, 0, 0, 0];
    rejects(Role::Server, &wire, FrameError::LengthOverflow, 3);
    assert_eq!(FrameHeader::parse(&wire), Err(FrameError::LengthOverflow));
}

#[test]
fn a_huge_announced_length_allocates_nothing_and_waits() {
    // 2^62 bytes announced, 3 delivered: the decoder hands out the 3 and waits.
    let mut wire = vec![0x82, 0x7f, 0x40, 0, 0, 0, 0, 0, 0, 0];
    wire.extend_from_slice(b"abc");
    let mut d = FrameDecoder::new(Role::Client);
    let (n, first) = d.decode(&mut wire).unwrap();
    assert_eq!(
        first,
        Decoded::Header(header(true, Opcode::Binary, false, 1 << 62))
    );
    assert_eq!(d.decode(&mut wire[n..]).unwrap(), (3, Decoded::Payload(3)));
    assert_eq!(d.decode(&mut []).unwrap(), (0, Decoded::Partial));
}

#[test]
fn every_prefix_of_a_frame_is_partial_never_an_error() {
    let wire = frame(true, Opcode::Text, Some(KEY), &[b'x'; 300]);
    for cut in 0..wire.len() {
        let (frames, err) = decode_chunks(Role::Server, &[&wire[..cut]]);
        assert_eq!((frames.len(), err), (0, None), "prefix of {cut} bytes");
        if cut < 8 {
            assert_eq!(FrameHeader::parse(&wire[..cut]), Ok(Status::Partial));
        }
    }
}

// ------------------------------------------------------------ §5.2 RSV and opcodes

#[test]
fn rfc6455_5_2_reserved_bits_fail_at_the_first_byte() {
    for (bits, byte0) in [(0b100, 0xc1), (0b010, 0xa1), (0b001, 0x91), (0b111, 0xf1)] {
        let mut wire = frame(true, Opcode::Text, Some(KEY), b"hi");
        wire[0] = byte0;
        rejects(Role::Server, &wire, FrameError::ReservedBits(bits), 1);
    }
}

#[test]
fn rfc6455_5_2_reserved_opcodes_fail_at_the_first_byte() {
    for op in (0x3..=0x7).chain(0xb..=0xf) {
        let wire = frame(true, Opcode::Reserved(op), Some(KEY), b"");
        rejects(Role::Server, &wire, FrameError::ReservedOpcode(op), 1);
        let wire = frame(true, Opcode::Reserved(op), None, b"");
        rejects(Role::Client, &wire, FrameError::ReservedOpcode(op), 1);
    }
}

#[test]
fn every_defined_opcode_is_accepted() {
    for op in [
        Opcode::Continuation,
        Opcode::Text,
        Opcode::Binary,
        Opcode::Close,
        Opcode::Ping,
        Opcode::Pong,
    ] {
        let wire = frame(true, op, Some(KEY), b"");
        assert_eq!(
            accepts(Role::Server, &wire),
            [(header(true, op, true, 0), vec![])]
        );
    }
}

// ------------------------------------------------------------ §5.1/§5.3 masking

#[test]
fn rfc6455_5_1_server_fails_on_an_unmasked_frame() {
    let wire = frame(true, Opcode::Text, None, b"Hello");
    rejects(Role::Server, &wire, FrameError::UnmaskedFrame, 2);
}

#[test]
fn rfc6455_5_1_client_fails_on_a_masked_frame() {
    let wire = frame(true, Opcode::Text, Some(KEY), b"Hello");
    rejects(Role::Client, &wire, FrameError::MaskedFrame, 2);
}

#[test]
fn rfc6455_5_3_payload_is_unmasked_across_any_split() {
    let text = b"The quick brown fox jumps over the lazy dog";
    let wire = frame(true, Opcode::Text, Some([0xde, 0xad, 0xbe, 0xef]), text);
    assert_ne!(&wire[6..], text, "masked on the wire");
    let frames = accepts(Role::Server, &wire);
    assert_eq!(frames[0].1, text);
}

#[test]
fn masking_is_its_own_inverse() {
    let mut data = b"Hello".to_vec();
    apply_mask(&mut data, KEY, 0);
    assert_eq!(data, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    apply_mask(&mut data, KEY, 0);
    assert_eq!(data, b"Hello");
}

// ------------------------------------------------------------ §5.5 control frames

#[test]
fn rfc6455_5_5_control_frames_carry_at_most_125_bytes() {
    for op in [Opcode::Close, Opcode::Ping, Opcode::Pong] {
        let ok = frame(true, op, Some(KEY), &[b'a'; 125]);
        assert_eq!(accepts(Role::Server, &ok)[0].0.payload_len, 125);
        let too_long = frame(true, op, Some(KEY), &[b'a'; 126]);
        rejects(Role::Server, &too_long, FrameError::ControlTooLong, 2);
        // A 64-bit length field is refused just the same, before it is read.
        let mut huge = vec![0x80 | op.bits(), 0xff, 0, 0, 0, 0, 0, 0, 0, 1];
        huge.extend_from_slice(&KEY);
        rejects(Role::Server, &huge, FrameError::ControlTooLong, 2);
    }
}

#[test]
fn rfc6455_5_5_control_frames_must_not_be_fragmented() {
    for op in [Opcode::Close, Opcode::Ping, Opcode::Pong] {
        let wire = frame(false, op, Some(KEY), b"x");
        rejects(Role::Server, &wire, FrameError::FragmentedControl, 1);
    }
}

#[test]
fn first_rule_broken_is_the_one_reported() {
    // RSV and reserved opcode and no mask: the RSV bits come first in the byte order
    // of the checks, whatever the split.
    rejects(
        Role::Server,
        &[0xf3, 0x00],
        FrameError::ReservedBits(0b111),
        1,
    );
    // Unfragmented ping, unmasked, too long: the mask (byte 1, high bit) is checked
    // before the length in the same byte.
    rejects(
        Role::Server,
        &[0x89, 0x7e, 0x00, 0x80],
        FrameError::UnmaskedFrame,
        2,
    );
}

// ------------------------------------------------------------ streams of frames

#[test]
fn frames_back_to_back_with_empty_payloads() {
    let mut wire = frame(false, Opcode::Binary, Some(KEY), b"");
    wire.extend(frame(false, Opcode::Continuation, Some(KEY), b"ab"));
    wire.extend(frame(true, Opcode::Ping, Some(KEY), b""));
    wire.extend(frame(true, Opcode::Continuation, Some(KEY), b""));
    let frames = accepts(Role::Server, &wire);
    let summary: Vec<String> = frames.iter().map(|(h, _)| h.to_string()).collect();
    assert_eq!(
        summary,
        [
            "binary len 0 mask 0x37fa213d",
            "continuation len 2 mask 0x37fa213d",
            "ping FIN len 0 mask 0x37fa213d",
            "continuation FIN len 0 mask 0x37fa213d",
        ]
    );
    assert_eq!(frames[1].1, b"ab");
}

#[test]
fn header_check_applies_the_role_rules_to_a_parsed_header() {
    let h = header(true, Opcode::Text, true, 5);
    assert_eq!(h.check(Role::Server), Ok(()));
    assert_eq!(h.check(Role::Client), Err(FrameError::MaskedFrame));
    let ping = header(false, Opcode::Ping, true, 5);
    assert_eq!(ping.check(Role::Server), Err(FrameError::FragmentedControl));
    let rsv = FrameHeader { rsv: 0b100, ..h };
    assert_eq!(
        rsv.check(Role::Server),
        Err(FrameError::ReservedBits(0b100))
    );
}
