//! Bad input never wins: arbitrary bytes, cut anywhere, never panic any parser, and
//! the outcome never depends on where the input was cut.

use std::sync::Arc;

use proptest::prelude::*;
use tundra_core::{Duration, Instant};
use tundra_http::{
    ClientConnection, ClientRequest, Limits, Method, Request, RequestDecoder, Response,
    ResponseHead, Router, Server, ServerConfig, ServerConnection, StatusCode, Url,
};

fn decode(chunks: &[&[u8]]) -> (Vec<Request>, Option<tundra_http::ParseError>) {
    let mut d = RequestDecoder::new(Limits::default());
    let mut out = Vec::new();
    for c in chunks {
        d.feed(c);
        loop {
            match d.poll() {
                Ok(Some(r)) => out.push(r),
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    (out, None)
}

/// Inputs that look like HTTP often enough to reach deep states.
fn http_ish() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop_oneof![
        Just(b"GET / HTTP/1.1\r\n".to_vec()),
        Just(b"POST /x HTTP/1.0\r\n".to_vec()),
        Just(b"Host: a\r\n".to_vec()),
        Just(b"Content-Length: 3\r\n".to_vec()),
        Just(b"Transfer-Encoding: chunked\r\n".to_vec()),
        Just(b"Connection: close\r\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"3\r\nabc\r\n".to_vec()),
        Just(b"0\r\n\r\n".to_vec()),
        Just(b" folded\r\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..8),
    ];
    proptest::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn request_decoding_is_independent_of_segmentation(input in http_ish(), cut in any::<prop::sample::Index>()) {
        let whole = decode(&[&input]);
        let at = cut.index(input.len() + 1);
        let (a, b) = input.split_at(at);
        prop_assert_eq!(decode(&[a, b]), whole.clone());
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        prop_assert_eq!(decode(&bytes), whole);
    }

    #[test]
    fn random_bytes_never_panic_the_parsers(input in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&[&input]);
        let _ = ResponseHead::parse(&input, &Limits::client());
        let mut client = ClientConnection::new(Limits::client());
        client.send_request(&ClientRequest::get(&Url::parse("http://a/").unwrap()));
        let _ = client.on_bytes(&input);
        let _ = client.on_eof();
        let _ = tundra_http::sanitize_path(&String::from_utf8_lossy(&input));
    }

    #[test]
    fn server_connection_survives_anything(input in http_ish(), t in 0u64..120) {
        let router = Router::new().get("/", |_, _| Response::text(StatusCode::OK, "x"))
            .prefix(Method::Post, "/", |r, _| Response::new(StatusCode::OK).with_body(r.body.clone()));
        let mut c = ServerConnection::new(Arc::new(Server { config: ServerConfig::default(), router }), Instant::ZERO);
        c.on_bytes(Instant::ZERO, &input);
        let now = Instant::ZERO + Duration::from_secs(t);
        c.on_timeout(now);
        c.on_eof(now);
        while let Some(out) = c.poll_transmit(now) {
            let n = out.len();
            prop_assert!(n > 0);
            c.consume(n);
        }
        while c.poll_event().is_some() {}
    }
}
