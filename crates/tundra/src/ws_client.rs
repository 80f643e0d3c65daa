//! `tundra ws ws://HOST[:PORT]/PATH`: a WebSocket client on our own TCP (curriculum
//! Day 6's client exercise). Each line of `--send FILE` (or of standard input, read
//! to its end before connecting) goes out as one text message; every message that
//! arrives is printed on stdout, a text as its line, a binary as `<binary N bytes>`.
//! Once every line is sent and nothing has arrived for `--wait` seconds, the client
//! closes with 1000 and waits for the server to close TCP (RFC 6455 §7.1.1).
//!
//! The opening handshake is [`ClientHandshake`] over [`ClientConnection`]; after the
//! 101 the stream belongs to a client-role [`WsConnection`] (every frame masked with a
//! key from a `Rng` seeded from the wall clock).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::process::ExitCode;

use tundra_core::{Duration, Instant, Rng};
use tundra_http::ws::{
    parse_ws_url, ClientHandshake, CloseCode, DeflateParams, WsConfig, WsConnection, WsEvent,
};
use tundra_http::{ClientConnection, ClientEvent};
use tundra_tcp::{CloseReason, Connection, RecvError, SendError};

use crate::cli::WsArgs;
use crate::client::{self, ClientApp, Step};
use crate::setup::SetupError;

/// Connects to `args.url`, sends the lines, prints what arrives, closes.
pub fn ws(args: WsArgs) -> Result<ExitCode, SetupError> {
    let bad = |what: &'static str, reason: String| SetupError::BadValue {
        what,
        value: args.url.clone(),
        reason,
    };
    let url = parse_ws_url(&args.url).map_err(|e| bad("URL", e.to_string()))?;
    let host: Ipv4Addr = url.host.parse().map_err(|_| {
        bad(
            "URL",
            "the host must be an IPv4 address (the stack has no DNS resolver)".into(),
        )
    })?;
    let target = SocketAddrV4::new(host, url.port);
    let mut input = Vec::new();
    let read = match &args.send {
        Some(path) => std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut input)),
        None => std::io::stdin().read_to_end(&mut input),
    };
    read.map_err(|e| SetupError::BadValue {
        what: "lines to send",
        value: args
            .send
            .as_ref()
            .map_or("stdin".into(), |p| p.display().to_string()),
        reason: e.to_string(),
    })?;
    let text = String::from_utf8(input).map_err(|e| SetupError::BadValue {
        what: "lines to send",
        value: "input".into(),
        reason: format!("not UTF-8: {e}"),
    })?;
    let lines: Vec<String> = text.lines().map(str::to_string).collect();

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0x6455, |d| d.as_nanos() as u64);
    let mut rng = Rng::from_seed(seed);
    let (mut handshake, mut request) = ClientHandshake::with_rng(&url, &mut rng, &[]);
    if !args.no_deflate {
        handshake.offer_deflate(&mut request);
    }
    let mut http = ClientConnection::default();
    http.send_request(&request);

    let mut app = WsClient {
        url: args.url.clone(),
        handshake,
        http,
        ws: None,
        deflate: None,
        rng: Some(rng),
        seed,
        lines,
        next_line: 0,
        quiet: Duration::from_micros((args.wait.max(0.0) * 1e6) as u64),
        last_activity: Instant::ZERO,
        closing: false,
        eof: false,
        failure: None,
        closed_with: None,
        buf: vec![0u8; 64 * 1024],
    };
    let outcome = client::run(&args.device, target, args.timeout, &mut app)?;
    let failure = outcome.failure.or(app.failure);
    let closed_with = app.closed_with;
    if let Some(f) = failure {
        eprintln!("tundra: {f}");
        return Ok(ExitCode::from(1));
    }
    match closed_with {
        Some((code, _)) if code == CloseCode::NORMAL => Ok(ExitCode::SUCCESS),
        Some((code, reason)) => {
            eprintln!("tundra: the server closed with {code} {reason:?}");
            Ok(ExitCode::from(1))
        }
        None => {
            eprintln!("tundra: the connection ended without a close handshake");
            Ok(ExitCode::from(1))
        }
    }
}

/// The handshake over HTTP, then a client-role WebSocket: lines out as text messages,
/// messages printed, a normal close once all is sent and the line is quiet.
struct WsClient {
    url: String,
    handshake: ClientHandshake,
    http: ClientConnection,
    /// The WebSocket, once the 101 arrived.
    ws: Option<WsConnection>,
    /// permessage-deflate, if the server accepted our offer.
    deflate: Option<DeflateParams>,
    /// For the masking keys (taken when the WebSocket starts).
    rng: Option<Rng>,
    seed: u64,
    lines: Vec<String>,
    next_line: usize,
    /// `--wait`: how long the line must be quiet before we close.
    quiet: Duration,
    last_activity: Instant,
    /// We sent our Close frame.
    closing: bool,
    /// The server closed TCP.
    eof: bool,
    /// A WebSocket error reported by the connection (it then closes by itself).
    failure: Option<String>,
    closed_with: Option<(CloseCode, String)>,
    buf: Vec<u8>,
}

impl ClientApp for WsClient {
    fn round(&mut self, now: Instant, conn: &mut Connection) -> Step {
        let mut step = Step::Idle;
        // Output: the handshake request, then WebSocket frames.
        loop {
            let bytes = match &self.ws {
                Some(ws) => ws.poll_transmit(),
                None => self.http.poll_transmit(),
            };
            let Some(bytes) = bytes else { break };
            let len = bytes.len();
            match conn.send(bytes) {
                Ok(n) => {
                    match &mut self.ws {
                        Some(ws) => ws.consume(n),
                        None => self.http.consume(n),
                    }
                    if n > 0 {
                        step = Step::Worked;
                    }
                    if n < len || n == 0 {
                        break;
                    }
                }
                Err(SendError::WouldBlock) => break,
                Err(e) => return Step::Fail(format!("send: {e}")),
            }
        }
        // Input.
        while !self.eof && self.ws.as_ref().is_none_or(|w| w.wants_input()) {
            match conn.recv(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    match &mut self.ws {
                        Some(ws) => ws.on_eof(now),
                        None => return Step::Fail("the server closed before the 101".into()),
                    }
                }
                Ok(n) => match &mut self.ws {
                    Some(ws) => ws.on_bytes(now, &self.buf[..n]),
                    None => {
                        if let Err(e) = self.http.on_bytes(&self.buf[..n]) {
                            return Step::Fail(e.to_string());
                        }
                    }
                },
                Err(RecvError::WouldBlock) | Err(RecvError::NotConnected) => break,
                Err(e) => return Step::Fail(format!("recv: {e}")),
            }
            step = Step::Worked;
            self.last_activity = now;
            if self.ws.is_none() {
                if let Err(message) = self.handshake_events(now) {
                    return Step::Fail(message);
                }
            }
        }
        let Some(w) = &mut self.ws else {
            return step;
        };
        // Events.
        let mut out = std::io::stdout().lock();
        while let Some(event) = w.poll_event(now) {
            step = Step::Worked;
            self.last_activity = now;
            match event {
                WsEvent::Text(t) => {
                    let _ = writeln!(out, "{t}");
                }
                WsEvent::Binary(b) => {
                    let _ = writeln!(out, "<binary {} bytes>", b.len());
                }
                WsEvent::Close { code, reason } => {
                    eprintln!("* closed: {code} {reason:?}");
                    self.closed_with = Some((code, reason));
                }
                WsEvent::Error(e) => {
                    self.failure = Some(format!("websocket: {e}"));
                }
                _ => {}
            }
        }
        let _ = out.flush();
        // Lines out, as the queue takes them.
        while self.next_line < self.lines.len() && w.can_send(self.lines[self.next_line].len()) {
            if w.send_text(&self.lines[self.next_line]).is_err() {
                break;
            }
            self.next_line += 1;
            step = Step::Worked;
            self.last_activity = now;
        }
        if w.poll_at().is_some_and(|t| now >= t) {
            w.on_timeout(now);
        }
        // All sent and quiet: close normally (RFC 6455 §7.1.2).
        if self.next_line == self.lines.len()
            && w.queued_bytes() == 0
            && !self.closing
            && now - self.last_activity >= self.quiet
        {
            let _ = w.close(now, CloseCode::NORMAL, "");
            self.closing = true;
            step = Step::Worked;
        }
        // The closing handshake is over (or the server closed TCP after it): our
        // TCP close follows (RFC 6455 §7.1.1).
        if w.wants_close() || (self.eof && w.is_closed()) {
            return Step::Done;
        }
        step
    }

    fn poll_at(&self) -> Option<Instant> {
        let w = self.ws.as_ref()?;
        if self.closing {
            return w.poll_at();
        }
        let quiet_at = self.last_activity + self.quiet;
        Some(w.poll_at().map_or(quiet_at, |t| t.min(quiet_at)))
    }

    fn on_closed(&mut self, reason: Option<CloseReason>) -> Option<String> {
        if self.closed_with.is_some() {
            return None;
        }
        Some(match reason {
            Some(reason) => format!("connection closed: {reason}"),
            None => "connection closed".into(),
        })
    }
}

impl WsClient {
    /// The 101 (checked against our key), then the WebSocket takes the stream.
    fn handshake_events(&mut self, now: Instant) -> Result<(), String> {
        while let Some(event) = self.http.poll_event() {
            match event {
                ClientEvent::Head(head) => {
                    if let Err(e) = self.handshake.verify(&head) {
                        return Err(format!("handshake: {e} ({})", head.status.0));
                    }
                    self.deflate = self
                        .handshake
                        .verify_deflate(&head)
                        .map_err(|e| format!("handshake: {e} ({})", head.status.0))?;
                    let ext = if self.deflate.is_some() {
                        " (permessage-deflate)"
                    } else {
                        ""
                    };
                    eprintln!("* connected to {}: {}{ext}", self.url, head.status.0);
                }
                ClientEvent::Upgraded { leftover } => {
                    let seed = self.seed;
                    let rng = self.rng.take().unwrap_or_else(|| Rng::from_seed(seed));
                    let mut w = WsConnection::client(WsConfig::default(), now, rng);
                    if let Some(params) = self.deflate {
                        w.set_deflate(params);
                    }
                    w.on_bytes(now, &leftover);
                    self.ws = Some(w);
                }
                _ => {}
            }
        }
        Ok(())
    }
}
