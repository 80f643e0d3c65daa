//! TCP for Tundra (RFC 9293), sans-IO.
//!
//! Heads up! Read these first: RFC 9293 (the protocol, §3.10 event processing), RFC 6298
//! (retransmission timer), RFC 5681 and RFC 6582 (congestion control, NewReno), RFC 7323
//! (window scaling, timestamps, PAWS), RFC 5961 (blind in-window attacks), RFC 6528
//! (initial sequence numbers), RFC 6928 (initial window), RFC 2018 (SACK).
//!
//! - [`seq`]: sequence numbers with wrapping comparison (RFC 9293 §3.4).
//! - [`repr`]: a parsed segment ([`TcpRepr`]) and its options.
//! - [`segment`]: the wire view [`TcpPacket`], [`TcpRepr::parse`] and [`TcpRepr::emit`].
//! - [`options`]: parsing and emitting the options area (RFC 9293 §3.2, RFC 7323, RFC 2018).

#![forbid(unsafe_code)]

pub mod options;
pub mod repr;
pub mod segment;
pub mod seq;

pub use options::{OptionError, TcpOption};
pub use repr::{TcpFlags, TcpOptions, TcpRepr, TcpTimestamp};
pub use segment::{emit_segment, ChecksumMode, TcpPacket, WireError};
pub use seq::SeqNumber;
