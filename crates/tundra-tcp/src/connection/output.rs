//! Segment output: what to send next, and when not to (RFC 9293 §3.8.6 window
//! management, Nagle, SWS avoidance; RFC 6298 §5 timer rules; RFC 7323 options on every
//! segment; RFC 2018 SACK blocks).

use tundra_core::Instant;

use super::{scale_for, Connection, State};
use crate::{SeqNumber, TcpFlags, TcpOptions, TcpRepr, TcpTimestamp};

impl Connection {
    /// The next segment to send, if any, with its payload copied into `payload` (give
    /// at least [`Connection::mss`] bytes; less caps the segment). Fires due timers
    /// first. Call until it returns `None`.
    pub fn poll_transmit<'b>(
        &mut self,
        now: Instant,
        payload: &'b mut [u8],
    ) -> Option<TcpRepr<'b>> {
        self.handle_timeout(now);
        let repr = self.next_segment(now, payload)?;
        self.stats.segments_out += 1;
        log::trace!("{} > {}: {:?}", self.local, self.remote, repr.flags);
        Some(repr)
    }

    fn next_segment<'b>(&mut self, now: Instant, payload: &'b mut [u8]) -> Option<TcpRepr<'b>> {
        if let Some((seq, ack)) = self.pending_rst.take() {
            // RFC 9293 §3.10.7: a reset carries no data and no options; ACK only when
            // the rule that formed it asked for one.
            let mut rst = self.header(seq, ack);
            rst.flags.rst = true;
            return Some(rst);
        }
        match self.state {
            State::Closed | State::Listen => return None,
            State::SynSent | State::SynReceived if self.snd_nxt == self.iss => {
                return Some(self.syn_segment(now));
            }
            State::SynSent => return None,
            _ => {}
        }
        if self.state != State::SynReceived && self.state != State::TimeWait {
            if let Some(len_and_seg) = self.data_segment(now, payload) {
                return Some(len_and_seg);
            }
        }
        if self.send_keepalive {
            // RFC 1122 §4.2.3.6: a keepalive carries SEG.SEQ = SND.NXT-1 and no data;
            // the peer answers with an ACK. (Linux uses SND.UNA-1, which is the same
            // when nothing is in flight, the only time it is sent.)
            self.send_keepalive = false;
            self.stats.keepalive_probes += 1;
            let mut seg = self.header(self.snd_una - 1, None);
            self.finish_ack(now, &mut seg);
            return Some(seg);
        }
        if self.ack_now {
            let seq = self.ack_seq();
            let mut seg = self.header(seq, None);
            self.finish_ack(now, &mut seg);
            return Some(seg);
        }
        None
    }

    /// The SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED) with our options (RFC 9293 §3.5,
    /// §3.7.1; RFC 7323 §2.2/§3.2; RFC 2018 §2).
    fn syn_segment(&mut self, now: Instant) -> TcpRepr<'static> {
        let synack = self.state == State::SynReceived;
        let mut seg = self.header(self.iss, None);
        seg.flags.syn = true;
        let offer = |on: bool, negotiated: bool| if synack { negotiated } else { on };
        seg.options.mss = Some(self.config.mss);
        if offer(self.config.window_scaling, self.wscale_ok) {
            let shift = if synack {
                self.rcv_wscale
            } else {
                scale_for(self.recv_buf.capacity())
            };
            seg.options.window_scale = Some(shift);
        }
        seg.options.sack_permitted = offer(self.config.sack, self.sack_enabled);
        if offer(self.config.timestamps, self.ts_enabled) {
            seg.options.timestamp = Some(TcpTimestamp {
                tsval: self.ts_now(now),
                tsecr: self.ts.map_or(0, |t| t.recent),
            });
        }
        // RFC 7323 §2.2: the window field of a SYN is never scaled.
        seg.window_len = self.rcv_space().min(0xffff) as u16;
        if synack {
            seg.ack_number = Some(self.rcv_nxt);
            self.last_ack_sent = self.rcv_nxt;
            self.rcv_adv = self.rcv_adv.max(self.rcv_nxt + seg.window_len as usize);
            self.ack_now = false;
        }
        if self.snd_max > self.iss {
            self.stats.retransmits += 1;
            self.rtt_probe = None; // Karn
        } else {
            self.rtt_probe = Some((self.iss + 1, now));
        }
        self.snd_nxt = self.iss + 1;
        self.snd_max = self.snd_max.max(self.snd_nxt);
        if self.rto_at.is_none() {
            self.rto_at = Some(now + self.rtt.rto());
        }
        self.last_send = now;
        seg
    }

    /// A segment of data and/or FIN from SND.NXT (or SND.UNA for a fast or partial-ACK
    /// retransmission), if the windows, Nagle and SWS avoidance allow one now.
    fn data_segment<'b>(&mut self, now: Instant, payload: &'b mut [u8]) -> Option<TcpRepr<'b>> {
        if !matches!(
            self.state,
            State::Established
                | State::CloseWait
                | State::FinWait1
                | State::Closing
                | State::LastAck
        ) {
            return None;
        }
        if self.in_recovery && self.sack_enabled && !self.retransmit_head && !self.send_probe {
            if let Some((start, len)) = self.next_sack_hole(now, payload.len()) {
                return Some(self.resend_hole(now, start, len, payload));
            }
        }
        let head = self.retransmit_head;
        let probe = self.send_probe;
        self.send_probe = false;
        let start = if head { self.snd_una } else { self.snd_nxt };
        let buf_end = self.buf_seq + self.send_buf.len();
        if start > buf_end || (start == buf_end && !self.fin_queued) {
            self.retransmit_head = false;
            return None;
        }
        let off = start - self.buf_seq;
        let unsent = self.send_buf.len() - off;
        let flight = self.snd_nxt - self.snd_una;
        // RFC 5681 §4.1: after an idle period longer than the RTO, restart from the
        // initial window.
        if flight == 0 && self.snd_max == self.snd_una && now - self.last_send > self.rtt.rto() {
            let mss = self.eff_mss();
            self.cc.on_idle_restart(mss);
        }
        let wnd_edge = self.snd_una + self.snd_wnd;
        let wnd_avail = if wnd_edge > start {
            wnd_edge - start
        } else {
            0
        };
        let cwnd_avail = if head {
            self.eff_mss()
        } else {
            // RFC 3042 (limited transmit): each of the first two duplicate ACKs lets one
            // new segment out beyond cwnd, so a small window still gets its third
            // duplicate ACK and a fast retransmit instead of a timeout.
            let limited = if self.in_recovery || start < self.snd_max {
                0
            } else {
                self.dupacks.min(2) as usize * self.eff_mss()
            };
            (self.cc.window() + limited).saturating_sub(flight)
        };
        let mut options = self.ack_options(now);
        let max_payload = self
            .smss
            .saturating_sub(options.buffer_len())
            .max(1)
            .min(payload.len());
        let mut len = unsent.min(wnd_avail).min(cwnd_avail).min(max_payload);
        let mut window_probe = false;
        if probe && wnd_avail == 0 && !head {
            // RFC 9293 §3.8.6.1: the persist timer fired on a zero window: send one
            // octet beyond it (or the FIN), which the peer must answer with an ACK.
            // SND.NXT does not move: the byte is sent again once the window opens.
            len = unsent.min(1);
            window_probe = true;
        }
        let fin = self.fin_queued && start + len == buf_end && (wnd_avail > len || window_probe);
        if len == 0 && !fin {
            self.retransmit_head = false;
            if unsent > 0 || self.fin_queued {
                self.arm_persist(now);
            }
            return None;
        }
        let new_data = start >= self.snd_max;
        if new_data && len > 0 && len < max_payload && !fin && !probe && !window_probe {
            if len == unsent {
                // RFC 9293 §3.7.4 (Nagle, RFC 896): while data is unacknowledged,
                // hold a small final segment until the ACK (or a full segment) comes.
                if self.config.nagle && flight > 0 {
                    return None;
                }
            } else if len < self.max_snd_wnd / 2 {
                // RFC 9293 §3.8.6.2.1 (sender SWS avoidance): window-limited and less
                // than half the largest window ever offered; wait for the window to
                // open. The persist timer is the RFC's "override timeout".
                if flight == 0 {
                    self.arm_persist(now);
                }
                return None;
            }
        }
        let n = self.send_buf.read_at(off, &mut payload[..len]);
        debug_assert_eq!(n, len);
        let mut seg = self.header(start, None);
        seg.flags.fin = fin;
        // PSH on the segment that empties the queue (RFC 9293 §3.9.1, as Linux sets it).
        seg.flags.psh = len > 0 && len == unsent;
        self.finish_ack_with(now, &mut seg, &mut options);
        seg.payload = &payload[..len];

        let end = start + len + fin as usize;
        if !head && !self.in_recovery && self.dupacks > 0 && start >= self.snd_max {
            self.limited_sent += len;
        }
        if start < self.snd_max {
            self.stats.retransmits += 1;
            self.rtt_probe = None; // Karn
        } else if !self.ts_enabled && self.rtt_probe.is_none() && !window_probe {
            self.rtt_probe = Some((end, now));
        }
        self.snd_max = self.snd_max.max(end);
        if window_probe {
            self.stats.window_probes += 1;
            self.persist_backoff = self.persist_backoff.saturating_add(1);
            self.arm_persist(now);
        } else {
            if head {
                self.retransmit_head = false;
                if self.snd_nxt < end {
                    self.snd_nxt = end;
                }
                if self.in_recovery {
                    self.rexmit_next = self.rexmit_next.max(end);
                    self.recovery_rexmit += len;
                }
            } else {
                self.snd_nxt = end;
            }
            // RFC 6298 §5.1: start the timer if it is not running.
            if self.rto_at.is_none() {
                self.rto_at = Some(now + self.rtt.rto());
            }
            self.persist_at = None;
        }
        self.last_send = now;
        Some(seg)
    }

    /// RFC 6675 §4 NextSeg, rule 1 (simplified): during fast recovery with SACK, the
    /// first hole above what we already resent that is deemed lost (DupThresh * SMSS
    /// SACKed above it), if the pipe leaves room under ssthresh. Returns (start, len).
    fn next_sack_hole(&self, now: Instant, room: usize) -> Option<(SeqNumber, usize)> {
        let mss = self.eff_mss();
        let threshold = 3 * mss;
        let from = self.rexmit_next.max(self.snd_una);
        let (start, end) = self.scoreboard.next_hole(from)?;
        if !self.scoreboard.is_lost(start, threshold) {
            return None;
        }
        let buf_end = self.buf_seq + self.send_buf.len();
        let end = end.min(buf_end);
        if start >= end || start < self.buf_seq {
            return None;
        }
        let max_payload = self
            .smss
            .saturating_sub(self.ack_options(now).buffer_len())
            .max(1)
            .min(room);
        let len = (end - start).min(max_payload);
        // RFC 6675 §4 SetPipe: in flight, less SACKed and lost bytes, plus what we
        // resent; §5: send while pipe stays within cwnd, which is ssthresh here.
        let flight = self.snd_nxt - self.snd_una;
        let pipe = (flight + self.recovery_rexmit)
            .saturating_sub(self.scoreboard.sacked_bytes())
            .saturating_sub(self.scoreboard.lost_bytes(self.snd_una, threshold));
        if pipe + len > self.cc.ssthresh() {
            return None;
        }
        Some((start, len))
    }

    /// Resends `len` bytes of a hole at `start` (SACK recovery).
    fn resend_hole<'b>(
        &mut self,
        now: Instant,
        start: SeqNumber,
        len: usize,
        payload: &'b mut [u8],
    ) -> TcpRepr<'b> {
        let off = start - self.buf_seq;
        let n = self.send_buf.read_at(off, &mut payload[..len]);
        debug_assert_eq!(n, len);
        let mut seg = self.header(start, None);
        let mut options = self.ack_options(now);
        self.finish_ack_with(now, &mut seg, &mut options);
        seg.payload = &payload[..len];
        self.stats.retransmits += 1;
        self.stats.sack_retransmits += 1;
        self.rtt_probe = None; // Karn
        self.rexmit_next = start + len;
        self.recovery_rexmit += len;
        if self.rto_at.is_none() {
            self.rto_at = Some(now + self.rtt.rto());
        }
        self.last_send = now;
        seg
    }

    /// Starts the persist timer if it and the retransmission timer are both idle
    /// (RFC 9293 §3.8.6.1; backoff as RFC 6298 §5.5, capped at the maximum RTO).
    fn arm_persist(&mut self, now: Instant) {
        if self.persist_at.is_none() && self.rto_at.is_none() {
            let timeout = self
                .rtt
                .base_rto()
                .saturating_mul(1 << self.persist_backoff.min(16))
                .min(self.config.max_rto);
            self.persist_at = Some(now + timeout);
        }
    }

    /// SEG.SEQ for a pure ACK: SND.NXT as the RFC has it (our SND.MAX, unless that
    /// lies beyond the peer's window, as a window probe's byte may).
    fn ack_seq(&self) -> SeqNumber {
        let edge = self.snd_una + self.snd_wnd;
        if self.snd_max <= edge {
            self.snd_max
        } else {
            self.snd_nxt.max(edge.min(self.snd_max))
        }
    }

    /// A bare segment of this connection.
    fn header(&self, seq: SeqNumber, ack: Option<SeqNumber>) -> TcpRepr<'static> {
        TcpRepr {
            src_port: self.local.port(),
            dst_port: self.remote.port(),
            seq_number: seq,
            ack_number: ack,
            flags: TcpFlags::default(),
            window_len: 0,
            urgent_pointer: 0,
            options: TcpOptions::default(),
            payload: &[],
        }
    }

    /// The options of a non-SYN segment: timestamps (RFC 7323 §3.2: on every segment
    /// once negotiated) and SACK blocks for the out-of-order data we hold (RFC 2018 §4).
    fn ack_options(&self, now: Instant) -> TcpOptions {
        let mut options = TcpOptions::default();
        if let Some(ts) = self.ts {
            options.timestamp = Some(TcpTimestamp {
                tsval: self.ts_now(now),
                tsecr: ts.recent,
            });
        }
        if self.sack_enabled {
            for (slot, (s, e)) in options
                .sack_blocks
                .iter_mut()
                .zip(self.recv_buf.sack_ranges())
            {
                *slot = Some((self.rcv_nxt + s, self.rcv_nxt + e));
            }
        }
        options
    }

    fn finish_ack(&mut self, now: Instant, seg: &mut TcpRepr<'_>) {
        let mut options = self.ack_options(now);
        self.finish_ack_with(now, seg, &mut options);
    }

    /// Sets ACK, the window and the options on `seg`, and records that an ACK for
    /// RCV.NXT went out (no delayed ACK pending any more).
    fn finish_ack_with(&mut self, _now: Instant, seg: &mut TcpRepr<'_>, options: &mut TcpOptions) {
        seg.ack_number = Some(self.rcv_nxt);
        seg.window_len = self.advertise_window();
        seg.options = *options;
        self.last_ack_sent = self.rcv_nxt;
        self.ack_now = false;
        self.delack_at = None;
        self.unacked_bytes = 0;
    }

    /// The window field to send (RFC 9293 §3.8.6.2.2 receiver SWS avoidance; RFC 7323
    /// §2.3 scaling), moving RCV.NXT + RCV.WND right but never left.
    fn advertise_window(&mut self) -> u16 {
        let space = self.rcv_space_advertisable();
        let current = self.rcv_wnd();
        let mut wnd = current;
        if space > current {
            // Offer the new space only when it is worth it: at least min(buffer/2,
            // MSS) more than what the peer already knows about.
            if space - current >= self.rcv_sws_threshold() {
                wnd = space;
            }
        }
        let field = (wnd >> self.rcv_wscale).min(0xffff);
        let edge = self.rcv_nxt + (field << self.rcv_wscale);
        if edge > self.rcv_adv {
            self.rcv_adv = edge;
        }
        field as u16
    }
}
