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

/// A source and sink of frames for the stack.
pub trait Device {
    /// The medium of every frame this device carries.
    fn medium(&self) -> Medium;

    /// The largest IP packet the device carries (the link-layer header is extra).
    fn mtu(&self) -> usize;

    /// Reads one frame into `buf` and returns its length, or `None` when no frame is
    /// waiting. `now` is the stack's time, for taps that timestamp what they see.
    fn receive(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize>;

    /// Sends one frame. A device that cannot send it drops it (and counts the drop in
    /// its own statistics): the layers above recover from loss anyway.
    fn transmit(&mut self, now: Instant, frame: &[u8]);

    /// The end of a burst: the stack has handed over every frame it has for now. A
    /// device that batches frames (the TUN device joins consecutive TCP segments into
    /// one offloaded write) must send what it holds before returning. Most devices
    /// send each frame in [`Device::transmit`] and need nothing here.
    fn flush_transmit(&mut self, _now: Instant) {}
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
    fn transmit(&mut self, now: Instant, frame: &[u8]) {
        (**self).transmit(now, frame)
    }
    fn flush_transmit(&mut self, now: Instant) {
        (**self).flush_transmit(now)
    }
}
