//! Packet conversations with the interface, sans-IO: UDP datagrams in and out, ICMP
//! errors sent (and the RFC 1122 §3.2.2 cases where they must not be), ICMP errors
//! received and handed to the right socket, fragments reassembled, refused and timed
//! out, and our own oversized datagrams fragmented.
//!
//! Each test feeds raw IPv4 packets to `Interface::receive` (a TUN medium, MTU 1500)
//! and reads what the stack queued with `Interface::dequeue`.

use core::net::SocketAddrV4;

use tundra_core::{Duration, Instant};
use tundra_ip::{
    ChecksumMode, Icmpv4DstUnreachable, Icmpv4Packet, Icmpv4Repr, Icmpv4TimeExceeded, IpProtocol,
    Ipv4Addr, Ipv4Packet, Ipv4Repr, Reassembler, ReassemblyConfig,
};
use tundra_link::{EtherType, EthernetAddress, EthernetRepr, Frame};
use tundra_stack::{Config, Interface, Medium, RateLimit, UdpSendError};
use tundra_udp::{IcmpErrorKind, RecvError, UdpPacket, UdpRepr};

const KERNEL: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const STACK: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

fn config() -> Config {
    Config::new(Medium::Ip, "10.0.0.2/24".parse().unwrap())
}

fn stack_with(config: Config) -> Interface {
    Interface::new(config, 1500)
}

fn stack() -> Interface {
    stack_with(config())
}

fn t(ms: i64) -> Instant {
    Instant::from_millis(ms)
}

/// A header template: from the kernel to the stack, not fragmented.
fn ip(protocol: IpProtocol, payload_len: usize) -> Ipv4Repr {
    Ipv4Repr {
        src_addr: KERNEL,
        dst_addr: STACK,
        protocol,
        payload_len,
        ttl: 64,
        ident: 0x4242,
        dont_frag: false,
        more_frags: false,
        frag_offset: 0,
        dscp_ecn: 0,
    }
}

fn packet(header: &Ipv4Repr, payload: &[u8]) -> Vec<u8> {
    let header = Ipv4Repr {
        payload_len: payload.len(),
        ..*header
    };
    let mut buf = vec![0u8; header.total_len()];
    let mut p = Ipv4Packet::new_unchecked(&mut buf[..]);
    header.emit(&mut p);
    p.payload_mut().copy_from_slice(payload);
    buf
}

fn udp_bytes(src: Ipv4Addr, sport: u16, dst: Ipv4Addr, dport: u16, data: &[u8]) -> Vec<u8> {
    let repr = UdpRepr {
        src_port: sport,
        dst_port: dport,
        payload: data,
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut UdpPacket::new_unchecked(&mut buf[..]), src, dst);
    buf
}

/// A UDP datagram from `src:sport` to `dst:dport` in an IPv4 packet.
fn udp(src: Ipv4Addr, sport: u16, dst: Ipv4Addr, dport: u16, data: &[u8]) -> Vec<u8> {
    let header = Ipv4Repr {
        src_addr: src,
        dst_addr: dst,
        ..ip(IpProtocol::Udp, 0)
    };
    packet(&header, &udp_bytes(src, sport, dst, dport, data))
}

fn icmp_bytes(message: &Icmpv4Repr) -> Vec<u8> {
    let mut buf = vec![0u8; message.buffer_len()];
    message.emit(&mut Icmpv4Packet::new_unchecked(&mut buf[..]));
    buf
}

/// Everything the stack queued.
fn sent(iface: &mut Interface) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| iface.dequeue()).collect()
}

/// A packet the stack sent, parsed: its IP header and (for ICMP) the message.
#[track_caller]
fn parse_ip(bytes: &[u8]) -> (Ipv4Repr, Vec<u8>) {
    let p = Ipv4Packet::new_checked(bytes).expect("stack sent a malformed packet");
    let h = Ipv4Repr::parse(&p, ChecksumMode::Verify).expect("bad IP header from the stack");
    (h, p.payload().to_vec())
}

#[track_caller]
fn only_icmp(iface: &mut Interface) -> (Ipv4Repr, Vec<u8>) {
    let out = sent(iface);
    assert_eq!(out.len(), 1, "expected one packet, got {}", out.len());
    let (h, payload) = parse_ip(&out[0]);
    assert_eq!(h.protocol, IpProtocol::Icmp);
    Icmpv4Repr::parse(
        &Icmpv4Packet::new_checked(&payload[..]).unwrap(),
        ChecksumMode::Verify,
    )
    .expect("bad ICMP from the stack");
    (h, payload)
}

fn icmp(payload: &[u8]) -> Icmpv4Repr<'_> {
    Icmpv4Repr::parse(
        &Icmpv4Packet::new_checked(payload).unwrap(),
        ChecksumMode::Verify,
    )
    .unwrap()
}

#[track_caller]
fn nothing_sent(iface: &mut Interface) {
    let out = sent(iface);
    assert!(
        out.is_empty(),
        "expected silence, got {} packets",
        out.len()
    );
}

fn stat(iface: &Interface, name: &str) -> u64 {
    iface.counters().by_name(name).unwrap()
}

// ---------------------------------------------------------------- UDP sockets ---

/// A datagram to a bound port is queued with its sender; the reply goes back with a
/// valid checksum, DF clear.
#[test]
fn udp_echo_conversation() {
    let mut s = stack();
    let h = s.udp_bind(7).unwrap();
    s.receive(t(0), &udp(KERNEL, 40000, STACK, 7, b"hello\n"));
    let d = s.udp_recv_from(h).unwrap();
    assert_eq!(d.from, SocketAddrV4::new(KERNEL, 40000));
    assert_eq!(d.to, SocketAddrV4::new(STACK, 7));
    assert_eq!(d.data, b"hello\n");
    assert_eq!(s.udp_recv_from(h), Err(RecvError::Exhausted));

    s.udp_send_to(t(1), h, d.from, &d.data).unwrap();
    let out = sent(&mut s);
    assert_eq!(out.len(), 1);
    let (h4, payload) = parse_ip(&out[0]);
    assert_eq!(
        (h4.src_addr, h4.dst_addr, h4.protocol),
        (STACK, KERNEL, IpProtocol::Udp)
    );
    assert!(!h4.dont_frag && !h4.is_fragment());
    let repr = UdpRepr::parse(
        &UdpPacket::new_checked(&payload[..]).unwrap(),
        STACK,
        KERNEL,
        ChecksumMode::Verify,
    )
    .unwrap();
    assert_eq!(
        (repr.src_port, repr.dst_port, repr.payload),
        (7, 40000, &b"hello\n"[..])
    );
    assert_eq!(stat(&s, "udp_delivered"), 1);
    assert_eq!(stat(&s, "udp_tx"), 1);
}

/// RFC 768: a zero checksum means none was computed; the datagram is accepted.
#[test]
fn rfc768_zero_checksum_is_accepted() {
    let mut s = stack();
    let h = s.udp_bind(9).unwrap();
    let mut bytes = udp(KERNEL, 40001, STACK, 9, b"no checksum");
    bytes[26..28].copy_from_slice(&[0, 0]);
    s.receive(t(0), &bytes);
    assert_eq!(s.udp_recv_from(h).unwrap().data, b"no checksum");
}

/// RFC 1122 §4.1.3.4: a bad non-zero checksum is dropped silently (no ICMP either),
/// and counted.
#[test]
fn bad_checksum_is_dropped_silently() {
    let mut s = stack();
    let mut bytes = udp(KERNEL, 40000, STACK, 9, b"data");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    s.receive(t(0), &bytes);
    nothing_sent(&mut s);
    assert_eq!(stat(&s, "udp_bad_checksum"), 1);
    assert_eq!(stat(&s, "udp_no_port"), 0, "dropped before demultiplexing");
}

#[test]
fn bad_lengths_are_dropped_and_counted() {
    let mut s = stack();
    s.receive(t(0), &packet(&ip(IpProtocol::Udp, 0), &[0x9c, 0x40, 0x00]));
    let mut short = udp_bytes(KERNEL, 1, STACK, 9, b"abc");
    short[4..6].copy_from_slice(&4u16.to_be_bytes());
    s.receive(t(0), &packet(&ip(IpProtocol::Udp, 0), &short));
    nothing_sent(&mut s);
    assert_eq!(stat(&s, "udp_malformed"), 2);
}

#[test]
fn a_full_socket_queue_drops_and_counts() {
    let mut c = config();
    c.udp.rx_queue_datagrams = 2;
    let mut s = stack_with(c);
    let h = s.udp_bind(7).unwrap();
    for i in 0..3u8 {
        s.receive(t(0), &udp(KERNEL, 40000, STACK, 7, &[i]));
    }
    assert_eq!(stat(&s, "udp_queue_full"), 1);
    assert_eq!(s.udp_recv_from(h).unwrap().data, [0]);
    assert_eq!(s.udp_recv_from(h).unwrap().data, [1]);
    assert_eq!(s.udp_recv_from(h), Err(RecvError::Exhausted));
    nothing_sent(&mut s);
}

#[test]
fn send_errors_are_typed() {
    let mut s = stack();
    let h = s.udp_bind(0).unwrap();
    let port = s.udp_sockets().get(h).unwrap().local_port();
    assert!((49152..=65535).contains(&port), "ephemeral port {port}");
    assert_eq!(s.udp_send(t(0), h, b"x"), Err(UdpSendError::NotConnected));
    assert_eq!(
        s.udp_send_to(t(0), h, SocketAddrV4::new(KERNEL, 0), b"x"),
        Err(UdpSendError::BadAddress)
    );
    assert_eq!(
        s.udp_send_to(t(0), h, SocketAddrV4::new(KERNEL, 9), &vec![0; 65_508]),
        Err(UdpSendError::TooLong)
    );
    assert_eq!(
        s.udp_send_to(
            t(0),
            h,
            SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 1), 9),
            b"x"
        ),
        Err(UdpSendError::Ip(tundra_stack::SendError::NoRoute))
    );
    assert!(s.udp_close(h));
    assert_eq!(
        s.udp_send_to(t(0), h, SocketAddrV4::new(KERNEL, 9), b"x"),
        Err(UdpSendError::InvalidHandle)
    );
    nothing_sent(&mut s);
}

// ------------------------------------------------------- ICMP errors we send ---

/// RFC 1122 §4.1.3.1 and RFC 792: UDP to a closed port is answered with port
/// unreachable quoting the IP header and the first 8 bytes (the UDP header).
#[test]
fn closed_port_gets_port_unreachable_quoting_header_and_8_bytes() {
    let mut s = stack();
    let datagram = udp(KERNEL, 40000, STACK, 33434, b"traceroute probe data");
    s.receive(t(0), &datagram);
    let (h, payload) = only_icmp(&mut s);
    assert_eq!((h.src_addr, h.dst_addr), (STACK, KERNEL));
    match icmp(&payload) {
        Icmpv4Repr::DstUnreachable {
            reason,
            header,
            data,
        } => {
            assert_eq!(reason, Icmpv4DstUnreachable::PortUnreachable);
            let (original, _) = parse_ip(&datagram);
            assert_eq!(header, original, "the header as it arrived");
            assert_eq!(data, &datagram[20..28], "the UDP header");
        }
        other => panic!("{other}"),
    }
    assert_eq!(stat(&s, "udp_no_port"), 1);
    assert_eq!(stat(&s, "icmp_port_unreach_sent"), 1);
}

/// RFC 1122 §3.2.2: no error about a datagram to a broadcast address, limited or
/// directed.
#[test]
fn no_port_unreachable_for_ip_broadcast() {
    let mut s = stack();
    for dst in [Ipv4Addr::BROADCAST, Ipv4Addr::new(10, 0, 0, 255)] {
        s.receive(t(0), &udp(KERNEL, 68, dst, 67, b"dhcp?"));
    }
    nothing_sent(&mut s);
    assert_eq!(stat(&s, "udp_no_port"), 2);
    assert_eq!(stat(&s, "icmp_error_to_broadcast"), 2);
}

/// RFC 1122 §3.2.2: "a datagram sent as a link-layer broadcast" gets no error either,
/// even with our unicast IP address inside.
#[test]
fn no_port_unreachable_for_link_layer_broadcast() {
    let mut c = config();
    c.medium = Medium::Ethernet;
    let mut s = stack_with(c);
    s.poll(t(0));
    let _ = sent(&mut s); // the gratuitous ARP
    let ip_bytes = udp(KERNEL, 5000, STACK, 9, b"x");
    let mut frame = vec![0u8; 14 + ip_bytes.len()];
    EthernetRepr {
        src_addr: EthernetAddress([0x02, 0, 0, 0, 0, 1]),
        dst_addr: EthernetAddress::BROADCAST,
        ethertype: EtherType::Ipv4,
    }
    .emit(&mut Frame::new_unchecked(&mut frame[..]));
    frame[14..].copy_from_slice(&ip_bytes);
    s.receive(t(1), &frame);
    nothing_sent(&mut s);
    assert_eq!(stat(&s, "icmp_error_to_broadcast"), 1);
}

/// RFC 1122 §3.2.2: no error about a datagram whose source is not one host.
#[test]
fn no_error_to_a_source_that_is_not_one_host() {
    let mut s = stack();
    for src in [
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::new(0, 1, 2, 3),
        Ipv4Addr::LOCALHOST,
        Ipv4Addr::new(240, 0, 0, 1),
    ] {
        s.receive(t(0), &udp(src, 5000, STACK, 9, b"x"));
    }
    nothing_sent(&mut s);
    assert_eq!(stat(&s, "icmp_error_bad_source"), 4);
    // Broadcast and multicast sources never get this far (RFC 1122 §3.2.1.3).
    s.receive(
        t(0),
        &udp(Ipv4Addr::new(224, 0, 0, 1), 5000, STACK, 9, b"x"),
    );
    nothing_sent(&mut s);
    assert_eq!(stat(&s, "ip_bad_source"), 1);
}

/// RFC 1122 §3.2.2.1: protocol unreachable for a protocol we do not speak (here SCTP,
/// 132), quoting header and 8 bytes; not for broadcasts.
#[test]
fn unknown_protocol_gets_protocol_unreachable() {
    let mut s = stack();
    let sctp = packet(&ip(IpProtocol::Unknown(0x84), 0), &[0xab; 32]);
    s.receive(t(0), &sctp);
    let (_, payload) = only_icmp(&mut s);
    match icmp(&payload) {
        Icmpv4Repr::DstUnreachable {
            reason,
            header,
            data,
        } => {
            assert_eq!(reason, Icmpv4DstUnreachable::ProtoUnreachable);
            assert_eq!(header.protocol, IpProtocol::Unknown(0x84));
            assert_eq!(data, &[0xab; 8]);
        }
        other => panic!("{other}"),
    }
    let to_all = Ipv4Repr {
        dst_addr: Ipv4Addr::BROADCAST,
        ..ip(IpProtocol::Unknown(0x84), 0)
    };
    s.receive(t(0), &packet(&to_all, &[0; 8]));
    nothing_sent(&mut s);
    assert_eq!(stat(&s, "icmp_proto_unreach_sent"), 1);
    assert_eq!(stat(&s, "ip_unknown_protocol"), 2);
}

/// RFC 1812 §4.3.2.8: errors are rate limited (here a burst of 3, then 1 per second),
/// on the injected clock.
#[test]
fn port_unreachable_is_rate_limited() {
    let mut c = config();
    c.icmp_error_limit = RateLimit {
        burst: 3,
        per_second: 1,
    };
    let mut s = stack_with(c);
    for _ in 0..5 {
        s.receive(t(0), &udp(KERNEL, 40000, STACK, 9, b"x"));
    }
    assert_eq!(sent(&mut s).len(), 3);
    assert_eq!(stat(&s, "icmp_error_rate_limited"), 2);
    s.receive(t(999), &udp(KERNEL, 40000, STACK, 9, b"x"));
    nothing_sent(&mut s);
    s.receive(t(1000), &udp(KERNEL, 40000, STACK, 9, b"x"));
    assert_eq!(sent(&mut s).len(), 1, "a token a second later");
    assert_eq!(stat(&s, "udp_no_port"), 7);
}

// --------------------------------------------------- ICMP errors we receive ---

/// Port unreachable quoting a datagram our connected socket sent: "connection
/// refused" on the next recv, once.
#[test]
fn port_unreachable_reaches_the_connected_socket() {
    let mut s = stack();
    let h = s.udp_bind(5000).unwrap();
    let remote = SocketAddrV4::new(KERNEL, 9);
    s.udp_connect(h, remote).unwrap();
    s.udp_send(t(0), h, b"anyone?").unwrap();
    let ours = sent(&mut s).remove(0);
    let (header, payload) = parse_ip(&ours);
    let error = Icmpv4Repr::DstUnreachable {
        reason: Icmpv4DstUnreachable::PortUnreachable,
        header,
        data: &payload[..8],
    };
    s.receive(t(5), &packet(&ip(IpProtocol::Icmp, 0), &icmp_bytes(&error)));
    match s.udp_recv_from(h) {
        Err(RecvError::Icmp(e)) => {
            assert_eq!(e.kind, IcmpErrorKind::PortUnreachable);
            assert_eq!(e.remote, remote);
            assert_eq!(e.reporter, KERNEL);
            assert_eq!(e.at, t(5));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        s.udp_recv_from(h),
        Err(RecvError::Exhausted),
        "reported once"
    );
    assert_eq!(stat(&s, "icmp_errors_delivered"), 1);
    nothing_sent(&mut s);
}

/// RFC 5927 §4: an error whose quote does not match a socket (another remote port,
/// another local port, a source that is not us) is dropped and counted; so is one sent
/// to a broadcast address. And never an error about an error: we stay silent.
#[test]
fn rfc5927_forged_errors_are_not_delivered() {
    let mut s = stack();
    let h = s.udp_bind(5000).unwrap();
    s.udp_connect(h, SocketAddrV4::new(KERNEL, 9)).unwrap();
    let quote = |src: Ipv4Addr, sport: u16, dport: u16| {
        let header = Ipv4Repr {
            src_addr: src,
            dst_addr: KERNEL,
            ..ip(IpProtocol::Udp, 8)
        };
        let udp = udp_bytes(src, sport, KERNEL, dport, b"");
        packet(
            &ip(IpProtocol::Icmp, 0),
            &icmp_bytes(&Icmpv4Repr::DstUnreachable {
                reason: Icmpv4DstUnreachable::PortUnreachable,
                header,
                data: &udp,
            }),
        )
    };
    s.receive(t(0), &quote(STACK, 5000, 10));
    s.receive(t(0), &quote(STACK, 5001, 9));
    s.receive(t(0), &quote(Ipv4Addr::new(10, 0, 0, 7), 5000, 9));
    let mut to_all = quote(STACK, 5000, 9);
    let mut p = Ipv4Packet::new_unchecked(&mut to_all[..]);
    p.set_dst_addr(Ipv4Addr::BROADCAST);
    p.fill_checksum();
    s.receive(t(0), &to_all);
    assert_eq!(stat(&s, "icmp_errors_unmatched"), 4);
    assert_eq!(s.udp_recv_from(h), Err(RecvError::Exhausted));
    nothing_sent(&mut s);
    // The genuine one still works.
    s.receive(t(0), &quote(STACK, 5000, 9));
    assert!(matches!(s.udp_recv_from(h), Err(RecvError::Icmp(_))));
}

/// Time exceeded quoting our datagram (a traceroute through a router) reaches an
/// unconnected socket too (RFC 1122 §4.1.3.3: pass all ICMP errors up).
#[test]
fn time_exceeded_reaches_an_unconnected_socket() {
    let mut s = stack();
    let h = s.udp_bind(5000).unwrap();
    let to = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 9), 33434);
    s.udp_send_to(t(0), h, to, b"probe").unwrap();
    let (header, payload) = parse_ip(&sent(&mut s)[0]);
    let error = Icmpv4Repr::TimeExceeded {
        reason: Icmpv4TimeExceeded::TtlExpired,
        header,
        data: &payload[..8],
    };
    s.receive(t(1), &packet(&ip(IpProtocol::Icmp, 0), &icmp_bytes(&error)));
    match s.udp_recv_from(h) {
        Err(RecvError::Icmp(e)) => {
            assert_eq!(
                (e.kind, e.remote, e.reporter),
                (IcmpErrorKind::TimeExceeded, to, KERNEL)
            )
        }
        other => panic!("{other:?}"),
    }
}

// ------------------------------------------------------------------ fragments ---

/// Cuts an IPv4 datagram into fragments with the given data ranges (offsets must be
/// multiples of 8); the last range gets MF clear unless `more_on_last`.
fn fragment(
    header: &Ipv4Repr,
    data: &[u8],
    ranges: &[(usize, usize)],
    more_on_last: bool,
) -> Vec<Vec<u8>> {
    ranges
        .iter()
        .enumerate()
        .map(|(i, &(start, end))| {
            let h = Ipv4Repr {
                frag_offset: start as u16,
                more_frags: i + 1 < ranges.len() || more_on_last,
                ..*header
            };
            packet(&h, &data[start..end])
        })
        .collect()
}

fn echo_request(len: usize) -> Vec<u8> {
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    icmp_bytes(&Icmpv4Repr::EchoRequest {
        ident: 0x77,
        seq_no: 1,
        data: &data,
    })
}

/// Puts the stack's fragments back together with our own reassembler.
#[track_caller]
fn reassemble(frames: &[Vec<u8>]) -> (Ipv4Repr, Vec<u8>) {
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let mut whole = None;
    for f in frames {
        let (h, payload) = parse_ip(f);
        assert!(h.total_len() <= 1500, "fragment over the MTU");
        assert!(!h.dont_frag);
        if let Some(w) = r.accept(t(0), &h, &payload).unwrap() {
            whole = Some((w.header, w.data));
        }
    }
    whole.expect("the stack's fragments do not make a datagram")
}

/// `ping -s 8000`: the request arrives in 6 fragments; the 8008-byte reply is too big
/// for the MTU, so it leaves in 6 fragments too, and carries the data exactly.
#[test]
fn fragmented_ping_gets_a_fragmented_exact_reply() {
    let mut s = stack();
    let request = echo_request(8000);
    let ranges: Vec<_> = (0..6)
        .map(|i| (i * 1480, ((i + 1) * 1480).min(8008)))
        .collect();
    for f in fragment(&ip(IpProtocol::Icmp, 0), &request, &ranges, false) {
        s.receive(t(0), &f);
    }
    let out = sent(&mut s);
    assert_eq!(out.len(), 6);
    let (header, data) = reassemble(&out);
    assert_eq!((header.src_addr, header.dst_addr), (STACK, KERNEL));
    match icmp(&data) {
        Icmpv4Repr::EchoReply {
            ident,
            seq_no,
            data,
        } => {
            assert_eq!((ident, seq_no), (0x77, 1));
            assert_eq!(data, &request[8..]);
        }
        other => panic!("{other}"),
    }
    assert_eq!(stat(&s, "ip_frag_rx"), 6);
    assert_eq!(stat(&s, "ip_reasm_ok"), 1);
    assert_eq!(stat(&s, "ip_frag_ok"), 1);
    assert_eq!(stat(&s, "ip_frag_created"), 6);
}

/// The Linux capture of `ping -s 3000` (testdata/fragments) is answered.
#[test]
fn linux_fragmented_ping_is_answered() {
    let text = include_str!("../../../testdata/fragments/linux-ping-s3000-tun.hex");
    let mut s = stack();
    for line in text.lines().rev() {
        let bytes: Vec<u8> = (0..line.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&line[i..i + 2], 16).unwrap())
            .collect();
        s.receive(t(0), &bytes);
    }
    let out = sent(&mut s);
    assert_eq!(out.len(), 3, "3008 bytes of ICMP in 1480-byte pieces");
    let (_, data) = reassemble(&out);
    assert!(matches!(
        icmp(&data),
        Icmpv4Repr::EchoReply { seq_no: 1, .. }
    ));
}

/// A UDP datagram that arrived in fragments is delivered whole; a big reply leaves in
/// fragments.
#[test]
fn fragmented_udp_both_ways() {
    let mut s = stack();
    let h = s.udp_bind(7).unwrap();
    let data: Vec<u8> = (0..4000u32).map(|i| (i * 13) as u8).collect();
    let udp = udp_bytes(KERNEL, 40000, STACK, 7, &data);
    for f in fragment(
        &ip(IpProtocol::Udp, 0),
        &udp,
        &[(0, 1480), (1480, 2960), (2960, 4008)],
        false,
    ) {
        s.receive(t(0), &f);
    }
    let d = s.udp_recv_from(h).unwrap();
    assert_eq!(d.data, data);
    s.udp_send_to(t(1), h, d.from, &d.data).unwrap();
    let (header, bytes) = reassemble(&sent(&mut s));
    let back = UdpRepr::parse(
        &UdpPacket::new_checked(&bytes[..]).unwrap(),
        header.src_addr,
        header.dst_addr,
        ChecksumMode::Verify,
    )
    .unwrap();
    assert_eq!(back.payload, &data[..]);
}

/// RFC 5722 style: overlapping fragments discard the datagram; no reply, counted, and
/// the stack keeps answering.
#[test]
fn overlapping_fragments_get_no_reply() {
    let mut s = stack();
    let request = echo_request(100);
    for f in fragment(
        &ip(IpProtocol::Icmp, 0),
        &request,
        &[(0, 64), (56, 108)],
        false,
    ) {
        s.receive(t(0), &f);
    }
    nothing_sent(&mut s);
    assert_eq!(stat(&s, "ip_reasm_overlap"), 1);
    s.receive(t(1), &packet(&ip(IpProtocol::Icmp, 0), &echo_request(56)));
    assert_eq!(sent(&mut s).len(), 1, "still answering");
}

/// Ping of death: fragments adding up past 65535 bytes are discarded and counted.
#[test]
fn fragments_past_65535_are_discarded() {
    let mut s = stack();
    let big = vec![0u8; 65_600];
    for f in fragment(
        &ip(IpProtocol::Icmp, 0),
        &big,
        &[(0, 1480), (65_000, 65_600)],
        false,
    ) {
        s.receive(t(0), &f);
    }
    nothing_sent(&mut s);
    assert_eq!(stat(&s, "ip_reasm_too_long"), 1);
}

#[test]
fn too_many_fragments_are_discarded() {
    let mut c = config();
    c.reassembly.max_fragments = 8;
    let mut s = stack_with(c);
    let request = echo_request(200);
    let ranges: Vec<_> = (0..26).map(|i| (i * 8, ((i + 1) * 8).min(208))).collect();
    for f in fragment(&ip(IpProtocol::Icmp, 0), &request, &ranges, false) {
        s.receive(t(0), &f);
    }
    nothing_sent(&mut s);
    // The 9th fragment discards the datagram; fragments 10-17 start a new buffer
    // (without fragment zero it can never complete) which the 18th discards again;
    // the last 8 wait for the timeout.
    assert_eq!(stat(&s, "ip_reasm_too_many"), 2);
    assert_eq!(stat(&s, "ip_reasm_ok"), 0);
    s.poll(t(30_000));
    assert_eq!(stat(&s, "ip_reasm_timeout"), 1);
    nothing_sent(&mut s);
}

/// RFC 792 / RFC 1122 §3.3.2: an incomplete datagram times out (here after the
/// configured 2 s) and, since fragment zero arrived, time exceeded code 1 quotes it.
#[test]
fn reassembly_timeout_sends_time_exceeded_code_1() {
    let mut c = config();
    c.reassembly.timeout = Duration::from_secs(2);
    let mut s = stack_with(c);
    let request = echo_request(100);
    let first = fragment(&ip(IpProtocol::Icmp, 0), &request, &[(0, 64)], true).remove(0);
    s.receive(t(100), &first);
    assert_eq!(s.poll_at(), Some(t(2100)));
    s.poll(t(2099));
    nothing_sent(&mut s);
    s.poll(t(2100));
    let (_, payload) = only_icmp(&mut s);
    match icmp(&payload) {
        Icmpv4Repr::TimeExceeded {
            reason,
            header,
            data,
        } => {
            assert_eq!(reason, Icmpv4TimeExceeded::FragReassembly);
            assert!(
                header.more_frags && header.frag_offset == 0,
                "fragment zero's header"
            );
            assert_eq!(data, &request[..8]);
        }
        other => panic!("{other}"),
    }
    assert_eq!(stat(&s, "ip_reasm_timeout"), 1);
    assert_eq!(stat(&s, "icmp_reasm_timeout_sent"), 1);
    assert_eq!(s.poll_at(), None);
}

/// RFC 792: "If fragment zero is not available then no time exceeded need be sent at
/// all."
#[test]
fn no_time_exceeded_without_fragment_zero() {
    let mut s = stack();
    let request = echo_request(100);
    let later = fragment(
        &ip(IpProtocol::Icmp, 0),
        &request,
        &[(0, 64), (64, 108)],
        false,
    )
    .remove(1);
    s.receive(t(0), &later);
    s.poll(t(30_000));
    nothing_sent(&mut s);
    assert_eq!(stat(&s, "ip_reasm_timeout"), 1);
    assert_eq!(stat(&s, "icmp_reasm_timeout_sent"), 0);
}

/// RFC 1122 §3.2.2: never an error about an ICMP error: a fragmented destination
/// unreachable that never completes gets no time exceeded.
#[test]
fn no_time_exceeded_about_an_icmp_error() {
    let mut s = stack();
    let quoted = ip(IpProtocol::Udp, 8);
    let error = icmp_bytes(&Icmpv4Repr::DstUnreachable {
        reason: Icmpv4DstUnreachable::HostUnreachable,
        header: quoted,
        data: &[0; 64],
    });
    let first = fragment(&ip(IpProtocol::Icmp, 0), &error, &[(0, 48)], true).remove(0);
    s.receive(t(0), &first);
    s.poll(t(30_000));
    nothing_sent(&mut s);
    assert_eq!(stat(&s, "icmp_error_about_error"), 1);
}
