//! End to end, layer 7 (curriculum Day 3): the demo web server of `tundra run`, on our
//! own TCP through a TUN device in a namespace each test creates, judged by real
//! clients — curl (GET, HEAD, POST, chunked upload, HTTP/1.0, connection re-use,
//! 100-continue), wrk, raw sockets with malformed, pipelined and slowloris requests,
//! and tshark on the capture — and `tundra get` fetching from kernel web servers.
//!
//! The tests of this file run one at a time (they share two CPUs with the stack, and
//! wrk's and the download's numbers mean more without a neighbour).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};

use common::*;
use sha2::{Digest, Sha256};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A namespace with `tundra run` serving a small docs directory.
struct Site {
    ns: Netns,
    stack: usize,
    log: PathBuf,
    www: PathBuf,
}

const GUIDE_MD: &str = "# Guide\n\nSee [the TCP page](tcp.md) and `curl -v`.\n\n- one\n- two\n";
const TCP_MD: &str = "# TCP\n\n| RFC | status |\n|---|---|\n| 9293 | implemented |\n";

impl Site {
    #[track_caller]
    fn start(tag: &str, pcap: Option<&Path>, extra: &[&str]) -> Site {
        let mut ns = Netns::with_link(tag, Link::Tun, false);
        let dir = artifacts_dir();
        let www = dir.join(format!("{tag}-www"));
        let _ = std::fs::remove_dir_all(&www);
        std::fs::create_dir_all(&www).unwrap();
        std::fs::write(www.join("guide.md"), GUIDE_MD).unwrap();
        std::fs::write(www.join("tcp.md"), TCP_MD).unwrap();
        let log = dir.join(format!("{tag}-stack.log"));
        let mut args = vec!["--www", www.to_str().unwrap()];
        args.extend_from_slice(extra);
        let stack = ns.start_stack_with(Link::Tun, pcap, &log, &args);
        Site {
            ns,
            stack,
            log,
            www,
        }
    }

    /// Runs curl in the namespace (20 s limit) and returns its output, whatever its
    /// exit status.
    fn curl(&self, args: &[&str]) -> std::process::Output {
        let mut all = vec!["curl", "-sS", "-m", "20"];
        all.extend_from_slice(args);
        self.ns.exec(&all)
    }

    /// curl's stdout, asserting that curl succeeded.
    #[track_caller]
    fn curl_ok(&self, args: &[&str]) -> String {
        let out = self.curl(args);
        assert!(out.status.success(), "curl {args:?}: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Stops the stack and returns its log (with the `--stats` output), after checking
    /// that every HTTP connection was closed: the socket table printed at exit may
    /// hold listeners and TIME-WAIT, nothing else.
    #[track_caller]
    fn stop(mut self) -> String {
        // Let the last FIN exchanges finish.
        std::thread::sleep(std::time::Duration::from_millis(500));
        let status = self.ns.interrupt(self.stack);
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        assert!(status.success(), "tundra run exited {status}:\n{log}");
        let table: Vec<&str> = log
            .lines()
            .skip_while(|l| !l.starts_with("State"))
            .skip(1)
            .collect();
        assert!(
            table.iter().any(|row| row.contains("10.0.0.2:80 ")),
            "no socket table with the port 80 listener in:\n{log}"
        );
        for row in table {
            let state = row.split_whitespace().next().unwrap_or("");
            assert!(
                state == "LISTEN" || state == "TIME-WAIT",
                "connection left behind: {row}"
            );
        }
        log
    }
}

fn url(path: &str) -> String {
    format!("http://{STACK_ADDR}{path}")
}

/// What `tests/tools/http_raw.py` reports about one raw exchange.
#[derive(Debug)]
struct Raw {
    response: String,
    /// `eof`, `reset` or `timeout`.
    end: String,
    elapsed: f64,
}

impl Raw {
    fn status(&self) -> Option<u16> {
        let line = self.response.lines().next()?;
        line.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
    }
}

/// Sends `payload` to the stack's port 80 from a raw socket and reads until the
/// server closes (see the tool's doc for `options`).
#[track_caller]
fn raw_exchange(ns: &Netns, payload: &[u8], options: &[&str]) -> Raw {
    let mut child = Command::new("ip")
        .args(["netns", "exec", &ns.name, "python3"])
        .arg(tool("http_raw.py"))
        .args([STACK_ADDR, "80"])
        .args(options)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start http_raw.py");
    child.stdin.take().unwrap().write_all(payload).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "http_raw.py: {}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("http_raw.py output {}: {e}", text(&out)));
    Raw {
        response: v["response"].as_str().unwrap().to_string(),
        end: v["end"].as_str().unwrap().to_string(),
        elapsed: v["elapsed"].as_f64().unwrap(),
    }
}

/// The SHA-256 of the first `n` bytes of the RFC 864 chargen stream (what `/big`
/// serves).
fn chargen_sha256(n: u64) -> String {
    let period: Vec<u8> = (0..95 * 74)
        .map(tundra::services::tcp::chargen_byte)
        .collect();
    let mut hash = Sha256::new();
    let mut left = n;
    while left > 0 {
        let take = left.min(period.len() as u64) as usize;
        hash.update(&period[..take]);
        left -= take as u64;
    }
    format!("{:x}", hash.finalize())
}

/// Deterministic, non-periodic test bytes.
fn test_bytes(n: usize, seed: u32) -> Vec<u8> {
    (0..n as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 24) as u8)
        .collect()
}

/// curl against the demo site: the index page shows live counters; docs raw, rendered
/// and conditional (304); 404 and refused traversals; HEAD; POST, chunked upload and
/// 100-continue echoed byte for byte; HTTP/1.0 closes; two URLs share one connection.
#[test]
fn curl_speaks_http_with_the_demo_site() {
    let _serial = serial();
    let site = Site::start("httpcurl", None, &[]);

    // The index page: about the stack, with counters read at request time.
    let index = site.curl_ok(&[&url("/")]);
    assert!(index.contains("<h1>Tundra at 10.0.0.2</h1>"), "{index}");
    assert!(index.contains("passive connection openings"), "{index}");
    assert!(
        index.contains("ESTABLISHED") && index.contains("10.0.0.2:80"),
        "our own connection is in the socket table:\n{index}"
    );
    let stats = site.curl_ok(&[&url("/stats")]);
    let accepted = stat(&stats, "connections accepted");
    assert!(accepted >= 2, "two connections so far:\n{stats}");

    // Docs: listing, raw Markdown, rendered HTML, and a conditional GET.
    let listing = site.curl_ok(&[&url("/docs/")]);
    assert!(
        listing.contains("href=\"guide.md?html\"") && listing.contains("href=\"tcp.md\""),
        "{listing}"
    );
    assert_eq!(site.curl_ok(&[&url("/docs/guide.md")]), GUIDE_MD);
    let html = site.curl_ok(&[&url("/docs/guide.md?html")]);
    assert!(
        html.contains("<h1>Guide</h1>") && html.contains("<a href=\"tcp.md?html\">"),
        "{html}"
    );
    let head = site.curl_ok(&["-D", "-", "-o", "/dev/null", &url("/docs/tcp.md")]);
    let etag = head
        .lines()
        .find_map(|l| l.strip_prefix("ETag: "))
        .unwrap_or_else(|| panic!("no ETag in {head}"))
        .trim();
    let code = site.curl_ok(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-H",
        &format!("If-None-Match: {etag}"),
        &url("/docs/tcp.md"),
    ]);
    assert_eq!(code, "304");

    // Missing files are 404; traversal out of the docs directory is refused.
    let code_of = |path: &str| {
        site.curl_ok(&[
            "--path-as-is",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &url(path),
        ])
    };
    assert_eq!(code_of("/docs/missing.md"), "404");
    assert_eq!(code_of("/nowhere"), "404");
    std::fs::write(site.www.parent().unwrap().join("secret.txt"), "secret").unwrap();
    for attack in [
        "/docs/../secret.txt",
        "/docs/%2e%2e/secret.txt",
        "/docs/%2E%2E%2Fsecret.txt",
        "/docs//etc/passwd",
        "/docs/..%5csecret.txt",
    ] {
        let body = site.curl_ok(&["--path-as-is", "-w", " %{http_code}", &url(attack)]);
        assert!(
            body.ends_with(" 400") && !body.contains("secret") && !body.contains("root:"),
            "{attack}: {body}"
        );
    }

    // HEAD: the GET's headers (Content-Length: 1000) and no body.
    let head = site.curl_ok(&["-I", &url("/big?size=1000")]);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Content-Length: 1000\r\n"), "{head}");
    // RFC 9110 §6.6.1: an origin server with a clock sends Date (we read the OS clock).
    assert!(
        head.contains("\r\nDate: ") && head.contains(" GMT\r\n"),
        "{head}"
    );
    assert!(head.contains("\r\nServer: tundra/"), "{head}");
    assert!(
        head.ends_with("\r\n\r\n"),
        "HEAD must have no body: {head:?}"
    );

    // POST with a body, and chunked upload (RFC 9112 §7.1): the bytes come back.
    assert_eq!(
        site.curl_ok(&["--data-binary", "hello, tundra", &url("/echo")]),
        "hello, tundra"
    );
    let upload = artifacts_dir().join("httpcurl-upload.bin");
    let data = test_bytes(300_000, 7);
    std::fs::write(&upload, &data).unwrap();
    let file_arg = format!("@{}", upload.display());
    let echoed = site.ns.exec(&[
        "curl",
        "-sS",
        "-m",
        "20",
        "-H",
        "Transfer-Encoding: chunked",
        "-H",
        "Content-Type: application/octet-stream",
        "--data-binary",
        &file_arg,
        &url("/echo"),
    ]);
    assert!(echoed.status.success(), "{}", text(&echoed));
    assert!(echoed.stdout == data, "chunked upload came back different");

    // Expect: 100-continue: curl waits for the interim 100, then sends the body.
    let out = site.curl(&[
        "-v",
        "-H",
        "Expect: 100-continue",
        "--data-binary",
        &file_arg,
        &url("/echo"),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("< HTTP/1.1 100 Continue"), "{err}");
    assert!(err.contains("< HTTP/1.1 200 OK"), "{err}");
    assert!(
        out.stdout == data,
        "100-continue upload came back different"
    );

    // HTTP/1.0: answered, then closed (no keep-alive asked for).
    let out = site.curl(&["-v", "--http1.0", &url("/big?size=10")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("> GET /big?size=10 HTTP/1.0"), "{err}");
    assert!(err.contains("< Connection: close"), "{err}");
    assert_eq!(out.stdout.len(), 10);

    // Two URLs, one connection (RFC 9112 §9.3 persistence).
    let out = site.curl(&["-v", &url("/big?size=5"), &url("/docs/guide.md")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("Re-using existing connection"), "{err}");
    assert_eq!(err.matches("Connected to").count(), 1, "{err}");
    assert_eq!(out.stdout.len(), 5 + GUIDE_MD.len());

    let log = site.stop();
    assert!(
        log.contains("10.0.0.1:") && log.contains("\"POST /echo HTTP/1.1\" 200 300000"),
        "access log lines with the peer: {log}"
    );
}

/// Back-to-back 50 MiB downloads with no capture running (so no periodic flush wakes
/// the stack): every one completes in seconds. A turn that stops at its round limit
/// while the web server is still filling TCP must not be followed by a sleep: with
/// nothing in flight no frame would come to wake it, and before `Session::unfinished`
/// about four downloads in ten stalled until curl gave up.
#[test]
fn back_to_back_downloads_never_stall() {
    let _serial = serial();
    let site = Site::start("httpstall", None, &[]);
    let script = format!(
        "for i in 1 2 3 4 5 6 7 8 9 10; do \
           curl -sS -m 10 -o /dev/null -w '%{{size_download}}\n' {} || exit 1; \
         done",
        url("/big?size=50M")
    );
    let out = site.ns.exec(&["sh", "-c", &script]);
    let sizes = text(&out);
    assert!(out.status.success(), "a download stalled: {sizes}");
    assert_eq!(
        sizes
            .lines()
            .filter(|l| *l == (50u64 << 20).to_string())
            .count(),
        10,
        "{sizes}"
    );
    site.stop();
}

/// 100 MiB from `/big`, streamed without being held in memory, arrive byte for byte.
#[test]
fn large_download_is_byte_exact() {
    let _serial = serial();
    let site = Site::start("httpbig", None, &[]);
    let size: u64 = 100 << 20;
    let out = site.ns.exec(&[
        "sh",
        "-c",
        &format!("curl -sS -m 120 {} | sha256sum", url("/big?size=100M")),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let got = String::from_utf8_lossy(&out.stdout);
    let hash = got.split_whitespace().next().unwrap_or("");
    assert_eq!(hash, chargen_sha256(size), "100 MiB download differs");
    // Once more for the rate (to /dev/null, so sha256sum does not slow it down).
    let rate = site.curl_ok(&[
        "-o",
        "/dev/null",
        "-w",
        "%{speed_download} %{size_download}",
        &url("/big?size=100M"),
    ]);
    let mut parts = rate.split_whitespace();
    let speed: f64 = parts.next().unwrap().parse().unwrap();
    assert_eq!(parts.next(), Some(size.to_string().as_str()));
    println!("100 MiB download: {:.1} MB/s", speed / 1e6);
    let stats = site.stop();
    assert_eq!(stat(&stats, "segments with bad checksum"), 0);
}

/// wrk's load: keep-alive connections hammering small and page-sized responses see
/// no socket error and no non-2xx answer.
#[test]
fn wrk_load_sees_no_errors() {
    let _serial = serial();
    let site = Site::start("httpwrk", None, &[]);
    for (threads, conns, secs, path) in
        [("1", "10", "3s", "/big?size=100"), ("2", "50", "10s", "/")]
    {
        let out = site.ns.exec(&[
            "wrk",
            "-t",
            threads,
            "-c",
            conns,
            "-d",
            secs,
            "--timeout",
            "10s",
            &url(path),
        ]);
        let t = text(&out);
        assert!(out.status.success(), "wrk: {t}");
        println!("wrk -t{threads} -c{conns} -d{secs} {path}:\n{t}");
        assert!(!t.contains("Socket errors"), "{t}");
        assert!(!t.contains("Non-2xx"), "{t}");
        let requests: u64 = t
            .lines()
            .find_map(|l| l.trim().split_once(" requests in "))
            .and_then(|(n, _)| n.parse().ok())
            .unwrap_or_else(|| panic!("no request count in {t}"));
        assert!(requests > 100, "{t}");
    }
    site.stop();
}

/// Each malformed request gets the status RFC 9112/9110 gives it, and then a clean
/// close (FIN, not a reset that could eat the answer).
#[test]
fn malformed_requests_get_their_status_then_a_close() {
    let _serial = serial();
    let site = Site::start("httpbad", None, &[]);
    let huge_field = format!("X-Big: {}\r\n", "a".repeat(20_000));
    let long_target = format!("/{}", "a".repeat(9000));
    let cases: Vec<(&str, String, u16)> = vec![
        ("no version", "GET /\r\n\r\n".into(), 400),
        ("garbage request line", "HELLO\r\n\r\n".into(), 400),
        ("HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n".into(), 400),
        ("space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n".into(), 400),
        ("obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  2\r\n\r\n".into(), 400),
        (
            "Content-Length and Transfer-Encoding (smuggling)",
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".into(),
            400,
        ),
        (
            "conflicting Content-Lengths",
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd".into(),
            400,
        ),
        (
            "bad chunk size",
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".into(),
            400,
        ),
        (
            "unknown transfer coding",
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n".into(),
            501,
        ),
        ("HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n".into(), 505),
        ("HTTP/3.0", "GET / HTTP/3.0\r\nHost: x\r\n\r\n".into(), 505),
        (
            "target too long",
            format!("GET {long_target} HTTP/1.1\r\nHost: x\r\n\r\n"),
            414,
        ),
        (
            "field section too large",
            format!("GET / HTTP/1.1\r\nHost: x\r\n{huge_field}\r\n"),
            431,
        ),
        (
            "too many fields",
            format!("GET / HTTP/1.1\r\nHost: x\r\n{}\r\n", "X-N: 1\r\n".repeat(150)),
            431,
        ),
        (
            "body too large",
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n".into(),
            413,
        ),
    ];
    for (what, request, status) in &cases {
        let raw = raw_exchange(&site.ns, request.as_bytes(), &["--wait", "5"]);
        assert_eq!(raw.status(), Some(*status), "{what}: {raw:?}");
        assert!(
            raw.response.contains("Connection: close\r\n"),
            "{what}: {raw:?}"
        );
        assert_eq!(raw.end, "eof", "{what}: closed with a FIN: {raw:?}");
    }
    // After all that the server still serves.
    assert_eq!(site.curl_ok(&[&url("/big?size=3")]).len(), 3);
    assert_eq!(site.curl_ok(&[&url("/hello")]), "Hello, world!");
    site.stop();
}

/// 100 requests in one write, answered in order on the one connection (RFC 9112
/// §9.3.2); a final `Connection: close` ends it.
#[test]
fn pipelined_requests_are_answered_in_order() {
    let _serial = serial();
    let site = Site::start("httppipe", None, &[]);
    let mut payload = Vec::new();
    for i in 1..=100 {
        write!(payload, "GET /big?size={i} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    }
    payload.extend_from_slice(b"GET /docs/tcp.md HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let raw = raw_exchange(&site.ns, &payload, &[]);
    assert_eq!(raw.end, "eof", "{raw:?}");
    // Walk the responses: each head, then exactly Content-Length bytes of body.
    let mut rest = raw.response.as_str();
    for i in 1..=101 {
        let (head, after) = rest
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("response {i} missing: {rest:?}"));
        assert!(
            head.starts_with("HTTP/1.1 200 OK\r\n"),
            "response {i}: {head}"
        );
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("response {i} has no length: {head}"));
        let expect = if i <= 100 { i } else { TCP_MD.len() };
        assert_eq!(len, expect, "response {i} out of order: {head}");
        rest = &after[len..];
    }
    assert_eq!(rest, "", "nothing after the last response");
    site.stop();
}

/// A slowloris client dripping a request head one byte every 200 ms is cut off with
/// 408 once the (shortened) header timeout passes, while curl is served meanwhile.
#[test]
fn slowloris_gets_408_while_others_are_served() {
    let _serial = serial();
    let site = Site::start("httpslow", None, &["--http-header-timeout", "1.5"]);
    let slow_head =
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let raw = std::thread::scope(|s| {
        let slow =
            s.spawn(|| raw_exchange(&site.ns, slow_head, &["--drip", "0.2", "--wait", "10"]));
        std::thread::sleep(std::time::Duration::from_millis(300));
        for _ in 0..3 {
            assert_eq!(site.curl_ok(&[&url("/big?size=7")]).len(), 7);
        }
        slow.join().unwrap()
    });
    assert_eq!(raw.status(), Some(408), "{raw:?}");
    assert_eq!(raw.end, "eof", "{raw:?}");
    assert!(
        (1.4..5.0).contains(&raw.elapsed),
        "cut off after the 1.5 s header timeout, not before and not much later: {raw:?}"
    );
    // An idle connection that never started a request is not a slowloris: it stays
    // open past the header timeout (it is closed by the 60 s idle timeout instead).
    let idle = raw_exchange(&site.ns, b"", &["--wait", "2.5"]);
    assert_eq!(idle.end, "timeout", "{idle:?}");
    site.stop();
}

/// `--http-idle-timeout`: a keep-alive connection that goes quiet after its answer,
/// and one that never sends a request, are both closed with a FIN once the (shortened)
/// idle timeout passes (RFC 9112 §9.5), not before and not much later.
#[test]
fn idle_keep_alive_connections_are_closed_after_the_idle_timeout() {
    let _serial = serial();
    let site = Site::start("httpidle", None, &["--http-idle-timeout", "1.5"]);
    let answered = raw_exchange(
        &site.ns,
        b"GET /big?size=7 HTTP/1.1\r\nHost: x\r\n\r\n",
        &["--wait", "10"],
    );
    assert_eq!(answered.status(), Some(200), "{answered:?}");
    assert!(
        !answered
            .response
            .to_ascii_lowercase()
            .contains("connection: close"),
        "the answer keeps the connection open: {answered:?}"
    );
    assert_eq!(answered.end, "eof", "{answered:?}");
    assert!(
        (1.4..5.0).contains(&answered.elapsed),
        "closed after the 1.5 s idle timeout: {answered:?}"
    );
    let silent = raw_exchange(&site.ns, b"", &["--wait", "10"]);
    assert_eq!(silent.end, "eof", "{silent:?}");
    assert!(silent.response.is_empty(), "{silent:?}");
    assert!((1.4..5.0).contains(&silent.elapsed), "{silent:?}");
    site.stop();
}

/// `tundra get` fetches through the stack from kernel servers, byte for byte: python's
/// http.server (Content-Length), and an origin sending chunked and close-delimited
/// bodies; `-v` shows the exchange like curl; `-f` fails on 404 like curl.
#[test]
fn tundra_get_fetches_from_kernel_servers() {
    let _serial = serial();
    let mut ns = Netns::with_link("httpget", Link::Tun, false);
    let dir = artifacts_dir();
    let root = dir.join("httpget-root");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let data = test_bytes(3 << 20, 11);
    std::fs::write(root.join("data.bin"), &data).unwrap();
    let root_s = root.to_str().unwrap();
    ns.spawn(
        &[
            "python3",
            "-m",
            "http.server",
            "-b",
            KERNEL_ADDR,
            "-d",
            root_s,
            "8000",
        ],
        &dir.join("httpget-pyserver.log"),
    );
    let origin = tool("http_origin.py");
    ns.spawn(
        &[
            "python3",
            origin.to_str().unwrap(),
            KERNEL_ADDR,
            "8001",
            root_s,
        ],
        &dir.join("httpget-origin.log"),
    );
    for port in ["8000", "8001"] {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !ns
            .exec(&["sh", "-c", &format!("ss -ltnH | grep -q ':{port} '")])
            .status
            .success()
        {
            assert!(std::time::Instant::now() < deadline, "no server on {port}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    let bin = tundra_bin();
    let get = |target: &str, extra: &[&str]| {
        let out_file = dir.join("httpget-out.bin");
        let _ = std::fs::remove_file(&out_file);
        let mut args = vec![
            bin.to_str().unwrap(),
            "get",
            target,
            "--dev",
            "tun0",
            "-o",
            out_file.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let out = ns.exec(&args);
        let body = std::fs::read(&out_file).unwrap_or_default();
        (out, body)
    };

    // Content-Length, from the kernel's python http.server, shown like curl -v.
    let (out, body) = get("http://10.0.0.1:8000/data.bin", &["-v"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(
        body == data,
        "http.server body differs ({} bytes)",
        body.len()
    );
    for line in [
        "* Connected to 10.0.0.1 port 8000",
        "> GET /data.bin HTTP/1.1",
        "> Host: 10.0.0.1:8000",
        "< HTTP/1.0 200 OK",
        "< Content-Length: 3145728",
    ] {
        assert!(t.contains(line), "missing {line:?} in:\n{t}");
    }
    println!("{}", t.lines().last().unwrap_or(""));

    // Chunked (with extensions and a trailer), and close-delimited.
    let (out, body) = get("http://10.0.0.1:8001/chunked/data.bin", &["-v"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("< Transfer-Encoding: chunked"), "{t}");
    assert!(t.contains("< X-Origin-Check: done"), "the trailer: {t}");
    assert!(body == data, "chunked body differs ({} bytes)", body.len());
    let (out, body) = get("http://10.0.0.1:8001/close/data.bin", &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        body == data,
        "close-delimited body differs ({} bytes)",
        body.len()
    );

    // 404: printed without -f; exit 22 and no body with it.
    let (out, body) = get("http://10.0.0.1:8000/missing", &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!body.is_empty());
    let (out, body) = get("http://10.0.0.1:8000/missing", &["-f"]);
    assert_eq!(out.status.code(), Some(22), "{}", text(&out));
    assert!(body.is_empty());

    // A refused connection is an error, not a hang.
    let (out, _) = get("http://10.0.0.1:8009/", &["--timeout", "10"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("refused") || text(&out).contains("reset"),
        "{}",
        text(&out)
    );
}

/// A capture of clean exchanges: tshark finds nothing malformed and no bad checksum,
/// dissects the HTTP, and reads the same status codes curl got.
#[test]
fn http_capture_passes_tshark() {
    let _serial = serial();
    let pcap = artifacts_dir().join("httpcap.pcap");
    let site = Site::start("httpcap", Some(&pcap), &[]);
    site.curl_ok(&[&url("/")]);
    site.curl_ok(&[&url("/docs/guide.md"), &url("/big?size=20000")]);
    site.curl_ok(&["--data-binary", "ping", &url("/echo")]);
    let code = site.curl_ok(&["-o", "/dev/null", "-w", "%{http_code}", &url("/missing")]);
    assert_eq!(code, "404");
    std::thread::sleep(std::time::Duration::from_millis(300));
    site.stop();
    let summary = || tshark_summary(&pcap);
    assert_eq!(tshark_count(&pcap, BROKEN), 0, "broken:\n{}", summary());
    let retrans =
        "tcp.analysis.retransmission || tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment";
    assert_eq!(tshark_count(&pcap, retrans), 0, "{}", summary());
    for (filter, n) in [
        ("http.request.method == \"GET\"", 4),
        ("http.request.method == \"POST\"", 1),
        ("http.response.code == 200 && ip.src == 10.0.0.2", 4),
        ("http.response.code == 404 && ip.src == 10.0.0.2", 1),
        ("http.response && http.server contains \"tundra\"", 5),
    ] {
        assert_eq!(tshark_count(&pcap, filter), n, "{filter}:\n{}", summary());
    }
}
