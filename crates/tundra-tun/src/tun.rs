//! Linux TUN/TAP devices, opened with the raw `TUNSETIFF` ioctl.
//!
//! We use the ioctl directly instead of the `tun-tap` crate: that crate builds a C shim,
//! cannot tell us *why* attaching failed in a way we can turn into a clear message
//! (busy vs. wrong mode vs. no permission), and offers no way to ask for the
//! `IFF_VNET_HDR` offloads a later performance issue wants. The ioctl is a dozen lines.
//!
//! See the kernel's `Documentation/networking/tuntap.rst`.

#![allow(unsafe_code)]

use std::ffi::CStr;
use std::fs::{File, OpenOptions};
use std::io::{self, IoSlice, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;

use tundra_core::Instant;
use tundra_stack::{Device, Medium, RxChecksum};

use crate::offload::{
    complete_checksum, complete_tcp_checksum, is_partial_tcp, tx_header, GsoSplitter, Push,
    TsoBatch, VirtioNetHdr, GSO_NONE, VNET_HDR_LEN,
};
use crate::TunError;

const IFNAMSIZ: usize = 16;
const IFF_TUN: libc::c_short = 0x0001;
const IFF_TAP: libc::c_short = 0x0002;
const IFF_NO_PI: libc::c_short = 0x1000;
/// Every frame starts with a `struct virtio_net_hdr` (offloads; see `offload.rs`).
const IFF_VNET_HDR: libc::c_short = 0x4000;
/// `_IOW('T', 202, int)`
const TUNSETIFF: libc::c_ulong = 0x4004_54ca;
/// A frame longer than this cannot share a write with the next one (two would exceed
/// the largest IPv4 packet), so it goes out at once.
const MAX_JOINABLE: usize = 0xffff / 2;
/// `_IOW('T', 208, unsigned int)`: which offloaded frames the kernel may hand us.
const TUNSETOFFLOAD: libc::c_ulong = 0x4004_54d0;
/// `TUN_F_CSUM | TUN_F_TSO4`: partial checksums and TCPv4 super-segments.
const TUN_OFFLOADS: libc::c_ulong = 0x01 | 0x02;

/// `struct ifreq` with the two union members we use.
#[repr(C)]
struct IfReq {
    name: [u8; IFNAMSIZ],
    data: IfReqData,
}

#[repr(C)]
union IfReqData {
    flags: libc::c_short,
    mtu: libc::c_int,
    _pad: [u8; 24],
}

impl IfReq {
    fn new(name: &str) -> Result<IfReq, TunError> {
        let bytes = name.as_bytes();
        if bytes.is_empty()
            || bytes.len() >= IFNAMSIZ
            || bytes
                .iter()
                .any(|b| *b == b'/' || *b == 0 || b.is_ascii_whitespace())
        {
            return Err(TunError::BadName(name.to_string()));
        }
        let mut req = IfReq {
            name: [0; IFNAMSIZ],
            data: IfReqData { _pad: [0; 24] },
        };
        req.name[..bytes.len()].copy_from_slice(bytes);
        Ok(req)
    }
}

/// Counters the device keeps about its own I/O.
#[derive(Debug, Default, Clone, Copy)]
pub struct DeviceStats {
    /// Frames read from the kernel.
    pub rx_frames: u64,
    /// Frames written to the kernel.
    pub tx_frames: u64,
    /// Writes the kernel refused (e.g. the interface is down or its queue is full).
    pub tx_errors: u64,
    /// Reads that failed with something other than "would block", and frames the
    /// kernel handed over with offloads we did not ask for.
    pub rx_errors: u64,
    /// Writes that carried several TCP segments as one offloaded super-segment.
    pub tx_offloaded_writes: u64,
}

/// An open TUN or TAP device in non-blocking mode.
#[derive(Debug)]
pub struct TunDevice {
    file: File,
    name: String,
    medium: Medium,
    mtu: usize,
    stats: DeviceStats,
    /// Whether frames carry a `virtio_net_hdr` (TUN devices; see `offload.rs`).
    vnet: bool,
    /// Consecutive TCP segments waiting to go out as one write.
    batch: TsoBatch,
    /// The segments of the last TCP super-segment read, not yet handed out.
    split: GsoSplitter,
    /// A small frame behind its virtio header, for one `write`.
    scratch: Vec<u8>,
}

impl TunDevice {
    /// Opens (or creates) the device `name`: [`Medium::Ip`] asks for a TUN device
    /// without packet information, [`Medium::Ethernet`] for a TAP device. A TUN device
    /// uses TCP segmentation offload when the kernel offers it.
    pub fn open(name: &str, medium: Medium) -> Result<TunDevice, TunError> {
        TunDevice::open_with(name, medium, true)
    }

    /// [`TunDevice::open`], with TCP segmentation offload (see `offload.rs`) on a TUN
    /// device only if `offload` is true.
    pub fn open_with(name: &str, medium: Medium, offload: bool) -> Result<TunDevice, TunError> {
        let mut req = IfReq::new(name)?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open("/dev/net/tun")
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => TunError::NoTunDevice,
                io::ErrorKind::PermissionDenied => TunError::NotPermitted {
                    dev: name.to_string(),
                },
                _ => TunError::Io {
                    what: "opening /dev/net/tun",
                    source: e,
                },
            })?;
        let base = IFF_NO_PI
            | match medium {
                Medium::Ip => IFF_TUN,
                Medium::Ethernet => IFF_TAP,
            };
        // A TUN device asks for the virtio header, so bulk TCP output can be offloaded;
        // if the kernel refuses it, the device works frame by frame.
        let mut vnet = offload && medium == Medium::Ip;
        let (mut rc, mut err) = (0, io::Error::from_raw_os_error(0));
        for flags in [base | IFF_VNET_HDR, base] {
            if flags & IFF_VNET_HDR != 0 && !vnet {
                continue;
            }
            req.data.flags = flags;
            // SAFETY: `req` is a properly initialised `struct ifreq` that outlives the
            // call, and TUNSETIFF reads and writes only that struct.
            rc = unsafe { libc::ioctl(file.as_raw_fd(), TUNSETIFF, &mut req as *mut IfReq) };
            err = io::Error::last_os_error();
            if rc == 0 || flags & IFF_VNET_HDR == 0 || err.raw_os_error() != Some(libc::EINVAL) {
                break;
            }
            vnet = false;
        }
        if rc < 0 {
            return Err(match err.raw_os_error() {
                Some(libc::EPERM) | Some(libc::EACCES) => TunError::NotPermitted {
                    dev: name.to_string(),
                },
                Some(libc::EBUSY) => TunError::Busy {
                    dev: name.to_string(),
                },
                Some(libc::EINVAL) => TunError::WrongMode {
                    dev: name.to_string(),
                },
                _ => TunError::Io {
                    what: "TUNSETIFF",
                    source: err,
                },
            });
        }
        let actual = CStr::from_bytes_until_nul(&req.name)
            .ok()
            .and_then(|c| c.to_str().ok())
            .unwrap_or(name)
            .to_string();
        // With the virtio header, let the kernel hand over TCP super-segments (and
        // leave their checksums to us), which the device cuts back into segments: one
        // read per 64 KiB instead of one per MSS. Without it, make sure no earlier user
        // of a persistent device left offloads on (the setting outlives the file).
        let offloads = if vnet { TUN_OFFLOADS } else { 0 };
        // SAFETY: TUNSETOFFLOAD takes its argument by value.
        if unsafe { libc::ioctl(file.as_raw_fd(), TUNSETOFFLOAD, offloads) } < 0 {
            log::info!("{name}: TUNSETOFFLOAD: {}", io::Error::last_os_error());
        }
        let mtu = interface_mtu(&actual).unwrap_or(1500);
        wait_until_running(&actual);
        log::info!("opened {actual} ({medium:?}, mtu {mtu}, offload {vnet})");
        Ok(TunDevice {
            file,
            name: actual,
            medium,
            mtu,
            stats: DeviceStats::default(),
            vnet,
            batch: TsoBatch::default(),
            split: GsoSplitter::default(),
            scratch: Vec::with_capacity(VNET_HDR_LEN + COPY_TO_WRITE),
        })
    }

    /// The interface name the kernel gave the device.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The device's I/O counters.
    pub fn stats(&self) -> DeviceStats {
        self.stats
    }

    /// Re-reads the interface MTU (the kernel side may change it with `ip link set
    /// mtu`).
    pub fn refresh_mtu(&mut self) {
        if let Some(mtu) = interface_mtu(&self.name) {
            self.mtu = mtu;
        }
    }
}

/// Waits (at most 2 s) for the kernel to see the carrier we just brought by
/// attaching. Until its link watcher runs, the kernel drops what it routes to the
/// device, so a `tundra ping` sent at once would lose its first reply. Only an
/// interface that is administratively up is waited for.
fn wait_until_running(name: &str) {
    let sys = std::path::Path::new("/sys/class/net").join(name);
    let admin_up = std::fs::read_to_string(sys.join("flags"))
        .ok()
        .and_then(|f| u32::from_str_radix(f.trim().trim_start_matches("0x"), 16).ok())
        .is_some_and(|flags| flags & libc::IFF_UP as u32 != 0);
    if !admin_up {
        return;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while std::time::Instant::now() < deadline {
        match std::fs::read_to_string(sys.join("operstate")) {
            Ok(state) if state.trim() != "down" && state.trim() != "lowerlayerdown" => return,
            Err(_) => return,
            _ => std::thread::sleep(std::time::Duration::from_millis(5)),
        }
    }
    log::warn!("{name}: the kernel still reports no carrier; the first frames may be lost");
}

/// The interface MTU via `SIOCGIFMTU` on a throwaway datagram socket.
fn interface_mtu(name: &str) -> Option<usize> {
    let mut req = IfReq::new(name).ok()?;
    // SAFETY: plain socket(2) call; the fd is closed below.
    let sock = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if sock < 0 {
        return None;
    }
    // SAFETY: `req` is a valid ifreq for SIOCGIFMTU, which writes `ifr_mtu`.
    let rc = unsafe { libc::ioctl(sock, libc::SIOCGIFMTU, &mut req as *mut IfReq) };
    // SAFETY: `sock` is a descriptor we own.
    unsafe { libc::close(sock) };
    if rc < 0 {
        return None;
    }
    // SAFETY: the kernel filled the `mtu` member on success.
    let mtu = unsafe { req.data.mtu };
    usize::try_from(mtu).ok().filter(|m| *m >= 68)
}

impl TunDevice {
    /// One `read` of the virtio header and the frame into `buf`; the frame is moved
    /// down to the start of `buf` and its length returned, with the header.
    ///
    /// One buffer and `read(2)` rather than two and `readv(2)`: the iovec import costs
    /// about 0.2 us a call in the kernel, more than moving a small frame, and a
    /// request/response load makes a read per request (docs/performance.md).
    fn read_vnet(&mut self, buf: &mut [u8]) -> io::Result<(usize, [u8; VNET_HDR_LEN])> {
        let n = self.file.read(buf)?;
        if n < VNET_HDR_LEN {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "short virtio header",
            ));
        }
        let mut hdr = [0u8; VNET_HDR_LEN];
        hdr.copy_from_slice(&buf[..VNET_HDR_LEN]);
        buf.copy_within(VNET_HDR_LEN..n, 0);
        Ok((n - VNET_HDR_LEN, hdr))
    }

    /// Writes what the TCP batch holds, as one frame or one super-segment.
    fn write_batch(&mut self) {
        let segments = self.batch.segments();
        let Some(bytes) = self.batch.finish() else {
            return;
        };
        let (result, len) = (write_frame(&self.file, &[], bytes), bytes.len());
        if segments > 1 {
            self.stats.tx_offloaded_writes += 1;
        }
        self.count_write(result, len, segments);
    }

    /// Writes one frame, after `hdr` when the device takes a virtio header. A small
    /// frame is copied behind the header for one plain `write` (see `read_vnet`); a
    /// large one goes out with `writev` rather than be copied.
    fn write_frame(&mut self, hdr: Option<&[u8; VNET_HDR_LEN]>, frame: &[u8]) {
        let result = match hdr {
            Some(hdr) if frame.len() <= COPY_TO_WRITE => {
                self.scratch.clear();
                self.scratch.extend_from_slice(hdr);
                self.scratch.extend_from_slice(frame);
                write_frame(&self.file, &[], &self.scratch)
            }
            _ => write_frame(&self.file, hdr.map_or(&[], |h| &h[..]), frame),
        };
        self.count_write(result, frame.len(), 1);
    }

    fn count_write(&mut self, result: io::Result<()>, len: usize, frames: usize) {
        if let Err(e) = result {
            // EIO when the interface is down, EAGAIN when its queue is full: either
            // way the frames are lost, as on a real wire.
            self.stats.tx_errors += frames as u64;
            log::debug!("{}: write of {len} bytes failed: {e}", self.name);
        }
    }
}

/// Frames up to this size are copied behind their virtio header for one `write`.
const COPY_TO_WRITE: usize = 2048;

/// One write of `head` then `body` as a single frame, retried on EINTR: `write(2)`
/// when there is no head, `writev(2)` otherwise.
fn write_frame(mut file: &File, head: &[u8], body: &[u8]) -> io::Result<()> {
    let bufs = [IoSlice::new(head), IoSlice::new(body)];
    loop {
        let result = if head.is_empty() {
            file.write(body)
        } else {
            file.write_vectored(&bufs)
        };
        match result {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

impl Drop for TunDevice {
    /// Turns the receive offloads off again: they stay with a persistent device, and
    /// the next program to open it may not read virtio headers.
    fn drop(&mut self) {
        if self.vnet {
            // SAFETY: TUNSETOFFLOAD takes its argument by value; the fd is still open.
            unsafe { libc::ioctl(self.file.as_raw_fd(), TUNSETOFFLOAD, 0 as libc::c_ulong) };
        }
    }
}

impl AsRawFd for TunDevice {
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

impl Device for TunDevice {
    fn medium(&self) -> Medium {
        self.medium
    }

    fn mtu(&self) -> usize {
        self.mtu
    }

    fn receive(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        let (n, checksum) = self.receive_vouched(now, buf)?;
        if checksum == RxChecksum::Trusted {
            complete_tcp_checksum(&mut buf[..n]);
        }
        Some(n)
    }

    /// A TCP segment the kernel left partial (and each segment cut from a
    /// super-segment) comes back [`RxChecksum::Trusted`], its checksum not computed:
    /// the stack does not verify it, and nobody else needs it whole unless a capture
    /// records it (the pcap tap completes its copy).
    fn receive_vouched(&mut self, _now: Instant, buf: &mut [u8]) -> Option<(usize, RxChecksum)> {
        if let Some(n) = self.split.next(buf) {
            self.stats.rx_frames += 1;
            return Some((n, RxChecksum::Trusted));
        }
        loop {
            let result = if self.vnet {
                self.read_vnet(buf).map(|(n, hdr)| (n, Some(hdr)))
            } else {
                self.file.read(buf).map(|n| (n, None))
            };
            match result {
                Ok((n, hdr)) => {
                    let Some(hdr) = hdr.map(|h| VirtioNetHdr::from_bytes(&h)) else {
                        self.stats.rx_frames += 1;
                        return Some((n, RxChecksum::Unverified));
                    };
                    let frame = &mut buf[..n];
                    if hdr.gso_type == GSO_NONE && is_partial_tcp(frame, &hdr) {
                        self.stats.rx_frames += 1;
                        return Some((n, RxChecksum::Trusted));
                    }
                    let taken = if hdr.gso_type == GSO_NONE {
                        complete_checksum(frame, &hdr)
                    } else {
                        self.split.load(frame, &hdr)
                    };
                    if let Err(e) = taken {
                        self.stats.rx_errors += 1;
                        log::warn!("{}: dropped a frame: {e:?} ({hdr:?})", self.name);
                        continue;
                    }
                    if hdr.gso_type == GSO_NONE {
                        self.stats.rx_frames += 1;
                        return Some((n, RxChecksum::Unverified));
                    }
                    if let Some(n) = self.split.next(buf) {
                        self.stats.rx_frames += 1;
                        return Some((n, RxChecksum::Trusted));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
                Err(e) => {
                    self.stats.rx_errors += 1;
                    log::warn!("{}: read failed: {e}", self.name);
                    return None;
                }
            }
        }
    }

    fn transmit(&mut self, _now: Instant, frame: &[u8]) {
        self.stats.tx_frames += 1;
        if !self.vnet {
            self.write_frame(None, frame);
            return;
        }
        if frame.len() > MAX_JOINABLE && self.batch.segments() == 0 {
            // No second segment could follow this one in a write: skip the copy.
            self.write_frame(Some(&tx_header(frame)), frame);
            return;
        }
        match self.batch.push(frame) {
            Push::Joined => {}
            Push::StartsAnother => {
                self.write_batch();
                let joined = self.batch.push(frame);
                debug_assert_eq!(joined, Push::Joined, "an empty batch takes any segment");
            }
            Push::Alone => {
                // Written after what the batch holds, to keep the order.
                self.write_batch();
                self.write_frame(Some(&tx_header(frame)), frame);
            }
        }
    }

    fn flush_transmit(&mut self, _now: Instant) {
        self.write_batch();
    }

    /// With the virtio header, every TCP frame goes out flagged
    /// `VIRTIO_NET_HDR_F_NEEDS_CSUM`: the kernel completes (or, delivering it locally,
    /// trusts) its checksum, as for a packet from a NIC driver with checksum offload.
    fn tx_checksum_offload(&self) -> bool {
        self.vnet
    }
}
