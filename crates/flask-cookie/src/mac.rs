//! HMAC-SHA1 (RFC 2104), written over SHA-1's compression function so that a key's two pads are
//! hashed once.
//!
//! `HMAC(K, m) = SHA1((K ^ opad) || SHA1((K ^ ipad) || m))`, where `K ^ ipad` and `K ^ opad` are
//! one 64-byte block each. A [`Key`] keeps the SHA-1 state after each of those blocks; a message
//! then costs its own blocks and the padding (one block for a `PAYLOAD.TIMESTAMP` of up to 55
//! bytes), plus one block for the outer hash, with nothing else copied or buffered.

use sha1::digest::generic_array::GenericArray;

/// SHA-1's block size, in bytes.
const BLOCK: usize = 64;

/// SHA-1's initial state (FIPS 180-4, 5.3.1).
const INIT: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

/// An HMAC-SHA1 key, its inner and outer pads already hashed.
#[derive(Clone)]
pub(crate) struct Key {
    inner: [u32; 5],
    outer: [u32; 5],
}

impl Key {
    pub(crate) fn new(key: &[u8]) -> Key {
        // Keys longer than a block are hashed first; shorter ones are padded with zeros.
        let mut block = [0u8; BLOCK];
        let hashed;
        let key = if key.len() > BLOCK {
            hashed = finish(INIT, 0, key);
            hashed.as_slice()
        } else {
            key
        };
        for (b, k) in block.iter_mut().zip(key) {
            *b = *k;
        }
        let pad = |byte: u8| {
            let mut padded = block;
            for b in &mut padded {
                *b ^= byte;
            }
            let mut state = INIT;
            compress(&mut state, &padded);
            state
        };
        Key {
            inner: pad(0x36),
            outer: pad(0x5c),
        }
    }

    /// `HMAC-SHA1(key, message)`.
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 20] {
        let inner = finish(self.inner, BLOCK, message);
        finish(self.outer, BLOCK, &inner)
    }

    /// Whether `signature` is the HMAC of `message`, looking at every byte whatever the others
    /// are, as itsdangerous' `hmac.compare_digest` does.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8; 20]) -> bool {
        let diff = self
            .sign(message)
            .iter()
            .zip(signature)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        // Keeps the compiler from turning the fold into a comparison that stops early.
        std::hint::black_box(diff) == 0
    }
}

/// The SHA-1 digest of a message whose first `hashed` bytes (whole blocks) made `state`.
fn finish(mut state: [u32; 5], hashed: usize, message: &[u8]) -> [u8; 20] {
    let blocks = message.chunks_exact(BLOCK);
    let rest = blocks.remainder();
    for block in blocks {
        compress(&mut state, block);
    }
    // The rest, 0x80, zeros, and the length in bits as 8 big-endian bytes: one block when that
    // fits (up to 55 bytes of rest), else two.
    let mut last = [0u8; BLOCK];
    if let Some(head) = last.get_mut(..rest.len()) {
        head.copy_from_slice(rest);
    }
    if let Some(b) = last.get_mut(rest.len()) {
        *b = 0x80;
    }
    if rest.len() >= BLOCK - 8 {
        compress(&mut state, &last);
        last = [0u8; BLOCK];
    }
    let bits = ((hashed + message.len()) as u64).wrapping_mul(8);
    if let Some(len) = last.get_mut(BLOCK - 8..) {
        len.copy_from_slice(&bits.to_be_bytes());
    }
    compress(&mut state, &last);
    let mut digest = [0u8; 20];
    for (bytes, word) in digest.chunks_exact_mut(4).zip(state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

/// One SHA-1 block (`block` is always 64 bytes long here), with SHA-NI where the CPU has it.
fn compress(state: &mut [u32; 5], block: &[u8]) {
    sha1::compress(state, std::slice::from_ref(GenericArray::from_slice(block)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::Mac as _;
    use proptest::prelude::*;

    fn reference(key: &[u8], message: &[u8]) -> [u8; 20] {
        let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    #[test]
    fn rfc_2202_vectors() {
        let hex = |s: &str| -> Vec<u8> {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        };
        let cases: [(Vec<u8>, Vec<u8>, &str); 4] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b617318655057264e28bc0b6fb378c8ef146be00",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            ),
            (
                vec![0xaa; 80],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "aa4ae5e15272d00e95705637ce8a3b55ed402112",
            ),
            (
                vec![0xaa; 80],
                b"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"
                    .to_vec(),
                "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
            ),
        ];
        for (key, message, want) in cases {
            let mac = Key::new(&key);
            assert_eq!(mac.sign(&message).to_vec(), hex(want));
            let mut sig = mac.sign(&message);
            assert!(mac.verify(&message, &sig));
            sig[19] ^= 1;
            assert!(!mac.verify(&message, &sig));
        }
    }

    #[test]
    fn every_length_around_the_block_edges() {
        for key_len in [0, 1, 20, 63, 64, 65, 200] {
            let key: Vec<u8> = (0..key_len).map(|i| i as u8).collect();
            let mac = Key::new(&key);
            for len in 0..200 {
                let message: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
                assert_eq!(
                    mac.sign(&message),
                    reference(&key, &message),
                    "{key_len} {len}"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn agrees_with_the_hmac_crate(
            key in prop::collection::vec(any::<u8>(), 0..150),
            message in prop::collection::vec(any::<u8>(), 0..300),
        ) {
            prop_assert_eq!(Key::new(&key).sign(&message), reference(&key, &message));
        }
    }
}
