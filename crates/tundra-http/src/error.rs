//! Error types, in the house tiers: [`ParseError`] is the small `Copy` wire error, the
//! others belong to the file source, the client and URL parsing.

use crate::status::StatusCode;

/// Why a message was rejected. Every variant names the rule it enforces and maps to
/// the status code a server answers with before closing ([`ParseError::status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The request line is not `method SP request-target SP HTTP-version` (RFC 9112 §3).
    #[error("malformed request line")]
    BadRequestLine,
    /// The status line is not `HTTP-version SP status-code [SP reason]` (RFC 9112 §4).
    #[error("malformed status line")]
    BadStatusLine,
    /// `HTTP-version` is not `HTTP/DIGIT.DIGIT` (RFC 9112 §2.3).
    #[error("malformed HTTP version")]
    BadVersion,
    /// A well-formed version whose major number is not 1 (RFC 9110 §15.6.6: 505).
    #[error("unsupported HTTP version")]
    UnsupportedVersion,
    /// The method is longer than [`crate::Limits::max_method_len`]; no method we
    /// implement is that long (RFC 9110 §9.1: 501).
    #[error("method too long")]
    MethodTooLong,
    /// The request target is longer than [`crate::Limits::max_uri_len`]
    /// (RFC 9112 §3: 414).
    #[error("request target too long")]
    UriTooLong,
    /// More empty lines before the request line than we are willing to skip
    /// (RFC 9112 §2.2 asks to skip at least one).
    #[error("too many empty lines before the request line")]
    TooManyEmptyLines,
    /// A CR not followed by LF (RFC 9112 §2.2: a bare CR is invalid).
    #[error("bare CR")]
    BareCr,
    /// A field name that is empty or not a token (RFC 9110 §5.1).
    #[error("invalid field name")]
    BadHeaderName,
    /// Whitespace between a field name and its colon (RFC 9112 §5.1: MUST reject, 400).
    #[error("whitespace between field name and colon")]
    WhitespaceBeforeColon,
    /// A field value byte that is not VCHAR, obs-text, SP or HTAB; this includes NUL and
    /// other controls (RFC 9110 §5.5).
    #[error("invalid character in field value")]
    BadHeaderValue,
    /// Whitespace between the start line and the first field (RFC 9112 §2.2).
    #[error("whitespace before the first field line")]
    WhitespaceBeforeFirstField,
    /// obs-fold, a field line continued on the next line (RFC 9112 §5.2: 400).
    #[error("obsolete line folding")]
    ObsFold,
    /// The field section is larger than [`crate::Limits::max_header_bytes`]
    /// (RFC 6585 §5: 431).
    #[error("header section too large")]
    HeadersTooLarge,
    /// More field lines than [`crate::Limits::max_headers`] (RFC 6585 §5: 431).
    #[error("too many header fields")]
    TooManyHeaders,
    /// An HTTP/1.1 request without Host (RFC 9112 §3.2: MUST respond 400).
    #[error("missing Host header field")]
    MissingHost,
    /// More than one Host field line (RFC 9112 §3.2: MUST respond 400).
    #[error("more than one Host header field")]
    MultipleHost,
    /// A Host value that is not `uri-host [ ":" port ]` (RFC 9112 §3.2: 400).
    #[error("invalid Host header field")]
    BadHost,
    /// A Content-Length that is not `1*DIGIT` or does not fit in 64 bits
    /// (RFC 9112 §6.3 rule 5).
    #[error("invalid Content-Length")]
    BadContentLength,
    /// Several different Content-Length values (RFC 9110 §8.6, RFC 9112 §6.3 rule 5).
    #[error("conflicting Content-Length values")]
    ConflictingContentLength,
    /// Both Content-Length and Transfer-Encoding: a request smuggling attempt
    /// (RFC 9112 §6.3 rule 3, §11.2).
    #[error("both Content-Length and Transfer-Encoding")]
    ContentLengthWithTransferEncoding,
    /// Transfer-Encoding in an HTTP/1.0 message: the framing is faulty (RFC 9112 §6.1).
    #[error("Transfer-Encoding in an HTTP/1.0 message")]
    TransferEncodingInHttp10,
    /// A transfer coding other than chunked (RFC 9112 §6.1: SHOULD respond 501).
    #[error("unsupported transfer coding")]
    UnsupportedTransferCoding,
    /// Transfer-Encoding whose final coding is not chunked, or chunked twice
    /// (RFC 9112 §6.3 rule 4, §7: 400).
    #[error("chunked is not the final transfer coding exactly once")]
    ChunkedNotFinal,
    /// A malformed chunk size line, chunk terminator or trailer section (RFC 9112 §7.1).
    #[error("malformed chunked body")]
    BadChunk,
    /// The body is larger than [`crate::Limits::max_body`] (RFC 9110 §15.5.14: 413).
    #[error("body too large")]
    BodyTooLarge,
}

impl ParseError {
    /// The status code a server answers with before closing the connection.
    pub const fn status(self) -> StatusCode {
        match self {
            ParseError::UriTooLong => StatusCode::URI_TOO_LONG,
            ParseError::HeadersTooLarge | ParseError::TooManyHeaders => {
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            ParseError::BodyTooLarge => StatusCode::CONTENT_TOO_LARGE,
            ParseError::UnsupportedVersion => StatusCode::HTTP_VERSION_NOT_SUPPORTED,
            ParseError::UnsupportedTransferCoding | ParseError::MethodTooLong => {
                StatusCode::NOT_IMPLEMENTED
            }
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// Why a [`crate::FileSource`] could not answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// No such file or directory: 404.
    #[error("not found")]
    NotFound,
    /// The source refuses access: 403.
    #[error("permission denied")]
    PermissionDenied,
    /// Any other failure of the underlying storage: 500 (or a cut connection mid-body).
    #[error("I/O error")]
    Io,
}

/// Why a client exchange failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server's response did not parse.
    #[error("bad response: {0}")]
    Parse(#[from] ParseError),
    /// The server closed the connection before the response was complete
    /// (RFC 9112 §8: an incomplete message).
    #[error("connection closed before the response was complete")]
    UnexpectedEof,
    /// Bytes arrived when no request was outstanding.
    #[error("response data without a request")]
    UnsolicitedResponse,
}

/// Why a URL given to `tundra get` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Only `http://` is supported (TLS comes later).
    #[error("unsupported scheme (only http:// is supported)")]
    UnsupportedScheme,
    /// The authority is empty or malformed.
    #[error("invalid host")]
    BadHost,
    /// The port is not a number in 1..=65535.
    #[error("invalid port")]
    BadPort,
    /// The path contains characters not allowed in a request target.
    #[error("invalid path")]
    BadPath,
}
