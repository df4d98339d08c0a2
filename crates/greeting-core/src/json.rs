//! Response bodies formatted like Flask's pretty-printed `jsonify`.
//!
//! The chapter's responses carry `Content-Length: 35` for `{"message": "Welcome, cobra!"}`: the
//! course's Flask server pretty-printed its JSON. Flask does that with Python's
//! `json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=True)` followed by a newline:
//!
//! ```text
//! {
//!   "message": "Welcome, cobra!"
//! }
//! ```
//!
//! Flask before 2.2 (the chapter's server ran Werkzeug 2.0.2) passed `separators=(", ", ": ")`
//! with the indent, so an object of several keys had a space at the end of each line but the
//! last (`"id": 1, ⏎`); Flask 2.2 and later do not. This follows the later form. The chapter's
//! greeting bodies have a single key, where both agree byte for byte (35 and 58); only the
//! `/user` record differs (94 bytes here and in Flask 3, 97 in Flask 2.0).
//!
//! Keys are sorted here explicitly (never relying on `serde_json`'s map order, which a feature
//! elsewhere in the build could change), and every character outside printable ASCII is escaped
//! as `\uXXXX` the way Python's `ensure_ascii` does.

use serde_json::Value;

/// `value` as Flask's pretty `jsonify` writes it: indent 2, `": "` after keys, sorted keys,
/// non-ASCII escaped, and a trailing newline.
pub fn flask_pretty(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0);
    out.push('\n');
    out
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn write_value(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                indent(out, level + 1);
                write_value(out, item, level + 1);
            }
            out.push('\n');
            indent(out, level);
            out.push(']');
        }
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push_str("{\n");
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                indent(out, level + 1);
                write_string(out, key);
                out.push_str(": ");
                write_value(out, item, level + 1);
            }
            out.push('\n');
            indent(out, level);
            out.push('}');
        }
    }
}

/// A JSON string literal escaped like Python's `json.dumps(..., ensure_ascii=True)`.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
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
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{:04x}", unit));
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn chapter_bodies_have_the_chapter_lengths() {
        let first = flask_pretty(&json!({"message": "Welcome, cobra!"}));
        assert_eq!(first, "{\n  \"message\": \"Welcome, cobra!\"\n}\n");
        assert_eq!(first.len(), 35);
        let second = flask_pretty(&json!({"message": "Welcome back, cobra! This is visit #2."}));
        assert_eq!(second.len(), 58);
    }

    #[test]
    fn empty_object_is_flask_401_body() {
        assert_eq!(flask_pretty(&json!({})), "{}\n");
        assert_eq!(flask_pretty(&json!([])), "[]\n");
    }

    #[test]
    fn keys_sorted_and_nested_indent() {
        let v =
            json!({"user": "cobra", "id": 1, "email": "e", "list": [1, {"b": null, "a": true}]});
        assert_eq!(
            flask_pretty(&v),
            "{\n  \"email\": \"e\",\n  \"id\": 1,\n  \"list\": [\n    1,\n    {\n      \"a\": true,\n      \"b\": null\n    }\n  ],\n  \"user\": \"cobra\"\n}\n"
        );
    }

    #[test]
    fn non_ascii_escaped_like_python() {
        let mut s = String::new();
        write_string(&mut s, "é\u{7f}\u{1f}\"\\\n😀/");
        assert_eq!(s, "\"\\u00e9\\u007f\\u001f\\\"\\\\\\n\\ud83d\\ude00/\"");
    }
}
