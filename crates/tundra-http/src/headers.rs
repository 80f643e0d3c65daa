//! Header fields: [`Header`], a borrowed view the parser hands out, and [`Headers`],
//! the owned, ordered list that requests and responses carry.
//!
//! Field names are case-insensitive (RFC 9110 §5.1) and kept as received; values are
//! bytes (obs-text is opaque data, RFC 9110 §5.5) with leading and trailing OWS removed
//! (RFC 9112 §5.1). Order is kept: it matters for repeated fields (RFC 9110 §5.3).

use std::borrow::Cow;

use core::fmt;
use core::ops::Range;

use crate::chars;

/// One field line, borrowed from the parser's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The field name as received (a token).
    pub name: &'a str,
    /// The field value without surrounding whitespace.
    pub value: &'a [u8],
}

impl fmt::Display for Header<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, String::from_utf8_lossy(self.value))
    }
}

/// An ordered list of owned header fields with case-insensitive lookup.
///
/// The fields are not stored one `String` and one `Vec` each: names live back to back
/// in one `String`, values in one `Vec<u8>`, and each field line is a pair of ranges
/// into them. A section therefore costs three allocations (and their growth) however
/// many fields it has, and none at all when a list is [`Headers::clear`]ed and filled
/// again (the request decoder does that for every request of a keep-alive connection).
/// Names get a buffer of their own, a `String`, so [`Headers::iter`] hands out `&str`
/// names without checking their UTF-8 again. A parsed section that is all text (nearly
/// every one: obs-text in a value is rare) is copied into the names buffer whole, in
/// one copy, and its values are ranges of that buffer too.
/// [`Headers::push_static`] keeps a `'static` name and value without copying them
/// (`Content-Type: text/plain` on every response). A line the crate itself adds from a
/// [`KnownField`] is marked as checked: the serializer writes it without looking at
/// its bytes again; and a list that is just that one line (a plain text response)
/// borrows its index from the `static` field, so it allocates nothing at all.
#[derive(Clone, Default)]
pub struct Headers {
    /// The names of the copied fields, back to back, and whole copied sections.
    names: String,
    /// The values of the copied fields, back to back.
    values: Vec<u8>,
    /// One entry per field line, in order; borrowed while the list is a single
    /// [`KnownField`] ([`Headers::of_known`]), owned as soon as it changes.
    lines: Cow<'static, [Line]>,
}

/// One field line: where its name and value are.
#[derive(Debug, Clone, Copy)]
struct Line {
    name: Span<str>,
    value: Span<[u8]>,
    /// For a line from a [`KnownField`] (its name is a token and its value is clean, no
    /// check needed before writing it): the whole `name: value\r\n`, ready to copy.
    known_line: Option<&'static [u8]>,
}

/// A field line fixed at compile time and checked there: a token name and a value of
/// field-vchar, SP and HTAB without surrounding whitespace (RFC 9110 §5.5).
/// [`KnownField::new`] in a `const` fails the build for anything else, so a response
/// carrying one (`Content-Type: text/plain; charset=utf-8`) skips the per-byte check
/// that handler-supplied fields get when they are written, and is written as one
/// ready line. Kept in a `static`, its line can be borrowed by a list
/// ([`Headers::of_known`]). Made with [`known_field!`].
#[derive(Debug)]
pub(crate) struct KnownField {
    line: Line,
}

/// The [`KnownField`] `name: value` (two string literals), its whole line
/// `name: value\r\n` put together at compile time.
macro_rules! known_field {
    ($name:literal, $value:literal) => {
        $crate::headers::KnownField::new($name, $value, concat!($name, ": ", $value, "\r\n"))
    };
}
pub(crate) use known_field;

impl KnownField {
    /// The field `name: value` written as `line`; panics (at compile time, in a
    /// `static`) unless it is a valid field line that needs no trimming and `line` is
    /// exactly `name: value\r\n` (as [`known_field!`] makes it).
    pub(crate) const fn new(
        name: &'static str,
        value: &'static str,
        line: &'static str,
    ) -> KnownField {
        assert!(
            chars::is_token(name.as_bytes()),
            "field name is not a token"
        );
        assert!(
            chars::is_clean_value(value.as_bytes()),
            "field value is not clean field-content"
        );
        assert!(
            is_line_of(line.as_bytes(), name.as_bytes(), value.as_bytes()),
            "line is not `name: value CRLF`"
        );
        KnownField {
            line: Line {
                name: Span::Static(name),
                value: Span::Static(value.as_bytes()),
                known_line: Some(line.as_bytes()),
            },
        }
    }
}

/// True if `line` is `name: value\r\n` (a `const` check of [`KnownField::new`]).
const fn is_line_of(line: &[u8], name: &[u8], value: &[u8]) -> bool {
    let parts: [&[u8]; 4] = [name, b": ", value, b"\r\n"];
    let (mut part, mut at) = (0, 0);
    while part < parts.len() {
        let mut i = 0;
        while i < parts[part].len() {
            if at >= line.len() || line[at] != parts[part][i] {
                return false;
            }
            at += 1;
            i += 1;
        }
        part += 1;
    }
    at == line.len()
}

/// A name or value: a range of the list's own buffer, or static bytes.
#[derive(Debug)]
enum Span<T: ?Sized + 'static> {
    /// A range of `names` for a name, of `values` for a value.
    Copied {
        start: usize,
        end: usize,
    },
    /// A range of `names`, for a value copied with its whole section
    /// ([`Headers::extend_from_section`]).
    InNames {
        start: usize,
        end: usize,
    },
    Static(&'static T),
}

// Derived `Clone`/`Copy` would require `T: Copy`, which `str` and `[u8]` are not.
impl<T: ?Sized> Clone for Span<T> {
    fn clone(&self) -> Span<T> {
        *self
    }
}

impl<T: ?Sized> Copy for Span<T> {}

impl Headers {
    /// An empty list.
    pub fn new() -> Headers {
        Headers::default()
    }

    /// A list of the one field `field`, which it borrows: no allocation, no copy.
    #[inline]
    pub(crate) fn of_known(field: &'static KnownField) -> Headers {
        Headers {
            names: String::new(),
            values: Vec::new(),
            lines: Cow::Borrowed(core::slice::from_ref(&field.line)),
        }
    }

    /// Appends a field (repeated names are kept as separate lines), copying both.
    pub fn push(&mut self, name: impl AsRef<str>, value: impl AsRef<[u8]>) {
        let (names_end, values_end) = (self.names.len(), self.values.len());
        self.names.push_str(name.as_ref());
        self.values.extend_from_slice(value.as_ref());
        self.lines.to_mut().push(Line {
            name: Span::Copied {
                start: names_end,
                end: self.names.len(),
            },
            value: Span::Copied {
                start: values_end,
                end: self.values.len(),
            },
            known_line: None,
        });
    }

    /// Appends the field lines of a parsed section that is all text, copying the
    /// section once: `fields` are the (name, value) ranges of `section`. Names must be
    /// ranges of ASCII (tokens), as the parser guarantees.
    pub(crate) fn extend_from_section(
        &mut self,
        section: &str,
        fields: impl Iterator<Item = (Range<usize>, Range<usize>)>,
    ) {
        let base = self.names.len();
        self.names.push_str(section);
        self.lines.to_mut().extend(fields.map(|(name, value)| Line {
            name: Span::Copied {
                start: base + name.start,
                end: base + name.end,
            },
            value: Span::InNames {
                start: base + value.start,
                end: base + value.end,
            },
            known_line: None,
        }));
    }

    /// Appends a field whose name and value live for the whole program, without
    /// copying them.
    pub fn push_static(&mut self, name: &'static str, value: &'static [u8]) {
        self.lines.to_mut().push(Line {
            name: Span::Static(name),
            value: Span::Static(value),
            known_line: None,
        });
    }

    /// Replaces every field called `name` with one line holding `value`.
    pub fn set(&mut self, name: &str, value: impl AsRef<[u8]>) {
        self.remove(name);
        self.push(name, value);
    }

    /// Removes every field called `name`.
    pub fn remove(&mut self, name: &str) {
        if !self.contains(name) {
            return;
        }
        // Rebuilt rather than filtered in place, so the removed bytes do not linger.
        let old = core::mem::take(self);
        for line in old.lines.iter() {
            let h = old.header(line);
            if h.name.eq_ignore_ascii_case(name) {
                continue;
            }
            match (line.name, line.value) {
                (Span::Static(_), Span::Static(_)) => self.lines.to_mut().push(*line),
                _ => self.push(h.name, h.value),
            }
        }
    }

    /// Removes every field, keeping the memory for the next fields.
    pub fn clear(&mut self) {
        self.names.clear();
        self.values.clear();
        match &mut self.lines {
            Cow::Owned(lines) => lines.clear(),
            Cow::Borrowed(_) => self.lines = Cow::Borrowed(&[]),
        }
    }

    /// The value of the first field called `name`.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }

    /// The value of the first field called `name`, if it is ASCII text.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| core::str::from_utf8(v).ok())
    }

    /// Every value of the fields called `name`, in order.
    pub fn get_all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s [u8]> + 's {
        self.iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }

    /// True if a field called `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// True if the `#list` fields called `name` contain `token`, compared
    /// case-insensitively (e.g. `Connection: close`, RFC 9110 §7.6.1).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        // A plain loop, names compared first: every response is asked for
        // `Connection: close`, and nearly none has a Connection field.
        self.lines.iter().any(|line| {
            let h = self.header(line);
            h.name.eq_ignore_ascii_case(name)
                && chars::list_elements(h.value).any(|e| e.eq_ignore_ascii_case(token.as_bytes()))
        })
    }

    /// All fields as `(name, value)` in order.
    pub fn iter(&self) -> impl Iterator<Item = Header<'_>> + Clone {
        self.lines.iter().map(|line| self.header(line))
    }

    /// Number of field lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// True if there are no fields.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Writes every field as `name: value\r\n`, skipping any whose name is not a token
    /// or whose value contains CR, LF or NUL (RFC 9110 §5.5: those would split the
    /// message; never let a handler inject a header line).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        for h in self.iter() {
            write_field(out, h.name, h.value);
        }
    }

    /// All fields in order, each with its whole ready line if it came from a
    /// [`KnownField`] (then it may be written as it is, without checking).
    pub(crate) fn iter_marked(&self) -> impl Iterator<Item = (Header<'_>, Option<&'static [u8]>)> {
        self.lines
            .iter()
            .map(|line| (self.header(line), line.known_line))
    }

    #[inline]
    fn header(&self, line: &Line) -> Header<'_> {
        Header {
            name: match line.name {
                Span::Copied { start, end } | Span::InNames { start, end } => {
                    &self.names[start..end]
                }
                Span::Static(name) => name,
            },
            value: match line.value {
                Span::Copied { start, end } => &self.values[start..end],
                Span::InNames { start, end } => &self.names.as_bytes()[start..end],
                Span::Static(value) => value,
            },
        }
    }
}

/// Writes one field line if it is safe to (see [`Headers::write_to`]).
pub(crate) fn write_field(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    let value_ok = value.iter().all(|&b| chars::is_value_byte(b));
    if !chars::is_token(name.as_bytes()) || !value_ok {
        log::warn!("dropping unsafe header field {name:?}");
        return;
    }
    write_known_field(out, name, chars::trim_ows(value));
}

/// True if [`write_known_field`] may write `name: value` as it is: what
/// [`write_field`] would write, unchanged.
pub(crate) fn is_known_valid(name: &str, value: &[u8]) -> bool {
    chars::is_token(name.as_bytes()) && chars::is_clean_value(value)
}

/// Writes `name: value` without checking it: for fields that are valid by
/// construction ([`KnownField`], our own digits and dates) or were checked with
/// [`is_known_valid`].
#[inline]
pub(crate) fn write_known_field(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

impl<'a> FromIterator<Header<'a>> for Headers {
    fn from_iter<I: IntoIterator<Item = Header<'a>>>(iter: I) -> Headers {
        let mut headers = Headers::new();
        headers.extend(iter);
        headers
    }
}

impl<'a> Extend<Header<'a>> for Headers {
    fn extend<I: IntoIterator<Item = Header<'a>>>(&mut self, iter: I) {
        for h in iter {
            self.push(h.name, h.value);
        }
    }
}

/// Two lists are equal if they hold the same lines in the same order (names compared
/// exactly), however the bytes are stored.
impl PartialEq for Headers {
    fn eq(&self, other: &Headers) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Headers {}

/// `{"Host": "a", "Accept": "*/*"}`, values shown as text.
impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.iter()
                    .map(|h| (h.name, String::from_utf8_lossy(h.value))),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_is_case_insensitive_and_keeps_order() {
        let mut h = Headers::new();
        h.push("Accept", "a");
        h.push("ACCEPT", "b");
        h.push("Host", "x");
        assert_eq!(h.get("accept"), Some(&b"a"[..]));
        assert_eq!(
            h.get_all("Accept").collect::<Vec<_>>(),
            vec![&b"a"[..], b"b"]
        );
        h.set("accept", "c");
        assert_eq!(h.get_all("accept").collect::<Vec<_>>(), vec![&b"c"[..]]);
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn static_and_copied_fields_mix_and_compare_by_content() {
        let mut h = Headers::new();
        h.push_static("Content-Type", b"text/plain");
        h.push("X-A", "1");
        h.push("X-B", b"\xff".as_slice());
        let mut copied = Headers::new();
        copied.push("Content-Type", "text/plain");
        copied.push("X-A", "1");
        copied.push("X-B", [0xff]);
        assert_eq!(h, copied, "equal lines, however stored");
        assert_eq!(
            format!("{h:?}"),
            "{\"Content-Type\": \"text/plain\", \"X-A\": \"1\", \"X-B\": \"\u{fffd}\"}"
        );
        h.remove("x-a");
        let names: Vec<&str> = h.iter().map(|f| f.name).collect();
        assert_eq!(names, ["Content-Type", "X-B"]);
        assert_eq!(h.get("X-B"), Some(&[0xff][..]));
    }

    #[test]
    fn a_cleared_list_is_filled_again_without_growing() {
        let mut h = Headers::new();
        h.push("Host", "10.0.0.2");
        h.push("Accept", "*/*");
        let sizes = |h: &Headers| match &h.lines {
            Cow::Owned(lines) => (h.names.capacity(), h.values.capacity(), lines.capacity()),
            Cow::Borrowed(_) => panic!("copied lines are owned"),
        };
        let before = sizes(&h);
        h.clear();
        assert!(h.is_empty());
        h.extend([Header {
            name: "Host",
            value: b"a",
        }]);
        assert_eq!(h.get_str("host"), Some("a"));
        assert_eq!(sizes(&h), before);
    }

    /// A list that is one known field borrows it; any change makes it an owned list
    /// with the same lines, the known one still marked as checked.
    #[test]
    fn a_known_field_alone_is_borrowed_until_the_list_changes() {
        static KNOWN: KnownField = known_field!("Content-Type", "text/plain");
        let mut h = Headers::of_known(&KNOWN);
        assert!(matches!(h.lines, Cow::Borrowed(_)));
        assert_eq!(h.get("content-type"), Some(&b"text/plain"[..]));
        h.push("X-A", "1");
        assert!(matches!(h.lines, Cow::Owned(_)));
        let marked: Vec<(&str, Option<&[u8]>)> =
            h.iter_marked().map(|(f, k)| (f.name, k)).collect();
        let line = Some(&b"Content-Type: text/plain\r\n"[..]);
        assert_eq!(marked, [("Content-Type", line), ("X-A", None)]);
        h.remove("x-a");
        assert_eq!(h, Headers::of_known(&KNOWN));
        h.clear();
        assert!(h.is_empty());
        let mut single = Headers::of_known(&KNOWN);
        single.clear();
        assert!(single.is_empty());
        single.push("Host", "a");
        assert_eq!(single.get("host"), Some(&b"a"[..]));
    }

    /// The compile-time check of a known field's ready line.
    #[test]
    fn a_known_line_must_be_name_colon_value_crlf() {
        assert!(is_line_of(b"A: b c\r\n", b"A", b"b c"));
        assert!(!is_line_of(b"A: b c\r\n\r\n", b"A", b"b c"));
        assert!(!is_line_of(b"A: b c\r", b"A", b"b c"));
        assert!(!is_line_of(b"A:b c\r\n", b"A", b"b c"));
        assert!(!is_line_of(b"A: b d\r\n", b"A", b"b c"));
    }

    #[test]
    fn connection_tokens_are_case_insensitive_list_members() {
        let mut h = Headers::new();
        h.push("Connection", "Keep-Alive, Upgrade");
        assert!(h.has_token("connection", "upgrade"));
        assert!(h.has_token("connection", "keep-alive"));
        assert!(!h.has_token("connection", "close"));
    }

    #[test]
    fn serializer_refuses_header_injection() {
        let mut h = Headers::new();
        h.push("X-Ok", "fine");
        h.push("X-Evil", "a\r\nSet-Cookie: b");
        h.push("Bad Name", "v");
        let mut out = Vec::new();
        h.write_to(&mut out);
        assert_eq!(out, b"X-Ok: fine\r\n");
    }
}
