//! Webhooks as the Standard Webhooks specification has them (standardwebhooks.com): a
//! `whsec_<base64>` secret, and per delivery the headers `webhook-id`, `webhook-timestamp`
//! and `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`.

use crate::domain::public_address::is_forbidden;
use crate::error::ApiError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::net::IpAddr;
use url::{Host, Url};

pub const SECRET_PREFIX: &str = "whsec_";
pub const EVENT_CAS_IMPORTED: &str = "inbox.cas_imported";
pub const EVENT_RECONSENT_REQUIRED: &str = "inbox.reconsent_required";
pub const MAX_URL_LEN: usize = 2048;

/// A fresh signing secret: 32 random bytes.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The `webhook-signature` header value for one delivery, or None if `secret` is not a
/// `whsec_` secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The three headers of a delivery.
pub fn headers(
    secret: &str,
    id: &str,
    timestamp: i64,
    body: &str,
) -> Option<Vec<(&'static str, String)>> {
    Some(vec![
        ("webhook-id", id.to_string()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", sign(secret, id, timestamp, body)?),
        ("content-type", "application/json".to_string()),
    ])
}

/// A webhook URL's form: https (plain http only to a loopback host in local mode), no
/// credentials, no IP literal in a private or reserved range. Whether a host name resolves
/// somewhere allowed is the sender's `vet`.
pub fn check_url(raw: &str, allow_local: bool) -> Result<Url, ApiError> {
    let bad = |msg: &str| ApiError::invalid_request(msg.to_string());
    if raw.len() > MAX_URL_LEN {
        return Err(bad("url is longer than 2048 characters"));
    }
    let url = Url::parse(raw.trim()).map_err(|_| bad("url is not a valid URL"))?;
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => return Err(bad("url has no host")),
    };
    match url.scheme() {
        "https" => {}
        "http" if allow_local && loopback => {}
        _ => return Err(bad("url must be an https URL")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("url must not contain credentials"));
    }
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    let local_ok = |ip: IpAddr| allow_local && ip.is_loopback();
    if let Some(ip) = ip
        && is_forbidden(ip)
        && !local_ok(ip)
    {
        return Err(bad("url points to a private or reserved address"));
    }
    if !allow_local && loopback {
        return Err(bad("url points to a private or reserved address"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_the_specification_example() {
        // The example of the Standard Webhooks reference libraries' tests.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let signature = sign(
            secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(
            signature.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(sign("not-a-secret", "id", 1, "{}"), None);
    }

    #[test]
    fn fresh_secrets_are_whsec_and_differ() {
        let (a, b) = (new_secret(), new_secret());
        assert!(a.starts_with(SECRET_PREFIX) && a != b);
        assert!(sign(&a, "id", 1, "{}").is_some());
    }

    #[test]
    fn urls_must_be_https_and_public() {
        assert!(check_url("https://hooks.example.com/cas", false).is_ok());
        for bad in [
            "http://hooks.example.com/cas",
            "ftp://hooks.example.com/",
            "https://user:pw@hooks.example.com/",
            "https://10.0.0.5/hook",
            "https://169.254.169.254/latest",
            "https://[::1]/hook",
            "https://[fd00::1]/hook",
            "http://127.0.0.1:8080/hook",
            "https://localhost/hook",
            "not a url",
        ] {
            let e = check_url(bad, false).unwrap_err();
            assert_eq!(e.code, crate::error::ErrorCode::InvalidRequest, "{bad}");
        }
        // Local mode: plain http to loopback only.
        assert!(check_url("http://127.0.0.1:8080/hook", true).is_ok());
        assert!(check_url("http://localhost:8080/hook", true).is_ok());
        assert!(check_url("http://192.168.1.2/hook", true).is_err());
        assert!(check_url("http://hooks.example.com/", true).is_err());
    }
}
