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
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;

use tundra_core::Instant;
use tundra_stack::{Device, Medium};

use crate::TunError;

const IFNAMSIZ: usize = 16;
const IFF_TUN: libc::c_short = 0x0001;
const IFF_TAP: libc::c_short = 0x0002;
const IFF_NO_PI: libc::c_short = 0x1000;
/// `_IOW('T', 202, int)`
const TUNSETIFF: libc::c_ulong = 0x4004_54ca;

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
    /// Reads that failed with something other than "would block".
    pub rx_errors: u64,
}

/// An open TUN or TAP device in non-blocking mode.
#[derive(Debug)]
pub struct TunDevice {
    file: File,
    name: String,
    medium: Medium,
    mtu: usize,
    stats: DeviceStats,
}

impl TunDevice {
    /// Opens (or creates) the device `name`: [`Medium::Ip`] asks for a TUN device
    /// without packet information, [`Medium::Ethernet`] for a TAP device.
    pub fn open(name: &str, medium: Medium) -> Result<TunDevice, TunError> {
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
        req.data.flags = IFF_NO_PI
            | match medium {
                Medium::Ip => IFF_TUN,
                Medium::Ethernet => IFF_TAP,
            };
        // SAFETY: `req` is a properly initialised `struct ifreq` that outlives the call,
        // and TUNSETIFF reads and writes only that struct.
        let rc = unsafe { libc::ioctl(file.as_raw_fd(), TUNSETIFF, &mut req as *mut IfReq) };
        if rc < 0 {
            let err = io::Error::last_os_error();
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
        let mtu = interface_mtu(&actual).unwrap_or(1500);
        wait_until_running(&actual);
        log::info!("opened {actual} ({medium:?}, mtu {mtu})");
        Ok(TunDevice {
            file,
            name: actual,
            medium,
            mtu,
            stats: DeviceStats::default(),
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

    fn receive(&mut self, _now: Instant, buf: &mut [u8]) -> Option<usize> {
        loop {
            match self.file.read(buf) {
                Ok(n) => {
                    self.stats.rx_frames += 1;
                    return Some(n);
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
        loop {
            match self.file.write(frame) {
                Ok(_) => {
                    self.stats.tx_frames += 1;
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // EIO when the interface is down, EAGAIN when its queue is full:
                    // either way the frame is lost, as on a real wire.
                    self.stats.tx_errors += 1;
                    log::debug!("{}: write of {} bytes failed: {e}", self.name, frame.len());
                    return;
                }
            }
        }
    }
}
