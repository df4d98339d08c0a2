//! Trusting a cookie: its signature under one of the keys, then its age, as Flask's
//! `open_session` checks them.

use hmac::Mac as _;
use serde::Serialize;

use crate::keyring::HmacSha1;
use crate::parse::{parse, Parsed, STACK_JSON};
use crate::{with_keyring, DecodedCookie, Rejection};

/// Flask's default `PERMANENT_SESSION_LIFETIME`: 31 days, in seconds.
pub const DEFAULT_MAX_AGE_SECS: u64 = 31 * 24 * 60 * 60;

/// A cookie whose signature matched one of the keys and whose age is within the max age.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifiedCookie {
    /// What the cookie holds.
    pub decoded: DecodedCookie,
    /// Which key matched: 0 = `SECRET_KEY`, 1.. = `SECRET_KEY_FALLBACKS`.
    pub key_index: usize,
}

/// What a server needs of a trusted session cookie, and no more: [`crate::Keyring::open`].
#[derive(Debug, Clone, PartialEq)]
pub struct OpenedSession {
    /// The session, Flask's tags not resolved (as [`DecodedCookie::value`]).
    pub session: serde_json::Map<String, serde_json::Value>,
    /// Which key matched: 0 = `SECRET_KEY`, 1.. = `SECRET_KEY_FALLBACKS`.
    pub key_index: usize,
    /// When it was signed, Unix seconds.
    pub timestamp: u64,
}

/// Verify against one or more keys (first = `SECRET_KEY`, rest = `SECRET_KEY_FALLBACKS`),
/// constant-time compare, max age, as Flask's `open_session` does at time `now` (Unix seconds).
///
/// Order of the checks: no key, malformed, signature, then age (`age > max_age` is expired,
/// `age < 0` is from the future; an age of exactly `max_age` is still good). Flask checks the
/// signature before it looks at the payload, so for a cookie that is both tampered with and
/// malformed Flask says "bad signature" where this says "malformed"; both mean a new session.
///
/// Keys are derived once per thread for the same keys ([`with_keyring`]); a caller that keeps
/// its keys can keep a [`crate::Keyring`] instead.
pub fn verify(
    cookie: &str,
    keys: &[&[u8]],
    now: u64,
    max_age_secs: u64,
) -> Result<VerifiedCookie, Rejection> {
    match keys.first() {
        Some(first) if !first.is_empty() => {}
        _ => return Err(Rejection::NoSecretKey),
    }
    with_keyring(keys, |keyring| keyring.verify(cookie, now, max_age_secs))
}

/// [`verify`] with HMACs already keyed with the derived keys.
pub(crate) fn verify_with(
    macs: &[HmacSha1],
    cookie: &str,
    now: u64,
    max_age_secs: u64,
) -> Result<VerifiedCookie, Rejection> {
    let mut buf = [0u8; STACK_JSON];
    let parsed = parse(cookie, &mut buf)?;
    let key_index = parsed.check(macs, now, max_age_secs)?;
    Ok(VerifiedCookie {
        decoded: parsed.into_decoded()?,
        key_index,
    })
}

/// [`crate::Keyring::open`] with HMACs already keyed with the derived keys.
pub(crate) fn open_with(
    macs: &[HmacSha1],
    cookie: &str,
    now: u64,
    max_age_secs: u64,
) -> Result<OpenedSession, Rejection> {
    let mut buf = [0u8; STACK_JSON];
    let parsed = parse(cookie, &mut buf)?;
    let key_index = parsed.check(macs, now, max_age_secs)?;
    Ok(OpenedSession {
        session: parsed.session,
        key_index,
        timestamp: parsed.timestamp,
    })
}

impl Parsed<'_, '_> {
    /// Which key signed it, compared in constant time (as itsdangerous'
    /// `hmac.compare_digest`), then whether its age is within `max_age_secs` at `now`.
    fn check(&self, macs: &[HmacSha1], now: u64, max_age_secs: u64) -> Result<usize, Rejection> {
        let signed = self.segments.signed.as_bytes();
        let key_index = macs
            .iter()
            .position(|mac| {
                mac.clone()
                    .chain_update(signed)
                    .verify_slice(&self.signature)
                    .is_ok()
            })
            .ok_or(Rejection::BadSignature)?;
        match now.checked_sub(self.timestamp) {
            Some(age_secs) if age_secs > max_age_secs => Err(Rejection::Expired {
                age_secs,
                max_age_secs,
            }),
            Some(_) => Ok(key_index),
            None => Err(Rejection::FromTheFuture {
                ahead_by_secs: self.timestamp - now,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{sign, SignError};
    use serde_json::json;

    const DEMO: &[u8] = b"playground-demo-secret";
    const TS: u64 = 1_637_258_013;

    #[test]
    fn rejections_and_messages() {
        let c = sign(&json!({"visit": 1}), DEMO, TS).unwrap();
        assert!(verify(&c, &[DEMO], TS + DEFAULT_MAX_AGE_SECS, DEFAULT_MAX_AGE_SECS).is_ok());
        let e = verify(
            &c,
            &[DEMO],
            TS + DEFAULT_MAX_AGE_SECS + 3 * 86_400,
            DEFAULT_MAX_AGE_SECS,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "expired 3 days ago (max age 31 days)");
        assert_eq!(e.kind(), "expired");
        let e = verify(&c, &[DEMO], TS - 300, DEFAULT_MAX_AGE_SECS).unwrap_err();
        assert_eq!(e, Rejection::FromTheFuture { ahead_by_secs: 300 });
        let e = verify(&c, &[b"other"], TS, DEFAULT_MAX_AGE_SECS).unwrap_err();
        assert_eq!(
            e.to_string(),
            "signature does not match: the cookie was changed or signed with another secret key"
        );
        let ok = verify(&c, &[b"new", b"older", DEMO], TS, DEFAULT_MAX_AGE_SECS).unwrap();
        assert_eq!(ok.key_index, 2);
        assert_eq!(verify(&c, &[], TS, 1), Err(Rejection::NoSecretKey));
        assert_eq!(verify(&c, &[b""], TS, 1), Err(Rejection::NoSecretKey));
        assert_eq!(sign(&json!({}), b"", TS), Err(SignError::NoSecretKey));
        assert!(matches!(
            sign(&json!([1]), DEMO, TS),
            Err(SignError::NotAnObject { .. })
        ));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["kind"], "bad_signature");
    }

    #[test]
    fn every_changed_signature_byte_is_refused() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine as _;
        let c = sign(&json!({"visit": 1}), DEMO, TS).unwrap();
        let (signed, sig) = c.rsplit_once('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        for i in 0..sig.len() {
            let mut changed = sig.clone();
            changed[i] ^= 0x01;
            let forged = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(&changed));
            assert_eq!(
                verify(&forged, &[DEMO], TS, DEFAULT_MAX_AGE_SECS),
                Err(Rejection::BadSignature),
                "byte {i}"
            );
        }
    }
}
