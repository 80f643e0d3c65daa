//! `tundra ping ADDR`: ICMP echo from our own stack, printed like ping(8).
//!
//! This is curriculum Day 1's raw-socket exercise done without a raw socket: the
//! request is built by `tundra-ip`, resolved by our ARP on a TAP device, and the reply
//! is parsed by our stack.

use std::process::ExitCode;

use tundra_core::{Duration, Instant};
use tundra_ip::Ipv4Addr;
use tundra_tun::{Clock, Driver, Next, Stop};

use crate::cli::PingArgs;
use crate::setup::{bring_up, SetupError};

/// Pings `args.target` `args.count` times and prints each reply and a summary.
pub fn ping(args: PingArgs) -> Result<ExitCode, SetupError> {
    let target: Ipv4Addr =
        args.target
            .parse()
            .map_err(|e: std::net::AddrParseError| SetupError::BadValue {
                what: "target address",
                value: args.target.clone(),
                reason: e.to_string(),
            })?;
    let stop = Stop::on_signals()?;
    let clock = Clock::start();
    let (mut dev, mut iface) = bring_up(&args.device, &clock)?;
    let interval = Duration::from_micros((args.interval.max(0.0) * 1e6) as u64);
    let wait = Duration::from_micros((args.wait.max(0.0) * 1e6) as u64);
    let ident = iface.rng().next_u16();
    // The data is a recognisable pattern, like ping(8)'s, so a capture shows it.
    let data: Vec<u8> = (0..args.size).map(|i| (i % 256) as u8).collect();

    println!(
        "PING {target} ({target}) {}({}) bytes of data.",
        args.size,
        args.size + 28
    );
    let mut sent = 0u32;
    let mut sent_at: Vec<Instant> = Vec::new();
    let mut received = 0u32;
    let mut rtts: Vec<Duration> = Vec::new();
    let mut next_send = Instant::ZERO;
    let mut give_up: Option<Instant> = None;

    let mut driver = Driver::new(clock, stop);
    driver.run(&mut dev, |now, dev| {
        if sent < args.count && now >= next_send {
            // ping(8) numbers from 1 and wraps after 65535.
            let seq = (sent as u16).wrapping_add(1);
            match iface.send_ping(now, target, ident, seq, &data) {
                Ok(()) => {}
                Err(e) => eprintln!("ping: sendmsg: {e}"),
            }
            sent += 1;
            sent_at.push(now);
            next_send = now + interval;
            if sent == args.count {
                give_up = Some(now + wait);
            }
        }
        iface.poll_device(now, dev);
        while let Some(reply) = iface.recv_ping() {
            if reply.ident != ident || reply.from != target {
                continue;
            }
            // Replies carry the sequence number we sent (1-based); anything else,
            // including 0, is not ours.
            let Some(&t0) = (reply.seq_no as usize)
                .checked_sub(1)
                .and_then(|i| sent_at.get(i))
            else {
                continue;
            };
            let rtt = reply.at - t0;
            let ok = reply.data == data;
            println!(
                "{} bytes from {}: icmp_seq={} ttl={} time={:.3} ms{}",
                reply.data.len() + 8,
                reply.from,
                reply.seq_no,
                reply.ttl,
                rtt.total_micros() as f64 / 1000.0,
                if ok { "" } else { " (WRONG DATA)" }
            );
            if ok {
                received += 1;
                rtts.push(rtt);
            }
        }
        if received >= args.count || give_up.is_some_and(|t| now >= t) {
            return Ok(Next::Exit);
        }
        let mut deadline = if sent < args.count {
            next_send
        } else {
            give_up.unwrap_or(now)
        };
        if let Some(t) = iface.poll_at() {
            deadline = deadline.min(t);
        }
        Ok(Next::Wait(Some(deadline)))
    })?;

    let loss = (100 * (sent - received)).checked_div(sent).unwrap_or(0);
    println!("\n--- {target} ping statistics ---");
    println!("{sent} packets transmitted, {received} received, {loss}% packet loss");
    if !rtts.is_empty() {
        let ms = |d: Duration| d.total_micros() as f64 / 1000.0;
        let min = rtts.iter().min().copied().unwrap_or_default();
        let max = rtts.iter().max().copied().unwrap_or_default();
        let avg = rtts.iter().map(|d| d.total_micros()).sum::<u64>() / rtts.len() as u64;
        println!(
            "rtt min/avg/max = {:.3}/{:.3}/{:.3} ms",
            ms(min),
            ms(Duration::from_micros(avg)),
            ms(max)
        );
    }
    Ok(if received > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
