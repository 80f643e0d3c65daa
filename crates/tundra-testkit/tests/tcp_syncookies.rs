//! SYN cookies (RFC 4987 §3.6): a listener whose SYN queue is full answers SYNs with a
//! SYN-ACK whose ISS is a cookie and keeps no state; the ACK that returns a valid cookie
//! creates the connection in ESTABLISHED, ready for accept, with the ACK's data. The
//! peer is a Linux-like client (timestamps, SACK, window scale 7) unless a test says.

use core::net::Ipv4Addr;

use proptest::prelude::*;
use tundra_core::Instant;
use tundra_tcp::{
    emit_segment, EndpointConfig, ListenConfig, SeqNumber, TcpConfig, TcpFlags, TcpOptions,
    TcpRepr, TcpTimestamp,
};
use tundra_testkit::listener_script::ListenerScript;
use tundra_testkit::script::{LOCAL, REMOTE, REMOTE_ISS};

/// A listener with room for two half-open connections.
fn listener() -> ListenerScript {
    ListenerScript::new(
        EndpointConfig::default(),
        ListenConfig {
            connection: TcpConfig::default(),
            syn_backlog: 2,
            accept_backlog: 8,
        },
    )
}

/// The flood fills the SYN queue; the peer's SYN (TS, SACK, wscale 7) gets a cookie.
/// Our receive buffer of 256 KiB makes our window scale 3.
const COOKIE: &str = "0.000 fill 2
     +0 connections 2
     0.100 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
     +0 > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val * ecr 100,nop,wscale 3>";

// RFC 4987 §3.6: with the SYN queue full, the SYN-ACK carries a cookie and the listener keeps nothing.
#[test]
fn rfc4987_3_6_full_syn_queue_answers_with_a_cookie_and_keeps_no_state() {
    let mut t = listener();
    t.run(COOKIE);
    t.run(
        "+0 state none
         +0 connections 2
         +0 counter syncookies_sent 1
         +0 counter syn_queue_overflow 0
         // No state, so no timer: the SYN-ACK is never retransmitted by us.
         3.000 nothing
         // The peer's retransmitted SYN gets a SYN-ACK with the same cookie.
         3.100 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 3100 ecr 0,nop,wscale 7>
         +0 > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val * ecr 3100,nop,wscale 3>
         +0 counter syncookies_sent 2
         +0 connections 2",
    );
    assert!(t.others() >= 2, "the flood's SYN-ACKs went to the flood");
}

// RFC 4987 §3.6 and RFC 9293 §3.10.7.4: the ACK returning a valid cookie creates the connection in ESTABLISHED; its data is accepted and the connection waits for accept.
#[test]
fn rfc4987_3_6_valid_cookie_ack_establishes_with_its_data() {
    let mut t = listener();
    t.run(COOKIE);
    t.run(
        "0.110 < P. 1:11(10) ack 1 win 512 <nop,nop,TS val 110 ecr *>
         +0 state ESTABLISHED
         +0 counter syncookies_recv 1
         +0 counter syncookies_failed 0
         +0 counter established 1
         +0 connections 3
         +0 accept
         +0 recv 10
         +0 send 5
         +0 > P. 1:6(5) ack 11 <nop,nop,TS val * ecr 110>
         0.120 < . 11:11(0) ack 6 win 512 <nop,nop,TS val 120 ecr *>
         +0 check sendq 0",
    );
}

// A cookie made in one 64 s period is still good in the next (Linux MAX_SYNCOOKIE_AGE = 2).
#[test]
fn cookie_is_valid_in_the_next_period() {
    let mut t = listener();
    t.run(COOKIE);
    t.run(
        "100.000 < . 1:1(0) ack 1 win 512 <nop,nop,TS val 200 ecr *>
         +0 state ESTABLISHED
         +0 accept",
    );
}

// A cookie two periods old is invalid: like any other ACK to a listener it gets <SEQ=SEG.ACK><CTL=RST> (RFC 9293 §3.10.7.2), as Linux answers it (cookie_v4_check gives the segment back to the listener, whose tcp_rcv_state_process rejects the ACK and tcp_v4_do_rcv resets) and counts it (SyncookiesFailed).
#[test]
fn stale_cookie_ack_gets_rst() {
    let mut t = listener();
    t.run(COOKIE);
    t.run(
        // The flood goes on, so the listener still checks cookies.
        "120.000 fill 3
         130.000 < . 1:1(0) ack 1 win 512 <nop,nop,TS val 13000 ecr *>
         +0 > R 1:1(0)
         +0 state none
         +0 counter syncookies_failed 1
         +0 counter syncookies_recv 0",
    );
}

// An ACK whose acknowledgment number is not cookie + 1 is answered as for a port with no connection: <SEQ=SEG.ACK><CTL=RST>.
#[test]
fn wrong_ack_number_gets_rst() {
    let mut t = listener();
    t.run(COOKIE);
    t.run(
        "0.110 < . 1:1(0) ack 2 win 512 <nop,nop,TS val 110 ecr *>
         +0 > R 2:2(0)
         +0 state none
         +0 counter syncookies_failed 1
         // Nor does a cookie for another peer ISN verify.
         0.120 < . 2:2(0) ack 1 win 512 <nop,nop,TS val 120 ecr *>
         +0 > R 1:1(0)
         +0 counter syncookies_failed 2
         +0 connections 2
         // The right ACK still works.
         0.130 < . 1:1(0) ack 1 win 512 <nop,nop,TS val 130 ecr *>
         +0 state ESTABLISHED",
    );
}

// Cookies engage only with a full SYN queue: otherwise the SYN gets an ordinary SYN-RECEIVED TCB, and an ACK to a listener that never overflowed is reset without checking any cookie.
#[test]
fn cookies_only_when_the_syn_queue_is_full() {
    let mut t = listener();
    t.run(
        "0.000 < . 1:1(0) ack 1 win 512
         +0 > R 1:1(0)
         +0 counter syncookies_failed 0
         0.100 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
         +0 > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val * ecr 100,nop,wscale 3>
         +0 state SYN-RECEIVED
         +0 counter syncookies_sent 0
         1.100 > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val * ecr 100,nop,wscale 3>",
    );
}

// With timestamps, the peer's window scale and SACK-permitted travel in our TSval's low bits and come back in its TSecr: the connection scales the peer's window (512 << 7) and sends SACK blocks. The MSS is rounded down to the table (1400 -> 1300).
#[test]
fn options_round_trip_through_the_timestamp() {
    let mut t = listener();
    t.run(
        "0.000 fill 2
         0.100 < S 0:0(0) win 65535 <mss 1400,sackOK,TS val 100 ecr 0,nop,wscale 7>
         +0 > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val * ecr 100,nop,wscale 3>
         0.110 < . 1:1(0) ack 1 win 512 <nop,nop,TS val 110 ecr *>
         +0 accept
         +0 check sndwnd 65536
         +0 check mss 1300
         // Out of order: the ACK reports it in a SACK block, and scales our window by 3.
         0.120 < P. 11:21(10) ack 1 win 512 <nop,nop,TS val 120 ecr *>
         +0 > . 1:1(0) ack 1 win 32768 <nop,nop,TS val * ecr 110,sack 11:21>",
    );
}

// Without timestamps the cookie cannot carry window scaling or SACK (RFC 4987 §3.6's known cost): the SYN-ACK offers neither, so the connection runs unscaled and without SACK.
#[test]
fn without_timestamps_window_scale_and_sack_are_lost() {
    let mut t = listener();
    t.run(
        "0.000 fill 2
         0.100 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,wscale 7>
         +0 > S. 0:0(0) ack 1 win 65535 <mss 1460>
         0.110 < . 1:1(0) ack 1 win 512
         +0 accept
         +0 check sndwnd 512
         0.120 < P. 11:21(10) ack 1 win 512
         +0 > . 1:1(0) ack 1 win 65535 <>",
    );
}

// Without window scaling in the SYN (but with timestamps), the cookie says so and the connection is unscaled; a peer without an MSS option gets 536 (RFC 9293 §3.7.1).
#[test]
fn no_window_scale_and_default_mss_round_trip() {
    let mut t = listener();
    t.run(
        "0.000 fill 2
         0.100 < S 0:0(0) win 65535 <TS val 100 ecr 0>
         +0 > S. 0:0(0) ack 1 win 65535 <mss 1460,TS val * ecr 100>
         0.110 < . 1:1(0) ack 1 win 512 <nop,nop,TS val 110 ecr *>
         +0 accept
         +0 check sndwnd 512
         +0 check mss 536",
    );
}

// Linux drops a SYN when the accept queue is full, cookie or not; and a valid cookie ACK that finds the accept queue full is dropped (the peer retransmits it).
#[test]
fn full_accept_queue_drops_even_with_cookies() {
    let mut t = ListenerScript::new(
        EndpointConfig::default(),
        ListenConfig {
            connection: TcpConfig::default(),
            syn_backlog: 2,
            accept_backlog: 1,
        },
    );
    t.run(COOKIE);
    t.run(
        "0.110 < . 1:1(0) ack 1 win 512 <nop,nop,TS val 110 ecr *>
         +0 state ESTABLISHED
         +0 counter syncookies_recv 1
         // The accept queue (1) is full now: a new SYN is dropped.
         0.120 fill 1
         +0 counter accept_queue_overflow 1
         +0 counter syncookies_sent 1",
    );
}

/// A segment from `(src, port)` with the given numbers and flags, with a timestamp.
fn forged(
    src: Ipv4Addr,
    port: u16,
    seq: u32,
    ack: u32,
    flags: TcpFlags,
    tsecr: u32,
    len: usize,
) -> Vec<u8> {
    let payload = vec![0x55; len];
    let repr = TcpRepr {
        src_port: port,
        dst_port: LOCAL.port(),
        seq_number: SeqNumber(seq),
        ack_number: Some(SeqNumber(ack)),
        flags,
        window_len: 512,
        urgent_pointer: 0,
        options: TcpOptions {
            timestamp: Some(TcpTimestamp { tsval: 1, tsecr }),
            ..TcpOptions::default()
        },
        payload: &payload,
    };
    emit_segment(&repr, src, *LOCAL.ip())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    // Forged ACKs (random numbers, flags, options bits, sources) to a listener using cookies never create a connection (a guess succeeds with probability ~2^-29 each) and never panic.
    #[test]
    fn forged_acks_never_create_connections(
        acks in prop::collection::vec(
            (any::<u8>(), any::<u16>(), any::<u32>(), any::<u32>(), any::<bool>(), any::<bool>(), any::<u32>(), 0usize..20, 0u64..200_000),
            1..64,
        )
    ) {
        let mut t = listener();
        t.run(COOKIE);
        let before = t.ep.connection_count();
        for (host, port, seq, ack, fin, psh, tsecr, len, at_ms) in acks {
            // The peer itself (a wrong guess on its own tuple) or anyone else.
            let src = if host == 0 { *REMOTE.ip() } else { Ipv4Addr::new(10, 0, 2, host) };
            let port = if host == 0 { REMOTE.port() } else { port.max(1) };
            // Never the real cookie ACK for the peer's real ISN.
            let seq = if host == 0 && seq == REMOTE_ISS.wrapping_add(1) { seq ^ 1 } else { seq };
            let flags = TcpFlags { fin, psh, ..TcpFlags::default() };
            let bytes = forged(src, port, seq, ack, flags, tsecr, len);
            let now = Instant::from_millis(200 + at_ms as i64);
            t.ep.receive(now, src, *LOCAL.ip(), &bytes);
            t.ep.poll_transmit(now, |_, _, _| {});
        }
        let c = t.ep.counters();
        prop_assert_eq!(c.syncookies_recv, 0);
        prop_assert_eq!(t.ep.accept_queue_len(t.listener), 0);
        prop_assert!(t.ep.connection_count() <= before);
    }
}
