//! The TCP layer of one stack: listeners with a real backlog, active opens with
//! ephemeral ports, demultiplexing by 4-tuple, RSTs for closed ports, TIME-WAIT
//! bookkeeping and the counters. Sans-IO like everything in this crate.
//!
//! Driving it: hand every IPv4 payload with protocol 6 to [`Endpoint::receive`]; after
//! that, after any user call, and whenever [`Endpoint::poll_at`] is due, call
//! [`Endpoint::poll_transmit`], which fires due timers and emits every segment that is
//! ready (full TCP segments with checksums; the caller wraps them in IPv4). A poll
//! looks only at connections with news (a segment, a user call through
//! [`Endpoint::connection_mut`], a new connection) or a due timer
//! ([`crate::schedule`]): many idle connections cost nothing per poll.
//!
//! A listener keeps two bounded queues (as Linux does): the SYN queue of half-open
//! connections in SYN-RECEIVED and the accept queue of established ones waiting for
//! [`Endpoint::accept`]. A SYN that finds the SYN queue full is answered with a SYN
//! cookie and no state (RFC 4987 §3.6, [`crate::syncookie`]; or, with
//! [`EndpointConfig::syn_cookies`] off, dropped and counted: the peer retransmits it);
//! while a listener has overflowed within the last two cookie periods, an ACK that
//! returns a valid cookie creates its connection in ESTABLISHED, straight into the
//! accept queue. A SYN that finds the accept queue full is dropped. Connections are removed once CLOSED and released by their user
//! ([`Connection::close`] / [`Connection::abort`]) or, for connections never accepted,
//! as soon as they close.
//!
//! Room for ICMP: the demultiplexing table maps a 4-tuple to its connection, so an ICMP
//! error quoting a TCP header (RFC 5927) can later be routed to the connection here.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::BuildHasher;

use core::fmt;
use core::net::{Ipv4Addr, SocketAddrV4};

use tundra_core::{Instant, Rng};

use crate::config::{EndpointConfig, TcpConfig};
use crate::connection::{CloseReason, ConnStats, Connection, Event, OpenParams, State};
use crate::counters::TcpCounters;
use crate::icmp::{IcmpErrorKind, IcmpOutcome};
use crate::isn::IsnGenerator;
use crate::schedule::{Schedule, Timer};
use crate::segment::{ChecksumFill, ChecksumMode, TcpPacket, WireError};
use crate::syncookie::{self, CookieOptions, SynCookies, COOKIE_PERIOD, MAX_COOKIE_AGE};
use crate::{SeqNumber, TcpFlags, TcpOptions, TcpRepr, TcpTimestamp};

/// Mixed into the endpoint's seed for the SYN cookie key: a stream of its own, so
/// drawing the key leaves the main stream (ISN key, ephemeral ports) as it was.
const COOKIE_SEED_DOMAIN: u64 = 0x5359_4e43_4f4f_4b49; // "SYNCOOKI"

/// Mixed into the endpoint's seed for the demultiplexing table's hash key (its own
/// stream, like the cookie key's).
const DEMUX_SEED_DOMAIN: u64 = 0x4445_4d55_584b_4559; // "DEMUXKEY"

type Reply = (Ipv4Addr, Ipv4Addr, TcpRepr<'static>);

/// The demultiplexing table's hasher: SipHash-1-3 under a key drawn from the
/// endpoint's seed, so a peer cannot choose 4-tuples that collide (hash flooding) and
/// the table stays deterministic for replay (std's `RandomState` asks the OS).
#[derive(Debug, Clone, Copy)]
struct DemuxHasher {
    k0: u64,
    k1: u64,
}

impl BuildHasher for DemuxHasher {
    type Hasher = siphasher::sip::SipHasher13;

    fn build_hasher(&self) -> Self::Hasher {
        siphasher::sip::SipHasher13::new_with_keys(self.k0, self.k1)
    }
}

/// Names one connection of an [`Endpoint`]. Stale handles (of removed connections)
/// never alias a newer connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnHandle {
    index: u32,
    generation: u32,
}

impl fmt::Display for ConnHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}.{}", self.index, self.generation)
    }
}

/// Names one listener of an [`Endpoint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ListenerHandle {
    index: u32,
    generation: u32,
}

/// Settings of one listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenConfig {
    /// The configuration of every connection it accepts.
    pub connection: TcpConfig,
    /// Bound on half-open connections (SYN queue).
    pub syn_backlog: usize,
    /// Bound on established connections not yet accepted (accept queue).
    pub accept_backlog: usize,
}

/// Why [`Endpoint::listen`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ListenError {
    /// Another listener already has this address and port.
    #[error("address in use")]
    AddressInUse,
    /// Port 0 cannot be listened on.
    #[error("port 0")]
    ZeroPort,
}

/// Why [`Endpoint::connect`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// Every ephemeral port is in use towards this peer.
    #[error("no ephemeral port free")]
    NoEphemeralPorts,
    /// The endpoint holds its maximum number of connections.
    #[error("too many connections")]
    TooManyConnections,
    /// The remote address is unspecified, or its port is 0.
    #[error("invalid remote address")]
    InvalidRemote,
}

/// One row of the socket table (what `ss -tan -i` shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketInfo {
    /// The connection, or `None` for a listener row.
    pub handle: Option<ConnHandle>,
    /// `LISTEN` for listeners.
    pub state: State,
    /// Bytes in the receive queue (Recv-Q); for a listener, the accept queue length.
    pub recv_q: usize,
    /// Bytes in the send queue (Send-Q); for a listener, its accept backlog.
    pub send_q: usize,
    /// Local address.
    pub local: SocketAddrV4,
    /// Peer address (`0.0.0.0:0` for a listener).
    pub remote: SocketAddrV4,
    /// Smoothed RTT.
    pub srtt: Option<tundra_core::Duration>,
    /// RTT variance.
    pub rttvar: tundra_core::Duration,
    /// Current RTO.
    pub rto: tundra_core::Duration,
    /// Congestion window in bytes.
    pub cwnd: usize,
    /// Slow-start threshold in bytes (`usize::MAX` until the first loss).
    pub ssthresh: usize,
    /// Sender MSS: the payload of a full segment, the unit `cwnd:` and `ssthresh:`
    /// are shown in (SMSS less the timestamp option, as `ss` shows it).
    pub mss: usize,
    /// Segments retransmitted.
    pub retransmits: u64,
}

impl fmt::Display for SocketInfo {
    /// One `ss -tan -i`-like line: state, queues, addresses, then `rtt:`, `rto:`,
    /// `cwnd:` (in segments), `ssthresh:`, `mss:`, `retrans:`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<12} {:>7} {:>7} {:>21} {:>21}",
            self.state.to_string(),
            self.recv_q,
            self.send_q,
            self.local.to_string(),
            if self.handle.is_some() {
                self.remote.to_string()
            } else {
                "*:*".to_string()
            }
        )?;
        if self.handle.is_none() {
            return Ok(());
        }
        let ms = |d: tundra_core::Duration| d.total_micros() as f64 / 1000.0;
        if let Some(srtt) = self.srtt {
            write!(f, " rtt:{:.3}/{:.3}", ms(srtt), ms(self.rttvar))?;
        }
        write!(
            f,
            " rto:{:.0} mss:{} cwnd:{}",
            ms(self.rto),
            self.mss,
            self.cwnd / self.mss.max(1)
        )?;
        if self.ssthresh != usize::MAX {
            write!(f, " ssthresh:{}", self.ssthresh / self.mss.max(1))?;
        }
        if self.retransmits > 0 {
            write!(f, " retrans:{}", self.retransmits)?;
        }
        Ok(())
    }
}

/// Writes a socket table with a header line, like `ss -tan -i`.
pub fn write_socket_table(f: &mut impl fmt::Write, rows: &[SocketInfo]) -> fmt::Result {
    writeln!(
        f,
        "{:<12} {:>7} {:>7} {:>21} {:>21}",
        "State", "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port"
    )?;
    for row in rows {
        writeln!(f, "{row}")?;
    }
    Ok(())
}

/// Where a connection came from, which decides who removes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// `connect`, or accepted: the user owns it.
    User,
    /// Half-open on a listener (counts against its SYN queue).
    SynQueue(ListenerHandle),
    /// Established on a listener, waiting in its accept queue.
    AcceptQueue(ListenerHandle),
}

#[derive(Debug)]
struct Entry {
    conn: Connection,
    origin: Origin,
    in_demux: bool,
    counted_established: bool,
    /// On the schedule's ready list: the next poll looks at this connection.
    ready: bool,
    /// The connection's `poll_at` when the endpoint last looked at it, queued in the
    /// schedule's timers (`None`: no timer, or its item was just taken as due).
    deadline: Option<Instant>,
}

#[derive(Debug)]
struct Slot {
    generation: u32,
    /// Moves whenever the endpoint touches the slot's connection: see
    /// [`Endpoint::version`].
    version: u64,
    entry: Option<Entry>,
}

impl Slot {
    /// Moves [`Slot::version`]: whatever looked at the connection before must look again.
    fn touch(&mut self) {
        self.version = self.version.wrapping_add(1);
    }
}

#[derive(Debug)]
struct Listener {
    local: SocketAddrV4,
    config: ListenConfig,
    syn_queue: usize,
    accept_queue: VecDeque<ConnHandle>,
    /// When a SYN last found the SYN queue full: cookie ACKs are only checked for two
    /// cookie periods after it (Linux `tcp_synq_no_recent_overflow`).
    last_overflow: Option<Instant>,
    /// The "possible SYN flooding" line was logged (once per listener, as Linux).
    flood_warned: bool,
}

#[derive(Debug)]
struct ListenerSlot {
    generation: u32,
    listener: Option<Listener>,
}

type FourTuple = (SocketAddrV4, SocketAddrV4);

/// The TCP layer of one stack. See the module doc.
#[derive(Debug)]
pub struct Endpoint {
    config: EndpointConfig,
    rng: Rng,
    isn: IsnGenerator,
    cookies: SynCookies,
    slots: Vec<Slot>,
    free_slots: Vec<u32>,
    live: usize,
    /// Connections by 4-tuple (a hash table: looked up for every segment).
    demux: HashMap<FourTuple, ConnHandle, DemuxHasher>,
    listeners: Vec<ListenerSlot>,
    by_port: BTreeMap<SocketAddrV4, ListenerHandle>,
    /// RSTs (and other replies) not tied to a connection: (src, dst, segment).
    replies: VecDeque<Reply>,
    /// Cookie SYN-ACKs awaiting transmission (bounded apart from the RSTs).
    syn_acks: VecDeque<Reply>,
    counters: TcpCounters,
    /// Counters of connections already removed.
    retired: ConnStats,
    payload: Vec<u8>,
    out: Vec<u8>,
    /// How emitted segments' checksums are filled (see [`Endpoint::set_checksum_fill`]).
    fill: ChecksumFill,
    next_event: usize,
    /// Connections with news and the timer queue (see [`crate::schedule`]).
    schedule: Schedule,
    /// The slots one poll serves (reused).
    batch: Vec<u32>,
}

impl Endpoint {
    /// A TCP layer whose randomness (ISN key, ephemeral ports) all comes from `seed`.
    pub fn new(config: EndpointConfig, seed: u64) -> Endpoint {
        let mut rng = Rng::from_seed(seed);
        let isn = IsnGenerator::new(&mut rng);
        let cookies = SynCookies::new(&mut Rng::from_seed(seed ^ COOKIE_SEED_DOMAIN));
        let mut demux_rng = Rng::from_seed(seed ^ DEMUX_SEED_DOMAIN);
        let demux_key = DemuxHasher {
            k0: demux_rng.next_u64(),
            k1: demux_rng.next_u64(),
        };
        Endpoint {
            config,
            rng,
            isn,
            cookies,
            slots: Vec::new(),
            free_slots: Vec::new(),
            live: 0,
            demux: HashMap::with_hasher(demux_key),
            listeners: Vec::new(),
            by_port: BTreeMap::new(),
            replies: VecDeque::new(),
            syn_acks: VecDeque::new(),
            counters: TcpCounters::default(),
            retired: ConnStats::default(),
            payload: vec![0; 0x1_0000],
            out: Vec::with_capacity(0x1_0000 + 60),
            fill: ChecksumFill::Full,
            next_event: 0,
            schedule: Schedule::default(),
            batch: Vec::new(),
        }
    }

    /// The endpoint's configuration.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// How [`Endpoint::poll_transmit`] fills the checksums of the segments it emits:
    /// [`ChecksumFill::Full`] (the default), or only the pseudo-header sum when the
    /// device they go to completes them (checksum offload).
    pub fn set_checksum_fill(&mut self, fill: ChecksumFill) {
        self.fill = fill;
    }

    // ------------------------------------------------------------------ listeners

    /// Listens on `local` (address `0.0.0.0` means every local address) with the
    /// endpoint's default connection settings and backlogs.
    pub fn listen(&mut self, local: SocketAddrV4) -> Result<ListenerHandle, ListenError> {
        let config = ListenConfig {
            connection: self.config.connection.clone(),
            syn_backlog: self.config.syn_backlog,
            accept_backlog: self.config.accept_backlog,
        };
        self.listen_with(local, config)
    }

    /// Listens on `local` with its own settings.
    pub fn listen_with(
        &mut self,
        local: SocketAddrV4,
        config: ListenConfig,
    ) -> Result<ListenerHandle, ListenError> {
        if local.port() == 0 {
            return Err(ListenError::ZeroPort);
        }
        if self.by_port.contains_key(&local) {
            return Err(ListenError::AddressInUse);
        }
        let listener = Listener {
            local,
            config,
            syn_queue: 0,
            accept_queue: VecDeque::new(),
            last_overflow: None,
            flood_warned: false,
        };
        let index = match self.listeners.iter().position(|s| s.listener.is_none()) {
            Some(i) => i,
            None => {
                self.listeners.push(ListenerSlot {
                    generation: 0,
                    listener: None,
                });
                self.listeners.len() - 1
            }
        };
        let slot = &mut self.listeners[index];
        slot.generation = slot.generation.wrapping_add(1);
        slot.listener = Some(listener);
        let handle = ListenerHandle {
            index: index as u32,
            generation: slot.generation,
        };
        self.by_port.insert(local, handle);
        Ok(handle)
    }

    /// Stops listening. Connections not yet accepted are reset (as Linux does when a
    /// listening socket closes).
    pub fn unlisten(&mut self, handle: ListenerHandle) {
        if self.listener(handle).is_none() {
            return;
        }
        let Some(listener) = self.listeners[handle.index as usize].listener.take() else {
            return;
        };
        self.by_port.remove(&listener.local);
        for i in 0..self.slots.len() {
            if let Some(entry) = self.slots[i].entry.as_mut() {
                if matches!(entry.origin, Origin::SynQueue(l) | Origin::AcceptQueue(l) if l == handle)
                {
                    entry.conn.abort();
                    entry.origin = Origin::User;
                    self.mark_ready(i);
                }
            }
        }
    }

    /// The next established connection waiting on `listener`, now owned by the caller.
    pub fn accept(&mut self, listener: ListenerHandle) -> Option<ConnHandle> {
        let handle = self.listener_mut(listener)?.accept_queue.pop_front()?;
        if let Some(entry) = self.entry_mut(handle) {
            entry.origin = Origin::User;
        }
        Some(handle)
    }

    /// Connections waiting in `listener`'s accept queue.
    pub fn accept_queue_len(&self, listener: ListenerHandle) -> usize {
        self.listener(listener).map_or(0, |l| l.accept_queue.len())
    }

    fn listener(&self, h: ListenerHandle) -> Option<&Listener> {
        let slot = self.listeners.get(h.index as usize)?;
        if slot.generation != h.generation {
            return None;
        }
        slot.listener.as_ref()
    }

    fn listener_mut(&mut self, h: ListenerHandle) -> Option<&mut Listener> {
        let slot = self.listeners.get_mut(h.index as usize)?;
        if slot.generation != h.generation {
            return None;
        }
        slot.listener.as_mut()
    }

    fn find_listener(&self, local: SocketAddrV4) -> Option<ListenerHandle> {
        self.by_port
            .get(&local)
            .or_else(|| {
                self.by_port
                    .get(&SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, local.port()))
            })
            .copied()
    }

    // ------------------------------------------------------------------ active open

    /// Active OPEN (RFC 9293 §3.10.1) from `local_ip` to `remote` with the default
    /// settings, on an ephemeral port chosen at random (RFC 6056 §3.3.1).
    pub fn connect(
        &mut self,
        now: Instant,
        local_ip: Ipv4Addr,
        remote: SocketAddrV4,
    ) -> Result<ConnHandle, ConnectError> {
        let config = self.config.connection.clone();
        self.connect_with(now, local_ip, remote, config)
    }

    /// Active OPEN with its own connection settings.
    pub fn connect_with(
        &mut self,
        now: Instant,
        local_ip: Ipv4Addr,
        remote: SocketAddrV4,
        config: TcpConfig,
    ) -> Result<ConnHandle, ConnectError> {
        if remote.port() == 0 || remote.ip().is_unspecified() {
            return Err(ConnectError::InvalidRemote);
        }
        if self.live >= self.config.max_connections {
            return Err(ConnectError::TooManyConnections);
        }
        let local = self.pick_port(local_ip, remote)?;
        let params = OpenParams {
            local,
            remote,
            iss: self.isn.isn(now, local, remote),
            ts_offset: self.isn.ts_offset(local, remote),
        };
        let conn = Connection::connect(now, config, params);
        self.counters.active_opens += 1;
        Ok(self.insert(conn, Origin::User))
    }

    /// RFC 6056 §3.3.1 (Algorithm 1): start at a random port of the range and take the
    /// first one whose 4-tuple is free and that no listener uses.
    fn pick_port(
        &mut self,
        local_ip: Ipv4Addr,
        remote: SocketAddrV4,
    ) -> Result<SocketAddrV4, ConnectError> {
        let (lo, hi) = self.config.ephemeral_ports;
        let (lo, hi) = (lo.min(hi) as u32, lo.max(hi) as u32);
        let span = hi - lo + 1;
        let offset = self.rng.gen_range(0, span);
        for i in 0..span {
            let port = (lo + (offset + i) % span) as u16;
            if port == 0 {
                continue;
            }
            let local = SocketAddrV4::new(local_ip, port);
            if !self.demux.contains_key(&(local, remote)) && self.find_listener(local).is_none() {
                return Ok(local);
            }
        }
        Err(ConnectError::NoEphemeralPorts)
    }

    // ------------------------------------------------------------------ connections

    /// The connection behind `handle`, if it still exists.
    pub fn connection(&self, handle: ConnHandle) -> Option<&Connection> {
        let slot = self.slots.get(handle.index as usize)?;
        if slot.generation != handle.generation {
            return None;
        }
        slot.entry.as_ref().map(|e| &e.conn)
    }

    /// A number that moves whenever the endpoint touches the connection behind `handle`
    /// (a segment or ICMP error for it, a timer, a call through
    /// [`Endpoint::connection_mut`], a poll that transmits for it); `None` once the
    /// handle is stale. Nothing about a connection changes without the number moving,
    /// so an application with many idle connections can skip, in O(1) and without
    /// reading the connection, every one whose number is the same as when it last
    /// found it idle (the web server does, with a hundred keep-alive clients).
    pub fn version(&self, handle: ConnHandle) -> Option<u64> {
        let slot = self.slots.get(handle.index as usize)?;
        (slot.generation == handle.generation && slot.entry.is_some()).then_some(slot.version)
    }

    /// The connection behind `handle`, to call `send`, `recv`, `shutdown`, `close`,
    /// `abort` or `poll_event` on.
    ///
    /// The connection goes on the ready list (the next poll looks at it): take a
    /// [`Endpoint::connection`] to only look.
    pub fn connection_mut(&mut self, handle: ConnHandle) -> Option<&mut Connection> {
        self.entry_mut(handle)?;
        self.mark_ready(handle.index as usize);
        self.entry_mut(handle).map(|e| &mut e.conn)
    }

    /// Closes `handle` ([`Connection::close`]); the endpoint removes it once CLOSED.
    pub fn close(&mut self, handle: ConnHandle) {
        if let Some(c) = self.connection_mut(handle) {
            c.close();
        }
    }

    /// Aborts `handle` with a RST ([`Connection::abort`]).
    pub fn abort(&mut self, handle: ConnHandle) {
        if let Some(c) = self.connection_mut(handle) {
            c.abort();
        }
    }

    /// Every user-owned connection (connected or accepted), in handle order.
    pub fn connections(&self) -> impl Iterator<Item = (ConnHandle, &Connection)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| {
            let e = s.entry.as_ref()?;
            (e.origin == Origin::User).then_some((
                ConnHandle {
                    index: i as u32,
                    generation: s.generation,
                },
                &e.conn,
            ))
        })
    }

    /// The next event of any user-owned connection, round robin.
    pub fn poll_event(&mut self) -> Option<(ConnHandle, Event)> {
        let n = self.slots.len();
        for k in 0..n {
            let i = (self.next_event + k) % n;
            let slot = &mut self.slots[i];
            let generation = slot.generation;
            if let Some(entry) = slot.entry.as_mut().filter(|e| e.origin == Origin::User) {
                if let Some(ev) = entry.conn.poll_event() {
                    self.next_event = i;
                    return Some((
                        ConnHandle {
                            index: i as u32,
                            generation,
                        },
                        ev,
                    ));
                }
            }
        }
        None
    }

    /// The socket table: listeners first, then every connection (also those still in
    /// a listener's queues and those in TIME-WAIT).
    pub fn sockets(&self) -> Vec<SocketInfo> {
        let mut rows = Vec::new();
        self.sockets_into(&mut rows);
        rows
    }

    /// [`Endpoint::sockets`] into `rows` (cleared first), reusing its allocation: for
    /// a caller that refreshes a snapshot often (the web server's live pages).
    pub fn sockets_into(&self, rows: &mut Vec<SocketInfo>) {
        rows.clear();
        rows.reserve(self.listeners.len() + self.slots.len());
        for l in self.listeners.iter().filter_map(|s| s.listener.as_ref()) {
            rows.push(SocketInfo {
                handle: None,
                state: State::Listen,
                recv_q: l.accept_queue.len(),
                send_q: l.config.accept_backlog,
                local: l.local,
                remote: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
                srtt: None,
                rttvar: tundra_core::Duration::ZERO,
                rto: tundra_core::Duration::ZERO,
                cwnd: 0,
                ssthresh: usize::MAX,
                mss: 0,
                retransmits: 0,
            });
        }
        for (i, s) in self.slots.iter().enumerate() {
            let Some(e) = s.entry.as_ref() else { continue };
            let c = &e.conn;
            rows.push(SocketInfo {
                handle: Some(ConnHandle {
                    index: i as u32,
                    generation: s.generation,
                }),
                state: c.state(),
                recv_q: c.recv_queue(),
                send_q: c.send_queue(),
                local: c.local(),
                remote: c.remote(),
                srtt: c.srtt(),
                rttvar: c.rttvar(),
                rto: c.rto(),
                cwnd: c.cwnd(),
                ssthresh: c.ssthresh(),
                mss: c.send_mss(),
                retransmits: c.stats().retransmits,
            });
        }
    }

    /// The counters, including every connection's (live and removed).
    pub fn counters(&self) -> TcpCounters {
        let mut counters = self.counters;
        counters.conn = self.retired;
        for e in self.slots.iter().filter_map(|s| s.entry.as_ref()) {
            counters.conn.add(e.conn.stats());
        }
        counters
    }

    fn insert(&mut self, conn: Connection, origin: Origin) -> ConnHandle {
        let tuple = (conn.local(), conn.remote());
        let entry = Entry {
            conn,
            origin,
            in_demux: true,
            counted_established: false,
            ready: false,
            deadline: None,
        };
        let index = match self.free_slots.pop() {
            Some(i) => i as usize,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    version: 0,
                    entry: None,
                });
                self.slots.len() - 1
            }
        };
        let slot = &mut self.slots[index];
        slot.generation = slot.generation.wrapping_add(1);
        slot.entry = Some(entry);
        let handle = ConnHandle {
            index: index as u32,
            generation: slot.generation,
        };
        self.demux.insert(tuple, handle);
        self.live += 1;
        self.mark_ready(index);
        handle
    }

    fn entry_mut(&mut self, handle: ConnHandle) -> Option<&mut Entry> {
        let slot = self.slots.get_mut(handle.index as usize)?;
        if slot.generation != handle.generation {
            return None;
        }
        slot.entry.as_mut()
    }

    // ------------------------------------------------------------------ input

    /// Takes one TCP segment (the IPv4 payload) that arrived from `src` to `dst`.
    /// Malformed segments are dropped and counted; nothing here panics on bad input.
    pub fn receive(&mut self, now: Instant, src: Ipv4Addr, dst: Ipv4Addr, segment: &[u8]) {
        self.receive_with(now, src, dst, segment, ChecksumMode::Verify);
    }

    /// [`Endpoint::receive`] with the checksum verified or not as `checksum` says:
    /// `Ignore` is for a segment whose integrity the device vouched for (the kernel
    /// on its other side built it and left the checksum to the "hardware").
    pub fn receive_with(
        &mut self,
        now: Instant,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        segment: &[u8],
        checksum: ChecksumMode,
    ) {
        let packet = TcpPacket::new_unchecked(segment);
        let repr = match TcpRepr::parse(&packet, src, dst, checksum) {
            Ok(r) => r,
            Err(e) => {
                match e {
                    WireError::BadChecksum => self.counters.bad_checksum += 1,
                    WireError::BadOption(_) => self.counters.malformed_option += 1,
                    _ => self.counters.malformed += 1,
                }
                log::debug!("tcp: dropped segment {src} > {dst}: {e}");
                return;
            }
        };
        self.receive_repr(now, src, dst, &repr);
    }

    /// An ICMP error quoting a segment we sent from `local` to `remote` with sequence
    /// number `seq` (the stack parsed the quote: our address and port are its source).
    /// Finds the connection by that 4-tuple and lets it decide
    /// ([`Connection::handle_icmp_error`]: RFC 5927 §4.1 window check, RFC 1122
    /// §4.2.3.9 / RFC 5461 hard and soft errors, RFC 1191 Path MTU Discovery); counts
    /// the outcome. A connection it aborts is reaped on the next poll like any other.
    pub fn icmp_error(
        &mut self,
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        seq: SeqNumber,
        kind: IcmpErrorKind,
    ) -> IcmpOutcome {
        self.counters.icmp_errors += 1;
        let outcome = match self.demux.get(&(local, remote)).copied() {
            Some(handle) => {
                let outcome = match self.entry_mut(handle) {
                    Some(entry) => entry.conn.handle_icmp_error(now, seq, kind),
                    None => IcmpOutcome::NoConnection,
                };
                self.mark_ready(handle.index as usize);
                self.after_update(handle);
                outcome
            }
            None => IcmpOutcome::NoConnection,
        };
        let c = &mut self.counters;
        match outcome {
            IcmpOutcome::NoConnection => c.icmp_no_connection += 1,
            IcmpOutcome::Ignored => c.icmp_ignored += 1,
            IcmpOutcome::OutOfWindow => c.icmp_out_of_window += 1,
            IcmpOutcome::Soft => c.icmp_soft_errors += 1,
            IcmpOutcome::Aborted => c.icmp_aborts += 1,
            IcmpOutcome::MtuLowered { resent, .. } => {
                c.pmtu_lowered += 1;
                c.pmtu_resent += resent as u64;
            }
            IcmpOutcome::MtuNotLowered => c.pmtu_not_lowered += 1,
        }
        outcome
    }

    /// Takes one already-parsed segment (for callers that verified the checksum
    /// themselves, and for tests).
    pub fn receive_repr(&mut self, now: Instant, src: Ipv4Addr, dst: Ipv4Addr, repr: &TcpRepr<'_>) {
        self.counters.segments_in += 1;
        let local = SocketAddrV4::new(dst, repr.dst_port);
        let remote = SocketAddrV4::new(src, repr.src_port);
        if let Some(&handle) = self.demux.get(&(local, remote)) {
            if self.deliver(now, handle, repr) {
                return;
            }
        }
        if let Some(lh) = self.find_listener(local) {
            self.on_listener(now, lh, local, remote, repr);
            return;
        }
        // RFC 9293 §3.10.7.1: "If the state is CLOSED (i.e., TCB does not exist) then
        // all data in the incoming segment is discarded. An incoming segment containing
        // a RST is discarded. An incoming segment not containing a RST causes a RST to
        // be sent in response."
        if !repr.flags.rst {
            self.counters.no_listener_rst_sent += 1;
            self.queue_reply(dst, src, reset_for(repr));
        }
    }

    /// Hands `repr` to an existing connection. Returns false when the segment should
    /// instead go to the listener (a new SYN recycling a TIME-WAIT connection).
    fn deliver(&mut self, now: Instant, handle: ConnHandle, repr: &TcpRepr<'_>) -> bool {
        let accept_full = |ep: &Endpoint, l: ListenerHandle| match ep.listener(l) {
            Some(l) => l.accept_queue.len() >= l.config.accept_backlog,
            None => true,
        };
        let Some(entry) = self.slots[handle.index as usize].entry.as_ref() else {
            return true;
        };
        let state = entry.conn.state();
        // RFC 6191 / RFC 9293 §3.6.1: a SYN for a connection in TIME-WAIT whose
        // sequence number is above the old RCV.NXT may open a new incarnation.
        if state == State::TimeWait
            && repr.flags.syn
            && !repr.flags.rst
            && repr.ack_number.is_none()
            && repr.seq_number > entry.conn.recv_next()
        {
            self.counters.time_wait_recycled += 1;
            self.remove(handle);
            return false;
        }
        // The ACK completing a handshake when the accept queue is full is dropped (the
        // connection stays in SYN-RECEIVED and the peer retransmits), as Linux does.
        if let Origin::SynQueue(l) = entry.origin {
            if state == State::SynReceived
                && repr.ack_number.is_some()
                && !repr.flags.rst
                && !repr.flags.syn
                && accept_full(self, l)
            {
                self.counters.accept_queue_overflow += 1;
                return true;
            }
        }
        let entry = self.slots[handle.index as usize]
            .entry
            .as_mut()
            .expect("checked above");
        entry.conn.handle_segment(now, repr);
        self.mark_ready(handle.index as usize);
        self.after_update(handle);
        true
    }

    /// A segment for a listening port without a connection: RFC 9293 §3.10.7.2.
    fn on_listener(
        &mut self,
        now: Instant,
        lh: ListenerHandle,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        repr: &TcpRepr<'_>,
    ) {
        // "First, check for a RST ... An incoming RST should be ignored."
        if repr.flags.rst {
            return;
        }
        // "Second, check for an ACK ... <SEQ=SEG.ACK><CTL=RST>" - unless it returns a
        // SYN cookie we sent (RFC 4987 §3.6).
        if repr.ack_number.is_some() {
            if self.cookies_recently_used(now, lh) && !repr.flags.syn {
                if self.try_cookie(now, lh, local, remote, repr) {
                    return;
                }
                // Linux (cookie_v4_check -> the listener's tcp_rcv_state_process)
                // answers an ACK with a bad cookie as any ACK to a listener: a RST.
                self.counters.syncookies_failed += 1;
            }
            self.counters.listen_rst_sent += 1;
            self.queue_reply(*local.ip(), *remote.ip(), reset_for(repr));
            return;
        }
        // "Third, check for a SYN"; anything else is dropped ("Fourth").
        if !repr.flags.syn {
            return;
        }
        let Some(listener) = self.listener(lh) else {
            return;
        };
        let syn_queue_full = listener.syn_queue >= listener.config.syn_backlog;
        if syn_queue_full && !self.config.syn_cookies {
            self.counters.syn_queue_overflow += 1;
            return;
        }
        // Linux drops a SYN when the accept queue is full, cookie or not: a cookie's
        // connection would have nowhere to wait.
        if listener.accept_queue.len() >= listener.config.accept_backlog {
            self.counters.accept_queue_overflow += 1;
            return;
        }
        if syn_queue_full {
            // RFC 4987 §3.6: answer without keeping state.
            self.send_cookie(now, lh, local, remote, repr);
            return;
        }
        if self.live >= self.config.max_connections {
            self.counters.connection_limit += 1;
            return;
        }
        let config = listener.config.connection.clone();
        let params = OpenParams {
            local,
            remote,
            iss: self.isn.isn(now, local, remote),
            ts_offset: self.isn.ts_offset(local, remote),
        };
        let mut conn = Connection::listen(now, config, params);
        conn.handle_segment(now, repr);
        if conn.state() != State::SynReceived {
            return;
        }
        self.counters.passive_opens += 1;
        if let Some(l) = self.listener_mut(lh) {
            l.syn_queue += 1;
        }
        self.insert(conn, Origin::SynQueue(lh));
    }

    /// Whether `lh`'s SYN queue overflowed within the last [`MAX_COOKIE_AGE`] cookie
    /// periods, so an ACK to it may carry a cookie (otherwise none can be valid, and
    /// checking would only give forgers more tries).
    fn cookies_recently_used(&self, now: Instant, lh: ListenerHandle) -> bool {
        let window = tundra_core::Duration::from_micros(
            COOKIE_PERIOD.total_micros() * MAX_COOKIE_AGE as u64,
        );
        self.config.syn_cookies
            && self
                .listener(lh)
                .and_then(|l| l.last_overflow)
                .is_some_and(|t| now.saturating_duration_since(t) < window)
    }

    /// Answers `syn` with a SYN-ACK whose ISS is a SYN cookie, keeping no state
    /// (RFC 4987 §3.6). It carries what `Connection`'s own SYN-ACK would (RFC 9293
    /// §3.10.7.2, RFC 7323, RFC 2018), the options the cookie must remember encoded in
    /// our TSval ([`syncookie::encode_ts_options`]).
    fn send_cookie(
        &mut self,
        now: Instant,
        lh: ListenerHandle,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        syn: &TcpRepr<'_>,
    ) {
        let Some(listener) = self.listener_mut(lh) else {
            return;
        };
        listener.last_overflow = Some(now);
        if !listener.flood_warned {
            listener.flood_warned = true;
            // Linux's tcp_syn_flood_action, once per listener.
            log::warn!(
                "tcp: possible SYN flooding on port {}. Sending cookies.",
                local.port()
            );
        }
        let config = &listener.config.connection;
        let (our_mss, scaling, sack_on, ts_on) = (
            config.mss,
            config.window_scaling,
            config.sack,
            config.timestamps,
        );
        let recv_buffer = config.recv_buffer.min(crate::connection::MAX_BUFFER);
        let (cookie, mss) = self
            .cookies
            .make(now, local, remote, syn.seq_number, syn.options.mss);
        let wscale = syn.options.window_scale.filter(|_| scaling);
        let sack = syn.options.sack_permitted && sack_on;
        let mut options = TcpOptions {
            mss: Some(our_mss),
            window_scale: wscale.map(|_| crate::connection::scale_for(recv_buffer)),
            sack_permitted: sack,
            ..TcpOptions::default()
        };
        if let (true, Some(ts)) = (ts_on, syn.options.timestamp) {
            // The clock the connection will use (`Connection::ts_now`).
            let clock = (now.total_millis() as u32).wrapping_add(self.isn.ts_offset(local, remote));
            let kept = CookieOptions {
                window_scale: wscale,
                sack_permitted: sack,
            };
            options.timestamp = Some(TcpTimestamp {
                tsval: syncookie::encode_ts_options(clock, kept),
                tsecr: ts.tsval,
            });
        } else {
            // Without timestamps the cookie cannot carry window scaling or SACK: offer
            // neither, so both sides agree they are off.
            options.window_scale = None;
            options.sack_permitted = false;
        }
        let synack = TcpRepr {
            src_port: local.port(),
            dst_port: remote.port(),
            seq_number: cookie,
            ack_number: Some(syn.seq_number + 1),
            flags: TcpFlags {
                syn: true,
                ..TcpFlags::default()
            },
            // RFC 7323 §2.2: the window of a SYN is never scaled.
            window_len: recv_buffer.min(0xffff) as u16,
            urgent_pointer: 0,
            options,
            payload: &[],
        };
        log::trace!("tcp: {local} > {remote}: SYN cookie {cookie} (mss {mss})");
        if self.syn_acks.len() >= self.config.max_pending_syn_acks {
            self.counters.syncookies_not_sent += 1;
            return;
        }
        self.counters.syncookies_sent += 1;
        self.syn_acks.push_back((*local.ip(), *remote.ip(), synack));
    }

    /// An ACK to a listener that overflowed recently: if it returns a valid cookie
    /// (SEG.ACK - 1, for the peer ISN SEG.SEQ - 1), creates its connection in
    /// ESTABLISHED and queues it for accept. Returns whether the cookie verified (the
    /// segment is then consumed, even if the accept queue or the connection limit
    /// makes us drop it: the peer retransmits, as for a normal handshake).
    fn try_cookie(
        &mut self,
        now: Instant,
        lh: ListenerHandle,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        ack: &TcpRepr<'_>,
    ) -> bool {
        let Some(cookie_ack) = ack.ack_number else {
            return false;
        };
        let (iss, peer_isn) = (cookie_ack - 1, ack.seq_number - 1);
        let Some(mss) = self.cookies.check(now, local, remote, peer_isn, iss) else {
            return false;
        };
        self.counters.syncookies_recv += 1;
        let Some(listener) = self.listener(lh) else {
            return true;
        };
        if listener.accept_queue.len() >= listener.config.accept_backlog {
            self.counters.accept_queue_overflow += 1;
            return true;
        }
        if self.live >= self.config.max_connections {
            self.counters.connection_limit += 1;
            return true;
        }
        let config = listener.config.connection.clone();
        // The SYN as far as the cookie remembers it: sequence number, MSS, and with
        // timestamps the options kept in our TSval, which the ACK echoes.
        let kept = ack
            .options
            .timestamp
            .map(|ts| syncookie::decode_ts_options(ts.tsecr))
            .unwrap_or_default();
        let syn = TcpRepr {
            src_port: remote.port(),
            dst_port: local.port(),
            seq_number: peer_isn,
            ack_number: None,
            flags: TcpFlags {
                syn: true,
                ..TcpFlags::default()
            },
            window_len: ack.window_len,
            urgent_pointer: 0,
            options: TcpOptions {
                mss: Some(mss),
                window_scale: kept.window_scale,
                sack_permitted: kept.sack_permitted,
                timestamp: ack.options.timestamp.map(|ts| TcpTimestamp {
                    tsval: ts.tsval,
                    tsecr: 0,
                }),
                ..TcpOptions::default()
            },
            payload: &[],
        };
        let params = OpenParams {
            local,
            remote,
            iss,
            ts_offset: self.isn.ts_offset(local, remote),
        };
        let conn = Connection::from_cookie(now, config, params, &syn, ack);
        if !conn.state().is_synchronized() {
            return true;
        }
        self.counters.passive_opens += 1;
        let handle = self.insert(conn, Origin::AcceptQueue(lh));
        if let Some(l) = self.listener_mut(lh) {
            l.accept_queue.push_back(handle);
        }
        self.after_update(handle);
        true
    }

    /// Moves a connection between the listener queues as its state changes.
    fn after_update(&mut self, handle: ConnHandle) {
        let Some(entry) = self.entry_mut(handle) else {
            return;
        };
        let state = entry.conn.state();
        let origin = entry.origin;
        if state.is_synchronized() && !entry.counted_established {
            entry.counted_established = true;
            self.counters.established += 1;
        }
        match origin {
            Origin::SynQueue(l) if state != State::SynReceived => {
                let entry = self.entry_mut(handle).expect("exists");
                if state == State::Closed {
                    // Never accepted: the caller never sees it; `reap` removes it.
                    entry.origin = Origin::User;
                    entry.conn.release();
                } else {
                    entry.origin = Origin::AcceptQueue(l);
                }
                if let Some(listener) = self.listener_mut(l) {
                    listener.syn_queue = listener.syn_queue.saturating_sub(1);
                    if state != State::Closed {
                        listener.accept_queue.push_back(handle);
                    }
                }
            }
            Origin::AcceptQueue(l) if state == State::Closed => {
                if let Some(listener) = self.listener_mut(l) {
                    listener.accept_queue.retain(|h| *h != handle);
                }
                let entry = self.entry_mut(handle).expect("exists");
                entry.origin = Origin::User;
                entry.conn.release();
            }
            _ => {}
        }
    }

    fn queue_reply(&mut self, src: Ipv4Addr, dst: Ipv4Addr, repr: TcpRepr<'static>) {
        if self.replies.len() >= self.config.max_pending_resets {
            self.counters.rst_queue_overflow += 1;
            return;
        }
        self.replies.push_back((src, dst, repr));
    }

    // ------------------------------------------------------------------ output, time

    /// Fires due timers and emits every segment that is ready, as
    /// `emit(src, dst, segment)` with the checksum filled in.
    pub fn poll_transmit(&mut self, now: Instant, mut emit: impl FnMut(Ipv4Addr, Ipv4Addr, &[u8])) {
        let mut out = std::mem::take(&mut self.out);
        self.poll_transmit_with(now, |seg| {
            out.clear();
            out.resize(seg.len(), 0);
            seg.write(&mut out);
            emit(seg.src, seg.dst, &out);
        });
        self.out = out;
    }

    /// [`Endpoint::poll_transmit`] without a buffer of its own: each ready segment is
    /// handed over as an [`Outgoing`] that writes itself where the caller wants it (the
    /// interface writes it straight into the frame, behind the room for the headers
    /// below, so the segment is built once and copied nowhere).
    pub fn poll_transmit_with(&mut self, now: Instant, mut emit: impl FnMut(Outgoing<'_>)) {
        let fill = self.fill;
        while let Some((src, dst, repr)) = self.syn_acks.pop_front() {
            emit(Outgoing::new(src, dst, &repr, fill));
            self.counters.segments_out += 1;
        }
        while let Some((src, dst, repr)) = self.replies.pop_front() {
            emit(Outgoing::new(src, dst, &repr, fill));
            self.counters.segments_out += 1;
        }
        self.wake_due(now);
        let mut batch = std::mem::take(&mut self.batch);
        self.schedule.take_ready(&mut batch);
        for &i in &batch {
            let i = i as usize;
            let slot = &mut self.slots[i];
            let generation = slot.generation;
            slot.touch();
            let Some(entry) = slot.entry.as_mut() else {
                continue;
            };
            entry.ready = false;
            let conn = &mut entry.conn;
            let (src, dst) = (*conn.local().ip(), *conn.remote().ip());
            while let Some(repr) = conn.poll_transmit(now, &mut self.payload) {
                emit(Outgoing::new(src, dst, &repr, fill));
                self.counters.segments_out += 1;
            }
            let handle = ConnHandle {
                index: i as u32,
                generation,
            };
            self.after_update(handle);
            self.rearm(i);
        }
        self.reap(&batch);
        self.batch = batch;
        self.prune_timers();
    }

    /// Fires due timers without transmitting (the next [`Endpoint::poll_transmit`]
    /// sends what they queued).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.wake_due(now);
        for i in self.schedule.ready() {
            let slot = &mut self.slots[i as usize];
            slot.touch();
            if let Some(entry) = slot.entry.as_mut() {
                entry.conn.handle_timeout(now);
            }
        }
    }

    /// The earliest timer deadline of any connection.
    pub fn poll_at(&self) -> Option<Instant> {
        // A ready connection may have changed since its deadline was queued.
        let ready = self
            .schedule
            .ready()
            .filter_map(|i| self.slots[i as usize].entry.as_ref())
            .filter_map(|e| e.conn.poll_at())
            .min();
        [self.schedule.next_deadline(), ready]
            .into_iter()
            .flatten()
            .min()
    }

    /// Puts the connection in slot `index` on the ready list, once. Every path that
    /// changes a connection outside [`Endpoint::poll_transmit`] calls this: see
    /// [`crate::schedule`] for why that matters.
    fn mark_ready(&mut self, index: usize) {
        let Some(slot) = self.slots.get_mut(index) else {
            return;
        };
        // Even if it is on the list already: the caller may have looked since.
        slot.touch();
        if let Some(entry) = slot.entry.as_mut() {
            if !entry.ready {
                entry.ready = true;
                self.schedule.push_ready(index as u32);
            }
        }
    }

    /// Marks ready every connection whose timer is due at `now`.
    fn wake_due(&mut self, now: Instant) {
        while let Some(timer) = self.schedule.pop_due(now) {
            if !self.is_current(timer) {
                continue; // stale: the deadline moved or the slot was reused
            }
            let index = timer.1 as usize;
            if let Some(entry) = self.slots[index].entry.as_mut() {
                entry.deadline = None; // its item is out of the queue now
            }
            self.mark_ready(index);
        }
    }

    /// Whether a timer item (deadline, slot, generation) is still the deadline its
    /// connection caches, or stale (the deadline moved, the slot was reused).
    fn is_current(&self, (at, index, generation): Timer) -> bool {
        let slot = &self.slots[index as usize];
        slot.generation == generation && slot.entry.as_ref().is_some_and(|e| e.deadline == Some(at))
    }

    /// Drops stale items from the front of the timer queue, so that
    /// [`Endpoint::poll_at`] names a deadline some connection really has.
    fn prune_timers(&mut self) {
        while let Some(timer) = self.schedule.peek() {
            if self.is_current(timer) {
                return;
            }
            self.schedule.pop();
        }
    }

    /// After a poll looked at slot `index`: caches its next deadline and queues it.
    fn rearm(&mut self, index: usize) {
        let slot = &mut self.slots[index];
        let Some(entry) = slot.entry.as_mut() else {
            return;
        };
        let at = entry.conn.poll_at();
        if at == entry.deadline {
            return;
        }
        entry.deadline = at;
        if let Some(at) = at {
            self.schedule.arm(at, index as u32, slot.generation);
        }
        if self.schedule.needs_rebuild(self.live) {
            let current = self.slots.iter().enumerate().filter_map(|(i, s)| {
                let at = s.entry.as_ref()?.deadline?;
                Some((at, i as u32, s.generation))
            });
            self.schedule.rebuild(current);
        }
    }

    /// Removes CLOSED connections from the demultiplexer (so their 4-tuple is free and
    /// stray segments get RSTs), and frees those their user released.
    /// Only the slots of this poll's `batch` can have closed: every change to a
    /// connection puts it on the ready list.
    fn reap(&mut self, batch: &[u32]) {
        for &i in batch {
            let i = i as usize;
            let generation = self.slots[i].generation;
            let Some(entry) = self.slots[i].entry.as_mut() else {
                continue;
            };
            if entry.conn.state() != State::Closed {
                continue;
            }
            let handle = ConnHandle {
                index: i as u32,
                generation,
            };
            match entry.conn.close_reason() {
                Some(CloseReason::Reset) if entry.in_demux => self.counters.resets_received += 1,
                Some(r) if r.is_timeout() && entry.in_demux => self.counters.timeouts += 1,
                _ => {}
            }
            if entry.in_demux {
                entry.in_demux = false;
                let tuple = (entry.conn.local(), entry.conn.remote());
                if self.demux.get(&tuple) == Some(&handle) {
                    self.demux.remove(&tuple);
                }
            }
            if entry.conn.is_user_closed() {
                self.remove(handle);
            }
        }
    }

    fn remove(&mut self, handle: ConnHandle) {
        let slot = &mut self.slots[handle.index as usize];
        if slot.generation != handle.generation {
            return;
        }
        if let Some(entry) = slot.entry.take() {
            self.retired.add(entry.conn.stats());
            let tuple = (entry.conn.local(), entry.conn.remote());
            if self.demux.get(&tuple) == Some(&handle) {
                self.demux.remove(&tuple);
            }
            self.free_slots.push(handle.index);
            self.live -= 1;
            self.prune_timers();
        }
    }

    /// Number of connections held (every state, including TIME-WAIT).
    pub fn connection_count(&self) -> usize {
        self.live
    }
}

/// RFC 9293 §3.10.7.1: the reset answering a segment that has no connection. "If the
/// ACK bit is off, sequence number zero is used, <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
/// <CTL=RST,ACK>. If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>."
pub fn reset_for(seg: &TcpRepr<'_>) -> TcpRepr<'static> {
    let (seq, ack) = match seg.ack_number {
        Some(ack) => (ack, None),
        None => (SeqNumber(0), Some(seg.seq_number + seg.segment_len())),
    };
    TcpRepr {
        src_port: seg.dst_port,
        dst_port: seg.src_port,
        seq_number: seq,
        ack_number: ack,
        flags: TcpFlags {
            rst: true,
            ..TcpFlags::default()
        },
        window_len: 0,
        urgent_pointer: 0,
        options: TcpOptions::default(),
        payload: &[],
    }
}

/// A segment [`Endpoint::poll_transmit_with`] has ready: from `src` to `dst`, of
/// [`Outgoing::len`] bytes, written (checksum filled as the endpoint is set to) by
/// [`Outgoing::write`].
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// Our address.
    pub src: Ipv4Addr,
    /// The peer's address.
    pub dst: Ipv4Addr,
    repr: &'a TcpRepr<'a>,
    fill: ChecksumFill,
}

impl<'a> Outgoing<'a> {
    fn new(src: Ipv4Addr, dst: Ipv4Addr, repr: &'a TcpRepr<'a>, fill: ChecksumFill) -> Self {
        Outgoing {
            src,
            dst,
            repr,
            fill,
        }
    }

    /// The segment's length in bytes (header, options and data).
    #[allow(clippy::len_without_is_empty)] // a TCP segment is never empty
    pub fn len(&self) -> usize {
        self.repr.buffer_len()
    }

    /// The segment's headers and data, as parsed (for logging and tests).
    pub fn repr(&self) -> &TcpRepr<'a> {
        self.repr
    }

    /// Writes the segment into `buf`, which must be exactly [`Outgoing::len`] bytes.
    ///
    /// # Panics
    /// If `buf` has another length (see [`TcpRepr::emit`]).
    pub fn write(&self, buf: &mut [u8]) {
        let packet = &mut TcpPacket::new_unchecked(buf);
        self.repr.emit_with(packet, self.src, self.dst, self.fill);
    }
}
