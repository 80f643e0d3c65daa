//! The chunked transfer coding (RFC 9112 §7.1): an incremental decoder and the
//! encoder helpers.
//!
//! ```text
//! chunked-body   = *chunk last-chunk trailer-section CRLF
//! chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//! chunk-size     = 1*HEXDIG
//! last-chunk     = 1*("0") [ chunk-ext ] CRLF
//! chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//! ```
//!
//! Chunk extensions are skipped (RFC 9112 §7.1.1: a recipient MUST ignore extensions it
//! does not understand); trailer fields are parsed with the header-field rules and
//! returned apart from the headers (RFC 9112 §7.1.2).

use crate::chars::{hex_value, is_field_vchar, is_ows};
use crate::error::ParseError;
use crate::fields::FieldsParser;
use crate::headers::Headers;
use crate::limits::Limits;
use crate::parse::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading chunk-size hex digits.
    Size,
    /// BWS after the size.
    SizeWs,
    /// Inside a chunk extension (ignored).
    Ext,
    /// Saw CR at the end of the size line.
    SizeLf,
    /// Inside chunk-data.
    Data,
    /// Expecting the CR after chunk-data.
    DataCr,
    /// Expecting the LF after chunk-data.
    DataLf,
    /// Reading the trailer section.
    Trailers,
    /// The whole chunked body was read.
    Done,
}

/// An incremental decoder for a chunked body.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    size: u64,
    digits: usize,
    line_len: usize,
    remaining: u64,
    total: u64,
    trailer_buf: Vec<u8>,
    trailer: FieldsParser,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        ChunkedDecoder::new()
    }
}

impl ChunkedDecoder {
    /// A decoder at the start of a chunked body.
    pub fn new() -> ChunkedDecoder {
        ChunkedDecoder {
            state: State::Size,
            size: 0,
            digits: 0,
            line_len: 0,
            remaining: 0,
            total: 0,
            trailer_buf: Vec::new(),
            trailer: FieldsParser::new(0),
        }
    }

    /// Decodes from `input`, appending chunk data to `out`. Returns the number of bytes
    /// used and `Complete(())` once the last chunk and trailers were read; bytes after
    /// that belong to the next message and are not used.
    pub fn decode(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        limits: &Limits,
    ) -> Result<(usize, Status<()>), ParseError> {
        let mut i = 0;
        while i < input.len() && self.state != State::Done {
            match self.state {
                State::Data => {
                    let avail = (input.len() - i) as u64;
                    let n = self.remaining.min(avail) as usize;
                    out.extend_from_slice(&input[i..i + n]);
                    i += n;
                    self.remaining -= n as u64;
                    if self.remaining == 0 {
                        self.state = State::DataCr;
                    }
                    continue;
                }
                State::Trailers => {
                    self.trailer_buf.push(input[i]);
                    i += 1;
                    if self
                        .trailer
                        .advance(&self.trailer_buf, limits)?
                        .is_complete()
                    {
                        self.state = State::Done;
                    }
                    continue;
                }
                _ => {}
            }
            let b = input[i];
            i += 1;
            if matches!(self.state, State::Size | State::SizeWs | State::Ext) {
                self.line_len += 1;
                // RFC 9112 §7.1.1: a server ought to limit the total length of chunk
                // extensions received in a request.
                if self.line_len > limits.max_chunk_line {
                    return Err(ParseError::BadChunk);
                }
            }
            match self.state {
                State::Size => {
                    if let Some(d) = hex_value(b) {
                        self.size = self
                            .size
                            .checked_mul(16)
                            .and_then(|s| s.checked_add(u64::from(d)))
                            .ok_or(ParseError::BadChunk)?;
                        self.digits += 1;
                    } else if self.digits == 0 {
                        return Err(ParseError::BadChunk);
                    } else {
                        self.after_size(b)?;
                    }
                }
                State::SizeWs => self.after_size(b)?,
                State::Ext => match b {
                    b'\r' => self.state = State::SizeLf,
                    v if is_field_vchar(v) || is_ows(v) => {}
                    _ => return Err(ParseError::BadChunk),
                },
                State::SizeLf => {
                    // The chunk framing itself is strictly CRLF (RFC 9112 §7.1); the
                    // lenient bare-LF rule of §2.2 is for the start line and fields.
                    if b != b'\n' {
                        return Err(ParseError::BadChunk);
                    }
                    if self.size == 0 {
                        self.state = State::Trailers;
                    } else {
                        self.total = self.total.saturating_add(self.size);
                        if self.total > limits.max_body {
                            return Err(ParseError::BodyTooLarge);
                        }
                        self.remaining = self.size;
                        self.state = State::Data;
                    }
                    self.size = 0;
                    self.digits = 0;
                    self.line_len = 0;
                }
                State::DataCr if b == b'\r' => self.state = State::DataLf,
                State::DataLf if b == b'\n' => self.state = State::Size,
                State::DataCr | State::DataLf => return Err(ParseError::BadChunk),
                State::Data | State::Trailers | State::Done => unreachable!("handled above"),
            }
        }
        let status = if self.state == State::Done {
            Status::Complete(())
        } else {
            Status::Partial
        };
        Ok((i, status))
    }

    /// After the size digits: BWS, an extension, or the end of the line.
    fn after_size(&mut self, b: u8) -> Result<(), ParseError> {
        match b {
            b' ' | b'\t' => self.state = State::SizeWs,
            b';' => self.state = State::Ext,
            b'\r' => self.state = State::SizeLf,
            _ => return Err(ParseError::BadChunk),
        }
        Ok(())
    }

    /// The trailer fields, once decoding is complete.
    pub fn trailers(&self) -> Headers {
        if self.state != State::Done {
            return Headers::new();
        }
        self.trailer
            .headers(&self.trailer_buf)
            .into_iter()
            .collect()
    }
}

/// Appends one chunk holding `data` (nothing if `data` is empty: an empty chunk would
/// be the last-chunk).
pub fn encode_chunk(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// Appends the last-chunk and an empty trailer section.
pub fn encode_last_chunk(out: &mut Vec<u8>) {
    out.extend_from_slice(b"0\r\n\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8]) -> Result<(usize, Status<()>, Vec<u8>), ParseError> {
        let mut d = ChunkedDecoder::new();
        let mut out = Vec::new();
        let (n, s) = d.decode(input, &mut out, &Limits::default())?;
        Ok((n, s, out))
    }

    #[test]
    fn rfc9112_chunked_body_with_extension_and_trailer() {
        let body = b"4;name=value\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\nNEXT";
        let mut d = ChunkedDecoder::new();
        let mut out = Vec::new();
        let (n, s) = d.decode(body, &mut out, &Limits::default()).unwrap();
        assert_eq!(s, Status::Complete(()));
        assert_eq!(&body[n..], b"NEXT");
        assert_eq!(out, b"Wikipedia in\r\n\r\nchunks.");
        assert_eq!(d.trailers().get("expires"), Some(&b"never"[..]));
    }

    #[test]
    fn one_byte_at_a_time_gives_the_same_body() {
        let body = b"a\r\n0123456789\r\n1 ; x\r\n!\r\n000\r\n\r\n";
        let mut d = ChunkedDecoder::new();
        let mut out = Vec::new();
        let mut last = Status::Partial;
        for &b in body.iter() {
            let (n, s) = d.decode(&[b], &mut out, &Limits::default()).unwrap();
            assert_eq!(n, 1);
            last = s;
        }
        assert_eq!(last, Status::Complete(()));
        assert_eq!(out, b"0123456789!");
    }

    #[test]
    fn malformed_chunks_are_rejected() {
        assert_eq!(decode_all(b"x\r\n").unwrap_err(), ParseError::BadChunk);
        assert_eq!(decode_all(b"\r\n").unwrap_err(), ParseError::BadChunk);
        assert_eq!(decode_all(b"3\nabc\r\n").unwrap_err(), ParseError::BadChunk);
        assert_eq!(
            decode_all(b"3\r\nabcX\r\n").unwrap_err(),
            ParseError::BadChunk
        );
        assert_eq!(decode_all(b"0x3\r\n").unwrap_err(), ParseError::BadChunk);
        assert_eq!(decode_all(b"-3\r\n").unwrap_err(), ParseError::BadChunk);
        assert_eq!(
            decode_all(b"10000000000000000\r\n").unwrap_err(),
            ParseError::BadChunk,
            "17 hex digits overflow u64"
        );
        assert_eq!(decode_all(b"3;\x00\r\n").unwrap_err(), ParseError::BadChunk);
    }

    #[test]
    fn body_limit_counts_declared_chunk_sizes() {
        let limits = Limits {
            max_body: 10,
            ..Limits::default()
        };
        let mut d = ChunkedDecoder::new();
        let mut out = Vec::new();
        assert_eq!(
            d.decode(b"8\r\n12345678\r\n3\r\n", &mut out, &limits)
                .unwrap_err(),
            ParseError::BodyTooLarge
        );
    }

    #[test]
    fn encoder_round_trips_through_decoder() {
        let mut wire = Vec::new();
        encode_chunk(&mut wire, b"hello ");
        encode_chunk(&mut wire, b"");
        encode_chunk(&mut wire, &[0xab; 300]);
        encode_last_chunk(&mut wire);
        let (n, s, out) = decode_all(&wire).unwrap();
        assert_eq!((n, s), (wire.len(), Status::Complete(())));
        assert_eq!(&out[..6], b"hello ");
        assert_eq!(out.len(), 306);
    }
}
