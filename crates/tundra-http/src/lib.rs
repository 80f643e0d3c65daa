//! HTTP/1.1 for Tundra, sans-IO: bytes in, bytes out, time passed in.
//!
//! Heads up! Read first: RFC 9112 (HTTP/1.1 message syntax: §2 message format, §3
//! request line, §5 field syntax, §6 body framing, §7 chunked coding, §9 connection
//! management) and RFC 9110 (semantics: §5 fields, §8.6 Content-Length, §10.1.1 Expect,
//! §13 conditional requests, §15 status codes).
//!
//! The crate never touches a socket, a file or a clock. A driver (the `tundra` binary
//! over Tundra TCP, a `Vec<u8>` in tests, std TCP for comparison) moves bytes:
//!
//! - [`parse`]: the incremental parsers. `RequestHeadParser`/`ResponseHeadParser` are
//!   byte-level state machines in the style of httparse: input that stops early is
//!   [`Status::Partial`], never an error, and feeding a message one byte at a time gives
//!   exactly the result of feeding it at once. `RequestDecoder` turns a byte stream into
//!   whole [`Request`]s (Content-Length and chunked bodies, pipelining).
//! - [`server`]: [`ServerConnection`], the per-connection state machine:
//!   `on_bytes(now, ..)` in, `poll_transmit(now)`/`consume(n)` out, `poll_at()`/
//!   `on_timeout(now)` for the header (slowloris), body and idle timeouts.
//! - [`access`]: the [`AccessLogEntry`] event each response produces, built without
//!   allocating (a [`Method`] and a [`LoggedTarget`] copied inline).
//! - [`router`] and [`files`]: handler functions by method and path, static files
//!   through the [`FileSource`] trait (the binary implements it with `std::fs`).
//! - [`client`]: [`ClientConnection`] for `tundra get URL`.
//! - [`ws`]: WebSocket (RFC 6455): the opening handshake as a route handler
//!   ([`ws::handshake_response`]), framing, [`ws::WsConnection`] for the bytes after
//!   `ServerEvent::Upgraded`, and the `/chat` room ([`ws::ChatRoom`]).
//!
//! Every rejection carries its RFC reason and the status code to answer with
//! ([`ParseError::status`]).

#![forbid(unsafe_code)]

pub mod access;
mod chars;
pub mod chunked;
pub mod client;
pub mod date;
mod decoder;
pub mod error;
mod fields;
pub mod files;
pub mod framing;
pub mod headers;
pub mod limits;
pub mod message;
pub mod parse;
pub mod response;
pub mod router;
pub mod server;
pub mod status;
pub mod ws;

pub use access::{AccessLogEntry, LoggedTarget};
pub use client::{ClientConnection, ClientEvent, ClientRequest, ClientResponse, Url};
pub use date::{format_imf_fixdate, parse_imf_fixdate, WallClock};
pub use error::{ClientError, FileError, ParseError, UrlError};
pub use files::{
    content_type_for, sanitize_path, FileMeta, FileSource, MemoryFiles, StaticFiles, UnsafePath,
};
pub use framing::{BodyLength, RequestFraming};
pub use headers::{Header, Headers};
pub use limits::Limits;
pub use message::{Method, Request, Version};
pub use parse::{
    RequestDecoder, RequestHead, RequestHeadParser, ResponseHead, ResponseHeadParser, Status,
};
pub use response::{Body, BodyStream, Response};
pub use router::{Context, Handler, Router};
pub use server::{Server, ServerConfig, ServerConnection, ServerEvent, Upgrade};
pub use status::StatusCode;
pub use ws::{WsConfig, WsConnection, WsEvent};
