//! Errors from opening and driving a device, each with a one-line message a user can
//! act on (they are printed as-is by the binary).

use std::io;

/// Why a TUN/TAP device could not be opened or driven.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TunError {
    /// `/dev/net/tun` is missing: the `tun` kernel module is not loaded, or we are in a
    /// container without the device node.
    #[error("/dev/net/tun does not exist: load the tun module (`modprobe tun`) or give the container the device")]
    NoTunDevice,
    /// Opening `/dev/net/tun` or attaching to the device needs CAP_NET_ADMIN.
    #[error("permission denied opening {dev}: run as root (sudo) or grant CAP_NET_ADMIN")]
    NotPermitted {
        /// The interface name asked for.
        dev: String,
    },
    /// Another process already has the device open.
    #[error("device {dev} is busy: another process has it open (is another tundra running? try scripts/down.sh)")]
    Busy {
        /// The interface name asked for.
        dev: String,
    },
    /// The device exists but is of the other kind (TUN vs TAP) or has other flags.
    #[error("device {dev} exists with a different mode or flags: delete it (`ip link del {dev}`) or pick another --mode")]
    WrongMode {
        /// The interface name asked for.
        dev: String,
    },
    /// The interface name is empty or longer than IFNAMSIZ-1 (15) bytes.
    #[error("bad interface name {0:?}: 1 to 15 bytes, no '/' or whitespace")]
    BadName(String),
    /// Any other OS error, with what we were doing.
    #[error("{what}: {source}")]
    Io {
        /// What was being attempted.
        what: &'static str,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The pcap file could not be created or written.
    #[error("pcap file {path}: {message}")]
    Pcap {
        /// The file's path.
        path: String,
        /// What went wrong.
        message: String,
    },
}
