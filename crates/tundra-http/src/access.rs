//! [`AccessLogEntry`]: what the server tells its driver about each response, and
//! [`LoggedTarget`], the request target inside it.
//!
//! An entry is made for every request, so it is built without touching the heap in the
//! common case: the method is a [`Method`] (a plain value for the standard methods) and
//! a target of up to [`LoggedTarget::INLINE`] bytes is copied into the entry itself.

use core::fmt;
use core::ops::Deref;

use tundra_core::Duration;

use crate::message::{Method, Version};
use crate::status::StatusCode;

/// One access-log line: what was asked, what was answered, how long it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogEntry {
    /// The method, or `None` (shown as `-`) if the request did not parse.
    pub method: Option<Method>,
    /// The request target, or `None` (shown as `-`).
    pub target: Option<LoggedTarget>,
    /// The request version, if it parsed.
    pub version: Option<Version>,
    /// The status sent.
    pub status: StatusCode,
    /// Body bytes sent (0 for HEAD and bodiless statuses).
    pub body_bytes: u64,
    /// From the first byte of the request to the last byte of the response queued.
    pub duration: Duration,
}

/// `"GET /hello HTTP/1.1" 200 13 0.120ms` (Common Log Format's request, status and
/// size, then the duration).
impl fmt::Display for AccessLogEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let method = self.method.as_ref().map_or("-", Method::as_str);
        let target = self.target.as_deref().unwrap_or("-");
        write!(f, "\"{method} {target}")?;
        if let Some(v) = self.version {
            write!(f, " {v}")?;
        }
        write!(
            f,
            "\" {} {} {}",
            self.status.0, self.body_bytes, self.duration
        )
    }
}

/// A request target as logged: a copy that needs no allocation when it is short.
#[derive(Clone)]
pub struct LoggedTarget(Repr);

#[derive(Clone)]
enum Repr {
    /// The first `len` bytes of `bytes`, copied whole from a `str`.
    Inline {
        len: u8,
        bytes: [u8; LoggedTarget::INLINE],
    },
    /// A target longer than `INLINE`.
    Heap(String),
}

impl LoggedTarget {
    /// Targets up to this many bytes (nearly all) are kept inside the entry.
    pub const INLINE: usize = 64;

    /// A copy of `target`.
    pub fn new(target: &str) -> LoggedTarget {
        match u8::try_from(target.len()) {
            Ok(len) if target.len() <= LoggedTarget::INLINE => {
                let mut bytes = [0; LoggedTarget::INLINE];
                bytes[..target.len()].copy_from_slice(target.as_bytes());
                LoggedTarget(Repr::Inline { len, bytes })
            }
            _ => LoggedTarget(Repr::Heap(target.to_owned())),
        }
    }

    /// The target text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Never fails: the bytes were copied whole from a `str` in `new`.
            Repr::Inline { len, bytes } => {
                core::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Repr::Heap(s) => s,
        }
    }
}

impl Deref for LoggedTarget {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for LoggedTarget {
    fn from(target: &str) -> LoggedTarget {
        LoggedTarget::new(target)
    }
}

impl PartialEq for LoggedTarget {
    fn eq(&self, other: &LoggedTarget) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for LoggedTarget {}

impl PartialEq<str> for LoggedTarget {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for LoggedTarget {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for LoggedTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for LoggedTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_targets_read_back_the_same() {
        let short = "/hello?x=ü";
        let long = format!("/{}", "a".repeat(LoggedTarget::INLINE));
        assert_eq!(LoggedTarget::new(short), short);
        assert_eq!(LoggedTarget::new(&long).as_str(), long);
        assert!(matches!(LoggedTarget::new(short).0, Repr::Inline { .. }));
        assert!(matches!(LoggedTarget::new(&long).0, Repr::Heap(_)));
        assert_eq!(LoggedTarget::new("").as_str(), "");
    }

    #[test]
    fn an_unparsed_request_shows_dashes() {
        let entry = AccessLogEntry {
            method: None,
            target: None,
            version: None,
            status: StatusCode(400),
            body_bytes: 30,
            duration: Duration::from_millis(1),
        };
        assert_eq!(entry.to_string(), "\"- -\" 400 30 1.000ms");
    }
}
