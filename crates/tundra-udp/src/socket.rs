//! UDP sockets, sans-IO: the table of bound ports with their bounded receive queues,
//! the demultiplexing of arriving datagrams, and ICMP errors delivered to the socket
//! they concern.
//!
//! The table does no I/O and knows nothing of IP: the stack (`tundra-stack`) parses a
//! datagram, asks [`UdpSockets::demux`] which socket takes it, and hands it over with
//! [`UdpSockets::deliver`]; sending is the stack's job too, since it needs the IP layer.
//!
//! What a socket is, as in Berkeley sockets on Linux:
//! - **bound** to a local port (zero asks for an ephemeral one, RFC 6056 §3.3.1
//!   Algorithm 1, drawn from the stack's seeded RNG), one socket per port;
//! - optionally **connected** to one remote address and port: then it receives only
//!   from that remote, and ICMP errors must quote exactly that 4-tuple;
//! - with a **bounded** receive queue (datagrams and bytes): when it is full, new
//!   datagrams are dropped and counted, never queued without limit (Linux counts
//!   them as `RcvbufErrors`).
//!
//! ICMP errors (RFC 1122 §4.1.3.3: "UDP MUST pass to the application layer all ICMP
//! error messages that it receives from the IP layer") are kept as one pending error
//! per socket, like Linux's `sk_err`: the next [`UdpSockets::recv_from`] returns it once,
//! before any queued data. RFC 5927 §4 asks for checks against forged errors; UDP has
//! no sequence numbers, so the check is that the quoted datagram's source port is a
//! bound socket and, for a connected socket, that the quoted destination is its remote
//! ([`UdpSockets::deliver_error`]).

use std::collections::{BTreeMap, VecDeque};

use core::fmt;
use core::net::{Ipv4Addr, SocketAddrV4};
use core::ops::RangeInclusive;

use tundra_core::{Instant, Rng};

/// Limits and the ephemeral port range of a [`UdpSockets`] table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpConfig {
    /// The most sockets open at once.
    pub max_sockets: usize,
    /// The most datagrams waiting in one socket's receive queue.
    pub rx_queue_datagrams: usize,
    /// The most data bytes waiting in one socket's receive queue.
    pub rx_queue_bytes: usize,
    /// Where ephemeral ports come from (RFC 6335 §6: the Dynamic Ports 49152-65535).
    pub ephemeral_ports: RangeInclusive<u16>,
}

impl Default for UdpConfig {
    /// 256 sockets, 64 datagrams and 256 KiB per receive queue, ports 49152-65535.
    fn default() -> Self {
        UdpConfig {
            max_sockets: 256,
            rx_queue_datagrams: 64,
            rx_queue_bytes: 256 * 1024,
            ephemeral_ports: 49152..=65535,
        }
    }
}

/// Names one socket of a [`UdpSockets`] table. A handle of a closed socket never
/// names a newer one (the slot's generation changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UdpHandle {
    index: u32,
    generation: u32,
}

impl fmt::Display for UdpHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "udp#{}.{}", self.index, self.generation)
    }
}

/// A datagram waiting in a socket's receive queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// Who sent it.
    pub from: SocketAddrV4,
    /// The address and port it was sent to (ours, or a broadcast address).
    pub to: SocketAddrV4,
    /// The data.
    pub data: Vec<u8>,
    /// When it arrived.
    pub at: Instant,
}

/// What an ICMP error said about a datagram a socket sent (the classification shared
/// with TCP; the errno Linux would give is in each variant's doc).
pub use tundra_ip::IcmpErrorKind;

/// An ICMP error about a datagram a socket sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IcmpError {
    /// What went wrong.
    pub kind: IcmpErrorKind,
    /// Who said so: the destination itself or a router on the way.
    pub reporter: Ipv4Addr,
    /// Where the datagram was going (the quoted destination address and port).
    pub remote: SocketAddrV4,
    /// When the error arrived.
    pub at: Instant,
}

impl fmt::Display for IcmpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} to {} (from {})",
            self.kind, self.remote, self.reporter
        )
    }
}

/// Why [`UdpSockets::bind`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BindError {
    /// Another socket is bound to that port (`EADDRINUSE`).
    #[error("address already in use")]
    AddrInUse,
    /// Every ephemeral port is taken (`EAGAIN` on Linux).
    #[error("no free ephemeral port")]
    NoFreePort,
    /// The table holds [`UdpConfig::max_sockets`] sockets already.
    #[error("too many UDP sockets")]
    TooManySockets,
}

/// Why [`UdpSockets::connect`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The handle names no open socket.
    #[error("invalid socket handle")]
    InvalidHandle,
    /// The remote is the unspecified address or port zero.
    #[error("invalid remote address")]
    BadAddress,
}

/// Why [`UdpSockets::recv_from`] returned no datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecvError {
    /// The handle names no open socket.
    #[error("invalid socket handle")]
    InvalidHandle,
    /// Nothing is waiting (`EAGAIN`).
    #[error("no datagram waiting")]
    Exhausted,
    /// An ICMP error arrived for this socket since the last call; reported once.
    #[error("{0}")]
    Icmp(IcmpError),
}

/// Why [`UdpSockets::deliver`] did not queue a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeliverError {
    /// The handle names no open socket.
    #[error("invalid socket handle")]
    InvalidHandle,
    /// The receive queue is at its datagram or byte limit.
    #[error("receive queue full")]
    QueueFull,
}

/// What a socket has seen, for `ss -u`-like listings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UdpSocketStats {
    /// Datagrams queued for the application.
    pub rx_datagrams: u64,
    /// Datagrams dropped because the queue was full.
    pub rx_dropped: u64,
    /// Datagrams the application sent.
    pub tx_datagrams: u64,
    /// ICMP errors delivered.
    pub icmp_errors: u64,
}

/// One bound UDP socket: its port, its optional remote, its receive queue.
#[derive(Debug, Clone)]
pub struct UdpSocket {
    local_port: u16,
    remote: Option<SocketAddrV4>,
    rx: VecDeque<Datagram>,
    rx_bytes: usize,
    error: Option<IcmpError>,
    stats: UdpSocketStats,
}

impl UdpSocket {
    fn new(local_port: u16) -> UdpSocket {
        UdpSocket {
            local_port,
            remote: None,
            rx: VecDeque::new(),
            rx_bytes: 0,
            error: None,
            stats: UdpSocketStats::default(),
        }
    }

    /// The local port.
    pub fn local_port(&self) -> u16 {
        self.local_port
    }

    /// The remote this socket is connected to, if any.
    pub fn remote(&self) -> Option<SocketAddrV4> {
        self.remote
    }

    /// Datagrams waiting in the receive queue.
    pub fn rx_queue_len(&self) -> usize {
        self.rx.len()
    }

    /// Data bytes waiting in the receive queue.
    pub fn rx_queue_bytes(&self) -> usize {
        self.rx_bytes
    }

    /// Whether a datagram or an error is waiting (the socket is "readable").
    pub fn can_recv(&self) -> bool {
        !self.rx.is_empty() || self.error.is_some()
    }

    /// The ICMP error waiting to be reported, if any.
    pub fn pending_error(&self) -> Option<&IcmpError> {
        self.error.as_ref()
    }

    /// What this socket has seen.
    pub fn stats(&self) -> UdpSocketStats {
        self.stats
    }

    /// Whether a datagram from `from` is for this socket: any sender, or only the
    /// connected remote.
    fn accepts_from(&self, from: SocketAddrV4) -> bool {
        self.remote.is_none_or(|remote| remote == from)
    }
}

#[derive(Debug, Clone)]
struct Slot {
    generation: u32,
    socket: Option<UdpSocket>,
}

/// The UDP sockets of one stack: bound ports, receive queues, pending errors.
#[derive(Debug, Clone)]
pub struct UdpSockets {
    config: UdpConfig,
    slots: Vec<Slot>,
    free: Vec<u32>,
    ports: BTreeMap<u16, u32>,
}

impl UdpSockets {
    /// An empty table.
    pub fn new(config: UdpConfig) -> UdpSockets {
        UdpSockets {
            config,
            slots: Vec::new(),
            free: Vec::new(),
            ports: BTreeMap::new(),
        }
    }

    /// The table's limits.
    pub fn config(&self) -> &UdpConfig {
        &self.config
    }

    /// How many sockets are open.
    pub fn len(&self) -> usize {
        self.ports.len()
    }

    /// Whether no socket is open.
    pub fn is_empty(&self) -> bool {
        self.ports.is_empty()
    }

    /// Opens a socket bound to `port`, or to an ephemeral port if `port` is zero (RFC
    /// 6056 §3.3.1, Algorithm 1: a random start in the range, then the next free one).
    pub fn bind(&mut self, port: u16, rng: &mut Rng) -> Result<UdpHandle, BindError> {
        if self.ports.len() >= self.config.max_sockets {
            return Err(BindError::TooManySockets);
        }
        let port = if port == 0 {
            self.ephemeral_port(rng)?
        } else if self.ports.contains_key(&port) {
            return Err(BindError::AddrInUse);
        } else {
            port
        };
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    socket: None,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let slot = &mut self.slots[index as usize];
        slot.socket = Some(UdpSocket::new(port));
        self.ports.insert(port, index);
        Ok(UdpHandle {
            index,
            generation: slot.generation,
        })
    }

    fn ephemeral_port(&self, rng: &mut Rng) -> Result<u16, BindError> {
        let (lo, hi) = (
            *self.config.ephemeral_ports.start(),
            *self.config.ephemeral_ports.end(),
        );
        if hi < lo {
            return Err(BindError::NoFreePort);
        }
        let count = u32::from(hi - lo) + 1;
        let start = rng.gen_range(0, count);
        (0..count)
            .map(|i| lo + ((start + i) % count) as u16)
            .find(|p| *p != 0 && !self.ports.contains_key(p))
            .ok_or(BindError::NoFreePort)
    }

    /// Closes a socket: its port is free again and whatever waited in its queue is
    /// dropped. Returns false if the handle named no open socket.
    pub fn close(&mut self, handle: UdpHandle) -> bool {
        let Some(slot) = self.slot_mut(handle) else {
            return false;
        };
        let Some(socket) = slot.socket.take() else {
            return false;
        };
        slot.generation = slot.generation.wrapping_add(1);
        self.ports.remove(&socket.local_port);
        self.free.push(handle.index);
        true
    }

    /// Connects a socket to `remote`: from now on it receives only from there, and its
    /// ICMP errors must quote that destination. Connecting again replaces the remote.
    pub fn connect(&mut self, handle: UdpHandle, remote: SocketAddrV4) -> Result<(), ConnectError> {
        if remote.port() == 0 || remote.ip().is_unspecified() {
            return Err(ConnectError::BadAddress);
        }
        let socket = self.get_mut(handle).ok_or(ConnectError::InvalidHandle)?;
        socket.remote = Some(remote);
        Ok(())
    }

    /// The socket a handle names, if it is open.
    pub fn get(&self, handle: UdpHandle) -> Option<&UdpSocket> {
        let slot = self.slots.get(handle.index as usize)?;
        if slot.generation != handle.generation {
            return None;
        }
        slot.socket.as_ref()
    }

    fn get_mut(&mut self, handle: UdpHandle) -> Option<&mut UdpSocket> {
        self.slot_mut(handle)?.socket.as_mut()
    }

    fn slot_mut(&mut self, handle: UdpHandle) -> Option<&mut Slot> {
        let slot = self.slots.get_mut(handle.index as usize)?;
        (slot.generation == handle.generation).then_some(slot)
    }

    /// Every open socket, by port.
    pub fn iter(&self) -> impl Iterator<Item = (UdpHandle, &UdpSocket)> {
        self.ports.values().filter_map(|&index| {
            let slot = &self.slots[index as usize];
            let socket = slot.socket.as_ref()?;
            let handle = UdpHandle {
                index,
                generation: slot.generation,
            };
            Some((handle, socket))
        })
    }

    /// Which socket takes a datagram for local port `port` from `from`: the socket
    /// bound there, if it is unconnected or connected to `from`.
    pub fn demux(&self, port: u16, from: SocketAddrV4) -> Option<UdpHandle> {
        let &index = self.ports.get(&port)?;
        let slot = &self.slots[index as usize];
        let socket = slot.socket.as_ref()?;
        socket.accepts_from(from).then_some(UdpHandle {
            index,
            generation: slot.generation,
        })
    }

    /// Queues a datagram on a socket, unless its queue is full (then the datagram is
    /// dropped: the caller counts it).
    pub fn deliver(&mut self, handle: UdpHandle, datagram: Datagram) -> Result<(), DeliverError> {
        let (max_datagrams, max_bytes) =
            (self.config.rx_queue_datagrams, self.config.rx_queue_bytes);
        let socket = self.get_mut(handle).ok_or(DeliverError::InvalidHandle)?;
        if socket.rx.len() >= max_datagrams || socket.rx_bytes + datagram.data.len() > max_bytes {
            socket.stats.rx_dropped += 1;
            return Err(DeliverError::QueueFull);
        }
        socket.rx_bytes += datagram.data.len();
        socket.stats.rx_datagrams += 1;
        socket.rx.push_back(datagram);
        Ok(())
    }

    /// Hands an ICMP error about a datagram we sent from `local_port` to the socket it
    /// concerns, and returns that socket; `None` if no socket matches.
    ///
    /// RFC 5927 §4 (checks against blind attacks), for UDP: the quoted source port must
    /// be a bound socket's, and if that socket is connected the quoted destination must
    /// be its remote, address and port. A newer error replaces an unread one.
    pub fn deliver_error(&mut self, local_port: u16, error: IcmpError) -> Option<UdpHandle> {
        let handle = self.demux(local_port, error.remote)?;
        let socket = self.get_mut(handle)?;
        socket.stats.icmp_errors += 1;
        socket.error = Some(error);
        Some(handle)
    }

    /// The next thing a socket has to say: a pending ICMP error first (once, like
    /// Linux's `sock_error`), then the oldest queued datagram.
    pub fn recv_from(&mut self, handle: UdpHandle) -> Result<Datagram, RecvError> {
        let socket = self.get_mut(handle).ok_or(RecvError::InvalidHandle)?;
        if let Some(error) = socket.error.take() {
            return Err(RecvError::Icmp(error));
        }
        let datagram = socket.rx.pop_front().ok_or(RecvError::Exhausted)?;
        socket.rx_bytes -= datagram.data.len();
        Ok(datagram)
    }

    /// Records that a socket sent a datagram (for its stats). Returns false if the
    /// handle named no open socket.
    pub fn note_sent(&mut self, handle: UdpHandle) -> bool {
        match self.get_mut(handle) {
            Some(socket) => {
                socket.stats.tx_datagrams += 1;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STACK: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
    const KERNEL: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);

    fn peer(port: u16) -> SocketAddrV4 {
        SocketAddrV4::new(KERNEL, port)
    }

    fn datagram(from: SocketAddrV4, port: u16, data: &[u8]) -> Datagram {
        Datagram {
            from,
            to: SocketAddrV4::new(STACK, port),
            data: data.to_vec(),
            at: Instant::ZERO,
        }
    }

    fn refused(remote: SocketAddrV4) -> IcmpError {
        IcmpError {
            kind: IcmpErrorKind::PortUnreachable,
            reporter: *remote.ip(),
            remote,
            at: Instant::from_millis(5),
        }
    }

    #[test]
    fn a_bound_socket_receives_in_order_then_is_exhausted() {
        let mut t = UdpSockets::new(UdpConfig::default());
        let mut rng = Rng::from_seed(1);
        let h = t.bind(7, &mut rng).unwrap();
        let to = t.demux(7, peer(40000)).unwrap();
        assert_eq!(to, h);
        t.deliver(h, datagram(peer(40000), 7, b"one")).unwrap();
        t.deliver(h, datagram(peer(40001), 7, b"two")).unwrap();
        assert_eq!(t.recv_from(h).unwrap().data, b"one");
        let second = t.recv_from(h).unwrap();
        assert_eq!((second.from, second.data), (peer(40001), b"two".to_vec()));
        assert_eq!(t.recv_from(h), Err(RecvError::Exhausted));
        assert_eq!(t.get(h).unwrap().stats().rx_datagrams, 2);
    }

    #[test]
    fn nobody_bound_means_no_socket() {
        let t = UdpSockets::new(UdpConfig::default());
        assert_eq!(t.demux(9, peer(1)), None);
    }

    #[test]
    fn one_socket_per_port() {
        let mut t = UdpSockets::new(UdpConfig::default());
        let mut rng = Rng::from_seed(1);
        t.bind(7, &mut rng).unwrap();
        assert_eq!(t.bind(7, &mut rng), Err(BindError::AddrInUse));
    }

    #[test]
    fn closing_frees_the_port_and_stales_the_handle() {
        let mut t = UdpSockets::new(UdpConfig::default());
        let mut rng = Rng::from_seed(1);
        let old = t.bind(7, &mut rng).unwrap();
        t.deliver(old, datagram(peer(1), 7, b"lost")).unwrap();
        assert!(t.close(old));
        assert!(!t.close(old), "closing twice is a no-op");
        let new = t.bind(7, &mut rng).unwrap();
        assert_ne!(old, new, "the slot is reused with a new generation");
        assert!(t.get(old).is_none());
        assert_eq!(t.recv_from(old), Err(RecvError::InvalidHandle));
        assert_eq!(t.recv_from(new), Err(RecvError::Exhausted), "queue dropped");
    }

    #[test]
    fn ephemeral_ports_come_from_the_dynamic_range_and_are_distinct() {
        let config = UdpConfig {
            ephemeral_ports: 60000..=60009,
            ..UdpConfig::default()
        };
        let mut t = UdpSockets::new(config);
        let mut rng = Rng::from_seed(42);
        let mut ports: Vec<u16> = (0..10)
            .map(|_| {
                let h = t.bind(0, &mut rng).unwrap();
                t.get(h).unwrap().local_port()
            })
            .collect();
        ports.sort_unstable();
        assert_eq!(ports, (60000..=60009).collect::<Vec<_>>());
        assert_eq!(t.bind(0, &mut rng), Err(BindError::NoFreePort));
        // An explicit port outside the range still works.
        assert!(t.bind(7, &mut rng).is_ok());
    }

    #[test]
    fn same_seed_same_ephemeral_port() {
        let port = |seed| {
            let mut t = UdpSockets::new(UdpConfig::default());
            let h = t.bind(0, &mut Rng::from_seed(seed)).unwrap();
            t.get(h).unwrap().local_port()
        };
        assert_eq!(port(3), port(3));
        assert!((49152..=65535).contains(&port(3)));
    }

    #[test]
    fn the_socket_count_is_bounded() {
        let config = UdpConfig {
            max_sockets: 2,
            ..UdpConfig::default()
        };
        let mut t = UdpSockets::new(config);
        let mut rng = Rng::from_seed(1);
        t.bind(1, &mut rng).unwrap();
        let h = t.bind(2, &mut rng).unwrap();
        assert_eq!(t.bind(3, &mut rng), Err(BindError::TooManySockets));
        t.close(h);
        assert!(t.bind(3, &mut rng).is_ok());
    }

    #[test]
    fn a_full_queue_drops_new_datagrams_by_count_and_by_bytes() {
        let config = UdpConfig {
            rx_queue_datagrams: 2,
            rx_queue_bytes: 10,
            ..UdpConfig::default()
        };
        let mut t = UdpSockets::new(config);
        let h = t.bind(7, &mut Rng::from_seed(1)).unwrap();
        t.deliver(h, datagram(peer(1), 7, b"12345678")).unwrap();
        assert_eq!(
            t.deliver(h, datagram(peer(1), 7, b"abc")),
            Err(DeliverError::QueueFull),
            "8 + 3 bytes is over 10"
        );
        t.deliver(h, datagram(peer(1), 7, b"ab")).unwrap();
        assert_eq!(
            t.deliver(h, datagram(peer(1), 7, b"")),
            Err(DeliverError::QueueFull),
            "two datagrams is the limit"
        );
        assert_eq!(t.get(h).unwrap().stats().rx_dropped, 2);
        // Reading makes room again.
        t.recv_from(h).unwrap();
        assert_eq!(t.get(h).unwrap().rx_queue_bytes(), 2);
        t.deliver(h, datagram(peer(1), 7, b"abc")).unwrap();
    }

    #[test]
    fn a_connected_socket_hears_only_its_remote() {
        let mut t = UdpSockets::new(UdpConfig::default());
        let h = t.bind(5000, &mut Rng::from_seed(1)).unwrap();
        t.connect(h, peer(53)).unwrap();
        assert_eq!(t.demux(5000, peer(53)), Some(h));
        assert_eq!(t.demux(5000, peer(54)), None);
        assert_eq!(t.demux(5000, SocketAddrV4::new(STACK, 53)), None);
        assert_eq!(
            t.connect(h, SocketAddrV4::new(KERNEL, 0)),
            Err(ConnectError::BadAddress)
        );
    }

    #[test]
    fn an_icmp_error_is_reported_once_and_before_data() {
        let mut t = UdpSockets::new(UdpConfig::default());
        let h = t.bind(5000, &mut Rng::from_seed(1)).unwrap();
        t.deliver(h, datagram(peer(9), 5000, b"earlier")).unwrap();
        assert_eq!(t.deliver_error(5000, refused(peer(9))), Some(h));
        assert!(t.get(h).unwrap().can_recv());
        assert_eq!(t.recv_from(h), Err(RecvError::Icmp(refused(peer(9)))));
        assert_eq!(t.recv_from(h).unwrap().data, b"earlier");
        assert_eq!(t.recv_from(h), Err(RecvError::Exhausted));
    }

    /// RFC 5927 §4: an error whose quoted 4-tuple matches no socket is not delivered;
    /// a connected socket takes only errors about its own remote.
    #[test]
    fn rfc5927_errors_must_quote_a_matching_four_tuple() {
        let mut t = UdpSockets::new(UdpConfig::default());
        let mut rng = Rng::from_seed(1);
        let connected = t.bind(5000, &mut rng).unwrap();
        t.connect(connected, peer(53)).unwrap();
        assert_eq!(
            t.deliver_error(5001, refused(peer(53))),
            None,
            "no such port"
        );
        assert_eq!(
            t.deliver_error(5000, refused(peer(54))),
            None,
            "another remote port"
        );
        assert_eq!(
            t.deliver_error(
                5000,
                refused(SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 9), 53))
            ),
            None,
            "another remote address"
        );
        assert!(t.get(connected).unwrap().pending_error().is_none());
        assert_eq!(t.deliver_error(5000, refused(peer(53))), Some(connected));
    }

    #[test]
    fn an_icmp_error_reads_like_strerror() {
        assert_eq!(
            refused(peer(9)).to_string(),
            "connection refused (port unreachable) to 10.0.0.1:9 (from 10.0.0.1)"
        );
    }
}
