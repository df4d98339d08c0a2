//! Flask's tagged JSON (`flask/json/tag.py`): how a session keeps Python values that JSON has no
//! type for. A tag is a one-key object whose key is one of `" di"`, `" t"`, `" b"`, `" m"`,
//! `" u"`, `" d"`; any other object is a plain dict.

use base64::Engine as _;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::json_kind;
use crate::MalformedCookie;

/// The keys Flask's `TaggedJSONSerializer` knows.
pub const TAG_KEYS: [&str; 6] = [" di", " t", " b", " m", " u", " d"];

/// A session value with Flask's tags resolved.
///
/// Serialized (for showing it) as `{"kind": "...", "value": ...}`; an object's value is a list of
/// `[key, value]` pairs. [`Tagged::to_tagged_json`] gives Flask's own form back.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Tagged {
    /// `None`.
    Null,
    /// `True` / `False`.
    Bool(bool),
    /// An int or a float.
    Number(serde_json::Number),
    /// A `str`.
    String(String),
    /// A `list`.
    Array(Vec<Tagged>),
    /// A `dict`; keys in the order of the JSON (Flask writes them sorted). Stored in JSON as
    /// `{" di": {"KEY__": value}}` when it has one key and that key looks like a tag.
    Object(Vec<(String, Tagged)>),
    /// `{" t": [...]}`: a Python `tuple`.
    Tuple(Vec<Tagged>),
    /// `{" b": "<standard base64>"}`: Python `bytes`.
    Bytes(Vec<u8>),
    /// `{" m": "<html>"}`: `markupsafe.Markup`, HTML that is not escaped again.
    Markup(String),
    /// `{" u": "<32 hex digits>"}`: a `uuid.UUID`, kept as 32 lowercase hex digits.
    Uuid(String),
    /// `{" d": "Thu, 18 Nov 2021 17:53:33 GMT"}`: a `datetime`, kept as Flask's HTTP date text.
    #[serde(rename = "datetime")]
    DateTime(String),
}

fn bad_tag(tag: &str, kind: &str, reason: impl Into<String>) -> MalformedCookie {
    MalformedCookie::BadTag {
        tag: tag.to_owned(),
        kind: kind.to_owned(),
        reason: reason.into(),
    }
}

/// Python's `uuid.UUID(hex)`: drop `urn:`, `uuid:`, braces and dashes; then 32 hex digits.
fn normalize_uuid(text: &str) -> Option<String> {
    let t = text.replace("urn:", "").replace("uuid:", "");
    let t = t.trim_matches(|c| c == '{' || c == '}').replace('-', "");
    if t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        Some(t.to_ascii_lowercase())
    } else {
        None
    }
}

impl Tagged {
    /// Resolve Flask's tags in a JSON value, as `TaggedJSONSerializer.loads` does.
    ///
    /// Stricter than Flask in a few corners Flask itself never writes (a `" t"` holding a string,
    /// a `" di"` whose inner object has several keys, bytes in unpadded base64): those are
    /// [`MalformedCookie::BadTag`].
    pub fn from_json(value: &Value) -> Result<Tagged, MalformedCookie> {
        Ok(match value {
            Value::Null => Tagged::Null,
            Value::Bool(b) => Tagged::Bool(*b),
            Value::Number(n) => Tagged::Number(n.clone()),
            Value::String(s) => Tagged::String(s.clone()),
            // Plain loops into vectors of the final size: collecting `Result`s loses the size
            // hint, and this runs on every cookie decoded.
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(Tagged::from_json(item)?);
                }
                Tagged::Array(out)
            }
            Value::Object(map) => Tagged::from_object(map)?,
        })
    }

    /// [`Tagged::from_json`] of an object.
    pub(crate) fn from_object(map: &Map<String, Value>) -> Result<Tagged, MalformedCookie> {
        if map.len() == 1 {
            if let Some((key, inner)) = map.iter().next() {
                if TAG_KEYS.contains(&key.as_str()) {
                    return untag(key, inner);
                }
            }
        }
        let mut out = Vec::with_capacity(map.len());
        for (key, item) in map {
            out.push((key.clone(), Tagged::from_json(item)?));
        }
        Ok(Tagged::Object(out))
    }

    /// `"null"`, `"bool"`, `"number"`, `"string"`, `"array"`, `"object"`, `"tuple"`, `"bytes"`,
    /// `"markup"`, `"uuid"`, `"datetime"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Tagged::Null => "null",
            Tagged::Bool(_) => "bool",
            Tagged::Number(_) => "number",
            Tagged::String(_) => "string",
            Tagged::Array(_) => "array",
            Tagged::Object(_) => "object",
            Tagged::Tuple(_) => "tuple",
            Tagged::Bytes(_) => "bytes",
            Tagged::Markup(_) => "markup",
            Tagged::Uuid(_) => "uuid",
            Tagged::DateTime(_) => "datetime",
        }
    }

    /// Back to Flask's tagged JSON form (what `TaggedJSONSerializer.tag` would produce).
    pub fn to_tagged_json(&self) -> Value {
        fn tag(key: &str, value: Value) -> Value {
            let mut map = Map::new();
            map.insert(key.to_owned(), value);
            Value::Object(map)
        }
        match self {
            Tagged::Null => Value::Null,
            Tagged::Bool(b) => Value::Bool(*b),
            Tagged::Number(n) => Value::Number(n.clone()),
            Tagged::String(s) => Value::String(s.clone()),
            Tagged::Array(items) => {
                Value::Array(items.iter().map(Tagged::to_tagged_json).collect())
            }
            Tagged::Object(entries) => {
                if let [(key, item)] = entries.as_slice() {
                    if TAG_KEYS.contains(&key.as_str()) {
                        return tag(" di", tag(&format!("{key}__"), item.to_tagged_json()));
                    }
                }
                Value::Object(
                    entries
                        .iter()
                        .map(|(k, v)| (k.clone(), v.to_tagged_json()))
                        .collect(),
                )
            }
            Tagged::Tuple(items) => tag(
                " t",
                Value::Array(items.iter().map(Tagged::to_tagged_json).collect()),
            ),
            Tagged::Bytes(bytes) => tag(
                " b",
                Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
            ),
            Tagged::Markup(s) => tag(" m", Value::String(s.clone())),
            Tagged::Uuid(s) => tag(" u", Value::String(s.clone())),
            Tagged::DateTime(s) => tag(" d", Value::String(s.clone())),
        }
    }

    /// The value under `key` when this is an object.
    pub fn get(&self, key: &str) -> Option<&Tagged> {
        match self {
            Tagged::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text of a string (or of Markup).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Tagged::String(s) | Tagged::Markup(s) => Some(s),
            _ => None,
        }
    }

    /// The number, when it is an integer that fits in an i64.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Tagged::Number(n) => n.as_i64(),
            _ => None,
        }
    }
}

/// Whether [`Tagged::from_json`] has a tag to resolve in a session: a one-key object whose key
/// is one of [`TAG_KEYS`], at any depth. Without one, `from_json` cannot fail, so a reader that
/// only needs to know that a session is well-formed can skip building it.
pub(crate) fn has_tags(session: &Map<String, Value>) -> bool {
    (session.len() == 1 && session.keys().any(|k| TAG_KEYS.contains(&k.as_str())))
        || session.values().any(value_has_tags)
}

fn value_has_tags(value: &Value) -> bool {
    match value {
        Value::Array(items) => items.iter().any(value_has_tags),
        Value::Object(map) => has_tags(map),
        _ => false,
    }
}

fn untag(key: &str, inner: &Value) -> Result<Tagged, MalformedCookie> {
    match key {
        " di" => {
            let Value::Object(map) = inner else {
                return Err(bad_tag(
                    key,
                    "dict",
                    format!("it holds {}, not an object", json_kind(inner)),
                ));
            };
            let mut entries = map.iter();
            let (Some((k, v)), None) = (entries.next(), entries.next()) else {
                return Err(bad_tag(
                    key,
                    "dict",
                    format!(
                        "it must hold an object with exactly one key, not {}",
                        map.len()
                    ),
                ));
            };
            if TAG_KEYS.contains(&k.as_str()) {
                return Err(bad_tag(
                    key,
                    "dict",
                    format!("its inner key {k:?} is itself a tag; Flask writes {k:?} + \"__\""),
                ));
            }
            // Flask strips the last two characters (the "__" it added) without checking them.
            let mut stripped = k.clone();
            stripped.pop();
            stripped.pop();
            Ok(Tagged::Object(vec![(stripped, Tagged::from_json(v)?)]))
        }
        " t" => match inner {
            Value::Array(items) => Ok(Tagged::Tuple(
                items
                    .iter()
                    .map(Tagged::from_json)
                    .collect::<Result<_, _>>()?,
            )),
            other => Err(bad_tag(
                key,
                "tuple",
                format!("it holds {}, not an array", json_kind(other)),
            )),
        },
        " b" => match inner {
            Value::String(s) => base64::engine::general_purpose::STANDARD
                .decode(s)
                .map(Tagged::Bytes)
                .map_err(|e| bad_tag(key, "bytes", format!("{s:?} is not standard base64: {e}"))),
            other => Err(bad_tag(
                key,
                "bytes",
                format!("it holds {}, not a base64 string", json_kind(other)),
            )),
        },
        " m" => match inner {
            Value::String(s) => Ok(Tagged::Markup(s.clone())),
            other => Err(bad_tag(
                key,
                "markup",
                format!("it holds {}, not a string", json_kind(other)),
            )),
        },
        " u" => match inner {
            Value::String(s) => normalize_uuid(s)
                .map(Tagged::Uuid)
                .ok_or_else(|| bad_tag(key, "uuid", format!("{s:?} is not 32 hex digits"))),
            other => Err(bad_tag(
                key,
                "uuid",
                format!("it holds {}, not a hex string", json_kind(other)),
            )),
        },
        " d" => match inner {
            Value::String(s) => Ok(Tagged::DateTime(s.clone())),
            other => Err(bad_tag(
                key,
                "datetime",
                format!("it holds {}, not an HTTP date string", json_kind(other)),
            )),
        },
        _ => Err(bad_tag(key, "unknown", "not one of Flask's tags")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_tag_round_trips() {
        let v = json!({
            "a": {" t": [1, {" b": "AP8="}]},
            "m": {" m": "<b>hi</b>"},
            "u": {" u": "12345678123456781234567812345678"},
            "d": {" d": "Thu, 18 Nov 2021 17:53:33 GMT"},
            "di": {" di": {" t__": {" t": []}}},
            "plain": {"x": 1, " t": 2}
        });
        let t = Tagged::from_json(&v).unwrap();
        assert_eq!(t.get("a").map(Tagged::kind), Some("tuple"));
        assert_eq!(
            t.get("a"),
            Some(&Tagged::Tuple(vec![
                Tagged::Number(1.into()),
                Tagged::Bytes(vec![0, 255])
            ]))
        );
        assert_eq!(t.get("m").map(Tagged::kind), Some("markup"));
        assert_eq!(t.get("u").map(Tagged::kind), Some("uuid"));
        assert_eq!(t.get("d").map(Tagged::kind), Some("datetime"));
        assert_eq!(
            t.get("di"),
            Some(&Tagged::Object(vec![(" t".into(), Tagged::Tuple(vec![]))]))
        );
        assert_eq!(t.get("plain").map(Tagged::kind), Some("object"));
        assert_eq!(t.to_tagged_json(), v);
    }

    #[test]
    fn uuid_forms_like_python() {
        let want = "12345678123456781234567812345678";
        for form in [
            "12345678-1234-5678-1234-567812345678",
            "{12345678-1234-5678-1234-567812345678}",
            "urn:uuid:12345678-1234-5678-1234-567812345678",
            "12345678123456781234567812345678",
        ] {
            let t = Tagged::from_json(&json!({ " u": form })).unwrap();
            assert_eq!(t, Tagged::Uuid(want.into()), "{form}");
        }
        assert!(Tagged::from_json(&json!({" u": "xyz"})).is_err());
    }

    #[test]
    fn bad_tags_are_errors_not_panics() {
        for v in [
            json!({" t": "abc"}),
            json!({" b": "!!"}),
            json!({" b": 3}),
            json!({" m": null}),
            json!({" d": []}),
            json!({" di": 1}),
            json!({" di": {}}),
            json!({" di": {"a__": 1, "b__": 2}}),
            json!({" di": {" t": [1]}}),
        ] {
            let err = Tagged::from_json(&v).unwrap_err();
            assert!(matches!(err, MalformedCookie::BadTag { .. }), "{v}: {err}");
        }
    }

    #[test]
    fn without_tags_resolving_cannot_fail() {
        for v in [
            json!({"a": {" t": 1, "b": 2}, "c": [{" x": 1}], " t": 3}),
            json!({"t": "( t)", "list": [[], {}, [{}]]}),
        ] {
            assert!(!value_has_tags(&v), "{v}");
            assert!(Tagged::from_json(&v).is_ok());
        }
        for v in [
            json!({"a": [{" t": "not a list"}]}),
            json!({"deep": {"er": {" u": "xyz"}}}),
            json!({" di": 1}),
        ] {
            assert!(value_has_tags(&v), "{v}");
            assert!(Tagged::from_json(&v).is_err());
        }
    }

    #[test]
    fn serializes_with_kind() {
        let t = Tagged::from_json(&json!({"t": {" t": [1]}, "d": {" d": "x"}})).unwrap();
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            json!({"kind": "object", "value": [
                ["d", {"kind": "datetime", "value": "x"}],
                ["t", {"kind": "tuple", "value": [{"kind": "number", "value": 1}]}]
            ]})
        );
    }
}
