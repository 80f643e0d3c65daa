//! RST processing in every state (RFC 9293 §3.10.7, second step; §3.10.7.3 for
//! SYN-SENT), and ABORT (§3.10.5).

use tundra_core::Duration;
use tundra_tcp::TcpConfig;
use tundra_testkit::script::TcpScript;

fn short_msl() -> TcpConfig {
    TcpConfig {
        msl: Duration::from_secs(1),
        ..TcpConfig::default()
    }
}

// RFC 9293 §3.10.7.3: in SYN-SENT a RST acknowledging our SYN means "connection refused".
#[test]
fn rfc9293_3_10_7_3_reset_in_syn_sent_refuses() {
    let mut t = TcpScript::active(TcpConfig::default());
    t.run(
        "0.000 > S 0:0(0)
         0.010 < R. 0:0(0) ack 1 win 0
         +0 state CLOSED
         +0 event Closed(Refused)
         3.000 nothing",
    );
}

// RFC 9293 §3.10.7.3 / RFC 5961 §3.2: in SYN-SENT a RST without an ACK is dropped.
#[test]
fn rfc9293_3_10_7_3_reset_without_ack_in_syn_sent_ignored() {
    let mut t = TcpScript::active(TcpConfig::default());
    t.run(
        "0.000 > S 0:0(0)
         0.010 < R 0:0(0) win 0
         +0 state SYN-SENT",
    );
}

// RFC 9293 §3.10.7.4 second step: a RST in SYN-RECEIVED (passive open) drops the half-open connection.
#[test]
fn rfc9293_reset_in_syn_received() {
    let mut t = TcpScript::passive(TcpConfig::default());
    t.run(
        "0.000 < S 0:0(0) win 65535 <mss 1460>
         0.000 > S. 0:0(0) ack 1 <mss 1460>
         0.010 < R 1:1(0) win 0
         +0 state CLOSED
         2.000 nothing",
    );
}

// RFC 9293 §3.10.7.4 second step: a RST in ESTABLISHED resets the connection; reads report it.
#[test]
fn rfc9293_reset_in_established() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 send 100
         +0 > P. 1:101(100) ack 1
         0.110 < R. 1:1(0) ack 1 win 0
         +0 state CLOSED
         +0 event Closed(Reset)
         +0 recv reset
         +0 send 10 = 0
         1.000 nothing",
    );
}

// RFC 9293 §3.10.7.4 flushes the queues on a RST, but data we acknowledged is the
// user's (and Linux keeps it): it is read first, then the reset is reported.
#[test]
fn reset_after_acknowledged_data_keeps_it_readable() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 < P. 1:301(300) ack 1 win 65535
         +0 check recvq 300
         0.140 > . 1:1(0) ack 301
         0.310 < R. 301:301(0) ack 1 win 0
         +0 state CLOSED
         +0 event Readable
         +0 recv 300
         +0 recv reset",
    );
}

// RFC 9293 §3.10.7.4 second step: a RST in FIN-WAIT-1 closes.
#[test]
fn rfc9293_reset_in_fin_wait_1() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 close
         +0 > F. 1:1(0) ack 1
         0.110 < R 1:1(0) win 0
         +0 state CLOSED
         +0 event Closed(Reset)",
    );
}

// RFC 9293 §3.10.7.4 second step: a RST in FIN-WAIT-2 closes.
#[test]
fn rfc9293_reset_in_fin_wait_2() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 close
         +0 > F. 1:1(0) ack 1
         0.110 < . 1:1(0) ack 2 win 65535
         +0 state FIN-WAIT-2
         0.120 < R 1:1(0) win 0
         +0 state CLOSED",
    );
}

// RFC 9293 §3.10.7.4 second step: a RST in CLOSE-WAIT closes.
#[test]
fn rfc9293_reset_in_close_wait() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 < F. 1:1(0) ack 1 win 65535
         +0 > . 1:1(0) ack 2
         0.110 < R 2:2(0) win 0
         +0 state CLOSED
         +0 event Closed(Reset)",
    );
}

// RFC 9293 §3.10.7.4 second step: a RST in CLOSING closes.
#[test]
fn rfc9293_reset_in_closing() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 close
         +0 > F. 1:1(0) ack 1
         0.105 < F. 1:1(0) ack 1 win 65535
         +0 > . 2:2(0) ack 2
         +0 state CLOSING
         0.110 < R 2:2(0) win 0
         +0 state CLOSED",
    );
}

// RFC 9293 §3.10.7.4 second step: a RST in LAST-ACK closes.
#[test]
fn rfc9293_reset_in_last_ack() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 < F. 1:1(0) ack 1 win 65535
         +0 > . 1:1(0) ack 2
         0.200 close
         +0 > F. 1:1(0) ack 2
         0.210 < R 2:2(0) win 0
         +0 state CLOSED
         1.000 nothing",
    );
}

// RFC 9293 §3.10.7.4 second step: a RST in TIME-WAIT ends it early (RFC 1337's hazard, as the RFC says).
#[test]
fn rfc9293_reset_in_time_wait() {
    let mut t = TcpScript::establish_plain(short_msl());
    t.run(
        "0.100 close
         +0 > F. 1:1(0) ack 1
         0.110 < F. 1:1(0) ack 2 win 65535
         +0 > . 2:2(0) ack 2
         +0 state TIME-WAIT
         0.200 < R 2:2(0) win 0
         +0 state CLOSED
         +0 event Closed(Normal)",
    );
}

// RFC 9293 §3.10.7.4 first step: a RST outside the window is dropped without any answer.
#[test]
fn rfc9293_out_of_window_reset_is_silently_dropped() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 < R 100000:100000(0) win 0
         +0 nothing
         +0 state ESTABLISHED
         +0 stat out_of_window 1",
    );
}

// RFC 9293 §3.10.5: ABORT in ESTABLISHED sends <SEQ=SND.NXT><CTL=RST> and flushes everything.
#[test]
fn rfc9293_3_10_5_abort_sends_reset() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 send 100
         +0 > P. 1:101(100) ack 1
         0.110 abort
         +0 > R. 101:101(0) ack 1
         +0 state CLOSED
         +0 event Closed(Aborted)
         +0 check sendq 0
         1.000 nothing",
    );
}

// RFC 9293 §3.10.7.4 / RFC 5961 §3.2: a peer whose window is closed accepts a RST only at
// exactly its RCV.NXT, so ABORT after a zero-window probe resets at SND.UNA + SND.WND
// (here SND.UNA), not at the SND.NXT the probe moved past it (Linux: tcp_acceptable_seq).
#[test]
fn rfc9293_3_10_5_abort_into_a_closed_window_resets_at_its_edge() {
    let mut t = TcpScript::passive(TcpConfig::default());
    t.run(
        "0.000 < S 0:0(0) win 65535 <mss 1460>
         0.000 > S. 0:0(0) ack 1 <mss 1460>
         0.000 < . 1:1(0) ack 1 win 0
         0.100 send 100
         0.300 > . 1:2(1) ack 1
         0.301 < . 1:1(0) ack 1 win 0
         0.400 abort
         +0 > R. 1:1(0) ack 1
         +0 state CLOSED",
    );
}

// RFC 9293 §3.10.5: ABORT in SYN-SENT sends nothing.
#[test]
fn rfc9293_3_10_5_abort_in_syn_sent_is_silent() {
    let mut t = TcpScript::active(TcpConfig::default());
    t.run(
        "0.000 > S 0:0(0)
         0.100 abort
         +0 nothing
         +0 state CLOSED",
    );
}
