//! Layer 2 for Tundra: Ethernet II frames, MAC addresses, ARP for IPv4 over Ethernet
//! (RFC 826) and the neighbor cache with its queue of packets awaiting resolution.

#![forbid(unsafe_code)]
