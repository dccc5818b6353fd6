//! The TLS every outbound connection uses (Google, `pdf_url`s, webhooks, the AWS SDK): rustls
//! on aws-lc-rs, with only what a client of the public Web PKI needs.
//!
//! rustls' default aws-lc-rs provider also loads private keys for client certificates (RSA,
//! ECDSA and Ed25519 signing, PKCS#8 parsing) and verifies Ed25519 and ML-DSA signatures, which
//! no publicly trusted certificate carries (the CA/Browser Forum allows RSA and ECDSA P-256,
//! P-384, P-521); all of it was linked into every function, about 0.2 MB of each bootstrap
//! (README "Builds"). The cipher suites and key exchange groups are the provider's defaults,
//! post-quantum X25519MLKEM768 first.

use std::sync::Arc;

use rustls::SignatureScheme;
use rustls::crypto::aws_lc_rs::{DEFAULT_CIPHER_SUITES, DEFAULT_KX_GROUPS};
use rustls::crypto::{
    CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, WebPkiSupportedAlgorithms,
};
use rustls::pki_types::PrivateKeyDer;
use rustls::sign::SigningKey;
use webpki::aws_lc_rs as alg;

/// Server signatures the Web PKI uses, by TLS signature scheme. The same table as rustls'
/// aws-lc-rs provider without Ed25519 and ML-DSA.
static WEB_PKI_ALGORITHMS: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[
        alg::ECDSA_P256_SHA256,
        alg::ECDSA_P256_SHA384,
        alg::ECDSA_P256_SHA512,
        alg::ECDSA_P384_SHA256,
        alg::ECDSA_P384_SHA384,
        alg::ECDSA_P384_SHA512,
        alg::ECDSA_P521_SHA256,
        alg::ECDSA_P521_SHA384,
        alg::ECDSA_P521_SHA512,
        alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
        alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
        alg::RSA_PKCS1_2048_8192_SHA256,
        alg::RSA_PKCS1_2048_8192_SHA384,
        alg::RSA_PKCS1_2048_8192_SHA512,
        alg::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
        alg::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
        alg::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    ],
    mapping: &[
        // In TLS 1.2 the scheme does not fix the curve; in TLS 1.3 it does.
        (
            SignatureScheme::ECDSA_NISTP384_SHA384,
            &[
                alg::ECDSA_P384_SHA384,
                alg::ECDSA_P256_SHA384,
                alg::ECDSA_P521_SHA384,
            ],
        ),
        (
            SignatureScheme::ECDSA_NISTP256_SHA256,
            &[
                alg::ECDSA_P256_SHA256,
                alg::ECDSA_P384_SHA256,
                alg::ECDSA_P521_SHA256,
            ],
        ),
        (
            SignatureScheme::ECDSA_NISTP521_SHA512,
            &[
                alg::ECDSA_P521_SHA512,
                alg::ECDSA_P384_SHA512,
                alg::ECDSA_P256_SHA512,
            ],
        ),
        (
            SignatureScheme::RSA_PSS_SHA512,
            &[alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PSS_SHA384,
            &[alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PSS_SHA256,
            &[alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA512,
            &[alg::RSA_PKCS1_2048_8192_SHA512],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA384,
            &[alg::RSA_PKCS1_2048_8192_SHA384],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA256,
            &[alg::RSA_PKCS1_2048_8192_SHA256],
        ),
    ],
};

/// aws-lc's random generator.
#[derive(Debug)]
struct AwsLcRandom;

impl SecureRandom for AwsLcRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        aws_lc_rs::rand::fill(buf).map_err(|_| GetRandomFailed)
    }
}

/// No client certificates: nothing here authenticates to a server with a key.
#[derive(Debug)]
struct NoClientKeys;

impl KeyProvider for NoClientKeys {
    fn load_private_key(
        &self,
        _key: PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn SigningKey>, rustls::Error> {
        Err(rustls::Error::General(
            "this service presents no client certificates".into(),
        ))
    }
}

/// The provider described above.
pub fn web_pki_client_provider() -> CryptoProvider {
    CryptoProvider {
        cipher_suites: DEFAULT_CIPHER_SUITES.to_vec(),
        kx_groups: DEFAULT_KX_GROUPS.to_vec(),
        signature_verification_algorithms: WEB_PKI_ALGORITHMS,
        secure_random: &AwsLcRandom,
        key_provider: &NoClientKeys,
    }
}

/// A reqwest builder on [`web_pki_client_provider`]. reqwest is built without a provider of
/// its own (feature `rustls-no-provider`) and takes the process default, so every client is
/// made here, after the default is installed.
#[allow(clippy::disallowed_methods)] // The one place allowed to (shared/clippy.toml).
pub fn http_client_builder() -> reqwest::ClientBuilder {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        // Err only means a default is installed already; nothing else installs one.
        let _ = web_pki_client_provider().install_default();
    });
    reqwest::Client::builder()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_verifies_web_pki_signatures_only() {
        let provider = web_pki_client_provider();
        let schemes = provider
            .signature_verification_algorithms
            .supported_schemes();
        for scheme in [
            SignatureScheme::ECDSA_NISTP256_SHA256,
            SignatureScheme::ECDSA_NISTP384_SHA384,
            SignatureScheme::RSA_PSS_SHA256,
            SignatureScheme::RSA_PKCS1_SHA256,
        ] {
            assert!(schemes.contains(&scheme), "{scheme:?}");
        }
        for scheme in [SignatureScheme::ED25519, SignatureScheme::ML_DSA_65] {
            assert!(!schemes.contains(&scheme), "{scheme:?}");
        }
        assert_eq!(
            provider.kx_groups[0].name(),
            rustls::NamedGroup::X25519MLKEM768
        );
        let mut random = [0u8; 32];
        provider.secure_random.fill(&mut random).unwrap();
        assert_ne!(random, [0u8; 32]);
    }

    /// A loopback HTTPS server whose certificate (for `localhost`) a fresh CA of `algorithm`
    /// signed; it answers one request `200 ok`. Returns its port and the CA certificate.
    async fn https_server(
        algorithm: &'static rcgen::SignatureAlgorithm,
    ) -> (u16, reqwest::Certificate) {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
        use rustls::pki_types::PrivatePkcs8KeyDer;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate_for(algorithm).unwrap())
            .unwrap();
        let key = KeyPair::generate_for(algorithm).unwrap();
        let leaf = CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        let server = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        )
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            // A failed handshake is what the Ed25519 case expects; the client reports it.
            let Ok(mut tls) = acceptor.accept(tcp).await else {
                return;
            };
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";
            let _ = tls.write_all(answer).await;
            let _ = tls.shutdown().await;
        });
        let ca = reqwest::Certificate::from_der(ca.der()).unwrap();
        (port, ca)
    }

    async fn get(port: u16, ca: reqwest::Certificate) -> reqwest::Result<String> {
        let client = http_client_builder()
            .no_proxy()
            .tls_certs_merge([ca])
            .build()?;
        client
            .get(format!("https://localhost:{port}/"))
            .send()
            .await?
            .text()
            .await
    }

    #[tokio::test]
    async fn speaks_tls_to_an_ecdsa_or_rsa_server_and_refuses_ed25519() {
        for algorithm in [
            &rcgen::PKCS_ECDSA_P256_SHA256,
            &rcgen::PKCS_ECDSA_P384_SHA384,
            &rcgen::PKCS_RSA_SHA256,
        ] {
            let (port, ca) = https_server(algorithm).await;
            assert_eq!(get(port, ca).await.unwrap(), "ok", "{algorithm:?}");
        }
        // No public CA issues Ed25519 certificates; the provider does not verify them.
        let (port, ca) = https_server(&rcgen::PKCS_ED25519).await;
        let refused = get(port, ca).await.unwrap_err();
        assert!(refused.is_connect(), "{refused:?}");
    }
}
