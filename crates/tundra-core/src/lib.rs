//! The two things every Tundra protocol crate needs from the outside world and may not
//! take from it directly: **time** and **randomness**.
//!
//! Tundra's protocol crates are sans-IO (see `docs/architecture.md`): they never read a
//! clock, sleep, or draw from a global random number generator. Instead the driver
//! passes `now: Instant` into every call and the stack owns one seeded [`Rng`], so a
//! test, a simulation or a pcap replay is bit-for-bit repeatable.

#![forbid(unsafe_code)]

pub mod rng;
pub mod time;

pub use rng::Rng;
pub use time::{Duration, Instant};
