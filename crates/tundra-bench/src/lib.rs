//! Benchmarks only (`publish = false`): what `scripts/bench.sh` needs besides Tundra
//! itself, and the criterion micro-benchmarks of Tundra's hot paths (`benches/`).
//!
//! Two reference servers offer the services `tundra run` offers, so one script can run
//! the same workloads against all three (docs/performance.md):
//!
//! - `smoltcp-server`: smoltcp 0.14 on a TUN device, driven by the canonical smoltcp
//!   poll loop (`Interface::poll`, then `phy::wait` on the fd until `poll_delay`);
//! - `kernel-server`: the same services on the Linux kernel's own sockets, the ceiling.
//!
//! Both speak, on the stack's address:
//!
//! | port | service | what |
//! |---|---|---|
//! | 9 | discard (RFC 863) | reads and drops everything; closes when the client does |
//! | 19 | chargen (RFC 864) | a client that first sends `N\n` gets exactly `N` bytes of the pattern, then FIN |
//! | 80 | HTTP/1.1 | every request head (ending in CRLF CRLF) gets [`HTTP_RESPONSE`], keep-alive |
//!
//! This file holds the parts both servers share, as sans-IO pieces with tests: the
//! chargen pattern, the chargen request line, and the request counter of the HTTP
//! service.

/// The discard port (RFC 863).
pub const DISCARD_PORT: u16 = 9;
/// The chargen port (RFC 864).
pub const CHARGEN_PORT: u16 = 19;
/// The HTTP port.
pub const HTTP_PORT: u16 = 80;

/// The fixed HTTP response: a 13-byte body with keep-alive (HTTP/1.1's default).
pub const HTTP_RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";

/// Length of one period of the RFC 864 pattern: 95 lines of 72 characters and CR LF.
pub const CHARGEN_PERIOD: usize = 95 * 74;

/// The RFC 864 character at stream offset `i`: 72 printable characters per line,
/// starting one character later on each line, then CR LF. Repeats every 95 lines.
/// The same stream as Tundra's chargen (`tundra::services::tcp::chargen_byte`).
pub fn chargen_byte(i: u64) -> u8 {
    let (line, col) = (i / 74, i % 74);
    match col {
        72 => b'\r',
        73 => b'\n',
        _ => 0x20 + ((line + col) % 95) as u8,
    }
}

/// One period of the pattern followed by `extra` more bytes of it, so any
/// `extra`-byte stretch of the stream is one contiguous slice:
/// `&pattern[offset % CHARGEN_PERIOD..][..len]` for `len <= extra`.
pub fn chargen_pattern(extra: usize) -> Vec<u8> {
    (0..(CHARGEN_PERIOD + extra) as u64)
        .map(chargen_byte)
        .collect()
}

/// The chargen request line: a decimal byte count and LF (`104857600\n`). Bytes after
/// the line are ignored, as RFC 864 ignores all received data; a line longer than 32
/// bytes or not a number means "no limit".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChargenRequest {
    line: Vec<u8>,
    done: bool,
    limit: Option<u64>,
}

impl ChargenRequest {
    /// Longest request line kept.
    const MAX_LINE: usize = 32;

    /// Feeds received bytes. Returns true once the line is complete (or given up on).
    pub fn feed(&mut self, bytes: &[u8]) -> bool {
        if self.done {
            return true;
        }
        for &b in bytes {
            if b == b'\n' {
                self.done = true;
                self.limit = std::str::from_utf8(&self.line)
                    .ok()
                    .and_then(|s| s.trim().parse().ok());
                return true;
            }
            if self.line.len() == Self::MAX_LINE {
                self.done = true;
                return true;
            }
            self.line.push(b);
        }
        false
    }

    /// The requested byte count, once the line is complete and a number.
    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// Whether the line is complete.
    pub fn is_done(&self) -> bool {
        self.done
    }
}

/// Counts complete request heads in a byte stream by their terminating CRLF CRLF
/// (RFC 9112 §2.1), across any split of the stream. Enough for `wrk`'s bodiless GETs;
/// not an HTTP parser.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestCounter {
    /// The last four bytes seen, oldest in the high byte.
    tail: u32,
}

impl RequestCounter {
    /// Feeds received bytes; returns how many request heads they completed.
    pub fn feed(&mut self, bytes: &[u8]) -> usize {
        let mut heads = 0;
        for &b in bytes {
            self.tail = (self.tail << 8) | u32::from(b);
            if self.tail == 0x0d0a_0d0a {
                heads += 1;
                self.tail = 0;
            }
        }
        heads
    }
}

/// Parses `A.B.C.D/P` into the address octets and the prefix length.
pub fn parse_cidr(s: &str) -> Option<([u8; 4], u8)> {
    let (addr, prefix) = s.split_once('/')?;
    let addr: std::net::Ipv4Addr = addr.parse().ok()?;
    let prefix: u8 = prefix.parse().ok()?;
    (prefix <= 32).then_some((addr.octets(), prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chargen_lines_rotate_by_one_and_repeat_after_95() {
        let first: Vec<u8> = (0..74).map(chargen_byte).collect();
        assert_eq!(&first[..4], b" !\"#");
        assert_eq!(&first[72..], b"\r\n");
        assert_eq!(chargen_byte(74), b'!');
        assert_eq!(chargen_byte(CHARGEN_PERIOD as u64 + 5), chargen_byte(5));
    }

    #[test]
    fn pattern_slices_continue_the_stream_at_any_offset() {
        let pattern = chargen_pattern(1000);
        let offset: u64 = 3 * CHARGEN_PERIOD as u64 + 7000;
        let start = (offset % CHARGEN_PERIOD as u64) as usize;
        let slice = &pattern[start..start + 1000];
        let expect: Vec<u8> = (offset..offset + 1000).map(chargen_byte).collect();
        assert_eq!(slice, &expect[..]);
    }

    #[test]
    fn chargen_request_split_across_reads() {
        let mut req = ChargenRequest::default();
        assert!(!req.feed(b"1048"));
        assert!(req.feed(b"576\nignored"));
        assert_eq!(req.limit(), Some(1_048_576));
    }

    #[test]
    fn chargen_request_that_is_not_a_number_means_no_limit() {
        let mut req = ChargenRequest::default();
        assert!(req.feed(b"lots\n"));
        assert_eq!(req.limit(), None);
        let mut long = ChargenRequest::default();
        assert!(long.feed(&[b'1'; 40]));
        assert!(long.is_done());
        assert_eq!(long.limit(), None);
    }

    #[test]
    fn request_counter_finds_pipelined_heads_split_anywhere() {
        let two = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
        for split in 0..two.len() {
            let mut c = RequestCounter::default();
            let n = c.feed(&two[..split]) + c.feed(&two[split..]);
            assert_eq!(n, 2, "split at {split}");
        }
        // A lone CRLF between header lines is not the end of a head.
        assert_eq!(
            RequestCounter::default().feed(b"GET / HTTP/1.1\r\nA: b\r\n"),
            0
        );
    }

    #[test]
    fn http_response_body_is_13_bytes_as_its_length_says() {
        let text = std::str::from_utf8(HTTP_RESPONSE).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains("Content-Length: 13"));
        assert_eq!(body.len(), 13);
    }

    #[test]
    fn cidr_parses_and_rejects() {
        assert_eq!(parse_cidr("10.0.0.2/24"), Some(([10, 0, 0, 2], 24)));
        assert_eq!(parse_cidr("10.0.0.2/33"), None);
        assert_eq!(parse_cidr("10.0.0.2"), None);
    }
}
