//! The chat room: conversations between members, as the room sees them, and one over
//! real WsConnections. Each test opens with what it proves.

use tundra_core::{Instant, Rng};
use tundra_http::ws::{
    ChatConfig, ChatRoom, CloseCode, Kick, MemberId, RoomFull, WsConfig, WsConnection, WsEvent,
};

const T0: Instant = Instant::ZERO;

/// Takes every line waiting for `id`.
fn inbox(room: &mut ChatRoom, id: MemberId) -> Vec<String> {
    std::iter::from_fn(|| room.pop_outbound(id)).collect()
}

/// A room with `names` joined, in order, every inbox emptied after each join.
fn room_with(config: ChatConfig, names: &[&str]) -> (ChatRoom, Vec<MemberId>) {
    let mut room = ChatRoom::new(config);
    let mut ids: Vec<MemberId> = Vec::new();
    for n in names {
        let id = room.connect().unwrap();
        room.receive(id, &format!("/nick {n}"));
        ids.push(id);
        for &id in &ids {
            inbox(&mut room, id);
        }
    }
    (room, ids)
}

#[test]
fn joining_is_announced_to_everyone_including_the_joiner() {
    let mut room = ChatRoom::new(ChatConfig::default());
    let ada = room.connect().unwrap();
    assert_eq!(
        inbox(&mut room, ada),
        ["* welcome: send /nick NAME to join (0 here)"]
    );
    room.receive(ada, "/nick ada");
    let bob = room.connect().unwrap();
    room.receive(bob, "/nick bob");
    assert_eq!(inbox(&mut room, ada), ["* ada joined", "* bob joined"]);
    assert_eq!(
        inbox(&mut room, bob),
        [
            "* welcome: send /nick NAME to join (1 here)",
            "* bob joined"
        ]
    );
}

#[test]
fn lines_are_broadcast_in_one_order_to_all_including_the_sender() {
    let (mut room, ids) = room_with(ChatConfig::default(), &["ada", "bob", "cy"]);
    room.receive(ids[0], "hello");
    room.receive(ids[2], "hi ada");
    room.receive(ids[1], "κόσμε 𝄞");
    let expected = ["ada: hello", "cy: hi ada", "bob: κόσμε 𝄞"];
    for &id in &ids {
        assert_eq!(inbox(&mut room, id), expected);
    }
}

#[test]
fn leaving_is_announced_to_the_others() {
    let (mut room, ids) = room_with(ChatConfig::default(), &["ada", "bob"]);
    room.disconnect(ids[0]);
    assert_eq!(inbox(&mut room, ids[1]), ["* ada left"]);
    assert!(!room.contains(ids[0]));
    room.disconnect(ids[0]); // twice is harmless
    assert_eq!(room.len(), 1);
}

#[test]
fn before_choosing_a_nickname_you_neither_speak_nor_hear() {
    let (mut room, ids) = room_with(ChatConfig::default(), &["ada"]);
    let lurker = room.connect().unwrap();
    inbox(&mut room, lurker);
    room.receive(lurker, "anyone?");
    room.receive(ids[0], "hello");
    assert_eq!(inbox(&mut room, lurker), ["! send /nick NAME first"]);
    assert_eq!(inbox(&mut room, ids[0]), ["ada: hello"]);
    room.disconnect(lurker);
    assert!(
        inbox(&mut room, ids[0]).is_empty(),
        "an unnamed leave is silent"
    );
}

#[test]
fn rename_and_who() {
    let (mut room, ids) = room_with(ChatConfig::default(), &["ada", "bob"]);
    room.receive(ids[0], "/nick countess");
    room.receive(ids[1], "/who");
    assert_eq!(inbox(&mut room, ids[0]), ["* ada is now countess"]);
    assert_eq!(
        inbox(&mut room, ids[1]),
        ["* ada is now countess", "* here: countess, bob"]
    );
}

#[test]
fn bad_lines_get_an_error_to_the_sender_only() {
    let config = ChatConfig {
        max_line_bytes: 10,
        ..ChatConfig::default()
    };
    let (mut room, ids) = room_with(config, &["ada", "bob"]);
    room.receive(ids[0], "this is far too long");
    room.receive(ids[0], "two\nlines");
    room.receive(ids[0], "");
    assert_eq!(
        inbox(&mut room, ids[0]),
        [
            "! line too long (at most 10 bytes)",
            "! control characters are not allowed"
        ]
    );
    assert!(inbox(&mut room, ids[1]).is_empty());
}

#[test]
fn slow_reader_is_disconnected_with_1008_and_the_others_lose_nothing() {
    let config = ChatConfig {
        max_queue_messages: 5,
        ..ChatConfig::default()
    };
    let (mut room, ids) = room_with(config, &["ada", "bob", "slow"]);
    let (ada, bob, slow) = (ids[0], ids[1], ids[2]);
    let mut ada_saw = Vec::new();
    let mut bob_saw = Vec::new();
    // ada and bob read after every line; slow never reads.
    for i in 0..8 {
        room.receive(if i % 2 == 0 { ada } else { bob }, &format!("line {i}"));
        ada_saw.extend(inbox(&mut room, ada));
        bob_saw.extend(inbox(&mut room, bob));
    }
    let mut expected: Vec<String> = (0..8)
        .map(|i| format!("{}: line {i}", if i % 2 == 0 { "ada" } else { "bob" }))
        .collect();
    // The 6th line overflows slow's queue of 5: it reaches the others, then slow's
    // leave notice does.
    expected.insert(6, "* slow left".into());
    assert_eq!(ada_saw, expected);
    assert_eq!(bob_saw, expected);
    assert_eq!(
        room.poll_kick(),
        Some(Kick {
            member: slow,
            code: CloseCode::POLICY_VIOLATION,
            reason: "too slow",
        })
    );
    assert_eq!(room.poll_kick(), None);
    assert!(!room.contains(slow));
    assert_eq!(room.pop_outbound(slow), None, "its queue is gone");
    room.disconnect(slow); // the driver reports the close later: nothing happens
    assert!(inbox(&mut room, ada).is_empty());
}

#[test]
fn byte_bound_counts_too() {
    let config = ChatConfig {
        // Room for the welcome and the join notice (43 + 10 bytes) at joining.
        max_queue_bytes: 60,
        ..ChatConfig::default()
    };
    let (mut room, ids) = room_with(config, &["a", "b"]);
    for _ in 0..3 {
        room.receive(ids[0], "0123456789"); // "a: 0123456789" = 13 bytes
        inbox(&mut room, ids[0]);
    }
    room.receive(ids[0], &"x".repeat(18)); // 21 bytes: 39 + 21 = 60 still fits
    inbox(&mut room, ids[0]);
    assert_eq!(room.poll_kick(), None);
    room.receive(ids[0], "y");
    assert_eq!(room.poll_kick().map(|k| k.member), Some(ids[1]));
    assert_eq!(inbox(&mut room, ids[0]), ["a: y", "* b left"]);
}

#[test]
fn full_room_refuses_with_1013() {
    let config = ChatConfig {
        max_members: 2,
        ..ChatConfig::default()
    };
    let mut room = ChatRoom::new(config);
    room.connect().unwrap();
    let second = room.connect().unwrap();
    assert_eq!(room.connect(), Err(RoomFull));
    assert_eq!(RoomFull::CLOSE_CODE, CloseCode::TRY_AGAIN_LATER);
    room.disconnect(second);
    assert!(room.connect().is_ok());
}

#[test]
fn binary_message_gets_1003_and_a_leave_notice() {
    let (mut room, ids) = room_with(ChatConfig::default(), &["ada", "bob"]);
    room.receive_binary(ids[1]);
    assert_eq!(
        room.poll_kick(),
        Some(Kick {
            member: ids[1],
            code: CloseCode::UNSUPPORTED_DATA,
            reason: "text only",
        })
    );
    assert_eq!(inbox(&mut room, ids[0]), ["* bob left"]);
}

// ------------------------------------------------------------------ over WsConnections

/// A browser-like peer: a client WsConnection and what it has received.
struct Peer {
    ws: WsConnection,
    seen: Vec<String>,
}

/// One member on the server side: its connection and its id in the room.
struct Seat {
    ws: WsConnection,
    id: MemberId,
}

/// Moves bytes both ways and runs the server's side of the room until quiet.
fn run(room: &mut ChatRoom, seats: &mut [Seat], peers: &mut [Peer], reading: &[bool]) {
    for _ in 0..50 {
        let mut moved = false;
        for (seat, peer) in seats.iter_mut().zip(peers.iter_mut()) {
            // client -> server
            while let Some(b) = peer.ws.poll_transmit() {
                let b = b.to_vec();
                peer.ws.consume(b.len());
                seat.ws.on_bytes(T0, &b);
                moved = true;
            }
            while let Some(ev) = seat.ws.poll_event(T0) {
                match ev {
                    WsEvent::Text(t) => room.receive(seat.id, &t),
                    WsEvent::Binary(_) => room.receive_binary(seat.id),
                    _ => {}
                }
            }
        }
        while let Some(kick) = room.poll_kick() {
            let seat = seats.iter_mut().find(|s| s.id == kick.member).unwrap();
            let _ = seat.ws.close(T0, kick.code, kick.reason);
        }
        for (i, (seat, peer)) in seats.iter_mut().zip(peers.iter_mut()).enumerate() {
            if room.flush_to(seat.id, &mut seat.ws) > 0 {
                moved = true;
            }
            // server -> client, only for peers that read
            if !reading[i] {
                continue;
            }
            while let Some(b) = seat.ws.poll_transmit() {
                let b = b.to_vec();
                seat.ws.consume(b.len());
                peer.ws.on_bytes(T0, &b);
                moved = true;
            }
            while let Some(ev) = peer.ws.poll_event(T0) {
                match ev {
                    WsEvent::Text(t) => peer.seen.push(t),
                    WsEvent::Close { code, reason } => {
                        peer.seen.push(format!("[closed {} {reason}]", code.0))
                    }
                    _ => {}
                }
            }
        }
        if !moved {
            return;
        }
    }
    panic!("did not settle");
}

#[test]
fn chat_over_websocket_with_a_peer_that_stops_reading() {
    // Three browsers; "slow" stops reading its socket. Its connection's output fills
    // (max_outbound 256 bytes), then its room queue (4 lines): it is kicked with 1008
    // while ada and bob see every line and the leave notice.
    let ws_config = WsConfig {
        max_outbound: 256,
        ..WsConfig::default()
    };
    let room_config = ChatConfig {
        max_queue_messages: 4,
        ..ChatConfig::default()
    };
    let mut room = ChatRoom::new(room_config);
    let mut seats = Vec::new();
    let mut peers = Vec::new();
    for (i, name) in ["ada", "bob", "slow"].iter().enumerate() {
        let id = room.connect().unwrap();
        seats.push(Seat {
            ws: WsConnection::server(ws_config.clone(), T0),
            id,
        });
        let mut ws = WsConnection::client(WsConfig::default(), T0, Rng::from_seed(i as u64));
        ws.send_text(&format!("/nick {name}")).unwrap();
        peers.push(Peer {
            ws,
            seen: Vec::new(),
        });
    }
    run(&mut room, &mut seats, &mut peers, &[true, true, true]);
    for p in &mut peers {
        p.seen.clear();
    }

    let mut expected = Vec::new();
    for i in 0..20 {
        let line = format!("message number {i:02} with some padding to fill queues");
        peers[i % 2].ws.send_text(&line).unwrap();
        run(&mut room, &mut seats, &mut peers, &[true, true, false]);
        expected.push(format!("{}: {line}", ["ada", "bob"][i % 2]));
    }
    assert!(peers[0].seen.contains(&"* slow left".to_owned()));
    let without_notice: Vec<&String> = peers[0]
        .seen
        .iter()
        .filter(|l| *l != "* slow left")
        .collect();
    assert_eq!(without_notice, expected.iter().collect::<Vec<_>>());
    assert_eq!(peers[0].seen, peers[1].seen, "ada and bob saw the same");
    assert!(!room.contains(seats[2].id));

    // The slow browser finally reads: what fitted in its socket, then the 1008 Close.
    run(&mut room, &mut seats, &mut peers, &[true, true, true]);
    let last = peers[2].seen.last().unwrap();
    assert_eq!(last, "[closed 1008 too slow]");
    assert!(peers[2].seen.len() < expected.len());
}

#[test]
fn chat_connections_refuse_messages_far_longer_than_a_line() {
    // ChatConfig::ws_config sizes the socket side for lines: a 1000-byte line still
    // reaches the room (which answers "line too long" past its own limit), a 100 KiB
    // message is refused by the connection with 1009 before it is buffered.
    let config = ChatConfig::default();
    let mut seat = WsConnection::server(config.ws_config(), T0);
    let mut peer = WsConnection::client(WsConfig::default(), T0, Rng::from_seed(3));
    peer.send_text(&"a".repeat(1000)).unwrap();
    peer.send_text(&"b".repeat(100 * 1024)).unwrap();
    let bytes = peer.poll_transmit().unwrap().to_vec();
    seat.on_bytes(T0, &bytes[..2000]);
    assert_eq!(seat.poll_event(T0), Some(WsEvent::Text("a".repeat(1000))));
    match seat.poll_event(T0) {
        Some(WsEvent::Error(e)) => assert_eq!(e.close_code(), CloseCode::MESSAGE_TOO_BIG),
        other => panic!("expected 1009, got {other:?}"),
    }
}
