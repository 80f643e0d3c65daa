//! TCP segmentation and checksum offload on the TUN device (`IFF_VNET_HDR`).
//!
//! Every `write(2)` to a TUN device costs a system call, an `sk_buff` and one trip
//! through the kernel's receive path (IP, TCP, a wake-up of the reading socket). A bulk
//! sender that writes one MSS-sized segment at a time spends most of its time there.
//! With `IFF_VNET_HDR` each write starts with a `virtio_net_hdr`, which can say "this
//! is a TCP super-segment: cut it into `gso_size` pieces" (GSO). The kernel then moves
//! 64 KiB per write and, for a local destination, hands it to its TCP as one large
//! segment, as GRO does for a NIC; a forwarded one is cut on the way out.
//!
//! [`TsoBatch`] joins *consecutive* frames the stack transmits into such a write only
//! when the kernel's segmentation gives back exactly those frames (`tcp_gso_segment`
//! and `inet_gso_segment` in Linux): same IPv4 header but for the total length, the
//! checksum and an identification one higher each time; same TCP ports, ACK number,
//! window and options (so the same timestamp); sequence numbers that follow on; every
//! segment but the last exactly `gso_size` bytes of data; the flags of all equal but
//! for PSH and FIN, which only the last may carry (the kernel clears them on the
//! others). Anything else (ACKs without data, SYNs, RSTs, fragments, IP options, other
//! protocols) ends the batch and is written alone. The bytes on the wire, and in a
//! pcap recorded above the device, are the same as without offload.
//!
//! Frames are parsed with bounds checks only; a frame that is not what it claims is
//! simply not joined.
//!
//! **Checksum offload.** The same header carries `VIRTIO_NET_HDR_F_NEEDS_CSUM`: "the
//! field at `csum_start + csum_offset` holds the pseudo-header sum; sum the packet from
//! `csum_start` and write the complement there", what Linux asks of a NIC with
//! checksum offload (`CHECKSUM_PARTIAL`). Out, the stack leaves every TCP checksum
//! that way for this device (`Device::tx_checksum_offload`), and each write says so
//! ([`tx_header`], and the super-segment's header); a kernel delivering locally then
//! never computes it at all, and one forwarding it computes it once. In, the kernel
//! hands over its own TCP segments the same way; the device passes them on as they
//! are, marked `RxChecksum::Trusted` (they never crossed a wire), and the stack skips
//! the TCP checksum. [`complete_tcp_checksum`] does what the NIC would, for whoever
//! needs the bytes whole: a pcap tap, or a plain `Device::receive`.

/// Length of `struct virtio_net_hdr` (legacy, without `num_buffers`).
pub(crate) const VNET_HDR_LEN: usize = 10;
/// `VIRTIO_NET_HDR_F_NEEDS_CSUM`: the checksum at `csum_start + csum_offset` is only
/// the pseudo-header's; the kernel completes it for each segment.
const F_NEEDS_CSUM: u8 = 1;
/// `VIRTIO_NET_HDR_GSO_TCPV4`.
const GSO_TCPV4: u8 = 1;
const IPV4_HEADER_LEN: usize = 20;
/// Where the checksum field is in a TCP header.
const TCP_CHECKSUM_OFFSET: u16 = 16;
const TCP_FIN: u8 = 0x01;
const TCP_PSH: u8 = 0x08;
const TCP_ACK: u8 = 0x10;
const TCP_CWR: u8 = 0x80;
/// Flags a joined segment may carry: ACK always, PSH and FIN on the last only.
const JOINABLE_FLAGS: u8 = TCP_ACK | TCP_PSH | TCP_FIN;
/// Largest IPv4 total length.
const MAX_IP_LEN: usize = 0xffff;

/// The IPv4/TCP headers of a frame that could be part of a super-segment.
#[derive(Debug, Clone, Copy)]
struct Segment {
    /// IPv4 plus TCP header length.
    hdr_len: usize,
    ident: u16,
    seq: u32,
    flags: u8,
    payload_len: usize,
}

impl Segment {
    /// The segment's headers if `frame` is an unfragmented IPv4 packet without options
    /// carrying a TCP segment with data and only ACK/PSH/FIN set.
    fn parse(frame: &[u8]) -> Option<Segment> {
        // A whole IPv4 packet (no MF, offset 0) carrying TCP, without IP options.
        if tcp_in_ipv4(frame)? != IPV4_HEADER_LEN {
            return None;
        }
        let ip = &frame[..IPV4_HEADER_LEN];
        let tcp = &frame[IPV4_HEADER_LEN..IPV4_HEADER_LEN + 20];
        let doff = usize::from(tcp[12] >> 4) * 4;
        let hdr_len = IPV4_HEADER_LEN + doff;
        // Reserved bits clear, and no flags beyond ACK|PSH|FIN (URG, ECE, CWR, SYN,
        // RST each have their own rules on segmentation).
        if doff < 20 || frame.len() <= hdr_len || tcp[12] & 0x0f != 0 {
            return None;
        }
        let flags = tcp[13];
        if flags & !JOINABLE_FLAGS != 0 || flags & TCP_ACK == 0 || tcp[18..20] != [0, 0] {
            return None;
        }
        Some(Segment {
            hdr_len,
            ident: u16::from_be_bytes([ip[4], ip[5]]),
            seq: u32::from_be_bytes([tcp[4], tcp[5], tcp[6], tcp[7]]),
            flags,
            payload_len: frame.len() - hdr_len,
        })
    }

    /// Whether this segment ends a batch: the kernel puts PSH and FIN on the last
    /// segment only.
    fn is_last(&self) -> bool {
        self.flags & (TCP_PSH | TCP_FIN) != 0
    }
}

/// Consecutive TCP segments of one flow, joined into one GSO write (see the module
/// doc). Holds the first frame verbatim and appends the payloads of the others.
#[derive(Debug, Default)]
pub(crate) struct TsoBatch {
    /// `virtio_net_hdr` + the first frame + the later payloads.
    buf: Vec<u8>,
    segments: usize,
    /// Data per segment (the first segment's), the `gso_size`.
    seg_size: usize,
    hdr_len: usize,
    next_ident: u16,
    next_seq: u32,
    /// Whether another segment may still join.
    open: bool,
}

/// What [`TsoBatch::push`] did with a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Push {
    /// The frame is in the batch.
    Joined,
    /// A data segment that cannot follow what the batch holds: write the batch
    /// ([`TsoBatch::finish`]), then offer the frame again to start the next one.
    StartsAnother,
    /// Not a segment any batch could hold (not TCP data, other flags, options in the
    /// IP header, ...): write the batch, then this frame alone.
    Alone,
}

impl TsoBatch {
    /// Frames held.
    pub(crate) fn segments(&self) -> usize {
        self.segments
    }

    /// Takes `frame` into the batch if it can be cut back out of it; otherwise says
    /// what the caller must do instead (see [`Push`]).
    pub(crate) fn push(&mut self, frame: &[u8]) -> Push {
        let Some(seg) = Segment::parse(frame) else {
            return Push::Alone;
        };
        if self.segments == 0 {
            self.buf.clear();
            self.buf.extend_from_slice(&[0; VNET_HDR_LEN]);
            self.buf.extend_from_slice(frame);
            self.segments = 1;
            self.seg_size = seg.payload_len;
            self.hdr_len = seg.hdr_len;
            self.next_ident = seg.ident.wrapping_add(1);
            self.next_seq = seg.seq.wrapping_add(seg.payload_len as u32);
            self.open = !seg.is_last();
            return Push::Joined;
        }
        if !self.open
            || seg.hdr_len != self.hdr_len
            || seg.ident != self.next_ident
            || seg.seq != self.next_seq
            || seg.payload_len > self.seg_size
            || self.buf.len() - VNET_HDR_LEN + seg.payload_len > MAX_IP_LEN
        {
            return Push::StartsAnother;
        }
        let first = &self.buf[VNET_HDR_LEN..VNET_HDR_LEN + self.hdr_len];
        let (ip, tcp) = (
            &frame[..IPV4_HEADER_LEN],
            &frame[IPV4_HEADER_LEN..seg.hdr_len],
        );
        // IPv4: all but total length (2..4), identification (4..6) and checksum
        // (10..12).
        let same_ip =
            ip[..2] == first[..2] && ip[6..10] == first[6..10] && ip[12..] == first[12..20];
        let t = &first[IPV4_HEADER_LEN..];
        // TCP: all but the sequence number (4..8), the checksum (16..18) and PSH/FIN.
        let same_tcp = tcp[..4] == t[..4]
            && tcp[8..13] == t[8..13]
            && tcp[13] & !(TCP_PSH | TCP_FIN) == t[13]
            && tcp[14..16] == t[14..16]
            && tcp[18..] == t[18..];
        if !same_ip || !same_tcp {
            return Push::StartsAnother;
        }
        self.buf.extend_from_slice(&frame[seg.hdr_len..]);
        // The super-segment carries the last segment's PSH/FIN.
        self.buf[VNET_HDR_LEN + IPV4_HEADER_LEN + 13] |= seg.flags & (TCP_PSH | TCP_FIN);
        self.segments += 1;
        self.next_ident = seg.ident.wrapping_add(1);
        self.next_seq = seg.seq.wrapping_add(seg.payload_len as u32);
        // A short segment can only be the last one.
        self.open = !seg.is_last() && seg.payload_len == self.seg_size;
        Push::Joined
    }

    /// The write for what the batch holds (`virtio_net_hdr` + packet), or `None` if it
    /// is empty; the batch is empty afterwards. A lone frame goes out as it came, with
    /// a header asking the kernel to complete its checksum; several become one GSO
    /// super-segment whose TCP checksum field holds the pseudo-header sum for the
    /// kernel to complete.
    pub(crate) fn finish(&mut self) -> Option<&[u8]> {
        if self.segments == 0 {
            return None;
        }
        let joined = self.segments > 1;
        self.segments = 0;
        if !joined {
            // The stack left the pseudo-header sum (the device offloads checksums).
            self.buf[..VNET_HDR_LEN].copy_from_slice(&partial_tcp_hdr(IPV4_HEADER_LEN).to_bytes());
            return Some(&self.buf);
        }
        let ip_len = self.buf.len() - VNET_HDR_LEN;
        let tcp_len = ip_len - IPV4_HEADER_LEN;
        let hdr = VirtioNetHdr {
            gso_type: GSO_TCPV4,
            hdr_len: self.hdr_len as u16,
            gso_size: self.seg_size as u16,
            ..partial_tcp_hdr(IPV4_HEADER_LEN)
        };
        self.buf[..VNET_HDR_LEN].copy_from_slice(&hdr.to_bytes());
        let packet = &mut self.buf[VNET_HDR_LEN..];
        packet[2..4].copy_from_slice(&(ip_len as u16).to_be_bytes());
        packet[10..12].copy_from_slice(&[0, 0]);
        let ip_sum = !tundra_ip::checksum::data(&packet[..IPV4_HEADER_LEN]);
        packet[10..12].copy_from_slice(&ip_sum.to_be_bytes());
        let src = ipv4(&packet[12..16]);
        let dst = ipv4(&packet[16..20]);
        // CHECKSUM_PARTIAL: the field holds the (uncomplemented) pseudo-header sum
        // (RFC 9293 §3.1), the kernel adds the segment's bytes from `csum_start`.
        let pseudo = tundra_ip::checksum::pseudo_header(
            src,
            dst,
            tundra_ip::IpProtocol::Tcp,
            tcp_len as u32,
        );
        packet[IPV4_HEADER_LEN + 16..IPV4_HEADER_LEN + 18].copy_from_slice(&pseudo.to_be_bytes());
        Some(&self.buf)
    }
}

fn ipv4(b: &[u8]) -> core::net::Ipv4Addr {
    core::net::Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

/// `struct virtio_net_hdr`, in the host's byte order (a TUN device without
/// `TUNSETVNETLE`/`TUNSETVNETBE` uses the legacy native-endian layout).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct VirtioNetHdr {
    pub(crate) flags: u8,
    pub(crate) gso_type: u8,
    pub(crate) hdr_len: u16,
    pub(crate) gso_size: u16,
    pub(crate) csum_start: u16,
    pub(crate) csum_offset: u16,
}

impl VirtioNetHdr {
    pub(crate) fn to_bytes(self) -> [u8; VNET_HDR_LEN] {
        let mut b = [0u8; VNET_HDR_LEN];
        b[0] = self.flags;
        b[1] = self.gso_type;
        b[2..4].copy_from_slice(&self.hdr_len.to_ne_bytes());
        b[4..6].copy_from_slice(&self.gso_size.to_ne_bytes());
        b[6..8].copy_from_slice(&self.csum_start.to_ne_bytes());
        b[8..10].copy_from_slice(&self.csum_offset.to_ne_bytes());
        b
    }

    pub(crate) fn from_bytes(b: &[u8; VNET_HDR_LEN]) -> VirtioNetHdr {
        let u16_at = |i: usize| u16::from_ne_bytes([b[i], b[i + 1]]);
        VirtioNetHdr {
            flags: b[0],
            gso_type: b[1],
            hdr_len: u16_at(2),
            gso_size: u16_at(4),
            csum_start: u16_at(6),
            csum_offset: u16_at(8),
        }
    }
}

/// `VIRTIO_NET_HDR_GSO_NONE`.
pub(crate) const GSO_NONE: u8 = 0;

/// Why a frame the kernel handed over with offloads could not be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OffloadError {
    /// A GSO type other than TCPv4, or no `gso_size`.
    Unsupported,
    /// Offsets or lengths that do not fit the frame.
    Malformed,
}

/// Completes a `CHECKSUM_PARTIAL` frame (`VIRTIO_NET_HDR_F_NEEDS_CSUM`): the field at
/// `csum_start + csum_offset` holds the pseudo-header sum, and the checksum of
/// everything from `csum_start` goes there.
pub(crate) fn complete_checksum(frame: &mut [u8], hdr: &VirtioNetHdr) -> Result<(), OffloadError> {
    if hdr.flags & F_NEEDS_CSUM == 0 {
        return Ok(());
    }
    let start = usize::from(hdr.csum_start);
    let field = start + usize::from(hdr.csum_offset);
    if field + 2 > frame.len() {
        return Err(OffloadError::Malformed);
    }
    let mut sum = !tundra_ip::checksum::data(&frame[start..]);
    if sum == 0 && frame.get(9) == Some(&17) {
        // RFC 768: a computed UDP checksum of zero is sent as all ones (zero means
        // "no checksum").
        sum = 0xffff;
    }
    frame[field..field + 2].copy_from_slice(&sum.to_be_bytes());
    Ok(())
}

/// The `virtio_net_hdr` of a lone TCP segment whose checksum field holds the
/// pseudo-header sum (the stack's `ChecksumFill::PseudoHeader`): the kernel completes
/// it from `ip_header_len`, the start of the TCP header, like a NIC would.
pub(crate) fn partial_tcp_hdr(ip_header_len: usize) -> VirtioNetHdr {
    VirtioNetHdr {
        flags: F_NEEDS_CSUM,
        csum_start: ip_header_len as u16,
        csum_offset: TCP_CHECKSUM_OFFSET,
        ..VirtioNetHdr::default()
    }
}

/// The virtio header of a frame written alone: TCP (whose checksum field holds the
/// pseudo-header sum: the device offloads checksums) asks the kernel to complete it;
/// anything else carries complete checksums and an all-zero header.
pub(crate) fn tx_header(frame: &[u8]) -> [u8; VNET_HDR_LEN] {
    tcp_in_ipv4(frame).map_or([0; VNET_HDR_LEN], |ihl| partial_tcp_hdr(ihl).to_bytes())
}

/// The IPv4 header length of `frame` if it is a whole (unfragmented) IPv4 packet
/// carrying TCP with at least a TCP header: the frames whose checksum the device
/// leaves partial or completes.
pub(crate) fn tcp_in_ipv4(frame: &[u8]) -> Option<usize> {
    let ip = frame.get(..IPV4_HEADER_LEN)?;
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let fragment = u16::from_be_bytes([ip[6], ip[7]]) & 0x3fff != 0;
    let whole = usize::from(u16::from_be_bytes([ip[2], ip[3]])) == frame.len();
    (ip[0] >> 4 == 4 && ihl >= IPV4_HEADER_LEN && ip[9] == 6 && !fragment && whole)
        .then_some(ihl)
        .filter(|&ihl| frame.len() >= ihl + 20)
}

/// True if the kernel handed `frame` over as a TCP segment whose checksum it left to
/// us (`VIRTIO_NET_HDR_F_NEEDS_CSUM` at the TCP checksum field): a packet it built
/// itself, which the stack may take without verifying ([`tundra_stack::RxChecksum`]).
pub(crate) fn is_partial_tcp(frame: &[u8], hdr: &VirtioNetHdr) -> bool {
    hdr.flags & F_NEEDS_CSUM != 0
        && hdr.csum_offset == TCP_CHECKSUM_OFFSET
        && tcp_in_ipv4(frame).is_some_and(|ihl| usize::from(hdr.csum_start) == ihl)
}

/// Completes the TCP checksum of an IPv4 frame whose field holds the pseudo-header
/// sum (what the kernel hands over partial, and what the stack leaves for a device
/// that offloads checksums): what a NIC would write. Anything else is left alone.
pub(crate) fn complete_tcp_checksum(frame: &mut [u8]) {
    if let Some(ihl) = tcp_in_ipv4(frame) {
        // Cannot fail: `tcp_in_ipv4` saw the whole TCP header, checksum field included.
        let _ = complete_checksum(frame, &partial_tcp_hdr(ihl));
    }
}

/// A TCP super-segment the kernel handed over (`VIRTIO_NET_HDR_GSO_TCPV4`, after
/// `TUNSETOFFLOAD` allowed it), cut back into the segments it stands for, one per
/// [`GsoSplitter::next`], as Linux's `tcp_gso_segment` would have cut them: every
/// segment `gso_size` bytes of data but the last, sequence numbers following on, IP
/// identification one higher each time, FIN and PSH on the last segment only, CWR on
/// the first only, the IPv4 checksum computed and the TCP checksum left partial like
/// the super-segment's (the pseudo-header sum; see [`complete_tcp_checksum`]).
#[derive(Debug, Default)]
pub(crate) struct GsoSplitter {
    packet: Vec<u8>,
    ip_len: usize,
    hdr_len: usize,
    seg_size: usize,
    /// Offset in `packet` of the next segment's data.
    next: usize,
    index: u16,
}

impl GsoSplitter {
    /// Takes the super-segment `frame` described by `hdr`; its segments come out of
    /// [`GsoSplitter::next`]. Whatever an earlier one had left is dropped.
    pub(crate) fn load(&mut self, frame: &[u8], hdr: &VirtioNetHdr) -> Result<(), OffloadError> {
        self.next = 0;
        self.packet.clear();
        if hdr.gso_type & 0x7f != GSO_TCPV4 || hdr.gso_size == 0 {
            return Err(OffloadError::Unsupported);
        }
        let ip = frame
            .get(..IPV4_HEADER_LEN)
            .ok_or(OffloadError::Malformed)?;
        let ip_len = usize::from(ip[0] & 0x0f) * 4;
        if ip[0] >> 4 != 4 || ip_len < IPV4_HEADER_LEN || ip[9] != 6 {
            return Err(OffloadError::Malformed);
        }
        let doff = frame
            .get(ip_len + 12)
            .map(|b| usize::from(b >> 4) * 4)
            .ok_or(OffloadError::Malformed)?;
        let hdr_len = ip_len + doff;
        if doff < 20 || frame.len() <= hdr_len {
            return Err(OffloadError::Malformed);
        }
        self.packet.extend_from_slice(frame);
        self.ip_len = ip_len;
        self.hdr_len = hdr_len;
        self.seg_size = usize::from(hdr.gso_size);
        self.next = hdr_len;
        self.index = 0;
        Ok(())
    }

    /// Writes the next segment into `buf` and returns its length, or `None` when all
    /// have been given out (or `buf` is too small for one, which drops the rest).
    pub(crate) fn next(&mut self, buf: &mut [u8]) -> Option<usize> {
        if self.next == 0 || self.next >= self.packet.len() {
            self.next = 0;
            return None;
        }
        let (ip_len, hdr_len) = (self.ip_len, self.hdr_len);
        let data = self.seg_size.min(self.packet.len() - self.next);
        let len = hdr_len + data;
        if buf.len() < len {
            self.next = 0;
            return None;
        }
        let last = self.next + data == self.packet.len();
        let first = self.index == 0;
        buf[..hdr_len].copy_from_slice(&self.packet[..hdr_len]);
        buf[hdr_len..len].copy_from_slice(&self.packet[self.next..self.next + data]);
        let offset = (self.next - hdr_len) as u32;
        let seg = &mut buf[..len];
        // IPv4: total length, identification, header checksum.
        seg[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        let ident = u16::from_be_bytes([seg[4], seg[5]]).wrapping_add(self.index);
        seg[4..6].copy_from_slice(&ident.to_be_bytes());
        seg[10..12].copy_from_slice(&[0, 0]);
        let sum = !tundra_ip::checksum::data(&seg[..ip_len]);
        seg[10..12].copy_from_slice(&sum.to_be_bytes());
        // TCP: sequence number, flags, checksum.
        let tcp = ip_len;
        let seq = u32::from_be_bytes([seg[tcp + 4], seg[tcp + 5], seg[tcp + 6], seg[tcp + 7]]);
        seg[tcp + 4..tcp + 8].copy_from_slice(&seq.wrapping_add(offset).to_be_bytes());
        if !last {
            seg[tcp + 13] &= !(TCP_PSH | TCP_FIN);
        }
        if !first {
            seg[tcp + 13] &= !TCP_CWR;
        }
        // The TCP checksum stays partial, as the kernel left the super-segment's: the
        // pseudo-header sum for this segment's length (`complete_tcp_checksum`
        // finishes it for whoever needs it whole).
        let src = ipv4(&seg[12..16]);
        let dst = ipv4(&seg[16..20]);
        let pseudo = tundra_ip::checksum::pseudo_header(
            src,
            dst,
            tundra_ip::IpProtocol::Tcp,
            (len - ip_len) as u32,
        );
        seg[tcp + 16..tcp + 18].copy_from_slice(&pseudo.to_be_bytes());
        self.next += data;
        self.index = self.index.wrapping_add(1);
        Some(len)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use tundra_ip::checksum;

    const SRC: [u8; 4] = [10, 0, 0, 2];
    const DST: [u8; 4] = [10, 0, 0, 1];

    /// An IPv4/TCP frame as the stack sends it: DF, a timestamp option, both checksums.
    pub(crate) fn segment(ident: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![
            0x45, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
        ];
        f.extend_from_slice(&SRC);
        f.extend_from_slice(&DST);
        f[4..6].copy_from_slice(&ident.to_be_bytes());
        // Ports 19 > 40000, seq, ack 0x01020304, data offset 8 words, flags, window.
        f.extend_from_slice(&[0x00, 0x13, 0x9c, 0x40]);
        f.extend_from_slice(&seq.to_be_bytes());
        f.extend_from_slice(&[0x01, 0x02, 0x03, 0x04, 0x80, flags, 0x10, 0x00]);
        f.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
        f.extend_from_slice(&[0x01, 0x01, 0x08, 0x0a, 0, 0, 0x12, 0x34, 0, 0, 0x56, 0x78]);
        f.extend_from_slice(payload);
        let len = f.len() as u16;
        f[2..4].copy_from_slice(&len.to_be_bytes());
        let ip_sum = !checksum::data(&f[..20]);
        f[10..12].copy_from_slice(&ip_sum.to_be_bytes());
        let pseudo = checksum::pseudo_header(
            SRC.into(),
            DST.into(),
            tundra_ip::IpProtocol::Tcp,
            u32::from(len) - 20,
        );
        let sum = !checksum::combine(&[pseudo, checksum::data(&f[20..])]);
        f[36..38].copy_from_slice(&sum.to_be_bytes());
        f
    }

    /// `frame` as the stack hands it to a device that offloads checksums: the TCP
    /// checksum field holds the pseudo-header sum.
    pub(crate) fn partial(frame: &[u8]) -> Vec<u8> {
        let mut f = frame.to_vec();
        let pseudo = checksum::pseudo_header(
            SRC.into(),
            DST.into(),
            tundra_ip::IpProtocol::Tcp,
            (f.len() - 20) as u32,
        );
        f[36..38].copy_from_slice(&pseudo.to_be_bytes());
        f
    }

    /// `count` segments of `size` bytes (the last `last` bytes) from one burst.
    fn burst(count: usize, size: usize, last: usize, last_flags: u8) -> Vec<Vec<u8>> {
        let mut seq = 0xffff_f000u32; // wraps inside the burst
        (0..count)
            .map(|i| {
                let (len, flags) = if i + 1 == count {
                    (last, last_flags)
                } else {
                    (size, TCP_ACK)
                };
                let data: Vec<u8> = (0..len).map(|j| (i * 7 + j) as u8).collect();
                let f = segment(0xfffe_u16.wrapping_add(i as u16), seq, flags, &data);
                seq = seq.wrapping_add(len as u32);
                f
            })
            .collect()
    }

    /// Offers every frame, as the stack sends it with checksum offload (`partial`);
    /// returns the writes the device would make.
    fn writes(frames: &[Vec<u8>]) -> Vec<Vec<u8>> {
        let mut batch = TsoBatch::default();
        let mut out = Vec::new();
        for f in frames.iter().map(|f| partial(f)) {
            let f = &f;
            let verdict = batch.push(f);
            if verdict == Push::Joined {
                continue;
            }
            out.extend(batch.finish().map(<[u8]>::to_vec));
            if verdict == Push::Alone {
                let mut alone = tx_header(f).to_vec();
                alone.extend_from_slice(f);
                out.push(alone);
            } else {
                assert_eq!(
                    batch.push(f),
                    Push::Joined,
                    "an empty batch takes a segment"
                );
            }
        }
        out.extend(batch.finish().map(<[u8]>::to_vec));
        out
    }

    /// What the kernel makes of one write, cut as `tcp_gso_segment` would (by our
    /// splitter, which is checked against the original frames here) and with the
    /// checksums completed as it would complete them.
    fn kernel_view(write: &[u8]) -> Vec<Vec<u8>> {
        let hdr = VirtioNetHdr::from_bytes(write[..VNET_HDR_LEN].try_into().unwrap());
        let packet = &write[VNET_HDR_LEN..];
        if hdr.gso_type == GSO_NONE {
            let only_csum = VirtioNetHdr {
                flags: F_NEEDS_CSUM,
                csum_start: 20,
                csum_offset: 16,
                ..VirtioNetHdr::default()
            };
            assert_eq!(
                hdr, only_csum,
                "a lone TCP frame offloads its checksum only"
            );
            let mut frame = packet.to_vec();
            complete_checksum(&mut frame, &hdr).unwrap();
            return vec![frame];
        }
        let mut split = GsoSplitter::default();
        split.load(packet, &hdr).unwrap();
        let mut buf = [0u8; 0x1_0000];
        std::iter::from_fn(|| {
            let n = split.next(&mut buf)?;
            complete_tcp_checksum(&mut buf[..n]);
            Some(buf[..n].to_vec())
        })
        .collect()
    }

    #[test]
    fn a_burst_becomes_one_write_that_cuts_back_into_the_same_frames() {
        for (count, last, flags) in [
            (44, 1448, TCP_ACK | TCP_PSH),
            (5, 100, TCP_ACK | TCP_FIN),
            (2, 1448, TCP_ACK),
        ] {
            let frames = burst(count, 1448, last, flags);
            let out = writes(&frames);
            assert_eq!(out.len(), 1, "{count} segments in one write");
            let hdr = VirtioNetHdr::from_bytes(out[0][..VNET_HDR_LEN].try_into().unwrap());
            assert_eq!(
                (hdr.gso_type, hdr.gso_size, hdr.hdr_len),
                (GSO_TCPV4, 1448, 52)
            );
            assert_eq!(
                (hdr.flags, hdr.csum_start, hdr.csum_offset),
                (F_NEEDS_CSUM, 20, 16)
            );
            assert_eq!(
                checksum::data(&out[0][VNET_HDR_LEN..VNET_HDR_LEN + 20]),
                0xffff
            );
            assert_eq!(kernel_view(&out[0]), frames);
        }
    }

    #[test]
    fn a_write_never_exceeds_the_largest_ip_packet() {
        let frames = burst(100, 1448, 1448, TCP_ACK);
        let out = writes(&frames);
        assert!(out.len() > 1);
        assert!(out.iter().all(|w| w.len() - VNET_HDR_LEN <= MAX_IP_LEN));
        let seen: Vec<Vec<u8>> = out.iter().flat_map(|w| kernel_view(w)).collect();
        assert_eq!(seen, frames);
    }

    #[test]
    fn frames_the_kernel_could_not_cut_back_are_written_alone() {
        let base = burst(4, 1000, 1000, TCP_ACK);
        let mut cases: Vec<(&str, Vec<Vec<u8>>)> = Vec::new();
        let mut psh = base.clone();
        psh[1] = segment(0xffff, 0xffff_f000 + 1000, TCP_ACK | TCP_PSH, &[1; 1000]);
        cases.push(("PSH in the middle", psh));
        let mut gap = base.clone();
        gap[2] = segment(0x0000, 0xffff_f000 + 2001, TCP_ACK, &[1; 1000]);
        cases.push(("sequence gap", gap));
        let mut ident = base.clone();
        ident[2] = segment(0x0007, 0xffff_f000 + 2000, TCP_ACK, &[1; 1000]);
        cases.push(("identification jump", ident));
        let mut short = base.clone();
        short[1] = segment(0xffff, 0xffff_f000 + 1000, TCP_ACK, &[1; 10]);
        short[2] = segment(0x0000, 0xffff_f000 + 1010, TCP_ACK, &[1; 1000]);
        cases.push(("short segment in the middle", short));
        let mut ack = base.clone();
        ack[2][28] ^= 1; // another ACK number
        cases.push(("different ACK", ack));
        for (what, frames) in cases {
            let out = writes(&frames);
            assert!(out.len() >= 2, "{what}: must not be one write");
            let seen: Vec<Vec<u8>> = out.iter().flat_map(|w| kernel_view(w)).collect();
            // The changed frames carry stale checksums; compare what is not one.
            assert_eq!(seen.len(), frames.len(), "{what}");
            for (a, b) in seen.iter().zip(&frames) {
                assert_eq!(a[40..], b[40..], "{what}: payload");
                assert_eq!(a[..10], b[..10], "{what}: IP header");
            }
        }
    }

    #[test]
    fn only_tcp_data_with_ack_psh_fin_joins() {
        let syn = segment(1, 0, 0x02, &[1; 10]);
        let rst = segment(1, 0, 0x14, &[1; 10]);
        let pure_ack = segment(1, 0, TCP_ACK, &[]);
        let mut udp = segment(1, 0, TCP_ACK, &[1; 10]);
        udp[9] = 17;
        let mut fragment = segment(1, 0, TCP_ACK, &[1; 10]);
        fragment[6] = 0x20; // MF
        let mut batch = TsoBatch::default();
        for f in [syn, rst, pure_ack, udp, fragment] {
            assert_eq!(batch.push(&f), Push::Alone);
        }
        assert_eq!(
            batch.push(&[0x45, 0x00]),
            Push::Alone,
            "a truncated frame is not parsed"
        );
        assert!(batch.finish().is_none());
    }

    #[test]
    fn splitting_sets_flags_like_tcp_gso_segment() {
        // One super-segment with PSH, FIN and CWR: CWR stays on the first segment
        // only, PSH and FIN on the last only.
        let mut whole = segment(9, 1000, TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR, &[7; 2500]);
        let hdr = VirtioNetHdr {
            flags: F_NEEDS_CSUM,
            gso_type: GSO_TCPV4,
            hdr_len: 52,
            gso_size: 1000,
            csum_start: 20,
            csum_offset: 16,
        };
        whole[36..38].copy_from_slice(&[0xde, 0xad]); // ignored: recomputed
        let mut split = GsoSplitter::default();
        split.load(&whole, &hdr).unwrap();
        let mut buf = [0u8; 2000];
        let mut segs = Vec::new();
        while let Some(n) = split.next(&mut buf) {
            segs.push(buf[..n].to_vec());
        }
        let flags: Vec<u8> = segs.iter().map(|s| s[33]).collect();
        assert_eq!(
            flags,
            [TCP_ACK | TCP_CWR, TCP_ACK, TCP_ACK | TCP_PSH | TCP_FIN]
        );
        let lens: Vec<usize> = segs.iter().map(|s| s.len() - 52).collect();
        assert_eq!(lens, [1000, 1000, 500]);
        for (i, s) in segs.iter().enumerate() {
            assert_eq!(
                u32::from_be_bytes(s[24..28].try_into().unwrap()),
                1000 + 1000 * i as u32
            );
            assert_eq!(u16::from_be_bytes([s[4], s[5]]), 9 + i as u16);
            assert_eq!(checksum::data(&s[..20]), 0xffff, "IP checksum");
            let pseudo = checksum::pseudo_header(
                SRC.into(),
                DST.into(),
                tundra_ip::IpProtocol::Tcp,
                (s.len() - 20) as u32,
            );
            // Left partial, as the kernel left the super-segment's.
            assert_eq!(s[36..38], pseudo.to_be_bytes(), "pseudo-header sum");
            let mut whole = s.clone();
            complete_tcp_checksum(&mut whole);
            assert_eq!(
                checksum::combine(&[pseudo, checksum::data(&whole[20..])]),
                0xffff
            );
        }
    }

    #[test]
    fn bad_super_segments_are_refused() {
        let whole = segment(9, 1000, TCP_ACK, &[7; 2500]);
        let mut hdr = VirtioNetHdr {
            flags: F_NEEDS_CSUM,
            gso_type: 4, // GSO_UDP
            gso_size: 1000,
            ..VirtioNetHdr::default()
        };
        let mut split = GsoSplitter::default();
        assert_eq!(split.load(&whole, &hdr), Err(OffloadError::Unsupported));
        hdr.gso_type = GSO_TCPV4;
        assert_eq!(split.load(&whole[..30], &hdr), Err(OffloadError::Malformed));
        assert_eq!(split.load(&whole[..52], &hdr), Err(OffloadError::Malformed));
        assert_eq!(split.next(&mut [0; 2000]), None);
        hdr.gso_size = 0;
        assert_eq!(split.load(&whole, &hdr), Err(OffloadError::Unsupported));
    }

    #[test]
    fn a_partial_checksum_is_completed() {
        let good = segment(3, 77, TCP_ACK | TCP_PSH, b"hello");
        let mut partial = good.clone();
        let pseudo = checksum::pseudo_header(
            SRC.into(),
            DST.into(),
            tundra_ip::IpProtocol::Tcp,
            (good.len() - 20) as u32,
        );
        partial[36..38].copy_from_slice(&pseudo.to_be_bytes());
        let hdr = VirtioNetHdr {
            flags: F_NEEDS_CSUM,
            csum_start: 20,
            csum_offset: 16,
            ..VirtioNetHdr::default()
        };
        complete_checksum(&mut partial, &hdr).unwrap();
        assert_eq!(partial, good);
        let far = VirtioNetHdr {
            csum_start: 200,
            ..hdr
        };
        assert_eq!(
            complete_checksum(&mut partial, &far),
            Err(OffloadError::Malformed)
        );
    }

    /// The kernel's partial TCP segments are recognised (and only those), and
    /// completing one gives the frame with its real checksum.
    #[test]
    fn a_partial_tcp_segment_is_recognised_and_completed() {
        let good = segment(3, 77, TCP_ACK | TCP_PSH, b"hello");
        let mut frame = partial(&good);
        let hdr = VirtioNetHdr {
            flags: F_NEEDS_CSUM,
            csum_start: 20,
            csum_offset: 16,
            ..VirtioNetHdr::default()
        };
        assert!(is_partial_tcp(&frame, &hdr));
        let not = [
            VirtioNetHdr { flags: 0, ..hdr },
            VirtioNetHdr {
                csum_offset: 6, // UDP's field
                ..hdr
            },
            VirtioNetHdr {
                csum_start: 24,
                ..hdr
            },
        ];
        for other in not {
            assert!(!is_partial_tcp(&frame, &other), "{other:?}");
        }
        let mut udp = frame.clone();
        udp[9] = 17;
        assert!(!is_partial_tcp(&udp, &hdr), "UDP");
        assert!(!is_partial_tcp(&frame[..30], &hdr), "truncated");
        complete_tcp_checksum(&mut frame);
        assert_eq!(frame, good);
        // Anything but a whole IPv4/TCP packet is left as it is.
        let mut fragment = partial(&good);
        fragment[6] |= 0x20;
        let before = fragment.clone();
        complete_tcp_checksum(&mut fragment);
        assert_eq!(fragment, before);
    }

    /// A frame written alone: TCP asks for its checksum to be completed from the end
    /// of the IP header; other protocols go with an all-zero header.
    #[test]
    fn a_lone_frame_offloads_only_a_tcp_checksum() {
        let tcp = partial(&segment(3, 77, 0x02, &[]));
        let hdr = VirtioNetHdr::from_bytes(&tx_header(&tcp));
        assert_eq!(
            (hdr.flags, hdr.gso_type, hdr.csum_start, hdr.csum_offset),
            (F_NEEDS_CSUM, GSO_NONE, 20, 16)
        );
        let mut icmp = tcp.clone();
        icmp[9] = 1;
        assert_eq!(tx_header(&icmp), [0; VNET_HDR_LEN]);
        assert_eq!(tx_header(&[0x45, 0]), [0; VNET_HDR_LEN]);
    }
}
