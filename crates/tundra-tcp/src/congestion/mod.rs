//! Congestion control behind a trait, so CUBIC (RFC 9438) can follow NewReno.
//!
//! The connection does loss *detection* (duplicate ACK counting, the NewReno recovery
//! point of RFC 6582, SACK and RACK, the retransmission timer) and calls these hooks;
//! an algorithm only decides the congestion window (cwnd) and slow-start threshold
//! (ssthresh). With SACK, the window during fast recovery is set by Proportional Rate
//! Reduction ([`Prr`], RFC 6937) through [`CongestionControl::set_window`], whatever
//! the algorithm. All sizes are in bytes; `mss` is the sender MSS (SMSS of RFC 5681).

mod newreno;
mod prr;

pub use newreno::NewReno;
pub use prr::Prr;

use tundra_core::Instant;

/// A congestion control algorithm's window arithmetic.
pub trait CongestionControl: core::fmt::Debug + Send {
    /// The congestion window in bytes.
    fn window(&self) -> usize;

    /// The slow-start threshold in bytes (`usize::MAX` before the first loss).
    fn ssthresh(&self) -> usize;

    /// (Re)starts the algorithm for a connection whose sender MSS is now known (called
    /// when the handshake settles the MSS).
    fn init(&mut self, mss: usize);

    /// `acked` bytes of new data were cumulatively acknowledged outside of recovery.
    fn on_ack(&mut self, now: Instant, acked: usize, mss: usize);

    /// Loss detected by duplicate ACKs (fast retransmit, RFC 5681 §3.2 step 2):
    /// `flight` bytes were outstanding.
    fn on_enter_recovery(&mut self, now: Instant, flight: usize, mss: usize);

    /// A further duplicate ACK during fast recovery (RFC 5681 §3.2 step 4).
    fn on_dupack_in_recovery(&mut self, mss: usize);

    /// A partial ACK during fast recovery acknowledged `acked` bytes (RFC 6582 §3.2
    /// step 5).
    fn on_partial_ack(&mut self, acked: usize, mss: usize);

    /// A full ACK ended fast recovery; `flight` bytes are still outstanding (RFC 6582
    /// §3.2 step 6).
    fn on_exit_recovery(&mut self, flight: usize, mss: usize);

    /// The retransmission timer expired with `flight` bytes outstanding (RFC 5681 §3.1
    /// eq. 4); only the first expiry of a series should reduce ssthresh.
    fn on_retransmission_timeout(&mut self, flight: usize, mss: usize, first: bool);

    /// The connection was idle for more than an RTO (RFC 5681 §4.1): restart from
    /// the restart window.
    fn on_idle_restart(&mut self, mss: usize);

    /// Sets cwnd outright: PRR during SACK-based fast recovery (RFC 6937 §3
    /// "cwnd = pipe + sndcnt", and "cwnd = ssthresh" at its end).
    fn set_window(&mut self, cwnd: usize);

    /// The last congestion response turned out needless: every segment it resent had
    /// arrived (RFC 3708, RFC 3522). Restores the window and threshold it replaced,
    /// never lowering either (Linux: `tcp_undo_cwnd_reduction`).
    fn undo(&mut self, prior_cwnd: usize, prior_ssthresh: usize);

    /// A short name for socket tables (`newreno`, `cubic`).
    fn name(&self) -> &'static str;
}

/// The initial window of RFC 6928 §2: min(10*MSS, max(2*MSS, 14600)).
pub fn initial_window(mss: usize) -> usize {
    (10 * mss).min((2 * mss).max(14600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6928_initial_window() {
        assert_eq!(initial_window(1460), 14600);
        assert_eq!(initial_window(536), 5360);
        assert_eq!(initial_window(8960), 17920, "2*MSS when that exceeds 14600");
    }
}
