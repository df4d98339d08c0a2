//! The transcription against Python's own `zlib.compress` (byte for byte, on samples of every
//! size and shape and on proptest inputs), against miniz_oxide's inflate (every stream is valid
//! deflate and gives its input back), and its Huffman trees against zlib's `build_tree`
//! transcribed line by line.

use super::*;
use crate::testing::{hex, literal_only_text, Rng};
#[cfg(not(target_arch = "wasm32"))]
use crate::testing::{skip, PythonZlib};
use proptest::prelude::*;

fn session(v: serde_json::Value) -> Vec<u8> {
    crate::serialize_session(&v)
        .unwrap_or_default()
        .into_bytes()
}

/// Samples of every kind: the playground's sessions, Flask's test vectors, literal-only text,
/// runs and repeats, random bytes (stored blocks), and inputs past 4 KB, past one block (16383
/// symbols) and past the 64 KiB window (which then slides).
fn samples() -> Vec<Vec<u8>> {
    let mut rng = Rng(0x5EED_F1A5_C0DE_0006);
    let mut out: Vec<Vec<u8>> = vec![Vec::new(), b"{}".to_vec()];
    for user in ["cobra", "nagini", "José", "中文", "🐍 snake"] {
        for visit in [0u64, 1, 12, 42, 12_345, u64::MAX] {
            out.push(session(
                serde_json::json!({"username": user, "visit": visit}),
            ));
        }
    }
    let vectors: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/vectors/flask_vectors.json"))
            .unwrap_or_default();
    for a in vectors["accepted"].as_array().into_iter().flatten() {
        if let Some(json) = a["json"].as_str() {
            out.push(json.as_bytes().to_vec());
        }
    }
    for n in [1, 2, 3, 5, 8, 20, 60, 200, 1000] {
        out.push(session(
            serde_json::json!({"note": "hiss ".repeat(n), "username": "cobra", "visit": n}),
        ));
    }
    let flashes: Vec<_> = (1..40)
        .map(|i| serde_json::json!({" t": ["message", format!("Welcome back, cobra! This is visit #{i}.")]}))
        .collect();
    out.push(session(
        serde_json::json!({"_flashes": flashes, "_fresh": true, "csrf_token": "f3a9c1d2e4b5a6978877665544332211ffeeddcc"}),
    ));
    let alphabets: Vec<Vec<u8>> = vec![
        b"ab".to_vec(),
        b"ACGT".to_vec(),
        b"0123456789abcdef".to_vec(),
        (b' '..=b'~').collect(),
        (0u8..=255).collect(),
    ];
    for alphabet in &alphabets {
        for _ in 0..40 {
            let len = 1 + rng.below(900);
            out.push(literal_only_text(&mut rng, alphabet, len));
        }
    }
    for _ in 0..200 {
        let len = rng.below(300);
        out.push((0..len).map(|_| rng.next() as u8).collect());
        let len = rng.below(200);
        out.push((0..len).map(|_| b' ' + rng.below(95) as u8).collect());
    }
    for len in [3, 4, 5, 257, 258, 259, 260, 516, 517, 4096, 4097, 20_000] {
        out.push(vec![b'a'; len]);
        out.push(vec![0u8; len]);
        out.push((0..len).map(|i| b"ab"[i % 2]).collect());
        out.push((0..len).map(|i| (i % 251) as u8).collect());
    }
    for _ in 0..300 {
        let len = 1 + rng.below(1500);
        let k = 1 + rng.below(12);
        out.push((0..len).map(|_| b'a' + rng.below(k) as u8).collect());
        let len = 1 + rng.below(300);
        let mut s: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        for _ in 0..rng.below(4) {
            let from = rng.below(s.len());
            let to = (from + 3 + rng.below(40)).min(s.len());
            let piece = s[from..to].to_vec();
            s.extend_from_slice(&piece);
            s.push(rng.next() as u8);
        }
        out.push(s);
    }
    // Longer than any cookie: text with matches near and far (TOO_FAR, the chain budget), many
    // blocks, the window's slide, literal-only text, and incompressible bytes.
    for len in [4_500, 9_000, 33_000, 70_000, 140_000] {
        let words: Vec<Vec<u8>> = (0..300)
            .map(|_| {
                (0..2 + rng.below(8))
                    .map(|_| b'a' + rng.below(26) as u8)
                    .collect()
            })
            .collect();
        let mut text = Vec::with_capacity(len);
        while text.len() < len {
            text.extend_from_slice(&words[rng.below(words.len())]);
            text.push(if rng.below(9) == 0 { b'\n' } else { b' ' });
        }
        out.push(text);
        out.push((0..len).map(|_| b'a' + rng.below(4) as u8).collect());
        out.push((0..len).map(|_| rng.next() as u8).collect());
    }
    out.push(literal_only_text(
        &mut rng,
        &(0u8..=255).collect::<Vec<_>>(),
        60_000,
    ));
    let big = serde_json::json!({
        "cart": (0..900).map(|i| serde_json::json!({"id": i, "name": format!("item {}", i * 7919 % 1000), "qty": i % 5})).collect::<Vec<_>>(),
        "username": "cobra",
    });
    out.push(session(big));
    out
}

/// The type of the first block of a zlib stream: 0 stored, 1 fixed, 2 dynamic.
fn first_block_kind(stream: &[u8]) -> u8 {
    (stream[2] >> 1) & 3
}

#[test]
fn every_stream_inflates_to_its_input() {
    let mut kinds = [0usize; 3];
    let mut longest = 0;
    for s in samples() {
        let stream = zlib_compress(&s);
        assert_eq!(&stream[..2], &[0x78, 0x9c]);
        kinds[usize::from(first_block_kind(&stream))] += 1;
        let back = miniz_oxide::inflate::decompress_to_vec_zlib(&stream).expect("inflates");
        assert!(back == s, "{} bytes do not come back", s.len());
        longest = longest.max(s.len());
    }
    // Every kind of block zlib can choose was written, and the window slid.
    assert!(kinds.iter().all(|k| *k > 0), "{kinds:?}");
    assert!(longest > WINDOW_SIZE + W_SIZE, "{longest}");
}

#[test]
fn known_streams() {
    // zlib.compress(b"") and zlib.compress(b"a"), from Python 3.11 with zlib 1.2.13.
    assert_eq!(hex(&zlib_compress(b"")), "789c030000000001");
    assert_eq!(hex(&zlib_compress(b"a")), "789c4b040000620062");
    // Flask's compressed session from the chapter (the cookie is in lib.rs's tests).
    let json = br#"{"note":"hiss hiss hiss hiss hiss hiss hiss hiss hiss hiss ","username":"cobra","visit":1}"#;
    let b64 = "eJyrVsrLL0lVslLKyCwuViCJUNJRKi1OLcpLzAXpT85PKkoECpVlFmeWKFkZ1gIAp20fNg";
    use base64::Engine as _;
    let want = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64)
        .expect("base64");
    assert_eq!(zlib_compress(json), want);
}

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

/// Python's `zlib.compress` (Flask's compressor) on every sample, byte for byte: cookie-sized
/// sessions and inputs past 4 KB, past one block and past the window alike.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn byte_for_byte_pythons_zlib() {
    let mut python = match PythonZlib::start() {
        Ok(python) => python,
        Err(why) => return skip("byte_for_byte_pythons_zlib", &why),
    };
    let (mut compared, mut past_4k, mut compressed) = (0, 0, 0);
    for s in samples() {
        let zlib = python.compress(&s);
        let ours = zlib_compress(&s);
        assert!(
            ours == zlib,
            "zlib {}, input of {} bytes: {:.200}\n ours {:.200}\n zlib {:.200}",
            python.version,
            s.len(),
            String::from_utf8_lossy(&s),
            hex(&ours),
            hex(&zlib)
        );
        compared += 1;
        past_4k += usize::from(s.len() > 4096);
        compressed += usize::from(zlib.len() + 1 < s.len());
    }
    assert!(
        compared > 1400 && past_4k >= 20 && compressed > 500,
        "{compared} {past_4k} {compressed}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Generated inputs: Python's zlib makes the same stream, and it inflates to the input.
    #[test]
    fn agrees_with_pythons_zlib(s in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        "[a-z]{0,120}".prop_map(String::into_bytes),
        "[ACGT]{0,2000}".prop_map(String::into_bytes),
        "\\{\"[a-z_]{1,12}\":\"[ -~]{0,60}\",\"visit\":[0-9]{1,6}\\}".prop_map(String::into_bytes),
        "\\{\"csrf\":\"[a-f0-9]{20,160}\",\"username\":\"[a-z]{1,10}\"\\}".prop_map(String::into_bytes),
        "(hiss |cobra|visit|[a-z]{1,4}|\"|:|,){0,1500}".prop_map(String::into_bytes),
        prop::collection::vec(prop_oneof![Just(0u8), Just(b'a'), Just(b'b'), any::<u8>()], 0..700),
        (prop::collection::vec(any::<u8>(), 1..40), 1usize..300).prop_map(|(unit, n)| unit.repeat(n)),
    ]) {
        let ours = zlib_compress(&s);
        let back = miniz_oxide::inflate::decompress_to_vec_zlib(&ours);
        prop_assert_eq!(back.as_ref().ok(), Some(&s));
        #[cfg(not(target_arch = "wasm32"))]
        {
            use std::sync::{Mutex, OnceLock};
            static PYTHON: OnceLock<Mutex<Option<PythonZlib>>> = OnceLock::new();
            let python = PYTHON.get_or_init(|| {
                Mutex::new(PythonZlib::start().map_err(|why| skip("agrees_with_pythons_zlib", &why)).ok())
            });
            let mut python = python.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(python) = python.as_mut() {
                prop_assert_eq!(hex(&ours), hex(&python.compress(&s)));
            }
        }
    }
}

/// zlib's `build_tree` and `gen_bitlen` transcribed line by line, over the whole alphabet
/// (leaves numbered by symbol, forced codes, internal nodes from `N` up): the reference the
/// compact [`huffman`] is held to.
fn reference_build_tree<const N: usize>(freq_in: &[u16; N], max_length: usize) -> ([u8; N], i64) {
    const HEAP_SIZE: usize = 2 * L_CODES + 1;
    let mut freq = [0u32; HEAP_SIZE];
    let mut dad = [0u16; HEAP_SIZE];
    let mut len = [0u8; HEAP_SIZE];
    let mut depth = [0u8; HEAP_SIZE];
    let mut heap = [0u16; HEAP_SIZE];
    let heap_end = 2 * N + 1;
    let (mut heap_len, mut heap_max) = (0usize, heap_end);
    let mut max_code: i64 = -1;
    let mut opt_len: i64 = 0;
    for n in 0..N {
        freq[n] = u32::from(freq_in[n]);
        if freq_in[n] != 0 {
            heap_len += 1;
            heap[heap_len] = n as u16;
            max_code = n as i64;
        }
    }
    while heap_len < 2 {
        let node = if max_code < 2 {
            max_code += 1;
            max_code as usize
        } else {
            0
        };
        heap_len += 1;
        heap[heap_len] = node as u16;
        freq[node] = 1;
        depth[node] = 0;
        opt_len -= 1;
    }
    let smaller = |freq: &[u32; HEAP_SIZE], depth: &[u8; HEAP_SIZE], n: u16, m: u16| {
        let (n, m) = (n as usize, m as usize);
        freq[n] < freq[m] || (freq[n] == freq[m] && depth[n] <= depth[m])
    };
    let pqdownheap = |heap: &mut [u16; HEAP_SIZE],
                      heap_len: usize,
                      freq: &[u32; HEAP_SIZE],
                      depth: &[u8; HEAP_SIZE],
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
    for n in (1..=heap_len / 2).rev() {
        pqdownheap(&mut heap, heap_len, &freq, &depth, n);
    }
    let mut node = N;
    loop {
        let n = heap[1];
        heap[1] = heap[heap_len];
        heap_len -= 1;
        pqdownheap(&mut heap, heap_len, &freq, &depth, 1);
        let m = heap[1];
        heap_max -= 1;
        heap[heap_max] = n;
        heap_max -= 1;
        heap[heap_max] = m;
        freq[node] = freq[n as usize] + freq[m as usize];
        depth[node] = depth[n as usize].max(depth[m as usize]) + 1;
        dad[n as usize] = node as u16;
        dad[m as usize] = node as u16;
        heap[1] = node as u16;
        node += 1;
        pqdownheap(&mut heap, heap_len, &freq, &depth, 1);
        if heap_len < 2 {
            break;
        }
    }
    heap_max -= 1;
    heap[heap_max] = heap[1];
    let max_code = max_code as usize;
    let mut bl_count = [0i32; MAX_BITS + 1];
    let mut overflow = 0;
    len[heap[heap_max] as usize] = 0;
    #[allow(clippy::needless_range_loop)] // zlib's own loop, kept as written
    for h in heap_max + 1..heap_end {
        let n = heap[h] as usize;
        let mut bits = len[dad[n] as usize] as usize + 1;
        if bits > max_length {
            bits = max_length;
            overflow += 1;
        }
        len[n] = bits as u8;
        if n > max_code {
            continue;
        }
        bl_count[bits] += 1;
        opt_len += i64::from(freq[n]) * bits as i64;
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
            let mut n = bl_count[bits];
            while n != 0 {
                h -= 1;
                let m = heap[h] as usize;
                if m > max_code {
                    continue;
                }
                if len[m] as usize != bits {
                    opt_len += (bits as i64 - i64::from(len[m])) * i64::from(freq[m]);
                    len[m] = bits as u8;
                }
                n -= 1;
            }
        }
    }
    let mut out = [0u8; N];
    for n in 0..N {
        out[n] = if n <= max_code { len[n] } else { 0 };
    }
    (out, opt_len)
}

/// Frequencies with the shapes that matter: sparse and dense, equal counts (ties), and
/// Fibonacci-like runs that push lengths past the limit (zlib's overflow fix-up).
fn frequency_table<const N: usize>(rng: &mut Rng) -> [u16; N] {
    let mut freq = [0u16; N];
    match rng.below(5) {
        0 => {
            for _ in 0..1 + rng.below(40) {
                freq[rng.below(N)] += 1 + rng.below(3) as u16;
            }
        }
        1 => {
            for f in freq.iter_mut() {
                *f = rng.below(3) as u16;
            }
        }
        2 => {
            let (mut a, mut b) = (1u16, 1u16);
            for _ in 0..2 + rng.below(22) {
                freq[rng.below(N)] = a;
                (a, b) = (b, a.saturating_add(b).min(4000));
            }
        }
        3 => {
            // Zero or one symbol used: zlib forces codes in.
            if rng.below(2) == 0 {
                freq[rng.below(N)] = 1 + rng.below(9) as u16;
            }
        }
        _ => {
            for _ in 0..1 + rng.below(N) {
                freq[rng.below(N)] = 1 + rng.below(200) as u16;
            }
        }
    }
    freq
}

#[test]
fn trees_are_zlibs_trees() {
    let zero_extra = [0u8; L_CODES];
    let mut rng = Rng(0xC0FF_EE00_0000_0019);
    for round in 0..4000 {
        // The literal/length tree (END_BLOCK always used once, or not, as in an empty block).
        let mut freq: [u16; L_CODES] = frequency_table(&mut rng);
        freq[END_BLOCK] = 1;
        let (want, want_cost) = reference_build_tree(&freq, MAX_BITS);
        let tree = build_tree(&freq, &zero_extra, MAX_BITS);
        assert_eq!(tree.len, want, "round {round}");
        assert_eq!(tree.cost, want_cost, "round {round}");

        let dist: [u16; D_CODES] = frequency_table(&mut rng);
        let (want, want_cost) = reference_build_tree(&dist, MAX_BITS);
        let tree = build_tree(&dist, &[0; D_CODES], MAX_BITS);
        assert_eq!(
            (tree.len, tree.cost),
            (want, want_cost),
            "round {round}: {dist:?}"
        );

        // A bit-length tree, with zlib's limit of 7.
        let bl: [u16; BL_CODES] = frequency_table(&mut rng);
        let (want, want_cost) = reference_build_tree(&bl, MAX_BL_BITS);
        let tree = build_tree(&bl, &[0; BL_CODES], MAX_BL_BITS);
        assert_eq!(
            (tree.len, tree.cost),
            (want, want_cost),
            "round {round}: {bl:?}"
        );
    }
    // The empty distance tree: two forced codes of one bit, costing nothing.
    let tree = build_tree(&[0u16; D_CODES], &EXTRA_DBITS, MAX_BITS);
    assert_eq!(
        (tree.len[..2].to_vec(), tree.max_code, tree.cost),
        (vec![1, 1], 1, 0)
    );
}
