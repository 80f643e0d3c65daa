//! [`PcapTap`]: a [`Device`] wrapper that records every frame in both directions.
//!
//! The link type follows the medium: `LINKTYPE_RAW` (101) for TUN, where frames are
//! bare IP packets, and `LINKTYPE_ETHERNET` (1) for TAP. Timestamps are the stack's
//! virtual time plus the wall-clock time of its epoch, so Wireshark shows real dates
//! and a replayed capture keeps its recorded spacing. A tap without a file
//! ([`PcapTap::passthrough`]) records nothing and costs one branch per frame.

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::rc::Rc;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::DataLink;
use tundra_core::Instant;
use tundra_stack::{Device, Medium, RxChecksum};

use crate::offload::complete_tcp_checksum;

use crate::TunError;

/// The pcap link type for frames of `medium`.
pub fn datalink(medium: Medium) -> DataLink {
    match medium {
        Medium::Ip => DataLink::RAW,
        Medium::Ethernet => DataLink::ETHERNET,
    }
}

/// Records frames passing through the wrapped device into a pcap stream.
pub struct PcapTap<D: Device, W: Write = BufWriter<File>> {
    inner: D,
    recorder: Option<Recorder<W>>,
    /// A transmitted frame's copy with its checksum completed for the capture.
    scratch: Vec<u8>,
}

struct Recorder<W: Write> {
    writer: PcapWriter<Shared<W>>,
    // `PcapWriter` has no `flush` or `get_mut`, so we keep a second handle on the sink.
    sink: Shared<W>,
    time_base: std::time::Duration,
    failed: bool,
}

impl<D: Device> PcapTap<D, BufWriter<File>> {
    /// Wraps `inner`, creating (truncating) the pcap file at `path`. `time_base` is the
    /// wall-clock time (since the Unix epoch) of the stack's `Instant::ZERO`.
    pub fn create(inner: D, path: &Path, time_base: std::time::Duration) -> Result<Self, TunError> {
        let err = |e: &dyn std::fmt::Display| TunError::Pcap {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let file = File::create(path).map_err(|e| err(&e))?;
        Self::new(inner, BufWriter::new(file), time_base).map_err(|e| err(&e))
    }
}

impl<D: Device, W: Write> PcapTap<D, W> {
    /// Wraps `inner`, writing the pcap header to `writer` now.
    pub fn new(
        inner: D,
        writer: W,
        time_base: std::time::Duration,
    ) -> Result<Self, pcap_file::PcapError> {
        let header = PcapHeader {
            datalink: datalink(inner.medium()),
            snaplen: 262_144,
            ..PcapHeader::default()
        };
        let sink = Shared(Rc::new(RefCell::new(writer)));
        Ok(PcapTap {
            recorder: Some(Recorder {
                writer: PcapWriter::with_header(sink.clone(), header)?,
                sink,
                time_base,
                failed: false,
            }),
            inner,
            scratch: Vec::new(),
        })
    }

    /// Wraps `inner` without recording anything.
    pub fn passthrough(inner: D) -> Self {
        PcapTap {
            inner,
            recorder: None,
            scratch: Vec::new(),
        }
    }

    /// The wrapped device.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The wrapped device, mutably.
    pub fn inner_mut(&mut self) -> &mut D {
        &mut self.inner
    }

    /// Flushes buffered records to the underlying writer.
    pub fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.recorder {
            Some(r) => r.sink.flush(),
            None => Ok(()),
        }
    }

    /// Runs `f` on the pcap sink, if recording (e.g. to read back an in-memory capture).
    pub fn with_sink<R>(&self, f: impl FnOnce(&mut W) -> R) -> Option<R> {
        let r = self.recorder.as_ref()?;
        let mut sink = r.sink.0.borrow_mut();
        let _ = sink.flush();
        Some(f(&mut sink))
    }

    /// True while frames are being written to the capture.
    fn recording(&self) -> bool {
        self.recorder.as_ref().is_some_and(|r| !r.failed)
    }

    fn record(&mut self, now: Instant, frame: &[u8]) {
        let Some(r) = &mut self.recorder else { return };
        if r.failed {
            return;
        }
        let ts = r.time_base + std::time::Duration::from_micros(now.total_micros().max(0) as u64);
        let packet = PcapPacket::new(ts, frame.len() as u32, frame);
        if let Err(e) = r.writer.write_packet(&packet) {
            // A full disk must not stop the stack; say so once and stop recording.
            log::error!("pcap: write failed, recording stopped: {e}");
            r.failed = true;
        }
    }
}

impl<D: Device, W: Write> Device for PcapTap<D, W> {
    fn medium(&self) -> Medium {
        self.inner.medium()
    }

    fn mtu(&self) -> usize {
        self.inner.mtu()
    }

    fn receive(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        let n = self.inner.receive(now, buf)?;
        self.record(now, &buf[..n]);
        Some(n)
    }

    /// A trusted frame may carry a partial TCP checksum; the capture gets it complete
    /// (as it would be on a wire), so a recording's frames verify and replay.
    fn receive_vouched(&mut self, now: Instant, buf: &mut [u8]) -> Option<(usize, RxChecksum)> {
        let (n, checksum) = self.inner.receive_vouched(now, buf)?;
        if self.recording() && checksum == RxChecksum::Trusted {
            complete_tcp_checksum(&mut buf[..n]);
        }
        self.record(now, &buf[..n]);
        Some((n, checksum))
    }

    /// With checksum offload the stack's TCP frames carry the pseudo-header sum; the
    /// capture records them completed, as the device will send them.
    fn transmit(&mut self, now: Instant, frame: &[u8]) {
        if self.recording() && self.inner.tx_checksum_offload() {
            let mut copy = std::mem::take(&mut self.scratch);
            copy.clear();
            copy.extend_from_slice(frame);
            complete_tcp_checksum(&mut copy);
            self.record(now, &copy);
            self.scratch = copy;
        } else {
            self.record(now, frame);
        }
        self.inner.transmit(now, frame)
    }

    fn flush_transmit(&mut self, now: Instant) {
        self.inner.flush_transmit(now)
    }

    fn tx_checksum_offload(&self) -> bool {
        self.inner.tx_checksum_offload()
    }
}

impl<D: Device, W: Write> Drop for PcapTap<D, W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

impl<D: Device + std::os::fd::AsRawFd, W: Write> std::os::fd::AsRawFd for PcapTap<D, W> {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.inner.as_raw_fd()
    }
}

/// A writer shared between the `PcapWriter` and the tap.
struct Shared<W>(Rc<RefCell<W>>);

impl<W> Clone for Shared<W> {
    fn clone(&self) -> Self {
        Shared(Rc::clone(&self.0))
    }
}

impl<W: Write> Write for Shared<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.0.borrow_mut().write_all(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.borrow_mut().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Loop(Vec<Vec<u8>>);
    impl Device for Loop {
        fn medium(&self) -> Medium {
            Medium::Ip
        }
        fn mtu(&self) -> usize {
            1500
        }
        fn receive(&mut self, _now: Instant, buf: &mut [u8]) -> Option<usize> {
            let f = self.0.pop()?;
            buf[..f.len()].copy_from_slice(&f);
            Some(f.len())
        }
        fn transmit(&mut self, _now: Instant, frame: &[u8]) {
            self.0.push(frame.to_vec());
        }
    }

    #[test]
    fn records_both_directions_with_raw_ip_linktype() {
        let base = std::time::Duration::from_secs(1_700_000_000);
        let mut tap = PcapTap::new(Loop(vec![]), Vec::new(), base).unwrap();
        tap.transmit(Instant::from_millis(5), &[0x45, 0, 0, 20]);
        let mut buf = [0u8; 64];
        assert_eq!(tap.receive(Instant::from_millis(7), &mut buf), Some(4));
        let bytes = tap.with_sink(|w| w.clone()).unwrap();
        let mut reader = pcap_file::pcap::PcapReader::new(&bytes[..]).unwrap();
        assert_eq!(reader.header().datalink, DataLink::RAW);
        let first = reader.next_packet().unwrap().unwrap();
        assert_eq!(first.timestamp, base + std::time::Duration::from_millis(5));
        assert_eq!(&first.data[..], &[0x45, 0, 0, 20]);
        let second = reader.next_packet().unwrap().unwrap();
        assert_eq!(second.timestamp, base + std::time::Duration::from_millis(7));
        assert!(reader.next_packet().is_none());
    }

    /// A device that offloads checksums: hands out frames as `Trusted` and keeps what
    /// it is given.
    struct Offloading(Vec<Vec<u8>>);
    impl Device for Offloading {
        fn medium(&self) -> Medium {
            Medium::Ip
        }
        fn mtu(&self) -> usize {
            1500
        }
        fn receive(&mut self, _now: Instant, _buf: &mut [u8]) -> Option<usize> {
            unreachable!("the tap asks for receive_vouched")
        }
        fn receive_vouched(
            &mut self,
            _now: Instant,
            buf: &mut [u8],
        ) -> Option<(usize, RxChecksum)> {
            let f = self.0.pop()?;
            buf[..f.len()].copy_from_slice(&f);
            Some((f.len(), RxChecksum::Trusted))
        }
        fn transmit(&mut self, _now: Instant, frame: &[u8]) {
            self.0.push(frame.to_vec());
        }
        fn tx_checksum_offload(&self) -> bool {
            true
        }
    }

    /// With checksum offload the capture still holds complete checksums (as on a
    /// wire), while the device and the stack get the partial frames untouched.
    #[test]
    fn records_offloaded_checksums_completed() {
        // A data segment as on a wire, and as the stack leaves it for an offloading
        // device (the offload tests' frames).
        let whole = crate::offload::tests::segment(1, 7, 0x18 /* ACK, PSH */, b"hi");
        let partial = crate::offload::tests::partial(&whole);
        let base = std::time::Duration::from_secs(1_700_000_000);
        let mut tap = PcapTap::new(Offloading(vec![]), Vec::new(), base).unwrap();
        assert!(tap.tx_checksum_offload());
        tap.transmit(Instant::from_millis(5), &partial);
        assert_eq!(tap.inner().0.len(), 1);
        assert_eq!(tap.inner().0[0], partial, "the device gets it as it was");
        let mut buf = [0u8; 64];
        let (n, checksum) = tap
            .receive_vouched(Instant::from_millis(7), &mut buf)
            .unwrap();
        assert_eq!((&buf[..n], checksum), (&whole[..], RxChecksum::Trusted));
        let bytes = tap.with_sink(|w| w.clone()).unwrap();
        let mut reader = pcap_file::pcap::PcapReader::new(&bytes[..]).unwrap();
        for _ in 0..2 {
            assert_eq!(&reader.next_packet().unwrap().unwrap().data[..], &whole[..]);
        }
        // Without a capture nothing is completed: that work is what offload saves.
        let mut tap: PcapTap<_, Vec<u8>> = PcapTap::passthrough(Offloading(vec![partial.clone()]));
        let (n, _) = tap.receive_vouched(Instant::ZERO, &mut buf).unwrap();
        assert_eq!(&buf[..n], &partial[..]);
    }
}
