//! Properties of the WebSocket layer: arbitrary bytes never panic the decoder or a
//! connection and leave memory bounded; encoding then decoding gives back the frame;
//! messages survive any fragmentation and any split of the byte stream.

use proptest::prelude::*;

use tundra_core::{Duration, Instant, Rng};
use tundra_http::ws::{
    encode_frame, Decoded, FrameDecoder, FrameError, FrameHeader, Opcode, Role, WsConfig,
    WsConnection, WsEvent,
};

type Frame = (FrameHeader, Vec<u8>);

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
                    current = Some((h, Vec::new()));
                    buf.drain(..n);
                }
                Ok((n, Decoded::Payload(_))) => {
                    current.as_mut().unwrap().1.extend_from_slice(&buf[..n]);
                    buf.drain(..n);
                }
                Ok((_, Decoded::FrameEnd)) => frames.push(current.take().unwrap()),
            }
        }
    }
    (frames, None)
}

/// Cuts `bytes` at the given (sorted, deduplicated) points.
fn cut<'a>(bytes: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = points.iter().map(|p| p % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::new();
    let mut start = 0;
    for c in cuts {
        out.push(&bytes[start..c]);
        start = c;
    }
    out.push(&bytes[start..]);
    out
}

fn role(client: bool) -> Role {
    if client {
        Role::Client
    } else {
        Role::Server
    }
}

fn opcode() -> impl Strategy<Value = Opcode> {
    prop_oneof![
        Just(Opcode::Continuation),
        Just(Opcode::Text),
        Just(Opcode::Binary),
        Just(Opcode::Close),
        Just(Opcode::Ping),
        Just(Opcode::Pong),
    ]
}

/// A message a client sends: text or binary, cut into fragments of these sizes, with
/// a ping after some fragments.
#[derive(Debug, Clone)]
enum Message {
    Text(String),
    Binary(Vec<u8>),
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        ".{0,40}".prop_map(Message::Text),
        proptest::collection::vec(any::<u8>(), 0..200).prop_map(Message::Binary),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn decoder_never_panics_and_splits_do_not_matter(
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
        client in any::<bool>(),
        points in proptest::collection::vec(any::<usize>(), 0..6),
    ) {
        let r = role(client);
        let whole = decode_chunks(r, &[&bytes]);
        prop_assert_eq!(decode_chunks(r, &cut(&bytes, &points)), whole);
    }

    #[test]
    fn encode_then_decode_is_the_identity(
        fin in any::<bool>(),
        op in opcode(),
        mask in proptest::option::of(any::<[u8; 4]>()),
        payload in proptest::collection::vec(any::<u8>(), 0..400),
        big in 0usize..3,
        points in proptest::collection::vec(any::<usize>(), 0..4),
    ) {
        // Control frames stay legal (FIN, <= 125 bytes); data frames sometimes cross
        // the 16-bit and 64-bit length boundaries.
        let (fin, payload) = if op.is_control() {
            (true, payload[..payload.len().min(125)].to_vec())
        } else {
            let extra = [0, 65_536, 70_000][big];
            let mut p = payload;
            p.resize(p.len() + extra, 0xa5);
            (fin, p)
        };
        let mut wire = Vec::new();
        encode_frame(&mut wire, fin, op, mask, &payload);
        let header = FrameHeader { fin, rsv: 0, opcode: op, mask, payload_len: payload.len() as u64 };
        prop_assert_eq!(wire.len(), header.header_len() + payload.len());
        let receiver = if mask.is_some() { Role::Server } else { Role::Client };
        let (frames, err) = decode_chunks(receiver, &cut(&wire, &points));
        prop_assert_eq!(err, None);
        prop_assert_eq!(frames, vec![(header, payload)]);
    }

    #[test]
    fn connection_never_panics_and_stays_bounded(
        frames in proptest::collection::vec(
            (any::<bool>(), opcode(), proptest::collection::vec(any::<u8>(), 0..300)),
            0..8,
        ),
        corrupt in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..3),
        noise in proptest::collection::vec(any::<u8>(), 0..64),
        client in any::<bool>(),
        points in proptest::collection::vec(any::<usize>(), 0..8),
        clock in proptest::collection::vec(0u64..20, 0..8),
        sends in proptest::collection::vec(".{0,30}", 0..4),
    ) {
        let config = WsConfig {
            max_message_size: 256,
            max_outbound: 512,
            output_high_water: 128,
            ping_interval: Some(Duration::from_secs(5)),
            pong_timeout: Duration::from_secs(3),
            close_timeout: Duration::from_secs(2),
            ..WsConfig::default()
        };
        let mut ws = if client {
            WsConnection::client(config.clone(), Instant::ZERO, Rng::from_seed(7))
        } else {
            WsConnection::server(config.clone(), Instant::ZERO)
        };
        // Mostly well-formed frames from the right role (so the message, close and
        // fragmentation rules are reached), some bytes flipped, random noise at the end.
        let mut bytes = Vec::new();
        for (fin, op, payload) in &frames {
            let mask = (!client).then_some([1, 2, 3, 4]);
            let (fin, payload) = if op.is_control() {
                (true, &payload[..payload.len().min(125)])
            } else {
                (*fin, &payload[..])
            };
            encode_frame(&mut bytes, fin, *op, mask, payload);
        }
        for (at, xor) in &corrupt {
            if !bytes.is_empty() {
                let i = at % bytes.len();
                bytes[i] ^= xor;
            }
        }
        bytes.extend_from_slice(&noise);
        let mut now = Instant::ZERO;
        let mut ended = false;
        for (i, chunk) in cut(&bytes, &points).into_iter().enumerate() {
            now += Duration::from_secs(clock.get(i).copied().unwrap_or(0));
            if ws.poll_at().is_some_and(|t| now >= t) {
                ws.on_timeout(now);
            }
            ws.on_bytes(now, chunk);
            while let Some(ev) = ws.poll_event(now) {
                prop_assert!(!ended, "nothing may follow Close or Error: {:?}", ev);
                match ev {
                    WsEvent::Text(t) => prop_assert!(t.len() <= 256),
                    WsEvent::Binary(b) => prop_assert!(b.len() <= 256),
                    WsEvent::Close { .. } | WsEvent::Error(_) => ended = true,
                    _ => {}
                }
            }
            if let Some(s) = sends.get(i) {
                let _ = ws.send_text(s);
            }
            // Output: at most max_outbound from sends, plus small control frames
            // (pongs while under the high-water mark, one Close, one Ping).
            prop_assert!(ws.queued_bytes() <= 512 + 128 + 4 * 131, "{}", ws.queued_bytes());
            // The transport takes half of what is waiting.
            let n = ws.poll_transmit().map_or(0, |b| b.len() / 2);
            ws.consume(n);
        }
        ws.on_eof(now);
        while let Some(ev) = ws.poll_event(now) {
            prop_assert!(!ended, "nothing may follow Close or Error: {:?}", ev);
            ended = matches!(ev, WsEvent::Close { .. } | WsEvent::Error(_));
        }
    }

    #[test]
    fn messages_survive_any_fragmentation_and_split(
        messages in proptest::collection::vec(message(), 1..6),
        fragment in 1usize..50,
        ping_every in 1usize..4,
        points in proptest::collection::vec(any::<usize>(), 0..10),
    ) {
        let key = [0x12, 0x34, 0x56, 0x78];
        let mut wire = Vec::new();
        let mut expected = Vec::new();
        let mut pings = 0u32;
        for m in &messages {
            let (op, payload) = match m {
                Message::Text(t) => (Opcode::Text, t.as_bytes().to_vec()),
                Message::Binary(b) => (Opcode::Binary, b.clone()),
            };
            let pieces: Vec<&[u8]> = if payload.is_empty() {
                vec![&[][..]]
            } else {
                payload.chunks(fragment).collect()
            };
            for (i, piece) in pieces.iter().enumerate() {
                let first = if i == 0 { op } else { Opcode::Continuation };
                encode_frame(&mut wire, i + 1 == pieces.len(), first, Some(key), piece);
                if i % ping_every == 0 {
                    // §5.4: control frames may sit between fragments.
                    let payload = pings.to_be_bytes();
                    encode_frame(&mut wire, true, Opcode::Ping, Some(key), &payload);
                    expected.push(WsEvent::Ping(payload.to_vec()));
                    pings += 1;
                }
            }
            expected.push(match m {
                Message::Text(t) => WsEvent::Text(t.clone()),
                Message::Binary(b) => WsEvent::Binary(b.clone()),
            });
        }
        let mut ws = WsConnection::server(WsConfig::default(), Instant::ZERO);
        let mut events = Vec::new();
        for chunk in cut(&wire, &points) {
            ws.on_bytes(Instant::ZERO, chunk);
            events.extend(std::iter::from_fn(|| ws.poll_event(Instant::ZERO)));
        }
        // Messages in order, and every ping reported in order, wherever it fell.
        let (pings_seen, messages_seen): (Vec<WsEvent>, Vec<WsEvent>) =
            events.into_iter().partition(|e| matches!(e, WsEvent::Ping(_)));
        let (pings_sent, messages_sent): (Vec<WsEvent>, Vec<WsEvent>) =
            expected.into_iter().partition(|e| matches!(e, WsEvent::Ping(_)));
        prop_assert_eq!(messages_seen, messages_sent);
        prop_assert_eq!(pings_seen, pings_sent);
        // Every ping got its pong, in order.
        let mut out = Vec::new();
        while let Some(b) = ws.poll_transmit() {
            out.extend_from_slice(b);
            let n = b.len();
            ws.consume(n);
        }
        let (pongs, err) = decode_chunks(Role::Client, &[&out]);
        prop_assert_eq!(err, None);
        let payloads: Vec<Vec<u8>> = pongs
            .iter()
            .map(|(h, p)| {
                assert_eq!(h.opcode, Opcode::Pong);
                p.clone()
            })
            .collect();
        let sent: Vec<Vec<u8>> = (0..pings).map(|n| n.to_be_bytes().to_vec()).collect();
        prop_assert_eq!(payloads, sent);
    }
}
