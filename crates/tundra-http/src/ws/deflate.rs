//! permessage-deflate (RFC 7692): negotiation parameters, and the compressor and
//! decompressor of one direction of a connection, on `miniz_oxide`'s raw DEFLATE
//! (RFC 1951).
//!
//! Heads up! Read first: RFC 7692 §4-§5 (extension negotiation, the extension as a
//! list of parameters), §6 (RSV1 as the "Per-Message Compressed" bit), §7.1
//! (parameters: `server_no_context_takeover`, `client_no_context_takeover`,
//! `server_max_window_bits`, `client_max_window_bits`), §7.2 (compression: the
//! message ends in a sync flush, whose `0x00 0x00 0xff 0xff` is removed on the wire
//! and appended again before decompressing; §7.2.3 the worked examples), §8
//! (implementation notes).
//!
//! ```text
//! "Hello"  --DEFLATE, sync flush-->  f2 48 cd c9 c9 07 00 | 00 00 ff ff
//!                                    the payload sent     | removed (§7.2.1)
//! ```
//!
//! Bad input never wins: [`Inflater::feed`] writes into its 32 KiB window and copies
//! out at most `limit` bytes, so a decompression bomb costs no more than the message
//! size limit (the connection closes 1009), and invalid DEFLATE data is an error
//! (the connection closes 1007). Decompression is always done with a 32 KiB window,
//! which reads anything a peer with a smaller negotiated window sends.

use core::fmt;

use miniz_oxide::deflate::core::{
    compress_to_output, create_comp_flags_from_zip_params, CompressorOxide, TDEFLFlush, TDEFLStatus,
};
use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

use crate::chars::list_elements;

use super::error::HandshakeError;

/// The extension's registered name (RFC 7692 §7).
pub const PERMESSAGE_DEFLATE: &str = "permessage-deflate";

/// The tail of a sync flush (an empty stored block's LEN and NLEN), removed from
/// every compressed message on the wire and appended before decompressing
/// (RFC 7692 §7.2.1, §7.2.2).
pub const DEFLATE_TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Largest LZ77 window, 2^15 = 32 KiB (RFC 1951 §2; RFC 7692 §7.1.2: 8..=15).
pub const MAX_WINDOW_BITS: u8 = 15;

/// Smallest window a `*_max_window_bits` parameter may name (RFC 7692 §7.1.2.1).
pub const MIN_WINDOW_BITS: u8 = 8;

/// The DEFLATE level of the compressor: miniz level 1 (greedy parsing, one probe),
/// the fastest that still finds matches; an echo of 128 KiB messages spends most of
/// its time here.
const COMPRESSION_LEVEL: i32 = 1;

/// The negotiated parameters of permessage-deflate (RFC 7692 §7.1), the same for both
/// ends of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeflateParams {
    /// The server resets its compressor after every message (§7.1.1.1).
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after every message (§7.1.1.2).
    pub client_no_context_takeover: bool,
    /// The server's compressor uses at most a 2^N byte window (§7.1.2.1), 8..=15.
    pub server_max_window_bits: u8,
    /// The client's compressor uses at most a 2^N byte window (§7.1.2.2), 8..=15.
    pub client_max_window_bits: u8,
}

impl Default for DeflateParams {
    /// Plain `permessage-deflate`: context takeover both ways, 32 KiB windows.
    fn default() -> DeflateParams {
        DeflateParams {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: MAX_WINDOW_BITS,
            client_max_window_bits: MAX_WINDOW_BITS,
        }
    }
}

impl fmt::Display for DeflateParams {
    /// The `Sec-WebSocket-Extensions` value a server answers with: only the
    /// parameters that differ from the defaults.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PERMESSAGE_DEFLATE)?;
        if self.server_no_context_takeover {
            f.write_str("; server_no_context_takeover")?;
        }
        if self.client_no_context_takeover {
            f.write_str("; client_no_context_takeover")?;
        }
        if self.server_max_window_bits < MAX_WINDOW_BITS {
            write!(
                f,
                "; server_max_window_bits={}",
                self.server_max_window_bits
            )?;
        }
        if self.client_max_window_bits < MAX_WINDOW_BITS {
            write!(
                f,
                "; client_max_window_bits={}",
                self.client_max_window_bits
            )?;
        }
        Ok(())
    }
}

/// One extension of a `Sec-WebSocket-Extensions` list (RFC 6455 §9.1):
/// `name *( ";" param [ "=" value ] )`, values unquoted.
struct Extension<'a> {
    name: &'a [u8],
    params: Vec<(&'a [u8], Option<&'a [u8]>)>,
}

fn parse_extension(element: &[u8]) -> Extension<'_> {
    let mut parts = element.split(|&b| b == b';').map(trim);
    let name = parts.next().unwrap_or_default();
    let params = parts
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|&b| b == b'=') {
            None => (p, None),
            Some(i) => {
                let value = trim(&p[i + 1..]);
                // RFC 6455 §9.1: a quoted-string value must unquote to a token.
                let value = match value {
                    [b'"', inner @ .., b'"'] => inner,
                    v => v,
                };
                (trim(&p[..i]), Some(value))
            }
        })
        .collect();
    Extension { name, params }
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|b| !matches!(b, b' ' | b'\t'));
    let end = s.iter().rposition(|b| !matches!(b, b' ' | b'\t'));
    match (start, end) {
        (Some(a), Some(b)) => &s[a..=b],
        _ => &[],
    }
}

/// A window-bits value: 1*DIGIT in 8..=15 (RFC 7692 §7.1.2.1: "decimal integer value
/// 8, 9, 10, 11, 12, 13, 14, or 15 ... without leading zeroes").
fn window_bits(value: &[u8]) -> Option<u8> {
    match value {
        [d] if (b'8'..=b'9').contains(d) => Some(d - b'0'),
        [b'1', d] if (b'0'..=b'5').contains(d) => Some(10 + d - b'0'),
        _ => None,
    }
}

impl DeflateParams {
    /// The server's choice among the client's `Sec-WebSocket-Extensions` values
    /// (RFC 7692 §5, §7.1): the first `permessage-deflate` offer it can honour, or
    /// `None` (the extension is declined, the handshake goes on without it). An offer
    /// with an unknown or repeated parameter or an invalid value is declined (§7.1).
    pub fn accept_offer<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> Option<DeflateParams> {
        values
            .into_iter()
            .flat_map(list_elements)
            .map(parse_extension)
            .filter(|e| e.name.eq_ignore_ascii_case(PERMESSAGE_DEFLATE.as_bytes()))
            .find_map(|e| DeflateParams::from_params(&e.params, true))
    }

    /// The client's reading of the server's answer to its offer of
    /// [`DeflateParams::client_offer`] (RFC 7692 §7.1): `Ok(None)` if the server did
    /// not accept it, [`HandshakeError::BadExtensionResponse`] if the answer must fail
    /// the handshake (another extension, several, an unknown or repeated parameter,
    /// an invalid value).
    pub fn from_response<'a>(
        values: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Option<DeflateParams>, HandshakeError> {
        let bad = HandshakeError::BadExtensionResponse;
        let mut found = None;
        for e in values
            .into_iter()
            .flat_map(list_elements)
            .map(parse_extension)
        {
            // RFC 6455 §4.1 item 5: an extension not offered fails the connection;
            // RFC 7692 §7.1: so does a response that cannot be read.
            if !e.name.eq_ignore_ascii_case(PERMESSAGE_DEFLATE.as_bytes()) || found.is_some() {
                return Err(bad);
            }
            found = Some(DeflateParams::from_params(&e.params, false).ok_or(bad.clone())?);
        }
        Ok(found)
    }

    /// What a client offers: `permessage-deflate; client_max_window_bits` (Chromium's
    /// offer: context takeover, and the server may choose our window).
    pub fn client_offer() -> &'static str {
        "permessage-deflate; client_max_window_bits"
    }

    /// Reads the parameters of one offer (`offer`) or response. `None`: unusable.
    fn from_params(params: &[(&[u8], Option<&[u8]>)], offer: bool) -> Option<DeflateParams> {
        let mut p = DeflateParams::default();
        let mut seen = [false; 4];
        for &(name, value) in params {
            let i = match name {
                b"server_no_context_takeover" => 0,
                b"client_no_context_takeover" => 1,
                b"server_max_window_bits" => 2,
                b"client_max_window_bits" => 3,
                // §7.1: "a parameter not defined for use in an offer" -> decline.
                _ => return None,
            };
            // §7.1: "multiple extension parameters with the same name" -> decline.
            if core::mem::replace(&mut seen[i], true) {
                return None;
            }
            match (i, value) {
                // §7.1.1.1, §7.1.1.2: these have no value.
                (0, None) => p.server_no_context_takeover = true,
                (1, None) => p.client_no_context_takeover = true,
                // §7.1.2.1: server_max_window_bits always has a value.
                (2, Some(v)) => p.server_max_window_bits = window_bits(v)?,
                // §7.1.2.2: in an offer the value is optional ("the client supports
                // the parameter"); in a response it is required.
                (3, None) if offer => {}
                (3, Some(v)) => {
                    let bits = window_bits(v)?;
                    // In an offer it is only a hint about the client's own window; we
                    // decompress with 32 KiB anyway, so it changes nothing.
                    if !offer {
                        p.client_max_window_bits = bits;
                    }
                }
                _ => return None,
            }
        }
        Some(p)
    }
}

/// Why a compressed message could not be decompressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum InflateError {
    /// The data is not valid DEFLATE (RFC 1951).
    #[error("invalid DEFLATE data")]
    Invalid,
    /// The decompressed message would pass the limit.
    #[error("decompressed message larger than the limit")]
    TooBig,
}

/// The compressor of one direction: every message ends in a sync flush, whose tail is
/// removed (RFC 7692 §7.2.1).
pub struct Deflater {
    comp: Box<CompressorOxide>,
    window_bits: u8,
    no_context_takeover: bool,
}

impl fmt::Debug for Deflater {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deflater")
            .field("window_bits", &self.window_bits)
            .field("no_context_takeover", &self.no_context_takeover)
            .finish()
    }
}

impl Deflater {
    /// A compressor whose back-references stay within `2^window_bits` bytes and
    /// that forgets every message after sending it if `no_context_takeover`.
    pub fn new(window_bits: u8, no_context_takeover: bool) -> Deflater {
        let flags = create_comp_flags_from_zip_params(COMPRESSION_LEVEL, -15, 0);
        Deflater {
            comp: Box::new(CompressorOxide::new(flags)),
            window_bits: window_bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS),
            no_context_takeover,
        }
    }

    /// Appends the compressed payload of the message `data` to `out`: DEFLATE blocks
    /// ending in a sync flush, without its `00 00 ff ff` (RFC 7692 §7.2.1).
    pub fn compress(&mut self, data: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        if self.window_bits >= MAX_WINDOW_BITS {
            self.flush_through(data, out);
        } else {
            // §7.1.2.1: no back-reference may reach further than 2^N bytes. miniz
            // always searches 32 KiB, so every 2^N bytes start a fresh compressor: its
            // matches stay inside its own chunk, and the byte-aligned sync flushes
            // concatenate into one valid DEFLATE stream.
            let chunk = 1usize << self.window_bits;
            for piece in data.chunks(chunk) {
                self.comp.reset();
                self.flush_through(piece, out);
            }
            if data.is_empty() {
                self.flush_through(data, out);
            }
            self.comp.reset();
        }
        // §7.2.1: "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail end."
        if out[start..].ends_with(&DEFLATE_TAIL) {
            out.truncate(out.len() - DEFLATE_TAIL.len());
        }
        // §7.2.3.6: a message whose data is empty is sent as a single 0x00 (an empty
        // stored block's first byte), never as an empty payload.
        if out.len() == start {
            out.push(0x00);
        }
        // §7.1.1.1: no context takeover -> start every message with an empty window.
        if self.no_context_takeover {
            self.comp.reset();
        }
    }

    fn flush_through(&mut self, data: &[u8], out: &mut Vec<u8>) {
        let mut input = data;
        loop {
            let (status, used) = compress_to_output(&mut self.comp, input, TDEFLFlush::Sync, |b| {
                out.extend_from_slice(b);
                true
            });
            input = &input[used.min(input.len())..];
            if status != TDEFLStatus::Okay || input.is_empty() {
                return;
            }
        }
    }
}

/// Size of the decompression window: the largest LZ77 window (2^15).
const WINDOW: usize = 1 << MAX_WINDOW_BITS;

/// The decompressor of one direction. Its 32 KiB window is the LZ77 history that
/// context takeover keeps from one message to the next (RFC 7692 §7.2.2).
pub struct Inflater {
    decomp: DecompressorOxide,
    window: Box<[u8]>,
    pos: usize,
    no_context_takeover: bool,
}

impl fmt::Debug for Inflater {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inflater")
            .field("no_context_takeover", &self.no_context_takeover)
            .finish()
    }
}

impl Inflater {
    /// A decompressor; `no_context_takeover` if the peer promised to compress every
    /// message on its own (then the window is cleared after each).
    pub fn new(no_context_takeover: bool) -> Inflater {
        Inflater {
            decomp: DecompressorOxide::new(),
            window: vec![0u8; WINDOW].into_boxed_slice(),
            pos: 0,
            no_context_takeover,
        }
    }

    /// Decompresses the next piece of a message's payload, appending the output to
    /// `out`, which never grows past `limit` ([`InflateError::TooBig`] instead).
    pub fn feed(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), InflateError> {
        loop {
            let (status, used, written) = decompress(
                &mut self.decomp,
                input,
                &mut self.window,
                self.pos,
                inflate_flags::TINFL_FLAG_HAS_MORE_INPUT,
            );
            input = input.get(used..).unwrap_or_default();
            if written > 0 {
                if out.len().saturating_add(written) > limit {
                    return Err(InflateError::TooBig);
                }
                let end = (self.pos + written).min(WINDOW);
                out.extend_from_slice(&self.window[self.pos..end]);
                self.pos = end % WINDOW;
            }
            match status {
                TINFLStatus::NeedsMoreInput => return Ok(()),
                TINFLStatus::HasMoreOutput => {}
                // RFC 7692 §7.2.3.4: a block with BFINAL set ends the DEFLATE stream;
                // what follows (the 0x00 padding block, the tail) starts a new one.
                // The window is kept: only the decoder state restarts.
                TINFLStatus::Done => {
                    self.decomp.init();
                    if input.is_empty() {
                        return Ok(());
                    }
                }
                _ => return Err(InflateError::Invalid),
            }
        }
    }

    /// Ends a message: decompresses the `00 00 ff ff` the sender removed (RFC 7692
    /// §7.2.2), then forgets the window if the peer does not take context over.
    pub fn finish(&mut self, out: &mut Vec<u8>, limit: usize) -> Result<(), InflateError> {
        self.feed(&DEFLATE_TAIL, out, limit)?;
        if self.no_context_takeover {
            self.reset();
        }
        Ok(())
    }

    /// A fresh decompressor with an empty window.
    pub fn reset(&mut self) {
        self.decomp.init();
        self.window.fill(0);
        self.pos = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inflate(inf: &mut Inflater, payload: &[u8]) -> Result<Vec<u8>, InflateError> {
        let mut out = Vec::new();
        inf.feed(payload, &mut out, 1 << 20)?;
        inf.finish(&mut out, 1 << 20)?;
        Ok(out)
    }

    /// RFC 7692 §7.2.3.1: "Hello" as one compressed message.
    const HELLO: [u8; 7] = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

    #[test]
    fn rfc7692_7_2_3_1_hello_decompresses() {
        let mut inf = Inflater::new(false);
        assert_eq!(inflate(&mut inf, &HELLO).unwrap(), b"Hello");
    }

    #[test]
    fn rfc7692_7_2_3_1_hello_compresses_to_the_rfc_bytes() {
        // The RFC's bytes are zlib's fixed-Huffman block; miniz at level 1 chooses the
        // same block for five literals.
        let mut def = Deflater::new(15, false);
        let mut out = Vec::new();
        def.compress(b"Hello", &mut out);
        assert_eq!(out, HELLO);
    }

    #[test]
    fn rfc7692_7_2_3_2_no_context_takeover_sends_the_same_bytes_twice() {
        // §7.2.3.2: without context takeover, "Hello" twice is HELLO twice.
        let mut def = Deflater::new(15, true);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        def.compress(b"Hello", &mut a);
        def.compress(b"Hello", &mut b);
        assert_eq!(a, HELLO);
        assert_eq!(b, HELLO);
        let mut inf = Inflater::new(true);
        assert_eq!(inflate(&mut inf, &a).unwrap(), b"Hello");
        assert_eq!(inflate(&mut inf, &b).unwrap(), b"Hello");
    }

    #[test]
    fn rfc7692_7_2_3_2_context_takeover_second_message_is_a_back_reference() {
        // §7.2.3.2: with context takeover the second "Hello" is the 5 byte block
        // 0xf2 0x00 0x11 0x00 0x00, a match of length 5 at distance 5.
        let second = [0xf2, 0x00, 0x11, 0x00, 0x00];
        let mut inf = Inflater::new(false);
        assert_eq!(inflate(&mut inf, &HELLO).unwrap(), b"Hello");
        assert_eq!(inflate(&mut inf, &second).unwrap(), b"Hello");
        // Our compressor refers back too: the second message is shorter.
        let mut def = Deflater::new(15, false);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        def.compress(b"Hello", &mut a);
        def.compress(b"Hello", &mut b);
        assert!(b.len() < a.len(), "{a:02x?} then {b:02x?}");
        let mut inf = Inflater::new(false);
        assert_eq!(inflate(&mut inf, &a).unwrap(), b"Hello");
        assert_eq!(inflate(&mut inf, &b).unwrap(), b"Hello");
        // Without the first message's window the second cannot be read right.
        let mut fresh = Inflater::new(false);
        assert_ne!(inflate(&mut fresh, &second).ok(), Some(b"Hello".to_vec()));
    }

    #[test]
    fn rfc7692_7_2_3_4_bfinal_block_then_padding() {
        // §7.2.3.4: "Hello" in a block with BFINAL set, then 0x00 (an empty stored
        // block header, BFINAL 0); the next message keeps the window.
        let msg = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
        let mut inf = Inflater::new(false);
        assert_eq!(inflate(&mut inf, &msg).unwrap(), b"Hello");
        assert_eq!(
            inflate(&mut inf, &[0xf2, 0x00, 0x11, 0x00, 0x00]).unwrap(),
            b"Hello"
        );
    }

    #[test]
    fn rfc7692_7_2_3_3_deflate_block_with_no_compression() {
        // §7.2.3.3: "Hello" in a stored block (BTYPE 00, LEN 5, NLEN !5), then 0x00,
        // the header bits of the next block.
        let msg = [
            0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
        ];
        let mut inf = Inflater::new(false);
        assert_eq!(inflate(&mut inf, &msg).unwrap(), b"Hello");
    }

    #[test]
    fn rfc7692_7_2_3_5_two_deflate_blocks_in_one_message() {
        // §7.2.3.5: "He" in a compressed block, an empty stored block (a sync flush
        // in the middle), then "llo" in a compressed block.
        let msg = [
            0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
        ];
        let mut inf = Inflater::new(false);
        assert_eq!(inflate(&mut inf, &msg).unwrap(), b"Hello");
    }

    #[test]
    fn rfc7692_7_2_3_6_empty_message_is_never_an_empty_payload() {
        // §7.2.3.6: a flush with no data gives 0x00 0x00 0x00 0xff 0xff, so an empty
        // compressed payload is the single 0x00; miniz sends an empty fixed-Huffman
        // block first (0x02 0x00). Both read as "".
        let mut inf = Inflater::new(false);
        assert_eq!(inflate(&mut inf, &[0x00]).unwrap(), b"");
        let mut def = Deflater::new(15, false);
        let mut out = Vec::new();
        def.compress(b"", &mut out);
        assert!(!out.is_empty() && out.len() <= 2, "{out:02x?}");
        assert_eq!(inflate(&mut inf, &out).unwrap(), b"");
    }

    #[test]
    fn every_split_of_the_input_gives_the_same_message() {
        let text: Vec<u8> = (0..4000u32)
            .flat_map(|i| format!("line {i} ").into_bytes())
            .collect();
        let mut def = Deflater::new(15, false);
        let mut z = Vec::new();
        def.compress(&text, &mut z);
        for split in (0..z.len()).step_by(7) {
            let mut inf = Inflater::new(false);
            let mut out = Vec::new();
            inf.feed(&z[..split], &mut out, usize::MAX).unwrap();
            inf.feed(&z[split..], &mut out, usize::MAX).unwrap();
            inf.finish(&mut out, usize::MAX).unwrap();
            assert_eq!(out, text);
        }
    }

    #[test]
    fn small_windows_keep_matches_within_the_window() {
        // server_max_window_bits=9: a message that repeats every 1000 bytes cannot use
        // that repetition, one that repeats every 100 can.
        let mut x = 0x2545_f491u32;
        let far: Vec<u8> = (0..1000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let data = [far.clone(), far.clone()].concat();
        let (mut w9, mut w15) = (Vec::new(), Vec::new());
        Deflater::new(9, false).compress(&data, &mut w9);
        Deflater::new(15, false).compress(&data, &mut w15);
        assert!(
            w15.len() < 1500 && w9.len() > 1500,
            "{} {}",
            w15.len(),
            w9.len()
        );
        for z in [&w9, &w15] {
            assert_eq!(inflate(&mut Inflater::new(false), z).unwrap(), data);
        }
    }

    #[test]
    fn a_bomb_stops_at_the_limit() {
        // 16 MiB of zeros compress to a few dozen KiB; a 1 MiB limit stops them at
        // 1 MiB.
        let mut z = Vec::new();
        Deflater::new(15, false).compress(&vec![0u8; 16 << 20], &mut z);
        assert!(z.len() < 256 * 1024, "{}", z.len());
        let mut inf = Inflater::new(false);
        let mut out = Vec::new();
        assert_eq!(inf.feed(&z, &mut out, 1 << 20), Err(InflateError::TooBig));
        assert!(out.len() <= 1 << 20);
    }

    #[test]
    fn invalid_data_is_an_error() {
        // BTYPE 11 is reserved (RFC 1951 §3.2.3).
        let mut inf = Inflater::new(false);
        assert_eq!(inflate(&mut inf, &[0xff, 0xff]), Err(InflateError::Invalid));
        // A stored block whose NLEN is not the complement of LEN.
        let mut inf = Inflater::new(false);
        assert_eq!(
            inflate(&mut inf, &[0x00, 0x05, 0x00, 0x00, 0x00]),
            Err(InflateError::Invalid)
        );
    }

    #[test]
    fn server_accepts_what_it_can_honour() {
        let accept = |v: &str| DeflateParams::accept_offer([v.as_bytes()]);
        // Chromium's offer.
        let p = accept("permessage-deflate; client_max_window_bits").unwrap();
        assert_eq!(p, DeflateParams::default());
        assert_eq!(p.to_string(), "permessage-deflate");
        let p = accept(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=9; client_max_window_bits=\"10\"",
        )
        .unwrap();
        assert_eq!(
            p.to_string(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=9"
        );
        // §7.1: unknown parameter, repeated parameter, bad values: declined...
        assert_eq!(accept("permessage-deflate; foo"), None);
        assert_eq!(
            accept("permessage-deflate; server_no_context_takeover; server_no_context_takeover"),
            None
        );
        assert_eq!(accept("permessage-deflate; server_max_window_bits=7"), None);
        assert_eq!(
            accept("permessage-deflate; server_max_window_bits=08"),
            None
        );
        assert_eq!(accept("permessage-deflate; server_max_window_bits"), None);
        assert_eq!(
            accept("permessage-deflate; server_no_context_takeover=1"),
            None
        );
        assert_eq!(accept("x-webkit-deflate-frame"), None);
        // ... and the next offer in the list is considered (§5.1).
        let p =
            accept("permessage-deflate; server_max_window_bits=16, permessage-deflate").unwrap();
        assert_eq!(p, DeflateParams::default());
    }

    #[test]
    fn client_reads_the_response() {
        let read = |v: &str| DeflateParams::from_response([v.as_bytes()]);
        assert_eq!(
            read("permessage-deflate"),
            Ok(Some(DeflateParams::default()))
        );
        let p = read("permessage-deflate; client_max_window_bits=10; server_no_context_takeover")
            .unwrap()
            .unwrap();
        assert_eq!(
            (p.client_max_window_bits, p.server_no_context_takeover),
            (10, true)
        );
        let bad = Err(HandshakeError::BadExtensionResponse);
        assert_eq!(read("permessage-deflate; client_max_window_bits"), bad);
        assert_eq!(read("permessage-deflate, permessage-deflate"), bad);
        assert_eq!(read("other"), bad);
        assert_eq!(DeflateParams::from_response([]), Ok(None));
    }
}
