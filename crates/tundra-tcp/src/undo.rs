//! Undoing a congestion response that a spurious retransmission caused (RFC 3708,
//! RFC 3522; Linux's "undo").
//!
//! A loss recovery episode cuts cwnd and ssthresh because it believes segments were
//! lost. When every segment it retransmitted turns out to have arrived anyway (the
//! originals were only reordered or delayed), the cut was a mistake and the window
//! before it is restored. The connection gathers the evidence, one retransmitted range
//! at a time:
//! - a D-SACK block reporting the range (RFC 2883, used as RFC 3708 §3 describes);
//! - an ACK that delivered the range and echoes a timestamp older than the
//!   retransmission (the Eifel detection of RFC 3522 §3.2);
//! - an ACK that delivered the range sooner than the minimum RTT after the
//!   retransmission was sent, so it cannot be the retransmission's (RFC 8985 §6.2
//!   step 2's test for "the ACK is for the original transmission"); this needs
//!   neither timestamps nor D-SACK, which peers such as smoltcp never send.
//!
//! An [`UndoEpisode`] holds the window before the response and the retransmitted
//! ranges still unexplained. It is bounded: past [`MAX_PENDING`] ranges, or once any
//! range is retransmitted a second time (a retransmission was itself deemed lost, so
//! something was really lost), the episode can no longer be undone.

use crate::SeqNumber;

/// At most this many separate retransmitted ranges are tracked per episode.
pub const MAX_PENDING: usize = 32;

/// One loss recovery episode that may still be undone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoEpisode {
    /// cwnd before the congestion response.
    prior_cwnd: usize,
    /// ssthresh before the congestion response.
    prior_ssthresh: usize,
    /// Retransmitted ranges not yet shown spurious: sorted, disjoint.
    pending: Vec<(SeqNumber, SeqNumber)>,
    /// Something was retransmitted in this episode.
    retransmitted: bool,
    /// The episode can no longer be undone (see the module doc).
    spoiled: bool,
    /// Once recovery ended: the episode is forgotten when SND.UNA passes this (the
    /// D-SACK of a last retransmission comes about a round trip after the full ACK).
    until: Option<SeqNumber>,
}

impl UndoEpisode {
    /// An episode whose congestion response replaced `cwnd` and `ssthresh`.
    pub fn start(cwnd: usize, ssthresh: usize) -> UndoEpisode {
        UndoEpisode {
            prior_cwnd: cwnd,
            prior_ssthresh: ssthresh,
            pending: Vec::new(),
            retransmitted: false,
            spoiled: false,
            until: None,
        }
    }

    /// `[start, end)` was retransmitted.
    pub fn on_retransmit(&mut self, start: SeqNumber, end: SeqNumber) {
        if start >= end || self.spoiled {
            return;
        }
        self.retransmitted = true;
        if self.pending.iter().any(|&(s, e)| start < e && s < end) {
            // Sent a second time: the first retransmission was deemed lost.
            self.spoil();
            return;
        }
        let at = self.pending.partition_point(|&(s, _)| s < start);
        self.pending.insert(at, (start, end));
        // Join neighbours that touch, so a run of segments is one range.
        if at + 1 < self.pending.len() && self.pending[at].1 == self.pending[at + 1].0 {
            self.pending[at].1 = self.pending[at + 1].1;
            self.pending.remove(at + 1);
        }
        if at > 0 && self.pending[at - 1].1 == self.pending[at].0 {
            self.pending[at - 1].1 = self.pending[at].1;
            self.pending.remove(at);
        }
        if self.pending.len() > MAX_PENDING {
            self.spoil();
        }
    }

    /// Evidence that `[start, end)` reached the peer without its retransmission.
    /// Returns whether it explained any retransmitted octet.
    pub fn on_spurious(&mut self, start: SeqNumber, end: SeqNumber) -> bool {
        if start >= end || self.spoiled {
            return false;
        }
        let mut hit = false;
        let mut out = Vec::with_capacity(self.pending.len() + 1);
        for &(s, e) in &self.pending {
            if end <= s || e <= start {
                out.push((s, e));
                continue;
            }
            hit = true;
            if s < start {
                out.push((s, start));
            }
            if end < e {
                out.push((end, e));
            }
        }
        self.pending = out;
        if self.pending.len() > MAX_PENDING {
            self.spoil();
        }
        hit
    }

    /// Gives up on undoing this episode.
    pub fn spoil(&mut self) {
        self.spoiled = true;
        self.pending.clear();
    }

    /// Whether every retransmission of the episode was shown spurious.
    pub fn all_spurious(&self) -> bool {
        self.retransmitted && !self.spoiled && self.pending.is_empty()
    }

    /// Whether the episode could still be undone.
    pub fn is_spoiled(&self) -> bool {
        self.spoiled
    }

    /// `(cwnd, ssthresh)` before the congestion response.
    pub fn prior(&self) -> (usize, usize) {
        (self.prior_cwnd, self.prior_ssthresh)
    }

    /// Recovery ended with SND.MAX at `snd_max`: keep the episode one more round trip.
    pub fn on_recovery_end(&mut self, snd_max: SeqNumber) {
        self.until.get_or_insert(snd_max);
    }

    /// Whether the episode is over for good now that SND.UNA is `snd_una`.
    pub fn expired(&self, snd_una: SeqNumber) -> bool {
        self.until.is_some_and(|u| snd_una > u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u32) -> SeqNumber {
        SeqNumber(n)
    }

    #[test]
    fn every_retransmission_explained_allows_the_undo() {
        let mut u = UndoEpisode::start(20_000, usize::MAX);
        assert!(!u.all_spurious(), "nothing retransmitted yet");
        u.on_retransmit(s(1000), s(2000));
        u.on_retransmit(s(2000), s(3000));
        u.on_retransmit(s(5000), s(6000));
        assert!(u.on_spurious(s(1000), s(2500)));
        assert!(!u.all_spurious(), "2500..3000 and 5000..6000 unexplained");
        assert!(!u.on_spurious(s(3000), s(5000)), "never retransmitted");
        assert!(u.on_spurious(s(2500), s(3000)));
        assert!(u.on_spurious(s(4000), s(7000)));
        assert!(u.all_spurious());
        assert_eq!(u.prior(), (20_000, usize::MAX));
    }

    #[test]
    fn a_second_retransmission_spoils_the_episode() {
        let mut u = UndoEpisode::start(20_000, 10_000);
        u.on_retransmit(s(1000), s(2000));
        u.on_retransmit(s(1500), s(2000));
        assert!(u.is_spoiled());
        assert!(!u.on_spurious(s(1000), s(2000)));
        assert!(!u.all_spurious());
    }

    #[test]
    fn the_range_list_is_bounded() {
        let mut u = UndoEpisode::start(20_000, 10_000);
        for i in 0..MAX_PENDING as u32 {
            u.on_retransmit(s(100 * i), s(100 * i + 50));
        }
        assert!(!u.is_spoiled());
        u.on_retransmit(s(1_000_000), s(1_000_050));
        assert!(u.is_spoiled(), "one range too many");
    }

    #[test]
    fn the_episode_outlives_recovery_by_one_round_trip() {
        let mut u = UndoEpisode::start(20_000, 10_000);
        assert!(!u.expired(s(5000)));
        u.on_recovery_end(s(8000));
        assert!(!u.expired(s(8000)));
        assert!(u.expired(s(8001)));
    }
}
