//! The classic UDP test services, on our own UDP sockets: echo (RFC 862, port 7),
//! daytime (RFC 867, port 13), quote of the day (RFC 865, port 17) and time (RFC 868,
//! port 37). Each answers every datagram with one datagram, to the sender.
//!
//! - **echo** sends the data back unchanged: `nc -u 10.0.0.2 7`.
//! - **daytime** answers with the date and time in UTC, human readable:
//!   `Thursday, January 1, 1970 00:00:00-UTC`.
//! - **qotd** answers with a short quote (under 512 characters, RFC 865), a different
//!   one each time.
//! - **time** answers with 4 bytes: seconds since 1900-01-01 00:00 UTC, big-endian
//!   (`rdate -u`).
//!
//! Wall-clock time is the one thing here a protocol crate could not do: the services
//! compute it as a *time base* (the Unix time of the stack's `Instant::ZERO`) plus
//! `now`. [`UdpServices::start`] reads the base from the OS clock once; a replay sets
//! the recorded one with [`UdpServices::set_time_base`], so the answers are the same.
//!
//! Datagrams from the ports of these services, or from port 0, get no answer: two echo
//! services pointed at each other by one forged datagram would otherwise bounce it
//! forever (the "UDP port loop" of CERT CA-1996-01).

use std::time::{SystemTime, UNIX_EPOCH};

use tundra_core::Instant;
use tundra_stack::Interface;
use tundra_udp::{RecvError, UdpHandle};

/// Datagrams read per socket per poll, so one busy service cannot starve the others.
const BATCH: usize = 64;

/// Seconds from 1900-01-01 to 1970-01-01 (RFC 868: "the time 2,208,988,800
/// corresponds to 00:00 1 Jan 1970 GMT").
const RFC868_UNIX_OFFSET: u64 = 2_208_988_800;

/// Source ports we never answer (see the module documentation): our own services and
/// chargen (19).
const LOOP_PORTS: [u16; 6] = [0, 7, 13, 17, 19, 37];

/// A few lines from the RFCs this stack implements, for RFC 865.
const QUOTES: [&str; 6] = [
    "Be conservative in what you do, be liberal in what you accept from others. -- RFC 793",
    "It has to work. -- RFC 1925, The Twelve Networking Truths",
    "No matter how hard you push and no matter what the priority, you can't increase the speed of light. -- RFC 1925",
    "It is always possible to add another level of indirection. -- RFC 1925",
    "An all zero transmitted checksum value means that the transmitter generated no checksum. -- RFC 768",
    "If fragment zero is not available then no time exceeded need be sent at all. -- RFC 792",
];

/// What each port does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Echo,
    Daytime,
    Qotd,
    Time,
}

impl Kind {
    const ALL: [(Kind, u16); 4] = [
        (Kind::Echo, 7),
        (Kind::Daytime, 13),
        (Kind::Qotd, 17),
        (Kind::Time, 37),
    ];
}

/// The UDP demo services of one stack.
#[derive(Debug)]
pub struct UdpServices {
    sockets: Vec<(Kind, UdpHandle)>,
    time_base_us: u64,
    next_quote: usize,
}

impl UdpServices {
    /// Binds the services' ports on `iface` (a port already taken is skipped with a
    /// warning) and reads the wall clock once for the time base.
    pub fn start(iface: &mut Interface) -> UdpServices {
        let mut sockets = Vec::new();
        for (kind, port) in Kind::ALL {
            match iface.udp_bind(port) {
                Ok(handle) => sockets.push((kind, handle)),
                Err(e) => log::warn!("udp service {kind:?} on port {port}: {e}"),
            }
        }
        // The stack's clock starts at zero when the driver starts, just before the
        // services: this is (to a few ms) the Unix time of Instant::ZERO.
        let time_base_us = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(0);
        UdpServices {
            sockets,
            time_base_us,
            next_quote: 0,
        }
    }

    /// Sets the Unix time (in microseconds) of the stack's `Instant::ZERO`: a replay
    /// passes the recorded one so that daytime and time answer as they did.
    pub fn set_time_base(&mut self, unix_micros: u64) {
        self.time_base_us = unix_micros;
    }

    /// Answers every waiting datagram. Returns true if any was read.
    pub fn poll(&mut self, now: Instant, iface: &mut Interface) -> bool {
        let mut worked = false;
        for i in 0..self.sockets.len() {
            let (kind, handle) = self.sockets[i];
            for _ in 0..BATCH {
                let datagram = match iface.udp_recv_from(handle) {
                    Ok(d) => d,
                    Err(RecvError::Exhausted) => break,
                    Err(e) => {
                        // An ICMP error about an answer we sent: the asker went away.
                        log::debug!("udp {kind:?}: {e}");
                        continue;
                    }
                };
                worked = true;
                if LOOP_PORTS.contains(&datagram.from.port()) {
                    log::debug!("udp {kind:?}: not answering {}", datagram.from);
                    continue;
                }
                let unix_secs = self.unix_secs(now);
                let answer = match kind {
                    Kind::Echo => datagram.data,
                    Kind::Daytime => daytime(unix_secs).into_bytes(),
                    Kind::Qotd => {
                        let quote = QUOTES[self.next_quote % QUOTES.len()];
                        self.next_quote += 1;
                        format!("{quote}\r\n").into_bytes()
                    }
                    Kind::Time => rfc868_time(unix_secs).to_vec(),
                };
                if let Err(e) = iface.udp_send_to(now, handle, datagram.from, &answer) {
                    log::debug!("udp {kind:?}: answer to {} not sent: {e}", datagram.from);
                }
            }
        }
        worked
    }

    fn unix_secs(&self, now: Instant) -> u64 {
        (self.time_base_us + now.total_micros().max(0) as u64) / 1_000_000
    }
}

/// RFC 867's suggested syntax, "Weekday, Month Day, Year Time-Zone", in UTC.
fn daytime(unix_secs: u64) -> String {
    const WEEKDAYS: [&str; 7] = [
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
    ];
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let days = unix_secs / 86_400;
    let secs = unix_secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{}, {} {}, {} {:02}:{:02}:{:02}-UTC\r\n",
        WEEKDAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        day,
        year,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for days on or after the epoch): (year, month 1-12, day 1-31).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// RFC 868: "the time in seconds since midnight on January first 1900 GMT" as 32 bits,
/// big-endian. It wraps in 2036; the low 32 bits are what clients expect then too.
fn rfc868_time(unix_secs: u64) -> [u8; 4] {
    ((unix_secs + RFC868_UNIX_OFFSET) as u32).to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::SocketAddrV4;
    use tundra_ip::{ChecksumMode, IpProtocol, Ipv4Addr, Ipv4Packet, Ipv4Repr};
    use tundra_stack::{Config, Medium};
    use tundra_udp::{UdpPacket, UdpRepr};

    const KERNEL: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const STACK: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

    fn stack() -> Interface {
        Interface::new(
            Config::new(Medium::Ip, "10.0.0.2/24".parse().unwrap()),
            1500,
        )
    }

    /// Sends `data` from the kernel's `sport` to the stack's `dport`, lets the services
    /// answer, and returns the answers' (destination, data).
    fn ask(
        iface: &mut Interface,
        services: &mut UdpServices,
        sport: u16,
        dport: u16,
        data: &[u8],
    ) -> Vec<(SocketAddrV4, Vec<u8>)> {
        let udp = UdpRepr {
            src_port: sport,
            dst_port: dport,
            payload: data,
        };
        let ip = Ipv4Repr {
            src_addr: KERNEL,
            dst_addr: STACK,
            protocol: IpProtocol::Udp,
            payload_len: udp.buffer_len(),
            ttl: 64,
            ident: 1,
            dont_frag: true,
            more_frags: false,
            frag_offset: 0,
            dscp_ecn: 0,
        };
        let mut buf = vec![0u8; ip.total_len()];
        let mut packet = Ipv4Packet::new_unchecked(&mut buf[..]);
        ip.emit(&mut packet);
        udp.emit(
            &mut UdpPacket::new_unchecked(packet.payload_mut()),
            KERNEL,
            STACK,
        );
        let now = Instant::from_secs(1);
        iface.receive(now, &buf);
        services.poll(now, iface);
        std::iter::from_fn(|| iface.dequeue())
            .map(|frame| {
                let p = Ipv4Packet::new_checked(&frame[..]).unwrap();
                let h = Ipv4Repr::parse(&p, ChecksumMode::Verify).unwrap();
                let u = UdpPacket::new_checked(p.payload()).unwrap();
                let r = UdpRepr::parse(&u, h.src_addr, h.dst_addr, ChecksumMode::Verify).unwrap();
                assert_eq!(r.src_port, dport, "answered from the service's port");
                (
                    SocketAddrV4::new(h.dst_addr, r.dst_port),
                    r.payload.to_vec(),
                )
            })
            .collect()
    }

    fn services(iface: &mut Interface) -> UdpServices {
        let mut s = UdpServices::start(iface);
        // 2000-02-29 23:59:59 UTC, one second before Instant::from_secs(1).
        s.set_time_base(951_868_799 * 1_000_000);
        s
    }

    #[test]
    fn echo_returns_the_data_to_the_sender() {
        let mut iface = stack();
        let mut s = services(&mut iface);
        let answers = ask(&mut iface, &mut s, 40000, 7, b"hello\n");
        assert_eq!(
            answers,
            vec![(SocketAddrV4::new(KERNEL, 40000), b"hello\n".to_vec())]
        );
    }

    #[test]
    fn daytime_tells_the_date_in_utc() {
        let mut iface = stack();
        let mut s = services(&mut iface);
        let answers = ask(&mut iface, &mut s, 40000, 13, b"");
        assert_eq!(answers[0].1, b"Wednesday, March 1, 2000 00:00:00-UTC\r\n");
    }

    #[test]
    fn daytime_calendar() {
        assert_eq!(daytime(0), "Thursday, January 1, 1970 00:00:00-UTC\r\n");
        assert_eq!(
            daytime(951_782_400),
            "Tuesday, February 29, 2000 00:00:00-UTC\r\n"
        );
        assert_eq!(
            daytime(1_700_000_000),
            "Tuesday, November 14, 2023 22:13:20-UTC\r\n"
        );
    }

    /// RFC 868's own examples.
    #[test]
    fn rfc868_examples() {
        assert_eq!(u32::from_be_bytes(rfc868_time(0)), 2_208_988_800, "1970");
        // 00:00 1 Jan 1976, 1 Jan 1980 and 1 May 1983 GMT.
        assert_eq!(u32::from_be_bytes(rfc868_time(189_302_400)), 2_398_291_200);
        assert_eq!(u32::from_be_bytes(rfc868_time(315_532_800)), 2_524_521_600);
        assert_eq!(u32::from_be_bytes(rfc868_time(420_595_200)), 2_629_584_000);
    }

    #[test]
    fn time_answers_four_bytes() {
        let mut iface = stack();
        let mut s = services(&mut iface);
        let answers = ask(&mut iface, &mut s, 40000, 37, b"");
        assert_eq!(
            answers[0].1,
            (951_868_800u64 + 2_208_988_800).to_be_bytes()[4..]
        );
    }

    /// RFC 865: a quote under 512 characters; the next asker gets another one.
    #[test]
    fn qotd_rotates_short_quotes() {
        let mut iface = stack();
        let mut s = services(&mut iface);
        let first = ask(&mut iface, &mut s, 40000, 17, b"")[0].1.clone();
        let second = ask(&mut iface, &mut s, 40000, 17, b"anything")[0].1.clone();
        assert_ne!(first, second);
        for q in QUOTES {
            assert!(q.len() + 2 < 512, "{q}");
        }
    }

    /// CERT CA-1996-01: no answer to a service port, so two services cannot be made to
    /// bounce a datagram between them.
    #[test]
    fn no_answer_to_service_ports() {
        let mut iface = stack();
        let mut s = services(&mut iface);
        for sport in [0, 7, 13, 17, 19, 37] {
            assert!(
                ask(&mut iface, &mut s, sport, 7, b"loop?").is_empty(),
                "{sport}"
            );
        }
    }
}
