//! TCP on the interface: segments in to the `tundra-tcp` endpoint, segments out of it
//! into IPv4 packets.
//!
//! The endpoint owns every connection and listener (RFC 9293 lives in `tundra-tcp`);
//! the interface only checks that a segment is addressed to us, hands it over, and
//! wraps what the endpoint emits in IP headers. Applications reach the sockets
//! through [`Interface::tcp`].

use tundra_core::Instant;
use tundra_ip::{ChecksumFill, ChecksumMode, IpProtocol, Ipv4Addr, Ipv4Repr};
use tundra_tcp::{Endpoint, EndpointConfig, TcpConfig};

use super::{Interface, IPV4_HEADER_LEN};
use crate::RxChecksum;

/// Segments the endpoint emitted during one poll, each already in its frame, waiting
/// for the IP header (kept between polls so a poll allocates nothing).
#[derive(Debug, Default)]
pub(super) struct TcpOutbox {
    frames: Vec<(Ipv4Addr, Vec<u8>)>,
}

/// The endpoint for an interface whose device carries IP packets of `mtu` bytes:
/// the MSS we announce is the MTU less the IPv4 and TCP headers (RFC 9293 §3.7.1).
pub(super) fn endpoint_for(mtu: usize, seed: u64) -> Endpoint {
    let config = EndpointConfig {
        connection: TcpConfig::for_mtu(mtu),
        ..EndpointConfig::default()
    };
    Endpoint::new(config, seed)
}

impl Interface {
    /// The TCP layer: listen, accept, connect, and each connection's send/recv/close.
    pub fn tcp(&mut self) -> &mut Endpoint {
        &mut self.tcp
    }

    /// The TCP layer, read-only (socket table, counters).
    pub fn tcp_ref(&self) -> &Endpoint {
        &self.tcp
    }

    /// Whether the device the next frames go to completes TCP checksums
    /// ([`crate::Device::tx_checksum_offload`]): if so, TCP segments leave only the
    /// pseudo-header sum in the field, as Linux does for a NIC with checksum offload.
    pub fn set_tx_checksum_offload(&mut self, on: bool) {
        self.tcp.set_checksum_fill(if on {
            ChecksumFill::PseudoHeader
        } else {
            ChecksumFill::Full
        });
    }

    pub(super) fn receive_tcp(
        &mut self,
        now: Instant,
        ip: &Ipv4Repr,
        payload: &[u8],
        to_us: bool,
        checksum: RxChecksum,
    ) {
        // RFC 1122 §4.2.3.10: a SYN to a broadcast or multicast address is ignored;
        // TCP has no business with any segment not addressed to us.
        if !to_us {
            self.counters.ip_tcp_not_unicast += 1;
            return;
        }
        self.counters.ip_delivered += 1;
        let mode = match checksum {
            RxChecksum::Unverified => ChecksumMode::Verify,
            // The kernel beyond the device built the segment and left its checksum to
            // us as to a NIC: nothing to verify (see `RxChecksum`).
            RxChecksum::Trusted => ChecksumMode::Ignore,
        };
        self.tcp
            .receive_with(now, ip.src_addr, ip.dst_addr, payload, mode);
    }

    /// Fires TCP timers and sends every segment the connections have ready. Each
    /// segment is written straight into its frame, behind the room for the IP (and
    /// link) header, which is filled in once TCP is done: the segment is built once
    /// and not copied again before the device.
    pub(super) fn poll_tcp(&mut self, now: Instant) {
        let mut out = std::mem::take(&mut self.tcp_out);
        let mut spare = std::mem::take(&mut self.spare);
        let head = self.ip_headroom();
        self.tcp.poll_transmit_with(now, |segment| {
            debug_assert!(IPV4_HEADER_LEN + segment.len() <= self.mtu);
            let mut frame = spare.pop().unwrap_or_default();
            frame.clear();
            frame.resize(head + segment.len(), 0);
            segment.write(&mut frame[head..]);
            out.frames.push((segment.dst, frame));
        });
        self.spare = spare;
        for (dst, frame) in out.frames.drain(..) {
            let sent = self
                .route(dst)
                .and_then(|hop| self.send_ip_frame(now, dst, hop, IpProtocol::Tcp, frame));
            if let Err(e) = sent {
                // Lost like on a wire; TCP retransmits.
                log::debug!("tcp: segment to {dst} not sent: {e}");
            }
        }
        self.tcp_out = out;
    }
}
