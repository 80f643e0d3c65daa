//! Heap allocations per keep-alive request: a `GET /hello` on a warm connection, routed
//! like the demo site's `/hello`, costs at most [`MAX_ALLOCATIONS_PER_REQUEST`] calls
//! into the allocator (docs/performance.md: the HTTP layer's share of `wrk -c100`).
//!
//! A counting `#[global_allocator]` sees every allocation of the process, so this file
//! holds one test and counts only on the thread that drives the connection.

// A `GlobalAlloc` impl is `unsafe` by definition; it only forwards to `System`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;

use tundra_core::{Duration, Instant};
use tundra_http::{
    Method, Response, Router, Server, ServerConfig, ServerConnection, ServerEvent, StatusCode,
    WallClock,
};

/// The budget: none. The request, its fields and the parser's field index reuse the
/// previous request's buffers; the body and the Content-Type are static bytes, and the
/// response's header list, that one `Content-Type` line, borrows its index from the
/// `static` field; the access-log entry holds a `Method` and an inline target; routing
/// collects nothing. (Before this budget was set the same loop made 13 allocations per
/// request, then 1: the response's header index.)
const MAX_ALLOCATIONS_PER_REQUEST: f64 = 0.0;

const REQUESTS: u32 = 1000;
const WARM_UP: u32 = 10;
const REQUEST: &[u8] = b"GET /hello HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n";
const HELLO: &str = "Hello, world!";

/// The system allocator, counting `alloc`, `alloc_zeroed` and `realloc` calls made on
/// a thread that switched counting on.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static CALLS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the allocator also runs while thread-locals are torn down.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = CALLS.try_with(|c| c.set(c.get() + 1));
        }
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocator calls made by `f` on this thread.
fn allocations_in(f: impl FnOnce()) -> u64 {
    CALLS.with(|c| c.set(0));
    COUNTING.with(|on| on.set(true));
    f();
    COUNTING.with(|on| on.set(false));
    CALLS.with(|c| c.get())
}

/// The demo site's routes that matter for dispatch: `/hello` among exact and prefix
/// routes, its handler written the way `crates/tundra/src/services/site.rs` writes it.
fn site_like_router() -> Router {
    Router::new()
        .get("/", |_, _| Response::html(String::from("<p>index</p>")))
        .get("/stats", |_, _| Response::text(StatusCode::OK, "stats"))
        .get("/hello", |_req, _ctx| Response::text(StatusCode::OK, HELLO))
        .get("/big", |_, _| Response::text(StatusCode::OK, "big"))
        .post("/echo", |req, _| {
            Response::new(StatusCode::OK).with_body(req.body.clone())
        })
        .prefix(Method::Get, "/docs", |_, _| {
            Response::text(StatusCode::NOT_FOUND, "no docs")
        })
        .get("/chat.html", |_, _| Response::html("<p>chat</p>"))
}

/// One request in, its response out and taken by the transport, its access-log event
/// read the way the driver (`services/http.rs`) reads it. Panics (without allocating
/// first) if anything differs from `expected`.
#[track_caller]
fn one_request(c: &mut ServerConnection, now: Instant, expected: &[u8]) {
    c.on_bytes(now, REQUEST);
    let mut sent = 0;
    while let Some(out) = c.poll_transmit(now) {
        let n = out.len();
        assert!(
            expected[sent..].starts_with(out),
            "unexpected response bytes"
        );
        sent += n;
        c.consume(n);
    }
    assert_eq!(sent, expected.len(), "short response");
    let mut responses = 0;
    while let Some(event) = c.poll_event() {
        let ServerEvent::Access(entry) = event else {
            panic!("only access-log events expected")
        };
        assert_eq!(entry.status, StatusCode::OK);
        assert_eq!(entry.body_bytes, HELLO.len() as u64);
        responses += 1;
    }
    assert_eq!(responses, 1);
    assert!(!c.wants_close(), "keep-alive");
}

/// What proves the budget: 1000 keep-alive `GET /hello` after a warm-up, with a wall
/// clock (Date) and a Server name as `tundra run` sends them, 100 µs apart: all
/// within one second, so this is the steady state between two formattings of the
/// Date text (once a second, by design).
#[test]
fn keep_alive_hello_allocates_at_most_the_budget_per_request() {
    let t0 = Instant::ZERO;
    let config = ServerConfig {
        wall_clock: Some(WallClock {
            at: t0,
            unix_secs: 1_700_000_000,
        }),
        ..ServerConfig::default()
    };
    let server = Arc::new(Server {
        config,
        router: site_like_router(),
    });
    let mut c = ServerConnection::new(server, t0);

    // The expected bytes, taken from the first response (the tests in server.rs pin
    // the format; here it only has to stay the same on every request).
    c.on_bytes(t0, REQUEST);
    let first = c.poll_transmit(t0).expect("a response").to_vec();
    c.consume(first.len());
    while c.poll_event().is_some() {}
    let text = String::from_utf8(first.clone()).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\nDate: Tue, 14 Nov 2023 22:13:20 GMT\r\n"));
    assert!(text.ends_with("Content-Length: 13\r\n\r\nHello, world!"));

    let step = Duration::from_micros(100);
    let mut now = t0;
    for _ in 0..WARM_UP {
        one_request(&mut c, now, &first);
    }
    let calls = allocations_in(|| {
        for _ in 0..REQUESTS {
            one_request(&mut c, now, &first);
            now += step;
        }
    });
    let per_request = calls as f64 / f64::from(REQUESTS);
    println!("{calls} allocations in {REQUESTS} requests: {per_request:.2} per request");
    assert!(
        per_request <= MAX_ALLOCATIONS_PER_REQUEST,
        "{per_request:.2} allocations per keep-alive request; the budget is {MAX_ALLOCATIONS_PER_REQUEST}"
    );
}
