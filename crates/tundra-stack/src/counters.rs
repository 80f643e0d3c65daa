//! Named counters for everything the stack receives, sends and drops, printable like
//! `netstat -s`.
//!
//! Every drop has its own reason: a malformed frame, a checksum failure and a packet
//! for another host are different stories when you debug. The counter names are
//! stable (tests and the demo page read them by name).

use core::fmt;

macro_rules! counters {
    ($( $section:literal { $( $(#[$doc:meta])* $name:ident : $desc:literal, )* } )*) => {
        /// The stack's counters. All start at zero and only grow.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct Counters {
            $($( $(#[$doc])* pub $name: u64, )*)*
        }

        impl Counters {
            /// Every counter as `(section, name, description, value)`, in display order.
            pub fn entries(&self) -> Vec<(&'static str, &'static str, &'static str, u64)> {
                vec![$($( ($section, stringify!($name), $desc, self.$name), )*)*]
            }

            /// The value of the counter called `name`, if there is one.
            pub fn by_name(&self, name: &str) -> Option<u64> {
                match name {
                    $($( stringify!($name) => Some(self.$name), )*)*
                    _ => None,
                }
            }
        }
    };
}

counters! {
    "Link" {
        /// Frames handed to the stack by the device.
        rx_frames: "frames received",
        /// Frames the stack queued for the device.
        tx_frames: "frames sent",
        /// Ethernet frames shorter than a header.
        eth_malformed: "malformed Ethernet frames dropped",
        /// Ethernet frames with a multicast/broadcast source (IEEE 802.3 §3.2.3).
        eth_bad_source: "frames with a group source address dropped",
        /// Ethernet frames addressed to another station.
        eth_not_for_us: "frames for another MAC address dropped",
        /// IPv6 frames (not implemented yet): skipped.
        eth_ipv6_skipped: "IPv6 frames skipped (IPv6 not implemented)",
        /// Frames of any other EtherType (or 802.3 length frames).
        eth_unknown_type: "frames of unknown EtherType dropped",
        /// Frames dropped because the transmit queue was full.
        tx_queue_full: "frames dropped: transmit queue full",
    }
    "Arp" {
        /// ARP packets received.
        arp_rx: "ARP packets received",
        /// ARP packets that failed to parse (lengths, types).
        arp_malformed: "malformed ARP packets dropped",
        /// ARP requests answered.
        arp_replies_sent: "ARP replies sent",
        /// ARP requests sent to resolve a neighbor.
        arp_requests_sent: "ARP requests sent",
        /// Gratuitous ARP announcements sent.
        arp_gratuitous_sent: "gratuitous ARP announcements sent",
        /// ARP packets from another MAC claiming our address (RFC 5227 §2.4).
        arp_conflicts: "address conflicts detected (another MAC claims our address)",
        /// Announcements sent to defend our address against a conflict (RFC 5227 §2.4 (b)).
        arp_defences_sent: "announcements sent to defend our address",
        /// Packets given up on after the neighbor never answered.
        arp_resolution_failed: "packets dropped: neighbor resolution failed",
        /// Packets dropped because the resolution queue was full.
        arp_queue_full: "packets dropped: resolution queue full",
    }
    "Ip" {
        /// IPv4 packets received.
        ip_rx: "total packets received",
        /// Packets shorter than their headers say, or bad header lengths.
        ip_malformed: "with invalid headers",
        /// Packets with a version other than 4 on an IPv4 EtherType/TUN.
        ip_bad_version: "with wrong IP version",
        /// Packets whose header checksum was wrong.
        ip_bad_checksum: "with bad header checksum",
        /// Packets with a broadcast or multicast source (RFC 1122 §3.2.1.3).
        ip_bad_source: "with invalid source address",
        /// Packets for another address (we are a host, not a router).
        ip_not_for_us: "with invalid addresses (not for us)",
        /// Fragments received (Linux `ReasmReqds`).
        ip_frag_rx: "fragments received",
        /// Datagrams put back together from their fragments (`ReasmOKs`).
        ip_reasm_ok: "datagrams reassembled",
        /// Datagrams discarded because a fragment overlapped another (RFC 5722 style;
        /// Linux `ReasmOverlaps`).
        ip_reasm_overlap: "fragmented datagrams dropped: overlapping fragments",
        /// Exact copies of a fragment already held, dropped alone (RFC 8200 §4.5).
        ip_reasm_duplicate: "duplicate fragments dropped",
        /// Datagrams whose fragments add up to more than 65535 bytes ("ping of death").
        ip_reasm_too_long: "fragmented datagrams dropped: longer than 65535 bytes",
        /// Datagrams that arrived in more fragments than the limit allows.
        ip_reasm_too_many: "fragmented datagrams dropped: too many fragments",
        /// Datagrams with a fragment contradicting the end set by the last fragment.
        ip_reasm_inconsistent: "fragmented datagrams dropped: inconsistent fragments",
        /// Fragments whose data is empty or not a multiple of 8 bytes (RFC 791 §3.2).
        ip_frag_bad_length: "fragments dropped: bad length",
        /// Fragments refused because the reassembly memory or datagram limit was hit.
        ip_reasm_no_memory: "fragments dropped: reassembly memory full",
        /// Datagrams not complete within the reassembly timeout (`ReasmTimeout`).
        ip_reasm_timeout: "fragmented datagrams timed out",
        /// Datagrams we sent in fragments (`FragOKs`).
        ip_frag_ok: "datagrams fragmented",
        /// Fragments we created (`FragCreates`).
        ip_frag_created: "fragments created",
        /// TCP segments sent to a broadcast address (RFC 1122 §4.2.3.10).
        ip_tcp_not_unicast: "TCP segments to a broadcast address dropped",
        /// Packets for a protocol we do not implement.
        ip_unknown_protocol: "with unknown protocol",
        /// Packets delivered to ICMP or a transport.
        ip_delivered: "incoming packets delivered",
        /// Packets we sent.
        ip_tx: "requests sent out",
        /// Packets dropped for lack of a route (off-link, no gateway).
        ip_no_route: "dropped because of missing route",
    }
    "Icmp" {
        /// ICMP messages received.
        icmp_rx: "ICMP messages received",
        /// ICMP messages that failed to parse or had a bad checksum.
        icmp_malformed: "input ICMP message failed",
        /// Echo requests received.
        icmp_echo_requests: "echo requests received",
        /// Echo requests to a broadcast address, ignored like Linux's default.
        icmp_echo_broadcast_ignored: "echo requests to broadcast ignored",
        /// Echo replies sent.
        icmp_echo_replies_sent: "echo replies sent",
        /// Echo replies received (for our own pings).
        icmp_echo_replies: "echo replies received",
        /// Echo replies nobody was waiting for.
        icmp_echo_replies_unmatched: "echo replies with no matching ping",
        /// Echo requests we sent (tundra ping).
        icmp_echo_requests_sent: "echo requests sent",
        /// Other ICMP message types received.
        icmp_other: "other ICMP messages received",
        /// Error messages received (destination unreachable, time exceeded, parameter
        /// problem).
        icmp_errors_rx: "ICMP error messages received",
        /// Errors handed to the socket whose datagram they quote.
        icmp_errors_delivered: "ICMP errors delivered to a socket",
        /// Errors quoting a datagram no socket of ours sent (RFC 5927), or sent to a
        /// broadcast address.
        icmp_errors_unmatched: "ICMP errors matching no socket (RFC 5927)",
        /// Errors about our TCP or UDP datagrams whose quote is too short to hold the
        /// ports (and, for TCP, the sequence number): RFC 792 promises 64 bits.
        icmp_errors_short_quote: "ICMP errors with a truncated transport header",
        /// Port unreachable sent: UDP to a port nobody listens on.
        icmp_port_unreach_sent: "port unreachable messages sent",
        /// Protocol unreachable sent: an IP protocol we do not speak.
        icmp_proto_unreach_sent: "protocol unreachable messages sent",
        /// Time exceeded (code 1) sent for a datagram not reassembled in time.
        icmp_reasm_timeout_sent: "reassembly time exceeded messages sent",
        /// Errors not sent because the datagram was itself an ICMP error (RFC 1122
        /// §3.2.2).
        icmp_error_about_error: "ICMP errors not sent: about an ICMP error",
        /// Errors not sent because the datagram went to a broadcast or multicast
        /// address, IP or link layer (RFC 1122 §3.2.2).
        icmp_error_to_broadcast: "ICMP errors not sent: about a broadcast",
        /// Errors not sent because the datagram was a fragment other than the first
        /// (RFC 1122 §3.2.2).
        icmp_error_about_fragment: "ICMP errors not sent: about a non-initial fragment",
        /// Errors not sent because the source was not one host (zero, loopback,
        /// broadcast, multicast, class E; RFC 1122 §3.2.2).
        icmp_error_bad_source: "ICMP errors not sent: source not a unicast address",
        /// Errors not sent because the rate limit was reached (RFC 1812 §4.3.2.8).
        icmp_error_rate_limited: "ICMP errors not sent: rate limited",
    }
    "Udp" {
        /// UDP datagrams received.
        udp_rx: "datagrams received",
        /// Datagrams shorter than their header or Length field, or Length below 8.
        udp_malformed: "datagrams with a bad length dropped",
        /// Datagrams whose checksum did not verify (Linux `InCsumErrors`).
        udp_bad_checksum: "datagrams with a bad checksum dropped",
        /// Datagrams to a port nobody listens on (Linux `NoPorts`).
        udp_no_port: "datagrams to a port nobody listens on",
        /// Datagrams queued for a socket.
        udp_delivered: "datagrams delivered to a socket",
        /// Datagrams dropped because the socket's queue was full (`RcvbufErrors`).
        udp_queue_full: "datagrams dropped: socket receive queue full",
        /// Datagrams sent.
        udp_tx: "datagrams sent",
    }
}

impl fmt::Display for Counters {
    /// `netstat -s` style: a section header, then one indented line per counter.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut section = "";
        for (sec, _, desc, value) in self.entries() {
            if sec != section {
                writeln!(f, "{sec}:")?;
                section = sec;
            }
            writeln!(f, "    {value} {desc}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_reads_like_netstat() {
        let c = Counters {
            ip_rx: 3,
            ip_bad_checksum: 1,
            ..Counters::default()
        };
        let s = c.to_string();
        assert!(s.contains("Ip:\n    3 total packets received\n"), "{s}");
        assert!(s.contains("    1 with bad header checksum\n"));
        assert_eq!(c.by_name("ip_bad_checksum"), Some(1));
        assert_eq!(c.by_name("nope"), None);
    }
}
