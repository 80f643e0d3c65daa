//! ARP conversations with the interface on an Ethernet (TAP) medium, sans-IO: the
//! announcements on start (RFC 5227 §2.3), requests and probes answered (RFC 826,
//! RFC 5227 §2.1.1), and address conflicts detected and defended (RFC 5227 §2.4).
//!
//! Each test feeds Ethernet frames to `Interface::receive` and reads what the stack
//! queued with `Interface::dequeue`.

use tundra_core::Instant;
use tundra_ip::Ipv4Addr;
use tundra_link::{
    ArpOperation, ArpPacket, ArpRepr, EtherType, EthernetAddress, EthernetRepr, Frame,
};
use tundra_stack::{Config, Interface, Medium};

const STACK: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const KERNEL: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const KERNEL_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x01]);
const INTRUDER_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x66]);

fn t(ms: i64) -> Instant {
    Instant::from_millis(ms)
}

fn tap() -> Interface {
    let mut config = Config::new(Medium::Ethernet, "10.0.0.2/24".parse().unwrap());
    config.seed = 7;
    Interface::new(config, 1500)
}

fn stat(iface: &Interface, name: &str) -> u64 {
    iface.counters().by_name(name).unwrap()
}

/// An ARP packet from `src_mac`, as a broadcast frame.
fn arp_frame(src_mac: EthernetAddress, arp: &ArpRepr) -> Vec<u8> {
    let mut frame = vec![0u8; 14 + arp.buffer_len()];
    EthernetRepr {
        src_addr: src_mac,
        dst_addr: EthernetAddress::BROADCAST,
        ethertype: EtherType::Arp,
    }
    .emit(&mut Frame::new_unchecked(&mut frame[..]));
    arp.emit(&mut ArpPacket::new_unchecked(&mut frame[14..]));
    frame
}

/// Every ARP packet the stack queued, with the frame's destination MAC.
fn sent_arp(iface: &mut Interface) -> Vec<(EthernetAddress, ArpRepr)> {
    std::iter::from_fn(|| iface.dequeue())
        .map(|frame| {
            let view = Frame::new_checked(&frame[..]).expect("short frame from the stack");
            let eth = EthernetRepr::parse(&view).unwrap();
            assert_eq!(eth.ethertype, EtherType::Arp, "expected only ARP");
            let arp = ArpRepr::parse(&ArpPacket::new_unchecked(view.payload())).unwrap();
            (eth.dst_addr, arp)
        })
        .collect()
}

#[track_caller]
fn is_our_announcement(sent: &(EthernetAddress, ArpRepr), iface: &Interface) {
    let (dst, arp) = sent;
    assert_eq!(*dst, EthernetAddress::BROADCAST);
    assert!(arp.is_gratuitous(), "not an announcement: {arp}");
    assert_eq!(arp.source_protocol_addr, STACK);
    assert_eq!(arp.source_hardware_addr, iface.config().mac);
}

/// The interface after its first announcement (at 0 ms).
fn started() -> Interface {
    let mut s = tap();
    assert_eq!(s.poll_at(), Some(Instant::ZERO));
    s.poll(t(0));
    let out = sent_arp(&mut s);
    assert_eq!(out.len(), 1);
    is_our_announcement(&out[0], &s);
    s
}

/// RFC 5227 §2.3: ANNOUNCE_NUM (2) announcements, ANNOUNCE_INTERVAL (2 s) apart, then
/// no more: the timer asks for a wake-up at 2 s and never again.
#[test]
fn rfc5227_2_3_two_announcements_two_seconds_apart() {
    let mut s = started();
    assert_eq!(s.poll_at(), Some(t(2000)));
    s.poll(t(1999));
    assert!(sent_arp(&mut s).is_empty(), "announced early");
    s.poll(t(2000));
    let out = sent_arp(&mut s);
    assert_eq!(out.len(), 1);
    is_our_announcement(&out[0], &s);
    assert_eq!(s.poll_at(), None);
    s.poll(t(60_000));
    assert!(sent_arp(&mut s).is_empty());
    assert_eq!(stat(&s, "arp_gratuitous_sent"), 2);
}

/// RFC 826: a request for our address is answered to the asker, who is learned.
#[test]
fn rfc826_request_for_us_is_answered_and_the_asker_learned() {
    let mut s = started();
    let request = ArpRepr::request(KERNEL_MAC, KERNEL, STACK);
    s.receive(t(10), &arp_frame(KERNEL_MAC, &request));
    let out = sent_arp(&mut s);
    assert_eq!(out.len(), 1);
    let (dst, reply) = &out[0];
    assert_eq!(*dst, KERNEL_MAC);
    assert_eq!(reply.operation, ArpOperation::Reply);
    assert_eq!(reply.source_protocol_addr, STACK);
    assert_eq!(reply.target_protocol_addr, KERNEL);
    assert_eq!(s.neighbors().lookup(t(10), KERNEL), Some(KERNEL_MAC));
}

/// RFC 5227 §2.1.1: a probe for our address (sender IP 0.0.0.0) is answered, so the
/// prober sees the address is taken, and is not cached. Not a conflict: the prober
/// claims nothing yet.
#[test]
fn rfc5227_2_1_1_probe_for_our_address_is_answered_not_learned() {
    let mut s = started();
    let probe = ArpRepr::probe(INTRUDER_MAC, STACK);
    s.receive(t(10), &arp_frame(INTRUDER_MAC, &probe));
    let out = sent_arp(&mut s);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, INTRUDER_MAC);
    assert_eq!(out[0].1.operation, ArpOperation::Reply);
    assert_eq!(out[0].1.source_protocol_addr, STACK);
    assert_eq!(s.neighbors().iter(t(10)).count(), 0);
    assert_eq!(stat(&s, "arp_conflicts"), 0);
}

/// RFC 5227 §2.4: another MAC announcing our address is a conflict: counted, never a
/// neighbor entry for our own address, and defended with one announcement of ours
/// (§2.4 (b)); a second conflict within DEFEND_INTERVAL (10 s) is counted but not
/// answered, so two defenders cannot ping-pong; after it, we defend again.
#[test]
fn rfc5227_2_4_conflicting_announcement_is_defended_once_per_interval() {
    let mut s = started();
    let claim = ArpRepr::gratuitous(INTRUDER_MAC, STACK);

    s.receive(t(100), &arp_frame(INTRUDER_MAC, &claim));
    let out = sent_arp(&mut s);
    assert_eq!(out.len(), 1, "one defending announcement");
    is_our_announcement(&out[0], &s);
    assert!(!s.neighbors().contains(STACK), "learned our own address");

    s.receive(t(5_000), &arp_frame(INTRUDER_MAC, &claim));
    assert!(sent_arp(&mut s).is_empty(), "defended twice within 10 s");
    assert_eq!(stat(&s, "arp_conflicts"), 2);
    assert_eq!(stat(&s, "arp_defences_sent"), 1);

    s.receive(t(10_100), &arp_frame(INTRUDER_MAC, &claim));
    let out = sent_arp(&mut s);
    assert_eq!(out.len(), 1, "defended again after DEFEND_INTERVAL");
    is_our_announcement(&out[0], &s);
    assert_eq!(stat(&s, "arp_conflicts"), 3);
    assert_eq!(stat(&s, "arp_defences_sent"), 2);
    assert!(!s.neighbors().contains(STACK));
}

/// RFC 5227 §2.4: "any ARP packet (Request *or* Reply)": a reply or a request for
/// somebody else whose sender is our address from another MAC is a conflict too, and
/// is not answered as a request would be.
#[test]
fn rfc5227_2_4_any_arp_with_our_sender_address_is_a_conflict() {
    let mut s = started();
    let request_for_kernel = ArpRepr::request(INTRUDER_MAC, STACK, KERNEL);
    s.receive(t(10), &arp_frame(INTRUDER_MAC, &request_for_kernel));
    let reply = ArpRepr {
        operation: ArpOperation::Reply,
        ..ArpRepr::request(INTRUDER_MAC, STACK, KERNEL)
    };
    s.receive(t(20), &arp_frame(INTRUDER_MAC, &reply));
    assert_eq!(stat(&s, "arp_conflicts"), 2);
    let out = sent_arp(&mut s);
    assert_eq!(out.len(), 1, "one defence, no reply: {out:?}");
    is_our_announcement(&out[0], &s);
    assert!(!s.neighbors().contains(STACK));
}

/// Our own announcement looped back (same MAC) is not a conflict.
#[test]
fn our_own_announcement_echoed_back_is_not_a_conflict() {
    let mut s = started();
    let ours = ArpRepr::gratuitous(s.config().mac, STACK);
    let mac = s.config().mac;
    s.receive(t(10), &arp_frame(mac, &ours));
    assert_eq!(stat(&s, "arp_conflicts"), 0);
    assert!(!s.neighbors().contains(STACK));
}
