//! Drives one `tundra_http::ServerConnection` through N keep-alive `GET /hello`
//! requests, the way the web server does under `wrk -c100`: bytes in, response out,
//! access-log event collected. No timing: run it under an instruction counter and
//! compare two request counts, so the fixed start-up cost cancels out:
//!
//! ```sh
//! cargo build --profile test-release -p tundra-bench --example http_keepalive
//! valgrind --tool=callgrind target/test-release/examples/http_keepalive 1000
//! valgrind --tool=callgrind target/test-release/examples/http_keepalive 11000
//! # (Ir of the second - Ir of the first) / 10000 = instructions per request
//! ```
//!
//! The routes are those of the demo site (`crates/tundra/src/services/site.rs`), so
//! the router does the same work; only `/hello` is requested.

use std::sync::Arc;

use tundra_core::{Duration, Instant};
use tundra_http::{
    Context, Method, Request, Response, Router, Server, ServerConfig, ServerConnection,
    ServerEvent, StatusCode, WallClock,
};

/// What `wrk` sends.
const REQUEST: &[u8] = b"GET /hello HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n";

/// The handler of every route but `/hello` (never called).
fn page(_: &Request, _: &Context<'_>) -> Response {
    Response::text(StatusCode::OK, "page")
}

fn main() {
    let requests: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let router = Router::new()
        .get("/", page)
        .get("/stats", page)
        .get("/hello", |_, _| {
            Response::text(StatusCode::OK, "Hello, world!")
        })
        .get("/big", page)
        .post("/echo", page)
        .prefix(Method::Get, "/docs", page)
        .get("/echo", page)
        .get("/chat", page)
        .get("/chat.html", page);
    let server = Arc::new(Server {
        config: ServerConfig {
            wall_clock: Some(WallClock {
                at: Instant::ZERO,
                unix_secs: 1_700_000_000,
            }),
            ..ServerConfig::default()
        },
        router,
    });
    let mut now = Instant::ZERO;
    let mut c = ServerConnection::new(server, now);
    let (mut sent, mut logged) = (0u64, 0u64);
    for _ in 0..requests {
        c.on_bytes(now, REQUEST);
        while let Some(out) = c.poll_transmit(now) {
            let n = out.len();
            sent += n as u64;
            c.consume(n);
        }
        while let Some(event) = c.poll_event() {
            if let ServerEvent::Access(entry) = event {
                logged += entry.body_bytes;
            }
        }
        now += Duration::from_micros(10);
    }
    println!("{requests} requests: {sent} bytes sent, {logged} body bytes logged");
}
