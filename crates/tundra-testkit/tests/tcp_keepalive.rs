//! Keepalive (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6): off by default; when on, probes
//! after the idle time, every interval, and gives up after `count` unanswered probes.

use tundra_core::Duration;
use tundra_tcp::{Keepalive, TcpConfig};
use tundra_testkit::script::TcpScript;

fn keepalive() -> TcpConfig {
    TcpConfig {
        keepalive: Some(Keepalive {
            idle: Duration::from_secs(10),
            interval: Duration::from_secs(1),
            count: 3,
        }),
        ..TcpConfig::default()
    }
}

// RFC 1122 §4.2.3.6: keepalives "MUST default to off": an idle connection sends nothing for hours.
#[test]
fn rfc1122_4_2_3_6_keepalive_off_by_default() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run("10800.000 nothing\n+0 state ESTABLISHED");
}

// RFC 1122 §4.2.3.6: after the idle time a probe <SEQ=SND.NXT-1> without data elicits an ACK; that resets the idle timer.
#[test]
fn rfc1122_4_2_3_6_keepalive_probe_answered() {
    let mut t = TcpScript::establish_plain(keepalive());
    t.run(
        "10.000 > . 0:0(0) ack 1
         10.010 < . 1:1(0) ack 1 win 65535
         20.009 nothing
         20.010 > . 0:0(0) ack 1
         +0 stat keepalive_probes 2",
    );
}

// RFC 9293 §3.8.4: unanswered probes (count 3, 1 s apart) declare the connection dead.
#[test]
fn rfc9293_3_8_4_keepalive_gives_up() {
    let mut t = TcpScript::establish_plain(keepalive());
    t.run(
        "10.000 > . 0:0(0) ack 1
         11.000 > . 0:0(0) ack 1
         12.000 > . 0:0(0) ack 1
         13.000 state CLOSED
         +0 event Closed(TimedOut)",
    );
}

// RFC 1122 §4.2.3.6: traffic counts as activity: data keeps the keepalive timer from firing.
#[test]
fn rfc1122_4_2_3_6_traffic_defers_keepalive() {
    let mut t = TcpScript::establish_plain(keepalive());
    t.run(
        "8.000 < P. 1:11(10) ack 1 win 65535
         8.040 > . 1:1(0) ack 11
         17.999 nothing
         18.000 > . 0:0(0) ack 11",
    );
}
