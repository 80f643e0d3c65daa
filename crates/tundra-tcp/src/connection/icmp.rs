//! ICMP errors about this connection's segments (RFC 1122 §4.2.3.9, RFC 5461, RFC
//! 5927 §4.1, RFC 1191): validate the quoted sequence number, then abort, remember a
//! soft error, or lower the segment size and send again what no longer fits. See
//! [`crate::icmp`] for the rules in one place.

use tundra_core::Instant;
use tundra_ip::IPV4_HEADER_LEN;

use super::{Connection, Recovery, State};
use crate::icmp::{IcmpErrorKind, IcmpOutcome, MIN_PMTU_MSS};
use crate::{CloseReason, SeqNumber};

/// A TCP header without options: a path MTU less the IPv4 header and this is the
/// SMSS that fits (RFC 9293 §3.7.1, RFC 1191 §6.3).
const TCP_HEADER_LEN: usize = 20;

impl Connection {
    /// An ICMP error arrived quoting one of our segments with sequence number `seq`
    /// (the stack matched the quoted 4-tuple to this connection). Returns what it did.
    ///
    /// - RFC 5927 §4.1: unless `SND.UNA <= seq < SND.NXT` (SND.NXT here is the
    ///   highest sequence number sent) the error is not about a segment in flight and
    ///   is dropped ([`IcmpOutcome::OutOfWindow`]).
    /// - RFC 1191: "fragmentation needed" lowers the segment size to fit the reported
    ///   MTU (never raises it, never below [`MIN_PMTU_MSS`]) and marks the outstanding
    ///   segments that are now too big for immediate retransmission, without any
    ///   congestion response: the network did not drop them for congestion.
    /// - RFC 1122 §4.2.3.9 + RFC 5461 §4: a hard error (port, protocol unreachable)
    ///   aborts a connection in SYN-SENT or SYN-RECEIVED with
    ///   [`CloseReason::Unreachable`]; later, and for every soft error, the error is
    ///   remembered and becomes the close reason if the connection times out
    ///   ([`CloseReason::TimedOutUnreachable`]).
    pub fn handle_icmp_error(
        &mut self,
        now: Instant,
        seq: SeqNumber,
        kind: IcmpErrorKind,
    ) -> IcmpOutcome {
        if matches!(self.state, State::Closed | State::Listen | State::TimeWait) {
            return IcmpOutcome::Ignored;
        }
        // RFC 5927 §4.1: "TCP SHOULD check that the TCP sequence number contained in
        // the payload of the ICMP error message is within the range SND.UNA =< SEG.SEQ
        // < SND.NXT." (Linux: `between(seq, snd_una, snd_nxt)`, LINUX_MIB_OUTOFWINDOWICMPS.)
        if !(self.snd_una <= seq && seq < self.snd_max) {
            log::debug!(
                "{} > {}: ICMP {kind} quotes seq {} outside {}..{}, ignored",
                self.local,
                self.remote,
                seq.0,
                self.snd_una.0,
                self.snd_max.0
            );
            return IcmpOutcome::OutOfWindow;
        }
        if let IcmpErrorKind::FragRequired { mtu } = kind {
            return self.lower_path_mtu(now, mtu);
        }
        if kind.is_hard() && matches!(self.state, State::SynSent | State::SynReceived) {
            // RFC 1122 §4.2.3.9: "Destination Unreachable -- codes 2-4: These are hard
            // error conditions, so TCP SHOULD abort the connection." RFC 5461 §4 keeps
            // that for the handshake only.
            log::debug!("{} > {}: ICMP {kind}, aborting", self.local, self.remote);
            self.enter_closed(CloseReason::Unreachable(kind));
            return IcmpOutcome::Aborted;
        }
        // RFC 1122 §4.2.3.9: soft errors "MUST NOT abort the connection, and it SHOULD
        // make the information available to the application"; RFC 5461 §4: so are hard
        // errors on a synchronized connection.
        self.soft_error = Some(kind);
        IcmpOutcome::Soft
    }

    /// RFC 1191 §6.3-6.5 for one connection: a path MTU of `mtu` octets.
    fn lower_path_mtu(&mut self, _now: Instant, mtu: u16) -> IcmpOutcome {
        let mss = (mtu as usize)
            .saturating_sub(IPV4_HEADER_LEN + TCP_HEADER_LEN)
            .max(MIN_PMTU_MSS);
        // RFC 1191 §3: "a host MUST never increase its estimate of the Path MTU in
        // response to the contents of a Datagram Too Big message". Before the
        // handshake completes SMSS is still the 536 default; the estimate is what the
        // negotiation will be clamped to (`input::negotiate`).
        let estimate = self.path_mss.min(self.config.mss as usize);
        if mss >= estimate {
            return IcmpOutcome::MtuNotLowered;
        }
        self.path_mss = mss;
        log::debug!(
            "{} > {}: path MTU {mtu}, SMSS {} -> {}",
            self.local,
            self.remote,
            self.smss,
            mss.min(self.smss)
        );
        if !self.state.is_synchronized() || mss >= self.smss {
            return IcmpOutcome::MtuLowered { mss, resent: 0 };
        }
        self.smss = mss;
        // RFC 1191 §6.5: "the TCP layer should be notified ... so that it can
        // retransmit the dropped segments promptly" (the datagram was dropped, not
        // queued). Like Linux's `tcp_simple_retransmit`: everything outstanding that
        // no longer fits is deemed lost and goes again in smaller segments, and since
        // this is no congestion signal, cwnd and ssthresh stay. Timeout recovery (no
        // window reduction on the way out) keeps fast recovery from starting on the
        // duplicate ACKs these resends cause.
        let resent = self.scoreboard.mark_larger_lost(self.eff_mss());
        if resent > 0 {
            if self.recovery == Recovery::Open {
                self.recovery = Recovery::Timeout;
                self.recover = self.snd_max;
            }
            self.rexmit_now = true;
            // Karn: the resends give no RTT sample.
            self.rtt_probe = None;
        }
        IcmpOutcome::MtuLowered { mss, resent }
    }

    /// Why a connection that ran out of retransmissions (or keepalive probes) closes:
    /// the remembered ICMP soft error if there is one (RFC 1122 §4.2.3.9), else
    /// [`CloseReason::TimedOut`].
    pub(super) fn timeout_reason(&self) -> CloseReason {
        match self.soft_error {
            Some(kind) => CloseReason::TimedOutUnreachable(kind),
            None => CloseReason::TimedOut,
        }
    }

    /// The last ICMP soft error that arrived since the path last delivered (an ACK of
    /// new data, or the handshake completing), if any.
    pub fn soft_error(&self) -> Option<IcmpErrorKind> {
        self.soft_error
    }

    /// The path MTU an ICMP "fragmentation needed" reported (RFC 1191), once one did.
    pub fn path_mtu(&self) -> Option<usize> {
        (self.path_mss != usize::MAX).then_some(self.path_mss + IPV4_HEADER_LEN + TCP_HEADER_LEN)
    }
}
