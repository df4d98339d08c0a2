//! Property tests: no input makes decode/verify panic, and no mutation of a valid cookie verifies.

use flask_cookie::{
    decode, decode_session, serialize_session, sign, verify, Keyring, DEFAULT_MAX_AGE_SECS,
};
use proptest::prelude::*;
use serde_json::{json, Value};

const KEY: &[u8] = b"playground-demo-secret";
const FALLBACK: &[u8] = b"an-older-secret";
const TS: u64 = 1_637_258_013;

/// Characters a mutation may bring in: the cookie alphabet, the separators and padding people
/// confuse it with, and a few that do not belong in a cookie at all.
fn mutation_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => proptest::char::ranges(vec!['A'..='Z', 'a'..='z', '0'..='9'].into()),
        2 => Just('-'),
        2 => Just('_'),
        3 => Just('.'),
        1 => Just('='),
        1 => Just('+'),
        1 => Just('/'),
        1 => Just(' '),
        1 => Just('é'),
        1 => Just('🐍'),
    ]
}

/// A session like the playground's, sometimes with a note long enough to be compressed.
fn session() -> impl Strategy<Value = Value> {
    (
        "\\PC{0,12}",
        0u64..10_000,
        prop::option::of((1usize..40).prop_map(|n| "hiss ".repeat(n))),
    )
        .prop_map(|(user, visit, note)| match note {
            Some(note) => json!({"username": user, "visit": visit, "note": note}),
            None => json!({"username": user, "visit": visit}),
        })
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, char),
    Insert(usize, char),
    Delete(usize),
    SwapSegments(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), mutation_char()).prop_map(|(i, c)| Mutation::Replace(i, c)),
        (any::<usize>(), mutation_char()).prop_map(|(i, c)| Mutation::Insert(i, c)),
        any::<usize>().prop_map(Mutation::Delete),
        (0usize..3, 0usize..3).prop_map(|(a, b)| Mutation::SwapSegments(a, b)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(cookie: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = cookie.chars().collect();
    for m in mutations {
        let len = chars.len();
        match *m {
            Mutation::Replace(i, c) if len > 0 => chars[i % len] = c,
            Mutation::Insert(i, c) => chars.insert(i % (len + 1), c),
            Mutation::Delete(i) if len > 0 => {
                chars.remove(i % len);
            }
            Mutation::SwapSegments(a, b) => {
                let text: String = chars.iter().collect();
                let mut parts: Vec<&str> = text.rsplitn(3, '.').collect();
                parts.reverse();
                if a < parts.len() && b < parts.len() {
                    parts.swap(a, b);
                }
                chars = parts.join(".").chars().collect();
            }
            Mutation::Truncate(i) => chars.truncate(i % (len + 1)),
            _ => {}
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(s in "\\PC{0,200}") {
        prop_assert_eq!(decode_session(&s).err(), decode(&s).err());
        let _ = verify(&s, &[KEY], TS, DEFAULT_MAX_AGE_SECS);
    }

    #[test]
    fn random_cookie_shaped_text_never_panics(
        s in "\\.?[A-Za-z0-9_=+/-]{0,120}\\.[A-Za-z0-9_-]{0,12}\\.[A-Za-z0-9_-]{0,30}"
    ) {
        prop_assert_eq!(decode_session(&s).err(), decode(&s).err());
        let _ = verify(&s, &[KEY, FALLBACK], TS, DEFAULT_MAX_AGE_SECS);
    }

    #[test]
    fn signed_sessions_verify_and_decode_to_themselves(
        session in session(), ts in 0u64..u64::from(u32::MAX)
    ) {
        let cookie = sign(&session, KEY, ts).unwrap();
        let ok = verify(&cookie, &[FALLBACK, KEY], ts, DEFAULT_MAX_AGE_SECS).unwrap();
        prop_assert_eq!(ok.key_index, 1);
        prop_assert_eq!(&ok.decoded.value, &session);
        prop_assert_eq!(ok.decoded.timestamp, ts);
        prop_assert_eq!(ok.decoded.json, serialize_session(&session).unwrap());
    }

    #[test]
    fn mutated_cookies_never_verify_unless_unchanged(
        session in session(), mutations in prop::collection::vec(mutation(), 1..4)
    ) {
        let cookie = sign(&session, KEY, TS).unwrap();
        let mutated = apply(&cookie, &mutations);
        // decode_session() agrees with decode() on whatever the mutation made.
        match (decode(&mutated), decode_session(&mutated)) {
            (Ok(d), Ok(s)) => prop_assert_eq!(d.value, Value::Object(s)),
            (Err(d), Err(s)) => prop_assert_eq!(d, s),
            (d, s) => prop_assert!(false, "{mutated}: decode {d:?}, decode_session {s:?}"),
        }
        let result = verify(&mutated, &[KEY, FALLBACK], TS, DEFAULT_MAX_AGE_SECS);
        if mutated == cookie {
            prop_assert!(result.is_ok());
        } else {
            prop_assert!(result.is_err(), "{} -> {} verified", cookie, mutated);
        }
    }

    /// `Keyring::open` (the server's lean read) accepts and refuses exactly what `verify` does,
    /// for the same reasons, on valid, mutated and expired cookies, under one key or two.
    #[test]
    fn open_agrees_with_verify(
        session in session(),
        mutations in prop::collection::vec(mutation(), 0..3),
        signed_with_fallback in any::<bool>(),
        late in 0u64..3,
    ) {
        let signer = if signed_with_fallback { FALLBACK } else { KEY };
        let cookie = apply(&sign(&session, signer, TS).unwrap(), &mutations);
        let now = TS + late * DEFAULT_MAX_AGE_SECS;
        for keyring in [Keyring::new(&[KEY]), Keyring::new(&[KEY, FALLBACK]), Keyring::new(&[b"" as &[u8], KEY])] {
            let verified = keyring.verify(&cookie, now, DEFAULT_MAX_AGE_SECS);
            let opened = keyring.open(&cookie, now, DEFAULT_MAX_AGE_SECS);
            match (verified, opened) {
                (Ok(v), Ok(o)) => {
                    prop_assert_eq!(Value::Object(o.session), v.decoded.value);
                    prop_assert_eq!(o.key_index, v.key_index);
                    prop_assert_eq!(o.timestamp, v.decoded.timestamp);
                }
                (Err(v), Err(o)) => prop_assert_eq!(v, o),
                (v, o) => prop_assert!(false, "{cookie}: verify {v:?}, open {o:?}"),
            }
        }
    }

    #[test]
    fn floats_survive_the_python_json_round_trip(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
        let session = json!({"x": x});
        let text = serialize_session(&session).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back["x"].as_f64().map(f64::to_bits), Some(x.to_bits()));
    }

    #[test]
    fn any_json_object_signs_and_verifies(
        // Keys never start with a space: a one-key object {" t": ...} would be one of Flask's tags.
        map in prop::collection::btree_map("([^ ]\\PC{0,7})?", json_leaf(), 0..6)
    ) {
        let session = Value::Object(map.into_iter().collect());
        let cookie = sign(&session, KEY, TS).unwrap();
        let ok = verify(&cookie, &[KEY], TS, 0).unwrap();
        prop_assert_eq!(ok.decoded.value, session);
    }
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(|x| json!(x)),
        "\\PC{0,20}".prop_map(Value::String),
        prop::collection::vec("[a-z]{0,3}", 0..3).prop_map(|v| json!(v)),
    ]
}
