//! The classic TCP test services, on our own TCP: echo (RFC 862, port 7), discard
//! (RFC 863, port 9) and chargen (RFC 864, port 19).
//!
//! - **echo** sends back every byte, with backpressure: it reads only what it can
//!   write, so a slow reader slows the writer instead of filling our memory.
//! - **discard** reads and drops everything; at the end of each connection it logs the
//!   byte count and SHA-256 of what arrived, so a test can prove every byte made it.
//! - **chargen** streams RFC 864's rotating 72-character lines until the client closes.
//!   A client that wants a known length sends a decimal number and a newline (e.g.
//!   `104857600\n`) and gets exactly that many bytes of the pattern, then FIN: a
//!   deterministic stream a client can verify by hash. So that a request delayed by
//!   loss still counts, the stream waits for the first line for up to
//!   [`REQUEST_GRACE`]; a client that sends nothing gets the endless RFC 864 stream
//!   after that.

use std::net::SocketAddrV4;

use sha2::{Digest, Sha256};
use tundra_core::Instant;
use tundra_stack::Interface;
use tundra_tcp::{ConnHandle, ListenerHandle, RecvError};

/// Bytes moved per connection per poll, so one busy connection cannot starve others.
const SLICE: usize = 64 * 1024;

/// How long chargen waits for a length request before it streams without one. A
/// request lost once is resent after an RTO (Linux: 200 ms at least), and the stream
/// must not have started by then, or the count would be wrong.
pub const REQUEST_GRACE: tundra_core::Duration = tundra_core::Duration::from_secs(1);

/// What each demo port does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Echo,
    Discard,
    Chargen,
}

#[derive(Debug)]
struct Conn {
    handle: ConnHandle,
    kind: Kind,
    /// echo: bytes read but not yet accepted by `send`.
    pending: Vec<u8>,
    /// discard: running hash and count.
    hash: Sha256,
    received: u64,
    /// chargen: bytes sent so far, the requested total, the request line so far,
    /// and when the stream may start without a request (`None` once it started).
    sent: u64,
    limit: Option<u64>,
    request: Vec<u8>,
    wait_until: Option<Instant>,
    peer: Option<SocketAddrV4>,
    closing: bool,
}

impl Conn {
    fn new(now: Instant, handle: ConnHandle, kind: Kind, peer: Option<SocketAddrV4>) -> Conn {
        Conn {
            handle,
            kind,
            pending: Vec::new(),
            hash: Sha256::new(),
            received: 0,
            sent: 0,
            limit: None,
            request: Vec::new(),
            wait_until: (kind == Kind::Chargen).then_some(now + REQUEST_GRACE),
            peer,
            closing: false,
        }
    }
}

/// The RFC 864 character at stream offset `i`: 72 printable characters per line,
/// starting one character later on each line, then CR LF. Repeats every 95 lines.
pub fn chargen_byte(i: u64) -> u8 {
    let (line, col) = (i / 74, i % 74);
    match col {
        72 => b'\r',
        73 => b'\n',
        _ => 32 + ((line + col) % 95) as u8,
    }
}

/// echo, discard and chargen on the stack's address.
#[derive(Debug)]
pub struct TcpServices {
    listeners: Vec<(ListenerHandle, Kind)>,
    conns: Vec<Conn>,
    buf: Vec<u8>,
    pattern: Vec<u8>,
    discard_hash: bool,
}

impl TcpServices {
    /// Listens on ports 7, 9 and 19.
    pub fn start(iface: &mut Interface) -> TcpServices {
        let addr = iface.address();
        let mut listeners = Vec::new();
        for (port, kind) in [(7, Kind::Echo), (9, Kind::Discard), (19, Kind::Chargen)] {
            match iface.tcp().listen(SocketAddrV4::new(addr, port)) {
                Ok(l) => listeners.push((l, kind)),
                Err(e) => log::error!("tcp port {port}: cannot listen: {e}"),
            }
        }
        // One period of the pattern (95 lines) plus a slice, so any offset can be sent
        // from a contiguous slice.
        let pattern = (0..(95 * 74 + SLICE) as u64).map(chargen_byte).collect();
        TcpServices {
            listeners,
            conns: Vec::new(),
            buf: vec![0; SLICE],
            pattern,
            discard_hash: true,
        }
    }

    /// When a chargen connection that got no request yet starts streaming anyway.
    pub fn poll_at(&self) -> Option<Instant> {
        self.conns
            .iter()
            .filter(|c| !c.closing)
            .filter_map(|c| c.wait_until)
            .min()
    }

    /// Whether discard hashes what it reads (the default) or only counts it. The hash
    /// is how tests prove every byte arrived; at a few hundred MB/s it is also a
    /// quarter of the stack's CPU time, which a benchmark of the stack leaves out.
    pub fn set_discard_hash(&mut self, on: bool) {
        self.discard_hash = on;
    }

    /// Accepts new connections and moves data on every open one. Returns true if
    /// anything happened.
    pub fn poll(&mut self, now: Instant, iface: &mut Interface) -> bool {
        let mut worked = false;
        for &(listener, kind) in &self.listeners {
            while let Some(handle) = iface.tcp().accept(listener) {
                let peer = iface.tcp().connection(handle).map(|c| c.remote());
                log::debug!("{kind:?}: connection {handle} from {peer:?}");
                self.conns.push(Conn::new(now, handle, kind, peer));
                worked = true;
            }
        }
        let mut i = 0;
        while i < self.conns.len() {
            let (alive, did) = self.serve(now, i, iface);
            worked |= did;
            if alive {
                i += 1;
            } else {
                // A connection that ended by itself (reset, timeout) keeps its slot in
                // the endpoint until its user closes it.
                let conn = self.conns.swap_remove(i);
                iface.tcp().close(conn.handle);
            }
        }
        worked
    }

    /// Serves connection `i`; returns (still alive, did something).
    fn serve(&mut self, now: Instant, i: usize, iface: &mut Interface) -> (bool, bool) {
        let hash = self.discard_hash;
        let conn = &mut self.conns[i];
        let Some(tcp) = iface.tcp().connection_mut(conn.handle) else {
            return (false, false);
        };
        if conn.closing {
            return (true, false);
        }
        let mut did = false;
        match conn.kind {
            Kind::Echo => {
                // Write what is pending first; read only when all is written.
                if !conn.pending.is_empty() {
                    if let Ok(n) = tcp.send(&conn.pending) {
                        conn.pending.drain(..n);
                        did |= n > 0;
                    }
                }
                if conn.pending.is_empty() {
                    match tcp.recv(&mut self.buf) {
                        Ok(0) => {
                            tcp.close();
                            conn.closing = true;
                            did = true;
                        }
                        Ok(n) => {
                            let sent = tcp.send(&self.buf[..n]).unwrap_or(0);
                            conn.pending.extend_from_slice(&self.buf[sent..n]);
                            did = true;
                        }
                        Err(RecvError::WouldBlock) | Err(RecvError::NotConnected) => {}
                        Err(_) => return (false, did),
                    }
                }
            }
            Kind::Discard => loop {
                match tcp.recv(&mut self.buf) {
                    Ok(0) => {
                        if hash {
                            log::info!(
                                "discard: {:?} sent {} bytes sha256 {:x}",
                                conn.peer,
                                conn.received,
                                std::mem::take(&mut conn.hash).finalize()
                            );
                        } else {
                            log::info!("discard: {:?} sent {} bytes", conn.peer, conn.received);
                        }
                        tcp.close();
                        conn.closing = true;
                        did = true;
                        break;
                    }
                    Ok(n) => {
                        if hash {
                            conn.hash.update(&self.buf[..n]);
                        }
                        conn.received += n as u64;
                        did = true;
                    }
                    Err(RecvError::WouldBlock) | Err(RecvError::NotConnected) => break,
                    Err(_) => return (false, did),
                }
            },
            Kind::Chargen => {
                // Read the optional length request (and anything else, which is
                // ignored, as RFC 864 says data received is thrown away).
                loop {
                    match tcp.recv(&mut self.buf) {
                        Ok(0) => {
                            // The client is done listening.
                            tcp.close();
                            conn.closing = true;
                            return (true, true);
                        }
                        Ok(n) => {
                            did = true;
                            if conn.wait_until.is_some() {
                                conn.request.extend_from_slice(&self.buf[..n]);
                                if let Some(pos) = conn.request.iter().position(|&b| b == b'\n') {
                                    let line = String::from_utf8_lossy(&conn.request[..pos]);
                                    conn.limit = line.trim().parse().ok();
                                    conn.wait_until = None;
                                } else if conn.request.len() >= 32 {
                                    // Not a length request: the endless stream.
                                    conn.wait_until = None;
                                }
                                if conn.wait_until.is_none() {
                                    conn.request = Vec::new();
                                }
                            }
                        }
                        Err(RecvError::WouldBlock) | Err(RecvError::NotConnected) => break,
                        Err(_) => return (false, did),
                    }
                }
                match conn.wait_until {
                    Some(at) if now < at => return (true, did),
                    Some(_) => conn.wait_until = None,
                    None => {}
                }
                let remaining = conn.limit.map_or(u64::MAX, |l| l.saturating_sub(conn.sent));
                if remaining == 0 {
                    tcp.close();
                    conn.closing = true;
                    return (true, true);
                }
                let offset = (conn.sent % (95 * 74)) as usize;
                let want = (remaining.min(SLICE as u64)) as usize;
                if let Ok(n) = tcp.send(&self.pattern[offset..offset + want]) {
                    conn.sent += n as u64;
                    did |= n > 0;
                }
            }
        }
        (true, did)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chargen_pattern_is_rfc864() {
        let first: Vec<u8> = (0..74).map(chargen_byte).collect();
        assert_eq!(&first[..4], b" !\"#");
        assert_eq!(&first[72..], b"\r\n");
        // The second line starts one character later.
        assert_eq!(chargen_byte(74), b'!');
        // 95 lines later it repeats.
        assert_eq!(chargen_byte(95 * 74 + 5), chargen_byte(5));
    }
}
