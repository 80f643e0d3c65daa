//! The [`Device`] trait: where frames come from and go to.
//!
//! A device is anything that moves whole frames: a TUN or TAP file descriptor (in
//! `tundra-tun`), a pcap tap wrapped around another device, an in-memory link between
//! two stacks, a simulated lossy network, or a recorded pcap being replayed. The stack
//! never does I/O itself: [`crate::Interface::poll_device`] pulls frames out of a
//! device and pushes the stack's queued frames into it, and the device decides what
//! that means. Wrappers compose, like smoltcp's `FaultInjector<Tracer<PcapWriter<D>>>`.

use tundra_core::Instant;

/// What a frame on the device starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Medium {
    /// Raw IP packets, no link-layer header (a TUN device with `IFF_NO_PI`).
    Ip,
    /// Ethernet II frames (a TAP device); ARP resolves neighbors.
    Ethernet,
}

/// What a device vouches for about the TCP checksum of a frame it received
/// ([`Device::receive_vouched`]).
///
/// Linux leaves the checksum of a packet it sends to a device with checksum offload
/// to the "hardware" (`CHECKSUM_PARTIAL`); a TUN device with `IFF_VNET_HDR` hands such
/// a packet over as it is, flagged `VIRTIO_NET_HDR_F_NEEDS_CSUM`, its checksum field
/// holding only the pseudo-header sum. The packet never crossed a wire, so there is
/// nothing to verify, and completing the checksum only to verify it is wasted work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RxChecksum {
    /// Nothing is known: the stack verifies every checksum (RFC 9293 §3.1, RFC 768).
    #[default]
    Unverified,
    /// A TCP segment the kernel beyond the device built itself: the stack skips the
    /// TCP checksum, whose field may hold only the pseudo-header sum. (The IPv4
    /// header checksum is always complete and still verified.)
    Trusted,
}

/// A source and sink of frames for the stack.
pub trait Device {
    /// The medium of every frame this device carries.
    fn medium(&self) -> Medium;

    /// The largest IP packet the device carries (the link-layer header is extra).
    fn mtu(&self) -> usize;

    /// Reads one frame into `buf` and returns its length, or `None` when no frame is
    /// waiting. `now` is the stack's time, for taps that timestamp what they see.
    fn receive(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize>;

    /// [`Device::receive`], also saying what the device vouches for about the frame's
    /// checksum. With [`RxChecksum::Trusted`] the frame's TCP checksum field may hold
    /// only the pseudo-header sum (see [`RxChecksum`]); a plain [`Device::receive`]
    /// always returns complete checksums. Most devices know nothing: the default.
    fn receive_vouched(&mut self, now: Instant, buf: &mut [u8]) -> Option<(usize, RxChecksum)> {
        self.receive(now, buf).map(|n| (n, RxChecksum::Unverified))
    }

    /// Sends one frame. A device that cannot send it drops it (and counts the drop in
    /// its own statistics): the layers above recover from loss anyway.
    fn transmit(&mut self, now: Instant, frame: &[u8]);

    /// The end of a burst: the stack has handed over every frame it has for now. A
    /// device that batches frames (the TUN device joins consecutive TCP segments into
    /// one offloaded write) must send what it holds before returning. Most devices
    /// send each frame in [`Device::transmit`] and need nothing here.
    fn flush_transmit(&mut self, _now: Instant) {}

    /// True if the device completes the TCP checksum of every frame it transmits, so
    /// the stack may leave only the pseudo-header sum in the field (as Linux does for a
    /// NIC with checksum offload). Such a device must complete the checksum of every
    /// TCP frame it is given, and a tap that records frames completes its copy.
    fn tx_checksum_offload(&self) -> bool {
        false
    }
}

impl<D: Device + ?Sized> Device for &mut D {
    fn medium(&self) -> Medium {
        (**self).medium()
    }
    fn mtu(&self) -> usize {
        (**self).mtu()
    }
    fn receive(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        (**self).receive(now, buf)
    }
    fn receive_vouched(&mut self, now: Instant, buf: &mut [u8]) -> Option<(usize, RxChecksum)> {
        (**self).receive_vouched(now, buf)
    }
    fn transmit(&mut self, now: Instant, frame: &[u8]) {
        (**self).transmit(now, frame)
    }
    fn flush_transmit(&mut self, now: Instant) {
        (**self).flush_transmit(now)
    }
    fn tx_checksum_offload(&self) -> bool {
        (**self).tx_checksum_offload()
    }
}
