//! Command-line arguments (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// A user-space TCP/IP stack on a TUN/TAP device.
#[derive(Debug, Parser)]
#[command(name = "tundra", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the stack with its demo services until Ctrl-C.
    Run(RunArgs),
    /// Ping an address from the stack (ICMP echo, like ping(8)).
    Ping(PingArgs),
    /// Replay a capture recorded with `run --record` on a fresh stack and compare
    /// every frame it sends with the recorded one.
    Replay(ReplayArgs),
    /// Open a TCP connection from the stack (active open), send a file, save what
    /// comes back (like `nc HOST PORT < in > out`).
    Connect(ConnectArgs),
    /// Fetch a URL from the stack (HTTP/1.1 client, like `curl`), e.g. from a kernel
    /// web server: `tundra get http://10.0.0.1:8000/ -v`.
    Get(GetArgs),
    /// Talk WebSocket from the stack: each input line is a text message, every message
    /// received is printed, e.g. `tundra ws ws://10.0.0.1:9000/ --send lines.txt`.
    Ws(WsArgs),
}

/// TUN (raw IP) or TAP (Ethernet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Layer 3: raw IPv4 packets, no ARP.
    Tun,
    /// Layer 2: Ethernet frames, ARP.
    Tap,
}

/// Options shared by every command that brings up a stack on a device.
#[derive(Debug, Clone, Args)]
pub struct DeviceArgs {
    /// The TUN/TAP interface to attach to (created if it does not exist).
    #[arg(long, default_value = "tun0")]
    pub dev: String,
    /// TUN (raw IP) or TAP (Ethernet + ARP).
    #[arg(long, value_enum, default_value = "tun")]
    pub mode: Mode,
    /// The stack's address and prefix, e.g. 10.0.0.2/24.
    #[arg(long, default_value = "10.0.0.2/24")]
    pub addr: String,
    /// Default gateway for off-link destinations.
    #[arg(long)]
    pub gateway: Option<String>,
    /// The stack's MAC address in TAP mode.
    #[arg(long, default_value = "02:00:00:00:00:02")]
    pub mac: String,
    /// Record every frame in and out to this pcap file.
    #[arg(long)]
    pub pcap: Option<PathBuf>,
    /// Seed for the stack's RNG (IP IDs, ISNs, ports): same seed, same choices.
    #[arg(long, default_value_t = 0x7475_6e64_7261)]
    pub seed: u64,
    /// Write every frame on its own, take no TCP super-segments from the kernel and
    /// compute every TCP checksum (no `IFF_VNET_HDR` offload on a TUN device); the
    /// frames the stack sees and `--pcap` records are the same either way, but a
    /// `tcpdump` on the device shows TCP checksums filled only with this.
    #[arg(long)]
    pub no_offload: bool,
}

/// `tundra run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Device and address.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// Print the counters (like `netstat -s`) on exit.
    #[arg(long)]
    pub stats: bool,
    /// Record a replayable session: every frame to this pcap file (like --pcap) and
    /// the stack's parameters and timeline to FILE.replay.json next to it.
    #[arg(long, value_name = "FILE", conflicts_with = "pcap")]
    pub record: Option<PathBuf>,
    /// Discard (port 9) only counts what it reads instead of also hashing it with
    /// SHA-256: what scripts/bench.sh compares with smoltcp's discard, which does not
    /// hash either.
    #[arg(long)]
    pub no_discard_hash: bool,
    /// The demo web server on port 80.
    #[command(flatten)]
    pub http: HttpArgs,
}

/// Options of the demo web server of `tundra run`.
#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// Directory served under http://STACK/docs/ (default: ./docs if it exists).
    #[arg(long, value_name = "DIR")]
    pub www: Option<PathBuf>,
    /// Seconds a client may take to send a request head before it gets 408 and is
    /// closed (the slowloris defence).
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub http_header_timeout: f64,
    /// Seconds a keep-alive connection may sit idle (no request started, or none of
    /// our output taken by the peer) before the server closes it.
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    pub http_idle_timeout: f64,
}

impl HttpArgs {
    /// The web server's configuration; `unix_time_at_zero` is the wall-clock time of
    /// the stack's time zero (for `Date`).
    pub fn config(
        &self,
        unix_time_at_zero: std::time::Duration,
    ) -> tundra::services::http::HttpConfig {
        let www = self.www.clone().or_else(|| {
            let docs = PathBuf::from("docs");
            docs.is_dir().then_some(docs)
        });
        tundra::services::http::HttpConfig {
            www,
            header_timeout: tundra_core::Duration::from_micros(
                (self.http_header_timeout.max(0.0) * 1e6) as u64,
            ),
            idle_timeout: tundra_core::Duration::from_micros(
                (self.http_idle_timeout.max(0.0) * 1e6) as u64,
            ),
            wall_clock: Some(tundra_http::WallClock {
                at: tundra_core::Instant::ZERO,
                unix_secs: unix_time_at_zero.as_secs(),
            }),
        }
    }
}

/// `tundra replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The recorded pcap (its timeline is FILE.replay.json).
    pub pcap: PathBuf,
    /// Rewrite the recording with what the stack sends now.
    #[arg(long)]
    pub update: bool,
}

/// `tundra ping`.
#[derive(Debug, Args)]
pub struct PingArgs {
    /// The address to ping.
    pub target: String,
    /// Device and address.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// Stop after sending this many requests.
    #[arg(short = 'c', long, default_value_t = 4)]
    pub count: u32,
    /// Seconds between requests.
    #[arg(short = 'i', long, default_value_t = 1.0)]
    pub interval: f64,
    /// Bytes of data per request (ping's -s).
    #[arg(short = 's', long, default_value_t = 56)]
    pub size: usize,
    /// Seconds to wait for the last reply.
    #[arg(short = 'W', long, default_value_t = 2.0)]
    pub wait: f64,
}

/// `tundra connect`.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// Where to connect, e.g. 10.0.0.1:5000.
    pub target: String,
    /// Device and address.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// Send this file's bytes, then half-close (FIN). Without it, half-close at once.
    #[arg(long)]
    pub send: Option<PathBuf>,
    /// Write what the peer sends here (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Give up if the transfer has not finished after this many seconds.
    #[arg(long, default_value_t = 120.0)]
    pub timeout: f64,
}

/// `tundra get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// The URL, e.g. http://10.0.0.1:8000/index.html (the host must be an IPv4 address).
    pub url: String,
    /// Device and address.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// Show the exchange on stderr like `curl -v` (`>` request, `<` response lines).
    #[arg(short, long)]
    pub verbose: bool,
    /// Write the body to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit with status 22 when the response is an HTTP error (4xx, 5xx), like
    /// `curl --fail`.
    #[arg(short, long)]
    pub fail: bool,
    /// Give up if the response has not arrived whole after this many seconds.
    #[arg(long, default_value_t = 30.0)]
    pub timeout: f64,
}

/// `tundra ws`.
#[derive(Debug, Args)]
pub struct WsArgs {
    /// The URL, e.g. ws://10.0.0.1:9000/chat (the host must be an IPv4 address).
    pub url: String,
    /// Device and address.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// Send this file's lines, one text message each (default: standard input, read to
    /// its end first).
    #[arg(long)]
    pub send: Option<PathBuf>,
    /// Once every line is sent, close after this many seconds without a message.
    #[arg(long, default_value_t = 1.0)]
    pub wait: f64,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 60.0)]
    pub timeout: f64,
    /// Do not offer permessage-deflate (RFC 7692); by default it is offered, as
    /// browsers do.
    #[arg(long)]
    pub no_deflate: bool,
}
