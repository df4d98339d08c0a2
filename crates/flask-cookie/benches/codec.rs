//! The codec per operation: sign, verify and decode one session cookie, the one the greeting
//! server reads and writes on every request (`{"username": "cobra", "visit": 42}`), plus a
//! payload big enough to compress. bench/peers/codec_timeit.py times Flask's own serializer
//! (itsdangerous) on the same session; bench/ (run-benchmarks) puts both in BENCHMARKS.md.
//!
//! ```text
//! cargo bench -p flask-cookie --bench codec
//! ```
//!
//! sign, verify and decode are the free functions (keys derived once per thread, see
//! `flask_cookie::with_keyring`); keyring_sign, keyring_verify and keyring_open use a Keyring
//! built once, as a server does. keyring_open is what Flask's `open_session` does (the session
//! dict), without the decoded view (segments, JSON text, resolved tags, signature bytes) that
//! verify and decode build for the page's lab; decode_session is what the Python decode does
//! (the session dict, no key), without that view either.
//!
//! Criterion writes each estimate to target/criterion/codec/<name>/new/estimates.json.

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use std::hint::black_box;

const SECRET_KEY: &[u8] = b"benchmark-secret-key";
/// 2021-11-18 17:53:33 UTC, the chapter's timestamp.
const TIMESTAMP: u64 = 1_637_258_013;
const NOW: u64 = TIMESTAMP + 60;

fn codec(c: &mut Criterion) {
    let session = json!({"username": "cobra", "visit": 42});
    let cookie = flask_cookie::sign(&session, SECRET_KEY, TIMESTAMP).expect("sign");
    let keys: [&[u8]; 1] = [SECRET_KEY];
    assert!(flask_cookie::verify(&cookie, &keys, NOW, flask_cookie::DEFAULT_MAX_AGE_SECS).is_ok());

    let mut group = c.benchmark_group("codec");
    group.bench_function("sign", |b| {
        b.iter(|| {
            flask_cookie::sign(
                black_box(&session),
                black_box(SECRET_KEY),
                black_box(TIMESTAMP),
            )
        })
    });
    group.bench_function("verify", |b| {
        b.iter(|| {
            flask_cookie::verify(
                black_box(&cookie),
                black_box(&keys),
                black_box(NOW),
                flask_cookie::DEFAULT_MAX_AGE_SECS,
            )
        })
    });
    group.bench_function("decode", |b| {
        b.iter(|| flask_cookie::decode(black_box(&cookie)))
    });
    // The session alone, what Python's decode (flask-unsign's) hands back.
    assert_eq!(
        flask_cookie::decode_session(&cookie).map(serde_json::Value::Object),
        Ok(session.clone())
    );
    group.bench_function("decode_session", |b| {
        b.iter(|| flask_cookie::decode_session(black_box(&cookie)))
    });

    // The same with a Keyring built once, as a server that keeps its keys does.
    let keyring = flask_cookie::Keyring::new(&keys);
    assert_eq!(keyring.sign(&session, TIMESTAMP).as_ref(), Ok(&cookie));
    group.bench_function("keyring_sign", |b| {
        b.iter(|| keyring.sign(black_box(&session), black_box(TIMESTAMP)))
    });
    group.bench_function("keyring_open", |b| {
        b.iter(|| {
            keyring.open(
                black_box(&cookie),
                black_box(NOW),
                flask_cookie::DEFAULT_MAX_AGE_SECS,
            )
        })
    });
    group.bench_function("keyring_verify", |b| {
        b.iter(|| {
            keyring.verify(
                black_box(&cookie),
                black_box(NOW),
                flask_cookie::DEFAULT_MAX_AGE_SECS,
            )
        })
    });

    // A longer session, for which the cheap "zlib would not pay" bound is not enough and the
    // sharper one runs.
    let longer = json!({"username": "alice_wonderland", "visit": 12});
    group.bench_function("sign_longer_session", |b| {
        b.iter(|| keyring.sign(black_box(&longer), black_box(TIMESTAMP)))
    });

    // A payload zlib shortens: sign compresses, decode inflates.
    let big = json!({"note": "hiss ".repeat(40), "username": "cobra", "visit": 42});
    let big_cookie = flask_cookie::sign(&big, SECRET_KEY, TIMESTAMP).expect("sign");
    assert!(
        big_cookie.starts_with('.'),
        "the big payload should compress"
    );
    group.bench_function("sign_compressed", |b| {
        b.iter(|| flask_cookie::sign(black_box(&big), black_box(SECRET_KEY), black_box(TIMESTAMP)))
    });
    group.bench_function("decode_compressed", |b| {
        b.iter(|| flask_cookie::decode(black_box(&big_cookie)))
    });
    group.finish();
}

criterion_group!(benches, codec);
criterion_main!(benches);
