//! The stack's one source of randomness: a seeded ChaCha8 generator.
//!
//! Everything random in Tundra (IP identification, TCP initial sequence number keys,
//! ephemeral ports, ARP retry jitter) is drawn from one [`Rng`] owned by the stack and
//! created from a `u64` seed, so the same seed and the same input give the same output.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// A deterministic random number generator, seeded explicitly.
#[derive(Debug, Clone)]
pub struct Rng {
    inner: ChaCha8Rng,
}

impl Rng {
    /// A generator whose whole output is determined by `seed`.
    pub fn from_seed(seed: u64) -> Rng {
        Rng {
            inner: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// The next random `u32`.
    pub fn next_u32(&mut self) -> u32 {
        self.inner.next_u32()
    }

    /// The next random `u64`.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// The next random `u16`.
    pub fn next_u16(&mut self) -> u16 {
        (self.inner.next_u32() >> 16) as u16
    }

    /// Fills `dest` with random bytes.
    pub fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.inner.fill_bytes(dest)
    }

    /// A uniformly distributed value in `lo..hi` (`hi > lo`); used for port ranges and
    /// jitter.
    pub fn gen_range(&mut self, lo: u32, hi: u32) -> u32 {
        assert!(hi > lo, "empty range {lo}..{hi}");
        let span = (hi - lo) as u64;
        // Lemire's multiply-shift: unbiased enough for protocol jitter and port choice.
        lo + ((self.inner.next_u32() as u64 * span) >> 32) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Rng::from_seed(7);
        let mut b = Rng::from_seed(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::from_seed(7).next_u64(), Rng::from_seed(8).next_u64());
    }

    #[test]
    fn gen_range_stays_in_range() {
        let mut r = Rng::from_seed(1);
        for _ in 0..10_000 {
            let v = r.gen_range(49152, 65536);
            assert!((49152..65536).contains(&v));
        }
    }
}
