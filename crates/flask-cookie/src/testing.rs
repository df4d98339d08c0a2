//! What the codec's compression tests share: reproducible samples, and Python's own
//! `zlib.compress` to hold them to (test-support's Python; a missing one is a counted skip).

/// A small deterministic generator (xorshift64*), so that the Python comparison is reproducible.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Text in which no 3-byte sequence repeats (a random walk that avoids used triples; it stops
/// early when stuck): zlib finds no match and writes literals only.
pub(crate) fn literal_only_text(rng: &mut Rng, alphabet: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    'grow: while out.len() < len {
        let start = rng.below(alphabet.len());
        for k in 0..alphabet.len() {
            let c = alphabet[(start + k) % alphabet.len()];
            let n = out.len();
            if n >= 2 && !seen.insert([out[n - 2], out[n - 1], c]) {
                continue;
            }
            out.push(c);
            continue 'grow;
        }
        break;
    }
    out
}

/// Hex of some bytes, for the pipe to Python and for readable failures.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// No Python with zlib: a skip, counted by `cargo xtask test` (a failure under `CI=true`).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn skip(test: &str, why: &str) {
    test_support::skip_test(test, why);
}

/// Python's `zlib.compress`, one line of hex in and out, kept running across proptest cases.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) struct PythonZlib {
    child: std::process::Child,
    input: std::process::ChildStdin,
    output: std::io::BufReader<std::process::ChildStdout>,
    pub(crate) version: String,
}

#[cfg(not(target_arch = "wasm32"))]
impl PythonZlib {
    pub(crate) fn start() -> Result<PythonZlib, String> {
        use std::io::BufRead as _;
        use std::process::{Command, Stdio};
        const SCRIPT: &str = r#"
import sys, zlib
print(zlib.ZLIB_RUNTIME_VERSION, flush=True)
for line in sys.stdin:
    print(zlib.compress(bytes.fromhex(line.strip())).hex(), flush=True)
"#;
        let mut child = Command::new(test_support::python_with("zlib")?)
            .args(["-c", SCRIPT])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| e.to_string())?;
        let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("no pipes to python".into());
        };
        let mut output = std::io::BufReader::new(output);
        let mut version = String::new();
        output.read_line(&mut version).map_err(|e| e.to_string())?;
        Ok(PythonZlib {
            child,
            input,
            output,
            version: version.trim().to_owned(),
        })
    }

    pub(crate) fn compress(&mut self, data: &[u8]) -> Vec<u8> {
        use std::io::{BufRead as _, Write as _};
        let mut line = hex(data);
        line.push('\n');
        self.input.write_all(line.as_bytes()).expect("python reads");
        let mut answer = String::new();
        self.output.read_line(&mut answer).expect("python answers");
        let answer = answer.trim();
        (0..answer.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&answer[i..i + 2], 16).expect("hex"))
            .collect()
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Drop for PythonZlib {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
