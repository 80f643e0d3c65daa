//! Client conversations: a request goes out, response bytes come in, events come out.
//! Every response is also fed one byte at a time, which must give the same body.

use tundra_http::{
    ClientConnection, ClientError, ClientEvent, ClientRequest, Limits, Method, ParseError,
    StatusCode, Url,
};

fn client_for(methods: &[Method]) -> ClientConnection {
    let mut c = ClientConnection::new(Limits::client());
    let url = Url::parse("http://10.0.0.1:8000/").unwrap();
    for m in methods {
        let mut r = ClientRequest::get(&url);
        r.method = m.clone();
        c.send_request(&r);
    }
    c
}

/// (status codes of final heads, concatenated body, number of Done events, error).
type Summary = (Vec<u16>, Vec<u8>, usize, Option<ClientError>);

fn summarize(c: &mut ClientConnection, err: Option<ClientError>) -> Summary {
    let (mut statuses, mut body, mut done) = (Vec::new(), Vec::new(), 0);
    while let Some(e) = c.poll_event() {
        match e {
            ClientEvent::Head(h) => statuses.push(h.status.0),
            ClientEvent::Data(d) => body.extend(d),
            ClientEvent::Done { .. } => done += 1,
            _ => {}
        }
    }
    (statuses, body, done, err)
}

/// Runs `response` through a client (whole and byte by byte); asserts both agree.
#[track_caller]
fn receive(methods: &[Method], response: &[u8], eof: bool) -> Summary {
    let run = |chunks: Vec<&[u8]>| {
        let mut c = client_for(methods);
        let mut err = None;
        for ch in chunks {
            if let Err(e) = c.on_bytes(ch) {
                err = Some(e);
                break;
            }
        }
        if eof && err.is_none() {
            err = c.on_eof().err();
        }
        summarize(&mut c, err)
    };
    let whole = run(vec![response]);
    assert_eq!(
        run(response.chunks(1).collect()),
        whole,
        "one byte at a time"
    );
    whole
}

#[test]
fn content_length_body() {
    let r = receive(
        &[Method::Get],
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        false,
    );
    assert_eq!(r, (vec![200], b"hello".to_vec(), 1, None));
}

#[test]
fn chunked_body_with_trailers() {
    let mut c = client_for(&[Method::Get]);
    c.on_bytes(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n")
        .unwrap();
    let events: Vec<ClientEvent> = std::iter::from_fn(|| c.poll_event()).collect();
    let ClientEvent::Done { trailers } = events.last().unwrap() else {
        panic!("{events:?}")
    };
    assert_eq!(trailers.get_str("x-sum"), Some("1"));
    let r = receive(&[Method::Get], b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x\r\n world\r\n0\r\n\r\n", false);
    assert_eq!(r, (vec![200], b"hello world".to_vec(), 1, None));
    assert!(c.is_idle() && !c.wants_close());
}

#[test]
fn close_delimited_body_ends_at_eof() {
    // RFC 9112 §6.3 rule 8.
    let r = receive(
        &[Method::Get],
        b"HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6\r\n\r\n<html>all of it</html>",
        true,
    );
    assert_eq!(r, (vec![200], b"<html>all of it</html>".to_vec(), 1, None));
}

#[test]
fn head_204_and_304_have_no_body_whatever_the_length_says() {
    // RFC 9112 §6.3 rule 1.
    let r = receive(
        &[Method::Head],
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
        false,
    );
    assert_eq!(r, (vec![200], vec![], 1, None));
    let r = receive(&[Method::Get], b"HTTP/1.1 204 No Content\r\n\r\n", false);
    assert_eq!(r, (vec![204], vec![], 1, None));
    let r = receive(
        &[Method::Get],
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n",
        false,
    );
    assert_eq!(r, (vec![304], vec![], 1, None));
}

#[test]
fn interim_100_precedes_the_final_response() {
    let mut c = client_for(&[Method::Post]);
    c.on_bytes(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
        .unwrap();
    let events: Vec<ClientEvent> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(
        matches!(&events[0], ClientEvent::Informational(h) if h.status == StatusCode::CONTINUE)
    );
    assert!(matches!(&events[1], ClientEvent::Head(h) if h.status == StatusCode::CREATED));
    assert!(matches!(&events[2], ClientEvent::Done { .. }));
}

#[test]
fn pipelined_responses_follow_their_requests() {
    let r = receive(
        &[Method::Get, Method::Head, Method::Get],
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nc",
        false,
    );
    assert_eq!(r, (vec![200, 200, 404], b"ac".to_vec(), 3, None));
}

#[test]
fn truncated_bodies_are_errors_at_eof() {
    let r = receive(
        &[Method::Get],
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf",
        true,
    );
    assert_eq!(r.3, Some(ClientError::UnexpectedEof));
    let r = receive(
        &[Method::Get],
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        true,
    );
    assert_eq!(r.3, Some(ClientError::UnexpectedEof));
    let r = receive(&[Method::Get], b"HTTP/1.1 200 O", true);
    assert_eq!(r.3, Some(ClientError::UnexpectedEof));
}

#[test]
fn malformed_responses_are_errors() {
    let r = receive(&[Method::Get], b"HTTP/1.1 2xx OK\r\n\r\n", false);
    assert_eq!(r.3, Some(ClientError::Parse(ParseError::BadStatusLine)));
    let r = receive(
        &[Method::Get],
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        false,
    );
    assert_eq!(
        r.3,
        Some(ClientError::Parse(
            ParseError::ContentLengthWithTransferEncoding
        ))
    );
    let r = receive(&[], b"HTTP/1.1 200 OK\r\n\r\n", false);
    assert_eq!(r.3, Some(ClientError::UnsolicitedResponse));
}

#[test]
fn connection_close_response_ends_the_connection() {
    let mut c = client_for(&[Method::Get]);
    c.consume(usize::MAX);
    c.on_bytes(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nokEXTRA")
        .unwrap();
    assert!(c.wants_close());
    let (_, body, done, _) = summarize(&mut c, None);
    assert_eq!(
        (body, done),
        (b"ok".to_vec(), 1),
        "bytes after the close are ignored"
    );
}

#[test]
fn switching_protocols_hands_over_the_rest() {
    let mut c = client_for(&[Method::Get]);
    c.on_bytes(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi").unwrap();
    let events: Vec<ClientEvent> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(matches!(&events[0], ClientEvent::Head(h) if h.status.0 == 101));
    assert_eq!(
        events[1],
        ClientEvent::Upgraded {
            leftover: b"\x81\x02hi".to_vec()
        }
    );
}

#[test]
fn response_head_displays_like_curl_verbose() {
    let mut c = client_for(&[Method::Get]);
    c.on_bytes(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n")
        .unwrap();
    let Some(ClientEvent::Head(h)) = c.poll_event() else {
        panic!()
    };
    assert_eq!(
        h.to_string(),
        "HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Length: 0\n"
    );
}

#[test]
fn post_requests_carry_content_length() {
    let mut r = ClientRequest::get(&Url::parse("http://h/up").unwrap());
    r.method = Method::Post;
    r.body = b"abc".to_vec();
    let mut out = Vec::new();
    r.write_to(&mut out);
    assert!(out.ends_with(b"Accept: */*\r\nContent-Length: 3\r\n\r\nabc"));
}
