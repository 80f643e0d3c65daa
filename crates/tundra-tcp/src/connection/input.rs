//! SEGMENT ARRIVES (RFC 9293 §3.10.7), in the RFC's own order: the LISTEN and
//! SYN-SENT special cases, then for every other state the eight steps "first check
//! sequence number" .. "eighth, check the FIN bit", with RFC 5961 and RFC 7323 woven in
//! where they amend a step.

use tundra_core::{Duration, Instant};

use super::{
    scale_for, Connection, State, Timestamps, DEFAULT_MSS, EV_CONNECTED, EV_PEER_CLOSED,
    EV_READABLE, EV_WRITABLE,
};
use crate::{CloseReason, SeqNumber, TcpRepr};

/// RFC 7323 §5.5: TS.Recent older than 24 days is no longer valid for PAWS.
const PAWS_IDLE_LIMIT: Duration = Duration::from_secs(24 * 24 * 3600);

/// The smallest MSS we accept from a peer; a smaller one would make us send absurdly
/// small segments (Linux clamps at 48 for the same reason).
const MIN_PEER_MSS: usize = 64;

/// `a < b` in the modular order of timestamp values (RFC 7323 §5.2).
fn ts_before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

impl Connection {
    /// Processes one arriving segment (already parsed and demultiplexed to this
    /// connection).
    pub fn handle_segment(&mut self, now: Instant, seg: &TcpRepr<'_>) {
        self.stats.segments_in += 1;
        match self.state {
            // RFC 9293 §3.10.7.1: with no TCB the endpoint answers (it owns the RST
            // rules for unknown connections); a CLOSED TCB ignores everything.
            State::Closed => {}
            State::Listen => self.on_listen(now, seg),
            State::SynSent => self.on_syn_sent(now, seg),
            _ => self.on_other(now, seg),
        }
    }

    /// RFC 9293 §3.10.7.2: "If the state is LISTEN, then ...".
    fn on_listen(&mut self, now: Instant, seg: &TcpRepr<'_>) {
        // "First, check for a RST: An incoming RST segment could not be valid since it
        // could not have been sent in response to anything sent by this incarnation of
        // the connection. An incoming RST should be ignored."
        if seg.flags.rst {
            return;
        }
        // "Second, check for an ACK: Any acknowledgment is bad if it arrives on a
        // connection still in the LISTEN state. An acceptable reset segment should be
        // formed for any arriving ACK-bearing segment: <SEQ=SEG.ACK><CTL=RST>."
        if let Some(ack) = seg.ack_number {
            self.pending_rst = Some((ack, None));
            return;
        }
        // "Third, check for a SYN" (the security check does not apply: no IP security
        // labels, RFC 9293 §3.10.7.2 note).
        if seg.flags.syn {
            self.irs = seg.seq_number;
            self.rcv_nxt = seg.seq_number + 1;
            self.negotiate(now, seg);
            // The window in a SYN is never scaled (RFC 7323 §2.2).
            self.snd_wnd = seg.window_len as usize;
            self.max_snd_wnd = self.snd_wnd;
            self.snd_wl1 = seg.seq_number;
            self.snd_wl2 = self.iss;
            self.rcv_adv = self.rcv_nxt + self.rcv_space().min(0xffff);
            self.last_recv = now;
            // "ISS should be selected and a SYN segment sent of the form
            // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. SND.NXT is set to ISS+1 and SND.UNA
            // to ISS. The connection state should be changed to SYN-RECEIVED."
            // (`poll_transmit` sends the SYN-ACK because SND.NXT = ISS.) Text carried
            // by the SYN is not kept, as Linux does without TFO: the peer resends it.
            self.set_state(State::SynReceived);
        }
        // "Fourth, other data or control: ... drop the segment and return."
    }

    /// RFC 9293 §3.10.7.3: "If the state is SYN-SENT, then ...".
    fn on_syn_sent(&mut self, now: Instant, seg: &TcpRepr<'_>) {
        // "First, check the ACK bit: If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a
        // reset (unless the RST bit is set, if so drop the segment and return)
        // <SEQ=SEG.ACK><CTL=RST> and discard the segment."
        if let Some(ack) = seg.ack_number {
            if ack <= self.iss || ack > self.snd_max {
                if !seg.flags.rst {
                    self.pending_rst = Some((ack, None));
                }
                return;
            }
        }
        // "Second, check the RST bit: If the ACK was acceptable, then signal to the
        // user 'error: connection reset', drop the segment, enter CLOSED state ...
        // Otherwise (no ACK), drop the segment and return." (RFC 5961 §3.2: in
        // SYN-SENT a RST is acceptable only if it acknowledges the SYN.)
        if seg.flags.rst {
            if seg.ack_number.is_some() {
                self.enter_closed(CloseReason::Refused);
            }
            return;
        }
        // Third, the security check does not apply.
        // "Fourth, check the SYN bit."
        if !seg.flags.syn {
            // "Fifth, if neither of the SYN or RST bits is set, then drop the segment."
            return;
        }
        self.irs = seg.seq_number;
        self.rcv_nxt = seg.seq_number + 1;
        self.negotiate(now, seg);
        self.rcv_adv = self.rcv_nxt + self.rcv_space().min(0xffff);
        self.last_recv = now;
        if let Some(ack) = seg.ack_number {
            // "SND.UNA should be advanced to equal SEG.ACK (if there is an ACK)".
            self.snd_una = ack;
            if self.snd_nxt < ack {
                self.snd_nxt = ack;
            }
        }
        // The SYN's window is never scaled (RFC 7323 §2.2).
        self.snd_wnd = seg.window_len as usize;
        self.max_snd_wnd = self.snd_wnd;
        self.snd_wl1 = seg.seq_number;
        self.snd_wl2 = seg.ack_number.unwrap_or(self.iss);
        if self.snd_una > self.iss {
            // "If SND.UNA > ISS (our SYN has been ACKed), change the connection state
            // to ESTABLISHED, form an ACK segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
            // and send it."
            self.take_rtt_sample(now, seg, self.iss + 1);
            self.rto_at = None;
            self.enter_established(now);
            self.ack_now = true;
            // "Data or controls that were queued for transmission may be included. If
            // there are other controls or text in the segment, then continue
            // processing at the sixth step."
            self.process_text_and_fin(now, seg, seg.seq_number + 1);
        } else {
            // "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment
            // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it." (simultaneous open,
            // RFC 9293 Figure 8). Going back to ISS makes `poll_transmit` send it.
            self.snd_nxt = self.iss;
            self.set_state(State::SynReceived);
        }
    }

    /// Option negotiation on the peer's SYN (or SYN-ACK).
    fn negotiate(&mut self, now: Instant, syn: &TcpRepr<'_>) {
        // RFC 9293 §3.7.1: without an MSS option assume 536; never send more than our
        // own MSS (the device MTU bound) either.
        let peer_mss = syn.options.mss.map_or(DEFAULT_MSS, |m| m as usize);
        self.smss = peer_mss.min(self.config.mss as usize).max(MIN_PEER_MSS);
        // RFC 1191: an ICMP "fragmentation needed" about our SYN already lowered it.
        self.smss = self.smss.min(self.path_mss);
        // RFC 7323 §2.2: window scaling is on only if both SYNs carry the option.
        if let (true, Some(shift)) = (self.config.window_scaling, syn.options.window_scale) {
            self.wscale_ok = true;
            self.snd_wscale = shift.min(14); // RFC 7323 §2.3
            self.rcv_wscale = scale_for(self.recv_buf.capacity());
        } else {
            self.wscale_ok = false;
            self.snd_wscale = 0;
            self.rcv_wscale = 0;
        }
        // RFC 7323 §3.2: timestamps are on only if both SYNs carry them.
        self.ts_enabled = self.config.timestamps && syn.options.timestamp.is_some();
        self.ts = match (self.ts_enabled, syn.options.timestamp) {
            (true, Some(t)) => Some(Timestamps {
                recent: t.tsval,
                recent_at: now,
            }),
            _ => None,
        };
        // RFC 2018 §2: SACK only if both sides sent SACK-permitted.
        self.sack_enabled = self.config.sack && syn.options.sack_permitted;
        let mss = self.eff_mss();
        // Our estimate of the peer's full segment size (for "every second full-sized
        // segment"): its MSS less the timestamp option, grown by what we see.
        self.rcv_mss = mss;
        self.cc.init(mss);
    }

    fn enter_established(&mut self, now: Instant) {
        self.set_state(State::Established);
        self.retries = 0;
        self.soft_error = None;
        self.rtt.reset_backoff();
        if self.syn_timed_out {
            // RFC 6298 §5.7.
            self.rtt.reset_after_syn_timeout();
        }
        self.wake(EV_CONNECTED | EV_WRITABLE);
        if let Some(ka) = self.config.keepalive {
            self.keepalive_at = Some(now + ka.idle);
        }
        if self.fin_queued {
            // A shutdown issued in SYN-RECEIVED (RFC 9293 §3.10.4) takes effect now.
            self.set_state(State::FinWait1);
        }
    }

    /// RFC 9293 §3.10.7.4: "Otherwise" (SYN-RECEIVED and the synchronized states).
    fn on_other(&mut self, now: Instant, seg: &TcpRepr<'_>) {
        // A retransmitted SYN while we are in SYN-RECEIVED means our SYN-ACK was lost:
        // send it again (Linux does; the RFC's generic "send an ACK" would leave the
        // peer in SYN-SENT waiting for our RTO).
        if self.state == State::SynReceived
            && seg.flags.syn
            && !seg.flags.rst
            && seg.ack_number.is_none()
            && seg.seq_number == self.irs
        {
            self.snd_nxt = self.iss;
            return;
        }

        // RFC 7323 §3.2: "Once TSopt has been successfully negotiated ... If a non-RST
        // segment is received without a TSopt, a TCP SHOULD silently drop the segment."
        if self.ts_enabled && !seg.flags.rst && seg.options.timestamp.is_none() {
            return;
        }

        // RFC 7323 §5.3 (PAWS), before the sequence number check: R1 "If there is a
        // Timestamps option in the arriving segment, SEG.TSval < TS.Recent, TS.Recent
        // is valid, and the RST bit is not set, then treat the arriving segment as not
        // acceptable: Send an acknowledgment in reply ... and drop the segment."
        if let (Some(ts), Some(seg_ts)) = (self.ts, seg.options.timestamp) {
            if !seg.flags.rst
                && ts_before(seg_ts.tsval, ts.recent)
                && now - ts.recent_at < PAWS_IDLE_LIMIT
            {
                self.stats.paws_rejected += 1;
                self.ack_now = true;
                // An old duplicate, as Linux reports it (`tcp_send_dupack`).
                self.note_old_duplicate(seg);
                return;
            }
        }

        // ---- First, check sequence number ----
        if !self.segment_acceptable(seg) {
            self.stats.out_of_window += 1;
            // "If an incoming segment is not acceptable, an acknowledgment should be
            // sent in reply (unless the RST bit is set, if so drop the segment and
            // return): <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>".
            if !seg.flags.rst {
                self.ack_now = true;
                self.note_old_duplicate(seg);
                // TIME-WAIT: a retransmitted FIN restarts the 2*MSL timeout (eighth
                // step; it is a duplicate, so it arrives here).
                if self.state == State::TimeWait && seg.flags.fin {
                    self.enter_time_wait(now);
                }
            }
            return;
        }

        // RFC 7323 §4.3: "If SEG.TSval >= TS.Recent and SEG.SEQ =< Last.ACK.sent then
        // SEG.TSval is copied to TS.Recent". (Checked after acceptability, §5.3 R3.)
        if let (Some(ts), Some(seg_ts)) = (self.ts.as_mut(), seg.options.timestamp) {
            if !ts_before(seg_ts.tsval, ts.recent) && seg.seq_number <= self.last_ack_sent {
                ts.recent = seg_ts.tsval;
                ts.recent_at = now;
            }
        }
        self.last_recv = now;
        if let Some(ka) = self.config.keepalive {
            self.keepalive_sent = 0;
            if matches!(self.state, State::Established | State::CloseWait) {
                self.keepalive_at = Some(now + ka.idle);
            }
        }

        // ---- Second, check the RST bit (RFC 5961 §3.2 as adopted by RFC 9293) ----
        if seg.flags.rst {
            if seg.seq_number != self.rcv_nxt {
                // "If the RST bit is set and the sequence number does not exactly match
                // the next expected sequence value, yet is within the current receive
                // window, TCP endpoints MUST send an acknowledgment (challenge ACK)".
                self.challenge_ack(now);
                return;
            }
            match self.state {
                // "If this connection was initiated with a passive OPEN (i.e., came from
                // the LISTEN state), then return this connection to LISTEN state" - for
                // us the embryonic TCB just goes away. "If ... an active OPEN ... then
                // the connection was refused".
                State::SynReceived => self.enter_closed(if self.passive {
                    CloseReason::Reset
                } else {
                    CloseReason::Refused
                }),
                // "any outstanding RECEIVEs and SEND should receive 'reset' responses.
                // All segment queues should be flushed. ... enter the CLOSED state".
                State::Established | State::FinWait1 | State::FinWait2 | State::CloseWait => {
                    self.enter_closed(CloseReason::Reset)
                }
                // "If the RST bit is set, then enter the CLOSED state, delete the TCB".
                State::Closing | State::LastAck => self.enter_closed(CloseReason::Reset),
                State::TimeWait => self.enter_closed(CloseReason::Normal),
                _ => {}
            }
            return;
        }

        // ---- Third, check security: no IP security labels, nothing to do. ----

        // ---- Fourth, check the SYN bit ----
        if seg.flags.syn {
            if self.state == State::SynReceived && self.passive {
                // "If the connection was initiated with a passive OPEN, then return this
                // connection to the LISTEN state and return."
                self.enter_closed(CloseReason::Reset);
                return;
            }
            // RFC 5961 §4.2: "... the TCP MUST send an ACK (challenge ACK) to the
            // remote peer" and drop the segment, whatever its sequence number.
            self.challenge_ack(now);
            return;
        }

        // ---- Fifth, check the ACK field ----
        // "if the ACK bit is off, drop the segment and return"
        let Some(ack) = seg.ack_number else {
            return;
        };
        // RFC 5961 §5.2: acceptable only if (SND.UNA - MAX.SND.WND) =< SEG.ACK =<
        // SND.NXT; otherwise discard and send an ACK.
        if self.state != State::SynReceived {
            let lower = self.snd_una - self.max_snd_wnd.min(1 << 30);
            if ack < lower || ack > self.snd_max {
                self.challenge_ack(now);
                return;
            }
        }
        match self.state {
            State::SynReceived => {
                // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state and
                // continue processing with the variables below set to: SND.WND <-
                // SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK".
                if self.snd_una < ack && ack <= self.snd_max {
                    self.snd_wnd = (seg.window_len as usize) << self.snd_wscale;
                    self.max_snd_wnd = self.max_snd_wnd.max(self.snd_wnd);
                    self.snd_wl1 = seg.seq_number;
                    self.snd_wl2 = ack;
                    self.enter_established(now);
                    self.process_ack(now, seg, ack);
                } else {
                    // "If the segment acknowledgment is not acceptable, form a reset
                    // segment <SEQ=SEG.ACK><CTL=RST> and send it."
                    self.pending_rst = Some((ack, None));
                    return;
                }
            }
            State::TimeWait => {
                // "The only thing that can arrive in this state is a retransmission of
                // the remote FIN" (handled in the eighth step).
            }
            _ => {
                self.process_ack(now, seg, ack);
                match self.state {
                    // "In addition to the processing for the ESTABLISHED state, if the
                    // FIN segment is now acknowledged, then enter FIN-WAIT-2".
                    State::FinWait1 if self.fin_acked() => self.set_state(State::FinWait2),
                    // "if the ACK acknowledges our FIN, then enter the TIME-WAIT state;
                    // otherwise, ignore the segment."
                    State::Closing => {
                        if self.fin_acked() {
                            self.enter_time_wait(now);
                        }
                        return;
                    }
                    // "The only thing that can arrive in this state is an
                    // acknowledgment of our FIN. If our FIN is now acknowledged, delete
                    // the TCB, enter the CLOSED state, and return."
                    State::LastAck => {
                        if self.fin_acked() {
                            self.enter_closed(CloseReason::Normal);
                        }
                        return;
                    }
                    _ => {}
                }
            }
        }

        // ---- Sixth, check the URG bit ----
        // Tundra does not implement the urgent mechanism; urgent data is delivered as
        // ordinary data (RFC 6093 §6: new applications SHOULD NOT use it).

        // ---- Seventh and eighth ----
        self.process_text_and_fin(now, seg, seg.seq_number);
    }

    /// RFC 9293 §3.10.7.4 first step, the acceptability table:
    ///
    /// | SEG.LEN | RCV.WND | test |
    /// |---|---|---|
    /// | 0 | 0 | SEG.SEQ = RCV.NXT |
    /// | 0 | >0 | RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND |
    /// | >0 | 0 | not acceptable |
    /// | >0 | >0 | RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND |
    fn segment_acceptable(&self, seg: &TcpRepr<'_>) -> bool {
        let len = seg.segment_len();
        let wnd = self.rcv_wnd();
        let seq = seg.seq_number;
        let end = self.rcv_nxt + wnd;
        match (len, wnd) {
            (0, 0) => seq == self.rcv_nxt,
            (0, _) => seq.in_range(self.rcv_nxt, end),
            (_, 0) => false,
            (_, _) => {
                seq.in_range(self.rcv_nxt, end) || (seq + (len - 1)).in_range(self.rcv_nxt, end)
            }
        }
    }

    /// RFC 2883 §4: a segment wholly below RCV.NXT duplicates what we acknowledged;
    /// our ACK reports it in a D-SACK block (its text, and the FIN it carries).
    fn note_old_duplicate(&mut self, seg: &TcpRepr<'_>) {
        let len = seg.segment_len();
        if len > 0 && !seg.flags.syn && seg.seq_number < self.rcv_nxt {
            let end = (seg.seq_number + len).min(self.rcv_nxt);
            self.note_duplicate(seg.seq_number, end);
        }
    }

    /// RFC 2883 §4: `[start, end)` arrived again; the next ACK carries it as a D-SACK
    /// block ("each duplicate contiguous sequence of data received is reported in at
    /// most one D-SACK block", so the first duplicate reported wins until that ACK
    /// goes). Only when the peer negotiated SACK, and the ACK goes at once (as for any
    /// out-of-order or duplicate segment, RFC 5681 §4.2).
    fn note_duplicate(&mut self, start: SeqNumber, end: SeqNumber) {
        if !self.sack_enabled || start >= end {
            return;
        }
        if self.dsack_out.is_none() {
            self.dsack_out = Some((start, end));
        }
        self.ack_now = true;
    }

    /// Fifth step for ESTABLISHED and the states after it: advance SND.UNA, feed the
    /// RTT estimator, the scoreboard and congestion control, detect duplicate ACKs and
    /// losses (see [`super::recovery`]), update the window.
    fn process_ack(&mut self, now: Instant, seg: &TcpRepr<'_>, ack: SeqNumber) {
        let peer_wnd = (seg.window_len as usize) << self.snd_wscale;
        let una_before = self.snd_una;
        let mut data_acked = 0;
        let mut delivered = 0;
        if ack > self.snd_una {
            // "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK. Any
            // segments on the retransmission queue that are thereby entirely
            // acknowledged are removed."
            if ack > self.buf_seq {
                data_acked = (ack - self.buf_seq).min(self.send_buf.len());
                self.send_buf.ack(data_acked);
                self.buf_seq += data_acked;
            }
            self.snd_una = ack;
            if self.snd_nxt < ack {
                self.snd_nxt = ack;
            }
            delivered += self.scoreboard_ack(now, seg, ack);
            self.retries = 0;
            // The path delivers again: an earlier ICMP soft error is stale (Linux
            // clears `sk_err_soft` on forward progress too).
            self.soft_error = None;
            self.take_rtt_sample(now, seg, una_before);
            self.rtt.reset_backoff();
            self.dupacks_before_ack = self.dupacks;
            self.dupacks = 0;
            self.limited_sent = 0;
        }
        // RFC 2018 / RFC 6675 Update(): the SACK blocks.
        let newly_sacked = self.scoreboard_sack(now, seg);
        delivered += newly_sacked;
        // RFC 5681 §2: a duplicate ACK (outstanding data, no data or SYN/FIN in the
        // segment, same ACK and same window; the running timer marks "outstanding" as
        // 4.4BSD does, so persist probes don't count). RFC 6675 §2: with SACK, an ACK
        // that SACKs octets not SACKed before is a duplicate whatever its window says
        // (a receiver such as Linux shrinks its window while it holds out-of-order
        // data, which would hide every duplicate behind the "same window" condition).
        let dup = ack == una_before
            && self.snd_max > self.snd_una
            && self.rto_at.is_some()
            && seg.payload.is_empty()
            && !seg.flags.syn
            && !seg.flags.fin
            && (peer_wnd == self.snd_wnd || newly_sacked > 0);
        if dup {
            self.stats.dup_acks += 1;
            self.dupacks += 1;
        }
        if ack > una_before {
            // RFC 6298 §5.2: all outstanding data acknowledged -> stop the timer;
            // §5.3: new data acknowledged -> restart it.
            self.rto_at = if self.snd_una == self.snd_max {
                None
            } else {
                Some(now + self.rtt.rto())
            };
            if data_acked > 0 {
                self.wake(EV_WRITABLE);
            }
        }
        self.on_ack_recovery(now, seg, una_before, data_acked, delivered, dup);
        // "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be updated. If
        // (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK)), set
        // SND.WND <- SEG.WND, set SND.WL1 <- SEG.SEQ, and set SND.WL2 <- SEG.ACK."
        if ack >= self.snd_una
            && (self.snd_wl1 < seg.seq_number
                || (self.snd_wl1 == seg.seq_number && self.snd_wl2 <= ack))
        {
            self.snd_wnd = peer_wnd;
            self.snd_wl1 = seg.seq_number;
            self.snd_wl2 = ack;
            self.max_snd_wnd = self.max_snd_wnd.max(peer_wnd);
            if peer_wnd > 0 {
                // The window opened: persist mode ends (RFC 9293 §3.8.6.1).
                self.persist_at = None;
                self.persist_backoff = 0;
            }
        }
    }

    /// An RTT sample for an ACK that moved SND.UNA past `una_before`: from the echoed
    /// timestamp (RFC 7323 §4.1, RTTM) or from the one timed segment (RFC 6298 §3,
    /// Karn: never from a retransmitted one).
    fn take_rtt_sample(&mut self, now: Instant, seg: &TcpRepr<'_>, una_before: SeqNumber) {
        let _ = una_before;
        if self.ts_enabled {
            if let Some(t) = seg.options.timestamp {
                let elapsed = self.ts_now(now).wrapping_sub(t.tsecr);
                if t.tsecr != 0 && (elapsed as i32) >= 0 {
                    self.rtt.sample(Duration::from_millis(elapsed as u64));
                    self.tlp.on_rtt_sample();
                }
            }
            return;
        }
        if let Some((end, sent_at)) = self.rtt_probe {
            if seg.ack_number.is_some_and(|ack| ack >= end) {
                self.rtt.sample(now - sent_at);
                self.tlp.on_rtt_sample();
                self.rtt_probe = None;
            }
        }
    }

    /// Whether our FIN has been sent and acknowledged.
    pub(super) fn fin_acked(&self) -> bool {
        self.fin_queued && self.send_buf.is_empty() && self.snd_una > self.buf_seq
    }

    /// Seventh (text) and eighth (FIN) steps. `seq` is the sequence number of the first
    /// payload byte (SEG.SEQ, or SEG.SEQ+1 for a SYN-ACK).
    fn process_text_and_fin(&mut self, now: Instant, seg: &TcpRepr<'_>, seq: SeqNumber) {
        // ---- Seventh, process the segment text ----
        if !seg.payload.is_empty() {
            match self.state {
                State::Established | State::FinWait1 | State::FinWait2 => {
                    self.receive_text(now, seg.payload, seq);
                }
                // "This should not occur since a FIN has been received from the remote
                // side. Ignore the segment text."
                _ => {}
            }
        }

        // ---- Eighth, check the FIN bit ----
        if seg.flags.fin {
            let fin_seq = seq + seg.payload.len();
            match self.state {
                State::SynReceived | State::Established | State::FinWait1 | State::FinWait2 => {
                    if fin_seq == self.rcv_nxt {
                        self.process_fin(now);
                    } else if fin_seq > self.rcv_nxt {
                        // The FIN came ahead of a hole: remember it until the data
                        // before it arrives.
                        self.rcv_fin = Some(fin_seq);
                        self.ack_now = true;
                    }
                }
                // "CLOSE-WAIT STATE: Remain in the CLOSE-WAIT state." (and so on)
                State::CloseWait | State::Closing | State::LastAck => self.ack_now = true,
                // "TIME-WAIT STATE: Remain in the TIME-WAIT state. Restart the 2 MSL
                // time-wait timeout."
                State::TimeWait => {
                    self.ack_now = true;
                    self.enter_time_wait(now);
                }
                _ => {}
            }
        } else if self.rcv_fin == Some(self.rcv_nxt)
            && matches!(
                self.state,
                State::Established | State::FinWait1 | State::FinWait2
            )
        {
            self.process_fin(now);
        }
    }

    /// Stores segment text (RFC 9293 §3.10.7.4 seventh step) and decides when to ACK.
    fn receive_text(&mut self, now: Instant, payload: &[u8], seq: SeqNumber) {
        // Trim what we already have ("only the new parts are processed").
        let (offset, data) = if seq < self.rcv_nxt {
            let skip = self.rcv_nxt - seq;
            // RFC 2883 §4: the part below RCV.NXT is a duplicate to report.
            self.note_duplicate(seq, (seq + payload.len()).min(self.rcv_nxt));
            (0, payload.get(skip..).unwrap_or(&[]))
        } else {
            (seq - self.rcv_nxt, payload)
        };
        if data.is_empty() {
            self.ack_now = true;
            return;
        }
        // RFC 2883 §4: so is a part we already hold out of order.
        if let Some((s, e)) = self.recv_buf.held_overlap(offset, data.len()) {
            self.note_duplicate(self.rcv_nxt + s, self.rcv_nxt + e);
        }
        self.rcv_mss = self.rcv_mss.max(data.len());
        let had_holes = self.recv_buf.has_holes();
        let advanced = self.recv_buf.insert(offset, data);
        if offset > 0 {
            // RFC 5681 §4.2 / RFC 9293 §3.8.6.3: an out-of-order segment is
            // acknowledged at once (a duplicate ACK, with SACK blocks if on).
            self.stats.ooo_bytes += data.len() as u64;
            self.ack_now = true;
            return;
        }
        if advanced == 0 {
            // Nothing fit (the window is full): tell the peer.
            self.ack_now = true;
            return;
        }
        self.rcv_nxt += advanced;
        if self.user_closed {
            // Nobody will read: acknowledge and drop.
            self.recv_buf.discard_readable();
        } else {
            self.wake(EV_READABLE);
        }
        if had_holes {
            // RFC 5681 §4.2: "an immediate ACK ... when the incoming segment fills in all
            // or part of a gap in the sequence space".
            self.ack_now = true;
            return;
        }
        // RFC 9293 §3.8.6.3: delay the ACK, but acknowledge at least every second
        // full-sized segment and never wait longer than the delayed-ACK timeout.
        self.unacked_bytes += advanced;
        match self.config.delayed_ack {
            Some(delay) if self.unacked_bytes < 2 * self.rcv_mss => {
                if self.delack_at.is_none() {
                    self.delack_at = Some(now + delay);
                }
            }
            _ => self.ack_now = true,
        }
    }

    /// The FIN is in order: RFC 9293 §3.10.7.4 eighth step.
    fn process_fin(&mut self, now: Instant) {
        // "advance RCV.NXT over the FIN, and send an acknowledgment for the FIN"
        self.rcv_nxt += 1;
        self.fin_received = true;
        self.rcv_fin = None;
        self.ack_now = true;
        // "signal the user 'connection closing'"
        self.wake(EV_PEER_CLOSED | EV_READABLE);
        match self.state {
            // "SYN-RECEIVED STATE, ESTABLISHED STATE: Enter the CLOSE-WAIT state."
            State::SynReceived | State::Established => self.set_state(State::CloseWait),
            // "FIN-WAIT-1 STATE: If our FIN has been ACKed (perhaps in this segment),
            // then enter TIME-WAIT, start the time-wait timer, turn off the other
            // timers; otherwise, enter the CLOSING state."
            State::FinWait1 => {
                if self.fin_acked() {
                    self.enter_time_wait(now);
                } else {
                    self.set_state(State::Closing);
                }
            }
            // "FIN-WAIT-2 STATE: Enter the TIME-WAIT state. Start the time-wait timer,
            // turn off the other timers."
            State::FinWait2 => self.enter_time_wait(now),
            _ => {}
        }
    }

    /// RFC 5961 §7: send a challenge ACK unless this connection already sent
    /// `challenge_ack_limit` of them in the last second.
    fn challenge_ack(&mut self, now: Instant) {
        let (start, count) = self.challenge_window;
        let (start, count) = if now - start >= Duration::from_secs(1) {
            (now, 0)
        } else {
            (start, count)
        };
        if count < self.config.challenge_ack_limit {
            self.challenge_window = (start, count + 1);
            self.ack_now = true;
            self.stats.challenge_acks += 1;
        } else {
            self.challenge_window = (start, count);
            self.stats.challenge_acks_suppressed += 1;
        }
    }
}
