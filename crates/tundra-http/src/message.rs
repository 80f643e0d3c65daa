//! The owned request a handler sees, its [`Method`] and the protocol [`Version`].

use core::fmt;

use crate::headers::Headers;

/// A request method (RFC 9110 §9). Methods are case-sensitive tokens; the standard
/// ones get a variant, any other token is kept in [`Method::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// GET (RFC 9110 §9.3.1).
    Get,
    /// HEAD (RFC 9110 §9.3.2): GET without content in the response.
    Head,
    /// POST (RFC 9110 §9.3.3).
    Post,
    /// PUT (RFC 9110 §9.3.4).
    Put,
    /// DELETE (RFC 9110 §9.3.5).
    Delete,
    /// CONNECT (RFC 9110 §9.3.6).
    Connect,
    /// OPTIONS (RFC 9110 §9.3.7).
    Options,
    /// TRACE (RFC 9110 §9.3.8).
    Trace,
    /// PATCH (RFC 5789).
    Patch,
    /// Any other token.
    Other(String),
}

impl Method {
    /// The method for a token (case-sensitive, RFC 9110 §9.1).
    pub fn from_token(token: &str) -> Method {
        match token {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "CONNECT" => Method::Connect,
            "OPTIONS" => Method::Options,
            "TRACE" => Method::Trace,
            "PATCH" => Method::Patch,
            other => Method::Other(other.to_owned()),
        }
    }

    /// The token as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Connect => "CONNECT",
            Method::Options => "OPTIONS",
            Method::Trace => "TRACE",
            Method::Patch => "PATCH",
            Method::Other(s) => s,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `HTTP-version = HTTP-name "/" DIGIT "." DIGIT` (RFC 9112 §2.3). The parser only
/// accepts major version 1; minor versions above 1 are treated as 1.1 (RFC 9110 §2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// The major version digit.
    pub major: u8,
    /// The minor version digit.
    pub minor: u8,
}

impl Version {
    /// HTTP/1.0.
    pub const HTTP_10: Version = Version { major: 1, minor: 0 };
    /// HTTP/1.1.
    pub const HTTP_11: Version = Version { major: 1, minor: 1 };

    /// True for 1.1 and later 1.x: persistent connections by default, chunked allowed,
    /// Host required (RFC 9112 §9.3, §3.2).
    #[inline]
    pub const fn is_http11(self) -> bool {
        self.major > 1 || (self.major == 1 && self.minor >= 1)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP/{}.{}", self.major, self.minor)
    }
}

/// A complete request as a handler sees it: head, whole body and trailers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The request target as received (origin-, absolute-, authority- or
    /// asterisk-form, RFC 9112 §3.2).
    pub target: String,
    /// The version the client sent.
    pub version: Version,
    /// The header fields in order.
    pub headers: Headers,
    /// The decoded body (Content-Length or chunked).
    pub body: Vec<u8>,
    /// Trailer fields of a chunked body (RFC 9112 §7.1.2), kept apart from the headers.
    pub trailers: Headers,
    /// Whether the connection stays open after this request (RFC 9112 §9.3).
    pub keep_alive: bool,
}

impl Request {
    /// The path component of the target: for origin-form everything before `?`; for
    /// absolute-form (RFC 9112 §3.2.2) the path after the authority (`/` if empty);
    /// `*` and authority-form targets are returned unchanged.
    #[inline]
    pub fn path(&self) -> &str {
        let t = self.target.as_str();
        let path = if t.starts_with('/') {
            t
        } else if let Some(after_scheme) = t.find("://").map(|i| &t[i + 3..]) {
            match after_scheme.find('/') {
                Some(i) => &after_scheme[i..],
                None => "/",
            }
        } else {
            return t;
        };
        // A byte search: `?` and `#` are ASCII, so the index is a char boundary.
        let end = path
            .bytes()
            .position(|b| b == b'?' || b == b'#')
            .unwrap_or(path.len());
        &path[..end]
    }

    /// The query component after `?`, if any.
    pub fn query(&self) -> Option<&str> {
        let t = self.target.as_str();
        let q = &t[t.find('?')? + 1..];
        Some(&q[..q.find('#').unwrap_or(q.len())])
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} ({} fields, {} body bytes)",
            self.method,
            self.target,
            self.version,
            self.headers.len(),
            self.body.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(target: &str) -> Request {
        Request {
            method: Method::Get,
            target: target.into(),
            version: Version::HTTP_11,
            headers: Headers::new(),
            body: Vec::new(),
            trailers: Headers::new(),
            keep_alive: true,
        }
    }

    #[test]
    fn path_and_query_of_each_target_form() {
        assert_eq!(req("/a/b?x=1").path(), "/a/b");
        assert_eq!(req("/a/b?x=1").query(), Some("x=1"));
        assert_eq!(req("http://h:80/p?q").path(), "/p");
        assert_eq!(req("http://h:80").path(), "/");
        assert_eq!(req("*").path(), "*");
        assert_eq!(req("example.com:443").path(), "example.com:443");
        assert_eq!(req("/").query(), None);
    }

    #[test]
    fn methods_are_case_sensitive() {
        assert_eq!(Method::from_token("GET"), Method::Get);
        assert_eq!(Method::from_token("get"), Method::Other("get".into()));
        assert_eq!(Method::from_token("PURGE").as_str(), "PURGE");
    }
}
