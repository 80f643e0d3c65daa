//! Path MTU Discovery helpers (RFC 1191): what a "fragmentation needed and DF set"
//! message (type 3, code 4) says the path MTU is.
//!
//! RFC 1191 §4 puts the MTU of the link that refused our datagram in the low 16 bits of
//! the ICMP header's unused word. Routers that predate RFC 1191 leave it zero, and a
//! broken router may report a value that cannot be right (one not smaller than the
//! datagram it refused, or below the IPv4 minimum of 68). For both, RFC 1191 §5 has
//! the host guess: take the next plateau below the quoted datagram's Total Length from
//! the table of common MTUs (RFC 1191 §7, Table 7-1).
//!
//! Whoever keeps an estimate applies the rule of RFC 1191 §3 on top: "a host MUST never
//! increase its estimate of the Path MTU in response to the contents of a Datagram Too
//! Big message".

/// The smallest MTU an IPv4 link may have (RFC 791: "Every internet module must be able
/// to forward a datagram of 68 octets without further fragmentation"). RFC 1191 §3: the
/// PMTU estimate never goes below it.
pub const MIN_IPV4_MTU: u16 = 68;

/// The plateaus of RFC 1191 §7, Table 7-1, largest first: the MTUs in common use, one
/// of which a guessed path MTU is set to.
pub const PLATEAUS: [u16; 11] = [
    65535,
    32000,
    17914,
    8166,
    4352,
    2002,
    1492,
    1006,
    508,
    296,
    MIN_IPV4_MTU,
];

/// The largest plateau strictly below `total_len` (RFC 1191 §5: "the PMTU should be
/// reduced to the largest plateau value that is less than the Total Length field in the
/// returned IP header"), or [`MIN_IPV4_MTU`] when none is.
pub fn plateau_below(total_len: u16) -> u16 {
    PLATEAUS
        .iter()
        .copied()
        .find(|&p| p < total_len)
        .unwrap_or(MIN_IPV4_MTU)
}

/// The path MTU a "fragmentation needed" message says: `reported` is its next-hop MTU
/// field and `quoted_total_len` the Total Length of the datagram it quotes (ours). A
/// usable report (at least 68, below the datagram's length) is taken as it is;
/// otherwise the next plateau below the datagram's length is the guess (RFC 1191 §5).
pub fn next_hop_mtu(reported: u16, quoted_total_len: u16) -> u16 {
    if reported >= MIN_IPV4_MTU && reported < quoted_total_len {
        reported
    } else {
        plateau_below(quoted_total_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 1191 §5: an old router's zero means "guess": 1500-byte datagrams fall to the
    /// 1492 plateau, 1492 to 1006, and so on down the table.
    #[test]
    fn rfc1191_5_zero_means_the_next_plateau_down() {
        assert_eq!(next_hop_mtu(0, 1500), 1492);
        assert_eq!(next_hop_mtu(0, 1492), 1006);
        assert_eq!(next_hop_mtu(0, 1006), 508);
        assert_eq!(next_hop_mtu(0, 576), 508);
        assert_eq!(next_hop_mtu(0, 69), MIN_IPV4_MTU);
        assert_eq!(next_hop_mtu(0, 68), MIN_IPV4_MTU);
        assert_eq!(next_hop_mtu(0, 0), MIN_IPV4_MTU);
        assert_eq!(next_hop_mtu(0, 65535), 32000);
    }

    #[test]
    fn a_usable_report_is_taken_as_it_is() {
        assert_eq!(next_hop_mtu(1000, 1500), 1000);
        assert_eq!(next_hop_mtu(68, 1500), 68);
        assert_eq!(next_hop_mtu(1499, 1500), 1499);
    }

    /// A report not smaller than the refused datagram, or below 68, cannot be right:
    /// the plateau guess replaces it.
    #[test]
    fn an_impossible_report_falls_back_to_the_plateaus() {
        assert_eq!(next_hop_mtu(1500, 1500), 1492);
        assert_eq!(next_hop_mtu(9000, 1500), 1492);
        assert_eq!(next_hop_mtu(20, 1500), 1492);
        assert_eq!(next_hop_mtu(67, 1006), 508);
    }

    #[test]
    fn plateaus_are_strictly_decreasing() {
        assert!(PLATEAUS.windows(2).all(|w| w[0] > w[1]));
    }
}
