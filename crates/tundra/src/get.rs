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

use tundra_core::Instant;
use tundra_http::{ClientConnection, ClientEvent, ClientRequest, ClientResponse, Url};
use tundra_tcp::{CloseReason, Connection, RecvError, SendError};

use crate::cli::GetArgs;
use crate::client::{self, ClientApp, Step};
use crate::setup::SetupError;

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
    let out: Box<dyn Write> = match &args.output {
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

    let verbose = args.verbose;
    if verbose {
        eprintln!("*   Trying {target}...");
    }
    let mut app = Fetch {
        target,
        request,
        client,
        verbose,
        fail: args.fail,
        connected: false,
        eof: false,
        response: None,
        body_bytes: 0,
        discard_body: false,
        done_at: None,
        out,
        buf: vec![0u8; 64 * 1024],
    };
    let outcome = client::run(&args.device, target, args.timeout, &mut app)?;
    let Fetch {
        response,
        body_bytes,
        done_at,
        mut out,
        ..
    } = app;
    let connected_at = outcome.connected_at;
    let failure = outcome.failure;
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

/// One GET: the request out, the response in, the body to `out`.
struct Fetch {
    target: SocketAddrV4,
    request: ClientRequest,
    client: ClientConnection,
    verbose: bool,
    /// `--fail`: an error page is not the body asked for (curl's -f).
    fail: bool,
    connected: bool,
    /// The server closed its side.
    eof: bool,
    response: Option<ClientResponse>,
    body_bytes: u64,
    discard_body: bool,
    /// When the response was complete.
    done_at: Option<Instant>,
    out: Box<dyn Write>,
    buf: Vec<u8>,
}

impl ClientApp for Fetch {
    fn round(&mut self, now: Instant, conn: &mut Connection) -> Step {
        if !self.connected && conn.state().is_synchronized() {
            self.connected = true;
            if self.verbose {
                let (ip, port) = (self.target.ip(), self.target.port());
                eprintln!("* Connected to {ip} port {port}");
                show_request(&self.request);
            }
        }
        let mut step = Step::Idle;
        // Request out.
        while let Some(bytes) = self.client.poll_transmit() {
            match conn.send(bytes) {
                Ok(0) | Err(SendError::WouldBlock) => break,
                Ok(n) => {
                    self.client.consume(n);
                    step = Step::Worked;
                }
                Err(e) => return Step::Fail(format!("send: {e}")),
            }
        }
        // Response in.
        while self.done_at.is_none() && !self.eof {
            let result = match conn.recv(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    self.client.on_eof()
                }
                Ok(n) => self.client.on_bytes(&self.buf[..n]),
                Err(RecvError::WouldBlock) | Err(RecvError::NotConnected) => break,
                Err(e) => return Step::Fail(format!("recv: {e}")),
            };
            step = Step::Worked;
            if let Err(e) = result {
                return Step::Fail(e.to_string());
            }
            if let Err(message) = self.events(now) {
                return Step::Fail(message);
            }
        }
        // Complete, or the server closed (an empty close is judged by the caller:
        // no response).
        if self.done_at.is_some() || self.eof {
            return Step::Done;
        }
        step
    }

    fn on_closed(&mut self, reason: Option<CloseReason>) -> Option<String> {
        if self.done_at.is_some() {
            return None;
        }
        Some(match reason {
            Some(reason) => format!("connection closed: {reason}"),
            None => "connection closed before the response was complete".into(),
        })
    }
}

impl Fetch {
    /// Handles what the parser found; an error message ends the exchange.
    fn events(&mut self, now: Instant) -> Result<(), String> {
        while let Some(event) = self.client.poll_event() {
            match event {
                ClientEvent::Informational(r) if self.verbose => show_response(&r),
                ClientEvent::Head(r) => {
                    if self.verbose {
                        show_response(&r);
                    }
                    self.discard_body = self.fail && r.status.0 >= 400;
                    self.response = Some(r);
                }
                ClientEvent::Data(data) => {
                    self.body_bytes += data.len() as u64;
                    if self.discard_body {
                        continue;
                    }
                    if let Err(e) = self.out.write_all(&data) {
                        return Err(format!("writing output: {e}"));
                    }
                }
                ClientEvent::Done { trailers } => {
                    if self.verbose {
                        for t in trailers.iter() {
                            eprintln!("< {t}");
                        }
                    }
                    self.done_at = Some(now);
                }
                ClientEvent::Upgraded { .. } => {
                    return Err("the server switched protocols".into());
                }
                _ => {}
            }
        }
        Ok(())
    }
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
