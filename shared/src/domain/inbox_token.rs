//! `inbox_token`: an HS256 JWT naming one connection and one tenant.
//!
//! The signature proves we issued it; the store proves the connection still exists, so a
//! disconnect invalidates the token at once even before it expires.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation, crypto, decode};
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

#[derive(Clone)]
pub struct InboxTokenSigner {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl_seconds: i64,
}

impl std::fmt::Debug for InboxTokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InboxTokenSigner(***)")
    }
}

/// Keys shorter than this are refused: HS256 wants at least 256 bits.
pub const MIN_KEY_LEN: usize = 32;

impl InboxTokenSigner {
    pub fn new(key: &[u8], ttl_seconds: i64) -> Result<Self, String> {
        if key.len() < MIN_KEY_LEN {
            return Err(format!(
                "inbox token signing key must be at least {MIN_KEY_LEN} bytes"
            ));
        }
        Ok(Self {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            ttl_seconds,
        })
    }

    pub fn ttl_seconds(&self) -> i64 {
        self.ttl_seconds
    }

    pub fn issue(&self, subject: &InboxTokenSubject, now: i64) -> Result<String, String> {
        let claims = Claims {
            iss: ISSUER.into(),
            sub: subject.connection_id.clone(),
            tid: subject.tenant_id.clone(),
            token_use: TOKEN_USE.into(),
            iat: now,
            exp: now + self.ttl_seconds,
        };
        // The header is written by hand so tokens start `{"alg":"HS256",…` exactly like the
        // seed's examples (`eyJhbGciOiJIUzI1NiIs…`); the signature is jsonwebtoken's.
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).map_err(|e| e.to_string())?);
        let message = format!("{header}.{payload}");
        let signature = crypto::sign(message.as_bytes(), &self.encoding, Algorithm::HS256)
            .map_err(|e| e.to_string())?;
        Ok(format!("{message}.{signature}"))
    }

    /// Checks signature, algorithm, issuer, purpose and expiry (against `now`, no leeway).
    pub fn verify(&self, token: &str, now: i64) -> Option<InboxTokenSubject> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        // Expiry is checked below against our clock, so tests and the domain share one time.
        validation.validate_exp = false;
        let data = decode::<Claims>(token, &self.decoding, &validation).ok()?;
        let claims = data.claims;
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
}
