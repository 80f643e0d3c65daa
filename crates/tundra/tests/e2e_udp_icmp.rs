//! End to end, UDP, ICMP errors and fragments (curriculum Day 1's traceroute and Day
//! 2's UDP): the kernel's `nc -u`, `ping -s 8000`, a connected UDP socket, `traceroute`,
//! `traceroute -I`, `tracepath` and a scapy script of hostile fragments against Tundra
//! on a TUN device inside a namespace each test creates; tshark judges the captures.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;

/// Where the scapy script lives.
fn tool(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/tools")
        .join(name)
}

/// Stops the stack and returns its log, which ends with the `--stats` counters.
fn stop(ns: &mut Netns, stack: usize, log: &Path) -> String {
    let status = ns.interrupt(stack);
    let text = std::fs::read_to_string(log).unwrap();
    assert!(status.success(), "stack exited with {status}:\n{text}");
    text
}

/// Nothing tshark calls malformed or a bad checksum among the packets matching
/// `which` (IP, ICMP, UDP checksums verified; fragments reassembled by tshark).
#[track_caller]
fn assert_clean(pcap: &Path, which: &str) {
    let broken = tshark_count(pcap, &format!("({which}) && ({BROKEN})"));
    assert_eq!(
        broken,
        0,
        "tshark found broken packets in {}:\n{}",
        pcap.display(),
        tshark_summary(pcap)
    );
}

/// A namespace with the stack on a TUN or TAP link, recording to `<tag>.pcap`.
fn setup(tag: &str, link: Link) -> (Netns, usize, PathBuf, PathBuf) {
    let mut ns = Netns::with_link(tag, link, false);
    let dir = artifacts_dir();
    let pcap = dir.join(format!("{tag}.pcap"));
    let log = dir.join(format!("{tag}.log"));
    let stack = ns.start_stack(link, &pcap, &log, &[]);
    (ns, stack, pcap, log)
}

/// `nc -u` to the UDP services: echo (RFC 862) returns the line, daytime (RFC 867)
/// the date, qotd (RFC 865) a quote, time (RFC 868) four bytes.
#[test]
fn nc_udp_echo_daytime_qotd_time() {
    let (mut ns, stack, pcap, log) = setup("udp-nc", Link::Tun);
    let nc = |port: &str, input: &str| -> Vec<u8> {
        let out = ns.exec_ok(&[
            "sh",
            "-c",
            &format!("printf '{input}' | nc -u -w 1 {STACK_ADDR} {port}"),
        ]);
        out.stdout
    };
    assert_eq!(nc("7", "hello tundra\\n"), b"hello tundra\n");
    let day = String::from_utf8(nc("13", "\\n")).unwrap();
    assert!(day.ends_with("-UTC\r\n") && day.contains(", 20"), "{day:?}");
    let quote = String::from_utf8(nc("17", "\\n")).unwrap();
    assert!(quote.contains("-- RFC"), "{quote:?}");
    let time = nc("37", "\\n");
    assert_eq!(time.len(), 4, "{time:?}");
    // Seconds since 1900: after 2020-01-01 (3786825600) and before 2036 wraps.
    assert!(u32::from_be_bytes(time[..4].try_into().unwrap()) > 3_786_825_600);

    let stats = stop(&mut ns, stack, &log);
    assert_eq!(
        stat(&stats, "datagrams delivered to a socket"),
        4,
        "{stats}"
    );
    assert_eq!(stat(&stats, "datagrams sent"), 4, "{stats}");
    assert_eq!(stat(&stats, "datagrams with a bad checksum dropped"), 0);
    assert_eq!(
        tshark_count(&pcap, "udp.srcport == 7 && ip.src == 10.0.0.2"),
        1
    );
    assert_clean(&pcap, "ip");
}

/// `ping -s 8000`: the kernel fragments each 8028-byte request into 6 pieces; the
/// stack reassembles it and sends the 8028-byte reply in 6 fragments of its own; ping
/// checks every byte of the pattern.
fn ping_s8000_over(link: Link) {
    let (mut ns, stack, pcap, log) = setup(&format!("udp-ping8000-{}", link.mode()), link);
    let out = ns.exec_ok(&[
        "ping", "-c", "3", "-i", "0.2", "-W", "2", "-s", "8000", "-p", "a55aff00", STACK_ADDR,
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("3 packets transmitted, 3 received"), "{text}");
    assert!(text.contains("8008 bytes from 10.0.0.2"), "{text}");
    assert!(
        !text.contains("wrong data") && !text.contains("DUP"),
        "{text}"
    );

    let stats = stop(&mut ns, stack, &log);
    assert_eq!(stat(&stats, "datagrams reassembled"), 3, "{stats}");
    assert_eq!(stat(&stats, "datagrams fragmented"), 3, "{stats}");
    assert_eq!(stat(&stats, "fragments created"), 18, "{stats}");
    // On the wire: 6 fragments each way per ping, 5 of them with More Fragments.
    let frags_in = tshark_count(&pcap, "ip.src == 10.0.0.1 && ip.flags.mf == 1");
    let frags_out = tshark_count(&pcap, "ip.src == 10.0.0.2 && ip.flags.mf == 1");
    assert_eq!((frags_in, frags_out), (15, 15), "{}", tshark_summary(&pcap));
    // tshark reassembles them into 3 requests and 3 replies, each answered.
    assert_eq!(tshark_count(&pcap, "icmp.type == 8 && ip.fragments"), 3);
    assert_eq!(tshark_count(&pcap, "icmp.type == 0 && ip.fragments"), 3);
    assert_eq!(tshark_count(&pcap, "icmp.resp_not_found"), 0);
    assert_clean(&pcap, "ip");
}

#[test]
fn ping_s8000_is_fragmented_both_ways_and_echoed_exactly() {
    ping_s8000_over(Link::Tun);
}

/// The same over TAP: every fragment goes through ARP resolution and Ethernet.
#[test]
fn ping_s8000_over_tap() {
    ping_s8000_over(Link::Tap);
}

/// UDP to a closed port: port unreachable, which the kernel turns into ECONNREFUSED on
/// a connected socket (Linux `__udp4_lib_err`).
#[test]
fn closed_port_gives_econnrefused_on_a_connected_socket() {
    let (mut ns, stack, pcap, log) = setup("udp-refused", Link::Tun);
    let script = r#"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect(("10.0.0.2", 9999))
s.send(b"anyone there?")
try:
    s.recv(100)
    print("answered")
except ConnectionRefusedError:
    print("ECONNREFUSED")
except socket.timeout:
    print("timeout")
"#;
    let out = ns.exec_ok(&["/usr/bin/python3", "-c", script]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.trim(), "ECONNREFUSED");

    let stats = stop(&mut ns, stack, &log);
    assert_eq!(stat(&stats, "datagrams to a port nobody listens on"), 1);
    assert_eq!(stat(&stats, "port unreachable messages sent"), 1);
    let unreachable =
        "icmp.type == 3 && icmp.code == 3 && ip.src == 10.0.0.2 && udp.dstport == 9999";
    assert_eq!(
        tshark_count(&pcap, unreachable),
        1,
        "{}",
        tshark_summary(&pcap)
    );
    assert_clean(&pcap, "ip");
}

/// The last line of a traceroute's output names the stack.
#[track_caller]
fn assert_last_hop_is_stack(tool: &str, text: &str) {
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    assert!(
        last.trim_start().starts_with("1 ") && last.contains(STACK_ADDR) && !last.contains('*'),
        "{tool}: last hop is not the stack:\n{text}"
    );
}

/// `traceroute -n` (UDP probes to high ports: port unreachable ends it) and
/// `traceroute -I` (echo requests: an echo reply ends it) both reach the stack in one
/// hop, with an answer to every probe; `tracepath` too.
#[test]
fn traceroute_udp_icmp_and_tracepath_reach_the_stack() {
    let (mut ns, stack, pcap, log) = setup("udp-traceroute", Link::Tun);
    let udp = ns.exec_ok(&["traceroute", "-n", "-w", "2", STACK_ADDR]);
    assert_last_hop_is_stack("traceroute", &String::from_utf8_lossy(&udp.stdout));
    let icmp = ns.exec_ok(&["traceroute", "-I", "-n", "-w", "2", STACK_ADDR]);
    assert_last_hop_is_stack("traceroute -I", &String::from_utf8_lossy(&icmp.stdout));
    let path = ns.exec_ok(&["tracepath", "-n", STACK_ADDR]);
    let text = String::from_utf8_lossy(&path.stdout);
    assert!(
        text.lines().any(|l| l.trim_start().starts_with("1:")
            && l.contains(STACK_ADDR)
            && l.contains("reached")),
        "tracepath:\n{text}"
    );
    assert!(text.contains("hops 1"), "tracepath:\n{text}");

    let stats = stop(&mut ns, stack, &log);
    assert!(
        stat(&stats, "port unreachable messages sent") >= 3,
        "{stats}"
    );
    assert_eq!(
        stat(&stats, "ICMP errors not sent: rate limited"),
        0,
        "{stats}"
    );
    assert!(tshark_count(&pcap, "icmp.type == 3 && icmp.code == 3") >= 3);
    assert_clean(&pcap, "ip");
}

/// A scapy script sends overlapping fragments, a ping of death, a datagram in 70
/// fragments, a bad fragment length, duplicates, and two datagrams that never
/// complete. The stack survives, counts each, answers only the valid datagram, keeps
/// answering pings, and when the reassembly timeout (30 s) expires sends time exceeded
/// code 1 for the datagram whose fragment zero arrived, and nothing for the other.
#[test]
fn hostile_fragments_are_survived_and_counted() {
    let (mut ns, stack, pcap, log) = setup("udp-frag", Link::Tun);
    let scapy = tool("hostile_fragments.py");
    let scapy = scapy.to_str().unwrap();
    let out = ns.exec_ok(&["/usr/bin/python3", scapy, "incomplete", STACK_ADDR]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("done"));
    let out = ns.exec_ok(&["/usr/bin/python3", scapy, "hostile", STACK_ADDR]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("done"));
    let sent = Instant::now();

    let ping = ns.exec_ok(&["ping", "-c", "5", "-i", "0.1", "-W", "1", STACK_ADDR]);
    let text = String::from_utf8_lossy(&ping.stdout);
    assert!(text.contains("5 packets transmitted, 5 received"), "{text}");

    // Wait out the default 30 s reassembly timeout of the incomplete datagrams.
    if let Some(rest) = (sent + Duration::from_secs(31)).checked_duration_since(Instant::now()) {
        std::thread::sleep(rest);
    }
    let stats = stop(&mut ns, stack, &log);

    assert_eq!(
        stat(
            &stats,
            "fragmented datagrams dropped: overlapping fragments"
        ),
        1,
        "{stats}"
    );
    assert_eq!(
        stat(
            &stats,
            "fragmented datagrams dropped: longer than 65535 bytes"
        ),
        1,
        "{stats}"
    );
    // The 65th of 70 fragments discards the datagram; the last 5 start a buffer that
    // never completes.
    assert_eq!(
        stat(&stats, "fragmented datagrams dropped: too many fragments"),
        1,
        "{stats}"
    );
    assert_eq!(stat(&stats, "fragments dropped: bad length"), 1, "{stats}");
    assert_eq!(stat(&stats, "duplicate fragments dropped"), 2, "{stats}");
    assert_eq!(stat(&stats, "datagrams reassembled"), 1, "{stats}");
    // id 0x5101 (fragment zero only), 0x5102 (no fragment zero), the tail of 0x5203,
    // the overlap's and the ping of death's later fragments started no buffer.
    assert_eq!(stat(&stats, "fragmented datagrams timed out"), 3, "{stats}");
    assert_eq!(
        stat(&stats, "reassembly time exceeded messages sent"),
        1,
        "{stats}"
    );

    let answered = "icmp.type == 11 && icmp.code == 1 && ip.src == 10.0.0.2";
    assert_eq!(
        tshark_count(&pcap, answered),
        1,
        "{}",
        tshark_summary(&pcap)
    );
    // The time exceeded quotes fragment zero of id 0x5101.
    assert_eq!(
        tshark_count(&pcap, &format!("{answered} && ip.id == 0x5101")),
        1
    );
    // The one valid fragmented request (with duplicates, id 0x5205) is answered; the
    // others (ids 0x5101-0x5204) are not.
    let replies = |id: &str| tshark_count(&pcap, &format!("icmp.type == 0 && icmp.ident == {id}"));
    assert_eq!(replies("0x5205"), 1, "{}", tshark_summary(&pcap));
    for id in ["0x5101", "0x5102", "0x5201", "0x5202", "0x5203", "0x5204"] {
        assert_eq!(replies(id), 0, "{id}");
    }
    // What we sent is clean; what scapy sent is broken on purpose.
    assert_clean(&pcap, "ip.src == 10.0.0.2");
}
