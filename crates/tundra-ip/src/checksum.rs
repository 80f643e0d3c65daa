//! The Internet checksum (RFC 1071): the 16-bit one's complement of the one's
//! complement sum of the data, taken 16 bits at a time.
//!
//! [`data`] folds a byte slice into a partial sum; [`combine`] adds partial sums (RFC
//! 1071 §2(B): the sum is commutative and associative, so a header, a pseudo-header and
//! a payload can be summed separately); the caller takes `!` of the final sum to get
//! the field value. A received header whose sum including the checksum field folds to
//! `0xffff` is valid (RFC 1071 §1).

use core::net::Ipv4Addr;

use crate::IpProtocol;

/// The one's complement sum of `data` as big-endian 16-bit words, folded to 16 bits.
/// An odd trailing byte is padded with a zero byte on the right (RFC 1071 §4.1).
pub fn data(data: &[u8]) -> u16 {
    // RFC 1071 §2(B) "byte order independence": summing the words in the other byte
    // order gives the byte-swapped sum. So the data is summed as little-endian 32-bit
    // words (each two 16-bit words, 2^16 = 1 in one's complement arithmetic), four
    // independent accumulators wide so the compiler can vectorize, and the folded sum
    // is swapped back at the end. Carries are deferred into the 64-bit accumulators
    // (RFC 1071 §2(C)); 2^32 words would be needed to overflow one.
    let mut acc = [0u64; 4];
    let mut blocks = data.chunks_exact(32);
    for block in &mut blocks {
        for (i, word) in block.chunks_exact(4).enumerate() {
            acc[i % 4] += u64::from(u32::from_le_bytes([word[0], word[1], word[2], word[3]]));
        }
    }
    let mut sum: u64 = acc.iter().map(|&a| u64::from(fold(a))).sum();
    let mut words = blocks.remainder().chunks_exact(2);
    for word in &mut words {
        sum += u64::from(u16::from_le_bytes([word[0], word[1]]));
    }
    // An odd trailing byte is the high byte of a big-endian word padded with zero
    // (RFC 1071 §4.1), which is the low byte here.
    if let [last] = words.remainder() {
        sum += u64::from(*last);
    }
    fold(sum).swap_bytes()
}

/// Adds partial sums produced by [`data`] or [`pseudo_header`] with end-around carry.
pub fn combine(sums: &[u16]) -> u16 {
    fold(sums.iter().map(|&s| s as u64).sum())
}

/// The partial sum of the IPv4 pseudo-header used by TCP and UDP (RFC 9293 §3.1,
/// RFC 768): source, destination, zero, protocol, and the upper-layer length.
pub fn pseudo_header(src: Ipv4Addr, dst: Ipv4Addr, protocol: IpProtocol, length: u32) -> u16 {
    let mut buf = [0u8; 12];
    buf[0..4].copy_from_slice(&src.octets());
    buf[4..8].copy_from_slice(&dst.octets());
    buf[9] = u8::from(protocol);
    buf[10..12].copy_from_slice(&(length as u16).to_be_bytes());
    data(&buf)
}

/// Whether a parser checks the checksum of what it reads.
///
/// `Verify` is the default and what the network demands (RFC 1122 §3.2.1.2: a datagram
/// whose header checksum fails MUST be silently discarded). `Ignore` exists for bytes
/// whose checksum was never computed, such as a capture taken on the sending side of a
/// device that offloads checksums to the hardware.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChecksumMode {
    /// Reject the packet with `Error::BadChecksum` when the checksum does not verify.
    #[default]
    Verify,
    /// Accept the packet whatever its checksum field holds.
    Ignore,
}

/// How an emitter fills a TCP or UDP checksum field.
///
/// `Full` is the checksum RFC 9293 §3.1 / RFC 768 define. `PseudoHeader` is what Linux
/// leaves for a NIC with checksum offload (`CHECKSUM_PARTIAL`): the folded,
/// uncomplemented pseudo-header sum, which the device completes by summing the
/// segment from its first byte (field included) and writing the complement. Only for
/// a device that says it completes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChecksumFill {
    /// The whole checksum.
    #[default]
    Full,
    /// Only the pseudo-header sum, for the device to complete.
    PseudoHeader,
}

fn fold(mut acc: u64) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 1071 §3 numerical example: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2.
    #[test]
    fn rfc1071_section3_example() {
        let bytes = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(data(&bytes), 0xddf2);
        // Byte-order independence (§2(B)): swapped input gives the swapped sum.
        let swapped = [0x01, 0x00, 0x03, 0xf2, 0xf5, 0xf4, 0xf7, 0xf6];
        assert_eq!(data(&swapped), 0xf2dd);
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(data(&[0xab]), 0xab00);
        assert_eq!(data(&[0x00, 0x01, 0xab]), 0xab01);
    }

    #[test]
    fn combine_equals_sum_of_concatenation() {
        let a = [0x45u8, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00];
        let b = [0x40u8, 0x11, 0x00, 0x00, 0xc0, 0xa8];
        let mut all = a.to_vec();
        all.extend_from_slice(&b);
        assert_eq!(combine(&[data(&a), data(&b)]), data(&all));
    }

    /// The IPv4 header from Wikipedia's checksum example: checksum field b861.
    #[test]
    fn ipv4_header_checksum_example() {
        let mut hdr = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(!data(&hdr), 0xb861);
        hdr[10..12].copy_from_slice(&0xb861u16.to_be_bytes());
        assert_eq!(data(&hdr), 0xffff, "a valid header sums to all ones");
    }

    /// RFC 1071 §4.1 word by word, the way the RFC's C code does it.
    fn naive(bytes: &[u8]) -> u16 {
        let mut sum: u32 = 0;
        for pair in bytes.chunks(2) {
            let w = if pair.len() == 2 {
                u16::from_be_bytes([pair[0], pair[1]])
            } else {
                (pair[0] as u16) << 8
            };
            sum += w as u32;
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum as u16
    }

    /// Every length around the 32-byte blocks and 2-byte tails of the fast path, with
    /// data that carries a lot, and the two sums that fold differently (all zero
    /// stays 0x0000; all ones is 0xffff, never 0).
    #[test]
    fn every_length_matches_the_rfc_loop() {
        let bytes: Vec<u8> = (0..300u32).map(|i| (i * 151 + 0x9b) as u8).collect();
        for len in 0..bytes.len() {
            assert_eq!(data(&bytes[..len]), naive(&bytes[..len]), "length {len}");
            assert_eq!(data(&[0xff; 300][..len]), naive(&[0xff; 300][..len]));
            assert_eq!(data(&[0; 300][..len]), 0);
        }
        assert_eq!(data(&[0xff; 64]), 0xffff);
    }

    #[test]
    fn long_input_matches_naive_sum() {
        let bytes: Vec<u8> = (0..4099u32).map(|i| (i * 31 + 7) as u8).collect();
        let mut naive: u32 = 0;
        for pair in bytes.chunks(2) {
            let w = if pair.len() == 2 {
                u16::from_be_bytes([pair[0], pair[1]])
            } else {
                (pair[0] as u16) << 8
            };
            naive += w as u32;
            naive = (naive & 0xffff) + (naive >> 16);
        }
        assert_eq!(data(&bytes), naive as u16);
    }
}
