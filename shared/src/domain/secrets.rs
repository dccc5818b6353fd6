//! Secret values: API keys, random identifiers, and how they are hashed and compared.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;

/// `n` bytes from the OS-seeded CSPRNG, base64url without padding.
pub fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// An API key as a caller presents it. Only its hash is ever stored; `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

const API_KEY_PREFIX: &str = "cask_";
const MAX_API_KEY_LEN: usize = 256;

impl ApiKey {
    /// A new key: 32 random bytes, so a plain (unsalted) SHA-256 is a safe way to store it.
    pub fn generate() -> Self {
        Self(format!("{API_KEY_PREFIX}{}", random_token(32)))
    }

    /// A key as given in a header or on the admin command line.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("API key is empty".into());
        }
        if raw.len() > MAX_API_KEY_LEN || !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("API key is malformed".into());
        }
        Ok(Self(raw.to_string()))
    }

    pub fn hash(&self) -> String {
        sha256_hex(self.0.as_bytes())
    }

    /// The key itself: for printing it once, when it is created.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_unique_prefixed_and_hash_stably() {
        let a = ApiKey::generate();
        let b = ApiKey::generate();
        assert_ne!(a, b);
        assert!(a.expose().starts_with("cask_") && a.expose().len() > 40);
        assert_eq!(a.hash(), ApiKey::parse(a.expose()).unwrap().hash());
        assert_eq!(a.hash().len(), 64);
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn rejects_empty_and_malformed_keys() {
        assert!(ApiKey::parse("").is_err());
        assert!(ApiKey::parse("has space").is_err());
        assert!(ApiKey::parse(&"k".repeat(300)).is_err());
        assert_eq!(
            ApiKey::parse(" local-dev-key ").unwrap().expose(),
            "local-dev-key"
        );
    }
}
