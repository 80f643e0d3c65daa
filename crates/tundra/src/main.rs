//! `tundra`: run the Tundra stack on a TUN/TAP device with its demo services, or use
//! it as a client (`tundra ping`).
//!
//! Every failure a user can cause (no root, a busy device, no `/dev/net/tun`, a bad
//! address) ends in one line on stderr and a non-zero exit, never a panic.

mod cli;
mod client;
mod connect;
mod get;
mod ping;
mod replay_cmd;
mod run;
mod setup;
mod ws_client;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    // The web server writes its own access lines, with the client's address.
    let filter = env_logger::Env::default().default_filter_or("info,tundra_http::access=warn");
    env_logger::Builder::from_env(filter)
        .format_timestamp_micros()
        .init();
    let result = match cli.command {
        cli::Command::Run(args) => run::run(args),
        cli::Command::Ping(args) => ping::ping(args),
        cli::Command::Replay(args) => replay_cmd::replay(args),
        cli::Command::Connect(args) => connect::connect(args),
        cli::Command::Get(args) => get::get(args),
        cli::Command::Ws(args) => ws_client::ws(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tundra: {e}");
            ExitCode::from(2)
        }
    }
}
