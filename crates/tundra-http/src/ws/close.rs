//! Close status codes (RFC 6455 §7.4) and the Close frame body (RFC 6455 §5.5.1).
//!
//! A Close frame's payload is empty, or a 2-byte big-endian status code followed by a
//! UTF-8 reason. Some codes exist only to be *reported* locally (1005 "no status",
//! 1006 "abnormal closure", 1015 "TLS handshake") and must never appear on the wire;
//! [`CloseCode::is_valid_on_wire`] is the one place that decides what a peer may send.

use core::fmt;

/// A WebSocket close status code (RFC 6455 §7.4). Any `u16` can be held; whether it
/// may be sent or received is [`CloseCode::is_valid_on_wire`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: normal closure, the purpose of the connection is fulfilled (§7.4.1).
    pub const NORMAL: CloseCode = CloseCode(0x03e8);
    /// 1001: going away (server shutting down, browser left the page) (§7.4.1).
    pub const GOING_AWAY: CloseCode = CloseCode(0x03e9);
    /// 1002: protocol error (§7.4.1).
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(0x03ea);
    /// 1003: a data type the endpoint cannot accept, e.g. binary for a text-only
    /// endpoint (§7.4.1).
    pub const UNSUPPORTED_DATA: CloseCode = CloseCode(0x03eb);
    /// 1005: reported locally when a Close frame carried no status; never sent (§7.4.1).
    pub const NO_STATUS: CloseCode = CloseCode(0x03ed);
    /// 1006: reported locally when the connection ended without a Close frame; never
    /// sent (§7.4.1, §7.1.5).
    pub const ABNORMAL: CloseCode = CloseCode(0x03ee);
    /// 1007: data inconsistent with the message type, e.g. invalid UTF-8 in a text
    /// message (§7.4.1, §8.1).
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(0x03ef);
    /// 1008: a policy violation; the generic code when no other fits (§7.4.1).
    pub const POLICY_VIOLATION: CloseCode = CloseCode(0x03f0);
    /// 1009: a message too big to process (§7.4.1).
    pub const MESSAGE_TOO_BIG: CloseCode = CloseCode(0x03f1);
    /// 1010: (client) the server did not negotiate a required extension (§7.4.1).
    pub const MANDATORY_EXTENSION: CloseCode = CloseCode(0x03f2);
    /// 1011: (server) an unexpected condition prevented fulfilling the request (§7.4.1).
    pub const INTERNAL_ERROR: CloseCode = CloseCode(0x03f3);
    /// 1012: service restart (IANA "WebSocket Close Code Number Registry", §11.7).
    pub const SERVICE_RESTART: CloseCode = CloseCode(0x03f4);
    /// 1013: try again later, the server is overloaded (IANA registry, §11.7).
    pub const TRY_AGAIN_LATER: CloseCode = CloseCode(0x03f5);
    /// 1014: bad gateway (IANA registry, §11.7).
    pub const BAD_GATEWAY: CloseCode = CloseCode(0x03f6);
    /// 1015: reported locally when the TLS handshake failed; never sent (§7.4.1).
    pub const TLS_HANDSHAKE: CloseCode = CloseCode(0x03f7);

    /// The numeric code.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// True if the code may appear in a Close frame. RFC 6455 §7.4.2: 0-999 are not
    /// used; 1000-2999 are reserved for the protocol, and of those only the registered
    /// codes are meaningful (1004 reserved, 1005/1006/1015 local only, 1016-2999
    /// unassigned); 3000-3999 are for libraries and frameworks, 4000-4999 private;
    /// 5000 and above are undefined.
    pub const fn is_valid_on_wire(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }

    /// A short name for logs and Wireshark-style output.
    pub const fn name(self) -> &'static str {
        match self.0 {
            1000 => "normal closure",
            1001 => "going away",
            1002 => "protocol error",
            1003 => "unsupported data",
            1004 => "reserved",
            1005 => "no status received",
            1006 => "abnormal closure",
            1007 => "invalid frame payload data",
            1008 => "policy violation",
            1009 => "message too big",
            1010 => "mandatory extension",
            1011 => "internal error",
            1012 => "service restart",
            1013 => "try again later",
            1014 => "bad gateway",
            1015 => "TLS handshake",
            3000..=3999 => "registered",
            4000..=4999 => "private use",
            _ => "invalid",
        }
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0, self.name())
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> CloseCode {
        CloseCode(code)
    }
}

/// Most bytes of UTF-8 reason a Close frame can carry: 125 (the control frame limit,
/// RFC 6455 §5.5) less the 2-byte code.
pub const MAX_CLOSE_REASON: usize = 123;

/// Writes a Close frame body: nothing for `None`, else the code in network byte order
/// and the reason (RFC 6455 §5.5.1). The caller has checked the code and the reason's
/// length.
pub(crate) fn close_payload(code: Option<CloseCode>, reason: &str) -> Vec<u8> {
    match code {
        None => Vec::new(),
        Some(code) => {
            let mut body = Vec::with_capacity(2 + reason.len());
            body.extend_from_slice(&code.0.to_be_bytes());
            body.extend_from_slice(reason.as_bytes());
            body
        }
    }
}

/// The largest prefix of `reason` that fits a Close frame, cut on a character boundary.
pub(crate) fn truncate_reason(reason: &str) -> &str {
    if reason.len() <= MAX_CLOSE_REASON {
        return reason;
    }
    let mut end = MAX_CLOSE_REASON;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_section_7_4_defined_codes_and_ranges() {
        for ok in [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
        ] {
            assert!(CloseCode(ok).is_valid_on_wire(), "{ok} is sendable");
        }
        // IANA registry additions (§11.7): service restart, try again later, bad gateway.
        for ok in [1012, 1013, 1014] {
            assert!(CloseCode(ok).is_valid_on_wire(), "{ok} is registered");
        }
        for bad in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            assert!(!CloseCode(bad).is_valid_on_wire(), "{bad} must be refused");
        }
    }

    #[test]
    fn payload_is_big_endian_code_then_reason() {
        assert_eq!(close_payload(None, "ignored"), b"");
        assert_eq!(
            close_payload(Some(CloseCode::NORMAL), "bye"),
            [0x03, 0xe8, b'b', b'y', b'e']
        );
    }

    #[test]
    fn long_reasons_are_cut_on_a_character_boundary() {
        let reason = "é".repeat(100); // 200 bytes, 2 per character
        let cut = truncate_reason(&reason);
        assert_eq!(cut.len(), 122);
        assert!(cut.chars().all(|c| c == 'é'));
        assert_eq!(truncate_reason("short"), "short");
    }

    #[test]
    fn display_names_the_code() {
        assert_eq!(
            CloseCode::MESSAGE_TOO_BIG.to_string(),
            "1009 (message too big)"
        );
        assert_eq!(CloseCode(4321).to_string(), "4321 (private use)");
    }
}
