//! A token bucket on the stack's injected clock, for the ICMP errors it sends.
//!
//! RFC 1812 §4.3.2.8 asks routers to limit the ICMP errors they send, and every host
//! stack does the same (Linux: `icmp_msgs_per_sec` 1000 with a burst of
//! `icmp_msgs_burst` 50), so that a flood of datagrams to closed ports cannot turn the
//! stack into an amplifier or eat its link. A bucket holds up to `burst` tokens and
//! refills at `per_second`; each error takes one, and an error with no token left is
//! not sent (and counted). Time comes from `now`, never from a clock, so tests jump it.

use tundra_core::Instant;

/// How many ICMP errors may be sent: a burst, then a steady rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// The most errors sent back to back (the bucket's size).
    pub burst: u32,
    /// Tokens added per second once the burst is spent. Zero: only the burst, ever.
    pub per_second: u32,
}

impl Default for RateLimit {
    /// Linux's defaults: a burst of 50, then 1000 per second.
    fn default() -> Self {
        RateLimit {
            burst: 50,
            per_second: 1000,
        }
    }
}

/// One token is this many micro-tokens: refilling `per_second` tokens per second is
/// then exactly `per_second` micro-tokens per microsecond, with no rounding.
const MICRO: u64 = 1_000_000;

/// A token bucket (see the module documentation).
#[derive(Debug, Clone)]
pub struct TokenBucket {
    limit: RateLimit,
    micro_tokens: u64,
    last: Option<Instant>,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(limit: RateLimit) -> TokenBucket {
        TokenBucket {
            limit,
            micro_tokens: u64::from(limit.burst) * MICRO,
            last: None,
        }
    }

    /// Takes a token at `now` if one is there. Time going backwards adds nothing.
    pub fn try_take(&mut self, now: Instant) -> bool {
        let capacity = u64::from(self.limit.burst) * MICRO;
        if let Some(last) = self.last {
            let elapsed = now.saturating_duration_since(last).total_micros();
            let refill = elapsed.saturating_mul(u64::from(self.limit.per_second));
            self.micro_tokens = self.micro_tokens.saturating_add(refill).min(capacity);
        }
        if self.last.is_none_or(|last| now > last) {
            self.last = Some(now);
        }
        if self.micro_tokens >= MICRO {
            self.micro_tokens -= MICRO;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(burst: u32, per_second: u32) -> TokenBucket {
        TokenBucket::new(RateLimit { burst, per_second })
    }

    #[test]
    fn a_burst_then_nothing_until_time_passes() {
        let mut b = bucket(3, 10);
        let t0 = Instant::from_secs(100);
        assert!((0..3).all(|_| b.try_take(t0)));
        assert!(!b.try_take(t0), "burst spent");
        // 10 per second: one token every 100 ms.
        assert!(!b.try_take(t0 + tundra_core::Duration::from_millis(99)));
        assert!(b.try_take(t0 + tundra_core::Duration::from_millis(100)));
        assert!(!b.try_take(t0 + tundra_core::Duration::from_millis(100)));
    }

    #[test]
    fn refill_never_exceeds_the_burst() {
        let mut b = bucket(2, 1000);
        assert!(b.try_take(Instant::ZERO));
        let later = Instant::from_secs(3600);
        assert!(b.try_take(later));
        assert!(b.try_take(later));
        assert!(
            !b.try_take(later),
            "an hour idle still gives only the burst"
        );
    }

    #[test]
    fn time_going_backwards_refills_nothing() {
        let mut b = bucket(1, 1);
        assert!(b.try_take(Instant::from_secs(10)));
        assert!(!b.try_take(Instant::from_secs(5)));
        assert!(!b.try_take(Instant::from_millis(10_999)));
        assert!(b.try_take(Instant::from_secs(11)));
    }

    #[test]
    fn zero_rate_is_the_burst_only() {
        let mut b = bucket(1, 0);
        assert!(b.try_take(Instant::ZERO));
        assert!(!b.try_take(Instant::from_secs(1_000_000)));
    }
}
