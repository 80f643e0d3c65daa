//! [`RequestDecoder`]: turns the byte stream of one connection into whole requests,
//! one after another (pipelining, RFC 9112 §9.3.2), each with its decoded body.
//!
//! A keep-alive connection carries many requests, so the decoder keeps its memory from
//! one to the next: one head parser, reset between heads, and one request that every
//! request is decoded into. The server reads it there, in place; a caller of
//! [`RequestDecoder::poll`] gets it moved out and may give it back
//! ([`RequestDecoder::recycle`]) so its buffers are used again.

use crate::chunked::ChunkedDecoder;
use crate::error::ParseError;
use crate::framing::{BodyLength, RequestFraming};
use crate::headers::Headers;
use crate::limits::Limits;
use crate::message::{Method, Request, Version};
use crate::parse::{RequestHeadParser, Status};

/// Below this many consumed bytes the input buffer is not compacted.
const COMPACT_THRESHOLD: usize = 4096;

/// A recycled request keeps a body buffer up to this size; a larger one is freed, so
/// one big upload does not pin its memory for the life of the connection.
const MAX_RECYCLED_BODY: usize = 64 * 1024;

#[derive(Debug)]
enum State {
    /// A request head is being parsed (by the decoder's `head` parser).
    Head,
    /// The body of the decoder's `request` is being received.
    Body(BodyDecoder),
    /// A request without keep-alive was delivered: RFC 9112 §9.6, the server MUST NOT
    /// process any further requests received on that connection.
    Closed,
    /// The stream is malformed; the error is repeated on every poll.
    Failed(ParseError),
}

#[derive(Debug)]
enum BodyDecoder {
    Length(u64),
    Chunked(ChunkedDecoder),
}

/// An incremental decoder of requests from one connection's bytes.
///
/// `feed` appends received bytes; `poll` returns the next complete request, `None`
/// while more bytes are needed, or the error that must end the connection.
#[derive(Debug)]
pub struct RequestDecoder {
    limits: Limits,
    buf: Vec<u8>,
    /// Bytes of `buf` before this index were consumed.
    start: usize,
    /// The parser of the current head (offsets relative to `start`).
    head: RequestHeadParser,
    state: State,
    continue_due: bool,
    /// The request being decoded, complete once `poll_in_place` said so (then read
    /// with `request`); the next one is decoded into the same buffers.
    request: Request,
    /// A request given back after use: the next one is decoded into its buffers.
    spare: Option<Request>,
}

impl RequestDecoder {
    /// A decoder at the start of a connection.
    pub fn new(limits: Limits) -> RequestDecoder {
        RequestDecoder {
            limits,
            buf: Vec::new(),
            start: 0,
            head: RequestHeadParser::new(limits),
            state: State::Head,
            continue_due: false,
            request: empty_request(),
            spare: None,
        }
    }

    /// Gives back a request returned by [`RequestDecoder::poll`] once it is no longer
    /// needed, so the next request reuses its buffers (target, fields, body) instead of
    /// allocating new ones.
    pub fn recycle(&mut self, mut request: Request) {
        if request.body.capacity() > MAX_RECYCLED_BODY {
            request.body = Vec::new();
        }
        self.spare = Some(request);
    }

    /// Appends received bytes. After a close or an error they are discarded.
    pub fn feed(&mut self, data: &[u8]) {
        if matches!(self.state, State::Closed | State::Failed(_)) {
            return;
        }
        self.buf.extend_from_slice(data);
    }

    /// The next complete request, if the buffered bytes hold one.
    pub fn poll(&mut self) -> Result<Option<Request>, ParseError> {
        Ok(self.poll_in_place()?.then(|| self.take_request()))
    }

    /// Decodes the next complete request, if the buffered bytes hold one, into the
    /// decoder's own request: true when there is one, to read with
    /// [`RequestDecoder::request`] (no copy of it is made).
    pub(crate) fn poll_in_place(&mut self) -> Result<bool, ParseError> {
        let result = self.poll_inner();
        if let Err(e) = result {
            self.state = State::Failed(e);
            self.buf = Vec::new();
            self.start = 0;
        }
        result
    }

    /// The request [`RequestDecoder::poll_in_place`] last completed.
    #[inline]
    pub(crate) fn request(&self) -> &Request {
        &self.request
    }

    /// Moves the request [`RequestDecoder::poll_in_place`] last completed out, leaving
    /// a recycled or empty one to decode the next into.
    pub(crate) fn take_request(&mut self) -> Request {
        let next = self.spare.take().unwrap_or_else(empty_request);
        core::mem::replace(&mut self.request, next)
    }

    /// The caller is done with the request it read in place: a large body buffer is
    /// freed, as for a [`RequestDecoder::recycle`]d one.
    #[inline]
    pub(crate) fn release_request(&mut self) {
        if self.request.body.capacity() > MAX_RECYCLED_BODY {
            self.request.body = Vec::new();
        }
    }

    fn poll_inner(&mut self) -> Result<bool, ParseError> {
        loop {
            match &mut self.state {
                State::Closed => return Ok(false),
                State::Failed(e) => return Err(*e),
                State::Head => {
                    let input = &self.buf[self.start..];
                    let Status::Complete(n) = self.head.advance(input)? else {
                        return Ok(false);
                    };
                    if let Some(spare) = self.spare.take() {
                        self.request = spare;
                    }
                    let request = &mut self.request;
                    request.body.clear();
                    request.trailers.clear();
                    self.head
                        .copy_into(input, request)
                        .ok_or(ParseError::BadRequestLine)?;
                    let notes = self.head.field_notes();
                    let framing = RequestFraming::of_request(request, notes, &self.limits)?;
                    request.keep_alive = framing.keep_alive;
                    self.start += n;
                    let decoder = match framing.body {
                        BodyLength::Length(len) => BodyDecoder::Length(len),
                        BodyLength::Chunked => BodyDecoder::Chunked(ChunkedDecoder::new()),
                        _ => {
                            self.finish(framing.keep_alive);
                            return Ok(true);
                        }
                    };
                    self.state = State::Body(decoder);
                    // RFC 9110 §10.1.1: a server that receives 100-continue sends 100
                    // unless it already has some of the content (then it MAY omit it).
                    self.continue_due = framing.expect_continue && self.start == self.buf.len();
                }
                State::Body(decoder) => {
                    let input = &self.buf[self.start..];
                    let request = &mut self.request;
                    let done = match decoder {
                        BodyDecoder::Length(remaining) => {
                            let n = (*remaining).min(input.len() as u64) as usize;
                            request.body.extend_from_slice(&input[..n]);
                            *remaining -= n as u64;
                            self.start += n;
                            *remaining == 0
                        }
                        BodyDecoder::Chunked(chunked) => {
                            let (n, status) =
                                chunked.decode(input, &mut request.body, &self.limits)?;
                            self.start += n;
                            if status.is_complete() {
                                request.trailers = chunked.trailers();
                            }
                            status.is_complete()
                        }
                    };
                    if !done {
                        self.compact();
                        return Ok(false);
                    }
                    self.finish(self.request.keep_alive);
                    return Ok(true);
                }
            }
        }
    }

    /// Ends the current request and prepares for the next one (or, without
    /// `keep_alive`, for the close).
    fn finish(&mut self, keep_alive: bool) {
        self.continue_due = false;
        if keep_alive {
            self.head.reset();
            self.state = State::Head;
            self.compact();
        } else {
            self.state = State::Closed;
            self.buf = Vec::new();
            self.start = 0;
        }
    }

    /// Drops consumed bytes. Only valid between heads or inside a body, where no
    /// parser holds offsets into `buf`.
    fn compact(&mut self) {
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start >= COMPACT_THRESHOLD {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }

    /// True once if the current request asked for `100 Continue` and none of its body
    /// has arrived yet (RFC 9110 §10.1.1); the server then sends the interim response.
    pub fn take_continue(&mut self) -> bool {
        core::mem::take(&mut self.continue_due)
    }

    /// True if no part of an unfinished request is buffered: between requests with
    /// nothing (or only skipped empty lines) received.
    pub fn is_idle(&self) -> bool {
        match &self.state {
            State::Head => !self.head.started(),
            State::Body(_) => false,
            State::Closed | State::Failed(_) => true,
        }
    }

    /// True while a request body is being received.
    pub fn in_body(&self) -> bool {
        matches!(self.state, State::Body(_))
    }

    /// True after a request that ends the connection was delivered.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// Bytes received but not yet consumed.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Takes the unconsumed bytes, e.g. the first bytes of another protocol after an
    /// Upgrade (RFC 9110 §7.8), and stops decoding HTTP.
    pub fn take_buffered(&mut self) -> Vec<u8> {
        let rest = self.buf.split_off(self.start);
        self.buf = Vec::new();
        self.start = 0;
        self.state = State::Closed;
        rest
    }
}

/// The request a decoder starts from when it has none to recycle.
fn empty_request() -> Request {
    Request {
        method: Method::Get,
        target: String::new(),
        version: Version::HTTP_11,
        headers: Headers::new(),
        body: Vec::new(),
        trailers: Headers::new(),
        keep_alive: true,
    }
}

#[cfg(test)]
mod tests {
    use super::{Limits, RequestDecoder, MAX_RECYCLED_BODY};

    /// `len` bytes of body after a POST head.
    fn post(len: usize) -> Vec<u8> {
        let mut bytes =
            format!("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {len}\r\n\r\n").into_bytes();
        bytes.resize(bytes.len() + len, b'x');
        bytes
    }

    /// A request read in place keeps its buffers for the next one, except a body
    /// buffer larger than a recycled request may keep, which is freed once released.
    #[test]
    fn a_released_request_frees_only_a_large_body() {
        let mut d = RequestDecoder::new(Limits::default());
        d.feed(&post(10));
        assert_eq!(d.poll_in_place(), Ok(true));
        assert_eq!(d.request().body, b"xxxxxxxxxx");
        d.release_request();
        assert!(d.request.body.capacity() >= 10);

        d.feed(&post(MAX_RECYCLED_BODY + 1));
        assert_eq!(d.poll_in_place(), Ok(true));
        assert_eq!(d.request().body.len(), MAX_RECYCLED_BODY + 1);
        d.release_request();
        assert_eq!(d.request.body.capacity(), 0);

        d.feed(b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(d.poll_in_place(), Ok(true));
        assert_eq!(d.request().target, "/next");
        assert!(d.request().body.is_empty());
    }
}
