//! RACK-TLP (RFC 8985): time-based loss detection and the tail loss probe.
//!
//! RACK ("recent acknowledgment") deems a segment lost when a segment sent *after* it
//! has been delivered (cumulatively ACKed or SACKed) and a reordering window has
//! passed. Because it looks at send times rather than sequence numbers, it detects
//! lost retransmissions too: a retransmission is sent later than the new data that
//! follows it in sequence, so once data sent after the retransmission is delivered
//! and the retransmission still is not, it was lost.
//!
//! TLP ("tail loss probe") covers the case RACK cannot: when the last segments of a
//! flight are lost no later segment is ever delivered, so nothing would be detected
//! before the retransmission timeout. After a probe timeout (PTO, about two round
//! trips) without any ACK, one probe segment goes out; its ACK (with SACK) lets RACK
//! and fast recovery repair the tail.
//!
//! RACK-TLP needs SACK (RFC 8985 §4): the connection uses it only when SACK was
//! negotiated. It holds state only; the scoreboard ([`crate::sack`]) holds the
//! segments and the connection decides what to send.

use tundra_core::{Duration, Instant};

use crate::sack::{Scoreboard, SentSegment, DUP_THRESH};
use crate::SeqNumber;

/// RFC 8985 §7.2 `TLP.max_ack_delay` (WCDelAckT): the worst case delay of a delayed
/// ACK, added to the PTO when the peer may hold its ACK back (200 ms, the RFC's and
/// Linux's value).
pub const MAX_ACK_DELAY: Duration = Duration::from_millis(200);

/// The smallest PTO when the probe would resend old data. RFC 8985 gives no floor;
/// 2*SRTT on a TUN device is a fraction of a millisecond, so a floor keeps a healthy
/// but busy peer from drawing a spurious retransmission: on a loaded 2-core host the
/// kernel's ACKs were seen 15 ms late, and a 10 ms floor then resent the tail of a
/// clean transfer. 50 ms is still four times shorter than the minimum RTO.
pub const MIN_PTO: Duration = Duration::from_millis(50);

/// The smallest PTO when the probe would be new data: a probe that turns out
/// unnecessary then costs nothing but two segments sent ahead of cwnd, so the floor
/// only has to keep the timer from firing between back-to-back ACKs. On a TUN device
/// (RTT 0.1-0.5 ms) at 5% loss, 250 µs moved a 100 MB download from about 50 to
/// 50-80 MB/s against a 1 ms floor.
pub const MIN_PTO_NEW_DATA: Duration = Duration::from_micros(250);

/// Segments of new data one loss probe may send. RFC 8985 §7.3 sends one; Tundra
/// sends two when it has them, as QUIC may (RFC 9002 §6.2.4 "up to two full-sized
/// datagrams"): a receiver that holds everything sent so far (only its ACK was lost)
/// delays the ACK of a lone in-order segment (by 40 ms on Linux) but acknowledges two
/// full segments at once (RFC 9293 §3.8.6.3), so the probe's answer comes one round
/// trip later instead of one delayed-ACK timeout later.
pub const PROBE_SEGMENTS: u8 = 2;

/// Probes sent in a row without an answer before only the RTO is left (see
/// [`TailLossProbe::may_probe`]).
pub const PROBE_LIMIT: u32 = 4;

/// RFC 8985 §6.2 `RACK_sent_after(t1, seq1, t2, seq2)`: whether (t1, seq1) was sent
/// after (t2, seq2), ties in time broken by sequence.
pub fn sent_after(t1: Instant, seq1: SeqNumber, t2: Instant, seq2: SeqNumber) -> bool {
    t1 > t2 || (t1 == t2 && seq1 > seq2)
}

/// The RACK state of one connection (RFC 8985 §6.1).
#[derive(Debug, Clone)]
pub struct Rack {
    /// `RACK.xmit_ts` and `RACK.end_seq`: the most recently sent segment known to be
    /// delivered.
    latest: Option<(Instant, SeqNumber)>,
    /// `RACK.rtt`: the RTT of that delivery.
    rtt: Duration,
    /// `RACK.min_RTT`: the smallest RTT seen.
    min_rtt: Option<Duration>,
    /// A smoothed RTT of the RACK samples (RFC 6298 §2.3 weights), in microseconds
    /// where the RFC 6298 estimator has the millisecond resolution of timestamps.
    srtt: Option<Duration>,
    /// `RACK.fack`: the highest end sequence delivered.
    fack: Option<SeqNumber>,
    /// `RACK.reordering_seen`.
    reordering_seen: bool,
    /// `RACK.dsack_round`: SND.NXT when the reordering window last grew.
    dsack_round: Option<SeqNumber>,
    /// `RACK.reo_wnd_mult`.
    reo_wnd_mult: u32,
    /// `RACK.reo_wnd_persist`: recoveries left before the multiplier resets.
    reo_wnd_persist: u32,
}

impl Default for Rack {
    fn default() -> Self {
        Rack {
            latest: None,
            rtt: Duration::ZERO,
            min_rtt: None,
            srtt: None,
            fack: None,
            reordering_seen: false,
            dsack_round: None,
            reo_wnd_mult: 1,
            reo_wnd_persist: 0,
        }
    }
}

/// What one pass of RACK loss detection found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LossScan {
    /// Segments newly deemed lost.
    pub lost: usize,
    /// Of those, how many were retransmissions (lost again).
    pub lost_retransmits: usize,
    /// When to look again: the earliest a suspect segment's reordering window ends
    /// (RFC 8985 §6.2 step 5, the RACK reordering timer).
    pub recheck_in: Option<Duration>,
}

impl Rack {
    /// RFC 8985 §6.2 steps 2-3 for one newly delivered segment (call in ascending
    /// sequence order). `echo_older` says the ACK's TSecr is older than the segment's
    /// last transmission (so the ACK was for an earlier one). Returns whether the
    /// delivery gave an RTT sample.
    pub fn on_delivered(&mut self, now: Instant, seg: &SentSegment, echo_older: bool) -> bool {
        // Step 3, RACK_detect_reordering: an original transmission delivered below
        // the highest delivered sequence arrived out of order.
        match self.fack {
            Some(f) if seg.end <= f => {
                if seg.end < f && !seg.ever_retransmitted {
                    self.reordering_seen = true;
                }
            }
            _ => self.fack = Some(seg.end),
        }
        // Step 2, RACK_update.
        let rtt = now - seg.sent_at;
        if seg.ever_retransmitted {
            // "If the ACK is for an earlier transmission (by TSecr), or the RTT is
            // implausibly short, the sample is ambiguous (Karn): skip it."
            if echo_older || self.min_rtt.is_some_and(|m| rtt < m) {
                return false;
            }
        }
        self.rtt = rtt;
        self.min_rtt = Some(self.min_rtt.map_or(rtt, |m| m.min(rtt)));
        self.srtt = Some(match self.srtt {
            None => rtt,
            Some(s) => Duration::from_micros((7 * s.total_micros() + rtt.total_micros()) / 8),
        });
        if self
            .latest
            .is_none_or(|(t, e)| sent_after(seg.sent_at, seg.end, t, e))
        {
            self.latest = Some((seg.sent_at, seg.end));
        }
        true
    }

    /// RFC 8985 §6.2 step 4, first part: per ACK, grow the reordering window once per
    /// round trip that brings a D-SACK (RFC 2883: a spurious retransmission).
    pub fn on_ack(&mut self, dsack: bool, snd_una: SeqNumber, snd_nxt: SeqNumber) {
        if self.dsack_round.is_some_and(|r| snd_una >= r) {
            self.dsack_round = None;
        }
        if dsack && self.dsack_round.is_none() {
            self.dsack_round = Some(snd_nxt);
            self.reo_wnd_mult = self.reo_wnd_mult.saturating_add(1).min(0xff);
            self.reo_wnd_persist = 16;
        }
    }

    /// RFC 8985 §6.2 step 4: "reset the window after 16 DSACK-free recoveries".
    pub fn on_recovery_exit(&mut self) {
        if self.reo_wnd_persist > 0 {
            self.reo_wnd_persist -= 1;
            if self.reo_wnd_persist == 0 {
                self.reo_wnd_mult = 1;
            }
        }
    }

    /// RFC 8985 §6.2 step 4, `RACK_update_reo_wnd`: zero while no reordering was seen
    /// and the sender is in recovery or DupThresh segments are SACKed (then RACK acts
    /// like the duplicate ACK threshold); otherwise min(mult * min_RTT / 4, SRTT).
    pub fn reo_wnd(
        &self,
        in_recovery: bool,
        segs_sacked: usize,
        srtt: Option<Duration>,
    ) -> Duration {
        if !self.reordering_seen && (in_recovery || segs_sacked >= DUP_THRESH) {
            return Duration::ZERO;
        }
        let min_rtt = self.min_rtt.unwrap_or(Duration::ZERO);
        let wnd =
            Duration::from_micros(min_rtt.total_micros() / 4).saturating_mul(self.reo_wnd_mult);
        match srtt {
            Some(srtt) => wnd.min(srtt),
            None => wnd,
        }
    }

    /// Whether reordering was observed on this connection.
    pub fn reordering_seen(&self) -> bool {
        self.reordering_seen
    }

    /// `RACK.rtt`, the RTT of the most recent delivery.
    pub fn rtt(&self) -> Duration {
        self.rtt
    }

    /// `RACK.min_RTT`.
    pub fn min_rtt(&self) -> Option<Duration> {
        self.min_rtt
    }

    /// The smoothed RTT of RACK's samples (microsecond resolution).
    pub fn srtt(&self) -> Option<Duration> {
        self.srtt
    }

    /// RFC 8985 §6.2 step 5, `RACK_detect_loss`: every segment not yet delivered that
    /// was sent before the most recently delivered one, and whose RTT plus reordering
    /// window has passed, is lost (a retransmission in flight included: its
    /// retransmission was lost). The others are rechecked when their window ends.
    pub fn detect_loss(&self, board: &mut Scoreboard, reo_wnd: Duration, now: Instant) -> LossScan {
        let mut scan = LossScan::default();
        let Some((xmit_ts, end_seq)) = self.latest else {
            return scan;
        };
        for seg in board.iter_mut() {
            if seg.sacked || seg.needs_retransmission() {
                continue;
            }
            if !sent_after(xmit_ts, end_seq, seg.sent_at, seg.end) {
                continue;
            }
            let deadline = seg.sent_at + self.rtt + reo_wnd;
            if deadline <= now {
                scan.lost += 1;
                if seg.retrans {
                    scan.lost_retransmits += 1;
                }
                seg.lost = true;
                seg.retrans = false;
            } else {
                let wait = deadline - now;
                scan.recheck_in = Some(scan.recheck_in.map_or(wait, |w| w.max(wait)));
            }
        }
        scan
    }

    /// RFC 8985 §6.3, `RACK_mark_losses_on_RTO`: on a retransmission timeout the first
    /// outstanding segment is lost, and every other one sent at least RACK.rtt +
    /// reordering window ago. SACKed segments stay SACKed (RFC 6675 §5.1: they are
    /// not resent). Returns how many were marked.
    pub fn mark_losses_on_rto(
        &self,
        board: &mut Scoreboard,
        reo_wnd: Duration,
        now: Instant,
        snd_una: SeqNumber,
    ) -> usize {
        let mut marked = 0;
        for seg in board.iter_mut() {
            if seg.sacked {
                continue;
            }
            if seg.start == snd_una || seg.sent_at + self.rtt + reo_wnd <= now {
                if !seg.needs_retransmission() {
                    marked += 1;
                }
                seg.lost = true;
                seg.retrans = false;
            }
        }
        marked
    }
}

/// RFC 8985 §7.2 `TLP_calc_PTO`: 2*SRTT, plus the peer's worst-case ACK delay when it
/// may be holding its ACK back, 1 s without an RTT sample; never below [`MIN_PTO`], or
/// [`MIN_PTO_NEW_DATA`] when the probe would carry `new_data`.
///
/// The RFC adds the ACK delay "if FlightSize is one segment"; a receiver may delay its
/// ACK until it holds two full-sized segments (RFC 9293 §3.8.6.3), so Tundra adds it
/// whenever less than two full segments are in flight.
pub fn probe_timeout(
    srtt: Option<Duration>,
    flight: usize,
    smss: usize,
    new_data: bool,
) -> Duration {
    let Some(srtt) = srtt else {
        return Duration::from_secs(1);
    };
    let mut pto = srtt.saturating_mul(2);
    if flight < 2 * smss {
        pto += MAX_ACK_DELAY;
    }
    pto.max(if new_data { MIN_PTO_NEW_DATA } else { MIN_PTO })
}

/// The tail loss probe state (RFC 8985 §7.1).
#[derive(Debug, Clone, Default)]
pub struct TailLossProbe {
    /// `TLP.end_seq`: SND.NXT when the outstanding probe was sent.
    end_seq: Option<SeqNumber>,
    /// `TLP.is_retrans`: the probe resent old data.
    is_retrans: bool,
    /// Our TSval on the probe, to tell its ACK from the original's.
    tsval: Option<u32>,
    /// An RTT sample arrived since the last probe (RFC 8985 §7.3 condition 2).
    sampled: bool,
    /// Probes sent since an ACK last delivered data.
    unanswered: u32,
}

/// What the ACK of a loss probe says (RFC 8985 §7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// No probe outstanding, or its ACK has not come yet.
    Pending,
    /// The probe was new data, or a duplicate of data that had arrived: no loss.
    NoLoss,
    /// The probe repaired a lost tail segment: respond as to a fast recovery.
    LossRepaired,
}

impl TailLossProbe {
    /// An RTT sample (any delivery) arrived.
    pub fn on_rtt_sample(&mut self) {
        self.sampled = true;
        self.unanswered = 0;
    }

    /// Whether a probe may go out.
    ///
    /// RFC 8985 §7.3 sends one only when no probe is outstanding (condition 1) and an
    /// RTT sample arrived since the last one (condition 2), and otherwise waits for the
    /// RTO. Tundra, like QUIC (RFC 9002 §6.2.1), sends up to [`PROBE_LIMIT`] probes in
    /// a row, each after twice the previous wait ([`TailLossProbe::backoff`]): against
    /// a small window at a few percent loss, the ACK that answers a probe is itself
    /// lost often enough, and a receiver that holds the data answers a duplicate at
    /// most twice a second (Linux's `tcp_invalid_ratelimit`), so the RTO that follows
    /// would cost 200 ms or more where the next probe costs a few milliseconds. The
    /// limit and the backoff keep a dead path from drawing more than a handful of
    /// segments before the RTO takes over, and only the first probe may resend old
    /// data ([`TailLossProbe::first_in_series`]).
    pub fn may_probe(&self) -> bool {
        self.sampled || (self.unanswered > 0 && self.unanswered < PROBE_LIMIT)
    }

    /// Whether the probe going out is the first since an ACK delivered data (RFC
    /// 8985's one probe). Only it may resend old data when there is no new data to
    /// send — a receiver stalled for tens of milliseconds (a busy host) would otherwise
    /// see the backed-off probes as needless retransmissions — and only it restarts
    /// the RTO, so the probes that follow cannot postpone the timeout.
    pub fn first_in_series(&self) -> bool {
        self.unanswered <= 1
    }

    /// The factor on the PTO: doubled for each probe not answered yet.
    pub fn backoff(&self) -> u32 {
        1 << self.unanswered.min(PROBE_LIMIT)
    }

    /// The probe timer fired and a probe goes out.
    pub fn on_fire(&mut self) {
        self.sampled = false;
        self.unanswered = self.unanswered.saturating_add(1);
    }

    /// Whether a probe is outstanding.
    pub fn outstanding(&self) -> bool {
        self.end_seq.is_some()
    }

    /// A segment of the probe went out: `end_seq` is SND.NXT after it.
    pub fn on_probe(&mut self, end_seq: SeqNumber, is_retrans: bool, tsval: Option<u32>) {
        self.end_seq = Some(end_seq);
        self.is_retrans = is_retrans;
        self.tsval = tsval;
    }

    /// Forgets the outstanding probe (a timeout or recovery took over).
    pub fn cancel(&mut self) {
        self.end_seq = None;
    }

    /// RFC 8985 §7.4 `TLP_process_ack`. `dsack_end` is the right edge of a D-SACK
    /// block on this ACK, `tsecr` its echoed timestamp. An ACK that echoes a TSval
    /// older than the probe's was sent for the original transmission, which thus
    /// arrived (the same inference D-SACK gives, one ACK earlier).
    pub fn on_ack(
        &mut self,
        ack: SeqNumber,
        dsack_end: Option<SeqNumber>,
        tsecr: Option<u32>,
    ) -> ProbeOutcome {
        let Some(end) = self.end_seq else {
            return ProbeOutcome::Pending;
        };
        if ack < end {
            return ProbeOutcome::Pending;
        }
        self.end_seq = None;
        if !self.is_retrans {
            return ProbeOutcome::NoLoss;
        }
        if dsack_end.is_some_and(|d| d <= end) {
            return ProbeOutcome::NoLoss;
        }
        if let (Some(probe), Some(echo)) = (self.tsval, tsecr) {
            if (echo.wrapping_sub(probe) as i32) < 0 {
                return ProbeOutcome::NoLoss;
            }
        }
        ProbeOutcome::LossRepaired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u32) -> SeqNumber {
        SeqNumber(n)
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn at(n: i64) -> Instant {
        Instant::from_millis(n)
    }

    #[test]
    fn rfc8985_lost_once_a_later_segment_is_delivered_and_the_window_passed() {
        let mut b = Scoreboard::default();
        for i in 0..4u32 {
            b.on_send(s(100 * i), s(100 * i + 100), at(i as i64));
        }
        let mut rack = Rack::default();
        // Segment 2 (sent at 2 ms) is SACKed at 12 ms: RTT 10 ms.
        b.sack(s(0), s(400), &[Some((s(200), s(300)))], |seg| {
            rack.on_delivered(at(12), seg, false);
        });
        assert_eq!(rack.rtt(), ms(10));
        // Window 2 ms: segment 0 (sent 0 ms) is due at 12 ms, segment 1 at 13 ms.
        let scan = rack.detect_loss(&mut b, ms(2), at(12));
        assert_eq!((scan.lost, scan.recheck_in), (1, Some(ms(1))));
        let scan = rack.detect_loss(&mut b, ms(2), at(13));
        assert_eq!(scan.lost, 1, "segment 1 after the reordering window");
        // Segment 3 was sent after the delivered one: not suspect.
        assert_eq!(b.iter().filter(|x| x.lost).count(), 2);
    }

    #[test]
    fn rfc8985_a_lost_retransmission_is_detected() {
        let mut b = Scoreboard::default();
        b.on_send(s(0), s(100), at(0));
        b.on_send(s(100), s(200), at(0));
        b.mark_head_lost();
        b.on_retransmit(s(0), s(100), at(10));
        b.on_send(s(200), s(300), at(11));
        let mut rack = Rack::default();
        b.sack(s(0), s(300), &[Some((s(100), s(300)))], |seg| {
            rack.on_delivered(at(21), seg, false);
        });
        let scan = rack.detect_loss(&mut b, Duration::ZERO, at(21));
        assert_eq!((scan.lost, scan.lost_retransmits), (1, 1));
        assert_eq!(b.next_lost(1000), Some((s(0), s(100))));
    }

    #[test]
    fn rfc8985_reordering_and_ambiguous_samples() {
        let mut rack = Rack::default();
        let mut seg = first_segment();
        seg.start = s(100);
        seg.end = s(200);
        assert!(rack.on_delivered(at(10), &seg, false));
        seg.start = s(0);
        seg.end = s(100);
        rack.on_delivered(at(11), &seg, false);
        assert!(rack.reordering_seen(), "an original below FACK");
        assert_eq!(
            rack.reo_wnd(true, 5, Some(ms(8))),
            Duration::from_micros(2500),
            "min_RTT/4 once reordering is seen"
        );
        seg.ever_retransmitted = true;
        seg.sent_at = at(9);
        assert!(
            !rack.on_delivered(at(10), &seg, false),
            "1 ms < min_RTT: ambiguous"
        );
        assert!(
            !rack.on_delivered(at(30), &seg, true),
            "echo of an older TSval"
        );
    }

    fn first_segment() -> SentSegment {
        let mut b = Scoreboard::default();
        b.on_send(s(0), s(100), at(0));
        let seg = *b.iter().next().unwrap();
        seg
    }

    #[test]
    fn rfc8985_reo_wnd_zero_in_recovery_without_reordering_and_grows_with_dsack() {
        let mut rack = Rack::default();
        rack.on_delivered(at(40), &first_segment(), false);
        assert_eq!(rack.reo_wnd(false, 1, Some(ms(40))), ms(10));
        assert_eq!(rack.reo_wnd(true, 1, Some(ms(40))), Duration::ZERO);
        assert_eq!(
            rack.reo_wnd(false, 3, Some(ms(40))),
            Duration::ZERO,
            "DupThresh SACKed"
        );
        rack.on_ack(true, s(0), s(1000));
        rack.on_ack(true, s(500), s(1000));
        assert_eq!(
            rack.reo_wnd(false, 1, Some(ms(40))),
            ms(20),
            "one step per round"
        );
        rack.on_ack(true, s(1000), s(2000));
        assert_eq!(
            rack.reo_wnd(false, 1, Some(ms(25))),
            ms(25),
            "bounded by SRTT"
        );
    }

    #[test]
    fn rfc8985_7_2_pto() {
        assert_eq!(
            probe_timeout(None, 5000, 1000, true),
            Duration::from_secs(1)
        );
        assert_eq!(probe_timeout(Some(ms(30)), 5000, 1000, false), ms(60));
        assert_eq!(
            probe_timeout(Some(ms(30)), 1000, 1000, false),
            ms(260),
            "+ max ACK delay"
        );
        assert_eq!(probe_timeout(Some(ms(1)), 5000, 1000, false), MIN_PTO);
        assert_eq!(
            probe_timeout(Some(Duration::from_micros(100)), 5000, 1000, true),
            MIN_PTO_NEW_DATA
        );
    }

    #[test]
    fn rfc8985_7_4_probe_ack() {
        let mut tlp = TailLossProbe::default();
        assert!(!tlp.may_probe(), "no RTT sample yet");
        tlp.on_rtt_sample();
        for k in 1..=PROBE_LIMIT {
            assert!(tlp.may_probe());
            tlp.on_fire();
            assert_eq!(tlp.backoff(), 1 << k);
            assert_eq!(tlp.first_in_series(), k == 1);
        }
        assert!(!tlp.may_probe(), "the limit: the RTO takes over");
        tlp.on_rtt_sample();
        assert_eq!(tlp.backoff(), 1);
        tlp.on_fire();
        tlp.on_probe(s(1000), true, Some(500));
        assert_eq!(tlp.on_ack(s(900), None, Some(500)), ProbeOutcome::Pending);
        assert_eq!(
            tlp.on_ack(s(1000), None, Some(500)),
            ProbeOutcome::LossRepaired
        );
        tlp.on_probe(s(2000), true, Some(600));
        assert_eq!(
            tlp.on_ack(s(2000), Some(s(2000)), Some(600)),
            ProbeOutcome::NoLoss,
            "D-SACK"
        );
        tlp.on_probe(s(3000), true, Some(700));
        assert_eq!(
            tlp.on_ack(s(3000), None, Some(650)),
            ProbeOutcome::NoLoss,
            "ACK of the original"
        );
        tlp.on_probe(s(4000), false, Some(800));
        assert_eq!(
            tlp.on_ack(s(4000), None, Some(800)),
            ProbeOutcome::NoLoss,
            "new data"
        );
    }
}
