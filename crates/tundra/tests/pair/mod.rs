//! Two of our own stacks joined in memory on a virtual clock: a server with one of the
//! demo services on it and a client, for deterministic conversations without root
//! (`http_driver.rs`, `tcp_services.rs`). The real-peer versions are the `e2e_*` files.

#![allow(dead_code)]

use tundra::services::http::HttpService;
use tundra::services::tcp::TcpServices;
use tundra_core::{Duration, Instant};
use tundra_stack::{Config, Interface, Medium};
use tundra_tcp::{ConnHandle, RecvError};

/// Rounds [`Pair::settle`] takes before it calls the pair stuck.
const SETTLE_ROUNDS: usize = 10_000;

/// A demo service as the pair drives it.
pub trait Service {
    /// Serves what is waiting; true if anything happened.
    fn poll(&mut self, now: Instant, iface: &mut Interface) -> bool;
    /// The service's next timer.
    fn poll_at(&self) -> Option<Instant>;
}

impl Service for HttpService {
    fn poll(&mut self, now: Instant, iface: &mut Interface) -> bool {
        HttpService::poll(self, now, iface)
    }
    fn poll_at(&self) -> Option<Instant> {
        HttpService::poll_at(self)
    }
}

impl Service for TcpServices {
    fn poll(&mut self, now: Instant, iface: &mut Interface) -> bool {
        TcpServices::poll(self, now, iface)
    }
    fn poll_at(&self) -> Option<Instant> {
        TcpServices::poll_at(self)
    }
}

/// The server (10.0.0.2, with `service`) and a client stack (10.0.0.1), and the clock.
pub struct Pair<S> {
    pub server: Interface,
    pub client: Interface,
    pub service: S,
    pub now: Instant,
}

impl<S: Service> Pair<S> {
    /// Both stacks at time zero, the service started on the server by `start`.
    pub fn new(start: impl FnOnce(&mut Interface) -> S) -> Pair<S> {
        let stack = |addr: &str, seed| {
            let mut c = Config::new(Medium::Ip, addr.parse().unwrap());
            c.seed = seed;
            Interface::new(c, 1500)
        };
        let mut server = stack("10.0.0.2/24", 1);
        let client = stack("10.0.0.1/24", 2);
        let service = start(&mut server);
        Pair {
            server,
            client,
            service,
            now: Instant::ZERO,
        }
    }

    /// Moves frames both ways and lets the service work until nothing moves.
    pub fn settle(&mut self) {
        for _ in 0..SETTLE_ROUNDS {
            let mut moved = false;
            self.server.poll(self.now);
            self.client.poll(self.now);
            while let Some(frame) = self.server.dequeue() {
                self.client.receive(self.now, &frame);
                moved = true;
            }
            while let Some(frame) = self.client.dequeue() {
                self.server.receive(self.now, &frame);
                moved = true;
            }
            moved |= self.service.poll(self.now, &mut self.server);
            if !moved {
                return;
            }
        }
        panic!("the pair never settled");
    }

    /// The earliest timer of either stack or the service after now.
    fn next_timer(&self) -> Option<Instant> {
        [
            self.server.poll_at(),
            self.client.poll_at(),
            self.service.poll_at(),
        ]
        .into_iter()
        .flatten()
        .filter(|&t| t > self.now)
        .min()
    }

    /// Settles, then jumps the clock to the next timer of either stack or the service
    /// (at most `limit` later).
    pub fn advance(&mut self, limit: Duration) {
        self.settle();
        let next = self.next_timer().unwrap_or(self.now + limit);
        self.now = next.min(self.now + limit);
        self.settle();
    }

    /// Moves the clock on by `by`, stopping at every timer on the way.
    pub fn wait(&mut self, by: Duration) {
        let end = self.now + by;
        loop {
            self.settle();
            match self.next_timer().filter(|&t| t <= end) {
                Some(t) => self.now = t,
                None => break,
            }
        }
        self.now = end;
        self.settle();
    }

    /// Reads everything the client connection has: (bytes, end of stream seen).
    pub fn read_all(&mut self, h: ConnHandle) -> (Vec<u8>, bool) {
        let mut got = Vec::new();
        let mut buf = vec![0; 65536];
        let conn = self.client.tcp().connection_mut(h).unwrap();
        loop {
            match conn.recv(&mut buf) {
                Ok(0) => return (got, true),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(RecvError::WouldBlock) => return (got, false),
                Err(e) => panic!("recv: {e}"),
            }
        }
    }
}
