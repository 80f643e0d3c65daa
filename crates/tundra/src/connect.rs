//! `tundra connect HOST:PORT`: an active open from our own TCP (curriculum Day 2's
//! client exercise, with the stack instead of the kernel), sending a file and saving
//! the reply. Prints a one-line summary with the transfer rates on stderr.

use std::io::Write;
use std::net::SocketAddrV4;
use std::process::ExitCode;

use tundra_core::Instant;
use tundra_tcp::{CloseReason, Connection, RecvError, SendError};

use crate::cli::ConnectArgs;
use crate::client::{self, ClientApp, Step};
use crate::setup::SetupError;

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
    let out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| SetupError::BadValue {
                what: "output file",
                value: path.display().to_string(),
                reason: e.to_string(),
            })?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut app = Transfer {
        data,
        sent: 0,
        received: 0,
        eof_at: None,
        out,
        buf: vec![0u8; 64 * 1024],
    };
    let outcome = client::run(&args.device, target, args.timeout, &mut app)?;
    let Transfer {
        data,
        sent,
        received,
        eof_at,
        mut out,
        ..
    } = app;
    let _ = out.flush();
    if let Some(f) = outcome.failure {
        eprintln!(
            "tundra: {f} (sent {sent} of {} bytes, received {received})",
            data.len()
        );
        return Ok(ExitCode::from(1));
    }
    let finished_at = eof_at.unwrap_or(Instant::ZERO);
    let secs = (finished_at - outcome.connected_at.unwrap_or(Instant::ZERO))
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

/// Sends a file, writes what comes back, half-closes once all is sent and ends at the
/// peer's FIN.
struct Transfer {
    data: Vec<u8>,
    sent: usize,
    received: u64,
    /// When the peer's FIN was read.
    eof_at: Option<Instant>,
    out: Box<dyn Write>,
    buf: Vec<u8>,
}

impl ClientApp for Transfer {
    fn round(&mut self, now: Instant, conn: &mut Connection) -> Step {
        let mut step = Step::Idle;
        if self.sent < self.data.len() {
            match conn.send(&self.data[self.sent..]) {
                Ok(n) if n > 0 => {
                    self.sent += n;
                    step = Step::Worked;
                }
                Ok(_) | Err(SendError::WouldBlock) => {}
                Err(e) => return Step::Fail(format!("send: {e}")),
            }
        }
        if self.sent == self.data.len() && conn.state().is_synchronized() {
            conn.shutdown();
        }
        while self.eof_at.is_none() {
            match conn.recv(&mut self.buf) {
                Ok(0) => self.eof_at = Some(now),
                Ok(n) => {
                    self.received += n as u64;
                    step = Step::Worked;
                    if let Err(e) = self.out.write_all(&self.buf[..n]) {
                        return Step::Fail(format!("writing output: {e}"));
                    }
                }
                Err(RecvError::WouldBlock) | Err(RecvError::NotConnected) => break,
                Err(e) => return Step::Fail(format!("recv: {e}")),
            }
        }
        if self.eof_at.is_some() && self.sent == self.data.len() {
            return Step::Done;
        }
        step
    }

    fn on_closed(&mut self, reason: Option<CloseReason>) -> Option<String> {
        Some(match reason {
            Some(reason) => format!("connection closed: {reason}"),
            None => "connection closed before the peer finished".into(),
        })
    }
}
