//! The neighbor cache: the ARP table (IPv4 address -> MAC address) together with a
//! bounded queue of outgoing IP packets waiting for an address to be resolved. Sans-IO:
//! every call takes `now`, and the cache says what to send through its return values
//! and [`NeighborAction`]s.
//!
//! Heads up! RFC 826 (the table and the merge rule), RFC 1122 §2.3.2.1 (flood
//! protection: at most one request per second per destination; entries time out even
//! while in use), RFC 1122 §2.3.2.2 (queue packets for an unresolved address), RFC 1812
//! §3.3.2 (never believe a broadcast or multicast link-layer address).
//!
//! How the stack drives it, for each outgoing IPv4 packet to next hop `ip`:
//!
//! ```text
//! lookup(now, ip) -> Some(mac)      send the frame to mac
//!                 -> None           enqueue(now, ip, packet)
//!                                     Ok(true)  -> send ArpRepr::request now (broadcast)
//!                                     Ok(false) -> a request is already outstanding
//!                                     Err(e)    -> packet dropped, count e
//! on ARP from ip (RFC 826 merge):   fill(now, ip, sha) -> packets to send to sha now
//! when now >= poll_at():            poll(now, &mut actions)
//!                                     SendRequest(ip) -> send ArpRepr::request again
//!                                     GaveUp { addr, dropped_packets } -> count them
//! ```
//!
//! Memory is bounded three ways: at most `capacity` entries (when full, the entry
//! closest to expiry is evicted; entries still being resolved are never evicted, so
//! queued packets are only ever dropped by `GaveUp` or `remove`), at most
//! `max_pending_per_neighbor` queued packets per address, and at most
//! `max_pending_bytes` queued bytes in total. Entries live in a `BTreeMap`, so `poll`
//! and `iter` visit addresses in a fixed order and a replay is repeatable.

use core::fmt;
use core::net::Ipv4Addr;

use tundra_core::{Duration, Instant};

use std::collections::{BTreeMap, VecDeque};

use crate::EthernetAddress;

/// The limits and timers of a [`NeighborCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeighborConfig {
    /// The most entries (resolved or being resolved) the cache holds.
    pub capacity: usize,
    /// How long a learned mapping is used before it must be resolved again (RFC 1122
    /// §2.3.2.1: entries time out even when in use; Linux uses about 30 s, smoltcp 60 s).
    pub reachable_time: Duration,
    /// The time between requests for an unresolved address (RFC 1122 §2.3.2.1: at most
    /// one request per second per destination).
    pub retransmit_interval: Duration,
    /// How many requests to send in all before giving up on an address.
    pub max_requests: u32,
    /// The most packets queued for one unresolved address.
    pub max_pending_per_neighbor: usize,
    /// The most bytes queued for all unresolved addresses together.
    pub max_pending_bytes: usize,
}

impl Default for NeighborConfig {
    /// 256 entries, 60 s reachable time, 1 s between requests, 3 requests, 16 packets
    /// per neighbor, 256 KiB queued in total.
    fn default() -> Self {
        NeighborConfig {
            capacity: 256,
            reachable_time: Duration::from_secs(60),
            retransmit_interval: Duration::from_secs(1),
            max_requests: 3,
            max_pending_per_neighbor: 16,
            max_pending_bytes: 256 * 1024,
        }
    }
}

/// What the stack must do after [`NeighborCache::poll`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NeighborAction {
    /// Broadcast another ARP request for this address.
    SendRequest(Ipv4Addr),
    /// No answer after `max_requests` requests: the entry is gone and the packets that
    /// waited for it were dropped (the stack counts them; it may also send ICMP host
    /// unreachable, RFC 1122 §2.3.2.2 / RFC 792).
    GaveUp {
        /// The address that did not resolve.
        addr: Ipv4Addr,
        /// How many queued packets were dropped with it.
        dropped_packets: usize,
    },
}

impl fmt::Display for NeighborAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NeighborAction::SendRequest(addr) => write!(f, "ARP request for {addr}"),
            NeighborAction::GaveUp {
                addr,
                dropped_packets,
            } => write!(
                f,
                "{addr} unreachable, {dropped_packets} queued packets dropped"
            ),
        }
    }
}

/// Why [`NeighborCache::enqueue`] refused a packet. The packet is dropped; the stack
/// counts it under the variant's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum EnqueueError {
    /// `max_pending_per_neighbor` packets already wait for this address.
    #[error("too many packets waiting for this neighbor")]
    NeighborQueueFull,
    /// Queuing the packet would exceed `max_pending_bytes`.
    #[error("pending packet buffer full")]
    BufferFull,
    /// The cache holds `capacity` entries that are all still being resolved.
    #[error("neighbor cache full of unresolved addresses")]
    CacheFull,
}

/// The state of one address, as shown by [`NeighborCache::iter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NeighborState {
    /// Resolved and usable for `expires_in` more.
    Reachable {
        /// The neighbor's MAC address.
        hardware_addr: EthernetAddress,
        /// How long the mapping stays usable.
        expires_in: Duration,
    },
    /// Resolved once, but expired; `lookup` ignores it until it is learned again.
    Stale {
        /// The last MAC address the neighbor had.
        hardware_addr: EthernetAddress,
    },
    /// Being resolved: requests are outstanding and packets may be waiting.
    Incomplete {
        /// Requests sent so far.
        requests_sent: u32,
        /// Packets waiting for the answer.
        queued_packets: usize,
    },
}

/// One row of the neighbor table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NeighborEntry {
    /// The neighbor's IPv4 address.
    pub addr: Ipv4Addr,
    /// What we know about it.
    pub state: NeighborState,
}

impl fmt::Display for NeighborEntry {
    /// Like `ip neigh`: `10.0.0.1 lladdr 52:54:00:12:34:56 REACHABLE (expires in 59.000000s)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.state {
            NeighborState::Reachable {
                hardware_addr,
                expires_in,
            } => write!(
                f,
                "{} lladdr {hardware_addr} REACHABLE (expires in {expires_in})",
                self.addr
            ),
            NeighborState::Stale { hardware_addr } => {
                write!(f, "{} lladdr {hardware_addr} STALE", self.addr)
            }
            NeighborState::Incomplete {
                requests_sent,
                queued_packets,
            } => write!(
                f,
                "{} INCOMPLETE ({requests_sent} requests sent, {queued_packets} packets queued)",
                self.addr
            ),
        }
    }
}

#[derive(Debug)]
enum Entry {
    Reachable {
        hardware_addr: EthernetAddress,
        expires_at: Instant,
    },
    Incomplete {
        requests_sent: u32,
        retry_at: Instant,
        queue: VecDeque<Vec<u8>>,
    },
}

/// The ARP cache and the queue of packets awaiting resolution. See the module docs for
/// how the stack drives it.
#[derive(Debug)]
pub struct NeighborCache {
    config: NeighborConfig,
    entries: BTreeMap<Ipv4Addr, Entry>,
    /// Total length of every queued packet.
    pending_bytes: usize,
}

impl NeighborCache {
    /// An empty cache with the given limits.
    pub fn new(config: NeighborConfig) -> Self {
        NeighborCache {
            config,
            entries: BTreeMap::new(),
            pending_bytes: 0,
        }
    }

    /// The limits this cache was made with.
    pub fn config(&self) -> &NeighborConfig {
        &self.config
    }

    /// The MAC address of `ip`, or `None` if it is unknown, still being resolved, or
    /// expired.
    pub fn lookup(&self, now: Instant, ip: Ipv4Addr) -> Option<EthernetAddress> {
        match self.entries.get(&ip)? {
            Entry::Reachable {
                hardware_addr,
                expires_at,
            } if now < *expires_at => Some(*hardware_addr),
            _ => None,
        }
    }

    /// Is there any entry for `ip` (resolved, expired or being resolved)? This is RFC
    /// 826's "is the pair already in my translation table?": if so, update it from any
    /// ARP packet; if not, add it only when we are the target.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        self.entries.contains_key(&ip)
    }

    /// Learns or refreshes `ip -> mac` until `now + reachable_time`, and hands back the
    /// packets that were waiting for `ip`, oldest first, for the caller to send to `mac`
    /// now. Whether to call this at all (RFC 826's merge rule) is the caller's decision.
    ///
    /// A broadcast, multicast or all-zero `mac`, or an `ip` that is unspecified,
    /// broadcast or multicast, is never stored (RFC 1812 §3.3.2: do not believe an ARP
    /// reply that claims a broadcast or multicast link-layer address; RFC 5227 probes
    /// carry sender 0.0.0.0); any queued packets stay queued. If the cache is full of
    /// entries still being resolved, a new mapping is not stored either.
    pub fn fill(&mut self, now: Instant, ip: Ipv4Addr, mac: EthernetAddress) -> Vec<Vec<u8>> {
        if mac.is_multicast() || mac.is_unspecified() {
            log::debug!("neighbor: not learning {ip} at non-unicast {mac}");
            return Vec::new();
        }
        if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() {
            log::debug!("neighbor: not learning non-unicast {ip}");
            return Vec::new();
        }
        if !self.entries.contains_key(&ip) && !self.make_room() {
            log::debug!("neighbor: cache full of unresolved entries, not learning {ip}");
            return Vec::new();
        }
        let learned = Entry::Reachable {
            hardware_addr: mac,
            expires_at: now + self.config.reachable_time,
        };
        match self.entries.insert(ip, learned) {
            Some(Entry::Incomplete { queue, .. }) => {
                let released: usize = queue.iter().map(Vec::len).sum();
                self.pending_bytes -= released;
                log::trace!(
                    "neighbor: {ip} is-at {mac}, releasing {} packets",
                    queue.len()
                );
                Vec::from(queue)
            }
            _ => Vec::new(),
        }
    }

    /// Queues `packet` until `ip` is resolved; call it when [`lookup`](Self::lookup)
    /// returned `None`.
    ///
    /// `Ok(true)`: this is the first packet for `ip`, the caller must broadcast an ARP
    /// request now (retries then come from [`poll`](Self::poll)). `Ok(false)`: a
    /// request is already outstanding. `Err(_)`: the packet would exceed a bound and was
    /// dropped; no entry is created, so a later packet tries again.
    ///
    /// If `ip` still had a usable mapping, the caller should have used it; `enqueue`
    /// then treats the mapping as doubtful and resolves it afresh (`Ok(true)`).
    ///
    /// When a neighbor's queue is full the new packet is the one dropped. (RFC 1122
    /// §2.3.2.2 asks to keep "at least one (the latest)" packet; we keep the first
    /// `max_pending_per_neighbor`, which satisfies "at least one" and keeps a TCP
    /// SYN that opened the exchange.)
    pub fn enqueue(
        &mut self,
        now: Instant,
        ip: Ipv4Addr,
        packet: Vec<u8>,
    ) -> Result<bool, EnqueueError> {
        let fits_total = self
            .pending_bytes
            .checked_add(packet.len())
            .is_some_and(|total| total <= self.config.max_pending_bytes);
        if let Some(Entry::Incomplete { queue, .. }) = self.entries.get_mut(&ip) {
            if queue.len() >= self.config.max_pending_per_neighbor {
                return Err(EnqueueError::NeighborQueueFull);
            }
            if !fits_total {
                return Err(EnqueueError::BufferFull);
            }
            self.pending_bytes += packet.len();
            queue.push_back(packet);
            return Ok(false);
        }
        if self.config.max_pending_per_neighbor == 0 {
            return Err(EnqueueError::NeighborQueueFull);
        }
        if !fits_total {
            return Err(EnqueueError::BufferFull);
        }
        // An existing (resolved) entry is replaced in place and needs no room.
        if !self.entries.contains_key(&ip) && !self.make_room() {
            return Err(EnqueueError::CacheFull);
        }
        self.pending_bytes += packet.len();
        // RFC 1122 §2.3.2.1: the caller sends the first request now; the next one is due
        // one retransmit interval later, never sooner.
        self.entries.insert(
            ip,
            Entry::Incomplete {
                requests_sent: 1,
                retry_at: now + self.config.retransmit_interval,
                queue: VecDeque::from([packet]),
            },
        );
        log::trace!("neighbor: resolving {ip}");
        Ok(true)
    }

    /// Fires due timers, appending what the stack must do to `out`: another request for
    /// an address whose retry time has come, or, once `max_requests` have gone
    /// unanswered, [`NeighborAction::GaveUp`] with the number of packets dropped. Also
    /// forgets expired mappings.
    pub fn poll(&mut self, now: Instant, out: &mut Vec<NeighborAction>) {
        let config = &self.config;
        let pending_bytes = &mut self.pending_bytes;
        self.entries.retain(|&addr, entry| match entry {
            Entry::Reachable { expires_at, .. } => now < *expires_at,
            Entry::Incomplete {
                requests_sent,
                retry_at,
                queue,
            } => {
                if now < *retry_at {
                    true
                } else if *requests_sent < config.max_requests {
                    *requests_sent += 1;
                    // From now, not from the missed deadline: a late poll must not
                    // produce a burst of requests (RFC 1122 §2.3.2.1).
                    *retry_at = now + config.retransmit_interval;
                    out.push(NeighborAction::SendRequest(addr));
                    true
                } else {
                    *pending_bytes -= queue.iter().map(Vec::len).sum::<usize>();
                    log::debug!("neighbor: giving up on {addr}, dropping {}", queue.len());
                    out.push(NeighborAction::GaveUp {
                        addr,
                        dropped_packets: queue.len(),
                    });
                    false
                }
            }
        });
    }

    /// When [`poll`](Self::poll) next has something to do: the earliest retry time of
    /// an address being resolved, or `None` if nothing is being resolved. (Expired
    /// mappings need no timer: `lookup` already ignores them.)
    pub fn poll_at(&self) -> Option<Instant> {
        self.entries
            .values()
            .filter_map(|entry| match entry {
                Entry::Incomplete { retry_at, .. } => Some(*retry_at),
                Entry::Reachable { .. } => None,
            })
            .min()
    }

    /// Forgets `ip` (like `ip neigh del`), returning how many queued packets were
    /// dropped with it.
    pub fn remove(&mut self, ip: Ipv4Addr) -> usize {
        match self.entries.remove(&ip) {
            Some(Entry::Incomplete { queue, .. }) => {
                self.pending_bytes -= queue.iter().map(Vec::len).sum::<usize>();
                queue.len()
            }
            _ => 0,
        }
    }

    /// The table, in address order, as `ip neigh` would show it at `now`.
    pub fn iter(&self, now: Instant) -> impl Iterator<Item = NeighborEntry> + '_ {
        self.entries.iter().map(move |(&addr, entry)| {
            let state = match entry {
                Entry::Reachable {
                    hardware_addr,
                    expires_at,
                } if now < *expires_at => NeighborState::Reachable {
                    hardware_addr: *hardware_addr,
                    expires_in: *expires_at - now,
                },
                Entry::Reachable { hardware_addr, .. } => NeighborState::Stale {
                    hardware_addr: *hardware_addr,
                },
                Entry::Incomplete {
                    requests_sent,
                    queue,
                    ..
                } => NeighborState::Incomplete {
                    requests_sent: *requests_sent,
                    queued_packets: queue.len(),
                },
            };
            NeighborEntry { addr, state }
        })
    }

    /// How many entries the cache holds (never more than `capacity`).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Does the cache hold no entries?
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many bytes of packets are queued (never more than `max_pending_bytes`).
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes
    }

    /// How many packets are queued, for all addresses together.
    pub fn pending_packets(&self) -> usize {
        self.entries
            .values()
            .map(|entry| match entry {
                Entry::Incomplete { queue, .. } => queue.len(),
                Entry::Reachable { .. } => 0,
            })
            .sum()
    }

    /// Makes room for one new entry: `true` if there already is room, or if a resolved
    /// entry could be evicted (the one closest to expiry, so an expired one first; with
    /// a fixed reachable time that is also the one learned longest ago). Entries being
    /// resolved hold queued packets and are never evicted; they leave by `poll`.
    fn make_room(&mut self) -> bool {
        if self.entries.len() < self.config.capacity {
            return true;
        }
        let victim = self
            .entries
            .iter()
            .filter_map(|(&addr, entry)| match entry {
                Entry::Reachable { expires_at, .. } => Some((*expires_at, addr)),
                Entry::Incomplete { .. } => None,
            })
            .min();
        match victim {
            Some((_, addr)) => {
                log::trace!("neighbor: cache full, evicting {addr}");
                self.entries.remove(&addr);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MAC_A: EthernetAddress = EthernetAddress([0x52, 0x54, 0x00, 0x00, 0x00, 0x0a]);
    const MAC_B: EthernetAddress = EthernetAddress([0x52, 0x54, 0x00, 0x00, 0x00, 0x0b]);
    const IP_A: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 10);
    const IP_B: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 11);

    fn t(millis: i64) -> Instant {
        Instant::from_millis(millis)
    }

    fn ip(n: u8) -> Ipv4Addr {
        Ipv4Addr::new(10, 0, 1, n)
    }

    fn mac(n: u8) -> EthernetAddress {
        EthernetAddress([0x02, 0, 0, 0, 0x01, n])
    }

    fn cache() -> NeighborCache {
        NeighborCache::new(NeighborConfig::default())
    }

    #[track_caller]
    fn poll(cache: &mut NeighborCache, now: Instant) -> Vec<NeighborAction> {
        let mut out = Vec::new();
        cache.poll(now, &mut out);
        out
    }

    #[test]
    fn default_config_matches_the_documented_values() {
        let c = NeighborConfig::default();
        assert_eq!(c.capacity, 256);
        assert_eq!(c.reachable_time, Duration::from_secs(60));
        assert_eq!(c.retransmit_interval, Duration::from_secs(1));
        assert_eq!(c.max_requests, 3);
        assert_eq!(c.max_pending_per_neighbor, 16);
        assert_eq!(c.max_pending_bytes, 256 * 1024);
    }

    #[test]
    fn fill_then_lookup_until_expiry() {
        let mut cache = cache();
        assert_eq!(cache.lookup(t(0), IP_A), None);
        assert!(!cache.contains(IP_A));

        assert!(cache.fill(t(0), IP_A, MAC_A).is_empty());
        assert!(cache.contains(IP_A));
        assert_eq!(cache.lookup(t(0), IP_A), Some(MAC_A));
        assert_eq!(cache.lookup(t(59_999), IP_A), Some(MAC_A));
        // RFC 1122 §2.3.2.1: it times out even though it was in use.
        assert_eq!(cache.lookup(t(60_000), IP_A), None);
        assert!(
            cache.contains(IP_A),
            "expired, but still in the table until polled"
        );
        assert_eq!(cache.lookup(t(0), IP_B), None);
    }

    #[test]
    fn refill_refreshes_lifetime_and_address() {
        let mut cache = cache();
        cache.fill(t(0), IP_A, MAC_A);
        cache.fill(t(30_000), IP_A, MAC_B);
        assert_eq!(cache.lookup(t(89_999), IP_A), Some(MAC_B));
        assert_eq!(cache.lookup(t(90_000), IP_A), None);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn poll_forgets_expired_mappings_without_a_timer() {
        let mut cache = cache();
        cache.fill(t(0), IP_A, MAC_A);
        assert_eq!(cache.poll_at(), None, "a resolved entry needs no wake-up");
        assert!(poll(&mut cache, t(59_999)).is_empty());
        assert!(cache.contains(IP_A));
        assert!(poll(&mut cache, t(60_000)).is_empty());
        assert!(!cache.contains(IP_A));
        assert!(cache.is_empty());
    }

    #[test]
    fn non_unicast_mappings_are_never_learned() {
        let mut cache = cache();
        cache.enqueue(t(0), IP_A, vec![1]).unwrap();
        // RFC 1812 §3.3.2: a broadcast or multicast "hardware address" is a lie.
        for bad in [
            EthernetAddress::BROADCAST,
            EthernetAddress([0x01, 0x00, 0x5e, 0x00, 0x00, 0x01]),
            EthernetAddress::UNSPECIFIED,
        ] {
            assert!(cache.fill(t(10), IP_A, bad).is_empty());
            assert_eq!(cache.lookup(t(10), IP_A), None);
        }
        assert_eq!(cache.pending_packets(), 1, "the packet still waits");
        for bad_ip in [
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::BROADCAST,
            Ipv4Addr::new(224, 0, 0, 1),
        ] {
            cache.fill(t(10), bad_ip, MAC_B);
            assert!(!cache.contains(bad_ip));
        }
        // The real answer still releases it.
        assert_eq!(cache.fill(t(20), IP_A, MAC_A), vec![vec![1]]);
    }

    /// The first packet triggers a request, later ones ride on it, and the reply
    /// releases them all in the order they were sent.
    #[test]
    fn enqueue_then_reply_releases_packets_in_order() {
        let mut cache = cache();
        assert_eq!(cache.enqueue(t(0), IP_A, vec![1, 1]), Ok(true));
        assert_eq!(cache.enqueue(t(100), IP_A, vec![2]), Ok(false));
        assert_eq!(cache.enqueue(t(200), IP_A, vec![3, 3, 3]), Ok(false));
        assert_eq!(cache.pending_bytes(), 6);
        assert_eq!(cache.pending_packets(), 3);
        assert!(
            cache.contains(IP_A),
            "an unresolved entry counts for RFC 826 merge"
        );
        assert_eq!(cache.lookup(t(200), IP_A), None);

        let released = cache.fill(t(300), IP_A, MAC_A);
        assert_eq!(released, vec![vec![1, 1], vec![2], vec![3, 3, 3]]);
        assert_eq!(cache.pending_bytes(), 0);
        assert_eq!(cache.pending_packets(), 0);
        assert_eq!(cache.lookup(t(300), IP_A), Some(MAC_A));
        assert_eq!(cache.poll_at(), None);
        // A second reply releases nothing more.
        assert!(cache.fill(t(400), IP_A, MAC_A).is_empty());
    }

    /// No answer: requests at 0 s (by the caller), 1 s and 2 s; at 3 s we give up and
    /// count the dropped packets.
    #[test]
    fn unanswered_requests_are_retried_then_given_up() {
        let mut cache = cache();
        assert_eq!(cache.enqueue(t(0), IP_A, vec![0; 100]), Ok(true));
        assert_eq!(cache.enqueue(t(500), IP_A, vec![0; 50]), Ok(false));
        assert_eq!(cache.poll_at(), Some(t(1_000)));

        assert!(poll(&mut cache, t(999)).is_empty(), "not due yet");
        assert_eq!(
            poll(&mut cache, t(1_000)),
            [NeighborAction::SendRequest(IP_A)]
        );
        assert_eq!(cache.poll_at(), Some(t(2_000)));
        assert_eq!(
            poll(&mut cache, t(2_000)),
            [NeighborAction::SendRequest(IP_A)]
        );
        assert_eq!(cache.poll_at(), Some(t(3_000)));
        assert_eq!(
            cache.iter(t(2_500)).next().unwrap().state,
            NeighborState::Incomplete {
                requests_sent: 3,
                queued_packets: 2
            }
        );
        assert_eq!(
            poll(&mut cache, t(3_000)),
            [NeighborAction::GaveUp {
                addr: IP_A,
                dropped_packets: 2
            }]
        );
        assert!(!cache.contains(IP_A));
        assert_eq!(cache.pending_bytes(), 0);
        assert_eq!(cache.poll_at(), None);
        assert!(poll(&mut cache, t(10_000)).is_empty());

        // The next packet starts over with a fresh request.
        assert_eq!(cache.enqueue(t(10_000), IP_A, vec![1]), Ok(true));
    }

    #[test]
    fn late_poll_sends_one_request_not_a_burst() {
        let mut cache = cache();
        cache.enqueue(t(0), IP_A, vec![1]).unwrap();
        assert_eq!(
            poll(&mut cache, t(5_500)),
            [NeighborAction::SendRequest(IP_A)]
        );
        assert_eq!(cache.poll_at(), Some(t(6_500)));
    }

    #[test]
    fn each_neighbor_has_its_own_timer() {
        let mut cache = cache();
        assert_eq!(cache.enqueue(t(0), IP_A, vec![1]), Ok(true));
        assert_eq!(cache.enqueue(t(400), IP_B, vec![2]), Ok(true));
        assert_eq!(cache.poll_at(), Some(t(1_000)));
        assert_eq!(
            poll(&mut cache, t(1_000)),
            [NeighborAction::SendRequest(IP_A)]
        );
        assert_eq!(cache.poll_at(), Some(t(1_400)));
        assert_eq!(
            poll(&mut cache, t(1_400)),
            [NeighborAction::SendRequest(IP_B)]
        );
        // B answers; A keeps going on its own schedule.
        assert_eq!(cache.fill(t(1_500), IP_B, MAC_B), vec![vec![2]]);
        assert_eq!(cache.poll_at(), Some(t(2_000)));
    }

    #[test]
    fn per_neighbor_bound_drops_the_new_packet() {
        let config = NeighborConfig {
            max_pending_per_neighbor: 2,
            ..NeighborConfig::default()
        };
        let mut cache = NeighborCache::new(config);
        assert_eq!(cache.enqueue(t(0), IP_A, vec![1]), Ok(true));
        assert_eq!(cache.enqueue(t(0), IP_A, vec![2]), Ok(false));
        assert_eq!(
            cache.enqueue(t(0), IP_A, vec![3]),
            Err(EnqueueError::NeighborQueueFull)
        );
        // Another neighbor has its own allowance.
        assert_eq!(cache.enqueue(t(0), IP_B, vec![4]), Ok(true));
        assert_eq!(cache.fill(t(1), IP_A, MAC_A), vec![vec![1], vec![2]]);
    }

    #[test]
    fn total_byte_bound_is_shared_by_all_neighbors() {
        let config = NeighborConfig {
            max_pending_bytes: 1_000,
            ..NeighborConfig::default()
        };
        let mut cache = NeighborCache::new(config);
        assert_eq!(cache.enqueue(t(0), IP_A, vec![0; 600]), Ok(true));
        assert_eq!(
            cache.enqueue(t(0), IP_B, vec![0; 401]),
            Err(EnqueueError::BufferFull)
        );
        assert!(
            !cache.contains(IP_B),
            "a refused first packet creates no entry"
        );
        assert_eq!(
            cache.enqueue(t(0), IP_A, vec![0; 401]),
            Err(EnqueueError::BufferFull)
        );
        assert_eq!(cache.enqueue(t(0), IP_B, vec![0; 400]), Ok(true));
        assert_eq!(cache.pending_bytes(), 1_000);
        // Releasing A's packets makes room again.
        assert_eq!(cache.fill(t(1), IP_A, MAC_A).len(), 1);
        assert_eq!(cache.pending_bytes(), 400);
        assert_eq!(cache.enqueue(t(2), IP_B, vec![0; 600]), Ok(false));
        // A single packet larger than the whole buffer never fits.
        assert_eq!(
            cache.enqueue(t(2), ip(1), vec![0; 1_001]),
            Err(EnqueueError::BufferFull)
        );
    }

    #[test]
    fn zero_queue_allowance_refuses_everything() {
        let config = NeighborConfig {
            max_pending_per_neighbor: 0,
            ..NeighborConfig::default()
        };
        let mut cache = NeighborCache::new(config);
        assert_eq!(
            cache.enqueue(t(0), IP_A, vec![1]),
            Err(EnqueueError::NeighborQueueFull)
        );
        assert!(cache.is_empty());
    }

    #[test]
    fn full_cache_evicts_the_oldest_mapping() {
        let config = NeighborConfig {
            capacity: 3,
            ..NeighborConfig::default()
        };
        let mut cache = NeighborCache::new(config);
        cache.fill(t(0), ip(1), mac(1));
        cache.fill(t(1_000), ip(2), mac(2));
        cache.fill(t(2_000), ip(3), mac(3));
        // ip(1) is refreshed, so ip(2) is now the oldest.
        cache.fill(t(3_000), ip(1), mac(1));
        cache.fill(t(4_000), ip(4), mac(4));
        assert_eq!(cache.len(), 3);
        assert!(!cache.contains(ip(2)));
        for n in [1, 3, 4] {
            assert_eq!(cache.lookup(t(4_000), ip(n)), Some(mac(n)));
        }
    }

    #[test]
    fn full_cache_evicts_an_expired_mapping_first() {
        let config = NeighborConfig {
            capacity: 2,
            reachable_time: Duration::from_secs(10),
            ..NeighborConfig::default()
        };
        let mut cache = NeighborCache::new(config);
        cache.fill(t(0), ip(1), mac(1));
        cache.fill(t(5_000), ip(2), mac(2));
        // At 12 s ip(1) has expired; a new address resolving evicts it.
        assert_eq!(cache.enqueue(t(12_000), ip(3), vec![1]), Ok(true));
        assert!(!cache.contains(ip(1)));
        assert_eq!(cache.lookup(t(12_000), ip(2)), Some(mac(2)));
    }

    #[test]
    fn unresolved_entries_are_never_evicted() {
        let config = NeighborConfig {
            capacity: 2,
            ..NeighborConfig::default()
        };
        let mut cache = NeighborCache::new(config);
        assert_eq!(cache.enqueue(t(0), ip(1), vec![1]), Ok(true));
        assert_eq!(cache.enqueue(t(0), ip(2), vec![2]), Ok(true));
        assert_eq!(
            cache.enqueue(t(0), ip(3), vec![3]),
            Err(EnqueueError::CacheFull)
        );
        // Nor does learning an unrelated mapping push them out.
        assert!(cache.fill(t(0), ip(4), mac(4)).is_empty());
        assert!(!cache.contains(ip(4)));
        assert_eq!(cache.pending_packets(), 2);
        // Once one gives up, there is room again.
        poll(&mut cache, t(1_000));
        poll(&mut cache, t(2_000));
        assert_eq!(poll(&mut cache, t(3_000)).len(), 2);
        assert_eq!(cache.enqueue(t(3_000), ip(3), vec![3]), Ok(true));
    }

    #[test]
    fn zero_capacity_holds_nothing() {
        let config = NeighborConfig {
            capacity: 0,
            ..NeighborConfig::default()
        };
        let mut cache = NeighborCache::new(config);
        cache.fill(t(0), IP_A, MAC_A);
        assert_eq!(cache.lookup(t(0), IP_A), None);
        assert_eq!(
            cache.enqueue(t(0), IP_A, vec![1]),
            Err(EnqueueError::CacheFull)
        );
        assert!(cache.is_empty());
    }

    #[test]
    fn enqueue_on_a_resolved_entry_resolves_again() {
        let mut cache = cache();
        cache.fill(t(0), IP_A, MAC_A);
        assert_eq!(cache.enqueue(t(100), IP_A, vec![7]), Ok(true));
        assert_eq!(cache.lookup(t(100), IP_A), None);
        assert_eq!(cache.fill(t(200), IP_A, MAC_B), vec![vec![7]]);
    }

    #[test]
    fn expired_entry_is_resolved_again_on_the_next_packet() {
        let mut cache = cache();
        cache.fill(t(0), IP_A, MAC_A);
        assert_eq!(cache.lookup(t(61_000), IP_A), None);
        assert_eq!(cache.enqueue(t(61_000), IP_A, vec![1]), Ok(true));
        assert_eq!(cache.fill(t(61_010), IP_A, MAC_A), vec![vec![1]]);
    }

    #[test]
    fn remove_drops_queued_packets_and_counts_them() {
        let mut cache = cache();
        cache.enqueue(t(0), IP_A, vec![1, 2]).unwrap();
        cache.enqueue(t(0), IP_A, vec![3]).unwrap();
        cache.fill(t(0), IP_B, MAC_B);
        assert_eq!(cache.remove(IP_A), 2);
        assert_eq!(cache.pending_bytes(), 0);
        assert_eq!(cache.remove(IP_B), 0);
        assert_eq!(cache.remove(IP_B), 0);
        assert!(cache.is_empty());
    }

    #[test]
    fn table_reads_like_ip_neigh() {
        let mut cache = cache();
        cache.fill(t(0), ip(1), mac(1));
        cache.fill(t(0), ip(3), mac(3));
        cache.enqueue(t(0), ip(2), vec![1]).unwrap();
        cache.fill(t(30_000), ip(3), mac(3));
        let rows: Vec<String> = cache.iter(t(61_000)).map(|e| e.to_string()).collect();
        assert_eq!(
            rows,
            [
                "10.0.1.1 lladdr 02:00:00:00:01:01 STALE",
                "10.0.1.2 INCOMPLETE (1 requests sent, 1 packets queued)",
                "10.0.1.3 lladdr 02:00:00:00:01:03 REACHABLE (expires in 29.000000s)",
            ]
        );
        assert_eq!(
            NeighborAction::GaveUp {
                addr: ip(2),
                dropped_packets: 1
            }
            .to_string(),
            "10.0.1.2 unreachable, 1 queued packets dropped"
        );
    }

    #[derive(Debug, Clone)]
    enum Op {
        Fill(u8, u8),
        Enqueue(u8, usize),
        Poll,
        Remove(u8),
        Advance(u16),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..12, 0u8..4).prop_map(|(a, m)| Op::Fill(a, m)),
            (0u8..12, 0usize..400).prop_map(|(a, len)| Op::Enqueue(a, len)),
            Just(Op::Poll),
            (0u8..12).prop_map(Op::Remove),
            (0u16..3000).prop_map(Op::Advance),
        ]
    }

    proptest! {
        /// Whatever the stack does, the bounds hold, every queued packet is either
        /// released, dropped with a count, or still queued, and nothing panics.
        #[test]
        fn bounds_hold_and_packets_are_accounted_for(ops in proptest::collection::vec(op(), 0..200)) {
            let config = NeighborConfig {
                capacity: 5,
                reachable_time: Duration::from_secs(5),
                max_pending_per_neighbor: 3,
                max_pending_bytes: 1_000,
                ..NeighborConfig::default()
            };
            let mut cache = NeighborCache::new(config);
            let mut now = Instant::ZERO;
            let (mut queued, mut released, mut dropped) = (0usize, 0usize, 0usize);
            for op in ops {
                match op {
                    Op::Fill(a, m) => released += cache.fill(now, ip(a), mac(m)).len(),
                    Op::Enqueue(a, len) => {
                        if cache.enqueue(now, ip(a), vec![0; len]).is_ok() {
                            queued += 1;
                        }
                    }
                    Op::Poll => {
                        let mut out = Vec::new();
                        cache.poll(now, &mut out);
                        for action in out {
                            if let NeighborAction::GaveUp { dropped_packets, .. } = action {
                                dropped += dropped_packets;
                            }
                        }
                        if let Some(at) = cache.poll_at() {
                            prop_assert!(at > now);
                        }
                    }
                    Op::Remove(a) => dropped += cache.remove(ip(a)),
                    Op::Advance(ms) => now += Duration::from_millis(u64::from(ms)),
                }
                prop_assert!(cache.len() <= config.capacity);
                prop_assert!(cache.pending_bytes() <= config.max_pending_bytes);
                prop_assert_eq!(queued, released + dropped + cache.pending_packets());
                for entry in cache.iter(now) {
                    if let NeighborState::Incomplete { queued_packets, .. } = entry.state {
                        prop_assert!((1..=3).contains(&queued_packets));
                    }
                }
            }
        }
    }
}
