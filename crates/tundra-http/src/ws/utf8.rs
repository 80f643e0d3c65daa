//! Incremental UTF-8 validation for text messages that arrive in pieces.
//!
//! RFC 6455 §8.1: a text message must be valid UTF-8 (RFC 3629) as a whole, but a
//! fragment boundary, and a TCP segment boundary inside a frame, may split a
//! character. §8.1 and Autobahn's section 6 ask to "fail fast": the connection fails
//! at the first byte that cannot belong to valid UTF-8, not when the message ends.
//! Only a *truncated* character (a valid prefix at the very end) must wait for the end
//! of the message ([`Utf8Validator::finish`]).
//!
//! The byte rules are RFC 3629 §4 (Unicode Table 3-7, "well-formed UTF-8 byte
//! sequences"): no overlong forms (`C0`, `C1`, `E0 80..9F`, `F0 80..8F`), no surrogates
//! (`ED A0..BF`), nothing above U+10FFFF (`F4 90..`, `F5..FF`). Whole valid runs go
//! through `core::str::from_utf8`; only the bytes around a split are stepped one by one.

/// The first byte of a text message that cannot be part of valid UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid UTF-8 at byte {position} of the message")]
pub struct Utf8Error {
    /// Offset of the offending byte from the start of the message, or the message
    /// length if the message ended inside a character.
    pub position: u64,
}

/// A UTF-8 checker fed a message piece by piece, keeping only the state of one
/// unfinished character (a few bytes), so its memory is constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Utf8Validator {
    /// Continuation bytes still needed to finish the current character.
    need: u8,
    /// The range the next continuation byte must fall in (RFC 3629 §4 table).
    lo: u8,
    hi: u8,
    /// Bytes fed so far.
    seen: u64,
}

impl Utf8Validator {
    /// A validator at the start of a message.
    pub const fn new() -> Utf8Validator {
        Utf8Validator {
            need: 0,
            lo: 0x80,
            hi: 0xbf,
            seen: 0,
        }
    }

    /// Checks the next piece of the message. Fails at the first byte that makes the
    /// message invalid whatever follows; a character cut at the end of `bytes` is
    /// remembered and checked against the next piece.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), Utf8Error> {
        let start = self.seen;
        let mut i = 0;
        // Finish a character left open by the previous piece, one byte at a time.
        while self.need > 0 && i < bytes.len() {
            self.step(bytes[i], start + i as u64)?;
            i += 1;
        }
        let rest = &bytes[i..];
        match core::str::from_utf8(rest) {
            Ok(_) => {}
            Err(e) => {
                // Either an invalid byte, or a valid prefix cut by the end of `bytes`:
                // step through the tail to find out which, and where.
                let tail_start = i + e.valid_up_to();
                for (k, &b) in bytes[tail_start..].iter().enumerate() {
                    self.step(b, start + (tail_start + k) as u64)?;
                }
            }
        }
        self.seen = start + bytes.len() as u64;
        Ok(())
    }

    /// The message has ended: fails if it stopped inside a character.
    pub fn finish(&self) -> Result<(), Utf8Error> {
        if self.need == 0 {
            Ok(())
        } else {
            Err(Utf8Error {
                position: self.seen,
            })
        }
    }

    /// True if no character is left unfinished.
    pub const fn is_complete(&self) -> bool {
        self.need == 0
    }

    /// Starts over for a new message.
    pub fn reset(&mut self) {
        *self = Utf8Validator::new();
    }

    /// One byte through the RFC 3629 §4 automaton.
    fn step(&mut self, b: u8, position: u64) -> Result<(), Utf8Error> {
        let bad = Err(Utf8Error { position });
        if self.need > 0 {
            if b < self.lo || b > self.hi {
                return bad;
            }
            self.need -= 1;
            self.lo = 0x80;
            self.hi = 0xbf;
            return Ok(());
        }
        let (need, lo, hi) = match b {
            0x00..=0x7f => return Ok(()),
            0xc2..=0xdf => (1, 0x80, 0xbf),
            // E0: A0..BF second byte, else the code point fits in two bytes (overlong).
            0xe0 => (2, 0xa0, 0xbf),
            0xe1..=0xec | 0xee..=0xef => (2, 0x80, 0xbf),
            // ED: 80..9F second byte, else a UTF-16 surrogate (U+D800..U+DFFF).
            0xed => (2, 0x80, 0x9f),
            // F0: 90..BF second byte, else overlong.
            0xf0 => (3, 0x90, 0xbf),
            0xf1..=0xf3 => (3, 0x80, 0xbf),
            // F4: 80..8F second byte, else above U+10FFFF.
            0xf4 => (3, 0x80, 0x8f),
            // 80..BF alone, C0/C1 (overlong), F5..FF (beyond U+10FFFF).
            _ => return bad,
        };
        self.need = need;
        self.lo = lo;
        self.hi = hi;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `bytes` split at every position and returns the common outcome of
    /// `feed`+`finish`.
    fn check_every_split(bytes: &[u8]) -> Result<(), Utf8Error> {
        let mut v = Utf8Validator::new();
        let whole = v.feed(bytes).and_then(|_| v.finish());
        for cut in 0..=bytes.len() {
            let mut v = Utf8Validator::new();
            let split = v
                .feed(&bytes[..cut])
                .and_then(|_| v.feed(&bytes[cut..]))
                .and_then(|_| v.finish());
            assert_eq!(split, whole, "split at {cut} of {bytes:02x?}");
        }
        let mut v = Utf8Validator::new();
        let one_by_one = bytes
            .iter()
            .try_for_each(|b| v.feed(core::slice::from_ref(b)))
            .and_then(|_| v.finish());
        assert_eq!(one_by_one, whole, "one byte at a time");
        whole
    }

    #[test]
    fn agrees_with_std_on_every_two_byte_and_sampled_four_byte_input() {
        for a in 0..=0xffu8 {
            for b in 0..=0xffu8 {
                let bytes = [a, b];
                let mut v = Utf8Validator::new();
                let ours = v.feed(&bytes).and_then(|_| v.finish()).is_ok();
                assert_eq!(ours, core::str::from_utf8(&bytes).is_ok(), "{bytes:02x?}");
            }
        }
        let mut rng = tundra_core::Rng::from_seed(6455);
        for _ in 0..20_000 {
            let mut bytes = [0u8; 4];
            rng.fill_bytes(&mut bytes);
            let ours = check_every_split(&bytes).is_ok();
            assert_eq!(ours, core::str::from_utf8(&bytes).is_ok(), "{bytes:02x?}");
        }
    }

    #[test]
    fn valid_text_split_inside_characters_is_accepted() {
        let text = "κόσμε, ½ € 𝄞 日本語";
        assert_eq!(check_every_split(text.as_bytes()), Ok(()));
    }

    #[test]
    fn fails_at_the_first_impossible_byte_not_at_the_end() {
        // "κόσμε" then ED A0 80 (a UTF-16 surrogate): the A0 is the first bad byte.
        let mut bytes = "κόσμε".as_bytes().to_vec();
        let at = bytes.len() as u64 + 1;
        bytes.extend_from_slice(&[0xed, 0xa0, 0x80, b'x', b'y']);
        assert_eq!(check_every_split(&bytes), Err(Utf8Error { position: at }));

        let mut v = Utf8Validator::new();
        assert_eq!(
            v.feed(&bytes[..at as usize]),
            Ok(()),
            "ED alone could still be valid"
        );
        assert!(
            v.feed(&bytes[at as usize..]).is_err(),
            "A0 after ED fails at once"
        );
    }

    #[test]
    fn truncated_character_fails_only_at_the_end() {
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(&[b'a', 0xf0, 0x9d]), Ok(()));
        assert!(!v.is_complete());
        assert_eq!(v.finish(), Err(Utf8Error { position: 3 }));
    }

    #[test]
    fn rfc3629_forbidden_forms() {
        let cases: &[(&[u8], u64)] = &[
            (&[0xc0, 0xaf], 0),             // overlong '/'
            (&[0xe0, 0x80, 0xaf], 1),       // overlong in three bytes
            (&[0xf0, 0x80, 0x80, 0xaf], 1), // overlong in four bytes
            (&[0xed, 0xbf, 0xbf], 1),       // surrogate U+DFFF
            (&[0xf4, 0x90, 0x80, 0x80], 1), // U+110000
            (&[0xf5], 0),
            (&[0xff], 0),
            (&[0x80], 0), // lone continuation
            (&[b'a', 0xc2, b'b'], 2),
        ];
        for &(bytes, position) in cases {
            assert_eq!(
                check_every_split(bytes),
                Err(Utf8Error { position }),
                "{bytes:02x?}"
            );
        }
    }

    #[test]
    fn positions_count_from_the_start_of_the_message() {
        let mut v = Utf8Validator::new();
        v.feed(b"hello ").unwrap();
        v.feed(b"wor").unwrap();
        assert_eq!(v.feed(&[b'l', 0xfe]), Err(Utf8Error { position: 10 }));
    }
}
