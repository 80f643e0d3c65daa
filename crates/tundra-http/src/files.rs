//! Static files: the [`FileSource`] trait the driver implements (with `std::fs` in the
//! binary, [`MemoryFiles`] in tests), path sanitizing, Content-Type by extension, and
//! [`StaticFiles`], which answers GET and HEAD with validators and conditional
//! requests (RFC 9110 §8.8 ETag and Last-Modified, §13.1.2 If-None-Match, §13.1.3
//! If-Modified-Since).
//!
//! Paths handed to a `FileSource` are relative to its root and already safe: `""` for
//! the root itself, otherwise `/`-separated segments, none of them empty, `.` or `..`,
//! and no backslash, NUL or control character anywhere. A `std::fs` implementation
//! should still refuse symbolic links that lead outside the root.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::date::{format_imf_fixdate, parse_imf_fixdate};
use crate::error::FileError;
use crate::message::{Method, Request};
use crate::response::{BodyStream, Response};
use crate::status::StatusCode;

/// What a file source says about a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileMeta {
    /// Size in bytes (0 for directories).
    pub len: u64,
    /// Last modification, seconds since the Unix epoch, if known.
    pub modified_unix_secs: Option<u64>,
    /// True for a directory.
    pub is_dir: bool,
}

/// Read-only access to a tree of files. Implemented by the driver; the HTTP crate
/// never touches the file system itself.
pub trait FileSource: Send + Sync {
    /// Metadata of `path` (see the module doc for the form of paths).
    fn metadata(&self, path: &str) -> Result<FileMeta, FileError>;

    /// Reads up to `buf.len()` bytes of `path` starting at `offset`; `Ok(0)` at the
    /// end of the file.
    fn read_at(&self, path: &str, offset: u64, buf: &mut [u8]) -> Result<usize, FileError>;
}

/// An in-memory [`FileSource`] for tests and for built-in pages.
#[derive(Debug, Clone, Default)]
pub struct MemoryFiles {
    files: BTreeMap<String, (Arc<[u8]>, Option<u64>)>,
}

impl MemoryFiles {
    /// An empty tree (only the root directory exists).
    pub fn new() -> MemoryFiles {
        MemoryFiles::default()
    }

    /// Adds a file at `path` (relative, `/`-separated); its parents exist implicitly.
    pub fn insert(
        &mut self,
        path: &str,
        bytes: impl Into<Arc<[u8]>>,
        modified_unix_secs: Option<u64>,
    ) {
        self.files
            .insert(path.to_owned(), (bytes.into(), modified_unix_secs));
    }

    /// Builder form of [`MemoryFiles::insert`].
    pub fn with_file(
        mut self,
        path: &str,
        bytes: impl Into<Arc<[u8]>>,
        modified_unix_secs: Option<u64>,
    ) -> Self {
        self.insert(path, bytes, modified_unix_secs);
        self
    }
}

impl FileSource for MemoryFiles {
    fn metadata(&self, path: &str) -> Result<FileMeta, FileError> {
        if let Some((bytes, modified)) = self.files.get(path) {
            return Ok(FileMeta {
                len: bytes.len() as u64,
                modified_unix_secs: *modified,
                is_dir: false,
            });
        }
        let dir_prefix = format!("{path}/");
        let is_dir = path.is_empty() || self.files.keys().any(|k| k.starts_with(&dir_prefix));
        if is_dir {
            Ok(FileMeta {
                len: 0,
                modified_unix_secs: None,
                is_dir: true,
            })
        } else {
            Err(FileError::NotFound)
        }
    }

    fn read_at(&self, path: &str, offset: u64, buf: &mut [u8]) -> Result<usize, FileError> {
        let (bytes, _) = self.files.get(path).ok_or(FileError::NotFound)?;
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let n = buf.len().min(bytes.len() - start);
        buf[..n].copy_from_slice(&bytes[start..start + n]);
        Ok(n)
    }
}

/// Why a request path was refused before reaching the file source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnsafePath;

/// Turns the percent-encoded path below a mount point into a safe relative path, or
/// refuses it. Refused: `.` and `..` segments (also as `%2e%2e`), empty segments (so
/// `//etc/passwd` cannot name an absolute path), backslashes, NUL and other controls,
/// bad `%` escapes, and non-UTF-8. Decoding happens once, before splitting, so an
/// encoded slash cannot hide a `..` (RFC 3986 §7.3 on percent-encoding pitfalls).
pub fn sanitize_path(raw: &str) -> Result<String, UnsafePath> {
    let mut decoded = Vec::with_capacity(raw.len());
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |j: usize| bytes.get(j).and_then(|&b| crate::chars::hex_value(b));
            let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) else {
                return Err(UnsafePath);
            };
            decoded.push(hi << 4 | lo);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    if decoded.iter().any(|&b| b == b'\\' || b < 0x20 || b == 0x7f) {
        return Err(UnsafePath);
    }
    let s = String::from_utf8(decoded).map_err(|_| UnsafePath)?;
    let s = s.strip_prefix('/').unwrap_or(&s);
    let s = s.strip_suffix('/').unwrap_or(s);
    if s.is_empty() {
        return Ok(String::new());
    }
    if s.split('/')
        .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return Err(UnsafePath);
    }
    Ok(s.to_owned())
}

/// The Content-Type for a file name, by its extension.
pub fn content_type_for(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = match name.rsplit_once('.') {
        Some((_, ext)) => ext.to_ascii_lowercase(),
        None => return "application/octet-stream",
    };
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "txt" | "text" | "log" => "text/plain; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "tar" => "application/x-tar",
        "pcap" => "application/vnd.tcpdump.pcap",
        _ => "application/octet-stream",
    }
}

/// Serves files from a [`FileSource`] (mount it with [`crate::Router::static_files`]).
#[derive(Clone)]
pub struct StaticFiles {
    source: Arc<dyn FileSource>,
    index: String,
}

impl core::fmt::Debug for StaticFiles {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "StaticFiles(index {:?})", self.index)
    }
}

impl StaticFiles {
    /// Files from `source`, with `index.html` served for directories.
    pub fn new(source: Arc<dyn FileSource>) -> StaticFiles {
        StaticFiles {
            source,
            index: "index.html".to_owned(),
        }
    }

    /// Answers a GET or HEAD for `rest`, the percent-encoded path below the mount.
    pub fn serve(&self, req: &Request, rest: &str) -> Response {
        let Ok(mut path) = sanitize_path(rest) else {
            log::debug!("refused unsafe path {rest:?}");
            return Response::status_page(StatusCode::BAD_REQUEST);
        };
        let mut meta = match self.source.metadata(&path) {
            Ok(m) => m,
            Err(e) => return error_page(e),
        };
        if meta.is_dir {
            if !rest.ends_with('/') {
                // Relative links in the index only work from `dir/`.
                return Response::status_page(StatusCode::MOVED_PERMANENTLY)
                    .header("Location", format!("{}/", req.path()));
            }
            path = if path.is_empty() {
                self.index.clone()
            } else {
                format!("{path}/{}", self.index)
            };
            meta = match self.source.metadata(&path) {
                Ok(m) if !m.is_dir => m,
                Ok(_) => return Response::status_page(StatusCode::NOT_FOUND),
                Err(e) => return error_page(e),
            };
        }
        // RFC 9110 §8.8.3: an entity tag changes when the representation does; size
        // and modification time stand in for the content (as nginx does).
        let etag = format!(
            "\"{:x}-{:x}\"",
            meta.modified_unix_secs.unwrap_or(0),
            meta.len
        );
        let last_modified = meta.modified_unix_secs.map(format_imf_fixdate);
        if not_modified(req, &etag, meta.modified_unix_secs) {
            // RFC 9110 §15.4.5: a 304 carries the validators a 200 would have.
            let mut r = Response::new(StatusCode::NOT_MODIFIED).header("ETag", etag.as_str());
            if let Some(lm) = &last_modified {
                r = r.header("Last-Modified", lm.as_str());
            }
            return r;
        }
        let mut r = Response::new(StatusCode::OK)
            .header("Content-Type", content_type_for(&path))
            .header("ETag", etag.as_str());
        if let Some(lm) = last_modified {
            r = r.header("Last-Modified", lm);
        }
        r.with_stream(Box::new(FileBody {
            source: self.source.clone(),
            path,
            offset: 0,
            len: meta.len,
        }))
    }
}

fn error_page(e: FileError) -> Response {
    Response::status_page(match e {
        FileError::NotFound => StatusCode::NOT_FOUND,
        FileError::PermissionDenied => StatusCode::FORBIDDEN,
        FileError::Io => StatusCode::INTERNAL_SERVER_ERROR,
    })
}

/// RFC 9110 §13.2.2 steps 3 and 4 for GET/HEAD: If-None-Match (weak comparison,
/// §13.1.2) decides when present; otherwise If-Modified-Since (§13.1.3).
fn not_modified(req: &Request, etag: &str, modified: Option<u64>) -> bool {
    if !matches!(req.method, Method::Get | Method::Head) {
        return false;
    }
    let opaque = |t: &[u8]| -> Vec<u8> { t.strip_prefix(b"W/").unwrap_or(t).to_vec() };
    if req.headers.contains("if-none-match") {
        let ours = opaque(etag.as_bytes());
        return req
            .headers
            .get_all("if-none-match")
            .flat_map(crate::chars::list_elements)
            .any(|t| t == b"*" || opaque(t) == ours);
    }
    match (
        req.headers
            .get("if-modified-since")
            .and_then(parse_imf_fixdate),
        modified,
    ) {
        (Some(since), Some(m)) => m <= since,
        _ => false,
    }
}

/// A file streamed a buffer at a time.
struct FileBody {
    source: Arc<dyn FileSource>,
    path: String,
    offset: u64,
    len: u64,
}

impl BodyStream for FileBody {
    fn content_length(&self) -> Option<u64> {
        Some(self.len)
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize, FileError> {
        let left = self.len - self.offset;
        if left == 0 {
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self
            .source
            .read_at(&self.path, self.offset, &mut buf[..want])?;
        if n == 0 {
            // The file shrank after its length was sent: the body cannot be completed.
            return Err(FileError::Io);
        }
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::Headers;
    use crate::message::Version;
    use crate::response::Body;

    fn get(target: &str, headers: &[(&str, &str)]) -> Request {
        let mut h = Headers::new();
        for (n, v) in headers {
            h.push(*n, *v);
        }
        Request {
            method: Method::Get,
            target: target.into(),
            version: Version::HTTP_11,
            headers: h,
            body: Vec::new(),
            trailers: Headers::new(),
            keep_alive: true,
        }
    }

    fn site() -> StaticFiles {
        let files = MemoryFiles::new()
            .with_file("index.html", &b"<h1>hi</h1>"[..], Some(784_111_777))
            .with_file("docs/guide.md", &b"# guide"[..], Some(1_000))
            .with_file("docs/index.html", &b"docs"[..], None);
        StaticFiles::new(Arc::new(files))
    }

    fn read_all(r: Response) -> Vec<u8> {
        let Body::Stream(mut s) = r.body else {
            panic!("not a stream")
        };
        let mut out = Vec::new();
        let mut buf = [0u8; 3];
        loop {
            let n = s.read(&mut buf).unwrap();
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn traversal_attempts_are_refused() {
        for bad in [
            "/../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2fetc",
            "/docs/..%2f..%2fsecret",
            "//etc/passwd",
            "/a\\..\\b",
            "/a%5c..%5cb",
            "/a%00.html",
            "/./index.html",
            "/%zz",
            "/%ff",
        ] {
            assert_eq!(sanitize_path(bad), Err(UnsafePath), "{bad}");
            assert_eq!(
                site().serve(&get(bad, &[]), bad).status,
                StatusCode::BAD_REQUEST,
                "{bad}"
            );
        }
        assert_eq!(
            sanitize_path("/docs/guide%20v2.md").unwrap(),
            "docs/guide v2.md"
        );
        assert_eq!(sanitize_path("/").unwrap(), "");
        assert_eq!(sanitize_path("").unwrap(), "");
    }

    #[test]
    fn file_is_streamed_with_type_and_validators() {
        let r = site().serve(&get("/index.html", &[]), "/index.html");
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.headers.get_str("content-type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(
            r.headers.get_str("last-modified"),
            Some("Sun, 06 Nov 1994 08:49:37 GMT")
        );
        assert_eq!(r.headers.get_str("etag"), Some("\"2ebc98a1-b\""));
        assert_eq!(r.body.len_hint(), Some(11));
        assert_eq!(read_all(r), b"<h1>hi</h1>");
    }

    #[test]
    fn directories_get_their_index_or_a_redirect() {
        let r = site().serve(&get("/", &[]), "/");
        assert_eq!(read_all(r), b"<h1>hi</h1>");
        let r = site().serve(&get("/docs", &[]), "/docs");
        assert_eq!(r.status, StatusCode::MOVED_PERMANENTLY);
        assert_eq!(r.headers.get_str("location"), Some("/docs/"));
        assert_eq!(
            read_all(site().serve(&get("/docs/", &[]), "/docs/")),
            b"docs"
        );
        assert_eq!(
            site().serve(&get("/nope", &[]), "/nope").status,
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn conditional_requests_get_304() {
        let etag = "\"2ebc98a1-b\"";
        let r = site().serve(&get("/", &[("If-None-Match", etag)]), "/");
        assert_eq!(r.status, StatusCode::NOT_MODIFIED);
        assert_eq!(r.headers.get_str("etag"), Some(etag));
        let r = site().serve(
            &get("/", &[("If-None-Match", "\"other\", W/\"2ebc98a1-b\"")]),
            "/",
        );
        assert_eq!(r.status, StatusCode::NOT_MODIFIED, "weak comparison");
        let r = site().serve(&get("/", &[("If-None-Match", "\"other\"")]), "/");
        assert_eq!(r.status, StatusCode::OK);
        let r = site().serve(
            &get(
                "/",
                &[("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT")],
            ),
            "/",
        );
        assert_eq!(r.status, StatusCode::NOT_MODIFIED);
        let r = site().serve(
            &get(
                "/",
                &[("If-Modified-Since", "Sun, 06 Nov 1994 08:49:36 GMT")],
            ),
            "/",
        );
        assert_eq!(r.status, StatusCode::OK);
        // RFC 9110 §13.1.3: If-Modified-Since is ignored when If-None-Match is present.
        let r = site().serve(
            &get(
                "/",
                &[
                    ("If-None-Match", "\"x\""),
                    ("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"),
                ],
            ),
            "/",
        );
        assert_eq!(r.status, StatusCode::OK);
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(content_type_for("a/b/style.CSS"), "text/css; charset=utf-8");
        assert_eq!(content_type_for("x.wasm"), "application/wasm");
        assert_eq!(content_type_for("README"), "application/octet-stream");
        assert_eq!(content_type_for("dir.d/file"), "application/octet-stream");
    }
}
