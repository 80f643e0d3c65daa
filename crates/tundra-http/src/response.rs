//! What a handler returns: a [`Response`] with a [`Body`] that is either bytes in
//! memory or a [`BodyStream`] pulled a chunk at a time as the transport has room, so a
//! large file is never copied into memory whole.

use std::borrow::Cow;

use core::fmt;

use crate::error::FileError;
use crate::headers::{known_field, Headers, KnownField};
use crate::status::StatusCode;

/// A source of body bytes read on demand (a file, a generated download).
pub trait BodyStream: Send {
    /// The total length if known: then it is sent with Content-Length; otherwise the
    /// body is chunked for HTTP/1.1 clients and close-delimited for HTTP/1.0 ones.
    fn content_length(&self) -> Option<u64>;

    /// Fills `buf` with the next bytes; `Ok(0)` at the end. An error mid-body can only
    /// be signalled by cutting the connection (the status line is already sent).
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, FileError>;
}

/// `Content-Type` of [`Response::text`].
static TEXT_PLAIN: KnownField = known_field!("Content-Type", "text/plain; charset=utf-8");

/// `Content-Type` of [`Response::html`].
static TEXT_HTML: KnownField = known_field!("Content-Type", "text/html; charset=utf-8");

/// A response body.
#[derive(Default)]
pub enum Body {
    /// No content.
    #[default]
    Empty,
    /// Content held in memory.
    Bytes(Vec<u8>),
    /// Content that lives for the whole program (a fixed page): sent without a copy.
    Static(&'static [u8]),
    /// Content produced on demand.
    Stream(Box<dyn BodyStream>),
}

impl Body {
    /// The length, if known before sending.
    pub fn len_hint(&self) -> Option<u64> {
        match self {
            Body::Empty => Some(0),
            Body::Bytes(b) => Some(b.len() as u64),
            Body::Static(b) => Some(b.len() as u64),
            Body::Stream(s) => s.content_length(),
        }
    }

    /// The content if it is in memory (empty for [`Body::Empty`]); `None` for a stream.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Body::Empty => Some(&[]),
            Body::Bytes(b) => Some(b),
            Body::Static(b) => Some(b),
            Body::Stream(_) => None,
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Body::Static(b) => write!(f, "Static({} bytes)", b.len()),
            Body::Stream(s) => write!(f, "Stream({:?} bytes)", s.content_length()),
        }
    }
}

/// A response built by a handler. The server adds `Date`, `Server`, the framing
/// fields (`Content-Length` or `Transfer-Encoding`) and `Connection`; any of those set
/// here are replaced.
#[derive(Debug)]
pub struct Response {
    /// The status code.
    pub status: StatusCode,
    /// Header fields chosen by the handler.
    pub headers: Headers,
    /// The content.
    pub body: Body,
    /// For a 101 response: the protocol the connection switches to (RFC 9110 §7.8).
    /// After the 101 is sent the connection stops speaking HTTP and hands its byte
    /// stream to the driver ([`crate::ServerEvent::Upgraded`]).
    pub upgrade: Option<String>,
}

impl Response {
    /// An empty response with `status`.
    #[inline]
    pub fn new(status: StatusCode) -> Response {
        Response {
            status,
            headers: Headers::new(),
            body: Body::Empty,
            upgrade: None,
        }
    }

    /// Adds a header field.
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Response {
        self.headers.push(name, value);
        self
    }

    /// A response with `status`, the one header field `field` (fixed and checked at
    /// compile time, not copied) and `text` as its body.
    #[inline]
    fn known_text(
        status: StatusCode,
        field: &'static KnownField,
        text: Cow<'static, str>,
    ) -> Response {
        Response {
            status,
            headers: Headers::of_known(field),
            body: match text {
                Cow::Borrowed(text) => Body::Static(text.as_bytes()),
                Cow::Owned(text) => Body::Bytes(text.into_bytes()),
            },
            upgrade: None,
        }
    }

    /// Sets the body to `bytes`.
    #[inline]
    pub fn with_body(mut self, bytes: impl Into<Vec<u8>>) -> Response {
        self.body = Body::Bytes(bytes.into());
        self
    }

    /// Sets a streamed body.
    pub fn with_stream(mut self, stream: Box<dyn BodyStream>) -> Response {
        self.body = Body::Stream(stream);
        self
    }

    /// Sets the body to bytes that live for the whole program, without copying them.
    #[inline]
    pub fn with_static_body(mut self, bytes: &'static [u8]) -> Response {
        self.body = Body::Static(bytes);
        self
    }

    /// A `text/plain` response. A `&'static str` is sent without a copy, a `String`
    /// is moved in.
    pub fn text(status: StatusCode, text: impl Into<Cow<'static, str>>) -> Response {
        Response::known_text(status, &TEXT_PLAIN, text.into())
    }

    /// A `200 OK` `text/html` response (a `&'static str` is not copied).
    pub fn html(html: impl Into<Cow<'static, str>>) -> Response {
        Response::known_text(StatusCode::OK, &TEXT_HTML, html.into())
    }

    /// A small text response naming the status (used for errors).
    pub fn status_page(status: StatusCode) -> Response {
        Response::text(status, format!("{status}\n"))
    }

    /// A `101 Switching Protocols` response to `protocol` (e.g. `websocket`); add the
    /// protocol's own fields with [`Response::header`].
    pub fn switching_protocols(protocol: &str) -> Response {
        let mut r = Response::new(StatusCode::SWITCHING_PROTOCOLS)
            .header("Upgrade", protocol)
            .header("Connection", "Upgrade");
        r.upgrade = Some(protocol.to_owned());
        r
    }
}
