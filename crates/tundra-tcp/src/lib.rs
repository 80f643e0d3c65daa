//! TCP for Tundra (RFC 9293), sans-IO.
//!
//! Heads up! Read these first: RFC 9293 (the protocol, §3.10 event processing), RFC 6298
//! (retransmission timer), RFC 5681 and RFC 6582 (congestion control, NewReno), RFC 7323
//! (window scaling, timestamps, PAWS), RFC 5961 (blind in-window attacks), RFC 6528
//! (initial sequence numbers), RFC 6928 (initial window), RFC 2018 (SACK), RFC 6675
//! (SACK-based loss recovery), RFC 8985 (RACK-TLP), RFC 6937 (PRR), RFC 5927 and RFC
//! 5461 (ICMP errors), RFC 1191 (Path MTU Discovery), RFC 4987 (SYN flooding).
//!
//! - [`seq`]: sequence numbers with wrapping comparison (RFC 9293 §3.4).
//! - [`repr`]: a parsed segment ([`TcpRepr`]) and its options.
//! - [`segment`]: the wire view [`TcpPacket`], [`TcpRepr::parse`] and [`TcpRepr::emit`].
//! - [`options`]: parsing and emitting the options area (RFC 9293 §3.2, RFC 7323, RFC 2018).
//! - [`connection`]: one connection, the RFC 9293 state machine ([`Connection`]).
//! - [`endpoint`]: the TCP layer of a stack: listeners with backlogs, active opens,
//!   demultiplexing, RSTs for closed ports ([`Endpoint`]), ICMP errors routed to their
//!   connection ([`Endpoint::icmp_error`]).
//! - [`syncookie`]: SYN cookies (RFC 4987 §3.6), which the endpoint answers SYNs
//!   with when a listener's SYN queue is full.
//! - [`icmp`]: ICMP errors in TCP terms: hard or soft (RFC 1122 §4.2.3.9, RFC 5461),
//!   Path MTU Discovery (RFC 1191), what a connection did ([`IcmpOutcome`]).
//! - [`config`], [`send_buffer`], [`reassembly`], [`rtt`], [`congestion`], [`isn`],
//!   [`sack`] (the scoreboard), [`rack`] (RACK-TLP): the parts a connection is built
//!   from.

#![forbid(unsafe_code)]

pub mod config;
pub mod congestion;
pub mod connection;
pub mod counters;
pub mod endpoint;
pub mod icmp;
pub mod isn;
pub mod options;
pub mod rack;
pub mod reassembly;
pub mod repr;
pub mod rtt;
pub mod sack;
mod schedule;
pub mod segment;
pub mod send_buffer;
pub mod seq;
pub mod syncookie;
pub mod undo;

pub use config::{EndpointConfig, Keepalive, TcpConfig};
pub use congestion::{CongestionControl, NewReno};
pub use connection::{
    CloseReason, ConnStats, Connection, Event, OpenParams, RecvError, SendError, State,
};
pub use counters::TcpCounters;
pub use endpoint::{
    ConnHandle, ConnectError, Endpoint, ListenConfig, ListenError, ListenerHandle, Outgoing,
    SocketInfo,
};
pub use icmp::{IcmpErrorKind, IcmpOutcome, MIN_PMTU_MSS};
pub use options::{OptionError, TcpOption};
pub use repr::{TcpFlags, TcpOptions, TcpRepr, TcpTimestamp};
pub use segment::{emit_segment, ChecksumFill, ChecksumMode, TcpPacket, WireError};
pub use seq::SeqNumber;
