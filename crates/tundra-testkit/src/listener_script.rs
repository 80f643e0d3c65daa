//! Packet scripts against a whole [`Endpoint`] with one listener, for what only the
//! endpoint decides: its SYN and accept queues, and SYN cookies (RFC 4987 §3.6).
//!
//! The format is [`crate::script`]'s, with these differences:
//! - segments travel as bytes with real checksums through [`Endpoint::receive`] and
//!   [`Endpoint::poll_transmit`]; the peer is [`REMOTE`], we listen on [`LOCAL`];
//! - our ISS is not known in advance (a cookie is a hash): the first SYN we send to the
//!   peer sets it, so its sequence number is relative 0 by definition (write `0:0(0)`);
//! - our TSval is not known either (a per-connection offset, and a cookie's option
//!   bits): write `TS val * ecr N` on `>` lines, and `ecr *` on `<` lines echoes the
//!   last TSval we sent;
//! - segments we send to anyone but the peer (the SYN-ACKs of `fill`) are not checked.
//!
//! Extra lines:
//!
//! | line | meaning |
//! |---|---|
//! | `fill N` | N SYNs from N new peers (10.0.1.x), as a flood would send them |
//! | `accept` | the listener's accept queue yields the peer's connection |
//! | `state NAME` | the state of the peer's connection, `none` if the endpoint has none |
//! | `counter NAME N` | a [`tundra_tcp::TcpCounters`] counter, e.g. `counter syncookies_sent 1` |
//! | `connections N` | the endpoint holds N connections (every state) |
//!
//! After `accept`, `send`, `recv`, `check` work on the accepted connection as in
//! [`crate::script`].

use core::fmt::Write as _;
use core::net::Ipv4Addr;
use std::collections::VecDeque;

use tundra_core::Instant;
use tundra_tcp::{
    emit_segment, ChecksumMode, ConnHandle, Endpoint, EndpointConfig, ListenConfig, ListenerHandle,
    SeqNumber, TcpCounters, TcpFlags, TcpOptions, TcpPacket, TcpRepr, TcpTimestamp,
};

use crate::script::{
    check_conn, fmt_time, inbound_with, local_byte, matches_expected_with, rel, remote_byte,
    run_script, show_expected, show_with, Num, ScriptRunner, ScriptSegment, Step, LOCAL, REMOTE,
    REMOTE_ISS,
};

/// An endpoint with one listener under test, and its virtual clock.
pub struct ListenerScript {
    /// The endpoint (public so a test can inspect anything the script can't).
    pub ep: Endpoint,
    /// The listener on [`LOCAL`].
    pub listener: ListenerHandle,
    /// The virtual clock.
    pub now: Instant,
    /// Our ISS as learned from our first SYN to the peer (see the module doc).
    local_iss: Option<u32>,
    last_tsval: u32,
    accepted: Option<ConnHandle>,
    /// Segments we sent to the peer, not yet matched by a `>` line.
    pending: VecDeque<Vec<u8>>,
    /// Segments we sent to other addresses.
    others: usize,
    fill_peers: u32,
    sent: usize,
    read: usize,
    line_time: Instant,
    log: String,
}

impl ListenerScript {
    /// An endpoint (seed 1) listening on [`LOCAL`] with `listen`.
    pub fn new(config: EndpointConfig, listen: ListenConfig) -> ListenerScript {
        let mut ep = Endpoint::new(config, 1);
        let listener = ep.listen_with(LOCAL, listen).expect("listen");
        ListenerScript {
            ep,
            listener,
            now: Instant::ZERO,
            local_iss: None,
            last_tsval: 0,
            accepted: None,
            pending: VecDeque::new(),
            others: 0,
            fill_peers: 0,
            sent: 0,
            read: 0,
            line_time: Instant::ZERO,
            log: String::new(),
        }
    }

    /// Segments we sent to addresses other than the peer's.
    pub fn others(&self) -> usize {
        self.others
    }

    /// The peer's accepted connection, once an `accept` line ran.
    pub fn accepted(&self) -> Option<ConnHandle> {
        self.accepted
    }

    /// Runs the lines of `script`; panics on the first line that does not hold, with
    /// the conversation so far.
    #[track_caller]
    pub fn run(&mut self, script: &str) {
        run_script(self, script);
    }

    fn iss(&self) -> u32 {
        self.local_iss.unwrap_or(0)
    }

    fn exec(&mut self, time: Instant, step: &Step) -> Result<(), String> {
        let quiet_first = matches!(step, Step::In(_) | Step::Nothing | Step::Fill(_));
        self.advance(time)?;
        self.ep.handle_timeout(self.now);
        if quiet_first {
            self.expect_quiet()?;
        }
        match step {
            Step::In(s) => self.inject(s),
            Step::Out(expected) => self.expect_out(expected)?,
            Step::Nothing => {}
            Step::Fill(n) => {
                for _ in 0..*n {
                    self.fill_peers += 1;
                    let k = self.fill_peers;
                    let src = Ipv4Addr::new(10, 0, 1 + (k / 250) as u8, (k % 250) as u8 + 1);
                    let syn = syn_from(k);
                    let bytes = emit_segment(&syn, src, *LOCAL.ip());
                    self.ep.receive(self.now, src, *LOCAL.ip(), &bytes);
                }
                let _ = writeln!(self.log, "{} fill({n})", fmt_time(self.now));
                self.collect();
            }
            Step::Accept => {
                let h = self
                    .ep
                    .accept(self.listener)
                    .ok_or("accept: the accept queue is empty")?;
                let remote = self.ep.connection(h).map(|c| c.remote());
                if remote != Some(REMOTE) {
                    return Err(format!("accept: got a connection from {remote:?}"));
                }
                let _ = writeln!(self.log, "{} accept()", fmt_time(self.now));
                self.accepted = Some(h);
            }
            Step::State(want) => {
                let actual = self
                    .ep
                    .sockets()
                    .iter()
                    .find(|r| r.handle.is_some() && r.remote == REMOTE && r.local == LOCAL)
                    .map_or("none".to_string(), |r| r.state.to_string());
                if &actual != want {
                    return Err(format!("expected state {want}, actual {actual}"));
                }
            }
            Step::Counter(name, want) => {
                let actual = counter(&self.ep.counters(), name)?;
                if actual != *want {
                    return Err(format!("counter {name}: expected {want}, actual {actual}"));
                }
            }
            Step::Connections(want) => {
                let actual = self.ep.connection_count();
                if actual != *want {
                    return Err(format!("connections: expected {want}, actual {actual}"));
                }
            }
            Step::Send(n, accept) => {
                let data: Vec<u8> = (0..*n).map(|i| local_byte(self.sent + i)).collect();
                let want = accept.unwrap_or(*n);
                let conn = self.conn_mut()?;
                match conn.send(&data) {
                    Ok(k) if k == want => self.sent += k,
                    other => {
                        return Err(format!(
                            "send({n}): expected {want} accepted, got {other:?}"
                        ))
                    }
                }
                let _ = writeln!(self.log, "{} send({n})", fmt_time(self.now));
            }
            Step::Recv(n) => {
                let mut buf = vec![0u8; *n];
                let conn = self.conn_mut()?;
                let mut got = 0;
                while got < *n {
                    match conn.recv(&mut buf[got..]) {
                        Ok(0) => break,
                        Ok(k) => got += k,
                        Err(e) => return Err(format!("recv({n}) after {got} bytes: {e:?}")),
                    }
                }
                if got != *n {
                    return Err(format!("recv({n}): only {got} bytes"));
                }
                for (i, b) in buf.iter().enumerate() {
                    if *b != remote_byte(self.read + i) {
                        return Err(format!("received byte {} is wrong", self.read + i));
                    }
                }
                self.read += n;
                let _ = writeln!(self.log, "{} recv({n})", fmt_time(self.now));
            }
            Step::Check(what, value) => {
                let h = self.accepted.ok_or("check: nothing accepted yet")?;
                let conn = self.ep.connection(h).ok_or("check: connection gone")?;
                check_conn(conn, what, value)?;
            }
            other => return Err(format!("not a listener-script line: {other:?}")),
        }
        Ok(())
    }

    fn conn_mut(&mut self) -> Result<&mut tundra_tcp::Connection, String> {
        let h = self.accepted.ok_or("nothing accepted yet")?;
        self.ep
            .connection_mut(h)
            .ok_or_else(|| "the accepted connection is gone".to_string())
    }

    fn inject(&mut self, s: &ScriptSegment) {
        let payload: Vec<u8> = (0..s.len)
            .map(|i| {
                remote_byte((rel(s.start) as usize + s.flags.syn as usize + i).wrapping_sub(1))
            })
            .collect();
        let mut repr = inbound_with(s, self.iss());
        repr.payload = &payload;
        // `ecr *` echoes the last TSval we sent.
        if let (Some(o), Some(ts)) = (&s.options, repr.options.timestamp.as_mut()) {
            if matches!(o.ts, Some((_, Num::Any))) {
                ts.tsecr = self.last_tsval;
            }
        }
        let _ = writeln!(
            self.log,
            "{} < {}",
            fmt_time(self.now),
            show_with(&repr, false, self.iss())
        );
        let bytes = emit_segment(&repr, *REMOTE.ip(), *LOCAL.ip());
        self.ep.receive(self.now, *REMOTE.ip(), *LOCAL.ip(), &bytes);
    }

    fn expect_out(&mut self, expected: &ScriptSegment) -> Result<(), String> {
        self.collect();
        let now = self.now;
        let Some(bytes) = self.pending.pop_front() else {
            return Err(format!(
                "expected: > {}\nactual:   nothing sent at {}",
                show_expected(expected),
                fmt_time(now)
            ));
        };
        let repr = parse(&bytes)?;
        if repr.flags.syn && self.local_iss.is_none() {
            self.local_iss = Some(repr.seq_number.0);
        }
        if let Some(ts) = repr.options.timestamp {
            self.last_tsval = ts.tsval;
        }
        let shown = show_with(&repr, true, self.iss());
        let _ = writeln!(self.log, "{} > {}", fmt_time(now), shown);
        if let Err(why) = matches_expected_with(expected, &repr, self.iss()) {
            return Err(format!(
                "expected: > {}\nactual:   > {}\n({why})",
                show_expected(expected),
                shown
            ));
        }
        let base = (repr.seq_number.0.wrapping_sub(self.iss()) as usize).wrapping_sub(1);
        for (i, b) in repr.payload.iter().enumerate() {
            if *b != local_byte(base + i) {
                return Err(format!("payload byte {} is wrong", base + i));
            }
        }
        Ok(())
    }

    /// Takes what the endpoint sends now: the peer's segments wait for `>` lines.
    fn collect(&mut self) {
        let (pending, others) = (&mut self.pending, &mut self.others);
        self.ep.poll_transmit(self.now, |_src, dst, bytes| {
            if dst == *REMOTE.ip() {
                pending.push_back(bytes.to_vec());
            } else {
                *others += 1;
            }
        });
    }

    fn advance(&mut self, time: Instant) -> Result<(), String> {
        if time < self.now {
            return Err(format!("time goes backwards to {}", fmt_time(time)));
        }
        loop {
            if self.now < time {
                self.expect_quiet()?;
            }
            match self.ep.poll_at() {
                Some(t) if t > self.now && t < time => self.now = t,
                _ => break,
            }
        }
        self.now = time;
        Ok(())
    }

    fn expect_quiet(&mut self) -> Result<(), String> {
        self.collect();
        if let Some(bytes) = self.pending.pop_front() {
            let repr = parse(&bytes)?;
            let shown = show_with(&repr, true, self.iss());
            let _ = writeln!(self.log, "{} > {}", fmt_time(self.now), shown);
            return Err(format!(
                "unexpected segment at {}: > {}",
                fmt_time(self.now),
                shown
            ));
        }
        Ok(())
    }
}

/// A flood SYN from fill peer `k`: timestamps, SACK and window scaling, as Linux sends.
fn syn_from(k: u32) -> TcpRepr<'static> {
    TcpRepr {
        src_port: 1024 + (k % 60000) as u16,
        dst_port: LOCAL.port(),
        seq_number: SeqNumber(REMOTE_ISS.wrapping_add(k.wrapping_mul(0x9e37_79b9))),
        ack_number: None,
        flags: TcpFlags {
            syn: true,
            ..TcpFlags::default()
        },
        window_len: 0xffff,
        urgent_pointer: 0,
        options: TcpOptions {
            mss: Some(1460),
            window_scale: Some(7),
            sack_permitted: true,
            timestamp: Some(TcpTimestamp { tsval: k, tsecr: 0 }),
            ..TcpOptions::default()
        },
        payload: &[],
    }
}

fn parse(bytes: &[u8]) -> Result<TcpRepr<'_>, String> {
    let packet = TcpPacket::new_checked(bytes).map_err(|e| format!("we sent garbage: {e}"))?;
    TcpRepr::parse(&packet, *LOCAL.ip(), *REMOTE.ip(), ChecksumMode::Verify)
        .map_err(|e| format!("we sent garbage: {e}"))
}

fn counter(c: &TcpCounters, name: &str) -> Result<u64, String> {
    Ok(match name {
        "syncookies_sent" => c.syncookies_sent,
        "syncookies_recv" => c.syncookies_recv,
        "syncookies_failed" => c.syncookies_failed,
        "syncookies_not_sent" => c.syncookies_not_sent,
        "syn_queue_overflow" => c.syn_queue_overflow,
        "accept_queue_overflow" => c.accept_queue_overflow,
        "connection_limit" => c.connection_limit,
        "listen_rst_sent" => c.listen_rst_sent,
        "passive_opens" => c.passive_opens,
        "established" => c.established,
        other => return Err(format!("unknown counter {other}")),
    })
}

impl ScriptRunner for ListenerScript {
    fn exec(&mut self, time: Instant, step: &Step) -> Result<(), String> {
        ListenerScript::exec(self, time, step)
    }
    fn expect_quiet(&mut self) -> Result<(), String> {
        ListenerScript::expect_quiet(self)
    }
    fn line_time_mut(&mut self) -> &mut Instant {
        &mut self.line_time
    }
    fn log(&self) -> &str {
        &self.log
    }
}
