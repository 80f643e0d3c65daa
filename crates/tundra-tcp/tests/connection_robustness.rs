//! Bad input never wins: random segments (any flags, sequence and acknowledgment
//! numbers, windows, options), random ICMP errors (any kind, quoted sequence number
//! and next-hop MTU) and random user calls and clock jumps, thrown at a
//! connection in every phase of its life, never panic and never break the invariants
//! of the send and receive sequence spaces.

use core::net::{Ipv4Addr, SocketAddrV4};

use proptest::prelude::*;
use tundra_core::{Duration, Instant};
use tundra_tcp::{
    Connection, IcmpErrorKind, OpenParams, SeqNumber, TcpConfig, TcpFlags, TcpOptions, TcpRepr,
    TcpTimestamp,
};

const LOCAL: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 80);
const REMOTE: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 4000);
const ISS: u32 = 0xffff_fff0;
const IRS: u32 = 0x7fff_fff0;

#[derive(Debug, Clone)]
enum Action {
    Segment {
        flags: u8,
        seq_off: i32,
        ack_off: Option<i32>,
        window: u16,
        len: usize,
        ts: Option<(u32, u32)>,
        sack: Option<(i32, i32)>,
        wscale: Option<u8>,
        mss: Option<u16>,
    },
    Icmp {
        kind: u8,
        mtu: u16,
        seq_off: i32,
    },
    Send(usize),
    Recv(usize),
    Shutdown,
    Close,
    Abort,
    Wait(u32),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        6 => (
            any::<u8>(),
            -70_000i32..70_000,
            proptest::option::of(-70_000i32..70_000),
            any::<u16>(),
            0usize..3000,
            proptest::option::of((any::<u32>(), any::<u32>())),
            proptest::option::of((-70_000i32..70_000, -70_000i32..70_000)),
            proptest::option::of(0u8..20),
            proptest::option::of(any::<u16>()),
        )
            .prop_map(|(flags, seq_off, ack_off, window, len, ts, sack, wscale, mss)| {
                Action::Segment { flags, seq_off, ack_off, window, len, ts, sack, wscale, mss }
            }),
        2 => (any::<u8>(), any::<u16>(), -10_000i32..10_000)
            .prop_map(|(kind, mtu, seq_off)| Action::Icmp { kind, mtu, seq_off }),
        2 => (0usize..5000).prop_map(Action::Send),
        2 => (0usize..5000).prop_map(Action::Recv),
        1 => Just(Action::Shutdown),
        1 => Just(Action::Close),
        1 => Just(Action::Abort),
        3 => (0u32..3_000_000).prop_map(Action::Wait),
    ]
}

fn run(mut conn: Connection, actions: Vec<Action>) {
    let mut now = Instant::ZERO;
    let payload = vec![0xabu8; 3000];
    let mut out = vec![0u8; 65536];
    let mut buf = vec![0u8; 5000];
    for a in actions {
        match a {
            Action::Segment {
                flags,
                seq_off,
                ack_off,
                window,
                len,
                ts,
                sack,
                wscale,
                mss,
            } => {
                let seq = SeqNumber(IRS.wrapping_add(seq_off as u32));
                let mut options = TcpOptions {
                    mss,
                    window_scale: wscale,
                    sack_permitted: flags & 0x80 != 0,
                    timestamp: ts.map(|(tsval, tsecr)| TcpTimestamp { tsval, tsecr }),
                    ..TcpOptions::default()
                };
                if let Some((l, r)) = sack {
                    options.sack_blocks[0] = Some((
                        SeqNumber(ISS.wrapping_add(l as u32)),
                        SeqNumber(ISS.wrapping_add(r as u32)),
                    ));
                }
                let repr = TcpRepr {
                    src_port: REMOTE.port(),
                    dst_port: LOCAL.port(),
                    seq_number: seq,
                    ack_number: ack_off.map(|o| SeqNumber(ISS.wrapping_add(o as u32))),
                    flags: TcpFlags {
                        syn: flags & 1 != 0,
                        fin: flags & 2 != 0,
                        rst: flags & 4 != 0,
                        psh: flags & 8 != 0,
                        urg: flags & 16 != 0,
                        ece: false,
                        cwr: false,
                    },
                    window_len: window,
                    urgent_pointer: 0,
                    options,
                    payload: &payload[..len],
                };
                conn.handle_segment(now, &repr);
            }
            Action::Icmp { kind, mtu, seq_off } => {
                let kind = match kind % 8 {
                    0 => IcmpErrorKind::NetUnreachable,
                    1 => IcmpErrorKind::HostUnreachable,
                    2 => IcmpErrorKind::ProtoUnreachable,
                    3 => IcmpErrorKind::PortUnreachable,
                    4 => IcmpErrorKind::TimeExceeded,
                    5 => IcmpErrorKind::ParamProblem,
                    _ => IcmpErrorKind::FragRequired { mtu },
                };
                let seq = SeqNumber(ISS.wrapping_add(seq_off as u32));
                let _ = conn.handle_icmp_error(now, seq, kind);
            }
            Action::Send(n) => {
                let _ = conn.send(&payload[..n.min(payload.len())]);
            }
            Action::Recv(n) => {
                let _ = conn.recv(&mut buf[..n]);
            }
            Action::Shutdown => conn.shutdown(),
            Action::Close => conn.close(),
            Action::Abort => conn.abort(),
            Action::Wait(us) => now += Duration::from_micros(us as u64),
        }
        let mut sent = 0;
        while let Some(seg) = conn.poll_transmit(now, &mut out) {
            assert!(
                seg.payload.len() <= conn.mss(),
                "segment larger than the MSS"
            );
            sent += 1;
            assert!(sent < 10_000, "poll_transmit never stops");
        }
        assert!(conn.bytes_in_flight() < (1 << 30));
        // RFC 6675 SetPipe counts an octet at most twice (sent, and retransmitted).
        assert!(conn.pipe() <= 2 * conn.bytes_in_flight());
        assert!(conn.recv_queue() <= conn.config().recv_buffer);
        assert!(conn.send_queue() <= conn.config().send_buffer);
        while conn.poll_event().is_some() {}
        if let Some(t) = conn.poll_at() {
            assert!(t > now, "a timer already due after polling");
        }
    }
}

fn config() -> TcpConfig {
    TcpConfig {
        send_buffer: 8000,
        recv_buffer: 8000,
        ..TcpConfig::default()
    }
}

fn params() -> OpenParams {
    OpenParams {
        local: LOCAL,
        remote: REMOTE,
        iss: SeqNumber(ISS),
        ts_offset: 0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn listening_connection_survives_anything(actions in proptest::collection::vec(action(), 1..60)) {
        run(Connection::listen(Instant::ZERO, config(), params()), actions);
    }

    #[test]
    fn connecting_connection_survives_anything(actions in proptest::collection::vec(action(), 1..60)) {
        run(Connection::connect(Instant::ZERO, config(), params()), actions);
    }

    #[test]
    fn established_connection_survives_anything(actions in proptest::collection::vec(action(), 1..60)) {
        let mut conn = Connection::listen(Instant::ZERO, config(), params());
        let syn = TcpRepr {
            src_port: REMOTE.port(),
            dst_port: LOCAL.port(),
            seq_number: SeqNumber(IRS),
            ack_number: None,
            flags: TcpFlags { syn: true, ..TcpFlags::default() },
            window_len: 65535,
            urgent_pointer: 0,
            options: TcpOptions { mss: Some(1460), sack_permitted: true, ..TcpOptions::default() },
            payload: &[],
        };
        conn.handle_segment(Instant::ZERO, &syn);
        let mut out = vec![0u8; 2000];
        while conn.poll_transmit(Instant::ZERO, &mut out).is_some() {}
        let ack = TcpRepr {
            seq_number: SeqNumber(IRS.wrapping_add(1)),
            ack_number: Some(SeqNumber(ISS.wrapping_add(1))),
            flags: TcpFlags::default(),
            options: TcpOptions::default(),
            ..syn
        };
        conn.handle_segment(Instant::ZERO, &ack);
        prop_assert_eq!(conn.state(), tundra_tcp::State::Established);
        run(conn, actions);
    }
}
