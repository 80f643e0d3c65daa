//! IPv4 fragmentation and reassembly (RFC 791 §2.3 and §3.2, RFC 815, RFC 1122 §3.3.2),
//! sans-IO: [`Reassembler`] puts received fragments back together within bounded memory
//! and a timeout; [`fragments`] cuts one of our own datagrams to fit an MTU.
//!
//! # Reassembly, and what it refuses
//! Fragments of one datagram share source, destination, protocol and identification
//! (RFC 791 §3.2, "the buffer identifier"). Each buffer keeps its fragments sorted by
//! offset. Because overlapping fragments are refused outright (below), the received
//! pieces never overlap, so RFC 815's hole list reduces to a byte count: the datagram is
//! complete when the last fragment (More Fragments clear) has fixed its length and the
//! pieces add up to that length.
//!
//! Hostile fragment sets are dropped and reported as a [`FragmentError`] the stack
//! counts:
//! - **overlap**: a fragment that overlaps another one discards the whole datagram
//!   (RFC 5722 §4 for IPv6, applied to IPv4 as Linux does since 4.19: overlaps are how
//!   "teardrop" attacks and IDS evasion work). An exact duplicate (same offset, length
//!   and bytes) is dropped alone (RFC 8200 §4.5 allows this for IPv6);
//! - **too long**: data ending past 65515 bytes (65535 minus a 20-byte header, "ping of
//!   death") discards the datagram;
//! - **too many fragments** in one datagram ([`ReassemblyConfig::max_fragments`])
//!   discards it;
//! - **inconsistent**: a second "last" fragment with another end, or data past the end
//!   the last fragment set, discards the datagram;
//! - **bad length**: a fragment with More Fragments set whose data is empty or not a
//!   multiple of 8 bytes (RFC 791 §3.2) is dropped alone;
//! - **no memory**: a fragment that would push the bytes held over
//!   [`ReassemblyConfig::max_bytes`], or start a datagram beyond
//!   [`ReassemblyConfig::max_datagrams`], is dropped alone (like Linux above
//!   `ipfrag_high_thresh`: nothing already buffered is evicted for a newcomer).
//!
//! A datagram not complete [`ReassemblyConfig::timeout`] after its first fragment
//! arrived is discarded by [`Reassembler::expire`], which hands back the first fragment's
//! header and first 8 data bytes if fragment zero had arrived, for the ICMP time exceeded
//! message (code 1) RFC 792 and RFC 1122 §3.3.2 ask for.
//!
//! Memory: the buffered data of one datagram is at most 65515 bytes (refused beyond),
//! and all buffers together hold at most `max_bytes` of data plus a fixed per-fragment
//! overhead that is counted too, so a flood of 8-byte fragments cannot hide its cost.

use core::fmt;
use core::net::Ipv4Addr;
use core::ops::Range;

use tundra_core::{Duration, Instant};

use crate::ipv4::{Ipv4Repr, IPV4_HEADER_LEN};

/// The most data a reassembled datagram may carry: 65535 minus a 20-byte header (RFC
/// 791 §3.1, Total Length is 16 bits).
pub const MAX_REASSEMBLED_PAYLOAD: usize = 65_535 - IPV4_HEADER_LEN;

/// How much of the first fragment's data is kept for an ICMP time exceeded quote
/// (RFC 792: "Internet Header + 64 bits of Original Data Datagram").
const QUOTE_LEN: usize = 8;

/// What each buffered fragment costs beyond its data, for the memory limit.
const FRAGMENT_OVERHEAD: usize = core::mem::size_of::<Fragment>();

/// Limits of a [`Reassembler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyConfig {
    /// How long an incomplete datagram is kept after its first fragment arrived. RFC
    /// 1122 §3.3.2 recommends 60 to 120 s; Linux uses 30 s (`ipfrag_time`), the
    /// default here.
    pub timeout: Duration,
    /// The most datagrams being reassembled at once.
    pub max_datagrams: usize,
    /// The most fragments one datagram may arrive in.
    pub max_fragments: usize,
    /// The most bytes (data plus per-fragment overhead) held by all buffers together.
    pub max_bytes: usize,
}

impl Default for ReassemblyConfig {
    /// 30 s, 64 datagrams, 64 fragments each, 1 MiB in all.
    fn default() -> Self {
        ReassemblyConfig {
            timeout: Duration::from_secs(30),
            max_datagrams: 64,
            max_fragments: 64,
            max_bytes: 1 << 20,
        }
    }
}

/// Why a fragment was not taken. Small and `Copy`: the stack counts each in its own
/// counter. [`FragmentError::discards_datagram`] says whether the rest of the datagram
/// went with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum FragmentError {
    /// The fragment overlaps another of the same datagram: the datagram is discarded
    /// (RFC 5722 §4).
    #[error("overlapping fragment")]
    Overlap,
    /// An exact copy of a fragment already held: dropped alone (RFC 8200 §4.5).
    #[error("duplicate fragment")]
    Duplicate,
    /// The data would end past 65515 bytes: the datagram is discarded.
    #[error("reassembled datagram longer than 65535 bytes")]
    TooLong,
    /// More fragments than [`ReassemblyConfig::max_fragments`]: the datagram is
    /// discarded.
    #[error("too many fragments")]
    TooManyFragments,
    /// The fragment contradicts the end of the datagram set by its last fragment: the
    /// datagram is discarded.
    #[error("fragment inconsistent with the datagram's end")]
    Inconsistent,
    /// More Fragments set and the data empty or not a multiple of 8 bytes (RFC 791
    /// §3.2): dropped alone.
    #[error("fragment length not a multiple of 8")]
    BadLength,
    /// The reassembly memory or datagram limit is reached: dropped alone.
    #[error("reassembly memory full")]
    NoMemory,
}

impl FragmentError {
    /// Whether the datagram the fragment belonged to was discarded with it.
    pub const fn discards_datagram(self) -> bool {
        matches!(
            self,
            FragmentError::Overlap
                | FragmentError::TooLong
                | FragmentError::TooManyFragments
                | FragmentError::Inconsistent
        )
    }
}

/// A datagram put back together: the first fragment's header with the fragment fields
/// cleared and `payload_len` set to the whole data (options are not kept), and the
/// data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reassembled {
    /// The header, as if the datagram had never been fragmented.
    pub header: Ipv4Repr,
    /// The whole data.
    pub data: Vec<u8>,
}

/// A datagram that timed out before it was complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expired {
    /// Source, destination, protocol and identification of the lost datagram.
    pub key: FragmentKey,
    /// Fragment zero's header and its first 8 data bytes, if it arrived: what an ICMP
    /// time exceeded message quotes. `None` means no message is sent (RFC 792: "If
    /// fragment zero is not available then no time exceeded need be sent at all").
    pub first: Option<(Ipv4Repr, Vec<u8>)>,
    /// How many fragments had arrived.
    pub fragments: usize,
}

/// What identifies the fragments of one datagram (RFC 791 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FragmentKey {
    /// The source address.
    pub src_addr: Ipv4Addr,
    /// The destination address.
    pub dst_addr: Ipv4Addr,
    /// The protocol number.
    pub protocol: u8,
    /// The identification field.
    pub ident: u16,
}

impl FragmentKey {
    /// The key of the datagram a fragment with this header belongs to.
    pub fn of(header: &Ipv4Repr) -> FragmentKey {
        FragmentKey {
            src_addr: header.src_addr,
            dst_addr: header.dst_addr,
            protocol: u8::from(header.protocol),
            ident: header.ident,
        }
    }
}

impl fmt::Display for FragmentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} > {} proto {} id {}",
            self.src_addr, self.dst_addr, self.protocol, self.ident
        )
    }
}

#[derive(Debug, Clone)]
struct Fragment {
    offset: usize,
    data: Vec<u8>,
}

impl Fragment {
    fn end(&self) -> usize {
        self.offset + self.data.len()
    }
}

#[derive(Debug, Clone)]
struct Buffer {
    key: FragmentKey,
    deadline: Instant,
    /// Sorted by offset, never overlapping.
    fragments: Vec<Fragment>,
    /// Sum of the fragments' data lengths.
    received: usize,
    /// The data length, once the last fragment arrived.
    total: Option<usize>,
    /// Fragment zero's header, once it arrived.
    first: Option<Ipv4Repr>,
    /// What this buffer counts against `max_bytes`.
    cost: usize,
}

impl Buffer {
    fn is_complete(&self) -> bool {
        self.first.is_some() && self.total == Some(self.received)
    }
}

/// Puts fragmented datagrams back together (see the module documentation).
#[derive(Debug, Clone)]
pub struct Reassembler {
    config: ReassemblyConfig,
    buffers: Vec<Buffer>,
    bytes: usize,
}

impl Reassembler {
    /// An empty reassembler.
    pub fn new(config: ReassemblyConfig) -> Reassembler {
        Reassembler {
            config,
            buffers: Vec::new(),
            bytes: 0,
        }
    }

    /// The limits it was built with.
    pub fn config(&self) -> &ReassemblyConfig {
        &self.config
    }

    /// How many datagrams are being reassembled.
    pub fn pending(&self) -> usize {
        self.buffers.len()
    }

    /// How many bytes (data and per-fragment overhead) are held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Takes one fragment: `header` is its parsed header (`more_frags` or
    /// `frag_offset` set), `data` its payload. Returns the whole datagram when this
    /// fragment completes it, `None` while fragments are missing, or why the fragment
    /// was refused.
    pub fn accept(
        &mut self,
        now: Instant,
        header: &Ipv4Repr,
        data: &[u8],
    ) -> Result<Option<Reassembled>, FragmentError> {
        let offset = usize::from(header.frag_offset);
        let end = offset + data.len();
        let last = !header.more_frags;
        // RFC 791 §3.2: every fragment but the last carries a multiple of 8 octets
        // (the next one's offset counts in 8-octet units); an empty one is useless.
        if !last && (data.is_empty() || !data.len().is_multiple_of(8)) {
            return Err(FragmentError::BadLength);
        }
        let key = FragmentKey::of(header);
        let found = self.buffers.iter().position(|b| b.key == key);
        // RFC 791 §3.1: Total Length is 16 bits; fragments that add up to more are the
        // "ping of death". The whole datagram goes.
        if end > MAX_REASSEMBLED_PAYLOAD {
            if let Some(i) = found {
                self.discard(i);
            }
            return Err(FragmentError::TooLong);
        }
        let cost = data.len() + FRAGMENT_OVERHEAD;
        let index = match found {
            Some(i) => i,
            None => {
                if self.buffers.len() >= self.config.max_datagrams
                    || self.bytes + cost > self.config.max_bytes
                {
                    return Err(FragmentError::NoMemory);
                }
                self.buffers.push(Buffer {
                    key,
                    // RFC 1122 §3.3.2: a fixed timeout from the first fragment, not
                    // refreshed by later ones (RFC 791's TTL-based timer is optional).
                    deadline: now + self.config.timeout,
                    fragments: Vec::new(),
                    received: 0,
                    total: None,
                    first: None,
                    cost: 0,
                });
                self.buffers.len() - 1
            }
        };
        if let Err(e) = self.insert(index, offset, last, header, data, cost) {
            if e.discards_datagram() || self.buffers[index].fragments.is_empty() {
                self.discard(index);
            }
            return Err(e);
        }
        if !self.buffers[index].is_complete() {
            return Ok(None);
        }
        let buffer = self.discard(index);
        let mut data = Vec::with_capacity(buffer.received);
        for fragment in &buffer.fragments {
            data.extend_from_slice(&fragment.data);
        }
        let mut header = buffer.first.unwrap_or(*header);
        header.more_frags = false;
        header.frag_offset = 0;
        header.payload_len = data.len();
        Ok(Some(Reassembled { header, data }))
    }

    fn insert(
        &mut self,
        index: usize,
        offset: usize,
        last: bool,
        header: &Ipv4Repr,
        data: &[u8],
        cost: usize,
    ) -> Result<(), FragmentError> {
        let max_fragments = self.config.max_fragments;
        let room = self.config.max_bytes.saturating_sub(self.bytes);
        let buffer = &mut self.buffers[index];
        let end = offset + data.len();
        let at = buffer.fragments.partition_point(|f| f.offset < offset);
        // RFC 8200 §4.5: an exact duplicate may be dropped alone rather than treated as
        // an overlap (retransmissions and duplicating links make them innocently).
        if let Some(same) = buffer.fragments.get(at) {
            if same.offset == offset && same.data == data && (!last || buffer.total == Some(end)) {
                return Err(FragmentError::Duplicate);
            }
        }
        // RFC 791 §3.2: the last fragment fixes the datagram's length; nothing may
        // contradict it.
        match buffer.total {
            Some(total) if last && total != end => return Err(FragmentError::Inconsistent),
            Some(total) if end > total => return Err(FragmentError::Inconsistent),
            None if last && buffer.fragments.last().is_some_and(|f| f.end() > end) => {
                return Err(FragmentError::Inconsistent)
            }
            _ => {}
        }
        // RFC 5722 §4: "if one or more of its constituent fragments is determined to
        // be an overlapping fragment, the entire datagram ... MUST be silently
        // discarded."
        let overlaps_before = at > 0 && buffer.fragments[at - 1].end() > offset;
        let overlaps_after = buffer.fragments.get(at).is_some_and(|f| f.offset < end);
        if overlaps_before || overlaps_after {
            return Err(FragmentError::Overlap);
        }
        if buffer.fragments.len() >= max_fragments {
            return Err(FragmentError::TooManyFragments);
        }
        if cost > room {
            return Err(FragmentError::NoMemory);
        }
        buffer.fragments.insert(
            at,
            Fragment {
                offset,
                data: data.to_vec(),
            },
        );
        buffer.received += data.len();
        buffer.cost += cost;
        if last {
            buffer.total = Some(end);
        }
        if offset == 0 {
            buffer.first = Some(*header);
        }
        self.bytes += cost;
        Ok(())
    }

    fn discard(&mut self, index: usize) -> Buffer {
        let buffer = self.buffers.swap_remove(index);
        self.bytes -= buffer.cost;
        buffer
    }

    /// When the oldest incomplete datagram times out, if any is pending.
    pub fn poll_at(&self) -> Option<Instant> {
        self.buffers.iter().map(|b| b.deadline).min()
    }

    /// Discards every datagram whose time is up at `now` and returns them, so the
    /// stack can count them and send ICMP time exceeded where fragment zero arrived.
    pub fn expire(&mut self, now: Instant) -> Vec<Expired> {
        let mut expired = Vec::new();
        let mut i = 0;
        while i < self.buffers.len() {
            if self.buffers[i].deadline > now {
                i += 1;
                continue;
            }
            let buffer = self.discard(i);
            let first = buffer.first.map(|header| {
                let quote = buffer
                    .fragments
                    .first()
                    .map(|f| f.data[..f.data.len().min(QUOTE_LEN)].to_vec())
                    .unwrap_or_default();
                (header, quote)
            });
            expired.push(Expired {
                key: buffer.key,
                first,
                fragments: buffer.fragments.len(),
            });
        }
        expired
    }
}

/// Why a datagram could not be cut into fragments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum FragmentationError {
    /// The datagram does not fit and Don't Fragment is set (RFC 791 §3.2: "it is to be
    /// discarded").
    #[error("datagram too long and Don't Fragment set")]
    DontFragment,
    /// The MTU leaves no room for 8 data bytes after a 20-byte header.
    #[error("MTU too small to fragment")]
    MtuTooSmall,
}

/// The fragments of one datagram, in order: each fragment's header and the range of
/// the original data it carries. Made by [`fragments`].
#[derive(Debug, Clone)]
pub struct Fragments {
    header: Ipv4Repr,
    chunk: usize,
    next: usize,
}

impl Iterator for Fragments {
    type Item = (Ipv4Repr, Range<usize>);

    fn next(&mut self) -> Option<Self::Item> {
        let len = self.header.payload_len;
        if self.next >= len && !(len == 0 && self.next == 0) {
            return None;
        }
        let start = self.next;
        let end = (start + self.chunk).min(len);
        self.next = end.max(start + 1);
        let is_last = end == len;
        let header = Ipv4Repr {
            payload_len: end - start,
            // RFC 791 §3.2: the original's More Fragments carries into the last piece,
            // so a fragment can be fragmented again.
            more_frags: !is_last || self.header.more_frags,
            frag_offset: (usize::from(self.header.frag_offset) + start) as u16,
            ..self.header
        };
        Some((header, start..end))
    }
}

/// Cuts a datagram with this header (its `payload_len` is the data length) into
/// fragments of at most `mtu` bytes each, header included (RFC 791 §3.2, "An Example
/// Fragmentation Procedure"): every fragment but the last carries the largest multiple
/// of 8 data bytes that fits, all share the identification, and More Fragments is set
/// on all but the last. A datagram that fits comes out as one piece, unchanged.
pub fn fragments(header: &Ipv4Repr, mtu: usize) -> Result<Fragments, FragmentationError> {
    let fits = IPV4_HEADER_LEN + header.payload_len <= mtu;
    if !fits && header.dont_frag {
        return Err(FragmentationError::DontFragment);
    }
    let chunk = if fits {
        header.payload_len.max(1)
    } else {
        // NFB, "the number of fragment blocks": (MTU - IHL*4) / 8.
        (mtu.saturating_sub(IPV4_HEADER_LEN) / 8) * 8
    };
    if chunk == 0 {
        return Err(FragmentationError::MtuTooSmall);
    }
    Ok(Fragments {
        header: *header,
        chunk,
        next: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IpProtocol;

    const KERNEL: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const STACK: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

    fn header(ident: u16, offset: usize, len: usize, more: bool) -> Ipv4Repr {
        Ipv4Repr {
            src_addr: KERNEL,
            dst_addr: STACK,
            protocol: IpProtocol::Udp,
            payload_len: len,
            ttl: 64,
            ident,
            dont_frag: false,
            more_frags: more,
            frag_offset: offset as u16,
            dscp_ecn: 0,
        }
    }

    /// Data whose every byte says where it sits, so a misplaced piece shows.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 256) as u8).collect()
    }

    fn t(ms: i64) -> Instant {
        Instant::from_millis(ms)
    }

    /// Feeds the fragment covering `range` of `data`.
    #[track_caller]
    fn feed(
        r: &mut Reassembler,
        now: Instant,
        ident: u16,
        data: &[u8],
        range: Range<usize>,
        more: bool,
    ) -> Result<Option<Reassembled>, FragmentError> {
        let h = header(ident, range.start, range.len(), more);
        r.accept(now, &h, &data[range])
    }

    #[test]
    fn in_order_fragments_make_the_datagram() {
        let data = pattern(3000);
        let mut r = Reassembler::new(ReassemblyConfig::default());
        assert_eq!(feed(&mut r, t(0), 1, &data, 0..1480, true), Ok(None));
        assert_eq!(feed(&mut r, t(1), 1, &data, 1480..2960, true), Ok(None));
        let whole = feed(&mut r, t(2), 1, &data, 2960..3000, false)
            .unwrap()
            .unwrap();
        assert_eq!(whole.data, data);
        assert_eq!(whole.header.payload_len, 3000);
        assert!(!whole.header.is_fragment());
        assert_eq!(r.pending(), 0);
        assert_eq!(r.bytes(), 0, "memory released");
    }

    /// RFC 815: fragments may arrive in any order, the last one first included.
    #[test]
    fn rfc815_any_order_works() {
        let data = pattern(4000);
        let pieces = [
            (2400..3200, true),
            (3200..4000, false),
            (0..800, true),
            (800..2400, true),
        ];
        let mut r = Reassembler::new(ReassemblyConfig::default());
        let mut result = None;
        for (range, more) in pieces {
            assert!(result.is_none(), "complete too early");
            result = feed(&mut r, t(0), 9, &data, range, more).unwrap();
        }
        assert_eq!(result.unwrap().data, data);
    }

    #[test]
    fn datagrams_with_different_keys_do_not_mix() {
        let a = pattern(16);
        let b: Vec<u8> = a.iter().map(|x| !x).collect();
        let mut r = Reassembler::new(ReassemblyConfig::default());
        feed(&mut r, t(0), 1, &a, 0..8, true).unwrap();
        feed(&mut r, t(0), 2, &b, 0..8, true).unwrap();
        // Same ident from another source is another datagram too.
        let mut other = header(1, 8, 8, false);
        other.src_addr = Ipv4Addr::new(10, 0, 0, 3);
        assert_eq!(r.accept(t(0), &other, &a[8..]), Ok(None));
        assert_eq!(r.pending(), 3);
        assert_eq!(
            feed(&mut r, t(0), 2, &b, 8..16, false)
                .unwrap()
                .unwrap()
                .data,
            b
        );
        assert_eq!(
            feed(&mut r, t(0), 1, &a, 8..16, false)
                .unwrap()
                .unwrap()
                .data,
            a
        );
    }

    /// RFC 5722 §4: an overlapping fragment discards the whole datagram, including
    /// what arrives for it later.
    #[test]
    fn rfc5722_overlap_discards_the_datagram() {
        let data = pattern(64);
        let mut r = Reassembler::new(ReassemblyConfig::default());
        feed(&mut r, t(0), 5, &data, 0..32, true).unwrap();
        assert_eq!(
            feed(&mut r, t(0), 5, &data, 24..48, true),
            Err(FragmentError::Overlap)
        );
        assert_eq!(r.pending(), 0);
        assert_eq!(r.bytes(), 0);
        // The rest arriving later starts a new buffer that can never complete without
        // fragment zero again: nothing is delivered from the poisoned datagram.
        assert_eq!(feed(&mut r, t(1), 5, &data, 48..64, false), Ok(None));
    }

    #[test]
    fn overlap_from_either_side_and_containment_are_caught() {
        let data = pattern(64);
        for (second, why) in [
            (8..24, "starts inside the first"),
            (0..8, "ends inside the first (same start, other length)"),
            (16..24, "inside the first"),
        ] {
            let mut r = Reassembler::new(ReassemblyConfig::default());
            feed(&mut r, t(0), 5, &data, 0..32, true).unwrap();
            assert_eq!(
                feed(&mut r, t(0), 5, &data, second, true),
                Err(FragmentError::Overlap),
                "{why}"
            );
        }
        // A fragment that starts before another and runs into it.
        let mut r = Reassembler::new(ReassemblyConfig::default());
        feed(&mut r, t(0), 5, &data, 16..32, true).unwrap();
        assert_eq!(
            feed(&mut r, t(0), 5, &data, 8..24, true),
            Err(FragmentError::Overlap)
        );
    }

    /// Teardrop: the same range twice with different bytes is an overlap, not a
    /// duplicate (it is how an attacker rewrites a header past a filter).
    #[test]
    fn same_range_other_bytes_is_an_overlap() {
        let data = pattern(32);
        let evil: Vec<u8> = data.iter().map(|b| b ^ 0xff).collect();
        let mut r = Reassembler::new(ReassemblyConfig::default());
        feed(&mut r, t(0), 5, &data, 0..16, true).unwrap();
        assert_eq!(
            feed(&mut r, t(0), 5, &evil, 0..16, true),
            Err(FragmentError::Overlap)
        );
        assert_eq!(r.pending(), 0);
    }

    /// RFC 8200 §4.5: an exact duplicate is dropped alone and the datagram completes.
    #[test]
    fn exact_duplicates_are_dropped_alone() {
        let data = pattern(32);
        let mut r = Reassembler::new(ReassemblyConfig::default());
        feed(&mut r, t(0), 5, &data, 0..16, true).unwrap();
        assert_eq!(
            feed(&mut r, t(0), 5, &data, 0..16, true),
            Err(FragmentError::Duplicate)
        );
        let whole = feed(&mut r, t(0), 5, &data, 16..32, false)
            .unwrap()
            .unwrap();
        assert_eq!(whole.data, data);
    }

    /// Ping of death: data ending past 65515 bytes discards the datagram.
    #[test]
    fn total_over_65535_discards_the_datagram() {
        let mut r = Reassembler::new(ReassemblyConfig::default());
        let chunk = vec![0u8; 1480];
        assert_eq!(r.accept(t(0), &header(7, 0, 1480, true), &chunk), Ok(None));
        // Offset 65000 + 600 bytes = 65600 > 65515.
        let h = header(7, 65000, 600, false);
        assert_eq!(
            r.accept(t(0), &h, &chunk[..600]),
            Err(FragmentError::TooLong)
        );
        assert_eq!(r.pending(), 0, "fragment zero went with it");
        // Exactly at the limit is fine.
        let h = header(8, 65512, 3, false);
        assert_eq!(r.accept(t(0), &h, &chunk[..3]), Ok(None));
    }

    #[test]
    fn too_many_fragments_discard_the_datagram() {
        let config = ReassemblyConfig {
            max_fragments: 4,
            ..ReassemblyConfig::default()
        };
        let data = pattern(80);
        let mut r = Reassembler::new(config);
        for i in 0..4 {
            assert_eq!(
                feed(&mut r, t(0), 3, &data, i * 8..i * 8 + 8, true),
                Ok(None)
            );
        }
        assert_eq!(
            feed(&mut r, t(0), 3, &data, 32..40, true),
            Err(FragmentError::TooManyFragments)
        );
        assert_eq!(r.pending(), 0);
    }

    /// RFC 791 §3.2: fragments before the last carry multiples of 8 bytes.
    #[test]
    fn non_last_fragments_must_be_multiples_of_eight() {
        let data = pattern(40);
        let mut r = Reassembler::new(ReassemblyConfig::default());
        assert_eq!(
            feed(&mut r, t(0), 1, &data, 0..12, true),
            Err(FragmentError::BadLength)
        );
        assert_eq!(
            feed(&mut r, t(0), 1, &data, 0..0, true),
            Err(FragmentError::BadLength)
        );
        assert_eq!(
            r.pending(),
            0,
            "nothing buffered for a refused first fragment"
        );
        // The last fragment may have any length.
        feed(&mut r, t(0), 1, &data, 0..16, true).unwrap();
        let whole = feed(&mut r, t(0), 1, &data, 16..37, false)
            .unwrap()
            .unwrap();
        assert_eq!(whole.data, &data[..37]);
    }

    #[test]
    fn a_bad_fragment_does_not_poison_a_datagram_in_progress() {
        let data = pattern(40);
        let mut r = Reassembler::new(ReassemblyConfig::default());
        feed(&mut r, t(0), 1, &data, 0..16, true).unwrap();
        assert_eq!(
            feed(&mut r, t(0), 1, &data, 16..20, true),
            Err(FragmentError::BadLength)
        );
        assert!(feed(&mut r, t(0), 1, &data, 16..40, false)
            .unwrap()
            .is_some());
    }

    #[test]
    fn two_different_ends_are_inconsistent() {
        let data = pattern(64);
        let mut r = Reassembler::new(ReassemblyConfig::default());
        feed(&mut r, t(0), 4, &data, 32..48, false).unwrap();
        assert_eq!(
            feed(&mut r, t(0), 4, &data, 48..64, false),
            Err(FragmentError::Inconsistent),
            "a second last fragment further on"
        );
        assert_eq!(r.pending(), 0);
        feed(&mut r, t(0), 4, &data, 32..48, false).unwrap();
        assert_eq!(
            feed(&mut r, t(0), 4, &data, 48..56, true),
            Err(FragmentError::Inconsistent),
            "data past the end"
        );
        feed(&mut r, t(0), 4, &data, 48..56, true).unwrap();
        assert_eq!(
            feed(&mut r, t(0), 4, &data, 0..32, false),
            Err(FragmentError::Inconsistent),
            "a last fragment before data already held"
        );
    }

    #[test]
    fn memory_is_bounded_and_new_datagrams_are_refused_not_evicting() {
        let config = ReassemblyConfig {
            max_datagrams: 2,
            max_bytes: 2 * (800 + FRAGMENT_OVERHEAD) + 100,
            ..ReassemblyConfig::default()
        };
        let data = pattern(1600);
        let mut r = Reassembler::new(config);
        feed(&mut r, t(0), 1, &data, 0..800, true).unwrap();
        feed(&mut r, t(0), 2, &data, 0..800, true).unwrap();
        assert_eq!(
            feed(&mut r, t(0), 3, &data, 0..8, true),
            Err(FragmentError::NoMemory),
            "a third datagram"
        );
        assert_eq!(
            feed(&mut r, t(0), 1, &data, 800..1600, true),
            Err(FragmentError::NoMemory),
            "over max_bytes"
        );
        assert!(r.bytes() <= config.max_bytes);
        // Both datagrams in progress survive and can still complete within the budget.
        let whole = feed(&mut r, t(0), 2, &data, 800..816, false)
            .unwrap()
            .unwrap();
        assert_eq!(whole.data, &data[..816]);
    }

    /// RFC 792 and RFC 1122 §3.3.2: an incomplete datagram is dropped when its time is
    /// up; fragment zero's header and first 8 bytes come back for the time exceeded.
    #[test]
    fn expiry_hands_back_fragment_zero_for_the_icmp_quote() {
        let data = pattern(64);
        let mut r = Reassembler::new(ReassemblyConfig::default());
        feed(&mut r, t(0), 1, &data, 0..16, true).unwrap();
        feed(&mut r, t(10_000), 2, &data, 16..32, true).unwrap();
        assert_eq!(r.poll_at(), Some(t(30_000)));
        // A later fragment does not extend the deadline.
        feed(&mut r, t(20_000), 1, &data, 32..40, true).unwrap();
        assert!(r.expire(t(29_999)).is_empty());
        let gone = r.expire(t(30_000));
        assert_eq!(gone.len(), 1);
        let (h, quote) = gone[0].first.clone().unwrap();
        assert_eq!((h.ident, h.frag_offset, h.more_frags), (1, 0, true));
        assert_eq!(quote, &data[..8]);
        assert_eq!(gone[0].fragments, 2);
        assert_eq!(r.poll_at(), Some(t(40_000)));
        // Without fragment zero there is nothing to quote.
        let gone = r.expire(t(40_000));
        assert_eq!(gone[0].first, None);
        assert_eq!(r.pending(), 0);
        assert_eq!(r.bytes(), 0);
        assert_eq!(r.poll_at(), None);
    }

    #[test]
    fn the_timeout_is_configurable() {
        let config = ReassemblyConfig {
            timeout: Duration::from_secs(2),
            ..ReassemblyConfig::default()
        };
        let mut r = Reassembler::new(config);
        feed(&mut r, t(500), 1, &pattern(8), 0..8, true).unwrap();
        assert_eq!(r.poll_at(), Some(t(2_500)));
    }

    #[test]
    fn fragmenting_follows_rfc791_example_procedure() {
        // An 8008-byte echo reply (ping -s 8000) over a 1500-byte MTU: 1480 bytes per
        // fragment (185 blocks of 8), the last one 608.
        let mut h = header(0x1234, 0, 8008, false);
        h.protocol = IpProtocol::Icmp;
        let pieces: Vec<_> = fragments(&h, 1500).unwrap().collect();
        assert_eq!(pieces.len(), 6);
        for (i, (fh, range)) in pieces.iter().enumerate() {
            assert_eq!(range.start, i * 1480);
            assert_eq!(usize::from(fh.frag_offset), range.start);
            assert_eq!(fh.payload_len, range.len());
            assert_eq!(fh.ident, 0x1234);
            assert!(fh.total_len() <= 1500);
            assert_eq!(fh.more_frags, i < 5);
        }
        assert_eq!(pieces[5].1, 7400..8008);
    }

    #[test]
    fn a_datagram_that_fits_is_one_unchanged_piece() {
        let h = header(1, 0, 1480, false);
        let pieces: Vec<_> = fragments(&h, 1500).unwrap().collect();
        assert_eq!(pieces, vec![(h, 0..1480)]);
        let empty = header(1, 0, 0, false);
        assert_eq!(fragments(&empty, 1500).unwrap().count(), 1);
    }

    #[test]
    fn dont_fragment_and_tiny_mtus_refuse() {
        let mut h = header(1, 0, 2000, false);
        h.dont_frag = true;
        assert_eq!(
            fragments(&h, 1500).err(),
            Some(FragmentationError::DontFragment)
        );
        h.dont_frag = false;
        assert_eq!(
            fragments(&h, 27).err(),
            Some(FragmentationError::MtuTooSmall)
        );
        // 28 bytes: 8 data bytes per fragment, the smallest that works.
        assert_eq!(fragments(&h, 28).unwrap().count(), 250);
    }

    #[test]
    fn refragmenting_a_fragment_keeps_its_offset_and_more_fragments() {
        let h = header(1, 1480, 1480, true);
        let pieces: Vec<_> = fragments(&h, 576).unwrap().collect();
        assert_eq!(pieces.len(), 3);
        assert!(pieces.iter().all(|(fh, _)| fh.more_frags));
        assert_eq!(pieces[1].0.frag_offset, 1480 + 552);
    }

    /// Whatever we fragment, the reassembler (ours) puts back byte for byte, for
    /// every MTU from 28 to 1500 in a few steps.
    #[test]
    fn fragments_reassemble_to_the_original() {
        let data = pattern(5000);
        let original = header(77, 0, data.len(), false);
        for mtu in [28, 68, 576, 1006, 1280, 1500] {
            let mut r = Reassembler::new(ReassemblyConfig {
                max_fragments: 1000,
                ..ReassemblyConfig::default()
            });
            let mut out = None;
            // Feed in reverse order, to make the reassembler work for it.
            let pieces: Vec<_> = fragments(&original, mtu).unwrap().collect();
            for (h, range) in pieces.into_iter().rev() {
                assert!(out.is_none());
                out = r.accept(t(0), &h, &data[range]).unwrap();
            }
            let whole = out.unwrap();
            assert_eq!(whole.data, data, "mtu {mtu}");
            assert_eq!(whole.header, original, "mtu {mtu}");
        }
    }
}
