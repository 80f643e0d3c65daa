//! Character classes from RFC 9110 §5.6.2 (token), §5.5 (field values) and RFC 5234
//! Appendix B.1 (VCHAR, HEXDIG).
//!
//! The parsers and the serializer test every byte they see against these classes, so
//! the two that are not a simple range (`tchar` and the bytes of a field value) are
//! looked up in 256-entry tables built at compile time from the ABNF, and scans use
//! [`run_len`]: one load and one test per byte.

/// The 256-entry table of a byte class given as `|b| condition`: entry `b` is the
/// condition's value for `b` (a macro, as a `const fn` cannot call a closure).
macro_rules! class_table {
    (|$b:ident| $condition:expr) => {{
        let mut table = [false; 256];
        let mut i = 0;
        while i < 256 {
            let $b = i as u8;
            table[i] = $condition;
            i += 1;
        }
        table
    }};
}

/// `tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" /
/// "`" / "|" / "~" / DIGIT / ALPHA` (RFC 9110 §5.6.2).
#[inline]
pub(crate) const fn is_tchar(b: u8) -> bool {
    TCHAR[b as usize]
}

/// [`is_tchar`] as a table, built from the ABNF rule.
const TCHAR: [bool; 256] = class_table!(|b| matches!(
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
));

/// True for a byte that may appear in a field value: `field-vchar`, `SP` or `HTAB`
/// (RFC 9110 §5.5: `field-content = field-vchar [ 1*( SP / HTAB / field-vchar )
/// field-vchar ]`). Everything else (CR, LF, NUL, other controls, DEL) is not.
#[inline]
pub(crate) const fn is_value_byte(b: u8) -> bool {
    VALUE_BYTE[b as usize]
}

/// [`is_value_byte`] as a table.
const VALUE_BYTE: [bool; 256] = class_table!(|b| is_field_vchar(b) || is_ows(b));

/// True for a byte of a `Host` value: `uri-host [ ":" port ]` (RFC 9110 §7.2), where
/// uri-host is an IP-literal, IPv4address or reg-name (RFC 3986 §3.2.2), all drawn
/// from these characters.
#[inline]
pub(crate) const fn is_host_char(b: u8) -> bool {
    HOST_CHAR[b as usize]
}

/// [`is_host_char`] as a table.
const HOST_CHAR: [bool; 256] =
    class_table!(|b| b.is_ascii_alphanumeric() || one_of(b"-._~%!$&'()*+,;=:[]", b));

/// True if every byte of `bytes` is in the class `table` (`iter().all` for `const`
/// checks).
const fn all_in(bytes: &[u8], table: &[bool; 256]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        if !table[bytes[i] as usize] {
            return false;
        }
        i += 1;
    }
    true
}

/// True if `b` is in `set` (`contains` for `const` tables).
const fn one_of(set: &[u8], b: u8) -> bool {
    let mut i = 0;
    while i < set.len() {
        if set[i] == b {
            return true;
        }
        i += 1;
    }
    false
}

/// How many bytes at the start of `bytes` belong to `class` (the length of the run).
#[inline]
pub(crate) fn run_len(bytes: &[u8], class: impl Fn(u8) -> bool) -> usize {
    bytes.iter().position(|&b| !class(b)).unwrap_or(bytes.len())
}

/// `VCHAR = %x21-7E` (RFC 5234 B.1).
#[inline]
pub(crate) const fn is_vchar(b: u8) -> bool {
    matches!(b, 0x21..=0x7e)
}

/// `field-vchar = VCHAR / obs-text`, `obs-text = %x80-FF` (RFC 9110 §5.5).
#[inline]
pub(crate) const fn is_field_vchar(b: u8) -> bool {
    is_vchar(b) || b >= 0x80
}

/// `OWS = *( SP / HTAB )` (RFC 9110 §5.6.3).
#[inline]
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
pub(crate) const fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && all_in(s, &TCHAR)
}

/// True if `value` can be written as a field value exactly as it is: only
/// [`is_value_byte`] bytes, and no whitespace at either end (RFC 9112 §5.1: OWS around
/// a value is not part of it).
pub(crate) const fn is_clean_value(value: &[u8]) -> bool {
    if !all_in(value, &VALUE_BYTE) {
        return false;
    }
    match value {
        [first, .., last] => !is_ows(*first) && !is_ows(*last),
        [only] => !is_ows(*only),
        [] => true,
    }
}

/// Trims `OWS` on both sides.
#[inline]
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
    fn tables_agree_with_the_rules() {
        for b in 0..=255u8 {
            let tchar = b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
            assert_eq!(is_tchar(b), tchar, "tchar {b:#04x}");
            let value = b == b' ' || b == b'\t' || (0x21..=0x7e).contains(&b) || b >= 0x80;
            assert_eq!(is_value_byte(b), value, "value byte {b:#04x}");
            let host = b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=:[]".contains(&b);
            assert_eq!(is_host_char(b), host, "host {b:#04x}");
        }
        assert_eq!(run_len(b"GET /", is_tchar), 3);
        assert_eq!(run_len(b"abc", is_tchar), 3);
        assert!(is_clean_value(b"text/plain; charset=utf-8"));
        assert!(is_clean_value(b""));
        assert!(!is_clean_value(b" a"));
        assert!(!is_clean_value(b"a\t"));
        assert!(!is_clean_value(b"a\r\nb"));
    }

    #[test]
    fn list_elements_skip_empty_members() {
        let v: Vec<&[u8]> = list_elements(b" ,a , b,,\tc ,").collect();
        assert_eq!(v, vec![&b"a"[..], b"b", b"c"]);
    }
}
