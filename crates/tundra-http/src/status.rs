//! Status codes (RFC 9110 §15) and their reason phrases.

use core::fmt;

/// An HTTP status code: three digits, 100..=999 on the wire (RFC 9110 §15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusCode(pub u16);

impl StatusCode {
    /// 100 Continue (RFC 9110 §15.2.1).
    pub const CONTINUE: StatusCode = StatusCode(100);
    /// 101 Switching Protocols (RFC 9110 §15.2.2), for Upgrade (WebSocket).
    pub const SWITCHING_PROTOCOLS: StatusCode = StatusCode(101);
    /// 200 OK.
    pub const OK: StatusCode = StatusCode(200);
    /// 201 Created.
    pub const CREATED: StatusCode = StatusCode(201);
    /// 204 No Content.
    pub const NO_CONTENT: StatusCode = StatusCode(204);
    /// 301 Moved Permanently.
    pub const MOVED_PERMANENTLY: StatusCode = StatusCode(301);
    /// 304 Not Modified (RFC 9110 §15.4.5).
    pub const NOT_MODIFIED: StatusCode = StatusCode(304);
    /// 400 Bad Request.
    pub const BAD_REQUEST: StatusCode = StatusCode(400);
    /// 403 Forbidden.
    pub const FORBIDDEN: StatusCode = StatusCode(403);
    /// 404 Not Found.
    pub const NOT_FOUND: StatusCode = StatusCode(404);
    /// 405 Method Not Allowed.
    pub const METHOD_NOT_ALLOWED: StatusCode = StatusCode(405);
    /// 408 Request Timeout (RFC 9110 §15.5.9).
    pub const REQUEST_TIMEOUT: StatusCode = StatusCode(408);
    /// 413 Content Too Large (RFC 9110 §15.5.14).
    pub const CONTENT_TOO_LARGE: StatusCode = StatusCode(413);
    /// 414 URI Too Long (RFC 9110 §15.5.15).
    pub const URI_TOO_LONG: StatusCode = StatusCode(414);
    /// 431 Request Header Fields Too Large (RFC 6585 §5).
    pub const REQUEST_HEADER_FIELDS_TOO_LARGE: StatusCode = StatusCode(431);
    /// 500 Internal Server Error.
    pub const INTERNAL_SERVER_ERROR: StatusCode = StatusCode(500);
    /// 501 Not Implemented (RFC 9110 §15.6.2).
    pub const NOT_IMPLEMENTED: StatusCode = StatusCode(501);
    /// 505 HTTP Version Not Supported (RFC 9110 §15.6.6).
    pub const HTTP_VERSION_NOT_SUPPORTED: StatusCode = StatusCode(505);

    /// The numeric code.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// 1xx: an interim response; a final response follows (RFC 9110 §15.2).
    pub const fn is_informational(self) -> bool {
        self.0 >= 100 && self.0 < 200
    }

    /// True for the statuses that never carry content: 1xx, 204 and 304
    /// (RFC 9112 §6.3 rule 1).
    pub const fn has_no_body(self) -> bool {
        self.is_informational() || self.0 == 204 || self.0 == 304
    }

    /// The reason phrase the IANA registry gives (RFC 9110 §15), or `""` for codes we
    /// never send. Clients must not depend on it (RFC 9112 §4).
    pub const fn reason(self) -> &'static str {
        match reason_and_status_line(self.0) {
            Some((reason, _)) => reason,
            None => "",
        }
    }

    /// The whole status line `HTTP/1.1 <code> <reason>\r\n` (RFC 9112 §4) for a code
    /// with a registered reason, ready to copy; `None` for the others.
    pub(crate) const fn status_line(self) -> Option<&'static str> {
        match reason_and_status_line(self.0) {
            Some((_, line)) => Some(line),
            None => None,
        }
    }
}

/// The reason phrases (RFC 9110 §15), each with its HTTP/1.1 status line spelled out
/// at compile time.
macro_rules! registry {
    ($($code:literal => $reason:literal,)*) => {
        /// The reason phrase and status line of `code`, if it has a reason.
        const fn reason_and_status_line(code: u16) -> Option<(&'static str, &'static str)> {
            match code {
                $($code => Some((
                    $reason,
                    concat!("HTTP/1.1 ", stringify!($code), " ", $reason, "\r\n"),
                )),)*
                _ => None,
            }
        }
    };
}

registry! {
    100 => "Continue",
    101 => "Switching Protocols",
    200 => "OK",
    201 => "Created",
    202 => "Accepted",
    204 => "No Content",
    206 => "Partial Content",
    301 => "Moved Permanently",
    302 => "Found",
    304 => "Not Modified",
    307 => "Temporary Redirect",
    308 => "Permanent Redirect",
    400 => "Bad Request",
    401 => "Unauthorized",
    403 => "Forbidden",
    404 => "Not Found",
    405 => "Method Not Allowed",
    408 => "Request Timeout",
    411 => "Length Required",
    413 => "Content Too Large",
    414 => "URI Too Long",
    415 => "Unsupported Media Type",
    417 => "Expectation Failed",
    426 => "Upgrade Required",
    431 => "Request Header Fields Too Large",
    500 => "Internal Server Error",
    501 => "Not Implemented",
    502 => "Bad Gateway",
    503 => "Service Unavailable",
    505 => "HTTP Version Not Supported",
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, self.reason())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_code_and_reason() {
        assert_eq!(StatusCode::NOT_FOUND.to_string(), "404 Not Found");
        assert_eq!(StatusCode(799).to_string(), "799 ");
    }

    #[test]
    fn status_lines_spell_out_code_and_reason() {
        assert_eq!(StatusCode::OK.status_line(), Some("HTTP/1.1 200 OK\r\n"));
        assert_eq!(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE.status_line(),
            Some("HTTP/1.1 431 Request Header Fields Too Large\r\n")
        );
        assert_eq!(StatusCode(799).status_line(), None);
        for code in 100..1000 {
            let status = StatusCode(code);
            if let Some(line) = status.status_line() {
                assert_eq!(line, format!("HTTP/1.1 {status}\r\n"));
            }
        }
    }

    #[test]
    fn bodiless_statuses_per_rfc9112_section_6_3() {
        assert!(StatusCode(100).has_no_body());
        assert!(StatusCode(204).has_no_body());
        assert!(StatusCode(304).has_no_body());
        assert!(!StatusCode(200).has_no_body());
        assert!(!StatusCode(404).has_no_body());
    }
}
