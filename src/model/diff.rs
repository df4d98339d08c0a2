//! Character-level difference between two strings (the previous and the new session cookie),
//! so the page can highlight "the cookie looks slightly different".

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Same,
    /// In the new string only.
    Added,
    /// In the old string only.
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub op: Op,
    pub text: String,
}

/// Longest strings compared cell by cell; longer inputs (never a real session cookie) fall back
/// to a common prefix and suffix around one changed middle.
const MAX_LCS_CELLS: usize = 4_000_000;

/// A minimal edit script from `old` to `new` (longest common subsequence over characters),
/// merged into runs.
pub fn char_diff(old: &str, new: &str) -> Vec<Segment> {
    let a: Vec<char> = old.chars().collect();
    let b: Vec<char> = new.chars().collect();
    // Common prefix and suffix first: cheap, and keeps the table small.
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);

    let mut ops: Vec<(Op, char)> = a[..prefix].iter().map(|&c| (Op::Same, c)).collect();
    if am.len().saturating_mul(bm.len()) > MAX_LCS_CELLS {
        ops.extend(am.iter().map(|&c| (Op::Removed, c)));
        ops.extend(bm.iter().map(|&c| (Op::Added, c)));
    } else {
        ops.extend(lcs_ops(am, bm));
    }
    ops.extend(a[a.len() - suffix..].iter().map(|&c| (Op::Same, c)));

    let mut out: Vec<Segment> = Vec::new();
    for (op, c) in ops {
        match out.last_mut() {
            Some(seg) if seg.op == op => seg.text.push(c),
            _ => out.push(Segment {
                op,
                text: c.to_string(),
            }),
        }
    }
    out
}

fn lcs_ops(a: &[char], b: &[char]) -> Vec<(Op, char)> {
    let (n, m) = (a.len(), b.len());
    // len[i][j] = LCS length of a[i..] and b[j..]
    let w = m + 1;
    let mut len = vec![0u32; (n + 1) * w];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            len[i * w + j] = if a[i] == b[j] {
                len[(i + 1) * w + j + 1] + 1
            } else {
                len[(i + 1) * w + j].max(len[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::with_capacity(n + m);
    while i < n && j < m {
        if a[i] == b[j] {
            ops.push((Op::Same, a[i]));
            i += 1;
            j += 1;
        } else if len[(i + 1) * w + j] >= len[i * w + j + 1] {
            ops.push((Op::Removed, a[i]));
            i += 1;
        } else {
            ops.push((Op::Added, b[j]));
            j += 1;
        }
    }
    ops.extend(a[i..].iter().map(|&c| (Op::Removed, c)));
    ops.extend(b[j..].iter().map(|&c| (Op::Added, c)));
    ops
}

/// How many characters changed (added plus removed).
pub fn changed_chars(segments: &[Segment]) -> usize {
    segments
        .iter()
        .filter(|s| s.op != Op::Same)
        .map(|s| s.text.chars().count())
        .sum()
}

/// The old string, rebuilt from a diff (for tests and sanity checks).
pub fn old_side(segments: &[Segment]) -> String {
    segments
        .iter()
        .filter(|s| s.op != Op::Added)
        .map(|s| s.text.as_str())
        .collect()
}

/// The new string, rebuilt from a diff.
pub fn new_side(segments: &[Segment]) -> String {
    segments
        .iter()
        .filter(|s| s.op != Op::Removed)
        .map(|s| s.text.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjF9.YZaTHQ.OR2ZuTCLFhYlbq0ne7jdx9CbbpU";
    const V2: &str = "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjJ9.YZaTHQ.asPFCOqXYwYU9EVUscsPyowPuuc";

    #[test]
    fn chapter_cookies_differ_in_one_payload_char_and_the_signature() {
        let d = char_diff(V1, V2);
        assert_eq!(old_side(&d), V1);
        assert_eq!(new_side(&d), V2);
        // The payload differs in exactly one character: F -> J (visit 1 -> 2).
        let payload_end = V1.find('.').unwrap();
        let mut pos = 0;
        let mut payload_changes = Vec::new();
        for s in &d {
            if s.op != Op::Same && pos < payload_end {
                payload_changes.push((s.op, s.text.clone()));
            }
            if s.op != Op::Added {
                pos += s.text.len();
            }
        }
        assert_eq!(
            payload_changes,
            vec![(Op::Removed, "F".into()), (Op::Added, "J".into())]
        );
        assert!(
            d.first().unwrap().op == Op::Same && d.first().unwrap().text.starts_with("eyJ1c2Vy")
        );
    }

    #[test]
    fn identical_and_empty() {
        assert_eq!(
            char_diff("abc", "abc"),
            vec![Segment {
                op: Op::Same,
                text: "abc".into()
            }]
        );
        assert_eq!(
            char_diff("", "ab"),
            vec![Segment {
                op: Op::Added,
                text: "ab".into()
            }]
        );
        assert_eq!(
            char_diff("ab", ""),
            vec![Segment {
                op: Op::Removed,
                text: "ab".into()
            }]
        );
        assert!(char_diff("", "").is_empty());
    }

    #[test]
    fn minimal_edits() {
        let d = char_diff("kitten", "sitting");
        assert_eq!(new_side(&d), "sitting");
        assert_eq!(old_side(&d), "kitten");
        assert_eq!(changed_chars(&d), 5); // k->s, e->i (2 each), +g
    }

    #[test]
    fn unicode_is_per_character() {
        let d = char_diff("héllo", "hallo");
        assert_eq!(changed_chars(&d), 2);
        assert_eq!(new_side(&d), "hallo");
    }

    #[test]
    fn runs_are_merged() {
        let d = char_diff("aaaXXXbbb", "aaaYYYbbb");
        assert_eq!(d.len(), 4);
        assert_eq!(
            d[1],
            Segment {
                op: Op::Removed,
                text: "XXX".into()
            }
        );
        assert_eq!(
            d[2],
            Segment {
                op: Op::Added,
                text: "YYY".into()
            }
        );
    }
}
