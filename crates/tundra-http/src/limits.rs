//! Resource limits for parsing: every rejection with 414, 431, 413 or 501 comes from a
//! number here. All are configurable; the defaults suit a small web server.

/// Limits applied while parsing a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest method name; longer methods get 501 (no method we implement is long).
    pub max_method_len: usize,
    /// Longest request target; longer ones get 414. RFC 9112 §3 recommends supporting
    /// at least 8000 octets.
    pub max_uri_len: usize,
    /// Largest field section (header or trailer lines, including their CRLFs); larger
    /// ones get 431.
    pub max_header_bytes: usize,
    /// Most field lines in one section; more get 431.
    pub max_headers: usize,
    /// Largest body (declared or decoded); larger ones get 413.
    pub max_body: u64,
    /// Longest chunk-size line including extensions (RFC 9112 §7.1.1 allows a server to
    /// limit extensions); longer ones get 400.
    pub max_chunk_line: usize,
    /// Most empty lines skipped before a request line (RFC 9112 §2.2: at least one).
    pub max_empty_lines: usize,
}

impl Limits {
    /// Limits for a client reading responses: downloads may be arbitrarily large.
    pub const fn client() -> Limits {
        Limits {
            max_body: u64::MAX,
            ..Limits::DEFAULT
        }
    }

    /// The server defaults (see [`Default`]).
    pub const DEFAULT: Limits = Limits {
        max_method_len: 32,
        max_uri_len: 8192,
        max_header_bytes: 16 * 1024,
        max_headers: 100,
        max_body: 8 * 1024 * 1024,
        max_chunk_line: 1024,
        max_empty_lines: 8,
    };
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DEFAULT
    }
}
