//! One test per RFC 9112 rule the request parser enforces. Every input is checked three
//! ways: all at once, one byte at a time, and split in two at every byte boundary; the
//! outcome must be identical (incomplete input is `Partial`, never an error).

use tundra_http::{
    Limits, Method, ParseError, Request, RequestDecoder, RequestHead, ResponseHead, Status,
    StatusCode, Version,
};

/// Decodes `chunks` in order: the requests, then the error that ended the stream (if any).
fn decode_chunks(chunks: &[&[u8]], limits: Limits) -> (Vec<Request>, Option<ParseError>) {
    decode_with(chunks, limits, |_, r| r)
}

/// Decodes `chunks` giving every request back to the decoder after copying it, as the
/// server does: what the next request carries over from the last must be nothing.
fn decode_recycling(chunks: &[&[u8]], limits: Limits) -> (Vec<Request>, Option<ParseError>) {
    decode_with(chunks, limits, |d, r| {
        let copy = r.clone();
        d.recycle(r);
        copy
    })
}

fn decode_with(
    chunks: &[&[u8]],
    limits: Limits,
    mut take: impl FnMut(&mut RequestDecoder, Request) -> Request,
) -> (Vec<Request>, Option<ParseError>) {
    let mut d = RequestDecoder::new(limits);
    let mut out = Vec::new();
    for c in chunks {
        d.feed(c);
        loop {
            match d.poll() {
                Ok(Some(r)) => out.push(take(&mut d, r)),
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    (out, None)
}

/// Decodes `input` whole, byte by byte and at every split; asserts all agree.
#[track_caller]
fn decode_every_way(input: &[u8], limits: Limits) -> (Vec<Request>, Option<ParseError>) {
    let whole = decode_chunks(&[input], limits);
    assert_eq!(
        decode_recycling(&[input], limits),
        whole,
        "recycling requests"
    );
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(decode_chunks(&bytes, limits), whole, "one byte at a time");
    for i in 0..=input.len() {
        let (a, b) = input.split_at(i);
        assert_eq!(decode_chunks(&[a, b], limits), whole, "split at {i}");
    }
    whole
}

#[track_caller]
fn accepts(input: &str) -> Vec<Request> {
    let (requests, err) = decode_every_way(input.as_bytes(), Limits::default());
    assert_eq!(err, None, "unexpected rejection");
    requests
}

#[track_caller]
fn rejects_with(input: &[u8], limits: Limits, expected: ParseError, status: u16) {
    let (_, err) = decode_every_way(input, limits);
    assert_eq!(err, Some(expected));
    assert_eq!(expected.status(), StatusCode(status));
}

#[track_caller]
fn rejects(input: &str, expected: ParseError, status: u16) {
    rejects_with(input.as_bytes(), Limits::default(), expected, status);
}

// ------------------------------------------------------------------ accepted syntax

#[test]
fn request_line_gives_method_target_and_version() {
    let r = &accepts("GET /where?q=now HTTP/1.1\r\nHost: www.example.com\r\n\r\n")[0];
    assert_eq!(r.method, Method::Get);
    assert_eq!(r.target, "/where?q=now");
    assert_eq!(r.version, Version::HTTP_11);
    assert_eq!(r.path(), "/where");
}

#[test]
fn rfc9112_section_3_2_target_forms() {
    let r = accepts(concat!(
        "GET http://www.example.org/pub/WWW/TheProject.html HTTP/1.1\r\nHost: www.example.org\r\n\r\n",
        "CONNECT www.example.com:80 HTTP/1.1\r\nHost: www.example.com\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: www.example.org:8001\r\n\r\n",
    ));
    assert_eq!(r[0].path(), "/pub/WWW/TheProject.html");
    assert_eq!(r[1].method, Method::Connect);
    assert_eq!(r[1].target, "www.example.com:80");
    assert_eq!(r[2].target, "*");
}

#[test]
fn field_names_are_tokens_matched_case_insensitively_and_values_lose_ows() {
    let r = &accepts("GET / HTTP/1.1\r\nhOsT: a\r\nX-Pad:\t  spaced  out \t\r\nX-E:\r\n\r\n")[0];
    assert_eq!(r.headers.get("HOST"), Some(&b"a"[..]));
    assert_eq!(r.headers.get("x-pad"), Some(&b"spaced  out"[..]));
    assert_eq!(r.headers.get("x-e"), Some(&b""[..]));
    assert_eq!(
        r.headers.iter().next().unwrap().name,
        "hOsT",
        "names kept as sent"
    );
}

#[test]
fn obs_text_in_values_is_opaque_data() {
    let (r, err) = decode_every_way(
        b"GET / HTTP/1.1\r\nHost: a\r\nX: caf\xe9\r\n\r\n",
        Limits::default(),
    );
    assert_eq!(err, None);
    assert_eq!(r[0].headers.get("x"), Some(&b"caf\xe9"[..]));
}

#[test]
fn text_and_non_text_heads_read_back_the_same() {
    // A head that is all text (here with UTF-8 in a value) is copied in one piece; one
    // with a byte that is not UTF-8 field by field. The request reads the same.
    for value in [&b"caf\xc3\xa9"[..], b"caf\xe9", b"a \t b"] {
        let input = [
            b"GET /x?q HTTP/1.1\r\nHost: a\r\nX: \t".as_slice(),
            value,
            b" \r\nY:\r\nZ: 1\r\n\r\n",
        ]
        .concat();
        let (r, err) = decode_every_way(&input, Limits::default());
        assert_eq!(err, None);
        let fields: Vec<(&str, &[u8])> = r[0].headers.iter().map(|h| (h.name, h.value)).collect();
        assert_eq!(
            fields,
            [("Host", &b"a"[..]), ("X", value), ("Y", b""), ("Z", b"1")]
        );
        assert_eq!((&r[0].method, r[0].target.as_str()), (&Method::Get, "/x?q"));
    }
}

#[test]
fn bare_lf_line_endings_are_accepted() {
    // RFC 9112 §2.2: a recipient MAY recognize a single LF as a line terminator.
    let r = accepts("GET / HTTP/1.1\nHost: a\n\n");
    assert_eq!(r[0].headers.get("host"), Some(&b"a"[..]));
}

#[test]
fn one_leading_empty_line_is_skipped() {
    // RFC 9112 §2.2: SHOULD ignore at least one empty line before the request-line,
    // e.g. the CRLF some old clients send after a POST body.
    let r = accepts("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].body, b"x");
}

#[test]
fn content_length_delimits_the_body() {
    let r = accepts("POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello worldGET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(r[0].body, b"hello world");
    assert_eq!(r[1].method, Method::Get);
}

#[test]
fn rfc9112_section_7_1_chunked_body_with_extensions_and_trailers() {
    let r = &accepts(concat!(
        "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
        "4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n",
        "Expires: Wed, 21 Oct 2015 07:28:00 GMT\r\n\r\n"
    ))[0];
    assert_eq!(r.body, b"Wikipedia in\r\n\r\nchunks.");
    assert_eq!(
        r.trailers.get_str("expires"),
        Some("Wed, 21 Oct 2015 07:28:00 GMT")
    );
    assert!(
        !r.headers.contains("expires"),
        "trailers stay apart from headers"
    );
}

#[test]
fn http11_is_persistent_unless_close() {
    assert!(accepts("GET / HTTP/1.1\r\nHost: a\r\n\r\n")[0].keep_alive);
    assert!(!accepts("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")[0].keep_alive);
}

#[test]
fn http10_closes_unless_keep_alive() {
    assert!(!accepts("GET / HTTP/1.0\r\n\r\n")[0].keep_alive);
    assert!(accepts("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")[0].keep_alive);
}

#[test]
fn nothing_after_a_closing_request_is_processed() {
    // RFC 9112 §9.6: the server MUST NOT process further requests on that connection.
    let r = accepts(
        "GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n",
    );
    assert_eq!(r.len(), 1);
}

#[test]
fn pipelined_requests_come_out_in_order() {
    let mut input = String::new();
    for i in 0..20 {
        input.push_str(&format!("GET /{i} HTTP/1.1\r\nHost: a\r\n\r\n"));
    }
    let r = accepts(&input);
    let targets: Vec<String> = r.iter().map(|r| r.target.clone()).collect();
    let expected: Vec<String> = (0..20).map(|i| format!("/{i}")).collect();
    assert_eq!(targets, expected);
}

#[test]
fn a_recycled_request_carries_nothing_into_the_next() {
    // The server hands each request back for the next one's buffers (`recycle`):
    // `accepts` decodes with and without that and demands the same requests.
    let r = accepts(concat!(
        "POST /upload?x=1 HTTP/1.1\r\nHost: a\r\nX-Long: 0123456789\r\n",
        "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n",
        "PURGE /b HTTP/1.1\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
    ));
    assert_eq!(r.len(), 3);
    assert_eq!(
        (r[0].body.as_slice(), r[0].trailers.len()),
        (&b"abc"[..], 1)
    );
    assert_eq!(r[1].method, Method::Other("PURGE".into()));
    assert_eq!((r[1].body.len(), r[1].trailers.len()), (0, 0));
    assert_eq!((r[2].target.as_str(), r[2].headers.len()), ("/", 0));
    assert!(!r[2].keep_alive);
}

#[test]
fn expect_100_continue_is_announced_before_the_body() {
    let mut d = RequestDecoder::new(Limits::default());
    d.feed(b"PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
    assert_eq!(d.poll(), Ok(None));
    assert!(
        d.take_continue(),
        "head complete, body not yet sent: 100 is due"
    );
    assert!(!d.take_continue(), "only once");
    d.feed(b"abc");
    assert_eq!(d.poll().unwrap().unwrap().body, b"abc");
}

#[test]
fn expect_100_continue_is_not_needed_when_the_body_is_already_here() {
    let mut d = RequestDecoder::new(Limits::default());
    d.feed(b"PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc");
    assert!(d.poll().unwrap().is_some());
    assert!(!d.take_continue());
}

#[test]
fn every_prefix_of_a_valid_head_is_partial() {
    let head = b"POST /x HTTP/1.1\r\nHost: a\r\nX-Y: z\r\n\r\n";
    for n in 0..head.len() {
        assert_eq!(
            RequestHead::parse(&head[..n], &Limits::default()),
            Ok(Status::Partial),
            "prefix of {n} bytes"
        );
    }
    assert!(matches!(
        RequestHead::parse(head, &Limits::default()),
        Ok(Status::Complete((_, n))) if n == head.len()
    ));
}

#[test]
fn head_round_trips_through_the_serializer() {
    let wire = b"GET /a?b HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nX-Empty: \r\n\r\n";
    let Ok(Status::Complete((head, n))) = RequestHead::parse(wire, &Limits::default()) else {
        panic!("did not parse")
    };
    assert_eq!(n, wire.len());
    let mut out = Vec::new();
    head.emit(&mut out);
    assert_eq!(out, wire);
    assert_eq!(
        head.to_string(),
        "GET /a?b HTTP/1.1 | Host: example.com | Accept: */* | X-Empty: "
    );
}

// ------------------------------------------------------------------ rejections

#[test]
fn malformed_request_lines_get_400() {
    for bad in [
        "GET  / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1 \r\n\r\n",
        " GET / HTTP/1.1\r\n\r\n",
        "GET\t/ HTTP/1.1\r\n\r\n",
        "GET /\r\n\r\n",
        "GET /a b HTTP/1.1\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n",
        "\x16\x03\x01\x00",
    ] {
        let (_, err) = decode_every_way(bad.as_bytes(), Limits::default());
        let err = err.unwrap_or_else(|| panic!("{bad:?} accepted"));
        assert_eq!(err.status(), StatusCode::BAD_REQUEST, "{bad:?}: {err}");
    }
    rejects("GET / http/1.1\r\n\r\n", ParseError::BadVersion, 400);
    rejects("GET / HTTP/1.10\r\n\r\n", ParseError::BadVersion, 400);
    rejects(
        "GET /\x7f HTTP/1.1\r\n\r\n",
        ParseError::BadRequestLine,
        400,
    );
}

#[test]
fn malformed_header_lines_get_400() {
    rejects(
        "GET / HTTP/1.1\r\nX-NoColon\r\n\r\n",
        ParseError::BadHeaderName,
        400,
    );
    rejects(
        "GET / HTTP/1.1\r\n: a\r\n\r\n",
        ParseError::BadHeaderName,
        400,
    );
    rejects(
        "GET / HTTP/1.1\r\nX(Y): a\r\n\r\n",
        ParseError::BadHeaderName,
        400,
    );
    rejects(
        "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
        ParseError::WhitespaceBeforeColon,
        400,
    );
    rejects(
        "GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n",
        ParseError::BadHeaderValue,
        400,
    );
    rejects(
        "GET / HTTP/1.1\r\nHost: a\x01b\r\n\r\n",
        ParseError::BadHeaderValue,
        400,
    );
    rejects(
        "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
        ParseError::BareCr,
        400,
    );
    rejects(
        "GET / HTTP/1.1\r\n Host: a\r\n\r\n",
        ParseError::WhitespaceBeforeFirstField,
        400,
    );
}

#[test]
fn obs_fold_gets_400() {
    // RFC 9112 §5.2.
    rejects(
        "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n",
        ParseError::ObsFold,
        400,
    );
    rejects(
        "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\tc\r\n\r\n",
        ParseError::ObsFold,
        400,
    );
}

#[test]
fn content_length_with_transfer_encoding_gets_400() {
    // RFC 9112 §6.3 rule 3 and §11.2: request smuggling.
    rejects(
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX",
        ParseError::ContentLengthWithTransferEncoding,
        400,
    );
    rejects(
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\nX",
        ParseError::ContentLengthWithTransferEncoding,
        400,
    );
}

#[test]
fn conflicting_content_lengths_get_400() {
    rejects(
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        ParseError::ConflictingContentLength,
        400,
    );
    rejects(
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1,2\r\n\r\nab",
        ParseError::ConflictingContentLength,
        400,
    );
    rejects(
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
        ParseError::BadContentLength,
        400,
    );
    rejects(
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n",
        ParseError::BadContentLength,
        400,
    );
}

#[test]
fn unknown_transfer_coding_gets_501() {
    rejects(
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
        ParseError::UnsupportedTransferCoding,
        501,
    );
    rejects(
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        ParseError::UnsupportedTransferCoding,
        501,
    );
    rejects(
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
        ParseError::ChunkedNotFinal,
        400,
    );
    rejects(
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        ParseError::TransferEncodingInHttp10,
        400,
    );
}

#[test]
fn malformed_chunks_get_400() {
    let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    for body in [
        "g\r\n",
        "5\r\nhelloX",
        "5\nhello\r\n",
        "3\r\nhello\r\n",
        "0\r\nBad Trailer\r\n\r\n",
    ] {
        let input = format!("{head}{body}");
        let (_, err) = decode_every_way(input.as_bytes(), Limits::default());
        assert_eq!(
            err.map(|e| e.status()),
            Some(StatusCode::BAD_REQUEST),
            "{body:?}"
        );
    }
}

#[test]
fn missing_or_duplicate_host_gets_400() {
    // RFC 9112 §3.2.
    rejects("GET / HTTP/1.1\r\n\r\n", ParseError::MissingHost, 400);
    rejects(
        "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
        ParseError::MultipleHost,
        400,
    );
    rejects(
        "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
        ParseError::BadHost,
        400,
    );
}

#[test]
fn uri_too_long_gets_414() {
    let limits = Limits {
        max_uri_len: 16,
        ..Limits::default()
    };
    let ok = b"GET /0123456789abcde HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_eq!(decode_every_way(ok, limits).1, None, "exactly at the limit");
    let long = b"GET /0123456789abcdef HTTP/1.1\r\nHost: a\r\n\r\n";
    rejects_with(long, limits, ParseError::UriTooLong, 414);
    // Decided as soon as the limit is passed, without waiting for the line to end.
    let mut d = RequestDecoder::new(limits);
    d.feed(b"GET /0123456789abcdef");
    assert_eq!(d.poll(), Err(ParseError::UriTooLong));
}

#[test]
fn header_section_too_large_gets_431() {
    let limits = Limits {
        max_header_bytes: 64,
        ..Limits::default()
    };
    let big = format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n", "v".repeat(60));
    rejects_with(big.as_bytes(), limits, ParseError::HeadersTooLarge, 431);
    // A never-ending header line is cut off at the limit, not buffered forever.
    let mut d = RequestDecoder::new(limits);
    d.feed(format!("GET / HTTP/1.1\r\nX: {}", "v".repeat(100)).as_bytes());
    assert_eq!(d.poll(), Err(ParseError::HeadersTooLarge));
}

#[test]
fn too_many_headers_gets_431() {
    let limits = Limits {
        max_headers: 3,
        ..Limits::default()
    };
    let three = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n";
    assert_eq!(decode_every_way(three.as_bytes(), limits).1, None);
    let four = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    rejects_with(four.as_bytes(), limits, ParseError::TooManyHeaders, 431);
}

#[test]
fn body_too_large_gets_413() {
    let limits = Limits {
        max_body: 10,
        ..Limits::default()
    };
    let declared = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n";
    rejects_with(declared.as_bytes(), limits, ParseError::BodyTooLarge, 413);
    let chunked =
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n123456\r\n5\r\n";
    rejects_with(chunked.as_bytes(), limits, ParseError::BodyTooLarge, 413);
    let at_limit = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789";
    assert_eq!(decode_every_way(at_limit.as_bytes(), limits).1, None);
}

#[test]
fn unsupported_version_gets_505() {
    rejects(
        "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
        ParseError::UnsupportedVersion,
        505,
    );
    rejects(
        "GET / HTTP/0.9\r\n\r\n",
        ParseError::UnsupportedVersion,
        505,
    );
    // A higher 1.x minor version is HTTP/1.1-compatible (RFC 9110 §2.5).
    assert_eq!(
        accepts("GET / HTTP/1.7\r\nHost: a\r\n\r\n")[0].version,
        Version { major: 1, minor: 7 }
    );
}

#[test]
fn long_methods_get_501() {
    rejects(
        &format!("{} / HTTP/1.1\r\nHost: a\r\n\r\n", "M".repeat(33)),
        ParseError::MethodTooLong,
        501,
    );
}

#[test]
fn too_many_leading_empty_lines_get_400() {
    rejects(
        &format!("{}GET / HTTP/1.1\r\nHost: a\r\n\r\n", "\r\n".repeat(9)),
        ParseError::TooManyEmptyLines,
        400,
    );
}

#[test]
fn errors_are_sticky_and_later_bytes_are_ignored() {
    let mut d = RequestDecoder::new(Limits::default());
    d.feed(b"BAD\x00");
    assert_eq!(d.poll(), Err(ParseError::BadRequestLine));
    d.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(d.poll(), Err(ParseError::BadRequestLine));
}

// ------------------------------------------------------------------ responses

#[test]
fn status_lines_parse_with_and_without_reason() {
    let limits = Limits::client();
    let Ok(Status::Complete((r, _))) =
        ResponseHead::parse(b"HTTP/1.1 404 Not Found\r\nServer: x\r\n\r\n", &limits)
    else {
        panic!()
    };
    assert_eq!(
        (r.status, r.reason, r.version),
        (StatusCode::NOT_FOUND, &b"Not Found"[..], Version::HTTP_11)
    );
    assert_eq!(r.to_string(), "HTTP/1.1 404 Not Found | Server: x");
    let Ok(Status::Complete((r, _))) = ResponseHead::parse(b"HTTP/1.0 200\r\n\r\n", &limits) else {
        panic!()
    };
    assert_eq!((r.status, r.reason), (StatusCode::OK, &b""[..]));
}

#[test]
fn every_prefix_of_a_response_head_is_partial_and_it_round_trips() {
    let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\r\n\r\n";
    for n in 0..wire.len() {
        assert_eq!(
            ResponseHead::parse(&wire[..n], &Limits::client()),
            Ok(Status::Partial),
            "{n}"
        );
    }
    let Ok(Status::Complete((head, n))) = ResponseHead::parse(wire, &Limits::client()) else {
        panic!()
    };
    assert_eq!(n, wire.len());
    let mut out = Vec::new();
    head.emit(&mut out);
    assert_eq!(out, wire);
}

#[test]
fn malformed_status_lines_are_rejected() {
    for bad in [
        &b"HTTP/1.1 20 OK\r\n\r\n"[..],
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1  200 OK\r\n\r\n",
        b"http/1.1 200 OK\r\n\r\n",
        b"ICY 200 OK\r\n\r\n",
        b"HTTP/1.1 200 O\x00K\r\n\r\n",
    ] {
        assert_eq!(
            ResponseHead::parse(bad, &Limits::client()),
            Err(ParseError::BadStatusLine),
            "{bad:?}"
        );
    }
    assert_eq!(
        ResponseHead::parse(b"HTTP/2.0 200 OK\r\n\r\n", &Limits::client()),
        Err(ParseError::UnsupportedVersion)
    );
}

// ------------------------------------------------------------------ limits and chunking

#[test]
fn limits_hold_at_the_exact_byte() {
    // A field section of exactly `max_header_bytes` fits (here 26: "Host: a\r\n",
    // "X: 0123456789\r\n" and the empty line, 9 + 15 + 2); one byte more does not,
    // wherever the input is cut.
    let limits = Limits {
        max_header_bytes: 26,
        ..Limits::default()
    };
    let fits = b"GET / HTTP/1.1\r\nHost: a\r\nX: 0123456789\r\n\r\n";
    assert_eq!(decode_every_way(fits, limits).1, None);
    let over = b"GET / HTTP/1.1\r\nHost: a\r\nX: 0123456789a\r\n\r\n";
    rejects_with(over, limits, ParseError::HeadersTooLarge, 431);
    let method = format!("{} / HTTP/1.1\r\nHost: a\r\n\r\n", "M".repeat(32));
    assert_eq!(
        decode_every_way(method.as_bytes(), Limits::default()).1,
        None
    );
}

mod any_chunking {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of requests, valid and not, that the parsers treat differently.
    const PIECES: &[&[u8]] = &[
        b"GET",
        b"POST",
        b" ",
        b"  ",
        b"/a?b",
        b"HTTP/1.1",
        b"HTTP/1.0",
        b"HTTP/2",
        b"\r\n",
        b"\n",
        b"\r",
        b"Host",
        b"Content-Length",
        b"Transfer-Encoding",
        b": ",
        b":",
        b"\t",
        b"x",
        b"chunked",
        b"3",
        b"abc",
        b"\x00",
        b"\x7f",
        b"\xff",
        b"\"",
        b"(",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

        /// Whatever the bytes, feeding them whole, a byte at a time or in two pieces
        /// gives the same requests and the same error, also with limits small enough
        /// to be reached mid-run.
        #[test]
        fn outcome_does_not_depend_on_chunking(
            request_line in any::<bool>(),
            picks in proptest::collection::vec(0..PIECES.len(), 0..40),
            small in any::<bool>(),
        ) {
            // Half the inputs start with a valid request line, so the field parser
            // sees as many of them as the request-line parser.
            let start: &[u8] = if request_line { b"GET /a HTTP/1.1\r\n" } else { b"" };
            let pieces = picks.iter().flat_map(|&i| PIECES[i].iter().copied());
            let input: Vec<u8> = start.iter().copied().chain(pieces).collect();
            let limits = if small {
                Limits {
                    max_method_len: 5,
                    max_uri_len: 6,
                    max_header_bytes: 30,
                    ..Limits::default()
                }
            } else {
                Limits::default()
            };
            decode_every_way(&input, limits);
        }
    }
}
