//! A cookie value taken apart: its three segments, the signature bytes, the timestamp and the
//! session JSON, every check but the key's. [`crate::decode`], [`crate::decode_session`],
//! [`crate::verify`] and [`crate::Keyring::open`] all start here, so that they accept and refuse
//! the very same cookies, with the same reasons.

use std::borrow::Cow;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::error::{excerpt, json_kind};
use crate::{tagged, MalformedCookie, Part, Tagged};

/// Longest cookie value [`crate::decode`] and [`crate::verify`] look at (browsers keep about
/// 4096 bytes).
pub const MAX_COOKIE_LEN: usize = 64 * 1024;
/// Largest JSON text a compressed payload may inflate to.
pub const MAX_JSON_LEN: usize = 1024 * 1024;

/// Payloads whose JSON fits in this many bytes (a usual session takes a few dozen) are decoded
/// into a buffer on the stack; longer and compressed ones, onto the heap.
pub(crate) const STACK_JSON: usize = 256;

/// A cookie value cut at its last two dots (a compressed payload itself starts with a dot).
pub(crate) struct Segments<'a> {
    /// `PAYLOAD.TIMESTAMP`: what the signature signs, as it is in the cookie.
    pub(crate) signed: &'a str,
    pub(crate) payload: &'a str,
    pub(crate) timestamp: &'a str,
    pub(crate) signature: &'a str,
}

pub(crate) fn split(cookie: &str) -> Result<Segments<'_>, MalformedCookie> {
    if cookie.is_empty() {
        return Err(MalformedCookie::Empty);
    }
    if cookie.len() > MAX_COOKIE_LEN {
        return Err(MalformedCookie::Oversized {
            len: cookie.len(),
            max: MAX_COOKIE_LEN,
        });
    }
    let missing_dots = || MalformedCookie::MissingDots {
        dots: cookie.bytes().filter(|b| *b == b'.').count(),
    };
    let (signed, signature) = cookie.rsplit_once('.').ok_or_else(missing_dots)?;
    let (payload, timestamp) = signed.rsplit_once('.').ok_or_else(missing_dots)?;
    Ok(Segments {
        signed,
        payload,
        timestamp,
        signature,
    })
}

/// A well-formed cookie, every check but the key's done.
pub(crate) struct Parsed<'a, 'b> {
    pub(crate) segments: Segments<'a>,
    pub(crate) signature: [u8; 20],
    pub(crate) timestamp: u64,
    pub(crate) compressed: bool,
    /// The JSON text: in the caller's buffer when it fits there, else on the heap.
    pub(crate) json: Cow<'b, str>,
    pub(crate) session: serde_json::Map<String, serde_json::Value>,
    /// The resolved tags, when checking them needed resolving them (the JSON has a one-key
    /// object under one of Flask's tag keys); otherwise resolving cannot fail and is left to
    /// whoever wants it.
    pub(crate) tagged: Option<Tagged>,
}

/// Take `cookie` apart and read its session; the JSON goes into `buf` when it fits.
pub(crate) fn parse<'a, 'b>(
    cookie: &'a str,
    buf: &'b mut [u8; STACK_JSON],
) -> Result<Parsed<'a, 'b>, MalformedCookie> {
    let segments = split(cookie)?;
    if segments.signature.is_empty() {
        return Err(MalformedCookie::EmptyPart {
            part: Part::Signature,
        });
    }
    let mut signature = [0u8; 20];
    match decode_b64_into(Part::Signature, segments.signature, &mut signature)? {
        Some(20) => {}
        // Not 20 bytes: say how many.
        _ => {
            return Err(MalformedCookie::SignatureLength {
                segment: excerpt(segments.signature),
                bytes: decode_b64(Part::Signature, segments.signature)?.len(),
            })
        }
    }

    let timestamp = decode_timestamp(segments.timestamp)?;

    let (compressed, data) = match segments.payload.strip_prefix('.') {
        Some(rest) => (true, rest),
        None => (false, segments.payload),
    };
    if data.is_empty() {
        return Err(MalformedCookie::EmptyPart {
            part: Part::Payload,
        });
    }
    let json = if compressed {
        let bytes = inflate(&decode_b64(Part::Payload, data)?)?;
        Cow::Owned(String::from_utf8(bytes).map_err(|e| not_utf8(e.utf8_error()))?)
    } else {
        match decode_b64_into(Part::Payload, data, buf)? {
            Some(len) => Cow::Borrowed(std::str::from_utf8(&buf[..len]).map_err(not_utf8)?),
            None => {
                let bytes = decode_b64(Part::Payload, data)?;
                Cow::Owned(String::from_utf8(bytes).map_err(|e| not_utf8(e.utf8_error()))?)
            }
        }
    };
    let session = match serde_json::from_str(&json) {
        Ok(serde_json::Value::Object(session)) => session,
        Ok(other) => {
            return Err(MalformedCookie::NotAnObject {
                found: json_kind(&other).to_owned(),
            })
        }
        Err(e) => {
            return Err(MalformedCookie::NotJson {
                json: excerpt(&json),
                reason: e.to_string(),
            })
        }
    };
    let tagged = if tagged::has_tags(&session) {
        Some(Tagged::from_object(&session)?)
    } else {
        None
    };
    Ok(Parsed {
        segments,
        signature,
        timestamp,
        compressed,
        json,
        session,
        tagged,
    })
}

/// Unix seconds from a `TIMESTAMP` segment (empty means 0, as itsdangerous reads it).
pub fn decode_timestamp(segment: &str) -> Result<u64, MalformedCookie> {
    let mut be = [0u8; 8];
    let Some(len) = decode_b64_into(Part::Timestamp, segment, &mut be)? else {
        return Err(MalformedCookie::TimestampTooLarge {
            segment: excerpt(segment),
            bytes: decode_b64(Part::Timestamp, segment)?.len(),
        });
    };
    Ok(be[..len]
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// Decode `segment` into the front of `out`: how many bytes it holds, or `None` when they do
/// not fit there (the segment may still be good base64url).
fn decode_b64_into(
    part: Part,
    segment: &str,
    out: &mut [u8],
) -> Result<Option<usize>, MalformedCookie> {
    match URL_SAFE_NO_PAD.decode_slice(segment, out) {
        Ok(len) => Ok(Some(len)),
        Err(base64::DecodeSliceError::OutputSliceTooSmall) => Ok(None),
        Err(base64::DecodeSliceError::DecodeError(e)) => Err(bad_base64(part, segment, e)),
    }
}

/// Decode `segment` onto the heap.
fn decode_b64(part: Part, segment: &str) -> Result<Vec<u8>, MalformedCookie> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|e| bad_base64(part, segment, e))
}

/// The base64 crate's refusal, said for a learner: which character, and what it probably is.
fn bad_base64(part: Part, segment: &str, e: base64::DecodeError) -> MalformedCookie {
    let reason = match segment
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        Some((pos, c)) => {
            let hint = match c {
                '=' => " (cookies leave the '=' padding out)",
                '+' | '/' => " (that is standard base64; cookies use '-' and '_' instead)",
                _ => "",
            };
            format!(
                "{c:?} at position {} is not one of A-Z a-z 0-9 - _{hint}",
                pos + 1
            )
        }
        None => match e {
            base64::DecodeError::InvalidLength(len) => format!(
                "{len} characters cannot be base64 (a length of 4n+1 never is): a character is missing or was added"
            ),
            base64::DecodeError::InvalidLastSymbol(pos, _) => format!(
                "the last character (position {}) has bits set that base64 leaves zero: was it changed?",
                pos + 1
            ),
            other => other.to_string(),
        },
    };
    MalformedCookie::BadBase64 {
        part,
        segment: excerpt(segment),
        reason,
    }
}

/// A compressed payload's JSON bytes, at most [`MAX_JSON_LEN`] of them.
fn inflate(zlib: &[u8]) -> Result<Vec<u8>, MalformedCookie> {
    use miniz_oxide::inflate::TINFLStatus as S;
    miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(zlib, MAX_JSON_LEN).map_err(|e| {
        let reason = match e.status {
            S::HasMoreOutput => return MalformedCookie::DecompressedTooLarge { max: MAX_JSON_LEN },
            S::FailedCannotMakeProgress => "the compressed data ends too early".to_owned(),
            S::BadParam => "bad parameters".to_owned(),
            S::Adler32Mismatch => "the checksum (Adler-32) does not match the data".to_owned(),
            S::Failed => "the data is not a valid zlib stream".to_owned(),
            other => format!("{other:?}"),
        };
        MalformedCookie::BadZlib { reason }
    })
}

fn not_utf8(e: std::str::Utf8Error) -> MalformedCookie {
    MalformedCookie::NotUtf8 {
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        let ts = 1_637_258_013;
        assert_eq!(decode_timestamp("YZaTHQ"), Ok(ts));
        assert_eq!(decode_timestamp(""), Ok(0));
        assert_eq!(decode_timestamp("_w"), Ok(255));
        assert_eq!(decode_timestamp("AQA"), Ok(256));
        assert_eq!(decode_timestamp("__________8"), Ok(u64::MAX));
        // Leading zero bytes are not written, but read fine.
        assert_eq!(decode_timestamp("AGGWkx0"), Ok(ts));
        assert!(matches!(
            decode_timestamp("AAAAAAAAAAAA"),
            Err(MalformedCookie::TimestampTooLarge { bytes: 9, .. })
        ));
        let err = decode_timestamp("YZa!").unwrap_err().to_string();
        assert!(
            err.starts_with("the timestamp part 'YZa!' is not base64url: "),
            "{err}"
        );
        // "YZaTHR" has unused bits set in its last character.
        let err = decode_timestamp("YZaTHR").unwrap_err().to_string();
        assert!(
            err.contains("has bits set that base64 leaves zero"),
            "{err}"
        );
        let err = decode_timestamp("YZaTH").unwrap_err().to_string();
        assert!(err.contains("5 characters cannot be base64"), "{err}");
    }

    #[test]
    fn base64_refusals_name_the_character() {
        let cases = [
            ("e30=", "'=' at position 4 is not one of A-Z a-z 0-9 - _ (cookies leave the '=' padding out)"),
            ("e3+0", "'+' at position 3 is not one of A-Z a-z 0-9 - _ (that is standard base64; cookies use '-' and '_' instead)"),
            ("é30", "'é' at position 1 is not one of A-Z a-z 0-9 - _"),
        ];
        for (segment, want) in cases {
            match decode_b64(Part::Payload, segment) {
                Err(MalformedCookie::BadBase64 { reason, .. }) => assert_eq!(reason, want),
                other => panic!("{segment}: {other:?}"),
            }
        }
    }

    #[test]
    fn signatures_of_the_wrong_length_say_how_long() {
        let long = "A".repeat(30);
        for (segment, bytes) in [("AAAA", 3), (long.as_str(), 22)] {
            let cookie = format!("e30.YZaTHQ.{segment}");
            let mut buf = [0u8; STACK_JSON];
            assert!(matches!(
                parse(&cookie, &mut buf).err(),
                Some(MalformedCookie::SignatureLength { bytes: b, .. }) if b == bytes
            ));
        }
    }

    #[test]
    fn zip_bomb_is_refused() {
        let big = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_JSON_LEN + 10));
        let z = crate::deflate::zlib_compress(big.as_bytes());
        let cookie = format!(
            ".{}.YZaTHQ.-wlmE2_6fkTd4BI464T2kXjX8eE",
            URL_SAFE_NO_PAD.encode(z)
        );
        assert!(cookie.len() < MAX_COOKIE_LEN);
        let mut buf = [0u8; STACK_JSON];
        assert_eq!(
            parse(&cookie, &mut buf).err(),
            Some(MalformedCookie::DecompressedTooLarge { max: MAX_JSON_LEN })
        );
    }
}
