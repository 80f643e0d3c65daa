//! Congestion control: the initial window (RFC 6928), slow start and congestion
//! avoidance (RFC 5681 §3.1), fast retransmit and fast recovery (RFC 5681 §3.2) with
//! NewReno partial ACKs (RFC 6582), and restart after idle (RFC 5681 §4.1).

use tundra_tcp::TcpConfig;
use tundra_testkit::script::TcpScript;

fn cfg() -> TcpConfig {
    TcpConfig {
        timestamps: false,
        nagle: false,
        ..TcpConfig::default()
    }
}

/// Lines expecting `n` full segments from sequence `from` (1460 bytes each).
fn segments(from: u32, n: u32) -> String {
    (0..n)
        .map(|i| {
            let s = from + i * 1460;
            format!("+0 > . {}:{}(1460) ack 1\n", s, s + 1460)
        })
        .collect()
}

/// Like [`segments`], the last one carrying PSH (it empties the send queue).
fn segments_psh(from: u32, n: u32) -> String {
    let last = from + (n - 1) * 1460;
    format!(
        "{}+0 > P. {}:{}(1460) ack 1\n",
        segments(from, n - 1),
        last,
        last + 1460
    )
}

// RFC 6928 §2: the initial window is min(10*MSS, max(2*MSS, 14600)): ten 1460-byte segments, then we wait.
#[test]
fn rfc6928_initial_window_of_ten_segments() {
    let mut t = TcpScript::establish_plain(cfg());
    t.run(&format!(
        "0.100 send 20000
         {}
         +0 nothing
         +0 check cwnd 14600
         +0 check flight 14600",
        segments(1, 10)
    ));
}

// RFC 5681 §3.1: in slow start each ACK grows cwnd by min(acked, SMSS), releasing more segments.
#[test]
fn rfc5681_3_1_slow_start_growth() {
    let mut t = TcpScript::establish_plain(cfg());
    t.run(&format!(
        "0.100 send 30000
         {}
         0.110 < . 1:1(0) ack 2921 win 65535
         +0 check cwnd 16060
         {}
         +0 nothing
         +0 check ssthresh inf",
        segments(1, 10),
        segments(14601, 3)
    ));
}

// RFC 5681 §3.2: the third duplicate ACK triggers a fast retransmit; ssthresh = FlightSize/2, cwnd = ssthresh + 3*SMSS.
// The full ACK comes a round trip (10 ms) after the retransmission, so it acknowledges the
// retransmission (sooner, it would show it needless: see tcp_dsack.rs).
#[test]
fn rfc5681_3_2_fast_retransmit_on_three_dupacks() {
    let mut t = TcpScript::establish_plain(cfg());
    t.run(
        "0.100 send 7300
         +0 > . 1:1461(1460) ack 1
         +0 > . 1461:2921(1460) ack 1
         +0 > . 2921:4381(1460) ack 1
         +0 > . 4381:5841(1460) ack 1
         +0 > P. 5841:7301(1460) ack 1
         0.110 < . 1:1(0) ack 1461 win 65535
         0.111 < . 1:1(0) ack 1461 win 65535
         0.112 < . 1:1(0) ack 1461 win 65535
         +0 nothing
         0.113 < . 1:1(0) ack 1461 win 65535
         +0 > . 1461:2921(1460) ack 1
         +0 check ssthresh 2920
         +0 check cwnd 7300
         +0 stat fast_retransmits 1
         +0 stat dup_acks 3
         0.123 < . 1:1(0) ack 7301 win 65535
         +0 check cwnd 2920
         +0 stat rto_expirations 0",
    );
}

// RFC 6582 §3.2 step 5: a partial ACK in fast recovery retransmits the next hole at once and deflates cwnd.
#[test]
fn rfc6582_partial_ack_retransmits_next_hole() {
    let mut t = TcpScript::establish_plain(cfg());
    t.run(&format!(
        "0.100 send 8760
         {}
         +0 > P. 7301:8761(1460) ack 1
         0.110 < . 1:1(0) ack 1461 win 65535
         0.111 < . 1:1(0) ack 1461 win 65535
         0.112 < . 1:1(0) ack 1461 win 65535
         0.113 < . 1:1(0) ack 1461 win 65535
         +0 > . 1461:2921(1460) ack 1
         +0 check ssthresh 3650
         +0 check cwnd 8030
         0.120 < . 1:1(0) ack 4381 win 65535
         +0 > . 4381:5841(1460) ack 1
         +0 check cwnd 6570
         0.130 < . 1:1(0) ack 8761 win 65535
         +0 check cwnd 2920
         +0 stat fast_retransmits 1
         +0 stat rto_expirations 0",
        segments(1, 5)
    ));
}

// RFC 5681 §3.2 step 4: each further duplicate ACK in recovery inflates cwnd by SMSS, letting new data out.
#[test]
fn rfc5681_3_2_dupacks_in_recovery_inflate_window() {
    let mut t = TcpScript::establish_plain(cfg());
    t.run(&format!(
        "0.100 send 14600
         {}
         0.110 < . 1:1(0) ack 1461 win 65535
         0.111 < . 1:1(0) ack 1461 win 65535
         0.112 < . 1:1(0) ack 1461 win 65535
         0.113 < . 1:1(0) ack 1461 win 65535
         +0 > . 1461:2921(1460) ack 1
         +0 check ssthresh 6570
         +0 check cwnd 10950
         0.114 < . 1:1(0) ack 1461 win 65535
         +0 check cwnd 12410
         0.115 send 2920
         +0 nothing
         0.116 < . 1:1(0) ack 1461 win 65535
         +0 check cwnd 13870
         +0 nothing
         0.117 < . 1:1(0) ack 1461 win 65535
         +0 > . 14601:16061(1460) ack 1
         0.118 < . 1:1(0) ack 1461 win 65535
         +0 > P. 16061:17521(1460) ack 1",
        segments_psh(1, 10)
    ));
}

// RFC 5681 §3.1 eq. 4: a timeout sets ssthresh to half the flight and cwnd to one segment.
#[test]
fn rfc5681_3_1_timeout_collapses_window() {
    let mut t = TcpScript::establish_plain(cfg());
    t.run(&format!(
        "0.100 send 14600
         {}
         0.300 > . 1:1461(1460) ack 1
         +0 check cwnd 1460
         +0 check ssthresh 7300",
        segments_psh(1, 10)
    ));
}

// RFC 5681 §3.1: above ssthresh (congestion avoidance) cwnd grows by one SMSS per window of data acknowledged.
#[test]
fn rfc5681_3_1_congestion_avoidance_linear_growth() {
    let mut t = TcpScript::establish_plain(cfg());
    t.run(&format!(
        "0.100 send 4380
         +0 > . 1:1461(1460) ack 1
         +0 > . 1461:2921(1460) ack 1
         +0 > P. 2921:4381(1460) ack 1
         0.300 > . 1:1461(1460) ack 1
         +0 check ssthresh 2920
         0.310 < . 1:1(0) ack 1461 win 65535
         +0 check cwnd 2920
         {}
         0.320 < . 1:1(0) ack 2921 win 65535
         +0 check cwnd 2920
         0.330 < . 1:1(0) ack 4381 win 65535
         +0 check cwnd 4380",
        "+0 > . 1461:2921(1460) ack 1\n+0 > P. 2921:4381(1460) ack 1"
    ));
}

// RFC 5681 §4.1: after an idle period longer than the RTO, cwnd restarts from the initial window.
#[test]
fn rfc5681_4_1_restart_after_idle() {
    let mut t = TcpScript::establish_plain(cfg());
    t.run(&format!(
        "0.100 send 14600
         {}
         0.110 < . 1:1(0) ack 14601 win 65535
         +0 check cwnd 16060
         5.000 send 100
         +0 > P. 14601:14701(100) ack 1
         +0 check cwnd 14600",
        segments_psh(1, 10)
    ));
}

// RFC 3042 (limited transmit): the first two duplicate ACKs each release one new segment beyond cwnd.
#[test]
fn rfc3042_limited_transmit_on_first_two_dupacks() {
    let mut t = TcpScript::establish_plain(cfg());
    t.run(&format!(
        "0.100 send 20000
         {}
         0.110 < . 1:1(0) ack 1 win 65535
         +0 > . 14601:16061(1460) ack 1
         0.111 < . 1:1(0) ack 1 win 65535
         +0 > . 16061:17521(1460) ack 1
         0.112 < . 1:1(0) ack 1 win 65535
         +0 > . 1:1461(1460) ack 1
         +0 stat fast_retransmits 1
         +0 check ssthresh 7300
         +0 check cwnd 11680",
        segments(1, 10)
    ));
}

// RFC 6675 §4-5: with SACK, a hole with three segments SACKed above it is resent within the
// same recovery, without waiting a round trip for the partial ACK as NewReno would.
#[test]
fn rfc6675_sack_recovery_resends_second_hole_early() {
    let mut t = TcpScript::passive(cfg());
    t.run(&format!(
        "0.000 < S 0:0(0) win 65535 <mss 1460,sackOK>
         0.000 > S. 0:0(0) ack 1 <mss 1460,sackOK>
         0.010 < . 1:1(0) ack 1 win 65535
         0.100 send 14600
         {}
         0.110 < . 1:1(0) ack 1461 win 65535
         0.111 < . 1:1(0) ack 1461 win 65535 <sack 2921:4381>
         0.112 < . 1:1(0) ack 1461 win 65535 <sack 2921:5841>
         0.113 < . 1:1(0) ack 1461 win 65535 <sack 7301:8761 2921:5841>
         +0 > . 1461:2921(1460) ack 1
         +0 check ssthresh 6570
         0.114 < . 1:1(0) ack 1461 win 65535 <sack 7301:10221 2921:5841>
         +0 nothing
         0.115 < . 1:1(0) ack 1461 win 65535 <sack 7301:11681 2921:5841>
         +0 > . 5841:7301(1460) ack 1
         +0 stat sack_retransmits 1
         0.116 < . 1:1(0) ack 1461 win 65535 <sack 7301:14601 2921:5841>
         0.120 < . 1:1(0) ack 5841 win 65535 <sack 7301:14601>
         +0 nothing
         0.130 < . 1:1(0) ack 14601 win 65535
         +0 check flight 0
         +0 stat rto_expirations 0",
        segments_psh(1, 10)
    ));
}

// RFC 6675 §2: with SACK, an ACK that SACKs new data is a duplicate even if the window moved
// (Linux shrinks its window while holding out-of-order data).
#[test]
fn rfc6675_2_sack_dupacks_counted_despite_window_change() {
    let mut t = TcpScript::passive(cfg());
    t.run(
        "0.000 < S 0:0(0) win 65535 <mss 1460,sackOK>
         0.000 > S. 0:0(0) ack 1 <mss 1460,sackOK>
         0.010 < . 1:1(0) ack 1 win 65535
         0.100 send 7300
         +0 > . 1:1461(1460) ack 1
         +0 > . 1461:2921(1460) ack 1
         +0 > . 2921:4381(1460) ack 1
         +0 > . 4381:5841(1460) ack 1
         +0 > P. 5841:7301(1460) ack 1
         0.110 < . 1:1(0) ack 1461 win 65535
         0.111 < . 1:1(0) ack 1461 win 64000 <sack 2921:4381>
         0.112 < . 1:1(0) ack 1461 win 62000 <sack 2921:5841>
         0.113 < . 1:1(0) ack 1461 win 60000 <sack 2921:7301>
         +0 > . 1461:2921(1460) ack 1
         +0 stat fast_retransmits 1",
    );
}

// RFC 5827 §3.1 (early retransmit, without SACK): two segments outstanding and nothing
// new to send can never bring three duplicate ACKs; the threshold drops to one.
#[test]
fn rfc5827_early_retransmit_in_a_two_segment_window() {
    let mut t = TcpScript::establish_plain(cfg());
    t.run(
        "0.100 send 2920
         +0 > . 1:1461(1460) ack 1
         +0 > P. 1461:2921(1460) ack 1
         0.110 < . 1:1(0) ack 1 win 65535
         +0 > . 1:1461(1460) ack 1
         +0 stat fast_retransmits 1
         +0 check ssthresh 2920
         0.120 < . 1:1(0) ack 2921 win 65535
         +0 stat rto_expirations 0",
    );
}

// RFC 5827 §3.1: the early retransmit threshold is the number of outstanding segments
// less one: with three outstanding, the second duplicate ACK retransmits.
#[test]
fn rfc5827_threshold_is_outstanding_segments_less_one() {
    let mut t = TcpScript::establish_plain(cfg());
    t.run(
        "0.100 send 4380
         +0 > . 1:1461(1460) ack 1
         +0 > . 1461:2921(1460) ack 1
         +0 > P. 2921:4381(1460) ack 1
         0.110 < . 1:1(0) ack 1 win 65535
         +0 nothing
         0.111 < . 1:1(0) ack 1 win 65535
         +0 > . 1:1461(1460) ack 1
         +0 stat fast_retransmits 1",
    );
}
