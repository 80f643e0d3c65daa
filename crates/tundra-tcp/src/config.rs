//! Tunables of one connection ([`TcpConfig`]) and of the TCP layer ([`EndpointConfig`]).
//!
//! Every default is chosen and documented here, with the RFC or the implementation it
//! follows, so a reader can see at one place why Tundra behaves as it does.

use tundra_core::Duration;

/// Per-connection settings. The defaults suit a LAN/TUN peer such as the Linux kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpConfig {
    /// The MSS we announce and the largest segment we send before hearing the peer's:
    /// device MTU minus 40 (20 IPv4 + 20 TCP header bytes). Default 1460 (Ethernet MTU).
    pub mss: u16,
    /// Send buffer capacity in bytes (queued plus unacknowledged data). Default 256 KiB.
    pub send_buffer: usize,
    /// Receive buffer capacity in bytes; bounds the advertised window and the
    /// out-of-order data kept for reassembly. Default 256 KiB.
    pub recv_buffer: usize,
    /// Nagle's algorithm (RFC 9293 §3.7.4, RFC 896): hold back a small segment while
    /// data is unacknowledged. On by default; off is `TCP_NODELAY`.
    pub nagle: bool,
    /// Delayed ACK timeout (RFC 9293 §3.8.6.3 / RFC 5681 §4.2: "MUST be less than 0.5
    /// seconds"). `None` acknowledges every segment at once. Default 40 ms (Linux's
    /// minimum delayed-ACK time).
    pub delayed_ack: Option<Duration>,
    /// RTO before any RTT sample (RFC 6298 §2.1: 1 s).
    pub initial_rto: Duration,
    /// Lower bound on the RTO. RFC 6298 §2.4 says 1 s "SHOULD"; Tundra defaults to
    /// 200 ms like Linux, because its peers are a LAN or TUN away and a 1 s floor makes
    /// every loss cost a second. Set 1 s for the RFC's conservative value.
    pub min_rto: Duration,
    /// Upper bound on the RTO (RFC 6298 §2.5: "at least 60 seconds"). Default 60 s.
    pub max_rto: Duration,
    /// Retransmissions of one data segment before the connection gives up with
    /// [`crate::CloseReason::TimedOut`] (RFC 9293 §3.8.3 R2; Linux `tcp_retries2` = 15).
    pub max_retransmissions: u32,
    /// Retransmissions of a SYN or SYN-ACK before giving up (Linux `tcp_syn_retries` = 6).
    pub max_syn_retransmissions: u32,
    /// Maximum segment lifetime; TIME-WAIT lasts 2*MSL (RFC 9293 §3.4.2). RFC 9293
    /// suggests 2 minutes; Tundra defaults to 30 s (TIME-WAIT of 60 s, as Linux), since
    /// an ISN from a clock (RFC 6528) and PAWS (RFC 7323) guard reuse anyway.
    pub msl: Duration,
    /// Offer and accept window scaling (RFC 7323 §2). Default on.
    pub window_scaling: bool,
    /// Offer and accept timestamps (RFC 7323 §3). Default on.
    pub timestamps: bool,
    /// Offer and accept SACK (RFC 2018). Default on. With SACK, loss recovery uses the
    /// scoreboard (RFC 6675), RACK (RFC 8985) and PRR (RFC 6937); without it, NewReno
    /// (RFC 5681, RFC 6582).
    pub sack: bool,
    /// Send tail loss probes (RFC 8985 §7) on SACK connections, so the loss of the
    /// last segments of a flight is repaired by fast recovery rather than by the
    /// retransmission timeout. Default on.
    pub tail_loss_probe: bool,
    /// Keepalive (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6): off unless set.
    pub keepalive: Option<Keepalive>,
    /// RFC 5961 §7: at most this many challenge ACKs per connection per second.
    /// Default 10 (Linux's `tcp_challenge_ack_limit` is per host and larger; per
    /// connection keeps one attacked flow from silencing the others).
    pub challenge_ack_limit: u32,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            mss: 1460,
            send_buffer: 256 * 1024,
            recv_buffer: 256 * 1024,
            nagle: true,
            delayed_ack: Some(Duration::from_millis(40)),
            initial_rto: Duration::from_secs(1),
            min_rto: Duration::from_millis(200),
            max_rto: Duration::from_secs(60),
            max_retransmissions: 15,
            max_syn_retransmissions: 6,
            msl: Duration::from_secs(30),
            window_scaling: true,
            timestamps: true,
            sack: true,
            tail_loss_probe: true,
            keepalive: None,
            challenge_ack_limit: 10,
        }
    }
}

impl TcpConfig {
    /// The default configuration with the MSS derived from a device MTU (MTU - 40).
    pub fn for_mtu(mtu: usize) -> TcpConfig {
        TcpConfig {
            mss: mtu.saturating_sub(40).clamp(64, u16::MAX as usize) as u16,
            ..TcpConfig::default()
        }
    }
}

/// Keepalive timing (RFC 1122 §4.2.3.6: idle at least two hours by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    /// Idle time before the first probe. Linux default 7200 s.
    pub idle: Duration,
    /// Time between unanswered probes. Linux default 75 s.
    pub interval: Duration,
    /// Unanswered probes before the connection is declared dead. Linux default 9.
    pub count: u32,
}

impl Default for Keepalive {
    fn default() -> Self {
        Keepalive {
            idle: Duration::from_secs(7200),
            interval: Duration::from_secs(75),
            count: 9,
        }
    }
}

/// Settings of the TCP layer of one stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointConfig {
    /// The settings new connections start from (listeners may carry their own).
    pub connection: TcpConfig,
    /// Default bound on half-open (SYN-RECEIVED) connections per listener. Default 128.
    pub syn_backlog: usize,
    /// Default bound on established connections waiting for `accept`. Default 128.
    pub accept_backlog: usize,
    /// Bound on all connections (of every state) the endpoint keeps. Default 4096.
    pub max_connections: usize,
    /// Bound on queued RSTs to closed ports awaiting transmission; more are dropped
    /// and counted. Default 64.
    pub max_pending_resets: usize,
    /// Ephemeral port range for active opens (RFC 6335 §6: 49152..=65535).
    pub ephemeral_ports: (u16, u16),
    /// Answer SYNs with SYN cookies when a listener's SYN queue is full (RFC 4987
    /// §3.6; see [`crate::syncookie`]), as Linux's default `tcp_syncookies = 1`
    /// does. Off, such SYNs are dropped. Default on.
    pub syn_cookies: bool,
    /// Bound on cookie SYN-ACKs awaiting transmission (a flood may bring many SYNs
    /// between two polls); more are dropped and counted. Default 1024.
    pub max_pending_syn_acks: usize,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            connection: TcpConfig::default(),
            syn_backlog: 128,
            accept_backlog: 128,
            max_connections: 4096,
            max_pending_resets: 64,
            ephemeral_ports: (49152, 65535),
            syn_cookies: true,
            max_pending_syn_acks: 1024,
        }
    }
}
