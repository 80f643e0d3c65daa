//! The operating-system side of Tundra, and the only library crate that touches it:
//!
//! - [`TunDevice`]: a Linux TUN (`IFF_TUN|IFF_NO_PI`, raw IP) or TAP (`IFF_TAP`,
//!   Ethernet) device opened with the `TUNSETIFF` ioctl, non-blocking; on a TUN
//!   device, consecutive TCP segments go out as one offloaded write (`offload`);
//! - [`PcapTap`]: a [`Device`](tundra_stack::Device) wrapper that records every frame
//!   in and out to a pcap file with the right link type (raw IP for TUN, Ethernet for
//!   TAP);
//! - [`driver`]: the one poll loop, which sleeps exactly until the next frame, the
//!   stack's next deadline or a signal, then lets the stack drain the device.
//!
//! Everything else in Tundra is sans-IO and runs unchanged over an in-memory link or a
//! replayed capture.

pub mod clock;
pub mod driver;
mod error;
mod offload;
pub mod pcap;
pub mod tun;

pub use clock::Clock;
pub use driver::{Driver, DumpRequests, Next, Stop};
pub use error::TunError;
pub use pcap::PcapTap;
pub use tun::TunDevice;
