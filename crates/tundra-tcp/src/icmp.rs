//! ICMP errors about segments we sent, in TCP terms: what kind of error it is
//! ([`IcmpErrorKind`], hard or soft) and what the connection did about it
//! ([`IcmpOutcome`]).
//!
//! Heads up! The rules, and where they are applied
//! ([`crate::Connection::handle_icmp_error`], [`crate::Endpoint::icmp_error`]):
//! - RFC 1122 §4.2.3.9: destination unreachable codes 0, 1 and 5, time exceeded and
//!   parameter problem are *soft* errors: TCP "MUST NOT abort the connection, and it
//!   SHOULD make the information available to the application". Codes 2 to 4 are
//!   *hard*: TCP "SHOULD abort the connection".
//! - RFC 5461 §4: abort on a hard error only during the handshake; an established
//!   connection treats hard errors as soft (a forged port unreachable must not kill
//!   it, and a real one is transient or will time out anyway). Linux does the same.
//! - RFC 5927 §4.1: act only on an error whose quoted sequence number lies in
//!   SND.UNA..SND.NXT (the quote must be of a segment in flight); blind attackers
//!   rarely guess one.
//! - RFC 1191: code 4, "fragmentation needed and DF set", carries the next-hop MTU;
//!   the connection lowers its segment size (never raises it, never below
//!   [`MIN_PMTU_MSS`]) and sends again at once what no longer fits.
//! - RFC 6633: source quench is ignored (the stack never hands it here).

/// The smallest segment size (SMSS, before options) a "fragmentation needed" message
/// can lower a connection to: RFC 9293 §3.7.1's default of 536, so the IPv4 datagram
/// stays at the 576 octets every host must accept (RFC 1122 §3.3.3). A forged message
/// then cannot shrink a connection to tiny segments (RFC 5927 §7.2); a path whose MTU
/// is really below 576 is not served (Linux's floor, `min_pmtu`, is 552).
pub const MIN_PMTU_MSS: usize = 536;

/// What an ICMP error says about a segment we sent: the classification shared with
/// UDP, with [`IcmpErrorKind::is_hard`] and the path MTU TCP needs
/// ([`IcmpErrorKind::for_pmtud`]).
pub use tundra_ip::IcmpErrorKind;

/// What an ICMP error did, for the endpoint's counters and for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IcmpOutcome {
    /// No connection has the quoted 4-tuple.
    NoConnection,
    /// The connection is in a state ICMP errors do not concern (CLOSED, LISTEN,
    /// TIME-WAIT).
    Ignored,
    /// The quoted sequence number is outside SND.UNA..SND.NXT (RFC 5927 §4.1): not a
    /// segment in flight, so most likely forged. Dropped.
    OutOfWindow,
    /// A soft error (or a hard one on a synchronized connection, RFC 5461): remembered,
    /// and reported if the connection later times out.
    Soft,
    /// A hard error during the handshake: the connection was aborted.
    Aborted,
    /// Path MTU Discovery lowered the segment size to `mss` (SMSS, before options) and
    /// marked `resent` outstanding segments that no longer fit for retransmission.
    MtuLowered {
        /// The new SMSS.
        mss: usize,
        /// Outstanding segments to be sent again in smaller pieces.
        resent: usize,
    },
    /// A "fragmentation needed" that would not lower the segment size (an increase, or
    /// no change after the floor): ignored (RFC 1191 §3).
    MtuNotLowered,
}
