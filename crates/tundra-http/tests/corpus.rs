//! The request corpus in `testdata/http/`: every case parsed by our `RequestDecoder`,
//! checked against the manifest's expectation, checked to give the same result when
//! fed one byte at a time and at every split point, and compared with h11 by
//! `scripts/http_differential.py` (which fails, not skips, when h11 is missing).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use tundra_http::{Limits, ParseError, Request, RequestDecoder};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Case {
    name: String,
    expect: String,
    data: Vec<u8>,
}

fn corpus() -> Vec<Case> {
    let dir = repo_root().join("testdata/http");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let mut cols = line.split('\t');
            let name = cols.next().unwrap().to_owned();
            let expect = cols.next().expect("expect column").to_owned();
            let data = std::fs::read(dir.join("cases").join(format!("{name}.http")))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            Case { name, expect, data }
        })
        .collect()
}

/// What the decoder made of a whole input.
#[derive(Debug, PartialEq)]
struct Outcome {
    requests: Vec<Request>,
    kind: &'static str,
    error: Option<ParseError>,
}

impl Outcome {
    fn expectation(&self) -> String {
        match self.error {
            Some(e) => format!("{} reject {}", self.requests.len(), e.status().0),
            None => format!("{} {}", self.requests.len(), self.kind),
        }
    }
}

/// Feeds `chunks` in order, polling after each, and classifies the end state.
fn decode(chunks: &[&[u8]]) -> Outcome {
    let mut d = RequestDecoder::new(Limits::default());
    let mut requests = Vec::new();
    for chunk in chunks {
        d.feed(chunk);
        loop {
            match d.poll() {
                Ok(Some(r)) => requests.push(r),
                Ok(None) => break,
                Err(e) => {
                    return Outcome {
                        requests,
                        kind: "reject",
                        error: Some(e),
                    }
                }
            }
        }
    }
    let kind = if d.is_closed() {
        "closed"
    } else if d.buffered() == 0 && d.is_idle() {
        "ok"
    } else {
        "partial"
    };
    Outcome {
        requests,
        kind,
        error: None,
    }
}

#[test]
fn corpus_is_large_enough() {
    assert!(corpus().len() >= 150, "issue 4 asks for at least 150 cases");
}

#[test]
fn every_case_meets_its_manifest_expectation() {
    let mut wrong = Vec::new();
    for case in corpus() {
        let got = decode(&[&case.data]).expectation();
        if got != case.expect {
            wrong.push(format!(
                "{}: expected {}, got {}",
                case.name, case.expect, got
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_case_gives_the_same_result_one_byte_at_a_time() {
    for case in corpus().iter().filter(|c| c.data.len() < 4096) {
        let whole = decode(&[&case.data]);
        let bytes: Vec<&[u8]> = case.data.chunks(1).collect();
        assert_eq!(decode(&bytes), whole, "{}", case.name);
    }
}

#[test]
fn every_case_gives_the_same_result_at_every_split_point() {
    for case in corpus().iter().filter(|c| c.data.len() < 1024) {
        let whole = decode(&[&case.data]);
        for i in 0..=case.data.len() {
            let (a, b) = case.data.split_at(i);
            assert_eq!(decode(&[a, b]), whole, "{} split at {i}", case.name);
        }
    }
}

/// A JSON string holding bytes as the code points U+0000..U+00FF (latin-1), which
/// Python reads back with `.encode("latin-1")`.
fn json_bytes(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => write!(out, "\\u{:04x}", b).unwrap(),
        }
    }
    out.push('"');
}

fn json_fields(out: &mut String, headers: &tundra_http::Headers) {
    out.push('[');
    for (i, h) in headers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        json_bytes(out, h.name.as_bytes());
        out.push(',');
        json_bytes(out, h.value);
        out.push(']');
    }
    out.push(']');
}

fn json_line(name: &str, o: &Outcome) -> String {
    let mut s = String::from("{\"name\":");
    json_bytes(&mut s, name.as_bytes());
    write!(s, ",\"outcome\":\"{}\",\"status\":", o.kind).unwrap();
    match o.error {
        Some(e) => write!(s, "{}", e.status().0).unwrap(),
        None => s.push_str("null"),
    }
    s.push_str(",\"requests\":[");
    for (i, r) in o.requests.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str("{\"method\":");
        json_bytes(&mut s, r.method.as_str().as_bytes());
        s.push_str(",\"target\":");
        json_bytes(&mut s, r.target.as_bytes());
        write!(
            s,
            ",\"version\":\"{}.{}\",\"headers\":",
            r.version.major, r.version.minor
        )
        .unwrap();
        json_fields(&mut s, &r.headers);
        s.push_str(",\"body\":");
        json_bytes(&mut s, &r.body);
        s.push_str(",\"trailers\":");
        json_fields(&mut s, &r.trailers);
        s.push('}');
    }
    s.push_str("]}\n");
    s
}

#[test]
fn h11_agrees_except_for_listed_differences() {
    let mut jsonl = String::new();
    for case in corpus() {
        jsonl.push_str(&json_line(&case.name, &decode(&[&case.data])));
    }
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tundra-http-ours.jsonl");
    std::fs::write(&path, jsonl).unwrap();
    let root = repo_root();
    let output = Command::new("python3")
        .arg(root.join("scripts/http_differential.py"))
        .arg("--ours")
        .arg(&path)
        .arg("--corpus")
        .arg(root.join("testdata/http"))
        .output()
        .expect("python3 must be on PATH for the h11 differential test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}{stderr}");
    assert!(
        output.status.success(),
        "h11 differential failed (pip install h11==0.16.0 if it is missing):\n{stdout}{stderr}"
    );
}
