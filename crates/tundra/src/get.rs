//! `tundra get URL`: an HTTP/1.1 client on our own TCP (curriculum Day 3, exercise 4:
//! fetch a page from a kernel web server through the stack). The body goes to stdout
//! or `-o FILE`; `-v` shows the exchange on stderr the way `curl -v` does:
//!
//! ```text
//! *   Trying 10.0.0.1:8000...
//! * Connected to 10.0.0.1 port 8000
//! > GET / HTTP/1.1
//! > Host: 10.0.0.1:8000
//! >
//! < HTTP/1.0 200 OK
//! < Content-Length: 1234
//! <
//! * 1234 body bytes in 0.01 s; closing connection
//! ```
//!
//! The body may be delimited by Content-Length, chunked coding or the server closing
//! (RFC 9112 §6.3); [`ClientConnection`] tells which, and says when it is complete.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::process::ExitCode;

use tundra_core::{Duration, Instant};
use tundra_http::{ClientConnection, ClientEvent, ClientRequest, ClientResponse, Url};
use tundra_tcp::{ConnHandle, RecvError, SendError, State};
use tundra_tun::{Clock, Driver, Next, Stop};

use crate::cli::GetArgs;
use crate::setup::{bring_up, SetupError};

/// Exit status for an HTTP error with `--fail` (curl's 22).
const EXIT_HTTP_ERROR: u8 = 22;

/// Fetches `args.url` and returns once the response is complete and the connection
/// closed.
pub fn get(args: GetArgs) -> Result<ExitCode, SetupError> {
    let bad = |what: &'static str, reason: String| SetupError::BadValue {
        what,
        value: args.url.clone(),
        reason,
    };
    let url = Url::parse(&args.url).map_err(|e| bad("URL", e.to_string()))?;
    let host: Ipv4Addr = url.host.parse().map_err(|_| {
        bad(
            "URL",
            "the host must be an IPv4 address (the stack has no DNS resolver)".into(),
        )
    })?;
    let target = SocketAddrV4::new(host, url.port);
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| SetupError::BadValue {
                what: "output file",
                value: path.display().to_string(),
                reason: e.to_string(),
            })?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let request = ClientRequest::get(&url);
    let mut client = ClientConnection::default();
    client.send_request(&request);

    let stop = Stop::on_signals()?;
    let clock = Clock::start();
    let (mut dev, mut iface) = bring_up(&args.device, &clock)?;
    let deadline = Instant::ZERO + Duration::from_micros((args.timeout.max(0.0) * 1e6) as u64);
    let verbose = args.verbose;
    if verbose {
        eprintln!("*   Trying {target}...");
    }

    let mut handle: Option<ConnHandle> = None;
    let mut connected_at: Option<Instant> = None;
    let mut response: Option<ClientResponse> = None;
    let mut body_bytes = 0u64;
    let mut discard_body = false;
    let mut done_at: Option<Instant> = None;
    let mut eof = false;
    let mut failure: Option<String> = None;
    let mut closing_since: Option<Instant> = None;
    let mut buf = vec![0u8; 64 * 1024];

    let mut driver = Driver::new(clock, stop);
    driver.run(&mut dev, |now, dev| {
        let h = match handle {
            Some(h) => h,
            None => {
                let local = iface.address();
                match iface.tcp().connect(now, local, target) {
                    Ok(h) => {
                        handle = Some(h);
                        h
                    }
                    Err(e) => {
                        failure = Some(format!("connect: {e}"));
                        return Ok(Next::Exit);
                    }
                }
            }
        };
        for _ in 0..64 {
            let moved = iface.poll_device(now, dev);
            let mut worked = false;
            let Some(conn) = iface.tcp().connection_mut(h) else {
                if done_at.is_none() {
                    failure = Some("connection closed before the response was complete".into());
                }
                return Ok(Next::Exit);
            };
            if connected_at.is_none() && conn.state().is_synchronized() {
                connected_at = Some(now);
                if verbose {
                    eprintln!("* Connected to {} port {}", target.ip(), target.port());
                    show_request(&request);
                }
            }
            if let Some(reason) = conn
                .close_reason()
                .filter(|_| conn.state() == State::Closed)
            {
                if done_at.is_none() {
                    failure = Some(format!("connection closed: {reason}"));
                }
                conn.close();
                return Ok(Next::Exit);
            }
            // Request out.
            while let Some(bytes) = client.poll_transmit() {
                match conn.send(bytes) {
                    Ok(n) => {
                        client.consume(n);
                        worked |= n > 0;
                        if n == 0 {
                            break;
                        }
                    }
                    Err(SendError::WouldBlock) => break,
                    Err(e) => {
                        failure = Some(format!("send: {e}"));
                        return Ok(Next::Exit);
                    }
                }
            }
            // Response in.
            while done_at.is_none() && !eof {
                let result = match conn.recv(&mut buf) {
                    Ok(0) => {
                        eof = true;
                        client.on_eof()
                    }
                    Ok(n) => client.on_bytes(&buf[..n]),
                    Err(RecvError::WouldBlock) | Err(RecvError::NotConnected) => break,
                    Err(e) => {
                        failure = Some(format!("recv: {e}"));
                        return Ok(Next::Exit);
                    }
                };
                worked = true;
                if let Err(e) = result {
                    failure = Some(e.to_string());
                    conn.abort();
                    return Ok(Next::Exit);
                }
                while let Some(event) = client.poll_event() {
                    match event {
                        ClientEvent::Informational(r) if verbose => show_response(&r),
                        ClientEvent::Head(r) => {
                            if verbose {
                                show_response(&r);
                            }
                            // Like curl --fail: an error page is not the body asked for.
                            discard_body = args.fail && r.status.0 >= 400;
                            response = Some(r);
                        }
                        ClientEvent::Data(data) => {
                            body_bytes += data.len() as u64;
                            if discard_body {
                                continue;
                            }
                            if let Err(e) = out.write_all(&data) {
                                failure = Some(format!("writing output: {e}"));
                                conn.abort();
                                return Ok(Next::Exit);
                            }
                        }
                        ClientEvent::Done { trailers } => {
                            if verbose {
                                for t in trailers.iter() {
                                    eprintln!("< {t}");
                                }
                            }
                            done_at = Some(now);
                        }
                        ClientEvent::Upgraded { .. } => {
                            failure = Some("the server switched protocols".into());
                            conn.abort();
                            return Ok(Next::Exit);
                        }
                        _ => {}
                    }
                }
            }
            if done_at.is_some() || eof {
                // Complete (or the server closed): close our side and stay until the
                // FIN exchange is over (TIME-WAIT) so the server sees a clean close,
                // for at most 2 s. Anything the server sends now is not ours to read.
                while let Ok(n) = conn.recv(&mut buf) {
                    if n == 0 {
                        break;
                    }
                }
                conn.close();
                let closing = *closing_since.get_or_insert(now);
                if matches!(conn.state(), State::TimeWait | State::Closed)
                    || now - closing > Duration::from_secs(2)
                {
                    iface.poll_device(now, dev);
                    return Ok(Next::Exit);
                }
            }
            if !moved && !worked {
                break;
            }
        }
        if now >= deadline {
            failure = Some(format!("timed out after {:.1} s", args.timeout));
            return Ok(Next::Exit);
        }
        let next = [iface.poll_at(), Some(deadline)]
            .into_iter()
            .flatten()
            .min();
        Ok(Next::Wait(next))
    })?;
    let _ = out.flush();
    if let Some(f) = failure {
        eprintln!("tundra: {f} (received {body_bytes} body bytes)");
        return Ok(ExitCode::from(1));
    }
    let Some(response) = response else {
        eprintln!("tundra: the server closed without a response");
        return Ok(ExitCode::from(1));
    };
    if verbose {
        let secs = done_at
            .zip(connected_at)
            .map(|(d, c)| (d - c).total_micros() as f64 / 1e6)
            .unwrap_or(0.0);
        eprintln!(
            "* {body_bytes} body bytes in {secs:.3} s ({:.1} MB/s); closing connection",
            body_bytes as f64 / secs.max(1e-6) / 1e6
        );
    }
    if args.fail && response.status.0 >= 400 {
        eprintln!("tundra: the server answered {}", response.status.0);
        return Ok(ExitCode::from(EXIT_HTTP_ERROR));
    }
    Ok(ExitCode::SUCCESS)
}

/// The request head, `> ` before each line (the body of a GET is empty).
fn show_request(request: &ClientRequest) {
    let mut bytes = Vec::new();
    request.write_to(&mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    for line in text.split("\r\n") {
        if line.is_empty() {
            eprintln!(">");
            break;
        }
        eprintln!("> {line}");
    }
}

/// A response head, `< ` before each line, then `<` for the empty line.
fn show_response(response: &ClientResponse) {
    for line in response.to_string().lines() {
        eprintln!("< {line}");
    }
    eprintln!("<");
}
