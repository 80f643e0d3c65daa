//! Header fields: [`Header`], a borrowed view the parser hands out, and [`Headers`],
//! the owned, ordered list that requests and responses carry.
//!
//! Field names are case-insensitive (RFC 9110 §5.1) and kept as received; values are
//! bytes (obs-text is opaque data, RFC 9110 §5.5) with leading and trailing OWS removed
//! (RFC 9112 §5.1). Order is kept: it matters for repeated fields (RFC 9110 §5.3).

use core::fmt;

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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    entries: Vec<(String, Vec<u8>)>,
}

impl Headers {
    /// An empty list.
    pub fn new() -> Headers {
        Headers::default()
    }

    /// Appends a field (repeated names are kept as separate lines).
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) {
        self.entries.push((name.into(), value.into()));
    }

    /// Replaces every field called `name` with one line holding `value`.
    pub fn set(&mut self, name: &str, value: impl Into<Vec<u8>>) {
        self.remove(name);
        self.push(name, value);
    }

    /// Removes every field called `name`.
    pub fn remove(&mut self, name: &str) {
        self.entries.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// The value of the first field called `name`.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// The value of the first field called `name`, if it is ASCII text.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| core::str::from_utf8(v).ok())
    }

    /// Every value of the fields called `name`, in order.
    pub fn get_all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s [u8]> + 's {
        self.entries
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// True if a field called `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// True if the `#list` fields called `name` contain `token`, compared
    /// case-insensitively (e.g. `Connection: close`, RFC 9110 §7.6.1).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.get_all(name)
            .flat_map(chars::list_elements)
            .any(|e| e.eq_ignore_ascii_case(token.as_bytes()))
    }

    /// All fields as `(name, value)` in order.
    pub fn iter(&self) -> impl Iterator<Item = Header<'_>> {
        self.entries
            .iter()
            .map(|(n, v)| Header { name: n, value: v })
    }

    /// Number of field lines.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if there are no fields.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Writes every field as `name: value\r\n`, skipping any whose name is not a token
    /// or whose value contains CR, LF or NUL (RFC 9110 §5.5: those would split the
    /// message; never let a handler inject a header line).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        for h in self.iter() {
            write_field(out, h.name, h.value);
        }
    }
}

/// Writes one field line if it is safe to (see [`Headers::write_to`]).
pub(crate) fn write_field(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    let value_ok = value
        .iter()
        .all(|&b| chars::is_field_vchar(b) || chars::is_ows(b));
    if !chars::is_token(name.as_bytes()) || !value_ok {
        log::warn!("dropping unsafe header field {name:?}");
        return;
    }
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(chars::trim_ows(value));
    out.extend_from_slice(b"\r\n");
}

impl<'a> FromIterator<Header<'a>> for Headers {
    fn from_iter<I: IntoIterator<Item = Header<'a>>>(iter: I) -> Headers {
        Headers {
            entries: iter
                .into_iter()
                .map(|h| (h.name.to_owned(), h.value.to_vec()))
                .collect(),
        }
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
