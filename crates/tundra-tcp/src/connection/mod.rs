//! One TCP connection: the transmission control block (TCB) of RFC 9293 §3.3.1 and the
//! state machine of §3.3.2, sans-IO.
//!
//! Heads up! Read these first:
//! - RFC 9293 §3.3 (states, sequence variables), §3.10 (event processing: the
//!   segment-arrival steps that [`input`] follows one by one);
//! - RFC 6298 (retransmission timer), RFC 5681 + RFC 6582 (NewReno), RFC 6928
//!   (initial window);
//! - loss recovery with SACK ([`recovery`]): RFC 6675 (scoreboard, pipe, NextSeg),
//!   RFC 8985 (RACK-TLP), RFC 6937 (proportional rate reduction);
//! - RFC 7323 (window scale, timestamps, PAWS), RFC 2018 (SACK), RFC 5961 (challenge
//!   ACKs), RFC 9293 §3.8.6 (window management, SWS avoidance, delayed ACK).
//!
//! The send sequence space (RFC 9293 §3.3.1, Figure 3):
//!
//! ```text
//!            1         2          3          4
//!       ----------|----------|----------|----------
//!              SND.UNA    SND.NXT    SND.UNA
//!                                   +SND.WND
//!   1 - old sequence numbers that have been acknowledged
//!   2 - sequence numbers of unacknowledged data
//!   3 - sequence numbers allowed for new data transmission
//!   4 - future sequence numbers that are not yet allowed
//! ```
//!
//! Tundra also keeps SND.MAX, the highest sequence number ever sent: it differs from
//! SND.NXT only by a zero-window probe's octet, which SND.NXT does not cover (RFC 9293
//! §3.8.6.1). Retransmissions never move SND.NXT: the scoreboard ([`crate::sack`])
//! records every segment in SND.UNA..SND.NXT and which of them to send again.
//!
//! The receive sequence space (Figure 4):
//!
//! ```text
//!                1          2          3
//!            ----------|----------|----------
//!                   RCV.NXT    RCV.NXT
//!                             +RCV.WND
//!   1 - old sequence numbers that have been acknowledged
//!   2 - sequence numbers allowed for new reception
//!   3 - future sequence numbers that are not yet allowed
//! ```
//!
//! # Driving a connection
//! - network input: [`Connection::handle_segment`], and ICMP errors quoting our
//!   segments: [`Connection::handle_icmp_error`] (see [`crate::icmp`]);
//! - user calls: [`Connection::send`], [`Connection::recv`], [`Connection::shutdown`],
//!   [`Connection::close`], [`Connection::abort`];
//! - output: after any of the above or when [`Connection::poll_at`] is due, call
//!   [`Connection::poll_transmit`] until it returns `None` (it fires due timers
//!   itself); [`Connection::poll_at`] reports only timer deadlines;
//! - application events: [`Connection::poll_event`].

mod icmp;
mod input;
mod output;
mod recovery;

use core::fmt;
use core::net::SocketAddrV4;

use tundra_core::{Duration, Instant};

use crate::config::TcpConfig;
use crate::congestion::{CongestionControl, NewReno, Prr};
use crate::icmp::IcmpErrorKind;
use crate::rack::{Rack, TailLossProbe};
use crate::reassembly::RecvBuffer;
use crate::rtt::RttEstimator;
use crate::sack::{Scoreboard, DUP_THRESH};
use crate::send_buffer::SendBuffer;
use crate::undo::UndoEpisode;
use crate::{SeqNumber, TcpRepr};

/// The MSS assumed when the peer sends no MSS option (RFC 9293 §3.7.1: 536).
pub const DEFAULT_MSS: usize = 536;

/// The largest send or receive buffer a connection uses (RFC 7323 §2.3: the largest
/// scaled window is 65535 << 14, just under 2^30).
pub const MAX_BUFFER: usize = 0xffff << 14;

/// The connection states of RFC 9293 §3.3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// No connection (the fictional state of RFC 9293 §3.3.2).
    Closed,
    /// Waiting for a SYN.
    Listen,
    /// SYN sent, waiting for a matching SYN.
    SynSent,
    /// SYN received and SYN sent, waiting for the ACK of our SYN.
    SynReceived,
    /// Open: data flows both ways.
    Established,
    /// We closed; our FIN is not yet acknowledged.
    FinWait1,
    /// Our FIN is acknowledged; waiting for the peer's FIN.
    FinWait2,
    /// The peer closed; waiting for our user to close.
    CloseWait,
    /// Both closed at once; waiting for the ACK of our FIN.
    Closing,
    /// The peer closed first, then we did; waiting for the ACK of our FIN.
    LastAck,
    /// Waiting 2*MSL so stray segments of this connection die out.
    TimeWait,
}

impl State {
    /// Whether the state is one of the synchronized states (RFC 9293 §3.5.2: those
    /// after the handshake completed).
    pub fn is_synchronized(self) -> bool {
        !matches!(
            self,
            State::Closed | State::Listen | State::SynSent | State::SynReceived
        )
    }
}

impl fmt::Display for State {
    /// The RFC's name: `ESTABLISHED`, `FIN-WAIT-1`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN-SENT",
            State::SynReceived => "SYN-RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN-WAIT-1",
            State::FinWait2 => "FIN-WAIT-2",
            State::CloseWait => "CLOSE-WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST-ACK",
            State::TimeWait => "TIME-WAIT",
        })
    }
}

/// Why a connection reached CLOSED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// Both sides closed and every FIN was acknowledged (or TIME-WAIT expired).
    Normal,
    /// The peer sent an acceptable RST (RFC 9293 §3.10.7.4, second step).
    Reset,
    /// The peer answered our SYN with a RST ("connection refused").
    Refused,
    /// Retransmissions or keepalive probes went unanswered (RFC 9293 §3.8.3 R2).
    TimedOut,
    /// Our user aborted (RFC 9293 §3.10.5).
    Aborted,
    /// An ICMP hard error (port or protocol unreachable) answered the handshake: RFC
    /// 1122 §4.2.3.9 "SHOULD abort the connection" (Linux: `ECONNREFUSED` for a port).
    Unreachable(IcmpErrorKind),
    /// Retransmissions went unanswered after an ICMP soft error arrived: the error is
    /// what the application hears (RFC 1122 §4.2.3.9 "SHOULD make the information
    /// available"; Linux reports `sk_err_soft`, e.g. `EHOSTUNREACH`, not `ETIMEDOUT`).
    TimedOutUnreachable(IcmpErrorKind),
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CloseReason::Normal => "closed",
            CloseReason::Reset => "connection reset",
            CloseReason::Refused => "connection refused",
            CloseReason::TimedOut => "connection timed out",
            CloseReason::Aborted => "connection aborted",
            CloseReason::Unreachable(kind) => return write!(f, "{kind}"),
            CloseReason::TimedOutUnreachable(kind) => {
                return write!(f, "{kind} (connection timed out)")
            }
        })
    }
}

impl CloseReason {
    /// Whether the connection gave up for lack of answers (with or without an ICMP
    /// soft error to tell).
    pub fn is_timeout(self) -> bool {
        matches!(
            self,
            CloseReason::TimedOut | CloseReason::TimedOutUnreachable(_)
        )
    }
}

/// What the application should know about. Each kind is reported at most once until
/// polled (the pending set is a bitmask, so events never pile up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Event {
    /// The handshake completed (ESTABLISHED).
    Connected,
    /// New in-order data can be read.
    Readable,
    /// Space opened in the send buffer.
    Writable,
    /// The peer sent FIN: after the buffered data, `recv` returns `Ok(0)`.
    PeerClosed,
    /// The connection reached CLOSED.
    Closed(CloseReason),
}

/// Why [`Connection::send`] took nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The send buffer is full; wait for [`Event::Writable`].
    #[error("send buffer full")]
    WouldBlock,
    /// The connection is not open for sending (never opened, or LISTEN).
    #[error("not connected")]
    NotConnected,
    /// Our side already closed (shutdown or close was called).
    #[error("connection closing")]
    Closing,
    /// The connection is closed ([`CloseReason`] says why).
    #[error("connection closed: {0}")]
    Closed(CloseReason),
}

/// Why [`Connection::recv`] returned no data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum RecvError {
    /// Nothing to read yet; wait for [`Event::Readable`].
    #[error("no data yet")]
    WouldBlock,
    /// The connection is not established yet, or is a listener.
    #[error("not connected")]
    NotConnected,
    /// Our user closed the connection; reading is over.
    #[error("connection closing")]
    Closing,
    /// The connection was reset, refused, timed out or aborted.
    #[error("connection closed: {0}")]
    Closed(CloseReason),
}

/// Who a connection is and how it starts: its addresses, its initial send sequence
/// number (RFC 6528, chosen by the endpoint) and the offset of its timestamp clock
/// (RFC 7323 §5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenParams {
    /// Our address and port.
    pub local: SocketAddrV4,
    /// The peer's address and port.
    pub remote: SocketAddrV4,
    /// ISS, our initial send sequence number.
    pub iss: SeqNumber,
    /// Added to our millisecond clock to form TSval.
    pub ts_offset: u32,
}

/// Per-connection counters; the endpoint sums them into its [`crate::TcpCounters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnStats {
    /// Segments handed to [`Connection::handle_segment`].
    pub segments_in: u64,
    /// Segments produced by [`Connection::poll_transmit`].
    pub segments_out: u64,
    /// Segments (or probes) carrying data or SYN/FIN that were sent before.
    pub retransmits: u64,
    /// Fast retransmissions: entries into fast recovery (RFC 5681 §3.2, RFC 6675 §5).
    pub fast_retransmits: u64,
    /// Further segments resent during SACK-based fast recovery, chosen from the
    /// scoreboard (RFC 6675 NextSeg, RFC 8985 RACK).
    pub sack_retransmits: u64,
    /// Retransmissions that were themselves lost, found by RACK (RFC 8985 §6).
    pub lost_retransmits: u64,
    /// Tail loss probes sent (RFC 8985 §7).
    pub tail_loss_probes: u64,
    /// Losses that a tail loss probe repaired (RFC 8985 §7.4).
    pub tlp_recoveries: u64,
    /// Retransmission timer expiries (RFC 6298 §5.4).
    pub rto_expirations: u64,
    /// Challenge ACKs sent (RFC 5961 §3, §4, §5).
    pub challenge_acks: u64,
    /// Challenge ACKs suppressed by the rate limit (RFC 5961 §7).
    pub challenge_acks_suppressed: u64,
    /// Segments dropped by PAWS (RFC 7323 §5).
    pub paws_rejected: u64,
    /// Segments that failed the sequence-number acceptability test (RFC 9293
    /// §3.10.7.4, first check).
    pub out_of_window: u64,
    /// Duplicate ACKs received (RFC 5681 §2).
    pub dup_acks: u64,
    /// Zero-window probes sent (RFC 9293 §3.8.6.1).
    pub window_probes: u64,
    /// Keepalive probes sent.
    pub keepalive_probes: u64,
    /// Bytes of data received out of order and kept for reassembly.
    pub ooo_bytes: u64,
    /// ACKs sent with a D-SACK block, reporting a duplicate segment (RFC 2883 §4).
    pub dsacks_sent: u64,
    /// ACKs received with a D-SACK block (RFC 2883 §4).
    pub dsacks_received: u64,
    /// Retransmitted ranges shown needless: D-SACKed (RFC 3708), acknowledged with an
    /// older timestamp (RFC 3522) or too soon to be the retransmission's (RFC 8985
    /// §6.2).
    pub spurious_retransmits: u64,
    /// Congestion responses undone because all their retransmissions were spurious
    /// (RFC 3708 §3, RFC 3522 §3.2).
    pub undos: u64,
}

impl ConnStats {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &ConnStats) {
        self.segments_in += other.segments_in;
        self.segments_out += other.segments_out;
        self.retransmits += other.retransmits;
        self.fast_retransmits += other.fast_retransmits;
        self.sack_retransmits += other.sack_retransmits;
        self.lost_retransmits += other.lost_retransmits;
        self.tail_loss_probes += other.tail_loss_probes;
        self.tlp_recoveries += other.tlp_recoveries;
        self.rto_expirations += other.rto_expirations;
        self.challenge_acks += other.challenge_acks;
        self.challenge_acks_suppressed += other.challenge_acks_suppressed;
        self.paws_rejected += other.paws_rejected;
        self.out_of_window += other.out_of_window;
        self.dup_acks += other.dup_acks;
        self.window_probes += other.window_probes;
        self.keepalive_probes += other.keepalive_probes;
        self.ooo_bytes += other.ooo_bytes;
        self.dsacks_sent += other.dsacks_sent;
        self.dsacks_received += other.dsacks_received;
        self.spurious_retransmits += other.spurious_retransmits;
        self.undos += other.undos;
    }
}

/// Timestamp state once both sides agreed on RFC 7323 timestamps.
#[derive(Debug, Clone, Copy)]
struct Timestamps {
    /// TS.Recent: the TSval to echo (RFC 7323 §4.3).
    recent: u32,
    /// When TS.Recent was last updated (for the 24-day validity rule, §5.5).
    recent_at: Instant,
}

// Pending application events (bitmask).
const EV_CONNECTED: u8 = 1;
const EV_READABLE: u8 = 2;
const EV_WRITABLE: u8 = 4;
const EV_PEER_CLOSED: u8 = 8;
const EV_CLOSED: u8 = 16;

/// Which loss recovery is under way (Linux calls these the congestion states Open,
/// Recovery and Loss).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recovery {
    /// No recovery: normal transmission.
    Open,
    /// Fast recovery after loss was detected by ACKs (RFC 5681 §3.2, RFC 6582, RFC
    /// 6675 §5), until SND.UNA reaches `recover`.
    Fast,
    /// After a retransmission timeout, until SND.UNA reaches `recover` (RFC 6582 §4,
    /// RFC 6675 §5.1: no new fast recovery before that).
    Timeout,
}

/// One TCP connection (a TCB). See the module doc for how to drive it.
#[derive(Debug)]
pub struct Connection {
    config: TcpConfig,
    state: State,
    local: SocketAddrV4,
    remote: SocketAddrV4,
    /// Opened by a passive OPEN (LISTEN): a reset in SYN-RECEIVED just drops it.
    passive: bool,

    // --- Send sequence variables (RFC 9293 §3.3.1) ---
    iss: SeqNumber,
    snd_una: SeqNumber,
    snd_nxt: SeqNumber,
    /// Highest sequence number sent plus one (see module doc).
    snd_max: SeqNumber,
    /// SND.WND, already scaled.
    snd_wnd: usize,
    snd_wl1: SeqNumber,
    snd_wl2: SeqNumber,
    /// The largest window the peer ever offered (RFC 5961 §5.2 MAX.SND.WND, RFC 9293
    /// §3.8.6.2.1 Max(SND.WND)).
    max_snd_wnd: usize,
    /// Shift applied to windows the peer sends (its announced scale).
    snd_wscale: u8,
    /// Both sides sent the window scale option (RFC 7323 §2.2).
    wscale_ok: bool,
    /// SMSS: the peer's MSS clamped to ours (RFC 9293 §3.7.1) and to the path MTU
    /// (RFC 1191), before options.
    smss: usize,
    /// The largest SMSS the path MTU allows, once an ICMP "fragmentation needed" said
    /// so (RFC 1191); `usize::MAX` until then.
    path_mss: usize,
    /// Sequence number of the first byte in `send_buf`.
    buf_seq: SeqNumber,
    send_buf: SendBuffer,
    /// The user asked for FIN after the buffered data (shutdown/close).
    fin_queued: bool,

    // --- Receive sequence variables ---
    irs: SeqNumber,
    rcv_nxt: SeqNumber,
    /// RCV.NXT + RCV.WND as last advertised: the right edge never moves left
    /// (RFC 9293 §3.8.6: "the window SHOULD NOT be shrunk").
    rcv_adv: SeqNumber,
    /// Shift applied to windows we announce.
    rcv_wscale: u8,
    recv_buf: RecvBuffer,
    /// The peer's FIN, if it arrived ahead of a hole.
    rcv_fin: Option<SeqNumber>,
    fin_received: bool,
    /// The largest payload seen from the peer (its effective MSS), for delayed ACKs.
    rcv_mss: usize,

    // --- Options negotiated on the handshake ---
    ts_enabled: bool,
    ts: Option<Timestamps>,
    ts_offset: u32,
    /// RCV.NXT as carried by our last ACK (RFC 7323 §4.3 Last.ACK.sent).
    last_ack_sent: SeqNumber,
    sack_enabled: bool,
    /// Every segment in SND.UNA..SND.NXT: SACKed, lost, retransmitted, when sent
    /// (RFC 6675 §3, RFC 8985 §5.2).
    scoreboard: Scoreboard,
    /// RACK state (RFC 8985 §6), used with SACK.
    rack: Rack,
    /// Tail loss probe state (RFC 8985 §7), used with SACK.
    tlp: TailLossProbe,
    /// Proportional rate reduction of the current SACK fast recovery (RFC 6937).
    prr: Prr,
    /// RFC 6675 RescueRxt: `recover` when the last rescue retransmission went out.
    rescue_rxt: Option<SeqNumber>,
    /// The duplicate range to report as the first SACK block of our next ACK (RFC
    /// 2883 §4), set when a segment duplicated data we hold.
    dsack_out: Option<(SeqNumber, SeqNumber)>,
    /// The last loss recovery episode, while its congestion response may still be
    /// undone (RFC 3708, RFC 3522).
    undo: Option<UndoEpisode>,
    /// The duplicate ACKs that trigger a fast retransmit without SACK: DupThresh,
    /// raised when a fast retransmit proved spurious (see `recovery::try_undo`).
    reordering: u32,
    /// Duplicate ACKs counted before the ACK being processed moved SND.UNA.
    dupacks_before_ack: u32,
    /// Retransmitted ranges the ACK being processed showed needless (scratch space
    /// for `recovery`).
    spurious: Vec<(SeqNumber, SeqNumber)>,

    // --- Reliability and congestion control ---
    rtt: RttEstimator,
    /// The segment being timed when timestamps are off: (end sequence, sent at).
    rtt_probe: Option<(SeqNumber, Instant)>,
    cc: Box<dyn CongestionControl>,
    dupacks: u32,
    /// Bytes sent by limited transmit (RFC 3042) since the last new ACK.
    limited_sent: usize,
    recovery: Recovery,
    /// RFC 6582 `recover` (RFC 6675 RecoveryPoint): SND.MAX when loss recovery last
    /// began.
    recover: SeqNumber,
    /// Send the first segment deemed lost next, whatever cwnd says (RFC 5681 §3.2
    /// fast retransmit, RFC 6582 partial ACK, RFC 6298 §5.4 timeout).
    rexmit_now: bool,
    retries: u32,
    syn_timed_out: bool,
    /// The last ICMP soft error (RFC 1122 §4.2.3.9), reported if the connection times
    /// out; forgotten when an ACK shows the path works.
    soft_error: Option<IcmpErrorKind>,

    // --- Timers (RFC 9293 §3.8, RFC 6298) ---
    rto_at: Option<Instant>,
    /// RACK reordering timer (RFC 8985 §6.2 step 5).
    reo_at: Option<Instant>,
    /// Probe timeout of the tail loss probe (RFC 8985 §7.2).
    tlp_at: Option<Instant>,
    delack_at: Option<Instant>,
    persist_at: Option<Instant>,
    persist_backoff: u32,
    keepalive_at: Option<Instant>,
    keepalive_sent: u32,
    time_wait_at: Option<Instant>,
    /// Last time a segment arrived (keepalive idle) or was sent (RFC 5681 §4.1 idle).
    last_recv: Instant,
    last_send: Instant,

    // --- Pending output ---
    ack_now: bool,
    /// Bytes received in order since our last ACK (delayed ACK, RFC 9293 §3.8.6.3).
    unacked_bytes: usize,
    /// A RST to send: (SEQ, ACK).
    pending_rst: Option<(SeqNumber, Option<SeqNumber>)>,
    send_probe: bool,
    /// The probe timeout fired: segments of the tail loss probe still to send (RFC
    /// 8985 §7.3; see `output::plan_data`).
    send_tlp: u8,
    send_keepalive: bool,
    /// RFC 5961 §7 limiter: start of the current one-second window and count in it.
    challenge_window: (Instant, u32),

    // --- Application side ---
    events: u8,
    close_reason: Option<CloseReason>,
    user_closed: bool,
    stats: ConnStats,
}

impl Connection {
    /// A connection doing an active OPEN (RFC 9293 §3.10.1): SYN-SENT, with the SYN
    /// ready for [`Connection::poll_transmit`].
    pub fn connect(now: Instant, config: TcpConfig, params: OpenParams) -> Connection {
        let mut c = Connection::new(now, config, params, State::SynSent);
        c.passive = false;
        c
    }

    /// A TCB in LISTEN (RFC 9293 §3.10.1 passive OPEN) for segments from
    /// `params.remote`. The endpoint creates one when a SYN arrives on a listening port
    /// and hands it that SYN, so the RFC's LISTEN processing (§3.10.7.2) runs here.
    pub fn listen(now: Instant, config: TcpConfig, params: OpenParams) -> Connection {
        let mut c = Connection::new(now, config, params, State::Listen);
        c.passive = true;
        c
    }

    /// A connection whose handshake a SYN cookie completed ([`crate::syncookie`]): no
    /// TCB existed while our SYN-ACK was out, so the endpoint rebuilds the peer's SYN
    /// from the cookie (`syn`: its sequence number, the MSS and the options the cookie
    /// kept) and hands the ACK that returned the cookie (`ack`). The connection runs
    /// the RFC's LISTEN step on `syn`, takes the SYN-ACK as sent (ISS =
    /// `params.iss`, the cookie), then processes `ack` as in SYN-RECEIVED: ESTABLISHED,
    /// with any data or FIN the ACK carries accepted (RFC 9293 §3.10.7.4).
    pub(crate) fn from_cookie(
        now: Instant,
        config: TcpConfig,
        params: OpenParams,
        syn: &TcpRepr<'_>,
        ack: &TcpRepr<'_>,
    ) -> Connection {
        let mut c = Connection::listen(now, config, params);
        c.handle_segment(now, syn);
        if c.state != State::SynReceived {
            return c;
        }
        // The SYN-ACK went out without a TCB: nothing to retransmit or time.
        c.snd_nxt = c.iss + 1;
        c.snd_max = c.snd_nxt;
        c.last_ack_sent = c.rcv_nxt;
        c.ack_now = false;
        // The echoed TSval was the cookie's, whose low bits are not our clock: no RTT
        // sample from it (a zero TSecr gives none, RFC 7323 §4.1; Linux takes none
        // from a cookie handshake either).
        let mut ack = *ack;
        if let Some(ts) = ack.options.timestamp.as_mut() {
            ts.tsecr = 0;
        }
        c.handle_segment(now, &ack);
        c.stats.segments_in = 1;
        c
    }

    fn new(now: Instant, config: TcpConfig, params: OpenParams, state: State) -> Connection {
        let smss = (config.mss as usize).min(DEFAULT_MSS);
        let rtt = RttEstimator::new(config.initial_rto, config.min_rto, config.max_rto);
        // Buffers beyond 2^30 bytes could not be expressed by a scaled window (RFC 7323
        // §2.3: 65535 << 14) and would break sequence-space arithmetic.
        let send_buf = SendBuffer::new(config.send_buffer.min(MAX_BUFFER));
        let recv_buf = RecvBuffer::new(config.recv_buffer.min(MAX_BUFFER));
        let iss = params.iss;
        Connection {
            state,
            local: params.local,
            remote: params.remote,
            passive: false,
            iss,
            snd_una: iss,
            snd_nxt: iss,
            snd_max: iss,
            snd_wnd: 0,
            snd_wl1: SeqNumber(0),
            snd_wl2: iss,
            max_snd_wnd: 0,
            snd_wscale: 0,
            wscale_ok: false,
            smss,
            path_mss: usize::MAX,
            buf_seq: iss + 1,
            send_buf,
            fin_queued: false,
            irs: SeqNumber(0),
            rcv_nxt: SeqNumber(0),
            rcv_adv: SeqNumber(0),
            rcv_wscale: 0,
            recv_buf,
            rcv_fin: None,
            fin_received: false,
            rcv_mss: smss,
            ts_enabled: false,
            ts: None,
            ts_offset: params.ts_offset,
            last_ack_sent: SeqNumber(0),
            sack_enabled: false,
            scoreboard: Scoreboard::default(),
            rack: Rack::default(),
            tlp: TailLossProbe::default(),
            prr: Prr::default(),
            rescue_rxt: None,
            dsack_out: None,
            undo: None,
            reordering: DUP_THRESH as u32,
            dupacks_before_ack: 0,
            spurious: Vec::new(),
            rtt,
            rtt_probe: None,
            cc: Box::new(NewReno::new(smss)),
            dupacks: 0,
            limited_sent: 0,
            recovery: Recovery::Open,
            recover: iss,
            rexmit_now: false,
            retries: 0,
            syn_timed_out: false,
            soft_error: None,
            rto_at: None,
            reo_at: None,
            tlp_at: None,
            delack_at: None,
            persist_at: None,
            persist_backoff: 0,
            keepalive_at: None,
            keepalive_sent: 0,
            time_wait_at: None,
            last_recv: now,
            last_send: now,
            ack_now: false,
            unacked_bytes: 0,
            pending_rst: None,
            send_probe: false,
            send_tlp: 0,
            send_keepalive: false,
            challenge_window: (now, 0),
            events: 0,
            close_reason: None,
            user_closed: false,
            stats: ConnStats::default(),
            config,
        }
    }

    /// Replaces the congestion control algorithm (before any data is sent).
    pub fn set_congestion_control(&mut self, cc: Box<dyn CongestionControl>) {
        self.cc = cc;
    }

    // ------------------------------------------------------------------ user calls

    /// SEND (RFC 9293 §3.10.2): copies as much of `data` as fits into the send buffer
    /// and returns how many bytes were taken. Data written in SYN-SENT or SYN-RECEIVED
    /// is queued until the connection is established.
    pub fn send(&mut self, data: &[u8]) -> Result<usize, SendError> {
        match self.state {
            State::Closed => {
                return Err(match self.close_reason {
                    Some(r) => SendError::Closed(r),
                    None => SendError::NotConnected,
                })
            }
            State::Listen => return Err(SendError::NotConnected),
            _ if self.fin_queued || self.user_closed => return Err(SendError::Closing),
            State::SynSent | State::SynReceived | State::Established | State::CloseWait => {}
            _ => return Err(SendError::Closing),
        }
        if data.is_empty() {
            return Ok(0);
        }
        match self.send_buf.push(data) {
            0 => Err(SendError::WouldBlock),
            n => Ok(n),
        }
    }

    /// RECEIVE (RFC 9293 §3.10.3): copies in-order data into `buf`. `Ok(0)` means end
    /// of stream (the peer's FIN was read past); `Err(WouldBlock)` means nothing yet.
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<usize, RecvError> {
        if self.user_closed {
            return Err(RecvError::Closing);
        }
        if self.recv_buf.readable() > 0 {
            if buf.is_empty() {
                return Ok(0);
            }
            let n = self.recv_buf.read(buf);
            self.maybe_window_update();
            return Ok(n);
        }
        if self.fin_received {
            return Ok(0);
        }
        match self.state {
            State::Closed => Err(match self.close_reason {
                Some(CloseReason::Normal) | None => RecvError::NotConnected,
                Some(r) => RecvError::Closed(r),
            }),
            State::Listen | State::SynSent | State::SynReceived => Err(RecvError::NotConnected),
            _ => Err(RecvError::WouldBlock),
        }
    }

    /// Half-close: send FIN after all queued data, keep receiving (RFC 9293 §3.10.4,
    /// CLOSE, which in the RFC leaves the receive side open). Idempotent.
    pub fn shutdown(&mut self) {
        if self.fin_queued {
            return;
        }
        match self.state {
            // RFC 9293 §3.10.4: CLOSE in LISTEN or SYN-SENT deletes the TCB.
            State::Listen | State::SynSent => {
                self.enter_closed(CloseReason::Normal);
            }
            // SYN-RECEIVED: queue the FIN until ESTABLISHED is reached (we send FIN
            // only after our SYN is acknowledged; see `input::enter_established`).
            State::SynReceived => self.fin_queued = true,
            // "Queue this until all preceding SENDs have been segmentized, then form a
            // FIN segment and send it. In any case, enter FIN-WAIT-1 state."
            State::Established => {
                self.fin_queued = true;
                self.set_state(State::FinWait1);
            }
            // "... then send a FIN segment, enter LAST-ACK state."
            State::CloseWait => {
                self.fin_queued = true;
                self.set_state(State::LastAck);
            }
            _ => {}
        }
    }

    /// Full close: like [`Connection::shutdown`], and the user reads no more. Data
    /// that arrives afterwards is acknowledged and discarded. If unread data is still
    /// buffered, the connection is reset instead (RFC 2525 §2.17, as Linux does), so
    /// the peer learns its data was not consumed.
    pub fn close(&mut self) {
        if self.user_closed {
            return;
        }
        if self.recv_buf.readable() > 0 && self.state.is_synchronized() {
            self.abort();
            return;
        }
        self.shutdown();
        self.user_closed = true;
    }

    /// ABORT (RFC 9293 §3.10.5): send RST (in synchronized states and SYN-RECEIVED),
    /// flush the queues, go to CLOSED.
    pub fn abort(&mut self) {
        self.user_closed = true;
        match self.state {
            State::SynReceived
            | State::Established
            | State::FinWait1
            | State::FinWait2
            | State::CloseWait => {
                // "<SEQ=SND.NXT><CTL=RST>" (with ACK, as Linux sends it: harmless, and
                // it lets a peer in SYN-SENT accept the reset). But never beyond the
                // right edge of the peer's window, SND.UNA + SND.WND: a peer with a
                // closed window accepts a RST only at exactly RCV.NXT (RFC 9293
                // §3.10.7.4, RFC 5961 §3.2) and would ignore one at a SND.NXT that
                // persist probes moved past it (Linux: tcp_acceptable_seq).
                let window_end = self.snd_una + self.snd_wnd;
                self.pending_rst = Some((self.snd_max.min(window_end), Some(self.rcv_nxt)));
                self.enter_closed(CloseReason::Aborted);
            }
            State::Closed => {}
            _ => self.enter_closed(CloseReason::Aborted),
        }
    }

    /// The next application event, if any (see [`Event`]).
    pub fn poll_event(&mut self) -> Option<Event> {
        for (bit, ev) in [
            (EV_CONNECTED, Event::Connected),
            (EV_READABLE, Event::Readable),
            (EV_WRITABLE, Event::Writable),
            (EV_PEER_CLOSED, Event::PeerClosed),
        ] {
            if self.events & bit != 0 {
                self.events &= !bit;
                return Some(ev);
            }
        }
        if self.events & EV_CLOSED != 0 {
            self.events &= !EV_CLOSED;
            return Some(Event::Closed(
                self.close_reason.unwrap_or(CloseReason::Normal),
            ));
        }
        None
    }

    // ------------------------------------------------------------------ accessors

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// RCV.NXT: the next sequence number expected from the peer.
    pub fn recv_next(&self) -> SeqNumber {
        self.rcv_nxt
    }

    /// SND.UNA: the oldest unacknowledged sequence number.
    pub fn send_unacked(&self) -> SeqNumber {
        self.snd_una
    }

    /// Marks the connection as released by its owner without any other effect (the
    /// endpoint uses it for connections that closed before anyone accepted them).
    pub(crate) fn release(&mut self) {
        self.user_closed = true;
    }

    /// Our address and port.
    pub fn local(&self) -> SocketAddrV4 {
        self.local
    }

    /// The peer's address and port.
    pub fn remote(&self) -> SocketAddrV4 {
        self.remote
    }

    /// Why the connection closed, once it has.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.close_reason
    }

    /// Whether the user has closed or aborted (it will not read again).
    pub fn is_user_closed(&self) -> bool {
        self.user_closed
    }

    /// Bytes queued for sending or awaiting acknowledgment (`ss` Send-Q).
    pub fn send_queue(&self) -> usize {
        self.send_buf.len()
    }

    /// Room left in the send buffer.
    pub fn send_capacity_left(&self) -> usize {
        self.send_buf.free()
    }

    /// Bytes received in order and not yet read (`ss` Recv-Q).
    pub fn recv_queue(&self) -> usize {
        self.recv_buf.readable()
    }

    /// Whether the peer's FIN has arrived.
    pub fn peer_closed(&self) -> bool {
        self.fin_received
    }

    /// The smoothed round-trip time, once measured.
    pub fn srtt(&self) -> Option<Duration> {
        self.rtt.srtt()
    }

    /// The RTT variance (RFC 6298 RTTVAR).
    pub fn rttvar(&self) -> Duration {
        self.rtt.rttvar()
    }

    /// The retransmission timeout currently armed (with backoff).
    pub fn rto(&self) -> Duration {
        self.rtt.rto()
    }

    /// The congestion window in bytes.
    pub fn cwnd(&self) -> usize {
        self.cc.window()
    }

    /// The slow-start threshold in bytes (`usize::MAX` until the first loss).
    pub fn ssthresh(&self) -> usize {
        self.cc.ssthresh()
    }

    /// The congestion control algorithm's name.
    pub fn congestion_algorithm(&self) -> &'static str {
        self.cc.name()
    }

    /// SMSS: the largest segment we send, as negotiated (before option space).
    pub fn mss(&self) -> usize {
        self.smss
    }

    /// The peer's window (SND.WND), scaled.
    pub fn send_window(&self) -> usize {
        self.snd_wnd
    }

    /// Window scale shifts (ours announced, the peer's), when negotiated.
    pub fn window_scales(&self) -> Option<(u8, u8)> {
        (self.rcv_wscale > 0 || self.snd_wscale > 0).then_some((self.rcv_wscale, self.snd_wscale))
    }

    /// Whether timestamps (RFC 7323) were negotiated.
    pub fn timestamps_enabled(&self) -> bool {
        self.ts_enabled
    }

    /// Whether SACK (RFC 2018) was negotiated.
    pub fn sack_enabled(&self) -> bool {
        self.sack_enabled
    }

    /// Bytes sent and not yet acknowledged.
    pub fn bytes_in_flight(&self) -> usize {
        self.snd_max - self.snd_una
    }

    /// RFC 6675 §4 pipe: the bytes estimated to be in the network (sent and neither
    /// acknowledged, SACKed nor deemed lost, plus retransmissions in flight).
    pub fn pipe(&self) -> usize {
        self.scoreboard.pipe()
    }

    /// The largest payload of a data segment: SMSS less the options every segment
    /// carries (what `ss` shows as `mss`; congestion control counts in these units).
    pub fn send_mss(&self) -> usize {
        self.eff_mss()
    }

    /// Whether fast recovery or timeout recovery is under way.
    pub fn in_recovery(&self) -> bool {
        self.recovery != Recovery::Open
    }

    /// This connection's counters.
    pub fn stats(&self) -> &ConnStats {
        &self.stats
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &TcpConfig {
        &self.config
    }

    /// The earliest timer deadline (retransmission, RACK reordering, loss probe,
    /// delayed ACK, persist, keepalive, TIME-WAIT), if any timer runs. Pending output is not reported here: call
    /// [`Connection::poll_transmit`] after every input.
    pub fn poll_at(&self) -> Option<Instant> {
        [
            self.rto_at,
            self.reo_at,
            self.tlp_at,
            self.delack_at,
            self.persist_at,
            self.keepalive_at,
            self.time_wait_at,
        ]
        // A fold rather than `flatten().min()`: asked at least twice per segment, and
        // the fold compiles to a few compares.
        .into_iter()
        .fold(None, earlier)
    }

    // ------------------------------------------------------------------ timers

    /// Fires every timer whose deadline is at or before `now` (RFC 9293 §3.10.8).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.time_wait_at.is_some_and(|t| t <= now) {
            // RFC 9293 §3.10.8: "If the time-wait timeout expires on a connection,
            // delete the TCB, enter the CLOSED state, and return."
            self.time_wait_at = None;
            self.enter_closed(CloseReason::Normal);
            return;
        }
        if self.rto_at.is_some_and(|t| t <= now) {
            self.on_retransmission_timeout(now);
        }
        if self.reo_at.is_some_and(|t| t <= now) {
            self.reo_at = None;
            self.on_reorder_timeout(now);
        }
        if self.tlp_at.is_some_and(|t| t <= now) {
            self.tlp_at = None;
            self.on_probe_timeout(now);
        }
        if self.delack_at.is_some_and(|t| t <= now) {
            self.delack_at = None;
            self.ack_now = true;
        }
        if self.persist_at.is_some_and(|t| t <= now) {
            self.persist_at = None;
            self.send_probe = true;
        }
        if let Some(t) = self.keepalive_at.filter(|t| *t <= now) {
            let _ = t;
            self.on_keepalive_timer(now);
        }
    }

    /// Keepalive (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6): after `idle` without any
    /// segment, probe every `interval`; `count` unanswered probes close the connection.
    fn on_keepalive_timer(&mut self, now: Instant) {
        self.keepalive_at = None;
        let Some(ka) = self.config.keepalive else {
            return;
        };
        if !matches!(self.state, State::Established | State::CloseWait) {
            return;
        }
        if self.keepalive_sent >= ka.count {
            self.enter_closed(self.timeout_reason());
            return;
        }
        self.keepalive_sent += 1;
        self.send_keepalive = true;
        self.keepalive_at = Some(now + ka.interval);
    }

    // ------------------------------------------------------------------ helpers

    /// The payload that fits a segment carrying only the timestamps option: SMSS less
    /// the option bytes every segment carries (RFC 6691 §2). Congestion control
    /// counts in these units.
    fn eff_mss(&self) -> usize {
        let ts = if self.ts_enabled { 12 } else { 0 };
        self.smss.saturating_sub(ts).max(1)
    }

    fn set_state(&mut self, state: State) {
        if state != self.state {
            log::trace!(
                "{} > {}: {} -> {}",
                self.local,
                self.remote,
                self.state,
                state
            );
            self.state = state;
        }
    }

    /// Enters CLOSED: flushes the queues (a reset or abort loses them anyway) and
    /// stops every timer.
    fn enter_closed(&mut self, reason: CloseReason) {
        if self.state == State::Closed {
            return;
        }
        self.set_state(State::Closed);
        if reason != CloseReason::Normal {
            self.send_buf.clear();
        }
        // RFC 9293 §3.10.7.4 says to flush the segment queues on a reset, but data we
        // acknowledged is the user's: like Linux (tcp_reset purges only the write
        // queue), what was received in order stays readable, and `recv` reports the
        // reset after it. Only our own ABORT discards it (the user reads no more).
        if reason == CloseReason::Aborted {
            self.recv_buf.clear();
        }
        self.close_reason = Some(reason);
        self.rto_at = None;
        self.reo_at = None;
        self.tlp_at = None;
        self.delack_at = None;
        self.persist_at = None;
        self.keepalive_at = None;
        self.time_wait_at = None;
        self.ack_now = false;
        self.send_probe = false;
        self.send_tlp = 0;
        self.send_keepalive = false;
        self.events |= EV_CLOSED;
    }

    /// Enters TIME-WAIT and (re)starts its 2*MSL timer, stopping the others (RFC 9293
    /// §3.10.7.4 eighth step).
    fn enter_time_wait(&mut self, now: Instant) {
        self.set_state(State::TimeWait);
        self.time_wait_at = Some(now + self.config.msl.saturating_mul(2));
        self.rto_at = None;
        self.reo_at = None;
        self.tlp_at = None;
        self.persist_at = None;
        self.keepalive_at = None;
    }

    /// Our timestamp clock: milliseconds plus the connection's offset (RFC 7323 §5.4).
    fn ts_now(&self, now: Instant) -> u32 {
        (now.total_millis() as u32).wrapping_add(self.ts_offset)
    }

    /// The window we could offer now, before SWS avoidance and scaling.
    fn rcv_space(&self) -> usize {
        self.recv_buf.window()
    }

    /// RCV.WND as last advertised.
    fn rcv_wnd(&self) -> usize {
        if self.rcv_adv > self.rcv_nxt {
            self.rcv_adv - self.rcv_nxt
        } else {
            0
        }
    }

    /// Receiver SWS avoidance (RFC 9293 §3.8.6.2.2): after the application read,
    /// announce the larger window only once it grew by min(buffer/2, MSS).
    fn maybe_window_update(&mut self) {
        if !self.state.is_synchronized() || self.fin_received {
            return;
        }
        let new_edge = self.rcv_nxt + self.rcv_space_advertisable();
        if new_edge > self.rcv_adv {
            let grow = new_edge - self.rcv_adv;
            if grow >= self.rcv_sws_threshold() {
                self.ack_now = true;
            }
        }
    }

    /// The free receive space, capped at what the window field can express.
    fn rcv_space_advertisable(&self) -> usize {
        self.rcv_space().min(0xffff << self.rcv_wscale)
    }

    /// RFC 9293 §3.8.6.2.2: the right window edge moves only in steps of at least
    /// min(Fr * RCV.BUFF, Eff.snd.MSS), Fr = 1/2.
    fn rcv_sws_threshold(&self) -> usize {
        (self.recv_buf.capacity() / 2).min(self.eff_mss())
    }

    fn wake(&mut self, bits: u8) {
        self.events |= bits;
    }
}

/// The smallest window scale shift that lets a 16-bit field cover `capacity`
/// (RFC 7323 §2.3: at most 14). This is the shift we offer.
pub(crate) fn scale_for(capacity: usize) -> u8 {
    let mut shift = 0u8;
    while shift < 14 && (capacity >> shift) > 0xffff {
        shift += 1;
    }
    shift
}

/// The earlier of two optional deadlines (`None`: no deadline).
fn earlier(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}
