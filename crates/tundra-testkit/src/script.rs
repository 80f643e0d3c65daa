//! TCP packet scripts: a packetdrill-like text format run against one sans-IO
//! [`Connection`] with a virtual clock.
//!
//! A script is a conversation, one event per line, each line starting with a time in
//! seconds (absolute, or `+` relative to the previous line):
//!
//! ```text
//! // RFC 9293 §3.5: a passive open completes the three-way handshake
//! 0.000 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
//! 0.000 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 1000 ecr 100,nop,wscale 2>
//! +0.010 < . 1:1(0) ack 1 win 512 <nop,nop,TS val 110 ecr 1000>
//! +0 state ESTABLISHED
//! ```
//!
//! - `< FLAGS start:end(len) [ack N] [win N] [<options>]` injects a segment from the
//!   peer. `>` expects the next segment we send, at exactly that time.
//! - FLAGS: `S` SYN, `F` FIN, `R` RST, `P` PSH, `.` ACK (e.g. `S.`, `P.`, `F.`, `R`).
//! - Sequence numbers are relative, as in packetdrill: on `<` lines to the peer's ISS
//!   ([`REMOTE_ISS`]), on `>` lines to ours ([`LOCAL_ISS`]); `ack` the other way
//!   round. Both ISSs sit just below 2^32, so every script also crosses the wrap.
//! - Payload bytes are a deterministic pattern of the stream offset: what we send
//!   (`send N`) and what the peer sends (in `<` lines) is checked byte for byte.
//! - On `>` lines, `win` and `<options>` are only checked when written; any number may
//!   be `*`. `<>` means "no options". Our TSval is 1000 + the script time in ms.
//! - Between lines the clock advances through every timer deadline; a segment we send
//!   at a time no line expects fails the script ("unexpected segment").
//!
//! User calls and checks (times as above):
//!
//! | line | meaning |
//! |---|---|
//! | `send N` / `send N = K` | write N pattern bytes; all (or K) must be accepted |
//! | `recv N` | read exactly N bytes (checked against the pattern) |
//! | `recv eof` / `recv wouldblock` / `recv reset` | `recv` returns Ok(0) / WouldBlock / Closed(Reset) |
//! | `shutdown`, `close`, `abort` | the user calls |
//! | `state ESTABLISHED` | the connection's state (RFC names) |
//! | `event Connected` ... | that event is pending (`Closed(Reset)` etc.) |
//! | `nothing` | no segment goes out now (also checked before every `<` line) |
//! | `check cwnd N` etc. | `cwnd`, `ssthresh`, `rto` (s), `srtt` (s), `sendq`, `recvq`, `sndwnd`, `mss`, `flight`, `pipe` |
//! | `stat NAME N` | a [`tundra_tcp::ConnStats`] counter, e.g. `stat retransmits 1` |
//! | `icmp KIND seq S = OUTCOME` | an ICMP error quoting our segment with sequence number S (relative, like `>` lines); KIND is `net`, `host`, `proto`, `port`, `prohibited`, `ttl`, `param` or `frag:MTU`; OUTCOME is what [`Connection::handle_icmp_error`] must return: `ignored`, `out-of-window`, `soft`, `aborted`, `lowered`, `not-lowered` |

use core::fmt::{self, Write as _};
use core::net::{Ipv4Addr, SocketAddrV4};

use tundra_core::{Duration, Instant};
use tundra_tcp::{
    CloseReason, Connection, Event, IcmpErrorKind, IcmpOutcome, OpenParams, RecvError, SeqNumber,
    State, TcpConfig, TcpFlags, TcpOptions, TcpRepr, TcpTimestamp,
};

/// The peer's initial sequence number in scripts (just below the wrap).
pub const REMOTE_ISS: u32 = 0xffff_ff00;
/// Our initial sequence number in scripts (just below the wrap).
pub const LOCAL_ISS: u32 = 0xffff_f000;
/// Added to the millisecond clock to form our TSval.
pub const TS_OFFSET: u32 = 1000;
/// Our address.
pub const LOCAL: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 8080);
/// The peer's address.
pub const REMOTE: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 40000);

/// The byte at offset `i` of the stream we send.
pub fn local_byte(i: usize) -> u8 {
    (i.wrapping_mul(7) + 1) as u8
}

/// The byte at offset `i` of the stream the peer sends.
pub fn remote_byte(i: usize) -> u8 {
    (i.wrapping_mul(13) + 5) as u8
}

/// A number on a `>` line that may be a wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Num {
    Any,
    Is(u32),
}

impl Num {
    pub(crate) fn matches(self, v: u32) -> bool {
        match self {
            Num::Any => true,
            Num::Is(x) => x == v,
        }
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Num::Any => f.write_str("*"),
            Num::Is(v) => write!(f, "{v}"),
        }
    }
}

/// Options as written in a script.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ScriptOptions {
    pub(crate) mss: Option<Num>,
    pub(crate) wscale: Option<Num>,
    pub(crate) sack_permitted: bool,
    pub(crate) ts: Option<(Num, Num)>,
    /// Relative SACK blocks.
    pub(crate) sack: Vec<(Num, Num)>,
}

/// One segment as written in a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScriptSegment {
    pub(crate) flags: TcpFlags,
    pub(crate) ack_flag: bool,
    pub(crate) start: Num,
    pub(crate) len: usize,
    pub(crate) ack: Option<Num>,
    pub(crate) win: Option<Num>,
    pub(crate) options: Option<ScriptOptions>,
}

#[derive(Debug, Clone)]
pub(crate) enum Step {
    In(ScriptSegment),
    Out(ScriptSegment),
    Send(usize, Option<usize>),
    Recv(usize),
    RecvEof,
    RecvWouldBlock,
    RecvReset,
    Shutdown,
    Close,
    Abort,
    State(String),
    Event(String),
    Nothing,
    Check(String, String),
    Stat(String, u64),
    /// An ICMP error about our segment at this relative sequence number, and the
    /// outcome it must have.
    Icmp(IcmpErrorKind, u32, String),
    /// Listener scripts only: this many SYNs from other peers, to fill the SYN queue.
    Fill(usize),
    /// Listener scripts only: accept the peer's connection.
    Accept,
    /// Listener scripts only: a [`tundra_tcp::TcpCounters`] counter.
    Counter(String, u64),
    /// Listener scripts only: the number of connections the endpoint holds.
    Connections(usize),
}

/// A connection under test and its virtual clock.
pub struct TcpScript {
    /// The connection (public so a test can inspect anything the script can't).
    pub conn: Connection,
    /// The virtual clock.
    pub now: Instant,
    sent: usize,
    read: usize,
    events: Vec<Event>,
    line_time: Instant,
    payload: Vec<u8>,
    log: String,
}

impl TcpScript {
    /// A connection in LISTEN: the script starts with the peer's SYN.
    pub fn passive(config: TcpConfig) -> TcpScript {
        TcpScript::with(Connection::listen(Instant::ZERO, config, params()))
    }

    /// A connection doing an active open: the script starts with our SYN.
    pub fn active(config: TcpConfig) -> TcpScript {
        TcpScript::with(Connection::connect(Instant::ZERO, config, params()))
    }

    fn with(conn: Connection) -> TcpScript {
        TcpScript {
            conn,
            now: Instant::ZERO,
            sent: 0,
            read: 0,
            events: Vec::new(),
            line_time: Instant::ZERO,
            payload: vec![0; 0x1_0000],
            log: String::new(),
        }
    }

    /// Runs the lines of `script`; panics on the first line that does not hold, with
    /// the conversation so far and expected vs actual segments.
    #[track_caller]
    pub fn run(&mut self, script: &str) {
        run_script(self, script);
    }

    /// Runs the standard handshake of a passive open without options (MSS 1460 both
    /// ways) at time 0, leaving the connection ESTABLISHED.
    #[track_caller]
    pub fn establish_plain(config: TcpConfig) -> TcpScript {
        let mut t = TcpScript::passive(config);
        t.run(
            "0.000 < S 0:0(0) win 65535 <mss 1460>
             0.000 > S. 0:0(0) ack 1 <mss 1460>
             0.000 < . 1:1(0) ack 1 win 65535",
        );
        t
    }

    fn exec(&mut self, time: Instant, step: &Step) -> Result<(), String> {
        // Before a segment arrives (or where the script says `nothing`), everything we
        // had to send must have been expected already. User calls may follow each
        // other at one instant without anything going out in between.
        let quiet_first = matches!(step, Step::In(_) | Step::Icmp(..) | Step::Nothing);
        self.advance(time)?;
        // Everything due at this time has happened before the line is checked.
        self.conn.handle_timeout(self.now);
        if quiet_first {
            self.expect_quiet()?;
        }
        match step {
            Step::In(s) => {
                let (repr, _payload_len) = self.inbound(s)?;
                let payload: Vec<u8> = (0..s.len)
                    .map(|i| {
                        remote_byte(
                            (rel(s.start) as usize + s.flags.syn as usize + i).wrapping_sub(1),
                        )
                    })
                    .collect();
                let repr = TcpRepr {
                    payload: &payload,
                    ..repr
                };
                let _ = writeln!(self.log, "{} < {}", fmt_time(self.now), show(&repr, false));
                self.conn.handle_segment(self.now, &repr);
            }
            Step::Out(expected) => {
                let now = self.now;
                let got = self.conn.poll_transmit(now, &mut self.payload);
                let Some(repr) = got else {
                    return Err(format!(
                        "expected: > {}\nactual:   nothing sent at {}",
                        show_expected(expected),
                        fmt_time(now)
                    ));
                };
                let shown = show(&repr, true);
                let _ = writeln!(self.log, "{} > {}", fmt_time(now), shown);
                if let Err(why) = matches_expected(expected, &repr) {
                    return Err(format!(
                        "expected: > {}\nactual:   > {}\n({why})",
                        show_expected(expected),
                        shown
                    ));
                }
                // Our payload must be our byte pattern at its stream offset.
                let base = (repr.seq_number.0.wrapping_sub(LOCAL_ISS) as usize).wrapping_sub(1);
                for (i, b) in repr.payload.iter().enumerate() {
                    if *b != local_byte(base + i) {
                        return Err(format!("payload byte {} is wrong", base + i));
                    }
                }
            }
            Step::Send(n, accept) => {
                let data: Vec<u8> = (0..*n).map(|i| local_byte(self.sent + i)).collect();
                let _ = writeln!(self.log, "{} send({n})", fmt_time(self.now));
                let want = accept.unwrap_or(*n);
                match self.conn.send(&data) {
                    Ok(k) if k == want => self.sent += k,
                    Err(_) if want == 0 => {}
                    other => {
                        return Err(format!(
                            "send({n}): expected {want} accepted, got {other:?}"
                        ))
                    }
                }
            }
            Step::Recv(n) => {
                let mut buf = vec![0u8; *n];
                let mut got = 0;
                while got < *n {
                    match self.conn.recv(&mut buf[got..]) {
                        Ok(0) => break,
                        Ok(k) => got += k,
                        Err(e) => return Err(format!("recv({n}) after {got} bytes: {e:?}")),
                    }
                }
                if got != *n {
                    return Err(format!("recv({n}): only {got} bytes"));
                }
                for (i, b) in buf.iter().enumerate() {
                    if *b != remote_byte(self.read + i) {
                        return Err(format!("received byte {} is wrong", self.read + i));
                    }
                }
                self.read += n;
                let _ = writeln!(self.log, "{} recv({n})", fmt_time(self.now));
            }
            Step::RecvEof => expect_recv(&mut self.conn, Ok(0))?,
            Step::RecvWouldBlock => expect_recv(&mut self.conn, Err(RecvError::WouldBlock))?,
            Step::RecvReset => {
                expect_recv(&mut self.conn, Err(RecvError::Closed(CloseReason::Reset)))?
            }
            Step::Shutdown => {
                let _ = writeln!(self.log, "{} shutdown()", fmt_time(self.now));
                self.conn.shutdown();
            }
            Step::Close => {
                let _ = writeln!(self.log, "{} close()", fmt_time(self.now));
                self.conn.close();
            }
            Step::Abort => {
                let _ = writeln!(self.log, "{} abort()", fmt_time(self.now));
                self.conn.abort();
            }
            Step::State(s) => {
                let actual = self.conn.state().to_string();
                if &actual != s {
                    return Err(format!("expected state {s}, actual {actual}"));
                }
            }
            Step::Event(name) => {
                while let Some(e) = self.conn.poll_event() {
                    self.events.push(e);
                }
                let pos = self.events.iter().position(|e| event_name(e) == *name);
                match pos {
                    Some(i) => {
                        self.events.remove(i);
                    }
                    None => {
                        return Err(format!("expected event {name}, pending: {:?}", self.events))
                    }
                }
            }
            Step::Nothing => {}
            Step::Icmp(kind, seq, want) => {
                let seq = SeqNumber(LOCAL_ISS.wrapping_add(*seq));
                let outcome = self.conn.handle_icmp_error(self.now, seq, *kind);
                let _ = writeln!(
                    self.log,
                    "{} < ICMP {kind} quoting seq {} ({outcome:?})",
                    fmt_time(self.now),
                    seq.0.wrapping_sub(LOCAL_ISS)
                );
                let got = icmp_outcome_name(outcome);
                if got != want {
                    return Err(format!("icmp: expected outcome {want}, got {got}"));
                }
            }
            Step::Check(what, value) => check_conn(&self.conn, what, value)?,
            Step::Fill(_) | Step::Accept | Step::Counter(..) | Step::Connections(_) => {
                return Err("only listener scripts (`ListenerScript`) have this line".into())
            }
            Step::Stat(name, value) => {
                let st = self.conn.stats();
                let actual = match name.as_str() {
                    "retransmits" => st.retransmits,
                    "fast_retransmits" => st.fast_retransmits,
                    "sack_retransmits" => st.sack_retransmits,
                    "lost_retransmits" => st.lost_retransmits,
                    "tail_loss_probes" => st.tail_loss_probes,
                    "tlp_recoveries" => st.tlp_recoveries,
                    "rto_expirations" => st.rto_expirations,
                    "challenge_acks" => st.challenge_acks,
                    "challenge_acks_suppressed" => st.challenge_acks_suppressed,
                    "paws_rejected" => st.paws_rejected,
                    "out_of_window" => st.out_of_window,
                    "dup_acks" => st.dup_acks,
                    "window_probes" => st.window_probes,
                    "keepalive_probes" => st.keepalive_probes,
                    "ooo_bytes" => st.ooo_bytes,
                    "dsacks_sent" => st.dsacks_sent,
                    "dsacks_received" => st.dsacks_received,
                    "spurious_retransmits" => st.spurious_retransmits,
                    "undos" => st.undos,
                    other => return Err(format!("unknown stat {other}")),
                };
                if actual != *value {
                    return Err(format!("stat {name}: expected {value}, actual {actual}"));
                }
            }
        }
        Ok(())
    }
}

/// A `check NAME VALUE` line against connection `c`.
pub(crate) fn check_conn(c: &Connection, what: &str, value: &str) -> Result<(), String> {
    {
        let secs = |d: Duration| format!("{:.3}", d.total_micros() as f64 / 1e6);
        let actual = match what {
            "cwnd" => c.cwnd().to_string(),
            "ssthresh" => {
                if c.ssthresh() == usize::MAX {
                    "inf".to_string()
                } else {
                    c.ssthresh().to_string()
                }
            }
            "rto" => secs(c.rto()),
            "srtt" => c.srtt().map_or("none".to_string(), secs),
            "rttvar" => secs(c.rttvar()),
            "sendq" => c.send_queue().to_string(),
            "recvq" => c.recv_queue().to_string(),
            "sndwnd" => c.send_window().to_string(),
            "mss" => c.mss().to_string(),
            "flight" => c.bytes_in_flight().to_string(),
            "pipe" => c.pipe().to_string(),
            "pmtu" => c.path_mtu().map_or("none".to_string(), |m| m.to_string()),
            other => return Err(format!("unknown check {other}")),
        };
        if actual != value {
            return Err(format!("check {what}: expected {value}, actual {actual}"));
        }
        Ok(())
    }
}

impl TcpScript {
    /// Moves the clock to `time`, firing timers on the way; any segment sent before
    /// `time` is unexpected.
    fn advance(&mut self, time: Instant) -> Result<(), String> {
        if time < self.now {
            return Err(format!("time goes backwards to {}", fmt_time(time)));
        }
        loop {
            // Poll at the current time (this fires due timers): nothing may go out
            // before `time`.
            if self.now < time {
                self.expect_quiet()?;
            }
            match self.conn.poll_at() {
                Some(t) if t > self.now && t < time => self.now = t,
                _ => break,
            }
        }
        self.now = time;
        Ok(())
    }

    fn expect_quiet(&mut self) -> Result<(), String> {
        let now = self.now;
        if let Some(repr) = self.conn.poll_transmit(now, &mut self.payload) {
            let shown = show(&repr, true);
            let _ = writeln!(self.log, "{} > {}", fmt_time(now), shown);
            return Err(format!(
                "unexpected segment at {}: > {}",
                fmt_time(now),
                shown
            ));
        }
        Ok(())
    }

    fn inbound(&self, s: &ScriptSegment) -> Result<(TcpRepr<'static>, usize), String> {
        Ok((inbound_with(s, LOCAL_ISS), s.len))
    }
}

/// The segment a `<` line describes, without payload, with `local_iss` as our ISS
/// (for its ACK number and SACK blocks).
pub(crate) fn inbound_with(s: &ScriptSegment, local_iss: u32) -> TcpRepr<'static> {
    {
        let start = rel(s.start);
        let mut options = TcpOptions::default();
        if let Some(o) = &s.options {
            options.mss = o.mss.map(|m| rel(m) as u16);
            options.window_scale = o.wscale.map(|w| rel(w) as u8);
            options.sack_permitted = o.sack_permitted;
            options.timestamp = o.ts.map(|(v, e)| TcpTimestamp {
                tsval: rel(v),
                tsecr: rel(e),
            });
            for (slot, (l, r)) in options.sack_blocks.iter_mut().zip(o.sack.iter()) {
                *slot = Some((
                    SeqNumber(local_iss.wrapping_add(rel(*l))),
                    SeqNumber(local_iss.wrapping_add(rel(*r))),
                ));
            }
        }
        TcpRepr {
            src_port: REMOTE.port(),
            dst_port: LOCAL.port(),
            seq_number: SeqNumber(REMOTE_ISS.wrapping_add(start)),
            ack_number: if s.ack_flag {
                Some(SeqNumber(local_iss.wrapping_add(s.ack.map_or(0, rel))))
            } else {
                None
            },
            flags: s.flags,
            window_len: s.win.map_or(0xffff, rel) as u16,
            urgent_pointer: 0,
            options,
            payload: &[],
        }
    }
}

fn params() -> OpenParams {
    OpenParams {
        local: LOCAL,
        remote: REMOTE,
        iss: SeqNumber(LOCAL_ISS),
        ts_offset: TS_OFFSET,
    }
}

pub(crate) fn rel(n: Num) -> u32 {
    match n {
        Num::Is(v) => v,
        Num::Any => 0,
    }
}

fn expect_recv(conn: &mut Connection, want: Result<usize, RecvError>) -> Result<(), String> {
    let mut buf = [0u8; 16];
    let got = conn.recv(&mut buf);
    if got != want {
        return Err(format!("recv: expected {want:?}, got {got:?}"));
    }
    Ok(())
}

/// The script's name for an ICMP outcome.
fn icmp_outcome_name(o: IcmpOutcome) -> &'static str {
    match o {
        IcmpOutcome::NoConnection => "no-connection",
        IcmpOutcome::Ignored => "ignored",
        IcmpOutcome::OutOfWindow => "out-of-window",
        IcmpOutcome::Soft => "soft",
        IcmpOutcome::Aborted => "aborted",
        IcmpOutcome::MtuLowered { .. } => "lowered",
        IcmpOutcome::MtuNotLowered => "not-lowered",
        _ => "other",
    }
}

/// An ICMP error kind as a script writes it (see the module doc).
fn parse_icmp_kind(tok: &str) -> Result<IcmpErrorKind, String> {
    Ok(match tok {
        "net" => IcmpErrorKind::NetUnreachable,
        "host" => IcmpErrorKind::HostUnreachable,
        "proto" => IcmpErrorKind::ProtoUnreachable,
        "port" => IcmpErrorKind::PortUnreachable,
        "prohibited" => IcmpErrorKind::Prohibited,
        "ttl" => IcmpErrorKind::TimeExceeded,
        "param" => IcmpErrorKind::ParamProblem,
        other => match other.strip_prefix("frag:").map(str::parse::<u16>) {
            Some(Ok(mtu)) => IcmpErrorKind::FragRequired { mtu },
            _ => return Err(format!("unknown ICMP error `{other}`")),
        },
    })
}

fn event_name(e: &Event) -> String {
    match e {
        Event::Closed(r) => format!("Closed({r:?})"),
        other => format!("{other:?}"),
    }
}

pub(crate) fn fmt_time(t: Instant) -> String {
    format!("{:.3}", t.total_micros() as f64 / 1e6)
}

fn flags_str(flags: &TcpFlags, ack: bool) -> String {
    let mut s = String::new();
    if flags.syn {
        s.push('S');
    }
    if flags.fin {
        s.push('F');
    }
    if flags.rst {
        s.push('R');
    }
    if flags.psh {
        s.push('P');
    }
    if ack {
        s.push('.');
    }
    s
}

/// A segment in script form (relative numbers). `ours` picks which ISS is which.
fn show(repr: &TcpRepr<'_>, ours: bool) -> String {
    show_with(repr, ours, LOCAL_ISS)
}

/// [`show`] with `local_iss` as our ISS.
pub(crate) fn show_with(repr: &TcpRepr<'_>, ours: bool, local_iss: u32) -> String {
    let (seq_base, ack_base) = if ours {
        (local_iss, REMOTE_ISS)
    } else {
        (REMOTE_ISS, local_iss)
    };
    let start = repr.seq_number.0.wrapping_sub(seq_base);
    let len = repr.payload.len();
    let mut s = format!(
        "{} {}:{}({})",
        flags_str(&repr.flags, repr.ack_number.is_some()),
        start,
        start.wrapping_add(len as u32),
        len
    );
    if let Some(a) = repr.ack_number {
        let _ = write!(s, " ack {}", a.0.wrapping_sub(ack_base));
    }
    let _ = write!(s, " win {}", repr.window_len);
    let o = &repr.options;
    let mut parts: Vec<String> = Vec::new();
    if let Some(m) = o.mss {
        parts.push(format!("mss {m}"));
    }
    if o.sack_permitted {
        parts.push("sackOK".into());
    }
    if let Some(t) = o.timestamp {
        parts.push(format!("TS val {} ecr {}", t.tsval, t.tsecr));
    }
    if let Some(w) = o.window_scale {
        parts.push(format!("wscale {w}"));
    }
    let blocks: Vec<String> = o
        .sack_blocks
        .iter()
        .flatten()
        .map(|(l, r)| {
            format!(
                "{}:{}",
                l.0.wrapping_sub(ack_base),
                r.0.wrapping_sub(ack_base)
            )
        })
        .collect();
    if !blocks.is_empty() {
        parts.push(format!("sack {}", blocks.join(" ")));
    }
    let _ = write!(s, " <{}>", parts.join(","));
    s
}

pub(crate) fn show_expected(e: &ScriptSegment) -> String {
    let mut s = format!(
        "{} {}:{}({})",
        flags_str(&e.flags, e.ack_flag),
        e.start,
        match e.start {
            Num::Is(v) => v.wrapping_add(e.len as u32).to_string(),
            Num::Any => "*".into(),
        },
        e.len
    );
    if let Some(a) = e.ack {
        let _ = write!(s, " ack {a}");
    }
    if let Some(w) = e.win {
        let _ = write!(s, " win {w}");
    }
    if let Some(o) = &e.options {
        let mut parts: Vec<String> = Vec::new();
        if let Some(m) = o.mss {
            parts.push(format!("mss {m}"));
        }
        if o.sack_permitted {
            parts.push("sackOK".into());
        }
        if let Some((v, c)) = o.ts {
            parts.push(format!("TS val {v} ecr {c}"));
        }
        if let Some(w) = o.wscale {
            parts.push(format!("wscale {w}"));
        }
        if !o.sack.is_empty() {
            let b: Vec<String> = o.sack.iter().map(|(l, r)| format!("{l}:{r}")).collect();
            parts.push(format!("sack {}", b.join(" ")));
        }
        let _ = write!(s, " <{}>", parts.join(","));
    }
    s
}

fn matches_expected(e: &ScriptSegment, a: &TcpRepr<'_>) -> Result<(), String> {
    matches_expected_with(e, a, LOCAL_ISS)
}

/// [`matches_expected`] with `local_iss` as our ISS.
pub(crate) fn matches_expected_with(
    e: &ScriptSegment,
    a: &TcpRepr<'_>,
    local_iss: u32,
) -> Result<(), String> {
    let f = &a.flags;
    if (f.syn, f.fin, f.rst, f.psh) != (e.flags.syn, e.flags.fin, e.flags.rst, e.flags.psh)
        || a.ack_number.is_some() != e.ack_flag
    {
        return Err("flags differ".into());
    }
    let start = a.seq_number.0.wrapping_sub(local_iss);
    if !e.start.matches(start) {
        return Err("sequence number differs".into());
    }
    if a.payload.len() != e.len {
        return Err("length differs".into());
    }
    if let (Some(want), Some(got)) = (e.ack, a.ack_number) {
        if !want.matches(got.0.wrapping_sub(REMOTE_ISS)) {
            return Err("ack differs".into());
        }
    }
    if let Some(w) = e.win {
        if !w.matches(a.window_len as u32) {
            return Err("window differs".into());
        }
    }
    if let Some(o) = &e.options {
        let ao = &a.options;
        let num_eq = |want: Option<Num>, got: Option<u32>| match (want, got) {
            (None, None) => true,
            (Some(w), Some(g)) => w.matches(g),
            _ => false,
        };
        if !num_eq(o.mss, ao.mss.map(u32::from)) {
            return Err("mss option differs".into());
        }
        if !num_eq(o.wscale, ao.window_scale.map(u32::from)) {
            return Err("wscale option differs".into());
        }
        if o.sack_permitted != ao.sack_permitted {
            return Err("sackOK option differs".into());
        }
        match (o.ts, ao.timestamp) {
            (None, None) => {}
            (Some((v, c)), Some(t)) if v.matches(t.tsval) && c.matches(t.tsecr) => {}
            _ => return Err("timestamp option differs".into()),
        }
        let got: Vec<(u32, u32)> = ao
            .sack_blocks
            .iter()
            .flatten()
            .map(|(l, r)| (l.0.wrapping_sub(REMOTE_ISS), r.0.wrapping_sub(REMOTE_ISS)))
            .collect();
        if got.len() != o.sack.len()
            || !o
                .sack
                .iter()
                .zip(&got)
                .all(|((l, r), (gl, gr))| l.matches(*gl) && r.matches(*gr))
        {
            return Err("SACK blocks differ".into());
        }
    }
    Ok(())
}

// ------------------------------------------------------------------ parsing

fn parse_time(tok: &str, prev: Instant) -> Result<Instant, String> {
    let (relative, num) = match tok.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, tok),
    };
    let secs: f64 = num.parse().map_err(|_| format!("bad time `{tok}`"))?;
    let micros = (secs * 1e6).round() as i64;
    Ok(if relative {
        prev + Duration::from_micros(micros as u64)
    } else {
        Instant::from_micros(micros)
    })
}

fn parse_num(tok: &str) -> Result<Num, String> {
    if tok == "*" {
        return Ok(Num::Any);
    }
    tok.parse::<u32>()
        .map(Num::Is)
        .map_err(|_| format!("bad number `{tok}`"))
}

/// What a script runner ([`TcpScript`], the listener scripts) does with a parsed line;
/// [`run_script`] is the reading loop they share.
pub(crate) trait ScriptRunner {
    /// Carries out one step at `time`, or says why it does not hold.
    fn exec(&mut self, time: Instant, step: &Step) -> Result<(), String>;
    /// Checks that nothing unexpected is left to send at the end of the script.
    fn expect_quiet(&mut self) -> Result<(), String>;
    /// The time of the previous line (`+0` and `+N` count from it).
    fn line_time_mut(&mut self) -> &mut Instant;
    /// The conversation so far, shown when a line fails.
    fn log(&self) -> &str;
}

impl ScriptRunner for TcpScript {
    fn exec(&mut self, time: Instant, step: &Step) -> Result<(), String> {
        TcpScript::exec(self, time, step)
    }
    fn expect_quiet(&mut self) -> Result<(), String> {
        TcpScript::expect_quiet(self)
    }
    fn line_time_mut(&mut self) -> &mut Instant {
        &mut self.line_time
    }
    fn log(&self) -> &str {
        &self.log
    }
}

/// Runs the lines of `script` on `runner`; panics on the first line that does not
/// hold, with the conversation so far.
#[track_caller]
pub(crate) fn run_script<R: ScriptRunner>(runner: &mut R, script: &str) {
    for (no, raw) in script.lines().enumerate() {
        let line = raw.split("//").next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (time, step) = match parse_line(line, *runner.line_time_mut()) {
            Ok(x) => x,
            Err(e) => panic!("script line {}: `{line}`: {e}", no + 1),
        };
        if let Err(e) = runner.exec(time, &step) {
            panic!(
                "script line {}: `{line}`\n{e}\n--- conversation so far ---\n{}",
                no + 1,
                runner.log()
            );
        }
        *runner.line_time_mut() = time;
    }
    if let Err(e) = runner.expect_quiet() {
        panic!(
            "at the end of the script:\n{e}\n--- conversation ---\n{}",
            runner.log()
        );
    }
}

pub(crate) fn parse_line(line: &str, prev: Instant) -> Result<(Instant, Step), String> {
    let mut it = line.splitn(2, char::is_whitespace);
    let time = parse_time(it.next().unwrap_or(""), prev)?;
    let rest = it.next().unwrap_or("").trim();
    let step = if let Some(seg) = rest.strip_prefix('<') {
        Step::In(parse_segment(seg.trim())?)
    } else if let Some(seg) = rest.strip_prefix('>') {
        Step::Out(parse_segment(seg.trim())?)
    } else {
        parse_command(rest)?
    };
    Ok((time, step))
}

fn parse_command(rest: &str) -> Result<Step, String> {
    let toks: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| -> Result<usize, String> {
        toks.get(i)
            .ok_or_else(|| format!("`{rest}` needs a number"))?
            .parse::<usize>()
            .map_err(|_| format!("bad number in `{rest}`"))
    };
    Ok(match toks.first().copied() {
        Some("send") => {
            let accept = if toks.get(2) == Some(&"=") {
                Some(num(3)?)
            } else {
                None
            };
            Step::Send(num(1)?, accept)
        }
        Some("recv") => match toks.get(1).copied() {
            Some("eof") => Step::RecvEof,
            Some("wouldblock") => Step::RecvWouldBlock,
            Some("reset") => Step::RecvReset,
            _ => Step::Recv(num(1)?),
        },
        Some("shutdown") => Step::Shutdown,
        Some("close") => Step::Close,
        Some("abort") => Step::Abort,
        Some("nothing") => Step::Nothing,
        Some("state") => Step::State(toks.get(1).ok_or("state needs a name")?.to_string()),
        Some("event") => Step::Event(toks.get(1).ok_or("event needs a name")?.to_string()),
        Some("check") => Step::Check(
            toks.get(1).ok_or("check needs a name")?.to_string(),
            toks.get(2).ok_or("check needs a value")?.to_string(),
        ),
        Some("icmp") => match toks.as_slice() {
            [_, kind, "seq", seq, "=", outcome] => Step::Icmp(
                parse_icmp_kind(kind)?,
                seq.parse().map_err(|_| format!("bad number in `{rest}`"))?,
                outcome.to_string(),
            ),
            _ => return Err(format!("`{rest}`: want `icmp KIND seq S = OUTCOME`")),
        },
        Some("fill") => Step::Fill(num(1)?),
        Some("accept") => Step::Accept,
        Some("counter") => Step::Counter(
            toks.get(1).ok_or("counter needs a name")?.to_string(),
            num(2)? as u64,
        ),
        Some("connections") => Step::Connections(num(1)?),
        Some("stat") => Step::Stat(
            toks.get(1).ok_or("stat needs a name")?.to_string(),
            num(2)? as u64,
        ),
        _ => return Err(format!("unknown command `{rest}`")),
    })
}

fn parse_segment(s: &str) -> Result<ScriptSegment, String> {
    let (head, options) = match s.find('<') {
        Some(i) => {
            let end = s.rfind('>').ok_or("options without `>`")?;
            (&s[..i], Some(parse_options(&s[i + 1..end])?))
        }
        None => (s, None),
    };
    let toks: Vec<&str> = head.split_whitespace().collect();
    let flag_tok = toks.first().ok_or("missing flags")?;
    let mut flags = TcpFlags::default();
    let mut ack_flag = false;
    for c in flag_tok.chars() {
        match c {
            'S' => flags.syn = true,
            'F' => flags.fin = true,
            'R' => flags.rst = true,
            'P' => flags.psh = true,
            '.' => ack_flag = true,
            _ => return Err(format!("bad flag `{c}`")),
        }
    }
    let range = toks.get(1).ok_or("missing start:end(len)")?;
    let (start, len) = parse_range(range)?;
    let mut seg = ScriptSegment {
        flags,
        ack_flag,
        start,
        len,
        ack: None,
        win: None,
        options,
    };
    let mut i = 2;
    while i < toks.len() {
        let value = toks
            .get(i + 1)
            .ok_or(format!("`{}` needs a value", toks[i]))?;
        match toks[i] {
            "ack" => seg.ack = Some(parse_num(value)?),
            "win" => seg.win = Some(parse_num(value)?),
            other => return Err(format!("unknown field `{other}`")),
        }
        i += 2;
    }
    if seg.ack.is_some() && !seg.ack_flag {
        return Err("`ack N` without the `.` flag".into());
    }
    Ok(seg)
}

fn parse_range(tok: &str) -> Result<(Num, usize), String> {
    let bad = || format!("bad range `{tok}` (want start:end(len))");
    let (start, rest) = tok.split_once(':').ok_or_else(bad)?;
    let (end, len) = rest.split_once('(').ok_or_else(bad)?;
    let len: usize = len.trim_end_matches(')').parse().map_err(|_| bad())?;
    let start = parse_num(start)?;
    if let (Num::Is(s), Ok(e)) = (start, end.parse::<u32>()) {
        if e.wrapping_sub(s) as usize != len {
            return Err(format!("range `{tok}`: end - start != len"));
        }
    }
    Ok((start, len))
}

fn parse_options(s: &str) -> Result<ScriptOptions, String> {
    let mut o = ScriptOptions::default();
    for part in s.split(',') {
        let toks: Vec<&str> = part.split_whitespace().collect();
        match toks.as_slice() {
            [] | ["nop"] | ["eol"] => {}
            ["mss", v] => o.mss = Some(parse_num(v)?),
            ["wscale", v] => o.wscale = Some(parse_num(v)?),
            ["sackOK"] => o.sack_permitted = true,
            ["TS", "val", v, "ecr", e] => o.ts = Some((parse_num(v)?, parse_num(e)?)),
            ["sack", blocks @ ..] => {
                for b in blocks {
                    let (l, r) = b.split_once(':').ok_or(format!("bad SACK block `{b}`"))?;
                    o.sack.push((parse_num(l)?, parse_num(r)?));
                }
            }
            _ => return Err(format!("unknown option `{part}`")),
        }
    }
    Ok(o)
}

/// The state names a script uses, for tests that want to assert a [`State`] directly.
pub fn state_name(s: State) -> String {
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn established() -> TcpScript {
        TcpScript::establish_plain(TcpConfig::default())
    }

    #[test]
    #[should_panic(expected = "ack differs")]
    fn a_wrong_expectation_fails() {
        established().run(
            "0.100 send 10
             +0 > P. 1:11(10) ack 2",
        );
    }

    #[test]
    #[should_panic(expected = "unexpected segment at 0.100")]
    fn an_unexpected_segment_fails() {
        established().run(
            "0.100 send 10
             0.200 < . 1:1(0) ack 11 win 65535",
        );
    }

    #[test]
    #[should_panic(expected = "unexpected segment at 0.300")]
    fn a_segment_sent_earlier_than_expected_fails() {
        // The retransmission comes at 0.300 (RTO 200 ms), not at 0.400.
        established().run(
            "0.100 send 10
             +0 > P. 1:11(10) ack 1
             0.400 > P. 1:11(10) ack 1",
        );
    }

    #[test]
    #[should_panic(expected = "nothing sent")]
    fn a_missing_segment_fails() {
        established().run("0.100 > P. 1:11(10) ack 1");
    }

    #[test]
    #[should_panic(expected = "bad range")]
    fn a_malformed_line_fails() {
        established().run("0.100 < . 1-2 ack 1");
    }

    #[test]
    fn lines_parse_into_segments() {
        let (t, step) = parse_line(
            "+0.5 < S. 0:0(0) ack 1 win 10 <mss 1460,TS val 5 ecr *>",
            Instant::ZERO,
        )
        .unwrap();
        assert_eq!(t, Instant::from_millis(500));
        let Step::In(s) = step else {
            panic!("not a segment")
        };
        assert!(s.flags.syn && s.ack_flag);
        assert_eq!(
            (s.start, s.len, s.ack, s.win),
            (Num::Is(0), 0, Some(Num::Is(1)), Some(Num::Is(10)))
        );
        let o = s.options.unwrap();
        assert_eq!(o.mss, Some(Num::Is(1460)));
        assert_eq!(o.ts, Some((Num::Is(5), Num::Any)));
    }
}
