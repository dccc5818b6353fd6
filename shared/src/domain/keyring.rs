//! Symmetric keys that can rotate: the current key signs, the current and the previous key
//! verify. A secret holds either the JSON
//! `{"current": {"kid": "…", "key": "…"}, "previous": {"kid": "…", "key": "…"}}`
//! (`previous` optional) or, as before rotation existed, the key alone as a plain string,
//! which reads as one key with kid [`LEGACY_KID`].

use serde::Deserialize;

/// The kid of a secret in the single-string format (the first key, from before kids).
pub const LEGACY_KID: &str = "initial";
/// Keys shorter than this are refused: HMAC-SHA256 wants at least 256 bits.
pub const MIN_KEY_LEN: usize = 32;
const MAX_KID_LEN: usize = 64;

#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub kid: String,
    key: Vec<u8>,
}

impl SigningKey {
    pub fn new(kid: &str, key: &[u8]) -> Result<Self, String> {
        if kid.is_empty()
            || kid.len() > MAX_KID_LEN
            || !kid
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(format!(
                "a kid is 1 to {MAX_KID_LEN} characters of A-Z a-z 0-9 - _ ."
            ));
        }
        if key.len() < MIN_KEY_LEN {
            return Err(format!(
                "key {kid} is shorter than {MIN_KEY_LEN} bytes (HMAC-SHA256 wants 256 bits)"
            ));
        }
        Ok(Self {
            kid: kid.to_string(),
            key: key.to_vec(),
        })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.key
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({}, ***)", self.kid)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRing {
    pub current: SigningKey,
    pub previous: Option<SigningKey>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyJson {
    kid: String,
    key: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RingJson {
    current: KeyJson,
    #[serde(default)]
    previous: Option<KeyJson>,
}

impl KeyRing {
    /// One key, kid [`LEGACY_KID`].
    pub fn single(key: &[u8]) -> Result<Self, String> {
        Ok(Self {
            current: SigningKey::new(LEGACY_KID, key)?,
            previous: None,
        })
    }

    /// A secret's value in either format (see the module's doc). Errors never quote a key.
    pub fn parse(secret: &str) -> Result<Self, String> {
        let trimmed = secret.trim();
        if !trimmed.starts_with('{') {
            return Self::single(trimmed.as_bytes());
        }
        let ring: RingJson = serde_json::from_str(trimmed).map_err(|_| {
            "key secret must be a plain key or JSON {\"current\": {\"kid\", \"key\"}, \
             \"previous\"?: {\"kid\", \"key\"}}"
                .to_string()
        })?;
        let current = SigningKey::new(&ring.current.kid, ring.current.key.as_bytes())?;
        let previous = ring
            .previous
            .map(|p| SigningKey::new(&p.kid, p.key.as_bytes()))
            .transpose()?;
        if previous.as_ref().is_some_and(|p| p.kid == current.kid) {
            return Err("the current and previous keys need different kids".into());
        }
        Ok(Self { current, previous })
    }

    /// The keys that verify: current first.
    pub fn keys(&self) -> impl Iterator<Item = &SigningKey> {
        std::iter::once(&self.current).chain(self.previous.as_ref())
    }

    pub fn find(&self, kid: &str) -> Option<&SigningKey> {
        self.keys().find(|k| k.kid == kid)
    }

    /// Step 1 of a rotation: `new` becomes current and the current key previous (the old
    /// previous is dropped: only two keys verify at a time).
    pub fn rotated(&self, new: SigningKey) -> Result<Self, String> {
        if new.kid == self.current.kid {
            return Err(format!(
                "the new key needs a kid other than {}",
                self.current.kid
            ));
        }
        Ok(Self {
            current: new,
            previous: Some(self.current.clone()),
        })
    }

    /// Step 2, once nothing signed with the previous key is still valid: only the current key.
    pub fn without_previous(&self) -> Self {
        Self {
            current: self.current.clone(),
            previous: None,
        }
    }

    /// The secret's value in the JSON format. Keys are stored as the text they were read
    /// from (keys this service makes are base64url text).
    pub fn to_secret_string(&self) -> Result<String, String> {
        let key = |k: &SigningKey| -> Result<serde_json::Value, String> {
            let text =
                std::str::from_utf8(k.bytes()).map_err(|_| format!("key {} is not text", k.kid))?;
            Ok(serde_json::json!({"kid": k.kid, "key": text}))
        };
        let mut ring = serde_json::json!({"current": key(&self.current)?});
        if let Some(previous) = &self.previous {
            ring["previous"] = key(previous)?;
        }
        Ok(ring.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "0123456789abcdef0123456789abcdef-old";
    const NEW: &str = "0123456789abcdef0123456789abcdef-new";

    #[test]
    fn reads_the_old_single_key_format() {
        let ring = KeyRing::parse(&format!("{OLD}\n")).unwrap();
        assert_eq!(ring.current.kid, LEGACY_KID);
        assert_eq!(ring.current.bytes(), OLD.as_bytes());
        assert_eq!(ring.previous, None);
    }

    #[test]
    fn reads_current_and_previous() {
        let secret = serde_json::json!({
            "current": {"kid": "2025-07", "key": NEW},
            "previous": {"kid": LEGACY_KID, "key": OLD},
        });
        let ring = KeyRing::parse(&secret.to_string()).unwrap();
        assert_eq!(ring.current.kid, "2025-07");
        assert_eq!(ring.find(LEGACY_KID).unwrap().bytes(), OLD.as_bytes());
        assert_eq!(ring.keys().count(), 2);
        let only_current = serde_json::json!({"current": {"kid": "k2", "key": NEW}});
        assert_eq!(
            KeyRing::parse(&only_current.to_string())
                .unwrap()
                .keys()
                .count(),
            1
        );
    }

    #[test]
    fn a_rotation_moves_current_to_previous_and_later_drops_it() {
        let ring = KeyRing::parse(OLD).unwrap();
        let rotated = ring
            .rotated(SigningKey::new("k2", NEW.as_bytes()).unwrap())
            .unwrap();
        let stored = KeyRing::parse(&rotated.to_secret_string().unwrap()).unwrap();
        assert_eq!(stored, rotated);
        assert_eq!(stored.current.kid, "k2");
        assert_eq!(stored.previous.as_ref().unwrap().kid, LEGACY_KID);
        assert_eq!(stored.previous.as_ref().unwrap().bytes(), OLD.as_bytes());
        let dropped = KeyRing::parse(&stored.without_previous().to_secret_string().unwrap());
        assert_eq!(dropped.unwrap().keys().count(), 1);
        assert!(
            stored
                .rotated(SigningKey::new("k2", OLD.as_bytes()).unwrap())
                .is_err()
        );
    }

    #[test]
    fn refuses_short_keys_bad_kids_and_duplicates_without_quoting_keys() {
        for bad in [
            serde_json::json!({"current": {"kid": "k", "key": "short"}}),
            serde_json::json!({"current": {"kid": "bad kid", "key": NEW}}),
            serde_json::json!({"current": {"kid": "k", "key": NEW}, "previous": {"kid": "k", "key": OLD}}),
            serde_json::json!({"current": {"kid": "k"}}),
            serde_json::json!({"keys": []}),
        ] {
            let err = KeyRing::parse(&bad.to_string()).unwrap_err();
            assert!(!err.contains(NEW) && !err.contains(OLD), "{err}");
        }
        assert!(KeyRing::parse("short").is_err());
        assert!(!format!("{:?}", KeyRing::parse(OLD).unwrap()).contains(OLD));
    }
}
