//! The SACK scoreboard (RFC 2018, RFC 6675 §3): which bytes above SND.UNA the peer has
//! told us it holds, so fast recovery resends only the holes.
//!
//! Bounded: at most [`MAX_SACKED_RANGES`] disjoint ranges are kept (a peer reports at
//! most 4 blocks per ACK); when full, the highest range is dropped, which only makes
//! recovery more conservative. The receiver may renege (RFC 2018 §8), so the scoreboard
//! is advice for what to resend first, never a reason to drop data from the send
//! buffer; it is cleared on a retransmission timeout (RFC 6675 §5.1).

use crate::SeqNumber;

/// At most this many SACKed ranges are remembered.
pub const MAX_SACKED_RANGES: usize = 16;

/// SACKed sequence ranges `[start, end)` above SND.UNA, sorted and disjoint.
#[derive(Debug, Clone, Default)]
pub struct Scoreboard {
    ranges: Vec<(SeqNumber, SeqNumber)>,
}

impl Scoreboard {
    /// Forgets everything.
    pub fn clear(&mut self) {
        self.ranges.clear();
    }

    /// Whether nothing is SACKed.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Takes the blocks of one ACK. Blocks outside `(snd_una, snd_max]` are ignored
    /// (RFC 2018 §4 allows D-SACK-like or stale blocks; they carry no new information
    /// here), and everything at or below SND.UNA is pruned.
    pub fn update(
        &mut self,
        snd_una: SeqNumber,
        snd_max: SeqNumber,
        blocks: &[Option<(SeqNumber, SeqNumber)>],
    ) {
        self.ranges.retain_mut(|r| {
            if r.1 <= snd_una {
                return false;
            }
            r.0 = r.0.max(snd_una);
            true
        });
        for &(l, r) in blocks.iter().flatten() {
            if !(snd_una < l && l < r && r <= snd_max) {
                continue;
            }
            self.insert(l, r);
        }
    }

    fn insert(&mut self, l: SeqNumber, r: SeqNumber) {
        let mut l = l;
        let mut r = r;
        // Merge every range that overlaps or touches [l, r).
        self.ranges.retain(|&(a, b)| {
            if b < l || a > r {
                true
            } else {
                l = l.min(a);
                r = r.max(b);
                false
            }
        });
        let pos = self
            .ranges
            .iter()
            .position(|&(a, _)| a > l)
            .unwrap_or(self.ranges.len());
        self.ranges.insert(pos, (l, r));
        if self.ranges.len() > MAX_SACKED_RANGES {
            self.ranges.pop();
        }
    }

    /// The first hole at or after `from` that has SACKed data above it (RFC 6675's
    /// "lost" test, simplified to one SACKed byte above), as `[start, end)` where `end`
    /// is the start of the next SACKed range.
    pub fn next_hole(&self, from: SeqNumber) -> Option<(SeqNumber, SeqNumber)> {
        let mut at = from;
        for &(a, b) in &self.ranges {
            if b <= at {
                continue;
            }
            if a > at {
                return Some((at, a));
            }
            at = b;
        }
        None
    }
}

impl Scoreboard {
    /// Bytes SACKed in total.
    pub fn sacked_bytes(&self) -> usize {
        self.ranges.iter().map(|&(a, b)| b - a).sum()
    }

    /// Bytes in holes from `from` upwards that RFC 6675 §4 `IsLost` deems lost: at
    /// least `threshold` SACKed bytes (DupThresh * SMSS) lie above them.
    pub fn lost_bytes(&self, from: SeqNumber, threshold: usize) -> usize {
        let mut lost = 0;
        let mut at = from;
        for (i, &(a, b)) in self.ranges.iter().enumerate() {
            if b <= at {
                continue;
            }
            if a > at {
                let above: usize = self.ranges[i..].iter().map(|&(x, y)| y - x).sum();
                if above >= threshold {
                    lost += a - at;
                }
            }
            at = b;
        }
        lost
    }

    /// Whether the hole starting at `seq` counts as lost (see [`Scoreboard::lost_bytes`]).
    pub fn is_lost(&self, seq: SeqNumber, threshold: usize) -> bool {
        let above: usize = self
            .ranges
            .iter()
            .filter(|&&(a, _)| a > seq)
            .map(|&(a, b)| b - a)
            .sum();
        above >= threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u32) -> SeqNumber {
        SeqNumber(n)
    }

    #[test]
    fn holes_between_sacked_ranges() {
        let mut sb = Scoreboard::default();
        sb.update(
            s(100),
            s(1000),
            &[Some((s(300), s(400))), Some((s(600), s(700)))],
        );
        assert_eq!(sb.next_hole(s(100)), Some((s(100), s(300))));
        assert_eq!(sb.next_hole(s(300)), Some((s(400), s(600))));
        assert_eq!(sb.next_hole(s(650)), None, "nothing SACKed above 700");
        assert_eq!(sb.sacked_bytes(), 200);
        assert_eq!(
            sb.lost_bytes(s(100), 200),
            200,
            "only the first hole has 200 above"
        );
        assert!(sb.is_lost(s(100), 200) && !sb.is_lost(s(400), 200));
        // Touching blocks merge; ACK progress prunes.
        sb.update(s(350), s(1000), &[Some((s(400), s(600)))]);
        assert_eq!(sb.next_hole(s(350)), None);
        assert_eq!(sb.ranges, vec![(s(350), s(700))]);
    }

    #[test]
    fn bogus_blocks_are_ignored_and_the_board_is_bounded() {
        let mut sb = Scoreboard::default();
        sb.update(
            s(100),
            s(1000),
            &[Some((s(50), s(150))), Some((s(900), s(2000)))],
        );
        assert!(sb.is_empty());
        for i in 0..40u32 {
            sb.update(
                s(100),
                s(10_000),
                &[Some((s(200 + 20 * i), s(210 + 20 * i)))],
            );
        }
        assert_eq!(sb.ranges.len(), MAX_SACKED_RANGES);
    }
}
