//! Tundra's TCP against smoltcp 0.14's, both whole stacks, over the simulated IP link
//! of `tundra_testkit::iplink`: a matrix of loss rates x reordering x who connects,
//! plus rows with duplication and corruption, several seeds per cell.
//!
//! In every run the client uploads [`BYTES`] of seeded pseudo-random data while the
//! server sends [`BYTES`] back at the same time; each side shuts down its sending
//! half once everything is queued, and the run ends when both have read every byte
//! and the FIN, and both connections are closed (CLOSED or TIME-WAIT). Every byte
//! is compared with what was sent. A run that has not finished by [`DEADLINE`] of
//! simulated time fails with the cell, the seed and where each side got to.
//!
//! The completion times (simulated, so deterministic for a seed) are kept as a table
//! in `tests/snapshots/smoltcp_interop.txt`, like smoltcp's own `tests/netsim.rs`:
//! a change in either stack's behaviour shows in review as a change of that file.
//! After a deliberate change, rewrite it with
//!
//! ```sh
//! UPDATE_SNAPSHOTS=1 cargo test --release -p tundra-testkit --test smoltcp_interop
//! ```

use core::fmt::Write as _;
use core::net::SocketAddrV4;

use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp as stcp;
use smoltcp::wire::IpAddress;
use tundra_core::{Duration, Instant, Rng};
use tundra_tcp::{CloseReason, ConnHandle, Endpoint, Event, ListenerHandle, RecvError, State};
use tundra_testkit::iplink::{Impairments, IpSim, IpSimConfig, WireStats};

/// Bytes each way in every run.
const BYTES: usize = 1024 * 1024;
/// Simulated time a run may take before it counts as stuck.
const DEADLINE: Duration = Duration::from_secs(300);
/// The server's port.
const PORT: u16 = 5001;
/// smoltcp's socket buffers, the same as Tundra's defaults (256 KiB each way).
const SMOL_BUFFER: usize = 256 * 1024;
/// Packets of each direction kept to print when a run fails. `INTEROP_LOG='cell
/// [...] seed N'` (the name a failure prints) keeps and prints them all.
const LOG_PACKETS: usize = 40;
/// Seeds of every cell.
const SEEDS: [u64; 4] = [1, 2, 3, 4];

/// Who opens the connection (and uploads); the other side listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client {
    Tundra,
    Smoltcp,
}

/// One cell of the matrix: the impairments of both directions of the link.
#[derive(Debug, Clone, Copy)]
struct Cell {
    client: Client,
    loss: f64,
    reorder: bool,
    duplicate: f64,
    corrupt: f64,
}

impl Cell {
    fn link(&self) -> Impairments {
        Impairments {
            loss: self.loss,
            duplicate: self.duplicate,
            reorder: if self.reorder { 0.05 } else { 0.0 },
            reorder_delay: Duration::from_millis(8),
            corrupt: self.corrupt,
            ..Impairments::default()
        }
    }

    fn name(&self) -> String {
        format!(
            "{} client, loss {}%, reorder {}, dup {}%, corrupt {}%",
            match self.client {
                Client::Tundra => "tundra",
                Client::Smoltcp => "smoltcp",
            },
            self.loss * 100.0,
            if self.reorder { "on" } else { "off" },
            self.duplicate * 100.0,
            self.corrupt * 100.0,
        )
    }
}

/// The matrix: loss {0, 1, 5, 10}% x reordering {off, on} x both clients, then
/// duplication, corruption and everything at once, for both clients.
fn cells() -> Vec<Cell> {
    let mut cells = Vec::new();
    for client in [Client::Tundra, Client::Smoltcp] {
        for loss in [0.0, 0.01, 0.05, 0.10] {
            for reorder in [false, true] {
                cells.push(Cell {
                    client,
                    loss,
                    reorder,
                    duplicate: 0.0,
                    corrupt: 0.0,
                });
            }
        }
        for (loss, reorder, duplicate, corrupt) in [
            (0.0, false, 0.05, 0.0),
            (0.0, false, 0.0, 0.05),
            (0.02, true, 0.02, 0.02),
        ] {
            cells.push(Cell {
                client,
                loss,
                reorder,
                duplicate,
                corrupt,
            });
        }
    }
    cells
}

/// One direction of the byte stream as one side sees it.
#[derive(Debug, Default)]
struct Stream {
    /// Bytes handed to the socket so far.
    sent: usize,
    /// The sending half is shut down (FIN queued).
    shut: bool,
    /// Bytes read from the socket.
    received: Vec<u8>,
    /// The peer's FIN was read.
    eof: bool,
    /// When the last byte was read.
    complete_at: Option<Instant>,
}

impl Stream {
    fn note_received(&mut self, bytes: &[u8], now: Instant) {
        self.received.extend_from_slice(bytes);
        if self.received.len() >= BYTES && self.complete_at.is_none() {
            self.complete_at = Some(now);
        }
    }
}

/// Tundra's application: a listener (server) or a connect (client), then a pump.
#[derive(Debug)]
struct TundraApp {
    listener: Option<ListenerHandle>,
    handle: Option<ConnHandle>,
    stream: Stream,
    closed: Option<CloseReason>,
}

impl TundraApp {
    fn pump(&mut self, ep: &mut Endpoint, out: &[u8], now: Instant) {
        if self.handle.is_none() {
            if let Some(l) = self.listener {
                self.handle = ep.accept(l);
            }
        }
        while let Some((h, ev)) = ep.poll_event() {
            if Some(h) == self.handle {
                if let Event::Closed(reason) = ev {
                    self.closed = Some(reason);
                }
            }
        }
        let Some(h) = self.handle else { return };
        let Some(conn) = ep.connection_mut(h) else {
            return;
        };
        let s = &mut self.stream;
        if conn.state() != State::SynSent && conn.state() != State::SynReceived {
            while s.sent < out.len() {
                match conn.send(&out[s.sent..]) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => s.sent += n,
                }
            }
            if s.sent == out.len() && !s.shut {
                conn.shutdown();
                s.shut = true;
            }
        }
        let mut buf = [0u8; 16 * 1024];
        loop {
            match conn.recv(&mut buf) {
                Ok(0) => {
                    s.eof = true;
                    break;
                }
                Ok(n) => s.note_received(&buf[..n], now),
                Err(RecvError::WouldBlock) | Err(RecvError::NotConnected) => break,
                Err(e) => panic!("tundra recv failed: {e}"),
            }
        }
    }

    /// Closed cleanly: gone, CLOSED or in TIME-WAIT, and never reset.
    fn is_closed(&self, ep: &Endpoint) -> bool {
        let Some(h) = self.handle else { return false };
        let state_done = ep
            .connection(h)
            .is_none_or(|c| matches!(c.state(), State::Closed | State::TimeWait));
        state_done && self.closed.is_none_or(|r| r == CloseReason::Normal)
    }

    fn state(&self, ep: &Endpoint) -> String {
        match self.handle.and_then(|h| ep.connection(h)) {
            Some(c) => format!("{:?}", c.state()),
            None if self.handle.is_some() => format!("gone ({:?})", self.closed),
            None => "not accepted".into(),
        }
    }
}

/// smoltcp's application: one socket that listens or connects, then a pump.
#[derive(Debug)]
struct SmolApp {
    handle: SocketHandle,
    stream: Stream,
}

impl SmolApp {
    fn pump(&mut self, socket: &mut stcp::Socket<'_>, out: &[u8], now: Instant) {
        let s = &mut self.stream;
        if socket.may_send() {
            while s.sent < out.len() {
                match socket.send_slice(&out[s.sent..]) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => s.sent += n,
                }
            }
        }
        if s.sent == out.len() && !s.shut {
            socket.close();
            s.shut = true;
        }
        let mut buf = [0u8; 16 * 1024];
        loop {
            match socket.recv_slice(&mut buf) {
                Ok(0) => break,
                Ok(n) => s.note_received(&buf[..n], now),
                Err(stcp::RecvError::Finished) => {
                    s.eof = true;
                    break;
                }
                Err(stcp::RecvError::InvalidState) => break,
            }
        }
    }
}

/// What one run measured.
#[derive(Debug)]
struct Outcome {
    /// The server had read the client's last byte.
    upload: Instant,
    /// The client had read the server's last byte.
    download: Instant,
    /// Both connections were closed.
    closed: Instant,
    to_smoltcp: WireStats,
    to_tundra: WireStats,
    /// Tundra's retransmissions (all kinds).
    tundra_retransmits: u64,
}

/// `len` seeded pseudo-random bytes.
fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    Rng::from_seed(seed).fill_bytes(&mut v);
    v
}

/// Where the received stream first differs from the sent one, for the message.
fn first_difference(sent: &[u8], received: &[u8]) -> Option<usize> {
    sent.iter()
        .zip(received)
        .position(|(a, b)| a != b)
        .or((sent.len() != received.len()).then_some(sent.len().min(received.len())))
}

/// Runs one cell with one seed to the end; panics, naming both, if a transfer is not
/// byte-exact, a connection does not close cleanly, or the deadline passes.
fn run(cell: &Cell, seed: u64) -> Outcome {
    let what = format!("cell [{}] seed {seed}", cell.name());
    let mut sim = IpSim::new(IpSimConfig::symmetric(cell.link(), seed));
    // The last packets each way, printed if the run fails.
    sim.keep_log(LOG_PACKETS);
    if std::env::var_os("INTEROP_LOG").is_some_and(|v| v == what.as_str()) {
        sim.keep_log(usize::MAX);
    }
    let upload = random_bytes(seed ^ 0x75_70, BYTES);
    let download = random_bytes(seed ^ 0x64_6f_77_6e, BYTES);
    let (tundra_out, smol_out) = match cell.client {
        Client::Tundra => (&upload, &download),
        Client::Smoltcp => (&download, &upload),
    };

    let socket = stcp::Socket::new(
        stcp::SocketBuffer::new(vec![0; SMOL_BUFFER]),
        stcp::SocketBuffer::new(vec![0; SMOL_BUFFER]),
    );
    let mut smol = SmolApp {
        handle: sim.sockets.add(socket),
        stream: Stream::default(),
    };
    let mut tundra = TundraApp {
        listener: None,
        handle: None,
        stream: Stream::default(),
        closed: None,
    };
    let tundra_server = SocketAddrV4::new(IpSim::TUNDRA_IP, PORT);
    match cell.client {
        Client::Tundra => {
            sim.sockets
                .get_mut::<stcp::Socket>(smol.handle)
                .listen(PORT)
                .expect("smoltcp listens");
            let remote = SocketAddrV4::new(IpSim::SMOLTCP_IP, PORT);
            let now = sim.now;
            tundra.handle = Some(
                sim.tundra
                    .tcp()
                    .connect(now, IpSim::TUNDRA_IP, remote)
                    .expect("tundra connects"),
            );
        }
        Client::Smoltcp => {
            tundra.listener = Some(sim.tundra.tcp().listen(tundra_server).expect("listen"));
            let [a, b, c, d] = IpSim::TUNDRA_IP.octets();
            let local_port = 49_152 + (seed % 1000) as u16;
            let cx = sim.smol.context();
            sim.sockets
                .get_mut::<stcp::Socket>(smol.handle)
                .connect(cx, (IpAddress::v4(a, b, c, d), PORT), local_port)
                .expect("smoltcp connects");
        }
    }

    let deadline = Instant::ZERO + DEADLINE;
    let mut same_instant = 0u32;
    let closed_at = loop {
        let now = sim.now;
        sim.poll();
        tundra.pump(sim.tundra.tcp(), tundra_out, now);
        let socket = sim.sockets.get_mut::<stcp::Socket>(smol.handle);
        smol.pump(socket, smol_out, now);
        let smol_state = socket.state();
        sim.poll();

        let done = tundra.stream.eof
            && smol.stream.eof
            && tundra.stream.shut
            && smol.stream.shut
            && tundra.is_closed(sim.tundra.tcp_ref())
            && matches!(smol_state, stcp::State::Closed | stcp::State::TimeWait);
        if done {
            break now;
        }
        let progressed = sim.advance(deadline);
        if sim.now == now {
            same_instant += 1;
        } else {
            same_instant = 0;
        }
        if !progressed || sim.now >= deadline || same_instant > 10_000 {
            panic!(
                "{what}: stuck at t={} ({}): tundra {} sent {}/{BYTES} read {} eof {}; \
                 smoltcp {smol_state} sent {}/{BYTES} read {} eof {}; link {:?}; \
                 last packets:\n{}",
                sim.now,
                if progressed {
                    "deadline or no progress"
                } else {
                    "nothing scheduled"
                },
                tundra.state(sim.tundra.tcp_ref()),
                tundra.stream.sent,
                tundra.stream.received.len(),
                tundra.stream.eof,
                smol.stream.sent,
                smol.stream.received.len(),
                smol.stream.eof,
                sim,
                sim.log_text(),
            );
        }
    };

    if std::env::var_os("INTEROP_LOG").is_some_and(|v| v == what.as_str()) {
        eprintln!("{what}:\n{}", sim.log_text());
    }

    // Byte exact both ways.
    let tundra_in = match cell.client {
        Client::Tundra => &download,
        Client::Smoltcp => &upload,
    };
    let smol_in = match cell.client {
        Client::Tundra => &upload,
        Client::Smoltcp => &download,
    };
    if let Some(i) = first_difference(tundra_in, &tundra.stream.received) {
        panic!(
            "{what}: tundra read {} bytes, differing from what smoltcp sent at byte {i}",
            tundra.stream.received.len()
        );
    }
    if let Some(i) = first_difference(smol_in, &smol.stream.received) {
        panic!(
            "{what}: smoltcp read {} bytes, differing from what tundra sent at byte {i}",
            smol.stream.received.len()
        );
    }

    // Every corrupted packet that reached Tundra was dropped by a check (IP header
    // checksum, version, lengths, or the TCP checksum), none slipped through. A
    // version nibble flipped to 6 reads as IPv6 on a TUN device, which we skip.
    let to_tundra = sim.to_tundra_stats();
    let counters = sim.tundra.counters();
    let tcp = sim.tundra.tcp_ref().counters();
    let damaged = counters.eth_ipv6_skipped
        + counters.ip_bad_checksum
        + counters.ip_bad_version
        + counters.ip_malformed
        + tcp.bad_checksum
        + tcp.malformed
        + tcp.malformed_option;
    assert_eq!(
        damaged,
        to_tundra.corrupted_delivered,
        "{what}: tundra dropped {damaged} damaged packets, the link corrupted {} it \
         delivered; tundra's counters: {:?}\ntcp: {tcp}",
        to_tundra.corrupted_delivered,
        counters
            .entries()
            .into_iter()
            .filter(|e| e.3 != 0)
            .map(|e| (e.1, e.3))
            .collect::<Vec<_>>(),
    );

    let (tundra_stream, smol_stream) = (&tundra.stream, &smol.stream);
    let (upload_at, download_at) = match cell.client {
        Client::Tundra => (smol_stream.complete_at, tundra_stream.complete_at),
        Client::Smoltcp => (tundra_stream.complete_at, smol_stream.complete_at),
    };
    Outcome {
        upload: upload_at.expect("upload complete"),
        download: download_at.expect("download complete"),
        closed: closed_at,
        to_smoltcp: sim.to_smoltcp_stats(),
        to_tundra,
        tundra_retransmits: tcp.conn.retransmits,
    }
}

fn mbit_per_s(at: Instant) -> f64 {
    (BYTES * 8) as f64 / at.total_micros().max(1) as f64
}

fn ms(at: Instant) -> String {
    format!(
        "{}.{:03}",
        at.total_micros() / 1000,
        at.total_micros() % 1000
    )
}

/// The table of every cell and seed.
fn table(results: &[(Cell, u64, Outcome)]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Tundra <-> smoltcp 0.14 over a simulated IP link: {} KiB each way per run, \
         5 ms one way, 100 Mbit/s each way, MTU 1500.",
        BYTES / 1024
    );
    let _ = writeln!(
        s,
        "# reorder on = 5% of packets held back up to 8 ms. Times are simulated ms from \
         the SYN; up = client to server."
    );
    let _ = writeln!(
        s,
        "# Regenerate: UPDATE_SNAPSHOTS=1 cargo test --release -p tundra-testkit --test \
         smoltcp_interop"
    );
    let _ = writeln!(
        s,
        "{:<8} {:>5} {:>4} {:>4} {:>4} {:>4} | {:>9} {:>9} {:>9} | {:>6} {:>6} | \
         {:>14} | {:>14} | {:>6}",
        "client",
        "loss%",
        "reo",
        "dup%",
        "cor%",
        "seed",
        "up ms",
        "down ms",
        "closed ms",
        "up Mb",
        "dn Mb",
        "t>s drp/dup/cor",
        "s>t drp/dup/cor",
        "t rtx"
    );
    for (cell, seed, o) in results {
        let _ = writeln!(
            s,
            "{:<8} {:>5} {:>4} {:>4} {:>4} {:>4} | {:>9} {:>9} {:>9} | {:>6.2} {:>6.2} | \
             {:>14} | {:>14} | {:>6}",
            match cell.client {
                Client::Tundra => "tundra",
                Client::Smoltcp => "smoltcp",
            },
            cell.loss * 100.0,
            if cell.reorder { "on" } else { "off" },
            cell.duplicate * 100.0,
            cell.corrupt * 100.0,
            seed,
            ms(o.upload),
            ms(o.download),
            ms(o.closed),
            mbit_per_s(o.upload),
            mbit_per_s(o.download),
            format!(
                "{}/{}/{}",
                o.to_smoltcp.dropped, o.to_smoltcp.duplicated, o.to_smoltcp.corrupted
            ),
            format!(
                "{}/{}/{}",
                o.to_tundra.dropped, o.to_tundra.duplicated, o.to_tundra.corrupted
            ),
            o.tundra_retransmits,
        );
    }
    s
}

/// A readable line diff of the snapshot: every line that differs, with its number.
fn diff(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let mut out = String::new();
    for i in 0..e.len().max(a.len()) {
        let (x, y) = (e.get(i), a.get(i));
        if x != y {
            if let Some(x) = x {
                let _ = writeln!(out, "{:>4} - {x}", i + 1);
            }
            if let Some(y) = y {
                let _ = writeln!(out, "{:>4} + {y}", i + 1);
            }
        }
    }
    out
}

#[test]
fn interop_matrix_is_byte_exact_and_matches_the_snapshot() {
    let cells = cells();
    let jobs: Vec<(Cell, u64)> = cells
        .iter()
        .flat_map(|c| SEEDS.iter().map(move |&s| (*c, s)))
        .collect();
    // The runs are independent and each is deterministic: spread them over the
    // cores, keep the results in matrix order.
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4);
    let mut results: Vec<Option<Outcome>> = (0..jobs.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let jobs = &jobs;
                scope.spawn(move || {
                    (w..jobs.len())
                        .step_by(workers)
                        .map(|i| (i, run(&jobs[i].0, jobs[i].1)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(done) => {
                    for (i, o) in done {
                        results[i] = Some(o);
                    }
                }
                Err(e) => std::panic::resume_unwind(e),
            }
        }
    });
    let results: Vec<(Cell, u64, Outcome)> = jobs
        .into_iter()
        .zip(results)
        .map(|((c, s), o)| (c, s, o.expect("every run finished")))
        .collect();
    let actual = table(&results);

    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/snapshots/smoltcp_interop.txt"
    );
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots"))
            .expect("create snapshots dir");
        std::fs::write(path, &actual).expect("write snapshot");
        eprintln!("wrote {path}:\n{actual}");
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        expected == actual,
        "the interop table changed (if on purpose: UPDATE_SNAPSHOTS=1 cargo test --release \
         -p tundra-testkit --test smoltcp_interop):\n{}\nnew table:\n{actual}",
        diff(&expected, &actual)
    );
}
