//! Timestamps (RFC 7323 §3-5): TSval/TSecr on every segment, RTT measurement (RTTM),
//! the TS.Recent update rule, and PAWS.

use tundra_tcp::TcpConfig;
use tundra_testkit::script::TcpScript;

/// A passive open with timestamps (no other options); our SYN-ACK TSval is 1000.
const TS_OPEN: &str = "0.000 < S 0:0(0) win 65535 <mss 1460,TS val 100 ecr 0>
     0.000 > S. 0:0(0) ack 1 <mss 1460,TS val 1000 ecr 100>
     0.050 < . 1:1(0) ack 1 win 65535 <TS val 150 ecr 1000>";

// RFC 7323 §3.2: once negotiated, every segment carries TSval (our clock) and TSecr (TS.Recent).
#[test]
fn rfc7323_3_2_every_segment_carries_timestamps() {
    let mut t = TcpScript::passive(TcpConfig::default());
    t.run(TS_OPEN);
    t.run(
        "0.100 send 10
         +0 > P. 1:11(10) ack 1 <TS val 1100 ecr 150>
         0.200 < P. 1:11(10) ack 11 win 65535 <TS val 250 ecr 1100>
         0.240 > . 11:11(0) ack 11 <TS val 1240 ecr 250>",
    );
}

// RFC 7323 §4 (RTTM): the RTT is measured from the echoed TSecr: 50 ms for the handshake.
#[test]
fn rfc7323_4_rtt_measured_from_tsecr() {
    let mut t = TcpScript::passive(TcpConfig::default());
    t.run(TS_OPEN);
    t.run(
        "0.050 check srtt 0.050
         0.100 send 10
         +0 > P. 1:11(10) ack 1 <TS val 1100 ecr 150>
         0.180 < . 1:1(0) ack 11 win 65535 <TS val 230 ecr 1100>
         +0 check srtt 0.054",
    );
}

// RFC 7323 §4 (RTTM): unlike Karn, a retransmission is timed exactly, from the TSecr it echoes.
#[test]
fn rfc7323_4_rttm_samples_retransmissions() {
    let mut t = TcpScript::passive(TcpConfig::default());
    t.run(TS_OPEN);
    t.run(
        "0.100 send 10
         +0 > P. 1:11(10) ack 1 <TS val 1100 ecr 150>
         0.300 > P. 1:11(10) ack 1 <TS val 1300 ecr 150>
         0.350 < . 1:1(0) ack 11 win 65535 <TS val 300 ecr 1300>
         +0 check srtt 0.050",
    );
}

// RFC 7323 §5.3 (PAWS): a segment whose TSval is older than TS.Recent is dropped and answered with an ACK.
#[test]
fn rfc7323_5_3_paws_drops_old_timestamp() {
    let mut t = TcpScript::passive(TcpConfig::default());
    t.run(TS_OPEN);
    t.run(
        "0.100 < P. 1:101(100) ack 1 win 65535 <TS val 90 ecr 1000>
         +0 > . 1:1(0) ack 1 <TS val 1100 ecr 150>
         +0 stat paws_rejected 1
         +0 recv wouldblock
         0.110 < P. 1:101(100) ack 1 win 65535 <TS val 160 ecr 1000>
         0.150 > . 1:1(0) ack 101 <TS val 1150 ecr 160>
         +0 recv 100",
    );
}

// RFC 7323 §5.3: PAWS does not apply to RSTs: an exact RST with an old TSval still resets.
#[test]
fn rfc7323_5_3_paws_does_not_apply_to_reset() {
    let mut t = TcpScript::passive(TcpConfig::default());
    t.run(TS_OPEN);
    t.run(
        "0.100 < R 1:1(0) win 0 <TS val 1 ecr 0>
         +0 state CLOSED",
    );
}

// RFC 7323 §3.2: after negotiation a non-RST segment without timestamps is silently dropped.
#[test]
fn rfc7323_3_2_segment_without_timestamps_dropped() {
    let mut t = TcpScript::passive(TcpConfig::default());
    t.run(TS_OPEN);
    t.run(
        "0.100 < P. 1:101(100) ack 1 win 65535
         +0 nothing
         +0 recv wouldblock",
    );
}

// RFC 7323 §4.3: TS.Recent is updated only by segments at or before Last.ACK.sent, not by out-of-order ones.
#[test]
fn rfc7323_4_3_ts_recent_not_taken_from_out_of_order_segment() {
    let mut t = TcpScript::passive(TcpConfig::default());
    t.run(TS_OPEN);
    t.run(
        "0.100 < . 1461:2921(1460) ack 1 win 65535 <TS val 300 ecr 1000>
         +0 > . 1:1(0) ack 1 <TS val 1100 ecr 150>
         0.110 < . 1:1461(1460) ack 1 win 65535 <TS val 200 ecr 1000>
         +0 > . 1:1(0) ack 2921 <TS val 1110 ecr 200>",
    );
}

// RFC 7323 §3.2: without timestamps on the peer's SYN, none are sent and none are required.
#[test]
fn rfc7323_3_2_no_timestamps_unless_both_offer() {
    let mut t = TcpScript::passive(TcpConfig::default());
    t.run(
        "0.000 < S 0:0(0) win 65535 <mss 1460>
         0.000 > S. 0:0(0) ack 1 <mss 1460>
         0.010 < . 1:1(0) ack 1 win 65535
         0.100 < P. 1:11(10) ack 1 win 65535
         0.140 > . 1:1(0) ack 11 <>",
    );
}

// RFC 9293 §3.8.6.3 with RFC 7323: full segments carry 1448 bytes next to the option; two of
// them draw an ACK at once, whose TSecr echoes the earlier one (RFC 7323 §4.3, delayed ACKs).
#[test]
fn rfc7323_full_segments_with_timestamps_acked_every_second() {
    let mut t = TcpScript::passive(TcpConfig::default());
    t.run(TS_OPEN);
    t.run(
        "0.100 < . 1:1449(1448) ack 1 win 65535 <TS val 200 ecr 1000>
         +0 nothing
         0.101 < . 1449:2897(1448) ack 1 win 65535 <TS val 201 ecr 1000>
         +0 > . 1:1(0) ack 2897 <TS val 1101 ecr 200>",
    );
}
