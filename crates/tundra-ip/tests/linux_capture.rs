//! Packets the Linux kernel put on the wire, captured with `tcpdump -i lo -X` on this
//! project's build host (`ping -c1 127.0.0.1`, and a UDP datagram to a closed port).
//! Tundra must read them as tcpdump did and, given the same fields, write the same
//! bytes: checksums included.

use tundra_ip::{
    ChecksumMode, Icmpv4DstUnreachable, Icmpv4Packet, Icmpv4Repr, IpProtocol, Ipv4Addr, Ipv4Packet,
    Ipv4Repr,
};

/// Bytes from a `tcpdump -X` dump: hex digits, whitespace ignored.
fn hex(dump: &str) -> Vec<u8> {
    let digits: Vec<u8> = dump.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

/// `IP (tos 0x0, ttl 64, id 32380, offset 0, flags [DF], proto ICMP (1), length 84)
///  localhost > localhost: ICMP echo request, id 9220, seq 1, length 64`
fn echo_request() -> Vec<u8> {
    hex("4500 0054 7e7c 4000 4001 be2a 7f00 0001 7f00
         0001 0800 20a2 2404 0001 69e8 086b 0000
         0000 7332 0f00 0000 0000 1011 1213 1415
         1617 1819 1a1b 1c1d 1e1f 2021 2223 2425
         2627 2829 2a2b 2c2d 2e2f 3031 3233 3435
         3637")
}

/// `IP (tos 0x0, ttl 64, id 32381, offset 0, flags [none], proto ICMP (1), length 84)
///  localhost > localhost: ICMP echo reply, id 9220, seq 1, length 64`
fn echo_reply() -> Vec<u8> {
    hex("4500 0054 7e7d 0000 4001 fe29 7f00 0001 7f00
         0001 0000 28a2 2404 0001 69e8 086b 0000
         0000 7332 0f00 0000 0000 1011 1213 1415
         1617 1819 1a1b 1c1d 1e1f 2021 2223 2425
         2627 2829 2a2b 2c2d 2e2f 3031 3233 3435
         3637")
}

/// `IP (tos 0xc0, ttl 64, id 23417, offset 0, flags [none], proto ICMP (1), length 61)
///  localhost > localhost: ICMP localhost udp port discard unreachable, length 41`,
/// quoting `IP (tos 0x0, ttl 64, id 41377, flags [DF], proto UDP (17), length 33)
///  localhost.58473 > localhost.discard: UDP, length 5` whole (the UDP checksum in the
/// quote is the partial one of loopback checksum offload).
fn port_unreachable() -> Vec<u8> {
    hex("45c0 003d 5b79 0000 4001 2085 7f00 0001 7f00
         0001 0303 d689 0000 0000 4500 0021 a1a1
         4000 4011 9b28 7f00 0001 7f00 0001 e469
         0009 000d fe20 6865 6c6c 6f")
}

/// Emits an IPv4 header and an ICMP message into one datagram.
fn emit(ip: &Ipv4Repr, icmp: &Icmpv4Repr<'_>) -> Vec<u8> {
    assert_eq!(ip.payload_len, icmp.buffer_len());
    let mut buf = vec![0u8; ip.total_len()];
    let mut packet = Ipv4Packet::new_unchecked(&mut buf[..]);
    ip.emit(&mut packet);
    icmp.emit(&mut Icmpv4Packet::new_unchecked(packet.payload_mut()));
    buf
}

/// Reads what tcpdump read from Linux's echo request.
#[test]
fn linux_echo_request_reads_as_tcpdump_did() {
    let bytes = echo_request();
    let ip = Ipv4Packet::new_checked(&bytes[..]).unwrap();
    let ip_repr = Ipv4Repr::parse(&ip, ChecksumMode::Verify).unwrap();
    assert_eq!(
        ip_repr.to_string(),
        "IP 127.0.0.1 > 127.0.0.1: ICMP, ttl 64, id 32380, flags [DF], length 84"
    );
    let icmp = Icmpv4Packet::new_checked(ip.payload()).unwrap();
    assert_eq!(icmp.checksum(), 0x20a2);
    let repr = Icmpv4Repr::parse(&icmp, ChecksumMode::Verify).unwrap();
    assert_eq!(
        repr.to_string(),
        "ICMP echo request, id 9220, seq 1, length 64"
    );
    let Icmpv4Repr::EchoRequest { data, .. } = repr else {
        panic!("not an echo request: {repr}");
    };
    // ping's data: a struct timeval, then the bytes 0x10, 0x11, ... 0x37.
    assert_eq!(data.len(), 56);
    assert_eq!(&data[16..], &(0x10..0x38).collect::<Vec<u8>>()[..]);
}

/// Answering Linux's request with the fields Linux's own reply has gives Linux's reply,
/// byte for byte: both checksums (0xfe29, 0x28a2) included.
#[test]
fn answering_linux_echo_request_reproduces_the_kernel_reply() {
    let request = echo_request();
    let ip = Ipv4Packet::new_checked(&request[..]).unwrap();
    let req_ip = Ipv4Repr::parse(&ip, ChecksumMode::Verify).unwrap();
    let icmp = Icmpv4Packet::new_checked(ip.payload()).unwrap();
    let Icmpv4Repr::EchoRequest {
        ident,
        seq_no,
        data,
    } = Icmpv4Repr::parse(&icmp, ChecksumMode::Verify).unwrap()
    else {
        panic!("not an echo request");
    };

    let reply = Icmpv4Repr::EchoReply {
        ident,
        seq_no,
        data,
    };
    let reply_ip = Ipv4Repr {
        src_addr: req_ip.dst_addr,
        dst_addr: req_ip.src_addr,
        payload_len: reply.buffer_len(),
        ident: 32381,
        dont_frag: false,
        ..req_ip
    };
    assert_eq!(emit(&reply_ip, &reply), echo_reply());
}

/// The kernel's port unreachable: Linux quotes the whole 33-byte datagram (more than
/// RFC 792's 64 bits), and sends ICMP errors with precedence "internetwork control"
/// (tos 0xc0).
#[test]
fn linux_port_unreachable_parses_and_re_emits_identically() {
    let bytes = port_unreachable();
    let ip = Ipv4Packet::new_checked(&bytes[..]).unwrap();
    let ip_repr = Ipv4Repr::parse(&ip, ChecksumMode::Verify).unwrap();
    assert_eq!(ip_repr.dscp_ecn, 0xc0);
    let icmp = Icmpv4Packet::new_checked(ip.payload()).unwrap();
    let repr = Icmpv4Repr::parse(&icmp, ChecksumMode::Verify).unwrap();
    assert_eq!(
        repr.to_string(),
        "ICMP 127.0.0.1 udp port 9 unreachable, length 41"
    );
    let Icmpv4Repr::DstUnreachable {
        reason,
        header,
        data,
    } = repr
    else {
        panic!("not a destination unreachable: {repr}");
    };
    assert_eq!(reason, Icmpv4DstUnreachable::PortUnreachable);
    assert_eq!(
        header,
        Ipv4Repr {
            src_addr: Ipv4Addr::LOCALHOST,
            dst_addr: Ipv4Addr::LOCALHOST,
            protocol: IpProtocol::Udp,
            payload_len: 13,
            ttl: 64,
            ident: 41377,
            dont_frag: true,
            more_frags: false,
            frag_offset: 0,
            dscp_ecn: 0,
        }
    );
    assert_eq!(&data[8..], b"hello");
    assert_eq!(emit(&ip_repr, &repr), bytes);
}
