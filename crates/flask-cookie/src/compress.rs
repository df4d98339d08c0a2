//! What itsdangerous sends as a payload: `zlib.compress(json)` when that is shorter than the
//! JSON by more than one byte, else the JSON itself; with a proof that settles most small
//! sessions without deflating.
//!
//! Kept by the rule: without the proof a `GET /greeting` costs 33% more CPU (measured,
//! bench/PROFILE-NOTES.md, fifth pass again).
//!
//! # The claim
//!
//! For a JSON text of `n` bytes (at most [`MAX_PROVEN_LEN`]) in which **no 3-byte sequence
//! occurs twice** (at two different positions, overlapping ones included, so `"aaaa"` does not
//! qualify), [`zlib_cannot_shorten`] answering `true` means `zlib.compress(json)` is at least
//! `n - 1` bytes long, so Flask sends the JSON as it is.
//!
//! # Why it holds
//!
//! 1. **zlib emits only literals.** `deflate_slow` emits a match only when `longest_match` found
//!    one of at least 3 bytes for a candidate from the hash chain of the current position, and
//!    every such match starts with a repeated 3-byte sequence (the chain's positions share the
//!    15-bit hash of their first three bytes, and with the first two bytes equal the hash
//!    decides the third). Without one, every byte is a literal.
//! 2. **One block.** A block is flushed early only at 16383 symbols; `n` literals are one last
//!    block, right after the 2-byte zlib header, followed by the 4-byte Adler-32.
//! 3. **Only a dynamic block can be short enough.** A fixed block spends at least 8 bits a
//!    literal (`n + 2` bytes or more with its header and `END_BLOCK`), a stored one `n + 5`
//!    bytes; a dynamic block of `opt_len` bits takes `(opt_len + 3 + 7) >> 3` bytes. Flask keeps
//!    the stream only when it is below `n - 1` bytes, and with `opt_len >= 8n - 66` it is at
//!    least `6 + (8n - 56) / 8 = n - 1` bytes.
//!
//! [`dynamic_block_lower_bound`] bounds `opt_len` from below from which bytes occur (not how
//! often): the bit-length tree's header (`14 + 3 * (max_blindex + 1) >= 14 + 54`, since the
//! distance tree's two forced lengths of 1 are sent with bit-length code 1, 18th in `bl_order`),
//! the two distance lengths (a bit each), the literal tree's lengths walked as zlib's `scan_tree`
//! walks them at one bit a code at least, and the literals, whose code lengths sum to at least
//! the external path length of a complete binary tree. For the chapter's sessions the bound
//! alone is enough; whatever it does not settle goes to the transcribed deflate, which is exact.

use crate::deflate;

/// Longest input the proof answers for: far below the 16383 literals that would split it into
/// two blocks, and above any cookie a browser keeps.
const MAX_PROVEN_LEN: usize = 4096;
const MIN_MATCH: usize = 3;
/// The literals and `END_BLOCK` (no length codes occur without matches).
const L_CODES: usize = 257;

/// The zlib stream Flask sends for `json`, or `None` when Flask sends the JSON itself.
pub(crate) fn flask_compressed(json: &[u8]) -> Option<Vec<u8>> {
    if zlib_cannot_shorten(json) {
        return None;
    }
    let zlib = deflate::zlib_compress(json);
    // itsdangerous: `if len(compressed) < (len(json) - 1)`.
    (zlib.len() + 1 < json.len()).then_some(zlib)
}

/// Whether `zlib.compress(json)` is proven to be at least `json.len() - 1` bytes (see the
/// module doc); `false` when that is not proven, whatever the truth.
fn zlib_cannot_shorten(json: &[u8]) -> bool {
    let n = json.len();
    n <= MAX_PROVEN_LEN
        && no_repeated_trigram(json)
        && dynamic_block_lower_bound(json) >= 8 * n as i64 - 66
}

/// A lower bound on zlib's `opt_len` (the bits of a dynamic block, without its 3 header bits)
/// for a literal-only block of `input` (see the module doc).
fn dynamic_block_lower_bound(input: &[u8]) -> i64 {
    let present = present_bytes(input);
    let codes: u32 = present.iter().map(|w| w.count_ones()).sum();
    let m = i64::from(codes);
    let total = input.len() as i64 + 1;
    let e = i64::from(31 - codes.leading_zeros()); // floor(log2 m)
    let path_length = m * e + 2 * (m - (1 << e));
    let literals = path_length + (total - m);

    // The literal tree's lengths, one used symbol at a time in symbol order: the unused stretch
    // before it costs GAP_COST[gap]; inside a stretch of used symbols, every other one (the 1st,
    // 3rd, ...) adds a bit, which is ceil(r / 2) for a stretch of r.
    let mut tree = 0i64;
    let mut next = 0usize; // first symbol not walked yet
    let mut odd = 0i64; // whether the last used symbol was the 1st, 3rd, ... of its stretch
    for (w, &word) in present.iter().enumerate() {
        let mut bits = word;
        while bits != 0 {
            let symbol = w * 64 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let gap = symbol - next;
            tree += i64::from(GAP_COST[gap.min(L_CODES - 1)]);
            odd = if gap > 0 { 1 } else { odd ^ 1 };
            tree += odd;
            next = symbol + 1;
        }
    }
    14 + 54 + 2 + tree + literals
}

/// Which byte values occur in `input` (bit `b % 64` of word `b / 64`), and `END_BLOCK` (bit 0
/// of word 4).
fn present_bytes(input: &[u8]) -> [u64; 5] {
    let mut present = [0u64, 0, 0, 0, 1];
    for &b in input {
        present[usize::from(b >> 6)] |= 1 << (b & 63);
    }
    present
}

/// What a stretch of `g` unused literal symbols costs at least, at one bit a code: zlib sends it
/// in chunks of at most 138, a chunk of 1 or 2 as that many single zero lengths, of 3 to 10 as
/// code 17 (3 extra bits), longer as code 18 (7 extra bits).
const GAP_COST: [u8; L_CODES] = {
    let mut table = [0u8; L_CODES];
    let mut g = 0;
    while g < L_CODES {
        let (mut left, mut cost) = (g, 0);
        while left > 0 {
            let chunk = if left < 138 { left } else { 138 };
            cost += match chunk {
                0..=2 => chunk,
                3..=10 => 1 + 3,
                _ => 1 + 7,
            };
            left -= chunk;
        }
        table[g] = cost as u8;
        g += 1;
    }
    table
};

/// Whether every 3-byte window of `input` is distinct.
fn no_repeated_trigram(input: &[u8]) -> bool {
    let mut windows: Vec<u32> = input
        .windows(MIN_MATCH)
        .map(|w| u32::from_be_bytes([0, w[0], w[1], w[2]]))
        .collect();
    windows.sort_unstable();
    windows.windows(2).all(|pair| pair[0] != pair[1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{hex, literal_only_text, Rng};
    use proptest::prelude::*;

    /// Sessions and texts on both sides of the proof: the chapter's, literal-only text over
    /// small and large alphabets, repeats, random bytes.
    fn samples() -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for user in ["cobra", "nagini", "alice_wonderland", "José", "🐍 snake"] {
            for visit in [0u64, 1, 12, 42, 999, 12_345, u64::MAX] {
                let v = serde_json::json!({"username": user, "visit": visit});
                out.push(crate::serialize_session(&v).unwrap().into_bytes());
            }
        }
        let mut rng = Rng(0x5EED);
        for alphabet in [
            &b"ab"[..],
            b"ACGT",
            b"0123456789abcdef",
            b"abcdefghijklmnopqrstuvwxyz",
        ] {
            for len in [3, 10, 30, 60, 100, 200, 400, 900] {
                out.push(literal_only_text(&mut rng, alphabet, len));
            }
        }
        for len in [1, 2, 5, 20, 80, 300, 1000, 5000] {
            out.push((0..len).map(|_| rng.next() as u8).collect());
            out.push(b"hiss ".repeat(len));
        }
        out
    }

    #[test]
    fn a_proven_plain_payload_is_one_the_transcription_does_not_shorten() {
        let mut proven = 0;
        for s in samples() {
            if zlib_cannot_shorten(&s) {
                proven += 1;
                let zlib = deflate::zlib_compress(&s);
                assert!(
                    zlib.len() + 1 >= s.len(),
                    "{:?}",
                    String::from_utf8_lossy(&s)
                );
                assert_eq!(flask_compressed(&s), None);
            } else {
                let zlib = deflate::zlib_compress(&s);
                let want = (zlib.len() + 1 < s.len()).then_some(zlib);
                assert_eq!(flask_compressed(&s), want);
            }
        }
        assert!(proven > 30, "{proven}");
    }

    #[test]
    fn it_settles_the_chapters_sessions_and_nothing_with_a_repeat() {
        for visit in [1, 12, 42, 999] {
            let s = format!(r#"{{"username":"cobra","visit":{visit}}}"#);
            assert!(zlib_cannot_shorten(s.as_bytes()), "{s}");
        }
        for s in [&b"aaaa"[..], b"abcXabc", b"{\"note\":\"hiss hiss \"}"] {
            assert!(!zlib_cannot_shorten(s), "{s:?}");
        }
        assert!(zlib_cannot_shorten(b"ab"));
        let long: Vec<u8> = (0..=MAX_PROVEN_LEN).map(|i| (i % 251) as u8).collect();
        assert!(!zlib_cannot_shorten(&long));
    }

    /// Python's zlib: where the proof says "plain", zlib's own stream is not short enough.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn a_proven_plain_payload_is_one_pythons_zlib_does_not_shorten() {
        let mut python = match crate::testing::PythonZlib::start() {
            Ok(python) => python,
            Err(why) => {
                return crate::testing::skip(
                    "a_proven_plain_payload_is_one_pythons_zlib_does_not_shorten",
                    &why,
                )
            }
        };
        let mut proven = 0;
        for s in samples() {
            let zlib = python.compress(&s);
            let want = (zlib.len() + 1 < s.len()).then_some(&zlib);
            assert_eq!(
                flask_compressed(&s).as_ref().map(|z| hex(z)),
                want.map(|z| hex(z))
            );
            if zlib_cannot_shorten(&s) {
                proven += 1;
                assert!(zlib.len() + 1 >= s.len(), "zlib {}: {s:?}", python.version);
            }
        }
        assert!(proven > 30, "{proven}");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn never_a_missed_compression(s in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            "[ACGT]{1,300}".prop_map(String::into_bytes),
            "[ -~]{1,200}".prop_map(String::into_bytes),
            "\\{\"[a-z_]{1,12}\":\"[ -~]{0,60}\",\"visit\":[0-9]{1,6}\\}".prop_map(String::into_bytes),
        ]) {
            if zlib_cannot_shorten(&s) {
                prop_assert!(deflate::zlib_compress(&s).len() + 1 >= s.len());
            }
        }
    }
}
