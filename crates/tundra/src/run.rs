//! `tundra run`: the stack on a device, with its demo services, until Ctrl-C.

use std::process::ExitCode;

use tundra_core::{Duration, Instant};
use tundra_tun::{Clock, Driver, Next, Stop};

use crate::cli::RunArgs;
use crate::setup::{bring_up, SetupError};

/// How often the pcap file is flushed while running, so `tshark` can read it live.
const PCAP_FLUSH_INTERVAL: Duration = Duration::from_millis(200);

/// Runs the stack until SIGINT/SIGTERM, then flushes the capture and optionally prints
/// the counters.
pub fn run(args: RunArgs) -> Result<ExitCode, SetupError> {
    let stop = Stop::on_signals()?;
    let clock = Clock::start();
    let (mut dev, mut iface) = bring_up(&args.device, &clock)?;
    log::info!(
        "tundra up on {} ({:?}) as {}",
        dev.inner().name(),
        args.device.mode,
        iface.config().address
    );
    let mut driver = Driver::new(clock, stop);
    let mut next_flush = Instant::ZERO + PCAP_FLUSH_INTERVAL;
    driver.run(&mut dev, |now, dev| {
        iface.poll_device(now, dev);
        if now >= next_flush {
            let _ = dev.flush();
            next_flush = now + PCAP_FLUSH_INTERVAL;
        }
        let deadline = match iface.poll_at() {
            Some(t) => t.min(next_flush),
            None => next_flush,
        };
        Ok(Next::Wait(Some(deadline)))
    })?;
    let _ = dev.flush();
    log::info!("shutting down");
    if args.stats {
        print!("{}", iface.counters());
    }
    Ok(ExitCode::SUCCESS)
}
