//! The library half of the `tundra` binary: what `tundra run`, `tundra replay` and the
//! tests share.
//!
//! - [`session`]: the stack built from its command-line parameters, driven one turn at
//!   a time, optionally writing the timeline that makes a capture replayable;
//! - [`services`]: the demo services every session runs;
//! - [`replay`]: replaying a recorded capture on a fresh stack and comparing every
//!   outbound frame;
//! - [`diff`]: frames decoded field by field, for readable differences.

pub mod diff;
pub mod replay;
pub mod services;
pub mod session;
