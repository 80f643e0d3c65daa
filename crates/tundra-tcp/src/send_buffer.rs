//! The send buffer: bytes the application has written that the peer has not yet
//! acknowledged.
//!
//! Offset 0 is the byte at SND.UNA (RFC 9293 §3.3.1). The buffer holds both the bytes in
//! flight (SND.UNA..SND.NXT) and those not yet sent; SYN and FIN occupy sequence space
//! but no buffer space, and the connection accounts for them. Capacity is fixed, so a
//! writer that outruns the network is told how much was accepted.

use std::collections::VecDeque;

/// A bounded FIFO of unacknowledged and unsent bytes.
#[derive(Debug, Clone)]
pub struct SendBuffer {
    data: VecDeque<u8>,
    capacity: usize,
}

impl SendBuffer {
    /// An empty buffer that will hold at most `capacity` bytes.
    pub fn new(capacity: usize) -> SendBuffer {
        SendBuffer {
            data: VecDeque::new(),
            capacity,
        }
    }

    /// Bytes held (in flight plus unsent).
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The fixed capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Room for more bytes.
    pub fn free(&self) -> usize {
        self.capacity - self.data.len()
    }

    /// Appends as much of `bytes` as fits; returns how many were taken.
    pub fn push(&mut self, bytes: &[u8]) -> usize {
        let n = bytes.len().min(self.free());
        self.data.extend(&bytes[..n]);
        n
    }

    /// Copies bytes starting at `offset` (from SND.UNA) into `out`; returns how many
    /// were copied (fewer if the buffer ends first).
    pub fn read_at(&self, offset: usize, out: &mut [u8]) -> usize {
        if offset >= self.data.len() {
            return 0;
        }
        let n = out.len().min(self.data.len() - offset);
        let (a, b) = self.data.as_slices();
        let mut copied = 0;
        if offset < a.len() {
            let k = n.min(a.len() - offset);
            out[..k].copy_from_slice(&a[offset..offset + k]);
            copied = k;
        }
        if copied < n {
            let start = offset + copied - a.len();
            out[copied..n].copy_from_slice(&b[start..start + n - copied]);
        }
        n
    }

    /// Drops `n` acknowledged bytes from the front (SND.UNA advanced by `n`).
    pub fn ack(&mut self, n: usize) {
        let n = n.min(self.data.len());
        self.data.drain(..n);
    }

    /// Drops everything (RFC 9293 §3.10.7.4: a reset flushes the queues).
    pub fn clear(&mut self) {
        self.data.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_is_bounded_and_reads_across_the_wrap() {
        let mut b = SendBuffer::new(8);
        assert_eq!(b.push(b"abcdef"), 6);
        assert_eq!(b.push(b"ghijk"), 2, "only two bytes of room left");
        b.ack(4);
        assert_eq!(b.push(b"1234"), 4);
        let mut out = [0u8; 8];
        assert_eq!(b.read_at(0, &mut out), 8);
        assert_eq!(&out, b"efgh1234");
        assert_eq!(b.read_at(6, &mut out[..4]), 2);
        assert_eq!(&out[..2], b"34");
        assert_eq!(b.read_at(8, &mut out), 0);
    }
}
