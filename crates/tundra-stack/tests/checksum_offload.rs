//! Checksum offload through the whole interface, as a TUN device with `IFF_VNET_HDR`
//! uses it: the kernel hands over TCP segments it built itself with only the
//! pseudo-header sum in the checksum field (`CHECKSUM_PARTIAL`), and completes the
//! checksums of the segments we send it.
//!
//! - In: a segment the device vouched for ([`RxChecksum::Trusted`]) is taken without
//!   its TCP checksum verified; the same bytes unvouched are dropped as a bad
//!   checksum. The IPv4 header checksum is verified either way.
//! - Out: with [`Interface::set_tx_checksum_offload`] a segment carries the
//!   pseudo-header sum, which completed (as the kernel completes it) is exactly the
//!   checksum the stack writes without offload.

use core::net::SocketAddrV4;

use tundra_core::Instant;
use tundra_ip::{checksum, ChecksumMode, IpProtocol, Ipv4Addr, Ipv4Packet, Ipv4Repr};
use tundra_stack::{Config, Interface, Medium, RxChecksum};
use tundra_tcp::{SeqNumber, TcpFlags, TcpOptions, TcpRepr};

const KERNEL: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const STACK: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

/// A stack listening on port 80.
fn server() -> Interface {
    let mut s = Interface::new(
        Config::new(Medium::Ip, "10.0.0.2/24".parse().unwrap()),
        1500,
    );
    s.tcp().listen(SocketAddrV4::new(STACK, 80)).unwrap();
    s
}

/// The kernel's SYN to port 80 as an IPv4 packet, its TCP checksum field holding only
/// the pseudo-header sum (what a TUN device hands over for a local socket's segment).
fn partial_syn() -> Vec<u8> {
    let syn = TcpRepr {
        src_port: 40000,
        dst_port: 80,
        seq_number: SeqNumber(0x1000_0000),
        ack_number: None,
        flags: TcpFlags {
            syn: true,
            ..TcpFlags::default()
        },
        window_len: 64240,
        urgent_pointer: 0,
        options: TcpOptions {
            mss: Some(1460),
            ..TcpOptions::default()
        },
        payload: &[],
    };
    let mut segment = tundra_tcp::emit_segment(&syn, KERNEL, STACK);
    let pseudo = checksum::pseudo_header(KERNEL, STACK, IpProtocol::Tcp, segment.len() as u32);
    segment[16..18].copy_from_slice(&pseudo.to_be_bytes());
    let header = Ipv4Repr {
        src_addr: KERNEL,
        dst_addr: STACK,
        protocol: IpProtocol::Tcp,
        payload_len: segment.len(),
        ttl: 64,
        ident: 7,
        dont_frag: true,
        more_frags: false,
        frag_offset: 0,
        dscp_ecn: 0,
    };
    let mut buf = vec![0u8; header.total_len()];
    let mut p = Ipv4Packet::new_unchecked(&mut buf[..]);
    header.emit(&mut p);
    p.payload_mut().copy_from_slice(&segment);
    buf
}

/// The TCP segments the stack queued.
fn sent_segments(s: &mut Interface) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| s.dequeue())
        .map(|bytes| {
            let p = Ipv4Packet::new_checked(&bytes[..]).unwrap();
            let h = Ipv4Repr::parse(&p, ChecksumMode::Verify).unwrap();
            assert_eq!(h.protocol, IpProtocol::Tcp);
            p.payload().to_vec()
        })
        .collect()
}

#[test]
fn a_vouched_segment_skips_the_tcp_checksum_and_an_unvouched_one_does_not() {
    let now = Instant::from_millis(1);
    let mut s = server();
    s.receive_with(now, &partial_syn(), RxChecksum::Unverified);
    s.poll(now);
    assert!(sent_segments(&mut s).is_empty(), "dropped: bad checksum");
    assert_eq!(s.tcp_ref().counters().bad_checksum, 1);

    s.receive_with(now, &partial_syn(), RxChecksum::Trusted);
    s.poll(now);
    let out = sent_segments(&mut s);
    assert_eq!(out.len(), 1, "a SYN-ACK");
    assert_eq!(out[0][13], 0x12, "SYN and ACK");
    assert_eq!(s.tcp_ref().counters().bad_checksum, 1);
}

#[test]
fn a_vouched_segment_still_has_its_ip_header_checksum_verified() {
    let now = Instant::from_millis(1);
    let mut s = server();
    let mut syn = partial_syn();
    syn[10] ^= 0xff;
    s.receive_with(now, &syn, RxChecksum::Trusted);
    s.poll(now);
    assert!(sent_segments(&mut s).is_empty());
    assert_eq!(s.counters().ip_bad_checksum, 1);
}

#[test]
fn with_offload_a_segment_carries_the_pseudo_header_sum_that_completes_to_the_checksum() {
    let now = Instant::from_millis(1);
    let mut plain = server();
    let mut offloaded = server();
    offloaded.set_tx_checksum_offload(true);
    for s in [&mut plain, &mut offloaded] {
        s.receive_with(now, &partial_syn(), RxChecksum::Trusted);
        s.poll(now);
    }
    let (full, partial) = (sent_segments(&mut plain), sent_segments(&mut offloaded));
    assert_eq!((full.len(), partial.len()), (1, 1));
    let (full, partial) = (&full[0], &partial[0]);
    assert_eq!(full[..16], partial[..16]);
    assert_eq!(full[18..], partial[18..]);
    let pseudo = checksum::pseudo_header(STACK, KERNEL, IpProtocol::Tcp, partial.len() as u32);
    assert_eq!(partial[16..18], pseudo.to_be_bytes());
    // What the kernel does with VIRTIO_NET_HDR_F_NEEDS_CSUM: sum from the TCP header
    // on, the field included, and write the complement.
    let completed = !checksum::data(partial);
    assert_eq!(full[16..18], completed.to_be_bytes());

    // Switched off again, segments carry whole checksums.
    offloaded.set_tx_checksum_offload(false);
    let h = offloaded
        .tcp()
        .connect(now, STACK, SocketAddrV4::new(KERNEL, 81))
        .unwrap();
    offloaded.poll(now);
    let syn = sent_segments(&mut offloaded);
    assert!(offloaded.tcp_ref().connection(h).is_some());
    let sum = checksum::combine(&[
        checksum::pseudo_header(STACK, KERNEL, IpProtocol::Tcp, syn[0].len() as u32),
        checksum::data(&syn[0]),
    ]);
    assert_eq!(sum, 0xffff, "a whole checksum verifies");
}
