//! Flask's signing keys, derived once: [`Keyring`], and [`derive_key`] and [`signature_for`]
//! for callers that want the bytes.

use std::cell::RefCell;

use hmac::{Hmac, Mac as _};
use sha1::Sha1;

use crate::verify::{open_with, verify_with};
use crate::{sign::sign_with, OpenedSession, Rejection, SignError, VerifiedCookie};

/// Flask's salt for the session signer (`SecureCookieSessionInterface.salt`).
pub const SESSION_SALT: &[u8] = b"cookie-session";

/// HMAC-SHA1, itsdangerous' signer and key derivation.
pub(crate) type HmacSha1 = Hmac<Sha1>;

/// An HMAC-SHA1 keyed with `key`.
fn keyed(key: &[u8]) -> HmacSha1 {
    // HMAC takes a key of any length (a long one is hashed first): this cannot fail.
    HmacSha1::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// The signing key Flask derives from a secret key: `HMAC-SHA1(secret_key, "cookie-session")`
/// (itsdangerous' `key_derivation="hmac"` with Flask's salt).
pub fn derive_key(secret_key: &[u8]) -> [u8; 20] {
    keyed(secret_key)
        .chain_update(SESSION_SALT)
        .finalize()
        .into_bytes()
        .into()
}

/// The signature bytes of `PAYLOAD.TIMESTAMP` (everything before the last dot) under a secret
/// key: `HMAC-SHA1(derive_key(secret_key), signed_part)`.
pub fn signature_for(signed_part: &str, secret_key: &[u8]) -> [u8; 20] {
    with_keyring(&[secret_key], |keyring| keyring.signature_for(signed_part))
        .unwrap_or_else(|| sign_bytes(&keyed(&derive_key(secret_key)), signed_part.as_bytes()))
}

/// `HMAC-SHA1` of `message` under an HMAC keyed once and cloned for each message.
pub(crate) fn sign_bytes(mac: &HmacSha1, message: &[u8]) -> [u8; 20] {
    mac.clone()
        .chain_update(message)
        .finalize()
        .into_bytes()
        .into()
}

/// The secret key and its fallbacks (Flask's `SECRET_KEY` then `SECRET_KEY_FALLBACKS`), each
/// derived with Flask's salt and kept as a keyed HMAC-SHA1, so that signing and verifying
/// hash only the cookie. Build it once where the keys are kept, and use it for every cookie.
///
/// ```
/// use flask_cookie::{Keyring, DEFAULT_MAX_AGE_SECS};
/// use serde_json::json;
///
/// let keys = Keyring::new(&[b"new-secret".as_slice(), b"old-secret"]);
/// let cookie = keys.sign(&json!({"username": "cobra", "visit": 1}), 1_637_258_013).unwrap();
/// let ok = keys.verify(&cookie, 1_637_258_073, DEFAULT_MAX_AGE_SECS).unwrap();
/// assert_eq!((ok.key_index, ok.decoded.value["visit"].as_u64()), (0, Some(1)));
/// // The same cookie as the free function makes.
/// assert_eq!(cookie, flask_cookie::sign(&json!({"username": "cobra", "visit": 1}), b"new-secret", 1_637_258_013).unwrap());
/// ```
#[derive(Clone)]
pub struct Keyring {
    /// `HMAC-SHA1` keyed with `derive_key(secret)`, one per key, in the order given.
    macs: Vec<HmacSha1>,
    /// Whether there is a first key and it is not empty: Flask refuses to sign or to trust a
    /// session otherwise, whatever the fallbacks.
    usable: bool,
}

impl Keyring {
    /// Derive every key: the first signs, all of them verify.
    pub fn new<K: AsRef<[u8]>>(keys: &[K]) -> Keyring {
        Keyring {
            macs: keys
                .iter()
                .map(|key| keyed(&derive_key(key.as_ref())))
                .collect(),
            usable: keys.first().is_some_and(|key| !key.as_ref().is_empty()),
        }
    }

    /// How many keys it holds (the signing key and the fallbacks).
    pub fn len(&self) -> usize {
        self.macs.len()
    }

    /// Whether it holds no key at all.
    pub fn is_empty(&self) -> bool {
        self.macs.is_empty()
    }

    /// [`crate::sign`] with the first key: the cookie value `PAYLOAD.TIMESTAMP.SIGNATURE` for a
    /// session at `timestamp` (Unix seconds).
    pub fn sign(&self, session: &serde_json::Value, timestamp: u64) -> Result<String, SignError> {
        match (self.usable, self.macs.first()) {
            (true, Some(mac)) => sign_with(mac, session, timestamp),
            _ => Err(SignError::NoSecretKey),
        }
    }

    /// [`crate::verify`] against every key, first to last.
    pub fn verify(
        &self,
        cookie: &str,
        now: u64,
        max_age_secs: u64,
    ) -> Result<VerifiedCookie, Rejection> {
        if !self.usable {
            return Err(Rejection::NoSecretKey);
        }
        verify_with(&self.macs, cookie, now, max_age_secs)
    }

    /// What a server needs of a session cookie, as Flask's `open_session` has it: the session
    /// of a cookie [`Keyring::verify`] accepts, which key signed it and when; refused exactly
    /// when `verify` refuses, with the same [`Rejection`].
    ///
    /// Cheaper than `verify` because it builds no [`crate::DecodedCookie`] (segments, resolved
    /// tags, signature bytes) for a caller that would throw it away.
    pub fn open(
        &self,
        cookie: &str,
        now: u64,
        max_age_secs: u64,
    ) -> Result<OpenedSession, Rejection> {
        if !self.usable {
            return Err(Rejection::NoSecretKey);
        }
        open_with(&self.macs, cookie, now, max_age_secs)
    }

    /// The signature of `PAYLOAD.TIMESTAMP` under the first key ([`crate::signature_for`]);
    /// `None` when there is no key.
    pub fn signature_for(&self, signed_part: &str) -> Option<[u8; 20]> {
        Some(sign_bytes(self.macs.first()?, signed_part.as_bytes()))
    }
}

/// Never the keys: a keyring is as secret as the keys it was made from.
impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("keys", &self.macs.len())
            .finish_non_exhaustive()
    }
}

/// Run `f` with the keyring of `keys`, derived once per thread for as long as the same keys come
/// back: for callers that hold their keys as plain bytes and cannot keep a [`Keyring`] beside
/// them (the free functions [`crate::sign`] and [`crate::verify`], and a server whose
/// configuration struct has a fixed shape).
///
/// The last keys used are kept, as copies, in thread-local storage until other keys replace
/// them.
pub fn with_keyring<K: AsRef<[u8]>, R>(keys: &[K], f: impl FnOnce(&Keyring) -> R) -> R {
    thread_local! {
        static LAST: RefCell<Option<(Vec<Vec<u8>>, Keyring)>> = const { RefCell::new(None) };
    }
    let same = |kept: &[Vec<u8>]| {
        kept.len() == keys.len() && kept.iter().zip(keys).all(|(a, b)| a == b.as_ref())
    };
    LAST.with(|cell| {
        // Re-entered from inside `f` (the cell is borrowed): build one, do not keep it.
        let Ok(mut last) = cell.try_borrow_mut() else {
            return f(&Keyring::new(keys));
        };
        match &*last {
            Some((kept, keyring)) if same(kept) => f(keyring),
            _ => {
                let kept = keys.iter().map(|k| k.as_ref().to_vec()).collect();
                let (_, keyring) = last.insert((kept, Keyring::new(keys)));
                f(keyring)
            }
        }
    })
}
