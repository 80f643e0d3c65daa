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

/// Writes each raw file, runs `bench_tool.py COMMAND` over them, and returns the JSON it
/// wrote and the table it printed.
fn run_tool(name: &str, command: &str, raws: &[String]) -> (Value, String) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-report-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let mut cmd = Command::new("python3");
    cmd.arg(tool()).arg(command);
    for (i, text) in raws.iter().enumerate() {
        let path = dir.join(format!("raw{i}.jsonl"));
        std::fs::write(&path, text).expect("write raw");
        cmd.arg(path);
    }
    let out_path = dir.join("out.json");
    let output = cmd
        .arg(&out_path)
        .output()
        .expect("run python3 bench_tool.py");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{command} failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json = std::fs::read_to_string(out_path).expect("JSON written");
    (serde_json::from_str(&json).expect("valid JSON"), stdout)
}

/// `bench_tool.py report` over `raws`.
fn report(name: &str, raws: &[String]) -> (Value, String) {
    run_tool(name, "report", raws)
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
            // Steady enough to resolve half a percent, too small to call a result.
            (
                "connrate",
                "tundra",
                &[1000.0, 1001.0, 999.0, 1000.0, 1000.0],
            ),
            (
                "connrate",
                "smoltcp",
                &[1005.0, 1006.0, 1004.0, 1005.0, 1005.0],
            ),
        ])],
    );
    let connrate = row(&report, "connrate");
    let (lo, hi) = interval(connrate);
    assert!(hi < 1.0, "{lo}-{hi}: the interval excludes 1.0x");
    assert_eq!(connrate["vs_smoltcp"], "tied", "but 0.5% is level");
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

/// `bench_tool.py paired` (scripts/bench-paired.sh's summary): the median of per-pair
/// ratios, its interval, and in how many pairs Tundra was faster. Pairs that move
/// together (a slow minute slows both sides of a pair) still give a tight answer.
#[test]
fn paired_bursts_give_the_median_pair_ratio_and_its_interval() {
    let mut raw = json!({"meta": true, "pairs": 6}).to_string() + "\n";
    // The machine's speed drifts from 80k to 130k; Tundra is 5% behind in every pair
    // at -c100, and level (alternately 1% ahead and behind) at -c10.
    let speeds = [
        80_000.0, 130_000.0, 95_000.0, 120_000.0, 85_000.0, 110_000.0,
    ];
    for (i, speed) in speeds.iter().enumerate() {
        let level = if i % 2 == 0 { 1.01 } else { 0.99 };
        for (conns, tundra) in [(10, speed * level), (100, speed * 0.95)] {
            let rec = json!({"conns": conns, "pair": i + 1, "tundra": tundra,
                             "smoltcp": speed, "errors": 0});
            raw += &(rec.to_string() + "\n");
        }
    }
    let (report, table) = run_tool("paired", "paired", &[raw]);
    let rows = report["rows"].as_array().expect("rows");
    let row = |c: u64| rows.iter().find(|r| r["conns"] == c).expect("row");

    let c100 = row(100);
    assert_eq!(c100["pairs"], 6);
    assert!((c100["ratio_median"].as_f64().unwrap() - 0.95).abs() < 1e-9);
    let ci = c100["ratio_ci95"].as_array().unwrap();
    assert!((ci[0].as_f64().unwrap() - 0.95).abs() < 1e-9, "{ci:?}");
    assert!((ci[1].as_f64().unwrap() - 0.95).abs() < 1e-9, "{ci:?}");
    assert_eq!(c100["verdict"], "behind");
    assert_eq!(c100["tundra_faster"], 0);
    // Unpaired, the same runs could not tell: medians 102.5k vs 107.9k, ranges overlap.
    assert!(c100["tundra"]["max"].as_f64() > c100["smoltcp"]["median"].as_f64());

    let c10 = row(10);
    assert_eq!(c10["verdict"], "tied");
    assert_eq!(c10["tundra_faster"], 3);
    assert!(table.contains("| -c100 | 6 |"), "{table}");
}
