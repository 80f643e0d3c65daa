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
use tundra_http::ws::{parse_ws_url, ClientHandshake, CloseCode, WsConfig, WsConnection, WsEvent};
use tundra_http::{ClientConnection, ClientEvent};
use tundra_tcp::{ConnHandle, RecvError, SendError, State};
use tundra_tun::{Clock, Driver, Next, Stop};

use crate::cli::WsArgs;
use crate::setup::{bring_up, SetupError};

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
    let (handshake, request) = ClientHandshake::with_rng(&url, &mut rng, &[]);
    let mut http = ClientConnection::default();
    http.send_request(&request);

    let stop = Stop::on_signals()?;
    let clock = Clock::start();
    let (mut dev, mut iface) = bring_up(&args.device, &clock)?;
    let deadline = Instant::ZERO + Duration::from_micros((args.timeout.max(0.0) * 1e6) as u64);
    let quiet = Duration::from_micros((args.wait.max(0.0) * 1e6) as u64);

    let mut handle: Option<ConnHandle> = None;
    let mut ws: Option<WsConnection> = None;
    let mut next_line = 0usize;
    let mut last_activity = Instant::ZERO;
    let mut eof = false;
    let mut failure: Option<String> = None;
    let mut closed_with: Option<(CloseCode, String)> = None;
    let mut closing_since: Option<Instant> = None;
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = std::io::stdout().lock();
    let mut rng = Some(rng);

    let mut driver = Driver::new(clock, stop);
    driver.run(&mut dev, |now, dev| {
        let h = match handle {
            Some(h) => h,
            None => {
                let local = iface.address();
                match iface.tcp().connect(now, local, target) {
                    Ok(h) => {
                        handle = Some(h);
                        h
                    }
                    Err(e) => {
                        failure = Some(format!("connect: {e}"));
                        return Ok(Next::Exit);
                    }
                }
            }
        };
        for _ in 0..64 {
            let moved = iface.poll_device(now, dev);
            let mut worked = false;
            let Some(conn) = iface.tcp().connection_mut(h) else {
                if closed_with.is_none() {
                    failure = Some("connection closed".into());
                }
                return Ok(Next::Exit);
            };
            if let Some(reason) = conn
                .close_reason()
                .filter(|_| conn.state() == State::Closed)
            {
                if closed_with.is_none() {
                    failure = Some(format!("connection closed: {reason}"));
                }
                conn.close();
                return Ok(Next::Exit);
            }
            // Output: the handshake request, then WebSocket frames.
            loop {
                let bytes = match &ws {
                    Some(ws) => ws.poll_transmit(),
                    None => http.poll_transmit(),
                };
                let Some(bytes) = bytes else { break };
                let len = bytes.len();
                match conn.send(bytes) {
                    Ok(n) => {
                        match &mut ws {
                            Some(ws) => ws.consume(n),
                            None => http.consume(n),
                        }
                        worked |= n > 0;
                        if n < len || n == 0 {
                            break;
                        }
                    }
                    Err(SendError::WouldBlock) => break,
                    Err(e) => {
                        failure = Some(format!("send: {e}"));
                        return Ok(Next::Exit);
                    }
                }
            }
            // Input.
            while !eof && ws.as_ref().is_none_or(|w| w.wants_input()) {
                match conn.recv(&mut buf) {
                    Ok(0) => {
                        eof = true;
                        match &mut ws {
                            Some(ws) => ws.on_eof(now),
                            None => {
                                failure = Some("the server closed before the 101".into());
                                return Ok(Next::Exit);
                            }
                        }
                    }
                    Ok(n) => match &mut ws {
                        Some(ws) => ws.on_bytes(now, &buf[..n]),
                        None => {
                            if let Err(e) = http.on_bytes(&buf[..n]) {
                                failure = Some(e.to_string());
                                conn.abort();
                                return Ok(Next::Exit);
                            }
                        }
                    },
                    Err(RecvError::WouldBlock) | Err(RecvError::NotConnected) => break,
                    Err(e) => {
                        failure = Some(format!("recv: {e}"));
                        return Ok(Next::Exit);
                    }
                }
                worked = true;
                last_activity = now;
                if ws.is_none() {
                    while let Some(event) = http.poll_event() {
                        match event {
                            ClientEvent::Head(head) => {
                                if let Err(e) = handshake.verify(&head) {
                                    failure = Some(format!("handshake: {e} ({})", head.status.0));
                                    conn.abort();
                                    return Ok(Next::Exit);
                                }
                                eprintln!("* connected to {}: {}", args.url, head.status.0);
                            }
                            ClientEvent::Upgraded { leftover } => {
                                let rng = rng.take().unwrap_or_else(|| Rng::from_seed(seed));
                                let mut w = WsConnection::client(WsConfig::default(), now, rng);
                                w.on_bytes(now, &leftover);
                                ws = Some(w);
                            }
                            _ => {}
                        }
                    }
                }
            }
            let Some(w) = &mut ws else {
                if !moved && !worked {
                    break;
                }
                continue;
            };
            // Events.
            while let Some(event) = w.poll_event(now) {
                worked = true;
                last_activity = now;
                match event {
                    WsEvent::Text(t) => {
                        let _ = writeln!(out, "{t}");
                    }
                    WsEvent::Binary(b) => {
                        let _ = writeln!(out, "<binary {} bytes>", b.len());
                    }
                    WsEvent::Close { code, reason } => {
                        eprintln!("* closed: {code} {reason:?}");
                        closed_with = Some((code, reason));
                    }
                    WsEvent::Error(e) => {
                        failure = Some(format!("websocket: {e}"));
                    }
                    _ => {}
                }
            }
            let _ = out.flush();
            // Lines out, as the queue takes them.
            while next_line < lines.len() && w.can_send(lines[next_line].len()) {
                if w.send_text(&lines[next_line]).is_err() {
                    break;
                }
                next_line += 1;
                worked = true;
                last_activity = now;
            }
            if w.poll_at().is_some_and(|t| now >= t) {
                w.on_timeout(now);
            }
            // All sent and quiet: close normally (RFC 6455 §7.1.2).
            if next_line == lines.len()
                && w.queued_bytes() == 0
                && closing_since.is_none()
                && now - last_activity >= quiet
            {
                let _ = w.close(now, CloseCode::NORMAL, "");
                closing_since = Some(now);
                worked = true;
            }
            if w.wants_close() || (eof && w.is_closed()) {
                conn.close();
                if matches!(conn.state(), State::TimeWait | State::Closed)
                    || closing_since.is_some_and(|c| now - c > Duration::from_secs(5))
                {
                    return Ok(Next::Exit);
                }
            }
            if !moved && !worked {
                break;
            }
        }
        if now >= deadline {
            failure = Some(format!("timed out after {:.1} s", args.timeout));
            return Ok(Next::Exit);
        }
        let mut next = [iface.poll_at(), Some(deadline)]
            .into_iter()
            .flatten()
            .min();
        if let (Some(w), None) = (&ws, closing_since) {
            let quiet_at = last_activity + quiet;
            for t in [w.poll_at(), Some(quiet_at)].into_iter().flatten() {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        }
        Ok(Next::Wait(next))
    })?;
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
