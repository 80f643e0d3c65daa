//! The loop the client subcommands share (`tundra connect`, `get`, `ws`): bring the
//! stack up on the device, open one TCP connection, let the application move bytes on
//! it round by round, then close cleanly and linger until the FIN exchange is over.
//!
//! Each subcommand is a [`ClientApp`]: what it sends and what it does with what
//! arrives. The connection's life (the active open, the poll loop, the deadline,
//! the close) is the same for all of them and lives here once.

use std::net::SocketAddrV4;

use tundra_core::{Duration, Instant};
use tundra_tcp::{CloseReason, ConnHandle, Connection, State};
use tundra_tun::{Clock, Driver, Next, Stop};

use crate::cli::DeviceArgs;
use crate::setup::{bring_up, SetupError};

/// How long we stay after our close for the peer's FIN and ACK (TIME-WAIT reached),
/// so the server sees a clean close.
const LINGER: Duration = Duration::from_secs(2);

/// Rounds per driver turn while anything moves, before the loop looks at the clock.
const ROUNDS_PER_TURN: usize = 64;

/// What one round of the application did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing moved.
    Idle,
    /// Bytes moved; another round may move more.
    Worked,
    /// The exchange is complete: close the connection cleanly.
    Done,
    /// Give up with this message: the connection is aborted (RST).
    Fail(String),
}

/// A client application on one TCP connection.
pub trait ClientApp {
    /// One round on the connection (any state, from SYN-SENT on): send what it can,
    /// read what has arrived, say how it went.
    fn round(&mut self, now: Instant, conn: &mut Connection) -> Step;

    /// The application's own next deadline (a WebSocket timer, a quiet period).
    fn poll_at(&self) -> Option<Instant> {
        None
    }

    /// The connection closed (`reason`, or `None` if it is gone altogether) before
    /// the application said [`Step::Done`]: the failure to report, if it is one.
    fn on_closed(&mut self, reason: Option<CloseReason>) -> Option<String>;
}

/// How a client run ended.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Why it failed, if it did (one line).
    pub failure: Option<String>,
    /// When the handshake completed (stack time).
    pub connected_at: Option<Instant>,
}

/// Brings the stack up on `device`, connects to `target` and drives `app` until it is
/// done and the connection closed, it fails, or `timeout_secs` pass.
pub fn run(
    device: &DeviceArgs,
    target: SocketAddrV4,
    timeout_secs: f64,
    app: &mut dyn ClientApp,
) -> Result<Outcome, SetupError> {
    let stop = Stop::on_signals()?;
    let clock = Clock::start();
    let (mut dev, mut iface) = bring_up(device, &clock)?;
    let deadline = Instant::ZERO + Duration::from_micros((timeout_secs.max(0.0) * 1e6) as u64);

    let mut outcome = Outcome::default();
    let mut handle: Option<ConnHandle> = None;
    let mut done = false;
    let mut closing_since: Option<Instant> = None;
    let mut drain = vec![0u8; 16 * 1024];

    let mut driver = Driver::new(clock, stop);
    driver.run(&mut dev, |now, dev| {
        let h = match handle {
            Some(h) => h,
            None => {
                let local = iface.address();
                match iface.tcp().connect(now, local, target) {
                    Ok(h) => *handle.insert(h),
                    Err(e) => {
                        outcome.failure = Some(format!("connect: {e}"));
                        return Ok(Next::Exit);
                    }
                }
            }
        };
        // Whether the rounds ran out of work (rather than out of rounds).
        let mut settled = false;
        for _ in 0..ROUNDS_PER_TURN {
            let moved = iface.poll_device(now, dev);
            let Some(conn) = iface.tcp().connection_mut(h) else {
                if !done {
                    outcome.failure = app.on_closed(None);
                }
                return Ok(Next::Exit);
            };
            if outcome.connected_at.is_none() && conn.state().is_synchronized() {
                outcome.connected_at = Some(now);
            }
            let mut worked = false;
            if !done {
                match app.round(now, conn) {
                    Step::Idle => {}
                    Step::Worked => worked = true,
                    Step::Done => {
                        done = true;
                        worked = true;
                    }
                    Step::Fail(message) => {
                        outcome.failure = Some(message);
                        conn.abort();
                        iface.poll_device(now, dev);
                        return Ok(Next::Exit);
                    }
                }
            }
            if !done && conn.state() == State::Closed {
                outcome.failure = app.on_closed(conn.close_reason());
                conn.close();
                return Ok(Next::Exit);
            }
            if done {
                // Anything the server sends now is not ours to read; reading it keeps
                // `close` a FIN (closing over unread data would be a reset).
                while let Ok(n) = conn.recv(&mut drain) {
                    if n == 0 {
                        break;
                    }
                }
                conn.close();
                let closing = *closing_since.get_or_insert(now);
                if matches!(conn.state(), State::TimeWait | State::Closed) || now - closing > LINGER
                {
                    iface.poll_device(now, dev);
                    return Ok(Next::Exit);
                }
            }
            if !moved && !worked {
                settled = true;
                break;
            }
        }
        if now >= deadline {
            outcome.failure = Some(format!("timed out after {timeout_secs:.1} s"));
            return Ok(Next::Exit);
        }
        if !settled {
            // Out of rounds with work still moving (what the application last wrote
            // may not have gone out, and no frame may come to wake us): go on at once.
            return Ok(Next::Wait(Some(now)));
        }
        let app_at = if done { None } else { app.poll_at() };
        let next = [iface.poll_at(), Some(deadline), app_at]
            .into_iter()
            .flatten()
            .min();
        Ok(Next::Wait(next))
    })?;
    Ok(outcome)
}
