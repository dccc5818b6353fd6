//! Download links that last exactly as long as we say: an HMAC over the file's path and the
//! expiry, checked by the `download` function before it hands out a short-lived S3 URL.
//! (An S3 presigned URL made with a Lambda role's temporary credentials dies with them.)
//! The key is the download-link secret's own (`DOWNLOAD_LINK_SECRET_ID`), not derived from the
//! inbox-token key: the functions that only check links (`parse`, `download`) never hold a key
//! that could mint inbox tokens.

use super::keyring::KeyRing;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

pub const LINK_TTL_SECONDS: i64 = 24 * 3600;

/// Signs with the current link key and accepts the current or the previous one, so the link
/// key rotates like the inbox-token key (`keyring`) without breaking links already handed out.
#[derive(Clone)]
pub struct LinkSigner {
    /// Derived keys, current first; empty in a function that did not load the link key.
    keys: Vec<Vec<u8>>,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(***)")
    }
}

/// The HMAC key for links, from a link secret's key with its own label (so a link signature
/// can never be replayed as anything else, even if the secret were reused by mistake).
fn derive(secret: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(b"cas-inbox download links v1");
    mac.finalize().into_bytes().to_vec()
}

impl LinkSigner {
    /// From the download-link secret (its own secret, never the inbox-token key).
    pub fn new(ring: &KeyRing) -> Self {
        Self {
            keys: ring.keys().map(|k| derive(k.bytes())).collect(),
        }
    }

    /// One key: for tests.
    pub fn from_key(secret: &[u8]) -> Self {
        Self {
            keys: vec![derive(secret)],
        }
    }

    /// For a function that neither makes nor checks links: it signs nothing that verifies,
    /// verifies nothing, and logs when asked to.
    pub fn not_loaded() -> Self {
        Self { keys: Vec::new() }
    }

    fn mac(key: &[u8], file_path: &str, expires: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
        mac.update(file_path.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    pub fn sign(&self, file_path: &str, expires: i64) -> String {
        let Some(current) = self.keys.first() else {
            tracing::error!("download link signed in a function that did not load its key");
            return String::new();
        };
        hex::encode(
            Self::mac(current, file_path, expires)
                .finalize()
                .into_bytes(),
        )
    }

    /// True when `signature` is ours (current or previous key) for this path and expiry and
    /// the expiry is still ahead.
    pub fn verify(&self, file_path: &str, expires: i64, signature: &str, now: i64) -> bool {
        if self.keys.is_empty() {
            tracing::error!("download link checked in a function that did not load its key");
            return false;
        }
        let Ok(bytes) = hex::decode(signature) else {
            return false;
        };
        // verify_slice compares in constant time.
        expires > now
            && self.keys.iter().any(|key| {
                Self::mac(key, file_path, expires)
                    .verify_slice(&bytes)
                    .is_ok()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_links_verify_until_they_expire() {
        let s = LinkSigner::from_key(b"secret");
        let sig = s.sign("c1/cams_20250115_a1b2c3d4.pdf", 1_000);
        assert!(s.verify("c1/cams_20250115_a1b2c3d4.pdf", 1_000, &sig, 999));
        assert!(!s.verify("c1/cams_20250115_a1b2c3d4.pdf", 1_000, &sig, 1_000));
    }

    #[test]
    fn altered_or_foreign_links_fail() {
        let s = LinkSigner::from_key(b"secret");
        let sig = s.sign("c1/a.pdf", 1_000);
        assert!(!s.verify("c1/b.pdf", 1_000, &sig, 0));
        assert!(!s.verify("c1/a.pdf", 2_000, &sig, 0));
        assert!(!s.verify("c1/a.pdf", 1_000, "zz", 0));
        assert!(!s.verify("c1/a.pdf", 1_000, "", 0));
        assert!(!LinkSigner::from_key(b"other").verify("c1/a.pdf", 1_000, &sig, 0));
    }

    #[test]
    fn links_survive_a_rotation_of_their_key() {
        use crate::domain::keyring::SigningKey;
        let old = SigningKey::new("l1", &[1; 32]).unwrap();
        let new = SigningKey::new("l2", &[2; 32]).unwrap();
        let before = LinkSigner::new(&KeyRing {
            current: old.clone(),
            previous: None,
        });
        let sig = before.sign("c1/a.pdf", 1_000);
        let after = LinkSigner::new(&KeyRing {
            current: new.clone(),
            previous: Some(old),
        });
        assert!(after.verify("c1/a.pdf", 1_000, &sig, 0));
        assert_ne!(after.sign("c1/a.pdf", 1_000), sig);
        let dropped = LinkSigner::new(&KeyRing {
            current: new,
            previous: None,
        });
        assert!(!dropped.verify("c1/a.pdf", 1_000, &sig, 0));
        assert!(!LinkSigner::not_loaded().verify("c1/a.pdf", 1_000, &sig, 0));
    }
}
