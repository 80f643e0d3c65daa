//! WebSocket (RFC 6455), sans-IO: the opening handshake on top of this crate's HTTP
//! server and client, framing for both roles, a message-level connection, and a chat
//! room.
//!
//! Heads up! Read first: RFC 6455 §1.2-§1.4 (overview), §4 (opening handshake), §5
//! (framing: §5.2 base framing, §5.3 masking, §5.4 fragmentation, §5.5 control
//! frames), §7 (closing), §8.1 (UTF-8), §10 (security: why clients mask, Origin).
//!
//! - [`handshake`]: [`handshake_response`] turns a parsed `Request` into the 101 (or
//!   the 400/403/426 refusal); [`ClientHandshake`] builds the client's request and
//!   checks the server's 101.
//! - [`frame`]: [`FrameHeader`] (parse/check/emit), masking, and [`FrameDecoder`], an
//!   incremental decoder that never trusts a length for an allocation.
//! - [`connection`]: [`WsConnection`], bytes in and out, events and sends, the close
//!   handshake, keepalive pings, bounded queues.
//! - [`deflate`]: permessage-deflate (RFC 7692): [`DeflateParams`] negotiation, the
//!   [`Deflater`] and the bounded [`Inflater`] of a connection.
//! - [`chat`]: [`ChatRoom`], the `/chat` demo's room with its text protocol.
//!
//! After the HTTP server has sent the 101 (`ServerEvent::Upgraded(Upgrade { leftover,
//! .. })`), a driver does:
//!
//! ```text
//! let mut ws = WsConnection::server(WsConfig::default(), now);
//! ws.on_bytes(now, &upgrade.leftover);
//! loop {
//!     if ws.wants_input() { ws.on_bytes(now, &socket_read) }  // and on_eof(now) at FIN
//!     while let Some(event) = ws.poll_event(now) { /* echo: send it back */ }
//!     while let Some(bytes) = ws.poll_transmit() { let n = socket.send(bytes); ws.consume(n); }
//!     if ws.poll_at().is_some_and(|t| now >= t) { ws.on_timeout(now) }
//!     if ws.wants_close() { socket.close(); break }
//! }
//! ```

pub mod chat;
pub mod close;
pub mod connection;
pub mod deflate;
pub mod error;
pub mod frame;
pub mod handshake;
pub mod utf8;

pub use chat::{ChatConfig, ChatRoom, Kick, MemberId, RoomFull};
pub use close::{CloseCode, MAX_CLOSE_REASON};
pub use connection::{WsConfig, WsConnection, WsEvent, WsState};
pub use deflate::{
    DeflateParams, Deflater, InflateError, Inflater, DEFLATE_TAIL, PERMESSAGE_DEFLATE,
};
pub use error::{FrameError, HandshakeError, SendError, WsError};
pub use frame::{
    apply_mask, encode_frame, Decoded, FrameDecoder, FrameHeader, Opcode, Role,
    MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN,
};
pub use handshake::{
    accept_key, handshake_response, parse_ws_url, AcceptConfig, ClientHandshake, ServerHandshake,
    WEBSOCKET_GUID, WEBSOCKET_VERSION,
};
pub use utf8::{Utf8Error, Utf8Validator};
