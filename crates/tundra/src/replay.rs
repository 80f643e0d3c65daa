//! Deterministic replay of a recorded session: the core of `tundra replay` and of the
//! golden tests (`crates/tundra/tests/replay_goldens.rs`).
//!
//! A recording is two files: `FILE.pcap`, every frame in and out as the stack saw it,
//! and `FILE.pcap.replay.json`, the timeline (format in docs/replay.md): the stack's
//! parameters, then one line per driver turn with its time and, round by round, which
//! pcap records were read and written.
//!
//! [`replay`] builds a fresh [`Session`] from the parameters (the same constructor as
//! `tundra run`, so the code under test sets every default), then for each recorded
//! turn calls [`Session::turn`] at the recorded time on a device that hands out the
//! recorded inbound frames round by round, and collects what the stack writes. Since
//! the stack is sans-IO and seeded, the same code gives the same frames, bit for bit,
//! at the same turns. [`Outcome`] lists every difference; its `Display` shows the first
//! one decoded field by field.

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

use pcap_file::pcap::PcapReader;
use tundra_core::Instant;
use tundra_stack::{Device, Medium};
use tundra_tun::PcapTap;

use crate::diff::{field_diff, summary};
use crate::session::{ParamError, Round, Session, TimelineHeader, Turn, TIMELINE_VERSION};

/// The timeline that goes with `pcap`: `FILE.pcap.replay.json`.
pub fn timeline_path(pcap: &Path) -> PathBuf {
    let mut name = pcap.as_os_str().to_owned();
    name.push(".replay.json");
    PathBuf::from(name)
}

/// Why a recording could not be replayed at all (as opposed to replaying with
/// differences, which is an [`Outcome`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// Which file.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The pcap could not be parsed.
    #[error("{path}: {message}")]
    Pcap {
        /// Which file.
        path: String,
        /// What pcap-file said.
        message: String,
    },
    /// The timeline is not what `tundra run --record` writes.
    #[error("{path}:{line}: {message}")]
    Timeline {
        /// Which file.
        path: String,
        /// The line (1-based).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The stack parameters in the timeline are invalid.
    #[error("stack parameters: {0}")]
    Params(#[from] ParamError),
}

/// A recording loaded into memory.
#[derive(Debug, Clone)]
pub struct Recording {
    /// The timeline's first line.
    pub header: TimelineHeader,
    /// Every turn, in order.
    pub turns: Vec<Turn>,
    /// Every pcap record's bytes, in order.
    pub frames: Vec<Vec<u8>>,
}

impl Recording {
    /// Loads `pcap` and its timeline (`FILE.pcap.replay.json`).
    pub fn load(pcap: &Path) -> Result<Recording, ReplayError> {
        let timeline = timeline_path(pcap);
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| ReplayError::Io {
                path: path.display().to_string(),
                source,
            })
        };
        Recording::from_bytes(
            &read(pcap)?,
            &pcap.display().to_string(),
            &read(&timeline)?,
            &timeline.display().to_string(),
        )
    }

    /// Parses a recording from the bytes of its pcap and its timeline (`*_name` are for
    /// error messages).
    pub fn from_bytes(
        pcap: &[u8],
        pcap_name: &str,
        timeline: &[u8],
        timeline_name: &str,
    ) -> Result<Recording, ReplayError> {
        let bad = |line: usize, message: String| ReplayError::Timeline {
            path: timeline_name.to_string(),
            line,
            message,
        };
        let mut lines = timeline.lines();
        let first = lines
            .next()
            .transpose()
            .map_err(|e| bad(1, e.to_string()))?
            .ok_or_else(|| bad(1, "empty timeline".to_string()))?;
        let header: TimelineHeader =
            serde_json::from_str(&first).map_err(|e| bad(1, e.to_string()))?;
        if header.tundra_replay != TIMELINE_VERSION {
            return Err(bad(
                1,
                format!(
                    "timeline version {} (this tundra reads {TIMELINE_VERSION})",
                    header.tundra_replay
                ),
            ));
        }
        let mut turns = Vec::new();
        for (i, line) in lines.enumerate() {
            let line = line.map_err(|e| bad(i + 2, e.to_string()))?;
            if line.trim().is_empty() {
                continue;
            }
            let turn: Turn = serde_json::from_str(&line).map_err(|e| bad(i + 2, e.to_string()))?;
            turns.push(turn);
        }

        let pcap_err = |e: pcap_file::PcapError| ReplayError::Pcap {
            path: pcap_name.to_string(),
            message: e.to_string(),
        };
        let mut reader = PcapReader::new(pcap).map_err(pcap_err)?;
        let medium = header.params.medium()?;
        let expected = tundra_tun::pcap::datalink(medium);
        if reader.header().datalink != expected {
            return Err(ReplayError::Pcap {
                path: pcap_name.to_string(),
                message: format!(
                    "link type {:?}, but the timeline says {:?} ({expected:?})",
                    reader.header().datalink,
                    medium
                ),
            });
        }
        let mut frames = Vec::new();
        while let Some(packet) = reader.next_packet() {
            frames.push(packet.map_err(pcap_err)?.data.into_owned());
        }
        let recording = Recording {
            header,
            turns,
            frames,
        };
        recording.check_indexes(timeline_name)?;
        Ok(recording)
    }

    /// Every record index in the timeline must name a pcap record, each exactly once.
    fn check_indexes(&self, path: &str) -> Result<(), ReplayError> {
        let mut seen = vec![false; self.frames.len()];
        for (i, turn) in self.turns.iter().enumerate() {
            for index in turn.rounds.iter().flat_map(|r| r.rx.iter().chain(&r.tx)) {
                match seen.get_mut(*index as usize) {
                    Some(s) if !*s => *s = true,
                    _ => {
                        return Err(ReplayError::Timeline {
                            path: path.to_string(),
                            line: i + 2,
                            message: format!(
                                "record {index} is not in the pcap ({} records) or is named twice",
                                self.frames.len()
                            ),
                        })
                    }
                }
            }
        }
        Ok(())
    }

    /// The medium of the recording.
    pub fn medium(&self) -> Result<Medium, ReplayError> {
        Ok(self.header.params.medium()?)
    }

    /// The outbound frames in the order they were sent, each with its turn.
    pub fn outbound(&self) -> Vec<Sent> {
        let mut out = Vec::new();
        for (turn_index, turn) in self.turns.iter().enumerate() {
            for round in &turn.rounds {
                for &index in &round.tx {
                    out.push(Sent {
                        turn: turn_index,
                        at: Instant::from_micros(turn.at),
                        record: Some(index as usize),
                        frame: self.frames[index as usize].clone(),
                    });
                }
            }
        }
        out
    }
}

/// One frame the stack wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The index of the turn that wrote it.
    pub turn: usize,
    /// The turn's time.
    pub at: Instant,
    /// Its record in the recorded pcap, for expected frames.
    pub record: Option<usize>,
    /// The bytes.
    pub frame: Vec<u8>,
}

/// One way the replay differed from the recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// Outbound frame `index` has other bytes than recorded.
    Frame {
        /// Position among the outbound frames (0-based).
        index: usize,
        /// What was recorded.
        expected: Sent,
        /// What the stack wrote now.
        actual: Sent,
    },
    /// Outbound frame `index` has the recorded bytes but went out in another turn.
    Timing {
        /// Position among the outbound frames (0-based).
        index: usize,
        /// What was recorded.
        expected: Sent,
        /// What the stack wrote now.
        actual: Sent,
    },
    /// The recording has a frame at `index` that the stack did not write.
    Missing {
        /// Position among the outbound frames (0-based).
        index: usize,
        /// What was recorded.
        expected: Sent,
    },
    /// The stack wrote a frame at `index` that the recording does not have.
    Extra {
        /// Position among the outbound frames (0-based).
        index: usize,
        /// What the stack wrote now.
        actual: Sent,
    },
    /// A turn ran a different number of rounds than recorded: the inbound frames of
    /// the rounds that did not run were not delivered.
    Rounds {
        /// The turn.
        turn: usize,
        /// Its time.
        at: Instant,
        /// Rounds in the recording.
        expected: usize,
        /// Rounds now.
        actual: usize,
    },
}

/// What a replay found.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The medium, for decoding frames.
    pub medium: Medium,
    /// Turns replayed.
    pub turns: usize,
    /// Inbound frames delivered.
    pub inbound: usize,
    /// Outbound frames recorded.
    pub expected_outbound: usize,
    /// Outbound frames the stack wrote.
    pub actual_outbound: usize,
    /// Every difference, in order.
    pub differences: Vec<Difference>,
    /// The replay itself as a recording (pcap bytes and timeline bytes), for `--update`.
    pub rerecorded: (Vec<u8>, Vec<u8>),
}

impl Outcome {
    /// True if every outbound frame matched, in bytes and in turn.
    pub fn matches(&self) -> bool {
        self.differences.is_empty()
    }
}

/// A device that hands out a turn's recorded inbound frames, round by round (one
/// `None` ends a round, as the live device's empty read did), and keeps what the stack
/// writes.
struct ReplayDevice<'a> {
    medium: Medium,
    mtu: usize,
    frames: &'a [Vec<u8>],
    rounds: &'a [Round],
    round: usize,
    next: usize,
    turn: usize,
    at: Instant,
    sent: Vec<Sent>,
    inbound: usize,
}

impl Device for ReplayDevice<'_> {
    fn medium(&self) -> Medium {
        self.medium
    }

    fn mtu(&self) -> usize {
        self.mtu
    }

    fn receive(&mut self, _now: Instant, buf: &mut [u8]) -> Option<usize> {
        let Some(round) = self.rounds.get(self.round) else {
            // A round the recording did not have: nothing arrives in it.
            self.round += 1;
            return None;
        };
        match round.rx.get(self.next) {
            Some(&index) => {
                self.next += 1;
                let frame = &self.frames[index as usize];
                let n = frame.len().min(buf.len());
                buf[..n].copy_from_slice(&frame[..n]);
                self.inbound += 1;
                Some(n)
            }
            None => {
                self.round += 1;
                self.next = 0;
                None
            }
        }
    }

    fn transmit(&mut self, _now: Instant, frame: &[u8]) {
        self.sent.push(Sent {
            turn: self.turn,
            at: self.at,
            record: None,
            frame: frame.to_vec(),
        });
    }
}

/// Replays `recording` on a fresh stack and compares every outbound frame.
pub fn replay(recording: &Recording) -> Result<Outcome, ReplayError> {
    let params = &recording.header.params;
    let medium = params.medium()?;
    let mut session = Session::new(params)?;
    // The replay records itself exactly as `tundra run --record` does, for --update.
    let timeline = SharedBuf::default();
    session
        .record_to(Box::new(timeline.clone()), &recording.header)
        .map_err(|source| ReplayError::Io {
            path: "(memory)".to_string(),
            source,
        })?;
    let device = ReplayDevice {
        medium,
        mtu: params.mtu,
        frames: &recording.frames,
        rounds: &[],
        round: 0,
        next: 0,
        turn: 0,
        at: Instant::ZERO,
        sent: Vec::new(),
        inbound: 0,
    };
    let time_base = std::time::Duration::from_micros(recording.header.params.time_base_us);
    let mut tap = PcapTap::new(device, Vec::new(), time_base).map_err(|e| ReplayError::Pcap {
        path: "(memory)".to_string(),
        message: e.to_string(),
    })?;
    let mut differences = Vec::new();
    for (index, turn) in recording.turns.iter().enumerate() {
        let at = Instant::from_micros(turn.at);
        {
            let dev = tap.inner_mut();
            dev.rounds = &turn.rounds;
            dev.round = 0;
            dev.next = 0;
            dev.turn = index;
            dev.at = at;
        }
        session.turn(at, &mut tap);
        let ran = tap.inner().round;
        if ran != turn.rounds.len() {
            differences.push(Difference::Rounds {
                turn: index,
                at,
                expected: turn.rounds.len(),
                actual: ran,
            });
        }
    }
    let _ = session.flush();
    let pcap_bytes = tap.with_sink(|w| w.clone()).unwrap_or_default();
    let device_sent = std::mem::take(&mut tap.inner_mut().sent);
    let inbound = tap.inner().inbound;
    drop(tap);

    let expected = recording.outbound();
    let mut frame_diffs = Vec::new();
    for index in 0..expected.len().max(device_sent.len()) {
        match (expected.get(index), device_sent.get(index)) {
            (Some(e), Some(a)) if e.frame != a.frame => frame_diffs.push(Difference::Frame {
                index,
                expected: e.clone(),
                actual: a.clone(),
            }),
            (Some(e), Some(a)) if e.turn != a.turn => frame_diffs.push(Difference::Timing {
                index,
                expected: e.clone(),
                actual: a.clone(),
            }),
            (Some(_), Some(_)) => {}
            (Some(e), None) => frame_diffs.push(Difference::Missing {
                index,
                expected: e.clone(),
            }),
            (None, Some(a)) => frame_diffs.push(Difference::Extra {
                index,
                actual: a.clone(),
            }),
            (None, None) => unreachable!("index below the longer length"),
        }
    }
    // Frame differences first: they are what a reader wants to see.
    frame_diffs.append(&mut differences);
    Ok(Outcome {
        medium,
        turns: recording.turns.len(),
        inbound,
        expected_outbound: expected.len(),
        actual_outbound: device_sent.len(),
        differences: frame_diffs,
        rerecorded: (pcap_bytes, timeline.take()),
    })
}

/// Loads and replays `pcap`; with `update`, rewrites the recording with what the stack
/// does now (inbound frames and turn times kept, outbound frames and rounds new).
pub fn replay_file(pcap: &Path, update: bool) -> Result<Outcome, ReplayError> {
    let recording = Recording::load(pcap)?;
    let outcome = replay(&recording)?;
    if update && !outcome.matches() {
        let (pcap_bytes, timeline_bytes) = &outcome.rerecorded;
        write_file(pcap, pcap_bytes)?;
        write_file(&timeline_path(pcap), timeline_bytes)?;
    }
    Ok(outcome)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ReplayError> {
    let io = |source| ReplayError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut file = BufWriter::new(File::create(path).map_err(io)?);
    file.write_all(bytes).map_err(io)?;
    file.flush().map_err(io)
}

/// A `Write` into a shared buffer (the session owns its timeline writer).
#[derive(Debug, Clone, Default)]
struct SharedBuf(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl SharedBuf {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.0.borrow_mut())
    }
}

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Where a frame went out, for messages: `outbound frame 3 (pcap record 6, turn 17 at
/// 1.002345s)`.
fn place(index: usize, sent: &Sent) -> String {
    match sent.record {
        Some(record) => format!(
            "outbound frame {} (pcap record {}, turn {} at {})",
            index + 1,
            record + 1,
            sent.turn,
            sent.at
        ),
        None => format!(
            "outbound frame {} (turn {} at {})",
            index + 1,
            sent.turn,
            sent.at
        ),
    }
}

impl Difference {
    /// Writes this difference, decoded, for a reader.
    pub fn describe(&self, medium: Medium, f: &mut impl fmt::Write) -> fmt::Result {
        match self {
            Difference::Frame {
                index,
                expected,
                actual,
            } => {
                writeln!(f, "{} differs:", place(*index, expected))?;
                writeln!(f, "  expected: {}", summary(medium, &expected.frame))?;
                writeln!(f, "  actual:   {}", summary(medium, &actual.frame))?;
                for d in field_diff(medium, &expected.frame, &actual.frame) {
                    writeln!(f, "    {d}")?;
                }
                if expected.turn != actual.turn {
                    writeln!(
                        f,
                        "    and it went out in turn {} at {} instead",
                        actual.turn, actual.at
                    )?;
                }
                Ok(())
            }
            Difference::Timing {
                index,
                expected,
                actual,
            } => {
                writeln!(
                    f,
                    "{} went out in turn {} at {}, recorded in turn {} at {}:",
                    place(*index, expected),
                    actual.turn,
                    actual.at,
                    expected.turn,
                    expected.at
                )?;
                writeln!(f, "  {}", summary(medium, &expected.frame))
            }
            Difference::Missing { index, expected } => {
                writeln!(f, "{} was not sent:", place(*index, expected))?;
                writeln!(f, "  expected: {}", summary(medium, &expected.frame))
            }
            Difference::Extra { index, actual } => {
                writeln!(
                    f,
                    "{} was not in the recording:",
                    place(*index, actual)
                )?;
                writeln!(f, "  actual:   {}", summary(medium, &actual.frame))
            }
            Difference::Rounds {
                turn,
                at,
                expected,
                actual,
            } => writeln!(
                f,
                "turn {turn} at {at} ran {actual} rounds, recorded {expected}: the timeline diverged"
            ),
        }
    }
}

impl fmt::Display for Outcome {
    /// A summary line; if anything differs, the first difference decoded field by field,
    /// and how many more there are.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} turns, {} frames in, {} frames out (recorded {})",
            self.turns, self.inbound, self.actual_outbound, self.expected_outbound
        )?;
        match self.differences.first() {
            None => writeln!(
                f,
                "every outbound frame matches, byte for byte and turn for turn"
            ),
            Some(first) => {
                first.describe(self.medium, f)?;
                if self.differences.len() > 1 {
                    writeln!(f, "... and {} more differences", self.differences.len() - 1)?;
                }
                Ok(())
            }
        }
    }
}
