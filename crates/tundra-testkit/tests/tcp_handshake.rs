//! Opening a connection: RFC 9293 §3.5 (three-way handshake, simultaneous open), §3.7.1
//! (MSS), RFC 7323 and RFC 2018 option negotiation on the SYNs, RFC 6298 on SYN loss.

use tundra_tcp::TcpConfig;
use tundra_testkit::script::TcpScript;

/// Options as Linux sends them on a SYN.
const LINUX_SYN: &str = "<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>";

// RFC 9293 §3.5 Figure 6: a passive open completes the three-way handshake.
#[test]
fn rfc9293_3_5_passive_open_three_way_handshake() {
    let mut t = TcpScript::passive(TcpConfig::default());
    t.run(&format!(
        "0.000 < S 0:0(0) win 65535 {LINUX_SYN}
         0.000 > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 1000 ecr 100,nop,wscale 3>
         0.000 state SYN-RECEIVED
         0.010 < . 1:1(0) ack 1 win 502 <nop,nop,TS val 110 ecr 1000>
         +0 state ESTABLISHED
         +0 event Connected"
    ));
}

// RFC 9293 §3.5 Figure 6: an active open sends SYN, gets SYN-ACK and answers ACK.
#[test]
fn rfc9293_3_5_active_open_three_way_handshake() {
    let mut t = TcpScript::active(TcpConfig::default());
    t.run(&format!(
        "0.000 > S 0:0(0) win 65535 <mss 1460,sackOK,TS val 1000 ecr 0,nop,wscale 3>
         0.000 state SYN-SENT
         0.010 < S. 0:0(0) ack 1 win 65535 {}
         +0 > . 1:1(0) ack 1 win 32768 <nop,nop,TS val 1010 ecr 100>
         +0 state ESTABLISHED
         +0 event Connected",
        "<mss 1460,sackOK,TS val 100 ecr 1000,nop,wscale 7>"
    ));
}

// RFC 9293 §3.5 Figure 8: simultaneous open: SYNs cross, both go through SYN-RECEIVED.
#[test]
fn rfc9293_figure_8_simultaneous_open() {
    let mut t = TcpScript::active(TcpConfig::default());
    t.run(
        "0.000 > S 0:0(0) <mss 1460,sackOK,TS val 1000 ecr 0,nop,wscale 3>
         0.005 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
         +0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 1005 ecr 100,nop,wscale 3>
         +0 state SYN-RECEIVED
         0.010 < S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 105 ecr 1000,nop,wscale 7>
         +0 > . 1:1(0) ack 1 <nop,nop,TS val 1010 ecr 100>
         +0 state SYN-RECEIVED
         0.011 < . 1:1(0) ack 1 win 502 <nop,nop,TS val 106 ecr 1005>
         +0 state ESTABLISHED",
    );
}

// RFC 9293 §3.7.1: without an MSS option the peer's MSS is 536; we never exceed it.
#[test]
fn rfc9293_3_7_1_default_mss_536_without_option() {
    let mut t = TcpScript::passive(TcpConfig {
        nagle: false,
        ..TcpConfig::default()
    });
    t.run(
        "0.000 < S 0:0(0) win 65535
         0.000 > S. 0:0(0) ack 1 <mss 1460>
         0.010 < . 1:1(0) ack 1 win 65535
         +0 check mss 536
         +0 send 1000
         +0 > . 1:537(536) ack 1
         +0 > P. 537:1001(464) ack 1",
    );
}

// RFC 9293 §3.7.1: our segments are clamped to the smaller of the two MSS values.
#[test]
fn rfc9293_3_7_1_mss_clamped_to_peer_and_device() {
    let mut t = TcpScript::passive(TcpConfig {
        mss: 1200,
        ..TcpConfig::default()
    });
    t.run(
        "0.000 < S 0:0(0) win 65535 <mss 1460>
         0.000 > S. 0:0(0) ack 1 <mss 1200>
         0.010 < . 1:1(0) ack 1 win 65535
         +0 check mss 1200
         +0 send 1300
         +0 > . 1:1201(1200) ack 1
         0.020 < . 1:1(0) ack 1201 win 65535
         +0 > P. 1201:1301(100) ack 1",
    );
}

// RFC 7323 §2.2 / RFC 2018 §2: options the peer did not offer are not sent back.
#[test]
fn rfc7323_2_2_options_only_answered_when_offered() {
    let mut t = TcpScript::passive(TcpConfig::default());
    t.run(
        "0.000 < S 0:0(0) win 8192 <mss 1400,nop,wscale 2>
         0.000 > S. 0:0(0) ack 1 win 65535 <mss 1460,nop,wscale 3>
         0.010 < . 1:1(0) ack 1 win 2000",
    );
    assert!(!t.conn.timestamps_enabled() && !t.conn.sack_enabled());
    assert_eq!(t.conn.window_scales(), Some((3, 2)));
    assert_eq!(t.conn.send_window(), 8000, "2000 << 2");
}

// RFC 6298 §5.5 on the SYN: a lost SYN is retransmitted after 1 s, then 2 s, 4 s (backoff).
#[test]
fn rfc6298_syn_retransmitted_with_exponential_backoff() {
    let mut t = TcpScript::active(TcpConfig {
        timestamps: false,
        ..TcpConfig::default()
    });
    t.run(
        "0.000 > S 0:0(0) <mss 1460,sackOK,nop,wscale 3>
         1.000 > S 0:0(0) <mss 1460,sackOK,nop,wscale 3>
         3.000 > S 0:0(0)
         7.000 > S 0:0(0)
         7.100 < S. 0:0(0) ack 1 win 65535 <mss 1460>
         +0 > . 1:1(0) ack 1
         +0 state ESTABLISHED
         +0 stat rto_expirations 3
         +0 stat retransmits 3",
    );
}

// RFC 9293 §3.8.3 (R2): after the configured number of SYN retransmissions the open fails.
#[test]
fn rfc9293_3_8_3_syn_retries_exhausted_times_out() {
    let mut t = TcpScript::active(TcpConfig {
        max_syn_retransmissions: 2,
        ..TcpConfig::default()
    });
    t.run(
        "0.000 > S 0:0(0)
         1.000 > S 0:0(0)
         3.000 > S 0:0(0)
         7.000 state CLOSED
         +0 event Closed(TimedOut)",
    );
}

// RFC 6298 §5.7: when the SYN's timer expired, the RTO is 3 s once data flows (no sample yet).
#[test]
fn rfc6298_5_7_rto_is_3s_after_syn_timeout() {
    let mut t = TcpScript::active(TcpConfig {
        timestamps: false,
        ..TcpConfig::default()
    });
    t.run(
        "0.000 > S 0:0(0)
         1.000 > S 0:0(0)
         1.050 < S. 0:0(0) ack 1 win 65535 <mss 1460>
         +0 > . 1:1(0) ack 1
         +0 check rto 3.000",
    );
}

// RFC 9293 §3.10.7.4 (and Linux): a retransmitted SYN in SYN-RECEIVED gets the SYN-ACK again.
#[test]
fn rfc9293_syn_received_duplicate_syn_resends_syn_ack() {
    let mut t = TcpScript::passive(TcpConfig::default());
    t.run(
        "0.000 < S 0:0(0) win 65535 <mss 1460>
         0.000 > S. 0:0(0) ack 1 <mss 1460>
         0.500 < S 0:0(0) win 65535 <mss 1460>
         +0 > S. 0:0(0) ack 1 <mss 1460>
         0.600 < . 1:1(0) ack 1 win 65535
         +0 state ESTABLISHED",
    );
}

// RFC 6298 §5.4: a lost SYN-ACK is retransmitted when the RTO (1 s) expires.
#[test]
fn rfc6298_syn_ack_retransmitted_after_initial_rto() {
    let mut t = TcpScript::passive(TcpConfig::default());
    t.run(
        "0.000 < S 0:0(0) win 65535 <mss 1460>
         0.000 > S. 0:0(0) ack 1 <mss 1460>
         1.000 > S. 0:0(0) ack 1 <mss 1460>
         1.010 < . 1:1(0) ack 1 win 65535
         +0 state ESTABLISHED",
    );
}

// RFC 9293 §3.10.7.3: in SYN-SENT an ACK that does not acknowledge our SYN draws a RST.
#[test]
fn rfc9293_3_10_7_3_syn_sent_bad_ack_gets_reset() {
    let mut t = TcpScript::active(TcpConfig::default());
    t.run(
        "0.000 > S 0:0(0)
         0.010 < S. 0:0(0) ack 500 win 65535 <mss 1460>
         +0 > R 500:500(0)
         +0 state SYN-SENT",
    );
}

// RFC 9293 §3.10.7.2: in LISTEN an ACK draws <SEQ=SEG.ACK><CTL=RST>; a RST is ignored.
#[test]
fn rfc9293_3_10_7_2_listen_ack_gets_reset_rst_ignored() {
    let mut t = TcpScript::passive(TcpConfig::default());
    t.run(
        "0.000 < R 0:0(0)
         +0 nothing
         0.001 < . 5:5(0) ack 77 win 100
         +0 > R 77:77(0)
         +0 state LISTEN",
    );
}

// RFC 9293 §3.10.7.4 fifth step: in SYN-RECEIVED an unacceptable ACK draws a RST.
#[test]
fn rfc9293_syn_received_unacceptable_ack_gets_reset() {
    let mut t = TcpScript::passive(TcpConfig::default());
    t.run(
        "0.000 < S 0:0(0) win 65535 <mss 1460>
         0.000 > S. 0:0(0) ack 1 <mss 1460>
         0.010 < . 1:1(0) ack 9 win 65535
         +0 > R 9:9(0)
         +0 state SYN-RECEIVED",
    );
}
