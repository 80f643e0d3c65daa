//! The field-section parser shared by request heads, response heads and chunked
//! trailers: a byte-level state machine over
//!
//! ```text
//! field-section = *( field-line CRLF ) CRLF          ; RFC 9112 §2.1
//! field-line    = field-name ":" OWS field-value OWS  ; RFC 9112 §5
//! field-name    = token                               ; RFC 9110 §5.1
//! field-value   = *field-content                      ; RFC 9110 §5.5
//! ```
//!
//! It remembers how far it has scanned, so feeding a growing buffer costs O(n) in total,
//! and it stores ranges, not slices, so the caller keeps ownership of the bytes. Runs of
//! ordinary bytes (a name's tchars, a value's bytes) are taken in a tight loop before
//! the state machine looks at the byte that ends them, and whole well-formed field lines
//! already received are indexed in one go; the state machine takes the rest.
//! Contract: `advance` must be called with the same buffer each time, possibly longer;
//! the bytes already scanned must not change. Ranges are then always in bounds.

use core::ops::Range;

use crate::chars::{is_field_vchar, is_ows, is_tchar, is_value_byte, run_len};
use crate::error::ParseError;
use crate::framing::FieldNotes;
use crate::headers::Header;
use crate::limits::Limits;
use crate::parse::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a line: a field name, or the empty line ending the section.
    LineStart,
    /// Inside a field name.
    Name,
    /// After the colon, skipping OWS.
    ValueStart,
    /// Inside a field value.
    Value,
    /// Saw CR at the end of a field line.
    LineCr,
    /// Saw CR on the empty line.
    EndCr,
}

/// Incremental parser for one field section.
#[derive(Debug, Clone)]
pub(crate) struct FieldsParser {
    state: State,
    /// The next byte to examine.
    pos: usize,
    /// Where the section began, for the size limit.
    start: usize,
    name: Range<usize>,
    value_start: usize,
    value_end: usize,
    fields: Vec<(Range<usize>, Range<usize>)>,
    /// What framing needs to know of the fields indexed so far, noted as each is.
    notes: FieldNotes,
}

impl FieldsParser {
    /// A parser for a section starting at `start` in the caller's buffer.
    pub(crate) fn new(start: usize) -> FieldsParser {
        FieldsParser {
            state: State::LineStart,
            pos: start,
            start,
            name: 0..0,
            value_start: 0,
            value_end: 0,
            fields: Vec::new(),
            notes: FieldNotes::default(),
        }
    }

    /// Starts over for a section at `start`, keeping the memory of the field index.
    pub(crate) fn restart(&mut self, start: usize) {
        self.state = State::LineStart;
        self.pos = start;
        self.start = start;
        self.fields.clear();
        self.notes = FieldNotes::default();
    }

    /// Scans the new bytes of `buf`. `Complete(end)` gives the index just past the
    /// empty line.
    pub(crate) fn advance(
        &mut self,
        buf: &[u8],
        limits: &Limits,
    ) -> Result<Status<usize>, ParseError> {
        // RFC 6585 §5: a server may refuse an oversized header section with 431. The
        // bytes past the limit are not looked at; that there is one is the error.
        let limit = self.start.saturating_add(limits.max_header_bytes);
        let (buf, over) = match buf.get(..limit) {
            Some(within) if within.len() < buf.len() => (within, true),
            _ => (buf, false),
        };
        loop {
            self.take_run(buf, limits);
            // The empty line that ends the section, whole (the common end): what the
            // CR and LF steps below would conclude, in one go.
            if self.state == State::LineStart && buf.get(self.pos..self.pos + 2) == Some(b"\r\n") {
                self.pos += 2;
                return Ok(Status::Complete(self.pos));
            }
            let Some(&b) = buf.get(self.pos) else {
                if over {
                    return Err(ParseError::HeadersTooLarge);
                }
                return Ok(Status::Partial);
            };
            let at = self.pos;
            self.pos += 1;
            match self.state {
                State::LineStart => match b {
                    b'\r' => self.state = State::EndCr,
                    // RFC 9112 §2.2: a recipient MAY recognize a single LF as a line
                    // terminator and ignore any preceding CR.
                    b'\n' => return Ok(Status::Complete(self.pos)),
                    // RFC 9112 §2.2: whitespace between the start-line and the first
                    // field: reject as invalid.
                    b' ' | b'\t' if self.fields.is_empty() => {
                        return Err(ParseError::WhitespaceBeforeFirstField)
                    }
                    // RFC 9112 §5.2: a server MUST reject obs-fold with 400 (or replace
                    // it with SP; we reject).
                    b' ' | b'\t' => return Err(ParseError::ObsFold),
                    t if is_tchar(t) => {
                        if self.fields.len() >= limits.max_headers {
                            return Err(ParseError::TooManyHeaders);
                        }
                        self.name = at..at + 1;
                        self.state = State::Name;
                    }
                    _ => return Err(ParseError::BadHeaderName),
                },
                State::Name => match b {
                    b':' => self.state = State::ValueStart,
                    t if is_tchar(t) => self.name.end = at + 1,
                    // RFC 9112 §5.1: no whitespace is allowed between the field name
                    // and colon; a server MUST reject such a request with 400.
                    b' ' | b'\t' => return Err(ParseError::WhitespaceBeforeColon),
                    _ => return Err(ParseError::BadHeaderName),
                },
                State::ValueStart => match b {
                    // RFC 9112 §5.1: OWS before the value is not part of it.
                    b' ' | b'\t' => {}
                    b'\r' | b'\n' => {
                        self.value_start = at;
                        self.value_end = at;
                        self.end_line(buf, b)
                    }
                    v if is_field_vchar(v) => {
                        self.value_start = at;
                        self.value_end = at + 1;
                        self.state = State::Value;
                    }
                    _ => return Err(ParseError::BadHeaderValue),
                },
                State::Value => match b {
                    b' ' | b'\t' => {}
                    b'\r' | b'\n' => self.end_line(buf, b),
                    // RFC 9110 §5.5: field-content is field-vchar with SP/HTAB between;
                    // CR, LF and NUL inside a value MUST be rejected (or replaced), and
                    // other controls are not field-content at all.
                    v if is_field_vchar(v) => self.value_end = at + 1,
                    _ => return Err(ParseError::BadHeaderValue),
                },
                State::LineCr => {
                    if b != b'\n' {
                        // RFC 9112 §2.2: a bare CR is invalid.
                        return Err(ParseError::BareCr);
                    }
                    self.push_field(buf);
                }
                State::EndCr => {
                    if b != b'\n' {
                        return Err(ParseError::BareCr);
                    }
                    return Ok(Status::Complete(self.pos));
                }
            }
        }
    }

    /// Takes the run of bytes at `pos` that the step in `advance` would take one at a
    /// time without leaving the current state, with the same effects (the name grows;
    /// the value ends after its last byte that is not OWS; at the start of a line,
    /// whole field lines are indexed); `advance` then steps on the byte that ends the
    /// run.
    fn take_run(&mut self, buf: &[u8], limits: &Limits) {
        let rest = buf.get(self.pos..).unwrap_or_default();
        match self.state {
            State::LineStart => while self.take_line(buf, limits) {},
            State::Name => {
                self.pos += run_len(rest, is_tchar);
                self.name.end = self.pos;
            }
            State::ValueStart => self.pos += run_len(rest, is_ows),
            State::Value => {
                let run = &rest[..run_len(rest, is_value_byte)];
                if let Some(last) = run.iter().rposition(|&b| !is_ows(b)) {
                    self.value_end = self.pos + last + 1;
                }
                self.pos += run.len();
            }
            State::LineCr | State::EndCr => {}
        }
    }

    /// The common case in one go: at the start of a line, a whole
    /// `field-name ":" OWS field-value OWS CRLF` already in `buf` (which ends at the
    /// size limit) is indexed at once, as the steps in `advance` would index it. False,
    /// with nothing changed, for anything else (the end of the section, a line not
    /// complete yet, a bare LF, one field too many, a malformed byte): the steps then
    /// take it from the same position.
    fn take_line(&mut self, buf: &[u8], limits: &Limits) -> bool {
        let rest = buf.get(self.pos..).unwrap_or_default();
        let name_len = run_len(rest, is_tchar);
        if name_len == 0
            || self.fields.len() >= limits.max_headers
            || rest.get(name_len) != Some(&b':')
        {
            return false;
        }
        let after_colon = rest.get(name_len + 1..).unwrap_or_default();
        let value_start = name_len + 1 + run_len(after_colon, is_ows);
        let value = &rest[value_start..];
        let value_len = run_len(value, is_value_byte);
        if value.get(value_len..value_len + 2) != Some(b"\r\n") {
            return false;
        }
        // Trailing OWS is not part of the value (RFC 9112 §5.1); the run starts with
        // a field-vchar if it is not empty.
        let trimmed = value[..value_len]
            .iter()
            .rposition(|&b| !is_ows(b))
            .map_or(0, |last| last + 1);
        self.notes.note(&rest[..name_len], &value[..trimmed]);
        let (start, value_start) = (self.pos, self.pos + value_start);
        self.fields
            .push((start..start + name_len, value_start..value_start + trimmed));
        self.pos = value_start + value_len + 2;
        true
    }

    fn end_line(&mut self, buf: &[u8], b: u8) {
        if b == b'\r' {
            self.state = State::LineCr;
        } else {
            self.push_field(buf);
        }
    }

    /// Indexes (and notes) the field line just ended; `buf` holds it.
    fn push_field(&mut self, buf: &[u8]) {
        debug_assert!(self.value_end >= self.value_start);
        let value = self.value_start..self.value_end;
        let text = |r: Range<usize>| buf.get(r).unwrap_or_default();
        self.notes
            .note(text(self.name.clone()), text(value.clone()));
        self.fields.push((self.name.clone(), value));
        self.state = State::LineStart;
    }

    /// What framing needs to know of the fields indexed so far.
    pub(crate) fn notes(&self) -> FieldNotes {
        self.notes
    }

    /// Where the section begins in the caller's buffer.
    pub(crate) fn start(&self) -> usize {
        self.start
    }

    /// The (name, value) ranges of the fields parsed so far, in order.
    pub(crate) fn ranges(&self) -> &[(Range<usize>, Range<usize>)] {
        &self.fields
    }

    /// The parsed fields as views into `buf` (the buffer given to `advance`).
    pub(crate) fn headers<'b>(&self, buf: &'b [u8]) -> Vec<Header<'b>> {
        self.iter(buf).collect()
    }

    /// The parsed fields as views into `buf`, without collecting them.
    pub(crate) fn iter<'s, 'b: 's>(
        &'s self,
        buf: &'b [u8],
    ) -> impl Iterator<Item = Header<'b>> + 's {
        self.fields.iter().filter_map(|(n, v)| {
            Some(Header {
                // Names are tokens (checked above), hence ASCII.
                name: core::str::from_utf8(buf.get(n.clone())?).ok()?,
                value: buf.get(v.clone())?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::Fields as NotedFields;

    /// The notes the parser takes as it indexes lines, whole (the one-line fast path)
    /// or a byte at a time (the state machine), are those taken afterwards from the
    /// lines it indexed.
    #[test]
    fn notes_taken_while_parsing_match_notes_of_the_lines() {
        let sections: [&[u8]; 7] = [
            b"Host: a\r\n\r\n",
            b"host:  10.0.0.2:80 \r\nAccept: */*\r\n\r\n",
            b"HOST: a b\r\n\r\n",
            b"Host: a\r\nHost: b\r\n\r\n",
            b"Expect: 100-continue\r\nConnection: close\r\nContent-Length: 3\r\n\r\n",
            b"Transfer-Encoding: chunked\nHost:\n\n",
            b"X: 1\r\nHost: a\r\n\r\n",
        ];
        for section in sections {
            let mut whole = FieldsParser::new(0);
            let end = whole.advance(section, &Limits::default());
            assert!(matches!(end, Ok(Status::Complete(_))), "{section:?}");
            let lines = whole.headers(section);
            let expected = NotedFields::of(lines.as_slice()).notes;
            assert_ne!(expected, FieldNotes::default(), "{section:?}");
            assert_eq!(whole.notes(), expected, "{section:?}");
            let mut stepped = FieldsParser::new(0);
            for n in 1..=section.len() {
                let _ = stepped.advance(&section[..n], &Limits::default());
            }
            assert_eq!(stepped.notes(), expected, "{section:?} a byte at a time");
        }
    }

    type Fields = Vec<(String, Vec<u8>)>;

    fn parse(input: &[u8]) -> Result<Status<(usize, Fields)>, ParseError> {
        let mut p = FieldsParser::new(0);
        Ok(match p.advance(input, &Limits::default())? {
            Status::Complete(n) => Status::Complete((
                n,
                p.headers(input)
                    .iter()
                    .map(|h| (h.name.to_owned(), h.value.to_vec()))
                    .collect(),
            )),
            Status::Partial => Status::Partial,
        })
    }

    #[test]
    fn values_lose_surrounding_ows_but_keep_inner_spaces() {
        let Status::Complete((n, h)) = parse(b"A: \t x  y \t\r\nB:\r\n\r\nrest").unwrap() else {
            panic!("partial")
        };
        assert_eq!(n, 19);
        assert_eq!(h[0], ("A".into(), b"x  y".to_vec()));
        assert_eq!(h[1], ("B".into(), b"".to_vec()));
    }

    #[test]
    fn incomplete_section_is_partial() {
        assert_eq!(parse(b"A: b\r\n").unwrap(), Status::Partial);
        assert_eq!(parse(b"A: b\r\n\r").unwrap(), Status::Partial);
    }

    #[test]
    fn obs_fold_and_bare_cr_are_rejected() {
        assert_eq!(parse(b"A: b\r\n c\r\n\r\n"), Err(ParseError::ObsFold));
        assert_eq!(
            parse(b" A: b\r\n\r\n"),
            Err(ParseError::WhitespaceBeforeFirstField)
        );
        assert_eq!(parse(b"A: b\rc\r\n\r\n"), Err(ParseError::BareCr));
        assert_eq!(
            parse(b"A : b\r\n\r\n"),
            Err(ParseError::WhitespaceBeforeColon)
        );
        assert_eq!(parse(b"A: b\x00\r\n\r\n"), Err(ParseError::BadHeaderValue));
        assert_eq!(parse(b": b\r\n\r\n"), Err(ParseError::BadHeaderName));
    }
}
