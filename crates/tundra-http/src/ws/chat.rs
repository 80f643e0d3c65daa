//! A chat room, sans-IO: members with nicknames, join and leave notices, broadcast,
//! and a bounded outbound queue per member.
//!
//! The room knows nothing of sockets or frames. The driver tells it who connected
//! ([`ChatRoom::connect`]), what each member said ([`ChatRoom::receive`]) and who left
//! ([`ChatRoom::disconnect`]); it moves each member's queued lines into that member's
//! [`WsConnection`] with [`ChatRoom::flush_to`] as the connection has room, and closes
//! the connections the room gives up on ([`ChatRoom::poll_kick`]).
//!
//! # The text protocol (one WebSocket text message = one line)
//!
//! Client to server:
//!
//! | message | meaning |
//! |---|---|
//! | `/nick NAME` | join with NAME (first time) or rename; 1-24 letters, digits, `-`, `_`, `.`; unique ignoring case |
//! | `/who` | list the members (answer to the sender only) |
//! | `//text` | say `/text` (a line that starts with a slash) |
//! | anything else | say it (after joining); at most 1000 bytes, no control characters |
//!
//! Server to client:
//!
//! | message | when |
//! |---|---|
//! | `* welcome: send /nick NAME to join (N here)` | on connecting, to that connection |
//! | `* NAME joined` | to every member (the joiner too) |
//! | `NAME: text` | to every member (the sender too, so all see one order) |
//! | `* OLD is now NEW` | to every member |
//! | `* here: A, B` | answer to `/who` |
//! | `* NAME left` | to every remaining member (closed, or disconnected as too slow) |
//! | `! reason` | an error, to that connection only (bad nickname, line too long, ...) |
//!
//! # Slow readers
//!
//! Every member's queue is bounded (`max_queue_messages`, `max_queue_bytes`). A line
//! that would overflow a member's queue is not queued for that member; instead the
//! member is removed from the room and kicked with **1008 (policy violation)** and the
//! reason `too slow`. RFC 6455 §7.4.1 defines 1008 as the generic code "when there is
//! no other more suitable status code" for a policy the endpoint enforces; keeping up
//! with the room is such a policy. 1013 ("try again later", IANA registry, §11.7)
//! describes an overloaded *server*, which would send a well-behaved client the wrong
//! message; the room uses it instead when it is full ([`RoomFull`]). Everyone else
//! still gets the line, then `* NAME left`: the others lose nothing.

use std::collections::{BTreeMap, VecDeque};

use core::fmt;

use super::close::CloseCode;
use super::connection::{WsConfig, WsConnection};

/// Limits of a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatConfig {
    /// Most connections at once; more are refused with 1013.
    pub max_members: usize,
    /// Most lines waiting for one member.
    pub max_queue_messages: usize,
    /// Most bytes of lines waiting for one member.
    pub max_queue_bytes: usize,
    /// Longest nickname, in characters.
    pub max_nick_chars: usize,
    /// Longest line a member may say, in bytes.
    pub max_line_bytes: usize,
}

impl Default for ChatConfig {
    fn default() -> ChatConfig {
        ChatConfig {
            max_members: 64,
            max_queue_messages: 256,
            max_queue_bytes: 256 * 1024,
            max_nick_chars: 24,
            max_line_bytes: 1000,
        }
    }
}

impl ChatConfig {
    /// Connection settings that fit the room: messages no bigger than a line can be
    /// (a longer one fails with 1009), and a small socket-side queue, so that a slow
    /// reader's backlog piles up in the room's bounded queue where it is measured.
    pub fn ws_config(&self) -> WsConfig {
        let output_high_water = 8 * 1024;
        WsConfig {
            max_message_size: (self.max_line_bytes + 64).max(1024),
            max_outbound: 2 * output_high_water,
            output_high_water,
            input_high_water: 16 * 1024,
            max_buffered_input: 64 * 1024,
            ..WsConfig::default()
        }
    }
}

/// A connection's identity in the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MemberId(pub u64);

impl fmt::Display for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The room is full: close the new connection with [`RoomFull::CLOSE_CODE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("chat room full")]
pub struct RoomFull;

impl RoomFull {
    /// 1013, try again later (IANA close code registry, RFC 6455 §11.7).
    pub const CLOSE_CODE: CloseCode = CloseCode::TRY_AGAIN_LATER;
}

/// A connection the room gave up on: the driver closes it with `code` and `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kick {
    /// Who.
    pub member: MemberId,
    /// The close code to send.
    pub code: CloseCode,
    /// The close reason to send.
    pub reason: &'static str,
}

#[derive(Debug, Default)]
struct Member {
    nick: Option<String>,
    queue: VecDeque<String>,
    queued_bytes: usize,
}

/// The room: members, their nicknames and their outbound queues.
#[derive(Debug)]
pub struct ChatRoom {
    config: ChatConfig,
    members: BTreeMap<MemberId, Member>,
    next_id: u64,
    kicks: VecDeque<Kick>,
}

/// The close reason for a member whose queue overflowed.
const TOO_SLOW: &str = "too slow";

impl ChatRoom {
    /// An empty room.
    pub fn new(config: ChatConfig) -> ChatRoom {
        ChatRoom {
            config,
            members: BTreeMap::new(),
            next_id: 1,
            kicks: VecDeque::new(),
        }
    }

    /// A new connection (not yet a named member). It gets the welcome line.
    pub fn connect(&mut self) -> Result<MemberId, RoomFull> {
        if self.members.len() >= self.config.max_members {
            return Err(RoomFull);
        }
        let id = MemberId(self.next_id);
        self.next_id += 1;
        self.members.insert(id, Member::default());
        let here = self.named().count();
        self.deliver(
            id,
            format!("* welcome: send /nick NAME to join ({here} here)"),
        );
        self.settle();
        Ok(id)
    }

    /// `id` said `text` (one WebSocket text message).
    pub fn receive(&mut self, id: MemberId, text: &str) {
        if !self.members.contains_key(&id) {
            return;
        }
        if let Some(rest) = text.strip_prefix("//") {
            self.say(id, &format!("/{rest}"));
        } else if let Some(command) = text.strip_prefix('/') {
            let (name, arg) = command.split_once(' ').unwrap_or((command, ""));
            match name {
                "nick" => self.set_nick(id, arg.trim()),
                "who" => {
                    let names: Vec<&str> = self.named().map(|(_, n)| n).collect();
                    let line = format!("* here: {}", names.join(", "));
                    self.deliver(id, line);
                }
                _ => self.deliver(id, format!("! unknown command /{name}")),
            }
        } else {
            self.say(id, text);
        }
        self.settle();
    }

    /// `id` sent a binary message: the protocol is text only, so it is kicked with
    /// 1003 (RFC 6455 §7.4.1: "a type of data it cannot accept").
    pub fn receive_binary(&mut self, id: MemberId) {
        self.remove(id, CloseCode::UNSUPPORTED_DATA, "text only");
        self.settle();
    }

    /// `id`'s connection ended (for any reason). Remaining members are told if it had
    /// joined. Unknown (already kicked) members are ignored.
    pub fn disconnect(&mut self, id: MemberId) {
        if let Some(m) = self.members.remove(&id) {
            if let Some(nick) = m.nick {
                self.broadcast(format!("* {nick} left"));
            }
        }
        self.settle();
    }

    /// The next line waiting for `id`, without taking it.
    pub fn peek_outbound(&self, id: MemberId) -> Option<&str> {
        self.members.get(&id)?.queue.front().map(String::as_str)
    }

    /// Takes the next line waiting for `id`.
    pub fn pop_outbound(&mut self, id: MemberId) -> Option<String> {
        let m = self.members.get_mut(&id)?;
        let line = m.queue.pop_front()?;
        m.queued_bytes -= line.len();
        Some(line)
    }

    /// Moves `id`'s waiting lines into its connection while the connection accepts
    /// them; returns how many moved. What does not fit waits in the room's queue.
    pub fn flush_to(&mut self, id: MemberId, ws: &mut WsConnection) -> usize {
        let mut moved = 0;
        while let Some(line) = self.peek_outbound(id) {
            if !ws.can_send(line.len()) || ws.send_text(line).is_err() {
                break;
            }
            self.pop_outbound(id);
            moved += 1;
        }
        moved
    }

    /// The next connection to close, with the code and reason to close it with. The
    /// member has already left the room.
    pub fn poll_kick(&mut self) -> Option<Kick> {
        self.kicks.pop_front()
    }

    /// `id`'s nickname, once it has joined.
    pub fn nick(&self, id: MemberId) -> Option<&str> {
        self.members.get(&id)?.nick.as_deref()
    }

    /// True while `id` is connected to the room.
    pub fn contains(&self, id: MemberId) -> bool {
        self.members.contains_key(&id)
    }

    /// Lines waiting for `id`.
    pub fn queued(&self, id: MemberId) -> usize {
        self.members.get(&id).map_or(0, |m| m.queue.len())
    }

    /// Connections in the room (named or not).
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True if nobody is connected.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    fn named(&self) -> impl Iterator<Item = (MemberId, &str)> {
        self.members
            .iter()
            .filter_map(|(id, m)| m.nick.as_deref().map(|n| (*id, n)))
    }

    fn set_nick(&mut self, id: MemberId, nick: &str) {
        let chars = nick.chars().count();
        let valid = (1..=self.config.max_nick_chars).contains(&chars)
            && nick
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            let max = self.config.max_nick_chars;
            return self.deliver(
                id,
                format!("! bad nickname: use 1-{max} letters, digits, - _ ."),
            );
        }
        let taken = self
            .named()
            .any(|(other, n)| other != id && n.to_lowercase() == nick.to_lowercase());
        if taken {
            return self.deliver(id, format!("! nickname {nick} is taken"));
        }
        let Some(m) = self.members.get_mut(&id) else {
            return;
        };
        match m.nick.replace(nick.to_owned()) {
            None => self.broadcast(format!("* {nick} joined")),
            Some(old) if old == nick => {}
            Some(old) => self.broadcast(format!("* {old} is now {nick}")),
        }
    }

    fn say(&mut self, id: MemberId, text: &str) {
        let Some(nick) = self.nick(id).map(str::to_owned) else {
            return self.deliver(id, "! send /nick NAME first".to_owned());
        };
        if text.is_empty() {
            return;
        }
        if text.len() > self.config.max_line_bytes {
            let max = self.config.max_line_bytes;
            return self.deliver(id, format!("! line too long (at most {max} bytes)"));
        }
        if text.chars().any(char::is_control) {
            return self.deliver(id, "! control characters are not allowed".to_owned());
        }
        self.broadcast(format!("{nick}: {text}"));
    }

    /// Queues `line` for every named member.
    fn broadcast(&mut self, line: String) {
        let ids: Vec<MemberId> = self.named().map(|(id, _)| id).collect();
        for id in ids {
            self.deliver(id, line.clone());
        }
    }

    /// Queues `line` for `id`, or marks `id` too slow if its queue is full. The
    /// removal happens in [`ChatRoom::settle`], after the line reached everyone else.
    fn deliver(&mut self, id: MemberId, line: String) {
        let (max_msgs, max_bytes) = (self.config.max_queue_messages, self.config.max_queue_bytes);
        let Some(m) = self.members.get_mut(&id) else {
            return;
        };
        if m.queue.len() >= max_msgs || m.queued_bytes + line.len() > max_bytes {
            if !self.kicks.iter().any(|k| k.member == id) {
                self.kicks.push_back(Kick {
                    member: id,
                    code: CloseCode::POLICY_VIOLATION,
                    reason: TOO_SLOW,
                });
            }
            return;
        }
        m.queued_bytes += line.len();
        m.queue.push_back(line);
    }

    /// Removes the members marked too slow and tells the others; a leave notice can
    /// itself overflow another slow member, so this repeats until nothing changes.
    fn settle(&mut self) {
        loop {
            let pending: Vec<Kick> = self
                .kicks
                .iter()
                .filter(|k| self.members.contains_key(&k.member))
                .copied()
                .collect();
            if pending.is_empty() {
                return;
            }
            for kick in pending {
                if let Some(m) = self.members.remove(&kick.member) {
                    log::info!(
                        "chat: {} ({:?}) disconnected with {}: {}",
                        kick.member,
                        m.nick,
                        kick.code,
                        kick.reason
                    );
                    if let Some(nick) = m.nick {
                        self.broadcast(format!("* {nick} left"));
                    }
                }
            }
        }
    }

    fn remove(&mut self, id: MemberId, code: CloseCode, reason: &'static str) {
        if self.members.contains_key(&id) {
            self.kicks.push_back(Kick {
                member: id,
                code,
                reason,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(room: &mut ChatRoom, id: MemberId) -> Vec<String> {
        std::iter::from_fn(|| room.pop_outbound(id)).collect()
    }

    #[test]
    fn nicknames_are_checked_and_unique_ignoring_case() {
        let mut room = ChatRoom::new(ChatConfig::default());
        let a = room.connect().unwrap();
        let b = room.connect().unwrap();
        room.receive(a, "/nick Ada");
        room.receive(b, "/nick ada");
        room.receive(b, "/nick no spaces");
        room.receive(b, "/nick ");
        assert_eq!(room.nick(a), Some("Ada"));
        assert_eq!(room.nick(b), None);
        let b_lines = drain(&mut room, b);
        assert_eq!(
            b_lines[1..],
            [
                "! nickname ada is taken",
                "! bad nickname: use 1-24 letters, digits, - _ .",
                "! bad nickname: use 1-24 letters, digits, - _ .",
            ]
        );
    }

    #[test]
    fn double_slash_says_a_line_starting_with_a_slash() {
        let mut room = ChatRoom::new(ChatConfig::default());
        let a = room.connect().unwrap();
        room.receive(a, "/nick ann");
        room.receive(a, "//shrug");
        room.receive(a, "/dance");
        assert_eq!(
            drain(&mut room, a)[1..],
            ["* ann joined", "ann: /shrug", "! unknown command /dance"]
        );
    }
}
