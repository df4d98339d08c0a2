//! JSON written the way Python's `json.dumps(obj, separators=(",", ":"), sort_keys=True,
//! ensure_ascii=True)` writes it, which is what Flask's session serializer produces.

use std::fmt::Write as _;

use serde_json::Value;

/// Append the Python-compatible JSON of `value` to `out`, compact (`separators=(",", ":")`).
///
/// Keys are sorted by code point (as Python sorts `str`), whatever order the map keeps; every
/// character outside `' '..='~'` is escaped; floats are written as Python's `repr` writes them.
pub fn write_python_json(value: &Value, out: &mut String) {
    write_value(value, out, None, 0);
}

/// The same JSON as Flask's pretty `jsonify` (`json.dumps(obj, indent=2, sort_keys=True,
/// ensure_ascii=True)`, Flask 2.2 and later): one item a line, two spaces a level, `": "` after
/// keys, empty containers as `{}` and `[]`. No trailing newline (Flask adds that itself).
pub fn write_python_json_indented(value: &Value, out: &mut String) {
    write_value(value, out, Some(2), 0);
}

/// One writer for both layouts, so escaping, number formatting and key order cannot drift
/// apart between the session cookie and the response bodies.
fn write_value(value: &Value, out: &mut String, indent: Option<usize>, level: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            let items = items.iter().map(|item| (None, item));
            write_container(items, ('[', ']'), out, indent, level);
        }
        Value::Object(map) => {
            // Sorted by key (UTF-8 byte order is code point order, as Python sorts `str`):
            // serde_json's Map keeps that order only without its `preserve_order` feature.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let entries = entries.into_iter().map(|(key, item)| (Some(key), item));
            write_container(entries, ('{', '}'), out, indent, level);
        }
    }
}

fn write_container<'a>(
    entries: impl ExactSizeIterator<Item = (Option<&'a String>, &'a Value)>,
    (open, close): (char, char),
    out: &mut String,
    indent: Option<usize>,
    level: usize,
) {
    out.push(open);
    let empty = entries.len() == 0;
    for (i, (key, item)) in entries.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if let Some(width) = indent {
            out.push('\n');
            push_spaces(out, width * (level + 1));
        }
        if let Some(key) = key {
            write_string(key, out);
            out.push_str(if indent.is_some() { ": " } else { ":" });
        }
        write_value(item, out, indent, level + 1);
    }
    if let (Some(width), false) = (indent, empty) {
        out.push('\n');
        push_spaces(out, width * level);
    }
    out.push(close);
}

fn push_spaces(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn write_number(n: &serde_json::Number, out: &mut String) {
    // Integers through `itoa`, the digits serde_json writes.
    let mut digits = itoa::Buffer::new();
    if let Some(u) = n.as_u64() {
        out.push_str(digits.format(u));
    } else if let Some(i) = n.as_i64() {
        out.push_str(digits.format(i));
    } else if let Some(f) = n.as_f64() {
        out.push_str(&python_float_repr(f));
    } else {
        // Only reachable with serde_json's arbitrary_precision: the text is the number.
        out.push_str(&n.to_string());
    }
}

/// Python's `py_encode_basestring_ascii`: short escapes for `\" \\ \n \r \t \b \f`, `\u00XX`
/// (lowercase hex) for the rest outside `' '..='~'`, UTF-16 surrogate pairs above U+FFFF.
///
/// Stretches that need no escape are copied whole; only the characters that do are looked at
/// one by one.
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    let mut rest = s;
    while let Some(at) = rest
        .bytes()
        .position(|b| !(b' '..=b'~').contains(&b) || b == b'"' || b == b'\\')
    {
        // `at` is on a character boundary: every byte before it is ASCII.
        let (plain, from) = rest.split_at_checked(at).unwrap_or((rest, ""));
        out.push_str(plain);
        let mut chars = from.chars();
        let Some(c) = chars.next() else { break };
        rest = chars.as_str();
        write_escaped(c, out);
    }
    out.push_str(rest);
    out.push('"');
}

/// One character of a string that `write_string` cannot copy as it is.
fn write_escaped(c: char, out: &mut String) {
    {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str("\\u");
                    for shift in [12, 8, 4, 0] {
                        out.push(char::from(HEX[usize::from((*unit >> shift) & 0xf)]));
                    }
                }
            }
        }
    }
}

/// A float as Python's `repr` (and so `json.dumps`) writes it: the shortest digits that read
/// back to the same float, in fixed notation when the decimal exponent is in `-4..16`, else in
/// exponent notation with a sign and at least two exponent digits.
///
/// `1.5`, `0.1`, `100.0`, `1e+16`, `1e-05`, `-0.0`, `1.2345678901234568e+17`; `NaN`,
/// `Infinity`, `-Infinity` as Python's json module writes them.
pub fn python_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let mut out = String::new();
    if x.is_sign_negative() {
        out.push('-');
    }
    let (digits, decpt) = shortest_digits(x.abs());
    let ndigits = digits.len() as i32;
    if (-4 < decpt) && (decpt <= 16) {
        if decpt <= 0 {
            out.push_str("0.");
            for _ in 0..(-decpt) {
                out.push('0');
            }
            out.push_str(&digits);
        } else if decpt < ndigits {
            let (int_part, frac) = digits.split_at(decpt as usize);
            out.push_str(int_part);
            out.push('.');
            out.push_str(frac);
        } else {
            out.push_str(&digits);
            for _ in 0..(decpt - ndigits) {
                out.push('0');
            }
            out.push_str(".0");
        }
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let e = decpt - 1;
        let _ = write!(out, "e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    out
}

/// The shortest digits that read back to `x` (finite, not negative) and Python's `decpt`: `x` is
/// `0.DIGITS × 10^decpt`. `0.0` gives `("0", 1)`, as Python's repr has it.
///
/// The digits come from serde_json's float printer, which the build already has for JSON
/// numbers and which prints the same shortest round-trip digits as `{:e}`; going through it
/// keeps core's float formatting (about 12 KB) out of the page's wasm. It prints fixed or
/// exponent notation ("0.001", "100.0", "1e16", "1.5e-7"), so both are read back here.
fn shortest_digits(x: f64) -> (String, i32) {
    let printed = serde_json::Number::from_f64(x)
        .map(|n| n.to_string())
        .unwrap_or_default();
    let (mantissa, exp) = match printed.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.trim_start_matches('+').parse::<i32>().unwrap_or(0)),
        None => (printed.as_str(), 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut decpt = int_part.len() as i32 + exp;
    let all = int_part.bytes().chain(frac_part.bytes());
    let mut digits = String::with_capacity(int_part.len() + frac_part.len());
    for b in all {
        if b == b'0' && digits.is_empty() {
            decpt -= 1; // a leading zero: the point moves right past it
        } else {
            digits.push(b as char);
        }
    }
    let kept = digits.trim_end_matches('0').len();
    digits.truncate(kept);
    if digits.is_empty() {
        return ("0".to_owned(), 1);
    }
    (digits, decpt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dumps(v: &Value) -> String {
        let mut s = String::new();
        write_python_json(v, &mut s);
        s
    }

    #[test]
    fn floats_like_python_repr() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (100.0, "100.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000123, "0.000123"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (1e22, "1e+22"),
            (1e100, "1e+100"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (2.2250738585072014e-308, "2.2250738585072014e-308"),
            (9007199254740993.0, "9007199254740992.0"),
            // exactly halfway between two 17-digit candidates: Python rounds to even
            (1658206780088562.2, "1658206780088562.2"), // exactly 1658206780088562.25
            (1234.5678, "1234.5678"),
            (0.3333333333333333, "0.3333333333333333"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (x, want) in cases {
            assert_eq!(python_float_repr(*x), *want, "repr of {x:?}");
        }
    }

    /// The digits are the shortest that read back, over every kind of f64 bit pattern (core's
    /// `{:e}` tells the shortest length).
    #[test]
    fn shortest_digits_agree_with_core_formatting() {
        fn via_core(x: f64) -> (String, i32) {
            let sci = format!("{x:e}");
            let (m, e) = sci.split_once('e').unwrap();
            let digits: String = m.chars().filter(|c| c.is_ascii_digit()).collect();
            (digits, e.parse::<i32>().unwrap() + 1)
        }
        let (mut checked, mut ties) = (0, 0);
        let mut bits: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..50_000u64 {
            // xorshift over all bit patterns, plus small integers and short decimals
            bits ^= bits << 13;
            bits ^= bits >> 7;
            bits ^= bits << 17;
            for x in [
                f64::from_bits(bits),
                i as f64,
                i as f64 / 1000.0,
                1.0 / (i as f64 + 1.0),
            ] {
                if !x.is_finite() {
                    continue;
                }
                let (digits, decpt) = shortest_digits(x.abs());
                let core = via_core(x.abs());
                // Both are shortest: same length, and they read back to the same float. They
                // may differ only where the exact value lies halfway between two shortest
                // candidates: core rounds such ties up, Python (and serde_json) to even.
                assert_eq!(digits.len(), core.0.len(), "length of {x:e}");
                let back: f64 = format!("0.{digits}e{decpt}").parse().unwrap();
                assert_eq!(back, x.abs(), "{digits}e{decpt} reads back as {x:e}");
                if (digits.clone(), decpt) != core {
                    ties += 1;
                }
                checked += 1;
            }
        }
        assert!(checked > 150_000);
        assert!(ties < checked / 1000, "{ties} ties out of {checked}");
    }

    #[test]
    fn strings_escaped_like_ensure_ascii() {
        assert_eq!(dumps(&json!("cobra")), r#""cobra""#);
        assert_eq!(dumps(&json!("é")), r#""\u00e9""#);
        assert_eq!(dumps(&json!("中文")), r#""\u4e2d\u6587""#);
        assert_eq!(dumps(&json!("🐍")), r#""\ud83d\udc0d""#);
        assert_eq!(dumps(&json!("\"\\\n\r\t\u{8}\u{c}")), r#""\"\\\n\r\t\b\f""#);
        assert_eq!(
            dumps(&json!("\u{0}\u{1f}\u{7f}\u{80}")),
            r#""\u0000\u001f\u007f\u0080""#
        );
        assert_eq!(dumps(&json!("\u{2028}/<>'")), r#""\u2028/<>'""#);
        assert_eq!(
            dumps(&json!("\u{ffff}\u{10000}")),
            r#""\uffff\ud800\udc00""#
        );
    }

    #[test]
    fn compact_and_sorted() {
        let v = json!({"visit": 1, "username": "cobra", "a": [1, 2.5, null, true, false, {}], "B": {"z": -3, "y": []}});
        assert_eq!(
            dumps(&v),
            r#"{"B":{"y":[],"z":-3},"a":[1,2.5,null,true,false,{}],"username":"cobra","visit":1}"#
        );
        // Code point order, as Python sorts str: uppercase < lowercase < non-ASCII.
        let v = json!({"é": 1, "z": 2, "Z": 3, "中": 4, "🐍": 5});
        assert_eq!(
            dumps(&v),
            r#"{"Z":3,"z":2,"\u00e9":1,"\u4e2d":4,"\ud83d\udc0d":5}"#
        );
    }

    #[test]
    fn integers_stay_integers() {
        let v = json!([0, -1, u64::MAX, i64::MIN, 1.0]);
        assert_eq!(
            dumps(&v),
            "[0,-1,18446744073709551615,-9223372036854775808,1.0]"
        );
    }
}
