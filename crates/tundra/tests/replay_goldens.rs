//! Replay: every golden in `testdata/pcap/` replays byte for byte on today's stack, and
//! a behaviour that changes shows up as a readable, decoded field difference.
//!
//! The goldens are recorded from live sessions by `scripts/record-golden.sh` (kernel
//! peers in a namespace); these tests need no root. A session is also recorded here in
//! memory, with a peer that pings and opens TCP connections nobody completes, so the
//! replay of TCP retransmission timers is tested without a kernel.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use tundra::replay::{replay, replay_file, timeline_path, Difference, Recording};
use tundra::session::{Session, StackParams, TimelineHeader, DEFAULT_SERVICES, TIMELINE_VERSION};
use tundra_core::{Duration, Instant};
use tundra_ip::{Icmpv4Packet, Icmpv4Repr, IpProtocol, Ipv4Addr, Ipv4Packet, Ipv4Repr};
use tundra_stack::{Device, Medium};
use tundra_tcp::{emit_segment, SeqNumber, TcpFlags, TcpOptions, TcpPacket, TcpRepr};
use tundra_tun::PcapTap;

const KERNEL: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const STACK: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

fn goldens_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/pcap")
}

fn goldens() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(goldens_dir())
        .expect("testdata/pcap exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    found.sort();
    found
}

/// Every golden, replayed on a fresh stack: every outbound frame byte for byte, in the
/// recorded turn.
#[test]
fn every_golden_replays_byte_exact() {
    let goldens = goldens();
    let names: Vec<String> = goldens
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "tap-arp-ping.pcap",
        "tun-ping.pcap",
        "tcp-echo.pcap",
        "tcp-rst.pcap",
        "tcp-retransmit.pcap",
        "tcp-fast-retransmit.pcap",
        "http-keepalive.pcap",
        "ws-echo.pcap",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "golden {expected} missing from testdata/pcap: {names:?}"
        );
    }
    for golden in &goldens {
        assert!(
            timeline_path(golden).exists(),
            "{} has no timeline",
            golden.display()
        );
        let outcome =
            replay_file(golden, false).unwrap_or_else(|e| panic!("{}: {e}", golden.display()));
        assert!(
            outcome.matches(),
            "replay {}:\n{outcome}\n(if the change is intended: tundra replay --update {})",
            golden.display(),
            golden.display()
        );
        assert!(
            outcome.expected_outbound > 0 && outcome.inbound > 0,
            "{}: an empty golden proves nothing",
            golden.display()
        );
    }
}

/// A golden whose recorded echo reply is changed (its TTL) no longer matches, and the
/// difference names the frame and the field, decoded, not as hex.
#[test]
fn a_changed_ttl_in_a_golden_is_named_field_by_field() {
    let golden = goldens_dir().join("tun-ping.pcap");
    let mut recording = Recording::load(&golden).expect("load tun-ping");
    let outbound = recording.outbound();
    let first_reply = outbound
        .iter()
        .position(|s| s.frame.len() > 20 && s.frame[9] == 0x01)
        .expect("an ICMP frame out");
    let record = outbound[first_reply].record.unwrap();
    let frame = &mut recording.frames[record];
    frame[8] = 63; // TTL
    Ipv4Packet::new_unchecked(&mut frame[..]).fill_checksum();
    let outcome = replay(&recording).unwrap();
    assert!(!outcome.matches());
    let Difference::Frame { index, .. } = &outcome.differences[0] else {
        panic!("expected a frame difference first:\n{outcome}");
    };
    assert_eq!(*index, first_reply);
    let text = outcome.to_string();
    assert!(text.contains("ip.ttl: expected 63, actual 64"), "{text}");
    assert!(text.contains("ip.checksum: expected"), "{text}");
    assert!(
        !text.contains("icmp."),
        "only the IP header differs:\n{text}"
    );
    assert_eq!(outcome.differences.len(), 1, "{text}");
}

/// Changes the first outbound TCP segment of the golden `name` (a TUN golden: frames
/// are IP packets) for which `pick` is true with `edit`, refills the TCP checksum, and
/// returns the replay's outcome and the segment's position among the outbound frames.
fn replay_with_edited_segment(
    name: &str,
    pick: impl Fn(&TcpPacket<&[u8]>) -> bool,
    edit: impl FnOnce(&mut TcpPacket<&mut [u8]>),
) -> (tundra::replay::Outcome, usize) {
    let mut recording = Recording::load(&goldens_dir().join(name)).expect("load the golden");
    let outbound = recording.outbound();
    let position = outbound
        .iter()
        .position(|s| {
            let ip = Ipv4Packet::new_checked(&s.frame[..]).unwrap();
            ip.protocol() == IpProtocol::Tcp && pick(&TcpPacket::new_checked(ip.payload()).unwrap())
        })
        .expect("a matching segment out");
    let frame = &mut recording.frames[outbound[position].record.unwrap()];
    let mut ip = Ipv4Packet::new_unchecked(&mut frame[..]);
    let (src, dst) = (ip.src_addr(), ip.dst_addr());
    let mut tcp = TcpPacket::new_unchecked(ip.payload_mut());
    edit(&mut tcp);
    tcp.fill_checksum(src, dst);
    (replay(&recording).unwrap(), position)
}

/// A golden whose SYN-ACK advertises another window than the stack does today: the
/// difference is that segment's `tcp.window` (and the checksum that covers it), by
/// name; the rest of the connection still matches.
#[test]
fn a_changed_syn_ack_window_in_a_tcp_golden_is_named() {
    let (outcome, position) = replay_with_edited_segment(
        "tcp-echo.pcap",
        |tcp| tcp.syn() && tcp.ack(),
        |tcp| tcp.set_window_len(29200),
    );
    let text = outcome.to_string();
    assert_eq!(position, 0, "the SYN-ACK is our first frame:\n{text}");
    assert!(
        matches!(
            outcome.differences[..],
            [Difference::Frame { index: 0, .. }]
        ),
        "one difference, in the SYN-ACK:\n{text}"
    );
    assert!(
        text.contains("tcp.window: expected 29200, actual 65535"),
        "{text}"
    );
    assert!(text.contains("tcp.checksum: expected"), "{text}");
    assert!(!text.contains("ip."), "the IP header is the same:\n{text}");
    assert!(!text.contains("tcp.flags"), "{text}");
}

/// A golden in which the server's last HTTP response did not carry its FIN: the stack
/// today closes after `Connection: close`, and the replay names `tcp.flags`.
#[test]
fn a_missing_fin_in_the_http_golden_is_named() {
    let (outcome, position) = replay_with_edited_segment(
        "http-keepalive.pcap",
        |tcp| tcp.fin(),
        |tcp| tcp.set_fin(false),
    );
    let text = outcome.to_string();
    let Difference::Frame { index, .. } = &outcome.differences[0] else {
        panic!("expected a frame difference first:\n{text}");
    };
    assert_eq!(*index, position);
    assert!(
        text.contains("tcp.flags: expected [P.], actual [FP.]"),
        "{text}"
    );
    assert!(text.contains("tcp.checksum: expected"), "{text}");
    assert!(!text.contains("tcp.window"), "{text}");
}

// --- a session recorded in memory ---

/// A wire between the stack and a scripted peer: frames the peer has sent and not yet
/// been read, and everything the stack wrote.
#[derive(Default)]
struct Wire {
    inbound: VecDeque<Vec<u8>>,
    outbound: Vec<Vec<u8>>,
}

impl Device for Wire {
    fn medium(&self) -> Medium {
        Medium::Ip
    }
    fn mtu(&self) -> usize {
        1500
    }
    fn receive(&mut self, _now: Instant, buf: &mut [u8]) -> Option<usize> {
        let frame = self.inbound.pop_front()?;
        buf[..frame.len()].copy_from_slice(&frame);
        Some(frame.len())
    }
    fn transmit(&mut self, _now: Instant, frame: &[u8]) {
        self.outbound.push(frame.to_vec());
    }
}

fn ipv4(protocol: IpProtocol, payload: &[u8], ident: u16) -> Vec<u8> {
    let ip = Ipv4Repr {
        src_addr: KERNEL,
        dst_addr: STACK,
        protocol,
        payload_len: payload.len(),
        ttl: 64,
        ident,
        dont_frag: true,
        more_frags: false,
        frag_offset: 0,
        dscp_ecn: 0,
    };
    let mut buf = vec![0u8; ip.total_len()];
    let mut packet = Ipv4Packet::new_unchecked(&mut buf[..]);
    ip.emit(&mut packet);
    packet.payload_mut().copy_from_slice(payload);
    buf
}

fn ping(seq_no: u16) -> Vec<u8> {
    let data: Vec<u8> = (0..56).collect();
    let icmp = Icmpv4Repr::EchoRequest {
        ident: 0x4242,
        seq_no,
        data: &data,
    };
    let mut buf = vec![0u8; icmp.buffer_len()];
    icmp.emit(&mut Icmpv4Packet::new_unchecked(&mut buf[..]));
    ipv4(IpProtocol::Icmp, &buf, seq_no)
}

fn syn(src_port: u16, dst_port: u16) -> Vec<u8> {
    let repr = TcpRepr {
        src_port,
        dst_port,
        seq_number: SeqNumber(1000),
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
    ipv4(IpProtocol::Tcp, &emit_segment(&repr, KERNEL, STACK), 7)
}

fn params() -> StackParams {
    StackParams {
        medium: "ip".to_string(),
        address: "10.0.0.2/24".to_string(),
        mac: "02:00:00:00:00:02".to_string(),
        gateway: None,
        seed: 42,
        mtu: 1500,
        services: DEFAULT_SERVICES.to_string(),
        time_base_us: 1_700_000_000_000_000,
        www: None,
        http_header_timeout_us: None,
        http_idle_timeout_us: None,
    }
}

/// Drives a session the way the live loop does (a turn when a frame arrives, when a
/// timer is due, and on a 200 ms tick), recording pcap and timeline in memory, and
/// returns the recording.
fn record_in_memory(script: &[(u64, Vec<u8>)], until_ms: u64) -> Recording {
    let header = TimelineHeader {
        tundra_replay: TIMELINE_VERSION,
        params: params(),
    };
    let mut session = Session::new(&header.params).unwrap();
    let timeline = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    struct Sink(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    session
        .record_to(Box::new(Sink(timeline.clone())), &header)
        .unwrap();
    let base = std::time::Duration::from_micros(header.params.time_base_us);
    let mut tap = PcapTap::new(Wire::default(), Vec::new(), base).unwrap();
    let mut script: VecDeque<_> = script.iter().cloned().collect();
    let mut now = Instant::ZERO;
    let end = Instant::from_millis(until_ms as i64);
    let tick = Duration::from_millis(200);
    let mut next_tick = Instant::ZERO + tick;
    loop {
        while script
            .front()
            .is_some_and(|(at, _)| Instant::from_millis(*at as i64) <= now)
        {
            let (_, frame) = script.pop_front().unwrap();
            tap.inner_mut().inbound.push_back(frame);
        }
        session.turn(now, &mut tap);
        if now >= next_tick {
            next_tick = now + tick;
        }
        let next_frame = script
            .front()
            .map(|(at, _)| Instant::from_millis(*at as i64));
        let next = [session.poll_at(), next_frame, Some(next_tick)]
            .into_iter()
            .flatten()
            .min()
            .unwrap();
        // A live loop wakes a little after its deadline; so does this one.
        now = next.max(now) + Duration::from_micros(37);
        if now > end {
            break;
        }
    }
    let pcap = tap.with_sink(|w| w.clone()).unwrap();
    let timeline = timeline.borrow().clone();
    Recording::from_bytes(&pcap, "memory.pcap", &timeline, "memory.pcap.replay.json").unwrap()
}

fn scripted_session() -> Recording {
    record_in_memory(
        &[
            (10, ping(1)),
            (20, syn(40000, 7)), // echo port: SYN-ACK, then retransmitted (no ACK comes)
            (30, syn(40001, 81)), // closed port: RST
            (1010, ping(2)),
            (2010, ping(3)),
        ],
        8000,
    )
}

/// A session recorded in memory replays exactly: pings, a RST, and the SYN-ACK
/// retransmissions whose times come from TCP's timers (RFC 6298), which only match if
/// the replay polls the stack at the recorded times.
#[test]
fn a_recorded_session_with_timers_replays_exactly() {
    let recording = scripted_session();
    let outcome = replay(&recording).unwrap();
    assert!(outcome.matches(), "{outcome}");
    // 3 echo replies, 1 RST, and at least 2 SYN-ACKs (one retransmitted).
    assert!(outcome.expected_outbound >= 6, "{outcome}");
    assert_eq!(outcome.inbound, 5);
    // Replaying the replay's own recording gives the same again.
    let (pcap, timeline) = &outcome.rerecorded;
    let again = Recording::from_bytes(pcap, "re.pcap", timeline, "re.pcap.replay.json").unwrap();
    assert_eq!(again.frames, recording.frames);
    assert_eq!(again.turns, recording.turns);
}

/// Polling at other times than recorded changes when a retransmission goes out: the
/// replay says which frame and that it is the timing, not the bytes.
#[test]
fn a_timer_that_fires_in_another_turn_is_a_timing_difference() {
    let mut recording = scripted_session();
    // Drop the turn in which the first retransmitted SYN-ACK went out (the second
    // SYN-ACK): the stack's timer then fires at the next recorded turn instead.
    let outbound = recording.outbound();
    let synacks: Vec<_> = outbound
        .iter()
        .filter(|s| s.frame.len() > 33 && s.frame[9] == 6 && s.frame[33] & 0x12 == 0x12)
        .collect();
    assert!(synacks.len() >= 2, "a retransmission was recorded");
    let turn = synacks[1].turn;
    assert!(
        recording.turns[turn].rounds.iter().all(|r| r.rx.is_empty()),
        "the retransmission turn reads nothing"
    );
    let removed = recording.turns.remove(turn);
    // Its frames now belong to no turn: give them back as the next turn's output.
    let tx: Vec<u64> = removed.rounds.iter().flat_map(|r| r.tx.clone()).collect();
    recording.turns[turn].rounds[0].tx.splice(0..0, tx);
    let outcome = replay(&recording).unwrap();
    let text = outcome.to_string();
    assert!(
        matches!(outcome.differences[0], Difference::Timing { .. }),
        "{text}"
    );
    assert!(text.contains("went out in turn"), "{text}");
}

/// A recording whose timeline does not match its pcap is refused with the line.
#[test]
fn a_timeline_naming_a_missing_record_is_refused() {
    let recording = scripted_session();
    let dir = std::env::temp_dir().join(format!("tundra-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join("bad.pcap");
    // An empty capture of the right link type, and a timeline that names record 0.
    let header = pcap_file::pcap::PcapHeader {
        datalink: pcap_file::DataLink::RAW,
        ..Default::default()
    };
    let mut bytes = Vec::new();
    pcap_file::pcap::PcapWriter::with_header(&mut bytes, header).unwrap();
    std::fs::write(&pcap, bytes).unwrap();
    let header_line = serde_json::to_string(&recording.header).unwrap();
    std::fs::write(
        timeline_path(&pcap),
        format!("{header_line}\n{{\"at\":0,\"rounds\":[{{\"rx\":[0]}}]}}\n"),
    )
    .unwrap();
    let err = replay_file(&pcap, false).unwrap_err().to_string();
    assert!(err.contains("bad.pcap.replay.json:2"), "{err}");
    assert!(err.contains("record 0"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
