//! `tundra connect HOST:PORT`: an active open from our own TCP (curriculum Day 2's
//! client exercise, with the stack instead of the kernel), sending a file and saving
//! the reply. Prints a one-line summary with the transfer rates on stderr.

use std::io::Write;
use std::net::SocketAddrV4;
use std::process::ExitCode;

use tundra_core::{Duration, Instant};
use tundra_tcp::{ConnHandle, RecvError, SendError, State};
use tundra_tun::{Clock, Driver, Next, Stop};

use crate::cli::ConnectArgs;
use crate::setup::{bring_up, SetupError};

/// Connects, sends `--send`, writes what arrives to `--out`, and returns once both
/// directions are closed.
pub fn connect(args: ConnectArgs) -> Result<ExitCode, SetupError> {
    let target: SocketAddrV4 =
        args.target
            .parse()
            .map_err(|e: std::net::AddrParseError| SetupError::BadValue {
                what: "target (ADDR:PORT)",
                value: args.target.clone(),
                reason: e.to_string(),
            })?;
    let data = match &args.send {
        Some(path) => std::fs::read(path).map_err(|e| SetupError::BadValue {
            what: "file to send",
            value: path.display().to_string(),
            reason: e.to_string(),
        })?,
        None => Vec::new(),
    };
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| SetupError::BadValue {
                what: "output file",
                value: path.display().to_string(),
                reason: e.to_string(),
            })?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let stop = Stop::on_signals()?;
    let clock = Clock::start();
    let (mut dev, mut iface) = bring_up(&args.device, &clock)?;
    let deadline = Instant::ZERO + Duration::from_micros((args.timeout.max(0.0) * 1e6) as u64);

    let mut handle: Option<ConnHandle> = None;
    let mut sent = 0usize;
    let mut received = 0u64;
    let mut eof = false;
    let mut failure: Option<String> = None;
    let mut connected_at: Option<Instant> = None;
    let mut finished_at = Instant::ZERO;
    let mut closing_since: Option<Instant> = None;
    let mut buf = vec![0u8; 64 * 1024];

    let mut driver = Driver::new(clock, stop);
    driver.run(&mut dev, |now, dev| {
        let h = match handle {
            Some(h) => h,
            None => {
                let local = iface.address();
                match iface.tcp().connect(now, local, target) {
                    Ok(h) => {
                        handle = Some(h);
                        h
                    }
                    Err(e) => {
                        failure = Some(format!("connect: {e}"));
                        return Ok(Next::Exit);
                    }
                }
            }
        };
        for _ in 0..64 {
            let moved = iface.poll_device(now, dev);
            let mut worked = false;
            let Some(conn) = iface.tcp().connection_mut(h) else {
                if !eof || sent < data.len() {
                    failure = Some("connection closed before the peer finished".into());
                }
                return Ok(Next::Exit);
            };
            if connected_at.is_none() && conn.state() == State::Established {
                connected_at = Some(now);
            }
            if sent < data.len() {
                match conn.send(&data[sent..]) {
                    Ok(n) => {
                        sent += n;
                        worked |= n > 0;
                    }
                    Err(SendError::WouldBlock) => {}
                    Err(e) => {
                        failure = Some(format!("send: {e}"));
                        return Ok(Next::Exit);
                    }
                }
            }
            if sent == data.len() && conn.state().is_synchronized() {
                conn.shutdown();
            }
            while !eof {
                match conn.recv(&mut buf) {
                    Ok(0) => {
                        if !eof {
                            eof = true;
                            finished_at = now;
                        }
                        break;
                    }
                    Ok(n) => {
                        received += n as u64;
                        worked = true;
                        if let Err(e) = out.write_all(&buf[..n]) {
                            failure = Some(format!("writing output: {e}"));
                            return Ok(Next::Exit);
                        }
                    }
                    Err(RecvError::WouldBlock) | Err(RecvError::NotConnected) => break,
                    Err(e) => {
                        failure = Some(format!("recv: {e}"));
                        return Ok(Next::Exit);
                    }
                }
            }
            if eof && sent == data.len() {
                // Both directions done: close, and stay until our FIN is acknowledged
                // (TIME-WAIT) so the peer sees a clean close, for at most 2 s.
                conn.close();
                let closing = *closing_since.get_or_insert(now);
                if matches!(conn.state(), State::TimeWait | State::Closed)
                    || now - closing > Duration::from_secs(2)
                {
                    iface.poll_device(now, dev);
                    return Ok(Next::Exit);
                }
            }
            if !moved && !worked {
                break;
            }
        }
        if now >= deadline {
            failure = Some(format!("timed out after {:.1} s", args.timeout));
            return Ok(Next::Exit);
        }
        let next = [iface.poll_at(), Some(deadline)]
            .into_iter()
            .flatten()
            .min();
        Ok(Next::Wait(next))
    })?;
    let _ = out.flush();
    if let Some(f) = failure {
        eprintln!(
            "tundra: {f} (sent {sent} of {} bytes, received {received})",
            data.len()
        );
        return Ok(ExitCode::from(1));
    }
    let secs = (finished_at - connected_at.unwrap_or(Instant::ZERO))
        .total_micros()
        .max(1) as f64
        / 1e6;
    eprintln!(
        "connected to {target}: sent {sent} bytes, received {received} bytes in {secs:.2} s ({:.1} MB/s in, {:.1} MB/s out)",
        received as f64 / secs / 1e6,
        sent as f64 / secs / 1e6
    );
    Ok(ExitCode::SUCCESS)
}
