//! The report half of the measuring instrument (`scripts/bench_tool.py report`), fed
//! with made-up raw runs whose answer is known: medians, ratios, and the 95% bootstrap
//! interval that says whether Tundra is ahead of smoltcp, behind it, or tied within the
//! run-to-run noise. No network, no root: only the arithmetic the tables rely on.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

fn tool() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench_tool.py")
}

/// Raw records as `bench.sh` appends them: one per (row, target, run).
fn raw(rows: &[(&str, &str, &[f64])]) -> String {
    let mut out = json!({"meta": true, "runs": 5}).to_string() + "\n";
    for (row, target, values) in rows {
        for (run, v) in values.iter().enumerate() {
            let rec = json!({"row": row, "target": target, "run": run + 1, "mtu": 1500,
                             "load": [1.0, 1.0, 1.0], "value": v});
            out += &(rec.to_string() + "\n");
        }
    }
    out
}

/// Writes each raw file, runs `report` over all of them, and returns the JSON and the
/// printed table.
fn report(name: &str, raws: &[String]) -> (Value, String) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-report-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let mut cmd = Command::new("python3");
    cmd.arg(tool()).arg("report");
    for (i, text) in raws.iter().enumerate() {
        let path = dir.join(format!("raw{i}.jsonl"));
        std::fs::write(&path, text).expect("write raw");
        cmd.arg(path);
    }
    let out_path = dir.join("report.json");
    let output = cmd
        .arg(&out_path)
        .output()
        .expect("run python3 bench_tool.py");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "report failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json = std::fs::read_to_string(out_path).expect("report JSON written");
    (serde_json::from_str(&json).expect("valid JSON"), stdout)
}

fn row<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["key"] == key))
        .unwrap_or_else(|| panic!("no row {key}"))
}

fn interval(row: &Value) -> (f64, f64) {
    let ci = row["tundra_over_smoltcp_ci95"]
        .as_array()
        .unwrap_or_else(|| panic!("no interval in {row}"));
    (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap())
}

#[test]
fn twice_as_fast_is_ahead_and_twice_as_slow_is_behind() {
    let (report, table) = report(
        "apart",
        &[raw(&[
            ("http_c100", "tundra", &[100.0, 102.0, 98.0, 101.0, 99.0]),
            ("http_c100", "smoltcp", &[50.0, 51.0, 49.0, 50.0, 52.0]),
            // Lower is better for a round-trip time: twice smoltcp's is behind.
            ("ping", "tundra", &[60.0, 61.0, 59.0, 60.0, 62.0]),
            ("ping", "smoltcp", &[30.0, 31.0, 29.0, 30.0, 30.5]),
        ])],
    );
    let http = row(&report, "http_c100");
    assert_eq!(http["tundra_over_smoltcp"], 2.0);
    let (lo, hi) = interval(http);
    assert!(lo > 1.9 && lo <= 2.0, "{lo}");
    assert!((2.0..2.1).contains(&hi), "{hi}");
    assert_eq!(http["vs_smoltcp"], "ahead");
    let ping = row(&report, "ping");
    assert_eq!(ping["tundra_over_smoltcp"], 2.0);
    assert_eq!(ping["vs_smoltcp"], "behind");
    assert!(
        table.contains("ahead") && table.contains("behind"),
        "{table}"
    );
}

#[test]
fn overlapping_runs_are_tied_and_one_run_has_no_interval() {
    let (report, _) = report(
        "overlap",
        &[raw(&[
            ("http_c100", "tundra", &[90.0, 110.0, 100.0, 95.0, 105.0]),
            ("http_c100", "smoltcp", &[92.0, 108.0, 101.0, 97.0, 103.0]),
            ("http_c10", "tundra", &[100.0]),
            ("http_c10", "smoltcp", &[90.0]),
        ])],
    );
    let http = row(&report, "http_c100");
    let (lo, hi) = interval(http);
    assert!(lo < 1.0 && 1.0 < hi, "{lo}-{hi}");
    assert_eq!(http["vs_smoltcp"], "tied");
    // One run each: a ratio, but no spread to say anything about it.
    let single = row(&report, "http_c10");
    assert!((single["tundra_over_smoltcp"].as_f64().unwrap() - 100.0 / 90.0).abs() < 1e-9);
    assert!(single["tundra_over_smoltcp_ci95"].is_null());
    assert!(single["vs_smoltcp"].is_null());
}

#[test]
fn several_raw_files_pool_their_runs() {
    let first = raw(&[
        ("http_c100", "tundra", &[100.0, 101.0, 99.0]),
        ("http_c100", "smoltcp", &[100.0, 99.0, 98.0]),
    ]);
    let second = raw(&[
        ("http_c100", "tundra", &[80.0, 81.0, 79.0]),
        ("http_c100", "smoltcp", &[120.0, 119.0, 121.0]),
    ]);
    let (report, table) = report("pooled", &[first, second]);
    let http = row(&report, "http_c100");
    assert_eq!(http["stats"]["tundra"]["n"], 6);
    assert_eq!(http["stats"]["smoltcp"]["n"], 6);
    // Medians of the pooled runs: (81 + 99) / 2 = 90 and (100 + 119) / 2 = 109.5.
    assert_eq!(http["stats"]["tundra"]["median"], 90.0);
    assert_eq!(http["stats"]["smoltcp"]["median"], 109.5);
    assert_eq!(
        report["meta"]["pooled_from"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(table.contains("pooled from 2 raw files"), "{table}");
}
