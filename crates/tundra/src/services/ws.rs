//! WebSocket endpoints of the demo web server (RFC 6455, curriculum Day 6): `/echo`
//! sends every message back, `/chat` is a broadcast room ([`ChatRoom`]), and
//! `/chat.html` is the page a browser chats with (the index at `/` links to it).
//!
//! The HTTP side ([`super::http`]) answers the opening handshake with the routes
//! [`add_routes`] installs; once `ServerConnection` reports `ServerEvent::Upgraded`,
//! the TCP connection is handed to [`WsService::adopt`] and from then on belongs to a
//! sans-IO [`WsConnection`]. Every poll, per connection:
//!
//! 1. the timer: when [`WsConnection::poll_at`] has passed, `on_timeout` (keepalive
//!    ping, idle close, close wait);
//! 2. output first: `poll_transmit` into the TCP send buffer, `consume` only what
//!    `send` accepted (a full buffer is backpressure);
//! 3. input while the connection `wants_input`: bytes to `on_bytes`, end of stream to
//!    `on_eof`;
//! 4. events: `/echo` sends each message back before decoding the next (decoding is
//!    lazy, so the output queue stays bounded); `/chat` hands lines to the room;
//! 5. the room's lines are moved into every member's connection
//!    ([`ChatRoom::flush_to`]); members the room kicked (a slow reader whose bounded
//!    queue overflowed: 1008 "too slow") are closed;
//! 6. once `wants_close`: TCP `close`, and a chat member leaves the room.

use std::net::SocketAddrV4;

use tundra_core::Instant;
use tundra_http::ws::{
    handshake_response, AcceptConfig, ChatConfig, ChatRoom, CloseCode, MemberId, ServerHandshake,
    WsConfig, WsConnection, WsEvent,
};
use tundra_http::{Response, Router, Upgrade};
use tundra_stack::Interface;
use tundra_tcp::{ConnHandle, Connection, RecvError};

/// Bytes read from one WebSocket connection per poll, so one sender cannot starve the
/// others.
const READ_SLICE: usize = 256 * 1024;

/// Bytes read from one chat member per poll: every line read is queued for every
/// member before the room's lines move on at the end of the poll, so one poll must
/// not read more lines than a member's queue holds (256 KiB read at once would be
/// ~290 lines of 900 bytes, over the 256-line queue, and would kick readers that are
/// not slow at all). 16 KiB is about 18 such lines.
const CHAT_READ_SLICE: usize = 16 * 1024;

/// Adds `GET /echo`, `GET /chat` (WebSocket handshakes) and `GET /chat.html` (the
/// chat page) to `router`.
pub fn add_routes(router: Router) -> Router {
    let accept = accept_config();
    let chat_accept = accept.clone();
    router
        .get("/echo", move |req, _ctx| handshake_response(req, &accept))
        .get("/chat", move |req, _ctx| {
            handshake_response(req, &chat_accept)
        })
        .get("/chat.html", |_req, _ctx| Response::html(CHAT_PAGE))
}

/// What both endpoints accept: any origin, no subprotocol, permessage-deflate
/// (RFC 7692) when the client offers parameters we can honour.
fn accept_config() -> AcceptConfig {
    AcceptConfig {
        deflate: true,
        ..AcceptConfig::default()
    }
}

/// What a WebSocket connection serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `/echo`: messages come back.
    Echo,
    /// `/chat`: a member of the room.
    Chat(MemberId),
    /// Refused (room full): only the close handshake remains.
    Refused,
}

/// One upgraded connection.
#[derive(Debug)]
struct WsConn {
    handle: ConnHandle,
    peer: Option<SocketAddrV4>,
    ws: WsConnection,
    kind: Kind,
    /// `on_eof` was called.
    eof: bool,
    /// The TCP connection is gone or closed by us.
    gone: bool,
}

/// The WebSocket connections of the web server and its chat room.
#[derive(Debug)]
pub struct WsService {
    conns: Vec<WsConn>,
    room: ChatRoom,
    chat: ChatConfig,
    buf: Vec<u8>,
}

impl Default for WsService {
    fn default() -> WsService {
        WsService::new()
    }
}

impl WsService {
    /// No connections and an empty room.
    pub fn new() -> WsService {
        let chat = ChatConfig::default();
        WsService {
            conns: Vec::new(),
            room: ChatRoom::new(chat.clone()),
            chat,
            buf: vec![0; 64 * 1024],
        }
    }

    /// Takes over `handle` after the 101 for `upgrade`; `more` is what
    /// `ServerConnection::take_upgraded_input` had after `upgrade.leftover`.
    pub fn adopt(
        &mut self,
        now: Instant,
        handle: ConnHandle,
        peer: Option<SocketAddrV4>,
        upgrade: Upgrade,
        more: Vec<u8>,
    ) {
        let path = upgrade.request.path().to_string();
        let (mut ws, kind) = if path == "/chat" {
            let mut ws = WsConnection::server(self.chat.ws_config(), now);
            match self.room.connect() {
                Ok(id) => (ws, Kind::Chat(id)),
                Err(_) => {
                    // IANA registry (RFC 6455 §11.7): 1013 try again later.
                    let _ = ws.close(now, CloseCode::TRY_AGAIN_LATER, "room full");
                    (ws, Kind::Refused)
                }
            }
        } else {
            // /echo: the defaults take messages up to 16 MiB (Autobahn section 9).
            (WsConnection::server(WsConfig::default(), now), Kind::Echo)
        };
        // The 101 was decided by `handshake_response` on this same request, so
        // checking it again gives the same permessage-deflate parameters.
        let deflate = ServerHandshake::check(&upgrade.request, &accept_config())
            .ok()
            .and_then(|hs| hs.deflate);
        if let Some(params) = deflate {
            ws.set_deflate(params);
        }
        let ext = deflate.map_or_else(|| "no extension".to_string(), |p| p.to_string());
        log::info!(target: "tundra::ws", "{peer:?} {path}: WebSocket open ({kind:?}, {ext})");
        ws.on_bytes(now, &upgrade.leftover);
        ws.on_bytes(now, &more);
        self.conns.push(WsConn {
            handle,
            peer,
            ws,
            kind,
            eof: false,
            gone: false,
        });
    }

    /// Open WebSocket connections.
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    /// True when no WebSocket connection is open.
    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// Serves every connection (see the module doc). Returns true if anything moved.
    pub fn poll(&mut self, now: Instant, iface: &mut Interface) -> bool {
        let mut worked = false;
        for conn in &mut self.conns {
            let Some(tcp) = iface.tcp().connection_mut(conn.handle) else {
                conn.gone = true;
                continue;
            };
            worked |= serve(conn, tcp, now, &mut self.buf, &mut self.room);
        }
        // The room's lines into every member's connection, then the kicks.
        for conn in &mut self.conns {
            if let Kind::Chat(id) = conn.kind {
                worked |= self.room.flush_to(id, &mut conn.ws) > 0;
            }
        }
        while let Some(kick) = self.room.poll_kick() {
            if let Some(conn) = self
                .conns
                .iter_mut()
                .find(|c| c.kind == Kind::Chat(kick.member))
            {
                log::info!(target: "tundra::ws", "{:?}: chat kick {} {}", conn.peer, kick.code, kick.reason);
                let _ = conn.ws.close(now, kick.code, kick.reason);
                conn.kind = Kind::Refused;
                worked = true;
            }
        }
        // Output again (room lines, close frames) and the end of connections.
        let mut i = 0;
        while i < self.conns.len() {
            let conn = &mut self.conns[i];
            if !conn.gone {
                match iface.tcp().connection_mut(conn.handle) {
                    Some(tcp) => {
                        match flush(conn, tcp) {
                            Some(did) => worked |= did,
                            None => conn.gone = true,
                        }
                        if !conn.gone && conn.ws.wants_close() {
                            drain_and_close(tcp, &mut self.buf);
                            conn.gone = true;
                        }
                    }
                    None => conn.gone = true,
                }
            }
            if conn.gone {
                let conn = self.conns.swap_remove(i);
                let (zin, zout) = conn.ws.compressed_messages();
                log::info!(
                    target: "tundra::ws",
                    "{:?}: WebSocket done ({zin} compressed messages in, {zout} out)",
                    conn.peer
                );
                if let Kind::Chat(id) = conn.kind {
                    self.room.disconnect(id);
                }
                iface.tcp().close(conn.handle);
                worked = true;
            } else {
                i += 1;
            }
        }
        worked
    }

    /// The earliest WebSocket timer (keepalive, idle close, close wait).
    pub fn poll_at(&self) -> Option<Instant> {
        self.conns.iter().filter_map(|c| c.ws.poll_at()).min()
    }
}

/// Steps 1 to 4 of the module doc for one connection. Returns true if anything moved.
fn serve(
    conn: &mut WsConn,
    tcp: &mut Connection,
    now: Instant,
    buf: &mut [u8],
    room: &mut ChatRoom,
) -> bool {
    let mut did = false;
    if conn.ws.poll_at().is_some_and(|t| now >= t) {
        conn.ws.on_timeout(now);
        did = true;
    }
    let mut budget = match conn.kind {
        Kind::Echo => READ_SLICE,
        Kind::Chat(_) | Kind::Refused => CHAT_READ_SLICE,
    };
    loop {
        match flush(conn, tcp) {
            Some(d) => did |= d,
            None => {
                conn.gone = true;
                return true;
            }
        }
        let mut progressed = false;
        while let Some(event) = conn.ws.poll_event(now) {
            progressed = true;
            handle_event(conn, event, room);
            // Echoed output leaves before the next message is decoded.
            if conn.kind == Kind::Echo {
                match flush(conn, tcp) {
                    Some(d) => did |= d,
                    None => {
                        conn.gone = true;
                        return true;
                    }
                }
            }
        }
        if conn.eof || !conn.ws.wants_input() || budget == 0 {
            break;
        }
        let want = budget.min(buf.len());
        match tcp.recv(&mut buf[..want]) {
            Ok(0) => {
                conn.eof = true;
                conn.ws.on_eof(now);
                progressed = true;
            }
            Ok(n) => {
                budget -= n;
                conn.ws.on_bytes(now, &buf[..n]);
                progressed = true;
            }
            Err(RecvError::WouldBlock) | Err(RecvError::NotConnected) => {}
            Err(_) => {
                conn.gone = true;
                return true;
            }
        }
        did |= progressed;
        if !progressed {
            break;
        }
    }
    did
}

/// Answers one event: echo it, or give it to the room.
fn handle_event(conn: &mut WsConn, event: WsEvent, room: &mut ChatRoom) {
    match (conn.kind, event) {
        (Kind::Echo, WsEvent::Text(t)) => {
            if let Err(e) = conn.ws.send_text(&t) {
                log::debug!("ws echo {:?}: {e}", conn.peer);
            }
        }
        (Kind::Echo, WsEvent::Binary(b)) => {
            if let Err(e) = conn.ws.send_binary(&b) {
                log::debug!("ws echo {:?}: {e}", conn.peer);
            }
        }
        (Kind::Chat(id), WsEvent::Text(t)) => room.receive(id, &t),
        (Kind::Chat(id), WsEvent::Binary(_)) => room.receive_binary(id),
        (Kind::Chat(id), WsEvent::Close { .. } | WsEvent::Error(_)) => {
            // The member leaves now; the connection finishes its close handshake.
            room.disconnect(id);
            conn.kind = Kind::Refused;
        }
        (_, WsEvent::Close { code, reason }) => {
            log::debug!("ws {:?}: closed by peer: {code} {reason:?}", conn.peer);
        }
        (_, WsEvent::Error(e)) => log::debug!("ws {:?}: failed: {e}", conn.peer),
        _ => {}
    }
}

/// Moves the connection's output into TCP until either runs out. `None` if TCP can
/// take no more data ever.
fn flush(conn: &mut WsConn, tcp: &mut Connection) -> Option<bool> {
    let mut did = false;
    while let Some(out) = conn.ws.poll_transmit() {
        let len = out.len();
        match tcp.send(out) {
            Ok(n) => {
                conn.ws.consume(n);
                did |= n > 0;
                if n < len || n == 0 {
                    break;
                }
            }
            Err(tundra_tcp::SendError::WouldBlock) => break,
            Err(e) => {
                log::debug!("ws {:?}: send failed: {e}", conn.peer);
                return None;
            }
        }
    }
    Some(did)
}

/// Reads and drops what the peer still sent (so the close is a FIN, not a reset),
/// then closes TCP.
fn drain_and_close(tcp: &mut Connection, buf: &mut [u8]) {
    while let Ok(n) = tcp.recv(buf) {
        if n == 0 {
            break;
        }
    }
    tcp.close();
}

/// The chat page: plain HTML and JavaScript, talking the room's line protocol
/// (docs/websocket.md §4) to `ws://<this host>/chat`.
pub const CHAT_PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Tundra chat</title>
<style>
body { font-family: sans-serif; max-width: 48em; margin: 1em auto; }
#log { border: 1px solid #888; height: 24em; overflow-y: auto; padding: 0.5em; white-space: pre-wrap; }
.notice { color: #666; font-style: italic; }
.error { color: #b00; }
</style>
</head>
<body>
<h1>Tundra chat</h1>
<p>A WebSocket room over Tundra's own TCP. <a href="/">&larr; the stack</a></p>
<p id="status">connecting&hellip;</p>
<div id="log"></div>
<form id="nickform"><input id="nick" placeholder="nickname" maxlength="24"> <button id="join">join</button></form>
<form id="sayform"><input id="line" placeholder="say something" size="60" maxlength="1000"> <button id="send">send</button></form>
<script>
"use strict";
const log = document.getElementById("log");
const status = document.getElementById("status");
function show(text) {
  const div = document.createElement("div");
  div.className = text.startsWith("* ") ? "notice" : text.startsWith("! ") ? "error" : "line";
  div.textContent = text;
  log.appendChild(div);
  log.scrollTop = log.scrollHeight;
}
const ws = new WebSocket("ws://" + location.host + "/chat");
ws.onopen = () => { status.textContent = "connected"; };
ws.onmessage = (ev) => show(String(ev.data));
ws.onclose = (ev) => { status.textContent = "closed (" + ev.code + (ev.reason ? " " + ev.reason : "") + ")"; };
ws.onerror = () => { status.textContent = "error"; };
document.getElementById("nickform").onsubmit = (ev) => {
  ev.preventDefault();
  const nick = document.getElementById("nick");
  if (nick.value) { ws.send("/nick " + nick.value); }
};
document.getElementById("sayform").onsubmit = (ev) => {
  ev.preventDefault();
  const line = document.getElementById("line");
  if (line.value) {
    ws.send(line.value.startsWith("/") && !line.value.startsWith("/nick ") && line.value !== "/who" ? "/" + line.value : line.value);
    line.value = "";
  }
};
</script>
</body>
</html>
"#;
