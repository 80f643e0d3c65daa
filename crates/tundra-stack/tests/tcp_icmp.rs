//! ICMP errors about our TCP segments, through the whole interface: the stack parses
//! the quote (IPv4 header + the first 8 octets of our segment: ports and sequence
//! number), finds the connection by the 4-tuple and hands the error to TCP (RFC 5927
//! §4.1 window check, RFC 1122 §4.2.3.9 hard and soft errors, RFC 1191 Path MTU
//! Discovery). Malformed quotes are counted and never panic.
//!
//! Each test feeds raw IPv4 packets to `Interface::receive` (a TUN medium, MTU 1500)
//! and reads what the stack queued with `Interface::dequeue`.

use core::net::SocketAddrV4;

use proptest::prelude::*;
use tundra_core::Instant;
use tundra_ip::{
    ChecksumMode, Icmpv4DstUnreachable, Icmpv4Packet, Icmpv4Repr, Icmpv4TimeExceeded, IpProtocol,
    Ipv4Addr, Ipv4Packet, Ipv4Repr,
};
use tundra_stack::{Config, Interface, Medium};
use tundra_tcp::{
    CloseReason, ConnHandle, IcmpErrorKind, SeqNumber, State, TcpFlags, TcpOptions, TcpPacket,
    TcpRepr,
};

const KERNEL: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const STACK: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
/// A router on the way that reports errors about our datagrams.
const ROUTER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 254);
const PEER_ISS: u32 = 0x1000_0000;

fn stack() -> Interface {
    Interface::new(
        Config::new(Medium::Ip, "10.0.0.2/24".parse().unwrap()),
        1500,
    )
}

fn t(ms: i64) -> Instant {
    Instant::from_millis(ms)
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

fn from(src: Ipv4Addr, protocol: IpProtocol) -> Ipv4Repr {
    Ipv4Repr {
        src_addr: src,
        dst_addr: STACK,
        protocol,
        payload_len: 0,
        ttl: 64,
        ident: 0x4242,
        dont_frag: false,
        more_frags: false,
        frag_offset: 0,
        dscp_ecn: 0,
    }
}

/// The ICMP message `message` from `reporter` to us, in an IPv4 packet.
fn icmp_from(reporter: Ipv4Addr, message: &Icmpv4Repr) -> Vec<u8> {
    let mut buf = vec![0u8; message.buffer_len()];
    message.emit(&mut Icmpv4Packet::new_unchecked(&mut buf[..]));
    packet(&from(reporter, IpProtocol::Icmp), &buf)
}

/// Everything the stack queued, as (IP header, TCP segment bytes).
fn sent(s: &mut Interface) -> Vec<(Ipv4Repr, Vec<u8>)> {
    std::iter::from_fn(|| s.dequeue())
        .map(|bytes| {
            let p = Ipv4Packet::new_checked(&bytes[..]).unwrap();
            let h = Ipv4Repr::parse(&p, ChecksumMode::Verify).unwrap();
            (h, p.payload().to_vec())
        })
        .collect()
}

fn tcp(bytes: &[u8], src: Ipv4Addr, dst: Ipv4Addr) -> TcpRepr<'_> {
    TcpRepr::parse(
        &TcpPacket::new_checked(bytes).unwrap(),
        src,
        dst,
        tundra_tcp::ChecksumMode::Verify,
    )
    .unwrap()
}

/// A segment from the kernel to our connection.
fn from_kernel(ours: SocketAddrV4, seg: &TcpRepr<'_>) -> Vec<u8> {
    let bytes = tundra_tcp::emit_segment(
        &TcpRepr {
            dst_port: ours.port(),
            ..*seg
        },
        KERNEL,
        STACK,
    );
    packet(&from(KERNEL, IpProtocol::Tcp), &bytes)
}

/// A connect to the kernel's port 80: returns the handle, our address and the SYN as
/// it went out (IP header and segment bytes).
fn connect(s: &mut Interface) -> (ConnHandle, SocketAddrV4, Ipv4Repr, Vec<u8>) {
    let h = s
        .tcp()
        .connect(t(0), STACK, SocketAddrV4::new(KERNEL, 80))
        .unwrap();
    s.poll(t(0));
    let mut out = sent(s);
    assert_eq!(out.len(), 1, "one SYN");
    let (header, syn) = out.remove(0);
    let local = s.tcp().connection(h).unwrap().local();
    (h, local, header, syn)
}

/// An error of `reason` quoting `header` + the first 8 octets of `segment`.
fn unreachable(reason: Icmpv4DstUnreachable, header: Ipv4Repr, segment: &[u8]) -> Vec<u8> {
    icmp_from(
        ROUTER,
        &Icmpv4Repr::DstUnreachable {
            reason,
            header,
            data: &segment[..8],
        },
    )
}

fn stat(s: &Interface, name: &str) -> u64 {
    s.counters().by_name(name).expect("no such counter")
}

/// RFC 1122 §4.2.3.9: port unreachable quoting our SYN is a hard error, so the
/// connect fails at once, with a reason that says so.
#[test]
fn port_unreachable_about_our_syn_fails_the_connect() {
    let mut s = stack();
    let (h, _, header, syn) = connect(&mut s);
    s.receive(
        t(5),
        &unreachable(Icmpv4DstUnreachable::PortUnreachable, header, &syn),
    );
    let conn = s.tcp().connection(h).unwrap();
    assert_eq!(conn.state(), State::Closed);
    assert_eq!(
        conn.close_reason(),
        Some(CloseReason::Unreachable(IcmpErrorKind::PortUnreachable))
    );
    assert_eq!(stat(&s, "icmp_errors_delivered"), 1);
    let c = s.tcp_ref().counters();
    assert_eq!((c.icmp_errors, c.icmp_aborts), (1, 1));
    // Nothing goes out for it: no RST to a host that refused us.
    s.poll(t(5));
    assert!(sent(&mut s).is_empty());
}

/// RFC 5927 §4.1: the same error quoting a sequence number we never sent, or another
/// port of ours, is dropped and counted; the connect carries on.
#[test]
fn rfc5927_a_quote_that_is_not_in_flight_is_ignored() {
    let mut s = stack();
    let (h, local, header, syn) = connect(&mut s);
    let mut forged = syn.clone();
    forged[4..8].copy_from_slice(&0xdead_beef_u32.to_be_bytes());
    s.receive(
        t(1),
        &unreachable(Icmpv4DstUnreachable::PortUnreachable, header, &forged),
    );
    let mut other_port = syn.clone();
    other_port[0..2].copy_from_slice(&(local.port() ^ 1).to_be_bytes());
    s.receive(
        t(1),
        &unreachable(Icmpv4DstUnreachable::PortUnreachable, header, &other_port),
    );
    assert_eq!(s.tcp().connection(h).unwrap().state(), State::SynSent);
    assert_eq!(stat(&s, "icmp_errors_unmatched"), 2);
    let c = s.tcp_ref().counters();
    assert_eq!((c.icmp_out_of_window, c.icmp_no_connection), (1, 1));
}

/// A soft error (time exceeded from a router) does not abort the connect; when the
/// SYN retransmissions run out it is what the connect fails with.
#[test]
fn a_soft_error_becomes_the_timeout_reason() {
    let mut s = stack();
    let (h, _, header, syn) = connect(&mut s);
    let ttl = icmp_from(
        ROUTER,
        &Icmpv4Repr::TimeExceeded {
            reason: Icmpv4TimeExceeded::TtlExpired,
            header,
            data: &syn[..8],
        },
    );
    s.receive(t(1), &ttl);
    assert_eq!(s.tcp().connection(h).unwrap().state(), State::SynSent);
    assert_eq!(
        s.tcp().connection(h).unwrap().soft_error(),
        Some(IcmpErrorKind::TimeExceeded)
    );
    // Let the SYN retransmissions run out (1 + 2 + 4 + ... s with the default six).
    let mut now = t(1);
    while let Some(at) = s.poll_at() {
        now = at;
        s.poll(now);
        sent(&mut s);
    }
    assert!(now > t(60_000), "gave up only after the retransmissions");
    assert_eq!(
        s.tcp().connection(h).unwrap().close_reason(),
        Some(CloseReason::TimedOutUnreachable(
            IcmpErrorKind::TimeExceeded
        ))
    );
    assert_eq!(s.tcp_ref().counters().timeouts, 1);
}

/// RFC 1191 through the stack: an established connection sends full 1500-byte
/// packets; a router says its next hop carries 1000. The outstanding segments go again
/// at once in packets of at most 1000 octets, and so does everything after.
#[test]
fn rfc1191_frag_needed_shrinks_the_packets_we_send() {
    let mut s = stack();
    let (h, local, _, syn) = connect(&mut s);
    let our_syn = tcp(&syn, STACK, KERNEL);
    let iss = our_syn.seq_number;
    let synack = TcpRepr {
        src_port: 80,
        dst_port: local.port(),
        seq_number: SeqNumber(PEER_ISS),
        ack_number: Some(iss + 1),
        flags: TcpFlags {
            syn: true,
            ..TcpFlags::default()
        },
        window_len: 0xffff,
        urgent_pointer: 0,
        options: TcpOptions {
            mss: Some(1460),
            window_scale: Some(7),
            sack_permitted: true,
            ..TcpOptions::default()
        },
        payload: &[],
    };
    s.receive(t(10), &from_kernel(local, &synack));
    s.poll(t(10));
    sent(&mut s); // our ACK
    assert_eq!(s.tcp().connection(h).unwrap().state(), State::Established);
    let data: Vec<u8> = (0..8000u32).map(|i| (i % 251) as u8).collect();
    let n = s.tcp().connection_mut(h).unwrap().send(&data).unwrap();
    assert_eq!(n, data.len());
    s.poll(t(10));
    let flight = sent(&mut s);
    assert!(flight.len() >= 2, "an initial window of full segments");
    assert!(
        flight.iter().all(|(h, _)| h.dont_frag),
        "RFC 1191: DF on TCP"
    );
    assert_eq!(flight[0].0.total_len(), 1500);
    // The router refuses the first one.
    let (first_header, first_seg) = &flight[0];
    s.receive(
        t(11),
        &unreachable(
            Icmpv4DstUnreachable::FragRequired { next_hop_mtu: 1000 },
            *first_header,
            first_seg,
        ),
    );
    let conn = s.tcp().connection(h).unwrap();
    assert_eq!(conn.mss(), 960);
    assert_eq!(conn.path_mtu(), Some(1000));
    s.poll(t(11));
    let resent = sent(&mut s);
    assert!(!resent.is_empty(), "sent again at once, not after an RTO");
    assert!(resent.iter().all(|(h, _)| h.total_len() <= 1000));
    let first = tcp(&resent[0].1, STACK, KERNEL);
    assert_eq!(first.seq_number, iss + 1, "from SND.UNA");
    let c = s.tcp_ref().counters();
    assert_eq!(c.pmtu_lowered, 1);
    assert_eq!(c.pmtu_resent as usize, flight.len());
    assert_eq!(c.conn.rto_expirations, 0);
    // A later message claiming a larger MTU changes nothing (RFC 1191 §3).
    s.receive(
        t(12),
        &unreachable(
            Icmpv4DstUnreachable::FragRequired { next_hop_mtu: 1400 },
            *first_header,
            first_seg,
        ),
    );
    assert_eq!(s.tcp().connection(h).unwrap().mss(), 960);
    assert_eq!(s.tcp_ref().counters().pmtu_not_lowered, 1);
}

/// A quote that holds only 4 octets of our segment (allowed by the ICMP parser when
/// the quoted Total Length says the datagram was that short) has no sequence number:
/// counted, dropped.
#[test]
fn a_quote_without_the_sequence_number_is_counted() {
    let mut s = stack();
    let (h, _, header, syn) = connect(&mut s);
    let short = Ipv4Repr {
        payload_len: 4,
        ..header
    };
    let message = icmp_from(
        ROUTER,
        &Icmpv4Repr::DstUnreachable {
            reason: Icmpv4DstUnreachable::PortUnreachable,
            header: short,
            data: &syn[..4],
        },
    );
    s.receive(t(1), &message);
    assert_eq!(stat(&s, "icmp_errors_short_quote"), 1);
    assert_eq!(stat(&s, "icmp_malformed"), 0);
    assert_eq!(s.tcp().connection(h).unwrap().state(), State::SynSent);
}

/// The ICMP message `body` (type, code, rest of header, then the quote) with its
/// checksum filled in, so it gets past the checksum check into the quote parsing.
fn checksummed(mut body: Vec<u8>) -> Vec<u8> {
    if body.len() >= 8 {
        let mut p = Icmpv4Packet::new_unchecked(&mut body[..]);
        p.fill_checksum();
    }
    packet(&from(ROUTER, IpProtocol::Icmp), &body)
}

proptest! {
    /// Whatever follows an ICMP error header (garbage, a truncated or lying quoted
    /// header, a quote of our own SYN cut anywhere), the stack does not panic, and the
    /// connection is only ever aborted by a well-formed hard error about it.
    #[test]
    fn arbitrary_error_bodies_never_panic(
        msg_type in prop::sample::select(vec![3u8, 4, 5, 11, 12]),
        code in 0u8..20,
        rest in any::<[u8; 4]>(),
        quote_ours in any::<bool>(),
        cut in 0usize..64,
        tail in prop::collection::vec(any::<u8>(), 0..64),
        flips in prop::collection::vec((0usize..64, any::<u8>()), 0..4),
    ) {
        let mut s = stack();
        let (h, _, header, syn) = connect(&mut s);
        let mut body = vec![msg_type, code, 0, 0, rest[0], rest[1], rest[2], rest[3]];
        if quote_ours {
            let mut quoted = vec![0u8; 20];
            header.emit(&mut Ipv4Packet::new_unchecked(&mut quoted[..]));
            quoted.extend_from_slice(&syn);
            quoted.truncate(cut.min(quoted.len()));
            for (at, x) in &flips {
                if let Some(b) = quoted.get_mut(*at) {
                    *b ^= x;
                }
            }
            body.extend_from_slice(&quoted);
        }
        body.extend_from_slice(&tail);
        s.receive(t(1), &checksummed(body));
        s.poll(t(1));
        let state = s.tcp().connection(h).unwrap().state();
        prop_assert!(state == State::SynSent || state == State::Closed);
        if state == State::Closed {
            prop_assert!(msg_type == 3 && (code == 2 || code == 3));
        }
    }
}
