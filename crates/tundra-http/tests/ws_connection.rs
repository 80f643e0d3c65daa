//! WsConnection conversations: frames in, events and frames out, with the virtual
//! clock. Each test opens with what it proves. Inputs to a server are fed whole, one
//! byte at a time and split at every byte (`converse`), and must give the same events
//! and the same answer every way.

use tundra_core::{Duration, Instant, Rng};
use tundra_http::ws::FrameError;
use tundra_http::ws::{
    encode_frame, CloseCode, Decoded, FrameDecoder, Opcode, Role, SendError, Utf8Error, WsConfig,
    WsConnection, WsError, WsEvent, WsState,
};

const T0: Instant = Instant::ZERO;
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

// ------------------------------------------------------------------ helpers

/// A frame as a client sends it (masked).
fn client_frame(fin: bool, opcode: Opcode, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_frame(&mut out, fin, opcode, Some(KEY), payload);
    out
}

fn text(s: &str) -> Vec<u8> {
    client_frame(true, Opcode::Text, s.as_bytes())
}

fn close_frame(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut body = code.to_be_bytes().to_vec();
    body.extend_from_slice(reason);
    client_frame(true, Opcode::Close, &body)
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

/// Renders frames the way a capture summary would: `text "Hello"`, `pong "x"`,
/// `close 1000 "bye"`, `binary 300 bytes`; ` (more)` when FIN is clear.
fn render(frames: Vec<(tundra_http::ws::FrameHeader, Vec<u8>)>) -> Vec<String> {
    frames
        .into_iter()
        .map(|(h, p)| {
            let body = match h.opcode {
                Opcode::Text | Opcode::Ping | Opcode::Pong => {
                    format!("{} {:?}", h.opcode, String::from_utf8_lossy(&p))
                }
                Opcode::Close if p.len() >= 2 => format!(
                    "close {} {:?}",
                    u16::from_be_bytes([p[0], p[1]]),
                    String::from_utf8_lossy(&p[2..])
                ),
                Opcode::Close => "close".to_owned(),
                _ => format!("{} {} bytes", h.opcode, p.len()),
            };
            if h.fin {
                body
            } else {
                format!("{body} (more)")
            }
        })
        .collect()
}

/// Decodes `bytes` as received by `role`; panics on a framing error.
fn decode_all(role: Role, mut bytes: Vec<u8>) -> Vec<(tundra_http::ws::FrameHeader, Vec<u8>)> {
    let mut d = FrameDecoder::new(role);
    let mut frames = Vec::new();
    let mut pos = 0;
    let mut current = None;
    loop {
        match d
            .decode(&mut bytes[pos..])
            .expect("our output must be valid")
        {
            (_, Decoded::Partial) => break,
            (n, Decoded::Header(h)) => {
                current = Some((h, Vec::new()));
                pos += n;
            }
            (n, Decoded::Payload(_)) => {
                current
                    .as_mut()
                    .unwrap()
                    .1
                    .extend_from_slice(&bytes[pos..pos + n]);
                pos += n;
            }
            (_, Decoded::FrameEnd) => frames.push(current.take().unwrap()),
        }
    }
    assert_eq!(pos, bytes.len(), "trailing partial frame in our output");
    frames
}

/// Everything `ws` wants to send, taken by the transport.
fn drain(ws: &mut WsConnection) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(bytes) = ws.poll_transmit() {
        out.extend_from_slice(bytes);
        let n = bytes.len();
        ws.consume(n);
    }
    out
}

/// What a server sent, as a client sees it.
fn sent(ws: &mut WsConnection) -> Vec<String> {
    let role = match ws.role() {
        Role::Server => Role::Client,
        Role::Client => Role::Server,
    };
    render(decode_all(role, drain(ws)))
}

fn events(ws: &mut WsConnection, now: Instant) -> Vec<WsEvent> {
    std::iter::from_fn(|| ws.poll_event(now)).collect()
}

fn run(config: &WsConfig, chunks: &[&[u8]]) -> (Vec<WsEvent>, Vec<String>, WsState) {
    let mut ws = WsConnection::server(config.clone(), T0);
    let mut evs = Vec::new();
    for c in chunks {
        ws.on_bytes(T0, c);
        evs.extend(events(&mut ws, T0));
    }
    let out = sent(&mut ws);
    (evs, out, ws.state())
}

/// Feeds `input` to a fresh server whole, byte by byte and at every split; asserts
/// all agree and returns the events, the frames sent and the final state.
#[track_caller]
fn converse_with(config: WsConfig, input: &[u8]) -> (Vec<WsEvent>, Vec<String>, WsState) {
    let whole = run(&config, &[input]);
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(run(&config, &bytes), whole, "one byte at a time");
    for i in 0..=input.len() {
        let (a, b) = input.split_at(i);
        assert_eq!(run(&config, &[a, b]), whole, "split at {i}");
    }
    whole
}

#[track_caller]
fn converse(input: &[u8]) -> (Vec<WsEvent>, Vec<String>, WsState) {
    converse_with(WsConfig::default(), input)
}

fn text_event(s: &str) -> WsEvent {
    WsEvent::Text(s.to_owned())
}

fn close_event(code: u16, reason: &str) -> WsEvent {
    WsEvent::Close {
        code: CloseCode(code),
        reason: reason.to_owned(),
    }
}

// ------------------------------------------------------------------ messages

#[test]
fn rfc6455_5_7_masked_hello_is_one_text_message() {
    let (events, out, state) = converse(&[
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ]);
    assert_eq!(events, [text_event("Hello")]);
    assert!(out.is_empty());
    assert_eq!(state, WsState::Open);
}

#[test]
fn rfc6455_5_4_fragments_make_one_message_with_a_ping_in_between() {
    // "Hel" + ping + "lo": the ping is answered at once and reported before the
    // message it interrupted completes.
    let input = cat(&[
        client_frame(false, Opcode::Text, b"Hel"),
        client_frame(true, Opcode::Ping, b"are you there"),
        client_frame(true, Opcode::Continuation, b"lo"),
    ]);
    let (events, out, _) = converse(&input);
    assert_eq!(
        events,
        [
            WsEvent::Ping(b"are you there".to_vec()),
            text_event("Hello")
        ]
    );
    assert_eq!(out, [r#"pong "are you there""#]);
}

#[test]
fn binary_message_in_three_fragments_some_empty() {
    let input = cat(&[
        client_frame(false, Opcode::Binary, &[1, 2]),
        client_frame(false, Opcode::Continuation, &[]),
        client_frame(true, Opcode::Continuation, &[3]),
    ]);
    let (events, _, _) = converse(&input);
    assert_eq!(events, [WsEvent::Binary(vec![1, 2, 3])]);
}

#[test]
fn empty_messages_are_messages() {
    let (events, _, _) = converse(&cat(&[text(""), client_frame(true, Opcode::Binary, b"")]));
    assert_eq!(events, [text_event(""), WsEvent::Binary(vec![])]);
}

#[test]
fn rfc6455_5_4_continuation_without_a_message_fails_1002() {
    let (events, out, state) = converse(&client_frame(true, Opcode::Continuation, b"x"));
    assert_eq!(events, [WsEvent::Error(WsError::UnexpectedContinuation)]);
    assert_eq!(
        out,
        [r#"close 1002 "continuation frame without a message to continue""#]
    );
    assert_eq!(state, WsState::Failed);
}

#[test]
fn rfc6455_5_4_new_message_inside_a_fragmented_one_fails_1002() {
    let input = cat(&[client_frame(false, Opcode::Text, b"a"), text("b")]);
    let (events, out, _) = converse(&input);
    assert_eq!(events, [WsEvent::Error(WsError::UnfinishedMessage)]);
    assert_eq!(
        out,
        [r#"close 1002 "new data frame inside a fragmented message""#]
    );
}

#[test]
fn frame_errors_fail_the_connection_with_1002() {
    // One case per frame rule; the message before the bad frame is still delivered.
    let mut reserved_bits = text("x");
    reserved_bits[0] |= 0x40;
    let cases: [(Vec<u8>, FrameError); 5] = [
        (reserved_bits, FrameError::ReservedBits(0b100)),
        (
            client_frame(true, Opcode::Reserved(0xb), b""),
            FrameError::ReservedOpcode(0xb),
        ),
        (
            {
                let mut v = Vec::new();
                encode_frame(&mut v, true, Opcode::Text, None, b"plain");
                v
            },
            FrameError::UnmaskedFrame,
        ),
        (
            client_frame(true, Opcode::Ping, &[0; 126]),
            FrameError::ControlTooLong,
        ),
        (
            client_frame(false, Opcode::Ping, b""),
            FrameError::FragmentedControl,
        ),
    ];
    for (bad, err) in cases {
        let (events, out, state) = converse(&cat(&[text("before"), bad]));
        assert_eq!(
            events,
            [text_event("before"), WsEvent::Error(WsError::Frame(err))],
            "{err}"
        );
        assert_eq!(out.len(), 1);
        assert!(out[0].starts_with("close 1002 "), "{out:?}");
        assert_eq!(state, WsState::Failed);
    }
}

// ------------------------------------------------------------------ UTF-8 (§8.1)

#[test]
fn rfc6455_8_1_text_split_inside_a_character_across_fragments() {
    // "κόσμε" with the fragment boundary in the middle of "ό" (CE BC / CF 8C ...).
    let s = "κόσμε".as_bytes();
    let input = cat(&[
        client_frame(false, Opcode::Text, &s[..3]),
        client_frame(true, Opcode::Continuation, &s[3..]),
    ]);
    let (events, _, _) = converse(&input);
    assert_eq!(events, [text_event("κόσμε")]);
}

#[test]
fn invalid_utf8_fails_1007_in_the_first_fragment_without_waiting_for_the_rest() {
    // The first fragment holds ED A0 (a surrogate): fail before any more arrives.
    let first = client_frame(false, Opcode::Text, &[b'o', b'k', 0xed, 0xa0, 0x80]);
    let (events, out, _) = converse(&first);
    assert_eq!(
        events,
        [WsEvent::Error(WsError::InvalidUtf8(Utf8Error {
            position: 3
        }))]
    );
    assert_eq!(
        out,
        [r#"close 1007 "text message: invalid UTF-8 at byte 3 of the message""#]
    );
}

#[test]
fn invalid_utf8_fails_in_the_middle_of_a_frame() {
    // Autobahn 6.4.3/6.4.4: a frame of 1000 bytes whose 11th byte is invalid fails
    // once 11 payload bytes are in, long before the frame ends.
    let mut payload = vec![b'a'; 1000];
    payload[10] = 0xff;
    let wire = client_frame(true, Opcode::Text, &payload);
    let header_len = 8;
    let (events, out, _) = converse(&wire[..header_len + 11]);
    assert_eq!(
        events,
        [WsEvent::Error(WsError::InvalidUtf8(Utf8Error {
            position: 10
        }))]
    );
    assert!(out[0].starts_with("close 1007"));
    let (events, _, _) = converse(&wire[..header_len + 10]);
    assert!(events.is_empty(), "ten valid bytes are not an error yet");
}

#[test]
fn truncated_character_fails_only_at_the_end_of_the_message() {
    // F0 9D (the start of U+1D11E) at the end of a fragment is fine; at the end of
    // the message it is invalid.
    let (events, _, _) = converse(&client_frame(false, Opcode::Text, &[b'a', 0xf0, 0x9d]));
    assert!(events.is_empty());
    let input = cat(&[
        client_frame(false, Opcode::Text, &[b'a', 0xf0, 0x9d]),
        client_frame(true, Opcode::Continuation, &[]),
    ]);
    let (events, out, _) = converse(&input);
    assert_eq!(
        events,
        [WsEvent::Error(WsError::InvalidUtf8(Utf8Error {
            position: 3
        }))]
    );
    assert!(out[0].starts_with("close 1007"));
}

#[test]
fn binary_messages_are_not_checked_for_utf8() {
    let (events, _, _) = converse(&client_frame(true, Opcode::Binary, &[0xff, 0xfe]));
    assert_eq!(events, [WsEvent::Binary(vec![0xff, 0xfe])]);
}

// ------------------------------------------------------------------ ping / pong

#[test]
fn rfc6455_5_5_2_ping_is_answered_with_an_identical_pong() {
    let payload = [0xa5u8; 125];
    let (events, _, _) = converse(&client_frame(true, Opcode::Ping, &payload));
    assert_eq!(events, [WsEvent::Ping(payload.to_vec())]);
    let mut ws = WsConnection::server(WsConfig::default(), T0);
    ws.on_bytes(T0, &client_frame(true, Opcode::Ping, &payload));
    events_of(&mut ws);
    let frames = decode_all(Role::Client, drain(&mut ws));
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].0.opcode, Opcode::Pong);
    assert_eq!(frames[0].0.mask, None, "server frames are not masked");
    assert_eq!(frames[0].1, payload);
}

fn events_of(ws: &mut WsConnection) -> Vec<WsEvent> {
    events(ws, T0)
}

#[test]
fn unsolicited_pong_is_reported_and_not_answered() {
    let (events, out, _) = converse(&client_frame(true, Opcode::Pong, b"beat"));
    assert_eq!(events, [WsEvent::Pong(b"beat".to_vec())]);
    assert!(out.is_empty());
}

// ------------------------------------------------------------------ close (§5.5.1, §7)

#[test]
fn rfc6455_5_5_1_close_is_echoed_with_its_code_and_the_server_closes_tcp() {
    let mut ws = WsConnection::server(WsConfig::default(), T0);
    ws.on_bytes(T0, &close_frame(1000, b"bye"));
    assert_eq!(events_of(&mut ws), [close_event(1000, "bye")]);
    assert_eq!(ws.state(), WsState::Closed);
    assert!(!ws.wants_close(), "the echo is not sent yet");
    assert_eq!(sent(&mut ws), [r#"close 1000 """#]);
    assert!(ws.wants_close(), "§7.1.1: the server closes TCP first");
    assert_eq!(ws.send_text("late"), Err(SendError::Closing));
}

#[test]
fn empty_close_is_reported_as_1005_and_answered_with_an_empty_close() {
    let (events, out, state) = converse(&client_frame(true, Opcode::Close, b""));
    assert_eq!(events, [close_event(1005, "")]);
    assert_eq!(out, ["close"]);
    assert_eq!(state, WsState::Closed);
}

#[test]
fn close_with_a_one_byte_payload_fails_1002() {
    let (events, out, _) = converse(&client_frame(true, Opcode::Close, &[0x03]));
    assert_eq!(events, [WsEvent::Error(WsError::ClosePayloadTooShort)]);
    assert!(out[0].starts_with("close 1002"));
}

#[test]
fn rfc6455_7_4_close_codes_valid_are_echoed_invalid_fail_1002() {
    for code in [
        1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000,
        4999,
    ] {
        let (events, out, _) = converse(&close_frame(code, b""));
        assert_eq!(events, [close_event(code, "")], "{code}");
        assert_eq!(out, [format!(r#"close {code} """#)]);
    }
    for code in [
        0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
    ] {
        let (events, out, _) = converse(&close_frame(code, b""));
        assert_eq!(
            events,
            [WsEvent::Error(WsError::InvalidCloseCode(code))],
            "{code}"
        );
        assert!(out[0].starts_with("close 1002"), "{code}: {out:?}");
    }
}

#[test]
fn close_reason_must_be_utf8_else_1007() {
    let (events, out, _) = converse(&close_frame(1000, &[b'o', 0xff]));
    assert_eq!(events, [WsEvent::Error(WsError::InvalidCloseReason)]);
    assert!(out[0].starts_with("close 1007"));
}

#[test]
fn close_reason_of_123_bytes_fits_124_is_a_control_frame_too_long() {
    let reason = [b'r'; 123];
    let (events, _, _) = converse(&close_frame(1000, &reason));
    assert_eq!(events, [close_event(1000, &"r".repeat(123))]);
    let (events, _, _) = converse(&close_frame(1000, &[b'r'; 124]));
    assert_eq!(
        events,
        [WsEvent::Error(WsError::Frame(FrameError::ControlTooLong))]
    );
}

#[test]
fn nothing_after_the_peers_close_is_processed() {
    let input = cat(&[
        close_frame(1001, b""),
        text("ghost"),
        client_frame(true, Opcode::Ping, b"p"),
    ]);
    let (events, out, _) = converse(&input);
    assert_eq!(events, [close_event(1001, "")]);
    assert_eq!(out, [r#"close 1001 """#]);
}

#[test]
fn we_close_first_then_the_peer_answers() {
    let mut ws = WsConnection::server(WsConfig::default(), T0);
    ws.close(T0, CloseCode::NORMAL, "done").unwrap();
    assert_eq!(ws.state(), WsState::Closing);
    assert_eq!(sent(&mut ws), [r#"close 1000 "done""#]);
    // §5.5.1: no data frames after our Close, but the peer's messages still arrive.
    assert_eq!(ws.send_text("more"), Err(SendError::Closing));
    assert_eq!(ws.close(T0, CloseCode::NORMAL, ""), Err(SendError::Closing));
    ws.on_bytes(
        T0,
        &cat(&[
            text("in flight"),
            client_frame(true, Opcode::Ping, b"p"),
            close_frame(1000, b""),
        ]),
    );
    assert_eq!(
        events_of(&mut ws),
        [
            text_event("in flight"),
            WsEvent::Ping(b"p".to_vec()),
            close_event(1000, "")
        ]
    );
    assert!(
        sent(&mut ws).is_empty(),
        "no pong and no second close after ours"
    );
    assert!(ws.wants_close());
}

#[test]
fn peer_that_never_answers_our_close_is_given_close_timeout() {
    let config = WsConfig::default();
    let mut ws = WsConnection::server(config.clone(), T0);
    ws.close(T0, CloseCode::GOING_AWAY, "").unwrap();
    drain(&mut ws);
    let deadline = T0 + config.close_timeout;
    assert_eq!(ws.poll_at(), Some(deadline));
    ws.on_timeout(deadline - Duration::from_millis(1));
    assert!(!ws.wants_close());
    ws.on_timeout(deadline);
    // §7.1.5: no Close frame received -> 1006.
    assert_eq!(events_of(&mut ws), [close_event(1006, "")]);
    assert!(ws.wants_close());
    assert_eq!(ws.poll_at(), None);
}

#[test]
fn close_reasons_are_cut_to_123_bytes_and_local_codes_refused() {
    let mut ws = WsConnection::server(WsConfig::default(), T0);
    assert_eq!(
        ws.close(T0, CloseCode::ABNORMAL, ""),
        Err(SendError::InvalidCloseCode(1006))
    );
    ws.close(T0, CloseCode(4000), &"x".repeat(500)).unwrap();
    let frames = decode_all(Role::Client, drain(&mut ws));
    assert_eq!(frames[0].1.len(), 125);
}

#[test]
fn transport_closed_without_a_close_frame_is_1006_after_what_was_buffered() {
    let mut ws = WsConnection::server(WsConfig::default(), T0);
    ws.on_bytes(T0, &text("last words"));
    ws.on_eof(T0);
    assert_eq!(
        events_of(&mut ws),
        [text_event("last words"), close_event(1006, "")]
    );
    assert!(ws.wants_close());
}

#[test]
fn close_frame_followed_by_fin_is_a_clean_close() {
    let mut ws = WsConnection::server(WsConfig::default(), T0);
    ws.on_bytes(T0, &close_frame(1000, b""));
    ws.on_eof(T0);
    assert_eq!(events_of(&mut ws), [close_event(1000, "")]);
}

#[test]
fn failed_connection_reads_nothing_more() {
    let mut ws = WsConnection::server(WsConfig::default(), T0);
    ws.on_bytes(T0, &client_frame(true, Opcode::Continuation, b""));
    assert_eq!(
        events_of(&mut ws),
        [WsEvent::Error(WsError::UnexpectedContinuation)]
    );
    ws.on_bytes(T0, &text("ignored"));
    assert_eq!(events_of(&mut ws), []);
    assert!(!ws.wants_close(), "the Close must be sent first");
    drain(&mut ws);
    assert!(ws.wants_close());
    assert!(
        ws.wants_input(),
        "keep reading (and dropping) until the peer's FIN"
    );
}

// ------------------------------------------------------------------ limits

#[test]
fn message_over_the_maximum_fails_1009_from_the_header_alone() {
    let config = WsConfig {
        max_message_size: 1000,
        ..WsConfig::default()
    };
    let exactly = client_frame(true, Opcode::Binary, &[7; 1000]);
    let mut ws = WsConnection::server(config.clone(), T0);
    ws.on_bytes(T0, &exactly);
    assert_eq!(events_of(&mut ws), [WsEvent::Binary(vec![7; 1000])]);

    // Only the 8-byte header of a 1001-byte frame: enough to refuse.
    let over = client_frame(true, Opcode::Binary, &[7; 1001]);
    let (events, out, _) = converse_with(config.clone(), &over[..8]);
    assert_eq!(
        events,
        [WsEvent::Error(WsError::MessageTooBig { limit: 1000 })]
    );
    assert_eq!(out, [r#"close 1009 "message larger than 1000 bytes""#]);

    // Fragments add up: 600 + 401 is refused when the second header arrives.
    let input = cat(&[
        client_frame(false, Opcode::Text, &[b'a'; 600]),
        client_frame(true, Opcode::Continuation, &[b'a'; 401]),
    ]);
    let mut ws = WsConnection::server(config, T0);
    ws.on_bytes(T0, &input[..input.len() - 401]);
    assert_eq!(
        events_of(&mut ws),
        [WsEvent::Error(WsError::MessageTooBig { limit: 1000 })]
    );
}

#[test]
fn outbound_queue_is_bounded_and_says_so() {
    let config = WsConfig {
        max_outbound: 100,
        ..WsConfig::default()
    };
    let mut ws = WsConnection::server(config, T0);
    let line = "x".repeat(40); // 42 bytes on the wire, 46 counted (room for a mask)
    assert!(ws.can_send(40));
    ws.send_text(&line).unwrap();
    ws.send_text(&line).unwrap();
    assert_eq!(ws.queued_bytes(), 84);
    assert!(!ws.can_send(40));
    assert_eq!(ws.send_text(&line), Err(SendError::QueueFull));
    assert_eq!(ws.queued_bytes(), 84, "a refused send queues nothing");
    ws.consume(42);
    ws.send_text(&line).unwrap();
    assert_eq!(sent(&mut ws).len(), 2);
    assert_eq!(ws.send_ping(&[0; 126]), Err(SendError::ControlTooLong));
}

#[test]
fn input_is_not_decoded_while_output_is_backed_up() {
    // A peer that pings without reading its pongs stops being read.
    let config = WsConfig {
        output_high_water: 20,
        ..WsConfig::default()
    };
    let mut ws = WsConnection::server(config, T0);
    let pings: Vec<Vec<u8>> = (0..10)
        .map(|i| client_frame(true, Opcode::Ping, &[b'0' + i; 8]))
        .collect();
    ws.on_bytes(T0, &pings.concat());
    let first = events_of(&mut ws);
    assert_eq!(first.len(), 2, "two pongs (10 bytes each) reach the mark");
    assert_eq!(ws.queued_bytes(), 20);
    assert!(!ws.wants_input());
    drain(&mut ws);
    assert!(ws.wants_input());
    assert_eq!(events_of(&mut ws).len(), 2);
}

#[test]
fn driver_that_ignores_wants_input_gets_1011() {
    let config = WsConfig {
        max_buffered_input: 64,
        ..WsConfig::default()
    };
    let mut ws = WsConnection::server(config, T0);
    ws.on_bytes(T0, &[0x82; 65]);
    assert_eq!(events_of(&mut ws), [WsEvent::Error(WsError::InputOverflow)]);
    assert!(sent(&mut ws)[0].starts_with("close 1011"));
}

// ------------------------------------------------------------------ keepalive

#[test]
fn silent_peer_is_pinged_then_closed_with_1001() {
    let config = WsConfig {
        ping_interval: Some(Duration::from_secs(30)),
        pong_timeout: Duration::from_secs(10),
        close_timeout: Duration::from_secs(5),
        ..WsConfig::default()
    };
    let mut ws = WsConnection::server(config, T0);
    let t30 = Instant::from_secs(30);
    assert_eq!(ws.poll_at(), Some(t30));

    // Traffic at 20 s moves the ping to 50 s.
    ws.on_bytes(Instant::from_secs(20), &text("hi"));
    events(&mut ws, Instant::from_secs(20));
    assert_eq!(ws.poll_at(), Some(Instant::from_secs(50)));
    ws.on_timeout(t30);
    assert!(sent(&mut ws).is_empty(), "not due yet");

    ws.on_timeout(Instant::from_secs(50));
    assert_eq!(sent(&mut ws), [r#"ping "tundra""#]);
    assert_eq!(ws.poll_at(), Some(Instant::from_secs(60)));

    // Nothing comes back: close with 1001, wait close_timeout, then 1006.
    ws.on_timeout(Instant::from_secs(60));
    assert_eq!(sent(&mut ws), [r#"close 1001 "idle timeout""#]);
    assert_eq!(ws.state(), WsState::Closing);
    ws.on_timeout(Instant::from_secs(65));
    assert_eq!(
        events(&mut ws, Instant::from_secs(65)),
        [close_event(1006, "")]
    );
    assert!(ws.wants_close());
}

#[test]
fn pong_after_a_keepalive_ping_keeps_the_connection() {
    let config = WsConfig {
        ping_interval: Some(Duration::from_secs(30)),
        pong_timeout: Duration::from_secs(10),
        ..WsConfig::default()
    };
    let mut ws = WsConnection::server(config, T0);
    ws.on_timeout(Instant::from_secs(30));
    assert_eq!(sent(&mut ws), [r#"ping "tundra""#]);
    let t35 = Instant::from_secs(35);
    ws.on_bytes(t35, &client_frame(true, Opcode::Pong, b"tundra"));
    assert_eq!(events(&mut ws, t35), [WsEvent::Pong(b"tundra".to_vec())]);
    assert_eq!(
        ws.poll_at(),
        Some(Instant::from_secs(65)),
        "next ping, not a close"
    );
    ws.on_timeout(Instant::from_secs(40));
    assert_eq!(ws.state(), WsState::Open);
}

#[test]
fn no_timers_without_a_ping_interval() {
    let config = WsConfig {
        ping_interval: None,
        ..WsConfig::default()
    };
    let ws = WsConnection::server(config, T0);
    assert_eq!(ws.poll_at(), None);
}

// ------------------------------------------------------------------ client role

fn client(config: WsConfig) -> WsConnection {
    WsConnection::client(config, T0, Rng::from_seed(6455))
}

fn server_frame(fin: bool, opcode: Opcode, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_frame(&mut out, fin, opcode, None, payload);
    out
}

#[test]
fn client_masks_every_frame_with_a_fresh_key() {
    let mut ws = client(WsConfig::default());
    ws.send_text("Hello").unwrap();
    ws.send_text("Hello").unwrap();
    let frames = decode_all(Role::Server, drain(&mut ws));
    assert_eq!(frames[0].1, b"Hello");
    let (k1, k2) = (frames[0].0.mask.unwrap(), frames[1].0.mask.unwrap());
    assert_ne!(k1, k2, "§5.3: a new unpredictable key per frame");
}

#[test]
fn rfc6455_5_7_client_answers_an_unmasked_ping_with_a_masked_pong() {
    let mut ws = client(WsConfig::default());
    ws.on_bytes(T0, &[0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    assert_eq!(events_of(&mut ws), [WsEvent::Ping(b"Hello".to_vec())]);
    let frames = decode_all(Role::Server, drain(&mut ws));
    assert_eq!(frames[0].0.opcode, Opcode::Pong);
    assert!(frames[0].0.mask.is_some());
    assert_eq!(frames[0].1, b"Hello");
}

#[test]
fn client_fails_on_a_masked_frame() {
    let mut ws = client(WsConfig::default());
    ws.on_bytes(T0, &text("masked"));
    assert_eq!(
        events_of(&mut ws),
        [WsEvent::Error(WsError::Frame(FrameError::MaskedFrame))]
    );
}

#[test]
fn client_waits_for_the_server_to_close_tcp() {
    let config = WsConfig::default();
    let mut ws = client(config.clone());
    ws.on_bytes(T0, &server_frame(true, Opcode::Close, &[0x03, 0xe8]));
    assert_eq!(events_of(&mut ws), [close_event(1000, "")]);
    drain(&mut ws);
    assert!(
        !ws.wants_close(),
        "§7.1.1: the client waits for the server's FIN"
    );
    assert!(ws.wants_input(), "keeps reading to see the FIN");
    assert_eq!(ws.poll_at(), Some(T0 + config.close_timeout));
    ws.on_eof(T0);
    assert!(ws.wants_close());

    let mut ws = client(config.clone());
    ws.on_bytes(T0, &server_frame(true, Opcode::Close, &[0x03, 0xe8]));
    events_of(&mut ws);
    drain(&mut ws);
    ws.on_timeout(T0 + config.close_timeout);
    assert!(ws.wants_close(), "or gives up after close_timeout");
}

/// Moves bytes both ways until neither side has anything to send.
fn pump(a: &mut WsConnection, b: &mut WsConnection, now: Instant) -> (Vec<WsEvent>, Vec<WsEvent>) {
    let (mut ea, mut eb) = (Vec::new(), Vec::new());
    loop {
        let ab = drain(a);
        let ba = drain(b);
        if ab.is_empty() && ba.is_empty() {
            break;
        }
        b.on_bytes(now, &ab);
        a.on_bytes(now, &ba);
        ea.extend(events(a, now));
        eb.extend(events(b, now));
    }
    (ea, eb)
}

#[test]
fn client_and_server_talk_and_close_cleanly() {
    let mut c = client(WsConfig::default());
    let mut s = WsConnection::server(WsConfig::default(), T0);
    c.send_text("Hello").unwrap();
    c.send_binary(&[0u8; 70_000]).unwrap();
    s.send_text("welcome").unwrap();
    c.send_ping(b"rtt").unwrap();
    let (ce, se) = pump(&mut c, &mut s, T0);
    assert_eq!(
        se,
        [
            text_event("Hello"),
            WsEvent::Binary(vec![0; 70_000]),
            WsEvent::Ping(b"rtt".to_vec())
        ]
    );
    assert_eq!(ce, [text_event("welcome"), WsEvent::Pong(b"rtt".to_vec())]);

    c.close(T0, CloseCode::NORMAL, "bye").unwrap();
    let (ce, se) = pump(&mut c, &mut s, T0);
    assert_eq!(se, [close_event(1000, "bye")]);
    assert_eq!(ce, [close_event(1000, "")]);
    assert!(s.wants_close());
    assert!(!c.wants_close());
    c.on_eof(T0);
    assert!(c.wants_close());
    assert_eq!((c.state(), s.state()), (WsState::Closed, WsState::Closed));
}
