//! Flask's tagged JSON (`flask/json/tag.py`).

use serde::Serialize;

/// A session value with Flask's tags resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Tagged {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Tagged>),
    /// Keys in the order of the JSON (Flask writes them sorted).
    Object(Vec<(String, Tagged)>),
    /// `{" t": [...]}`: a Python tuple.
    Tuple(Vec<Tagged>),
    /// `{" b": "<standard base64>"}`: Python bytes.
    Bytes(Vec<u8>),
    /// `{" m": "<html>"}`: markupsafe.Markup.
    Markup(String),
    /// `{" u": "<32 hex digits>"}`: a UUID, kept as 32 lowercase hex digits.
    Uuid(String),
    /// `{" d": "Thu, 18 Nov 2021 17:53:33 GMT"}`: a datetime, as Flask's HTTP date text.
    DateTime(String),
}

impl Tagged {
    /// Resolve Flask's tags in a JSON value, as `TaggedJSONSerializer.loads` does.
    pub fn from_json(value: &serde_json::Value) -> Result<Tagged, crate::MalformedCookie> {
        let _ = value;
        todo!()
    }

    /// `"null"`, `"bool"`, `"number"`, `"string"`, `"array"`, `"object"`, `"tuple"`, `"bytes"`,
    /// `"markup"`, `"uuid"`, `"datetime"`.
    pub fn kind(&self) -> &'static str {
        todo!()
    }

    /// Back to Flask's tagged JSON form.
    pub fn to_tagged_json(&self) -> serde_json::Value {
        todo!()
    }

    /// The value under `key` when this is an object.
    pub fn get(&self, key: &str) -> Option<&Tagged> {
        let _ = key;
        todo!()
    }
}
