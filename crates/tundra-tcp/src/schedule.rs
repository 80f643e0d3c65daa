//! Which connections an [`Endpoint`](crate::Endpoint) has to look at: those with news
//! (a segment arrived, the user called them, they were just created) and those whose
//! timer is due. With a hundred idle keep-alive connections and one busy one, a poll
//! then visits the busy one instead of all of them (like an OS's run queue and timer
//! wheel; smoltcp instead walks every socket on every poll).
//!
//! The endpoint keeps the promise that makes this sound: every path that changes a
//! connection puts it on the ready list, and a connection leaves the list only after
//! `poll_transmit` looked at it and cached its next deadline here. So a connection
//! that is not ready has exactly the deadline it had when it was last looked at.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use tundra_core::Instant;

/// A timer item: (deadline, slot index, slot generation).
pub(crate) type Timer = (Instant, u32, u32);

/// The ready list and the timer queue of an endpoint's connection slots.
#[derive(Debug, Default)]
pub(crate) struct Schedule {
    /// Slots with news since the last poll: one bit per slot index (bit `i % 64` of
    /// word `i / 64`), so the list comes out in slot order without a sort, each slot
    /// once.
    ready: Vec<u64>,
    /// Words of `ready` that may have a bit set: the ones below this.
    ready_words: usize,
    /// Earliest deadline first. An item is current only while the entry still caches
    /// that deadline; stale items (the deadline moved, the slot was reused) are
    /// skipped when they come up, and the heap is rebuilt when they pile up.
    timers: BinaryHeap<Reverse<Timer>>,
}

impl Schedule {
    /// Queues slot `index` (queuing it twice is the same as once).
    pub(crate) fn push_ready(&mut self, index: u32) {
        let word = index as usize / 64;
        if word >= self.ready.len() {
            self.ready.resize(word + 1, 0);
        }
        self.ready[word] |= 1 << (index % 64);
        self.ready_words = self.ready_words.max(word + 1);
    }

    /// The slots queued so far, in slot order.
    pub(crate) fn ready(&self) -> impl Iterator<Item = u32> + '_ {
        self.ready[..self.ready_words]
            .iter()
            .enumerate()
            .flat_map(|(w, &bits)| set_bits(w, bits))
    }

    /// Moves the queued slots into `batch` (cleared first), in slot order and each
    /// once, so connections are served in the same order whatever order news came in.
    pub(crate) fn take_ready(&mut self, batch: &mut Vec<u32>) {
        batch.clear();
        for (w, word) in self.ready[..self.ready_words].iter_mut().enumerate() {
            batch.extend(set_bits(w, std::mem::take(word)));
        }
        self.ready_words = 0;
    }

    /// Remembers that slot `index` (of `generation`) has a timer at `at`.
    pub(crate) fn arm(&mut self, at: Instant, index: u32, generation: u32) {
        self.timers.push(Reverse((at, index, generation)));
    }

    /// The earliest item at or before `now`, removed from the queue. It may be stale:
    /// the caller checks it against the entry.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<Timer> {
        match self.timers.peek() {
            Some(Reverse((at, _, _))) if *at <= now => self.timers.pop().map(|Reverse(t)| t),
            _ => None,
        }
    }

    /// The earliest deadline queued (the endpoint prunes stale items from the front,
    /// so it is a real one).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((at, _, _))| *at)
    }

    /// The earliest item, left in the queue.
    pub(crate) fn peek(&self) -> Option<Timer> {
        self.timers.peek().map(|Reverse(t)| *t)
    }

    /// Removes the earliest item.
    pub(crate) fn pop(&mut self) {
        self.timers.pop();
    }

    /// True when stale items outnumber the `live` connections enough to rebuild.
    pub(crate) fn needs_rebuild(&self, live: usize) -> bool {
        self.timers.len() > 2 * live + 64
    }

    /// Replaces the timer queue with `current`, the deadline of every connection.
    pub(crate) fn rebuild(&mut self, current: impl Iterator<Item = Timer>) {
        self.timers.clear();
        self.timers.extend(current.map(Reverse));
    }
}

/// The slot indices of the bits set in word `w` of the ready bitmap, lowest first.
fn set_bits(w: usize, mut bits: u64) -> impl Iterator<Item = u32> {
    std::iter::from_fn(move || {
        if bits == 0 {
            return None;
        }
        let bit = bits.trailing_zeros();
        bits &= bits - 1;
        Some(w as u32 * 64 + bit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> Instant {
        Instant::from_millis(ms)
    }

    #[test]
    fn ready_slots_come_out_in_slot_order_once() {
        let mut s = Schedule::default();
        for i in [130, 7, 2, 7, 64, 5, 63] {
            s.push_ready(i);
        }
        assert_eq!(s.ready().collect::<Vec<_>>(), [2, 5, 7, 63, 64, 130]);
        let mut batch = vec![99];
        s.take_ready(&mut batch);
        assert_eq!(batch, [2, 5, 7, 63, 64, 130]);
        assert_eq!(s.ready().count(), 0);
        s.push_ready(1);
        s.take_ready(&mut batch);
        assert_eq!(batch, [1], "taking empties the list");
    }

    #[test]
    fn timers_come_due_earliest_first_and_not_before_their_time() {
        let mut s = Schedule::default();
        s.arm(at(30), 1, 1);
        s.arm(at(10), 2, 1);
        s.arm(at(20), 3, 4);
        assert_eq!(s.next_deadline(), Some(at(10)));
        assert_eq!(s.pop_due(at(5)), None);
        assert_eq!(s.pop_due(at(20)), Some((at(10), 2, 1)));
        assert_eq!(s.pop_due(at(20)), Some((at(20), 3, 4)));
        assert_eq!(s.pop_due(at(20)), None);
        assert_eq!(s.next_deadline(), Some(at(30)));
    }

    #[test]
    fn rebuild_replaces_stale_items() {
        let mut s = Schedule::default();
        for i in 0..200 {
            s.arm(at(i), 0, 1);
        }
        assert!(s.needs_rebuild(10));
        s.rebuild([(at(500), 0, 1)].into_iter());
        assert!(!s.needs_rebuild(10));
        assert_eq!(s.next_deadline(), Some(at(500)));
    }
}
