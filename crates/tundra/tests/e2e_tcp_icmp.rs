//! End to end, ICMP errors reaching our TCP: Path MTU Discovery (RFC 1191) through a
//! real kernel router, and a connect refused by an ICMP port unreachable (RFC 1122
//! §4.2.3.9).
//!
//! The PMTUD topology, all inside namespaces the test creates:
//!
//! ```text
//!  Tundra 10.0.0.2 --tun0 (1500)-- [A: kernel router] 10.1.0.1 --veth (MTU 1000)-- 10.1.0.2 [B]
//! ```
//!
//! B's kernel announces MSS 1460 (its route says `advmss 1460`), so Tundra sends
//! 1500-byte packets with DF set; A cannot forward them onto the 1000-byte hop and
//! answers "fragmentation needed" with next-hop MTU 1000. The transfer must complete
//! byte-exact, with Tundra's counters showing the reduction.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;

/// Stops the stack and returns its log, which ends with the `--stats` counters.
fn stop(ns: &mut Netns, stack: usize, log: &Path) -> String {
    let status = ns.interrupt(stack);
    let text = std::fs::read_to_string(log).unwrap();
    assert!(status.success(), "stack exited with {status}:\n{text}");
    text
}

/// The two namespaces of the module doc: A (the TUN device, the kernel router) and B
/// (10.1.0.2) behind the 1000-byte hop.
fn two_hops(tag: &str) -> (Netns, Netns) {
    let a = Netns::with_link(&format!("{tag}-a"), Link::Tun, false);
    let b = Netns::new(&format!("{tag}-b"));
    a.exec_ok(&["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    a.exec_ok(&[
        "ip", "link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b", "netns", &b.name,
    ]);
    a.exec_ok(&["ip", "addr", "add", "10.1.0.1/24", "dev", "veth-a"]);
    a.exec_ok(&["ip", "link", "set", "veth-a", "mtu", "1000", "up"]);
    b.exec_ok(&["ip", "addr", "add", "10.1.0.2/24", "dev", "veth-b"]);
    b.exec_ok(&["ip", "link", "set", "veth-b", "mtu", "1000", "up"]);
    // B announces the MSS of a 1500-byte path, as a host on an Ethernet would whose
    // small-MTU hop is further away.
    b.exec_ok(&[
        "ip", "route", "add", "default", "via", "10.1.0.1", "advmss", "1460",
    ]);
    (a, b)
}

/// RFC 1191 through a kernel router: a kernel client in B downloads 4 MB from
/// Tundra's chargen across the 1000-byte hop. A's "fragmentation needed" lowers the
/// connection's segment size, what was in flight is sent again in smaller segments,
/// and every byte arrives.
#[test]
fn pmtud_through_a_kernel_router_with_a_1000_byte_hop() {
    let (mut a, b) = two_hops("pmtu");
    let dir = artifacts_dir();
    let pcap = dir.join("pmtu.pcap");
    let log = dir.join("pmtu.log");
    let stack = a.start_stack(Link::Tun, &pcap, &log, &["--gateway", KERNEL_ADDR]);
    b.wait_for_ping(STACK_ADDR, &log);

    let bytes = 4_000_000u64;
    let out = b.exec(&[
        "python3",
        tool("tcp_bulk.py").to_str().unwrap(),
        "download",
        STACK_ADDR,
        "19",
        &bytes.to_string(),
    ]);
    let t = text(&out);
    assert!(
        out.status.success() && t.contains(" ok"),
        "download across the 1000-byte hop failed: {t}\n{}",
        tshark_summary(&pcap)
    );
    println!("download {bytes}: {}", t.trim());

    let stats = stop(&mut a, stack, &log);
    assert!(stat(&stats, "path MTU reductions") >= 1, "{stats}");
    assert!(
        stat(&stats, "segments resent for a smaller MTU") >= 1,
        "{stats}"
    );
    assert_eq!(stat(&stats, "ICMP errors out of window"), 0, "{stats}");
    // The router's messages, as the stack saw them: type 3 code 4, MTU 1000.
    let frag_needed = tshark_count(
        &pcap,
        "icmp.type == 3 && icmp.code == 4 && icmp.mtu == 1000 && ip.dst == 10.0.0.2",
    );
    assert!(frag_needed >= 1, "{}", tshark_summary(&pcap));
    // Every TCP segment we sent had DF set (RFC 1191 §3), and after the first
    // reduction the data went in packets that fit the hop: the 1500-byte ones are
    // the few of the first flight.
    // (`!icmp`: the router's messages quote our packets, and tshark matches fields of
    // the quoted header too.)
    let ours = "ip.src == 10.0.0.2 && tcp && !icmp";
    assert_eq!(
        tshark_count(&pcap, &format!("{ours} && ip.flags.df == 0")),
        0
    );
    let big = tshark_count(&pcap, &format!("{ours} && ip.len > 1000"));
    let small = tshark_count(&pcap, &format!("{ours} && tcp.len > 0 && ip.len <= 1000"));
    assert!(big >= 1, "we tried full-size packets first");
    assert!(
        small > 20 * big,
        "{big} packets over 1000 octets against {small} that fit"
    );
    // (The router's messages are left out: tshark cannot verify the checksum of the
    // TCP header they quote, which is cut short.)
    let broken = tshark_count(&pcap, &format!("ip && !icmp && ({BROKEN})"));
    assert_eq!(broken, 0, "{}", tshark_summary(&pcap));
}

/// The other direction of a transfer, with our client: `tundra connect` sends 2 MiB
/// to a kernel `nc -l` in B across the 1000-byte hop; B gets every byte.
#[test]
fn tundra_connect_uploads_across_the_1000_byte_hop() {
    let (a, mut b) = two_hops("pmtu-up");
    let dir = artifacts_dir();
    let data: Vec<u8> = (0..2u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let to_send = dir.join("pmtu-up-sends.bin");
    let got = dir.join("pmtu-up-got.bin");
    std::fs::write(&to_send, &data).unwrap();
    let listen = format!("exec nc -l -N 10.1.0.2 5000 > {}", got.display());
    b.spawn(&["sh", "-c", &listen], &dir.join("pmtu-up-nc.log"));
    std::thread::sleep(Duration::from_millis(300));
    let pcap = dir.join("pmtu-up.pcap");
    let bin = tundra_bin();
    let out = a.exec(&[
        bin.to_str().unwrap(),
        "connect",
        "10.1.0.2:5000",
        "--dev",
        "tun0",
        "--gateway",
        KERNEL_ADDR,
        "--pcap",
        pcap.to_str().unwrap(),
        "--send",
        to_send.to_str().unwrap(),
        "--out",
        "/dev/null",
        "--timeout",
        "60",
    ]);
    assert!(
        out.status.success(),
        "tundra connect: {}\n{}",
        text(&out),
        tshark_summary(&pcap)
    );
    println!("{}", text(&out).lines().last().unwrap_or(""));
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::metadata(&got).map(|m| m.len()).unwrap_or(0) < data.len() as u64 {
        assert!(Instant::now() < deadline, "nc never got everything");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(std::fs::read(&got).unwrap() == data, "B got other bytes");
    let frag_needed = tshark_count(
        &pcap,
        "icmp.type == 3 && icmp.code == 4 && icmp.mtu == 1000",
    );
    assert!(frag_needed >= 1, "{}", tshark_summary(&pcap));
    let big = tshark_count(&pcap, "ip.src == 10.0.0.2 && tcp && !icmp && ip.len > 1000");
    let small = tshark_count(
        &pcap,
        "ip.src == 10.0.0.2 && tcp && !icmp && tcp.len > 0 && ip.len <= 1000",
    );
    assert!(
        big >= 1 && small > 20 * big,
        "{big} over 1000 octets, {small} that fit"
    );
}

/// RFC 1122 §4.2.3.9: the kernel rejects our SYN to port 7777 with an ICMP port
/// unreachable (nftables `reject`); `tundra connect` fails at once with that reason
/// instead of retrying its SYN for two minutes.
#[test]
fn connect_refused_by_icmp_port_unreachable_fails_fast() {
    let ns = Netns::with_link("icmp-refused", Link::Tun, false);
    let rules = "table ip tundra_reject {\n\
                   chain in { type filter hook input priority 0; iifname \"tun0\" tcp dport 7777 reject with icmp type port-unreachable; }\n\
                 }\n";
    let path = artifacts_dir().join(format!("{}-reject.nft", ns.name));
    std::fs::write(&path, rules).unwrap();
    ns.exec_ok(&["nft", "-f", path.to_str().unwrap()]);

    let bin = tundra_bin();
    let started = Instant::now();
    let out = ns.exec(&[
        bin.to_str().unwrap(),
        "connect",
        "10.0.0.1:7777",
        "--dev",
        "tun0",
        "--timeout",
        "60",
    ]);
    let took = started.elapsed();
    let t = text(&out);
    assert!(!out.status.success(), "connect succeeded: {t}");
    assert!(
        t.contains("connection refused (port unreachable)"),
        "the failure names the ICMP error: {t}"
    );
    assert!(
        took < Duration::from_secs(10),
        "failed fast, not after SYN retries: {took:?}"
    );
}
