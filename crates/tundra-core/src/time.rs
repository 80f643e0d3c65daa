//! A virtual clock: [`Instant`] and [`Duration`] in microseconds.
//!
//! `Instant` is an opaque point on the stack's own time line. Tests start it at zero
//! and jump it forward; the TUN driver maps the OS monotonic clock onto it. Nothing in
//! a protocol crate can obtain an `Instant` except by being handed one.

use core::fmt;
use core::ops::{Add, AddAssign, Sub, SubAssign};

/// A point in time, in microseconds since an arbitrary epoch chosen by the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant {
    micros: i64,
}

impl Instant {
    /// The epoch of the virtual clock; tests usually start here.
    pub const ZERO: Instant = Instant { micros: 0 };

    /// An instant `micros` microseconds after the epoch.
    pub const fn from_micros(micros: i64) -> Instant {
        Instant { micros }
    }

    /// An instant `millis` milliseconds after the epoch.
    pub const fn from_millis(millis: i64) -> Instant {
        Instant {
            micros: millis * 1000,
        }
    }

    /// An instant `secs` seconds after the epoch.
    pub const fn from_secs(secs: i64) -> Instant {
        Instant {
            micros: secs * 1_000_000,
        }
    }

    /// Microseconds since the epoch.
    pub const fn total_micros(&self) -> i64 {
        self.micros
    }

    /// Milliseconds since the epoch (truncated).
    pub const fn total_millis(&self) -> i64 {
        self.micros / 1000
    }

    /// The time elapsed from `earlier` to `self`, or zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        Duration::from_micros(self.micros.saturating_sub(earlier.micros).max(0) as u64)
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:06}s",
            self.micros / 1_000_000,
            self.micros % 1_000_000
        )
    }
}

/// A span of time, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    micros: u64,
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration { micros: 0 };
    /// The longest representable span; used as "never".
    pub const MAX: Duration = Duration { micros: u64::MAX };

    /// A span of `micros` microseconds.
    pub const fn from_micros(micros: u64) -> Duration {
        Duration { micros }
    }

    /// A span of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Duration {
        Duration {
            micros: millis * 1000,
        }
    }

    /// A span of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Duration {
        Duration {
            micros: secs * 1_000_000,
        }
    }

    /// The span in microseconds.
    pub const fn total_micros(&self) -> u64 {
        self.micros
    }

    /// The span in milliseconds (truncated).
    pub const fn total_millis(&self) -> u64 {
        self.micros / 1000
    }

    /// The span in seconds (truncated).
    pub const fn secs(&self) -> u64 {
        self.micros / 1_000_000
    }

    /// `self * rhs`, saturating at [`Duration::MAX`].
    pub const fn saturating_mul(self, rhs: u32) -> Duration {
        Duration {
            micros: self.micros.saturating_mul(rhs as u64),
        }
    }

    /// `self - rhs`, or zero if `rhs` is longer.
    pub const fn saturating_sub(self, rhs: Duration) -> Duration {
        Duration {
            micros: self.micros.saturating_sub(rhs.micros),
        }
    }
}

impl From<core::time::Duration> for Duration {
    fn from(d: core::time::Duration) -> Self {
        Duration::from_micros(d.as_micros().min(u64::MAX as u128) as u64)
    }
}

impl From<Duration> for core::time::Duration {
    fn from(d: Duration) -> Self {
        core::time::Duration::from_micros(d.micros)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.micros < 1000 {
            write!(f, "{}us", self.micros)
        } else if self.micros < 1_000_000 {
            write!(f, "{}.{:03}ms", self.micros / 1000, self.micros % 1000)
        } else {
            write!(
                f,
                "{}.{:06}s",
                self.micros / 1_000_000,
                self.micros % 1_000_000
            )
        }
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, rhs: Duration) -> Instant {
        Instant {
            micros: self
                .micros
                .saturating_add(rhs.micros.min(i64::MAX as u64) as i64),
        }
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, rhs: Duration) -> Instant {
        Instant {
            micros: self
                .micros
                .saturating_sub(rhs.micros.min(i64::MAX as u64) as i64),
        }
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, rhs: Duration) {
        *self = *self - rhs;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// The span from `rhs` to `self`; zero if `rhs` is later (time never runs backwards
    /// for a protocol).
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, rhs: Duration) -> Duration {
        Duration {
            micros: self.micros.saturating_add(rhs.micros),
        }
    }
}

impl AddAssign for Duration {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

impl Sub for Duration {
    type Output = Duration;
    fn sub(self, rhs: Duration) -> Duration {
        self.saturating_sub(rhs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_panicking() {
        let t = Instant::from_millis(5);
        assert_eq!(t + Duration::from_millis(10), Instant::from_millis(15));
        assert_eq!(Instant::from_millis(3) - t, Duration::ZERO);
        assert_eq!(
            Duration::from_secs(1) - Duration::from_secs(2),
            Duration::ZERO
        );
        assert_eq!(Duration::MAX + Duration::from_secs(1), Duration::MAX);
    }

    #[test]
    fn display_reads_like_a_log() {
        assert_eq!(Instant::from_micros(1_500_000).to_string(), "1.500000s");
        assert_eq!(Duration::from_micros(250).to_string(), "250us");
        assert_eq!(Duration::from_micros(2_500).to_string(), "2.500ms");
    }
}
