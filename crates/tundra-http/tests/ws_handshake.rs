//! The WebSocket opening handshake (RFC 6455 §4) on the real HTTP server connection:
//! request bytes in, exact response bytes out, then the Upgraded hand-over to a
//! WsConnection. Each test opens with what it proves.

use std::sync::Arc;

use tundra_core::{Instant, Rng};
use tundra_http::ws::{
    handshake_response, AcceptConfig, ClientHandshake, HandshakeError, ServerHandshake, WsConfig,
    WsConnection, WsEvent,
};
use tundra_http::{
    ClientConnection, ClientEvent, ClientResponse, Headers, Limits, Method, Request, Router,
    Server, ServerConfig, ServerConnection, ServerEvent, StatusCode, Url, Version,
};

const T0: Instant = Instant::ZERO;

/// The RFC 6455 §1.3 request (with the `Host` and path of the example).
const RFC_REQUEST: &str = "GET /chat HTTP/1.1\r\n\
    Host: server.example.com\r\n\
    Upgrade: websocket\r\n\
    Connection: Upgrade\r\n\
    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Origin: http://example.com\r\n\
    Sec-WebSocket-Protocol: chat, superchat\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";

fn accept_config() -> AcceptConfig {
    AcceptConfig {
        protocols: vec!["chat".into()],
        allowed_origins: Some(vec!["http://example.com".into()]),
        deflate: false,
    }
}

fn connect() -> ServerConnection {
    let cfg = accept_config();
    let router = Router::new().get("/chat", move |req, _| handshake_response(req, &cfg));
    let config = ServerConfig {
        server_name: None,
        wall_clock: None,
        ..ServerConfig::default()
    };
    ServerConnection::new(Arc::new(Server { config, router }), T0)
}

fn drain(c: &mut ServerConnection) -> String {
    let mut out = Vec::new();
    while let Some(bytes) = c.poll_transmit(T0) {
        out.extend_from_slice(bytes);
        let n = bytes.len();
        c.consume(n);
    }
    String::from_utf8(out).expect("ASCII head")
}

/// Sends `request` and returns the response text.
fn exchange(request: &str) -> (String, ServerConnection) {
    let mut c = connect();
    c.on_bytes(T0, request.as_bytes());
    let out = drain(&mut c);
    (out, c)
}

fn request(lines: &[&str]) -> String {
    format!("GET /chat HTTP/1.1\r\n{}\r\n\r\n", lines.join("\r\n"))
}

const GOOD: [&str; 5] = [
    "Host: h",
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
];

/// GOOD with the line starting with `name` replaced by `line` (or removed if empty).
fn good_but(name: &str, line: &str) -> String {
    let mut lines: Vec<&str> = GOOD
        .iter()
        .copied()
        .filter(|l| !l.starts_with(name))
        .collect();
    if !line.is_empty() {
        lines.push(line);
    }
    request(&lines)
}

/// Asserts a refusal: its status line, `Connection: close`, the reason in the body,
/// and that the server closes after sending it.
#[track_caller]
fn refused(request: &str, status: &str, reason: &str) -> String {
    let (out, c) = exchange(request);
    assert!(out.starts_with(&format!("HTTP/1.1 {status}\r\n")), "{out}");
    assert!(out.contains("\r\nConnection: close\r\n"), "{out}");
    assert!(out.ends_with(&format!("{status}: {reason}\n")), "{out}");
    assert!(c.wants_close());
    assert!(!c.is_upgraded());
    out
}

// ------------------------------------------------------------------ server side

#[test]
fn rfc6455_1_3_handshake_gets_the_exact_101() {
    let (out, _) = exchange(RFC_REQUEST);
    assert_eq!(
        out,
        "HTTP/1.1 101 Switching Protocols\r\n\
         Upgrade: websocket\r\n\
         Connection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
         Sec-WebSocket-Protocol: chat\r\n\r\n"
    );
}

#[test]
fn after_the_101_the_stream_belongs_to_websocket() {
    // A client may send its first frame right behind the request: it reaches the
    // WsConnection through `leftover`.
    let masked_hello = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    let mut c = connect();
    let mut input = RFC_REQUEST.as_bytes().to_vec();
    input.extend_from_slice(&masked_hello);
    c.on_bytes(T0, &input);
    assert!(drain(&mut c).starts_with("HTTP/1.1 101 "));
    let upgrade = std::iter::from_fn(|| c.poll_event())
        .find_map(|e| match e {
            ServerEvent::Upgraded(u) => Some(u),
            _ => None,
        })
        .expect("Upgraded after the 101 is sent");
    assert_eq!(upgrade.protocol, "websocket");
    assert_eq!(upgrade.request.path(), "/chat");
    assert_eq!(upgrade.leftover, masked_hello);

    let mut ws = WsConnection::server(WsConfig::default(), T0);
    ws.on_bytes(T0, &upgrade.leftover);
    assert_eq!(ws.poll_event(T0), Some(WsEvent::Text("Hello".into())));
}

#[test]
fn tokens_are_case_insensitive_and_connection_is_a_list() {
    // §4.2.1 items 3 and 4: Firefox sends "Connection: keep-alive, Upgrade".
    let req = request(&[
        "Host: h",
        "upgrade: WebSocket",
        "connection: keep-alive, upgrade",
        "sec-websocket-key: AQIDBAUGBwgJCgsMDQ4PEA==",
        "sec-websocket-version: 13",
    ]);
    let (out, c) = exchange(&req);
    assert!(out.starts_with("HTTP/1.1 101 "), "{out}");
    assert!(!c.wants_close());
}

#[test]
fn rfc6455_4_2_1_each_missing_piece_is_a_400_with_its_reason() {
    refused(
        &good_but("Upgrade", ""),
        "400 Bad Request",
        "Upgrade must name websocket",
    );
    refused(
        &good_but("Upgrade", "Upgrade: h2c"),
        "400 Bad Request",
        "Upgrade must name websocket",
    );
    refused(
        &good_but("Connection", "Connection: keep-alive"),
        "400 Bad Request",
        "Connection must contain the upgrade token",
    );
    let bad_key = "Sec-WebSocket-Key must be base64 of 16 bytes";
    refused(
        &good_but("Sec-WebSocket-Key", ""),
        "400 Bad Request",
        bad_key,
    );
    // 15 bytes, 17 bytes, not base64, two keys.
    for key in [
        "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4P",
        "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEBE=",
        "Sec-WebSocket-Key: !!!!not*base64!!!!!!!!==",
    ] {
        refused(
            &good_but("Sec-WebSocket-Key", key),
            "400 Bad Request",
            bad_key,
        );
    }
    let two_keys = request(&[&GOOD[..], &["Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA=="]].concat());
    refused(&two_keys, "400 Bad Request", bad_key);
}

#[test]
fn rfc6455_4_4_other_versions_get_426_naming_13() {
    for version in [
        "Sec-WebSocket-Version: 8",
        "Sec-WebSocket-Version: 13, 8",
        "",
    ] {
        let out = refused(
            &good_but("Sec-WebSocket-Version", version),
            "426 Upgrade Required",
            "Sec-WebSocket-Version must be 13",
        );
        assert!(out.contains("\r\nSec-WebSocket-Version: 13\r\n"), "{out}");
        assert!(
            out.contains("\r\nUpgrade: websocket\r\n"),
            "RFC 9110 §15.5.22: {out}"
        );
    }
}

#[test]
fn rfc6455_10_2_origin_off_the_allow_list_is_403() {
    let evil = good_but("Origin", "Origin: http://evil.example");
    refused(&evil, "403 Forbidden", "origin not allowed");
    // RFC 6454 serializations compare case-insensitively; non-browser clients send no
    // Origin and are let through.
    let (out, _) = exchange(&good_but("Origin", "Origin: HTTP://EXAMPLE.COM"));
    assert!(out.starts_with("HTTP/1.1 101 "));
    let (out, _) = exchange(&good_but("Origin", ""));
    assert!(out.starts_with("HTTP/1.1 101 "));
}

fn parsed(method: Method, version: Version, lines: &[(&str, &str)]) -> Request {
    let mut headers = Headers::new();
    for (n, v) in lines {
        headers.push(*n, *v);
    }
    Request {
        method,
        target: "/chat".into(),
        version,
        headers,
        body: Vec::new(),
        trailers: Headers::new(),
        keep_alive: true,
    }
}

const GOOD_FIELDS: [(&str, &str); 5] = [
    ("Host", "h"),
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ("Sec-WebSocket-Version", "13"),
];

#[test]
fn rfc6455_4_2_1_item_1_get_and_http_1_1_only() {
    let cfg = AcceptConfig::default();
    let post = parsed(Method::Post, Version::HTTP_11, &GOOD_FIELDS);
    assert_eq!(
        ServerHandshake::check(&post, &cfg),
        Err(HandshakeError::NotGet)
    );
    let old = parsed(Method::Get, Version::HTTP_10, &GOOD_FIELDS);
    assert_eq!(
        ServerHandshake::check(&old, &cfg),
        Err(HandshakeError::NotHttp11)
    );
    let no_host = parsed(Method::Get, Version::HTTP_11, &GOOD_FIELDS[1..]);
    assert_eq!(
        ServerHandshake::check(&no_host, &cfg),
        Err(HandshakeError::MissingHost)
    );
    assert_eq!(
        HandshakeError::NotGet.response().status,
        StatusCode::BAD_REQUEST
    );
    // Through the server, HTTP/1.0 gets its 400 as well.
    let out = refused(
        &request(&GOOD).replacen("HTTP/1.1", "HTTP/1.0", 1),
        "400 Bad Request",
        "HTTP/1.1 or later required",
    );
    assert!(out.starts_with("HTTP/1.1 400"));
}

#[test]
fn subprotocol_is_the_servers_first_choice_among_those_offered() {
    let cfg = AcceptConfig {
        protocols: vec!["chat.v2".into(), "chat".into()],
        allowed_origins: None,
        deflate: false,
    };
    let with = |offer: &str| {
        let mut fields = GOOD_FIELDS.to_vec();
        fields.push(("Sec-WebSocket-Protocol", offer));
        ServerHandshake::check(&parsed(Method::Get, Version::HTTP_11, &fields), &cfg)
            .unwrap()
            .protocol
    };
    assert_eq!(with("chat, chat.v2"), Some("chat.v2".into()));
    assert_eq!(with("chat"), Some("chat".into()));
    assert_eq!(with("Chat"), None, "names are compared exactly");
    assert_eq!(with("mqtt"), None, "§4.2.2: no match, no header");
    let plain =
        ServerHandshake::check(&parsed(Method::Get, Version::HTTP_11, &GOOD_FIELDS), &cfg).unwrap();
    assert_eq!(plain.protocol, None);
    let head = format!("{:?}", plain.response().headers);
    assert!(!head.contains("Sec-WebSocket-Protocol"));
}

// ------------------------------------------------------------------ client side

fn response(status: u16, lines: &[(&str, &str)]) -> ClientResponse {
    let mut headers = Headers::new();
    for (n, v) in lines {
        headers.push(*n, *v);
    }
    ClientResponse {
        version: Version::HTTP_11,
        status: StatusCode(status),
        reason: Vec::new(),
        headers,
    }
}

const SWITCH: [(&str, &str); 3] = [
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
];

#[test]
fn rfc6455_1_3_client_request_from_the_sample_nonce() {
    // §1.3: the key is base64 of the 16-byte nonce "the sample nonce".
    let url = Url::parse("http://server.example.com/chat").unwrap();
    let (hs, req) = ClientHandshake::new(&url, *b"the sample nonce", &["chat", "superchat"]);
    assert_eq!(hs.key(), "dGhlIHNhbXBsZSBub25jZQ==");
    let mut bytes = Vec::new();
    req.write_to(&mut bytes);
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(
        text,
        concat!(
            "GET /chat HTTP/1.1\r\n",
            "Host: server.example.com\r\n",
            "User-Agent: tundra/",
            env!("CARGO_PKG_VERSION"),
            "\r\n",
            "Upgrade: websocket\r\n",
            "Connection: Upgrade\r\n",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
            "Sec-WebSocket-Version: 13\r\n",
            "Sec-WebSocket-Protocol: chat, superchat\r\n\r\n"
        )
    );
}

#[test]
fn rfc6455_4_1_client_checks_the_servers_answer() {
    let url = Url::parse("http://h/").unwrap();
    let (hs, _) = ClientHandshake::new(&url, *b"the sample nonce", &["chat"]);
    assert_eq!(hs.verify(&response(101, &SWITCH)), Ok(None));
    let mut chat = SWITCH.to_vec();
    chat.push(("Sec-WebSocket-Protocol", "chat"));
    assert_eq!(hs.verify(&response(101, &chat)), Ok(Some("chat".into())));

    assert_eq!(
        hs.verify(&response(200, &SWITCH)),
        Err(HandshakeError::NotSwitching(StatusCode::OK))
    );
    assert_eq!(
        hs.verify(&response(101, &SWITCH[1..])),
        Err(HandshakeError::NotWebSocketUpgrade)
    );
    assert_eq!(
        hs.verify(&response(101, &[SWITCH[0], SWITCH[2]])),
        Err(HandshakeError::MissingConnectionUpgrade)
    );
    let wrong = [
        SWITCH[0],
        SWITCH[1],
        ("Sec-WebSocket-Accept", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
    ];
    assert_eq!(
        hs.verify(&response(101, &wrong)),
        Err(HandshakeError::BadAccept)
    );
    assert_eq!(
        hs.verify(&response(101, &SWITCH[..2])),
        Err(HandshakeError::BadAccept)
    );
    let mut ext = SWITCH.to_vec();
    ext.push(("Sec-WebSocket-Extensions", "permessage-deflate"));
    assert_eq!(
        hs.verify(&response(101, &ext)),
        Err(HandshakeError::UnrequestedExtension)
    );
    let mut proto = SWITCH.to_vec();
    proto.push(("Sec-WebSocket-Protocol", "superchat"));
    assert_eq!(
        hs.verify(&response(101, &proto)),
        Err(HandshakeError::UnrequestedProtocol)
    );
}

#[test]
fn client_and_server_handshake_then_talk() {
    // The whole Day 6 exchange in memory: the HTTP client asks, the HTTP server's
    // route answers 101, both sides switch to WebSocket and trade a message.
    let url = Url::parse("http://10.0.0.1:9000/chat").unwrap();
    let mut rng = Rng::from_seed(1);
    let (hs, req) = ClientHandshake::with_rng(&url, &mut rng, &["chat"]);
    let mut client = ClientConnection::new(Limits::client());
    client.send_request(&req);
    let mut server = connect();

    let to_server = client.poll_transmit().unwrap().to_vec();
    client.consume(to_server.len());
    server.on_bytes(T0, &to_server);
    let to_client = drain(&mut server);
    let upgrade = std::iter::from_fn(|| server.poll_event())
        .find_map(|e| match e {
            ServerEvent::Upgraded(u) => Some(u),
            _ => None,
        })
        .unwrap();
    assert!(upgrade.leftover.is_empty());

    client.on_bytes(to_client.as_bytes()).unwrap();
    let head = match client.poll_event() {
        Some(ClientEvent::Head(h)) => h,
        other => panic!("expected the 101 head, got {other:?}"),
    };
    assert_eq!(hs.verify(&head), Ok(Some("chat".into())));
    assert!(matches!(
        client.poll_event(),
        Some(ClientEvent::Upgraded { .. })
    ));

    let mut wc = WsConnection::client(WsConfig::default(), T0, rng);
    let mut ws = WsConnection::server(WsConfig::default(), T0);
    wc.send_text("hello from the client").unwrap();
    let bytes = wc.poll_transmit().unwrap().to_vec();
    wc.consume(bytes.len());
    ws.on_bytes(T0, &bytes);
    assert_eq!(
        ws.poll_event(T0),
        Some(WsEvent::Text("hello from the client".into()))
    );
}
