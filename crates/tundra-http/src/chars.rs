//! Character classes from RFC 9110 §5.6.2 (token), §5.5 (field values) and RFC 5234
//! Appendix B.1 (VCHAR, HEXDIG).

/// `tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" /
/// "`" / "|" / "~" / DIGIT / ALPHA` (RFC 9110 §5.6.2).
pub(crate) const fn is_tchar(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'#'
            | b'$'
            | b'%'
            | b'&'
            | b'\''
            | b'*'
            | b'+'
            | b'-'
            | b'.'
            | b'^'
            | b'_'
            | b'`'
            | b'|'
            | b'~'
            | b'0'..=b'9'
            | b'a'..=b'z'
            | b'A'..=b'Z'
    )
}

/// `VCHAR = %x21-7E` (RFC 5234 B.1).
pub(crate) const fn is_vchar(b: u8) -> bool {
    matches!(b, 0x21..=0x7e)
}

/// `field-vchar = VCHAR / obs-text`, `obs-text = %x80-FF` (RFC 9110 §5.5).
pub(crate) const fn is_field_vchar(b: u8) -> bool {
    is_vchar(b) || b >= 0x80
}

/// `OWS = *( SP / HTAB )` (RFC 9110 §5.6.3).
pub(crate) const fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The value of a `HEXDIG` (RFC 5234 B.1, case-insensitive as RFC 5234 §2.3 says of
/// literal text), or `None`.
pub(crate) const fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// True if every byte of `s` is a `tchar` and `s` is not empty (a `token`).
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// Trims `OWS` on both sides.
pub(crate) fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if is_ows(*first) {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if is_ows(*last) {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// Splits a `#list` field value (RFC 9110 §5.6.1) into its non-empty, OWS-trimmed
/// elements. Quoted strings are not special-cased: the lists we read (Connection,
/// Transfer-Encoding, Content-Length, Expect) never carry commas inside quotes that
/// could change the decision.
pub(crate) fn list_elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim_ows)
        .filter(|e| !e.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_characters_follow_rfc9110() {
        assert!(is_token(b"GET"));
        assert!(is_token(b"X-Custom_1.2~"));
        assert!(!is_token(b""));
        assert!(!is_token(b"a b"));
        assert!(!is_token(b"a:b"));
        assert!(!is_token(b"a\"b"));
        assert!(!is_token(b"\x7f"));
    }

    #[test]
    fn list_elements_skip_empty_members() {
        let v: Vec<&[u8]> = list_elements(b" ,a , b,,\tc ,").collect();
        assert_eq!(v, vec![&b"a"[..], b"b", b"c"]);
    }
}
