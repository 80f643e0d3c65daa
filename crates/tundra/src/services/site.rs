//! The demo web site that `tundra run` serves on port 80 (curriculum Day 3): what the
//! routes answer. The HTTP service ([`super::http`]) moves the bytes; this file only
//! builds the [`Router`].
//!
//! | path | what |
//! |---|---|
//! | `/` | the index page: the stack, its live counters and socket table |
//! | `/stats` | the same counters as plain text (`netstat -s` and `ss -tan` style) |
//! | `/hello` | `Hello, world!` (13 bytes: the fixed response `scripts/bench.sh` asks for) |
//! | `/docs/` | the Markdown files of `--www DIR` (raw, or `?html` for a rendered page) |
//! | `/big?size=N` | `N` bytes (`k`, `M`, `G` suffixes) of the RFC 864 chargen pattern, streamed |
//! | `/echo` | POST: the request body comes back as the response body |
//! | `/echo`, `/chat` | GET: WebSocket echo and chat room ([`super::ws`]) |
//! | `/chat.html` | the chat page (HTML + JS) |
//!
//! Handlers cannot borrow the interface (they run inside `ServerConnection::on_bytes`,
//! and must be `Send + Sync`), so the counters reach them as a [`LiveStats`] snapshot
//! the service refreshes just before it hands received bytes in: a page is never older
//! than the request that asked for it.

use std::fmt::Write as _;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tundra_core::Instant;
use tundra_http::{
    BodyStream, FileError, FileMeta, FileSource, Method, Request, Response, Router, StaticFiles,
    StatusCode,
};
use tundra_stack::Counters;
use tundra_tcp::{SocketInfo, TcpCounters};

use super::tcp::chargen_byte;

/// The body of `/hello`.
pub const HELLO: &str = "Hello, world!";

/// One period of the chargen pattern: 95 lines of 74 bytes.
const PATTERN_PERIOD: usize = 95 * 74;

/// `/big` without `?size=`: 10 MiB.
const DEFAULT_BIG: u64 = 10 << 20;

/// The largest Markdown file rendered to HTML in memory (raw downloads stream).
const MAX_RENDERED: u64 = 2 << 20;

/// What the HTTP service itself counts, for the index page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HttpStats {
    /// Connections accepted on port 80.
    pub connections: u64,
    /// Connections open now.
    pub open: usize,
    /// Responses completed.
    pub responses: u64,
    /// Responses by class: 1xx..5xx.
    pub by_class: [u64; 5],
    /// Body bytes sent.
    pub body_bytes: u64,
}

/// The counters the index page shows, as of the last refresh.
#[derive(Debug, Clone, Default)]
pub struct LiveStats {
    /// The stack's address.
    pub address: String,
    /// The interface counters (link, ARP, IP, ICMP, UDP).
    pub iface: Counters,
    /// The TCP endpoint's counters.
    pub tcp: TcpCounters,
    /// The TCP socket table.
    pub sockets: Vec<SocketInfo>,
    /// The HTTP service's own counters.
    pub http: HttpStats,
}

/// The snapshot shared between the service (writer) and the handlers (readers).
pub type Live = Arc<Mutex<LiveStats>>;

/// The site's routes. `www` is the directory served under `/docs/`, if any.
pub fn router(live: Live, www: Option<PathBuf>) -> Router {
    let pattern: Arc<[u8]> = (0..(2 * PATTERN_PERIOD) as u64)
        .map(chargen_byte)
        .collect::<Vec<u8>>()
        .into();
    let index_live = live.clone();
    let docs = www.and_then(|dir| match FsFiles::new(&dir) {
        Ok(files) => {
            log::info!("http: serving {} under /docs/", files.root.display());
            Some(Arc::new(files))
        }
        Err(e) => {
            log::warn!("http: --www {}: {e}; no /docs/", dir.display());
            None
        }
    });
    let router = Router::new()
        .get("/", move |_req, ctx| {
            Response::html(index_page(&snapshot(&index_live), ctx.now))
        })
        .get("/stats", move |_req, _ctx| {
            Response::text(StatusCode::OK, stats_text(&snapshot(&live)))
        })
        // The smallest dynamic page: the benchmarks' fixed 13-byte response.
        .get("/hello", |_req, _ctx| Response::text(StatusCode::OK, HELLO))
        .get("/big", move |req, _ctx| {
            let size = match req.query().map(size_param).unwrap_or(Some(DEFAULT_BIG)) {
                Some(size) => size,
                None => {
                    return Response::text(
                        StatusCode::BAD_REQUEST,
                        "size must be a number of bytes, optionally with k, M or G\n",
                    )
                }
            };
            Response::new(StatusCode::OK)
                .header("Content-Type", "application/octet-stream")
                .with_stream(Box::new(PatternBody {
                    pattern: pattern.clone(),
                    len: size,
                    pos: 0,
                }))
        })
        .post("/echo", |req, _ctx| {
            let content_type = req
                .headers
                .get("content-type")
                .unwrap_or(b"application/octet-stream")
                .to_vec();
            Response::new(StatusCode::OK)
                .header("Content-Type", content_type)
                .with_body(req.body.clone())
        })
        .prefix(Method::Get, "/docs", move |req, ctx| match &docs {
            Some(files) => docs_page(files, req, ctx.rest),
            None => Response::text(
                StatusCode::NOT_FOUND,
                "no docs directory is served (tundra run --www DIR)\n",
            ),
        });
    super::ws::add_routes(router)
}

fn snapshot(live: &Live) -> LiveStats {
    live.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// `size=N` in a query string, with an optional binary suffix (`k`, `M`, `G`).
fn size_param(query: &str) -> Option<u64> {
    let Some(value) = query.split('&').find_map(|kv| kv.strip_prefix("size=")) else {
        return Some(DEFAULT_BIG);
    };
    let (digits, shift) = match value.as_bytes().last()? {
        b'k' | b'K' => (&value[..value.len() - 1], 10),
        b'm' | b'M' => (&value[..value.len() - 1], 20),
        b'g' | b'G' => (&value[..value.len() - 1], 30),
        _ => (value, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(1 << shift)
}

/// `/big`: `len` bytes of the chargen pattern, generated as the connection pulls them.
struct PatternBody {
    /// Two periods of the pattern, so any offset starts a contiguous period.
    pattern: Arc<[u8]>,
    len: u64,
    pos: u64,
}

impl BodyStream for PatternBody {
    fn content_length(&self) -> Option<u64> {
        Some(self.len)
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize, FileError> {
        let mut n = 0;
        while n < buf.len() && self.pos < self.len {
            let offset = (self.pos % PATTERN_PERIOD as u64) as usize;
            let left = usize::try_from(self.len - self.pos).unwrap_or(usize::MAX);
            let take = (buf.len() - n).min(PATTERN_PERIOD).min(left);
            buf[n..n + take].copy_from_slice(&self.pattern[offset..offset + take]);
            n += take;
            self.pos += take as u64;
        }
        Ok(n)
    }
}

// ------------------------------------------------------------------ files

/// A [`FileSource`] over `std::fs`, rooted at a directory. Paths come sanitized from
/// `tundra-http` (no `..`, no empty segments); on top of that every path is resolved
/// (symbolic links followed) and refused unless it is still inside the root.
#[derive(Debug)]
pub struct FsFiles {
    root: PathBuf,
}

impl FsFiles {
    /// Files below `root`, which must be a directory.
    pub fn new(root: &Path) -> std::io::Result<FsFiles> {
        let root = root.canonicalize()?;
        if !root.is_dir() {
            return Err(std::io::Error::other("not a directory"));
        }
        Ok(FsFiles { root })
    }

    /// The real path of `rel`, if it exists inside the root.
    fn resolve(&self, rel: &str) -> Result<PathBuf, FileError> {
        let path = self.root.join(rel).canonicalize().map_err(io_error)?;
        if !path.starts_with(&self.root) {
            log::debug!("http: {rel:?} resolves outside the root; refused");
            return Err(FileError::PermissionDenied);
        }
        Ok(path)
    }

    /// The regular files directly in the root, sorted by name.
    fn list(&self) -> Vec<(String, u64)> {
        let mut files: Vec<(String, u64)> = std::fs::read_dir(&self.root)
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter_map(|e| {
                        let meta = e.metadata().ok().filter(|m| m.is_file())?;
                        Some((e.file_name().into_string().ok()?, meta.len()))
                    })
                    .filter(|(name, _)| !name.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    }
}

fn io_error(e: std::io::Error) -> FileError {
    match e.kind() {
        std::io::ErrorKind::NotFound => FileError::NotFound,
        std::io::ErrorKind::PermissionDenied => FileError::PermissionDenied,
        _ => FileError::Io,
    }
}

impl FileSource for FsFiles {
    fn metadata(&self, path: &str) -> Result<FileMeta, FileError> {
        let meta = std::fs::metadata(self.resolve(path)?).map_err(io_error)?;
        Ok(FileMeta {
            len: if meta.is_file() { meta.len() } else { 0 },
            modified_unix_secs: meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs()),
            is_dir: meta.is_dir(),
        })
    }

    fn read_at(&self, path: &str, offset: u64, buf: &mut [u8]) -> Result<usize, FileError> {
        let file = std::fs::File::open(self.resolve(path)?).map_err(io_error)?;
        file.read_at(buf, offset).map_err(io_error)
    }
}

/// `/docs...`: a listing at `/docs/`, rendered Markdown for `?html`, else the raw file
/// (with ETag, Last-Modified and 304s from [`StaticFiles`]).
fn docs_page(files: &Arc<FsFiles>, req: &Request, rest: &str) -> Response {
    if rest.is_empty() {
        return Response::new(StatusCode::MOVED_PERMANENTLY).header("Location", "/docs/");
    }
    if rest == "/" {
        return Response::html(docs_listing(&files.list()));
    }
    let static_files = StaticFiles::new(files.clone());
    if req.query() != Some("html") {
        return static_files.serve(req, rest);
    }
    // Rendered view: only for Markdown files of a sane size.
    let Ok(path) = tundra_http::sanitize_path(rest) else {
        return Response::status_page(StatusCode::BAD_REQUEST);
    };
    let meta = match files.metadata(&path) {
        Ok(m) if !m.is_dir && m.len <= MAX_RENDERED && path.ends_with(".md") => m,
        Ok(_) => return static_files.serve(req, rest),
        Err(_) => return Response::status_page(StatusCode::NOT_FOUND),
    };
    let mut text = vec![0; meta.len as usize];
    let mut filled = 0;
    while filled < text.len() {
        match files.read_at(&path, filled as u64, &mut text[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    text.truncate(filled);
    Response::html(markdown_page(&path, &String::from_utf8_lossy(&text)))
}

fn docs_listing(files: &[(String, u64)]) -> String {
    let mut html = page_head("Tundra docs");
    html.push_str("<h1>Docs</h1>\n<p><a href=\"/\">&larr; the stack</a></p>\n<ul>\n");
    for (name, len) in files {
        let name = escape(name);
        if name.ends_with(".md") {
            let _ = writeln!(
                html,
                "<li><a href=\"{name}?html\">{name}</a> ({len} bytes, <a href=\"{name}\">raw</a>)</li>"
            );
        } else {
            let _ = writeln!(html, "<li><a href=\"{name}\">{name}</a> ({len} bytes)</li>");
        }
    }
    html.push_str("</ul>\n</body></html>\n");
    html
}

// ------------------------------------------------------------------ pages

fn page_head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title>\n\
         <style>body{{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em}}\
         pre{{background:#f4f4f4;padding:.5em;overflow-x:auto}}\
         table{{border-collapse:collapse}}td,th{{padding:.1em .6em;text-align:left}}\
         td.n{{text-align:right;font-family:monospace}}</style></head><body>\n",
        escape(title)
    )
}

/// The index page: what the stack is, what to try, and its counters right now.
fn index_page(live: &LiveStats, now: Instant) -> String {
    let addr = escape(&live.address);
    let mut html = page_head("Tundra");
    let uptime = now.total_micros().max(0) as f64 / 1e6;
    let h = &live.http;
    let _ = write!(
        html,
        "<h1>Tundra at {addr}</h1>\n\
         <p>This page comes from a TCP/IP stack written from scratch in Rust, running in \
         user space on a TUN/TAP device: its own IPv4, ICMP, UDP, TCP (RFC 9293) and \
         HTTP/1.1 (RFC 9112). Up {uptime:.1} s. The numbers below were read when your \
         request arrived.</p>\n\
         <h2>Try</h2>\n<ul>\n\
         <li><code>curl -v http://{addr}/</code> and the same in Wireshark (Follow TCP Stream)</li>\n\
         <li><code>curl -o /dev/null http://{addr}/big?size=100M</code>: 100 MiB of the RFC 864 pattern</li>\n\
         <li><code>curl --data-binary @file http://{addr}/echo</code>: your bytes back</li>\n\
         <li><a href=\"/chat.html\">/chat.html</a>: a WebSocket chat room (<code>ws://{addr}/chat</code>; <code>ws://{addr}/echo</code> echoes)</li>\n\
         <li><a href=\"/docs/\">/docs/</a>: how it works; <a href=\"/stats\">/stats</a>: these counters as text</li>\n\
         </ul>\n\
         <h2>HTTP</h2>\n<table>\n\
         <tr><td class=n>{}</td><td>connections accepted ({} open)</td></tr>\n\
         <tr><td class=n>{}</td><td>responses ({} 2xx, {} 3xx, {} 4xx, {} 5xx)</td></tr>\n\
         <tr><td class=n>{}</td><td>body bytes sent</td></tr>\n</table>\n",
        h.connections,
        h.open,
        h.responses,
        h.by_class[1],
        h.by_class[2],
        h.by_class[3],
        h.by_class[4],
        h.body_bytes,
    );
    html.push_str("<h2>TCP sockets</h2>\n<pre>");
    html.push_str(&escape(&socket_table(&live.sockets)));
    html.push_str("</pre>\n<h2>TCP</h2>\n<pre>");
    html.push_str(&escape(&live.tcp.to_string()));
    html.push_str("</pre>\n<h2>Interface</h2>\n<table>\n");
    let mut section = "";
    for (sec, name, desc, value) in live.iface.entries() {
        if sec != section {
            let _ = writeln!(html, "<tr><th colspan=2>{}</th></tr>", escape(sec));
            section = sec;
        }
        let _ = writeln!(
            html,
            "<tr><td class=n>{value}</td><td title=\"{name}\">{}</td></tr>",
            escape(desc)
        );
    }
    html.push_str("</table>\n</body></html>\n");
    html
}

fn socket_table(rows: &[SocketInfo]) -> String {
    let mut out = String::new();
    let _ = tundra_tcp::endpoint::write_socket_table(&mut out, rows);
    out
}

/// `/stats`: the interface and TCP counters like `netstat -s`, then the socket table.
fn stats_text(live: &LiveStats) -> String {
    let h = &live.http;
    format!(
        "{}{}Http:\n    {} connections accepted\n    {} connections open\n    {} responses\n    {} body bytes sent\n{}",
        live.iface,
        live.tcp,
        h.connections,
        h.open,
        h.responses,
        h.body_bytes,
        socket_table(&live.sockets)
    )
}

/// Escapes text for HTML element content and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A minimal Markdown renderer for the docs: headings, fenced code, lists, tables (kept
/// as preformatted text), paragraphs, and inline `code` and [links](x.md). Everything
/// else is shown as written, escaped.
fn markdown_page(name: &str, md: &str) -> String {
    let mut html = page_head(name);
    html.push_str("<p><a href=\"/docs/\">&larr; docs</a></p>\n");
    let mut in_code = false;
    let mut in_list = false;
    let mut in_table = false;
    let mut paragraph = String::new();
    let flush_paragraph = |html: &mut String, p: &mut String| {
        if !p.is_empty() {
            let _ = writeln!(html, "<p>{}</p>", inline(p.trim_end()));
            p.clear();
        }
    };
    for line in md.lines() {
        if in_code {
            if line.trim_start().starts_with("```") {
                html.push_str("</code></pre>\n");
                in_code = false;
            } else {
                html.push_str(&escape(line));
                html.push('\n');
            }
            continue;
        }
        let trimmed = line.trim_start();
        let is_item = trimmed.starts_with("- ") || trimmed.starts_with("* ");
        let is_row = trimmed.starts_with('|');
        let continues_item = line.starts_with("  ") && !trimmed.is_empty();
        if in_list && !is_item && !continues_item {
            html.push_str("</ul>\n");
            in_list = false;
        }
        if in_table && !is_row {
            html.push_str("</pre>\n");
            in_table = false;
        }
        if trimmed.starts_with("```") {
            flush_paragraph(&mut html, &mut paragraph);
            html.push_str("<pre><code>");
            in_code = true;
        } else if let Some(level) = heading_level(line) {
            flush_paragraph(&mut html, &mut paragraph);
            let text = line[level..].trim();
            let _ = writeln!(html, "<h{level}>{}</h{level}>", inline(text));
        } else if is_item {
            flush_paragraph(&mut html, &mut paragraph);
            if !in_list {
                html.push_str("<ul>\n");
                in_list = true;
            }
            let _ = writeln!(html, "<li>{}</li>", inline(&trimmed[2..]));
        } else if in_list {
            // A continuation line of the last item.
            let _ = writeln!(html, " {}", inline(trimmed));
        } else if is_row {
            flush_paragraph(&mut html, &mut paragraph);
            if !in_table {
                html.push_str("<pre>");
                in_table = true;
            }
            html.push_str(&escape(line));
            html.push('\n');
        } else if trimmed.is_empty() {
            flush_paragraph(&mut html, &mut paragraph);
        } else {
            paragraph.push_str(trimmed);
            paragraph.push('\n');
        }
    }
    flush_paragraph(&mut html, &mut paragraph);
    if in_code {
        html.push_str("</code></pre>\n");
    }
    if in_list {
        html.push_str("</ul>\n");
    }
    if in_table {
        html.push_str("</pre>\n");
    }
    html.push_str("</body></html>\n");
    html
}

/// `#`..`######` followed by a space.
fn heading_level(line: &str) -> Option<usize> {
    let level = line.bytes().take_while(|&b| b == b'#').count();
    ((1..=6).contains(&level) && line.as_bytes().get(level) == Some(&b' ')).then_some(level)
}

/// Inline Markdown: `code` and [text](target), the rest escaped. Links to `.md` files
/// get `?html` so they stay rendered.
fn inline(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let next = rest.find(['`', '[']).unwrap_or(rest.len());
        out.push_str(&escape(&rest[..next]));
        rest = &rest[next..];
        if let Some(after) = rest.strip_prefix('`') {
            match after.find('`') {
                Some(end) => {
                    let _ = write!(out, "<code>{}</code>", escape(&after[..end]));
                    rest = &after[end + 1..];
                }
                None => {
                    out.push('`');
                    rest = after;
                }
            }
        } else if let Some(after) = rest.strip_prefix('[') {
            let link = after.find("](").and_then(|close| {
                let target_end = after[close + 2..].find(')')?;
                Some((
                    &after[..close],
                    &after[close + 2..close + 2 + target_end],
                    close + 3 + target_end,
                ))
            });
            match link {
                Some((label, target, used)) if !label.contains('[') => {
                    let href = match target.split_once('#') {
                        Some((file, frag)) if file.ends_with(".md") => {
                            format!("{file}?html#{frag}")
                        }
                        None if target.ends_with(".md") => format!("{target}?html"),
                        _ => target.to_string(),
                    };
                    let _ = write!(out, "<a href=\"{}\">{}</a>", escape(&href), escape(label));
                    rest = &after[used..];
                }
                _ => {
                    out.push('[');
                    rest = after;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_parameter_takes_binary_suffixes_and_refuses_junk() {
        assert_eq!(size_param("size=1000"), Some(1000));
        assert_eq!(size_param("a=1&size=2k"), Some(2048));
        assert_eq!(size_param("size=100M"), Some(100 << 20));
        assert_eq!(size_param("size=1G"), Some(1 << 30));
        assert_eq!(size_param("other=1"), Some(DEFAULT_BIG));
        assert_eq!(size_param("size="), None);
        assert_eq!(size_param("size=-1"), None);
        assert_eq!(size_param("size=12x"), None);
        assert_eq!(size_param("size=99999999999999999999"), None);
        assert_eq!(size_param("size=18446744073709551615G"), None);
    }

    #[test]
    fn big_body_is_the_chargen_stream_across_any_read_sizes() {
        let pattern: Arc<[u8]> = (0..(2 * PATTERN_PERIOD) as u64)
            .map(chargen_byte)
            .collect::<Vec<u8>>()
            .into();
        let len = 3 * PATTERN_PERIOD as u64 + 17;
        let mut body = PatternBody {
            pattern,
            len,
            pos: 0,
        };
        let mut got = Vec::new();
        let mut sizes = [1usize, 7, 7030, 9000, 65536].iter().cycle();
        loop {
            let mut buf = vec![0; *sizes.next().unwrap()];
            let n = body.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        let expected: Vec<u8> = (0..len).map(chargen_byte).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn markdown_renders_the_common_shapes_and_escapes_the_rest() {
        let html = markdown_page(
            "x.md",
            "# Title <b>\n\nSome `a<b>` and [link](tcp.md#x) text.\n\n- one\n- two\n\n```\nfn <main>\n```\n| a | b |\n|---|---|\n",
        );
        assert!(html.contains("<h1>Title &lt;b&gt;</h1>"), "{html}");
        assert!(html.contains("<code>a&lt;b&gt;</code>"), "{html}");
        assert!(
            html.contains("<a href=\"tcp.md?html#x\">link</a>"),
            "{html}"
        );
        assert!(
            html.contains("<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
            "{html}"
        );
        assert!(
            html.contains("<pre><code>fn &lt;main&gt;\n</code></pre>"),
            "{html}"
        );
        assert!(html.contains("<pre>| a | b |\n|---|---|\n</pre>"), "{html}");
        assert!(!html.contains("<b>"));
    }

    #[test]
    fn files_outside_the_root_are_refused_even_through_a_symlink() {
        let dir = std::env::temp_dir().join(format!("tundra-site-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("root")).unwrap();
        std::fs::write(dir.join("root/a.md"), b"# A\n").unwrap();
        std::fs::write(dir.join("secret"), b"no").unwrap();
        std::os::unix::fs::symlink(dir.join("secret"), dir.join("root/link")).unwrap();
        let files = FsFiles::new(&dir.join("root")).unwrap();
        assert_eq!(files.metadata("a.md").map(|m| m.len), Ok(4));
        assert_eq!(files.metadata("link"), Err(FileError::PermissionDenied));
        assert_eq!(files.metadata("nope"), Err(FileError::NotFound));
        let mut buf = [0; 8];
        assert_eq!(files.read_at("a.md", 2, &mut buf), Ok(2));
        assert_eq!(&buf[..2], b"A\n");
        assert_eq!(files.list(), vec![("a.md".to_string(), 4)]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
