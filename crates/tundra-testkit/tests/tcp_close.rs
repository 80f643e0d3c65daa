//! Closing a connection: RFC 9293 §3.6 (Figures 12 and 13), §3.10.4 (CLOSE), the FIN
//! processing of §3.10.7.4 eighth step, and TIME-WAIT (§3.4.2: 2*MSL).

use tundra_core::Duration;
use tundra_tcp::TcpConfig;
use tundra_testkit::script::TcpScript;

/// MSL of 1 s, so TIME-WAIT lasts 2 s.
fn short_msl() -> TcpConfig {
    TcpConfig {
        msl: Duration::from_secs(1),
        ..TcpConfig::default()
    }
}

// RFC 9293 §3.6 Figure 12: we close first: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT, and CLOSED after 2*MSL.
#[test]
fn rfc9293_3_6_active_close_through_time_wait() {
    let mut t = TcpScript::establish_plain(short_msl());
    t.run(
        "0.100 close
         +0 > F. 1:1(0) ack 1
         +0 state FIN-WAIT-1
         0.110 < . 1:1(0) ack 2 win 65535
         +0 state FIN-WAIT-2
         0.200 < F. 1:1(0) ack 2 win 65535
         +0 > . 2:2(0) ack 2
         +0 state TIME-WAIT
         2.199 state TIME-WAIT
         2.200 state CLOSED
         +0 event Closed(Normal)",
    );
}

// RFC 9293 §3.6 Figure 12: the peer closes first: CLOSE-WAIT, then our close: LAST-ACK, CLOSED.
#[test]
fn rfc9293_3_6_passive_close_through_last_ack() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 < F. 1:1(0) ack 1 win 65535
         +0 > . 1:1(0) ack 2
         +0 state CLOSE-WAIT
         +0 event PeerClosed
         +0 recv eof
         0.200 close
         +0 > F. 1:1(0) ack 2
         +0 state LAST-ACK
         0.210 < . 2:2(0) ack 2 win 65535
         +0 state CLOSED
         +0 event Closed(Normal)",
    );
}

// RFC 9293 §3.6 Figure 13: simultaneous close: FIN-WAIT-1, CLOSING, TIME-WAIT.
#[test]
fn rfc9293_figure_13_simultaneous_close() {
    let mut t = TcpScript::establish_plain(short_msl());
    t.run(
        "0.100 close
         +0 > F. 1:1(0) ack 1
         0.105 < F. 1:1(0) ack 1 win 65535
         +0 > . 2:2(0) ack 2
         +0 state CLOSING
         0.110 < . 2:2(0) ack 2 win 65535
         +0 state TIME-WAIT
         2.110 state CLOSED",
    );
}

// RFC 9293 §3.10.7.4 eighth step: a FIN that also acknowledges our FIN goes from FIN-WAIT-1 straight to TIME-WAIT.
#[test]
fn rfc9293_fin_wait_1_fin_ack_to_time_wait() {
    let mut t = TcpScript::establish_plain(short_msl());
    t.run(
        "0.100 close
         +0 > F. 1:1(0) ack 1
         0.110 < F. 1:1(0) ack 2 win 65535
         +0 > . 2:2(0) ack 2
         +0 state TIME-WAIT",
    );
}

// RFC 9293 §3.10.4 (half-close): after shutdown we still receive data in FIN-WAIT-2.
#[test]
fn rfc9293_3_10_4_half_close_keeps_receiving() {
    let mut t = TcpScript::establish_plain(short_msl());
    t.run(
        "0.100 shutdown
         +0 > F. 1:1(0) ack 1
         0.110 < . 1:1(0) ack 2 win 65535
         +0 state FIN-WAIT-2
         0.200 < P. 1:1001(1000) ack 2 win 65535
         0.240 > . 2:2(0) ack 1001
         +0 recv 1000
         0.300 < F. 1001:1001(0) ack 2 win 65535
         +0 > . 2:2(0) ack 1002
         +0 recv eof
         +0 state TIME-WAIT",
    );
}

// RFC 9293 §3.10.4: CLOSE queues the FIN behind the data; the last data segment carries it.
#[test]
fn rfc9293_3_10_4_fin_follows_queued_data() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 send 2000
         +0 shutdown
         +0 > . 1:1461(1460) ack 1
         +0 > FP. 1461:2001(540) ack 1
         +0 state FIN-WAIT-1
         0.110 < . 1:1(0) ack 2002 win 65535
         +0 state FIN-WAIT-2",
    );
}

// RFC 9293 §3.10.4: after shutdown no more data can be sent.
#[test]
fn rfc9293_3_10_4_send_after_shutdown_is_refused() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 shutdown
         +0 > F. 1:1(0) ack 1
         +0 send 10 = 0",
    );
}

// RFC 9293 §3.10.7.4: in TIME-WAIT a retransmitted FIN is acknowledged and restarts the 2*MSL timer.
#[test]
fn rfc9293_time_wait_retransmitted_fin_restarts_timer() {
    let mut t = TcpScript::establish_plain(short_msl());
    t.run(
        "0.100 close
         +0 > F. 1:1(0) ack 1
         0.110 < F. 1:1(0) ack 2 win 65535
         +0 > . 2:2(0) ack 2
         1.000 < F. 1:1(0) ack 2 win 65535
         +0 > . 2:2(0) ack 2
         2.110 state TIME-WAIT
         2.999 state TIME-WAIT
         3.000 state CLOSED",
    );
}

// RFC 9293 §3.4.2: TIME-WAIT lasts 2*MSL with the default MSL of 30 s (60 s).
#[test]
fn rfc9293_3_4_2_time_wait_default_two_msl() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 close
         +0 > F. 1:1(0) ack 1
         0.110 < F. 1:1(0) ack 2 win 65535
         +0 > . 2:2(0) ack 2
         60.109 state TIME-WAIT
         60.110 state CLOSED",
    );
}

// RFC 6298 §5.4: a lost FIN is retransmitted on the RTO (200 ms), then after 400 ms.
#[test]
fn rfc6298_fin_retransmitted_on_timeout() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 close
         +0 > F. 1:1(0) ack 1
         0.300 > F. 1:1(0) ack 1
         0.700 > F. 1:1(0) ack 1
         0.710 < . 1:1(0) ack 2 win 65535
         +0 state FIN-WAIT-2",
    );
}

// RFC 6298 §5.4: in LAST-ACK the FIN is retransmitted until acknowledged, then CLOSED.
#[test]
fn rfc6298_last_ack_fin_retransmitted() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 < F. 1:1(0) ack 1 win 65535
         +0 > . 1:1(0) ack 2
         0.200 close
         +0 > F. 1:1(0) ack 2
         0.400 > F. 1:1(0) ack 2
         0.410 < . 2:2(0) ack 2 win 65535
         +0 state CLOSED",
    );
}

// RFC 2525 §2.17: closing with unread received data resets the connection instead of a FIN.
#[test]
fn rfc2525_2_17_close_with_unread_data_sends_reset() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 < P. 1:101(100) ack 1 win 65535
         0.110 close
         +0 > R. 1:1(0) ack 101
         +0 state CLOSED
         +0 event Closed(Aborted)",
    );
}

// RFC 9293 §3.10.4: CLOSE in SYN-SENT deletes the TCB; nothing more is sent.
#[test]
fn rfc9293_3_10_4_close_in_syn_sent() {
    let mut t = TcpScript::active(TcpConfig::default());
    t.run(
        "0.000 > S 0:0(0)
         0.100 close
         +0 state CLOSED
         +0 event Closed(Normal)
         5.000 nothing",
    );
}

// RFC 9293 §3.10.7.4 eighth step: a FIN ahead of a hole waits until the data before it arrives.
#[test]
fn rfc9293_fin_after_hole_is_processed_when_filled() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 < F. 101:101(0) ack 1 win 65535
         +0 > . 1:1(0) ack 1
         +0 state ESTABLISHED
         0.110 < . 1:101(100) ack 1 win 65535
         +0 > . 1:1(0) ack 102
         +0 state CLOSE-WAIT
         +0 recv 100
         +0 recv eof",
    );
}

// RFC 9293 §3.10.3: after our close the user reads no more; late data is acknowledged and dropped.
#[test]
fn rfc9293_data_after_close_is_acked_and_discarded() {
    let mut t = TcpScript::establish_plain(short_msl());
    t.run(
        "0.100 close
         +0 > F. 1:1(0) ack 1
         0.110 < P. 1:101(100) ack 2 win 65535
         0.150 > . 2:2(0) ack 101
         +0 state FIN-WAIT-2
         +0 check recvq 0",
    );
}

// RFC 9293 §3.10.7.4: in CLOSE-WAIT we can still send; the FIN follows our data.
#[test]
fn rfc9293_close_wait_still_sends() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 < F. 1:1(0) ack 1 win 65535
         +0 > . 1:1(0) ack 2
         0.200 send 300
         +0 > P. 1:301(300) ack 2
         +0 close
         +0 > F. 301:301(0) ack 2
         0.210 < . 2:2(0) ack 302 win 65535
         +0 state CLOSED",
    );
}
