//! Download links that last exactly as long as we say: an HMAC over the file's path and the
//! expiry, checked by the `download` function before it hands out a short-lived S3 URL.
//! (An S3 presigned URL made with a Lambda role's temporary credentials dies with them.)

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

pub const LINK_TTL_SECONDS: i64 = 24 * 3600;

#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(***)")
    }
}

impl LinkSigner {
    /// The link key is derived from the service's signing secret with its own label, so a
    /// link signature can never be replayed as anything else.
    pub fn derive(secret: &[u8]) -> Self {
        let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
        mac.update(b"cas-inbox download links v1");
        Self {
            key: mac.finalize().into_bytes().to_vec(),
        }
    }

    fn mac(&self, file_path: &str, expires: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(file_path.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    pub fn sign(&self, file_path: &str, expires: i64) -> String {
        hex::encode(self.mac(file_path, expires).finalize().into_bytes())
    }

    /// True when `signature` is ours for this path and expiry and the expiry is still ahead.
    pub fn verify(&self, file_path: &str, expires: i64, signature: &str, now: i64) -> bool {
        let Ok(bytes) = hex::decode(signature) else {
            return false;
        };
        // verify_slice compares in constant time.
        expires > now && self.mac(file_path, expires).verify_slice(&bytes).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_links_verify_until_they_expire() {
        let s = LinkSigner::derive(b"secret");
        let sig = s.sign("c1/cams_20250115_a1b2c3d4.pdf", 1_000);
        assert!(s.verify("c1/cams_20250115_a1b2c3d4.pdf", 1_000, &sig, 999));
        assert!(!s.verify("c1/cams_20250115_a1b2c3d4.pdf", 1_000, &sig, 1_000));
    }

    #[test]
    fn altered_or_foreign_links_fail() {
        let s = LinkSigner::derive(b"secret");
        let sig = s.sign("c1/a.pdf", 1_000);
        assert!(!s.verify("c1/b.pdf", 1_000, &sig, 0));
        assert!(!s.verify("c1/a.pdf", 2_000, &sig, 0));
        assert!(!s.verify("c1/a.pdf", 1_000, "zz", 0));
        assert!(!s.verify("c1/a.pdf", 1_000, "", 0));
        assert!(!LinkSigner::derive(b"other").verify("c1/a.pdf", 1_000, &sig, 0));
    }
}
