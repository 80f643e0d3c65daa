//! Many concurrent connections to one listening port over a lossy simulated link: an
//! echo server on endpoint A, 100 clients on endpoint B each echoing 64 KiB, every byte
//! checked, and nothing left behind but TIME-WAIT, which then expires too.

use core::net::SocketAddrV4;

use tundra_core::{Duration, Instant};
use tundra_tcp::{ConnHandle, Endpoint, EndpointConfig, RecvError, State, TcpConfig};
use tundra_testkit::netsim::{LinkConfig, Pair};

const CLIENTS: usize = 100;
const SIZE: usize = 64 * 1024;

fn byte(client: usize, i: usize) -> u8 {
    (i.wrapping_mul(17) ^ client.wrapping_mul(101) ^ (i >> 9)) as u8
}

struct Echo {
    handle: ConnHandle,
    pending: Vec<u8>,
    closed: bool,
}

struct Client {
    handle: ConnHandle,
    sent: usize,
    received: usize,
    closed: bool,
}

#[test]
fn hundred_clients_echo_64k_each_over_lossy_link() {
    let config = EndpointConfig {
        connection: TcpConfig {
            send_buffer: 32 * 1024,
            recv_buffer: 32 * 1024,
            msl: Duration::from_secs(2),
            ..TcpConfig::default()
        },
        ..EndpointConfig::default()
    };
    let a = Endpoint::new(config.clone(), 11);
    let b = Endpoint::new(config, 12);
    let link = LinkConfig {
        loss: 0.01,
        reorder: 0.01,
        duplicate: 0.005,
        rate: Some(50_000_000),
        ..LinkConfig::default()
    };
    let mut pair = Pair::new(a, b, link, 13);
    let listener = pair.a.listen(SocketAddrV4::new(Pair::A_IP, 7)).unwrap();
    let mut clients: Vec<Client> = (0..CLIENTS)
        .map(|_| Client {
            handle: pair
                .b
                .connect(pair.now, Pair::B_IP, SocketAddrV4::new(Pair::A_IP, 7))
                .unwrap(),
            sent: 0,
            received: 0,
            closed: false,
        })
        .collect();
    let mut servers: Vec<Echo> = Vec::new();
    let deadline = Instant::from_secs(300);
    let mut buf = vec![0u8; 16 * 1024];
    while pair.now < deadline {
        while let Some(h) = pair.a.accept(listener) {
            servers.push(Echo {
                handle: h,
                pending: Vec::new(),
                closed: false,
            });
        }
        for s in servers.iter_mut().filter(|s| !s.closed) {
            let c = pair.a.connection_mut(s.handle).unwrap();
            loop {
                match c.recv(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => s.pending.extend_from_slice(&buf[..n]),
                    Err(RecvError::WouldBlock) => break,
                    Err(e) => panic!("server recv: {e}"),
                }
            }
            if !s.pending.is_empty() {
                if let Ok(n) = c.send(&s.pending) {
                    s.pending.drain(..n);
                }
            }
            if c.peer_closed() && c.recv_queue() == 0 && s.pending.is_empty() {
                c.close();
                s.closed = true;
            }
        }
        for (i, cl) in clients.iter_mut().enumerate().filter(|(_, c)| !c.closed) {
            let c = pair.b.connection_mut(cl.handle).unwrap();
            if c.state() == State::SynSent {
                continue;
            }
            while cl.sent < SIZE {
                let n = (SIZE - cl.sent).min(4096);
                let chunk: Vec<u8> = (cl.sent..cl.sent + n).map(|k| byte(i, k)).collect();
                match c.send(&chunk) {
                    Ok(k) => cl.sent += k,
                    Err(_) => break,
                }
            }
            loop {
                match c.recv(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        for (k, b) in buf[..n].iter().enumerate() {
                            assert_eq!(
                                *b,
                                byte(i, cl.received + k),
                                "client {i} byte {}",
                                cl.received + k
                            );
                        }
                        cl.received += n;
                    }
                    Err(RecvError::WouldBlock) => break,
                    Err(e) => panic!("client {i} recv: {e}"),
                }
            }
            if cl.received == SIZE {
                c.close();
                cl.closed = true;
            }
        }
        if clients.iter().all(|c| c.closed)
            && servers.len() == CLIENTS
            && servers.iter().all(|s| s.closed)
        {
            break;
        }
        if !pair.step(deadline) {
            break;
        }
    }
    assert!(
        clients.iter().all(|c| c.received == SIZE),
        "every client got its 64 KiB back"
    );
    assert_eq!(servers.len(), CLIENTS);
    // Let the closes finish and TIME-WAIT expire: nothing may be left.
    let end = pair.now + Duration::from_secs(30);
    while pair.step(end) && pair.now < end {}
    assert_eq!(
        pair.a.connection_count(),
        0,
        "server side: {:?}",
        pair.a.sockets()
    );
    assert_eq!(
        pair.b.connection_count(),
        0,
        "client side: {:?}",
        pair.b.sockets()
    );
    assert!(pair.dropped > 0, "the link did lose segments");
    let (ca, cb) = pair.counters();
    assert_eq!(ca.passive_opens, CLIENTS as u64);
    assert_eq!(cb.active_opens, CLIENTS as u64);
}
