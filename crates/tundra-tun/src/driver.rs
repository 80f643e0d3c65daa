//! The one poll loop.
//!
//! ```text
//! loop {
//!     now      = clock.now()
//!     deadline = step(now, device)      // the stack reads every frame, fires timers,
//!                                       // runs services, writes every queued frame
//!     wait until the device is readable, `deadline` passes, or a signal arrives
//! }
//! ```
//!
//! There is no fixed tick: the wait is exactly as long as the stack asks for (with
//! `ppoll`'s nanosecond timeout), and a frame wakes it at once. SIGINT and SIGTERM are
//! delivered through a self-pipe that is part of the same wait, so Ctrl-C ends the loop
//! cleanly and the caller can flush its pcap.

#![allow(unsafe_code)]

use std::io::{self, Read};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tundra_core::Instant;

use crate::{Clock, TunError};

/// Signals for the loop: SIGINT/SIGTERM ask it to stop, SIGUSR1 asks for a status
/// dump (the socket table). Both wake the driver's wait through a self-pipe.
#[derive(Debug)]
pub struct Stop {
    read: UnixStream,
    _write: OwnedFd,
    stop: Arc<AtomicBool>,
    dump: Arc<AtomicBool>,
}

impl Stop {
    /// Installs handlers for SIGINT, SIGTERM and SIGUSR1.
    pub fn on_signals() -> Result<Stop, TunError> {
        let io_err = |what| move |source| TunError::Io { what, source };
        let (read, write) = UnixStream::pair().map_err(io_err("creating the signal pipe"))?;
        read.set_nonblocking(true)
            .map_err(io_err("creating the signal pipe"))?;
        write
            .set_nonblocking(true)
            .map_err(io_err("creating the signal pipe"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let dump = Arc::new(AtomicBool::new(false));
        let register = |sig: i32, flag: &Arc<AtomicBool>| -> Result<(), TunError> {
            // The flag says which signal it was; the pipe byte wakes the wait.
            signal_hook::flag::register(sig, Arc::clone(flag))
                .map_err(io_err("registering signal handlers"))?;
            let w = write
                .try_clone()
                .map_err(io_err("registering signal handlers"))?;
            signal_hook::low_level::pipe::register(sig, w)
                .map_err(io_err("registering signal handlers"))?;
            Ok(())
        };
        register(signal_hook::consts::SIGINT, &stop)?;
        register(signal_hook::consts::SIGTERM, &stop)?;
        register(signal_hook::consts::SIGUSR1, &dump)?;
        Ok(Stop {
            read,
            _write: OwnedFd::from(write),
            stop,
            dump,
        })
    }

    /// True once SIGINT or SIGTERM has arrived. Only looks at the flag: no system call,
    /// since the loop asks every turn (the wait drains the pipe when it wakes on it).
    pub fn requested(&mut self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Empties the self-pipe, so the next wait does not wake on old signals.
    fn drain(&mut self) {
        let mut buf = [0u8; 16];
        while let Ok(n) = self.read.read(&mut buf) {
            if n == 0 {
                break;
            }
        }
    }

    fn fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }
}

/// SIGUSR1 requests for a status dump, shareable with the step function.
#[derive(Debug, Clone)]
pub struct DumpRequests(Arc<AtomicBool>);

impl DumpRequests {
    /// True once per SIGUSR1 received.
    pub fn take(&self) -> bool {
        self.0.swap(false, Ordering::Relaxed)
    }
}

/// What a step asks the driver to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Wait for a frame, a signal, or this deadline (`None`: no deadline).
    Wait(Option<Instant>),
    /// Leave the loop: the work is done (e.g. `tundra ping` sent its last probe).
    Exit,
}

/// Runs a stack step function against a device until a stop signal.
#[derive(Debug)]
pub struct Driver {
    clock: Clock,
    stop: Stop,
}

impl Driver {
    /// A driver with its own clock starting now.
    pub fn new(clock: Clock, stop: Stop) -> Driver {
        Driver { clock, stop }
    }

    /// The driver's clock.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// A handle the step function can hold to see SIGUSR1 requests.
    pub fn dump_requests(&self) -> DumpRequests {
        DumpRequests(Arc::clone(&self.stop.dump))
    }

    /// Loops until SIGINT/SIGTERM, until `step` returns [`Next::Exit`], or until it
    /// fails. `step` gets the current time and the device, does all the work that is
    /// due, and says what to wait for. Returns true if a signal ended the loop.
    pub fn run<D: AsRawFd>(
        &mut self,
        device: &mut D,
        mut step: impl FnMut(Instant, &mut D) -> Result<Next, TunError>,
    ) -> Result<bool, TunError> {
        loop {
            if self.stop.requested() {
                log::info!("stop requested");
                return Ok(true);
            }
            let deadline = match step(self.clock.now(), device)? {
                Next::Wait(deadline) => deadline,
                Next::Exit => return Ok(false),
            };
            let timeout = deadline.map(|d| self.clock.until(d));
            if timeout == Some(std::time::Duration::ZERO) {
                continue;
            }
            self.wait(device.as_raw_fd(), timeout)?;
        }
    }

    fn wait(&mut self, fd: RawFd, timeout: Option<std::time::Duration>) -> Result<(), TunError> {
        let mut fds = [
            libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: self.stop.fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let ts = timeout.map(|t| libc::timespec {
            tv_sec: t.as_secs().min(i32::MAX as u64) as libc::time_t,
            tv_nsec: t.subsec_nanos() as libc::c_long,
        });
        let ts_ptr = ts
            .as_ref()
            .map_or(std::ptr::null(), |t| t as *const libc::timespec);
        // SAFETY: `fds` and `ts` live across the call; a null sigmask keeps ours.
        let rc = unsafe {
            libc::ppoll(
                fds.as_mut_ptr(),
                fds.len() as libc::nfds_t,
                ts_ptr,
                std::ptr::null(),
            )
        };
        if rc > 0 && fds[1].revents != 0 {
            self.stop.drain();
        }
        if rc < 0 {
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(TunError::Io {
                    what: "waiting on the device (ppoll)",
                    source: err,
                });
            }
        }
        Ok(())
    }
}
