//! `tundra run`: the stack on a device, with its demo services, until Ctrl-C.

use std::process::ExitCode;

use tundra_core::{Duration, Instant};
use tundra_tun::{Clock, Driver, Next, Stop};

use crate::cli::RunArgs;
use crate::services::Services;
use crate::setup::{bring_up, SetupError};

/// Rounds of (interface, services) per loop turn before the loop checks the clock and
/// the device again; bounds the work one turn can do.
const MAX_ROUNDS_PER_TURN: usize = 64;

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
    let mut services = Services::start(&mut iface);
    let mut driver = Driver::new(clock, stop);
    let dumps = driver.dump_requests();
    let mut next_flush = Instant::ZERO + PCAP_FLUSH_INTERVAL;
    driver.run(&mut dev, |now, dev| {
        // Frames in, timers, frames out; then the services; repeat while either side
        // made progress, so an echo goes out in the same turn its request came in.
        for _ in 0..MAX_ROUNDS_PER_TURN {
            let moved = iface.poll_device(now, dev);
            let worked = services.poll(now, &mut iface);
            if !moved && !worked {
                break;
            }
        }
        if dumps.take() {
            // `kill -USR1 <pid>`: the socket table, like `ss -tan`.
            print!("{}", socket_table(&iface));
        }
        if now >= next_flush {
            let _ = dev.flush();
            next_flush = now + PCAP_FLUSH_INTERVAL;
        }
        let deadline = [iface.poll_at(), services.poll_at(), Some(next_flush)]
            .into_iter()
            .flatten()
            .min();
        Ok(Next::Wait(deadline))
    })?;
    let _ = dev.flush();
    log::info!("shutting down");
    if args.stats {
        print!("{}{}", iface.counters(), iface.tcp_ref().counters());
        print!("{}", socket_table(&iface));
    }
    Ok(ExitCode::SUCCESS)
}

/// The TCP socket table, like `ss -tan` (state, queues, addresses, RTT, cwnd).
fn socket_table(iface: &tundra_stack::Interface) -> String {
    let mut out = String::new();
    let _ = tundra_tcp::endpoint::write_socket_table(&mut out, &iface.tcp_ref().sockets());
    out
}
