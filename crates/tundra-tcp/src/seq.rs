//! TCP sequence numbers (RFC 9293 §3.4): 32-bit values compared modulo 2^32.
//!
//! "It is essential to remember that the actual sequence number space is finite, though
//! very large ... all arithmetic dealing with sequence numbers must be performed modulo
//! 2**32." `a < b` here means `b` is ahead of `a` by less than 2^31, which is how every
//! window check in the state machine is written. Never compare raw `u32`s.

use core::cmp::Ordering;
use core::fmt;
use core::ops::{Add, AddAssign, Sub};

/// A TCP sequence (or acknowledgment) number, with wrapping arithmetic and ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SeqNumber(pub u32);

impl SeqNumber {
    /// The larger of two sequence numbers in modular order.
    pub fn max(self, other: SeqNumber) -> SeqNumber {
        if self > other {
            self
        } else {
            other
        }
    }

    /// The smaller of two sequence numbers in modular order.
    pub fn min(self, other: SeqNumber) -> SeqNumber {
        if self < other {
            self
        } else {
            other
        }
    }

    /// `lo <= self < hi` in modular order (an RFC 9293 window test).
    pub fn in_range(self, lo: SeqNumber, hi: SeqNumber) -> bool {
        lo <= self && self < hi
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Add<usize> for SeqNumber {
    type Output = SeqNumber;
    fn add(self, rhs: usize) -> SeqNumber {
        // Lengths added to a sequence number are window- or buffer-sized; a length of
        // 2^31 or more would make the result compare *before* self.
        debug_assert!(
            rhs < (1 << 31),
            "sequence length {rhs} overflows half the space"
        );
        SeqNumber(self.0.wrapping_add(rhs as u32))
    }
}

impl AddAssign<usize> for SeqNumber {
    fn add_assign(&mut self, rhs: usize) {
        *self = *self + rhs;
    }
}

impl Sub<usize> for SeqNumber {
    type Output = SeqNumber;
    fn sub(self, rhs: usize) -> SeqNumber {
        debug_assert!(rhs < (1 << 31));
        SeqNumber(self.0.wrapping_sub(rhs as u32))
    }
}

impl Sub for SeqNumber {
    type Output = usize;
    /// The distance from `rhs` forward to `self`. Panics in debug builds if `rhs` is
    /// ahead of `self`; callers compare first.
    fn sub(self, rhs: SeqNumber) -> usize {
        let d = self.0.wrapping_sub(rhs.0) as i32;
        debug_assert!(d >= 0, "sequence {} is before {}", self.0, rhs.0);
        d.max(0) as usize
    }
}

impl PartialOrd for SeqNumber {
    fn partial_cmp(&self, other: &SeqNumber) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SeqNumber {
    /// Modular order: `self < other` iff `other - self` (mod 2^32) is in 1..2^31.
    /// (Exactly opposite numbers are not ordered by the RFC; we call the one reached by
    /// adding 2^31 "greater", which keeps `Ord` total.)
    fn cmp(&self, other: &SeqNumber) -> Ordering {
        (self.0.wrapping_sub(other.0) as i32).cmp(&0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_wraps_around() {
        let a = SeqNumber(u32::MAX - 10);
        let b = a + 20;
        assert_eq!(b, SeqNumber(9));
        assert!(a < b);
        assert!(b > a);
        assert_eq!(b - a, 20);
        assert!(SeqNumber(5).in_range(a, b));
        assert!(!b.in_range(a, b));
        assert_eq!(a.max(b), b);
        assert_eq!(a.min(b), a);
    }
}
