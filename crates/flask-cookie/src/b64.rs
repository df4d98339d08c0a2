//! Unpadded base64url read and written in one pass over the bytes, for the three segments of
//! every cookie the server sees.
//!
//! Exactly as strict as the `base64` crate's `URL_SAFE_NO_PAD` engine (the crate's reference,
//! which still explains every refusal): only `A-Z a-z 0-9 - _`, no padding, no length of
//! `4n + 1`, and no unused bits set in the last character. The general-purpose engine spends
//! more on its setup than on a 40-character segment; this decoder checks the alphabet and
//! decodes in the same loop.

/// Marks a byte that is not in the alphabet: its top bits are set, a symbol's never are.
const INVALID: u8 = 0xff;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const DECODE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The 24-bit group a character contributes in each of the four positions of a quantum, with
/// bit 31 set for a character outside the alphabet, so that decoding a quantum is four loads
/// and three ORs, and one test at the end tells whether any character was bad.
const QUANTUM: [[u32; 256]; 4] = {
    let mut tables = [[1u32 << 31; 256]; 4];
    let mut i = 0;
    while i < 64 {
        let c = ALPHABET[i] as usize;
        let v = i as u32;
        tables[0][c] = v << 18;
        tables[1][c] = v << 12;
        tables[2][c] = v << 6;
        tables[3][c] = v;
        i += 1;
    }
    tables
};

/// How many bytes a segment of `len` characters holds, when `len` is a possible length.
pub(crate) fn decoded_len(len: usize) -> Option<usize> {
    match len % 4 {
        1 => None,
        0 => Some(len / 4 * 3),
        r => Some(len / 4 * 3 + r - 1),
    }
}

/// Decode `segment` into `out` (which must be exactly [`decoded_len`] long). `None` for anything
/// the strict engine refuses; then nothing useful is in `out`.
pub(crate) fn decode_into(segment: &[u8], out: &mut [u8]) -> Option<()> {
    if decoded_len(segment.len()) != Some(out.len()) {
        return None;
    }
    let quantum = |chunk: &[u8]| match *chunk {
        [a, b, c, d] => {
            QUANTUM[0][usize::from(a)]
                | QUANTUM[1][usize::from(b)]
                | QUANTUM[2][usize::from(c)]
                | QUANTUM[3][usize::from(d)]
        }
        _ => 1 << 31,
    };
    let mut bad = 0u32; // the OR of every quantum: bit 31 survives
                        // Two quanta (8 characters, 6 bytes) at a time, then at most one more.
    let pairs = segment.chunks_exact(8);
    let rest = pairs.remainder();
    let mut written = out.chunks_exact_mut(6);
    for (chunk, dst) in pairs.zip(&mut written) {
        let (hi, lo) = chunk.split_at(4);
        let (hi, lo) = (quantum(hi), quantum(lo));
        bad |= hi | lo;
        let v = (u64::from(hi) << 24) | u64::from(lo);
        dst.copy_from_slice(&v.to_be_bytes()[2..]);
    }
    let out = written.into_remainder();
    let (tail, out) = match (rest.split_at_checked(4), out.split_at_mut_checked(3)) {
        (Some((chunk, tail)), Some((dst, out))) => {
            let v = quantum(chunk);
            bad |= v;
            dst.copy_from_slice(&v.to_be_bytes()[1..]);
            (tail, out)
        }
        _ => (rest, out),
    };
    if bad & (1 << 31) != 0 {
        return None;
    }
    let mut seen = 0u8; // the OR of every symbol: INVALID's top bits survive
    match (tail, out) {
        ([], []) => {}
        ([a, b], [x]) => {
            let (a, b) = (DECODE[usize::from(*a)], DECODE[usize::from(*b)]);
            seen |= a | b;
            // 12 bits for 8: the last character's low 4 bits are unused, so must be 0.
            if b & 0x0f != 0 {
                return None;
            }
            *x = (a << 2) | (b >> 4);
        }
        ([a, b, c], [x, y]) => {
            let (a, b, c) = (
                DECODE[usize::from(*a)],
                DECODE[usize::from(*b)],
                DECODE[usize::from(*c)],
            );
            seen |= a | b | c;
            // 18 bits for 16: the last character's low 2 bits must be 0.
            if c & 0x03 != 0 {
                return None;
            }
            *x = (a << 2) | (b >> 4);
            *y = (b << 4) | (c >> 2);
        }
        _ => return None,
    }
    (seen & 0xc0 == 0).then_some(())
}

/// The big-endian number `segment` decodes to, when it is good base64url of at most 8 bytes (11
/// characters): read straight into an integer, for the timestamp. `None` otherwise, as
/// [`decode_into`] would refuse it (or it is too long).
pub(crate) fn decode_u64(segment: &[u8]) -> Option<u64> {
    let bytes = decoded_len(segment.len()).filter(|n| *n <= 8)?;
    let mut seen = 0u8; // the OR of every symbol: INVALID's top bits survive
    let mut bits = 0u128; // 11 characters are 66 bits
    for c in segment {
        let v = DECODE[usize::from(*c)];
        seen |= v;
        bits = (bits << 6) | u128::from(v & 0x3f);
    }
    // The low bits a last partial character leaves unused must be 0, as in `decode_into`.
    let unused = segment.len() * 6 - bytes * 8;
    if seen & 0xc0 != 0 || bits & ((1 << unused) - 1) != 0 {
        return None;
    }
    u64::try_from(bits >> unused).ok()
}

/// Decode `segment` to a new vector, or `None` (see [`decode_into`]).
pub(crate) fn decode_vec(segment: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![0u8; decoded_len(segment.len())?];
    decode_into(segment, &mut out)?;
    Some(out)
}

/// Append the unpadded base64url of `bytes` to `out`.
pub(crate) fn encode_into(bytes: &[u8], out: &mut Vec<u8>) {
    let symbol = |v: u32| ALPHABET[(v & 63) as usize];
    out.reserve(bytes.len().div_ceil(3) * 4);
    let chunks = bytes.chunks_exact(3);
    let tail = chunks.remainder();
    for chunk in chunks {
        let v = (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8) | u32::from(chunk[2]);
        out.extend_from_slice(&[symbol(v >> 18), symbol(v >> 12), symbol(v >> 6), symbol(v)]);
    }
    match *tail {
        [a] => {
            let v = u32::from(a) << 16;
            out.extend_from_slice(&[symbol(v >> 18), symbol(v >> 12)]);
        }
        [a, b] => {
            let v = (u32::from(a) << 16) | (u32::from(b) << 8);
            out.extend_from_slice(&[symbol(v >> 18), symbol(v >> 12), symbol(v >> 6)]);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use proptest::prelude::*;

    const ENGINE: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

    #[test]
    fn every_short_segment_is_read_as_the_engine_reads_it() {
        // Every segment of up to 3 characters over the alphabet plus a few intruders.
        let chars: Vec<u8> = ALPHABET.iter().copied().chain(*b"=+/.\0\x80").collect();
        let mut segment = Vec::new();
        for len in 0..=3usize {
            let total = chars.len().pow(len as u32);
            for mut k in 0..total {
                segment.clear();
                for _ in 0..len {
                    segment.push(chars[k % chars.len()]);
                    k /= chars.len();
                }
                assert_eq!(
                    decode_vec(&segment),
                    ENGINE.decode(&segment).ok(),
                    "{segment:?}"
                );
            }
        }
    }

    /// What `decode_u64` must answer: the engine's bytes, as a big-endian number, up to 8 bytes.
    fn engine_u64(segment: &[u8]) -> Option<u64> {
        let bytes = ENGINE.decode(segment).ok()?;
        (bytes.len() <= 8).then(|| bytes.iter().fold(0, |acc, b| (acc << 8) | u64::from(*b)))
    }

    #[test]
    fn every_short_number_is_read_as_the_engine_reads_it() {
        let chars: Vec<u8> = ALPHABET.iter().copied().chain(*b"=+/.\0\x80").collect();
        let mut segment = Vec::new();
        for len in 0..=3usize {
            for mut k in 0..chars.len().pow(len as u32) {
                segment.clear();
                for _ in 0..len {
                    segment.push(chars[k % chars.len()]);
                    k /= chars.len();
                }
                assert_eq!(decode_u64(&segment), engine_u64(&segment), "{segment:?}");
            }
        }
        assert_eq!(decode_u64(b"__________8"), Some(u64::MAX));
        assert_eq!(decode_u64(b"__________4"), Some(u64::MAX - 1));
        assert_eq!(decode_u64(b"__________9"), None); // unused bits set
        assert_eq!(decode_u64(b"AAAAAAAAAAAA"), None); // 9 bytes
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

        #[test]
        fn reads_numbers_as_the_engine_does(s in prop_oneof![
            "[A-Za-z0-9_-]{0,12}",
            "[A-Za-z0-9_=+/.-]{0,12}",
        ]) {
            prop_assert_eq!(decode_u64(s.as_bytes()), engine_u64(s.as_bytes()));
        }

        #[test]
        fn decodes_exactly_what_the_engine_accepts(s in prop_oneof![
            "[A-Za-z0-9_-]{0,80}",
            "[A-Za-z0-9_=+/.-]{0,40}",
            "\\PC{0,20}",
        ]) {
            prop_assert_eq!(decode_vec(s.as_bytes()), ENGINE.decode(&s).ok());
        }

        #[test]
        fn encodes_as_the_engine_does(bytes in prop::collection::vec(any::<u8>(), 0..100)) {
            let mut out = b"x.".to_vec();
            encode_into(&bytes, &mut out);
            let want = ENGINE.encode(&bytes);
            prop_assert_eq!(&out[2..], want.as_bytes());
            prop_assert_eq!(decode_vec(&out[2..]), Some(bytes));
        }
    }
}
