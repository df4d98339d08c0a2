//! zlib's `compress2` at level 6, transcribed: the very bytes of Python's `zlib.compress(json)`,
//! which itsdangerous puts in a compressed cookie and whose length decides whether it compresses.
//!
//! Behaviour needs it: other deflate libraries (miniz_oxide, which reads the cookies) write other
//! valid streams, so their cookies would differ from Flask's, and near the threshold the decision
//! to compress would too. The tests hold it to Python's zlib byte for byte.
//!
//! What is transcribed: `deflate_slow` (lazy matching with level 6's `good_length` 8, `max_lazy`
//! 16, `nice_length` 128, `max_chain` 128, the `TOO_FAR` rule), `longest_match`, `fill_window`
//! (the 64 KiB window, its slide by 32 KiB and the hash chains' slide, the zeroing past the data
//! that `longest_match` reads before it caps a match at the lookahead), the 15-bit hash of three
//! bytes and its chains (collisions included, because they use up the chain budget), a block
//! flushed every 16383 symbols (memory level 8), and `_tr_flush_block`'s choice of a stored, fixed
//! or dynamic block with `build_tree`, `gen_bitlen`, `scan_tree`, `build_bl_tree`,
//! `send_all_trees` and `compress_block`. The code read is zlib 1.2.11 to 1.3.1, the same in every
//! function used here. Other libraries that stand in for zlib (zlib-ng, for one) make other
//! streams, and Flask's own cookies then differ between installations.
//!
//! Origin, plainly marked as the zlib license asks: the algorithms are zlib's (© Jean-loup Gailly
//! and Mark Adler, zlib license), rewritten here in Rust for this one use; this is an altered
//! version, not the original zlib.

const MIN_MATCH: usize = 3;
const MAX_MATCH: usize = 258;
/// zlib's `w_size` (window bits 15) and its window of twice that.
const W_SIZE: usize = 32 * 1024;
const W_MASK: usize = W_SIZE - 1;
const WINDOW_SIZE: usize = 2 * W_SIZE;
/// `MIN_LOOKAHEAD`: below this much lookahead, `fill_window` runs.
const MIN_LOOKAHEAD: usize = MAX_MATCH + MIN_MATCH + 1;
/// `MAX_DIST`: matches are never farther back than this.
const MAX_DIST: usize = W_SIZE - MIN_LOOKAHEAD;
/// `WIN_INIT`: how far past the data `fill_window` zeroes the window.
const WIN_INIT: usize = MAX_MATCH;
const HASH_BITS: u32 = 15;
const HASH_SIZE: usize = 1 << HASH_BITS;
const HASH_MASK: usize = HASH_SIZE - 1;
/// Level 6 in zlib's `configuration_table`.
const GOOD_LENGTH: usize = 8;
const MAX_LAZY: usize = 16;
const NICE_LENGTH: usize = 128;
const MAX_CHAIN: usize = 128;
/// Matches of length 3 farther back than this are dropped.
const TOO_FAR: usize = 4096;
/// A block is flushed when it holds `lit_bufsize - 1` symbols (memory level 8).
const BLOCK_SYMBOLS: usize = (1 << (8 + 6)) - 1;

/// Literal/length codes: 256 literals, `END_BLOCK`, 29 length codes.
const L_CODES: usize = 286;
const END_BLOCK: usize = 256;
const D_CODES: usize = 30;
const BL_CODES: usize = 19;
const MAX_BITS: usize = 15;
const MAX_BL_BITS: usize = 7;
const REP_3_6: usize = 16;
const REPZ_3_10: usize = 17;
const REPZ_11_138: usize = 18;
/// The order in which the bit-length code lengths are sent (RFC 1951, zlib's `bl_order`).
const BL_ORDER: [usize; BL_CODES] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

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
/// Extra bits of the bit-length codes 16, 17, 18 (zlib's `extra_blbits`).
const EXTRA_BLBITS: [u8; BL_CODES] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7];
/// Extra bits by literal/length symbol (zlib's `extra_lbits` from `LITERALS + 1` on).
const LIT_EXTRA: [u8; L_CODES] = {
    let mut table = [0u8; L_CODES];
    let mut code = 0;
    while code < 29 {
        table[257 + code] = EXTRA_LBITS[code];
        code += 1;
    }
    table
};
/// The fixed Huffman code's lengths (zlib's `static_ltree`, all 288 symbols).
const STATIC_LIT_LEN: [u8; 288] = {
    let mut table = [0u8; 288];
    let mut s = 0;
    while s < 288 {
        table[s] = match s {
            0..=143 => 8,
            144..=255 => 9,
            256..=279 => 7,
            _ => 8,
        };
        s += 1;
    }
    table
};
const STATIC_DIST_LEN: [u8; D_CODES] = [5; D_CODES];

/// `zlib.compress(input)`: the header `78 9c`, the deflate stream, the Adler-32 of `input`.
pub(crate) fn zlib_compress(input: &[u8]) -> Vec<u8> {
    let mut out = BitWriter::with_capacity(input.len() / 2 + 16);
    out.bytes.extend_from_slice(&[0x78, 0x9c]);
    Deflate::new(input).run(&mut out);
    out.bytes
        .extend_from_slice(&adler2::adler32_slice(input).to_be_bytes());
    out.bytes
}

/// What `deflate_slow` tallied: a literal, or a match of `len` bytes `dist` back.
#[derive(Debug, Clone, Copy)]
enum Symbol {
    Literal(u8),
    Match { len: u16, dist: u16 },
}

/// The length code (0-based, add 257) of a match length. zlib sends 258 as code 285, not as
/// code 284 with 31 extra (`_length_code[255]` is overwritten for that).
fn length_code(len: usize) -> usize {
    if len == MAX_MATCH {
        return 28;
    }
    BASE_LENGTH
        .partition_point(|base| usize::from(*base) <= len)
        .saturating_sub(1)
}

/// The distance code of a distance (1..=32768).
fn dist_code(dist: usize) -> usize {
    BASE_DIST
        .partition_point(|base| usize::from(*base) <= dist)
        .saturating_sub(1)
}

/// zlib's hash of the three bytes at `p` (the rolling `UPDATE_HASH`, which keeps only the last
/// three bytes at 15 bits and a shift of 5).
fn hash(window: &[u8], p: usize) -> usize {
    ((usize::from(window[p]) << 10)
        ^ (usize::from(window[p + 1]) << 5)
        ^ usize::from(window[p + 2]))
        & HASH_MASK
}

/// The hash chains: `head` as an open-addressing map from hash to the last position inserted,
/// at most half full, sized to the input (0 is zlib's `NIL`, so a string at position 0 is never
/// matched, as in zlib), and `prev` by position modulo the window size.
struct Chains {
    /// (hash + 1, position); a key of 0 is an empty slot.
    slots: Vec<(u16, u16)>,
    mask: usize,
    prev: Vec<u16>,
}

impl Chains {
    fn new(n: usize) -> Chains {
        let size = (2 * n.min(HASH_SIZE)).next_power_of_two().max(16);
        Chains {
            slots: vec![(0, 0); size],
            mask: size - 1,
            prev: vec![0; n.clamp(1, W_SIZE)],
        }
    }

    /// `INSERT_STRING`: returns the previous head of `h`'s chain and makes `p` its head.
    fn insert(&mut self, h: usize, p: usize) -> usize {
        let key = (h + 1) as u16;
        let mut i = (h.wrapping_mul(0x9E37_79B1) >> 7) & self.mask;
        let old = loop {
            let (k, pos) = self.slots[i];
            if k == key {
                self.slots[i].1 = p as u16;
                break pos;
            }
            if k == 0 {
                self.slots[i] = (key, p as u16);
                break 0;
            }
            i = (i + 1) & self.mask;
        };
        self.prev[p & W_MASK] = old;
        usize::from(old)
    }

    /// The next older position on the chain through `p`.
    fn prev(&self, p: usize) -> usize {
        usize::from(self.prev[p & W_MASK])
    }

    /// `slide_hash`: every position moves down by `W_SIZE`; those that fall out become `NIL`.
    fn slide(&mut self) {
        let slide = |pos: &mut u16| {
            *pos = if usize::from(*pos) >= W_SIZE {
                *pos - W_SIZE as u16
            } else {
                0
            }
        };
        self.slots.iter_mut().for_each(|(_, pos)| slide(pos));
        self.prev.iter_mut().for_each(slide);
    }
}

/// `deflate_state`, the parts level 6 uses.
struct Deflate<'a> {
    input: &'a [u8],
    /// How much of `input` `read_buf` has copied into the window.
    read: usize,
    window: Vec<u8>,
    high_water: usize,
    chains: Chains,
    strstart: usize,
    lookahead: usize,
    /// Where the current block starts in the window; negative once the window slid past it.
    block_start: isize,
    match_start: usize,
    /// The current block's symbols (zlib's `sym_buf`).
    symbols: Vec<Symbol>,
}

impl<'a> Deflate<'a> {
    fn new(input: &'a [u8]) -> Deflate<'a> {
        let n = input.len();
        // zlib's window is 64 KiB; a shorter input needs only itself and what is read past it.
        let window_len = (n + 2 * MAX_MATCH).min(WINDOW_SIZE);
        Deflate {
            input,
            read: 0,
            window: vec![0; window_len],
            high_water: 0,
            chains: Chains::new(n),
            strstart: 0,
            lookahead: 0,
            block_start: 0,
            match_start: 0,
            symbols: Vec::with_capacity((n / 2 + 1).min(BLOCK_SYMBOLS + 1)),
        }
    }

    /// `deflate_slow` with `Z_FINISH`, the whole input available at once, as `compress2` calls it.
    fn run(mut self, out: &mut BitWriter) {
        let mut match_length = MIN_MATCH - 1;
        let mut match_available = false;
        loop {
            if self.lookahead < MIN_LOOKAHEAD {
                self.fill_window();
                if self.lookahead == 0 {
                    break;
                }
            }
            let mut hash_head = 0;
            if self.lookahead >= MIN_MATCH {
                hash_head = self.insert(self.strstart);
            }
            let prev_length = match_length;
            let prev_match = self.match_start;
            match_length = MIN_MATCH - 1;
            if hash_head != 0 && prev_length < MAX_LAZY && self.strstart - hash_head <= MAX_DIST {
                match_length = self.longest_match(hash_head, prev_length);
                if match_length == MIN_MATCH
                    && self.strstart.wrapping_sub(self.match_start) > TOO_FAR
                {
                    match_length = MIN_MATCH - 1;
                }
            }
            if prev_length >= MIN_MATCH && match_length <= prev_length {
                let max_insert = self.strstart + self.lookahead - MIN_MATCH;
                let full = self.tally(Symbol::Match {
                    len: prev_length as u16,
                    dist: (self.strstart - 1).wrapping_sub(prev_match) as u16,
                });
                self.lookahead -= prev_length - 1;
                for _ in 0..prev_length - 2 {
                    self.strstart += 1;
                    if self.strstart <= max_insert {
                        self.insert(self.strstart);
                    }
                }
                match_available = false;
                match_length = MIN_MATCH - 1;
                self.strstart += 1;
                if full {
                    self.flush_block(out, false);
                }
            } else if match_available {
                let full = self.tally(Symbol::Literal(self.window[self.strstart - 1]));
                if full {
                    self.flush_block(out, false);
                }
                self.strstart += 1;
                self.lookahead -= 1;
            } else {
                match_available = true;
                self.strstart += 1;
                self.lookahead -= 1;
            }
        }
        if match_available {
            // zlib ignores whether this one fills the block: the last block takes it.
            self.tally(Symbol::Literal(self.window[self.strstart - 1]));
        }
        self.flush_block(out, true);
    }

    fn insert(&mut self, p: usize) -> usize {
        self.chains.insert(hash(&self.window, p), p)
    }

    /// `_tr_tally`: whether the block is now full.
    fn tally(&mut self, symbol: Symbol) -> bool {
        self.symbols.push(symbol);
        self.symbols.len() == BLOCK_SYMBOLS
    }

    /// `fill_window`, for an input that is all there from the start.
    fn fill_window(&mut self) {
        loop {
            let mut more = WINDOW_SIZE - self.lookahead - self.strstart;
            if self.strstart >= W_SIZE + MAX_DIST {
                self.window.copy_within(W_SIZE..2 * W_SIZE - more, 0);
                self.match_start = self.match_start.wrapping_sub(W_SIZE);
                self.strstart -= W_SIZE;
                self.block_start -= W_SIZE as isize;
                self.chains.slide();
                more += W_SIZE;
            }
            let left = &self.input[self.read..];
            if left.is_empty() {
                break;
            }
            let n = more.min(left.len());
            let at = self.strstart + self.lookahead;
            self.window[at..at + n].copy_from_slice(&left[..n]);
            self.read += n;
            self.lookahead += n;
            if self.lookahead >= MIN_LOOKAHEAD || self.read == self.input.len() {
                break;
            }
        }
        // Zero what longest_match may read past the data, as zlib does once per stretch.
        if self.high_water < WINDOW_SIZE {
            let curr = self.strstart + self.lookahead;
            let end = self.window.len();
            if self.high_water < curr {
                let init = (WINDOW_SIZE - curr).min(WIN_INIT);
                self.window[curr..(curr + init).min(end)].fill(0);
                self.high_water = curr + init;
            } else if self.high_water < curr + WIN_INIT {
                let init = (curr + WIN_INIT - self.high_water).min(WINDOW_SIZE - self.high_water);
                let from = self.high_water.min(end);
                self.window[from..(self.high_water + init).min(end)].fill(0);
                self.high_water += init;
            }
        }
    }

    /// `longest_match` at `strstart`, from the chain starting at `cur_match`: the length of the
    /// best match longer than `prev_length` (capped at the lookahead, as zlib returns it), with
    /// its start in `match_start`, or `prev_length` itself when there is none.
    fn longest_match(&mut self, mut cur_match: usize, prev_length: usize) -> usize {
        let window = &self.window;
        let strstart = self.strstart;
        let mut chain_length = MAX_CHAIN;
        let mut best_len = prev_length;
        let nice_match = NICE_LENGTH.min(self.lookahead);
        let limit = strstart.saturating_sub(MAX_DIST);
        if prev_length >= GOOD_LENGTH {
            chain_length >>= 2;
        }
        let scan = &window[strstart..strstart + MAX_MATCH + 1];
        loop {
            let m = &window[cur_match..cur_match + MAX_MATCH + 1];
            // zlib's quick rejections; scan[2] == m[2] follows from equal hashes.
            if m[best_len] == scan[best_len]
                && m[best_len - 1] == scan[best_len - 1]
                && m[0] == scan[0]
                && m[1] == scan[1]
            {
                let len = 3 + scan[3..MAX_MATCH]
                    .iter()
                    .zip(&m[3..MAX_MATCH])
                    .take_while(|(a, b)| a == b)
                    .count();
                if len > best_len {
                    self.match_start = cur_match;
                    best_len = len;
                    if len >= nice_match {
                        break;
                    }
                }
            }
            cur_match = self.chains.prev(cur_match);
            chain_length -= 1;
            if cur_match <= limit || chain_length == 0 {
                break;
            }
        }
        best_len.min(self.lookahead)
    }

    /// `FLUSH_BLOCK`: the block from `block_start` to `strstart`, then a new one.
    fn flush_block(&mut self, out: &mut BitWriter, last: bool) {
        let stored_len = (self.strstart as isize - self.block_start) as usize;
        let stored = usize::try_from(self.block_start)
            .ok()
            .and_then(|start| self.window.get(start..start + stored_len));
        Block::plan(&self.symbols).write(out, &self.symbols, stored, stored_len, last);
        self.symbols.clear();
        self.block_start = self.strstart as isize;
    }
}

/// `_tr_flush_block`'s trees and costs for one block's symbols.
struct Block {
    lit: Tree<L_CODES>,
    dist: Tree<D_CODES>,
    bit_length: Tree<BL_CODES>,
    max_blindex: usize,
    /// Bits of the dynamic block, without its 3 header bits.
    opt_len: i64,
    /// Bits of the fixed block, without its 3 header bits.
    static_len: i64,
}

impl Block {
    fn plan(symbols: &[Symbol]) -> Block {
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
        let lit = build_tree(&lit_freq, &LIT_EXTRA, MAX_BITS);
        let dist = build_tree(&dist_freq, &EXTRA_DBITS, MAX_BITS);
        let static_len: i64 = lit_freq
            .iter()
            .zip(STATIC_LIT_LEN.iter().zip(&LIT_EXTRA))
            .chain(
                dist_freq
                    .iter()
                    .zip(STATIC_DIST_LEN.iter().zip(&EXTRA_DBITS)),
            )
            .map(|(&f, (&len, &extra))| i64::from(f) * i64::from(len + extra))
            .sum();

        // build_bl_tree: the run-length codes of both trees' lengths, then their own tree.
        let mut bl_freq = [0u16; BL_CODES];
        let mut count = |code: LengthCode| bl_freq[bl_symbol(code)] += 1;
        for_each_length_code(&lit.len, lit.max_code, &mut count);
        for_each_length_code(&dist.len, dist.max_code, &mut count);
        let bit_length = build_tree(&bl_freq, &EXTRA_BLBITS, MAX_BL_BITS);
        let mut max_blindex = BL_CODES - 1;
        while max_blindex >= 3 && bit_length.len[BL_ORDER[max_blindex]] == 0 {
            max_blindex -= 1;
        }
        let opt_len =
            lit.cost + dist.cost + bit_length.cost + 3 * (max_blindex as i64 + 1) + 5 + 5 + 4;
        Block {
            lit,
            dist,
            bit_length,
            max_blindex,
            opt_len,
            static_len,
        }
    }

    /// `_tr_flush_block`'s choice and writing: stored when `stored_len + 4` bytes are no more
    /// than the smaller coded block (and the block's bytes are still in the window), else fixed
    /// when it is no longer than dynamic, else dynamic.
    fn write(
        &self,
        out: &mut BitWriter,
        symbols: &[Symbol],
        stored: Option<&[u8]>,
        stored_len: usize,
        last: bool,
    ) {
        let dynamic_lenb = ((self.opt_len + 3 + 7) >> 3) as usize;
        let static_lenb = ((self.static_len + 3 + 7) >> 3) as usize;
        let opt_lenb = dynamic_lenb.min(static_lenb);
        let last_bit = u32::from(last);
        match stored {
            Some(bytes) if stored_len + 4 <= opt_lenb => {
                out.bits(last_bit, 3); // STORED_BLOCK
                out.stored_block(bytes);
            }
            _ if static_lenb == opt_lenb => {
                out.bits((1 << 1) | last_bit, 3); // STATIC_TREES
                let lit_codes = canonical_codes(&STATIC_LIT_LEN);
                let dist_codes = canonical_codes(&STATIC_DIST_LEN);
                compress_block(
                    out,
                    symbols,
                    (&lit_codes, &STATIC_LIT_LEN),
                    (&dist_codes, &STATIC_DIST_LEN),
                );
            }
            _ => {
                out.bits((2 << 1) | last_bit, 3); // DYN_TREES
                out.send_all_trees(
                    (&self.lit.len, self.lit.max_code),
                    (&self.dist.len, self.dist.max_code),
                    (&self.bit_length.len, self.max_blindex),
                );
                let lit_codes = canonical_codes(&self.lit.len);
                let dist_codes = canonical_codes(&self.dist.len);
                compress_block(
                    out,
                    symbols,
                    (&lit_codes, &self.lit.len),
                    (&dist_codes, &self.dist.len),
                );
            }
        }
        if last {
            out.align();
        }
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

/// A Huffman tree as zlib's `build_tree` makes it for an alphabet of `N` symbols: lengths by
/// symbol, `max_code` (the last symbol with a code), and the tree's share of `opt_len`
/// (`sum(freq * (len + extra bits))`).
struct Tree<const N: usize> {
    len: [u8; N],
    max_code: usize,
    cost: i64,
}

/// zlib's `build_tree`, including the codes it forces in when fewer than two symbols are used
/// ("at least one distance code exists, and ... at least one bit should be sent"), each with a
/// frequency of 1 and one bit less of `opt_len`.
fn build_tree<const N: usize>(freq: &[u16; N], extra: &[u8; N], max_length: usize) -> Tree<N> {
    // Every alphabet here has at most L_CODES symbols; two more may be forced in.
    const MAX_LEAVES: usize = L_CODES + 2;
    let mut symbols = [0u16; MAX_LEAVES];
    let mut freqs = [0u16; MAX_LEAVES];
    let mut m = 0;
    let mut max_code: Option<usize> = None;
    let mut cost = 0i64;
    for (symbol, &f) in freq.iter().enumerate() {
        if f != 0 {
            symbols[m] = symbol as u16;
            freqs[m] = f;
            m += 1;
            max_code = Some(symbol);
        }
    }
    while m < 2 {
        let node = match max_code {
            Some(c) if c >= 2 => 0,
            Some(c) => c + 1,
            None => 0,
        };
        if max_code.is_none_or(|c| c < 2) {
            max_code = Some(node);
        }
        symbols[m] = node as u16;
        freqs[m] = 1;
        m += 1;
        cost -= 1;
    }
    let mut lens = [0u8; MAX_LEAVES];
    cost += if m <= 32 {
        huffman::<65>(&freqs[..m], max_length, &mut lens)
    } else {
        huffman::<{ 2 * MAX_LEAVES + 1 }>(&freqs[..m], max_length, &mut lens)
    };
    let mut len = [0u8; N];
    for i in 0..m {
        let symbol = usize::from(symbols[i]);
        len[symbol] = lens[i];
        cost += i64::from(freqs[i]) * i64::from(extra[symbol]);
    }
    Tree {
        len,
        max_code: max_code.unwrap_or(0),
        cost,
    }
}

/// zlib's `build_tree` and `gen_bitlen` over the leaves that enter its heap, given here in the
/// order zlib inserts them (`freqs[i]` is leaf `i`): returns `sum(freq * len)` and writes the
/// lengths to `lens`.
///
/// zlib numbers leaves by symbol and internal nodes from the alphabet size up; it compares
/// nodes only by (frequency, depth) and tells leaves from internal nodes only by number, so
/// numbering the leaves `0..m` in insertion order and internal nodes from `m` builds the same
/// tree. `NODES` (at least `2 * m + 1`) sizes the work arrays.
fn huffman<const NODES: usize>(freqs: &[u16], max_length: usize, lens: &mut [u8]) -> i64 {
    let m = freqs.len();
    debug_assert!(m >= 2 && 2 * m < NODES && lens.len() >= m);
    let mut freq = [0u32; NODES];
    let mut dad = [0u16; NODES];
    let mut len = [0u8; NODES];
    let mut depth = [0u8; NODES];
    let mut heap = [0u16; NODES];
    let heap_end = 2 * m + 1;
    let mut heap_len = m;
    let mut heap_max = heap_end;
    for (i, &f) in freqs.iter().enumerate() {
        freq[i] = u32::from(f);
        heap[i + 1] = i as u16;
    }

    let smaller = |freq: &[u32; NODES], depth: &[u8; NODES], n: u16, m: u16| {
        let (n, m) = (usize::from(n), usize::from(m));
        freq[n] < freq[m] || (freq[n] == freq[m] && depth[n] <= depth[m])
    };
    // zlib's pqdownheap.
    let down_heap = |heap: &mut [u16; NODES],
                     heap_len: usize,
                     freq: &[u32; NODES],
                     depth: &[u8; NODES],
                     mut k: usize| {
        let v = heap[k];
        let mut j = k << 1;
        while j <= heap_len {
            if j < heap_len && smaller(freq, depth, heap[j + 1], heap[j]) {
                j += 1;
            }
            if smaller(freq, depth, v, heap[j]) {
                break;
            }
            heap[k] = heap[j];
            k = j;
            j <<= 1;
        }
        heap[k] = v;
    };

    for k in (1..=heap_len / 2).rev() {
        down_heap(&mut heap, heap_len, &freq, &depth, k);
    }
    let mut node = m;
    loop {
        // pqremove: the least frequent node, then the next one.
        let n = heap[1];
        heap[1] = heap[heap_len];
        heap_len -= 1;
        down_heap(&mut heap, heap_len, &freq, &depth, 1);
        let k = heap[1];
        heap_max -= 1;
        heap[heap_max] = n;
        heap_max -= 1;
        heap[heap_max] = k;
        let (nu, ku) = (usize::from(n), usize::from(k));
        freq[node] = freq[nu] + freq[ku];
        depth[node] = depth[nu].max(depth[ku]).wrapping_add(1); // zlib: (uch)(... + 1)
        dad[nu] = node as u16;
        dad[ku] = node as u16;
        heap[1] = node as u16;
        node += 1;
        down_heap(&mut heap, heap_len, &freq, &depth, 1);
        if heap_len < 2 {
            break;
        }
    }
    heap_max -= 1;
    heap[heap_max] = heap[1];

    // gen_bitlen: lengths from the root down, clamped to max_length, then zlib's fix-up.
    let mut bl_count = [0u16; MAX_BITS + 1];
    let mut overflow = 0i32;
    let mut cost: i64 = 0;
    len[usize::from(heap[heap_max])] = 0;
    for &n in &heap[heap_max + 1..heap_end] {
        let n = usize::from(n);
        let mut bits = usize::from(len[usize::from(dad[n])]) + 1;
        if bits > max_length {
            bits = max_length;
            overflow += 1;
        }
        len[n] = bits as u8;
        if n >= m {
            continue; // not a leaf
        }
        bl_count[bits] += 1;
        cost += i64::from(freq[n]) * bits as i64;
    }
    if overflow > 0 {
        loop {
            let mut bits = max_length - 1;
            while bl_count[bits] == 0 {
                bits -= 1;
            }
            bl_count[bits] -= 1;
            bl_count[bits + 1] += 2;
            bl_count[max_length] -= 1;
            overflow -= 2;
            if overflow <= 0 {
                break;
            }
        }
        let mut h = heap_end;
        for bits in (1..=max_length).rev() {
            let mut left = bl_count[bits];
            while left != 0 {
                h -= 1;
                let k = usize::from(heap[h]);
                if k >= m {
                    continue;
                }
                if usize::from(len[k]) != bits {
                    cost += (bits as i64 - i64::from(len[k])) * i64::from(freq[k]);
                    len[k] = bits as u8;
                }
                left -= 1;
            }
        }
    }
    lens[..m].copy_from_slice(&len[..m]);
    cost
}

/// One step of zlib's run-length coding of a tree's code lengths (`scan_tree` / `send_tree`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LengthCode {
    /// One code length, sent as itself.
    Single(u8),
    /// Code 16: repeat the previous length `3..=6` times.
    Repeat(u8),
    /// Code 17: `3..=10` zeros.
    ShortZeros(u8),
    /// Code 18: `11..=138` zeros.
    LongZeros(u8),
}

/// zlib's `scan_tree`/`send_tree` walk over `len[..=max_code]`, calling `emit` for each code.
fn for_each_length_code(len: &[u8], max_code: usize, mut emit: impl FnMut(LengthCode)) {
    let mut prevlen: i32 = -1;
    let mut nextlen = i32::from(len.first().copied().unwrap_or(0));
    let mut count = 0u32;
    let (mut max_count, mut min_count) = if nextlen == 0 { (138, 3) } else { (7, 4) };
    for n in 0..=max_code {
        let curlen = nextlen;
        // zlib's guard: tree[max_code + 1].Len = 0xffff.
        nextlen = if n < max_code {
            i32::from(len.get(n + 1).copied().unwrap_or(0))
        } else {
            0xffff
        };
        count += 1;
        if count < max_count && curlen == nextlen {
            continue;
        } else if count < min_count {
            for _ in 0..count {
                emit(LengthCode::Single(curlen as u8));
            }
        } else if curlen != 0 {
            if curlen != prevlen {
                emit(LengthCode::Single(curlen as u8));
                count -= 1;
            }
            emit(LengthCode::Repeat(count as u8));
        } else if count <= 10 {
            emit(LengthCode::ShortZeros(count as u8));
        } else {
            emit(LengthCode::LongZeros(count as u8));
        }
        count = 0;
        prevlen = curlen;
        (max_count, min_count) = if nextlen == 0 {
            (138, 3)
        } else if curlen == nextlen {
            (6, 3)
        } else {
            (7, 4)
        };
    }
}

/// The bit-length alphabet's symbol for one run-length code: the length itself, or 16, 17, 18.
fn bl_symbol(code: LengthCode) -> usize {
    match code {
        LengthCode::Single(l) => usize::from(l),
        LengthCode::Repeat(_) => REP_3_6,
        LengthCode::ShortZeros(_) => REPZ_3_10,
        LengthCode::LongZeros(_) => REPZ_11_138,
    }
}

/// zlib's `gen_codes`: canonical Huffman codes from the lengths, bit-reversed for sending.
fn canonical_codes<const N: usize>(len: &[u8; N]) -> [u32; N] {
    let mut bl_count = [0u32; MAX_BITS + 1];
    for &l in len.iter().filter(|l| **l != 0) {
        bl_count[usize::from(l)] += 1;
    }
    let mut next_code = [0u32; MAX_BITS + 1];
    let mut code = 0u32;
    for bits in 1..=MAX_BITS {
        code = (code + bl_count[bits - 1]) << 1;
        next_code[bits] = code;
    }
    let mut codes = [0u32; N];
    for (symbol, &l) in len.iter().enumerate() {
        if l != 0 {
            let l = usize::from(l);
            codes[symbol] = reverse(next_code[l], l as u32);
            next_code[l] += 1;
        }
    }
    codes
}

/// The low `len` bits of `code`, in reverse order (deflate sends Huffman codes from the top bit).
fn reverse(code: u32, len: u32) -> u32 {
    code.reverse_bits() >> (32 - len)
}

/// Deflate's bit order: least significant bit first, as zlib's `send_bits`.
struct BitWriter {
    bytes: Vec<u8>,
    acc: u64,
    used: u32,
}

impl BitWriter {
    fn with_capacity(capacity: usize) -> BitWriter {
        BitWriter {
            bytes: Vec::with_capacity(capacity),
            acc: 0,
            used: 0,
        }
    }

    fn bits(&mut self, value: u32, count: u32) {
        self.acc |= u64::from(value) << self.used;
        self.used += count;
        while self.used >= 8 {
            self.bytes.push(self.acc as u8);
            self.acc >>= 8;
            self.used -= 8;
        }
    }

    /// `_tr_stored_block` after its header bits: padding, `LEN`, `NLEN`, the bytes.
    fn stored_block(&mut self, bytes: &[u8]) {
        self.align();
        let len = bytes.len() as u16;
        self.bytes.extend_from_slice(&len.to_le_bytes());
        self.bytes.extend_from_slice(&(!len).to_le_bytes());
        self.bytes.extend_from_slice(bytes);
    }

    /// zlib's `send_all_trees`: the code counts, the bit-length code lengths in `BL_ORDER`,
    /// then the literal/length and distance lengths run-length coded (`send_tree`). Each tree
    /// comes as (lengths, `max_code`); the bit-length tree as (lengths, `max_blindex`).
    fn send_all_trees(
        &mut self,
        (lit_len, lit_max_code): (&[u8], usize),
        (dist_len, dist_max_code): (&[u8], usize),
        (bl_len, max_blindex): (&[u8; BL_CODES], usize),
    ) {
        self.bits((lit_max_code + 1 - 257) as u32, 5);
        self.bits(dist_max_code as u32, 5);
        self.bits((max_blindex + 1 - 4) as u32, 4);
        for &symbol in &BL_ORDER[..=max_blindex] {
            self.bits(u32::from(bl_len[symbol]), 3);
        }
        let bl_codes = canonical_codes(bl_len);
        let mut send = |code: LengthCode| {
            let symbol = bl_symbol(code);
            self.bits(bl_codes[symbol], u32::from(bl_len[symbol]));
            let (extra, extra_bits) = match code {
                LengthCode::Single(_) => return,
                LengthCode::Repeat(c) => (u32::from(c) - 3, 2),
                LengthCode::ShortZeros(c) => (u32::from(c) - 3, 3),
                LengthCode::LongZeros(c) => (u32::from(c) - 11, 7),
            };
            self.bits(extra, extra_bits);
        };
        for_each_length_code(lit_len, lit_max_code, &mut send);
        for_each_length_code(dist_len, dist_max_code, &mut send);
    }

    /// zlib's `bi_windup`: pad the last byte with zero bits.
    fn align(&mut self) {
        if self.used > 0 {
            self.bytes.push(self.acc as u8);
        }
        self.acc = 0;
        self.used = 0;
    }
}

#[cfg(test)]
mod tests;
