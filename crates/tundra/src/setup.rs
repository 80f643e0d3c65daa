//! Turning command-line options into an open device and a configured interface.

use std::str::FromStr;

use tundra::session::{ParamError, StackParams, DEFAULT_SERVICES};
use tundra_ip::{Ipv4Addr, Ipv4Cidr};
use tundra_link::EthernetAddress;
use tundra_stack::{Device, Interface, Medium};
use tundra_tun::{Clock, PcapTap, TunDevice, TunError};

use crate::cli::{DeviceArgs, Mode};

/// Everything that can go wrong before the loop starts, as one line each.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A command-line value that does not parse.
    #[error("bad {what} {value:?}: {reason}")]
    BadValue {
        /// Which option.
        what: &'static str,
        /// What the user typed.
        value: String,
        /// Why it is wrong.
        reason: String,
    },
    /// The device could not be opened or driven.
    #[error(transparent)]
    Device(#[from] TunError),
}

impl From<ParamError> for SetupError {
    fn from(e: ParamError) -> SetupError {
        SetupError::BadValue {
            what: e.what,
            value: e.value,
            reason: e.reason,
        }
    }
}

fn parse<T: FromStr>(what: &'static str, value: &str) -> Result<T, SetupError>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e: T::Err| SetupError::BadValue {
        what,
        value: value.to_string(),
        reason: e.to_string(),
    })
}

/// The device, possibly wrapped in a pcap tap.
pub type Dev = PcapTap<TunDevice>;

/// Opens the device and builds the interface described by `args`.
pub fn bring_up(args: &DeviceArgs, clock: &Clock) -> Result<(Dev, Interface), SetupError> {
    let (dev, params) = open(args, clock)?;
    let iface = Interface::new(params.config()?, params.mtu);
    Ok((dev, iface))
}

/// Opens the device described by `args` and says what stack to build on it: the
/// parameters `tundra run --record` writes into its timeline, so that a replay builds
/// the same stack ([`tundra::session::Session::new`]).
pub fn open(args: &DeviceArgs, clock: &Clock) -> Result<(Dev, StackParams), SetupError> {
    let address: Ipv4Cidr = parse("address", &args.addr)?;
    let gateway: Option<Ipv4Addr> = args
        .gateway
        .as_deref()
        .map(|g| parse("gateway", g))
        .transpose()?;
    let mac: EthernetAddress = parse("MAC address", &args.mac)?;
    let medium = match args.mode {
        Mode::Tun => Medium::Ip,
        Mode::Tap => Medium::Ethernet,
    };
    let device = TunDevice::open_with(&args.dev, medium, !args.no_offload)?;
    let params = StackParams {
        medium: StackParams::medium_name(medium).to_string(),
        address: address.to_string(),
        mac: mac.to_string(),
        gateway: gateway.map(|g| g.to_string()),
        seed: args.seed,
        mtu: device.mtu(),
        services: DEFAULT_SERVICES.to_string(),
        time_base_us: clock.unix_time(tundra_core::Instant::ZERO).as_micros() as u64,
        www: None,
        http_header_timeout_us: None,
        http_idle_timeout_us: None,
    };
    let dev = match &args.pcap {
        Some(path) => {
            log::info!("recording every frame to {}", path.display());
            PcapTap::create(device, path, clock.unix_time(tundra_core::Instant::ZERO))?
        }
        None => PcapTap::passthrough(device),
    };
    Ok((dev, params))
}
