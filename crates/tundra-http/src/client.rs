//! [`ClientConnection`]: the client side of HTTP/1.1, sans-IO, for `tundra get URL`.
//!
//! It serializes requests and parses responses incrementally, with bodies delimited
//! by Content-Length, chunked coding or the server's close (RFC 9112 §6.3), and knows
//! which responses have no body (HEAD, 1xx, 204, 304). Bodies are handed out as they
//! arrive ([`ClientEvent::Data`]), never buffered whole.

use std::collections::VecDeque;

use core::fmt;

use crate::chars::is_vchar;
use crate::chunked::ChunkedDecoder;
use crate::error::{ClientError, ParseError, UrlError};
use crate::framing::{self, response_body_length, BodyLength};
use crate::headers::{write_field, Headers};
use crate::limits::Limits;
use crate::message::{Method, Version};
use crate::parse::{ResponseHeadParser, Status};
use crate::status::StatusCode;

/// An `http://host[:port][/path]` URL (RFC 9110 §4.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// The host: a name, an IPv4 address, or an IPv6 address in brackets.
    pub host: String,
    /// The port (80 if absent).
    pub port: u16,
    /// The origin-form target: path and query, starting with `/`.
    pub target: String,
}

impl Url {
    /// Parses an `http://` URL. A fragment is dropped (never sent, RFC 9110 §4.2.5).
    pub fn parse(s: &str) -> Result<Url, UrlError> {
        let rest = s
            .strip_prefix("http://")
            .or_else(|| s.strip_prefix("HTTP://"))
            .ok_or(UrlError::UnsupportedScheme)?;
        let rest = &rest[..rest.find('#').unwrap_or(rest.len())];
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(split);
        if authority.contains('@') {
            return Err(UrlError::BadHost);
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let end = v6.find(']').ok_or(UrlError::BadHost)?;
            let host = &authority[..end + 2];
            match &v6[end + 1..] {
                "" => (host, None),
                p => (host, Some(p.strip_prefix(':').ok_or(UrlError::BadHost)?)),
            }
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty()
            || !host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~[]:".contains(&b))
        {
            return Err(UrlError::BadHost);
        }
        let port = match port {
            None | Some("") => 80,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => n,
                _ => return Err(UrlError::BadPort),
            },
        };
        let target = if target.starts_with('?') || target.is_empty() {
            format!("/{target}")
        } else {
            target.to_owned()
        };
        if !target.bytes().all(is_vchar) {
            return Err(UrlError::BadPath);
        }
        Ok(Url {
            host: host.to_owned(),
            port,
            target,
        })
    }

    /// The Host field value: `host` or `host:port` when the port is not 80
    /// (RFC 9110 §7.2).
    pub fn authority(&self) -> String {
        if self.port == 80 {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}{}", self.authority(), self.target)
    }
}

/// A request to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRequest {
    /// The method.
    pub method: Method,
    /// The origin-form target.
    pub target: String,
    /// Header fields (Host first, RFC 9110 §7.2 asks for it early).
    pub headers: Headers,
    /// The content; sent with Content-Length.
    pub body: Vec<u8>,
}

impl ClientRequest {
    /// A GET for `url` with Host, User-Agent and `Accept: */*` (what curl sends).
    pub fn get(url: &Url) -> ClientRequest {
        let mut headers = Headers::new();
        headers.push("Host", url.authority());
        headers.push("User-Agent", concat!("tundra/", env!("CARGO_PKG_VERSION")));
        headers.push("Accept", "*/*");
        ClientRequest {
            method: Method::Get,
            target: url.target.clone(),
            headers,
            body: Vec::new(),
        }
    }

    /// Serializes the request. Content-Length is added when there is a body or the
    /// method expects one (RFC 9110 §8.6), replacing any set in `headers`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("{} {} HTTP/1.1\r\n", self.method, self.target).as_bytes());
        for h in self.headers.iter() {
            if !h.name.eq_ignore_ascii_case("content-length") {
                write_field(out, h.name, h.value);
            }
        }
        if !self.body.is_empty() || matches!(self.method, Method::Post | Method::Put) {
            write_field(
                out,
                "Content-Length",
                self.body.len().to_string().as_bytes(),
            );
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
    }
}

/// A received response head, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientResponse {
    /// The server's version.
    pub version: Version,
    /// The status.
    pub status: StatusCode,
    /// The reason phrase as sent.
    pub reason: Vec<u8>,
    /// The header fields in order.
    pub headers: Headers,
}

impl fmt::Display for ClientResponse {
    /// The head as curl -v shows it, one line per field, without the `< ` prefix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} {:03} {}",
            self.version,
            self.status.0,
            String::from_utf8_lossy(&self.reason)
        )?;
        for h in self.headers.iter() {
            writeln!(f, "{h}")?;
        }
        Ok(())
    }
}

/// What the client connection reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// An interim 1xx response (e.g. 100 Continue); the final one follows.
    Informational(ClientResponse),
    /// The final response head.
    Head(ClientResponse),
    /// Body bytes, in order.
    Data(Vec<u8>),
    /// The response is complete.
    Done {
        /// Trailer fields of a chunked body.
        trailers: Headers,
    },
    /// A 101 was received: the rest of the stream is another protocol.
    Upgraded {
        /// Bytes that followed the 101 head.
        leftover: Vec<u8>,
    },
}

#[derive(Debug)]
enum State {
    Head(ResponseHeadParser),
    Length(u64),
    Chunked(ChunkedDecoder),
    UntilClose,
    /// The server said it closes, or a 101 switched protocols: no more HTTP.
    Finished,
    Failed(ClientError),
}

/// The client side of one connection.
#[derive(Debug)]
pub struct ClientConnection {
    limits: Limits,
    out: Vec<u8>,
    out_pos: usize,
    input: Vec<u8>,
    /// Methods of requests sent and not yet answered, oldest first.
    outstanding: VecDeque<Method>,
    state: State,
    keep_alive: bool,
    events: VecDeque<ClientEvent>,
}

impl Default for ClientConnection {
    fn default() -> Self {
        ClientConnection::new(Limits::client())
    }
}

impl ClientConnection {
    /// A fresh connection.
    pub fn new(limits: Limits) -> ClientConnection {
        ClientConnection {
            limits,
            out: Vec::new(),
            out_pos: 0,
            input: Vec::new(),
            outstanding: VecDeque::new(),
            state: State::Head(ResponseHeadParser::new(limits)),
            keep_alive: true,
            events: VecDeque::new(),
        }
    }

    /// Queues a request (requests may be pipelined; responses come back in order).
    pub fn send_request(&mut self, request: &ClientRequest) {
        request.write_to(&mut self.out);
        self.outstanding.push_back(request.method.clone());
    }

    /// The bytes waiting to be sent.
    pub fn poll_transmit(&self) -> Option<&[u8]> {
        (self.out_pos < self.out.len()).then(|| &self.out[self.out_pos..])
    }

    /// `n` bytes of what `poll_transmit` returned were sent.
    pub fn consume(&mut self, n: usize) {
        self.out_pos = (self.out_pos + n).min(self.out.len());
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
        }
    }

    /// Bytes received from the server.
    pub fn on_bytes(&mut self, data: &[u8]) -> Result<(), ClientError> {
        if let State::Failed(e) = &self.state {
            return Err(*e);
        }
        self.input.extend_from_slice(data);
        let result = self.process();
        if let Err(e) = result {
            self.state = State::Failed(e);
        }
        result
    }

    /// The server closed its side. Ends a close-delimited body; anything else
    /// unfinished is an error (RFC 9112 §8).
    pub fn on_eof(&mut self) -> Result<(), ClientError> {
        match &self.state {
            State::UntilClose => {
                self.finish(Headers::new());
                Ok(())
            }
            State::Head(_) if self.input.is_empty() && self.outstanding.is_empty() => Ok(()),
            State::Finished => Ok(()),
            State::Failed(e) => Err(*e),
            _ => {
                self.state = State::Failed(ClientError::UnexpectedEof);
                Err(ClientError::UnexpectedEof)
            }
        }
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// True when the server asked to close, or the exchange switched protocols or failed.
    pub fn wants_close(&self) -> bool {
        matches!(self.state, State::Finished | State::Failed(_)) && self.poll_transmit().is_none()
    }

    /// True when every request sent has been answered.
    pub fn is_idle(&self) -> bool {
        self.outstanding.is_empty() && matches!(self.state, State::Head(_) | State::Finished)
    }

    fn process(&mut self) -> Result<(), ClientError> {
        loop {
            match &mut self.state {
                State::Head(parser) => {
                    if self.input.is_empty() {
                        return Ok(());
                    }
                    if self.outstanding.is_empty() {
                        return Err(ClientError::UnsolicitedResponse);
                    }
                    let Status::Complete(n) = parser.advance(&self.input)? else {
                        return Ok(());
                    };
                    let head = parser.head(&self.input).ok_or(ParseError::BadStatusLine)?;
                    let response = ClientResponse {
                        version: head.version,
                        status: head.status,
                        reason: head.reason.to_vec(),
                        headers: head.headers.iter().copied().collect(),
                    };
                    let method = self.outstanding.front().cloned().unwrap_or(Method::Get);
                    let body = response_body_length(
                        method.as_str(),
                        head.status,
                        head.version,
                        &head.headers,
                    )?;
                    let keep_alive = framing::keep_alive(head.headers.as_slice(), head.version);
                    self.input.drain(..n);
                    if head_is_switch(&response) {
                        self.events.push_back(ClientEvent::Head(response));
                        self.events.push_back(ClientEvent::Upgraded {
                            leftover: core::mem::take(&mut self.input),
                        });
                        self.outstanding.pop_front();
                        self.state = State::Finished;
                        return Ok(());
                    }
                    if response.status.is_informational() {
                        // RFC 9110 §15.2: interim responses precede the final one.
                        self.events.push_back(ClientEvent::Informational(response));
                        self.state = State::Head(ResponseHeadParser::new(self.limits));
                        continue;
                    }
                    self.outstanding.pop_front();
                    self.keep_alive = keep_alive;
                    self.events.push_back(ClientEvent::Head(response));
                    match body {
                        BodyLength::Length(len) => self.state = State::Length(len),
                        BodyLength::Chunked => self.state = State::Chunked(ChunkedDecoder::new()),
                        BodyLength::CloseDelimited => {
                            self.keep_alive = false;
                            self.state = State::UntilClose;
                        }
                        _ => self.finish(Headers::new()),
                    }
                }
                State::Length(remaining) => {
                    let n = (*remaining).min(self.input.len() as u64) as usize;
                    if n > 0 {
                        self.events
                            .push_back(ClientEvent::Data(self.input.drain(..n).collect()));
                        *remaining -= n as u64;
                    }
                    if *remaining > 0 {
                        return Ok(());
                    }
                    self.finish(Headers::new());
                }
                State::Chunked(decoder) => {
                    let mut data = Vec::new();
                    let (n, status) = decoder.decode(&self.input, &mut data, &self.limits)?;
                    self.input.drain(..n);
                    if !data.is_empty() {
                        self.events.push_back(ClientEvent::Data(data));
                    }
                    if !status.is_complete() {
                        return Ok(());
                    }
                    let trailers = decoder.trailers();
                    self.finish(trailers);
                }
                State::UntilClose => {
                    if !self.input.is_empty() {
                        self.events
                            .push_back(ClientEvent::Data(core::mem::take(&mut self.input)));
                    }
                    return Ok(());
                }
                State::Finished => {
                    // RFC 9112 §9.6: nothing after a close-announcing response counts.
                    self.input.clear();
                    return Ok(());
                }
                State::Failed(e) => return Err(*e),
            }
        }
    }

    fn finish(&mut self, trailers: Headers) {
        self.events.push_back(ClientEvent::Done { trailers });
        self.state = if self.keep_alive {
            State::Head(ResponseHeadParser::new(self.limits))
        } else {
            State::Finished
        };
    }
}

fn head_is_switch(r: &ClientResponse) -> bool {
    r.status == StatusCode::SWITCHING_PROTOCOLS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_tundra_get() {
        let u = Url::parse("http://10.0.0.1:8000/path?q=1#frag").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.target.as_str()),
            ("10.0.0.1", 8000, "/path?q=1")
        );
        assert_eq!(u.authority(), "10.0.0.1:8000");
        let u = Url::parse("http://example.com").unwrap();
        assert_eq!(
            (u.port, u.target.as_str(), u.authority().as_str()),
            (80, "/", "example.com")
        );
        let u = Url::parse("http://[fd00::1]:81/x").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("[fd00::1]", 81));
        assert_eq!(Url::parse("https://a/"), Err(UrlError::UnsupportedScheme));
        assert_eq!(Url::parse("http://a:0/"), Err(UrlError::BadPort));
        assert_eq!(Url::parse("http://a:99999/"), Err(UrlError::BadPort));
        assert_eq!(Url::parse("http:///x"), Err(UrlError::BadHost));
        assert_eq!(Url::parse("http://u@a/"), Err(UrlError::BadHost));
        assert_eq!(Url::parse("http://a/ b"), Err(UrlError::BadPath));
    }

    #[test]
    fn get_request_looks_like_curls() {
        let mut out = Vec::new();
        ClientRequest::get(&Url::parse("http://10.0.0.1:8000/index.html").unwrap())
            .write_to(&mut out);
        let expected = format!(
            "GET /index.html HTTP/1.1\r\nHost: 10.0.0.1:8000\r\nUser-Agent: tundra/{}\r\nAccept: */*\r\n\r\n",
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }
}
