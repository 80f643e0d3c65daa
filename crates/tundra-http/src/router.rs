//! Routes: handler functions chosen by method and path.
//!
//! Exact paths win over prefixes; among prefixes the longest wins. A HEAD request is
//! served by the GET handler when no HEAD route exists (RFC 9110 §9.3.2: HEAD is GET
//! without content; the server drops the body). A path that exists under other methods
//! gets 405 with `Allow` (RFC 9110 §15.5.6); an unknown method gets 501
//! (RFC 9110 §9.1); anything else 404.

use std::sync::Arc;

use tundra_core::Instant;

use crate::files::StaticFiles;
use crate::message::{Method, Request};
use crate::response::Response;
use crate::status::StatusCode;

/// What a handler knows besides the request.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The virtual time the request completed.
    pub now: Instant,
    /// Wall-clock seconds since the Unix epoch, if the driver gave a clock.
    pub unix_secs: Option<u64>,
    /// For a prefix route: the rest of the path after the prefix, still
    /// percent-encoded (starts with `/`, or is empty). Empty for exact routes.
    pub rest: &'a str,
}

/// A request handler.
pub type Handler = Arc<dyn Fn(&Request, &Context<'_>) -> Response + Send + Sync>;

#[derive(Clone)]
enum Pattern {
    Exact(String),
    /// A path prefix without trailing slash ("" for the root), matched on segment
    /// boundaries: `/static` matches `/static` and `/static/x`, not `/staticx`.
    Prefix(String),
}

#[derive(Clone)]
struct Route {
    method: Method,
    pattern: Pattern,
    handler: Handler,
}

/// A table of routes.
#[derive(Clone, Default)]
pub struct Router {
    routes: Vec<Route>,
}

impl core::fmt::Debug for Router {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Router({} routes)", self.routes.len())
    }
}

impl Router {
    /// An empty router: every request gets 404.
    pub fn new() -> Router {
        Router::default()
    }

    /// Routes `method` on exactly `path` to `handler`.
    pub fn route<F>(mut self, method: Method, path: &str, handler: F) -> Router
    where
        F: Fn(&Request, &Context<'_>) -> Response + Send + Sync + 'static,
    {
        self.routes.push(Route {
            method,
            pattern: Pattern::Exact(path.to_owned()),
            handler: Arc::new(handler),
        });
        self
    }

    /// Routes GET (and so HEAD) on exactly `path`.
    pub fn get<F>(self, path: &str, handler: F) -> Router
    where
        F: Fn(&Request, &Context<'_>) -> Response + Send + Sync + 'static,
    {
        self.route(Method::Get, path, handler)
    }

    /// Routes POST on exactly `path`.
    pub fn post<F>(self, path: &str, handler: F) -> Router
    where
        F: Fn(&Request, &Context<'_>) -> Response + Send + Sync + 'static,
    {
        self.route(Method::Post, path, handler)
    }

    /// Routes `method` on `prefix` and every path below it; the handler finds the
    /// remainder in [`Context::rest`].
    pub fn prefix<F>(mut self, method: Method, prefix: &str, handler: F) -> Router
    where
        F: Fn(&Request, &Context<'_>) -> Response + Send + Sync + 'static,
    {
        self.routes.push(Route {
            method,
            pattern: Pattern::Prefix(prefix.trim_end_matches('/').to_owned()),
            handler: Arc::new(handler),
        });
        self
    }

    /// Serves `files` for GET and HEAD under `prefix` (`"/"` for the whole site).
    pub fn static_files(self, prefix: &str, files: StaticFiles) -> Router {
        let files = Arc::new(files);
        self.prefix(Method::Get, prefix, move |req, ctx| {
            files.serve(req, ctx.rest)
        })
    }

    /// Chooses the handler for `req` and runs it (or answers 404/405/501).
    pub fn dispatch(&self, req: &Request, now: Instant, unix_secs: Option<u64>) -> Response {
        let path = req.path();
        // The common case in one pass: an exact route for this method and path is the
        // one the general rules below would choose (exact paths win, and among their
        // routes the first with the request's method).
        // The path is compared first (see `same_path`): its length alone rules out
        // most routes, and a method comparison is not cheaper.
        let exact = self.routes.iter().find(|r| {
            matches!(&r.pattern, Pattern::Exact(p) if same_path(p, path)) && r.method == req.method
        });
        if let Some(route) = exact {
            let ctx = Context {
                now,
                unix_secs,
                rest: "",
            };
            return (route.handler)(req, &ctx);
        }
        // The routes for this path: exact matches, else those of the longest prefix.
        let selection = if self
            .routes
            .iter()
            .any(|r| r.selects(path, Selection::Exact))
        {
            Selection::Exact
        } else {
            let longest = self
                .routes
                .iter()
                .filter_map(|r| match &r.pattern {
                    Pattern::Prefix(p) if prefix_matches(p, path) => Some(p.len()),
                    _ => None,
                })
                .max();
            match longest {
                Some(len) => Selection::Prefix(len),
                None => return Response::status_page(StatusCode::NOT_FOUND),
            }
        };
        let candidates = || self.routes.iter().filter(|r| r.selects(path, selection));
        let chosen = candidates().find(|r| r.method == req.method).or_else(|| {
            // RFC 9110 §9.3.2: HEAD is answered like GET, without content.
            (req.method == Method::Head)
                .then(|| candidates().find(|r| r.method == Method::Get))
                .flatten()
        });
        let ctx = Context {
            now,
            unix_secs,
            rest: match selection {
                Selection::Exact => "",
                Selection::Prefix(len) => &path[len..],
            },
        };
        match chosen {
            Some(route) => (route.handler)(req, &ctx),
            // RFC 9110 §9.1: an unrecognized method SHOULD get 501.
            None if matches!(req.method, Method::Other(_)) => {
                Response::status_page(StatusCode::NOT_IMPLEMENTED)
            }
            None => {
                // RFC 9110 §15.5.6: 405 MUST carry Allow.
                let mut allow: Vec<&str> = candidates().map(|r| r.method.as_str()).collect();
                if allow.contains(&"GET") {
                    allow.push("HEAD");
                }
                allow.sort_unstable();
                allow.dedup();
                Response::status_page(StatusCode::METHOD_NOT_ALLOWED)
                    .header("Allow", allow.join(", "))
            }
        }
    }
}

/// `a == b` for two paths, with their lengths and then their last bytes compared
/// before the whole: paths of one length (`/stats`, `/hello`) mostly differ there
/// already, so most routes are ruled out without a call to compare memory.
#[inline]
fn same_path(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().last() == b.as_bytes().last() && a == b
}

/// Which routes a path selects: its exact routes, or else the routes of its longest
/// matching prefix (this many bytes long).
#[derive(Debug, Clone, Copy)]
enum Selection {
    Exact,
    Prefix(usize),
}

impl Route {
    /// True if this route is one of those `selection` picks for `path`.
    fn selects(&self, path: &str, selection: Selection) -> bool {
        match (&self.pattern, selection) {
            (Pattern::Exact(p), Selection::Exact) => p == path,
            (Pattern::Prefix(p), Selection::Prefix(len)) => {
                p.len() == len && prefix_matches(p, path)
            }
            _ => false,
        }
    }
}

fn prefix_matches(prefix: &str, path: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::Headers;
    use crate::message::Version;

    /// `same_path` is `==`, whatever its shortcuts rule out first.
    #[test]
    fn same_path_is_string_equality() {
        let paths = [
            "", "/", "/a", "/b", "/ab", "/cb", "/hello", "/stats", "/helloo",
        ];
        for a in paths {
            for b in paths {
                assert_eq!(same_path(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    fn req(method: Method, target: &str) -> Request {
        Request {
            method,
            target: target.into(),
            version: Version::HTTP_11,
            headers: Headers::new(),
            body: Vec::new(),
            trailers: Headers::new(),
            keep_alive: true,
        }
    }

    fn router() -> Router {
        Router::new()
            .get("/", |_, _| Response::text(StatusCode::OK, "index"))
            .post("/echo", |r, _| {
                Response::new(StatusCode::OK).with_body(r.body.clone())
            })
            .prefix(Method::Get, "/docs", |_, c| {
                Response::text(StatusCode::OK, format!("docs:{}", c.rest))
            })
            .prefix(Method::Get, "/docs/api", |_, c| {
                Response::text(StatusCode::OK, format!("api:{}", c.rest))
            })
    }

    fn body(r: &Response) -> String {
        match &r.body {
            crate::response::Body::Bytes(b) => String::from_utf8(b.clone()).unwrap(),
            crate::response::Body::Static(b) => String::from_utf8(b.to_vec()).unwrap(),
            other => panic!("unexpected body {other:?}"),
        }
    }

    #[test]
    fn exact_then_longest_prefix() {
        let r = router();
        let t0 = Instant::ZERO;
        assert_eq!(
            body(&r.dispatch(&req(Method::Get, "/?x"), t0, None)),
            "index"
        );
        assert_eq!(
            body(&r.dispatch(&req(Method::Get, "/docs/a"), t0, None)),
            "docs:/a"
        );
        assert_eq!(
            body(&r.dispatch(&req(Method::Get, "/docs"), t0, None)),
            "docs:"
        );
        assert_eq!(
            body(&r.dispatch(&req(Method::Get, "/docs/api/x"), t0, None)),
            "api:/x"
        );
        assert_eq!(
            r.dispatch(&req(Method::Get, "/docsx"), t0, None).status,
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn head_uses_get_and_wrong_methods_get_405_or_501() {
        let r = router();
        let t0 = Instant::ZERO;
        assert_eq!(
            body(&r.dispatch(&req(Method::Head, "/"), t0, None)),
            "index"
        );
        let resp = r.dispatch(&req(Method::Get, "/echo"), t0, None);
        assert_eq!(resp.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(resp.headers.get("allow"), Some(&b"POST"[..]));
        let resp = r.dispatch(&req(Method::Delete, "/"), t0, None);
        assert_eq!(resp.headers.get("allow"), Some(&b"GET, HEAD"[..]));
        let resp = r.dispatch(&req(Method::Other("BREW".into()), "/"), t0, None);
        assert_eq!(resp.status, StatusCode::NOT_IMPLEMENTED);
    }
}
