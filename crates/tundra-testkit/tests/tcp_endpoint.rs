//! The TCP layer of a stack ([`Endpoint`]): RSTs for closed ports (RFC 9293 §3.10.7.1),
//! listeners with bounded SYN and accept queues, demultiplexing many connections on one
//! port, ephemeral ports (RFC 6056), ISNs (RFC 6528), TIME-WAIT reuse (RFC 6191), and
//! the counters for malformed input. Segments travel as bytes with real checksums.

use core::net::{Ipv4Addr, SocketAddrV4};

use tundra_core::{Duration, Instant};
use tundra_tcp::{
    emit_segment, ChecksumMode, ConnHandle, Endpoint, EndpointConfig, ListenConfig, SeqNumber,
    State, TcpConfig, TcpFlags, TcpOptions, TcpPacket, TcpRepr,
};

const US: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const PEER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);

/// A segment from the peer's `port` to our `dst_port`.
fn seg(port: u16, dst_port: u16, seq: u32, ack: Option<u32>, flags: TcpFlags) -> TcpRepr<'static> {
    TcpRepr {
        src_port: port,
        dst_port,
        seq_number: SeqNumber(seq),
        ack_number: ack.map(SeqNumber),
        flags,
        window_len: 65535,
        urgent_pointer: 0,
        options: TcpOptions::default(),
        payload: &[],
    }
}

const SYN: TcpFlags = TcpFlags {
    syn: true,
    fin: false,
    rst: false,
    psh: false,
    urg: false,
    ece: false,
    cwr: false,
};
const NONE: TcpFlags = TcpFlags {
    syn: false,
    fin: false,
    rst: false,
    psh: false,
    urg: false,
    ece: false,
    cwr: false,
};
const RST: TcpFlags = TcpFlags { rst: true, ..NONE };

/// One segment we sent, parsed back from its bytes (checksum verified).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Out {
    src: Ipv4Addr,
    dst: Ipv4Addr,
    src_port: u16,
    dst_port: u16,
    seq: u32,
    ack: Option<u32>,
    flags: TcpFlags,
    len: usize,
}

fn deliver(ep: &mut Endpoint, now: Instant, repr: &TcpRepr<'_>) {
    let bytes = emit_segment(repr, PEER, US);
    ep.receive(now, PEER, US, &bytes);
}

fn transmit(ep: &mut Endpoint, now: Instant) -> Vec<Out> {
    let mut out = Vec::new();
    ep.poll_transmit(now, |src, dst, bytes| {
        let packet = TcpPacket::new_checked(bytes).expect("well-formed");
        let r = TcpRepr::parse(&packet, src, dst, ChecksumMode::Verify).expect("valid checksum");
        out.push(Out {
            src,
            dst,
            src_port: r.src_port,
            dst_port: r.dst_port,
            seq: r.seq_number.0,
            ack: r.ack_number.map(|a| a.0),
            flags: r.flags,
            len: r.payload.len(),
        });
    });
    out
}

fn endpoint() -> Endpoint {
    Endpoint::new(EndpointConfig::default(), 42)
}

// RFC 9293 §3.10.7.1: a SYN to a closed port gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
#[test]
fn rfc9293_3_10_7_1_syn_to_closed_port_gets_rst_ack() {
    let mut ep = endpoint();
    deliver(&mut ep, Instant::ZERO, &seg(40000, 81, 1000, None, SYN));
    let out = transmit(&mut ep, Instant::ZERO);
    assert_eq!(
        out,
        vec![Out {
            src: US,
            dst: PEER,
            src_port: 81,
            dst_port: 40000,
            seq: 0,
            ack: Some(1001),
            flags: RST,
            len: 0
        }]
    );
    assert_eq!(ep.counters().no_listener_rst_sent, 1);
}

// RFC 9293 §3.10.7.1: a segment with ACK to a closed port gets <SEQ=SEG.ACK><CTL=RST>; data counts in SEG.LEN.
#[test]
fn rfc9293_3_10_7_1_ack_and_data_to_closed_port() {
    let mut ep = endpoint();
    deliver(&mut ep, Instant::ZERO, &seg(40000, 81, 7, Some(5555), NONE));
    let data = TcpRepr {
        payload: b"hello",
        ..seg(40001, 81, 100, None, NONE)
    };
    deliver(&mut ep, Instant::ZERO, &data);
    let out = transmit(&mut ep, Instant::ZERO);
    assert_eq!(out.len(), 2);
    assert_eq!((out[0].seq, out[0].ack, out[0].flags), (5555, None, RST));
    assert_eq!((out[1].seq, out[1].ack, out[1].flags), (0, Some(105), RST));
}

// RFC 9293 §3.10.7.1: "An incoming segment containing a RST is discarded": never RST a RST.
#[test]
fn rfc9293_3_10_7_1_never_reset_a_reset() {
    let mut ep = endpoint();
    deliver(&mut ep, Instant::ZERO, &seg(40000, 81, 7, Some(5), RST));
    assert!(transmit(&mut ep, Instant::ZERO).is_empty());
    assert_eq!(ep.counters().no_listener_rst_sent, 0);
}

/// Completes a handshake from peer port `port` to our listening `dst_port`; returns
/// our ISS.
fn handshake(ep: &mut Endpoint, now: Instant, port: u16, dst_port: u16) -> u32 {
    deliver(ep, now, &seg(port, dst_port, 1000, None, SYN));
    let out = transmit(ep, now);
    assert_eq!(out.len(), 1, "one SYN-ACK");
    assert!(out[0].flags.syn && out[0].ack == Some(1001));
    let iss = out[0].seq;
    deliver(
        ep,
        now,
        &seg(port, dst_port, 1001, Some(iss.wrapping_add(1)), NONE),
    );
    assert!(transmit(ep, now).is_empty());
    iss
}

// RFC 9293 §3.10.7.2: a listener answers a SYN with SYN-ACK; the completed connection waits in the accept queue.
#[test]
fn rfc9293_3_10_7_2_listener_accepts_connection() {
    let mut ep = endpoint();
    let l = ep
        .listen(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80))
        .unwrap();
    assert_eq!(ep.accept(l), None);
    handshake(&mut ep, Instant::ZERO, 40000, 80);
    assert_eq!(ep.accept_queue_len(l), 1);
    let h = ep.accept(l).expect("accepted");
    let c = ep.connection(h).unwrap();
    assert_eq!(c.state(), State::Established);
    assert_eq!(c.remote(), SocketAddrV4::new(PEER, 40000));
    assert_eq!(c.local(), SocketAddrV4::new(US, 80));
    assert_eq!(ep.counters().passive_opens, 1);
}

// One listening port serves many concurrent connections, demultiplexed by 4-tuple.
#[test]
fn one_listener_serves_many_connections() {
    let mut ep = endpoint();
    let l = ep.listen(SocketAddrV4::new(US, 80)).unwrap();
    let mut handles: Vec<ConnHandle> = Vec::new();
    for port in 40000..40050 {
        handshake(&mut ep, Instant::ZERO, port, 80);
        handles.push(ep.accept(l).unwrap());
    }
    // Each connection gets its own data, and answers on its own 4-tuple.
    for (i, h) in handles.iter().enumerate() {
        let port = 40000 + i as u16;
        let iss = ep.connection(*h).unwrap().send_unacked().0;
        let payload = [i as u8; 10];
        let data = TcpRepr {
            payload: &payload,
            flags: TcpFlags { psh: true, ..NONE },
            ..seg(port, 80, 1001, Some(iss), NONE)
        };
        deliver(&mut ep, Instant::ZERO, &data);
    }
    for (i, h) in handles.iter().enumerate() {
        let mut buf = [0u8; 32];
        let n = ep.connection_mut(*h).unwrap().recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], &[i as u8; 10]);
    }
    assert_eq!(ep.connection_count(), 50);
}

// With SYN cookies off, a full SYN queue drops further SYNs (and counts them); the peer's retransmission gets in later. (With them on, the default, see tcp_syncookies.rs.)
#[test]
fn syn_queue_overflow_drops_syn_and_counts() {
    let config = EndpointConfig {
        syn_cookies: false,
        ..EndpointConfig::default()
    };
    let mut ep = Endpoint::new(config, 42);
    let config = ListenConfig {
        connection: TcpConfig::default(),
        syn_backlog: 2,
        accept_backlog: 8,
    };
    let l = ep.listen_with(SocketAddrV4::new(US, 80), config).unwrap();
    for port in [40000, 40001, 40002] {
        deliver(&mut ep, Instant::ZERO, &seg(port, 80, 1000, None, SYN));
    }
    let out = transmit(&mut ep, Instant::ZERO);
    assert_eq!(out.len(), 2, "two SYN-ACKs");
    assert_eq!(ep.counters().syn_queue_overflow, 1);
    // Completing one frees a SYN-queue slot; the third peer's retransmitted SYN is served.
    deliver(
        &mut ep,
        Instant::ZERO,
        &seg(40000, 80, 1001, Some(out[0].seq + 1), NONE),
    );
    deliver(&mut ep, Instant::ZERO, &seg(40002, 80, 1000, None, SYN));
    let out = transmit(&mut ep, Instant::ZERO);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].dst_port, 40002);
    assert_eq!(ep.accept_queue_len(l), 1);
}

// A full accept queue holds the handshake in SYN-RECEIVED (the final ACK is dropped and counted) until accept() makes room.
#[test]
fn accept_queue_overflow_holds_handshake() {
    let mut ep = endpoint();
    let config = ListenConfig {
        connection: TcpConfig::default(),
        syn_backlog: 8,
        accept_backlog: 1,
    };
    let l = ep.listen_with(SocketAddrV4::new(US, 80), config).unwrap();
    handshake(&mut ep, Instant::ZERO, 40000, 80);
    deliver(&mut ep, Instant::ZERO, &seg(40001, 80, 1000, None, SYN));
    assert_eq!(
        ep.counters().accept_queue_overflow,
        1,
        "SYN dropped while full"
    );
    let first = ep.accept(l).unwrap();
    deliver(&mut ep, Instant::ZERO, &seg(40001, 80, 1000, None, SYN));
    let out = transmit(&mut ep, Instant::ZERO);
    assert_eq!(out.len(), 1);
    handshake(&mut ep, Instant::ZERO, 40002, 80);
    // 40001's ACK arrives while 40002 fills the queue: dropped.
    deliver(
        &mut ep,
        Instant::ZERO,
        &seg(40001, 80, 1001, Some(out[0].seq + 1), NONE),
    );
    assert_eq!(ep.counters().accept_queue_overflow, 2);
    let second = ep.accept(l).unwrap();
    assert_ne!(first, second);
    // Now the retransmitted ACK completes it.
    deliver(
        &mut ep,
        Instant::ZERO,
        &seg(40001, 80, 1001, Some(out[0].seq + 1), NONE),
    );
    let third = ep.accept(l).unwrap();
    assert_eq!(ep.connection(third).unwrap().remote().port(), 40001);
}

// RFC 9293 §3.10.7.2: a non-SYN segment with ACK to a listening port without a connection gets a RST.
#[test]
fn rfc9293_3_10_7_2_stray_ack_to_listener_gets_reset() {
    let mut ep = endpoint();
    ep.listen(SocketAddrV4::new(US, 80)).unwrap();
    deliver(&mut ep, Instant::ZERO, &seg(40000, 80, 5, Some(77), NONE));
    let out = transmit(&mut ep, Instant::ZERO);
    assert_eq!((out[0].seq, out[0].flags), (77, RST));
    assert_eq!(ep.counters().listen_rst_sent, 1);
}

// RFC 6056 §3.3.1: active opens use random ephemeral ports in 49152..=65535, distinct per 4-tuple.
#[test]
fn rfc6056_ephemeral_ports_random_and_distinct() {
    let mut ep = endpoint();
    let remote = SocketAddrV4::new(PEER, 80);
    let mut ports = Vec::new();
    for _ in 0..100 {
        let h = ep.connect(Instant::ZERO, US, remote).unwrap();
        ports.push(ep.connection(h).unwrap().local().port());
    }
    assert!(ports.iter().all(|p| *p >= 49152));
    let mut sorted = ports.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 100, "no port reused towards the same peer");
    assert!(ports.windows(2).any(|w| w[1] != w[0] + 1), "not sequential");
    let out = transmit(&mut ep, Instant::ZERO);
    assert_eq!(out.len(), 100);
    assert!(out.iter().all(|o| o.flags.syn && o.ack.is_none()));
}

// RFC 6528: ISNs differ per 4-tuple, advance with the 4 µs clock, and are reproducible from the seed.
#[test]
fn rfc6528_isn_keyed_per_tuple_and_seeded() {
    let iss = |seed: u64, port: u16, at: Instant| {
        let mut ep = Endpoint::new(EndpointConfig::default(), seed);
        ep.listen(SocketAddrV4::new(US, 80)).unwrap();
        deliver(&mut ep, at, &seg(port, 80, 1000, None, SYN));
        transmit(&mut ep, at)[0].seq
    };
    let a = iss(1, 40000, Instant::ZERO);
    assert_eq!(a, iss(1, 40000, Instant::ZERO), "same seed, same ISN");
    assert_ne!(
        a,
        iss(2, 40000, Instant::ZERO),
        "the key comes from the seed"
    );
    assert_ne!(a, iss(1, 40001, Instant::ZERO), "the tuple is hashed");
    assert_eq!(
        iss(1, 40000, Instant::from_millis(1)).wrapping_sub(a),
        250,
        "M ticks every 4 us"
    );
}

// Malformed input is dropped and counted by cause, never answered.
#[test]
fn malformed_segments_counted() {
    let mut ep = endpoint();
    ep.listen(SocketAddrV4::new(US, 80)).unwrap();
    let mut bytes = emit_segment(&seg(40000, 80, 1000, None, SYN), PEER, US);
    bytes[16] ^= 0xff; // checksum
    ep.receive(Instant::ZERO, PEER, US, &bytes);
    ep.receive(Instant::ZERO, PEER, US, &bytes[..10]);
    // An option with length 0 (RFC 9293 §3.1: illegal option length).
    let mut bad = emit_segment(
        &TcpRepr {
            options: TcpOptions {
                mss: Some(1460),
                ..TcpOptions::default()
            },
            ..seg(40000, 80, 1000, None, SYN)
        },
        PEER,
        US,
    );
    bad[20] = 0x02;
    bad[21] = 0x00;
    let mut packet = TcpPacket::new_unchecked(&mut bad[..]);
    packet.fill_checksum(PEER, US);
    ep.receive(Instant::ZERO, PEER, US, &bad);
    assert!(transmit(&mut ep, Instant::ZERO).is_empty());
    let c = ep.counters();
    assert_eq!((c.bad_checksum, c.malformed, c.malformed_option), (1, 1, 1));
    assert_eq!(ep.connection_count(), 0);
}

// Connections are removed once closed and released: after TIME-WAIT nothing is left.
#[test]
fn closed_connections_are_reaped_after_time_wait() {
    let config = EndpointConfig {
        connection: TcpConfig {
            msl: Duration::from_secs(1),
            ..TcpConfig::default()
        },
        ..EndpointConfig::default()
    };
    let mut ep = Endpoint::new(config, 3);
    let l = ep.listen(SocketAddrV4::new(US, 80)).unwrap();
    let iss = handshake(&mut ep, Instant::ZERO, 40000, 80);
    let h = ep.accept(l).unwrap();
    ep.close(h);
    let out = transmit(&mut ep, Instant::ZERO);
    assert!(out[0].flags.fin);
    let fin_ack = TcpRepr {
        flags: TcpFlags { fin: true, ..NONE },
        ..seg(40000, 80, 1001, Some(iss.wrapping_add(2)), NONE)
    };
    deliver(&mut ep, Instant::ZERO, &fin_ack);
    assert_eq!(transmit(&mut ep, Instant::ZERO).len(), 1, "ACK of the FIN");
    assert_eq!(ep.connection(h).unwrap().state(), State::TimeWait);
    assert_eq!(
        ep.sockets()
            .iter()
            .filter(|s| s.state == State::TimeWait)
            .count(),
        1
    );
    let at = ep.poll_at().expect("TIME-WAIT timer");
    assert_eq!(at, Instant::from_secs(2));
    transmit(&mut ep, at);
    assert_eq!(ep.connection_count(), 0);
    assert!(ep.connection(h).is_none(), "handle is stale");
    // The port answers with RSTs again.
    deliver(
        &mut ep,
        at,
        &seg(40000, 80, 1002, Some(iss.wrapping_add(2)), NONE),
    );
    assert_eq!(transmit(&mut ep, at)[0].flags, RST);
}

// RFC 6191: a new SYN with a higher sequence number recycles a connection in TIME-WAIT.
#[test]
fn rfc6191_syn_recycles_time_wait() {
    let mut ep = endpoint();
    let l = ep.listen(SocketAddrV4::new(US, 80)).unwrap();
    let iss = handshake(&mut ep, Instant::ZERO, 40000, 80);
    let h = ep.accept(l).unwrap();
    ep.close(h);
    transmit(&mut ep, Instant::ZERO);
    let fin_ack = TcpRepr {
        flags: TcpFlags { fin: true, ..NONE },
        ..seg(40000, 80, 1001, Some(iss.wrapping_add(2)), NONE)
    };
    deliver(&mut ep, Instant::ZERO, &fin_ack);
    transmit(&mut ep, Instant::ZERO);
    let now = Instant::from_secs(1);
    deliver(&mut ep, now, &seg(40000, 80, 900_000, None, SYN));
    let out = transmit(&mut ep, now);
    assert!(out[0].flags.syn && out[0].ack == Some(900_001));
    assert_eq!(ep.counters().time_wait_recycled, 1);
}

// The socket table reads like `ss -tan`: listeners and connections with state, queues and addresses.
#[test]
fn socket_table_lists_listeners_and_connections() {
    let mut ep = endpoint();
    let l = ep.listen(SocketAddrV4::new(US, 80)).unwrap();
    handshake(&mut ep, Instant::ZERO, 40000, 80);
    let h = ep.accept(l).unwrap();
    ep.connection_mut(h).unwrap().send(&[1; 300]).unwrap();
    let mut table = String::new();
    tundra_tcp::endpoint::write_socket_table(&mut table, &ep.sockets()).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("State"));
    assert!(lines[1].starts_with("LISTEN") && lines[1].contains("10.0.0.2:80"));
    assert!(lines[2].starts_with("ESTABLISHED") && lines[2].contains("10.0.0.1:40000"));
    assert!(lines[2].contains(" 300 "), "Send-Q: {}", lines[2]);
    assert!(lines[2].contains("cwnd:10"), "{}", lines[2]);
    let counters = ep.counters().to_string();
    assert!(
        counters.contains("1 passive connection openings"),
        "{counters}"
    );
}

// Stopping a listener resets the connections nobody accepted yet.
#[test]
fn unlisten_resets_unaccepted_connections() {
    let mut ep = endpoint();
    let l = ep.listen(SocketAddrV4::new(US, 80)).unwrap();
    handshake(&mut ep, Instant::ZERO, 40000, 80);
    ep.unlisten(l);
    let out = transmit(&mut ep, Instant::ZERO);
    assert_eq!(out.len(), 1);
    assert!(out[0].flags.rst);
    assert_eq!(ep.connection_count(), 0);
    deliver(&mut ep, Instant::ZERO, &seg(40001, 80, 1000, None, SYN));
    assert!(
        transmit(&mut ep, Instant::ZERO)[0].flags.rst,
        "port closed now"
    );
}
