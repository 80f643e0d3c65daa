//! RFC 5961, "Improving TCP's Robustness to Blind In-Window Attacks", as adopted by
//! RFC 9293 §3.10.7.4: challenge ACKs for in-window RSTs and SYNs, the ACK range check,
//! and the rate limit of §7.

use tundra_tcp::TcpConfig;
use tundra_testkit::script::TcpScript;

// RFC 5961 §3.2: a RST in the window but not at RCV.NXT draws a challenge ACK and is otherwise ignored.
#[test]
fn rfc5961_3_2_in_window_reset_draws_challenge_ack() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 < R 1001:1001(0) win 0
         +0 > . 1:1(0) ack 1
         +0 state ESTABLISHED
         +0 stat challenge_acks 1",
    );
}

// RFC 5961 §3.2: the peer's answer to the challenge ACK, a RST at exactly RCV.NXT, is accepted.
#[test]
fn rfc5961_3_2_exact_reset_after_challenge_closes() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 < R 500:500(0) win 0
         +0 > . 1:1(0) ack 1
         0.110 < R 1:1(0) win 0
         +0 state CLOSED
         +0 event Closed(Reset)",
    );
}

// RFC 5961 §4.2: a SYN in a synchronized state draws a challenge ACK, whatever its sequence number.
#[test]
fn rfc5961_4_2_syn_in_established_draws_challenge_ack() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 < S 1:1(0) win 65535 <mss 1460>
         +0 > . 1:1(0) ack 1
         +0 state ESTABLISHED
         +0 stat challenge_acks 1
         0.110 < S 5000:5000(0) win 65535 <mss 1460>
         +0 > . 1:1(0) ack 1
         +0 state ESTABLISHED
         +0 stat challenge_acks 2",
    );
}

// RFC 5961 §5.2 / RFC 9293: an ACK for data never sent (SEG.ACK > SND.NXT) is answered with an ACK and its data dropped.
#[test]
fn rfc5961_5_2_ack_of_unsent_data_is_rejected() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 < P. 1:101(100) ack 5000 win 65535
         +0 > . 1:1(0) ack 1
         +0 recv wouldblock
         +0 stat challenge_acks 1",
    );
}

// RFC 5961 §5.2: an ACK older than SND.UNA - MAX.SND.WND is rejected (data dropped); a newer old one is fine.
#[test]
fn rfc5961_5_2_ack_too_old_is_rejected() {
    let mut t = TcpScript::passive(TcpConfig {
        nagle: false,
        ..TcpConfig::default()
    });
    t.run(
        "0.000 < S 0:0(0) win 1000 <mss 1460>
         0.000 > S. 0:0(0) ack 1 <mss 1460>
         0.000 < . 1:1(0) ack 1 win 1000
         0.100 send 1000
         +0 > P. 1:1001(1000) ack 1
         0.110 < . 1:1(0) ack 1001 win 1000
         +0 send 1000
         +0 > P. 1001:2001(1000) ack 1
         0.120 < . 1:1(0) ack 2001 win 1000
         0.200 < P. 1:101(100) ack 500 win 1000
         +0 > . 2001:2001(0) ack 1
         +0 recv wouldblock
         0.300 < P. 1:101(100) ack 1500 win 1000
         0.340 > . 2001:2001(0) ack 101
         +0 recv 100",
    );
}

// RFC 5961 §7: challenge ACKs are rate limited (here 2 per second); the limit resets each second.
#[test]
fn rfc5961_7_challenge_acks_are_rate_limited() {
    let mut t = TcpScript::establish_plain(TcpConfig {
        challenge_ack_limit: 2,
        ..TcpConfig::default()
    });
    t.run(
        "0.100 < R 100:100(0) win 0
         +0 > . 1:1(0) ack 1
         0.200 < R 200:200(0) win 0
         +0 > . 1:1(0) ack 1
         0.300 < R 300:300(0) win 0
         +0 nothing
         +0 stat challenge_acks 2
         +0 stat challenge_acks_suppressed 1
         1.100 < R 400:400(0) win 0
         +0 > . 1:1(0) ack 1
         +0 state ESTABLISHED",
    );
}

// RFC 5961 §3.2: in SYN-RECEIVED too, only an exact RST is accepted; others are challenged.
#[test]
fn rfc5961_3_2_inexact_reset_in_syn_received_challenged() {
    let mut t = TcpScript::passive(TcpConfig::default());
    t.run(
        "0.000 < S 0:0(0) win 65535 <mss 1460>
         0.000 > S. 0:0(0) ack 1 <mss 1460>
         0.010 < R 100:100(0) win 0
         +0 > . 1:1(0) ack 1
         +0 state SYN-RECEIVED",
    );
}
