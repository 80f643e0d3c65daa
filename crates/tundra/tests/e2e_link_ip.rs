//! End to end, layers 2 and 3 (curriculum Day 1): the kernel's `ping` against Tundra
//! on a TUN and on a TAP device inside a namespace each test creates, with tshark
//! judging both captures.

mod common;

use common::*;

/// Pings 100 times at 10 ms intervals and expects every reply.
fn ping_flood(ns: &Netns) {
    let out = ns.exec_ok(&[
        "ping", "-c", "100", "-i", "0.01", "-W", "1", "-q", STACK_ADDR,
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("100 packets transmitted, 100 received, 0% packet loss"),
        "{text}"
    );
}

/// Pings with payloads of 0, 56, 1400 and 1472 bytes filled with a pattern; ping(8)
/// itself compares every echoed byte and reports "wrong data byte" otherwise.
fn ping_sizes(ns: &Netns) {
    for size in ["0", "56", "1400", "1472"] {
        let out = ns.exec_ok(&[
            "ping", "-c", "3", "-i", "0.05", "-W", "1", "-s", size, "-p", "a55aff00", STACK_ADDR,
        ]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("3 packets transmitted, 3 received"),
            "size {size}: {text}"
        );
        assert!(!text.contains("wrong data"), "size {size}: {text}");
        assert!(!text.contains("DUP"), "size {size}: {text}");
        let echoed = if size == "0" {
            8
        } else {
            size.parse::<usize>().unwrap() + 8
        };
        assert!(
            text.contains(&format!("{echoed} bytes from {STACK_ADDR}")),
            "size {size}: {text}"
        );
    }
}

/// Stops the stack and returns its log, which ends with the `--stats` counters.
fn stop(ns: &mut Netns, stack: usize, log: &std::path::Path) -> String {
    let status = ns.interrupt(stack);
    let text = std::fs::read_to_string(log).unwrap();
    assert!(status.success(), "stack exited with {status}:\n{text}");
    text
}

/// Checks a capture with tshark: nothing malformed, no bad checksum, and every echo
/// request has its reply.
#[track_caller]
fn judge_capture(pcap: &std::path::Path, min_requests: usize) {
    let broken = tshark_count(pcap, BROKEN);
    let requests = tshark_count(pcap, "icmp.type == 8");
    let replies = tshark_count(pcap, "icmp.type == 0");
    let unanswered = tshark_count(pcap, "icmp.resp_not_found");
    let summary = tshark_summary(pcap);
    assert_eq!(
        broken,
        0,
        "tshark found broken packets in {}:\n{summary}",
        pcap.display()
    );
    assert!(
        requests >= min_requests,
        "{requests} requests in {}:\n{summary}",
        pcap.display()
    );
    assert_eq!(
        requests,
        replies,
        "requests vs replies in {}:\n{summary}",
        pcap.display()
    );
    assert_eq!(
        unanswered,
        0,
        "unanswered requests in {}:\n{summary}",
        pcap.display()
    );
}

/// Starts tcpdump on the kernel side of the link, writing to `pcap`.
fn start_tcpdump(
    ns: &mut Netns,
    dev: &str,
    pcap: &std::path::Path,
    log: &std::path::Path,
) -> usize {
    let h = ns.spawn(
        &[
            "tcpdump",
            "-i",
            dev,
            "--immediate-mode",
            "-U",
            "-n",
            "-w",
            pcap.to_str().unwrap(),
        ],
        log,
    );
    // tcpdump says "listening on" once the capture is open.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !std::fs::read_to_string(log)
        .unwrap_or_default()
        .contains("listening on")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "tcpdump did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    h
}

fn ping_over(link: Link) {
    let tag = format!("ping-{}", link.mode());
    let mut ns = Netns::with_link(&tag, link, false);
    let dir = artifacts_dir();
    let stack_pcap = dir.join(format!("{tag}-stack.pcap"));
    let kernel_pcap = dir.join(format!("{tag}-kernel.pcap"));
    let stack_log = dir.join(format!("{tag}-stack.log"));
    let dump_log = dir.join(format!("{tag}-tcpdump.log"));
    let dump = start_tcpdump(&mut ns, link.dev(), &kernel_pcap, &dump_log);
    let stack = ns.start_stack(link, &stack_pcap, &stack_log, &[]);
    if link == Link::Tap {
        // The kernel may already know our MAC: a resolution it began before the stack
        // was up is completed by our announcement (an existing entry is updated even
        // with arp_accept=0). Forget it, so the ping below must ask and we answer.
        ns.exec_ok(&["ip", "neigh", "flush", "dev", "tap0"]);
    }

    ping_flood(&ns);
    ping_sizes(&ns);

    if link == Link::Tap {
        // The kernel resolved our MAC with ARP, and our reply is in its cache.
        let out = ns.exec_ok(&["ip", "neigh", "show", STACK_ADDR, "dev", "tap0"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("lladdr 02:00:00:00:00:02"),
            "ip neigh: {text}"
        );
    }

    // Let tcpdump write the last replies before it is stopped.
    std::thread::sleep(std::time::Duration::from_millis(300));
    ns.interrupt(dump);
    let stats = stop(&mut ns, stack, &stack_log);
    assert!(stat(&stats, "echo replies sent") >= 112, "{stats}");
    assert_eq!(stat(&stats, "with bad header checksum"), 0, "{stats}");
    judge_capture(&stack_pcap, 112);
    judge_capture(&kernel_pcap, 112);
    if link == Link::Tap {
        assert!(
            tshark_count(
                &stack_pcap,
                "arp.opcode == 2 && arp.src.proto_ipv4 == 10.0.0.2"
            ) >= 1
        );
        assert!(
            tshark_count(&stack_pcap, "arp.isgratuitous") >= 1,
            "no gratuitous ARP on start"
        );
    }
}

/// RFC 792 echo through a TUN device: 100 quick pings with no loss, and payloads of
/// 0, 56, 1400 and 1472 bytes echoed exactly; both captures pass tshark.
#[test]
fn tun_ping_is_answered_exactly_and_captures_are_clean() {
    ping_over(Link::Tun);
}

/// The same over a TAP device, where the kernel must first resolve our MAC with ARP
/// (RFC 826) and `ip neigh` then shows it.
#[test]
fn tap_ping_is_answered_exactly_and_kernel_learns_our_mac() {
    ping_over(Link::Tap);
}

/// `tundra ping` is our stack as a ping client: on TAP it resolves the kernel's MAC
/// itself with an ARP request before the first echo request.
#[test]
fn tap_tundra_ping_resolves_the_kernel_with_arp() {
    let ns = Netns::with_link("tping", Link::Tap, false);
    let dir = artifacts_dir();
    let pcap = dir.join("tundra-ping-tap.pcap");
    let bin = tundra_bin();
    let out = ns.exec(&[
        bin.to_str().unwrap(),
        "ping",
        KERNEL_ADDR,
        "--dev",
        "tap0",
        "--mode",
        "tap",
        "--addr",
        "10.0.0.2/24",
        "-c",
        "3",
        "-i",
        "0.2",
        "-s",
        "100",
        "--pcap",
        pcap.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("3 packets transmitted, 3 received, 0% packet loss"),
        "{text}"
    );
    assert!(
        text.contains("108 bytes from 10.0.0.1: icmp_seq=1"),
        "{text}"
    );
    assert!(!text.contains("WRONG DATA"), "{text}");
    // Our ARP request, the kernel's reply, then echoes.
    assert!(
        tshark_count(&pcap, "arp.opcode == 1 && arp.src.hw_mac == 02:00:00:00:00:02 && arp.dst.proto_ipv4 == 10.0.0.1") >= 1,
        "{}",
        tshark_summary(&pcap)
    );
    assert!(tshark_count(&pcap, "arp.opcode == 2 && arp.src.proto_ipv4 == 10.0.0.1") >= 1);
    judge_capture(&pcap, 3);
}

/// `tundra ping` over TUN needs no ARP: the kernel answers directly.
#[test]
fn tun_tundra_ping_gets_kernel_replies() {
    let ns = Netns::with_link("tpingtun", Link::Tun, false);
    let bin = tundra_bin();
    let out = ns.exec(&[
        bin.to_str().unwrap(),
        "ping",
        KERNEL_ADDR,
        "--dev",
        "tun0",
        "--mode",
        "tun",
        "-c",
        "3",
        "-i",
        "0.1",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("3 packets transmitted, 3 received, 0% packet loss"),
        "{text}"
    );
}

/// Frames we don't handle (IPv6 from the kernel) are skipped and counted, and the
/// stack keeps answering IPv4.
#[test]
fn ipv6_frames_are_skipped_and_counted() {
    for link in [Link::Tun, Link::Tap] {
        let tag = format!("v6-{}", link.mode());
        let mut ns = Netns::with_link(&tag, link, true);
        let dir = artifacts_dir();
        let log = dir.join(format!("{tag}.log"));
        let stack = ns.start_stack(link, &dir.join(format!("{tag}.pcap")), &log, &[]);
        ns.exec_ok(&[
            "ip",
            "-6",
            "addr",
            "add",
            "fd00::1/64",
            "dev",
            link.dev(),
            "nodad",
        ]);
        // Two echo requests (TUN) or neighbor solicitations (TAP) toward the stack.
        let _ = ns.exec(&["ping", "-6", "-c", "2", "-i", "0.2", "-W", "1", "fd00::2"]);
        ns.exec_ok(&["ping", "-c", "3", "-i", "0.05", "-W", "1", STACK_ADDR]);
        let stats = stop(&mut ns, stack, &log);
        assert!(
            stat(&stats, "IPv6 frames skipped (IPv6 not implemented)") >= 2,
            "{link:?}: {stats}"
        );
        assert!(stat(&stats, "echo replies sent") >= 3, "{link:?}: {stats}");
    }
}

/// RFC 5227 over a real TAP: the stack announces its address twice, 2 s apart; then a
/// frame from another MAC (scapy, in the namespace) claims 10.0.0.2, and the stack
/// counts the conflict, defends with one more announcement, keeps no neighbor entry
/// for its own address, and keeps answering pings.
#[test]
fn tap_address_conflict_is_detected_and_defended() {
    let mut ns = Netns::with_link("arpconflict", Link::Tap, true);
    let dir = artifacts_dir();
    let log = dir.join("arp-conflict.log");
    let pcap = dir.join("arp-conflict.pcap");
    let stack = ns.start_stack(Link::Tap, &pcap, &log, &[]);
    // Past ANNOUNCE_INTERVAL, so both start-up announcements are out.
    std::thread::sleep(std::time::Duration::from_millis(2300));
    ns.exec_ok(&[
        "/usr/bin/python3",
        "-c",
        "from scapy.all import Ether, ARP, sendp\n\
         sendp(Ether(src='02:00:00:00:00:66', dst='ff:ff:ff:ff:ff:ff') / \
         ARP(op=1, hwsrc='02:00:00:00:00:66', psrc='10.0.0.2', \
         hwdst='00:00:00:00:00:00', pdst='10.0.0.2'), iface='tap0', verbose=False)",
    ]);
    std::thread::sleep(std::time::Duration::from_millis(200));
    ns.exec_ok(&["ping", "-c", "2", "-i", "0.1", "-W", "1", STACK_ADDR]);
    let stats = stop(&mut ns, stack, &log);
    assert_eq!(
        stat(
            &stats,
            "address conflicts detected (another MAC claims our address)"
        ),
        1,
        "{stats}"
    );
    assert_eq!(
        stat(&stats, "announcements sent to defend our address"),
        1,
        "{stats}"
    );
    assert!(
        stats.contains("address conflict: 10.0.0.2 is also claimed by 02:00:00:00:00:66"),
        "the conflict is logged: {stats}"
    );
    // Two announcements on start and one defence, all from our MAC, in our capture.
    let ours = "arp.isgratuitous && arp.src.hw_mac == 02:00:00:00:00:02";
    assert_eq!(tshark_count(&pcap, ours), 3, "{}", tshark_summary(&pcap));
    assert_eq!(
        tshark_count(&pcap, "arp.src.hw_mac == 02:00:00:00:00:66"),
        1,
        "{}",
        tshark_summary(&pcap)
    );
    judge_capture(&pcap, 2);
}
