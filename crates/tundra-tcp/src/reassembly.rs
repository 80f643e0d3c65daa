//! The receive buffer with out-of-order reassembly, in bounded memory.
//!
//! One ring of `capacity` bytes holds both the in-order data the application has not
//! read yet and segments that arrived ahead of a hole (RFC 9293 §3.10.7.4, seventh step:
//! "segments with higher beginning sequence numbers may be held for later
//! processing"). Positions are offsets from the first unread byte:
//!
//! ```text
//!   head                 RCV.NXT
//!    |<--- readable ---->|<-- hole -->|## out-of-order ##|<-- hole -->|### ###|
//!    |<------------------------------ capacity ---------------------------------->|
//! ```
//!
//! Nothing beyond the capacity is ever stored (that is outside the window we offered),
//! and the list of out-of-order ranges is bounded by [`MAX_RANGES`]; a segment that
//! would need more is simply not kept (the peer retransmits it).

/// At most this many separate out-of-order ranges are remembered.
pub const MAX_RANGES: usize = 16;

/// A bounded reassembly buffer. See the module doc for the layout.
#[derive(Debug, Clone)]
pub struct RecvBuffer {
    /// Ring storage, allocated on first use so idle connections cost nothing.
    storage: Vec<u8>,
    capacity: usize,
    /// Ring index of the first unread byte.
    head: usize,
    /// In-order bytes ready for the reader.
    readable: usize,
    /// Out-of-order ranges `[start, end)` as offsets from `head`; sorted, disjoint, not
    /// touching each other, all with `start > readable`.
    ranges: Vec<(usize, usize)>,
    /// The range (offsets from `head`) of the most recent out-of-order insert, for the
    /// first SACK block (RFC 2018 §4).
    last_insert: Option<usize>,
}

impl RecvBuffer {
    /// An empty buffer of `capacity` bytes (at least 1).
    pub fn new(capacity: usize) -> RecvBuffer {
        RecvBuffer {
            storage: Vec::new(),
            capacity: capacity.max(1),
            head: 0,
            readable: 0,
            ranges: Vec::new(),
            last_insert: None,
        }
    }

    /// The fixed capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// In-order bytes the application can read.
    pub fn readable(&self) -> usize {
        self.readable
    }

    /// Space from RCV.NXT to the end of the buffer: the most we may offer as window.
    pub fn window(&self) -> usize {
        self.capacity - self.readable
    }

    /// Whether any out-of-order data is held (there is a hole at RCV.NXT).
    pub fn has_holes(&self) -> bool {
        !self.ranges.is_empty()
    }

    /// Stores `data` whose first byte is `offset` bytes after RCV.NXT. Bytes beyond the
    /// capacity are discarded. Returns how many bytes became in-order (how far RCV.NXT
    /// advances), which is zero unless `offset` is zero.
    pub fn insert(&mut self, offset: usize, data: &[u8]) -> usize {
        let room = self.window();
        if offset >= room || data.is_empty() {
            return 0;
        }
        let data = &data[..data.len().min(room - offset)];
        let start = self.readable + offset;
        let end = start + data.len();
        if offset > 0 && !self.add_range(start, end) {
            return 0;
        }
        self.write(start, data);
        if offset > 0 {
            self.last_insert = Some(start);
            return 0;
        }
        // In order: the readable region grows and may swallow held ranges.
        let before = self.readable;
        self.readable = end;
        while let Some(&(s, e)) = self.ranges.first() {
            if s > self.readable {
                break;
            }
            self.readable = self.readable.max(e);
            self.ranges.remove(0);
        }
        if self.last_insert.is_some_and(|s| s < self.readable) {
            self.last_insert = None;
        }
        self.readable - before
    }

    /// Copies up to `out.len()` in-order bytes to `out` and frees their space.
    pub fn read(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.readable);
        if n == 0 {
            return 0;
        }
        let first = n.min(self.capacity - self.head);
        out[..first].copy_from_slice(&self.storage[self.head..self.head + first]);
        out[first..n].copy_from_slice(&self.storage[..n - first]);
        self.head = (self.head + n) % self.capacity;
        self.readable -= n;
        for r in &mut self.ranges {
            r.0 -= n;
            r.1 -= n;
        }
        self.last_insert = self.last_insert.map(|s| s - n);
        n
    }

    /// Drops all in-order bytes unread (used once the user closed: data that still
    /// arrives is acknowledged and thrown away).
    pub fn discard_readable(&mut self) -> usize {
        let n = self.readable;
        self.head = (self.head + n) % self.capacity;
        self.readable = 0;
        for r in &mut self.ranges {
            r.0 -= n;
            r.1 -= n;
        }
        self.last_insert = self.last_insert.map(|s| s - n);
        n
    }

    /// The out-of-order ranges as `(start, end)` offsets from RCV.NXT, the one holding
    /// the most recently received segment first (RFC 2018 §4), then ascending.
    pub fn sack_ranges(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let recent = self
            .last_insert
            .and_then(|s| self.ranges.iter().position(|&(a, b)| a <= s && s < b));
        let first = recent.map(|i| self.ranges[i]);
        first
            .into_iter()
            .chain(
                self.ranges
                    .iter()
                    .enumerate()
                    .filter(move |(i, _)| Some(*i) != recent)
                    .map(|(_, r)| *r),
            )
            .map(move |(s, e)| (s - self.readable, e - self.readable))
    }

    /// The first part of `[offset, offset + len)` (offsets from RCV.NXT) that the
    /// buffer already holds out of order, if any: what a segment about to be inserted
    /// duplicates (RFC 2883 §4: reported as a D-SACK block). Call before
    /// [`RecvBuffer::insert`].
    pub fn held_overlap(&self, offset: usize, len: usize) -> Option<(usize, usize)> {
        let start = self.readable + offset;
        let end = start.saturating_add(len);
        self.ranges
            .iter()
            .map(|&(s, e)| (s.max(start), e.min(end)))
            .find(|&(s, e)| s < e)
            .map(|(s, e)| (s - self.readable, e - self.readable))
    }

    /// Drops everything (RFC 9293 §3.10.7.4: a reset flushes the queues).
    pub fn clear(&mut self) {
        self.head = 0;
        self.readable = 0;
        self.ranges.clear();
        self.last_insert = None;
    }

    /// Merges `[start, end)` into the range list; false if it would exceed the bound.
    fn add_range(&mut self, start: usize, end: usize) -> bool {
        // Indices of ranges that overlap or touch the new one.
        let first = self.ranges.iter().position(|&(_, e)| e >= start);
        let Some(first) = first else {
            if self.ranges.len() >= MAX_RANGES {
                return false;
            }
            self.ranges.push((start, end));
            return true;
        };
        let mut last = first;
        while last < self.ranges.len() && self.ranges[last].0 <= end {
            last += 1;
        }
        if last == first {
            // Disjoint: insert before `first`.
            if self.ranges.len() >= MAX_RANGES {
                return false;
            }
            self.ranges.insert(first, (start, end));
        } else {
            let s = start.min(self.ranges[first].0);
            let e = end.max(self.ranges[last - 1].1);
            self.ranges.drain(first..last);
            self.ranges.insert(first, (s, e));
        }
        true
    }

    fn write(&mut self, start: usize, data: &[u8]) {
        if self.storage.is_empty() {
            self.storage = vec![0; self.capacity];
        }
        let pos = (self.head + start) % self.capacity;
        let first = data.len().min(self.capacity - pos);
        self.storage[pos..pos + first].copy_from_slice(&data[..first]);
        self.storage[..data.len() - first].copy_from_slice(&data[first..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(b: &mut RecvBuffer) -> Vec<u8> {
        let mut out = vec![0; b.readable()];
        let n = b.read(&mut out);
        out.truncate(n);
        out
    }

    #[test]
    fn in_order_data_is_readable_at_once() {
        let mut b = RecvBuffer::new(10);
        assert_eq!(b.insert(0, b"hello"), 5);
        assert_eq!(b.window(), 5);
        assert_eq!(read_all(&mut b), b"hello");
        assert_eq!(b.window(), 10);
    }

    #[test]
    fn a_hole_filled_releases_the_held_ranges() {
        let mut b = RecvBuffer::new(32);
        assert_eq!(b.insert(6, b"world"), 0);
        assert_eq!(b.insert(12, b"!!"), 0);
        assert_eq!(b.sack_ranges().collect::<Vec<_>>(), vec![(12, 14), (6, 11)]);
        assert_eq!(b.readable(), 0);
        assert_eq!(b.insert(0, b"hello "), 11, "fills up to the next hole");
        assert_eq!(b.insert(0, b"x"), 3, "closes the last hole");
        assert_eq!(read_all(&mut b), b"hello worldx!!");
        assert!(!b.has_holes());
    }

    #[test]
    fn data_beyond_capacity_is_cut() {
        let mut b = RecvBuffer::new(8);
        assert_eq!(b.insert(0, b"0123456789"), 8);
        assert_eq!(b.window(), 0);
        assert_eq!(b.insert(0, b"more"), 0);
        let mut out = [0u8; 3];
        b.read(&mut out);
        assert_eq!(b.insert(1, b"bcdef"), 0, "only 2 bytes fit after the hole");
        assert_eq!(b.insert(0, b"a"), 3);
        assert_eq!(read_all(&mut b), b"34567abc");
    }

    #[test]
    fn range_list_is_bounded() {
        let mut b = RecvBuffer::new(1000);
        for i in 0..MAX_RANGES {
            assert_eq!(b.insert(2 + 2 * i, b"x"), 0);
        }
        assert_eq!(b.sack_ranges().count(), MAX_RANGES);
        b.insert(500, b"y");
        assert_eq!(
            b.sack_ranges().count(),
            MAX_RANGES,
            "the extra range is dropped"
        );
        // Touching an existing range merges instead of adding.
        b.insert(3, b"z");
        assert_eq!(b.sack_ranges().next(), Some((2, 5)));
    }

    #[test]
    fn held_overlap_names_the_first_duplicated_part() {
        let mut b = RecvBuffer::new(100);
        b.insert(10, b"abcde");
        b.insert(20, b"fghij");
        assert_eq!(b.held_overlap(0, 10), None, "nothing held below 10");
        assert_eq!(b.held_overlap(12, 2), Some((12, 14)), "inside a held range");
        assert_eq!(b.held_overlap(5, 30), Some((10, 15)), "the first of two");
        assert_eq!(b.held_overlap(14, 3), Some((14, 15)), "a partial overlap");
        b.insert(0, b"0123456789");
        assert_eq!(b.read(&mut [0; 15]), 15);
        assert_eq!(
            b.held_overlap(0, 10),
            Some((5, 10)),
            "offsets follow RCV.NXT"
        );
    }

    #[test]
    fn overlapping_segments_merge() {
        let mut b = RecvBuffer::new(100);
        b.insert(10, b"abcde");
        b.insert(12, b"cdefgh");
        b.insert(5, b"zzzzzabc");
        assert_eq!(b.sack_ranges().collect::<Vec<_>>(), vec![(5, 18)]);
        b.insert(0, b"01234");
        assert_eq!(read_all(&mut b), b"01234zzzzzabcdefgh");
    }
}
