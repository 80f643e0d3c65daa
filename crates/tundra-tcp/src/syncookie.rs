//! SYN cookies (RFC 4987 §3.6): answering a SYN without keeping any state, so a SYN
//! flood that fills a listener's SYN queue cannot keep legitimate clients out.
//!
//! Heads up! Read RFC 4987 §3.6 first, then Linux's `net/ipv4/syncookies.c`, whose
//! layout this follows (the hash and the details are our own).
//!
//! When the SYN queue is full, the SYN-ACK's ISS is a *cookie*: a keyed hash of the
//! connection (4-tuple and the peer's ISN) and a coarse clock, with a little data
//! folded in. The ACK completing the handshake acknowledges ISS + 1, so it hands the
//! cookie back; if it verifies, the connection is created right then, in ESTABLISHED.
//!
//! The cookie, with `H0`, `H1` SipHash-1-3 under a 128-bit key from the endpoint's
//! seeded RNG, `count` the number of [`COOKIE_PERIOD`]s elapsed on the injected clock,
//! and `index` the position of the peer's MSS in [`MSS_TABLE`]:
//!
//! ```text
//! cookie = H0(tuple, peer ISN) + (count << 24) + ((H1(tuple, peer ISN, count) + index) mod 2^24)
//!
//!   31          24 23                                       0
//!  +--------------+------------------------------------------+   (after subtracting H0)
//!  | count mod 256|   H1(tuple, peer ISN, count) + index      |
//!  +--------------+------------------------------------------+
//! ```
//!
//! Checking reverses it: subtract `H0`, read the counter from the top byte (valid only
//! if it is the current or the previous period: [`MAX_COOKIE_AGE`]), subtract `H1` of
//! that counter and require what is left to be a table index (< 4). A forged ACK thus
//! passes with probability 2/256 x 4/2^24, about 2^-29 (Linux's scheme has the same
//! strength).
//!
//! What a stateless SYN-ACK cannot remember:
//! - the MSS is rounded down to one of the four [`MSS_TABLE`] values (a peer MSS below
//!   536 is taken as 536, as Linux does);
//! - window scaling and SACK-permitted survive only if the SYN carried timestamps:
//!   they are then encoded in the low [`TS_OPTION_BITS`] bits of our TSval (the peer
//!   echoes it in TSecr), see [`encode_ts_options`]. Without timestamps the connection
//!   runs without window scaling and without SACK;
//! - data carried by the SYN itself is not kept (it never is without TCP Fast Open).

use core::hash::Hasher;
use core::net::SocketAddrV4;

use siphasher::sip::SipHasher13;
use tundra_core::{Duration, Instant, Rng};

use crate::SeqNumber;

/// The MSS values a cookie can express (Linux's `msstab`); a peer MSS is rounded down
/// to the largest entry not above it.
pub const MSS_TABLE: [u16; 4] = [536, 1300, 1440, 1460];

/// One tick of the cookie clock (Linux uses 60 s; a power of two is as good).
pub const COOKIE_PERIOD: Duration = Duration::from_secs(64);

/// A cookie is valid during the period it was made in and the next one (Linux
/// `MAX_SYNCOOKIE_AGE`), so between 64 and 128 s.
pub const MAX_COOKIE_AGE: u32 = 2;

/// Bits at the bottom of the cookie TSval that carry the SYN's options.
pub const TS_OPTION_BITS: u32 = 6;

const COUNT_SHIFT: u32 = 24;
const DATA_MASK: u32 = (1 << COUNT_SHIFT) - 1;
const TS_OPTION_MASK: u32 = (1 << TS_OPTION_BITS) - 1;
/// Low four bits: the peer's window scale shift, or all ones for "no window scaling".
const TS_WSCALE_MASK: u32 = 0xf;
/// Bit 4: SACK-permitted.
const TS_SACK: u32 = 0x10;

/// The SYN options a cookie TSval carries (see [`encode_ts_options`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CookieOptions {
    /// The peer's window scale shift (RFC 7323 §2), if its SYN offered scaling.
    pub window_scale: Option<u8>,
    /// Whether its SYN carried SACK-permitted (RFC 2018 §2).
    pub sack_permitted: bool,
}

/// The keyed cookie generator and checker of one endpoint.
#[derive(Debug, Clone)]
pub struct SynCookies {
    k0: u64,
    k1: u64,
}

impl SynCookies {
    /// Draws the secret key from `rng`.
    pub fn new(rng: &mut Rng) -> SynCookies {
        SynCookies {
            k0: rng.next_u64(),
            k1: rng.next_u64(),
        }
    }

    /// The cookie clock: periods elapsed at `now`.
    pub fn counter(now: Instant) -> u32 {
        (now.total_micros().max(0) as u64 / COOKIE_PERIOD.total_micros()) as u32
    }

    /// The ISS answering a SYN from `remote` (initial sequence number `peer_isn`,
    /// announced MSS `peer_mss`, or `None` for RFC 9293 §3.7.1's default 536) to
    /// `local` at `now`. Returns the cookie and the MSS it encodes.
    pub fn make(
        &self,
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        peer_isn: SeqNumber,
        peer_mss: Option<u16>,
    ) -> (SeqNumber, u16) {
        let index = mss_index(peer_mss.unwrap_or(MSS_TABLE[0]));
        let count = Self::counter(now);
        let h0 = self.hash(0, local, remote, peer_isn, 0);
        let h1 = self.hash(1, local, remote, peer_isn, count);
        let cookie = h0
            .wrapping_add(count << COUNT_SHIFT)
            .wrapping_add(h1.wrapping_add(index as u32) & DATA_MASK);
        (SeqNumber(cookie), MSS_TABLE[index])
    }

    /// Checks the cookie an ACK returned (`cookie` = SEG.ACK - 1, `peer_isn` =
    /// SEG.SEQ - 1) at `now`: the MSS it encodes if it was made by this key for this
    /// connection within the last [`MAX_COOKIE_AGE`] periods, else `None`.
    pub fn check(
        &self,
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        peer_isn: SeqNumber,
        cookie: SeqNumber,
    ) -> Option<u16> {
        let now_count = Self::counter(now);
        let v = cookie
            .0
            .wrapping_sub(self.hash(0, local, remote, peer_isn, 0));
        // Only the low 8 bits of the counter travel; the age is their difference.
        let age = now_count.wrapping_sub(v >> COUNT_SHIFT) & (u32::MAX >> COUNT_SHIFT);
        if age >= MAX_COOKIE_AGE {
            return None;
        }
        let count = now_count.wrapping_sub(age);
        let index = v.wrapping_sub(self.hash(1, local, remote, peer_isn, count)) & DATA_MASK;
        MSS_TABLE.get(index as usize).copied()
    }

    fn hash(
        &self,
        domain: u8,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        peer_isn: SeqNumber,
        count: u32,
    ) -> u32 {
        let mut h = SipHasher13::new_with_keys(self.k0, self.k1);
        h.write_u8(domain);
        h.write(&local.ip().octets());
        h.write_u16(local.port());
        h.write(&remote.ip().octets());
        h.write_u16(remote.port());
        h.write_u32(peer_isn.0);
        h.write_u32(count);
        h.finish() as u32
    }
}

/// The index in [`MSS_TABLE`] of the largest entry not above `mss` (0 for anything
/// below 536).
pub fn mss_index(mss: u16) -> usize {
    MSS_TABLE.iter().rposition(|&m| m <= mss).unwrap_or(0)
}

/// The TSval of a cookie SYN-ACK: our timestamp clock `clock` with its low
/// [`TS_OPTION_BITS`] bits replaced by the SYN's options (Linux
/// `cookie_init_timestamp`), moved back one step if that would put it ahead of the
/// clock, so the TSvals the connection sends later never go backwards (RFC 7323 §5.4).
pub fn encode_ts_options(clock: u32, options: CookieOptions) -> u32 {
    let mut bits = options
        .window_scale
        .map_or(TS_WSCALE_MASK, |s| u32::from(s.min(14)));
    if options.sack_permitted {
        bits |= TS_SACK;
    }
    let ts = (clock & !TS_OPTION_MASK) | bits;
    if (clock.wrapping_sub(ts) as i32) < 0 {
        ts.wrapping_sub(1 << TS_OPTION_BITS)
    } else {
        ts
    }
}

/// The SYN options a cookie TSval carried, read back from the ACK's TSecr.
pub fn decode_ts_options(tsecr: u32) -> CookieOptions {
    let wscale = tsecr & TS_WSCALE_MASK;
    CookieOptions {
        // RFC 7323 §2.3: a shift above 14 is used as 14; 0xf means "none".
        window_scale: (wscale != TS_WSCALE_MASK).then_some(wscale.min(14) as u8),
        sack_permitted: tsecr & TS_SACK != 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;

    fn addr(a: u8, port: u16) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, a), port)
    }

    fn cookies(seed: u64) -> SynCookies {
        SynCookies::new(&mut Rng::from_seed(seed))
    }

    #[test]
    fn a_cookie_verifies_for_its_connection_and_returns_the_rounded_mss() {
        let c = cookies(1);
        let (l, r, isn) = (addr(2, 80), addr(1, 40000), SeqNumber(0x1234_5678));
        let t = Instant::from_secs(1000);
        for (mss, expect) in [
            (None, 536),
            (Some(100), 536),
            (Some(1299), 536),
            (Some(1300), 1300),
            (Some(1460), 1460),
            (Some(9000), 1460),
        ] {
            let (cookie, encoded) = c.make(t, l, r, isn, mss);
            assert_eq!(encoded, expect);
            assert_eq!(c.check(t, l, r, isn, cookie), Some(expect), "mss {mss:?}");
        }
    }

    #[test]
    fn a_cookie_lives_for_the_current_and_the_next_period_only() {
        let c = cookies(2);
        let (l, r, isn) = (addr(2, 80), addr(1, 40000), SeqNumber(7));
        let made = Instant::from_secs(64 * 10 + 63);
        let (cookie, _) = c.make(made, l, r, isn, Some(1460));
        assert!(c
            .check(Instant::from_secs(64 * 11), l, r, isn, cookie)
            .is_some());
        assert!(c
            .check(Instant::from_secs(64 * 11 + 63), l, r, isn, cookie)
            .is_some());
        assert_eq!(
            c.check(Instant::from_secs(64 * 12), l, r, isn, cookie),
            None
        );
        // Nor is a cookie from the future (a counter ahead of ours) accepted.
        assert_eq!(c.check(Instant::from_secs(64 * 9), l, r, isn, cookie), None);
    }

    #[test]
    fn a_cookie_is_bound_to_the_tuple_the_peer_isn_and_the_key() {
        let c = cookies(3);
        let (l, r, isn) = (addr(2, 80), addr(1, 40000), SeqNumber(99));
        let t = Instant::from_secs(5);
        let (cookie, _) = c.make(t, l, r, isn, Some(1460));
        assert_eq!(c.check(t, l, addr(1, 40001), isn, cookie), None);
        assert_eq!(c.check(t, l, addr(3, 40000), isn, cookie), None);
        assert_eq!(c.check(t, addr(2, 81), r, isn, cookie), None);
        assert_eq!(c.check(t, l, r, SeqNumber(100), cookie), None);
        assert_eq!(c.check(t, l, r, isn, cookie + 1), None);
        assert_eq!(cookies(4).check(t, l, r, isn, cookie), None);
    }

    #[test]
    fn options_round_trip_through_the_timestamp_and_never_run_ahead_of_the_clock() {
        for clock in [0u32, 1, 63, 64, 1000, 0xffff_ffc0, u32::MAX] {
            for wscale in [None, Some(0), Some(7), Some(14)] {
                for sack in [false, true] {
                    let o = CookieOptions {
                        window_scale: wscale,
                        sack_permitted: sack,
                    };
                    let ts = encode_ts_options(clock, o);
                    assert_eq!(decode_ts_options(ts), o);
                    let behind = clock.wrapping_sub(ts);
                    assert!(behind < 64, "clock {clock:#x} ts {ts:#x}");
                }
            }
        }
    }
}
