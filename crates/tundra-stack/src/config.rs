//! How an [`Interface`](crate::Interface) is set up.

use tundra_ip::{Ipv4Addr, Ipv4Cidr, ReassemblyConfig};
use tundra_link::{EthernetAddress, NeighborConfig};
use tundra_udp::UdpConfig;

use crate::{Medium, RateLimit};

/// The configuration of one interface: its medium, address, neighbors and limits.
#[derive(Debug, Clone)]
pub struct Config {
    /// Raw IP (TUN) or Ethernet (TAP).
    pub medium: Medium,
    /// Our address and the on-link prefix, e.g. `10.0.0.2/24`.
    pub address: Ipv4Cidr,
    /// Our MAC address (Ethernet medium only). Locally administered by default.
    pub mac: EthernetAddress,
    /// The default gateway for off-link destinations, if any.
    pub gateway: Option<Ipv4Addr>,
    /// Seed for the stack's RNG (IP identification, ISN keys, ephemeral ports).
    pub seed: u64,
    /// TTL of the packets we originate (RFC 1122 §3.2.1.7 wants it configurable).
    pub ttl: u8,
    /// ARP cache and resolution-queue limits.
    pub neighbor: NeighborConfig,
    /// Most frames that may wait in the transmit queue before new ones are dropped.
    pub tx_queue_len: usize,
    /// Answer echo requests sent to a broadcast address (Linux: no by default).
    pub echo_broadcast: bool,
    /// IPv4 fragment reassembly: timeout (30 s) and memory limits.
    pub reassembly: ReassemblyConfig,
    /// UDP sockets: how many, their receive queue limits, the ephemeral ports.
    pub udp: UdpConfig,
    /// How many ICMP errors (port/protocol unreachable, time exceeded) we may send.
    pub icmp_error_limit: RateLimit,
}

impl Config {
    /// A configuration with defaults for everything but the medium and address.
    pub fn new(medium: Medium, address: Ipv4Cidr) -> Config {
        Config {
            medium,
            address,
            mac: EthernetAddress([0x02, 0x00, 0x00, 0x00, 0x00, 0x02]),
            gateway: None,
            seed: 0x7475_6e64_7261,
            ttl: 64,
            neighbor: NeighborConfig::default(),
            tx_queue_len: 4096,
            echo_broadcast: false,
            reassembly: ReassemblyConfig::default(),
            udp: UdpConfig::default(),
            icmp_error_limit: RateLimit::default(),
        }
    }
}
