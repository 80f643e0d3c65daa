//! Criterion micro-benchmarks of Tundra's hot paths, each with `Throughput::Bytes` so
//! the report reads in bytes per second:
//!
//! - `checksum`: the RFC 1071 sum (`tundra_ip::checksum::data`) over 20 B to 64 KiB;
//! - `tcp_segment`: `TcpRepr::parse` (with checksum verification) and `TcpRepr::emit`
//!   (with the checksum filled) of a full-sized data segment with timestamps;
//! - `tcp_receive`: one in-order 1448-byte segment through an established
//!   `tundra_tcp::Endpoint`: parse, demultiplex, the RFC 9293 arrival checks,
//!   reassembly into the receive buffer, the application's `recv`, and the ACK
//!   `poll_transmit` produces;
//! - `http_parse`: `tundra_http::RequestHead::parse` of the request `wrk` sends and of a
//!   browser-sized one.
//!
//! Run: `cargo bench -p tundra-bench` (or `--bench hot_paths -- tcp_receive`).

use std::hint::black_box;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration as StdDuration, Instant as StdInstant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use tundra_core::Instant;
use tundra_http::{Limits, RequestHead};
use tundra_tcp::{
    emit_segment, ChecksumMode, ConnHandle, Endpoint, EndpointConfig, SeqNumber, TcpFlags,
    TcpOptions, TcpPacket, TcpRepr, TcpTimestamp,
};

const KERNEL: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const STACK: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
/// MSS 1460 less the 12 bytes of the timestamps option, as Linux sends at MTU 1500.
const PAYLOAD: usize = 1448;

fn checksum(c: &mut Criterion) {
    let mut g = c.benchmark_group("checksum");
    for len in [20usize, 1500, 9000, 65_535] {
        let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function(format!("data/{len}"), |b| {
            b.iter(|| tundra_ip::checksum::data(black_box(&data)))
        });
    }
    g.finish();
}

/// The data segment the kernel sends most: ACK, timestamps, 1448 bytes.
fn data_segment(seq: u32, ack: u32, payload: &[u8]) -> TcpRepr<'_> {
    TcpRepr {
        src_port: 40_000,
        dst_port: 9,
        seq_number: SeqNumber(seq),
        ack_number: Some(SeqNumber(ack)),
        flags: TcpFlags {
            psh: true,
            ..TcpFlags::default()
        },
        window_len: 502,
        urgent_pointer: 0,
        options: TcpOptions {
            timestamp: Some(TcpTimestamp {
                tsval: 1000,
                tsecr: 0,
            }),
            ..TcpOptions::default()
        },
        payload,
    }
}

fn tcp_segment(c: &mut Criterion) {
    let payload = vec![0x5a; PAYLOAD];
    let repr = data_segment(1, 1, &payload);
    let bytes = emit_segment(&repr, KERNEL, STACK);
    let mut g = c.benchmark_group("tcp_segment");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("parse_verify/1480", |b| {
        b.iter(|| {
            let packet = TcpPacket::new_unchecked(black_box(&bytes[..]));
            TcpRepr::parse(&packet, KERNEL, STACK, ChecksumMode::Verify).map(|r| r.payload.len())
        })
    });
    g.bench_function("parse_no_checksum/1480", |b| {
        b.iter(|| {
            let packet = TcpPacket::new_unchecked(black_box(&bytes[..]));
            TcpRepr::parse(&packet, KERNEL, STACK, ChecksumMode::Ignore).map(|r| r.payload.len())
        })
    });
    let mut out = vec![0u8; bytes.len()];
    g.bench_function("emit/1480", |b| {
        b.iter(|| {
            black_box(&repr).emit(&mut TcpPacket::new_unchecked(&mut out[..]), KERNEL, STACK);
        })
    });
    g.finish();
}

/// An endpoint with one established connection from the kernel's side, after the
/// three-way handshake with the options Linux offers.
struct Established {
    ep: Endpoint,
    conn: ConnHandle,
    /// The next sequence number the kernel sends, and what it acknowledges.
    seq: u32,
    ack: u32,
    now: Instant,
}

fn establish() -> Established {
    let mut ep = Endpoint::new(EndpointConfig::default(), 7);
    let listener = ep
        .listen(SocketAddrV4::new(STACK, 9))
        .expect("listen on port 9");
    let isn = 1_000_000u32;
    let syn = TcpRepr {
        seq_number: SeqNumber(isn),
        ack_number: None,
        flags: TcpFlags {
            syn: true,
            ..TcpFlags::default()
        },
        window_len: 64_240,
        options: TcpOptions {
            mss: Some(1460),
            window_scale: Some(7),
            sack_permitted: true,
            timestamp: Some(TcpTimestamp {
                tsval: 1000,
                tsecr: 0,
            }),
            ..TcpOptions::default()
        },
        ..data_segment(isn, 0, &[])
    };
    let now = Instant::from_millis(1);
    ep.receive(now, KERNEL, STACK, &emit_segment(&syn, KERNEL, STACK));
    let mut synack = None;
    ep.poll_transmit(now, |_, _, seg| synack = Some(seg.to_vec()));
    let synack = synack.expect("a SYN-ACK");
    let packet = TcpPacket::new_checked(&synack[..]).expect("SYN-ACK header");
    let server_isn = packet.seq_number().0;
    let ack = data_segment(isn + 1, server_isn.wrapping_add(1), &[]);
    ep.receive(now, KERNEL, STACK, &emit_segment(&ack, KERNEL, STACK));
    let conn = ep.accept(listener).expect("an established connection");
    Established {
        ep,
        conn,
        seq: isn + 1,
        ack: server_isn.wrapping_add(1),
        now,
    }
}

fn tcp_receive(c: &mut Criterion) {
    const BATCH: usize = 64;
    let payload = vec![0x5a; PAYLOAD];
    let mut st = establish();
    let mut buf = vec![0u8; 64 * 1024];
    let mut g = c.benchmark_group("tcp_receive");
    g.throughput(Throughput::Bytes(PAYLOAD as u64));
    g.bench_function("in_order_segment/1448", |b| {
        // Segments are built outside the timed part, a batch at a time; each one then
        // goes in, the application reads it, and whatever ACK is due goes out.
        b.iter_custom(|iters| {
            let mut total = StdDuration::ZERO;
            let mut left = iters as usize;
            while left > 0 {
                let n = left.min(BATCH);
                let segments: Vec<Vec<u8>> = (0..n)
                    .map(|i| {
                        let seq = st.seq.wrapping_add((i * PAYLOAD) as u32);
                        emit_segment(&data_segment(seq, st.ack, &payload), KERNEL, STACK)
                    })
                    .collect();
                let start = StdInstant::now();
                for seg in &segments {
                    st.now += tundra_core::Duration::from_micros(10);
                    st.ep.receive(st.now, KERNEL, STACK, seg);
                    let conn = st.ep.connection_mut(st.conn).expect("still open");
                    let got = conn.recv(&mut buf).expect("in-order data is readable");
                    assert_eq!(got, PAYLOAD);
                    st.ep.poll_transmit(st.now, |_, _, ack| {
                        black_box(ack);
                    });
                }
                total += start.elapsed();
                st.seq = st.seq.wrapping_add((n * PAYLOAD) as u32);
                left -= n;
            }
            total
        })
    });
    g.finish();
}

fn http_parse(c: &mut Criterion) {
    let wrk = b"GET / HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n".to_vec();
    let browser = b"GET /docs/architecture.md?html HTTP/1.1\r\n\
        Host: 10.0.0.2\r\n\
        User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n\
        Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
        Accept-Language: en-US,en;q=0.5\r\n\
        Accept-Encoding: gzip, deflate\r\n\
        Connection: keep-alive\r\n\
        Upgrade-Insecure-Requests: 1\r\n\
        Cache-Control: max-age=0\r\n\r\n"
        .to_vec();
    let limits = Limits::default();
    let mut g = c.benchmark_group("http_parse");
    for (name, req) in [("wrk", &wrk), ("browser", &browser)] {
        g.throughput(Throughput::Bytes(req.len() as u64));
        g.bench_function(format!("{name}/{}", req.len()), |b| {
            b.iter_batched(
                || (),
                |()| match RequestHead::parse(black_box(req), &limits) {
                    Ok(tundra_http::Status::Complete((head, n))) => (head.headers.len(), n),
                    other => panic!("request must parse: {other:?}"),
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, checksum, tcp_segment, tcp_receive, http_parse);
criterion_main!(benches);
