//! The scoreboard (RFC 6675 §3, RFC 8985 §5.2): one entry per transmitted segment
//! between SND.UNA and SND.NXT, with what the sender knows about it — SACKed, deemed
//! lost, a retransmission in flight — and when it was last sent. Loss recovery reads
//! it to compute the pipe (RFC 6675 §4 SetPipe), to find what to resend (NextSeg), and
//! RACK (RFC 8985) reads the send times to find lost segments, including lost
//! retransmissions.
//!
//! Bounded: new data is held back while [`MAX_SEGMENTS`] segments are outstanding
//! ([`Scoreboard::is_full`]), and a peer cannot make it grow without bound by SACKing
//! odd byte ranges: SACK blocks split entries only up to [`MAX_SPLIT_SEGMENTS`]; past
//! that, a partly SACKed entry stays un-SACKed, which only makes recovery resend more.
//!
//! The receiver may renege (RFC 2018 §8), so SACK information is advice for what to
//! resend, never a reason to drop data from the send buffer: only the cumulative ACK
//! does that.

use std::collections::VecDeque;

use tundra_core::Instant;

use crate::SeqNumber;

/// New data waits while this many segments are outstanding.
pub const MAX_SEGMENTS: usize = 2048;

/// SACK blocks split entries only while fewer than this many exist.
pub const MAX_SPLIT_SEGMENTS: usize = 4 * MAX_SEGMENTS;

/// RFC 6675 §2 DupThresh: the number of duplicate ACKs (or SACKed segments above a
/// hole) that make a sender deem the hole lost.
pub const DUP_THRESH: usize = 3;

/// One transmitted segment `[start, end)` (a FIN counts as the last octet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentSegment {
    /// First sequence number.
    pub start: SeqNumber,
    /// One past the last sequence number (includes the FIN).
    pub end: SeqNumber,
    /// When it was last (re)transmitted (RFC 8985 `Segment.xmit_ts`).
    pub sent_at: Instant,
    /// The peer reported holding it (RFC 2018).
    pub sacked: bool,
    /// Deemed lost (RFC 6675 IsLost, RACK, or a retransmission timeout); it stays set
    /// after the retransmission, as `retrans` says one is in flight.
    pub lost: bool,
    /// A retransmission of it is in flight (RFC 6675 §4 counts it in the pipe again).
    pub retrans: bool,
    /// It was retransmitted at least once (RFC 8985 `Segment.retransmitted`).
    pub ever_retransmitted: bool,
    /// Newly SACKed by the ACK being processed (internal bookkeeping).
    fresh: bool,
}

impl SentSegment {
    fn new(start: SeqNumber, end: SeqNumber, sent_at: Instant) -> SentSegment {
        SentSegment {
            start,
            end,
            sent_at,
            sacked: false,
            lost: false,
            retrans: false,
            ever_retransmitted: false,
            fresh: false,
        }
    }

    /// Sequence space it covers.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether it covers nothing (never true for a stored entry).
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Whether it waits for a retransmission: lost, not SACKed, none in flight.
    pub fn needs_retransmission(&self) -> bool {
        self.lost && !self.retrans && !self.sacked
    }

    /// Its share of the pipe (RFC 6675 §4 SetPipe): once if not lost, once more if a
    /// retransmission is in flight; nothing when SACKed.
    fn pipe(&self) -> usize {
        if self.sacked {
            0
        } else {
            self.len() * (usize::from(!self.lost) + usize::from(self.retrans))
        }
    }
}

/// The outstanding segments in sequence order, contiguous from SND.UNA.
#[derive(Debug, Clone, Default)]
pub struct Scoreboard {
    segs: VecDeque<SentSegment>,
    /// The highest SACKed sequence number plus one (RFC 6675 HighSACK + 1).
    high_sacked: Option<SeqNumber>,
}

impl Scoreboard {
    /// Forgets everything (a new connection).
    pub fn clear(&mut self) {
        self.segs.clear();
        self.high_sacked = None;
    }

    /// Number of outstanding segments.
    pub fn len(&self) -> usize {
        self.segs.len()
    }

    /// Whether nothing is outstanding.
    pub fn is_empty(&self) -> bool {
        self.segs.is_empty()
    }

    /// Whether new data must wait (see the module doc).
    pub fn is_full(&self) -> bool {
        self.segs.len() >= MAX_SEGMENTS
    }

    /// The outstanding segments, lowest first.
    pub fn iter(&self) -> impl Iterator<Item = &SentSegment> {
        self.segs.iter()
    }

    /// The outstanding segments, for loss detection to mark.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut SentSegment> {
        self.segs.iter_mut()
    }

    /// The highest outstanding segment.
    pub fn last(&self) -> Option<&SentSegment> {
        self.segs.back()
    }

    /// One past the highest SACKed sequence number, if anything is SACKed.
    pub fn high_sacked(&self) -> Option<SeqNumber> {
        self.high_sacked
    }

    /// New data `[start, end)` was sent at `now`.
    pub fn on_send(&mut self, start: SeqNumber, end: SeqNumber, now: Instant) {
        if start < end {
            self.segs.push_back(SentSegment::new(start, end, now));
        }
    }

    /// `[start, end)` (already sent) was sent again at `now`: those entries now have a
    /// retransmission in flight. Entries are split at `start` and `end` if needed.
    pub fn on_retransmit(&mut self, start: SeqNumber, end: SeqNumber, now: Instant) {
        self.split_at(start, false);
        self.split_at(end, false);
        for s in self.segs.iter_mut() {
            if s.start >= start && s.end <= end {
                s.retrans = true;
                s.ever_retransmitted = true;
                s.sent_at = now;
            }
        }
    }

    /// Splits the entry that straddles `at` into two with the same state (unless
    /// `bounded` and the board holds [`MAX_SPLIT_SEGMENTS`] entries already).
    fn split_at(&mut self, at: SeqNumber, bounded: bool) {
        let Some(i) = self.segs.iter().position(|s| s.start < at && at < s.end) else {
            return;
        };
        if bounded && self.segs.len() >= MAX_SPLIT_SEGMENTS {
            return;
        }
        let mut tail = self.segs[i];
        tail.start = at;
        self.segs[i].end = at;
        self.segs.insert(i + 1, tail);
    }

    /// The cumulative ACK moved SND.UNA to `una`: drops what it covers. `delivered` is
    /// called for every entry (or part) that is newly delivered, lowest first: those
    /// not SACKed before. Returns the bytes newly delivered that way.
    pub fn ack(&mut self, una: SeqNumber, mut delivered: impl FnMut(&SentSegment)) -> usize {
        let mut bytes = 0;
        while let Some(front) = self.segs.front_mut() {
            if front.start >= una {
                break;
            }
            if front.end <= una {
                let s = self.segs.pop_front().expect("front exists");
                if !s.sacked {
                    bytes += s.len();
                    delivered(&s);
                }
            } else {
                let mut part = *front;
                part.end = una;
                front.start = una;
                if !part.sacked {
                    bytes += part.len();
                    delivered(&part);
                }
                break;
            }
        }
        if self.high_sacked.is_some_and(|h| h <= una) {
            self.high_sacked = None;
        }
        bytes
    }

    /// Takes the SACK blocks of one ACK (RFC 2018 §4): marks the entries they cover.
    /// Blocks are clipped to `(una, snd_nxt]`; D-SACK and stale blocks thus add
    /// nothing. `delivered` is called for each newly SACKed entry, lowest first.
    /// Returns the bytes newly SACKed.
    pub fn sack(
        &mut self,
        una: SeqNumber,
        snd_nxt: SeqNumber,
        blocks: &[Option<(SeqNumber, SeqNumber)>],
        mut delivered: impl FnMut(&SentSegment),
    ) -> usize {
        let mut any = false;
        for &(l, r) in blocks.iter().flatten() {
            // A block must lie within what was sent; anything else is bogus.
            if !(l < r && r <= snd_nxt && r > una) {
                continue;
            }
            let l = l.max(una);
            // Only whole entries are marked: split at the edges while allowed.
            self.split_at(l, true);
            self.split_at(r, true);
            for s in self.segs.iter_mut() {
                if s.sacked || s.start < l || s.end > r {
                    continue;
                }
                s.sacked = true;
                s.fresh = true;
                any = true;
            }
        }
        if !any {
            return 0;
        }
        let mut bytes = 0;
        for s in self.segs.iter_mut() {
            if s.fresh {
                s.fresh = false;
                bytes += s.len();
                if self.high_sacked.is_none_or(|h| s.end > h) {
                    self.high_sacked = Some(s.end);
                }
                delivered(s);
            }
        }
        bytes
    }

    /// RFC 6675 §4 SetPipe: the octets estimated to be in the network.
    pub fn pipe(&self) -> usize {
        self.segs.iter().map(SentSegment::pipe).sum()
    }

    /// Octets SACKed.
    pub fn sacked_bytes(&self) -> usize {
        self.segs.iter().filter(|s| s.sacked).map(|s| s.len()).sum()
    }

    /// Segments SACKed (RFC 8985 `RACK.segs_sacked`).
    pub fn sacked_segments(&self) -> usize {
        self.segs.iter().filter(|s| s.sacked).count()
    }

    /// Whether anything outstanding is SACKed.
    pub fn has_sacked(&self) -> bool {
        self.high_sacked.is_some()
    }

    /// Whether any segment waits for a retransmission.
    pub fn has_lost(&self) -> bool {
        self.segs.iter().any(SentSegment::needs_retransmission)
    }

    /// RFC 6675 §4 IsLost, applied to every un-SACKed entry not yet deemed lost: it is
    /// lost when DupThresh discontiguous SACKed ranges lie above it, or more than
    /// (DupThresh - 1) * SMSS SACKed octets. Returns how many entries were newly
    /// marked.
    pub fn mark_lost_by_sack(&mut self, smss: usize) -> usize {
        let mut marked = 0;
        let mut bytes_above = 0;
        let mut ranges_above = 0;
        let mut in_range = false;
        for s in self.segs.iter_mut().rev() {
            if s.sacked {
                bytes_above += s.len();
                if !in_range {
                    ranges_above += 1;
                    in_range = true;
                }
                continue;
            }
            in_range = false;
            if !s.lost && (ranges_above >= DUP_THRESH || bytes_above > (DUP_THRESH - 1) * smss) {
                s.lost = true;
                marked += 1;
            }
        }
        marked
    }

    /// Deems the first outstanding segment lost unless it is SACKed or already lost
    /// (fast retransmit, RFC 5681 §3.2 and RFC 6675 §5 step 4.3; a NewReno partial
    /// ACK, RFC 6582 §3.2 step 5). Returns whether it was marked.
    pub fn mark_head_lost(&mut self) -> bool {
        match self.segs.front_mut() {
            Some(s) if !s.sacked && !s.lost => {
                s.lost = true;
                true
            }
            _ => false,
        }
    }

    /// Deems everything not SACKed lost, with no retransmission in flight (go-back-N
    /// after a timeout, RFC 5681 §3.1 / RFC 6298 §5.4).
    pub fn mark_all_lost(&mut self) {
        for s in self.segs.iter_mut().filter(|s| !s.sacked) {
            s.lost = true;
            s.retrans = false;
        }
    }

    /// Deems lost every un-SACKed segment longer than `max_len` octets, with no
    /// retransmission in flight: the path MTU shrank and they will not get through
    /// (RFC 1191 §6.5; Linux `tcp_simple_retransmit`). Returns how many were marked.
    pub fn mark_larger_lost(&mut self, max_len: usize) -> usize {
        let mut marked = 0;
        for s in self
            .segs
            .iter_mut()
            .filter(|s| !s.sacked && s.len() > max_len)
        {
            s.lost = true;
            s.retrans = false;
            marked += 1;
        }
        marked
    }

    /// Forgets every SACK mark (the receiver may have reneged, RFC 2018 §8).
    pub fn clear_sacked(&mut self) {
        for s in self.segs.iter_mut() {
            s.sacked = false;
        }
        self.high_sacked = None;
    }

    /// RFC 6675 §4 NextSeg rule 1: the first range that waits for a retransmission,
    /// joined with the following ones while contiguous, up to `max` octets.
    pub fn next_lost(&self, max: usize) -> Option<(SeqNumber, SeqNumber)> {
        self.run_from(|s| s.needs_retransmission(), max)
    }

    /// RFC 6675 §4 NextSeg rule 3: the first un-SACKed range below the highest SACKed
    /// octet that is neither deemed lost nor already retransmitted, up to `max` octets.
    pub fn next_unsacked_hole(&self, max: usize) -> Option<(SeqNumber, SeqNumber)> {
        let high = self.high_sacked?;
        self.run_from(|s| !s.sacked && !s.lost && !s.retrans && s.end <= high, max)
    }

    /// RFC 6675 §4 NextSeg rule 4: the range that a rescue retransmission resends — the
    /// last `max` octets of the highest outstanding segment, when it is un-SACKed,
    /// lies above every SACKed octet, and was not resent already.
    pub fn rescue_candidate(&self, max: usize) -> Option<(SeqNumber, SeqNumber)> {
        let last = self.segs.back()?;
        if last.sacked || last.retrans || self.high_sacked.is_some_and(|h| last.start < h) {
            return None;
        }
        let start = if last.len() > max {
            last.end - max
        } else {
            last.start
        };
        Some((start, last.end))
    }

    /// The first entry matching `want` and the contiguous matching entries after it,
    /// as one range of at most `max` octets.
    fn run_from(
        &self,
        want: impl Fn(&SentSegment) -> bool,
        max: usize,
    ) -> Option<(SeqNumber, SeqNumber)> {
        let first = self.segs.iter().position(&want)?;
        let start = self.segs[first].start;
        let mut end = start;
        for s in self.segs.iter().skip(first) {
            if !want(s) || s.start != end {
                break;
            }
            end = s.end;
            if end - start >= max {
                break;
            }
        }
        if end - start > max {
            end = start + max.max(1);
        }
        Some((start, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u32) -> SeqNumber {
        SeqNumber(n)
    }

    fn t(ms: i64) -> Instant {
        Instant::from_millis(ms)
    }

    /// Ten 100-octet segments from 1000, sent at 0 ms.
    fn board() -> Scoreboard {
        let mut b = Scoreboard::default();
        for i in 0..10u32 {
            b.on_send(s(1000 + 100 * i), s(1100 + 100 * i), t(0));
        }
        b
    }

    fn sacked(b: &Scoreboard) -> Vec<(u32, u32)> {
        b.iter()
            .filter(|x| x.sacked)
            .map(|x| (x.start.0, x.end.0))
            .collect()
    }

    #[test]
    fn sack_blocks_mark_whole_segments_lowest_first() {
        let mut b = board();
        let mut seen = Vec::new();
        let n = b.sack(
            s(1000),
            s(2000),
            &[Some((s(1600), s(1800))), Some((s(1200), s(1300)))],
            |x| seen.push(x.start.0),
        );
        assert_eq!(n, 300);
        assert_eq!(
            seen,
            vec![1200, 1600, 1700],
            "in sequence order, not block order"
        );
        assert_eq!(b.high_sacked(), Some(s(1800)));
        assert_eq!(b.pipe(), 700);
        // The same blocks again deliver nothing new.
        assert_eq!(
            b.sack(s(1000), s(2000), &[Some((s(1600), s(1800)))], |_| {}),
            0
        );
    }

    #[test]
    fn a_block_splits_a_segment_and_bogus_blocks_are_ignored() {
        let mut b = board();
        assert_eq!(
            b.sack(s(1000), s(2000), &[Some((s(1050), s(1100)))], |_| {}),
            50
        );
        assert_eq!(sacked(&b), vec![(1050, 1100)]);
        let n = b.sack(
            s(1000),
            s(2000),
            &[
                Some((s(900), s(1000))),
                Some((s(1900), s(2100))),
                Some((s(1500), s(1500))),
            ],
            |_| {},
        );
        assert_eq!(n, 0, "below SND.UNA, beyond SND.NXT, empty");
    }

    #[test]
    fn cumulative_ack_delivers_only_what_was_not_sacked() {
        let mut b = board();
        b.sack(s(1000), s(2000), &[Some((s(1100), s(1200)))], |_| {});
        let mut seen = Vec::new();
        let n = b.ack(s(1250), |x| seen.push((x.start.0, x.end.0)));
        assert_eq!(n, 150);
        assert_eq!(seen, vec![(1000, 1100), (1200, 1250)]);
        assert_eq!(b.iter().next().map(|x| x.start), Some(s(1250)));
        assert_eq!(b.high_sacked(), None, "everything SACKed is acknowledged");
    }

    #[test]
    fn rfc6675_is_lost_needs_three_ranges_or_more_than_two_segments_above() {
        let mut b = board();
        // Two SACKed segments above 1000: 200 octets, not more than 2 * 100.
        b.sack(s(1000), s(2000), &[Some((s(1100), s(1300)))], |_| {});
        assert_eq!(b.mark_lost_by_sack(100), 0);
        // A third discontiguous range (three ranges above 1000 and 1300).
        b.sack(s(1000), s(2000), &[Some((s(1500), s(1600)))], |_| {});
        b.sack(s(1000), s(2000), &[Some((s(1800), s(1900)))], |_| {});
        assert_eq!(b.mark_lost_by_sack(100), 1, "1000 has three ranges above");
        let lost: Vec<u32> = b.iter().filter(|x| x.lost).map(|x| x.start.0).collect();
        // 1300 and 1400 have two ranges, 200 octets above them: not lost yet.
        assert_eq!(lost, vec![1000]);
        assert_eq!(b.next_lost(1000), Some((s(1000), s(1100))));
        // Pipe: 10 segments, 4 SACKed, 1 lost: 5 in flight.
        assert_eq!(b.pipe(), 500);
    }

    #[test]
    fn retransmission_is_counted_in_the_pipe_and_can_be_lost_again() {
        let mut b = board();
        assert!(b.mark_head_lost());
        assert_eq!(b.pipe(), 900);
        b.on_retransmit(s(1000), s(1100), t(5));
        assert_eq!(b.pipe(), 1000, "lost and retransmitted counts once");
        assert_eq!(b.next_lost(100), None);
        assert!(
            !b.mark_head_lost(),
            "already lost, its retransmission in flight"
        );
        b.mark_all_lost();
        assert_eq!(
            b.next_lost(100),
            Some((s(1000), s(1100))),
            "a timeout: resend"
        );
    }

    #[test]
    fn lost_runs_join_up_to_the_limit_and_retransmission_splits() {
        let mut b = board();
        b.mark_all_lost();
        assert_eq!(b.next_lost(250), Some((s(1000), s(1250))));
        b.on_retransmit(s(1000), s(1250), t(1));
        assert_eq!(b.len(), 11, "split at 1250");
        assert_eq!(b.next_lost(1000), Some((s(1250), s(2000))));
        assert_eq!(b.pipe(), 250);
    }

    #[test]
    fn rule3_and_rescue_candidates() {
        let mut b = board();
        b.sack(s(1000), s(2000), &[Some((s(1300), s(1400)))], |_| {});
        assert_eq!(b.next_unsacked_hole(1000), Some((s(1000), s(1300))));
        assert_eq!(b.rescue_candidate(50), Some((s(1950), s(2000))));
        b.sack(s(1000), s(2000), &[Some((s(1900), s(2000)))], |_| {});
        assert_eq!(b.rescue_candidate(50), None, "the tail is SACKed");
    }

    #[test]
    fn splitting_by_sack_is_bounded() {
        let mut b = Scoreboard::default();
        b.on_send(s(0), s(1_000_000), t(0));
        for i in 0..(MAX_SPLIT_SEGMENTS as u32) {
            let l = 10 + 100 * i;
            b.sack(s(0), s(1_000_000), &[Some((s(l), s(l + 1)))], |_| {});
        }
        assert!(b.len() <= MAX_SPLIT_SEGMENTS + 2, "{}", b.len());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        #[derive(Debug, Clone)]
        enum Op {
            Send(u16),
            Ack(u16),
            Sack(u16, u16),
            Resend(u16, u16),
            AllLost,
            LostBySack,
            ClearSacked,
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                4 => (1u16..3000).prop_map(Op::Send),
                2 => any::<u16>().prop_map(Op::Ack),
                4 => (any::<u16>(), any::<u16>()).prop_map(|(a, b)| Op::Sack(a, b)),
                2 => (any::<u16>(), 1u16..3000).prop_map(|(a, b)| Op::Resend(a, b)),
                1 => Just(Op::AllLost),
                1 => Just(Op::LostBySack),
                1 => Just(Op::ClearSacked),
            ]
        }

        proptest! {
            // Whatever the ACKs say, the scoreboard covers SND.UNA..SND.NXT exactly, in
            // order, with no empty entry, and the pipe never exceeds twice the flight.
            #[test]
            fn entries_tile_the_flight(ops in proptest::collection::vec(op(), 1..200)) {
                let mut b = Scoreboard::default();
                let (mut una, mut nxt) = (SeqNumber(0xffff_f000), SeqNumber(0xffff_f000));
                for (i, o) in ops.into_iter().enumerate() {
                    let now = Instant::from_millis(i as i64);
                    let flight = (nxt - una).max(1);
                    match o {
                        Op::Send(n) => {
                            b.on_send(nxt, nxt + n as usize, now);
                            nxt += n as usize;
                        }
                        Op::Ack(k) => {
                            let to = una + (k as usize % (flight + 1)).min(nxt - una);
                            b.ack(to, |_| {});
                            una = to;
                        }
                        Op::Sack(a, c) => {
                            let l = una + a as usize % flight;
                            let r = l + (c as usize % flight).max(1);
                            b.sack(una, nxt, &[Some((l, r))], |_| {});
                        }
                        Op::Resend(a, n) => {
                            let l = una + a as usize % flight;
                            let r = (l + n as usize).min(nxt);
                            if l < r {
                                b.on_retransmit(l, r, now);
                            }
                        }
                        Op::AllLost => b.mark_all_lost(),
                        Op::LostBySack => {
                            b.mark_lost_by_sack(100);
                        }
                        Op::ClearSacked => b.clear_sacked(),
                    }
                    let mut at = una;
                    for e in b.iter() {
                        prop_assert_eq!(e.start, at);
                        prop_assert!(e.start < e.end);
                        at = e.end;
                    }
                    prop_assert!(b.is_empty() || at == nxt);
                    prop_assert!(b.pipe() <= 2 * (nxt - una));
                    prop_assert!(b.sacked_bytes() <= nxt - una);
                }
            }
        }
    }
}
