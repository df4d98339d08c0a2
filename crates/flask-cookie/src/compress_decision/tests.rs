//! The literal-only zlib model against the stream it writes, against miniz_oxide's deflate, and
//! (when `python3` with `zlib` is on the PATH) against Python's own `zlib.compress`.

use super::*;
use proptest::prelude::*;

/// Flask's rule: keep the compressed form only if it is shorter by more than one byte.
fn flask_compresses(json_len: usize, zlib_len: usize) -> bool {
    zlib_len + 1 < json_len
}

/// A small deterministic generator (xorshift64*), so that the Python comparison is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Up to `len` bytes from `alphabet`, never repeating a 3-byte sequence (a random walk that
/// avoids used triples; it stops early when stuck).
fn literal_only_text(rng: &mut Rng, alphabet: &[u8], prefix: &[u8], len: usize) -> Vec<u8> {
    let mut out = prefix.to_vec();
    let mut seen = std::collections::HashSet::new();
    for w in out.windows(3) {
        seen.insert([w[0], w[1], w[2]]);
    }
    'grow: while out.len() < len {
        let start = rng.below(alphabet.len());
        for k in 0..alphabet.len() {
            let c = alphabet[(start + k) % alphabet.len()];
            let n = out.len();
            if n >= 2 {
                let t = [out[n - 2], out[n - 1], c];
                if seen.contains(&t) {
                    continue;
                }
                seen.insert(t);
            }
            out.push(c);
            continue 'grow;
        }
        break;
    }
    out
}

fn has_repeated_trigram(input: &[u8]) -> bool {
    let mut seen = std::collections::HashSet::new();
    input.windows(3).any(|w| !seen.insert(w))
}

/// Samples of every kind the model is for, and some it must refuse.
fn samples() -> Vec<Vec<u8>> {
    let mut rng = Rng(0x5EED_F1A5_C0DE_0006);
    let mut out: Vec<Vec<u8>> = Vec::new();
    // The playground's own sessions and Flask's test vectors.
    for user in [
        "cobra",
        "nagini",
        "viper",
        "anaconda",
        "José",
        "Zoë",
        "中文",
        "🐍 snake",
    ] {
        for visit in [0u64, 1, 2, 9, 12, 42, 99, 100, 12_345, u64::MAX] {
            let v = serde_json::json!({"username": user, "visit": visit});
            out.push(
                crate::serialize_session(&v)
                    .unwrap_or_default()
                    .into_bytes(),
            );
        }
    }
    let vectors: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/vectors/flask_vectors.json"))
            .unwrap_or_default();
    if let Some(accepted) = vectors["accepted"].as_array() {
        for a in accepted {
            if let Some(json) = a["json"].as_str() {
                out.push(json.as_bytes().to_vec());
            }
        }
    }
    // Literal-only texts over alphabets from 2 letters (very skewed, compressible) to all bytes,
    // bare and inside a session; lengths around where compression starts to pay.
    let alphabets: Vec<Vec<u8>> = vec![
        b"ab".to_vec(),
        b"ACG".to_vec(),
        b"ACGT".to_vec(),
        b"abcde".to_vec(),
        b"0123456789abcdef".to_vec(),
        b"abcdefghijklmnopqrstuvwxyz".to_vec(),
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_".to_vec(),
        (b' '..=b'~').collect(),
        (0u8..=255).collect(),
        (128u8..=255).collect(),
    ];
    for alphabet in &alphabets {
        for _ in 0..60 {
            let len = 1 + rng.below(900);
            out.push(literal_only_text(&mut rng, alphabet, b"", len));
            let len = 12 + rng.below(300);
            let mut s = literal_only_text(&mut rng, alphabet, b"{\"dna\":\"", len);
            s.extend_from_slice(b"\"}");
            out.push(s);
        }
    }
    // Random bytes and short random text (mostly literal-only when short).
    for _ in 0..300 {
        let len = rng.below(80);
        out.push((0..len).map(|_| rng.next() as u8).collect());
        let len = rng.below(60);
        out.push((0..len).map(|_| b' ' + rng.below(95) as u8).collect());
    }
    // Repeats, for zlib's matcher: Flask's own compressible sessions, runs longer than a match
    // (258), zeros (zlib reads zeros past the input), small alphabets, near-duplicates.
    for n in [1, 2, 3, 5, 8, 20, 40, 60, 200] {
        let v = serde_json::json!({"note": "hiss ".repeat(n), "username": "cobra", "visit": n});
        out.push(
            crate::serialize_session(&v)
                .unwrap_or_default()
                .into_bytes(),
        );
    }
    let flashes: Vec<_> = (1..9)
        .map(|i| serde_json::json!({" t": ["message", format!("Welcome back, cobra! This is visit #{i}.")]}))
        .collect();
    let v = serde_json::json!({"_flashes": flashes, "_fresh": true, "csrf_token": "f3a9c1d2e4b5a6978877665544332211ffeeddcc"});
    out.push(
        crate::serialize_session(&v)
            .unwrap_or_default()
            .into_bytes(),
    );
    for len in [3, 4, 5, 100, 257, 258, 259, 260, 300, 516, 517, 1000, 4096] {
        out.push(vec![b'a'; len]);
        out.push(vec![0u8; len]);
        out.push((0..len).map(|i| b"ab"[i % 2]).collect());
        out.push((0..len).map(|i| (i % 251) as u8).collect());
    }
    for _ in 0..400 {
        let len = 1 + rng.below(1500);
        let k = 1 + rng.below(12);
        out.push((0..len).map(|_| b'a' + rng.below(k) as u8).collect());
        let len = 1 + rng.below(300);
        let mut s: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let copies = rng.below(4);
        for _ in 0..copies {
            let from = rng.below(s.len());
            let to = (from + 3 + rng.below(40)).min(s.len());
            let piece = s[from..to].to_vec();
            s.extend_from_slice(&piece);
            s.push(rng.next() as u8);
        }
        out.push(s);
    }
    // Long enough to leave the model: more than MAX_MODELLED_LEN bytes.
    out.push(literal_only_text(
        &mut rng,
        &(0u8..=255).collect::<Vec<_>>(),
        b"",
        MAX_MODELLED_LEN + 10,
    ));
    out
}

#[test]
fn the_model_refuses_repeats_and_long_inputs() {
    assert!(LiteralOnly::plan(b"").is_none());
    assert!(LiteralOnly::plan(b"aaaa").is_none(), "overlapping repeat");
    assert!(LiteralOnly::plan(b"abcXabc").is_none());
    assert!(LiteralOnly::plan(b"aaa").is_some());
    assert!(LiteralOnly::plan(b"ab").is_some());
    let long: Vec<u8> = (0..=MAX_MODELLED_LEN).map(|i| (i % 251) as u8).collect();
    assert!(LiteralOnly::plan(&long).is_none());
    let session = br#"{"username":"cobra","visit":12}"#;
    let plan = LiteralOnly::plan(session).expect("no repeated triple in the chapter's session");
    assert!(!flask_compresses(session.len(), plan.zlib_len()));
}

#[test]
fn the_model_is_the_size_of_the_stream_it_writes_and_that_stream_inflates() {
    let mut kinds = [0usize; 3];
    for s in samples() {
        let Some(plan) = LiteralOnly::plan(&s) else {
            assert!(
                s.is_empty() || s.len() > MAX_MODELLED_LEN || has_repeated_trigram(&s),
                "{s:?}"
            );
            continue;
        };
        assert!(!has_repeated_trigram(&s));
        kinds[plan.block.kind as usize] += 1;
        let stream = plan.zlib_stream();
        assert_eq!(stream.len(), plan.zlib_len(), "{:?}", plan.block.kind);
        let back = miniz_oxide::inflate::decompress_to_vec_zlib(&stream).expect("inflates");
        assert_eq!(back, s);
    }
    // Every kind of block zlib can choose was exercised.
    assert!(kinds.iter().all(|k| *k > 0), "{kinds:?}");
}

/// miniz_oxide (the compressor used when the model does not apply) is sometimes shorter than
/// zlib on literal-only inputs, so deciding with it made cookies Flask would not have compressed.
/// The model decides as zlib does (checked against zlib itself in the tests below).
#[test]
fn miniz_is_no_oracle_for_flasks_decision() {
    let (mut literal_only, mut disagree) = (0, 0);
    for s in samples() {
        if let Some(plan) = LiteralOnly::plan(&s) {
            literal_only += 1;
            let miniz = crate::zlib_compress(&s);
            if flask_compresses(s.len(), miniz.len()) != flask_compresses(s.len(), plan.zlib_len())
            {
                disagree += 1;
            }
        }
    }
    println!(
        "miniz decides otherwise than zlib on {disagree} of {literal_only} literal-only samples"
    );
    assert!(literal_only > 1000);
}

/// Python's `zlib.compress`, one line of hex in and out, kept running across proptest cases.
struct PythonZlib {
    child: std::process::Child,
    input: std::process::ChildStdin,
    output: std::io::BufReader<std::process::ChildStdout>,
}

const PYTHON_ZLIB: &str = r#"
import sys, zlib
print(zlib.ZLIB_RUNTIME_VERSION, flush=True)
for line in sys.stdin:
    print(zlib.compress(bytes.fromhex(line.strip())).hex(), flush=True)
"#;

impl PythonZlib {
    /// `None`, with the reason printed, when python3 or its zlib module is missing.
    fn start() -> Option<(PythonZlib, String)> {
        use std::io::BufRead as _;
        use std::process::{Command, Stdio};
        let spawned = Command::new("python3")
            .args(["-c", PYTHON_ZLIB])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                println!("skipped: python3 cannot be started ({e}); nothing to compare with zlib");
                return None;
            }
        };
        let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
            return None;
        };
        let mut output = std::io::BufReader::new(output);
        let mut version = String::new();
        if output.read_line(&mut version).unwrap_or(0) == 0 {
            println!("skipped: python3 has no zlib module; nothing to compare with zlib");
            let _ = child.wait();
            return None;
        }
        Some((
            PythonZlib {
                child,
                input,
                output,
            },
            version.trim().to_owned(),
        ))
    }

    fn compress(&mut self, data: &[u8]) -> Vec<u8> {
        use std::io::{BufRead as _, Write as _};
        let mut line: String = data.iter().map(|b| format!("{b:02x}")).collect();
        line.push('\n');
        self.input
            .write_all(line.as_bytes())
            .expect("python3 reads");
        let mut answer = String::new();
        self.output.read_line(&mut answer).expect("python3 answers");
        let answer = answer.trim();
        (0..answer.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&answer[i..i + 2], 16).expect("hex"))
            .collect()
    }
}

impl Drop for PythonZlib {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// The rule: when the model says Flask would not compress, zlib's output is indeed not short
    /// enough; more, for every input the model takes, its stream is zlib's, byte for byte.
    /// Without Python, only the model's own consistency is checked (it says so once).
    #[test]
    fn a_skip_is_never_a_missed_compression(s in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        "[a-z]{0,120}".prop_map(String::into_bytes),
        "[ACGT]{0,200}".prop_map(String::into_bytes),
        "[a-f0-9]{0,300}".prop_map(String::into_bytes),
        "\\{\"[a-z_]{1,12}\":\"[ -~]{0,60}\",\"visit\":[0-9]{1,6}\\}".prop_map(String::into_bytes),
        "\\{\"csrf\":\"[a-f0-9]{20,160}\",\"username\":\"[a-z]{1,10}\"\\}".prop_map(String::into_bytes),
        "(hiss |cobra|visit|[a-z]{1,4}|\"|:|,){0,120}".prop_map(String::into_bytes),
        prop::collection::vec(prop_oneof![Just(0u8), Just(b'a'), Just(b'b'), any::<u8>()], 0..700),
        (prop::collection::vec(any::<u8>(), 1..40), 1usize..80).prop_map(|(unit, n)| unit.repeat(n)),
    ]) {
        use std::sync::{Mutex, OnceLock};
        static PYTHON: OnceLock<Mutex<Option<PythonZlib>>> = OnceLock::new();
        let python = PYTHON.get_or_init(|| Mutex::new(PythonZlib::start().map(|(p, _)| p)));
        let mut python = python.lock().unwrap_or_else(|e| e.into_inner());
        let zlib = python.as_mut().map(|python| python.compress(&s));
        match (flask_payload(&s), &zlib) {
            (Some(FlaskPayload::Plain), Some(zlib)) => {
                prop_assert!(!flask_compresses(s.len(), zlib.len()));
            }
            (Some(FlaskPayload::Compressed(ours)), Some(zlib)) => prop_assert_eq!(&ours, zlib),
            _ => {}
        }
        // Without Python, the transcribed deflate is the real deflate: a "plain" decision is
        // never a stream short enough to be kept, and the literal-only plan writes its bytes.
        let deflated = deflate::zlib_compress(&s);
        match (flask_payload(&s), &deflated) {
            (Some(FlaskPayload::Plain), Some(deflated)) => {
                prop_assert!(!flask_compresses(s.len(), deflated.len()));
            }
            (Some(FlaskPayload::Compressed(ours)), Some(deflated)) => prop_assert_eq!(&ours, deflated),
            (None, None) => prop_assert!(s.is_empty()),
            (ours, deflated) => prop_assert!(false, "{ours:?} but deflate {deflated:?}"),
        }
        match LiteralOnly::plan(&s) {
            Some(plan) => {
                prop_assert!(!has_repeated_trigram(&s));
                let stream = plan.zlib_stream();
                prop_assert_eq!(stream.len(), plan.zlib_len());
                prop_assert_eq!(Some(&stream), deflated.as_ref());
                if let Some(zlib) = zlib {
                    prop_assert_eq!(&stream, &zlib);
                    if !flask_compresses(s.len(), plan.zlib_len()) {
                        prop_assert!(!flask_compresses(s.len(), zlib.len()));
                    }
                }
            }
            None => prop_assert!(s.is_empty() || has_repeated_trigram(&s)),
        }
    }
}

/// Python's `zlib.compress` (Flask's compressor) on every sample: for the literal-only ones the
/// model must give the same bytes, not only the same length.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn the_model_is_byte_for_byte_pythons_zlib() {
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    const SCRIPT: &str = r#"
import sys, zlib
print(zlib.ZLIB_RUNTIME_VERSION, flush=True)
for line in sys.stdin:
    print(zlib.compress(bytes.fromhex(line.strip())).hex())
"#;
    let samples = samples();
    let child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            println!(
                "skipped: python3 cannot be started ({e}); the model is not compared with zlib"
            );
            return;
        }
    };
    let input: String = samples
        .iter()
        .map(|s| {
            let mut line: String = s.iter().map(|b| format!("{b:02x}")).collect();
            line.push('\n');
            line
        })
        .collect();
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("python3 runs");
    writer
        .join()
        .expect("writer")
        .expect("python3 reads its input");
    if !output.status.success() {
        println!(
            "skipped: python3 has no working zlib: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        return;
    }
    let text = String::from_utf8(output.stdout).expect("hex is ASCII");
    let mut lines = text.lines();
    let version = lines.next().unwrap_or_default().to_owned();
    let (mut compared, mut compressed, mut deflated) = (0, 0, 0);
    for (s, hex) in samples.iter().zip(lines) {
        // The signer's rule: "plain" only where zlib is not short enough; zlib's bytes otherwise.
        match flask_payload(s) {
            Some(FlaskPayload::Plain) => assert!(
                !flask_compresses(s.len(), hex.len() / 2),
                "zlib {version} compresses {:?}",
                String::from_utf8_lossy(s)
            ),
            Some(FlaskPayload::Compressed(ours)) => {
                let ours: String = ours.iter().map(|b| format!("{b:02x}")).collect();
                assert_eq!(ours, hex);
            }
            None => {}
        }
        // The transcribed deflate, on everything it takes (literal-only inputs included).
        if let Some(ours) = deflate::zlib_compress(s) {
            let ours: String = ours.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(
                ours,
                hex,
                "deflate, zlib {version}, input of {} bytes: {:?}",
                s.len(),
                String::from_utf8_lossy(s)
            );
            deflated += 1;
        }
        let Some(plan) = LiteralOnly::plan(s) else {
            continue;
        };
        let ours: String = plan
            .zlib_stream()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            ours,
            hex,
            "zlib {version}, input of {} bytes: {:?}",
            s.len(),
            String::from_utf8_lossy(s)
        );
        compared += 1;
        compressed += usize::from(flask_compresses(s.len(), plan.zlib_len()));
    }
    println!("zlib {version}: {compared} literal-only samples identical ({compressed} of them worth compressing for Flask); the transcribed deflate identical on {deflated} samples");
    assert!(compared > 1000, "{compared}");
    assert!(compressed > 10, "{compressed}");
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
    match rng.below(4) {
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
        _ => {
            for _ in 0..1 + rng.below(N) {
                freq[rng.below(N)] = 1 + rng.below(200) as u16;
            }
        }
    }
    freq
}

#[test]
fn the_compact_huffman_builds_zlibs_trees() {
    let mut rng = Rng(0xC0FF_EE00_0000_0019);
    for round in 0..4000 {
        // The literal tree: 256 literals and END_BLOCK (always used once).
        let mut freq: [u16; L_CODES] = frequency_table(&mut rng);
        freq[END_BLOCK] = 1;
        let (want, want_cost) = reference_build_tree(&freq, MAX_BITS);
        let used: Vec<usize> = (0..L_CODES).filter(|s| freq[*s] != 0).collect();
        let leaf_freqs: Vec<u16> = used.iter().map(|s| freq[*s]).collect();
        let mut lens = [0u8; L_CODES];
        let cost = huffman::<{ 2 * L_CODES + 1 }>(&leaf_freqs, MAX_BITS, &mut lens);
        for (i, s) in used.iter().enumerate() {
            assert_eq!(lens[i], want[*s], "round {round}, symbol {s}");
        }
        assert_eq!(cost, want_cost, "round {round}");

        // A bit-length tree, with zlib's limit of 7 and its forced codes.
        let bl: [u16; BL_CODES] = frequency_table(&mut rng);
        let (want, want_cost) = reference_build_tree(&bl, MAX_BL_BITS);
        let tree = small_tree(&bl, &[0; BL_CODES], MAX_BL_BITS);
        assert_eq!(tree.len, want, "round {round}: {bl:?}");
        assert_eq!(tree.cost, want_cost, "round {round}: {bl:?}");
    }
    // The empty distance tree: two forced codes of one bit, costing nothing.
    let tree = small_tree(&[0u16; 2], &[0; 2], MAX_BITS);
    assert_eq!((tree.len, tree.max_code, tree.cost), ([1, 1], 1, 0));
}

#[test]
fn runs_are_coded_as_zlibs_walk_codes_them() {
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    for round in 0..4000 {
        // Lengths in runs of random values and sizes, zeros often.
        let mut len = Vec::new();
        while len.len() < 1 + rng.below(300) {
            let value = if rng.below(2) == 0 {
                0
            } else {
                rng.below(16) as u8
            };
            let long = rng.below(4) == 0;
            let count = 1 + rng.below(if long { 200 } else { 9 });
            len.extend(std::iter::repeat_n(value, count));
        }
        let mut want = Vec::new();
        for_each_length_code(&len, len.len() - 1, |c| want.push(c));
        let mut got = Vec::new();
        let mut emit = |c| got.push(c);
        let mut i = 0;
        while i < len.len() {
            let j = (i..len.len())
                .find(|j| len[*j] != len[i])
                .unwrap_or(len.len());
            for_each_run_code(len[i], j - i, &mut emit);
            i = j;
        }
        assert_eq!(got, want, "round {round}: {len:?}");
    }
}

#[test]
fn the_shortcut_bound_is_below_the_exact_cost_and_decides_like_the_plan() {
    let (mut literal_only, mut settled, mut settled_sharper) = (0, 0, 0);
    for s in samples() {
        let Some(plan) = LiteralOnly::plan(&s) else {
            continue;
        };
        literal_only += 1;
        let bound = dynamic_block_lower_bound(&s);
        assert!(
            bound <= plan.block.opt_len,
            "{bound} > {}: {s:?}",
            plan.block.opt_len
        );
        settled += usize::from(bound >= 8 * s.len() as i64 - 66);
        let (header_and_tree, literals) = block_bound_parts(&s);
        let sharper = header_and_tree + literal_huffman_bound(&s);
        assert!(literals <= literal_huffman_bound(&s), "{s:?}");
        assert!(
            sharper <= plan.block.opt_len,
            "{sharper} > {}: {s:?}",
            plan.block.opt_len
        );
        settled_sharper += usize::from(sharper >= 8 * s.len() as i64 - 66);
        let want = if flask_compresses(s.len(), plan.zlib_len()) {
            FlaskPayload::Compressed(plan.zlib_stream())
        } else {
            FlaskPayload::Plain
        };
        assert_eq!(flask_payload(&s), Some(want));
    }
    println!("the bound alone settles {settled} of {literal_only} literal-only samples, the sharper one {settled_sharper}");
    // Longer sessions of the chapter's shape are settled by the sharper bound.
    for user in ["alice_wonderland", "anaconda", "nagini"] {
        for visit in [1u64, 12, 12_345, u64::MAX] {
            let s = format!(r#"{{"username":"{user}","visit":{visit}}}"#);
            let (header_and_tree, _) = block_bound_parts(s.as_bytes());
            let sharper = header_and_tree + literal_huffman_bound(s.as_bytes());
            assert!(sharper >= 8 * s.len() as i64 - 66, "{s}");
        }
    }
    // The chapter's sessions are settled by the bound alone.
    for visit in [1, 12, 42, 999] {
        let s = format!(r#"{{"username":"cobra","visit":{visit}}}"#);
        assert!(
            dynamic_block_lower_bound(s.as_bytes()) >= 8 * s.len() as i64 - 66,
            "{s}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_shortcut_bound_never_exceeds_the_exact_cost(s in prop_oneof![
        prop::collection::vec(any::<u8>(), 1..300),
        "[ACGT]{1,200}".prop_map(String::into_bytes),
        "[ -~]{1,200}".prop_map(String::into_bytes),
        "\\{\"[a-z_]{1,12}\":\"[ -~]{0,60}\",\"visit\":[0-9]{1,6}\\}".prop_map(String::into_bytes),
    ]) {
        if let Some(plan) = LiteralOnly::plan(&s) {
            prop_assert!(dynamic_block_lower_bound(&s) <= plan.block.opt_len);
            let (header_and_tree, _) = block_bound_parts(&s);
            prop_assert!(header_and_tree + literal_huffman_bound(&s) <= plan.block.opt_len);
        }
    }
}
