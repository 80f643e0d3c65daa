//! Test harnesses for Tundra. Dev only: nothing here ships in the stack.
//!
//! - [`script`]: TCP packet scripts in a packetdrill-like text format, run against one
//!   sans-IO [`tundra_tcp::Connection`] (or a whole [`tundra_tcp::Endpoint`]) with a
//!   virtual clock; failures print expected and actual segments side by side.
//! - [`listener_script`]: the same scripts against a whole [`tundra_tcp::Endpoint`]
//!   with one listener (SYN and accept queues, SYN cookies).
//! - [`netsim`]: two [`tundra_tcp::Endpoint`]s joined by a simulated link with latency,
//!   seeded loss, reordering and duplication, in virtual time.
//! - [`iplink`]: Tundra's whole stack ([`tundra_stack::Interface`]) and smoltcp's,
//!   joined by a simulated IP link with per-direction latency, rate, loss,
//!   duplication, reordering and corruption, in virtual time (the interop matrix).

#![forbid(unsafe_code)]

pub mod iplink;
pub mod listener_script;
pub mod netsim;
pub mod script;
