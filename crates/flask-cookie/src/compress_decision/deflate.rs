//! zlib's `compress2` at level 6, for inputs of at most [`MAX_MODELLED_LEN`] bytes: the same
//! bytes as Python's `zlib.compress`, for the payloads the literal-only model does not cover
//! (some 3-byte sequence repeats, so zlib finds matches).
//!
//! A transcription of `deflate_slow` and `longest_match` (lazy matching with level 6's
//! `good_length` 8, `max_lazy` 16, `nice_length` 128, `max_chain` 128; the 15-bit hash of three
//! bytes and its chains, collisions included, because they use up the chain budget), then of
//! `_tr_flush_block` and `compress_block` for the one block such an input makes (fewer than
//! 16383 symbols). zlib's window is the input followed by zeros (`fill_window` zeroes what
//! follows the data, and `longest_match` reads there before it caps a match at the lookahead),
//! so the input is copied into such a buffer. The only source of difference from zlib would be a
//! mistake in the transcription: the tests compare with Python's zlib byte for byte.
//!
//! Origin, plainly marked as the zlib license asks: the algorithms are zlib's (© Jean-loup
//! Gailly and Mark Adler, zlib license), rewritten here in Rust for this one use; this is an
//! altered version, not the original zlib.

use super::{
    bit_length_tree, bl_symbol, canonical_codes, choose_block, for_each_length_code, huffman,
    small_tree, zlib_stream, BitWriter, BlockKind, LengthCode, SmallTree, BL_CODES, END_BLOCK,
    MAX_BITS, MAX_MODELLED_LEN, MIN_MATCH,
};

const MAX_MATCH: usize = 258;
/// Literal/length codes: 256 literals, `END_BLOCK`, 29 length codes.
const L_CODES: usize = 286;
const D_CODES: usize = 30;
const HASH_BITS: u32 = 15;
const HASH_MASK: usize = (1 << HASH_BITS) - 1;
/// Level 6 in zlib's `configuration_table`.
const GOOD_LENGTH: usize = 8;
const MAX_LAZY: usize = 16;
const NICE_LENGTH: usize = 128;
const MAX_CHAIN: usize = 128;
/// Matches of length 3 farther than this are dropped (never, below 4097 bytes of input).
const TOO_FAR: usize = 4096;
/// zlib's `MAX_DIST` for a 32 KiB window: `w_size - MIN_LOOKAHEAD`.
const MAX_DIST: usize = 32 * 1024 - (MAX_MATCH + MIN_MATCH + 1);

/// First match length of each length code 257.. (RFC 1951), and their extra bits.
const BASE_LENGTH: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const EXTRA_LBITS: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// First distance of each distance code, and their extra bits.
const BASE_DIST: [u16; D_CODES] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const EXTRA_DBITS: [u8; D_CODES] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// The length code (0-based, add 257) of a match length. zlib sends 258 as code 285, not as
/// code 284 with 31 extra (`_length_code[255]` is overwritten for that).
fn length_code(len: usize) -> usize {
    if len == MAX_MATCH {
        return 28;
    }
    BASE_LENGTH.partition_point(|base| usize::from(*base) <= len) - 1
}

/// The distance code of a distance (1..=32768).
fn dist_code(dist: usize) -> usize {
    BASE_DIST.partition_point(|base| usize::from(*base) <= dist) - 1
}

/// What `deflate_slow` tallied: a literal, or a match of `len` bytes `dist` back.
#[derive(Debug, Clone, Copy)]
enum Symbol {
    Literal(u8),
    Match { len: u16, dist: u16 },
}

/// `zlib.compress(input)` at level 6 for `1 <= input.len() <= MAX_MODELLED_LEN`; `None`
/// otherwise.
pub(crate) fn zlib_compress(input: &[u8]) -> Option<Vec<u8>> {
    let n = input.len();
    if n == 0 || n > MAX_MODELLED_LEN {
        return None;
    }
    let symbols = deflate_slow(input);
    Some(Block::plan(n, &symbols).write(input, &symbols))
}

/// zlib's hash of the three bytes at `p` (the rolling `UPDATE_HASH`, which keeps only the last
/// three bytes at 15 bits and a shift of 5).
fn hash(window: &[u8], p: usize) -> usize {
    ((usize::from(window[p]) << 10)
        ^ (usize::from(window[p + 1]) << 5)
        ^ usize::from(window[p + 2]))
        & HASH_MASK
}

/// The hash chains: `head` as a small open-addressing map from hash to the last position
/// inserted (0 is zlib's `NIL`, so a string at position 0 is never matched, as in zlib), and
/// `prev` by position.
struct Chains {
    slots: Vec<(u16, u16)>, // (hash + 1, position); hash + 1 == 0: empty
    mask: usize,
    prev: Vec<u16>,
}

impl Chains {
    fn new(n: usize) -> Chains {
        let size = (2 * n).next_power_of_two().max(16);
        Chains {
            slots: vec![(0, 0); size],
            mask: size - 1,
            prev: vec![0; n],
        }
    }

    /// `INSERT_STRING`: returns the previous head of `h`'s chain and makes `p` its head.
    fn insert(&mut self, h: usize, p: usize) -> usize {
        let key = (h + 1) as u16;
        let mut i = (h.wrapping_mul(0x9E37_79B1) >> 7) & self.mask;
        loop {
            let (k, pos) = self.slots[i];
            if k == key {
                self.slots[i].1 = p as u16;
                self.prev[p] = pos;
                return usize::from(pos);
            }
            if k == 0 {
                self.slots[i] = (key, p as u16);
                self.prev[p] = 0;
                return 0;
            }
            i = (i + 1) & self.mask;
        }
    }
}

fn deflate_slow(input: &[u8]) -> Vec<Symbol> {
    let n = input.len();
    let mut window = Vec::with_capacity(n + 2 * MAX_MATCH);
    window.extend_from_slice(input);
    window.resize(n + 2 * MAX_MATCH, 0);
    let mut chains = Chains::new(n);
    let mut symbols = Vec::with_capacity(n / 2 + 1);

    let mut strstart = 0usize;
    let mut lookahead = n;
    let mut match_length = MIN_MATCH - 1;
    let mut match_start = 0usize;
    let mut prev_length;
    let mut prev_match;
    let mut match_available = false;
    let max_insert_of = |strstart: usize, lookahead: usize| strstart + lookahead - MIN_MATCH;

    while lookahead > 0 {
        let mut hash_head = 0;
        if lookahead >= MIN_MATCH {
            hash_head = chains.insert(hash(&window, strstart), strstart);
        }
        prev_length = match_length;
        prev_match = match_start;
        match_length = MIN_MATCH - 1;
        if hash_head != 0 && prev_length < MAX_LAZY && strstart - hash_head <= MAX_DIST {
            let (len, start) = longest_match(
                &window,
                &chains.prev,
                strstart,
                lookahead,
                prev_length,
                hash_head,
            );
            match_length = len;
            match_start = start;
            if match_length == MIN_MATCH && strstart - match_start > TOO_FAR {
                match_length = MIN_MATCH - 1;
            }
        }
        if prev_length >= MIN_MATCH && match_length <= prev_length {
            let max_insert = max_insert_of(strstart, lookahead);
            symbols.push(Symbol::Match {
                len: prev_length as u16,
                dist: (strstart - 1 - prev_match) as u16,
            });
            lookahead -= prev_length - 1;
            let mut left = prev_length - 2;
            while left != 0 {
                strstart += 1;
                if strstart <= max_insert {
                    chains.insert(hash(&window, strstart), strstart);
                }
                left -= 1;
            }
            match_available = false;
            match_length = MIN_MATCH - 1;
            strstart += 1;
        } else if match_available {
            symbols.push(Symbol::Literal(window[strstart - 1]));
            strstart += 1;
            lookahead -= 1;
        } else {
            match_available = true;
            strstart += 1;
            lookahead -= 1;
        }
    }
    if match_available {
        symbols.push(Symbol::Literal(window[strstart - 1]));
    }
    symbols
}

/// `longest_match` at `strstart`, from the chain starting at `cur_match`: the length (capped at
/// the lookahead, as zlib returns it) and start of the best match longer than `prev_length`,
/// or `prev_length` itself when there is none.
fn longest_match(
    window: &[u8],
    prev: &[u16],
    strstart: usize,
    lookahead: usize,
    prev_length: usize,
    mut cur_match: usize,
) -> (usize, usize) {
    let mut chain_length = MAX_CHAIN;
    let mut best_len = prev_length;
    let mut match_start = 0usize;
    let nice_match = NICE_LENGTH.min(lookahead);
    let limit = strstart.saturating_sub(MAX_DIST);
    if prev_length >= GOOD_LENGTH {
        chain_length >>= 2;
    }
    let scan = &window[strstart..];
    loop {
        let m = &window[cur_match..];
        // zlib's quick rejections; scan[2] == m[2] follows from equal hashes.
        if !(m[best_len] != scan[best_len]
            || m[best_len - 1] != scan[best_len - 1]
            || m[0] != scan[0]
            || m[1] != scan[1])
        {
            let len = 3 + scan[3..MAX_MATCH]
                .iter()
                .zip(&m[3..MAX_MATCH])
                .take_while(|(a, b)| a == b)
                .count();
            let len = len.min(MAX_MATCH);
            if len > best_len {
                match_start = cur_match;
                best_len = len;
                if len >= nice_match {
                    break;
                }
            }
        }
        cur_match = usize::from(prev[cur_match]);
        chain_length -= 1;
        if cur_match <= limit || chain_length == 0 {
            break;
        }
    }
    (best_len.min(lookahead), match_start)
}

/// `_tr_flush_block`'s plan for the one block: trees, costs, and the kind zlib picks.
struct Block {
    lit_len: [u8; L_CODES],
    lit_max_code: usize,
    dist: SmallTree<D_CODES>,
    bit_length: SmallTree<BL_CODES>,
    max_blindex: usize,
    kind: BlockKind,
}

impl Block {
    fn plan(n: usize, symbols: &[Symbol]) -> Block {
        let mut lit_freq = [0u16; L_CODES];
        let mut dist_freq = [0u16; D_CODES];
        for s in symbols {
            match *s {
                Symbol::Literal(b) => lit_freq[usize::from(b)] += 1,
                Symbol::Match { len, dist } => {
                    lit_freq[257 + length_code(usize::from(len))] += 1;
                    dist_freq[dist_code(usize::from(dist))] += 1;
                }
            }
        }
        lit_freq[END_BLOCK] = 1;

        // The literal/length tree: leaves in symbol order (zlib's heap-insertion order).
        let used: Vec<usize> = (0..L_CODES).filter(|s| lit_freq[*s] != 0).collect();
        let leaf_freqs: Vec<u16> = used.iter().map(|s| lit_freq[*s]).collect();
        let mut leaf_lens = [0u8; L_CODES];
        let mut lit_cost = huffman::<{ 2 * L_CODES + 1 }>(&leaf_freqs, MAX_BITS, &mut leaf_lens);
        let mut lit_len = [0u8; L_CODES];
        let mut static_len: i64 = 0;
        for (&symbol, &len) in used.iter().zip(&leaf_lens) {
            lit_len[symbol] = len;
            let f = i64::from(lit_freq[symbol]);
            let (fixed, extra) = match symbol {
                0..=143 => (8, 0),
                144..=255 => (9, 0),
                256..=279 => (7, i64::from(EXTRA_LBITS[symbol.saturating_sub(257)])),
                _ => (8, i64::from(EXTRA_LBITS[symbol - 257])),
            };
            let extra = if symbol == END_BLOCK { 0 } else { extra };
            lit_cost += f * extra;
            static_len += f * (fixed + extra);
        }
        let lit_max_code = used.last().copied().unwrap_or(END_BLOCK);

        let dist = small_tree(&dist_freq, &EXTRA_DBITS, MAX_BITS);
        for (code, &f) in dist_freq.iter().enumerate() {
            static_len += i64::from(f) * (5 + i64::from(EXTRA_DBITS[code]));
        }

        let mut bl_freq = [0u16; BL_CODES];
        let mut count = |code: LengthCode| bl_freq[bl_symbol(code)] += 1;
        for_each_length_code(&lit_len, lit_max_code, &mut count);
        for_each_length_code(&dist.len, dist.max_code, &mut count);
        let (bit_length, max_blindex) = bit_length_tree(&bl_freq);
        let opt_len = lit_cost + dist.cost + bit_length.cost + 3 * (max_blindex as i64 + 1) + 14;
        let (kind, _) = choose_block(n, opt_len, static_len);
        Block {
            lit_len,
            lit_max_code,
            dist,
            bit_length,
            max_blindex,
            kind,
        }
    }

    fn write(&self, input: &[u8], symbols: &[Symbol]) -> Vec<u8> {
        zlib_stream(input, input.len() / 2 + 16, self.kind, |out| {
            match self.kind {
                BlockKind::Stored => out.stored_block(input),
                BlockKind::Fixed => {
                    let mut lit_len = [0u8; 288];
                    for (symbol, len) in lit_len.iter_mut().enumerate() {
                        *len = match symbol {
                            0..=143 => 8,
                            144..=255 => 9,
                            256..=279 => 7,
                            _ => 8,
                        };
                    }
                    let lit_codes = canonical_codes(&lit_len);
                    let dist_len = [5u8; D_CODES];
                    let dist_codes = canonical_codes(&dist_len);
                    compress_block(
                        out,
                        symbols,
                        (&lit_codes, &lit_len),
                        (&dist_codes, &dist_len),
                    );
                }
                BlockKind::Dynamic => {
                    out.send_all_trees(
                        (&self.lit_len, self.lit_max_code),
                        (&self.dist.len, self.dist.max_code),
                        (&self.bit_length.len, self.max_blindex),
                    );
                    let lit_codes = canonical_codes(&self.lit_len);
                    let dist_codes = canonical_codes(&self.dist.len);
                    compress_block(
                        out,
                        symbols,
                        (&lit_codes, &self.lit_len),
                        (&dist_codes, &self.dist.len),
                    );
                }
            }
        })
    }
}

/// zlib's `compress_block`: every symbol with its extra bits, then `END_BLOCK`.
fn compress_block(
    out: &mut BitWriter,
    symbols: &[Symbol],
    (lit_codes, lit_len): (&[u32], &[u8]),
    (dist_codes, dist_len): (&[u32], &[u8]),
) {
    for s in symbols {
        match *s {
            Symbol::Literal(b) => {
                let b = usize::from(b);
                out.bits(lit_codes[b], u32::from(lit_len[b]));
            }
            Symbol::Match { len, dist } => {
                let (len, dist) = (usize::from(len), usize::from(dist));
                let code = length_code(len);
                out.bits(lit_codes[257 + code], u32::from(lit_len[257 + code]));
                let extra = u32::from(EXTRA_LBITS[code]);
                if extra > 0 {
                    out.bits((len - usize::from(BASE_LENGTH[code])) as u32, extra);
                }
                let code = dist_code(dist);
                out.bits(dist_codes[code], u32::from(dist_len[code]));
                let extra = u32::from(EXTRA_DBITS[code]);
                if extra > 0 {
                    out.bits((dist - usize::from(BASE_DIST[code])) as u32, extra);
                }
            }
        }
    }
    out.bits(lit_codes[END_BLOCK], u32::from(lit_len[END_BLOCK]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_tables_agree_with_rfc_1951() {
        assert_eq!(length_code(3), 0);
        assert_eq!(length_code(10), 7);
        assert_eq!(length_code(11), 8);
        assert_eq!(length_code(12), 8);
        assert_eq!(length_code(257), 27);
        assert_eq!(length_code(258), 28);
        assert_eq!(dist_code(1), 0);
        assert_eq!(dist_code(4), 3);
        assert_eq!(dist_code(5), 4);
        assert_eq!(dist_code(6), 4);
        assert_eq!(dist_code(32768), 29);
    }
}
