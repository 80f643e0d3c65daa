//! End to end: Tundra keeps serving under a SYN flood (RFC 4987). From the kernel side
//! of the namespace's TUN link, tens of thousands of SYNs with spoofed sources fill the
//! web server's SYN queue; the stack answers them with SYN cookies and keeps no state
//! for them, so `curl` still gets every page, memory stays bounded, and nothing but the
//! flood's bounded half-open connections, listeners and TIME-WAIT is left afterwards.
//! Every packet stays inside the namespace the test creates.

mod common;

use std::time::{Duration, Instant};

use common::*;

/// SYNs in the flood, and their rate per second (about 4 s of flood).
const FLOOD_SYNS: u32 = 40_000;
const FLOOD_RATE: u32 = 10_000;
/// Requests made while the flood runs.
const CURLS: usize = 5;
/// The stack's resident memory may not exceed this: a leak of state per SYN (a few
/// hundred bytes each, times 40 000) or a queue without bound would.
const RSS_LIMIT_KIB: u64 = 64 << 10;
/// The default SYN backlog (`EndpointConfig::syn_backlog`).
const SYN_BACKLOG: usize = 128;

/// The pid of the `tundra` process in the namespace.
fn stack_pid(ns: &Netns) -> String {
    let out = ns.exec_ok(&["ip", "netns", "pids", &ns.name]);
    text(&out)
        .split_whitespace()
        .find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == "tundra")
        })
        .map(str::to_string)
        .expect("tundra runs in the namespace")
}

/// VmRSS of `pid` in KiB.
fn rss_kib(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

/// One `curl` of the index page: (HTTP status, connect time, total time).
fn curl(ns: &Netns) -> (String, f64, f64) {
    let out = ns.exec(&[
        "curl",
        "-sS",
        "-m",
        "10",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{time_connect} %{time_total}",
        &format!("http://{STACK_ADDR}/"),
    ]);
    let t = text(&out);
    let mut it = t.split_whitespace();
    let code = it.next().unwrap_or("").to_string();
    let connect = it.next().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
    let total = it.next().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
    assert!(out.status.success(), "curl during the flood failed: {t}");
    (code, connect, total)
}

#[test]
fn tundra_serves_through_a_syn_flood() {
    let mut ns = Netns::with_link("synflood", Link::Tun, false);
    let dir = artifacts_dir();
    let log = dir.join("synflood-stack.log");
    let flood_log = dir.join("synflood-flood.log");
    let stack = ns.start_stack_with(Link::Tun, None, &log, &[]);
    let pid = stack_pid(&ns);
    let rss_before = rss_kib(&pid);

    let started = Instant::now();
    ns.spawn(
        &[
            "/usr/bin/python3",
            tool("syn_flood.py").to_str().unwrap(),
            STACK_ADDR,
            "80",
            &FLOOD_SYNS.to_string(),
            &FLOOD_RATE.to_string(),
        ],
        &flood_log,
    );
    // Once the flood is on (the tool first builds its packets), let it fill the SYN
    // queue, then ask for the page while it goes on.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&flood_log)
        .unwrap_or_default()
        .contains("flooding")
    {
        assert!(Instant::now() < deadline, "the flood never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let mut rss_max = rss_kib(&pid);
    let mut times = Vec::new();
    for _ in 0..CURLS {
        let (code, connect, total) = curl(&ns);
        assert_eq!(code, "200", "the page during the flood");
        times.push((connect, total));
        rss_max = rss_max.max(rss_kib(&pid));
        std::thread::sleep(Duration::from_millis(300));
    }
    let flood_done = |started: Instant| {
        let deadline = started + Duration::from_secs(30);
        loop {
            let out = std::fs::read_to_string(&flood_log).unwrap_or_default();
            if out.contains("sent ") {
                return out;
            }
            assert!(Instant::now() < deadline, "the flood never finished: {out}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let flood_was_running = !std::fs::read_to_string(&flood_log)
        .unwrap_or_default()
        .contains("sent ");
    let flood = flood_done(started);
    rss_max = rss_max.max(rss_kib(&pid));
    // And after it: the listener still serves (its SYN queue is still full of the
    // flood's half-open connections, so this one is a cookie too).
    let (code, _, _) = curl(&ns);
    assert_eq!(code, "200");
    std::thread::sleep(Duration::from_millis(500));
    let kernel_left: Vec<String> = text(&ns.exec_ok(&["ss", "-tanH"]))
        .lines()
        .filter(|l| l.contains(STACK_ADDR) && !l.starts_with("TIME-WAIT"))
        .map(str::to_string)
        .collect();
    assert!(
        kernel_left.is_empty(),
        "kernel sockets left: {kernel_left:#?}"
    );

    let status = ns.interrupt(stack);
    let stats = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "{stats}");
    println!("flood: {}", flood.lines().last().unwrap_or(""));
    println!("curl during the flood (connect s, total s): {times:?}");
    println!("VmRSS: {rss_before} KiB before, at most {rss_max} KiB during");
    let sent = stat(&stats, "SYN cookies sent");
    let valid = stat(&stats, "SYN cookies received");
    let invalid = stat(&stats, "invalid SYN cookies received");
    let opens = stat(&stats, "passive connection openings");
    println!("cookies sent {sent}, valid {valid}, invalid {invalid}; passive opens {opens}");
    assert!(
        flood_was_running,
        "the flood ended before the last request: too slow a host to say anything"
    );
    assert!(
        sent > u64::from(FLOOD_SYNS) / 2,
        "cookies answered most of the flood:\n{stats}"
    );
    assert!(
        valid >= CURLS as u64,
        "every request during the flood came in on a cookie:\n{stats}"
    );
    assert_eq!(invalid, 0, "no one returned a bad cookie");
    // The requests during the flood and the one after it all got in.
    assert!(opens > CURLS as u64, "{stats}");
    assert!(
        stats.contains("possible SYN flooding on port 80. Sending cookies."),
        "the flood is logged:\n{stats}"
    );
    assert!(
        rss_max < RSS_LIMIT_KIB,
        "VmRSS {rss_max} KiB during the flood"
    );
    // The socket table: listeners, TIME-WAIT, and the flood's half-open connections
    // (from addresses nobody has, bounded by the SYN backlog; they time out after
    // their SYN-ACK retransmissions), nothing else.
    let table: Vec<&str> = stats
        .lines()
        .skip_while(|l| !l.starts_with("State"))
        .skip(1)
        .collect();
    let mut half_open = 0;
    for row in &table {
        let cols: Vec<&str> = row.split_whitespace().collect();
        match cols.first().copied() {
            Some("LISTEN") | Some("TIME-WAIT") => {}
            Some("SYN-RECEIVED")
                if !cols
                    .get(4)
                    .is_some_and(|p| p.starts_with(&format!("{KERNEL_ADDR}:"))) =>
            {
                half_open += 1
            }
            _ => panic!("connection left behind: {row}\n{stats}"),
        }
    }
    assert!(
        half_open <= SYN_BACKLOG,
        "{half_open} half-open connections"
    );
}
