//! `smoltcp-server`: smoltcp 0.14 on a TUN device with the services of `tundra run`
//! that scripts/bench.sh measures: ICMP echo, discard (9), chargen (19, `N\n` protocol)
//! and a fixed 13-byte HTTP response with keep-alive (80).
//!
//! ```sh
//! smoltcp-server --dev tun0 --addr 10.0.0.2/24 [--gateway 10.0.0.1]
//!                [--http-sockets 128] [--sockets 16]
//! ```
//!
//! The loop is the one smoltcp's own examples use: `Interface::poll`, serve the
//! sockets, then `phy::wait` on the device fd until `Interface::poll_delay` (no busy
//! loop, no fixed tick). The device is smoltcp's stock `TunTapInterface`, as a user of
//! smoltcp would take it. Buffers match Tundra's TCP defaults (`TcpConfig`: 256 KiB to
//! send, 256 KiB to receive); everything else is smoltcp's default.
//!
//! smoltcp has no accept queue: a listening socket becomes the connection. Each port
//! therefore gets a pool of listening sockets, and a socket that has closed listens
//! again.

use std::os::unix::io::AsRawFd;
use std::process::ExitCode;

use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{wait as phy_wait, Device, Medium, TunTapInterface};
use smoltcp::socket::tcp;
use smoltcp::time::Instant;
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr};
use tundra_bench::{
    chargen_pattern, parse_cidr, ChargenRequest, RequestCounter, CHARGEN_PERIOD, CHARGEN_PORT,
    DISCARD_PORT, HTTP_PORT, HTTP_RESPONSE,
};

/// Tundra's default send and receive buffer (`tundra_tcp::TcpConfig::default()`).
const BUFFER: usize = 256 * 1024;

/// Longest stretch of the chargen pattern handed to one `send` call.
const SLICE: usize = 64 * 1024;

/// What one pooled socket serves, and its per-connection state.
#[derive(Debug)]
enum Service {
    Discard,
    Chargen {
        request: ChargenRequest,
        sent: u64,
    },
    Http {
        requests: RequestCounter,
        /// Responses owed but not yet queued (the send buffer was full).
        owed: usize,
    },
}

impl Service {
    fn for_port(port: u16) -> Service {
        match port {
            DISCARD_PORT => Service::Discard,
            CHARGEN_PORT => Service::Chargen {
                request: ChargenRequest::default(),
                sent: 0,
            },
            _ => Service::Http {
                requests: RequestCounter::default(),
                owed: 0,
            },
        }
    }
}

#[derive(Debug)]
struct Slot {
    handle: SocketHandle,
    port: u16,
    service: Service,
}

struct Args {
    dev: String,
    addr: ([u8; 4], u8),
    gateway: Option<std::net::Ipv4Addr>,
    http_sockets: usize,
    sockets: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        dev: "tun0".into(),
        addr: ([10, 0, 0, 2], 24),
        gateway: None,
        http_sockets: 128,
        sockets: 16,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--dev" => args.dev = value()?,
            "--addr" => {
                let v = value()?;
                args.addr = parse_cidr(&v).ok_or(format!("bad --addr {v}"))?;
            }
            "--gateway" => {
                let v = value()?;
                args.gateway = Some(v.parse().map_err(|_| format!("bad --gateway {v}"))?);
            }
            "--http-sockets" => {
                args.http_sockets = value()?.parse().map_err(|e| format!("{e}"))?;
            }
            "--sockets" => args.sockets = value()?.parse().map_err(|e| format!("{e}"))?,
            "-h" | "--help" => {
                return Err("usage: smoltcp-server [--dev tun0] [--addr 10.0.0.2/24] \
                            [--gateway 10.0.0.1] [--http-sockets 128] [--sockets 16]"
                    .into())
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("smoltcp-server: {e}");
            return ExitCode::from(2);
        }
    };
    let mut device = match TunTapInterface::new(&args.dev, Medium::Ip) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("smoltcp-server: cannot open {}: {e}", args.dev);
            return ExitCode::FAILURE;
        }
    };
    let fd = device.as_raw_fd();
    let mtu = device.capabilities().max_transmission_unit;

    let mut config = Config::new(HardwareAddress::Ip);
    // Fixed, like Tundra's default seed: runs are repeatable.
    config.random_seed = 0x7475_6e64_7261;
    let mut iface = Interface::new(config, &mut device, Instant::now());
    let ([a, b, c, d], prefix) = args.addr;
    iface.update_ip_addrs(|addrs| {
        let _ = addrs.push(IpCidr::new(IpAddress::v4(a, b, c, d), prefix));
    });

    if let Some(gw) = args.gateway {
        let [a, b, c, d] = gw.octets();
        if let Err(e) = iface
            .routes_mut()
            .add_default_ipv4_route(smoltcp::wire::Ipv4Address::new(a, b, c, d))
        {
            eprintln!("smoltcp-server: --gateway {gw}: {e}");
            return ExitCode::FAILURE;
        }
    }

    let mut sockets = SocketSet::new(Vec::new());
    let mut slots = Vec::new();
    for (port, count) in [
        (DISCARD_PORT, args.sockets),
        (CHARGEN_PORT, args.sockets),
        (HTTP_PORT, args.http_sockets),
    ] {
        for _ in 0..count {
            let socket = tcp::Socket::new(
                tcp::SocketBuffer::new(vec![0; BUFFER]),
                tcp::SocketBuffer::new(vec![0; BUFFER]),
            );
            slots.push(Slot {
                handle: sockets.add(socket),
                port,
                service: Service::for_port(port),
            });
        }
    }
    let pattern = chargen_pattern(SLICE);
    eprintln!(
        "smoltcp-server: up on {} (mtu {mtu}) as {a}.{b}.{c}.{d}/{prefix}: \
         discard {DISCARD_PORT}, chargen {CHARGEN_PORT}, http {HTTP_PORT}",
        args.dev
    );

    loop {
        let now = Instant::now();
        iface.poll(now, &mut device, &mut sockets);
        for slot in &mut slots {
            serve(slot, sockets.get_mut::<tcp::Socket>(slot.handle), &pattern);
        }
        // Wait for a frame or the next timer; zero if a socket has data to send now.
        let delay = iface.poll_delay(Instant::now(), &sockets);
        if let Err(e) = phy_wait(fd, delay) {
            if e.kind() != std::io::ErrorKind::Interrupted {
                eprintln!("smoltcp-server: wait: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
}

/// Moves the data of one pooled socket; a closed socket listens again.
fn serve(slot: &mut Slot, socket: &mut tcp::Socket, pattern: &[u8]) {
    if !socket.is_open() {
        slot.service = Service::for_port(slot.port);
        if let Err(e) = socket.listen(slot.port) {
            eprintln!("smoltcp-server: listen {}: {e}", slot.port);
        }
        return;
    }
    match &mut slot.service {
        Service::Discard => {
            while socket.can_recv() {
                if socket.recv(|buf| (buf.len(), buf.len())).unwrap_or(0) == 0 {
                    break;
                }
            }
        }
        Service::Chargen { request, sent } => {
            while socket.can_recv() {
                let n = socket
                    .recv(|buf| {
                        request.feed(buf);
                        (buf.len(), buf.len())
                    })
                    .unwrap_or(0);
                if n == 0 {
                    break;
                }
            }
            if request.is_done() && socket.may_send() {
                let remaining = request.limit().map_or(u64::MAX, |l| l - (*sent).min(l));
                if remaining == 0 {
                    socket.close();
                } else {
                    let offset = (*sent % CHARGEN_PERIOD as u64) as usize;
                    let want = remaining.min(SLICE as u64) as usize;
                    if let Ok(n) = socket.send_slice(&pattern[offset..offset + want]) {
                        *sent += n as u64;
                    }
                    if request.limit() == Some(*sent) {
                        socket.close();
                    }
                }
            }
        }
        Service::Http { requests, owed } => {
            while socket.can_recv() {
                let n = socket
                    .recv(|buf| {
                        *owed += requests.feed(buf);
                        (buf.len(), buf.len())
                    })
                    .unwrap_or(0);
                if n == 0 {
                    break;
                }
            }
            while *owed > 0
                && socket.may_send()
                && socket.send_capacity() - socket.send_queue() >= HTTP_RESPONSE.len()
            {
                let _ = socket.send_slice(HTTP_RESPONSE);
                *owed -= 1;
            }
        }
    }
    // The client closed its side and nothing is owed: close ours (discard and HTTP;
    // chargen stops when the client stops listening).
    let owes = matches!(slot.service, Service::Http { owed, .. } if owed > 0);
    if !socket.may_recv() && socket.state() == tcp::State::CloseWait && !owes {
        socket.close();
    }
}
