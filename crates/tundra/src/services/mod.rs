//! The demo services `tundra run` offers on the stack's address, each an application
//! on top of our own sockets: what a newcomer pokes with `ping`, `nc`, `curl` and a
//! browser.
//!
//! Each service lives in its own file and is polled from [`Services::poll`] once per
//! loop turn, after the interface has handled every frame that arrived.

pub mod http;
pub mod site;
pub mod tcp;
pub mod udp;
pub mod ws;

use tundra_core::Instant;
use tundra_stack::Interface;

/// All demo services of one `tundra run`.
#[derive(Debug)]
pub struct Services {
    tcp: tcp::TcpServices,
    udp: udp::UdpServices,
    http: http::HttpService,
}

impl Services {
    /// Opens the services' sockets on `iface`.
    pub fn start(iface: &mut Interface) -> Services {
        Services {
            tcp: tcp::TcpServices::start(iface),
            udp: udp::UdpServices::start(iface),
            http: http::HttpService::start(iface, http::HttpConfig::default()),
        }
    }

    /// Lets every service read what arrived and write what it has to say. Returns true
    /// if any service did something (so the loop polls the interface again).
    pub fn poll(&mut self, now: Instant, iface: &mut Interface) -> bool {
        let mut worked = false;
        worked |= self.tcp.poll(now, iface);
        worked |= self.udp.poll(now, iface);
        worked |= self.http.poll(now, iface);
        worked
    }

    /// Sets the Unix time (microseconds) of the stack's `Instant::ZERO`, for the
    /// services that tell the time (UDP daytime and time); a replay passes the
    /// recorded one so they answer as they did.
    pub fn set_time_base(&mut self, unix_micros: u64) {
        self.udp.set_time_base(unix_micros);
    }

    /// Whether discard hashes what it reads (on by default; see
    /// [`tcp::TcpServices::set_discard_hash`]).
    pub fn set_discard_hash(&mut self, on: bool) {
        self.tcp.set_discard_hash(on);
    }

    /// The earliest time a service wants to be polled without new input.
    pub fn poll_at(&self) -> Option<Instant> {
        [self.http.poll_at(), self.tcp.poll_at()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Sets up the web server (docs directory, timeouts, wall clock) before clients
    /// arrive; [`Services::start`] uses [`http::HttpConfig::default`].
    pub fn configure_http(&mut self, config: http::HttpConfig) {
        self.http.configure(config);
    }
}
