//! The binary's one-line errors for the mistakes a newcomer makes: a bad address, a
//! device another process holds, no root, no `/dev/net/tun`. Never a panic, never a
//! bare errno.

mod common;

use std::process::Output;

use common::*;

#[track_caller]
fn one_line_error(out: &Output, expect: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "exit status; stderr: {stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("tundra: "))
        .collect();
    assert_eq!(lines.len(), 1, "expected one error line, got:\n{stderr}");
    assert!(
        lines[0].contains(expect),
        "{:?} does not mention {expect:?}",
        lines[0]
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_address_is_one_line() {
    let bin = tundra_bin();
    for addr in ["10.0.0.300/24", "10.0.0.2/33", "banana"] {
        let out = std::process::Command::new(&bin)
            .args(["run", "--dev", "tunx9", "--addr", addr])
            .output()
            .unwrap();
        one_line_error(&out, "bad address");
    }
}

#[test]
fn busy_device_is_one_line() {
    let mut ns = Netns::with_link("busy", Link::Tun, false);
    let dir = artifacts_dir();
    let log = dir.join("busy-first.log");
    let first = ns.start_stack(Link::Tun, &dir.join("busy.pcap"), &log, &[]);
    let bin = tundra_bin();
    let out = ns.exec(&[
        bin.to_str().unwrap(),
        "run",
        "--dev",
        "tun0",
        "--addr",
        "10.0.0.2/24",
    ]);
    one_line_error(&out, "busy");
    ns.interrupt(first);
}

#[test]
fn no_root_is_one_line() {
    let ns = Netns::new("noroot");
    let bin = tundra_bin();
    let out = ns.exec(&[
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        bin.to_str().unwrap(),
        "run",
        "--dev",
        "tun0",
        "--addr",
        "10.0.0.2/24",
    ]);
    one_line_error(&out, "run as root");
}

#[test]
fn missing_dev_net_tun_is_one_line() {
    let ns = Netns::new("notun");
    let bin = tundra_bin();
    // A private mount namespace where /dev/net is an empty tmpfs.
    let script = format!(
        "mount --make-rprivate / && mount -t tmpfs none /dev/net && exec {} run --dev tun0",
        bin.display()
    );
    let out = ns.exec(&["unshare", "-m", "sh", "-c", &script]);
    one_line_error(&out, "/dev/net/tun does not exist");
}
