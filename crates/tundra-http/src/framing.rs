//! Message body framing and connection persistence: which bytes after a head belong to
//! its body (RFC 9112 §6.3), whether the connection stays open (RFC 9112 §9.3), and the
//! request-level checks that go with them (Host, RFC 9112 §3.2; Expect, RFC 9110
//! §10.1.1). This is where request smuggling is refused.

use crate::chars::{self, list_elements};
use crate::error::ParseError;
use crate::headers::{Header, Headers};
use crate::limits::Limits;
use crate::message::{Request, Version};
use crate::parse::RequestHead;
use crate::status::StatusCode;

/// How the body of a message is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyLength {
    /// No body at all.
    Empty,
    /// Exactly this many bytes (Content-Length).
    Length(u64),
    /// The chunked transfer coding (RFC 9112 §7.1).
    Chunked,
    /// Everything until the server closes (responses only, RFC 9112 §6.3 rule 8).
    CloseDelimited,
}

/// What the head of a request says about its body and its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestFraming {
    /// How the body is delimited.
    pub body: BodyLength,
    /// Whether the connection persists after the response (RFC 9112 §9.3).
    pub keep_alive: bool,
    /// Whether the client waits for `100 Continue` before sending the body
    /// (RFC 9110 §10.1.1).
    pub expect_continue: bool,
}

impl RequestFraming {
    /// Applies RFC 9112 §6.3 (and §3.2 for Host) to a request head.
    pub fn of(head: &RequestHead<'_>, limits: &Limits) -> Result<RequestFraming, ParseError> {
        let fields = Fields::of(head.headers.as_slice());
        RequestFraming::of_fields(&fields, head.version, limits)
    }

    /// The same for a head already copied into `request` (its body is not looked at),
    /// whose field lines were noted as they were parsed (`notes`, of exactly those
    /// lines): they are not read again unless a field that framing reads besides Host
    /// is present.
    pub(crate) fn of_request(
        request: &Request,
        notes: FieldNotes,
        limits: &Limits,
    ) -> Result<RequestFraming, ParseError> {
        let fields = Fields {
            lines: &request.headers,
            notes,
        };
        RequestFraming::of_fields(&fields, request.version, limits)
    }

    fn of_fields(
        fields: &Fields<'_, impl FieldLines + ?Sized>,
        version: Version,
        limits: &Limits,
    ) -> Result<RequestFraming, ParseError> {
        check_host(fields, version)?;
        let body = body_length(fields, version)?;
        if let BodyLength::Length(n) = body {
            // RFC 9110 §15.5.14: refuse content larger than we are willing to process;
            // with a declared length we can do so before reading any of it.
            if n > limits.max_body {
                return Err(ParseError::BodyTooLarge);
            }
        }
        let expect_continue = version.is_http11()
            && fields.notes.expect
            && fields
                .values("expect")
                .flat_map(list_elements)
                .any(|e| e.eq_ignore_ascii_case(b"100-continue"));
        Ok(RequestFraming {
            body,
            keep_alive: persists(fields, version),
            expect_continue,
        })
    }
}

/// Field lines framing is read from: the views of a parsed head, or the owned list a
/// request was copied into (the decoder reuses one per connection).
pub(crate) trait FieldLines {
    /// Every field line, in order.
    fn lines(&self) -> impl Iterator<Item = Header<'_>>;
}

impl FieldLines for [Header<'_>] {
    fn lines(&self) -> impl Iterator<Item = Header<'_>> {
        self.iter().copied()
    }
}

impl FieldLines for Headers {
    fn lines(&self) -> impl Iterator<Item = Header<'_>> {
        self.iter()
    }
}

/// What framing needs to know of a head's field lines, noted one line at a time (by
/// the field parser as it indexes them, or by [`Fields::of`]): which of the fields it
/// reads are present, how many Host lines there are and whether the first one's value
/// is valid. The rules search the lines for a field only if it is there, so a request
/// with Host and nothing else of interest (most requests) is not read again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FieldNotes {
    /// Whether the first Host value is a valid Host (see [`is_host_value`]); `None`
    /// without a Host line.
    host_valid: Option<bool>,
    /// How many Host lines there are.
    hosts: usize,
    transfer_encoding: bool,
    content_length: bool,
    connection: bool,
    expect: bool,
}

impl FieldNotes {
    /// Notes the field line `name: value` (the value without surrounding OWS).
    #[inline]
    pub(crate) fn note(&mut self, name: &[u8], value: &[u8]) {
        // Field names are case-insensitive (RFC 9110 §5.1); compared by length
        // first, as most names are none of these.
        let is = |known: &str| name.eq_ignore_ascii_case(known.as_bytes());
        match name.len() {
            4 if is("host") => {
                if self.host_valid.is_none() {
                    self.host_valid = Some(is_host_value(value));
                }
                self.hosts += 1;
            }
            6 if is("expect") => self.expect = true,
            10 if is("connection") => self.connection = true,
            14 if is("content-length") => self.content_length = true,
            17 if is("transfer-encoding") => self.transfer_encoding = true,
            _ => {}
        }
    }
}

/// Host = uri-host [ ":" port ] (RFC 9110 §7.2), see `is_host_char`. An empty value
/// is allowed (RFC 9112 §3.2). Every byte is looked at, without a branch per byte: a
/// value is nearly always valid, so stopping early at a bad byte would save nothing.
fn is_host_value(value: &[u8]) -> bool {
    value
        .iter()
        .fold(true, |ok, &b| ok & chars::is_host_char(b))
}

/// The field lines of a head with their [`FieldNotes`].
pub(crate) struct Fields<'h, H: FieldLines + ?Sized> {
    lines: &'h H,
    /// The notes of `lines`.
    pub(crate) notes: FieldNotes,
}

impl<'h, H: FieldLines + ?Sized> Fields<'h, H> {
    /// The lines with notes taken in one pass over them.
    pub(crate) fn of(lines: &'h H) -> Fields<'h, H> {
        let mut notes = FieldNotes::default();
        for h in lines.lines() {
            notes.note(h.name.as_bytes(), h.value);
        }
        Fields { lines, notes }
    }

    /// The values of the fields called `name` (case-insensitive), in order.
    fn values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'h [u8]> + 's {
        self.lines
            .lines()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }
}

/// RFC 9112 §9.3: `close` ends the connection; HTTP/1.1 persists by default; HTTP/1.0
/// persists only with `keep-alive` (RFC 9112 Appendix C.2.2).
pub(crate) fn keep_alive(headers: &(impl FieldLines + ?Sized), version: Version) -> bool {
    persists(&Fields::of(headers), version)
}

/// [`keep_alive`] for fields already looked at.
fn persists(fields: &Fields<'_, impl FieldLines + ?Sized>, version: Version) -> bool {
    let has = |token: &[u8]| {
        fields.notes.connection
            && fields
                .values("connection")
                .flat_map(list_elements)
                .any(|e| e.eq_ignore_ascii_case(token))
    };
    if has(b"close") {
        false
    } else if version.is_http11() {
        true
    } else {
        has(b"keep-alive")
    }
}

/// RFC 9112 §3.2: a server MUST respond with 400 to an HTTP/1.1 request without Host,
/// to any request with more than one Host field line, or with an invalid Host value.
fn check_host(
    fields: &Fields<'_, impl FieldLines + ?Sized>,
    version: Version,
) -> Result<(), ParseError> {
    match (fields.notes.host_valid, fields.notes.hosts) {
        (None, _) if version.is_http11() => Err(ParseError::MissingHost),
        (None, _) => Ok(()),
        (Some(_), 2..) => Err(ParseError::MultipleHost),
        // The value's check is `is_host_value`, done when it was noted.
        (Some(true), _) => Ok(()),
        (Some(false), _) => Err(ParseError::BadHost),
    }
}

/// RFC 9112 §6.3 rules 3 to 6 for requests (and responses, after rule 1 and 2).
fn body_length(
    fields: &Fields<'_, impl FieldLines + ?Sized>,
    version: Version,
) -> Result<BodyLength, ParseError> {
    let has_te = fields.notes.transfer_encoding;
    let has_cl = fields.notes.content_length;
    if has_te {
        // RFC 9112 §6.1: a server or client that receives an HTTP/1.0 message
        // containing Transfer-Encoding MUST treat the message as if the framing is
        // faulty.
        if !version.is_http11() {
            return Err(ParseError::TransferEncodingInHttp10);
        }
        // RFC 9112 §6.3 rule 3: both fields "might indicate an attempt to perform
        // request smuggling ... and ought to be handled as an error" (§11.2).
        if has_cl {
            return Err(ParseError::ContentLengthWithTransferEncoding);
        }
        let mut codings = 0;
        for coding in fields.values("transfer-encoding").flat_map(list_elements) {
            // RFC 9112 §6.1: a server that receives a transfer coding it does not
            // understand SHOULD respond with 501. We only implement chunked.
            if !coding.eq_ignore_ascii_case(b"chunked") {
                return Err(ParseError::UnsupportedTransferCoding);
            }
            codings += 1;
        }
        // RFC 9112 §6.3 rule 4: chunked must be the final coding (so an empty list
        // fails) and, RFC 9112 §7, it is never applied twice.
        if codings != 1 {
            return Err(ParseError::ChunkedNotFinal);
        }
        return Ok(BodyLength::Chunked);
    }
    if has_cl {
        return content_length(fields).map(|n| {
            if n == 0 {
                BodyLength::Empty
            } else {
                BodyLength::Length(n)
            }
        });
    }
    // RFC 9112 §6.3 rule 7: a request without either has no body.
    Ok(BodyLength::Empty)
}

/// RFC 9110 §8.6: `Content-Length = 1*DIGIT`. Repeated fields or a list of identical
/// values may be accepted as that one value; different values are an unrecoverable
/// framing error (RFC 9112 §6.3 rule 5).
fn content_length(fields: &Fields<'_, impl FieldLines + ?Sized>) -> Result<u64, ParseError> {
    let mut seen: Option<u64> = None;
    for value in fields.values("content-length") {
        for element in value.split(|&b| b == b',') {
            let digits = chars::trim_ows(element);
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return Err(ParseError::BadContentLength);
            }
            let n = digits
                .iter()
                .try_fold(0u64, |acc, &d| {
                    acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
                })
                .ok_or(ParseError::BadContentLength)?;
            match seen {
                Some(prev) if prev != n => return Err(ParseError::ConflictingContentLength),
                _ => seen = Some(n),
            }
        }
    }
    seen.ok_or(ParseError::BadContentLength)
}

/// RFC 9112 §6.3 for a response to a request with `request_method`: rules 1 and 2
/// (HEAD, 1xx, 204, 304, CONNECT 2xx have no body), then the header fields, then
/// close-delimited.
pub fn response_body_length(
    request_method: &str,
    status: StatusCode,
    version: Version,
    headers: &[Header<'_>],
) -> Result<BodyLength, ParseError> {
    if request_method == "HEAD" || status.has_no_body() {
        return Ok(BodyLength::Empty);
    }
    if request_method == "CONNECT" && (200..300).contains(&status.0) {
        return Ok(BodyLength::Empty);
    }
    let fields = Fields::of(headers);
    match body_length(&fields, version)? {
        BodyLength::Empty if !fields.notes.content_length => {
            // RFC 9112 §6.3 rule 8: otherwise the body lasts until the server closes.
            Ok(BodyLength::CloseDelimited)
        }
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Status;

    fn framing(raw: &str) -> Result<RequestFraming, ParseError> {
        let limits = Limits::default();
        let Status::Complete((head, _)) = RequestHead::parse(raw.as_bytes(), &limits)? else {
            panic!("incomplete test head")
        };
        RequestFraming::of(&head, &limits)
    }

    #[test]
    fn http11_persists_unless_close() {
        let f = framing("GET / HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        assert!(f.keep_alive);
        assert_eq!(f.body, BodyLength::Empty);
        let f = framing("GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n").unwrap();
        assert!(!f.keep_alive);
    }

    #[test]
    fn http10_closes_unless_keep_alive() {
        assert!(!framing("GET / HTTP/1.0\r\n\r\n").unwrap().keep_alive);
        assert!(
            framing("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                .unwrap()
                .keep_alive
        );
    }

    #[test]
    fn smuggling_shapes_are_refused() {
        let e = |s: &str| framing(s).unwrap_err();
        assert_eq!(
            e("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
            ParseError::ContentLengthWithTransferEncoding
        );
        assert_eq!(
            e("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"),
            ParseError::ConflictingContentLength
        );
        assert_eq!(
            e("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\n"),
            ParseError::ConflictingContentLength
        );
        assert_eq!(
            e("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\n"),
            ParseError::BadContentLength
        );
        assert_eq!(
            e("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"),
            ParseError::ChunkedNotFinal
        );
        assert_eq!(
            e("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            ParseError::UnsupportedTransferCoding
        );
        assert_eq!(
            e("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            ParseError::TransferEncodingInHttp10
        );
    }

    #[test]
    fn identical_content_lengths_collapse_to_one() {
        let f = framing(
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\n",
        )
        .unwrap();
        assert_eq!(f.body, BodyLength::Length(3));
    }

    #[test]
    fn host_rules_of_rfc9112_section_3_2() {
        assert_eq!(
            framing("GET / HTTP/1.1\r\n\r\n"),
            Err(ParseError::MissingHost)
        );
        assert_eq!(
            framing("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
            Err(ParseError::MultipleHost)
        );
        assert_eq!(
            framing("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
            Err(ParseError::BadHost)
        );
        assert!(framing("GET / HTTP/1.1\r\nHost:\r\n\r\n").is_ok());
        assert!(framing("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n").is_ok());
    }

    #[test]
    fn expect_continue_only_in_http11() {
        let f = framing(
            "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n",
        )
        .unwrap();
        assert!(f.expect_continue);
        let f =
            framing("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n").unwrap();
        assert!(!f.expect_continue);
    }

    #[test]
    fn response_bodies_per_rfc9112_section_6_3() {
        let h = [Header {
            name: "Content-Length",
            value: b"5",
        }];
        let v = Version::HTTP_11;
        assert_eq!(
            response_body_length("HEAD", StatusCode::OK, v, &h),
            Ok(BodyLength::Empty)
        );
        assert_eq!(
            response_body_length("GET", StatusCode(304), v, &h),
            Ok(BodyLength::Empty)
        );
        assert_eq!(
            response_body_length("GET", StatusCode::OK, v, &h),
            Ok(BodyLength::Length(5))
        );
        assert_eq!(
            response_body_length("GET", StatusCode::OK, v, &[]),
            Ok(BodyLength::CloseDelimited)
        );
        let zero = [Header {
            name: "Content-Length",
            value: b"0",
        }];
        assert_eq!(
            response_body_length("GET", StatusCode::OK, v, &zero),
            Ok(BodyLength::Empty)
        );
    }
}
