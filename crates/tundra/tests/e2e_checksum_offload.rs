//! End to end, checksum offload on the TUN device: Tundra leaves the TCP checksum of
//! every segment it writes to the kernel (`VIRTIO_NET_HDR_F_NEEDS_CSUM`, only the
//! pseudo-header sum in the field) and takes the kernel's own segments, handed over
//! the same way, without computing theirs (docs/performance.md, "Fifth session").
//!
//! A kernel that delivers such a packet to a local socket trusts it without looking,
//! so a wrong partial sum would go unnoticed on a single hop. Here the packets are
//! routed on, to a kernel that does look:
//!
//! ```text
//!  Tundra 10.0.0.2 --tun0-- [A: kernel router] 10.1.0.1 --veth (A: tx checksum offload off)-- 10.1.0.2 [B]
//! ```
//!
//! With `ethtool -K veth-a tx off`, A computes each segment it forwards to B in
//! software, from the `csum_start`/`csum_offset` Tundra wrote and the pseudo-header
//! sum in the field; B's kernel verifies every segment. A wrong sum or offset shows as
//! B's `TcpInCsumErrors` and a transfer that stalls. B's own segments reach Tundra
//! partial (B's veth keeps its offload), the path the stack takes without verifying.

mod common;

use std::path::Path;

use common::*;

/// Stops the stack and returns its log, which ends with the `--stats` counters.
fn stop(ns: &mut Netns, stack: usize, log: &Path) -> String {
    let status = ns.interrupt(stack);
    let text = std::fs::read_to_string(log).unwrap();
    assert!(status.success(), "stack exited with {status}:\n{text}");
    text
}

/// B's counter `name` (`nstat`, absolute, history untouched).
fn nstat(ns: &Netns, name: &str) -> u64 {
    let out = ns.exec_ok(&["nstat", "-asz", name]);
    text(&out)
        .lines()
        .find_map(|l| {
            let mut f = l.split_whitespace();
            (f.next() == Some(name)).then(|| f.next().unwrap().parse().unwrap())
        })
        .unwrap_or_else(|| panic!("nstat has no {name}: {}", text(&out)))
}

#[test]
fn offloaded_checksums_are_completed_right_by_a_kernel_that_forwards_them() {
    let mut a = Netns::with_link("csum-a", Link::Tun, false);
    let b = Netns::new("csum-b");
    a.exec_ok(&["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    a.exec_ok(&[
        "ip", "link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b", "netns", &b.name,
    ]);
    a.exec_ok(&["ip", "addr", "add", "10.1.0.1/24", "dev", "veth-a"]);
    a.exec_ok(&["ip", "link", "set", "veth-a", "up"]);
    b.exec_ok(&["ip", "addr", "add", "10.1.0.2/24", "dev", "veth-b"]);
    b.exec_ok(&["ip", "link", "set", "veth-b", "up"]);
    b.exec_ok(&["ip", "route", "add", "default", "via", "10.1.0.1"]);
    // A completes what it forwards to B in software (skb_checksum_help).
    a.exec_ok(&["ethtool", "-K", "veth-a", "tx", "off"]);
    let features = text(&a.exec_ok(&["ethtool", "-k", "veth-a"]));
    assert!(
        features.contains("tx-checksumming: off"),
        "ethtool -k veth-a: {features}"
    );

    let dir = artifacts_dir();
    let pcap = dir.join("csum-offload.pcap");
    let log = dir.join("csum-offload.log");
    let stack = a.start_stack(Link::Tun, &pcap, &log, &["--gateway", KERNEL_ADDR]);
    let started = std::fs::read_to_string(&log).unwrap();
    assert!(started.contains("offload true"), "{started}");
    b.wait_for_ping(STACK_ADDR, &log);

    // Tundra -> B: TSO super-segments and lone segments, all completed by A.
    download_verified(&b, 8 << 20);
    let page = text(&b.exec_ok(&["curl", "-sS", "--max-time", "10", "http://10.0.0.2/hello"]));
    assert_eq!(page, "Hello, world!");
    // B -> Tundra: B's partial segments, taken without a checksum computed; our ACKs
    // completed by A again.
    upload_verified(&b, 8 << 20, &log);

    assert_eq!(nstat(&b, "TcpInCsumErrors"), 0, "B found bad checksums");
    assert_eq!(nstat(&b, "TcpInErrs"), 0);
    let stats = stop(&mut a, stack, &log);
    assert_eq!(stat(&stats, "segments with bad checksum"), 0, "{stats}");
    // The stack's own capture has every checksum complete, as on a wire.
    assert_eq!(tshark_count(&pcap, BROKEN), 0, "{}", tshark_summary(&pcap));
    assert!(tshark_count(&pcap, "tcp.len > 0 && ip.src == 10.0.0.2") > 1000);
}
