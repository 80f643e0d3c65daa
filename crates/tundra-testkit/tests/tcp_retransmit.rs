//! Retransmission (RFC 6298): RTO estimation, exponential backoff, Karn's algorithm,
//! the retransmission limit (RFC 9293 §3.8.3), and go-back-N after a timeout with the
//! window collapsed to one segment (RFC 5681 §3.1).

use tundra_core::Duration;
use tundra_tcp::TcpConfig;
use tundra_testkit::script::TcpScript;

fn no_ts() -> TcpConfig {
    TcpConfig {
        timestamps: false,
        nagle: false,
        ..TcpConfig::default()
    }
}

/// Passive open whose handshake ACK comes after 100 ms: SRTT 100 ms, RTTVAR 50 ms.
const HANDSHAKE_100MS: &str = "0.000 < S 0:0(0) win 65535 <mss 1460>
     0.000 > S. 0:0(0) ack 1 <mss 1460>
     0.100 < . 1:1(0) ack 1 win 65535";

// RFC 6298 §2.2-2.3: SRTT/RTTVAR from the handshake sample, then smoothed by a data sample.
#[test]
fn rfc6298_2_rto_estimation_from_samples() {
    let mut t = TcpScript::passive(no_ts());
    t.run(HANDSHAKE_100MS);
    t.run(
        "0.100 check srtt 0.100
         +0 check rto 0.300
         0.200 send 100
         +0 > P. 1:101(100) ack 1
         0.380 < . 1:1(0) ack 101 win 65535
         +0 check srtt 0.110
         +0 check rto 0.340",
    );
}

// RFC 6298 §5.5: each expiry doubles the RTO (0.3, 0.6, 1.2 s); Karn (§3): the ACK of a retransmission gives no sample.
#[test]
fn rfc6298_5_5_exponential_backoff_and_karn() {
    let mut t = TcpScript::passive(no_ts());
    t.run(HANDSHAKE_100MS);
    t.run(
        "0.200 send 100
         +0 > P. 1:101(100) ack 1
         0.500 > P. 1:101(100) ack 1
         1.100 > P. 1:101(100) ack 1
         2.300 > P. 1:101(100) ack 1
         2.400 < . 1:1(0) ack 101 win 65535
         +0 stat rto_expirations 3
         +0 stat retransmits 3
         +0 check srtt 0.100
         +0 check rto 0.300",
    );
}

// RFC 6298 §2.4: the RTO never drops below the configured minimum (200 ms by default).
#[test]
fn rfc6298_2_4_minimum_rto() {
    let mut t = TcpScript::establish_plain(no_ts());
    t.run(
        "0.000 check srtt 0.000
         +0 check rto 0.200
         0.100 send 10
         +0 > P. 1:11(10) ack 1
         0.300 > P. 1:11(10) ack 1",
    );
}

// RFC 6298 §2.5: backoff stops at the maximum RTO.
#[test]
fn rfc6298_2_5_maximum_rto_caps_backoff() {
    let mut t = TcpScript::establish_plain(TcpConfig {
        max_rto: Duration::from_millis(500),
        ..no_ts()
    });
    t.run(
        "0.100 send 10
         +0 > P. 1:11(10) ack 1
         0.300 > P. 1:11(10) ack 1
         0.700 > P. 1:11(10) ack 1
         1.200 > P. 1:11(10) ack 1
         1.700 > P. 1:11(10) ack 1",
    );
}

// RFC 9293 §3.8.3 (R2): after the configured retransmissions the connection times out.
#[test]
fn rfc9293_3_8_3_retransmission_limit_times_out() {
    let mut t = TcpScript::establish_plain(TcpConfig {
        max_retransmissions: 3,
        ..no_ts()
    });
    t.run(
        "0.100 send 10
         +0 > P. 1:11(10) ack 1
         0.300 > P. 1:11(10) ack 1
         0.700 > P. 1:11(10) ack 1
         1.500 > P. 1:11(10) ack 1
         3.099 state ESTABLISHED
         3.100 state CLOSED
         +0 event Closed(TimedOut)",
    );
}

// RFC 5681 §3.1 / RFC 6298 §5.4: after a timeout only the first segment is resent (cwnd = 1 MSS); ACKs clock out the rest.
#[test]
fn rfc5681_3_1_timeout_resends_from_snd_una_with_one_segment() {
    let mut t = TcpScript::establish_plain(no_ts());
    t.run(
        "0.100 send 4380
         +0 > . 1:1461(1460) ack 1
         +0 > . 1461:2921(1460) ack 1
         +0 > P. 2921:4381(1460) ack 1
         0.300 > . 1:1461(1460) ack 1
         +0 check cwnd 1460
         +0 check ssthresh 2920
         0.310 < . 1:1(0) ack 1461 win 65535
         +0 > . 1461:2921(1460) ack 1
         +0 > P. 2921:4381(1460) ack 1
         0.320 < . 1:1(0) ack 4381 win 65535
         +0 check flight 0",
    );
}

// RFC 6298 §5.3: an ACK for new data restarts the timer (the RTO counts from the last progress).
#[test]
fn rfc6298_5_3_timer_restarted_by_new_ack() {
    let mut t = TcpScript::establish_plain(no_ts());
    t.run(
        "0.100 send 2920
         +0 > . 1:1461(1460) ack 1
         +0 > P. 1461:2921(1460) ack 1
         0.250 < . 1:1(0) ack 1461 win 65535
         0.450 > P. 1461:2921(1460) ack 1",
    );
}

// RFC 6298 §5.2: when everything is acknowledged the timer stops: nothing is resent.
#[test]
fn rfc6298_5_2_timer_stops_when_all_acked() {
    let mut t = TcpScript::establish_plain(no_ts());
    t.run(
        "0.100 send 100
         +0 > P. 1:101(100) ack 1
         0.150 < . 1:1(0) ack 101 win 65535
         5.000 nothing
         +0 stat retransmits 0",
    );
}

// RFC 9293 §3.10.7.4: data that arrives after a spurious retransmission was already received is acknowledged (ACK beyond SND.NXT after go-back is fine).
#[test]
fn rfc9293_ack_for_data_sent_before_timeout_is_accepted() {
    let mut t = TcpScript::establish_plain(no_ts());
    t.run(
        "0.100 send 2920
         +0 > . 1:1461(1460) ack 1
         +0 > P. 1461:2921(1460) ack 1
         0.300 > . 1:1461(1460) ack 1
         0.310 < . 1:1(0) ack 2921 win 65535
         +0 check flight 0
         +0 check sendq 0
         1.000 nothing",
    );
}
