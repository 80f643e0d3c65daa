//! One stack session: the interface and its demo services, built from the parameters
//! the command line sets, and driven one *turn* at a time.
//!
//! `tundra run` and `tundra replay` share all of it, so a replay rebuilds exactly the
//! stack that was recorded and drives it exactly as the live loop did:
//!
//! - [`StackParams`] is what the command line decides (medium, address, MAC, gateway,
//!   seed, MTU, services and their settings, the wall-clock time of time zero);
//!   [`StackParams::config`] turns it into a
//!   [`tundra_stack::Config`] through `Config::new`, so every default the code sets
//!   (TTL, ARP timers, queue lengths) comes from the code being tested, not from the
//!   recording.
//! - [`Session::turn`] is one step of the driver loop: rounds of "every waiting frame
//!   in, timers, every queued frame out, then the services" until nothing moves.
//! - With a timeline attached ([`Session::record_to`]), every turn is written as one
//!   JSON line: when it ran and, round by round, which frames it read and wrote. That
//!   file, next to the pcap, is what makes a capture replayable (docs/replay.md).

use std::io::Write;

use serde::{Deserialize, Serialize};
use tundra_core::Instant;
use tundra_ip::{Ipv4Addr, Ipv4Cidr};
use tundra_link::EthernetAddress;
use tundra_stack::{Config, Device, Interface, Medium};

use crate::services::{http, Services};

/// Rounds of (interface, services) per loop turn before the loop checks the clock and
/// the device again; bounds the work one turn can do.
pub const MAX_ROUNDS_PER_TURN: usize = 64;

/// The version of the timeline format written by [`Session::record_to`].
pub const TIMELINE_VERSION: u32 = 1;

/// Which demo services a session runs. Only one set exists today; the field is in the
/// timeline so that a future choice of services is recorded too.
pub const DEFAULT_SERVICES: &str = "demo";

/// What the command line decides about a stack: everything a replay needs to build the
/// same one. Addresses are kept as text, as a user writes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackParams {
    /// `"ip"` (TUN) or `"ethernet"` (TAP).
    pub medium: String,
    /// Our address and prefix, e.g. `10.0.0.2/24`.
    pub address: String,
    /// Our MAC address (used on Ethernet).
    pub mac: String,
    /// The default gateway, if any.
    pub gateway: Option<String>,
    /// The seed of the stack's RNG.
    pub seed: u64,
    /// The largest IP packet the device carries.
    pub mtu: usize,
    /// Which services run ([`DEFAULT_SERVICES`]).
    pub services: String,
    /// Microseconds since the Unix epoch at the stack's time zero: the pcap's
    /// timestamps are this plus `now`, and the services that tell the time (UDP
    /// daytime and time, HTTP `Date`) answer from it.
    pub time_base_us: u64,
    /// The directory the web server serves under `/docs/` (`--www`), if any. A replay
    /// reads the same files, so goldens with HTTP should serve none or `testdata/`.
    #[serde(default)]
    pub www: Option<String>,
    /// The web server's request-head timeout (`--http-header-timeout`), in
    /// microseconds; `None` for its default.
    #[serde(default)]
    pub http_header_timeout_us: Option<u64>,
    /// The web server's keep-alive idle timeout (`--http-idle-timeout`), in
    /// microseconds; `None` for its default.
    #[serde(default)]
    pub http_idle_timeout_us: Option<u64>,
}

/// A parameter that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad {what} {value:?}: {reason}")]
pub struct ParamError {
    /// Which parameter.
    pub what: &'static str,
    /// Its text.
    pub value: String,
    /// Why it is wrong.
    pub reason: String,
}

fn parse<T: std::str::FromStr>(what: &'static str, value: &str) -> Result<T, ParamError>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e: T::Err| ParamError {
        what,
        value: value.to_string(),
        reason: e.to_string(),
    })
}

impl StackParams {
    /// The medium's name in [`StackParams::medium`].
    pub fn medium_name(medium: Medium) -> &'static str {
        match medium {
            Medium::Ip => "ip",
            Medium::Ethernet => "ethernet",
        }
    }

    /// The medium.
    pub fn medium(&self) -> Result<Medium, ParamError> {
        match self.medium.as_str() {
            "ip" => Ok(Medium::Ip),
            "ethernet" => Ok(Medium::Ethernet),
            other => Err(ParamError {
                what: "medium",
                value: other.to_string(),
                reason: "expected \"ip\" or \"ethernet\"".to_string(),
            }),
        }
    }

    /// The interface configuration: `Config::new` with what the command line sets.
    pub fn config(&self) -> Result<Config, ParamError> {
        let address: Ipv4Cidr = parse("address", &self.address)?;
        let mut config = Config::new(self.medium()?, address);
        config.mac = parse::<EthernetAddress>("MAC address", &self.mac)?;
        config.gateway = self
            .gateway
            .as_deref()
            .map(|g| parse::<Ipv4Addr>("gateway", g))
            .transpose()?;
        config.seed = self.seed;
        if self.services != DEFAULT_SERVICES {
            return Err(ParamError {
                what: "services",
                value: self.services.clone(),
                reason: format!("only {DEFAULT_SERVICES:?} exists"),
            });
        }
        Ok(config)
    }

    /// The web server's configuration: `--www`, the head timeout, and a wall clock
    /// from [`StackParams::time_base_us`] for `Date`.
    pub fn http_config(&self) -> http::HttpConfig {
        let mut config = http::HttpConfig {
            www: self.www.as_ref().map(std::path::PathBuf::from),
            wall_clock: Some(tundra_http::WallClock {
                at: Instant::ZERO,
                unix_secs: self.time_base_us / 1_000_000,
            }),
            ..http::HttpConfig::default()
        };
        if let Some(us) = self.http_header_timeout_us {
            config.header_timeout = tundra_core::Duration::from_micros(us);
        }
        if let Some(us) = self.http_idle_timeout_us {
            config.idle_timeout = tundra_core::Duration::from_micros(us);
        }
        config
    }
}

/// One turn of the timeline: when it ran and what each of its rounds read and wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    /// The stack's time of the turn, in microseconds.
    pub at: i64,
    /// The rounds, in order (at least one).
    pub rounds: Vec<Round>,
}

/// One round of a turn: the frames read from the device (until it had none) and the
/// frames written to it, as indexes of records in the pcap.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    /// Records received, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rx: Vec<u64>,
    /// Records transmitted, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tx: Vec<u64>,
}

/// The first line of a timeline: the format version and the stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineHeader {
    /// [`TIMELINE_VERSION`].
    pub tundra_replay: u32,
    /// The stack.
    #[serde(flatten)]
    pub params: StackParams,
}

/// The interface and its services, driven a turn at a time.
pub struct Session {
    /// The interface.
    pub iface: Interface,
    /// The demo services on it.
    pub services: Services,
    timeline: Option<Box<dyn Write>>,
    timeline_failed: bool,
    records: u64,
    buf: Vec<u8>,
    /// The rounds of the current turn, kept between turns so that a turn allocates
    /// nothing (their `rx` and `tx` lists are cleared, not freed).
    rounds: Vec<Round>,
    /// The last turn stopped at [`MAX_ROUNDS_PER_TURN`] with work still moving.
    unfinished: bool,
}

/// A turn as written to the timeline, borrowing the session's rounds: serializes
/// exactly as [`Turn`].
#[derive(Serialize)]
struct TurnLine<'a> {
    at: i64,
    rounds: &'a [Round],
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("iface", &self.iface)
            .field("services", &self.services)
            .field("recording", &self.timeline.is_some())
            .field("records", &self.records)
            .finish()
    }
}

impl Session {
    /// Builds the interface from `params` and starts the services on it, configured
    /// from `params` too: the one constructor of `tundra run` and `tundra replay`.
    pub fn new(params: &StackParams) -> Result<Session, ParamError> {
        let mut iface = Interface::new(params.config()?, params.mtu);
        let mut services = Services::start(&mut iface);
        services.set_time_base(params.time_base_us);
        services.configure_http(params.http_config());
        Ok(Session {
            iface,
            services,
            timeline: None,
            timeline_failed: false,
            records: 0,
            buf: vec![0; 65_536 + 14],
            rounds: Vec::new(),
            unfinished: false,
        })
    }

    /// Writes the timeline of every following turn to `sink`, starting with its header.
    /// The pcap that goes with it must record every frame the device moves, from now on.
    pub fn record_to(
        &mut self,
        mut sink: Box<dyn Write>,
        header: &TimelineHeader,
    ) -> std::io::Result<()> {
        serde_json::to_writer(&mut sink, header)?;
        sink.write_all(b"\n")?;
        self.timeline = Some(sink);
        Ok(())
    }

    /// Flushes the timeline (with the pcap, so a reader sees both up to the same turn).
    pub fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.timeline {
            Some(sink) => sink.flush(),
            None => Ok(()),
        }
    }

    /// One driver turn at `now`: rounds of every waiting frame in (each followed at
    /// once by what it answered directly), the timers, every queued frame out, then
    /// the services; repeated while either side made progress
    /// (so an echo goes out in the same turn its request came in), at most
    /// [`MAX_ROUNDS_PER_TURN`] times. Returns true if anything moved.
    pub fn turn<D: Device + ?Sized>(&mut self, now: Instant, dev: &mut D) -> bool {
        let mut any = false;
        let mut buf = std::mem::take(&mut self.buf);
        let mut rounds = std::mem::take(&mut self.rounds);
        let mut used = 0;
        self.unfinished = true;
        // The TCP segments of this turn go to `dev`: leave their checksums to it if
        // it completes them (a TUN device with offloads).
        self.iface
            .set_tx_checksum_offload(dev.tx_checksum_offload());
        for _ in 0..MAX_ROUNDS_PER_TURN {
            if used == rounds.len() {
                rounds.push(Round::default());
            }
            let round = &mut rounds[used];
            used += 1;
            round.rx.clear();
            round.tx.clear();
            while let Some((n, checksum)) = dev.receive_vouched(now, &mut buf) {
                round.rx.push(self.records);
                self.records += 1;
                self.iface.receive_with(now, &buf[..n], checksum);
                // What the frame answered at once (an echo or ARP reply, an ICMP
                // error) leaves before the next read: the next read is usually the
                // empty one, and a ping's reply should not wait for it.
                if self.send_queued(now, dev, round) {
                    dev.flush_transmit(now);
                }
            }
            self.iface.poll(now);
            self.send_queued(now, dev, round);
            dev.flush_transmit(now);
            let moved = !round.rx.is_empty() || !round.tx.is_empty();
            let worked = self.services.poll(now, &mut self.iface);
            any |= moved || worked;
            if !moved && !worked {
                self.unfinished = false;
                break;
            }
        }
        self.buf = buf;
        self.write_turn(&TurnLine {
            at: now.total_micros(),
            rounds: &rounds[..used],
        });
        self.rounds = rounds;
        any
    }

    /// Hands every frame the interface has queued to `dev`, recording each in
    /// `round`, and gives the buffers back to the interface. True if any went out.
    fn send_queued<D: Device + ?Sized>(
        &mut self,
        now: Instant,
        dev: &mut D,
        round: &mut Round,
    ) -> bool {
        let mut sent = false;
        while let Some(frame) = self.iface.dequeue() {
            round.tx.push(self.records);
            self.records += 1;
            dev.transmit(now, &frame);
            self.iface.recycle(frame);
            sent = true;
        }
        sent
    }

    /// True if the last [`Session::turn`] ran out of rounds while frames or services
    /// were still moving: what the services last wrote may not have gone out, and no
    /// frame or timer is bound to come and say so. The driver turns again at once
    /// instead of waiting.
    pub fn unfinished(&self) -> bool {
        self.unfinished
    }

    /// When the interface or a service next has timer work.
    pub fn poll_at(&self) -> Option<Instant> {
        [self.iface.poll_at(), self.services.poll_at()]
            .into_iter()
            .flatten()
            .min()
    }

    fn write_turn(&mut self, turn: &TurnLine<'_>) {
        let Some(sink) = &mut self.timeline else {
            return;
        };
        if self.timeline_failed {
            return;
        }
        let result = serde_json::to_writer(&mut *sink, turn)
            .map_err(std::io::Error::from)
            .and_then(|()| sink.write_all(b"\n"));
        if let Err(e) = result {
            // Like the pcap tap: a full disk must not stop the stack.
            log::error!("timeline: write failed, recording stopped: {e}");
            self.timeline_failed = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> StackParams {
        StackParams {
            medium: "ethernet".to_string(),
            address: "10.0.0.2/24".to_string(),
            mac: "02:00:00:00:00:02".to_string(),
            gateway: Some("10.0.0.1".to_string()),
            seed: 1,
            mtu: 1500,
            services: DEFAULT_SERVICES.to_string(),
            time_base_us: 1_795_749_377_053_740,
            www: None,
            http_header_timeout_us: None,
            http_idle_timeout_us: None,
        }
    }

    /// The timeline's first line is one flat JSON object (docs/replay.md), and a line
    /// written before `www` and the head timeout existed still reads.
    #[test]
    fn header_line_is_flat_json_and_reads_back() {
        let header = TimelineHeader {
            tundra_replay: TIMELINE_VERSION,
            params: params(),
        };
        let line = serde_json::to_string(&header).unwrap();
        assert_eq!(
            line,
            "{\"tundra_replay\":1,\"medium\":\"ethernet\",\"address\":\"10.0.0.2/24\",\
             \"mac\":\"02:00:00:00:00:02\",\"gateway\":\"10.0.0.1\",\"seed\":1,\"mtu\":1500,\
             \"services\":\"demo\",\"time_base_us\":1795749377053740,\"www\":null,\
             \"http_header_timeout_us\":null,\"http_idle_timeout_us\":null}"
        );
        assert_eq!(
            serde_json::from_str::<TimelineHeader>(&line).unwrap(),
            header
        );
        let old = "{\"tundra_replay\":1,\"medium\":\"ip\",\"address\":\"10.0.0.2/24\",\
                   \"mac\":\"02:00:00:00:00:02\",\"gateway\":null,\"seed\":1,\"mtu\":1500,\
                   \"services\":\"demo\",\"time_base_us\":7}";
        let old: TimelineHeader = serde_json::from_str(old).unwrap();
        assert_eq!(
            (
                old.params.www,
                old.params.http_header_timeout_us,
                old.params.http_idle_timeout_us
            ),
            (None, None, None)
        );
    }

    /// A device with a frame waiting at every other read: each round of a turn reads
    /// one, so a turn only ends at the round limit.
    struct Trickle {
        reads: usize,
        frames: usize,
    }

    impl Device for Trickle {
        fn medium(&self) -> tundra_stack::Medium {
            tundra_stack::Medium::Ip
        }
        fn mtu(&self) -> usize {
            1500
        }
        fn receive(&mut self, _now: Instant, buf: &mut [u8]) -> Option<usize> {
            self.reads += 1;
            if self.frames == 0 || self.reads.is_multiple_of(2) {
                return None;
            }
            self.frames -= 1;
            // Not IPv4: counted and dropped, but it moved.
            buf[0] = 0x00;
            Some(1)
        }
        fn transmit(&mut self, _now: Instant, _frame: &[u8]) {}
    }

    /// A turn cut short by the round limit says so, and the next one that runs out
    /// of work does not: the driver must not sleep on a turn that stopped early.
    #[test]
    fn a_turn_cut_at_the_round_limit_is_unfinished() {
        let mut session = Session::new(&StackParams {
            medium: "ip".to_string(),
            ..params()
        })
        .unwrap();
        let mut dev = Trickle {
            reads: 0,
            frames: 10 * MAX_ROUNDS_PER_TURN,
        };
        assert!(session.turn(Instant::ZERO, &mut dev));
        assert!(
            session.unfinished(),
            "{} rounds, still moving",
            MAX_ROUNDS_PER_TURN
        );
        let mut quiet = Trickle {
            reads: 0,
            frames: 1,
        };
        session.turn(Instant::ZERO, &mut quiet);
        assert!(!session.unfinished());
    }

    /// Empty rounds are written as `{}`, so idle turns cost a few bytes.
    #[test]
    fn idle_turns_are_short() {
        let turn = Turn {
            at: 200_200,
            rounds: vec![Round::default()],
        };
        assert_eq!(
            serde_json::to_string(&turn).unwrap(),
            "{\"at\":200200,\"rounds\":[{}]}"
        );
    }

    /// The borrowed line `turn` writes reads back as the [`Turn`] it stands for.
    #[test]
    fn a_written_turn_reads_back_as_a_turn() {
        let rounds = [
            Round {
                rx: vec![1],
                tx: vec![2],
            },
            Round::default(),
        ];
        let line = serde_json::to_string(&TurnLine {
            at: 77_162,
            rounds: &rounds,
        })
        .unwrap();
        assert_eq!(
            line,
            "{\"at\":77162,\"rounds\":[{\"rx\":[1],\"tx\":[2]},{}]}"
        );
        let turn: Turn = serde_json::from_str(&line).unwrap();
        assert_eq!((turn.at, turn.rounds.as_slice()), (77_162, &rounds[..]));
    }

    /// The configuration comes from `Config::new` plus what the command line sets.
    #[test]
    fn config_is_config_new_with_the_command_line_applied() {
        let config = params().config().unwrap();
        let defaults = Config::new(Medium::Ethernet, "10.0.0.2/24".parse().unwrap());
        assert_eq!(config.medium, Medium::Ethernet);
        assert_eq!(config.gateway, Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(config.seed, 1);
        assert_eq!(config.ttl, defaults.ttl);
    }

    #[test]
    fn bad_parameters_are_named() {
        let bad = StackParams {
            medium: "token-ring".to_string(),
            ..params()
        };
        assert_eq!(bad.config().unwrap_err().what, "medium");
        let bad = StackParams {
            mac: "02:00".to_string(),
            ..params()
        };
        assert_eq!(bad.config().unwrap_err().what, "MAC address");
        let bad = StackParams {
            services: "none".to_string(),
            ..params()
        };
        assert_eq!(bad.config().unwrap_err().what, "services");
    }
}
