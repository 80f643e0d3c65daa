//! NewReno: slow start and congestion avoidance (RFC 5681 §3.1), fast retransmit and
//! fast recovery (RFC 5681 §3.2) with the partial-ACK rules of RFC 6582.

use tundra_core::Instant;

use super::{initial_window, CongestionControl};

/// The NewReno window arithmetic.
#[derive(Debug, Clone)]
pub struct NewReno {
    cwnd: usize,
    ssthresh: usize,
    /// Bytes acknowledged since cwnd last grew in congestion avoidance.
    acked_in_ca: usize,
}

impl NewReno {
    /// Starts with the RFC 6928 initial window and an "arbitrarily high" ssthresh
    /// (RFC 5681 §3.1).
    pub fn new(mss: usize) -> NewReno {
        NewReno {
            cwnd: initial_window(mss),
            ssthresh: usize::MAX,
            acked_in_ca: 0,
        }
    }
}

impl CongestionControl for NewReno {
    fn window(&self) -> usize {
        self.cwnd
    }

    fn ssthresh(&self) -> usize {
        self.ssthresh
    }

    fn init(&mut self, mss: usize) {
        *self = NewReno::new(mss);
    }

    fn on_ack(&mut self, _now: Instant, acked: usize, mss: usize) {
        if self.cwnd < self.ssthresh {
            // RFC 5681 §3.1 eq. 2 with byte counting (RFC 3465, L = 1): cwnd += min(N, SMSS).
            self.cwnd += acked.min(mss);
        } else {
            // RFC 5681 §3.1: about one SMSS per RTT; counted in bytes acknowledged,
            // the variant RFC 5681 recommends over eq. 3.
            self.acked_in_ca += acked;
            if self.acked_in_ca >= self.cwnd {
                self.acked_in_ca -= self.cwnd;
                self.cwnd += mss;
            }
        }
    }

    fn on_enter_recovery(&mut self, _now: Instant, flight: usize, mss: usize) {
        // RFC 5681 §3.2 step 2 (eq. 4): ssthresh = max(FlightSize / 2, 2*SMSS).
        self.ssthresh = (flight / 2).max(2 * mss);
        // Step 3: cwnd = ssthresh + 3*SMSS ("inflates" for the three segments that left).
        self.cwnd = self.ssthresh + 3 * mss;
        self.acked_in_ca = 0;
    }

    fn on_dupack_in_recovery(&mut self, mss: usize) {
        // RFC 5681 §3.2 step 4: inflate by SMSS for each further duplicate ACK.
        self.cwnd += mss;
    }

    fn on_partial_ack(&mut self, acked: usize, mss: usize) {
        // RFC 6582 §3.2 step 5: deflate by the amount acknowledged; add back SMSS if
        // at least SMSS was acknowledged.
        self.cwnd = self.cwnd.saturating_sub(acked);
        if acked >= mss {
            self.cwnd += mss;
        }
        self.cwnd = self.cwnd.max(mss);
    }

    fn on_exit_recovery(&mut self, flight: usize, mss: usize) {
        // RFC 6582 §3.2 step 6 option 1: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS).
        self.cwnd = self.ssthresh.min(flight.max(mss) + mss);
    }

    fn on_retransmission_timeout(&mut self, flight: usize, mss: usize, first: bool) {
        // RFC 5681 §3.1 eq. 4 (only on the first expiry: §3.1 note on repeated
        // timeouts), then cwnd = LW = 1 SMSS.
        if first {
            self.ssthresh = (flight / 2).max(2 * mss);
        }
        self.cwnd = mss;
        self.acked_in_ca = 0;
    }

    fn on_idle_restart(&mut self, mss: usize) {
        // RFC 5681 §4.1: cwnd = min(RW, cwnd), RW = the initial window.
        self.cwnd = self.cwnd.min(initial_window(mss));
    }

    fn set_window(&mut self, cwnd: usize) {
        self.cwnd = cwnd;
        self.acked_in_ca = 0;
    }

    fn undo(&mut self, prior_cwnd: usize, prior_ssthresh: usize) {
        // RFC 4015 §4 would restore only part of the window; as RFC 3522's simplest
        // response and Linux do, the window before the reduction comes back.
        self.cwnd = self.cwnd.max(prior_cwnd);
        self.ssthresh = self.ssthresh.max(prior_ssthresh);
        self.acked_in_ca = 0;
    }

    fn name(&self) -> &'static str {
        "newreno"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: usize = 1000;

    #[test]
    fn slow_start_then_congestion_avoidance() {
        let mut c = NewReno::new(MSS);
        assert_eq!(c.window(), 10 * MSS);
        c.on_ack(Instant::ZERO, MSS, MSS);
        assert_eq!(c.window(), 11 * MSS, "slow start: +1 MSS per MSS acked");
        c.on_retransmission_timeout(8 * MSS, MSS, true);
        assert_eq!((c.window(), c.ssthresh()), (MSS, 4 * MSS));
        for _ in 0..3 {
            c.on_ack(Instant::ZERO, MSS, MSS);
        }
        assert_eq!(c.window(), 4 * MSS, "slow start up to ssthresh");
        for _ in 0..3 {
            c.on_ack(Instant::ZERO, MSS, MSS);
        }
        assert_eq!(
            c.window(),
            4 * MSS,
            "CA: not yet a full window acknowledged"
        );
        c.on_ack(Instant::ZERO, MSS, MSS);
        assert_eq!(c.window(), 5 * MSS, "CA: +1 MSS per window");
    }

    #[test]
    fn rfc5681_fast_recovery_and_rfc6582_partial_ack() {
        let mut c = NewReno::new(MSS);
        c.on_enter_recovery(Instant::ZERO, 10 * MSS, MSS);
        assert_eq!((c.ssthresh(), c.window()), (5 * MSS, 8 * MSS));
        c.on_dupack_in_recovery(MSS);
        assert_eq!(c.window(), 9 * MSS);
        c.on_partial_ack(2 * MSS, MSS);
        assert_eq!(c.window(), 8 * MSS, "deflate by 2 MSS, add back 1");
        c.on_exit_recovery(3 * MSS, MSS);
        assert_eq!(c.window(), 4 * MSS, "min(ssthresh, flight + MSS)");
    }

    #[test]
    fn rfc3708_undo_restores_the_window_before_the_response() {
        let mut c = NewReno::new(MSS);
        c.on_enter_recovery(Instant::ZERO, 10 * MSS, MSS);
        c.on_exit_recovery(10 * MSS, MSS);
        assert_eq!((c.window(), c.ssthresh()), (5 * MSS, 5 * MSS));
        c.undo(10 * MSS, usize::MAX);
        assert_eq!((c.window(), c.ssthresh()), (10 * MSS, usize::MAX));
        c.undo(2 * MSS, 2 * MSS);
        assert_eq!(
            (c.window(), c.ssthresh()),
            (10 * MSS, usize::MAX),
            "never lowers"
        );
    }
}
