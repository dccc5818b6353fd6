//! `inbox_token`: an HS256 JWT naming one connection and one tenant.
//!
//! The signature proves we issued it; the store proves the connection still exists, so a
//! disconnect invalidates the token at once even before it expires. The JWT header names
//! the key (`kid`) so the key can rotate (`keyring`).

use super::jwt_hs256;
use super::keyring::KeyRing;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Validation, crypto, decode, decode_header,
};
use serde::{Deserialize, Serialize};

const ISSUER: &str = "cas-inbox";
const TOKEN_USE: &str = "inbox";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Claims {
    iss: String,
    /// The connection id.
    sub: String,
    /// The tenant the connection belongs to.
    tid: String,
    /// What the token is for, so a key reused for another token kind cannot be confused.
    #[serde(rename = "use")]
    token_use: String,
    iat: i64,
    exp: i64,
}

/// Who an inbox token speaks for, once verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxTokenSubject {
    pub connection_id: String,
    pub tenant_id: String,
}

/// Issues tokens with the key ring's current key (its kid in the JWT header) and verifies
/// them with the current or the previous key, chosen by kid: rotating the secret logs no one
/// out. A token without a kid (issued before kids) is tried against both keys; a token whose
/// kid names neither is refused.
#[derive(Clone)]
pub struct InboxTokenSigner {
    /// None in a function that does not use inbox tokens (its secret is not loaded).
    current: Option<(String, EncodingKey)>,
    decoding: Vec<(String, DecodingKey)>,
    ttl_seconds: i64,
}

impl std::fmt::Debug for InboxTokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InboxTokenSigner(***)")
    }
}

pub use super::keyring::MIN_KEY_LEN;

impl InboxTokenSigner {
    /// One key (kid [`LEGACY_KID`](super::keyring::LEGACY_KID)).
    pub fn new(key: &[u8], ttl_seconds: i64) -> Result<Self, String> {
        Ok(Self::from_ring(
            &KeyRing::single(key).map_err(|_| {
                format!("inbox token signing key must be at least {MIN_KEY_LEN} bytes")
            })?,
            ttl_seconds,
        ))
    }

    pub fn from_ring(ring: &KeyRing, ttl_seconds: i64) -> Self {
        Self {
            current: Some((
                ring.current.kid.clone(),
                EncodingKey::from_secret(ring.current.bytes()),
            )),
            decoding: ring
                .keys()
                .map(|k| (k.kid.clone(), DecodingKey::from_secret(k.bytes())))
                .collect(),
            ttl_seconds,
        }
    }

    /// For a function that never issues nor verifies inbox tokens: both fail (and log).
    pub fn not_loaded(ttl_seconds: i64) -> Self {
        Self {
            current: None,
            decoding: Vec::new(),
            ttl_seconds,
        }
    }

    pub fn ttl_seconds(&self) -> i64 {
        self.ttl_seconds
    }

    pub fn issue(&self, subject: &InboxTokenSubject, now: i64) -> Result<String, String> {
        let (kid, encoding) = self
            .current
            .as_ref()
            .ok_or("the inbox token key is not loaded in this function")?;
        let claims = Claims {
            iss: ISSUER.into(),
            sub: subject.connection_id.clone(),
            tid: subject.tenant_id.clone(),
            token_use: TOKEN_USE.into(),
            iat: now,
            exp: now + self.ttl_seconds,
        };
        // The header is written by hand so tokens start `{"alg":"HS256",…` exactly like the
        // seed's examples (`eyJhbGciOiJIUzI1NiIs…`); the signature is jsonwebtoken's. A kid
        // is only ever [A-Za-z0-9._-] (`SigningKey::new`), so it needs no escaping.
        let header =
            URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"HS256","typ":"JWT","kid":"{kid}"}}"#));
        let payload =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).map_err(|e| e.to_string())?);
        let message = format!("{header}.{payload}");
        jwt_hs256::install();
        let signature = crypto::sign(message.as_bytes(), encoding, Algorithm::HS256)
            .map_err(|e| e.to_string())?;
        Ok(format!("{message}.{signature}"))
    }

    /// Checks kid, signature, algorithm, issuer, purpose and expiry (against `now`, no
    /// leeway).
    pub fn verify(&self, token: &str, now: i64) -> Option<InboxTokenSubject> {
        if self.current.is_none() {
            tracing::error!("inbox token verified in a function that did not load its key");
            return None;
        }
        let kid = decode_header(token).ok()?.kid;
        jwt_hs256::install();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        // Expiry is checked below against our clock, so tests and the domain share one time.
        validation.validate_exp = false;
        let claims = self
            .decoding
            .iter()
            .filter(|(k, _)| kid.as_deref().is_none_or(|kid| kid == k))
            .find_map(|(_, key)| decode::<Claims>(token, key, &validation).ok())?
            .claims;
        if claims.token_use != TOKEN_USE || claims.exp <= now {
            return None;
        }
        Some(InboxTokenSubject {
            connection_id: claims.sub,
            tenant_id: claims.tid,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keyring::{LEGACY_KID, SigningKey};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn signer() -> InboxTokenSigner {
        InboxTokenSigner::new(&[7u8; 32], 3600).unwrap()
    }

    fn subject() -> InboxTokenSubject {
        InboxTokenSubject {
            connection_id: "conn-1".into(),
            tenant_id: "tenant-1".into(),
        }
    }

    #[test]
    fn issues_hs256_tokens_that_verify_until_expiry() {
        let token = signer().issue(&subject(), 1_000).unwrap();
        let header = token.split('.').next().unwrap();
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
        assert_eq!(header["alg"], "HS256");
        assert!(token.starts_with("eyJhbGciOiJIUzI1NiIs"));
        assert_eq!(signer().verify(&token, 1_001), Some(subject()));
        assert_eq!(signer().verify(&token, 1_000 + 3600), None);
    }

    #[test]
    fn rejects_tampered_foreign_and_malformed_tokens() {
        let token = signer().issue(&subject(), 1_000).unwrap();
        let other = InboxTokenSigner::new(&[8u8; 32], 3600).unwrap();
        assert_eq!(other.verify(&token, 1_001), None);

        let mut parts: Vec<String> = token.split('.').map(String::from).collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        claims["tid"] = "tenant-2".into();
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        assert_eq!(signer().verify(&parts.join("."), 1_001), None);

        // alg=none with the signature stripped.
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let forged = format!("{none_header}.{}.", parts[1]);
        assert_eq!(signer().verify(&forged, 1_001), None);

        for junk in ["", "abc", "a.b.c", "....", "eyJ.eyJ.sig"] {
            assert_eq!(signer().verify(junk, 1_001), None);
        }
    }

    #[test]
    fn refuses_short_keys() {
        assert!(InboxTokenSigner::new(b"short", 60).is_err());
    }

    fn ring(current: (&str, &[u8]), previous: Option<(&str, &[u8])>) -> KeyRing {
        KeyRing {
            current: SigningKey::new(current.0, current.1).unwrap(),
            previous: previous.map(|(kid, key)| SigningKey::new(kid, key).unwrap()),
        }
    }

    fn header_of(token: &str) -> serde_json::Value {
        let header = token.split('.').next().unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
    }

    #[test]
    fn tokens_name_their_key_and_survive_a_rotation() {
        let old = InboxTokenSigner::from_ring(&ring(("k1", &[1; 32]), None), 3600);
        let token = old.issue(&subject(), 1_000).unwrap();
        assert_eq!(header_of(&token)["kid"], "k1");
        assert!(token.starts_with("eyJhbGciOiJIUzI1NiIs"));

        // Rotation: new key current, old key previous. Old tokens still verify; new ones
        // carry the new kid and verify too.
        let rotated =
            InboxTokenSigner::from_ring(&ring(("k2", &[2; 32]), Some(("k1", &[1; 32]))), 3600);
        assert_eq!(rotated.verify(&token, 1_001), Some(subject()));
        let fresh = rotated.issue(&subject(), 1_000).unwrap();
        assert_eq!(header_of(&fresh)["kid"], "k2");
        assert_eq!(rotated.verify(&fresh, 1_001), Some(subject()));

        // 90 days on, previous dropped: tokens of k1 are refused.
        let dropped = InboxTokenSigner::from_ring(&ring(("k2", &[2; 32]), None), 3600);
        assert_eq!(dropped.verify(&token, 1_001), None);
        assert_eq!(dropped.verify(&fresh, 1_001), Some(subject()));
    }

    #[test]
    fn a_kid_naming_no_key_is_refused_even_if_a_key_would_match() {
        let signer = InboxTokenSigner::from_ring(&ring(("k1", &[1; 32]), None), 3600);
        let token = signer.issue(&subject(), 1_000).unwrap();
        let mut parts: Vec<String> = token.split('.').map(String::from).collect();
        parts[0] = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT","kid":"k9"}"#);
        // Re-sign with the right key under the unknown kid: still refused.
        let message = format!("{}.{}", parts[0], parts[1]);
        let sig = crypto::sign(
            message.as_bytes(),
            &EncodingKey::from_secret(&[1; 32]),
            Algorithm::HS256,
        )
        .unwrap();
        assert_eq!(signer.verify(&format!("{message}.{sig}"), 1_001), None);
        // A kid of the other key with this key's signature: refused.
        let rotated =
            InboxTokenSigner::from_ring(&ring(("k2", &[2; 32]), Some(("k1", &[1; 32]))), 3600);
        parts[0] = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT","kid":"k2"}"#);
        let message = format!("{}.{}", parts[0], parts[1]);
        let sig = crypto::sign(
            message.as_bytes(),
            &EncodingKey::from_secret(&[1; 32]),
            Algorithm::HS256,
        )
        .unwrap();
        assert_eq!(rotated.verify(&format!("{message}.{sig}"), 1_001), None);
    }

    #[test]
    fn tokens_from_before_kids_verify_with_either_key() {
        // What the previous version issued: no kid in the header.
        jwt_hs256::install();
        let key = [1u8; 32];
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let claims = serde_json::json!({
            "iss": "cas-inbox", "sub": "conn-1", "tid": "tenant-1", "use": "inbox",
            "iat": 1_000, "exp": 4_600,
        });
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        let message = format!("{header}.{payload}");
        let sig = crypto::sign(
            message.as_bytes(),
            &EncodingKey::from_secret(&key),
            Algorithm::HS256,
        )
        .unwrap();
        let legacy = format!("{message}.{sig}");
        // Before rotation (the old single-key secret) and after it (the old key previous).
        let before = InboxTokenSigner::from_ring(&KeyRing::single(&key).unwrap(), 3600);
        assert_eq!(before.verify(&legacy, 1_001), Some(subject()));
        let after =
            InboxTokenSigner::from_ring(&ring(("k2", &[2; 32]), Some((LEGACY_KID, &key))), 3600);
        assert_eq!(after.verify(&legacy, 1_001), Some(subject()));
        let unrelated = InboxTokenSigner::from_ring(&ring(("k2", &[2; 32]), None), 3600);
        assert_eq!(unrelated.verify(&legacy, 1_001), None);
    }

    #[test]
    fn a_function_without_the_key_issues_and_verifies_nothing() {
        let token = signer().issue(&subject(), 1_000).unwrap();
        let none = InboxTokenSigner::not_loaded(3600);
        assert_eq!(none.verify(&token, 1_001), None);
        assert!(none.issue(&subject(), 1_000).is_err());
    }
}
