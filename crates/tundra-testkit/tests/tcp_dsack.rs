//! Duplicate segments and needless retransmissions: D-SACK blocks on our ACKs (RFC
//! 2883 §4), the undo of a congestion response whose retransmissions all turn out
//! spurious (RFC 3708 with D-SACK, RFC 3522 with timestamps, RFC 8985 §6.2 step 2 by
//! timing), and NewReno's partial ACKs without SACK (RFC 6582 §3.2).
//!
//! The handshakes take 10 ms and carry no timestamps unless a test says otherwise.

use tundra_tcp::TcpConfig;
use tundra_testkit::script::TcpScript;

fn cfg() -> TcpConfig {
    TcpConfig {
        timestamps: false,
        nagle: false,
        ..TcpConfig::default()
    }
}

/// A passive open; the peer offers SACK if `sack`.
fn open(sack: bool) -> TcpScript {
    let mut t = TcpScript::passive(cfg());
    let opt = if sack { ",sackOK" } else { "" };
    t.run(&format!(
        "0.000 < S 0:0(0) win 65535 <mss 1460{opt}>
         0.000 > S. 0:0(0) ack 1 <mss 1460{opt}>
         0.010 < . 1:1(0) ack 1 win 65535",
    ));
    t
}

/// Lines expecting `n` segments of `size` bytes from sequence `from`, the last with
/// PSH.
fn segments(from: u32, n: u32, size: u32) -> String {
    (0..n)
        .map(|i| {
            let s = from + i * size;
            let flags = if i == n - 1 { "P." } else { "." };
            format!("+0 > {flags} {}:{}({size}) ack 1\n", s, s + size)
        })
        .collect()
}

// ---------------------------------------------------------------- D-SACK (receiver)

// RFC 2883 §4: our ACK of two segments was lost and the peer resends the first: the
// duplicate, below the cumulative ACK, is the first SACK block of the ACK it draws
// at once, and of that ACK only.
#[test]
fn rfc2883_4_a_duplicate_below_the_ack_is_reported_once() {
    let mut t = open(true);
    t.run(
        "0.100 < . 1:1461(1460) ack 1 win 65535
         0.101 < . 1461:2921(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 2921 <>
         0.300 < . 1:1461(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 2921 <sack 1:1461>
         +0 stat dsacks_sent 1
         0.310 < . 4381:5841(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 2921 <sack 4381:5841>
         +0 stat dsacks_sent 1
         +0 recv 2920",
    );
}

// RFC 2883 §4: a duplicate of out-of-order data we hold: the D-SACK block first, then
// "the (possibly larger) block of data in the receiver's data queue" holding it.
#[test]
fn rfc2883_4_a_duplicate_of_held_data_then_the_block_holding_it() {
    let mut t = open(true);
    t.run(
        "0.100 < . 1461:2921(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 1 <sack 1461:2921>
         0.101 < . 2921:4381(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 1 <sack 1461:4381>
         0.102 < . 1461:2921(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 1 <sack 1461:2921 1461:4381>
         +0 stat dsacks_sent 1",
    );
}

// RFC 2883 §4: "Following the SACK blocks described above for reporting duplicate
// segments, additional SACK blocks can be used for reporting additional blocks of
// data, as specified in RFC 2018": the block of the most recent segment (here the
// duplicate's), then the others in ascending order, as Tundra always sends them.
#[test]
fn rfc2883_4_the_usual_blocks_follow_the_d_sack() {
    let mut t = open(true);
    t.run(
        "0.100 < . 1461:2921(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 1 <sack 1461:2921>
         0.101 < . 4381:5841(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 1 <sack 4381:5841 1461:2921>
         0.102 < . 7301:8761(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 1 <sack 7301:8761 1461:2921 4381:5841>
         0.103 < . 1461:2921(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 1 <sack 1461:2921 1461:2921 4381:5841 7301:8761>",
    );
}

// RFC 2883 §4: a segment only part of which is a duplicate (the peer repacketized):
// the D-SACK block covers just that part; the rest is new data and advances the ACK.
#[test]
fn rfc2883_4_a_partial_duplicate_reports_only_the_old_part() {
    let mut t = open(true);
    t.run(
        "0.100 < P. 1:1001(1000) ack 1 win 65535
         0.140 > . 1:1(0) ack 1001 <>
         0.200 < P. 501:1501(1000) ack 1 win 65535
         +0 > . 1:1(0) ack 1501 <sack 501:1001>
         +0 recv 1500",
    );
}

// RFC 2883 §4: a segment that partly overlaps out-of-order data we hold reports the
// overlap, then the block it now belongs to.
#[test]
fn rfc2883_4_a_partial_duplicate_of_held_data() {
    let mut t = open(true);
    t.run(
        "0.100 < . 2001:3001(1000) ack 1 win 65535
         +0 > . 1:1(0) ack 1 <sack 2001:3001>
         0.110 < . 1501:2501(1000) ack 1 win 65535
         +0 > . 1:1(0) ack 1 <sack 2001:2501 1501:3001>",
    );
}

// RFC 2883 §4: a segment that fills the hole and covers held data reports the first
// contiguous duplicate only, not the whole segment (the mistake Linux fixed in
// tcp_ofo_queue, 2025).
#[test]
fn rfc2883_4_a_hole_filler_covering_held_data() {
    let mut t = open(true);
    t.run(
        "0.100 < . 501:1001(500) ack 1 win 65535
         +0 > . 1:1(0) ack 1 <sack 501:1001>
         0.101 < . 1501:2001(500) ack 1 win 65535
         +0 > . 1:1(0) ack 1 <sack 1501:2001 501:1001>
         0.102 < . 1:2001(2000) ack 1 win 65535
         +0 > . 1:1(0) ack 2001 <sack 501:1001>
         +0 recv 2000",
    );
}

// RFC 2883 §4 applies only "if the data receiver supports the SACK option": without
// SACK the duplicate draws a plain ACK.
#[test]
fn rfc2883_4_no_d_sack_without_sack() {
    let mut t = open(false);
    t.run(
        "0.100 < . 1:1461(1460) ack 1 win 65535
         0.101 < . 1461:2921(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 2921 <>
         0.300 < . 1:1461(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 2921 <>
         +0 stat dsacks_sent 0",
    );
}

// ---------------------------------------------------------------- undo (sender)

// RFC 3708 §3: the fast retransmission of 1:1461 was needless (the original was only
// reordered): the full ACK comes a round trip later, then the peer's D-SACK of the
// retransmission. Every retransmission of the episode is D-SACKed, so the window
// before the reduction comes back.
#[test]
fn rfc3708_a_d_sack_of_every_retransmission_undoes_the_reduction() {
    let mut t = open(true);
    t.run(&format!(
        "0.100 send 14600
         {}
         0.110 < . 1:1(0) ack 1 win 65535 <sack 1461:5841>
         +0 > . 1:1461(1460) ack 1
         +0 check ssthresh 7300
         0.125 < . 1:1(0) ack 14601 win 65535
         +0 check cwnd 7300
         +0 stat undos 0
         0.126 < . 1:1(0) ack 14601 win 65535 <sack 1:1461>
         +0 stat dsacks_received 1
         +0 stat spurious_retransmits 1
         +0 stat undos 1
         +0 check cwnd 14600",
        segments(1, 10, 1460)
    ));
}

// RFC 3708 §3 counts only D-SACKs of retransmitted data: a D-SACK of a segment sent
// once (the network duplicated it) proves nothing, and the reduction stands.
#[test]
fn rfc3708_a_d_sack_of_data_never_resent_keeps_the_reduction() {
    let mut t = open(true);
    t.run(&format!(
        "0.100 send 14600
         {}
         0.110 < . 1:1(0) ack 1 win 65535 <sack 1461:5841>
         +0 > . 1:1461(1460) ack 1
         0.125 < . 1:1(0) ack 14601 win 65535
         0.126 < . 1:1(0) ack 14601 win 65535 <sack 2921:4381>
         +0 stat dsacks_received 1
         +0 stat spurious_retransmits 0
         +0 stat undos 0
         +0 check cwnd 7300",
        segments(1, 10, 1460)
    ));
}

// RFC 8985 §6.2 step 2: the ACK covering the retransmission came 2 ms after it, less
// than the minimum RTT (10 ms), so it acknowledges the original: the retransmission
// was needless, and without D-SACK or timestamps the reduction is undone at once.
#[test]
fn rfc8985_6_2_an_ack_too_soon_for_the_retransmission_undoes() {
    let mut t = open(true);
    t.run(&format!(
        "0.100 send 14600
         {}
         0.110 < . 1:1(0) ack 1 win 65535 <sack 1461:5841>
         +0 > . 1:1461(1460) ack 1
         0.112 < . 1:1(0) ack 14601 win 65535
         +0 stat dsacks_received 0
         +0 stat spurious_retransmits 1
         +0 stat undos 1
         +0 check cwnd 14600",
        segments(1, 10, 1460)
    ));
}

/// A passive open with SACK and timestamps (our TSval is 1000 + ms).
fn ts_open() -> TcpScript {
    let mut t = TcpScript::passive(TcpConfig {
        nagle: false,
        ..TcpConfig::default()
    });
    t.run(
        "0.000 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0>
         0.000 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 1000 ecr 100>
         0.010 < . 1:1(0) ack 1 win 65535 <TS val 110 ecr 1000>",
    );
    t
}

// RFC 3522 §3.2 (Eifel): the ACK that covers the retransmission (sent at 0.110, TSval
// 1110) a round trip later echoes TSval 1100: the original's, so the retransmission
// was needless and the reduction is undone.
#[test]
fn rfc3522_an_older_echo_undoes_the_reduction() {
    let mut t = ts_open();
    t.run(&format!(
        "0.100 send 14480
         {}
         0.110 < . 1:1(0) ack 1 win 65535 <TS val 120 ecr 1100,sack 1449:5793>
         +0 > . 1:1449(1448) ack 1 <TS val 1110 ecr 120>
         +0 check ssthresh 7240
         0.125 < . 1:1(0) ack 14481 win 65535 <TS val 135 ecr 1100>
         +0 stat spurious_retransmits 1
         +0 stat undos 1
         +0 check cwnd 14480",
        segments(1, 10, 1448)
    ));
}

// RFC 3522 §3.2: the ACK echoes the retransmission's TSval: the retransmission
// repaired a loss and the reduction stands.
#[test]
fn rfc3522_an_echo_of_the_retransmission_keeps_the_reduction() {
    let mut t = ts_open();
    t.run(&format!(
        "0.100 send 14480
         {}
         0.110 < . 1:1(0) ack 1 win 65535 <TS val 120 ecr 1100,sack 1449:5793>
         +0 > . 1:1449(1448) ack 1 <TS val 1110 ecr 120>
         0.125 < . 1:1(0) ack 14481 win 65535 <TS val 135 ecr 1110>
         +0 stat spurious_retransmits 0
         +0 stat undos 0
         +0 check cwnd 7240",
        segments(1, 10, 1448)
    ));
}

// ---------------------------------------------------------------- NewReno without SACK

// RFC 6582 §3.2 step 5: two holes in one window. The third duplicate ACK resends the
// first; its partial ACK resends the second at once, without waiting for the RTO: one
// round trip per hole.
#[test]
fn rfc6582_3_2_two_holes_one_round_trip_each() {
    let mut t = open(false);
    t.run(&format!(
        "0.100 send 14600
         {}
         0.110 < . 1:1(0) ack 1 win 65535
         +0 < . 1:1(0) ack 1 win 65535
         +0 < . 1:1(0) ack 1 win 65535
         +0 > . 1:1461(1460) ack 1
         +0 < . 1:1(0) ack 1 win 65535
         +0 < . 1:1(0) ack 1 win 65535
         0.120 < . 1:1(0) ack 4381 win 65535
         +0 > . 4381:5841(1460) ack 1
         0.130 < . 1:1(0) ack 14601 win 65535
         +0 stat fast_retransmits 1
         +0 stat retransmits 2
         +0 stat rto_expirations 0
         +0 check flight 0",
        segments(1, 10, 1460)
    ));
}

// RFC 6582 §3.2 step 5: three holes, three round trips, still no timeout; the full
// ACK ends recovery with cwnd = min(ssthresh, FlightSize + SMSS) (step 6).
#[test]
fn rfc6582_3_2_three_holes_one_round_trip_each() {
    let mut t = open(false);
    t.run(&format!(
        "0.100 send 14600
         {}
         0.110 < . 1:1(0) ack 1 win 65535
         +0 < . 1:1(0) ack 1 win 65535
         +0 < . 1:1(0) ack 1 win 65535
         +0 > . 1:1461(1460) ack 1
         +0 < . 1:1(0) ack 1 win 65535
         +0 < . 1:1(0) ack 1 win 65535
         +0 < . 1:1(0) ack 1 win 65535
         0.120 < . 1:1(0) ack 4381 win 65535
         +0 > . 4381:5841(1460) ack 1
         0.130 < . 1:1(0) ack 8761 win 65535
         +0 > . 8761:10221(1460) ack 1
         0.140 < . 1:1(0) ack 14601 win 65535
         +0 stat fast_retransmits 1
         +0 stat retransmits 3
         +0 stat rto_expirations 0
         +0 check flight 0
         +0 check cwnd 2920",
        segments(1, 10, 1460)
    ));
}

// Without SACK, a fast retransmit the ACK shows needless (it came 2 ms after the
// retransmission, under the 10 ms minimum RTT: RFC 8985 §6.2 step 2) is undone, and
// the reordering it revealed (three duplicate ACKs before the hole filled) raises the
// duplicate ACK threshold to four, as Linux raises `tp->reordering`.
#[test]
fn newreno_a_spurious_fast_retransmit_is_undone_and_raises_dupthresh() {
    let mut t = open(false);
    t.run(&format!(
        "0.100 send 1460
         +0 > P. 1:1461(1460) ack 1
         0.110 < . 1:1(0) ack 1461 win 65535
         +0 check cwnd 16060
         0.200 send 14600
         {}
         0.210 < . 1:1(0) ack 1461 win 65535
         +0 < . 1:1(0) ack 1461 win 65535
         +0 < . 1:1(0) ack 1461 win 65535
         +0 > . 1461:2921(1460) ack 1
         +0 check cwnd 11680
         0.212 < . 1:1(0) ack 16061 win 65535
         +0 stat undos 1
         +0 check cwnd 16060
         0.300 send 14600
         {}
         0.310 < . 1:1(0) ack 16061 win 65535
         +0 < . 1:1(0) ack 16061 win 65535
         +0 < . 1:1(0) ack 16061 win 65535
         +0 nothing
         +0 < . 1:1(0) ack 16061 win 65535
         +0 > . 16061:17521(1460) ack 1
         +0 stat fast_retransmits 2",
        segments(1461, 10, 1460),
        segments(16061, 10, 1460)
    ));
}
