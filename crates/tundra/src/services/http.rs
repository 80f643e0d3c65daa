//! The demo web server on port 80: `tundra-http`'s sans-IO [`ServerConnection`] driven
//! over our own TCP (curriculum Day 3). The site itself is in [`super::site`].
//!
//! Per accepted connection, every poll:
//!
//! 1. the timer: when [`ServerConnection::poll_at`] has passed, `on_timeout` (408 for
//!    a slowloris head, close for an idle keep-alive connection, and a reset for a
//!    peer that has not read a byte of our output for the idle timeout);
//! 2. output first: what `poll_transmit` has goes into the TCP send buffer and
//!    `consume` is told how much was taken, so a full buffer is backpressure;
//! 3. input while the connection `wants_input` (a client pipelining faster than we
//!    answer is left in TCP's receive buffer, and its window closes): bytes to
//!    `on_bytes`, end of stream to `on_eof`; output again after each read;
//! 4. access-log events go to `log` with the peer's address;
//! 5. once `wants_close`: whatever the peer sent meanwhile is read and dropped (so the
//!    close is a FIN, not a reset that could destroy an error response still in the
//!    peer's receive buffer, RFC 9112 §9.6), then TCP `close`. Bytes arriving after
//!    that are acknowledged and discarded by TCP.
//!
//! The counters on the index page ([`super::site::LiveStats`]) are refreshed before
//! received bytes are handed in, once per instant: a turn of the driver has one `now`
//! and may run many polls, and copying the socket table (O(connections)) on each of them
//! cost more than the requests it served under `wrk -c100`. A connection accepted or
//! closed since the last copy refreshes it again, so a page always lists the connection
//! that asks for it. Connections that wait for input with no TCP news are not served at
//! all; what that takes is cached per connection each time it is served (its HTTP state
//! changes only then).

use std::net::SocketAddrV4;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tundra_core::{Duration, Instant};
use tundra_http::{Server, ServerConfig, ServerConnection, ServerEvent, Upgrade, WallClock};
use tundra_stack::Interface;
use tundra_tcp::{ConnHandle, Connection, ListenConfig, ListenerHandle, RecvError, State};

use super::site::{self, HttpStats, Live, LiveStats};
use super::ws::WsService;

/// The port of the demo web server.
pub const HTTP_PORT: u16 = 80;

/// Bytes read from one connection per poll, so one uploader cannot starve the others.
const READ_SLICE: usize = 256 * 1024;

/// How the web server is set up; `tundra run` fills it from its flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// The directory served under `/docs/` (`--www`); `None` serves no files.
    pub www: Option<PathBuf>,
    /// Time a client has to send a whole request head before 408 (the slowloris
    /// defence, `--http-header-timeout`).
    pub header_timeout: Duration,
    /// Time a connection may sit without progress (no request started, or not a byte
    /// of output taken by the peer) before it is closed (`--http-idle-timeout`).
    pub idle_timeout: Duration,
    /// The wall clock for `Date` (RFC 9110 §6.6.1); `None` sends no `Date`, which keeps
    /// a session deterministic for replay.
    pub wall_clock: Option<WallClock>,
}

impl Default for HttpConfig {
    fn default() -> HttpConfig {
        HttpConfig {
            www: None,
            header_timeout: ServerConfig::default().header_timeout,
            idle_timeout: ServerConfig::default().idle_timeout,
            wall_clock: None,
        }
    }
}

/// One HTTP connection: the TCP handle and the HTTP state machine on it.
#[derive(Debug)]
struct Conn {
    handle: ConnHandle,
    peer: Option<SocketAddrV4>,
    http: ServerConnection,
    /// `on_eof` was called (TCP `recv` returned end of stream).
    eof: bool,
    /// As of the last time it was served (HTTP changes only then): the connection
    /// waits for input ([`ServerConnection::is_waiting_for_input`], no EOF yet) ...
    waiting: bool,
    /// ... and its timer ([`ServerConnection::poll_at`]).
    deadline: Option<Instant>,
    /// TCP's [`tundra_tcp::Endpoint::version`] of the connection when it was last
    /// found quiet: while it stays the same, TCP has had nothing for it since.
    quiet_at: Option<u64>,
}

impl Conn {
    fn new(handle: ConnHandle, peer: Option<SocketAddrV4>, http: ServerConnection) -> Conn {
        let mut conn = Conn {
            handle,
            peer,
            http,
            eof: false,
            waiting: false,
            deadline: None,
            quiet_at: None,
        };
        conn.note_state();
        conn
    }

    /// Caches what [`is_quiet`] and [`HttpService::poll_at`] ask of the HTTP state
    /// machine, so the connections nobody touched cost a few loads per round.
    fn note_state(&mut self) {
        self.waiting = self.http.is_waiting_for_input() && !self.eof;
        self.deadline = self.http.poll_at();
        self.quiet_at = None;
    }

    /// True if the connection was found quiet at TCP version `version` and its HTTP
    /// timer is not due: nothing can have happened to it since (O(1), without reading
    /// the TCP connection).
    fn still_quiet(&self, version: Option<u64>, now: Instant) -> bool {
        self.quiet_at.is_some() && self.quiet_at == version && self.deadline.is_none_or(|t| now < t)
    }
}

/// What serving a connection for one poll led to.
enum Outcome {
    /// Not served: nothing could have happened (see [`is_quiet`]).
    Quiet,
    /// Still open; `true` if anything moved.
    Open(bool),
    /// Closed (by us, by the peer's reset, or the TCP connection is gone).
    Gone,
    /// The 101 was sent: the connection now belongs to [`WsService`].
    Upgraded(Box<Upgrade>),
}

/// The web server: a listener on port 80 and its connections.
#[derive(Debug)]
pub struct HttpService {
    listener: Option<ListenerHandle>,
    server: Arc<Server>,
    conns: Vec<Conn>,
    live: Live,
    /// What the live snapshot was taken at: the instant, connections accepted, open.
    snapshot: Option<(Instant, u64, usize)>,
    stats: HttpStats,
    buf: Vec<u8>,
    /// Connections upgraded to WebSocket (`/echo`, `/chat`).
    ws: WsService,
}

impl HttpService {
    /// Listens on port 80 of the stack's address, with `config`.
    pub fn start(iface: &mut Interface, config: HttpConfig) -> HttpService {
        let addr = iface.address();
        let tcp = iface.tcp();
        let mut connection = tcp.config().connection.clone();
        // TCP_NODELAY, as web servers set it (nginx `tcp_nodelay on`): a response is
        // written whole, so Nagle would only hold back its last, short segment until
        // the client's delayed ACK (~40 ms on Linux) releases it.
        connection.nagle = false;
        let listen = ListenConfig {
            connection,
            syn_backlog: tcp.config().syn_backlog,
            accept_backlog: tcp.config().accept_backlog,
        };
        let listener = match tcp.listen_with(SocketAddrV4::new(addr, HTTP_PORT), listen) {
            Ok(l) => Some(l),
            Err(e) => {
                log::error!("tcp port {HTTP_PORT}: cannot listen: {e}");
                None
            }
        };
        let live: Live = Arc::new(Mutex::new(LiveStats {
            address: addr.to_string(),
            ..LiveStats::default()
        }));
        HttpService {
            listener,
            server: Arc::new(server(&live, config)),
            conns: Vec::new(),
            live,
            snapshot: None,
            stats: HttpStats::default(),
            buf: vec![0; 64 * 1024],
            ws: WsService::new(),
        }
    }

    /// Replaces the configuration. Connections already open keep the old one.
    pub fn configure(&mut self, config: HttpConfig) {
        self.server = Arc::new(server(&self.live, config));
    }

    /// Accepts new connections and serves every open one. Returns true if anything
    /// happened.
    pub fn poll(&mut self, now: Instant, iface: &mut Interface) -> bool {
        let mut worked = false;
        if let Some(listener) = self.listener {
            while let Some(handle) = iface.tcp().accept(listener) {
                let peer = iface.tcp_ref().connection(handle).map(|c| c.remote());
                log::debug!("http: connection {handle} from {peer:?}");
                let http = ServerConnection::new(self.server.clone(), now);
                self.conns.push(Conn::new(handle, peer, http));
                self.stats.connections += 1;
                worked = true;
            }
        }
        let mut i = 0;
        while i < self.conns.len() {
            let conn = &self.conns[i];
            // An idle keep-alive connection with nothing new from TCP: serving it would
            // only find that out (with -c100, most of them, every round). Known quiet
            // by its TCP version alone if nothing touched it since it was last found
            // quiet; else looked at without `connection_mut`, which would put it on
            // TCP's ready list for nothing.
            let version = iface.tcp_ref().version(conn.handle);
            if conn.still_quiet(version, now) {
                i += 1;
                continue;
            }
            let outcome = match iface.tcp_ref().connection(conn.handle) {
                Some(tcp) if is_quiet(conn, tcp, now) => {
                    self.conns[i].quiet_at = version;
                    Outcome::Quiet
                }
                Some(tcp) => {
                    // Handlers see the counters as of now (see the module doc).
                    let key = (now, self.stats.connections, self.conns.len());
                    if has_input(tcp) && self.snapshot != Some(key) {
                        refresh(&self.live, self.stats, self.conns.len(), iface);
                        self.snapshot = Some(key);
                    }
                    let conn = &mut self.conns[i];
                    match iface.tcp().connection_mut(conn.handle) {
                        Some(tcp) => serve(conn, tcp, now, &mut self.buf, &mut self.stats),
                        None => Outcome::Gone,
                    }
                }
                None => Outcome::Gone,
            };
            match outcome {
                Outcome::Quiet => i += 1,
                Outcome::Open(did) => {
                    self.conns[i].note_state();
                    worked |= did;
                    i += 1;
                }
                Outcome::Gone => {
                    let handle = self.conns[i].handle;
                    log::debug!("http: connection {handle} done");
                    // Releases the TCP connection (a no-op if we closed it already).
                    iface.tcp().close(handle);
                    self.conns.swap_remove(i);
                    worked = true;
                }
                Outcome::Upgraded(upgrade) => {
                    let mut conn = self.conns.swap_remove(i);
                    let more = conn.http.take_upgraded_input();
                    self.ws.adopt(now, conn.handle, conn.peer, *upgrade, more);
                    worked = true;
                }
            }
        }
        worked |= self.ws.poll(now, iface);
        worked
    }

    /// The earliest HTTP timer (header, body and idle timeouts).
    pub fn poll_at(&self) -> Option<Instant> {
        let http = self.conns.iter().filter_map(|c| c.deadline).min();
        match (http, self.ws.poll_at()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Refreshes the live pages' snapshot: the interface's and TCP's counters, the socket
/// table, and the web server's own counters (`stats`, with `open` connections).
fn refresh(live: &Live, stats: HttpStats, open: usize, iface: &Interface) {
    let mut live = live.lock().unwrap_or_else(|e| e.into_inner());
    live.iface = iface.counters().clone();
    live.tcp = iface.tcp_ref().counters();
    iface.tcp_ref().sockets_into(&mut live.sockets);
    live.http = HttpStats { open, ..stats };
}

/// The server (settings and routes) for `config`.
fn server(live: &Live, config: HttpConfig) -> Server {
    Server {
        config: ServerConfig {
            header_timeout: config.header_timeout,
            idle_timeout: config.idle_timeout,
            wall_clock: config.wall_clock,
            ..ServerConfig::default()
        },
        router: site::router(live.clone(), config.www),
    }
}

/// True if serving `conn` now would do nothing: HTTP waits for input, its timer is not
/// due, and the established TCP connection has no data, FIN or error to report.
fn is_quiet(conn: &Conn, tcp: &Connection, now: Instant) -> bool {
    conn.waiting
        && conn.deadline.is_none_or(|t| now < t)
        && tcp.state() == State::Established
        && !has_input(tcp)
}

/// True if TCP has something for the reader: data or the peer's FIN.
fn has_input(tcp: &Connection) -> bool {
    tcp.recv_queue() > 0 || tcp.peer_closed()
}

/// One poll of one connection (see the module doc for the steps).
fn serve(
    conn: &mut Conn,
    tcp: &mut Connection,
    now: Instant,
    buf: &mut [u8],
    stats: &mut HttpStats,
) -> Outcome {
    let mut did = false;
    if conn.http.poll_at().is_some_and(|t| now >= t) {
        let stalled = tcp.send_capacity_left() == 0;
        conn.http.on_timeout(now);
        did = true;
        if stalled && conn.http.wants_close() {
            // The peer took not a byte of our output for the whole idle timeout (a
            // zero window, or a slow-read attack): a FIN would only queue behind the
            // full send buffer and keep it alive. Reset, and free it now.
            log::info!(target: "tundra::http", "{:?}: peer stopped reading; reset", conn.peer);
            tcp.abort();
            return Outcome::Gone;
        }
    }
    let Some(sent) = flush(conn, tcp, now) else {
        return Outcome::Gone;
    };
    did |= sent;
    let mut budget = READ_SLICE;
    while !conn.eof && conn.http.wants_input() && budget > 0 {
        let want = budget.min(buf.len());
        match tcp.recv(&mut buf[..want]) {
            Ok(0) => {
                conn.eof = true;
                conn.http.on_eof(now);
                did = true;
            }
            Ok(n) => {
                budget -= n;
                conn.http.on_bytes(now, &buf[..n]);
                did = true;
            }
            Err(RecvError::WouldBlock) | Err(RecvError::NotConnected) => break,
            Err(_) => return Outcome::Gone,
        }
        // Answer as we go: pipelined responses leave in the same poll.
        if flush(conn, tcp, now).is_none() {
            return Outcome::Gone;
        }
    }
    let mut upgraded = None;
    while let Some(event) = conn.http.poll_event() {
        if let ServerEvent::Upgraded(upgrade) = event {
            upgraded = Some(Box::new(upgrade));
        } else if let ServerEvent::Access(entry) = event {
            stats.responses += 1;
            stats.body_bytes += entry.body_bytes;
            let class = usize::from(entry.status.0 / 100).clamp(1, 5);
            stats.by_class[class - 1] += 1;
            match conn.peer {
                Some(peer) => log::info!(target: "tundra::http", "{peer} {entry}"),
                None => log::info!(target: "tundra::http", "- {entry}"),
            }
        }
    }
    if let Some(upgrade) = upgraded {
        return Outcome::Upgraded(upgrade);
    }
    if conn.http.wants_close() {
        // RFC 9112 §9.6: read (and drop) what the peer already sent, so TCP closes with
        // a FIN rather than resetting over unread data.
        while let Ok(n) = tcp.recv(buf) {
            if n == 0 {
                break;
            }
        }
        tcp.close();
        return Outcome::Gone;
    }
    Outcome::Open(did)
}

/// Moves the connection's output into TCP until either runs out. `None` if the TCP
/// connection can take no more data ever (reset or closed under us).
fn flush(conn: &mut Conn, tcp: &mut Connection, now: Instant) -> Option<bool> {
    let mut did = false;
    while let Some(out) = conn.http.poll_transmit(now) {
        let len = out.len();
        match tcp.send(out) {
            Ok(n) => {
                conn.http.consume(n);
                did |= n > 0;
                if n < len {
                    break;
                }
            }
            Err(tundra_tcp::SendError::WouldBlock) => break,
            Err(e) => {
                log::debug!("http: {:?}: send failed: {e}", conn.peer);
                return None;
            }
        }
    }
    Some(did)
}
