//! Round-trip time estimation and the retransmission timeout (RFC 6298).
//!
//! SRTT and RTTVAR are kept in microseconds. The clock granularity G of RFC 6298 §2 is
//! 1 ms (the resolution of our timestamps, RFC 7323 §4). Karn's algorithm (§3: no
//! samples from retransmitted segments) is the caller's job; backoff (§5.5) is here.

use tundra_core::Duration;

/// Clock granularity G (RFC 6298 §2).
const GRANULARITY: Duration = Duration::from_millis(1);

/// The RFC 6298 estimator plus the current exponential backoff.
#[derive(Debug, Clone)]
pub struct RttEstimator {
    srtt: Option<Duration>,
    rttvar: Duration,
    /// RTO before backoff.
    rto: Duration,
    /// Number of times the timer expired back to back (RFC 6298 §5.5).
    backoff: u32,
    min_rto: Duration,
    max_rto: Duration,
}

impl RttEstimator {
    /// An estimator with no samples: RTO is `initial` (RFC 6298 §2.1: 1 s).
    pub fn new(initial: Duration, min_rto: Duration, max_rto: Duration) -> RttEstimator {
        RttEstimator {
            srtt: None,
            rttvar: Duration::ZERO,
            rto: initial.max(min_rto).min(max_rto),
            backoff: 0,
            min_rto,
            max_rto,
        }
    }

    /// Takes one RTT measurement `r`.
    pub fn sample(&mut self, r: Duration) {
        match self.srtt {
            None => {
                // RFC 6298 §2.2: SRTT <- R, RTTVAR <- R/2.
                self.srtt = Some(r);
                self.rttvar = Duration::from_micros(r.total_micros() / 2);
            }
            Some(srtt) => {
                // RFC 6298 §2.3: RTTVAR <- 3/4 RTTVAR + 1/4 |SRTT - R'|,
                //                SRTT   <- 7/8 SRTT + 1/8 R'  (RTTVAR first).
                let delta = srtt.total_micros().abs_diff(r.total_micros());
                self.rttvar = Duration::from_micros((3 * self.rttvar.total_micros() + delta) / 4);
                self.srtt = Some(Duration::from_micros(
                    (7 * srtt.total_micros() + r.total_micros()) / 8,
                ));
            }
        }
        // RFC 6298 §2.2/2.3: RTO <- SRTT + max(G, K*RTTVAR), K = 4; §2.4/2.5 bounds.
        let srtt = self.srtt.unwrap_or(r);
        let var = GRANULARITY.max(self.rttvar.saturating_mul(4));
        self.rto = (srtt + var).max(self.min_rto).min(self.max_rto);
        // RFC 6298 §5.7 (and Karn): a new sample from new data ends the backoff.
        self.backoff = 0;
    }

    /// The timeout to arm now: the RTO doubled once per back-to-back expiry (RFC 6298
    /// §5.5), never above the maximum.
    pub fn rto(&self) -> Duration {
        let factor = 1u32 << self.backoff.min(16);
        self.rto.saturating_mul(factor).min(self.max_rto)
    }

    /// The RTO before backoff (what `ss` shows as `rto`).
    pub fn base_rto(&self) -> Duration {
        self.rto
    }

    /// RFC 6298 §5.5: the timer expired; back off.
    pub fn back_off(&mut self) {
        self.backoff = self.backoff.saturating_add(1);
    }

    /// Back-to-back expiries so far.
    pub fn backoff(&self) -> u32 {
        self.backoff
    }

    /// Ends the backoff without a sample (an ACK for new data arrived).
    pub fn reset_backoff(&mut self) {
        self.backoff = 0;
    }

    /// RFC 6298 §5.7: if the SYN's timer expired, use 3 s once data transfer begins
    /// (unless a sample has been taken since).
    pub fn reset_after_syn_timeout(&mut self) {
        if self.srtt.is_none() {
            self.rto = Duration::from_secs(3).max(self.min_rto).min(self.max_rto);
        }
    }

    /// The smoothed RTT, if any sample was taken.
    pub fn srtt(&self) -> Option<Duration> {
        self.srtt
    }

    /// The RTT variation.
    pub fn rttvar(&self) -> Duration {
        self.rttvar
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est() -> RttEstimator {
        RttEstimator::new(
            Duration::from_secs(1),
            Duration::from_millis(200),
            Duration::from_secs(60),
        )
    }

    #[test]
    fn rfc6298_first_sample_sets_srtt_and_half_variance() {
        let mut e = est();
        assert_eq!(e.rto(), Duration::from_secs(1));
        e.sample(Duration::from_millis(100));
        assert_eq!(e.srtt(), Some(Duration::from_millis(100)));
        assert_eq!(e.rttvar(), Duration::from_millis(50));
        // 100 + 4*50 = 300 ms.
        assert_eq!(e.rto(), Duration::from_millis(300));
    }

    #[test]
    fn rfc6298_later_samples_are_smoothed() {
        let mut e = est();
        e.sample(Duration::from_millis(100));
        e.sample(Duration::from_millis(200));
        // RTTVAR = 3/4*50 + 1/4*100 = 62.5; SRTT = 7/8*100 + 1/8*200 = 112.5.
        assert_eq!(e.rttvar(), Duration::from_micros(62_500));
        assert_eq!(e.srtt(), Some(Duration::from_micros(112_500)));
        assert_eq!(e.rto(), Duration::from_micros(362_500));
    }

    #[test]
    fn rto_is_clamped_and_backs_off() {
        let mut e = est();
        e.sample(Duration::from_millis(1));
        assert_eq!(e.rto(), Duration::from_millis(200), "min RTO");
        e.back_off();
        e.back_off();
        assert_eq!(e.rto(), Duration::from_millis(800));
        for _ in 0..20 {
            e.back_off();
        }
        assert_eq!(e.rto(), Duration::from_secs(60), "max RTO");
        e.sample(Duration::from_millis(1));
        assert_eq!(
            e.rto(),
            Duration::from_millis(200),
            "a sample ends the backoff"
        );
    }
}
