//! IPv4 fragments on the interface: received ones go to the reassembler
//! (`tundra_ip::fragment`), incomplete datagrams time out into ICMP time exceeded, and
//! datagrams we send that are too big for the MTU leave in fragments.
//!
//! RFCs to read first: RFC 791 §2.3 and §3.2 (fragmentation and reassembly), RFC 815
//! (the hole algorithm), RFC 1122 §3.3.2 (a host MUST reassemble, SHOULD send time
//! exceeded when fragment zero arrived), RFC 5722 (overlaps), RFC 6864 (the
//! identification field).

use tundra_core::Instant;
use tundra_ip::{
    fragments, FragmentError, IpProtocol, Ipv4Addr, Ipv4Packet, Ipv4Repr, Reassembled,
};

use super::icmp::ErrorReason;
use super::{Interface, SendError, ETH_HEADER_LEN, IPV4_HEADER_LEN};
use crate::Medium;

impl Interface {
    /// Hands a fragment addressed to us to the reassembler; returns the datagram when
    /// this fragment completes it. Every refusal is counted by its reason.
    pub(super) fn receive_fragment(
        &mut self,
        now: Instant,
        ip: &Ipv4Repr,
        payload: &[u8],
    ) -> Option<Reassembled> {
        self.counters.ip_frag_rx += 1;
        match self.reassembler.accept(now, ip, payload) {
            Ok(Some(whole)) => {
                self.counters.ip_reasm_ok += 1;
                log::trace!("reassembled {}", whole.header);
                Some(whole)
            }
            Ok(None) => None,
            Err(e) => {
                log::debug!("ipv4: fragment dropped ({e}): {ip}");
                let c = &mut self.counters;
                match e {
                    FragmentError::Overlap => c.ip_reasm_overlap += 1,
                    FragmentError::Duplicate => c.ip_reasm_duplicate += 1,
                    FragmentError::TooLong => c.ip_reasm_too_long += 1,
                    FragmentError::TooManyFragments => c.ip_reasm_too_many += 1,
                    FragmentError::Inconsistent => c.ip_reasm_inconsistent += 1,
                    FragmentError::BadLength => c.ip_frag_bad_length += 1,
                    _ => c.ip_reasm_no_memory += 1,
                }
                None
            }
        }
    }

    /// Drops the datagrams whose reassembly time is up, and sends ICMP time exceeded
    /// (code 1) for each whose fragment zero had arrived (RFC 792; RFC 1122 §3.3.2:
    /// SHOULD).
    pub(super) fn expire_fragments(&mut self, now: Instant) {
        for expired in self.reassembler.expire(now) {
            self.counters.ip_reasm_timeout += 1;
            log::debug!(
                "ipv4: reassembly of {} timed out with {} fragments",
                expired.key,
                expired.fragments
            );
            if let Some((header, quote)) = expired.first {
                // The link-layer destination of fragment zero is not kept: only its IP
                // destination is checked for broadcast.
                self.send_icmp_error(now, &header, &quote, false, ErrorReason::ReassemblyTimeout);
            }
        }
    }

    /// Sends a datagram from us to `dst` with Don't Fragment clear, whose payload of
    /// `payload_len` bytes is written by `fill`; if it is larger than the MTU it leaves
    /// in fragments (RFC 791 §3.2), all with the same identification (RFC 6864 §4.1:
    /// unique per source, destination and protocol while fragments may be in flight).
    ///
    /// UDP and ICMP use this, as Linux does for ICMP replies: without path MTU
    /// discovery for them, DF would only make a smaller MTU on the path a black hole.
    /// TCP keeps [`Interface::send_ip`] (DF set, segments sized to the MSS).
    pub fn send_ip_fragmenting(
        &mut self,
        now: Instant,
        dst: Ipv4Addr,
        protocol: IpProtocol,
        payload_len: usize,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<(), SendError> {
        if IPV4_HEADER_LEN + payload_len > 65_535 {
            return Err(SendError::TooLong);
        }
        let next_hop = self.route(dst)?;
        self.ip_ident = self.ip_ident.wrapping_add(1);
        let repr = Ipv4Repr {
            src_addr: self.address(),
            dst_addr: dst,
            protocol,
            payload_len,
            ttl: self.config.ttl,
            ident: self.ip_ident,
            dont_frag: false,
            more_frags: false,
            frag_offset: 0,
            dscp_ecn: 0,
        };
        let pieces = fragments(&repr, self.mtu).map_err(|_| SendError::TooLong)?;
        self.counters.ip_tx += 1;
        log::trace!("tx {repr}");
        if IPV4_HEADER_LEN + payload_len <= self.mtu {
            // One piece: write the payload straight into the frame.
            let mut frame = self.new_frame(&repr);
            fill(&mut frame[self.link_len() + IPV4_HEADER_LEN..]);
            return self.send_frame(now, next_hop, frame);
        }
        let mut payload = vec![0u8; payload_len];
        fill(&mut payload);
        self.counters.ip_frag_ok += 1;
        for (header, range) in pieces {
            log::trace!("tx {header}");
            let mut frame = self.new_frame(&header);
            let start = self.link_len() + IPV4_HEADER_LEN;
            frame[start..].copy_from_slice(&payload[range]);
            self.counters.ip_frag_created += 1;
            self.send_frame(now, next_hop, frame)?;
        }
        Ok(())
    }

    /// The link-layer header's length: none on a TUN device, Ethernet's on a TAP one.
    pub(super) fn link_len(&self) -> usize {
        match self.config.medium {
            Medium::Ip => 0,
            Medium::Ethernet => ETH_HEADER_LEN,
        }
    }

    /// A frame with room for the link header, the IPv4 header written, and the
    /// payload zeroed.
    fn new_frame(&mut self, header: &Ipv4Repr) -> Vec<u8> {
        let link_len = self.link_len();
        let mut frame = self.take_frame(link_len + header.total_len());
        header.emit(&mut Ipv4Packet::new_unchecked(&mut frame[link_len..]));
        frame
    }

    fn send_frame(
        &mut self,
        now: Instant,
        next_hop: Ipv4Addr,
        frame: Vec<u8>,
    ) -> Result<(), SendError> {
        match self.config.medium {
            Medium::Ip => {
                self.enqueue_frame(frame);
                Ok(())
            }
            Medium::Ethernet => self.send_via_neighbor(now, next_hop, frame),
        }
    }
}
