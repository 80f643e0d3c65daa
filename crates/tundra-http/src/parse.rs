//! Incremental parsers for the start line and header section of requests and
//! responses, and the borrowed views they produce: [`RequestHead`] and
//! [`ResponseHead`], with their serializers.
//!
//! ```text
//! HTTP-message   = start-line CRLF *( field-line CRLF ) CRLF [ message-body ]
//! request-line   = method SP request-target SP HTTP-version     ; RFC 9112 §3
//! status-line    = HTTP-version SP status-code SP [ reason-phrase ] ; RFC 9112 §4
//! HTTP-version   = HTTP-name "/" DIGIT "." DIGIT                ; RFC 9112 §2.3
//! ```
//!
//! Both parsers are byte-level state machines (like httparse and llhttp): they keep
//! their position between calls, report [`Status::Partial`] when the input stops early,
//! and reject a malformed message at the first byte that makes it malformed, so
//! chunking the input never changes the outcome. Runs of ordinary bytes (a method's
//! tchars, a target's VCHARs) are taken in a tight loop before the state machine looks
//! at the byte that ends them, and a whole well-formed request line already received is
//! taken in one go: the same result as one step per byte, with less work. Contract: call
//! `advance` with the same buffer each time, possibly extended at the end; then every
//! range they store is in bounds and no accessor can panic.

use core::fmt;
use core::ops::Range;

use crate::chars::{is_field_vchar, is_tchar, is_vchar, run_len};
use crate::error::ParseError;
use crate::fields::FieldsParser;
use crate::framing::FieldNotes;
use crate::headers::{write_field, Header};
use crate::limits::Limits;
use crate::message::{Method, Request, Version};
use crate::status::StatusCode;

pub use crate::decoder::RequestDecoder;

/// The result of feeding a parser: a complete item, or a need for more bytes.
/// Incomplete input is data, not an error (httparse's `Status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status<T> {
    /// Parsing finished; for heads the value is the number of bytes the head used.
    Complete(T),
    /// More input is needed.
    Partial,
}

impl<T> Status<T> {
    /// True for [`Status::Complete`].
    pub fn is_complete(&self) -> bool {
        matches!(self, Status::Complete(_))
    }
}

/// `HTTP/` + DIGIT + `.` + DIGIT, exactly 8 bytes (RFC 9112 §2.3).
const VERSION_LEN: usize = 8;

/// True if `b` may appear at offset `i` of an `HTTP-version`.
fn version_byte_ok(i: usize, b: u8) -> bool {
    match i {
        0..=4 => b == b"HTTP/"[i],
        5 | 7 => b.is_ascii_digit(),
        6 => b == b'.',
        _ => false,
    }
}

/// True if `v` is a whole `HTTP-version`: `version_byte_ok` for each of its 8 bytes,
/// checked without a loop.
fn is_version(v: &[u8]) -> bool {
    match v {
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor] => {
            major.is_ascii_digit() && minor.is_ascii_digit()
        }
        _ => false,
    }
}

/// Validates a complete `HTTP-version` (each byte was checked by `version_byte_ok`).
fn finish_version(v: &[u8], bad: ParseError) -> Result<Version, ParseError> {
    if v.len() != VERSION_LEN {
        return Err(bad);
    }
    let version = Version {
        major: v[5] - b'0',
        minor: v[7] - b'0',
    };
    // RFC 9110 §2.5 / §15.6.6: we implement HTTP/1.x only; a well-formed other major
    // version is answered with 505. Minor versions above 1 are treated as 1.1.
    if version.major != 1 {
        return Err(ParseError::UnsupportedVersion);
    }
    Ok(version)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RequestLineState {
    /// Before the request line: skipping empty lines (RFC 9112 §2.2).
    Empty,
    /// Saw CR on a leading empty line.
    EmptyCr,
    Method,
    Target,
    Version,
    /// Saw CR after the version.
    Cr,
    /// The request line is done; the field section is being parsed.
    Fields,
}

/// An incremental request-head parser (request line and header section).
#[derive(Debug, Clone)]
pub struct RequestHeadParser {
    limits: Limits,
    state: RequestLineState,
    pos: usize,
    empty_lines: usize,
    method: Range<usize>,
    target: Range<usize>,
    version_start: usize,
    version: Version,
    fields: FieldsParser,
    done: Option<usize>,
}

impl RequestHeadParser {
    /// A parser for a head that starts at offset 0 of the buffers it will be given.
    pub fn new(limits: Limits) -> RequestHeadParser {
        RequestHeadParser {
            limits,
            state: RequestLineState::Empty,
            pos: 0,
            empty_lines: 0,
            method: 0..0,
            target: 0..0,
            version_start: 0,
            version: Version::HTTP_11,
            fields: FieldsParser::new(0),
            done: None,
        }
    }

    /// True once some byte of the request line (not a leading empty line) was seen:
    /// the header timeout runs from here.
    pub fn started(&self) -> bool {
        !matches!(
            self.state,
            RequestLineState::Empty | RequestLineState::EmptyCr
        )
    }

    /// Scans the bytes of `buf` not seen yet. `Complete(n)`: the head is `buf[..n]`.
    pub fn advance(&mut self, buf: &[u8]) -> Result<Status<usize>, ParseError> {
        use RequestLineState as S;
        if let Some(n) = self.done {
            return Ok(Status::Complete(n));
        }
        if self.state == S::Empty {
            self.take_request_line(buf);
        }
        while self.state != S::Fields {
            self.take_run(buf)?;
            let Some(&b) = buf.get(self.pos) else {
                return Ok(Status::Partial);
            };
            let at = self.pos;
            self.pos += 1;
            match self.state {
                S::Empty => match b {
                    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line
                    // (CRLF) received prior to the request-line.
                    b'\r' => self.state = S::EmptyCr,
                    b'\n' => self.empty_line()?,
                    t if is_tchar(t) => {
                        self.method = at..at + 1;
                        self.state = S::Method;
                    }
                    _ => return Err(ParseError::BadRequestLine),
                },
                S::EmptyCr => {
                    if b != b'\n' {
                        return Err(ParseError::BareCr);
                    }
                    self.empty_line()?;
                    self.state = S::Empty;
                }
                // RFC 9112 §3.1: method = token, followed by exactly one SP.
                S::Method => match b {
                    b' ' => {
                        self.target = self.pos..self.pos;
                        self.state = S::Target;
                    }
                    t if is_tchar(t) => self.extend_method(at + 1)?,
                    _ => return Err(ParseError::BadRequestLine),
                },
                // RFC 9112 §3.2: request-target is made of URI characters, all VCHAR;
                // whitespace inside it is invalid (§3: no autocorrection).
                S::Target => match b {
                    b' ' if !self.target.is_empty() => {
                        self.version_start = self.pos;
                        self.state = S::Version;
                    }
                    t if is_vchar(t) => self.extend_target(at + 1)?,
                    _ => return Err(ParseError::BadRequestLine),
                },
                S::Version => match b {
                    b'\r' | b'\n' => {
                        let v = buf.get(self.version_start..at).unwrap_or_default();
                        self.version = finish_version(v, ParseError::BadVersion)?;
                        if b == b'\r' {
                            self.state = S::Cr;
                        } else {
                            self.start_fields();
                        }
                    }
                    _ if version_byte_ok(at - self.version_start, b) => {}
                    _ => return Err(ParseError::BadVersion),
                },
                S::Cr => {
                    if b != b'\n' {
                        return Err(ParseError::BareCr);
                    }
                    self.start_fields();
                }
                S::Fields => unreachable!("loop condition"),
            }
        }
        let status = self.fields.advance(buf, &self.limits)?;
        if let Status::Complete(n) = status {
            self.done = Some(n);
        }
        Ok(status)
    }

    /// The common case in one go: at the start of a request line, a whole
    /// `method SP request-target SP HTTP-version CRLF` that is already in `buf` and
    /// within the limits is taken at once, with the effects the steps in `advance`
    /// would have. Anything else (an empty line, a line not complete yet, a bare LF, a
    /// limit exceeded, a malformed byte) is left to those steps, which then start from
    /// the same position and state as if this had not been tried.
    fn take_request_line(&mut self, buf: &[u8]) {
        let start = self.pos;
        let rest = buf.get(start..).unwrap_or_default();
        // RFC 9112 §3: request-line = method SP request-target SP HTTP-version.
        let method_len = run_len(rest, is_tchar);
        if method_len == 0
            || method_len > self.limits.max_method_len
            || rest.get(method_len) != Some(&b' ')
        {
            return;
        }
        let target_start = method_len + 1;
        let target_len = run_len(rest.get(target_start..).unwrap_or_default(), is_vchar);
        let version_start = target_start + target_len + 1;
        if target_len == 0
            || target_len > self.limits.max_uri_len
            || rest.get(version_start - 1) != Some(&b' ')
        {
            return;
        }
        let Some(line_end) = rest.get(version_start..version_start + VERSION_LEN + 2) else {
            return;
        };
        let (version, crlf) = line_end.split_at(VERSION_LEN);
        if crlf != b"\r\n" || !is_version(version) {
            return;
        }
        // A version other than 1.x is answered by the steps (505).
        let Ok(version) = finish_version(version, ParseError::BadVersion) else {
            return;
        };
        self.method = start..start + method_len;
        self.target = start + target_start..start + target_start + target_len;
        self.version_start = start + version_start;
        self.version = version;
        self.pos = start + version_start + VERSION_LEN + 2;
        self.start_fields();
    }

    /// Takes the run of bytes at `pos` that the step in `advance` would take one at a
    /// time without leaving the current state, with the same effects (the method or
    /// target grows, its limit is checked); `advance` then steps on the byte that ends
    /// the run.
    fn take_run(&mut self, buf: &[u8]) -> Result<(), ParseError> {
        use RequestLineState as S;
        let rest = buf.get(self.pos..).unwrap_or_default();
        match self.state {
            S::Method => {
                let n = run_len(rest, is_tchar);
                if n > 0 {
                    self.pos += n;
                    self.extend_method(self.pos)?;
                }
            }
            S::Target => {
                let n = run_len(rest, is_vchar);
                if n > 0 {
                    self.pos += n;
                    self.extend_target(self.pos)?;
                }
            }
            S::Version => {
                let offset = self.pos - self.version_start;
                self.pos += rest
                    .iter()
                    .zip(offset..)
                    .take_while(|&(&b, i)| version_byte_ok(i, b))
                    .count();
            }
            S::Empty | S::EmptyCr | S::Cr | S::Fields => {}
        }
        Ok(())
    }

    /// The method now ends at `end` (one byte or a run more), within its limit.
    fn extend_method(&mut self, end: usize) -> Result<(), ParseError> {
        self.method.end = end;
        if self.method.len() > self.limits.max_method_len {
            return Err(ParseError::MethodTooLong);
        }
        Ok(())
    }

    /// The request-target now ends at `end`. RFC 9112 §3: a server that receives a
    /// request-target longer than any URI it wishes to parse MUST respond with 414.
    fn extend_target(&mut self, end: usize) -> Result<(), ParseError> {
        self.target.end = end;
        if self.target.len() > self.limits.max_uri_len {
            return Err(ParseError::UriTooLong);
        }
        Ok(())
    }

    fn empty_line(&mut self) -> Result<(), ParseError> {
        self.empty_lines += 1;
        if self.empty_lines > self.limits.max_empty_lines {
            return Err(ParseError::TooManyEmptyLines);
        }
        Ok(())
    }

    fn start_fields(&mut self) {
        self.fields.restart(self.pos);
        self.state = RequestLineState::Fields;
    }

    /// Makes the parser ready for the next head, at offset 0 of the buffers it will be
    /// given, keeping the memory of its field index (one parser serves every request
    /// of a connection).
    pub(crate) fn reset(&mut self) {
        // Field by field, in place (the parser with its field index is not moved); the
        // pattern names every field, so a new one cannot be forgotten here.
        let RequestHeadParser {
            limits: _,
            state,
            pos,
            empty_lines,
            method,
            target,
            version_start,
            version,
            fields,
            done,
        } = self;
        *state = RequestLineState::Empty;
        *pos = 0;
        *empty_lines = 0;
        *method = 0..0;
        *target = 0..0;
        *version_start = 0;
        *version = Version::HTTP_11;
        fields.restart(0);
        *done = None;
    }

    /// The parsed head as a view into `buf`, once `advance` returned `Complete`.
    pub fn head<'b>(&self, buf: &'b [u8]) -> Option<RequestHead<'b>> {
        let (method, target) = self.method_and_target(buf)?;
        Some(RequestHead {
            method,
            target,
            version: self.version,
            headers: self.fields.headers(buf),
        })
    }

    /// What framing needs to know of the parsed fields, noted as they were parsed.
    pub(crate) fn field_notes(&self) -> FieldNotes {
        self.fields.notes()
    }

    /// Copies the parsed head into `request` (method, target, version, fields), once
    /// `advance` returned `Complete`. The request's buffers are reused: cleared and
    /// filled, so a recycled request costs no allocation. Its body, trailers and
    /// `keep_alive` are left alone. `None` if nothing was parsed.
    pub(crate) fn copy_into(&self, buf: &[u8], request: &mut Request) -> Option<()> {
        let head_start = self.method.start;
        let head = buf.get(head_start..self.done?)?;
        request.headers.clear();
        request.target.clear();
        // The method, target and field names are ASCII; values may hold obs-text. A
        // head that is all text (nearly every one) is converted once, and its field
        // section copied whole; otherwise each piece is converted on its own.
        if let Ok(head) = core::str::from_utf8(head) {
            let section_start = self.fields.start();
            let at = |r: &Range<usize>| head.get(r.start - head_start..r.end - head_start);
            let relative = |r: &Range<usize>| r.start - section_start..r.end - section_start;
            request.method = Method::from_token(at(&self.method)?);
            request.target.push_str(at(&self.target)?);
            request.headers.extend_from_section(
                head.get(section_start - head_start..)?,
                self.fields
                    .ranges()
                    .iter()
                    .map(|(name, value)| (relative(name), relative(value))),
            );
        } else {
            let (method, target) = self.method_and_target(buf)?;
            request.method = Method::from_token(method);
            request.target.push_str(target);
            request.headers.extend(self.fields.iter(buf));
        }
        request.version = self.version;
        Some(())
    }

    fn method_and_target<'b>(&self, buf: &'b [u8]) -> Option<(&'b str, &'b str)> {
        self.done?;
        // The method, its SP and the target are tokens, SP and VCHARs: ASCII, so this
        // one conversion cannot fail and both slices are on char boundaries.
        let start = self.method.start;
        let line = core::str::from_utf8(buf.get(start..self.target.end)?).ok()?;
        Some((
            line.get(..self.method.end - start)?,
            line.get(self.target.start - start..)?,
        ))
    }
}

/// A parsed request head, borrowing from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead<'a> {
    /// The method token (case-sensitive, RFC 9110 §9.1).
    pub method: &'a str,
    /// The request target as received.
    pub target: &'a str,
    /// The protocol version.
    pub version: Version,
    /// The header fields in order.
    pub headers: Vec<Header<'a>>,
}

impl<'a> RequestHead<'a> {
    /// Parses a head at the start of `buf` in one call (httparse style):
    /// `Complete((head, n))` where the head used `buf[..n]`.
    pub fn parse(
        buf: &'a [u8],
        limits: &Limits,
    ) -> Result<Status<(RequestHead<'a>, usize)>, ParseError> {
        let mut p = RequestHeadParser::new(*limits);
        match p.advance(buf)? {
            Status::Complete(n) => Ok(p
                .head(buf)
                .map_or(Status::Partial, |h| Status::Complete((h, n)))),
            Status::Partial => Ok(Status::Partial),
        }
    }

    /// The value of the first field called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }

    /// Writes the head: request line, fields and the empty line.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.target.as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.version.to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        for h in &self.headers {
            write_field(out, h.name, h.value);
        }
        out.extend_from_slice(b"\r\n");
    }
}

impl fmt::Display for RequestHead<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.method, self.target, self.version)?;
        for h in &self.headers {
            write!(f, " | {h}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusLineState {
    Version,
    Code,
    /// After the status code: SP (then a reason) or the end of the line.
    AfterCode,
    Reason,
    Cr,
    Fields,
}

/// An incremental response-head parser (status line and header section).
#[derive(Debug, Clone)]
pub struct ResponseHeadParser {
    limits: Limits,
    state: StatusLineState,
    pos: usize,
    version: Version,
    code: u16,
    digits: usize,
    reason: Range<usize>,
    fields: FieldsParser,
    done: Option<usize>,
}

impl ResponseHeadParser {
    /// A parser for a head that starts at offset 0 of the buffers it will be given.
    pub fn new(limits: Limits) -> ResponseHeadParser {
        ResponseHeadParser {
            limits,
            state: StatusLineState::Version,
            pos: 0,
            version: Version::HTTP_11,
            code: 0,
            digits: 0,
            reason: 0..0,
            fields: FieldsParser::new(0),
            done: None,
        }
    }

    /// Scans the bytes of `buf` not seen yet. `Complete(n)`: the head is `buf[..n]`.
    pub fn advance(&mut self, buf: &[u8]) -> Result<Status<usize>, ParseError> {
        use StatusLineState as S;
        if let Some(n) = self.done {
            return Ok(Status::Complete(n));
        }
        while self.state != S::Fields {
            let Some(&b) = buf.get(self.pos) else {
                return Ok(Status::Partial);
            };
            let at = self.pos;
            self.pos += 1;
            match self.state {
                S::Version => {
                    if at == VERSION_LEN && b == b' ' {
                        self.version = finish_version(&buf[..at], ParseError::BadStatusLine)?;
                        self.state = S::Code;
                    } else if !version_byte_ok(at, b) {
                        return Err(ParseError::BadStatusLine);
                    }
                }
                // RFC 9112 §4: status-code = 3DIGIT.
                S::Code => {
                    if !b.is_ascii_digit() {
                        return Err(ParseError::BadStatusLine);
                    }
                    self.code = self.code * 10 + u16::from(b - b'0');
                    self.digits += 1;
                    if self.digits == 3 {
                        self.state = S::AfterCode;
                    }
                }
                // RFC 9112 §4: a client SHOULD ignore the reason-phrase; servers that
                // omit it together with its SP exist, so accept that too.
                S::AfterCode => match b {
                    b' ' => {
                        self.reason = self.pos..self.pos;
                        self.state = S::Reason;
                    }
                    b'\r' => self.state = S::Cr,
                    b'\n' => self.start_fields(),
                    _ => return Err(ParseError::BadStatusLine),
                },
                // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
                S::Reason => match b {
                    b'\r' => self.state = S::Cr,
                    b'\n' => self.start_fields(),
                    b'\t' | b' ' => self.reason.end = at + 1,
                    v if is_field_vchar(v) => self.reason.end = at + 1,
                    _ => return Err(ParseError::BadStatusLine),
                },
                S::Cr => {
                    if b != b'\n' {
                        return Err(ParseError::BareCr);
                    }
                    self.start_fields();
                }
                S::Fields => unreachable!("loop condition"),
            }
        }
        let status = self.fields.advance(buf, &self.limits)?;
        if let Status::Complete(n) = status {
            self.done = Some(n);
        }
        Ok(status)
    }

    fn start_fields(&mut self) {
        self.fields.restart(self.pos);
        self.state = StatusLineState::Fields;
    }

    /// The parsed head as a view into `buf`, once `advance` returned `Complete`.
    pub fn head<'b>(&self, buf: &'b [u8]) -> Option<ResponseHead<'b>> {
        self.done?;
        Some(ResponseHead {
            version: self.version,
            status: StatusCode(self.code),
            reason: buf.get(self.reason.clone())?,
            headers: self.fields.headers(buf),
        })
    }
}

/// A parsed response head, borrowing from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead<'a> {
    /// The server's protocol version.
    pub version: Version,
    /// The status code.
    pub status: StatusCode,
    /// The reason phrase as received (may be empty; may hold obs-text).
    pub reason: &'a [u8],
    /// The header fields in order.
    pub headers: Vec<Header<'a>>,
}

impl<'a> ResponseHead<'a> {
    /// Parses a head at the start of `buf` in one call.
    pub fn parse(
        buf: &'a [u8],
        limits: &Limits,
    ) -> Result<Status<(ResponseHead<'a>, usize)>, ParseError> {
        let mut p = ResponseHeadParser::new(*limits);
        match p.advance(buf)? {
            Status::Complete(n) => Ok(p
                .head(buf)
                .map_or(Status::Partial, |h| Status::Complete((h, n)))),
            Status::Partial => Ok(Status::Partial),
        }
    }

    /// Writes the head: status line, fields and the empty line.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("{} {:03} ", self.version, self.status.0).as_bytes());
        out.extend(self.reason.iter().filter(|&&b| b != b'\r' && b != b'\n'));
        out.extend_from_slice(b"\r\n");
        for h in &self.headers {
            write_field(out, h.name, h.value);
        }
        out.extend_from_slice(b"\r\n");
    }
}

impl fmt::Display for ResponseHead<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.version,
            self.status.0,
            String::from_utf8_lossy(self.reason)
        )?;
        for h in &self.headers {
            write!(f, " | {h}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reset parser starts over in every respect: the empty lines it may skip are
    /// counted afresh and the next head is parsed, not the last one repeated.
    #[test]
    fn a_reset_parser_parses_the_next_head_afresh() {
        let limits = Limits::default();
        let head = |target: &str| {
            let mut head = "\r\n".repeat(limits.max_empty_lines);
            head.push_str(&format!("GET {target} HTTP/1.0\r\nHost: a\r\n\r\n"));
            head
        };
        let mut p = RequestHeadParser::new(limits);
        for target in ["/a", "/bb", "/ccc"] {
            let head = head(target);
            assert_eq!(p.advance(head.as_bytes()), Ok(Status::Complete(head.len())));
            let parsed = p.head(head.as_bytes()).unwrap();
            assert_eq!((parsed.target, parsed.version), (target, Version::HTTP_10));
            assert_eq!(parsed.headers.len(), 1);
            p.reset();
        }
    }

    /// `is_version` accepts exactly what `version_byte_ok` accepts byte by byte.
    #[test]
    fn whole_versions_agree_with_the_byte_check() {
        let byte_by_byte = |v: &[u8]| {
            v.len() == VERSION_LEN && v.iter().enumerate().all(|(i, &b)| version_byte_ok(i, b))
        };
        for v in [&b"HTTP/1.1"[..], b"HTTP/2.0", b"HTTP/1.", b"HTTP/1.1 ", b""] {
            assert_eq!(is_version(v), byte_by_byte(v));
        }
        for b in 0..=255u8 {
            for i in 0..VERSION_LEN {
                let mut v = *b"HTTP/1.1";
                v[i] = b;
                assert_eq!(is_version(&v), byte_by_byte(&v), "{b:#04x} at {i}");
            }
        }
    }
}
