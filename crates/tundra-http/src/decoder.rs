//! [`RequestDecoder`]: turns the byte stream of one connection into whole requests,
//! one after another (pipelining, RFC 9112 §9.3.2), each with its decoded body.
//!
//! A keep-alive connection carries many requests, so the decoder keeps its memory from
//! one to the next: one head parser, reset between heads, and the buffers of the last
//! request if the caller gives it back ([`RequestDecoder::recycle`]).

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

// One `State` per connection, so its size does not matter; boxing the request would
// cost an allocation per request with a body.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum State {
    /// A request head is being parsed (by the decoder's `head` parser).
    Head,
    Body {
        request: Request,
        decoder: BodyDecoder,
    },
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
        let result = self.poll_inner();
        if let Err(e) = result {
            self.state = State::Failed(e);
            self.buf = Vec::new();
            self.start = 0;
        }
        result
    }

    fn poll_inner(&mut self) -> Result<Option<Request>, ParseError> {
        loop {
            match &mut self.state {
                State::Closed => return Ok(None),
                State::Failed(e) => return Err(*e),
                State::Head => {
                    let input = &self.buf[self.start..];
                    let Status::Complete(n) = self.head.advance(input)? else {
                        return Ok(None);
                    };
                    let mut request = self.spare.take().unwrap_or_else(empty_request);
                    request.body.clear();
                    request.trailers.clear();
                    self.head
                        .copy_into(input, &mut request)
                        .ok_or(ParseError::BadRequestLine)?;
                    let framing = RequestFraming::of_request(&request, &self.limits)?;
                    request.keep_alive = framing.keep_alive;
                    self.start += n;
                    let decoder = match framing.body {
                        BodyLength::Length(len) => BodyDecoder::Length(len),
                        BodyLength::Chunked => BodyDecoder::Chunked(ChunkedDecoder::new()),
                        _ => {
                            self.finish(request.keep_alive);
                            return Ok(Some(request));
                        }
                    };
                    self.state = State::Body { request, decoder };
                    // RFC 9110 §10.1.1: a server that receives 100-continue sends 100
                    // unless it already has some of the content (then it MAY omit it).
                    self.continue_due = framing.expect_continue && self.start == self.buf.len();
                }
                State::Body { request, decoder } => {
                    let input = &self.buf[self.start..];
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
                        return Ok(None);
                    }
                    let State::Body { request, .. } =
                        core::mem::replace(&mut self.state, State::Closed)
                    else {
                        unreachable!("matched above")
                    };
                    self.finish(request.keep_alive);
                    return Ok(Some(request));
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
            State::Body { .. } => false,
            State::Closed | State::Failed(_) => true,
        }
    }

    /// True while a request body is being received.
    pub fn in_body(&self) -> bool {
        matches!(self.state, State::Body { .. })
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
