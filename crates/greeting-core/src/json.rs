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
/// non-ASCII escaped, and a trailing newline. The writer itself is the codec's, so the bodies
/// and the session cookie escape and order JSON the same way.
pub fn flask_pretty(value: &Value) -> String {
    let mut out = String::new();
    flask_cookie::write_python_json_indented(value, &mut out);
    out.push('\n');
    out
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
    fn floats_like_python() {
        assert_eq!(flask_pretty(&json!({"x": 1e16})), "{\n  \"x\": 1e+16\n}\n");
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
        let s = flask_pretty(&json!("é\u{7f}\u{1f}\"\\\n😀/"));
        assert_eq!(
            s.trim_end(),
            "\"\\u00e9\\u007f\\u001f\\\"\\\\\\n\\ud83d\\ude00/\""
        );
    }
}
