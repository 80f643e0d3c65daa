//! The map from the OS monotonic clock to the stack's virtual [`Instant`].
//!
//! The stack's time starts at zero when the driver starts. The wall-clock time of that
//! start is kept too, so a pcap written by the tap carries real dates for Wireshark
//! while the stack itself only ever sees its own time line.

use std::time::{SystemTime, UNIX_EPOCH};

use tundra_core::{Duration, Instant};

/// A monotonic clock that reads as [`tundra_core::Instant`] since its creation.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin: std::time::Instant,
    unix_origin: std::time::Duration,
}

impl Clock {
    /// A clock whose `now()` is [`Instant::ZERO`] at this moment.
    // The driver is the one place that reads the OS clock (docs/architecture.md).
    pub fn start() -> Clock {
        Clock {
            origin: std::time::Instant::now(),
            unix_origin: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default(),
        }
    }

    /// The stack's current time.
    pub fn now(&self) -> Instant {
        Instant::from_micros(self.origin.elapsed().as_micros() as i64)
    }

    /// The wall-clock time (since the Unix epoch) that corresponds to `at`.
    pub fn unix_time(&self, at: Instant) -> std::time::Duration {
        self.unix_origin
            + std::time::Duration::from(Duration::from_micros(at.total_micros().max(0) as u64))
    }

    /// How long from now until `deadline`, as the OS wants it (zero if passed).
    pub fn until(&self, deadline: Instant) -> std::time::Duration {
        (deadline - self.now()).into()
    }
}
