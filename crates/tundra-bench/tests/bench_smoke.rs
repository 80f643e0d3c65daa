//! Smoke test of the measuring instrument: `scripts/bench.sh --quick` runs every
//! workload once, with small sizes, against Tundra, smoltcp and the kernel, and writes
//! a JSON with every row of the table. Speed is not asserted (issue 8: speed goals live
//! in benchmarks, never in timed tests); what is checked is that each row was measured
//! for each target, or says why not.
//!
//! Needs root (namespaces, TUN devices, nftables), like the end-to-end tests of the
//! `tundra` crate; without it the test fails and says so.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Every row the report must hold (`ROWS` in scripts/bench_tool.py).
const ROWS: [&str; 15] = [
    "ping",
    "ping_cpu0",
    "upload@1500",
    "download@1500",
    "upload@9000",
    "download@9000",
    "upload@65535",
    "download@65535",
    "upload_loss5",
    "download_loss5",
    "http_c10",
    "http_c100",
    "connrate",
    "cpu_upload",
    "cpu_download",
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// The `tundra` binary next to this crate's binaries, built if it is not there yet
/// (`cargo test --workspace` has built it already; `cargo test -p tundra-bench` has not).
fn tundra_bin() -> PathBuf {
    let release = Path::new(env!("CARGO_BIN_EXE_smoltcp-server"))
        .parent()
        .expect("binary dir")
        .to_path_buf();
    let bin = release.join("tundra");
    if !bin.exists() {
        let target_dir = release.parent().expect("target dir");
        let status = Command::new(env!("CARGO"))
            .args(["build", "--release", "-p", "tundra", "--bin", "tundra"])
            .env("CARGO_TARGET_DIR", target_dir)
            .current_dir(repo_root())
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build -p tundra failed");
    }
    bin
}

/// Fails unless root (the scripts need namespaces, TUN devices, nftables); returns an
/// empty output directory called `name`.
fn root_and_fresh_dir(name: &str) -> PathBuf {
    let uid = Command::new("id").arg("-u").output().expect("run id -u");
    assert_eq!(
        String::from_utf8_lossy(&uid.stdout).trim(),
        "0",
        "the bench smoke tests need root (namespaces, TUN devices, nftables): sudo scripts/test.sh"
    );
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&out_dir);
    out_dir
}

#[test]
fn quick_bench_measures_every_row_for_every_stack() {
    let out_dir = root_and_fresh_dir("bench-smoke");
    let output = Command::new(repo_root().join("scripts/bench.sh"))
        .args(["--quick", "--no-build", "--out"])
        .arg(&out_dir)
        .env("TUNDRA_BIN", tundra_bin())
        .env("SMOLTCP_BIN", env!("CARGO_BIN_EXE_smoltcp-server"))
        .env("KERNEL_BIN", env!("CARGO_BIN_EXE_kernel-server"))
        .output()
        .expect("run scripts/bench.sh");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "bench.sh --quick failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("| workload"),
        "bench.sh printed no table:\n{stdout}"
    );

    let json = std::fs::read_to_string(out_dir.join("latest.json")).expect("latest.json written");
    let report: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(report["meta"]["quick"], true);
    let rows = report["rows"].as_array().expect("rows");
    let keys: Vec<&str> = rows.iter().filter_map(|r| r["key"].as_str()).collect();
    assert_eq!(keys, ROWS, "the table's rows");
    for row in rows {
        let key = row["key"].as_str().unwrap_or("?");
        for target in ["tundra", "smoltcp", "kernel"] {
            let runs = row["runs"][target].as_array().expect("runs per target");
            assert_eq!(runs.len(), 1, "{key}/{target}: one run in --quick");
            for run in runs {
                // Each run carries the load average it ran under.
                assert_eq!(
                    run["load"].as_array().map(Vec::len),
                    Some(3),
                    "{key}/{target}"
                );
                let measured = run["value"].as_f64().is_some_and(|v| v > 0.0);
                // A row that was not measured must say why (e.g. no HTTP service).
                let explained = run["note"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("skipped"));
                assert!(
                    measured || explained,
                    "{key}/{target}: neither a value nor a reason: {run}\n{stdout}"
                );
            }
        }
    }
    // Ratios are computed wherever both sides were measured.
    let upload = rows
        .iter()
        .find(|r| r["key"] == "upload@1500")
        .expect("the upload row");
    assert!(upload["tundra_over_smoltcp"]
        .as_f64()
        .is_some_and(|r| r > 0.0));
    assert!(upload["tundra_over_kernel"]
        .as_f64()
        .is_some_and(|r| r > 0.0));
}

/// `scripts/bench-paired.sh` with one short pair: both servers come up side by side,
/// each answers wrk, and the summary has the pair.
#[test]
fn paired_bench_measures_both_servers() {
    let out_dir = root_and_fresh_dir("bench-paired-smoke");
    let output = Command::new(repo_root().join("scripts/bench-paired.sh"))
        .args([
            "--no-build",
            "--pairs",
            "1",
            "--secs",
            "1",
            "--conns",
            "10",
            "--out",
        ])
        .arg(&out_dir)
        .env("TUNDRA_BIN", tundra_bin())
        .env("SMOLTCP_BIN", env!("CARGO_BIN_EXE_smoltcp-server"))
        .output()
        .expect("run scripts/bench-paired.sh");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "bench-paired.sh failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let json = std::fs::read_dir(&out_dir)
        .expect("out dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("paired-2") && n.ends_with(".json"))
        })
        .expect("paired-<stamp>.json written");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).expect("read")).expect("valid JSON");
    let rows = report["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{stdout}");
    assert_eq!(rows[0]["conns"], 10);
    assert_eq!(rows[0]["pairs"], 1);
    for side in ["tundra", "smoltcp"] {
        assert!(
            rows[0][side]["median"].as_f64().is_some_and(|v| v > 0.0),
            "{side}: {stdout}"
        );
    }
}
