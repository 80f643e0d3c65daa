//! [`ServerConnection`]: one HTTP/1.1 server connection as a sans-IO state machine.
//!
//! Heads up! Read first: RFC 9112 §9 (connection management: persistence §9.3,
//! pipelining §9.3.2, closing §9.6), RFC 9110 §10.1.1 (Expect: 100-continue),
//! RFC 9110 §6.6.1 (Date), RFC 9110 §15.5.9 (408).
//!
//! The driver moves bytes and time:
//!
//! ```text
//! on_bytes(now, received)      -> requests are parsed and handled, in order
//! poll_transmit(now) -> bytes  -> send them, then consume(n) with what was sent
//! poll_at() -> deadline        -> call on_timeout(now) when it passes
//! poll_event() -> access log lines and Upgrade hand-overs
//! wants_close()                -> close the transport (after sending everything)
//! ```
//!
//! Output is bounded: responses to pipelined requests are produced only while less
//! than `output_high_water` bytes wait to be sent, and a streamed body is pulled a
//! chunk at a time from `poll_transmit`, so a 100 MiB file never sits in memory.

use std::collections::VecDeque;
use std::sync::Arc;

use core::fmt;

use tundra_core::{Duration, Instant};

use crate::access::{AccessLogEntry, LoggedTarget};
use crate::chunked::{encode_chunk, encode_last_chunk};
use crate::date::{format_imf_fixdate, WallClock};
use crate::error::ParseError;
use crate::headers::{is_known_valid, write_field, write_known_field};
use crate::limits::Limits;
use crate::message::{Method, Request};
use crate::parse::RequestDecoder;
use crate::response::{Body, BodyStream, Response};
use crate::router::Router;
use crate::status::StatusCode;

/// Most events kept for the driver; older access-log entries are dropped beyond it.
const MAX_EVENTS: usize = 1024;

/// Server settings: limits, timeouts, identity, clock and buffering.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Parser limits (414, 431, 413, 501 come from here).
    pub limits: Limits,
    /// Time from the first byte of a request head to its end before 408 and close
    /// (the slowloris defence).
    pub header_timeout: Duration,
    /// Time from the end of a head to the end of its body before 408 and close.
    pub body_timeout: Duration,
    /// Time a connection may sit with nothing happening (no request started, or
    /// nothing sent) before it is closed.
    pub idle_timeout: Duration,
    /// The `Server` field value (RFC 9110 §10.2.4); `None` sends none.
    pub server_name: Option<String>,
    /// The wall clock for `Date` (RFC 9110 §6.6.1); `None` sends no Date.
    pub wall_clock: Option<WallClock>,
    /// Bytes pulled from a streamed body at a time.
    pub stream_chunk: usize,
    /// No new response is produced while this many bytes wait to be sent.
    pub output_high_water: usize,
    /// Most received bytes kept unprocessed (pipelined requests waiting while a
    /// response streams). A driver that honours [`ServerConnection::wants_input`]
    /// never reaches it; one that does not gets the connection aborted here.
    pub max_buffered_input: usize,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            limits: Limits::default(),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            server_name: Some(concat!("tundra/", env!("CARGO_PKG_VERSION")).to_owned()),
            wall_clock: None,
            stream_chunk: 64 * 1024,
            output_high_water: 64 * 1024,
            max_buffered_input: 1024 * 1024,
        }
    }
}

/// What every connection of one server shares: settings and routes.
#[derive(Debug, Clone, Default)]
pub struct Server {
    /// Settings.
    pub config: ServerConfig,
    /// Routes.
    pub router: Router,
}

/// A connection that switched protocols after a 101 (RFC 9110 §7.8): from now on its
/// byte stream belongs to `protocol` (e.g. WebSocket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upgrade {
    /// The protocol switched to (the handler's `Response::upgrade`).
    pub protocol: String,
    /// The request that asked for it (its headers carry e.g. Sec-WebSocket-Key).
    pub request: Request,
    /// Bytes received after the request that already belong to the new protocol.
    pub leftover: Vec<u8>,
}

/// Something for the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A response was completed (also written to `log` at info level, target
    /// `tundra_http::access`).
    Access(AccessLogEntry),
    /// The 101 was sent; the connection now carries another protocol. Later bytes
    /// from the peer are in [`ServerConnection::take_upgraded_input`].
    Upgraded(Upgrade),
}

/// Where the connection is, for its timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Closing or switching protocols: waiting for the output to drain.
    Closing,
    /// Output is waiting to be sent or a body is being streamed.
    Sending,
    /// A request body is being received.
    Body,
    /// A request head is being received.
    Head,
    /// Nothing in progress.
    Idle,
}

/// A body being streamed into the output.
struct ActiveStream {
    body: Box<dyn BodyStream>,
    /// Bytes still to send if the length was announced.
    remaining: Option<u64>,
    chunked: bool,
    log: AccessLogEntry,
    started: Instant,
}

/// One server connection. See the module doc for the driver's side.
pub struct ServerConnection {
    server: Arc<Server>,
    decoder: RequestDecoder,
    out: Vec<u8>,
    out_pos: usize,
    scratch: Vec<u8>,
    stream: Option<ActiveStream>,
    /// Close once the output has drained (no more requests are read).
    closing: bool,
    /// Close now, dropping unsent output (a broken stream or a stalled peer).
    aborted: bool,
    peer_eof: bool,
    upgrade_pending: Option<(Request, String)>,
    upgraded: bool,
    post_upgrade: Vec<u8>,
    /// Access-log entries not yet taken by `poll_event`, oldest first.
    access: VecDeque<AccessLogEntry>,
    /// The Upgraded event, once the 101 is sent. Nothing is logged after it, so
    /// `poll_event` gives it after every access entry: the order they happened in.
    upgraded_event: Option<Upgrade>,
    head_started: Option<Instant>,
    body_started: Option<Instant>,
    last_activity: Instant,
    last_now: Instant,
    /// The `Date` and `Server` lines every response starts with, as ready bytes.
    fixed_lines: FixedLines,
}

/// The start of a response head that is the same for every response with one status
/// for a whole second: the status line, `Date: ...\r\n` (RFC 9110 §6.6.1; its text
/// changes once a second) and `Server: ...\r\n` (RFC 9110 §10.2.4) when the
/// configured name is a valid field value as it is. The Date and Server lines are
/// built when the second changes, the status line put in front of them when the
/// status changes, and the whole copied into each head at once.
struct FixedLines {
    /// The second the `Date` line names (`None`: no wall clock, no `Date`); `None`
    /// before the lines are first built.
    secs: Option<Option<u64>>,
    /// The configured `Server` value is a valid field value as it is (checked once
    /// here, not for every response); otherwise it is checked and written per response.
    server_name_valid: bool,
    /// The Date and Server lines.
    bytes: Vec<u8>,
    /// The status and second `head` is for; `None` before it is first built.
    head_of: Option<(StatusCode, Option<u64>)>,
    /// The status line followed by `bytes`.
    head: Vec<u8>,
}

impl FixedLines {
    /// Nothing built yet; `server_name_valid` as checked when the connection was made.
    fn new(server_name_valid: bool) -> FixedLines {
        FixedLines {
            secs: None,
            server_name_valid,
            bytes: Vec::new(),
            head_of: None,
            head: Vec::new(),
        }
    }

    /// The status line of `status` and the fixed lines for the second `secs` (`None`:
    /// no `Date`), rebuilt only when either changed since the last call.
    #[inline]
    fn head_start(
        &mut self,
        config: &ServerConfig,
        status: StatusCode,
        secs: Option<u64>,
    ) -> &[u8] {
        if self.head_of != Some((status, secs)) {
            self.rebuild(config, status, secs);
        }
        &self.head
    }

    /// Builds the head start for `status` at `secs`, and the Date and Server lines
    /// first if the second changed.
    fn rebuild(&mut self, config: &ServerConfig, status: StatusCode, secs: Option<u64>) {
        if self.secs != Some(secs) {
            self.secs = Some(secs);
            self.bytes.clear();
            if let Some(secs) = secs {
                write_known_field(&mut self.bytes, "Date", format_imf_fixdate(secs).as_bytes());
            }
            if let Some(name) = config
                .server_name
                .as_ref()
                .filter(|_| self.server_name_valid)
            {
                write_known_field(&mut self.bytes, "Server", name.as_bytes());
            }
        }
        self.head.clear();
        write_status_line(&mut self.head, status);
        self.head.extend_from_slice(&self.bytes);
        self.head_of = Some((status, secs));
    }
}

impl fmt::Debug for ServerConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConnection")
            .field("phase", &self.phase())
            .field("pending_out", &self.pending_out())
            .field("closing", &self.closing)
            .field("upgraded", &self.upgraded)
            .finish()
    }
}

impl ServerConnection {
    /// A connection accepted at `now`.
    pub fn new(server: Arc<Server>, now: Instant) -> ServerConnection {
        let limits = server.config.limits;
        let server_name_valid = server
            .config
            .server_name
            .as_ref()
            .is_some_and(|name| is_known_valid("Server", name.as_bytes()));
        ServerConnection {
            server,
            decoder: RequestDecoder::new(limits),
            out: Vec::new(),
            out_pos: 0,
            scratch: Vec::new(),
            stream: None,
            closing: false,
            aborted: false,
            peer_eof: false,
            upgrade_pending: None,
            upgraded: false,
            post_upgrade: Vec::new(),
            access: VecDeque::new(),
            upgraded_event: None,
            head_started: None,
            body_started: None,
            last_activity: now,
            last_now: now,
            fixed_lines: FixedLines::new(server_name_valid),
        }
    }

    /// Bytes received from the peer.
    pub fn on_bytes(&mut self, now: Instant, data: &[u8]) {
        self.last_now = now;
        if data.is_empty() {
            return;
        }
        self.last_activity = now;
        if self.upgraded || self.upgrade_pending.is_some() {
            self.post_upgrade.extend_from_slice(data);
            return;
        }
        if self.closing || self.aborted {
            // RFC 9112 §9.6: after deciding to close, further requests are not
            // processed; their bytes are read and dropped.
            return;
        }
        self.decoder.feed(data);
        self.process(now);
        if self.decoder.buffered() > self.server.config.max_buffered_input {
            log::warn!("peer sent more than max_buffered_input without reading; aborting");
            self.aborted = true;
        }
    }

    /// The peer finished sending (TCP FIN). Complete requests already received are
    /// still answered; then the connection closes.
    pub fn on_eof(&mut self, now: Instant) {
        self.last_now = now;
        self.peer_eof = true;
        self.process(now);
    }

    /// The bytes waiting to be sent, if any. Pulls the next chunk of a streamed body
    /// and answers pipelined requests as room frees up.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<&[u8]> {
        self.last_now = now;
        if self.aborted {
            return None;
        }
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
        }
        self.fill_from_stream(now);
        if self.stream.is_none() {
            self.process(now);
            self.fill_from_stream(now);
        }
        self.maybe_finish_upgrade();
        if self.aborted || self.out_pos == self.out.len() {
            return None;
        }
        Some(&self.out[self.out_pos..])
    }

    /// `n` bytes of what `poll_transmit` returned were sent.
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.pending_out());
        self.out_pos += n;
        if n > 0 {
            self.last_activity = self.last_now;
        }
        self.maybe_finish_upgrade();
    }

    /// The next deadline: call [`ServerConnection::on_timeout`] when it passes.
    pub fn poll_at(&self) -> Option<Instant> {
        if self.wants_close() || self.upgraded {
            return None;
        }
        let cfg = &self.server.config;
        Some(match self.phase() {
            Phase::Closing | Phase::Sending | Phase::Idle => self.last_activity + cfg.idle_timeout,
            Phase::Body => self.body_started.unwrap_or(self.last_activity) + cfg.body_timeout,
            Phase::Head => self.head_started.unwrap_or(self.last_activity) + cfg.header_timeout,
        })
    }

    /// Fires the timer if its deadline has passed.
    pub fn on_timeout(&mut self, now: Instant) {
        self.last_now = now;
        match self.poll_at() {
            Some(deadline) if now >= deadline => {}
            _ => return,
        }
        match self.phase() {
            // RFC 9110 §15.5.9: 408 when the server would like to shut down an unused
            // connection, here one that started a request and did not finish it.
            Phase::Head | Phase::Body => {
                log::debug!("request timed out in {:?}", self.phase());
                self.reject(now, StatusCode::REQUEST_TIMEOUT, None);
            }
            // RFC 9112 §9.5: a server may close an idle connection at any time.
            Phase::Idle => self.closing = true,
            // The peer stopped reading: give up on the output.
            Phase::Sending | Phase::Closing => self.aborted = true,
        }
    }

    /// The next event for the driver.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        match self.access.pop_front() {
            Some(entry) => Some(ServerEvent::Access(entry)),
            None => self.upgraded_event.take().map(ServerEvent::Upgraded),
        }
    }

    /// True when the transport should be closed now: everything was sent after a
    /// close was decided, or the connection was aborted.
    pub fn wants_close(&self) -> bool {
        self.aborted
            || (self.closing
                && self.stream.is_none()
                && self.upgrade_pending.is_none()
                && !self.upgraded
                && self.pending_out() == 0)
    }

    /// True while the connection would use more input (backpressure hint: a driver
    /// may stop reading the socket while this is false).
    pub fn wants_input(&self) -> bool {
        !self.closing
            && !self.aborted
            && self.decoder.buffered() < self.server.config.max_buffered_input / 2
    }

    /// True when nothing can happen on this connection until the peer sends more or
    /// its timer ([`ServerConnection::poll_at`]) fires: no output or body waiting, no
    /// request bytes buffered, no event to collect, not closing. A driver with many
    /// keep-alive connections may skip polling such a one until its transport has
    /// news.
    pub fn is_waiting_for_input(&self) -> bool {
        self.phase() == Phase::Idle
            && self.decoder.buffered() == 0
            && self.access.is_empty()
            && self.upgraded_event.is_none()
            && !self.aborted
            && !self.peer_eof
    }

    /// True once the connection switched protocols.
    pub fn is_upgraded(&self) -> bool {
        self.upgraded
    }

    /// Bytes received after the [`ServerEvent::Upgraded`] event.
    pub fn take_upgraded_input(&mut self) -> Vec<u8> {
        if self.upgraded {
            core::mem::take(&mut self.post_upgrade)
        } else {
            Vec::new()
        }
    }

    fn pending_out(&self) -> usize {
        self.out.len() - self.out_pos
    }

    fn phase(&self) -> Phase {
        if self.closing || self.upgrade_pending.is_some() || self.upgraded {
            Phase::Closing
        } else if self.stream.is_some() || self.pending_out() > 0 {
            Phase::Sending
        } else if self.decoder.in_body() {
            Phase::Body
        } else if !self.decoder.is_idle() {
            Phase::Head
        } else {
            Phase::Idle
        }
    }

    /// Answers complete requests in order while there is room in the output. Inline,
    /// the work apart: most calls (two per keep-alive request, from `poll_transmit`)
    /// have nothing to decode and only update the timers.
    #[inline]
    fn process(&mut self, now: Instant) {
        if self.may_decode() {
            self.decode_while_possible(now);
        }
        self.update_timers(now);
    }

    /// [`ServerConnection::process`] with something to decode.
    fn decode_while_possible(&mut self, now: Instant) {
        while self.decode_one(now) && self.may_decode() {}
    }

    /// True if the decoder may be asked for the next request now: the connection
    /// still reads requests, no response is in the way, and there is something to
    /// decode. Checked inline, so the common call with nothing to do stays cheap.
    #[inline]
    fn may_decode(&self) -> bool {
        if self.closing
            || self.aborted
            || self.upgrade_pending.is_some()
            || self.upgraded
            || self.stream.is_some()
            || self.pending_out() >= self.server.config.output_high_water
        {
            return false;
        }
        // With no bytes waiting the decoder has nothing new to say (a request comes
        // out of the poll that reads its last byte), so it is asked only if the input
        // ended. This is the common case: after each keep-alive request and on every
        // `poll_transmit`.
        self.decoder.buffered() > 0 || self.peer_eof
    }

    /// Asks the decoder for one request and answers it; false when there was none
    /// (more bytes are needed, or the stream failed and was answered).
    fn decode_one(&mut self, now: Instant) -> bool {
        match self.decoder.poll_in_place() {
            Ok(true) => {
                self.handle(now);
                true
            }
            Ok(false) => {
                if self.decoder.take_continue() {
                    // RFC 9110 §10.1.1: the interim 100 tells the client to send
                    // the content it is holding back.
                    self.out.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
                }
                if self.peer_eof {
                    // Nothing more will arrive: an unfinished request is dropped
                    // and the connection closes (RFC 9112 §9.6).
                    self.closing = true;
                }
                false
            }
            Err(e) => {
                log::debug!("rejecting request: {e}");
                self.reject(now, e.status(), Some(e));
                false
            }
        }
    }

    fn update_timers(&mut self, now: Instant) {
        if self.decoder.in_body() {
            self.head_started = None;
            self.body_started.get_or_insert(now);
        } else if self.decoder.is_idle() {
            self.head_started = None;
            self.body_started = None;
        } else {
            self.head_started.get_or_insert(now);
        }
    }

    /// Runs the handler for the request the decoder just completed (read where it was
    /// decoded, not moved) and queues its response.
    fn handle(&mut self, now: Instant) {
        let request = self.decoder.request();
        let started = self.head_started.or(self.body_started).unwrap_or(now);
        self.head_started = None;
        self.body_started = None;
        self.last_activity = now;
        let cfg = &self.server.config;
        let unix_secs = cfg.wall_clock.map(|c| c.unix_secs_at(now));
        let mut response = self.server.router.dispatch(request, now, unix_secs);
        log::trace!("{request} -> {}", response.status);

        if response.status.is_informational() && response.upgrade.is_none() {
            log::warn!(
                "handler returned interim status {}; sending 500",
                response.status
            );
            response = Response::status_page(StatusCode::INTERNAL_SERVER_ERROR);
        }
        let status = response.status;
        if let Some(protocol) = response.upgrade.take() {
            if response.status == StatusCode::SWITCHING_PROTOCOLS {
                let cfg = &self.server.config;
                write_head(
                    &mut self.out,
                    &mut self.fixed_lines,
                    cfg,
                    now,
                    &response,
                    None,
                    None,
                );
                let entry = access_entry(request, status, 0);
                push_access(&mut self.access, entry, started, now);
                self.upgrade_pending = Some((self.decoder.take_request(), protocol));
                return;
            }
        }

        let mut keep_alive =
            request.keep_alive && !response.headers.has_token("connection", "close");
        let is_head = matches!(request.method, Method::Head);
        let http11 = request.version.is_http11();
        let bodiless = status.has_no_body();
        // RFC 9110 §9.3.2 and §6.4.1: HEAD, 1xx, 204 and 304 responses carry no content.
        let no_content = is_head || bodiless;
        let length = if bodiless {
            None
        } else {
            response.body.len_hint()
        };
        // Framing (RFC 9112 §6.1, §6.3): Content-Length if known; otherwise chunked for
        // HTTP/1.1 (not for HEAD, where nothing follows) or close-delimited for 1.0.
        let chunked = length.is_none() && !bodiless && http11 && !is_head;
        if length.is_none() && !chunked && !no_content {
            keep_alive = false;
        }
        let connection = if !keep_alive {
            Some("close")
        } else if !http11 {
            // RFC 9112 Appendix C.2.2: an HTTP/1.0 peer needs keep-alive echoed.
            Some("keep-alive")
        } else {
            None
        };
        let framing = length
            .map(|n| (n, chunked))
            .or(chunked.then_some((0, true)));
        let cfg = &self.server.config;
        write_head(
            &mut self.out,
            &mut self.fixed_lines,
            cfg,
            now,
            &response,
            framing,
            connection,
        );
        if !keep_alive {
            self.closing = true;
        }
        // The access-log entry is made where it goes, with its final body size.
        match response.body {
            _ if no_content => {
                let entry = access_entry(request, status, 0);
                push_access(&mut self.access, entry, started, now);
            }
            Body::Stream(stream) => {
                self.stream = Some(ActiveStream {
                    remaining: length,
                    body: stream,
                    chunked,
                    log: access_entry(request, status, 0),
                    started,
                });
            }
            ref in_memory => {
                let bytes = in_memory.as_bytes().unwrap_or_default();
                self.out.extend_from_slice(bytes);
                let entry = access_entry(request, status, bytes.len() as u64);
                push_access(&mut self.access, entry, started, now);
            }
        }
        // The next request is decoded into this one's buffers.
        self.decoder.release_request();
    }

    /// Queues an error response and closes (RFC 9112 §9.6 after a framing error the
    /// connection cannot be reused).
    fn reject(&mut self, now: Instant, status: StatusCode, error: Option<ParseError>) {
        let started = self.head_started.or(self.body_started).unwrap_or(now);
        let page = Response::text(
            status,
            match error {
                Some(e) => format!("{status}: {e}\n"),
                None => format!("{status}\n"),
            },
        );
        let body = page.body.as_bytes().unwrap_or_default();
        let len = body.len() as u64;
        let cfg = &self.server.config;
        let framing = Some((len, false));
        let out = &mut self.out;
        write_head(
            out,
            &mut self.fixed_lines,
            cfg,
            now,
            &page,
            framing,
            Some("close"),
        );
        self.out.extend_from_slice(body);
        self.closing = true;
        self.head_started = None;
        self.body_started = None;
        let entry = AccessLogEntry {
            method: None,
            target: None,
            version: None,
            status,
            body_bytes: len,
            duration: Duration::ZERO,
        };
        push_access(&mut self.access, entry, started, now);
    }

    /// Pulls streamed body bytes into the output while it is below the high water (a
    /// cheap check when no body is streaming, the common case).
    #[inline]
    fn fill_from_stream(&mut self, now: Instant) {
        if self.stream.is_some() {
            self.pull_stream(now);
        }
    }

    /// [`ServerConnection::fill_from_stream`] with a body streaming.
    fn pull_stream(&mut self, now: Instant) {
        let chunk = self.server.config.stream_chunk.max(1);
        let high_water = self.server.config.output_high_water;
        while self.pending_out() < high_water {
            let Some(active) = self.stream.as_mut() else {
                return;
            };
            let want = match active.remaining {
                Some(r) => chunk.min(usize::try_from(r).unwrap_or(usize::MAX)),
                None => chunk,
            };
            let n = if want == 0 {
                0
            } else {
                self.scratch.resize(want, 0);
                match active.body.read(&mut self.scratch[..want]) {
                    Ok(n) => n.min(want),
                    Err(e) => {
                        log::warn!("body stream failed after the head was sent: {e}; closing");
                        self.abort_stream();
                        return;
                    }
                }
            };
            if n == 0 {
                if active.remaining.is_some_and(|r| r > 0) {
                    log::warn!("body stream ended before its announced length; closing");
                    self.abort_stream();
                    return;
                }
                if active.chunked {
                    encode_last_chunk(&mut self.out);
                }
                let Some(done) = self.stream.take() else {
                    return;
                };
                push_access(&mut self.access, done.log, done.started, now);
                return;
            }
            if active.chunked {
                encode_chunk(&mut self.out, &self.scratch[..n]);
            } else {
                self.out.extend_from_slice(&self.scratch[..n]);
            }
            active.log.body_bytes += n as u64;
            if let Some(r) = active.remaining.as_mut() {
                *r -= n as u64;
            }
        }
    }

    /// The body cannot be completed: the only honest signal left is closing early,
    /// after the bytes already queued (the client sees a short body).
    fn abort_stream(&mut self) {
        self.stream = None;
        self.closing = true;
    }

    /// Completes a pending switch of protocols once the 101 has been sent.
    #[inline]
    fn maybe_finish_upgrade(&mut self) {
        if self.upgrade_pending.is_some() && self.pending_out() == 0 {
            self.finish_upgrade();
        }
    }

    /// Hands the connection over to the new protocol (the 101 is sent).
    fn finish_upgrade(&mut self) {
        if let Some((request, protocol)) = self.upgrade_pending.take() {
            let mut leftover = self.decoder.take_buffered();
            leftover.append(&mut self.post_upgrade);
            self.upgraded = true;
            self.upgraded_event = Some(Upgrade {
                protocol,
                request,
                leftover,
            });
        }
    }
}

/// The access-log entry for `request` answered with `status` and `body_bytes` of
/// content (its duration is set when it is queued).
#[inline]
fn access_entry(request: &Request, status: StatusCode, body_bytes: u64) -> AccessLogEntry {
    AccessLogEntry {
        method: Some(request.method.clone()),
        target: Some(LoggedTarget::new(&request.target)),
        version: Some(request.version),
        status,
        body_bytes,
        duration: Duration::ZERO,
    }
}

/// Logs a completed response and queues its access-log event (the oldest is dropped
/// beyond [`MAX_EVENTS`]). A function of the queue alone, so it can run while the
/// request is still borrowed from the decoder.
#[inline]
fn push_access(
    access: &mut VecDeque<AccessLogEntry>,
    mut entry: AccessLogEntry,
    started: Instant,
    now: Instant,
) {
    entry.duration = now - started;
    log::info!(target: "tundra_http::access", "{entry}");
    if access.len() >= MAX_EVENTS {
        access.pop_front();
    }
    access.push_back(entry);
}

/// Writes a status line and fields into `out`. `framing` is `Some((len, chunked))`:
/// chunked announces `Transfer-Encoding: chunked`, otherwise `Content-Length: len`.
/// A function of the parts it writes with, so it can run while the request is still
/// borrowed from the decoder.
///
/// Every field goes through [`write_field`]'s check except those valid by
/// construction: our own literals, digits and date, the `Server` name checked when
/// the connection was made, and [`crate::headers::KnownField`]s.
fn write_head(
    out: &mut Vec<u8>,
    fixed_lines: &mut FixedLines,
    cfg: &ServerConfig,
    now: Instant,
    response: &Response,
    framing: Option<(u64, bool)>,
    connection: Option<&'static str>,
) {
    // RFC 9110 §6.6.1: an origin server with a clock MUST send Date in 2xx, 3xx
    // and 4xx responses (and MAY in others).
    let secs = cfg.wall_clock.map(|clock| clock.unix_secs_at(now));
    out.extend_from_slice(fixed_lines.head_start(cfg, response.status, secs));
    if let Some(name) = &cfg.server_name {
        if !fixed_lines.server_name_valid {
            write_field(out, "Server", name.as_bytes());
        }
    }
    let upgrading =
        response.upgrade.is_some() || response.status == StatusCode::SWITCHING_PROTOCOLS;
    for (h, known_line) in response.headers.iter_marked() {
        if is_managed(h.name, upgrading) {
            continue;
        }
        match known_line {
            Some(line) => out.extend_from_slice(line),
            None => write_field(out, h.name, h.value),
        }
    }
    match framing {
        Some((_, true)) => write_known_field(out, "Transfer-Encoding", b"chunked"),
        Some((len, false)) => write_content_length(out, len),
        None => {}
    }
    if let Some(c) = connection {
        write_known_field(out, "Connection", c.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends the status line of `status`. RFC 9110 §2.5: a server sends the highest
/// version it conforms to, 1.1. Written without `format!`: this runs once per response
/// (docs/performance.md).
fn write_status_line(out: &mut Vec<u8>, status: StatusCode) {
    match status.status_line() {
        Some(line) => out.extend_from_slice(line.as_bytes()),
        None => {
            out.extend_from_slice(b"HTTP/1.1 ");
            write_decimal(out, u64::from(status.0), 3);
            out.push(b' ');
            out.extend_from_slice(status.reason().as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// True for a field the server writes itself (Date, Server, the framing fields and,
/// except on a 101, Connection), so a handler's copy of it is not sent. Compared by
/// length first: most names are not one of these.
fn is_managed(name: &str, upgrading: bool) -> bool {
    let managed: &str = match name.len() {
        4 => "date",
        6 => "server",
        10 if !upgrading => "connection",
        14 => "content-length",
        17 => "transfer-encoding",
        _ => return false,
    };
    name.eq_ignore_ascii_case(managed)
}

/// Appends `Content-Length: len\r\n` (RFC 9110 §8.6) with one copy: the line is put
/// together on the stack, its digits from the end.
fn write_content_length(out: &mut Vec<u8>, len: u64) {
    const NAME: &[u8] = b"Content-Length: ";
    let mut line = [0u8; NAME.len() + 20 + 2];
    let mut start = line.len() - 2;
    line[start..].copy_from_slice(b"\r\n");
    let mut rest = len;
    loop {
        start -= 1;
        line[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    start -= NAME.len();
    line[start..start + NAME.len()].copy_from_slice(NAME);
    out.extend_from_slice(&line[start..]);
}

/// Appends `n` in decimal, zero-padded to at least `min_digits` (at most 20) digits.
fn write_decimal(out: &mut Vec<u8>, n: u64, min_digits: usize) {
    let mut digits = [b'0'; 20];
    let mut i = digits.len();
    let mut rest = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let start = i.min(digits.len() - min_digits.clamp(1, digits.len()));
    out.extend_from_slice(&digits[start..]);
}

#[cfg(test)]
mod tests {
    use super::{
        is_managed, write_content_length, write_decimal, Arc, Instant, Response, Router, Server,
        ServerConfig, ServerConnection, StatusCode, WallClock,
    };

    /// The head of the response to one `GET /` sent at `now`.
    fn head_at(c: &mut ServerConnection, now: Instant) -> String {
        c.on_bytes(now, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        let out = String::from_utf8(c.poll_transmit(now).unwrap().to_vec()).unwrap();
        c.consume(out.len());
        out.split("\r\n\r\n").next().unwrap().to_owned()
    }

    /// A server named "t" whose wall clock reads Sun, 06 Nov 1994 08:49:36 GMT at
    /// time zero, with `router`.
    fn clocked_server(router: Router) -> Arc<Server> {
        Arc::new(Server {
            config: ServerConfig {
                server_name: Some("t".into()),
                wall_clock: Some(WallClock {
                    at: Instant::ZERO,
                    unix_secs: 784_111_776,
                }),
                ..ServerConfig::default()
            },
            router,
        })
    }

    /// The Date and Server lines are kept as ready bytes, but the Date follows the
    /// clock: the same second gives the same text, the next second new text, exactly
    /// at the boundary.
    #[test]
    fn date_line_follows_the_clock_across_second_boundaries() {
        let server =
            clocked_server(Router::new().get("/", |_, _| Response::text(StatusCode::OK, "x")));
        let mut c = ServerConnection::new(server, Instant::ZERO);
        let head = |secs: &str| {
            format!(
                "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 {secs} GMT\r\nServer: t\r\n\
                 Content-Type: text/plain; charset=utf-8\r\nContent-Length: 1"
            )
        };
        assert_eq!(head_at(&mut c, Instant::ZERO), head("08:49:36"));
        assert_eq!(head_at(&mut c, Instant::from_millis(999)), head("08:49:36"));
        assert_eq!(
            head_at(&mut c, Instant::from_millis(1000)),
            head("08:49:37")
        );
        assert_eq!(
            head_at(&mut c, Instant::from_millis(1001)),
            head("08:49:37")
        );
        assert_eq!(head_at(&mut c, Instant::from_secs(61)), head("08:50:37"));
    }

    /// The cached head start follows the status too: responses with different
    /// statuses in the same second each get their own status line before the same
    /// Date and Server lines, including a code without a registered reason.
    #[test]
    fn head_start_follows_the_status_within_a_second() {
        let server = clocked_server(
            Router::new()
                .get("/", |_, _| Response::text(StatusCode::OK, "x"))
                .get("/odd", |_, _| Response::text(StatusCode(299), "x")),
        );
        let mut c = ServerConnection::new(server, Instant::ZERO);
        let mut head = |path: &str| {
            let request = format!("GET {path} HTTP/1.1\r\nHost: a\r\n\r\n");
            c.on_bytes(Instant::ZERO, request.as_bytes());
            let out = String::from_utf8(c.poll_transmit(Instant::ZERO).unwrap().to_vec());
            c.consume(out.as_ref().unwrap().len());
            let out = out.unwrap();
            out.split("\r\nContent-Type").next().unwrap().to_owned()
        };
        let fixed = "\r\nDate: Sun, 06 Nov 1994 08:49:36 GMT\r\nServer: t";
        for (path, status) in [
            ("/", "200 OK"),
            ("/nope", "404 Not Found"),
            ("/", "200 OK"),
            ("/odd", "299 "),
            ("/odd", "299 "),
            ("/", "200 OK"),
        ] {
            assert_eq!(head(path), format!("HTTP/1.1 {status}{fixed}"), "{path}");
        }
    }

    /// Without a clock no Date is sent; a Server name that is not a clean field value
    /// is not cached but trimmed (or dropped) per response as before.
    #[test]
    fn no_clock_no_date_and_unclean_server_names_are_still_checked() {
        let connect = |name: &str| {
            let server = Arc::new(Server {
                config: ServerConfig {
                    server_name: Some(name.into()),
                    wall_clock: None,
                    ..ServerConfig::default()
                },
                router: Router::new().get("/", |_, _| Response::text(StatusCode::OK, "x")),
            });
            ServerConnection::new(server, Instant::ZERO)
        };
        let rest = "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 1";
        let mut c = connect("t");
        assert_eq!(
            head_at(&mut c, Instant::ZERO),
            format!("HTTP/1.1 200 OK\r\nServer: t\r\n{rest}")
        );
        let mut c = connect(" t ");
        assert_eq!(
            head_at(&mut c, Instant::ZERO),
            format!("HTTP/1.1 200 OK\r\nServer: t\r\n{rest}")
        );
        let mut c = connect("t\r\nX: y");
        assert_eq!(
            head_at(&mut c, Instant::from_secs(5)),
            format!("HTTP/1.1 200 OK\r\n{rest}")
        );
    }

    /// The Content-Length line for zero, small and the largest lengths.
    #[test]
    fn content_length_lines_carry_every_digit() {
        for n in [0, 7, 13, 1000, 123_456_789, u64::MAX] {
            let mut out = b"x".to_vec();
            write_content_length(&mut out, n);
            assert_eq!(out, format!("xContent-Length: {n}\r\n").into_bytes());
        }
    }

    /// The fields the server writes itself, in any case; Connection only when not
    /// switching protocols (a 101 carries the handler's `Connection: Upgrade`).
    #[test]
    fn managed_fields_are_found_in_any_case() {
        for name in ["Date", "SERVER", "content-length", "Transfer-Encoding"] {
            assert!(is_managed(name, false) && is_managed(name, true), "{name}");
        }
        assert!(is_managed("Connection", false));
        assert!(!is_managed("Connection", true));
        for name in ["Content-Type", "Dates", "Servers", "X-Date", ""] {
            assert!(!is_managed(name, false), "{name}");
        }
    }

    /// The status code is three digits and a length as many as it needs.
    #[test]
    fn decimals_are_padded_to_the_width_asked_for() {
        let text = |n, width| {
            let mut out = Vec::new();
            write_decimal(&mut out, n, width);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(text(200, 3), "200");
        assert_eq!(text(7, 3), "007");
        assert_eq!(text(0, 1), "0");
        assert_eq!(text(13, 1), "13");
        assert_eq!(text(u64::MAX, 1), u64::MAX.to_string());
        assert_eq!(text(5, 40), "00000000000000000005");
    }
}
