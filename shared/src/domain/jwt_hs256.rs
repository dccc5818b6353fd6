//! jsonwebtoken's cryptography for inbox tokens: HS256 only, on the `hmac` and `sha2` crates
//! the service uses anyway.
//!
//! jsonwebtoken picks the algorithm at run time from the token's header, so either of its
//! built-in providers (aws-lc-rs, RustCrypto) links RSA, ECDSA and EdDSA key parsing and
//! signing into every function that handles inbox tokens. Through jsonwebtoken's
//! `CryptoProvider` hook this one knows HS256 alone: any other `alg` is refused before a key
//! is used (README "Builds").

use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwkUtils, JwtSigner, JwtVerifier};
use jsonwebtoken::errors::{ErrorKind, Result};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use sha2::Sha256;

/// A keyed HMAC-SHA-256, cloned per message.
struct Hs256(Hmac<Sha256>);

impl Hs256 {
    fn new(algorithm: &Algorithm, secret: Result<&[u8]>) -> Result<Self> {
        if *algorithm != Algorithm::HS256 {
            return Err(ErrorKind::InvalidAlgorithm.into());
        }
        Hmac::new_from_slice(secret?)
            .map(Self)
            .map_err(|_| ErrorKind::InvalidKeyFormat.into())
    }

    fn mac(&self, message: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
        mac.update(message);
        mac
    }
}

impl signature::Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        Ok(self.mac(message).finalize().into_bytes().to_vec())
    }
}

impl signature::Verifier<Vec<u8>> for Hs256 {
    fn verify(&self, message: &[u8], tag: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        // verify_slice compares in constant time.
        self.mac(message)
            .verify_slice(tag)
            .map_err(|_| signature::Error::new())
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

fn signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    Ok(Box::new(Hs256::new(algorithm, key.try_get_hmac_secret())?))
}

fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    Ok(Box::new(Hs256::new(algorithm, key.try_get_hmac_secret())?))
}

static HS256_ONLY: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    // Inbox tokens never touch JWKs.
    jwk_utils: JwkUtils::new_unimplemented(),
};

/// Makes HS256-only the process's jsonwebtoken provider. Called before every jsonwebtoken
/// call that signs or verifies: jsonwebtoken fixes its provider at first use, and with no
/// built-in provider compiled in, one fixed before this would panic on every token.
pub fn install() {
    // Err only means a provider is set already; this is the only one the build has.
    let _ = HS256_ONLY.install_default();
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::crypto::{sign, verify};

    #[test]
    fn signs_and_verifies_hs256_as_rfc_7515_computes_it() {
        install();
        // RFC 7515 appendix A.1: the JWS signing input, its key and its HS256 signature.
        let input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        let secret = URL_SAFE_NO_PAD
            .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
            .unwrap();
        let key = EncodingKey::from_secret(&secret);
        let signature = sign(input.as_bytes(), &key, Algorithm::HS256).unwrap();
        assert_eq!(signature, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        let decoding = DecodingKey::from_secret(&secret);
        assert!(verify(&signature, input.as_bytes(), &decoding, Algorithm::HS256).unwrap());
        assert!(!verify(&signature, b"other input", &decoding, Algorithm::HS256).unwrap());
    }

    #[test]
    fn every_other_algorithm_is_refused() {
        install();
        let key = EncodingKey::from_secret(&[1; 32]);
        let decoding = DecodingKey::from_secret(&[1; 32]);
        for algorithm in [
            Algorithm::HS384,
            Algorithm::HS512,
            Algorithm::RS256,
            Algorithm::ES256,
            Algorithm::EdDSA,
        ] {
            let signed = sign(b"message", &key, algorithm);
            assert!(
                matches!(
                    signed.as_ref().map_err(|e| e.kind()),
                    Err(ErrorKind::InvalidAlgorithm)
                ),
                "{algorithm:?}: {signed:?}"
            );
            assert!(verify("c2ln", b"message", &decoding, algorithm).is_err());
        }
    }
}
