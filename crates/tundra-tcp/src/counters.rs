//! The TCP layer's named counters, printable like `netstat -s`.

use core::fmt;

use crate::ConnStats;

/// Everything the [`crate::Endpoint`] counts: drops of malformed input by cause, the
/// backlog and RST events it handled itself, and the sum of every connection's
/// [`ConnStats`] (live and closed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpCounters {
    /// Segments that parsed and were dispatched.
    pub segments_in: u64,
    /// Segments sent (including RSTs for closed ports).
    pub segments_out: u64,
    /// Dropped: the checksum did not verify.
    pub bad_checksum: u64,
    /// Dropped: truncated, bad data offset or port 0.
    pub malformed: u64,
    /// Dropped: a malformed option (RFC 9293 §3.1 illegal option length).
    pub malformed_option: u64,
    /// RSTs sent for segments with no connection and no listener (RFC 9293 §3.10.7.1).
    pub no_listener_rst_sent: u64,
    /// RSTs sent for non-SYN segments to a listening port (RFC 9293 §3.10.7.2).
    pub listen_rst_sent: u64,
    /// RST replies dropped because the reply queue was full.
    pub rst_queue_overflow: u64,
    /// SYNs dropped because the listener's SYN queue was full.
    pub syn_queue_overflow: u64,
    /// SYNs or handshake-completing ACKs dropped because the accept queue was full.
    pub accept_queue_overflow: u64,
    /// SYNs dropped because the endpoint holds its maximum number of connections.
    pub connection_limit: u64,
    /// SYN-ACKs sent with a SYN cookie because the SYN queue was full (RFC 4987 §3.6;
    /// Linux `SyncookiesSent`).
    pub syncookies_sent: u64,
    /// ACKs that returned a valid SYN cookie and created a connection (Linux
    /// `SyncookiesRecv`).
    pub syncookies_recv: u64,
    /// ACKs to a listener using cookies whose cookie did not verify (forged, stale or
    /// for another connection), answered by a RST (Linux `SyncookiesFailed`).
    pub syncookies_failed: u64,
    /// Cookie SYN-ACKs not sent because too many were waiting for transmission.
    pub syncookies_not_sent: u64,
    /// Connections opened by `connect` (RFC 9293 §3.10.1 active OPEN).
    pub active_opens: u64,
    /// Connections created from a SYN on a listener (passive OPEN).
    pub passive_opens: u64,
    /// Connections that reached ESTABLISHED.
    pub established: u64,
    /// Connections closed by a peer's RST.
    pub resets_received: u64,
    /// Connections that timed out.
    pub timeouts: u64,
    /// TIME-WAIT connections recycled by a new SYN (RFC 6191).
    pub time_wait_recycled: u64,
    /// ICMP errors about our segments handed to TCP ([`crate::Endpoint::icmp_error`]).
    pub icmp_errors: u64,
    /// ... of which no connection had the quoted 4-tuple.
    pub icmp_no_connection: u64,
    /// ... of which quoted a sequence number outside SND.UNA..SND.NXT (RFC 5927 §4.1;
    /// Linux `OutOfWindowIcmps`), dropped.
    pub icmp_out_of_window: u64,
    /// ... of which reached a connection in CLOSED or TIME-WAIT, ignored.
    pub icmp_ignored: u64,
    /// ... of which were soft errors (or hard ones on a synchronized connection, RFC
    /// 5461), remembered for a timeout's reason.
    pub icmp_soft_errors: u64,
    /// Connections aborted by an ICMP hard error during the handshake (RFC 1122
    /// §4.2.3.9).
    pub icmp_aborts: u64,
    /// "Fragmentation needed" messages that lowered a connection's segment size (RFC
    /// 1191).
    pub pmtu_lowered: u64,
    /// "Fragmentation needed" messages that would not have lowered it, ignored (RFC
    /// 1191 §3).
    pub pmtu_not_lowered: u64,
    /// Outstanding segments sent again in smaller pieces after the MTU was lowered.
    pub pmtu_resent: u64,
    /// The sum of every connection's counters.
    pub conn: ConnStats,
}

impl fmt::Display for TcpCounters {
    /// One counter per line, `netstat -s` style.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.conn;
        let rows: &[(&str, u64)] = &[
            ("segments received", self.segments_in),
            ("segments sent", self.segments_out),
            ("segments with bad checksum", self.bad_checksum),
            ("malformed segments", self.malformed),
            ("segments with malformed options", self.malformed_option),
            ("resets sent to closed ports", self.no_listener_rst_sent),
            ("resets sent by listeners", self.listen_rst_sent),
            ("resets not sent (queue full)", self.rst_queue_overflow),
            ("SYNs dropped (SYN queue full)", self.syn_queue_overflow),
            ("dropped (accept queue full)", self.accept_queue_overflow),
            ("SYNs dropped (connection limit)", self.connection_limit),
            ("SYN cookies sent", self.syncookies_sent),
            ("SYN cookies received", self.syncookies_recv),
            ("invalid SYN cookies received", self.syncookies_failed),
            (
                "SYN cookies not sent (queue full)",
                self.syncookies_not_sent,
            ),
            ("active connection openings", self.active_opens),
            ("passive connection openings", self.passive_opens),
            ("connections established", self.established),
            ("connections reset by peer", self.resets_received),
            ("connections timed out", self.timeouts),
            ("TIME-WAIT connections recycled", self.time_wait_recycled),
            ("ICMP errors received", self.icmp_errors),
            ("ICMP errors for no connection", self.icmp_no_connection),
            ("ICMP errors out of window", self.icmp_out_of_window),
            ("ICMP errors ignored (closed)", self.icmp_ignored),
            ("ICMP soft errors", self.icmp_soft_errors),
            ("connections aborted by ICMP", self.icmp_aborts),
            ("path MTU reductions", self.pmtu_lowered),
            ("path MTU messages ignored", self.pmtu_not_lowered),
            ("segments resent for a smaller MTU", self.pmtu_resent),
            ("segments received by connections", c.segments_in),
            ("segments sent by connections", c.segments_out),
            ("segments retransmitted", c.retransmits),
            ("fast retransmits", c.fast_retransmits),
            ("SACK-guided retransmits", c.sack_retransmits),
            ("retransmissions lost again", c.lost_retransmits),
            ("tail loss probes sent", c.tail_loss_probes),
            ("losses repaired by a tail loss probe", c.tlp_recoveries),
            ("retransmission timeouts", c.rto_expirations),
            ("duplicate ACKs received", c.dup_acks),
            ("challenge ACKs sent", c.challenge_acks),
            ("challenge ACKs suppressed", c.challenge_acks_suppressed),
            ("segments rejected by PAWS", c.paws_rejected),
            ("out-of-window segments", c.out_of_window),
            ("window probes sent", c.window_probes),
            ("keepalive probes sent", c.keepalive_probes),
            ("bytes received out of order", c.ooo_bytes),
            ("D-SACKs sent", c.dsacks_sent),
            ("D-SACKs received", c.dsacks_received),
            ("spurious retransmissions detected", c.spurious_retransmits),
            ("congestion responses undone", c.undos),
        ];
        for (name, value) in rows {
            writeln!(f, "    {value} {name}")?;
        }
        Ok(())
    }
}
