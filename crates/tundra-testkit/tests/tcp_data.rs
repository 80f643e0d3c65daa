//! Moving data: RFC 9293 §3.8.6 (windows, delayed ACK, SWS avoidance), §3.7.4 (Nagle),
//! §3.10.7.4 seventh step (segment text, trimming, reassembly), RFC 5681 §4.2 (ACK
//! generation), RFC 2018 (sending SACK blocks).

use tundra_tcp::TcpConfig;
use tundra_testkit::script::TcpScript;

fn nodelay() -> TcpConfig {
    TcpConfig {
        nagle: false,
        ..TcpConfig::default()
    }
}

// RFC 9293 §3.8.6.3: one in-order segment is acknowledged when the delayed-ACK timer (40 ms)
// fires. The unread 100 bytes leave more than 64 KiB free in the 256 KiB buffer, so the
// (unscaled) window field still says 65535.
#[test]
fn rfc9293_3_8_6_3_single_segment_ack_delayed_40ms() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 < P. 1:101(100) ack 1 win 65535
         0.140 > . 1:1(0) ack 101 win 65535
         +0 event Readable
         +0 recv 100
         +0 recv wouldblock",
    );
}

// RFC 9293 §3.8.6.3: "an ACK SHOULD be generated for at least every second full-sized segment".
#[test]
fn rfc9293_3_8_6_3_ack_every_second_full_segment() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 < . 1:1461(1460) ack 1 win 65535
         +0 nothing
         0.101 < . 1461:2921(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 2921
         0.102 < . 2921:4381(1460) ack 1 win 65535
         0.142 > . 1:1(0) ack 4381
         +0 recv 4380",
    );
}

// RFC 9293 §3.8.6.3: delayed ACK switched off acknowledges every segment at once.
#[test]
fn rfc9293_3_8_6_3_delayed_ack_off_acks_at_once() {
    let mut t = TcpScript::establish_plain(TcpConfig {
        delayed_ack: None,
        ..TcpConfig::default()
    });
    t.run(
        "0.100 < P. 1:101(100) ack 1 win 65535
         +0 > . 1:1(0) ack 101",
    );
}

// RFC 5681 §4.2: an out-of-order segment draws an immediate duplicate ACK; filling the gap an immediate ACK.
#[test]
fn rfc5681_4_2_out_of_order_acked_at_once_and_gap_fill_too() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 < . 1461:2921(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 1
         +0 recv wouldblock
         0.110 < . 1:1461(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 2921
         +0 recv 2920
         +0 stat ooo_bytes 1460",
    );
}

// RFC 9293 §3.10.7.4 seventh step: reassembly across several holes delivers the bytes in order.
#[test]
fn rfc9293_reassembly_of_several_holes() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 < . 301:401(100) ack 1 win 65535
         +0 > . 1:1(0) ack 1
         +0 < . 101:201(100) ack 1 win 65535
         +0 > . 1:1(0) ack 1
         +0 < . 1:101(100) ack 1 win 65535
         +0 > . 1:1(0) ack 201
         +0 < . 201:301(100) ack 1 win 65535
         +0 > . 1:1(0) ack 401
         +0 recv 400",
    );
}

// RFC 9293 §3.10.7.4: "only the new parts are processed" of a segment straddling RCV.NXT.
#[test]
fn rfc9293_3_10_7_4_overlapping_segment_is_trimmed() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 < P. 1:101(100) ack 1 win 65535
         0.140 > . 1:1(0) ack 101
         0.200 < P. 51:151(100) ack 1 win 65535
         0.240 > . 1:1(0) ack 151
         +0 recv 150",
    );
}

// RFC 9293 §3.10.7.4 first step: an old duplicate segment is not acceptable and is answered with an ACK.
#[test]
fn rfc9293_3_10_7_4_duplicate_segment_answered_with_ack() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 < P. 1:101(100) ack 1 win 65535
         0.140 > . 1:1(0) ack 101
         0.200 < P. 1:101(100) ack 1 win 65535
         +0 > . 1:1(0) ack 101
         +0 stat out_of_window 1
         +0 recv 100
         +0 recv wouldblock",
    );
}

// RFC 9293 §3.9.1: data we send goes out at once and is acknowledged; the ACK frees the send buffer.
#[test]
fn rfc9293_send_data_and_get_it_acknowledged() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 send 100
         +0 > P. 1:101(100) ack 1
         +0 check sendq 100
         0.110 < . 1:1(0) ack 101 win 65535
         +0 check sendq 0
         +0 check flight 0
         +0 event Writable",
    );
}

// RFC 9293 §3.5: data flows both ways at once; our data segment carries the ACK (no separate ACK).
#[test]
fn rfc9293_ack_piggybacks_on_data() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 < P. 1:101(100) ack 1 win 65535
         0.110 send 50
         +0 > P. 1:51(50) ack 101
         0.150 nothing
         0.160 < P. 101:201(100) ack 51 win 65535
         0.200 > . 51:51(0) ack 201
         +0 recv 200",
    );
}

// RFC 9293 §3.7.4 (Nagle): small writes are held while data is unacknowledged, then coalesced.
#[test]
fn rfc9293_3_7_4_nagle_coalesces_small_writes() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 send 10
         +0 > P. 1:11(10) ack 1
         +0 send 10
         +0 send 10
         0.120 < . 1:1(0) ack 11 win 65535
         +0 > P. 11:31(20) ack 1",
    );
}

// RFC 9293 §3.7.4: with Nagle off (TCP_NODELAY) every small write goes out at once.
#[test]
fn rfc9293_3_7_4_nagle_off_sends_each_write() {
    let mut t = TcpScript::establish_plain(nodelay());
    t.run(
        "0.100 send 10
         +0 > P. 1:11(10) ack 1
         +0 send 10
         +0 > P. 11:21(10) ack 1
         +0 send 10
         +0 > P. 21:31(10) ack 1",
    );
}

// RFC 9293 §3.7.4: Nagle never holds back full-sized segments.
#[test]
fn rfc9293_3_7_4_nagle_sends_full_segments() {
    let mut t = TcpScript::establish_plain(TcpConfig::default());
    t.run(
        "0.100 send 3000
         +0 > . 1:1461(1460) ack 1
         +0 > . 1461:2921(1460) ack 1
         0.110 < . 1:1(0) ack 2921 win 65535
         +0 > P. 2921:3001(80) ack 1",
    );
}

// RFC 9293 §3.8.6: we never send beyond the peer's window; more goes as the window opens.
#[test]
fn rfc9293_3_8_6_send_window_is_respected() {
    let mut t = TcpScript::passive(TcpConfig::default());
    t.run(
        "0.000 < S 0:0(0) win 1000 <mss 1460>
         0.000 > S. 0:0(0) ack 1 <mss 1460>
         0.000 < . 1:1(0) ack 1 win 1000
         0.100 send 3000
         +0 > . 1:1001(1000) ack 1
         0.110 < . 1:1(0) ack 1001 win 1000
         +0 > . 1001:2001(1000) ack 1
         0.120 < . 1:1(0) ack 2001 win 3000
         +0 > P. 2001:3001(1000) ack 1",
    );
}

// RFC 9293 §3.8.6: the advertised window shrinks as unread data fills the buffer, down to zero.
#[test]
fn rfc9293_3_8_6_receive_window_closes_as_buffer_fills() {
    let mut t = TcpScript::passive(TcpConfig {
        recv_buffer: 4000,
        ..TcpConfig::default()
    });
    t.run(
        "0.000 < S 0:0(0) win 65535 <mss 1460>
         0.000 > S. 0:0(0) ack 1 win 4000 <mss 1460>
         0.000 < . 1:1(0) ack 1 win 65535
         0.100 < . 1:1461(1460) ack 1 win 65535
         +0 < . 1461:2921(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 2921 win 1080
         +0 < P. 2921:4001(1080) ack 1 win 65535
         0.140 > . 1:1(0) ack 4001 win 0
         0.200 < . 4001:4101(100) ack 1 win 65535
         +0 > . 1:1(0) ack 4001 win 0
         +0 check recvq 4000",
    );
}

// RFC 9293 §3.8.6.2.2 (receiver SWS avoidance): a reopened window is announced only once it grew by min(buffer/2, MSS);
// until then it does not creep open on segments sent for other reasons (our data still says window 0).
#[test]
fn rfc9293_3_8_6_2_2_receiver_sws_avoidance() {
    let mut t = TcpScript::passive(TcpConfig {
        recv_buffer: 4000,
        ..TcpConfig::default()
    });
    t.run(
        "0.000 < S 0:0(0) win 65535 <mss 1460>
         0.000 > S. 0:0(0) ack 1 win 4000 <mss 1460>
         0.000 < . 1:1(0) ack 1 win 65535
         0.100 < . 1:1461(1460) ack 1 win 65535
         +0 < . 1461:2921(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 2921 win 1080
         +0 < P. 2921:4001(1080) ack 1 win 65535
         0.140 > . 1:1(0) ack 4001 win 0
         0.200 recv 1000
         +0 nothing
         0.210 send 10
         +0 > P. 1:11(10) ack 4001 win 0
         0.300 recv 500
         +0 > . 11:11(0) ack 4001 win 1500",
    );
}

// RFC 9293 §3.8.6.2.2: a window of at least min(buffer/2, MSS) is offered whole on every
// segment, so a reader that keeps up announces the same window field every time (its right
// edge follows RCV.NXT), as BSD and Linux do; a Linux sender's header prediction needs it.
#[test]
fn rfc9293_3_8_6_2_2_large_window_follows_rcv_nxt() {
    let mut t = TcpScript::passive(TcpConfig {
        recv_buffer: 20000,
        ..TcpConfig::default()
    });
    t.run(
        "0.000 < S 0:0(0) win 65535 <mss 1460>
         0.000 > S. 0:0(0) ack 1 win 20000 <mss 1460>
         0.000 < . 1:1(0) ack 1 win 65535
         0.100 < P. 1:101(100) ack 1 win 65535
         +0 recv 100
         0.140 > . 1:1(0) ack 101 win 20000
         0.200 < P. 101:201(100) ack 1 win 65535
         0.240 > . 1:1(0) ack 201 win 19900
         +0 recv 100
         0.300 < P. 201:301(100) ack 1 win 65535
         +0 recv 100
         0.340 > . 1:1(0) ack 301 win 20000",
    );
}

// RFC 2018 §4: out-of-order data is reported in SACK blocks, the most recent block first.
#[test]
fn rfc2018_4_sack_blocks_for_out_of_order_data() {
    let mut t = TcpScript::passive(TcpConfig::default());
    t.run(
        "0.000 < S 0:0(0) win 65535 <mss 1460,sackOK>
         0.000 > S. 0:0(0) ack 1 <mss 1460,sackOK>
         0.000 < . 1:1(0) ack 1 win 65535
         0.100 < . 1461:2921(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 1 <sack 1461:2921>
         +0 < . 4381:5841(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 1 <sack 4381:5841 1461:2921>
         +0 < . 1:1461(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 2921 <sack 4381:5841>
         +0 < . 2921:4381(1460) ack 1 win 65535
         +0 > . 1:1(0) ack 5841 <>
         +0 recv 5840",
    );
}

// RFC 9293 §3.9.1: a large write is cut into MSS-sized segments, PSH on the last.
#[test]
fn rfc9293_large_write_is_segmented_at_mss() {
    let mut t = TcpScript::establish_plain(nodelay());
    t.run(
        "0.100 send 4000
         +0 > . 1:1461(1460) ack 1
         +0 > . 1461:2921(1460) ack 1
         +0 > P. 2921:4001(1080) ack 1",
    );
}

// RFC 9293 §3.10.2: a full send buffer accepts only what fits, then refuses until ACKs free space.
#[test]
fn rfc9293_3_10_2_send_buffer_is_bounded() {
    let mut t = TcpScript::establish_plain(TcpConfig {
        send_buffer: 2000,
        ..nodelay()
    });
    t.run(
        "0.100 send 3000 = 2000
         +0 > . 1:1461(1460) ack 1
         +0 > P. 1461:2001(540) ack 1
         +0 send 10 = 0
         0.110 < . 1:1(0) ack 1461 win 65535
         +0 event Writable
         +0 send 10
         +0 > P. 2001:2011(10) ack 1",
    );
}
