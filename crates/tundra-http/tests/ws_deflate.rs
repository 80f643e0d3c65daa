//! permessage-deflate (RFC 7692) on a WsConnection: the §7.2.3 examples as frames,
//! the RSV1 rules of §6, bad compressed data and decompression bombs, negotiation
//! in the opening handshake, and client ↔ server conversations under every parameter
//! set (with a proptest round trip). Server inputs are fed whole, byte by byte and
//! split at every byte, and must give the same events every way.

use proptest::prelude::*;
use tundra_core::{Instant, Rng};
use tundra_http::ws::{
    apply_mask, handshake_response, AcceptConfig, ClientHandshake, CloseCode, Decoded,
    DeflateParams, FrameDecoder, FrameError, FrameHeader, HandshakeError, Opcode, Role,
    ServerHandshake, WsConfig, WsConnection, WsError, WsEvent, WsState,
};
use tundra_http::{ClientResponse, Headers, Method, Request, StatusCode, Version};

const T0: Instant = Instant::ZERO;
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A masked client frame with RSV bits `rsv` (0x4 = RSV1).
fn frame(fin: bool, rsv: u8, opcode: Opcode, payload: &[u8]) -> Vec<u8> {
    let h = FrameHeader {
        fin,
        rsv,
        ..FrameHeader::new(opcode, Some(KEY), payload.len() as u64)
    };
    let mut out = Vec::new();
    h.emit(&mut out);
    let start = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[start..], KEY, 0);
    out
}

/// Headers and payloads of what a server sent, as its client decodes them.
fn frames_sent(ws: &mut WsConnection) -> Vec<(FrameHeader, Vec<u8>)> {
    let mut bytes = Vec::new();
    while let Some(b) = ws.poll_transmit() {
        bytes.extend_from_slice(b);
        let n = b.len();
        ws.consume(n);
    }
    let mut d = FrameDecoder::new(Role::Client);
    d.allow_rsv1();
    let (mut frames, mut pos, mut cur) = (Vec::new(), 0, None);
    loop {
        match d.decode(&mut bytes[pos..]).expect("our output is valid") {
            (_, Decoded::Partial) => break,
            (n, Decoded::Header(h)) => {
                cur = Some((h, Vec::new()));
                pos += n;
            }
            (n, Decoded::Payload(_)) => {
                let c: &mut (FrameHeader, Vec<u8>) = cur.as_mut().unwrap();
                c.1.extend_from_slice(&bytes[pos..pos + n]);
                pos += n;
            }
            (_, Decoded::FrameEnd) => frames.push(cur.take().unwrap()),
        }
    }
    frames
}

fn server(config: WsConfig, deflate: Option<DeflateParams>) -> WsConnection {
    let mut ws = WsConnection::server(config, T0);
    if let Some(p) = deflate {
        ws.set_deflate(p);
    }
    ws
}

/// Feeds `chunks` to a fresh server; the events it reports, echoing every message.
fn run(config: &WsConfig, deflate: Option<DeflateParams>, chunks: &[&[u8]]) -> Vec<WsEvent> {
    let mut ws = server(config.clone(), deflate);
    let mut evs = Vec::new();
    for c in chunks {
        ws.on_bytes(T0, c);
        while let Some(e) = ws.poll_event(T0) {
            evs.push(e);
        }
    }
    evs
}

/// `input` whole, byte by byte and split at every byte: the same events.
#[track_caller]
fn converse(config: WsConfig, deflate: Option<DeflateParams>, input: &[u8]) -> Vec<WsEvent> {
    let whole = run(&config, deflate, &[input]);
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(run(&config, deflate, &bytes), whole, "one byte at a time");
    for i in 0..=input.len() {
        let (a, b) = input.split_at(i);
        assert_eq!(run(&config, deflate, &[a, b]), whole, "split at {i}");
    }
    whole
}

const HELLO_DEFLATED: [u8; 7] = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

fn on() -> Option<DeflateParams> {
    Some(DeflateParams::default())
}

// ------------------------------------------------------------------ RFC 7692 §7.2.3

#[test]
fn rfc7692_7_2_3_1_compressed_hello_in_one_frame_and_our_answer_is_the_rfc_frame() {
    // The RFC's frame is unmasked (server to client): "0xc1 0x07 0xf2 0x48 0xcd 0xc9
    // 0xc9 0x07 0x00". A client sends the same, masked: RSV1 + FIN + text.
    let input = frame(true, 0x4, Opcode::Text, &HELLO_DEFLATED);
    assert_eq!(input[0], 0xc1);
    let evs = converse(WsConfig::default(), on(), &input);
    assert_eq!(evs, [WsEvent::Text("Hello".into())]);
    let mut ws = server(WsConfig::default(), on());
    ws.send_text("Hello").unwrap();
    let mut wire = Vec::new();
    wire.extend_from_slice(ws.poll_transmit().unwrap());
    assert_eq!(wire, [0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
}

#[test]
fn rfc7692_7_2_3_1_compressed_hello_in_two_fragments() {
    // "0x41 0x03 0xf2 0x48 0xcd" and "0x80 0x04 0xc9 0xc9 0x07 0x00": RSV1 only on
    // the first fragment.
    let input = [
        frame(false, 0x4, Opcode::Text, &HELLO_DEFLATED[..3]),
        frame(true, 0, Opcode::Continuation, &HELLO_DEFLATED[3..]),
    ]
    .concat();
    assert_eq!((input[0], input[9]), (0x41, 0x80));
    let evs = converse(WsConfig::default(), on(), &input);
    assert_eq!(evs, [WsEvent::Text("Hello".into())]);
}

#[test]
fn rfc7692_7_2_3_2_context_takeover_between_two_messages() {
    // The second "Hello" refers back into the first message's window.
    let input = [
        frame(true, 0x4, Opcode::Text, &HELLO_DEFLATED),
        frame(true, 0x4, Opcode::Text, &[0xf2, 0x00, 0x11, 0x00, 0x00]),
    ]
    .concat();
    let evs = converse(WsConfig::default(), on(), &input);
    assert_eq!(
        evs,
        [WsEvent::Text("Hello".into()), WsEvent::Text("Hello".into())]
    );
}

#[test]
fn rfc7692_7_2_3_4_bfinal_then_an_uncompressed_message() {
    // A compressed message using a BFINAL block, then a message sent without RSV1:
    // §6 lets a sender leave any message uncompressed.
    let input = [
        frame(
            true,
            0x4,
            Opcode::Text,
            &[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00],
        ),
        frame(true, 0, Opcode::Binary, b"raw"),
    ]
    .concat();
    let evs = converse(WsConfig::default(), on(), &input);
    assert_eq!(
        evs,
        [
            WsEvent::Text("Hello".into()),
            WsEvent::Binary(b"raw".to_vec())
        ]
    );
}

// ------------------------------------------------------------------ failures

fn failed_with(evs: &[WsEvent]) -> WsError {
    match evs.last() {
        Some(WsEvent::Error(e)) => *e,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn rsv1_without_negotiation_fails_1002() {
    let input = frame(true, 0x4, Opcode::Text, &HELLO_DEFLATED);
    let evs = converse(WsConfig::default(), None, &input);
    let e = failed_with(&evs);
    assert_eq!(e, WsError::Frame(FrameError::ReservedBits(0x4)));
    assert_eq!(e.close_code(), CloseCode::PROTOCOL_ERROR);
}

#[test]
fn rfc7692_6_rsv1_on_a_control_or_continuation_frame_fails_1002() {
    let ping = frame(true, 0x4, Opcode::Ping, b"x");
    let e = failed_with(&converse(WsConfig::default(), on(), &ping));
    assert_eq!(e, WsError::Frame(FrameError::MisplacedCompressedBit(0x9)));
    let cont = [
        frame(false, 0x4, Opcode::Text, &HELLO_DEFLATED[..3]),
        frame(true, 0x4, Opcode::Continuation, &HELLO_DEFLATED[3..]),
    ]
    .concat();
    let e = failed_with(&converse(WsConfig::default(), on(), &cont));
    assert_eq!(e, WsError::Frame(FrameError::MisplacedCompressedBit(0x0)));
    assert_eq!(e.close_code(), CloseCode::PROTOCOL_ERROR);
    // RSV2 and RSV3 stay reserved.
    let rsv2 = frame(true, 0x2, Opcode::Text, b"x");
    let e = failed_with(&converse(WsConfig::default(), on(), &rsv2));
    assert_eq!(e, WsError::Frame(FrameError::ReservedBits(0x2)));
}

#[test]
fn invalid_deflate_data_fails_1007_and_the_close_says_so() {
    // BTYPE 11 is reserved (RFC 1951 §3.2.3).
    let input = frame(true, 0x4, Opcode::Binary, &[0xff, 0xff, 0xff]);
    let e = failed_with(&converse(WsConfig::default(), on(), &input));
    assert_eq!(e, WsError::InvalidCompressedData);
    let mut ws = server(WsConfig::default(), on());
    ws.on_bytes(T0, &input);
    while ws.poll_event(T0).is_some() {}
    let frames = frames_sent(&mut ws);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].0.opcode, Opcode::Close);
    assert_eq!(frames[0].1[..2], 1007u16.to_be_bytes());
    assert_eq!(ws.state(), WsState::Failed);
}

#[test]
fn decompression_bomb_stops_at_the_message_limit_with_1009() {
    // 4 MiB of zeros in about 4 KiB on the wire, against a 64 KiB limit.
    let mut client = WsConnection::client(WsConfig::default(), T0, Rng::from_seed(7));
    client.set_deflate(DeflateParams::default());
    client.send_binary(&vec![0u8; 4 << 20]).unwrap();
    let wire = client.poll_transmit().unwrap().to_vec();
    assert!(wire.len() < 64 * 1024, "{}", wire.len());
    let config = WsConfig {
        max_message_size: 64 * 1024,
        ..WsConfig::default()
    };
    let mut ws = server(config, on());
    ws.on_bytes(T0, &wire);
    let evs: Vec<_> = std::iter::from_fn(|| ws.poll_event(T0)).collect();
    let e = failed_with(&evs);
    assert_eq!(e, WsError::MessageTooBig { limit: 64 * 1024 });
    assert_eq!(e.close_code(), CloseCode::MESSAGE_TOO_BIG);
}

#[test]
fn text_that_decompresses_to_bad_utf8_fails_1007() {
    let mut client = WsConnection::client(WsConfig::default(), T0, Rng::from_seed(1));
    client.set_deflate(DeflateParams::default());
    // A binary message whose bytes are not UTF-8, re-labelled as text on the wire.
    client.send_binary(&[b'a', 0xff, b'b']).unwrap();
    let mut wire = client.poll_transmit().unwrap().to_vec();
    wire[0] = (wire[0] & 0xf0) | Opcode::Text.bits();
    let e = failed_with(&converse(WsConfig::default(), on(), &wire));
    assert!(matches!(e, WsError::InvalidUtf8(_)), "{e:?}");
}

// ------------------------------------------------------------------ handshake

fn request(extensions: &[&str]) -> Request {
    let mut headers = Headers::new();
    headers.push("Host", "10.0.0.2");
    headers.push("Upgrade", "websocket");
    headers.push("Connection", "Upgrade");
    headers.push("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    headers.push("Sec-WebSocket-Version", "13");
    for e in extensions {
        headers.push("Sec-WebSocket-Extensions", *e);
    }
    Request {
        method: Method::Get,
        target: "/echo".into(),
        version: Version::HTTP_11,
        headers,
        body: Vec::new(),
        trailers: Headers::new(),
        keep_alive: true,
    }
}

fn deflate_on() -> AcceptConfig {
    AcceptConfig {
        deflate: true,
        ..AcceptConfig::default()
    }
}

#[test]
fn server_accepts_chromiums_offer_in_the_101() {
    let req = request(&["permessage-deflate; client_max_window_bits"]);
    let hs = ServerHandshake::check(&req, &deflate_on()).unwrap();
    assert_eq!(hs.deflate, Some(DeflateParams::default()));
    let resp = handshake_response(&req, &deflate_on());
    assert_eq!(resp.status, StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(
        resp.headers.get("sec-websocket-extensions"),
        Some(&b"permessage-deflate"[..])
    );
    // Off by configuration: declined, the handshake goes on.
    let resp = handshake_response(&req, &AcceptConfig::default());
    assert_eq!(resp.status, StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(resp.headers.get("sec-websocket-extensions"), None);
}

#[test]
fn server_declines_what_it_cannot_read_and_never_fails_the_handshake() {
    for offer in [
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; unknown_param",
        "x-webkit-deflate-frame",
        "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
    ] {
        let req = request(&[offer]);
        let resp = handshake_response(&req, &deflate_on());
        assert_eq!(resp.status, StatusCode::SWITCHING_PROTOCOLS, "{offer}");
        assert_eq!(
            resp.headers.get("sec-websocket-extensions"),
            None,
            "{offer}"
        );
    }
    // Autobahn 13.7's list: the first acceptable offer wins.
    let req = request(&[
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_max_window_bits; client_no_context_takeover",
        "permessage-deflate; server_no_context_takeover",
    ]);
    let resp = handshake_response(&req, &deflate_on());
    assert_eq!(
        resp.headers.get("sec-websocket-extensions"),
        Some(
            &b"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9"[..]
        )
    );
}

fn response_101(hs: &ClientHandshake, extensions: Option<&str>) -> ClientResponse {
    let mut headers = Headers::new();
    headers.push("Upgrade", "websocket");
    headers.push("Connection", "Upgrade");
    headers.push(
        "Sec-WebSocket-Accept",
        tundra_http::ws::accept_key(hs.key()),
    );
    if let Some(e) = extensions {
        headers.push("Sec-WebSocket-Extensions", e);
    }
    ClientResponse {
        version: Version::HTTP_11,
        status: StatusCode::SWITCHING_PROTOCOLS,
        reason: b"Switching Protocols".to_vec(),
        headers,
    }
}

#[test]
fn client_offers_deflate_and_reads_the_answer() {
    let url = tundra_http::ws::parse_ws_url("ws://10.0.0.2/echo").unwrap();
    let (mut hs, mut req) = ClientHandshake::new(&url, [7; 16], &[]);
    hs.offer_deflate(&mut req);
    assert_eq!(
        req.headers.get("sec-websocket-extensions"),
        Some(&b"permessage-deflate; client_max_window_bits"[..])
    );
    let ok = response_101(&hs, Some("permessage-deflate; client_max_window_bits=10"));
    assert_eq!(hs.verify(&ok), Ok(None));
    let p = hs.verify_deflate(&ok).unwrap().unwrap();
    assert_eq!(p.client_max_window_bits, 10);
    assert_eq!(hs.verify_deflate(&response_101(&hs, None)), Ok(None));
    let bad = response_101(&hs, Some("permessage-deflate; bogus"));
    assert_eq!(hs.verify(&bad), Err(HandshakeError::BadExtensionResponse));
    // Without the offer, any extension fails the handshake (RFC 6455 §4.1).
    let (plain, _) = ClientHandshake::new(&url, [7; 16], &[]);
    let resp = response_101(&plain, Some("permessage-deflate"));
    assert_eq!(
        plain.verify(&resp),
        Err(HandshakeError::UnrequestedExtension)
    );
}

// ------------------------------------------------------------------ client <-> server

/// Every message the client sends arrives at the server and back, with `params`.
fn echo_through(params: DeflateParams, messages: &[Vec<u8>], split: usize) -> Vec<Vec<u8>> {
    let mut client = WsConnection::client(WsConfig::default(), T0, Rng::from_seed(3));
    client.set_deflate(params);
    let mut srv = server(WsConfig::default(), Some(params));
    let mut got = Vec::new();
    for m in messages {
        client.send_binary(m).unwrap();
    }
    for _ in 0..64 {
        if got.len() == messages.len() {
            break;
        }
        let wire = client
            .poll_transmit()
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        client.consume(wire.len());
        let mut pieces: Vec<&[u8]> = wire.chunks(split.max(1)).collect();
        pieces.push(&[]);
        for piece in pieces {
            srv.on_bytes(T0, piece);
            while let Some(e) = srv.poll_event(T0) {
                match e {
                    WsEvent::Binary(b) => srv.send_binary(&b).unwrap(),
                    other => panic!("server: {other:?}"),
                }
            }
        }
        let back = srv.poll_transmit().map(<[u8]>::to_vec).unwrap_or_default();
        srv.consume(back.len());
        client.on_bytes(T0, &back);
        while let Some(e) = client.poll_event(T0) {
            match e {
                WsEvent::Binary(b) => got.push(b),
                other => panic!("{other:?}"),
            }
        }
    }
    got
}

fn sample_messages() -> Vec<Vec<u8>> {
    let text: Vec<u8> = (0..3000u32)
        .flat_map(|i| format!("{{\"id\":{i},\"name\":\"tundra\"}}").into_bytes())
        .collect();
    let mut x = 0x9e37_79b9u32;
    let noise: Vec<u8> = (0..70_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    vec![text.clone(), Vec::new(), noise, text[..100].to_vec(), text]
}

#[test]
fn client_and_server_agree_under_every_parameter_set() {
    let msgs = sample_messages();
    for snct in [false, true] {
        for cnct in [false, true] {
            for (sbits, cbits) in [(15, 15), (9, 15), (15, 8), (8, 10)] {
                let p = DeflateParams {
                    server_no_context_takeover: snct,
                    client_no_context_takeover: cnct,
                    server_max_window_bits: sbits,
                    client_max_window_bits: cbits,
                };
                let back = echo_through(p, &msgs, 1 << 20);
                assert!(back == msgs, "{p}: {} messages back", back.len());
            }
        }
    }
    // And fed in 1000-byte pieces.
    assert!(echo_through(DeflateParams::default(), &msgs, 1000) == msgs);
}

#[test]
fn repeated_messages_shrink_with_context_takeover_only() {
    let msg = sample_messages().swap_remove(3);
    let wire = |p: DeflateParams| {
        let mut ws = server(WsConfig::default(), Some(p));
        ws.send_binary(&msg).unwrap();
        let first = ws.poll_transmit().unwrap().len();
        ws.consume(first);
        ws.send_binary(&msg).unwrap();
        (first, ws.poll_transmit().unwrap().len())
    };
    let (a, b) = wire(DeflateParams::default());
    assert!(b < a / 2, "{a} then {b}");
    let (a, b) = wire(DeflateParams {
        server_no_context_takeover: true,
        ..DeflateParams::default()
    });
    assert_eq!(a, b);
}

fn params() -> impl Strategy<Value = DeflateParams> {
    (any::<bool>(), any::<bool>(), 8u8..=15, 8u8..=15).prop_map(|(s, c, sb, cb)| DeflateParams {
        server_no_context_takeover: s,
        client_no_context_takeover: c,
        server_max_window_bits: sb,
        client_max_window_bits: cb,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any messages, any parameters, any split of the stream: what the client sends
    /// comes back from the server's echo byte for byte.
    #[test]
    fn compressed_echo_round_trip(
        p in params(),
        msgs in prop::collection::vec(
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..2000),
                prop::collection::vec(prop::sample::select(b"abc ".to_vec()), 0..5000),
            ],
            1..6,
        ),
        split in 1usize..3000,
    ) {
        prop_assert_eq!(echo_through(p, &msgs, split), msgs);
    }

    /// Random bytes behind RSV1 never panic the server and never make it hold more
    /// than the limit.
    #[test]
    fn random_compressed_payloads_are_handled(payload in prop::collection::vec(any::<u8>(), 0..600)) {
        let config = WsConfig { max_message_size: 4096, ..WsConfig::default() };
        let mut ws = server(config, on());
        ws.on_bytes(T0, &frame(true, 0x4, Opcode::Binary, &payload));
        while let Some(e) = ws.poll_event(T0) {
            if let WsEvent::Binary(b) = e {
                prop_assert!(b.len() <= 4096);
            }
        }
    }
}
