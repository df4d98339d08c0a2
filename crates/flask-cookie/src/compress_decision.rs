//! Whether Flask would compress a session, decided without running a compressor when that can be
//! proven, because deflating was nearly all of the cost of signing a cookie (issue 6).
//!
//! itsdangerous (`URLSafeSerializerMixin.dump_payload`) compresses the JSON with Python's
//! `zlib.compress(json)` and keeps the result only `if len(compressed) < len(json) - 1`. Python's
//! `zlib.compress` is zlib's `compress2` at level 6 (`Z_DEFAULT_COMPRESSION`), window bits 15,
//! memory level 8, the default strategy: zlib's `deflate_slow` (lazy matching). Everything below
//! is about zlib proper (madler/zlib; the code read is 1.2.11 to 1.3.1, the same in every
//! function used here). Other libraries that stand in for zlib (zlib-ng, for one) make other
//! streams, and Flask's own decision then differs between installations.
//!
//! # The claim
//!
//! For a JSON text of `n <= MAX_MODELLED_LEN` bytes in which **no 3-byte sequence occurs twice**
//! (at two different positions, overlapping ones included, so `"aaaa"` does not qualify),
//! [`LiteralOnly::plan`] knows exactly what `zlib.compress(json)` is: its length without writing
//! it ([`LiteralOnly::zlib_len`]), and its very bytes ([`LiteralOnly::zlib_stream`]). The signer
//! applies itsdangerous' rule to that length, so it neither runs a compressor nor differs from
//! Flask on such payloads, which are most small sessions.
//!
//! # Why it holds
//!
//! 1. **zlib emits only literals.** `deflate_slow` emits a match only when `longest_match`
//!    returned a length of at least `MIN_MATCH` = 3 for a candidate taken from the hash chain of
//!    the current position. A candidate is an earlier position inserted while at least 3 bytes of
//!    input were left, so its first 3 bytes are input bytes, as are the current position's (no
//!    string is inserted, so none is matched, with fewer than 3 bytes left). `longest_match`
//!    compares the first two bytes of both and, for the third, relies on the two positions having
//!    the same hash (`((b0 << 10) ^ (b1 << 5) ^ b2) & 0x7fff` at `hash_bits` 15): with `b0` and
//!    `b1` equal, equal hashes mean equal `b2`. So every match of length 3 or more starts with
//!    a repeated 3-byte sequence, and without one every byte is a literal.
//! 2. **One block.** A block is flushed early only when the symbol buffer holds
//!    `lit_bufsize - 1` = 16383 symbols (memory level 8). With `n <= MAX_MODELLED_LEN` (4096)
//!    literals, the whole input is one last block, flushed by `Z_FINISH`, starting on a byte
//!    boundary right after the 2-byte zlib header (`78 9c`, no dictionary).
//! 3. **Its size is `_tr_flush_block`'s choice**, which this module recomputes with the same
//!    integer arithmetic: the dynamic-Huffman cost `opt_len` from `build_tree` on the literal
//!    frequencies (plus `END_BLOCK` once), `build_tree` on the empty distance tree (two forced
//!    codes of length 1, which cost nothing in the data), `scan_tree` of both trees,
//!    `build_tree` of the bit-length tree and `build_bl_tree`'s `3 * (max_blindex + 1) + 14`;
//!    the fixed-Huffman cost `static_len` (8 bits a byte below 144, 9 above, 7 for
//!    `END_BLOCK`). zlib writes a stored block when `n + 4 <= min(static, dynamic)` bytes
//!    (`n + 5` bytes: 3 header bits padded to a byte, LEN, NLEN, the data); else the fixed block
//!    when `static_lenb <= opt_lenb`, else the dynamic one; a last block is padded to a byte
//!    (`bi_windup`), so its size is exactly `(bits + 3 + 7) >> 3`. The stream is that plus the
//!    2-byte header and the 4-byte Adler-32.
//!
//! The tree construction is replicated step by step, ties included (zlib's heap orders equal
//! frequencies by subtree depth, then by heap position), because the lengths of equally frequent
//! symbols, and so the bit-length tree, depend on them. A lower bound would do for the decision on
//! short sessions, but not for longer ones with skewed letters (a DNA-like string with no repeated
//! triple compresses), where only the exact size tells. So the cheap bound of
//! [`dynamic_block_lower_bound`] settles what it can (most small sessions) before any tree is
//! built, and the exact plan runs only when it cannot.
//!
//! # When some 3-byte sequence repeats
//!
//! zlib then finds matches, and which ones depends on its hash chains and lazy evaluation:
//! `deflate.rs` transcribes `deflate_slow`, `longest_match` and the block writer for inputs of
//! at most [`MAX_MODELLED_LEN`] bytes, and the signer applies itsdangerous' rule to what it
//! writes. Nothing is proven there beyond "it is the same program"; the tests hold it to
//! Python's zlib byte for byte.
//!
//! # How it is checked
//!
//! In `compress_decision/tests.rs`: the compact Huffman construction against a line-by-line
//! transcription of zlib's `build_tree` and `gen_bitlen` (ties, forced codes, the length-limit
//! fix-up) on random frequencies; the run-at-a-time walk against zlib's `scan_tree` walk; each
//! written stream against its planned length, and inflated back to its input; the bound below
//! the exact cost; the literal-only plan and the transcribed deflate against each other (the
//! same bytes, two ways) and the rule itself (a "plain" decision is never a stream short enough
//! to be kept). Where `python3` with `zlib` is available (else those tests say so and pass),
//! thousands of samples, literal-only and full of repeats, and thousands of proptest inputs are
//! compared with `zlib.compress` byte for byte. miniz_oxide's deflate is no oracle: on
//! literal-only samples it sometimes decides otherwise than zlib (a test counts how often).

/// Longest input the model answers for: far below the 16383 literals that would split the
/// input into two deflate blocks, and above any cookie a browser keeps (about 4096 bytes).
pub(crate) const MAX_MODELLED_LEN: usize = 4096;

const MIN_MATCH: usize = 3;
/// Literal/length alphabet actually used: the 256 literals and `END_BLOCK` (no length codes
/// occur without matches). zlib's tree has 286 slots; the unused ones never enter the heap, and
/// internal nodes are told apart from leaves only by `n > max_code`, so numbering them from 257
/// instead of 286 changes nothing.
const L_CODES: usize = 257;
const END_BLOCK: usize = 256;
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
/// Extra bits of the bit-length codes 16, 17, 18 (zlib's `extra_blbits`).
const EXTRA_BLBITS: [u8; BL_CODES] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7];

/// What itsdangerous does with a JSON payload, when that is known without a compressor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FlaskPayload {
    /// zlib would not make it shorter by more than one byte: Flask sends the JSON as it is.
    Plain,
    /// zlib makes it short enough: Flask sends this, zlib's very stream.
    Compressed(Vec<u8>),
}

/// Flask's choice for `json`, when `json` is one the model answers for ([`LiteralOnly::plan`]):
/// first the cheap bound of [`dynamic_block_lower_bound`], which settles most small sessions
/// (not compressed) in a few dozen nanoseconds, then, only when that bound is not enough, the
/// exact plan. `None`: only running a compressor tells.
pub(crate) fn flask_payload(json: &[u8]) -> Option<FlaskPayload> {
    let n = json.len();
    if n == 0 || n > MAX_MODELLED_LEN {
        return None;
    }
    if n >= MIN_MATCH && !no_repeated_trigram(json) {
        // zlib will find matches: run its deflate (transcribed in deflate.rs).
        let zlib = deflate::zlib_compress(json)?;
        return Some(if zlib.len() + 1 < n {
            FlaskPayload::Compressed(zlib)
        } else {
            FlaskPayload::Plain
        });
    }
    // zlib's stream is `6 + opt_lenb` bytes for a dynamic block (a fixed block is never shorter
    // than `n + 2` bytes of data, a stored one `n + 5`), and Flask compresses only when it is
    // below `n - 1` bytes: when `opt_len >= 8n - 66` bits, `opt_lenb = (opt_len + 10) >> 3 >=
    // n - 7`, and the stream is at least `n - 1` bytes.
    let threshold = 8 * n as i64 - 66;
    let (header_and_tree, literals) = block_bound_parts(json);
    if header_and_tree + literals >= threshold {
        return Some(FlaskPayload::Plain);
    }
    // Not enough: the literals' part bounded more tightly (it costs a sort), then the exact plan.
    if header_and_tree + literal_huffman_bound(json) >= threshold {
        return Some(FlaskPayload::Plain);
    }
    let plan = LiteralOnly::plan(json)?;
    Some(if plan.zlib_len() + 1 < n {
        FlaskPayload::Compressed(plan.zlib_stream())
    } else {
        FlaskPayload::Plain
    })
}

/// A lower bound on zlib's `opt_len` (the bits of a dynamic block, without its 3 header bits)
/// for a literal-only block of `input`, from which bytes occur, not how often:
///
/// - `14 + 3 * (max_blindex + 1) >= 14 + 54`: the distance tree's two lengths of 1 are sent
///   with bit-length code 1, which therefore has a length, and code 1 is 18th in `bl_order`;
/// - `2`: those two distance lengths, at least one bit each;
/// - the literal tree's lengths, walked as zlib walks them: every code costs at least one bit
///   plus its extra bits, so a stretch of `g` unused symbols costs at least what zlib's chunks
///   of at most 138 cost at one bit a code (`g` bits below 3, 1 + 3 up to 10, 1 + 7 above),
///   and a stretch of `r` used symbols at least `r / 2` (a code sends one length, or repeats
///   one at most 6 times for at least 1 + 2 bits);
/// - the literals: `sum(freq * len) = sum(len) + sum((freq - 1) * len)`, where `sum(len)` over
///   `m` codes is at least the external path length of a complete binary tree with `m` leaves,
///   and every length is at least 1.
#[cfg(test)]
fn dynamic_block_lower_bound(input: &[u8]) -> i64 {
    let (header_and_tree, literals) = block_bound_parts(input);
    header_and_tree + literals
}

/// The two parts of [`dynamic_block_lower_bound`]: everything but the literals' own bits, and
/// the bound on those.
fn block_bound_parts(input: &[u8]) -> (i64, i64) {
    let present = present_bytes(input);
    let codes: u32 = present.iter().map(|w| w.count_ones()).sum();
    let m = i64::from(codes);
    let total = input.len() as i64 + 1;
    let e = i64::from(31 - codes.leading_zeros()); // floor(log2 m)
    let path_length = m * e + 2 * (m - (1 << e));
    let literals = path_length + (total - m);

    // One step per used symbol, in symbol order, without data-dependent branches: the unused
    // stretch before it costs GAP_COST[gap]; inside a stretch of used symbols, every other one
    // (the 1st, 3rd, ...) adds a bit, which is ceil(r / 2) for a stretch of r.
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
    (14 + 54 + 2 + tree, literals)
}

/// Which byte values occur in `input` (bit `b % 64` of word `b / 64`), and `END_BLOCK` (bit 0
/// of word 4): four words kept in registers, since a read-modify-write of an array slot per
/// byte would chain every byte to the previous one through memory.
fn present_bytes(input: &[u8]) -> [u64; 5] {
    let (mut p0, mut p1, mut p2, mut p3) = (0u64, 0u64, 0u64, 0u64);
    for &b in input {
        let bit = 1u64 << (b & 63);
        let word = b >> 6;
        p0 |= if word == 0 { bit } else { 0 };
        p1 |= if word == 1 { bit } else { 0 };
        p2 |= if word == 2 { bit } else { 0 };
        p3 |= if word == 3 { bit } else { 0 };
    }
    [p0, p1, p2, p3, 1]
}

/// A tighter bound on the literals' bits, `sum(freq * len)` over the literals and `END_BLOCK`:
/// the cost of an optimal (Huffman) code for those frequencies, without zlib's limit of 15 bits
/// a code, which can only make zlib's code cost more. Every Huffman tree of given frequencies
/// has the same cost, so this one is built the cheapest way (sorted leaves and a queue of
/// merged nodes), whatever zlib's own tie-breaking.
fn literal_huffman_bound(input: &[u8]) -> i64 {
    let mut freq = [0u16; 256];
    for &b in input {
        freq[usize::from(b)] += 1;
    }
    // The frequencies in increasing order, END_BLOCK's 1 among them: counted by value when they
    // are small (they are, in a session), sorted otherwise.
    const SMALL: usize = 64;
    let mut leaves = [0u32; L_CODES];
    let mut m = 0;
    let mut by_value = [0u16; SMALL + 1];
    by_value[1] = 1; // END_BLOCK
    let mut largest = 1;
    for (w, &word) in present_bytes(input).iter().enumerate().take(4) {
        let mut bits = word;
        while bits != 0 {
            let f = usize::from(freq[w * 64 + bits.trailing_zeros() as usize]);
            bits &= bits - 1;
            largest = largest.max(f);
            by_value[f.min(SMALL)] += 1;
            leaves[m] = f as u32;
            m += 1;
        }
    }
    leaves[m] = 1;
    m += 1;
    if largest > SMALL {
        leaves[..m].sort_unstable();
    } else {
        let mut at = 0;
        for (value, &count) in by_value.iter().enumerate().take(largest + 1) {
            for _ in 0..count {
                leaves[at] = value as u32;
                at += 1;
            }
        }
    }
    // Two queues, both increasing: the leaves, and the merged nodes in the order they are made.
    let mut merged = [0u32; L_CODES];
    let (mut leaf, mut next, mut made) = (0usize, 0usize, 0usize);
    let mut cost = 0i64;
    for _ in 1..m {
        let mut weight = 0;
        for _ in 0..2 {
            if next < made && (leaf >= m || merged[next] < leaves[leaf]) {
                weight += merged[next];
                next += 1;
            } else {
                weight += leaves[leaf];
                leaf += 1;
            }
        }
        cost += i64::from(weight);
        merged[made] = weight;
        made += 1;
    }
    cost
}

/// What a stretch of `g` unused literal/length symbols costs at least, at one bit a code: zlib
/// sends it in chunks of at most 138, a chunk of 1 or 2 as that many single zero lengths, of
/// 3 to 10 as code 17 (3 extra bits), longer as code 18 (7 extra bits).
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

/// zlib's literal-only deflate of an input, planned but not yet written: see the module doc.
pub(crate) struct LiteralOnly<'a> {
    input: &'a [u8],
    block: Block,
}

impl<'a> LiteralOnly<'a> {
    /// The plan when `input` is at most [`MAX_MODELLED_LEN`] bytes and has no repeated 3-byte
    /// sequence, so that zlib is proven to emit only literals; `None` otherwise (then only
    /// running a compressor tells).
    pub(crate) fn plan(input: &'a [u8]) -> Option<LiteralOnly<'a>> {
        if input.is_empty() || input.len() > MAX_MODELLED_LEN {
            return None;
        }
        if input.len() >= MIN_MATCH && !no_repeated_trigram(input) {
            return None;
        }
        Some(LiteralOnly {
            input,
            block: Block::plan(input),
        })
    }

    /// `len(zlib.compress(input))`, exactly.
    pub(crate) fn zlib_len(&self) -> usize {
        self.block.zlib_len
    }

    /// The very bytes of `zlib.compress(input)`: header, the one block as zlib chose it, Adler-32.
    pub(crate) fn zlib_stream(&self) -> Vec<u8> {
        self.block.write(self.input)
    }
}

/// Whether every 3-byte window of `input` (at most [`MAX_MODELLED_LEN`] bytes) is distinct: an
/// open-addressing set at most half full, on the stack for session-sized inputs.
fn no_repeated_trigram(input: &[u8]) -> bool {
    let windows = input.len().saturating_sub(MIN_MATCH - 1);
    let slots = (2 * windows).next_power_of_two().max(16);
    // Sized to the input, so that a session clears a few hundred bytes, not kilobytes.
    if slots <= 64 {
        distinct_windows(input, &mut [0u32; 64][..slots])
    } else if slots <= 512 {
        distinct_windows(input, &mut [0u32; 512][..slots])
    } else {
        distinct_windows(input, &mut vec![0u32; slots])
    }
}

/// [`no_repeated_trigram`] with an empty table of a power-of-two size at least twice the number
/// of windows (so never full).
fn distinct_windows(input: &[u8], table: &mut [u32]) -> bool {
    let mask = table.len() - 1;
    let shift = 32 - table.len().trailing_zeros();
    let mut window = 0u32;
    for (i, &b) in input.iter().enumerate() {
        window = ((window << 8) | u32::from(b)) & 0x00ff_ffff;
        if i < MIN_MATCH - 1 {
            continue;
        }
        // Stored + 1, so that 0 means an empty slot.
        let key = window + 1;
        let mut slot = (key.wrapping_mul(0x9E37_79B1) >> shift) as usize & mask;
        loop {
            match table[slot] {
                0 => {
                    table[slot] = key;
                    break;
                }
                k if k == key => return false,
                _ => slot = (slot + 1) & mask,
            }
        }
    }
    true
}

/// zlib's `build_tree` and `gen_bitlen` over the leaves that enter its heap, given here in the
/// order zlib inserts them (`freqs[i]` is leaf `i`): returns `sum(freq * len)` and writes the
/// lengths to `lens`.
///
/// zlib numbers leaves by symbol and internal nodes from the alphabet size up; it compares
/// nodes only by (frequency, depth) and tells leaves from internal nodes only by number, so
/// numbering the leaves `0..m` in insertion order and internal nodes from `m` builds the same
/// tree. `NODES` (at least `2 * m + 1`) sizes the work arrays, so that small trees stay small.
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

/// A tree of a small alphabet (`N` symbols, at most 30) as zlib's `build_tree` makes it,
/// including the codes zlib forces in when fewer than two are used ("at least one distance code
/// exists, and ... at least one bit should be sent"): lengths by symbol, `max_code`, and the
/// tree's share of `opt_len` (`sum(freq * (len + extra bits))`, one less per forced code).
struct SmallTree<const N: usize> {
    len: [u8; N],
    max_code: usize,
    cost: i64,
}

fn small_tree<const N: usize>(freq: &[u16; N], extra: &[u8; N], max_length: usize) -> SmallTree<N> {
    // The distance alphabet (30) is the largest that comes here, plus zlib's forced codes.
    const MAX_LEAVES: usize = 32;
    let mut symbols = [0u8; MAX_LEAVES];
    let mut freqs = [0u16; MAX_LEAVES];
    let mut m = 0;
    let mut max_code: Option<usize> = None;
    let mut cost = 0i64;
    for (symbol, &f) in freq.iter().enumerate() {
        if f != 0 {
            symbols[m] = symbol as u8;
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
        symbols[m] = node as u8;
        freqs[m] = 1;
        m += 1;
        cost -= 1;
    }
    let mut lens = [0u8; MAX_LEAVES];
    cost += huffman::<{ 2 * MAX_LEAVES + 1 }>(&freqs[..m], max_length, &mut lens);
    let mut len = [0u8; N];
    for i in 0..m {
        let symbol = usize::from(symbols[i]);
        len[symbol] = lens[i];
        cost += i64::from(freqs[i]) * i64::from(extra[symbol]);
    }
    SmallTree {
        len,
        max_code: max_code.unwrap_or(0),
        cost,
    }
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

/// zlib's `scan_tree`/`send_tree` walk over `len[..=max_code]`, calling `emit` for each code:
/// a line-by-line transcription, used to write trees.
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

/// The same codes as [`for_each_length_code`] for one maximal run of `count` equal lengths
/// `value` (a run that follows a different length, or starts the tree): what the walk does
/// inside a run depends on nothing else. Lets the planner step over the literal tree's long
/// stretches of unused symbols in one go.
///
/// Inside a run the walk cuts chunks: of at most 7 then 6 for a non-zero length (the first
/// chunk sends the length itself, then "repeat previous"), of at most 138 for zeros; a chunk
/// too short for a repeat code is sent as single lengths.
fn for_each_run_code(value: u8, mut count: usize, emit: &mut impl FnMut(LengthCode)) {
    if value == 0 {
        while count > 0 {
            let chunk = count.min(138);
            match chunk {
                0..=2 => (0..chunk).for_each(|_| emit(LengthCode::Single(0))),
                3..=10 => emit(LengthCode::ShortZeros(chunk as u8)),
                _ => emit(LengthCode::LongZeros(chunk as u8)),
            }
            count -= chunk;
        }
        return;
    }
    let first = count.min(7);
    if first < 4 {
        (0..first).for_each(|_| emit(LengthCode::Single(value)));
    } else {
        emit(LengthCode::Single(value));
        emit(LengthCode::Repeat((first - 1) as u8));
    }
    count -= first;
    while count > 0 {
        let chunk = count.min(6);
        if chunk < 3 {
            (0..chunk).for_each(|_| emit(LengthCode::Single(value)));
        } else {
            emit(LengthCode::Repeat(chunk as u8));
        }
        count -= chunk;
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

/// zlib's `build_bl_tree`: the bit-length tree from the frequencies of the run-length codes, and
/// `max_blindex`, the last position in `BL_ORDER` whose length is sent (at least four are).
fn bit_length_tree(bl_freq: &[u16; BL_CODES]) -> (SmallTree<BL_CODES>, usize) {
    let tree = small_tree(bl_freq, &EXTRA_BLBITS, MAX_BL_BITS);
    let mut max_blindex = BL_CODES - 1;
    while max_blindex >= 3 && tree.len[BL_ORDER[max_blindex]] == 0 {
        max_blindex -= 1;
    }
    (tree, max_blindex)
}

/// `_tr_flush_block`'s choice for the last block of `n` input bytes, from the dynamic and the
/// fixed block's bit counts (without their 3 header bits): the kind, and the block's bytes once
/// padded. Stored wins when `n + 4 <= min(dynamic, fixed)` bytes, then fixed on a tie.
fn choose_block(n: usize, opt_len: i64, static_len: i64) -> (BlockKind, usize) {
    let opt_lenb = ((opt_len + 3 + 7) >> 3) as usize;
    let static_lenb = ((static_len + 3 + 7) >> 3) as usize;
    if n + 4 <= opt_lenb.min(static_lenb) {
        (BlockKind::Stored, n + 5)
    } else if static_lenb <= opt_lenb {
        (BlockKind::Fixed, static_lenb)
    } else {
        (BlockKind::Dynamic, opt_lenb)
    }
}

/// zlib's plan for a literal-only last block: the trees, and the stream length it leads to.
struct Block {
    /// Literal code lengths by byte value, `END_BLOCK`'s at index 256.
    literal_len: [u8; L_CODES],
    distance: SmallTree<2>,
    bit_length: SmallTree<BL_CODES>,
    max_blindex: usize,
    /// zlib's `opt_len`: the bits of the dynamic block, without its 3 header bits. Kept for the
    /// tests, which hold [`dynamic_block_lower_bound`] below it.
    #[cfg_attr(not(test), allow(dead_code))]
    opt_len: i64,
    kind: BlockKind,
    /// `len(zlib.compress(input))`.
    zlib_len: usize,
}

/// The block types of RFC 1951, with their `BTYPE` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    Stored = 0,
    Fixed = 1,
    Dynamic = 2,
}

impl Block {
    /// `_tr_flush_block` for a block of the literals `input` (then `END_BLOCK`).
    fn plan(input: &[u8]) -> Block {
        let n = input.len();
        // The literals used, in symbol order (zlib's heap-insertion order), then END_BLOCK.
        let mut freq = [0u16; 256];
        let mut symbols = [0u8; 256];
        let mut used = 0;
        let mut high = 0usize; // bytes of 144 and above: 9 bits each in a fixed block
        for &b in input {
            freq[usize::from(b)] += 1;
            high += usize::from(b >= 144);
        }
        // The bytes seen, in ascending order: a pass over the counts instead of a sort.
        for (b, _) in (0u8..=255).zip(freq).filter(|&(_, f)| f > 0) {
            symbols[used] = b;
            used += 1;
        }
        let symbols = &symbols[..used];
        let mut leaf_freqs = [0u16; L_CODES];
        for (leaf, &symbol) in leaf_freqs.iter_mut().zip(symbols.iter()) {
            *leaf = freq[usize::from(symbol)];
        }
        leaf_freqs[used] = 1; // END_BLOCK
        let leaves = used + 1;
        let mut leaf_lens = [0u8; L_CODES];
        let literal_cost = if leaves <= 48 {
            huffman::<97>(&leaf_freqs[..leaves], MAX_BITS, &mut leaf_lens)
        } else {
            huffman::<{ 2 * L_CODES + 1 }>(&leaf_freqs[..leaves], MAX_BITS, &mut leaf_lens)
        };

        // The distance tree has no symbol: zlib forces two codes of length 1, which cost nothing.
        let distance = small_tree(&[0u16; 2], &[0u8; 2], MAX_BITS);

        // scan_tree over the literal lengths, a run at a time, then over the distance lengths.
        let mut bl_freq = [0u16; BL_CODES];
        let mut count = |code: LengthCode| bl_freq[bl_symbol(code)] += 1;
        let mut literal_len = [0u8; L_CODES];
        let mut next_symbol = 0usize; // first symbol not yet walked
        let mut run = (0u8, 0usize); // (length, how many)
        let present = symbols
            .iter()
            .map(|s| usize::from(*s))
            .chain(std::iter::once(END_BLOCK));
        for (symbol, &len) in present.zip(leaf_lens.iter()) {
            literal_len[symbol] = len;
            let gap = symbol - next_symbol;
            if gap > 0 {
                if run.0 != 0 {
                    for_each_run_code(run.0, run.1, &mut count);
                    run = (0, 0);
                }
                run.1 += gap;
            }
            if run.0 != len || run.1 == 0 {
                if run.1 > 0 {
                    for_each_run_code(run.0, run.1, &mut count);
                }
                run = (len, 0);
            }
            run.1 += 1;
            next_symbol = symbol + 1;
        }
        for_each_run_code(run.0, run.1, &mut count);
        for_each_length_code(&distance.len, distance.max_code, &mut count);

        let (bit_length, max_blindex) = bit_length_tree(&bl_freq);
        let opt_len = literal_cost
            + distance.cost
            + bit_length.cost
            + 3 * (max_blindex as i64 + 1)
            + 5
            + 5
            + 4;
        // Fixed codes: 8 bits for bytes below 144, 9 above, 7 for END_BLOCK.
        let static_len = (8 * n + high + 7) as i64;
        let (kind, block_len) = choose_block(n, opt_len, static_len);
        Block {
            literal_len,
            distance,
            bit_length,
            max_blindex,
            opt_len,
            kind,
            zlib_len: 2 + block_len + 4,
        }
    }
}

impl Block {
    /// Write the zlib stream this plan describes, as `_tr_flush_block`, `send_all_trees`,
    /// `send_tree` and `compress_block` would for a last block of literals.
    fn write(&self, input: &[u8]) -> Vec<u8> {
        zlib_stream(input, self.zlib_len, self.kind, |out| match self.kind {
            BlockKind::Stored => out.stored_block(input),
            BlockKind::Fixed => {
                for &b in input {
                    let (code, len) = match b {
                        0..=143 => (0x30 + u32::from(b), 8),
                        _ => (0x190 + u32::from(b) - 144, 9),
                    };
                    out.bits(reverse(code, len), len);
                }
                out.bits(0, 7); // END_BLOCK: code 0 of 7 bits
            }
            BlockKind::Dynamic => {
                // END_BLOCK is always the last literal/length code used.
                out.send_all_trees(
                    (&self.literal_len, END_BLOCK),
                    (&self.distance.len, self.distance.max_code),
                    (&self.bit_length.len, self.max_blindex),
                );
                let codes = canonical_codes(&self.literal_len);
                for &b in input {
                    let b = usize::from(b);
                    out.bits(codes[b], u32::from(self.literal_len[b]));
                }
                out.bits(codes[END_BLOCK], u32::from(self.literal_len[END_BLOCK]));
            }
        })
    }
}

/// A zlib stream of one last deflate block of `kind`: the header `78 9c`, the block's 3 header
/// bits, what `body` writes, padding to a byte (`bi_windup`), and the Adler-32 of `input`.
fn zlib_stream(
    input: &[u8],
    capacity: usize,
    kind: BlockKind,
    body: impl FnOnce(&mut BitWriter),
) -> Vec<u8> {
    let mut out = BitWriter::with_capacity(capacity);
    out.bytes.extend_from_slice(&[0x78, 0x9c]);
    out.bits(1 | (kind as u32) << 1, 3); // BFINAL, BTYPE
    body(&mut out);
    out.align();
    out.bytes.extend_from_slice(&adler32(input).to_be_bytes());
    out.bytes
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

fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes keep b below 2^32 between reductions (zlib's NMAX).
    for chunk in data.chunks(5552) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
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

    /// The rest of a stored block after its header bits: padding, `LEN`, `NLEN`, the bytes.
    fn stored_block(&mut self, input: &[u8]) {
        self.align();
        let len = input.len() as u16;
        self.bytes.extend_from_slice(&len.to_le_bytes());
        self.bytes.extend_from_slice(&(!len).to_le_bytes());
        self.bytes.extend_from_slice(input);
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

mod deflate;

#[cfg(test)]
mod tests;
