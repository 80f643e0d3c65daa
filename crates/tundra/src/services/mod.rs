//! The demo services `tundra run` offers on the stack's address, each an application
//! on top of our own sockets: what a newcomer pokes with `ping`, `nc`, `curl` and a
//! browser.
//!
//! Each service lives in its own file and is polled from [`Services::poll`] once per
//! loop turn, after the interface has handled every frame that arrived.

use tundra_core::Instant;
use tundra_stack::Interface;

/// All demo services of one `tundra run`.
#[derive(Debug, Default)]
pub struct Services {}

impl Services {
    /// Opens the services' sockets on `iface`.
    pub fn start(_iface: &mut Interface) -> Services {
        Services {}
    }

    /// Lets every service read what arrived and write what it has to say. Returns true
    /// if any service did something (so the loop polls the interface again).
    pub fn poll(&mut self, _now: Instant, _iface: &mut Interface) -> bool {
        false
    }

    /// The earliest time a service wants to be polled without new input.
    pub fn poll_at(&self) -> Option<Instant> {
        None
    }
}
