//! WebSocket errors, in the house tiers: [`FrameError`] is the small `Copy` wire error
//! of one frame header, [`WsError`] why a connection was failed (each maps to the
//! close code sent, RFC 6455 §7.4.1), [`SendError`] why a send was refused, and
//! [`HandshakeError`] why an opening handshake was refused (each maps to a status).

use crate::status::StatusCode;

use super::close::CloseCode;
use super::utf8::Utf8Error;

/// A frame header that breaks RFC 6455 §5. Every variant fails the connection with
/// 1002 (protocol error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// RSV1-3 set without an extension that defines them (§5.2: MUST fail).
    #[error("reserved bits {0:#03b} set without a negotiated extension")]
    ReservedBits(u8),
    /// Opcode 0x3-0x7 or 0xB-0xF (§5.2: MUST fail).
    #[error("reserved opcode {0:#x}")]
    ReservedOpcode(u8),
    /// A server received an unmasked frame (§5.1: MUST close).
    #[error("client frame not masked")]
    UnmaskedFrame,
    /// A client received a masked frame (§5.1: MUST close).
    #[error("server frame masked")]
    MaskedFrame,
    /// A control frame with a payload over 125 bytes (§5.5); known from the 7-bit
    /// length alone, since 126 and 127 announce an extended length.
    #[error("control frame payload over 125 bytes")]
    ControlTooLong,
    /// A control frame without FIN (§5.5: control frames MUST NOT be fragmented).
    #[error("fragmented control frame")]
    FragmentedControl,
    /// A 64-bit payload length with its most significant bit set (§5.2).
    #[error("64-bit payload length with the most significant bit set")]
    LengthOverflow,
    /// RSV1 ("Per-Message Compressed", RFC 7692 §6) on a control or continuation
    /// frame (the opcode's bits).
    #[error("compressed bit on a control or continuation frame (opcode {0:#x})")]
    MisplacedCompressedBit(u8),
}

impl FrameError {
    /// The close code a connection fails with: always 1002 (§7.4.1).
    pub const fn close_code(&self) -> CloseCode {
        CloseCode::PROTOCOL_ERROR
    }
}

/// Why a [`super::WsConnection`] failed itself (RFC 6455 §7.1.7, "Fail the WebSocket
/// Connection"): the Close frame it sent carries [`WsError::close_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WsError {
    /// A frame header broke §5.
    #[error("bad frame: {0}")]
    Frame(#[from] FrameError),
    /// A continuation frame with no fragmented message in progress (§5.4).
    #[error("continuation frame without a message to continue")]
    UnexpectedContinuation,
    /// A new text or binary frame while a fragmented message is unfinished (§5.4).
    #[error("new data frame inside a fragmented message")]
    UnfinishedMessage,
    /// The message would exceed the configured maximum (§7.4.1: 1009).
    #[error("message larger than {limit} bytes")]
    MessageTooBig {
        /// The configured maximum.
        limit: u64,
    },
    /// A text message is not valid UTF-8 (§8.1: 1007).
    #[error("text message: {0}")]
    InvalidUtf8(Utf8Error),
    /// A compressed message is not valid DEFLATE data (RFC 7692 §7.2.2; 1007, see
    /// [`WsError::close_code`]).
    #[error("compressed message is not valid DEFLATE data")]
    InvalidCompressedData,
    /// A Close frame with a 1-byte payload: a code needs two (§5.5.1).
    #[error("close frame with a 1-byte payload")]
    ClosePayloadTooShort,
    /// A Close frame with a code that may not be sent (§7.4.1, §7.4.2).
    #[error("invalid close code {0}")]
    InvalidCloseCode(u16),
    /// A Close frame whose reason is not UTF-8 (§5.5.1: 1007).
    #[error("close reason is not valid UTF-8")]
    InvalidCloseReason,
    /// The driver kept feeding bytes while told to stop ([`super::WsConnection::wants_input`]).
    #[error("input buffer overflow (driver ignored wants_input)")]
    InputOverflow,
}

impl WsError {
    /// The close code sent when failing for this reason (RFC 6455 §7.4.1).
    pub const fn close_code(&self) -> CloseCode {
        match self {
            WsError::MessageTooBig { .. } => CloseCode::MESSAGE_TOO_BIG,
            // RFC 6455 §7.4.1, 1007: "data within a message that was not consistent
            // with the type of the message". RFC 7692 names no code for bad DEFLATE
            // data; a payload that does not decompress is such data.
            WsError::InvalidUtf8(_)
            | WsError::InvalidCloseReason
            | WsError::InvalidCompressedData => CloseCode::INVALID_PAYLOAD,
            WsError::InputOverflow => CloseCode::INTERNAL_ERROR,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

/// Why a send was refused. Nothing was queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The outbound queue would exceed its bound: the peer is not reading fast enough
    /// (the chat's slow-reader signal).
    #[error("outbound queue full")]
    QueueFull,
    /// A Close frame was already sent; no more data frames may follow (§5.5.1).
    #[error("connection is closing")]
    Closing,
    /// A Ping payload over 125 bytes (§5.5).
    #[error("control payload over 125 bytes")]
    ControlTooLong,
    /// A close code that may not be sent (§7.4.1: 1005, 1006, 1015, unassigned).
    #[error("close code {0} may not be sent")]
    InvalidCloseCode(u16),
}

/// Why an opening handshake was refused (RFC 6455 §4.2.1 for servers, §4.1 for
/// clients). A server answers with [`HandshakeError::status`] and closes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// §4.2.1 item 1: the method must be GET.
    #[error("method must be GET")]
    NotGet,
    /// §4.2.1 item 1: HTTP/1.1 or higher.
    #[error("HTTP/1.1 or later required")]
    NotHttp11,
    /// §4.2.1 item 2: a Host field is required.
    #[error("missing Host")]
    MissingHost,
    /// §4.2.1 item 3: `Upgrade` must contain the `websocket` token.
    #[error("Upgrade must name websocket")]
    NotWebSocketUpgrade,
    /// §4.2.1 item 4: `Connection` must contain the `Upgrade` token.
    #[error("Connection must contain the upgrade token")]
    MissingConnectionUpgrade,
    /// §4.2.1 item 6, §4.4: only version 13 is spoken (426 with the version we speak).
    #[error("Sec-WebSocket-Version must be 13")]
    UnsupportedVersion,
    /// §4.2.1 item 5: `Sec-WebSocket-Key` must be one base64 value of 16 bytes.
    #[error("Sec-WebSocket-Key must be base64 of 16 bytes")]
    BadKey,
    /// §4.2.2 and §10.2: the Origin is not on the server's allow-list (403).
    #[error("origin not allowed")]
    OriginNotAllowed,
    /// §4.1 (client): the server answered with a status other than 101.
    #[error("server answered {0}, not 101")]
    NotSwitching(StatusCode),
    /// §4.1 (client): `Sec-WebSocket-Accept` missing or not the expected value.
    #[error("wrong Sec-WebSocket-Accept")]
    BadAccept,
    /// §4.1 (client): the server chose an extension we did not offer.
    #[error("server chose an extension that was not offered")]
    UnrequestedExtension,
    /// RFC 7692 §7.1 (client): the server's permessage-deflate response cannot be
    /// used (unknown or repeated parameter, invalid value, more than one).
    #[error("server's permessage-deflate parameters are invalid")]
    BadExtensionResponse,
    /// §4.1 (client): the server chose a subprotocol we did not offer.
    #[error("server chose a subprotocol that was not offered")]
    UnrequestedProtocol,
    /// The URL is not `ws://host[:port][/path]`.
    #[error("not a ws:// URL")]
    BadUrl,
}

impl HandshakeError {
    /// The status a server answers with: 426 for the version (RFC 6455 §4.4), 403 for
    /// the origin (§4.2.2 item 5 suggests 403), 400 otherwise (§4.2.1).
    pub fn status(&self) -> StatusCode {
        match self {
            HandshakeError::UnsupportedVersion => StatusCode(426),
            HandshakeError::OriginNotAllowed => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}
