//! A reader for the JSON Flask writes into a session cookie, as a shortcut before serde_json.
//!
//! Flask writes sessions compactly (no spaces), mostly strings, integers, booleans and nested
//! objects. For such text, serde_json's general machinery (its visitor, its scratch handling of
//! escapes, its number parsing) costs more than the reading itself on every cookie a server
//! opens. [`parse_session`] reads only that plain subset, a top-level object, and gives up on
//! anything else (whitespace, an escape, a control character, a float, an integer serde_json
//! would not read as one, more than [`MAX_DEPTH`] levels, anything but an object at the top, any
//! syntax error), and then serde_json reads the text as before, errors included. Where it
//! answers, it builds exactly the map serde_json builds (the tests compare both on generated and
//! mutated text): the same map type through the same `insert` (a repeated key keeps the last
//! value, as serde_json does), integers as serde_json stores them.

use serde_json::{Map, Number, Value};

/// Deeper than this, leave it to serde_json (which has its own limit of 128).
const MAX_DEPTH: usize = 64;

/// The bytes a plain string stops at: its closing quote, or what this reader leaves to
/// serde_json (an escape, a control character). One load per byte instead of three tests.
const ENDS_PLAIN_STRING: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// A session read from plain compact JSON text, `None` when serde_json must decide.
pub(crate) struct Session {
    pub(crate) map: Map<String, Value>,
    /// Whether some key starts with a space, as all of Flask's tag keys do: only then can the
    /// session hold a tag, which [`crate::tagged::has_tags`] then tells exactly.
    pub(crate) maybe_tagged: bool,
}

/// The session in `text` when it is a plain compact JSON object, `None` when serde_json must
/// decide.
pub(crate) fn parse_session(text: &str) -> Option<Session> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        at: 0,
        maybe_tagged: false,
    };
    reader.eat(b'{')?;
    let map = reader.object(1)?;
    (reader.at == reader.bytes.len()).then_some(Session {
        map,
        maybe_tagged: reader.maybe_tagged,
    })
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    maybe_tagged: bool,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// A value inside an object or an array at `depth`. Inlined into both: returning a `Value`
    /// through memory from a call stalled the store forwarding of its caller.
    #[inline(always)]
    fn value(&mut self, depth: usize) -> Option<Value> {
        let first = self.peek()?;
        self.at += 1;
        match first {
            b'"' => self.string_body().map(|s| Value::String(s.to_owned())),
            b'{' => self.object(depth + 1).map(Value::Object),
            b'[' => self.array(depth + 1),
            _ => {
                self.at -= 1;
                match first {
                    b't' => self.word("true", Value::Bool(true)),
                    b'f' => self.word("false", Value::Bool(false)),
                    b'n' => self.word("null", Value::Null),
                    b'-' | b'0'..=b'9' => self.integer(),
                    _ => None,
                }
            }
        }
    }

    fn word(&mut self, word: &str, value: Value) -> Option<Value> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end)? == word.as_bytes()).then(|| {
            self.at = end;
            value
        })
    }

    /// The members of an object whose `{` was just read.
    fn object(&mut self, depth: usize) -> Option<Map<String, Value>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut map = Map::new();
        if self.eat(b'}').is_some() {
            return Some(map);
        }
        loop {
            self.eat(b'"')?;
            let key = self.string_body()?;
            self.maybe_tagged |= key.starts_with(' ');
            let key = key.to_owned();
            self.eat(b':')?;
            let value = self.value(depth)?;
            map.insert(key, value);
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(map);
                }
                _ => return None,
            }
        }
    }

    /// The items of an array whose `[` was just read.
    fn array(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut items = Vec::new();
        if self.eat(b']').is_some() {
            return Some(Value::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(Value::Array(items));
                }
                _ => return None,
            }
        }
    }

    /// The rest of a string whose opening quote was just read, when it has no escape and no
    /// control character, borrowed from the text.
    fn string_body(&mut self) -> Option<&'a str> {
        let start = self.at;
        let len = self
            .bytes
            .get(start..)?
            .iter()
            .position(|&b| ENDS_PLAIN_STRING[usize::from(b)])?;
        let end = start + len;
        if self.bytes.get(end) != Some(&b'"') {
            return None;
        }
        self.at = end + 1;
        // Both ends are next to ASCII quotes inside valid UTF-8: character boundaries.
        self.text.get(start..end)
    }

    /// An integer as serde_json stores it: non-negative ones as `u64`, negative ones as `i64`.
    /// Gives up where serde_json would make a float (a fraction, an exponent, "-0", a value out
    /// of range) or refuse (a leading zero).
    fn integer(&mut self) -> Option<Value> {
        let negative = self.eat(b'-').is_some();
        let start = self.at;
        let digits = self
            .bytes
            .get(start..)?
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let end = start + digits;
        if digits == 0 || (digits > 1 && self.bytes.get(start) == Some(&b'0')) {
            return None;
        }
        if matches!(self.bytes.get(end), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        // Past u64, serde_json makes a float: give up there too.
        let magnitude = self
            .bytes
            .get(start..end)?
            .iter()
            .try_fold(0u64, |acc, d| {
                acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
            })?;
        self.at = end;
        if negative {
            let magnitude = i64::try_from(magnitude).ok().filter(|m| *m > 0)?;
            Some(Value::Number(Number::from(-magnitude)))
        } else {
            Some(Value::Number(Number::from(magnitude)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn serde(text: &str) -> Option<Value> {
        serde_json::from_str(text).ok()
    }

    /// The session as a value, when the fast reader answers.
    fn parse(text: &str) -> Option<Value> {
        parse_session(text).map(|s| Value::Object(s.map))
    }

    #[test]
    fn reads_flask_sessions_as_serde_json_does() {
        for text in [
            r#"{"username":"cobra","visit":42}"#,
            r#"{"_fresh":true,"_id":"aaaa","n":null,"x":false}"#,
            r#"{"a":{"b":{"c":[[],{},[{}],{"d":[1,[2,[3]]]}]}}}"#,
            r#"{"max":9223372036854775807,"min":-9223372036854775807,"neg":-1,"umax":18446744073709551615,"zero":0}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"é":"中文 🐍"}"#,
            r#"{"":""}"#,
            "{}",
        ] {
            let fast = parse(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(Some(fast), serde(text), "{text}");
        }
        assert_eq!(parse(r#"{"a":1,"a":2}"#), Some(json!({"a": 2})));
    }

    #[test]
    fn says_when_a_key_could_be_a_tag() {
        for (text, maybe) in [
            (r#"{"username":"cobra","visit":42}"#, false),
            (r#"{"a":{" t":[1]}}"#, true),
            (r#"{"a":[{" x":1,"y":2}]}"#, true),
            (r#"{"a":" t"}"#, false),
        ] {
            let session = parse_session(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(session.maybe_tagged, maybe, "{text}");
        }
    }

    #[test]
    fn leaves_everything_else_to_serde_json() {
        for text in [
            r#"{"a": 1}"#,
            r#"{"a":"\n"}"#,
            r#"{"a":"tab	"}"#,
            r#"{"a":1.5}"#,
            r#"{"a":1e5}"#,
            r#"{"a":-0}"#,
            r#"{"a":01}"#,
            r#"{"a":18446744073709551616}"#,
            r#"{"a":-9223372036854775808}"#,
            r#"{"a":1,}"#,
            r#"{"a":1} "#,
            r#"{"a""#,
            r#"{'a':1}"#,
            r#"{"a":"x"#,
            "",
            "tru",
            "[]",
            "7",
            "\"a\"",
            &"[".repeat(100),
            &format!("{}1{}", r#"{"a":"#.repeat(100), "}".repeat(100)),
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }

    /// JSON as Flask writes it, from serde_json's own writer.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            (-1000.0f64..1000.0).prop_map(|x| json!(x)),
            "\\PC{0,12}".prop_map(Value::String),
            "[a-z\"\\\\\n]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(key(), inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Keys, Flask's tag keys among them.
    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => "\\PC{0,6}",
            1 => prop::sample::select(crate::TAG_KEYS.to_vec()).prop_map(str::to_owned),
        ]
    }

    /// A session: an object at the top.
    fn json_session() -> impl Strategy<Value = Value> {
        prop::collection::btree_map(key(), json_value(), 0..5)
            .prop_map(|m| Value::Object(m.into_iter().collect()))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        #[test]
        fn where_it_answers_it_answers_as_serde_json(
            value in json_session(),
            cut in any::<usize>(),
            insert in prop::sample::select(vec!["", " ", ",", "}", "]", "\"", "-", "0", ".", "e", "\\", "\u{1}", "9"]),
        ) {
            let text = serde_json::to_string(&value).unwrap();
            // As written, and mutated at one place.
            let at = (0..=text.len()).filter(|i| text.is_char_boundary(*i)).nth(cut % (text.chars().count() + 1)).unwrap_or(0);
            let mutated = format!("{}{}{}", &text[..at], insert, &text[at..]);
            for text in [text.as_str(), mutated.as_str()] {
                if let Some(session) = parse_session(text) {
                    if crate::tagged::has_tags(&session.map) {
                        prop_assert!(session.maybe_tagged, "{}", text);
                    }
                    let fast = Value::Object(session.map);
                    prop_assert_eq!(Some(fast), serde(text), "{}", text);
                }
            }
            // Plain compact text is always answered.
            let plain = !text.contains('\\') && !text.contains('.') && !text.contains('e')
                && !text.contains("-0") && text.bytes().all(|b| b >= 0x20);
            if plain && serde(&text).is_some() && !text.contains("E") {
                prop_assert!(parse(&text).is_some() || text.contains("9223372036854775808"), "{}", text);
            }
        }
    }
}
