//! Loss recovery with SACK: the scoreboard and its IsLost / NextSeg rules (RFC 6675),
//! time-based loss detection and the tail loss probe (RFC 8985, RACK-TLP), and
//! proportional rate reduction (RFC 6937); the congestion response's floor and its
//! once-per-episode rule (RFC 5681 §3.1 eq. 4, RFC 6582 §3.2).
//!
//! Every scenario negotiates SACK without timestamps, and the handshake takes 10 ms
//! (SRTT 10 ms, RTO at its 200 ms floor). Ten full segments (1460 bytes) fill the
//! initial window.

use tundra_tcp::TcpConfig;
use tundra_testkit::script::TcpScript;

fn cfg() -> TcpConfig {
    TcpConfig {
        timestamps: false,
        nagle: false,
        ..TcpConfig::default()
    }
}

/// A passive open with SACK whose handshake ACK comes after 10 ms.
fn sack_open() -> TcpScript {
    let mut t = TcpScript::passive(cfg());
    t.run(
        "0.000 < S 0:0(0) win 65535 <mss 1460,sackOK>
         0.000 > S. 0:0(0) ack 1 <mss 1460,sackOK>
         0.010 < . 1:1(0) ack 1 win 65535",
    );
    t
}

/// Lines expecting `n` full segments from sequence `from`, the last with PSH if
/// `psh`.
fn segments(from: u32, n: u32, psh: bool) -> String {
    (0..n)
        .map(|i| {
            let s = from + i * 1460;
            let flags = if psh && i == n - 1 { "P." } else { "." };
            format!("+0 > {flags} {}:{}(1460) ack 1\n", s, s + 1460)
        })
        .collect()
}

// RFC 6675 §5 (b): recovery starts as soon as IsLost(HighACK + 1) holds, here on the first
// duplicate ACK because it SACKs three segments (more than (DupThresh - 1) * SMSS octets).
#[test]
fn rfc6675_5_is_lost_starts_recovery_before_three_dupacks() {
    let mut t = sack_open();
    t.run(&format!(
        "0.100 send 14600
         {}
         0.110 < . 1:1(0) ack 1 win 65535 <sack 1461:5841>
         +0 > . 1:1461(1460) ack 1
         +0 stat dup_acks 1
         +0 stat fast_retransmits 1
         +0 check ssthresh 7300
         +0 check pipe 10220",
        segments(1, 10, true)
    ));
}

// RFC 6937 §3 (PRR): while the pipe is above ssthresh, ACKs release ssthresh/RecoverFS
// (here a half) of what they deliver, so the pipe falls to ssthresh; from there on
// (PRR-SSRB) one segment goes out per segment delivered, holding it there. Before
// recovery, each of the first two duplicate ACKs frees one segment of pipe for new data
// (RFC 6675 §5: limited transmit, counted through the pipe).
#[test]
fn rfc6937_prr_reduces_pipe_to_ssthresh_then_holds_it() {
    let mut t = sack_open();
    t.run(&format!(
        "0.100 send 30000
         {}
         0.110 < . 1:1(0) ack 1 win 65535 <sack 1461:2921>
         +0 > . 14601:16061(1460) ack 1
         +0 < . 1:1(0) ack 1 win 65535 <sack 1461:4381>
         +0 > . 16061:17521(1460) ack 1
         +0 < . 1:1(0) ack 1 win 65535 <sack 1461:5841>
         +0 > . 1:1461(1460) ack 1
         +0 check ssthresh 8760
         +0 check pipe 13140
         +0 < . 1:1(0) ack 1 win 65535 <sack 1461:7301>
         +0 nothing
         +0 < . 1:1(0) ack 1 win 65535 <sack 1461:8761>
         +0 nothing
         +0 < . 1:1(0) ack 1 win 65535 <sack 1461:10221>
         +0 check pipe 8760
         +0 nothing
         +0 < . 1:1(0) ack 1 win 65535 <sack 1461:11681>
         +0 > . 17521:18981(1460) ack 1
         +0 < . 1:1(0) ack 1 win 65535 <sack 1461:13141>
         +0 > . 18981:20441(1460) ack 1
         +0 check pipe 8760
         +0 stat fast_retransmits 1",
        segments(1, 10, false)
    ));
}

// RFC 8985 §6.2: a retransmission is lost when a segment sent after it is delivered and
// RACK.rtt has passed since it was sent. The fast retransmission of 1:1461 (0.110) is
// lost; new data sent at 0.111 is SACKed at 0.121: the hole is resent at once, with no
// retransmission timeout (RFC 6675 alone would wait for the RTO here). RFC 6582 §3.2 /
// RFC 6675 §5: the second loss is in the same episode, so ssthresh stays.
#[test]
fn rfc8985_6_2_rack_detects_a_lost_retransmission() {
    let mut t = sack_open();
    t.run(&format!(
        "0.100 send 30000
         {}
         0.110 < . 1:1(0) ack 1 win 65535 <sack 1461:5841>
         +0 > . 1:1461(1460) ack 1
         0.111 < . 1:1(0) ack 1 win 65535 <sack 1461:7301>
         +0 > . 14601:16061(1460) ack 1
         0.112 < . 1:1(0) ack 1 win 65535 <sack 1461:8761>
         0.113 < . 1:1(0) ack 1 win 65535 <sack 1461:10221>
         0.114 < . 1:1(0) ack 1 win 65535 <sack 1461:11681>
         +0 > . 16061:17521(1460) ack 1
         0.115 < . 1:1(0) ack 1 win 65535 <sack 1461:13141>
         +0 > . 17521:18981(1460) ack 1
         0.116 < . 1:1(0) ack 1 win 65535 <sack 1461:14601>
         +0 > . 18981:20441(1460) ack 1
         +0 stat lost_retransmits 0
         0.121 < . 1:1(0) ack 1 win 65535 <sack 1461:16061>
         +0 > . 1:1461(1460) ack 1
         +0 > . 20441:21901(1460) ack 1
         +0 stat lost_retransmits 1
         +0 check ssthresh 7300
         +0 stat retransmits 2
         +0 stat rto_expirations 0",
        segments(1, 10, false)
    ));
}

// RFC 8985 §6.2 step 5: a single SACK (below DupThresh) makes the hole before it suspect;
// RACK's reordering timer declares it lost once RACK.rtt plus the reordering window
// (min_RTT / 4 = 2.5 ms) has passed since it was sent, without waiting for more ACKs.
#[test]
fn rfc8985_6_2_reordering_timer_declares_the_hole_lost() {
    let mut t = sack_open();
    t.run(&format!(
        "0.100 send 14600
         {}
         0.110 < . 1:1(0) ack 1 win 65535 <sack 1461:2921>
         +0 nothing
         0.1125 > . 1:1461(1460) ack 1
         +0 stat dup_acks 1
         +0 stat fast_retransmits 1",
        segments(1, 10, true)
    ));
}

// RFC 8985 §7.3: when ACKs stop with more than one segment outstanding and nothing new
// to send, the probe timeout (2*SRTT, here raised to the 50 ms floor for resending)
// resends the last segment; its SACK lets RACK find the lost one before it, repaired by
// fast recovery long before the RTO (0.310). RFC 8985 §7.4: the probe's ACK, without a
// D-SACK, confirms it repaired a loss. RFC 5681 eq. 4: ssthresh is at least 2*SMSS.
#[test]
fn rfc8985_7_tail_loss_probe_repairs_a_tail_loss() {
    let mut t = sack_open();
    t.run(&format!(
        "0.100 send 14600
         {}
         0.110 < . 1:1(0) ack 11681 win 65535
         0.160 > P. 13141:14601(1460) ack 1
         +0 stat tail_loss_probes 1
         0.170 < . 1:1(0) ack 11681 win 65535 <sack 13141:14601>
         +0 > . 11681:13141(1460) ack 1
         +0 check ssthresh 2920
         0.180 < . 1:1(0) ack 14601 win 65535
         +0 stat tlp_recoveries 1
         +0 stat rto_expirations 0
         +0 check flight 0",
        segments(1, 10, true)
    ));
}

// RFC 8985 §7.2: with a single segment in flight the peer may delay its ACK, so the PTO
// adds the worst-case ACK delay (200 ms), which here reaches the RTO: the timeout, not a
// probe, resends it.
#[test]
fn rfc8985_7_2_one_segment_in_flight_is_left_to_the_rto() {
    let mut t = sack_open();
    t.run(&format!(
        "0.100 send 14600
         {}
         0.110 < . 1:1(0) ack 13141 win 65535
         0.310 > P. 13141:14601(1460) ack 1
         +0 stat tail_loss_probes 0
         +0 stat rto_expirations 1",
        segments(1, 10, true)
    ));
}

// RFC 8985 §7.4: the probe resent data that had arrived (only the ACKs were lost): the
// peer's D-SACK says so, and cwnd is left alone.
#[test]
fn rfc8985_7_4_dsack_of_the_probe_means_no_loss() {
    let mut t = sack_open();
    t.run(&format!(
        "0.100 send 14600
         {}
         0.110 < . 1:1(0) ack 11681 win 65535
         +0 check cwnd 16060
         0.160 > P. 13141:14601(1460) ack 1
         0.170 < . 1:1(0) ack 14601 win 65535 <sack 13141:14601>
         +0 stat tlp_recoveries 0
         +0 check ssthresh inf
         +0 check cwnd 17520",
        segments(1, 10, true)
    ));
}

// RFC 8985 §7.3, with two Tundra choices (see `tundra_tcp::rack`): the probe carries up to
// two segments of new data (beyond cwnd), and unanswered probes repeat with a doubled
// timeout (QUIC's PTO backoff, RFC 9002 §6.2.1) until the RTO, which they do not postpone.
#[test]
fn rfc8985_7_3_probes_send_new_data_and_back_off() {
    let mut t = sack_open();
    t.run(&format!(
        "0.100 send 30000
         {}
         0.120 > . 14601:16061(1460) ack 1
         +0 > . 16061:17521(1460) ack 1
         0.160 > . 17521:18981(1460) ack 1
         +0 > . 18981:20441(1460) ack 1
         0.240 > . 20441:21901(1460) ack 1
         +0 > . 21901:23361(1460) ack 1
         0.320 > . 1:1461(1460) ack 1
         +0 stat tail_loss_probes 3
         +0 stat rto_expirations 1",
        segments(1, 10, false)
    ));
}

// RFC 6675 §4 NextSeg rule 4: when nothing is deemed lost, no new data waits and no hole
// is left below the highest SACK (11681:14601 lie above it), one "rescue" retransmission
// per recovery resends the highest outstanding segment, in case the tail of the window
// was lost; later ACKs do not bring a second one.
#[test]
fn rfc6675_4_rescue_retransmission_of_the_tail() {
    let mut t = sack_open();
    t.run(&format!(
        "0.100 send 16060
         {}
         0.110 < . 1:1(0) ack 1 win 65535 <sack 1461:5841>
         +0 > . 1:1461(1460) ack 1
         0.111 < . 1:1(0) ack 1 win 65535 <sack 1461:7301>
         +0 > P. 14601:16061(1460) ack 1
         0.112 < . 1:1(0) ack 1 win 65535 <sack 1461:8761>
         0.113 < . 1:1(0) ack 1 win 65535 <sack 1461:10221>
         0.114 < . 1:1(0) ack 1 win 65535 <sack 1461:11681>
         +0 > P. 14601:16061(1460) ack 1
         +0 stat sack_retransmits 1
         0.115 < . 1:1(0) ack 1 win 65535 <sack 1461:13141>
         0.116 < . 1:1(0) ack 1 win 65535 <sack 1461:14601>
         +0 nothing
         0.120 < . 1:1(0) ack 16061 win 65535
         +0 stat retransmits 2
         +0 check flight 0",
        segments(1, 10, false)
    ));
}

// RFC 6675 §5.1 and RFC 8985 §6.3: after a retransmission timeout the sender starts over
// from SND.UNA with one segment (RFC 5681 §3.1) but keeps what the peer SACKed: the
// go-back-N resends 1:1461 and 1461:2921 and then skips the SACKed 2921:4381.
#[test]
fn rfc6675_5_1_no_resend_of_sacked_data_after_a_timeout() {
    let mut t = TcpScript::passive(TcpConfig {
        tail_loss_probe: false,
        ..cfg()
    });
    t.run(&format!(
        "0.000 < S 0:0(0) win 65535 <mss 1460,sackOK>
         0.000 > S. 0:0(0) ack 1 <mss 1460,sackOK>
         0.010 < . 1:1(0) ack 1 win 65535
         0.100 send 14600
         {}
         0.110 < . 1:1(0) ack 1 win 65535 <sack 2921:4381>
         0.1125 > . 1:1461(1460) ack 1
         0.300 > . 1:1461(1460) ack 1
         +0 stat rto_expirations 1
         +0 check cwnd 1460
         0.310 < . 1:1(0) ack 1461 win 65535 <sack 2921:4381>
         +0 > . 1461:2921(1460) ack 1
         +0 > . 4381:5841(1460) ack 1
         0.320 < . 1:1(0) ack 5841 win 65535
         +0 > . 5841:7301(1460) ack 1
         +0 > . 7301:8761(1460) ack 1
         +0 > . 8761:10221(1460) ack 1",
        segments(1, 10, true)
    ));
}

// RFC 5681 §3.1 eq. 4: ssthresh = max(FlightSize / 2, 2*SMSS): two segments in flight
// still leave ssthresh at two segments (not one). The full ACK comes a round trip
// (10 ms) after the retransmission: sooner, it would show the retransmission needless
// and undo the reduction (tcp_dsack.rs).
#[test]
fn rfc5681_eq4_ssthresh_is_at_least_two_segments() {
    let mut t = sack_open();
    t.run(
        "0.100 send 2920
         +0 > . 1:1461(1460) ack 1
         +0 > P. 1461:2921(1460) ack 1
         0.110 < . 1:1(0) ack 1 win 65535 <sack 1461:2921>
         0.1125 > . 1:1461(1460) ack 1
         +0 check ssthresh 2920
         0.123 < . 1:1(0) ack 2921 win 65535
         +0 check cwnd 2920",
    );
}

// RFC 9002 §6.2 (QUIC's probe timeout, which Tundra applies to TCP, see
// `tundra_tcp::rack`): a probe goes out in recovery too when ACKs stop. Here the fast
// retransmission and everything after it go unanswered; 2*SRTT later two new segments
// probe for an ACK, whose SACKs let RACK see what was lost (the retransmission among
// it), long before the RTO (0.300); PRR-SSRB then resends as slow start would (what was
// delivered and not yet matched by sending, plus one segment).
#[test]
fn rfc9002_6_2_probe_in_recovery_when_acks_stop() {
    let mut t = sack_open();
    t.run(&format!(
        "0.100 send 30000
         {}
         0.110 < . 1:1(0) ack 1 win 65535 <sack 1461:5841>
         +0 > . 1:1461(1460) ack 1
         0.130 > . 14601:16061(1460) ack 1
         +0 > . 16061:17521(1460) ack 1
         +0 stat tail_loss_probes 1
         0.140 < . 1:1(0) ack 1 win 65535 <sack 1461:5841 14601:17521>
         +0 > . 1:1461(1460) ack 1
         +0 > . 5841:7301(1460) ack 1
         +0 > . 7301:8761(1460) ack 1
         +0 nothing
         +0 stat lost_retransmits 1
         +0 stat rto_expirations 0",
        segments(1, 10, false)
    ));
}
