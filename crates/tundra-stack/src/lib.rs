//! The Tundra interface: one IPv4 address on one device, dispatching frames in and out
//! through the link, IP and transport layers.
//!
//! The interface is sans-IO like every protocol crate: it takes `(now, frame)` and a
//! seeded RNG, and produces frames in a transmit queue and a next deadline
//! (`poll_at`). The [`Device`] trait lets a driver (the TUN loop in `tundra-tun`, an
//! in-memory link in tests, a pcap replay) move frames without the stack knowing
//! which.

#![forbid(unsafe_code)]

mod config;
mod counters;
pub mod device;
mod interface;
mod ratelimit;

pub use config::Config;
pub use counters::Counters;
pub use device::{Device, Medium, RxChecksum};
pub use interface::{EchoReply, Interface, SendError, UdpSendError, RX_BUDGET};
pub use ratelimit::{RateLimit, TokenBucket};
