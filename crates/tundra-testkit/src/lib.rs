//! Test harnesses for Tundra. Dev only: nothing here ships in the stack.
//!
//! - [`script`]: TCP packet scripts in a packetdrill-like text format, run against one
//!   sans-IO [`tundra_tcp::Connection`] (or a whole [`tundra_tcp::Endpoint`]) with a
//!   virtual clock; failures print expected and actual segments side by side.
//! - [`netsim`]: two [`tundra_tcp::Endpoint`]s joined by a simulated link with latency,
//!   seeded loss, reordering and duplication, in virtual time.

#![forbid(unsafe_code)]

pub mod netsim;
pub mod script;
