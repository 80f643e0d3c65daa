//! `tundra replay FILE.pcap [--update]`: replays a recording made with
//! `tundra run --record` on a fresh stack, offline, and says whether every frame the
//! stack sends is the recorded one (docs/replay.md).
//!
//! Exit status: 0 if everything matches (or `--update` rewrote the recording), 1 if
//! something differs (the first difference is printed decoded, field by field), 2 if
//! the recording cannot be read.

use std::process::ExitCode;

use tundra::replay::replay_file;

use crate::cli::ReplayArgs;
use crate::setup::SetupError;

/// Replays `args.pcap` and prints the outcome.
pub fn replay(args: ReplayArgs) -> Result<ExitCode, SetupError> {
    let outcome = match replay_file(&args.pcap, args.update) {
        Ok(outcome) => outcome,
        Err(e) => {
            eprintln!("tundra replay: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    print!("replay {}: {outcome}", args.pcap.display());
    if outcome.matches() {
        println!("OK");
        Ok(ExitCode::SUCCESS)
    } else if args.update {
        println!("UPDATED: the recording now holds what the stack sends");
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "MISMATCH ({} differences); --update rewrites the recording",
            outcome.differences.len()
        );
        Ok(ExitCode::from(1))
    }
}
