//! `kernel-server`: the same services as `smoltcp-server` and `tundra run` (discard 9,
//! chargen 19 with the `N\n` protocol, the fixed 13-byte HTTP response on 80) on the
//! Linux kernel's own TCP, blocking sockets served by a pool of threads per port: the
//! ceiling in scripts/bench.sh.
//!
//! ```sh
//! kernel-server [--addr 10.0.1.2]
//! ```

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::{mpsc, Arc, Mutex};
use std::thread;

use tundra_bench::{
    chargen_pattern, ChargenRequest, RequestCounter, CHARGEN_PERIOD, CHARGEN_PORT, DISCARD_PORT,
    HTTP_PORT, HTTP_RESPONSE,
};

/// Bytes per read or write call.
const CHUNK: usize = 256 * 1024;

/// Worker threads per port, started up front: enough for `wrk -c100`, and no thread
/// is created per connection (that would cost more than the connection itself and
/// make the connect+close rate measure `clone(2)`).
const WORKERS: usize = 128;

fn main() -> ExitCode {
    let mut addr = Ipv4Addr::UNSPECIFIED;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match (flag.as_str(), it.next().map(|v| v.parse::<Ipv4Addr>())) {
            ("--addr", Some(Ok(a))) => addr = a,
            _ => {
                eprintln!("usage: kernel-server [--addr A.B.C.D]");
                return ExitCode::from(2);
            }
        }
    }
    let mut listeners = Vec::new();
    for port in [DISCARD_PORT, CHARGEN_PORT, HTTP_PORT] {
        match TcpListener::bind((addr, port)) {
            Ok(l) => listeners.push((port, l)),
            Err(e) => {
                eprintln!("kernel-server: bind {addr}:{port}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    eprintln!("kernel-server: up on {addr}: discard {DISCARD_PORT}, chargen {CHARGEN_PORT}, http {HTTP_PORT}");
    let threads: Vec<_> = listeners
        .into_iter()
        .map(|(port, listener)| thread::spawn(move || serve_port(port, &listener)))
        .collect();
    for t in threads {
        let _ = t.join();
    }
    ExitCode::SUCCESS
}

/// Accepts on one port and hands each connection to an idle worker of the port's pool.
fn serve_port(port: u16, listener: &TcpListener) {
    let (tx, rx) = mpsc::channel::<TcpStream>();
    let rx = Arc::new(Mutex::new(rx));
    for _ in 0..WORKERS {
        let rx = Arc::clone(&rx);
        thread::spawn(move || loop {
            let next = rx.lock().map(|r| r.recv());
            let Ok(Ok(stream)) = next else { return };
            let _ = match port {
                DISCARD_PORT => discard(stream),
                CHARGEN_PORT => chargen(stream),
                _ => http(stream),
            };
        });
    }
    for stream in listener.incoming().flatten() {
        if tx.send(stream).is_err() {
            return;
        }
    }
}

fn discard(mut s: TcpStream) -> std::io::Result<()> {
    let mut buf = vec![0; CHUNK];
    while s.read(&mut buf)? > 0 {}
    Ok(())
}

fn chargen(mut s: TcpStream) -> std::io::Result<()> {
    let mut request = ChargenRequest::default();
    let mut buf = [0u8; 64];
    while !request.is_done() {
        let n = s.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        request.feed(&buf[..n]);
    }
    let pattern = chargen_pattern(CHUNK);
    let limit = request.limit().unwrap_or(u64::MAX);
    let mut sent = 0u64;
    while sent < limit {
        let offset = (sent % CHARGEN_PERIOD as u64) as usize;
        let want = (limit - sent).min(CHUNK as u64) as usize;
        let n = s.write(&pattern[offset..offset + want])?;
        sent += n as u64;
    }
    s.shutdown(Shutdown::Write)
}

fn http(mut s: TcpStream) -> std::io::Result<()> {
    s.set_nodelay(true)?;
    let mut requests = RequestCounter::default();
    let mut buf = vec![0; 16 * 1024];
    let mut out = Vec::new();
    loop {
        let n = s.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        out.clear();
        for _ in 0..requests.feed(&buf[..n]) {
            out.extend_from_slice(HTTP_RESPONSE);
        }
        s.write_all(&out)?;
    }
}
