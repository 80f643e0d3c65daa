//! Loss detection and recovery: what an ACK or a timer says about lost segments, and
//! how the congestion window responds.
//!
//! Two recovery schemes, chosen by whether SACK was negotiated:
//! - with SACK (the normal case with Linux, Windows, macOS peers): the scoreboard of
//!   RFC 6675, loss detected by RACK (RFC 8985 §6, time-based: it also finds lost
//!   retransmissions) and by RFC 6675 IsLost / DupThresh, the tail loss probe (RFC 8985
//!   §7), and the window during fast recovery set by PRR (RFC 6937);
//! - without SACK: NewReno (RFC 5681 §3.2, RFC 6582), three duplicate ACKs and partial
//!   ACKs.
//!
//! Either way one congestion response per episode: fast recovery lasts until SND.UNA
//! passes `recover` (RFC 6582 §3.2, RFC 6675 §5 RecoveryPoint), and a timeout starts a
//! timeout recovery (RFC 6298 §5.4-5.6, RFC 5681 §3.1) that lasts as long.

use tundra_core::Instant;

use super::{Connection, Recovery, State};
use crate::congestion::Prr;
use crate::rack::{self, ProbeOutcome};
use crate::sack::{SentSegment, DUP_THRESH};
use crate::undo::UndoEpisode;
use crate::{SeqNumber, TcpRepr};

/// `a < b` in the modular order of timestamp values (RFC 7323 §5.2).
fn ts_before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// The most duplicate ACKs a connection without SACK waits for before a fast
/// retransmit, however much reordering it saw (Linux caps `tp->reordering` likewise,
/// at `tcp_max_reordering`).
pub const MAX_DUP_THRESH: u32 = 32;

/// RFC 2883 §4: the first SACK block reports a duplicate (a D-SACK) when it lies
/// below the cumulative ACK or inside the second block. Returns the block.
fn dsack_block(
    ack: SeqNumber,
    blocks: &[Option<(SeqNumber, SeqNumber)>],
) -> Option<(SeqNumber, SeqNumber)> {
    let (l, r) = blocks.first().copied().flatten()?;
    if l >= r {
        return None;
    }
    if l < ack {
        return Some((l, r));
    }
    match blocks.get(1).copied().flatten() {
        Some((l2, r2)) if l2 <= l && r <= r2 => Some((l, r)),
        _ => None,
    }
}

impl Connection {
    /// Fifth step, the loss-recovery part: takes the cumulative ACK and SACK blocks of
    /// `seg`, detects losses, and moves between Open, Fast and Timeout recovery.
    /// `una_before` is SND.UNA before this ACK; SND.UNA is already advanced.
    /// `data_acked` is the buffered data this ACK freed, `delivered` the octets it
    /// newly acknowledged or SACKed (RFC 6937 DeliveredData), `dup` whether it is a
    /// duplicate ACK.
    pub(super) fn on_ack_recovery(
        &mut self,
        now: Instant,
        seg: &TcpRepr<'_>,
        una_before: SeqNumber,
        data_acked: usize,
        delivered: usize,
        dup: bool,
    ) {
        let ack = self.snd_una;
        let mss = self.eff_mss();
        // RFC 3708 §3: a D-SACK of a retransmitted range says the retransmission was
        // needless (RFC 2883 §5 leaves it to the sender what to make of it).
        let dsack = dsack_block(ack, &seg.options.sack_blocks).filter(|_| self.sack_enabled);
        // With the ranges the scoreboard found delivered before their retransmission
        // could have arrived (see `scoreboard_ack`, `scoreboard_sack`).
        let mut spurious = core::mem::take(&mut self.spurious);
        if let Some(block) = dsack {
            self.stats.dsacks_received += 1;
            spurious.push(block);
        }
        let any_spurious = !spurious.is_empty();
        for &(l, r) in &spurious {
            if self.undo.as_mut().is_some_and(|u| u.on_spurious(l, r)) {
                self.stats.spurious_retransmits += 1;
            }
        }
        spurious.clear();
        self.spurious = spurious;
        if !self.sack_enabled {
            self.newreno_on_ack(now, ack, una_before, data_acked, dup);
            self.try_undo();
            return;
        }
        let tsecr = seg
            .options
            .timestamp
            .filter(|_| self.ts_enabled)
            .map(|t| t.tsecr);
        // RFC 8985 §6.2 step 4 grows the reordering window on a D-SACK; Tundra also
        // does when an ACK shows a retransmission needless without one (timestamps,
        // RFC 3522, or an ACK too soon, RFC 8985 §6.2 step 2), as peers that never
        // send D-SACK (smoltcp) otherwise leave it at min_RTT / 4 for good.
        self.rack.on_ack(any_spurious, self.snd_una, self.snd_nxt);

        // Recovery ends with the ACK of the recovery point (RFC 6675 §5, RFC 6582 §3.2
        // step 6): PRR's "cwnd = ssthresh".
        let mut exited = false;
        if ack >= self.recover {
            match self.recovery {
                Recovery::Fast => {
                    self.recovery = Recovery::Open;
                    let ssthresh = self.cc.ssthresh();
                    self.cc.set_window(ssthresh);
                    self.rack.on_recovery_exit();
                    exited = true;
                    let snd_max = self.snd_max;
                    if let Some(u) = self.undo.as_mut() {
                        u.on_recovery_end(snd_max);
                    }
                }
                Recovery::Timeout => {
                    self.recovery = Recovery::Open;
                    self.rack.on_recovery_exit();
                }
                Recovery::Open => {}
            }
        }
        if self.recovery != Recovery::Fast && data_acked > 0 && !exited {
            // Slow start or congestion avoidance (RFC 5681 §3.1), also while the
            // timeout recovery resends.
            self.cc.on_ack(now, data_acked, mss);
        }

        self.detect_losses(now);
        match self.recovery {
            Recovery::Open if self.scoreboard.has_lost() && ack >= self.recover => {
                self.enter_fast_recovery(now, delivered);
            }
            Recovery::Fast => self.update_prr(delivered),
            _ => {}
        }

        self.try_undo();

        // RFC 8985 §7.4: did a loss probe repair a loss?
        if self.tlp.on_ack(ack, dsack.map(|b| b.1), tsecr) == ProbeOutcome::LossRepaired {
            self.stats.tlp_recoveries += 1;
            if self.recovery == Recovery::Open {
                // "invoke congestion control ... equivalent to fast recovery". The
                // flight was just acknowledged; the window the loss happened in is
                // cwnd, which stands for FlightSize in RFC 5681 eq. 4 (as in Linux).
                let window = self.cc.window();
                self.cc.on_enter_recovery(now, window, mss);
                let ssthresh = self.cc.ssthresh();
                self.cc.set_window(ssthresh);
            }
        }
        // RFC 8985 §7.2: restart the probe timer on an ACK of new data (and, in
        // recovery, on one that SACKs new data: see `tlp_allowed`).
        if ack > una_before || delivered > 0 || !self.tlp_allowed() {
            self.arm_tlp(now);
        }
    }

    /// Takes the cumulative ACK into the scoreboard (before
    /// [`Connection::on_ack_recovery`]): RACK sees each newly delivered segment.
    /// Returns the octets newly delivered (not SACKed before).
    pub(super) fn scoreboard_ack(
        &mut self,
        now: Instant,
        seg: &TcpRepr<'_>,
        ack: SeqNumber,
    ) -> usize {
        let tsecr = seg
            .options
            .timestamp
            .filter(|_| self.ts_enabled)
            .map(|t| t.tsecr);
        let (rack, ts_offset, spurious) = (&mut self.rack, self.ts_offset, &mut self.spurious);
        let mut sampled = false;
        let bytes = self.scoreboard.ack(ack, |s| {
            let older = echo_older(tsecr, s, ts_offset);
            // RFC 3522 §3.2 (Eifel): the ACK that covers a retransmitted segment
            // echoes a timestamp older than the retransmission: the original
            // arrived. (Only the cumulative ACK: the TSecr of an ACK that only SACKs
            // echoes an earlier segment, RFC 7323 §4.3.)
            if s.ever_retransmitted && (older || too_soon(rack, now, s)) {
                spurious.push((s.start, s.end));
            }
            sampled |= rack.on_delivered(now, s, older);
        });
        if sampled || bytes > 0 {
            self.tlp.on_rtt_sample();
        }
        bytes
    }

    /// Takes the SACK blocks of `seg` into the scoreboard (RFC 2018, RFC 6675 Update).
    /// Returns the bytes newly SACKed.
    pub(super) fn scoreboard_sack(&mut self, now: Instant, seg: &TcpRepr<'_>) -> usize {
        if !self.sack_enabled {
            return 0;
        }
        let tsecr = seg
            .options
            .timestamp
            .filter(|_| self.ts_enabled)
            .map(|t| t.tsecr);
        let (rack, ts_offset, spurious) = (&mut self.rack, self.ts_offset, &mut self.spurious);
        let bytes =
            self.scoreboard
                .sack(self.snd_una, self.snd_nxt, &seg.options.sack_blocks, |s| {
                    if s.ever_retransmitted && too_soon(rack, now, s) {
                        spurious.push((s.start, s.end));
                    }
                    rack.on_delivered(now, s, echo_older(tsecr, s, ts_offset));
                });
        if bytes > 0 {
            self.tlp.on_rtt_sample();
        }
        bytes
    }

    /// NewReno without SACK: RFC 5681 §3.2 fast retransmit on the third duplicate ACK,
    /// RFC 6582 partial ACKs, and slow start / congestion avoidance.
    fn newreno_on_ack(
        &mut self,
        now: Instant,
        ack: SeqNumber,
        una_before: SeqNumber,
        data_acked: usize,
        dup: bool,
    ) {
        let mss = self.eff_mss();
        if ack > una_before {
            let acked = ack - una_before;
            match self.recovery {
                Recovery::Fast if ack >= self.recover => {
                    // RFC 6582 §3.2 step 6: a full acknowledgment ends fast recovery.
                    self.recovery = Recovery::Open;
                    let flight = self.snd_max - self.snd_una;
                    self.cc.on_exit_recovery(flight, mss);
                    let snd_max = self.snd_max;
                    if let Some(u) = self.undo.as_mut() {
                        u.on_recovery_end(snd_max);
                    }
                }
                Recovery::Fast => {
                    // RFC 6582 §3.2 step 5: a partial acknowledgment: retransmit the
                    // first unacknowledged segment, deflate cwnd, reset the timer.
                    if self.scoreboard.mark_head_lost() {
                        self.rexmit_now = true;
                    }
                    self.cc.on_partial_ack(acked, mss);
                }
                Recovery::Timeout | Recovery::Open => {
                    if self.recovery == Recovery::Timeout && ack >= self.recover {
                        self.recovery = Recovery::Open;
                    }
                    if data_acked > 0 {
                        // Only data grows the window (the ACK of a SYN or FIN does not).
                        self.cc.on_ack(now, data_acked, mss);
                    }
                }
            }
        } else if dup {
            if self.recovery == Recovery::Fast {
                // RFC 5681 §3.2 step 4.
                self.cc.on_dupack_in_recovery(mss);
            } else if self.dupacks >= self.dup_threshold() && ack >= self.recover {
                // RFC 5681 §3.2 steps 2-3 and RFC 6582 §3.2 step 2: the third duplicate
                // ACK (fewer in a small window, RFC 5827), and it covers more than
                // `recover`: fast retransmit, then fast recovery with recover = the
                // highest sequence number sent.
                // RFC 3042 §2: segments sent by limited transmit do not count in the
                // FlightSize that sets ssthresh.
                let flight = (self.snd_max - self.snd_una).saturating_sub(self.limited_sent);
                self.limited_sent = 0;
                self.recover = self.snd_max;
                self.recovery = Recovery::Fast;
                self.start_undo_episode();
                self.cc.on_enter_recovery(now, flight, mss);
                if self.scoreboard.mark_head_lost() {
                    self.rexmit_now = true;
                }
                self.rtt_probe = None;
                self.stats.fast_retransmits += 1;
            }
        }
    }

    /// The duplicate ACKs that trigger a fast retransmit without SACK: DupThresh, or
    /// RFC 5827 §3.1 early retransmit: with fewer than four segments outstanding and
    /// no new data that could be sent, the window is too small to ever bring three
    /// duplicates, so the threshold is the number of outstanding segments less one.
    fn dup_threshold(&self) -> u32 {
        let outstanding = self.scoreboard.len();
        if outstanding < 4 && !self.has_new_data() {
            outstanding.saturating_sub(1).max(1) as u32
        } else {
            self.reordering
        }
    }

    /// A congestion response begins: remember the window it replaces (RFC 3708,
    /// RFC 3522), in case every retransmission it makes turns out needless.
    fn start_undo_episode(&mut self) {
        self.undo = Some(UndoEpisode::start(self.cc.window(), self.cc.ssthresh()));
    }

    /// Undoes the last congestion response once every segment its episode resent is
    /// known to have arrived without the retransmission and nothing else waits to be
    /// resent (RFC 3708 §3 "the sender could undo the congestion control response";
    /// RFC 3522 §3.2; Linux's `tcp_try_undo_recovery` / `tcp_try_undo_dsack`): cwnd
    /// and ssthresh come back, fast recovery ends, and the episode's recovery point no
    /// longer holds a new one back. Without SACK the reordering that fooled three
    /// duplicate ACKs raises the threshold to the duplicates that came before the
    /// hole filled, as Linux raises `tp->reordering`.
    fn try_undo(&mut self) {
        let Some(episode) = self.undo.as_ref() else {
            return;
        };
        if episode.is_spoiled() || episode.expired(self.snd_una) {
            self.undo = None;
            return;
        }
        if !episode.all_spurious() || self.scoreboard.has_lost() {
            return;
        }
        let (cwnd, ssthresh) = episode.prior();
        self.undo = None;
        self.cc.undo(cwnd, ssthresh);
        self.stats.undos += 1;
        if self.recovery == Recovery::Fast {
            self.recovery = Recovery::Open;
            self.rack.on_recovery_exit();
        }
        self.recover = self.snd_una;
        if !self.sack_enabled {
            self.reordering = self
                .reordering
                .max(self.dupacks_before_ack + 1)
                .min(MAX_DUP_THRESH);
        }
    }

    /// Marks what is now known lost (SACK connections): RACK (RFC 8985 §6.2 step 5),
    /// RFC 6675 IsLost while no reordering was seen, and the first unacknowledged
    /// segment after DupThresh duplicate ACKs (RFC 6675 §5 (a)). Rearms the RACK
    /// reordering timer for segments still within their window.
    fn detect_losses(&mut self, now: Instant) {
        let in_recovery = self.recovery != Recovery::Open;
        let reo_wnd = self.rack.reo_wnd(
            in_recovery,
            self.scoreboard.sacked_segments(),
            self.rack.srtt().or(self.rtt.srtt()),
        );
        let scan = self.rack.detect_loss(&mut self.scoreboard, reo_wnd, now);
        self.stats.lost_retransmits += scan.lost_retransmits as u64;
        self.reo_at = scan.recheck_in.map(|d| now + d);
        // RFC 6675 §4 IsLost counts SACKed data above a hole, which reordering also
        // produces; once RACK has seen reordering, its time window decides alone
        // (RFC 8985 §6.2: the reordering window replaces DupThresh).
        if !self.rack.reordering_seen() {
            let mss = self.eff_mss();
            self.scoreboard.mark_lost_by_sack(mss);
            if self.dupacks as usize >= DUP_THRESH {
                self.scoreboard.mark_head_lost();
            }
        }
    }

    /// RFC 6675 §5 / RFC 6937: loss detected by ACKs (or the RACK timer) on a SACK
    /// connection: ssthresh from congestion control, RecoveryPoint = SND.MAX, and PRR
    /// sets cwnd from here on.
    fn enter_fast_recovery(&mut self, now: Instant, delivered: usize) {
        let mss = self.eff_mss();
        let flight = self.snd_nxt - self.snd_una;
        self.recover = self.snd_max;
        self.recovery = Recovery::Fast;
        self.rescue_rxt = None;
        self.start_undo_episode();
        self.cc.on_enter_recovery(now, flight, mss);
        self.prr = Prr::start(flight);
        self.rtt_probe = None;
        self.stats.fast_retransmits += 1;
        self.update_prr(delivered);
    }

    /// RFC 6937 §3 on each ACK of fast recovery: cwnd = pipe + sndcnt.
    fn update_prr(&mut self, delivered: usize) {
        let mss = self.eff_mss();
        let pipe = self.scoreboard.pipe();
        let sndcnt = self.prr.on_ack(delivered, pipe, self.cc.ssthresh(), mss);
        self.cc.set_window(pipe + sndcnt);
    }

    /// The RACK reordering timer fired (RFC 8985 §6.2 step 5): look again.
    pub(super) fn on_reorder_timeout(&mut self, now: Instant) {
        if !self.sack_enabled || !self.sends_data() {
            return;
        }
        self.detect_losses(now);
        match self.recovery {
            Recovery::Open if self.scoreboard.has_lost() && self.snd_una >= self.recover => {
                self.enter_fast_recovery(now, 0);
            }
            Recovery::Fast => self.update_prr(0),
            _ => {}
        }
    }

    /// Whether a loss probe may be scheduled now: SACK on and data outstanding.
    ///
    /// RFC 8985 §7.2 also asks for "no SACKed sequences" and "not in loss recovery",
    /// leaving those cases to the RACK reordering timer and the RTO. Tundra probes
    /// there too, as QUIC does in every state (RFC 9002 §6.2): with small windows (a
    /// few segments at a few percent loss) a recovery often loses its last
    /// retransmission together with the ACKs of what followed; nothing then arrives to
    /// clock RACK, and the recovery would end in a timeout (200 ms or more) instead of
    /// one probe a PTO later. The probe is new data when there is some, so it is no
    /// retransmission; it never changes cwnd, and in recovery the peer holds
    /// out-of-order data and acknowledges at once (RFC 5681 §4.2).
    fn tlp_allowed(&self) -> bool {
        self.sack_enabled
            && self.config.tail_loss_probe
            && self.sends_data()
            && self.snd_nxt > self.snd_una
    }

    /// (Re)starts the probe timer (RFC 8985 §7.2), never later than the RTO; stops it
    /// when a probe is not allowed.
    pub(super) fn arm_tlp(&mut self, now: Instant) {
        self.tlp_at = None;
        if !self.tlp_allowed() {
            return;
        }
        let flight = self.snd_nxt - self.snd_una;
        // The RACK samples' SRTT has microsecond resolution; fall back to RFC 6298's.
        let srtt = self.rack.srtt().or(self.rtt.srtt());
        let pto = rack::probe_timeout(srtt, flight, self.eff_mss(), self.has_new_data())
            .saturating_mul(self.tlp.backoff());
        let mut at = now + pto;
        if let Some(rto) = self.rto_at {
            at = at.min(rto);
        }
        self.tlp_at = Some(at);
    }

    /// The probe timer fired (RFC 8985 §7.3): send a probe if allowed (`poll_transmit`
    /// builds it), else leave it to the retransmission timer.
    pub(super) fn on_probe_timeout(&mut self, _now: Instant) {
        if self.tlp_allowed() && self.tlp.may_probe() {
            self.tlp.on_fire();
            self.send_tlp = rack::PROBE_SEGMENTS;
        }
    }

    /// RFC 6298 §5.4-5.6: the retransmission timer expired: back off, collapse cwnd
    /// (RFC 5681 §3.1), deem the first unacknowledged segment lost (and, with SACK, the
    /// others RACK says are: RFC 8985 §6.3; without SACK all of them: go-back-N), and
    /// resend it whatever cwnd says.
    pub(super) fn on_retransmission_timeout(&mut self, now: Instant) {
        self.rto_at = None;
        if self.snd_max == self.snd_una {
            return;
        }
        let limit = match self.state {
            State::SynSent | State::SynReceived => self.config.max_syn_retransmissions,
            _ => self.config.max_retransmissions,
        };
        if self.retries >= limit {
            // RFC 9293 §3.8.3: past R2, close the connection.
            log::debug!("{}: retransmission limit reached, giving up", self.local);
            self.enter_closed(self.timeout_reason());
            return;
        }
        self.stats.rto_expirations += 1;
        self.retries += 1;
        let first = self.rtt.backoff() == 0;
        let flight = self.snd_max - self.snd_una;
        let mss = self.eff_mss();
        self.cc.on_retransmission_timeout(flight, mss, first);
        self.rtt.back_off(); // RFC 6298 §5.5
                             // RFC 6582 §4 / RFC 6675 §5.1: recover = the highest sequence sent; no fast
                             // recovery until SND.UNA passes it.
        self.recover = self.snd_max;
        self.dupacks = 0;
        self.limited_sent = 0;
        // Karn's algorithm (RFC 6298 §3): no sample from a retransmitted segment.
        self.rtt_probe = None;
        // A timeout is not undone (RFC 4138 F-RTO and RFC 4015 would be needed).
        self.undo = None;
        self.reo_at = None;
        self.tlp_at = None;
        self.send_tlp = 0;
        self.tlp.cancel();
        if matches!(self.state, State::SynSent | State::SynReceived) {
            // The SYN (or SYN-ACK) goes again: `poll_transmit` sends it when SND.NXT =
            // ISS.
            self.snd_nxt = self.snd_una;
            self.syn_timed_out = true;
            return;
        }
        self.recovery = Recovery::Timeout;
        self.rescue_rxt = None;
        if self.sack_enabled {
            if !first {
                // Back-to-back timeouts: the receiver may have reneged on what it
                // SACKed (RFC 2018 §8); stop trusting it.
                self.scoreboard.clear_sacked();
            }
            let reo_wnd = self
                .rack
                .reo_wnd(true, 0, self.rack.srtt().or(self.rtt.srtt()));
            let una = self.snd_una;
            self.rack
                .mark_losses_on_rto(&mut self.scoreboard, reo_wnd, now, una);
        } else {
            self.scoreboard.mark_all_lost();
        }
        // RFC 6298 §5.4: retransmit the earliest segment not acknowledged; §5.6: the
        // timer restarts when it leaves (`poll_transmit`).
        self.rexmit_now = true;
    }

    /// Whether unsent data (or FIN) waits and the peer's window has room for some.
    fn has_new_data(&self) -> bool {
        let buf_end = self.buf_seq + self.send_buf.len();
        let unsent = self.snd_nxt < buf_end || (self.fin_queued && self.snd_nxt == buf_end);
        unsent && self.snd_una + self.snd_wnd > self.snd_nxt
    }

    /// Whether the state lets data (and FIN) be sent.
    pub(super) fn sends_data(&self) -> bool {
        matches!(
            self.state,
            State::Established
                | State::CloseWait
                | State::FinWait1
                | State::Closing
                | State::LastAck
        )
    }
}

/// RFC 8985 §6.2 step 2: `seg`, retransmitted, is delivered sooner than the minimum
/// RTT after its last transmission, so the ACK cannot be for that transmission: an
/// earlier one arrived and the retransmission was needless. Needs neither timestamps
/// nor D-SACK.
fn too_soon(rack: &rack::Rack, now: Instant, seg: &SentSegment) -> bool {
    rack.min_rtt().is_some_and(|m| now - seg.sent_at < m)
}

/// Whether the ACK echoes a TSval older than `seg`'s last transmission (RFC 8985
/// §6.2 step 2: then it was sent for an earlier transmission).
fn echo_older(tsecr: Option<u32>, seg: &SentSegment, ts_offset: u32) -> bool {
    tsecr.is_some_and(|e| {
        let sent = (seg.sent_at.total_millis() as u32).wrapping_add(ts_offset);
        ts_before(e, sent)
    })
}
