//! [`WsConnection`]: one WebSocket connection as a sans-IO state machine, either role.
//!
//! Heads up! Read first: RFC 6455 §5.4 (fragmentation, control frames in between),
//! §5.5 (close, ping, pong), §7 (closing: §7.1.1 who closes TCP, §7.1.5 the close
//! code when none was received, §7.1.7 failing the connection, §7.4 codes), §8.1
//! (UTF-8), §10.4 (limits against huge frames and messages).
//!
//! The driver moves bytes and time, as with the HTTP `ServerConnection`:
//!
//! ```text
//! on_bytes(now, received)            -> buffered (the driver stops when !wants_input())
//! poll_event(now) -> WsEvent         -> frames are decoded here, one event at a time
//! send_text / send_binary / close    -> frames queued (bounded: SendError::QueueFull)
//! poll_transmit() -> bytes           -> send them, then consume(n) with what was sent
//! poll_at() -> deadline              -> call on_timeout(now) when it passes
//! on_eof(now)                        -> the peer closed its side of TCP
//! wants_close()                      -> close the TCP connection
//! ```
//!
//! Input is decoded lazily, in `poll_event`, and only while less than
//! `output_high_water` bytes wait to be sent. An echo that sends each message back
//! before polling the next therefore never holds more than one message of output
//! beyond that mark, and a peer that does not read its answers (or its Pongs) stops
//! being read itself: backpressure reaches its TCP window.
//!
//! Memory is bounded by the configuration: the message being assembled is at most
//! `max_message_size` (checked against each frame's header before any payload is
//! kept), the control payload at most 125 bytes, unprocessed input at most
//! `max_buffered_input`, and queued output at most `max_outbound` plus a few small
//! control frames (Pong, Close).

use std::collections::VecDeque;

use core::fmt;

use tundra_core::{Duration, Instant, Rng};

use crate::parse::Status;

use super::close::{close_payload, truncate_reason, CloseCode};
use super::deflate::{DeflateParams, Deflater, InflateError, Inflater};
use super::error::{SendError, WsError};
use super::frame::{
    apply_mask, encode_frame, Decoded, FrameDecoder, FrameHeader, Opcode, Role, MAX_CONTROL_PAYLOAD,
};
use super::utf8::{Utf8Error, Utf8Validator};

/// Limits and timers of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsConfig {
    /// Largest message accepted, summed over its fragments; a frame whose header
    /// would take a message past it fails the connection with 1009 at once.
    pub max_message_size: usize,
    /// Most bytes queued for sending before application sends are refused with
    /// [`SendError::QueueFull`]. For an echo it must hold `output_high_water` plus the
    /// largest message and its 14-byte header.
    pub max_outbound: usize,
    /// No more input is decoded while this many bytes wait to be sent.
    pub output_high_water: usize,
    /// [`WsConnection::wants_input`] turns false with this many bytes unprocessed.
    pub input_high_water: usize,
    /// Hard bound on unprocessed input; a driver that ignores `wants_input` past it
    /// has the connection failed (1011).
    pub max_buffered_input: usize,
    /// When nothing was received for this long, a Ping is sent (RFC 6455 §5.5.2, a
    /// keepalive); `None` never pings.
    pub ping_interval: Option<Duration>,
    /// If nothing at all arrives within this time after that Ping, the connection is
    /// closed with 1001 (going away).
    pub pong_timeout: Duration,
    /// After sending a Close, how long to wait for the peer's before giving up
    /// (RFC 6455 §7.1.1); a client also waits this long for the server to close TCP.
    pub close_timeout: Duration,
}

impl Default for WsConfig {
    fn default() -> WsConfig {
        let max_message_size = 16 * 1024 * 1024;
        let output_high_water = 64 * 1024;
        WsConfig {
            max_message_size,
            max_outbound: max_message_size + 2 * output_high_water,
            output_high_water,
            input_high_water: 64 * 1024,
            max_buffered_input: 4 * 1024 * 1024,
            ping_interval: Some(Duration::from_secs(30)),
            pong_timeout: Duration::from_secs(30),
            close_timeout: Duration::from_secs(5),
        }
    }
}

/// What the connection reports to the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WsEvent {
    /// A whole text message, valid UTF-8 (§8.1).
    Text(String),
    /// A whole binary message.
    Binary(Vec<u8>),
    /// A Ping arrived; the Pong with the same payload is already queued (§5.5.2).
    Ping(Vec<u8>),
    /// A Pong arrived (§5.5.3).
    Pong(Vec<u8>),
    /// The connection is closed: the peer's Close frame arrived (its code, or 1005 if
    /// it had none), or TCP ended or the wait for a Close timed out without one
    /// (1006) (RFC 6455 §7.1.5, §7.1.6). Nothing follows.
    Close {
        /// The WebSocket Connection Close Code (§7.1.5).
        code: CloseCode,
        /// The WebSocket Connection Close Reason (§7.1.6), possibly empty.
        reason: String,
    },
    /// We failed the connection (§7.1.7): a Close with [`WsError::close_code`] was
    /// sent (unless one had been already) and input is no longer read. Nothing follows.
    Error(WsError),
}

/// Where the connection is in its life (RFC 6455 §4.1 READYSTATE, roughly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WsState {
    /// Messages flow both ways.
    Open,
    /// We sent a Close and wait for the peer's (§5.5.1); received messages are still
    /// delivered, none may be sent.
    Closing,
    /// Both Close frames were exchanged, or the transport ended, or the wait timed out.
    Closed,
    /// We failed the connection (§7.1.7).
    Failed,
}

impl fmt::Display for WsState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WsState::Open => "OPEN",
            WsState::Closing => "CLOSING",
            WsState::Closed => "CLOSED",
            WsState::Failed => "FAILED",
        })
    }
}

/// One WebSocket connection after the opening handshake.
pub struct WsConnection {
    role: Role,
    config: WsConfig,
    /// Masking keys for a client's frames (§5.3: unpredictable, from the seeded RNG).
    rng: Option<Rng>,
    decoder: FrameDecoder,
    input: Vec<u8>,
    in_pos: usize,
    out: Vec<u8>,
    out_pos: usize,
    /// The frame whose payload is being read.
    frame: Option<FrameHeader>,
    /// The data message being assembled (Text or Binary) across fragments.
    message: Option<Opcode>,
    message_buf: Vec<u8>,
    utf8: Utf8Validator,
    control_buf: Vec<u8>,
    /// permessage-deflate (RFC 7692), if negotiated.
    deflate: Option<Box<Compression>>,
    /// The message being assembled arrived with RSV1 set (RFC 7692 §6).
    compressed: bool,
    /// Compressed bytes of that message so far (bounded like a message).
    compressed_len: u64,
    /// Compressed messages received and sent (RSV1 set).
    compressed_in: u64,
    compressed_out: u64,
    events: VecDeque<WsEvent>,
    state: WsState,
    last_rx: Instant,
    /// When the keepalive Ping went out, if nothing has been received since.
    ping_sent: Option<Instant>,
    /// Closing: give up on the peer's Close. Closed (client): give up on the server
    /// closing TCP.
    close_deadline: Option<Instant>,
    close_wait_over: bool,
    peer_eof: bool,
}

impl fmt::Debug for WsConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsConnection")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("unread_input", &(self.input.len() - self.in_pos))
            .field("queued_output", &self.queued_bytes())
            .field("message_bytes", &self.message_buf.len())
            .finish()
    }
}

impl WsConnection {
    /// A server's connection, opened at `now` (after the 101 was sent). Feed it the
    /// upgrade's `leftover` bytes first.
    pub fn server(config: WsConfig, now: Instant) -> WsConnection {
        WsConnection::new(Role::Server, config, now, None)
    }

    /// A client's connection, opened at `now` (after the 101 was verified); `rng`
    /// supplies the masking keys (RFC 6455 §5.3, §10.3).
    pub fn client(config: WsConfig, now: Instant, rng: Rng) -> WsConnection {
        WsConnection::new(Role::Client, config, now, Some(rng))
    }

    fn new(role: Role, config: WsConfig, now: Instant, rng: Option<Rng>) -> WsConnection {
        WsConnection {
            role,
            config,
            rng,
            decoder: FrameDecoder::new(role),
            input: Vec::new(),
            in_pos: 0,
            out: Vec::new(),
            out_pos: 0,
            frame: None,
            message: None,
            message_buf: Vec::new(),
            utf8: Utf8Validator::new(),
            control_buf: Vec::new(),
            deflate: None,
            compressed: false,
            compressed_len: 0,
            compressed_in: 0,
            compressed_out: 0,
            events: VecDeque::new(),
            state: WsState::Open,
            last_rx: now,
            ping_sent: None,
            close_deadline: None,
            close_wait_over: false,
            peer_eof: false,
        }
    }

    /// Turns permessage-deflate on with the parameters the opening handshake
    /// negotiated (RFC 7692 §7): RSV1 is accepted on the first frame of a data
    /// message, such messages are decompressed, and every data message we send is
    /// compressed. Call it before any bytes are fed or sent.
    pub fn set_deflate(&mut self, params: DeflateParams) {
        let (ours_bits, ours_no_ctx, peer_no_ctx) = match self.role {
            Role::Server => (
                params.server_max_window_bits,
                params.server_no_context_takeover,
                params.client_no_context_takeover,
            ),
            Role::Client => (
                params.client_max_window_bits,
                params.client_no_context_takeover,
                params.server_no_context_takeover,
            ),
        };
        self.decoder.allow_rsv1();
        self.deflate = Some(Box::new(Compression {
            params,
            deflater: None,
            window_bits: ours_bits,
            no_context_takeover: ours_no_ctx,
            inflater: Inflater::new(peer_no_ctx),
            scratch: Vec::new(),
        }));
    }

    /// The permessage-deflate parameters in force, if it was negotiated.
    pub fn deflate(&self) -> Option<DeflateParams> {
        self.deflate.as_ref().map(|d| d.params)
    }

    /// How many whole compressed messages (RSV1 set, RFC 7692 §6) were received
    /// and sent: the proof that permessage-deflate is really in use.
    pub fn compressed_messages(&self) -> (u64, u64) {
        (self.compressed_in, self.compressed_out)
    }

    /// Our role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The state.
    pub fn state(&self) -> WsState {
        self.state
    }

    /// True once no more messages can be exchanged (Closed or Failed).
    pub fn is_closed(&self) -> bool {
        matches!(self.state, WsState::Closed | WsState::Failed)
    }

    // ------------------------------------------------------------------ input

    /// Bytes received from the peer. They are decoded by [`WsConnection::poll_event`].
    pub fn on_bytes(&mut self, now: Instant, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.last_rx = now;
        self.ping_sent = None;
        if self.is_closed() {
            return; // §7.1.7 / §5.5.1: nothing more is read.
        }
        if self.in_pos > 0 {
            self.input.drain(..self.in_pos);
            self.in_pos = 0;
            if self.input.is_empty() {
                shrink_if_large(&mut self.input);
            }
        }
        self.input.extend_from_slice(data);
        if self.input.len() > self.config.max_buffered_input {
            self.fail(WsError::InputOverflow);
        }
    }

    /// The peer closed its sending side of TCP.
    pub fn on_eof(&mut self, _now: Instant) {
        self.peer_eof = true;
    }

    /// True while the driver should read more from the socket: the connection is
    /// still reading, little input is waiting and the output is draining.
    /// Once closed, input is read and dropped, so that the peer's FIN is seen.
    pub fn wants_input(&self) -> bool {
        if self.peer_eof {
            return false;
        }
        match self.state {
            WsState::Open | WsState::Closing => {
                self.input.len() - self.in_pos < self.config.input_high_water
                    && self.queued_bytes() < self.config.output_high_water
            }
            WsState::Closed | WsState::Failed => true,
        }
    }

    /// The next event, decoding buffered input as needed (see the module doc for why
    /// decoding happens here).
    pub fn poll_event(&mut self, now: Instant) -> Option<WsEvent> {
        loop {
            if let Some(ev) = self.events.pop_front() {
                return Some(ev);
            }
            if !self.step(now) {
                self.check_eof();
                return self.events.pop_front();
            }
        }
    }

    /// Decodes one item; false when nothing more can be done now.
    fn step(&mut self, now: Instant) -> bool {
        if !matches!(self.state, WsState::Open | WsState::Closing)
            || self.queued_bytes() >= self.config.output_high_water
        {
            return false;
        }
        let decoded = self.decoder.decode(&mut self.input[self.in_pos..]);
        match decoded {
            Err(e) => self.fail(e.into()),
            Ok((_, Decoded::Partial)) => return false,
            Ok((n, Decoded::Header(h))) => {
                self.in_pos += n;
                log::trace!("ws {:?} < {h}", self.role);
                self.on_header(h);
            }
            Ok((n, Decoded::Payload(_))) => {
                let start = self.in_pos;
                self.in_pos += n;
                self.on_payload(start, n);
            }
            Ok((_, Decoded::FrameEnd)) => self.on_frame_end(now),
        }
        true
    }

    /// The peer's TCP FIN, once everything before it has been decoded.
    fn check_eof(&mut self) {
        let blocked = self.queued_bytes() >= self.config.output_high_water;
        if self.peer_eof && !blocked && matches!(self.state, WsState::Open | WsState::Closing) {
            // §7.1.5: closed without a Close frame -> 1006.
            log::debug!("ws {:?}: transport closed without a Close frame", self.role);
            self.finish_closed(WsEvent::Close {
                code: CloseCode::ABNORMAL,
                reason: String::new(),
            });
        }
    }

    /// A frame header passed the frame rules; now the message rules (§5.4).
    fn on_header(&mut self, h: FrameHeader) {
        match h.opcode {
            Opcode::Continuation if self.message.is_none() => {
                // §5.4: a continuation frame must continue something.
                return self.fail(WsError::UnexpectedContinuation);
            }
            Opcode::Text | Opcode::Binary if self.message.is_some() => {
                // §5.4: "fragments of one message MUST NOT be interleaved between
                // fragments of another message".
                return self.fail(WsError::UnfinishedMessage);
            }
            Opcode::Text | Opcode::Binary => {
                self.message = Some(h.opcode);
                self.message_buf.clear();
                self.utf8.reset();
                // RFC 7692 §6: RSV1 on the first frame marks the whole message as
                // compressed (the decoder admits it only if negotiated, §6).
                self.compressed = h.rsv1();
                self.compressed_len = 0;
            }
            Opcode::Continuation => {}
            // Control frames may be injected in the middle of a fragmented message
            // (§5.4) and have their own small buffer.
            _ => self.control_buf.clear(),
        }
        if !h.opcode.is_control() {
            // §10.4: limits on frame and message size; refuse before keeping a byte.
            let limit = self.config.max_message_size as u64;
            if self.compressed {
                // The compressed bytes are bounded like a message; what they expand
                // to is bounded as it is decompressed (on_payload).
                self.compressed_len = self.compressed_len.saturating_add(h.payload_len);
                if self.compressed_len > limit {
                    return self.fail(WsError::MessageTooBig { limit });
                }
            } else {
                let total = (self.message_buf.len() as u64).saturating_add(h.payload_len);
                if total > limit {
                    return self.fail(WsError::MessageTooBig { limit });
                }
                self.message_buf.reserve(h.payload_len as usize);
            }
        }
        self.frame = Some(h);
    }

    fn on_payload(&mut self, start: usize, n: usize) {
        let Some(h) = self.frame else { return };
        let chunk = &self.input[start..start + n];
        if h.opcode.is_control() {
            self.control_buf.extend_from_slice(chunk);
            return;
        }
        let before = self.message_buf.len();
        match (&mut self.deflate, self.compressed) {
            (Some(d), true) => {
                // RFC 7692 §7.2.2: decompress as the payload arrives, bounded by the
                // message size: a bomb stops at the limit (1009).
                let limit = self.config.max_message_size;
                if let Err(e) = d.inflater.feed(chunk, &mut self.message_buf, limit) {
                    return self.fail(inflate_error(e, limit));
                }
            }
            _ => self.message_buf.extend_from_slice(chunk),
        }
        if self.message == Some(Opcode::Text) {
            // §8.1 and Autobahn 6.4: fail as soon as the bytes cannot be UTF-8, even in
            // the middle of a frame.
            if let Err(e) = self.utf8.feed(&self.message_buf[before..]) {
                self.fail(WsError::InvalidUtf8(e));
            }
        }
    }

    fn on_frame_end(&mut self, now: Instant) {
        let Some(h) = self.frame.take() else { return };
        match h.opcode {
            Opcode::Ping => {
                let payload = core::mem::take(&mut self.control_buf);
                // §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong
                // frame in response ... unless it already received a Close frame";
                // §5.5.3: with "identical Application data". Not after our own Close.
                if self.state == WsState::Open {
                    self.write_frame(Opcode::Pong, &payload);
                }
                self.events.push_back(WsEvent::Ping(payload));
            }
            Opcode::Pong => {
                let payload = core::mem::take(&mut self.control_buf);
                self.events.push_back(WsEvent::Pong(payload));
            }
            Opcode::Close => {
                let payload = core::mem::take(&mut self.control_buf);
                self.on_close_frame(now, &payload);
            }
            _ if !h.fin => {}
            _ => {
                if let (Some(d), true) = (&mut self.deflate, self.compressed) {
                    // RFC 7692 §7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the
                    // tail end of the payload of the message" and decompress them too.
                    let limit = self.config.max_message_size;
                    let before = self.message_buf.len();
                    if let Err(e) = d.inflater.finish(&mut self.message_buf, limit) {
                        return self.fail(inflate_error(e, limit));
                    }
                    if self.message == Some(Opcode::Text) {
                        if let Err(e) = self.utf8.feed(&self.message_buf[before..]) {
                            return self.fail(WsError::InvalidUtf8(e));
                        }
                    }
                    self.compressed_in += 1;
                }
                let data = core::mem::take(&mut self.message_buf);
                match self.message.take() {
                    Some(Opcode::Text) => {
                        // §8.1: a character cut by the end of the message is invalid.
                        if let Err(e) = self.utf8.finish() {
                            return self.fail(WsError::InvalidUtf8(e));
                        }
                        match String::from_utf8(data) {
                            Ok(text) => self.events.push_back(WsEvent::Text(text)),
                            Err(e) => self.fail(WsError::InvalidUtf8(Utf8Error {
                                position: e.utf8_error().valid_up_to() as u64,
                            })),
                        }
                    }
                    _ => self.events.push_back(WsEvent::Binary(data)),
                }
            }
        }
    }

    /// §5.5.1: the peer's Close.
    fn on_close_frame(&mut self, now: Instant, payload: &[u8]) {
        let (code, reason) = match payload {
            [] => (None, String::new()),
            // §5.5.1: "If there is a body, the first two bytes of the body MUST be a
            // 2-byte unsigned integer"; one byte cannot be one.
            [_] => return self.fail(WsError::ClosePayloadTooShort),
            [hi, lo, reason @ ..] => {
                let code = CloseCode(u16::from_be_bytes([*hi, *lo]));
                // §7.4.1/§7.4.2: codes that may not be sent are a protocol error.
                if !code.is_valid_on_wire() {
                    return self.fail(WsError::InvalidCloseCode(code.0));
                }
                // §5.5.1: the body after the code is UTF-8 (§8.1 -> 1007).
                match core::str::from_utf8(reason) {
                    Ok(r) => (Some(code), r.to_owned()),
                    Err(_) => return self.fail(WsError::InvalidCloseReason),
                }
            }
        };
        if self.state == WsState::Open {
            // §5.5.1: "If an endpoint receives a Close frame and did not previously
            // send a Close frame, the endpoint MUST send a Close frame in response.
            // ... the endpoint typically echos the status code it received."
            self.write_frame(Opcode::Close, &close_payload(code, ""));
        }
        if self.role == Role::Client {
            // §7.1.1: the server closes TCP first; the client waits a while for it.
            self.close_deadline = Some(now + self.config.close_timeout);
        }
        self.finish_closed(WsEvent::Close {
            code: code.unwrap_or(CloseCode::NO_STATUS),
            reason,
        });
    }

    fn finish_closed(&mut self, event: WsEvent) {
        self.state = WsState::Closed;
        if self.role == Role::Server || self.peer_eof {
            self.close_deadline = None;
        }
        self.discard_input();
        self.events.push_back(event);
    }

    /// §7.1.7 "Fail the WebSocket Connection": send a Close with the error's code
    /// (unless one was sent already), stop reading, and let the driver close TCP.
    fn fail(&mut self, error: WsError) {
        log::debug!("ws {:?}: failing the connection: {error}", self.role);
        if self.state == WsState::Open {
            let code = error.close_code();
            let reason = error.to_string();
            self.write_frame(
                Opcode::Close,
                &close_payload(Some(code), truncate_reason(&reason)),
            );
        }
        self.state = WsState::Failed;
        self.close_deadline = None;
        self.discard_input();
        self.events.push_back(WsEvent::Error(error));
    }

    fn discard_input(&mut self) {
        self.input = Vec::new();
        self.in_pos = 0;
        self.message_buf = Vec::new();
        self.control_buf.clear();
        self.message = None;
        self.frame = None;
    }

    // ------------------------------------------------------------------ output

    /// Queues a text message (one frame).
    pub fn send_text(&mut self, text: &str) -> Result<(), SendError> {
        self.send_data(Opcode::Text, text.as_bytes())
    }

    /// Queues a binary message (one frame).
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.send_data(Opcode::Binary, data)
    }

    /// Queues a Ping (at most 125 bytes, §5.5).
    pub fn send_ping(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.send_control(Opcode::Ping, payload)
    }

    /// Queues an unsolicited Pong, a unidirectional heartbeat (§5.5.3).
    pub fn send_pong(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.send_control(Opcode::Pong, payload)
    }

    /// Starts the closing handshake (§7.1.2): queues a Close with `code` and `reason`
    /// (cut to 123 bytes on a character boundary) and waits up to `close_timeout` for
    /// the peer's Close. Not counted against `max_outbound`.
    pub fn close(&mut self, now: Instant, code: CloseCode, reason: &str) -> Result<(), SendError> {
        if self.state != WsState::Open {
            return Err(SendError::Closing);
        }
        if !code.is_valid_on_wire() {
            return Err(SendError::InvalidCloseCode(code.0));
        }
        self.write_frame(
            Opcode::Close,
            &close_payload(Some(code), truncate_reason(reason)),
        );
        self.state = WsState::Closing;
        self.close_deadline = Some(now + self.config.close_timeout);
        Ok(())
    }

    /// True if a message of `len` payload bytes would be accepted now.
    pub fn can_send(&self, len: usize) -> bool {
        self.state == WsState::Open && self.queued_bytes() + len + 14 <= self.config.max_outbound
    }

    /// Bytes queued and not yet consumed by the transport.
    pub fn queued_bytes(&self) -> usize {
        self.out.len() - self.out_pos
    }

    /// The bytes waiting to be sent, if any.
    pub fn poll_transmit(&self) -> Option<&[u8]> {
        let pending = &self.out[self.out_pos..];
        (!pending.is_empty()).then_some(pending)
    }

    /// The transport took `n` bytes of what [`WsConnection::poll_transmit`] gave.
    pub fn consume(&mut self, n: usize) {
        self.out_pos = (self.out_pos + n).min(self.out.len());
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
            shrink_if_large(&mut self.out);
        }
    }

    /// True when the driver should close the TCP connection: everything is sent and
    /// the connection is over. A server closes right after the close handshake
    /// (§7.1.1: "the server SHOULD close first"); a client waits for the server's FIN
    /// or `close_timeout`.
    pub fn wants_close(&self) -> bool {
        if self.queued_bytes() > 0 {
            return false;
        }
        match self.state {
            WsState::Failed => true,
            WsState::Closed => self.role == Role::Server || self.peer_eof || self.close_wait_over,
            WsState::Open | WsState::Closing => false,
        }
    }

    fn send_data(&mut self, opcode: Opcode, payload: &[u8]) -> Result<(), SendError> {
        if self.state != WsState::Open {
            // §5.5.1: "After sending a Close frame, the endpoint MUST NOT send any
            // more data frames."
            return Err(SendError::Closing);
        }
        let header = FrameHeader::new(opcode, None, payload.len() as u64).header_len() + 4;
        let compress = self.deflate.is_some() && !opcode.is_control();
        // DEFLATE can expand incompressible data a little (stored blocks, and a sync
        // flush per chunk with a small window); the bound is decided before the
        // compressor sees the message, since it cannot forget it afterwards.
        let len = if compress {
            payload.len() + payload.len() / 16 + 64
        } else {
            payload.len()
        };
        if self.queued_bytes() + header + len > self.config.max_outbound {
            return Err(SendError::QueueFull);
        }
        match self.deflate.as_deref_mut() {
            Some(d) if compress => {
                let mut scratch = core::mem::take(&mut d.scratch);
                scratch.clear();
                d.deflater
                    .get_or_insert_with(|| Deflater::new(d.window_bits, d.no_context_takeover))
                    .compress(payload, &mut scratch);
                // RFC 7692 §6: RSV1 on the (only) frame of a compressed message.
                self.write_frame_rsv(opcode, RSV1, &scratch);
                self.compressed_out += 1;
                shrink_if_large(&mut scratch);
                if let Some(d) = self.deflate.as_deref_mut() {
                    d.scratch = scratch;
                }
            }
            _ => self.write_frame(opcode, payload),
        }
        Ok(())
    }

    fn send_control(&mut self, opcode: Opcode, payload: &[u8]) -> Result<(), SendError> {
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(SendError::ControlTooLong);
        }
        self.send_data(opcode, payload)
    }

    /// Appends one frame, masked with a fresh key if we are a client (§5.3).
    fn write_frame(&mut self, opcode: Opcode, payload: &[u8]) {
        self.write_frame_rsv(opcode, 0, payload)
    }

    /// [`WsConnection::write_frame`] with RSV bits (`rsv` as the header's low three).
    fn write_frame_rsv(&mut self, opcode: Opcode, rsv: u8, payload: &[u8]) {
        let mask = self.rng.as_mut().map(|rng| {
            let mut key = [0u8; 4];
            rng.fill_bytes(&mut key);
            key
        });
        if self.out_pos > 0 && self.out_pos >= self.out.len() / 2 {
            self.out.drain(..self.out_pos);
            self.out_pos = 0;
        }
        let start = self.out.len();
        if rsv == 0 {
            encode_frame(&mut self.out, true, opcode, mask, payload);
        } else {
            let header = FrameHeader {
                rsv,
                ..FrameHeader::new(opcode, mask, payload.len() as u64)
            };
            header.emit(&mut self.out);
            let body = self.out.len();
            self.out.extend_from_slice(payload);
            if let Some(key) = mask {
                apply_mask(&mut self.out[body..], key, 0);
            }
        }
        if log::log_enabled!(log::Level::Trace) {
            if let Ok(Status::Complete((h, _))) = FrameHeader::parse(&self.out[start..]) {
                log::trace!("ws {:?} > {h}", self.role);
            }
        }
    }

    // ------------------------------------------------------------------ timers

    /// The next deadline at which [`WsConnection::on_timeout`] has work, if any.
    pub fn poll_at(&self) -> Option<Instant> {
        match self.state {
            WsState::Open => {
                let interval = self.config.ping_interval?;
                Some(match self.ping_sent {
                    None => self.last_rx + interval,
                    Some(at) => at + self.config.pong_timeout,
                })
            }
            WsState::Closing => self.close_deadline,
            WsState::Closed if !self.close_wait_over => self.close_deadline,
            _ => None,
        }
    }

    /// Fires the timers due at `now`: the keepalive Ping, the idle close, the end of
    /// the wait for the peer's Close or FIN.
    pub fn on_timeout(&mut self, now: Instant) {
        match self.state {
            WsState::Open => {
                let Some(interval) = self.config.ping_interval else {
                    return;
                };
                match self.ping_sent {
                    None if now >= self.last_rx + interval => {
                        // §5.5.2: "A Ping frame MAY be sent ... as a keepalive".
                        self.write_frame(Opcode::Ping, b"tundra");
                        self.ping_sent = Some(now);
                    }
                    Some(at) if now >= at + self.config.pong_timeout => {
                        log::debug!("ws {:?}: nothing received after a ping", self.role);
                        self.write_frame(
                            Opcode::Close,
                            &close_payload(Some(CloseCode::GOING_AWAY), "idle timeout"),
                        );
                        self.state = WsState::Closing;
                        self.close_deadline = Some(now + self.config.close_timeout);
                    }
                    _ => {}
                }
            }
            WsState::Closing => {
                if self.close_deadline.is_some_and(|d| now >= d) {
                    // §7.1.5: no Close frame was received -> 1006.
                    self.close_wait_over = true;
                    self.close_deadline = None;
                    self.finish_closed(WsEvent::Close {
                        code: CloseCode::ABNORMAL,
                        reason: String::new(),
                    });
                }
            }
            WsState::Closed => {
                if self.close_deadline.is_some_and(|d| now >= d) {
                    self.close_wait_over = true;
                    self.close_deadline = None;
                }
            }
            WsState::Failed => {}
        }
    }
}

/// RSV1 as [`FrameHeader::rsv`] holds it: permessage-deflate's bit (RFC 7692 §6).
const RSV1: u8 = 0x4;

/// The permessage-deflate state of a connection (RFC 7692 §7.2).
struct Compression {
    params: DeflateParams,
    /// Created at the first compressed send (it is the larger half).
    deflater: Option<Deflater>,
    /// Our compressor's window and context takeover, from `params` and the role.
    window_bits: u8,
    no_context_takeover: bool,
    inflater: Inflater,
    /// The compressed payload of the message being sent.
    scratch: Vec<u8>,
}

/// The connection error for a decompression error: 1009 for a message over the
/// limit, 1007 for data that is not DEFLATE.
fn inflate_error(e: InflateError, limit: usize) -> WsError {
    match e {
        InflateError::TooBig => WsError::MessageTooBig {
            limit: limit as u64,
        },
        _ => WsError::InvalidCompressedData,
    }
}

/// Buffers that grew for one big message give their memory back once empty, so an
/// idle connection costs little whatever it carried before.
fn shrink_if_large(buf: &mut Vec<u8>) {
    const KEEP: usize = 256 * 1024;
    if buf.is_empty() && buf.capacity() > KEEP {
        *buf = Vec::new();
    }
}
