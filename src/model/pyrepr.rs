//! Python's `repr` of the values the chapter prints (`r.json()`, `r.headers`), so the page can
//! put "what the chapter printed" and "what you just got" side by side in the same notation.

use serde_json::Value;

/// `repr(s)` for a Python `str`: single quotes unless the text has a single quote and no double
/// quote, backslash escapes for the quote, backslash and control characters.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// The repr of a JSON value as Python's `json.loads` would give it back (`True`, `None`,
/// `{'k': 'v'}`). Object keys keep their order.
pub fn value_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                flask_cookie::python_float_repr(f)
            } else {
                n.to_string()
            }
        }
        Value::String(s) => str_repr(s),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(value_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", str_repr(k), value_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The repr of a header list as `requests` prints a `CaseInsensitiveDict`: a dict in wire order
/// (a repeated name keeps the last value, as a dict would).
pub fn headers_repr<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut kept: Vec<(&str, &str)> = Vec::new();
    for (name, value) in headers {
        if let Some(slot) = kept.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            slot.1 = value;
        } else {
            kept.push((name, value));
        }
    }
    format!(
        "{{{}}}",
        kept.iter()
            .map(|(n, v)| format!("{}: {}", str_repr(n), str_repr(v)))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn message_dict_like_python() {
        // Needs serde_json's preserve_order only for several keys; one key is enough here.
        assert_eq!(
            value_repr(&json!({"message": "Welcome, cobra!"})),
            "{'message': 'Welcome, cobra!'}"
        );
    }

    #[test]
    fn scalars() {
        assert_eq!(value_repr(&json!(null)), "None");
        assert_eq!(value_repr(&json!(true)), "True");
        assert_eq!(value_repr(&json!([1, 2.5, "x"])), "[1, 2.5, 'x']");
        assert_eq!(value_repr(&json!({})), "{}");
        // Python's float repr, not Rust's Debug ("1e16", "1e-5")
        assert_eq!(
            value_repr(&json!([1e16, 0.00001, 100.0])),
            "[1e+16, 1e-05, 100.0]"
        );
    }

    #[test]
    fn string_quoting_follows_python() {
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("say \"hi\""), "'say \"hi\"'");
        assert_eq!(str_repr("both ' and \""), "'both \\' and \"'");
        assert_eq!(str_repr("a\nb\\"), "'a\\nb\\\\'");
    }

    #[test]
    fn headers_keep_wire_order_and_last_duplicate() {
        let h = [
            ("Content-Type", "application/json"),
            ("Vary", "Cookie"),
            ("vary", "Accept"),
        ];
        assert_eq!(
            headers_repr(h),
            "{'Content-Type': 'application/json', 'Vary': 'Accept'}"
        );
    }
}
