//! Segment output: what to send next, and when not to (RFC 9293 §3.8.6 window
//! management, Nagle, SWS avoidance; RFC 6298 §5 timer rules; RFC 7323 options on every
//! segment; RFC 2018 SACK blocks).

use tundra_core::Instant;

use super::{scale_for, Connection, Recovery, State};
use crate::rack;
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
        if let Some(seg) = self.data_segment(now, payload) {
            return Some(seg);
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

    /// The next segment of data and/or FIN, if the windows, Nagle and SWS avoidance
    /// allow one now (see [`Connection::plan_data`] for which).
    fn data_segment<'b>(&mut self, now: Instant, payload: &'b mut [u8]) -> Option<TcpRepr<'b>> {
        if !self.sends_data() || self.nothing_to_plan() {
            return None;
        }
        let options = self.ack_options(now);
        let max_payload = self
            .smss
            .saturating_sub(options.buffer_len())
            .max(1)
            .min(payload.len());
        Some(match self.plan_data(now, max_payload)? {
            Plan::New(new) => self.send_new(now, new, payload, options),
            Plan::Resend(start, len, fin, why) => {
                self.resend(now, start, len, fin, why, payload, options)
            }
        })
    }

    /// True when [`Connection::plan_data`] would find nothing and change nothing: no
    /// zero-window probe, loss probe or forced retransmission pending, nothing unsent
    /// (data or FIN), nothing deemed lost (rule 1), not in SACK fast recovery (rules 3
    /// and 4). The common case, every poll after an exchange, answered before the ACK
    /// options are built and the plan is made.
    fn nothing_to_plan(&self) -> bool {
        let buf_end = self.buf_seq + self.send_buf.len();
        let unsent = self.snd_nxt < buf_end || (self.snd_nxt == buf_end && self.fin_queued);
        self.send_tlp == 0
            && !self.send_probe
            && !self.rexmit_now
            && self.recovery != Recovery::Fast
            && !unsent
            && !self.scoreboard.has_lost()
    }

    /// What to send next, in RFC 6675 §4 NextSeg's order: a loss probe if its timer
    /// fired (RFC 8985 §7.3), then what is deemed lost (rule 1), then new data (rule
    /// 2), then in SACK fast recovery an un-SACKed hole (rule 3) or one rescue
    /// retransmission (rule 4).
    fn plan_data(&mut self, now: Instant, max_payload: usize) -> Option<Plan> {
        let probe = core::mem::take(&mut self.send_probe);
        if self.send_tlp > 0 {
            // RFC 8985 §7.3: new data if the receive window allows, else the highest
            // segment sent. Tundra sends up to two segments of new data (see
            // `rack::PROBE_SEGMENTS`).
            let first = self.send_tlp == rack::PROBE_SEGMENTS;
            self.send_tlp -= 1;
            if let Some(new) = self.plan_new(now, max_payload, false, true) {
                self.stats.tail_loss_probes += u64::from(first);
                return Some(Plan::New(new));
            }
            self.send_tlp = 0;
            // Old data goes again only as the first segment of the first probe since
            // the last ACK; the backed-off probes that follow an unanswered one carry
            // new data or nothing (see `rack::TailLossProbe::may_probe`).
            if let Some(last) = self
                .scoreboard
                .last()
                .copied()
                .filter(|_| first && self.tlp.first_in_series())
            {
                let start = if last.len() > max_payload + 1 {
                    last.end - (max_payload + 1)
                } else {
                    last.start
                };
                let (len, fin) = self.resend_extent(start, last.end, max_payload);
                self.stats.tail_loss_probes += 1;
                return Some(Plan::Resend(start, len, fin, Resend::Probe));
            }
        }
        // Rule 1: resend what is deemed lost, while the pipe leaves room in cwnd (RFC
        // 6675 §5 step (C)); a fast retransmit or a timeout sends one regardless (RFC
        // 5681 §3.2 step 2, RFC 6298 §5.4).
        if let Some((start, end)) = self.scoreboard.next_lost(max_payload + 1) {
            let (len, fin) = self.resend_extent(start, end, max_payload);
            if self.rexmit_now || self.send_room(false) >= len + usize::from(fin) {
                self.rexmit_now = false;
                return Some(Plan::Resend(start, len, fin, Resend::Lost));
            }
            // Everything else waits for the pipe to drain (new data too: rule 1 comes
            // first).
            return None;
        }
        self.rexmit_now = false;
        // Rule 2: new data.
        if let Some(new) = self.plan_new(now, max_payload, probe, false) {
            return Some(Plan::New(new));
        }
        if self.recovery != Recovery::Fast || !self.sack_enabled {
            return None;
        }
        let room = self.send_room(false);
        // Rule 3: an un-SACKed hole below the highest SACKed octet, neither deemed lost
        // nor resent yet.
        if let Some((start, end)) = self.scoreboard.next_unsacked_hole(max_payload + 1) {
            let (len, fin) = self.resend_extent(start, end, max_payload);
            return (room >= len + usize::from(fin)).then_some(Plan::Resend(
                start,
                len,
                fin,
                Resend::Hole,
            ));
        }
        // Rule 4: "a single rescue retransmission per entry into loss recovery", of the
        // highest outstanding octets, when nothing else may go.
        if self.rescue_rxt.is_none_or(|r| self.snd_una > r) {
            if let Some((start, end)) = self.scoreboard.rescue_candidate(max_payload) {
                let (len, fin) = self.resend_extent(start, end, max_payload);
                if room >= len + usize::from(fin) {
                    self.rescue_rxt = Some(self.recover);
                    return Some(Plan::Resend(start, len, fin, Resend::Rescue));
                }
            }
        }
        None
    }

    /// The room cwnd leaves above the pipe (RFC 6675 §5: "cwnd - pipe"), plus, for new
    /// data after the first duplicate ACKs without SACK, limited transmit's two
    /// segments (RFC 3042 §2; with SACK the pipe already discounts what the duplicate
    /// ACKs SACKed).
    fn send_room(&self, new_data: bool) -> usize {
        let limited = if new_data && !self.sack_enabled && self.recovery != Recovery::Fast {
            self.dupacks.min(2) as usize * self.eff_mss()
        } else {
            0
        };
        (self.cc.window() + limited).saturating_sub(self.scoreboard.pipe())
    }

    /// The payload length and FIN flag of a resend of `[start, end)` (FIN counts as
    /// the octet after the buffered data), at most `max_payload` octets of data.
    fn resend_extent(&self, start: SeqNumber, end: SeqNumber, max_payload: usize) -> (usize, bool) {
        let buf_end = self.buf_seq + self.send_buf.len();
        let data_end = end.min(buf_end);
        let len = if data_end > start {
            (data_end - start).min(max_payload)
        } else {
            0
        };
        let fin = self.fin_queued && end > buf_end && start + len == buf_end;
        (len, fin)
    }

    /// Sends `[start, start + len)` (and FIN) again.
    #[allow(clippy::too_many_arguments)]
    fn resend<'b>(
        &mut self,
        now: Instant,
        start: SeqNumber,
        len: usize,
        fin: bool,
        why: Resend,
        payload: &'b mut [u8],
        mut options: TcpOptions,
    ) -> TcpRepr<'b> {
        let off = start - self.buf_seq;
        let n = self.send_buf.read_at(off, &mut payload[..len]);
        debug_assert_eq!(n, len);
        let buf_end = self.buf_seq + self.send_buf.len();
        let mut seg = self.header(start, None);
        seg.flags.fin = fin;
        // PSH on a segment that reaches the end of the queue, as when first sent.
        seg.flags.psh = len > 0 && start + len == buf_end;
        let tsval = options.timestamp.map(|t| t.tsval);
        self.finish_ack_with(now, &mut seg, &mut options);
        seg.payload = &payload[..len];
        let end = start + len + usize::from(fin);
        self.scoreboard.on_retransmit(start, end, now);
        if let Some(u) = self.undo.as_mut() {
            u.on_retransmit(start, end);
        }
        self.stats.retransmits += 1;
        if self.recovery == Recovery::Fast && self.sack_enabled {
            // The first resend of a SACK recovery is its fast retransmit.
            if self.prr.sent() > 0 || why != Resend::Lost {
                self.stats.sack_retransmits += 1;
            }
            self.prr.on_sent(end - start);
        }
        self.rtt_probe = None; // Karn
        if why == Resend::Probe {
            self.after_probe(now, true, tsval);
        } else if self.rto_at.is_none() {
            // RFC 6298 §5.1 (and §5.6 after a timeout).
            self.rto_at = Some(now + self.rtt.rto());
        }
        self.persist_at = None;
        self.last_send = now;
        seg
    }

    /// A loss probe went out (RFC 8985 §7.3): remember it and restart the
    /// retransmission timer ("After attempting to send a loss probe ... the sender
    /// MUST re-arm the RTO timer, not the PTO timer"), and the probe timer with
    /// backoff (see [`crate::rack::TailLossProbe::may_probe`]).
    fn after_probe(&mut self, now: Instant, is_retrans: bool, tsval: Option<u32>) {
        self.tlp.on_probe(self.snd_nxt, is_retrans, tsval);
        if self.tlp.first_in_series() {
            // The backed-off probes after it do not push the RTO further out.
            self.rto_at = Some(now + self.rtt.rto());
        }
        // The next probe, after twice the wait, if this one goes unanswered.
        self.arm_tlp(now);
    }

    /// Rule 2: whether a segment of new data and/or FIN from SND.NXT may go now, given
    /// the windows, Nagle and SWS avoidance; `probe` is the persist timer's zero-window
    /// probe, `tlp` a tail loss probe (cwnd and Nagle do not hold it back).
    fn plan_new(
        &mut self,
        now: Instant,
        max_payload: usize,
        probe: bool,
        tlp: bool,
    ) -> Option<NewData> {
        let start = self.snd_nxt;
        let buf_end = self.buf_seq + self.send_buf.len();
        if start > buf_end || (start == buf_end && !self.fin_queued) {
            return None;
        }
        let unsent = buf_end - start;
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
        let cwnd_avail = if tlp {
            max_payload
        } else if self.scoreboard.is_full() {
            0
        } else {
            self.send_room(true)
        };
        let mut len = unsent.min(wnd_avail).min(cwnd_avail).min(max_payload);
        let mut window_probe = false;
        if probe && wnd_avail == 0 && !tlp {
            // RFC 9293 §3.8.6.1: the persist timer fired on a zero window: send one
            // octet beyond it (or the FIN), which the peer must answer with an ACK.
            // SND.NXT does not move: the byte is sent again once the window opens.
            len = unsent.min(1);
            window_probe = true;
        }
        let fin = self.fin_queued && start + len == buf_end && (wnd_avail > len || window_probe);
        if tlp && (wnd_avail == 0 || (len == 0 && !fin)) {
            return None;
        }
        if len == 0 && !fin {
            if unsent > 0 || self.fin_queued {
                self.arm_persist(now);
            }
            return None;
        }
        let new_data = start >= self.snd_max;
        if new_data && len > 0 && len < max_payload && !fin && !probe && !window_probe && !tlp {
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
        Some(NewData {
            len,
            fin,
            window_probe,
            tlp,
        })
    }

    /// Sends the new data `new` plans, from SND.NXT.
    fn send_new<'b>(
        &mut self,
        now: Instant,
        new: NewData,
        payload: &'b mut [u8],
        mut options: TcpOptions,
    ) -> TcpRepr<'b> {
        let NewData {
            len,
            fin,
            window_probe,
            tlp,
        } = new;
        let start = self.snd_nxt;
        let off = start - self.buf_seq;
        let unsent = self.send_buf.len() - off;
        let n = self.send_buf.read_at(off, &mut payload[..len]);
        debug_assert_eq!(n, len);
        let mut seg = self.header(start, None);
        seg.flags.fin = fin;
        // PSH on the segment that empties the queue (RFC 9293 §3.9.1, as Linux sets it).
        seg.flags.psh = len > 0 && len == unsent;
        let tsval = options.timestamp.map(|t| t.tsval);
        self.finish_ack_with(now, &mut seg, &mut options);
        seg.payload = &payload[..len];

        let end = start + len + usize::from(fin);
        if self.recovery != Recovery::Fast && self.dupacks > 0 && !self.sack_enabled {
            self.limited_sent += len;
        }
        if start < self.snd_max {
            // The octet a zero-window probe carried, sent again.
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
            self.scoreboard.on_send(start, end, now);
            self.snd_nxt = end;
            if self.recovery == Recovery::Fast && self.sack_enabled {
                self.prr.on_sent(end - start);
            }
            // RFC 6298 §5.1: start the timer if it is not running.
            if self.rto_at.is_none() {
                self.rto_at = Some(now + self.rtt.rto());
            }
            self.persist_at = None;
            if tlp {
                self.after_probe(now, false, tsval);
            } else {
                // RFC 8985 §7.2: restart the probe timer after new data.
                self.arm_tlp(now);
            }
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
        // The common case (nothing held out of order, no duplicate to report) has no
        // blocks to build: an ACK per request on a keep-alive connection.
        if self.sack_enabled && (self.dsack_out.is_some() || self.recv_buf.has_holes()) {
            let rcv_nxt = self.rcv_nxt;
            let ranges = || {
                self.recv_buf
                    .sack_ranges()
                    .map(move |(s, e)| (rcv_nxt + s, rcv_nxt + e))
            };
            // RFC 2883 §4: "the first SACK block ... should specify the contiguous
            // sequence space of the duplicate segment that triggered the
            // acknowledgement"; if it lies in a block we hold above RCV.NXT, that
            // (larger) block comes second; then the usual blocks (RFC 2018 §4).
            let dsack = self.dsack_out;
            let holding =
                |&(s, e): &(SeqNumber, SeqNumber)| dsack.is_some_and(|(l, r)| s <= l && r <= e);
            let blocks = dsack
                .into_iter()
                .chain(ranges().filter(holding))
                .chain(ranges().filter(|r| !holding(r)));
            for (slot, block) in options.sack_blocks.iter_mut().zip(blocks) {
                *slot = Some(block);
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
        if self.dsack_out.take().is_some() && self.sack_enabled {
            // RFC 2883 §4: a duplicate is reported in one ACK only.
            self.stats.dsacks_sent += 1;
        }
        self.last_ack_sent = self.rcv_nxt;
        self.ack_now = false;
        self.delack_at = None;
        self.unacked_bytes = 0;
    }

    /// The window field to send (RFC 9293 §3.8.6.2.2 receiver SWS avoidance; RFC 7323
    /// §2.3 scaling), moving RCV.NXT + RCV.WND right but never left.
    ///
    /// SWS avoidance is about small windows: a window below min(buffer/2, MSS) is not
    /// offered in small steps, its right edge stays put until it can grow by that
    /// much (the RFC's suggested algorithm). A window at least that large is offered
    /// whole on every segment, as BSD and Linux do: its right edge then follows
    /// RCV.NXT in small steps, but no segment the peer could send is small because of
    /// it (the sender's own SWS rule, §3.8.6.2.1, governs that), and a receiver that
    /// keeps up announces the same window field every time, which is what a Linux
    /// peer's header prediction needs to take its fast path (RFC 9293 §3.10.7.4 note;
    /// `tcp_rcv_established`). Pure window updates still wait for the threshold
    /// (`maybe_window_update`).
    fn advertise_window(&mut self) -> u16 {
        let space = self.rcv_space_advertisable();
        let current = self.rcv_wnd();
        let mut wnd = current;
        if space > current && space >= self.rcv_sws_threshold() {
            wnd = space;
        }
        let field = (wnd >> self.rcv_wscale).min(0xffff);
        let edge = self.rcv_nxt + (field << self.rcv_wscale);
        if edge > self.rcv_adv {
            self.rcv_adv = edge;
        }
        field as u16
    }
}

/// A planned segment of new data (see [`Connection::plan_new`]).
#[derive(Debug, Clone, Copy)]
struct NewData {
    len: usize,
    fin: bool,
    window_probe: bool,
    tlp: bool,
}

/// What [`Connection::plan_data`] chose to send.
#[derive(Debug, Clone, Copy)]
enum Plan {
    New(NewData),
    /// Sequence number, payload length, FIN, why.
    Resend(SeqNumber, usize, bool, Resend),
}

/// Why a segment is sent again (for the counters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resend {
    /// Deemed lost (RFC 6675 rule 1, RACK, a timeout, a fast retransmit).
    Lost,
    /// An un-SACKed hole (RFC 6675 rule 3).
    Hole,
    /// The rescue retransmission (RFC 6675 rule 4).
    Rescue,
    /// A tail loss probe (RFC 8985 §7.3).
    Probe,
}
