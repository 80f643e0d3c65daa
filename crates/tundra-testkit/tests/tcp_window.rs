//! Flow control: zero windows and the persist timer (RFC 9293 §3.8.6.1), sender SWS
//! avoidance (§3.8.6.2.1), and window scaling (RFC 7323 §2).

use tundra_core::Duration;
use tundra_tcp::TcpConfig;
use tundra_testkit::script::TcpScript;

fn cfg() -> TcpConfig {
    TcpConfig {
        timestamps: false,
        ..TcpConfig::default()
    }
}

/// A passive open whose peer then closes its window.
const ZERO_WINDOW_OPEN: &str = "0.000 < S 0:0(0) win 65535 <mss 1460>
     0.000 > S. 0:0(0) ack 1 <mss 1460>
     0.000 < . 1:1(0) ack 1 win 0";

// RFC 9293 §3.8.6.1: with a zero window the persist timer sends one-byte probes, backing off (0.2, 0.4, 0.8 s).
#[test]
fn rfc9293_3_8_6_1_zero_window_probes_with_backoff() {
    let mut t = TcpScript::passive(cfg());
    t.run(ZERO_WINDOW_OPEN);
    t.run(
        "0.100 send 100
         +0 nothing
         0.300 > . 1:2(1) ack 1
         0.301 < . 1:1(0) ack 1 win 0
         0.700 > . 1:2(1) ack 1
         0.701 < . 1:1(0) ack 1 win 0
         1.500 > . 1:2(1) ack 1
         1.510 < . 1:1(0) ack 1 win 1000
         +0 > P. 1:101(100) ack 1
         +0 stat window_probes 3
         +0 stat rto_expirations 0",
    );
}

// RFC 9293 §3.8.6.1: a probe byte the peer accepts is acknowledged and not sent again.
#[test]
fn rfc9293_3_8_6_1_accepted_probe_byte_advances() {
    let mut t = TcpScript::passive(cfg());
    t.run(ZERO_WINDOW_OPEN);
    t.run(
        "0.100 send 100
         0.300 > . 1:2(1) ack 1
         0.301 < . 1:1(0) ack 2 win 0
         +0 check sendq 99
         0.310 < . 1:1(0) ack 2 win 1000
         +0 > P. 2:101(99) ack 1",
    );
}

// RFC 9293 §3.8.6.1: "the transmitting host SHOULD NOT close the connection" while probes are answered.
#[test]
fn rfc9293_3_8_6_1_answered_probes_never_time_out() {
    let mut t = TcpScript::passive(TcpConfig {
        max_retransmissions: 2,
        max_rto: Duration::from_secs(1),
        ..cfg()
    });
    t.run(ZERO_WINDOW_OPEN);
    let mut script = String::from(
        "0.100 send 100
         0.300 > . 1:2(1) ack 1
         0.301 < . 1:1(0) ack 1 win 0
         0.700 > . 1:2(1) ack 1
         0.701 < . 1:1(0) ack 1 win 0\n",
    );
    // 0.8 s later, then capped at the 1 s maximum.
    for k in 0..20 {
        let at = if k == 0 { 1.5 } else { 1.5 + k as f64 };
        script += &format!(
            "{at:.3} > . 1:2(1) ack 1\n{:.3} < . 1:1(0) ack 1 win 0\n",
            at + 0.001
        );
    }
    script += "+0 state ESTABLISHED\n+0 stat window_probes 22";
    t.run(&script);
}

// RFC 9293 §3.8.6.1: when the window closes with data queued, the persist timer probes it open again.
#[test]
fn rfc9293_3_8_6_1_window_closes_with_data_queued() {
    let mut t = TcpScript::passive(TcpConfig {
        nagle: false,
        ..cfg()
    });
    t.run(
        "0.000 < S 0:0(0) win 2000 <mss 1460>
         0.000 > S. 0:0(0) ack 1 <mss 1460>
         0.000 < . 1:1(0) ack 1 win 2000
         0.100 send 3000
         +0 > . 1:1461(1460) ack 1
         +0 nothing
         0.110 < . 1:1(0) ack 1461 win 0
         +0 nothing
         0.310 > . 1461:1462(1) ack 1
         0.320 < . 1:1(0) ack 1461 win 2000
         +0 > . 1461:2921(1460) ack 1
         +0 > P. 2921:3001(80) ack 1",
    );
}

// RFC 9293 §3.8.6.2.1 (sender SWS avoidance): a window below half the largest seen is not used until the override timer.
#[test]
fn rfc9293_3_8_6_2_1_sender_sws_avoidance() {
    let mut t = TcpScript::establish_plain(TcpConfig {
        nagle: false,
        ..cfg()
    });
    t.run(
        "0.100 < . 1:1(0) ack 1 win 1000
         +0 send 3000
         +0 nothing
         0.300 > . 1:1001(1000) ack 1
         0.310 < . 1:1(0) ack 1001 win 40000
         +0 > . 1001:2461(1460) ack 1
         +0 > P. 2461:3001(540) ack 1",
    );
}

// RFC 7323 §2.3: the peer's window is scaled by its shift (here 7): a field of 10 means 1280 bytes.
#[test]
fn rfc7323_2_3_peer_window_is_scaled() {
    let mut t = TcpScript::passive(TcpConfig {
        nagle: false,
        ..cfg()
    });
    t.run(
        "0.000 < S 0:0(0) win 1000 <mss 1460,nop,wscale 7>
         0.000 > S. 0:0(0) ack 1 win 65535 <mss 1460,nop,wscale 3>
         0.010 < . 1:1(0) ack 1 win 10
         +0 check sndwnd 1280
         0.100 send 3000
         +0 > . 1:1281(1280) ack 1
         +0 nothing",
    );
}

// RFC 7323 §2.2: the window field of a SYN is never scaled, even when both sides offer scaling.
#[test]
fn rfc7323_2_2_syn_window_not_scaled() {
    let mut t = TcpScript::passive(cfg());
    t.run(
        "0.000 < S 0:0(0) win 1000 <mss 1460,nop,wscale 7>
         0.000 > S. 0:0(0) ack 1 win 65535 <mss 1460,nop,wscale 3>
         +0 check sndwnd 1000",
    );
}

// RFC 7323 §2.3: our advertised window is scaled by our shift (3 for a 256 KiB buffer).
#[test]
fn rfc7323_2_3_our_window_is_scaled() {
    let mut t = TcpScript::passive(cfg());
    t.run(
        "0.000 < S 0:0(0) win 65535 <mss 1460,nop,wscale 7>
         0.000 > S. 0:0(0) ack 1 win 65535 <mss 1460,nop,wscale 3>
         0.010 < . 1:1(0) ack 1 win 500
         0.100 < P. 1:1001(1000) ack 1 win 500
         0.140 > . 1:1(0) ack 1001 win 32643
         +0 recv 1000",
    );
}

// RFC 7323 §2.3: the shift we offer is the smallest that covers the buffer (1 MiB -> 5).
#[test]
fn rfc7323_2_3_scale_chosen_from_buffer_size() {
    let mut t = TcpScript::active(TcpConfig {
        recv_buffer: 1 << 20,
        ..cfg()
    });
    t.run("0.000 > S 0:0(0) win 65535 <mss 1460,sackOK,nop,wscale 5>");
}

// RFC 7323 §2.2: if the peer does not offer scaling, neither side scales (our shift is dropped).
#[test]
fn rfc7323_2_2_no_scaling_unless_both_offer() {
    let mut t = TcpScript::active(cfg());
    t.run(
        "0.000 > S 0:0(0) <mss 1460,sackOK,nop,wscale 3>
         0.010 < S. 0:0(0) ack 1 win 5000 <mss 1460>
         +0 > . 1:1(0) ack 1 win 65535
         0.100 < P. 1:101(100) ack 1 win 5000
         +0 recv 100
         0.140 > . 1:1(0) ack 101 win 65535",
    );
    assert_eq!(t.conn.window_scales(), None);
}
