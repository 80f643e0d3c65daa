//! ICMP errors about our segments (RFC 1122 §4.2.3.9, RFC 5461, RFC 5927 §4.1) and
//! Path MTU Discovery (RFC 1191), as conversations: `icmp KIND seq S = OUTCOME` hands
//! the connection an error quoting our segment at relative sequence number S.

use tundra_tcp::TcpConfig;
use tundra_testkit::script::TcpScript;

fn plain() -> TcpConfig {
    TcpConfig {
        timestamps: false,
        nagle: false,
        ..TcpConfig::default()
    }
}

// RFC 1122 §4.2.3.9: port unreachable quoting our SYN is a hard error: the connect fails at once ("connection refused"), and nothing more is sent.
#[test]
fn rfc1122_port_unreachable_in_syn_sent_aborts() {
    let mut t = TcpScript::active(plain());
    t.run(
        "0.000 > S 0:0(0)
         0.010 icmp port seq 0 = aborted
         +0 state CLOSED
         +0 event Closed(Unreachable(PortUnreachable))
         10.000 nothing",
    );
}

// RFC 1122 §4.2.3.9: protocol unreachable is hard too.
#[test]
fn rfc1122_protocol_unreachable_in_syn_sent_aborts() {
    let mut t = TcpScript::active(plain());
    t.run(
        "0.000 > S 0:0(0)
         0.010 icmp proto seq 0 = aborted
         +0 event Closed(Unreachable(ProtoUnreachable))",
    );
}

// RFC 5927 §4.1: an error quoting a sequence number outside SND.UNA..SND.NXT is not about a segment in flight: ignored, the SYN is retransmitted as usual.
#[test]
fn rfc5927_out_of_window_quote_in_syn_sent_is_ignored() {
    let mut t = TcpScript::active(plain());
    t.run(
        "0.000 > S 0:0(0)
         0.010 icmp port seq 1 = out-of-window
         +0 icmp port seq 4000 = out-of-window
         +0 icmp port seq 4294967295 = out-of-window
         +0 state SYN-SENT
         1.000 > S 0:0(0)
         1.010 < S. 0:0(0) ack 1 win 65535 <mss 1460>
         +0 > . 1:1(0) ack 1
         +0 state ESTABLISHED",
    );
}

// RFC 5927 §4.1 on an established connection: only octets sent and not yet acknowledged may be quoted.
#[test]
fn rfc5927_out_of_window_quote_when_established_is_ignored() {
    let mut t = TcpScript::establish_plain(plain());
    t.run(
        "0.100 send 100
         +0 > P. 1:101(100) ack 1
         0.110 icmp frag:600 seq 101 = out-of-window
         +0 icmp frag:600 seq 0 = out-of-window
         +0 check mss 1460
         0.120 < . 1:1(0) ack 51 win 65535
         +0 icmp port seq 50 = out-of-window
         +0 icmp port seq 51 = soft
         +0 icmp port seq 100 = soft",
    );
}

// RFC 5461 §4: a hard error on an established connection is treated as soft: the connection stays and data keeps flowing.
#[test]
fn rfc5461_port_unreachable_when_established_does_not_abort() {
    let mut t = TcpScript::establish_plain(plain());
    t.run(
        "0.100 send 100
         +0 > P. 1:101(100) ack 1
         0.110 icmp port seq 1 = soft
         +0 icmp proto seq 1 = soft
         +0 state ESTABLISHED
         0.120 < . 1:1(0) ack 101 win 65535
         0.200 send 100
         +0 > P. 101:201(100) ack 1
         0.210 < P. 1:11(10) ack 201 win 65535
         +0 recv 10
         0.250 > . 201:201(0) ack 11",
    );
}

// RFC 1122 §4.2.3.9: a soft error does not abort; when retransmissions run out it is the reason the application hears, not a bare timeout.
#[test]
fn rfc1122_soft_error_is_the_timeout_reason() {
    let mut t = TcpScript::establish_plain(TcpConfig {
        max_retransmissions: 3,
        ..plain()
    });
    t.run(
        "0.100 send 10
         +0 > P. 1:11(10) ack 1
         0.150 icmp host seq 1 = soft
         +0 state ESTABLISHED
         0.300 > P. 1:11(10) ack 1
         0.700 > P. 1:11(10) ack 1
         1.500 > P. 1:11(10) ack 1
         3.100 state CLOSED
         +0 event Closed(TimedOutUnreachable(HostUnreachable))",
    );
}

// A connect whose SYNs draw "host unreachable" from a router fails with that once the SYN retransmissions run out.
#[test]
fn soft_error_in_syn_sent_is_the_connect_failure() {
    let mut t = TcpScript::active(TcpConfig {
        max_syn_retransmissions: 2,
        ..plain()
    });
    t.run(
        "0.000 > S 0:0(0)
         0.500 icmp host seq 0 = soft
         +0 state SYN-SENT
         1.000 > S 0:0(0)
         1.500 icmp net seq 0 = soft
         3.000 > S 0:0(0)
         7.000 state CLOSED
         +0 event Closed(TimedOutUnreachable(NetUnreachable))",
    );
}

// An ACK of new data shows the path works again: the old soft error is forgotten, and a later timeout is a plain one.
#[test]
fn progress_forgets_the_soft_error() {
    let mut t = TcpScript::establish_plain(TcpConfig {
        max_retransmissions: 1,
        ..plain()
    });
    t.run(
        "0.100 send 10
         +0 > P. 1:11(10) ack 1
         0.110 icmp ttl seq 1 = soft
         0.120 < . 1:1(0) ack 11 win 65535
         0.200 send 10
         +0 > P. 11:21(10) ack 1
         0.400 > P. 11:21(10) ack 1
         0.800 state CLOSED
         +0 event Closed(TimedOut)",
    );
}

// A passive open whose SYN-ACK draws port unreachable (the SYN was forged from an address that does not take TCP) drops the half-open connection.
#[test]
fn hard_error_in_syn_received_drops_the_half_open_connection() {
    let mut t = TcpScript::passive(plain());
    t.run(
        "0.000 < S 0:0(0) win 65535 <mss 1460>
         +0 > S. 0:0(0) ack 1 <mss 1460>
         0.010 icmp port seq 0 = aborted
         +0 state CLOSED
         5.000 nothing",
    );
}

// Errors reaching a connection that is already closed change nothing.
#[test]
fn errors_after_close_are_ignored() {
    let mut t = TcpScript::active(plain());
    t.run(
        "0.000 > S 0:0(0)
         0.010 icmp port seq 0 = aborted
         0.020 icmp port seq 0 = ignored
         +0 icmp frag:600 seq 0 = ignored
         +0 event Closed(Unreachable(PortUnreachable))",
    );
}

// RFC 1191 §6.5: "fragmentation needed" with next-hop MTU 1000 lowers SMSS to 960 and the two 1460-octet segments in flight go again at once, cut to fit, with no congestion response (cwnd and ssthresh stay, no RTO).
#[test]
fn rfc1191_frag_needed_lowers_mss_and_resends_what_no_longer_fits() {
    let mut t = TcpScript::establish_plain(plain());
    t.run(
        "0.100 send 2920
         +0 > . 1:1461(1460) ack 1
         +0 > P. 1461:2921(1460) ack 1
         0.110 icmp frag:1000 seq 1 = lowered
         +0 check mss 960
         +0 check pmtu 1000
         +0 > . 1:961(960) ack 1
         +0 > . 961:1921(960) ack 1
         +0 > . 1921:2881(960) ack 1
         +0 > P. 2881:2921(40) ack 1
         +0 check cwnd 14600
         +0 check ssthresh inf
         0.120 < . 1:1(0) ack 2921 win 65535
         +0 stat rto_expirations 0
         +0 stat fast_retransmits 0
         +0 stat retransmits 4
         0.200 send 1000
         +0 > . 2921:3881(960) ack 1
         +0 > P. 3881:3921(40) ack 1",
    );
}

// RFC 1191 §3: a host "MUST never increase its estimate of the Path MTU in response to the contents of a Datagram Too Big message"; and the segment size never goes below 536 (RFC 5927 §7.2: a forged tiny MTU cannot make us send tiny segments).
#[test]
fn rfc1191_3_no_increase_and_a_floor() {
    let mut t = TcpScript::establish_plain(plain());
    t.run(
        "0.100 send 100
         +0 > P. 1:101(100) ack 1
         0.110 icmp frag:1200 seq 1 = lowered
         +0 check mss 1160
         +0 icmp frag:1400 seq 1 = not-lowered
         +0 icmp frag:1200 seq 1 = not-lowered
         +0 check mss 1160
         +0 icmp frag:68 seq 1 = lowered
         +0 check mss 536
         +0 check pmtu 576
         +0 icmp frag:300 seq 1 = not-lowered
         +0 check mss 536
         0.120 < . 1:1(0) ack 101 win 65535",
    );
}

// A "fragmentation needed" about the SYN (a path with a small MTU right away) caps what the SYN-ACK's MSS option may raise SMSS to.
#[test]
fn rfc1191_frag_needed_in_syn_sent_caps_the_negotiated_mss() {
    let mut t = TcpScript::active(plain());
    t.run(
        "0.000 > S 0:0(0)
         0.010 icmp frag:1000 seq 0 = lowered
         +0 state SYN-SENT
         0.020 < S. 0:0(0) ack 1 win 65535 <mss 1460>
         +0 > . 1:1(0) ack 1
         +0 check mss 960
         0.100 send 1000
         +0 > . 1:961(960) ack 1
         +0 > P. 961:1001(40) ack 1",
    );
}

// With timestamps (12 octets of options on every segment) the resent segments still fit the reported MTU: 1000 - 40 - 12 = 948 octets of data.
#[test]
fn rfc1191_resends_leave_room_for_options() {
    let mut t = TcpScript::passive(TcpConfig {
        nagle: false,
        ..TcpConfig::default()
    });
    t.run(
        "0.000 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
         0.000 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 1000 ecr 100,nop,wscale *>
         0.010 < . 1:1(0) ack 1 win 512 <nop,nop,TS val 110 ecr 1000>
         0.100 send 1448
         +0 > P. 1:1449(1448) ack 1
         0.110 icmp frag:1000 seq 1 = lowered
         +0 check mss 960
         +0 > . 1:949(948) ack 1
         +0 > P. 949:1449(500) ack 1",
    );
}
