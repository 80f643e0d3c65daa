//! `tundra run`: the stack on a device, with its demo services, until Ctrl-C.

use std::io::BufWriter;
use std::process::ExitCode;

use tundra::replay::timeline_path;
use tundra::session::{Session, TimelineHeader, TIMELINE_VERSION};
use tundra_core::{Duration, Instant};
use tundra_tun::{Clock, Driver, Next, Stop, TunError};

use crate::cli::RunArgs;
use crate::setup::{open, SetupError};

/// How often the pcap file (and the timeline) is flushed while recording, so `tshark`
/// can read it live.
const PCAP_FLUSH_INTERVAL: Duration = Duration::from_millis(200);

/// Runs the stack until SIGINT/SIGTERM, then flushes the capture and optionally prints
/// the counters.
pub fn run(args: RunArgs) -> Result<ExitCode, SetupError> {
    let stop = Stop::on_signals()?;
    let clock = Clock::start();
    let mut device_args = args.device.clone();
    if let Some(path) = &args.record {
        device_args.pcap = Some(path.clone());
    }
    let (mut dev, mut params) = open(&device_args, &clock)?;
    // The web server's settings go into the parameters, so a replay has them too.
    let http = args.http.config(clock.unix_time(Instant::ZERO));
    params.www = http.www.map(|dir| dir.display().to_string());
    params.http_header_timeout_us = Some(http.header_timeout.total_micros());
    params.http_idle_timeout_us = Some(http.idle_timeout.total_micros());
    // The one constructor `tundra replay` uses too: interface and services.
    let mut session = Session::new(&params)?;
    session.services.set_discard_hash(!args.no_discard_hash);
    if let Some(path) = &args.record {
        let timeline = timeline_path(path);
        let header = TimelineHeader {
            tundra_replay: TIMELINE_VERSION,
            params: params.clone(),
        };
        let err = |e: std::io::Error| TunError::Pcap {
            path: timeline.display().to_string(),
            message: e.to_string(),
        };
        let file = std::fs::File::create(&timeline).map_err(err)?;
        session
            .record_to(Box::new(BufWriter::new(file)), &header)
            .map_err(err)?;
        log::info!("recording the timeline to {}", timeline.display());
    }
    let iface = &session.iface;
    log::info!(
        "tundra up on {} ({:?}) as {}",
        dev.inner().name(),
        args.device.mode,
        iface.config().address
    );
    // Only a capture or a timeline needs the periodic flush; without one an idle stack
    // sleeps until a frame or one of its own timers wakes it.
    let recording = device_args.pcap.is_some();
    let mut driver = Driver::new(clock, stop);
    let dumps = driver.dump_requests();
    let mut next_flush = Instant::ZERO + PCAP_FLUSH_INTERVAL;
    driver.run(&mut dev, |now, dev| {
        // Frames in, timers, frames out; then the services; repeated while either side
        // made progress (shared with `tundra replay`, which repeats recorded turns).
        session.turn(now, dev);
        if dumps.take() {
            // `kill -USR1 <pid>`: the socket table, like `ss -tan`.
            print!("{}", socket_table(&session.iface));
        }
        if recording && now >= next_flush {
            let _ = dev.flush();
            let _ = session.flush();
            next_flush = now + PCAP_FLUSH_INTERVAL;
        }
        if session.unfinished() {
            // Stopped at the round limit with work moving: go on before waiting.
            return Ok(Next::Wait(Some(now)));
        }
        let flush_at = recording.then_some(next_flush);
        let deadline = [session.poll_at(), flush_at].into_iter().flatten().min();
        Ok(Next::Wait(deadline))
    })?;
    let _ = dev.flush();
    let _ = session.flush();
    let iface = &session.iface;
    log::info!("shutting down");
    if args.stats {
        print!("{}{}", iface.counters(), iface.tcp_ref().counters());
        print!("{}", socket_table(iface));
    }
    Ok(ExitCode::SUCCESS)
}

/// The TCP socket table, like `ss -tan` (state, queues, addresses, RTT, cwnd).
fn socket_table(iface: &tundra_stack::Interface) -> String {
    let mut out = String::new();
    let _ = tundra_tcp::endpoint::write_socket_table(&mut out, &iface.tcp_ref().sockets());
    out
}
